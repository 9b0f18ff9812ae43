//! Parses arbitrary text. The parser must never panic; and whenever a text parses without
//! errors, its formatted form must parse to the same tree.

#![no_main]

use libfuzzer_sys::fuzz_target;
use quarry_syntax::{dump, format, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = parse(text);
    for d in &parsed.diagnostics {
        assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
    }
    if parsed.has_errors() {
        return;
    }
    let formatted = format::format_parsed(text, &parsed);
    let again = parse(&formatted);
    assert!(!again.has_errors(), "formatted text does not parse:\n{formatted}\n{:?}", again.diagnostics);
    assert_eq!(dump::query(&parsed.query), dump::query(&again.query), "tree changed:\n{formatted}");
});
