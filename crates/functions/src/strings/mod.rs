//! KQL's string predicates: `has`, `contains`, `startswith`, `=~`, `in~` and their families.

pub mod matcher;
pub mod terms;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, BooleanBufferBuilder};
use datafusion::arrow::compute::not;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use matcher::{NeedleSet, Quantifier};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
pub use terms::Anchor;

/// Which predicate: how needles are anchored, whether case matters, whether it is negated,
/// and whether any or all needles must match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Predicate {
    pub name: &'static str,
    pub anchor: Anchor,
    pub case_sensitive: bool,
    pub negated: bool,
    pub quantifier: Quantifier,
}

impl Predicate {
    /// The predicate a KQL operator or function name denotes (`has`, `!contains_cs`, `in~`, ...).
    pub fn named(op: &str) -> Option<Predicate> {
        if op == "!~" {
            return Predicate::named("=~").map(|p| Predicate { negated: true, name: "!~", ..p });
        }
        let (negated, base) = match op.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, op),
        };
        let (base, case_sensitive) = match base.strip_suffix("_cs") {
            Some(rest) => (rest, true),
            None => (base, false),
        };
        let (anchor, quantifier, case_sensitive) = match base {
            "has" => (Anchor::Term, Quantifier::Any, case_sensitive),
            "has_any" => (Anchor::Term, Quantifier::Any, case_sensitive),
            "has_all" => (Anchor::Term, Quantifier::All, case_sensitive),
            "hasprefix" => (Anchor::TermStart, Quantifier::Any, case_sensitive),
            "hassuffix" => (Anchor::TermEnd, Quantifier::Any, case_sensitive),
            "contains" => (Anchor::Anywhere, Quantifier::Any, case_sensitive),
            "startswith" => (Anchor::ValueStart, Quantifier::Any, case_sensitive),
            "endswith" => (Anchor::ValueEnd, Quantifier::Any, case_sensitive),
            "=~" | "in~" => (Anchor::Whole, Quantifier::Any, false),
            _ => return None,
        };
        Some(Predicate { name: static_name(op), anchor, case_sensitive, negated, quantifier })
    }
}

/// Operator names are a small fixed set; keep one static copy of each.
fn static_name(op: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "has",
        "!has",
        "has_cs",
        "!has_cs",
        "has_any",
        "has_all",
        "has_any_cs",
        "has_all_cs",
        "hasprefix",
        "!hasprefix",
        "hasprefix_cs",
        "!hasprefix_cs",
        "hassuffix",
        "!hassuffix",
        "hassuffix_cs",
        "!hassuffix_cs",
        "contains",
        "!contains",
        "contains_cs",
        "!contains_cs",
        "startswith",
        "!startswith",
        "startswith_cs",
        "!startswith_cs",
        "endswith",
        "!endswith",
        "endswith_cs",
        "!endswith_cs",
        "=~",
        "!~",
        "in~",
        "!in~",
    ];
    NAMES.iter().find(|n| **n == op).copied().unwrap_or("string_predicate")
}

/// A string predicate as a DataFusion function. With constant needles (`set`), its only
/// argument is the value and the needles are compiled once; otherwise its arguments are the
/// value and the needles, evaluated row by row.
#[derive(Debug)]
pub struct StringPredicate {
    predicate: Predicate,
    set: Option<Arc<NeedleSet>>,
    signature: Signature,
}

impl PartialEq for StringPredicate {
    fn eq(&self, other: &Self) -> bool {
        self.predicate == other.predicate
            && self.set.as_ref().map(|s| s.needles()) == other.set.as_ref().map(|s| s.needles())
    }
}

impl Eq for StringPredicate {}

impl Hash for StringPredicate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.predicate.hash(state);
        if let Some(s) = &self.set {
            s.needles().hash(state);
        }
    }
}

/// `value <predicate> needles` as an expression: constant needles are compiled into the
/// function; any other needle makes it evaluate row by row.
pub fn string_predicate(predicate: Predicate, value: Expr, needles: Vec<Expr>) -> Expr {
    let constants: Option<Vec<String>> = needles.iter().map(constant_string).collect();
    match constants {
        Some(strings) => {
            let set = NeedleSet::new(
                strings,
                predicate.anchor,
                predicate.case_sensitive,
                predicate.quantifier,
            );
            let udf = StringPredicate {
                predicate,
                set: Some(Arc::new(set)),
                signature: Signature::any(1, Volatility::Immutable),
            };
            ScalarUDF::new_from_impl(udf).call(vec![value])
        }
        None => {
            let udf = StringPredicate {
                predicate,
                set: None,
                signature: Signature::variadic_any(Volatility::Immutable),
            };
            let mut args = vec![value];
            args.extend(needles);
            ScalarUDF::new_from_impl(udf).call(args)
        }
    }
}

/// The text of a constant string expression (a literal, possibly cast).
pub fn constant_string(e: &Expr) -> Option<String> {
    match e {
        Expr::Literal(ScalarValue::Utf8(Some(s)), _)
        | Expr::Literal(ScalarValue::LargeUtf8(Some(s)), _)
        | Expr::Literal(ScalarValue::Utf8View(Some(s)), _) => Some(s.clone()),
        Expr::Literal(ScalarValue::Utf8(None), _) => Some(String::new()),
        Expr::Alias(a) => constant_string(&a.expr),
        _ => None,
    }
}

impl ScalarUDFImpl for StringPredicate {
    fn name(&self) -> &str {
        self.predicate.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        let mut parts: Vec<String> = args.iter().map(|a| a.schema_name().to_string()).collect();
        if let Some(set) = &self.set {
            parts.extend(set.needles().iter().map(|n| format!("{n:?}")));
        }
        Ok(format!("{}({})", self.predicate.name, parts.join(", ")))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let result = match &self.set {
            Some(set) => match &args.args[0] {
                ColumnarValue::Scalar(v) => {
                    let text = scalar_text(v);
                    let hit = set.eval(&text);
                    return Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(
                        hit != self.predicate.negated,
                    ))));
                }
                ColumnarValue::Array(a) => set.eval_array(a)?,
            },
            None => match list_needles(&args.args) {
                // The needles as one list (a sub-query's values): one matcher for the batch.
                Some(strings) => {
                    let p = self.predicate;
                    let set = NeedleSet::new(strings, p.anchor, p.case_sensitive, p.quantifier);
                    set.eval_array(&args.args[0].to_array(rows)?)?
                }
                None => self.row_by_row(&args.args, rows)?,
            },
        };
        let result = if self.predicate.negated { not(&result)? } else { result };
        Ok(ColumnarValue::Array(Arc::new(result)))
    }
}

/// The needles when they come as one list argument, the same on every row (a scalar
/// sub-query, which DataFusion may turn into a column by a join): its first row's values.
fn list_needles(args: &[ColumnarValue]) -> Option<Vec<String>> {
    let [_, list] = args else { return None };
    let array = match list {
        ColumnarValue::Scalar(ScalarValue::List(a)) => a.clone() as ArrayRef,
        ColumnarValue::Scalar(v) if v.is_null() && matches!(v.data_type(), DataType::List(_)) => {
            return Some(Vec::new());
        }
        ColumnarValue::Array(a) if matches!(a.data_type(), DataType::List(_)) => a.clone(),
        _ => return None,
    };
    let lists = array.as_list::<i32>();
    if lists.is_empty() || lists.is_null(0) {
        return Some(Vec::new());
    }
    let values = lists.value(0);
    let texts = text_values(&values).ok()?;
    Some(texts.into_iter().filter(|t| !t.is_empty()).collect())
}

impl StringPredicate {
    fn row_by_row(&self, args: &[ColumnarValue], rows: usize) -> Result<BooleanArray> {
        let arrays: Vec<ArrayRef> = args.iter().map(|a| a.to_array(rows)).collect::<Result<_>>()?;
        let texts: Vec<Vec<String>> = arrays.iter().map(text_values).collect::<Result<_>>()?;
        let mut bits = BooleanBufferBuilder::new(rows);
        for i in 0..rows {
            let hay = &texts[0][i];
            let mut needles = texts[1..].iter().map(|t| t[i].as_str());
            let p = self.predicate;
            let one = |n: &str| terms::matches(hay, n, p.anchor, p.case_sensitive);
            bits.append(match p.quantifier {
                Quantifier::Any => needles.any(one),
                Quantifier::All => needles.all(one),
            });
        }
        Ok(BooleanArray::new(bits.finish(), None))
    }
}

/// A scalar as KQL text (`""` for null).
fn scalar_text(v: &ScalarValue) -> String {
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => s.clone(),
        v if v.is_null() => String::new(),
        v => v.to_string(),
    }
}

/// The values of a string array as owned text, nulls as `""`.
pub fn text_values(array: &ArrayRef) -> Result<Vec<String>> {
    let n = array.len();
    let get = |f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>();
    Ok(match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            get(&|i| if a.is_null(i) { String::new() } else { a.value(i).to_string() })
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            get(&|i| if a.is_null(i) { String::new() } else { a.value(i).to_string() })
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            get(&|i| if a.is_null(i) { String::new() } else { a.value(i).to_string() })
        }
        DataType::Null => vec![String::new(); n],
        other => {
            return Err(DataFusionError::Internal(format!("expected text, found {other}")));
        }
    })
}
