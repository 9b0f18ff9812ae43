//! `evaluate` plugins. `bag_unpack` turns the properties of a dynamic column into columns;
//! which columns depends on the data, so unless the query declares them (`: (*, Name:string)`)
//! the rows are read once while planning to find the properties and their types.

use crate::catalog::ColumnDef;
use crate::planner::{PResult, Planner};
use crate::relation::{Relation, column};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use quarry_functions::KqlType;
use quarry_functions::convert::to_type;
use quarry_syntax::Span;
use quarry_syntax::ast::{Arg, ColumnDecl, Expr, ExprKind};
use serde_json::Value;

/// What `bag_unpack` does with a property named like a column the input already has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Conflict {
    Error,
    ReplaceSource,
    KeepSource,
}

impl Planner<'_> {
    /// `T | evaluate plugin(args) [: (schema)]`.
    pub(crate) fn evaluate(
        &mut self,
        input: Relation,
        call: &Expr,
        schema: Option<&(Vec<ColumnDecl>, bool)>,
        span: Span,
    ) -> PResult<Relation> {
        let ExprKind::Call { receiver: None, name, args } = &call.kind else {
            return Err(self.error(call.span, "expected a plugin call after `evaluate`"));
        };
        match name.name.as_str() {
            "bag_unpack" => self.bag_unpack(input, args, schema, span),
            other => Err(self.unsupported(name.span, format!("the `{other}` plugin"))),
        }
    }

    fn bag_unpack(
        &mut self,
        input: Relation,
        args: &[Arg],
        schema: Option<&(Vec<ColumnDecl>, bool)>,
        span: Span,
    ) -> PResult<Relation> {
        let mut prefix = String::new();
        let mut conflict = Conflict::Error;
        let mut ignored: Vec<String> = Vec::new();
        let Some(Arg::Positional(bag)) = args.first() else {
            return Err(self.error(span, "`bag_unpack` needs the dynamic column to unpack"));
        };
        let Some(bag_name) = bag.as_name().map(|n| n.name.clone()) else {
            return Err(self.unsupported(bag.span, "unpacking an expression (name a column)"));
        };
        let Some(bag_column) = input.column(&bag_name).cloned() else {
            return Err(self.unknown_column(&input, &bag_name, bag.span));
        };
        if bag_column.ty != KqlType::Dynamic {
            return Err(
                self.error(bag.span, format!("`{bag_name}` is a {}, not dynamic", bag_column.ty))
            );
        }
        let empty = self.empty_relation();
        for (i, arg) in args.iter().enumerate().skip(1) {
            let (key, value) = match arg {
                Arg::Named { name, value } => (name.name.as_str(), value),
                Arg::Positional(v) if i == 1 => ("OutputColumnPrefix", v),
                Arg::Positional(v) => {
                    return Err(self.error(v.span, "unexpected argument to `bag_unpack`"));
                }
            };
            let v = self.scalar(value, &empty)?;
            let text = match crate::evaluate_constant(&v.expr) {
                Some(ScalarValue::Utf8(Some(t))) => t,
                _ => return Err(self.error(value.span, "expected a constant")),
            };
            match key {
                "OutputColumnPrefix" => prefix = text,
                "columnsConflict" => {
                    conflict = match text.as_str() {
                        "error" => Conflict::Error,
                        "replace_source" => Conflict::ReplaceSource,
                        "keep_source" => Conflict::KeepSource,
                        other => {
                            return Err(self
                                .error(value.span, format!("unknown columnsConflict `{other}`")));
                        }
                    }
                }
                "ignoredProperties" => match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Array(items)) => {
                        ignored =
                            items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect()
                    }
                    _ => {
                        return Err(
                            self.error(value.span, "ignoredProperties must be an array of names")
                        );
                    }
                },
                other => {
                    return Err(self.error(
                        arg.value().span,
                        format!("unknown `bag_unpack` argument `{other}`"),
                    ));
                }
            }
        }

        // The properties to unpack: declared, or found in the data.
        let (properties, keep_others): (Vec<(String, KqlType)>, bool) = match schema {
            Some((decls, open)) => {
                let mut props = Vec::new();
                for d in decls {
                    let ty = KqlType::from_name(&d.ty.name).ok_or_else(|| {
                        self.error(d.ty.span, format!("`{}` is not a type", d.ty.name))
                    })?;
                    if !input.has(&d.name.name) || *open {
                        props.push((d.name.name.clone(), ty));
                    }
                }
                (props, *open)
            }
            None => {
                let plan = input
                    .builder()
                    .project(vec![column(&bag_name)])
                    .and_then(|b| b.build())
                    .map_err(|e| self.internal(span, e))?;
                let found = properties_of(plan).map_err(|e| self.internal(span, e))?;
                let found = found.into_iter().filter(|(k, _)| !ignored.contains(k)).collect();
                (found, true)
            }
        };

        let mut out: Vec<(datafusion::logical_expr::Expr, ColumnDef)> = Vec::new();
        let unpacked: Vec<(String, String, KqlType)> =
            properties.into_iter().map(|(key, ty)| (format!("{prefix}{key}"), key, ty)).collect();
        if keep_others {
            for c in &input.columns {
                if c.name == bag_name {
                    continue;
                }
                let clashes = unpacked.iter().any(|(n, _, _)| *n == c.name);
                if clashes && schema.is_none() {
                    match conflict {
                        Conflict::Error => {
                            return Err(self.error(
                                span,
                                format!(
                                    "the property `{}` clashes with a column; use columnsConflict",
                                    c.name
                                ),
                            ));
                        }
                        Conflict::ReplaceSource => {
                            // The property takes the source column's place.
                            if let Some((name, key, ty)) =
                                unpacked.iter().find(|(n, _, _)| *n == c.name)
                            {
                                out.push((
                                    unpack(&bag_name, key, *ty),
                                    ColumnDef::new(name.clone(), *ty),
                                ));
                            }
                            continue;
                        }
                        Conflict::KeepSource => {}
                    }
                }
                if clashes && schema.is_some() {
                    continue;
                }
                out.push((column(&c.name), c.clone()));
            }
        }
        for (name, key, ty) in unpacked {
            if out.iter().any(|(_, c)| c.name == name) {
                continue; // keep_source
            }
            out.push((unpack(&bag_name, &key, ty), ColumnDef::new(name, ty)));
        }
        self.project(&input, out, span)
    }
}

/// The property `key` of the bags in column `bag`, as a `ty`.
fn unpack(bag: &str, key: &str, ty: KqlType) -> datafusion::logical_expr::Expr {
    let value = quarry_functions::dynamic::get(column(bag), datafusion::logical_expr::lit(key));
    to_type(value, KqlType::Dynamic, ty)
}

/// The properties of the bags in the plan's only column, sorted by name, each with the type
/// its values share (dynamic when they differ).
fn properties_of(plan: LogicalPlan) -> Result<Vec<(String, KqlType)>, String> {
    let batches = collect_now(plan)?;
    let mut found: std::collections::BTreeMap<String, Option<KqlType>> = Default::default();
    for batch in &batches {
        let texts = batch.column(0).as_string_opt::<i32>().ok_or("bag_unpack: expected text")?;
        for i in 0..texts.len() {
            if texts.is_null(i) {
                continue;
            }
            let Ok(Value::Object(map)) = serde_json::from_str::<Value>(texts.value(i)) else {
                continue;
            };
            for (k, v) in map {
                let ty = match &v {
                    Value::Null => None,
                    Value::String(_) => Some(KqlType::String),
                    Value::Bool(_) => Some(KqlType::Bool),
                    Value::Number(n) if n.is_i64() => Some(KqlType::Long),
                    Value::Number(_) => Some(KqlType::Real),
                    _ => Some(KqlType::Dynamic),
                };
                let slot = found.entry(k).or_insert(None);
                *slot = match (*slot, ty) {
                    (s, None) => s,
                    (None, t) => t,
                    (Some(a), Some(b)) if a == b => Some(a),
                    (Some(KqlType::Long), Some(KqlType::Real))
                    | (Some(KqlType::Real), Some(KqlType::Long)) => Some(KqlType::Real),
                    _ => Some(KqlType::Dynamic),
                };
            }
        }
    }
    Ok(found.into_iter().map(|(k, t)| (k, t.unwrap_or(KqlType::Dynamic))).collect())
}

/// Runs a plan to completion while planning, on a runtime of its own (the caller may itself
/// be running on one).
fn collect_now(plan: LogicalPlan) -> Result<Vec<datafusion::arrow::array::RecordBatch>, String> {
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .map_err(|e| e.to_string())?;
                runtime.block_on(async move {
                    let ctx = SessionContext::new();
                    let frame = ctx.execute_logical_plan(plan).await.map_err(|e| e.to_string())?;
                    frame.collect().await.map_err(|e| e.to_string())
                })
            })
            .join()
            .unwrap_or_else(|_| Err("reading the rows failed".to_string()))
    })
}
