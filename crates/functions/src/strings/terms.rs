//! KQL's string predicates on a single value: terms, case rules, prefixes and suffixes.
//!
//! A *term* is a maximal run of alphanumeric characters. `has` asks whether the needle occurs
//! aligned to terms: where the needle starts with an alphanumeric character, the character
//! before the occurrence must not be one, and likewise at its end. So `"atera.com.evil.net"`
//! has `"atera.com"`, but `"notatera.com"` and `"atera-com.net"` do not. Case is ignored unless
//! the operator ends in `_cs`.

/// Where an occurrence of the needle must sit for the predicate to hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// Anywhere (`contains`).
    Anywhere,
    /// Aligned to terms at both ends (`has`).
    Term,
    /// At the start of a term (`hasprefix`).
    TermStart,
    /// At the end of a term (`hassuffix`).
    TermEnd,
    /// At the start of the value (`startswith`).
    ValueStart,
    /// At the end of the value (`endswith`).
    ValueEnd,
    /// The whole value (`=~`, `==`).
    Whole,
}

/// Whether the character that ends at byte `end` of `s` (exclusive) is alphanumeric.
pub fn alnum_before(s: &[u8], end: usize) -> bool {
    if end == 0 {
        return false;
    }
    let b = s[end - 1];
    if b < 0x80 {
        return b.is_ascii_alphanumeric();
    }
    // Walk back to the start of the UTF-8 sequence.
    let mut start = end - 1;
    while start > 0 && (s[start] & 0xC0) == 0x80 {
        start -= 1;
    }
    std::str::from_utf8(&s[start..end])
        .ok()
        .and_then(|c| c.chars().next())
        .is_some_and(char::is_alphanumeric)
}

/// Whether the character that starts at byte `start` of `s` is alphanumeric.
pub fn alnum_at(s: &[u8], start: usize) -> bool {
    let Some(&b) = s.get(start) else { return false };
    if b < 0x80 {
        return b.is_ascii_alphanumeric();
    }
    let len = match b {
        0xF0.. => 4,
        0xE0.. => 3,
        _ => 2,
    };
    std::str::from_utf8(&s[start..(start + len).min(s.len())])
        .ok()
        .and_then(|c| c.chars().next())
        .is_some_and(char::is_alphanumeric)
}

/// Whether an occurrence of `needle` at `start..end` of `hay` satisfies `anchor`.
/// `needle_starts_alnum`/`needle_ends_alnum` describe the needle's own edges.
pub fn anchored(
    hay: &[u8],
    start: usize,
    end: usize,
    anchor: Anchor,
    needle_starts_alnum: bool,
    needle_ends_alnum: bool,
) -> bool {
    let start_ok = || !needle_starts_alnum || !alnum_before(hay, start);
    let end_ok = || !needle_ends_alnum || !alnum_at(hay, end);
    match anchor {
        Anchor::Anywhere => true,
        Anchor::Term => start_ok() && end_ok(),
        Anchor::TermStart => start_ok(),
        Anchor::TermEnd => end_ok(),
        Anchor::ValueStart => start == 0,
        Anchor::ValueEnd => end == hay.len(),
        Anchor::Whole => start == 0 && end == hay.len(),
    }
}

/// Evaluates an anchored match of one needle in one value, without any precomputation: the
/// path for needles that are not constants.
pub fn matches(hay: &str, needle: &str, anchor: Anchor, case_sensitive: bool) -> bool {
    if case_sensitive || (hay.is_ascii() && needle.is_ascii()) {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        let fold = !case_sensitive;
        return find_all(h, n, fold, |s, e| anchored_needle(h, s, e, anchor, n));
    }
    let (h, n) = (hay.to_lowercase(), needle.to_lowercase());
    let (h, n) = (h.as_bytes(), n.as_bytes());
    find_all(h, n, false, |s, e| anchored_needle(h, s, e, anchor, n))
}

fn anchored_needle(hay: &[u8], start: usize, end: usize, anchor: Anchor, needle: &[u8]) -> bool {
    let starts = alnum_at(needle, 0);
    let ends = alnum_before(needle, needle.len());
    anchored(hay, start, end, anchor, starts, ends)
}

/// Calls `accept` on each occurrence of `needle` in `hay` (ASCII case folded when `fold`), and
/// returns true as soon as it accepts one. An empty needle occurs at every position.
fn find_all(
    hay: &[u8],
    needle: &[u8],
    fold: bool,
    mut accept: impl FnMut(usize, usize) -> bool,
) -> bool {
    if needle.len() > hay.len() {
        return false;
    }
    let eq = |a: &[u8]| if fold { a.eq_ignore_ascii_case(needle) } else { a == needle };
    (0..=hay.len() - needle.len())
        .any(|i| eq(&hay[i..i + needle.len()]) && accept(i, i + needle.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(h: &str, n: &str) -> bool {
        matches(h, n, Anchor::Term, false)
    }

    #[test]
    fn has_respects_term_boundaries() {
        assert!(has("atera.com.evil.net", "atera.com"));
        assert!(has("agent.ATERA.com", "atera.com"));
        assert!(!has("notatera.com", "atera.com"));
        assert!(!has("atera-com.net", "atera.com"));
        assert!(has("x atera.com", "atera.com"));
        assert!(!has("KustoExplorerQueryRun", "Explorer"));
        assert!(has("Kusto Explorer", "explorer"));
        // A later occurrence can match when the first does not.
        assert!(has("xatera.com atera.com", "atera.com"));
    }

    #[test]
    fn needles_with_punctuation_edges() {
        assert!(has("a.com", ".com"));
        assert!(has("host-1", "-1"));
        assert!(!has("host-12", "-1"));
    }

    #[test]
    fn unicode_terms_and_case() {
        assert!(has("Café au lait", "CAFÉ"));
        assert!(!has("cafébar", "café"));
        assert!(has("naïve–approach", "naïve"));
    }

    #[test]
    fn prefixes_suffixes_and_case_sensitivity() {
        assert!(matches("Windows Defender", "defen", Anchor::TermStart, false));
        assert!(!matches("Windows Defender", "fender", Anchor::TermStart, false));
        assert!(matches("Windows Defender", "fender", Anchor::TermEnd, false));
        assert!(!matches("Windows Defender", "windows", Anchor::Term, true));
        assert!(matches("abc", "ABC", Anchor::Whole, false));
        assert!(!matches("abcd", "abc", Anchor::Whole, false));
        assert!(matches("abc", "", Anchor::Anywhere, false));
    }
}
