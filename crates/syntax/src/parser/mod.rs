//! A recursive-descent parser for KQL, with a Pratt loop for binary operators.
//!
//! The parser never panics and never gives up: a syntax error becomes a diagnostic, the broken
//! part becomes an `Error` node, and parsing resumes at the next `|`, `;` or closing bracket so
//! that one pass reports every error. Recursion is bounded (see [`MAX_DEPTH`]).

mod expr;
mod operators;
mod statements;

use crate::ast::*;
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::keywords;
use crate::lexer::{self, Token, TokenKind};
use crate::span::Span;

/// How deeply expressions and queries may nest. Real queries stay far below; the bound keeps
/// both the parser and every later recursive walk of the tree within the stack.
pub const MAX_DEPTH: u16 = 120;

/// The result of parsing a query text.
#[derive(Debug)]
pub struct Parsed {
    pub query: Query,
    pub diagnostics: Vec<Diagnostic>,
    /// Spans of the `//` comments, for the formatter.
    pub comments: Vec<Span>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses a whole query text: statements separated by `;`.
pub fn parse(text: &str) -> Parsed {
    let lexed = lexer::lex(text);
    let mut parser = Parser::new(text, lexed.tokens);
    parser.diags = lexed.diagnostics;
    let query = parser.query();
    let mut diagnostics = parser.diags;
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Parsed { query, diagnostics, comments: lexed.comments }
}

/// Parses a single expression (for exclusion filters and tests); the whole text must be it.
pub fn parse_expression(text: &str) -> (Expr, Vec<Diagnostic>) {
    let lexed = lexer::lex(text);
    let mut parser = Parser::new(text, lexed.tokens);
    parser.diags = lexed.diagnostics;
    let expr = parser.pipe_expr();
    if !parser.at(TokenKind::Eof) {
        let span = parser.current().span;
        parser.error(Diagnostic::syntax(span, format!("unexpected {}", parser.describe_current())));
    }
    (expr, parser.diags)
}

pub(crate) struct Parser<'t> {
    text: &'t str,
    tokens: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    /// Current nesting of recursive constructs.
    depth: u16,
    /// Set once the depth limit was hit, to report it only once.
    depth_exceeded: bool,
}

impl<'t> Parser<'t> {
    fn new(text: &'t str, tokens: Vec<Token>) -> Parser<'t> {
        Parser { text, tokens, pos: 0, diags: Vec::new(), depth: 0, depth_exceeded: false }
    }

    // ---- token access -------------------------------------------------------------------

    fn current(&self) -> Token {
        self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn nth(&self, n: usize) -> Token {
        self.tokens[(self.pos + n).min(self.tokens.len() - 1)]
    }

    fn peek(&self) -> TokenKind {
        self.current().kind
    }

    fn peek_nth(&self, n: usize) -> TokenKind {
        self.nth(n).kind
    }

    fn text_of(&self, token: Token) -> &'t str {
        &self.text[token.span.range()]
    }

    fn current_text(&self) -> &'t str {
        self.text_of(self.current())
    }

    fn at(&self, kind: TokenKind) -> bool {
        self.peek() == kind
    }

    /// Whether the current token is the word `word` (an identifier-like token).
    fn at_word(&self, word: &str) -> bool {
        self.at(TokenKind::Ident) && self.current_text() == word
    }

    fn nth_is_word(&self, n: usize, word: &str) -> bool {
        let t = self.nth(n);
        t.kind == TokenKind::Ident && self.text_of(t) == word
    }

    /// Whether two tokens touch, with no space or comment between.
    fn adjacent(&self, a: Token, b: Token) -> bool {
        a.span.end == b.span.start
    }

    fn bump(&mut self) -> Token {
        let t = self.current();
        if t.kind != TokenKind::Eof {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, kind: TokenKind) -> Option<Token> {
        if self.at(kind) { Some(self.bump()) } else { None }
    }

    fn eat_word(&mut self, word: &str) -> Option<Token> {
        if self.at_word(word) { Some(self.bump()) } else { None }
    }

    /// The end of the previous token: where a missing token should have been.
    fn prev_end(&self) -> usize {
        if self.pos == 0 { 0 } else { self.tokens[self.pos - 1].span.end as usize }
    }

    fn prev_span_token(&self) -> Token {
        if self.pos == 0 {
            Token { kind: TokenKind::Eof, span: Span::at(0) }
        } else {
            self.tokens[self.pos - 1]
        }
    }

    fn prev_span(&self) -> Span {
        if self.pos == 0 { Span::at(0) } else { self.tokens[self.pos - 1].span }
    }

    /// A span from `start` to the end of the previous token.
    fn span_from(&self, start: u32) -> Span {
        Span { start, end: (self.prev_end() as u32).max(start) }
    }

    // ---- diagnostics --------------------------------------------------------------------

    fn error(&mut self, diagnostic: Diagnostic) {
        // The lexer has already reported a token it could not read; a second error there
        // would only repeat it.
        if self.lexer_error_at(diagnostic.span.start) {
            return;
        }
        // One error per place is enough: recovery can stumble over the same token twice.
        if let Some(last) = self.diags.last()
            && last.span == diagnostic.span
            && last.kind == diagnostic.kind
        {
            return;
        }
        self.diags.push(diagnostic);
    }

    fn lexer_error_at(&self, offset: u32) -> bool {
        let i = self.tokens.partition_point(|t| t.span.start < offset);
        self.tokens.get(i).is_some_and(|t| t.kind == TokenKind::Error && t.span.start == offset)
    }

    /// Skips to the `close` bracket that ends the current group (nested groups skipped whole),
    /// without consuming it.
    fn skip_to_close(&mut self, close: TokenKind) {
        let mut nesting = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                k if k == close && nesting == 0 => return,
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

    pub(crate) fn describe(&self, token: Token) -> String {
        match token.kind {
            TokenKind::Eof => "end of query".to_string(),
            TokenKind::Ident => format!("`{}`", self.text_of(token)),
            TokenKind::String => "a string literal".to_string(),
            TokenKind::Int | TokenKind::Real => format!("number `{}`", self.text_of(token)),
            TokenKind::Timespan => format!("timespan `{}`", self.text_of(token)),
            _ => {
                let text = self.text_of(token);
                let short: String = text.chars().take(30).collect();
                format!("`{short}`")
            }
        }
    }

    fn describe_current(&self) -> String {
        self.describe(self.current())
    }

    /// Reports that `what` was expected at the current token, placing the error just after the
    /// previous token (where the missing piece belongs).
    fn expected(&mut self, what: &str) {
        let found = self.describe_current();
        let at = self.current().span;
        self.error(Diagnostic::syntax(at, format!("expected {what}, found {found}")));
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> Option<Token> {
        match self.eat(kind) {
            Some(t) => Some(t),
            None => {
                self.expected(what);
                None
            }
        }
    }

    fn expect_word(&mut self, word: &str) -> Option<Token> {
        match self.eat_word(word) {
            Some(t) => Some(t),
            None => {
                self.expected(&format!("`{word}`"));
                None
            }
        }
    }

    // ---- recursion guard ----------------------------------------------------------------

    /// Enters a nested construct; `false` (with a diagnostic) when it is nested too deeply.
    fn enter(&mut self) -> bool {
        if self.depth >= MAX_DEPTH {
            if !self.depth_exceeded {
                self.depth_exceeded = true;
                let span = self.current().span;
                self.error(Diagnostic::error(
                    DiagnosticKind::Limit,
                    span,
                    format!("the query nests more than {MAX_DEPTH} levels deep"),
                ));
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Builds an expression node, replacing it by an error when the tree grows too deep.
    fn node(&mut self, kind: ExprKind, span: Span) -> Expr {
        let expr = Expr::new(kind, span);
        if expr.depth > MAX_DEPTH {
            if !self.depth_exceeded {
                self.depth_exceeded = true;
                self.error(Diagnostic::error(
                    DiagnosticKind::Limit,
                    span,
                    format!("the expression nests more than {MAX_DEPTH} levels deep"),
                ));
            }
            return Expr::error(span);
        }
        expr
    }

    // ---- recovery -----------------------------------------------------------------------

    /// Skips tokens up to the next `|`, `;` or unbalanced closing bracket at this level.
    fn recover_to_pipe(&mut self) {
        let mut nesting = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::Pipe | TokenKind::Semicolon if nesting == 0 => return,
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

    /// Skips to the end of a comma-separated item: the next `,`, `|`, `;`, or closing bracket.
    fn recover_to_comma(&mut self) {
        let mut nesting = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::Pipe | TokenKind::Semicolon | TokenKind::Comma if nesting == 0 => return,
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

    // ---- names --------------------------------------------------------------------------

    pub(crate) fn ident_from(&self, token: Token) -> Ident {
        Ident { name: self.text_of(token).to_string(), span: token.span, bracketed: false }
    }

    /// Whether the current token starts a bracketed name: `['x']`, `["x"]`, `['a' 'b']`.
    fn at_bracketed_name(&self) -> bool {
        if !self.at(TokenKind::LBracket) || self.peek_nth(1) != TokenKind::String {
            return false;
        }
        let mut i = 2;
        while self.peek_nth(i) == TokenKind::String {
            i += 1;
        }
        self.peek_nth(i) == TokenKind::RBracket
    }

    fn bracketed_name(&mut self) -> Ident {
        let open = self.bump();
        let mut name = String::new();
        while self.at(TokenKind::String) {
            let string = self.bump();
            match lexer::decode_string(self.text_of(string)) {
                Ok(part) => name.push_str(&part),
                Err(message) => self.error(Diagnostic::syntax(string.span, message)),
            }
        }
        let close = self.bump();
        Ident { name, span: open.span.to(close.span), bracketed: true }
    }

    /// Reports a keyword used where only a name may stand.
    fn needs_brackets(&mut self, span: Span, word: &str) {
        let message = if keywords::is_keyword(word) {
            format!("`{word}` is a keyword and cannot be a name here")
        } else {
            format!("`{word}` is not a plain name")
        };
        self.error(Diagnostic::syntax(span, message).with_help(format!("write it as ['{word}']")));
    }

    /// A name that refers to something (a column, table, variable): identifiers, the keywords
    /// that can be names, and bracketed names.
    fn reference_name(&mut self, what: &str) -> Option<Ident> {
        self.name_with(keywords::can_reference, what)
    }

    /// A name that declares a column: on the left of `=`, in a schema.
    fn declared_name(&mut self) -> Ident {
        self.name_with(keywords::can_declare, "a column name").unwrap_or_else(|| self.blank_ident())
    }

    /// A name for a `let`, an `as`, a `range` column: identifiers and name-keywords.
    fn plain_name(&mut self, what: &str) -> Option<Ident> {
        self.name_with(keywords::can_name, what)
    }

    fn name_with(&mut self, allowed: fn(&str) -> bool, what: &str) -> Option<Ident> {
        if self.at_bracketed_name() {
            return Some(self.bracketed_name());
        }
        if self.at(TokenKind::Ident) {
            let t = self.bump();
            let ident = self.ident_from(t);
            if !allowed(&ident.name) {
                self.needs_brackets(t.span, &ident.name);
            }
            return Some(ident);
        }
        self.expected(what);
        None
    }

    /// Whether a declared name and `=` follow (`Name = ...`, `['Name'] = ...`); a keyword that
    /// cannot be declared is still taken, with an error, as Kusto does.
    fn at_declared_name_then_assign(&self) -> bool {
        (self.at(TokenKind::Ident) && self.peek_nth(1) == TokenKind::Assign)
            || (self.at_bracketed_name() && self.token_after_bracketed_name() == TokenKind::Assign)
    }

    fn token_after_bracketed_name(&self) -> TokenKind {
        let mut i = 1;
        while self.peek_nth(i) == TokenKind::String {
            i += 1;
        }
        self.peek_nth(i + 1)
    }

    fn blank_ident(&self) -> Ident {
        Ident { name: String::new(), span: Span::at(self.prev_end()), bracketed: false }
    }

    /// Whether a name follows: an identifier or a bracketed name.
    fn at_name(&self) -> bool {
        self.at(TokenKind::Ident) || self.at_bracketed_name()
    }

    /// A scalar type name in a schema or declaration: `string`, `long`, `datetime`, ...
    fn type_name(&mut self) -> Option<TypeName> {
        if !self.at(TokenKind::Ident) {
            self.expected("a type name such as `string`, `long` or `datetime`");
            return None;
        }
        let t = self.bump();
        let name = self.text_of(t).to_string();
        if !keywords::TYPE_NAMES.contains(&name.as_str()) {
            let mut d = Diagnostic::syntax(t.span, format!("`{name}` is not a type name"));
            if let Some(s) = crate::suggest::closest(&name, keywords::TYPE_NAMES.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.error(d);
        }
        Some(TypeName { name, span: t.span })
    }
}
