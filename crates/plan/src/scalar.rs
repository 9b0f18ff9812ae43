//! Scalar expressions: names, literals, operators, with KQL's typing and null rules.

use crate::planner::{Binding, PResult, Planner};
use crate::relation::{Relation, Typed, column};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{
    Expr as DfExpr, Operator, Subquery, and, binary_expr, cast, lit, not, or, when,
};
use quarry_functions::KqlType;
use quarry_functions::convert;
use quarry_functions::strings::{Predicate, string_predicate};
use quarry_functions::time::{parse_datetime, parse_timespan};
use quarry_syntax::Span;
use quarry_syntax::ast::{
    BinaryOp, Dynamic, Expr, ExprKind, ListOp, Literal, LiteralValue, LogicalOp, UnaryOp,
};
use std::sync::Arc;

const NANOS_PER_TICK: i64 = 100;

impl Planner<'_> {
    /// Lowers a scalar expression evaluated against the rows of `input`.
    pub(crate) fn scalar(&mut self, e: &Expr, input: &Relation) -> PResult<Typed> {
        match &e.kind {
            ExprKind::Name(n) => self.name(&n.name, e.span, input),
            ExprKind::Literal(l) => self.literal(l, e.span),
            ExprKind::Paren(inner) => self.scalar(inner, input),
            ExprKind::Unary { op, operand } => {
                let v = self.scalar(operand, input)?;
                match (op, v.ty) {
                    (UnaryOp::Plus, t) if t.is_numeric() || t == KqlType::TimeSpan => Ok(v),
                    (UnaryOp::Neg, KqlType::TimeSpan) => {
                        let negated = match &v.expr {
                            DfExpr::Literal(ScalarValue::DurationNanosecond(n), _) => {
                                timespan_lit(n.map(|n| -n))
                            }
                            e => {
                                quarry_functions::math::scale_timespan(e.clone(), lit(-1i64), false)
                            }
                        };
                        Ok(Typed::new(negated, KqlType::TimeSpan))
                    }
                    (UnaryOp::Neg, t) if t.is_numeric() => {
                        Ok(Typed::new(DfExpr::Negative(Box::new(v.expr)), t))
                    }
                    _ => Err(self.error(e.span, format!("cannot negate a {}", v.ty))),
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.scalar(lhs, input)?;
                let r = self.scalar(rhs, input)?;
                self.binary(*op, l, r, e.span)
            }
            ExprKind::Logical { op, operands } => {
                let mut parts = Vec::with_capacity(operands.len());
                for o in operands {
                    let v = self.scalar(o, input)?;
                    parts.push(self.to_bool(v, o.span)?);
                }
                let combine = if *op == LogicalOp::And { and } else { or };
                let first = parts.remove(0);
                let expr = parts.into_iter().fold(first, combine);
                Ok(Typed::new(expr, KqlType::Bool))
            }
            ExprKind::ListOp { op, lhs, items } => self.list_op(*op, lhs, items, e.span, input),
            ExprKind::Between { negated, lhs, low, high } => {
                let v = self.scalar(lhs, input)?;
                let lo = self.scalar(low, input)?;
                let mut hi = self.scalar(high, input)?;
                if v.ty == KqlType::DateTime && hi.ty == KqlType::TimeSpan {
                    // `between (start .. 1d)`: the upper bound is a span after the start.
                    hi = self.binary(BinaryOp::Add, lo.clone(), hi, high.span)?;
                }
                let ge = self.binary(BinaryOp::Ge, v.clone(), lo, e.span)?;
                let le = self.binary(BinaryOp::Le, v, hi, e.span)?;
                let inside = and(ge.expr, le.expr);
                Ok(Typed::new(if *negated { not(inside) } else { inside }, KqlType::Bool))
            }
            ExprKind::Call { receiver: None, name, args } => {
                self.call(&name.name, name.span, args, e.span, input)
            }
            ExprKind::Call { receiver: Some(_), name, .. } => {
                Err(self.unsupported(name.span, format!("`.{}()` calls", name.name)))
            }
            ExprKind::Member { target, name } => {
                let t = self.scalar(target, input)?;
                self.dynamic_access(t, lit(name.name.clone()), target.span)
            }
            ExprKind::Index { target, index } => {
                let t = self.scalar(target, input)?;
                let i = self.scalar(index, input)?;
                self.dynamic_access(t, i.expr, target.span)
            }
            ExprKind::Star => Err(self.error(e.span, "`*` is not a value here")),
            ExprKind::Pipeline { .. } | ExprKind::Operator(_) => Err(self.error_with_help(
                e.span,
                "a table is not a value here",
                "to use a single value computed by a query, wrap it in toscalar(...)",
            )),
            ExprKind::Error => Err(crate::planner::Stop),
        }
    }

    fn name(&mut self, name: &str, span: Span, input: &Relation) -> PResult<Typed> {
        if let Some(c) = input.column(name) {
            return Ok(Typed::new(column(&c.name), c.ty));
        }
        match self.lookup(name).cloned() {
            Some(Binding::Scalar(t)) => Ok(t),
            Some(Binding::Tabular(_)) => Err(self.error_with_help(
                span,
                format!("`{name}` is a table, not a value"),
                "to use a single value computed from it, write toscalar(...)",
            )),
            Some(Binding::Function(f)) if f.params.is_empty() => {
                match self.expand_function(&f, Vec::new(), span)? {
                    Binding::Scalar(t) => Ok(t),
                    _ => Err(self.error(span, format!("`{name}` is a table, not a value"))),
                }
            }
            Some(Binding::Function(_)) => {
                Err(self.error(span, format!("`{name}` is a function; call it with (...)")))
            }
            None => {
                let mut candidates: Vec<String> = input.names().map(str::to_string).collect();
                candidates.extend(self.bound_names());
                let mut message = format!("unknown name `{name}`");
                if input.columns.is_empty() {
                    message.push_str(": there are no columns here");
                }
                match quarry_syntax::suggest::closest(name, candidates.iter().map(String::as_str)) {
                    Some(s) => {
                        Err(self.error_with_help(span, message, format!("did you mean `{s}`?")))
                    }
                    None => Err(self.error(span, message)),
                }
            }
        }
    }

    pub(crate) fn literal(&mut self, l: &Literal, span: Span) -> PResult<Typed> {
        Ok(match &l.value {
            LiteralValue::Bool(b) => Typed::new(lit(*b), KqlType::Bool),
            LiteralValue::Long(v) => Typed::new(lit(*v), KqlType::Long),
            LiteralValue::Real(v) => Typed::new(lit(*v), KqlType::Real),
            LiteralValue::String(s) => Typed::new(lit(s.clone()), KqlType::String),
            LiteralValue::Timespan(ticks) => {
                let nanos = ticks
                    .checked_mul(NANOS_PER_TICK)
                    .ok_or_else(|| self.error(span, "timespan literal out of range"))?;
                Typed::new(timespan_lit(Some(nanos)), KqlType::TimeSpan)
            }
            LiteralValue::DateTime(text) => {
                if text.eq_ignore_ascii_case("null") {
                    return Ok(Typed::new(datetime_lit(None), KqlType::DateTime));
                }
                if text.is_empty() {
                    return Ok(Typed::new(datetime_lit(Some(self.options.now)), KqlType::DateTime));
                }
                match datetime_literal_text(text) {
                    Some(ns) => Typed::new(datetime_lit(Some(ns)), KqlType::DateTime),
                    None => {
                        return Err(self.error(span, format!("`{text}` is not a datetime")));
                    }
                }
            }
            LiteralValue::TimespanText(text) => {
                if text.eq_ignore_ascii_case("null") {
                    return Ok(Typed::new(timespan_lit(None), KqlType::TimeSpan));
                }
                match parse_timespan(text) {
                    Some(ns) => Typed::new(timespan_lit(Some(ns)), KqlType::TimeSpan),
                    None => return Err(self.error(span, format!("`{text}` is not a timespan"))),
                }
            }
            LiteralValue::Guid(text) => {
                if text.eq_ignore_ascii_case("null") {
                    return Ok(Typed::new(Planner::null_of(KqlType::Guid), KqlType::Guid));
                }
                match convert::parse_guid(text) {
                    Some(g) => Typed::new(lit(g), KqlType::Guid),
                    None => return Err(self.error(span, format!("`{text}` is not a guid"))),
                }
            }
            LiteralValue::Typed { ty, text } => self.typed_literal(ty, text, span)?,
            LiteralValue::Dynamic(d) => {
                let json = self.dynamic_json(d, span)?;
                Typed::new(lit(json), KqlType::Dynamic)
            }
            LiteralValue::Null => Typed::new(Planner::null_of(KqlType::Dynamic), KqlType::Dynamic),
        })
    }

    fn typed_literal(&mut self, ty: &str, text: &str, span: Span) -> PResult<Typed> {
        if ty == "typeof" {
            return Err(self.unsupported(span, "`typeof(...)` as a value"));
        }
        let Some(kql) = KqlType::from_name(ty) else {
            return Err(self.error(span, format!("`{ty}` is not a type")));
        };
        let t = text.trim();
        if t.eq_ignore_ascii_case("null") {
            return Ok(Typed::new(Planner::null_of(kql), kql));
        }
        let value = match kql {
            KqlType::Bool => match t.to_ascii_lowercase().as_str() {
                "true" => Some(lit(true)),
                "false" => Some(lit(false)),
                _ => None,
            },
            KqlType::Int => t.parse::<i32>().ok().map(lit),
            KqlType::Long => t.parse::<i64>().ok().map(lit),
            KqlType::Real => convert::parse_real(t).map(lit),
            KqlType::Decimal => convert::parse_decimal(t).map(|v| {
                lit(ScalarValue::Decimal128(
                    Some(v),
                    quarry_functions::types::DECIMAL_PRECISION,
                    quarry_functions::types::DECIMAL_SCALE,
                ))
            }),
            _ => None,
        };
        match value {
            Some(v) => Ok(Typed::new(v, kql)),
            None => Err(self.error(span, format!("`{t}` is not a valid {ty}"))),
        }
    }

    /// The JSON text of a `dynamic(...)` literal.
    fn dynamic_json(&mut self, d: &Dynamic, span: Span) -> PResult<String> {
        let value = self.dynamic_value(d, span)?;
        Ok(value.to_string())
    }

    fn dynamic_value(&mut self, d: &Dynamic, span: Span) -> PResult<serde_json::Value> {
        use serde_json::Value;
        Ok(match d {
            Dynamic::Null => Value::Null,
            Dynamic::Array(items) => Value::Array(
                items.iter().map(|i| self.dynamic_value(i, span)).collect::<PResult<_>>()?,
            ),
            Dynamic::Object(fields) => {
                let mut map = serde_json::Map::new();
                for (k, v) in fields {
                    map.insert(k.clone(), self.dynamic_value(v, span)?);
                }
                Value::Object(map)
            }
            Dynamic::Scalar(l) => match &l.value {
                LiteralValue::Bool(b) => Value::Bool(*b),
                LiteralValue::Long(v) => Value::from(*v),
                LiteralValue::Real(v) => {
                    serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number)
                }
                LiteralValue::String(s) => Value::String(s.clone()),
                LiteralValue::Dynamic(inner) => self.dynamic_value(inner, span)?,
                _ => {
                    // datetimes, timespans, guids: as their KQL text.
                    let t = self.literal(l, span)?;
                    match &t.expr {
                        DfExpr::Literal(v, _) => Value::String(convert::scalar_to_text(v)),
                        _ => Value::Null,
                    }
                }
            },
        })
    }

    /// `bag.key` and `array[i]` on a dynamic value.
    fn dynamic_access(&mut self, target: Typed, key: DfExpr, span: Span) -> PResult<Typed> {
        if target.ty != KqlType::Dynamic {
            return Err(self.error(
                span,
                format!(
                    "only dynamic values have properties and elements; this is a {}",
                    target.ty
                ),
            ));
        }
        Ok(Typed::new(quarry_functions::dynamic::get(target.expr, key), KqlType::Dynamic))
    }

    /// The value as a KQL bool, or an error saying what it is instead.
    #[allow(clippy::wrong_self_convention)] // converts a value, not the planner
    pub(crate) fn to_bool(&mut self, v: Typed, span: Span) -> PResult<DfExpr> {
        match v.ty {
            KqlType::Bool => Ok(v.expr),
            KqlType::Dynamic => Ok(convert::to_type(v.expr, KqlType::Dynamic, KqlType::Bool)),
            other => Err(self.error(span, format!("expected a bool, found a {other}"))),
        }
    }

    /// The value as KQL text (`tostring`).
    pub(crate) fn to_text(&self, v: Typed) -> DfExpr {
        match v.ty {
            KqlType::String | KqlType::Guid => v.expr,
            other => convert::to_type(v.expr, other, KqlType::String),
        }
    }

    pub(crate) fn binary(
        &mut self,
        op: BinaryOp,
        l: Typed,
        r: Typed,
        span: Span,
    ) -> PResult<Typed> {
        use BinaryOp::*;
        use KqlType::*;
        let mismatch = |p: &mut Self, l: KqlType, r: KqlType| {
            p.error(span, format!("`{}` cannot combine a {l} and a {r}", op.as_str()))
        };
        match op {
            Add | Sub | Mul | Div | Mod => self.arithmetic(op, l, r, span),
            Eq | NotEq | Lt | Le | Gt | Ge => {
                let (lt, rt) = (l.ty, r.ty);
                let (l, r) = match self.comparable(l, r) {
                    Some(pair) => pair,
                    None => return Err(mismatch(self, lt, rt)),
                };
                let df_op = match op {
                    Eq => Operator::Eq,
                    NotEq => Operator::NotEq,
                    Lt => Operator::Lt,
                    Le => Operator::LtEq,
                    Gt => Operator::Gt,
                    _ => Operator::GtEq,
                };
                let compared = binary_expr(l.clone(), df_op, r.clone());
                // `==` with one null side is false, `!=` true (strings are never null).
                let nullable = !(lt == String && rt == String);
                if matches!(op, Eq | NotEq) && nullable {
                    return Ok(Typed::new(null_aware_equality(compared, l, r, op == NotEq), Bool));
                }
                Ok(Typed::new(compared, Bool))
            }
            MatchesRegex => {
                let text = self.to_text(l);
                let pattern = self.to_text(r);
                Ok(Typed::new(quarry_functions::regex::matches(text, pattern), Bool))
            }
            Like | NotLike | LikeCs | NotLikeCs => Err(self.unsupported(span, "`like`")),
            _ => {
                let name = match op {
                    EqTilde => "=~",
                    NotEqTilde => "!~",
                    Colon => "has",
                    other => other.as_str(),
                };
                let Some(predicate) = Predicate::named(name) else {
                    return Err(self.unsupported(span, format!("`{}`", op.as_str())));
                };
                let value = self.to_text(l);
                let needle = self.to_text(r);
                Ok(Typed::new(string_predicate(predicate, value, vec![needle]), Bool))
            }
        }
    }

    /// Both sides of a comparison, converted to a common type; `None` if they do not compare.
    fn comparable(&mut self, l: Typed, r: Typed) -> Option<(DfExpr, DfExpr)> {
        use KqlType::*;
        match (l.ty, r.ty) {
            (a, b) if a == b => Some((l.expr, r.expr)),
            (a, b) if a.is_numeric() && b.is_numeric() => Some((l.expr, r.expr)),
            (String | Guid, String | Guid) => Some((l.expr, r.expr)),
            // A dynamic value compares as the other side's type.
            (Dynamic, other) => Some((convert::to_type(l.expr, Dynamic, other), r.expr)),
            (other, Dynamic) => Some((l.expr, convert::to_type(r.expr, Dynamic, other))),
            _ => None,
        }
    }

    fn arithmetic(&mut self, op: BinaryOp, l: Typed, r: Typed, span: Span) -> PResult<Typed> {
        use BinaryOp::*;
        use KqlType::*;
        let df = |op| match op {
            Add => Operator::Plus,
            Sub => Operator::Minus,
            Mul => Operator::Multiply,
            Div => Operator::Divide,
            _ => Operator::Modulo,
        };
        let (lt, rt) = (l.ty, r.ty);
        let result = match (op, lt, rt) {
            (_, a, b) if a.is_numeric() && b.is_numeric() => {
                let ty = KqlType::numeric_join(a, b).unwrap_or(Real);
                let ty = if ty == Int { Long } else { ty };
                let (le, re) = (widen(l.expr, a, ty), widen(r.expr, b, ty));
                match (op, ty) {
                    (Div, Long) => quarry_functions::math::integer_divide(le, re),
                    (Mod, Long | Real) => quarry_functions::math::modulo(le, re),
                    _ => binary_expr(le, df(op), re),
                }
                .pipe(|e| Typed::new(e, ty))
            }
            (Sub, DateTime, DateTime) => {
                Typed::new(binary_expr(l.expr, Operator::Minus, r.expr), TimeSpan)
            }
            (Add | Sub, DateTime, TimeSpan) => {
                Typed::new(binary_expr(l.expr, df(op), r.expr), DateTime)
            }
            (Add, TimeSpan, DateTime) => {
                Typed::new(binary_expr(r.expr, Operator::Plus, l.expr), DateTime)
            }
            (Add | Sub, TimeSpan, TimeSpan) => {
                Typed::new(binary_expr(l.expr, df(op), r.expr), TimeSpan)
            }
            (Mul, TimeSpan, n) if n.is_numeric() => {
                Typed::new(quarry_functions::math::scale_timespan(l.expr, r.expr, false), TimeSpan)
            }
            (Mul, n, TimeSpan) if n.is_numeric() => {
                Typed::new(quarry_functions::math::scale_timespan(r.expr, l.expr, false), TimeSpan)
            }
            (Div, TimeSpan, n) if n.is_numeric() => {
                Typed::new(quarry_functions::math::scale_timespan(l.expr, r.expr, true), TimeSpan)
            }
            (Div, TimeSpan, TimeSpan) => {
                Typed::new(quarry_functions::math::timespan_ratio(l.expr, r.expr), Real)
            }
            (Mod, TimeSpan, TimeSpan) => {
                Typed::new(quarry_functions::math::modulo(l.expr, r.expr), TimeSpan)
            }
            (_, Dynamic, _) | (_, _, Dynamic) => {
                let target = if lt == Dynamic { rt } else { lt };
                let target = if target == Dynamic { Real } else { target };
                let l = Typed::new(convert::to_type(l.expr, lt, target), target);
                let r = Typed::new(convert::to_type(r.expr, rt, target), target);
                return self.arithmetic(op, l, r, span);
            }
            _ => {
                return Err(
                    self.error(span, format!("`{}` cannot combine a {lt} and a {rt}", op.as_str()))
                );
            }
        };
        Ok(result)
    }

    fn list_op(
        &mut self,
        op: ListOp,
        lhs: &Expr,
        items: &[Expr],
        span: Span,
        input: &Relation,
    ) -> PResult<Typed> {
        let value = self.scalar(lhs, input)?;
        // `x in (T | project y)`: a sub-query's first column.
        if let [only] = items
            && self.is_tabular(only)
            && matches!(op, ListOp::In | ListOp::NotIn)
        {
            let sub = self.tabular(only)?;
            let Some(first) = sub.columns.first().cloned() else {
                return Err(self.error(only.span, "the sub-query has no columns"));
            };
            let sub = self.keep(&sub, std::slice::from_ref(&first.name), only.span)?;
            let subquery = Subquery {
                subquery: Arc::new(sub.plan),
                outer_ref_columns: Vec::new(),
                spans: Default::default(),
            };
            let expr = DfExpr::InSubquery(datafusion::logical_expr::expr::InSubquery::new(
                Box::new(value.expr),
                subquery,
                op == ListOp::NotIn,
            ));
            return Ok(Typed::new(expr, KqlType::Bool));
        }
        // `x has_any (T | distinct y)`, `x in~ (T | ...)`: the terms are the sub-query's first
        // column, gathered into one list by a scalar sub-query; the matcher is built from it
        // at run time.
        if let [only] = items
            && self.is_tabular(only)
        {
            let needles = self.subquery_list(only)?;
            let name = match op {
                ListOp::HasAny => "has_any",
                ListOp::HasAll => "has_all",
                ListOp::HasAnyCs => "has_any_cs",
                ListOp::HasAllCs => "has_all_cs",
                ListOp::InCi => "in~",
                ListOp::NotInCi => "!in~",
                // Planned as SQL's `IN (sub-query)` above.
                ListOp::In | ListOp::NotIn => {
                    return Err(
                        self.internal(span, "`in` with a sub-query reached the list matcher")
                    );
                }
            };
            let Some(predicate) = Predicate::named(name) else {
                return Err(self.unsupported(span, format!("`{name}`")));
            };
            let text = self.to_text(value);
            return Ok(Typed::new(string_predicate(predicate, text, vec![needles]), KqlType::Bool));
        }
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            if self.is_tabular(item) {
                return Err(self.unsupported(item.span, "a sub-query with this operator"));
            }
            values.push(self.scalar(item, input)?);
        }
        let name = match op {
            ListOp::In => "in",
            ListOp::NotIn => "!in",
            ListOp::InCi => "in~",
            ListOp::NotInCi => "!in~",
            ListOp::HasAny => "has_any",
            ListOp::HasAll => "has_all",
            ListOp::HasAnyCs => "has_any_cs",
            ListOp::HasAllCs => "has_all_cs",
        };
        // A dynamic array in the list stands for its elements, compared as text.
        let textual = values.iter().any(|v| v.ty == KqlType::Dynamic)
            || !matches!(op, ListOp::In | ListOp::NotIn);
        if !textual {
            let mut exprs = Vec::with_capacity(values.len());
            for v in values {
                let (vt, ty) = (v.ty, value.ty);
                match self.comparable(value.clone(), v) {
                    Some((_, r)) => exprs.push(r),
                    None => {
                        let m = format!("`{name}` cannot compare a {ty} with a {vt}");
                        return Err(self.error(span, m));
                    }
                }
            }
            let list = DfExpr::InList(datafusion::logical_expr::expr::InList::new(
                Box::new(value.expr),
                exprs,
                op == ListOp::NotIn,
            ));
            return Ok(Typed::new(list, KqlType::Bool));
        }
        let mut needles = Vec::new();
        for v in values {
            if v.ty == KqlType::Dynamic {
                match quarry_functions::dynamic::constant_needles(std::slice::from_ref(&v.expr)) {
                    Some(n) => needles.extend(n),
                    None => {
                        let m = format!("`{name}` with a dynamic list that is not a constant");
                        return Err(self.unsupported(span, m));
                    }
                }
            } else {
                needles.push(self.to_text(v));
            }
        }
        let text = self.to_text(value);
        if matches!(op, ListOp::In | ListOp::NotIn) {
            let list = DfExpr::InList(datafusion::logical_expr::expr::InList::new(
                Box::new(text),
                needles,
                op == ListOp::NotIn,
            ));
            return Ok(Typed::new(list, KqlType::Bool));
        }
        let Some(predicate) = Predicate::named(name) else {
            return Err(self.unsupported(span, format!("`{name}`")));
        };
        Ok(Typed::new(string_predicate(predicate, text, needles), KqlType::Bool))
    }

    /// A sub-query's first column as text, gathered into one list: a scalar sub-query.
    fn subquery_list(&mut self, query: &Expr) -> PResult<DfExpr> {
        let sub = self.tabular(query)?;
        let Some(first) = sub.columns.first().cloned() else {
            return Err(self.error(query.span, "the sub-query has no columns"));
        };
        let text = self.to_text(Typed::new(column(&first.name), first.ty));
        let list = datafusion::functions_aggregate::expr_fn::array_agg(text).alias("needles");
        let plan =
            match sub.builder().aggregate(Vec::<DfExpr>::new(), vec![list]).and_then(|b| b.build())
            {
                Ok(p) => p,
                Err(e) => return Err(self.internal(query.span, e)),
            };
        Ok(DfExpr::ScalarSubquery(Subquery {
            subquery: Arc::new(plan),
            outer_ref_columns: Vec::new(),
            spans: Default::default(),
        }))
    }

    /// `iff(cond, then, else)` and `case(c1, v1, ..., else)`.
    pub(crate) fn conditional(&mut self, parts: Vec<Typed>, span: Span) -> PResult<Typed> {
        let Some((otherwise, pairs)) = parts.split_last() else {
            return Err(self.error(span, "expected conditions and values"));
        };
        if pairs.len() % 2 != 0 {
            return Err(self.error(span, "expected pairs of condition and value, then a default"));
        }
        let mut ty = otherwise.ty;
        for pair in pairs.chunks(2) {
            ty = common_type(ty, pair[1].ty).ok_or_else(|| {
                self.error(span, format!("the branches give a {ty} and a {}", pair[1].ty))
            })?;
        }
        let mut cases = Vec::with_capacity(pairs.len() / 2);
        for pair in pairs.chunks(2) {
            let cond = self.to_bool(pair[0].clone(), span)?;
            cases.push((cond, widen(pair[1].expr.clone(), pair[1].ty, ty)));
        }
        let otherwise = widen(otherwise.expr.clone(), otherwise.ty, ty);
        let mut cases = cases.into_iter();
        let Some((c0, v0)) = cases.next() else {
            return Ok(Typed::new(otherwise, ty));
        };
        let mut builder = when(c0, v0);
        for (c, v) in cases {
            builder = builder.when(c, v);
        }
        match builder.otherwise(otherwise) {
            Ok(e) => Ok(Typed::new(e, ty)),
            Err(e) => Err(self.internal(span, e)),
        }
    }
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}

impl<T> Pipe for T {}

/// The instant a `datetime(...)` literal holds: ISO text (possibly quoted), or
/// `year, month, day[, hour, minute, second]`.
fn datetime_literal_text(text: &str) -> Option<i64> {
    let t = text.trim();
    let unquoted = t
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| t.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
        .unwrap_or(t);
    if unquoted.contains(',') {
        let parts: Vec<f64> =
            unquoted.split(',').map(|p| p.trim().parse().ok()).collect::<Option<_>>()?;
        let get = |i: usize| parts.get(i).copied().unwrap_or(0.0);
        let date = chrono::NaiveDate::from_ymd_opt(get(0) as i32, get(1) as u32, get(2) as u32)?;
        let seconds = get(3) * 3600.0 + get(4) * 60.0 + get(5);
        let base = date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt()?;
        return base.checked_add((seconds * 1e9).round() as i64);
    }
    parse_datetime(unquoted)
}

/// KQL's equality with nulls: one null side makes `==` false and `!=` true; two null sides
/// give null.
fn null_aware_equality(compared: DfExpr, l: DfExpr, r: DfExpr, not_equal: bool) -> DfExpr {
    let non_null_literal = |e: &DfExpr| matches!(e, DfExpr::Literal(v, _) if !v.is_null());
    let one_null = lit(not_equal);
    if non_null_literal(&l) || non_null_literal(&r) {
        return datafusion::functions::core::expr_fn::coalesce(vec![compared, one_null]);
    }
    let both_null = and(l.clone().is_null(), r.clone().is_null());
    let either_null = or(l.is_null(), r.is_null());
    when(both_null, lit(ScalarValue::Boolean(None)))
        .when(either_null, one_null)
        .otherwise(compared.clone())
        .unwrap_or(compared)
}

/// The type two branches share: the same type, or numbers widened.
pub(crate) fn common_type(a: KqlType, b: KqlType) -> Option<KqlType> {
    if a == b {
        return Some(a);
    }
    KqlType::numeric_join(a, b)
}

/// Converts a numeric expression to a wider numeric type.
pub(crate) fn widen(e: DfExpr, from: KqlType, to: KqlType) -> DfExpr {
    if from == to { e } else { cast(e, to.arrow()) }
}

pub(crate) fn datetime_lit(nanos: Option<i64>) -> DfExpr {
    lit(ScalarValue::TimestampNanosecond(nanos, None))
}

pub(crate) fn timespan_lit(nanos: Option<i64>) -> DfExpr {
    lit(ScalarValue::DurationNanosecond(nanos))
}
