//! Rule files as they are found in the wild: each `tests/load_cases/*.yaml` is loaded, and its
//! snapshot shows every diagnostic (line, column, message) and what was loaded.

use quarry_rules::load_rule;
use quarry_rules::rule::Rule;
use std::fmt::Write;
use std::path::Path;

fn describe(rule: &Rule) -> String {
    let mut s = String::new();
    let hours = |n: i64| format!("{}h", n / 3_600_000_000_000);
    writeln!(s, "id: {}", rule.id).unwrap();
    writeln!(s, "name: {}", rule.name).unwrap();
    writeln!(s, "kind: {:?}, severity: {}", rule.kind, rule.severity.name()).unwrap();
    writeln!(
        s,
        "period: {:?}, frequency: {:?}",
        rule.query_period.map(hours),
        rule.query_frequency.map(hours)
    )
    .unwrap();
    writeln!(s, "trigger: {:?} {}", rule.trigger.operator, rule.trigger.threshold).unwrap();
    writeln!(s, "tactics: {:?}", rule.tactics).unwrap();
    writeln!(s, "techniques: {:?}", rule.techniques).unwrap();
    for c in &rule.connectors {
        writeln!(s, "connector: {} {:?}", c.id, c.tables).unwrap();
    }
    for m in &rule.entity_mappings {
        writeln!(s, "entity: {} {:?}", m.entity_type, m.fields).unwrap();
    }
    for (k, v) in &rule.custom_details {
        writeln!(s, "custom detail: {k} <- {v}").unwrap();
    }
    writeln!(
        s,
        "grouping: {:?}, tags: {:?}, version: {:?}",
        rule.grouping, rule.tags, rule.version
    )
    .unwrap();
    for e in &rule.exclusions {
        writeln!(
            s,
            "exclusion at {}:{}: {:?} {:?} {:?}",
            e.line, e.column, e.mode, e.condition, e.scenarios
        )
        .unwrap();
    }
    let first = rule.query.text.lines().next().unwrap_or_default();
    let at = rule.query.file_position(quarry_syntax::LineCol { line: 1, column: 1 });
    writeln!(s, "query at {}:{}: {first}", at.line, at.column).unwrap();
    s
}

#[test]
fn load_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/load_cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 20, "the cases are missing");
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = load_rule(&format!("{name}.yaml"), &text);
        let mut out = String::new();
        for d in &loaded.diagnostics {
            writeln!(out, "{}", d.display(&format!("{name}.yaml"))).unwrap();
        }
        out.push_str("---\n");
        match &loaded.rule {
            Some(rule) => out.push_str(&describe(rule)),
            None => out.push_str("not loaded\n"),
        }
        insta::with_settings!({ snapshot_path => "snapshots/load", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, out);
        });
    }
}
