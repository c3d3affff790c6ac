//! Typed CloudFormation values: a literal now, or a token that CloudFormation resolves at
//! deploy time.
//!
//! `Value<T>` is what every property of a generated resource takes and what every typed
//! attribute returns. `T` says what the value is once resolved (`String`, `i64`, `bool`, an
//! enum of the schema, `Vec<String>`, ...), so the compiler keeps a subnet id out of a port
//! number, while the value itself may still be `Ref`, `Fn::GetAtt`, `Fn::If` and so on.
//!
//! ```
//! use stackwright_core::{Value, Pseudo, cfn_format};
//!
//! let name: Value<String> = "orders".into();
//! let port: Value<i64> = 5432.into();
//! let zones: Value<Vec<String>> = Value::get_azs();
//! let first_zone: Value<String> = Value::select(0, &zones);
//! let arn: Value<String> = cfn_format!("arn:{}:s3:::{}-logs", Value::<String>::pseudo(Pseudo::Partition), name.clone());
//! assert!(name.is_literal() && !arn.is_literal() && port.is_literal());
//! # let _ = first_zone;
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use indexmap::IndexMap;

use crate::expr::{Expr, Pseudo};

/// A CloudFormation value that resolves to a `T`: a literal, or a token (reference,
/// attribute, intrinsic function) that CloudFormation resolves at deploy time.
pub struct Value<T> {
    expr: Expr,
    _type: PhantomData<fn() -> T>,
}

/// Marker for free-form JSON values (policy documents, dashboard bodies, values whose
/// schema allows more than one JSON type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Json {}

/// Marker for a string-keyed map whose values are `T` (schema `patternProperties`).
pub struct Map<T>(PhantomData<fn() -> T>);

/// A Rust value that can be written as a CloudFormation literal: implemented by the basic
/// types and by every generated enum and property struct.
pub trait Literal {
    /// The value as an expression tree.
    fn into_expr(self) -> Expr;
}

impl<T> Value<T> {
    /// Wraps an untyped expression. The caller vouches that it resolves to a `T`; this is
    /// the escape hatch for intrinsics stackwright has no typed helper for.
    pub fn from_expr(expr: Expr) -> Self {
        Value {
            expr,
            _type: PhantomData,
        }
    }

    /// The untyped expression.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Unwraps the untyped expression.
    pub fn into_expr(self) -> Expr {
        self.expr
    }

    /// The value as JSON, tokens included, for properties written with
    /// `serde_json::json!` (an untyped resource's, an override, a free-form JSON property).
    /// Synth resolves the tokens inside exactly as it resolves a typed property's; see
    /// [`Expr::to_json`] for how they are carried.
    ///
    /// ```
    /// use stackwright_core::{App, Env, RawResource, Resource, Stack};
    /// use stackwright_l1::kms;
    /// let app = App::new();
    /// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
    /// let key = Resource::new(&stack, "Key", kms::Key::default()).unwrap();
    /// RawResource::new(&stack, "Alerts", "AWS::SNS::Topic", serde_json::json!({
    ///     "KmsMasterKeyId": key.attr_arn().to_json(),
    /// })).unwrap();
    /// let template = &app.build().stacks[0].template;
    /// assert_eq!(
    ///     template["Resources"]["Alerts"]["Properties"]["KmsMasterKeyId"],
    ///     serde_json::json!({"Fn::GetAtt": ["Key", "Arn"]})
    /// );
    /// ```
    pub fn to_json(&self) -> serde_json::Value {
        self.expr.to_json()
    }

    /// True when the value is known now, without deploying anything.
    pub fn is_literal(&self) -> bool {
        self.expr.is_literal()
    }

    /// Reinterprets the value as another type. Used where CloudFormation converts
    /// implicitly, such as a number given where a string is expected.
    pub fn cast<U>(self) -> Value<U> {
        Value::from_expr(self.expr)
    }

    /// A pseudo parameter (`AWS::Region`, `AWS::AccountId`, ...).
    pub fn pseudo(p: Pseudo) -> Self {
        Value::from_expr(Expr::Pseudo(p))
    }

    /// `AWS::NoValue`: the property is removed. Mostly useful as a branch of [`Value::if_`].
    pub fn no_value() -> Self {
        Value::pseudo(Pseudo::NoValue)
    }

    /// `Fn::Select`: the item at `index` of a list.
    pub fn select(index: usize, list: &Value<Vec<T>>) -> Self {
        Value::from_expr(Expr::Call(
            "Fn::Select",
            Box::new(Expr::List(vec![
                Expr::Str(index.to_string()),
                list.expr.clone(),
            ])),
        ))
    }

    /// `Fn::ImportValue`: a value another stack exported under `export_name`.
    ///
    /// Within one app, stackwright writes exports and imports itself when a token of one
    /// stack is used in another; this is for stacks managed elsewhere.
    pub fn import_value(export_name: impl Into<Value<String>>) -> Self {
        Value::from_expr(Expr::Call(
            "Fn::ImportValue",
            Box::new(export_name.into().expr),
        ))
    }
}

impl Value<String> {
    /// `Fn::Join`: the items of a list joined by `delimiter`.
    ///
    /// To put tokens inside a string, prefer [`cfn_format!`](crate::cfn_format), which writes
    /// the more readable `Fn::Sub`.
    pub fn join(delimiter: &str, list: impl Into<Value<Vec<String>>>) -> Self {
        Value::from_expr(Expr::Call(
            "Fn::Join",
            Box::new(Expr::List(vec![Expr::str(delimiter), list.into().expr])),
        ))
    }

    /// A string built from literal text and tokens, in order; written as `Fn::Sub`.
    pub fn concat(parts: impl IntoIterator<Item = Value<String>>) -> Self {
        Value::from_expr(Expr::Concat(parts.into_iter().map(|p| p.expr).collect()))
    }

    /// `Fn::Base64`, as EC2 user data needs.
    pub fn base64(self) -> Self {
        Value::from_expr(Expr::Call("Fn::Base64", Box::new(self.expr)))
    }

    /// A dynamic reference to a Secrets Manager secret, resolved by CloudFormation at deploy
    /// time and never stored in the template: `{{resolve:secretsmanager:ID:SecretString:KEY}}`.
    ///
    /// `secret_id` is usually the secret's ARN token; `json_key` picks a field of a JSON
    /// secret (`None` takes the whole string).
    pub fn secrets_manager_ref(
        secret_id: impl Into<Value<String>>,
        json_key: Option<&str>,
    ) -> Self {
        let tail = match json_key {
            Some(k) => format!(":SecretString:{k}}}}}"),
            None => ":SecretString}}".to_string(),
        };
        Value::concat([
            Value::from("{{resolve:secretsmanager:"),
            secret_id.into(),
            Value::from(tail),
        ])
    }

    /// A dynamic reference to an SSM parameter: `{{resolve:ssm:NAME}}`.
    pub fn ssm_ref(parameter_name: impl Into<Value<String>>) -> Self {
        Value::concat([
            Value::from("{{resolve:ssm:"),
            parameter_name.into(),
            Value::from("}}"),
        ])
    }
}

impl Value<String> {
    /// The compact JSON text of `expr`, with every token spliced in as a JSON string:
    /// for properties that take JSON as a string, such as a CloudWatch dashboard body.
    /// Written as `Fn::Sub`, or a plain string when `expr` holds no token.
    ///
    /// ```
    /// use stackwright_core::{Expr, Pseudo, Value};
    /// let body = Expr::object([("region", Expr::Pseudo(Pseudo::Region)), ("n", Expr::Int(1))]);
    /// let text = Value::<String>::json_text(&body);
    /// assert_eq!(
    ///     text.into_expr(),
    ///     Expr::Concat(vec![Expr::str("{\"region\":\""), Expr::Pseudo(Pseudo::Region), Expr::str("\",\"n\":1}")])
    /// );
    /// ```
    pub fn json_text(expr: &Expr) -> Value<String> {
        let mut parts = Vec::new();
        let mut text = String::new();
        write_json(expr, &mut parts, &mut text);
        if !text.is_empty() {
            parts.push(Expr::Str(text));
        }
        Value::from_expr(Expr::Concat(parts))
    }
}

fn write_json(e: &Expr, parts: &mut Vec<Expr>, text: &mut String) {
    use std::fmt::Write;
    match e {
        Expr::Bool(b) => text.push_str(if *b { "true" } else { "false" }),
        Expr::Int(i) => write!(text, "{i}").expect("writing to a String cannot fail"),
        Expr::Float(f) => text.push_str(
            &serde_json::Number::from_f64(*f).map_or_else(|| "null".to_string(), |n| n.to_string()),
        ),
        Expr::Str(s) => {
            text.push('"');
            escape_json_into(text, s);
            text.push('"');
        }
        Expr::List(items) => {
            text.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                write_json(item, parts, text);
            }
            text.push(']');
        }
        Expr::Object(map) => {
            text.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push('"');
                escape_json_into(text, k);
                text.push_str("\":");
                write_json(v, parts, text);
            }
            text.push('}');
        }
        Expr::Concat(items) => {
            text.push('"');
            for item in items {
                match item {
                    Expr::Str(s) => escape_json_into(text, s),
                    token => splice(token, parts, text),
                }
            }
            text.push('"');
        }
        token => {
            text.push('"');
            splice(token, parts, text);
            text.push('"');
        }
    }
}

/// Appends `s` escaped as serde_json escapes a string's contents: `"`, `\` and control
/// characters, nothing else.
fn escape_json_into(out: &mut String, s: &str) {
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        // Every byte that needs escaping is ASCII, so the runs are whole characters.
        out.push_str(&s[run..i]);
        run = i + 1;
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xF)]));
            }
        }
    }
    out.push_str(&s[run..]);
}

/// Ends the literal text so far and adds `token` as a part of its own.
fn splice(token: &Expr, parts: &mut Vec<Expr>, text: &mut String) {
    if !text.is_empty() {
        parts.push(Expr::Str(std::mem::take(text)));
    }
    parts.push(token.clone());
}

impl Value<Vec<String>> {
    /// `Fn::GetAZs` for the stack's region: the availability zones, as CloudFormation sees
    /// them at deploy time. Prefer this to hard-coded zone names.
    pub fn get_azs() -> Self {
        Value::from_expr(Expr::Call("Fn::GetAZs", Box::new(Expr::str(""))))
    }

    /// `Fn::Split`: a string cut at every `delimiter`.
    pub fn split(delimiter: &str, source: impl Into<Value<String>>) -> Self {
        Value::from_expr(Expr::Call(
            "Fn::Split",
            Box::new(Expr::List(vec![Expr::str(delimiter), source.into().expr])),
        ))
    }

    /// `Fn::Cidr`: `count` CIDR blocks of `host_bits` host bits carved from `ip_block`.
    pub fn cidr(ip_block: impl Into<Value<String>>, count: u32, host_bits: u32) -> Self {
        Value::from_expr(Expr::Call(
            "Fn::Cidr",
            Box::new(Expr::List(vec![
                ip_block.into().expr,
                Expr::Str(count.to_string()),
                Expr::Str(host_bits.to_string()),
            ])),
        ))
    }
}

/// Builds a `Value<String>` from a format string whose `{}` placeholders take values in
/// order; literal text and tokens alike. Written as `Fn::Sub`, or a plain string when every
/// argument is a literal. `{{` and `}}` stand for literal braces.
///
/// ```
/// use stackwright_core::{cfn_format, Value};
/// let v: Value<String> = cfn_format!("{}-{}", "app", Value::from("logs"));
/// assert_eq!(v.expr().as_literal_str().as_deref(), Some("app-logs"));
/// ```
#[macro_export]
macro_rules! cfn_format {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {
        $crate::value::format_parts($fmt, ::std::vec![$($crate::Value::<::std::string::String>::from($arg)),*])
    };
}

/// Splits a `{}` format string and interleaves `args`; the engine of [`cfn_format!`].
///
/// A placeholder count that does not match the arguments is a bug in the calling code, not
/// user input, and is caught by the tests of whoever writes it: surplus placeholders stay
/// literal text and surplus arguments are appended.
#[doc(hidden)]
pub fn format_parts(fmt: &str, args: Vec<Value<String>>) -> Value<String> {
    let mut parts = Vec::with_capacity(args.len() * 2 + 1);
    let mut args = args.into_iter();
    let mut text = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some('{')) | ('}', Some('}')) => {
                text.push(c);
                chars.next();
            }
            ('{', Some('}')) => {
                chars.next();
                match args.next() {
                    Some(arg) => {
                        if !text.is_empty() {
                            parts.push(Expr::Str(std::mem::take(&mut text)));
                        }
                        parts.push(arg.expr);
                    }
                    None => text.push_str("{}"),
                }
            }
            _ => text.push(c),
        }
    }
    if !text.is_empty() {
        parts.push(Expr::Str(text));
    }
    parts.extend(args.map(|a| a.expr));
    Value::from_expr(Expr::Concat(parts))
}

impl<T> Clone for Value<T> {
    fn clone(&self) -> Self {
        Value::from_expr(self.expr.clone())
    }
}

impl<T> fmt::Debug for Value<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl<T> PartialEq for Value<T> {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

impl<T: Literal> From<T> for Value<T> {
    fn from(v: T) -> Self {
        Value::from_expr(v.into_expr())
    }
}

impl<T> From<&Value<T>> for Value<T> {
    fn from(v: &Value<T>) -> Self {
        v.clone()
    }
}

impl Literal for String {
    fn into_expr(self) -> Expr {
        Expr::Str(self)
    }
}

impl Literal for bool {
    fn into_expr(self) -> Expr {
        Expr::Bool(self)
    }
}

impl Literal for i64 {
    fn into_expr(self) -> Expr {
        Expr::Int(self)
    }
}

impl Literal for f64 {
    fn into_expr(self) -> Expr {
        // Whole numbers print without a fraction, as CloudFormation writes them.
        if self.fract() == 0.0 && self.abs() < 9.0e15 {
            Expr::Int(self as i64)
        } else {
            Expr::Float(self)
        }
    }
}

impl From<&str> for Value<String> {
    fn from(s: &str) -> Self {
        Value::from_expr(Expr::str(s))
    }
}

impl From<&String> for Value<String> {
    fn from(s: &String) -> Self {
        Value::from_expr(Expr::str(s.as_str()))
    }
}

macro_rules! int_into_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<i64> {
            fn from(v: $t) -> Self {
                Value::from_expr(Expr::Int(v as i64))
            }
        }
        impl From<$t> for Value<f64> {
            fn from(v: $t) -> Self {
                Value::from_expr(Expr::Int(v as i64))
            }
        }
    )*};
}
int_into_value!(i32, u32, u16, u8, usize);

impl From<i64> for Value<f64> {
    fn from(v: i64) -> Self {
        Value::from_expr(Expr::Int(v))
    }
}

impl From<serde_json::Value> for Value<Json> {
    fn from(v: serde_json::Value) -> Self {
        Value::from_expr(Expr::from_json(v))
    }
}

impl From<Expr> for Value<Json> {
    fn from(e: Expr) -> Self {
        Value::from_expr(e)
    }
}

impl From<&str> for Value<Json> {
    fn from(s: &str) -> Self {
        Value::from_expr(Expr::str(s))
    }
}

impl From<Value<String>> for Value<Json> {
    fn from(v: Value<String>) -> Self {
        v.cast()
    }
}

impl<T, I: Into<Value<T>>> From<Vec<I>> for Value<Vec<T>> {
    fn from(items: Vec<I>) -> Self {
        Value::from_expr(Expr::List(
            items.into_iter().map(|i| i.into().expr).collect(),
        ))
    }
}

impl<T, I: Into<Value<T>>, const N: usize> From<[I; N]> for Value<Vec<T>> {
    fn from(items: [I; N]) -> Self {
        Value::from_expr(Expr::List(
            items.into_iter().map(|i| i.into().expr).collect(),
        ))
    }
}

impl<T, I: Into<Value<T>>> From<IndexMap<String, I>> for Value<Map<T>> {
    fn from(map: IndexMap<String, I>) -> Self {
        Value::from_expr(Expr::Object(
            map.into_iter().map(|(k, v)| (k, v.into().expr)).collect(),
        ))
    }
}

impl<T, I: Into<Value<T>>> From<BTreeMap<String, I>> for Value<Map<T>> {
    fn from(map: BTreeMap<String, I>) -> Self {
        Value::from_expr(Expr::Object(
            map.into_iter().map(|(k, v)| (k, v.into().expr)).collect(),
        ))
    }
}

impl<T, K: Into<String>, I: Into<Value<T>>, const N: usize> From<[(K, I); N]> for Value<Map<T>> {
    fn from(pairs: [(K, I); N]) -> Self {
        Value::from_expr(Expr::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into().expr))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_escapes_as_serde_json_does() {
        let strings = [
            "plain",
            "quote \" backslash \\ slash /",
            "tab\tnewline\ncr\r",
            "\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "grüße ☃ \u{1F600}",
        ];
        let expr = Expr::object(strings.iter().map(|s| {
            (
                *s,
                Expr::List(vec![Expr::str(*s), Expr::Int(-7), Expr::Bool(true)]),
            )
        }));
        let mut json = serde_json::Map::new();
        for s in strings {
            json.insert(s.to_string(), serde_json::json!([s, -7, true]));
        }
        let text = Value::<String>::json_text(&expr);
        assert_eq!(
            text.expr().as_literal_str().as_deref(),
            Some(serde_json::Value::Object(json).to_string().as_str())
        );
    }

    #[test]
    fn format_splits_literals_and_tokens() {
        let v = cfn_format!(
            "arn:{}:s3:::{}/*",
            Value::<String>::pseudo(Pseudo::Partition),
            "bucket"
        );
        assert_eq!(
            v.into_expr(),
            Expr::Concat(vec![
                Expr::str("arn:"),
                Expr::Pseudo(Pseudo::Partition),
                Expr::str(":s3:::"),
                Expr::str("bucket"),
                Expr::str("/*"),
            ])
        );
    }

    #[test]
    fn format_keeps_escaped_braces() {
        let v = cfn_format!("{{x}} {}", "y");
        assert_eq!(v.expr().as_literal_str().as_deref(), Some("{x} y"));
    }

    #[test]
    fn secret_reference_is_a_dynamic_reference() {
        let v = Value::secrets_manager_ref("arn:aws:secretsmanager:x", Some("password"));
        assert_eq!(
            v.expr().as_literal_str().as_deref(),
            Some("{{resolve:secretsmanager:arn:aws:secretsmanager:x:SecretString:password}}")
        );
    }

    #[test]
    fn whole_floats_are_written_as_integers() {
        assert_eq!(Value::from(80.0).into_expr(), Expr::Int(80));
        assert_eq!(Value::from(0.5).into_expr(), Expr::Float(0.5));
    }

    #[test]
    fn lists_take_mixed_literals_and_tokens() {
        let v: Value<Vec<String>> = vec![Value::from("a"), Value::pseudo(Pseudo::Region)].into();
        assert_eq!(
            v.into_expr(),
            Expr::List(vec![Expr::str("a"), Expr::Pseudo(Pseudo::Region)])
        );
    }
}
