//! `quarry tables`: the tables found in the data, with their files, row counts, time range and
//! the columns the catalog does not know.

use crate::data::{DataArgs, report_problems};
use anyhow::{Context, Result};
use clap::ValueEnum;
use datafusion::prelude::SessionContext;
use quarry_plan::{Catalog, PlanOptions};
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Serialize)]
struct TableReport {
    table: String,
    known: bool,
    files: Vec<String>,
    rows: u64,
    first_time: Option<String>,
    last_time: Option<String>,
    unknown_columns: Vec<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.data.is_empty() {
        anyhow::bail!("give the data to list: --data PATH or --table NAME=PATH");
    }
    let runtime = super::runtime()?;
    let (reports, catalog) = runtime.block_on(async {
        let ctx = SessionContext::new();
        let catalog = args.data.load(&args.data.data, &ctx).await?;
        let mut reports = Vec::new();
        let progress = crate::data::ProgressLine::start(&catalog, args.data.quiet);
        for source in catalog.sources() {
            validate(&catalog, &source.name, &ctx).await?;
            let (rows, first_time, last_time) = stats(&catalog, &source.name, &ctx).await?;
            reports.push(TableReport {
                table: source.name.clone(),
                known: source.known,
                files: source.files.clone(),
                rows,
                first_time,
                last_time,
                unknown_columns: source.extra_columns.clone(),
            });
        }
        drop(progress);
        Ok::<_, anyhow::Error>((reports, catalog))
    })?;

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &reports)?;
            writeln!(out)?;
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = reports
                .iter()
                .map(|r| {
                    vec![
                        if r.known {
                            r.table.clone()
                        } else {
                            format!("{} (not in the catalog)", r.table)
                        },
                        r.rows.to_string(),
                        r.first_time.clone().unwrap_or_default(),
                        r.last_time.clone().unwrap_or_default(),
                        r.files.join(", "),
                        r.unknown_columns.join(", "),
                    ]
                })
                .collect();
            quarry_plan::output::write_text_table(
                &mut out,
                &["Table", "Rows", "First", "Last", "Files", "Unknown columns"],
                &rows,
            )?;
        }
    }
    out.flush()?;
    let failed = report_problems(&catalog, args.data.strict);
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Reads every column of every row, so that each value that cannot be read is counted.
async fn validate(
    catalog: &quarry_sources::DataCatalog,
    table: &str,
    ctx: &SessionContext,
) -> Result<()> {
    use futures::StreamExt;
    let Some(provider) = catalog.table(table).and_then(|t| t.provider) else { return Ok(()) };
    let mut stream = ctx.read_table(provider)?.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        batch?;
    }
    Ok(())
}

/// A table's row count and time range (of `Timestamp`, else `TimeGenerated`).
async fn stats(
    catalog: &quarry_sources::DataCatalog,
    table: &str,
    ctx: &SessionContext,
) -> Result<(u64, Option<String>, Option<String>)> {
    let info = catalog.table(table).context("the table vanished")?;
    let time = quarry_sources::time_column(&info.columns);
    let quoted = quarry_syntax::format::bracketed(table);
    let kql = match time {
        Some(t) => format!("{quoted} | summarize count(), min({t}), max({t})"),
        None => format!("{quoted} | summarize count()"),
    };
    let run = quarry_plan::run(&kql, catalog, ctx, PlanOptions { now: 0 })
        .await
        .map_err(|e| anyhow::anyhow!("cannot count the rows of {table}: {e:?}"))?;
    let result = run.tables.last().context("no result")?;
    let rows = quarry_plan::output::json_rows(&result.columns, &result.batches)?;
    let row = rows.first().and_then(|r| r.as_array()).cloned().unwrap_or_default();
    let count = row.first().and_then(|v| v.as_u64()).unwrap_or(0);
    let text = |i: usize| row.get(i).and_then(|v| v.as_str()).map(str::to_string);
    Ok((count, text(1), text(2)))
}
