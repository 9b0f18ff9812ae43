//! `quarry check`: the JSON contract tools rely on, exit codes, and positions in rule files.

mod common;
use common::{quarry, stdout, write};

#[test]
fn json_lines_one_per_file_with_exact_positions() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "q/good.kql", "T\n| where x > 1\n");
    write(dir.path(), "q/bad.kql", "T\n| where x >\n| take 1\nU");
    write(dir.path(), "q/notes.txt", "not a query");
    let out = quarry(&["check", "--syntax-only", "--format", "json", "q"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&out), @r#"
    {"file":"q/bad.kql","ok":false,"diagnostics":[{"severity":"error","message":"expected an expression, found `|`","line":3,"column":1,"end_line":3,"end_column":2},{"severity":"error","message":"expected `;` before `U`","line":4,"column":1,"end_line":4,"end_column":2}]}
    {"file":"q/good.kql","ok":true,"diagnostics":[]}
    "#);
}

#[test]
fn columns_count_characters_not_bytes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "u.kql", "print \"ééé\" x");
    let out = quarry(&["check", "--format", "json", "u.kql"], dir.path());
    let line = stdout(&out);
    assert!(line.contains(r#""line":1,"column":13,"end_line":1,"end_column":14"#), "{line}");
}

#[test]
fn all_good_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.kql", "let x = 1;\nprint x");
    let out = quarry(&["check", "a.kql"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "checked 1 file: 1 ok, 0 with errors\n");
}

#[test]
fn warnings_do_not_fail_a_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "w.kql", "DeviceEvents | where ActionType = 'x'");
    let out = quarry(&["check", "--format", "json", "w.kql"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out)
            .starts_with(r#"{"file":"w.kql","ok":true,"diagnostics":[{"severity":"warning""#)
    );
}

#[test]
fn usage_errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(quarry(&["check"], dir.path()).status.code(), Some(2));
    assert_eq!(quarry(&["check", "--format", "xml", "a.kql"], dir.path()).status.code(), Some(2));
    let missing = quarry(&["check", "no-such-file.kql"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-file.kql"));
}

#[test]
fn text_format_shows_the_line_and_a_caret() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.kql", "T\n| summarize count() by\n| take 1");
    let out = quarry(&["check", "t.kql"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&out), @r"
    error: expected an expression, found `|`
      --> t.kql:3:1
      |
    3 | | take 1
      | ^

    checked 1 file: 0 ok, 1 with errors
    ");
}

#[test]
fn rule_files_report_positions_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let rule = "id: 1b2c\nname: Test rule\nquery: |\n  DeviceNetworkEvents\n  | where RemoteUrl has_any ('a',)\nseverity: Low\n";
    write(dir.path(), "r.yaml", rule);
    let out = quarry(&["check", "--format", "json", "r.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let line = stdout(&out);
    assert!(line.contains(r#""line":5,"column":34,"end_line":5,"end_column":35"#), "{line}");
}

#[test]
fn rule_file_without_query() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "r.yml", "id: x\nname: y\n");
    let out = quarry(&["check", "--format", "json", "r.yml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("no `query:` field"));
}

#[test]
fn fmt_prints_canonical_text_and_check_reports_changes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "f.kql", "T|where a==1|project b,c");
    let out = quarry(&["fmt", "f.kql"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "T\n| where a == 1\n| project b, c\n");
    let check = quarry(&["fmt", "--check", "f.kql"], dir.path());
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(stdout(&check), "f.kql\n");
    let write_back = quarry(&["fmt", "--write", "f.kql"], dir.path());
    assert_eq!(write_back.status.code(), Some(0));
    assert_eq!(quarry(&["fmt", "--check", "f.kql"], dir.path()).status.code(), Some(0));
}

#[test]
fn fmt_refuses_text_that_does_not_parse() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.kql", "T | where");
    let out = quarry(&["fmt", "bad.kql"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.kql:1:10"));
}

#[test]
fn binding_reports_unknown_tables_and_columns_with_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.kql", "DeviceNetworkEvent | take 1");
    write(dir.path(), "c.kql", "DeviceNetworkEvents | where RemoteUrll has 'x'");
    let out = quarry(&["check", "t.kql", "c.kql"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("unknown table `DeviceNetworkEvent`"), "{text}");
    assert!(text.contains("did you mean `DeviceNetworkEvents`?"), "{text}");
    assert!(text.contains("unknown name `RemoteUrll`"), "{text}");
    assert!(text.contains("did you mean `RemoteUrl`?"), "{text}");
    assert!(text.ends_with("checked 2 files: 0 ok, 2 with errors\n"), "{text}");
}

#[test]
fn syntax_only_does_not_bind() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.kql", "NoSuchTable | where x == 1");
    assert_eq!(quarry(&["check", "--syntax-only", "t.kql"], dir.path()).status.code(), Some(0));
    assert_eq!(quarry(&["check", "t.kql"], dir.path()).status.code(), Some(1));
}

#[test]
fn binding_checks_types_against_the_bundled_schema() {
    let dir = tempfile::tempdir().unwrap();
    // Sentinel's copy of DeviceEvents stores AdditionalFields as dynamic: properties are allowed.
    write(dir.path(), "ok.kql", "DeviceEvents | extend s = tostring(AdditionalFields.Status)");
    write(dir.path(), "bad.kql", "DeviceEvents | where ActionType + 1 > 2");
    let out = quarry(&["check", "--format", "json", "ok.kql", "bad.kql"], dir.path());
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with(r#"{"file":"ok.kql","ok":true"#), "{text}");
    assert!(lines[1].contains("cannot combine a string and a long"), "{text}");
}
