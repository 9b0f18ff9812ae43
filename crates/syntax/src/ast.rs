//! The syntax tree. Every node carries the byte span it was parsed from.
//!
//! KQL does not tell tabular from scalar expressions by syntax (`T` may be a table or a
//! column), so both are one `Expr` type; a pipeline is an expression whose source is followed by
//! `| operator`s. Literals keep their source text so that the formatter can print them as
//! written, and their decoded value so that later layers need not decode them again.

use crate::span::Span;

/// A name: an identifier, a keyword used as a name, or a bracketed name (`['a b']`).
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
    /// Written in brackets: `['name']` or `["name"]`.
    pub bracketed: bool,
}

/// A whole query text: statements separated by `;`.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub statements: Vec<Statement>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StatementKind {
    /// `let name = value`
    Let { name: Ident, value: LetValue },
    /// `set name [= value]`
    Set { name: Ident, value: Option<Expr> },
    /// `declare query_parameters (name: type [= default], ...)`
    DeclareQueryParameters { params: Vec<Param> },
    /// `alias database name = cluster(...).database(...)`
    Alias { name: Ident, value: Expr },
    /// `restrict access to (T1, T2)`
    RestrictAccess { tables: Vec<Expr> },
    /// `declare pattern name [= (params) [: (columns)] { ... }]`
    Pattern { name: Ident, span_of_body: Option<Span> },
    /// A query: a tabular (or scalar) expression.
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub enum LetValue {
    Expr(Expr),
    /// `(params) { body }`
    Function(FunctionDef),
    /// `view (params) { body }`
    View(FunctionDef),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    pub params: Vec<Param>,
    pub body: Vec<Statement>,
    pub span: Span,
}

/// A function or query parameter: `name: type [= default]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: ParamType,
    pub default: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ParamType {
    Scalar(TypeName),
    /// `(*)` when `columns` is empty and `open`, `(a: string, *)`, `(a: string)`.
    Tabular {
        columns: Vec<ColumnDecl>,
        open: bool,
    },
}

/// A scalar type name as written: `string`, `long`, `dynamic`, ...
#[derive(Clone, Debug, PartialEq)]
pub struct TypeName {
    pub name: String,
    pub span: Span,
}

/// `name: type`, as in `datatable(name: type, ...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDecl {
    pub name: Ident,
    pub ty: TypeName,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// The height of this subtree; the parser bounds it so that walking a tree recursively
    /// can never exhaust the stack.
    pub depth: u16,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A column, table, variable or function name; also `$left` and `$right`.
    Name(Ident),
    Literal(Literal),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `a and b and c`, `a or b`: flat, as such chains are often long.
    Logical {
        op: LogicalOp,
        operands: Vec<Expr>,
    },
    /// `x in (a, b)`, `x has_any (a, b)`, ...: an operator whose right side is a list.
    /// The list may hold a single tabular expression or a dynamic array.
    ListOp {
        op: ListOp,
        lhs: Box<Expr>,
        items: Vec<Expr>,
    },
    /// `x between (low .. high)`, `x !between (low .. high)`
    Between {
        negated: bool,
        lhs: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    /// `name(args)`, or `receiver.name(args)` as in `cluster('c').database('d')`.
    Call {
        receiver: Option<Box<Expr>>,
        name: Ident,
        args: Vec<Arg>,
    },
    /// `target.name`
    Member {
        target: Box<Expr>,
        name: Ident,
    },
    /// `target[index]`
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
    },
    /// `(expr)`; kept so that printing reproduces the author's grouping.
    Paren(Box<Expr>),
    /// `*`, as a function argument (`arg_max(T, *)`) or a column wildcard.
    Star,
    /// `source | op | op ...`
    Pipeline {
        source: Box<Expr>,
        ops: Vec<PipeOp>,
    },
    /// A tabular operator that starts a query: `print`, `range`, `union`, `datatable`, ...
    Operator(Box<Operator>),
    /// Where the parser found no valid expression; a diagnostic says why.
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogicalOp {
    And,
    Or,
}

/// Binary operators, with their spelling in KQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    EqTilde,
    NotEqTilde,
    Has,
    NotHas,
    HasCs,
    NotHasCs,
    HasPrefix,
    NotHasPrefix,
    HasPrefixCs,
    NotHasPrefixCs,
    HasSuffix,
    NotHasSuffix,
    HasSuffixCs,
    NotHasSuffixCs,
    Contains,
    NotContains,
    ContainsCs,
    NotContainsCs,
    StartsWith,
    NotStartsWith,
    StartsWithCs,
    NotStartsWithCs,
    EndsWith,
    NotEndsWith,
    EndsWithCs,
    NotEndsWithCs,
    MatchesRegex,
    /// `column:value` in `search` predicates.
    Colon,
    Like,
    NotLike,
    LikeCs,
    NotLikeCs,
}

impl BinaryOp {
    pub const ALL: &[BinaryOp] = &[
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Mod,
        BinaryOp::Eq,
        BinaryOp::NotEq,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::EqTilde,
        BinaryOp::NotEqTilde,
        BinaryOp::Has,
        BinaryOp::NotHas,
        BinaryOp::HasCs,
        BinaryOp::NotHasCs,
        BinaryOp::HasPrefix,
        BinaryOp::NotHasPrefix,
        BinaryOp::HasPrefixCs,
        BinaryOp::NotHasPrefixCs,
        BinaryOp::HasSuffix,
        BinaryOp::NotHasSuffix,
        BinaryOp::HasSuffixCs,
        BinaryOp::NotHasSuffixCs,
        BinaryOp::Contains,
        BinaryOp::NotContains,
        BinaryOp::ContainsCs,
        BinaryOp::NotContainsCs,
        BinaryOp::StartsWith,
        BinaryOp::NotStartsWith,
        BinaryOp::StartsWithCs,
        BinaryOp::NotStartsWithCs,
        BinaryOp::EndsWith,
        BinaryOp::NotEndsWith,
        BinaryOp::EndsWithCs,
        BinaryOp::NotEndsWithCs,
        BinaryOp::MatchesRegex,
        BinaryOp::Colon,
        BinaryOp::Like,
        BinaryOp::NotLike,
        BinaryOp::LikeCs,
        BinaryOp::NotLikeCs,
    ];

    pub fn as_str(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Eq => "==",
            NotEq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            EqTilde => "=~",
            NotEqTilde => "!~",
            Has => "has",
            NotHas => "!has",
            HasCs => "has_cs",
            NotHasCs => "!has_cs",
            HasPrefix => "hasprefix",
            NotHasPrefix => "!hasprefix",
            HasPrefixCs => "hasprefix_cs",
            NotHasPrefixCs => "!hasprefix_cs",
            HasSuffix => "hassuffix",
            NotHasSuffix => "!hassuffix",
            HasSuffixCs => "hassuffix_cs",
            NotHasSuffixCs => "!hassuffix_cs",
            Contains => "contains",
            NotContains => "!contains",
            ContainsCs => "contains_cs",
            NotContainsCs => "!contains_cs",
            StartsWith => "startswith",
            NotStartsWith => "!startswith",
            StartsWithCs => "startswith_cs",
            NotStartsWithCs => "!startswith_cs",
            EndsWith => "endswith",
            NotEndsWith => "!endswith",
            EndsWithCs => "endswith_cs",
            NotEndsWithCs => "!endswith_cs",
            MatchesRegex => "matches regex",
            Colon => ":",
            Like => "like",
            NotLike => "notlike",
            LikeCs => "likecs",
            NotLikeCs => "notlikecs",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListOp {
    In,
    NotIn,
    InCi,
    NotInCi,
    HasAny,
    HasAll,
    HasAnyCs,
    HasAllCs,
}

impl ListOp {
    pub fn as_str(self) -> &'static str {
        match self {
            ListOp::In => "in",
            ListOp::NotIn => "!in",
            ListOp::InCi => "in~",
            ListOp::NotInCi => "!in~",
            ListOp::HasAny => "has_any",
            ListOp::HasAll => "has_all",
            ListOp::HasAnyCs => "has_any_cs",
            ListOp::HasAllCs => "has_all_cs",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Positional(Expr),
    /// `name = value`, as in `bag_pack(key = value)` or plugin arguments.
    Named {
        name: Ident,
        value: Expr,
    },
}

impl Arg {
    pub fn value(&self) -> &Expr {
        match self {
            Arg::Positional(e) | Arg::Named { value: e, .. } => e,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Literal {
    pub value: LiteralValue,
    /// The literal as written in the query.
    pub raw: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LiteralValue {
    Bool(bool),
    /// An integer literal; KQL types it `long`.
    Long(i64),
    Real(f64),
    String(String),
    /// In ticks of 100 nanoseconds.
    Timespan(i64),
    /// `datetime(...)`: the text between the parentheses, interpreted when bound.
    DateTime(String),
    /// `timespan(...)` or `time(...)`: the text between the parentheses.
    TimespanText(String),
    /// `guid(...)`: the text between the parentheses.
    Guid(String),
    /// A typed literal such as `long(null)`, `real(nan)`, `int(12)`, `decimal(1.5)`:
    /// the type and the text between the parentheses.
    Typed {
        ty: String,
        text: String,
    },
    /// `dynamic(...)`
    Dynamic(Dynamic),
    /// `null`, as a value inside `dynamic(...)` or alone.
    Null,
}

/// The value of a `dynamic(...)` literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Dynamic {
    Null,
    Scalar(Box<Literal>),
    Array(Vec<Dynamic>),
    Object(Vec<(String, Dynamic)>),
}

/// `| operator`: the span starts at the pipe.
#[derive(Clone, Debug, PartialEq)]
pub struct PipeOp {
    pub op: Operator,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Operator {
    pub kind: OperatorKind,
    /// The operator's name as written (`filter` for `where`, `order` for `sort`, ...).
    pub keyword: Ident,
    /// `kind=inner`, `hint.strategy=shuffle`, `withsource=T`, ...
    pub params: Vec<OpParam>,
    pub span: Span,
}

/// A named operator parameter: `name=value`.
#[derive(Clone, Debug, PartialEq)]
pub struct OpParam {
    pub name: Ident,
    pub value: Expr,
}

/// `expr`, `Name = expr` or `(A, B) = expr`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub names: Vec<Ident>,
    /// The names were written in parentheses: `(A, B) = ...`.
    pub tuple: bool,
    pub value: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    Asc,
    Desc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullsOrder {
    First,
    Last,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub order: Option<SortOrder>,
    pub nulls: Option<NullsOrder>,
}

/// One element of `mv-expand` / `mv-apply`: `[Name =] expr [to typeof(type)]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpandItem {
    pub item: Assignment,
    pub to_type: Option<TypeName>,
}

/// A piece of a `parse` pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum ParsePart {
    /// A string to match.
    Text(Literal),
    /// A column to extract, with an optional type: `Name` or `Name: long`.
    Column { name: Ident, ty: Option<TypeName> },
    /// `*`: skip anything.
    Star,
}

/// How `make-series` lays out its axis.
#[derive(Clone, Debug, PartialEq)]
pub enum SeriesRange {
    /// `from a to b step s`; `from` and `to` are optional.
    FromTo { from: Option<Expr>, to: Option<Expr>, step: Expr },
    /// `in range(a, b, s)`
    InRange { start: Expr, stop: Expr, step: Expr },
}

/// A clause of `top-nested`: `top-nested [N] of expr [with others = v] by agg [asc|desc]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TopNestedClause {
    pub count: Option<Expr>,
    pub of: Assignment,
    pub others: Option<Expr>,
    pub by: Assignment,
    pub order: Option<SortOrder>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForkBranch {
    pub name: Option<Ident>,
    /// The operators of the branch, applied to the fork's input.
    pub ops: Vec<PipeOp>,
    pub span: Span,
}

/// A `scan` step: `step name [optional] : predicate => assignments;`
#[derive(Clone, Debug, PartialEq)]
pub struct ScanStep {
    pub name: Ident,
    pub optional: bool,
    pub predicate: Expr,
    pub assignments: Vec<Assignment>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OperatorKind {
    /// `where` / `filter`. `single_equals`: written `where Name = value`, which Kusto reads as
    /// `Name == (value)`; the predicate is that comparison.
    Where {
        predicate: Expr,
        single_equals: bool,
    },
    Project {
        items: Vec<Assignment>,
    },
    /// `project-away`: names or wildcard patterns (`Name*`).
    ProjectAway {
        columns: Vec<Expr>,
    },
    /// `project-by-names "Name", "C*", dynamic([...])`: columns named by string values.
    ProjectByNames {
        columns: Vec<Expr>,
    },
    ProjectKeep {
        columns: Vec<Expr>,
    },
    /// `project-rename New = Old, ...`
    ProjectRename {
        renames: Vec<(Ident, Ident)>,
    },
    ProjectReorder {
        columns: Vec<SortKey>,
    },
    ProjectSmart {
        items: Vec<Assignment>,
    },
    Extend {
        items: Vec<Assignment>,
    },
    Summarize {
        aggregates: Vec<Assignment>,
        by: Vec<Assignment>,
    },
    /// The `count` operator, with an optional `as Name`.
    Count {
        name: Option<Ident>,
    },
    Distinct {
        items: Vec<Assignment>,
    },
    /// `sort by` / `order by`
    Sort {
        keys: Vec<SortKey>,
    },
    Top {
        count: Expr,
        by: SortKey,
    },
    TopNested {
        clauses: Vec<TopNestedClause>,
    },
    TopHitters {
        count: Expr,
        of: Expr,
        by: Option<Expr>,
    },
    /// `take` / `limit`
    Take {
        count: Expr,
    },
    Sample {
        count: Expr,
    },
    SampleDistinct {
        count: Expr,
        of: Expr,
    },
    Join {
        right: Expr,
        on: Vec<Expr>,
        where_: Option<Expr>,
    },
    Lookup {
        right: Expr,
        on: Vec<Expr>,
    },
    Union {
        tables: Vec<Expr>,
    },
    /// `mv-expand` (and legacy `mvexpand`)
    MvExpand {
        items: Vec<ExpandItem>,
        limit: Option<Expr>,
    },
    /// `mv-apply items [limit n] [id expr] on (ops)`
    MvApply {
        items: Vec<ExpandItem>,
        limit: Option<Expr>,
        id: Option<(Ident, Expr)>,
        on: Expr,
    },
    /// `parse` and `parse-where`
    Parse {
        source: Expr,
        pattern: Vec<ParsePart>,
    },
    ParseKv {
        source: Expr,
        columns: Vec<ColumnDecl>,
        with: Vec<OpParam>,
    },
    MakeSeries {
        aggregates: Vec<(Assignment, Option<Expr>)>,
        on: Expr,
        range: SeriesRange,
        by: Vec<Assignment>,
    },
    /// `evaluate plugin(args) [: (schema)]`; the schema is the columns and whether `*` was in it.
    Evaluate {
        call: Expr,
        schema: Option<(Vec<ColumnDecl>, bool)>,
    },
    Datatable {
        columns: Vec<ColumnDecl>,
        values: Vec<Expr>,
    },
    ExternalData {
        columns: Vec<ColumnDecl>,
        urls: Vec<Expr>,
        with: Vec<OpParam>,
    },
    Range {
        column: Ident,
        from: Expr,
        to: Expr,
        step: Expr,
    },
    Print {
        items: Vec<Assignment>,
    },
    /// `render chart [with (props)]`; legacy properties written after the chart are kept in
    /// `with` too, and the legacy `by` columns in `by`.
    Render {
        chart: Ident,
        with: Vec<OpParam>,
        by: Vec<Expr>,
    },
    Invoke {
        call: Expr,
    },
    As {
        name: Ident,
    },
    Serialize {
        items: Vec<Assignment>,
    },
    GetSchema,
    /// `search [in (T, ...)] predicate`
    Search {
        tables: Vec<Expr>,
        predicate: Expr,
    },
    /// `find [in (T, ...)] where predicate [project ...]`
    Find {
        tables: Vec<Expr>,
        predicate: Expr,
        project: Option<Vec<Expr>>,
        smart: bool,
    },
    Scan {
        order_by: Vec<SortKey>,
        partition_by: Vec<Expr>,
        declare: Vec<Param>,
        steps: Vec<ScanStep>,
    },
    Fork {
        branches: Vec<ForkBranch>,
    },
    Facet {
        columns: Vec<Expr>,
        with: Option<Vec<PipeOp>>,
    },
    Consume,
    Reduce {
        by: Expr,
        with: Vec<OpParam>,
    },
    Partition {
        by: Expr,
        body: Expr,
    },
    AssertSchema {
        columns: Vec<ColumnDecl>,
        open: bool,
    },
    /// Graph operators and other rare operators we parse only well enough to skip:
    /// the raw span of their arguments.
    Opaque {
        text_span: Span,
    },
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        let mut depth = 0u16;
        kind.for_each_child(&mut |c: &Expr| depth = depth.max(c.depth));
        Expr { kind, span, depth: depth.saturating_add(1) }
    }

    pub fn error(span: Span) -> Expr {
        Expr { kind: ExprKind::Error, span, depth: 1 }
    }

    pub fn name(ident: Ident) -> Expr {
        let span = ident.span;
        Expr { kind: ExprKind::Name(ident), span, depth: 1 }
    }

    /// The name, if this expression is a plain name.
    pub fn as_name(&self) -> Option<&Ident> {
        match &self.kind {
            ExprKind::Name(n) => Some(n),
            _ => None,
        }
    }
}

impl ExprKind {
    /// Calls `f` on each immediate child expression, in source order.
    pub fn for_each_child(&self, f: &mut dyn FnMut(&Expr)) {
        match self {
            ExprKind::Name(_) | ExprKind::Literal(_) | ExprKind::Star | ExprKind::Error => {}
            ExprKind::Unary { operand, .. } => f(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            ExprKind::Logical { operands, .. } => operands.iter().for_each(f),
            ExprKind::ListOp { lhs, items, .. } => {
                f(lhs);
                items.iter().for_each(f);
            }
            ExprKind::Between { lhs, low, high, .. } => {
                f(lhs);
                f(low);
                f(high);
            }
            ExprKind::Call { receiver, args, .. } => {
                if let Some(r) = receiver {
                    f(r);
                }
                args.iter().for_each(|a| f(a.value()));
            }
            ExprKind::Member { target, .. } => f(target),
            ExprKind::Index { target, index } => {
                f(target);
                f(index);
            }
            ExprKind::Paren(e) => f(e),
            ExprKind::Pipeline { source, ops } => {
                f(source);
                ops.iter().for_each(|op| op.op.for_each_expr(f));
            }
            ExprKind::Operator(op) => op.for_each_expr(f),
        }
    }
}

impl Operator {
    /// Calls `f` on each expression the operator holds directly (not on their children).
    pub fn for_each_expr(&self, f: &mut dyn FnMut(&Expr)) {
        for p in &self.params {
            f(&p.value);
        }
        self.kind.for_each_expr(f);
    }
}

fn assignments(items: &[Assignment], f: &mut dyn FnMut(&Expr)) {
    items.iter().for_each(|a| f(&a.value));
}

fn sort_keys(keys: &[SortKey], f: &mut dyn FnMut(&Expr)) {
    keys.iter().for_each(|k| f(&k.expr));
}

fn pipe_ops(ops: &[PipeOp], f: &mut dyn FnMut(&Expr)) {
    ops.iter().for_each(|o| o.op.for_each_expr(f));
}

fn params_exprs(params: &[Param], f: &mut dyn FnMut(&Expr)) {
    params.iter().filter_map(|p| p.default.as_ref()).for_each(f);
}

impl OperatorKind {
    pub fn for_each_expr(&self, f: &mut dyn FnMut(&Expr)) {
        use OperatorKind::*;
        match self {
            Where { predicate, .. } => f(predicate),
            Project { items }
            | ProjectSmart { items }
            | Extend { items }
            | Print { items }
            | Serialize { items } => assignments(items, f),
            ProjectAway { columns }
            | ProjectKeep { columns }
            | ProjectByNames { columns }
            | Facet { columns, with: None } => columns.iter().for_each(f),
            Facet { columns, with: Some(ops) } => {
                columns.iter().for_each(&mut *f);
                pipe_ops(ops, f);
            }
            ProjectRename { .. } | Count { .. } | As { .. } | GetSchema | Consume => {}
            ProjectReorder { columns } => sort_keys(columns, f),
            Summarize { aggregates, by } => {
                assignments(aggregates, f);
                assignments(by, f);
            }
            Distinct { items } => assignments(items, f),
            Sort { keys } => sort_keys(keys, f),
            Top { count, by } => {
                f(count);
                f(&by.expr);
            }
            TopNested { clauses } => {
                for c in clauses {
                    if let Some(n) = &c.count {
                        f(n);
                    }
                    f(&c.of.value);
                    if let Some(o) = &c.others {
                        f(o);
                    }
                    f(&c.by.value);
                }
            }
            TopHitters { count, of, by } => {
                f(count);
                f(of);
                if let Some(b) = by {
                    f(b);
                }
            }
            Take { count } | Sample { count } => f(count),
            SampleDistinct { count, of } => {
                f(count);
                f(of);
            }
            Join { right, on, where_ } => {
                f(right);
                on.iter().for_each(&mut *f);
                if let Some(w) = where_ {
                    f(w);
                }
            }
            Lookup { right, on } => {
                f(right);
                on.iter().for_each(f);
            }
            Union { tables } => tables.iter().for_each(f),
            MvExpand { items, limit } => {
                items.iter().for_each(|i| f(&i.item.value));
                if let Some(l) = limit {
                    f(l);
                }
            }
            MvApply { items, limit, id, on } => {
                items.iter().for_each(|i| f(&i.item.value));
                if let Some(l) = limit {
                    f(l);
                }
                if let Some((_, e)) = id {
                    f(e);
                }
                f(on);
            }
            Parse { source, .. } => f(source),
            ParseKv { source, with, .. } => {
                f(source);
                with.iter().for_each(|p| f(&p.value));
            }
            MakeSeries { aggregates, on, range, by } => {
                for (a, default) in aggregates {
                    f(&a.value);
                    if let Some(d) = default {
                        f(d);
                    }
                }
                f(on);
                match range {
                    SeriesRange::FromTo { from, to, step } => {
                        if let Some(e) = from {
                            f(e);
                        }
                        if let Some(e) = to {
                            f(e);
                        }
                        f(step);
                    }
                    SeriesRange::InRange { start, stop, step } => {
                        f(start);
                        f(stop);
                        f(step);
                    }
                }
                assignments(by, f);
            }
            Evaluate { call, .. } | Invoke { call } => f(call),
            Datatable { values, .. } => values.iter().for_each(f),
            ExternalData { urls, with, .. } => {
                urls.iter().for_each(&mut *f);
                with.iter().for_each(|p| f(&p.value));
            }
            Range { from, to, step, .. } => {
                f(from);
                f(to);
                f(step);
            }
            Render { with, by, .. } => {
                with.iter().for_each(|p| f(&p.value));
                by.iter().for_each(f);
            }
            Reduce { by, with } => {
                f(by);
                with.iter().for_each(|p| f(&p.value));
            }
            Search { tables, predicate } => {
                tables.iter().for_each(&mut *f);
                f(predicate);
            }
            Find { tables, predicate, project, .. } => {
                tables.iter().for_each(&mut *f);
                f(predicate);
                if let Some(p) = project {
                    p.iter().for_each(f);
                }
            }
            Scan { order_by, partition_by, declare, steps } => {
                sort_keys(order_by, f);
                partition_by.iter().for_each(&mut *f);
                params_exprs(declare, f);
                for s in steps {
                    f(&s.predicate);
                    assignments(&s.assignments, f);
                }
            }
            Fork { branches } => branches.iter().for_each(|b| pipe_ops(&b.ops, f)),
            Partition { by, body } => {
                f(by);
                f(body);
            }
            AssertSchema { .. } | Opaque { .. } => {}
        }
    }
}
