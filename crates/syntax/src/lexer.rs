//! The lexer: turns KQL text into tokens, and keeps comments aside for the formatter.
//!
//! Keywords are not a token kind: KQL lets most of them be names too, so the parser decides
//! from context. The lexer does join the pieces that only make sense together: hyphenated
//! operator names (`project-away`), negated operators (`!has`), `in~`, `$left`, and the
//! literals whose contents are not KQL tokens (`datetime(2024-01-01 10:00)`, `guid(...)`).

use crate::diagnostic::Diagnostic;
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// A word: an identifier (`$left` included) or a keyword, including hyphenated keywords,
    /// `in~` and `matches regex`.
    Ident,
    /// `12`, `0x1F`.
    Int,
    /// `1.5`, `1e3`.
    Real,
    /// A number with a time unit: `1d`, `1.5h`, `10microsecond`.
    Timespan,
    /// One string literal in any of its forms.
    String,
    /// `datetime(...)`, `long(null)`, `guid(...)` and the like: a type name, `(`, raw text, `)`.
    RawLiteral,
    /// A negated operator written with `!`: `!has`, `!contains_cs`, `!in~`, `!between`.
    BangWord,
    Pipe,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semicolon,
    Dot,
    DotDot,
    Colon,
    Assign,
    EqEq,
    NotEq,
    LtGt,
    Lt,
    Le,
    Gt,
    Ge,
    EqTilde,
    BangTilde,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    FatArrow,
    Question,
    At,
    LtPipe,
    Bang,
    /// Text the lexer cannot read; a diagnostic says why.
    Error,
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// The result of lexing: tokens (ending with `Eof`), comment spans, and lexical errors.
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub comments: Vec<Span>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Keywords written with hyphens. A word followed by `-` and more forms one token only when
/// the whole is one of these and no identifier character follows.
const HYPHENATED_WORDS: &[&str] = &[
    "assert-schema",
    "commands-and-queries",
    "granny-asc",
    "granny-desc",
    "graph-mark-components",
    "graph-match",
    "graph-shortest-paths",
    "graph-to-table",
    "graph-where-edges",
    "graph-where-nodes",
    "macro-expand",
    "make-graph",
    "make-series",
    "materialized-view-combine",
    "materialized-views",
    "mv-apply",
    "mv-expand",
    "parse-kv",
    "parse-where",
    "partitioned-by",
    "project-away",
    "project-by-names",
    "project-keep",
    "project-rename",
    "project-reorder",
    "project-smart",
    "sample-distinct",
    "set-or-append",
    "set-or-replace",
    "top-hitters",
    "top-nested",
];

/// Operators that take a `!` prefix to negate them.
const NEGATABLE_WORDS: &[&str] = &[
    "between",
    "contains",
    "contains_cs",
    "endswith",
    "endswith_cs",
    "has",
    "has_cs",
    "hasprefix",
    "hasprefix_cs",
    "hassuffix",
    "hassuffix_cs",
    "in",
    "startswith",
    "startswith_cs",
];

/// Time units a number may carry, making it a timespan literal. Case matters: `1H` is a name.
pub const TIMESPAN_UNITS: &[&str] = &[
    "d",
    "day",
    "days",
    "h",
    "hr",
    "hrs",
    "hour",
    "hours",
    "m",
    "min",
    "minute",
    "minutes",
    "s",
    "sec",
    "second",
    "seconds",
    "ms",
    "milli",
    "millis",
    "millisec",
    "millisecond",
    "milliseconds",
    "micro",
    "micros",
    "microsec",
    "microsecond",
    "microseconds",
    "nano",
    "nanos",
    "nanosec",
    "nanosecond",
    "nanoseconds",
    "tick",
    "ticks",
];

/// Type names whose parenthesised argument, right after the name, is raw text rather than
/// KQL tokens: `datetime(2024-01-01 10:00)`, `long(null)`, `real(nan)`, `guid(...)`.
pub const RAW_LITERAL_WORDS: &[&str] = &[
    "long", "int64", "int", "int32", "real", "double", "decimal", "bool", "datetime", "date",
    "time", "timespan", "guid",
];

pub fn lex(text: &str) -> Lexed {
    let mut lexer = Lexer { text, bytes: text.as_bytes(), pos: 0, out: Lexed::default() };
    lexer.run();
    lexer.out
}

struct Lexer<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    out: Lexed,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// White space besides ASCII: KQL accepts a few Unicode spaces, notably the no-break space
/// that pasting from web pages brings.
fn is_unicode_space(c: char) -> bool {
    matches!(
        c,
        '\u{a0}' | '\u{1680}' | '\u{180e}' | '\u{2000}'
            ..='\u{200b}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

impl<'t> Lexer<'t> {
    fn run(&mut self) {
        loop {
            self.skip_trivia();
            let start = self.pos;
            if start >= self.text.len() {
                self.out.tokens.push(Token { kind: TokenKind::Eof, span: Span::at(start) });
                return;
            }
            let kind = self.token();
            self.out.tokens.push(Token { kind, span: Span::new(start, self.pos) });
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn byte_at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    fn skip_trivia(&mut self) {
        loop {
            match self.byte_at(self.pos) {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0c => self.pos += 1,
                b'/' if self.byte_at(self.pos + 1) == b'/' => {
                    let start = self.pos;
                    let rest = &self.text[start..];
                    let len = rest.find(['\n', '\r', '\u{2028}', '\u{2029}']).unwrap_or(rest.len());
                    self.out.comments.push(Span::new(start, start + len));
                    self.pos = start + len;
                }
                b if b >= 0x80 => match self.peek_char() {
                    Some(c) if is_unicode_space(c) => self.pos += c.len_utf8(),
                    _ => return,
                },
                _ => return,
            }
        }
    }

    fn error(&mut self, start: usize, message: impl Into<String>) -> TokenKind {
        self.out.diagnostics.push(Diagnostic::syntax(Span::new(start, self.pos), message));
        TokenKind::Error
    }

    fn starts_with(&self, s: &str) -> bool {
        self.text[self.pos..].starts_with(s)
    }

    fn token(&mut self) -> TokenKind {
        use TokenKind::*;
        let start = self.pos;
        let c = self.byte_at(self.pos);
        let next = self.byte_at(self.pos + 1);
        let (kind, len) = match c {
            b'|' => (Pipe, 1),
            b'(' => (LParen, 1),
            b')' => (RParen, 1),
            b'[' => (LBracket, 1),
            b']' => (RBracket, 1),
            b'{' => (LBrace, 1),
            b'}' => (RBrace, 1),
            b',' => (Comma, 1),
            b';' => (Semicolon, 1),
            b':' => (Colon, 1),
            b'+' => (Plus, 1),
            b'-' => (Minus, 1),
            b'*' => (Star, 1),
            b'/' => (Slash, 1),
            b'%' => (Percent, 1),
            b'?' => (Question, 1),
            b'.' if next == b'.' => (DotDot, 2),
            b'.' => (Dot, 1),
            b'=' if next == b'=' => (EqEq, 2),
            b'=' if next == b'~' => (EqTilde, 2),
            b'=' if next == b'>' => (FatArrow, 2),
            b'=' => (Assign, 1),
            b'<' if next == b'=' => (Le, 2),
            b'<' if next == b'>' => (LtGt, 2),
            b'<' if next == b'|' => (LtPipe, 2),
            b'<' => (Lt, 1),
            b'>' if next == b'=' => (Ge, 2),
            b'>' => (Gt, 1),
            b'!' if next == b'=' => (NotEq, 2),
            b'!' if next == b'~' => (BangTilde, 2),
            b'!' => return self.bang(),
            b'\'' | b'"' => return self.quoted(start, self.pos, false),
            b'`' | b'~' if self.starts_with("```") || self.starts_with("~~~") => {
                return self.multiline(start, self.pos);
            }
            b'@' if matches!(next, b'\'' | b'"') => return self.quoted(start, self.pos + 1, true),
            b'@' if self.text[self.pos + 1..].starts_with("```")
                || self.text[self.pos + 1..].starts_with("~~~") =>
            {
                return self.multiline(start, self.pos + 1);
            }
            b'@' => (At, 1),
            b'0'..=b'9' => return self.number(),
            b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$' => return self.word(),
            _ => {
                let ch = self.peek_char().unwrap_or('\0');
                self.pos += ch.len_utf8();
                let shown = ch.escape_debug();
                let message = if ch.is_alphabetic() {
                    format!(
                        "unexpected character `{shown}`: names are ASCII; write ['{ch}...'] for others"
                    )
                } else {
                    format!("unexpected character `{shown}`")
                };
                return self.error(start, message);
            }
        };
        self.pos += len;
        kind
    }

    fn eat_ident_chars(&mut self) {
        while is_ident_byte(self.byte_at(self.pos)) {
            self.pos += 1;
        }
    }

    fn bang(&mut self) -> TokenKind {
        let start = self.pos;
        self.pos += 1;
        let word_start = self.pos;
        self.eat_ident_chars();
        let word = &self.text[word_start..self.pos];
        if NEGATABLE_WORDS.contains(&word) {
            if word == "in" && self.byte_at(self.pos) == b'~' {
                if is_ident_byte(self.byte_at(self.pos + 1)) {
                    self.pos = start + 1;
                    return TokenKind::Bang;
                }
                self.pos += 1;
            }
            return TokenKind::BangWord;
        }
        self.pos = start + 1;
        TokenKind::Bang
    }

    fn word(&mut self) -> TokenKind {
        let start = self.pos;
        self.pos += 1;
        self.eat_ident_chars();
        let word = &self.text[start..self.pos];

        // String prefixes: h'..', H"..", h@'..', h```..```
        if matches!(word, "h" | "H") {
            match self.byte_at(self.pos) {
                b'\'' | b'"' => return self.quoted(start, self.pos, false),
                b'@' if matches!(self.byte_at(self.pos + 1), b'\'' | b'"') => {
                    return self.quoted(start, self.pos + 1, true);
                }
                b'`' | b'~' if self.starts_with("```") || self.starts_with("~~~") => {
                    return self.multiline(start, self.pos);
                }
                _ => {}
            }
        }

        if word == "in"
            && self.byte_at(self.pos) == b'~'
            && !is_ident_byte(self.byte_at(self.pos + 1))
        {
            self.pos += 1;
            return TokenKind::Ident;
        }
        if word == "matches"
            && self.starts_with(" regex")
            && !is_ident_byte(self.byte_at(self.pos + 6))
        {
            self.pos += 6;
            return TokenKind::Ident;
        }
        if self.byte_at(self.pos) == b'-'
            && let Some(len) = self.hyphenated(start)
        {
            self.pos = start + len;
            return TokenKind::Ident;
        }
        if self.byte_at(self.pos) == b'(' && RAW_LITERAL_WORDS.contains(&word) {
            return self.raw_literal(start);
        }
        TokenKind::Ident
    }

    /// The length of the hyphenated keyword starting at `start`, if there is one.
    fn hyphenated(&self, start: usize) -> Option<usize> {
        let rest = &self.bytes[start..];
        HYPHENATED_WORDS
            .iter()
            .filter(|w| {
                rest.starts_with(w.as_bytes()) && !is_ident_byte(self.byte_at(start + w.len()))
            })
            .map(|w| w.len())
            .max()
    }

    /// `name(` raw text `)`: the text runs to the first `)` on the same line.
    fn raw_literal(&mut self, start: usize) -> TokenKind {
        let rest = &self.text[self.pos..];
        match rest.find([')', '\n', '\r', '\u{2028}', '\u{2029}']) {
            Some(i) if rest.as_bytes()[i] == b')' => {
                self.pos += i + 1;
                TokenKind::RawLiteral
            }
            other => {
                self.pos += other.unwrap_or(rest.len());
                self.error(start, "expected `)` to close the literal on the same line")
            }
        }
    }

    /// A quoted string; `quote_at` is the position of the opening quote.
    fn quoted(&mut self, start: usize, quote_at: usize, verbatim: bool) -> TokenKind {
        let quote = self.bytes[quote_at];
        let mut i = quote_at + 1;
        loop {
            match self.bytes.get(i) {
                None | Some(b'\n') | Some(b'\r') => {
                    self.pos = i;
                    return self.error(start, "unterminated string literal");
                }
                Some(b'\\') if !verbatim => {
                    // An escape; a line break right after the backslash still ends the line.
                    i += 1;
                    if !matches!(self.bytes.get(i), None | Some(b'\n') | Some(b'\r')) {
                        i += 1;
                    }
                }
                Some(&b) if b == quote => {
                    if verbatim && self.byte_at(i + 1) == quote {
                        i += 2;
                    } else {
                        self.pos = i + 1;
                        return TokenKind::String;
                    }
                }
                Some(_) => i += 1,
            }
        }
    }

    /// A multi-line string fenced by ``` or ~~~.
    fn multiline(&mut self, start: usize, fence_at: usize) -> TokenKind {
        let fence = &self.text[fence_at..fence_at + 3];
        match self.text[fence_at + 3..].find(fence) {
            Some(i) => {
                self.pos = fence_at + 3 + i + 3;
                TokenKind::String
            }
            None => {
                self.pos = self.text.len();
                self.error(start, format!("unterminated multi-line string: no closing {fence}"))
            }
        }
    }

    /// Digits start a raw guid, a real, a timespan, an integer, or (digits then letters) a
    /// name, tried in that order; each must end where no identifier character follows.
    fn number(&mut self) -> TokenKind {
        let start = self.pos;
        let rest = &self.bytes[start..];
        let ends_clean = |len: usize| !is_ident_byte(rest.get(len).copied().unwrap_or(0));

        if let Some(len) = raw_guid_len(rest) {
            self.pos += len;
            return self.error(start, "a raw guid is not allowed here; write guid(...)");
        }
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if let Some(len) = real_len(rest, digits)
            && ends_clean(len)
        {
            self.pos += len;
            return TokenKind::Real;
        }
        // digits ('.' digits)? unit
        let mut number_len = digits;
        if rest.get(digits) == Some(&b'.') && rest.get(digits + 1).is_some_and(u8::is_ascii_digit) {
            number_len =
                digits + 1 + rest[digits + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        }
        let unit_len = rest[number_len..].iter().take_while(|b| b.is_ascii_alphabetic()).count();
        if unit_len > 0 {
            let unit = &self.text[start + number_len..start + number_len + unit_len];
            let longest =
                TIMESPAN_UNITS.iter().filter(|u| unit.starts_with(**u)).map(|u| u.len()).max();
            if let Some(u) = longest
                && ends_clean(number_len + u)
            {
                self.pos += number_len + u;
                return TokenKind::Timespan;
            }
        }
        if rest.len() > 2 && rest[0] == b'0' && matches!(rest[1], b'x' | b'X') {
            let hex = rest[2..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
            if hex > 0 && ends_clean(2 + hex) {
                self.pos += 2 + hex;
                return TokenKind::Int;
            }
        }
        if ends_clean(digits) {
            self.pos += digits;
            return TokenKind::Int;
        }
        // A name that starts with digits, such as `1abc`.
        self.pos += digits;
        self.eat_ident_chars();
        TokenKind::Ident
    }
}

/// `digits '.' digits? exponent?` or `digits exponent`; the dot is not taken before `..`.
fn real_len(rest: &[u8], digits: usize) -> Option<usize> {
    let digits_at =
        |i: usize| rest[i.min(rest.len())..].iter().take_while(|b| b.is_ascii_digit()).count();
    let exponent = |i: usize| -> usize {
        if !matches!(rest.get(i), Some(b'e' | b'E')) {
            return 0;
        }
        let sign = usize::from(matches!(rest.get(i + 1), Some(b'+' | b'-')));
        let n = digits_at(i + 1 + sign);
        if n == 0 { 0 } else { 1 + sign + n }
    };
    if rest.get(digits) == Some(&b'.') && rest.get(digits + 1) != Some(&b'.') {
        let frac = digits_at(digits + 1);
        let end = digits + 1 + frac;
        return Some(end + exponent(end));
    }
    let e = exponent(digits);
    (e > 0).then_some(digits + e)
}

/// The length of a raw guid (`8-4-4-4-12` hexadecimal digits) at the start of `rest`.
fn raw_guid_len(rest: &[u8]) -> Option<usize> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut i = 0;
    for (n, len) in GROUPS.iter().enumerate() {
        if n > 0 {
            if rest.get(i) != Some(&b'-') {
                return None;
            }
            i += 1;
        }
        if rest.len() < i + len || !rest[i..i + len].iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        i += len;
    }
    Some(i)
}

/// Decodes the text of a `String` token into its value. Errors describe a bad escape.
pub fn decode_string(raw: &str) -> Result<String, String> {
    let mut s = raw;
    if let Some(rest) = s.strip_prefix(['h', 'H']) {
        s = rest;
    }
    if s.starts_with("```") || s.starts_with("~~~") {
        return Ok(s[3..s.len() - 3].to_string());
    }
    let verbatim = s.starts_with('@');
    if verbatim {
        s = &s[1..];
    }
    let quote = s.chars().next().unwrap_or('"');
    let body = &s[1..s.len().saturating_sub(1).max(1)];
    if verbatim {
        let doubled: String = [quote, quote].iter().collect();
        return Ok(body.replace(&doubled, &quote.to_string()));
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            return Err("string literal ends with a lone `\\`".to_string());
        };
        let hex =
            |chars: &mut std::iter::Peekable<std::str::Chars>, n: usize| -> Result<char, String> {
                let digits: String = chars.by_ref().take(n).collect();
                match u32::from_str_radix(&digits, 16).ok().and_then(char::from_u32) {
                    Some(ch) if digits.len() == n => Ok(ch),
                    _ => Err(format!(
                        "invalid escape `\\{e}{digits}`: expected {n} hexadecimal digits"
                    )),
                }
            };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '\\' | '\'' | '"' => out.push(e),
            'u' => out.push(hex(&mut chars, 4)?),
            'U' => out.push(hex(&mut chars, 8)?),
            'x' => out.push(hex(&mut chars, 2)?),
            '0'..='7' => {
                // Octal: up to three digits, three only when the first is 0-3.
                let max = if e <= '3' { 3 } else { 2 };
                let mut value = e as u32 - '0' as u32;
                for _ in 1..max {
                    match chars.peek() {
                        Some(d @ '0'..='7') => {
                            value = value * 8 + (*d as u32 - '0' as u32);
                            chars.next();
                        }
                        _ => break,
                    }
                }
                out.push(char::from_u32(value).unwrap_or('\0'));
            }
            other => {
                return Err(format!(
                    "invalid escape `\\{other}` in string literal; write `\\\\{other}`, or use a verbatim string @'...'"
                ));
            }
        }
    }
    Ok(out)
}
