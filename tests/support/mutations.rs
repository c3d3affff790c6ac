//! Single mutations of synthesized templates, drawn from the schema facts, for the
//! differential test against cfn-lint (`tests/differential.rs`).
//!
//! Each resource of a template becomes a small *base* template: the resource, the
//! resources it names (what those name in turn stubbed by parameters, see
//! [`closure_template`]) and the stack's parameters, mappings and conditions. Each
//! mutation changes one thing in that resource. The enumeration walks the templates in
//! order and the facts in schema order, with no randomness, so the same code always
//! yields the same mutations with the same ids.
//!
//! The kinds: `enum`, `enum-in-if-branch`, `pattern`, `max-length`, `min-length`,
//! `free-string` (a string the facts leave unconstrained, for cfn-lint's own data),
//! `below-minimum`, `above-maximum`, `fractional-integer`, `wrong-type`, `null-value`,
//! `too-many-items`, `too-few-items`, `duplicate-items`, `required-removed`,
//! `unknown-property`, `min-max-swapped`, `ref-unknown`, `getatt-unknown-attribute`,
//! `getatt-unknown-target`, `sub-unknown-variable`, `depends-on-unknown`,
//! `condition-unknown`, `deletion-policy-invalid`, `unknown-type`, `tag-key-reserved`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json, json};
use stackwright::core::facts::{AttrType, Prop, ResourceFacts, Shape, TagFormat, Ty};
use stackwright::core::{Env, StackArtifact, registry};

/// The unmutated template a mutation starts from.
pub struct Base {
    /// `<stack>/<logical id>` of the resource it was made for.
    pub id: String,
    /// The stack it came from (the included copy goes into a stack of the same name).
    pub stack: String,
    pub env: Env,
    pub template: Json,
}

/// One changed template.
pub struct Mutation {
    /// `<stack>/<logical id>/<kind>/<where>`: stable while the examples' logical ids are.
    pub id: String,
    pub kind: &'static str,
    /// Index into the bases.
    pub base: usize,
    pub template: Json,
}

/// At most this many mutations of one kind per resource type, so that a type with many
/// constrained properties does not crowd out the others (and cfn-lint's run stays short).
fn per_type_cap(kind: &str) -> usize {
    match kind {
        "wrong-type"
        | "unknown-property"
        | "required-removed"
        | "max-length"
        | "min-length"
        | "ref-unknown"
        | "getatt-unknown-attribute"
        | "getatt-unknown-target"
        | "null-value"
        | "fractional-integer"
        | "enum-in-if-branch"
        | "duplicate-items" => 1,
        _ => 2,
    }
}

/// At most this many mutations of one kind in all, picked evenly across the examples'
/// resources: the kinds stackwright and cfn-lint check alike for every type are thinned
/// so that the whole run stays a few hundred templates.
fn overall_cap(kind: &str) -> usize {
    match kind {
        "unknown-type"
        | "depends-on-unknown"
        | "condition-unknown"
        | "deletion-policy-invalid"
        | "getatt-unknown-target"
        | "null-value"
        | "tag-key-reserved" => 12,
        "ref-unknown"
        | "getatt-unknown-attribute"
        | "min-length"
        | "max-length"
        | "unknown-property" => 20,
        "duplicate-items" | "required-removed" | "wrong-type" => 30,
        _ => usize::MAX,
    }
}

/// The bases and mutations of every resource of `stacks`, deduplicated by what they
/// change (a type, a kind and a property path are mutated once, in the first resource
/// that has them), then thinned by [`per_type_cap`] and [`overall_cap`].
pub fn enumerate(stacks: &[StackArtifact]) -> (Vec<Base>, Vec<Mutation>) {
    let mut seen: BTreeSet<(String, &'static str, String)> = BTreeSet::new();
    let mut per_type_kind: BTreeMap<(String, &'static str), usize> = BTreeMap::new();
    // (stack, logical id, candidate), in template order.
    let mut all: Vec<(usize, &str, Candidate)> = Vec::new();
    for (si, stack) in stacks.iter().enumerate() {
        let Some(resources) = stack.template["Resources"].as_object() else {
            continue;
        };
        for (lid, body) in resources {
            let type_name = body["Type"].as_str().unwrap_or_default().to_string();
            for c in candidates(body, registry::facts_for(&type_name)) {
                let count = per_type_kind
                    .entry((type_name.clone(), c.kind))
                    .or_default();
                if *count >= per_type_cap(c.kind)
                    || !seen.insert((type_name.clone(), c.kind, strip_indices(&c.at)))
                {
                    continue;
                }
                *count += 1;
                all.push((si, lid.as_str(), c));
            }
        }
    }

    // Even thinning: of n candidates of a kind, keep the ones where i * cap / n steps.
    let mut totals: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (_, _, c) in &all {
        *totals.entry(c.kind).or_default() += 1;
    }
    let mut index: BTreeMap<&'static str, usize> = BTreeMap::new();
    all.retain(|(_, _, c)| {
        let (n, cap) = (totals[c.kind], overall_cap(c.kind));
        let i = index.entry(c.kind).or_default();
        let keep = n <= cap || (*i * cap) / n != ((*i + 1) * cap) / n;
        *i += 1;
        keep
    });

    let mut bases: Vec<Base> = Vec::new();
    let mut base_of: BTreeMap<(usize, &str), usize> = BTreeMap::new();
    let mut mutations = Vec::new();
    for (si, lid, c) in all {
        let stack = &stacks[si];
        let base = *base_of.entry((si, lid)).or_insert_with(|| {
            bases.push(Base {
                id: format!("{}/{lid}", stack.name),
                stack: stack.name.clone(),
                env: stack.env.clone(),
                template: closure_template(&stack.template, lid),
            });
            bases.len() - 1
        });
        let mut template = bases[base].template.clone();
        template["Resources"][lid] = c.body;
        if c.uses_condition {
            let conditions = template
                .as_object_mut()
                .expect("a template")
                .entry("Conditions")
                .or_insert_with(|| json!({}));
            conditions[CONDITION] = json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]});
        }
        mutations.push(Mutation {
            id: format!("{}/{lid}/{}/{}", stack.name, c.kind, c.at),
            kind: c.kind,
            base,
            template,
        });
    }
    (bases, mutations)
}

/// `Properties.Foo[2].Bar` → `Properties.Foo[].Bar`.
fn strip_indices(at: &str) -> String {
    let mut out = String::with_capacity(at.len());
    let mut in_index = false;
    for c in at.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// The template of `lid`, the resources it names (through references, `DependsOn` and
/// `Fn::Sub` variables) and the stack's parameters, mappings and conditions (which refer
/// only to each other). What those neighbours name in turn is left out: a `Ref` to it
/// becomes a `Ref` to a parameter of the same name, a `Fn::GetAtt` a `Ref` to a parameter
/// of the attribute's type, a `DependsOn` on it is dropped. That keeps each file a few
/// resources long, which is most of what cfn-lint's time depends on.
fn closure_template(template: &Json, lid: &str) -> Json {
    let resources = template["Resources"].as_object().expect("resources");
    let mut targets = Vec::new();
    targets_of(&resources[lid], &mut targets);
    let mut kept: BTreeSet<&str> = targets
        .iter()
        .filter_map(|t| resources.get_key_value(t.as_str()).map(|(k, _)| k.as_str()))
        .collect();
    kept.insert(lid);

    let mut stubs = Stubs {
        resources,
        kept: &kept,
        parameters: Map::new(),
    };
    let bodies: Map<String, Json> = resources
        .iter()
        .filter(|(id, _)| kept.contains(id.as_str()))
        .map(|(id, body)| {
            let mut body = body.clone();
            if id != lid {
                stubs.rewrite(&mut body);
                stubs.depends_on(&mut body);
            }
            (id.clone(), body)
        })
        .collect();

    let mut out = Map::new();
    out.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    let mut parameters = template
        .get("Parameters")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    parameters.extend(stubs.parameters);
    if !parameters.is_empty() {
        out.insert("Parameters".into(), Json::Object(parameters));
    }
    for section in ["Mappings", "Conditions"] {
        if let Some(s) = template.get(section) {
            out.insert(section.into(), s.clone());
        }
    }
    out.insert("Resources".into(), Json::Object(bodies));
    Json::Object(out)
}

/// Replaces references to resources left out of a base by parameters.
struct Stubs<'a> {
    resources: &'a Map<String, Json>,
    kept: &'a BTreeSet<&'a str>,
    parameters: Map<String, Json>,
}

impl Stubs<'_> {
    fn left_out(&self, id: &str) -> bool {
        self.resources.contains_key(id) && !self.kept.contains(id)
    }

    /// The parameter standing for `id`'s attribute `attribute` (for its `Ref` when
    /// `None`), declared on first use.
    fn parameter(&mut self, id: &str, attribute: Option<&str>) -> String {
        let Some(attribute) = attribute else {
            self.parameters
                .entry(id.to_string())
                .or_insert_with(|| json!({"Type": "String"}));
            return id.to_string();
        };
        let type_name = self.resources[id]["Type"].as_str().unwrap_or_default();
        let ty = registry::facts_for(type_name)
            .and_then(|f| f.attribute(attribute))
            .map(|a| a.ty);
        let parameter_type = match ty {
            Some(AttrType::List) => "CommaDelimitedList",
            Some(AttrType::Integer | AttrType::Number) => "Number",
            _ => "String",
        };
        let mut name: String = format!("{id}{attribute}")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        if self.resources.contains_key(&name) {
            name.push_str("Stub");
        }
        self.parameters
            .entry(name.clone())
            .or_insert_with(|| json!({"Type": parameter_type}));
        name
    }

    fn rewrite(&mut self, v: &mut Json) {
        match v {
            Json::Object(o) if o.len() == 1 => {
                let (k, x) = o.iter_mut().next().expect("one entry");
                match (k.as_str(), &mut *x) {
                    ("Ref", Json::String(t)) if self.left_out(t) => {
                        let t = t.clone();
                        self.parameter(&t, None);
                    }
                    ("Fn::GetAtt", _) => {
                        let (target, attribute) = match &*x {
                            Json::Array(a) => (
                                a.first()
                                    .and_then(Json::as_str)
                                    .unwrap_or_default()
                                    .to_string(),
                                a.get(1)
                                    .and_then(Json::as_str)
                                    .unwrap_or_default()
                                    .to_string(),
                            ),
                            Json::String(s) => {
                                let (t, a) = s.split_once('.').unwrap_or((s, ""));
                                (t.to_string(), a.to_string())
                            }
                            _ => return,
                        };
                        if self.left_out(&target) {
                            let name = self.parameter(&target, Some(&attribute));
                            *v = json!({"Ref": name});
                        }
                    }
                    ("Fn::Sub", _) => {
                        let text = match x {
                            Json::String(s) => Some(s),
                            Json::Array(a) => {
                                for var in a.iter_mut().skip(1) {
                                    self.rewrite(var);
                                }
                                a.first_mut().and_then(|t| match t {
                                    Json::String(s) => Some(s),
                                    _ => None,
                                })
                            }
                            _ => None,
                        };
                        if let Some(text) = text {
                            let mut replaced = text.clone();
                            for var in sub_variables(text) {
                                let (target, attribute) = match var.split_once('.') {
                                    Some((t, a)) => (t, Some(a)),
                                    None => (var, None),
                                };
                                if self.left_out(target) {
                                    let name = self.parameter(target, attribute);
                                    replaced = replaced
                                        .replace(&format!("${{{var}}}"), &format!("${{{name}}}"));
                                }
                            }
                            *text = replaced;
                        }
                    }
                    _ => self.rewrite(x),
                }
            }
            Json::Object(o) => o.values_mut().for_each(|x| self.rewrite(x)),
            Json::Array(a) => a.iter_mut().for_each(|x| self.rewrite(x)),
            _ => {}
        }
    }

    /// Drops `DependsOn` entries on resources left out.
    fn depends_on(&self, body: &mut Json) {
        let Some(o) = body.as_object_mut() else {
            return;
        };
        let kept: Vec<Json> = match o.get("DependsOn") {
            Some(Json::String(t)) => vec![json!(t)],
            Some(Json::Array(a)) => a.clone(),
            _ => return,
        }
        .into_iter()
        .filter(|t| t.as_str().is_some_and(|t| !self.left_out(t)))
        .collect();
        if kept.is_empty() {
            o.shift_remove("DependsOn");
        } else {
            o.insert("DependsOn".into(), Json::Array(kept));
        }
    }
}

/// The logical ids a resource body names: `Ref`, `Fn::GetAtt`, `Fn::Sub` variables and
/// `DependsOn`.
fn targets_of(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(o) => {
            for (k, x) in o {
                match (k.as_str(), x) {
                    ("Ref", Json::String(t)) => out.push(t.clone()),
                    ("Fn::GetAtt", Json::Array(a)) => {
                        if let Some(Json::String(t)) = a.first() {
                            out.push(t.clone());
                        }
                    }
                    ("Fn::GetAtt", Json::String(s)) => {
                        out.push(s.split('.').next().unwrap_or_default().to_string());
                    }
                    ("Fn::Sub", _) => {
                        let text = match x {
                            Json::String(s) => Some(s.as_str()),
                            Json::Array(a) => a.first().and_then(Json::as_str),
                            _ => None,
                        };
                        for var in text.map(sub_variables).unwrap_or_default() {
                            out.push(var.split('.').next().unwrap_or_default().to_string());
                        }
                    }
                    ("DependsOn", Json::String(t)) => out.push(t.clone()),
                    ("DependsOn", Json::Array(a)) => {
                        out.extend(a.iter().filter_map(Json::as_str).map(str::to_string));
                    }
                    _ => {}
                }
                targets_of(x, out);
            }
        }
        Json::Array(a) => a.iter().for_each(|x| targets_of(x, out)),
        _ => {}
    }
}

/// The `${...}` variables of an `Fn::Sub` text, `${!literal}` left out.
fn sub_variables(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let var = &rest[..end];
        if !var.starts_with('!') {
            out.push(var);
        }
        rest = &rest[end + 1..];
    }
    out
}

/// One candidate: the resource body with one change.
struct Candidate {
    kind: &'static str,
    /// Where, as `Properties.Foo[0].Bar` (or a resource attribute's name).
    at: String,
    body: Json,
    /// Whether the body uses [`CONDITION`], which the template then declares.
    uses_condition: bool,
}

/// The condition an `Fn::If` mutation branches on: true in the examples' region.
pub const CONDITION: &str = "DifferentialInUsEast1";

/// A value no enum of the schemas allows and no logical id in the examples uses.
const NOT_ALLOWED: &str = "NotAnAllowedValue";
const UNKNOWN_ID: &str = "NoSuchLogicalId";
const UNKNOWN_ATTRIBUTE: &str = "NoSuchAttribute";

/// Strings tried, in order, to break a pattern: the first the pattern rejects is used.
const PATTERN_BREAKERS: &[&str] = &["#!~ not valid ~!#", "", "x", "0", "NOT VALID"];

fn candidates(body: &Json, facts: Option<&'static ResourceFacts>) -> Vec<Candidate> {
    let mut g = Gen {
        body,
        out: Vec::new(),
    };
    let type_name = body["Type"].as_str().unwrap_or_default();
    // Resource-level mutations.
    g.push("unknown-type", "Type", "/Type", |v| {
        *v = json!(format!("{type_name}Typo"));
    });
    g.push_insert(
        "depends-on-unknown",
        "DependsOn",
        "",
        "DependsOn",
        json!(UNKNOWN_ID),
    );
    if body.get("Condition").is_none() {
        g.push_insert(
            "condition-unknown",
            "Condition",
            "",
            "Condition",
            json!(UNKNOWN_ID),
        );
    }
    g.push_insert(
        "deletion-policy-invalid",
        "DeletionPolicy",
        "",
        "DeletionPolicy",
        json!(NOT_ALLOWED),
    );
    if let (Some(facts), Some(Json::Object(props))) = (facts, body.get("Properties")) {
        g.object("/Properties", "Properties", props, facts.shape);
        // A tag key in the namespace AWS keeps for itself.
        if let Some(tagging) = facts.tagging
            && tagging.format != TagFormat::Map
            && props
                .get(tagging.property)
                .and_then(Json::as_array)
                .is_some_and(|tags| tags.first().is_some_and(|t| t.get("Key").is_some()))
        {
            let at = format!("Properties.{}[0].Key", tagging.property);
            let pointer = format!("/Properties/{}/0/Key", escape(tagging.property));
            g.push("tag-key-reserved", &at, &pointer, |v| {
                *v = json!("aws:reserved")
            });
        }
    }
    if let Some(props) = body.get("Properties") {
        g.intrinsics("/Properties", "Properties", props);
    }
    g.out
}

struct Gen<'a> {
    body: &'a Json,
    out: Vec<Candidate>,
}

impl Gen<'_> {
    /// A candidate that changes the value at `pointer` (below the resource body).
    fn push(&mut self, kind: &'static str, at: &str, pointer: &str, f: impl FnOnce(&mut Json)) {
        let mut body = self.body.clone();
        let Some(v) = body.pointer_mut(pointer) else {
            return;
        };
        f(v);
        self.out.push(Candidate {
            kind,
            at: at.to_string(),
            body,
            uses_condition: false,
        });
    }

    /// A candidate that sets `key` in the object at `pointer`.
    fn push_insert(&mut self, kind: &'static str, at: &str, pointer: &str, key: &str, v: Json) {
        self.push(kind, at, pointer, |o| {
            if let Json::Object(o) = o {
                o.insert(key.to_string(), v);
            }
        });
    }

    fn object(&mut self, ptr: &str, at: &str, obj: &Map<String, Json>, shape: &'static Shape) {
        for p in shape.properties.iter().filter(|p| p.required) {
            if obj.contains_key(p.name) {
                self.push("required-removed", &format!("{at}.{}", p.name), ptr, |o| {
                    if let Json::Object(o) = o {
                        o.shift_remove(p.name);
                    }
                });
            }
        }
        if !shape.properties.is_empty() {
            self.push_insert(
                "unknown-property",
                &format!("{at}.NotAProperty"),
                ptr,
                "NotAProperty",
                json!("x"),
            );
        }
        self.min_max_swaps(ptr, at, obj);
        if let Some(key) = obj.keys().next() {
            self.push(
                "null-value",
                &format!("{at}.{key}"),
                &format!("{ptr}/{}", escape(key)),
                |v| {
                    *v = Json::Null;
                },
            );
        }
        for (key, v) in obj {
            if let Some(prop) = shape.property(key) {
                self.value(
                    &format!("{ptr}/{}", escape(key)),
                    &format!("{at}.{key}"),
                    v,
                    prop,
                );
            }
        }
    }

    /// `MinSize`/`MaxSize`, `MinimumX`/`MaximumX`, ... both literal numbers, swapped.
    fn min_max_swaps(&mut self, ptr: &str, at: &str, obj: &Map<String, Json>) {
        for (key, low) in obj {
            let upper_key = if let Some(rest) = key.strip_prefix("Minimum") {
                format!("Maximum{rest}")
            } else if let Some(rest) = key.strip_prefix("Min") {
                format!("Max{rest}")
            } else {
                continue;
            };
            let Some(high) = obj.get(&upper_key) else {
                continue;
            };
            let (Some(l), Some(h)) = (number_of(low), number_of(high)) else {
                continue;
            };
            if l >= h {
                continue;
            }
            let (low, high) = (low.clone(), high.clone());
            let key = key.clone();
            self.push(
                "min-max-swapped",
                &format!("{at}.{key}/{upper_key}"),
                ptr,
                |o| {
                    if let Json::Object(o) = o {
                        o.insert(key, high);
                        o.insert(upper_key, low);
                    }
                },
            );
        }
    }

    fn value(&mut self, ptr: &str, at: &str, v: &Json, prop: &'static Prop) {
        if is_intrinsic(v) {
            return;
        }
        let rules = &prop.rules;
        match &prop.ty {
            Ty::String => {
                let Some(s) = v.as_str() else { return };
                if !rules.allowed.is_empty() && !rules.allowed.contains(&NOT_ALLOWED) {
                    self.push("enum", at, ptr, |v| *v = json!(NOT_ALLOWED));
                    let original = v.clone();
                    self.push("enum-in-if-branch", at, ptr, |v| {
                        *v = json!({"Fn::If": [CONDITION, NOT_ALLOWED, original]});
                    });
                    if let Some(c) = self.out.last_mut() {
                        c.uses_condition = true;
                    }
                }
                if rules.allowed.is_empty() && rules.pattern.is_none() {
                    // No rule in the schema facts: cfn-lint's own (formats, extension
                    // enums such as instance types or engines) may still have one.
                    self.push("free-string", at, ptr, |v| *v = json!(NOT_ALLOWED));
                }
                if let Some(pattern) = rules.pattern
                    && let Some(bad) = pattern_breaker(pattern)
                {
                    self.push("pattern", at, ptr, |v| *v = json!(bad));
                }
                if let Some(max) = rules.max_length {
                    let long = stretch(s, max as usize + 1);
                    self.push("max-length", at, ptr, |v| *v = json!(long));
                }
                if let Some(min) = rules.min_length.filter(|m| *m > 0) {
                    let short: String = s.chars().take(min as usize - 1).collect();
                    self.push("min-length", at, ptr, |v| *v = json!(short));
                }
                self.push("wrong-type", at, ptr, |v| {
                    *v = json!(["a list, not a string"])
                });
            }
            Ty::Integer | Ty::Number => {
                let Some(n) = number_of(v) else { return };
                let as_string = v.is_string();
                let integer = matches!(prop.ty, Ty::Integer);
                if let Some(min) = rules.minimum {
                    let bad = number_json(min - 1.0, integer || n.fract() == 0.0, as_string);
                    self.push("below-minimum", at, ptr, |v| *v = bad);
                }
                if let Some(max) = rules.maximum {
                    let bad = number_json(max + 1.0, integer || n.fract() == 0.0, as_string);
                    self.push("above-maximum", at, ptr, |v| *v = bad);
                }
                if integer && !as_string {
                    self.push("fractional-integer", at, ptr, |v| *v = json!(n + 0.5));
                }
                self.push("wrong-type", at, ptr, |v| *v = json!("not a number"));
            }
            Ty::Boolean => {
                if v.is_boolean() || v.is_string() {
                    self.push("wrong-type", at, ptr, |v| *v = json!("maybe"));
                }
            }
            Ty::List(item) => {
                let Some(items) = v.as_array() else { return };
                if let (Some(max), Some(first)) = (rules.max_items, items.first()) {
                    let many: Vec<Json> = (0..=max).map(|_| first.clone()).collect();
                    self.push("too-many-items", at, ptr, |v| *v = Json::Array(many));
                }
                if let Some(first) = items.first()
                    && rules.max_items.is_none_or(|m| m as usize > items.len())
                {
                    let mut doubled = items.clone();
                    doubled.insert(1, first.clone());
                    self.push("duplicate-items", at, ptr, |v| *v = Json::Array(doubled));
                }
                if rules.min_items.is_some_and(|m| m > 0) {
                    self.push("too-few-items", at, ptr, |v| *v = json!([]));
                }
                self.push("wrong-type", at, ptr, |v| *v = json!({"Not": "a list"}));
                if let Some(first) = items.first() {
                    self.value(&format!("{ptr}/0"), &format!("{at}[0]"), first, item);
                }
            }
            Ty::Map(item) => {
                if let Some((k, first)) = v.as_object().and_then(|o| o.iter().next()) {
                    self.value(
                        &format!("{ptr}/{}", escape(k)),
                        &format!("{at}.{k}"),
                        first,
                        item,
                    );
                }
            }
            Ty::Object(shape) => {
                let Some(obj) = v.as_object() else { return };
                self.push("wrong-type", at, ptr, |v| *v = json!("not an object"));
                self.object(ptr, at, obj, shape);
            }
            Ty::Json => {}
        }
    }

    /// References inside the properties, wherever they are: a `Ref` to an unknown id, a
    /// `Fn::GetAtt` of an unknown attribute, an `Fn::Sub` with an unknown variable.
    fn intrinsics(&mut self, ptr: &str, at: &str, v: &Json) {
        match v {
            Json::Object(o) => {
                for (k, x) in o {
                    let here = format!("{ptr}/{}", escape(k));
                    match (k.as_str(), x) {
                        ("Ref", Json::String(t)) if !t.starts_with("AWS::") => {
                            self.push("ref-unknown", at, &here, |v| *v = json!(UNKNOWN_ID));
                        }
                        ("Fn::GetAtt", Json::Array(a)) if a.len() == 2 => {
                            self.push("getatt-unknown-attribute", at, &format!("{here}/1"), |v| {
                                *v = json!(UNKNOWN_ATTRIBUTE);
                            });
                            self.push("getatt-unknown-target", at, &format!("{here}/0"), |v| {
                                *v = json!(UNKNOWN_ID);
                            });
                        }
                        ("Fn::GetAtt", Json::String(s)) => {
                            let target = s.split('.').next().unwrap_or_default().to_string();
                            self.push("getatt-unknown-attribute", at, &here, |v| {
                                *v = json!(format!("{target}.{UNKNOWN_ATTRIBUTE}"));
                            });
                        }
                        ("Fn::Sub", Json::String(_)) => {
                            self.push("sub-unknown-variable", at, &here, append_unknown_var);
                        }
                        ("Fn::Sub", Json::Array(a)) if !a.is_empty() => {
                            self.push(
                                "sub-unknown-variable",
                                at,
                                &format!("{here}/0"),
                                append_unknown_var,
                            );
                        }
                        _ => {}
                    }
                    let child_at = if k.starts_with("Fn::") || k == "Ref" {
                        at.to_string()
                    } else {
                        format!("{at}.{k}")
                    };
                    self.intrinsics(&here, &child_at, x);
                }
            }
            Json::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.intrinsics(&format!("{ptr}/{i}"), &format!("{at}[{i}]"), x);
                }
            }
            _ => {}
        }
    }
}

fn append_unknown_var(v: &mut Json) {
    if let Json::String(s) = v {
        s.push_str("${NoSuchVariable}");
    }
}

/// JSON pointer escaping of one key.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn is_intrinsic(v: &Json) -> bool {
    v.as_object().is_some_and(|o| {
        o.len() == 1
            && o.keys()
                .next()
                .is_some_and(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
    })
}

/// A literal number, or a string holding one (CloudFormation takes both).
fn number_of(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn number_json(n: f64, integer: bool, as_string: bool) -> Json {
    let text = if integer {
        format!("{}", n.floor() as i64)
    } else {
        format!("{n}")
    };
    if as_string {
        json!(text)
    } else {
        serde_json::from_str(&text).expect("a number")
    }
}

/// `s` repeated (its own characters, so a pattern it meets is likely still met) to
/// `len` characters; `a`s when it is empty.
fn stretch(s: &str, len: usize) -> String {
    let source: Vec<char> = if s.is_empty() {
        vec!['a']
    } else {
        s.chars().collect()
    };
    source.iter().cycle().take(len).collect()
}

/// The first of [`PATTERN_BREAKERS`] the pattern rejects; `None` when it takes them all.
/// Rust's regex cannot read look-around (`^(?!aws:)`): such a pattern gets the first
/// breaker untested, and when it accepts that, neither side reports the mutation.
fn pattern_breaker(pattern: &str) -> Option<&'static str> {
    let Ok(re) = regex::Regex::new(pattern) else {
        return PATTERN_BREAKERS.first().copied();
    };
    PATTERN_BREAKERS.iter().copied().find(|s| !re.is_match(s))
}
