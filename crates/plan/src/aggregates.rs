//! `summarize`: aggregations, their KQL names for unnamed results, and expressions over them
//! (`summarize Share = 100.0 * countif(Failed) / count()`).
//!
//! Each aggregation call found in an item becomes one DataFusion aggregate, named `__agg<N>`;
//! the item itself is then computed over those in a projection after the aggregation.

use crate::catalog::ColumnDef;
use crate::planner::{PResult, Planner, Stop};
use crate::relation::{Relation, Typed, column};
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt, SortExpr, lit, when};
use quarry_functions::KqlType;
use quarry_functions::convert::to_type;
use quarry_syntax::Span;
use quarry_syntax::ast::{Arg, Assignment, Expr, ExprKind};

/// Every aggregation function name, deprecated aliases included.
pub const AGGREGATES: &[&str] = &[
    "any",
    "arg_max",
    "arg_min",
    "avg",
    "avgif",
    "count",
    "countif",
    "dcount",
    "dcountif",
    "make_bag",
    "make_list",
    "make_list_if",
    "make_set",
    "make_set_if",
    "makelist",
    "makeset",
    "max",
    "maxif",
    "min",
    "minif",
    "percentile",
    "percentiles",
    "stdev",
    "stdevif",
    "sum",
    "sumif",
    "take_any",
    "variance",
    "varianceif",
];

pub fn is_aggregate(name: &str) -> bool {
    AGGREGATES.contains(&name)
}

/// The aggregations being collected while an item of `summarize` is lowered.
pub(crate) struct AggregationScope {
    /// The rows being aggregated.
    pub input: Relation,
    /// The aggregates found so far: expression, internal name, KQL type.
    pub aggregates: Vec<(DfExpr, String, KqlType)>,
}

impl Planner<'_> {
    /// Lowers one aggregation call: adds it to the scope, returns a reference to its result.
    pub(crate) fn aggregate_call(
        &mut self,
        name: &str,
        args: &[Arg],
        span: Span,
    ) -> PResult<Typed> {
        let Some(scope) = self.aggregation.take() else {
            return Err(
                self.error(span, format!("`{name}` is an aggregation: use it in `summarize`"))
            );
        };
        let result = self.aggregate_expr(name, args, span, &scope.input);
        self.aggregation = Some(scope);
        let (expr, ty) = result?;
        let Some(scope) = self.aggregation.as_mut() else { return Err(Stop) };
        let alias = format!("__agg{}", scope.aggregates.len());
        scope.aggregates.push((expr, alias.clone(), ty));
        Ok(Typed::new(column(&alias), ty))
    }

    fn aggregate_expr(
        &mut self,
        name: &str,
        args: &[Arg],
        span: Span,
        input: &Relation,
    ) -> PResult<(DfExpr, KqlType)> {
        let a = self.scalar_args(args, input)?;
        let arity = |p: &mut Self, min: usize, max: usize| -> PResult<()> {
            if a.len() < min || a.len() > max {
                return Err(p.error(span, format!("`{name}` takes {min} to {max} arguments")));
            }
            Ok(())
        };
        let predicate =
            |p: &mut Self, i: usize| -> PResult<DfExpr> { p.to_bool(a[i].clone(), span) };
        let zero_if_null = |e: DfExpr, ty: KqlType| {
            datafusion::functions::core::expr_fn::coalesce(vec![e, Planner::zero_of(ty)])
        };
        Ok(match name {
            "count" => {
                arity(self, 0, 1)?;
                (agg::count(lit(1i64)), KqlType::Long)
            }
            "countif" => {
                arity(self, 1, 1)?;
                let p = predicate(self, 0)?;
                let ones =
                    when(p, lit(1i64)).otherwise(lit(0i64)).map_err(|e| self.internal(span, e))?;
                (zero_if_null(agg::sum(ones), KqlType::Long), KqlType::Long)
            }
            "dcount" => {
                arity(self, 1, 2)?;
                (agg::count_distinct(a[0].expr.clone()), KqlType::Long)
            }
            "dcountif" => {
                arity(self, 2, 3)?;
                let p = predicate(self, 1)?;
                (agg::count_distinct(self.only_if(p, &a[0], span)?), KqlType::Long)
            }
            "sum" | "sumif" => {
                arity(self, if name == "sum" { 1 } else { 2 }, if name == "sum" { 1 } else { 2 })?;
                self.expect_numeric(name, &a[0], span)?;
                let ty = sum_type(a[0].ty);
                let value = if name == "sumif" {
                    let p = predicate(self, 1)?;
                    self.only_if(p, &a[0], span)?
                } else {
                    a[0].expr.clone()
                };
                let value = crate::scalar::widen(value, a[0].ty, ty);
                (zero_if_null(agg::sum(value), ty), ty)
            }
            "avg" | "avgif" => {
                arity(self, if name == "avg" { 1 } else { 2 }, if name == "avg" { 1 } else { 2 })?;
                self.expect_numeric(name, &a[0], span)?;
                let value = if name == "avgif" {
                    let p = predicate(self, 1)?;
                    self.only_if(p, &a[0], span)?
                } else {
                    a[0].expr.clone()
                };
                (agg::avg(to_type(value, a[0].ty, KqlType::Real)), KqlType::Real)
            }
            "min" | "max" | "minif" | "maxif" => {
                let conditional = name.ends_with("if");
                arity(self, 1 + conditional as usize, 1 + conditional as usize)?;
                let value = if conditional {
                    let p = predicate(self, 1)?;
                    self.only_if(p, &a[0], span)?
                } else if a[0].ty == KqlType::String {
                    // Empty strings are KQL's missing strings: not a minimum.
                    self.only_if(a[0].expr.clone().not_eq(lit("")), &a[0], span)?
                } else {
                    a[0].expr.clone()
                };
                let e = if name.starts_with("min") { agg::min(value) } else { agg::max(value) };
                let e = if a[0].ty == KqlType::String {
                    datafusion::functions::core::expr_fn::coalesce(vec![e, lit("")])
                } else {
                    e
                };
                (e, a[0].ty)
            }
            "take_any" | "any" => {
                arity(self, 1, 1)?;
                (agg::first_value(a[0].expr.clone(), Vec::new()), a[0].ty)
            }
            "stdev" | "variance" | "stdevif" | "varianceif" => {
                let conditional = name.ends_with("if");
                arity(self, 1 + conditional as usize, 1 + conditional as usize)?;
                self.expect_numeric(name, &a[0], span)?;
                let value = if conditional {
                    let p = predicate(self, 1)?;
                    self.only_if(p, &a[0], span)?
                } else {
                    a[0].expr.clone()
                };
                let value = to_type(value, a[0].ty, KqlType::Real);
                let e = if name.starts_with("stdev") {
                    agg::stddev(value)
                } else {
                    agg::var_sample(value)
                };
                (zero_if_null(e, KqlType::Real), KqlType::Real)
            }
            "make_set" | "makeset" | "make_set_if" | "make_list" | "makelist" | "make_list_if" => {
                let conditional = name.ends_with("_if");
                arity(self, 1 + conditional as usize, 2 + conditional as usize)?;
                let set = name.contains("set");
                let value = if conditional {
                    let p = predicate(self, 1)?;
                    self.only_if(p, &a[0], span)?
                } else {
                    a[0].expr.clone()
                };
                let limit_at = 1 + conditional as usize;
                let limit = match a.get(limit_at) {
                    Some(l) => match crate::evaluate_constant(&l.expr) {
                        Some(datafusion::common::ScalarValue::Int64(Some(n))) => Some(n),
                        Some(datafusion::common::ScalarValue::Int32(Some(n))) => Some(n as i64),
                        _ => {
                            return Err(
                                self.error(span, "the size limit must be a constant number")
                            );
                        }
                    },
                    None if name == "makeset" || name == "makelist" => Some(128),
                    None => None,
                };
                let json = a[0].ty == KqlType::Dynamic;
                let filtered =
                    self.only_if(value.clone().is_not_null(), &Typed::new(value, a[0].ty), span)?;
                let list = agg::array_agg(filtered);
                (quarry_functions::dynamic::from_list(list, json, set, limit), KqlType::Dynamic)
            }
            "percentile" | "percentiles" => return Err(self.unsupported(span, format!("`{name}`"))),
            "make_bag" => return Err(self.unsupported(span, "`make_bag`")),
            "arg_max" | "arg_min" => {
                return Err(
                    self.error(span, format!("`{name}` must be a whole item of `summarize`"))
                );
            }
            other => return Err(self.unsupported(span, format!("`{other}`"))),
        })
    }

    /// `case when p then value end`: the value where the predicate holds, else null.
    fn only_if(&mut self, p: DfExpr, value: &Typed, span: Span) -> PResult<DfExpr> {
        when(p, value.expr.clone())
            .otherwise(Planner::null_of_nullable(value.ty))
            .map_err(|e| self.internal(span, e))
    }

    fn expect_numeric(&mut self, name: &str, v: &Typed, span: Span) -> PResult<()> {
        if v.ty.is_numeric()
            || (v.ty == KqlType::TimeSpan && matches!(name, "sum" | "avg" | "min" | "max"))
        {
            Ok(())
        } else {
            Err(self.error(span, format!("`{name}` expects a number, not a {}", v.ty)))
        }
    }

    pub(crate) fn zero_of(ty: KqlType) -> DfExpr {
        match ty {
            KqlType::Real => lit(0.0f64),
            KqlType::Int => lit(0i32),
            KqlType::TimeSpan => crate::scalar::timespan_lit(Some(0)),
            _ => lit(0i64),
        }
    }

    /// A typed null, strings included (for values that are dropped by aggregations).
    pub(crate) fn null_of_nullable(ty: KqlType) -> DfExpr {
        datafusion::logical_expr::cast(lit(datafusion::common::ScalarValue::Null), ty.arrow())
    }

    /// `summarize aggregates by keys`.
    pub(crate) fn summarize(
        &mut self,
        input: &Relation,
        aggregates: &[Assignment],
        by: &[Assignment],
        span: Span,
    ) -> PResult<Relation> {
        let mut names = Names::default();

        // Group keys: computed on the input, named as KQL names them.
        let mut keys = Vec::with_capacity(by.len());
        let mut key_columns = Vec::with_capacity(by.len());
        for (i, item) in by.iter().enumerate() {
            let v = self.scalar(&item.value, input)?;
            let name = match item.names.first() {
                Some(n) => n.name.clone(),
                None => names
                    .unique(key_name(&item.value).unwrap_or_else(|| format!("Column{}", i + 1))),
            };
            names.taken(&name);
            keys.push(v.expr.alias(&name));
            key_columns.push(ColumnDef::new(name, v.ty));
        }

        // Aggregates: each item's aggregation calls collected, then the item computed.
        let mut outputs: Vec<(DfExpr, ColumnDef)> = Vec::new();
        self.aggregation = Some(AggregationScope { input: input.clone(), aggregates: Vec::new() });
        let key_relation = Relation::new(input.plan.clone(), key_columns.clone());
        let mut result = Ok(());
        for item in aggregates {
            if let Err(e) =
                self.summarize_item(item, input, &key_relation, &mut names, &mut outputs)
            {
                result = Err(e);
                break;
            }
        }
        let scope = self.aggregation.take();
        result?;
        let Some(scope) = scope else { return Err(Stop) };

        let aggs: Vec<DfExpr> =
            scope.aggregates.iter().map(|(e, alias, _)| e.clone().alias(alias)).collect();
        let plan = input
            .builder()
            .aggregate(keys, aggs)
            .and_then(|b| b.build())
            .map_err(|e| self.internal(span, e))?;
        let mut aggregated_columns = key_columns.clone();
        aggregated_columns.extend(
            scope.aggregates.iter().map(|(_, alias, ty)| ColumnDef::new(alias.clone(), *ty)),
        );
        let aggregated = Relation::new(plan, aggregated_columns);

        let mut exprs: Vec<(DfExpr, ColumnDef)> =
            key_columns.iter().map(|c| (column(&c.name), c.clone())).collect();
        exprs.extend(outputs);
        self.project(&aggregated, exprs, span)
    }

    fn summarize_item(
        &mut self,
        item: &Assignment,
        input: &Relation,
        keys: &Relation,
        names: &mut Names,
        outputs: &mut Vec<(DfExpr, ColumnDef)>,
    ) -> PResult<()> {
        if let ExprKind::Call { receiver: None, name, args } = &item.value.kind {
            if matches!(name.name.as_str(), "arg_max" | "arg_min") {
                let keys: Vec<String> = keys.names().map(str::to_string).collect();
                return self.arg_extreme(&name.name, args, item, input, &keys, names, outputs);
            }
        }
        let v = self.scalar(&item.value, keys)?;
        let name = match item.names.as_slice() {
            [] => match aggregate_name(&item.value) {
                Some(n) => names.unique(n),
                None => names.next_column(),
            },
            [n] => n.name.clone(),
            _ => {
                return Err(self
                    .error(item.value.span, "only `arg_max` and `arg_min` give several columns"));
            }
        };
        names.taken(&name);
        outputs.push((v.expr, ColumnDef::new(name, v.ty)));
        Ok(())
    }

    /// `arg_max(ByExpr, Col, ...)` / `arg_min`: the columns of the row where `ByExpr` is largest
    /// (smallest); `*` for all columns.
    fn arg_extreme(
        &mut self,
        name: &str,
        args: &[Arg],
        item: &Assignment,
        input: &Relation,
        keys: &[String],
        names: &mut Names,
        outputs: &mut Vec<(DfExpr, ColumnDef)>,
    ) -> PResult<()> {
        let span = item.value.span;
        let Some((first, rest)) = args.split_first() else {
            return Err(self.error(span, format!("`{name}` needs the expression to maximize")));
        };
        let by = self.scalar(first.value(), input)?;
        let descending = name == "arg_max";
        let order = vec![SortExpr::new(by.expr.clone(), !descending, false)];
        let mut columns: Vec<(String, Typed)> = Vec::new();
        let by_name = key_name(first.value()).unwrap_or_else(|| format!("{}_", &name[4..]));
        columns.push((by_name.clone(), by.clone()));
        for arg in rest {
            let e = arg.value();
            if matches!(e.kind, ExprKind::Star) {
                for c in &input.columns {
                    let taken = c.name == by_name || keys.contains(&c.name);
                    if !taken && !columns.iter().any(|(n, _)| *n == c.name) {
                        columns.push((c.name.clone(), Typed::new(column(&c.name), c.ty)));
                    }
                }
                continue;
            }
            let v = self.scalar(e, input)?;
            let n = match arg {
                Arg::Named { name, .. } => name.name.clone(),
                Arg::Positional(e) => key_name(e).unwrap_or_else(|| names.next_column()),
            };
            columns.push((n, v));
        }
        let explicit: Vec<String> = item.names.iter().map(|n| n.name.clone()).collect();
        let mut built = Vec::with_capacity(columns.len());
        for (n, v) in columns {
            // Rows where the maximized expression is null do not take part.
            let expr = agg::first_value(v.expr.clone(), Vec::new())
                .order_by(order.clone())
                .build()
                .map_err(|e| self.internal(span, e))?;
            built.push((n, v.ty, expr));
        }
        let Some(scope) = self.aggregation.as_mut() else { return Err(Stop) };
        for (i, (n, ty, expr)) in built.into_iter().enumerate() {
            let alias = format!("__agg{}", scope.aggregates.len());
            scope.aggregates.push((expr, alias.clone(), ty));
            let out_name = match explicit.get(i) {
                Some(n) => n.clone(),
                None => names.unique(n),
            };
            names.taken(&out_name);
            outputs.push((column(&alias), ColumnDef::new(out_name, ty)));
        }
        Ok(())
    }
}

/// The type of a sum: integers sum to longs.
fn sum_type(t: KqlType) -> KqlType {
    if t == KqlType::Int { KqlType::Long } else { t }
}

/// KQL's name for a by-key or extremum without one: the column it is, or the column it bins.
pub(crate) fn key_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.name.clone()),
        ExprKind::Paren(inner) => key_name(inner),
        ExprKind::Member { .. } | ExprKind::Index { .. } => path_name(e),
        ExprKind::Call { receiver: None, name, args }
            if matches!(name.name.as_str(), "bin" | "floor" | "bin_at") =>
        {
            args.first().and_then(|a| key_name(a.value()))
        }
        _ => None,
    }
}

/// `Bag.a.b` is named `Bag_a_b`.
fn path_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) => Some(n.name.clone()),
        ExprKind::Member { target, name } => Some(format!("{}_{}", path_name(target)?, name.name)),
        ExprKind::Index { target, index } => match &index.kind {
            ExprKind::Literal(l) => match &l.value {
                quarry_syntax::ast::LiteralValue::String(s) => {
                    Some(format!("{}_{s}", path_name(target)?))
                }
                quarry_syntax::ast::LiteralValue::Long(i) => {
                    Some(format!("{}_{i}", path_name(target)?))
                }
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// KQL's name for an unnamed aggregation: `count_`, `sum_Bytes`, `set_ReportId`, ...
fn aggregate_name(e: &Expr) -> Option<String> {
    let ExprKind::Call { receiver: None, name, args } = &e.kind else { return None };
    let prefix = match name.name.as_str() {
        "make_set" | "makeset" | "make_set_if" => "set",
        "make_list" | "makelist" | "make_list_if" => "list",
        "make_bag" => "bag",
        "take_any" | "any" => "any",
        "count" if args.is_empty() => return Some("count_".to_string()),
        "countif" => return Some("countif_".to_string()),
        other if is_aggregate(other) => other,
        _ => return None,
    };
    let arg = args.first().and_then(|a| key_name(a.value())).unwrap_or_default();
    Some(format!("{prefix}_{arg}"))
}

/// The output names of a `summarize`, made unique as KQL does: `set_y`, then `set_y1`.
#[derive(Default)]
pub(crate) struct Names {
    used: Vec<String>,
    columns: usize,
}

impl Names {
    pub(crate) fn taken(&mut self, name: &str) {
        self.used.push(name.to_string());
    }

    pub(crate) fn unique(&self, base: String) -> String {
        if !self.used.contains(&base) {
            return base;
        }
        (1..).map(|i| format!("{base}{i}")).find(|n| !self.used.contains(n)).unwrap_or(base)
    }

    pub(crate) fn next_column(&mut self) -> String {
        loop {
            self.columns += 1;
            let name = format!("Column{}", self.columns);
            if !self.used.contains(&name) {
                return name;
            }
        }
    }
}
