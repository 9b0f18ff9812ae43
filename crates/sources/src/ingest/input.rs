//! Telemetry files as streams of records: decompression, format detection, and the record
//! shapes exports use (plain rows, the Defender streaming envelope, `{"records": [...]}`
//! batches, Log Analytics rows with a `Type` column, JSON arrays, CSV with a header line).

use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    Csv,
    /// JSON lines, a JSON array, or `{"records": [...]}` batches: told apart by content.
    Json,
}

/// What a file name says about its content: `x.csv.gz` is gzip-compressed CSV.
pub fn kind_of(path: &Path) -> Option<(TextFormat, Compression)> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let (rest, compression) = if let Some(r) = name.strip_suffix(".gz") {
        (r, Compression::Gzip)
    } else if let Some(r) = name.strip_suffix(".zst").or_else(|| name.strip_suffix(".zstd")) {
        (r, Compression::Zstd)
    } else {
        (name.as_str(), Compression::None)
    };
    let format = if rest.ends_with(".csv") {
        TextFormat::Csv
    } else if [".json", ".ndjson", ".jsonl", ".log"].iter().any(|e| rest.ends_with(e)) {
        TextFormat::Json
    } else {
        return None;
    };
    Some((format, compression))
}

/// A readable source: a file, or standard input saved to a file first.
#[derive(Clone, Debug)]
pub struct TextFile {
    pub path: PathBuf,
    /// How messages name it.
    pub display: String,
    pub format: TextFormat,
    pub compression: Compression,
}

impl TextFile {
    /// The decompressed bytes, as a buffered reader.
    pub fn open(&self) -> std::io::Result<Box<dyn BufRead + Send>> {
        let file = File::open(&self.path)?;
        let raw: Box<dyn Read + Send> = match self.compression {
            Compression::None => Box::new(file),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file))),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(file)?),
        };
        Ok(Box::new(BufReader::with_capacity(1 << 20, raw)))
    }
}

/// One row as read, before it is fitted to a table: where it came from, the table the record
/// names (envelope `category`, or a `Type` column), and its fields.
pub struct Record {
    pub line: u64,
    pub table: Option<String>,
    pub fields: Map<String, Value>,
}

/// A problem with the input at a line (0 when the whole file is concerned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bad {
    pub line: u64,
    pub reason: String,
}

pub enum Item {
    Record(Record),
    Bad(Bad),
}

/// The prefix of the Defender streaming API's `category`.
const CATEGORY_PREFIX: &str = "AdvancedHunting-";

/// A column name as exports write it: `TimeGenerated [UTC]` is `TimeGenerated`.
pub fn column_name(name: &str) -> &str {
    name.strip_suffix(" [UTC]")
        .or_else(|| name.strip_suffix(" [Local Time]"))
        .unwrap_or(name)
        .trim()
}

/// The records of one JSON value: an envelope, a batch of them, or a plain row.
fn records_of(value: Value, line: u64, out: &mut Vec<Item>) {
    match value {
        Value::Object(mut object) => {
            if let Some(Value::Array(records)) = object.get_mut("records") {
                for r in std::mem::take(records) {
                    records_of(r, line, out);
                }
                return;
            }
            let category = object
                .get("category")
                .and_then(Value::as_str)
                .and_then(|c| c.strip_prefix(CATEGORY_PREFIX));
            if let Some(table) = category.map(str::to_string)
                && let Some(Value::Object(properties)) = object.remove("properties")
            {
                out.push(Item::Record(Record {
                    line,
                    table: Some(table),
                    fields: normalize(properties),
                }));
                return;
            }
            let table = object
                .get("Type")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            out.push(Item::Record(Record { line, table, fields: normalize(object) }));
        }
        Value::Array(items) => {
            for item in items {
                records_of(item, line, out);
            }
        }
        _ => out.push(Item::Bad(Bad { line, reason: "a JSON value that is not an object".into() })),
    }
}

fn normalize(fields: Map<String, Value>) -> Map<String, Value> {
    if fields.keys().all(|k| column_name(k) == k) {
        return fields;
    }
    fields.into_iter().map(|(k, v)| (column_name(&k).to_string(), v)).collect()
}

/// Reads every record of a file, calling `f` for each record or problem; stops early when `f`
/// returns false. Reading errors (a truncated gzip stream) are reported as problems.
pub fn read(file: &TextFile, f: &mut dyn FnMut(Item) -> bool) {
    let reader = match file.open() {
        Ok(r) => r,
        Err(e) => {
            f(Item::Bad(Bad { line: 0, reason: format!("cannot open: {e}") }));
            return;
        }
    };
    match file.format {
        TextFormat::Json => read_json(reader, f),
        TextFormat::Csv => read_csv(reader, f),
    }
}

fn read_error(e: &std::io::Error, compression: bool) -> String {
    if compression || e.kind() == std::io::ErrorKind::UnexpectedEof {
        format!("the compressed stream ends early or is corrupt ({e})")
    } else {
        format!("cannot read: {e}")
    }
}

fn read_json(mut reader: Box<dyn BufRead + Send>, f: &mut dyn FnMut(Item) -> bool) {
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    // A file that starts with `[` is one JSON array (read whole); otherwise JSON lines.
    let first = match reader.fill_buf() {
        Ok(b) => b
            .iter()
            .copied()
            .skip_while(|c| c.is_ascii_whitespace() || *c == 0xEF || *c == 0xBB || *c == 0xBF)
            .next(),
        Err(e) => {
            f(Item::Bad(Bad { line: 0, reason: read_error(&e, true) }));
            return;
        }
    };
    if first == Some(b'[') {
        let mut text = Vec::new();
        if let Err(e) = reader.read_to_end(&mut text) {
            f(Item::Bad(Bad { line: 0, reason: read_error(&e, true) }));
            return;
        }
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&text);
        let mut items = Vec::new();
        match serde_json::from_slice::<Value>(text) {
            Ok(v) => records_of(v, 1, &mut items),
            Err(e) => items.push(Item::Bad(Bad {
                line: e.line() as u64,
                reason: format!("not valid JSON: {e}"),
            })),
        }
        for item in items {
            if !f(item) {
                return;
            }
        }
        return;
    }
    let mut any = false;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => {
                if !any {
                    f(Item::Bad(Bad { line: 0, reason: "the file is empty".into() }));
                }
                return;
            }
            Ok(_) => {}
            Err(e) => {
                f(Item::Bad(Bad { line: line_no + 1, reason: read_error(&e, true) }));
                return;
            }
        }
        line_no += 1;
        let mut bytes: &[u8] = &buf;
        if line_no == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let trimmed = bytes.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        any = true;
        let mut items = Vec::with_capacity(1);
        match serde_json::from_slice::<Value>(trimmed) {
            Ok(v) => records_of(v, line_no, &mut items),
            Err(e) => items.push(Item::Bad(Bad {
                line: line_no,
                reason: format!("not valid JSON ({})", json_reason(&e)),
            })),
        }
        for item in items {
            if !f(item) {
                return;
            }
        }
    }
}

fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn read_csv(mut reader: Box<dyn BufRead + Send>, f: &mut dyn FnMut(Item) -> bool) {
    // A UTF-8 byte order mark before the header is not part of the first column's name.
    if let Ok(b) = reader.fill_buf()
        && b.starts_with(b"\xEF\xBB\xBF")
    {
        reader.consume(3);
    }
    let mut csv = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(reader);
    let headers: Vec<String> = match csv.headers() {
        Ok(h) => h.iter().map(|n| column_name(n).to_string()).collect(),
        Err(e) => {
            f(Item::Bad(Bad { line: 1, reason: format!("cannot read the header line: {e}") }));
            return;
        }
    };
    if headers.iter().all(|h| h.is_empty()) {
        f(Item::Bad(Bad { line: 0, reason: "the file is empty".into() }));
        return;
    }
    let type_column = headers.iter().position(|h| h == "Type");
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(false) => return,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let reason = match e.kind() {
                    csv::ErrorKind::Io(io) => read_error(io, true),
                    csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
                    _ => format!("not valid CSV: {e}"),
                };
                let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
                if !f(Item::Bad(Bad { line, reason })) || fatal {
                    return;
                }
                continue;
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.len() != headers.len() {
            let reason = format!("{} fields where the header has {}", record.len(), headers.len());
            if !f(Item::Bad(Bad { line, reason })) {
                return;
            }
            continue;
        }
        let mut fields = Map::with_capacity(headers.len());
        for (name, value) in headers.iter().zip(record.iter()) {
            // An empty cell is a missing value.
            if !value.is_empty() {
                fields.insert(name.clone(), Value::String(value.to_string()));
            }
        }
        let table = type_column.map(|i| record[i].to_string()).filter(|t| !t.is_empty());
        if !f(Item::Record(Record { line, table, fields })) {
            return;
        }
    }
}
