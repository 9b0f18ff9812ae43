//! A compact, span-free rendering of the syntax tree as S-expressions.
//!
//! Two texts that mean the same tree dump to the same string, whatever their spacing, comments
//! or literal spelling (`"a"` and `'a'`); that is what the formatter's round-trip check and the
//! syntax snapshots compare.

use crate::ast::*;
use std::fmt::Write;

/// Dumps a whole query.
pub fn query(q: &Query) -> String {
    let node = list("query", q.statements.iter().map(statement).collect());
    render(&node)
}

/// Dumps one expression.
pub fn expr_text(e: &Expr) -> String {
    render(&expr(e))
}

enum S {
    Atom(String),
    List(Vec<S>),
}

fn atom(s: impl Into<String>) -> S {
    S::Atom(s.into())
}

fn list(head: &str, mut rest: Vec<S>) -> S {
    rest.insert(0, atom(head));
    S::List(rest)
}

fn render(node: &S) -> String {
    let mut out = String::new();
    write_node(&mut out, node, 0);
    out
}

fn flat(node: &S) -> String {
    match node {
        S::Atom(a) => a.clone(),
        S::List(items) => {
            let inner: Vec<String> = items.iter().map(flat).collect();
            format!("({})", inner.join(" "))
        }
    }
}

/// Prints a node on one line when it fits in 90 columns, else one child per line.
fn write_node(out: &mut String, node: &S, indent: usize) {
    let line = flat(node);
    match node {
        S::List(items) if indent + line.len() > 90 && items.len() > 1 => {
            out.push('(');
            out.push_str(&flat(&items[0]));
            for item in &items[1..] {
                out.push('\n');
                out.push_str(&" ".repeat(indent + 2));
                write_node(out, item, indent + 2);
            }
            out.push(')');
        }
        _ => out.push_str(&line),
    }
}

fn quoted(s: &str) -> S {
    atom(format!("{s:?}"))
}

fn ident(i: &Ident) -> S {
    quoted_if_needed(&i.name)
}

fn quoted_if_needed(name: &str) -> S {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '-' | '.' | '*' | '~'));
    if plain { atom(name) } else { quoted(name) }
}

fn statement(s: &Statement) -> S {
    match &s.kind {
        StatementKind::Let { name, value } => {
            let v = match value {
                LetValue::Expr(e) => expr(e),
                LetValue::Function(f) => function("function", f),
                LetValue::View(f) => function("view", f),
            };
            list("let", vec![ident(name), v])
        }
        StatementKind::Set { name, value } => {
            let mut items = vec![ident(name)];
            items.extend(value.as_ref().map(expr));
            list("set", items)
        }
        StatementKind::DeclareQueryParameters { params } => {
            list("declare-query-parameters", params.iter().map(param).collect())
        }
        StatementKind::Alias { name, value } => list("alias", vec![ident(name), expr(value)]),
        StatementKind::RestrictAccess { tables } => {
            list("restrict", tables.iter().map(expr).collect())
        }
        StatementKind::Pattern { name, .. } => list("pattern", vec![ident(name)]),
        StatementKind::Expr(e) => expr(e),
    }
}

fn function(head: &str, f: &FunctionDef) -> S {
    let params = list("params", f.params.iter().map(param).collect());
    let body = list("body", f.body.iter().map(statement).collect());
    list(head, vec![params, body])
}

fn param(p: &Param) -> S {
    let mut items = vec![ident(&p.name), param_type(&p.ty)];
    items.extend(p.default.as_ref().map(|d| list("default", vec![expr(d)])));
    list("param", items)
}

fn param_type(t: &ParamType) -> S {
    match t {
        ParamType::Scalar(t) => atom(&t.name),
        ParamType::Tabular { columns, open } => schema(columns, *open),
    }
}

fn schema(columns: &[ColumnDecl], open: bool) -> S {
    let mut items: Vec<S> = columns.iter().map(column_decl).collect();
    if open {
        items.push(atom("*"));
    }
    list("schema", items)
}

fn column_decl(c: &ColumnDecl) -> S {
    S::List(vec![ident(&c.name), atom(&c.ty.name)])
}

fn literal(l: &Literal) -> S {
    match &l.value {
        LiteralValue::Bool(b) => list("bool", vec![atom(b.to_string())]),
        LiteralValue::Long(v) => list("long", vec![atom(v.to_string())]),
        LiteralValue::Real(v) => list("real", vec![atom(format!("{v:?}"))]),
        LiteralValue::String(s) => list("string", vec![quoted(s)]),
        LiteralValue::Timespan(t) => list("timespan", vec![atom(t.to_string())]),
        LiteralValue::DateTime(t) => list("datetime", vec![quoted(t)]),
        LiteralValue::TimespanText(t) => list("timespan", vec![quoted(t)]),
        LiteralValue::Guid(t) => list("guid", vec![quoted(t)]),
        LiteralValue::Typed { ty, text } => list(ty, vec![quoted(text)]),
        LiteralValue::Dynamic(d) => list("dynamic", vec![dynamic(d)]),
        LiteralValue::Null => atom("null"),
    }
}

fn dynamic(d: &Dynamic) -> S {
    match d {
        Dynamic::Null => atom("null"),
        Dynamic::Scalar(l) => literal(l),
        Dynamic::Array(items) => list("array", items.iter().map(dynamic).collect()),
        Dynamic::Object(fields) => list(
            "object",
            fields.iter().map(|(k, v)| S::List(vec![quoted(k), dynamic(v)])).collect(),
        ),
    }
}

fn expr(e: &Expr) -> S {
    match &e.kind {
        ExprKind::Name(i) => list("name", vec![ident(i)]),
        ExprKind::Literal(l) => literal(l),
        ExprKind::Unary { op, operand } => {
            let head = match op {
                UnaryOp::Neg => "neg",
                UnaryOp::Plus => "plus",
            };
            list(head, vec![expr(operand)])
        }
        ExprKind::Binary { op, lhs, rhs } => list(op.as_str(), vec![expr(lhs), expr(rhs)]),
        ExprKind::Logical { op, operands } => {
            let head = match op {
                LogicalOp::And => "and",
                LogicalOp::Or => "or",
            };
            list(head, operands.iter().map(expr).collect())
        }
        ExprKind::ListOp { op, lhs, items } => {
            list(op.as_str(), vec![expr(lhs), S::List(items.iter().map(expr).collect())])
        }
        ExprKind::Between { negated, lhs, low, high } => {
            let head = if *negated { "!between" } else { "between" };
            list(head, vec![expr(lhs), expr(low), expr(high)])
        }
        ExprKind::Call { receiver, name, args } => {
            let mut items = Vec::new();
            if let Some(r) = receiver {
                items.push(list("on", vec![expr(r)]));
            }
            items.push(ident(name));
            items.extend(args.iter().map(arg));
            list("call", items)
        }
        ExprKind::Member { target, name } => list("member", vec![expr(target), ident(name)]),
        ExprKind::Index { target, index } => list("index", vec![expr(target), expr(index)]),
        ExprKind::Paren(inner) => list("paren", vec![expr(inner)]),
        ExprKind::Star => atom("*"),
        ExprKind::Pipeline { source, ops } => {
            let mut items = vec![expr(source)];
            items.extend(ops.iter().map(|o| operator(&o.op)));
            list("pipe", items)
        }
        ExprKind::Operator(op) => operator(op),
        ExprKind::Error => atom("<error>"),
    }
}

fn arg(a: &Arg) -> S {
    match a {
        Arg::Positional(e) => expr(e),
        Arg::Named { name, value } => list("named", vec![ident(name), expr(value)]),
    }
}

fn assignment(a: &Assignment) -> S {
    if a.names.is_empty() {
        return expr(&a.value);
    }
    let names =
        if a.tuple { S::List(a.names.iter().map(ident).collect()) } else { ident(&a.names[0]) };
    list("=", vec![names, expr(&a.value)])
}

fn sort_key(k: &SortKey) -> S {
    let mut items = vec![expr(&k.expr)];
    if let Some(o) = k.order {
        items.push(atom(match o {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }));
    }
    if let Some(n) = k.nulls {
        items.push(atom(match n {
            NullsOrder::First => "nulls-first",
            NullsOrder::Last => "nulls-last",
        }));
    }
    if items.len() == 1 { items.pop().unwrap_or_else(|| atom("")) } else { list("key", items) }
}

fn op_param(p: &OpParam) -> S {
    list("param", vec![ident(&p.name), expr(&p.value)])
}

fn pipe_ops(ops: &[PipeOp]) -> S {
    S::List(ops.iter().map(|o| operator(&o.op)).collect())
}

fn operator(op: &Operator) -> S {
    use OperatorKind::*;
    let exprs = |v: &[Expr]| v.iter().map(expr).collect::<Vec<_>>();
    let assigns = |v: &[Assignment]| v.iter().map(assignment).collect::<Vec<_>>();
    let (head, mut items): (&str, Vec<S>) = match &op.kind {
        Where { predicate, single_equals: false } => ("where", vec![expr(predicate)]),
        Where { predicate, single_equals: true } => ("where=", vec![expr(predicate)]),
        Project { items } => ("project", assigns(items)),
        ProjectAway { columns } => ("project-away", exprs(columns)),
        ProjectKeep { columns } => ("project-keep", exprs(columns)),
        ProjectByNames { columns } => ("project-by-names", exprs(columns)),
        ProjectRename { renames } => (
            "project-rename",
            renames.iter().map(|(n, o)| S::List(vec![ident(n), ident(o)])).collect(),
        ),
        ProjectReorder { columns } => ("project-reorder", columns.iter().map(sort_key).collect()),
        ProjectSmart { items } => ("project-smart", assigns(items)),
        Extend { items } => ("extend", assigns(items)),
        Summarize { aggregates, by } => {
            ("summarize", vec![S::List(assigns(aggregates)), list("by", assigns(by))])
        }
        Count { name } => ("count", name.iter().map(ident).collect()),
        Distinct { items } => ("distinct", assigns(items)),
        Sort { keys } => ("sort", keys.iter().map(sort_key).collect()),
        Top { count, by } => ("top", vec![expr(count), sort_key(by)]),
        TopNested { clauses } => (
            "top-nested",
            clauses
                .iter()
                .map(|c| {
                    let mut items = vec![c.count.as_ref().map(expr).unwrap_or_else(|| atom("all"))];
                    items.push(list("of", vec![assignment(&c.of)]));
                    items.extend(c.others.as_ref().map(|o| list("others", vec![expr(o)])));
                    items.push(list("by", vec![assignment(&c.by)]));
                    items.extend(c.order.map(|o| atom(format!("{o:?}").to_lowercase())));
                    S::List(items)
                })
                .collect(),
        ),
        TopHitters { count, of, by } => {
            let mut items = vec![expr(count), list("of", vec![expr(of)])];
            items.extend(by.as_ref().map(|b| list("by", vec![expr(b)])));
            ("top-hitters", items)
        }
        Take { count } => ("take", vec![expr(count)]),
        Sample { count } => ("sample", vec![expr(count)]),
        SampleDistinct { count, of } => ("sample-distinct", vec![expr(count), expr(of)]),
        Join { right, on, where_ } => {
            let mut items = vec![expr(right), list("on", exprs(on))];
            items.extend(where_.as_ref().map(|w| list("where", vec![expr(w)])));
            ("join", items)
        }
        Lookup { right, on } => ("lookup", vec![expr(right), list("on", exprs(on))]),
        Union { tables } => ("union", exprs(tables)),
        MvExpand { items, limit } => {
            let mut v: Vec<S> = items.iter().map(expand_item).collect();
            v.extend(limit.as_ref().map(|l| list("limit", vec![expr(l)])));
            ("mv-expand", v)
        }
        MvApply { items, limit, id, on } => {
            let mut v: Vec<S> = items.iter().map(expand_item).collect();
            v.extend(limit.as_ref().map(|l| list("limit", vec![expr(l)])));
            v.extend(id.as_ref().map(|(_, e)| list("id", vec![expr(e)])));
            v.push(list("on", vec![expr(on)]));
            ("mv-apply", v)
        }
        Parse { source, pattern } => {
            let parts = pattern
                .iter()
                .map(|p| match p {
                    ParsePart::Text(l) => literal(l),
                    ParsePart::Column { name, ty } => {
                        let mut v = vec![ident(name)];
                        v.extend(ty.as_ref().map(|t| atom(&t.name)));
                        list("column", v)
                    }
                    ParsePart::Star => atom("*"),
                })
                .collect();
            (op.keyword.name.as_str(), vec![expr(source), S::List(parts)])
        }
        ParseKv { source, columns, with } => {
            let mut v = vec![expr(source), schema(columns, false)];
            v.extend(with.iter().map(op_param));
            ("parse-kv", v)
        }
        MakeSeries { aggregates, on, range, by } => {
            let aggs = aggregates
                .iter()
                .map(|(a, d)| match d {
                    Some(d) => list("default", vec![assignment(a), expr(d)]),
                    None => assignment(a),
                })
                .collect();
            let range = match range {
                SeriesRange::FromTo { from, to, step } => list(
                    "range",
                    vec![
                        from.as_ref().map(expr).unwrap_or_else(|| atom("_")),
                        to.as_ref().map(expr).unwrap_or_else(|| atom("_")),
                        expr(step),
                    ],
                ),
                SeriesRange::InRange { start, stop, step } => {
                    list("in-range", vec![expr(start), expr(stop), expr(step)])
                }
            };
            (
                "make-series",
                vec![S::List(aggs), list("on", vec![expr(on)]), range, list("by", assigns(by))],
            )
        }
        Evaluate { call, schema: s } => {
            let mut v = vec![expr(call)];
            v.extend(s.as_ref().map(|(c, open)| schema(c, *open)));
            ("evaluate", v)
        }
        Datatable { columns, values } => {
            ("datatable", vec![schema(columns, false), S::List(exprs(values))])
        }
        ExternalData { columns, urls, with } => {
            let mut v = vec![schema(columns, false), S::List(exprs(urls))];
            v.extend(with.iter().map(op_param));
            ("externaldata", v)
        }
        Range { column, from, to, step } => {
            ("range", vec![ident(column), expr(from), expr(to), expr(step)])
        }
        Print { items } => ("print", assigns(items)),
        Render { chart, with, by } => {
            let mut v = vec![ident(chart)];
            v.extend(with.iter().map(op_param));
            if !by.is_empty() {
                v.push(list("by", exprs(by)));
            }
            ("render", v)
        }
        Invoke { call } => ("invoke", vec![expr(call)]),
        As { name } => ("as", vec![ident(name)]),
        Serialize { items } => ("serialize", assigns(items)),
        GetSchema => ("getschema", vec![]),
        Search { tables, predicate } => {
            ("search", vec![list("in", exprs(tables)), expr(predicate)])
        }
        Find { tables, predicate, project, smart } => {
            let mut v = vec![list("in", exprs(tables)), expr(predicate)];
            if *smart {
                v.push(atom("project-smart"));
            }
            v.extend(project.as_ref().map(|p| list("project", exprs(p))));
            ("find", v)
        }
        Scan { order_by, partition_by, declare, steps } => {
            let steps = steps
                .iter()
                .map(|s| {
                    let mut v = vec![ident(&s.name)];
                    if s.optional {
                        v.push(atom("optional"));
                    }
                    v.push(expr(&s.predicate));
                    v.extend(s.assignments.iter().map(assignment));
                    list("step", v)
                })
                .collect();
            (
                "scan",
                vec![
                    list("order-by", order_by.iter().map(sort_key).collect()),
                    list("partition-by", exprs(partition_by)),
                    list("declare", declare.iter().map(param).collect()),
                    S::List(steps),
                ],
            )
        }
        Fork { branches } => (
            "fork",
            branches
                .iter()
                .map(|b| {
                    let mut v: Vec<S> = b.name.iter().map(ident).collect();
                    v.push(pipe_ops(&b.ops));
                    list("branch", v)
                })
                .collect(),
        ),
        Facet { columns, with } => {
            let mut v = vec![list("by", exprs(columns))];
            v.extend(with.as_ref().map(|ops| list("with", vec![pipe_ops(ops)])));
            ("facet", v)
        }
        Consume => ("consume", vec![]),
        Reduce { by, with } => {
            let mut v = vec![expr(by)];
            v.extend(with.iter().map(op_param));
            ("reduce", v)
        }
        Partition { by, body } => ("partition", vec![expr(by), expr(body)]),
        AssertSchema { columns, open } => ("assert-schema", vec![schema(columns, *open)]),
        Opaque { .. } => ("opaque", vec![ident(&op.keyword)]),
    };
    let mut params: Vec<S> = op.params.iter().map(op_param).collect();
    params.append(&mut items);
    list(head, params)
}

fn expand_item(i: &ExpandItem) -> S {
    match &i.to_type {
        Some(t) => list("to", vec![assignment(&i.item), atom(&t.name)]),
        None => assignment(&i.item),
    }
}

/// Dumps a query and its diagnostics, as the syntax snapshots record them.
pub fn with_diagnostics(text: &str, parsed: &crate::Parsed) -> String {
    let mut out = query(&parsed.query);
    let index = crate::LineIndex::new(text);
    for d in &parsed.diagnostics {
        let at = index.line_col(text, d.span.start as usize);
        let severity = match d.severity {
            crate::Severity::Error => "error",
            crate::Severity::Warning => "warning",
        };
        let _ = write!(out, "\n{severity} {}:{} {:?}: {}", at.line, at.column, d.kind, d.message);
        if let Some(help) = &d.help {
            let _ = write!(out, " (help: {help})");
        }
    }
    out
}
