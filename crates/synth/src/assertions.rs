//! Assertions on synthesized CloudFormation templates, for unit tests.
//!
//! A [`Template`] wraps the template of one stack (built from the construct tree with
//! [`Template::from_stack`], or read from JSON with [`Template::from_json`]) and offers
//! assertions in the spirit of `aws-cdk-lib/assertions`: count the resources of a type,
//! check that some resource has certain properties, find the resources that match, check
//! outputs, parameters, conditions and mappings. Each assertion panics with a report of what
//! was found, so that a failing test says why; each also has a `try_` form that returns a
//! [`MatchFailure`] instead, to compose checks.
//!
//! Expectations are [`Matcher`]s. Plain JSON converts into one with *object-like* semantics:
//! an object matches any object that has at least its keys (with matching values, at every
//! depth), and an array matches an array of the same length whose elements match one by
//! one. The special matchers ([`Matcher::absent`], [`Matcher::any_value`],
//! [`Matcher::array_with`], [`Matcher::not`], [`Matcher::serialized_json`], ...) nest inside
//! expectations through [`Matcher::object`] or, on top of a JSON literal, [`Matcher::with`].
//!
//! ```
//! use serde_json::json;
//! use stackwright_synth::assertions::{Matcher, Template};
//!
//! let template = Template::from_json(json!({
//!     "Resources": {
//!         "LogKey": { "Type": "AWS::KMS::Key", "Properties": { "EnableKeyRotation": true } },
//!         "AppLogs": {
//!             "Type": "AWS::Logs::LogGroup",
//!             "Properties": {
//!                 "KmsKeyId": { "Fn::GetAtt": ["LogKey", "Arn"] },
//!                 "RetentionInDays": 7,
//!                 "Tags": [{ "Key": "Project", "Value": "FlowViz" }]
//!             }
//!         }
//!     }
//! }));
//!
//! template.resource_count_is("AWS::Logs::LogGroup", 1);
//! template.has_resource_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": 7 }));
//! template.has_resource_properties(
//!     "AWS::Logs::LogGroup",
//!     Matcher::object([
//!         ("KmsKeyId", Matcher::any_value()),
//!         ("LogGroupName", Matcher::absent()),
//!         ("Tags", Matcher::array_with([json!({ "Key": "Project" })])),
//!     ]),
//! );
//! ```
//!
//! Paths in failure reports are JSON pointers (RFC 6901) from the root of what was matched:
//! the resource body for resource assertions (`/Properties/Tags/0/Value`), the whole
//! template for [`Template::template_matches`]. A `<json>` segment steps into a string that
//! [`Matcher::serialized_json`] parsed.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use indexmap::IndexMap;
use serde_json::{Map, Value};
use stackwright_core::{App, Diagnostics, Stack, StackArtifact};

use crate::{SynthError, synthesize};

/// How many of the closest candidates a failure report shows.
const SHOWN_CANDIDATES: usize = 3;
/// How many lines of a candidate's body a failure report shows.
const SHOWN_BODY_LINES: usize = 60;
/// How long a value or pattern gets in a one-line message before it is cut.
const SHORT_LEN: usize = 160;

// ---------------------------------------------------------------------------------------
// Matchers
// ---------------------------------------------------------------------------------------

/// An expectation on a JSON value: a pattern of literals and special matchers.
///
/// Build one from JSON (`json!({...}).into()`, object-like), with the constructors below,
/// or by combining both with [`Matcher::object`] and [`Matcher::with`]:
///
/// | constructor | matches |
/// |---|---|
/// | [`Matcher::object_like`] (and `From<serde_json::Value>`) | objects that have at least these keys, at every depth; arrays element-wise, same length |
/// | [`Matcher::exact`] | exactly this value: no extra keys at any depth |
/// | [`Matcher::object`] / [`Matcher::object_equals`] | an object whose listed keys match the given matchers (and, for `object_equals`, no other keys) |
/// | [`Matcher::array_equals`] | an array of the same length whose elements match one by one |
/// | [`Matcher::array_with`] | an array that contains elements matching these, in this order, not necessarily next to each other |
/// | [`Matcher::absent`] | a key that is not there |
/// | [`Matcher::any_value`] | a key that is there and not `null` |
/// | [`Matcher::not`] | anything the inner matcher rejects |
/// | [`Matcher::serialized_json`] | a string holding JSON that the inner matcher accepts |
///
/// Scalars (strings, numbers, booleans, `null`) match equal values; numbers compare by
/// value, so `7` matches `7.0`.
///
/// Unlike `aws-cdk-lib`, where a plain literal inside `arrayWith`, `not` or `serializedJson`
/// is matched exactly, plain JSON is object-like wherever it appears here; use
/// [`Matcher::exact`] where extra keys must fail.
///
/// ```
/// use serde_json::json;
/// use stackwright_synth::assertions::Matcher;
///
/// let statement = json!({ "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*" });
/// assert!(Matcher::from(json!({ "Effect": "Allow" })).matches(&statement));
/// assert!(!Matcher::exact(json!({ "Effect": "Allow" })).matches(&statement));
/// assert!(Matcher::object([("Condition", Matcher::absent())]).matches(&statement));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher(Kind);

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// A string, number, boolean or null: equal values match.
    Scalar(Value),
    /// An object with these keys; `partial` allows other keys.
    Object {
        fields: IndexMap<String, Matcher>,
        partial: bool,
    },
    /// An array: element-wise and of equal length, or (`subsequence`) containing matches for
    /// the items in order.
    Array {
        items: Vec<Matcher>,
        subsequence: bool,
    },
    Absent,
    AnyValue,
    Not(Box<Matcher>),
    SerializedJson(Box<Matcher>),
}

impl Matcher {
    /// Matches exactly `value`: objects must have the same keys at every depth, arrays the
    /// same length, scalars the same value.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let m = Matcher::exact(json!({ "Key": "Project", "Value": "FlowViz" }));
    /// assert!(m.matches(&json!({ "Value": "FlowViz", "Key": "Project" })));
    /// assert!(!m.matches(&json!({ "Key": "Project", "Value": "FlowViz", "Extra": 1 })));
    /// ```
    pub fn exact(value: impl Into<Value>) -> Matcher {
        Matcher::literal(value.into(), false)
    }

    /// Matches with subset semantics at every depth: an object matches any object that has
    /// at least its keys with matching values; an array matches an array of the same length
    /// whose elements match one by one (objects inside it again as subsets); scalars match
    /// equal values. This is what `From<serde_json::Value>` gives.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let m = Matcher::object_like(json!({ "Tags": [{ "Key": "Project" }] }));
    /// assert!(m.matches(&json!({ "Name": "a", "Tags": [{ "Key": "Project", "Value": "x" }] })));
    /// assert!(!m.matches(&json!({ "Tags": [{ "Key": "Project" }, { "Key": "Owner" }] })));
    /// ```
    pub fn object_like(value: impl Into<Value>) -> Matcher {
        Matcher::literal(value.into(), true)
    }

    /// Matches an object that has these keys, each matching its matcher (a matcher of
    /// [`Matcher::absent`] requires the key to be missing); other keys are allowed.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let m = Matcher::object([
    ///     ("BucketName", Matcher::any_value()),
    ///     ("VersioningConfiguration", json!({ "Status": "Enabled" }).into()),
    ///     ("WebsiteConfiguration", Matcher::absent()),
    /// ]);
    /// assert!(m.matches(&json!({
    ///     "BucketName": "logs",
    ///     "VersioningConfiguration": { "Status": "Enabled" },
    ///     "Tags": []
    /// })));
    /// ```
    pub fn object<K, M>(fields: impl IntoIterator<Item = (K, M)>) -> Matcher
    where
        K: Into<String>,
        M: Into<Matcher>,
    {
        Matcher(Kind::Object {
            fields: fields
                .into_iter()
                .map(|(k, m)| (k.into(), m.into()))
                .collect(),
            partial: true,
        })
    }

    /// Like [`Matcher::object`], but the object must have no keys other than these.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let m = Matcher::object_equals([("Ref", Matcher::any_value())]);
    /// assert!(m.matches(&json!({ "Ref": "Vpc" })));
    /// assert!(!m.matches(&json!({ "Ref": "Vpc", "Extra": true })));
    /// ```
    pub fn object_equals<K, M>(fields: impl IntoIterator<Item = (K, M)>) -> Matcher
    where
        K: Into<String>,
        M: Into<Matcher>,
    {
        let Kind::Object { fields, .. } = Matcher::object(fields).0 else {
            unreachable!("Matcher::object builds an object pattern")
        };
        Matcher(Kind::Object {
            fields,
            partial: false,
        })
    }

    /// Matches an array of exactly as many elements, each matching the matcher at its
    /// position.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let m = Matcher::array_equals([Matcher::any_value(), json!("b").into()]);
    /// assert!(m.matches(&json!(["a", "b"])));
    /// assert!(!m.matches(&json!(["a", "b", "c"])));
    /// ```
    pub fn array_equals<M: Into<Matcher>>(items: impl IntoIterator<Item = M>) -> Matcher {
        Matcher(Kind::Array {
            items: items.into_iter().map(Into::into).collect(),
            subsequence: false,
        })
    }

    /// Matches an array that contains, for each of these matchers in order, an element it
    /// accepts: the elements need not be next to each other, but they must come in this
    /// order, and each element serves one matcher only.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let actions = json!(["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"]);
    /// assert!(Matcher::array_with([json!("kms:Encrypt"), json!("kms:GenerateDataKey*")]).matches(&actions));
    /// assert!(!Matcher::array_with([json!("kms:Decrypt"), json!("kms:Encrypt")]).matches(&actions));
    /// ```
    pub fn array_with<M: Into<Matcher>>(items: impl IntoIterator<Item = M>) -> Matcher {
        Matcher(Kind::Array {
            items: items.into_iter().map(Into::into).collect(),
            subsequence: true,
        })
    }

    /// Matches a key that is not there. As the value of a key in an object pattern, it
    /// requires that key to be missing; anywhere else nothing matches it.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let m = Matcher::object([("DeletionPolicy", Matcher::absent())]);
    /// assert!(m.matches(&json!({ "Type": "AWS::S3::Bucket" })));
    /// assert!(!m.matches(&json!({ "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain" })));
    /// ```
    pub fn absent() -> Matcher {
        Matcher(Kind::Absent)
    }

    /// Matches any value that is there and is not `null`.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let m = Matcher::object([("KmsKeyId", Matcher::any_value())]);
    /// assert!(m.matches(&json!({ "KmsKeyId": { "Ref": "Key" } })));
    /// assert!(!m.matches(&json!({ "KmsKeyId": null })));
    /// assert!(!m.matches(&json!({})));
    /// ```
    pub fn any_value() -> Matcher {
        Matcher(Kind::AnyValue)
    }

    /// Matches whatever `matcher` rejects, including a missing key when `matcher` requires
    /// one (so `not(absent())` means "present").
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let m = Matcher::object([("Principal", Matcher::not(json!({ "AWS": "*" })))]);
    /// assert!(m.matches(&json!({ "Principal": { "Service": "logs.amazonaws.com" } })));
    /// assert!(!m.matches(&json!({ "Principal": { "AWS": "*" } })));
    /// ```
    pub fn not(matcher: impl Into<Matcher>) -> Matcher {
        Matcher(Kind::Not(Box::new(matcher.into())))
    }

    /// Matches a string that holds serialized JSON which `matcher` accepts: dashboard
    /// bodies, state machine definitions, policies written as strings.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let body = json!(r#"{"widgets":[{"type":"metric","width":12}]}"#);
    /// let m = Matcher::serialized_json(json!({ "widgets": [{ "type": "metric" }] }));
    /// assert!(m.matches(&body));
    /// ```
    pub fn serialized_json(matcher: impl Into<Matcher>) -> Matcher {
        Matcher(Kind::SerializedJson(Box::new(matcher.into())))
    }

    /// Puts `matcher` at `pointer` (a JSON pointer into this pattern, such as
    /// `/Tags/0/Value`), replacing what was there. Missing object keys on the way are
    /// created; array indexes must exist. The empty pointer replaces the whole pattern.
    ///
    /// This is how special matchers go deep into a JSON literal.
    ///
    /// # Panics
    ///
    /// When the pointer does not start with `/`, goes through a scalar or special matcher,
    /// or names an array index that the pattern does not have.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let m = Matcher::object_like(json!({
    ///     "Statement": [{ "Effect": "Allow", "Action": "sqs:SendMessage" }]
    /// }))
    /// .with("/Statement/0/Resource", Matcher::any_value())
    /// .with("/Statement/0/Condition", Matcher::absent());
    /// assert!(m.matches(&json!({
    ///     "Statement": [{ "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*" }]
    /// })));
    /// ```
    #[must_use]
    #[track_caller]
    pub fn with(mut self, pointer: &str, matcher: impl Into<Matcher>) -> Matcher {
        let matcher = matcher.into();
        if pointer.is_empty() {
            return matcher;
        }
        let Some(rest) = pointer.strip_prefix('/') else {
            panic!("Matcher::with: '{pointer}' is not a JSON pointer (it must start with '/')");
        };
        let mut node = &mut self;
        let mut walked = String::new();
        for raw in rest.split('/') {
            let segment = unescape_pointer(raw);
            node = match &mut node.0 {
                Kind::Object { fields, partial } => {
                    let partial = *partial;
                    fields.entry(segment).or_insert_with(|| {
                        Matcher(Kind::Object {
                            fields: IndexMap::new(),
                            partial,
                        })
                    })
                }
                Kind::Array { items, .. } => {
                    let len = items.len();
                    match segment.parse::<usize>() {
                        Ok(i) if i < len => &mut items[i],
                        _ => panic!(
                            "Matcher::with: '{pointer}': the array pattern at '{walked}' has {len} element(s), so '{segment}' is not an index in it"
                        ),
                    }
                }
                other => panic!(
                    "Matcher::with: '{pointer}': the pattern at '{walked}' is {}, which has nothing inside to replace",
                    Matcher(other.clone())
                ),
            };
            walked.push('/');
            walked.push_str(raw);
        }
        *node = matcher;
        self
    }

    /// Checks `actual` against this pattern; the failure lists every mismatch with its path.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Matcher;
    ///
    /// let failure = Matcher::from(json!({ "Status": "Enabled" }))
    ///     .check(&json!({ "Status": "Suspended" }))
    ///     .unwrap_err();
    /// assert_eq!(failure.mismatches()[0].to_string(), r#"at /Status: expected "Enabled", found "Suspended""#);
    /// ```
    pub fn check(&self, actual: &Value) -> Result<(), MatchFailure> {
        let mismatches = self.mismatches(actual);
        if mismatches.is_empty() {
            return Ok(());
        }
        Err(MatchFailure {
            summary: format!("the value does not match {}", short(self.to_string())),
            heading: "",
            candidates: vec![Candidate {
                id: None,
                construct_path: None,
                mismatches,
                body: None,
            }],
            others: 0,
        })
    }

    /// True when `actual` matches this pattern.
    pub fn matches(&self, actual: &Value) -> bool {
        self.mismatches(actual).is_empty()
    }

    /// Every place where `actual` differs from this pattern; empty when it matches.
    pub fn mismatches(&self, actual: &Value) -> Vec<Mismatch> {
        let mut out = Vec::new();
        self.test(Some(actual), &mut String::new(), &mut out);
        out
    }

    fn literal(value: Value, partial: bool) -> Matcher {
        Matcher(match value {
            Value::Object(map) => Kind::Object {
                fields: map
                    .into_iter()
                    .map(|(k, v)| (k, Matcher::literal(v, partial)))
                    .collect(),
                partial,
            },
            Value::Array(items) => Kind::Array {
                items: items
                    .into_iter()
                    .map(|v| Matcher::literal(v, partial))
                    .collect(),
                subsequence: false,
            },
            scalar => Kind::Scalar(scalar),
        })
    }

    /// Tests `actual` (`None` for a missing key) and appends mismatches under `path`.
    fn test(&self, actual: Option<&Value>, path: &mut String, out: &mut Vec<Mismatch>) {
        let mut fail = |path: &str, message: String| {
            out.push(Mismatch {
                path: path.to_string(),
                message,
            })
        };
        match (&self.0, actual) {
            (Kind::Absent, None) => {}
            (Kind::Absent, Some(a)) => fail(path, format!("expected absent, found {}", show(a))),
            (Kind::Not(inner), _) => {
                let mut inner_out = Vec::new();
                inner.test(actual, path, &mut inner_out);
                if inner_out.is_empty() {
                    let found = actual.map_or_else(|| "nothing (missing)".to_string(), show);
                    fail(
                        path,
                        format!(
                            "expected anything but {}, found {found}",
                            short(inner.to_string())
                        ),
                    );
                }
            }
            (_, None) => fail(
                path,
                format!("missing (expected {})", short(self.to_string())),
            ),
            (Kind::AnyValue, Some(Value::Null)) => {
                fail(path, "expected any value, found null".to_string())
            }
            (Kind::AnyValue, Some(_)) => {}
            (Kind::Scalar(expected), Some(a)) => {
                if !same_scalar(expected, a) {
                    fail(
                        path,
                        format!("expected {}, found {}", show(expected), show(a)),
                    );
                }
            }
            (Kind::SerializedJson(inner), Some(a)) => {
                let Value::String(s) = a else {
                    fail(
                        path,
                        format!("expected a string of serialized JSON, found {}", show(a)),
                    );
                    return;
                };
                match serde_json::from_str::<Value>(s) {
                    Ok(parsed) => {
                        let len = path.len();
                        path.push_str("/<json>");
                        inner.test(Some(&parsed), path, out);
                        path.truncate(len);
                    }
                    Err(e) => fail(
                        path,
                        format!(
                            "expected a string of serialized JSON, found {}, which does not parse: {e}",
                            show(a)
                        ),
                    ),
                }
            }
            (Kind::Object { fields, partial }, Some(a)) => {
                let Value::Object(obj) = a else {
                    fail(path, format!("expected an object, found {}", show(a)));
                    return;
                };
                for (key, m) in fields {
                    let len = push_segment(path, key);
                    m.test(obj.get(key), path, out);
                    path.truncate(len);
                }
                if !partial {
                    for (key, v) in obj {
                        if !fields.contains_key(key) {
                            let len = push_segment(path, key);
                            out.push(Mismatch {
                                path: path.clone(),
                                message: format!("unexpected key, with value {}", show(v)),
                            });
                            path.truncate(len);
                        }
                    }
                }
            }
            (Kind::Array { items, subsequence }, Some(a)) => {
                let Value::Array(arr) = a else {
                    fail(path, format!("expected an array, found {}", show(a)));
                    return;
                };
                if *subsequence {
                    test_subsequence(items, arr, path, out);
                } else if items.len() != arr.len() {
                    fail(
                        path,
                        format!(
                            "expected an array of {} element(s), found {} element(s): {}",
                            items.len(),
                            arr.len(),
                            show(a)
                        ),
                    );
                } else {
                    for (i, (m, v)) in items.iter().zip(arr).enumerate() {
                        let len = push_segment(path, &i.to_string());
                        m.test(Some(v), path, out);
                        path.truncate(len);
                    }
                }
            }
        }
    }
}

/// Greedy subsequence matching: each pattern item takes the first element after the one
/// the previous item took. Greedy is optimal here, since taking an earlier element never
/// leaves fewer choices for the items after it.
fn test_subsequence(items: &[Matcher], arr: &[Value], path: &mut String, out: &mut Vec<Mismatch>) {
    let mut cursor = 0;
    for (i, m) in items.iter().enumerate() {
        let mut closest: Option<(usize, Vec<Mismatch>)> = None;
        let mut found = None;
        for (j, v) in arr.iter().enumerate().skip(cursor) {
            let mut sub = Vec::new();
            let len = push_segment(path, &j.to_string());
            m.test(Some(v), path, &mut sub);
            path.truncate(len);
            if sub.is_empty() {
                found = Some(j);
                break;
            }
            if closest.as_ref().is_none_or(|(_, c)| sub.len() < c.len()) {
                closest = Some((j, sub));
            }
        }
        if let Some(j) = found {
            cursor = j + 1;
            continue;
        }
        let from = if cursor == 0 {
            String::new()
        } else {
            format!(" from index {cursor} on")
        };
        let mut message = format!(
            "array_with: no element{from} matches item {i} of the pattern, {}",
            short(m.to_string())
        );
        if let Some((j, sub)) = closest {
            let details: Vec<String> = sub.iter().take(3).map(Mismatch::to_string).collect();
            let more = if sub.len() > 3 {
                format!("; and {} more", sub.len() - 3)
            } else {
                String::new()
            };
            message.push_str(&format!(
                "; the closest is element {j}: {}{more}",
                details.join("; ")
            ));
        } else {
            message.push_str(&format!("; the array has {} element(s)", arr.len()));
        }
        out.push(Mismatch {
            path: path.clone(),
            message,
        });
        return;
    }
}

fn same_scalar(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => e == a || e.as_f64() == a.as_f64(),
        _ => expected == actual,
    }
}

/// Appends `/segment` (escaped) to `path`, returning the length to truncate back to.
fn push_segment(path: &mut String, segment: &str) -> usize {
    let len = path.len();
    path.push('/');
    path.push_str(&segment.replace('~', "~0").replace('/', "~1"));
    len
}

fn unescape_pointer(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// A value as compact JSON, cut to a readable length.
fn show(v: &Value) -> String {
    short(v.to_string())
}

fn short(s: String) -> String {
    if s.chars().count() <= SHORT_LEN {
        return s;
    }
    let mut cut: String = s.chars().take(SHORT_LEN).collect();
    cut.push('…');
    cut
}

/// Shows the pattern in a JSON-like notation: `{"Key": "a", ..}` for an object that allows
/// other keys, `array_with([...])`, `absent()`, `any_value()`, `not(...)`,
/// `serialized_json(...)`.
impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Scalar(v) => write!(f, "{v}"),
            Kind::Object { fields, partial } => {
                f.write_str("{")?;
                for (i, (k, m)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {m}", Value::String(k.clone()))?;
                }
                if *partial {
                    f.write_str(if fields.is_empty() { ".." } else { ", .." })?;
                }
                f.write_str("}")
            }
            Kind::Array { items, subsequence } => {
                if *subsequence {
                    f.write_str("array_with(")?;
                }
                f.write_str("[")?;
                for (i, m) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{m}")?;
                }
                f.write_str("]")?;
                if *subsequence {
                    f.write_str(")")?;
                }
                Ok(())
            }
            Kind::Absent => f.write_str("absent()"),
            Kind::AnyValue => f.write_str("any_value()"),
            Kind::Not(m) => write!(f, "not({m})"),
            Kind::SerializedJson(m) => write!(f, "serialized_json({m})"),
        }
    }
}

/// JSON converts with object-like semantics (see [`Matcher::object_like`]).
impl From<Value> for Matcher {
    fn from(value: Value) -> Self {
        Matcher::object_like(value)
    }
}

/// JSON converts with object-like semantics (see [`Matcher::object_like`]).
impl From<&Value> for Matcher {
    fn from(value: &Value) -> Self {
        Matcher::object_like(value.clone())
    }
}

macro_rules! scalar_matchers {
    ($($t:ty),*) => {$(
        /// Matches an equal scalar.
        impl From<$t> for Matcher {
            fn from(value: $t) -> Self {
                Matcher::exact(value)
            }
        }
    )*};
}
scalar_matchers!(&str, String, bool, i32, i64, u32, u64, f64);

// ---------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------

/// One place where a value differs from the pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where, as a JSON pointer from the root of what was matched (`/Properties/Tags/0/Value`);
    /// empty for the root itself.
    pub path: String,
    /// What differs: `expected "x", found "y"`, `missing (expected ...)`, ...
    pub message: String,
}

/// `at /Properties/Tags/0/Value: expected "x", found "y"`.
impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "at the root: {}", self.message)
        } else {
            write!(f, "at {}: {}", self.path, self.message)
        }
    }
}

/// Why an assertion failed: what was looked for, and for the closest candidates, every
/// mismatch. Its `Display` is the report the panicking assertions print.
#[derive(Debug, Clone)]
pub struct MatchFailure {
    summary: String,
    /// What the candidates are, in the report ("closest", "does not match").
    heading: &'static str,
    candidates: Vec<Candidate>,
    /// Candidates left out of the report.
    others: usize,
}

#[derive(Debug, Clone)]
struct Candidate {
    /// Logical id, when the candidate is a template element.
    id: Option<String>,
    construct_path: Option<String>,
    mismatches: Vec<Mismatch>,
    body: Option<Value>,
}

impl MatchFailure {
    /// The first line of the report: what was looked for and what was found.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// The mismatches of the closest candidate (the first one reported); empty when there
    /// was no candidate at all, such as no resource of the type.
    pub fn mismatches(&self) -> &[Mismatch] {
        self.candidates
            .first()
            .map_or(&[], |c| c.mismatches.as_slice())
    }

    /// The logical id of the closest candidate, when the failure is about template elements.
    pub fn closest_id(&self) -> Option<&str> {
        self.candidates.first().and_then(|c| c.id.as_deref())
    }

    fn summary_only(summary: String) -> MatchFailure {
        MatchFailure {
            summary,
            heading: "",
            candidates: Vec::new(),
            others: 0,
        }
    }
}

impl fmt::Display for MatchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)?;
        for c in &self.candidates {
            f.write_str("\n")?;
            let n = c.mismatches.len();
            let plural = if n == 1 { "" } else { "es" };
            match &c.id {
                Some(id) => {
                    write!(f, "{} '{id}'", self.heading)?;
                    if let Some(p) = &c.construct_path {
                        write!(f, " ({p})")?;
                    }
                    writeln!(f, ", {n} mismatch{plural}:")?;
                }
                None => writeln!(f, "{n} mismatch{plural}:")?,
            }
            for m in &c.mismatches {
                writeln!(f, "    {m}")?;
            }
            if let Some(body) = &c.body {
                f.write_str("  its body:\n")?;
                let pretty = serde_json::to_string_pretty(body).unwrap_or_default();
                let lines: Vec<&str> = pretty.lines().collect();
                for line in lines.iter().take(SHOWN_BODY_LINES) {
                    writeln!(f, "    {line}")?;
                }
                if lines.len() > SHOWN_BODY_LINES {
                    writeln!(f, "    … ({} more lines)", lines.len() - SHOWN_BODY_LINES)?;
                }
            }
        }
        if self.others > 0 {
            write!(f, "\n({} more candidate(s) not shown)", self.others)?;
        }
        Ok(())
    }
}

impl std::error::Error for MatchFailure {}

// ---------------------------------------------------------------------------------------
// Template
// ---------------------------------------------------------------------------------------

/// The CloudFormation template of one stack, to assert on in tests.
///
/// ```
/// use serde_json::json;
/// use stackwright_synth::assertions::{Matcher, Template};
///
/// let template = Template::from_json(json!({
///     "Resources": {
///         "Queue": {
///             "Type": "AWS::SQS::Queue",
///             "Properties": { "VisibilityTimeout": 300 },
///             "DeletionPolicy": "Retain"
///         }
///     },
///     "Outputs": { "QueueUrl": { "Value": { "Ref": "Queue" } } }
/// }));
/// template.resource_count_is("AWS::SQS::Queue", 1);
/// template.has_resource("AWS::SQS::Queue", json!({ "DeletionPolicy": "Retain" }));
/// template.has_output("*", json!({ "Value": { "Ref": "Queue" } }));
/// assert!(template.try_has_resource_properties("AWS::SQS::Queue", json!({ "VisibilityTimeout": 30 })).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Template {
    json: Value,
    /// Construct paths by logical id, when the template was built from a stack.
    paths: IndexMap<String, String>,
    /// Warnings and notes of synth, when the template was built from a stack.
    diagnostics: Diagnostics,
}

/// What a resource assertion matches the expectation against.
#[derive(Clone, Copy)]
enum Target {
    /// The whole body: `Type`, `Properties`, `DependsOn`, ...
    Body,
    /// `Properties`, read as `{}` when the resource has none.
    Properties,
}

/// The outcome of matching the elements of one template section.
struct Search<'a> {
    matched: Vec<(&'a String, &'a Value)>,
    failed: Vec<Candidate>,
}

impl Template {
    /// The template of `stack`, synthesized with every other stack of its app (so that
    /// references between stacks become exports and imports, as they will deploy) and
    /// validated as `synth` validates it; warnings stay available in
    /// [`Template::diagnostics`].
    ///
    /// # Panics
    ///
    /// When synth reports errors (a missing required property, a value outside its schema
    /// rules, a logical id collision, a bad reference, a cycle between stacks): the panic
    /// lists them all, since the template would not deploy as written.
    #[track_caller]
    pub fn from_stack(stack: &Stack) -> Template {
        let name = stack.name();
        let synthesized = match synthesize(&App::of(stack)) {
            Ok(s) => s,
            Err(SynthError::Invalid(diagnostics)) => panic!(
                "Template::from_stack(\"{name}\"): synth found errors, so the templates are not what would deploy:\n{diagnostics}"
            ),
            Err(e) => panic!("Template::from_stack(\"{name}\"): {e}"),
        };
        match synthesized.stacks.iter().find(|s| s.name == name) {
            Some(artifact) => Template {
                diagnostics: synthesized.diagnostics.clone(),
                ..Template::from_artifact(artifact)
            },
            None => panic!("Template::from_stack(\"{name}\"): synth made no stack of that name"),
        }
    }

    /// The template of an already built stack (not validated).
    pub fn from_artifact(artifact: &StackArtifact) -> Template {
        Template {
            json: artifact.template.clone(),
            paths: artifact
                .resources
                .iter()
                .map(|(id, info)| (id.clone(), info.path.clone()))
                .collect(),
            diagnostics: Diagnostics::default(),
        }
    }

    /// A template given as JSON, such as one read from a file (see also the [`FromStr`]
    /// implementation, for the text of one).
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Resources": {} }));
    /// template.resource_count_is("AWS::S3::Bucket", 0);
    /// ```
    pub fn from_json(template: Value) -> Template {
        Template {
            json: template,
            paths: IndexMap::new(),
            diagnostics: Diagnostics::default(),
        }
    }

    /// The template as JSON, for snapshots and checks of your own.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// The warnings and notes synth reported for the whole app, when the template comes
    /// from [`Template::from_stack`] (errors make it panic instead); empty otherwise.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }

    /// Asserts that the template has exactly `count` resources of type `type_name`.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Resources": {
    ///     "A": { "Type": "AWS::SNS::Topic" },
    ///     "B": { "Type": "AWS::SNS::Topic" }
    /// }}));
    /// template.resource_count_is("AWS::SNS::Topic", 2);
    /// template.resource_count_is("AWS::SQS::Queue", 0);
    /// ```
    ///
    /// # Panics
    ///
    /// When the count differs, naming the resources found.
    #[track_caller]
    pub fn resource_count_is(&self, type_name: &str, count: usize) {
        or_panic(self.try_resource_count_is(type_name, count));
    }

    /// [`Template::resource_count_is`], returning the failure.
    pub fn try_resource_count_is(&self, type_name: &str, count: usize) -> Result<(), MatchFailure> {
        let found: Vec<&String> = self
            .resources_of_type(type_name)
            .map(|(id, _)| id)
            .collect();
        if found.len() == count {
            return Ok(());
        }
        Err(MatchFailure::summary_only(format!(
            "expected {count} resource(s) of type '{type_name}', found {}{}",
            found.len(),
            list_ids(&found)
        )))
    }

    /// Asserts that exactly `count` resources of type `type_name` have properties matching
    /// `expected` (as in [`Template::has_resource_properties`]).
    ///
    /// # Panics
    ///
    /// When the count differs, naming the resources that match.
    #[track_caller]
    pub fn resource_properties_count_is(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
        count: usize,
    ) {
        or_panic(self.try_resource_properties_count_is(type_name, expected, count));
    }

    /// [`Template::resource_properties_count_is`], returning the failure.
    pub fn try_resource_properties_count_is(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
        count: usize,
    ) -> Result<(), MatchFailure> {
        let expected = expected.into();
        let search = self.search_resources(type_name, &expected, Target::Properties);
        if search.matched.len() == count {
            return Ok(());
        }
        let ids: Vec<&String> = search.matched.iter().map(|(id, _)| *id).collect();
        Err(MatchFailure::summary_only(format!(
            "expected {count} resource(s) of type '{type_name}' with properties matching {}, found {}{}",
            short(expected.to_string()),
            ids.len(),
            list_ids(&ids)
        )))
    }

    /// Asserts that some resource of type `type_name` has `Properties` matching `expected`
    /// (plain JSON is matched as a subset, see [`Matcher::object_like`]). A resource without
    /// `Properties` is read as having `{}`, unless `expected` is [`Matcher::absent`], which
    /// asserts that some resource of the type has no `Properties` at all.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::{Matcher, Template};
    ///
    /// let template = Template::from_json(json!({ "Resources": { "Bucket": {
    ///     "Type": "AWS::S3::Bucket",
    ///     "Properties": {
    ///         "BucketEncryption": { "ServerSideEncryptionConfiguration": [
    ///             { "ServerSideEncryptionByDefault": { "SSEAlgorithm": "aws:kms" } }
    ///         ]},
    ///         "Tags": [{ "Key": "Project", "Value": "FlowViz" }]
    ///     }
    /// }}}));
    /// template.has_resource_properties("AWS::S3::Bucket", json!({
    ///     "BucketEncryption": { "ServerSideEncryptionConfiguration": [
    ///         { "ServerSideEncryptionByDefault": { "SSEAlgorithm": "aws:kms" } }
    ///     ]}
    /// }));
    ///
    /// let failure = template
    ///     .try_has_resource_properties("AWS::S3::Bucket", json!({ "Tags": [{ "Value": "Other" }] }))
    ///     .unwrap_err();
    /// assert!(failure.to_string().contains(r#"at /Properties/Tags/0/Value: expected "Other", found "FlowViz""#));
    /// ```
    ///
    /// # Panics
    ///
    /// When no resource matches: the report shows, for the closest resources, every path
    /// that differs, and their bodies.
    #[track_caller]
    pub fn has_resource_properties(&self, type_name: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_resource_properties(type_name, expected));
    }

    /// [`Template::has_resource_properties`], returning the failure.
    pub fn try_has_resource_properties(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_resource_in(type_name, &expected.into(), Target::Properties)
    }

    /// Asserts that some resource of type `type_name` has a body (`Type`, `Properties`,
    /// `DependsOn`, `DeletionPolicy`, `Condition`, `Metadata`, ...) matching `expected`.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::{Matcher, Template};
    ///
    /// let template = Template::from_json(json!({ "Resources": { "Db": {
    ///     "Type": "AWS::RDS::DBInstance",
    ///     "Properties": { "Engine": "postgres" },
    ///     "DeletionPolicy": "Snapshot",
    ///     "UpdateReplacePolicy": "Snapshot"
    /// }}}));
    /// template.has_resource("AWS::RDS::DBInstance", json!({
    ///     "DeletionPolicy": "Snapshot",
    ///     "Properties": { "Engine": "postgres" }
    /// }));
    /// template.has_resource("AWS::RDS::DBInstance", Matcher::object([("DependsOn", Matcher::absent())]));
    /// ```
    ///
    /// # Panics
    ///
    /// When no resource matches, with the report of [`Template::has_resource_properties`].
    #[track_caller]
    pub fn has_resource(&self, type_name: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_resource(type_name, expected));
    }

    /// [`Template::has_resource`], returning the failure.
    pub fn try_has_resource(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_resource_in(type_name, &expected.into(), Target::Body)
    }

    /// The resources of type `type_name` whose body matches `expected`, by logical id, in
    /// template order. Pass `Matcher::any_value()` (or `json!({})`) for all of them.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::{Matcher, Template};
    ///
    /// let template = Template::from_json(json!({ "Resources": {
    ///     "Public": { "Type": "AWS::EC2::Subnet", "Properties": { "MapPublicIpOnLaunch": true } },
    ///     "Private": { "Type": "AWS::EC2::Subnet", "Properties": { "MapPublicIpOnLaunch": false } }
    /// }}));
    /// let public = template.find_resources("AWS::EC2::Subnet", json!({
    ///     "Properties": { "MapPublicIpOnLaunch": true }
    /// }));
    /// assert_eq!(public.keys().collect::<Vec<_>>(), ["Public"]);
    /// assert_eq!(template.find_resources("AWS::EC2::Subnet", Matcher::any_value()).len(), 2);
    /// ```
    pub fn find_resources(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
    ) -> IndexMap<String, Value> {
        owned(
            self.search_resources(type_name, &expected.into(), Target::Body)
                .matched,
        )
    }

    /// Asserts that there is at least one resource of type `type_name` and that every one
    /// has a body matching `expected`.
    ///
    /// # Panics
    ///
    /// When there is none, or some do not match (the report shows them).
    #[track_caller]
    pub fn all_resources(&self, type_name: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_all_resources(type_name, expected));
    }

    /// [`Template::all_resources`], returning the failure.
    pub fn try_all_resources(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.all_resources_in(type_name, &expected.into(), Target::Body)
    }

    /// Asserts that there is at least one resource of type `type_name` and that every one
    /// has `Properties` matching `expected` (as in [`Template::has_resource_properties`]).
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Resources": {
    ///     "A": { "Type": "AWS::Logs::LogGroup", "Properties": { "RetentionInDays": 30 } },
    ///     "B": { "Type": "AWS::Logs::LogGroup", "Properties": { "RetentionInDays": 30, "LogGroupName": "b" } }
    /// }}));
    /// template.all_resources_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": 30 }));
    /// ```
    ///
    /// # Panics
    ///
    /// When there is none, or some do not match (the report shows them).
    #[track_caller]
    pub fn all_resources_properties(&self, type_name: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_all_resources_properties(type_name, expected));
    }

    /// [`Template::all_resources_properties`], returning the failure.
    pub fn try_all_resources_properties(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.all_resources_in(type_name, &expected.into(), Target::Properties)
    }

    /// Asserts that the output `logical_id` (or, with `"*"`, some output) matches
    /// `expected`; an output's body holds `Value`, and maybe `Description`, `Export` and
    /// `Condition`.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Outputs": {
    ///     "ApiUrl": { "Value": "https://api.example.com", "Export": { "Name": "ApiUrl" } }
    /// }}));
    /// template.has_output("ApiUrl", json!({ "Export": { "Name": "ApiUrl" } }));
    /// template.has_output("*", json!({ "Value": "https://api.example.com" }));
    /// ```
    ///
    /// # Panics
    ///
    /// When no such output matches, with the closest ones.
    #[track_caller]
    pub fn has_output(&self, logical_id: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_output(logical_id, expected));
    }

    /// [`Template::has_output`], returning the failure.
    pub fn try_has_output(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_in_section("Outputs", "output", logical_id, &expected.into())
    }

    /// The outputs named `logical_id` (every output, with `"*"`) that match `expected`.
    pub fn find_outputs(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> IndexMap<String, Value> {
        owned(
            self.search_section("Outputs", logical_id, &expected.into())
                .matched,
        )
    }

    /// Asserts that the parameter `logical_id` (or, with `"*"`, some parameter) matches
    /// `expected`.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Parameters": {
    ///     "InstanceType": { "Type": "String", "Default": "t3.medium" }
    /// }}));
    /// template.has_parameter("InstanceType", json!({ "Default": "t3.medium" }));
    /// ```
    ///
    /// # Panics
    ///
    /// When no such parameter matches, with the closest ones.
    #[track_caller]
    pub fn has_parameter(&self, logical_id: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_parameter(logical_id, expected));
    }

    /// [`Template::has_parameter`], returning the failure.
    pub fn try_has_parameter(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_in_section("Parameters", "parameter", logical_id, &expected.into())
    }

    /// The parameters named `logical_id` (every parameter, with `"*"`) that match `expected`.
    pub fn find_parameters(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> IndexMap<String, Value> {
        owned(
            self.search_section("Parameters", logical_id, &expected.into())
                .matched,
        )
    }

    /// Asserts that the condition `logical_id` (or, with `"*"`, some condition) matches
    /// `expected`.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Conditions": {
    ///     "IsProd": { "Fn::Equals": [{ "Ref": "Stage" }, "prod"] }
    /// }}));
    /// template.has_condition("IsProd", json!({ "Fn::Equals": [{ "Ref": "Stage" }, "prod"] }));
    /// ```
    ///
    /// # Panics
    ///
    /// When no such condition matches, with the closest ones.
    #[track_caller]
    pub fn has_condition(&self, logical_id: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_condition(logical_id, expected));
    }

    /// [`Template::has_condition`], returning the failure.
    pub fn try_has_condition(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_in_section("Conditions", "condition", logical_id, &expected.into())
    }

    /// The conditions named `logical_id` (every condition, with `"*"`) that match `expected`.
    pub fn find_conditions(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> IndexMap<String, Value> {
        owned(
            self.search_section("Conditions", logical_id, &expected.into())
                .matched,
        )
    }

    /// Asserts that the mapping `logical_id` (or, with `"*"`, some mapping) matches
    /// `expected`.
    ///
    /// # Panics
    ///
    /// When no such mapping matches, with the closest ones.
    #[track_caller]
    pub fn has_mapping(&self, logical_id: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_mapping(logical_id, expected));
    }

    /// [`Template::has_mapping`], returning the failure.
    pub fn try_has_mapping(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_in_section("Mappings", "mapping", logical_id, &expected.into())
    }

    /// The mappings named `logical_id` (every mapping, with `"*"`) that match `expected`.
    pub fn find_mappings(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> IndexMap<String, Value> {
        owned(
            self.search_section("Mappings", logical_id, &expected.into())
                .matched,
        )
    }

    /// Asserts that the whole template matches `expected` (plain JSON as a subset: list the
    /// sections, elements and properties that matter; use [`Matcher::exact`] for all).
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_synth::assertions::Template;
    ///
    /// let template = Template::from_json(json!({
    ///     "AWSTemplateFormatVersion": "2010-09-09",
    ///     "Resources": { "Topic": { "Type": "AWS::SNS::Topic", "Properties": { "TopicName": "alerts" } } }
    /// }));
    /// template.template_matches(json!({
    ///     "Resources": { "Topic": { "Properties": { "TopicName": "alerts" } } }
    /// }));
    /// ```
    ///
    /// # Panics
    ///
    /// When it does not match, listing every mismatch with its path from the template root.
    #[track_caller]
    pub fn template_matches(&self, expected: impl Into<Matcher>) {
        or_panic(self.try_template_matches(expected));
    }

    /// [`Template::template_matches`], returning the failure.
    pub fn try_template_matches(&self, expected: impl Into<Matcher>) -> Result<(), MatchFailure> {
        let expected = expected.into();
        let mismatches = expected.mismatches(&self.json);
        if mismatches.is_empty() {
            return Ok(());
        }
        Err(MatchFailure {
            summary: format!(
                "the template does not match {}",
                short(expected.to_string())
            ),
            heading: "",
            candidates: vec![Candidate {
                id: None,
                construct_path: None,
                mismatches,
                body: None,
            }],
            others: 0,
        })
    }

    // -- internals ---------------------------------------------------------------------

    fn section(&self, name: &str) -> Option<&Map<String, Value>> {
        self.json.get(name).and_then(Value::as_object)
    }

    fn resources_of_type<'a>(
        &'a self,
        type_name: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
        self.section("Resources")
            .into_iter()
            .flatten()
            .filter(move |(_, body)| body.get("Type").and_then(Value::as_str) == Some(type_name))
    }

    fn search_resources<'a>(
        &'a self,
        type_name: &'a str,
        expected: &Matcher,
        target: Target,
    ) -> Search<'a> {
        let (matcher, fill_properties) = match target {
            Target::Body => (Cow::Borrowed(expected), false),
            Target::Properties => (
                Cow::Owned(Matcher::object([("Properties", expected.clone())])),
                expected.0 != Kind::Absent,
            ),
        };
        self.search(self.resources_of_type(type_name), &matcher, fill_properties)
    }

    fn search_section<'a>(
        &'a self,
        section: &str,
        logical_id: &'a str,
        expected: &Matcher,
    ) -> Search<'a> {
        let elements = self
            .section(section)
            .into_iter()
            .flatten()
            .filter(move |(id, _)| logical_id == "*" || id.as_str() == logical_id);
        self.search(elements, expected, false)
    }

    fn search<'a>(
        &'a self,
        elements: impl Iterator<Item = (&'a String, &'a Value)>,
        matcher: &Matcher,
        fill_properties: bool,
    ) -> Search<'a> {
        let mut search = Search {
            matched: Vec::new(),
            failed: Vec::new(),
        };
        for (id, body) in elements {
            let view = if fill_properties && body.is_object() && body.get("Properties").is_none() {
                let mut filled = body.clone();
                filled["Properties"] = Value::Object(Map::new());
                Cow::Owned(filled)
            } else {
                Cow::Borrowed(body)
            };
            let mismatches = matcher.mismatches(&view);
            if mismatches.is_empty() {
                search.matched.push((id, body));
            } else {
                search.failed.push(Candidate {
                    id: Some(id.clone()),
                    construct_path: self.paths.get(id).cloned(),
                    mismatches,
                    body: Some(body.clone()),
                });
            }
        }
        search
    }

    fn has_resource_in(
        &self,
        type_name: &str,
        expected: &Matcher,
        target: Target,
    ) -> Result<(), MatchFailure> {
        let search = self.search_resources(type_name, expected, target);
        if !search.matched.is_empty() {
            return Ok(());
        }
        if search.failed.is_empty() {
            return Err(MatchFailure::summary_only(
                self.no_resource_of_type(type_name),
            ));
        }
        let what = match target {
            Target::Body => "body",
            Target::Properties => "properties",
        };
        let summary = format!(
            "the template has {} resource(s) of type '{type_name}', but none with {what} matching {}",
            search.failed.len(),
            short(expected.to_string())
        );
        Err(closest(summary, search.failed))
    }

    fn all_resources_in(
        &self,
        type_name: &str,
        expected: &Matcher,
        target: Target,
    ) -> Result<(), MatchFailure> {
        let search = self.search_resources(type_name, expected, target);
        if search.failed.is_empty() && !search.matched.is_empty() {
            return Ok(());
        }
        if search.failed.is_empty() {
            return Err(MatchFailure::summary_only(
                self.no_resource_of_type(type_name),
            ));
        }
        let what = match target {
            Target::Body => "bodies",
            Target::Properties => "properties",
        };
        let total = search.failed.len() + search.matched.len();
        let summary = format!(
            "{} of the {total} resource(s) of type '{type_name}' have {what} that do not match {}",
            search.failed.len(),
            short(expected.to_string())
        );
        let others = search.failed.len().saturating_sub(SHOWN_CANDIDATES);
        let mut candidates = search.failed;
        candidates.truncate(SHOWN_CANDIDATES);
        Err(MatchFailure {
            summary,
            heading: "not matching:",
            candidates,
            others,
        })
    }

    fn has_in_section(
        &self,
        section: &str,
        noun: &str,
        logical_id: &str,
        expected: &Matcher,
    ) -> Result<(), MatchFailure> {
        let search = self.search_section(section, logical_id, expected);
        if !search.matched.is_empty() {
            return Ok(());
        }
        if search.failed.is_empty() {
            let ids: Vec<&String> = self
                .section(section)
                .into_iter()
                .flatten()
                .map(|(id, _)| id)
                .collect();
            let wanted = if logical_id == "*" {
                format!("the template has no {noun}s")
            } else {
                format!("the template has no {noun} '{logical_id}'")
            };
            let present = if ids.is_empty() {
                String::new()
            } else {
                format!("; its {noun}s are{}", list_ids(&ids))
            };
            return Err(MatchFailure::summary_only(format!("{wanted}{present}")));
        }
        let which = if logical_id == "*" {
            format!("none of the {} {noun}(s)", search.failed.len())
        } else {
            format!("the {noun} '{logical_id}' does not")
        };
        let summary = format!("{which} match {}", short(expected.to_string()));
        Err(closest(summary, search.failed))
    }

    fn no_resource_of_type(&self, type_name: &str) -> String {
        let mut counts: IndexMap<&str, usize> = IndexMap::new();
        for body in self
            .section("Resources")
            .into_iter()
            .flat_map(|s| s.values())
        {
            let t = body
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or("(no Type)");
            *counts.entry(t).or_default() += 1;
        }
        if counts.is_empty() {
            return format!(
                "the template has no resource of type '{type_name}': it has no resources"
            );
        }
        counts.sort_keys();
        let types: Vec<String> = counts.iter().map(|(t, n)| format!("{t} ({n})")).collect();
        format!(
            "the template has no resource of type '{type_name}'; the types it has: {}",
            types.join(", ")
        )
    }
}

/// Parses the text of a template (JSON).
impl FromStr for Template {
    type Err = serde_json::Error;

    fn from_str(s: &str) -> Result<Template, serde_json::Error> {
        serde_json::from_str(s).map(Template::from_json)
    }
}

/// The report for elements of which none matched: the ones with the fewest mismatches.
/// Among those, a wrong value ranks before a missing key, and deeper paths (more of the
/// structure matched) before shallow ones.
fn closest(summary: String, mut failed: Vec<Candidate>) -> MatchFailure {
    failed.sort_by_key(|c| {
        let missing = c
            .mismatches
            .iter()
            .filter(|m| m.message.starts_with("missing ("))
            .count();
        let depth: usize = c
            .mismatches
            .iter()
            .map(|m| m.path.matches('/').count())
            .sum();
        (c.mismatches.len(), missing, std::cmp::Reverse(depth))
    });
    let best = failed.first().map_or(0, |c| c.mismatches.len());
    let shown = failed
        .iter()
        .take(SHOWN_CANDIDATES)
        .take_while(|c| c.mismatches.len() == best)
        .count();
    let others = failed.len() - shown;
    failed.truncate(shown);
    MatchFailure {
        summary,
        heading: "closest:",
        candidates: failed,
        others,
    }
}

fn owned(matched: Vec<(&String, &Value)>) -> IndexMap<String, Value> {
    matched
        .into_iter()
        .map(|(id, body)| (id.clone(), body.clone()))
        .collect()
}

fn list_ids(ids: &[&String]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    format!(": {}", quoted.join(", "))
}

#[track_caller]
fn or_panic(result: Result<(), MatchFailure>) {
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The message of the panic `f` raises; fails the test when it does not panic.
    fn panic_message(f: impl FnOnce()) -> String {
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .expect_err("expected the assertion to panic");
        match err.downcast::<String>() {
            Ok(s) => *s,
            Err(err) => err
                .downcast::<&str>()
                .map(|s| s.to_string())
                .unwrap_or_default(),
        }
    }

    fn mismatch_lines(m: &Matcher, actual: Value) -> Vec<String> {
        m.mismatches(&actual)
            .iter()
            .map(Mismatch::to_string)
            .collect()
    }

    fn sample() -> Template {
        Template::from_json(json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {
                "Stage": { "Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev" }
            },
            "Mappings": {
                "RegionMap": { "us-east-1": { "Ami": "ami-1" } }
            },
            "Conditions": {
                "IsProd": { "Fn::Equals": [{ "Ref": "Stage" }, "prod"] }
            },
            "Resources": {
                "AlertsTopic": {
                    "Type": "AWS::SNS::Topic",
                    "Properties": {
                        "DisplayName": "alerts",
                        "Tags": [
                            { "Key": "Owner", "Value": "ops" },
                            { "Key": "Project", "Value": "y" }
                        ]
                    }
                },
                "AuditTopic": {
                    "Type": "AWS::SNS::Topic",
                    "Properties": {
                        "DisplayName": "audit",
                        "KmsMasterKeyId": { "Ref": "Key" }
                    },
                    "DependsOn": ["Key"],
                    "DeletionPolicy": "Retain"
                },
                "Key": { "Type": "AWS::KMS::Key" },
                "Dashboard": {
                    "Type": "AWS::CloudWatch::Dashboard",
                    "Properties": {
                        "DashboardBody": "{\"widgets\":[{\"type\":\"metric\",\"width\":12,\"properties\":{\"region\":\"us-east-1\"}}]}"
                    }
                }
            },
            "Outputs": {
                "TopicArn": { "Value": { "Ref": "AlertsTopic" }, "Export": { "Name": "AlertsArn" } },
                "KeyId": { "Value": { "Ref": "Key" }, "Condition": "IsProd" }
            }
        }))
    }

    // -- matchers ----------------------------------------------------------------------

    #[test]
    fn exact_requires_equal_keys_lengths_and_values() {
        let m = Matcher::exact(json!({ "a": 1, "b": [{ "c": true }] }));
        assert!(m.matches(&json!({ "b": [{ "c": true }], "a": 1 })));
        assert_eq!(
            mismatch_lines(
                &m,
                json!({ "a": 1, "b": [{ "c": true, "d": 0 }], "e": "x" })
            ),
            [
                "at /b/0/d: unexpected key, with value 0",
                r#"at /e: unexpected key, with value "x""#
            ]
        );
        assert_eq!(
            mismatch_lines(&m, json!({ "a": 2, "b": [] })),
            [
                "at /a: expected 1, found 2",
                "at /b: expected an array of 1 element(s), found 0 element(s): []"
            ]
        );
        assert_eq!(
            mismatch_lines(&Matcher::exact("x"), json!(["x"])),
            [r#"at the root: expected "x", found ["x"]"#]
        );
    }

    #[test]
    fn object_like_is_a_deep_subset_with_exact_array_lengths() {
        let m = Matcher::object_like(json!({ "a": { "b": 1 }, "list": [{ "k": "x" }] }));
        assert!(m.matches(&json!({
            "a": { "b": 1, "extra": 2 },
            "list": [{ "k": "x", "v": "y" }],
            "other": null
        })));
        assert_eq!(
            mismatch_lines(
                &m,
                json!({ "a": { "c": 1 }, "list": [{ "k": "x" }, { "k": "z" }] })
            ),
            [
                "at /a/b: missing (expected 1)",
                r#"at /list: expected an array of 1 element(s), found 2 element(s): [{"k":"x"},{"k":"z"}]"#
            ]
        );
        assert_eq!(
            mismatch_lines(&m, json!({ "a": "flat", "list": {} })),
            [
                r#"at /a: expected an object, found "flat""#,
                "at /list: expected an array, found {}"
            ]
        );
    }

    #[test]
    fn plain_json_converts_to_object_like() {
        let from: Matcher = json!({ "a": [1, { "b": 2 }] }).into();
        assert_eq!(from, Matcher::object_like(json!({ "a": [1, { "b": 2 }] })));
        assert_eq!(
            Matcher::from(&json!({ "a": 1 })),
            Matcher::object_like(json!({ "a": 1 }))
        );
        assert!(from.matches(&json!({ "a": [1, { "b": 2, "c": 3 }], "z": 0 })));
        assert!(!from.matches(&json!({ "a": [1, { "b": 3 }] })));
    }

    #[test]
    fn scalars_convert_and_numbers_compare_by_value() {
        assert!(Matcher::from(7).matches(&json!(7.0)));
        assert!(Matcher::from(7.5).matches(&json!(7.5)));
        assert!(Matcher::from(7u64).matches(&json!(7)));
        assert!(Matcher::from(-3i64).matches(&json!(-3)));
        assert!(Matcher::from(3u32).matches(&json!(3)));
        assert!(Matcher::from(true).matches(&json!(true)));
        assert!(Matcher::from("x").matches(&json!("x")));
        assert!(Matcher::from(String::from("x")).matches(&json!("x")));
        assert!(Matcher::from(json!(null)).matches(&json!(null)));
        assert_eq!(
            mismatch_lines(&Matcher::from(7), json!("7")),
            [r#"at the root: expected 7, found "7""#]
        );
        assert!(!Matcher::from(false).matches(&json!(0)));
    }

    #[test]
    fn absent_requires_the_key_to_be_missing() {
        let m = Matcher::object([("Condition", Matcher::absent())]);
        assert!(m.matches(&json!({ "Effect": "Allow" })));
        assert_eq!(
            mismatch_lines(&m, json!({ "Condition": { "Bool": {} } })),
            [r#"at /Condition: expected absent, found {"Bool":{}}"#]
        );
        // A null value is still a present key.
        assert!(!m.matches(&json!({ "Condition": null })));
        // Outside an object nothing is absent.
        assert!(!Matcher::absent().matches(&json!(null)));
        assert!(!Matcher::array_equals([Matcher::absent()]).matches(&json!([1])));
        // In an exact object, absent keys need not be there and others still are refused.
        let exact = Matcher::object_equals([("a", Matcher::from(1)), ("b", Matcher::absent())]);
        assert!(exact.matches(&json!({ "a": 1 })));
        assert!(!exact.matches(&json!({ "a": 1, "b": 2 })));
    }

    #[test]
    fn any_value_requires_a_present_non_null_value() {
        let m = Matcher::object([("Role", Matcher::any_value())]);
        assert!(m.matches(&json!({ "Role": { "Fn::GetAtt": ["R", "Arn"] } })));
        assert!(m.matches(&json!({ "Role": false })));
        assert_eq!(
            mismatch_lines(&m, json!({ "Role": null })),
            ["at /Role: expected any value, found null"]
        );
        assert_eq!(
            mismatch_lines(&m, json!({})),
            ["at /Role: missing (expected any_value())"]
        );
    }

    #[test]
    fn array_with_finds_items_in_order_not_necessarily_adjacent() {
        let actual = json!(["a", "b", "c", "d"]);
        assert!(Matcher::array_with([json!("a"), json!("c")]).matches(&actual));
        assert!(Matcher::array_with([json!("b"), json!("d")]).matches(&actual));
        assert!(Matcher::array_with(Vec::<Matcher>::new()).matches(&actual));
        assert!(!Matcher::array_with(Vec::<Matcher>::new()).matches(&json!({})));
        // Order matters, and one element serves one item only.
        assert!(!Matcher::array_with([json!("c"), json!("a")]).matches(&actual));
        assert!(!Matcher::array_with([json!("a"), json!("a")]).matches(&actual));
        assert!(Matcher::array_with([json!("a"), json!("a")]).matches(&json!(["a", "x", "a"])));
        assert_eq!(
            mismatch_lines(
                &Matcher::array_with([json!("c"), json!("a")]),
                json!({ "x": ["a", "b", "c", "d"] })
            ),
            [r#"at the root: expected an array, found {"x":["a","b","c","d"]}"#]
        );
        let lines = mismatch_lines(&Matcher::array_with([json!("c"), json!("a")]), actual);
        assert_eq!(
            lines,
            [
                r#"at the root: array_with: no element from index 3 on matches item 1 of the pattern, "a"; the closest is element 3: at /3: expected "a", found "d""#
            ]
        );
    }

    #[test]
    fn array_with_elements_are_object_like_and_report_the_closest() {
        let statements = json!({ "Statement": [
            { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*" },
            { "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*" }
        ]});
        let m = Matcher::object([(
            "Statement",
            Matcher::array_with([json!({ "Effect": "Deny", "Action": "s3:DeleteObject" })]),
        )]);
        assert!(m.matches(&statements));
        let exact = Matcher::object([(
            "Statement",
            Matcher::array_with([Matcher::exact(
                json!({ "Effect": "Deny", "Action": "s3:DeleteObject" }),
            )]),
        )]);
        assert!(!exact.matches(&statements));

        let wrong = Matcher::object([(
            "Statement",
            Matcher::array_with([json!({ "Effect": "Deny", "Action": "s3:PutObject" })]),
        )]);
        let lines = mismatch_lines(&wrong, statements);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].starts_with("at /Statement: array_with: no element matches item 0"),
            "{lines:?}"
        );
        assert!(
            lines[0].ends_with(r#"the closest is element 1: at /Statement/1/Action: expected "s3:PutObject", found "s3:DeleteObject""#),
            "{lines:?}"
        );
        let empty = mismatch_lines(&Matcher::array_with([json!(1)]), json!([]));
        assert_eq!(
            empty,
            [
                "at the root: array_with: no element matches item 0 of the pattern, 1; the array has 0 element(s)"
            ]
        );
    }

    #[test]
    fn array_equals_matches_element_wise() {
        let m = Matcher::array_equals([Matcher::any_value(), Matcher::from("b")]);
        assert!(m.matches(&json!([{ "any": 1 }, "b"])));
        assert_eq!(
            mismatch_lines(&m, json!([null, "c"])),
            [
                "at /0: expected any value, found null",
                r#"at /1: expected "b", found "c""#
            ]
        );
        assert!(!m.matches(&json!(["a"])));
    }

    #[test]
    fn not_inverts_including_missing_keys() {
        let m = Matcher::object([("Principal", Matcher::not(json!({ "AWS": "*" })))]);
        assert!(m.matches(&json!({ "Principal": { "Service": "sns.amazonaws.com" } })));
        // A missing key is not `{"AWS": "*"}` either.
        assert!(m.matches(&json!({})));
        assert_eq!(
            mismatch_lines(&m, json!({ "Principal": { "AWS": "*", "Other": 1 } })),
            [
                r#"at /Principal: expected anything but {"AWS": "*", ..}, found {"AWS":"*","Other":1}"#
            ]
        );
        let present = Matcher::object([("KmsKeyId", Matcher::not(Matcher::absent()))]);
        assert!(present.matches(&json!({ "KmsKeyId": null })));
        assert_eq!(
            mismatch_lines(&present, json!({})),
            ["at /KmsKeyId: expected anything but absent(), found nothing (missing)"]
        );
        assert!(Matcher::not(Matcher::not(Matcher::from(1))).matches(&json!(1)));
    }

    #[test]
    fn serialized_json_parses_the_string_and_matches_inside() {
        let body = json!({ "DashboardBody": "{\"widgets\":[{\"type\":\"metric\",\"width\":12}]}" });
        let m = Matcher::object([(
            "DashboardBody",
            Matcher::serialized_json(json!({ "widgets": [{ "type": "metric" }] })),
        )]);
        assert!(m.matches(&body));
        let wrong = Matcher::object([(
            "DashboardBody",
            Matcher::serialized_json(json!({ "widgets": [{ "type": "text" }] })),
        )]);
        assert_eq!(
            mismatch_lines(&wrong, body),
            [r#"at /DashboardBody/<json>/widgets/0/type: expected "text", found "metric""#]
        );
        assert_eq!(
            mismatch_lines(
                &Matcher::serialized_json(json!({})),
                json!({ "Fn::Join": ["", []] })
            ),
            [r#"at the root: expected a string of serialized JSON, found {"Fn::Join":["",[]]}"#]
        );
        let invalid = mismatch_lines(&Matcher::serialized_json(json!({})), json!("{not json"));
        assert_eq!(invalid.len(), 1);
        assert!(
            invalid[0].starts_with(r#"at the root: expected a string of serialized JSON, found "{not json", which does not parse: "#),
            "{invalid:?}"
        );
        assert!(!Matcher::object([("B", Matcher::serialized_json(json!({})))]).matches(&json!({})));
    }

    #[test]
    fn object_mixes_matchers_and_json() {
        let m = Matcher::object([
            ("Name", Matcher::from("web")),
            ("Ports", Matcher::array_with([80])),
            ("Config", json!({ "Debug": false }).into()),
            ("Secret", Matcher::absent()),
        ]);
        assert!(m.matches(&json!({
            "Name": "web",
            "Ports": [22, 80, 443],
            "Config": { "Debug": false, "Level": "info" },
            "Other": 1
        })));
        assert_eq!(
            mismatch_lines(
                &m,
                json!({ "Ports": [80], "Config": { "Debug": true }, "Secret": "s" })
            ),
            [
                r#"at /Name: missing (expected "web")"#,
                "at /Config/Debug: expected false, found true",
                r#"at /Secret: expected absent, found "s""#
            ]
        );
        let equals = Matcher::object_equals([("Ref", "Vpc")]);
        assert_eq!(
            mismatch_lines(&equals, json!({ "Ref": "Vpc", "Extra": 1 })),
            ["at /Extra: unexpected key, with value 1"]
        );
    }

    #[test]
    fn with_puts_matchers_deep_inside_json_patterns() {
        let m =
            Matcher::object_like(json!({ "Tags": [{ "Key": "Owner", "Value": "placeholder" }] }))
                .with("/Tags/0/Value", Matcher::any_value())
                .with("/Logging/Destination", Matcher::absent())
                .with(
                    "/Lifecycle/Rules",
                    Matcher::array_with([json!({ "Status": "Enabled" })]),
                );
        assert!(m.matches(&json!({
            "Tags": [{ "Key": "Owner", "Value": "anyone" }],
            "Logging": {},
            "Lifecycle": { "Rules": [{ "Id": "a", "Status": "Enabled" }] }
        })));
        assert_eq!(
            mismatch_lines(
                &m,
                json!({
                    "Tags": [{ "Key": "Owner", "Value": null }],
                    "Logging": { "Destination": "x" },
                    "Lifecycle": { "Rules": [] }
                })
            ),
            [
                "at /Tags/0/Value: expected any value, found null",
                r#"at /Logging/Destination: expected absent, found "x""#,
                r#"at /Lifecycle/Rules: array_with: no element matches item 0 of the pattern, {"Status": "Enabled", ..}; the array has 0 element(s)"#
            ]
        );
        // Keys created under an exact pattern are exact too; `~1` escapes a slash.
        let exact = Matcher::exact(json!({})).with("/a~1b/c", 1);
        assert_eq!(exact, Matcher::exact(json!({ "a/b": { "c": 1 } })));
        assert_eq!(
            mismatch_lines(&exact, json!({ "a/b": { "c": 1, "d": 2 } })),
            ["at /a~1b/d: unexpected key, with value 2"]
        );
        assert_eq!(
            Matcher::any_value().with("", Matcher::absent()),
            Matcher::absent()
        );
    }

    #[test]
    fn with_refuses_paths_it_cannot_follow() {
        let base = || Matcher::object_like(json!({ "List": [1], "Name": "x" }));
        let msg = panic_message(|| drop(base().with("/List/1", 2)));
        assert!(
            msg.contains("the array pattern at '/List' has 1 element(s), so '1' is not an index"),
            "{msg}"
        );
        let msg = panic_message(|| drop(base().with("/Name/Inner", 2)));
        assert!(
            msg.contains("the pattern at '/Name' is \"x\", which has nothing inside"),
            "{msg}"
        );
        let msg = panic_message(|| drop(base().with("Name", 2)));
        assert!(msg.contains("is not a JSON pointer"), "{msg}");
    }

    #[test]
    fn display_shows_the_pattern() {
        let m = Matcher::object([
            ("a", Matcher::exact(json!({ "b": [1, "x"] }))),
            ("c", Matcher::array_with([Matcher::any_value()])),
            ("d", Matcher::not(Matcher::absent())),
            ("e", Matcher::serialized_json(json!({}))),
        ]);
        assert_eq!(
            m.to_string(),
            r#"{"a": {"b": [1, "x"]}, "c": array_with([any_value()]), "d": not(absent()), "e": serialized_json({..}), ..}"#
        );
        let long = Matcher::exact(json!({ "k": "v".repeat(400) }));
        let missing = mismatch_lines(&Matcher::object([("x", long)]), json!({}));
        assert!(missing[0].ends_with("…)"), "{missing:?}");
        assert!(missing[0].chars().count() < 200, "{missing:?}");
    }

    #[test]
    fn check_and_match_failure_accessors() {
        let m = Matcher::from(json!({ "Status": "Enabled" }));
        assert!(m.check(&json!({ "Status": "Enabled" })).is_ok());
        let failure = m.check(&json!({ "Status": "Suspended" })).unwrap_err();
        assert_eq!(
            failure.summary(),
            r#"the value does not match {"Status": "Enabled", ..}"#
        );
        assert_eq!(
            failure.mismatches(),
            [Mismatch {
                path: "/Status".into(),
                message: r#"expected "Enabled", found "Suspended""#.into()
            }]
        );
        assert_eq!(failure.closest_id(), None);
        assert_eq!(
            failure.to_string(),
            "the value does not match {\"Status\": \"Enabled\", ..}\n1 mismatch:\n    at /Status: expected \"Enabled\", found \"Suspended\"\n"
        );
        let as_error: Box<dyn std::error::Error> = Box::new(failure);
        assert!(as_error.to_string().contains("at /Status"));
    }

    // -- template ----------------------------------------------------------------------

    #[test]
    fn resource_count_is_counts_by_type() {
        let t = sample();
        t.resource_count_is("AWS::SNS::Topic", 2);
        t.resource_count_is("AWS::KMS::Key", 1);
        t.resource_count_is("AWS::SQS::Queue", 0);
        let msg = panic_message(|| t.resource_count_is("AWS::SNS::Topic", 3));
        assert_eq!(
            msg,
            "expected 3 resource(s) of type 'AWS::SNS::Topic', found 2: 'AlertsTopic', 'AuditTopic'"
        );
        let err = t.try_resource_count_is("AWS::SQS::Queue", 1).unwrap_err();
        assert_eq!(
            err.summary(),
            "expected 1 resource(s) of type 'AWS::SQS::Queue', found 0"
        );
        assert!(err.mismatches().is_empty());
        Template::from_json(json!({})).resource_count_is("AWS::SNS::Topic", 0);
    }

    #[test]
    fn has_resource_properties_passes_when_any_resource_matches() {
        let t = sample();
        t.has_resource_properties("AWS::SNS::Topic", json!({ "DisplayName": "audit" }));
        t.has_resource_properties(
            "AWS::SNS::Topic",
            Matcher::object([
                ("DisplayName", Matcher::from("alerts")),
                ("KmsMasterKeyId", Matcher::absent()),
                ("Tags", Matcher::array_with([json!({ "Key": "Project" })])),
            ]),
        );
        // A resource without Properties reads as `{}`, and absent() asks for no Properties.
        t.has_resource_properties("AWS::KMS::Key", json!({}));
        t.has_resource_properties(
            "AWS::KMS::Key",
            Matcher::object([("Description", Matcher::absent())]),
        );
        t.has_resource_properties("AWS::KMS::Key", Matcher::absent());
        assert!(
            t.try_has_resource_properties("AWS::SNS::Topic", Matcher::absent())
                .is_err()
        );
        // Exact properties.
        t.has_resource_properties(
            "AWS::SNS::Topic",
            Matcher::exact(json!({ "DisplayName": "audit", "KmsMasterKeyId": { "Ref": "Key" } })),
        );
        assert!(
            t.try_has_resource_properties(
                "AWS::SNS::Topic",
                Matcher::exact(json!({ "DisplayName": "audit" }))
            )
            .is_err()
        );
    }

    #[test]
    fn has_resource_properties_failure_names_the_paths_of_the_closest() {
        let t = sample();
        let msg = panic_message(|| {
            t.has_resource_properties(
                "AWS::SNS::Topic",
                json!({ "DisplayName": "alerts", "Tags": [{ "Key": "Owner" }, { "Key": "Project", "Value": "x" }] }),
            )
        });
        assert!(
            msg.starts_with("the template has 2 resource(s) of type 'AWS::SNS::Topic', but none with properties matching"),
            "{msg}"
        );
        assert!(
            msg.contains("closest: 'AlertsTopic', 1 mismatch:\n"),
            "{msg}"
        );
        assert!(
            msg.contains(r#"    at /Properties/Tags/1/Value: expected "x", found "y""#),
            "{msg}"
        );
        // The body of the closest is shown; the other topic is only counted.
        assert!(
            msg.contains("  its body:\n    {\n      \"Type\": \"AWS::SNS::Topic\","),
            "{msg}"
        );
        assert!(!msg.contains("'AuditTopic'"), "{msg}");
        assert!(msg.ends_with("(1 more candidate(s) not shown)"), "{msg}");

        let err = t
            .try_has_resource_properties(
                "AWS::SNS::Topic",
                json!({ "DisplayName": "audit", "TopicName": "t" }),
            )
            .unwrap_err();
        assert_eq!(err.closest_id(), Some("AuditTopic"));
        assert_eq!(
            err.mismatches()
                .iter()
                .map(Mismatch::to_string)
                .collect::<Vec<_>>(),
            [r#"at /Properties/TopicName: missing (expected "t")"#]
        );
    }

    #[test]
    fn equally_close_candidates_are_all_shown() {
        let t = sample();
        let err = t
            .try_has_resource_properties("AWS::SNS::Topic", json!({ "DisplayName": "other" }))
            .unwrap_err();
        let report = err.to_string();
        assert!(
            report.contains("closest: 'AlertsTopic', 1 mismatch:"),
            "{report}"
        );
        assert!(
            report.contains("closest: 'AuditTopic', 1 mismatch:"),
            "{report}"
        );
        assert!(
            report.contains(r#"at /Properties/DisplayName: expected "other", found "audit""#),
            "{report}"
        );
        assert!(!report.contains("not shown"), "{report}");
    }

    #[test]
    fn closest_prefers_wrong_values_deep_down_over_missing_keys() {
        let t = Template::from_json(json!({ "Resources": {
            "Shallow": { "Type": "AWS::SNS::Topic", "Properties": { "DisplayName": "b" } },
            "Deep": { "Type": "AWS::SNS::Topic", "Properties": {
                "Tags": [{ "Key": "Project", "Value": "y" }]
            }}
        }}));
        let err = t
            .try_has_resource_properties(
                "AWS::SNS::Topic",
                json!({ "Tags": [{ "Key": "Project", "Value": "x" }] }),
            )
            .unwrap_err();
        assert_eq!(err.closest_id(), Some("Deep"));
        let report = err.to_string();
        let deep = report.find("closest: 'Deep'").expect("Deep is shown");
        let shallow = report
            .find("closest: 'Shallow'")
            .expect("Shallow ties on count");
        assert!(deep < shallow, "{report}");
        assert!(
            report.contains(r#"at /Properties/Tags/0/Value: expected "x", found "y""#),
            "{report}"
        );
    }

    #[test]
    fn missing_type_lists_the_types_present() {
        let t = sample();
        let msg = panic_message(|| t.has_resource_properties("AWS::SQS::Queue", json!({})));
        assert_eq!(
            msg,
            "the template has no resource of type 'AWS::SQS::Queue'; the types it has: AWS::CloudWatch::Dashboard (1), AWS::KMS::Key (1), AWS::SNS::Topic (2)"
        );
        let empty = Template::from_json(json!({ "Resources": {} }));
        assert_eq!(
            empty
                .try_has_resource("AWS::SQS::Queue", json!({}))
                .unwrap_err()
                .summary(),
            "the template has no resource of type 'AWS::SQS::Queue': it has no resources"
        );
    }

    #[test]
    fn has_resource_matches_the_whole_body() {
        let t = sample();
        t.has_resource(
            "AWS::SNS::Topic",
            json!({ "DependsOn": ["Key"], "DeletionPolicy": "Retain", "Properties": { "DisplayName": "audit" } }),
        );
        t.has_resource(
            "AWS::KMS::Key",
            Matcher::object([("Properties", Matcher::absent())]),
        );
        let err = t
            .try_has_resource("AWS::SNS::Topic", json!({ "DeletionPolicy": "Delete" }))
            .unwrap_err();
        assert!(err.summary().contains("none with body matching"), "{err}");
        // Both topics are one mismatch away; a wrong value ranks before a missing key.
        assert_eq!(err.closest_id(), Some("AuditTopic"));
        let report = err.to_string();
        assert!(
            report.contains(r#"at /DeletionPolicy: missing (expected "Delete")"#),
            "{report}"
        );
        assert!(
            report.contains(r#"at /DeletionPolicy: expected "Delete", found "Retain""#),
            "{report}"
        );
        let msg = panic_message(|| {
            t.has_resource(
                "AWS::SNS::Topic",
                Matcher::object([("Condition", Matcher::any_value())]),
            )
        });
        assert!(
            msg.contains("at /Condition: missing (expected any_value())"),
            "{msg}"
        );
    }

    #[test]
    fn serialized_json_inside_resource_properties() {
        let t = sample();
        t.has_resource_properties(
            "AWS::CloudWatch::Dashboard",
            Matcher::object([(
                "DashboardBody",
                Matcher::serialized_json(Matcher::object([(
                    "widgets",
                    Matcher::array_with([json!({ "properties": { "region": "us-east-1" } })]),
                )])),
            )]),
        );
        let err = t
            .try_has_resource_properties(
                "AWS::CloudWatch::Dashboard",
                Matcher::object([(
                    "DashboardBody",
                    Matcher::serialized_json(json!({ "start": "-PT3H" })),
                )]),
            )
            .unwrap_err();
        assert_eq!(
            err.mismatches()[0].to_string(),
            r#"at /Properties/DashboardBody/<json>/start: missing (expected "-PT3H")"#
        );
    }

    #[test]
    fn find_resources_returns_matching_bodies_by_id() {
        let t = sample();
        let all = t.find_resources("AWS::SNS::Topic", Matcher::any_value());
        assert_eq!(
            all.keys().collect::<Vec<_>>(),
            ["AlertsTopic", "AuditTopic"]
        );
        assert_eq!(t.find_resources("AWS::SNS::Topic", json!({})).len(), 2);
        let retained = t.find_resources("AWS::SNS::Topic", json!({ "DeletionPolicy": "Retain" }));
        assert_eq!(retained.len(), 1);
        assert_eq!(retained["AuditTopic"]["Properties"]["DisplayName"], "audit");
        assert!(
            t.find_resources("AWS::SNS::Topic", json!({ "DeletionPolicy": "Delete" }))
                .is_empty()
        );
        assert!(t.find_resources("AWS::SQS::Queue", json!({})).is_empty());
    }

    #[test]
    fn resource_properties_count_is_counts_matches() {
        let t = sample();
        t.resource_properties_count_is("AWS::SNS::Topic", json!({ "DisplayName": "audit" }), 1);
        t.resource_properties_count_is(
            "AWS::SNS::Topic",
            Matcher::object([("DisplayName", Matcher::any_value())]),
            2,
        );
        t.resource_properties_count_is("AWS::SNS::Topic", json!({ "DisplayName": "none" }), 0);
        let msg = panic_message(|| {
            t.resource_properties_count_is(
                "AWS::SNS::Topic",
                Matcher::object([("Tags", Matcher::any_value())]),
                2,
            )
        });
        assert_eq!(
            msg,
            r#"expected 2 resource(s) of type 'AWS::SNS::Topic' with properties matching {"Tags": any_value(), ..}, found 1: 'AlertsTopic'"#
        );
    }

    #[test]
    fn all_resources_requires_every_resource_to_match() {
        let t = sample();
        t.all_resources_properties(
            "AWS::SNS::Topic",
            Matcher::object([("DisplayName", Matcher::any_value())]),
        );
        t.all_resources("AWS::SNS::Topic", json!({ "Type": "AWS::SNS::Topic" }));
        let msg = panic_message(|| {
            t.all_resources("AWS::SNS::Topic", json!({ "DeletionPolicy": "Retain" }))
        });
        assert!(
            msg.starts_with(r#"1 of the 2 resource(s) of type 'AWS::SNS::Topic' have bodies that do not match {"DeletionPolicy": "Retain", ..}"#),
            "{msg}"
        );
        assert!(
            msg.contains("not matching: 'AlertsTopic', 1 mismatch:"),
            "{msg}"
        );
        assert!(
            msg.contains(r#"at /DeletionPolicy: missing (expected "Retain")"#),
            "{msg}"
        );
        let err = t
            .try_all_resources_properties(
                "AWS::SNS::Topic",
                json!({ "KmsMasterKeyId": { "Ref": "Key" } }),
            )
            .unwrap_err();
        assert_eq!(err.closest_id(), Some("AlertsTopic"));
        assert!(
            t.try_all_resources("AWS::SQS::Queue", json!({})).is_err(),
            "none at all fails"
        );
    }

    #[test]
    fn outputs_by_id_or_star() {
        let t = sample();
        t.has_output("TopicArn", json!({ "Export": { "Name": "AlertsArn" } }));
        t.has_output("*", json!({ "Condition": "IsProd" }));
        t.has_output("KeyId", Matcher::object([("Export", Matcher::absent())]));
        let msg =
            panic_message(|| t.has_output("TopicArn", json!({ "Value": { "Ref": "Other" } })));
        assert!(
            msg.starts_with("the output 'TopicArn' does not match"),
            "{msg}"
        );
        assert!(msg.contains("closest: 'TopicArn', 1 mismatch:"), "{msg}");
        assert!(
            msg.contains(r#"at /Value/Ref: expected "Other", found "AlertsTopic""#),
            "{msg}"
        );
        let missing = t.try_has_output("Nope", json!({})).unwrap_err();
        assert_eq!(
            missing.summary(),
            "the template has no output 'Nope'; its outputs are: 'TopicArn', 'KeyId'"
        );
        let none = t
            .try_has_output("*", json!({ "Description": "x" }))
            .unwrap_err();
        assert!(
            none.summary().starts_with("none of the 2 output(s) match"),
            "{none}"
        );
        assert_eq!(
            Template::from_json(json!({}))
                .try_has_output("*", json!({}))
                .unwrap_err()
                .summary(),
            "the template has no outputs"
        );
        let found = t.find_outputs("*", json!({ "Value": { "Ref": "Key" } }));
        assert_eq!(found.keys().collect::<Vec<_>>(), ["KeyId"]);
        assert_eq!(t.find_outputs("*", json!({})).len(), 2);
        assert!(
            t.find_outputs("TopicArn", json!({ "Condition": "IsProd" }))
                .is_empty()
        );
    }

    #[test]
    fn parameters_conditions_and_mappings() {
        let t = sample();
        t.has_parameter("Stage", json!({ "AllowedValues": ["dev", "prod"] }));
        t.has_parameter("*", json!({ "Default": "dev" }));
        assert!(
            t.try_has_parameter("Stage", json!({ "AllowedValues": ["dev"] }))
                .is_err()
        );
        assert_eq!(t.find_parameters("*", json!({ "Type": "String" })).len(), 1);

        t.has_condition(
            "IsProd",
            json!({ "Fn::Equals": [{ "Ref": "Stage" }, "prod"] }),
        );
        let err = t
            .try_has_condition(
                "IsProd",
                json!({ "Fn::Equals": [{ "Ref": "Stage" }, "dev"] }),
            )
            .unwrap_err();
        assert_eq!(
            err.mismatches()[0].to_string(),
            r#"at /Fn::Equals/1: expected "dev", found "prod""#
        );
        assert_eq!(t.find_conditions("*", Matcher::any_value()).len(), 1);

        t.has_mapping("RegionMap", json!({ "us-east-1": { "Ami": "ami-1" } }));
        assert!(
            t.try_has_mapping("RegionMap", json!({ "eu-west-1": {} }))
                .is_err()
        );
        assert!(t.find_mappings("Other", json!({})).is_empty());
        assert_eq!(t.find_mappings("*", json!({})).len(), 1);
    }

    #[test]
    fn template_matches_checks_the_whole_template() {
        let t = sample();
        t.template_matches(json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": { "Key": { "Type": "AWS::KMS::Key" } }
        }));
        t.template_matches(
            Matcher::object_like(json!({ "Resources": {} }))
                .with("/Resources/Key/Properties", Matcher::absent())
                .with("/Resources/Queue", Matcher::absent()),
        );
        let msg = panic_message(|| {
            t.template_matches(
                json!({ "Resources": { "AuditTopic": { "DeletionPolicy": "Delete" } } }),
            )
        });
        assert!(msg.starts_with("the template does not match"), "{msg}");
        assert!(
            msg.contains(
                r#"at /Resources/AuditTopic/DeletionPolicy: expected "Delete", found "Retain""#
            ),
            "{msg}"
        );
        assert!(t.try_template_matches(Matcher::exact(json!({}))).is_err());
    }

    #[test]
    fn from_str_and_json() {
        let t: Template = r#"{ "Resources": { "Q": { "Type": "AWS::SQS::Queue" } } }"#
            .parse()
            .unwrap();
        t.resource_count_is("AWS::SQS::Queue", 1);
        assert_eq!(t.json()["Resources"]["Q"]["Type"], "AWS::SQS::Queue");
        assert!("{ nope".parse::<Template>().is_err());
        assert!(t.diagnostics().0.is_empty());
    }

    // -- from_stack ----------------------------------------------------------------------

    mod fake {
        //! A resource type of the test's own, so these tests need no generated L1 code.
        use indexmap::IndexMap;
        use stackwright_core::Expr;
        use stackwright_core::ResourceProps;
        use stackwright_core::facts::{Prop, ResourceFacts, Rules, Shape, TagFormat, Tagging, Ty};

        static SHAPE: Shape = Shape {
            name: "Properties",
            properties: &[
                Prop {
                    name: "Name",
                    required: false,
                    ty: Ty::String,
                    rules: Rules::NONE,
                },
                Prop {
                    name: "Tags",
                    required: false,
                    ty: Ty::Json,
                    rules: Rules::NONE,
                },
            ],
        };
        static FACTS: ResourceFacts = ResourceFacts {
            type_name: "Test::Thing::Widget",
            attributes: &[],
            create_only: &[],
            write_only: &[],
            tagging: Some(Tagging {
                property: "Tags",
                format: TagFormat::KeyValueList,
            }),
            shape: &SHAPE,
        };

        #[derive(Clone, Default)]
        pub struct Widget {
            pub name: Option<String>,
        }

        impl ResourceProps for Widget {
            const TYPE_NAME: &'static str = "Test::Thing::Widget";
            fn facts() -> &'static ResourceFacts {
                &FACTS
            }
            fn to_properties(&self) -> IndexMap<String, Expr> {
                self.name
                    .iter()
                    .map(|n| ("Name".to_string(), Expr::str(n)))
                    .collect()
            }
        }
    }

    #[test]
    fn from_stack_builds_the_stack_with_its_app() {
        use stackwright_core::{
            Env, Output, Parameter, ParameterProps, RemovalPolicy, Resource, Scope,
        };

        let app = App::new();
        let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
        let other = Stack::new(&app, "Other", Env::new("123456789012", "us-east-1")).unwrap();
        stack.tags().add("Project", "FlowViz");
        let widget = Resource::new(
            &stack,
            "Widget",
            fake::Widget {
                name: Some("w".into()),
            },
        )
        .unwrap();
        widget.apply_removal_policy(RemovalPolicy::Retain);
        Resource::new(&stack, "Bare", fake::Widget::default()).unwrap();
        Parameter::new(&stack, "Stage", ParameterProps::string_with_default("dev")).unwrap();
        Output::new(&stack, "WidgetName", "w")
            .unwrap()
            .description("the name");
        Resource::new(&other, "Elsewhere", fake::Widget::default()).unwrap();

        let t = Template::from_stack(&stack);
        t.resource_count_is("Test::Thing::Widget", 2);
        t.has_resource_properties(
            "Test::Thing::Widget",
            json!({ "Name": "w", "Tags": [{ "Key": "Project", "Value": "FlowViz" }] }),
        );
        t.has_resource("Test::Thing::Widget", json!({ "DeletionPolicy": "Retain" }));
        t.has_parameter("Stage", json!({ "Type": "String", "Default": "dev" }));
        t.has_output(
            "WidgetName",
            json!({ "Value": "w", "Description": "the name" }),
        );
        assert_eq!(t.json()["AWSTemplateFormatVersion"], "2010-09-09");
        assert!(!t.diagnostics().has_errors());

        // The report names the construct path of the closest resource.
        let err = t
            .try_has_resource_properties("Test::Thing::Widget", json!({ "Name": "v" }))
            .unwrap_err();
        let report = err.to_string();
        assert!(report.contains("(Demo/Widget), 1 mismatch:"), "{report}");
        assert!(
            report.contains(r#"at /Properties/Name: expected "v", found "w""#),
            "{report}"
        );

        Template::from_stack(&other).resource_count_is("Test::Thing::Widget", 1);
        let via_scope = Template::from_stack(&widget.stack());
        assert_eq!(via_scope.json(), t.json());
    }

    #[test]
    fn from_stack_panics_with_the_build_errors() {
        use stackwright_core::{Env, Output};

        let app = App::new();
        let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
        Output::new(&stack, "A", "a")
            .unwrap()
            .override_logical_id("Same");
        Output::new(&stack, "B", "b")
            .unwrap()
            .override_logical_id("Same");
        let msg = panic_message(|| drop(Template::from_stack(&stack)));
        assert!(
            msg.starts_with("Template::from_stack(\"Demo\"): synth found errors"),
            "{msg}"
        );
        assert!(msg.contains("error[logical-id-collision]"), "{msg}");

        // Schema rules are checked too, as synth checks them.
        let app = App::new();
        let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
        let widget =
            stackwright_core::Resource::new(&stack, "Widget", fake::Widget::default()).unwrap();
        widget.add_property_override("Colour", "red");
        let msg = panic_message(|| drop(Template::from_stack(&stack)));
        assert!(
            msg.contains(
                "error[unknown-property]: Demo/Widget: Test::Thing::Widget has no property Colour"
            ),
            "{msg}"
        );
    }
}
