//! Running a query path over a value: what each step selects, and what is reported as
//! missing (an "unresolved" result, which fails the clause that asked for it rather than
//! disappearing: `Foo.Bar == 1` fails when there is no `Bar`).

use std::fmt;

use crate::ast::{Part, Query};
use crate::eval::{self, Status};
use crate::scope::{Result, Scope, ValueScope};
use crate::value::{Kind, Node};

/// One value a query produced.
#[derive(Debug, Clone)]
pub(crate) enum QueryResult<'a> {
    /// A literal from the rules (a `let` value or a clause's right-hand side).
    Literal(&'a Node),
    /// A value found in the document (or passed to a parameterized rule).
    Resolved(&'a Node),
    /// The query stopped here: a key or index was missing, or the value had another type.
    Unresolved(Unresolved<'a>),
}

/// Where a query stopped, and what it still wanted.
#[derive(Debug, Clone)]
pub(crate) struct Unresolved<'a> {
    pub(crate) traversed_to: &'a Node,
    /// The steps not taken, printed only if a report shows them.
    pub(crate) remaining: &'a [Part],
}

impl<'a> QueryResult<'a> {
    /// The value, unless the query stopped short of it.
    pub(crate) fn resolved(&self) -> Option<&'a Node> {
        match self {
            QueryResult::Literal(n) | QueryResult::Resolved(n) => Some(n),
            QueryResult::Unresolved(_) => None,
        }
    }
}

/// Prints query steps the way a rule writes them.
pub(crate) struct Steps<'q>(pub(crate) &'q [Part]);

impl fmt::Display for Steps<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.0.iter().enumerate() {
            if i > 0
                && !matches!(
                    part,
                    Part::AllIndices(_) | Part::Filter(..) | Part::KeyFilter(_)
                )
            {
                f.write_str(".")?;
            }
            match part {
                Part::This => f.write_str("this")?,
                Part::Key(k) => f.write_str(k)?,
                Part::Index(i) => write!(f, "{i}")?,
                Part::AllValues(_) => f.write_str("*")?,
                Part::AllIndices(_) => f.write_str("[*]")?,
                Part::Filter(..) => f.write_str("[filter]")?,
                Part::KeyFilter(_) => f.write_str("[keys]")?,
            }
        }
        Ok(())
    }
}

fn unresolved<'a>(at: &'a Node, rest: &'a [Part]) -> Vec<QueryResult<'a>> {
    vec![QueryResult::Unresolved(Unresolved {
        traversed_to: at,
        remaining: rest,
    })]
}

/// The element at `index` (a negative index counts as its absolute value, as in
/// cfn-guard), or unresolved.
fn element(list: &[Node], index: i32) -> Option<&Node> {
    list.get(index.unsigned_abs() as usize)
}

/// Runs `parts[index..]` from `current`.
pub(crate) fn retrieve<'a>(
    index: usize,
    parts: &'a [Part],
    current: &'a Node,
    scope: &mut dyn Scope<'a>,
) -> Result<Vec<QueryResult<'a>>> {
    let Some(part) = parts.get(index) else {
        return Ok(vec![QueryResult::Resolved(current)]);
    };
    if let (0, Some(name)) = (index, part.variable()) {
        return from_variable(name, parts, scope);
    }
    match part {
        Part::This => retrieve(index + 1, parts, current, scope),
        Part::Key(key) => match key.parse::<i32>() {
            Ok(i) => match &current.kind {
                Kind::List(list) => match element(list, i) {
                    Some(next) => retrieve(index + 1, parts, next, scope),
                    None => Ok(unresolved(current, parts)),
                },
                _ => Ok(unresolved(current, parts)),
            },
            Err(_) => match &current.kind {
                Kind::Map(_) => match part.variable() {
                    Some(name) => keys_from_variable(name, index, parts, current, scope),
                    None => match current.get(key) {
                        Some(next) => retrieve(index + 1, parts, next, scope),
                        None => Ok(unresolved(current, &parts[index..])),
                    },
                },
                _ => Ok(unresolved(current, &parts[index..])),
            },
        },
        Part::Index(i) => match &current.kind {
            Kind::List(list) => match element(list, *i) {
                Some(next) => retrieve(index + 1, parts, next, scope),
                None => Ok(unresolved(current, parts)),
            },
            _ => Ok(unresolved(current, &parts[index..])),
        },
        Part::AllIndices(name) => match &current.kind {
            Kind::List(list) => each_element(list, index, parts, current, scope),
            Kind::Map(entries) => match name {
                // `[*]` on a struct is the struct itself.
                None => retrieve(index + 1, parts, current, scope),
                Some(name) => each_value(entries, index, parts, current, scope, Some(name)),
            },
            _ => retrieve(index + 1, parts, current, scope),
        },
        Part::AllValues(name) => match &current.kind {
            Kind::List(list) => each_element(list, index, parts, current, scope),
            Kind::Map(entries) => {
                each_value(entries, index, parts, current, scope, name.as_deref())
            }
            _ => retrieve(index + 1, parts, current, scope),
        },
        Part::Filter(name, clauses) => {
            filter(name.as_deref(), clauses, index, parts, current, scope)
        }
        Part::KeyFilter(key_filter) => {
            let Kind::Map(entries) = &current.kind else {
                return Ok(unresolved(current, &parts[index..]));
            };
            let rhs = match &key_filter.with {
                crate::ast::LetValue::Value(v) => vec![QueryResult::Literal(v)],
                crate::ast::LetValue::Query(q) => retrieve(0, &q.parts, current, scope)?,
            };
            let keys: Vec<&Node> = entries.iter().map(|(k, _)| k).collect();
            let mut selected = Vec::new();
            for (key, passed) in crate::operators::compare_keys(&keys, &rhs, key_filter.cmp)? {
                if let (true, Some(value)) = (passed, key.as_str().and_then(|k| current.get(k))) {
                    selected.extend(retrieve(index + 1, parts, value, scope)?);
                }
            }
            Ok(selected)
        }
    }
}

/// A query that starts with `%name`: each of the variable's values, with the rest of the
/// query run from it (a leading `[*]` after the variable is the iteration itself).
fn from_variable<'a>(
    name: &'a str,
    parts: &'a [Part],
    scope: &mut dyn Scope<'a>,
) -> Result<Vec<QueryResult<'a>>> {
    let values = scope.resolve_variable(name)?;
    let next = if matches!(parts.get(1), Some(Part::AllIndices(_))) {
        2
    } else {
        1
    };
    let mut out = Vec::with_capacity(values.len());
    for each in values.iter().cloned() {
        match each.resolved() {
            Some(value) if next < parts.len() => {
                let mut inner = ValueScope {
                    root: value,
                    parent: scope,
                };
                out.extend(retrieve(next, parts, value, &mut inner)?);
            }
            _ => out.push(each),
        }
    }
    Ok(out)
}

/// `.%name` inside a query: the variable's values are keys of `current`.
fn keys_from_variable<'a>(
    name: &'a str,
    index: usize,
    parts: &'a [Part],
    current: &'a Node,
    scope: &mut dyn Scope<'a>,
) -> Result<Vec<QueryResult<'a>>> {
    let values = scope.resolve_variable(name)?;
    let keys: &[QueryResult<'a>] = match parts.get(index + 1) {
        None | Some(Part::AllIndices(_) | Part::Key(_)) => &values,
        Some(Part::Index(i)) => match values.get(i.unsigned_abs() as usize) {
            Some(key) => std::slice::from_ref(key),
            None => return Ok(unresolved(current, &parts[index..])),
        },
        Some(_) => {
            return Err(format!(
                "This type of query {} based variable interpolation is not supported",
                Steps(parts)
            ));
        }
    };
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let Some(key) = key.resolved() else {
            out.extend(unresolved(current, &parts[index..]));
            continue;
        };
        let names: Vec<&Node> = match &key.kind {
            Kind::String(_) => vec![key],
            Kind::List(items) => items.iter().collect(),
            _ => return Err(non_string_key(parts, key)),
        };
        for name in names {
            let Some(k) = name.as_str() else {
                return Err(non_string_key(parts, key));
            };
            match current.get(k) {
                Some(next) => out.extend(retrieve(index + 1, parts, next, scope)?),
                None => out.extend(unresolved(current, &parts[index..])),
            }
        }
    }
    Ok(out)
}

fn non_string_key(parts: &[Part], key: &Node) -> String {
    format!(
        "Variable projections inside Query {}, is returning a non-string value for key {}",
        Steps(parts),
        key.type_name()
    )
}

/// `[*]` or `.*` over a list: the rest of the query from each element; an empty list is
/// unresolved.
fn each_element<'a>(
    list: &'a [Node],
    index: usize,
    parts: &'a [Part],
    current: &'a Node,
    scope: &mut dyn Scope<'a>,
) -> Result<Vec<QueryResult<'a>>> {
    if list.is_empty() {
        return Ok(unresolved(current, &parts[index..]));
    }
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        out.extend(retrieve(index + 1, parts, item, scope)?);
    }
    Ok(out)
}

/// `.*` over a struct: the rest of the query from each value, with the value as the root
/// of what it evaluates; an empty struct is unresolved.
fn each_value<'a>(
    entries: &'a [(Node, Node)],
    index: usize,
    parts: &'a [Part],
    current: &'a Node,
    scope: &mut dyn Scope<'a>,
    capture: Option<&str>,
) -> Result<Vec<QueryResult<'a>>> {
    if entries.is_empty() {
        return Ok(unresolved(current, &parts[index..]));
    }
    let capture = capture.and(captured_name(parts, index));
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let mut inner = ValueScope {
            root: value,
            parent: scope,
        };
        if let Some(name) = capture {
            inner.capture(name, key);
        }
        out.extend(retrieve(index + 1, parts, value, &mut inner)?);
    }
    Ok(out)
}

/// The name a step captures keys under, borrowed from the rules.
fn captured_name(parts: &[Part], index: usize) -> Option<&str> {
    match &parts[index] {
        Part::AllValues(Some(n)) | Part::AllIndices(Some(n)) | Part::Filter(Some(n), _) => Some(n),
        _ => None,
    }
}

/// Whether `clauses` pass with `scope` as the evaluation scope; what they find wrong is
/// not reported (a filter selects, it does not check).
fn passes<'a>(clauses: &'a crate::ast::Conjunctions, scope: &mut dyn Scope<'a>) -> Result<bool> {
    if let Some(passed) = key_equals_literal(clauses, scope) {
        return Ok(passed);
    }
    let mut ignored = Vec::new();
    Ok(eval::eval_conjunctions(clauses, scope, &mut ignored)? == Status::Pass)
}

/// The answer of a filter that is one clause `Key == 'text'` or `Key == %var` where the
/// variable is one literal string (nearly every rule selects resources with
/// `[ Type == %S3_BUCKET_TYPE ]`), computed without the general evaluation: it passes when
/// the value's `Key` is that string. A missing key, or a value of another kind, fails the
/// clause in the general path too (unresolved, or not comparable with a string). `None`
/// for any other filter.
fn key_equals_literal<'a>(
    clauses: &'a crate::ast::Conjunctions,
    scope: &mut dyn Scope<'a>,
) -> Option<bool> {
    let [disjunction] = clauses.as_slice() else {
        return None;
    };
    let [crate::ast::Clause::Access(access)] = disjunction.as_slice() else {
        return None;
    };
    let [Part::Key(key)] = access.query.parts.as_slice() else {
        return None;
    };
    let plain = access.cmp.op == crate::ast::Op::Eq && !access.cmp.not && !access.negation;
    if !plain || key.starts_with('%') {
        return None;
    }
    let want: &str = match access.rhs.as_ref()? {
        crate::ast::LetValue::Value(node) => node.as_str()?,
        crate::ast::LetValue::Query(q) => {
            let [Part::Key(var)] = q.parts.as_slice() else {
                return None;
            };
            let name = var.strip_prefix('%')?;
            match &*scope.resolve_variable(name).ok()? {
                [QueryResult::Literal(node)] => node.as_str()?,
                _ => return None,
            }
        }
    };
    Some(scope.root().get(key).and_then(Node::as_str) == Some(want))
}

/// `[ clauses ]`: the values the clauses pass for.
fn filter<'a>(
    name: Option<&str>,
    clauses: &'a crate::ast::Conjunctions,
    index: usize,
    parts: &'a [Part],
    current: &'a Node,
    scope: &mut dyn Scope<'a>,
) -> Result<Vec<QueryResult<'a>>> {
    let previous = index.checked_sub(1).and_then(|i| parts.get(i));
    match &current.kind {
        Kind::Map(entries) => match previous {
            // After `*` or `[*]`, the filter applies to the struct itself, in the scope
            // the iteration set up.
            Some(Part::AllValues(_) | Part::AllIndices(_)) => {
                if passes(clauses, scope)? {
                    retrieve(index + 1, parts, current, scope)
                } else {
                    Ok(Vec::new())
                }
            }
            // After a key, to each of the struct's values.
            Some(Part::Key(_)) => {
                let capture = name.and(captured_name(parts, index));
                let mut out = Vec::new();
                for (key, value) in entries {
                    let mut inner = ValueScope {
                        root: value,
                        parent: scope,
                    };
                    if passes(clauses, &mut inner)? {
                        if let Some(n) = capture {
                            inner.capture(n, key);
                        }
                        out.extend(retrieve(index + 1, parts, value, &mut inner)?);
                    }
                }
                Ok(out)
            }
            _ => Err(format!(
                "a filter cannot follow this step in {}",
                Steps(parts)
            )),
        },
        Kind::List(items) => {
            let mut out = Vec::new();
            for item in items {
                let mut inner = ValueScope {
                    root: item,
                    parent: scope,
                };
                if passes(clauses, &mut inner)? {
                    out.extend(retrieve(index + 1, parts, item, scope)?);
                }
            }
            Ok(out)
        }
        _ => {
            if matches!(previous, Some(Part::AllIndices(_))) {
                let mut inner = ValueScope {
                    root: current,
                    parent: scope,
                };
                if passes(clauses, &mut inner)? {
                    return retrieve(index + 1, parts, current, scope);
                }
                return Ok(Vec::new());
            }
            Ok(unresolved(current, &parts[index..]))
        }
    }
}

/// Whether a query ends in a filter or is one variable: then `empty` counts what the
/// query selected rather than looking into each value.
pub(crate) fn selects(query: &Query) -> bool {
    match query.parts.last() {
        Some(Part::Filter(..) | Part::KeyFilter(_)) => true,
        Some(last) => last.variable().is_some() && query.parts.len() == 1,
        None => false,
    }
}
