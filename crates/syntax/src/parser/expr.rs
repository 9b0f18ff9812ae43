//! Expressions: the Pratt loop for binary operators, unary and postfix forms, primaries,
//! literals, and pipelines.

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::keywords;
use crate::lexer::{self, TokenKind};
use crate::span::Span;

/// Precedence levels, from loosest to tightest. Levels 3, 4 and 7 do not chain:
/// `a == b == c` and `a has b has c` are errors, as in Kusto.
const PREC_OR: u8 = 1;
const PREC_AND: u8 = 2;
const PREC_EQUALITY: u8 = 3;
const PREC_RELATIONAL: u8 = 4;
const PREC_ADDITIVE: u8 = 5;
const PREC_MULTIPLICATIVE: u8 = 6;
const PREC_STRING: u8 = 7;

fn non_associative(level: u8) -> bool {
    matches!(level, PREC_EQUALITY | PREC_RELATIONAL | PREC_STRING)
}

/// What a binary-position token means.
#[derive(Clone, Copy)]
enum Infix {
    Logical(LogicalOp),
    Binary(BinaryOp),
    List(ListOp),
    Between { negated: bool },
}

impl Infix {
    fn precedence(self) -> u8 {
        use BinaryOp::*;
        match self {
            Infix::Logical(LogicalOp::Or) => PREC_OR,
            Infix::Logical(LogicalOp::And) => PREC_AND,
            Infix::List(_) | Infix::Between { .. } => PREC_EQUALITY,
            Infix::Binary(op) => match op {
                Eq | NotEq => PREC_EQUALITY,
                Lt | Le | Gt | Ge => PREC_RELATIONAL,
                Add | Sub => PREC_ADDITIVE,
                Mul | Div | Mod => PREC_MULTIPLICATIVE,
                _ => PREC_STRING,
            },
        }
    }
}

/// Words that are binary operators when they follow an operand.
fn word_infix(word: &str) -> Option<Infix> {
    use BinaryOp::*;
    Some(match word {
        "and" => Infix::Logical(LogicalOp::And),
        "or" => Infix::Logical(LogicalOp::Or),
        "has" => Infix::Binary(Has),
        "has_cs" => Infix::Binary(HasCs),
        "hasprefix" => Infix::Binary(HasPrefix),
        "hasprefix_cs" => Infix::Binary(HasPrefixCs),
        "hassuffix" => Infix::Binary(HasSuffix),
        "hassuffix_cs" => Infix::Binary(HasSuffixCs),
        "contains" => Infix::Binary(Contains),
        "contains_cs" | "containscs" => Infix::Binary(ContainsCs),
        "notcontains" => Infix::Binary(NotContains),
        "notcontainscs" => Infix::Binary(NotContainsCs),
        "startswith" => Infix::Binary(StartsWith),
        "startswith_cs" => Infix::Binary(StartsWithCs),
        "endswith" => Infix::Binary(EndsWith),
        "endswith_cs" => Infix::Binary(EndsWithCs),
        "like" => Infix::Binary(Like),
        "notlike" => Infix::Binary(NotLike),
        "likecs" => Infix::Binary(LikeCs),
        "notlikecs" => Infix::Binary(NotLikeCs),
        "matches regex" => Infix::Binary(MatchesRegex),
        "in" => Infix::List(ListOp::In),
        "in~" => Infix::List(ListOp::InCi),
        "has_any" => Infix::List(ListOp::HasAny),
        "has_all" => Infix::List(ListOp::HasAll),
        "between" => Infix::Between { negated: false },
        _ => return None,
    })
}

/// `!word` operators.
fn bang_infix(word: &str) -> Option<Infix> {
    use BinaryOp::*;
    Some(match word {
        "!has" => Infix::Binary(NotHas),
        "!has_cs" => Infix::Binary(NotHasCs),
        "!hasprefix" => Infix::Binary(NotHasPrefix),
        "!hasprefix_cs" => Infix::Binary(NotHasPrefixCs),
        "!hassuffix" => Infix::Binary(NotHasSuffix),
        "!hassuffix_cs" => Infix::Binary(NotHasSuffixCs),
        "!contains" => Infix::Binary(NotContains),
        "!contains_cs" => Infix::Binary(NotContainsCs),
        "!startswith" => Infix::Binary(NotStartsWith),
        "!startswith_cs" => Infix::Binary(NotStartsWithCs),
        "!endswith" => Infix::Binary(NotEndsWith),
        "!endswith_cs" => Infix::Binary(NotEndsWithCs),
        "!in" => Infix::List(ListOp::NotIn),
        "!in~" => Infix::List(ListOp::NotInCi),
        "!between" => Infix::Between { negated: true },
        _ => return None,
    })
}

/// Operator keywords that start a query operator even at the head of a query (they cannot be
/// names, so there is no ambiguity).
const HEAD_OPERATORS: &[&str] = &[
    "as",
    "assert-schema",
    "find",
    "getschema",
    "graph-match",
    "graph-to-table",
    "invoke",
    "macro-expand",
    "make-graph",
    "graph-mark-components",
    "graph-shortest-paths",
    "make-series",
    "mv-apply",
    "mv-expand",
    "parse-where",
    "parse-kv",
    "print",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-by-names",
    "project-reorder",
    "project-smart",
    "sample",
    "sample-distinct",
    "search",
    "top-hitters",
    "top-nested",
    "union",
    "where",
];

impl Parser<'_> {
    /// An expression followed by any number of `| operator`s.
    pub(crate) fn pipe_expr(&mut self) -> Expr {
        let source = self.pipe_head();
        if !self.at(TokenKind::Pipe) {
            return source;
        }
        let mut ops = Vec::new();
        while self.at(TokenKind::Pipe) {
            let pipe = self.bump();
            let op = self.pipe_operator();
            let span = pipe.span.to(op.span);
            ops.push(PipeOp { op, span });
        }
        let span = source.span.to(self.prev_span());
        self.node(ExprKind::Pipeline { source: Box::new(source), ops }, span)
    }

    /// What starts a pipeline: an operator such as `print` or `union`, or an expression.
    fn pipe_head(&mut self) -> Expr {
        if self.at(TokenKind::Ident) && self.head_is_operator() {
            let op = self.pipe_operator();
            let span = op.span;
            return self.node(ExprKind::Operator(Box::new(op)), span);
        }
        self.expr()
    }

    pub(super) fn head_is_operator(&self) -> bool {
        let next = self.nth(1);
        let next_word = if next.kind == TokenKind::Ident { self.text_of(next) } else { "" };
        match self.current_text() {
            "evaluate" => next.kind == TokenKind::Ident,
            "range" => next.kind == TokenKind::Ident && self.nth_is_word(2, "from"),
            "facet" => next_word == "by",
            "partition" | "reduce" => {
                next_word == "by" || next_word == "hint" || keywords::is_global_parameter(next_word)
            }
            "render" => next.kind == TokenKind::Ident,
            w => HEAD_OPERATORS.contains(&w),
        }
    }

    /// A scalar (or tabular) expression without pipes or `name =`.
    pub(crate) fn expr(&mut self) -> Expr {
        self.binary(0)
    }

    fn peek_infix(&self) -> Option<Infix> {
        use BinaryOp::*;
        let t = self.current();
        let binary = |op| Some(Infix::Binary(op));
        match t.kind {
            TokenKind::Plus => binary(Add),
            TokenKind::Minus => binary(Sub),
            TokenKind::Star => binary(Mul),
            TokenKind::Slash => binary(Div),
            TokenKind::Percent => binary(Mod),
            TokenKind::EqEq => binary(Eq),
            TokenKind::NotEq | TokenKind::LtGt => binary(NotEq),
            TokenKind::Lt => binary(Lt),
            TokenKind::Le => binary(Le),
            TokenKind::Gt => binary(Gt),
            TokenKind::Ge => binary(Ge),
            TokenKind::EqTilde => binary(EqTilde),
            TokenKind::BangTilde => binary(NotEqTilde),
            TokenKind::Colon => binary(Colon),
            TokenKind::BangWord => bang_infix(self.text_of(t)),
            TokenKind::Ident => {
                let word = self.text_of(t);
                // `in range(...)` belongs to make-series.
                if word == "in" && self.nth_is_word(1, "range") {
                    return None;
                }
                word_infix(word)
            }
            _ => None,
        }
    }

    fn binary(&mut self, min_prec: u8) -> Expr {
        if !self.enter() {
            let span = self.current().span;
            self.recover_to_pipe();
            return Expr::error(span);
        }
        let mut lhs = self.unary();
        let mut last_level = 0;
        while let Some(infix) = self.peek_infix() {
            let prec = infix.precedence();
            if prec <= min_prec {
                break;
            }
            if prec == last_level && non_associative(prec) {
                // `a == b == c`: Kusto does not chain these. Say so, then read on as if it did.
                let t = self.current();
                self.error(
                    Diagnostic::syntax(
                        t.span,
                        format!("`{}` cannot follow another operator of its kind", self.text_of(t)),
                    )
                    .with_help("combine comparisons with `and`, or group with parentheses"),
                );
            }
            let op_token = self.bump();
            lhs = match infix {
                Infix::Logical(op) => {
                    let rhs = self.binary(prec);
                    let span = lhs.span.to(rhs.span);
                    let operands = match lhs.kind {
                        ExprKind::Logical { op: lhs_op, mut operands } if lhs_op == op => {
                            operands.push(rhs);
                            operands
                        }
                        _ => vec![lhs, rhs],
                    };
                    self.node(ExprKind::Logical { op, operands }, span)
                }
                Infix::Binary(op) => {
                    let rhs = if prec == PREC_STRING { self.unary() } else { self.binary(prec) };
                    let span = lhs.span.to(rhs.span);
                    self.node(ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span)
                }
                Infix::List(op) => self.list_operand(lhs, op, op_token.span),
                Infix::Between { negated } => self.between_operand(lhs, negated),
            };
            last_level = prec;
        }
        self.leave();
        lhs
    }

    /// The `(a, b, ...)` after `in`, `has_any` and friends: a list of expressions, or one query.
    fn list_operand(&mut self, lhs: Expr, op: ListOp, op_span: Span) -> Expr {
        if self.expect(TokenKind::LParen, &format!("`(` after `{}`", op.as_str())).is_none() {
            let span = lhs.span.to(op_span);
            return self.node(ExprKind::ListOp { op, lhs: Box::new(lhs), items: Vec::new() }, span);
        }
        let items = if self.at(TokenKind::RParen) {
            self.expected("at least one value in the list");
            Vec::new()
        } else if self.list_is_query() {
            vec![self.pipe_expr()]
        } else {
            self.comma_list(Self::expr)
        };
        self.expect(TokenKind::RParen, "`,` or `)` in the list");
        let span = lhs.span.to(self.prev_span());
        self.node(ExprKind::ListOp { op, lhs: Box::new(lhs), items }, span)
    }

    /// Whether the parenthesised list that starts here holds a query: it starts with an
    /// operator, or a `|` comes before the first top-level `,` or `)`.
    fn list_is_query(&self) -> bool {
        if self.at(TokenKind::Ident) && self.head_is_operator() {
            return true;
        }
        let mut nesting = 0usize;
        let mut i = 0;
        loop {
            match self.peek_nth(i) {
                TokenKind::Eof | TokenKind::Semicolon => return false,
                TokenKind::Pipe if nesting == 0 => return true,
                TokenKind::Comma if nesting == 0 => return false,
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => nesting += 1,
                TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                    if nesting == 0 {
                        return false;
                    }
                    nesting -= 1;
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// `(low .. high)` after `between`.
    fn between_operand(&mut self, lhs: Expr, negated: bool) -> Expr {
        let start = lhs.span;
        let (low, high) = if self.expect(TokenKind::LParen, "`(` after `between`").is_some() {
            let low = self.expr();
            let high = if self.expect(TokenKind::DotDot, "`..` between the bounds").is_some() {
                self.expr()
            } else {
                Expr::error(self.current().span)
            };
            self.expect(TokenKind::RParen, "`)` after the upper bound");
            (low, high)
        } else {
            (Expr::error(self.current().span), Expr::error(self.current().span))
        };
        let span = start.to(self.prev_span());
        let kind = ExprKind::Between {
            negated,
            lhs: Box::new(lhs),
            low: Box::new(low),
            high: Box::new(high),
        };
        self.node(kind, span)
    }

    /// Comma-separated items, at least one; a trailing comma is an error (a missing item).
    pub(super) fn comma_list<T>(&mut self, item: impl FnMut(&mut Self) -> T) -> Vec<T> {
        self.item_list(None, item)
    }

    /// Comma-separated items. With `ends`, the list belongs to an operator and ends only at
    /// the operator's end or one of the `ends` words; anything else that could start an item
    /// is reported as a missing `,` and read as the next item.
    pub(super) fn item_list<T>(
        &mut self,
        ends: Option<&[&str]>,
        mut item: impl FnMut(&mut Self) -> T,
    ) -> Vec<T> {
        let mut items = Vec::new();
        loop {
            let before = self.pos;
            items.push(item(self));
            if self.pos == before {
                self.recover_to_comma();
            }
            if self.eat(TokenKind::Comma).is_some() {
                continue;
            }
            match ends {
                Some(ends) if self.pos > before && self.starts_item(ends) => {
                    let span = self.current().span;
                    let found = self.describe_current();
                    self.error(Diagnostic::syntax(span, format!("expected `,` before {found}")));
                }
                _ => break,
            }
        }
        items
    }

    /// Whether the current token can start another list item (and is not an end word).
    fn starts_item(&self, ends: &[&str]) -> bool {
        match self.peek() {
            TokenKind::Ident => {
                let w = self.current_text();
                !ends.contains(&w) && word_infix(w).is_none()
            }
            TokenKind::Int
            | TokenKind::Real
            | TokenKind::Timespan
            | TokenKind::String
            | TokenKind::RawLiteral
            | TokenKind::LBracket => true,
            _ => false,
        }
    }

    /// A prefix `-` or `+` (one only) before a postfix expression.
    pub(super) fn unary(&mut self) -> Expr {
        let op = match self.peek() {
            TokenKind::Minus => UnaryOp::Neg,
            TokenKind::Plus => UnaryOp::Plus,
            _ => return self.postfix(),
        };
        let t = self.bump();
        let operand = self.postfix();
        let span = t.span.to(operand.span);
        self.node(ExprKind::Unary { op, operand: Box::new(operand) }, span)
    }

    pub(super) fn postfix(&mut self) -> Expr {
        let mut expr = self.primary();
        loop {
            match self.peek() {
                TokenKind::Dot if self.peek_nth(1) == TokenKind::Ident => {
                    self.bump();
                    let name_token = self.bump();
                    let name = self.ident_from(name_token);
                    if self.at(TokenKind::LParen) {
                        let args = self.call_args();
                        let span = expr.span.to(self.prev_span());
                        let kind = ExprKind::Call { receiver: Some(Box::new(expr)), name, args };
                        expr = self.node(kind, span);
                        continue;
                    }
                    if !keywords::can_reference(&name.name) {
                        self.needs_brackets(name_token.span, &name.name);
                    }
                    let span = expr.span.to(name.span);
                    expr = self.node(ExprKind::Member { target: Box::new(expr), name }, span);
                }
                TokenKind::Dot if self.peek_nth(1) == TokenKind::LBracket => {
                    // `x.['name']` is a member; `x.[0]` an index, as `x[0]`.
                    self.bump();
                    if self.at_bracketed_name() {
                        let name = self.bracketed_name();
                        let span = expr.span.to(name.span);
                        expr = self.node(ExprKind::Member { target: Box::new(expr), name }, span);
                        continue;
                    }
                    self.bump();
                    let index = self.expr();
                    self.expect(TokenKind::RBracket, "`]` to close the index");
                    let span = expr.span.to(self.prev_span());
                    let kind = ExprKind::Index { target: Box::new(expr), index: Box::new(index) };
                    expr = self.node(kind, span);
                }
                TokenKind::Dot => {
                    self.bump();
                    self.expected("a name after `.`");
                    return expr;
                }
                TokenKind::LBracket => {
                    self.bump();
                    let index = self.expr();
                    self.expect(TokenKind::RBracket, "`]` to close the index");
                    let span = expr.span.to(self.prev_span());
                    let kind = ExprKind::Index { target: Box::new(expr), index: Box::new(index) };
                    expr = self.node(kind, span);
                }
                _ => return expr,
            }
        }
    }

    fn primary(&mut self) -> Expr {
        let t = self.current();
        match t.kind {
            TokenKind::Int
            | TokenKind::Real
            | TokenKind::Timespan
            | TokenKind::String
            | TokenKind::RawLiteral => {
                let literal = self.literal();
                self.node(ExprKind::Literal(literal), t.span.to(self.prev_span()))
            }
            TokenKind::LBracket if self.at_bracketed_name() => {
                let ident = self.bracketed_name();
                if self.at(TokenKind::LParen) {
                    return self.call(ident);
                }
                Expr::name(ident)
            }
            TokenKind::LParen => self.paren(),
            TokenKind::Ident => self.word_primary(),
            TokenKind::Star if self.star_operand_follows() => {
                self.bump();
                Expr::new(ExprKind::Star, t.span)
            }
            _ => {
                self.error(Diagnostic::syntax(
                    t.span,
                    format!("expected an expression, found {}", self.describe(t)),
                ));
                Expr::error(Span::at(t.span.start as usize))
            }
        }
    }

    /// `*` stands as an operand in `* has "x"` and `* == "x"` (search across all columns).
    fn star_operand_follows(&self) -> bool {
        match self.peek_nth(1) {
            TokenKind::EqEq | TokenKind::EqTilde | TokenKind::BangTilde | TokenKind::BangWord => {
                true
            }
            TokenKind::Ident => {
                let w = self.text_of(self.nth(1));
                word_infix(w).is_some_and(|i| matches!(i, Infix::Binary(_)))
            }
            _ => false,
        }
    }

    fn paren(&mut self) -> Expr {
        let open = self.bump();
        if !self.enter() {
            self.recover_to_pipe();
            return Expr::error(open.span);
        }
        let inner = self.pipe_expr();
        self.leave();
        self.expect(TokenKind::RParen, "`)`");
        let span = open.span.to(self.prev_span());
        self.node(ExprKind::Paren(Box::new(inner)), span)
    }

    fn word_primary(&mut self) -> Expr {
        let t = self.current();
        let word = self.text_of(t);
        let next = self.peek_nth(1);
        match word {
            "true" | "false" | "True" | "False" | "TRUE" | "FALSE" => {
                self.bump();
                let value = LiteralValue::Bool(word.eq_ignore_ascii_case("true"));
                let literal = Literal { value, raw: word.to_string() };
                return self.node(ExprKind::Literal(literal), t.span);
            }
            "dynamic" if next == TokenKind::LParen => return self.dynamic_literal(),
            "datatable" | "externaldata" | "external_data" => {
                let op = self.pipe_operator();
                let span = op.span;
                return self.node(ExprKind::Operator(Box::new(op)), span);
            }
            "toscalar" | "totable" => return self.scalar_subquery(),
            "typeof" if next == TokenKind::LParen => return self.typeof_literal(),
            _ => {}
        }
        if next == TokenKind::LParen && keywords::can_name(word) {
            self.bump();
            let ident = self.ident_from(t);
            return self.call(ident);
        }
        if keywords::can_reference(word) {
            self.bump();
            return Expr::name(self.ident_from(t));
        }
        self.error(
            Diagnostic::syntax(t.span, format!("expected an expression, found keyword `{word}`"))
                .with_help(format!("to use `{word}` as a name, write it as ['{word}']")),
        );
        Expr::error(Span::at(t.span.start as usize))
    }

    /// `toscalar([kind=...] (query))`, `totable(...)`: the argument is a whole query.
    fn scalar_subquery(&mut self) -> Expr {
        let t = self.bump();
        let name = self.ident_from(t);
        let mut args = Vec::new();
        if self.at_word("kind") && self.peek_nth(1) == TokenKind::Assign {
            let k = self.bump();
            self.bump();
            let value = self.param_value();
            args.push(Arg::Named { name: self.ident_from(k), value });
        }
        if self.expect(TokenKind::LParen, &format!("`(` after `{}`", name.name)).is_some() {
            if self.enter() {
                args.push(Arg::Positional(self.pipe_expr()));
                self.leave();
            } else {
                self.recover_to_pipe();
            }
            self.expect(TokenKind::RParen, "`)` after the query");
        }
        let span = t.span.to(self.prev_span());
        self.node(ExprKind::Call { receiver: None, name, args }, span)
    }

    /// `typeof(string)`, `typeof(a: long, *)`: kept as text.
    fn typeof_literal(&mut self) -> Expr {
        let t = self.bump();
        let open = self.bump();
        let mut nesting = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => break,
                TokenKind::RParen if nesting == 0 => break,
                TokenKind::LParen => nesting += 1,
                TokenKind::RParen => nesting -= 1,
                _ => {}
            }
            self.bump();
        }
        let close = self.current();
        self.expect(TokenKind::RParen, "`)` after the type");
        let text = self.text[open.span.end as usize..close.span.start as usize].trim().to_string();
        if text.is_empty() {
            self.error(Diagnostic::syntax(close.span, "expected a type name in `typeof(...)`"));
        }
        let span = t.span.to(self.prev_span());
        let raw = self.text[span.range()].to_string();
        let literal = Literal { value: LiteralValue::Typed { ty: "typeof".into(), text }, raw };
        self.node(ExprKind::Literal(literal), span)
    }

    fn call(&mut self, name: Ident) -> Expr {
        let args = self.call_args();
        let span = name.span.to(self.prev_span());
        self.node(ExprKind::Call { receiver: None, name, args }, span)
    }

    /// `( [arg, ...] )`: positional, named (`name = value`) or `*` arguments; no pipes.
    fn call_args(&mut self) -> Vec<Arg> {
        self.bump();
        if !self.enter() {
            self.recover_to_pipe();
            self.eat(TokenKind::RParen);
            return Vec::new();
        }
        let args = if self.at(TokenKind::RParen) { Vec::new() } else { self.comma_list(Self::arg) };
        self.leave();
        self.expect(TokenKind::RParen, "`,` or `)` in the argument list");
        args
    }

    fn arg(&mut self) -> Arg {
        if self.at(TokenKind::Star)
            && matches!(self.peek_nth(1), TokenKind::Comma | TokenKind::RParen)
        {
            let t = self.bump();
            return Arg::Positional(Expr::new(ExprKind::Star, t.span));
        }
        if self.at_declared_name_then_assign() {
            let name = self.declared_name();
            self.bump();
            let value = self.expr();
            return Arg::Named { name, value };
        }
        Arg::Positional(self.expr())
    }

    /// One or more adjacent literal tokens (adjacent string literals concatenate).
    pub(super) fn literal(&mut self) -> Literal {
        let t = self.bump();
        let raw = self.text_of(t);
        match t.kind {
            TokenKind::String => {
                let mut value = self.decode(t.span, raw);
                let mut end = t.span.end;
                while self.at(TokenKind::String) {
                    let next = self.bump();
                    value.push_str(&self.decode(next.span, self.text_of(next)));
                    end = next.span.end;
                }
                let raw = self.text[t.span.start as usize..end as usize].to_string();
                Literal { value: LiteralValue::String(value), raw }
            }
            TokenKind::Int => {
                let value = parse_int(raw).map(LiteralValue::Long).unwrap_or_else(|| {
                    // Too large for a long: Kusto reads it as a real.
                    LiteralValue::Real(raw.parse().unwrap_or(f64::INFINITY))
                });
                Literal { value, raw: raw.to_string() }
            }
            TokenKind::Real => Literal {
                value: LiteralValue::Real(raw.parse().unwrap_or(0.0)),
                raw: raw.to_string(),
            },
            TokenKind::Timespan => {
                let value = match parse_timespan(raw) {
                    Some(ticks) => LiteralValue::Timespan(ticks),
                    None => {
                        self.error(Diagnostic::syntax(t.span, "timespan literal out of range"));
                        LiteralValue::Timespan(0)
                    }
                };
                Literal { value, raw: raw.to_string() }
            }
            TokenKind::RawLiteral => {
                let open = raw.find('(').unwrap_or(raw.len());
                let word = raw[..open].trim_end();
                let inner = raw[open..].trim_start_matches('(').trim_end_matches(')').trim();
                let text = inner.to_string();
                let value = match word {
                    "datetime" | "date" => LiteralValue::DateTime(text),
                    "timespan" | "time" => LiteralValue::TimespanText(text),
                    "guid" => LiteralValue::Guid(text),
                    ty => LiteralValue::Typed { ty: ty.to_string(), text },
                };
                Literal { value, raw: raw.to_string() }
            }
            _ => Literal { value: LiteralValue::Null, raw: raw.to_string() },
        }
    }

    fn decode(&mut self, span: Span, raw: &str) -> String {
        match lexer::decode_string(raw) {
            Ok(s) => s,
            Err(message) => {
                self.error(Diagnostic::syntax(span, message));
                String::new()
            }
        }
    }

    /// `dynamic( value )`
    fn dynamic_literal(&mut self) -> Expr {
        let start = self.bump().span;
        self.bump();
        let value = self.dynamic_value(0);
        self.expect(TokenKind::RParen, "`)` to close `dynamic(`");
        let span = start.to(self.prev_span());
        let raw = self.text[span.range()].to_string();
        self.node(ExprKind::Literal(Literal { value: LiteralValue::Dynamic(value), raw }), span)
    }

    fn dynamic_value(&mut self, depth: u16) -> Dynamic {
        if depth > super::MAX_DEPTH {
            if !self.depth_exceeded {
                self.depth_exceeded = true;
                let span = self.current().span;
                self.error(Diagnostic::error(
                    crate::diagnostic::DiagnosticKind::Limit,
                    span,
                    format!("the dynamic literal nests more than {} levels deep", super::MAX_DEPTH),
                ));
            }
            self.recover_to_pipe();
            return Dynamic::Null;
        }
        match self.peek() {
            TokenKind::LBracket => {
                self.bump();
                let mut items = Vec::new();
                if self.eat(TokenKind::RBracket).is_some() {
                    return Dynamic::Array(items);
                }
                loop {
                    let before = self.pos;
                    items.push(self.dynamic_value(depth + 1));
                    if self.pos == before {
                        self.recover_to_comma();
                    }
                    if self.eat(TokenKind::Comma).is_none() {
                        break;
                    }
                }
                self.expect(TokenKind::RBracket, "`,` or `]` in the array");
                Dynamic::Array(items)
            }
            TokenKind::LBrace => {
                self.bump();
                let mut fields = Vec::new();
                if self.eat(TokenKind::RBrace).is_some() {
                    return Dynamic::Object(fields);
                }
                loop {
                    let before = self.pos;
                    let key = if self.at(TokenKind::String) {
                        let t = self.bump();
                        self.decode(t.span, self.text_of(t))
                    } else {
                        self.expected("a quoted property name");
                        self.recover_to_comma();
                        if self.eat(TokenKind::Comma).is_some() {
                            continue;
                        }
                        break;
                    };
                    self.expect(TokenKind::Colon, "`:` after the property name");
                    fields.push((key, self.dynamic_value(depth + 1)));
                    if self.pos == before {
                        self.recover_to_comma();
                    }
                    if self.eat(TokenKind::Comma).is_none() {
                        break;
                    }
                }
                self.expect(TokenKind::RBrace, "`,` or `}` in the object");
                Dynamic::Object(fields)
            }
            TokenKind::Ident if self.current_text() == "null" => {
                self.bump();
                Dynamic::Null
            }
            _ => {
                let e = self.unary();
                match e.kind {
                    ExprKind::Literal(l) => Dynamic::Scalar(Box::new(l)),
                    ExprKind::Unary { op, operand } => match operand.kind {
                        ExprKind::Literal(mut l) => {
                            if op == UnaryOp::Neg {
                                negate(&mut l);
                            }
                            let raw = self.text[e.span.range()].to_string();
                            l.raw = raw;
                            Dynamic::Scalar(Box::new(l))
                        }
                        _ => {
                            self.error(Diagnostic::syntax(e.span, "expected a literal value"));
                            Dynamic::Null
                        }
                    },
                    ExprKind::Error => Dynamic::Null,
                    _ => {
                        self.error(Diagnostic::syntax(
                            e.span,
                            "expected a literal value inside `dynamic(...)`",
                        ));
                        Dynamic::Null
                    }
                }
            }
        }
    }
}

fn negate(l: &mut Literal) {
    l.value = match std::mem::replace(&mut l.value, LiteralValue::Null) {
        LiteralValue::Long(v) => LiteralValue::Long(v.wrapping_neg()),
        LiteralValue::Real(v) => LiteralValue::Real(-v),
        LiteralValue::Timespan(v) => LiteralValue::Timespan(v.wrapping_neg()),
        other => other,
    };
}

/// A decimal or `0x` hexadecimal integer; `None` when it does not fit in an i64.
pub fn parse_int(raw: &str) -> Option<i64> {
    if let Some(hex) = raw.strip_prefix("0x").or_else(|| raw.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as i64);
    }
    raw.parse().ok()
}

/// A timespan literal such as `1.5h` in ticks of 100 ns; `None` on overflow.
pub fn parse_timespan(raw: &str) -> Option<i64> {
    let split = raw.trim_end_matches(|c: char| c.is_alphabetic()).len();
    let (number, unit) = raw.split_at(split);
    let ticks_per_unit: f64 = match unit.to_ascii_lowercase().as_str() {
        "d" | "day" | "days" => 864_000_000_000.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 36_000_000_000.0,
        "m" | "min" | "minute" | "minutes" => 600_000_000.0,
        "s" | "sec" | "second" | "seconds" => 10_000_000.0,
        "ms" | "milli" | "millis" | "millisec" | "millisecond" | "milliseconds" => 10_000.0,
        "micro" | "micros" | "microsec" | "microsecond" | "microseconds" => 10.0,
        "nano" | "nanos" | "nanosec" | "nanosecond" | "nanoseconds" => 0.01,
        "tick" | "ticks" => 1.0,
        _ => return None,
    };
    if let Ok(whole) = number.parse::<i64>()
        && ticks_per_unit >= 1.0
    {
        return whole.checked_mul(ticks_per_unit as i64);
    }
    let value: f64 = number.parse().ok()?;
    let ticks = (value * ticks_per_unit).round();
    (ticks.is_finite() && ticks.abs() < i64::MAX as f64).then_some(ticks as i64)
}
