//! The untyped value tree every CloudFormation value is built from.
//!
//! An [`Expr`] is JSON with holes: literals, lists and objects, plus references to template
//! elements (resources, parameters, conditions, mappings) that only get their logical ids at
//! synth time, and intrinsic functions. Synth resolves it to plain JSON. Users rarely touch
//! it directly; they work with the typed [`Value`](crate::Value) wrapper around it.

use indexmap::IndexMap;

use crate::tree::ElementId;

/// Is this JSON object an intrinsic function: one key, `Ref`, `Condition` or `Fn::...`?
/// Its value is then known only at deploy time.
pub fn is_intrinsic_map(o: &serde_json::Map<String, serde_json::Value>) -> bool {
    o.len() == 1
        && o.keys()
            .next()
            .is_some_and(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
}

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

/// The key of the one-entry object that stands for a token inside JSON (see
/// [`Expr::to_json`]). It starts with `Fn::`, so CloudFormation would refuse it as an
/// unknown intrinsic function if one ever reached a template; none does, because every
/// conversion from JSON ([`Expr::from_json`]) turns it back into the token it encodes.
pub const TOKEN_KEY: &str = "Fn::Stackwright::Token";

impl Expr {
    /// The value as JSON, for code that builds properties with `serde_json::json!`
    /// ([`RawResource`](crate::RawResource), overrides, free-form JSON properties).
    ///
    /// Literals, lists and objects become plain JSON; pseudo parameters, logical-id
    /// references and intrinsic calls become the CloudFormation JSON they stand for; a
    /// reference to an element of the tree (which has no logical id until synth), an
    /// `Fn::If`, `Fn::FindInMap` or a string with tokens becomes a marker object under
    /// [`TOKEN_KEY`]. [`Expr::from_json`] turns the marker back into the token, so synth
    /// resolves it exactly as a typed property: `Ref`, `Fn::GetAtt`, an import from another
    /// stack. The marker names the app and process it was made in; in any other it cannot be
    /// decoded and synth reports it.
    ///
    /// ```
    /// use stackwright_core::{Expr, Pseudo};
    /// let e = Expr::object([("Region", Expr::Pseudo(Pseudo::Region)), ("Count", Expr::Int(2))]);
    /// assert_eq!(e.to_json(), serde_json::json!({"Region": {"Ref": "AWS::Region"}, "Count": 2}));
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Value as Json, json};
        let element = |id: &ElementId| (token_app(id.app), id.index);
        let marker = |payload: Json| json!({ TOKEN_KEY: payload });
        match self {
            Expr::Bool(b) => Json::Bool(*b),
            Expr::Int(i) => Json::from(*i),
            Expr::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Expr::Str(s) => Json::String(s.clone()),
            Expr::List(items) => Json::Array(items.iter().map(Expr::to_json).collect()),
            Expr::Object(map) => {
                Json::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            Expr::Pseudo(p) => json!({ "Ref": p.name() }),
            Expr::RefLogicalId(id) => json!({ "Ref": id }),
            Expr::Call(name, arg) => json!({ *name: arg.to_json() }),
            Expr::Concat(parts) => match self.as_literal_str() {
                Some(s) => Json::String(s.into_owned()),
                None => {
                    marker(json!({ "Sub": parts.iter().map(Expr::to_json).collect::<Vec<_>>() }))
                }
            },
            Expr::Ref(id) => {
                let (app, element) = element(id);
                marker(json!({ "Ref": { "app": app, "element": element } }))
            }
            Expr::GetAtt(id, attr) => {
                let (app, element) = element(id);
                marker(json!({ "GetAtt": { "app": app, "element": element, "attribute": attr } }))
            }
            Expr::ConditionRef(id) => {
                let (app, element) = element(id);
                marker(json!({ "Condition": { "app": app, "element": element } }))
            }
            Expr::If(id, a, b) => {
                let (app, element) = element(id);
                marker(json!({ "If": {
                    "app": app, "element": element, "then": a.to_json(), "else": b.to_json()
                } }))
            }
            Expr::FindInMap(id, a, b) => {
                let (app, element) = element(id);
                marker(json!({ "FindInMap": {
                    "app": app, "element": element, "top": a.to_json(), "second": b.to_json()
                } }))
            }
        }
    }

    /// The expression JSON stands for: the one conversion every JSON value in the tree
    /// goes through (untyped resources, included templates, free-form properties,
    /// overrides), so the token markers of [`Expr::to_json`] never reach a template.
    ///
    /// JSON `null` becomes `AWS::NoValue` (it has no CloudFormation meaning otherwise). A
    /// marker that cannot be decoded (made in another process, or edited) becomes
    /// `Expr::Call(TOKEN_KEY, reason)`, which synth reports as an `invalid-token` error
    /// instead of writing it.
    ///
    /// ```
    /// use stackwright_core::{Expr, Pseudo};
    /// let e = Expr::object([("Zone", Expr::Pseudo(Pseudo::Region))]);
    /// assert_eq!(Expr::from_json(serde_json::json!({"Name": "x", "Gone": null})),
    ///            Expr::object([("Name", Expr::str("x")), ("Gone", Expr::Pseudo(Pseudo::NoValue))]));
    /// # let _ = e;
    /// ```
    pub fn from_json(v: serde_json::Value) -> Expr {
        match v {
            // JSON null has no CloudFormation meaning; AWS::NoValue is what removes a property.
            serde_json::Value::Null => Expr::Pseudo(Pseudo::NoValue),
            serde_json::Value::Bool(b) => Expr::Bool(b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Expr::Int(i),
                None => Expr::Float(n.as_f64().unwrap_or_default()),
            },
            serde_json::Value::String(s) => Expr::Str(s),
            serde_json::Value::Array(a) => Expr::List(a.into_iter().map(Expr::from_json).collect()),
            serde_json::Value::Object(mut o) => {
                if o.len() == 1
                    && let Some(payload) = o.remove(TOKEN_KEY)
                {
                    return decode_token(payload).unwrap_or_else(|reason| {
                        Expr::Call(TOKEN_KEY, Box::new(Expr::Str(reason)))
                    });
                }
                Expr::Object(
                    o.into_iter()
                        .map(|(k, v)| (k, Expr::from_json(v)))
                        .collect(),
                )
            }
        }
    }
}

impl From<serde_json::Value> for Expr {
    /// [`Expr::from_json`].
    fn from(v: serde_json::Value) -> Self {
        Expr::from_json(v)
    }
}

/// The app of a token as its marker writes it: the app's serial and the process, so a
/// marker that travels to another process (saved JSON read back) is never taken for an
/// element of an app there that happens to have the same serial.
fn token_app(serial: u32) -> String {
    format!("{serial}.{}", std::process::id())
}

/// The expression a marker's payload encodes, or why it cannot be decoded.
fn decode_token(payload: serde_json::Value) -> Result<Expr, String> {
    use serde_json::Value as Json;
    let malformed = || format!("its payload is not one stackwright writes: {payload}");
    let Json::Object(o) = &payload else {
        return Err(malformed());
    };
    let Some((kind, body)) = o.iter().next().filter(|_| o.len() == 1) else {
        return Err(malformed());
    };
    if kind == "Sub" {
        let parts = body.as_array().ok_or_else(malformed)?;
        return Ok(Expr::Concat(
            parts.iter().cloned().map(Expr::from_json).collect(),
        ));
    }
    let field = |name: &str| body.get(name).ok_or_else(malformed);
    let app = field("app")?.as_str().ok_or_else(malformed)?;
    let (serial, process) = app.split_once('.').ok_or_else(malformed)?;
    if process != std::process::id().to_string() {
        return Err(format!(
            "it was made by another process (app {app}), so the element it names is not in this one"
        ));
    }
    let app = serial.parse::<u32>().map_err(|_| malformed())?;
    let index = field("element")?
        .as_u64()
        .and_then(|i| u32::try_from(i).ok())
        .ok_or_else(malformed)?;
    let id = ElementId { app, index };
    let sub = |name: &str| field(name).map(|v| Box::new(Expr::from_json(v.clone())));
    Ok(match kind.as_str() {
        "Ref" => Expr::Ref(id),
        "Condition" => Expr::ConditionRef(id),
        "GetAtt" => {
            let attr = field("attribute")?.as_str().ok_or_else(malformed)?;
            Expr::GetAtt(id, attr.to_string())
        }
        "If" => Expr::If(id, sub("then")?, sub("else")?),
        "FindInMap" => Expr::FindInMap(id, sub("top")?, sub("second")?),
        _ => return Err(malformed()),
    })
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
    fn tokens_survive_a_trip_through_json() {
        let id = ElementId { app: 7, index: 3 };
        let cond = ElementId { app: 7, index: 4 };
        let e = Expr::object([
            ("Ref", Expr::Ref(id)),
            ("Att", Expr::GetAtt(id, "Endpoint.Address".into())),
            (
                "Sub",
                Expr::Concat(vec![Expr::str("arn:"), Expr::GetAtt(id, "Arn".into())]),
            ),
            (
                "If",
                Expr::If(cond, Box::new(Expr::Ref(id)), Box::new(Expr::Int(1))),
            ),
            (
                "Map",
                Expr::FindInMap(cond, Box::new(Expr::str("a")), Box::new(Expr::Ref(id))),
            ),
            ("Cond", Expr::ConditionRef(cond)),
            (
                "Plain",
                Expr::List(vec![Expr::Bool(true), Expr::Float(0.5)]),
            ),
        ]);
        assert_eq!(Expr::from_json(e.to_json()), e);
    }

    #[test]
    fn literal_strings_and_intrinsics_are_plain_json() {
        let e = Expr::Concat(vec![Expr::str("a"), Expr::str("b")]);
        assert_eq!(e.to_json(), serde_json::json!("ab"));
        let e = Expr::Call("Fn::Base64", Box::new(Expr::Pseudo(Pseudo::Region)));
        assert_eq!(
            e.to_json(),
            serde_json::json!({"Fn::Base64": {"Ref": "AWS::Region"}})
        );
    }

    #[test]
    fn markers_of_another_process_or_edited_ones_are_not_decoded() {
        let other = serde_json::json!({ TOKEN_KEY: {"Ref": {"app": "1.0", "element": 3}} });
        let Expr::Call(TOKEN_KEY, reason) = Expr::from_json(other) else {
            panic!("a foreign marker must not decode")
        };
        assert!(matches!(*reason, Expr::Str(ref r) if r.contains("another process")));
        let edited = serde_json::json!({ TOKEN_KEY: {"Ref": "Bucket"} });
        assert!(matches!(Expr::from_json(edited), Expr::Call(TOKEN_KEY, _)));
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
