//! String predicates against constant needles, evaluated over whole Arrow arrays.
//!
//! The needles of `has`, `has_any`, `contains`, `in~`, ... are nearly always constants, so the
//! planner builds one [`NeedleSet`] per predicate and query. For term and substring searches it
//! holds an Aho-Corasick automaton (ASCII case folded unless `_cs`), run once over an array's
//! contiguous value buffer; each hit is mapped to its row and checked against the term
//! boundaries there. Needles with non-ASCII letters under case folding take a slower path that
//! lowercases each value.

use super::terms::{Anchor, alnum_at, alnum_before, anchored, matches};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, BooleanBufferBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result};
use std::collections::HashSet;

/// How the needles combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quantifier {
    /// True when any needle matches (`has`, `has_any`, `in~`).
    Any,
    /// True when every needle matches (`has_all`).
    All,
}

/// A compiled set of constant needles with the rule they are matched by.
#[derive(Debug)]
pub struct NeedleSet {
    needles: Vec<String>,
    anchor: Anchor,
    case_sensitive: bool,
    quantifier: Quantifier,
    /// Each needle's edges: whether it starts and ends with an alphanumeric character.
    edges: Vec<(bool, bool)>,
    automaton: Option<AhoCorasick>,
    /// Lowercased needles for whole-value matches (`in~`, `=~`) with many needles.
    whole: Option<HashSet<String>>,
    /// Needles with non-ASCII letters under case folding: matched value by value.
    unicode_fold: bool,
}

impl NeedleSet {
    pub fn new(
        needles: Vec<String>,
        anchor: Anchor,
        case_sensitive: bool,
        quantifier: Quantifier,
    ) -> NeedleSet {
        let edges = needles
            .iter()
            .map(|n| (alnum_at(n.as_bytes(), 0), alnum_before(n.as_bytes(), n.len())))
            .collect();
        let unicode_fold = !case_sensitive && needles.iter().any(|n| !n.is_ascii());
        let searchable =
            matches!(anchor, Anchor::Anywhere | Anchor::Term | Anchor::TermStart | Anchor::TermEnd);
        let automaton = (searchable && !unicode_fold && !needles.iter().any(String::is_empty))
            .then(|| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(!case_sensitive)
                    .match_kind(MatchKind::Standard)
                    .build(&needles)
                    .ok()
            })
            .flatten();
        let whole = (anchor == Anchor::Whole && needles.len() > 4 && quantifier == Quantifier::Any)
            .then(|| {
                needles
                    .iter()
                    .map(|n| if case_sensitive { n.clone() } else { n.to_lowercase() })
                    .collect()
            });
        NeedleSet {
            needles,
            anchor,
            case_sensitive,
            quantifier,
            edges,
            automaton,
            whole,
            unicode_fold,
        }
    }

    pub fn needles(&self) -> &[String] {
        &self.needles
    }

    /// Evaluates the predicate on one value.
    pub fn eval(&self, hay: &str) -> bool {
        if let Some(set) = &self.whole {
            return if self.case_sensitive {
                set.contains(hay)
            } else {
                set.contains(&hay.to_lowercase())
            };
        }
        if self.quantifier == Quantifier::All && self.needles.len() > 64 {
            return self.needles.iter().all(|n| matches(hay, n, self.anchor, self.case_sensitive));
        }
        match &self.automaton {
            Some(ac) => {
                let mut seen = 0u64;
                let h = hay.as_bytes();
                for m in ac.find_overlapping_iter(h) {
                    let id = m.pattern().as_usize();
                    let (s, e) = self.edges[id];
                    if anchored(h, m.start(), m.end(), self.anchor, s, e) {
                        match self.quantifier {
                            Quantifier::Any => return true,
                            Quantifier::All => seen |= 1 << id,
                        }
                    }
                }
                self.quantifier == Quantifier::All && seen == self.all_mask()
            }
            None => {
                let one = |n: &String| matches(hay, n, self.anchor, self.case_sensitive);
                match self.quantifier {
                    Quantifier::Any => self.needles.iter().any(one),
                    Quantifier::All => self.needles.iter().all(one),
                }
            }
        }
    }

    fn all_mask(&self) -> u64 {
        if self.needles.len() >= 64 { u64::MAX } else { (1u64 << self.needles.len()) - 1 }
    }

    /// Evaluates the predicate on every value of a string array; nulls count as `""`.
    pub fn eval_array(&self, array: &ArrayRef) -> Result<BooleanArray> {
        match array.data_type() {
            DataType::Utf8 => {
                let a = array.as_string::<i32>();
                match (&self.automaton, self.quantifier) {
                    (Some(ac), Quantifier::Any) => Ok(self.scan_buffer(ac, a)),
                    _ => Ok(self.each(array.len(), |i| str_at(a, i))),
                }
            }
            DataType::LargeUtf8 => {
                Ok(self.each(array.len(), |i| str_at(array.as_string::<i64>(), i)))
            }
            DataType::Utf8View => {
                let a = array.as_string_view();
                Ok(self.each(array.len(), |i| if a.is_null(i) { "" } else { a.value(i) }))
            }
            DataType::Null => Ok(self.each(array.len(), |_| "")),
            other => Err(DataFusionError::Internal(format!(
                "string predicate applied to a {other} column"
            ))),
        }
    }

    fn each<'a>(&self, len: usize, value: impl Fn(usize) -> &'a str) -> BooleanArray {
        let mut bits = BooleanBufferBuilder::new(len);
        for i in 0..len {
            bits.append(self.eval(value(i)));
        }
        BooleanArray::new(bits.finish(), None)
    }

    /// One pass of the automaton over the array's value buffer; each hit is mapped to its row.
    fn scan_buffer(
        &self,
        ac: &AhoCorasick,
        array: &datafusion::arrow::array::StringArray,
    ) -> BooleanArray {
        let offsets = array.value_offsets();
        let values = array.value_data();
        let len = array.len();
        let mut hit = vec![false; len];
        if len > 0 {
            let base = offsets[0] as usize;
            let end = offsets[len] as usize;
            let buffer = &values[base..end];
            let mut row = 0usize;
            for m in ac.find_overlapping_iter(buffer) {
                let start = base + m.start();
                while row + 1 < len && offsets[row + 1] as usize <= start {
                    row += 1;
                }
                if hit[row] {
                    continue;
                }
                let (row_start, row_end) = (offsets[row] as usize, offsets[row + 1] as usize);
                let stop = base + m.end();
                if stop > row_end || array.is_null(row) {
                    continue;
                }
                let hay = &values[row_start..row_end];
                let (s, e) = self.edges[m.pattern().as_usize()];
                if anchored(hay, start - row_start, stop - row_start, self.anchor, s, e) {
                    hit[row] = true;
                }
            }
        }
        let mut bits = BooleanBufferBuilder::new(len);
        for h in hit {
            bits.append(h);
        }
        BooleanArray::new(bits.finish(), None)
    }

    /// Whether matching goes value by value with Unicode lowercasing (slower).
    pub fn is_unicode_folded(&self) -> bool {
        self.unicode_fold
    }
}

fn str_at<O: datafusion::arrow::array::OffsetSizeTrait>(
    a: &datafusion::arrow::array::GenericStringArray<O>,
    i: usize,
) -> &str {
    if a.is_null(i) { "" } else { a.value(i) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::StringArray;
    use std::sync::Arc;

    fn eval(set: &NeedleSet, values: &[Option<&str>]) -> Vec<bool> {
        let array: ArrayRef = Arc::new(StringArray::from(values.to_vec()));
        let out = set.eval_array(&array).unwrap();
        (0..out.len()).map(|i| out.value(i)).collect()
    }

    #[test]
    fn buffer_scan_maps_hits_to_rows_and_boundaries() {
        let set = NeedleSet::new(
            vec!["atera.com".into(), "atera-agent-heartbeat".into()],
            Anchor::Term,
            false,
            Quantifier::Any,
        );
        let rows = [
            Some("agent.atera.com"),
            Some("notatera.com"),
            Some("atera-com.net"),
            None,
            Some(""),
            Some("ATERA.COM.evil.net"),
            Some("x.atera"),
            Some("com atera-agent-heartbeat.x"),
        ];
        assert_eq!(eval(&set, &rows), [true, false, false, false, false, true, false, true]);
    }

    #[test]
    fn a_match_spanning_two_rows_does_not_count() {
        let set = NeedleSet::new(vec!["ab".into()], Anchor::Anywhere, false, Quantifier::Any);
        assert_eq!(eval(&set, &[Some("xa"), Some("bx"), Some("ab")]), [false, false, true]);
    }

    #[test]
    fn has_all_needs_every_needle() {
        let set = NeedleSet::new(
            vec!["alpha".into(), "beta".into()],
            Anchor::Term,
            false,
            Quantifier::All,
        );
        assert_eq!(
            eval(&set, &[Some("alpha beta"), Some("alpha"), Some("Beta-ALPHA"), Some("alphabeta")]),
            [true, false, true, false]
        );
    }

    #[test]
    fn whole_value_sets_and_case() {
        let names: Vec<String> =
            ["a.exe", "b.exe", "c.exe", "d.exe", "e.exe"].map(String::from).into();
        let ci = NeedleSet::new(names.clone(), Anchor::Whole, false, Quantifier::Any);
        assert_eq!(eval(&ci, &[Some("A.EXE"), Some("a.exe "), Some("e.exe")]), [true, false, true]);
        let cs = NeedleSet::new(names, Anchor::Whole, true, Quantifier::Any);
        assert_eq!(eval(&cs, &[Some("A.EXE"), Some("b.exe")]), [false, true]);
    }

    #[test]
    fn unicode_needles_fold_per_value() {
        let set = NeedleSet::new(vec!["ÉTÉ".into()], Anchor::Term, false, Quantifier::Any);
        assert!(set.is_unicode_folded());
        assert_eq!(eval(&set, &[Some("un été chaud"), Some("étés")]), [true, false]);
    }
}
