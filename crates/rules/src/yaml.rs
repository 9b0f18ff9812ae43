//! Rule YAML as it is found in the wild: known defects repaired (each repair reported), then
//! parsed into nodes that keep their line and column.
//!
//! Two defects are common enough to repair rather than reject:
//! - `dataTypes:` aligned with the `- connectorId:` item it belongs to, which makes the whole
//!   file invalid YAML (every rule of the public RMM rule repository has it);
//! - block scalars (`description: |`, `query: |`) whose lines start at column 0, as rule cards
//!   pasted from documents have them.
//!
//! A repair only adds indentation, so line numbers never change; the columns added on each line
//! are kept so that a position in the repaired text maps back to the file.

use crate::diagnostic::RuleDiagnostic;
use marked_yaml::{LoaderOptions, Node};

/// The top-level keys of Sentinel rules and hunting queries, and Quarry's own.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "description-detailed",
    "severity",
    "requiredDataConnectors",
    "queryFrequency",
    "queryPeriod",
    "triggerOperator",
    "triggerThreshold",
    "tactics",
    "relevantTechniques",
    "query",
    "entityMappings",
    "customDetails",
    "alertDetailsOverride",
    "eventGroupingSettings",
    "incidentConfiguration",
    "suppressionDuration",
    "suppressionEnabled",
    "sentinelEntitiesMappings",
    "version",
    "kind",
    "status",
    "tags",
    "metadata",
    "exclusions",
    "techniques",
    "subTechniques",
    "displayName",
    "enabled",
];

/// A rule file's text after repairs.
pub struct Repaired {
    pub text: String,
    /// Columns added at the start of each line (0-based line index).
    pub shifts: Vec<u32>,
    pub warnings: Vec<RuleDiagnostic>,
}

impl Repaired {
    /// The column in the original file of a 1-based line and column of the repaired text.
    pub fn original_column(&self, line: u32, column: u32) -> u32 {
        let shift = self.shifts.get(line.saturating_sub(1) as usize).copied().unwrap_or(0);
        column.saturating_sub(shift).max(1)
    }
}

/// Repairs the known defects of `text`.
pub fn repair(text: &str) -> Repaired {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut shifts = vec![0u32; lines.len()];
    let mut warnings = Vec::new();
    repair_data_types(&mut lines, &mut shifts, &mut warnings);
    repair_flush_blocks(&mut lines, &mut shifts, &mut warnings);
    let mut repaired = lines.join("\n");
    if text.ends_with('\n') {
        repaired.push('\n');
    }
    Repaired { text: repaired, shifts, warnings }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn indent_line(lines: &mut [String], shifts: &mut [u32], i: usize, by: usize) {
    lines[i].insert_str(0, &" ".repeat(by));
    shifts[i] += by as u32;
}

/// `- connectorId: X` followed by `dataTypes:` at the dash's column: indent `dataTypes` (and
/// what it holds) to the item's content.
fn repair_data_types(lines: &mut [String], shifts: &mut [u32], warnings: &mut Vec<RuleDiagnostic>) {
    for i in 1..lines.len() {
        let line = lines[i].clone();
        let trimmed = line.trim_start();
        if !trimmed.starts_with("dataTypes:") {
            continue;
        }
        let indent = indent_of(&line);
        // The nearest non-blank line above must be a sequence item at the same column.
        let Some(above) = (0..i).rev().find(|&j| !lines[j].trim().is_empty()) else {
            continue;
        };
        let item = &lines[above];
        if indent_of(item) != indent || !item.trim_start().starts_with("- ") {
            continue;
        }
        let by = item.trim_start()[1..].len() - item.trim_start()[1..].trim_start().len() + 1;
        indent_line(lines, shifts, i, by);
        let mut j = i + 1;
        while j < lines.len() {
            let blank = lines[j].trim().is_empty();
            let deeper = indent_of(&lines[j]) > indent
                || (indent_of(&lines[j]) == indent && lines[j].trim_start().starts_with("- "));
            if blank || !deeper {
                break;
            }
            indent_line(lines, shifts, j, by);
            j += 1;
        }
        warnings.push(RuleDiagnostic::warning(
            "repaired: `dataTypes` was aligned with the `- connectorId` item it belongs to; \
             read it as part of that item",
            i as u32 + 1,
            indent as u32 + 1,
        ));
    }
}

/// Whether a line at column 0 starts a top-level key (`name:` or `name: value`).
fn is_top_level_key(line: &str) -> bool {
    let Some((key, rest)) = line.split_once(':') else {
        return false;
    };
    (rest.is_empty() || rest.starts_with(' ')) && TOP_LEVEL_KEYS.contains(&key)
}

/// `key: |` followed by lines at column 0: indent them up to the next top-level key.
fn repair_flush_blocks(
    lines: &mut [String],
    shifts: &mut [u32],
    warnings: &mut Vec<RuleDiagnostic>,
) {
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].clone();
        let header = line.split_once(':').filter(|(k, _)| is_top_level_key(&line) && !k.is_empty());
        let is_block = header.is_some_and(|(_, rest)| {
            let rest = rest.trim();
            rest.starts_with('|') || rest.starts_with('>')
        });
        if !is_block {
            i += 1;
            continue;
        }
        let first = (i + 1..lines.len()).find(|&j| !lines[j].trim().is_empty());
        let Some(first) =
            first.filter(|&j| indent_of(&lines[j]) == 0 && !is_top_level_key(&lines[j]))
        else {
            i += 1;
            continue;
        };
        let mut end = first;
        while end < lines.len() && !is_top_level_key(&lines[end]) {
            end += 1;
        }
        for j in first..end {
            if !lines[j].trim().is_empty() {
                indent_line(lines, shifts, j, 2);
            }
        }
        let key = header.map(|(k, _)| k).unwrap_or_default();
        warnings.push(RuleDiagnostic::warning(
            format!("repaired: the lines of `{key}` start at column 0; read them as its text"),
            first as u32 + 1,
            1,
        ));
        i = end;
    }
}

/// Parses repaired rule text into a top-level mapping node. A YAML error becomes a diagnostic
/// at its place in the original file.
pub fn parse(repaired: &Repaired) -> Result<Node, RuleDiagnostic> {
    let options = LoaderOptions::default().error_on_duplicate_keys(true);
    marked_yaml::parse_yaml_with_options(0, &repaired.text, options).map_err(|e| {
        use marked_yaml::LoadError as E;
        let (marker, message) = match &e {
            E::TopLevelMustBeMapping(m) => (*m, "a rule file must be a YAML mapping".to_string()),
            E::UnexpectedAnchor(m) => (*m, "YAML anchors are not supported in rule files".into()),
            E::MappingKeyMustBeScalar(m) => (*m, "a mapping key must be a plain value".into()),
            E::UnexpectedTag(m) => (*m, "YAML tags are not supported in rule files".into()),
            E::ScanError(m, err) => (*m, format!("invalid YAML: {}", scan_message(err))),
            E::DuplicateKey(d) => {
                let first = d.prev_key.span().start().map(|m| m.line()).unwrap_or(0);
                let at =
                    d.key.span().start().copied().unwrap_or(marked_yaml::Marker::new(0, 0, 1, 1));
                (at, format!("duplicate key `{}` (first on line {first})", d.key.as_str()))
            }
            other => (marked_yaml::Marker::new(0, 0, 1, 1), other.to_string()),
        };
        let line = marker.line().max(1) as u32;
        RuleDiagnostic::error(message, line, repaired.original_column(line, marker.column() as u32))
    })
}

/// The scanner's own message, without the position it appends (we give ours).
fn scan_message(err: &impl std::fmt::Display) -> String {
    let text = err.to_string();
    match text.find(" at byte ") {
        Some(i) => text[..i].to_string(),
        None => match text.find(" at line ") {
            Some(i) => text[..i].to_string(),
            None => text,
        },
    }
}

/// The 1-based line and column (in the original file) where a node starts.
pub fn position(node_span: &marked_yaml::Span, repaired: &Repaired) -> (u32, u32) {
    match node_span.start() {
        Some(m) => {
            let line = m.line().max(1) as u32;
            (line, repaired.original_column(line, m.column() as u32))
        }
        None => (1, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_types_aligned_with_its_item_is_indented() {
        let text = "requiredDataConnectors:\n    - connectorId: X\n    dataTypes:\n        - T\ntactics: C\n";
        let r = repair(text);
        assert_eq!(
            r.text,
            "requiredDataConnectors:\n    - connectorId: X\n      dataTypes:\n          - T\ntactics: C\n"
        );
        assert_eq!(r.shifts, vec![0, 0, 2, 2, 0]);
        assert_eq!(r.warnings.len(), 1);
        assert_eq!((r.warnings[0].line, r.warnings[0].column), (3, 5));
        assert!(parse(&r).is_ok());
    }

    #[test]
    fn well_formed_data_types_is_left_alone() {
        let text = "requiredDataConnectors:\n  - connectorId: X\n    dataTypes:\n      - T\n";
        let r = repair(text);
        assert_eq!(r.text, text);
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn flush_block_scalars_are_indented_up_to_the_next_key() {
        let text =
            "id: x\ndescription: |\nSome text.\nMore: text\nquery: |\nT\n| take 1\ntactics: C\n";
        let r = repair(text);
        assert_eq!(
            r.text,
            "id: x\ndescription: |\n  Some text.\n  More: text\nquery: |\n  T\n  | take 1\ntactics: C\n"
        );
        assert_eq!(r.warnings.len(), 2);
        assert_eq!(r.original_column(6, 3), 1);
        assert!(parse(&r).is_ok());
    }

    #[test]
    fn yaml_errors_point_at_the_file() {
        let r = repair("id: x\nname: [a\n");
        let e = parse(&r).unwrap_err();
        assert!(e.message.starts_with("invalid YAML"), "{}", e.message);
        assert!(e.line >= 2);
        let r = repair("id: x\nid: y\n");
        let e = parse(&r).unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.line, e.column),
            ("duplicate key `id` (first on line 1)", 2, 1)
        );
    }
}
