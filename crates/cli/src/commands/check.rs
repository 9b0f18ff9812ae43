//! `quarry check`: report every error in KQL files and rule files.

use crate::source::{self, QueryFile, QueryFileKind};
use anyhow::Result;
use clap::ValueEnum;
use quarry_syntax::{Diagnostic, LineCol, Severity};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Only parse; do not resolve table, column and function names
    #[arg(long)]
    syntax_only: bool,

    /// Output format: text for people, json for one object per file and line
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// KQL files (.kql), rule files (.yaml, .yml), or folders holding them
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Serialize)]
struct FileReport<'a> {
    file: &'a str,
    ok: bool,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    message: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

/// One problem found in a file, at file positions.
struct Found {
    diagnostic: Diagnostic,
    start: LineCol,
    end: LineCol,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let files = source::collect(&args.paths)?;
    let catalog = quarry_sources::DataCatalog::schema_only();
    let bind = (!args.syntax_only).then_some(&catalog);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;

    for (path, display) in &files {
        let (text, found) = match QueryFile::load(path, display.clone()) {
            Ok(file) => {
                let found = check_file(&file, bind);
                (file.text, found)
            }
            Err(err) => {
                let at = LineCol { line: 1, column: 1 };
                let d = Diagnostic::syntax(quarry_syntax::Span::at(0), format!("{err:#}"));
                (String::new(), vec![Found { diagnostic: d, start: at, end: at }])
            }
        };
        let ok = !found.iter().any(|f| f.diagnostic.is_error());
        failed += usize::from(!ok);
        match args.format {
            Format::Json => {
                let report = FileReport {
                    file: display,
                    ok,
                    diagnostics: found
                        .iter()
                        .map(|f| JsonDiagnostic {
                            severity: f.diagnostic.severity,
                            message: &f.diagnostic.message,
                            line: f.start.line,
                            column: f.start.column,
                            end_line: f.end.line,
                            end_column: f.end.column,
                        })
                        .collect(),
                };
                serde_json::to_writer(&mut out, &report)?;
                writeln!(out)?;
            }
            Format::Text => {
                for f in &found {
                    let rendered = f.diagnostic.render_at(display, &text, f.start, f.end);
                    writeln!(out, "{rendered}")?;
                }
            }
        }
    }

    if matches!(args.format, Format::Text) {
        let noun = if files.len() == 1 { "file" } else { "files" };
        writeln!(
            out,
            "checked {} {noun}: {} ok, {failed} with errors",
            files.len(),
            files.len() - failed
        )?;
    }
    out.flush()?;
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Parses a file's query and, with a catalog, binds it: tables, columns, functions, types.
fn check_file(file: &QueryFile, catalog: Option<&quarry_sources::DataCatalog>) -> Vec<Found> {
    let query = match file.query() {
        Ok(q) => q,
        Err((message, at)) => {
            let diagnostic = Diagnostic::syntax(quarry_syntax::Span::at(0), message);
            return vec![Found { diagnostic, start: at, end: at }];
        }
    };
    let parsed = quarry_syntax::parse(query);
    tracing::debug!(file = %file.display, diagnostics = parsed.diagnostics.len(), "parsed");
    let mut diagnostics = parsed.diagnostics;
    if let Some(catalog) = catalog.filter(|_| !diagnostics.iter().any(Diagnostic::is_error)) {
        let options = quarry_plan::PlanOptions { now: super::query::now_nanos() };
        let planned = quarry_plan::plan_query(&parsed.query, catalog, options);
        diagnostics.extend(planned.diagnostics);
    }
    let mut found: Vec<Found> = diagnostics
        .into_iter()
        .map(|diagnostic| {
            let (start, end) = file.range(&diagnostic);
            Found { diagnostic, start, end }
        })
        .collect();
    if catalog.is_some() && matches!(file.kind, QueryFileKind::Rule(_)) {
        found.extend(rule_fields(file));
    }
    found
}

/// A rule file's own fields, validated as `quarry hunt` loads them (the query aside).
fn rule_fields(file: &QueryFile) -> Vec<Found> {
    let loaded = quarry_rules::load_rule(&file.display, &file.text);
    loaded
        .diagnostics
        .into_iter()
        .map(|d| {
            let severity = if d.is_error() { Severity::Error } else { Severity::Warning };
            let diagnostic = Diagnostic {
                severity,
                kind: quarry_syntax::DiagnosticKind::Semantic,
                span: quarry_syntax::Span::at(0),
                message: d.message,
                help: None,
            };
            let start = LineCol { line: d.line, column: d.column };
            let end = LineCol { line: d.line, column: d.column + 1 };
            Found { diagnostic, start, end }
        })
        .collect()
}
