//! Matchers: expectations on JSON values, and where a value differs from one.

use std::fmt;

use indexmap::IndexMap;
use serde_json::Value;

use crate::report::{Candidate, MatchFailure, Mismatch, short, show};

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
/// use stackwright_assertions::Matcher;
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
    /// use stackwright_assertions::Matcher;
    ///
    /// let m = Matcher::exact(json!({ "Key": "Project", "Value": "Demo" }));
    /// assert!(m.matches(&json!({ "Value": "Demo", "Key": "Project" })));
    /// assert!(!m.matches(&json!({ "Key": "Project", "Value": "Demo", "Extra": 1 })));
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
    /// use stackwright_assertions::Matcher;
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
    /// use stackwright_assertions::Matcher;
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
    /// use stackwright_assertions::Matcher;
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
    /// use stackwright_assertions::Matcher;
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
    /// use stackwright_assertions::Matcher;
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
    /// use stackwright_assertions::Matcher;
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
    /// use stackwright_assertions::Matcher;
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
    /// use stackwright_assertions::Matcher;
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
    /// use stackwright_assertions::Matcher;
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
    /// use stackwright_assertions::Matcher;
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
    /// use stackwright_assertions::Matcher;
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

    /// Whether this is [`Matcher::absent`], which a resource without `Properties` must
    /// still satisfy.
    pub(crate) fn is_absent(&self) -> bool {
        self.0 == Kind::Absent
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
