//! Plumbing for KQL scalar functions: a function is a name, a rule for its result type, and a
//! plain Rust function over whole arrays; helpers read Arrow arrays the way KQL sees values
//! (strings are never null, integers of any width are longs, ...).

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, StringArray,
};
use datafusion::arrow::datatypes::{
    DataType, DurationNanosecondType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampNanosecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Any number of arguments of any type, none included.
fn any_arguments(volatility: Volatility) -> Signature {
    use datafusion::logical_expr::TypeSignature;
    Signature::one_of(vec![TypeSignature::Nullary, TypeSignature::VariadicAny], volatility)
}

/// The body of a KQL scalar function: the argument arrays (all of the given length) in, the
/// result array (of that length) out.
pub type ArrayFn = fn(&[ArrayRef], usize) -> Result<ArrayRef>;

/// How a function's result type follows from its arguments' types.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Returns {
    Fixed(DataType),
    /// The type of the argument at this position.
    Arg(usize),
}

/// A KQL scalar function as a DataFusion UDF.
#[derive(Debug)]
pub struct KqlFunction {
    name: &'static str,
    returns: Returns,
    body: ArrayFn,
    signature: Signature,
    volatile: bool,
}

impl PartialEq for KqlFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.returns == other.returns
    }
}

impl Eq for KqlFunction {}

impl Hash for KqlFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.returns.hash(state);
    }
}

impl KqlFunction {
    pub fn new(name: &'static str, returns: Returns, body: ArrayFn) -> KqlFunction {
        KqlFunction {
            name,
            returns,
            body,
            signature: any_arguments(Volatility::Immutable),
            volatile: false,
        }
    }

    /// A function whose result may change between calls (`rand()`, `new_guid()`).
    pub fn volatile(mut self) -> KqlFunction {
        self.signature = any_arguments(Volatility::Volatile);
        self.volatile = true;
        self
    }

    /// A call of this function on `args`.
    pub fn call(self, args: Vec<Expr>) -> Expr {
        ScalarUDF::new_from_impl(self).call(args)
    }
}

/// Shorthand: a call of a function with a fixed result type.
pub fn call(name: &'static str, returns: DataType, body: ArrayFn, args: Vec<Expr>) -> Expr {
    KqlFunction::new(name, Returns::Fixed(returns), body).call(args)
}

impl ScalarUDFImpl for KqlFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match &self.returns {
            Returns::Fixed(t) => Ok(t.clone()),
            Returns::Arg(i) => arg_types.get(*i).cloned().ok_or_else(|| {
                DataFusionError::Internal(format!("{}: missing argument {i}", self.name))
            }),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let constant =
            !self.volatile && args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        // Constant arguments: compute once, on one row.
        let rows = if constant { 1 } else { args.number_rows };
        let arrays = args.args.iter().map(|a| a.to_array(rows)).collect::<Result<Vec<_>>>()?;
        let out = (self.body)(&arrays, rows)?;
        if out.len() != rows {
            return Err(DataFusionError::Internal(format!(
                "{} returned {} rows for {rows}",
                self.name,
                out.len()
            )));
        }
        if constant {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
        }
        Ok(ColumnarValue::Array(out))
    }
}

// ---- reading arrays the way KQL sees values --------------------------------------------

/// A string array's values, nulls read as `""`.
pub fn strings(array: &ArrayRef) -> Result<Vec<&str>> {
    let n = array.len();
    Ok(match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            (0..n).map(|i| if a.is_null(i) { "" } else { a.value(i) }).collect()
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            (0..n).map(|i| if a.is_null(i) { "" } else { a.value(i) }).collect()
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            (0..n).map(|i| if a.is_null(i) { "" } else { a.value(i) }).collect()
        }
        DataType::Null => vec![""; n],
        other => return Err(type_error("string", other)),
    })
}

/// Integers of any width (and booleans, and reals truncated) as longs.
pub fn longs(array: &ArrayRef) -> Result<Vec<Option<i64>>> {
    macro_rules! prim {
        ($t:ty) => {{
            let a = array.as_primitive::<$t>();
            (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i) as i64)).collect()
        }};
    }
    Ok(match array.data_type() {
        DataType::Int8 => prim!(Int8Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::Float32 => prim!(Float32Type),
        DataType::Float64 => prim!(Float64Type),
        DataType::Timestamp(..) => {
            let a = array.as_primitive::<TimestampNanosecondType>();
            (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i))).collect()
        }
        DataType::Duration(..) => {
            let a = array.as_primitive::<DurationNanosecondType>();
            (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i))).collect()
        }
        DataType::Boolean => {
            let a = array.as_boolean();
            (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i) as i64)).collect()
        }
        DataType::Null => vec![None; array.len()],
        other => return Err(type_error("number", other)),
    })
}

/// Numbers of any type as reals.
pub fn reals(array: &ArrayRef) -> Result<Vec<Option<f64>>> {
    Ok(match array.data_type() {
        DataType::Float64 => {
            let a = array.as_primitive::<Float64Type>();
            (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i))).collect()
        }
        DataType::Float32 => {
            let a = array.as_primitive::<Float32Type>();
            (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i) as f64)).collect()
        }
        DataType::Decimal128(_, scale) => {
            let a = array.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>();
            let div = 10f64.powi(*scale as i32);
            (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i) as f64 / div)).collect()
        }
        _ => longs(array)?.into_iter().map(|v| v.map(|v| v as f64)).collect(),
    })
}

/// Booleans, nulls kept.
pub fn bools(array: &ArrayRef) -> Result<Vec<Option<bool>>> {
    match array.data_type() {
        DataType::Boolean => {
            let a = array.as_boolean();
            Ok((0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i))).collect())
        }
        DataType::Null => Ok(vec![None; array.len()]),
        other => Err(type_error("bool", other)),
    }
}

fn type_error(expected: &str, found: &DataType) -> DataFusionError {
    DataFusionError::Internal(format!("expected a {expected} array, found {found}"))
}

// ---- building results ---------------------------------------------------------------

pub fn string_array<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

pub fn long_array(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from_iter(values))
}

pub fn real_array(values: impl IntoIterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from_iter(values))
}

pub fn bool_array(values: impl IntoIterator<Item = Option<bool>>) -> ArrayRef {
    Arc::new(BooleanArray::from_iter(values))
}

pub fn datetime_array(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(datafusion::arrow::array::TimestampNanosecondArray::from_iter(values))
}

pub fn timespan_array(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(datafusion::arrow::array::DurationNanosecondArray::from_iter(values))
}

/// An argument that must be a list (the result of `array_agg`), or an error.
pub fn list_of(array: &ArrayRef) -> Result<&datafusion::arrow::array::ListArray> {
    array.as_list_opt::<i32>().ok_or_else(|| {
        DataFusionError::Internal(format!("expected a list, not {}", array.data_type()))
    })
}
