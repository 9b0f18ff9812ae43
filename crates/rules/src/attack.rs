//! The bundled MITRE ATT&CK table: tactics (with Sentinel's names for them) and techniques.

use std::collections::HashMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../data/attack.tsv");

#[derive(Debug)]
pub struct Tactic {
    /// `TA0011`
    pub id: &'static str,
    /// `Command and Control`
    pub name: &'static str,
    /// `CommandAndControl`, as Sentinel rules write it.
    pub sentinel: &'static str,
}

impl Tactic {
    /// `command-and-control`, as ATT&CK Navigator layers write it.
    pub fn shortname(&self) -> String {
        self.name.to_ascii_lowercase().replace(' ', "-")
    }
}

#[derive(Debug)]
pub struct Technique {
    pub id: &'static str,
    pub name: &'static str,
    /// Sentinel names of the tactics the technique serves.
    pub tactics: Vec<&'static str>,
}

struct Table {
    tactics: Vec<Tactic>,
    techniques: HashMap<&'static str, Technique>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut tactics = Vec::new();
        let mut techniques = HashMap::new();
        for line in DATA.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let fields: Vec<&'static str> = line.split('\t').collect();
            match fields.as_slice() {
                ["tactic", id, name, sentinel] => tactics.push(Tactic { id, name, sentinel }),
                ["technique", id, name, tactics] => {
                    let tactics = tactics.split(',').collect();
                    techniques.insert(*id, Technique { id, name, tactics });
                }
                _ => {}
            }
        }
        Table { tactics, techniques }
    })
}

/// Every enterprise tactic, in the kill-chain order Navigator shows.
pub fn tactics() -> &'static [Tactic] {
    &table().tactics
}

/// The tactic Sentinel calls `name` (exact spelling).
pub fn tactic(name: &str) -> Option<&'static Tactic> {
    table().tactics.iter().find(|t| t.sentinel == name)
}

/// The tactic a misspelt name most likely means (`Defense Evasion`, `commandandcontrol`).
pub fn tactic_like(name: &str) -> Option<&'static Tactic> {
    let squashed: String =
        name.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    table().tactics.iter().find(|t| t.sentinel.to_ascii_lowercase() == squashed)
}

/// A technique or sub-technique by id (`T1219`, `T1059.001`).
pub fn technique(id: &str) -> Option<&'static Technique> {
    table().techniques.get(id)
}

/// Whether `id` has the shape of an ATT&CK technique id.
pub fn is_technique_id(id: &str) -> bool {
    let b = id.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(tactics().len(), 16);
        let c2 = tactic("CommandAndControl").unwrap();
        assert_eq!(
            (c2.id, c2.name, c2.shortname().as_str()),
            ("TA0011", "Command and Control", "command-and-control")
        );
        assert_eq!(tactic_like("Defense Evasion").unwrap().sentinel, "DefenseEvasion");
        assert!(tactic("Command and Control").is_none());
        let t = technique("T1219").unwrap();
        assert_eq!(
            (t.name, t.tactics.as_slice()),
            ("Remote Access Software", &["CommandAndControl"][..])
        );
        assert_eq!(technique("T1059.001").unwrap().name, "PowerShell");
    }

    #[test]
    fn technique_ids() {
        for (id, ok) in [
            ("T1219", true),
            ("T1059.001", true),
            ("T121", false),
            ("t1219", false),
            ("T1059.01", false),
            ("TA0011", false),
        ] {
            assert_eq!(is_technique_id(id), ok, "{id}");
        }
    }
}
