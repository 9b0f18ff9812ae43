//! Datetime and timespan text: parsing what KQL accepts, printing what KQL prints.
//!
//! Values are nanoseconds (datetimes since 1970-01-01 UTC), KQL's 100 ns ticks being a
//! multiple of them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
pub const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
pub const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;
pub const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;

/// Date and time layouts accepted besides ISO 8601 with a `T` or a space.
const LAYOUTS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%m/%d/%Y %H:%M:%S%.f",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%a, %d %b %Y %H:%M:%S",
    "%a, %d %b %y %H:%M:%S",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%A, %d-%b-%y %H:%M:%S",
];

const DATE_LAYOUTS: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d %b %Y", "%Y%m%d"];

/// Parses a datetime as KQL's `datetime(...)` and `todatetime()` accept it; UTC unless an
/// offset is given. `None` when the text is not a datetime or falls outside the range held.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let t = text.trim();
    let t = t.strip_suffix(" UTC").or_else(|| t.strip_suffix(" GMT")).unwrap_or(t).trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return dt.timestamp_nanos_opt();
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(text.trim()) {
        return dt.timestamp_nanos_opt();
    }
    let t = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')).unwrap_or(t);
    if let Some((base, offset)) = split_offset(t) {
        let local = parse_naive(base)?;
        let utc = local - chrono::Duration::seconds(offset);
        return utc.and_utc().timestamp_nanos_opt();
    }
    parse_naive(t)?.and_utc().timestamp_nanos_opt()
}

fn parse_naive(t: &str) -> Option<NaiveDateTime> {
    for layout in LAYOUTS {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, layout) {
            return Some(dt);
        }
    }
    for layout in DATE_LAYOUTS {
        if let Ok(d) = NaiveDate::parse_from_str(t, layout) {
            return Some(d.and_time(NaiveTime::MIN));
        }
    }
    None
}

/// `...+02:00` or `...-0500` at the end of a date and time: the text before, and the offset in
/// seconds east of UTC.
fn split_offset(t: &str) -> Option<(&str, i64)> {
    let i = t.rfind(['+', '-'])?;
    // The offset follows a time: there is a ':' before it and the date's dashes come first.
    if i < 10 || !t[..i].contains(':') {
        return None;
    }
    let (base, off) = t.split_at(i);
    let sign = if off.starts_with('-') { -1 } else { 1 };
    let digits: String = off[1..].chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != 4 || off[1..].chars().any(|c| !c.is_ascii_digit() && c != ':') {
        return None;
    }
    let h: i64 = digits[..2].parse().ok()?;
    let m: i64 = digits[2..].parse().ok()?;
    Some((base.trim_end(), sign * (h * 3600 + m * 60)))
}

/// Parses a timespan as `timespan(...)` and `totimespan()` accept it: `[-][d.]hh:mm[:ss[.f]]`,
/// a number with a unit (`1.5h`), or a bare number of days (`timespan(2)` is two days).
pub fn parse_timespan(text: &str) -> Option<i64> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t),
    };
    let value = if t.contains(':') {
        parse_clock(t)?
    } else if let Ok(days) = t.parse::<f64>() {
        (days * NANOS_PER_DAY as f64).round() as i64
    } else {
        parse_with_unit(t)?
    };
    Some(if negative { -value } else { value })
}

fn parse_clock(t: &str) -> Option<i64> {
    let (days, clock) = match t.split_once('.') {
        Some((d, rest)) if rest.contains(':') && !d.contains(':') => (d.parse::<i64>().ok()?, rest),
        _ => (0, t),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let hours: i64 = parts[0].parse().ok()?;
    let minutes: i64 = parts[1].parse().ok()?;
    let (seconds, fraction) = match parts.get(2) {
        Some(s) => match s.split_once('.') {
            Some((s, f)) => (s.parse::<i64>().ok()?, f),
            None => (s.parse::<i64>().ok()?, ""),
        },
        None => (0, ""),
    };
    if minutes >= 60 || seconds >= 60 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut frac_nanos = 0i64;
    for (i, c) in fraction.chars().take(9).enumerate() {
        frac_nanos += (c as i64 - '0' as i64) * 10i64.pow(8 - i as u32);
    }
    Some(
        days * NANOS_PER_DAY
            + hours * NANOS_PER_HOUR
            + minutes * NANOS_PER_MINUTE
            + seconds * NANOS_PER_SECOND
            + frac_nanos,
    )
}

fn parse_with_unit(t: &str) -> Option<i64> {
    let split = t.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = t.split_at(split);
    let value: f64 = number.trim().parse().ok()?;
    let per: f64 = match unit.trim() {
        "d" | "day" | "days" => NANOS_PER_DAY as f64,
        "h" | "hr" | "hrs" | "hour" | "hours" => NANOS_PER_HOUR as f64,
        "m" | "min" | "minute" | "minutes" => NANOS_PER_MINUTE as f64,
        "s" | "sec" | "second" | "seconds" => NANOS_PER_SECOND as f64,
        "ms" | "milli" | "millis" | "millisec" | "millisecond" | "milliseconds" => 1e6,
        "micro" | "micros" | "microsec" | "microsecond" | "microseconds" => 1e3,
        "nano" | "nanos" | "nanosec" | "nanosecond" | "nanoseconds" => 1.0,
        "tick" | "ticks" => 100.0,
        _ => return None,
    };
    Some((value * per).round() as i64)
}

/// A datetime as ISO 8601 in UTC, with the fraction of a second only when there is one (up to
/// 7 digits, KQL's precision): `2024-01-15T10:30:00Z`, `2024-01-15T10:30:00.1234567Z`.
pub fn format_datetime(nanos: i64) -> String {
    let secs = nanos.div_euclid(NANOS_PER_SECOND);
    let sub = nanos.rem_euclid(NANOS_PER_SECOND);
    let Some(dt) = Utc.timestamp_opt(secs, 0).single() else {
        return nanos.to_string();
    };
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    let ticks = sub / 100;
    if ticks == 0 {
        return format!("{base}Z");
    }
    let fraction = format!("{ticks:07}");
    format!("{base}.{}Z", fraction.trim_end_matches('0'))
}

/// A datetime as `tostring` writes it: `2024-01-15T10:30:00.0000000Z`, always 7 digits.
pub fn format_datetime_full(nanos: i64) -> String {
    let secs = nanos.div_euclid(NANOS_PER_SECOND);
    let ticks = nanos.rem_euclid(NANOS_PER_SECOND) / 100;
    match Utc.timestamp_opt(secs, 0).single() {
        Some(dt) => format!("{}.{ticks:07}Z", dt.format("%Y-%m-%dT%H:%M:%S")),
        None => nanos.to_string(),
    }
}

/// A timespan as KQL prints it: `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_timespan(nanos: i64) -> String {
    let negative = nanos < 0;
    let n = nanos.unsigned_abs();
    let day = NANOS_PER_DAY as u64;
    let (days, rest) = (n / day, n % day);
    let hours = rest / NANOS_PER_HOUR as u64;
    let minutes = rest % NANOS_PER_HOUR as u64 / NANOS_PER_MINUTE as u64;
    let seconds = rest % NANOS_PER_MINUTE as u64 / NANOS_PER_SECOND as u64;
    let ticks = rest % NANOS_PER_SECOND as u64 / 100;
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!("{hours:02}:{minutes:02}:{seconds:02}"));
    if ticks > 0 {
        out.push_str(&format!(".{ticks:07}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(text: &str) -> String {
        parse_datetime(text).map(format_datetime).unwrap_or_else(|| "none".into())
    }

    #[test]
    fn datetime_layouts() {
        assert_eq!(dt("2024-01-15"), "2024-01-15T00:00:00Z");
        assert_eq!(dt("2024-01-15 10:30"), "2024-01-15T10:30:00Z");
        assert_eq!(dt("2024-01-15T10:30:00.1234567Z"), "2024-01-15T10:30:00.1234567Z");
        assert_eq!(dt("2024-01-15T10:30:00+02:00"), "2024-01-15T08:30:00Z");
        assert_eq!(dt("2024-01-15 10:30:00.5"), "2024-01-15T10:30:00.5Z");
        assert_eq!(dt("Sat, 8 Nov 14 15:05:02 GMT"), "2014-11-08T15:05:02Z");
        assert_eq!(dt("Saturday, 08-Nov-14 15:05:02 GMT"), "2014-11-08T15:05:02Z");
        assert_eq!(dt("1/20/2024 10:00"), "2024-01-20T10:00:00Z");
        assert_eq!(dt("not a date"), "none");
        assert_eq!(dt(""), "none");
    }

    #[test]
    fn timespans() {
        assert_eq!(
            parse_timespan("1.02:03:04"),
            Some(NANOS_PER_DAY + 2 * NANOS_PER_HOUR + 3 * NANOS_PER_MINUTE + 4 * NANOS_PER_SECOND)
        );
        assert_eq!(parse_timespan("00:30:00"), Some(30 * NANOS_PER_MINUTE));
        assert_eq!(parse_timespan("2"), Some(2 * NANOS_PER_DAY));
        assert_eq!(parse_timespan("1.5h"), Some(90 * NANOS_PER_MINUTE));
        assert_eq!(parse_timespan("-00:00:01.5"), Some(-1_500_000_000));
        assert_eq!(parse_timespan("abc"), None);
        assert_eq!(
            format_timespan(NANOS_PER_DAY + 1_230_000_000 + 12 * NANOS_PER_HOUR),
            "1.12:00:01.2300000"
        );
        assert_eq!(format_timespan(-90 * NANOS_PER_MINUTE), "-01:30:00");
        assert_eq!(format_timespan(0), "00:00:00");
    }
}
