//! `summarize`: aggregations, their KQL names for unnamed results, and expressions over them
//! (`summarize Share = 100.0 * countif(Failed) / count()`).
//!
//! Each aggregation call found in an item becomes one DataFusion aggregate, named `__agg<N>`;
//! the item itself is then computed over those in a projection after the aggregation.

use crate::catalog::ColumnDef;
use crate::planner::{PResult, Planner, Stop};
use crate::relation::{Relation, Typed, column};
use datafusion::common::ScalarValue;
use datafusion::functions_aggregate::bit_and_or_xor::{bit_and, bit_or, bit_xor};
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
    "binary_all_and",
    "binary_all_or",
    "binary_all_xor",
    "count",
    "countif",
    "covariance",
    "covarianceif",
    "covariancep",
    "covariancepif",
    "dcount",
    "dcountif",
    "make_bag",
    "make_bag_if",
    "make_list",
    "make_list_if",
    "make_list_with_nulls",
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
    "percentiles_array",
    "percentilew",
    "percentilesw",
    "percentilesw_array",
    "stdev",
    "stdevif",
    "stdevp",
    "stdevpif",
    "sum",
    "sumif",
    "take_any",
    "variance",
    "varianceif",
    "variancep",
    "variancepif",
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
            "stdev" | "variance" | "stdevif" | "varianceif" | "stdevp" | "variancep"
            | "stdevpif" | "variancepif" => {
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
                let population = name.contains("p");
                let e = match (name.starts_with("stdev"), population) {
                    (true, false) => agg::stddev(value),
                    (true, true) => agg::stddev_pop(value),
                    (false, false) => agg::var_sample(value),
                    (false, true) => agg::var_pop(value),
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
                    Some(l) => Some(self.constant_long(&l.expr, span)?),
                    None if name == "makeset" || name == "makelist" => Some(128),
                    None => None,
                };
                let json = a[0].ty == KqlType::Dynamic;
                let filtered =
                    self.only_if(value.clone().is_not_null(), &Typed::new(value, a[0].ty), span)?;
                let list = agg::array_agg(filtered);
                (quarry_functions::dynamic::from_list(list, json, set, limit), KqlType::Dynamic)
            }
            "covariance" | "covariancep" | "covarianceif" | "covariancepif" => {
                let conditional = name.ends_with("if");
                arity(self, 2 + conditional as usize, 2 + conditional as usize)?;
                self.expect_numeric(name, &a[0], span)?;
                self.expect_numeric(name, &a[1], span)?;
                let (mut x, mut y) = (a[0].clone(), a[1].clone());
                if conditional {
                    let p = predicate(self, 2)?;
                    x.expr = self.only_if(p.clone(), &x, span)?;
                    y.expr = self.only_if(p, &y, span)?;
                }
                let x = to_type(x.expr, x.ty, KqlType::Real);
                let y = to_type(y.expr, y.ty, KqlType::Real);
                let e = if name.starts_with("covariancep") {
                    agg::covar_pop(x, y)
                } else {
                    agg::covar_samp(x, y)
                };
                (zero_if_null(e, KqlType::Real), KqlType::Real)
            }
            "binary_all_and" | "binary_all_or" | "binary_all_xor" => {
                arity(self, 1, 1)?;
                if !matches!(a[0].ty, KqlType::Long | KqlType::Int) {
                    return Err(self.error(span, format!("`{name}` expects a long")));
                }
                let v = crate::scalar::widen(a[0].expr.clone(), a[0].ty, KqlType::Long);
                let e = match name {
                    "binary_all_and" => bit_and(v),
                    "binary_all_or" => bit_or(v),
                    _ => bit_xor(v),
                };
                (e, KqlType::Long)
            }
            "percentile" | "percentilew" => {
                let weighted = name == "percentilew";
                arity(self, 2 + weighted as usize, 2 + weighted as usize)?;
                let points = self.percentile_points(&a[1 + weighted as usize..], span)?;
                let [p] = points[..] else {
                    return Err(self.error(span, format!("`{name}` takes one percentile")));
                };
                self.percentile_of(&a, weighted, p, span)?
            }
            "percentiles" | "percentiles_array" | "percentilesw" | "percentilesw_array" => {
                return Err(
                    self.error(span, format!("`{name}` must be a whole item of `summarize`"))
                );
            }
            "make_bag" | "make_bag_if" => {
                let conditional = name.ends_with("_if");
                arity(self, 1 + conditional as usize, 2 + conditional as usize)?;
                let value = if conditional {
                    let p = predicate(self, 1)?;
                    self.only_if(p, &a[0], span)?
                } else {
                    a[0].expr.clone()
                };
                let limit = match a.get(1 + conditional as usize) {
                    Some(l) => self.constant_long(&l.expr, span)?,
                    None => 1_048_576,
                };
                let value = to_type(value, a[0].ty, KqlType::Dynamic);
                let filtered = self.only_if(
                    value.clone().is_not_null(),
                    &Typed::new(value, KqlType::Dynamic),
                    span,
                )?;
                (
                    quarry_functions::listagg::make_bag(agg::array_agg(filtered), limit),
                    KqlType::Dynamic,
                )
            }
            "make_list_with_nulls" => {
                arity(self, 1, 2)?;
                let limit = match a.get(1) {
                    Some(l) => Some(self.constant_long(&l.expr, span)?),
                    None => None,
                };
                let json = a[0].ty == KqlType::Dynamic;
                let list = agg::array_agg(a[0].expr.clone());
                (
                    quarry_functions::dynamic::from_list_with_nulls(list, json, limit),
                    KqlType::Dynamic,
                )
            }
            "arg_max" | "arg_min" => {
                return Err(
                    self.error(span, format!("`{name}` must be a whole item of `summarize`"))
                );
            }
            other => return Err(self.unsupported(span, format!("`{other}`"))),
        })
    }

    fn constant_long(&mut self, e: &DfExpr, span: Span) -> PResult<i64> {
        match crate::evaluate_constant(e) {
            Some(ScalarValue::Int64(Some(n))) => Ok(n),
            Some(ScalarValue::Int32(Some(n))) => Ok(n as i64),
            _ => Err(self.error(span, "the size limit must be a constant number")),
        }
    }

    /// The percentiles asked for: constant numbers, or constant arrays of numbers.
    fn percentile_points(&mut self, args: &[Typed], span: Span) -> PResult<Vec<f64>> {
        let mut points = Vec::new();
        for a in args {
            let value = crate::evaluate_constant(&a.expr);
            let number = |v: &serde_json::Value| v.as_f64();
            match value {
                Some(ScalarValue::Utf8(Some(text))) if a.ty == KqlType::Dynamic => {
                    match serde_json::from_str::<serde_json::Value>(&text) {
                        Ok(serde_json::Value::Array(items)) => {
                            for item in &items {
                                match number(item) {
                                    Some(p) => points.push(p),
                                    None => {
                                        return Err(self.error(
                                            span,
                                            "a percentile must be a number from 0 to 100",
                                        ));
                                    }
                                }
                            }
                        }
                        _ => return Err(self.error(span, "percentiles must be numbers")),
                    }
                }
                Some(v) => match v.cast_to(&datafusion::arrow::datatypes::DataType::Float64) {
                    Ok(ScalarValue::Float64(Some(p))) => points.push(p),
                    _ => return Err(self.error(span, "a percentile must be a constant number")),
                },
                None => return Err(self.error(span, "a percentile must be a constant number")),
            }
        }
        if let Some(bad) = points.iter().find(|p| !(0.0..=100.0).contains(*p)) {
            return Err(self.error(span, format!("percentile {bad} is not between 0 and 100")));
        }
        Ok(points)
    }

    /// The `p`th percentile of `a[0]` (weighted by `a[1]` when `weighted`), nearest rank.
    fn percentile_of(
        &mut self,
        a: &[Typed],
        weighted: bool,
        p: f64,
        span: Span,
    ) -> PResult<(DfExpr, KqlType)> {
        let value = &a[0];
        if !(value.ty.is_numeric() || matches!(value.ty, KqlType::DateTime | KqlType::TimeSpan)) {
            return Err(self.error(span, format!("a percentile of a {} is not defined", value.ty)));
        }
        // Nulls stay in the lists (keeping values and weights aligned); the percentile skips them.
        let values = agg::array_agg(value.expr.clone());
        if weighted {
            let w = &a[1];
            if !matches!(w.ty, KqlType::Long | KqlType::Int) {
                return Err(self.error(span, "percentile weights must be integers"));
            }
            let weights = agg::array_agg(crate::scalar::widen(w.expr.clone(), w.ty, KqlType::Long));
            let e = quarry_functions::listagg::weighted_percentile(
                values,
                weights,
                p,
                value.ty.arrow(),
            );
            return Ok((e, value.ty));
        }
        Ok((quarry_functions::listagg::percentile(values, p, value.ty.arrow()), value.ty))
    }

    /// `percentiles(x, 5, 50, 95)` (a column each, `percentile_x_5`, ...), `percentilesw`, and
    /// their `_array` forms (one dynamic array).
    #[allow(clippy::too_many_arguments)]
    fn percentiles(
        &mut self,
        name: &str,
        args: &[Arg],
        item: &Assignment,
        input: &Relation,
        names: &mut Names,
        outputs: &mut Vec<(DfExpr, ColumnDef)>,
    ) -> PResult<()> {
        let span = item.value.span;
        let weighted = name.starts_with("percentilesw");
        let a = self.scalar_args(args, input)?;
        let fixed = 1 + weighted as usize;
        if a.len() < fixed + 1 {
            return Err(self.error(span, format!("`{name}` needs the value and the percentiles")));
        }
        let points = self.percentile_points(&a[fixed..], span)?;
        let base = args.first().and_then(|x| key_name(x.value())).unwrap_or_default();
        let mut columns = Vec::with_capacity(points.len());
        for p in &points {
            let (e, ty) = self.percentile_of(&a, weighted, *p, span)?;
            let Some(scope) = self.aggregation.as_mut() else { return Err(Stop) };
            let alias = format!("__agg{}", scope.aggregates.len());
            scope.aggregates.push((e, alias.clone(), ty));
            columns.push((alias, ty, *p));
        }
        let explicit: Vec<String> = item.names.iter().map(|n| n.name.clone()).collect();
        if name.ends_with("_array") {
            let items = columns
                .iter()
                .map(|(alias, ty, _)| to_type(column(alias), *ty, KqlType::Dynamic))
                .collect();
            let array = quarry_functions::library::find("pack_array")
                .map(|f| f.call(items))
                .ok_or_else(|| self.internal(span, "pack_array is missing"))?;
            let prefix = if weighted { "percentile" } else { "percentiles" };
            let out = match explicit.first() {
                Some(n) => n.clone(),
                None => names.unique(format!("{prefix}_{base}")),
            };
            names.taken(&out);
            outputs.push((array, ColumnDef::new(out, KqlType::Dynamic)));
            return Ok(());
        }
        for (i, (alias, ty, p)) in columns.into_iter().enumerate() {
            let out = match explicit.get(i) {
                Some(n) => n.clone(),
                None => names.unique(format!("percentile_{base}_{}", point_name(p))),
            };
            names.taken(&out);
            outputs.push((column(&alias), ColumnDef::new(out, ty)));
        }
        Ok(())
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
        let mut keys = Vec::with_capacity(by.len() + 1);
        let mut key_columns = Vec::with_capacity(by.len() + 1);
        if self.partition.is_some() {
            // Inside `mv-apply`: per original row.
            let row = crate::apply::ROW;
            names.taken(row);
            keys.push(column(row));
            key_columns.push(ColumnDef::new(row, KqlType::Long));
        }
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
            if matches!(
                name.name.as_str(),
                "percentiles" | "percentiles_array" | "percentilesw" | "percentilesw_array"
            ) {
                return self.percentiles(&name.name, args, item, input, names, outputs);
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
    #[allow(clippy::too_many_arguments)]
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

/// `99.9` is written `99_9` in a column name.
fn point_name(p: f64) -> String {
    p.to_string().replace('.', "_")
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
        "make_bag" | "make_bag_if" => "bag",
        "make_list_with_nulls" => "list",
        "percentile" | "percentilew" => {
            let arg = args.first().and_then(|a| key_name(a.value())).unwrap_or_default();
            let p = args.last().and_then(|a| match &a.value().kind {
                ExprKind::Literal(l) => match &l.value {
                    quarry_syntax::ast::LiteralValue::Long(i) => Some(i.to_string()),
                    quarry_syntax::ast::LiteralValue::Real(r) => Some(point_name(*r)),
                    _ => None,
                },
                _ => None,
            })?;
            return Some(format!("percentile_{arg}_{p}"));
        }
        "covariance" | "covariancep" | "covarianceif" | "covariancepif" => {
            let x = args.first().and_then(|a| key_name(a.value())).unwrap_or_default();
            let y = args.get(1).and_then(|a| key_name(a.value())).unwrap_or_default();
            return Some(format!("{}_{x}_{y}", name.name));
        }
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
