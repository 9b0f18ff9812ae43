//! ATT&CK coverage of a rule set, as an ATT&CK Navigator layer (layer format 4.5).

use crate::attack;
use crate::rule::Rule;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Colour of a technique some rule covers, and of one whose rules fired on the data.
const COVERED: &str = "#8ec843";
const FIRED: &str = "#e60d0d";

#[derive(Default)]
struct Cell {
    rules: Vec<String>,
    alerts: usize,
}

/// The layer for `rules`; `fired` maps rule ids to their alert counts when data was given.
pub fn navigator_layer(rules: &[Rule], fired: Option<&BTreeMap<String, usize>>) -> Value {
    // (technique, tactic shortname or "") -> rules covering it there.
    let mut cells: BTreeMap<(String, String), Cell> = BTreeMap::new();
    for rule in rules {
        for technique in &rule.techniques {
            let known = attack::technique(technique);
            let mut tactics: Vec<String> = rule
                .tactics
                .iter()
                .filter(|t| known.is_none_or(|k| k.tactics.contains(&t.as_str())))
                .filter_map(|t| attack::tactic(t).map(|t| t.shortname()))
                .collect();
            if tactics.is_empty() {
                tactics.push(String::new());
            }
            for tactic in tactics {
                let cell = cells.entry((technique.clone(), tactic)).or_default();
                cell.rules.push(rule.name.clone());
                cell.alerts += fired.and_then(|f| f.get(&rule.id)).copied().unwrap_or(0);
            }
        }
    }
    let max = cells.values().map(|c| c.rules.len()).max().unwrap_or(1);
    let techniques: Vec<Value> = cells
        .into_iter()
        .map(|((id, tactic), cell)| {
            let mut comment = format!("{} rule(s): {}", cell.rules.len(), cell.rules.join("; "));
            let color = if fired.is_some() && cell.alerts > 0 {
                comment.push_str(&format!(" | fired: {} alert(s)", cell.alerts));
                FIRED
            } else {
                COVERED
            };
            let mut t = json!({
                "techniqueID": id,
                "score": cell.rules.len(),
                "color": color,
                "comment": comment,
                "enabled": true,
                "showSubtechniques": false,
            });
            if !tactic.is_empty() {
                t["tactic"] = Value::String(tactic);
            }
            t
        })
        .collect();
    let mut legend = vec![json!({"label": "covered by a rule", "color": COVERED})];
    if fired.is_some() {
        legend.push(json!({"label": "a rule fired on the data", "color": FIRED}));
    }
    json!({
        "name": "Quarry rule coverage",
        "versions": {"attack": "16", "navigator": "5.1.0", "layer": "4.5"},
        "domain": "enterprise-attack",
        "description": format!("Techniques covered by {} rule(s) loaded by quarry", rules.len()),
        "sorting": 0,
        "layout": {"layout": "side", "showName": true, "showID": false},
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": ["#ffffff", COVERED], "minValue": 0, "maxValue": max},
        "legendItems": legend,
        "showTacticRowBackground": false,
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
    })
}
