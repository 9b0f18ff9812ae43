//! `quarry query`: run a KQL query over telemetry files.

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use datafusion::prelude::{SessionConfig, SessionContext};
use quarry_plan::output::{self, Format};
use quarry_plan::{PlanOptions, RunError};
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

    #[command(flatten)]
    data: crate::data::DataArgs,

    /// The time `now()` and `ago()` count from, as RFC 3339 (default: the clock)
    #[arg(long, value_name = "TIME")]
    now: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Table,
    Csv,
    Json,
    Ndjson,
}

impl From<OutputFormat> for Format {
    fn from(f: OutputFormat) -> Format {
        match f {
            OutputFormat::Table => Format::Table,
            OutputFormat::Csv => Format::Csv,
            OutputFormat::Json => Format::Json,
            OutputFormat::Ndjson => Format::Ndjson,
        }
    }
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
    let runtime = super::runtime()?;
    runtime.block_on(run_query(&text, &source, &args.data, now, args.format.into()))
}

pub(crate) fn now_nanos() -> i64 {
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
    data: &crate::data::DataArgs,
    now: i64,
    format: Format,
) -> Result<ExitCode> {
    let ctx = SessionContext::new_with_config(SessionConfig::new());
    let catalog = match data.load(&data.data, &ctx).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let progress = crate::data::ProgressLine::start(&catalog, data.quiet);
    let run = quarry_plan::run(text, &catalog, &ctx, PlanOptions { now }).await;
    drop(progress);
    let run = match run {
        Ok(run) => run,
        Err(RunError::Query(diagnostics)) => {
            report(source, text, &diagnostics);
            return Ok(ExitCode::from(1));
        }
        Err(RunError::Execution(message)) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(1));
        }
    };
    report(source, text, &run.warnings);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for table in &run.tables {
        output::write(&mut out, format, &table.columns, &table.batches)?;
    }
    out.flush()?;
    let failed = crate::data::report_problems(&catalog, data.strict);
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
