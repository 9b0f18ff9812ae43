//! The KQL front end: lexer, parser, syntax tree with byte spans, formatter, diagnostics.
//!
//! ```
//! let parsed = quarry_syntax::parse("T | where x > 1 | take 10");
//! assert!(!parsed.has_errors());
//! ```

pub mod ast;
pub mod diagnostic;
pub mod dump;
pub mod format;
pub mod keywords;
pub mod lexer;
mod parser;
pub mod span;
pub mod suggest;

pub use diagnostic::{Diagnostic, DiagnosticKind, Severity};
pub use parser::{MAX_DEPTH, Parsed, parse, parse_expression};
pub use span::{LineCol, LineIndex, Span};
