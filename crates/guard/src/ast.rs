//! The parsed form of a Guard rule file: what the parser builds once and the evaluator
//! walks for every document.

use crate::value::Node;

/// Clauses joined by `and` (the outer list, one entry per line) of clauses joined by `or`.
pub(crate) type Conjunctions = Vec<Vec<Clause>>;

/// One rule file: its top-level `let`s, its named rules (in file order, a name may repeat)
/// and its parameterized rules.
#[derive(Debug, Clone)]
pub(crate) struct RulesFile {
    pub(crate) assignments: Vec<Let>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) parameterized: Vec<ParameterizedRule>,
}

/// `let name = value-or-query`.
#[derive(Debug, Clone)]
pub(crate) struct Let {
    pub(crate) name: String,
    pub(crate) value: LetValue,
}

/// The right-hand side of a `let`, a comparison or a rule argument.
#[derive(Debug, Clone)]
pub(crate) enum LetValue {
    Value(Node),
    Query(Query),
}

/// A query path (`Resources.*[ Type == 'AWS::S3::Bucket' ].Properties`), with whether
/// every value must satisfy the clause (`some` makes it one).
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub(crate) parts: Vec<Part>,
    pub(crate) match_all: bool,
}

/// One step of a query.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    /// `this`: the current value.
    This,
    /// `.Name`, `['Name']`, `.%var` (a variable's values as keys), or the variable a query
    /// starts with (`%var`).
    Key(String),
    /// `[n]`, `.n`.
    Index(i32),
    /// `.*`, `[name]`: every value of a map (or element of a list).
    AllValues(Option<String>),
    /// `[*]`: every element of a list (a map or a scalar passes through as itself).
    AllIndices(Option<String>),
    /// `[ clauses ]`: the values for which the clauses pass.
    Filter(Option<String>, Conjunctions),
    /// `[ keys == value ]`: the values whose key compares.
    KeyFilter(KeyFilter),
}

impl Part {
    /// The variable name, when this step names one (`%name`).
    pub(crate) fn variable(&self) -> Option<&str> {
        match self {
            Part::Key(key) => key.strip_prefix('%'),
            _ => None,
        }
    }
}

/// The comparison of a `keys` filter.
#[derive(Debug, Clone)]
pub(crate) struct KeyFilter {
    pub(crate) cmp: Cmp,
    pub(crate) with: LetValue,
}

/// A comparison operator and whether it is negated (`!=`, `not in`, `not exists`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cmp {
    pub(crate) op: Op,
    pub(crate) not: bool,
}

/// Guard's comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    In,
    Gt,
    Ge,
    Lt,
    Le,
    Exists,
    Empty,
    IsString,
    IsList,
    IsMap,
    IsBool,
    IsInt,
    IsFloat,
    IsNull,
}

impl Op {
    pub(crate) fn is_unary(self) -> bool {
        !matches!(self, Op::Eq | Op::In | Op::Gt | Op::Ge | Op::Lt | Op::Le)
    }
}

/// One clause of a block, a filter or a `when` condition.
#[derive(Debug, Clone)]
pub(crate) enum Clause {
    /// `query op [value]`.
    Access(AccessClause),
    /// A named rule's status (`rule_name`, `!rule_name`).
    Named(NamedRef),
    /// `query { ... }`: the block is checked with each value as its root.
    Block(BlockClause),
    /// `when conditions { ... }`.
    When(Conjunctions, Block),
    /// A parameterized rule's call (`check(%x.Properties)`).
    Call(Call),
}

/// `[not] query op [value] [<<message>>]`.
#[derive(Debug, Clone)]
pub(crate) struct AccessClause {
    pub(crate) query: Query,
    pub(crate) cmp: Cmp,
    pub(crate) rhs: Option<LetValue>,
    pub(crate) message: Option<String>,
    /// The leading `not`/`!`. Guard applies it to unary operators only.
    pub(crate) negation: bool,
    /// The clause as written, for reports.
    pub(crate) text: Box<str>,
}

/// A reference to a named rule.
#[derive(Debug, Clone)]
pub(crate) struct NamedRef {
    pub(crate) rule: String,
    pub(crate) negation: bool,
    pub(crate) message: Option<String>,
    pub(crate) text: Box<str>,
}

/// `query [not empty] { ... }`.
#[derive(Debug, Clone)]
pub(crate) struct BlockClause {
    pub(crate) query: Query,
    /// `not empty` before the block: selecting nothing fails instead of skipping.
    pub(crate) not_empty: bool,
    pub(crate) block: Block,
}

/// A block's own `let`s and its clauses.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub(crate) assignments: Vec<Let>,
    pub(crate) conjunctions: Conjunctions,
}

/// `rule_name(arguments) [<<message>>]`. A leading `not` is accepted and, as in
/// cfn-guard, has no effect.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) rule: String,
    pub(crate) args: Vec<LetValue>,
    pub(crate) message: Option<String>,
}

/// `rule name [when conditions] { ... }`.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) name: String,
    pub(crate) conditions: Option<Conjunctions>,
    pub(crate) block: Block,
}

/// `rule name(parameters) { ... }`.
#[derive(Debug, Clone)]
pub(crate) struct ParameterizedRule {
    pub(crate) parameters: Vec<String>,
    pub(crate) rule: Rule,
}
