//! `quarry query`: run a KQL query over telemetry files.

use crate::results::{self, Format};
use anyhow::{Context, Result, bail};
use datafusion::prelude::{SessionConfig, SessionContext};
use quarry_plan::{PlanOptions, plan_query};
use quarry_sources::DataCatalog;
use quarry_syntax::{Diagnostic, LineIndex};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The query text (or use --file)
    #[arg(value_name = "KQL", required_unless_present = "file", conflicts_with = "file")]
    query: Option<String>,

    /// Read the query from a file
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,

    /// Telemetry: files or folders named after their tables (DeviceNetworkEvents.csv, ...)
    #[arg(long, value_name = "PATH")]
    data: Vec<PathBuf>,

    /// The time `now()` and `ago()` count from, as RFC 3339 (default: the clock)
    #[arg(long, value_name = "TIME")]
    now: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (text, source) = match (&args.query, &args.file) {
        (Some(q), _) => (q.clone(), "<query>".to_string()),
        (None, Some(f)) => (
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?,
            f.display().to_string(),
        ),
        (None, None) => bail!("give a query, or --file"),
    };
    let now = match &args.now {
        Some(t) => quarry_functions::time::parse_datetime(t)
            .with_context(|| format!("--now {t:?} is not a date and time (use RFC 3339)"))?,
        None => now_nanos(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the query runtime")?;
    runtime.block_on(run_query(&text, &source, &args.data, now, args.format))
}

fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

fn report(source: &str, text: &str, diagnostics: &[Diagnostic]) {
    let index = LineIndex::new(text);
    for d in diagnostics {
        eprint!("{}", d.render(source, text, &index));
    }
}

async fn run_query(
    text: &str,
    source: &str,
    data: &[PathBuf],
    now: i64,
    format: Format,
) -> Result<ExitCode> {
    let parsed = quarry_syntax::parse(text);
    if parsed.has_errors() {
        report(source, text, &parsed.diagnostics);
        return Ok(ExitCode::from(1));
    }
    let config = SessionConfig::new().with_information_schema(false);
    let ctx = SessionContext::new_with_config(config);
    let catalog = match DataCatalog::load(data, &ctx).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let planned = plan_query(&parsed.query, &catalog, PlanOptions { now });
    report(source, text, &planned.diagnostics);
    if planned.has_errors() {
        return Ok(ExitCode::from(1));
    }
    if planned.results.is_empty() {
        eprintln!(
            "error: the query has no result: its last statement must be a tabular expression"
        );
        return Ok(ExitCode::from(1));
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for result in planned.results {
        tracing::debug!(plan = %result.plan.display_indent(), "logical plan");
        let frame = ctx.execute_logical_plan(result.plan).await;
        let batches = match frame {
            Ok(f) => f.collect().await,
            Err(e) => Err(e),
        };
        let batches = match batches {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {}", execution_message(&e));
                return Ok(ExitCode::from(1));
            }
        };
        results::write(&mut out, format, &result.columns, &batches)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A DataFusion error as a user should read it: without the "Execution error:" layers, and
/// saying "not supported" for what the engine lacks.
fn execution_message(e: &datafusion::error::DataFusionError) -> String {
    use datafusion::error::DataFusionError as E;
    match e.find_root() {
        E::NotImplemented(m) => format!("not supported yet: {m}"),
        E::Execution(m) => m.clone(),
        other => other.to_string(),
    }
}
