//! Exclusions: benign scenarios, each with a KQL condition on the rows a rule reads.
//!
//! Conditions may name fields the Elastic way (`process.name`, `host.name`); each dotted name
//! is replaced by the column it stands for in the table being filtered, from the bundled alias
//! table. A dotted name with no column in that table is an error, never silently true or false.

use crate::diagnostic::RuleDiagnostic;
use crate::yaml::{self, Repaired};
use marked_yaml::Node;
use quarry_syntax::ast::{Expr, ExprKind};

const ALIASES: &str = include_str!("../data/field_aliases.tsv");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Rows for which the condition is true are removed.
    Exclude,
    /// Only rows for which the condition is true are kept.
    Keep,
}

/// Which rules an exclusion from an exclusions file applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Rule(String),
    Tag(String),
}

#[derive(Clone, Debug)]
pub struct Exclusion {
    pub scenarios: Vec<String>,
    pub mode: Mode,
    /// The KQL condition as written.
    pub condition: String,
    /// Where the condition sits: the file, and the 1-based line and column of its first character.
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl Exclusion {
    /// A short label for reports: the first scenario, else the condition.
    pub fn label(&self) -> &str {
        self.scenarios.first().map(String::as_str).unwrap_or(&self.condition)
    }

    /// The condition for `table`, with dotted field names replaced by its columns.
    /// `has_column` tells whether the table has a column of that name.
    pub fn condition_for(
        &self,
        table: &str,
        has_column: &dyn Fn(&str) -> bool,
    ) -> Result<String, RuleDiagnostic> {
        let (expr, diagnostics) = quarry_syntax::parse_expression(&self.condition);
        if let Some(d) = diagnostics.iter().find(|d| d.is_error()) {
            return Err(self.error_at(d.span.start as usize, d.message.clone()));
        }
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        let mut problem = None;
        collect_dotted(&expr, &mut |path, start, end| {
            if problem.is_some() {
                return;
            }
            let root = path.split('.').next().unwrap_or_default();
            if has_column(root) {
                return; // a member of a dynamic column, such as `AdditionalFields.x`
            }
            match alias(path, table, has_column) {
                Some(column) => edits.push((start, end, column)),
                None => problem = Some(self.error_at(
                    start,
                    format!(
                        "field `{path}` has no column in table {table} (see the field alias table)"
                    ),
                )),
            }
        });
        if let Some(p) = problem {
            return Err(p);
        }
        let mut text = self.condition.clone();
        for (start, end, column) in edits.into_iter().rev() {
            text.replace_range(start..end, &column);
        }
        Ok(text)
    }

    /// The `where` predicate that applies this exclusion, given its condition for a table.
    pub fn predicate(&self, condition: &str) -> String {
        match self.mode {
            // A condition that is null (a comparison with a missing number) removes nothing.
            Mode::Exclude => format!("not(coalesce(({condition}), false))"),
            Mode::Keep => format!("({condition})"),
        }
    }

    /// A diagnostic at a byte offset of the condition: exact on its first line.
    pub fn error_at(&self, offset: usize, message: String) -> RuleDiagnostic {
        let before = self.condition.get(..offset).unwrap_or(&self.condition);
        let line_breaks = before.matches('\n').count() as u32;
        let column = match before.rfind('\n') {
            Some(i) => before[i + 1..].chars().count() as u32 + 1,
            None => self.column + before.chars().count() as u32,
        };
        RuleDiagnostic::error(message, self.line + line_breaks, column)
    }
}

/// Calls `f(path, start, end)` for every outermost dotted name (`a.b.c`) in `expr`.
fn collect_dotted(expr: &Expr, f: &mut dyn FnMut(&str, usize, usize)) {
    if let ExprKind::Member { .. } = expr.kind
        && let Some(path) = dotted(expr)
    {
        f(&path, expr.span.start as usize, expr.span.end as usize);
        return;
    }
    expr.kind.for_each_child(&mut |child| collect_dotted(child, f));
}

fn dotted(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Name(ident) if !ident.bracketed => Some(ident.name.clone()),
        ExprKind::Member { target, name } => Some(format!("{}.{}", dotted(target)?, name.name)),
        _ => None,
    }
}

/// The column a dotted field name stands for in `table`: the table's own row, else the
/// general row when the table has that column.
pub fn alias(path: &str, table: &str, has_column: &dyn Fn(&str) -> bool) -> Option<String> {
    let rows = || {
        ALIASES
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut f = l.split('\t');
                Some((f.next()?, f.next()?, f.next()?))
            })
            .filter(move |(a, _, _)| *a == path)
    };
    rows()
        .find(|(_, t, _)| *t == table)
        .or_else(|| rows().find(|(_, t, c)| *t == "*" && has_column(c)))
        .map(|(_, _, c)| c.to_string())
}

/// Reads one exclusion: `scenarios` (or `scenario`), and `exclude` or `keep`. In an exclusions
/// file (`targeted`), also `rule` or `tag`.
pub fn parse_exclusion(
    node: &Node,
    file: &str,
    repaired: &Repaired,
    targeted: bool,
) -> Result<(Exclusion, Option<Target>), RuleDiagnostic> {
    let at = |n: &Node| yaml::position(n.span(), repaired);
    let err = |n: &Node, m: &str| {
        let (line, column) = at(n);
        RuleDiagnostic::error(m, line, column)
    };
    let Node::Mapping(m) = node else {
        return Err(err(node, "an exclusion must have `scenarios` and `exclude` or `keep`"));
    };
    let mut scenarios = Vec::new();
    for key in ["scenarios", "scenario"] {
        match m.get_node(key) {
            Some(Node::Scalar(s)) => scenarios.push(s.as_str().trim().to_string()),
            Some(Node::Sequence(items)) => {
                for item in items.iter() {
                    match item {
                        Node::Scalar(s) => scenarios.push(s.as_str().trim().to_string()),
                        other => return Err(err(other, "a scenario must be text")),
                    }
                }
            }
            Some(other) => return Err(err(other, "`scenarios` must be a list of text")),
            None => {}
        }
    }
    let (mode, cond_node) = match (m.get_node("exclude"), m.get_node("keep")) {
        (Some(n), None) => (Mode::Exclude, n),
        (None, Some(n)) => (Mode::Keep, n),
        (Some(_), Some(n)) => {
            return Err(err(n, "an exclusion has either `exclude` or `keep`, not both"));
        }
        (None, None) => {
            return Err(err(node, "an exclusion needs an `exclude` or a `keep` condition"));
        }
    };
    let Node::Scalar(cond) = cond_node else {
        return Err(err(cond_node, "an exclusion's condition must be KQL text"));
    };
    if cond.as_str().trim().is_empty() {
        return Err(err(cond_node, "an exclusion's condition is empty"));
    }
    let (line, column) = at(cond_node);
    let target = if targeted {
        match (m.get_node("rule"), m.get_node("tag")) {
            (Some(Node::Scalar(r)), None) => Some(Target::Rule(r.as_str().trim().to_string())),
            (None, Some(Node::Scalar(t))) => Some(Target::Tag(t.as_str().trim().to_string())),
            _ => {
                return Err(err(
                    node,
                    "an exclusion in an exclusions file names one `rule` id or one `tag`",
                ));
            }
        }
    } else {
        None
    };
    let exclusion = Exclusion {
        scenarios,
        mode,
        condition: cond.as_str().to_string(),
        file: file.to_string(),
        line,
        column,
    };
    Ok((exclusion, target))
}

/// Loads an exclusions file (`exclusions:` holding targeted exclusions).
pub fn load_exclusions_file(
    file: &str,
    text: &str,
) -> (Vec<(Exclusion, Target)>, Vec<RuleDiagnostic>) {
    let repaired = yaml::repair(text);
    let mut diagnostics = repaired.warnings.clone();
    let mut out = Vec::new();
    let root = match yaml::parse(&repaired) {
        Ok(root) => root,
        Err(d) => {
            diagnostics.push(d);
            return (out, diagnostics);
        }
    };
    let items = match root.as_mapping().and_then(|m| m.get_node("exclusions")) {
        Some(Node::Sequence(items)) => items.clone(),
        _ => {
            diagnostics.push(RuleDiagnostic::error(
                "an exclusions file holds a list under `exclusions:`",
                1,
                1,
            ));
            return (out, diagnostics);
        }
    };
    for item in items.iter() {
        match parse_exclusion(item, file, &repaired, true) {
            Ok((e, Some(t))) => out.push((e, t)),
            Ok((_, None)) => {}
            Err(d) => diagnostics.push(d),
        }
    }
    (out, diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETWORK: &[&str] = &[
        "DeviceName",
        "InitiatingProcessFileName",
        "InitiatingProcessParentFileName",
        "RemoteUrl",
        "AdditionalFields",
    ];
    const PROCESS: &[&str] =
        &["DeviceName", "FileName", "InitiatingProcessFileName", "ProcessCommandLine"];

    fn exclusion(condition: &str) -> Exclusion {
        Exclusion {
            scenarios: vec!["s".into()],
            mode: Mode::Exclude,
            condition: condition.into(),
            file: "r.yaml".into(),
            line: 10,
            column: 14,
        }
    }

    fn has(cols: &'static [&'static str]) -> impl Fn(&str) -> bool {
        move |c| cols.contains(&c)
    }

    #[test]
    fn dotted_names_become_each_tables_columns() {
        let e = exclusion(
            r#"process.name != "AteraAgent.exe" or process.parent.name != "AteraAgent.exe""#,
        );
        assert_eq!(
            e.condition_for("DeviceNetworkEvents", &has(NETWORK)).unwrap(),
            r#"InitiatingProcessFileName != "AteraAgent.exe" or InitiatingProcessParentFileName != "AteraAgent.exe""#
        );
        assert_eq!(
            e.condition_for("DeviceProcessEvents", &has(PROCESS)).unwrap(),
            r#"FileName != "AteraAgent.exe" or InitiatingProcessFileName != "AteraAgent.exe""#
        );
    }

    #[test]
    fn columns_and_dynamic_members_are_left_alone() {
        let e = exclusion(
            r#"DeviceName startswith "it-" and AdditionalFields.x == 1 and host.name has "jump""#,
        );
        assert_eq!(
            e.condition_for("DeviceNetworkEvents", &has(NETWORK)).unwrap(),
            r#"DeviceName startswith "it-" and AdditionalFields.x == 1 and DeviceName has "jump""#
        );
    }

    #[test]
    fn unknown_fields_and_syntax_errors_are_placed() {
        let e = exclusion(r#"host.name == "a" and registry.key == "b""#);
        let d = e.condition_for("DeviceNetworkEvents", &has(NETWORK)).unwrap_err();
        assert_eq!((d.line, d.column), (10, 35));
        assert!(
            d.message.contains("`registry.key` has no column in table DeviceNetworkEvents"),
            "{}",
            d.message
        );
        let d = exclusion("DeviceName ==").condition_for("T", &has(NETWORK)).unwrap_err();
        assert_eq!(d.line, 10);
    }

    #[test]
    fn predicates() {
        let mut e = exclusion("x");
        assert_eq!(e.predicate("a == 1"), "not(coalesce((a == 1), false))");
        e.mode = Mode::Keep;
        assert_eq!(e.predicate("a == 1"), "(a == 1)");
    }
}
