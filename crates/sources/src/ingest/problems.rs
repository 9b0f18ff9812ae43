//! Rows and values that could not be read: counted per file and reason, with the first places,
//! so that nothing is dropped without being reported.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// How many places a summary names per file.
const PLACES: usize = 5;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileProblems {
    /// Reason to count.
    pub counts: BTreeMap<String, u64>,
    /// The first places: line (0 for the whole file) and reason.
    pub places: Vec<(u64, String)>,
}

impl FileProblems {
    pub fn add(&mut self, line: u64, reason: &str) {
        *self.counts.entry(reason_kind(reason).to_string()).or_default() += 1;
        if self.places.len() < PLACES {
            self.places.push((line, reason.to_string()));
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The same problems, their lines moved down by `base` (for a part of a file read apart).
    pub fn shifted(mut self, base: u64) -> FileProblems {
        for (line, _) in &mut self.places {
            if *line > 0 {
                *line += base;
            }
        }
        self
    }

    pub fn merge(&mut self, other: FileProblems) {
        for (k, n) in other.counts {
            *self.counts.entry(k).or_default() += n;
        }
        for p in other.places {
            if self.places.len() < PLACES {
                self.places.push(p);
            }
        }
        self.places.sort();
    }
}

/// The kind of a reason, for counting: the text before any detail in parentheses or after ':'.
fn reason_kind(reason: &str) -> &str {
    let cut = reason.find(" (").into_iter().chain(reason.find(": ")).min().unwrap_or(reason.len());
    &reason[..cut]
}

/// Every file's problems, shared by the readers of a catalog.
#[derive(Default, Debug)]
pub struct Problems {
    files: Mutex<BTreeMap<String, FileProblems>>,
}

impl Problems {
    pub fn record(&self, file: &str, problems: FileProblems) {
        if problems.total() == 0 {
            return;
        }
        if let Ok(mut files) = self.files.lock() {
            files.entry(file.to_string()).or_default().merge(problems);
        }
    }

    pub fn snapshot(&self) -> BTreeMap<String, FileProblems> {
        self.files.lock().map(|f| f.clone()).unwrap_or_default()
    }

    pub fn total(&self) -> u64 {
        self.snapshot().values().map(FileProblems::total).sum()
    }

    /// The summary people read at the end of a run: per file, counts by reason and the first
    /// places. Empty when nothing went wrong.
    pub fn summary(&self) -> String {
        let files = self.snapshot();
        let mut out = String::new();
        for (file, p) in &files {
            let counts: Vec<String> = p.counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
            out.push_str(&format!(
                "{file}: {} unreadable: {}\n",
                plural(p.total(), "row or value", "rows or values"),
                counts.join(", ")
            ));
            for (line, reason) in &p.places {
                if *line == 0 {
                    out.push_str(&format!("  {file}: {reason}\n"));
                } else {
                    out.push_str(&format!("  {file}:{line}: {reason}\n"));
                }
            }
        }
        out
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_kind_and_keeps_the_first_places() {
        let problems = Problems::default();
        let mut p = FileProblems::default();
        for line in 1..=7 {
            p.add(line, "not valid JSON (expected value)");
        }
        p.add(9, "a value that is not a long: ReportId");
        problems.record("a.json", p);
        insta::assert_snapshot!(problems.summary(), @r"
        a.json: 8 rows or values unreadable: 1 a value that is not a long, 7 not valid JSON
          a.json:1: not valid JSON (expected value)
          a.json:2: not valid JSON (expected value)
          a.json:3: not valid JSON (expected value)
          a.json:4: not valid JSON (expected value)
          a.json:5: not valid JSON (expected value)
        ");
    }
}
