//! Telemetry files as tables. A file or folder named after a table (`DeviceNetworkEvents.csv`,
//! `DeviceNetworkEvents.parquet`, `DeviceNetworkEvents/`) holds that table's rows; other
//! folders are searched for such files and folders.
//!
//! Text exports (CSV, JSON, compressed or not) are read by [`crate::ingest`]: a record may name
//! its own table (the Defender streaming envelope's `category`, a Log Analytics `Type`), and its
//! values are fitted to the catalog's column types. Parquet files are read by DataFusion; the
//! planner converts their columns to the catalog's types. A table the catalog does not know
//! gets the schema the files imply.

use crate::bundled;
use crate::ingest::input::{self, Compression, TextFile, TextFormat};
use crate::ingest::problems::Problems;
use crate::ingest::{self, Assigned};
use crate::temp::{TempDir, write_parquet};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::parquet::basic::{Compression as ParquetCompression, ZstdLevel};
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::prelude::SessionContext;
use quarry_functions::KqlType;
use quarry_plan::{Catalog, ColumnDef, TableInfo};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug)]
pub struct DataError(pub String);

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DataError {}

/// Where a table's rows come from, as `quarry tables` reports it.
#[derive(Clone, Debug)]
pub struct TableSource {
    pub name: String,
    pub files: Vec<String>,
    /// Columns the catalog does not know, kept with an inferred type.
    pub extra_columns: Vec<String>,
    /// Whether the bundled catalog knows the table.
    pub known: bool,
    /// Read from text (CSV, JSON), which every query parses anew; else Parquet.
    pub text: bool,
    /// The files' size on disk.
    pub bytes: u64,
}

fn size_of(paths: impl Iterator<Item = impl AsRef<Path>>) -> u64 {
    paths.filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

/// The tables given as data, over the bundled catalog's schemas.
#[derive(Default)]
pub struct DataCatalog {
    tables: BTreeMap<String, TableInfo>,
    sources: Vec<TableSource>,
    /// Whether bundled tables without data count as known (empty): for checking queries.
    schema_only: bool,
    problems: Arc<Problems>,
    progress: Arc<ingest::Progress>,
    /// Standard input, saved for reading (more than once).
    _stdin: Option<StdinCopy>,
    /// Where [`cache`](Self::cache) writes large tables.
    cache_dir: Option<TempDir>,
}

/// How the hunt cache writes a large table: quick to write (zstd at its fastest level),
/// quick to read again.
fn cache_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(ParquetCompression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
        .set_statistics_enabled(EnabledStatistics::None)
        .build()
}

impl DataCatalog {
    /// A catalog of the bundled schemas alone, for binding queries without data.
    pub fn schema_only() -> DataCatalog {
        DataCatalog { schema_only: true, ..DataCatalog::default() }
    }

    /// Finds the tables under `paths` (files, folders, globs, `-` for standard input) and
    /// prepares to read them.
    pub async fn load(paths: &[PathBuf], ctx: &SessionContext) -> Result<DataCatalog, DataError> {
        DataCatalog::load_with(paths, &[], ctx).await
    }

    /// As [`load`](Self::load), with `tables`: files whose every row belongs to the named table
    /// (`--table Name=path`).
    pub async fn load_with(
        paths: &[PathBuf],
        tables: &[(String, PathBuf)],
        ctx: &SessionContext,
    ) -> Result<DataCatalog, DataError> {
        let mut found = Found::default();
        let mut stdin = None;
        for path in paths {
            if path.as_os_str() == "-" {
                let copy = StdinCopy::save()?;
                found.text.push(Assigned {
                    file: copy.file.clone(),
                    default_table: None,
                    forced: false,
                });
                stdin = Some(copy);
                continue;
            }
            for p in expand(path)? {
                collect(&p, None, &mut found)?;
            }
        }
        for (table, path) in tables {
            if path.as_os_str() == "-" {
                let copy = StdinCopy::save()?;
                found.text.push(Assigned {
                    file: copy.file.clone(),
                    default_table: Some(table.clone()),
                    forced: true,
                });
                stdin = Some(copy);
                continue;
            }
            let mut one = Found::default();
            for p in expand(path)? {
                collect(&p, Some(table), &mut one)?;
            }
            for a in &mut one.text {
                a.forced = true;
            }
            found.text.extend(one.text);
            for (_, files) in one.parquet {
                found.parquet.entry(table.clone()).or_default().extend(files);
            }
        }

        let problems = Arc::new(Problems::default());
        let mut catalog =
            DataCatalog { problems: problems.clone(), _stdin: stdin, ..DataCatalog::default() };
        let text_tables = {
            let files = found.text.clone();
            tokio::task::spawn_blocking(move || {
                ingest::discover(&files, &|name| bundled::schema(name).map(<[ColumnDef]>::to_vec))
            })
            .await
            .map_err(|e| DataError(format!("cannot read the data: {e}")))?
        };
        for table in text_tables {
            if found.parquet.contains_key(&table.name) {
                return Err(DataError(format!(
                    "table {}: {} and {} are in different formats (text and Parquet)",
                    table.name,
                    table.files[0],
                    found.parquet[&table.name][0].display()
                )));
            }
            let name = table.name.clone();
            let source = TableSource {
                name: name.clone(),
                files: table.files.clone(),
                extra_columns: table.extra_columns.clone(),
                known: bundled::schema(&name).is_some(),
                text: true,
                bytes: size_of(table.paths().iter()),
            };
            let columns = table.columns.clone();
            let provider = table.provider(&problems, &catalog.progress);
            tracing::debug!(table = %name, files = source.files.len(), columns = columns.len(), "table from text files");
            catalog
                .tables
                .insert(name.clone(), TableInfo { name, columns, provider: Some(provider) });
            catalog.sources.push(source);
        }
        for (name, files) in found.parquet {
            let info = open_parquet(&name, &files, ctx).await?;
            tracing::debug!(table = %name, files = files.len(), columns = info.columns.len(), "table from Parquet files");
            let known = bundled::schema(&name);
            let extra_columns = info
                .columns
                .iter()
                .filter(|c| known.is_some_and(|k| !k.iter().any(|kc| kc.name == c.name)))
                .map(|c| c.name.clone())
                .collect();
            catalog.sources.push(TableSource {
                name: name.clone(),
                files: files.iter().map(|f| f.display().to_string()).collect(),
                extra_columns,
                known: known.is_some(),
                text: false,
                bytes: size_of(files.iter()),
            });
            catalog.tables.insert(name, info);
        }
        catalog.sources.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(catalog)
    }

    pub fn table_count(&self) -> usize {
        self.tables.len()
    }

    /// The tables found and the files behind each.
    pub fn sources(&self) -> &[TableSource] {
        &self.sources
    }

    /// Reads the text tables named once, so that the many queries of a hunt do not each parse
    /// them again: into memory when they are at most `max_memory_bytes` on disk, else into a
    /// temporary Parquet file (removed with the catalog). Reading them checks every value, so
    /// their problems are all counted.
    pub async fn cache(
        &mut self,
        tables: &[String],
        max_memory_bytes: u64,
        ctx: &SessionContext,
    ) -> Result<(), DataError> {
        let partitions = ctx.state().config().target_partitions().max(1);
        for source in &self.sources {
            if !source.text || !tables.contains(&source.name) {
                continue;
            }
            let Some(info) = self.tables.get_mut(&source.name) else { continue };
            let Some(provider) = info.provider.clone() else { continue };
            let err = |e: &dyn std::fmt::Display| DataError(format!("table {}: {e}", source.name));
            let frame = ctx.read_table(provider.clone()).map_err(|e| err(&e))?;
            if source.bytes <= max_memory_bytes {
                let batches = frame.collect().await.map_err(|e| err(&e))?;
                let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions];
                for (i, b) in batches.into_iter().enumerate() {
                    parts[i % partitions].push(b);
                }
                let memory = MemTable::try_new(provider.schema(), parts).map_err(|e| err(&e))?;
                tracing::debug!(table = %source.name, bytes = source.bytes, "text table read into memory");
                info.provider = Some(Arc::new(memory));
                continue;
            }
            let dir = match &self.cache_dir {
                Some(d) => d.path.clone(),
                None => {
                    let d = TempDir::new("cache").map_err(|e| err(&e))?;
                    let path = d.path.clone();
                    self.cache_dir = Some(d);
                    path
                }
            };
            let path = dir.join(format!("{}.parquet", source.name));
            write_parquet(frame, &path, cache_properties()).await.map_err(|e| err(&e))?;
            tracing::debug!(table = %source.name, bytes = source.bytes, file = %path.display(), "text table written to a temporary Parquet file");
            let parquet = open_parquet(&source.name, std::slice::from_ref(&path), ctx).await?;
            info.provider = parquet.provider;
        }
        Ok(())
    }

    /// How much of the text files queries have read so far.
    pub fn progress(&self) -> &Arc<ingest::Progress> {
        &self.progress
    }

    /// Rows and values that could not be read, as counted so far.
    pub fn problems(&self) -> &Arc<Problems> {
        &self.problems
    }
}

impl Catalog for DataCatalog {
    fn table(&self, name: &str) -> Option<TableInfo> {
        if let Some(t) = self.tables.get(name) {
            return Some(t.clone());
        }
        if self.schema_only {
            let columns = bundled::schema(name)?.to_vec();
            return Some(TableInfo { name: name.to_string(), columns, provider: None });
        }
        None
    }

    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.tables.keys().cloned().collect();
        if self.schema_only {
            names.extend(bundled::tables().keys().cloned());
            names.sort();
            names.dedup();
        }
        names
    }
}

/// Standard input saved to a temporary file, removed when dropped.
struct StdinCopy {
    file: TextFile,
}

impl StdinCopy {
    fn save() -> Result<StdinCopy, DataError> {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| DataError(format!("cannot read standard input: {e}")))?;
        let compression = if bytes.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        };
        let first = bytes.iter().find(|c| !c.is_ascii_whitespace()).copied();
        let format = match (compression, first) {
            (Compression::None, Some(b'{' | b'[')) | (Compression::Gzip | Compression::Zstd, _) => {
                TextFormat::Json
            }
            _ => TextFormat::Csv,
        };
        let path = std::env::temp_dir().join(format!("quarry-stdin-{}", std::process::id()));
        std::fs::write(&path, &bytes)
            .map_err(|e| DataError(format!("cannot save standard input: {e}")))?;
        Ok(StdinCopy { file: TextFile { path, display: "<stdin>".into(), format, compression } })
    }
}

impl Drop for StdinCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file.path);
    }
}

#[derive(Default)]
struct Found {
    text: Vec<Assigned>,
    parquet: BTreeMap<String, Vec<PathBuf>>,
}

/// A path, or the paths a glob pattern (`exports/*.json.gz`, `logs/**/*.csv`) matches.
fn expand(path: &Path) -> Result<Vec<PathBuf>, DataError> {
    let text = path.to_string_lossy();
    if !text.contains(['*', '?', '[']) || path.exists() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut paths: Vec<PathBuf> = glob::glob(&text)
        .map_err(|e| DataError(format!("{text}: not a valid pattern: {e}")))?
        .filter_map(Result::ok)
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(DataError(format!("{text}: no file matches")));
    }
    Ok(paths)
}

fn is_parquet(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".parquet"))
}

/// The table a file or folder name stands for: its name up to the first dot.
fn table_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.split('.').next()?;
    (!stem.is_empty()).then(|| stem.to_string())
}

/// Adds the data files under `path` to `found`; `table` is set inside a table's folder.
fn collect(path: &Path, table: Option<&str>, found: &mut Found) -> Result<(), DataError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| DataError(format!("cannot open {}: {e}", path.display())))?;
    if meta.is_file() {
        let name = match table {
            Some(t) => t.to_string(),
            None => table_name(path).ok_or_else(|| {
                DataError(format!("{}: cannot tell which table it holds", path.display()))
            })?,
        };
        if is_parquet(path) {
            found.parquet.entry(name).or_default().push(path.to_path_buf());
            return Ok(());
        }
        let Some((format, compression)) = input::kind_of(path) else {
            return match table {
                Some(_) => Ok(()),
                None => Err(DataError(format!(
                    "{}: not a CSV, JSON or Parquet file (by its extension)",
                    path.display()
                ))),
            };
        };
        let file = TextFile {
            path: path.to_path_buf(),
            display: path.display().to_string(),
            format,
            compression,
        };
        found.text.push(Assigned { file, default_table: Some(name), forced: false });
        return Ok(());
    }
    // A folder named after a known table holds that table; any other folder is searched.
    let inner_table = match table {
        Some(t) => Some(t.to_string()),
        None => table_name(path).filter(|n| bundled::schema(n).is_some()),
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| DataError(format!("cannot list {}: {e}", path.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() || is_parquet(&entry) || input::kind_of(&entry).is_some() {
            collect(&entry, inner_table.as_deref(), found)?;
        }
    }
    Ok(())
}

async fn open_parquet(
    name: &str,
    files: &[PathBuf],
    ctx: &SessionContext,
) -> Result<TableInfo, DataError> {
    let urls = files
        .iter()
        .map(|p| {
            let absolute = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            ListingTableUrl::parse(absolute.to_string_lossy())
                .map_err(|e| DataError(format!("{}: {e}", p.display())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let known = bundled::schema(name);
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .infer_schema(&ctx.state())
        .await
        .map_err(|e| DataError(format!("table {name}: cannot read its schema: {e}")))?;
    let provider =
        ListingTable::try_new(config).map_err(|e| DataError(format!("table {name}: {e}")))?;
    let file_schema = provider.schema();
    let columns = table_columns(known, &file_schema);
    Ok(TableInfo {
        name: name.to_string(),
        columns,
        provider: Some(Arc::new(provider) as Arc<dyn TableProvider>),
    })
}

/// A table's columns: the catalog's (when known) followed by the files' other columns.
fn table_columns(known: Option<&[ColumnDef]>, file_schema: &SchemaRef) -> Vec<ColumnDef> {
    let mut columns: Vec<ColumnDef> = known.map(<[ColumnDef]>::to_vec).unwrap_or_default();
    for f in file_schema.fields() {
        if !columns.iter().any(|c| &c.name == f.name()) {
            columns.push(ColumnDef::new(f.name().clone(), KqlType::from_arrow(f.data_type())));
        }
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_from_paths() {
        assert_eq!(
            table_name(Path::new("x/DeviceNetworkEvents.csv")).as_deref(),
            Some("DeviceNetworkEvents")
        );
        assert_eq!(
            table_name(Path::new("DeviceEvents.part-1.parquet")).as_deref(),
            Some("DeviceEvents")
        );
    }
}
