//! `quarry hunt`, `test`, `import` and `coverage`: the contracts scripts and CI rely on.

mod common;
use common::{quarry, stderr, stdout, write};

use std::path::Path;

const RULE: &str = "id: 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0
name: Example RMM agent
severity: High
queryFrequency: 1h
queryPeriod: 1d
tactics:
  - CommandAndControl
relevantTechniques:
  - T1219
tags:
  - rmm
query: |
  DeviceNetworkEvents
  | where RemoteUrl has 'example-rmm.com'
  | summarize Count = count() by DeviceName, RemoteUrl
";

const EVENTS: &str = "Timestamp,DeviceId,DeviceName,RemoteUrl,ReportId
2026-11-30T10:00:00Z,d1,ws-01,relay.example-rmm.com,1
2026-11-30T10:05:00Z,d1,ws-01,relay.example-rmm.com,2
2026-11-30T10:10:00Z,d2,ws-02,notexample-rmm.com,3
";

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules/rmm.yaml", RULE);
    write(dir.path(), "data/DeviceNetworkEvents.csv", EVENTS);
    dir
}

const HUNT: &[&str] =
    &["hunt", "--rules", "rules", "--data", "data", "--now", "2026-11-30T12:00:00Z"];

#[test]
fn ndjson_alerts_carry_the_contract_fields() {
    let dir = setup();
    let out = quarry(&[HUNT, &["--format", "ndjson"]].concat(), dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out), @r#"{"rule_id":"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0","rule_name":"Example RMM agent","severity":"High","tactics":["CommandAndControl"],"techniques":[{"id":"T1219","name":"Remote Access Software"}],"entities":[{"type":"Host","properties":{"HostName":"ws-01"}},{"type":"URL","properties":{"Url":"relay.example-rmm.com"}}],"custom_details":{},"first_time":null,"last_time":null,"rows":[{"DeviceName":"ws-01","RemoteUrl":"relay.example-rmm.com","Count":2}]}"#);
    assert!(
        stderr(&out).contains("hunt: 1 alert from 1 rule; 1 of 1 rules ran, 0 skipped, 0 failed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn table_csv_and_output_file() {
    let dir = setup();
    let out = quarry(HUNT, dir.path());
    insta::assert_snapshot!(stdout(&out), @r"
    ■ Example RMM agent  [High]  T1219 Remote Access Software  CommandAndControl  (1 alert)
    First seen (UTC)  Last seen (UTC)  Entities
    ────────────────  ───────────────  ──────────────────────────────────────
                                       Host ws-01 · URL relay.example-rmm.com
    ");
    let out = quarry(&[HUNT, &["--format", "csv", "--output", "alerts.csv"]].concat(), dir.path());
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(0), ""));
    let csv = std::fs::read_to_string(dir.path().join("alerts.csv")).unwrap();
    insta::assert_snapshot!(csv, @r#"
    rule_id,rule_name,severity,tactics,techniques,first_time,last_time,entities,rows
    0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0,Example RMM agent,High,CommandAndControl,T1219,,,Host ws-01 · URL relay.example-rmm.com,"[{""DeviceName"":""ws-01"",""RemoteUrl"":""relay.example-rmm.com"",""Count"":2}]"
    "#);
}

#[test]
fn exit_codes_and_filters() {
    let dir = setup();
    let out = quarry(&[HUNT, &["--fail-on-alert"]].concat(), dir.path());
    assert_eq!(out.status.code(), Some(3));
    for filter in [
        &["--technique", "T1059"][..],
        &["--severity", "informational", "--tag", "office"],
        &["--tactic", "Execution"],
    ] {
        let out = quarry(&[HUNT, filter, &["--fail-on-alert"]].concat(), dir.path());
        assert_eq!(
            (out.status.code(), stdout(&out).as_str()),
            (Some(0), "No alerts.\n"),
            "{filter:?}"
        );
    }
    let out = quarry(
        &[HUNT, &["--technique", "T1219", "--tag", "RMM", "--severity", "High"]].concat(),
        dir.path(),
    );
    assert!(stdout(&out).contains("(1 alert)"));
    // A broken rule fails the run (exit 1) after the others have run.
    write(
        dir.path(),
        "rules/broken.yaml",
        &RULE.replace("0f1e2d3c", "1f1e2d3c").replace("RemoteUrl has", "RemoteUrll has"),
    );
    let out = quarry(HUNT, dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("rules/broken.yaml:14:11: error: unknown name `RemoteUrll`"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("(1 alert)"));
    let out = quarry(&["hunt", "--severity", "urgent"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn rule_tests_pass_fail_and_write_junit() {
    let dir = setup();
    let tests = "now: 2026-11-30T12:00:00Z
cases:
  - name: the agent calls home
    tables:
      DeviceNetworkEvents:
        - {Timestamp: 2026-11-30T10:00:00Z, DeviceName: ws-01, RemoteUrl: relay.example-rmm.com}
    expect:
      - {DeviceName: ws-01, Count: 1}
  - name: a lookalike
    tables:
      DeviceNetworkEvents:
        - {Timestamp: 2026-11-30T10:00:00Z, DeviceName: ws-01, RemoteUrl: notexample-rmm.com}
    expect: none
";
    write(dir.path(), "rules/rmm.tests.yaml", tests);
    let out = quarry(&["test", "rules", "--junit", "junit.xml"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    insta::assert_snapshot!(stdout(&out), @r"
    rules/rmm.tests.yaml — Example RMM agent (0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0)
      ok    the agent calls home
      ok    a lookalike
    rule tests: 2 passed, 0 failed
    ");
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.contains(r#"<testsuites name="quarry test" tests="2" failures="0">"#), "{junit}");

    write(
        dir.path(),
        "rules/rmm.tests.yaml",
        &tests.replace("Count: 1", "Count: 3").replace("expect: none", "expect: 1"),
    );
    let out = quarry(&["test", "rules"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&out), @r#"
    rules/rmm.tests.yaml — Example RMM agent (0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0)
      FAIL  the agent calls home
            alert 1: Count: expected "3", got 1
      FAIL  a lookalike
            expected 1 alert, got 0
    rule tests: 0 passed, 2 failed
    "#);
}

#[test]
fn import_turns_a_card_into_a_rule_file() {
    let dir = setup();
    let card = "Prose describing the hunt.
KQL Query
DeviceNetworkEvents | where RemoteUrl has 'example-rmm.com'
id: 2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b
name: Example card
description: |
Finds the example agent.
requiredDataConnectors:
- connectorId: MicrosoftThreatProtection
dataTypes:
- DeviceNetworkEvents
tactics: CommandAndControl
relevantTechniques: T1219
query: |
DeviceNetworkEvents
| where RemoteUrl has 'example-rmm.com'
| Sentinel Table | Notes |
|---|---|
DeviceNetworkEvents | Ensure this data connector is enabled |
Scenario: IT pushes updates
Filter/Exclusion: process.name != \"agent.exe\"
";
    write(dir.path(), "card.txt", card);
    let out = quarry(&["import", "card.txt", "--output", "rules/card.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(std::fs::read_to_string(dir.path().join("rules/card.yaml")).unwrap(), @r#"
    # Imported by quarry from card.txt
    id: 2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b
    name: Example card
    description: |
      Finds the example agent.
    requiredDataConnectors:
      - connectorId: MicrosoftThreatProtection
        dataTypes:
          - DeviceNetworkEvents
    tactics:
      - CommandAndControl
    relevantTechniques:
      - T1219
    query: |
      DeviceNetworkEvents
      | where RemoteUrl has 'example-rmm.com'
    exclusions:
      - scenarios:
          - IT pushes updates
        exclude: 'process.name != "agent.exe"'
    "#);
    let out = quarry(&["check", "rules/card.yaml"], dir.path());
    assert_eq!(stdout(&out), "checked 1 file: 1 ok, 0 with errors\n");
    let out = quarry(&["import", "rules/rmm.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let out = quarry(&["import", "data/DeviceNetworkEvents.csv"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("the card has no rule YAML"));
}

#[test]
fn coverage_is_a_navigator_layer() {
    let dir = setup();
    let out = quarry(
        &["coverage", "--rules", "rules", "--data", "data", "--now", "2026-11-30T12:00:00Z"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let layer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert_eq!(layer["domain"], "enterprise-attack");
    let t = &layer["techniques"][0];
    assert_eq!(
        (t["techniqueID"].as_str(), t["tactic"].as_str(), t["score"].as_u64()),
        (Some("T1219"), Some("command-and-control"), Some(1))
    );
    assert_eq!(t["color"], "#e60d0d");
    assert!(t["comment"].as_str().unwrap().contains("fired: 1 alert(s)"));
}

#[test]
fn bundled_rules_and_demo_data_raise_alerts() {
    let out = quarry(&["hunt", "--format", "ndjson", "--tag", "atera"], Path::new("."));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let alerts: Vec<serde_json::Value> =
        stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(alerts.len() >= 3, "{}", stdout(&out));
    for a in &alerts {
        assert_eq!(a["techniques"][0]["id"], "T1219");
        assert!(a["entities"].as_array().unwrap().iter().any(|e| e["type"] == "Host"));
    }
    assert!(stderr(&out).contains("using the bundled demo telemetry"));
}

#[test]
fn an_exclusions_file_adds_exclusions_by_tag() {
    let dir = setup();
    write(
        dir.path(),
        "site.exclusions.yaml",
        "exclusions:\n  - tag: rmm\n    scenarios: [The IT team's workstation]\n    exclude: host.name == \"ws-01\"\n",
    );
    let out = quarry(&[HUNT, &["--exclusions", "site.exclusions.yaml"]].concat(), dir.path());
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(0), "No alerts.\n"));
    assert!(
        stderr(&out).contains("exclusion: \"The IT team's workstation\" (site.exclusions.yaml:4:14) removed 2 rows and suppressed 1 alert: every alert of rule 0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"),
        "{}",
        stderr(&out)
    );
    let out =
        quarry(&[HUNT, &["--exclusions", "data/DeviceNetworkEvents.csv"]].concat(), dir.path());
    assert_eq!(out.status.code(), Some(2));
}
