//! A set of rule files loaded together: rules, exclusions files and rule tests, with the checks
//! that span files (unique ids, exclusions that name no rule).

use crate::diagnostic::RuleDiagnostic;
use crate::exclusion::{Target, load_exclusions_file};
use crate::rule::{Rule, load_rule};
use std::collections::HashMap;

/// What a file is, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Rule,
    Exclusions,
    Tests,
}

impl FileKind {
    pub fn of(name: &str) -> Option<FileKind> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".tests.yaml") || lower.ends_with(".tests.yml") {
            Some(FileKind::Tests)
        } else if lower.ends_with(".exclusions.yaml") || lower.ends_with(".exclusions.yml") {
            Some(FileKind::Exclusions)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(FileKind::Rule)
        } else {
            None
        }
    }
}

/// A file's name as messages show it, and its text.
pub struct Source {
    pub name: String,
    pub text: String,
}

#[derive(Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// Test files, kept for `quarry test`.
    pub tests: Vec<Source>,
    /// Every problem, with the file it is in.
    pub diagnostics: Vec<(String, RuleDiagnostic)>,
    /// Rule files that did not load (they have an error).
    pub rejected: usize,
}

impl RuleSet {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|(_, d)| d.is_error()).count()
    }
}

/// Loads rules, exclusions files and test files. A file that is not a rule (a YAML file with no
/// `query:` and no rule fields) is passed over with a warning.
pub fn load(sources: Vec<Source>) -> RuleSet {
    let mut set = RuleSet::default();
    let mut exclusion_files = Vec::new();
    let mut first_id: HashMap<String, String> = HashMap::new();
    for source in sources {
        match FileKind::of(&source.name) {
            Some(FileKind::Tests) => set.tests.push(source),
            Some(FileKind::Exclusions) => exclusion_files.push(source),
            Some(FileKind::Rule) => {
                if !looks_like_rule(&source.text) {
                    tracing::debug!(file = %source.name, "not a rule file: no `query:` field");
                    continue;
                }
                let loaded = load_rule(&source.name, &source.text);
                for d in loaded.diagnostics {
                    set.diagnostics.push((source.name.clone(), d));
                }
                let Some(rule) = loaded.rule else {
                    set.rejected += 1;
                    continue;
                };
                if let Some(first) = first_id.get(&rule.id) {
                    let (line, column) = id_position(&source.text);
                    set.diagnostics.push((
                        source.name.clone(),
                        RuleDiagnostic::error(
                            format!("rule id {} is also the id of {first}", rule.id),
                            line,
                            column,
                        ),
                    ));
                    set.rejected += 1;
                    continue;
                }
                first_id.insert(rule.id.clone(), source.name.clone());
                set.rules.push(rule);
            }
            None => {}
        }
    }
    for source in exclusion_files {
        let (exclusions, diagnostics) = load_exclusions_file(&source.name, &source.text);
        set.diagnostics.extend(diagnostics.into_iter().map(|d| (source.name.clone(), d)));
        for (exclusion, target) in exclusions {
            let mut matched = false;
            for rule in &mut set.rules {
                let applies = match &target {
                    Target::Rule(id) => rule.id.eq_ignore_ascii_case(id),
                    Target::Tag(tag) => rule.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)),
                };
                if applies {
                    rule.exclusions.push(exclusion.clone());
                    matched = true;
                }
            }
            if !matched {
                let what = match &target {
                    Target::Rule(id) => format!("rule {id}"),
                    Target::Tag(tag) => format!("tag {tag}"),
                };
                set.diagnostics.push((
                    source.name.clone(),
                    RuleDiagnostic::warning(
                        format!("no loaded rule matches {what}: the exclusion is unused"),
                        exclusion.line,
                        exclusion.column,
                    ),
                ));
            }
        }
    }
    set
}

/// Whether a YAML file is meant as a rule: it has a top-level `query` key.
fn looks_like_rule(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("query:"))
}

fn id_position(text: &str) -> (u32, u32) {
    text.lines().position(|l| l.starts_with("id:")).map(|i| (i as u32 + 1, 1)).unwrap_or((1, 1))
}
