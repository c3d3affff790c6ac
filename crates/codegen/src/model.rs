//! From one resource schema to a model of the Rust items to generate: structs, enums,
//! fields with their types and rules, attributes and the other facts.
//!
//! Type mapping, in order:
//! - more than one JSON type (`object|string` policy documents) is `Json`;
//! - `string` with an `enum` of at most [`MAX_ENUM_VALUES`] values that all make sane
//!   identifiers is a generated enum; other strings are `String` (the values still go to
//!   the rules);
//! - `integer`, `number`, `boolean` are `i64`, `f64`, `bool`;
//! - `array` is a list of its item type;
//! - `object` with `properties` (also when they sit in `oneOf`/`anyOf`/`allOf` branches:
//!   their union, every one optional) is a struct; with `patternProperties` (or a schema in
//!   `additionalProperties`) it is a string-keyed map; otherwise free-form `Json`;
//! - anything without a type is inferred from `properties`/`items`/`enum`, else `Json`.
//!
//! Read-only properties are attributes, not inputs, and are left out: a property is left
//! out when every path that reaches it from the resource is read-only (a definition may be
//! used in more than one place).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::docs;
use crate::error::Error;
use crate::getatts;
use crate::names::{self, Namer};
use crate::schema::resolve_ref;

/// The most values a string enum may have to become a Rust enum.
pub const MAX_ENUM_VALUES: usize = 64;

/// Everything generated for one resource type.
#[derive(Debug)]
pub struct Resource {
    /// `AWS::EC2::VPC`.
    pub type_name: String,
    /// `EC2`.
    pub service: String,
    /// `VPC`.
    pub resource: String,
    /// The module (file stem): `vpc`.
    pub module: String,
    /// Doc lines of the resource struct (and of its module).
    pub doc: Vec<String>,
    /// All structs; the first is the resource's own.
    pub structs: Vec<Struct>,
    /// All enums.
    pub enums: Vec<Enum>,
    /// `Fn::GetAtt` attributes.
    pub attributes: Vec<Attribute>,
    /// The type holding the `attr_*` accessors, which `Resource<T>` dereferences to
    /// (`VpcAttributes`); generated only when there are attributes.
    pub attributes_name: String,
    /// Create-only paths below `Properties`.
    pub create_only: Vec<String>,
    /// Write-only paths below `Properties`.
    pub write_only: Vec<String>,
    /// The tag property and its format (`KeyValueList`, `Map`, `PropagateAtLaunchList`).
    pub tagging: Option<(String, &'static str)>,
    /// Cross-property schema forms that were not turned into constraints, by reason.
    pub skipped: crate::constraints::Skipped,
}

/// A generated struct: the resource's properties, or a nested property type.
#[derive(Debug)]
pub struct Struct {
    /// The Rust name.
    pub name: String,
    /// The schema's name (`Properties` for the resource, else the definition or property).
    pub schema_name: String,
    /// Doc lines.
    pub doc: Vec<String>,
    /// Fields in schema order.
    pub fields: Vec<Field>,
    /// Rules across its fields (see [`crate::constraints`]).
    pub constraints: Vec<crate::constraints::Constraint>,
}

impl Struct {
    /// True when any field is required (then there is a `new` and no `Default`).
    pub fn has_required(&self) -> bool {
        self.fields.iter().any(|f| f.required)
    }
}

/// One field of a struct.
#[derive(Debug)]
pub struct Field {
    /// The Rust name.
    pub name: String,
    /// The property name in templates.
    pub prop: String,
    /// Doc lines.
    pub doc: Vec<String>,
    /// Required by the schema.
    pub required: bool,
    /// The type and its rules.
    pub ty: TypeNode,
    /// Boxed, because the struct contains itself through this field.
    pub boxed: bool,
}

/// A type with the schema rules on its values.
#[derive(Debug, Clone)]
pub struct TypeNode {
    /// What it is.
    pub kind: Kind,
    /// Rules on literal values.
    pub rules: Rules,
}

/// The kinds of types properties have.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A string.
    Str,
    /// A whole number.
    Int,
    /// A number.
    Num,
    /// A boolean.
    Bool,
    /// Any JSON.
    Json,
    /// A generated enum (index into [`Resource::enums`]).
    Enum(usize),
    /// A generated struct (index into [`Resource::structs`]).
    Struct(usize),
    /// A list.
    List(Box<TypeNode>),
    /// A string-keyed map.
    Map(Box<TypeNode>),
}

impl TypeNode {
    /// True when no struct is inside, so the Rust type is a `Value<...>`.
    pub fn is_value(&self) -> bool {
        match &self.kind {
            Kind::Struct(_) => false,
            Kind::List(t) | Kind::Map(t) => t.is_value(),
            _ => true,
        }
    }
}

/// Rules from `enum`, `pattern`, `minLength`, ... .
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    /// Allowed values, as strings.
    pub allowed: Vec<String>,
    /// A regular expression.
    pub pattern: Option<String>,
    /// Shortest string.
    pub min_length: Option<u32>,
    /// Longest string.
    pub max_length: Option<u32>,
    /// Smallest number.
    pub minimum: Option<f64>,
    /// Largest number.
    pub maximum: Option<f64>,
    /// Fewest items.
    pub min_items: Option<u32>,
    /// Most items.
    pub max_items: Option<u32>,
    /// The string `format`, when synth checks it (see [`CHECKED_FORMATS`]).
    pub format: Option<String>,
    /// Items must differ from each other (`uniqueItems`).
    pub unique_items: bool,
    /// `allowed` compares without ASCII case (cfn-lint's `enumCaseInsensitive`).
    pub case_insensitive: bool,
}

/// The schema `format`s synth's validation checks; others are left out of the facts.
pub const CHECKED_FORMATS: &[&str] = &[
    "ipv4-network",
    "ipv6-network",
    "AWS::EC2::SecurityGroup.Id",
    "AWS::EC2::Subnet.Id",
    "AWS::EC2::VPC.Id",
    "AWS::EC2::Image.Id",
    "AWS::IAM::Role.Arn",
    "AWS::KMS::Key.Arn",
];

/// A generated enum.
#[derive(Debug)]
pub struct Enum {
    /// The Rust name.
    pub name: String,
    /// Doc lines.
    pub doc: Vec<String>,
    /// `(variant, value)` pairs in schema order.
    pub variants: Vec<(String, String)>,
}

/// One `Fn::GetAtt` attribute.
#[derive(Debug)]
pub struct Attribute {
    /// The name `Fn::GetAtt` takes.
    pub name: String,
    /// The accessor method.
    pub method: String,
    /// Doc lines.
    pub doc: Vec<String>,
    /// The Rust type inside `Value<...>`.
    pub rust_type: String,
    /// The `AttrType` variant.
    pub attr_type: &'static str,
}

/// Escapes a JSON pointer segment.
fn seg(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// What a (resolved) schema node is.
enum Class {
    Struct,
    Array,
    Map,
    Str,
    Int,
    Num,
    Bool,
    Json,
}

/// Builds the model of one resource type from its (fixed-up) schema.
pub fn build(type_name: &str, schema: &Value) -> Result<Resource, Error> {
    let (service, resource) = names::split_type_name(type_name)
        .ok_or_else(|| Error::new(format!("{type_name}: not an AWS::Service::Resource name")))?;
    let mut b = Builder {
        schema,
        type_name,
        read_only: pointer_set(schema, "readOnlyProperties"),
        create_only: pointer_set(schema, "createOnlyProperties"),
        reach: BTreeMap::new(),
        order: Vec::new(),
        hints: BTreeMap::new(),
        struct_index: BTreeMap::new(),
        structs: Vec::new(),
        enums: Vec::new(),
        enum_index: BTreeMap::new(),
        namer: Namer::default(),
        skipped: Default::default(),
    };
    let root = root_node(schema);
    let mut stack = Vec::new();
    b.reach_node("#", &root, "/properties", "Properties", None, &mut stack)?;
    b.name_structs(resource);
    let attributes_name = b
        .namer
        .take(&format!("{}Attributes", b.structs[0].name), false);
    for i in 0..b.order.len() {
        let ptr = b.order[i].clone();
        b.fill_struct(&ptr, if i == 0 { Some(&root) } else { None })?;
    }
    b.box_recursive_fields();

    let mut doc = docs::sanitize(&docs::first_paragraph(str_of(schema, "description")));
    if doc.is_empty() {
        doc.push(format!("The `{type_name}` resource."));
    }
    doc.push(String::new());
    doc.push(format!("See <{}>.", names::doc_url(service, resource)));
    b.structs[0].doc = doc.clone();

    let attributes = b.attributes()?;
    let tagging = b.tagging();
    Ok(Resource {
        type_name: type_name.to_string(),
        service: service.to_string(),
        resource: resource.to_string(),
        module: names::resource_module(resource),
        doc,
        structs: b.structs,
        enums: b.enums,
        attributes,
        attributes_name,
        create_only: strip_properties(schema, "createOnlyProperties"),
        write_only: strip_properties(schema, "writeOnlyProperties"),
        tagging,
        skipped: b.skipped,
    })
}

/// The resource's own properties as an object node.
fn root_node(schema: &Value) -> Value {
    let mut root = serde_json::Map::new();
    root.insert("type".into(), Value::from("object"));
    root.insert(
        "properties".into(),
        schema
            .get("properties")
            .cloned()
            .unwrap_or(Value::Object(Default::default())),
    );
    if let Some(req) = schema.get("required") {
        root.insert("required".into(), req.clone());
    }
    Value::Object(root)
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn pointer_set(schema: &Value, key: &str) -> BTreeSet<String> {
    schema
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn strip_properties(schema: &Value, key: &str) -> Vec<String> {
    schema
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|p| p.strip_prefix("/properties/").unwrap_or(p).to_string())
        .collect()
}

/// A struct's name hint, gathered on the first visit.
struct Hint {
    /// The property (or definition) name it comes from.
    name: String,
    /// The struct that contains it, for prefixing on a name clash.
    parent: Option<String>,
    /// Whether it is a definition (`#/definitions/X`) rather than an inline object.
    definition: bool,
}

struct Builder<'a> {
    schema: &'a Value,
    type_name: &'a str,
    read_only: BTreeSet<String>,
    create_only: BTreeSet<String>,
    /// Struct pointer -> instance paths (`/properties/A/*/B`) that reach it.
    reach: BTreeMap<String, Vec<String>>,
    /// Struct pointers in first-visit order; the first is the root (`#`).
    order: Vec<String>,
    hints: BTreeMap<String, Hint>,
    struct_index: BTreeMap<String, usize>,
    structs: Vec<Struct>,
    enums: Vec<Enum>,
    /// (name hint, values) -> enum index, to share identical enums.
    enum_index: BTreeMap<(String, Vec<String>), usize>,
    namer: Namer,
    skipped: crate::constraints::Skipped,
}

/// Names a generated file imports or uses, which no generated type may take.
const RESERVED: &[&str] = &[
    "AttrType",
    "Attribute",
    "Box",
    "Check",
    "Clone",
    "Constraint",
    "Debug",
    "Default",
    "Expr",
    "From",
    "HasAttributes",
    "IndexMap",
    "Json",
    "Literal",
    "Map",
    "None",
    "Option",
    "PartialEq",
    "Prop",
    "Props",
    "Resource",
    "ResourceFacts",
    "ResourceProps",
    "Rules",
    "Shape",
    "Some",
    "String",
    "TagFormat",
    "Tagging",
    "ToExpr",
    "Ty",
    "Value",
    "Vec",
];

/// Keeps the reach computation bounded on schemas whose definitions are shared widely.
const MAX_PATHS_PER_STRUCT: usize = 512;

impl<'a> Builder<'a> {
    fn err(&self, msg: impl std::fmt::Display) -> Error {
        Error::new(format!("{}: {msg}", self.type_name))
    }

    /// Follows `$ref`s: the pointer of the final target and the node with the local keys
    /// laid over it (a non-empty local description wins).
    fn resolve(&self, ptr: &str, node: &Value) -> Result<(String, Value), Error> {
        let mut ptr = ptr.to_string();
        let mut cur = node.clone();
        let mut overlays = Vec::new();
        while let Some(r) = cur.get("$ref").and_then(Value::as_str) {
            if overlays.len() > 16 {
                return Err(self.err(format!("$ref chain too long at {ptr}")));
            }
            let target = resolve_ref(self.schema, r)
                .ok_or_else(|| self.err(format!("unresolved $ref {r} at {ptr}")))?;
            let mut overlay = cur.clone();
            if let Some(o) = overlay.as_object_mut() {
                o.remove("$ref");
            }
            overlays.push(overlay);
            ptr = r.to_string();
            cur = target.clone();
        }
        for overlay in overlays.into_iter().rev() {
            if let (Some(base), Some(over)) = (cur.as_object_mut(), overlay.as_object()) {
                for (k, v) in over {
                    if k == "description" && v.as_str().is_none_or(|s| s.trim().is_empty()) {
                        continue;
                    }
                    base.insert(k.clone(), v.clone());
                }
            }
        }
        Ok((ptr, cur))
    }

    /// The properties of an object node, with those of its `oneOf`/`anyOf`/`allOf` branches.
    fn struct_props(ptr: &str, node: &Value) -> Vec<(String, String, Value)> {
        let mut out: Vec<(String, String, Value)> = Vec::new();
        let mut add = |base: String, props: &serde_json::Map<String, Value>| {
            for (name, v) in props {
                if !out.iter().any(|(n, _, _)| n == name) {
                    out.push((
                        name.clone(),
                        format!("{base}/properties/{}", seg(name)),
                        v.clone(),
                    ));
                }
            }
        };
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            add(ptr.to_string(), props);
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            for (i, branch) in node
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(props) = branch.get("properties").and_then(Value::as_object) {
                    add(format!("{ptr}/{key}/{i}"), props);
                }
            }
        }
        out
    }

    fn classify(node: &Value) -> Class {
        let types: Vec<&str> = match node.get("type") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect(),
            _ => vec![],
        };
        if types.len() > 1 {
            return Class::Json;
        }
        let has_props = !Self::struct_props("", node).is_empty();
        let t = match types.first() {
            Some(t) => *t,
            None if has_props => "object",
            None if node.get("items").is_some() => "array",
            None if node.get("patternProperties").is_some() => "object",
            None => match node.get("enum").and_then(Value::as_array) {
                Some(vals) if vals.iter().all(Value::is_string) => "string",
                Some(vals) if vals.iter().all(Value::is_i64) => "integer",
                _ => return Class::Json,
            },
        };
        match t {
            "string" => Class::Str,
            "integer" => Class::Int,
            "number" => Class::Num,
            "boolean" => Class::Bool,
            "array" => Class::Array,
            "object" if has_props => Class::Struct,
            "object" if Self::map_value(node).is_some() => Class::Map,
            _ => Class::Json,
        }
    }

    /// The value schema of a map: the first `patternProperties` entry, or a schema given
    /// as `additionalProperties`.
    fn map_value(node: &Value) -> Option<(String, &Value)> {
        if let Some((k, v)) = node
            .get("patternProperties")
            .and_then(Value::as_object)
            .and_then(|m| m.iter().next())
        {
            return Some((format!("/patternProperties/{}", seg(k)), v));
        }
        match node.get("additionalProperties") {
            Some(v @ Value::Object(_)) => Some(("/additionalProperties".to_string(), v)),
            _ => None,
        }
    }

    /// Pass 1: finds every struct and the instance paths that reach it.
    fn reach_node(
        &mut self,
        ptr: &str,
        node: &Value,
        inst: &str,
        hint: &str,
        parent: Option<&str>,
        stack: &mut Vec<String>,
    ) -> Result<(), Error> {
        let (rptr, n) = self.resolve(ptr, node)?;
        match Self::classify(&n) {
            Class::Struct => {
                let paths = self.reach.entry(rptr.clone()).or_default();
                if paths.len() >= MAX_PATHS_PER_STRUCT {
                    return Ok(());
                }
                paths.push(inst.to_string());
                if !self.hints.contains_key(&rptr) {
                    self.order.push(rptr.clone());
                    let def_name = rptr
                        .strip_prefix("#/definitions/")
                        .filter(|d| !d.contains('/'));
                    self.hints.insert(
                        rptr.clone(),
                        Hint {
                            name: def_name.unwrap_or(hint).to_string(),
                            parent: parent.map(str::to_string),
                            definition: def_name.is_some(),
                        },
                    );
                }
                if stack.contains(&rptr) {
                    return Ok(());
                }
                stack.push(rptr.clone());
                for (name, cptr, cnode) in Self::struct_props(&rptr, &n) {
                    let child = format!("{inst}/{name}");
                    if self.read_only.contains(&child) {
                        continue;
                    }
                    self.reach_node(&cptr, &cnode, &child, &name, Some(&rptr), stack)?;
                }
                stack.pop();
            }
            Class::Array => {
                if let Some(items) = n.get("items") {
                    let items = items.clone();
                    self.reach_node(
                        &format!("{rptr}/items"),
                        &items,
                        &format!("{inst}/*"),
                        &singular(hint),
                        parent,
                        stack,
                    )?;
                }
            }
            Class::Map => {
                if let Some((suffix, v)) = Self::map_value(&n) {
                    let v = v.clone();
                    self.reach_node(
                        &format!("{rptr}{suffix}"),
                        &v,
                        &format!("{inst}/*"),
                        &singular(hint),
                        parent,
                        stack,
                    )?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Names every struct: the resource first, then definitions by their names, then
    /// inline objects by their property names (prefixed with the parent's name on a clash).
    fn name_structs(&mut self, resource: &str) {
        let resource_name = names::upper_camel(resource);
        for r in RESERVED {
            self.namer.take(r, false);
        }
        let mut ordered: Vec<(usize, String)> = self.order.iter().cloned().enumerate().collect();
        // Root first, then definitions, then inline objects; first-visit order within each.
        ordered.sort_by_key(|(i, ptr)| {
            let rank = if *i == 0 {
                0
            } else if self.hints[ptr].definition {
                1
            } else {
                2
            };
            (rank, *i)
        });
        let mut assigned: BTreeMap<String, String> = BTreeMap::new();
        for (i, ptr) in &ordered {
            let name = if *i == 0 {
                self.namer.take(&resource_name, false)
            } else {
                let hint = &self.hints[ptr];
                let mut base = names::upper_camel(&hint.name);
                if base == resource_name || RESERVED.contains(&base.as_str()) {
                    base.push_str("Property");
                }
                if self.namer.is_taken(&base)
                    && !hint.definition
                    && let Some(parent) = hint.parent.as_ref().and_then(|p| assigned.get(p))
                {
                    let prefixed = format!("{parent}{base}");
                    if !self.namer.is_taken(&prefixed) {
                        base = prefixed;
                    }
                }
                self.namer.take(&base, false)
            };
            assigned.insert(ptr.clone(), name);
        }
        for (i, ptr) in self.order.iter().enumerate() {
            self.struct_index.insert(ptr.clone(), i);
            self.structs.push(Struct {
                name: assigned[ptr].clone(),
                schema_name: if i == 0 {
                    "Properties".to_string()
                } else {
                    self.hints[ptr].name.clone()
                },
                doc: Vec::new(),
                fields: Vec::new(),
                constraints: Vec::new(),
            });
        }
    }

    /// Pass 2: the fields of one struct.
    fn fill_struct(&mut self, ptr: &str, root: Option<&Value>) -> Result<(), Error> {
        let idx = self.struct_index[ptr];
        let node = match root {
            Some(r) => r.clone(),
            None => {
                let raw = self
                    .schema
                    .pointer(ptr.strip_prefix('#').unwrap_or(ptr))
                    .cloned()
                    .ok_or_else(|| self.err(format!("missing {ptr}")))?;
                self.resolve(ptr, &raw)?.1
            }
        };
        if root.is_none() {
            let mut doc = docs::sanitize(&docs::first_paragraph(str_of(&node, "description")));
            if doc.is_empty() {
                doc.push(format!(
                    "The `{}` property type of `{}`.",
                    self.structs[idx].schema_name, self.type_name
                ));
            }
            self.structs[idx].doc = doc;
        }
        let required: BTreeSet<String> = node
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let paths = self.reach.get(ptr).cloned().unwrap_or_default();
        let struct_name = self.structs[idx].name.clone();
        let mut field_names = Namer::default();
        let mut fields = Vec::new();
        for (name, cptr, cnode) in Self::struct_props(ptr, &node) {
            let children: Vec<String> = paths.iter().map(|p| format!("{p}/{name}")).collect();
            if children.iter().all(|c| self.read_only.contains(c)) {
                continue;
            }
            let create_only = children.iter().all(|c| {
                self.create_only
                    .iter()
                    .any(|co| c == co || c.starts_with(&format!("{co}/")))
            });
            let is_required = required.contains(&name);
            let (_, resolved) = self.resolve(&cptr, &cnode)?;
            // Enums of nested structs named by one generic word (`Type`, `Mode`) take the
            // struct's name as a prefix; the resource's own keep theirs.
            let prefix = if idx == 0 { "" } else { struct_name.as_str() };
            let ty = self.map_type(&cptr, &cnode, &name, prefix, &struct_name)?;
            let mut text = docs::first_paragraph(str_of(&resolved, "description"));
            if text.is_empty() {
                text = format!("The `{name}` property.");
            }
            if is_required {
                text.push_str(" Required.");
            }
            if create_only {
                text.push_str(" Changing it replaces the resource.");
            }
            fields.push(Field {
                name: field_names.take(&names::field_name(&name), true),
                prop: name,
                doc: docs::sanitize(&text),
                required: is_required,
                ty,
                boxed: false,
            });
        }
        self.structs[idx].fields = fields;
        // The resource's own keywords sit at the top of the schema, beside `properties`.
        let (cnode, at) = match root {
            Some(_) => (self.schema, "#"),
            None => (&node, ptr),
        };
        let constraints = crate::constraints::of_struct(cnode, self.schema, at, &mut self.skipped);
        self.structs[idx].constraints = constraints;
        Ok(())
    }

    fn map_type(
        &mut self,
        ptr: &str,
        node: &Value,
        hint: &str,
        prefix: &str,
        parent: &str,
    ) -> Result<TypeNode, Error> {
        let (rptr, n) = self.resolve(ptr, node)?;
        let rules = rules_of(&n);
        let kind = match Self::classify(&n) {
            Class::Struct => Kind::Struct(
                *self
                    .struct_index
                    .get(&rptr)
                    .ok_or_else(|| self.err(format!("struct {rptr} was not reached")))?,
            ),
            Class::Array => match n.get("items") {
                Some(items) => Kind::List(Box::new(self.map_type(
                    &format!("{rptr}/items"),
                    &items.clone(),
                    &singular(hint),
                    prefix,
                    parent,
                )?)),
                None => Kind::List(Box::new(TypeNode {
                    kind: Kind::Json,
                    rules: Rules::default(),
                })),
            },
            Class::Map => {
                let (suffix, v) = Self::map_value(&n).expect("classified as a map");
                let v = v.clone();
                Kind::Map(Box::new(self.map_type(
                    &format!("{rptr}{suffix}"),
                    &v,
                    &singular(hint),
                    prefix,
                    parent,
                )?))
            }
            Class::Str => {
                let def_name = rptr
                    .strip_prefix("#/definitions/")
                    .filter(|d| !d.contains('/'));
                match enum_values(&n) {
                    Some(values) => {
                        let doc = docs::first_paragraph(str_of(&n, "description"));
                        let base = match def_name {
                            Some(d) => names::upper_camel(d),
                            None if names::split_words(hint).len() == 1 => {
                                format!("{prefix}{}", names::upper_camel(hint))
                            }
                            None => names::upper_camel(hint),
                        };
                        Kind::Enum(self.enum_for(&base, hint, parent, values, &doc))
                    }
                    None => Kind::Str,
                }
            }
            Class::Int => Kind::Int,
            Class::Num => Kind::Num,
            Class::Bool => Kind::Bool,
            Class::Json => Kind::Json,
        };
        Ok(TypeNode { kind, rules })
    }

    fn enum_for(
        &mut self,
        base: &str,
        hint: &str,
        parent: &str,
        values: Vec<String>,
        doc: &str,
    ) -> usize {
        let base = base.to_string();
        let key = (base.clone(), values.clone());
        if let Some(&i) = self.enum_index.get(&key) {
            return i;
        }
        let prefixed = format!("{parent}{base}");
        let name = if !self.namer.is_taken(&base) {
            self.namer.take(&base, false)
        } else if !self.namer.is_taken(&prefixed) {
            self.namer.take(&prefixed, false)
        } else {
            self.namer.take(&base, false)
        };
        let mut lines = docs::sanitize(doc);
        if lines.is_empty() {
            lines.push(format!("The values `{hint}` takes."));
        }
        let variants = values
            .into_iter()
            .map(|v| (names::upper_camel(&v), v))
            .collect();
        self.enums.push(Enum {
            name,
            doc: lines,
            variants,
        });
        self.enum_index.insert(key, self.enums.len() - 1);
        self.enums.len() - 1
    }

    /// Boxes the fields that close a cycle of direct containment (not through a list or
    /// map, which are already indirect): the back edges of a depth-first walk in struct
    /// order, so one field per cycle is boxed and the rest stay plain.
    fn box_recursive_fields(&mut self) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnStack,
            Done,
        }
        fn walk(i: usize, structs: &[Struct], marks: &mut [Mark], out: &mut Vec<(usize, usize)>) {
            marks[i] = Mark::OnStack;
            for (k, f) in structs[i].fields.iter().enumerate() {
                if let Kind::Struct(j) = f.ty.kind {
                    match marks[j] {
                        Mark::OnStack => out.push((i, k)),
                        Mark::New => walk(j, structs, marks, out),
                        Mark::Done => {}
                    }
                }
            }
            marks[i] = Mark::Done;
        }
        let mut marks = vec![Mark::New; self.structs.len()];
        let mut to_box = Vec::new();
        for i in 0..self.structs.len() {
            if marks[i] == Mark::New {
                walk(i, &self.structs, &mut marks, &mut to_box);
            }
        }
        for (i, k) in to_box {
            self.structs[i].fields[k].boxed = true;
        }
    }

    fn attributes(&self) -> Result<Vec<Attribute>, Error> {
        let mut methods = Namer::default();
        let mut out = Vec::new();
        for att in getatts::attributes(self.type_name, self.schema) {
            let node = self.node_at(&att.pointer)?;
            let (rust_type, attr_type) = match &node {
                Some(n) => self.attr_type(n)?,
                // A read-only pointer the schema does not describe: ids and names in practice.
                None => ("String".to_string(), "String"),
            };
            let desc = node
                .as_ref()
                .map(|n| docs::first_paragraph(str_of(n, "description")))
                .unwrap_or_default();
            let mut text = format!("`Fn::GetAtt` attribute `{}`", att.name);
            if desc.is_empty() {
                text.push('.');
            } else {
                text.push_str(": ");
                text.push_str(&desc);
            }
            let method = att
                .name
                .split('.')
                .map(names::snake)
                .collect::<Vec<_>>()
                .join("_");
            out.push(Attribute {
                method: methods.take(&format!("attr_{method}"), true),
                name: att.name,
                doc: docs::sanitize(&text),
                rust_type,
                attr_type,
            });
        }
        Ok(out)
    }

    /// The resolved node at a `/properties/...` pointer, through `$ref`s and list items.
    fn node_at(&self, pointer: &str) -> Result<Option<Value>, Error> {
        let mut segs = pointer.split('/').skip(1);
        if segs.next() != Some("properties") {
            return Ok(None);
        }
        let mut cur = root_node(self.schema);
        let mut ptr = "#".to_string();
        for s in segs {
            let (rptr, n) = self.resolve(&ptr, &cur)?;
            let next = if s == "*" {
                n.get("items").map(|i| (format!("{rptr}/items"), i.clone()))
            } else {
                Self::struct_props(&rptr, &n)
                    .into_iter()
                    .find(|(name, _, _)| name == s)
                    .map(|(_, p, v)| (p, v))
            };
            match next {
                Some((p, v)) => {
                    ptr = p;
                    cur = v;
                }
                None => return Ok(None),
            }
        }
        Ok(Some(self.resolve(&ptr, &cur)?.1))
    }

    fn attr_type(&self, node: &Value) -> Result<(String, &'static str), Error> {
        Ok(match Self::classify(node) {
            Class::Str => ("String".into(), "String"),
            Class::Int => ("i64".into(), "Integer"),
            Class::Num => ("f64".into(), "Number"),
            Class::Bool => ("bool".into(), "Boolean"),
            Class::Array => {
                let item = match node.get("items") {
                    Some(i) => Some(self.resolve("#", i)?.1),
                    None => None,
                };
                match item.as_ref().map(Self::classify) {
                    Some(Class::Str) => ("Vec<String>".into(), "List"),
                    Some(Class::Int) => ("Vec<i64>".into(), "List"),
                    Some(Class::Num) => ("Vec<f64>".into(), "List"),
                    Some(Class::Bool) => ("Vec<bool>".into(), "List"),
                    _ => ("Json".into(), "Json"),
                }
            }
            _ => ("Json".into(), "Json"),
        })
    }

    fn tagging(&self) -> Option<(String, &'static str)> {
        let taggable = match self.schema.get("tagging") {
            Some(t) => t.get("taggable").and_then(Value::as_bool).unwrap_or(true),
            None => self
                .schema
                .get("taggable")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        if !taggable {
            return None;
        }
        let pointer = self
            .schema
            .get("tagging")
            .and_then(|t| t.get("tagProperty"))
            .and_then(Value::as_str)
            .unwrap_or("/properties/Tags");
        let prop = pointer.strip_prefix("/properties/")?;
        // Only when the resource struct has the property as an input.
        self.structs[0].fields.iter().find(|f| f.prop == prop)?;
        let node = self.node_at(pointer).ok()??;
        let format = match Self::classify(&node) {
            Class::Array => {
                let item = self.resolve("#", node.get("items")?).ok()?.1;
                let keys: Vec<String> = Self::struct_props("", &item)
                    .into_iter()
                    .map(|(n, _, _)| n)
                    .collect();
                let has = |k: &str| keys.iter().any(|x| x == k);
                if !(has("Key") && has("Value")) {
                    return None;
                }
                if has("PropagateAtLaunch") {
                    "PropagateAtLaunchList"
                } else {
                    "KeyValueList"
                }
            }
            Class::Map => "Map",
            _ => return None,
        };
        Some((prop.to_string(), format))
    }
}

/// The values of a string enum when it should become a Rust enum: at most
/// [`MAX_ENUM_VALUES`], every one a sane identifier, and distinct once turned into
/// variant names.
fn enum_values(node: &Value) -> Option<Vec<String>> {
    let vals = node.get("enum")?.as_array()?;
    let mut out: Vec<String> = Vec::new();
    for v in vals {
        let s = v.as_str()?;
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    if out.is_empty() || out.len() > MAX_ENUM_VALUES {
        return None;
    }
    let sane = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-'))
    };
    if !out.iter().all(|s| sane(s)) {
        return None;
    }
    let variants: BTreeSet<String> = out.iter().map(|s| names::upper_camel(s)).collect();
    (variants.len() == out.len()).then_some(out)
}

/// The rules of a resolved node.
fn rules_of(n: &Value) -> Rules {
    let u32_of = |k: &str| {
        n.get(k)
            .and_then(Value::as_u64)
            .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
    };
    let case_insensitive = n.get("enum").is_none() && n.get("enumCaseInsensitive").is_some();
    let mut allowed: Vec<String> = n
        .get(if case_insensitive {
            "enumCaseInsensitive"
        } else {
            "enum"
        })
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    if allowed.is_empty()
        && let Some(c) = n.get("const")
    {
        allowed.push(match c {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    }
    let mut seen = BTreeSet::new();
    allowed.retain(|v| seen.insert(v.clone()));
    Rules {
        allowed,
        pattern: n.get("pattern").and_then(Value::as_str).map(str::to_string),
        min_length: u32_of("minLength"),
        max_length: u32_of("maxLength"),
        minimum: n.get("minimum").and_then(Value::as_f64),
        maximum: n.get("maximum").and_then(Value::as_f64),
        min_items: u32_of("minItems"),
        max_items: u32_of("maxItems"),
        format: n
            .get("format")
            .and_then(Value::as_str)
            .filter(|f| CHECKED_FORMATS.contains(f))
            .map(str::to_string),
        unique_items: n.get("uniqueItems") == Some(&Value::Bool(true)),
        case_insensitive,
    }
}

/// A naive singular for naming list items: `CountryCodes` is `CountryCode`, `Policies` is
/// `Policy`; `Status` and `Address` stay.
pub fn singular(s: &str) -> String {
    if let Some(stem) = s.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = s.strip_suffix("sses") {
        format!("{stem}ss")
    } else if s.ends_with('s') && !s.ends_with("ss") && !s.ends_with("us") && !s.ends_with("is") {
        s[..s.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field<'r>(r: &'r Resource, s: &str, f: &str) -> &'r Field {
        r.structs
            .iter()
            .find(|x| x.name == s)
            .unwrap_or_else(|| panic!("no struct {s}"))
            .fields
            .iter()
            .find(|x| x.prop == f)
            .unwrap_or_else(|| panic!("no field {f} in {s}"))
    }

    fn schema() -> Value {
        json!({
            "typeName": "AWS::Test::Thing",
            "description": "A thing.",
            "properties": {
                "Name": {"type": "string", "maxLength": 10, "description": "The name.\nMore."},
                "Mode": {"type": "string", "enum": ["on-demand", "spot"]},
                "Big": {"type": "string", "enum": ["a b", "c"]},
                "Policy": {"type": ["object", "string"]},
                "Count": {"type": "integer", "minimum": 1},
                "Ids": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                "Rules": {"type": "array", "items": {"$ref": "#/definitions/Rule"}},
                "Labels": {"type": "object", "patternProperties": {".+": {"type": "string"}}},
                "Bodies": {"type": "object", "patternProperties": {".+": {"$ref": "#/definitions/Thing"}}},
                "Free": {"type": "object"},
                "Inline": {"type": "object", "properties": {"A": {"type": "boolean"}}},
                "Arn": {"type": "string"},
                "Statement": {"$ref": "#/definitions/Statement"},
                "Tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}}
            },
            "definitions": {
                "Rule": {"type": "object", "required": ["Id"],
                         "properties": {"Id": {"type": "string"}, "Status": {"type": "string"}}},
                "Thing": {"type": "object", "properties": {"Body": {"type": "string"}}},
                "Statement": {"type": "object", "properties": {
                    "Not": {"$ref": "#/definitions/Statement"},
                    "And": {"type": "array", "items": {"$ref": "#/definitions/Statement"}}}},
                "Tag": {"type": "object", "properties": {"Key": {"type": "string"}, "Value": {"type": "string"}}}
            },
            "required": ["Mode"],
            "readOnlyProperties": ["/properties/Arn", "/properties/Rules/*/Status"],
            "createOnlyProperties": ["/properties/Name"],
            "tagging": {"taggable": true}
        })
    }

    #[test]
    fn maps_schema_types_to_rust_kinds() {
        let r = build("AWS::Test::Thing", &schema()).unwrap();
        let root = &r.structs[0];
        assert_eq!(root.name, "Thing");
        assert!(matches!(field(&r, "Thing", "Name").ty.kind, Kind::Str));
        assert!(matches!(field(&r, "Thing", "Mode").ty.kind, Kind::Enum(_)));
        assert!(field(&r, "Thing", "Mode").required);
        // A value that is no identifier keeps the enum a string, with its values as rules.
        let big = field(&r, "Thing", "Big");
        assert!(matches!(big.ty.kind, Kind::Str));
        assert_eq!(big.ty.rules.allowed, vec!["a b", "c"]);
        assert!(matches!(field(&r, "Thing", "Policy").ty.kind, Kind::Json));
        assert!(matches!(field(&r, "Thing", "Count").ty.kind, Kind::Int));
        assert!(matches!(field(&r, "Thing", "Free").ty.kind, Kind::Json));
        let ids = field(&r, "Thing", "Ids");
        assert!(matches!(&ids.ty.kind, Kind::List(t) if matches!(t.kind, Kind::Str)));
        assert_eq!(ids.ty.rules.max_items, Some(3));
        let labels = field(&r, "Thing", "Labels");
        assert!(matches!(&labels.ty.kind, Kind::Map(t) if matches!(t.kind, Kind::Str)));
        let bodies = field(&r, "Thing", "Bodies");
        assert!(matches!(&bodies.ty.kind, Kind::Map(t) if matches!(t.kind, Kind::Struct(_))));
        assert!(!bodies.ty.is_value());
        // The definition named like the resource gets a suffix.
        assert!(r.structs.iter().any(|s| s.name == "ThingProperty"));
        assert!(r.structs.iter().any(|s| s.name == "Inline"));
    }

    #[test]
    fn read_only_properties_are_left_out() {
        let r = build("AWS::Test::Thing", &schema()).unwrap();
        assert!(r.structs[0].fields.iter().all(|f| f.prop != "Arn"));
        let rule = r.structs.iter().find(|s| s.name == "Rule").unwrap();
        assert_eq!(rule.fields.len(), 1);
        assert!(rule.has_required());
    }

    #[test]
    fn direct_recursion_is_boxed_and_lists_are_not() {
        let r = build("AWS::Test::Thing", &schema()).unwrap();
        assert!(field(&r, "Statement", "Not").boxed);
        assert!(!field(&r, "Statement", "And").boxed);
        assert!(!field(&r, "Thing", "Statement").boxed);
    }

    #[test]
    fn docs_mark_required_and_create_only() {
        let r = build("AWS::Test::Thing", &schema()).unwrap();
        assert_eq!(
            field(&r, "Thing", "Name").doc,
            vec!["The name. Changing it replaces the resource."]
        );
        assert_eq!(
            field(&r, "Thing", "Mode").doc,
            vec!["The `Mode` property. Required."]
        );
    }

    #[test]
    fn tagging_and_paths() {
        let r = build("AWS::Test::Thing", &schema()).unwrap();
        assert_eq!(r.tagging, Some(("Tags".to_string(), "KeyValueList")));
        assert_eq!(r.create_only, vec!["Name"]);
        assert_eq!(r.attributes.len(), 1);
        assert_eq!(r.attributes[0].method, "attr_arn");
    }

    #[test]
    fn singular_names() {
        assert_eq!(singular("CountryCodes"), "CountryCode");
        assert_eq!(singular("Policies"), "Policy");
        assert_eq!(singular("Status"), "Status");
        assert_eq!(singular("Address"), "Address");
        assert_eq!(singular("Addresses"), "Address");
    }
}
