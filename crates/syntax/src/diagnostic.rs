//! Diagnostics are data: the parser collects them and keeps going; callers decide how to show
//! them. Each carries a span, a kind that keeps "not supported yet" apart from "invalid", and a
//! message that says what was expected.

use crate::span::{LineCol, LineIndex, Span};
use serde::Serialize;
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Why a diagnostic was raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The text is not valid KQL.
    Syntax,
    /// Valid KQL that Quarry does not handle yet.
    Unsupported,
    /// The input exceeds one of the parser's limits (nesting depth).
    Limit,
    /// A name that does not resolve, a type mismatch: valid syntax that cannot run.
    Semantic,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub kind: DiagnosticKind,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(kind: DiagnosticKind, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, kind, span, message: message.into(), help: None }
    }

    pub fn syntax(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(DiagnosticKind::Syntax, span, message)
    }

    pub fn unsupported(span: Span, what: impl std::fmt::Display) -> Diagnostic {
        Diagnostic::error(DiagnosticKind::Unsupported, span, format!("{what} is not supported yet"))
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            kind: DiagnosticKind::Semantic,
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic for a terminal, for a query that is the whole of `text`.
    pub fn render(&self, file: &str, text: &str, index: &LineIndex) -> String {
        let start = index.line_col(text, self.span.start as usize);
        let end = index.line_col(text, self.span.end as usize);
        self.render_at(file, text, start, end)
    }

    /// Renders the diagnostic for a terminal: the message, `file:line:column`, the source line
    /// and a caret under the span. `start` and `end` are positions in `file_text`, which may
    /// hold more than the query (a rule file).
    pub fn render_at(&self, file: &str, file_text: &str, start: LineCol, end: LineCol) -> String {
        let index = LineIndex::new(file_text);
        let text = file_text;
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = String::new();
        let _ = writeln!(out, "{severity}: {}", self.message);
        let _ = writeln!(out, "  --> {file}:{}:{}", start.line, start.column);

        let line_text = index.line_text(text, start.line);
        let number = start.line.to_string();
        let pad = " ".repeat(number.len());
        let shown: String = line_text.chars().map(|c| if c == '\t' { ' ' } else { c }).collect();
        let width = if end.line == start.line {
            (end.column.saturating_sub(start.column)).max(1) as usize
        } else {
            (line_text.chars().count() + 1).saturating_sub(start.column as usize - 1).max(1)
        };
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{number} | {shown}");
        let _ =
            writeln!(out, "{pad} | {}{}", " ".repeat(start.column as usize - 1), "^".repeat(width));
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        out
    }
}
