//! The formatter: prints a syntax tree as canonical KQL.
//!
//! One `| operator` per line, one space around binary operators, synonyms spelled one way
//! (`filter` as `where`, `order` as `sort`, `limit` as `take`), long lists one item per line.
//! Literals keep their spelling. Comments are kept: each is printed on its own line before the
//! statement or operator that follows it in the source, so none is ever lost.
//! Printing and parsing again gives the same tree.

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{self, TokenKind};
use crate::span::Span;

/// Lines longer than this are broken: lists one item per line, predicates before `and`/`or`.
const WIDTH: usize = 100;
const INDENT: usize = 4;

/// Formats a query text; fails with the parser's errors when it does not parse.
pub fn format(text: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = crate::parse(text);
    if parsed.has_errors() {
        return Err(parsed.diagnostics.into_iter().filter(Diagnostic::is_error).collect());
    }
    Ok(format_parsed(text, &parsed))
}

/// Formats an already parsed query (which must be free of errors).
pub fn format_parsed(text: &str, parsed: &crate::Parsed) -> String {
    let mut f = Formatter {
        text,
        comments: &parsed.comments,
        printed: vec![false; parsed.comments.len()],
        out: String::new(),
    };
    f.query(&parsed.query);
    f.out
}

struct Formatter<'t> {
    text: &'t str,
    comments: &'t [Span],
    printed: Vec<bool>,
    out: String,
}

fn pad(indent: usize) -> String {
    " ".repeat(indent)
}

impl Formatter<'_> {
    // ---- comments -----------------------------------------------------------------------

    /// Comments not yet printed that start before `offset`, as lines at `indent`.
    fn comments_before(&mut self, offset: u32, indent: usize) -> String {
        let mut lines = String::new();
        for (i, c) in self.comments.iter().enumerate() {
            if c.start >= offset {
                break;
            }
            if !self.printed[i] {
                self.printed[i] = true;
                lines.push_str(&pad(indent));
                lines.push_str(self.text[c.range()].trim_end());
                lines.push('\n');
            }
        }
        lines
    }

    fn has_comments_in(&self, span: Span) -> bool {
        self.comments
            .iter()
            .enumerate()
            .any(|(i, c)| !self.printed[i] && c.start >= span.start && c.end <= span.end)
    }

    /// Marks the comments inside `span` as printed (they are part of text printed verbatim).
    fn consume_comments_in(&mut self, span: Span) {
        for (i, c) in self.comments.iter().enumerate() {
            if c.start >= span.start && c.end <= span.end {
                self.printed[i] = true;
            }
        }
    }

    // ---- statements ---------------------------------------------------------------------

    fn query(&mut self, q: &Query) {
        let count = q.statements.len();
        for (i, s) in q.statements.iter().enumerate() {
            let comments = self.comments_before(s.span.start, 0);
            self.out.push_str(&comments);
            let text = self.statement(s, 0);
            self.out.push_str(&text);
            if i + 1 < count {
                self.out.push(';');
            }
            self.out.push('\n');
            let next_is_query =
                q.statements.get(i + 1).is_some_and(|n| matches!(n.kind, StatementKind::Expr(_)));
            if matches!(s.kind, StatementKind::Expr(_)) && next_is_query {
                self.out.push('\n');
            }
        }
        let rest = self.comments_before(u32::MAX, 0);
        self.out.push_str(&rest);
    }

    fn statement(&mut self, s: &Statement, indent: usize) -> String {
        match &s.kind {
            StatementKind::Let { name, value } => {
                let value = match value {
                    LetValue::Expr(e) => self.let_value(e, indent),
                    LetValue::Function(f) => self.function(f, indent),
                    LetValue::View(f) => format!("view {}", self.function(f, indent)),
                };
                format!("let {} = {value}", self.name(name))
            }
            StatementKind::Set { name, value } => match value {
                Some(v) => format!("set {} = {}", name.name, self.expr(v, indent)),
                None => format!("set {}", name.name),
            },
            StatementKind::DeclareQueryParameters { params } => {
                let params: Vec<String> = params.iter().map(|p| self.param(p)).collect();
                format!("declare query_parameters({})", params.join(", "))
            }
            StatementKind::Alias { name, value } => {
                format!("alias database {} = {}", self.name(name), self.expr(value, indent))
            }
            StatementKind::RestrictAccess { tables } => {
                format!("restrict access to ({})", self.exprs(tables, indent))
            }
            StatementKind::Pattern { .. } => {
                self.consume_comments_in(s.span);
                self.text[s.span.range()].trim().to_string()
            }
            StatementKind::Expr(e) => self.top_expr(e, indent),
        }
    }

    /// A `let` value: a pipeline continues on indented lines.
    fn let_value(&mut self, e: &Expr, indent: usize) -> String {
        match &e.kind {
            ExprKind::Pipeline { source, ops } => {
                self.pipeline_lines(source, ops, indent, indent + INDENT)
            }
            _ => self.expr(e, indent),
        }
    }

    /// A statement's expression: a pipeline puts each operator on a line of its own.
    fn top_expr(&mut self, e: &Expr, indent: usize) -> String {
        match &e.kind {
            ExprKind::Pipeline { source, ops } => self.pipeline_lines(source, ops, indent, indent),
            _ => self.expr(e, indent),
        }
    }

    /// `source` then `| op` lines at `op_indent`, with the comments that precede each.
    fn pipeline_lines(
        &mut self,
        source: &Expr,
        ops: &[PipeOp],
        indent: usize,
        op_indent: usize,
    ) -> String {
        let mut out = self.expr(source, indent);
        for op in ops {
            out.push('\n');
            out.push_str(&self.comments_before(op.span.start, op_indent));
            out.push_str(&pad(op_indent));
            out.push_str("| ");
            let text = self.operator(&op.op, op_indent);
            out.push_str(&text);
        }
        out
    }

    fn function(&mut self, f: &FunctionDef, indent: usize) -> String {
        let params: Vec<String> = f.params.iter().map(|p| self.param(p)).collect();
        let mut out = format!("({}) {{", params.join(", "));
        let inner = indent + INDENT;
        for s in &f.body {
            out.push('\n');
            out.push_str(&self.comments_before(s.span.start, inner));
            out.push_str(&pad(inner));
            let text = self.statement(s, inner);
            out.push_str(&text);
            if !matches!(s.kind, StatementKind::Expr(_)) {
                out.push(';');
            }
        }
        out.push_str(&self.comments_before(f.span.end, inner));
        out.push('\n');
        out.push_str(&pad(indent));
        out.push('}');
        out
    }

    fn param(&mut self, p: &Param) -> String {
        let ty = match &p.ty {
            ParamType::Scalar(t) => t.name.clone(),
            ParamType::Tabular { columns, open } => format!("({})", self.schema(columns, *open)),
        };
        match &p.default {
            Some(d) => format!("{}: {ty} = {}", self.decl_name(&p.name), self.expr(d, 0)),
            None => format!("{}: {ty}", self.decl_name(&p.name)),
        }
    }

    fn schema(&self, columns: &[ColumnDecl], open: bool) -> String {
        let mut parts: Vec<String> =
            columns.iter().map(|c| format!("{}: {}", self.decl_name(&c.name), c.ty.name)).collect();
        if open {
            parts.push("*".to_string());
        }
        parts.join(", ")
    }

    // ---- names and literals -------------------------------------------------------------

    fn name(&self, i: &Ident) -> String {
        if i.bracketed { bracketed(&i.name) } else { i.name.clone() }
    }

    fn decl_name(&self, i: &Ident) -> String {
        self.name(i)
    }

    fn literal(&mut self, l: &Literal, span: Span) -> String {
        match &l.value {
            LiteralValue::Dynamic(d) => {
                self.consume_comments_in(span);
                format!("dynamic({})", dynamic(d))
            }
            LiteralValue::String(_) => {
                let raw = l.raw.as_str();
                if !raw.contains("//") && !raw.contains('\n') {
                    return raw.to_string();
                }
                // A string made of several pieces, maybe with comments between: print the
                // pieces, and let the comments go to their own lines.
                let lexed = lexer::lex(raw);
                let pieces: Vec<&str> = lexed
                    .tokens
                    .iter()
                    .filter(|t| t.kind == TokenKind::String)
                    .map(|t| &raw[t.span.range()])
                    .collect();
                pieces.join(" ")
            }
            _ => l.raw.clone(),
        }
    }

    // ---- expressions --------------------------------------------------------------------

    fn exprs(&mut self, items: &[Expr], indent: usize) -> String {
        let parts: Vec<String> = items.iter().map(|e| self.expr(e, indent)).collect();
        parts.join(", ")
    }

    fn expr(&mut self, e: &Expr, indent: usize) -> String {
        match &e.kind {
            ExprKind::Name(i) => self.name(i),
            ExprKind::Literal(l) => self.literal(l, e.span),
            ExprKind::Unary { op, operand } => {
                let sign = if *op == UnaryOp::Neg { "-" } else { "+" };
                format!("{sign}{}", self.expr(operand, indent))
            }
            ExprKind::Binary { op: BinaryOp::Colon, lhs, rhs } => {
                format!("{}:{}", self.expr(lhs, indent), self.expr(rhs, indent))
            }
            ExprKind::Binary { op, lhs, rhs } => {
                format!("{} {} {}", self.expr(lhs, indent), op.as_str(), self.expr(rhs, indent))
            }
            ExprKind::Logical { op, operands } => {
                let word = if *op == LogicalOp::And { " and " } else { " or " };
                let parts: Vec<String> = operands.iter().map(|o| self.expr(o, indent)).collect();
                parts.join(word)
            }
            ExprKind::ListOp { op, lhs, items } => {
                let lhs = self.expr(lhs, indent);
                format!("{lhs} {} ({})", op.as_str(), self.exprs(items, indent))
            }
            ExprKind::Between { negated, lhs, low, high } => {
                let word = if *negated { "!between" } else { "between" };
                let (lhs, low, high) =
                    (self.expr(lhs, indent), self.expr(low, indent), self.expr(high, indent));
                format!("{lhs} {word} ({low} .. {high})")
            }
            ExprKind::Call { receiver: None, name, args }
                if matches!(name.name.as_str(), "toscalar" | "totable")
                    && matches!(args.first(), Some(Arg::Named { .. })) =>
            {
                // `toscalar kind=... (query)`: the parameter goes before the parenthesis.
                let mut s = name.name.clone();
                for a in args {
                    match a {
                        Arg::Named { name, value } => {
                            s.push_str(&format!(" {}={}", name.name, self.expr(value, indent)))
                        }
                        Arg::Positional(e) => s.push_str(&format!(" ({})", self.expr(e, indent))),
                    }
                }
                s
            }
            ExprKind::Call { receiver, name, args } => {
                let args: Vec<String> = args.iter().map(|a| self.arg(a, indent)).collect();
                let call = format!("{}({})", self.name(name), args.join(", "));
                match receiver {
                    Some(r) => format!("{}.{call}", self.expr(r, indent)),
                    None => call,
                }
            }
            ExprKind::Member { target, name } => {
                let target = self.expr(target, indent);
                if name.bracketed {
                    format!("{target}.{}", bracketed(&name.name))
                } else {
                    format!("{target}.{}", name.name)
                }
            }
            ExprKind::Index { target, index } => {
                format!("{}[{}]", self.expr(target, indent), self.expr(index, indent))
            }
            ExprKind::Paren(inner) => self.parenthesized(inner, indent),
            ExprKind::Star => "*".to_string(),
            ExprKind::Pipeline { source, ops } => self.nested_pipeline(e.span, source, ops, indent),
            ExprKind::Operator(op) => self.operator(op, indent),
            ExprKind::Error => String::new(),
        }
    }

    fn arg(&mut self, a: &Arg, indent: usize) -> String {
        match a {
            Arg::Positional(e) => self.expr(e, indent),
            Arg::Named { name, value } => {
                format!("{} = {}", self.name(name), self.expr(value, indent))
            }
        }
    }

    /// `(inner)`; a long or commented pipeline inside goes on lines of its own.
    fn parenthesized(&mut self, inner: &Expr, indent: usize) -> String {
        if let ExprKind::Pipeline { source, ops } = &inner.kind
            && (self.has_comments_in(inner.span) || self.inline_too_long(inner, indent))
        {
            let body = self.pipeline_lines(source, ops, indent + INDENT, indent + INDENT);
            return format!("(\n{}{body}\n{})", pad(indent + INDENT), pad(indent));
        }
        format!("({})", self.expr(inner, indent))
    }

    /// A pipeline used as a value (a `toscalar` argument, an `in` list): inline when short.
    fn nested_pipeline(
        &mut self,
        span: Span,
        source: &Expr,
        ops: &[PipeOp],
        indent: usize,
    ) -> String {
        if !self.has_comments_in(span) {
            let mut probe = self.clone_state();
            let inline = probe.inline_pipeline(source, ops, indent);
            if indent + width(&inline) <= WIDTH && !inline.contains('\n') {
                return self.inline_pipeline(source, ops, indent);
            }
        }
        self.pipeline_lines(source, ops, indent, indent + INDENT)
    }

    fn inline_pipeline(&mut self, source: &Expr, ops: &[PipeOp], indent: usize) -> String {
        let mut out = self.expr(source, indent);
        for op in ops {
            out.push_str(" | ");
            let text = self.operator(&op.op, indent);
            out.push_str(&text);
        }
        out
    }

    /// Whether an expression printed on one line would run past the width.
    fn inline_too_long(&self, e: &Expr, indent: usize) -> bool {
        let mut probe = self.clone_state();
        let text = match &e.kind {
            ExprKind::Pipeline { source, ops } => probe.inline_pipeline(source, ops, indent),
            _ => probe.expr(e, indent),
        };
        text.contains('\n') || indent + width(&text) > WIDTH - 20
    }

    /// A scratch copy for measuring how long something would print.
    fn clone_state(&self) -> Formatter<'_> {
        Formatter {
            text: self.text,
            comments: self.comments,
            printed: self.printed.clone(),
            out: String::new(),
        }
    }

    // ---- operators ----------------------------------------------------------------------

    fn params(&mut self, params: &[OpParam]) -> String {
        let parts: Vec<String> =
            params.iter().map(|p| format!("{}={}", p.name.name, self.expr(&p.value, 0))).collect();
        parts.join(" ")
    }

    fn assignment(&mut self, a: &Assignment, indent: usize) -> String {
        let value = self.expr(&a.value, indent);
        match a.names.as_slice() {
            [] => value,
            names if a.tuple => {
                let names: Vec<String> = names.iter().map(|n| self.decl_name(n)).collect();
                format!("({}) = {value}", names.join(", "))
            }
            [name, ..] => format!("{} = {value}", self.decl_name(name)),
        }
    }

    /// A comma list: on one line when it fits after `lead`, else one item per line.
    fn list(&self, lead: &str, items: Vec<String>, indent: usize) -> String {
        let inline = items.join(", ");
        if indent + width(lead) + width(&inline) <= WIDTH && !inline.contains('\n') {
            return inline;
        }
        let sep = format!(",\n{}", pad(indent + INDENT));
        format!("\n{}{}", pad(indent + INDENT), items.join(&sep))
    }

    fn assignments(&mut self, lead: &str, items: &[Assignment], indent: usize) -> String {
        let parts: Vec<String> =
            items.iter().map(|a| self.assignment(a, indent + INDENT)).collect();
        self.list(lead, parts, indent)
    }

    fn sort_key(&mut self, k: &SortKey, indent: usize) -> String {
        let mut s = self.expr(&k.expr, indent);
        match k.order {
            Some(SortOrder::Asc) => s.push_str(" asc"),
            Some(SortOrder::Desc) => s.push_str(" desc"),
            None => {}
        }
        match k.nulls {
            Some(NullsOrder::First) => s.push_str(" nulls first"),
            Some(NullsOrder::Last) => s.push_str(" nulls last"),
            None => {}
        }
        s
    }

    fn predicate(&mut self, lead: &str, e: &Expr, indent: usize) -> String {
        let inline = self.clone_state().expr(e, indent);
        if indent + width(lead) + width(&inline) <= WIDTH {
            return self.expr(e, indent);
        }
        match &e.kind {
            ExprKind::Logical { op, operands } => {
                let word = if *op == LogicalOp::And { "and " } else { "or " };
                let parts: Vec<String> =
                    operands.iter().map(|o| self.expr(o, indent + INDENT)).collect();
                parts.join(&format!("\n{}{word}", pad(indent + INDENT)))
            }
            _ => self.expr(e, indent),
        }
    }

    /// An operator without its leading `| `, starting at a line indented by `indent`.
    fn operator(&mut self, op: &Operator, indent: usize) -> String {
        use OperatorKind::*;
        let params = self.params(&op.params);
        let with_params = |word: &str| {
            if params.is_empty() { word.to_string() } else { format!("{word} {params}") }
        };
        match &op.kind {
            Where {
                predicate: Expr { kind: ExprKind::Binary { lhs, rhs, .. }, .. },
                single_equals: true,
            } => {
                let (lhs, rhs) = (self.expr(lhs, indent), self.expr(rhs, indent));
                format!("{} {lhs} = {rhs}", with_params("where"))
            }
            Where { predicate, .. } => {
                let lead = with_params("where");
                format!("{lead} {}", self.predicate(&lead, predicate, indent))
            }
            Project { items } => self.keyword_list("project", items, indent),
            ProjectSmart { items } => self.keyword_list("project-smart", items, indent),
            Extend { items } => self.keyword_list("extend", items, indent),
            Print { items } => self.keyword_list("print", items, indent),
            Serialize { items } => self.keyword_list(&with_params("serialize"), items, indent),
            ProjectAway { columns } => self.column_list("project-away", columns, indent),
            ProjectKeep { columns } => self.column_list("project-keep", columns, indent),
            ProjectByNames { columns } => self.column_list("project-by-names", columns, indent),
            ProjectRename { renames } => {
                let parts: Vec<String> = renames
                    .iter()
                    .map(|(n, o)| format!("{} = {}", self.decl_name(n), self.name(o)))
                    .collect();
                format!("project-rename {}", self.list("project-rename ", parts, indent))
            }
            ProjectReorder { columns } => {
                let parts: Vec<String> = columns.iter().map(|k| self.sort_key(k, indent)).collect();
                format!("project-reorder {}", self.list("project-reorder ", parts, indent))
                    .trim_end()
                    .to_string()
            }
            Summarize { aggregates, by } => {
                let lead = with_params("summarize");
                let aggs = self.assignments(&lead, aggregates, indent);
                let mut out = lead.clone();
                if !aggs.is_empty() {
                    if !aggs.starts_with('\n') {
                        out.push(' ');
                    }
                    out.push_str(&aggs);
                }
                if !by.is_empty() {
                    let keys = self.assignments("by ", by, indent);
                    let broken = aggs.starts_with('\n') || keys.starts_with('\n');
                    let inline = format!("{out} by {keys}");
                    if !broken && indent + width(&inline) <= WIDTH {
                        return inline;
                    }
                    out.push_str(&format!("\n{}by", pad(indent + INDENT)));
                    if !keys.starts_with('\n') {
                        out.push(' ');
                    }
                    out.push_str(&keys);
                }
                out
            }
            Count { name } => match name {
                Some(n) => format!("count as {}", n.name),
                None => "count".to_string(),
            },
            Distinct { items } => {
                let lead = with_params("distinct");
                format!("{lead} {}", self.assignments(&lead, items, indent).trim_start())
            }
            Sort { keys } => {
                let lead = with_params("sort");
                let parts: Vec<String> = keys.iter().map(|k| self.sort_key(k, indent)).collect();
                format!("{lead} by {}", self.list(&lead, parts, indent))
            }
            Top { count, by } => {
                let lead = with_params("top");
                format!("{lead} {} by {}", self.expr(count, indent), self.sort_key(by, indent))
            }
            TopNested { clauses } => {
                let parts: Vec<String> = clauses
                    .iter()
                    .map(|c| {
                        let mut s = "top-nested".to_string();
                        if let Some(n) = &c.count {
                            s.push(' ');
                            s.push_str(&self.expr(n, indent));
                        }
                        s.push_str(&format!(" of {}", self.assignment(&c.of, indent)));
                        if let Some(o) = &c.others {
                            s.push_str(&format!(" with others = {}", self.expr(o, indent)));
                        }
                        s.push_str(&format!(" by {}", self.assignment(&c.by, indent)));
                        match c.order {
                            Some(SortOrder::Asc) => s.push_str(" asc"),
                            Some(SortOrder::Desc) => s.push_str(" desc"),
                            None => {}
                        }
                        s
                    })
                    .collect();
                parts.join(", ")
            }
            TopHitters { count, of, by } => {
                let mut s = format!(
                    "top-hitters {} of {}",
                    self.expr(count, indent),
                    self.expr(of, indent)
                );
                if let Some(b) = by {
                    s.push_str(&format!(" by {}", self.expr(b, indent)));
                }
                s
            }
            Take { count } => format!("{} {}", with_params("take"), self.expr(count, indent)),
            Sample { count } => format!("{} {}", with_params("sample"), self.expr(count, indent)),
            SampleDistinct { count, of } => format!(
                "{} {} of {}",
                with_params("sample-distinct"),
                self.expr(count, indent),
                self.expr(of, indent)
            ),
            Join { right, on, where_ } => {
                let mut s = format!("{} {}", with_params("join"), self.expr(right, indent));
                if !on.is_empty() {
                    s.push_str(&format!(" on {}", self.exprs(on, indent)));
                }
                if let Some(w) = where_ {
                    s.push_str(&format!(" where {}", self.expr(w, indent)));
                }
                s
            }
            Lookup { right, on } => format!(
                "{} {} on {}",
                with_params("lookup"),
                self.expr(right, indent),
                self.exprs(on, indent)
            ),
            Union { tables } => format!("{} {}", with_params("union"), self.exprs(tables, indent)),
            MvExpand { items, limit } => {
                let mut s =
                    format!("{} {}", with_params("mv-expand"), self.expand_items(items, indent));
                if let Some(l) = limit {
                    s.push_str(&format!(" limit {}", self.expr(l, indent)));
                }
                s
            }
            MvApply { items, limit, id, on } => {
                let mut s =
                    format!("{} {}", with_params("mv-apply"), self.expand_items(items, indent));
                if let Some(l) = limit {
                    s.push_str(&format!(" limit {}", self.expr(l, indent)));
                }
                if let Some((_, e)) = id {
                    s.push_str(&format!(" id {}", self.expr(e, indent)));
                }
                s.push_str(&format!(" on {}", self.operator_block(on, indent)));
                s
            }
            Parse { source, pattern } => {
                let parts: Vec<String> = pattern
                    .iter()
                    .map(|p| match p {
                        ParsePart::Text(l) => self.literal(l, Span::default()),
                        ParsePart::Column { name, ty: Some(t) } => {
                            format!("{}: {}", self.decl_name(name), t.name)
                        }
                        ParsePart::Column { name, ty: None } => self.decl_name(name),
                        ParsePart::Star => "*".to_string(),
                    })
                    .collect();
                let word = with_params(&op.keyword.name);
                format!("{word} {} with {}", self.expr(source, indent), parts.join(" "))
            }
            ParseKv { source, columns, with } => {
                let mut s = format!(
                    "parse-kv {} as ({})",
                    self.expr(source, indent),
                    self.schema(columns, false)
                );
                if !with.is_empty() {
                    s.push_str(&format!(" with ({})", self.properties(with)));
                }
                s
            }
            MakeSeries { aggregates, on, range, by } => {
                let aggs: Vec<String> = aggregates
                    .iter()
                    .map(|(a, d)| {
                        let a = self.assignment(a, indent);
                        match d {
                            Some(d) => format!("{a} default = {}", self.expr(d, indent)),
                            None => a,
                        }
                    })
                    .collect();
                let mut s = format!(
                    "{} {} on {}",
                    with_params("make-series"),
                    aggs.join(", "),
                    self.expr(on, indent)
                );
                match range {
                    SeriesRange::FromTo { from, to, step } => {
                        if let Some(e) = from {
                            s.push_str(&format!(" from {}", self.expr(e, indent)));
                        }
                        if let Some(e) = to {
                            s.push_str(&format!(" to {}", self.expr(e, indent)));
                        }
                        s.push_str(&format!(" step {}", self.expr(step, indent)));
                    }
                    SeriesRange::InRange { start, stop, step } => s.push_str(&format!(
                        " in range({}, {}, {})",
                        self.expr(start, indent),
                        self.expr(stop, indent),
                        self.expr(step, indent)
                    )),
                }
                if !by.is_empty() {
                    let keys: Vec<String> = by.iter().map(|a| self.assignment(a, indent)).collect();
                    s.push_str(&format!(" by {}", keys.join(", ")));
                }
                s
            }
            Evaluate { call, schema } => {
                let mut s = format!("{} {}", with_params("evaluate"), self.expr(call, indent));
                if let Some((columns, open)) = schema {
                    s.push_str(&format!(" : ({})", self.schema(columns, *open)));
                }
                s
            }
            Datatable { columns, values } => {
                let per_row = columns.len().max(1);
                let rows: Vec<String> = values
                    .chunks(per_row)
                    .map(|row| {
                        let cells: Vec<String> = row.iter().map(|v| self.expr(v, indent)).collect();
                        cells.join(", ")
                    })
                    .collect();
                let head = format!("{}({})", with_params("datatable"), self.schema(columns, false));
                let inline = format!("{head} [{}]", rows.join(", "));
                if indent + width(&inline) <= WIDTH {
                    return inline;
                }
                let sep = format!(",\n{}", pad(indent + INDENT));
                format!("{head} [\n{}{}\n{}]", pad(indent + INDENT), rows.join(&sep), pad(indent))
            }
            ExternalData { columns, urls, with } => {
                let mut s = format!(
                    "{}({}) [{}]",
                    with_params("externaldata"),
                    self.schema(columns, false),
                    self.exprs(urls, indent)
                );
                if !with.is_empty() {
                    s.push_str(&format!(" with ({})", self.properties(with)));
                }
                s
            }
            Range { column, from, to, step } => format!(
                "range {} from {} to {} step {}",
                self.name(column),
                self.expr(from, indent),
                self.expr(to, indent),
                self.expr(step, indent)
            ),
            Render { chart, with, by } => {
                let mut s = format!("render {}", chart.name);
                if !by.is_empty() {
                    s.push_str(&format!(" by {}", self.exprs(by, indent)));
                }
                if !with.is_empty() {
                    s.push_str(&format!(" with ({})", self.properties(with)));
                }
                s
            }
            Invoke { call } => format!("invoke {}", self.expr(call, indent)),
            As { name } => format!("{} {}", with_params("as"), self.name(name)),
            GetSchema => with_params("getschema"),
            Search { tables, predicate } => {
                let mut s = with_params("search");
                if !tables.is_empty() {
                    s.push_str(&format!(" in ({})", self.exprs(tables, indent)));
                }
                s.push_str(&format!(" {}", self.expr(predicate, indent)));
                s
            }
            Find { tables, predicate, project, smart } => {
                let mut s = with_params("find");
                if !tables.is_empty() {
                    s.push_str(&format!(" in ({})", self.exprs(tables, indent)));
                }
                s.push_str(&format!(" where {}", self.expr(predicate, indent)));
                if *smart {
                    s.push_str(" project-smart");
                } else if let Some(p) = project {
                    s.push_str(&format!(" project {}", self.exprs(p, indent)));
                }
                s
            }
            Scan { order_by, partition_by, declare, steps } => {
                let mut s = with_params("scan");
                if !order_by.is_empty() {
                    let keys: Vec<String> =
                        order_by.iter().map(|k| self.sort_key(k, indent)).collect();
                    s.push_str(&format!(" order by {}", keys.join(", ")));
                }
                if !partition_by.is_empty() {
                    s.push_str(&format!(" partition by {}", self.exprs(partition_by, indent)));
                }
                if !declare.is_empty() {
                    let params: Vec<String> = declare.iter().map(|p| self.param(p)).collect();
                    s.push_str(&format!(" declare ({})", params.join(", ")));
                }
                s.push_str(" with (");
                for step in steps {
                    s.push_str(&format!(
                        "\n{}step {}",
                        pad(indent + INDENT),
                        self.decl_name(&step.name)
                    ));
                    if step.optional {
                        s.push_str(" optional");
                    }
                    s.push_str(&format!(": {}", self.expr(&step.predicate, indent + INDENT)));
                    if !step.assignments.is_empty() {
                        let parts: Vec<String> = step
                            .assignments
                            .iter()
                            .map(|a| self.assignment(a, indent + INDENT))
                            .collect();
                        s.push_str(&format!(" => {}", parts.join(", ")));
                    }
                    s.push(';');
                }
                s.push_str(&format!("\n{})", pad(indent)));
                s
            }
            Fork { branches } => {
                let mut s = "fork".to_string();
                for b in branches {
                    s.push(' ');
                    if let Some(n) = &b.name {
                        s.push_str(&format!("{} = ", self.name(n)));
                    }
                    s.push_str(&format!("({})", self.ops_inline(&b.ops, indent)));
                }
                s
            }
            Facet { columns, with } => {
                let mut s = format!("facet by {}", self.exprs(columns, indent));
                if let Some(ops) = with {
                    s.push_str(&format!(" with ({})", self.ops_inline(ops, indent)));
                }
                s
            }
            Consume => with_params("consume"),
            Reduce { by, with } => {
                let mut s = format!("{} by {}", with_params("reduce"), self.expr(by, indent));
                if !with.is_empty() {
                    s.push_str(&format!(" with {}", self.properties(with)));
                }
                s
            }
            Partition { by, body } => {
                let lead = format!("{} by {}", with_params("partition"), self.expr(by, indent));
                match &body.kind {
                    ExprKind::Pipeline { source, .. } if matches!(source.kind, ExprKind::Error) => {
                        format!("{lead} {}", self.operator_block(body, indent))
                    }
                    _ => format!("{lead} {{ {} }}", self.expr(body, indent)),
                }
            }
            AssertSchema { columns, open } => {
                format!("assert-schema ({})", self.schema(columns, *open))
            }
            Opaque { text_span } => {
                self.consume_comments_in(*text_span);
                let raw = self.text[text_span.range()].trim();
                format!("{} {raw}", op.keyword.name).trim_end().to_string()
            }
        }
    }

    fn keyword_list(&mut self, word: &str, items: &[Assignment], indent: usize) -> String {
        let list = self.assignments(word, items, indent);
        if list.is_empty() {
            word.to_string()
        } else if list.starts_with('\n') {
            format!("{word}{list}")
        } else {
            format!("{word} {list}")
        }
    }

    fn column_list(&mut self, word: &str, columns: &[Expr], indent: usize) -> String {
        let parts: Vec<String> = columns.iter().map(|c| self.expr(c, indent)).collect();
        let list = self.list(word, parts, indent);
        if list.is_empty() {
            word.to_string()
        } else if list.starts_with('\n') {
            format!("{word}{list}")
        } else {
            format!("{word} {list}")
        }
    }

    fn expand_items(&mut self, items: &[ExpandItem], indent: usize) -> String {
        let parts: Vec<String> = items
            .iter()
            .map(|i| {
                let a = self.assignment(&i.item, indent);
                match &i.to_type {
                    Some(t) => format!("{a} to typeof({})", t.name),
                    None => a,
                }
            })
            .collect();
        parts.join(", ")
    }

    fn properties(&mut self, props: &[OpParam]) -> String {
        let parts: Vec<String> = props
            .iter()
            .map(|p| format!("{}={}", self.name(&p.name), self.expr(&p.value, 0)))
            .collect();
        parts.join(", ")
    }

    /// `(op | op)`: the operators of a sub-query with an implicit input.
    fn operator_block(&mut self, block: &Expr, indent: usize) -> String {
        match &block.kind {
            ExprKind::Pipeline { ops, .. } => format!("({})", self.ops_inline(ops, indent)),
            _ => "()".to_string(),
        }
    }

    fn ops_inline(&mut self, ops: &[PipeOp], indent: usize) -> String {
        let parts: Vec<String> = ops.iter().map(|o| self.operator(&o.op, indent)).collect();
        parts.join(" | ")
    }
}

/// Display width, in characters.
fn width(s: &str) -> usize {
    s.chars().count()
}

/// `['name']`, escaping what a single-quoted string must: a name as KQL can always write it.
pub fn bracketed(name: &str) -> String {
    let escaped = name.replace('\\', "\\\\").replace('\'', "\\'").replace('\n', "\\n");
    format!("['{escaped}']")
}

/// A dynamic value in canonical form.
fn dynamic(d: &Dynamic) -> String {
    match d {
        Dynamic::Null => "null".to_string(),
        Dynamic::Scalar(l) => match &l.value {
            LiteralValue::String(s) => json_string(s),
            _ => l.raw.clone(),
        },
        Dynamic::Array(items) => {
            let parts: Vec<String> = items.iter().map(dynamic).collect();
            format!("[{}]", parts.join(", "))
        }
        Dynamic::Object(fields) => {
            let parts: Vec<String> =
                fields.iter().map(|(k, v)| format!("{}: {}", json_string(k), dynamic(v))).collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// A KQL string literal that reads back as `s`: double-quoted, with escapes.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
