//! Alerts: what a rule's result rows raise, with ATT&CK names and entities.

use crate::attack;
use crate::rule::{Grouping, Rule};
use quarry_functions::KqlType;
use quarry_plan::ResultTable;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TechniqueRef {
    pub id: String,
    /// `None` when the bundled ATT&CK table does not know the id.
    pub name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entity {
    /// Sentinel's entity type: `Host`, `URL`, `IP`, `Account`, `FileHash`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Identifier to value: `{"HostName": "ws-01"}`.
    pub properties: Map<String, Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    pub rule_id: String,
    pub rule_name: String,
    pub severity: String,
    pub tactics: Vec<String>,
    pub techniques: Vec<TechniqueRef>,
    pub entities: Vec<Entity>,
    pub custom_details: Map<String, Value>,
    /// The earliest and latest time the rows show (ISO 8601), when they show one.
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    /// The result rows behind the alert: one, or all of a `SingleAlert` rule's.
    pub rows: Vec<Map<String, Value>>,
}

/// Columns that name entities when a rule has no `entityMappings`:
/// (column, entity type, identifier).
const WELL_KNOWN: &[(&str, &str, &str)] = &[
    ("DeviceName", "Host", "HostName"),
    ("DeviceId", "Host", "DeviceId"),
    ("RemoteUrl", "URL", "Url"),
    ("RemoteIP", "IP", "Address"),
    ("AccountName", "Account", "Name"),
    ("AccountUpn", "Account", "UPN"),
    ("UserPrincipalName", "Account", "UPN"),
    ("InitiatingProcessAccountName", "Account", "Name"),
    ("InitiatingProcessAccountUpn", "Account", "UPN"),
    ("SHA256", "FileHash", "SHA256"),
    ("SHA1", "FileHash", "SHA1"),
    ("MD5", "FileHash", "MD5"),
    ("InitiatingProcessSHA256", "FileHash", "SHA256"),
    ("InitiatingProcessSHA1", "FileHash", "SHA1"),
    ("InitiatingProcessMD5", "FileHash", "MD5"),
];

/// The alerts a rule's result raises: none unless the row count passes its trigger; then one
/// per row, or one holding every row for `SingleAlert` rules.
pub fn alerts_for(rule: &Rule, result: &ResultTable) -> Result<Vec<Alert>, Vec<String>> {
    let rows =
        quarry_plan::output::json_objects(&result.columns, &result.batches).map_err(|e| {
            vec![format!("{}: rule {}: cannot read its result: {e}", rule.file, rule.id)]
        })?;
    if !rule.trigger.fires(rows.len() as u64) || rows.is_empty() {
        return Ok(Vec::new());
    }
    let times: Vec<&str> = result
        .columns
        .iter()
        .filter(|c| c.ty == KqlType::DateTime)
        .map(|c| c.name.as_str())
        .collect();
    let groups: Vec<Vec<Map<String, Value>>> = match rule.grouping {
        Grouping::AlertPerResult => rows.into_iter().map(|r| vec![r]).collect(),
        Grouping::SingleAlert => vec![rows],
    };
    Ok(groups.into_iter().map(|rows| alert(rule, rows, &times)).collect())
}

fn alert(rule: &Rule, rows: Vec<Map<String, Value>>, times: &[&str]) -> Alert {
    let mut entities: Vec<Entity> = Vec::new();
    for row in &rows {
        for e in row_entities(rule, row) {
            if !entities.contains(&e) {
                entities.push(e);
            }
        }
    }
    let custom_details = rule
        .custom_details
        .iter()
        .map(|(name, column)| {
            let values: Vec<Value> = rows.iter().filter_map(|r| r.get(column).cloned()).collect();
            let value = match values.len() {
                1 => values.into_iter().next().unwrap_or(Value::Null),
                _ => Value::Array(values),
            };
            (name.clone(), value)
        })
        .collect();
    // ISO 8601 UTC text sorts in time order.
    let mut stamps: Vec<&str> = rows
        .iter()
        .flat_map(|r| times.iter().filter_map(|c| r.get(*c).and_then(Value::as_str)))
        .collect();
    stamps.sort_unstable();
    Alert {
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        severity: rule.severity.name().to_string(),
        tactics: rule.tactics.clone(),
        techniques: rule
            .techniques
            .iter()
            .map(|id| TechniqueRef {
                id: id.clone(),
                name: attack::technique(id).map(|t| t.name.to_string()),
            })
            .collect(),
        entities,
        custom_details,
        first_time: stamps.first().map(|s| s.to_string()),
        last_time: stamps.last().map(|s| s.to_string()),
        rows,
    }
}

/// A cell as entity text; empty and null cells name no entity.
fn entity_value(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        other => Some(other.clone()),
    }
}

fn row_entities(rule: &Rule, row: &Map<String, Value>) -> Vec<Entity> {
    let mut out: Vec<Entity> = Vec::new();
    if !rule.entity_mappings.is_empty() {
        for m in &rule.entity_mappings {
            let properties: Map<String, Value> = m
                .fields
                .iter()
                .filter_map(|(id, col)| Some((id.clone(), entity_value(row.get(col))?)))
                .collect();
            if !properties.is_empty() {
                out.push(Entity { kind: m.entity_type.clone(), properties });
            }
        }
        return out;
    }
    for (column, kind, identifier) in WELL_KNOWN {
        let Some(value) = entity_value(row.get(*column)) else { continue };
        // Columns of one entity type merge into one entity (DeviceName and DeviceId: one Host)
        // unless it already holds that identifier.
        match out.iter_mut().find(|e| e.kind == *kind && !e.properties.contains_key(*identifier)) {
            Some(e) if *kind == "Host" => {
                e.properties.insert(identifier.to_string(), value);
            }
            _ => {
                let mut properties = Map::new();
                if *kind == "FileHash" {
                    properties.insert("Algorithm".into(), Value::String(identifier.to_string()));
                    properties.insert("Value".into(), value);
                } else {
                    properties.insert(identifier.to_string(), value);
                }
                out.push(Entity { kind: kind.to_string(), properties });
            }
        }
    }
    out
}
