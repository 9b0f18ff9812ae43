//! Aggregations computed from the list of a group's values (`array_agg`): percentiles by
//! nearest rank, weighted percentiles, and `make_bag`.

use crate::udf::{self, KqlFunction, Returns, longs, reals};
use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, lit};
use serde_json::Value;

/// The `p`th percentile (0-100) of a list of numbers, by nearest rank: the smallest value
/// with at least p% of the values at or below it. Keeps the values' type.
pub fn percentile(list: Expr, p: f64, ty: DataType) -> Expr {
    KqlFunction::new("percentile", Returns::Fixed(ty), percentile_arrays).call(vec![list, lit(p)])
}

#[allow(clippy::needless_range_loop)] // rows index several parallel arrays
fn percentile_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let lists = udf::list_of(&args[0])?;
    let ps = reals(&args[1])?;
    let mut out: Vec<ScalarValue> = Vec::with_capacity(rows);
    let item_type = match args[0].data_type() {
        DataType::List(f) => f.data_type().clone(),
        other => other.clone(),
    };
    for i in 0..rows {
        let values = if lists.is_null(i) { None } else { Some(lists.value(i)) };
        let chosen = values.and_then(|v| {
            let numbers = reals(&v).ok()?;
            let mut present: Vec<(f64, usize)> =
                numbers.iter().enumerate().filter_map(|(k, x)| x.map(|x| (x, k))).collect();
            if present.is_empty() {
                return None;
            }
            present.sort_by(|a, b| a.0.total_cmp(&b.0));
            let n = present.len();
            let rank = ((ps[i]? / 100.0) * n as f64).ceil() as usize;
            let k = present[rank.clamp(1, n) - 1].1;
            ScalarValue::try_from_array(&v, k).ok()
        });
        out.push(chosen.unwrap_or(ScalarValue::try_from(&item_type)?));
    }
    ScalarValue::iter_to_array(out)
}

/// The weighted `p`th percentile: each value counts as many times as its weight.
pub fn weighted_percentile(values: Expr, weights: Expr, p: f64, ty: DataType) -> Expr {
    KqlFunction::new("percentilew", Returns::Fixed(ty), weighted_arrays).call(vec![
        values,
        weights,
        lit(p),
    ])
}

#[allow(clippy::needless_range_loop)] // rows index several parallel arrays
fn weighted_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (values, weights) = (udf::list_of(&args[0])?, udf::list_of(&args[1])?);
    let ps = reals(&args[2])?;
    let item_type = match args[0].data_type() {
        DataType::List(f) => f.data_type().clone(),
        other => other.clone(),
    };
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let chosen = (|| {
            let v = values.value(i);
            let x = reals(&v).ok()?;
            let w = longs(&weights.value(i)).ok()?;
            let mut pairs: Vec<(f64, i64, usize)> = x
                .iter()
                .zip(&w)
                .enumerate()
                .filter_map(|(k, (x, w))| Some(((*x)?, (*w)?, k)))
                .filter(|(_, w, _)| *w > 0)
                .collect();
            if pairs.is_empty() {
                return None;
            }
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let total: i64 = pairs.iter().map(|p| p.1).sum();
            let rank = ((ps[i]? / 100.0) * total as f64).ceil().max(1.0) as i64;
            let mut seen = 0;
            for (_, weight, k) in &pairs {
                seen += weight;
                if seen >= rank {
                    return ScalarValue::try_from_array(&v, *k).ok();
                }
            }
            pairs.last().and_then(|(_, _, k)| ScalarValue::try_from_array(&v, *k).ok())
        })();
        out.push(chosen.unwrap_or(ScalarValue::try_from(&item_type)?));
    }
    ScalarValue::iter_to_array(out)
}

/// `make_bag`: the properties of a group's bags merged (the first value of a key wins).
pub fn make_bag(list: Expr, limit: i64) -> Expr {
    udf::call("make_bag", DataType::Utf8, make_bag_arrays, vec![list, lit(limit)])
}

#[allow(clippy::needless_range_loop)] // rows index several parallel arrays
fn make_bag_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let lists = udf::list_of(&args[0])?;
    let limits = longs(&args[1])?;
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let mut bag = serde_json::Map::new();
        let limit = limits[i].and_then(|l| usize::try_from(l).ok()).unwrap_or(usize::MAX);
        if !lists.is_null(i) {
            let values = lists.value(i);
            let texts = udf::strings(&values)?;
            for (k, t) in texts.iter().enumerate() {
                if values.is_null(k) {
                    continue;
                }
                if let Some(Value::Object(m)) = crate::dynamic::parse(t) {
                    for (key, v) in m {
                        if bag.len() >= limit {
                            break;
                        }
                        bag.entry(key).or_insert(v);
                    }
                }
            }
        }
        out.push(Value::Object(bag).to_string());
    }
    Ok(udf::string_array(out))
}
