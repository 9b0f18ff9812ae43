//! Query sources: `.kql` files and rule files, found from the paths given on the command line.

use anyhow::{Context, Result, bail};
use quarry_rules::{EmbeddedQuery, QueryFieldError};
use quarry_syntax::{Diagnostic, LineCol, LineIndex};
use std::path::{Path, PathBuf};

/// Extensions of files that hold KQL alone.
const KQL_EXTENSIONS: &[&str] = &["kql", "csl", "kusto"];
/// Extensions of rule files, whose `query:` field holds the KQL.
const RULE_EXTENSIONS: &[&str] = &["yaml", "yml"];

/// A file holding a query: its path as the user should see it, and its text.
pub struct QueryFile {
    pub display: String,
    pub text: String,
    pub kind: QueryFileKind,
    index: LineIndex,
}

pub enum QueryFileKind {
    Kql,
    Rule(Result<EmbeddedQuery, QueryFieldError>),
}

impl QueryFile {
    pub fn load(path: &Path, display: String) -> Result<QueryFile> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {display}"))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!("{display} is not UTF-8 text (byte {})", e.utf8_error().valid_up_to())
        })?;
        let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
        let kind = if is_rule_file(path) {
            QueryFileKind::Rule(quarry_rules::find_query(&text))
        } else {
            QueryFileKind::Kql
        };
        let index = LineIndex::new(&text);
        Ok(QueryFile { display, text, kind, index })
    }

    /// The KQL text, or a diagnostic (at a file position) when a rule file has none.
    pub fn query(&self) -> Result<&str, (String, LineCol)> {
        match &self.kind {
            QueryFileKind::Kql => Ok(&self.text),
            QueryFileKind::Rule(Ok(q)) => Ok(&q.text),
            QueryFileKind::Rule(Err(QueryFieldError::Missing)) => {
                Err(("the rule file has no `query:` field".into(), LineCol { line: 1, column: 1 }))
            }
            QueryFileKind::Rule(Err(QueryFieldError::Empty(at))) => {
                Err(("the rule's `query:` field is empty".into(), *at))
            }
        }
    }

    /// The file position of a byte offset into the query text.
    pub fn position(&self, offset: usize) -> LineCol {
        match &self.kind {
            QueryFileKind::Rule(Ok(q)) => {
                let local = LineIndex::new(&q.text).line_col(&q.text, offset);
                q.file_position(local)
            }
            _ => self.index.line_col(&self.text, offset),
        }
    }

    /// The start and end file positions of a diagnostic.
    pub fn range(&self, d: &Diagnostic) -> (LineCol, LineCol) {
        (self.position(d.span.start as usize), self.position(d.span.end as usize))
    }
}

/// A rule file: YAML, but not a rule test file or an exclusions file, which hold no query.
pub fn is_rule_file(path: &Path) -> bool {
    use quarry_rules::ruleset::FileKind;
    has_extension(path, RULE_EXTENSIONS)
        && path.file_name().and_then(|n| n.to_str()).and_then(FileKind::of) == Some(FileKind::Rule)
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// The files named by `paths`: files as given, folders searched recursively for KQL and rule
/// files, in name order. A path that does not exist is an error.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>> {
    let mut files = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot open {}", path.display()))?;
        if meta.is_dir() {
            let before = files.len();
            walk(path, &mut files)?;
            tracing::debug!(folder = %path.display(), files = files.len() - before, "found query files");
        } else if meta.is_file() {
            files.push((path.clone(), path.display().to_string()));
        } else {
            bail!("{} is neither a file nor a folder", path.display());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<(PathBuf, String)>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, files)?;
        } else if has_extension(&path, KQL_EXTENSIONS) || is_rule_file(&path) {
            let display = path.display().to_string();
            files.push((path, display));
        }
    }
    Ok(())
}
