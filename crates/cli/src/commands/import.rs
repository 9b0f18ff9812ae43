//! `quarry import`: turn a rule card (prose, KQL, rule YAML, benign scenarios) into a rule file.

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The rule card
    #[arg(value_name = "CARD")]
    card: PathBuf,

    /// Write the rule file here instead of standard output
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let name = args.card.display().to_string();
    let text =
        std::fs::read_to_string(&args.card).with_context(|| format!("cannot read {name}"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match quarry_rules::card::import(&name, text) {
        Ok(imported) => {
            for w in &imported.warnings {
                eprintln!("{}", w.display(&name));
            }
            match &args.output {
                Some(path) => std::fs::write(path, &imported.yaml)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{}", imported.yaml),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{}", e.display(&name));
            }
            Ok(ExitCode::from(1))
        }
    }
}
