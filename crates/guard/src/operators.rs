//! Binary comparisons between two query results (`==`, `in`, `<`...), value by value, as
//! cfn-guard 3.1.1 pairs them: which side is a single literal decides whether lists are
//! compared whole or element by element, and `!=`/`not in` invert each pairing's result
//! except where the values were not comparable, which fails either way.

use std::cmp::Ordering;

use crate::ast::{Cmp, Op};
use crate::compare::{self, NotComparable, compare_eq, compare_values, loose_eq};
use crate::query::{QueryResult, Unresolved};
use crate::scope::Result;
use crate::value::{Kind, Node};

/// What one pairing's result is reported on.
#[derive(Debug, Clone)]
pub(crate) enum At<'a> {
    /// The left-hand value compared.
    Value(&'a Node),
    /// The left-hand query stopped short.
    Missing(Unresolved<'a>),
}

/// One pairing's outcome.
#[derive(Debug, Clone)]
pub(crate) struct Outcome<'a> {
    pub(crate) pass: bool,
    pub(crate) at: At<'a>,
}

/// How a comparison came out before negation.
enum Res<'a> {
    LhsUnresolved(Unresolved<'a>),
    RhsUnresolved(&'a Node),
    NotComparable(&'a Node),
    Success(Compared<'a>),
    Fail(Compared<'a>),
}

enum Compared<'a> {
    /// One value with one value, or one value found (or not) in a list.
    Value(&'a Node),
    /// A list's elements (not) all in a list: the elements missing.
    ListIn { lhs: &'a Node, diff: Vec<&'a Node> },
    /// Query results (not) all among other results: the ones missing.
    QueryIn {
        lhs: Vec<&'a Node>,
        diff: Vec<&'a Node>,
    },
}

fn single_literal<'a>(results: &[QueryResult<'a>]) -> Option<&'a Node> {
    match results {
        [QueryResult::Literal(node)] => Some(node),
        _ => None,
    }
}

/// The resolved values, in order, telling `unresolved` about the others.
fn selected<'a>(
    results: &[QueryResult<'a>],
    mut unresolved: impl FnMut(&Unresolved<'a>),
) -> Vec<&'a Node> {
    let mut out = Vec::with_capacity(results.len());
    for result in results {
        match result {
            QueryResult::Literal(n) | QueryResult::Resolved(n) => out.push(*n),
            QueryResult::Unresolved(u) => unresolved(u),
        }
    }
    out
}

/// As [`selected`], with lists replaced by their elements.
fn flattened<'a>(
    results: &[QueryResult<'a>],
    unresolved: impl FnMut(&Unresolved<'a>),
) -> Vec<&'a Node> {
    let mut out = Vec::new();
    for node in selected(results, unresolved) {
        match &node.kind {
            Kind::List(items) => out.extend(items.iter()),
            _ => out.push(node),
        }
    }
    out
}

fn match_value<'a>(
    lhs: &'a Node,
    rhs: &'a Node,
    cmp: fn(&Node, &Node) -> std::result::Result<bool, NotComparable>,
) -> Res<'a> {
    match cmp(lhs, rhs) {
        Ok(true) => Res::Success(Compared::Value(lhs)),
        Ok(false) => Res::Fail(Compared::Value(lhs)),
        Err(NotComparable) => Res::NotComparable(lhs),
    }
}

fn string_in<'a>(lhs: &'a Node, rhs: &'a Node) -> Res<'a> {
    match (&lhs.kind, &rhs.kind) {
        (Kind::String(l), Kind::String(r)) => {
            if r.contains(l.as_str()) {
                Res::Success(Compared::Value(lhs))
            } else {
                Res::Fail(Compared::Value(lhs))
            }
        }
        _ => Res::NotComparable(lhs),
    }
}

fn contained_in<'a>(lhs: &'a Node, rhs: &'a Node) -> Res<'a> {
    match (&lhs.kind, &rhs.kind) {
        (Kind::List(items), Kind::List(others)) => {
            if others.first().is_some_and(Node::is_list) {
                if others.iter().any(|o| loose_eq(o, lhs)) {
                    Res::Success(Compared::ListIn {
                        lhs,
                        diff: Vec::new(),
                    })
                } else {
                    Res::Fail(Compared::ListIn {
                        lhs,
                        diff: vec![lhs],
                    })
                }
            } else {
                let diff: Vec<&Node> = items
                    .iter()
                    .filter(|i| !others.iter().any(|o| loose_eq(o, i)))
                    .collect();
                if diff.is_empty() {
                    Res::Success(Compared::ListIn { lhs, diff })
                } else {
                    Res::Fail(Compared::ListIn { lhs, diff })
                }
            }
        }
        (Kind::List(_), _) => Res::NotComparable(lhs),
        (_, Kind::List(others)) => {
            if others.iter().any(|o| loose_eq(o, lhs)) {
                Res::Success(Compared::Value(lhs))
            } else {
                Res::Fail(Compared::Value(lhs))
            }
        }
        _ => match_value(lhs, rhs, compare_eq),
    }
}

fn query_in<'a>(lhs: Vec<&'a Node>, diff: Vec<&'a Node>) -> Res<'a> {
    if diff.is_empty() {
        Res::Success(Compared::QueryIn { lhs, diff })
    } else {
        Res::Fail(Compared::QueryIn { lhs, diff })
    }
}

fn eq<'a>(lhs: &[QueryResult<'a>], rhs: &[QueryResult<'a>], out: &mut Vec<Res<'a>>) {
    match (single_literal(lhs), single_literal(rhs)) {
        (Some(l), Some(r)) => out.push(match_value(l, r, compare_eq)),
        (Some(l), None) => {
            let rhs = selected(rhs, |_| out.push(Res::RhsUnresolved(l)));
            for r in rhs {
                match (&l.kind, &r.kind) {
                    (Kind::List(_), _) => out.push(match_value(l, r, compare_eq)),
                    (_, Kind::List(items)) => {
                        out.extend(items.iter().map(|i| match_value(l, i, compare_eq)))
                    }
                    _ => out.push(match_value(l, r, compare_eq)),
                }
            }
        }
        (None, Some(r)) => {
            let lhs = selected(lhs, |u| out.push(Res::LhsUnresolved(u.clone())));
            for l in lhs {
                match (&l.kind, &r.kind) {
                    (_, Kind::List(items)) if l.is_scalar() && items.len() == 1 => {
                        out.push(match_value(l, &items[0], compare_eq))
                    }
                    (_, Kind::List(_)) => out.push(match_value(l, r, compare_eq)),
                    (Kind::List(items), _) => {
                        out.extend(items.iter().map(|i| match_value(i, r, compare_eq)))
                    }
                    _ => out.push(match_value(l, r, compare_eq)),
                }
            }
        }
        (None, None) => {
            let lhs = selected(lhs, |u| out.push(Res::LhsUnresolved(u.clone())));
            let mut unresolved_rhs = 0;
            let rhs = selected(rhs, |_| unresolved_rhs += 1);
            for _ in 0..unresolved_rhs {
                out.extend(lhs.iter().map(|l| Res::RhsUnresolved(l)));
            }
            let diff = if lhs.len() > rhs.len() {
                lhs.iter()
                    .filter(|l| !compare::contains(&rhs, l))
                    .copied()
                    .collect()
            } else {
                rhs.iter()
                    .filter(|r| !compare::contains(&lhs, r))
                    .copied()
                    .collect()
            };
            out.push(query_in(lhs, diff));
        }
    }
}

fn is_in<'a>(lhs: &[QueryResult<'a>], rhs: &[QueryResult<'a>], out: &mut Vec<Res<'a>>) {
    match (single_literal(lhs), single_literal(rhs)) {
        (Some(l), Some(r)) => out.push(match string_in(l, r) {
            success @ Res::Success(_) => success,
            _ => contained_in(l, r),
        }),
        (Some(l), None) => {
            let rhs = selected(rhs, |_| out.push(Res::RhsUnresolved(l)));
            if rhs.iter().any(|r| r.is_list()) {
                out.extend(rhs.iter().map(|r| contained_in(l, r)));
            } else if let Kind::List(items) = &l.kind {
                let diff = items
                    .iter()
                    .filter(|i| !compare::contains(&rhs, i))
                    .collect();
                out.push(query_in(vec![l], diff));
            } else {
                out.extend(rhs.iter().map(|r| contained_in(l, r)));
            }
        }
        (None, Some(r)) => {
            let lhs = selected(lhs, |u| out.push(Res::LhsUnresolved(u.clone())));
            for l in lhs {
                match (&r.kind, &l.kind) {
                    (Kind::String(_), Kind::List(items)) => {
                        out.extend(items.iter().map(|i| string_in(i, r)))
                    }
                    (Kind::String(_), _) => out.push(string_in(l, r)),
                    _ => out.push(contained_in(l, r)),
                }
            }
        }
        (None, None) => {
            let lhs = selected(lhs, |u| out.push(Res::LhsUnresolved(u.clone())));
            let mut unresolved_rhs = 0;
            let rhs = selected(rhs, |_| unresolved_rhs += 1);
            for _ in 0..unresolved_rhs {
                out.extend(lhs.iter().map(|l| Res::RhsUnresolved(l)));
            }
            let diff = lhs
                .iter()
                .filter(|l| {
                    !rhs.iter()
                        .any(|r| matches!(contained_in(l, r), Res::Success(_)))
                })
                .copied()
                .collect();
            out.push(query_in(lhs, diff));
        }
    }
}

fn ordered<'a>(
    lhs: &[QueryResult<'a>],
    rhs: &[QueryResult<'a>],
    accept: fn(Ordering) -> bool,
    out: &mut Vec<Res<'a>>,
) {
    let lhs = flattened(lhs, |u| out.push(Res::LhsUnresolved(u.clone())));
    let mut unresolved_rhs = 0;
    let rhs = flattened(rhs, |_| unresolved_rhs += 1);
    for _ in 0..unresolved_rhs {
        out.extend(lhs.iter().map(|l| Res::RhsUnresolved(l)));
    }
    for l in &lhs {
        for r in &rhs {
            out.push(match compare_values(l, r) {
                Ok(o) if accept(o) => Res::Success(Compared::Value(l)),
                Ok(_) => Res::Fail(Compared::Value(l)),
                Err(NotComparable) => Res::NotComparable(l),
            });
        }
    }
}

/// `!=`, `not in`...: each comparison's result inverted; a list or query membership is
/// inverted element by element.
fn negate(res: Res<'_>) -> Res<'_> {
    match res {
        Res::Fail(Compared::QueryIn { lhs, diff }) => {
            let reverse: Vec<&Node> = lhs
                .iter()
                .filter(|l| !compare::contains(&diff, l))
                .copied()
                .collect();
            query_in(lhs, reverse)
        }
        Res::Fail(Compared::ListIn { lhs, diff }) => {
            let items: Vec<&Node> = match &lhs.kind {
                Kind::List(items) => items.iter().collect(),
                _ => Vec::new(),
            };
            let reverse: Vec<&Node> = items
                .into_iter()
                .filter(|i| !compare::contains(&diff, i))
                .collect();
            if reverse.is_empty() {
                Res::Success(Compared::ListIn { lhs, diff: reverse })
            } else {
                Res::Fail(Compared::ListIn { lhs, diff: reverse })
            }
        }
        Res::Fail(value) => Res::Success(value),
        Res::Success(Compared::QueryIn { lhs, .. }) => {
            let diff = lhs.clone();
            Res::Fail(Compared::QueryIn { lhs, diff })
        }
        Res::Success(Compared::ListIn { lhs, .. }) => {
            let diff = match &lhs.kind {
                Kind::List(items) => items.iter().collect(),
                _ => Vec::new(),
            };
            Res::Fail(Compared::ListIn { lhs, diff })
        }
        Res::Success(value) => Res::Fail(value),
        other => other,
    }
}

/// Compares a clause's left-hand results with its right-hand results; `None` when either
/// side is empty (the clause is skipped).
pub(crate) fn compare<'a>(
    lhs: &[QueryResult<'a>],
    rhs: &[QueryResult<'a>],
    cmp: Cmp,
) -> Option<Vec<Outcome<'a>>> {
    if lhs.is_empty() || rhs.is_empty() {
        return None;
    }
    let mut results = Vec::new();
    match cmp.op {
        Op::Eq => eq(lhs, rhs, &mut results),
        Op::In => is_in(lhs, rhs, &mut results),
        Op::Lt => ordered(lhs, rhs, |o| o == Ordering::Less, &mut results),
        Op::Le => ordered(lhs, rhs, |o| o != Ordering::Greater, &mut results),
        Op::Gt => ordered(lhs, rhs, |o| o == Ordering::Greater, &mut results),
        Op::Ge => ordered(lhs, rhs, |o| o != Ordering::Less, &mut results),
        _ => return Some(Vec::new()),
    }
    let mut outcomes = Vec::with_capacity(results.len());
    for res in results {
        let res = if cmp.not { negate(res) } else { res };
        match res {
            Res::LhsUnresolved(u) => outcomes.push(Outcome {
                pass: false,
                at: At::Missing(u),
            }),
            Res::RhsUnresolved(l) | Res::NotComparable(l) => outcomes.push(Outcome {
                pass: false,
                at: At::Value(l),
            }),
            Res::Success(Compared::QueryIn { lhs, .. }) => {
                outcomes.extend(lhs.into_iter().map(|l| Outcome {
                    pass: true,
                    at: At::Value(l),
                }))
            }
            Res::Success(Compared::Value(l) | Compared::ListIn { lhs: l, .. }) => {
                outcomes.push(Outcome {
                    pass: true,
                    at: At::Value(l),
                })
            }
            Res::Fail(Compared::QueryIn { diff, .. }) => {
                outcomes.extend(diff.into_iter().map(|l| Outcome {
                    pass: false,
                    at: At::Value(l),
                }))
            }
            Res::Fail(Compared::Value(l) | Compared::ListIn { lhs: l, .. }) => {
                outcomes.push(Outcome {
                    pass: false,
                    at: At::Value(l),
                })
            }
        }
    }
    Some(outcomes)
}

/// `in` for a `keys` filter: a string within a string, or equal to an element of a list,
/// or equal; an element that cannot be compared makes the whole test incomparable.
fn key_in(lhs: &Node, rhs: &Node, not: bool) -> std::result::Result<bool, NotComparable> {
    let found = match (&lhs.kind, &rhs.kind) {
        (Kind::String(l), Kind::String(r)) => r.contains(l.as_str()),
        (_, Kind::List(items)) => {
            let mut found = false;
            for item in items {
                found |= compare_eq(lhs, item)?;
            }
            found
        }
        _ => compare_eq(lhs, rhs)?,
    };
    Ok(found != not)
}

/// Which of a struct's keys a `[ keys op value ]` filter selects: `==` with more than one
/// value on the right is `in`; with `in` a key is selected when any comparison holds,
/// with `==` when every one does.
pub(crate) fn compare_keys<'n, 'a>(
    keys: &[&'n Node],
    rhs: &[QueryResult<'a>],
    cmp: Cmp,
) -> Result<Vec<(&'n Node, bool)>> {
    let op = if cmp.op == Op::Eq && rhs.len() > 1 {
        Op::In
    } else {
        cmp.op
    };
    let test = |l: &Node, r: &Node| match op {
        Op::In => key_in(l, r, cmp.not),
        _ => compare_eq(l, r).map(|b| b != cmp.not),
    };
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        // Each comparison of this key: Some(outcome), or None when not comparable or the
        // right-hand value is missing.
        let mut outcomes: Vec<Option<bool>> = Vec::new();
        for r in rhs {
            let (QueryResult::Literal(r_node) | QueryResult::Resolved(r_node)) = r else {
                outcomes.push(None);
                continue;
            };
            match test(key, r_node) {
                Ok(b) => outcomes.push(Some(b)),
                Err(NotComparable) => match (&r_node.kind, r) {
                    (Kind::List(items), QueryResult::Literal(_))
                        if key.is_scalar() && items.len() == 1 =>
                    {
                        outcomes.push(test(key, &items[0]).ok())
                    }
                    _ => outcomes.push(None),
                },
            }
        }
        if op == Op::In {
            if !outcomes.is_empty() {
                out.push((*key, outcomes.contains(&Some(true))));
            }
        } else {
            out.extend(outcomes.into_iter().map(|o| (*key, o == Some(true))));
        }
    }
    Ok(out)
}
