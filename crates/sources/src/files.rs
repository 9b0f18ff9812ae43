//! Telemetry files as tables. A file or folder named after a table (`DeviceNetworkEvents.csv`,
//! `DeviceNetworkEvents.parquet`, `DeviceNetworkEvents/`) holds that table's rows; other
//! folders are searched for such files and folders.
//!
//! A table the bundled catalog knows gets the catalog's columns (and any extra column the
//! files have); the planner converts each file column to the catalog's type. Other tables get
//! the schema the files imply.

use crate::bundled;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Format {
    Csv,
    Json,
    Parquet,
}

impl Format {
    fn of(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".csv") {
            Some(Format::Csv)
        } else if name.ends_with(".json") || name.ends_with(".ndjson") || name.ends_with(".jsonl") {
            Some(Format::Json)
        } else if name.ends_with(".parquet") {
            Some(Format::Parquet)
        } else {
            None
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => ".csv",
            Format::Json => ".json",
            Format::Parquet => ".parquet",
        }
    }
}

/// The tables given as data, over the bundled catalog's schemas.
#[derive(Default)]
pub struct DataCatalog {
    tables: BTreeMap<String, TableInfo>,
    /// Whether bundled tables without data count as known (empty): for checking queries.
    schema_only: bool,
}

impl DataCatalog {
    /// A catalog of the bundled schemas alone, for binding queries without data.
    pub fn schema_only() -> DataCatalog {
        DataCatalog { tables: BTreeMap::new(), schema_only: true }
    }

    /// Finds the tables under `paths` and prepares to read them.
    pub async fn load(paths: &[PathBuf], ctx: &SessionContext) -> Result<DataCatalog, DataError> {
        let mut found: BTreeMap<String, Vec<(PathBuf, Format)>> = BTreeMap::new();
        for path in paths {
            collect(path, None, &mut found)?;
        }
        let mut tables = BTreeMap::new();
        for (name, files) in found {
            let info = open_table(&name, &files, ctx).await?;
            tracing::debug!(table = %name, files = files.len(), columns = info.columns.len(), "table from files");
            tables.insert(name, info);
        }
        Ok(DataCatalog { tables, schema_only: false })
    }

    pub fn table_count(&self) -> usize {
        self.tables.len()
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

/// The table a file or folder name stands for: its name up to the first dot.
fn table_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.split('.').next()?;
    (!stem.is_empty()).then(|| stem.to_string())
}

/// Adds the data files under `path` to `found`; `table` is set inside a table's folder.
fn collect(
    path: &Path,
    table: Option<&str>,
    found: &mut BTreeMap<String, Vec<(PathBuf, Format)>>,
) -> Result<(), DataError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| DataError(format!("cannot open {}: {e}", path.display())))?;
    if meta.is_file() {
        let Some(format) = Format::of(path) else {
            return match table {
                Some(_) => Ok(()),
                None => Err(DataError(format!(
                    "{}: not a CSV, JSON or Parquet file (by its extension)",
                    path.display()
                ))),
            };
        };
        let name = match table {
            Some(t) => t.to_string(),
            None => table_name(path).ok_or_else(|| {
                DataError(format!("{}: cannot tell which table it holds", path.display()))
            })?,
        };
        found.entry(name).or_default().push((path.to_path_buf(), format));
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
        if entry.is_dir() || Format::of(&entry).is_some() {
            collect(&entry, inner_table.as_deref(), found)?;
        }
    }
    Ok(())
}

async fn open_table(
    name: &str,
    files: &[(PathBuf, Format)],
    ctx: &SessionContext,
) -> Result<TableInfo, DataError> {
    let format = files[0].1;
    if let Some((other, _)) = files.iter().find(|(_, f)| *f != format) {
        return Err(DataError(format!(
            "table {name}: {} and {} are in different formats",
            files[0].0.display(),
            other.display()
        )));
    }
    let urls = files
        .iter()
        .map(|(p, _)| {
            let absolute = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            ListingTableUrl::parse(absolute.to_string_lossy())
                .map_err(|e| DataError(format!("{}: {e}", p.display())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let known = bundled::schema(name);
    let options = match format {
        Format::Csv => ListingOptions::new(Arc::new(CsvFormat::default().with_has_header(true))),
        Format::Json => ListingOptions::new(Arc::new(JsonFormat::default())),
        Format::Parquet => ListingOptions::new(Arc::new(ParquetFormat::default())),
    }
    .with_file_extension(file_extension(&files[0].0, format));
    let config = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options);
    let config = match (format, known) {
        // A known table's CSV is read as text; the planner converts each column with KQL's
        // rules, so one bad value becomes null rather than failing the file.
        (Format::Csv, Some(_)) => config.with_schema(text_schema(&files[0].0)?),
        _ => config
            .infer_schema(&ctx.state())
            .await
            .map_err(|e| DataError(format!("table {name}: cannot read its schema: {e}")))?,
    };
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

/// The extension DataFusion should list: the full suffix after the table name (`.csv`,
/// `.ndjson`, ...).
fn file_extension(path: &Path, format: Format) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_ascii_lowercase();
    for ext in [".ndjson", ".jsonl", ".json", ".csv", ".parquet"] {
        if name.ends_with(ext) {
            return ext.to_string();
        }
    }
    format.extension().to_string()
}

/// A schema of text columns named by the CSV file's header line.
fn text_schema(path: &Path) -> Result<SchemaRef, DataError> {
    use std::io::BufRead;
    let file = std::fs::File::open(path)
        .map_err(|e| DataError(format!("cannot open {}: {e}", path.display())))?;
    let mut header = String::new();
    std::io::BufReader::new(file)
        .read_line(&mut header)
        .map_err(|e| DataError(format!("cannot read {}: {e}", path.display())))?;
    let header = header.trim_start_matches('\u{feff}').trim_end_matches(['\r', '\n']);
    if header.is_empty() {
        return Err(DataError(format!("{}: no header line", path.display())));
    }
    let fields: Vec<Field> =
        split_csv_line(header).into_iter().map(|n| Field::new(n, DataType::Utf8, true)).collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// The fields of one CSV line, with double-quoted fields unquoted.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    fields.push(current);
    fields
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
    fn csv_header_fields() {
        assert_eq!(split_csv_line(r#"a,"b,c","d""e""#), vec!["a", "b,c", "d\"e"]);
    }

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
