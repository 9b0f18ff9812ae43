//! `quarry hunt`: run rules over telemetry and print the alerts they raise.

use crate::bundled;
use crate::rulefiles;
use anyhow::{Context, Result};
use clap::ValueEnum;
use datafusion::prelude::SessionContext;
use quarry_rules::hunt::{Exclusions, HuntReport};
use quarry_rules::{Alert, Rule, Severity};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Text tables up to this size on disk are kept in memory for a hunt; larger ones are written
/// to a temporary Parquet file.
const MEMORY_CACHE_BYTES: u64 = 512 << 20;

#[derive(clap::Args)]
pub struct Args {
    /// Rule files or folders of them (default: the bundled rules)
    #[arg(long, value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// Exclusions files (`*.exclusions.yaml`) adding exclusions to rules by id or tag; repeatable
    #[arg(long, value_name = "FILE")]
    pub exclusions: Vec<PathBuf>,

    /// Telemetry (default: the bundled demo data)
    #[command(flatten)]
    pub data: crate::data::DataArgs,

    /// The time rules run at, as RFC 3339 (default: the clock; the demo's own with demo data)
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Write the alerts to a file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Only rules of this severity or higher
    #[arg(long, value_name = "LEVEL", value_parser = parse_severity)]
    pub severity: Option<Severity>,

    /// Only rules with this tactic (Sentinel's name, e.g. CommandAndControl); repeatable
    #[arg(long, value_name = "TACTIC")]
    pub tactic: Vec<String>,

    /// Only rules with this technique or one of its sub-techniques (e.g. T1219); repeatable
    #[arg(long, value_name = "ID")]
    pub technique: Vec<String>,

    /// Only rules with this tag; repeatable
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,

    /// Only the rule with this id; repeatable
    #[arg(long = "rule-id", value_name = "ID")]
    pub rule_id: Vec<String>,

    /// Run the rules without their exclusions (to see what the exclusions hide)
    #[arg(long)]
    pub no_exclusions: bool,

    /// Exit with status 3 when any alert fired (for pipelines)
    #[arg(long)]
    pub fail_on_alert: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Ndjson,
    Csv,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text).ok_or_else(|| "one of Informational, Low, Medium, High".to_string())
}

/// The rules selected by the filters.
fn selected(rules: Vec<Rule>, args: &Args) -> Vec<Rule> {
    rules
        .into_iter()
        .filter(|r| args.severity.is_none_or(|s| r.severity >= s))
        .filter(|r| {
            args.tactic.is_empty()
                || r.tactics.iter().any(|t| args.tactic.iter().any(|a| a.eq_ignore_ascii_case(t)))
        })
        .filter(|r| {
            args.technique.is_empty()
                || r.techniques.iter().any(|t| {
                    args.technique
                        .iter()
                        .any(|a| t.eq_ignore_ascii_case(a) || t.starts_with(&format!("{a}.")))
                })
        })
        .filter(|r| {
            args.tag.is_empty()
                || r.tags.iter().any(|t| args.tag.iter().any(|a| a.eq_ignore_ascii_case(t)))
        })
        .filter(|r| {
            args.rule_id.is_empty() || args.rule_id.iter().any(|id| id.eq_ignore_ascii_case(&r.id))
        })
        .collect()
}

/// The data paths and the time to run at: the user's, or the bundled demo and its clock.
pub fn data_and_now(
    args: &crate::data::DataArgs,
    now: Option<&str>,
) -> Result<(Vec<PathBuf>, i64)> {
    let data = &args.data;
    let (data, demo) = if args.is_empty() {
        eprintln!(
            "hunt: no --data given: using the bundled demo telemetry (its clock is {})",
            bundled::DEMO_NOW
        );
        (vec![bundled::demo_folder()?], true)
    } else {
        (data.to_vec(), false)
    };
    let now = match now {
        Some(t) => quarry_functions::time::parse_datetime(t)
            .with_context(|| format!("--now {t:?} is not a date and time (use RFC 3339)"))?,
        None if demo => quarry_functions::time::parse_datetime(bundled::DEMO_NOW).unwrap_or(0),
        None => crate::commands::query::now_nanos(),
    };
    Ok((data, now))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let set = rulefiles::load(&args.rules, &args.exclusions)?;
    let load_errors = rulefiles::report(&set);
    let rules = selected(set.rules, &args);
    let (paths, now) = data_and_now(&args.data, args.now.as_deref())?;
    let runtime = super::runtime()?;
    let report = runtime.block_on(async {
        let ctx = SessionContext::new();
        let mut catalog = args.data.load(&paths, &ctx).await?;
        tracing::debug!(tables = catalog.table_count(), rules = rules.len(), "hunting");
        // Many rules read the same tables: parse each text table once.
        let mut read: Vec<String> = rules
            .iter()
            .filter_map(|r| quarry_rules::hunt::tables_read(r, &catalog).ok())
            .flatten()
            .collect();
        read.sort();
        read.dedup();
        let progress = crate::data::ProgressLine::start(&catalog, args.data.quiet);
        catalog.cache(&read, MEMORY_CACHE_BYTES, &ctx).await?;
        drop(progress);
        let exclusions = if args.no_exclusions { Exclusions::Ignore } else { Exclusions::All };
        let progress = crate::data::ProgressLine::start(&catalog, args.data.quiet);
        let report = quarry_rules::hunt(&rules, &catalog, &ctx, now, exclusions).await;
        drop(progress);
        Ok::<_, anyhow::Error>((report, catalog))
    })?;
    let (report, catalog) = report;

    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    write_alerts(&mut out, args.format, &report.alerts, &rules)?;
    out.flush()?;
    summarize(&report, rules.len());
    let strict_failure = crate::data::report_problems(&catalog, args.data.strict);

    let failed = load_errors > 0 || !report.failed.is_empty() || strict_failure;
    Ok(if failed {
        ExitCode::from(1)
    } else if args.fail_on_alert && !report.alerts.is_empty() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// The run's summary on standard error: skipped and failed rules, exclusions, counts.
fn summarize(report: &HuntReport, selected: usize) {
    for f in &report.failed {
        for m in &f.messages {
            eprintln!("{m}");
        }
    }
    // Rules skipped for the same reason (a table the data lacks) are counted together; a few
    // are named, all of them with -v.
    let mut by_reason: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for s in &report.skipped {
        tracing::debug!(rule = %s.rule_id, name = %s.rule_name, reason = %s.reason, "skipped");
        by_reason.entry(s.reason.as_str()).or_default().push(s.rule_name.as_str());
    }
    for (reason, names) in by_reason {
        match names.as_slice() {
            [one] => eprintln!("skipped: {one}: {reason}"),
            many => eprintln!(
                "skipped {} rules: {reason} ({}{})",
                many.len(),
                many.iter().take(3).copied().collect::<Vec<_>>().join("; "),
                if many.len() > 3 { "; ..." } else { "" }
            ),
        }
    }
    for e in &report.exclusions {
        let every = if e.alerts_suppressed > 0 && e.alerts_suppressed == e.alerts_without {
            format!(": every alert of rule {}", e.rule_id)
        } else {
            String::new()
        };
        eprintln!(
            "exclusion: \"{}\" ({}) removed {} row{} and suppressed {} alert{}{every}",
            e.label,
            e.place,
            e.rows_removed,
            if e.rows_removed == 1 { "" } else { "s" },
            e.alerts_suppressed,
            if e.alerts_suppressed == 1 { "" } else { "s" },
        );
    }
    let firing: std::collections::BTreeSet<&str> =
        report.alerts.iter().map(|a| a.rule_id.as_str()).collect();
    eprintln!(
        "hunt: {} alert{} from {} rule{}; {} of {selected} rules ran, {} skipped, {} failed",
        report.alerts.len(),
        if report.alerts.len() == 1 { "" } else { "s" },
        firing.len(),
        if firing.len() == 1 { "" } else { "s" },
        report.rules_run,
        report.skipped.len(),
        report.failed.len(),
    );
}

fn entity_text(alert: &Alert) -> String {
    alert
        .entities
        .iter()
        .map(|e| {
            let values: Vec<String> = e
                .properties
                .iter()
                .filter(|(k, _)| e.kind != "FileHash" || k.as_str() == "Value")
                .map(|(_, v)| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            format!("{} {}", e.kind, values.join(" "))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn technique_text(alert: &Alert) -> String {
    alert
        .techniques
        .iter()
        .map(|t| match &t.name {
            Some(name) => format!("{} {name}", t.id),
            None => t.id.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn write_alerts(
    out: &mut dyn Write,
    format: Format,
    alerts: &[Alert],
    rules: &[Rule],
) -> Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, alerts)?;
            writeln!(out)?;
        }
        Format::Ndjson => {
            for a in alerts {
                serde_json::to_writer(&mut *out, a)?;
                writeln!(out)?;
            }
        }
        Format::Csv => {
            use quarry_plan::output::csv_field;
            writeln!(
                out,
                "rule_id,rule_name,severity,tactics,techniques,first_time,last_time,entities,rows"
            )?;
            for a in alerts {
                let fields = [
                    a.rule_id.clone(),
                    a.rule_name.clone(),
                    a.severity.clone(),
                    a.tactics.join(";"),
                    a.techniques.iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(";"),
                    a.first_time.clone().unwrap_or_default(),
                    a.last_time.clone().unwrap_or_default(),
                    entity_text(a),
                    serde_json::to_string(&a.rows)?,
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
        Format::Table => write_table(out, alerts, rules)?,
    }
    Ok(())
}

/// A time as people read it in a table: to the second, UTC.
fn short_time(t: &Option<String>) -> String {
    match t {
        Some(t) if t.len() >= 19 => format!("{} {}", &t[..10], &t[11..19]),
        Some(t) => t.clone(),
        None => String::new(),
    }
}

/// Alerts grouped by rule, in rule order: a heading per rule, then one line per alert.
fn write_table(out: &mut dyn Write, alerts: &[Alert], rules: &[Rule]) -> Result<()> {
    if alerts.is_empty() {
        writeln!(out, "No alerts.")?;
        return Ok(());
    }
    for rule in rules {
        let mine: Vec<&Alert> = alerts.iter().filter(|a| a.rule_id == rule.id).collect();
        let Some(first) = mine.first() else { continue };
        let n = mine.len();
        writeln!(
            out,
            "■ {}  [{}]  {}  {}  ({n} alert{})",
            rule.name,
            first.severity,
            technique_text(first),
            first.tactics.join(", "),
            if n == 1 { "" } else { "s" }
        )?;
        let rows: Vec<Vec<String>> = mine
            .iter()
            .map(|a| vec![short_time(&a.first_time), short_time(&a.last_time), entity_text(a)])
            .collect();
        quarry_plan::output::write_text_table(
            out,
            &["First seen (UTC)", "Last seen (UTC)", "Entities"],
            &rows,
        )?;
        writeln!(out)?;
    }
    Ok(())
}
