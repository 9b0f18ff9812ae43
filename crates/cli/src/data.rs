//! The telemetry options `query`, `hunt` and `tables` share, and the report of unreadable input.

use anyhow::Result;
use datafusion::prelude::SessionContext;
use quarry_sources::DataCatalog;
use std::path::PathBuf;

#[derive(clap::Args, Clone, Default)]
pub struct DataArgs {
    /// Telemetry: files, folders, globs or `-` (standard input); a file or folder named after a
    /// table holds that table, as do records that name their table (Defender streaming
    /// `category`, Log Analytics `Type`)
    #[arg(long, value_name = "PATH")]
    pub data: Vec<PathBuf>,

    /// Read every row of PATH as table NAME, whatever its name or records say; repeatable
    #[arg(long = "table", value_name = "NAME=PATH", value_parser = parse_table)]
    pub tables: Vec<(String, PathBuf)>,

    /// Fail (exit 1) when any row or value of the data cannot be read
    #[arg(long)]
    pub strict: bool,
}

fn parse_table(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_string(), PathBuf::from(path)))
        }
        _ => Err("expected NAME=PATH, as DeviceNetworkEvents=export.csv".into()),
    }
}

impl DataArgs {
    pub fn is_empty(&self) -> bool {
        self.data.is_empty() && self.tables.is_empty()
    }

    pub async fn load(&self, data: &[PathBuf], ctx: &SessionContext) -> Result<DataCatalog> {
        Ok(DataCatalog::load_with(data, &self.tables, ctx).await?)
    }
}

/// Prints what could not be read, on standard error. Returns true when `strict` makes that a
/// failure (exit status 1).
pub fn report_problems(catalog: &DataCatalog, strict: bool) -> bool {
    let summary = catalog.problems().summary();
    if summary.is_empty() {
        return false;
    }
    eprint!("{summary}");
    if strict {
        eprintln!(
            "error: --strict: {} rows or values of the data could not be read",
            catalog.problems().total()
        );
    }
    strict
}
