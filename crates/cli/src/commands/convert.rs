//! `quarry convert`: telemetry in any format to one Parquet file per table, sorted by time and
//! zstd-compressed, so that later hunts read it fast and skip row groups outside their window.

use crate::data::{DataArgs, report_problems};
use anyhow::{Context, Result};
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::schema::types::ColumnPath;
use datafusion::prelude::SessionContext;
use quarry_plan::{Catalog, PlanOptions};
use std::path::PathBuf;
use std::process::ExitCode;

/// Memory the sort may use before it spills to disk.
const SORT_MEMORY_BYTES: usize = 1 << 30;

/// Rows per row group: small enough that a time filter skips most of a large table.
const ROW_GROUP_ROWS: usize = 256 * 1024;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,

    /// The folder to write `<Table>.parquet` files to (created if needed)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.data.is_empty() {
        anyhow::bail!("give the data to convert: --data PATH or --table NAME=PATH");
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let runtime = super::runtime()?;
    let catalog = runtime.block_on(async {
        // Sorting a large table spills to disk rather than holding it all in memory.
        let env = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
            .with_memory_limit(SORT_MEMORY_BYTES, 1.0)
            .build_arc()?;
        let ctx =
            SessionContext::new_with_config_rt(datafusion::prelude::SessionConfig::new(), env);
        let catalog = args.data.load(&args.data.data, &ctx).await?;
        let progress = crate::data::ProgressLine::start(&catalog, args.data.quiet);
        for source in catalog.sources() {
            let path = args.out.join(format!("{}.parquet", source.name));
            let rows = convert(&catalog, &source.name, &ctx, &path).await?;
            eprintln!("convert: {} → {} ({rows} rows)", source.name, path.display());
        }
        drop(progress);
        Ok::<_, anyhow::Error>(catalog)
    })?;
    let failed = report_problems(&catalog, args.data.strict);
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Writes one table, sorted by its time column when it has one.
async fn convert(
    catalog: &quarry_sources::DataCatalog,
    table: &str,
    ctx: &SessionContext,
    path: &std::path::Path,
) -> Result<u64> {
    let info = catalog.table(table).context("the table vanished")?;
    let time = quarry_sources::time_column(&info.columns);
    let quoted = quarry_syntax::format::bracketed(table);
    let kql = match time {
        Some(t) => format!("{quoted} | order by {t} asc"),
        None => quoted,
    };
    let parsed = quarry_syntax::parse(&kql);
    let planned = quarry_plan::plan_query(&parsed.query, catalog, PlanOptions { now: 0 });
    let relation = planned
        .results
        .into_iter()
        .next()
        .with_context(|| format!("cannot plan the conversion of {table}"))?;
    let frame = ctx.execute_logical_plan(relation.plan).await?;
    // Statistics of the time columns let later hunts skip row groups outside their window;
    // those of every string column would cost more to write than they save.
    let mut properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::None);
    for column in ["Timestamp", "TimeGenerated"] {
        properties = properties
            .set_column_statistics_enabled(ColumnPath::from(column), EnabledStatistics::Chunk);
    }
    let rows = quarry_sources::temp::write_parquet(frame, path, properties.build())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(rows)
}
