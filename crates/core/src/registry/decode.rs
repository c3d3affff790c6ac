//! Decoding one type's facts from the registry file into the same `'static` tables the
//! generated L1 code has (the layout is described in `stackwright-codegen`'s `registry`).
//!
//! Decoded facts are leaked on purpose: each type is decoded at most once per process and
//! lives as long as the statics it stands in for.
//!
//! Shapes may be recursive (a WAF statement holds statements). Statics can point at each
//! other in a circle; leaked values cannot, so a recursive group of shapes is unfolded
//! [`UNFOLD`] steps deep and below that its values are checked as free-form JSON. Shapes
//! outside any circle are decoded once and shared, so a type that reuses a shape in many
//! places (QuickSight's definitions) decodes in time linear in its schema.

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::facts::{
    AttrType, Attribute, Check, Constraint, Prop, ResourceFacts, Rules, Shape, TagFormat, Tagging,
    Ty,
};

/// How many steps through a recursive group of shapes are checked.
const UNFOLD: usize = 8;

/// The facts of `type_name` from its JSON line. Anything missing from the line reads as
/// empty, so a damaged line gives fewer checks, never a crash.
pub(super) fn decode(type_name: &'static str, line: &str) -> &'static ResourceFacts {
    let json: Json = serde_json::from_str(line).unwrap_or(Json::Null);
    let shapes: &[Json] = json
        .get("s")
        .and_then(Json::as_array)
        .map_or(&[], Vec::as_slice);
    let mut decoder = Decoder::new(shapes);
    let shape = if shapes.is_empty() {
        leak(Shape {
            name: "Properties",
            properties: &[],
            constraints: &[],
        })
    } else {
        decoder.shape(0, UNFOLD)
    };
    leak(ResourceFacts {
        type_name,
        attributes: leak_slice(
            items(&json, "a")
                .filter_map(|a| {
                    Some(Attribute {
                        name: leak_str(a.get(0)?.as_str()?),
                        ty: attr_type(a.get(1)?.as_str()?),
                    })
                })
                .collect(),
        ),
        create_only: strings(&json, "c"),
        write_only: strings(&json, "w"),
        tagging: json.get("t").and_then(|t| {
            Some(Tagging {
                property: leak_str(t.get(0)?.as_str()?),
                format: tag_format(t.get(1)?.as_str()?)?,
            })
        }),
        shape,
    })
}

struct Decoder<'j> {
    shapes: &'j [Json],
    /// The recursive group each shape belongs to, if it is in one.
    group: Vec<Option<usize>>,
    /// Shapes decoded so far, by index and the unfolding steps left (always [`UNFOLD`]
    /// outside recursive groups).
    done: HashMap<(usize, usize), &'static Shape>,
}

impl<'j> Decoder<'j> {
    fn new(shapes: &'j [Json]) -> Self {
        let edges: Vec<Vec<usize>> = shapes.iter().map(shape_edges).collect();
        Decoder {
            shapes,
            group: recursive_groups(&edges),
            done: HashMap::new(),
        }
    }

    fn shape(&mut self, index: usize, steps: usize) -> &'static Shape {
        if let Some(s) = self.done.get(&(index, steps)) {
            return s;
        }
        let shape = &self.shapes[index];
        let name = leak_str(shape.get(0).and_then(Json::as_str).unwrap_or(""));
        let props = shape
            .get(1)
            .and_then(Json::as_array)
            .map_or(&[][..], Vec::as_slice);
        let properties = props.iter().map(|p| self.prop(p, index, steps)).collect();
        let constraints = shape
            .get(2)
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .map(constraint)
            .collect();
        let s = leak(Shape {
            name,
            properties: leak_slice(properties),
            constraints: leak_slice(constraints),
        });
        self.done.insert((index, steps), s);
        s
    }

    fn prop(&mut self, p: &Json, from: usize, steps: usize) -> Prop {
        Prop {
            name: leak_str(p.get("n").and_then(Json::as_str).unwrap_or("")),
            required: p.get("r").is_some(),
            ty: self.ty(p.get("t").unwrap_or(&Json::Null), from, steps),
            rules: rules(p),
        }
    }

    fn ty(&mut self, t: &Json, from: usize, steps: usize) -> Ty {
        if let Some(code) = t.as_str() {
            return match code {
                "S" => Ty::String,
                "I" => Ty::Integer,
                "N" => Ty::Number,
                "B" => Ty::Boolean,
                _ => Ty::Json,
            };
        }
        if let Some(item) = t.get("l") {
            return Ty::List(leak(self.prop(item, from, steps)));
        }
        if let Some(item) = t.get("m") {
            return Ty::Map(leak(self.prop(item, from, steps)));
        }
        let Some(to) = t.get("o").and_then(Json::as_u64).map(|i| i as usize) else {
            return Ty::Json;
        };
        if to >= self.shapes.len() {
            return Ty::Json;
        }
        let within = self.group[to].is_some() && self.group[to] == self.group[from];
        match (within, steps) {
            (false, _) => Ty::Object(self.shape(to, UNFOLD)),
            (true, 0) => Ty::Json,
            (true, n) => Ty::Object(self.shape(to, n - 1)),
        }
    }
}

/// The shapes a shape's properties point at.
fn shape_edges(shape: &Json) -> Vec<usize> {
    fn walk(t: &Json, out: &mut Vec<usize>) {
        if let Some(i) = t.get("o").and_then(Json::as_u64) {
            out.push(i as usize);
        }
        for key in ["l", "m"] {
            if let Some(item) = t.get(key).and_then(|p| p.get("t")) {
                walk(item, out);
            }
        }
    }
    let mut out = Vec::new();
    for p in shape.get(1).and_then(Json::as_array).into_iter().flatten() {
        if let Some(t) = p.get("t") {
            walk(t, &mut out);
        }
    }
    out
}

/// For each node, the strongly connected component it belongs to when that component has
/// a cycle (two or more nodes, or a node pointing at itself); Tarjan's algorithm.
fn recursive_groups(edges: &[Vec<usize>]) -> Vec<Option<usize>> {
    struct Tarjan<'e> {
        edges: &'e [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        group: Vec<Option<usize>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            for &w in &self.edges[v] {
                if w >= self.edges.len() {
                    continue;
                }
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(iw) if self.on_stack[w] => self.low[v] = self.low[v].min(iw),
                    Some(_) => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut members = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                let cyclic = members.len() > 1 || self.edges[v].contains(&v);
                if cyclic {
                    for w in members {
                        self.group[w] = Some(v);
                    }
                }
            }
        }
    }
    let n = edges.len();
    let mut t = Tarjan {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        group: vec![None; n],
    };
    for v in 0..n {
        if t.index[v].is_none() {
            t.visit(v);
        }
    }
    t.group
}

fn rules(p: &Json) -> Rules {
    let count = |key: &str| p.get(key).and_then(Json::as_u64).map(|v| v as u32);
    let allowed: Vec<&'static str> = p
        .get("e")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(leak_str)
        .collect();
    Rules {
        allowed: leak_slice(allowed),
        pattern: p.get("p").and_then(Json::as_str).map(leak_str),
        min_length: count("l"),
        max_length: count("L"),
        minimum: p.get("m").and_then(Json::as_f64),
        maximum: p.get("M").and_then(Json::as_f64),
        min_items: count("i"),
        max_items: count("I"),
        format: p.get("f").and_then(Json::as_str).map(leak_str),
        unique_items: p.get("u") == Some(&Json::Bool(true)),
        case_insensitive: p.get("c") == Some(&Json::Bool(true)),
    }
}

/// One `[rule, source, description, check]`.
fn constraint(c: &Json) -> Constraint {
    let text = |i: usize| leak_str(c.get(i).and_then(Json::as_str).unwrap_or(""));
    Constraint {
        rule: text(0),
        source: text(1),
        description: text(2),
        check: check(c.get(3).unwrap_or(&Json::Null), 0),
    }
}

/// How deep a check may nest before the rest reads as unknown (a damaged line must not
/// exhaust the stack).
const MAX_CHECK_DEPTH: usize = 64;

/// A check from its array form (`stackwright-codegen`'s `registry::check_json`);
/// anything malformed reads as [`Check::Unknown`], which never decides.
fn check(c: &Json, depth: usize) -> Check {
    if depth > MAX_CHECK_DEPTH {
        return Check::Unknown;
    }
    let arg = |i: usize| c.get(i).unwrap_or(&Json::Null);
    let name = |i: usize| arg(i).as_str().map(leak_str);
    let names = |i: usize| -> Option<&'static [&'static str]> {
        let a = arg(i).as_array()?;
        Some(leak_slice(
            a.iter().filter_map(Json::as_str).map(leak_str).collect(),
        ))
    };
    let sub = |i: usize| leak(check(arg(i), depth + 1));
    let subs = |i: usize| -> Option<&'static [Check]> {
        let a = arg(i).as_array()?;
        Some(leak_slice(a.iter().map(|x| check(x, depth + 1)).collect()))
    };
    let num = |i: usize| arg(i).as_f64();
    let count = |i: usize| arg(i).as_u64().and_then(|n| u32::try_from(n).ok());
    let decoded = match c.get(0).and_then(Json::as_str).unwrap_or("") {
        "any" => Some(Check::Any),
        "never" => Some(Check::Never),
        "req" => names(1).map(Check::Required),
        "only" => names(1).map(Check::OnlyKeys),
        "prop" => name(1).map(|n| Check::Property(n, sub(2))),
        "type" => names(1).map(Check::Type),
        "const" => name(1).map(Check::Const),
        "enum" => names(1).map(Check::Enum),
        "pat" => name(1).map(Check::Pattern),
        "min" => num(1).map(Check::Minimum),
        "max" => num(1).map(Check::Maximum),
        "xmin" => num(1).map(Check::ExclusiveMinimum),
        "xmax" => num(1).map(Check::ExclusiveMaximum),
        "mult" => num(1).map(Check::MultipleOf),
        "minlen" => count(1).map(Check::MinLength),
        "maxlen" => count(1).map(Check::MaxLength),
        "minitems" => count(1).map(Check::MinItems),
        "maxitems" => count(1).map(Check::MaxItems),
        "items" => Some(Check::Items(sub(1))),
        "contains" => Some(Check::Contains(sub(1))),
        "names" => Some(Check::PropertyNames(sub(1))),
        "not" => Some(Check::Not(sub(1))),
        "all" => subs(1).map(Check::AllOf),
        "anyof" => subs(1).map(Check::AnyOf),
        "one" => subs(1).map(Check::OneOf),
        "if" => Some(Check::IfThenElse(sub(1), sub(2), sub(3))),
        "dreq" => name(1)
            .zip(names(2))
            .map(|(n, v)| Check::DependentRequired(n, v)),
        "dexc" => name(1)
            .zip(names(2))
            .map(|(n, v)| Check::DependentExcluded(n, v)),
        _ => None,
    };
    decoded.unwrap_or(Check::Unknown)
}

fn attr_type(name: &str) -> AttrType {
    match name {
        "String" => AttrType::String,
        "Integer" => AttrType::Integer,
        "Number" => AttrType::Number,
        "Boolean" => AttrType::Boolean,
        "List" => AttrType::List,
        _ => AttrType::Json,
    }
}

fn tag_format(name: &str) -> Option<TagFormat> {
    match name {
        "KeyValueList" => Some(TagFormat::KeyValueList),
        "Map" => Some(TagFormat::Map),
        "PropagateAtLaunchList" => Some(TagFormat::PropagateAtLaunchList),
        _ => None,
    }
}

fn items<'j>(json: &'j Json, key: &str) -> impl Iterator<Item = &'j Json> {
    json.get(key).and_then(Json::as_array).into_iter().flatten()
}

fn strings(json: &Json, key: &str) -> &'static [&'static str] {
    leak_slice(
        items(json, key)
            .filter_map(Json::as_str)
            .map(leak_str)
            .collect(),
    )
}

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

fn leak_slice<T>(values: Vec<T>) -> &'static [T] {
    if values.is_empty() {
        return &[];
    }
    Box::leak(values.into_boxed_slice())
}

fn leak_str(s: &str) -> &'static str {
    Box::leak(s.into())
}
