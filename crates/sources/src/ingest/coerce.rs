//! Fitting values to a table's column types, with the conversions exports need: datetimes as
//! text in the formats they use, numbers written as strings, dynamic values held as JSON text.
//! A value that cannot become its column's type is null, and reported.

use super::input::{Field, json_string};
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Decimal128Builder, DurationNanosecondBuilder, Float64Builder,
    Int32Builder, Int64Builder, StringBuilder, TimestampNanosecondBuilder,
};
use quarry_functions::KqlType;
use std::borrow::Cow;
use std::sync::Arc;

/// Builds one column of a batch.
pub enum ColumnBuilder {
    Bool(BooleanBuilder),
    Int(Int32Builder),
    Long(Int64Builder),
    Real(Float64Builder),
    Decimal(Decimal128Builder),
    /// string, guid and dynamic: text.
    Text(StringBuilder, KqlType),
    DateTime(TimestampNanosecondBuilder),
    TimeSpan(DurationNanosecondBuilder),
}

impl ColumnBuilder {
    pub fn new(ty: KqlType, capacity: usize) -> ColumnBuilder {
        match ty {
            KqlType::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
            KqlType::Int => ColumnBuilder::Int(Int32Builder::with_capacity(capacity)),
            KqlType::Long => ColumnBuilder::Long(Int64Builder::with_capacity(capacity)),
            KqlType::Real => ColumnBuilder::Real(Float64Builder::with_capacity(capacity)),
            KqlType::Decimal => ColumnBuilder::Decimal(
                Decimal128Builder::with_capacity(capacity)
                    .with_precision_and_scale(
                        quarry_functions::types::DECIMAL_PRECISION,
                        quarry_functions::types::DECIMAL_SCALE,
                    )
                    .unwrap_or_else(|_| Decimal128Builder::with_capacity(capacity)),
            ),
            KqlType::String | KqlType::Guid | KqlType::Dynamic => {
                ColumnBuilder::Text(StringBuilder::with_capacity(capacity, capacity * 16), ty)
            }
            KqlType::DateTime => {
                ColumnBuilder::DateTime(TimestampNanosecondBuilder::with_capacity(capacity))
            }
            KqlType::TimeSpan => {
                ColumnBuilder::TimeSpan(DurationNanosecondBuilder::with_capacity(capacity))
            }
        }
    }

    /// Appends a value; `Err(())` when it cannot be converted (a null is appended instead).
    pub fn push(&mut self, field: Option<Field<'_>>) -> Result<(), ()> {
        let cell = match field.map(Cell::of) {
            None | Some(Cell::Null) => {
                self.push_null();
                return Ok(());
            }
            // Exports write a missing number or date as an empty string.
            Some(Cell::Str(s)) if s.is_empty() && !matches!(self, ColumnBuilder::Text(..)) => {
                self.push_null();
                return Ok(());
            }
            Some(c) => c,
        };
        let ok = match self {
            ColumnBuilder::Bool(b) => to_bool(&cell).map(|v| b.append_value(v)),
            ColumnBuilder::Int(b) => {
                to_long(&cell).and_then(|v| i32::try_from(v).ok()).map(|v| b.append_value(v))
            }
            ColumnBuilder::Long(b) => to_long(&cell).map(|v| b.append_value(v)),
            ColumnBuilder::Real(b) => to_real(&cell).map(|v| b.append_value(v)),
            ColumnBuilder::Decimal(b) => to_decimal(&cell).map(|v| b.append_value(v)),
            // A nested object or array is checked when read: only valid JSON is a value.
            ColumnBuilder::Text(_, _) if matches!(cell, Cell::Json(t) if serde_json::from_str::<serde::de::IgnoredAny>(t).is_err()) => {
                None
            }
            ColumnBuilder::Text(b, ty) => {
                append_text(b, &cell, *ty);
                Some(())
            }
            ColumnBuilder::DateTime(b) => match &cell {
                Cell::Str(s) => parse_export_datetime(s).map(|v| b.append_value(v)),
                _ => None,
            },
            ColumnBuilder::TimeSpan(b) => match &cell {
                Cell::Str(s) => {
                    quarry_functions::time::parse_timespan(s).map(|v| b.append_value(v))
                }
                _ => None,
            },
        };
        match ok {
            Some(()) => Ok(()),
            None => {
                self.push_null();
                Err(())
            }
        }
    }

    fn push_null(&mut self) {
        match self {
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::Long(b) => b.append_null(),
            ColumnBuilder::Real(b) => b.append_null(),
            ColumnBuilder::Decimal(b) => b.append_null(),
            // Strings are never null in KQL; guids and dynamic values are.
            ColumnBuilder::Text(b, KqlType::String) => b.append_value(""),
            ColumnBuilder::Text(b, _) => b.append_null(),
            ColumnBuilder::DateTime(b) => b.append_null(),
            ColumnBuilder::TimeSpan(b) => b.append_null(),
        }
    }

    pub fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Long(b) => Arc::new(b.finish()),
            ColumnBuilder::Real(b) => Arc::new(b.finish()),
            ColumnBuilder::Decimal(b) => Arc::new(b.finish()),
            ColumnBuilder::Text(b, _) => Arc::new(b.finish()),
            ColumnBuilder::DateTime(b) => Arc::new(b.finish()),
            ColumnBuilder::TimeSpan(b) => Arc::new(b.finish()),
        }
    }
}

/// A field's value, parsed as far as its kind: the text of strings and numbers is kept.
enum Cell<'a> {
    Null,
    Bool(bool),
    /// A JSON number's text.
    Number(&'a str),
    /// A JSON string's text, or a CSV cell.
    Str(Cow<'a, str>),
    /// A JSON object or array, as JSON text.
    Json(&'a str),
}

impl<'a> Cell<'a> {
    fn of(field: Field<'a>) -> Cell<'a> {
        match field {
            Field::Text(t) => Cell::Str(Cow::Borrowed(t)),
            Field::Json(raw) => match raw.as_bytes().first() {
                Some(b'n') => Cell::Null,
                Some(b't') => Cell::Bool(true),
                Some(b'f') => Cell::Bool(false),
                Some(b'"') => Cell::Str(json_string(raw).unwrap_or(Cow::Borrowed(""))),
                Some(b'{' | b'[') => Cell::Json(raw),
                _ => Cell::Number(raw),
            },
        }
    }
}

fn append_text(b: &mut StringBuilder, cell: &Cell<'_>, ty: KqlType) {
    match (cell, ty) {
        // A dynamic column written as JSON text holds the JSON value; other text is a string.
        (Cell::Str(s), KqlType::Dynamic) => {
            let t = s.trim_start();
            if (t.starts_with('{') || t.starts_with('['))
                && serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok()
            {
                b.append_value(s);
            } else {
                b.append_value(serde_json::Value::String(s.to_string()).to_string());
            }
        }
        (Cell::Str(s), _) => b.append_value(s),
        (Cell::Number(t) | Cell::Json(t), _) => b.append_value(t),
        (Cell::Bool(v), _) => b.append_value(if *v { "true" } else { "false" }),
        (Cell::Null, _) => b.append_null(),
    }
}

fn to_bool(c: &Cell<'_>) -> Option<bool> {
    let text = match c {
        Cell::Bool(b) => return Some(*b),
        Cell::Number(t) => t,
        Cell::Str(s) => s.as_ref(),
        _ => return None,
    };
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn integral(t: &str) -> Option<i64> {
    let t = t.trim();
    t.parse::<i64>().ok().or_else(|| {
        t.parse::<f64>().ok().filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18).map(|f| f as i64)
    })
}

fn to_long(c: &Cell<'_>) -> Option<i64> {
    match c {
        Cell::Number(t) => integral(t),
        Cell::Str(s) => integral(s),
        Cell::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn to_real(c: &Cell<'_>) -> Option<f64> {
    let text = match c {
        Cell::Number(t) => t,
        Cell::Str(s) => s.as_ref(),
        _ => return None,
    };
    match text.trim() {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        t => t.parse::<f64>().ok(),
    }
}

fn to_decimal(c: &Cell<'_>) -> Option<i128> {
    let text = match c {
        Cell::Number(t) => t.to_string(),
        Cell::Str(s) => s.trim().to_string(),
        _ => return None,
    };
    let scale = quarry_functions::types::DECIMAL_SCALE as usize;
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, text.trim_start_matches('+').to_string()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || fraction.len() > scale
    {
        return None;
    }
    let mut value: i128 = 0;
    for c in whole
        .chars()
        .chain(fraction.chars())
        .chain(std::iter::repeat_n('0', scale - fraction.len()))
    {
        value = value.checked_mul(10)?.checked_add(i128::from(c as u8 - b'0'))?;
    }
    Some(if negative { -value } else { value })
}

/// Datetimes as exports write them: ISO 8601 (with up to 7 fraction digits), the forms
/// `todatetime()` accepts, and the Azure portal's `11/20/2020, 4:20:29.443 PM`.
pub fn parse_export_datetime(text: &str) -> Option<i64> {
    quarry_functions::time::parse_datetime(text).or_else(|| {
        let t = text.trim();
        [
            "%m/%d/%Y, %I:%M:%S%.f %p",
            "%m/%d/%Y, %I:%M:%S %p",
            "%m/%d/%Y %I:%M:%S%.f %p",
            "%m/%d/%Y %I:%M:%S %p",
        ]
        .iter()
        .find_map(|layout| chrono::NaiveDateTime::parse_from_str(t, layout).ok())
        .and_then(|dt| dt.and_utc().timestamp_nanos_opt())
    })
}

/// The KQL type a value suggests, for columns the catalog does not know.
pub fn infer(field: Field<'_>) -> Option<KqlType> {
    match Cell::of(field) {
        Cell::Null => None,
        Cell::Bool(_) => Some(KqlType::Bool),
        Cell::Number(t) if t.parse::<i64>().is_ok() => Some(KqlType::Long),
        Cell::Number(_) => Some(KqlType::Real),
        Cell::Str(s) if s.is_empty() => None,
        Cell::Str(s) if looks_like_datetime(&s) => Some(KqlType::DateTime),
        Cell::Str(_) => Some(KqlType::String),
        Cell::Json(_) => Some(KqlType::Dynamic),
    }
}

/// An ISO 8601 date and time (`2024-06-15T12:00:00Z`, `2024-06-15 12:00:00.123`): only those
/// make a column of an unknown table a datetime.
fn looks_like_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b' ')
        && b[13] == b':'
        && quarry_functions::time::parse_datetime(s).is_some()
}

/// The type that holds values of both types (long and real make real; anything else with
/// something different makes string).
pub fn widen(a: KqlType, b: KqlType) -> KqlType {
    match (a, b) {
        (a, b) if a == b => a,
        (KqlType::Long, KqlType::Real) | (KqlType::Real, KqlType::Long) => KqlType::Real,
        (KqlType::Dynamic, _) | (_, KqlType::Dynamic) => KqlType::Dynamic,
        _ => KqlType::String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{Int64Type, TimestampNanosecondType};

    fn json(t: &str) -> Option<Field<'_>> {
        Some(Field::Json(t))
    }

    #[test]
    fn numbers_written_as_strings_and_bad_values() {
        let mut b = ColumnBuilder::new(KqlType::Long, 4);
        assert_eq!(b.push(json(r#""42""#)), Ok(()));
        assert_eq!(b.push(json("7")), Ok(()));
        assert_eq!(b.push(Some(Field::Text("4.0"))), Ok(()));
        assert_eq!(b.push(json(r#""forty""#)), Err(()));
        assert_eq!(b.push(None), Ok(()));
        assert_eq!(b.push(json(r#""""#)), Ok(()));
        let a = b.finish();
        let a = a.as_primitive::<Int64Type>();
        assert_eq!((a.value(0), a.value(1), a.value(2)), (42, 7, 4));
        assert!(a.is_null(3) && a.is_null(4) && a.is_null(5));
    }

    #[test]
    fn export_datetimes() {
        let iso = parse_export_datetime("2024-06-15T12:00:00.1234567Z").unwrap();
        assert_eq!(iso % 1_000_000_000, 123_456_700);
        let portal = parse_export_datetime("11/20/2020, 4:20:29.443 PM").unwrap();
        assert_eq!(portal, parse_export_datetime("2020-11-20T16:20:29.443Z").unwrap());
        let mut b = ColumnBuilder::new(KqlType::DateTime, 2);
        assert_eq!(b.push(json(r#""yesterday""#)), Err(()));
        assert_eq!(b.push(Some(Field::Text("2024-06-15 12:00:00"))), Ok(()));
        let a = b.finish();
        assert!(a.as_primitive::<TimestampNanosecondType>().is_null(0));
    }

    #[test]
    fn strings_are_never_null_and_dynamic_keeps_json() {
        let mut s = ColumnBuilder::new(KqlType::String, 3);
        s.push(None).unwrap();
        s.push(json("12")).unwrap();
        s.push(json(r#""a \"quoted\" word""#)).unwrap();
        let a = s.finish();
        let a = a.as_string::<i32>();
        assert_eq!((a.value(0), a.value(1), a.value(2)), ("", "12", "a \"quoted\" word"));
        let mut d = ColumnBuilder::new(KqlType::Dynamic, 3);
        d.push(json(r#""{\"a\": 1}""#)).unwrap();
        d.push(json(r#"{"b":[1,2]}"#)).unwrap();
        d.push(json(r#""plain""#)).unwrap();
        let a = d.finish();
        let a = a.as_string::<i32>();
        assert_eq!(
            (a.value(0), a.value(1), a.value(2)),
            ("{\"a\": 1}", "{\"b\":[1,2]}", "\"plain\"")
        );
    }

    #[test]
    fn decimals_and_inference() {
        assert_eq!(to_decimal(&Cell::Str("1.5".into())), Some(15 * 10i128.pow(17)));
        assert_eq!(to_decimal(&Cell::Str("x".into())), None);
        assert_eq!(infer(Field::Json("1")), Some(KqlType::Long));
        assert_eq!(infer(Field::Json("1.5")), Some(KqlType::Real));
        assert_eq!(infer(Field::Json(r#""2021-08-02T13:29:25.983Z""#)), Some(KqlType::DateTime));
        assert_eq!(infer(Field::Text("2021-08-02")), Some(KqlType::String));
        assert_eq!(widen(KqlType::Long, KqlType::Real), KqlType::Real);
        assert_eq!(widen(KqlType::Long, KqlType::Bool), KqlType::String);
        assert_eq!(widen(KqlType::DateTime, KqlType::String), KqlType::String);
    }
}
