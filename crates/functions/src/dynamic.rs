//! KQL's `dynamic` values, held as JSON text: property and element access, parsing, and the
//! conversions between dynamic values and other types.

use crate::udf::{self, KqlFunction, Returns, longs, strings};
use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, lit};
use serde_json::Value;
use std::sync::Arc;

/// JSON text for a string value.
pub fn string_value(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// The KQL text of a dynamic value: a JSON string gives its content, null gives `""`, anything
/// else its JSON text. Text that is not JSON is returned as it is.
pub fn unquote(json: &str) -> String {
    let t = json.trim_start();
    if !t.starts_with('"') {
        return if t == "null" { String::new() } else { json.to_string() };
    }
    match serde_json::from_str::<Value>(json) {
        Ok(Value::String(s)) => s,
        _ => json.to_string(),
    }
}

/// Parses JSON text; `None` when it is not JSON.
pub fn parse(json: &str) -> Option<Value> {
    serde_json::from_str(json).ok()
}

/// `target[key]`: a property of a bag (string key) or an element of an array (index, negative
/// from the end). Null when absent or when the target is neither.
pub fn get(target: Expr, key: Expr) -> Expr {
    KqlFunction::new("dynamic_get", Returns::Fixed(DataType::Utf8), get_array)
        .call(vec![target, key])
}

fn get_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let targets = strings(&args[0])?;
    let keys: Vec<Key> = match args[1].data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            strings(&args[1])?.into_iter().map(|k| Key::Name(k.to_string())).collect()
        }
        _ => longs(&args[1])?.into_iter().map(|i| i.map_or(Key::None, Key::Index)).collect(),
    };
    let out = targets.iter().zip(keys).map(|(t, k)| {
        let value = parse(t)?;
        let found = match (&value, k) {
            (Value::Object(map), Key::Name(n)) => map.get(&n)?,
            (Value::Array(items), Key::Index(i)) => {
                let i = if i < 0 { items.len() as i64 + i } else { i };
                items.get(usize::try_from(i).ok()?)?
            }
            (Value::Array(items), Key::Name(n)) => items.get(n.parse::<usize>().ok()?)?,
            _ => return None,
        };
        Some(found.to_string())
    });
    Ok(Arc::new(StringArray::from_iter(out)))
}

enum Key {
    Name(String),
    Index(i64),
    None,
}

/// `parse_json(text)`: the JSON value, or the text itself as a string when it is not JSON.
pub fn parse_json(text: Expr) -> Expr {
    KqlFunction::new("parse_json", Returns::Fixed(DataType::Utf8), parse_json_array)
        .call(vec![text])
}

fn parse_json_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let values = strings(&args[0])?;
    let out = values.iter().map(|s| match parse(s) {
        Some(v) => Some(v.to_string()),
        None if s.is_empty() => None,
        None => Some(string_value(s)),
    });
    Ok(Arc::new(StringArray::from_iter(out)))
}

/// `array_length(array)`: null when the value is not an array.
pub fn array_length(array: Expr) -> Expr {
    udf::call("array_length", DataType::Int64, array_length_array, vec![array])
}

fn array_length_array(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let values = strings(&args[0])?;
    Ok(udf::long_array(values.iter().map(|s| match parse(s) {
        Some(Value::Array(items)) => Some(items.len() as i64),
        _ => None,
    })))
}

/// The elements of a constant dynamic value, as text: an array gives each element, anything
/// else itself. `None` when the expression is not a constant.
pub fn constant_elements(e: &Expr) -> Option<Vec<String>> {
    let text = match e {
        Expr::Literal(ScalarValue::Utf8(Some(s)), _) => s,
        Expr::Alias(a) => return constant_elements(&a.expr),
        _ => return None,
    };
    Some(match parse(text)? {
        Value::Array(items) => items.iter().map(|v| unquote(&v.to_string())).collect(),
        other => vec![unquote(&other.to_string())],
    })
}

/// String literals for the elements of each constant dynamic array among `values`; `None` if
/// one of them is not a constant.
pub fn constant_needles(values: &[Expr]) -> Option<Vec<Expr>> {
    let mut out = Vec::new();
    for v in values {
        out.extend(constant_elements(v)?.into_iter().map(lit));
    }
    Some(out)
}

/// Arrow lists (from `array_agg`) as dynamic arrays: nulls dropped, duplicates too when `set`
/// (and then arrays among the elements contribute their elements), at most `limit` elements.
/// `json`: the elements are dynamic values (JSON text) rather than plain values.
pub fn from_list(list: Expr, json: bool, set: bool, limit: Option<i64>) -> Expr {
    let body: udf::ArrayFn = match (json, set) {
        (false, false) => |a, r| list_arrays(a, r, false, false, false),
        (false, true) => |a, r| list_arrays(a, r, false, true, false),
        (true, false) => |a, r| list_arrays(a, r, true, false, false),
        (true, true) => |a, r| list_arrays(a, r, true, true, false),
    };
    let limit = limit.unwrap_or(1_048_576);
    KqlFunction::new("make_list", Returns::Fixed(DataType::Utf8), body).call(vec![list, lit(limit)])
}

/// `make_list_with_nulls`: like [`from_list`] for a list, with nulls kept as JSON nulls.
pub fn from_list_with_nulls(list: Expr, json: bool, limit: Option<i64>) -> Expr {
    let body: udf::ArrayFn = if json {
        |a, r| list_arrays(a, r, true, false, true)
    } else {
        |a, r| list_arrays(a, r, false, false, true)
    };
    let limit = limit.unwrap_or(1_048_576);
    KqlFunction::new("make_list_with_nulls", Returns::Fixed(DataType::Utf8), body)
        .call(vec![list, lit(limit)])
}

#[allow(clippy::needless_range_loop)] // rows index several parallel arrays
fn list_arrays(
    args: &[ArrayRef],
    rows: usize,
    json: bool,
    set: bool,
    keep_nulls: bool,
) -> Result<ArrayRef> {
    use datafusion::arrow::array::Array;
    let limits = longs(&args[1])?;
    let lists = udf::list_of(&args[0])?;
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let limit = limits[i].and_then(|l| usize::try_from(l).ok()).unwrap_or(usize::MAX);
        let mut items: Vec<Value> = Vec::new();
        if !lists.is_null(i) {
            let values = lists.value(i);
            for j in 0..values.len() {
                if values.is_null(j) {
                    if keep_nulls {
                        items.push(Value::Null);
                    }
                    continue;
                }
                let scalar = ScalarValue::try_from_array(&values, j)?;
                let value = if json {
                    match &scalar {
                        ScalarValue::Utf8(Some(t)) => parse(t).unwrap_or(Value::String(t.clone())),
                        _ => Value::Null,
                    }
                } else {
                    json_value(&scalar)
                };
                match value {
                    Value::Array(inner) if set => items.extend(inner),
                    Value::Null if !keep_nulls => {}
                    v => items.push(v),
                }
            }
        }
        if set {
            let mut seen = std::collections::HashSet::new();
            items.retain(|v| seen.insert(v.to_string()));
        }
        items.truncate(limit);
        out.push(Value::Array(items).to_string());
    }
    Ok(udf::string_array(out))
}

/// A plain (non-dynamic) value as JSON: numbers as numbers, datetimes and timespans as KQL
/// text.
pub fn json_value(v: &ScalarValue) -> Value {
    use crate::time::format_timespan;
    match v {
        v if v.is_null() => Value::Null,
        ScalarValue::Boolean(Some(b)) => Value::Bool(*b),
        ScalarValue::Int8(Some(x)) => Value::from(*x),
        ScalarValue::Int16(Some(x)) => Value::from(*x),
        ScalarValue::Int32(Some(x)) => Value::from(*x),
        ScalarValue::Int64(Some(x)) => Value::from(*x),
        ScalarValue::UInt64(Some(x)) => Value::from(*x),
        ScalarValue::Float64(Some(x)) => {
            serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number)
        }
        ScalarValue::Utf8(Some(s)) => Value::String(s.clone()),
        ScalarValue::TimestampNanosecond(Some(t), _) => {
            Value::String(crate::time::format_datetime_full(*t))
        }
        ScalarValue::DurationNanosecond(Some(t)) => Value::String(format_timespan(*t)),
        other => Value::String(crate::convert::scalar_to_text(other)),
    }
}

/// How `mv-expand` turns a property bag into rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BagExpansion {
    /// One single-key bag per property: `{"k": v}`.
    Bag,
    /// One `[key, value]` array per property.
    Array,
}

/// The rows `mv-expand` makes of a dynamic value, as an Arrow list of JSON texts: an array's
/// elements, a bag's properties, a single null for null, the value itself otherwise; at most
/// `limit` of them.
pub fn to_list(value: Expr, expansion: BagExpansion, limit: i64) -> Expr {
    let body: udf::ArrayFn = match expansion {
        BagExpansion::Bag => |a, r| to_list_arrays(a, r, BagExpansion::Bag),
        BagExpansion::Array => |a, r| to_list_arrays(a, r, BagExpansion::Array),
    };
    let item =
        std::sync::Arc::new(datafusion::arrow::datatypes::Field::new("item", DataType::Utf8, true));
    KqlFunction::new("mv_expand_items", Returns::Fixed(DataType::List(item)), body)
        .call(vec![value, lit(limit)])
}

fn to_list_arrays(args: &[ArrayRef], rows: usize, expansion: BagExpansion) -> Result<ArrayRef> {
    use datafusion::arrow::array::{Array, ListBuilder, StringBuilder};
    let texts = strings(&args[0])?;
    let limits = longs(&args[1])?;
    let mut builder = ListBuilder::new(StringBuilder::new());
    for i in 0..rows {
        let limit = limits[i].and_then(|l| usize::try_from(l).ok()).unwrap_or(usize::MAX);
        let items: Vec<Option<String>> = if args[0].is_null(i) {
            vec![None]
        } else {
            match parse(texts[i]) {
                Some(Value::Array(items)) => {
                    items.into_iter().map(|v| Some(v.to_string())).collect()
                }
                Some(Value::Object(map)) => map
                    .into_iter()
                    .map(|(k, v)| {
                        Some(match expansion {
                            BagExpansion::Bag => {
                                let mut one = serde_json::Map::new();
                                one.insert(k, v);
                                Value::Object(one).to_string()
                            }
                            BagExpansion::Array => {
                                Value::Array(vec![Value::String(k), v]).to_string()
                            }
                        })
                    })
                    .collect(),
                Some(Value::Null) | None => vec![None],
                Some(other) => vec![Some(other.to_string())],
            }
        };
        for item in items.into_iter().take(limit) {
            builder.values().append_option(item);
        }
        builder.append(true);
    }
    Ok(std::sync::Arc::new(builder.finish()))
}

/// For `with_itemindex`: `[0, 1, ...]` as long as the longest of the lists.
pub fn item_indexes(lists: Vec<Expr>) -> Expr {
    let item = std::sync::Arc::new(datafusion::arrow::datatypes::Field::new(
        "item",
        DataType::Int64,
        true,
    ));
    KqlFunction::new("mv_expand_index", Returns::Fixed(DataType::List(item)), item_indexes_arrays)
        .call(lists)
}

fn item_indexes_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use datafusion::arrow::array::{Array, AsArray, Int64Builder, ListBuilder};
    let lists = args
        .iter()
        .map(|a| {
            a.as_list_opt::<i32>().ok_or_else(|| {
                datafusion::error::DataFusionError::Internal("item indexes need lists".into())
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut builder = ListBuilder::new(Int64Builder::new());
    for i in 0..rows {
        let n = lists
            .iter()
            .map(|l| if l.is_null(i) { 0 } else { l.value_length(i) as i64 })
            .max()
            .unwrap_or(0);
        for k in 0..n {
            builder.values().append_value(k);
        }
        builder.append(true);
    }
    Ok(std::sync::Arc::new(builder.finish()))
}

/// A bag without its null and empty-string values (`pack_all(true)`).
pub fn drop_empty(bag: Expr) -> Expr {
    udf::call("drop_empty", DataType::Utf8, drop_empty_arrays, vec![bag])
}

fn drop_empty_arrays(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let texts = udf::strings(&args[0])?;
    Ok(udf::string_array(texts.into_iter().map(|t| match parse(t) {
        Some(Value::Object(mut m)) => {
            m.retain(|_, v| !matches!(v, Value::Null) && v.as_str() != Some(""));
            Value::Object(m).to_string()
        }
        _ => t.to_string(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_gives_kql_text() {
        assert_eq!(unquote("\"a\\\"b\""), "a\"b");
        assert_eq!(unquote("null"), "");
        assert_eq!(unquote("[1,2]"), "[1,2]");
        assert_eq!(unquote("not json"), "not json");
        assert_eq!(unquote("12"), "12");
    }

    #[test]
    fn elements_of_constants() {
        let e = lit("[\"a\",1,true]");
        assert_eq!(constant_elements(&e), Some(vec!["a".into(), "1".into(), "true".into()]));
        assert_eq!(constant_elements(&lit("\"x\"")), Some(vec!["x".into()]));
    }
}
