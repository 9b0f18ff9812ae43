//! Tabular expressions and operators: sources (tables, `print`, `datatable`, `range`,
//! `union`) and what follows `|`.

use crate::aggregates::Names;
use crate::catalog::ColumnDef;
use crate::planner::{Binding, PResult, Planner, Stop};
use crate::relation::{Relation, Typed, column, qualified};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{JoinType, ScalarValue};
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlanBuilder, SortExpr, cast, lit};
use quarry_functions::KqlType;
use quarry_syntax::Span;
use quarry_syntax::ast::{
    Assignment, Expr, ExprKind, NullsOrder, OpParam, Operator, OperatorKind, PipeOp, SortKey,
    SortOrder,
};
use std::collections::HashMap;

impl Planner<'_> {
    /// Lowers a tabular expression.
    pub(crate) fn tabular(&mut self, e: &Expr) -> PResult<Relation> {
        match &e.kind {
            ExprKind::Paren(inner) => self.tabular(inner),
            ExprKind::Name(n) => self.named_table(&n.name, e.span),
            ExprKind::Pipeline { source, ops } => {
                if matches!(source.kind, ExprKind::Error) {
                    return Err(Stop);
                }
                let mut rel = self.tabular(source)?;
                for op in ops {
                    rel = self.pipe_op(rel, op)?;
                }
                Ok(rel)
            }
            ExprKind::Operator(op) => self.source_operator(op),
            ExprKind::Call { receiver: None, name, args } => match name.name.as_str() {
                "table" => {
                    let empty = self.empty_relation();
                    let [arg] = args.as_slice() else {
                        return Err(self.error(e.span, "`table` takes the table's name"));
                    };
                    let Ok(table) = self.constant_text(arg.value(), &empty) else {
                        return Err(
                            self.error(arg.value().span, "expected the table's name as a string")
                        );
                    };
                    self.named_table(&table, e.span)
                }
                "materialize" => match args.as_slice() {
                    [arg] => self.tabular(arg.value()),
                    _ => Err(self.error(e.span, "`materialize` takes one query")),
                },
                other => match self.lookup(other).cloned() {
                    Some(Binding::Function(def)) => {
                        let empty = self.empty_relation();
                        let mut bound = Vec::new();
                        for (i, p) in def.params.iter().enumerate() {
                            let arg = args.get(i).map(|a| a.value()).or(p.default.as_ref());
                            let Some(arg) = arg else {
                                return Err(self.error(
                                    e.span,
                                    format!("`{other}` needs a value for `{}`", p.name.name),
                                ));
                            };
                            bound.push(match p.ty {
                                quarry_syntax::ast::ParamType::Tabular { .. } => {
                                    Binding::Tabular(self.tabular(arg)?)
                                }
                                _ => Binding::Scalar(self.scalar(arg, &empty)?),
                            });
                        }
                        match self.expand_function(&def, bound, e.span)? {
                            Binding::Tabular(r) => Ok(r),
                            _ => Err(self
                                .error(e.span, format!("`{other}` returns a value, not a table"))),
                        }
                    }
                    _ => Err(self.error(e.span, format!("`{other}(...)` is not a table"))),
                },
            },
            _ => Err(self.error(e.span, "expected a table or a query")),
        }
    }

    fn named_table(&mut self, name: &str, span: Span) -> PResult<Relation> {
        match self.lookup(name).cloned() {
            Some(Binding::Tabular(r)) => return Ok(r),
            Some(Binding::Function(def)) if def.params.is_empty() => {
                return match self.expand_function(&def, Vec::new(), span)? {
                    Binding::Tabular(r) => Ok(r),
                    _ => Err(self.error(span, format!("`{name}` is a value, not a table"))),
                };
            }
            Some(Binding::Scalar(_)) => {
                return Err(self.error(span, format!("`{name}` is a value, not a table")));
            }
            _ => {}
        }
        if let Some(table) = self.catalog.table(name) {
            return self.scan(table, span);
        }
        let names = self.catalog.table_names();
        let bound = self.bound_names();
        let candidates = names.iter().chain(bound.iter()).map(String::as_str);
        let message = format!("unknown table `{name}`");
        match quarry_syntax::suggest::closest(name, candidates) {
            Some(s) => Err(self.error_with_help(span, message, format!("did you mean `{s}`?"))),
            None => Err(self.error_with_help(
                span,
                message,
                "give its data with --data (a file or folder named after the table)",
            )),
        }
    }

    fn source_operator(&mut self, op: &Operator) -> PResult<Relation> {
        match &op.kind {
            OperatorKind::Print { items } => {
                let empty = self.empty_relation();
                self.print(&empty, items, op.span)
            }
            OperatorKind::Datatable { columns, values } => self.datatable(columns, values, op.span),
            OperatorKind::Range { column: name, from, to, step } => {
                // range's rows are serialized, in order.
                let rel = self.range(&name.name, from, to, step, op.span)?;
                Ok(Relation { order: Some(Vec::new()), ..rel })
            }
            OperatorKind::Union { tables } => self.union(None, tables, &op.params, op.span),
            OperatorKind::ExternalData { .. } => Err(self.error_with_help(
                op.keyword.span,
                "`externaldata` is not supported: Quarry runs offline and reads no URLs",
                "download the file and give it with --data, named after a table",
            )),
            OperatorKind::Search { .. } | OperatorKind::Find { .. } => {
                Err(self
                    .unsupported(op.keyword.span, format!("the `{}` operator", op.keyword.name)))
            }
            _ => Err(self.error_with_help(
                op.keyword.span,
                format!("`{}` cannot start a query", op.keyword.name),
                "start with a table, then `|`",
            )),
        }
    }

    pub(crate) fn pipe_op(&mut self, input: Relation, pipe: &PipeOp) -> PResult<Relation> {
        let op = &pipe.op;
        let span = op.span;
        self.check_params(op)?;
        if self.partition.is_some() {
            self.check_partitioned(&op.kind, &op.keyword.name, span)?;
        }
        match &op.kind {
            OperatorKind::Where { predicate, .. } => {
                let v = self.scalar(predicate, &input)?;
                let p = self.to_bool(v, predicate.span)?;
                let plan = input.builder().filter(p).and_then(|b| b.build());
                let plan = plan.map_err(|e| self.internal(span, e))?;
                Ok(Relation { plan, ..input })
            }
            OperatorKind::Project { items } => self.project_items(&input, items, false, span),
            OperatorKind::Extend { items } => self.project_items(&input, items, true, span),
            OperatorKind::ProjectAway { columns } => {
                let away = self.match_columns(&input, columns)?;
                let keep: Vec<String> = input
                    .names()
                    .filter(|n| !away.iter().any(|a| a == n))
                    .map(str::to_string)
                    .collect();
                self.keep(&input, &keep, span)
            }
            OperatorKind::ProjectKeep { columns } => {
                let wanted = self.match_columns(&input, columns)?;
                let keep: Vec<String> = input
                    .names()
                    .filter(|n| wanted.iter().any(|a| a == n))
                    .map(str::to_string)
                    .collect();
                self.keep(&input, &keep, span)
            }
            OperatorKind::ProjectByNames { columns } => {
                let mut keep: Vec<String> = Vec::new();
                for c in columns {
                    for pattern in self.column_name_values(c, &input)? {
                        for name in input.names() {
                            let hit = if pattern.contains('*') {
                                wildcard_match(&pattern, name)
                            } else {
                                pattern == name
                            };
                            if hit && !keep.iter().any(|k| k == name) {
                                keep.push(name.to_string());
                            }
                        }
                    }
                }
                self.keep(&input, &keep, span)
            }
            OperatorKind::ProjectRename { renames } => {
                let mut columns = input.columns.clone();
                let mut exprs = Vec::new();
                for (new, old) in renames {
                    if input.column(&old.name).is_none() {
                        return Err(self.unknown_column(&input, &old.name, old.span));
                    }
                    if let Some(c) = columns.iter_mut().find(|c| c.name == old.name) {
                        c.name = new.name.clone();
                    }
                }
                for (c, original) in columns.iter().zip(&input.columns) {
                    exprs.push((column(&original.name), c.clone()));
                }
                self.project(&input, exprs, span)
            }
            OperatorKind::ProjectReorder { columns } => {
                let patterns: Vec<Expr> = columns.iter().map(|k| k.expr.clone()).collect();
                if columns.iter().any(|k| k.order.is_some()) {
                    return Err(self.unsupported(span, "ordering within `project-reorder`"));
                }
                let mut order = self.match_columns(&input, &patterns)?;
                for n in input.names() {
                    if !order.iter().any(|o| o == n) {
                        order.push(n.to_string());
                    }
                }
                self.keep(&input, &order, span)
            }
            OperatorKind::Summarize { aggregates, by } => {
                self.summarize(&input, aggregates, by, span)
            }
            OperatorKind::Count { name } => {
                let n = name.as_ref().map_or("Count".to_string(), |n| n.name.clone());
                let plan = input
                    .builder()
                    .aggregate(
                        Vec::<DfExpr>::new(),
                        vec![datafusion::functions_aggregate::expr_fn::count(lit(1i64)).alias(&n)],
                    )
                    .and_then(|b| b.build())
                    .map_err(|e| self.internal(span, e))?;
                Ok(Relation::new(plan, vec![ColumnDef::new(n, KqlType::Long)]))
            }
            OperatorKind::Distinct { items } => {
                if items.len() == 1 && matches!(items[0].value.kind, ExprKind::Star) {
                    let plan = input.builder().distinct().and_then(|b| b.build());
                    let plan = plan.map_err(|e| self.internal(span, e))?;
                    return Ok(Relation::new(plan, input.columns));
                }
                self.summarize(&input, &[], items, span)
            }
            OperatorKind::Sort { keys } => self.sort(&input, keys, span),
            OperatorKind::Top { count, by } if self.partition.is_some() => {
                let n = self.row_count(count, span)?;
                let order = self.sort_exprs(&input, std::slice::from_ref(by))?;
                self.first_per_row(&input, n, order, span)
            }
            OperatorKind::Take { count } if self.partition.is_some() => {
                let n = self.row_count(count, span)?;
                self.first_per_row(&input, n, Vec::new(), span)
            }
            OperatorKind::Top { count, by } => {
                let n = self.row_count(count, span)?;
                let sorted = self.sort(&input, std::slice::from_ref(by), span)?;
                let plan = sorted.builder().limit(0, Some(n)).and_then(|b| b.build());
                let plan = plan.map_err(|e| self.internal(span, e))?;
                Ok(Relation { plan, ..sorted })
            }
            OperatorKind::Take { count } => {
                let n = self.row_count(count, span)?;
                let plan = input.builder().limit(0, Some(n)).and_then(|b| b.build());
                let plan = plan.map_err(|e| self.internal(span, e))?;
                Ok(Relation { plan, ..input })
            }
            OperatorKind::Union { tables } => self.union(Some(input), tables, &op.params, span),
            OperatorKind::Join { right, on, where_ } => {
                if where_.is_some() {
                    return Err(self.unsupported(span, "`join ... where`"));
                }
                self.join(input, right, on, &op.params, span, false)
            }
            OperatorKind::Lookup { right, on } => {
                self.join(input, right, on, &op.params, span, true)
            }
            OperatorKind::Serialize { items } => {
                let order = Some(input.order.clone().unwrap_or_default());
                let input = Relation { order, ..input };
                if items.is_empty() {
                    Ok(input)
                } else {
                    self.project_items(&input, items, true, span)
                }
            }
            OperatorKind::As { name } => {
                self.bind(&name.name, Binding::Tabular(input.clone()));
                Ok(input)
            }
            OperatorKind::Render { chart, .. } => {
                self.warning(chart.span, "`render` is ignored: results are printed as a table");
                Ok(input)
            }
            OperatorKind::GetSchema => self.getschema(&input, span),
            OperatorKind::MvApply { items, limit, id, on } => {
                if let Some((word, _)) = id {
                    return Err(self.unsupported(word.span, "`id` on `mv-apply`"));
                }
                self.mv_apply(input, items, limit.as_ref(), on, &op.params, span)
            }
            OperatorKind::MvExpand { items, limit } => {
                let legacy = op.keyword.name == "mvexpand";
                self.mv_expand(&input, items, limit.as_ref(), &op.params, legacy, span)
            }
            OperatorKind::Parse { source, pattern } => {
                let keep = op.keyword.name == "parse";
                self.parse_operator(&input, source, pattern, &op.params, keep, span)
            }
            OperatorKind::Invoke { call } => self.invoke(input, call, span),
            OperatorKind::Evaluate { call, schema } => {
                self.evaluate(input, call, schema.as_ref(), span)
            }
            OperatorKind::Print { .. }
            | OperatorKind::Datatable { .. }
            | OperatorKind::Range { .. } => Err(self.error(
                op.keyword.span,
                format!("`{}` starts a query; it cannot follow `|`", op.keyword.name),
            )),
            _ => {
                Err(self
                    .unsupported(op.keyword.span, format!("the `{}` operator", op.keyword.name)))
            }
        }
    }

    /// Parameters the planner does not act on are reported rather than silently ignored;
    /// hints only steer performance in Kusto and are accepted.
    fn check_params(&mut self, op: &Operator) -> PResult<()> {
        for p in &op.params {
            let name = p.name.name.as_str();
            let known = name.starts_with("hint.")
                || matches!(
                    (&op.kind, name),
                    (OperatorKind::Join { .. } | OperatorKind::Lookup { .. }, "kind")
                        | (OperatorKind::Parse { .. }, "kind" | "flags")
                        | (
                            OperatorKind::MvExpand { .. } | OperatorKind::MvApply { .. },
                            "kind" | "bagexpansion" | "with_itemindex"
                        )
                        | (
                            OperatorKind::Union { .. },
                            "kind" | "withsource" | "with_source" | "isfuzzy"
                        )
                );
            if !known {
                return Err(
                    self.unsupported(p.name.span, format!("`{name}=` on `{}`", op.keyword.name))
                );
            }
        }
        Ok(())
    }

    pub(crate) fn unknown_column(&mut self, input: &Relation, name: &str, span: Span) -> Stop {
        let message = format!("unknown column `{name}`");
        match quarry_syntax::suggest::closest(name, input.names()) {
            Some(s) => self.error_with_help(span, message, format!("did you mean `{s}`?")),
            None => self.error(span, message),
        }
    }

    /// `print a = 1, 2`: one row; unnamed values are `print_0`, `print_1`, ...
    fn print(&mut self, input: &Relation, items: &[Assignment], span: Span) -> PResult<Relation> {
        let mut names = Names::default();
        let mut exprs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let v = self.scalar(&item.value, input)?;
            let name = match item.names.first() {
                Some(n) => n.name.clone(),
                None => names.unique(format!("print_{i}")),
            };
            names.taken(&name);
            exprs.push((v.expr, ColumnDef::new(name, v.ty)));
        }
        self.project(input, exprs, span)
    }

    /// `project` and `extend`: named or unnamed values; `extend` keeps the input's columns and
    /// replaces those it names again.
    fn project_items(
        &mut self,
        input: &Relation,
        items: &[Assignment],
        extend: bool,
        span: Span,
    ) -> PResult<Relation> {
        let out: Vec<(DfExpr, ColumnDef)> = if extend {
            input.columns.iter().map(|c| (column(&c.name), c.clone())).collect()
        } else {
            Vec::new()
        };
        let mut names = Names::default();
        for c in &out {
            names.taken(&c.1.name);
        }
        let (windowed, mut out) = self
            .with_windows(input, span, |p| p.lower_items(input, items, extend, &mut names, out))?;
        let row = crate::apply::ROW;
        if self.partition.is_some() && !out.iter().any(|(_, c)| c.name == row) {
            // Inside `mv-apply`, rows keep the number of the row they came from.
            out.insert(0, (column(row), ColumnDef::new(row, KqlType::Long)));
        }
        self.project(&windowed, out, span)
    }

    /// The output expressions of `project`/`extend` items over `input`, after `out`.
    fn lower_items(
        &mut self,
        input: &Relation,
        items: &[Assignment],
        extend: bool,
        names: &mut Names,
        mut out: Vec<(DfExpr, ColumnDef)>,
    ) -> PResult<Vec<(DfExpr, ColumnDef)>> {
        // Columns defined by earlier items, which later items may use: `extend a = 1, b = a + 1`.
        let mut defined: HashMap<String, DfExpr> = HashMap::new();
        for item in items {
            if item.tuple || item.names.len() > 1 {
                return Err(self.unsupported(item.value.span, "assigning several columns at once"));
            }
            let v = if defined.is_empty() {
                self.scalar(&item.value, input)?
            } else {
                let mut columns = input.columns.clone();
                for (_, c) in &out {
                    match columns.iter_mut().find(|k| k.name == c.name) {
                        Some(k) => *k = c.clone(),
                        None => columns.push(c.clone()),
                    }
                }
                let scope = Relation { columns, ..input.clone() };
                let v = self.scalar(&item.value, &scope)?;
                let expr = v
                    .expr
                    .transform(|e| {
                        let found = match &e {
                            DfExpr::Column(c) if c.relation.is_none() => defined.get(&c.name),
                            _ => None,
                        };
                        Ok(match found {
                            Some(d) => Transformed::yes(d.clone()),
                            None => Transformed::no(e),
                        })
                    })
                    .map_err(|e| self.internal(item.value.span, e))?
                    .data;
                Typed::new(expr, v.ty)
            };
            let name = match item.names.first() {
                Some(n) => n.name.clone(),
                None => match &item.value.kind {
                    ExprKind::Name(n) => n.name.clone(),
                    _ => match crate::aggregates::key_name(&item.value) {
                        Some(n)
                            if matches!(
                                item.value.kind,
                                ExprKind::Member { .. } | ExprKind::Index { .. }
                            ) =>
                        {
                            names.unique(n)
                        }
                        _ => names.next_column(),
                    },
                },
            };
            let column_def = ColumnDef::new(name.clone(), v.ty);
            defined.insert(name.clone(), v.expr.clone());
            match out.iter_mut().find(|(_, c)| c.name == name) {
                Some(slot) if extend => *slot = (v.expr, column_def),
                Some(_) => {
                    return Err(
                        self.error(item.value.span, format!("column `{name}` is projected twice"))
                    );
                }
                None => {
                    names.taken(&name);
                    out.push((v.expr, column_def));
                }
            }
        }
        Ok(out)
    }

    /// The input's columns that a list of names and wildcard patterns selects, in list order.
    fn match_columns(&mut self, input: &Relation, patterns: &[Expr]) -> PResult<Vec<String>> {
        let mut out = Vec::new();
        for p in patterns {
            let Some(ident) = p.as_name() else {
                return Err(self.error(p.span, "expected a column name or a wildcard pattern"));
            };
            if ident.name.contains('*') && !ident.bracketed {
                let matched: Vec<String> = input
                    .names()
                    .filter(|n| wildcard_match(&ident.name, n))
                    .map(str::to_string)
                    .collect();
                out.extend(matched.into_iter().filter(|m| !out.contains(m)).collect::<Vec<_>>());
            } else if input.has(&ident.name) {
                if !out.contains(&ident.name) {
                    out.push(ident.name.clone());
                }
            } else {
                return Err(self.unknown_column(input, &ident.name, p.span));
            }
        }
        Ok(out)
    }

    /// The column names a constant gives: a string, or a dynamic array of strings.
    fn column_name_values(&mut self, e: &Expr, input: &Relation) -> PResult<Vec<String>> {
        let v = self.scalar(e, input)?;
        let text = match crate::evaluate_constant(&v.expr) {
            Some(ScalarValue::Utf8(Some(t))) => t,
            _ => {
                return Err(self.error(e.span, "expected a constant column name or array of names"));
            }
        };
        if v.ty != KqlType::Dynamic {
            return Ok(vec![text]);
        }
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Array(items)) => {
                Ok(items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect())
            }
            Ok(serde_json::Value::String(s)) => Ok(vec![s]),
            _ => Err(self.error(e.span, "expected an array of column names")),
        }
    }

    /// `sort by`: descending by default; nulls first ascending, last descending.
    fn sort(&mut self, input: &Relation, keys: &[SortKey], span: Span) -> PResult<Relation> {
        let mut sort_exprs = self.sort_exprs(input, keys)?;
        if self.partition.is_some() {
            // Within each original row of `mv-apply`.
            sort_exprs.insert(0, SortExpr::new(column(crate::apply::ROW), true, false));
        }
        let plan = input.builder().sort(sort_exprs.clone()).and_then(|b| b.build());
        let plan = plan.map_err(|e| self.internal(span, e))?;
        Ok(Relation { plan, columns: input.columns.clone(), order: Some(sort_exprs) })
    }

    /// Sort keys: descending by default; nulls first ascending, last descending.
    fn sort_exprs(&mut self, input: &Relation, keys: &[SortKey]) -> PResult<Vec<SortExpr>> {
        let mut sort_exprs = Vec::with_capacity(keys.len());
        for k in keys {
            let v = self.scalar(&k.expr, input)?;
            let asc = k.order == Some(SortOrder::Asc);
            let nulls_first = match k.nulls {
                Some(NullsOrder::First) => true,
                Some(NullsOrder::Last) => false,
                None => asc,
            };
            sort_exprs.push(SortExpr::new(v.expr, asc, nulls_first));
        }
        Ok(sort_exprs)
    }

    /// The row count of `take` and `top`: a constant.
    fn row_count(&mut self, count: &Expr, span: Span) -> PResult<usize> {
        let empty = self.empty_relation();
        let v = self.scalar(count, &empty)?;
        let n = match &v.expr {
            DfExpr::Literal(ScalarValue::Int64(Some(n)), _) => Some(*n),
            DfExpr::Literal(ScalarValue::Int32(Some(n)), _) => Some(*n as i64),
            _ => None,
        };
        match n {
            Some(n) if n >= 0 => Ok(n as usize),
            Some(_) => Err(self.error(count.span, "the row count cannot be negative")),
            None => Err(self.unsupported(span, "a row count that is not a constant number")),
        }
    }

    /// `datatable (a: long, ...) [values]`.
    fn datatable(
        &mut self,
        columns: &[quarry_syntax::ast::ColumnDecl],
        values: &[Expr],
        span: Span,
    ) -> PResult<Relation> {
        let mut defs = Vec::with_capacity(columns.len());
        for c in columns {
            let Some(ty) = KqlType::from_name(&c.ty.name) else {
                return Err(self.error(c.ty.span, format!("`{}` is not a type", c.ty.name)));
            };
            defs.push(ColumnDef::new(c.name.name.clone(), ty));
        }
        if defs.is_empty() {
            return Err(self.error(span, "a datatable needs at least one column"));
        }
        if !values.len().is_multiple_of(defs.len()) {
            return Err(self.error(
                span,
                format!("{} values do not fill rows of {} columns", values.len(), defs.len()),
            ));
        }
        let empty = self.empty_relation();
        let mut rows = Vec::with_capacity(values.len() / defs.len());
        for row in values.chunks(defs.len()) {
            let mut cells = Vec::with_capacity(defs.len());
            for (v, def) in row.iter().zip(&defs) {
                let t = self.scalar(v, &empty)?;
                let expr = if t.ty == def.ty {
                    t.expr
                } else if t.ty.is_numeric() && def.ty.is_numeric() {
                    cast(t.expr, def.ty.arrow())
                } else {
                    quarry_functions::convert::to_type(t.expr, t.ty, def.ty)
                };
                cells.push(self.constant(expr, v.span)?);
            }
            rows.push(cells);
        }
        if rows.is_empty() {
            let plan =
                LogicalPlanBuilder::empty(false).build().map_err(|e| self.internal(span, e))?;
            let exprs = defs.iter().map(|d| (Planner::null_of(d.ty), d.clone())).collect();
            let one = Relation::new(plan, Vec::new());
            return self.project(&one, exprs, span);
        }
        let plan = LogicalPlanBuilder::values(rows).and_then(|b| b.build());
        let plan = plan.map_err(|e| self.internal(span, e))?;
        let values = Relation::new(plan, Vec::new());
        let exprs = defs
            .iter()
            .enumerate()
            .map(|(i, d)| (cast(column(&format!("column{}", i + 1)), d.ty.arrow()), d.clone()))
            .collect();
        self.project(&values, exprs, span)
    }

    /// Folds a constant expression to a literal (datatable cells must be values).
    fn constant(&mut self, e: DfExpr, span: Span) -> PResult<DfExpr> {
        if let DfExpr::Literal(..) = e {
            return Ok(e);
        }
        match crate::evaluate_constant(&e) {
            Some(v) => Ok(lit(v)),
            None => Err(self.error(span, "expected a constant value")),
        }
    }

    /// `range x from a to b step s`.
    fn range(
        &mut self,
        name: &str,
        from: &Expr,
        to: &Expr,
        step: &Expr,
        span: Span,
    ) -> PResult<Relation> {
        let empty = self.empty_relation();
        let (f, t, s) =
            (self.scalar(from, &empty)?, self.scalar(to, &empty)?, self.scalar(step, &empty)?);
        let ty = if f.ty.is_numeric() && t.ty.is_numeric() {
            KqlType::numeric_join(f.ty, t.ty).unwrap_or(KqlType::Long)
        } else {
            f.ty
        };
        let (f, t, s) = (
            self.constant(f.expr, from.span)?,
            self.constant(t.expr, to.span)?,
            self.constant(s.expr, step.span)?,
        );
        match quarry_functions::range::range_plan(name, f, t, s, ty) {
            Ok(plan) => Ok(Relation::new(plan, vec![ColumnDef::new(name, ty)])),
            Err(message) => Err(self.error(span, message)),
        }
    }

    /// `union`: columns matched by name; with `kind=outer` (the default) every column of every
    /// leg, missing ones null; with `kind=inner` only those all legs have.
    fn union(
        &mut self,
        first: Option<Relation>,
        tables: &[Expr],
        params: &[OpParam],
        span: Span,
    ) -> PResult<Relation> {
        let mut inner = false;
        let mut source_column = None;
        for p in params {
            match p.name.name.as_str() {
                "kind" => inner = p.value.as_name().is_some_and(|n| n.name == "inner"),
                "withsource" | "with_source" => {
                    source_column = p.value.as_name().map(|n| n.name.clone())
                }
                _ => {}
            }
        }
        let mut legs: Vec<(String, Relation)> = Vec::new();
        if let Some(f) = first {
            legs.push(("".to_string(), f));
        }
        for t in tables {
            match t.as_name() {
                Some(n) if n.name.contains('*') && !n.bracketed => {
                    let mut names: Vec<String> = self
                        .catalog
                        .table_names()
                        .into_iter()
                        .filter(|c| wildcard_match(&n.name, c))
                        .collect();
                    names.sort();
                    for name in names {
                        let rel = self.named_table(&name, t.span)?;
                        legs.push((name, rel));
                    }
                }
                Some(n) => {
                    let rel = self.tabular(t)?;
                    legs.push((n.name.clone(), rel));
                }
                None => {
                    let rel = self.tabular(t)?;
                    legs.push((leg_name(t), rel));
                }
            }
        }
        if legs.is_empty() {
            return Err(self.error(span, "the union has no tables"));
        }
        // The output columns: each name once, in order of appearance.
        let mut columns: Vec<ColumnDef> = Vec::new();
        for (_, rel) in &legs {
            for c in &rel.columns {
                match columns.iter().find(|x| x.name == c.name) {
                    Some(existing) if existing.ty != c.ty => {
                        return Err(self.unsupported(
                            span,
                            format!(
                                "a union where column `{}` is a {} and a {}",
                                c.name, existing.ty, c.ty
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => columns.push(c.clone()),
                }
            }
        }
        if inner {
            columns.retain(|c| legs.iter().all(|(_, r)| r.has(&c.name)));
        }
        let mut out_columns = columns.clone();
        if let Some(s) = &source_column {
            out_columns.insert(0, ColumnDef::new(s.clone(), KqlType::String));
        }
        let mut plans = Vec::with_capacity(legs.len());
        for (name, rel) in &legs {
            let mut exprs: Vec<(DfExpr, ColumnDef)> = Vec::new();
            if let Some(s) = &source_column {
                exprs.push((lit(name.clone()), ColumnDef::new(s.clone(), KqlType::String)));
            }
            for c in &columns {
                let e = if rel.has(&c.name) { column(&c.name) } else { Planner::null_of(c.ty) };
                exprs.push((e, c.clone()));
            }
            plans.push(self.project(rel, exprs, span)?.plan);
        }
        let mut iter = plans.into_iter();
        let Some(first_plan) = iter.next() else { return Err(Stop) };
        let mut builder = LogicalPlanBuilder::from(first_plan);
        for p in iter {
            builder = builder.union(p).map_err(|e| self.internal(span, e))?;
        }
        let plan = builder.build().map_err(|e| self.internal(span, e))?;
        Ok(Relation::new(plan, out_columns))
    }

    /// `getschema`: one row per column.
    fn getschema(&mut self, input: &Relation, span: Span) -> PResult<Relation> {
        let rows: Vec<Vec<DfExpr>> = input
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let data_type = match c.ty {
                    KqlType::Bool => "System.Boolean",
                    KqlType::Int => "System.Int32",
                    KqlType::Long => "System.Int64",
                    KqlType::Real => "System.Double",
                    KqlType::Decimal => "System.Data.SqlTypes.SqlDecimal",
                    KqlType::String => "System.String",
                    KqlType::DateTime => "System.DateTime",
                    KqlType::TimeSpan => "System.TimeSpan",
                    KqlType::Guid => "System.Guid",
                    KqlType::Dynamic => "System.Object",
                };
                vec![lit(c.name.clone()), lit(i as i32), lit(data_type), lit(c.ty.name())]
            })
            .collect();
        let defs = [
            ColumnDef::new("ColumnName", KqlType::String),
            ColumnDef::new("ColumnOrdinal", KqlType::Int),
            ColumnDef::new("DataType", KqlType::String),
            ColumnDef::new("ColumnType", KqlType::String),
        ];
        if rows.is_empty() {
            return Err(self.unsupported(span, "`getschema` of a table without columns"));
        }
        let plan = LogicalPlanBuilder::values(rows).and_then(|b| b.build());
        let plan = plan.map_err(|e| self.internal(span, e))?;
        let values = Relation::new(plan, Vec::new());
        let exprs = defs
            .iter()
            .enumerate()
            .map(|(i, d)| (column(&format!("column{}", i + 1)), d.clone()))
            .collect();
        self.project(&values, exprs, span)
    }

    /// `join` and `lookup`. The right side's columns whose names clash get a `1` suffix; for
    /// `lookup`, and for keys matched by name, the right side's copy of the key is dropped.
    fn join(
        &mut self,
        left: Relation,
        right: &Expr,
        on: &[Expr],
        params: &[OpParam],
        span: Span,
        lookup: bool,
    ) -> PResult<Relation> {
        let right = self.tabular(right)?;
        let kind = params
            .iter()
            .find(|p| p.name.name == "kind")
            .and_then(|p| p.value.as_name().map(|n| n.name.clone()))
            .unwrap_or_else(|| if lookup { "leftouter".into() } else { "innerunique".into() });
        let join_type = match kind.as_str() {
            "inner" | "innerunique" => JoinType::Inner,
            "leftouter" => JoinType::Left,
            "rightouter" => JoinType::Right,
            "fullouter" | "outer" => JoinType::Full,
            "leftsemi" => JoinType::LeftSemi,
            "rightsemi" => JoinType::RightSemi,
            "leftanti" | "anti" | "leftantisemi" => JoinType::LeftAnti,
            "rightanti" | "rightantisemi" => JoinType::RightAnti,
            other => return Err(self.error(span, format!("unknown join kind `{other}`"))),
        };
        // Keys: `Col` (same name on both sides) or `$left.A == $right.B`.
        let mut keys: Vec<(String, String)> = Vec::new();
        for k in on {
            match &k.kind {
                ExprKind::Name(n) => keys.push((n.name.clone(), n.name.clone())),
                ExprKind::Binary { op: quarry_syntax::ast::BinaryOp::Eq, lhs, rhs } => {
                    let side = |e: &Expr| -> Option<(String, String)> {
                        if let ExprKind::Member { target, name } = &e.kind
                            && let ExprKind::Name(t) = &target.kind
                        {
                            return Some((t.name.clone(), name.name.clone()));
                        }
                        None
                    };
                    match (side(lhs), side(rhs)) {
                        (Some((a, x)), Some((b, y))) if a == "$left" && b == "$right" => {
                            keys.push((x, y))
                        }
                        (Some((a, x)), Some((b, y))) if a == "$right" && b == "$left" => {
                            keys.push((y, x))
                        }
                        _ => return Err(self.unsupported(k.span, "this join condition")),
                    }
                }
                _ => return Err(self.unsupported(k.span, "this join condition")),
            }
        }
        if keys.is_empty() {
            return Err(self.error(span, "a join needs `on` keys"));
        }
        for (l, r) in &keys {
            if !left.has(l) {
                return Err(self.unknown_column(&left, l, span));
            }
            if !right.has(r) {
                return Err(self.unknown_column(&right, r, span));
            }
        }
        // `innerunique`: one row per key on the left.
        let left =
            if kind == "innerunique" { self.first_per_key(left, &keys, span)? } else { left };

        let lb = left.builder().alias("__left").map_err(|e| self.internal(span, e))?;
        let rb = right.builder().alias("__right").map_err(|e| self.internal(span, e))?;
        let right_plan = rb.build().map_err(|e| self.internal(span, e))?;
        let left_cols: Vec<datafusion::common::Column> =
            keys.iter().map(|(l, _)| datafusion::common::Column::new(Some("__left"), l)).collect();
        let right_cols: Vec<datafusion::common::Column> =
            keys.iter().map(|(_, r)| datafusion::common::Column::new(Some("__right"), r)).collect();
        let joined = lb
            .join(right_plan, join_type, (left_cols, right_cols), None)
            .and_then(|b| b.build())
            .map_err(|e| self.internal(span, e))?;
        let joined = Relation::new(joined, Vec::new());

        let mut exprs: Vec<(DfExpr, ColumnDef)> = Vec::new();
        let left_side = !matches!(join_type, JoinType::RightSemi | JoinType::RightAnti);
        let right_side = !matches!(
            join_type,
            JoinType::LeftSemi | JoinType::LeftAnti | JoinType::RightSemi | JoinType::RightAnti
        ) || matches!(join_type, JoinType::RightSemi | JoinType::RightAnti);
        let mut names = Names::default();
        if left_side {
            for c in &left.columns {
                names.taken(&c.name);
                exprs.push((qualified("__left", &c.name), c.clone()));
            }
        }
        let same_name_keys: Vec<&String> =
            keys.iter().filter(|(l, r)| l == r).map(|(_, r)| r).collect();
        if right_side {
            for c in &right.columns {
                if left_side && lookup && same_name_keys.contains(&&c.name) {
                    continue;
                }
                let name = if left_side { names.unique(c.name.clone()) } else { c.name.clone() };
                names.taken(&name);
                exprs.push((qualified("__right", &c.name), ColumnDef::new(name, c.ty)));
            }
        }
        self.project(&joined, exprs, span)
    }

    /// One row per join key (the first seen), for KQL's default `innerunique` join.
    fn first_per_key(
        &mut self,
        input: Relation,
        keys: &[(String, String)],
        span: Span,
    ) -> PResult<Relation> {
        let key_names: Vec<&String> = keys.iter().map(|(l, _)| l).collect();
        let group: Vec<DfExpr> = key_names.iter().map(|k| column(k)).collect();
        let aggs: Vec<DfExpr> = input
            .columns
            .iter()
            .filter(|c| !key_names.contains(&&c.name))
            .map(|c| {
                datafusion::functions_aggregate::expr_fn::first_value(column(&c.name), Vec::new())
                    .alias(&c.name)
            })
            .collect();
        let plan = input
            .builder()
            .aggregate(group, aggs)
            .and_then(|b| b.build())
            .map_err(|e| self.internal(span, e))?;
        let grouped = Relation::new(plan, Vec::new());
        let exprs = input.columns.iter().map(|c| (column(&c.name), c.clone())).collect();
        self.project(&grouped, exprs, span)
    }
}

/// The name a union leg goes by in `withsource`: the name it was given with `as`.
fn leg_name(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Paren(inner) => leg_name(inner),
        ExprKind::Pipeline { ops, .. } => match ops.last().map(|o| &o.op.kind) {
            Some(OperatorKind::As { name }) => name.name.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// Whether a `*` wildcard pattern matches a name (case-sensitively).
pub(crate) fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first)
        || !name[first.len()..].ends_with(last)
        || name.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("Device*", "DeviceEvents"));
        assert!(wildcard_match("*Id", "DeviceId"));
        assert!(wildcard_match("Dev*Events", "DeviceNetworkEvents"));
        assert!(!wildcard_match("Dev*Events", "DeviceInfo"));
        assert!(wildcard_match("*", "x"));
        assert!(!wildcard_match("ab*ba", "aba"));
    }
}
