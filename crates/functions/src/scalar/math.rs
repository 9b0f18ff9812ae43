//! Math functions: `abs`, `round`, `pow`, `log`, `max_of`, ...

use crate::udf::{self, KqlFunction, Returns, longs, reals};
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::Expr;

/// One-argument math functions. `abs` and `sign` keep a long a long; the rest give reals.
pub fn unary(name: &str, value: Expr) -> Expr {
    let (n, body): (&'static str, udf::ArrayFn) = match name {
        "abs" => ("abs", |a, _| keep_type(&a[0], i64::checked_abs, f64::abs)),
        "sign" => ("sign", |a, _| {
            keep_type(&a[0], |v| Some(v.signum()), |v| if v == 0.0 { 0.0 } else { v.signum() })
        }),
        "sqrt" => ("sqrt", |a, _| real_map(&a[0], f64::sqrt)),
        "exp" => ("exp", |a, _| real_map(&a[0], f64::exp)),
        "exp2" => ("exp2", |a, _| real_map(&a[0], f64::exp2)),
        "exp10" => ("exp10", |a, _| real_map(&a[0], |v| 10f64.powf(v))),
        "log" => ("log", |a, _| real_map(&a[0], f64::ln)),
        "log2" => ("log2", |a, _| real_map(&a[0], f64::log2)),
        "log10" => ("log10", |a, _| real_map(&a[0], f64::log10)),
        _ => ("ceiling", |a, _| real_map(&a[0], f64::ceil)),
    };
    let returns = if matches!(n, "abs" | "sign") {
        Returns::Arg(0)
    } else {
        Returns::Fixed(DataType::Float64)
    };
    KqlFunction::new(n, returns, body).call(vec![value])
}

fn keep_type(a: &ArrayRef, int: fn(i64) -> Option<i64>, real: fn(f64) -> f64) -> Result<ArrayRef> {
    match a.data_type() {
        DataType::Int64 => Ok(udf::long_array(longs(a)?.into_iter().map(|v| v.and_then(int)))),
        _ => real_map(a, real),
    }
}

fn real_map(a: &ArrayRef, f: fn(f64) -> f64) -> Result<ArrayRef> {
    Ok(udf::real_array(reals(a)?.into_iter().map(|v| v.map(f))))
}

/// `pow(x, y)`.
pub fn pow(x: Expr, y: Expr) -> Expr {
    udf::call("pow", DataType::Float64, pow_arrays, vec![x, y])
}

fn pow_arrays(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let (x, y) = (reals(&args[0])?, reals(&args[1])?);
    Ok(udf::real_array(x.into_iter().zip(y).map(|(x, y)| Some(x?.powf(y?)))))
}

/// `round(x[, digits])`: half away from zero, as .NET rounds.
pub fn round(value: Expr, digits: Option<Expr>) -> Expr {
    let mut args = vec![value];
    args.extend(digits);
    KqlFunction::new("round", Returns::Arg(0), round_arrays).call(args)
}

fn round_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let digits = match args.get(1) {
        Some(d) => longs(d)?,
        None => vec![Some(0); rows],
    };
    match args[0].data_type() {
        DataType::Int64 => {
            let v = longs(&args[0])?;
            Ok(udf::long_array(v.into_iter().zip(digits).map(|(v, d)| {
                let (v, d) = (v?, d?);
                if d >= 0 {
                    return Some(v);
                }
                let p = 10i64.checked_pow(u32::try_from(-d).ok()?)?;
                Some((v as f64 / p as f64).round() as i64 * p)
            })))
        }
        _ => {
            let v = reals(&args[0])?;
            Ok(udf::real_array(v.into_iter().zip(digits).map(|(v, d)| {
                let (v, d) = (v?, d?);
                let p = 10f64.powi(d as i32);
                Some((v * p).round() / p)
            })))
        }
    }
}

/// `max_of(a, b, ...)` / `min_of(...)`: nulls are ignored.
pub fn extreme(max: bool, values: Vec<Expr>) -> Expr {
    let body: udf::ArrayFn =
        if max { |a, r| extreme_arrays(a, r, true) } else { |a, r| extreme_arrays(a, r, false) };
    KqlFunction::new(if max { "max_of" } else { "min_of" }, Returns::Arg(0), body).call(values)
}

fn extreme_arrays(args: &[ArrayRef], rows: usize, max: bool) -> Result<ArrayRef> {
    let pick = |a: f64, b: f64| if (b > a) == max { b } else { a };
    match args[0].data_type() {
        DataType::Float64 => {
            let cols: Vec<Vec<Option<f64>>> = args.iter().map(reals).collect::<Result<_>>()?;
            Ok(udf::real_array((0..rows).map(|i| cols.iter().filter_map(|c| c[i]).reduce(pick))))
        }
        DataType::Utf8 => {
            let cols: Vec<Vec<&str>> = args.iter().map(udf::strings).collect::<Result<_>>()?;
            let out = (0..rows).map(|i| {
                let it = cols.iter().map(|c| c[i]);
                (if max { it.max() } else { it.min() }).unwrap_or("").to_string()
            });
            Ok(udf::string_array(out))
        }
        t => {
            let cols: Vec<Vec<Option<i64>>> = args.iter().map(longs).collect::<Result<_>>()?;
            let out = (0..rows).map(|i| {
                let it = cols.iter().filter_map(|c| c[i]);
                if max { it.max() } else { it.min() }
            });
            Ok(match t {
                DataType::Timestamp(..) => udf::datetime_array(out),
                DataType::Duration(..) => udf::timespan_array(out),
                DataType::Int32 => {
                    std::sync::Arc::new(datafusion::arrow::array::Int32Array::from_iter(
                        out.map(|v| v.map(|v| v as i32)),
                    ))
                }
                _ => udf::long_array(out),
            })
        }
    }
}
