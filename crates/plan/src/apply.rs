//! `mv-apply`: a sub-query run on each row's expanded arrays.
//!
//! The rows are numbered (`__row`), expanded as `mv-expand` does, and the sub-query runs over
//! all expanded rows at once in *partition mode*: operators that look across rows do so per
//! original row (`summarize` groups by `__row` too, `top` and `take` keep their count per row,
//! `sort` sorts within each row). Each result row then takes back its original row's other
//! columns.

use crate::catalog::ColumnDef;
use crate::planner::{PResult, Planner};
use crate::relation::{Relation, column, qualified};
use datafusion::common::{Column, JoinType};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{
    Expr as DfExpr, ExprFunctionExt, LogicalPlanBuilder, SortExpr, lit,
};
use quarry_functions::KqlType;
use quarry_syntax::Span;
use quarry_syntax::ast::{ExpandItem, Expr, ExprKind, OpParam, OperatorKind};

/// The column numbering the original rows while a sub-query runs per row.
pub(crate) const ROW: &str = "__row";
/// The column numbering the expanded rows, to keep their order.
const ITEM: &str = "__item";

impl Planner<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn mv_apply(
        &mut self,
        input: Relation,
        items: &[ExpandItem],
        limit: Option<&Expr>,
        on: &Expr,
        params: &[OpParam],
        span: Span,
    ) -> PResult<Relation> {
        if self.partition.is_some() {
            return Err(self.unsupported(span, "`mv-apply` inside `mv-apply`"));
        }
        // 1. Number the rows.
        let numbered = self.numbered(&input, ROW, span)?;

        // 2. Expand, then run the sub-query per original row.
        let expanded = self.mv_expand(&numbered, items, limit, params, false, span)?;
        let expanded = self.numbered(&expanded, ITEM, span)?;
        let ExprKind::Pipeline { ops, .. } = &on.kind else {
            return Err(self.error(on.span, "expected a sub-query in parentheses after `on`"));
        };
        self.partition = Some(ROW.to_string());
        let mut current = Ok(expanded);
        for op in ops {
            current = current.and_then(|rel| self.pipe_op(rel, op));
        }
        self.partition = None;
        let result = current?;
        if !result.has(ROW) {
            return Err(self.unsupported(on.span, "this sub-query in `mv-apply`"));
        }

        // 3. Each result row with its original row's other columns.
        let item_names: Vec<String> = items
            .iter()
            .map(|i| match (i.item.names.first(), &i.item.value.kind) {
                (Some(n), _) => n.name.clone(),
                (None, ExprKind::Name(n)) => n.name.clone(),
                _ => String::new(),
            })
            .collect();
        let carried: Vec<ColumnDef> =
            input.columns.iter().filter(|c| !item_names.contains(&c.name)).cloned().collect();
        let joined = LogicalPlanBuilder::from(numbered.plan.clone())
            .alias("__mva_l")
            .and_then(|l| {
                let right =
                    LogicalPlanBuilder::from(result.plan.clone()).alias("__mva_r")?.build()?;
                l.join(
                    right,
                    JoinType::Inner,
                    (
                        vec![Column::new(Some("__mva_l"), ROW)],
                        vec![Column::new(Some("__mva_r"), ROW)],
                    ),
                    None,
                )
            })
            .and_then(|b| b.build())
            .map_err(|e| self.internal(span, e))?;
        let mut out: Vec<(DfExpr, ColumnDef)> = Vec::new();
        for c in &carried {
            let side = if result.has(&c.name) { "__mva_r" } else { "__mva_l" };
            let ty = result.column(&c.name).map_or(c.ty, |r| r.ty);
            out.push((qualified(side, &c.name), ColumnDef::new(c.name.clone(), ty)));
        }
        for c in &result.columns {
            if c.name != ROW && c.name != ITEM && !carried.iter().any(|k| k.name == c.name) {
                out.push((qualified("__mva_r", &c.name), c.clone()));
            }
        }
        let visible: Vec<String> = out.iter().map(|(_, c)| c.name.clone()).collect();

        // In the input's order, and within a row in the sub-query's (or the items') order.
        let mut order = vec![SortExpr::new(column(ROW), true, false)];
        match result.order.as_ref().filter(|keys| keys.len() > 1) {
            Some(keys) => order.extend(keys[1..].iter().cloned()),
            None if result.has(ITEM) => order.push(SortExpr::new(column(ITEM), true, false)),
            None => {}
        }
        for name in [ROW, ITEM] {
            if result.has(name) {
                out.push((qualified("__mva_r", name), ColumnDef::new(name, KqlType::Long)));
            }
        }
        let extra: Vec<(DfExpr, ColumnDef)> = order
            .iter()
            .flat_map(|k| k.expr.column_refs())
            .filter(|c| !out.iter().any(|(_, o)| o.name == c.name))
            .filter_map(|c| result.column(&c.name).cloned())
            .map(|c| (qualified("__mva_r", &c.name), c))
            .collect();
        out.extend(extra);
        let joined = Relation::new(joined, Vec::new());
        let projected = self.project(&joined, out, span)?;
        let plan = projected.builder().sort(order).and_then(|b| b.build());
        let sorted = Relation { plan: plan.map_err(|e| self.internal(span, e))?, ..projected };
        self.keep(&sorted, &visible, span)
    }

    /// The relation with a column numbering its rows, in the order they come.
    fn numbered(&mut self, input: &Relation, name: &str, span: Span) -> PResult<Relation> {
        let plan = LogicalPlanBuilder::from(input.plan.clone())
            .window(vec![row_number().alias(name)])
            .and_then(|b| b.build())
            .map_err(|e| self.internal(span, e))?;
        let mut columns = input.columns.clone();
        columns.push(ColumnDef::new(name, KqlType::Long));
        Ok(Relation::new(plan, columns))
    }

    /// In partition mode, whether an operator may run in the sub-query of `mv-apply`.
    pub(crate) fn check_partitioned(
        &mut self,
        kind: &OperatorKind,
        keyword: &str,
        span: Span,
    ) -> PResult<()> {
        let ok = matches!(
            kind,
            OperatorKind::Where { .. }
                | OperatorKind::Extend { .. }
                | OperatorKind::Project { .. }
                | OperatorKind::ProjectAway { .. }
                | OperatorKind::ProjectRename { .. }
                | OperatorKind::Summarize { .. }
                | OperatorKind::Top { .. }
                | OperatorKind::Take { .. }
                | OperatorKind::Sort { .. }
                | OperatorKind::MvExpand { .. }
                | OperatorKind::Parse { .. }
                | OperatorKind::Serialize { .. }
        );
        if ok {
            Ok(())
        } else {
            Err(self.unsupported(span, format!("`{keyword}` inside `mv-apply`")))
        }
    }

    /// `take n` / `top n by ...` per original row: rows numbered within each, the first `n` kept.
    pub(crate) fn first_per_row(
        &mut self,
        input: &Relation,
        n: usize,
        order: Vec<SortExpr>,
        span: Span,
    ) -> PResult<Relation> {
        let order = if order.is_empty() && input.has(ITEM) {
            vec![SortExpr::new(column(ITEM), true, false)]
        } else {
            order
        };
        let rank = row_number().partition_by(vec![column(ROW)]);
        let rank = if order.is_empty() { rank.build() } else { rank.order_by(order).build() };
        let rank = rank.map_err(|e| self.internal(span, e))?.alias("__rank");
        let plan = input
            .builder()
            .window(vec![rank])
            .and_then(|b| b.filter(column("__rank").lt_eq(lit(n as u64))))
            .and_then(|b| b.build())
            .map_err(|e| self.internal(span, e))?;
        let ranked = Relation { plan, ..input.clone() };
        let keep: Vec<String> = input.names().map(str::to_string).collect();
        self.keep(&ranked, &keep, span)
    }
}
