//! Syntax cases: each `tests/cases/*.kql` file holds small queries, each headed by
//! `//# ok: name` (must parse without errors, and format back to the same tree) or
//! `//# error: name` (must report at least one error). Every case has a snapshot of its tree,
//! its diagnostics and, when it parses, its formatted text.

use quarry_syntax::{dump, format, parse};
use std::path::Path;

struct Case {
    file: String,
    name: String,
    expect_ok: bool,
    text: String,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let file = path.file_stem().unwrap().to_string_lossy().to_string();
        let content = std::fs::read_to_string(&path).unwrap();
        let mut current: Option<Case> = None;
        for line in content.split_inclusive('\n') {
            if let Some(header) = line.strip_prefix("//# ") {
                cases.extend(current.take());
                let (kind, name) = header.trim().split_once(": ").expect("`//# ok: name` header");
                assert!(kind == "ok" || kind == "error", "bad case kind {kind:?} in {file}");
                current = Some(Case {
                    file: file.clone(),
                    name: name.trim().to_string(),
                    expect_ok: kind == "ok",
                    text: String::new(),
                });
            } else if let Some(case) = current.as_mut() {
                case.text.push_str(line);
            }
        }
        cases.extend(current);
    }
    cases
}

fn snapshot_of(case: &Case) -> String {
    let text = case.text.trim_end();
    let parsed = parse(text);
    let mut out = format!("{text}\n---- tree\n{}", dump::with_diagnostics(text, &parsed));
    if let Ok(formatted) = format::format(text) {
        out.push_str("\n---- formatted\n");
        out.push_str(formatted.trim_end());
    }
    out
}

#[test]
fn syntax_cases() {
    let cases = cases();
    assert!(cases.len() >= 150, "only {} syntax cases", cases.len());
    let mut seen = std::collections::HashSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        let id = format!("{}__{}", case.file, case.name);
        assert!(seen.insert(id.clone()), "duplicate case name {id}");
        let text = case.text.trim_end();
        let parsed = parse(text);
        if case.expect_ok && parsed.has_errors() {
            failures.push(format!("{id}: expected no errors, got {:?}", parsed.diagnostics));
        }
        if !case.expect_ok && !parsed.has_errors() {
            failures.push(format!("{id}: expected an error, got none"));
        }
        if case.expect_ok && !parsed.has_errors() {
            let formatted = format::format(text).unwrap();
            let again = parse(&formatted);
            if dump::query(&again.query) != dump::query(&parsed.query) || again.has_errors() {
                failures.push(format!("{id}: formatting changed the tree:\n{formatted}"));
            }
        }
        insta::with_settings!({ snapshot_path => "snapshots/cases", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(id, snapshot_of(case));
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
