//! CloudFormation's YAML, read into the JSON it stands for.
//!
//! Built on saphyr-parser's event stream, which gives every node's tag and position: the
//! short forms (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) become their long JSON forms, plain
//! scalars get YAML 1.2's core types (numbers and booleans stay numbers and booleans),
//! keys keep their order, aliases are expanded, and every error names its line and column.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Value as Json};

/// A YAML text that is not a template's YAML.
#[derive(Debug)]
pub(crate) struct YamlError {
    /// From 1.
    pub(crate) line: usize,
    /// From 1.
    pub(crate) column: usize,
    pub(crate) message: String,
}

/// The intrinsic functions with a short form, by tag name. `!Ref` and `!Condition` keep
/// their name; every other `!Name` is `Fn::Name`.
const SHORT_FORMS: &[&str] = &[
    "Ref",
    "Condition",
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "If",
    "Equals",
    "And",
    "Or",
    "Not",
    "Length",
    "ToJsonString",
];

/// Reads a one-document YAML text into JSON.
pub(crate) fn parse(text: &str) -> Result<Json, YamlError> {
    let mut r = Reader {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
    };
    let (event, span) = r.next()?;
    if !matches!(event, Event::StreamStart) {
        return Err(at(span, "the YAML stream does not start"));
    }
    let (event, span) = r.next()?;
    match event {
        Event::DocumentStart(_) => {}
        Event::StreamEnd => return Err(at(span, "the text holds no YAML document")),
        _ => return Err(at(span, "expected the start of a document")),
    }
    let (event, span) = r.next()?;
    let value = r.node(event, span)?;
    let (event, span) = r.next()?;
    if !matches!(event, Event::DocumentEnd) {
        return Err(at(span, "expected the end of the document"));
    }
    let (event, span) = r.next()?;
    match event {
        Event::StreamEnd => Ok(value),
        _ => Err(at(
            span,
            "a template is one YAML document, but a second one starts here",
        )),
    }
}

fn at(span: Span, message: impl Into<String>) -> YamlError {
    YamlError {
        line: span.start.line(),
        column: span.start.col() + 1,
        message: message.into(),
    }
}

struct Reader<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Json>,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), YamlError> {
        match self.parser.next_event() {
            Some(Ok(e)) => Ok(e),
            Some(Err(e)) => Err(YamlError {
                line: e.marker().line(),
                column: e.marker().col() + 1,
                message: e.info().to_string(),
            }),
            None => Err(YamlError {
                line: 0,
                column: 0,
                message: "the YAML ends too early".to_string(),
            }),
        }
    }

    /// The value of the node that starts with `event`.
    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Json, YamlError> {
        let (value, anchor) = match event {
            Event::Alias(id) => {
                let v = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| at(span, "this alias names no anchor before it"))?;
                return Ok(v);
            }
            Event::Scalar(text, style, anchor, tag) => {
                let v = match tag {
                    None => plain_or_quoted(&text, style),
                    Some(tag) => tagged(span, &tag, Json::String(text.into_owned()), true)?,
                };
                (v, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                let v = Json::Array(items);
                let v = match tag {
                    None => v,
                    Some(tag) => tagged(span, &tag, v, false)?,
                };
                (v, anchor)
            }
            Event::MappingStart(anchor, tag) => {
                let mut map = Map::new();
                loop {
                    let (event, key_span) = self.next()?;
                    let key = match event {
                        Event::MappingEnd => break,
                        Event::Scalar(text, _, _, None) => text.into_owned(),
                        _ => {
                            return Err(at(
                                key_span,
                                "a key of a template is a plain string, not a tagged value, list or mapping",
                            ));
                        }
                    };
                    let (event, span) = self.next()?;
                    let value = self.node(event, span)?;
                    if map.insert(key.clone(), value).is_some() {
                        return Err(at(
                            key_span,
                            format!("the key '{key}' appears twice in this mapping"),
                        ));
                    }
                }
                let v = Json::Object(map);
                let v = match tag {
                    None => v,
                    Some(tag) => tagged(span, &tag, v, false)?,
                };
                (v, anchor)
            }
            _ => return Err(at(span, "expected a value")),
        };
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        Ok(value)
    }
}

/// An untagged scalar: quoted and block scalars are strings; plain ones take YAML 1.2's
/// core schema types.
fn plain_or_quoted(text: &str, style: ScalarStyle) -> Json {
    if style != ScalarStyle::Plain {
        return Json::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Json::Null,
        "true" | "True" | "TRUE" => return Json::Bool(true),
        "false" | "False" | "FALSE" => return Json::Bool(false),
        _ => {}
    }
    number(text).unwrap_or_else(|| Json::String(text.to_string()))
}

/// A plain scalar as a number when YAML's core schema reads it as one and the number says
/// exactly what the text says: `012345678901` (an account id) and `3.10` (a version) stay
/// strings rather than losing a digit.
fn number(text: &str) -> Option<Json> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.") {
        return None; // leading zeros, octal and hex: kept as written
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .ok()
            .map(Json::from)
            .or_else(|| text.parse::<u64>().ok().map(Json::from));
    }
    let f: f64 = text.parse().ok()?;
    let n = serde_json::Number::from_f64(f)?;
    let canonical = text.strip_prefix('+').unwrap_or(text);
    (n.to_string() == canonical).then_some(Json::Number(n))
}

/// A tagged node: a CloudFormation short form, or one of YAML's own `!!` types.
fn tagged(span: Span, tag: &Tag, value: Json, scalar: bool) -> Result<Json, YamlError> {
    if tag.is_yaml_core_schema() {
        let text = value.as_str();
        return match (tag.suffix.as_str(), text) {
            ("str", Some(t)) => Ok(Json::String(t.to_string())),
            ("int" | "float", Some(t)) => t
                .parse::<f64>()
                .ok()
                .and_then(|_| number(t))
                .ok_or_else(|| at(span, format!("'{t}' is not a number"))),
            ("bool", Some(t)) => match t {
                "true" | "True" | "TRUE" => Ok(Json::Bool(true)),
                "false" | "False" | "FALSE" => Ok(Json::Bool(false)),
                _ => Err(at(span, format!("'{t}' is not a boolean"))),
            },
            ("null", _) => Ok(Json::Null),
            ("seq" | "map", None) => Ok(value),
            (other, _) => Err(at(
                span,
                format!("the tag !!{other} does not fit this value"),
            )),
        };
    }
    let name = tag.suffix.as_str();
    if tag.handle != "!" || !SHORT_FORMS.contains(&name) {
        return Err(at(
            span,
            format!(
                "'{}{}' is not a CloudFormation short form; use one of !Ref, !Sub, !GetAtt, !If, !Join, !Select, !Split, !FindInMap, !GetAZs, !ImportValue, !Base64, !Cidr, !Equals, !And, !Or, !Not, !Condition, !Transform, !Length, !ToJsonString",
                tag.handle, tag.suffix
            ),
        ));
    }
    let key = match name {
        "Ref" | "Condition" => name.to_string(),
        _ => format!("Fn::{name}"),
    };
    // `!GetAtt Resource.Attribute`: the first dot splits; the attribute may hold more.
    let value = match (name, value) {
        ("GetAtt", Json::String(s)) if scalar => match s.split_once('.') {
            Some((r, a)) => Json::Array(vec![Json::String(r.into()), Json::String(a.into())]),
            None => {
                return Err(at(
                    span,
                    format!("!GetAtt '{s}' names no attribute; write !GetAtt Resource.Attribute"),
                ));
            }
        },
        (_, v) => v,
    };
    let mut o = Map::new();
    o.insert(key, value);
    Ok(Json::Object(o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_take_core_types_without_losing_digits() {
        let v = parse(
            "a: 1\nb: -2.5\nc: true\nd: ~\ne: '1'\nf: 012345678901\ng: 3.10\nh: yes\ni: 1e3\nj: 18446744073709551615\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "a": 1, "b": -2.5, "c": true, "d": null, "e": "1",
                "f": "012345678901", "g": "3.10", "h": "yes", "i": "1e3",
                "j": 18446744073709551615u64
            })
        );
    }

    #[test]
    fn short_forms_become_long_forms() {
        let v = parse(
            "a: !GetAtt Db.Endpoint.Address\nb: !GetAtt [Db, Arn]\nc: !Ref X\nd: !Condition C\ne: !Select [0, !GetAZs '']\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "a": {"Fn::GetAtt": ["Db", "Endpoint.Address"]},
                "b": {"Fn::GetAtt": ["Db", "Arn"]},
                "c": {"Ref": "X"},
                "d": {"Condition": "C"},
                "e": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}
            })
        );
    }

    #[test]
    fn aliases_are_expanded_and_keys_keep_their_order() {
        let v = parse("z: &tags [1, 2]\na: *tags\nm: 3\n").unwrap();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"z":[1,2],"a":[1,2],"m":3}"#
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("a: 1\nb: [1, 2\n").unwrap_err();
        assert_eq!(e.line, 3, "{e:?}");
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 1));
        assert!(e.message.contains("twice"));
        let e = parse("a:\n  b: !Reff X\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 6));
        assert!(e.message.contains("!Reff"));
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(e.line, 2);
    }
}
