//! Hunting end to end: rules over a small table of network events, with the look-back window,
//! exclusions, triggers, grouping, entities, skipped and failing rules.

use datafusion::prelude::SessionContext;
use quarry_rules::hunt::{Exclusions, HuntReport, hunt};
use quarry_rules::ruleset::{self, Source};
use std::fmt::Write;

const NOW: &str = "2026-11-30T12:00:00Z";

const EVENTS: &str = r#"{"Timestamp":"2026-11-30T09:00:00Z","DeviceId":"d1","DeviceName":"ws-01","RemoteUrl":"agent-api.atera.com","RemoteIP":"203.0.113.5","InitiatingProcessFileName":"AteraAgent.exe","ReportId":"1"}
{"Timestamp":"2026-11-30T10:00:00Z","DeviceId":"d1","DeviceName":"ws-01","RemoteUrl":"agent-api.atera.com","RemoteIP":"203.0.113.5","InitiatingProcessFileName":"AteraAgent.exe","ReportId":"2"}
{"Timestamp":"2026-11-30T11:00:00Z","DeviceId":"d2","DeviceName":"jump-01","RemoteUrl":"pubsub.atera.com","RemoteIP":"203.0.113.6","InitiatingProcessFileName":"AteraAgent.exe","ReportId":"3"}
{"Timestamp":"2026-11-24T11:00:00Z","DeviceId":"d3","DeviceName":"ws-03","RemoteUrl":"agent-api.atera.com","RemoteIP":"203.0.113.5","InitiatingProcessFileName":"AteraAgent.exe","ReportId":"4"}
{"Timestamp":"2026-11-30T11:30:00Z","DeviceId":"d1","DeviceName":"ws-01","RemoteUrl":"www.example.com","RemoteIP":"198.51.100.7","InitiatingProcessFileName":"chrome.exe","ReportId":"5"}
"#;

fn rule(id: &str, name: &str, extra: &str, query: &str) -> Source {
    let query: String = query.lines().map(|l| format!("  {l}\n")).collect();
    Source {
        name: format!("{name}.yaml"),
        text: format!(
            "id: {id}\nname: {name}\nseverity: Medium\n{extra}tactics:\n  - CommandAndControl\nrelevantTechniques:\n  - T1219\nquery: |\n{query}"
        ),
    }
}

const ATERA: &str = "DeviceNetworkEvents\n| where RemoteUrl has 'atera.com'\n| summarize FirstSeen = min(Timestamp), LastSeen = max(Timestamp), Count = count() by DeviceId, DeviceName, RemoteUrl\n| order by DeviceName asc";

async fn run(sources: Vec<Source>, exclusions: Exclusions<'_>) -> HuntReport {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("DeviceNetworkEvents.ndjson"), EVENTS).unwrap();
    let set = ruleset::load(sources);
    assert_eq!(set.errors(), 0, "{:?}", set.diagnostics);
    let ctx = SessionContext::new();
    let data = quarry_sources::DataCatalog::load(&[dir.path().to_path_buf()], &ctx).await.unwrap();
    let now = quarry_functions::time::parse_datetime(NOW).unwrap();
    hunt(&set.rules, &data, &ctx, now, exclusions).await
}

/// The report as text: per alert its rule, times, entities and row count; then the rest.
fn show(report: &HuntReport) -> String {
    let mut s = String::new();
    for a in &report.alerts {
        let entities: Vec<String> = a
            .entities
            .iter()
            .map(|e| format!("{}{}", e.kind, serde_json::Value::Object(e.properties.clone())))
            .collect();
        writeln!(
            s,
            "alert {} [{}] {:?}..{:?} {} rows={} techniques={:?} details={}",
            a.rule_name,
            a.severity,
            a.first_time.as_deref().unwrap_or("-"),
            a.last_time.as_deref().unwrap_or("-"),
            entities.join(" "),
            a.rows.len(),
            a.techniques
                .iter()
                .map(|t| format!("{} {}", t.id, t.name.as_deref().unwrap_or("?")))
                .collect::<Vec<_>>(),
            serde_json::Value::Object(a.custom_details.clone()),
        )
        .unwrap();
    }
    for k in &report.skipped {
        writeln!(s, "skipped {}: {}", k.rule_name, k.reason).unwrap();
    }
    for f in &report.failed {
        writeln!(s, "failed {}: {}", f.rule_name, f.messages.join(" | ")).unwrap();
    }
    for e in &report.exclusions {
        writeln!(
            s,
            "exclusion {:?} at {}: removed {} rows, suppressed {} alerts",
            e.label, e.place, e.rows_removed, e.alerts_suppressed
        )
        .unwrap();
    }
    writeln!(s, "ran {}", report.rules_run).unwrap();
    s
}

#[tokio::test]
async fn window_entities_and_exclusions() {
    let with_exclusion = rule(
        "11111111-1111-4111-8111-111111111111",
        "atera",
        "queryPeriod: 1d\nqueryFrequency: 1h\n",
        ATERA,
    );
    let mut text = with_exclusion.text.clone();
    text.push_str("exclusions:\n  - scenarios: [IT jump hosts]\n    exclude: host.name startswith \"jump-\"\n");
    let report = run(vec![Source { name: "atera.yaml".into(), text }], Exclusions::All).await;
    insta::assert_snapshot!(show(&report), @r#"
    alert atera [Medium] "2026-11-30T09:00:00Z".."2026-11-30T10:00:00Z" Host{"HostName":"ws-01","DeviceId":"d1"} URL{"Url":"agent-api.atera.com"} rows=1 techniques=["T1219 Remote Access Software"] details={}
    exclusion "IT jump hosts" at atera.yaml:17:14: removed 1 rows, suppressed 1 alerts
    ran 1
    "#);

    // Without exclusions the jump host alerts too; the six-day-old row stays outside the window.
    let report = run(vec![with_exclusion], Exclusions::Ignore).await;
    insta::assert_snapshot!(show(&report), @r#"
    alert atera [Medium] "2026-11-30T09:00:00Z".."2026-11-30T10:00:00Z" Host{"HostName":"ws-01","DeviceId":"d1"} URL{"Url":"agent-api.atera.com"} rows=1 techniques=["T1219 Remote Access Software"] details={}
    alert atera [Medium] "2026-11-30T11:00:00Z".."2026-11-30T11:00:00Z" Host{"HostName":"jump-01","DeviceId":"d2"} URL{"Url":"pubsub.atera.com"} rows=1 techniques=["T1219 Remote Access Software"] details={}
    ran 1
    "#);
}

#[tokio::test]
async fn hunting_queries_see_every_row_and_single_alerts_hold_all_rows() {
    let hunting = Source {
        name: "hunting.yaml".into(),
        text: format!(
            "id: 22222222-2222-4222-8222-222222222222\nname: hunting\nquery: |\n{}",
            ATERA.lines().map(|l| format!("  {l}\n")).collect::<String>()
        ),
    };
    let single = rule(
        "33333333-3333-4333-8333-333333333333",
        "single",
        "queryPeriod: 1d\nqueryFrequency: 1h\neventGroupingSettings:\n  aggregationKind: SingleAlert\ncustomDetails:\n  Urls: RemoteUrl\nentityMappings:\n  - entityType: IP\n    fieldMappings:\n      - identifier: Address\n        columnName: RemoteIP\n",
        "DeviceNetworkEvents\n| where InitiatingProcessFileName =~ 'ateraagent.exe'\n| project Timestamp, RemoteIP, RemoteUrl\n| order by Timestamp asc",
    );
    let report = run(vec![hunting, single], Exclusions::All).await;
    insta::assert_snapshot!(show(&report), @r#"
    alert hunting [Medium] "2026-11-24T11:00:00Z".."2026-11-24T11:00:00Z" Host{"HostName":"ws-03","DeviceId":"d3"} URL{"Url":"agent-api.atera.com"} rows=1 techniques=[] details={}
    alert hunting [Medium] "2026-11-30T09:00:00Z".."2026-11-30T10:00:00Z" Host{"HostName":"ws-01","DeviceId":"d1"} URL{"Url":"agent-api.atera.com"} rows=1 techniques=[] details={}
    alert hunting [Medium] "2026-11-30T11:00:00Z".."2026-11-30T11:00:00Z" Host{"HostName":"jump-01","DeviceId":"d2"} URL{"Url":"pubsub.atera.com"} rows=1 techniques=[] details={}
    alert single [Medium] "2026-11-30T09:00:00Z".."2026-11-30T11:00:00Z" IP{"Address":"203.0.113.5"} IP{"Address":"203.0.113.6"} rows=3 techniques=["T1219 Remote Access Software"] details={"Urls":["agent-api.atera.com","agent-api.atera.com","pubsub.atera.com"]}
    ran 2
    "#);
}

#[tokio::test]
async fn triggers_missing_tables_and_broken_queries() {
    let high_threshold = rule(
        "44444444-4444-4444-8444-444444444444",
        "threshold",
        "queryPeriod: 1d\nqueryFrequency: 1h\ntriggerOperator: gt\ntriggerThreshold: 5\n",
        "DeviceNetworkEvents",
    );
    let needs_processes = Source {
        name: "processes.yaml".into(),
        text: "id: 55555555-5555-4555-8555-555555555555\nname: processes\nrequiredDataConnectors:\n  - connectorId: MicrosoftThreatProtection\n    dataTypes:\n      - DeviceProcessEvents\nquery: |\n  DeviceProcessEvents | take 1\n".into(),
    };
    let broken = rule(
        "66666666-6666-4666-8666-666666666666",
        "broken",
        "",
        "DeviceNetworkEvents\n| where RemoteUrll has 'x'",
    );
    let report = run(vec![high_threshold, needs_processes, broken], Exclusions::All).await;
    insta::assert_snapshot!(show(&report), @r"
    skipped processes: the data has no table DeviceProcessEvents (from connector MicrosoftThreatProtection)
    failed broken: broken.yaml:10:11: error: unknown name `RemoteUrll` (rule 66666666-6666-4666-8666-666666666666)
    ran 1
    ");
}

#[test]
fn ids_are_unique_and_exclusion_files_find_their_rules() {
    let a = rule("77777777-7777-4777-8777-777777777777", "a", "", "DeviceNetworkEvents");
    let mut b = rule("77777777-7777-4777-8777-777777777777", "b", "", "DeviceNetworkEvents");
    b.text = b.text.replace("tactics:", "tags:\n  - rmm\ntactics:");
    let c = rule(
        "88888888-8888-4888-8888-888888888888",
        "c",
        "tags:\n  - rmm\n",
        "DeviceNetworkEvents",
    );
    let exclusions = Source {
        name: "site.exclusions.yaml".into(),
        text: "exclusions:\n  - tag: rmm\n    scenarios: [IT laptops]\n    exclude: host.name has \"itlaptop\"\n  - rule: 99999999-9999-4999-8999-999999999999\n    exclude: DeviceName == \"x\"\n  - scenarios: [no target]\n    exclude: DeviceName == \"y\"\n".into(),
    };
    let set = ruleset::load(vec![a, b, c, exclusions]);
    let diagnostics: Vec<String> =
        set.diagnostics.iter().map(|(f, d)| d.display(f).to_string()).collect();
    insta::assert_snapshot!(diagnostics.join("\n"), @r"
    b.yaml:1:1: error: rule id 77777777-7777-4777-8777-777777777777 is also the id of a.yaml
    site.exclusions.yaml:7:14: error: an exclusion in an exclusions file names one `rule` id or one `tag`
    site.exclusions.yaml:6:14: warning: no loaded rule matches rule 99999999-9999-4999-8999-999999999999: the exclusion is unused
    ");
    let names: Vec<(&str, usize)> =
        set.rules.iter().map(|r| (r.name.as_str(), r.exclusions.len())).collect();
    assert_eq!(names, [("a", 0), ("c", 1)]);
}

#[tokio::test]
async fn an_exclusion_that_cannot_run_is_named_at_its_place() {
    let mut r = rule(
        "99999999-9999-4999-8999-999999999990",
        "excluding",
        "queryPeriod: 1d\nqueryFrequency: 1h\n",
        ATERA,
    );
    r.text.push_str("exclusions:\n  - scenarios: [fine]\n    exclude: host.name == \"jump-01\"\n  - scenarios: [typo]\n    exclude: DeviceNme == \"ws-01\"\n");
    let report = run(vec![r], Exclusions::All).await;
    insta::assert_snapshot!(show(&report), @r"
    failed excluding: excluding.yaml:19:14: error: exclusion of rule 99999999-9999-4999-8999-999999999990 cannot run on table DeviceNetworkEvents: unknown name `DeviceNme`
    ran 0
    ");
}
