//! Rule files named on the command line (or the bundled ones), loaded into a rule set.

use anyhow::{Context, Result};
use quarry_rules::ruleset::{self, FileKind, RuleSet, Source};
use std::path::{Path, PathBuf};

/// Loads the rule, exclusions and test files under `paths` (the bundled rules when none), and
/// the exclusions files named apart.
pub fn load(paths: &[PathBuf], exclusion_files: &[PathBuf]) -> Result<RuleSet> {
    let mut sources = if paths.is_empty() { crate::bundled::rules() } else { sources(paths)? };
    for path in exclusion_files {
        let name = path.display().to_string();
        if ruleset::FileKind::of(&name) != Some(FileKind::Exclusions) {
            anyhow::bail!("{name}: an exclusions file is named `*.exclusions.yaml`");
        }
        sources.extend(self::sources(std::slice::from_ref(path))?);
    }
    tracing::debug!(files = sources.len(), "rule files");
    Ok(ruleset::load(sources))
}

/// The YAML files under `paths`, in name order; a path that does not exist is an error.
pub fn sources(paths: &[PathBuf]) -> Result<Vec<Source>> {
    let mut files = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot open {}", path.display()))?;
        if meta.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let text = text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text);
            Ok(Source { name: path.display().to_string(), text })
        })
        .collect()
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.file_name().and_then(|n| n.to_str()).and_then(FileKind::of).is_some() {
            files.push(path);
        }
    }
    Ok(())
}

/// Prints the set's diagnostics on standard error; returns how many are errors.
pub fn report(set: &RuleSet) -> usize {
    for (file, d) in &set.diagnostics {
        eprintln!("{}", d.display(file));
    }
    set.errors()
}
