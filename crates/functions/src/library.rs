//! The bulk of KQL's scalar functions, as a table: each has a name, the kinds of value it
//! takes (the planner converts arguments to them), its result type, and its body over arrays.
//! Functions that need the planner's help (constants, columns, types) live in the planner.

use crate::dynamic::parse;
use crate::geo::kql as geo;
use crate::series;
use crate::types::KqlType;
use crate::udf::{self, KqlFunction, Returns, longs, reals, strings};
use crate::{punycode, units};
use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::Expr;
use serde_json::{Map, Value};

/// What an argument is converted to before the function sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// As it is (the body looks at the Arrow type).
    Any,
    Text,
    /// A dynamic value (JSON text); other values are converted to dynamic.
    Dynamic,
    Long,
    Real,
    Bool,
    DateTime,
    TimeSpan,
}

pub struct Function {
    pub name: &'static str,
    /// The kinds of the parameters, in order.
    pub params: &'static [Kind],
    /// How many of them are required.
    pub required: usize,
    /// How many trailing parameters repeat without limit (0: a fixed list).
    pub repeat: usize,
    pub returns: KqlType,
    pub body: udf::ArrayFn,
}

impl Function {
    /// The least and most arguments.
    pub fn arity(&self) -> (usize, usize) {
        let max = if self.repeat > 0 { usize::MAX } else { self.params.len() };
        (self.required, max)
    }

    /// The kind of the argument at `i`.
    pub fn kind_of(&self, i: usize) -> Kind {
        if i < self.params.len() {
            return self.params[i];
        }
        if self.repeat == 0 {
            return Kind::Any;
        }
        let start = self.params.len() - self.repeat;
        self.params[start + (i - start) % self.repeat]
    }

    pub fn call(&self, args: Vec<Expr>) -> Expr {
        KqlFunction::new(self.name, Returns::Fixed(self.returns.arrow()), self.body).call(args)
    }
}

pub fn find(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

use Kind::*;

macro_rules! f {
    ($name:literal, [$($k:expr),*], $required:expr, $repeat:expr, $ret:expr, $body:expr) => {
        Function { name: $name, params: &[$($k),*], required: $required, repeat: $repeat, returns: $ret, body: $body }
    };
}

static FUNCTIONS: &[Function] = &[
    // ---- geospatial ----
    f!(
        "geo_distance_2points",
        [Real, Real, Real, Real],
        4,
        0,
        KqlType::Real,
        geo::distance_2points
    ),
    f!(
        "geo_point_in_circle",
        [Real, Real, Real, Real, Real],
        5,
        0,
        KqlType::Bool,
        geo::point_in_circle
    ),
    f!("geo_angle", [Real, Real, Real, Real, Real, Real], 6, 0, KqlType::Real, geo::angle),
    f!("geo_point_to_geohash", [Real, Real, Long], 2, 0, KqlType::String, geo::point_to_geohash),
    f!("geo_point_to_s2cell", [Real, Real, Long], 2, 0, KqlType::String, geo::point_to_s2cell),
    f!(
        "geo_geohash_to_central_point",
        [Text],
        1,
        0,
        KqlType::Dynamic,
        geo::geohash_to_central_point
    ),
    f!("geo_geohash_to_polygon", [Text], 1, 0, KqlType::Dynamic, geo::geohash_to_polygon),
    f!("geo_geohash_neighbors", [Text], 1, 0, KqlType::Dynamic, geo::geohash_neighbors),
    f!("geo_s2cell_to_central_point", [Text], 1, 0, KqlType::Dynamic, geo::s2cell_to_central_point),
    f!("geo_s2cell_to_polygon", [Text], 1, 0, KqlType::Dynamic, geo::s2cell_to_polygon),
    f!("geo_s2cell_neighbors", [Text], 1, 0, KqlType::Dynamic, geo::s2cell_neighbors),
    f!("geo_line_length", [Dynamic], 1, 0, KqlType::Real, geo::line_length),
    // ---- units ----
    f!("convert_length", [Real, Text, Text], 3, 0, KqlType::Real, units::convert_length),
    f!("convert_mass", [Real, Text, Text], 3, 0, KqlType::Real, units::convert_mass),
    f!("convert_speed", [Real, Text, Text], 3, 0, KqlType::Real, units::convert_speed),
    f!("convert_volume", [Real, Text, Text], 3, 0, KqlType::Real, units::convert_volume),
    f!("convert_temperature", [Real, Text, Text], 3, 0, KqlType::Real, units::convert_temperature),
    // ---- punycode ----
    f!("punycode_from_string", [Text], 1, 0, KqlType::String, punycode::from_string),
    f!("punycode_to_string", [Text], 1, 0, KqlType::String, punycode::to_string),
    f!("punycode_domain_from_string", [Text], 1, 0, KqlType::String, punycode::domain_from_string),
    f!("punycode_domain_to_string", [Text], 1, 0, KqlType::String, punycode::domain_to_string),
    // ---- dynamic arrays ----
    f!("pack_array", [Dynamic], 0, 1, KqlType::Dynamic, pack_array),
    f!("bag_pack", [Text, Dynamic], 0, 2, KqlType::Dynamic, bag_pack),
    f!("pack", [Text, Dynamic], 0, 2, KqlType::Dynamic, bag_pack),
    f!("pack_dictionary", [Text, Dynamic], 0, 2, KqlType::Dynamic, bag_pack),
    f!("range", [Any, Any, Any], 2, 0, KqlType::Dynamic, range_array),
    f!("array_slice", [Dynamic, Long, Long], 3, 0, KqlType::Dynamic, array_slice),
    f!("array_shift_left", [Dynamic, Long, Dynamic], 2, 0, KqlType::Dynamic, |a, r| shift(
        a, r, true
    )),
    f!("array_shift_right", [Dynamic, Long, Dynamic], 2, 0, KqlType::Dynamic, |a, r| shift(
        a, r, false
    )),
    f!("array_rotate_left", [Dynamic, Long], 2, 0, KqlType::Dynamic, |a, r| rotate(a, r, true)),
    f!("array_rotate_right", [Dynamic, Long], 2, 0, KqlType::Dynamic, |a, r| rotate(a, r, false)),
    f!("array_split", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, array_split),
    f!("array_index_of", [Dynamic, Dynamic, Long, Long, Long], 2, 0, KqlType::Long, array_index_of),
    f!("array_sum", [Dynamic], 1, 0, KqlType::Real, array_sum),
    f!("array_concat", [Dynamic], 1, 1, KqlType::Dynamic, array_concat),
    f!("array_reverse", [Dynamic], 1, 0, KqlType::Dynamic, array_reverse),
    f!("array_sort_asc", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| array_sort(a, r, true)),
    f!("array_sort_desc", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| array_sort(a, r, false)),
    f!("zip", [Dynamic], 1, 1, KqlType::Dynamic, zip),
    f!("set_union", [Dynamic], 1, 1, KqlType::Dynamic, set_union),
    f!("set_intersect", [Dynamic], 1, 1, KqlType::Dynamic, set_intersect),
    f!("set_difference", [Dynamic], 1, 1, KqlType::Dynamic, set_difference),
    f!("set_has_element", [Dynamic, Dynamic], 2, 0, KqlType::Bool, set_has_element),
    f!("jaccard_index", [Dynamic, Dynamic], 2, 0, KqlType::Real, jaccard_index),
    f!("strcat_array", [Dynamic, Text], 2, 0, KqlType::String, strcat_array),
    // ---- series ----
    f!("series_add", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, |a, r| series::binary(
        a,
        r,
        |x, y| x + y,
        series::Yields::Number
    )),
    f!("series_subtract", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, |a, r| series::binary(
        a,
        r,
        |x, y| x - y,
        series::Yields::Number
    )),
    f!("series_multiply", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, |a, r| series::binary(
        a,
        r,
        |x, y| x * y,
        series::Yields::Number
    )),
    f!("series_divide", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, |a, r| series::binary(
        a,
        r,
        |x, y| x / y,
        series::Yields::Real
    )),
    f!("series_pow", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, |a, r| series::binary(
        a,
        r,
        f64::powf,
        series::Yields::Real
    )),
    f!("series_greater", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, |a, r| series::binary(
        a,
        r,
        |x, y| (x > y) as i64 as f64,
        series::Yields::Bool
    )),
    f!("series_greater_equals", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, |a, r| series::binary(
        a,
        r,
        |x, y| (x >= y) as i64 as f64,
        series::Yields::Bool
    )),
    f!("series_less", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, |a, r| series::binary(
        a,
        r,
        |x, y| (x < y) as i64 as f64,
        series::Yields::Bool
    )),
    f!("series_less_equals", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, |a, r| series::binary(
        a,
        r,
        |x, y| (x <= y) as i64 as f64,
        series::Yields::Bool
    )),
    f!("series_equals", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, |a, r| series::binary(
        a,
        r,
        |x, y| (x == y) as i64 as f64,
        series::Yields::Bool
    )),
    f!("series_not_equals", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, |a, r| series::binary(
        a,
        r,
        |x, y| (x != y) as i64 as f64,
        series::Yields::Bool
    )),
    f!("series_abs", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(a, r, f64::abs, true)),
    f!("series_sign", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(
        a,
        r,
        |x| if x == 0.0 { 0.0 } else { x.signum() },
        true
    )),
    f!("series_ceiling", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(
        a,
        r,
        f64::ceil,
        false
    )),
    f!("series_floor", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(
        a,
        r,
        f64::floor,
        false
    )),
    f!("series_sin", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(
        a,
        r,
        f64::sin,
        false
    )),
    f!("series_cos", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(
        a,
        r,
        f64::cos,
        false
    )),
    f!("series_tan", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(
        a,
        r,
        f64::tan,
        false
    )),
    f!("series_asin", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(
        a,
        r,
        f64::asin,
        false
    )),
    f!("series_acos", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(
        a,
        r,
        f64::acos,
        false
    )),
    f!("series_atan", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(
        a,
        r,
        f64::atan,
        false
    )),
    f!("series_exp", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(
        a,
        r,
        f64::exp,
        false
    )),
    f!("series_log", [Dynamic], 1, 0, KqlType::Dynamic, |a, r| series::unary(a, r, f64::ln, false)),
    f!("series_sum", [Dynamic], 1, 0, KqlType::Real, series::sum),
    f!("series_fill_const", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, series::fill_const),
    f!("series_dot_product", [Dynamic, Dynamic], 2, 0, KqlType::Real, series::dot_product),
    f!(
        "series_cosine_similarity",
        [Dynamic, Dynamic],
        2,
        0,
        KqlType::Real,
        series::cosine_similarity
    ),
    f!("series_pearson_correlation", [Dynamic, Dynamic], 2, 0, KqlType::Real, series::pearson),
    f!("series_iir", [Dynamic, Dynamic, Dynamic], 3, 0, KqlType::Dynamic, series::iir),
    f!("series_seasonal", [Dynamic, Long], 2, 0, KqlType::Dynamic, series::seasonal),
    // ---- property bags ----
    f!("bag_keys", [Dynamic], 1, 0, KqlType::Dynamic, bag_keys),
    f!("bag_merge", [Dynamic], 1, 1, KqlType::Dynamic, bag_merge),
    f!("bag_remove_keys", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, bag_remove_keys),
    f!("bag_has_key", [Dynamic, Text], 2, 0, KqlType::Bool, bag_has_key),
    f!("bag_zip", [Dynamic, Dynamic], 2, 0, KqlType::Dynamic, bag_zip),
    f!("bag_set_key", [Dynamic, Text, Dynamic], 3, 0, KqlType::Dynamic, bag_set_key),
    // ---- strings ----
    f!("replace_strings", [Text, Dynamic, Dynamic], 3, 0, KqlType::String, replace_strings),
    f!("unicode_codepoints_from_string", [Text], 1, 0, KqlType::Dynamic, codepoints_from_string),
    f!("unicode_codepoints_to_string", [Dynamic], 1, 1, KqlType::String, codepoints_to_string),
    f!("string_size", [Text], 1, 0, KqlType::Long, string_size),
    f!("strcmp", [Text, Text], 2, 0, KqlType::Int, strcmp),
    f!("strrep", [Text, Long, Text], 2, 0, KqlType::String, strrep),
    f!("translate", [Text, Text, Text], 3, 0, KqlType::String, translate),
    f!("regex_quote", [Text], 1, 0, KqlType::String, regex_quote),
    f!("tohex", [Long, Long], 1, 0, KqlType::String, tohex),
    f!("parse_csv", [Text], 1, 0, KqlType::Dynamic, parse_csv),
    f!("extract_all", [Text, Text], 2, 0, KqlType::Dynamic, extract_all),
    f!("has_any_index", [Text, Dynamic], 2, 0, KqlType::Long, has_any_index),
    f!("base64_decode_toarray", [Text], 1, 0, KqlType::Dynamic, base64_to_array),
    f!("base64_encode_fromarray", [Dynamic], 1, 0, KqlType::String, base64_from_array),
    f!("base64_decode_toguid", [Text], 1, 0, KqlType::Guid, base64_to_guid),
    f!("base64_encode_fromguid", [Text], 1, 0, KqlType::String, base64_from_guid),
    f!("parse_url", [Text], 1, 0, KqlType::Dynamic, parse_url),
    f!("parse_path", [Text], 1, 0, KqlType::Dynamic, parse_path),
    // ---- IP addresses ----
    f!("ipv4_is_private", [Text], 1, 0, KqlType::Bool, ipv4_is_private),
    f!("ipv4_is_in_range", [Text, Text], 2, 0, KqlType::Bool, ipv4_is_in_range),
    f!("ipv4_is_in_any_range", [Text, Dynamic], 2, 1, KqlType::Bool, ipv4_is_in_any_range),
    f!("ipv4_is_match", [Text, Text, Long], 2, 0, KqlType::Bool, ipv4_is_match),
    f!("ipv4_compare", [Text, Text, Long], 2, 0, KqlType::Long, ipv4_compare),
    f!("parse_ipv4", [Text], 1, 0, KqlType::Long, parse_ipv4),
    f!("parse_ipv4_mask", [Text, Long], 2, 0, KqlType::Long, parse_ipv4_mask),
    f!("format_ipv4", [Any, Long], 1, 0, KqlType::String, format_ipv4),
    f!("format_ipv4_mask", [Any, Long], 1, 0, KqlType::String, format_ipv4_mask),
    f!("ipv4_netmask_suffix", [Text], 1, 0, KqlType::Int, ipv4_netmask_suffix),
    f!("has_ipv4", [Text, Text], 2, 0, KqlType::Bool, has_ipv4),
    f!("has_ipv4_prefix", [Text, Text], 2, 0, KqlType::Bool, has_ipv4_prefix),
    f!("has_any_ipv4", [Text, Dynamic], 2, 1, KqlType::Bool, has_any_ipv4),
    f!("has_any_ipv4_prefix", [Text, Dynamic], 2, 1, KqlType::Bool, has_any_ipv4_prefix),
    f!("ipv6_compare", [Text, Text, Long], 2, 0, KqlType::Long, ipv6_compare),
    f!("ipv6_is_match", [Text, Text, Long], 2, 0, KqlType::Bool, ipv6_is_match),
    // ---- math ----
    f!("cos", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], f64::cos)),
    f!("sin", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], f64::sin)),
    f!("tan", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], f64::tan)),
    f!("acos", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], f64::acos)),
    f!("asin", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], f64::asin)),
    f!("atan", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], f64::atan)),
    f!("cot", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], |x| 1.0 / x.tan())),
    f!("atan2", [Real, Real], 2, 0, KqlType::Real, atan2),
    f!("degrees", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], f64::to_degrees)),
    f!("radians", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], f64::to_radians)),
    f!("pi", [], 0, 0, KqlType::Real, |_, r| Ok(udf::real_array(vec![
        Some(std::f64::consts::PI);
        r
    ]))),
    f!("gamma", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], gamma)),
    f!("loggamma", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], |x| gamma(x).abs().ln())),
    f!("erf", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], erf)),
    f!("erfc", [Real], 1, 0, KqlType::Real, |a, _| real_map(&a[0], |x| 1.0 - erf(x))),
    f!("isnan", [Real], 1, 0, KqlType::Bool, |a, _| real_test(&a[0], f64::is_nan)),
    f!("isinf", [Real], 1, 0, KqlType::Bool, |a, _| real_test(&a[0], f64::is_infinite)),
    f!("isfinite", [Real], 1, 0, KqlType::Bool, |a, _| real_test(&a[0], f64::is_finite)),
    f!("binary_and", [Long, Long], 2, 0, KqlType::Long, |a, _| long_pair(a, |x, y| Some(x & y))),
    f!("binary_or", [Long, Long], 2, 0, KqlType::Long, |a, _| long_pair(a, |x, y| Some(x | y))),
    f!("binary_xor", [Long, Long], 2, 0, KqlType::Long, |a, _| long_pair(a, |x, y| Some(x ^ y))),
    f!("binary_shift_left", [Long, Long], 2, 0, KqlType::Long, |a, _| long_pair(a, |x, y| {
        u32::try_from(y).ok().and_then(|y| x.checked_shl(y))
    })),
    f!("binary_shift_right", [Long, Long], 2, 0, KqlType::Long, |a, _| long_pair(a, |x, y| {
        u32::try_from(y).ok().and_then(|y| x.checked_shr(y))
    })),
    f!("binary_not", [Long], 1, 0, KqlType::Long, |a, _| Ok(udf::long_array(
        longs(&a[0])?.into_iter().map(|v| v.map(|v| !v))
    ))),
    f!("bitset_count_ones", [Long], 1, 0, KqlType::Long, |a, _| Ok(udf::long_array(
        longs(&a[0])?.into_iter().map(|v| v.map(|v| v.count_ones() as i64))
    ))),
    f!("make_timespan", [Real, Real, Real, Real], 2, 0, KqlType::TimeSpan, make_timespan),
    f!("week_of_year", [DateTime], 1, 0, KqlType::Int, week_of_year),
    f!("new_guid", [], 0, 0, KqlType::Guid, new_guid),
];

// ---- helpers ------------------------------------------------------------------------------

/// Each value of a dynamic argument parsed (null or bad JSON: `None`).
fn jsons(a: &ArrayRef) -> Result<Vec<Option<Value>>> {
    let texts = strings(a)?;
    Ok((0..a.len()).map(|i| if a.is_null(i) { None } else { parse(texts[i]) }).collect())
}

fn arrays(a: &ArrayRef) -> Result<Vec<Option<Vec<Value>>>> {
    Ok(jsons(a)?
        .into_iter()
        .map(|v| match v {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        })
        .collect())
}

fn dynamic_out(values: impl IntoIterator<Item = Option<Value>>) -> ArrayRef {
    std::sync::Arc::new(datafusion::arrow::array::StringArray::from_iter(
        values.into_iter().map(|v| v.map(|v| v.to_string())),
    ))
}

/// The KQL text of a JSON value (strings without quotes).
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn real_map(a: &ArrayRef, f: fn(f64) -> f64) -> Result<ArrayRef> {
    Ok(udf::real_array(reals(a)?.into_iter().map(|v| v.map(f))))
}

fn real_test(a: &ArrayRef, f: fn(f64) -> bool) -> Result<ArrayRef> {
    Ok(udf::bool_array(reals(a)?.into_iter().map(|v| v.map(f))))
}

fn long_pair(a: &[ArrayRef], f: fn(i64, i64) -> Option<i64>) -> Result<ArrayRef> {
    let (x, y) = (longs(&a[0])?, longs(&a[1])?);
    Ok(udf::long_array(x.into_iter().zip(y).map(|(x, y)| f(x?, y?))))
}

/// An optional long argument at `i`, or `default` for every row.
fn opt_longs(
    a: &[ArrayRef],
    i: usize,
    rows: usize,
    default: Option<i64>,
) -> Result<Vec<Option<i64>>> {
    match a.get(i) {
        Some(x) => longs(x),
        None => Ok(vec![default; rows]),
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        Value::Bool(b) => Some(*b as i64 as f64),
        _ => None,
    }
}

// ---- dynamic arrays -----------------------------------------------------------------------

fn pack_array(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cols: Vec<Vec<Option<Value>>> = a.iter().map(jsons).collect::<Result<_>>()?;
    Ok(dynamic_out((0..rows).map(|i| {
        Some(Value::Array(cols.iter().map(|c| c[i].clone().unwrap_or(Value::Null)).collect()))
    })))
}

fn bag_pack(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let keys: Vec<Vec<&str>> = a.iter().step_by(2).map(strings).collect::<Result<_>>()?;
    let values: Vec<Vec<Option<Value>>> =
        a.iter().skip(1).step_by(2).map(jsons).collect::<Result<_>>()?;
    Ok(dynamic_out((0..rows).map(|i| {
        let mut map = Map::new();
        for (k, v) in keys.iter().zip(&values) {
            map.insert(k[i].to_string(), v[i].clone().unwrap_or(Value::Null));
        }
        Some(Value::Object(map))
    })))
}

/// `range(start, stop[, step])`: numbers, datetimes or timespans; at most a million elements.
fn range_array(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use crate::time::{format_datetime_full, format_timespan};
    let kind = a[0].data_type().clone();
    let (start, stop) = (reals(&a[0])?, reals(&a[1])?);
    let step = match a.get(2) {
        Some(s) => reals(s)?,
        None => vec![
            Some(if matches!(kind, DataType::Timestamp(..) | DataType::Duration(..)) {
                3.6e12
            } else {
                1.0
            });
            rows
        ],
    };
    Ok(dynamic_out((0..rows).map(|i| {
        let (s, e, st) = (start[i]?, stop[i]?, step[i]?);
        if st == 0.0 || (e - s) / st < 0.0 {
            return Some(Value::Array(Vec::new()));
        }
        // At most 1,048,576 elements, as in KQL.
        let n = (((e - s) / st).floor() as i64 + 1).min(1 << 20);
        let items = (0..n).map(|k| {
            let v = s + k as f64 * st;
            match kind {
                DataType::Timestamp(..) => Value::String(format_datetime_full(v as i64)),
                DataType::Duration(..) => Value::String(format_timespan(v as i64)),
                DataType::Float64 | DataType::Float32 => {
                    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
                }
                _ => Value::from(v as i64),
            }
        });
        Some(Value::Array(items.collect()))
    })))
}

/// KQL's slice bounds: negative counts from the end; both ends inclusive.
fn array_slice(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let arrs = arrays(&a[0])?;
    let (starts, ends) = (longs(&a[1])?, longs(&a[2])?);
    Ok(dynamic_out((0..rows).map(|i| {
        let items = arrs[i].as_ref()?;
        let n = items.len() as i64;
        let fix = |x: i64| if x < 0 { n + x } else { x };
        let (s, e) = (fix(starts[i]?).max(0), fix(ends[i]?).min(n - 1));
        let slice =
            if s > e || s >= n { Vec::new() } else { items[s as usize..=e as usize].to_vec() };
        Some(Value::Array(slice))
    })))
}

fn shift(a: &[ArrayRef], rows: usize, left: bool) -> Result<ArrayRef> {
    let arrs = arrays(&a[0])?;
    let shifts = longs(&a[1])?;
    let fills = match a.get(2) {
        Some(f) => jsons(f)?,
        None => vec![None; rows],
    };
    Ok(dynamic_out((0..rows).map(|i| {
        let items = arrs[i].as_ref()?;
        let n = items.len();
        let k = shifts[i]?;
        let (k, left) = if k < 0 { (-k, !left) } else { (k, left) };
        let k = (k as usize).min(n);
        let fill = fills[i].clone().unwrap_or(Value::Null);
        let mut out = vec![fill; n];
        if left {
            out[..n - k].clone_from_slice(&items[k..]);
        } else {
            out[k..].clone_from_slice(&items[..n - k]);
        }
        Some(Value::Array(out))
    })))
}

fn rotate(a: &[ArrayRef], rows: usize, left: bool) -> Result<ArrayRef> {
    let arrs = arrays(&a[0])?;
    let shifts = longs(&a[1])?;
    Ok(dynamic_out((0..rows).map(|i| {
        let mut items = arrs[i].clone()?;
        if items.is_empty() {
            return Some(Value::Array(items));
        }
        let n = items.len() as i64;
        let k = shifts[i]?.rem_euclid(n) as usize;
        if left {
            items.rotate_left(k);
        } else {
            items.rotate_right(k);
        }
        Some(Value::Array(items))
    })))
}

fn array_split(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let arrs = arrays(&a[0])?;
    let indices = jsons(&a[1])?;
    Ok(dynamic_out((0..rows).map(|i| {
        let items = arrs[i].as_ref()?;
        let n = items.len() as i64;
        let mut cuts: Vec<i64> = match indices[i].as_ref()? {
            Value::Array(xs) => xs.iter().filter_map(Value::as_i64).collect(),
            v => vec![v.as_i64()?],
        };
        for c in cuts.iter_mut() {
            if *c < 0 {
                *c += n;
            }
            *c = (*c).clamp(0, n);
        }
        let mut parts = Vec::new();
        let mut from = 0i64;
        for c in cuts {
            let to = c.max(from);
            parts.push(Value::Array(items[from as usize..to as usize].to_vec()));
            from = to;
        }
        parts.push(Value::Array(items[from as usize..].to_vec()));
        Some(Value::Array(parts))
    })))
}

fn array_index_of(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let arrs = arrays(&a[0])?;
    let needles = jsons(&a[1])?;
    let starts = opt_longs(a, 2, rows, Some(0))?;
    let lengths = opt_longs(a, 3, rows, Some(-1))?;
    let occurrences = opt_longs(a, 4, rows, Some(1))?;
    Ok(udf::long_array((0..rows).map(|i| {
        let items = arrs[i].as_ref()?;
        let needle = needles[i].as_ref()?;
        let n = items.len() as i64;
        let mut start = starts[i]?;
        if start < 0 {
            start += n;
        }
        if start < 0 || start > n {
            return Some(-1);
        }
        let end = match lengths[i]? {
            l if l < 0 => n,
            l => (start + l).min(n),
        };
        let mut seen = 0;
        for (k, item) in items.iter().enumerate().take(end as usize).skip(start as usize) {
            if item == needle {
                seen += 1;
                if seen == occurrences[i]?.max(1) {
                    return Some(k as i64);
                }
            }
        }
        Some(-1)
    })))
}

fn array_sum(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let arrs = arrays(&a[0])?;
    Ok(udf::real_array((0..rows).map(|i| {
        let items = arrs[i].as_ref()?;
        items.iter().map(as_f64).sum::<Option<f64>>()
    })))
}

fn array_concat(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cols: Vec<Vec<Option<Vec<Value>>>> = a.iter().map(arrays).collect::<Result<_>>()?;
    Ok(dynamic_out((0..rows).map(|i| {
        let mut out = Vec::new();
        for c in &cols {
            out.extend(c[i].clone()?);
        }
        Some(Value::Array(out))
    })))
}

fn array_reverse(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let arrs = arrays(&a[0])?;
    Ok(dynamic_out((0..rows).map(|i| {
        let mut items = arrs[i].clone()?;
        items.reverse();
        Some(Value::Array(items))
    })))
}

fn compare_json(x: &Value, y: &Value) -> std::cmp::Ordering {
    match (as_f64(x), as_f64(y)) {
        (Some(a), Some(b)) if !matches!((x, y), (Value::String(_), Value::String(_))) => {
            a.total_cmp(&b)
        }
        _ => text_of(x).cmp(&text_of(y)),
    }
}

fn array_sort(a: &[ArrayRef], rows: usize, asc: bool) -> Result<ArrayRef> {
    let arrs = arrays(&a[0])?;
    Ok(dynamic_out((0..rows).map(|i| {
        let mut items = arrs[i].clone()?;
        let (mut nulls, mut values): (Vec<Value>, Vec<Value>) =
            items.drain(..).partition(Value::is_null);
        values.sort_by(compare_json);
        if !asc {
            values.reverse();
            values.append(&mut nulls);
            return Some(Value::Array(values));
        }
        values.append(&mut nulls);
        Some(Value::Array(values))
    })))
}

fn zip(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cols: Vec<Vec<Option<Vec<Value>>>> = a.iter().map(arrays).collect::<Result<_>>()?;
    Ok(dynamic_out((0..rows).map(|i| {
        let lists: Vec<Vec<Value>> = cols.iter().map(|c| c[i].clone()).collect::<Option<_>>()?;
        let n = lists.iter().map(Vec::len).max().unwrap_or(0);
        let out = (0..n)
            .map(|k| {
                Value::Array(
                    lists.iter().map(|l| l.get(k).cloned().unwrap_or(Value::Null)).collect(),
                )
            })
            .collect();
        Some(Value::Array(out))
    })))
}

fn distinct(values: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    values.into_iter().filter(|v| seen.insert(v.to_string())).collect()
}

fn set_union(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cols: Vec<Vec<Option<Vec<Value>>>> = a.iter().map(arrays).collect::<Result<_>>()?;
    Ok(dynamic_out((0..rows).map(|i| {
        let all: Vec<Value> =
            cols.iter().map(|c| c[i].clone()).collect::<Option<Vec<_>>>()?.concat();
        Some(Value::Array(distinct(all)))
    })))
}

fn set_intersect(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cols: Vec<Vec<Option<Vec<Value>>>> = a.iter().map(arrays).collect::<Result<_>>()?;
    Ok(dynamic_out((0..rows).map(|i| {
        let lists: Vec<Vec<Value>> = cols.iter().map(|c| c[i].clone()).collect::<Option<_>>()?;
        let (first, rest) = lists.split_first()?;
        let kept = first.iter().filter(|v| rest.iter().all(|l| l.contains(v))).cloned();
        Some(Value::Array(distinct(kept)))
    })))
}

fn set_difference(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cols: Vec<Vec<Option<Vec<Value>>>> = a.iter().map(arrays).collect::<Result<_>>()?;
    Ok(dynamic_out((0..rows).map(|i| {
        let lists: Vec<Vec<Value>> = cols.iter().map(|c| c[i].clone()).collect::<Option<_>>()?;
        let (first, rest) = lists.split_first()?;
        let kept = first.iter().filter(|v| !rest.iter().any(|l| l.contains(v))).cloned();
        Some(Value::Array(distinct(kept)))
    })))
}

fn set_has_element(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let arrs = arrays(&a[0])?;
    let needles = jsons(&a[1])?;
    Ok(udf::bool_array((0..rows).map(|i| Some(arrs[i].as_ref()?.contains(needles[i].as_ref()?)))))
}

fn jaccard_index(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (x, y) = (arrays(&a[0])?, arrays(&a[1])?);
    Ok(udf::real_array((0..rows).map(|i| {
        let (x, y) = (distinct(x[i].clone()?), distinct(y[i].clone()?));
        let inter = x.iter().filter(|v| y.contains(v)).count();
        let union = x.len() + y.len() - inter;
        Some(if union == 0 { 0.0 } else { inter as f64 / union as f64 })
    })))
}

fn strcat_array(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let arrs = arrays(&a[0])?;
    let delims = strings(&a[1])?;
    Ok(udf::string_array((0..rows).map(|i| match &arrs[i] {
        Some(items) => items.iter().map(text_of).collect::<Vec<_>>().join(delims[i]),
        None => String::new(),
    })))
}

// ---- property bags ------------------------------------------------------------------------

fn bags(a: &ArrayRef) -> Result<Vec<Option<Map<String, Value>>>> {
    Ok(jsons(a)?
        .into_iter()
        .map(|v| match v {
            Some(Value::Object(m)) => Some(m),
            _ => None,
        })
        .collect())
}

fn bag_keys(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let b = bags(&a[0])?;
    Ok(dynamic_out((0..rows).map(|i| {
        Some(Value::Array(b[i].as_ref()?.keys().map(|k| Value::String(k.clone())).collect()))
    })))
}

fn bag_merge(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cols: Vec<Vec<Option<Map<String, Value>>>> = a.iter().map(bags).collect::<Result<_>>()?;
    Ok(dynamic_out((0..rows).map(|i| {
        let mut out = Map::new();
        for c in &cols {
            for (k, v) in c[i].clone()? {
                out.entry(k).or_insert(v);
            }
        }
        Some(Value::Object(out))
    })))
}

fn bag_remove_keys(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let b = bags(&a[0])?;
    let keys = arrays(&a[1])?;
    Ok(dynamic_out((0..rows).map(|i| {
        let mut bag = b[i].clone()?;
        for k in keys[i].as_ref()? {
            let path = text_of(k);
            remove_path(&mut bag, path.trim_start_matches("$."));
        }
        Some(Value::Object(bag))
    })))
}

/// Removes `a.b.c` from a bag (a JSONPath-like dotted key).
fn remove_path(bag: &mut Map<String, Value>, path: &str) {
    match path.split_once('.') {
        Some((head, rest)) => {
            if let Some(Value::Object(inner)) = bag.get_mut(head) {
                remove_path(inner, rest);
            }
        }
        None => {
            bag.remove(path);
        }
    }
}

fn bag_has_key(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let b = bags(&a[0])?;
    let keys = strings(&a[1])?;
    Ok(udf::bool_array(
        (0..rows).map(|i| Some(b[i].as_ref().is_some_and(|m| m.contains_key(keys[i])))),
    ))
}

fn bag_zip(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (keys, values) = (arrays(&a[0])?, arrays(&a[1])?);
    Ok(dynamic_out((0..rows).map(|i| {
        let ks = keys[i].as_ref()?;
        let none = Vec::new();
        let vs = values[i].as_ref().unwrap_or(&none);
        let mut out = Map::new();
        for (k, key) in ks.iter().enumerate() {
            if let Value::String(name) = key {
                out.insert(name.clone(), vs.get(k).cloned().unwrap_or(Value::Null));
            }
        }
        Some(Value::Object(out))
    })))
}

fn bag_set_key(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let b = bags(&a[0])?;
    let keys = strings(&a[1])?;
    let values = jsons(&a[2])?;
    Ok(dynamic_out((0..rows).map(|i| {
        let mut bag = b[i].clone()?;
        bag.insert(keys[i].to_string(), values[i].clone().unwrap_or(Value::Null));
        Some(Value::Object(bag))
    })))
}

// ---- strings ------------------------------------------------------------------------------

/// Replaces several lookups at once: each lookup, in order, replaces its occurrences in the
/// text that earlier lookups have not already claimed; a rewrite that is not a string leaves
/// its lookup alone.
fn replace_strings(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    let (lookups, rewrites) = (arrays(&a[1])?, arrays(&a[2])?);
    Ok(udf::string_array((0..rows).map(|i| {
        let (Some(l), Some(r)) = (&lookups[i], &rewrites[i]) else { return texts[i].to_string() };
        let t = texts[i];
        // Claimed byte ranges, and what replaces each.
        let mut claims: Vec<(usize, usize, String)> = Vec::new();
        for (k, lookup) in l.iter().enumerate() {
            let Value::String(find) = lookup else { continue };
            // A replacement that is not a string leaves its matches as they are.
            let with = match r.get(k) {
                Some(Value::String(with)) => with,
                Some(_) => find,
                None => continue,
            };
            if find.is_empty() {
                continue;
            }
            let mut from = 0;
            while let Some(pos) = t[from..].find(find.as_str()) {
                let (s, e) = (from + pos, from + pos + find.len());
                if claims.iter().all(|(cs, ce, _)| e <= *cs || s >= *ce) {
                    claims.push((s, e, with.clone()));
                    from = e;
                } else {
                    from = s + t[s..].chars().next().map_or(1, char::len_utf8);
                }
                if from >= t.len() {
                    break;
                }
            }
        }
        claims.sort_by_key(|c| c.0);
        let mut out = String::with_capacity(t.len());
        let mut at = 0;
        for (s, e, with) in claims {
            out.push_str(&t[at..s]);
            out.push_str(&with);
            at = e;
        }
        out.push_str(&t[at..]);
        out
    })))
}

fn codepoints_from_string(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    Ok(dynamic_out(
        (0..rows)
            .map(|i| Some(Value::Array(texts[i].chars().map(|c| Value::from(c as u32)).collect()))),
    ))
}

fn codepoints_to_string(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cols: Vec<Vec<Option<Value>>> = a.iter().map(jsons).collect::<Result<_>>()?;
    Ok(udf::string_array((0..rows).map(|i| {
        let mut out = String::new();
        for c in &cols {
            let values = match &c[i] {
                Some(Value::Array(items)) => items.clone(),
                Some(v) => vec![v.clone()],
                None => Vec::new(),
            };
            for v in values {
                if let Some(ch) = v.as_u64().and_then(|n| char::from_u32(n as u32)) {
                    out.push(ch);
                }
            }
        }
        out
    })))
}

fn string_size(a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    Ok(udf::long_array(strings(&a[0])?.into_iter().map(|s| Some(s.len() as i64))))
}

fn strcmp(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (x, y) = (strings(&a[0])?, strings(&a[1])?);
    Ok(std::sync::Arc::new(datafusion::arrow::array::Int32Array::from_iter(
        (0..rows).map(|i| Some(x[i].cmp(y[i]) as i32)),
    )))
}

fn strrep(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    let counts = longs(&a[1])?;
    let delims = match a.get(2) {
        Some(d) => strings(d)?,
        None => vec![""; rows],
    };
    Ok(udf::string_array((0..rows).map(|i| {
        let n = counts[i].unwrap_or(0).clamp(0, 10_000) as usize;
        vec![texts[i]; n].join(delims[i])
    })))
}

fn translate(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (from, to, texts) = (strings(&a[0])?, strings(&a[1])?, strings(&a[2])?);
    Ok(udf::string_array((0..rows).map(|i| {
        let f: Vec<char> = from[i].chars().collect();
        let t: Vec<char> = to[i].chars().collect();
        texts[i]
            .chars()
            .filter_map(|c| match f.iter().position(|x| *x == c) {
                Some(_) if t.is_empty() => None,
                Some(k) => Some(*t.get(k).unwrap_or(t.last().unwrap_or(&c))),
                None => Some(c),
            })
            .collect::<String>()
    })))
}

fn regex_quote(a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    Ok(udf::string_array(strings(&a[0])?.into_iter().map(regex::escape)))
}

fn tohex(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let values = longs(&a[0])?;
    let widths = opt_longs(a, 1, rows, Some(0))?;
    Ok(std::sync::Arc::new(datafusion::arrow::array::StringArray::from_iter((0..rows).map(|i| {
        let v = values[i]?;
        let w = widths[i].unwrap_or(0).clamp(0, 64) as usize;
        Some(format!("{v:0w$x}"))
    }))))
}

fn parse_csv(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    Ok(dynamic_out((0..rows).map(|i| {
        let line = texts[i].lines().next().unwrap_or("");
        let mut fields = Vec::new();
        let mut current = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    current.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(Value::String(std::mem::take(&mut current))),
                c => current.push(c),
            }
        }
        fields.push(Value::String(current));
        Some(Value::Array(fields))
    })))
}

fn extract_all(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let patterns = strings(&a[0])?;
    let texts = strings(&a[1])?;
    let mut cache = crate::regex::RegexCache::default();
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let re = cache.get(patterns[i])?;
        let groups = re.captures_len();
        let matches: Vec<Value> = re
            .captures_iter(texts[i])
            .map(|c| {
                if groups <= 2 {
                    let m = c.get(groups - 1).map_or("", |m| m.as_str());
                    Value::String(m.to_string())
                } else {
                    Value::Array(
                        (1..groups)
                            .map(|g| Value::String(c.get(g).map_or("", |m| m.as_str()).to_string()))
                            .collect(),
                    )
                }
            })
            .collect();
        out.push((!matches.is_empty()).then_some(Value::Array(matches)));
    }
    Ok(dynamic_out(out))
}

fn has_any_index(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    let needles = arrays(&a[1])?;
    Ok(udf::long_array((0..rows).map(|i| {
        let list = needles[i].as_ref()?;
        let found = list.iter().position(|n| {
            crate::strings::terms::matches(
                texts[i],
                &text_of(n),
                crate::strings::Anchor::Term,
                false,
            )
        });
        Some(found.map_or(-1, |k| k as i64))
    })))
}

fn base64_to_array(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    Ok(dynamic_out((0..rows).map(|i| {
        let bytes = crate::scalar::strings::base64_decode(texts[i])?;
        Some(Value::Array(bytes.into_iter().map(Value::from).collect()))
    })))
}

fn base64_from_array(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let arrs = arrays(&a[0])?;
    Ok(std::sync::Arc::new(datafusion::arrow::array::StringArray::from_iter((0..rows).map(|i| {
        let bytes: Vec<u8> = arrs[i]
            .as_ref()?
            .iter()
            .map(|v| v.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect::<Option<_>>()?;
        Some(crate::scalar::strings::base64_encode(&bytes))
    }))))
}

fn base64_to_guid(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    Ok(std::sync::Arc::new(datafusion::arrow::array::StringArray::from_iter((0..rows).map(|i| {
        let b = crate::scalar::strings::base64_decode(texts[i])?;
        if b.len() != 16 {
            return None;
        }
        // The first two groups are little-endian (as KQL's own examples show).
        Some(format!(
            "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            b[3], b[2], b[1], b[0], b[5], b[4], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
        ))
    }))))
}

fn base64_from_guid(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    Ok(std::sync::Arc::new(datafusion::arrow::array::StringArray::from_iter((0..rows).map(|i| {
        let g = crate::convert::parse_guid(texts[i])?;
        let hex: String = g.chars().filter(|c| *c != '-').collect();
        let raw: Vec<u8> = (0..16)
            .map(|k| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).ok())
            .collect::<Option<_>>()?;
        let order = [3, 2, 1, 0, 5, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
        let bytes: Vec<u8> = order.iter().map(|&k| raw[k]).collect();
        Some(crate::scalar::strings::base64_encode(&bytes))
    }))))
}

/// `parse_url`: the parts of a URL as a bag.
fn parse_url(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    Ok(dynamic_out((0..rows).map(|i| Some(url_parts(texts[i])))))
}

fn url_parts(url: &str) -> Value {
    let mut m = Map::new();
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => ("", url),
    };
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = match rest.find('/') {
        Some(k) => (&rest[..k], &rest[k..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = authority.rsplit_once('@').unwrap_or(("", authority));
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, p),
        _ => (hostport, ""),
    };
    let mut params = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        params.insert(k.to_string(), Value::String(v.to_string()));
    }
    for (k, v) in [
        ("Scheme", scheme),
        ("Host", host),
        ("Port", port),
        ("Path", path),
        ("Username", user),
        ("Password", password),
    ] {
        m.insert(k.into(), Value::String(v.into()));
    }
    m.insert("Query Parameters".into(), Value::Object(params));
    m.insert("Fragment".into(), Value::String(fragment.into()));
    Value::Object(m)
}

/// `parse_path`: the parts of a file path as a bag.
fn parse_path(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    Ok(dynamic_out((0..rows).map(|i| {
        let p = texts[i];
        let cut = p.rfind(['\\', '/']);
        let (dir, file) = match cut {
            Some(k) => (&p[..k], &p[k + 1..]),
            None => ("", p),
        };
        let ext = file.rsplit_once('.').map_or("", |(_, e)| e);
        let root = if p.len() >= 2 && p.as_bytes()[1] == b':' { &p[..2] } else { "" };
        let mut m = Map::new();
        m.insert("Scheme".into(), Value::String(String::new()));
        m.insert("RootPath".into(), Value::String(root.into()));
        m.insert("DirectoryPath".into(), Value::String(dir.into()));
        m.insert(
            "DirectoryName".into(),
            Value::String(dir.rsplit(['\\', '/']).next().unwrap_or("").into()),
        );
        m.insert("Filename".into(), Value::String(file.into()));
        m.insert("Extension".into(), Value::String(ext.into()));
        m.insert("AlternateDataStreamName".into(), Value::String(String::new()));
        Some(Value::Object(m))
    })))
}

// ---- IP addresses -------------------------------------------------------------------------

/// An IPv4 address, optionally with a `/prefix`, as (address, prefix length).
fn ipv4(text: &str) -> Option<(u32, u32)> {
    let t = text.trim();
    let (addr, prefix) = match t.split_once('/') {
        Some((a, p)) => (a, p.trim().parse::<u32>().ok().filter(|p| *p <= 32)?),
        None => (t, 32),
    };
    let ip: std::net::Ipv4Addr = addr.trim().parse().ok()?;
    Some((u32::from(ip), prefix))
}

fn mask(prefix: u32) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) }
}

fn ipv4_is_private(a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    Ok(udf::bool_array(strings(&a[0])?.into_iter().map(|t| {
        let (ip, _) = ipv4(t)?;
        let ip = std::net::Ipv4Addr::from(ip);
        Some(ip.is_private())
    })))
}

fn ipv4_is_in_range(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (ips, ranges) = (strings(&a[0])?, strings(&a[1])?);
    Ok(udf::bool_array((0..rows).map(|i| {
        let (ip, _) = ipv4(ips[i])?;
        let (net, p) = ipv4(ranges[i])?;
        Some(ip & mask(p) == net & mask(p))
    })))
}

fn ipv4_is_in_any_range(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let ips = strings(&a[0])?;
    let lists: Vec<Vec<Option<Value>>> = a[1..].iter().map(jsons).collect::<Result<_>>()?;
    Ok(udf::bool_array((0..rows).map(|i| {
        let (ip, _) = ipv4(ips[i])?;
        let mut ranges = Vec::new();
        for l in &lists {
            match &l[i] {
                Some(Value::Array(items)) => ranges.extend(items.iter().map(text_of)),
                Some(v) => ranges.push(text_of(v)),
                None => {}
            }
        }
        Some(ranges.iter().filter_map(|r| ipv4(r)).any(|(net, p)| ip & mask(p) == net & mask(p)))
    })))
}

fn ipv4_pair(a: &[ArrayRef], rows: usize) -> Result<Vec<Option<(u32, u32)>>> {
    let (x, y) = (strings(&a[0])?, strings(&a[1])?);
    let prefixes = opt_longs(a, 2, rows, None)?;
    Ok((0..rows)
        .map(|i| {
            let (ix, px) = ipv4(x[i])?;
            let (iy, py) = ipv4(y[i])?;
            let p = match prefixes[i] {
                Some(p) => u32::try_from(p).ok().filter(|p| *p <= 32)?.min(px).min(py),
                None => px.min(py),
            };
            Some((ix & mask(p), iy & mask(p)))
        })
        .collect())
}

fn ipv4_is_match(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    Ok(udf::bool_array(ipv4_pair(a, rows)?.into_iter().map(|p| p.map(|(x, y)| x == y))))
}

fn ipv4_compare(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    Ok(udf::long_array(ipv4_pair(a, rows)?.into_iter().map(|p| p.map(|(x, y)| x.cmp(&y) as i64))))
}

fn parse_ipv4(a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    Ok(udf::long_array(strings(&a[0])?.into_iter().map(|t| {
        let (ip, p) = ipv4(t)?;
        Some((ip & mask(p)) as i64)
    })))
}

fn parse_ipv4_mask(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    let prefixes = longs(&a[1])?;
    Ok(udf::long_array((0..rows).map(|i| {
        let (ip, _) = ipv4(texts[i])?;
        let p = u32::try_from(prefixes[i]?).ok().filter(|p| *p <= 32)?;
        Some((ip & mask(p)) as i64)
    })))
}

/// The address and prefix of `format_ipv4`'s arguments: the narrower of the address's own
/// prefix and the one given.
fn ipv4_masked(a: &[ArrayRef], rows: usize) -> Result<Vec<Option<(u32, u32)>>> {
    let own: Vec<Option<(u32, u32)>> = match a[0].data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            strings(&a[0])?.into_iter().map(ipv4).collect()
        }
        _ => longs(&a[0])?
            .into_iter()
            .map(|v| v.and_then(|v| u32::try_from(v).ok()).map(|ip| (ip, 32)))
            .collect(),
    };
    let prefixes = opt_longs(a, 1, rows, Some(32))?;
    Ok((0..rows)
        .map(|i| {
            let (ip, p) = own[i]?;
            let given = u32::try_from(prefixes[i]?).ok().filter(|p| *p <= 32)?;
            let p = p.min(given);
            Some((ip & mask(p), p))
        })
        .collect())
}

fn format_ipv4(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let values = ipv4_masked(a, rows)?;
    Ok(udf::string_array(
        values
            .into_iter()
            .map(|v| v.map(|(ip, _)| std::net::Ipv4Addr::from(ip).to_string()).unwrap_or_default()),
    ))
}

fn format_ipv4_mask(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let values = ipv4_masked(a, rows)?;
    Ok(udf::string_array(values.into_iter().map(|v| {
        v.map(|(ip, p)| format!("{}/{p}", std::net::Ipv4Addr::from(ip))).unwrap_or_default()
    })))
}

fn ipv4_netmask_suffix(a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    Ok(std::sync::Arc::new(datafusion::arrow::array::Int32Array::from_iter(
        strings(&a[0])?.into_iter().map(|t| ipv4(t).map(|(_, p)| p as i32)),
    )))
}

/// The IPv4 addresses written in a text, where each stands as its own term.
fn ipv4s_in(text: &str) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'.'))
        {
            let end = (i..bytes.len())
                .find(|&k| !(bytes[k].is_ascii_digit() || bytes[k] == b'.'))
                .unwrap_or(bytes.len());
            let candidate = text[i..end].trim_end_matches('.');
            let after = i + candidate.len();
            let boundary = after >= bytes.len() || !bytes[after].is_ascii_alphanumeric();
            if boundary && let Ok(ip) = candidate.parse::<std::net::Ipv4Addr>() {
                out.push(u32::from(ip));
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

fn has_ipv4(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (texts, ips) = (strings(&a[0])?, strings(&a[1])?);
    Ok(udf::bool_array((0..rows).map(|i| {
        // An address that is not valid is found nowhere.
        Some(ipv4(ips[i]).is_some_and(|(ip, _)| ipv4s_in(texts[i]).contains(&ip)))
    })))
}

fn has_ipv4_prefix(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (texts, prefixes) = (strings(&a[0])?, strings(&a[1])?);
    Ok(udf::bool_array((0..rows).map(|i| {
        let p = prefixes[i].trim_end_matches('.');
        Some(ipv4s_in(texts[i]).iter().any(|ip| {
            let s = std::net::Ipv4Addr::from(*ip).to_string();
            s.starts_with(p) && (s.len() == p.len() || s.as_bytes()[p.len()] == b'.')
        }))
    })))
}

fn list_texts(lists: &[Vec<Option<Value>>], i: usize) -> Vec<String> {
    let mut out = Vec::new();
    for l in lists {
        match &l[i] {
            Some(Value::Array(items)) => out.extend(items.iter().map(text_of)),
            Some(v) => out.push(text_of(v)),
            None => {}
        }
    }
    out
}

fn has_any_ipv4(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    let lists: Vec<Vec<Option<Value>>> = a[1..].iter().map(jsons).collect::<Result<_>>()?;
    Ok(udf::bool_array((0..rows).map(|i| {
        let found = ipv4s_in(texts[i]);
        Some(
            list_texts(&lists, i).iter().filter_map(|t| ipv4(t)).any(|(ip, _)| found.contains(&ip)),
        )
    })))
}

fn has_any_ipv4_prefix(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    let lists: Vec<Vec<Option<Value>>> = a[1..].iter().map(jsons).collect::<Result<_>>()?;
    Ok(udf::bool_array((0..rows).map(|i| {
        let found: Vec<String> =
            ipv4s_in(texts[i]).iter().map(|ip| std::net::Ipv4Addr::from(*ip).to_string()).collect();
        Some(list_texts(&lists, i).iter().any(|p| {
            let p = p.trim_end_matches('.');
            found
                .iter()
                .any(|s| s.starts_with(p) && (s.len() == p.len() || s.as_bytes()[p.len()] == b'.'))
        }))
    })))
}

/// An IPv6 (or IPv4, mapped) address with a prefix, as (address, prefix length).
fn ipv6(text: &str) -> Option<(u128, u32)> {
    let t = text.trim();
    let (addr, prefix) = match t.split_once('/') {
        Some((a, p)) => (a, Some(p.trim().parse::<u32>().ok()?)),
        None => (t, None),
    };
    if let Ok(v4) = addr.parse::<std::net::Ipv4Addr>() {
        let p = prefix.unwrap_or(32).min(32) + 96;
        return Some((u128::from(v4.to_ipv6_mapped()), p));
    }
    let ip: std::net::Ipv6Addr = addr.parse().ok()?;
    Some((u128::from(ip), prefix.unwrap_or(128).min(128)))
}

fn ipv6_pair(a: &[ArrayRef], rows: usize) -> Result<Vec<Option<(u128, u128)>>> {
    let (x, y) = (strings(&a[0])?, strings(&a[1])?);
    let prefixes = opt_longs(a, 2, rows, None)?;
    Ok((0..rows)
        .map(|i| {
            let (ix, px) = ipv6(x[i])?;
            let (iy, py) = ipv6(y[i])?;
            let p = match prefixes[i] {
                Some(p) => u32::try_from(p).ok().filter(|p| *p <= 128)?.min(px).min(py),
                None => px.min(py),
            };
            let m = if p == 0 { 0 } else { u128::MAX << (128 - p) };
            Some((ix & m, iy & m))
        })
        .collect())
}

fn ipv6_compare(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    Ok(udf::long_array(ipv6_pair(a, rows)?.into_iter().map(|p| p.map(|(x, y)| x.cmp(&y) as i64))))
}

fn ipv6_is_match(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    Ok(udf::bool_array(ipv6_pair(a, rows)?.into_iter().map(|p| p.map(|(x, y)| x == y))))
}

// ---- math ---------------------------------------------------------------------------------

fn atan2(a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let (y, x) = (reals(&a[0])?, reals(&a[1])?);
    Ok(udf::real_array(y.into_iter().zip(x).map(|(y, x)| Some(y?.atan2(x?)))))
}

/// The gamma function (Lanczos approximation).
fn gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma(1.0 - x));
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
}

/// The error function (Abramowitz and Stegun 7.1.26, extended precision variant).
fn erf(x: f64) -> f64 {
    // Series for small |x|, continued fraction complement for large.
    let sign = x.signum();
    let x = x.abs();
    if x < 2.5 {
        let mut sum = x;
        let mut term = x;
        let mut n = 0.0;
        while term.abs() > 1e-17 * sum.abs() {
            n += 1.0;
            term *= -x * x / n;
            sum += term / (2.0 * n + 1.0);
            if n > 200.0 {
                break;
            }
        }
        return sign * 2.0 / std::f64::consts::PI.sqrt() * sum;
    }
    let mut f = 0.0;
    for k in (1..60).rev() {
        f = k as f64 / 2.0 / (x + f);
    }
    sign * (1.0 - (-x * x).exp() / std::f64::consts::PI.sqrt() / (x + f))
}

fn make_timespan(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use crate::time::{NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_MINUTE, NANOS_PER_SECOND};
    let cols: Vec<Vec<Option<f64>>> = a.iter().map(reals).collect::<Result<_>>()?;
    // make_timespan(h, m[, s]) or make_timespan(d, h, m, s)
    Ok(udf::timespan_array((0..rows).map(|i| {
        let v: Vec<f64> = cols.iter().map(|c| c[i]).collect::<Option<_>>()?;
        let (d, h, m, s) = match v.as_slice() {
            [h, m] => (0.0, *h, *m, 0.0),
            [h, m, s] => (0.0, *h, *m, *s),
            [d, h, m, s] => (*d, *h, *m, *s),
            _ => return None,
        };
        let total = d * NANOS_PER_DAY as f64
            + h * NANOS_PER_HOUR as f64
            + m * NANOS_PER_MINUTE as f64
            + s * NANOS_PER_SECOND as f64;
        Some(total.round() as i64)
    })))
}

fn week_of_year(a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    use chrono::{DateTime, Datelike};
    Ok(std::sync::Arc::new(datafusion::arrow::array::Int32Array::from_iter(
        longs(&a[0])?.into_iter().map(|v| {
            let d = DateTime::from_timestamp(v?.div_euclid(1_000_000_000), 0)?;
            Some(d.iso_week().week() as i32)
        }),
    )))
}

fn new_guid(_a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    Ok(udf::string_array((0..rows).map(|i| {
        let mut h = state.build_hasher();
        h.write_usize(i);
        let a = h.finish();
        h.write_u64(a);
        let b = h.finish();
        let hex = format!("{a:016x}{b:016x}");
        format!(
            "{}-{}-4{}-a{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        )
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_parsing_and_scanning() {
        assert_eq!(ipv4("10.1.2.3/8"), Some((0x0A010203, 8)));
        assert_eq!(ipv4("10.1.2"), None);
        assert_eq!(
            ipv4s_in("from 10.0.0.1, to 192.168.1.10x and 1.2.3.4."),
            vec![0x0A000001, 0x01020304]
        );
    }

    #[test]
    fn special_functions() {
        assert!((gamma(5.0) - 24.0).abs() < 1e-9);
        assert!((erf(0.5) - 0.520_499_877_813_046_5).abs() < 1e-12);
        assert!((erf(3.0) - 0.999_977_909_503_001_4).abs() < 1e-12);
    }
}
