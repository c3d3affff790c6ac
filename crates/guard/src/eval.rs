//! Evaluating rules: each clause's PASS, FAIL or SKIP, combined as cfn-guard 3.1.1
//! combines them, and the failed checks behind a FAIL.
//!
//! Failed checks are collected the way cfn-guard's structured report lists them: a check
//! belongs to the report only if every enclosing clause, block and rule failed too. Each
//! evaluation pushes its failed checks onto `out` and, when it does not end in FAIL, takes
//! them back off (a passing `or` alternative, a `some` block with one passing value). The
//! checks a filter or a `when` condition makes select or gate; they are never reported.
//!
//! A check whose value is in no resource (an empty selection, a rule's literal, a named
//! rule) keeps the value in a resource that the scopes around it were checking
//! ([`Scope::subject`]), so the report can say which resource the failure is about
//! however the rule reached it: through a variable, a parameterized rule's argument or a
//! nested block.

use crate::ast::{
    AccessClause, Block, BlockClause, Call, Clause, Conjunctions, LetValue, NamedRef, Op, Rule,
};
use crate::operators::{self, At};
use crate::query::{self, QueryResult};
use crate::report;
use crate::scope::{self, BlockScope, CallScope, Result, Scope, ValueScope};
use crate::value::{Kind, Node};

/// A rule's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Every check the rule made held.
    Pass,
    /// At least one check failed.
    Fail,
    /// The rule did not apply: its `when` conditions did not hold, or it selected nothing.
    Skip,
}

impl Status {
    /// `PASS`, `FAIL` or `SKIP`, as cfn-guard writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

/// A failed check, still borrowing the document and the rules.
#[derive(Debug, Clone)]
pub(crate) struct Check<'a> {
    pub(crate) at: Option<At<'a>>,
    pub(crate) clause: &'a str,
    pub(crate) message: Option<&'a str>,
    pub(crate) rule_message: Option<&'a str>,
    /// When `at` is in no resource, the value in a resource the scopes around the check
    /// were checking ([`Scope::subject`]); `None` otherwise.
    pub(crate) subject: Option<&'a Node>,
}

impl<'a> Check<'a> {
    /// A failed check made in `scope`, on `at`.
    fn new(
        at: Option<At<'a>>,
        clause: &'a str,
        message: Option<&'a str>,
        scope: &dyn Scope<'a>,
    ) -> Check<'a> {
        let located = match &at {
            Some(At::Value(node)) => report::logical_id(&node.path).is_some(),
            Some(At::Missing(u)) => report::logical_id(&u.traversed_to.path).is_some(),
            None => false,
        };
        Check {
            at,
            clause,
            message,
            rule_message: None,
            subject: if located { None } else { scope.subject() },
        }
    }
}

type Out<'a> = Vec<Check<'a>>;

/// `Skip` unless some clause passed or failed; any failure fails.
fn tally(passes: usize, fails: usize) -> Status {
    if fails > 0 {
        Status::Fail
    } else if passes > 0 {
        Status::Pass
    } else {
        Status::Skip
    }
}

/// Lines of clauses: every line must hold, and a line of `or`ed clauses holds when one does.
pub(crate) fn eval_conjunctions<'a>(
    conjunctions: &'a Conjunctions,
    scope: &mut dyn Scope<'a>,
    out: &mut Out<'a>,
) -> Result<Status> {
    let (mut passes, mut fails) = (0, 0);
    for disjunction in conjunctions {
        let mark = out.len();
        let mut failed = 0;
        let mut passed = false;
        for clause in disjunction {
            match eval_clause(clause, scope, out)? {
                Status::Pass => {
                    passes += 1;
                    passed = true;
                    break;
                }
                Status::Fail => failed += 1,
                Status::Skip => {}
            }
        }
        if passed {
            out.truncate(mark);
            continue;
        }
        if failed > 0 {
            fails += 1;
        } else {
            out.truncate(mark);
        }
    }
    Ok(tally(passes, fails))
}

pub(crate) fn eval_clause<'a>(
    clause: &'a Clause,
    scope: &mut dyn Scope<'a>,
    out: &mut Out<'a>,
) -> Result<Status> {
    match clause {
        Clause::Access(c) => eval_access(c, scope, out),
        Clause::Named(n) => eval_named(n, scope, out),
        Clause::Block(b) => eval_block_clause(b, scope, out),
        Clause::When(conditions, block) => eval_when(conditions, block, scope, out),
        Clause::Call(c) => eval_call(c, scope, out),
    }
}

/// Keeps what was pushed since `mark` only when `status` is a failure.
fn settle<'a>(status: Status, mark: usize, out: &mut Out<'a>) -> Status {
    if status != Status::Fail {
        out.truncate(mark);
    }
    status
}

fn fail_at<'a>(clause: &'a AccessClause, at: At<'a>, scope: &dyn Scope<'a>) -> Check<'a> {
    Check::new(Some(at), &clause.text, clause.message.as_deref(), scope)
}

fn eval_access<'a>(
    clause: &'a AccessClause,
    scope: &mut dyn Scope<'a>,
    out: &mut Out<'a>,
) -> Result<Status> {
    let mark = out.len();
    let outcomes = if clause.cmp.op.is_unary() {
        unary(clause, scope, out)?
    } else {
        let rhs = match &clause.rhs {
            Some(LetValue::Value(v)) => vec![QueryResult::Literal(v)],
            Some(LetValue::Query(q)) => scope::query(scope, &q.parts)?,
            None => {
                return Err(format!(
                    "clause `{}` has nothing to compare with",
                    clause.text
                ));
            }
        };
        let lhs = scope::query(scope, &clause.query.parts)?;
        match operators::compare(&lhs, &rhs, clause.cmp) {
            None => Outcomes::Empty(Status::Skip),
            Some(outcomes) => {
                Outcomes::Each(outcomes.into_iter().map(|o| (o.pass, o.at)).collect())
            }
        }
    };
    let status = match outcomes {
        Outcomes::Empty(status) => status,
        Outcomes::Each(each) => {
            let mut fails = 0;
            let mut passes = 0;
            for (pass, at) in each {
                if pass {
                    passes += 1;
                } else {
                    fails += 1;
                    out.push(fail_at(clause, at, scope));
                }
            }
            let holds = if clause.query.match_all {
                fails == 0
            } else {
                passes > 0
            };
            if holds { Status::Pass } else { Status::Fail }
        }
    };
    Ok(settle(status, mark, out))
}

enum Outcomes<'a> {
    /// Nothing to check: the status stands for the clause.
    Empty(Status),
    /// One outcome per value checked.
    Each(Vec<(bool, At<'a>)>),
}

fn at_of<'a>(result: &QueryResult<'a>) -> At<'a> {
    match result {
        QueryResult::Literal(n) | QueryResult::Resolved(n) => At::Value(n),
        QueryResult::Unresolved(u) => At::Missing(u.clone()),
    }
}

/// `exists`, `empty`, `is_string`...; a leading `not` inverts them.
fn unary<'a>(
    clause: &'a AccessClause,
    scope: &mut dyn Scope<'a>,
    out: &mut Out<'a>,
) -> Result<Outcomes<'a>> {
    let lhs = scope::query(scope, &clause.query.parts)?;
    let (op, not, inverse) = (clause.cmp.op, clause.cmp.not, clause.negation);
    // `%selection empty` on a filter or a variable counts the selection.
    if op == Op::Empty && query::selects(&clause.query) {
        if lhs.is_empty() {
            // `empty` holds for nothing; `not empty` does not; a leading `not` inverts.
            let holds = not == inverse;
            if !holds {
                out.push(Check::new(
                    None,
                    &clause.text,
                    clause.message.as_deref(),
                    scope,
                ));
                return Ok(Outcomes::Empty(Status::Fail));
            }
            return Ok(Outcomes::Empty(Status::Pass));
        }
        let each = lhs
            .iter()
            .map(|r| {
                let empty = match r.resolved() {
                    Some(node) => matches!(node.kind, Kind::Null),
                    None => true,
                };
                ((empty != not) != inverse, at_of(r))
            })
            .collect();
        return Ok(Outcomes::Each(each));
    }
    if lhs.is_empty() {
        return Ok(Outcomes::Empty(Status::Skip));
    }
    let mut each = Vec::with_capacity(lhs.len());
    for r in &lhs {
        let result = unary_test(op, r)?;
        each.push(((result != not) != inverse, at_of(r)));
    }
    Ok(Outcomes::Each(each))
}

fn unary_test(op: Op, result: &QueryResult<'_>) -> Result<bool> {
    let Some(node) = result.resolved() else {
        // Missing is empty and exists not; it is no type at all.
        return Ok(op == Op::Empty);
    };
    Ok(match op {
        Op::Exists => true,
        Op::Empty => match &node.kind {
            Kind::List(items) => items.is_empty(),
            Kind::Map(entries) => entries.is_empty(),
            Kind::String(s) => s.is_empty(),
            Kind::Bool(_) => false,
            _ => {
                return Err(format!(
                    "Attempting EMPTY operation on type {} that does not support it at {}",
                    node.type_name(),
                    node.path
                ));
            }
        },
        Op::IsString => matches!(node.kind, Kind::String(_)),
        Op::IsList => matches!(node.kind, Kind::List(_)),
        Op::IsMap => matches!(node.kind, Kind::Map(_)),
        Op::IsBool => matches!(node.kind, Kind::Bool(_)),
        Op::IsInt => matches!(node.kind, Kind::Int(_)),
        Op::IsFloat => matches!(node.kind, Kind::Float(_)),
        Op::IsNull => matches!(node.kind, Kind::Null),
        Op::Eq | Op::In | Op::Gt | Op::Ge | Op::Lt | Op::Le => false,
    })
}

fn eval_named<'a>(
    named: &'a NamedRef,
    scope: &mut dyn Scope<'a>,
    out: &mut Out<'a>,
) -> Result<Status> {
    let passed = scope.rule_status(&named.rule)? == Status::Pass;
    if passed != named.negation {
        return Ok(Status::Pass);
    }
    out.push(Check::new(
        None,
        &named.text,
        named.message.as_deref(),
        scope,
    ));
    Ok(Status::Fail)
}

/// A block's clauses with the block's `let`s in scope, over `scope`'s root.
fn eval_block<'a>(
    block: &'a Block,
    scope: &mut dyn Scope<'a>,
    out: &mut Out<'a>,
) -> Result<Status> {
    let mut inner = BlockScope::new(&block.assignments, scope);
    eval_conjunctions(&block.conjunctions, &mut inner, out)
}

fn eval_block_clause<'a>(
    clause: &'a BlockClause,
    scope: &mut dyn Scope<'a>,
    out: &mut Out<'a>,
) -> Result<Status> {
    let mark = out.len();
    let values = scope::query(scope, &clause.query.parts)?;
    if values.is_empty() {
        if clause.not_empty {
            out.push(Check::new(
                None,
                "query for block clause did not retrieve any value",
                None,
                scope,
            ));
            return Ok(Status::Fail);
        }
        return Ok(Status::Skip);
    }
    let (mut passes, mut fails) = (0, 0);
    for value in &values {
        match value {
            QueryResult::Unresolved(u) => {
                fails += 1;
                out.push(Check::new(
                    Some(At::Missing(u.clone())),
                    "block",
                    None,
                    scope,
                ));
            }
            QueryResult::Literal(node) | QueryResult::Resolved(node) => {
                let mut inner = ValueScope {
                    root: node,
                    parent: scope,
                };
                match eval_block(&clause.block, &mut inner, out)? {
                    Status::Pass => passes += 1,
                    Status::Fail => fails += 1,
                    Status::Skip => {}
                }
            }
        }
    }
    let status = if clause.query.match_all {
        tally(passes, fails)
    } else if passes > 0 {
        Status::Pass
    } else if fails > 0 {
        Status::Fail
    } else {
        Status::Skip
    };
    Ok(settle(status, mark, out))
}

fn eval_when<'a>(
    conditions: &'a Conjunctions,
    block: &'a Block,
    scope: &mut dyn Scope<'a>,
    out: &mut Out<'a>,
) -> Result<Status> {
    let mut ignored = Vec::new();
    if eval_conjunctions(conditions, scope, &mut ignored)? != Status::Pass {
        return Ok(Status::Skip);
    }
    let mark = out.len();
    let status = eval_block(block, scope, out)?;
    Ok(settle(status, mark, out))
}

/// Calls a parameterized rule. Its arguments are evaluated in the caller's scope; the
/// call's message becomes the rule message of what fails inside it. (A leading `not` on
/// a call is ignored, as cfn-guard ignores it.)
fn eval_call<'a>(call: &'a Call, scope: &mut dyn Scope<'a>, out: &mut Out<'a>) -> Result<Status> {
    let rule = scope.parameterized(&call.rule)?;
    if rule.parameters.len() != call.args.len() {
        return Err(format!(
            "Arity mismatch for called parameter rule {}, expected {}, got {}",
            call.rule,
            rule.parameters.len(),
            call.args.len()
        ));
    }
    let mut arguments = crate::small_map::SmallMap::with_capacity(call.args.len());
    for (name, arg) in rule.parameters.iter().zip(&call.args) {
        let values = match arg {
            LetValue::Value(v) => vec![QueryResult::Resolved(v)],
            LetValue::Query(q) => scope::query(scope, &q.parts)?,
        };
        arguments.insert(name.as_str(), values.into());
    }
    let mark = out.len();
    let mut inner = CallScope {
        arguments,
        parent: scope,
    };
    let status = eval_rule(&rule.rule, &mut inner, out)?;
    if let Some(message) = call.message.as_deref() {
        for check in &mut out[mark..] {
            check.rule_message = Some(message);
        }
    }
    Ok(status)
}

/// A rule: SKIP when its `when` conditions do not pass, else its block's status.
pub(crate) fn eval_rule<'a>(
    rule: &'a Rule,
    scope: &mut dyn Scope<'a>,
    out: &mut Out<'a>,
) -> Result<Status> {
    scope.enter()?;
    let result = eval_rule_inner(rule, scope, out);
    scope.leave();
    result
}

fn eval_rule_inner<'a>(
    rule: &'a Rule,
    scope: &mut dyn Scope<'a>,
    out: &mut Out<'a>,
) -> Result<Status> {
    if let Some(conditions) = &rule.conditions {
        let mut ignored = Vec::new();
        if eval_conjunctions(conditions, scope, &mut ignored)? != Status::Pass {
            return Ok(Status::Skip);
        }
    }
    let mark = out.len();
    let status = eval_block(&rule.block, scope, out)?;
    Ok(settle(status, mark, out))
}

/// The failed check's value, if it has one.
pub(crate) fn value_of<'a>(check: &Check<'a>) -> Option<&'a Node> {
    match &check.at {
        Some(At::Value(n)) => Some(n),
        _ => None,
    }
}
