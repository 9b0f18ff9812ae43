//! Rule cards: documents that describe a rule in prose, then give its KQL, its YAML, a table of
//! the tables it needs, and benign scenarios each with a filter (`Scenario:` and
//! `Filter/Exclusion:` lines). Importing one writes a rule file with the scenarios as
//! exclusions.

use crate::diagnostic::RuleDiagnostic;
use crate::exclusion::{Exclusion, Mode};
use crate::rule::{Connector, Grouping, Rule, RuleKind, TriggerOperator, load_rule};

/// A card's rule as rule-file YAML, or the problems that prevent it (at card positions).
pub struct Imported {
    pub yaml: String,
    pub warnings: Vec<RuleDiagnostic>,
}

pub fn import(file: &str, text: &str) -> Result<Imported, Vec<RuleDiagnostic>> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.strip_prefix("id:").is_some_and(|rest| !rest.trim().is_empty()))
        .ok_or_else(|| {
            vec![RuleDiagnostic::error("the card has no rule YAML (a line `id: <GUID>`)", 1, 1)]
        })?;
    let end = (start..lines.len())
        .find(|&i| is_table_row(lines[i]) || lines[i].starts_with("Scenario:"))
        .unwrap_or(lines.len());
    let yaml_part = lines[start..end].join("\n") + "\n";
    let offset = start as u32;
    let at_card = |d: RuleDiagnostic| RuleDiagnostic { line: d.line + offset, ..d };

    let loaded = load_rule(file, &yaml_part);
    let mut warnings: Vec<RuleDiagnostic> = Vec::new();
    let mut errors = Vec::new();
    for d in loaded.diagnostics {
        if d.is_error() { errors.push(at_card(d)) } else { warnings.push(at_card(d)) }
    }
    let Some(mut rule) = loaded.rule else {
        return Err(errors);
    };

    let tables = required_tables(&lines[end..]);
    if rule.connectors.is_empty() && !tables.is_empty() {
        rule.connectors.push(Connector { id: "MicrosoftThreatProtection".into(), tables });
    }
    rule.exclusions.extend(scenarios(file, &lines, end));
    Ok(Imported { yaml: to_yaml(&rule, file), warnings })
}

/// A markdown table row (`| a | b |`), also written without its leading `|`
/// (`DeviceNetworkEvents | notes |`). KQL's `| where ...` lines do not end in `|`.
fn is_table_row(line: &str) -> bool {
    let t = line.trim_end();
    t.len() > 1 && t.ends_with('|') && t.matches('|').count() >= 2
}

/// The first cell of each row of the card's table of required tables.
fn required_tables(lines: &[&str]) -> Vec<String> {
    let mut tables = Vec::new();
    for line in lines {
        if !is_table_row(line) {
            continue;
        }
        let first = line.trim().trim_start_matches('|').split('|').next().unwrap_or("").trim();
        let is_name = !first.is_empty()
            && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !first.eq_ignore_ascii_case("table")
            && quarry_sources::bundled::schema(first).is_some();
        if is_name && !tables.iter().any(|t| t == first) {
            tables.push(first.to_string());
        }
    }
    tables
}

/// `Scenario:` lines and the `Filter/Exclusion:` line after each; scenarios that share a
/// filter become one exclusion. The filter describes the benign activity: matching rows are
/// excluded.
fn scenarios(file: &str, lines: &[&str], from: usize) -> Vec<Exclusion> {
    let mut out: Vec<Exclusion> = Vec::new();
    let mut scenario: Option<String> = None;
    for (i, line) in lines.iter().enumerate().skip(from) {
        if let Some(s) = line.strip_prefix("Scenario:") {
            scenario = Some(s.trim().to_string());
            continue;
        }
        let Some(rest) = ["Filter/Exclusion:", "Exclusion:", "Filter:"]
            .iter()
            .find_map(|p| line.strip_prefix(p))
        else {
            continue;
        };
        let condition = rest.trim().to_string();
        if condition.is_empty() {
            continue;
        }
        let column = (line.len() - rest.trim_start().len()) as u32 + 1;
        let name = scenario.take().unwrap_or_else(|| format!("benign scenario on line {}", i + 1));
        match out.iter_mut().find(|e| e.condition == condition) {
            Some(e) => e.scenarios.push(name),
            None => out.push(Exclusion {
                scenarios: vec![name],
                mode: Mode::Exclude,
                condition,
                file: file.to_string(),
                line: i as u32 + 1,
                column,
            }),
        }
    }
    out
}

/// A YAML scalar on one line: plain when that is unambiguous, else double-quoted.
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.starts_with([
            ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"',
            '%', '@', '`',
        ])
        && !s.ends_with(' ')
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "~"
        )
        && s.parse::<f64>().is_err();
    if plain { s.to_string() } else { serde_json::Value::String(s.to_string()).to_string() }
}

fn block(out: &mut String, key: &str, text: &str) {
    out.push_str(&format!("{key}: |\n"));
    for line in text.trim_end().lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!("  {}\n", line.trim_end()));
        }
    }
}

fn list(out: &mut String, key: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push_str(&format!("{key}:\n"));
    for item in items {
        out.push_str(&format!("  - {}\n", scalar(item)));
    }
}

fn duration(nanos: i64) -> String {
    const MINUTE: i64 = 60_000_000_000;
    match nanos {
        n if n % (1440 * MINUTE) == 0 => format!("{}d", n / (1440 * MINUTE)),
        n if n % (60 * MINUTE) == 0 => format!("{}h", n / (60 * MINUTE)),
        n => format!("{}m", n / MINUTE),
    }
}

/// A rule as a well-formed rule file.
pub fn to_yaml(rule: &Rule, source: &str) -> String {
    let mut out = format!("# Imported by quarry from {source}\n");
    out.push_str(&format!("id: {}\n", rule.id));
    out.push_str(&format!("name: {}\n", scalar(&rule.name)));
    if !rule.description.is_empty() {
        block(&mut out, "description", &rule.description);
    }
    if rule.kind != RuleKind::Hunting {
        out.push_str(&format!("severity: {}\n", rule.severity.name()));
        out.push_str(&format!(
            "kind: {}\n",
            if rule.kind == RuleKind::Nrt { "NRT" } else { "Scheduled" }
        ));
    }
    if !rule.connectors.is_empty() {
        out.push_str("requiredDataConnectors:\n");
        for c in &rule.connectors {
            out.push_str(&format!("  - connectorId: {}\n    dataTypes:\n", scalar(&c.id)));
            for t in &c.tables {
                out.push_str(&format!("      - {}\n", scalar(t)));
            }
        }
    }
    if let Some(f) = rule.query_frequency {
        out.push_str(&format!("queryFrequency: {}\n", duration(f)));
    }
    if rule.kind == RuleKind::Scheduled
        && let Some(p) = rule.query_period
    {
        out.push_str(&format!("queryPeriod: {}\n", duration(p)));
    }
    if rule.kind == RuleKind::Scheduled {
        let op = match rule.trigger.operator {
            TriggerOperator::GreaterThan => "gt",
            TriggerOperator::LessThan => "lt",
            TriggerOperator::Equal => "eq",
            TriggerOperator::NotEqual => "ne",
        };
        out.push_str(&format!(
            "triggerOperator: {op}\ntriggerThreshold: {}\n",
            rule.trigger.threshold
        ));
    }
    list(&mut out, "tactics", &rule.tactics);
    list(&mut out, "relevantTechniques", &rule.techniques);
    block(&mut out, "query", &rule.query.text);
    if !rule.entity_mappings.is_empty() {
        out.push_str("entityMappings:\n");
        for m in &rule.entity_mappings {
            out.push_str(&format!("  - entityType: {}\n    fieldMappings:\n", m.entity_type));
            for (identifier, column) in &m.fields {
                out.push_str(&format!(
                    "      - identifier: {identifier}\n        columnName: {column}\n"
                ));
            }
        }
    }
    if !rule.custom_details.is_empty() {
        out.push_str("customDetails:\n");
        for (k, v) in &rule.custom_details {
            out.push_str(&format!("  {k}: {v}\n"));
        }
    }
    if rule.grouping == Grouping::SingleAlert {
        out.push_str("eventGroupingSettings:\n  aggregationKind: SingleAlert\n");
    }
    list(&mut out, "tags", &rule.tags);
    if let Some(v) = &rule.version {
        out.push_str(&format!("version: {}\n", scalar(v)));
    }
    if !rule.exclusions.is_empty() {
        out.push_str("exclusions:\n");
        for e in &rule.exclusions {
            out.push_str("  - scenarios:\n");
            for s in &e.scenarios {
                out.push_str(&format!("      - {}\n", scalar(s)));
            }
            let key = if e.mode == Mode::Exclude { "exclude" } else { "keep" };
            out.push_str(&format!("    {key}: '{}'\n", e.condition.replace('\'', "''")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = "Prose about the rule.\nKQL Query\nT | take 1\nid: 774bb5a8-c93b-4fa1-8ebf-4053b99622ed\nname: A rule\ndescription: |\nWhat it finds.\nrequiredDataConnectors:\n- connectorId: MicrosoftThreatProtection\ndataTypes:\n- DeviceNetworkEvents\ntactics: CommandAndControl\nrelevantTechniques: T1219\nquery: |\nDeviceNetworkEvents\n| take 1\n| Sentinel Table | Notes |\n|---|---|\nDeviceNetworkEvents | enable it |\nScenario: one\nFilter/Exclusion: process.name != \"a.exe\"\nScenario: two\nFilter/Exclusion: process.name != \"a.exe\"\nScenario: three\nFilter/Exclusion: host.name == 'x'\n";

    #[test]
    fn a_card_becomes_a_clean_rule_file() {
        let imported = import("card.txt", CARD).unwrap_or_else(|e| panic!("{e:?}"));
        let reloaded = load_rule("out.yaml", &imported.yaml);
        assert!(reloaded.diagnostics.is_empty(), "{:?}\n{}", reloaded.diagnostics, imported.yaml);
        let rule = reloaded.rule.unwrap();
        assert_eq!(rule.query.text, "DeviceNetworkEvents\n| take 1");
        assert_eq!(rule.tactics, ["CommandAndControl"]);
        assert_eq!(rule.connectors[0].tables, ["DeviceNetworkEvents"]);
        assert_eq!(rule.exclusions.len(), 2);
        assert_eq!(rule.exclusions[0].scenarios, ["one", "two"]);
        assert_eq!(rule.exclusions[1].condition, "host.name == 'x'");
        // Repairs are reported at the card's lines.
        assert!(
            imported.warnings.iter().any(|w| w.line == 7 && w.message.contains("column 0")),
            "{:?}",
            imported.warnings
        );
    }

    #[test]
    fn a_card_without_yaml_is_an_error() {
        let e = import("c.txt", "just prose\n").err().unwrap();
        assert!(e[0].message.contains("no rule YAML"));
    }
}
