//! Parser throughput on a folder of `.kql` files:
//!
//!     cargo bench -p quarry-syntax --bench parse -- [FOLDER]
//!
//! FOLDER defaults to `../shared/corpus/dev` from the workspace root. Each pass lexes, then
//! parses, every file; the report gives the median of the passes in MB/s, for lexing alone and
//! for the whole parse (lexing included), and the share of files that parsed without errors.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    // Cargo runs benches in the crate's folder; a relative path is read from the workspace root.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let folder = match std::env::args().skip(1).find(|a| !a.starts_with('-')).map(PathBuf::from) {
        Some(p) if p.is_relative() => root.join(p),
        Some(p) => p,
        None => root.join("../shared/corpus/dev"),
    };
    let texts = load(&folder);
    if texts.is_empty() {
        eprintln!("no .kql files in {}", folder.display());
        std::process::exit(2);
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    let clean = texts.iter().filter(|t| !quarry_syntax::parse(t).has_errors()).count();
    println!(
        "corpus: {} files, {:.2} MB, {clean} parse without errors ({})",
        texts.len(),
        bytes as f64 / 1e6,
        folder.display()
    );

    let lex = measure(|| {
        let mut tokens = 0;
        for t in &texts {
            tokens += quarry_syntax::lexer::lex(t).tokens.len();
        }
        tokens
    });
    let parse = measure(|| {
        let mut diagnostics = 0;
        for t in &texts {
            diagnostics += quarry_syntax::parse(t).diagnostics.len();
        }
        diagnostics
    });
    report("lex", bytes, lex);
    report("parse", bytes, parse);
}

fn load(folder: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else { return Vec::new() };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "kql"))
        .collect();
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect()
}

/// Runs `pass` until at least 3 seconds and 10 passes have gone by; returns each pass's time.
fn measure(mut pass: impl FnMut() -> usize) -> Vec<Duration> {
    let mut sink = 0usize;
    for _ in 0..3 {
        sink = sink.wrapping_add(pass());
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 10 || start.elapsed() < Duration::from_secs(3) {
        let t = Instant::now();
        sink = sink.wrapping_add(pass());
        times.push(t.elapsed());
    }
    std::hint::black_box(sink);
    times.sort();
    times
}

fn report(what: &str, bytes: usize, times: Vec<Duration>) {
    let median = times[times.len() / 2];
    let best = times[0];
    let mbps = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    println!(
        "{what:>6}: median {:>8.2} ms per pass = {:>7.1} MB/s (best {:.1} MB/s, {} passes)",
        median.as_secs_f64() * 1e3,
        mbps(median),
        mbps(best),
        times.len()
    );
}
