//! Rule tests: named cases, each with input rows per table and the alerts expected.

use crate::diagnostic::RuleDiagnostic;
use crate::hunt::{Exclusions, RuleOutcome, run_rule};
use crate::rule::Rule;
use crate::ruleset::Source;
use crate::yaml;
use datafusion::prelude::SessionContext;
use marked_yaml::Node;
use quarry_plan::{Catalog, TableInfo};
use serde_json::Value;
use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    Alerts(usize),
    /// Each alert's (first) row must hold these columns with these values, in order.
    Rows(Vec<Vec<(String, Expected)>>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expected {
    Text(String),
    /// A list, compared with a dynamic array as a set of texts.
    List(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub line: u32,
    /// Table name and rows; each row is (column, value as text).
    pub tables: Vec<(String, Vec<Vec<(String, Value)>>)>,
    pub expect: Expect,
    pub exclusions: bool,
}

impl Case {
    pub fn is_positive(&self) -> bool {
        match &self.expect {
            Expect::Alerts(n) => *n > 0,
            Expect::Rows(rows) => !rows.is_empty(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct TestFile {
    pub file: String,
    /// The rule's id when the file names it.
    pub rule_id: Option<String>,
    pub now: i64,
    pub cases: Vec<Case>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Pass,
    Fail(Vec<String>),
    Error(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct CaseResult {
    pub name: String,
    pub outcome: Outcome,
}

#[derive(Clone, Debug)]
pub struct FileResult {
    pub file: String,
    pub rule: Option<(String, String)>,
    pub cases: Vec<CaseResult>,
    /// File-level errors (no such rule, invalid test file).
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

impl FileResult {
    pub fn passed(&self) -> bool {
        self.errors.is_empty() && self.cases.iter().all(|c| c.outcome == Outcome::Pass)
    }
}

/// Reads a test file.
pub fn parse_tests(source: &Source) -> Result<TestFile, Vec<RuleDiagnostic>> {
    let repaired = yaml::repair(&source.text);
    let root = yaml::parse(&repaired).map_err(|d| vec![d])?;
    let at = |n: &Node| yaml::position(n.span(), &repaired);
    let err = |n: &Node, m: String| {
        let (line, column) = at(n);
        RuleDiagnostic::error(m, line, column)
    };
    let Some(map) = root.as_mapping() else {
        return Err(vec![RuleDiagnostic::error("a test file is a mapping with `cases:`", 1, 1)]);
    };
    let mut errors = Vec::new();
    let rule_id =
        map.get_node("rule").and_then(|n| n.as_scalar()).map(|s| s.as_str().trim().to_string());
    let now = match map.get_node("now") {
        Some(n) => match n
            .as_scalar()
            .and_then(|s| quarry_functions::time::parse_datetime(s.as_str()))
        {
            Some(t) => t,
            None => {
                errors
                    .push(err(n, "`now` must be a date and time, as 2024-06-15T12:00:00Z".into()));
                0
            }
        },
        None => {
            errors.push(RuleDiagnostic::error(
                "a test file needs `now:`, the time its rule runs at",
                1,
                1,
            ));
            0
        }
    };
    let mut cases = Vec::new();
    match map.get_node("cases") {
        Some(Node::Sequence(items)) => {
            for item in items.iter() {
                match parse_case(item, &at) {
                    Ok(c) => cases.push(c),
                    Err(d) => errors.push(d),
                }
            }
        }
        Some(other) => errors.push(err(other, "`cases` must be a list".into())),
        None => errors.push(RuleDiagnostic::error("a test file needs `cases:`", 1, 1)),
    }
    if errors.is_empty() {
        Ok(TestFile { file: source.name.clone(), rule_id, now, cases })
    } else {
        Err(errors)
    }
}

fn parse_case(node: &Node, at: &dyn Fn(&Node) -> (u32, u32)) -> Result<Case, RuleDiagnostic> {
    let err = |n: &Node, m: &str| {
        let (line, column) = at(n);
        RuleDiagnostic::error(m, line, column)
    };
    let Node::Mapping(m) = node else {
        return Err(err(node, "a case has `name`, `tables` and `expect`"));
    };
    let line = at(node).0;
    let name = match m.get_node("name").and_then(|n| n.as_scalar()) {
        Some(s) => s.as_str().to_string(),
        None => return Err(err(node, "a case needs a `name`")),
    };
    let mut tables = Vec::new();
    match m.get_node("tables") {
        Some(Node::Mapping(t)) => {
            for (table, rows) in t.iter() {
                let Node::Sequence(rows) = rows else {
                    return Err(err(rows, "a table's rows are a list of mappings"));
                };
                let mut parsed = Vec::new();
                for row in rows.iter() {
                    let Node::Mapping(r) = row else {
                        return Err(err(row, "a row is a mapping of column to value"));
                    };
                    parsed.push(
                        r.iter()
                            .filter_map(|(k, v)| Some((k.as_str().to_string(), cell(v)?)))
                            .collect(),
                    );
                }
                tables.push((table.as_str().to_string(), parsed));
            }
        }
        Some(other) => return Err(err(other, "`tables` maps table names to rows")),
        None => {}
    }
    let expect = match m.get_node("expect") {
        Some(Node::Scalar(s)) => match s.as_str().trim() {
            "none" | "0" => Expect::Alerts(0),
            n => match n.parse::<usize>() {
                Ok(n) => Expect::Alerts(n),
                Err(_) => {
                    return Err(err(
                        node,
                        "`expect` is `none`, a number of alerts, or a list of rows",
                    ));
                }
            },
        },
        Some(Node::Sequence(rows)) => {
            let mut expected = Vec::new();
            for row in rows.iter() {
                let Node::Mapping(r) = row else {
                    return Err(err(row, "an expected row is a mapping of column to value"));
                };
                let cells = r
                    .iter()
                    .map(|(k, v)| {
                        let e = match v {
                            Node::Sequence(items) => Expected::List(
                                items
                                    .iter()
                                    .filter_map(|i| i.as_scalar())
                                    .map(|s| s.as_str().to_string())
                                    .collect(),
                            ),
                            Node::Scalar(s) => Expected::Text(s.as_str().to_string()),
                            Node::Mapping(_) => Expected::Text(String::new()),
                        };
                        (k.as_str().to_string(), e)
                    })
                    .collect();
                expected.push(cells);
            }
            Expect::Rows(expected)
        }
        Some(other) => {
            return Err(err(other, "`expect` is `none`, a number of alerts, or a list of rows"));
        }
        None => return Err(err(node, "a case needs `expect`")),
    };
    let exclusions = match m.get_node("exclusions").and_then(|n| n.as_scalar()).map(|s| s.as_str())
    {
        None | Some("apply") => true,
        Some("ignore") => false,
        Some(_) => return Err(err(node, "`exclusions` is `apply` or `ignore`")),
    };
    Ok(Case { name, line, tables, expect, exclusions })
}

/// A YAML value as the JSON text an NDJSON file holds: scalars as strings (the table's types
/// convert them), lists and mappings as JSON text for dynamic columns.
fn cell(node: &Node) -> Option<Value> {
    match node {
        Node::Scalar(s) => match s.as_str() {
            "~" | "null" => None,
            text => Some(Value::String(text.to_string())),
        },
        other => Some(Value::String(to_json(other).to_string())),
    }
}

fn to_json(node: &Node) -> Value {
    match node {
        Node::Scalar(s) => {
            let t = s.as_str();
            t.parse::<i64>()
                .map(Value::from)
                .or_else(|_| t.parse::<f64>().map(Value::from))
                .unwrap_or_else(|_| Value::String(t.to_string()))
        }
        Node::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Node::Mapping(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.as_str().to_string(), to_json(v))).collect())
        }
    }
}

/// The rule a test file is for: the one it names, else the rule file beside it with its stem.
pub fn rule_for<'r>(tests: &TestFile, rules: &'r [Rule]) -> Option<&'r Rule> {
    if let Some(id) = &tests.rule_id {
        return rules.iter().find(|r| r.id.eq_ignore_ascii_case(id));
    }
    let stem =
        tests.file.trim_end_matches(".yml").trim_end_matches(".yaml").trim_end_matches(".tests");
    rules.iter().find(|r| {
        let s = r.file.trim_end_matches(".yml").trim_end_matches(".yaml");
        s == stem
    })
}

/// Runs every case of a test file against its rule.
pub async fn run_tests(tests: &TestFile, rule: &Rule) -> FileResult {
    let mut result = FileResult {
        file: tests.file.clone(),
        rule: Some((rule.id.clone(), rule.name.clone())),
        cases: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    for case in &tests.cases {
        let mode = if case.exclusions { Exclusions::All } else { Exclusions::Ignore };
        let outcome = match alerts_of(rule, case, tests.now, mode).await {
            Ok(alerts) => compare(&case.expect, &alerts),
            Err(messages) => Outcome::Error(messages),
        };
        result.cases.push(CaseResult { name: case.name.clone(), outcome });
    }
    result.warnings = exclusion_warnings(tests, rule).await;
    result
}

/// Warns of each exclusion that, alone, suppresses every positive case of the rule.
async fn exclusion_warnings(tests: &TestFile, rule: &Rule) -> Vec<String> {
    let positives: Vec<&Case> = tests.cases.iter().filter(|c| c.is_positive()).collect();
    let mut warnings = Vec::new();
    if positives.is_empty() {
        return warnings;
    }
    for e in &rule.exclusions {
        let mut suppressed = 0;
        for case in &positives {
            let without =
                alerts_of(rule, case, tests.now, Exclusions::Ignore).await.map(|a| a.len());
            let with = alerts_of(rule, case, tests.now, Exclusions::Only(e)).await.map(|a| a.len());
            if matches!((without, with), (Ok(w), Ok(0)) if w > 0) {
                suppressed += 1;
            }
        }
        if suppressed == positives.len() {
            warnings.push(format!(
                "{}:{}:{}: warning: the exclusion \"{}\" suppresses every positive test of rule {} \
                 ({suppressed} of {}): it removes the very activity the rule hunts",
                e.file,
                e.line,
                e.column,
                e.label(),
                rule.id,
                positives.len()
            ));
        }
    }
    warnings
}

async fn alerts_of(
    rule: &Rule,
    case: &Case,
    now: i64,
    mode: Exclusions<'_>,
) -> Result<Vec<crate::alert::Alert>, Vec<String>> {
    let dir = quarry_sources::temp::TempDir::new("case")
        .map_err(|e| vec![format!("cannot write the case's rows: {e}")])?;
    for (table, rows) in &case.tables {
        let mut text = String::new();
        for row in rows {
            let object: serde_json::Map<String, Value> = row.iter().cloned().collect();
            text.push_str(&Value::Object(object).to_string());
            text.push('\n');
        }
        std::fs::write(dir.path.join(format!("{table}.ndjson")), text)
            .map_err(|e| vec![format!("cannot write the case's rows: {e}")])?;
    }
    let ctx = SessionContext::new();
    let data = if case.tables.is_empty() {
        quarry_sources::DataCatalog::default()
    } else {
        quarry_sources::DataCatalog::load(std::slice::from_ref(&dir.path), &ctx)
            .await
            .map_err(|e| vec![e.to_string()])?
    };
    let data = WithEmptyTables(&data);
    match run_rule(rule, &data, &ctx, now, mode).await? {
        RuleOutcome::Ran { alerts, .. } => Ok(alerts),
        RuleOutcome::Skipped(reason) => Err(vec![format!("the rule did not run: {reason}")]),
    }
}

/// A case's tables, and every other bundled table as empty: a case gives only the rows that
/// matter to it.
struct WithEmptyTables<'a>(&'a dyn Catalog);

impl Catalog for WithEmptyTables<'_> {
    fn table(&self, name: &str) -> Option<TableInfo> {
        self.0.table(name).or_else(|| {
            let columns = quarry_sources::bundled::schema(name)?.to_vec();
            Some(TableInfo { name: name.to_string(), columns, provider: None })
        })
    }

    fn table_names(&self) -> Vec<String> {
        self.0.table_names()
    }
}

fn compare(expect: &Expect, alerts: &[crate::alert::Alert]) -> Outcome {
    let noun = |n: usize| if n == 1 { "alert" } else { "alerts" };
    match expect {
        Expect::Alerts(n) if *n == alerts.len() => Outcome::Pass,
        Expect::Alerts(n) => {
            let mut lines = vec![format!("expected {n} {}, got {}", noun(*n), alerts.len())];
            for a in alerts.iter().take(3) {
                if let Some(row) = a.rows.first() {
                    lines.push(format!("  got: {}", Value::Object(row.clone())));
                }
            }
            Outcome::Fail(lines)
        }
        Expect::Rows(rows) => {
            let mut lines = Vec::new();
            if rows.len() != alerts.len() {
                lines.push(format!(
                    "expected {} {}, got {}",
                    rows.len(),
                    noun(rows.len()),
                    alerts.len()
                ));
            }
            for (i, (want, alert)) in rows.iter().zip(alerts).enumerate() {
                let got = alert.rows.first().cloned().unwrap_or_default();
                for (column, expected) in want {
                    let actual = got.get(column);
                    if !matches_value(expected, actual) {
                        lines.push(format!(
                            "alert {}: {column}: expected {}, got {}",
                            i + 1,
                            show_expected(expected),
                            actual.map(Value::to_string).unwrap_or_else(|| "no such column".into())
                        ));
                    }
                }
            }
            if lines.is_empty() { Outcome::Pass } else { Outcome::Fail(lines) }
        }
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn matches_value(expected: &Expected, actual: Option<&Value>) -> bool {
    let Some(actual) = actual else { return false };
    match expected {
        Expected::Text(t) => text_of(actual) == *t,
        Expected::List(items) => {
            let Value::Array(values) = actual else { return false };
            let mut got: Vec<String> = values.iter().map(text_of).collect();
            let mut want = items.clone();
            got.sort();
            want.sort();
            got == want
        }
    }
}

fn show_expected(e: &Expected) -> String {
    match e {
        Expected::Text(t) => Value::String(t.clone()).to_string(),
        Expected::List(items) => format!("[{}]", items.join(", ")),
    }
}

/// JUnit XML for CI: one test suite per test file, one test case per case.
pub fn junit(results: &[FileResult]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
    };
    let total: usize = results.iter().map(|r| r.cases.len().max(1)).sum();
    let failures: usize = results
        .iter()
        .map(|r| {
            r.cases.iter().filter(|c| c.outcome != Outcome::Pass).count()
                + usize::from(!r.errors.is_empty())
        })
        .sum();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"quarry test\" tests=\"{total}\" failures=\"{failures}\">\n"
    );
    for r in results {
        let suite = match &r.rule {
            Some((_, name)) => format!("{} ({name})", r.file),
            None => r.file.clone(),
        };
        let fails = r.cases.iter().filter(|c| c.outcome != Outcome::Pass).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\">\n",
            esc(&suite),
            r.cases.len()
        ));
        for e in &r.errors {
            out.push_str(&format!(
                "    <testcase name=\"(load)\" classname=\"{}\"><error message=\"{}\"/></testcase>\n",
                esc(&r.file),
                esc(e)
            ));
        }
        for c in &r.cases {
            out.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\"",
                esc(&c.name),
                esc(&r.file)
            ));
            match &c.outcome {
                Outcome::Pass => out.push_str("/>\n"),
                Outcome::Fail(lines) => out.push_str(&format!(
                    "><failure message=\"{}\">{}</failure></testcase>\n",
                    esc(lines.first().map(String::as_str).unwrap_or("failed")),
                    esc(&lines.join("\n"))
                )),
                Outcome::Error(lines) => out.push_str(&format!(
                    "><error message=\"{}\">{}</error></testcase>\n",
                    esc(lines.first().map(String::as_str).unwrap_or("error")),
                    esc(&lines.join("\n"))
                )),
            }
        }
        if !r.warnings.is_empty() {
            out.push_str(&format!(
                "    <system-err>{}</system-err>\n",
                esc(&r.warnings.join("\n"))
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Whether a path names a test file.
pub fn is_test_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        matches!(crate::ruleset::FileKind::of(n), Some(crate::ruleset::FileKind::Tests))
    })
}
