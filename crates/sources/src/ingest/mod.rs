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
use datafusion::arrow::array::{RecordBatch, RecordBatchOptions};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use input::{Item, TextFile};
use problems::{FileProblems, Problems};
use quarry_functions::KqlType;
use quarry_plan::ColumnDef;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Records read to learn a file's tables and extra columns.
const SAMPLE: usize = 10_000;
const BATCH_ROWS: usize = 8192;
/// Files of JSON lines from this size on are read by several readers at once.
const SPLIT_BYTES: u64 = 64 << 20;

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
    fn add(&mut self, table: &str, fields: &input::Fields<'_>) {
        let columns = self.tables.entry(table.to_string()).or_default();
        fields.each(&mut |name, value| {
            let ty = infer(value);
            match columns.iter_mut().find(|(n, _)| n == name) {
                Some((_, t)) => *t = merge(*t, ty),
                None => columns.push((name.to_string(), ty)),
            }
        });
    }
}

fn merge(a: Option<KqlType>, b: Option<KqlType>) -> Option<KqlType> {
    match (a, b) {
        (Some(a), Some(b)) => Some(widen(a, b)),
        (a, b) => a.or(b),
    }
}

fn table_of(assigned: &Assigned, record: &input::Record<'_>) -> Option<String> {
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
    let bytes = AtomicU64::new(0);
    input::read(&assigned.file, &bytes, &mut |item| {
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

/// How much the readers of a catalog have read so far, for a progress display.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes: AtomicU64,
    pub rows: AtomicU64,
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
        if !complete && seen.tables.len() > 1 && !assigned.forced {
            // The rest of the file may hold other tables: look for the names its records give,
            // without parsing them. A table the catalog does not know needs its columns, which
            // only a whole read gives.
            let names = input::table_names(&assigned.file);
            if names.iter().any(|n| !seen.tables.contains_key(n) && known(n).is_none()) {
                tracing::debug!(file = %assigned.file.display, "tables unknown to the catalog after the sample: reading the whole file");
                seen = sample(assigned, usize::MAX).0;
            } else {
                for n in names {
                    seen.tables.entry(n).or_default();
                }
            }
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
    /// The files behind the table.
    pub fn paths(&self) -> Vec<std::path::PathBuf> {
        self.parts.iter().map(|p| p.assigned.file.path.clone()).collect()
    }

    /// The table as a DataFusion provider that streams its files, building only the columns a
    /// query reads.
    pub fn provider(
        self,
        problems: &Arc<Problems>,
        progress: &Arc<Progress>,
    ) -> Arc<dyn TableProvider> {
        let fields: Vec<Field> =
            self.columns.iter().map(|c| Field::new(&c.name, c.ty.arrow(), true)).collect();
        let parts = self
            .parts
            .into_iter()
            .map(|part| PartState {
                part,
                lines_counted: AtomicBool::new(false),
                columns_counted: Mutex::new(BTreeSet::new()),
            })
            .map(Arc::new)
            .collect();
        Arc::new(TextProvider {
            table: self.name,
            schema: Arc::new(Schema::new(fields)),
            columns: self.columns,
            parts,
            problems: problems.clone(),
            progress: progress.clone(),
        })
    }
}

/// A file's part of a table, and which of its problems have been counted: its unreadable lines
/// once, each column's bad values once, however often and with whatever columns it is read.
struct PartState {
    part: Part,
    lines_counted: AtomicBool,
    columns_counted: Mutex<BTreeSet<String>>,
}

#[derive(Debug)]
struct TextProvider {
    table: String,
    schema: SchemaRef,
    columns: Vec<ColumnDef>,
    parts: Vec<Arc<PartState>>,
    problems: Arc<Problems>,
    progress: Arc<Progress>,
}

impl std::fmt::Debug for PartState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.part.assigned.file.display)
    }
}

#[async_trait::async_trait]
impl TableProvider for TextProvider {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> datafusion::logical_expr::TableType {
        datafusion::logical_expr::TableType::Base
    }

    async fn scan(
        &self,
        session: &dyn datafusion::catalog::Session,
        projection: Option<&Vec<usize>>,
        _filters: &[datafusion::logical_expr::Expr],
        limit: Option<usize>,
    ) -> datafusion::error::Result<Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
        let indices: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.columns.len()).collect(),
        };
        let schema = Arc::new(self.schema.project(&indices)?);
        let columns: Arc<Vec<ColumnDef>> =
            Arc::new(indices.iter().map(|&i| self.columns[i].clone()).collect());
        tracing::debug!(table = %self.table, columns = columns.len(), files = self.parts.len(), "reading text files");
        let readers = session.config().target_partitions().max(1);
        // QUARRY_SPLIT_BYTES lowers the size from which files are split, so that tests can
        // split small files.
        let split_bytes = std::env::var("QUARRY_SPLIT_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(SPLIT_BYTES);
        let mut partitions: Vec<Arc<dyn PartitionStream>> = Vec::new();
        for state in &self.parts {
            let reader = Reader {
                table: self.table.clone(),
                schema: schema.clone(),
                columns: columns.clone(),
                state: state.clone(),
                problems: self.problems.clone(),
                progress: self.progress.clone(),
                range: None,
            };
            // A large file of JSON lines is read by several readers, each a byte range of it.
            let size = (readers > 1)
                .then(|| input::splittable(&state.part.assigned.file, split_bytes))
                .flatten();
            let Some(size) = size else {
                partitions.push(Arc::new(FilePartition(reader)));
                continue;
            };
            let tally =
                Arc::new(Mutex::new(Tally { ranges: (0..readers).map(|_| None).collect() }));
            for index in 0..readers {
                let start = size * index as u64 / readers as u64;
                let end = size * (index as u64 + 1) / readers as u64;
                let range = Arc::new(Range { start, end, index, tally: tally.clone() });
                partitions
                    .push(Arc::new(FilePartition(Reader { range: Some(range), ..reader.clone() })));
            }
        }
        let exec = datafusion::physical_plan::streaming::StreamingTableExec::try_new(
            schema,
            partitions,
            None,
            Vec::new(),
            false,
            limit,
        )?;
        Ok(Arc::new(exec))
    }
}

/// One file's part of a table, as a stream DataFusion executes: each run reads the file anew.
struct FilePartition(Reader);

impl std::fmt::Debug for FilePartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FilePartition({} from {})",
            self.0.table, self.0.state.part.assigned.file.display
        )
    }
}

impl PartitionStream for FilePartition {
    fn schema(&self) -> &SchemaRef {
        &self.0.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let (tx, rx) = tokio::sync::mpsc::channel::<datafusion::error::Result<RecordBatch>>(2);
        let reader = self.0.clone();
        std::thread::spawn(move || reader.run(tx));
        let stream =
            futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (b, rx)) });
        Box::pin(RecordBatchStreamAdapter::new(self.0.schema.clone(), stream))
    }
}

/// The reason for a value its column's type cannot hold.
fn not_a(ty: KqlType) -> String {
    let name = ty.name();
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("a value that is not {article} {name}")
}

#[derive(Clone)]
struct Reader {
    table: String,
    schema: SchemaRef,
    columns: Arc<Vec<ColumnDef>>,
    state: Arc<PartState>,
    problems: Arc<Problems>,
    progress: Arc<Progress>,
    /// The part of the file this reader reads, when the file is read by several at once.
    range: Option<Arc<Range>>,
}

impl Reader {
    fn builders(&self) -> Vec<ColumnBuilder> {
        self.columns.iter().map(|c| ColumnBuilder::new(c.ty, BATCH_ROWS)).collect()
    }

    fn run(self, tx: tokio::sync::mpsc::Sender<datafusion::error::Result<RecordBatch>>) {
        let part = &self.state.part;
        let assigned = &part.assigned;
        let mut builders = self.builders();
        let mut hints = vec![0usize; self.columns.len()];
        let mut twin_hints = vec![0usize; self.columns.len()];
        let mut rows = 0usize;
        let mut found = FileProblems::default();
        let mut by_column: Vec<FileProblems> = vec![FileProblems::default(); self.columns.len()];
        let mut open = true;
        let flush = |builders: &mut Vec<ColumnBuilder>, rows: &mut usize| -> bool {
            let arrays = builders.iter_mut().map(ColumnBuilder::finish).collect();
            // A query may read no column at all (`count`): the batch still has its rows.
            let options = RecordBatchOptions::new().with_row_count(Some(*rows));
            *rows = 0;
            let batch = RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options)
                .map_err(Into::into);
            tx.blocking_send(batch).is_ok()
        };
        let mut on_item = |item: Item<'_>| {
            let record = match item {
                Item::Bad(bad) => {
                    if part.owns_lines {
                        found.add(bad.line, &bad.reason);
                    }
                    return true;
                }
                Item::Record(r) => r,
            };
            let table = table_of(assigned, &record);
            match table.as_deref() {
                Some(t) if t == self.table => {}
                Some(t) if part.siblings.contains(t) => return true,
                Some(t) => {
                    found.add(
                        record.line,
                        &format!("a row of table {t} where the sample showed none (not read)"),
                    );
                    return true;
                }
                None => {
                    if part.owns_lines {
                        found.add(record.line, "a row that names no table (not read)");
                    }
                    return true;
                }
            }
            for (i, (c, builder)) in self.columns.iter().zip(builders.iter_mut()).enumerate() {
                let own = record.fields.get(&c.name, &mut hints[i]);
                // A Defender table's time answers to both names; a bad value is counted once,
                // under the column that holds it.
                let twin = match c.name.as_str() {
                    "Timestamp" => Some("TimeGenerated"),
                    "TimeGenerated" => Some("Timestamp"),
                    _ => None,
                };
                let value =
                    own.or_else(|| twin.and_then(|t| record.fields.get(t, &mut twin_hints[i])));
                if builder.push(value).is_err() && own.is_some() {
                    by_column[i].add(record.line, &format!("{} (column {})", not_a(c.ty), c.name));
                }
            }
            rows += 1;
            self.progress.rows.fetch_add(1, Ordering::Relaxed);
            if rows >= BATCH_ROWS && !flush(&mut builders, &mut rows) {
                open = false;
                return false;
            }
            true
        };
        let lines = match &self.range {
            Some(r) => input::read_range(
                &assigned.file,
                r.start,
                r.end,
                &self.progress.bytes,
                &mut on_item,
            ),
            None => {
                input::read(&assigned.file, &self.progress.bytes, &mut on_item);
                0
            }
        };
        // A read the query stopped early saw only part of the file: count only whole reads.
        // Count before the last batch goes out, so that the count is in when the query ends.
        tracing::trace!(table = %self.table, file = %assigned.file.display, complete = open, "read done");
        if !open {
            return;
        }
        match &self.range {
            None => self.record(found, by_column),
            Some(r) => {
                // Lines are numbered within the range: once every range is read, the lines
                // before each are known and the places can be given in the file's lines.
                let Ok(mut tally) = r.tally.lock() else { return };
                tally.ranges[r.index] = Some((lines, found, by_column));
                if tally.ranges.iter().all(Option::is_some) {
                    let mut base = 0;
                    let mut all_found = FileProblems::default();
                    let mut all_columns = vec![FileProblems::default(); self.columns.len()];
                    for (lines, found, by_column) in
                        tally.ranges.iter_mut().filter_map(Option::take)
                    {
                        all_found.merge(found.shifted(base));
                        for (all, p) in all_columns.iter_mut().zip(by_column) {
                            all.merge(p.shifted(base));
                        }
                        base += lines;
                    }
                    self.record(all_found, all_columns);
                }
            }
        }
        if rows > 0 {
            flush(&mut builders, &mut rows);
        }
    }

    /// Counts a whole read's problems: the file's unreadable lines once, each column's bad
    /// values once.
    fn record(&self, found: FileProblems, by_column: Vec<FileProblems>) {
        let file = &self.state.part.assigned.file.display;
        if !self.state.lines_counted.swap(true, Ordering::SeqCst) {
            self.problems.record(file, found);
        }
        if let Ok(mut counted) = self.state.columns_counted.lock() {
            for (c, problems) in self.columns.iter().zip(by_column) {
                if counted.insert(c.name.clone()) {
                    self.problems.record(file, problems);
                }
            }
        }
    }
}

/// A byte range of a file that several readers share.
struct Range {
    start: u64,
    end: u64,
    index: usize,
    tally: Arc<Mutex<Tally>>,
}

/// What each range of one scan of a file found: its line count and its problems.
#[derive(Default)]
struct Tally {
    ranges: Vec<Option<(u64, FileProblems, Vec<FileProblems>)>>,
}
