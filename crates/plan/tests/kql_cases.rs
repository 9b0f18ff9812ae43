//! KQL semantics as plain-text cases: `tests/cases/*.test`. Each case is a query and the rows
//! it must give, or the error it must raise:
//!
//! ```text
//! # a comment says what the case shows
//! query
//! datatable(x: long) [1, 2, 3] | where x >= 2
//! ----
//! x:long
//! [2]
//! [3]
//! ```
//!
//! Rows are JSON arrays, one per line (datetimes and timespans as KQL prints them, in
//! strings). They are compared as a set unless the case says `query ordered`. `error` cases
//! give, after `----`, a piece of the first error message. Cases are separated by a blank
//! line. `now()` is 2024-01-01T00:00:00Z.

use datafusion::prelude::SessionContext;
use quarry_plan::{EmptyCatalog, PlanOptions, RunError, output};
use std::path::Path;

struct Case {
    file: String,
    line: usize,
    kind: Kind,
    query: String,
    expected: Vec<String>,
}

#[derive(PartialEq)]
enum Kind {
    Rows,
    OrderedRows,
    Error,
}

fn parse_file(file: &str, text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        let kind = match line {
            "query" => Kind::Rows,
            "query ordered" => Kind::OrderedRows,
            "error" => Kind::Error,
            "" => {
                i += 1;
                continue;
            }
            l if l.starts_with('#') => {
                i += 1;
                continue;
            }
            other => panic!("{file}:{}: expected `query` or `error`, found {other:?}", i + 1),
        };
        let start = i + 1;
        i += 1;
        let mut query = Vec::new();
        while i < lines.len() && lines[i].trim_end() != "----" {
            query.push(lines[i]);
            i += 1;
        }
        assert!(i < lines.len(), "{file}:{start}: case without `----`");
        i += 1;
        let mut expected = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() {
            expected.push(lines[i].trim_end().to_string());
            i += 1;
        }
        cases.push(Case {
            file: file.to_string(),
            line: start,
            kind,
            query: query.join("\n"),
            expected,
        });
    }
    cases
}

const NOW: i64 = 1_704_067_200_000_000_000; // 2024-01-01T00:00:00Z

async fn check(case: &Case, ctx: &SessionContext) -> Result<(), String> {
    let run = quarry_plan::run(&case.query, &EmptyCatalog, ctx, PlanOptions { now: NOW }).await;
    match (&case.kind, run) {
        (Kind::Error, Ok(_)) => Err("expected an error, the query ran".into()),
        (Kind::Error, Err(e)) => {
            let message = match e {
                RunError::Query(d) => {
                    d.iter().find(|d| d.is_error()).map(|d| d.message.clone()).unwrap_or_default()
                }
                RunError::Execution(m) => m,
            };
            let want = case.expected.join("\n");
            if message.contains(&want) {
                Ok(())
            } else {
                Err(format!("error {message:?} lacks {want:?}"))
            }
        }
        (_, Err(RunError::Query(d))) => {
            Err(format!("query failed: {:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()))
        }
        (_, Err(RunError::Execution(m))) => Err(format!("execution failed: {m}")),
        (kind, Ok(run)) => {
            let table = run.tables.last().ok_or("no result table")?;
            let header: Vec<String> =
                table.columns.iter().map(|c| format!("{}:{}", c.name, c.ty)).collect();
            let mut got = vec![header.join(", ")];
            let rows =
                output::json_rows(&table.columns, &table.batches).map_err(|e| e.to_string())?;
            let mut rows: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
            let mut want = case.expected.clone();
            if *kind == Kind::Rows {
                rows.sort();
                want[1..].sort();
            }
            got.extend(rows);
            let want: Vec<String> = want.iter().map(|w| normalize(w)).collect();
            if got == want {
                Ok(())
            } else {
                Err(format!("want:\n  {}\ngot:\n  {}", want.join("\n  "), got.join("\n  ")))
            }
        }
    }
}

/// Expected rows are written by hand; compare them in the JSON form the engine prints.
fn normalize(line: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(v @ serde_json::Value::Array(_)) => v.to_string(),
        _ => line.to_string(),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn kql_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let ctx = SessionContext::new();
    let mut failures = Vec::new();
    let mut count = 0;
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "test")) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        for case in parse_file(&name, &text) {
            count += 1;
            if let Err(why) = check(&case, &ctx).await {
                failures.push(format!(
                    "{}:{}:\n  query: {}\n  {why}",
                    case.file,
                    case.line,
                    case.query.replace('\n', "\n         ")
                ));
            }
        }
    }
    assert!(count > 0, "no cases found");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
