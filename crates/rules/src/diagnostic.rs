//! What is wrong with a rule, exclusion or test file, and where.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Error,
}

/// A problem in a rule file, at a 1-based line and column (counted in characters) of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleDiagnostic {
    pub level: Level,
    pub message: String,
    pub line: u32,
    pub column: u32,
}

impl RuleDiagnostic {
    pub fn error(message: impl Into<String>, line: u32, column: u32) -> RuleDiagnostic {
        RuleDiagnostic { level: Level::Error, message: message.into(), line, column }
    }

    pub fn warning(message: impl Into<String>, line: u32, column: u32) -> RuleDiagnostic {
        RuleDiagnostic { level: Level::Warning, message: message.into(), line, column }
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// `file:line:column: level: message`, the form editors and CI logs link.
    pub fn display<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        DisplayAt { d: self, file }
    }
}

struct DisplayAt<'a> {
    d: &'a RuleDiagnostic,
    file: &'a str,
}

impl fmt::Display for DisplayAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.d.level {
            Level::Warning => "warning",
            Level::Error => "error",
        };
        write!(f, "{}:{}:{}: {level}: {}", self.file, self.d.line, self.d.column, self.d.message)
    }
}
