//! Conversions between KQL types: `tostring`, `tolong`, `todatetime`, ... A conversion that
//! fails gives null (an empty string for `tostring`), never an error.

use crate::dynamic;
use crate::time::{format_timespan, parse_datetime, parse_timespan};
use crate::types::{DECIMAL_PRECISION, DECIMAL_SCALE, KqlType};
use crate::udf::{self, KqlFunction, Returns, longs, reals, strings};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Array};
use datafusion::arrow::datatypes::{DataType, Decimal128Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Expr;
use std::sync::Arc;

/// An expression converting `e` from one KQL type to another, with KQL's rules.
pub fn to_type(e: Expr, from: KqlType, to: KqlType) -> Expr {
    if from == to {
        return e;
    }
    let (name, body): (&'static str, udf::ArrayFn) = match to {
        KqlType::String if from == KqlType::Dynamic => ("tostring", dynamic_to_string_array),
        KqlType::String => ("tostring", to_string_array),
        KqlType::Long => ("tolong", to_long_array),
        KqlType::Int => ("toint", to_int_array),
        KqlType::Real => ("toreal", to_real_array),
        KqlType::Bool => ("tobool", to_bool_array),
        KqlType::DateTime => ("todatetime", to_datetime_array),
        KqlType::TimeSpan => ("totimespan", to_timespan_array),
        KqlType::Guid => ("toguid", to_guid_array),
        KqlType::Decimal => ("todecimal", to_decimal_array),
        KqlType::Dynamic => ("todynamic", to_dynamic_array),
    };
    KqlFunction::new(name, Returns::Fixed(to.arrow()), body).call(vec![e])
}

/// The KQL text of one value, as `tostring` gives it.
pub fn scalar_to_text(v: &ScalarValue) -> String {
    match v.to_array() {
        Ok(a) => to_string_array(&[a], 1)
            .ok()
            .map(|s| s.as_string::<i32>().value(0).to_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// A real as KQL prints it: the shortest text that reads back as the same number.
pub fn format_real(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-5..1e15).contains(&a) {
        // Exponent form, as .NET writes it: 1E+20, 1.5E-07.
        let s = format!("{v:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}E{sign}{:02}", exp.abs());
    }
    format!("{v}")
}

fn to_string_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let a = &args[0];
    let out: Vec<String> = match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            strings(a)?.into_iter().map(str::to_string).collect()
        }
        DataType::Boolean => udf::bools(a)?
            .into_iter()
            .map(|b| b.map(|b| b.to_string()).unwrap_or_default())
            .collect(),
        DataType::Float32 | DataType::Float64 => {
            reals(a)?.into_iter().map(|v| v.map(format_real).unwrap_or_default()).collect()
        }
        DataType::Decimal128(_, scale) => {
            let d = a.as_primitive::<Decimal128Type>();
            (0..d.len())
                .map(
                    |i| {
                        if d.is_null(i) {
                            String::new()
                        } else {
                            format_decimal(d.value(i), *scale)
                        }
                    },
                )
                .collect()
        }
        // KQL writes a datetime as text with all 7 digits of the second's fraction.
        DataType::Timestamp(..) => longs(a)?
            .into_iter()
            .map(|v| v.map(crate::time::format_datetime_full).unwrap_or_default())
            .collect(),
        DataType::Duration(..) => {
            longs(a)?.into_iter().map(|v| v.map(format_timespan).unwrap_or_default()).collect()
        }
        DataType::Null => vec![String::new(); a.len()],
        _ => longs(a)?.into_iter().map(|v| v.map(|v| v.to_string()).unwrap_or_default()).collect(),
    };
    Ok(udf::string_array(out))
}

fn dynamic_to_string_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    Ok(udf::string_array(text_or_dynamic(&args[0])?))
}

fn format_decimal(v: i128, scale: i8) -> String {
    let div = 10i128.pow(scale.max(0) as u32);
    let (whole, frac) = (v / div, (v % div).abs());
    let sign = if v < 0 && whole == 0 { "-" } else { "" };
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let frac = format!("{frac:0width$}", width = scale.max(0) as usize);
    format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
}

/// A real from text as KQL reads it (`nan`, `inf`, `-inf` included).
pub fn parse_real(t: &str) -> Option<f64> {
    let t = t.trim();
    match t.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => t.parse::<f64>().ok(),
    }
}

/// A decimal from text, scaled to [`DECIMAL_SCALE`].
pub fn parse_decimal(t: &str) -> Option<i128> {
    let t = t.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let scale = DECIMAL_SCALE as usize;
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(scale).collect();
    let digits = format!("{}{frac}", if whole.is_empty() { "0" } else { whole });
    let v: i128 = digits.parse().ok()?;
    Some(if negative { -v } else { v })
}

/// A guid from text, in KQL's canonical lowercase form; `None` if it is not one.
pub fn parse_guid(t: &str) -> Option<String> {
    let t = t.trim().trim_start_matches('{').trim_end_matches('}');
    let hex: String = t.chars().filter(|c| *c != '-').collect();
    let groups: Vec<usize> = t.split('-').map(str::len).collect();
    let shaped = groups == [8, 4, 4, 4, 12] || (groups == [32]);
    if !shaped || hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]))
}

fn text_or_dynamic(a: &ArrayRef) -> Result<Vec<String>> {
    Ok(strings(a)?.into_iter().map(dynamic::unquote).collect())
}

fn to_long_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let a = &args[0];
    let out: Vec<Option<i64>> = match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => text_or_dynamic(a)?
            .iter()
            .map(|s| {
                let s = s.trim();
                s.parse::<i64>().ok().or_else(|| {
                    s.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| v.trunc() as i64)
                })
            })
            .collect(),
        DataType::Float32 | DataType::Float64 | DataType::Decimal128(..) => reals(a)?
            .into_iter()
            .map(|v| v.filter(|v| v.is_finite()).map(|v| v.trunc() as i64))
            .collect(),
        DataType::Duration(..) => longs(a)?.into_iter().map(|v| v.map(|v| v / 100)).collect(),
        DataType::Timestamp(..) => longs(a)?
            .into_iter()
            .map(|v| v.map(|v| (v as i128 / 100 + TICKS_0001_TO_1970) as i64))
            .collect(),
        _ => longs(a)?,
    };
    Ok(udf::long_array(out))
}

/// Ticks between 0001-01-01 and 1970-01-01: a datetime converts to a long in KQL's ticks.
pub const TICKS_0001_TO_1970: i128 = 621_355_968_000_000_000;

fn to_int_array(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let longs_out = to_long_array(args, rows)?;
    let l = longs(&longs_out)?;
    Ok(Arc::new(datafusion::arrow::array::Int32Array::from_iter(
        l.into_iter().map(|v| v.and_then(|v| i32::try_from(v).ok())),
    )))
}

fn to_real_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let a = &args[0];
    let out: Vec<Option<f64>> = match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            text_or_dynamic(a)?.iter().map(|s| parse_real(s)).collect()
        }
        DataType::Duration(..) => {
            longs(a)?.into_iter().map(|v| v.map(|v| v as f64 / 100.0)).collect()
        }
        _ => reals(a)?,
    };
    Ok(udf::real_array(out))
}

fn to_bool_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let a = &args[0];
    let out: Vec<Option<bool>> = match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => text_or_dynamic(a)?
            .iter()
            .map(|s| match s.trim().to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                other => other.parse::<f64>().ok().map(|v| v != 0.0),
            })
            .collect(),
        DataType::Boolean => udf::bools(a)?,
        _ => reals(a)?.into_iter().map(|v| v.map(|v| v != 0.0)).collect(),
    };
    Ok(udf::bool_array(out))
}

fn to_datetime_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let a = &args[0];
    let out: Vec<Option<i64>> = match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            text_or_dynamic(a)?.iter().map(|s| parse_datetime(s)).collect()
        }
        DataType::Timestamp(..) => longs(a)?,
        // A long is a count of ticks since 0001-01-01.
        DataType::Int64 | DataType::Int32 => longs(a)?
            .into_iter()
            .map(|v| v.and_then(|t| i64::try_from((t as i128 - TICKS_0001_TO_1970) * 100).ok()))
            .collect(),
        _ => vec![None; a.len()],
    };
    Ok(udf::datetime_array(out))
}

fn to_timespan_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let a = &args[0];
    let out: Vec<Option<i64>> = match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            text_or_dynamic(a)?.iter().map(|s| parse_timespan(s)).collect()
        }
        DataType::Duration(..) => longs(a)?,
        // A number is a count of ticks.
        DataType::Int64 | DataType::Int32 => {
            longs(a)?.into_iter().map(|v| v.and_then(|t| t.checked_mul(100))).collect()
        }
        _ => vec![None; a.len()],
    };
    Ok(udf::timespan_array(out))
}

fn to_guid_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let values = text_or_dynamic(&args[0])?;
    Ok(Arc::new(datafusion::arrow::array::StringArray::from_iter(
        values.iter().map(|s| parse_guid(s)),
    )))
}

fn to_decimal_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let a = &args[0];
    let out: Vec<Option<i128>> = match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            text_or_dynamic(a)?.iter().map(|s| parse_decimal(s)).collect()
        }
        DataType::Decimal128(..) => {
            let d = a.as_primitive::<Decimal128Type>();
            (0..d.len()).map(|i| (!d.is_null(i)).then(|| d.value(i))).collect()
        }
        _ => {
            reals(a)?.into_iter().map(|v| v.and_then(|v| parse_decimal(&format!("{v}")))).collect()
        }
    };
    let array = Decimal128Array::from_iter(out)
        .with_precision_and_scale(DECIMAL_PRECISION, DECIMAL_SCALE)?;
    Ok(Arc::new(array))
}

fn to_dynamic_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let a = &args[0];
    let out: Vec<Option<String>> = match a.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            strings(a)?.into_iter().map(|s| Some(dynamic::string_value(s))).collect()
        }
        DataType::Boolean => udf::bools(a)?.into_iter().map(|b| b.map(|b| b.to_string())).collect(),
        DataType::Float32 | DataType::Float64 => reals(a)?
            .into_iter()
            .map(|v| v.and_then(serde_json::Number::from_f64).map(|n| n.to_string()))
            .collect(),
        DataType::Timestamp(..) => longs(a)?
            .into_iter()
            .map(|v| v.map(|v| dynamic::string_value(&crate::time::format_datetime_full(v))))
            .collect(),
        DataType::Duration(..) => longs(a)?
            .into_iter()
            .map(|v| v.map(|v| dynamic::string_value(&format_timespan(v))))
            .collect(),
        _ => longs(a)?.into_iter().map(|v| v.map(|v| v.to_string())).collect(),
    };
    Ok(Arc::new(datafusion::arrow::array::StringArray::from_iter(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_print_like_kql() {
        assert_eq!(format_real(1.0), "1");
        assert_eq!(format_real(0.5), "0.5");
        assert_eq!(format_real(1e20), "1E+20");
        assert_eq!(format_real(1.5e-7), "1.5E-07");
        assert_eq!(format_real(f64::NAN), "NaN");
    }

    #[test]
    fn guids_and_decimals() {
        assert_eq!(
            parse_guid("{74BE27DE-1E4E-49D9-B579-FE0B331D3642}").as_deref(),
            Some("74be27de-1e4e-49d9-b579-fe0b331d3642")
        );
        assert_eq!(parse_guid("74be27de-1e4e-49d9-b579"), None);
        assert_eq!(format_decimal(parse_decimal("-1.25").unwrap(), DECIMAL_SCALE), "-1.25");
        assert_eq!(format_decimal(parse_decimal("3").unwrap(), DECIMAL_SCALE), "3");
        assert_eq!(parse_decimal("1.2.3"), None);
    }
}
