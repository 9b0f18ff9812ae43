//! Punycode (RFC 3492): `punycode_from_string`, `punycode_to_string`, and the IDNA forms
//! `punycode_domain_from_string` / `punycode_domain_to_string` (each label, `xn--` prefixed).

use crate::udf::{self, strings};
use datafusion::arrow::array::ArrayRef;
use datafusion::error::Result;

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
    delta /= if first { DAMP } else { 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

fn digit(d: u32) -> char {
    (if d < 26 { b'a' + d as u8 } else { b'0' + (d - 26) as u8 }) as char
}

fn value_of(c: char) -> Option<u32> {
    match c {
        'a'..='z' => Some(c as u32 - 'a' as u32),
        'A'..='Z' => Some(c as u32 - 'A' as u32),
        '0'..='9' => Some(c as u32 - '0' as u32 + 26),
        _ => None,
    }
}

fn threshold(k: u32, bias: u32) -> u32 {
    if k <= bias {
        T_MIN
    } else if k >= bias + T_MAX {
        T_MAX
    } else {
        k - bias
    }
}

/// The Punycode encoding of a string (without any `xn--` prefix).
pub fn encode(input: &str) -> Option<String> {
    let code_points: Vec<u32> = input.chars().map(|c| c as u32).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    let mut handled = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    while (handled as usize) < code_points.len() {
        let m = code_points.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &code_points {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = threshold(k, bias);
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(out)
}

/// The string a Punycode encoding stands for; `None` when it is malformed.
pub fn decode(input: &str) -> Option<String> {
    let (basic, rest) = match input.rfind('-') {
        Some(i) => (&input[..i], &input[i + 1..]),
        None => ("", input),
    };
    if !basic.is_ascii() {
        return None;
    }
    let mut out: Vec<char> = basic.chars().collect();
    let (mut n, mut i, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let mut chars = rest.chars().peekable();
    while chars.peek().is_some() {
        let old_i = i;
        let mut w = 1u32;
        let mut k = BASE;
        loop {
            let d = value_of(chars.next()?)?;
            i = i.checked_add(d.checked_mul(w)?)?;
            let t = threshold(k, bias);
            if d < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k += BASE;
        }
        let len = out.len() as u32 + 1;
        bias = adapt(i - old_i, len, old_i == 0);
        n = n.checked_add(i / len)?;
        i %= len;
        out.insert(i as usize, char::from_u32(n)?);
        i += 1;
    }
    Some(out.into_iter().collect())
}

/// The labels of a domain (split on `.` and its full-width and ideographic forms).
fn labels(domain: &str) -> Vec<&str> {
    domain.split(['.', '\u{3002}', '\u{FF0E}', '\u{FF61}']).collect()
}

pub fn from_string(a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    Ok(udf::string_array(strings(&a[0])?.into_iter().map(|t| encode(t).unwrap_or_default())))
}

pub fn to_string(a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    Ok(udf::string_array(strings(&a[0])?.into_iter().map(|t| decode(t).unwrap_or_default())))
}

pub fn domain_from_string(a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    Ok(udf::string_array(strings(&a[0])?.into_iter().map(|t| {
        let parts: Option<Vec<String>> = labels(t)
            .into_iter()
            .map(|l| {
                if l.is_ascii() {
                    Some(l.to_string())
                } else {
                    encode(l).map(|e| format!("xn--{e}"))
                }
            })
            .collect();
        parts.map(|p| p.join(".")).unwrap_or_default()
    })))
}

pub fn domain_to_string(a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    Ok(udf::string_array(strings(&a[0])?.into_iter().map(|t| {
        let parts: Option<Vec<String>> = t
            .split('.')
            .map(|l| match l.strip_prefix("xn--") {
                Some(e) => decode(e),
                None => Some(l.to_string()),
            })
            .collect();
        parts.map(|p| p.join(".")).unwrap_or_default()
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (plain, coded) in [
            ("académie-française", "acadmie-franaise-npb1a"),
            ("艺术", "cqv902d"),
            ("bücher", "bcher-kva"),
            ("abc", "abc-"),
        ] {
            assert_eq!(encode(plain).as_deref(), Some(coded), "{plain}");
            assert_eq!(decode(coded).as_deref(), Some(plain), "{coded}");
        }
        assert_eq!(decode("a!"), None);
    }
}
