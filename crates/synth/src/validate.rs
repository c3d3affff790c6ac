//! The validation pass: what CloudFormation would reject, found before deploying.
//!
//! It reads the built templates (not the construct tree), so property overrides and
//! hand-written escape hatches are checked like everything else. Every finding names the
//! construct path, the value at fault and a fix; the pass never stops at the first one.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value as Json};
use stackwright_core::facts::{Prop, ResourceFacts, Rules, Shape, Ty};
use stackwright_core::suggest::closest;
use stackwright_core::{Diagnostic, StackArtifact};

mod catalogs;
mod constraints;
mod format;
mod hints;
mod known_names;
mod network;
mod pattern;
mod policy;
mod service_limits;
mod service_rules;
mod sorted_text;
mod suppress;

/// CloudFormation's quotas per template.
pub mod limits {
    /// Resources per template.
    pub const RESOURCES: usize = 500;
    /// Outputs per template.
    pub const OUTPUTS: usize = 200;
    /// Parameters per template.
    pub const PARAMETERS: usize = 200;
    /// Mappings per template.
    pub const MAPPINGS: usize = 200;
    /// Largest template body passed inline to the API; larger ones go through S3.
    pub const INLINE_BODY_BYTES: usize = 51_200;
    /// Largest template body at all (uploaded to S3).
    pub const BODY_BYTES: usize = 1_000_000;
    /// Tags per resource.
    pub const TAGS: usize = 50;
    /// Characters in a tag key.
    pub const TAG_KEY: usize = 128;
    /// Characters in a tag value.
    pub const TAG_VALUE: usize = 256;
}

/// Validates every stack. The size limits apply to the template as deploy sends it:
/// compact JSON, about half the size of the pretty file in the assembly.
pub fn validate(stacks: &[StackArtifact]) -> Vec<Diagnostic> {
    let sizes: Vec<usize> = stacks
        .iter()
        .map(|s| serde_json::to_string(&s.template).map_or(0, |s| s.len()))
        .collect();
    validate_sized(stacks, &sizes)
}

/// [`validate`] with each stack's compact size already known (synth gets them from
/// writing the templates).
pub(crate) fn validate_sized(stacks: &[StackArtifact], compact_sizes: &[usize]) -> Vec<Diagnostic> {
    let mut v = Validator::default();
    for (stack, &sent) in stacks.iter().zip(compact_sizes) {
        v.stack(stack, sent);
    }
    v.export_names(stacks);
    v.imports(stacks);
    v.networks_across(stacks);
    suppress::apply(stacks, &mut v.diagnostics);
    hints::complete(&mut v.diagnostics);
    v.diagnostics
}

#[derive(Default)]
struct Validator {
    diagnostics: Vec<Diagnostic>,
    /// The `Fn::ImportValue` names met so far, checked against the app's exports at the end.
    imports: Vec<Import>,
    /// The patterns used so far, by the address of their (static) text: a few dozen at
    /// most, so a scan beats hashing the text for the process-wide cache.
    patterns: Vec<(*const u8, usize, Arc<pattern::Pattern>)>,
}

/// A literal `Fn::ImportValue` of a stack's resource or output.
struct Import {
    stack: String,
    path: String,
    name: String,
}

/// Is this JSON value an intrinsic function (so its final value is only known at deploy)?
pub fn is_intrinsic(v: &Json) -> bool {
    v.as_object().is_some_and(is_intrinsic_map)
}

pub use stackwright_core::expr::is_intrinsic_map;

impl constraints::Matcher for Validator {
    fn matches(&mut self, pattern: &'static str, s: &str) -> Option<bool> {
        self.pattern(pattern).is_match(s)
    }
}

impl Validator {
    fn pattern(&mut self, source: &'static str) -> Arc<pattern::Pattern> {
        let key = (source.as_ptr(), source.len());
        if let Some((_, _, p)) = self.patterns.iter().find(|(a, n, _)| (*a, *n) == key) {
            return p.clone();
        }
        let p = pattern::pattern(source);
        self.patterns.push((key.0, key.1, p.clone()));
        p
    }

    fn stack(&mut self, stack: &StackArtifact, body_len: usize) {
        let t = &stack.template;
        let section = |name: &str| t.get(name).and_then(Json::as_object);
        let empty = Map::new();
        let resources = section("Resources").unwrap_or(&empty);
        let parameters = section("Parameters").unwrap_or(&empty);
        let conditions = section("Conditions").unwrap_or(&empty);
        let outputs = section("Outputs").unwrap_or(&empty);
        let mappings = section("Mappings").unwrap_or(&empty);

        self.limits(stack, body_len, resources, outputs, parameters, mappings);
        let at = Sections {
            resources,
            parameters,
            conditions,
            mappings,
        };
        self.conditions_section(stack, &at);

        // Edges between resources, by their position in the template.
        let names: Vec<&str> = resources.keys().map(String::as_str).collect();
        let position: HashMap<&str, usize> =
            names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut graph: Vec<Vec<usize>> = Vec::with_capacity(resources.len());
        for (i, (lid, body)) in resources.iter().enumerate() {
            // Synth lists the resources' infos in template order; look up by key otherwise.
            let info = match stack.resources.get_index(i) {
                Some((id, info)) if id == lid => Some(info),
                _ => stack.resources.get(lid),
            };
            let path: Cow<'_, str> = match info {
                Some(i) => Cow::Borrowed(&i.path),
                None => Cow::Owned(format!("{}/{lid}", stack.name)),
            };
            let facts = info.and_then(|i| i.facts);
            let properties = field(body, "Properties");
            if let (Some(facts), Some(props)) = (facts, properties) {
                self.properties(&path, facts, props);
            } else if let Some(facts) = facts {
                self.missing_required(&path, facts.shape, &Map::new(), "");
                let empty = Json::Object(Map::new());
                self.constraints(&path, facts.type_name, facts.shape, &empty, "");
            }
            if let (Some(props), Some(type_name)) = (properties, field(body, "Type")) {
                let type_name = type_name.as_str().unwrap_or_default();
                policy::check(type_name, &path, props, &mut self.diagnostics);
                service_rules::check(type_name, &path, props, &mut self.diagnostics);
                service_limits::check(type_name, &path, props, &mut self.diagnostics);
                catalogs::check(
                    type_name,
                    &path,
                    props,
                    &stack.env.region,
                    &mut self.diagnostics,
                );
                known_names::check(
                    type_name,
                    &path,
                    props,
                    &stack.env.region,
                    &mut self.diagnostics,
                );
            }
            if let Some(facts) = facts {
                self.tags(&path, facts, properties);
            } else {
                self.without_schema(&path, body, properties);
            }
            let mut refs = Vec::new();
            collect_refs(properties.unwrap_or(&Json::Null), &mut refs);
            for r in &refs {
                self.reference(stack, &path, r, &at);
            }
            let mut edges: Vec<usize> = refs
                .iter()
                .filter(|r| r.kind == RefKind::Element)
                .filter_map(|r| position.get(r.target.as_str()).copied())
                .collect();
            if let Some(deps) = field(body, "DependsOn") {
                let deps: Vec<&str> = match deps {
                    Json::String(s) => vec![s.as_str()],
                    Json::Array(a) => a.iter().filter_map(Json::as_str).collect(),
                    _ => Vec::new(),
                };
                for d in deps {
                    if let Some(&d) = position.get(d) {
                        edges.push(d);
                    } else {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "unknown-reference",
                                &*path,
                                format!(
                                    "DependsOn names '{d}', which is not a resource of stack '{}'",
                                    stack.name
                                ),
                            )
                            .with_hint("depend on a resource handle of the same stack"),
                        );
                    }
                }
            }
            if let Some(c) = field(body, "Condition").and_then(Json::as_str) {
                self.condition_named(stack, &path, c, &at);
            }
            graph.push(edges);
        }
        for (lid, out) in outputs {
            let path = format!("{}/{lid}", stack.name);
            let mut refs = Vec::new();
            collect_refs(out, &mut refs);
            for r in &refs {
                self.reference(stack, &path, r, &at);
            }
            if let Some(c) = field(out, "Condition").and_then(Json::as_str) {
                self.condition_named(stack, &path, c, &at);
            }
        }
        self.cycles(stack, &names, &graph);
        network::check(resources, &|lid| stack.path_of(lid), &mut self.diagnostics);
    }

    fn limits(
        &mut self,
        stack: &StackArtifact,
        body_len: usize,
        resources: &Map<String, Json>,
        outputs: &Map<String, Json>,
        parameters: &Map<String, Json>,
        mappings: &Map<String, Json>,
    ) {
        for (what, count, max) in [
            ("resources", resources.len(), limits::RESOURCES),
            ("outputs", outputs.len(), limits::OUTPUTS),
            ("parameters", parameters.len(), limits::PARAMETERS),
            ("mappings", mappings.len(), limits::MAPPINGS),
        ] {
            if count > max {
                self.diagnostics.push(
                    Diagnostic::error(
                        "template-limit",
                        &stack.name,
                        format!(
                            "the template has {count} {what}; CloudFormation allows at most {max}"
                        ),
                    )
                    .with_hint(
                        "split the stack in two, for example a base stack and a runtime stack",
                    ),
                );
            }
        }
        if body_len > limits::BODY_BYTES {
            self.diagnostics.push(
                Diagnostic::error(
                    "template-limit",
                    &stack.name,
                    format!("the template is {body_len} bytes as compact JSON; CloudFormation accepts at most {} even through S3", limits::BODY_BYTES),
                )
                .with_hint("split the stack"),
            );
        } else if body_len > limits::INLINE_BODY_BYTES {
            self.diagnostics.push(Diagnostic::note(
                "template-size",
                &stack.name,
                format!(
                    "the template is {body_len} bytes as compact JSON, over the {} that can be sent inline; deploy uploads it to S3 first (--bucket)",
                    limits::INLINE_BODY_BYTES
                ),
            ));
        }
    }

    fn properties(&mut self, path: &str, facts: &'static ResourceFacts, props: &Json) {
        if is_intrinsic(props) {
            return;
        }
        let Some(obj) = props.as_object() else {
            self.diagnostics.push(Diagnostic::error(
                "wrong-type",
                path,
                format!(
                    "{} Properties must be an object, found {}",
                    facts.type_name,
                    short(props)
                ),
            ));
            return;
        };
        self.object(
            path,
            facts.type_name,
            facts.shape,
            props,
            obj,
            &mut String::new(),
        );
    }

    /// The structural rules of a type that has no schema here: a custom resource needs the
    /// `ServiceToken` of the Lambda function or SNS topic that carries it out.
    fn without_schema(&mut self, path: &str, body: &Json, properties: Option<&Json>) {
        let type_name = field(body, "Type").and_then(Json::as_str).unwrap_or("");
        let custom =
            type_name.starts_with("Custom::") || type_name == "AWS::CloudFormation::CustomResource";
        if !custom || properties.is_some_and(is_intrinsic) {
            return;
        }
        let token = properties.and_then(|p| field(p, "ServiceToken"));
        if token.is_none_or(is_no_value) {
            self.diagnostics.push(
                Diagnostic::error(
                    "missing-required",
                    path,
                    format!("ServiceToken is required but not set: {type_name} is a custom resource"),
                )
                .with_hint("set ServiceToken to the ARN of the Lambda function or SNS topic that handles the resource"),
            );
        }
    }

    fn missing_required(&mut self, path: &str, shape: &Shape, obj: &Map<String, Json>, at: &str) {
        for p in shape.properties.iter().filter(|p| p.required) {
            let present = lookup(obj, p.name).is_some_and(|v| !is_no_value(v));
            if !present {
                self.diagnostics.push(
                    Diagnostic::error(
                        "missing-required",
                        path,
                        format!("{}{} is required but not set", at_prefix(at), p.name),
                    )
                    .with_hint(format!(
                        "set {} (CloudFormation rejects the resource without it)",
                        p.name
                    )),
                );
            }
        }
    }

    /// The rules across the object's properties: one finding per rule that certainly fails.
    fn constraints(
        &mut self,
        path: &str,
        type_name: &str,
        shape: &'static Shape,
        value: &Json,
        at: &str,
    ) {
        for c in shape.constraints {
            let mut eval = constraints::Eval {
                matcher: &mut *self,
            };
            if eval.check(&c.check, value, 0) != constraints::Tri::False {
                continue;
            }
            let mut reasons = Vec::new();
            eval.explain(&c.check, value, &mut reasons);
            let place = if at.is_empty() { type_name } else { at };
            let hint = if c.description.is_empty() {
                constraints::hint(c)
            } else {
                format!("{} ({})", c.description, c.source)
            };
            self.diagnostics.push(
                Diagnostic::error(c.rule, path, format!("{place}: {}", reasons.join("; ")))
                    .with_hint(hint),
            );
        }
    }

    fn object(
        &mut self,
        path: &str,
        type_name: &str,
        shape: &'static Shape,
        value: &Json,
        obj: &Map<String, Json>,
        at: &mut String,
    ) {
        self.missing_required(path, shape, obj, at);
        self.constraints(path, type_name, shape, value, at);
        // `at` is the location being checked; each property extends it and cuts it back.
        let mark = at.len();
        for (k, v) in obj {
            if mark > 0 {
                at.push('.');
            }
            at.push_str(k);
            let here = at.as_str();
            match shape.property(k) {
                Some(p) => self.value(path, p, v, at),
                None => {
                    let known: Vec<&str> = shape.properties.iter().map(|p| p.name).collect();
                    let hint = match closest(k, &known) {
                        Some(c) => format!("did you mean '{c}'?"),
                        None => format!("{} accepts: {}", shape.name, known.join(", ")),
                    };
                    self.diagnostics.push(
                        Diagnostic::error(
                            "unknown-property",
                            path,
                            format!("{type_name} has no property {here}"),
                        )
                        .with_hint(hint),
                    );
                }
            }
            at.truncate(mark);
        }
    }

    fn value(&mut self, path: &str, prop: &'static Prop, v: &Json, at: &mut String) {
        if is_intrinsic(v) {
            // Either branch of an `Fn::If` may be the value deployed, so both follow the
            // property's rules (`AWS::NoValue` removes it instead).
            if let Some(Json::Array(args)) = field(v, "Fn::If")
                && let [_, yes, no] = args.as_slice()
            {
                for branch in [yes, no] {
                    if !is_no_value(branch) {
                        self.value(path, prop, branch, at);
                    }
                }
            }
            return;
        }
        let wrong = |expected: &str| {
            Diagnostic::error(
                "wrong-type",
                path,
                format!("{at} must be {expected}, found {}", short(v)),
            )
        };
        match &prop.ty {
            Ty::Json => {}
            Ty::String => match v {
                Json::String(s) => self.string(path, &prop.rules, s, at),
                Json::Number(_) | Json::Bool(_) => {}
                _ => self.diagnostics.push(wrong("a string")),
            },
            Ty::Integer | Ty::Number => {
                let n = match v {
                    Json::Number(n) => n.as_f64(),
                    Json::String(s) => s.parse::<f64>().ok(),
                    _ => None,
                };
                match n {
                    Some(n) => self.number(path, &prop.rules, n, at),
                    None => self.diagnostics.push(wrong("a number")),
                }
            }
            Ty::Boolean => {
                let ok = matches!(v, Json::Bool(_))
                    || matches!(v.as_str(), Some("true" | "false" | "True" | "False"));
                if !ok {
                    self.diagnostics.push(wrong("true or false"));
                }
            }
            Ty::List(item) => match v {
                Json::Array(items) => {
                    self.items(path, &prop.rules, items.len(), at);
                    if prop.rules.unique_items {
                        self.unique(path, items, at);
                    }
                    let mark = at.len();
                    for (i, it) in items.iter().enumerate() {
                        push_index(at, i);
                        self.value(path, item, it, at);
                        at.truncate(mark);
                    }
                }
                _ => self.diagnostics.push(wrong("a list")),
            },
            Ty::Map(item) => match v {
                Json::Object(o) => {
                    let mark = at.len();
                    for (k, it) in o {
                        at.push('.');
                        at.push_str(k);
                        self.value(path, item, it, at);
                        at.truncate(mark);
                    }
                }
                _ => self.diagnostics.push(wrong("an object")),
            },
            Ty::Object(shape) => match v {
                Json::Object(o) => {
                    let type_name = shape.name;
                    self.object(path, type_name, shape, v, o, at);
                }
                _ => self.diagnostics.push(wrong("an object")),
            },
        }
    }

    /// A list whose schema says `uniqueItems`: two equal items are refused (two equal
    /// intrinsics, such as the same `Ref`, give the same value too).
    fn unique(&mut self, path: &str, items: &[Json], at: &str) {
        for (i, item) in items.iter().enumerate() {
            if let Some(first) = items[..i].iter().position(|x| x == item) {
                self.diagnostics.push(
                    Diagnostic::error(
                        "invalid-value",
                        path,
                        format!(
                            "{at} holds {} twice (items {first} and {i}); its items must differ",
                            short(item)
                        ),
                    )
                    .with_hint("remove the repeated item"),
                );
            }
        }
    }

    fn string(&mut self, path: &str, rules: &Rules, s: &str, at: &str) {
        let allowed = |a: &&str| {
            if rules.case_insensitive {
                a.eq_ignore_ascii_case(s)
            } else {
                *a == s
            }
        };
        if !rules.allowed.is_empty() && !rules.allowed.iter().any(allowed) {
            let hint = match closest(s, rules.allowed) {
                Some(c) => format!("did you mean '{c}'?"),
                None if rules.allowed.len() <= 12 => {
                    format!("use one of: {}", rules.allowed.join(", "))
                }
                None => format!(
                    "use one of the {} values CloudFormation documents for it",
                    rules.allowed.len()
                ),
            };
            self.diagnostics.push(
                Diagnostic::error(
                    "invalid-value",
                    path,
                    format!("{at} is '{s}', which is not an allowed value"),
                )
                .with_hint(hint),
            );
            return;
        }
        // Lengths are in characters; counting them is only needed when there is a bound.
        let len = if rules.min_length.is_some() || rules.max_length.is_some() {
            s.chars().count()
        } else {
            0
        };
        if let Some(min) = rules.min_length.filter(|m| len < *m as usize) {
            self.diagnostics.push(Diagnostic::error(
                "invalid-value",
                path,
                format!("{at} is '{s}', {len} characters long; it must be at least {min}"),
            ));
        }
        if let Some(max) = rules.max_length.filter(|m| len > *m as usize) {
            self.diagnostics.push(Diagnostic::error(
                "invalid-value",
                path,
                format!(
                    "{at} is {len} characters long; it must be at most {max} (value starts '{}')",
                    s.chars().take(40).collect::<String>()
                ),
            ));
        }
        if let Some(expected) = rules.format.and_then(|f| format::problem(f, s)) {
            self.diagnostics.push(
                Diagnostic::error(
                    "invalid-value",
                    path,
                    format!("{at} is '{s}', which is not {expected}"),
                )
                .with_hint(format!("give {expected}, or a reference to one")),
            );
        }
        if let Some(pattern) = rules.pattern
            && self.pattern(pattern).is_match(s) == Some(false)
        {
            self.diagnostics.push(
                Diagnostic::error(
                    "invalid-value",
                    path,
                    format!(
                        "{at} is '{s}', which does not match the pattern CloudFormation requires"
                    ),
                )
                .with_hint(format!("the value must match {pattern}")),
            );
        }
    }

    fn number(&mut self, path: &str, rules: &Rules, n: f64, at: &str) {
        // Integer enums (log retention days, ...) are kept as their decimal strings.
        if !rules.allowed.is_empty() && !rules.allowed.iter().any(|a| a.parse::<f64>() == Ok(n)) {
            self.diagnostics.push(
                Diagnostic::error(
                    "invalid-value",
                    path,
                    format!("{at} is {n}, which is not an allowed value"),
                )
                .with_hint(format!("use one of: {}", rules.allowed.join(", "))),
            );
            return;
        }
        let below = rules.minimum.filter(|m| n < *m);
        let above = rules.maximum.filter(|m| n > *m);
        if below.is_some() || above.is_some() {
            let range = match (rules.minimum, rules.maximum) {
                (Some(a), Some(b)) => format!("from {a} to {b}"),
                (Some(a), None) => format!("at least {a}"),
                (None, Some(b)) => format!("at most {b}"),
                (None, None) => unreachable!("a bound was crossed"),
            };
            self.diagnostics.push(Diagnostic::error(
                "invalid-value",
                path,
                format!("{at} is {n}, outside the allowed range: {range}"),
            ));
        }
    }

    fn items(&mut self, path: &str, rules: &Rules, count: usize, at: &str) {
        if let Some(min) = rules.min_items.filter(|m| count < *m as usize) {
            self.diagnostics.push(Diagnostic::error(
                "invalid-value",
                path,
                format!("{at} has {count} items; it needs at least {min}"),
            ));
        }
        if let Some(max) = rules.max_items.filter(|m| count > *m as usize) {
            self.diagnostics.push(Diagnostic::error(
                "invalid-value",
                path,
                format!("{at} has {count} items; it takes at most {max}"),
            ));
        }
    }

    fn tags(&mut self, path: &str, facts: &ResourceFacts, props: Option<&Json>) {
        let (Some(tagging), Some(props)) = (facts.tagging, props) else {
            return;
        };
        let pairs: Vec<(&str, &str)> = match field(props, tagging.property) {
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(|t| Some((field(t, "Key")?.as_str()?, field(t, "Value")?.as_str()?)))
                .collect(),
            Some(Json::Object(o)) if !is_intrinsic_map(o) => o
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                .collect(),
            _ => return,
        };
        if let Some(Json::Array(items)) = field(props, tagging.property) {
            let mut seen: Vec<&str> = Vec::with_capacity(items.len());
            for key in items.iter().filter_map(|t| field(t, "Key")?.as_str()) {
                if seen.contains(&key) {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "invalid-tag",
                            path,
                            format!("the tag key '{key}' appears more than once; a resource has one value per tag key"),
                        )
                        .with_hint("keep one tag of each key (tags set on the resource win over inherited ones)"),
                    );
                } else {
                    seen.push(key);
                }
            }
        }
        if pairs.len() > limits::TAGS {
            self.diagnostics.push(Diagnostic::error(
                "invalid-tag",
                path,
                format!(
                    "the resource has {} tags; AWS allows at most {}",
                    pairs.len(),
                    limits::TAGS
                ),
            ));
        }
        for (k, v) in pairs {
            let problem = if k.is_empty() {
                Some("the key is empty".to_string())
            } else if k.chars().count() > limits::TAG_KEY {
                Some(format!(
                    "the key is longer than {} characters",
                    limits::TAG_KEY
                ))
            } else if k.to_ascii_lowercase().starts_with("aws:") {
                Some("keys starting with 'aws:' are reserved for AWS".to_string())
            } else if v.chars().count() > limits::TAG_VALUE {
                Some(format!(
                    "the value is longer than {} characters",
                    limits::TAG_VALUE
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                self.diagnostics.push(
                    Diagnostic::error("invalid-tag", path, format!("tag '{k}' = '{v}': {problem}"))
                        .with_hint("fix the tag where it is added (app, stack or construct tags)"),
                );
            }
        }
    }

    fn reference(&mut self, stack: &StackArtifact, path: &str, r: &Reference, at: &Sections) {
        let Sections {
            resources,
            parameters,
            ..
        } = at;
        match r.kind {
            RefKind::Element => {}
            RefKind::Condition => return self.condition_named(stack, path, r.target.as_str(), at),
            RefKind::Mapping(first, second) => {
                return self.mapping_named(stack, path, r.target.as_str(), first, second, at);
            }
            // Checked once every stack's exports are known (`imports`).
            RefKind::Import => {
                self.imports.push(Import {
                    stack: stack.name.clone(),
                    path: path.to_string(),
                    name: r.target.as_str().to_string(),
                });
                return;
            }
        }
        if r.target.starts_with("AWS::") {
            return;
        }
        match &r.attribute {
            None => {
                if !resources.contains_key(&*r.target) && !parameters.contains_key(&*r.target) {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "unknown-reference",
                            path,
                            format!("Ref to '{}', which is neither a resource nor a parameter of stack '{}'", r.target, stack.name),
                        )
                        .with_hint("refer to resources through their handles, which synth turns into the right Ref or import"),
                    );
                }
            }
            Some(attr) => {
                if !resources.contains_key(&*r.target) {
                    self.diagnostics.push(Diagnostic::error(
                        "unknown-reference",
                        path,
                        format!(
                            "Fn::GetAtt of '{}', which is not a resource of stack '{}'",
                            r.target, stack.name
                        ),
                    ));
                    return;
                }
                // A type without a schema here (custom, third-party) takes any attribute.
                let Some(facts) = stack.resources.get(&*r.target).and_then(|i| i.facts) else {
                    return;
                };
                if facts.attribute(attr).is_none() {
                    let names: Vec<&str> = facts.attributes.iter().map(|a| a.name).collect();
                    let hint = match closest(attr, &names) {
                        Some(c) => format!("did you mean '{c}'?"),
                        None if names.is_empty() => {
                            format!("{} has no attributes; use Ref", facts.type_name)
                        }
                        None => format!("{} has: {}", facts.type_name, names.join(", ")),
                    };
                    self.diagnostics.push(
                        Diagnostic::error(
                            "unknown-attribute",
                            path,
                            format!("Fn::GetAtt asks '{}' ({}) for '{attr}', an attribute it does not have", r.target, facts.type_name),
                        )
                        .with_hint(hint),
                    );
                }
            }
        }
    }

    fn condition_named(&mut self, stack: &StackArtifact, path: &str, name: &str, at: &Sections) {
        if !at.conditions.contains_key(name) {
            let hint = name_hint(name, at.conditions, "conditions");
            self.diagnostics.push(
                Diagnostic::error(
                    "unknown-reference",
                    path,
                    format!(
                        "'{name}' is used as a condition, but it is not a condition of stack '{}'",
                        stack.name
                    ),
                )
                .with_hint(hint),
            );
        }
    }

    /// A mapping `Fn::FindInMap` names, and its keys when they are literals: CloudFormation
    /// refuses a template whose lookup cannot succeed.
    fn mapping_named(
        &mut self,
        stack: &StackArtifact,
        path: &str,
        name: &str,
        first: Option<&str>,
        second: Option<&str>,
        at: &Sections,
    ) {
        let Some(mapping) = at.mappings.get(name) else {
            let hint = name_hint(name, at.mappings, "mappings");
            self.diagnostics.push(
                Diagnostic::error(
                    "unknown-reference",
                    path,
                    format!(
                        "Fn::FindInMap looks in '{name}', which is not a mapping of stack '{}'",
                        stack.name
                    ),
                )
                .with_hint(hint),
            );
            return;
        };
        let Some(first) = first else { return };
        let Some(inner) = mapping.get(first) else {
            self.diagnostics.push(Diagnostic::error(
                "unknown-reference",
                path,
                format!(
                    "Fn::FindInMap looks up '{first}' in mapping '{name}', which has no such key"
                ),
            ));
            return;
        };
        if let Some(second) = second
            && inner.get(second).is_none()
        {
            self.diagnostics.push(Diagnostic::error(
                "unknown-reference",
                path,
                format!(
                    "Fn::FindInMap looks up '{first}' / '{second}' in mapping '{name}', which has no such key"
                ),
            ));
        }
    }

    /// The Conditions section: conditions may use parameters, mappings and other
    /// conditions, never resources.
    fn conditions_section(&mut self, stack: &StackArtifact, at: &Sections) {
        for (name, body) in at.conditions {
            let path = format!("{}/{name}", stack.name);
            let mut refs = Vec::new();
            collect_refs(body, &mut refs);
            collect_condition_refs(body, &mut refs);
            for r in &refs {
                match r.kind {
                    RefKind::Element
                        if r.attribute.is_none()
                            && !r.target.starts_with("AWS::")
                            && !at.parameters.contains_key(r.target.as_str()) =>
                    {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "unknown-reference",
                                &path,
                                format!(
                                    "condition '{name}' refers to '{}', which is not a parameter of stack '{}'",
                                    r.target, stack.name
                                ),
                            )
                            .with_hint("a condition can use parameters, mappings and other conditions, not resources"),
                        );
                    }
                    RefKind::Element if r.attribute.is_some() => {
                        self.diagnostics.push(Diagnostic::error(
                            "unknown-reference",
                            &path,
                            format!("condition '{name}' uses Fn::GetAtt of '{}'; a condition cannot use resources", r.target),
                        ));
                    }
                    RefKind::Element => {}
                    _ => self.reference(stack, &path, r, at),
                }
            }
        }
    }

    /// Cycles in `graph` (edges between positions in `names`, the resources' logical ids),
    /// visited from the resources in the order of their ids.
    fn cycles(&mut self, stack: &StackArtifact, names: &[&str], graph: &[Vec<usize>]) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Active,
            Done,
        }
        let name = |i: usize| names[i];
        let mut marks: Vec<Option<Mark>> = vec![None; graph.len()];
        let mut reported: HashSet<Vec<String>> = HashSet::new();
        let mut order: Vec<usize> = (0..graph.len()).collect();
        order.sort_by_key(|&i| name(i));
        for start in order {
            if marks[start].is_some() {
                continue;
            }
            // Iterative DFS keeping the current trail, so a cycle can be printed.
            let mut trail: Vec<(usize, usize)> = vec![(start, 0)];
            marks[start] = Some(Mark::Active);
            while let Some((node, next)) = trail.last().copied() {
                let edges = &graph[node];
                if next == edges.len() {
                    marks[node] = Some(Mark::Done);
                    trail.pop();
                    continue;
                }
                trail.last_mut().expect("trail is not empty").1 += 1;
                let to = edges[next];
                if to >= graph.len() {
                    continue;
                }
                match marks[to] {
                    None => {
                        marks[to] = Some(Mark::Active);
                        trail.push((to, 0));
                    }
                    Some(Mark::Active) => {
                        let from = trail.iter().position(|(n, _)| *n == to).unwrap_or(0);
                        let mut cycle: Vec<String> = trail[from..]
                            .iter()
                            .map(|(n, _)| name(*n).to_string())
                            .collect();
                        let mut key = cycle.clone();
                        key.sort();
                        if reported.insert(key) {
                            cycle.push(name(to).to_string());
                            let first = stack
                                .resources
                                .get(&cycle[0])
                                .map_or_else(|| stack.name.clone(), |i| i.path.clone());
                            self.diagnostics.push(
                                Diagnostic::error(
                                    "reference-cycle",
                                    first,
                                    format!("resources depend on each other in a circle: {}", cycle.join(" -> ")),
                                )
                                .with_hint("break the circle: for security groups, add the rule as a separate ingress/egress resource"),
                            );
                        }
                    }
                    Some(Mark::Done) => {}
                }
            }
        }
    }

    /// Every `Fn::ImportValue` of a literal name must be an export of a stack of the app in
    /// the same account and region, or declared as coming from outside the app.
    fn imports(&mut self, stacks: &[StackArtifact]) {
        let mut exported: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
        for s in stacks {
            let names = exported.entry((&s.env.account, &s.env.region)).or_default();
            let outputs = s.template.get("Outputs").and_then(Json::as_object);
            for o in outputs.into_iter().flat_map(|o| o.values()) {
                if let Some(name) = o.pointer("/Export/Name").and_then(Json::as_str) {
                    names.push(name);
                }
            }
        }
        for import in std::mem::take(&mut self.imports) {
            let Some(s) = stacks.iter().find(|s| s.name == import.stack) else {
                continue;
            };
            let name = import.name.as_str();
            let here = exported
                .get(&(s.env.account.as_str(), s.env.region.as_str()))
                .map_or(&[][..], Vec::as_slice);
            if here.contains(&name) || s.external_exports.iter().any(|e| e == name) {
                continue;
            }
            let hint = match closest(name, here) {
                Some(c) => format!("did you mean '{c}'?"),
                None => format!(
                    "if a stack outside this app exports it, declare it: stack.uses_external_export(\"{name}\")"
                ),
            };
            self.diagnostics.push(
                Diagnostic::error(
                    "unknown-import",
                    import.path,
                    format!(
                        "Fn::ImportValue names '{name}', which no stack of the app exports in {}/{}",
                        s.env.account, s.env.region
                    ),
                )
                .with_hint(hint),
            );
        }
    }

    /// Subnets of one stack in a VPC another stack exports.
    fn networks_across(&mut self, stacks: &[StackArtifact]) {
        let templates: Vec<&Map<String, Json>> = stacks
            .iter()
            .filter_map(|s| s.template.as_object())
            .collect();
        if templates.len() != stacks.len() {
            return;
        }
        let region_of = |i: usize| {
            (
                stacks[i].env.account.as_str(),
                stacks[i].env.region.as_str(),
            )
        };
        let path_of = |i: usize, lid: &str| stacks[i].path_of(lid);
        network::check_across(&templates, &region_of, &path_of, &mut self.diagnostics);
    }

    fn export_names(&mut self, stacks: &[StackArtifact]) {
        let mut seen: HashMap<String, String> = HashMap::new();
        for s in stacks {
            let Some(outputs) = s.template.get("Outputs").and_then(Json::as_object) else {
                continue;
            };
            for (id, o) in outputs {
                let Some(name) = o.pointer("/Export/Name").and_then(Json::as_str) else {
                    continue;
                };
                let here = format!("{}/{id}", s.name);
                if let Some(first) = seen.get(name) {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "duplicate-export",
                            &here,
                            format!("the export name '{name}' is also exported by {first}; export names are unique per account and region"),
                        )
                        .with_hint("give one of the outputs another export name"),
                    );
                } else {
                    seen.insert(name.to_string(), here);
                }
            }
        }
    }
}

/// The sections of one template that references point into.
struct Sections<'t> {
    resources: &'t Map<String, Json>,
    parameters: &'t Map<String, Json>,
    conditions: &'t Map<String, Json>,
    mappings: &'t Map<String, Json>,
}

/// A did-you-mean for `name` among a section's entries, or what the section holds.
fn name_hint(name: &str, section: &Map<String, Json>, what: &str) -> String {
    let known: Vec<&str> = section.keys().map(String::as_str).collect();
    match closest(name, &known) {
        Some(c) => format!("did you mean '{c}'?"),
        None if known.is_empty() => format!("the template defines no {what}"),
        None => format!("its {what} are: {}", known.join(", ")),
    }
}

/// `{"Condition": name}` inside a condition's body: the use of another condition.
fn collect_condition_refs<'t>(v: &'t Json, out: &mut Vec<Reference<'t>>) {
    match v {
        Json::Array(a) => a.iter().for_each(|i| collect_condition_refs(i, out)),
        Json::Object(o) => {
            if let (1, Some(Json::String(name))) = (o.len(), o.get("Condition")) {
                out.push(Reference {
                    target: Name(name),
                    attribute: None,
                    kind: RefKind::Condition,
                });
                return;
            }
            o.values().for_each(|i| collect_condition_refs(i, out));
        }
        _ => {}
    }
}

/// A `Ref` or `Fn::GetAtt` found in a template, or the name of a condition (`Fn::If`) or
/// mapping (`Fn::FindInMap`) one uses.
#[derive(Debug, PartialEq)]
pub(crate) struct Reference<'t> {
    pub(crate) target: Name<'t>,
    pub(crate) attribute: Option<Name<'t>>,
    pub(crate) kind: RefKind<'t>,
}

/// What a [`Reference`] names.
#[derive(Debug, PartialEq)]
pub(crate) enum RefKind<'t> {
    /// A resource or parameter (`Ref`, `Fn::GetAtt`, `${...}`).
    Element,
    /// A condition (`Fn::If`).
    Condition,
    /// A mapping (`Fn::FindInMap`), with its keys when they are literals.
    Mapping(Option<&'t str>, Option<&'t str>),
    /// An export of another stack (`Fn::ImportValue` of a literal name).
    Import,
}

impl<'t> Reference<'t> {
    fn element(target: &'t str, attribute: Option<&'t str>) -> Self {
        Reference {
            target: Name(target),
            attribute: attribute.map(Name),
            kind: RefKind::Element,
        }
    }
}

/// A name borrowed from the template.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Name<'t>(&'t str);

impl<'t> Name<'t> {
    pub(crate) fn as_str(&self) -> &'t str {
        self.0
    }
}

impl std::fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::ops::Deref for Name<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

/// Every `Ref`, `Fn::GetAtt` and `${...}` of `Fn::Sub` inside `v`.
pub(crate) fn collect_refs<'t>(v: &'t Json, out: &mut Vec<Reference<'t>>) {
    match v {
        Json::Array(a) => a.iter().for_each(|i| collect_refs(i, out)),
        Json::Object(o) => {
            // An intrinsic is an object of one entry: look at that entry, not up its key.
            let single = if o.len() == 1 { o.iter().next() } else { None };
            if let Some((key, value)) = single {
                if let ("Ref", Json::String(t)) = (key.as_str(), value) {
                    out.push(Reference::element(t, None));
                    return;
                }
                if let Some(named) = condition_or_mapping(key, value) {
                    out.push(named);
                }
                if let ("Fn::ImportValue", Json::String(name)) = (key.as_str(), value) {
                    out.push(Reference {
                        target: Name(name),
                        attribute: None,
                        kind: RefKind::Import,
                    });
                    return;
                }
                if key == "Fn::GetAtt" {
                    let args = value;
                    let parts: Option<(&str, &str)> = match args {
                        Json::Array(a) => match a.as_slice() {
                            [Json::String(t), Json::String(attr)] => Some((t, attr)),
                            _ => None,
                        },
                        Json::String(s) => s.split_once('.'),
                        _ => None,
                    };
                    if let Some((target, attribute)) = parts {
                        out.push(Reference::element(target, Some(attribute)));
                    }
                    return;
                }
                if key == "Fn::Sub" {
                    let sub = value;
                    let (text, vars) = match sub {
                        Json::String(s) => (s.as_str(), None),
                        Json::Array(a) => match a.as_slice() {
                            [Json::String(s), Json::Object(vars)] => (s.as_str(), Some(vars)),
                            _ => ("", None),
                        },
                        _ => ("", None),
                    };
                    for name in sub_variables(text) {
                        if vars.is_some_and(|m| m.contains_key(name)) {
                            continue;
                        }
                        out.push(match name.split_once('.') {
                            Some((t, a)) => Reference::element(t, Some(a)),
                            None => Reference::element(name, None),
                        });
                    }
                    if let Some(vars) = vars {
                        vars.values().for_each(|i| collect_refs(i, out));
                    }
                    return;
                }
            }
            o.values().for_each(|i| collect_refs(i, out));
        }
        _ => {}
    }
}

/// The condition an `Fn::If` names, or the mapping (and literal keys) of an
/// `Fn::FindInMap`; their other arguments are walked as usual.
fn condition_or_mapping<'t>(key: &str, args: &'t Json) -> Option<Reference<'t>> {
    let args = args.as_array()?;
    let literal = |i: usize| args.get(i).and_then(Json::as_str);
    let kind = match key {
        "Fn::If" => RefKind::Condition,
        "Fn::FindInMap" => RefKind::Mapping(literal(1), literal(2)),
        _ => return None,
    };
    Some(Reference {
        target: Name(literal(0)?),
        attribute: None,
        kind,
    })
}

/// The names inside `${...}` of an `Fn::Sub` string, skipping `${!literal}`.
fn sub_variables(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            out.push(name.trim());
        }
        rest = &after[end + 1..];
    }
    out
}

/// Appends `[i]`.
fn push_index(at: &mut String, i: usize) {
    let mut digits = [0u8; 20];
    let mut n = i;
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    at.push('[');
    at.push_str(std::str::from_utf8(&digits[start..]).expect("ASCII digits"));
    at.push(']');
}

/// `o.get(key)`, by a scan in the small objects templates are made of, which is cheaper
/// than hashing the key.
fn lookup<'a>(o: &'a Map<String, Json>, key: &str) -> Option<&'a Json> {
    if o.len() <= 8 {
        o.iter().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        o.get(key)
    }
}

/// `v.get(key)` for objects, as [`lookup`].
fn field<'a>(v: &'a Json, key: &str) -> Option<&'a Json> {
    v.as_object().and_then(|o| lookup(o, key))
}

fn is_no_value(v: &Json) -> bool {
    field(v, "Ref").and_then(Json::as_str) == Some("AWS::NoValue")
}

fn at_prefix(at: &str) -> String {
    if at.is_empty() {
        String::new()
    } else {
        format!("{at}.")
    }
}

/// A short rendering of a value for messages.
fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sub_variables_skip_escaped_literals() {
        assert_eq!(
            sub_variables("${A}-${!B}-${C.Arn}-${AWS::Region}"),
            vec!["A", "C.Arn", "AWS::Region"]
        );
    }

    #[test]
    fn refs_are_found_in_every_form() {
        let v = json!({
            "A": {"Ref": "X"},
            "B": {"Fn::GetAtt": ["Y", "Arn"]},
            "C": {"Fn::GetAtt": "Z.Endpoint.Address"},
            "D": {"Fn::Sub": ["${W}-${V}", {"V": {"Ref": "U"}}]},
        });
        let mut refs = Vec::new();
        collect_refs(&v, &mut refs);
        let names: Vec<_> = refs
            .iter()
            .map(|r| (r.target.as_str(), r.attribute.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("X", None),
                ("Y", Some("Arn")),
                ("Z", Some("Endpoint.Address")),
                ("W", None),
                ("U", None)
            ]
        );
    }

    #[test]
    fn intrinsics_are_recognised() {
        assert!(is_intrinsic(&json!({"Fn::If": []})));
        assert!(is_intrinsic(&json!({"Ref": "X"})));
        assert!(!is_intrinsic(&json!({"Key": "X"})));
        assert!(!is_intrinsic(&json!({"Ref": "X", "Other": 1})));
    }
}
