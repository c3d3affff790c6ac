//! The untyped value tree every CloudFormation value is built from.
//!
//! An [`Expr`] is JSON with holes: literals, lists and objects, plus references to template
//! elements (resources, parameters, conditions, mappings) that only get their logical ids at
//! synth time, and intrinsic functions. Synth resolves it to plain JSON. Users rarely touch
//! it directly; they work with the typed [`Value`](crate::Value) wrapper around it.

use indexmap::IndexMap;

use crate::tree::ElementId;

/// A CloudFormation value before synth: JSON that may contain references and intrinsics.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fractional part (alarm thresholds, ratios).
    Float(f64),
    /// A string literal. Written out as is; `${` has no special meaning here.
    Str(String),
    /// A list of values.
    List(Vec<Expr>),
    /// An object with string keys, in insertion order.
    Object(IndexMap<String, Expr>),
    /// `Ref` to a resource or parameter of this app.
    Ref(ElementId),
    /// `Fn::GetAtt` of a resource of this app.
    GetAtt(ElementId, String),
    /// `Ref` to a logical id given by name: the escape hatch for elements that stackwright
    /// did not create. Synth checks that the target exists in the same template.
    RefLogicalId(String),
    /// `Ref` to a pseudo parameter such as `AWS::Region`.
    Pseudo(Pseudo),
    /// A string built from parts; written as `Fn::Sub` (or a plain string when every part is
    /// a literal). Adjacent literal parts are merged when it is resolved.
    Concat(Vec<Expr>),
    /// `Fn::If` on a condition of this app.
    If(ElementId, Box<Expr>, Box<Expr>),
    /// `Condition` reference inside a condition expression.
    ConditionRef(ElementId),
    /// `Fn::FindInMap` on a mapping of this app.
    FindInMap(ElementId, Box<Expr>, Box<Expr>),
    /// Any other intrinsic function: `{ name: argument }`, for example
    /// `("Fn::Select", List[Int(0), ...])`. The argument is resolved like any value.
    Call(&'static str, Box<Expr>),
}

/// CloudFormation's pseudo parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pseudo {
    /// `AWS::AccountId`.
    AccountId,
    /// `AWS::Region`.
    Region,
    /// `AWS::Partition` (`aws`, `aws-cn`, `aws-us-gov`).
    Partition,
    /// `AWS::URLSuffix` (`amazonaws.com` in most partitions).
    UrlSuffix,
    /// `AWS::StackName`.
    StackName,
    /// `AWS::StackId`.
    StackId,
    /// `AWS::NotificationARNs`.
    NotificationArns,
    /// `AWS::NoValue`: removes the property it is assigned to (useful with `Fn::If`).
    NoValue,
}

impl Pseudo {
    /// The name as written after `Ref`.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Region => "AWS::Region",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::NotificationArns => "AWS::NotificationARNs",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }
}

impl Expr {
    /// An object from `(key, value)` pairs, in the order given.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Expr)>) -> Expr {
        Expr::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A string literal.
    pub fn str(s: impl Into<String>) -> Expr {
        Expr::Str(s.into())
    }

    /// True when the value holds no reference or intrinsic anywhere inside, so its final
    /// JSON is known now.
    pub fn is_literal(&self) -> bool {
        match self {
            Expr::Bool(_) | Expr::Int(_) | Expr::Float(_) | Expr::Str(_) => true,
            Expr::List(items) => items.iter().all(Expr::is_literal),
            Expr::Object(map) => map.values().all(Expr::is_literal),
            Expr::Concat(parts) => parts.iter().all(Expr::is_literal),
            _ => false,
        }
    }

    /// The string, when this is a string literal (or a concatenation of literals).
    pub fn as_literal_str(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Expr::Str(s) => Some(std::borrow::Cow::Borrowed(s)),
            Expr::Concat(parts) => {
                let mut out = String::new();
                for p in parts {
                    out.push_str(&p.as_literal_str()?);
                }
                Some(std::borrow::Cow::Owned(out))
            }
            _ => None,
        }
    }

    /// Calls `f` on every element this value refers to (resources, parameters, conditions,
    /// mappings), depth first.
    pub fn visit_elements(&self, f: &mut impl FnMut(ElementId)) {
        match self {
            Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Float(_)
            | Expr::Str(_)
            | Expr::Pseudo(_)
            | Expr::RefLogicalId(_) => {}
            Expr::List(items) | Expr::Concat(items) => {
                items.iter().for_each(|e| e.visit_elements(f));
            }
            Expr::Object(map) => map.values().for_each(|e| e.visit_elements(f)),
            Expr::Ref(id) | Expr::GetAtt(id, _) | Expr::ConditionRef(id) => f(*id),
            Expr::If(id, a, b) => {
                f(*id);
                a.visit_elements(f);
                b.visit_elements(f);
            }
            Expr::FindInMap(id, a, b) => {
                f(*id);
                a.visit_elements(f);
                b.visit_elements(f);
            }
            Expr::Call(_, arg) => arg.visit_elements(f),
        }
    }
}

impl From<serde_json::Value> for Expr {
    fn from(v: serde_json::Value) -> Self {
        match v {
            // JSON null has no CloudFormation meaning; AWS::NoValue is what removes a property.
            serde_json::Value::Null => Expr::Pseudo(Pseudo::NoValue),
            serde_json::Value::Bool(b) => Expr::Bool(b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Expr::Int(i),
                None => Expr::Float(n.as_f64().unwrap_or_default()),
            },
            serde_json::Value::String(s) => Expr::Str(s),
            serde_json::Value::Array(a) => Expr::List(a.into_iter().map(Expr::from).collect()),
            serde_json::Value::Object(o) => {
                Expr::Object(o.into_iter().map(|(k, v)| (k, Expr::from(v))).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_detection_sees_through_containers() {
        let lit = Expr::object([("A", Expr::List(vec![Expr::Int(1), Expr::str("x")]))]);
        assert!(lit.is_literal());
        let not = Expr::object([("A", Expr::List(vec![Expr::Pseudo(Pseudo::Region)]))]);
        assert!(!not.is_literal());
    }

    #[test]
    fn json_null_becomes_no_value() {
        assert_eq!(
            Expr::from(serde_json::json!({"a": null})),
            Expr::object([("a", Expr::Pseudo(Pseudo::NoValue))])
        );
    }

    #[test]
    fn concat_of_literals_reads_as_a_string() {
        let e = Expr::Concat(vec![Expr::str("a"), Expr::str("b")]);
        assert_eq!(e.as_literal_str().as_deref(), Some("ab"));
        let e = Expr::Concat(vec![Expr::str("a"), Expr::Pseudo(Pseudo::Region)]);
        assert_eq!(e.as_literal_str(), None);
    }
}
