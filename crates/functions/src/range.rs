//! The `range` operator's rows: a column of evenly spaced values, built in memory.

use crate::types::KqlType;
use crate::udf;
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use std::sync::Arc;

/// At most this many rows: `range` is for generating test data and time axes.
pub const MAX_ROWS: usize = 10_000_000;

/// A plan producing `from`, `from + step`, ... up to and including `to`.
pub fn range_plan(
    name: &str,
    from: Expr,
    to: Expr,
    step: Expr,
    ty: KqlType,
) -> Result<LogicalPlan, String> {
    let value = |e: &Expr| match e {
        Expr::Literal(v, _) => Ok(v.clone()),
        _ => Err("`range` bounds and step must be constants".to_string()),
    };
    let (f, t, s) = (value(&from)?, value(&to)?, value(&step)?);
    let array: ArrayRef = match ty {
        KqlType::Real => {
            let (f, t, s) = (real(&f)?, real(&t)?, real(&s)?);
            let n = count(((t - f) / s).floor() + 1.0, s != 0.0)?;
            udf::real_array((0..n).map(|i| Some(f + i as f64 * s)))
        }
        KqlType::Int | KqlType::Long | KqlType::DateTime | KqlType::TimeSpan => {
            let (f, t, s) = (long(&f)?, long(&t)?, long(&s)?);
            let n = count(
                ((t as i128 - f as i128) / s.max(1) as i128 + 1) as f64,
                s > 0 || (s < 0 && t <= f),
            )?;
            let n = if s < 0 {
                count(((f as i128 - t as i128) / -(s as i128) + 1) as f64, true)?
            } else {
                n
            };
            let values = (0..n as i64).map(move |i| Some(f + i * s));
            match ty {
                KqlType::DateTime => udf::datetime_array(values),
                KqlType::TimeSpan => udf::timespan_array(values),
                _ => udf::long_array(values),
            }
        }
        other => return Err(format!("`range` cannot count in {other}s")),
    };
    let schema = Arc::new(Schema::new(vec![Field::new(name, ty.arrow(), true)]));
    let batch = RecordBatch::try_new(schema.clone(), vec![array]).map_err(|e| e.to_string())?;
    let table = MemTable::try_new(schema, vec![vec![batch]]).map_err(|e| e.to_string())?;
    LogicalPlanBuilder::scan("range", provider_as_source(Arc::new(table)), None)
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())
}

fn count(n: f64, valid_step: bool) -> Result<usize, String> {
    if !valid_step || n.is_nan() {
        return Err("`range` needs a step that moves from the start toward the end".into());
    }
    if n < 0.0 {
        return Ok(0);
    }
    if n > MAX_ROWS as f64 {
        return Err(format!("`range` would make more than {MAX_ROWS} rows"));
    }
    Ok(n as usize)
}

fn real(v: &ScalarValue) -> Result<f64, String> {
    match v {
        ScalarValue::Float64(Some(x)) => Ok(*x),
        ScalarValue::Int64(Some(x)) => Ok(*x as f64),
        ScalarValue::Int32(Some(x)) => Ok(*x as f64),
        _ => Err(format!("`range` expects numbers, found {v}")),
    }
}

fn long(v: &ScalarValue) -> Result<i64, String> {
    match v {
        ScalarValue::Int64(Some(x))
        | ScalarValue::TimestampNanosecond(Some(x), _)
        | ScalarValue::DurationNanosecond(Some(x)) => Ok(*x),
        ScalarValue::Int32(Some(x)) => Ok(*x as i64),
        _ => Err(format!("`range` expects constants, found {v}")),
    }
}
