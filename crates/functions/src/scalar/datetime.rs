//! Datetime and timespan functions: `bin`, `startofday`, `datetime_diff`, `format_datetime`, ...
//!
//! KQL counts datetimes from 0001-01-01; where that matters (bins wider than a day, which
//! align to that origin), the arithmetic is done in 128 bits.

use crate::time::{NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_MINUTE, NANOS_PER_SECOND};
use crate::udf::{self, KqlFunction, Returns, longs, reals, strings};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::error::Result;
use datafusion::logical_expr::Expr;

/// Nanoseconds from 0001-01-01 to 1970-01-01.
const NANOS_0001_TO_1970: i128 = 62_135_596_800 * NANOS_PER_SECOND as i128;

fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, None)
}

fn to_naive(nanos: i64) -> Option<NaiveDateTime> {
    DateTime::<Utc>::from_timestamp(
        nanos.div_euclid(NANOS_PER_SECOND),
        nanos.rem_euclid(NANOS_PER_SECOND) as u32,
    )
    .map(|d| d.naive_utc())
}

fn from_naive(dt: NaiveDateTime) -> Option<i64> {
    dt.and_utc().timestamp_nanos_opt()
}

/// `bin(value, size)` and `bin_at(value, size, anchor)`: round down to a multiple of `size`
/// (counted from `anchor`). Numbers, datetimes and timespans; a null or non-positive size
/// gives null.
pub fn bin(value: Expr, size: Expr, anchor: Option<Expr>) -> Expr {
    let mut args = vec![value, size];
    args.extend(anchor);
    KqlFunction::new("bin", Returns::Arg(0), bin_arrays).call(args)
}

fn bin_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let value_type = args[0].data_type().clone();
    match value_type {
        DataType::Float64 | DataType::Float32 => {
            let (v, s) = (reals(&args[0])?, reals(&args[1])?);
            let anchors = match args.get(2) {
                Some(a) => reals(a)?,
                None => vec![Some(0.0); rows],
            };
            Ok(udf::real_array((0..rows).map(|i| {
                let (v, s, a) = (v[i]?, s[i]?, anchors[i]?);
                (s > 0.0).then(|| ((v - a) / s).floor() * s + a)
            })))
        }
        _ => {
            let is_datetime = matches!(value_type, DataType::Timestamp(..));
            let v = longs(&args[0])?;
            // A real size for an integer value: bin in reals, keep the value's type.
            let s: Vec<Option<i128>> = match args[1].data_type() {
                DataType::Float64 => {
                    reals(&args[1])?.into_iter().map(|x| x.map(|x| x as i128)).collect()
                }
                _ => longs(&args[1])?.into_iter().map(|x| x.map(|x| x as i128)).collect(),
            };
            let origin = if is_datetime { -NANOS_0001_TO_1970 } else { 0 };
            let anchors: Vec<Option<i128>> = match args.get(2) {
                Some(a) => longs(a)?.into_iter().map(|x| x.map(|x| x as i128)).collect(),
                None => vec![Some(origin); rows],
            };
            let out = (0..rows).map(|i| {
                let (v, s, a) = (v[i]? as i128, s[i]?, anchors[i]?);
                if s <= 0 {
                    return None;
                }
                i64::try_from((v - a).div_euclid(s) * s + a).ok()
            });
            Ok(match value_type {
                DataType::Timestamp(..) => udf::datetime_array(out),
                DataType::Duration(..) => udf::timespan_array(out),
                DataType::Int32 => {
                    std::sync::Arc::new(datafusion::arrow::array::Int32Array::from_iter(
                        out.map(|x| x.and_then(|x| i32::try_from(x).ok())),
                    ))
                }
                _ => udf::long_array(out),
            })
        }
    }
}

/// `startofday(dt[, offset])` and its siblings for weeks (starting Sunday), months and years;
/// `endof...` gives the last tick of the period.
pub fn period_edge(name: &str, dt: Expr, offset: Option<Expr>) -> Expr {
    let (n, body): (&'static str, udf::ArrayFn) = match name {
        "startofday" => ("startofday", |a, r| edge_arrays(a, r, Period::Day, false)),
        "startofweek" => ("startofweek", |a, r| edge_arrays(a, r, Period::Week, false)),
        "startofmonth" => ("startofmonth", |a, r| edge_arrays(a, r, Period::Month, false)),
        "startofyear" => ("startofyear", |a, r| edge_arrays(a, r, Period::Year, false)),
        "endofday" => ("endofday", |a, r| edge_arrays(a, r, Period::Day, true)),
        "endofweek" => ("endofweek", |a, r| edge_arrays(a, r, Period::Week, true)),
        "endofmonth" => ("endofmonth", |a, r| edge_arrays(a, r, Period::Month, true)),
        _ => ("endofyear", |a, r| edge_arrays(a, r, Period::Year, true)),
    };
    let mut args = vec![dt];
    args.extend(offset);
    udf::call(n, timestamp_type(), body, args)
}

#[derive(Clone, Copy)]
enum Period {
    Day,
    Week,
    Month,
    Year,
}

fn period_start(dt: NaiveDateTime, period: Period, offset: i64) -> Option<NaiveDateTime> {
    let date = dt.date();
    let start = match period {
        Period::Day => date.checked_add_signed(Duration::days(offset))?,
        Period::Week => {
            let back = date.weekday().num_days_from_sunday() as i64;
            date.checked_add_signed(Duration::days(offset * 7 - back))?
        }
        Period::Month => {
            let months = date.year() as i64 * 12 + date.month0() as i64 + offset;
            NaiveDate::from_ymd_opt(
                months.div_euclid(12) as i32,
                months.rem_euclid(12) as u32 + 1,
                1,
            )?
        }
        Period::Year => NaiveDate::from_ymd_opt(date.year() + offset as i32, 1, 1)?,
    };
    start.and_hms_opt(0, 0, 0)
}

fn edge_arrays(args: &[ArrayRef], rows: usize, period: Period, end: bool) -> Result<ArrayRef> {
    let values = longs(&args[0])?;
    let offsets = match args.get(1) {
        Some(a) => longs(a)?,
        None => vec![Some(0); rows],
    };
    let out = (0..rows).map(|i| {
        let dt = to_naive(values[i]?)?;
        let offset = offsets[i]?;
        if end {
            let next = period_start(dt, period, offset + 1)?;
            Some(from_naive(next)? - 100)
        } else {
            from_naive(period_start(dt, period, offset)?)
        }
    });
    Ok(udf::datetime_array(out))
}

/// Parts of a datetime: `hourofday`, `dayofmonth`, `dayofyear`, `getyear`, `getmonth`,
/// `monthofyear` (ints), and `dayofweek` (a timespan: days since Sunday).
pub fn part(name: &str, dt: Expr) -> Expr {
    let (n, ty, body): (&'static str, DataType, udf::ArrayFn) = match name {
        "dayofweek" => ("dayofweek", DataType::Duration(TimeUnit::Nanosecond), |a, _| {
            Ok(udf::timespan_array(longs(&a[0])?.into_iter().map(|v| {
                Some(to_naive(v?)?.weekday().num_days_from_sunday() as i64 * NANOS_PER_DAY)
            })))
        }),
        "hourofday" => ("hourofday", DataType::Int32, |a, _| int_part(&a[0], |d| d.hour() as i32)),
        "dayofmonth" => ("dayofmonth", DataType::Int32, |a, _| int_part(&a[0], |d| d.day() as i32)),
        "dayofyear" => {
            ("dayofyear", DataType::Int32, |a, _| int_part(&a[0], |d| d.ordinal() as i32))
        }
        "getyear" => ("getyear", DataType::Int32, |a, _| int_part(&a[0], |d| d.year())),
        _ => ("getmonth", DataType::Int32, |a, _| int_part(&a[0], |d| d.month() as i32)),
    };
    udf::call(n, ty, body, vec![dt])
}

fn int_part(a: &ArrayRef, f: fn(NaiveDateTime) -> i32) -> Result<ArrayRef> {
    let values = longs(a)?;
    Ok(std::sync::Arc::new(datafusion::arrow::array::Int32Array::from_iter(
        values.into_iter().map(|v| Some(f(to_naive(v?)?))),
    )))
}

/// `datetime_part(unit, dt)`.
pub fn datetime_part(unit: Expr, dt: Expr) -> Expr {
    udf::call("datetime_part", DataType::Int32, datetime_part_arrays, vec![unit, dt])
}

fn datetime_part_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let units = strings(&args[0])?;
    let values = longs(&args[1])?;
    let out = (0..rows).map(|i| {
        let nanos = values[i]?;
        let d = to_naive(nanos)?;
        let sub = nanos.rem_euclid(NANOS_PER_SECOND);
        Some(match units[i].to_ascii_lowercase().as_str() {
            "year" => d.year(),
            "quarter" => d.month0() as i32 / 3 + 1,
            "month" => d.month() as i32,
            "week_of_year" | "weekofyear" => d.iso_week().week() as i32,
            "day" => d.day() as i32,
            "dayofyear" => d.ordinal() as i32,
            "hour" => d.hour() as i32,
            "minute" => d.minute() as i32,
            "second" => d.second() as i32,
            "millisecond" => (sub / 1_000_000) as i32,
            "microsecond" => (sub / 1_000) as i32,
            "nanosecond" => sub as i32,
            _ => return None,
        })
    });
    Ok(std::sync::Arc::new(datafusion::arrow::array::Int32Array::from_iter(out)))
}

/// `datetime_add(unit, amount, dt)`; months and years keep the day where it exists.
pub fn datetime_add(unit: Expr, amount: Expr, dt: Expr) -> Expr {
    udf::call("datetime_add", timestamp_type(), datetime_add_arrays, vec![unit, amount, dt])
}

fn add_months(d: NaiveDateTime, months: i64) -> Option<NaiveDateTime> {
    let total = d.year() as i64 * 12 + d.month0() as i64 + months;
    let (y, m) = (total.div_euclid(12) as i32, total.rem_euclid(12) as u32 + 1);
    let last = (28..=31).rev().find(|&day| NaiveDate::from_ymd_opt(y, m, day).is_some())?;
    NaiveDate::from_ymd_opt(y, m, d.day().min(last))?.and_time(d.time()).into()
}

fn unit_nanos(unit: &str) -> Option<i64> {
    Some(match unit {
        "week" => 7 * NANOS_PER_DAY,
        "day" => NANOS_PER_DAY,
        "hour" => NANOS_PER_HOUR,
        "minute" => NANOS_PER_MINUTE,
        "second" => NANOS_PER_SECOND,
        "millisecond" => 1_000_000,
        "microsecond" => 1_000,
        "nanosecond" => 1,
        _ => return None,
    })
}

fn datetime_add_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let units = strings(&args[0])?;
    let amounts = longs(&args[1])?;
    let values = longs(&args[2])?;
    let out = (0..rows).map(|i| {
        let (n, v) = (amounts[i]?, values[i]?);
        let unit = units[i].to_ascii_lowercase();
        match unit.as_str() {
            "year" => from_naive(add_months(to_naive(v)?, n.checked_mul(12)?)?),
            "quarter" => from_naive(add_months(to_naive(v)?, n.checked_mul(3)?)?),
            "month" => from_naive(add_months(to_naive(v)?, n)?),
            u => v.checked_add(n.checked_mul(unit_nanos(u)?)?),
        }
    });
    Ok(udf::datetime_array(out))
}

/// `datetime_diff(unit, dt1, dt2)`: how many unit boundaries lie between `dt2` and `dt1`.
pub fn datetime_diff(unit: Expr, a: Expr, b: Expr) -> Expr {
    udf::call("datetime_diff", DataType::Int64, datetime_diff_arrays, vec![unit, a, b])
}

fn datetime_diff_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let units = strings(&args[0])?;
    let (xs, ys) = (longs(&args[1])?, longs(&args[2])?);
    let out = (0..rows).map(|i| {
        let (x, y) = (xs[i]?, ys[i]?);
        let (dx, dy) = (to_naive(x)?, to_naive(y)?);
        let unit = units[i].to_ascii_lowercase();
        let months = |d: NaiveDateTime| d.year() as i64 * 12 + d.month0() as i64;
        Some(match unit.as_str() {
            "year" => (dx.year() - dy.year()) as i64,
            "quarter" => months(dx) / 3 - months(dy) / 3,
            "month" => months(dx) - months(dy),
            "week" => {
                let start =
                    |d: NaiveDateTime| period_start(d, Period::Week, 0).and_then(from_naive);
                (start(dx)? - start(dy)?) / (7 * NANOS_PER_DAY)
            }
            u => {
                let n = unit_nanos(u)? as i128;
                let shift = |v: i64| (v as i128 + NANOS_0001_TO_1970).div_euclid(n);
                i64::try_from(shift(x) - shift(y)).ok()?
            }
        })
    });
    Ok(udf::long_array(out))
}

/// `format_datetime(dt, format)` with .NET-style specifiers (`yyyy-MM-dd HH:mm:ss.fff`).
pub fn format_datetime(dt: Expr, format: Expr) -> Expr {
    udf::call("format_datetime", DataType::Utf8, format_datetime_arrays, vec![dt, format])
}

fn format_datetime_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let values = longs(&args[0])?;
    let formats = strings(&args[1])?;
    let out = (0..rows).map(|i| {
        let v = values[i]?;
        let d = to_naive(v)?;
        let sub = v.rem_euclid(NANOS_PER_SECOND);
        Some(render(formats[i], |spec, n| {
            Some(match spec {
                'y' if n >= 4 => format!("{:0n$}", d.year()),
                'y' => format!("{:0n$}", d.year() % 100),
                'M' => format!("{:0n$}", d.month()),
                'd' => format!("{:0n$}", d.day()),
                'H' => format!("{:0n$}", d.hour()),
                'h' => format!("{:0n$}", (d.hour() + 11) % 12 + 1),
                'm' => format!("{:0n$}", d.minute()),
                's' => format!("{:0n$}", d.second()),
                'f' | 'F' => fraction(sub, n, spec == 'F'),
                't' => (if d.hour() < 12 { "AM" } else { "PM" })[..n.min(2)].to_string(),
                _ => return None,
            })
        }))
    });
    Ok(std::sync::Arc::new(datafusion::arrow::array::StringArray::from_iter(out)))
}

/// The first `n` digits of a second's fraction; `trim` drops trailing zeros (`F`).
fn fraction(sub_nanos: i64, n: usize, trim: bool) -> String {
    let digits = format!("{sub_nanos:09}");
    let s = &digits[..n.min(9)];
    if trim { s.trim_end_matches('0').to_string() } else { s.to_string() }
}

/// Expands a .NET-style format: runs of a specifier letter go to `spec(letter, count)`; other
/// characters, and quoted or escaped text, are copied.
fn render(format: &str, mut spec: impl FnMut(char, usize) -> Option<String>) -> String {
    let chars: Vec<char> = format.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if c == '\'' || c == '"' {
            let end =
                chars[i + 1..].iter().position(|&x| x == c).map_or(chars.len(), |p| i + 1 + p);
            out.extend(&chars[i + 1..end]);
            i = end + 1;
            continue;
        }
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        match spec(c, n) {
            Some(text) => out.push_str(&text),
            None => out.extend(std::iter::repeat_n(c, n)),
        }
        i += n;
    }
    out
}

/// `format_timespan(ts, format)`: `d`, `h`/`H`, `m`, `s`, `f`/`F` specifiers.
pub fn format_timespan(ts: Expr, format: Expr) -> Expr {
    udf::call("format_timespan", DataType::Utf8, format_timespan_arrays, vec![ts, format])
}

fn format_timespan_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let values = longs(&args[0])?;
    let formats = strings(&args[1])?;
    let out = (0..rows).map(|i| {
        let v = values[i]?;
        let a = v.unsigned_abs() as i64;
        let text = render(formats[i], |spec, n| {
            Some(match spec {
                'd' => format!("{:0n$}", a / NANOS_PER_DAY),
                'h' | 'H' => format!("{:0n$}", a % NANOS_PER_DAY / NANOS_PER_HOUR),
                'm' => format!("{:0n$}", a % NANOS_PER_HOUR / NANOS_PER_MINUTE),
                's' => format!("{:0n$}", a % NANOS_PER_MINUTE / NANOS_PER_SECOND),
                'f' | 'F' => fraction(a % NANOS_PER_SECOND, n, spec == 'F'),
                _ => return None,
            })
        });
        Some(if v < 0 { format!("-{text}") } else { text })
    });
    Ok(std::sync::Arc::new(datafusion::arrow::array::StringArray::from_iter(out)))
}

/// `make_datetime(year, month, day[, hour, minute, second])`, the second possibly fractional.
pub fn make_datetime(parts: Vec<Expr>) -> Expr {
    udf::call("make_datetime", timestamp_type(), make_datetime_arrays, parts)
}

fn make_datetime_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cols: Vec<Vec<Option<f64>>> = args.iter().map(reals).collect::<Result<_>>()?;
    let out = (0..rows).map(|i| {
        let get = |k: usize| cols.get(k).map_or(Some(0.0), |c| c[i]);
        let date = NaiveDate::from_ymd_opt(get(0)? as i32, get(1)? as u32, get(2)? as u32)?;
        let (h, m, s) = (get(3)?, get(4)?, get(5)?);
        if !(0.0..24.0).contains(&h) || !(0.0..60.0).contains(&m) || !(0.0..60.0).contains(&s) {
            return None;
        }
        let base = from_naive(date.and_hms_opt(0, 0, 0)?)?;
        let extra = h as i64 * NANOS_PER_HOUR
            + m as i64 * NANOS_PER_MINUTE
            + (s * NANOS_PER_SECOND as f64).round() as i64;
        base.checked_add(extra)
    });
    Ok(udf::datetime_array(out))
}

/// `unixtime_seconds_todatetime(n)` and the milli-, micro- and nanosecond variants.
pub fn from_unix(name: &str, value: Expr) -> Expr {
    let body: udf::ArrayFn = match name {
        "unixtime_milliseconds_todatetime" => |a, _| scale_unix(&a[0], 1e6),
        "unixtime_microseconds_todatetime" => |a, _| scale_unix(&a[0], 1e3),
        "unixtime_nanoseconds_todatetime" => |a, _| scale_unix(&a[0], 1.0),
        _ => |a, _| scale_unix(&a[0], 1e9),
    };
    udf::call("unixtime_todatetime", timestamp_type(), body, vec![value])
}

fn scale_unix(a: &ArrayRef, nanos_per_unit: f64) -> Result<ArrayRef> {
    Ok(udf::datetime_array(reals(a)?.into_iter().map(|v| {
        let n = (v? * nanos_per_unit).round();
        (n.is_finite() && n.abs() < i64::MAX as f64).then_some(n as i64)
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{format_datetime as show, parse_datetime};

    fn at(text: &str) -> NaiveDateTime {
        to_naive(parse_datetime(text).unwrap()).unwrap()
    }

    #[test]
    fn week_starts_on_sunday_and_months_roll() {
        let start = period_start(at("2024-01-17 13:00"), Period::Week, 0).unwrap();
        assert_eq!(show(from_naive(start).unwrap()), "2024-01-14T00:00:00Z");
        let next = period_start(at("2024-12-31"), Period::Month, 1).unwrap();
        assert_eq!(show(from_naive(next).unwrap()), "2025-01-01T00:00:00Z");
        assert_eq!(
            show(from_naive(add_months(at("2024-01-31"), 1).unwrap()).unwrap()),
            "2024-02-29T00:00:00Z"
        );
    }

    #[test]
    fn formats() {
        let f = |spec| render(spec, |c, n| Some(format!("<{c}{n}>")));
        assert_eq!(f("yyyy-MM"), "<y4><-1><M2>");
        assert_eq!(render("yy 'yy' \\d", |c, n| (c == 'y').then(|| n.to_string())), "2 yy d");
        assert_eq!(fraction(123_456_789, 3, false), "123");
        assert_eq!(fraction(100_000_000, 3, true), "1");
    }
}
