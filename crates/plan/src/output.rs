//! Query results as text: a table for people, CSV, JSON and JSON lines for programs. Values are
//! written as KQL writes them: datetimes in ISO 8601 UTC, timespans as `[d.]hh:mm:ss`,
//! dynamic values as JSON.

use crate::catalog::ColumnDef;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Float32Type, Float64Type};
use datafusion::error::Result;
use quarry_functions::KqlType;
use quarry_functions::convert::format_real;
use quarry_functions::time::{format_datetime, format_timespan};
use quarry_functions::udf::longs;
use serde_json::Value;
use std::io::Write;

/// One cell, typed for output.
enum Cell {
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    Text(String),
    Json(Value),
}

/// Reads every cell of a column as KQL sees it.
fn cells(array: &ArrayRef, ty: KqlType) -> Result<Vec<Cell>> {
    let n = array.len();
    let mut out = Vec::with_capacity(n);
    match ty {
        KqlType::Bool => {
            let a = array.as_boolean();
            out.extend(
                (0..n).map(|i| if a.is_null(i) { Cell::Null } else { Cell::Bool(a.value(i)) }),
            );
        }
        KqlType::Int | KqlType::Long => {
            out.extend(longs(array)?.into_iter().map(|v| v.map_or(Cell::Null, Cell::Long)));
        }
        KqlType::Real => match array.data_type() {
            DataType::Float32 => {
                let a = array.as_primitive::<Float32Type>();
                out.extend((0..n).map(|i| {
                    if a.is_null(i) { Cell::Null } else { Cell::Real(a.value(i) as f64) }
                }));
            }
            _ => {
                let a = array.as_primitive::<Float64Type>();
                out.extend(
                    (0..n).map(|i| if a.is_null(i) { Cell::Null } else { Cell::Real(a.value(i)) }),
                );
            }
        },
        KqlType::Decimal => {
            let a = array.as_primitive::<Decimal128Type>();
            let scale = match array.data_type() {
                DataType::Decimal128(_, s) => *s,
                _ => 0,
            };
            out.extend((0..n).map(|i| {
                if a.is_null(i) { Cell::Null } else { Cell::Text(decimal_text(a.value(i), scale)) }
            }));
        }
        KqlType::DateTime => {
            out.extend(
                longs(array)?
                    .into_iter()
                    .map(|v| v.map_or(Cell::Null, |v| Cell::Text(format_datetime(v)))),
            );
        }
        KqlType::TimeSpan => {
            out.extend(
                longs(array)?
                    .into_iter()
                    .map(|v| v.map_or(Cell::Null, |v| Cell::Text(format_timespan(v)))),
            );
        }
        KqlType::String | KqlType::Guid => {
            let texts = quarry_functions::udf::strings(array)?;
            for (i, t) in texts.into_iter().enumerate() {
                let null = ty == KqlType::Guid && array.is_null(i);
                out.push(if null { Cell::Null } else { Cell::Text(t.to_string()) });
            }
        }
        KqlType::Dynamic => {
            let texts = quarry_functions::udf::strings(array)?;
            for (i, t) in texts.into_iter().enumerate() {
                if array.is_null(i) {
                    out.push(Cell::Null);
                    continue;
                }
                out.push(match serde_json::from_str::<Value>(t) {
                    Ok(v) => Cell::Json(v),
                    Err(_) => Cell::Json(Value::String(t.to_string())),
                });
            }
        }
    }
    Ok(out)
}

fn decimal_text(v: i128, scale: i8) -> String {
    let div = 10i128.pow(scale.max(0) as u32);
    let (whole, frac) = (v / div, (v % div).abs());
    let sign = if v < 0 && whole == 0 { "-" } else { "" };
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let frac = format!("{frac:0width$}", width = scale.max(0) as usize);
    format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
}

impl Cell {
    fn json(self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Long(v) => Value::from(v),
            Cell::Real(v) if v.is_nan() => Value::String("NaN".into()),
            Cell::Real(v) if v.is_infinite() => {
                Value::String(if v > 0.0 { "Infinity" } else { "-Infinity" }.into())
            }
            Cell::Real(v) => serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
            Cell::Text(s) => Value::String(s),
            Cell::Json(v) => v,
        }
    }

    fn text(self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Bool(b) => b.to_string(),
            Cell::Long(v) => v.to_string(),
            Cell::Real(v) => format_real(v),
            Cell::Text(s) => s,
            Cell::Json(v) => match v {
                Value::String(s) => s,
                other => other.to_string(),
            },
        }
    }
}

/// The rows of a result, cell by cell, in column order.
fn rows(columns: &[ColumnDef], batches: &[RecordBatch]) -> Result<Vec<Vec<Cell>>> {
    let mut out = Vec::new();
    for batch in batches {
        let mut by_column: Vec<std::vec::IntoIter<Cell>> = Vec::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            by_column.push(cells(batch.column(i), c.ty)?.into_iter());
        }
        for _ in 0..batch.num_rows() {
            out.push(by_column.iter_mut().map(|c| c.next().unwrap_or(Cell::Null)).collect());
        }
    }
    Ok(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Ndjson,
}

/// The rows of a result as JSON arrays, one per row: the form test cases compare.
pub fn json_rows(columns: &[ColumnDef], batches: &[RecordBatch]) -> Result<Vec<Value>> {
    Ok(rows(columns, batches)?
        .into_iter()
        .map(|r| Value::Array(r.into_iter().map(Cell::json).collect()))
        .collect())
}

/// The rows of a result as JSON objects keyed by column name: the form alerts carry.
pub fn json_objects(
    columns: &[ColumnDef],
    batches: &[RecordBatch],
) -> Result<Vec<serde_json::Map<String, Value>>> {
    Ok(rows(columns, batches)?
        .into_iter()
        .map(|r| columns.iter().zip(r).map(|(c, cell)| (c.name.clone(), cell.json())).collect())
        .collect())
}

/// Writes one result table.
pub fn write(
    out: &mut dyn Write,
    format: Format,
    columns: &[ColumnDef],
    batches: &[RecordBatch],
) -> Result<()> {
    let rows = rows(columns, batches)?;
    match format {
        Format::Json => {
            let cols: Vec<Value> = columns
                .iter()
                .map(|c| serde_json::json!({"name": c.name, "type": c.ty.name()}))
                .collect();
            let rows: Vec<Value> = rows
                .into_iter()
                .map(|r| Value::Array(r.into_iter().map(Cell::json).collect()))
                .collect();
            let doc = serde_json::json!({"columns": cols, "rows": rows});
            writeln!(out, "{doc}")?;
        }
        Format::Ndjson => {
            for r in rows {
                let object: serde_json::Map<String, Value> =
                    columns.iter().zip(r).map(|(c, cell)| (c.name.clone(), cell.json())).collect();
                writeln!(out, "{}", Value::Object(object))?;
            }
        }
        Format::Csv => {
            let header: Vec<String> = columns.iter().map(|c| csv_field(&c.name)).collect();
            writeln!(out, "{}", header.join(","))?;
            for r in rows {
                let fields: Vec<String> = r.into_iter().map(|c| csv_field(&c.text())).collect();
                writeln!(out, "{}", fields.join(","))?;
            }
        }
        Format::Table => {
            let headers: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            let texts: Vec<Vec<String>> =
                rows.into_iter().map(|r| r.into_iter().map(|c| c.text()).collect()).collect();
            write_text_table(out, &headers, &texts)?;
            let count = texts.len();
            let noun = if count == 1 { "row" } else { "rows" };
            writeln!(out, "({count} {noun})")?;
        }
    }
    Ok(())
}

/// A CSV field, quoted when it must be.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Longest a cell is shown in the table format; longer values are cut with `…`.
const MAX_CELL: usize = 48;

/// An aligned text table for people: a header, a rule, then the rows; cells are kept on one
/// line and long ones cut short.
pub fn write_text_table(
    out: &mut dyn Write,
    headers: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let texts: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| shorten(&c.replace(['\n', '\r', '\t'], " "))).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in &texts {
        for (w, t) in widths.iter_mut().zip(r) {
            *w = (*w).max(t.chars().count());
        }
    }
    let line = |cells: &[&str]| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(t, w)| format!("{t}{}", " ".repeat(w.saturating_sub(t.chars().count()))))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(headers))?;
    let rules: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
    writeln!(out, "{}", line(&rules.iter().map(String::as_str).collect::<Vec<_>>()))?;
    for r in &texts {
        writeln!(out, "{}", line(&r.iter().map(String::as_str).collect::<Vec<_>>()))?;
    }
    Ok(())
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_CELL {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(MAX_CELL - 1).collect();
    cut.push('…');
    cut
}
