//! Inputs that once made the parser fuzz target fail (`fuzz/fuzz_targets/parse.rs`), kept so
//! that they never do again: parsing must not panic, and a text that parses must format to
//! text that parses to the same tree.

use quarry_syntax::{dump, format, parse};
use std::path::Path;

#[test]
fn fuzz_regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let parsed = parse(&text);
        count += 1;
        if parsed.has_errors() {
            continue;
        }
        let formatted = format::format_parsed(&text, &parsed);
        let again = parse(&formatted);
        assert!(
            !again.has_errors(),
            "{}: formatted text does not parse:\n{formatted}",
            path.display()
        );
        assert_eq!(
            dump::query(&parsed.query),
            dump::query(&again.query),
            "{}: the tree changed",
            path.display()
        );
    }
    assert!(count > 0);
}
