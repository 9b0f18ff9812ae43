//! Tabular operators: what follows `|`, and the operators that can start a query.

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::keywords;
use crate::lexer::TokenKind;
use crate::span::Span;

/// Every operator name accepted after `|`, for "did you mean" suggestions.
pub const PIPE_OPERATORS: &[&str] = &[
    "as",
    "assert-schema",
    "consume",
    "count",
    "distinct",
    "evaluate",
    "extend",
    "facet",
    "filter",
    "find",
    "fork",
    "getschema",
    "graph-mark-components",
    "graph-match",
    "graph-shortest-paths",
    "graph-to-table",
    "invoke",
    "join",
    "limit",
    "lookup",
    "macro-expand",
    "make-graph",
    "make-series",
    "mv-apply",
    "mv-expand",
    "mvapply",
    "mvexpand",
    "order",
    "parse",
    "parse-kv",
    "parse-where",
    "partition",
    "print",
    "project",
    "project-away",
    "project-by-names",
    "project-keep",
    "project-rename",
    "project-reorder",
    "project-smart",
    "reduce",
    "render",
    "sample",
    "sample-distinct",
    "scan",
    "search",
    "serialize",
    "sort",
    "summarize",
    "take",
    "top",
    "top-hitters",
    "top-nested",
    "union",
    "where",
];

/// Operators accepted but only skipped over: their arguments are kept as raw text (the planner
/// reports them as not supported).
const OPAQUE_OPERATORS: &[&str] = &[
    "graph-mark-components",
    "graph-match",
    "graph-shortest-paths",
    "graph-to-table",
    "graph-where-edges",
    "graph-where-nodes",
    "macro-expand",
    "make-graph",
    "__executeAndCache",
];

/// Property names `render ... with (...)` accepts.
const RENDER_PROPERTIES: &[&str] = &[
    "kind",
    "title",
    "accumulate",
    "xcolumn",
    "ycolumns",
    "anomalycolumns",
    "series",
    "xtitle",
    "ytitle",
    "xaxis",
    "yaxis",
    "legend",
    "ysplit",
    "ymin",
    "ymax",
    "xmin",
    "xmax",
];

/// Property names `parse-kv ... with (...)` accepts.
const PARSE_KV_PROPERTIES: &[&str] =
    &["pair_delimiter", "kv_delimiter", "regex", "quote", "escape", "greedy"];

impl Parser<'_> {
    /// An operator, after `|` or at the head of a query; the current token is its keyword.
    pub(super) fn pipe_operator(&mut self) -> Operator {
        // Operators hold sub-queries, and their parsing takes much stack: count them as a level.
        if !self.enter() {
            let start = self.current().span.start;
            return self.skip_operator(start, None);
        }
        let op = self.operator_after_keyword();
        self.leave();
        op
    }

    fn operator_after_keyword(&mut self) -> Operator {
        let start = self.current().span.start;
        if !self.at(TokenKind::Ident) {
            self.expected("a query operator after `|`");
            return self.skip_operator(start, None);
        }
        let keyword_token = self.bump();
        let keyword = self.ident_from(keyword_token);
        let word = keyword.name.clone();
        let mut params = Vec::new();
        let kind = match word.as_str() {
            "where" | "filter" => {
                params = self.op_params(&[]);
                let single_equals = self.at_declared_name_then_assign();
                OperatorKind::Where { predicate: self.predicate(), single_equals }
            }
            "project" => OperatorKind::Project { items: self.optional_assignments() },
            "project-away" => OperatorKind::ProjectAway { columns: self.column_patterns() },
            "project-keep" => OperatorKind::ProjectKeep { columns: self.column_patterns() },
            "project-by-names" => OperatorKind::ProjectByNames {
                columns: if self.at_operator_end() {
                    Vec::new()
                } else {
                    self.comma_list(|p| p.expr())
                },
            },
            "project-rename" => self.project_rename(),
            "project-reorder" => OperatorKind::ProjectReorder { columns: self.reorder_keys() },
            "extend" => OperatorKind::Extend { items: self.assignments() },
            "summarize" => {
                params = self.op_params(&[]);
                self.summarize()
            }
            "count" if self.at(TokenKind::LParen) => {
                self.error(
                    Diagnostic::syntax(keyword.span, "expected a query operator, found `count(`")
                        .with_help("to count rows, write `| count` or `| summarize count()`"),
                );
                return self.skip_operator(start, Some(keyword));
            }
            "count" => self.count(),
            "distinct" => {
                params = self.op_params(&[]);
                OperatorKind::Distinct { items: self.comma_list(|p| p.distinct_item()) }
            }
            "sort" | "order" => {
                params = self.op_params(&[]);
                self.expect_word("by");
                OperatorKind::Sort { keys: self.comma_list(|p| p.sort_key()) }
            }
            "top" => {
                params = self.op_params(&[]);
                self.top()
            }
            "top-nested" => self.top_nested(),
            "top-hitters" => self.top_hitters(),
            "take" | "limit" => {
                params = self.op_params(&[]);
                OperatorKind::Take { count: self.expr() }
            }
            "sample" => {
                params = self.op_params(&[]);
                OperatorKind::Sample { count: self.expr() }
            }
            "sample-distinct" => {
                params = self.op_params(&[]);
                let count = self.expr();
                self.expect_word("of");
                OperatorKind::SampleDistinct { count, of: self.expr() }
            }
            "join" => {
                params = self.op_params(&[]);
                self.join()
            }
            "lookup" => {
                params = self.op_params(&[]);
                self.lookup()
            }
            "union" => {
                params = self.op_params(&["best_effort"]);
                OperatorKind::Union { tables: self.comma_list(|p| p.table_reference()) }
            }
            "mv-expand" | "mvexpand" => {
                params = self.op_params(&[]);
                self.mv_expand()
            }
            "mv-apply" | "mvapply" => {
                params = self.op_params(&[]);
                self.mv_apply()
            }
            "parse" | "parse-where" => {
                params = self.op_params(&["flags"]);
                self.parse_op()
            }
            "parse-kv" => self.parse_kv(),
            "make-series" => {
                params = self.op_params(&[]);
                self.make_series()
            }
            "evaluate" => {
                params = self.op_params(&[]);
                self.evaluate()
            }
            "render" => self.render(),
            "invoke" => self.invoke(),
            "as" => {
                params = self.op_params(&[]);
                let name =
                    self.plain_name("a name after `as`").unwrap_or_else(|| self.blank_ident());
                OperatorKind::As { name }
            }
            "serialize" => {
                params = self.op_params(&[]);
                OperatorKind::Serialize { items: self.optional_assignments() }
            }
            "getschema" => {
                if self.at_word("kind") && self.peek_nth(1) == TokenKind::Assign {
                    params = self.op_params(&[]);
                }
                OperatorKind::GetSchema
            }
            "search" => {
                params = self.op_params(&[]);
                self.search()
            }
            "find" => {
                params = self.op_params(&["datascope"]);
                self.find(!params.is_empty())
            }
            "scan" => {
                params = self.op_params(&[]);
                self.scan()
            }
            "fork" => self.fork(),
            "facet" => self.facet(),
            "consume" => {
                params = self.op_params(&[]);
                OperatorKind::Consume
            }
            "reduce" => {
                params = self.op_params(&["threshold", "characters"]);
                self.reduce()
            }
            "partition" => {
                params = self.op_params(&[]);
                self.partition()
            }
            "assert-schema" => self.assert_schema(),
            "print" => OperatorKind::Print { items: self.assignments() },
            "range" => self.range(),
            "datatable" => {
                params = self.op_params(&[]);
                self.datatable()
            }
            "externaldata" | "external_data" => {
                params = self.op_params(&[]);
                self.externaldata()
            }
            w if OPAQUE_OPERATORS.contains(&w) => return self.skip_operator(start, Some(keyword)),
            w => {
                let mut d = Diagnostic::syntax(
                    keyword.span,
                    format!("expected a query operator, found `{w}`"),
                );
                if let Some(s) = crate::suggest::closest(w, PIPE_OPERATORS.iter().copied()) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.error(d);
                return self.skip_operator(start, Some(keyword));
            }
        };
        Operator { kind, keyword, params, span: self.span_from(start) }
    }

    /// Skips an operator we cannot parse; its text becomes an `Opaque` operator.
    fn skip_operator(&mut self, start: u32, keyword: Option<Ident>) -> Operator {
        let text_start = self.current().span.start;
        self.recover_to_pipe();
        let keyword = keyword.unwrap_or_else(|| self.blank_ident());
        let text_span = Span { start: text_start, end: (self.prev_end() as u32).max(text_start) };
        Operator {
            kind: OperatorKind::Opaque { text_span },
            keyword,
            params: Vec::new(),
            span: self.span_from(start),
        }
    }

    /// Whether the current token ends the operator: `|`, `;`, `)`, `}`, `]` or the end.
    fn at_operator_end(&self) -> bool {
        matches!(
            self.peek(),
            TokenKind::Pipe
                | TokenKind::Semicolon
                | TokenKind::RParen
                | TokenKind::RBrace
                | TokenKind::RBracket
                | TokenKind::Eof
        )
    }

    // ---- shared pieces ------------------------------------------------------------------

    /// Named parameters before an operator's arguments: `kind=inner`, `hint.strategy=shuffle`.
    /// Every operator that takes parameters accepts the global names as well as its own; a
    /// global name followed by `=` is always a parameter (`summarize kind = ...` is not KQL).
    fn op_params(&mut self, own: &[&str]) -> Vec<OpParam> {
        let mut params = Vec::new();
        while let Some(len) = self.param_name_len(own) {
            if self.peek_nth(len) != TokenKind::Assign {
                break;
            }
            let name = self.dotted_name();
            self.bump();
            let value = self.param_value();
            params.push(OpParam { name, value });
        }
        params
    }

    /// If a known parameter name starts here, how many tokens it spans (`hint.strategy` is 3).
    fn param_name_len(&self, own: &[&str]) -> Option<usize> {
        if !self.at(TokenKind::Ident) {
            return None;
        }
        let first = self.current_text();
        let known = |n: &str| keywords::is_global_parameter(n) || own.contains(&n);
        if first == "hint"
            && self.peek_nth(1) == TokenKind::Dot
            && self.peek_nth(2) == TokenKind::Ident
            && self.adjacent(self.current(), self.nth(1))
            && self.adjacent(self.nth(1), self.nth(2))
        {
            let full = format!("hint.{}", self.text_of(self.nth(2)));
            return known(&full).then_some(3);
        }
        known(first).then_some(1)
    }

    /// A parameter's value: a bare word (`inner`, `shuffle`, a column name) or a literal.
    pub(super) fn param_value(&mut self) -> Expr {
        if self.at(TokenKind::Ident)
            && !matches!(
                self.current_text(),
                "true" | "false" | "True" | "False" | "TRUE" | "FALSE" | "dynamic" | "typeof"
            )
        {
            let t = self.bump();
            return Expr::name(self.ident_from(t));
        }
        self.literal_value("a parameter value")
    }

    /// A literal where only a literal may stand: a sign may touch a number (`-1`), strings,
    /// booleans, `datetime(...)`-style literals, `dynamic(...)`, `typeof(...)`.
    pub(super) fn literal_value(&mut self, what: &str) -> Expr {
        let t = self.current();
        let signed = matches!(t.kind, TokenKind::Minus | TokenKind::Plus)
            && matches!(self.peek_nth(1), TokenKind::Int | TokenKind::Real | TokenKind::Timespan)
            && self.adjacent(t, self.nth(1));
        if signed {
            self.bump();
            let operand = self.postfix();
            let op = if t.kind == TokenKind::Minus { UnaryOp::Neg } else { UnaryOp::Plus };
            let span = t.span.to(operand.span);
            return self.node(ExprKind::Unary { op, operand: Box::new(operand) }, span);
        }
        let is_literal = match t.kind {
            TokenKind::Int
            | TokenKind::Real
            | TokenKind::Timespan
            | TokenKind::String
            | TokenKind::RawLiteral => true,
            TokenKind::Ident => {
                matches!(
                    self.current_text(),
                    "true" | "false" | "True" | "False" | "TRUE" | "FALSE"
                ) || (matches!(self.current_text(), "dynamic" | "typeof")
                    && self.peek_nth(1) == TokenKind::LParen)
            }
            _ => false,
        };
        if !is_literal {
            self.expected(what);
            return Expr::error(Span::at(t.span.start as usize));
        }
        self.postfix()
    }

    /// `where`'s predicate. Kusto accepts `where a = b` and compares; say that `==` is meant.
    fn predicate(&mut self) -> Expr {
        if self.at_declared_name_then_assign() {
            let name = self.declared_name();
            let assign = self.bump();
            self.error(
                Diagnostic::warning(assign.span, "`=` in a predicate compares like `==`")
                    .with_help("write `==` (or `=~` to ignore case)"),
            );
            let rhs = self.expr();
            let lhs = Expr::name(name);
            let span = lhs.span.to(rhs.span);
            return self.node(
                ExprKind::Binary { op: BinaryOp::Eq, lhs: Box::new(lhs), rhs: Box::new(rhs) },
                span,
            );
        }
        self.expr()
    }

    /// Comma-separated named expressions; at least one.
    pub(super) fn assignments(&mut self) -> Vec<Assignment> {
        self.item_list(Some(&[]), |p| p.assignment())
    }

    /// The aggregates of `summarize`, which end at `by`.
    fn aggregates(&mut self) -> Vec<Assignment> {
        self.item_list(Some(&["by"]), |p| p.assignment())
    }

    /// Like [`assignments`](Self::assignments), but the list may be empty.
    fn optional_assignments(&mut self) -> Vec<Assignment> {
        if self.at_operator_end() { Vec::new() } else { self.assignments() }
    }

    /// `expr`, `Name = expr`, `['Name'] = expr`, or `(A, B) = expr`.
    pub(super) fn assignment(&mut self) -> Assignment {
        if let Some(n) = self.tuple_names_len() {
            self.bump();
            let mut names = Vec::new();
            for i in 0..n {
                names.push(self.declared_name());
                if i + 1 < n {
                    self.bump();
                }
            }
            self.bump(); // )
            self.bump(); // =
            return Assignment { names, tuple: true, value: self.expr() };
        }
        if self.at_dashed_name_then_assign() {
            let start = self.current().span;
            while !self.at(TokenKind::Assign) {
                self.bump();
            }
            let span = start.to(self.prev_span());
            let name = self.text[span.range()].to_string();
            self.needs_brackets(span, &name);
            self.bump();
            let ident = Ident { name, span, bracketed: false };
            return Assignment { names: vec![ident], tuple: false, value: self.expr() };
        }
        if self.at_declared_name_then_assign() {
            let name = self.declared_name();
            self.bump();
            return Assignment { names: vec![name], tuple: false, value: self.expr() };
        }
        Assignment { names: Vec::new(), tuple: false, value: self.expr() }
    }

    /// `my-col = ...`: words joined by touching `-`, then `=`; Kusto takes it as a name that
    /// needed brackets.
    fn at_dashed_name_then_assign(&self) -> bool {
        if !self.at(TokenKind::Ident) || self.peek_nth(1) != TokenKind::Minus {
            return false;
        }
        let mut i = 1;
        while matches!(self.peek_nth(i), TokenKind::Minus | TokenKind::Ident)
            && self.adjacent(self.nth(i - 1), self.nth(i))
        {
            i += 1;
        }
        self.peek_nth(i) == TokenKind::Assign && self.peek_nth(i - 1) == TokenKind::Ident
    }

    /// If `(A, B, ...) =` follows, the number of names in it.
    fn tuple_names_len(&self) -> Option<usize> {
        if !self.at(TokenKind::LParen) {
            return None;
        }
        let mut i = 1;
        let mut n = 0;
        loop {
            match self.peek_nth(i) {
                TokenKind::Ident => i += 1,
                TokenKind::LBracket if self.peek_nth(i + 1) == TokenKind::String => {
                    i += 2;
                    while self.peek_nth(i) == TokenKind::String {
                        i += 1;
                    }
                    if self.peek_nth(i) != TokenKind::RBracket {
                        return None;
                    }
                    i += 1;
                }
                _ => return None,
            }
            n += 1;
            match self.peek_nth(i) {
                TokenKind::Comma => i += 1,
                TokenKind::RParen => {
                    return (self.peek_nth(i + 1) == TokenKind::Assign).then_some(n);
                }
                _ => return None,
            }
        }
    }

    /// A column name or wildcard pattern: `Name`, `Name*`, `*Id`, `Dev*Events`, `*`,
    /// `['Name']`.
    fn column_pattern(&mut self) -> Expr {
        if self.at_bracketed_name() {
            return Expr::name(self.bracketed_name());
        }
        if self.at_wildcard() {
            return self.wildcard();
        }
        match self.reference_name("a column name or a wildcard pattern") {
            Some(name) => Expr::name(name),
            None => Expr::error(self.current().span),
        }
    }

    /// Whether a wildcard name starts here: `*`, or a word touching a `*`.
    fn at_wildcard(&self) -> bool {
        self.at(TokenKind::Star)
            || (self.at(TokenKind::Ident)
                && self.peek_nth(1) == TokenKind::Star
                && self.adjacent(self.current(), self.nth(1)))
    }

    /// A wildcard name: touching words, numbers and `*`s.
    fn wildcard(&mut self) -> Expr {
        let start = self.bump();
        let mut end = start;
        while matches!(self.peek(), TokenKind::Ident | TokenKind::Star | TokenKind::Int)
            && self.adjacent(end, self.current())
        {
            end = self.bump();
        }
        let span = start.span.to(end.span);
        let name = self.text[span.range()].to_string();
        Expr::name(Ident { name, span, bracketed: false })
    }

    fn column_patterns(&mut self) -> Vec<Expr> {
        if self.at_operator_end() {
            Vec::new()
        } else {
            self.item_list(Some(&[]), |p| p.column_pattern())
        }
    }

    fn reorder_keys(&mut self) -> Vec<SortKey> {
        if self.at_operator_end() {
            return Vec::new();
        }
        self.comma_list(|p| {
            let expr = p.column_pattern();
            let order = p.sort_order();
            SortKey { expr, order, nulls: None }
        })
    }

    /// `asc`, `desc`, `granny-asc`, `granny-desc`, if one follows.
    fn sort_order(&mut self) -> Option<SortOrder> {
        if self.eat_word("asc").is_some() || self.eat_word("granny-asc").is_some() {
            Some(SortOrder::Asc)
        } else if self.eat_word("desc").is_some() || self.eat_word("granny-desc").is_some() {
            Some(SortOrder::Desc)
        } else {
            None
        }
    }

    /// `expr [asc|desc] [nulls first|last]`
    fn sort_key(&mut self) -> SortKey {
        let expr = self.expr();
        let order = self.sort_order();
        let nulls = if self.eat_word("nulls").is_some() {
            if self.eat_word("first").is_some() {
                Some(NullsOrder::First)
            } else if self.eat_word("last").is_some() {
                Some(NullsOrder::Last)
            } else {
                self.expected("`first` or `last` after `nulls`");
                None
            }
        } else {
            None
        };
        SortKey { expr, order, nulls }
    }

    /// A table in `union`, `find`, `search` and `restrict`: `(query)`, a name, a wildcard, or
    /// a path such as `database('d').T` — not an arbitrary expression.
    pub(super) fn table_reference(&mut self) -> Expr {
        if self.at_wildcard() {
            return self.wildcard();
        }
        self.postfix()
    }

    /// A name with member and index accesses, but no calls: `Col`, `Bag.key`, `Arr[0]`.
    fn simple_path(&mut self) -> Expr {
        let Some(name) = self.reference_name("a column name") else {
            return Expr::error(self.current().span);
        };
        let mut expr = Expr::name(name);
        loop {
            if self.at(TokenKind::Dot) && self.peek_nth(1) == TokenKind::Ident {
                self.bump();
                let Some(name) = self.reference_name("a name after `.`") else { break };
                let span = expr.span.to(name.span);
                expr = self.node(ExprKind::Member { target: Box::new(expr), name }, span);
            } else if self.at(TokenKind::LBracket) {
                self.bump();
                let index = self.expr();
                self.expect(TokenKind::RBracket, "`]` to close the index");
                let span = expr.span.to(self.prev_span());
                expr = self
                    .node(ExprKind::Index { target: Box::new(expr), index: Box::new(index) }, span);
            } else {
                return expr;
            }
        }
        expr
    }

    // ---- operators ----------------------------------------------------------------------

    fn project_rename(&mut self) -> OperatorKind {
        if self.at_operator_end() {
            return OperatorKind::ProjectRename { renames: Vec::new() };
        }
        let renames = self.comma_list(|p| {
            let new = p.declared_name();
            p.expect(TokenKind::Assign, "`=` and the old column name")?;
            let old = p.reference_name("the old column name")?;
            Some((new, old))
        });
        OperatorKind::ProjectRename { renames: renames.into_iter().flatten().collect() }
    }

    fn summarize(&mut self) -> OperatorKind {
        let aggregates = if self.at_word("by") || self.at_operator_end() {
            Vec::new()
        } else {
            self.aggregates()
        };
        let by = if self.eat_word("by").is_some() { self.assignments() } else { Vec::new() };
        OperatorKind::Summarize { aggregates, by }
    }

    fn count(&mut self) -> OperatorKind {
        let name = if self.eat_word("as").is_some() {
            self.plain_name("a column name after `as`")
        } else {
            None
        };
        OperatorKind::Count { name }
    }

    fn distinct_item(&mut self) -> Assignment {
        if self.at(TokenKind::Star) {
            let t = self.bump();
            let value = Expr::new(ExprKind::Star, t.span);
            return Assignment { names: Vec::new(), tuple: false, value };
        }
        self.assignment()
    }

    fn top(&mut self) -> OperatorKind {
        let count = self.expr();
        self.expect_word("by");
        let by = self.sort_key();
        OperatorKind::Top { count, by }
    }

    fn top_nested(&mut self) -> OperatorKind {
        let mut clauses = Vec::new();
        loop {
            let count = if self.at_word("of") { None } else { Some(self.expr()) };
            self.expect_word("of");
            let of = self.assignment();
            let others = if self.at_word("with") && self.nth_is_word(1, "others") {
                self.bump();
                self.bump();
                self.expect(TokenKind::Assign, "`=` after `with others`");
                Some(self.expr())
            } else {
                None
            };
            self.expect_word("by");
            let by = self.assignment();
            let order = self.sort_order();
            clauses.push(TopNestedClause { count, of, others, by, order });
            if self.at(TokenKind::Comma) && self.nth_is_word(1, "top-nested") {
                self.bump();
                self.bump();
                continue;
            }
            break;
        }
        OperatorKind::TopNested { clauses }
    }

    fn top_hitters(&mut self) -> OperatorKind {
        let count = self.expr();
        self.expect_word("of");
        let of = self.expr();
        let by = if self.eat_word("by").is_some() { Some(self.expr()) } else { None };
        OperatorKind::TopHitters { count, of, by }
    }

    fn join(&mut self) -> OperatorKind {
        let right = self.expr();
        let mut on = Vec::new();
        let mut where_ = None;
        if self.eat_word("on").is_some() {
            on = self.comma_list(Self::expr);
        } else if self.eat_word("where").is_some() {
            where_ = Some(self.expr());
        }
        OperatorKind::Join { right, on, where_ }
    }

    fn lookup(&mut self) -> OperatorKind {
        let right = self.expr();
        self.expect_word("on");
        let on = self.comma_list(Self::expr);
        OperatorKind::Lookup { right, on }
    }

    fn expand_items(&mut self) -> Vec<ExpandItem> {
        self.comma_list(|p| {
            let item = p.assignment();
            let to_type = if p.at_word("to") && p.nth_is_word(1, "typeof") {
                p.bump();
                p.bump();
                p.expect(TokenKind::LParen, "`(` after `typeof`");
                let ty = p.type_name();
                p.expect(TokenKind::RParen, "`)` after the type");
                ty
            } else {
                None
            };
            ExpandItem { item, to_type }
        })
    }

    fn mv_expand(&mut self) -> OperatorKind {
        let items = self.expand_items();
        let limit = if self.eat_word("limit").is_some() { Some(self.expr()) } else { None };
        OperatorKind::MvExpand { items, limit }
    }

    fn mv_apply(&mut self) -> OperatorKind {
        let items = self.expand_items();
        let limit = if self.eat_word("limit").is_some() { Some(self.expr()) } else { None };
        let id = self.eat_word("id").map(|t| (self.ident_from(t), self.expr()));
        self.expect_word("on");
        let on = self.operator_block();
        OperatorKind::MvApply { items, limit, id, on }
    }

    /// `( op | op ... )`: operators applied to an implicit input, as in `mv-apply ... on (...)`
    /// and `partition by X (...)`. Returned as a pipeline whose source is an `Error` node at
    /// the opening parenthesis (there is no source to show).
    fn operator_block(&mut self) -> Expr {
        let start = self.current().span;
        if self.expect(TokenKind::LParen, "`(` and a sub-query").is_none() {
            return Expr::error(start);
        }
        if !self.enter() {
            self.recover_to_pipe();
            return Expr::error(start);
        }
        let ops = self.operator_sequence();
        self.leave();
        self.expect(TokenKind::RParen, "`)` to close the sub-query");
        let span = start.to(self.prev_span());
        let source = Expr::error(Span::at(start.end as usize));
        self.node(ExprKind::Pipeline { source: Box::new(source), ops }, span)
    }

    /// `op | op | ...` where the first operator has no `|` before it.
    fn operator_sequence(&mut self) -> Vec<PipeOp> {
        let mut ops = Vec::new();
        let first = self.pipe_operator();
        ops.push(PipeOp { span: first.span, op: first });
        while self.at(TokenKind::Pipe) {
            let pipe = self.bump();
            let op = self.pipe_operator();
            ops.push(PipeOp { span: pipe.span.to(op.span), op });
        }
        ops
    }

    fn parse_op(&mut self) -> OperatorKind {
        let source = self.expr();
        self.expect_word("with");
        let mut pattern = Vec::new();
        loop {
            match self.peek() {
                TokenKind::String => pattern.push(ParsePart::Text(self.literal())),
                TokenKind::Star => {
                    self.bump();
                    pattern.push(ParsePart::Star);
                }
                TokenKind::Ident | TokenKind::LBracket if self.at_name() => {
                    let name = self.declared_name();
                    let ty =
                        if self.eat(TokenKind::Colon).is_some() { self.type_name() } else { None };
                    pattern.push(ParsePart::Column { name, ty });
                }
                _ => break,
            }
        }
        if pattern.is_empty() {
            self.expected("a parse pattern after `with`");
        }
        OperatorKind::Parse { source, pattern }
    }

    fn parse_kv(&mut self) -> OperatorKind {
        let source = self.expr();
        self.expect_word("as");
        let mut columns = Vec::new();
        if self.expect(TokenKind::LParen, "`(` and the columns to extract").is_some() {
            columns = self.comma_list(|p| p.column_decl()).into_iter().flatten().collect();
            self.expect(TokenKind::RParen, "`,` or `)` after the columns");
        }
        let with = if self.eat_word("with").is_some() {
            self.property_list(Some(PARSE_KV_PROPERTIES))
        } else {
            Vec::new()
        };
        OperatorKind::ParseKv { source, columns, with }
    }

    /// `( name = value, ... )`; `allowed` restricts the names when given.
    fn property_list(&mut self, allowed: Option<&[&str]>) -> Vec<OpParam> {
        if self.expect(TokenKind::LParen, "`(` and a list of `name = value` properties").is_none() {
            return Vec::new();
        }
        self.eat(TokenKind::Comma);
        if self.eat(TokenKind::RParen).is_some() {
            return Vec::new();
        }
        let props = self.comma_list(|p| {
            if !p.at(TokenKind::Ident) && !p.at_bracketed_name() {
                p.expected("a property name");
                return None;
            }
            let name = if p.at(TokenKind::Ident) { p.dotted_name() } else { p.bracketed_name() };
            if let Some(allowed) = allowed
                && !allowed.contains(&name.name.as_str())
            {
                let mut d =
                    Diagnostic::syntax(name.span, format!("unknown property `{}`", name.name));
                if let Some(s) = crate::suggest::closest(&name.name, allowed.iter().copied()) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                p.error(d);
            }
            p.expect(TokenKind::Assign, "`=` after the property name")?;
            let value = p.expr();
            Some(OpParam { name, value })
        });
        self.expect(TokenKind::RParen, "`,` or `)` in the property list");
        props.into_iter().flatten().collect()
    }

    fn make_series(&mut self) -> OperatorKind {
        let aggregates = self.comma_list(|p| {
            let a = p.assignment();
            let default = if p.at_word("default") && p.peek_nth(1) == TokenKind::Assign {
                p.bump();
                p.bump();
                Some(p.expr())
            } else {
                None
            };
            (a, default)
        });
        self.expect_word("on");
        let on = self.expr();
        let range = if self.at_word("from") || self.at_word("to") || self.at_word("step") {
            let from = if self.eat_word("from").is_some() { Some(self.expr()) } else { None };
            let to = if self.eat_word("to").is_some() { Some(self.expr()) } else { None };
            self.expect_word("step");
            SeriesRange::FromTo { from, to, step: self.expr() }
        } else {
            self.expect_word("in");
            self.expect_word("range");
            self.expect(TokenKind::LParen, "`(` after `range`");
            let start = self.expr();
            self.expect(TokenKind::Comma, "`,` after the start");
            let stop = self.expr();
            self.expect(TokenKind::Comma, "`,` after the stop");
            let step = self.expr();
            self.expect(TokenKind::RParen, "`)` after the step");
            SeriesRange::InRange { start, stop, step }
        };
        let by = if self.eat_word("by").is_some() { self.assignments() } else { Vec::new() };
        OperatorKind::MakeSeries { aggregates, on, range, by }
    }

    /// A plugin or function call: `name(args)`.
    fn function_call(&mut self, what: &str) -> Expr {
        let is_call = (self.at(TokenKind::Ident) && self.peek_nth(1) == TokenKind::LParen)
            || (self.at_bracketed_name() && self.token_after_bracketed_name() == TokenKind::LParen);
        if !is_call {
            self.expected(what);
            return Expr::error(self.current().span);
        }
        self.postfix()
    }

    fn evaluate(&mut self) -> OperatorKind {
        let call = self.function_call("a plugin call such as `bag_unpack(Column)`");
        let mut schema = None;
        if self.eat(TokenKind::Colon).is_some()
            && self.expect(TokenKind::LParen, "`(` and the output schema").is_some()
        {
            self.eat(TokenKind::Comma);
            schema = Some(self.column_schema());
            self.expect(TokenKind::RParen, "`)` after the output schema");
        }
        OperatorKind::Evaluate { call, schema }
    }

    fn invoke(&mut self) -> OperatorKind {
        let call = self.function_call("a function call after `invoke`");
        OperatorKind::Invoke { call }
    }

    fn render(&mut self) -> OperatorKind {
        let chart = if self.at(TokenKind::Ident)
            && (keywords::CHART_TYPES.contains(&self.current_text())
                || keywords::can_name(self.current_text()))
        {
            let t = self.bump();
            self.ident_from(t)
        } else {
            self.expected("a chart type such as `timechart` or `barchart`");
            self.blank_ident()
        };
        let mut with = Vec::new();
        let mut by = Vec::new();
        // Legacy properties, written right after the chart type.
        loop {
            if self.at_word("with") && self.peek_nth(1) == TokenKind::LParen {
                self.bump();
                with.extend(self.property_list(Some(RENDER_PROPERTIES)));
                break;
            }
            if matches!(self.current_text(), "kind" | "title" | "accumulate")
                && self.at(TokenKind::Ident)
                && self.peek_nth(1) == TokenKind::Assign
            {
                let name = self.dotted_name();
                self.bump();
                let value = self.param_value();
                with.push(OpParam { name, value });
                continue;
            }
            if self.eat_word("by").is_some() {
                by.extend(self.comma_list(|p| p.column_pattern()));
                continue;
            }
            break;
        }
        OperatorKind::Render { chart, with, by }
    }

    fn search(&mut self) -> OperatorKind {
        let mut tables = Vec::new();
        if self.at_word("in") && self.peek_nth(1) == TokenKind::LParen {
            self.bump();
            self.bump();
            tables = self.comma_list(|p| p.table_reference());
            self.expect(TokenKind::RParen, "`,` or `)` after the tables");
        }
        let predicate = if self.at(TokenKind::Star) && !self.star_is_operand() {
            let t = self.bump();
            Expr::new(ExprKind::Star, t.span)
        } else {
            self.expr()
        };
        OperatorKind::Search { tables, predicate }
    }

    /// Whether the `*` here is the left operand of an operator (`* has "x"`), not `search *`.
    fn star_is_operand(&self) -> bool {
        !matches!(
            self.peek_nth(1),
            TokenKind::Pipe | TokenKind::Semicolon | TokenKind::Eof | TokenKind::RParen
        )
    }

    fn find(&mut self, had_params: bool) -> OperatorKind {
        let mut tables = Vec::new();
        let mut needs_where = had_params;
        if self.at_word("in") && self.peek_nth(1) == TokenKind::LParen {
            self.bump();
            self.bump();
            tables = self.comma_list(|p| p.table_reference());
            self.expect(TokenKind::RParen, "`,` or `)` after the tables");
            needs_where = true;
        }
        if self.eat_word("where").is_none() && needs_where {
            self.expected("`where` and a predicate");
        }
        let predicate = self.expr();
        let mut project = None;
        let mut smart = false;
        if self.eat_word("project-smart").is_some() {
            smart = true;
        } else if self.eat_word("project").is_some() {
            project = Some(self.comma_list(|p| p.column_pattern()));
        }
        OperatorKind::Find { tables, predicate, project, smart }
    }

    fn scan(&mut self) -> OperatorKind {
        let mut declare = Vec::new();
        let mut order_by = Vec::new();
        let mut partition_by = Vec::new();
        if self.at_word("order") && self.nth_is_word(1, "by") {
            self.bump();
            self.bump();
            order_by = self.comma_list(|p| p.sort_key());
        }
        if self.at_word("partition") && self.nth_is_word(1, "by") {
            self.bump();
            self.bump();
            partition_by = self.comma_list(Self::expr);
        }
        if self.eat_word("declare").is_some()
            && self.expect(TokenKind::LParen, "`(` after `declare`").is_some()
        {
            declare = self.comma_list(|p| p.param()).into_iter().flatten().collect();
            self.expect(TokenKind::RParen, "`,` or `)` in `declare`");
        }
        self.expect_word("with");
        let mut steps = Vec::new();
        if self.expect(TokenKind::LParen, "`(` and the scan steps").is_some() {
            while self.at_word("step") {
                let before = self.pos;
                self.bump();
                let name = self.declared_name();
                let optional = self.eat_word("optional").is_some();
                if self.at_word("output") && self.peek_nth(1) == TokenKind::Assign {
                    self.bump();
                    self.bump();
                    self.bump();
                }
                self.expect(TokenKind::Colon, "`:` after the step name");
                let predicate = self.expr();
                let assignments = if self.eat(TokenKind::FatArrow).is_some() {
                    self.assignments()
                } else {
                    Vec::new()
                };
                self.expect(TokenKind::Semicolon, "`;` after the step");
                steps.push(ScanStep { name, optional, predicate, assignments });
                if self.pos == before {
                    break;
                }
            }
            self.expect(TokenKind::RParen, "`step` or `)`");
        }
        OperatorKind::Scan { order_by, partition_by, declare, steps }
    }

    fn fork(&mut self) -> OperatorKind {
        let mut branches = Vec::new();
        loop {
            let start = self.current().span;
            let name = if self.at(TokenKind::Ident) && self.peek_nth(1) == TokenKind::Assign {
                self.plain_name("a branch name").inspect(|_| {
                    self.bump();
                })
            } else {
                None
            };
            if !self.at(TokenKind::LParen) {
                if branches.is_empty() || name.is_some() {
                    self.expected("`(` and a sub-query for `fork`");
                }
                break;
            }
            let block = self.operator_block();
            let ops = match block.kind {
                ExprKind::Pipeline { ops, .. } => ops,
                _ => Vec::new(),
            };
            branches.push(ForkBranch { name, ops, span: start.to(self.prev_span()) });
        }
        OperatorKind::Fork { branches }
    }

    fn facet(&mut self) -> OperatorKind {
        self.expect_word("by");
        let columns = self.comma_list(|p| p.simple_path());
        let with = if self.eat_word("with").is_some() {
            if self.at(TokenKind::LParen) {
                match self.operator_block().kind {
                    ExprKind::Pipeline { ops, .. } => Some(ops),
                    _ => Some(Vec::new()),
                }
            } else {
                let op = self.pipe_operator();
                Some(vec![PipeOp { span: op.span, op }])
            }
        } else {
            None
        };
        OperatorKind::Facet { columns, with }
    }

    fn reduce(&mut self) -> OperatorKind {
        self.expect_word("by");
        let by = self.expr();
        let mut with = Vec::new();
        if self.eat_word("with").is_some() {
            with = self
                .comma_list(|p| {
                    if !p.at(TokenKind::Ident) || p.peek_nth(1) != TokenKind::Assign {
                        p.expected("`threshold = ...` or `characters = ...`");
                        return None;
                    }
                    let name = p.dotted_name();
                    p.bump();
                    Some(OpParam { name, value: p.expr() })
                })
                .into_iter()
                .flatten()
                .collect();
        }
        OperatorKind::Reduce { by, with }
    }

    fn partition(&mut self) -> OperatorKind {
        self.expect_word("by");
        let by = self.simple_path();
        let body = if self.at(TokenKind::LBrace) {
            let start = self.bump().span;
            let e = self.pipe_expr();
            self.expect(TokenKind::RBrace, "`}` to close the partition sub-query");
            let span = start.to(self.prev_span());
            Expr { span, ..e }
        } else {
            self.operator_block()
        };
        OperatorKind::Partition { by, body }
    }

    fn assert_schema(&mut self) -> OperatorKind {
        let mut columns = Vec::new();
        let mut open = false;
        if self.expect(TokenKind::LParen, "`(` and a schema").is_some() {
            (columns, open) = self.column_schema();
            self.expect(TokenKind::RParen, "`)` after the schema");
        }
        OperatorKind::AssertSchema { columns, open }
    }

    fn range(&mut self) -> OperatorKind {
        let column =
            self.plain_name("the column name after `range`").unwrap_or_else(|| self.blank_ident());
        self.expect_word("from");
        let from = self.expr();
        self.expect_word("to");
        let to = self.expr();
        self.expect_word("step");
        let step = self.expr();
        OperatorKind::Range { column, from, to, step }
    }

    /// `( name: type, ... )` of `datatable` and `externaldata`; leading and trailing commas are
    /// allowed.
    fn row_schema(&mut self) -> Vec<ColumnDecl> {
        if self.expect(TokenKind::LParen, "`(` and the columns `name: type`").is_none() {
            return Vec::new();
        }
        self.eat(TokenKind::Comma);
        let mut columns = Vec::new();
        while !self.at(TokenKind::RParen) && !self.at(TokenKind::Eof) {
            let before = self.pos;
            if let Some(c) = self.column_decl() {
                columns.push(c);
            }
            if self.pos == before {
                self.recover_to_comma();
            }
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        self.expect(TokenKind::RParen, "`,` or `)` in the column list");
        columns
    }

    fn datatable(&mut self) -> OperatorKind {
        let columns = self.row_schema();
        let mut values = Vec::new();
        if self.expect(TokenKind::LBracket, "`[` and the table's values").is_some() {
            self.eat(TokenKind::Comma);
            while !self.at(TokenKind::RBracket) && !self.at(TokenKind::Eof) {
                let before = self.pos;
                values.push(self.literal_value("a literal value"));
                if self.pos == before {
                    self.recover_to_comma();
                }
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
            self.expect(TokenKind::RBracket, "`,` or `]` in the values");
        }
        OperatorKind::Datatable { columns, values }
    }

    fn externaldata(&mut self) -> OperatorKind {
        let columns = self.row_schema();
        let mut urls = Vec::new();
        if self.expect(TokenKind::LBracket, "`[` and the data's URLs").is_some() {
            while !self.at(TokenKind::RBracket) && !self.at(TokenKind::Eof) {
                let before = self.pos;
                urls.push(self.pipe_expr());
                if self.pos == before {
                    self.recover_to_comma();
                }
                if self.eat(TokenKind::Comma).is_none() {
                    break;
                }
            }
            self.expect(TokenKind::RBracket, "`,` or `]` after the URLs");
        }
        let with =
            if self.eat_word("with").is_some() { self.property_list(None) } else { Vec::new() };
        OperatorKind::ExternalData { columns, urls, with }
    }
}
