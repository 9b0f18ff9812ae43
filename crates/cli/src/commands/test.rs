//! `quarry test`: run rule tests (`*.tests.yaml`) and report each case.

use crate::rulefiles;
use anyhow::{Context, Result};
use quarry_rules::fixture::{self, FileResult, Outcome};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Rule and test files, or folders of them (default: the bundled rules)
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Exclusions files (`*.exclusions.yaml`) adding exclusions to rules by id or tag; repeatable
    #[arg(long, value_name = "FILE")]
    pub exclusions: Vec<PathBuf>,

    /// Also write the results as JUnit XML to this file
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let set = rulefiles::load(&args.paths, &args.exclusions)?;
    let load_errors = rulefiles::report(&set);
    let runtime = super::runtime()?;
    let mut results = Vec::new();
    for source in &set.tests {
        let result = match fixture::parse_tests(source) {
            Err(diagnostics) => FileResult {
                file: source.name.clone(),
                rule: None,
                cases: Vec::new(),
                errors: diagnostics.iter().map(|d| d.display(&source.name).to_string()).collect(),
                warnings: Vec::new(),
            },
            Ok(tests) => match fixture::rule_for(&tests, &set.rules) {
                Some(rule) => runtime.block_on(fixture::run_tests(&tests, rule)),
                None => FileResult {
                    file: source.name.clone(),
                    rule: None,
                    cases: Vec::new(),
                    errors: vec![format!(
                        "{}: error: no loaded rule for this test file (name it with `rule: <id>` or put it beside its rule)",
                        source.name
                    )],
                    warnings: Vec::new(),
                },
            },
        };
        results.push(result);
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut passed, mut failed) = (0usize, 0usize);
    for r in &results {
        match &r.rule {
            Some((id, name)) => writeln!(out, "{} — {name} ({id})", r.file)?,
            None => writeln!(out, "{}", r.file)?,
        }
        for e in &r.errors {
            writeln!(out, "  {e}")?;
            failed += 1;
        }
        for c in &r.cases {
            match &c.outcome {
                Outcome::Pass => {
                    passed += 1;
                    writeln!(out, "  ok    {}", c.name)?;
                }
                Outcome::Fail(lines) | Outcome::Error(lines) => {
                    failed += 1;
                    let word = if matches!(c.outcome, Outcome::Fail(_)) { "FAIL" } else { "ERROR" };
                    writeln!(out, "  {word}  {}", c.name)?;
                    for l in lines {
                        writeln!(out, "        {l}")?;
                    }
                }
            }
        }
        for w in &r.warnings {
            writeln!(out, "  {w}")?;
        }
    }
    if results.is_empty() {
        writeln!(out, "no test files (*.tests.yaml) found")?;
    }
    writeln!(out, "rule tests: {passed} passed, {failed} failed")?;
    out.flush()?;
    if let Some(path) = &args.junit {
        std::fs::write(path, fixture::junit(&results))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(if failed == 0 && load_errors == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
