//! Row-order functions over serialized rows (`row_number`, `prev`, `next`, `row_cumsum`,
//! `row_rank_min`, `row_rank_dense`, `row_window_session`).
//!
//! While the items of a projection are lowered, each such call becomes a DataFusion window
//! expression named `__win<N>` over the rows' order (the sort keys, when they still hold).
//! A call whose arguments use another one (`row_cumsum(x, Name != prev(Name))`) is computed in
//! a later window step; the projection then reads the `__win` columns.

use crate::planner::{PResult, Planner, Stop};
use crate::relation::{Relation, Typed, column};
use datafusion::common::ScalarValue;
use datafusion::functions_window::expr_fn::{lag, lead};
use datafusion::logical_expr::{
    Expr as DfExpr, ExprFunctionExt, LogicalPlanBuilder, SortExpr, lit,
};
use quarry_functions::KqlType;
use quarry_functions::window::RowFunction;
use quarry_syntax::Span;
use quarry_syntax::ast::Arg;

/// Every row-order function.
pub const WINDOW_FUNCTIONS: &[&str] = &[
    "next",
    "prev",
    "row_cumsum",
    "row_number",
    "row_rank_dense",
    "row_rank_min",
    "row_window_session",
];

pub fn is_window(name: &str) -> bool {
    WINDOW_FUNCTIONS.contains(&name)
}

/// The row-order calls found in a projection's items.
pub(crate) struct WindowScope {
    /// Expression, column name, and step (calls over other calls' results come later).
    exprs: Vec<(DfExpr, String, usize)>,
}

/// The sort keys that still hold after a projection: those whose columns all pass through
/// unchanged; none (an order without keys) otherwise.
pub(crate) fn keys_after(
    keys: &[SortExpr],
    exprs: &[(DfExpr, crate::catalog::ColumnDef)],
) -> Vec<SortExpr> {
    let kept = |name: &str| {
        exprs
            .iter()
            .any(|(e, c)| c.name == name && matches!(e, DfExpr::Column(col) if col.name == name))
    };
    let holds = keys.iter().all(|k| k.expr.column_refs().iter().all(|c| kept(&c.name)));
    if holds { keys.to_vec() } else { Vec::new() }
}

impl Planner<'_> {
    /// Lowers a projection's items with row-order functions allowed: `lower` builds the output
    /// expressions over `input`; the windows they use are planned beneath the projection.
    pub(crate) fn with_windows<T>(
        &mut self,
        input: &Relation,
        span: Span,
        lower: impl FnOnce(&mut Self) -> PResult<T>,
    ) -> PResult<(Relation, T)> {
        let saved = self.window.replace(WindowScope { exprs: Vec::new() });
        let result = lower(self);
        let scope = std::mem::replace(&mut self.window, saved);
        let out = result?;
        let Some(scope) = scope else { return Err(Stop) };
        if scope.exprs.is_empty() {
            return Ok((input.clone(), out));
        }
        let steps = scope.exprs.iter().map(|(_, _, step)| *step).max().unwrap_or(0);
        let mut plan = input.plan.clone();
        for step in 0..=steps {
            let exprs: Vec<DfExpr> = scope
                .exprs
                .iter()
                .filter(|(_, _, s)| *s == step)
                .map(|(e, name, _)| e.clone().alias(name))
                .collect();
            let windowed = LogicalPlanBuilder::from(plan).window(exprs).and_then(|b| b.build());
            plan = windowed.map_err(|e| self.internal(span, e))?;
        }
        Ok((Relation { plan, columns: input.columns.clone(), order: input.order.clone() }, out))
    }

    /// `row_number()`, `prev(x)`, ...: a column computed by a window over the rows' order.
    pub(crate) fn window_call(
        &mut self,
        name: &str,
        args: &[Arg],
        span: Span,
        input: &Relation,
    ) -> PResult<Typed> {
        if self.window.is_none() {
            return Err(self.unsupported(
                span,
                format!("`{name}` outside `extend`, `project` or `serialize`"),
            ));
        }
        let Some(order) = input.order.clone() else {
            return Err(self.error_with_help(
                span,
                format!("`{name}` needs rows in a defined order"),
                "sort the rows first, or add `| serialize`",
            ));
        };
        let a = self.scalar_args(args, input)?;
        let step = a
            .iter()
            .flat_map(|t| t.expr.column_refs())
            .filter_map(|c| self.window_step(&c.name))
            .map(|s| s + 1)
            .max()
            .unwrap_or(0);
        let arity = |p: &mut Self, min: usize, max: usize| -> PResult<()> {
            if a.len() < min || a.len() > max {
                return Err(p.error(span, format!("`{name}` takes {min} to {max} arguments")));
            }
            Ok(())
        };
        let restart = |p: &mut Self, i: usize| -> PResult<DfExpr> {
            match a.get(i) {
                Some(r) => p.to_bool(r.clone(), span),
                None => Ok(lit(false)),
            }
        };
        let (expr, ty) = match name {
            "prev" | "next" => {
                arity(self, 1, 3)?;
                let offset = match a.get(1) {
                    Some(o) => match crate::evaluate_constant(&o.expr) {
                        Some(ScalarValue::Int64(Some(n))) => n,
                        Some(ScalarValue::Int32(Some(n))) => n as i64,
                        _ => return Err(self.error(span, "the offset must be a constant number")),
                    },
                    None => 1,
                };
                let default = match a.get(2) {
                    Some(d) => {
                        let d = crate::scalar::widen(d.expr.clone(), d.ty, a[0].ty);
                        match crate::evaluate_constant(&datafusion::logical_expr::cast(
                            d,
                            a[0].ty.arrow(),
                        )) {
                            Some(v) => Some(v),
                            None => {
                                return Err(
                                    self.unsupported(span, "a default that is not a constant")
                                );
                            }
                        }
                    }
                    None if a[0].ty == KqlType::String => {
                        Some(ScalarValue::Utf8(Some(String::new())))
                    }
                    None => None,
                };
                let value = a[0].expr.clone();
                let e = if name == "prev" {
                    lag(value, Some(offset), default)
                } else {
                    lead(value, Some(offset), default)
                };
                (e, a[0].ty)
            }
            "row_number" => {
                arity(self, 0, 2)?;
                let start = match a.first() {
                    Some(s) if matches!(s.ty, KqlType::Long | KqlType::Int) => {
                        crate::scalar::widen(s.expr.clone(), s.ty, KqlType::Long)
                    }
                    Some(_) => {
                        return Err(self.error(span, "the start of `row_number` must be a long"));
                    }
                    None => lit(1i64),
                };
                let r = restart(self, 1)?;
                (RowFunction::Number.call(vec![start, r], KqlType::Long.arrow()), KqlType::Long)
            }
            "row_cumsum" => {
                arity(self, 1, 2)?;
                let ty = match a[0].ty {
                    KqlType::Int | KqlType::Long => KqlType::Long,
                    KqlType::Real | KqlType::Decimal => KqlType::Real,
                    other => {
                        return Err(self
                            .error(span, format!("`row_cumsum` expects a number, not a {other}")));
                    }
                };
                let value = quarry_functions::convert::to_type(a[0].expr.clone(), a[0].ty, ty);
                let r = restart(self, 1)?;
                (RowFunction::CumSum.call(vec![value, r], ty.arrow()), ty)
            }
            "row_rank_min" | "row_rank_dense" => {
                arity(self, 1, 2)?;
                let r = restart(self, 1)?;
                let f = RowFunction::from_name(name).ok_or(Stop)?;
                (f.call(vec![a[0].expr.clone(), r], KqlType::Long.arrow()), KqlType::Long)
            }
            "row_window_session" => {
                arity(self, 3, 4)?;
                if a[0].ty != KqlType::DateTime
                    || a[1].ty != KqlType::TimeSpan
                    || a[2].ty != KqlType::TimeSpan
                {
                    return Err(
                        self.error(span, "`row_window_session` takes a datetime and two timespans")
                    );
                }
                let r = restart(self, 3)?;
                let args = vec![a[0].expr.clone(), a[1].expr.clone(), a[2].expr.clone(), r];
                (RowFunction::Session.call(args, KqlType::DateTime.arrow()), KqlType::DateTime)
            }
            other => return Err(self.unsupported(span, format!("`{other}`"))),
        };
        let expr = if order.is_empty() {
            expr
        } else {
            expr.order_by(order).build().map_err(|e| self.internal(span, e))?
        };
        let Some(scope) = self.window.as_mut() else { return Err(Stop) };
        let alias = format!("__win{}", scope.exprs.len());
        scope.exprs.push((expr, alias.clone(), step));
        Ok(Typed::new(column(&alias), ty))
    }

    fn window_step(&self, name: &str) -> Option<usize> {
        let scope = self.window.as_ref()?;
        scope.exprs.iter().find(|(_, n, _)| n == name).map(|(_, _, s)| *s)
    }
}
