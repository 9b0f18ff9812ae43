//! The rules and demo telemetry built into the binary (see `build.rs`).

use anyhow::{Context, Result};
use quarry_rules::Source;
use std::path::PathBuf;

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// The clock of the demo telemetry: every demo row falls in the day before it.
pub const DEMO_NOW: &str = "2026-11-30T12:00:00Z";

/// The bundled rule files, named as in the repository (`rules/...`).
pub fn rules() -> Vec<Source> {
    RULES
        .iter()
        .map(|(name, text)| Source { name: name.to_string(), text: text.to_string() })
        .collect()
}

/// Writes the demo telemetry to a folder of the temporary directory (once per version and
/// content) and returns it.
pub fn demo_folder() -> Result<PathBuf> {
    let fingerprint: u64 = DEMO
        .iter()
        .flat_map(|(name, bytes)| name.bytes().chain(bytes.iter().copied()))
        .fold(0xcbf29ce484222325, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
    let dir = std::env::temp_dir().join(format!("quarry-demo-{fingerprint:016x}"));
    for (name, bytes) in DEMO {
        let file = name.strip_prefix("demo/").unwrap_or(name);
        let path = dir.join(file);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    tracing::debug!(folder = %dir.display(), files = DEMO.len(), "bundled demo telemetry");
    Ok(dir)
}
