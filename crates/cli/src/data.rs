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

    /// Show no progress line while reading
    #[arg(long, short)]
    pub quiet: bool,
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

/// A progress line on standard error while the data is read: shown once a scan has taken more
/// than a second, only on a terminal, never with `--quiet`; erased when dropped.
pub struct ProgressLine {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressLine {
    pub fn start(catalog: &DataCatalog, quiet: bool) -> ProgressLine {
        use std::io::IsTerminal;
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        if quiet || !std::io::stderr().is_terminal() {
            return ProgressLine { stop, thread: None };
        }
        let progress = catalog.progress().clone();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let mut shown = false;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(200));
                if started.elapsed() < std::time::Duration::from_secs(1) {
                    continue;
                }
                let bytes = progress.bytes.load(Ordering::Relaxed) as f64;
                let rows = progress.rows.load(Ordering::Relaxed);
                // Only text files count what they read; a Parquet scan shows nothing.
                if rows == 0 {
                    continue;
                }
                let rate = bytes / started.elapsed().as_secs_f64() / 1e6;
                eprint!("\r\x1b[2Kreading: {:.1} MB, {rows} rows ({rate:.0} MB/s)", bytes / 1e6);
                shown = true;
            }
            if shown {
                eprint!("\r\x1b[2K");
            }
        });
        ProgressLine { stop, thread: Some(thread) }
    }
}

impl Drop for ProgressLine {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
