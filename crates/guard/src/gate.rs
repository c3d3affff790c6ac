//! Which documents a rule file can say anything about: the names (resource types and
//! top-level keys) without which every rule of the file is skipped, proved from the rules'
//! shape, so a file can be left unevaluated (and a vendored one unparsed) for a template
//! that holds none of them.
//!
//! Nearly every rule of the vendored packs opens with a gate such as
//!
//! ```text
//! let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
//! rule bucket_check when is_cfn_template(%INPUT_DOCUMENT) %buckets not empty { ... }
//! rule bucket_check when is_cfn_hook(%INPUT_DOCUMENT, %BUCKET_TYPE) { ... }
//! ```
//!
//! A rule is SKIP whenever its `when` conditions do not pass, and they fail when one line
//! of them fails: here `%buckets not empty` fails when no resource has that type, and the
//! hook call fails when the document has no top-level key of that name. The analysis
//! proves such a line fails from the rules alone, for every document that holds none of
//! the names, and that nothing else the conditions evaluate can stop with an error (so
//! leaving the file out hides no evaluation error either). Whatever it cannot prove (a
//! named rule's status, a `keys` filter, `empty` on a value that may be a number) leaves
//! the file without a gate, and the file is always evaluated.
//!
//! The proof assumes a regular document ([`crate::Document`] checks it): every resource is
//! a map, and its `Type`, where it has one, is a string. A document that is not regular is
//! evaluated in full.

use crate::ast::{Block, Clause, Cmp, Conjunctions, Let, LetValue, Op, Part, RulesFile};
use crate::query;
use crate::value::Kind;

/// How deeply the analysis follows parameterized rules calling each other; deeper calls
/// are not proved (the vendored packs call two deep).
const MAX_CALLS: usize = 4;

/// The sorted names without which every named rule of `file` is skipped, or `None` when
/// that cannot be proved.
pub(crate) fn gate(file: &RulesFile) -> Option<Vec<String>> {
    if file.rules.is_empty() || has_repeated_names(&file.assignments) {
        return None;
    }
    let env = Env::of_file(file);
    let mut names: Vec<String> = Vec::new();
    for rule in &file.rules {
        let opened_by = env.rule_gate(rule.conditions.as_ref()?)?;
        names.extend(opened_by.into_iter().map(str::to_string));
    }
    names.sort();
    names.dedup();
    Some(names)
}

fn has_repeated_names(lets: &[Let]) -> bool {
    lets.iter()
        .enumerate()
        .any(|(i, a)| lets[..i].iter().any(|b| b.name == a.name))
}

/// What the analysis knows a variable holds.
#[derive(Debug, Clone)]
enum Bound<'f> {
    /// The document itself (`let doc = this` at the top level).
    Document,
    /// One literal string.
    Text(&'f str),
    /// The resources whose `Type` is one of these (`Resources.*[ Type == 'X' ]`, perhaps
    /// with further steps): nothing when the document has none of them.
    Resources(Vec<&'f str>),
    /// A value the analysis does not read, but that is evaluated without an error.
    Other,
}

/// The variables in scope, innermost last, and the file's parameterized rules.
#[derive(Clone)]
struct Env<'f> {
    file: &'f RulesFile,
    vars: Vec<(&'f str, Bound<'f>)>,
    calls: usize,
}

impl<'f> Env<'f> {
    /// The file's `let`s, each bound once what it refers to is bound; a `let` whose
    /// evaluation might stop with an error stays unbound, so using it proves nothing.
    fn of_file(file: &'f RulesFile) -> Env<'f> {
        let mut env = Env {
            file,
            vars: Vec::new(),
            calls: 0,
        };
        let mut pending: Vec<&Let> = file.assignments.iter().collect();
        loop {
            let before = pending.len();
            pending.retain(|l| match env.top_level_binding(&l.value) {
                Some(bound) => {
                    env.vars.push((&l.name, bound));
                    false
                }
                None => true,
            });
            if pending.len() == before {
                return env;
            }
        }
    }

    fn lookup(&self, name: &str) -> Option<&Bound<'f>> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| b)
    }

    fn with(&self, vars: impl IntoIterator<Item = (&'f str, Bound<'f>)>) -> Env<'f> {
        let mut inner = self.clone();
        inner.vars.extend(vars);
        inner
    }

    /// A top-level `let`'s binding, evaluated against the document.
    fn top_level_binding(&self, value: &'f LetValue) -> Option<Bound<'f>> {
        match value {
            LetValue::Value(node) => Some(match &node.kind {
                Kind::String(s) => Bound::Text(s),
                _ => Bound::Other,
            }),
            LetValue::Query(q) => {
                if matches!(q.parts.as_slice(), [Part::This]) {
                    return Some(Bound::Document);
                }
                if !self.query_ok(&q.parts) {
                    return None;
                }
                Some(match self.selected_types(&q.parts) {
                    Some(types) => Bound::Resources(types),
                    None => Bound::Other,
                })
            }
        }
    }

    /// A block-level `let`, or an argument: what it holds, if it evaluates without error.
    fn binding(&self, value: &'f LetValue) -> Option<Bound<'f>> {
        match value {
            LetValue::Value(node) => Some(match &node.kind {
                Kind::String(s) => Bound::Text(s),
                _ => Bound::Other,
            }),
            LetValue::Query(q) => {
                if !self.query_ok(&q.parts) {
                    return None;
                }
                Some(match q.parts.as_slice() {
                    [Part::Key(k)] if k.starts_with('%') => {
                        self.lookup(&k[1..]).cloned().unwrap_or(Bound::Other)
                    }
                    _ => Bound::Other,
                })
            }
        }
    }

    /// `Resources.*[ Type == 'X' ...]...`: the types one line of the filter requires.
    fn selected_types(&self, parts: &'f [Part]) -> Option<Vec<&'f str>> {
        let [
            Part::Key(resources),
            Part::AllValues(_),
            Part::Filter(_, filter),
            ..,
        ] = parts
        else {
            return None;
        };
        if resources != "Resources" {
            return None;
        }
        filter.iter().find_map(|line| {
            let mut types = Vec::new();
            for clause in line {
                types.extend(self.type_test(clause)?);
            }
            Some(types)
        })
    }

    /// `Type == 'X'`, `Type == %X` (one literal string), `Type in ['X', 'Y']`.
    fn type_test(&self, clause: &'f Clause) -> Option<Vec<&'f str>> {
        let Clause::Access(access) = clause else {
            return None;
        };
        let plain = !access.cmp.not && !access.negation;
        if !plain || !matches!(access.query.parts.as_slice(), [Part::Key(k)] if k == "Type") {
            return None;
        }
        let literal = match access.rhs.as_ref()? {
            LetValue::Value(node) => node,
            LetValue::Query(q) => {
                let [Part::Key(var)] = q.parts.as_slice() else {
                    return None;
                };
                return match (access.cmp.op, self.lookup(var.strip_prefix('%')?)?) {
                    (Op::Eq, Bound::Text(t)) => Some(vec![t]),
                    _ => None,
                };
            }
        };
        match (access.cmp.op, &literal.kind) {
            (Op::Eq, Kind::String(t)) => Some(vec![t]),
            (Op::In, Kind::List(items)) => items.iter().map(|i| i.as_str()).collect(),
            _ => None,
        }
    }

    /// A rule's `when` conditions: the names of one line proved to fail without them,
    /// when every line evaluates without error.
    fn rule_gate(&self, conditions: &'f Conjunctions) -> Option<Vec<&'f str>> {
        if !self.conjunctions_ok(conditions) {
            return None;
        }
        conditions.iter().find_map(|line| self.line_closed(line))
    }

    /// A line fails when every clause of it fails.
    fn line_closed(&self, line: &'f [Clause]) -> Option<Vec<&'f str>> {
        let mut names = Vec::new();
        for clause in line {
            names.extend(self.closed(clause)?);
        }
        Some(names)
    }

    /// The names without which `clause` fails (and evaluates without error).
    fn closed(&self, clause: &'f Clause) -> Option<Vec<&'f str>> {
        match clause {
            Clause::Access(access) => {
                if !self.clause_ok(clause) {
                    return None;
                }
                let parts = access.query.parts.as_slice();
                if access.cmp.op == Op::Empty && access.cmp.not != access.negation {
                    // `not empty` on a selection: nothing selected fails.
                    return match parts {
                        [Part::Key(k)] if k.starts_with('%') => match self.lookup(&k[1..])? {
                            Bound::Resources(types) => Some(types.clone()),
                            _ => None,
                        },
                        [_, _, Part::Filter(..)] => self.selected_types(parts),
                        _ => None,
                    };
                }
                let exists = Cmp {
                    op: Op::Exists,
                    not: false,
                };
                if access.cmp != exists || access.negation {
                    return None;
                }
                // `%doc.KEY... exists` with `%doc` the document fails when it has no KEY.
                // (A variable's `[*]`, which the parser writes after it, is the variable.)
                let (Some(Part::Key(doc)), Some(Part::Key(key))) = (
                    parts.first(),
                    match parts.get(1) {
                        Some(Part::AllIndices(_)) => parts.get(2),
                        second => second,
                    },
                ) else {
                    return None;
                };
                let Bound::Document = self.lookup(doc.strip_prefix('%')?)? else {
                    return None;
                };
                match key.strip_prefix('%') {
                    Some(var) => match self.lookup(var)? {
                        Bound::Text(t) => Some(vec![t]),
                        _ => None,
                    },
                    None if key.parse::<i32>().is_err() => Some(vec![key]),
                    None => None,
                }
            }
            Clause::Call(call) => {
                let (rule, env) = self.enter_call(call)?;
                // A rule with conditions may be skipped rather than fail.
                if rule.rule.conditions.is_some()
                    || has_repeated_names(&rule.rule.block.assignments)
                {
                    return None;
                }
                let env = env.with_block_lets(&rule.rule.block);
                if !env.conjunctions_ok(&rule.rule.block.conjunctions) {
                    return None;
                }
                let conjunctions = &rule.rule.block.conjunctions;
                conjunctions.iter().find_map(|line| env.line_closed(line))
            }
            Clause::Named(_) | Clause::Block(_) | Clause::When(..) => None,
        }
    }

    /// The called rule and the scope its body sees, when the call itself cannot err.
    fn enter_call(
        &self,
        call: &'f crate::ast::Call,
    ) -> Option<(&'f crate::ast::ParameterizedRule, Env<'f>)> {
        if self.calls >= MAX_CALLS {
            return None;
        }
        let rule = self
            .file
            .parameterized
            .iter()
            .find(|p| p.rule.name == call.rule)?;
        if rule.parameters.len() != call.args.len() {
            return None;
        }
        let mut params = Vec::new();
        for (name, arg) in rule.parameters.iter().zip(&call.args) {
            params.push((name.as_str(), self.binding(arg)?));
        }
        let mut env = self.with(params);
        env.calls += 1;
        Some((rule, env))
    }

    fn with_block_lets(&self, block: &'f Block) -> Env<'f> {
        let mut env = self.clone();
        for l in &block.assignments {
            // An unbound block `let` is evaluated only if used, and then proves nothing.
            if let Some(bound) = env.binding(&l.value) {
                env.vars.push((&l.name, bound));
            }
        }
        env
    }

    fn conjunctions_ok(&self, conjunctions: &'f Conjunctions) -> bool {
        conjunctions.iter().flatten().all(|c| self.clause_ok(c))
    }

    fn block_ok(&self, block: &'f Block) -> bool {
        if has_repeated_names(&block.assignments) {
            return false;
        }
        self.with_block_lets(block)
            .conjunctions_ok(&block.conjunctions)
    }

    /// Whether evaluating `clause` cannot stop with an error, on any regular document.
    fn clause_ok(&self, clause: &'f Clause) -> bool {
        match clause {
            Clause::Access(access) => {
                let rhs_ok = match &access.rhs {
                    None | Some(LetValue::Value(_)) => true,
                    Some(LetValue::Query(q)) => self.query_ok(&q.parts),
                };
                // `empty` looks into each value unless the query selects, and a number
                // has no emptiness: cfn-guard stops there.
                let empty_ok = access.cmp.op != Op::Empty || query::selects(&access.query);
                let has_rhs = access.rhs.is_some() || access.cmp.op.is_unary();
                rhs_ok && empty_ok && has_rhs && self.query_ok(&access.query.parts)
            }
            Clause::Block(b) => self.query_ok(&b.query.parts) && self.block_ok(&b.block),
            Clause::When(conditions, block) => {
                self.conjunctions_ok(conditions) && self.block_ok(block)
            }
            Clause::Call(call) => self.enter_call(call).is_some_and(|(rule, env)| {
                rule.rule
                    .conditions
                    .as_ref()
                    .is_none_or(|c| env.conjunctions_ok(c))
                    && env.block_ok(&rule.rule.block)
            }),
            Clause::Named(_) => false,
        }
    }

    /// Whether running `parts` cannot stop with an error.
    fn query_ok(&self, parts: &'f [Part]) -> bool {
        let env = self.with(captures(parts));
        parts.iter().enumerate().all(|(i, part)| match part {
            Part::Key(k) if k.starts_with('%') => {
                let Some(bound) = env.lookup(&k[1..]) else {
                    return false;
                };
                // A variable's values used as keys must be strings, and only some steps
                // may follow them.
                i == 0
                    || matches!(bound, Bound::Text(_))
                        && matches!(
                            parts.get(i + 1),
                            None | Some(Part::Key(_) | Part::AllIndices(_) | Part::Index(_))
                        )
            }
            Part::This | Part::Key(_) | Part::Index(_) | Part::AllValues(_) => true,
            Part::AllIndices(_) => true,
            Part::Filter(_, clauses) => {
                let after = i.checked_sub(1).and_then(|p| parts.get(p));
                matches!(
                    after,
                    Some(Part::AllValues(_) | Part::AllIndices(_) | Part::Key(_))
                ) && env.conjunctions_ok(clauses)
            }
            Part::KeyFilter(_) => false,
        })
    }
}

/// The names a query's steps capture keys under (`[name]`, `[ name | ... ]`).
fn captures(parts: &[Part]) -> Vec<(&str, Bound<'_>)> {
    parts
        .iter()
        .filter_map(|p| match p {
            Part::AllValues(Some(n)) | Part::AllIndices(Some(n)) | Part::Filter(Some(n), _) => {
                Some((n.as_str(), Bound::Other))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate_of(text: &str) -> Option<Vec<String>> {
        gate(&crate::parser::parse("test.guard", text).unwrap())
    }

    #[test]
    fn a_control_tower_file_is_gated_by_its_type_for_templates_and_hooks() {
        let text = include_str!("../rules/control-tower/cloudwatch/ct-cloudwatch-pr-3.guard");
        assert_eq!(gate_of(text), Some(vec!["AWS::Logs::LogGroup".to_string()]));
    }

    #[test]
    fn every_rule_of_a_file_must_be_gated() {
        let gated = "let b = Resources.*[ Type == 'AWS::S3::Bucket' ]\n\
                     rule one when %b not empty { %b.Properties exists }\n";
        assert_eq!(gate_of(gated), Some(vec!["AWS::S3::Bucket".to_string()]));
        let ungated = format!("{gated}rule two {{ Resources exists }}\n");
        assert_eq!(gate_of(&ungated), None);
    }

    #[test]
    fn several_types_of_one_filter_line_all_open_the_gate() {
        let text = "let q = Resources.*[ Type in ['AWS::SQS::Queue', 'AWS::SNS::Topic']\n\
                    Metadata.guard.SuppressedRules not exists ]\n\
                    rule r when %q !empty { %q.Properties exists }\n";
        assert_eq!(
            gate_of(text),
            Some(vec![
                "AWS::SNS::Topic".to_string(),
                "AWS::SQS::Queue".to_string()
            ])
        );
    }

    #[test]
    fn conditions_that_may_stop_with_an_error_leave_no_gate() {
        // A named rule's status, and `empty` on values that may be numbers, can both stop
        // the evaluation: leaving the file out would hide that.
        let named = "let b = Resources.*[ Type == 'AWS::S3::Bucket' ]\n\
                     rule base { Resources exists }\n\
                     rule r when base\n %b not empty { %b.Properties exists }\n";
        assert_eq!(gate_of(named), None);
        let empty = "let b = Resources.*[ Type == 'AWS::S3::Bucket' ]\n\
                     rule r when %b not empty\n Parameters.Size empty { %b.Properties exists }\n";
        assert_eq!(gate_of(empty), None);
        let unknown = "rule r when %nowhere not empty { Resources exists }\n";
        assert_eq!(gate_of(unknown), None);
    }

    #[test]
    fn a_gate_needs_a_line_that_fails_without_the_names() {
        // `or` with a clause that holds anywhere: the line can pass on any template.
        let text = "let b = Resources.*[ Type == 'AWS::S3::Bucket' ]\n\
                    rule r when %b not empty or Resources exists { Resources exists }\n";
        assert_eq!(gate_of(text), None);
        let unconditional = "rule r { Resources.*[ Type == 'AWS::S3::Bucket' ] !empty }\n";
        assert_eq!(gate_of(unconditional), None);
    }
}
