//! Turning expressions into template JSON: references become `Ref`/`Fn::GetAtt`, strings
//! with tokens become `Fn::Sub`, and a reference into another stack becomes an export in
//! that stack and `Fn::ImportValue` here.

use std::borrow::Cow;
use std::collections::HashMap;

use indexmap::{IndexMap, IndexSet};
use serde_json::{Map, Value as Json, json};

use crate::diagnostic::Diagnostic;
use crate::expr::Expr;
use crate::facts::AttrType;
use crate::tree::{ElementId, NodeKind, Tree};

/// An export a producing stack must write because another stack imports it.
pub(crate) struct Export {
    /// The export name, `{ProducerStack}:{OutputId}`.
    pub(crate) name: String,
    /// The output's value in the producer.
    pub(crate) value: Json,
}

/// The logical id of every template element of one app, by node.
pub(crate) struct LogicalIds {
    app: u32,
    ids: Vec<Option<String>>,
}

impl LogicalIds {
    pub(crate) fn new(tree: &Tree) -> Self {
        LogicalIds {
            app: tree.serial,
            ids: vec![None; tree.nodes.len()],
        }
    }

    pub(crate) fn insert(&mut self, el: ElementId, id: String) {
        self.ids[el.index as usize] = Some(id);
    }

    /// The id of `el`, when it is an element of this app.
    pub(crate) fn get(&self, el: ElementId) -> Option<&String> {
        if el.app != self.app {
            return None;
        }
        self.ids.get(el.index as usize)?.as_ref()
    }
}

impl std::ops::Index<ElementId> for LogicalIds {
    type Output = String;
    fn index(&self, el: ElementId) -> &String {
        self.get(el).expect("every element has a logical id")
    }
}

/// State shared by the resolution of every stack of one app.
pub(crate) struct Resolution<'t> {
    pub(crate) tree: &'t Tree,
    pub(crate) logical_ids: LogicalIds,
    /// Exports to add, per producing stack, keyed by output logical id.
    pub(crate) exports: HashMap<ElementId, IndexMap<String, Export>>,
    /// Stack dependencies found while resolving: consumer -> producers.
    pub(crate) stack_deps: HashMap<ElementId, IndexSet<ElementId>>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// Resolves values for one stack, at one construct path (for messages).
pub(crate) struct StackResolver<'r, 't> {
    pub(crate) res: &'r mut Resolution<'t>,
    pub(crate) stack: ElementId,
    pub(crate) path: &'r str,
}

impl StackResolver<'_, '_> {
    /// The JSON of an expression of the tree, copying only its strings.
    pub(crate) fn resolve(&mut self, e: &Expr) -> Json {
        match e {
            Expr::Bool(b) => Json::Bool(*b),
            Expr::Int(i) => Json::Number((*i).into()),
            Expr::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            Expr::Str(s) => Json::String(s.clone()),
            Expr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.resolve(i));
                }
                Json::Array(out)
            }
            Expr::Object(map) => {
                let mut o = Map::with_capacity(map.len());
                for (k, v) in map {
                    let v = self.resolve(v);
                    o.insert(k.clone(), v);
                }
                Json::Object(o)
            }
            Expr::Concat(parts) => self.sub(parts),
            Expr::If(c, a, b) => {
                let c = self.local(*c, "condition", "Fn::If");
                let a = self.resolve(a);
                let b = self.resolve(b);
                json!({ "Fn::If": [c, a, b] })
            }
            Expr::FindInMap(m, a, b) => {
                let m = self.local(*m, "mapping", "Fn::FindInMap");
                let a = self.resolve(a);
                let b = self.resolve(b);
                json!({ "Fn::FindInMap": [m, a, b] })
            }
            Expr::Call(crate::expr::TOKEN_KEY, reason) => {
                let reason = reason.as_literal_str().unwrap_or_default().into_owned();
                self.res.diagnostics.push(
                    Diagnostic::error(
                        "invalid-token",
                        self.path,
                        format!("a value holds a stackwright token that cannot be used here: {reason}"),
                    )
                    .with_hint("put the token into JSON with Value::to_json in the same program that synthesizes it"),
                );
                Json::Null
            }
            Expr::Call(name, arg) => {
                let mut o = Map::with_capacity(1);
                o.insert(name.to_string(), self.resolve(arg));
                Json::Object(o)
            }
            Expr::Pseudo(p) => json!({ "Ref": p.name() }),
            Expr::RefLogicalId(id) => json!({ "Ref": id }),
            Expr::Ref(id) => self.reference(*id, None),
            Expr::GetAtt(id, attr) => self.reference(*id, Some(attr)),
            Expr::ConditionRef(c) => {
                json!({ "Condition": self.local(*c, "condition", "Condition") })
            }
        }
    }

    /// [`StackResolver::resolve`] of an expression built for this template (a resource's
    /// properties after overrides), moving its strings and keys into the JSON instead of
    /// copying them. The order is the same, which decides the order of exports and
    /// diagnostics.
    pub(crate) fn resolve_owned(&mut self, e: Expr) -> Json {
        match e {
            Expr::Str(s) => Json::String(s),
            Expr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.resolve_owned(i));
                }
                Json::Array(out)
            }
            Expr::Object(map) => {
                let mut o = Map::with_capacity(map.len());
                for (k, v) in map {
                    let v = self.resolve_owned(v);
                    o.insert(k, v);
                }
                Json::Object(o)
            }
            other => self.resolve(&other),
        }
    }

    /// The logical id of an element that must live in this stack (conditions and mappings
    /// cannot be exported).
    fn local(&mut self, id: ElementId, kind: &str, function: &str) -> Json {
        if !self.res.tree.owns(id) {
            self.foreign(id);
            return Json::String(String::new());
        }
        let node = self.res.tree.node(id);
        if node.stack != self.stack {
            let msg = format!(
                "{function} uses the {kind} '{}' of stack '{}', but a {kind} can only be used in its own stack",
                self.res.tree.path_of(id),
                self.res.tree.node(node.stack).name,
            );
            self.res.diagnostics.push(
                Diagnostic::error("cross-stack-condition", self.path, msg)
                    .with_hint(format!("create the {kind} in this stack as well")),
            );
        }
        Json::String(self.res.logical_ids.get(id).cloned().unwrap_or_default())
    }

    fn foreign(&mut self, id: ElementId) {
        self.res.diagnostics.push(
            Diagnostic::error(
                "unknown-reference",
                self.path,
                format!(
                    "a value refers to element #{} of another App, which this app does not contain",
                    id.index
                ),
            )
            .with_hint("build every stack that refers to each other under one App"),
        );
    }

    /// `Ref` (attr `None`) or `Fn::GetAtt` to an element, exporting it when it lives in
    /// another stack.
    fn reference(&mut self, id: ElementId, attr: Option<&str>) -> Json {
        if !self.res.tree.owns(id) {
            self.foreign(id);
            return Json::Null;
        }
        let node = self.res.tree.node(id);
        let target_kind = match &node.kind {
            NodeKind::Resource(_) => "resource",
            NodeKind::Parameter(_) if attr.is_none() => "parameter",
            other => {
                let msg = format!(
                    "a value refers to '{}', a {}, which cannot be the target of {}",
                    self.res.tree.path_of(id),
                    other.describe(),
                    if attr.is_some() { "Fn::GetAtt" } else { "Ref" }
                );
                self.res
                    .diagnostics
                    .push(Diagnostic::error("bad-reference", self.path, msg));
                return Json::Null;
            }
        };
        let lid = self.res.logical_ids.get(id).cloned().unwrap_or_default();
        let local = match attr {
            None => json!({ "Ref": lid }),
            Some(a) => json!({ "Fn::GetAtt": [lid, a] }),
        };
        if node.stack == self.stack {
            return local;
        }
        self.import(id, target_kind, &lid, attr, local)
    }

    fn import(
        &mut self,
        id: ElementId,
        target_kind: &str,
        lid: &str,
        attr: Option<&str>,
        local: Json,
    ) -> Json {
        let tree = self.res.tree;
        let node = tree.node(id);
        let producer = node.stack;
        let (producer_env, consumer_env) = (stack_env(tree, producer), stack_env(tree, self.stack));
        if producer_env != consumer_env {
            let msg = format!(
                "a value refers to the {target_kind} '{}' in stack '{}' ({}/{}), but this stack deploys to {}/{}; CloudFormation exports only reach stacks of the same account and region",
                tree.path_of(id),
                tree.node(producer).name,
                producer_env.account,
                producer_env.region,
                consumer_env.account,
                consumer_env.region,
            );
            self.res.diagnostics.push(
                Diagnostic::error("cross-environment-reference", self.path, msg).with_hint(
                    "pass the value in another way (an SSM parameter read by name, or a literal)",
                ),
            );
            return Json::Null;
        }
        let is_list = match (&node.kind, attr) {
            (NodeKind::Resource(r), Some(a)) => r
                .props
                .facts()
                .and_then(|f| f.attribute(a))
                .is_some_and(|f| f.ty == AttrType::List),
            (NodeKind::Parameter(p), None) => {
                p.type_.starts_with("List<") || p.type_ == "CommaDelimitedList"
            }
            _ => false,
        };
        let suffix: String = attr
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let output_id = match attr {
            None => format!("ExportRef{lid}"),
            Some(_) => format!("ExportAtt{lid}{suffix}"),
        };
        let name = format!("{}:{}", tree.node(producer).name, output_id);
        // Outputs are strings; a list crosses as a comma-joined string and is split again.
        let value = if is_list {
            json!({ "Fn::Join": [",", local] })
        } else {
            local
        };
        self.res
            .exports
            .entry(producer)
            .or_default()
            .entry(output_id)
            .or_insert(Export {
                name: name.clone(),
                value,
            });
        self.res
            .stack_deps
            .entry(self.stack)
            .or_default()
            .insert(producer);
        let import = json!({ "Fn::ImportValue": name });
        if is_list {
            json!({ "Fn::Split": [",", import] })
        } else {
            import
        }
    }

    /// A string from parts: a plain string when all are literal, the single token when it
    /// stands alone, else `Fn::Sub`.
    fn sub(&mut self, parts: &[Expr]) -> Json {
        let mut merged: Vec<Part<'_>> = Vec::with_capacity(parts.len());
        merge_literals(parts, &mut merged);
        if merged.len() <= 1 {
            return match merged.pop() {
                None => Json::String(String::new()),
                Some(Part::Text(s)) => Json::String(s.into_owned()),
                Some(Part::Other(single)) => self.resolve(single),
            };
        }
        let mut template = String::new();
        let mut vars = Map::new();
        for p in merged {
            let other = match p {
                Part::Text(s) => {
                    if s.contains("${") {
                        template.push_str(&s.replace("${", "${!"));
                    } else {
                        template.push_str(&s);
                    }
                    continue;
                }
                Part::Other(other) => other,
            };
            template.push_str("${");
            match other {
                Expr::Pseudo(ps) => template.push_str(ps.name()),
                Expr::RefLogicalId(id) => template.push_str(id),
                other => {
                    let resolved = self.resolve(other);
                    match sub_reference(&resolved) {
                        Some(r) => template.push_str(&r),
                        None => {
                            let name = format!("Var{}", vars.len() + 1);
                            template.push_str(&name);
                            vars.insert(name, resolved);
                        }
                    }
                }
            }
            template.push('}');
        }
        if vars.is_empty() {
            json!({ "Fn::Sub": template })
        } else {
            json!({ "Fn::Sub": [template, Json::Object(vars)] })
        }
    }
}

impl crate::resource::Resolve for StackResolver<'_, '_> {
    fn borrowed(&mut self, e: &Expr) -> Json {
        self.resolve(e)
    }
    fn owned(&mut self, e: Expr) -> Json {
        self.resolve_owned(e)
    }
}

/// A part of a concatenation once adjacent literals are merged.
enum Part<'e> {
    Text(Cow<'e, str>),
    Other(&'e Expr),
}

/// Flattens nested concatenations into `out`, merging adjacent literal parts (strings,
/// numbers, booleans) into one string.
fn merge_literals<'e>(parts: &'e [Expr], out: &mut Vec<Part<'e>>) {
    for p in parts {
        let text: Cow<'e, str> = match p {
            Expr::Concat(inner) => {
                merge_literals(inner, out);
                continue;
            }
            Expr::Str(s) => Cow::Borrowed(s),
            Expr::Int(i) => Cow::Owned(i.to_string()),
            Expr::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            other => {
                out.push(Part::Other(other));
                continue;
            }
        };
        match out.last_mut() {
            Some(Part::Text(prev)) => prev.to_mut().push_str(&text),
            _ => out.push(Part::Text(text)),
        }
    }
}

/// `Fn::Sub` can name a `Ref` or `Fn::GetAtt` directly as `${Id}` / `${Id.Attr}`.
fn sub_reference(v: &Json) -> Option<String> {
    let o = v.as_object().filter(|o| o.len() == 1)?;
    if let Some(Json::String(r)) = o.get("Ref") {
        return Some(r.clone());
    }
    let args = o.get("Fn::GetAtt")?.as_array()?;
    match args.as_slice() {
        [Json::String(id), Json::String(attr)] => Some(format!("{id}.{attr}")),
        _ => None,
    }
}

pub(crate) fn stack_env(tree: &Tree, stack: ElementId) -> &crate::Env {
    match &tree.node(stack).kind {
        NodeKind::Stack(s) => &s.env,
        _ => unreachable!("stack ids point at stack nodes"),
    }
}

/// Applies a `.`-separated property override (its value resolved; `None` deletes) to an
/// object of properties, making the objects on the way where needed.
pub(crate) fn apply_override(props: &mut Map<String, Json>, path: &str, value: Option<Json>) {
    let mut keys: Vec<&str> = path.split('.').collect();
    let Some(last) = keys.pop() else { return };
    let mut cur = props;
    for k in keys {
        let entry = cur
            .entry(k.to_string())
            .or_insert_with(|| Json::Object(Map::new()));
        if !entry.is_object() {
            *entry = Json::Object(Map::new());
        }
        let Json::Object(next) = entry else {
            unreachable!("just made an object")
        };
        cur = next;
    }
    match value {
        Some(v) => {
            cur.insert(last.to_string(), v);
        }
        None => {
            cur.shift_remove(last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_creates_nested_objects_and_deletes() {
        let mut props = Map::new();
        props.insert("A".into(), json!("replaced by an object"));
        apply_override(&mut props, "A.B.C", Some(json!(1)));
        apply_override(&mut props, "A.D", Some(json!(true)));
        apply_override(&mut props, "A.B.C", None);
        assert_eq!(Json::Object(props), json!({"A": {"B": {}, "D": true}}));
    }

    #[test]
    fn sub_names_plain_references() {
        assert_eq!(
            sub_reference(&json!({"Ref": "Vpc"})).as_deref(),
            Some("Vpc")
        );
        assert_eq!(
            sub_reference(&json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]})).as_deref(),
            Some("Db.Endpoint.Address")
        );
        assert_eq!(sub_reference(&json!({"Fn::ImportValue": "x"})), None);
    }
}
