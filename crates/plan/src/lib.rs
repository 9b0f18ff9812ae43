//! Binding and planning: KQL syntax trees in, DataFusion logical plans out.
//!
//! The planner resolves table, column and function names against a [`Catalog`] and the
//! query's `let` scopes, types every expression with KQL's rules, and builds DataFusion
//! `LogicalPlan`s directly, using the KQL function library for Kusto's semantics.

mod aggregates;
mod apply;
pub mod catalog;
pub mod execute;
mod expand;
mod functions;
pub mod output;
mod planner;
mod plugins;
pub mod relation;
mod scalar;
mod tabular;
mod window;

pub use catalog::{Catalog, ColumnDef, EmptyCatalog, TableInfo};
pub use datafusion;
pub use execute::{ResultTable, Run, RunError, run};
pub use planner::{PlanOptions, PlannedQuery, plan_query};
pub use relation::Relation;

use datafusion::common::DFSchema;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use std::sync::Arc;

/// The value of an expression without columns, folded at plan time; `None` if it is not
/// constant.
pub(crate) fn evaluate_constant(e: &Expr) -> Option<ScalarValue> {
    let schema = Arc::new(DFSchema::empty());
    let context = SimplifyContext::builder().with_schema(schema).build();
    let simplifier = ExprSimplifier::new(context);
    match simplifier.simplify(e.clone()).ok()? {
        Expr::Literal(v, _) => Some(v),
        _ => None,
    }
}
