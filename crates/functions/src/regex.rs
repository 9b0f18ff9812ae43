//! Regular expressions: `matches regex`, `extract`, `replace_regex`, ... A pattern that is a
//! constant is compiled once per query; others once per value.

use crate::udf::{self, strings};
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use regex::Regex;

/// `text matches regex pattern`.
pub fn matches(text: Expr, pattern: Expr) -> Expr {
    udf::call("matches_regex", DataType::Boolean, matches_arrays, vec![text, pattern])
}

fn matches_arrays(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let texts = strings(&args[0])?;
    let patterns = strings(&args[1])?;
    let mut cache = RegexCache::default();
    let mut out = Vec::with_capacity(texts.len());
    for (t, p) in texts.iter().zip(patterns) {
        out.push(Some(cache.get(p)?.is_match(t)));
    }
    Ok(udf::bool_array(out))
}

/// Compiles each distinct pattern once per batch (patterns are nearly always one constant).
#[derive(Default)]
pub struct RegexCache {
    last: Option<(String, Regex)>,
}

impl RegexCache {
    pub fn get(&mut self, pattern: &str) -> Result<&Regex> {
        let stale = self.last.as_ref().is_none_or(|(p, _)| p != pattern);
        if stale {
            let re = Regex::new(pattern).map_err(|e| {
                DataFusionError::Execution(format!("invalid regular expression {pattern:?}: {e}"))
            })?;
            self.last = Some((pattern.to_string(), re));
        }
        match &self.last {
            Some((_, re)) => Ok(re),
            None => Err(DataFusionError::Internal("regex cache is empty".into())),
        }
    }
}
