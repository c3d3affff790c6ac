//! From the construct tree to one CloudFormation template per stack.
//!
//! [`App::build`] gives every element its logical id, resolves every value, writes the
//! exports and imports that references between stacks need, applies tags, and collects
//! every structural problem it meets instead of stopping at the first. Schema rules
//! (required properties, enums, patterns, limits) are checked afterwards by the synth
//! crate's validation pass over the templates built here.

use std::collections::HashMap;
use std::rc::Rc;

use indexmap::{IndexMap, IndexSet};
use serde_json::{Map, Value as Json, json};

use crate::app::App;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::{Expr, is_intrinsic_map};
use crate::facts::{ResourceFacts, TagFormat};
use crate::logical_id;
use crate::resolve::{LogicalIds, Resolution, StackResolver, apply_override};
use crate::stack::Env;
use crate::tree::{ElementId, Node, NodeKind, Tree};

/// One stack, built: its template and what deploy needs to know about it.
#[derive(Debug, Clone)]
pub struct StackArtifact {
    /// The stack name.
    pub name: String,
    /// Where it deploys.
    pub env: Env,
    /// The template, with keys in CloudFormation's conventional order.
    pub template: Json,
    /// Names of the stacks that must be deployed first, in the app's stack order.
    pub dependencies: Vec<String>,
    /// Whether deploy should turn on termination protection.
    pub termination_protection: bool,
    /// The tags of the app and the stack, for deploy to set as stack tags.
    pub tags: Vec<(String, String)>,
    /// Every resource's construct path and schema facts, by logical id.
    pub resources: IndexMap<String, ResourceInfo>,
    /// Export names this stack imports from outside the app
    /// ([`Stack::uses_external_export`](crate::Stack::uses_external_export)).
    pub external_exports: Vec<String>,
}

impl StackArtifact {
    /// The construct path of the resource `logical_id`, or `Stack/logical_id` for an id
    /// no construct made (a resource an override or an included template added), as
    /// findings name places.
    pub fn path_of(&self, logical_id: &str) -> String {
        match self.resources.get(logical_id) {
            Some(info) => info.path.clone(),
            None => format!("{}/{logical_id}", self.name),
        }
    }
}

/// Where a resource of a template came from.
#[derive(Debug, Clone)]
pub struct ResourceInfo {
    /// Its construct path.
    pub path: String,
    /// Its type's schema facts; `None` for types without a schema here (`Custom::` and
    /// third-party registry types), which synth checks only structurally.
    pub facts: Option<&'static ResourceFacts>,
}

/// Every stack of an app, built, with the problems found on the way.
#[derive(Debug, Clone)]
pub struct Build {
    /// The stacks, in dependency order (a stack comes after the stacks it depends on) and
    /// otherwise in creation order.
    pub stacks: Vec<StackArtifact>,
    /// Structural problems: logical id collisions, bad references, cycles between stacks.
    pub diagnostics: Diagnostics,
}

impl App {
    /// Builds every stack's template. Always returns templates, as complete as the problems
    /// allow, so that later passes can report their findings in the same run.
    pub fn build(&self) -> Build {
        let tree = self.tree.0.borrow();
        build(&tree)
    }
}

fn build(tree: &Tree) -> Build {
    let mut diagnostics = Vec::new();
    let logical_ids = assign_logical_ids(tree, &mut diagnostics);
    let mut res = Resolution {
        tree,
        logical_ids,
        exports: HashMap::new(),
        stack_deps: HashMap::new(),
        diagnostics,
    };

    let stack_ids: Vec<ElementId> = tree.stacks.values().copied().collect();
    let mut tags = TagCache::new(tree);
    let mut built: Vec<(ElementId, Sections, IndexMap<String, ResourceInfo>)> = Vec::new();
    for &stack in &stack_ids {
        let (sections, infos) = build_stack(&mut res, stack, &mut tags);
        built.push((stack, sections, infos));
    }

    // Exports are known only once every consumer is resolved.
    for (stack, sections, _) in &mut built {
        let Some(exports) = res.exports.remove(stack) else {
            continue;
        };
        let outputs = sections
            .entry("Outputs")
            .or_insert_with(|| Json::Object(Map::new()));
        let Json::Object(outputs) = outputs else {
            unreachable!("outputs are an object")
        };
        for (id, export) in exports {
            if outputs.contains_key(&id) {
                res.diagnostics.push(Diagnostic::error(
                    "logical-id-collision",
                    tree.node(*stack).name.clone(),
                    format!("the output '{id}' that synth writes for a cross-stack reference clashes with an output of the same id"),
                ).with_hint("rename or override the logical id of that output"));
                continue;
            }
            outputs.insert(
                id,
                json!({ "Value": export.value, "Export": { "Name": export.name } }),
            );
        }
    }

    let deps = stack_dependencies(tree, &stack_ids, &res.stack_deps, &mut res.diagnostics);
    let order = dependency_order(&stack_ids, &deps);

    let mut by_id: HashMap<ElementId, _> = built
        .into_iter()
        .map(|(id, sections, infos)| (id, (sections, infos)))
        .collect();
    let mut stacks = Vec::with_capacity(order.len());
    for stack in order {
        let Some((sections, resources)) = by_id.remove(&stack) else {
            continue;
        };
        let node = tree.node(stack);
        let NodeKind::Stack(s) = &node.kind else {
            unreachable!("stack ids point at stack nodes")
        };
        let mut template = Map::new();
        template.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        for (k, v) in sections {
            template.insert(k.to_string(), v);
        }
        stacks.push(StackArtifact {
            name: node.name.clone(),
            env: s.env.clone(),
            template: Json::Object(template),
            dependencies: deps[&stack]
                .iter()
                .map(|d| tree.node(*d).name.clone())
                .collect(),
            termination_protection: s.termination_protection,
            tags: merged_tags([tree.tags.as_slice(), node.tags.as_slice()]),
            resources,
            external_exports: s.external_exports.clone(),
        });
    }
    Build {
        stacks,
        diagnostics: Diagnostics(res.diagnostics),
    }
}

fn assign_logical_ids(tree: &Tree, diags: &mut Vec<Diagnostic>) -> LogicalIds {
    let mut ids = LogicalIds::new(tree);
    for &stack in tree.stacks.values() {
        // One map per namespace of logical ids (see `NodeKind::id_namespace`).
        let mut seen: [HashMap<String, ElementId>; 4] = Default::default();
        for el in tree.descendants(stack) {
            let node = tree.node(el);
            if !node.kind.is_element() {
                continue;
            }
            let seen = &mut seen[node.kind.id_namespace()];
            let id = match &node.logical_id {
                Some(o) => o.clone(),
                None => logical_id::derive(&tree.components_below_stack(el)),
            };
            if let Some(problem) = logical_id::problem(&id) {
                diags.push(
                    Diagnostic::error(
                        "invalid-logical-id",
                        tree.path_of(el),
                        format!("'{id}' cannot be a logical id because {problem}"),
                    )
                    .with_hint("override_logical_id with letters and digits only, at most 255"),
                );
            }
            if let Some(other) = seen.get(&id) {
                diags.push(
                    Diagnostic::error(
                        "logical-id-collision",
                        tree.path_of(el),
                        format!(
                            "the logical id '{id}' is also the id of '{}'",
                            tree.path_of(*other)
                        ),
                    )
                    .with_hint(
                        "rename one of the constructs, or override_logical_id on one of them",
                    ),
                );
            } else {
                seen.insert(id.clone(), el);
            }
            ids.insert(el, id);
        }
    }
    ids
}

type Sections = IndexMap<&'static str, Json>;

fn build_stack(
    res: &mut Resolution<'_>,
    stack: ElementId,
    tags: &mut TagCache,
) -> (Sections, IndexMap<String, ResourceInfo>) {
    let tree = res.tree;
    let snode = tree.node(stack);
    let NodeKind::Stack(s) = &snode.kind else {
        unreachable!("stack ids point at stack nodes")
    };
    let mut sections: Sections = IndexMap::new();
    let mut parameters = Map::new();
    let mut mappings = Map::new();
    let mut conditions = Map::new();
    let mut resources = Map::new();
    let mut outputs = Map::new();
    let mut infos = IndexMap::new();

    if let Some(d) = &s.description {
        sections.insert("Description", json!(d));
    }
    if !s.metadata.is_empty() {
        let path = snode.name.clone();
        let mut r = StackResolver {
            res,
            stack,
            path: &path,
        };
        let meta = Expr::Object(s.metadata.clone());
        sections.insert("Metadata", r.resolve_owned(meta));
    }

    for el in tree.descendants(stack) {
        let node = tree.node(el);
        if !node.kind.is_element() {
            continue;
        }
        let lid = res.logical_ids[el].clone();
        let path = tree.path_of(el);
        let mut r = StackResolver {
            res: &mut *res,
            stack,
            path: &path,
        };
        match &node.kind {
            NodeKind::Resource(rn) => {
                let facts = rn.props.facts();
                let body = resource_json(&mut r, tree, el, node, rn, facts, tags);
                resources.insert(lid.clone(), body);
                infos.insert(lid, ResourceInfo { path, facts });
            }
            NodeKind::Parameter(p) => {
                let mut o = Map::new();
                o.insert("Type".into(), json!(p.type_));
                if let Some(d) = &p.description {
                    o.insert("Description".into(), json!(d));
                }
                if let Some(d) = &p.default {
                    o.insert("Default".into(), json!(d));
                }
                if !p.allowed_values.is_empty() {
                    o.insert("AllowedValues".into(), json!(p.allowed_values));
                }
                if let Some(v) = &p.allowed_pattern {
                    o.insert("AllowedPattern".into(), json!(v));
                }
                if let Some(v) = &p.constraint_description {
                    o.insert("ConstraintDescription".into(), json!(v));
                }
                if let Some(v) = p.min_length {
                    o.insert("MinLength".into(), json!(v));
                }
                if let Some(v) = p.max_length {
                    o.insert("MaxLength".into(), json!(v));
                }
                if let Some(v) = p.min_value {
                    o.insert("MinValue".into(), bound(v));
                }
                if let Some(v) = p.max_value {
                    o.insert("MaxValue".into(), bound(v));
                }
                if p.no_echo {
                    o.insert("NoEcho".into(), json!(true));
                }
                parameters.insert(lid, Json::Object(o));
            }
            NodeKind::Condition(c) => {
                conditions.insert(lid, r.resolve(c));
            }
            NodeKind::Mapping(m) => {
                let table = Expr::Object(
                    m.iter()
                        .map(|(k, v)| (k.clone(), Expr::Object(v.clone())))
                        .collect(),
                );
                mappings.insert(lid, r.resolve_owned(table));
            }
            NodeKind::Output(o) => {
                let mut out = Map::new();
                if let Some(d) = &o.description {
                    out.insert("Description".into(), json!(d));
                }
                out.insert("Value".into(), r.resolve(o.value.expr()));
                if let Some(n) = &o.export_name {
                    out.insert("Export".into(), json!({ "Name": r.resolve(n.expr()) }));
                }
                if let Some(c) = o.condition {
                    out.insert(
                        "Condition".into(),
                        json!(r.res.logical_ids.get(c).cloned().unwrap_or_default()),
                    );
                }
                outputs.insert(lid, Json::Object(out));
            }
            NodeKind::Stack(_) | NodeKind::Construct => {}
        }
    }

    for (name, section) in [
        ("Parameters", parameters),
        ("Mappings", mappings),
        ("Conditions", conditions),
        ("Resources", resources),
        ("Outputs", outputs),
    ] {
        if !section.is_empty() || name == "Resources" {
            sections.insert(name, Json::Object(section));
        }
    }
    (sections, infos)
}

fn resource_json(
    r: &mut StackResolver<'_, '_>,
    tree: &Tree,
    el: ElementId,
    node: &Node,
    rn: &crate::tree::ResourceNode,
    facts: Option<&'static ResourceFacts>,
    tags: &mut TagCache,
) -> Json {
    // Resolved straight from the typed struct: no copy of its expressions is made.
    let mut properties = match rn.props.resolve_properties(r) {
        Json::Object(o) => o,
        _ => Map::new(),
    };
    if let Some(tagging) = facts.and_then(|f| f.tagging) {
        let inherited = tags.of(tree, el);
        if !inherited.is_empty() {
            apply_tags(
                &mut properties,
                tagging.property,
                tagging.format,
                &inherited,
            );
        }
    }
    // Overrides come last, so they win over inherited tags too.
    for (path, value) in &rn.overrides {
        let value = value.as_ref().map(|v| r.resolve(v));
        apply_override(&mut properties, path, value);
    }

    let mut body = Map::new();
    body.insert("Type".into(), json!(rn.props.type_name()));
    if !properties.is_empty() {
        body.insert("Properties".into(), Json::Object(properties));
    }
    let depends = depends_on(r, tree, el, &rn.depends_on);
    if !depends.is_empty() {
        body.insert("DependsOn".into(), json!(depends));
    }
    if let Some(c) = rn.condition {
        let id = r.res.logical_ids.get(c).cloned().unwrap_or_default();
        if tree.owns(c) && tree.node(c).stack != node.stack {
            r.res.diagnostics.push(
                Diagnostic::error(
                    "cross-stack-condition",
                    r.path,
                    format!(
                        "the resource's Condition is '{}', which belongs to another stack",
                        tree.path_of(c)
                    ),
                )
                .with_hint("create the condition in this stack as well"),
            );
        }
        body.insert("Condition".into(), json!(id));
    }
    if let Some(p) = &rn.creation_policy {
        body.insert("CreationPolicy".into(), r.resolve(p));
    }
    if let Some(p) = &rn.update_policy {
        body.insert("UpdatePolicy".into(), r.resolve(p));
    }
    if let Some(p) = rn.deletion_policy {
        body.insert("DeletionPolicy".into(), json!(p.as_str()));
    }
    if let Some(p) = rn.update_replace_policy {
        body.insert("UpdateReplacePolicy".into(), json!(p.as_str()));
    }
    let metadata = inherited_metadata(tree, el, &rn.metadata);
    if !metadata.is_empty() {
        body.insert("Metadata".into(), r.resolve_owned(Expr::Object(metadata)));
    }
    Json::Object(body)
}

/// Logical ids of the resources `targets` stand for in this stack (a construct stands for
/// every resource under it); a target in another stack makes this stack depend on that one.
fn depends_on(
    r: &mut StackResolver<'_, '_>,
    tree: &Tree,
    el: ElementId,
    targets: &[ElementId],
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let stack = tree.node(el).stack;
    for &t in targets {
        if !tree.owns(t) {
            r.res.diagnostics.push(
                Diagnostic::error(
                    "unknown-reference",
                    r.path,
                    "DependsOn names an element of another App".to_string(),
                )
                .with_hint("build stacks that depend on each other under one App"),
            );
            continue;
        }
        let tnode = tree.node(t);
        if matches!(tnode.kind, NodeKind::Stack(_)) || tnode.stack != stack {
            if tnode.stack != stack {
                r.res
                    .stack_deps
                    .entry(stack)
                    .or_default()
                    .insert(tnode.stack);
            }
            continue;
        }
        for d in tree.descendants(t) {
            if d != el && matches!(tree.node(d).kind, NodeKind::Resource(_)) {
                out.push(r.res.logical_ids[d].clone());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The tags of the app and every scope from the stack down to a node (nearer wins), by
/// node: siblings share their scopes' tags, so each scope's are merged once.
struct TagCache(Vec<Option<TagList>>);

/// Tags as `(key, value)`, sorted by key.
type TagList = Rc<[(String, String)]>;

impl TagCache {
    fn new(tree: &Tree) -> Self {
        TagCache(vec![None; tree.nodes.len()])
    }

    fn of(&mut self, tree: &Tree, id: ElementId) -> TagList {
        if let Some(t) = &self.0[id.index as usize] {
            return t.clone();
        }
        let node = tree.node(id);
        let merged: TagList = match node.parent {
            None => merged_tags([tree.tags.as_slice(), node.tags.as_slice()]).into(),
            Some(parent) => {
                let above = self.of(tree, parent);
                if node.tags.is_empty() {
                    above
                } else {
                    merged_tags([&*above, node.tags.as_slice()]).into()
                }
            }
        };
        self.0[id.index as usize] = Some(merged.clone());
        merged
    }
}

/// Inherited tags (sorted by key) in the tag property's format, as `apply_tags` writes them
/// for a resource that sets none itself.
fn tags_json(inherited: &[(String, String)], format: TagFormat) -> Json {
    match format {
        TagFormat::Map => Json::Object(
            inherited
                .iter()
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect(),
        ),
        TagFormat::KeyValueList | TagFormat::PropagateAtLaunchList => Json::Array(
            inherited
                .iter()
                .map(|(k, v)| tag_json(k, v, format))
                .collect(),
        ),
    }
}

/// One tag in the tag property's format: the value alone in a map, else an item.
fn tag_json(k: &str, v: &str, format: TagFormat) -> Json {
    if format == TagFormat::Map {
        return Json::String(v.to_string());
    }
    let mut o = Map::with_capacity(3);
    o.insert("Key".into(), Json::String(k.to_string()));
    if format == TagFormat::PropagateAtLaunchList {
        o.insert("PropagateAtLaunch".into(), Json::Bool(true));
    }
    o.insert("Value".into(), Json::String(v.to_string()));
    Json::Object(o)
}

/// Merges tag lists, later ones winning for the same key, sorted by key.
fn merged_tags<'a>(
    lists: impl IntoIterator<Item = &'a [(String, String)]>,
) -> Vec<(String, String)> {
    let mut map: IndexMap<&str, &str> = IndexMap::new();
    for list in lists {
        for (k, v) in list {
            map.insert(k, v);
        }
    }
    let mut out: Vec<(String, String)> = map
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    out.sort();
    out
}

/// Merges the inherited tags (sorted by key) into the tag property: the resource's own
/// tags win for the same key, and the result is sorted by key. A property an intrinsic
/// decides (`Fn::If`, a parameter) is left alone.
fn apply_tags(
    props: &mut Map<String, Json>,
    property: &str,
    format: TagFormat,
    inherited: &[(String, String)],
) {
    let Some(existing) = props.get_mut(property) else {
        props.insert(property.to_string(), tags_json(inherited, format));
        return;
    };
    let mut own: Vec<(String, Json)> = Vec::new();
    let mut extra: Vec<Json> = Vec::new();
    match existing {
        Json::Array(items) => {
            for item in std::mem::take(items) {
                match item.get("Key").and_then(Json::as_str) {
                    Some(k) => own.push((k.to_string(), item)),
                    None => extra.push(item),
                }
            }
        }
        Json::Object(map) if !is_intrinsic_map(map) => {
            own.extend(std::mem::take(map));
        }
        _ => return,
    }
    let mut merged: IndexMap<String, Json> = IndexMap::new();
    for (k, v) in inherited {
        merged.insert(k.clone(), tag_json(k, v, format));
    }
    for (k, v) in own {
        merged.insert(k, v);
    }
    merged.sort_keys();
    *existing = match format {
        TagFormat::Map => Json::Object(merged.into_iter().collect()),
        _ => {
            let mut list: Vec<Json> = merged.into_values().collect();
            list.extend(extra);
            Json::Array(list)
        }
    };
}

/// A parameter's `MinValue` or `MaxValue`: a whole number as an integer (`0`, not `0.0`),
/// because cfn-lint reads the bounds' type into the parameter's and then finds a `Ref` of a
/// whole-number parameter "not of type integer" (W1030) where an integer is wanted.
fn bound(v: f64) -> Json {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

/// Metadata from enclosing constructs (such as a recorded opt-out) and the resource's own;
/// nearer wins for the same key.
fn inherited_metadata(
    tree: &Tree,
    el: ElementId,
    own: &IndexMap<String, Expr>,
) -> IndexMap<String, Expr> {
    let mut chain = Vec::new();
    let mut cur = tree.node(el).parent;
    while let Some(c) = cur {
        let n = tree.node(c);
        if matches!(n.kind, NodeKind::Stack(_)) {
            break;
        }
        chain.push(&n.metadata);
        cur = n.parent;
    }
    let mut out = IndexMap::new();
    for m in chain.into_iter().rev() {
        for (k, v) in m {
            out.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in own {
        out.insert(k.clone(), v.clone());
    }
    out
}

/// Each stack's dependencies (explicit and found through references), in app stack order;
/// a cycle is reported and the edge that closes it dropped so an order still exists.
fn stack_dependencies(
    tree: &Tree,
    stacks: &[ElementId],
    found: &HashMap<ElementId, IndexSet<ElementId>>,
    diags: &mut Vec<Diagnostic>,
) -> HashMap<ElementId, Vec<ElementId>> {
    let position: HashMap<ElementId, usize> =
        stacks.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut deps: HashMap<ElementId, Vec<ElementId>> = HashMap::new();
    for &s in stacks {
        let NodeKind::Stack(node) = &tree.node(s).kind else {
            unreachable!()
        };
        let mut d: IndexSet<ElementId> = node.dependencies.iter().copied().collect();
        if let Some(f) = found.get(&s) {
            d.extend(f.iter().copied());
        }
        d.shift_remove(&s);
        let mut d: Vec<ElementId> = d.into_iter().filter(|x| position.contains_key(x)).collect();
        d.sort_by_key(|x| position[x]);
        deps.insert(s, d);
    }
    // Depth-first search for cycles; report each once with its path.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks: HashMap<ElementId, Mark> = stacks.iter().map(|s| (*s, Mark::New)).collect();
    let mut cut: Vec<(ElementId, ElementId)> = Vec::new();
    fn visit(
        s: ElementId,
        deps: &HashMap<ElementId, Vec<ElementId>>,
        marks: &mut HashMap<ElementId, Mark>,
        cut: &mut Vec<(ElementId, ElementId)>,
    ) {
        marks.insert(s, Mark::Active);
        for &d in &deps[&s] {
            match marks[&d] {
                Mark::New => visit(d, deps, marks, cut),
                Mark::Active => cut.push((s, d)),
                Mark::Done => {}
            }
        }
        marks.insert(s, Mark::Done);
    }
    for &s in stacks {
        if marks[&s] == Mark::New {
            visit(s, &deps, &mut marks, &mut cut);
        }
    }
    for (from, to) in cut {
        diags.push(
            Diagnostic::error(
                "stack-cycle",
                tree.node(from).name.clone(),
                format!(
                    "stack '{}' depends on '{}', which already depends on '{}' (directly or through other stacks), so neither can be deployed first",
                    tree.node(from).name,
                    tree.node(to).name,
                    tree.node(from).name
                ),
            )
            .with_hint("move the shared resources into one stack, or pass the value without a reference"),
        );
        if let Some(list) = deps.get_mut(&from) {
            list.retain(|x| *x != to);
        }
    }
    deps
}

/// Stacks in an order where each comes after its dependencies, otherwise creation order.
fn dependency_order(
    stacks: &[ElementId],
    deps: &HashMap<ElementId, Vec<ElementId>>,
) -> Vec<ElementId> {
    let mut done: IndexSet<ElementId> = IndexSet::new();
    fn place(
        s: ElementId,
        deps: &HashMap<ElementId, Vec<ElementId>>,
        done: &mut IndexSet<ElementId>,
    ) {
        if done.contains(&s) {
            return;
        }
        for &d in &deps[&s] {
            place(d, deps, done);
        }
        done.insert(s);
    }
    for &s in stacks {
        place(s, deps, &mut done);
    }
    done.into_iter().collect()
}
