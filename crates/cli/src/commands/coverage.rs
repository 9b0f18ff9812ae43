//! `quarry coverage`: the ATT&CK techniques the rules cover, as an ATT&CK Navigator layer.

use crate::commands::hunt::data_and_now;
use crate::rulefiles;
use anyhow::{Context, Result};
use datafusion::prelude::SessionContext;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Rule files or folders of them (default: the bundled rules)
    #[arg(long, value_name = "PATH")]
    rules: Vec<PathBuf>,

    /// Exclusions files (`*.exclusions.yaml`) adding exclusions to rules by id or tag; repeatable
    #[arg(long, value_name = "FILE")]
    pub exclusions: Vec<PathBuf>,

    /// Also run the rules over this telemetry and mark the techniques that fired
    #[command(flatten)]
    data: crate::data::DataArgs,

    /// The time rules run at with --data, as RFC 3339 (default: the clock)
    #[arg(long, value_name = "TIME")]
    now: Option<String>,

    /// Write the layer to a file instead of standard output
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let set = rulefiles::load(&args.rules, &args.exclusions)?;
    let load_errors = rulefiles::report(&set);
    let fired = if args.data.is_empty() {
        None
    } else {
        let (data, now) = data_and_now(&args.data, args.now.as_deref())?;
        let runtime = super::runtime()?;
        let report = runtime.block_on(async {
            let ctx = SessionContext::new();
            let catalog = args.data.load(&data, &ctx).await?;
            Ok::<_, anyhow::Error>(
                quarry_rules::hunt(
                    &set.rules,
                    &catalog,
                    &ctx,
                    now,
                    quarry_rules::hunt::Exclusions::All,
                )
                .await,
            )
        })?;
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for a in &report.alerts {
            *counts.entry(a.rule_id.clone()).or_default() += 1;
        }
        Some(counts)
    };
    let layer = quarry_rules::coverage::navigator_layer(&set.rules, fired.as_ref());
    let text = serde_json::to_string_pretty(&layer)? + "\n";
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(if load_errors == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
