//! Operators that reshape rows: `mv-expand`, `parse` / `parse-where`, `invoke`.

use crate::catalog::ColumnDef;
use crate::planner::{Binding, PResult, Planner};
use crate::relation::{Relation, column};
use datafusion::common::{Column, UnnestOptions};
use datafusion::logical_expr::{Expr as DfExpr, lit};
use quarry_functions::KqlType;
use quarry_functions::convert::to_type;
use quarry_functions::dynamic::{BagExpansion, item_indexes, to_list};
use quarry_syntax::Span;
use quarry_syntax::ast::{ExpandItem, Expr, ExprKind, OpParam, ParsePart};

/// The default row limit of `mv-expand`, and of the legacy `mvexpand`.
const EXPAND_LIMIT: i64 = i32::MAX as i64;
const LEGACY_EXPAND_LIMIT: i64 = 128;

impl Planner<'_> {
    /// `mv-expand`: one row per element of the named arrays (expanded side by side, the
    /// shorter padded with null); an empty array drops the row, a null keeps one.
    pub(crate) fn mv_expand(
        &mut self,
        input: &Relation,
        items: &[ExpandItem],
        limit: Option<&Expr>,
        params: &[OpParam],
        legacy: bool,
        span: Span,
    ) -> PResult<Relation> {
        let mut expansion = BagExpansion::Bag;
        let mut index_column = None;
        for p in params {
            let value = p.value.as_name().map(|n| n.name.clone()).unwrap_or_default();
            match p.name.name.as_str() {
                "bagexpansion" | "kind" => {
                    expansion =
                        if value == "array" { BagExpansion::Array } else { BagExpansion::Bag }
                }
                "with_itemindex" => index_column = Some(value),
                _ => {}
            }
        }
        let limit = match limit {
            Some(e) => {
                let empty = self.empty_relation();
                let v = self.scalar(e, &empty)?;
                match crate::evaluate_constant(&v.expr) {
                    Some(datafusion::common::ScalarValue::Int64(Some(n))) if n >= 0 => n,
                    _ => return Err(self.error(e.span, "the limit must be a constant number")),
                }
            }
            None if legacy => LEGACY_EXPAND_LIMIT,
            None => EXPAND_LIMIT,
        };

        // 1. Each expanded value becomes a list of JSON texts, under its output name.
        let mut lists: Vec<(String, DfExpr, KqlType)> = Vec::new();
        for item in items {
            let v = self.scalar(&item.item.value, input)?;
            let name = match item.item.names.first() {
                Some(n) => n.name.clone(),
                None => match &item.item.value.kind {
                    ExprKind::Name(n) => n.name.clone(),
                    _ => crate::aggregates::key_name(&item.item.value)
                        .unwrap_or_else(|| format!("Column{}", lists.len() + 1)),
                },
            };
            let dynamic = if v.ty == KqlType::Dynamic {
                v.expr
            } else {
                to_type(v.expr, v.ty, KqlType::Dynamic)
            };
            let target = match &item.to_type {
                Some(t) => KqlType::from_name(&t.name)
                    .ok_or_else(|| self.error(t.span, format!("`{}` is not a type", t.name)))?,
                None => KqlType::Dynamic,
            };
            lists.push((name, to_list(dynamic, expansion, limit), target));
        }
        let mut exprs: Vec<(DfExpr, ColumnDef)> = Vec::new();
        let list_type = ColumnDef::new("", KqlType::Dynamic);
        for c in &input.columns {
            match lists.iter().find(|(n, _, _)| *n == c.name) {
                Some((n, e, _)) => {
                    exprs.push((e.clone(), ColumnDef { name: n.clone(), ..list_type.clone() }))
                }
                None => exprs.push((column(&c.name), c.clone())),
            }
        }
        for (n, e, _) in &lists {
            if !input.has(n) {
                exprs.push((e.clone(), ColumnDef { name: n.clone(), ..list_type.clone() }));
            }
        }
        if let Some(index) = &index_column {
            let all = lists.iter().map(|(_, e, _)| e.clone()).collect();
            exprs.push((item_indexes(all), ColumnDef::new(index.clone(), KqlType::Long)));
        }
        // (The list columns are not KQL values; this relation only feeds the unnest.)
        let listed = self.project(input, exprs, span)?;

        // 2. Unnest them side by side.
        let mut unnested: Vec<Column> =
            lists.iter().map(|(n, _, _)| Column::new_unqualified(n)).collect();
        if let Some(index) = &index_column {
            unnested.push(Column::new_unqualified(index));
        }
        let plan = listed
            .builder()
            .unnest_columns_with_options(unnested, UnnestOptions::default())
            .and_then(|b| b.build())
            .map_err(|e| self.internal(span, e))?;
        let expanded = Relation::new(plan, Vec::new());

        // 3. Elements back to KQL values: dynamic, or the type asked for.
        let mut out = Vec::new();
        for c in &listed.columns {
            match lists.iter().find(|(n, _, _)| *n == c.name) {
                Some((n, _, target)) => {
                    let e = if *target == KqlType::Dynamic {
                        column(n)
                    } else {
                        to_type(column(n), KqlType::Dynamic, *target)
                    };
                    out.push((e, ColumnDef::new(n.clone(), *target)));
                }
                None => out.push((column(&c.name), c.clone())),
            }
        }
        self.project(&expanded, out, span)
    }

    /// `parse` and `parse-where`: columns extracted from a text by a pattern of strings and
    /// column names (`kind=regex`: the strings are regular expressions).
    pub(crate) fn parse_operator(
        &mut self,
        input: &Relation,
        source: &Expr,
        pattern: &[ParsePart],
        params: &[OpParam],
        keep_unmatched: bool,
        span: Span,
    ) -> PResult<Relation> {
        let mut kind = "simple".to_string();
        let mut flags = String::new();
        for p in params {
            let value = match (&p.value.kind, p.value.as_name()) {
                (_, Some(n)) => n.name.clone(),
                (ExprKind::Literal(l), None) => match &l.value {
                    quarry_syntax::ast::LiteralValue::String(s) => s.clone(),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            match p.name.name.as_str() {
                "kind" => kind = value,
                "flags" => flags = value,
                _ => {}
            }
        }
        if !matches!(kind.as_str(), "simple" | "regex" | "relaxed") {
            return Err(self.error(span, format!("unknown parse kind `{kind}`")));
        }
        let regex_kind = kind == "regex";
        let text = self.scalar(source, input)?;
        let text = self.to_text(text);

        let mut regex = String::new();
        if !flags.is_empty() {
            regex.push_str(&format!("(?{flags})"));
        }
        if !regex_kind {
            regex.push('^');
        }
        let mut columns: Vec<(String, KqlType)> = Vec::new();
        let last_column = pattern.iter().rposition(|p| matches!(p, ParsePart::Column { .. }));
        let ends_with_star = matches!(pattern.last(), Some(ParsePart::Star));
        for (i, part) in pattern.iter().enumerate() {
            match part {
                ParsePart::Text(l) => {
                    let quarry_syntax::ast::LiteralValue::String(s) = &l.value else { continue };
                    if regex_kind { regex.push_str(s) } else { regex.push_str(&regex::escape(s)) }
                }
                ParsePart::Star => regex.push_str(if regex_kind || i + 1 == pattern.len() {
                    "(?:.*)"
                } else {
                    "(?:.*?)"
                }),
                ParsePart::Column { name, ty } => {
                    let ty = match ty {
                        Some(t) => KqlType::from_name(&t.name).ok_or_else(|| {
                            self.error(t.span, format!("`{}` is not a type", t.name))
                        })?,
                        None => KqlType::String,
                    };
                    // In regex mode columns are greedy (flag `U` turns that round); in relaxed
                    // mode a typed value that does not convert becomes null instead of
                    // failing the match.
                    let greedy = regex_kind || (Some(i) == last_column && i + 1 == pattern.len());
                    let group = format!("(?P<__c{}>", columns.len());
                    regex.push_str(&group);
                    let number = match ty {
                        KqlType::Long | KqlType::Int => Some(r"-?\d+"),
                        KqlType::Real => Some(r"-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?"),
                        _ => None,
                    };
                    let any = if greedy { ".*" } else { ".*?" };
                    match number {
                        Some(n) if kind == "relaxed" => regex.push_str(&format!("{n}|{any})")),
                        Some(n) => regex.push_str(&format!("{n})")),
                        None => regex.push_str(&format!("{any})")),
                    }
                    columns.push((name.name.clone(), ty));
                }
            }
        }
        if !regex_kind && !ends_with_star {
            regex.push('$');
        }
        let compiled = match regex::Regex::new(&regex) {
            Ok(r) => r,
            Err(e) => {
                return Err(self.error(
                    span,
                    format!("the parse pattern is not a valid regular expression: {e}"),
                ));
            }
        };
        let group_of = |i: usize| {
            let wanted = format!("__c{i}");
            compiled.capture_names().position(|n| n == Some(wanted.as_str())).unwrap_or(i + 1)
        };
        let matched = quarry_functions::regex::matches(text.clone(), lit(regex.clone()));
        let mut exprs: Vec<(DfExpr, ColumnDef)> = input
            .columns
            .iter()
            .filter(|c| !columns.iter().any(|(n, _)| *n == c.name))
            .map(|c| (column(&c.name), c.clone()))
            .collect();
        for (i, (name, ty)) in columns.iter().enumerate() {
            let group = quarry_functions::scalar::strings::extract(
                lit(regex.clone()),
                lit(group_of(i) as i64),
                text.clone(),
            );
            let value = if *ty == KqlType::String {
                group
            } else {
                // An unmatched group is empty: null once converted.
                to_type(group, KqlType::String, *ty)
            };
            exprs.push((value, ColumnDef::new(name.clone(), *ty)));
        }
        let rel = if keep_unmatched {
            input.clone()
        } else {
            let plan = input.builder().filter(matched).and_then(|b| b.build());
            let plan = plan.map_err(|e| self.internal(span, e))?;
            Relation { plan, ..input.clone() }
        };
        self.project(&rel, exprs, span)
    }

    /// `T | invoke f(args)`: `f(T, args)`.
    pub(crate) fn invoke(&mut self, input: Relation, call: &Expr, span: Span) -> PResult<Relation> {
        let ExprKind::Call { receiver: None, name, args } = &call.kind else {
            return Err(self.error(call.span, "expected a function call after `invoke`"));
        };
        let Some(Binding::Function(def)) = self.lookup(&name.name).cloned() else {
            return Err(self.error(
                name.span,
                format!("`{}` is not a function defined with `let`", name.name),
            ));
        };
        let Some((first, rest)) = def.params.split_first() else {
            return Err(self.error(span, format!("`{}` takes no table to invoke it on", name.name)));
        };
        let _ = first;
        let empty = self.empty_relation();
        let mut bound = vec![Binding::Tabular(input)];
        for (i, p) in rest.iter().enumerate() {
            let arg = args.get(i).map(|a| a.value()).or(p.default.as_ref());
            let Some(arg) = arg else {
                return Err(self
                    .error(span, format!("`{}` needs a value for `{}`", name.name, p.name.name)));
            };
            bound.push(match p.ty {
                quarry_syntax::ast::ParamType::Tabular { .. } => {
                    Binding::Tabular(self.tabular(arg)?)
                }
                _ => Binding::Scalar(self.scalar(arg, &empty)?),
            });
        }
        match self.expand_function(&def, bound, span)? {
            Binding::Tabular(r) => Ok(r),
            _ => Err(self.error(span, format!("`{}` returns a value, not a table", name.name))),
        }
    }
}
