//! Calls of KQL's scalar functions, and of the user's own (`let f = (...) { ... }`).

use crate::planner::{Binding, PResult, Planner};
use crate::relation::{Relation, Typed, column};
use crate::scalar::{datetime_lit, timespan_lit, widen};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr as DfExpr, Subquery, lit, not};
use quarry_functions::KqlType;
use quarry_functions::convert::to_type;
use quarry_functions::scalar as f;
use quarry_syntax::Span;
use quarry_syntax::ast::{Arg, Expr};
use std::sync::Arc;

/// Every scalar function name the planner knows, for suggestions.
pub const SCALAR_FUNCTIONS: &[&str] = &[
    "abs",
    "ago",
    "array_length",
    "arraylength",
    "base64_decode_tostring",
    "base64_encode_tostring",
    "bin",
    "bin_at",
    "case",
    "ceiling",
    "coalesce",
    "column_ifexists",
    "columnifexists",
    "countof",
    "datetime_add",
    "datetime_diff",
    "datetime_part",
    "dayofmonth",
    "dayofweek",
    "dayofyear",
    "endofday",
    "endofmonth",
    "endofweek",
    "endofyear",
    "exp",
    "exp10",
    "exp2",
    "extract",
    "floor",
    "format_datetime",
    "format_timespan",
    "getmonth",
    "getyear",
    "hash",
    "hash_md5",
    "hash_sha1",
    "hash_sha256",
    "hourofday",
    "iff",
    "iif",
    "indexof",
    "isempty",
    "isnotempty",
    "isnotnull",
    "isnull",
    "log",
    "log10",
    "log2",
    "make_datetime",
    "max_of",
    "min_of",
    "monthofyear",
    "not",
    "now",
    "parse_json",
    "parsejson",
    "pow",
    "replace_regex",
    "replace_string",
    "reverse",
    "round",
    "sign",
    "split",
    "sqrt",
    "startofday",
    "startofmonth",
    "startofweek",
    "startofyear",
    "strcat",
    "pack_all",
    "bag_pack_columns",
    "column_names_of",
    "strcat_delim",
    "strlen",
    "substring",
    "tobool",
    "toboolean",
    "todatetime",
    "todecimal",
    "todouble",
    "todynamic",
    "toguid",
    "toint",
    "tolong",
    "tolower",
    "toreal",
    "toscalar",
    "tostring",
    "totimespan",
    "toupper",
    "trim",
    "trim_end",
    "trim_start",
    "unixtime_microseconds_todatetime",
    "unixtime_milliseconds_todatetime",
    "unixtime_nanoseconds_todatetime",
    "unixtime_seconds_todatetime",
    "url_decode",
    "url_encode",
];

impl Planner<'_> {
    /// The arguments of a call, as positional scalar values.
    pub(crate) fn scalar_args(&mut self, args: &[Arg], input: &Relation) -> PResult<Vec<Typed>> {
        args.iter()
            .map(|a| match a {
                Arg::Positional(e) => self.scalar(e, input),
                Arg::Named { name, .. } => {
                    Err(self.unsupported(name.span, "named arguments to this function"))
                }
            })
            .collect()
    }

    fn arity(
        &mut self,
        name: &str,
        args: &[Typed],
        min: usize,
        max: usize,
        span: Span,
    ) -> PResult<()> {
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                format!("{min}")
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(self
                .error(span, format!("`{name}` takes {expected} arguments, not {}", args.len())));
        }
        Ok(())
    }

    fn expect_type(
        &mut self,
        name: &str,
        v: &Typed,
        ok: impl Fn(KqlType) -> bool,
        what: &str,
        span: Span,
    ) -> PResult<()> {
        if ok(v.ty) {
            Ok(())
        } else {
            Err(self.error(span, format!("`{name}` expects {what}, not a {}", v.ty)))
        }
    }

    pub(crate) fn call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Arg],
        span: Span,
        input: &Relation,
    ) -> PResult<Typed> {
        if let Some(Binding::Function(def)) = self.lookup(name).cloned() {
            let mut bound = Vec::with_capacity(def.params.len());
            for (i, p) in def.params.iter().enumerate() {
                let arg = match args.get(i) {
                    Some(a) => Some(a.value()),
                    None => p.default.as_ref(),
                };
                let Some(arg) = arg else {
                    return Err(
                        self.error(span, format!("`{name}` needs a value for `{}`", p.name.name))
                    );
                };
                bound.push(if matches!(p.ty, quarry_syntax::ast::ParamType::Tabular { .. }) {
                    Binding::Tabular(self.tabular(arg)?)
                } else {
                    Binding::Scalar(self.scalar(arg, input)?)
                });
            }
            if args.len() > def.params.len() {
                return Err(
                    self.error(span, format!("`{name}` takes {} arguments", def.params.len()))
                );
            }
            return match self.expand_function(&def, bound, span)? {
                Binding::Scalar(t) => Ok(t),
                _ => Err(self.error_with_help(
                    span,
                    format!("`{name}` returns a table, not a value"),
                    "to use a single value from it, write toscalar(...)",
                )),
            };
        }
        if !self.is_known_function(name) {
            return Err(self.unknown_function(name, name_span));
        }
        if crate::window::is_window(name) {
            return self.window_call(name, args, span, input);
        }
        if crate::aggregates::is_aggregate(name) && self.aggregation.is_some() {
            return self.aggregate_call(name, args, span);
        }
        if crate::aggregates::is_aggregate(name) {
            return Err(self.error_with_help(
                name_span,
                format!("`{name}` is an aggregation"),
                "aggregations go in `summarize` (or `make-series`)",
            ));
        }
        match name {
            "toscalar" => return self.toscalar(args, span),
            "pack_all" | "bag_pack_columns" => {
                // A bag of the row's columns (the input's, not those defined beside it), or of
                // the columns given.
                let mut parts = Vec::new();
                let mut ignore_empty = false;
                if name == "pack_all" {
                    if let Some(flag) = args.first() {
                        let v = self.scalar(flag.value(), input)?;
                        match crate::evaluate_constant(&v.expr) {
                            Some(ScalarValue::Boolean(Some(b))) => ignore_empty = b,
                            _ => return Err(self.error(span, "`pack_all` takes a constant bool")),
                        }
                    }
                    let schema = input.plan.schema().clone();
                    for c in &input.columns {
                        if schema.has_column_with_unqualified_name(&c.name) {
                            parts.push(lit(c.name.clone()));
                            parts.push(to_type(column(&c.name), c.ty, KqlType::Dynamic));
                        }
                    }
                } else {
                    for a in args {
                        let Some(n) = a.value().as_name() else {
                            return Err(self.error(a.value().span, "expected a column"));
                        };
                        let v = self.scalar(a.value(), input)?;
                        parts.push(lit(n.name.clone()));
                        parts.push(to_type(v.expr, v.ty, KqlType::Dynamic));
                    }
                }
                let f = quarry_functions::library::find("bag_pack").ok_or(crate::planner::Stop)?;
                let bag = f.call(parts);
                let bag =
                    if ignore_empty { quarry_functions::dynamic::drop_empty(bag) } else { bag };
                return Ok(Typed::new(bag, KqlType::Dynamic));
            }
            "column_names_of" => {
                let [Arg::Positional(table)] = args else {
                    return Err(self.error(span, "`column_names_of` takes a table"));
                };
                let rel = self.tabular(table)?;
                let names: Vec<&str> = rel.names().collect();
                let json = serde_json::to_string(&names).unwrap_or_default();
                return Ok(Typed::new(lit(json), KqlType::Dynamic));
            }
            "column_ifexists" | "columnifexists" => {
                let [Arg::Positional(c), Arg::Positional(default)] = args else {
                    return Err(
                        self.error(span, "`column_ifexists` takes a column name and a default")
                    );
                };
                let Ok(column_name) = self.constant_text(c, input) else {
                    return Err(self.error(c.span, "expected the column's name as a string"));
                };
                if let Some(col) = input.column(&column_name).cloned() {
                    return Ok(Typed::new(column(&col.name), col.ty));
                }
                return self.scalar(default, input);
            }
            _ => {}
        }
        let a = self.scalar_args(args, input)?;
        let s = span;
        let t = |e: DfExpr, ty: KqlType| Ok(Typed::new(e, ty));
        match name {
            "now" => {
                self.arity(name, &a, 0, 1, s)?;
                let now = datetime_lit(Some(self.options.now));
                match a.first() {
                    Some(offset) => self.binary(
                        quarry_syntax::ast::BinaryOp::Add,
                        Typed::new(now, KqlType::DateTime),
                        offset.clone(),
                        s,
                    ),
                    None => t(now, KqlType::DateTime),
                }
            }
            "ago" => {
                self.arity(name, &a, 1, 1, s)?;
                self.expect_type(name, &a[0], |t| t == KqlType::TimeSpan, "a timespan", s)?;
                let now = Typed::new(datetime_lit(Some(self.options.now)), KqlType::DateTime);
                self.binary(quarry_syntax::ast::BinaryOp::Sub, now, a[0].clone(), s)
            }
            "iff" | "iif" => {
                self.arity(name, &a, 3, 3, s)?;
                self.conditional(a, s)
            }
            "case" => {
                self.arity(name, &a, 3, usize::MAX, s)?;
                self.conditional(a, s)
            }
            "not" => {
                self.arity(name, &a, 1, 1, s)?;
                let b = self.to_bool(a[0].clone(), s)?;
                t(not(b), KqlType::Bool)
            }
            "isnull" | "isnotnull" => {
                self.arity(name, &a, 1, 1, s)?;
                // A string is never null.
                let null = match a[0].ty {
                    KqlType::String => lit(false),
                    _ => a[0].expr.clone().is_null(),
                };
                t(if name == "isnull" { null } else { not(null) }, KqlType::Bool)
            }
            "isempty" | "isnotempty" => {
                self.arity(name, &a, 1, 1, s)?;
                let empty = f::strings::is_empty(a[0].expr.clone(), a[0].ty);
                t(if name == "isempty" { empty } else { not(empty) }, KqlType::Bool)
            }
            "coalesce" => {
                self.arity(name, &a, 2, usize::MAX, s)?;
                let mut ty = a[0].ty;
                for v in &a[1..] {
                    ty = crate::scalar::common_type(ty, v.ty).ok_or_else(|| {
                        self.error(
                            s,
                            format!("`coalesce` arguments differ in type: {ty} and {}", v.ty),
                        )
                    })?;
                }
                let exprs = a.into_iter().map(|v| widen(v.expr, v.ty, ty)).collect();
                t(f::strings::coalesce(exprs, ty), ty)
            }
            "tostring" | "tolong" | "toint" | "toreal" | "todouble" | "tobool" | "toboolean"
            | "todatetime" | "totimespan" | "toguid" | "todecimal" | "todynamic" => {
                self.arity(name, &a, 1, 1, s)?;
                let target = match name {
                    "tostring" => KqlType::String,
                    "tolong" => KqlType::Long,
                    "toint" => KqlType::Int,
                    "toreal" | "todouble" => KqlType::Real,
                    "tobool" | "toboolean" => KqlType::Bool,
                    "todatetime" => KqlType::DateTime,
                    "totimespan" => KqlType::TimeSpan,
                    "toguid" => KqlType::Guid,
                    "todecimal" => KqlType::Decimal,
                    _ => KqlType::Dynamic,
                };
                if target == KqlType::Dynamic && a[0].ty.is_text() {
                    return t(
                        quarry_functions::dynamic::parse_json(a[0].expr.clone()),
                        KqlType::Dynamic,
                    );
                }
                t(to_type(a[0].expr.clone(), a[0].ty, target), target)
            }
            "parse_json" | "parsejson" => {
                self.arity(name, &a, 1, 1, s)?;
                if a[0].ty == KqlType::Dynamic {
                    return Ok(a[0].clone());
                }
                let text = self.to_text(a[0].clone());
                t(quarry_functions::dynamic::parse_json(text), KqlType::Dynamic)
            }
            "array_length" | "arraylength" => {
                self.arity(name, &a, 1, 1, s)?;
                self.expect_type(name, &a[0], |t| t == KqlType::Dynamic, "a dynamic array", s)?;
                t(quarry_functions::dynamic::array_length(a[0].expr.clone()), KqlType::Long)
            }
            "strlen"
            | "tolower"
            | "toupper"
            | "reverse"
            | "url_encode"
            | "url_decode"
            | "base64_encode_tostring"
            | "base64_decode_tostring"
            | "hash_md5"
            | "hash_sha1"
            | "hash_sha256" => {
                self.arity(name, &a, 1, 1, s)?;
                let text = self.to_text(a[0].clone());
                let (e, ty) = f::strings::unary(name, text);
                t(e, ty)
            }
            "hash" => {
                self.arity(name, &a, 1, 2, s)?;
                if a[0].ty != KqlType::String {
                    return Err(self.unsupported(s, format!("`hash` of a {}", a[0].ty)));
                }
                let mut args = vec![a[0].expr.clone()];
                if let Some(m) = a.get(1) {
                    self.expect_type(name, m, KqlType::is_numeric, "a number", s)?;
                    args.push(to_type(m.expr.clone(), m.ty, KqlType::Long));
                }
                t(f::strings::hash(args), KqlType::Long)
            }
            "strcat" => {
                self.arity(name, &a, 1, 64, s)?;
                let parts = a.into_iter().map(|v| self.to_text(v)).collect();
                t(f::strings::strcat(parts), KqlType::String)
            }
            "strcat_delim" => {
                self.arity(name, &a, 3, 65, s)?;
                let parts: Vec<DfExpr> = a.into_iter().map(|v| self.to_text(v)).collect();
                t(f::strings::strcat_delim(parts), KqlType::String)
            }
            "substring" => {
                self.arity(name, &a, 2, 3, s)?;
                let mut parts = vec![self.to_text(a[0].clone())];
                for v in &a[1..] {
                    self.expect_type(name, v, KqlType::is_numeric, "a number", s)?;
                    parts.push(to_type(v.expr.clone(), v.ty, KqlType::Long));
                }
                t(f::strings::substring(parts), KqlType::String)
            }
            "trim" | "trim_start" | "trim_end" => {
                self.arity(name, &a, 2, 2, s)?;
                let (re, text) = (self.to_text(a[0].clone()), self.to_text(a[1].clone()));
                t(f::strings::trim(name, re, text), KqlType::String)
            }
            "replace_string" | "replace_regex" => {
                self.arity(name, &a, 3, 3, s)?;
                let parts = a.into_iter().map(|v| self.to_text(v)).collect();
                t(f::strings::replace(name, parts), KqlType::String)
            }
            "indexof" => {
                self.arity(name, &a, 2, 5, s)?;
                let mut parts = vec![self.to_text(a[0].clone()), self.to_text(a[1].clone())];
                for v in &a[2..] {
                    parts.push(to_type(v.expr.clone(), v.ty, KqlType::Long));
                }
                t(f::strings::indexof(parts), KqlType::Long)
            }
            "countof" => {
                self.arity(name, &a, 2, 3, s)?;
                let parts = a.into_iter().map(|v| self.to_text(v)).collect();
                t(f::strings::countof(parts), KqlType::Long)
            }
            "split" => {
                self.arity(name, &a, 2, 3, s)?;
                let mut parts = vec![self.to_text(a[0].clone()), self.to_text(a[1].clone())];
                if let Some(i) = a.get(2) {
                    parts.push(to_type(i.expr.clone(), i.ty, KqlType::Long));
                }
                t(f::strings::split(parts), KqlType::Dynamic)
            }
            "extract" => {
                self.arity(name, &a, 3, 4, s)?;
                if a.len() == 4 {
                    return Err(self.unsupported(s, "`extract` with a result type"));
                }
                let group = to_type(a[1].expr.clone(), a[1].ty, KqlType::Long);
                let (re, text) = (self.to_text(a[0].clone()), self.to_text(a[2].clone()));
                t(f::strings::extract(re, group, text), KqlType::String)
            }
            "abs" | "sqrt" | "exp" | "exp2" | "exp10" | "log" | "log2" | "log10" | "sign"
            | "ceiling" => {
                self.arity(name, &a, 1, 1, s)?;
                self.expect_type(name, &a[0], KqlType::is_numeric, "a number", s)?;
                let keeps_type = matches!(name, "abs" | "sign") && a[0].ty != KqlType::Decimal;
                let ty = if keeps_type { widen_int(a[0].ty) } else { KqlType::Real };
                let value = widen(a[0].expr.clone(), a[0].ty, ty);
                t(f::math::unary(name, value), ty)
            }
            "pow" => {
                self.arity(name, &a, 2, 2, s)?;
                let x = to_type(a[0].expr.clone(), a[0].ty, KqlType::Real);
                let y = to_type(a[1].expr.clone(), a[1].ty, KqlType::Real);
                t(f::math::pow(x, y), KqlType::Real)
            }
            "round" => {
                self.arity(name, &a, 1, 2, s)?;
                self.expect_type(name, &a[0], KqlType::is_numeric, "a number", s)?;
                let digits = a.get(1).map(|d| to_type(d.expr.clone(), d.ty, KqlType::Long));
                let ty = widen_int(a[0].ty);
                t(f::math::round(widen(a[0].expr.clone(), a[0].ty, ty), digits), ty)
            }
            "bin" | "floor" | "bin_at" => {
                let (n, min) = if name == "bin_at" { (3, 3) } else { (2, 2) };
                self.arity(name, &a, min, n, s)?;
                let ty = widen_int(a[0].ty);
                let ok = ty.is_numeric() || matches!(ty, KqlType::DateTime | KqlType::TimeSpan);
                if !ok {
                    return Err(self.error(s, format!("`{name}` cannot round a {}", a[0].ty)));
                }
                let value = widen(a[0].expr.clone(), a[0].ty, ty);
                let size = a[1].expr.clone();
                let anchor = a.get(2).map(|x| x.expr.clone());
                t(f::datetime::bin(value, size, anchor), ty)
            }
            "max_of" | "min_of" => {
                self.arity(name, &a, 1, 64, s)?;
                let mut ty = a[0].ty;
                for v in &a[1..] {
                    ty = crate::scalar::common_type(ty, v.ty).ok_or_else(|| {
                        self.error(
                            s,
                            format!("`{name}` arguments differ in type: {ty} and {}", v.ty),
                        )
                    })?;
                }
                let exprs = a.into_iter().map(|v| widen(v.expr, v.ty, ty)).collect();
                t(f::math::extreme(name == "max_of", exprs), ty)
            }
            "startofday" | "startofweek" | "startofmonth" | "startofyear" | "endofday"
            | "endofweek" | "endofmonth" | "endofyear" => {
                self.arity(name, &a, 1, 2, s)?;
                self.expect_type(name, &a[0], |t| t == KqlType::DateTime, "a datetime", s)?;
                let offset = a.get(1).map(|o| to_type(o.expr.clone(), o.ty, KqlType::Long));
                t(f::datetime::period_edge(name, a[0].expr.clone(), offset), KqlType::DateTime)
            }
            "dayofweek" => {
                self.arity(name, &a, 1, 1, s)?;
                t(f::datetime::part("dayofweek", a[0].expr.clone()), KqlType::TimeSpan)
            }
            "hourofday" | "dayofmonth" | "dayofyear" | "getyear" | "getmonth" | "monthofyear" => {
                self.arity(name, &a, 1, 1, s)?;
                self.expect_type(name, &a[0], |t| t == KqlType::DateTime, "a datetime", s)?;
                t(f::datetime::part(name, a[0].expr.clone()), KqlType::Int)
            }
            "datetime_part" => {
                self.arity(name, &a, 2, 2, s)?;
                let unit = self.to_text(a[0].clone());
                t(f::datetime::datetime_part(unit, a[1].expr.clone()), KqlType::Int)
            }
            "datetime_add" => {
                self.arity(name, &a, 3, 3, s)?;
                let unit = self.to_text(a[0].clone());
                let n = to_type(a[1].expr.clone(), a[1].ty, KqlType::Long);
                t(f::datetime::datetime_add(unit, n, a[2].expr.clone()), KqlType::DateTime)
            }
            "datetime_diff" => {
                self.arity(name, &a, 3, 3, s)?;
                let unit = self.to_text(a[0].clone());
                t(
                    f::datetime::datetime_diff(unit, a[1].expr.clone(), a[2].expr.clone()),
                    KqlType::Long,
                )
            }
            "format_datetime" => {
                self.arity(name, &a, 2, 2, s)?;
                let fmt = self.to_text(a[1].clone());
                t(f::datetime::format_datetime(a[0].expr.clone(), fmt), KqlType::String)
            }
            "format_timespan" => {
                self.arity(name, &a, 2, 2, s)?;
                let fmt = self.to_text(a[1].clone());
                t(f::datetime::format_timespan(a[0].expr.clone(), fmt), KqlType::String)
            }
            "make_datetime" => {
                self.arity(name, &a, 3, 7, s)?;
                let parts =
                    a.iter().map(|v| to_type(v.expr.clone(), v.ty, KqlType::Real)).collect();
                t(f::datetime::make_datetime(parts), KqlType::DateTime)
            }
            "unixtime_seconds_todatetime"
            | "unixtime_milliseconds_todatetime"
            | "unixtime_microseconds_todatetime"
            | "unixtime_nanoseconds_todatetime" => {
                self.arity(name, &a, 1, 1, s)?;
                let v = to_type(a[0].expr.clone(), a[0].ty, KqlType::Real);
                t(f::datetime::from_unix(name, v), KqlType::DateTime)
            }
            _ => match quarry_functions::library::find(name) {
                Some(f) => self.library_call(f, a, s),
                None => Err(self.unknown_function(name, name_span)),
            },
        }
    }

    fn is_known_function(&self, name: &str) -> bool {
        SCALAR_FUNCTIONS.contains(&name)
            || crate::aggregates::is_aggregate(name)
            || crate::window::is_window(name)
            || quarry_functions::library::find(name).is_some()
            || self.lookup(name).is_some()
    }

    fn unknown_function(&mut self, name: &str, span: Span) -> crate::planner::Stop {
        let mut known: Vec<&str> = SCALAR_FUNCTIONS.to_vec();
        known.extend(crate::aggregates::AGGREGATES);
        known.extend(crate::window::WINDOW_FUNCTIONS);
        known.extend(quarry_functions::library::names());
        let bound = self.bound_names();
        let candidates = known.iter().copied().chain(bound.iter().map(String::as_str));
        let message = format!("unknown function `{name}`");
        match quarry_syntax::suggest::closest(name, candidates) {
            Some(c) => self.error_with_help(span, message, format!("did you mean `{c}`?")),
            None => self.error(span, message),
        }
    }

    /// A function of the library: arity checked, arguments converted to the kinds it takes.
    fn library_call(
        &mut self,
        f: &'static quarry_functions::library::Function,
        args: Vec<Typed>,
        span: Span,
    ) -> PResult<Typed> {
        use quarry_functions::library::Kind;
        let (min, max) = f.arity();
        self.arity(f.name, &args, min, max, span)?;
        let mut exprs = Vec::with_capacity(args.len());
        for (i, a) in args.into_iter().enumerate() {
            let expr = match f.kind_of(i) {
                Kind::Any => a.expr,
                Kind::Text => self.to_text(a),
                Kind::Dynamic if a.ty == KqlType::Dynamic => a.expr,
                Kind::Dynamic => to_type(a.expr, a.ty, KqlType::Dynamic),
                Kind::Long => to_type(a.expr, a.ty, KqlType::Long),
                Kind::Real => to_type(a.expr, a.ty, KqlType::Real),
                Kind::Bool => to_type(a.expr, a.ty, KqlType::Bool),
                Kind::DateTime => to_type(a.expr, a.ty, KqlType::DateTime),
                Kind::TimeSpan => to_type(a.expr, a.ty, KqlType::TimeSpan),
            };
            exprs.push(expr);
        }
        Ok(Typed::new(f.call(exprs), f.returns))
    }

    /// `toscalar(query)`: the first column of the query's first row.
    fn toscalar(&mut self, args: &[Arg], span: Span) -> PResult<Typed> {
        let query = args.iter().find_map(|a| match a {
            Arg::Positional(e) => Some(e),
            _ => None,
        });
        let Some(query) = query else {
            return Err(self.error(span, "`toscalar` needs a query"));
        };
        let sub = if self.is_tabular(query) {
            self.tabular(query)?
        } else {
            // `toscalar(1 + 1)`: a value is its own scalar.
            let empty = self.empty_relation();
            return self.scalar(query, &empty);
        };
        let Some(first) = sub.columns.first().cloned() else {
            return Err(self.error(query.span, "the query has no columns"));
        };
        let sub = self.keep(&sub, std::slice::from_ref(&first.name), query.span)?;
        let plan = match sub.builder().limit(0, Some(1)).and_then(|b| b.build()) {
            Ok(p) => p,
            Err(e) => return Err(self.internal(span, e)),
        };
        let subquery = Subquery {
            subquery: Arc::new(plan),
            outer_ref_columns: Vec::new(),
            spans: Default::default(),
        };
        Ok(Typed::new(DfExpr::ScalarSubquery(subquery), first.ty))
    }

    /// The text of an argument that must be a constant string (a column name, a format).
    pub(crate) fn constant_text(&mut self, e: &Expr, input: &Relation) -> Result<String, ()> {
        let v = self.scalar(e, input).map_err(|_| ())?;
        quarry_functions::strings::constant_string(&v.expr).ok_or(())
    }
}

/// Integer arithmetic results are longs.
fn widen_int(t: KqlType) -> KqlType {
    if t == KqlType::Int { KqlType::Long } else { t }
}

#[allow(dead_code)]
fn unused(_: DfExpr) -> DfExpr {
    timespan_lit(None)
}
