//! Arithmetic where KQL differs from SQL: integer division, a modulo that is never negative,
//! and arithmetic on timespans.

use crate::udf::{self, KqlFunction, Returns, longs, reals};
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::Expr;

/// `a / b` on longs: truncates toward zero; null when `b` is 0.
pub fn integer_divide(a: Expr, b: Expr) -> Expr {
    udf::call("divide", DataType::Int64, divide_longs, vec![a, b])
}

fn divide_longs(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let (a, b) = (longs(&args[0])?, longs(&args[1])?);
    Ok(udf::long_array(a.into_iter().zip(b).map(|(a, b)| a?.checked_div(b?))))
}

/// `a % b`: the remainder, never negative (`-14 % 12` is 10); longs, reals and timespans.
pub fn modulo(a: Expr, b: Expr) -> Expr {
    KqlFunction::new("modulo", Returns::Arg(0), modulo_arrays).call(vec![a, b])
}

fn modulo_arrays(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    match args[0].data_type() {
        DataType::Float64 | DataType::Float32 => {
            let (a, b) = (reals(&args[0])?, reals(&args[1])?);
            Ok(udf::real_array(a.into_iter().zip(b).map(|(a, b)| {
                let (a, b) = (a?, b?);
                Some(a.rem_euclid(b.abs()))
            })))
        }
        t => {
            let (a, b) = (longs(&args[0])?, longs(&args[1])?);
            let out = a.into_iter().zip(b).map(|(a, b)| {
                let b = b?.checked_abs()?;
                (b != 0).then(|| a.map(|a| a.rem_euclid(b))).flatten()
            });
            Ok(match t {
                DataType::Duration(_) => udf::timespan_array(out),
                _ => udf::long_array(out),
            })
        }
    }
}

/// `span * n` or `span / n`: a timespan scaled by a number.
pub fn scale_timespan(span: Expr, n: Expr, divide: bool) -> Expr {
    let body: udf::ArrayFn = if divide { divide_span } else { multiply_span };
    udf::call(
        if divide { "divide" } else { "multiply" },
        DataType::Duration(datafusion::arrow::datatypes::TimeUnit::Nanosecond),
        body,
        vec![span, n],
    )
}

fn multiply_span(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let (s, n) = (longs(&args[0])?, reals(&args[1])?);
    Ok(udf::timespan_array(
        s.into_iter().zip(n).map(|(s, n)| Some((s? as f64 * n?).round() as i64)),
    ))
}

fn divide_span(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let (s, n) = (longs(&args[0])?, reals(&args[1])?);
    Ok(udf::timespan_array(s.into_iter().zip(n).map(|(s, n)| {
        let (s, n) = (s?, n?);
        (n != 0.0).then(|| (s as f64 / n).round() as i64)
    })))
}

/// `span / span`: how many times one fits in the other, as a real.
pub fn timespan_ratio(a: Expr, b: Expr) -> Expr {
    udf::call("divide", DataType::Float64, ratio, vec![a, b])
}

fn ratio(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let (a, b) = (longs(&args[0])?, longs(&args[1])?);
    Ok(udf::real_array(a.into_iter().zip(b).map(|(a, b)| Some(a? as f64 / b? as f64))))
}
