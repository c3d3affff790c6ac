//! Values with the path they were found at: the template being checked and the rules'
//! literals are one tree type, so a comparison never asks which side it came from.

use std::fmt;

/// A regular expression literal (`/.../` in a rule), kept with its source because two
/// regexes compare equal by source, as Guard's do. Its syntax is checked when the rule is
/// parsed; it is compiled the first time it is matched, since most rules of a pack never
/// meet a resource they apply to.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub(crate) source: String,
    compiled: std::sync::OnceLock<Option<Compiled>>,
}

/// `regex-lite` compiles in microseconds where `regex` spends a fraction of a millisecond
/// building automata, and a rule's regex matches a handful of values per template; only
/// what `regex-lite` does not read (Unicode classes such as `\p{L}`) goes to `regex`.
#[derive(Debug, Clone)]
enum Compiled {
    Lite(regex_lite::Regex),
    Full(regex::Regex),
}

impl Pattern {
    /// The pattern of `source`, or `None` when `regex` cannot read it.
    pub(crate) fn new(source: String) -> Option<Pattern> {
        regex_syntax::Parser::new().parse(&source).ok()?;
        Some(Pattern {
            source,
            compiled: std::sync::OnceLock::new(),
        })
    }

    /// Whether `text` matches. A pattern whose syntax is valid but that outgrows
    /// `regex`'s size limit matches nothing.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        let compiled = self
            .compiled
            .get_or_init(|| match regex_lite::Regex::new(&self.source) {
                Ok(r) => Some(Compiled::Lite(r)),
                Err(_) => regex::Regex::new(&self.source).ok().map(Compiled::Full),
            });
        match compiled {
            Some(Compiled::Lite(r)) => r.is_match(text),
            Some(Compiled::Full(r)) => r.is_match(text),
            None => false,
        }
    }
}

/// A range literal (`r[1, 10)`), with which ends are included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Range<T> {
    pub(crate) lower: T,
    pub(crate) upper: T,
    pub(crate) lower_inclusive: bool,
    pub(crate) upper_inclusive: bool,
}

impl<T: PartialOrd> Range<T> {
    pub(crate) fn contains(&self, value: &T) -> bool {
        let above = if self.lower_inclusive {
            *value >= self.lower
        } else {
            *value > self.lower
        };
        let below = if self.upper_inclusive {
            *value <= self.upper
        } else {
            *value < self.upper
        };
        above && below
    }
}

/// One value of a document or a rule, at its path (`/Resources/Key/Properties/...`; a
/// rule's literals have the empty path).
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) path: Box<str>,
    pub(crate) kind: Kind,
}

/// What a [`Node`] holds: JSON's types plus Guard's regexes, characters and ranges.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Char(char),
    String(String),
    Regex(Box<Pattern>),
    List(Vec<Node>),
    /// Entries in document order; each key is a string node at the value's path, because
    /// `keys` filters compare keys as values.
    Map(Vec<(Node, Node)>),
    RangeInt(Range<i64>),
    RangeFloat(Range<f64>),
    RangeChar(Range<char>),
}

impl Node {
    /// A node at the empty path, as a rule's literal is.
    pub(crate) fn literal(kind: Kind) -> Node {
        Node {
            path: "".into(),
            kind,
        }
    }

    /// Converts a JSON value, giving every node its path below `path` (a buffer that
    /// grows and shrinks with the walk, so a path costs one allocation, its own).
    /// Numbers are whole when they fit an `i64`, else floating point, as cfn-guard reads a
    /// template.
    pub(crate) fn from_json(value: &serde_json::Value, path: &mut String) -> Node {
        let kind = match value {
            serde_json::Value::Null => Kind::Null,
            serde_json::Value::Bool(b) => Kind::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Kind::Int(i),
                None => Kind::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Kind::String(s.clone()),
            serde_json::Value::Array(items) => {
                let len = path.len();
                let mut nodes = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    use std::fmt::Write;
                    let _ = write!(path, "/{i}");
                    nodes.push(Node::from_json(item, path));
                    path.truncate(len);
                }
                Kind::List(nodes)
            }
            serde_json::Value::Object(map) => {
                let len = path.len();
                let mut entries = Vec::with_capacity(map.len());
                for (key, item) in map {
                    path.push('/');
                    path.push_str(key);
                    let value = Node::from_json(item, path);
                    let key_node = Node {
                        path: value.path.clone(),
                        kind: Kind::String(key.clone()),
                    };
                    entries.push((key_node, value));
                    path.truncate(len);
                }
                Kind::Map(entries)
            }
        };
        Node {
            path: path.as_str().into(),
            kind,
        }
    }

    /// The value as JSON, for reports: a regex becomes its `/source/` text, a range its
    /// rule syntax.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Kind::Char(c) => Value::String(c.to_string()),
            Kind::String(s) => Value::String(s.clone()),
            Kind::List(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v.to_json()))
                    .collect(),
            ),
            _ => Value::String(self.to_string()),
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn is_list(&self) -> bool {
        matches!(self.kind, Kind::List(_))
    }

    pub(crate) fn is_scalar(&self) -> bool {
        !matches!(self.kind, Kind::List(_) | Kind::Map(_))
    }

    /// The value under `key`, when this is a map holding it.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.kind {
            Kind::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Guard's name for the type, used in error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "bool",
            Kind::Int(_) => "int",
            Kind::Float(_) => "float",
            Kind::Char(_) => "char",
            Kind::String(_) => "String",
            Kind::Regex(_) => "Regex",
            Kind::List(_) => "array",
            Kind::Map(_) => "map",
            Kind::RangeInt(_) => "range(int, int)",
            Kind::RangeFloat(_) => "range(float, float)",
            Kind::RangeChar(_) => "range(char, char)",
        }
    }
}

fn range<T: fmt::Display>(f: &mut fmt::Formatter<'_>, r: &Range<T>) -> fmt::Result {
    let open = if r.lower_inclusive { '[' } else { '(' };
    let close = if r.upper_inclusive { ']' } else { ')' };
    write!(f, "r{open}{},{}{close}", r.lower, r.upper)
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Regex(p) => write!(f, "/{}/", p.source),
            Kind::RangeInt(r) => range(f, r),
            Kind::RangeFloat(r) => range(f, r),
            Kind::RangeChar(r) => range(f, r),
            _ => write!(f, "{}", self.to_json()),
        }
    }
}

/// A template (or any JSON document) converted once for evaluation, so many rule sets can
/// check it without converting it again.
#[derive(Debug, Clone)]
pub struct Document {
    pub(crate) root: Node,
    /// Its resources' types and its top-level keys, sorted, for the rule files' gates;
    /// `None` when the document is not regular (a resource that is not a map, or a `Type`
    /// that is not a string), and every file is evaluated in full.
    names: Option<Vec<Box<str>>>,
}

impl Document {
    /// Converts `template` for evaluation. Nothing is rejected: any JSON value is a document,
    /// and rules that expect a template simply find nothing in one that is not.
    pub fn new(template: &serde_json::Value) -> Document {
        Document {
            root: Node::from_json(template, &mut String::with_capacity(128)),
            names: gate_names(template),
        }
    }

    /// Converts `template` as if no resource recorded exceptions under `Metadata.guard`
    /// (the Guard Rules Registry's convention, which its rules read to pass over a
    /// resource), for a caller that applies the exceptions itself and wants every
    /// finding.
    pub fn without_guard_metadata(template: &serde_json::Value) -> Document {
        let mut document = Document::new(template);
        if let Some(Kind::Map(resources)) = document.root.get_mut("Resources").map(|r| &mut r.kind)
        {
            for (_, resource) in resources {
                if let Some(Kind::Map(metadata)) = resource.get_mut("Metadata").map(|m| &mut m.kind)
                {
                    metadata.retain(|(key, _)| key.as_str() != Some("guard"));
                }
            }
        }
        document
    }

    /// Whether the document holds one of `names` as a resource type or a top-level key
    /// (always, when it is not regular): a file gated by names it holds none of is skipped.
    pub(crate) fn holds_any<S: AsRef<str>>(&self, names: &[S]) -> bool {
        let Some(held) = &self.names else {
            return true;
        };
        names
            .iter()
            .any(|n| held.binary_search_by(|h| (**h).cmp(n.as_ref())).is_ok())
    }
}

fn gate_names(template: &serde_json::Value) -> Option<Vec<Box<str>>> {
    let Some(root) = template.as_object() else {
        return Some(Vec::new());
    };
    let mut names: Vec<Box<str>> = root.keys().map(|k| k.as_str().into()).collect();
    match root.get("Resources") {
        None => {}
        Some(serde_json::Value::Object(resources)) => {
            for resource in resources.values() {
                match resource.as_object()?.get("Type") {
                    None => {}
                    Some(serde_json::Value::String(t)) => names.push(t.as_str().into()),
                    Some(_) => return None,
                }
            }
        }
        // A list of resources is searched element by element: not regular.
        Some(_) => return None,
    }
    names.sort();
    names.dedup();
    Some(names)
}
