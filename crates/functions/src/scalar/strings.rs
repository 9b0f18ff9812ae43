//! String functions: `strlen`, `substring`, `strcat`, `split`, `extract`, `replace_*`, ...

use crate::dynamic;
use crate::regex::RegexCache;
use crate::types::KqlType;
use crate::udf::{self, KqlFunction, Returns, longs, strings};
use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, lit};
use std::sync::Arc;

/// `isempty(x)`: an empty string, or a null of another type.
pub fn is_empty(e: Expr, ty: KqlType) -> Expr {
    match ty {
        KqlType::String | KqlType::Guid => e.eq(lit("")),
        KqlType::Dynamic => udf::call("isempty", DataType::Boolean, empty_dynamic, vec![e]),
        _ => e.is_null(),
    }
}

fn empty_dynamic(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let values = strings(&args[0])?;
    Ok(udf::bool_array(values.iter().map(|v| {
        let t = v.trim();
        Some(t.is_empty() || t == "null" || t == "\"\"")
    })))
}

/// `coalesce(a, b, ...)`: the first value that is not null; for strings, not empty.
pub fn coalesce(exprs: Vec<Expr>, ty: KqlType) -> Expr {
    match ty {
        KqlType::String => udf::call("coalesce", DataType::Utf8, first_nonempty, exprs),
        _ => datafusion::functions::core::expr_fn::coalesce(exprs),
    }
}

fn first_nonempty(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let columns: Vec<Vec<&str>> = args.iter().map(strings).collect::<Result<_>>()?;
    Ok(udf::string_array(
        (0..rows).map(|i| columns.iter().map(|c| c[i]).find(|s| !s.is_empty()).unwrap_or("")),
    ))
}

/// One-argument string functions; returns the call and its KQL type.
pub fn unary(name: &str, text: Expr) -> (Expr, KqlType) {
    let (n, ty, body): (&'static str, KqlType, udf::ArrayFn) = match name {
        "strlen" => ("strlen", KqlType::Long, strlen),
        "tolower" => ("tolower", KqlType::String, |a, _| map_str(&a[0], |s| s.to_lowercase())),
        "toupper" => ("toupper", KqlType::String, |a, _| map_str(&a[0], |s| s.to_uppercase())),
        "reverse" => {
            ("reverse", KqlType::String, |a, _| map_str(&a[0], |s| s.chars().rev().collect()))
        }
        "url_encode" => ("url_encode", KqlType::String, |a, _| map_str(&a[0], url_encode)),
        "url_decode" => ("url_decode", KqlType::String, |a, _| map_str(&a[0], url_decode)),
        "base64_encode_tostring" => ("base64_encode_tostring", KqlType::String, |a, _| {
            map_str(&a[0], |s| base64_encode(s.as_bytes()))
        }),
        "base64_decode_tostring" => ("base64_decode_tostring", KqlType::String, |a, _| {
            map_str(&a[0], |s| {
                base64_decode(s).and_then(|b| String::from_utf8(b).ok()).unwrap_or_default()
            })
        }),
        "hash_md5" => ("hash_md5", KqlType::String, |a, _| {
            map_str(&a[0], |s| hex_digest::<md5::Md5>(s.as_bytes()))
        }),
        "hash_sha1" => ("hash_sha1", KqlType::String, |a, _| {
            map_str(&a[0], |s| hex_digest::<sha1::Sha1>(s.as_bytes()))
        }),
        "hash_sha256" => ("hash_sha256", KqlType::String, |a, _| {
            map_str(&a[0], |s| hex_digest::<sha2::Sha256>(s.as_bytes()))
        }),
        other => unreachable!("`{other}` is not a unary string function"),
    };
    (KqlFunction::new(n, Returns::Fixed(ty.arrow()), body).call(vec![text]), ty)
}

/// The lowercase hex digest of some bytes.
fn hex_digest<D: sha2::Digest>(bytes: &[u8]) -> String {
    D::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `hash(text[, modulo])`: xxhash64 of the UTF-8 bytes, as a long (modulo taken unsigned).
pub fn hash(args: Vec<Expr>) -> Expr {
    udf::call("hash", DataType::Int64, hash_arrays, args)
}

fn hash_arrays(a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&a[0])?;
    let modulo = match a.get(1) {
        Some(m) => udf::longs(m)?,
        None => vec![None; rows],
    };
    Ok(udf::long_array(texts.into_iter().zip(modulo).map(|(t, m)| {
        let h = twox_hash::XxHash64::oneshot(0, t.as_bytes());
        match m {
            Some(m) if m > 0 => Some((h % m as u64) as i64),
            Some(_) => None,
            None => Some(h as i64),
        }
    })))
}

fn map_str(a: &ArrayRef, f: impl Fn(&str) -> String) -> Result<ArrayRef> {
    Ok(udf::string_array(strings(a)?.into_iter().map(f)))
}

/// Length in UTF-16 code units, as .NET counts it.
fn strlen(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    Ok(udf::long_array(
        strings(&args[0])?.into_iter().map(|s| Some(s.encode_utf16().count() as i64)),
    ))
}

/// `strcat(a, b, ...)` of texts.
pub fn strcat(parts: Vec<Expr>) -> Expr {
    udf::call("strcat", DataType::Utf8, strcat_arrays, parts)
}

fn strcat_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let columns: Vec<Vec<&str>> = args.iter().map(strings).collect::<Result<_>>()?;
    Ok(udf::string_array((0..rows).map(|i| columns.iter().map(|c| c[i]).collect::<String>())))
}

/// `strcat_delim(delimiter, a, b, ...)`.
pub fn strcat_delim(parts: Vec<Expr>) -> Expr {
    udf::call("strcat_delim", DataType::Utf8, strcat_delim_arrays, parts)
}

fn strcat_delim_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let columns: Vec<Vec<&str>> = args.iter().map(strings).collect::<Result<_>>()?;
    Ok(udf::string_array((0..rows).map(|i| {
        let parts: Vec<&str> = columns[1..].iter().map(|c| c[i]).collect();
        parts.join(columns[0][i])
    })))
}

/// `substring(text, start[, length])`: in characters; a negative start counts from the end.
pub fn substring(parts: Vec<Expr>) -> Expr {
    udf::call("substring", DataType::Utf8, substring_arrays, parts)
}

fn substring_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&args[0])?;
    let starts = longs(&args[1])?;
    let lengths = match args.get(2) {
        Some(a) => longs(a)?,
        None => vec![Some(i64::MAX); rows],
    };
    let out = (0..rows).map(|i| {
        let chars: Vec<char> = texts[i].chars().collect();
        let n = chars.len() as i64;
        let (Some(start), Some(len)) = (starts[i], lengths[i]) else { return String::new() };
        let start = if start < 0 { (n + start).max(0) } else { start.min(n) };
        let end = start.saturating_add(len.max(0)).min(n);
        chars[start as usize..end as usize].iter().collect()
    });
    Ok(udf::string_array(out))
}

/// `trim(regex, text)`, `trim_start`, `trim_end`: remove matches of the pattern at the ends.
pub fn trim(name: &str, pattern: Expr, text: Expr) -> Expr {
    let body: udf::ArrayFn = match name {
        "trim_start" => |a, r| trim_arrays(a, r, true, false),
        "trim_end" => |a, r| trim_arrays(a, r, false, true),
        _ => |a, r| trim_arrays(a, r, true, true),
    };
    let name: &'static str = match name {
        "trim_start" => "trim_start",
        "trim_end" => "trim_end",
        _ => "trim",
    };
    udf::call(name, DataType::Utf8, body, vec![pattern, text])
}

fn trim_arrays(args: &[ArrayRef], rows: usize, start: bool, end: bool) -> Result<ArrayRef> {
    let patterns = strings(&args[0])?;
    let texts = strings(&args[1])?;
    let mut starts = RegexCache::default();
    let mut ends = RegexCache::default();
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let mut s = texts[i];
        if start {
            let re = starts.get(&format!("^(?:{})+", patterns[i]))?;
            if let Some(m) = re.find(s) {
                s = &s[m.end()..];
            }
        }
        if end {
            let re = ends.get(&format!("(?:{})+$", patterns[i]))?;
            if let Some(m) = re.find(s) {
                s = &s[..m.start()];
            }
        }
        out.push(s.to_string());
    }
    Ok(udf::string_array(out))
}

/// `replace_string(text, lookup, rewrite)` and `replace_regex(text, regex, rewrite)`; the
/// rewrite of a regex may use `\1` for groups.
pub fn replace(name: &str, parts: Vec<Expr>) -> Expr {
    if name == "replace_regex" {
        udf::call("replace_regex", DataType::Utf8, replace_regex_arrays, parts)
    } else {
        udf::call("replace_string", DataType::Utf8, replace_string_arrays, parts)
    }
}

fn replace_string_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (t, l, r) = (strings(&args[0])?, strings(&args[1])?, strings(&args[2])?);
    Ok(udf::string_array(
        (0..rows).map(
            |i| {
                if l[i].is_empty() { t[i].to_string() } else { t[i].replace(l[i], r[i]) }
            },
        ),
    ))
}

fn replace_regex_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (t, p, r) = (strings(&args[0])?, strings(&args[1])?, strings(&args[2])?);
    let mut cache = RegexCache::default();
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let re = cache.get(p[i])?;
        out.push(re.replace_all(t[i], kql_rewrite(r[i]).as_str()).into_owned());
    }
    Ok(udf::string_array(out))
}

/// KQL's `\1` group references in a rewrite, as the regex crate's `${1}`.
fn kql_rewrite(rewrite: &str) -> String {
    let mut out = String::with_capacity(rewrite.len());
    let mut chars = rewrite.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let d = chars.next().unwrap_or('0');
                out.push_str(&format!("${{{d}}}"));
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// `indexof(text, lookup[, start[, length[, occurrence]]])`: in characters, -1 when absent.
pub fn indexof(parts: Vec<Expr>) -> Expr {
    udf::call("indexof", DataType::Int64, indexof_arrays, parts)
}

fn indexof_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&args[0])?;
    let lookups = strings(&args[1])?;
    let opt = |i: usize| -> Result<Vec<Option<i64>>> {
        match args.get(i) {
            Some(a) => longs(a),
            None => Ok(vec![None; rows]),
        }
    };
    let (starts, lengths, occurrences) = (opt(2)?, opt(3)?, opt(4)?);
    let out = (0..rows).map(|i| {
        let chars: Vec<char> = texts[i].chars().collect();
        let n = chars.len() as i64;
        let start = starts[i].unwrap_or(0);
        if start < 0 || start > n {
            return if args.len() > 2 && starts[i].is_none() { None } else { Some(-1) };
        }
        let end = match lengths[i] {
            Some(l) if l >= 0 => (start + l).min(n),
            _ => n,
        };
        let occurrence = occurrences[i].unwrap_or(1).max(1);
        let hay: String = chars[start as usize..end as usize].iter().collect();
        let mut found = 0;
        let mut from = 0usize;
        while let Some(pos) = hay[from..].find(lookups[i]) {
            found += 1;
            let at = from + pos;
            if found == occurrence {
                return Some(start + hay[..at].chars().count() as i64);
            }
            from = at + lookups[i].len().max(1);
            if from > hay.len() {
                break;
            }
        }
        Some(-1)
    });
    Ok(udf::long_array(out))
}

/// `countof(text, search[, kind])`: `normal` counts overlapping substrings, `regex` matches.
pub fn countof(parts: Vec<Expr>) -> Expr {
    udf::call("countof", DataType::Int64, countof_arrays, parts)
}

fn countof_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&args[0])?;
    let searches = strings(&args[1])?;
    let kinds = match args.get(2) {
        Some(a) => strings(a)?,
        None => vec!["normal"; rows],
    };
    let mut cache = RegexCache::default();
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let (t, s) = (texts[i], searches[i]);
        let n = if kinds[i] == "regex" {
            cache.get(s)?.find_iter(t).count()
        } else if s.is_empty() {
            0
        } else {
            (0..t.len()).filter(|&j| t.is_char_boundary(j) && t[j..].starts_with(s)).count()
        };
        out.push(Some(n as i64));
    }
    Ok(udf::long_array(out))
}

/// `split(text, delimiter[, index])`: a dynamic array of the pieces, or the piece at `index`
/// (as a one-element array).
pub fn split(parts: Vec<Expr>) -> Expr {
    udf::call("split", DataType::Utf8, split_arrays, parts)
}

fn split_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let texts = strings(&args[0])?;
    let delims = strings(&args[1])?;
    let index = match args.get(2) {
        Some(a) => Some(longs(a)?),
        None => None,
    };
    let out = (0..rows).map(|i| {
        let pieces: Vec<&str> =
            if delims[i].is_empty() { vec![texts[i]] } else { texts[i].split(delims[i]).collect() };
        let chosen: Vec<&str> = match &index {
            Some(ix) => {
                match ix[i].and_then(|k| usize::try_from(k).ok()).and_then(|k| pieces.get(k)) {
                    Some(p) => vec![*p],
                    None => Vec::new(),
                }
            }
            None => pieces,
        };
        Some(serde_json::Value::from(chosen).to_string())
    });
    Ok(Arc::new(StringArray::from_iter(out)))
}

/// `extract(regex, group, text)`: the group's text in the first match, or `""`.
pub fn extract(regex: Expr, group: Expr, text: Expr) -> Expr {
    udf::call("extract", DataType::Utf8, extract_arrays, vec![regex, group, text])
}

fn extract_arrays(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let patterns = strings(&args[0])?;
    let groups = longs(&args[1])?;
    let texts = strings(&args[2])?;
    let mut cache = RegexCache::default();
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let re = cache.get(patterns[i])?;
        let g = groups[i].and_then(|g| usize::try_from(g).ok()).unwrap_or(0);
        let value = re
            .captures(texts[i])
            .and_then(|c| c.get(g))
            .map(|m| m.as_str().to_string())
            .unwrap_or_default();
        out.push(value);
    }
    Ok(udf::string_array(out))
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push_str("%20"),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = acc << 6 | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits & 0xFF) as u8);
        }
    }
    Some(out)
}

/// The text of a dynamic value when used as a string (`tostring`).
pub fn dynamic_text(array: &ArrayRef) -> Result<Vec<String>> {
    Ok(strings(array)?.into_iter().map(dynamic::unquote).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for s in ["", "a", "ab", "abc", "Kusto rocks!"] {
            assert_eq!(base64_decode(&base64_encode(s.as_bytes())).unwrap(), s.as_bytes());
        }
        assert_eq!(base64_encode(b"Kusto"), "S3VzdG8=");
    }

    #[test]
    fn urls_and_rewrites() {
        assert_eq!(url_encode("a b&c"), "a%20b%26c");
        assert_eq!(url_decode("a%20b%26c+d"), "a b&c d");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(kql_rewrite(r"x\1y$"), "x${1}y$$");
    }
}
