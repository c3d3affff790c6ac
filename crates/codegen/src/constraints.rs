//! Rules across the properties of an object: schema keywords the struct model does not
//! carry (`requiredXor`, `requiredOr`, `oneOf`/`anyOf` of required sets,
//! `dependentRequired`, `dependentExcluded`, `dependencies`, `if`/`then`/`else`) and
//! cfn-lint's schema extensions (`schemas/extensions/`), compiled into one small subset
//! of JSON Schema ([`Check`], mirrored by `stackwright_core::facts::Check`).
//!
//! What is not modelled compiles to [`Check::Unknown`], which never decides: a rule that
//! depends on it never fires. Forms the generator leaves out entirely are counted in
//! [`Skipped`] so the generator's summary says how many.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::Error;
use crate::schema::resolve_ref;

/// One rule across an object's properties.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    /// The rule id findings carry (`required-xor`, `one-of`, ...).
    pub rule: String,
    /// The keyword and where it is, or the cfn-lint rule and extension file.
    pub source: String,
    /// The source's own words, when it has them.
    pub description: String,
    /// What must hold.
    pub check: Check,
}

/// The subset of JSON Schema the validator evaluates (see core's `facts::Check`).
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Check {
    Any,
    Never,
    Unknown,
    Required(Vec<String>),
    OnlyKeys(Vec<String>),
    Property(String, Box<Check>),
    Type(Vec<String>),
    Const(String),
    Enum(Vec<String>),
    Pattern(String),
    Minimum(f64),
    Maximum(f64),
    ExclusiveMinimum(f64),
    ExclusiveMaximum(f64),
    MultipleOf(f64),
    MinLength(u32),
    MaxLength(u32),
    MinItems(u32),
    MaxItems(u32),
    Items(Box<Check>),
    Contains(Box<Check>),
    PropertyNames(Box<Check>),
    Not(Box<Check>),
    AllOf(Vec<Check>),
    AnyOf(Vec<Check>),
    OneOf(Vec<Check>),
    IfThenElse(Box<Check>, Box<Check>, Box<Check>),
    DependentRequired(String, Vec<String>),
    DependentExcluded(String, Vec<String>),
}

/// Forms seen in the schemas that the generator does not turn into constraints, by
/// `keyword: reason`.
pub type Skipped = BTreeMap<String, usize>;

/// Keywords that only annotate.
const ANNOTATIONS: &[&str] = &[
    "$comment",
    "$schema",
    "$id",
    "arrayType",
    "default",
    "definitions",
    "deprecated",
    "description",
    "examples",
    "insertionOrder",
    "markdownDescription",
    "relationshipRef",
    "title",
];

/// How deep `$ref`s are followed while compiling.
const MAX_DEPTH: usize = 12;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn json_text(v: &Value) -> String {
    v.to_string()
}

/// Compiles a schema fragment; `root` resolves its `$ref`s.
pub fn compile(node: &Value, root: &Value) -> Check {
    compile_at(node, root, 0)
}

fn compile_at(node: &Value, root: &Value, depth: usize) -> Check {
    if depth > MAX_DEPTH {
        return Check::Unknown;
    }
    let o = match node {
        Value::Bool(true) => return Check::Any,
        Value::Bool(false) => return Check::Never,
        Value::Object(o) => o,
        _ => return Check::Unknown,
    };
    let sub = |v: &Value| compile_at(v, root, depth + 1);
    let mut parts = Vec::new();
    for (k, v) in o {
        let part = match k.as_str() {
            k if ANNOTATIONS.contains(&k) => Check::Any,
            "$ref" => match v.as_str().and_then(|r| resolve_ref(root, r)) {
                Some(target) => sub(target),
                None => Check::Unknown,
            },
            "required" => Check::Required(strings(v)),
            "properties" => {
                let mut props = Vec::new();
                for (name, s) in v.as_object().into_iter().flatten() {
                    match sub(s) {
                        Check::Any => {}
                        c => props.push(Check::Property(name.clone(), Box::new(c))),
                    }
                }
                all(props)
            }
            "additionalProperties" => match v {
                Value::Bool(false) if !o.contains_key("patternProperties") => Check::OnlyKeys(
                    o.get("properties")
                        .and_then(Value::as_object)
                        .map(|p| p.keys().cloned().collect())
                        .unwrap_or_default(),
                ),
                Value::Bool(true) => Check::Any,
                _ => Check::Unknown,
            },
            "type" => match v {
                Value::String(t) => Check::Type(vec![t.clone()]),
                Value::Array(_) => Check::Type(strings(v)),
                _ => Check::Unknown,
            },
            "const" => Check::Const(json_text(v)),
            "enum" => match v.as_array() {
                Some(vals) => Check::Enum(vals.iter().map(json_text).collect()),
                None => Check::Unknown,
            },
            "pattern" => match v.as_str() {
                Some(p) => Check::Pattern(p.to_string()),
                None => Check::Unknown,
            },
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf" => {
                match (k.as_str(), v.as_f64()) {
                    ("minimum", Some(n)) => Check::Minimum(n),
                    ("maximum", Some(n)) => Check::Maximum(n),
                    ("exclusiveMinimum", Some(n)) => Check::ExclusiveMinimum(n),
                    ("exclusiveMaximum", Some(n)) => Check::ExclusiveMaximum(n),
                    ("multipleOf", Some(n)) if n > 0.0 => Check::MultipleOf(n),
                    _ => Check::Unknown,
                }
            }
            "minLength" | "maxLength" | "minItems" | "maxItems" => {
                match (k.as_str(), v.as_u64().and_then(|n| u32::try_from(n).ok())) {
                    ("minLength", Some(n)) => Check::MinLength(n),
                    ("maxLength", Some(n)) => Check::MaxLength(n),
                    ("minItems", Some(n)) => Check::MinItems(n),
                    ("maxItems", Some(n)) => Check::MaxItems(n),
                    _ => Check::Unknown,
                }
            }
            "items" if v.is_object() || v.is_boolean() => Check::Items(Box::new(sub(v))),
            "contains" => Check::Contains(Box::new(sub(v))),
            "propertyNames" => Check::PropertyNames(Box::new(sub(v))),
            "not" => Check::Not(Box::new(sub(v))),
            "allOf" | "anyOf" | "oneOf" => {
                let branches: Vec<Check> = v.as_array().into_iter().flatten().map(sub).collect();
                match k.as_str() {
                    "allOf" => all(branches),
                    "anyOf" => Check::AnyOf(branches),
                    _ => Check::OneOf(branches),
                }
            }
            "if" => {
                let then = o.get("then").map_or(Check::Any, sub);
                let els = o.get("else").map_or(Check::Any, sub);
                if then == Check::Any && els == Check::Any {
                    Check::Any
                } else {
                    Check::IfThenElse(Box::new(sub(v)), Box::new(then), Box::new(els))
                }
            }
            "then" | "else" => Check::Any,
            "dependentRequired" => all(v
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, d)| Check::DependentRequired(k.clone(), strings(d)))
                .collect()),
            "dependentExcluded" => all(v
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, d)| Check::DependentExcluded(k.clone(), strings(d)))
                .collect()),
            "dependencies" => all(v
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, d)| match d {
                    Value::Array(_) => Check::DependentRequired(k.clone(), strings(d)),
                    _ => Check::IfThenElse(
                        Box::new(Check::Required(vec![k.clone()])),
                        Box::new(sub(d)),
                        Box::new(Check::Any),
                    ),
                })
                .collect()),
            "requiredXor" => Check::OneOf(
                strings(v)
                    .into_iter()
                    .map(|p| Check::Required(vec![p]))
                    .collect(),
            ),
            "requiredOr" => Check::AnyOf(
                strings(v)
                    .into_iter()
                    .map(|p| Check::Required(vec![p]))
                    .collect(),
            ),
            _ => Check::Unknown,
        };
        if part != Check::Any {
            parts.push(part);
        }
    }
    all(parts)
}

fn all(mut parts: Vec<Check>) -> Check {
    match parts.len() {
        0 => Check::Any,
        1 => parts.pop().unwrap_or(Check::Any),
        _ => Check::AllOf(parts),
    }
}

/// The keywords of a struct's schema node this module turns into constraints.
const STRUCT_KEYWORDS: &[&str] = &[
    "requiredXor",
    "requiredOr",
    "oneOf",
    "anyOf",
    "allOf",
    "dependentRequired",
    "dependentExcluded",
    "dependencies",
    "if",
    "propertyNames",
];

/// Is this `oneOf`/`anyOf` branch about which properties are present (it lists
/// `required`, or combines branches that do, or is empty)?
fn is_presence_branch(b: &Value) -> bool {
    let Some(o) = b.as_object() else {
        return false;
    };
    if o.contains_key("required") {
        return true;
    }
    let combos: Vec<&Value> = ["oneOf", "anyOf", "allOf"]
        .iter()
        .filter_map(|k| o.get(*k))
        .collect();
    if o.is_empty() {
        return true;
    }
    !combos.is_empty()
        && combos.iter().all(|c| {
            c.as_array()
                .is_some_and(|bs| !bs.is_empty() && bs.iter().all(is_presence_branch))
        })
}

/// Is this branch a closed object alternative: `additionalProperties: false` over its
/// `properties`, with no `required` (`{Group}` or `{User}`, but not both)?
fn is_closed_alternative(b: &Value) -> bool {
    b.get("additionalProperties") == Some(&Value::Bool(false))
        && b.get("properties").is_some_and(Value::is_object)
        && b.get("required").is_none()
        && b.get("patternProperties").is_none()
}

/// The property names of a closed alternative.
fn closed_keys(b: &Value) -> Vec<&str> {
    b.get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// A presence branch as a check: its `required`, the keys `additionalProperties: false`
/// allows and the nested combinations, leaving the value schemas of its `properties` to
/// the struct model (they are its fields). `not`, `if` and value keywords inside are not
/// presence rules and make the branch unknown.
fn presence(b: &Value, root: &Value) -> Check {
    let Some(o) = b.as_object() else {
        return Check::Unknown;
    };
    let mut parts = Vec::new();
    for (k, v) in o {
        let part = match k.as_str() {
            k if ANNOTATIONS.contains(&k) => Check::Any,
            "required" => Check::Required(strings(v)),
            "type" if v == "object" => Check::Any,
            // Which properties a branch lists matters only with `additionalProperties`;
            // a property's own value schema is checked as that field's.
            "properties" => {
                let mut props = Vec::new();
                for (name, s) in v.as_object().into_iter().flatten() {
                    if s.as_object().is_some_and(|so| so.contains_key("required")) {
                        props.push(Check::Property(name.clone(), Box::new(presence(s, root))));
                    } else if s == &Value::Bool(false) {
                        props.push(Check::Property(name.clone(), Box::new(Check::Never)));
                    }
                }
                all(props)
            }
            "additionalProperties" => {
                let mut frag = serde_json::Map::new();
                frag.insert(k.clone(), v.clone());
                if let Some(p) = o.get("properties") {
                    frag.insert("properties".into(), keys_only(p));
                }
                compile(&Value::Object(frag), root)
            }
            "oneOf" | "anyOf" | "allOf" => {
                let branches: Vec<Check> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|x| presence(x, root))
                    .collect();
                match k.as_str() {
                    "allOf" => all(branches),
                    "anyOf" => Check::AnyOf(branches),
                    _ => Check::OneOf(branches),
                }
            }
            _ => Check::Unknown,
        };
        if part != Check::Any {
            parts.push(part);
        }
    }
    all(parts)
}

/// The same property names, each allowing any value.
fn keys_only(props: &Value) -> Value {
    Value::Object(
        props
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| (k.clone(), Value::Bool(true)))
            .collect(),
    )
}

/// `{key: v}` as a schema fragment.
fn one(key: &str, v: &Value) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(key.to_string(), v.clone());
    Value::Object(m)
}

fn add(out: &mut Vec<Constraint>, rule: &str, source: &str, check: Check) {
    if check != Check::Any {
        out.push(Constraint {
            rule: rule.to_string(),
            source: source.to_string(),
            description: String::new(),
            check,
        });
    }
}

/// The constraints of one struct's schema node, at `at` (a JSON pointer for the source).
pub fn of_struct(node: &Value, root: &Value, at: &str, skipped: &mut Skipped) -> Vec<Constraint> {
    let mut out = Vec::new();
    let Some(o) = node.as_object() else {
        return out;
    };
    for key in STRUCT_KEYWORDS {
        let Some(v) = o.get(*key) else { continue };
        let source = format!("{key} at {at}");
        match *key {
            "requiredXor" => add(
                &mut out,
                "required-xor",
                &source,
                compile(&one(key, v), root),
            ),
            "requiredOr" => add(
                &mut out,
                "required-or",
                &source,
                compile(&one(key, v), root),
            ),
            "oneOf" | "anyOf" => {
                let branches = v.as_array().map_or(&[][..], Vec::as_slice);
                let closed: Vec<Vec<&str>> = branches
                    .iter()
                    .filter(|b| is_closed_alternative(b))
                    .map(closed_keys)
                    .collect();
                // Closed alternatives are told apart by their keys: only when no two
                // share one (else the values would decide, which is the struct model's).
                let shared = closed.iter().enumerate().any(|(i, a)| {
                    closed
                        .iter()
                        .skip(i + 1)
                        .any(|b| a.iter().any(|k| b.contains(k)))
                });
                if !closed.is_empty() && shared {
                    *skipped
                        .entry(format!("{key}: object alternatives that share properties"))
                        .or_default() += 1;
                    continue;
                }
                let taken = |b: &Value| is_presence_branch(b) || is_closed_alternative(b);
                if branches.is_empty() || !branches.iter().all(taken) {
                    *skipped
                        .entry(format!("{key}: branches that are not required sets"))
                        .or_default() += 1;
                    continue;
                }
                let checks: Vec<Check> = branches.iter().map(|b| presence(b, root)).collect();
                // Branches told apart only by their values (the same required set) would
                // all match here: leave them to the struct model.
                let required = |c: &Check| match c {
                    Check::Required(r) => Some(r.clone()),
                    Check::AllOf(cs) => cs.iter().find_map(|c| match c {
                        Check::Required(r) => Some(r.clone()),
                        _ => None,
                    }),
                    _ => None,
                };
                let sets: Vec<Option<Vec<String>>> = checks.iter().map(required).collect();
                let clash = sets
                    .iter()
                    .enumerate()
                    .any(|(i, a)| a.is_some() && sets.iter().skip(i + 1).any(|b| b == a));
                if clash && *key == "oneOf" {
                    *skipped
                        .entry("oneOf: branches with the same required set".into())
                        .or_default() += 1;
                    continue;
                }
                if *key == "oneOf" {
                    add(&mut out, "one-of", &source, Check::OneOf(checks));
                } else {
                    add(&mut out, "any-of", &source, Check::AnyOf(checks));
                }
            }
            "allOf" => {
                for (i, b) in v.as_array().into_iter().flatten().enumerate() {
                    let mut inner = Skipped::new();
                    let nested = of_struct(b, root, &format!("{at}/allOf/{i}"), &mut inner);
                    for (k, n) in inner {
                        *skipped.entry(k).or_default() += n;
                    }
                    out.extend(nested);
                    if let Some(req) = b.get("required") {
                        let c = Check::Required(strings(req));
                        add(&mut out, "all-of", &format!("allOf at {at}/allOf/{i}"), c);
                    }
                    // A branch's own value rules (`properties: {X: {not: ...}}`).
                    if let Some(props) = b.get("properties") {
                        let c = compile(&one("properties", props), root);
                        add(&mut out, "all-of", &format!("allOf at {at}/allOf/{i}"), c);
                    }
                }
            }
            "dependentRequired" | "dependencies" => {
                for c in flatten(compile(&one(key, v), root)) {
                    let rule = if matches!(c, Check::IfThenElse(..)) {
                        "dependent-schema"
                    } else {
                        "dependent-required"
                    };
                    add(&mut out, rule, &source, c);
                }
            }
            "dependentExcluded" => {
                for c in flatten(compile(&one(key, v), root)) {
                    add(&mut out, "dependent-excluded", &source, c);
                }
            }
            "if" => {
                let mut frag = serde_json::Map::new();
                for k in ["if", "then", "else"] {
                    if let Some(x) = o.get(k) {
                        frag.insert(k.into(), x.clone());
                    }
                }
                add(
                    &mut out,
                    "if-then",
                    &source,
                    compile(&Value::Object(frag), root),
                );
            }
            "propertyNames" => add(
                &mut out,
                "property-names",
                &source,
                compile(&one(key, v), root),
            ),
            _ => {}
        }
    }
    out
}

fn flatten(c: Check) -> Vec<Check> {
    match c {
        Check::AllOf(cs) => cs,
        Check::Any => vec![],
        c => vec![c],
    }
}

/// One cfn-lint rule that applies an extension, from `extensions/rules.json`.
#[derive(Debug, Clone)]
pub struct ExtensionRule {
    /// `E3682`.
    pub rule: String,
    /// `aws_rds_dbinstance/aurora_exclusive.json`.
    pub file: String,
    /// Where cfn-lint applies it: `(type name, path below Properties)`, the path as
    /// segments (`*` for every item of a list).
    pub at: Vec<(String, Vec<String>)>,
    /// The compiled fragment.
    pub check: Check,
    /// Its description, if it has one.
    pub description: String,
    /// What kind of rule its top-level keyword makes it (`if-then`, ...).
    pub kind: String,
}

/// The vendored extensions and where cfn-lint applies them.
pub fn extensions(schemas_dir: &Path) -> Result<Vec<ExtensionRule>, Error> {
    let dir = schemas_dir.join("extensions");
    let index_path = dir.join("rules.json");
    let Ok(text) = std::fs::read_to_string(&index_path) else {
        return Ok(Vec::new());
    };
    let index: Value = serde_json::from_str(&text)
        .map_err(|e| Error::new(format!("{}: {e}", index_path.display())))?;
    let mut out = Vec::new();
    for r in index
        .get("applied")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let rule = r
            .get("rule")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let file = r
            .get("extension")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let path = dir.join(&file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
        let mut schema: Value = serde_json::from_str(&text)
            .map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
        if file.ends_with("/engine_version.json") {
            accept_version_prefixes(&mut schema);
        }
        let mut at = Vec::new();
        for k in strings(r.get("keywords").unwrap_or(&Value::Null)) {
            let mut segs = k.split('/');
            if segs.next() != Some("Resources") {
                continue;
            }
            let Some(type_name) = segs.next() else {
                continue;
            };
            if segs.next() != Some("Properties") {
                continue;
            }
            at.push((type_name.to_string(), segs.map(str::to_string).collect()));
        }
        at.extend(also_applied(&file));
        let check = compile(&schema, &schema);
        let kind = kind_of(&schema);
        out.push(ExtensionRule {
            rule,
            file,
            at,
            check,
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            kind,
        });
    }
    Ok(out)
}

/// Where synth applies an extension that cfn-lint applies to one type only. ElastiCache
/// takes the same engines and versions for a replication group as for a cache cluster
/// (`CreateReplicationGroup`), but E3695 checks only `AWS::ElastiCache::CacheCluster`.
fn also_applied(file: &str) -> Vec<(String, Vec<String>)> {
    match file {
        "aws_elasticache_cachecluster/engine_version.json" => {
            vec![("AWS::ElastiCache::ReplicationGroup".to_string(), Vec::new())]
        }
        _ => Vec::new(),
    }
}

/// Widens every `EngineVersion` enum with the versions' leading parts (`8.0` and `8` for
/// `8.0.35`). RDS takes a major or major.minor version and picks the newest release of it
/// (CDK's `MysqlEngineVersion.VER_8_0` writes `"8.0"`), but cfn-lint's lists, read from
/// `DescribeDBEngineVersions`, hold only full versions for most engines: as vendored they
/// would reject templates that deploy.
fn accept_version_prefixes(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(versions)) =
                map.get_mut("EngineVersion").and_then(|v| v.get_mut("enum"))
            {
                let listed: std::collections::BTreeSet<String> = versions
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                let leading: std::collections::BTreeSet<String> = listed
                    .iter()
                    .flat_map(|v| v.match_indices('.').map(|(i, _)| v[..i].to_string()))
                    .filter(|p| p.split('.').all(|n| n.bytes().all(|b| b.is_ascii_digit())))
                    .filter(|p| !listed.contains(p))
                    .collect();
                versions.extend(leading.into_iter().map(Value::String));
            }
            map.values_mut().for_each(accept_version_prefixes);
        }
        Value::Array(items) => items.iter_mut().for_each(accept_version_prefixes),
        _ => {}
    }
}

/// The rule id of an extension, after its top-level keyword.
fn kind_of(schema: &Value) -> String {
    let has = |k: &str| schema.get(k).is_some();
    if has("if") {
        "if-then"
    } else if has("propertyNames") {
        "property-names"
    } else if has("contains") {
        "contains"
    } else if has("dependentExcluded") {
        "dependent-excluded"
    } else if has("allOf") {
        // allOf of if/then (the common form) or of value rules.
        let all_if = schema
            .get("allOf")
            .and_then(Value::as_array)
            .is_some_and(|bs| bs.iter().all(|b| b.get("if").is_some()));
        if all_if { "if-then" } else { "all-of" }
    } else if has("pattern") || has("enum") {
        "value"
    } else {
        "schema"
    }
    .to_string()
}

/// Attaches an extension rule's check to the resource's struct at `segs` (below
/// `Properties`): the struct the path last passes through holds it, wrapped in the
/// property and item steps that remain. False when the path does not exist in the model.
pub fn attach(r: &mut crate::model::Resource, segs: &[String], c: &Constraint) -> bool {
    use crate::model::Kind;
    enum Step {
        Prop(String),
        Items,
    }
    let mut shape = 0usize;
    let mut steps: Vec<Step> = Vec::new();
    let mut ty: Option<crate::model::TypeNode> = None;
    for seg in segs {
        let next = match (&ty, seg.as_str()) {
            (None, name) => {
                let Some(f) = r.structs[shape].fields.iter().find(|f| f.prop == name) else {
                    return false;
                };
                steps.push(Step::Prop(name.to_string()));
                f.ty.clone()
            }
            (Some(t), "*") => match &t.kind {
                Kind::List(item) => {
                    steps.push(Step::Items);
                    (**item).clone()
                }
                _ => return false,
            },
            (Some(_), _) => return false,
        };
        if let Kind::Struct(i) = next.kind {
            shape = i;
            steps.clear();
            ty = None;
        } else {
            ty = Some(next);
        }
    }
    let mut check = c.check.clone();
    for step in steps.into_iter().rev() {
        check = match step {
            Step::Prop(name) => Check::Property(name, Box::new(check)),
            Step::Items => Check::Items(Box::new(check)),
        };
    }
    let constraint = Constraint { check, ..c.clone() };
    if !r.structs[shape].constraints.contains(&constraint) {
        r.structs[shape].constraints.push(constraint);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn engine_versions_accept_their_leading_parts() {
        let mut schema = serde_json::json!({"allOf": [{"then": {"properties": {
            "EngineVersion": {"enum": ["8.0.35", "8.0.36", "5.7.44-rds.20240408", 16]}
        }}}]});
        accept_version_prefixes(&mut schema);
        assert_eq!(
            schema["allOf"][0]["then"]["properties"]["EngineVersion"]["enum"],
            serde_json::json!([
                "8.0.35",
                "8.0.36",
                "5.7.44-rds.20240408",
                16,
                "5",
                "5.7",
                "8",
                "8.0"
            ])
        );
    }

    fn req(names: &[&str]) -> Check {
        Check::Required(names.iter().map(|s| s.to_string()).collect())
    }

    fn on(node: Value) -> (Vec<Constraint>, Skipped) {
        let mut skipped = Skipped::new();
        let c = of_struct(&node, &node, "#", &mut skipped);
        (c, skipped)
    }

    #[test]
    fn required_xor_and_or_are_exactly_one_and_at_least_one() {
        let (c, _) = on(json!({"requiredXor": ["A", "B"], "requiredOr": ["C", "D"]}));
        assert_eq!(c[0].rule, "required-xor");
        assert_eq!(c[0].check, Check::OneOf(vec![req(&["A"]), req(&["B"])]));
        assert_eq!(c[1].rule, "required-or");
        assert_eq!(c[1].check, Check::AnyOf(vec![req(&["C"]), req(&["D"])]));
        assert_eq!(c[0].source, "requiredXor at #");
    }

    #[test]
    fn one_of_required_sets_keep_additional_properties_and_skip_value_unions() {
        let (c, skipped) = on(json!({"oneOf": [
            {"required": ["A"], "properties": {"A": {"$ref": "#/definitions/X"}}, "additionalProperties": false},
            {"required": ["B", "C"]},
        ]}));
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].check,
            Check::OneOf(vec![
                Check::AllOf(vec![req(&["A"]), Check::OnlyKeys(vec!["A".into()])]),
                req(&["B", "C"]),
            ])
        );
        assert!(skipped.is_empty());
        // Branches told apart by their values, not by which properties are set.
        let (c, skipped) = on(json!({"oneOf": [{"type": "string"}, {"$ref": "#/definitions/X"}]}));
        assert!(c.is_empty());
        assert_eq!(skipped["oneOf: branches that are not required sets"], 1);
        let (c, skipped) = on(json!({"oneOf": [
            {"required": ["A"], "properties": {"A": {"type": "string"}}},
            {"required": ["A"], "properties": {"A": {"type": "integer"}}},
        ]}));
        assert!(c.is_empty());
        assert_eq!(skipped["oneOf: branches with the same required set"], 1);
    }

    #[test]
    fn closed_object_alternatives_are_told_apart_by_their_keys() {
        let closed = |k: &str| json!({"additionalProperties": false, "properties": {k: {"$ref": "#/definitions/X"}}});
        let (c, _) = on(json!({"oneOf": [closed("Group"), closed("User")]}));
        assert_eq!(
            c[0].check,
            Check::OneOf(vec![
                Check::OnlyKeys(vec!["Group".into()]),
                Check::OnlyKeys(vec!["User".into()]),
            ])
        );
        // Alternatives that share a key differ by value: left out.
        let (c, skipped) = on(json!({"oneOf": [closed("A"), closed("A")]}));
        assert!(c.is_empty());
        assert_eq!(
            skipped["oneOf: object alternatives that share properties"],
            1
        );
    }

    #[test]
    fn dependencies_and_dependent_keywords() {
        let (c, _) = on(json!({
            "dependentRequired": {"A": ["B"]},
            "dependentExcluded": {"C": ["D"]},
            "dependencies": {"E": ["F"], "G": {"required": ["H"]}},
        }));
        let rules: Vec<&str> = c.iter().map(|c| c.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "dependent-required",
                "dependent-excluded",
                "dependent-required",
                "dependent-schema"
            ]
        );
        assert_eq!(
            c[0].check,
            Check::DependentRequired("A".into(), vec!["B".into()])
        );
        assert_eq!(
            c[1].check,
            Check::DependentExcluded("C".into(), vec!["D".into()])
        );
        assert_eq!(
            c[3].check,
            Check::IfThenElse(
                Box::new(req(&["G"])),
                Box::new(req(&["H"])),
                Box::new(Check::Any)
            )
        );
    }

    #[test]
    fn if_then_compiles_conditions_on_values_and_unknown_keywords_stay_unknown() {
        let (c, _) = on(json!({"allOf": [{
            "if": {"properties": {"Engine": {"const": "postgres"}}, "required": ["Engine"]},
            "then": {"properties": {"User": {"not": {"enum": ["admin"]}}, "Port": false}},
        }]}));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].rule, "if-then");
        assert_eq!(c[0].source, "if at #/allOf/0");
        let Check::IfThenElse(i, t, e) = &c[0].check else {
            panic!("{:?}", c[0].check)
        };
        assert_eq!(
            **i,
            Check::AllOf(vec![
                Check::Property(
                    "Engine".into(),
                    Box::new(Check::Const("\"postgres\"".into()))
                ),
                req(&["Engine"]),
            ])
        );
        assert_eq!(
            **t,
            Check::AllOf(vec![
                Check::Property(
                    "User".into(),
                    Box::new(Check::Not(Box::new(Check::Enum(vec!["\"admin\"".into()]))))
                ),
                Check::Property("Port".into(), Box::new(Check::Never)),
            ])
        );
        assert_eq!(**e, Check::Any);
        assert_eq!(
            compile(&json!({"format": "ipv4", "title": "x"}), &json!({})),
            Check::Unknown
        );
    }

    #[test]
    fn refs_resolve_in_their_own_document() {
        let doc = json!({
            "definitions": {"Port": {"minimum": 1}},
            "properties": {"P": {"$ref": "#/definitions/Port"}},
        });
        assert_eq!(
            compile(&doc, &doc),
            Check::Property("P".into(), Box::new(Check::Minimum(1.0)))
        );
    }
}
