//! Bundles the rules (`rules/`) and the demo telemetry (`demo/`) of the repository into the
//! binary, so that `quarry hunt` works out of the box, wherever it is run from.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn files(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files(&path, extensions, out);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(path);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut code = String::new();
    for (name, folder, extensions, macro_name, ty) in [
        ("RULES", "rules", &["yaml", "yml"][..], "include_str", "str"),
        ("DEMO", "demo", &["csv", "json", "ndjson", "parquet"][..], "include_bytes", "[u8]"),
    ] {
        let dir = root.join(folder);
        let mut found = Vec::new();
        files(&dir, extensions, &mut found);
        writeln!(code, "pub const {name}: &[(&str, &{ty})] = &[").unwrap();
        for path in &found {
            println!("cargo:rerun-if-changed={}", path.display());
            let relative =
                path.strip_prefix(&root).unwrap_or(path).to_string_lossy().replace('\\', "/");
            let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
            writeln!(
                code,
                "    ({relative:?}, {macro_name}!({:?})),",
                absolute.display().to_string()
            )
            .unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("bundled.rs");
    std::fs::write(out, code).expect("write bundled.rs");
}
