//! Statements: `let`, `set`, `declare query_parameters`, `alias`, `restrict`, and queries.

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::keywords;
use crate::lexer::TokenKind;
use crate::span::Span;

impl Parser<'_> {
    pub(super) fn query(&mut self) -> Query {
        let statements = self.statements(false);
        Query { statements, span: Span::new(0, self.text.len()) }
    }

    /// Statements separated by `;`, to the end of the text or, in a function body, to `}`.
    /// One `;` may end the last statement; any other stray `;` is an error.
    pub(super) fn statements(&mut self, in_body: bool) -> Vec<Statement> {
        let mut statements = Vec::new();
        loop {
            if self.at(TokenKind::Eof) || (in_body && self.at(TokenKind::RBrace)) {
                break;
            }
            if !in_body
                && matches!(
                    self.peek(),
                    TokenKind::RParen | TokenKind::RBrace | TokenKind::RBracket
                )
                || self.at(TokenKind::Semicolon)
            {
                let t = self.bump();
                let message = format!("unexpected {}", self.describe(t));
                self.error(Diagnostic::syntax(t.span, message));
                continue;
            }
            let before = self.pos;
            let statement = self.statement(in_body);
            let is_expr = matches!(statement.kind, StatementKind::Expr(_));
            statements.push(statement);
            if self.pos == before {
                // No progress: drop the token that stopped us.
                let t = self.bump();
                self.error(Diagnostic::syntax(t.span, format!("unexpected {}", self.describe(t))));
                continue;
            }
            if self.eat(TokenKind::Semicolon).is_some() {
                if in_body && is_expr && !self.at(TokenKind::RBrace) {
                    self.expected("`}`: a function body ends with its query");
                }
                continue;
            }
            if self.at(TokenKind::Eof) || (in_body && self.at(TokenKind::RBrace)) {
                if in_body && !is_expr {
                    self.expected("`;` after the statement");
                }
                continue;
            }
            let help = if is_expr {
                "separate two queries with `;`, or join their lines with `|`"
            } else {
                "a statement ends with `;` before the statement that follows"
            };
            let span = self.current().span;
            let message = format!("expected `;` before {}", self.describe_current());
            self.error(Diagnostic::syntax(span, message).with_help(help));
        }
        statements
    }

    fn statement(&mut self, in_body: bool) -> Statement {
        let start = self.current().span.start;
        let next = self.nth(1);
        let next_is_name = (next.kind == TokenKind::Ident
            && keywords::can_name(self.text_of(next)))
            || (next.kind == TokenKind::LBracket && self.peek_nth(2) == TokenKind::String);
        let kind = if self.at_word("let") && (next_is_name || in_body) {
            self.let_statement()
        } else if self.at_word("set") {
            self.set_statement()
        } else if self.at_word("declare") && self.nth_is_word(1, "query_parameters") {
            self.declare_statement()
        } else if self.at_word("declare") && self.nth_is_word(1, "pattern") {
            self.pattern_statement()
        } else if self.at_word("alias") && self.nth_is_word(1, "database") {
            self.alias_statement()
        } else if self.at_word("restrict") && self.nth_is_word(1, "access") {
            self.restrict_statement()
        } else {
            StatementKind::Expr(self.pipe_expr())
        };
        Statement { kind, span: self.span_from(start) }
    }

    fn let_statement(&mut self) -> StatementKind {
        self.bump();
        let name = self.plain_name("a name after `let`").unwrap_or_else(|| self.blank_ident());
        if self.expect(TokenKind::Assign, "`=` after the name in `let`").is_none() {
            self.recover_to_statement_end();
            return StatementKind::Let {
                name,
                value: LetValue::Expr(Expr::error(self.prev_span())),
            };
        }
        let value = self.let_value();
        StatementKind::Let { name, value }
    }

    fn let_value(&mut self) -> LetValue {
        if self.at_word("materialize") {
            // Only `materialize(query)` itself: `materialize(T) | take 1` is not KQL.
            let t = self.bump();
            let name = self.ident_from(t);
            let mut args = Vec::new();
            if self.expect(TokenKind::LParen, "`(` after `materialize`").is_some() {
                if self.enter() {
                    args.push(Arg::Positional(self.pipe_expr()));
                    self.leave();
                } else {
                    self.recover_to_pipe();
                }
                self.expect(TokenKind::RParen, "`)` after the materialized query");
            }
            let span = t.span.to(self.prev_span());
            return LetValue::Expr(self.node(ExprKind::Call { receiver: None, name, args }, span));
        }
        if self.at_word("view") && self.at_function_params(1) {
            let start = self.bump().span.start;
            return LetValue::View(self.function_def(start));
        }
        if self.at_function_params(0) {
            let start = self.current().span.start;
            return LetValue::Function(self.function_def(start));
        }
        LetValue::Expr(self.pipe_expr())
    }

    /// Whether the token at `n` opens a parameter list rather than a parenthesised expression:
    /// `()`, `(*`, or `(name:`.
    fn at_function_params(&self, n: usize) -> bool {
        if self.peek_nth(n) != TokenKind::LParen {
            return false;
        }
        match (self.peek_nth(n + 1), self.peek_nth(n + 2)) {
            (TokenKind::RParen, _) | (TokenKind::Star, _) => true,
            (TokenKind::Ident, TokenKind::Colon) => true,
            (TokenKind::LBracket, TokenKind::String) => {
                let mut i = n + 3;
                while self.peek_nth(i) == TokenKind::String {
                    i += 1;
                }
                self.peek_nth(i) == TokenKind::RBracket && self.peek_nth(i + 1) == TokenKind::Colon
            }
            _ => false,
        }
    }

    fn function_def(&mut self, start: u32) -> FunctionDef {
        self.bump();
        let params = if self.at(TokenKind::RParen) {
            Vec::new()
        } else {
            self.comma_list(|p| p.param()).into_iter().flatten().collect()
        };
        if self.expect(TokenKind::RParen, "`,` or `)` in the parameter list").is_none() {
            self.skip_to_close(TokenKind::RParen);
            self.eat(TokenKind::RParen);
        }
        let mut body = Vec::new();
        if self.expect(TokenKind::LBrace, "`{` to open the function body").is_some() {
            if self.enter() {
                body = self.statements(true);
                self.leave();
            } else {
                self.recover_to_statement_end();
            }
            self.expect(TokenKind::RBrace, "`}` to close the function body");
        }
        FunctionDef { params, body, span: self.span_from(start) }
    }

    /// `name: type [= default]` in a function's parameters or `declare query_parameters`.
    pub(super) fn param(&mut self) -> Option<Param> {
        let name = self.name_with(keywords::can_declare, "a parameter name")?;
        self.expect(TokenKind::Colon, "`:` and a type after the parameter name")?;
        let ty = if self.at(TokenKind::LParen) {
            self.bump();
            let (columns, open) = self.column_schema();
            self.expect(TokenKind::RParen, "`)` to close the table schema")?;
            ParamType::Tabular { columns, open }
        } else {
            ParamType::Scalar(self.type_name()?)
        };
        let default =
            if self.eat(TokenKind::Assign).is_some() { Some(self.default_value()) } else { None };
        Some(Param { name, ty, default })
    }

    /// A parameter's default: a literal (a sign may touch a number) or a bare name.
    fn default_value(&mut self) -> Expr {
        if self.at(TokenKind::Ident)
            && !matches!(self.current_text(), "dynamic" | "typeof")
            && !matches!(
                self.current_text(),
                "true" | "false" | "True" | "False" | "TRUE" | "FALSE"
            )
        {
            let t = self.bump();
            return Expr::name(self.ident_from(t));
        }
        self.literal_value("a default value")
    }

    /// A table schema: `*`, or `name: type, ...` (trailing comma allowed), possibly with `*`.
    pub(super) fn column_schema(&mut self) -> (Vec<ColumnDecl>, bool) {
        let mut columns = Vec::new();
        let mut open = false;
        loop {
            if self.eat(TokenKind::Star).is_some() {
                open = true;
            } else if self.at_name() {
                if let Some(c) = self.column_decl() {
                    columns.push(c);
                } else {
                    self.recover_to_comma();
                }
            } else if !self.at(TokenKind::RParen) {
                self.expected("a column `name: type` or `*`");
                self.recover_to_comma();
            }
            if self.eat(TokenKind::Comma).is_none() {
                break;
            }
        }
        (columns, open)
    }

    /// `name: type` (a nested schema `name: (...)` is taken too).
    pub(super) fn column_decl(&mut self) -> Option<ColumnDecl> {
        let name = self.name_with(keywords::can_declare, "a column name")?;
        self.expect(TokenKind::Colon, "`:` and a type after the column name")?;
        let ty = self.type_name()?;
        Some(ColumnDecl { name, ty })
    }

    fn set_statement(&mut self) -> StatementKind {
        self.bump();
        let name = if self.at(TokenKind::Ident) {
            self.dotted_name()
        } else {
            self.plain_name("an option name after `set`").unwrap_or_else(|| self.blank_ident())
        };
        let value = if self.eat(TokenKind::Assign).is_some() { Some(self.expr()) } else { None };
        StatementKind::Set { name, value }
    }

    /// Words joined by dots without spaces, as in `hint.strategy` or `query_language.x`.
    pub(super) fn dotted_name(&mut self) -> Ident {
        let first = self.bump();
        let mut ident = self.ident_from(first);
        while self.at(TokenKind::Dot)
            && self.peek_nth(1) == TokenKind::Ident
            && self.adjacent(self.prev_span_token(), self.current())
            && self.adjacent(self.current(), self.nth(1))
        {
            self.bump();
            let part = self.bump();
            ident.name.push('.');
            ident.name.push_str(self.text_of(part));
            ident.span = ident.span.to(part.span);
        }
        ident
    }

    fn declare_statement(&mut self) -> StatementKind {
        self.bump();
        self.bump();
        if self.expect(TokenKind::LParen, "`(` after `query_parameters`").is_none() {
            self.recover_to_statement_end();
            return StatementKind::DeclareQueryParameters { params: Vec::new() };
        }
        let params = self.comma_list(|p| p.param()).into_iter().flatten().collect();
        self.expect(TokenKind::RParen, "`,` or `)` in `query_parameters`");
        StatementKind::DeclareQueryParameters { params }
    }

    fn pattern_statement(&mut self) -> StatementKind {
        let start = self.bump().span;
        self.bump();
        let name = self.plain_name("a pattern name").unwrap_or_else(|| self.blank_ident());
        let body_start = self.current().span.start;
        self.recover_to_statement_end();
        let body = (self.prev_end() as u32 > body_start).then(|| self.span_from(body_start));
        let _ = start;
        StatementKind::Pattern { name, span_of_body: body }
    }

    fn alias_statement(&mut self) -> StatementKind {
        self.bump();
        self.bump();
        let name = self.plain_name("an alias name").unwrap_or_else(|| self.blank_ident());
        self.expect(TokenKind::Assign, "`=` after the alias name");
        let value = self.expr();
        StatementKind::Alias { name, value }
    }

    fn restrict_statement(&mut self) -> StatementKind {
        self.bump();
        self.bump();
        self.expect_word("to");
        let mut tables = Vec::new();
        if self.expect(TokenKind::LParen, "`(` and a list of tables").is_some() {
            tables = self.comma_list(|p| p.table_reference());
            self.expect(TokenKind::RParen, "`,` or `)` in the table list");
        }
        StatementKind::RestrictAccess { tables }
    }

    /// Skips to the next `;` at this level (or the end of the enclosing block).
    pub(super) fn recover_to_statement_end(&mut self) {
        let mut nesting = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::Semicolon if nesting == 0 => return,
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => nesting += 1,
                TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                    if nesting == 0 {
                        return;
                    }
                    nesting -= 1;
                }
                _ => {}
            }
            self.bump();
        }
    }
}
