//! Rules across properties ([`Constraint`]s: exactly one of, if this then that, ...),
//! evaluated over template JSON in three values: an intrinsic function's value is only
//! known at deploy, so a check on it is [`Tri::Unknown`], and a rule fires only when its
//! check is certainly false.
//!
//! A property whose value is an intrinsic is still present, except an `Fn::If` with an
//! `AWS::NoValue` branch, which may be absent: its presence is unknown.

use serde_json::{Map, Value as Json};
use stackwright_core::facts::{Check, Constraint};

use super::{is_intrinsic, is_no_value, lookup};

/// True, false, or not known before deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }

    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }

    fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }
}

/// The longest list of alternatives a message spells out.
const MAX_SHOWN: usize = 240;

/// How deep checks are followed; generated checks are shallow, decoded ones are capped
/// by the decoder, this only guards against the unexpected.
const MAX_DEPTH: usize = 96;

/// Matches a pattern: `None` when the pattern is one synth cannot evaluate.
pub(crate) trait Matcher {
    fn matches(&mut self, pattern: &'static str, s: &str) -> Option<bool>;
}

/// Whether `name` is set in `obj`.
pub(crate) fn presence(obj: &Map<String, Json>, name: &str) -> Tri {
    match lookup(obj, name) {
        None => Tri::False,
        Some(v) if is_no_value(v) => Tri::False,
        Some(v) if may_be_no_value(v) => Tri::Unknown,
        Some(_) => Tri::True,
    }
}

/// An `Fn::If` with an `AWS::NoValue` branch (at any depth of nested `Fn::If`s).
fn may_be_no_value(v: &Json) -> bool {
    let Some(args) = v
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get("Fn::If"))
        .and_then(Json::as_array)
    else {
        return false;
    };
    args.iter()
        .skip(1)
        .any(|b| is_no_value(b) || may_be_no_value(b))
}

pub(crate) struct Eval<'m, M: Matcher> {
    pub(crate) matcher: &'m mut M,
}

impl<M: Matcher> Eval<'_, M> {
    /// Does `v` satisfy `c`?
    pub(crate) fn check(&mut self, c: &'static Check, v: &Json, depth: usize) -> Tri {
        if depth > MAX_DEPTH {
            return Tri::Unknown;
        }
        match c {
            Check::Any => return Tri::True,
            Check::Never => return Tri::False,
            Check::Unknown => return Tri::Unknown,
            _ => {}
        }
        if is_intrinsic(v) {
            return Tri::Unknown;
        }
        let d = depth + 1;
        match c {
            Check::Any => Tri::True,
            Check::Never => Tri::False,
            Check::Unknown => Tri::Unknown,
            Check::Required(names) => match v.as_object() {
                Some(o) => names
                    .iter()
                    .fold(Tri::True, |acc, n| acc.and(presence(o, n))),
                None => Tri::True,
            },
            Check::OnlyKeys(keys) => match v.as_object() {
                Some(o) => o
                    .keys()
                    .filter(|k| !keys.contains(&k.as_str()))
                    .fold(Tri::True, |acc, k| acc.and(presence(o, k).not())),
                None => Tri::True,
            },
            Check::Property(name, inner) => match v.as_object() {
                Some(o) => match (presence(o, name), lookup(o, name)) {
                    (Tri::False, _) | (_, None) => Tri::True,
                    (Tri::True, Some(pv)) => self.check(inner, pv, d),
                    (Tri::Unknown, Some(_)) => Tri::Unknown,
                },
                None => Tri::True,
            },
            Check::Type(types) => Tri::from(types.iter().any(|t| is_type(v, t))),
            Check::Const(text) => match serde_json::from_str::<Json>(text) {
                Ok(c) => Tri::from(equal(v, &c)),
                Err(_) => Tri::Unknown,
            },
            Check::Enum(texts) => {
                let mut out = Tri::False;
                for text in *texts {
                    match serde_json::from_str::<Json>(text) {
                        Ok(c) if equal(v, &c) => return Tri::True,
                        Ok(_) => {}
                        Err(_) => out = Tri::Unknown,
                    }
                }
                out
            }
            Check::Pattern(p) => match v.as_str() {
                Some(s) => match self.matcher.matches(p, s) {
                    Some(b) => Tri::from(b),
                    None => Tri::Unknown,
                },
                None => Tri::True,
            },
            Check::Minimum(m) => number(v, |n| n >= *m),
            Check::Maximum(m) => number(v, |n| n <= *m),
            Check::ExclusiveMinimum(m) => number(v, |n| n > *m),
            Check::ExclusiveMaximum(m) => number(v, |n| n < *m),
            Check::MultipleOf(m) => number(v, |n| {
                let q = n / *m;
                (q - q.round()).abs() < 1e-9
            }),
            Check::MinLength(m) => match v.as_str() {
                Some(s) => Tri::from(s.chars().count() >= *m as usize),
                None => Tri::True,
            },
            Check::MaxLength(m) => match v.as_str() {
                Some(s) => Tri::from(s.chars().count() <= *m as usize),
                None => Tri::True,
            },
            Check::MinItems(m) => match v.as_array() {
                Some(a) => Tri::from(a.len() >= *m as usize),
                None => Tri::True,
            },
            Check::MaxItems(m) => match v.as_array() {
                Some(a) => Tri::from(a.len() <= *m as usize),
                None => Tri::True,
            },
            Check::Items(inner) => match v.as_array() {
                Some(a) => a
                    .iter()
                    .fold(Tri::True, |acc, it| acc.and(self.check(inner, it, d))),
                None => Tri::True,
            },
            Check::Contains(inner) => match v.as_array() {
                Some(a) => {
                    let mut out = Tri::False;
                    for it in a {
                        match self.check(inner, it, d) {
                            Tri::True => return Tri::True,
                            Tri::Unknown => out = Tri::Unknown,
                            Tri::False => {}
                        }
                    }
                    out
                }
                None => Tri::True,
            },
            Check::PropertyNames(inner) => match v.as_object() {
                Some(o) => o.keys().fold(Tri::True, |acc, k| {
                    acc.and(self.check(inner, &Json::String(k.clone()), d))
                }),
                None => Tri::True,
            },
            Check::Not(inner) => self.check(inner, v, d).not(),
            Check::AllOf(cs) => cs
                .iter()
                .fold(Tri::True, |acc, c| acc.and(self.check(c, v, d))),
            Check::AnyOf(cs) => {
                let mut out = Tri::False;
                for c in *cs {
                    match self.check(c, v, d) {
                        Tri::True => return Tri::True,
                        Tri::Unknown => out = Tri::Unknown,
                        Tri::False => {}
                    }
                }
                out
            }
            Check::OneOf(cs) => {
                let (mut yes, mut maybe) = (0, 0);
                for c in *cs {
                    match self.check(c, v, d) {
                        Tri::True => yes += 1,
                        Tri::Unknown => maybe += 1,
                        Tri::False => {}
                    }
                }
                if yes > 1 || yes + maybe == 0 {
                    Tri::False
                } else if yes == 1 && maybe == 0 {
                    Tri::True
                } else {
                    Tri::Unknown
                }
            }
            Check::IfThenElse(i, t, e) => match self.check(i, v, d) {
                Tri::True => self.check(t, v, d),
                Tri::False => self.check(e, v, d),
                Tri::Unknown => {
                    let (t, e) = (self.check(t, v, d), self.check(e, v, d));
                    if t == e { t } else { Tri::Unknown }
                }
            },
            Check::DependentRequired(a, bs) => match v.as_object() {
                Some(o) => {
                    let then = bs.iter().fold(Tri::True, |acc, b| acc.and(presence(o, b)));
                    match presence(o, a) {
                        Tri::False => Tri::True,
                        Tri::True => then,
                        Tri::Unknown if then == Tri::True => Tri::True,
                        Tri::Unknown => Tri::Unknown,
                    }
                }
                None => Tri::True,
            },
            Check::DependentExcluded(a, bs) => match v.as_object() {
                Some(o) => {
                    let then = bs
                        .iter()
                        .fold(Tri::True, |acc, b| acc.and(presence(o, b).not()));
                    match presence(o, a) {
                        Tri::False => Tri::True,
                        Tri::True => then,
                        Tri::Unknown if then == Tri::True => Tri::True,
                        Tri::Unknown => Tri::Unknown,
                    }
                }
                None => Tri::True,
            },
        }
    }

    /// Why `v` fails `c` (which it does), in words: the failing parts, each naming the
    /// property and value at fault.
    pub(crate) fn explain(&mut self, c: &'static Check, v: &Json, out: &mut Vec<String>) {
        let obj = v.as_object();
        match c {
            Check::AllOf(cs) => {
                for c in *cs {
                    if self.check(c, v, 0) == Tri::False {
                        self.explain(c, v, out);
                    }
                }
            }
            Check::Property(name, inner) => {
                let Some(pv) = obj.and_then(|o| lookup(o, name)) else {
                    return;
                };
                if **inner == Check::Never {
                    out.push(format!("{name} must not be set"));
                    return;
                }
                let mut inner_out = Vec::new();
                self.explain(inner, pv, &mut inner_out);
                for m in inner_out {
                    if m.starts_with("is ") || m.starts_with("has ") || m.starts_with("must ") {
                        out.push(format!("{name} {m}"));
                    } else {
                        out.push(format!("{name}: {m}"));
                    }
                }
            }
            Check::Required(names) => {
                let missing: Vec<&str> = names
                    .iter()
                    .copied()
                    .filter(|n| obj.is_some_and(|o| presence(o, n) == Tri::False))
                    .collect();
                out.push(format!("{} must be set", list(&missing, "and")));
            }
            Check::OnlyKeys(keys) => {
                let extra: Vec<&str> = obj
                    .into_iter()
                    .flat_map(|o| o.keys())
                    .map(String::as_str)
                    .filter(|k| !keys.contains(k))
                    .collect();
                out.push(format!("{} must not be set", list(&extra, "and")));
            }
            Check::IfThenElse(i, t, e) => {
                let cond = self.check(i, v, 0);
                // Unknown: both branches fail (that is why the rule failed), say the first.
                let (branch, why) = match cond {
                    Tri::True => (t, describe(i)),
                    Tri::False => (e, format!("not ({})", describe(i))),
                    Tri::Unknown => (t, format!("({}) or not", describe(i))),
                };
                let mut inner = Vec::new();
                self.explain(branch, v, &mut inner);
                if describe(i).is_empty() {
                    // A condition of type guards only.
                    out.extend(inner);
                } else {
                    out.push(format!("when {why}: {}", inner.join("; ")));
                }
            }
            Check::DependentRequired(a, bs) => {
                let missing: Vec<&str> = bs
                    .iter()
                    .copied()
                    .filter(|b| obj.is_some_and(|o| presence(o, b) == Tri::False))
                    .collect();
                out.push(format!(
                    "{a} is set, so {} must be set too",
                    list(&missing, "and")
                ));
            }
            Check::DependentExcluded(a, bs) => {
                let present: Vec<&str> = bs
                    .iter()
                    .copied()
                    .filter(|b| obj.is_some_and(|o| presence(o, b) == Tri::True))
                    .collect();
                out.push(format!(
                    "{a} is set, so {} must not be",
                    list(&present, "and")
                ));
            }
            Check::OneOf(cs) => {
                let matched: Vec<String> = cs
                    .iter()
                    .filter(|c| self.check(c, v, 0) == Tri::True)
                    .map(describe)
                    .collect();
                let options = cs.iter().map(describe).collect::<Vec<_>>().join(" | ");
                if matched.is_empty() && options.chars().count() > MAX_SHOWN {
                    out.push(format!(
                        "exactly one of the {} alternatives the rule allows must hold, and none does",
                        cs.len()
                    ));
                } else if matched.is_empty() {
                    out.push(format!(
                        "exactly one of these must hold, and none does: {options}"
                    ));
                } else {
                    out.push(format!(
                        "exactly one of these must hold, but {} do: {}",
                        matched.len(),
                        matched.join(" | ")
                    ));
                }
            }
            Check::AnyOf(cs) => {
                let options = cs.iter().map(describe).collect::<Vec<_>>().join(" | ");
                if options.chars().count() <= MAX_SHOWN {
                    out.push(format!(
                        "at least one of these must hold, and none does: {options}"
                    ));
                } else {
                    out.push(format!(
                        "none of the {} combinations the rule allows holds",
                        cs.len()
                    ));
                }
            }
            Check::Items(inner) => {
                for (i, it) in v.as_array().into_iter().flatten().enumerate() {
                    if self.check(inner, it, 0) == Tri::False {
                        let mut inner_out = Vec::new();
                        self.explain(inner, it, &mut inner_out);
                        out.push(format!("item {i}: {}", inner_out.join("; ")));
                    }
                }
            }
            Check::PropertyNames(inner) => {
                let bad: Vec<&str> = obj
                    .into_iter()
                    .flat_map(|o| o.keys())
                    .filter(|k| self.check(inner, &Json::String((*k).clone()), 0) == Tri::False)
                    .map(String::as_str)
                    .collect();
                out.push(format!(
                    "has the key {} , which must satisfy: {}",
                    list(&bad, "and"),
                    describe(inner)
                ));
            }
            Check::Contains(inner) => {
                out.push(format!("needs an item where {}", describe(inner)));
            }
            Check::Not(inner) => out.push(format!("must not satisfy: {}", describe(inner))),
            leaf => out.push(format!("is {}, but {}", super::short(v), describe(leaf))),
        }
    }
}

/// A check in words, for messages and hints.
pub(crate) fn describe(c: &Check) -> String {
    match c {
        Check::Any => "anything".into(),
        Check::Never => "nothing".into(),
        Check::Unknown => "a rule synth does not model".into(),
        Check::Required(names) => format!("{} set", list(names, "and")),
        Check::OnlyKeys(keys) => format!("nothing but {} set", list(keys, "or")),
        Check::Property(name, inner) => match &**inner {
            Check::Never => format!("{name} not set"),
            Check::Const(v) => format!("{name} is {v}"),
            Check::Enum(vs) if vs.len() == 1 => format!("{name} is {}", vs[0]),
            Check::Enum(vs) => format!("{name} is one of {}", vs.join(", ")),
            Check::Pattern(p) => format!("{name} matches {p}"),
            Check::Not(n) if matches!(&**n, Check::Enum(_) | Check::Const(_)) => {
                format!("{name} is not {}", describe_values(n))
            }
            inner => format!("{name} {}", describe(inner)),
        },
        Check::Type(ts) => format!("is of type {}", list(ts, "or")),
        Check::Const(v) => format!("must be {v}"),
        Check::Enum(vs) => format!("must be one of {}", vs.join(", ")),
        Check::Pattern(p) => format!("must match {p}"),
        Check::Minimum(n) => format!("must be at least {n}"),
        Check::Maximum(n) => format!("must be at most {n}"),
        Check::ExclusiveMinimum(n) => format!("must be more than {n}"),
        Check::ExclusiveMaximum(n) => format!("must be less than {n}"),
        Check::MultipleOf(n) => format!("must be a multiple of {n}"),
        Check::MinLength(n) => format!("must be at least {n} characters long"),
        Check::MaxLength(n) => format!("must be at most {n} characters long"),
        Check::MinItems(n) => format!("must have at least {n} items"),
        Check::MaxItems(n) => format!("must have at most {n} items"),
        Check::Items(inner) => format!("each item {}", describe(inner)),
        Check::Contains(inner) => format!("some item {}", describe(inner)),
        Check::PropertyNames(inner) => format!("every key {}", describe(inner)),
        Check::Not(inner) => format!("not ({})", describe(inner)),
        Check::AllOf(cs) => {
            // `{properties: {X: ...}, required: [X]}` reads as the property's rule alone.
            let covered = |n: &str| {
                cs.iter()
                    .any(|c| matches!(c, Check::Property(p, _) if *p == n))
            };
            cs.iter()
                .filter(|c| !matches!(c, Check::Required([n]) if covered(n)))
                // Type guards (`{type: string}` so that a pattern applies) say nothing
                // a reader needs.
                .filter(|c| !matches!(c, Check::Type(_)))
                .filter(|c| !matches!(c, Check::Property(_, t) if matches!(**t, Check::Type(_))))
                .map(describe)
                .collect::<Vec<_>>()
                .join(" and ")
        }
        Check::AnyOf(cs) => format!(
            "any of ({})",
            cs.iter().map(describe).collect::<Vec<_>>().join(" | ")
        ),
        Check::OneOf(cs) => format!(
            "exactly one of ({})",
            cs.iter().map(describe).collect::<Vec<_>>().join(" | ")
        ),
        Check::IfThenElse(i, t, e) => {
            let mut s = format!("if {} then {}", describe(i), describe(t));
            if **e != Check::Any {
                s.push_str(&format!(" else {}", describe(e)));
            }
            s
        }
        Check::DependentRequired(a, bs) => format!("{a} needs {}", list(bs, "and")),
        Check::DependentExcluded(a, bs) => format!("{a} excludes {}", list(bs, "and")),
    }
}

fn describe_values(c: &Check) -> String {
    match c {
        Check::Const(v) => v.to_string(),
        Check::Enum(vs) => vs.join(" or "),
        c => describe(c),
    }
}

/// `A`, `A and B`, `A, B and C`.
fn list(names: &[&str], last: &str) -> String {
    match names {
        [] => "nothing".into(),
        [one] => (*one).to_string(),
        [init @ .., end] => format!("{} {last} {end}", init.join(", ")),
    }
}

/// CloudFormation's (and cfn-lint's) loose JSON types: a number or boolean is also a
/// string, a numeric string a number, `"true"`/`"false"` a boolean.
fn is_type(v: &Json, t: &str) -> bool {
    match t {
        "string" => matches!(v, Json::String(_) | Json::Number(_) | Json::Bool(_)),
        "number" => v.is_number() || v.as_str().is_some_and(|s| s.parse::<f64>().is_ok()),
        "integer" => {
            v.is_i64()
                || v.is_u64()
                || v.as_f64().is_some_and(|n| n.fract() == 0.0)
                || v.as_str().is_some_and(|s| s.parse::<i64>().is_ok())
        }
        "boolean" => {
            v.is_boolean() || matches!(v.as_str(), Some("true" | "false" | "True" | "False"))
        }
        "object" => v.is_object(),
        "array" => v.is_array(),
        "null" => v.is_null(),
        _ => false,
    }
}

/// JSON equality with CloudFormation's scalar coercions (`"5"` is 5, `"true"` is true).
fn equal(v: &Json, c: &Json) -> bool {
    if v == c {
        return true;
    }
    match (v, c) {
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        (Json::String(s), Json::Number(n)) | (Json::Number(n), Json::String(s)) => {
            s.parse::<f64>().ok() == n.as_f64()
        }
        (Json::String(s), Json::Bool(b)) | (Json::Bool(b), Json::String(s)) => {
            s.eq_ignore_ascii_case(if *b { "true" } else { "false" })
        }
        _ => false,
    }
}

/// A numeric check on a number or numeric string; other values pass (their type is
/// checked elsewhere).
fn number(v: &Json, f: impl Fn(f64) -> bool) -> Tri {
    let n = match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.parse::<f64>().ok(),
        _ => return Tri::True,
    };
    match n {
        Some(n) => Tri::from(f(n)),
        None => Tri::True,
    }
}

/// The first words of a finding on `c`, and its fix.
pub(crate) fn hint(c: &Constraint) -> String {
    let what = match (c.rule, &c.check) {
        ("required-xor", Check::OneOf(cs)) => {
            let names: Vec<&str> = cs
                .iter()
                .filter_map(|c| match c {
                    Check::Required([n]) => Some(*n),
                    _ => None,
                })
                .collect();
            format!("set exactly one of {}", list(&names, "or"))
        }
        ("required-or", Check::AnyOf(cs)) => {
            let names: Vec<&str> = cs
                .iter()
                .filter_map(|c| match c {
                    Check::Required([n]) => Some(*n),
                    _ => None,
                })
                .collect();
            format!("set at least one of {}", list(&names, "or"))
        }
        ("dependent-required", Check::DependentRequired(a, bs)) => {
            format!("set {} as well, or remove {a}", list(bs, "and"))
        }
        ("dependent-excluded", Check::DependentExcluded(a, bs)) => {
            format!("remove {a} or {}", list(bs, "and"))
        }
        _ => {
            let rule = describe(&c.check);
            if rule.chars().count() <= 240 {
                format!("the rule is: {rule}")
            } else {
                "see the rule".to_string()
            }
        }
    };
    format!("{what} ({})", c.source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Regex;
    impl Matcher for Regex {
        fn matches(&mut self, pattern: &'static str, s: &str) -> Option<bool> {
            super::super::pattern::pattern(pattern).is_match(s)
        }
    }

    fn eval(c: &'static Check, v: Json) -> Tri {
        Eval {
            matcher: &mut Regex,
        }
        .check(c, &v, 0)
    }

    static XOR: Check = Check::OneOf(&[Check::Required(&["A"]), Check::Required(&["B"])]);

    #[test]
    fn exactly_one_of_with_intrinsics_and_no_value() {
        assert_eq!(eval(&XOR, json!({"A": 1})), Tri::True);
        assert_eq!(eval(&XOR, json!({"A": 1, "B": 2})), Tri::False);
        assert_eq!(eval(&XOR, json!({})), Tri::False);
        // A reference is a value: present.
        assert_eq!(eval(&XOR, json!({"A": {"Ref": "X"}, "B": 2})), Tri::False);
        // AWS::NoValue is absence; an Fn::If that may be it leaves presence unknown.
        assert_eq!(
            eval(&XOR, json!({"A": {"Ref": "AWS::NoValue"}, "B": 2})),
            Tri::True
        );
        let maybe = json!({"Fn::If": ["C", 1, {"Ref": "AWS::NoValue"}]});
        assert_eq!(eval(&XOR, json!({"A": maybe, "B": 2})), Tri::Unknown);
        assert_eq!(eval(&XOR, json!({"A": maybe})), Tri::Unknown);
        // Both branches set: present whichever holds.
        let both = json!({"Fn::If": ["C", 1, 2]});
        assert_eq!(eval(&XOR, json!({"A": both, "B": 2})), Tri::False);
    }

    static IF_PG: Check = Check::IfThenElse(
        &Check::Property(
            "Engine",
            &Check::Enum(&["\"postgres\"", "\"aurora-postgresql\""]),
        ),
        &Check::Property("User", &Check::Not(&Check::Const("\"admin\""))),
        &Check::Any,
    );

    #[test]
    fn conditions_on_intrinsic_values_are_unknown() {
        assert_eq!(
            eval(&IF_PG, json!({"Engine": "postgres", "User": "admin"})),
            Tri::False
        );
        assert_eq!(
            eval(&IF_PG, json!({"Engine": "mysql", "User": "admin"})),
            Tri::True
        );
        assert_eq!(
            eval(&IF_PG, json!({"Engine": {"Ref": "E"}, "User": "admin"})),
            Tri::Unknown
        );
        assert_eq!(
            eval(
                &IF_PG,
                json!({"Engine": "postgres", "User": {"Fn::Sub": "x"}})
            ),
            Tri::Unknown
        );
        // An unknown condition whose branches agree still decides.
        assert_eq!(
            eval(&IF_PG, json!({"Engine": {"Ref": "E"}, "User": "dbo"})),
            Tri::True
        );
    }

    static PORTS: Check = Check::Property("ToPort", &Check::Enum(&["-1", "\"-1\""]));
    static FLAG: Check = Check::Property("On", &Check::Const("true"));
    static ARN: Check = Check::Property("Arn", &Check::Pattern("^arn:aws:sqs:"));
    static LOOKAHEAD: Check = Check::Property("E", &Check::Pattern("^(?!aurora).*$"));
    static UNREADABLE: Check = Check::Property("E", &Check::Pattern("^\\p{Print}+$"));

    #[test]
    fn values_compare_with_cloudformation_coercions() {
        assert_eq!(eval(&PORTS, json!({"ToPort": -1})), Tri::True);
        assert_eq!(eval(&PORTS, json!({"ToPort": "-1"})), Tri::True);
        assert_eq!(eval(&PORTS, json!({"ToPort": -1.0})), Tri::True);
        assert_eq!(eval(&PORTS, json!({"ToPort": 8})), Tri::False);
        assert_eq!(eval(&FLAG, json!({"On": "true"})), Tri::True);
        assert_eq!(eval(&FLAG, json!({"On": "False"})), Tri::False);
        assert_eq!(eval(&ARN, json!({"Arn": "arn:aws:sqs:q"})), Tri::True);
        assert_eq!(eval(&ARN, json!({"Arn": "arn:aws:sns:t"})), Tri::False);
        // Look-aheads are evaluated; a pattern synth cannot read decides nothing.
        assert_eq!(eval(&LOOKAHEAD, json!({"E": "mysql"})), Tri::True);
        assert_eq!(eval(&LOOKAHEAD, json!({"E": "aurora-mysql"})), Tri::False);
        assert_eq!(eval(&UNREADABLE, json!({"E": "mysql"})), Tri::Unknown);
    }

    static NAMES: Check = Check::PropertyNames(&Check::Not(&Check::Enum(&["\"AWS_REGION\""])));
    // A container without Essential is essential (the default).
    static ESSENTIAL: Check = Check::Contains(&Check::Not(&Check::AllOf(&[
        Check::Property("Essential", &Check::Enum(&["false", "\"false\""])),
        Check::Required(&["Essential"]),
    ])));
    static DEP: Check = Check::DependentRequired("A", &["B"]);
    static EXC: Check = Check::DependentExcluded("A", &["B"]);
    static DEEP: Check = Check::Not(&Check::Not(&Check::Unknown));

    #[test]
    fn keys_items_and_dependencies() {
        assert_eq!(eval(&NAMES, json!({"MODE": 1})), Tri::True);
        assert_eq!(
            eval(&NAMES, json!({"MODE": 1, "AWS_REGION": 2})),
            Tri::False
        );
        assert_eq!(
            eval(
                &ESSENTIAL,
                json!([{"Essential": false}, {"Essential": "false"}])
            ),
            Tri::False
        );
        assert_eq!(
            eval(&ESSENTIAL, json!([{"Essential": false}, {}])),
            Tri::True
        );
        assert_eq!(
            eval(&ESSENTIAL, json!([{"Essential": {"Ref": "P"}}])),
            Tri::Unknown
        );
        assert_eq!(eval(&DEP, json!({"A": 1})), Tri::False);
        assert_eq!(eval(&DEP, json!({"A": 1, "B": 1})), Tri::True);
        assert_eq!(eval(&DEP, json!({"B": 1})), Tri::True);
        assert_eq!(eval(&EXC, json!({"A": 1, "B": 1})), Tri::False);
        assert_eq!(eval(&EXC, json!({"A": 1})), Tri::True);
        // Any input, any shape: no panic, and unknown stays unknown.
        for v in [
            json!(null),
            json!(1),
            json!("s"),
            json!([1, {}]),
            json!({"Fn::If": 1}),
        ] {
            for c in [&XOR, &IF_PG, &NAMES, &ESSENTIAL, &DEP, &EXC] {
                let _ = eval(c, v.clone());
            }
        }
        assert_eq!(eval(&DEEP, json!({})), Tri::Unknown);
    }

    #[test]
    fn explanations_name_the_properties_at_fault() {
        let mut out = Vec::new();
        let v = json!({"Engine": "postgres", "User": "admin"});
        Eval {
            matcher: &mut Regex,
        }
        .explain(&IF_PG, &v, &mut out);
        assert_eq!(
            out,
            [
                r#"when Engine is one of "postgres", "aurora-postgresql": User must not satisfy: must be "admin""#
            ]
        );
        let mut out = Vec::new();
        Eval {
            matcher: &mut Regex,
        }
        .explain(&DEP, &json!({"A": 1}), &mut out);
        assert_eq!(out, ["A is set, so B must be set too"]);
    }
}
