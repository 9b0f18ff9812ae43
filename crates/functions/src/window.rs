//! KQL's row-order functions over serialized rows: `row_number`, `row_cumsum`,
//! `row_rank_min`, `row_rank_dense` and `row_window_session`, each with its `restart`
//! argument. They run as one DataFusion window function that walks the rows in order; the
//! planner always passes every argument (a `restart` of `false` when the query gives none).

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Expr, PartitionEvaluator, Signature, Volatility, WindowUDF, WindowUDFImpl,
};
use std::sync::Arc;

/// Which row function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowFunction {
    /// `row_number(start, restart)`.
    Number,
    /// `row_cumsum(value, restart)`: a running sum (nulls add nothing).
    CumSum,
    /// `row_rank_min(term, restart)`: the row number of the first row of a run of equal terms.
    RankMin,
    /// `row_rank_dense(term, restart)`: 1 for the first run of equal terms, 2 for the next, ...
    RankDense,
    /// `row_window_session(time, max_from_first, max_between, restart)`: the start of the
    /// session a row belongs to.
    Session,
}

impl RowFunction {
    pub fn from_name(name: &str) -> Option<RowFunction> {
        Some(match name {
            "row_number" => RowFunction::Number,
            "row_cumsum" => RowFunction::CumSum,
            "row_rank_min" => RowFunction::RankMin,
            "row_rank_dense" => RowFunction::RankDense,
            "row_window_session" => RowFunction::Session,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            RowFunction::Number => "row_number",
            RowFunction::CumSum => "row_cumsum",
            RowFunction::RankMin => "row_rank_min",
            RowFunction::RankDense => "row_rank_dense",
            RowFunction::Session => "row_window_session",
        }
    }

    /// The window function over these arguments, giving values of type `returns`.
    pub fn call(self, args: Vec<Expr>, returns: DataType) -> Expr {
        let udwf = RowUdwf {
            function: self,
            returns,
            signature: Signature::variadic_any(Volatility::Immutable),
        };
        WindowUDF::new_from_impl(udwf).call(args)
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct RowUdwf {
    function: RowFunction,
    returns: DataType,
    signature: Signature,
}

impl WindowUDFImpl for RowUdwf {
    fn name(&self) -> &str {
        self.function.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(
        &self,
        _: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(RowEvaluator { function: self.function, returns: self.returns.clone() }))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(field_args.name(), self.returns.clone(), true)))
    }
}

#[derive(Debug)]
struct RowEvaluator {
    function: RowFunction,
    returns: DataType,
}

/// Where a new group starts: the first row, and every row whose restart flag is true.
fn restarts(flags: &ArrayRef, rows: usize) -> Result<Vec<bool>> {
    let flags: &BooleanArray = flags
        .as_boolean_opt()
        .ok_or_else(|| DataFusionError::Internal("restart must be a bool".to_string()))?;
    Ok((0..rows).map(|i| i == 0 || (flags.is_valid(i) && flags.value(i))).collect())
}

impl PartitionEvaluator for RowEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
        let restart = restarts(&values[values.len() - 1], rows)?;
        match self.function {
            RowFunction::Number => {
                let starts = values[0].as_primitive::<Int64Type>();
                let mut n = 0i64;
                let out: Vec<Option<i64>> = (0..rows)
                    .map(|i| {
                        n = if restart[i] { starts.value(i) } else { n + 1 };
                        Some(n)
                    })
                    .collect();
                Ok(Arc::new(datafusion::arrow::array::Int64Array::from(out)))
            }
            RowFunction::CumSum => match &self.returns {
                DataType::Float64 => {
                    let x = values[0].as_primitive::<Float64Type>();
                    let mut sum = 0.0;
                    let out: Vec<Option<f64>> = (0..rows)
                        .map(|i| {
                            let v = if x.is_valid(i) { x.value(i) } else { 0.0 };
                            sum = if restart[i] { v } else { sum + v };
                            Some(sum)
                        })
                        .collect();
                    Ok(Arc::new(datafusion::arrow::array::Float64Array::from(out)))
                }
                _ => {
                    let x = values[0].as_primitive::<Int64Type>();
                    let mut sum = 0i64;
                    let out: Vec<Option<i64>> = (0..rows)
                        .map(|i| {
                            let v = if x.is_valid(i) { x.value(i) } else { 0 };
                            sum = if restart[i] { v } else { sum.wrapping_add(v) };
                            Some(sum)
                        })
                        .collect();
                    Ok(Arc::new(datafusion::arrow::array::Int64Array::from(out)))
                }
            },
            RowFunction::RankMin | RowFunction::RankDense => {
                let dense = self.function == RowFunction::RankDense;
                let terms = &values[0];
                let mut out = Vec::with_capacity(rows);
                let (mut position, mut rank) = (0i64, 0i64);
                let mut previous: Option<ScalarValue> = None;
                for (i, starts) in restart.iter().enumerate() {
                    let term = ScalarValue::try_from_array(terms, i)?;
                    if *starts {
                        position = 1;
                        rank = 1;
                    } else {
                        position += 1;
                        if previous.as_ref() != Some(&term) {
                            rank = if dense { rank + 1 } else { position };
                        }
                    }
                    previous = Some(term);
                    out.push(Some(rank));
                }
                Ok(Arc::new(datafusion::arrow::array::Int64Array::from(out)))
            }
            RowFunction::Session => {
                let times = values[0]
                    .as_primitive::<datafusion::arrow::datatypes::TimestampNanosecondType>();
                let from_first = values[1]
                    .as_primitive::<datafusion::arrow::datatypes::DurationNanosecondType>();
                let between = values[2]
                    .as_primitive::<datafusion::arrow::datatypes::DurationNanosecondType>();
                let mut out: Vec<Option<i64>> = Vec::with_capacity(rows);
                let (mut start, mut last): (Option<i64>, Option<i64>) = (None, None);
                for (i, restarted) in restart.iter().enumerate() {
                    if times.is_null(i) {
                        out.push(None);
                        continue;
                    }
                    let t = times.value(i);
                    let new_session = *restarted
                        || match (start, last) {
                            (Some(s), Some(l)) => {
                                (from_first.is_valid(i) && t - s > from_first.value(i))
                                    || (between.is_valid(i) && t - l > between.value(i))
                            }
                            _ => true,
                        };
                    if new_session {
                        start = Some(t);
                    }
                    last = Some(t);
                    out.push(start);
                }
                let array = datafusion::arrow::array::TimestampNanosecondArray::from(out)
                    .with_timezone_opt(match &self.returns {
                        DataType::Timestamp(_, tz) => tz.clone(),
                        _ => None,
                    });
                Ok(Arc::new(array))
            }
        }
    }
}
