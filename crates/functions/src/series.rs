//! `series_*` functions: arithmetic, comparisons and statistics over dynamic arrays of numbers,
//! element by element. A missing or non-numeric element is null, and stays null.

use crate::dynamic::parse;
use crate::udf::{self, strings};
use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::error::Result;
use serde_json::Value;

/// Each value as a series: an array of numbers (or nulls); a number is a series of one value
/// repeated (`None` length), anything else no series.
enum Series {
    Values(Vec<Option<f64>>, bool),
    Scalar(f64, bool),
}

fn series(a: &ArrayRef) -> Result<Vec<Option<Series>>> {
    let texts = strings(a)?;
    Ok((0..a.len())
        .map(|i| {
            if a.is_null(i) {
                return None;
            }
            match parse(texts[i])? {
                Value::Array(items) => {
                    let ints = items.iter().all(|v| v.is_i64() || v.is_null());
                    Some(Series::Values(items.iter().map(Value::as_f64).collect(), ints))
                }
                Value::Number(n) => Some(Series::Scalar(n.as_f64()?, n.is_i64())),
                _ => None,
            }
        })
        .collect())
}

fn number(v: f64, int: bool) -> Value {
    if int && v.fract() == 0.0 && v.abs() < 9e15 {
        Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

fn out(values: impl IntoIterator<Item = Option<Value>>) -> ArrayRef {
    std::sync::Arc::new(datafusion::arrow::array::StringArray::from_iter(
        values.into_iter().map(|v| v.map(|v| v.to_string())),
    ))
}

/// What an element-wise operation gives.
#[derive(Clone, Copy)]
pub enum Yields {
    /// A number, an integer when both inputs are.
    Number,
    /// A real.
    Real,
    /// A boolean.
    Bool,
}

pub fn binary(
    a: &[ArrayRef],
    rows: usize,
    op: fn(f64, f64) -> f64,
    yields: Yields,
) -> Result<ArrayRef> {
    let (x, y) = (series(&a[0])?, series(&a[1])?);
    Ok(out((0..rows).map(|i| {
        let (x, y) = (x[i].as_ref()?, y[i].as_ref()?);
        let (xs, xi, n1) = match x {
            Series::Values(v, int) => (Some(v), *int, v.len()),
            Series::Scalar(_, int) => (None, *int, 0),
        };
        let (ys, yi, n2) = match y {
            Series::Values(v, int) => (Some(v), *int, v.len()),
            Series::Scalar(_, int) => (None, *int, 0),
        };
        let n = n1.max(n2);
        let at = |s: &Series, k: usize| match s {
            Series::Values(v, _) => v.get(k).copied().flatten(),
            Series::Scalar(c, _) => Some(*c),
        };
        let _ = (xs, ys);
        let items = (0..n).map(|k| match (at(x, k), at(y, k)) {
            (Some(p), Some(q)) => {
                let r = op(p, q);
                match yields {
                    Yields::Bool => Value::Bool(r != 0.0),
                    Yields::Real => number(r, false),
                    Yields::Number => number(r, xi && yi),
                }
            }
            _ => Value::Null,
        });
        Some(Value::Array(items.collect()))
    })))
}

pub fn unary(a: &[ArrayRef], rows: usize, op: fn(f64) -> f64, keeps_int: bool) -> Result<ArrayRef> {
    let x = series(&a[0])?;
    Ok(out((0..rows).map(|i| match x[i].as_ref()? {
        Series::Values(v, int) => Some(Value::Array(
            v.iter().map(|e| e.map_or(Value::Null, |e| number(op(e), keeps_int && *int))).collect(),
        )),
        Series::Scalar(..) => None,
    })))
}

fn values(s: &Option<Series>) -> Option<&Vec<Option<f64>>> {
    match s.as_ref()? {
        Series::Values(v, _) => Some(v),
        Series::Scalar(..) => None,
    }
}

pub fn sum(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let x = series(&a[0])?;
    Ok(udf::real_array((0..rows).map(|i| Some(values(&x[i])?.iter().flatten().sum()))))
}

pub fn fill_const(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    let fills = strings(&a[1])?;
    Ok(out((0..rows).map(|i| {
        let fill = parse(fills[i]).unwrap_or(Value::Null);
        match parse(texts[i])? {
            Value::Array(items) => Some(Value::Array(
                items.into_iter().map(|v| if v.is_null() { fill.clone() } else { v }).collect(),
            )),
            _ => None,
        }
    })))
}

fn pairs<'a>(x: &'a [Option<f64>], y: &'a [Option<f64>]) -> impl Iterator<Item = (f64, f64)> + 'a {
    x.iter().zip(y).filter_map(|(a, b)| Some(((*a)?, (*b)?)))
}

pub fn dot_product(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (x, y) = (series(&a[0])?, series(&a[1])?);
    Ok(udf::real_array(
        (0..rows).map(|i| Some(pairs(values(&x[i])?, values(&y[i])?).map(|(p, q)| p * q).sum())),
    ))
}

pub fn cosine_similarity(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (x, y) = (series(&a[0])?, series(&a[1])?);
    Ok(udf::real_array((0..rows).map(|i| {
        let (x, y) = (values(&x[i])?, values(&y[i])?);
        let dot: f64 = pairs(x, y).map(|(p, q)| p * q).sum();
        let nx = x.iter().flatten().map(|v| v * v).sum::<f64>().sqrt();
        let ny = y.iter().flatten().map(|v| v * v).sum::<f64>().sqrt();
        Some(dot / (nx * ny))
    })))
}

pub fn pearson(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (x, y) = (series(&a[0])?, series(&a[1])?);
    Ok(udf::real_array((0..rows).map(|i| {
        let p: Vec<(f64, f64)> = pairs(values(&x[i])?, values(&y[i])?).collect();
        let n = p.len() as f64;
        let (mx, my) =
            (p.iter().map(|v| v.0).sum::<f64>() / n, p.iter().map(|v| v.1).sum::<f64>() / n);
        let cov: f64 = p.iter().map(|(a, b)| (a - mx) * (b - my)).sum();
        let vx: f64 = p.iter().map(|(a, _)| (a - mx).powi(2)).sum();
        let vy: f64 = p.iter().map(|(_, b)| (b - my).powi(2)).sum();
        Some(cov / (vx * vy).sqrt())
    })))
}

/// `series_iir(x, numerators, denominators)`: an infinite impulse response filter.
pub fn iir(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (x, b, den) = (series(&a[0])?, series(&a[1])?, series(&a[2])?);
    Ok(out((0..rows).map(|i| {
        let (x, b, den) = (values(&x[i])?, values(&b[i])?, values(&den[i])?);
        let b: Vec<f64> = b.iter().map(|v| v.unwrap_or(0.0)).collect();
        let den: Vec<f64> = den.iter().map(|v| v.unwrap_or(0.0)).collect();
        let a0 = *den.first()?;
        let mut y: Vec<f64> = Vec::with_capacity(x.len());
        for n in 0..x.len() {
            let mut acc = 0.0;
            for (k, bk) in b.iter().enumerate() {
                if n >= k {
                    acc += bk * x[n - k].unwrap_or(0.0);
                }
            }
            for (k, ak) in den.iter().enumerate().skip(1) {
                if n >= k {
                    acc -= ak * y[n - k];
                }
            }
            y.push(acc / a0);
        }
        Some(Value::Array(y.into_iter().map(|v| number(v, false)).collect()))
    })))
}

/// `series_seasonal(s, period)`: each element replaced by the mean of its phase.
pub fn seasonal(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let x = series(&a[0])?;
    let periods = match a.get(1) {
        Some(p) => udf::longs(p)?,
        None => vec![None; rows],
    };
    Ok(out((0..rows).map(|i| {
        let v = values(&x[i])?;
        let p = usize::try_from(periods[i]?).ok().filter(|p| *p > 0)?;
        let means: Vec<f64> = (0..p)
            .map(|phase| {
                let vals: Vec<f64> = v.iter().skip(phase).step_by(p).flatten().copied().collect();
                vals.iter().sum::<f64>() / vals.len().max(1) as f64
            })
            .collect();
        Some(Value::Array((0..v.len()).map(|k| number(means[k % p], false)).collect()))
    })))
}
