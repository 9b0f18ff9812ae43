//! `quarry fmt`: print KQL in canonical form.

use anyhow::{Context, Result};
use quarry_syntax::{LineIndex, dump, format};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Report the files that are not formatted (exit 1 if any) instead of printing them
    #[arg(long, conflicts_with_all = ["write", "verify"])]
    check: bool,

    /// Rewrite the files in place
    #[arg(long, conflicts_with = "verify")]
    write: bool,

    /// Check that formatting keeps each query's syntax tree and is stable; print nothing else
    #[arg(long)]
    verify: bool,

    /// KQL files or folders of them; `-` reads standard input
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    let mut unparsed = 0usize;
    let mut checked = 0usize;

    for (path, display, text) in inputs(&args.paths)? {
        checked += 1;
        let formatted = match format::format(&text) {
            Ok(f) => f,
            Err(errors) => {
                unparsed += 1;
                if !args.verify {
                    let index = LineIndex::new(&text);
                    for d in &errors {
                        eprint!("{}", d.render(&display, &text, &index));
                    }
                    failed += 1;
                }
                continue;
            }
        };
        if args.verify {
            if let Err(why) = verify(&text, &formatted) {
                failed += 1;
                writeln!(out, "{display}: {why}")?;
            }
        } else if args.check {
            if formatted != text {
                failed += 1;
                writeln!(out, "{display}")?;
            }
        } else if args.write {
            if formatted != text {
                let path = path.context("cannot write back standard input")?;
                std::fs::write(&path, &formatted)
                    .with_context(|| format!("cannot write {display}"))?;
            }
        } else {
            out.write_all(formatted.as_bytes())?;
        }
    }
    if args.verify {
        writeln!(
            out,
            "verified {checked} files: {} kept their tree, {failed} did not, {unparsed} do not parse",
            checked - failed - unparsed
        )?;
    }
    out.flush()?;
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Formatting must keep the tree, produce text that parses cleanly, and be stable.
fn verify(original: &str, formatted: &str) -> Result<(), String> {
    let before = quarry_syntax::parse(original);
    let after = quarry_syntax::parse(formatted);
    if after.has_errors() {
        let d = after.diagnostics.iter().find(|d| d.is_error()).map(|d| d.message.clone());
        return Err(format!("the formatted text does not parse: {}", d.unwrap_or_default()));
    }
    let (a, b) = (dump::query(&before.query), dump::query(&after.query));
    if a != b {
        let line = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(0);
        return Err(format!(
            "the tree changed:\n  before: {}\n  after:  {}",
            a.lines().nth(line).unwrap_or("").trim(),
            b.lines().nth(line).unwrap_or("").trim()
        ));
    }
    match format::format(formatted) {
        Ok(again) if again == formatted => Ok(()),
        Ok(_) => Err("formatting twice gives a different text".to_string()),
        Err(_) => Err("the formatted text does not format again".to_string()),
    }
}

/// The texts to format: `-` is standard input, folders give their `.kql` files.
fn inputs(paths: &[PathBuf]) -> Result<Vec<(Option<PathBuf>, String, String)>> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).context("cannot read standard input")?;
            inputs.push((None, "<stdin>".to_string(), text));
            continue;
        }
        for (file, shown) in crate::source::collect(std::slice::from_ref(path))? {
            if crate::source::is_rule_file(&file) {
                tracing::debug!(file = %shown, "skipping a rule file: fmt formats .kql files");
                continue;
            }
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {shown}"))?;
            inputs.push((Some(file), shown, text));
        }
    }
    Ok(inputs)
}
