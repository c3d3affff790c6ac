//! Comparing two values, with cfn-guard 3.1.1's three notions of equality: `==` on
//! values (strict about types: a string and a number are not comparable, a failure),
//! membership tests (where incomparable simply means unequal) and ordering.

use std::cmp::Ordering;

use crate::value::{Kind, Node};

/// The two values have types that cannot be compared (`"5432"` and `5432`, a struct and
/// a string). A clause that compares them fails, whatever its operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotComparable;

/// Orders two scalars of one type; anything else is not comparable.
pub(crate) fn compare_values(a: &Node, b: &Node) -> Result<Ordering, NotComparable> {
    match (&a.kind, &b.kind) {
        (Kind::Null, Kind::Null) => Ok(Ordering::Equal),
        (Kind::Int(x), Kind::Int(y)) => Ok(x.cmp(y)),
        (Kind::String(x), Kind::String(y)) => Ok(x.cmp(y)),
        (Kind::Float(x), Kind::Float(y)) => x.partial_cmp(y).ok_or(NotComparable),
        (Kind::Char(x), Kind::Char(y)) => Ok(x.cmp(y)),
        _ => Err(NotComparable),
    }
}

/// `==`: regexes match strings, structs compare by keys (in any order) and lists by
/// position, ranges contain numbers; a difference in type anywhere inside is not
/// comparable.
pub(crate) fn compare_eq(a: &Node, b: &Node) -> Result<bool, NotComparable> {
    match (&a.kind, &b.kind) {
        (Kind::String(s), Kind::Regex(r)) | (Kind::Regex(r), Kind::String(s)) => Ok(r.is_match(s)),
        (Kind::String(x), Kind::String(y)) => Ok(x == y),
        (Kind::Map(x), Kind::Map(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (key, value) in x {
                match key.as_str().and_then(|k| b.get(k)) {
                    Some(other) => {
                        if !compare_eq(value, other)? {
                            return Ok(false);
                        }
                    }
                    None => return Ok(false),
                }
            }
            Ok(true)
        }
        (Kind::List(x), Kind::List(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (left, right) in x.iter().zip(y) {
                if !compare_eq(left, right)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (Kind::Bool(x), Kind::Bool(y)) => Ok(x == y),
        (Kind::Regex(x), Kind::Regex(y)) => Ok(x.source == y.source),
        (Kind::Int(v), Kind::RangeInt(r)) => Ok(r.contains(v)),
        (Kind::Float(v), Kind::RangeFloat(r)) => Ok(r.contains(v)),
        (Kind::Char(v), Kind::RangeChar(r)) => Ok(r.contains(v)),
        _ => Ok(compare_values(a, b)? == Ordering::Equal),
    }
}

/// Equality for membership (`in`, the differences between two query results): as
/// `compare_eq`, but values of different types are simply unequal.
pub(crate) fn loose_eq(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Map(x), Kind::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(key, value)| {
                    key.as_str()
                        .and_then(|k| b.get(k))
                        .is_some_and(|other| loose_eq(value, other))
                })
        }
        (Kind::List(x), Kind::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(l, r)| loose_eq(l, r))
        }
        (Kind::Bool(x), Kind::Bool(y)) => x == y,
        (Kind::String(s), Kind::Regex(r)) | (Kind::Regex(r), Kind::String(s)) => r.is_match(s),
        (Kind::Regex(x), Kind::Regex(y)) => x.source == y.source,
        (Kind::Int(v), Kind::RangeInt(r)) => r.contains(v),
        (Kind::Float(v), Kind::RangeFloat(r)) => r.contains(v),
        (Kind::Char(v), Kind::RangeChar(r)) => r.contains(v),
        _ => compare_values(a, b) == Ok(Ordering::Equal),
    }
}

/// Whether `list` holds a value loosely equal to `value`.
pub(crate) fn contains(list: &[&Node], value: &Node) -> bool {
    list.iter().any(|item| loose_eq(item, value))
}
