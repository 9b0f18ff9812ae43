//! The planner: binds names and types, and lowers KQL to DataFusion logical plans.
//!
//! One pass over the syntax tree does both jobs: every tabular expression becomes a
//! [`Relation`] (a plan and its KQL schema), every scalar expression a [`Typed`] DataFusion
//! expression. Problems become diagnostics at the span of the KQL that caused them; a
//! statement stops at its first problem, the next statement is still planned.

use crate::catalog::{Catalog, ColumnDef, TableInfo};
use crate::relation::{Relation, Typed, column};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ScalarValue;
use datafusion::datasource::empty::EmptyTable;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlanBuilder, cast, lit};
use quarry_functions::KqlType;
use quarry_syntax::ast::{self, Expr, ExprKind, FunctionDef, LetValue, Query, StatementKind};
use quarry_syntax::{Diagnostic, DiagnosticKind, Span};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// Settings that fix the meaning of a query.
#[derive(Clone, Copy, Debug)]
pub struct PlanOptions {
    /// `now()`, in nanoseconds since 1970-01-01 UTC; constant for the whole query.
    pub now: i64,
}

/// The plans of a query's result statements, and what went wrong.
#[derive(Debug, Default)]
pub struct PlannedQuery {
    pub results: Vec<Relation>,
    pub diagnostics: Vec<Diagnostic>,
}

impl PlannedQuery {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Plans every statement of a parsed query.
pub fn plan_query(query: &Query, catalog: &dyn Catalog, options: PlanOptions) -> PlannedQuery {
    let mut planner = Planner::new(catalog, options);
    let results = planner.statements(&query.statements);
    PlannedQuery { results, diagnostics: planner.diagnostics }
}

/// Marks that a diagnostic has been recorded and the current statement cannot go on.
#[derive(Debug)]
pub struct Stop;

pub type PResult<T> = Result<T, Stop>;

/// What a name bound by `let` (or a query parameter) stands for.
#[derive(Clone)]
pub(crate) enum Binding {
    Scalar(Typed),
    Tabular(Relation),
    Function(Rc<FunctionDef>),
}

pub struct Planner<'c> {
    pub(crate) catalog: &'c dyn Catalog,
    pub(crate) options: PlanOptions,
    pub(crate) diagnostics: Vec<Diagnostic>,
    scopes: Vec<HashMap<String, Binding>>,
    /// Set while the items of a `summarize` are lowered: where aggregations are collected.
    pub(crate) aggregation: Option<crate::aggregates::AggregationScope>,
    /// Set while the items of a projection are lowered: where row-order functions are collected.
    pub(crate) window: Option<crate::window::WindowScope>,
    /// Set while the sub-query of `mv-apply` is planned: the column numbering the original rows.
    pub(crate) partition: Option<String>,
    /// How deeply user functions are being expanded, to stop runaway recursion.
    expansion_depth: usize,
}

const MAX_EXPANSION_DEPTH: usize = 32;

impl<'c> Planner<'c> {
    pub fn new(catalog: &'c dyn Catalog, options: PlanOptions) -> Planner<'c> {
        Planner {
            catalog,
            options,
            diagnostics: Vec::new(),
            scopes: vec![HashMap::new()],
            aggregation: None,
            window: None,
            partition: None,
            expansion_depth: 0,
        }
    }

    // ---- diagnostics ----------------------------------------------------------------

    pub(crate) fn error(&mut self, span: Span, message: impl Into<String>) -> Stop {
        self.diagnostics.push(Diagnostic::error(DiagnosticKind::Semantic, span, message));
        Stop
    }

    pub(crate) fn error_with_help(
        &mut self,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Stop {
        let d = Diagnostic::error(DiagnosticKind::Semantic, span, message).with_help(help);
        self.diagnostics.push(d);
        Stop
    }

    pub(crate) fn unsupported(&mut self, span: Span, what: impl std::fmt::Display) -> Stop {
        self.diagnostics.push(Diagnostic::unsupported(span, what));
        Stop
    }

    pub(crate) fn warning(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::warning(span, message));
    }

    // ---- scopes ---------------------------------------------------------------------

    pub(crate) fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    pub(crate) fn bind(&mut self, name: &str, binding: Binding) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), binding);
        }
    }

    pub(crate) fn push_scope(&mut self) {
        self.scopes.push(HashMap::new());
    }

    pub(crate) fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    /// Every name in scope, for suggestions.
    pub(crate) fn bound_names(&self) -> Vec<String> {
        self.scopes.iter().flat_map(|s| s.keys().cloned()).collect()
    }

    // ---- statements -----------------------------------------------------------------

    fn statements(&mut self, statements: &[ast::Statement]) -> Vec<Relation> {
        let mut results = Vec::new();
        for s in statements {
            if let Ok(Some(r)) = self.statement(s) {
                results.push(r)
            }
        }
        results
    }

    fn statement(&mut self, s: &ast::Statement) -> PResult<Option<Relation>> {
        match &s.kind {
            StatementKind::Let { name, value } => {
                self.let_statement(&name.name, value)?;
                Ok(None)
            }
            StatementKind::Expr(e) if self.is_tabular(e) => Ok(Some(self.tabular(e)?)),
            StatementKind::Expr(e) => {
                // A value alone is printed: `strlen("abc")` is `print strlen("abc")`.
                let empty = self.empty_relation();
                let v = self.scalar(e, &empty)?;
                let column = ColumnDef::new("print_0", v.ty);
                Ok(Some(self.project(&empty, vec![(v.expr, column)], e.span)?))
            }
            StatementKind::Set { name, .. } => {
                self.warning(name.span, format!("`set {}` is ignored", name.name));
                Ok(None)
            }
            StatementKind::DeclareQueryParameters { params } => {
                for p in params {
                    let Some(default) = &p.default else {
                        return Err(self.error(
                            p.name.span,
                            format!("query parameter `{}` has no value", p.name.name),
                        ));
                    };
                    let empty = self.empty_relation();
                    let value = self.scalar(default, &empty)?;
                    self.bind(&p.name.name, Binding::Scalar(value));
                }
                Ok(None)
            }
            StatementKind::Alias { .. } => Err(self.unsupported(s.span, "`alias database`")),
            StatementKind::RestrictAccess { .. } => {
                Err(self.unsupported(s.span, "`restrict access`"))
            }
            StatementKind::Pattern { .. } => Err(self.unsupported(s.span, "`declare pattern`")),
        }
    }

    fn let_statement(&mut self, name: &str, value: &LetValue) -> PResult<()> {
        let binding = match value {
            LetValue::Function(f) => Binding::Function(Rc::new(f.clone())),
            LetValue::View(f) => Binding::Function(Rc::new(f.clone())),
            LetValue::Expr(e) if self.is_tabular(e) => Binding::Tabular(self.tabular(e)?),
            LetValue::Expr(e) => {
                let empty = self.empty_relation();
                Binding::Scalar(self.scalar(e, &empty)?)
            }
        };
        self.bind(name, binding);
        Ok(())
    }

    /// Expands a call of a user function: binds its arguments in a new scope and plans its
    /// body. Returns the body's last statement as a table or a value.
    pub(crate) fn expand_function(
        &mut self,
        f: &FunctionDef,
        args: Vec<Binding>,
        span: Span,
    ) -> PResult<Binding> {
        if self.expansion_depth >= MAX_EXPANSION_DEPTH {
            return Err(self.error(span, "functions call each other too deeply"));
        }
        self.expansion_depth += 1;
        self.push_scope();
        let result = self.function_body(f, args, span);
        self.pop_scope();
        self.expansion_depth -= 1;
        result
    }

    fn function_body(
        &mut self,
        f: &FunctionDef,
        args: Vec<Binding>,
        span: Span,
    ) -> PResult<Binding> {
        for (param, arg) in f.params.iter().zip(args) {
            self.bind(&param.name.name, arg);
        }
        let Some((last, lets)) = f.body.split_last() else {
            return Err(self.error(span, "the function's body is empty"));
        };
        for s in lets {
            self.statement(s)?;
        }
        match &last.kind {
            StatementKind::Expr(e) if self.is_tabular(e) => Ok(Binding::Tabular(self.tabular(e)?)),
            StatementKind::Expr(e) => {
                let empty = self.empty_relation();
                Ok(Binding::Scalar(self.scalar(e, &empty)?))
            }
            _ => Err(self.error(last.span, "a function's body must end with an expression")),
        }
    }

    // ---- kinds of expressions -------------------------------------------------------

    /// Whether an expression produces a table (as opposed to a scalar).
    pub(crate) fn is_tabular(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Pipeline { .. } | ExprKind::Operator(_) => true,
            ExprKind::Paren(inner) => self.is_tabular(inner),
            ExprKind::Name(n) => match self.lookup(&n.name) {
                Some(Binding::Tabular(_)) => true,
                Some(Binding::Scalar(_)) => false,
                Some(Binding::Function(f)) => f.params.is_empty() && self.body_is_tabular(f),
                None => self.catalog.table(&n.name).is_some(),
            },
            ExprKind::Call { receiver: None, name, .. } => match name.name.as_str() {
                "table" | "materialize" | "view" => true,
                other => match self.lookup(other) {
                    Some(Binding::Function(f)) => self.body_is_tabular(f),
                    _ => false,
                },
            },
            ExprKind::Call { receiver: Some(_), name, .. } => name.name == "database",
            ExprKind::Member { target, .. } => matches!(
                &target.kind,
                ExprKind::Call { name, .. } if name.name == "database"
            ),
            _ => false,
        }
    }

    fn body_is_tabular(&self, f: &FunctionDef) -> bool {
        match f.body.last().map(|s| &s.kind) {
            Some(StatementKind::Expr(e)) => {
                // The body's own lets are not in scope here: judge by its shape.
                matches!(e.kind, ExprKind::Pipeline { .. } | ExprKind::Operator(_))
                    || self.is_tabular(e)
                    || matches!(&e.kind, ExprKind::Name(n)
                        if f.body.iter().any(|s| matches!(&s.kind,
                            StatementKind::Let { name, value: LetValue::Expr(v) }
                                if name.name == n.name && matches!(v.kind, ExprKind::Pipeline { .. } | ExprKind::Operator(_)))))
            }
            _ => false,
        }
    }

    // ---- sources --------------------------------------------------------------------

    /// A relation with one row and no columns: the input of `print` and of scalar `let`s.
    pub(crate) fn empty_relation(&self) -> Relation {
        let plan = LogicalPlanBuilder::empty(true).build().unwrap_or_else(|_| unreachable_plan());
        Relation::new(plan, Vec::new())
    }

    /// The rows of a catalog table, with KQL's column names and types: each file column is
    /// converted to its catalog type (text with KQL's parsing rules, so that a bad value
    /// becomes null), a column the files lack is null, and strings are never null.
    pub(crate) fn scan(&mut self, table: TableInfo, span: Span) -> PResult<Relation> {
        let provider = match table.provider.clone() {
            Some(p) => p,
            None => {
                let fields: Vec<Field> =
                    table.columns.iter().map(|c| Field::new(&c.name, c.ty.arrow(), true)).collect();
                Arc::new(EmptyTable::new(Arc::new(Schema::new(fields))))
            }
        };
        let file_schema = provider.schema();
        let exprs: Vec<DfExpr> = table
            .columns
            .iter()
            .map(|c| {
                // A Defender table's time answers to both names: a file with only one of them
                // fills the other.
                let twin = match c.name.as_str() {
                    "Timestamp" => Some("TimeGenerated"),
                    "TimeGenerated" => Some("Timestamp"),
                    _ => None,
                };
                let found = file_schema
                    .field_with_name(&c.name)
                    .ok()
                    .map(|f| (c.name.as_str(), f))
                    .or_else(|| {
                        twin.and_then(|t| file_schema.field_with_name(t).ok().map(|f| (t, f)))
                    });
                let converted = match found {
                    Some((name, field)) => {
                        let source = DfExpr::Column(datafusion::common::Column::new(
                            Some(table.name.clone()),
                            name,
                        ));
                        convert_column(source, field.data_type(), c.ty)
                    }
                    None => Planner::null_of(c.ty),
                };
                converted.alias(&c.name)
            })
            .collect();
        let plan = LogicalPlanBuilder::scan(table.name.clone(), provider_as_source(provider), None)
            .and_then(|b| b.project(exprs))
            .and_then(|b| b.build());
        match plan {
            Ok(plan) => Ok(Relation::new(plan, table.columns)),
            Err(e) => Err(self.error(span, format!("cannot read table `{}`: {e}", table.name))),
        }
    }

    /// A typed null of a KQL type.
    pub(crate) fn null_of(ty: KqlType) -> DfExpr {
        match ty {
            KqlType::String => lit(""),
            _ => cast(lit(ScalarValue::Null), ty.arrow()),
        }
    }

    /// Plans a projection and checks that its output matches the columns it claims.
    pub(crate) fn project(
        &mut self,
        input: &Relation,
        exprs: Vec<(DfExpr, ColumnDef)>,
        span: Span,
    ) -> PResult<Relation> {
        let order = input.order.as_ref().map(|keys| crate::window::keys_after(keys, &exprs));
        let (exprs, columns): (Vec<DfExpr>, Vec<ColumnDef>) =
            exprs.into_iter().map(|(e, c)| (e.alias(&c.name), c)).unzip();
        match input.builder().project(exprs).and_then(|b| b.build()) {
            Ok(plan) => Ok(Relation { plan, columns, order }),
            Err(e) => Err(self.internal(span, e)),
        }
    }

    /// A DataFusion error while building a plan: a bug or a case we do not handle.
    pub(crate) fn internal(&mut self, span: Span, e: impl std::fmt::Display) -> Stop {
        let message = format!("cannot plan this: {e}");
        self.diagnostics.push(Diagnostic::error(DiagnosticKind::Unsupported, span, message));
        Stop
    }

    /// Keeps the given columns of a relation, in order.
    pub(crate) fn keep(
        &mut self,
        input: &Relation,
        names: &[String],
        span: Span,
    ) -> PResult<Relation> {
        let exprs = names
            .iter()
            .filter_map(|n| input.column(n).cloned())
            .map(|c| (column(&c.name), c))
            .collect();
        self.project(input, exprs, span)
    }
}

/// A file column as a KQL column of type `ty`.
fn convert_column(source: DfExpr, file_type: &DataType, ty: KqlType) -> DfExpr {
    let text = matches!(file_type, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    if *file_type == ty.arrow() {
        return if ty == KqlType::String {
            datafusion::functions::core::expr_fn::coalesce(vec![source, lit("")])
        } else {
            source
        };
    }
    if text {
        let as_text = cast(source, DataType::Utf8);
        return match ty {
            KqlType::String => {
                datafusion::functions::core::expr_fn::coalesce(vec![as_text, lit("")])
            }
            _ => quarry_functions::convert::to_type(as_text, KqlType::String, ty),
        };
    }
    match ty {
        KqlType::String | KqlType::Guid | KqlType::Dynamic => {
            quarry_functions::convert::to_type(source, KqlType::from_arrow(file_type), ty)
        }
        _ => datafusion::logical_expr::try_cast(source, ty.arrow()),
    }
}

/// `LogicalPlanBuilder::empty(true).build()` cannot fail; this keeps the planner panic-free
/// should that ever change.
fn unreachable_plan() -> datafusion::logical_expr::LogicalPlan {
    datafusion::logical_expr::LogicalPlan::EmptyRelation(datafusion::logical_expr::EmptyRelation {
        produce_one_row: true,
        schema: Arc::new(datafusion::common::DFSchema::empty()),
    })
}
