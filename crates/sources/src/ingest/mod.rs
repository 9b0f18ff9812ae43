//! Reading text exports (CSV, JSON lines, JSON arrays, Defender streaming envelopes, Log
//! Analytics rows), compressed or not, as tables fitted to the catalog's schemas.
//!
//! Each file is first sampled to learn which tables it holds and which columns the catalog
//! does not know; a file whose sample shows several tables is read once more, whole, for the
//! full list. A query then streams the file: each record goes to its table, each value is
//! converted to its column's type. Lines that cannot be read and values that cannot be
//! converted are counted in [`Problems`], once per file however often the file is read.

pub mod coerce;
pub mod input;
pub mod problems;

use coerce::{ColumnBuilder, infer, widen};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use input::{Item, TextFile};
use problems::{FileProblems, Problems};
use quarry_functions::KqlType;
use quarry_plan::ColumnDef;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Records read to learn a file's tables and extra columns.
const SAMPLE: usize = 1000;
const BATCH_ROWS: usize = 8192;

/// A text file and the table its records belong to unless they name one themselves.
#[derive(Clone, Debug)]
pub struct Assigned {
    pub file: TextFile,
    pub default_table: Option<String>,
    /// `--table Name=path`: every record belongs to `default_table`, whatever it says.
    pub forced: bool,
}

/// What sampling a file found: per table, the columns seen and their inferred types.
#[derive(Default)]
struct Seen {
    tables: BTreeMap<String, Vec<(String, Option<KqlType>)>>,
}

impl Seen {
    fn add(&mut self, table: &str, fields: &serde_json::Map<String, serde_json::Value>) {
        let columns = self.tables.entry(table.to_string()).or_default();
        for (name, value) in fields {
            let ty = infer(value);
            match columns.iter_mut().find(|(n, _)| n == name) {
                Some((_, t)) => {
                    *t = match (*t, ty) {
                        (Some(a), Some(b)) => Some(widen(a, b)),
                        (a, b) => a.or(b),
                    }
                }
                None => columns.push((name.clone(), ty)),
            }
        }
    }
}

fn table_of(assigned: &Assigned, record: &input::Record) -> Option<String> {
    if assigned.forced {
        return assigned.default_table.clone();
    }
    record.table.clone().or_else(|| assigned.default_table.clone())
}

/// Reads up to `limit` records of a file; returns what they show and whether the file ended.
fn sample(assigned: &Assigned, limit: usize) -> (Seen, bool) {
    let mut seen = Seen::default();
    let mut n = 0usize;
    let mut complete = true;
    input::read(&assigned.file, &mut |item| {
        if let Item::Record(r) = item
            && let Some(t) = table_of(assigned, &r)
        {
            seen.add(&t, &r.fields);
            n += 1;
            if n >= limit {
                complete = false;
                return false;
            }
        }
        true
    });
    (seen, complete)
}

/// One file's part of one table.
struct Part {
    assigned: Assigned,
    /// This part reports the file's unreadable lines (one part per file does).
    owns_lines: bool,
    /// The other tables the file holds: their rows are not problems here.
    siblings: BTreeSet<String>,
}

/// A table from text files: its columns and the files that hold its rows.
pub struct TextTable {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    /// Columns the catalog does not know, kept with an inferred type.
    pub extra_columns: Vec<String>,
    pub files: Vec<String>,
    parts: Vec<Part>,
}

/// Finds the tables a set of text files holds, with their schemas.
pub fn discover(
    files: &[Assigned],
    known: &dyn Fn(&str) -> Option<Vec<ColumnDef>>,
) -> Vec<TextTable> {
    let mut per_table: BTreeMap<String, (Vec<(String, Option<KqlType>)>, Vec<Part>)> =
        BTreeMap::new();
    for assigned in files {
        let (mut seen, complete) = sample(assigned, SAMPLE);
        if !complete && seen.tables.len() > 1 {
            tracing::debug!(file = %assigned.file.display, "several tables in the sample: reading the whole file for the full list");
            seen = sample(assigned, usize::MAX).0;
        }
        if seen.tables.is_empty()
            && let Some(t) = &assigned.default_table
        {
            seen.tables.insert(t.clone(), Vec::new());
        }
        let names: BTreeSet<String> = seen.tables.keys().cloned().collect();
        for (i, (table, columns)) in seen.tables.into_iter().enumerate() {
            let entry = per_table.entry(table.clone()).or_default();
            for (name, ty) in columns {
                match entry.0.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, t)) => {
                        *t = match (*t, ty) {
                            (Some(a), Some(b)) => Some(widen(a, b)),
                            (a, b) => a.or(b),
                        }
                    }
                    None => entry.0.push((name, ty)),
                }
            }
            let siblings = names.iter().filter(|n| **n != table).cloned().collect();
            entry.1.push(Part { assigned: assigned.clone(), owns_lines: i == 0, siblings });
        }
    }
    per_table
        .into_iter()
        .map(|(name, (seen_columns, parts))| {
            let mut columns = known(&name).unwrap_or_default();
            let mut extra_columns = Vec::new();
            for (column, ty) in seen_columns {
                if columns.iter().any(|c| c.name == column) || column == "Type" && !columns.is_empty() {
                    continue;
                }
                // Defender tables answer to both names of the time column.
                if (column == "TimeGenerated" || column == "Timestamp") && columns.iter().any(|c| c.name == "Timestamp" || c.name == "TimeGenerated") {
                    continue;
                }
                if known(&name).is_some() {
                    extra_columns.push(column.clone());
                }
                columns.push(ColumnDef::new(column, ty.unwrap_or(KqlType::String)));
            }
            if known(&name).is_some() && !extra_columns.is_empty() {
                tracing::debug!(table = %name, columns = ?extra_columns, "columns the catalog does not know, kept with inferred types");
            }
            let files = parts.iter().map(|p| p.assigned.file.display.clone()).collect();
            TextTable { name, columns, extra_columns, files, parts }
        })
        .collect()
}

impl TextTable {
    /// The table as a DataFusion provider that streams its files.
    pub fn provider(
        self,
        problems: &Arc<Problems>,
    ) -> datafusion::error::Result<Arc<dyn TableProvider>> {
        let fields: Vec<Field> =
            self.columns.iter().map(|c| Field::new(&c.name, c.ty.arrow(), true)).collect();
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let columns = Arc::new(self.columns);
        let partitions: Vec<Arc<dyn PartitionStream>> = self
            .parts
            .into_iter()
            .map(|part| {
                Arc::new(FilePartition {
                    table: self.name.clone(),
                    schema: schema.clone(),
                    columns: columns.clone(),
                    part: Arc::new(part),
                    problems: problems.clone(),
                    counted: Arc::new(AtomicBool::new(false)),
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        Ok(Arc::new(StreamingTable::try_new(schema, partitions)?))
    }
}

struct FilePartition {
    table: String,
    schema: SchemaRef,
    columns: Arc<Vec<ColumnDef>>,
    part: Arc<Part>,
    problems: Arc<Problems>,
    /// Set once a whole read has been counted: later reads count nothing again.
    counted: Arc<AtomicBool>,
}

impl std::fmt::Debug for FilePartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FilePartition({} from {})", self.table, self.part.assigned.file.display)
    }
}

impl PartitionStream for FilePartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let (tx, rx) = tokio::sync::mpsc::channel::<datafusion::error::Result<RecordBatch>>(2);
        let reader = Reader {
            table: self.table.clone(),
            schema: self.schema.clone(),
            columns: self.columns.clone(),
            part: self.part.clone(),
            problems: self.problems.clone(),
            counted: self.counted.clone(),
        };
        std::thread::spawn(move || reader.run(tx));
        let stream =
            futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream))
    }
}

/// The reason for a value its column's type cannot hold.
fn not_a(ty: KqlType) -> String {
    let name = ty.name();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("a value that is not {article} {name}")
}

struct Reader {
    table: String,
    schema: SchemaRef,
    columns: Arc<Vec<ColumnDef>>,
    part: Arc<Part>,
    problems: Arc<Problems>,
    counted: Arc<AtomicBool>,
}

impl Reader {
    fn builders(&self) -> Vec<ColumnBuilder> {
        self.columns.iter().map(|c| ColumnBuilder::new(c.ty, BATCH_ROWS)).collect()
    }

    fn run(self, tx: tokio::sync::mpsc::Sender<datafusion::error::Result<RecordBatch>>) {
        let assigned = &self.part.assigned;
        let mut builders = self.builders();
        let mut rows = 0usize;
        let mut found = FileProblems::default();
        let mut open = true;
        let flush = |builders: &mut Vec<ColumnBuilder>, rows: &mut usize| -> bool {
            let arrays = builders.iter_mut().map(ColumnBuilder::finish).collect();
            *rows = 0;
            let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(Into::into);
            tx.blocking_send(batch).is_ok()
        };
        input::read(&assigned.file, &mut |item| {
            let record = match item {
                Item::Bad(bad) => {
                    if self.part.owns_lines {
                        found.add(bad.line, &bad.reason);
                    }
                    return true;
                }
                Item::Record(r) => r,
            };
            let table = table_of(assigned, &record);
            match table.as_deref() {
                Some(t) if t == self.table => {}
                Some(t) if self.part.siblings.contains(t) => return true,
                Some(t) => {
                    found.add(
                        record.line,
                        &format!("a row of table {t} where the sample showed none (not read)"),
                    );
                    return true;
                }
                None => {
                    if self.part.owns_lines {
                        found.add(record.line, "a row that names no table (not read)");
                    }
                    return true;
                }
            }
            for (c, builder) in self.columns.iter().zip(builders.iter_mut()) {
                let own = record.fields.get(&c.name);
                // A Defender table's time answers to both names; a bad value is counted once,
                // under the column that holds it.
                let twin = match c.name.as_str() {
                    "Timestamp" => Some("TimeGenerated"),
                    "TimeGenerated" => Some("Timestamp"),
                    _ => None,
                };
                let value = own.or_else(|| twin.and_then(|t| record.fields.get(t)));
                if builder.push(value).is_err() && own.is_some() {
                    found.add(record.line, &format!("{} (column {})", not_a(c.ty), c.name));
                }
            }
            rows += 1;
            if rows >= BATCH_ROWS && !flush(&mut builders, &mut rows) {
                open = false;
                return false;
            }
            true
        });
        if open && rows > 0 && !flush(&mut builders, &mut rows) {
            open = false;
        }
        // A read the query stopped early saw only part of the file: count only whole reads.
        if open && !self.counted.swap(true, Ordering::SeqCst) {
            self.problems.record(&assigned.file.display, found);
        }
    }
}
