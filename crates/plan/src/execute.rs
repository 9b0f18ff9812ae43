//! Running a query: parse, plan, execute with DataFusion, collect the result tables.

use crate::catalog::{Catalog, ColumnDef};
use crate::planner::{PlanOptions, plan_query};
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use quarry_syntax::Diagnostic;

/// One result table: its KQL columns and its rows.
#[derive(Debug)]
pub struct ResultTable {
    pub columns: Vec<ColumnDef>,
    pub batches: Vec<RecordBatch>,
}

/// Why a query produced no result.
#[derive(Debug)]
pub enum RunError {
    /// The query is invalid or uses what is not supported: the diagnostics say where.
    Query(Vec<Diagnostic>),
    /// The query failed while running.
    Execution(String),
}

/// A query's results, and its warnings.
#[derive(Debug)]
pub struct Run {
    pub tables: Vec<ResultTable>,
    pub warnings: Vec<Diagnostic>,
}

/// Parses, plans and runs a query text.
pub async fn run(
    text: &str,
    catalog: &dyn Catalog,
    ctx: &SessionContext,
    options: PlanOptions,
) -> Result<Run, RunError> {
    let parsed = quarry_syntax::parse(text);
    if parsed.has_errors() {
        return Err(RunError::Query(parsed.diagnostics));
    }
    let planned = plan_query(&parsed.query, catalog, options);
    let mut diagnostics = parsed.diagnostics;
    diagnostics.extend(planned.diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(RunError::Query(diagnostics));
    }
    if planned.results.is_empty() {
        return Err(RunError::Execution(
            "the query has no result: its last statement must be a tabular expression".into(),
        ));
    }
    let mut tables = Vec::with_capacity(planned.results.len());
    for result in planned.results {
        tracing::debug!(plan = %result.plan.display_indent(), "logical plan");
        let frame = ctx.execute_logical_plan(result.plan).await;
        let batches = match frame {
            Ok(f) => f.collect().await,
            Err(e) => Err(e),
        };
        match batches {
            Ok(batches) => tables.push(ResultTable { columns: result.columns, batches }),
            Err(e) => return Err(RunError::Execution(execution_message(&e))),
        }
    }
    Ok(Run { tables, warnings: diagnostics })
}

/// A DataFusion error as a user should read it: without the layers of context, and saying
/// "not supported" for what the engine lacks.
pub fn execution_message(e: &datafusion::error::DataFusionError) -> String {
    use datafusion::error::DataFusionError as E;
    match e.find_root() {
        E::NotImplemented(m) => format!("not supported yet: {m}"),
        E::Execution(m) => m.clone(),
        other => other.to_string(),
    }
}
