//! Telemetry files as streams of records: decompression, format detection, and the record
//! shapes exports use (plain rows, the Defender streaming envelope, `{"records": [...]}`
//! batches, Log Analytics rows with a `Type` column, JSON arrays, CSV with a header line).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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
/// names (envelope `category`, or a `Type` column), and its fields, borrowed from the input and
/// parsed only when a column needs them.
pub struct Record<'a> {
    pub line: u64,
    pub table: Option<String>,
    pub fields: Fields<'a>,
}

/// A record's fields.
pub enum Fields<'a> {
    /// A JSON object's members, their values as JSON text.
    Json(Vec<(Cow<'a, str>, &'a str)>),
    /// A CSV row: the header's names and the row's cells (an empty cell is missing).
    Csv(&'a [String], &'a csv::StringRecord),
}

/// One field's value.
#[derive(Clone, Copy, Debug)]
pub enum Field<'a> {
    /// JSON text of any value.
    Json(&'a str),
    /// A CSV cell.
    Text(&'a str),
}

impl<'a> Fields<'a> {
    /// The field named `name`. `hint` remembers where it was last found: rows of one export
    /// list their fields in the same order, so the search mostly succeeds at once.
    pub fn get(&self, name: &str, hint: &mut usize) -> Option<Field<'a>> {
        match self {
            Fields::Json(members) => {
                if let Some((k, v)) = members.get(*hint)
                    && k == name
                {
                    return Some(Field::Json(v));
                }
                let i = members.iter().position(|(k, _)| k == name)?;
                *hint = i;
                Some(Field::Json(members[i].1))
            }
            Fields::Csv(headers, record) => {
                if headers.get(*hint).is_some_and(|h| h == name) {
                    return record.get(*hint).filter(|v| !v.is_empty()).map(Field::Text);
                }
                let i = headers.iter().position(|h| h == name)?;
                *hint = i;
                record.get(i).filter(|v| !v.is_empty()).map(Field::Text)
            }
        }
    }

    /// Every field, in order.
    pub fn each(&self, f: &mut dyn FnMut(&str, Field<'a>)) {
        match self {
            Fields::Json(members) => members.iter().for_each(|(k, v)| f(k, Field::Json(v))),
            Fields::Csv(headers, record) => headers
                .iter()
                .zip(record.iter())
                .filter(|(_, v)| !v.is_empty())
                .for_each(|(k, v)| f(k, Field::Text(v))),
        }
    }
}

/// The members of a JSON object: keys (unescaped, export suffixes such as ` [UTC]` removed)
/// and the JSON text of each value; `None` when the text is not a valid object. Nested objects
/// and arrays are only delimited here: they are checked when they are read (as records, or as
/// a dynamic column's value).
fn members(text: &str) -> Option<Vec<(Cow<'_, str>, &str)>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(32);
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return (skip_ws(b, i + 1) == b.len()).then_some(out);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(b, i)?;
        let key = json_string(&text[i..key_end])?;
        let key = match key {
            Cow::Borrowed(k) => Cow::Borrowed(column_name(k)),
            Cow::Owned(k) => Cow::Owned(column_name(&k).to_string()),
        };
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let end = value_end(b, i)?;
        out.push((key, &text[i..end]));
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return (skip_ws(b, i + 1) == b.len()).then_some(out),
            _ => return None,
        }
    }
}

/// The elements of a JSON array, as JSON texts; `None` when the text is not a valid array.
fn elements(text: &str) -> Option<Vec<&str>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b']') {
        return (skip_ws(b, i + 1) == b.len()).then_some(out);
    }
    loop {
        let end = value_end(b, i)?;
        out.push(&text[i..end]);
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => return (skip_ws(b, i + 1) == b.len()).then_some(out),
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The index after the string that starts at `i` (a `"`); `None` when it is not a valid JSON
/// string (an unknown escape, a raw control character, no closing quote).
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < b.len() {
        // Jump to the next quote or backslash; what lies between must hold no control character.
        let skip = memchr::memchr2(b'"', b'\\', &b[i..]).unwrap_or(b.len() - i);
        if b[i..i + skip].iter().any(|&c| c < 0x20) {
            return None;
        }
        i += skip;
        if i >= b.len() {
            return None;
        }
        match b[i] {
            b'\\' => match b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' if b.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => i += 6,
                _ => return None,
            },
            b'"' => return Some(i + 1),
            c if c < 0x20 => return None,
            _ => i += 1,
        }
    }
    None
}

/// The index after the value that starts at `i`; `None` when it is not a valid scalar or an
/// object or array that does not close.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        b't' => b[i..].starts_with(b"true").then_some(i + 4),
        b'f' => b[i..].starts_with(b"false").then_some(i + 5),
        b'n' => b[i..].starts_with(b"null").then_some(i + 4),
        _ => number_end(b, i),
    }
}

/// The index after a JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |b: &[u8], mut i: usize| {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        (i > start).then_some(i)
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match b.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(b, i)?,
        _ => return None,
    };
    if b.get(i) == Some(&b'.') {
        i = digits(b, i + 1)?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        i = digits(b, i)?;
    }
    Some(i)
}

/// Whether a text is one valid JSON value; the parser's message when not.
fn validate(text: &str) -> Result<(), String> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).map(|_| ()).map_err(|e| json_reason(&e))
}

/// A JSON string's text (unescaped), or `None` for other values.
pub fn json_string(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.starts_with('"') {
        return None;
    }
    if !raw[1..raw.len().saturating_sub(1)].contains('\\') {
        return Some(Cow::Borrowed(&raw[1..raw.len() - 1]));
    }
    serde_json::from_str::<String>(raw).ok().map(Cow::Owned)
}

/// A problem with the input at a line (0 when the whole file is concerned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bad {
    pub line: u64,
    pub reason: String,
}

pub enum Item<'a> {
    Record(Record<'a>),
    Bad(Bad),
}

/// The prefix of the Defender streaming API's `category`.
const CATEGORY_PREFIX: &str = "AdvancedHunting-";

/// A column name as exports write it: `TimeGenerated [UTC]` is `TimeGenerated`.
pub fn column_name(name: &str) -> &str {
    let b = name.as_bytes();
    let plain = |c: Option<&u8>| c.is_none_or(|c| !c.is_ascii_whitespace() && *c != b']');
    if plain(b.first()) && plain(b.last()) {
        return name;
    }
    name.strip_suffix(" [UTC]")
        .or_else(|| name.strip_suffix(" [Local Time]"))
        .unwrap_or(name)
        .trim()
}

/// The records of one JSON text: an envelope, a batch of them, an array, or a plain row.
/// Returns false when `f` asked to stop.
fn records_of(raw: &str, line: u64, f: &mut dyn FnMut(Item<'_>) -> bool) -> bool {
    let invalid = |f: &mut dyn FnMut(Item<'_>) -> bool| {
        // The parser says best what is wrong with a text the scanner refused.
        let reason = validate(raw).err().unwrap_or_else(|| "not a JSON object".into());
        f(Item::Bad(Bad { line, reason: format!("not valid JSON ({reason})") }))
    };
    let raw = raw.trim_start();
    if raw.starts_with('[') {
        return match elements(raw) {
            Some(items) => items.into_iter().all(|item| records_of(item, line, f)),
            None => invalid(f),
        };
    }
    if !raw.starts_with('{') {
        if validate(raw).is_ok() {
            return f(Item::Bad(Bad { line, reason: "a JSON value that is not an object".into() }));
        }
        return invalid(f);
    }
    let Some(fields) = members(raw) else { return invalid(f) };
    let member = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
    if let Some(records) = member("records").filter(|r| r.starts_with('[')) {
        return records_of(records, line, f);
    }
    let category = member("category").and_then(json_string);
    if let Some(table) = category.as_deref().and_then(|c| c.strip_prefix(CATEGORY_PREFIX))
        && let Some(properties) = member("properties").filter(|p| p.starts_with('{'))
    {
        let Some(properties) = members(properties) else { return invalid(f) };
        let fields = Fields::Json(properties);
        return f(Item::Record(Record { line, table: Some(table.to_string()), fields }));
    }
    let table =
        member("Type").and_then(json_string).filter(|t| !t.is_empty()).map(|t| t.into_owned());
    f(Item::Record(Record { line, table, fields: Fields::Json(fields) }))
}

/// Reads every record of a file, calling `f` for each record or problem; stops early when `f`
/// returns false. Reading errors (a truncated gzip stream) are reported as problems.
pub fn read(file: &TextFile, bytes: &AtomicU64, f: &mut dyn FnMut(Item<'_>) -> bool) {
    let reader = match file.open() {
        Ok(r) => r,
        Err(e) => {
            f(Item::Bad(Bad { line: 0, reason: format!("cannot open: {e}") }));
            return;
        }
    };
    match file.format {
        TextFormat::Json => read_json(reader, bytes, f),
        TextFormat::Csv => read_csv(reader, bytes, f),
    }
}

/// Whether a file can be read in byte ranges by several readers at once: uncompressed JSON
/// lines (not an array, which is one value), of at least `min_bytes`.
pub fn splittable(file: &TextFile, min_bytes: u64) -> Option<u64> {
    if file.format != TextFormat::Json || file.compression != Compression::None {
        return None;
    }
    let size = std::fs::metadata(&file.path).ok()?.len();
    if size < min_bytes {
        return None;
    }
    let mut head = [0u8; 64];
    let n = std::io::Read::read(&mut File::open(&file.path).ok()?, &mut head).ok()?;
    let first =
        head[..n].iter().find(|c| !c.is_ascii_whitespace() && !matches!(c, 0xEF | 0xBB | 0xBF));
    (first == Some(&b'{')).then_some(size)
}

/// The tables a JSON file's records name (envelope `category`, else `Type`), found by looking
/// for those keys in each line rather than parsing it: fast enough to run over a whole export.
pub fn table_names(file: &TextFile) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let Ok(mut reader) = file.open() else { return names };
    let category = memchr::memmem::Finder::new(b"\"category\"");
    let type_key = memchr::memmem::Finder::new(b"\"Type\"");
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return names,
            Ok(_) => {}
        }
        let mut any = false;
        for at in category.find_iter(&line) {
            if let Some(v) = string_after(&line, at + 10)
                && let Some(t) = v.strip_prefix(CATEGORY_PREFIX)
            {
                names.insert(t.to_string());
                any = true;
            }
        }
        if !any
            && let Some(at) = type_key.find(&line)
            && let Some(v) = string_after(&line, at + 6)
            && !v.is_empty()
        {
            names.insert(v.to_string());
        }
    }
}

/// The string after `:` at `i` in a JSON line (`"key": "value"`), if plain.
fn string_after(line: &[u8], i: usize) -> Option<&str> {
    let i = skip_ws(line, i);
    if line.get(i) != Some(&b':') {
        return None;
    }
    let start = skip_ws(line, i + 1);
    if line.get(start) != Some(&b'"') {
        return None;
    }
    let end = string_end(line, start)?;
    std::str::from_utf8(&line[start + 1..end - 1]).ok().filter(|s| !s.contains('\\'))
}

/// Reads the JSON lines that start in the byte range `[start, end)` of an uncompressed file:
/// the line under way at `start` belongs to the range before. Lines are numbered from 1 at
/// the first line of the range. Returns how many lines the range holds.
pub fn read_range(
    file: &TextFile,
    start: u64,
    end: u64,
    bytes: &AtomicU64,
    f: &mut dyn FnMut(Item<'_>) -> bool,
) -> u64 {
    use std::io::{Seek, SeekFrom};
    let mut handle = match File::open(&file.path) {
        Ok(h) => h,
        Err(e) => {
            f(Item::Bad(Bad { line: 0, reason: format!("cannot open: {e}") }));
            return 0;
        }
    };
    let mut pos = start;
    if start > 0 && handle.seek(SeekFrom::Start(start - 1)).is_err() {
        return 0;
    }
    let mut reader = BufReader::with_capacity(1 << 20, handle);
    let mut buf = Vec::new();
    if start > 0 {
        match reader.read_until(b'\n', &mut buf) {
            Ok(n) => pos = start - 1 + n as u64,
            Err(_) => return 0,
        }
    }
    let mut line_no = 0u64;
    while pos < end {
        buf.clear();
        let n = match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                f(Item::Bad(Bad { line: line_no + 1, reason: format!("cannot read: {e}") }));
                break;
            }
        };
        pos += n as u64;
        bytes.fetch_add(n as u64, Ordering::Relaxed);
        line_no += 1;
        let mut line: &[u8] = &buf;
        if start == 0 && line_no == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        let keep_going = match std::str::from_utf8(trimmed) {
            Ok(text) => records_of(text, line_no, f),
            Err(_) => f(Item::Bad(Bad { line: line_no, reason: "not UTF-8 text".into() })),
        };
        if !keep_going {
            break;
        }
    }
    line_no
}

fn read_error(e: &std::io::Error, compression: bool) -> String {
    if compression || e.kind() == std::io::ErrorKind::UnexpectedEof {
        format!("the compressed stream ends early or is corrupt ({e})")
    } else {
        format!("cannot read: {e}")
    }
}

fn read_json(
    mut reader: Box<dyn BufRead + Send>,
    bytes: &AtomicU64,
    f: &mut dyn FnMut(Item<'_>) -> bool,
) {
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    // A file that starts with `[` is one JSON array (read whole); otherwise JSON lines.
    let first = match reader.fill_buf() {
        Ok(b) => b
            .iter()
            .copied()
            .find(|c| !(c.is_ascii_whitespace() || *c == 0xEF || *c == 0xBB || *c == 0xBF)),
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
        bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&text);
        match std::str::from_utf8(text) {
            Ok(t) => {
                records_of(t, 1, f);
            }
            Err(e) => {
                f(Item::Bad(Bad { line: 0, reason: format!("not UTF-8 text ({e})") }));
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
            Ok(n) => {
                bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
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
        let text = match std::str::from_utf8(trimmed) {
            Ok(t) => t,
            Err(_) => {
                if !f(Item::Bad(Bad { line: line_no, reason: "not UTF-8 text".into() })) {
                    return;
                }
                continue;
            }
        };
        if !records_of(text, line_no, f) {
            return;
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

fn read_csv(
    mut reader: Box<dyn BufRead + Send>,
    bytes: &AtomicU64,
    f: &mut dyn FnMut(Item<'_>) -> bool,
) {
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
    let mut read_to = csv.position().byte();
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
        let at = csv.position().byte();
        bytes.fetch_add(at.saturating_sub(read_to), Ordering::Relaxed);
        read_to = at;
        if record.len() != headers.len() {
            let reason = format!("{} fields where the header has {}", record.len(), headers.len());
            if !f(Item::Bad(Bad { line, reason })) {
                return;
            }
            continue;
        }
        let table = type_column.map(|i| record[i].to_string()).filter(|t| !t.is_empty());
        if !f(Item::Record(Record { line, table, fields: Fields::Csv(&headers, &record) })) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scanner_accepts_what_json_accepts() {
        for (text, ok) in [
            (
                r#"{"a": 1, "b": "x", "c": null, "d": true, "e": [1, {"f": "]"}], "g": -0.5e+3}"#,
                true,
            ),
            (r#"{ }"#, true),
            (r#"{"a": "\u00e9\n\"q\""}"#, true),
            (r#"{"a": ws-02}"#, false),
            (r#"{"a": 01}"#, false),
            (r#"{"a": 1.}"#, false),
            (r#"{"a": "\x"}"#, false),
            (r#"{"a": "tab	inside"}"#, false),
            (r#"{"a": 1,}"#, false),
            (r#"{"a" 1}"#, false),
            (r#"{"a": [1, 2}"#, false),
            (r#"{"a": 1} trailing"#, false),
            (r#"{not json"#, false),
            (r#"{"a": tru}"#, false),
        ] {
            let scanned = members(text).is_some();
            assert_eq!(scanned, ok, "{text}");
            // The scanner checks what it reads; a nested value is checked when it is read.
            if ok {
                assert!(validate(text).is_ok(), "{text}");
            }
        }
        let m = members(r#"{"TimeGenerated [UTC]": "2020-11-20", "k\u0041": 2}"#).unwrap();
        assert_eq!(
            m,
            vec![
                (Cow::Borrowed("TimeGenerated"), r#""2020-11-20""#),
                (Cow::Owned("kA".into()), "2")
            ]
        );
        assert_eq!(elements("[1, \"a\", {}]").unwrap(), vec!["1", "\"a\"", "{}"]);
        assert!(elements("[1 2]").is_none());
    }
}
