//! Existing templates brought into a stack, logical ids and all.
//!
//! [`IncludedTemplate`] is AWS CDK's `cloudformation-include`: a team that already runs a
//! stack from a hand-written template adopts it by including that template in the stack of
//! the same name. Every parameter, condition, mapping, resource and output keeps its
//! logical id, so the first deploy changes nothing it does not have to; typed code then
//! refers to the included elements through handles ([`IncludedTemplate::resource`]).
//!
//! References inside the included template (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::If`)
//! stay by logical id and are checked by synth like every other; `DependsOn` and
//! `Condition` must name an element of the same template, as CloudFormation requires of
//! the template on its own.

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use crate::error::CoreError;
use crate::expr::Expr;
use crate::output::OutputNode;
use crate::parameter::ParameterProps;
use crate::raw::{RawProps, RawResource, check_type_name, short_json};
use crate::resource::RemovalPolicy;
use crate::suggest::closest;
use crate::tree::{AppRef, ElementId, NodeKind, ResourceNode, Scope};
use crate::value::Value;
use crate::{Condition, Mapping, Output, Parameter};

/// The elements of an existing CloudFormation template, added to a stack with their
/// logical ids.
///
/// ```
/// use stackwright_core::{App, Env, IncludedTemplate, Resource, Stack};
/// use stackwright_l1::ssm;
///
/// let app = App::new();
/// let stack = Stack::new(&app, "Legacy", Env::new("123456789012", "us-east-1")).unwrap();
/// let legacy = IncludedTemplate::yaml(&stack, "Template", r#"
/// Parameters:
///   Env: { Type: String, Default: prod }
/// Resources:
///   Alerts:
///     Type: AWS::SNS::Topic
///     Properties:
///       TopicName: !Sub "${Env}-alerts"
/// Outputs:
///   Alerts: { Value: !Ref Alerts }
/// "#).unwrap();
///
/// // Typed code refers to the included topic through a handle.
/// let topic = legacy.resource("Alerts").unwrap();
/// Resource::new(&stack, "TopicArn", ssm::Parameter::new(ssm::parameter::Type::String, topic.ref_())).unwrap();
///
/// let template = &app.build().stacks[0].template;
/// assert_eq!(template["Resources"]["Alerts"]["Properties"]["TopicName"],
///            serde_json::json!({"Fn::Sub": "${Env}-alerts"}));
/// assert_eq!(template["Resources"]["TopicArn"]["Properties"]["Value"],
///            serde_json::json!({"Ref": "Alerts"}));
/// assert!(legacy.resource("Alert").unwrap_err().to_string().contains("did you mean 'Alerts'?"));
/// ```
#[derive(Clone)]
pub struct IncludedTemplate {
    app: AppRef,
    id: ElementId,
    parameters: IndexMap<String, ElementId>,
    conditions: IndexMap<String, ElementId>,
    mappings: IndexMap<String, ElementId>,
    resources: IndexMap<String, ElementId>,
    outputs: IndexMap<String, ElementId>,
}

/// The sections an included template may have, and what is done with the others.
const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Mappings",
    "Conditions",
    "Resources",
    "Outputs",
];

/// The attributes a resource entry may have besides `Type` and `Properties`.
const RESOURCE_KEYS: &[&str] = &[
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "Metadata",
    "CreationPolicy",
    "UpdatePolicy",
    "DeletionPolicy",
    "UpdateReplacePolicy",
];

impl IncludedTemplate {
    /// Includes a template written in JSON under a construct called `id` in `scope`.
    ///
    /// Fails when the text is not JSON (naming the line and column), when it is not a
    /// template CloudFormation would take, or when one of its logical ids is already used
    /// in the stack; nothing is added then.
    pub fn json(scope: &impl Scope, id: &str, text: &str) -> Result<Self, CoreError> {
        let template: Json = serde_json::from_str(text).map_err(|e| CoreError::TemplateSyntax {
            path: child_path(scope, id),
            format: "JSON",
            line: e.line(),
            column: e.column(),
            message: json_error_text(&e),
        })?;
        IncludedTemplate::from_value(scope, id, template)
    }

    /// Includes a template written in YAML, with CloudFormation's short forms (`!Ref`,
    /// `!Sub`, `!GetAtt A.B`, ...), under a construct called `id` in `scope`.
    ///
    /// Fails as [`IncludedTemplate::json`] does; a YAML error names its line and column.
    pub fn yaml(scope: &impl Scope, id: &str, text: &str) -> Result<Self, CoreError> {
        let template = crate::yaml::parse(text).map_err(|e| CoreError::TemplateSyntax {
            path: child_path(scope, id),
            format: "YAML",
            line: e.line,
            column: e.column,
            message: e.message,
        })?;
        IncludedTemplate::from_value(scope, id, template)
    }

    /// Includes a template already parsed into JSON.
    pub fn from_value(scope: &impl Scope, id: &str, template: Json) -> Result<Self, CoreError> {
        let path = child_path(scope, id);
        let parsed = Parsed::read(&path, template)?;
        parsed.check_ids_are_free(scope, &path)?;
        parsed.add(scope, id)
    }

    /// A handle to the included resource `logical_id`, for references from typed code and
    /// for the escape hatches of [`RawResource`].
    pub fn resource(&self, logical_id: &str) -> Result<RawResource, CoreError> {
        let id = self.find("resource", &self.resources, logical_id)?;
        Ok(RawResource::from_parts(self.app.clone(), id))
    }

    /// A handle to the included parameter `logical_id`.
    pub fn parameter(&self, logical_id: &str) -> Result<Parameter, CoreError> {
        let id = self.find("parameter", &self.parameters, logical_id)?;
        Ok(Parameter::from_parts(self.app.clone(), id))
    }

    /// A handle to the included condition `logical_id`, for `Value::if_` and
    /// `set_condition` in typed code.
    pub fn condition(&self, logical_id: &str) -> Result<Condition, CoreError> {
        let id = self.find("condition", &self.conditions, logical_id)?;
        Ok(Condition::from_parts(self.app.clone(), id))
    }

    /// A handle to the included mapping `logical_id`.
    pub fn mapping(&self, logical_id: &str) -> Result<Mapping, CoreError> {
        let id = self.find("mapping", &self.mappings, logical_id)?;
        Ok(Mapping::from_parts(self.app.clone(), id))
    }

    /// A handle to the included output `logical_id`.
    pub fn output(&self, logical_id: &str) -> Result<Output, CoreError> {
        let id = self.find("output", &self.outputs, logical_id)?;
        Ok(Output::from_parts(self.app.clone(), id))
    }

    /// The logical ids of the included resources, in template order.
    pub fn resource_ids(&self) -> impl Iterator<Item = &str> {
        self.resources.keys().map(String::as_str)
    }

    fn find(
        &self,
        kind: &'static str,
        section: &IndexMap<String, ElementId>,
        logical_id: &str,
    ) -> Result<ElementId, CoreError> {
        if let Some(id) = section.get(logical_id) {
            return Ok(*id);
        }
        let names: Vec<&str> = section.keys().map(String::as_str).collect();
        let known = match closest(logical_id, &names) {
            Some(c) => format!("did you mean '{c}'?"),
            None if names.is_empty() => format!("it has no {kind}s"),
            None => format!("it has: {}", names.join(", ")),
        };
        Err(CoreError::NotInTemplate {
            path: self.app.path_of(self.id),
            kind,
            logical_id: logical_id.to_string(),
            known,
        })
    }
}

impl Scope for IncludedTemplate {
    fn scope_ref(&self) -> (AppRef, ElementId) {
        (self.app.clone(), self.id)
    }
}

impl std::fmt::Debug for IncludedTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IncludedTemplate({})", self.app.path_of(self.id))
    }
}

fn child_path(scope: &impl Scope, id: &str) -> String {
    format!("{}/{id}", scope.path())
}

/// serde_json's message without the " at line L column C" it appends.
fn json_error_text(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// An included resource before it is added: its props and its attributes by name.
struct PendingResource {
    props: RawProps,
    depends_on: Vec<String>,
    condition: Option<String>,
    metadata: IndexMap<String, Expr>,
    creation_policy: Option<Expr>,
    update_policy: Option<Expr>,
    deletion_policy: Option<RemovalPolicy>,
    update_replace_policy: Option<RemovalPolicy>,
}

/// An included output before it is added.
struct PendingOutput {
    value: Expr,
    description: Option<String>,
    export_name: Option<Expr>,
    condition: Option<String>,
}

/// A mapping's two levels of keys, as the tree stores it.
type Table = IndexMap<String, IndexMap<String, Expr>>;

/// A template read and checked, not yet added to the tree.
struct Parsed {
    parameters: Vec<(String, ParameterProps)>,
    mappings: Vec<(String, Table)>,
    conditions: Vec<(String, Expr)>,
    resources: Vec<(String, PendingResource)>,
    outputs: Vec<(String, PendingOutput)>,
}

/// Builds an [`CoreError::InvalidTemplate`] for the template at `path`.
struct Problems<'a> {
    path: &'a str,
}

impl Problems<'_> {
    fn at(&self, at: impl Into<String>, problem: impl Into<String>, fix: &str) -> CoreError {
        CoreError::InvalidTemplate {
            path: self.path.to_string(),
            at: at.into(),
            problem: problem.into(),
            fix: fix.to_string(),
        }
    }
}

impl Parsed {
    fn read(path: &str, template: Json) -> Result<Parsed, CoreError> {
        let p = Problems { path };
        let Json::Object(mut top) = template else {
            return Err(p.at(
                "the top level",
                format!("is {}, not an object of sections", short_json(&template)),
                "give the template's sections (Resources, Parameters, ...) as a mapping",
            ));
        };
        for key in top.keys() {
            match key.as_str() {
                "Transform" => {
                    return Err(p.at(
                        "Transform",
                        "asks for a macro (such as AWS::Serverless) that only CloudFormation can expand",
                        "include the processed template instead (the console's 'View processed template', or get-template --template-stage Processed)",
                    ));
                }
                "Rules" | "Hooks" => {
                    return Err(p.at(
                        key.clone(),
                        "is a section IncludedTemplate does not carry over",
                        "express the rules as checks of the program (Scope::add_check), or drop the section",
                    ));
                }
                k if SECTIONS.contains(&k) => {}
                k => {
                    return Err(p.at(
                        k,
                        "is not a section of a CloudFormation template",
                        "remove it, or correct its name (Parameters, Mappings, Conditions, Resources, Outputs)",
                    ));
                }
            }
        }
        if let Some(v) = top.get("AWSTemplateFormatVersion")
            && v.as_str() != Some("2010-09-09")
        {
            return Err(p.at(
                "AWSTemplateFormatVersion",
                format!("is {}", short_json(v)),
                "CloudFormation knows only \"2010-09-09\"; use it or leave the key out",
            ));
        }
        let mut section = |name: &str| -> Result<Map<String, Json>, CoreError> {
            match top.remove(name) {
                None | Some(Json::Null) => Ok(Map::new()),
                Some(Json::Object(o)) => Ok(o),
                Some(other) => Err(p.at(
                    name,
                    format!("is {}, not a mapping of logical ids", short_json(&other)),
                    "write the section as a mapping from logical id to its entry",
                )),
            }
        };
        let parameters = section("Parameters")?;
        let mappings = section("Mappings")?;
        let conditions = section("Conditions")?;
        let resources = section("Resources")?;
        let outputs = section("Outputs")?;

        let mut parsed = Parsed {
            parameters: Vec::new(),
            mappings: Vec::new(),
            conditions: Vec::new(),
            resources: Vec::new(),
            outputs: Vec::new(),
        };
        for (lid, v) in parameters {
            check_logical_id(&p, "Parameters", &lid)?;
            let props = parameter(&p, &lid, v)?;
            parsed.parameters.push((lid, props));
        }
        for (lid, v) in mappings {
            check_logical_id(&p, "Mappings", &lid)?;
            let table = mapping(&p, &lid, v)?;
            parsed.mappings.push((lid, table));
        }
        for (lid, v) in conditions {
            check_logical_id(&p, "Conditions", &lid)?;
            parsed.conditions.push((lid, Expr::from_json(v)));
        }
        for (lid, v) in resources {
            check_logical_id(&p, "Resources", &lid)?;
            if parsed.parameters.iter().any(|(id, _)| *id == lid) {
                return Err(p.at(
                    format!("Resources.{lid}"),
                    "has the logical id of a parameter",
                    "CloudFormation keeps parameters and resources in one namespace; rename one",
                ));
            }
            let r = resource(&p, &lid, v)?;
            parsed.resources.push((lid, r));
        }
        for (lid, v) in outputs {
            check_logical_id(&p, "Outputs", &lid)?;
            let o = output(&p, &lid, v)?;
            parsed.outputs.push((lid, o));
        }
        parsed.check_names(&p)?;
        Ok(parsed)
    }

    /// `DependsOn` and `Condition` name elements of the template itself.
    fn check_names(&self, p: &Problems<'_>) -> Result<(), CoreError> {
        let has_condition = |c: &str| self.conditions.iter().any(|(id, _)| id == c);
        let has_resource = |r: &str| self.resources.iter().any(|(id, _)| id == r);
        for (lid, r) in &self.resources {
            for d in &r.depends_on {
                if !has_resource(d) {
                    return Err(p.at(
                        format!("Resources.{lid}.DependsOn"),
                        format!("names '{d}', which is not a resource of the template"),
                        "depend on a resource of the same template, or remove the entry",
                    ));
                }
            }
            if let Some(c) = &r.condition
                && !has_condition(c)
            {
                return Err(p.at(
                    format!("Resources.{lid}.Condition"),
                    format!("names '{c}', which is not a condition of the template"),
                    "name a condition of its Conditions section",
                ));
            }
        }
        for (lid, o) in &self.outputs {
            if let Some(c) = &o.condition
                && !has_condition(c)
            {
                return Err(p.at(
                    format!("Outputs.{lid}.Condition"),
                    format!("names '{c}', which is not a condition of the template"),
                    "name a condition of its Conditions section",
                ));
            }
        }
        Ok(())
    }

    /// No logical id of the template is already an element of the stack (in the same
    /// namespace: parameters and resources share one).
    fn check_ids_are_free(&self, scope: &impl Scope, path: &str) -> Result<(), CoreError> {
        let (app, at) = scope.scope_ref();
        let tree = app.0.borrow();
        if !tree.owns(at) {
            return Ok(()); // add_child reports the foreign scope
        }
        let stack = tree.node(at).stack;
        let mut taken: [IndexMap<String, ElementId>; 4] = Default::default();
        for el in tree.descendants(stack) {
            let node = tree.node(el);
            if !node.kind.is_element() {
                continue;
            }
            let id = match &node.logical_id {
                Some(o) => o.clone(),
                None => crate::logical_id::derive(&tree.components_below_stack(el)),
            };
            taken[node.kind.id_namespace()].insert(id, el);
        }
        let ours = self
            .parameters
            .iter()
            .map(|(id, _)| (0, "", id))
            .chain(self.resources.iter().map(|(id, _)| (0, "", id)))
            .chain(
                self.conditions
                    .iter()
                    .map(|(id, _)| (1, "/$Conditions", id)),
            )
            .chain(self.mappings.iter().map(|(id, _)| (2, "/$Mappings", id)))
            .chain(self.outputs.iter().map(|(id, _)| (3, "/$Outputs", id)));
        for (namespace, section, id) in ours {
            if let Some(other) = taken[namespace].get(id) {
                return Err(CoreError::LogicalIdTaken {
                    path: format!("{path}{section}/{id}"),
                    logical_id: id.clone(),
                    other: tree.path_of(*other),
                });
            }
        }
        Ok(())
    }

    /// Adds every element under a new construct `id`, keeping its logical id.
    fn add(self, scope: &impl Scope, id: &str) -> Result<IncludedTemplate, CoreError> {
        let (app, parent) = scope.scope_ref();
        let root = app.add_child(parent, id, NodeKind::Construct)?;
        let mut out = IncludedTemplate {
            app: app.clone(),
            id: root,
            parameters: IndexMap::new(),
            conditions: IndexMap::new(),
            mappings: IndexMap::new(),
            resources: IndexMap::new(),
            outputs: IndexMap::new(),
        };
        // Logical ids were checked, so these adds cannot fail but on a foreign scope.
        let add = |under: ElementId, lid: &str, kind: NodeKind| -> Result<ElementId, CoreError> {
            let el = app.add_child(under, lid, kind)?;
            app.override_logical_id(el, lid);
            Ok(el)
        };
        let group = |name: &str, used: bool| -> Result<ElementId, CoreError> {
            if used {
                app.add_child(root, name, NodeKind::Construct)
            } else {
                Ok(root)
            }
        };
        for (lid, props) in self.parameters {
            let el = add(root, &lid, NodeKind::Parameter(Box::new(props)))?;
            out.parameters.insert(lid, el);
        }
        let under = group("$Mappings", !self.mappings.is_empty())?;
        for (lid, table) in self.mappings {
            let el = add(under, &lid, NodeKind::Mapping(table))?;
            out.mappings.insert(lid, el);
        }
        let under = group("$Conditions", !self.conditions.is_empty())?;
        for (lid, c) in self.conditions {
            let el = add(under, &lid, NodeKind::Condition(c))?;
            out.conditions.insert(lid, el);
        }
        let mut attributes = Vec::new();
        for (lid, r) in self.resources {
            let mut node = ResourceNode::new(Box::new(r.props));
            node.metadata = r.metadata;
            node.creation_policy = r.creation_policy;
            node.update_policy = r.update_policy;
            node.deletion_policy = r.deletion_policy;
            node.update_replace_policy = r.update_replace_policy;
            let el = add(root, &lid, NodeKind::Resource(Box::new(node)))?;
            out.resources.insert(lid, el);
            attributes.push((el, r.depends_on, r.condition));
        }
        // Names resolve once every resource is in the tree.
        for (el, depends_on, condition) in attributes {
            let depends_on: Vec<ElementId> = depends_on
                .iter()
                .map(|d| out.resources[d.as_str()])
                .collect();
            let condition = condition.map(|c| out.conditions[c.as_str()]);
            app.with_resource_mut(el, |r| {
                r.depends_on = depends_on;
                r.condition = condition;
            });
        }
        let under = group("$Outputs", !self.outputs.is_empty())?;
        for (lid, o) in self.outputs {
            let node = OutputNode {
                value: Value::from_expr(o.value),
                description: o.description,
                export_name: o.export_name.map(Value::from_expr),
                condition: o.condition.map(|c| out.conditions[c.as_str()]),
            };
            let el = add(under, &lid, NodeKind::Output(Box::new(node)))?;
            out.outputs.insert(lid, el);
        }
        Ok(out)
    }
}

fn check_logical_id(p: &Problems<'_>, section: &str, lid: &str) -> Result<(), CoreError> {
    match crate::logical_id::problem(lid) {
        Some(problem) => Err(p.at(
            format!("{section}.{lid}"),
            format!("cannot be a logical id because {problem}"),
            "logical ids are letters and digits, at most 255",
        )),
        None => Ok(()),
    }
}

/// A scalar of the template as the string CloudFormation reads it.
fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parameter(p: &Problems<'_>, lid: &str, v: Json) -> Result<ParameterProps, CoreError> {
    let at = |key: &str| format!("Parameters.{lid}.{key}");
    let Json::Object(o) = v else {
        return Err(p.at(
            format!("Parameters.{lid}"),
            format!("is {}, not a mapping", short_json(&v)),
            "give the parameter at least its Type",
        ));
    };
    let mut props = ParameterProps::default();
    let mut has_type = false;
    for (key, value) in o {
        let text = || {
            scalar_text(&value).ok_or_else(|| {
                p.at(
                    at(&key),
                    format!("is {}, not a string", short_json(&value)),
                    "write it as a string",
                )
            })
        };
        let number = || {
            text()?.parse::<f64>().map_err(|_| {
                p.at(
                    at(&key),
                    format!("is {}, not a number", short_json(&value)),
                    "write it as a number",
                )
            })
        };
        match key.as_str() {
            "Type" => {
                props.type_ = text()?;
                has_type = true;
            }
            "Description" => props.description = Some(text()?),
            "Default" => props.default = Some(text()?),
            "AllowedPattern" => props.allowed_pattern = Some(text()?),
            "ConstraintDescription" => props.constraint_description = Some(text()?),
            "AllowedValues" => {
                let items = value.as_array().ok_or_else(|| {
                    p.at(
                        at(&key),
                        format!("is {}, not a list", short_json(&value)),
                        "list the allowed values",
                    )
                })?;
                props.allowed_values = items
                    .iter()
                    .map(|i| {
                        scalar_text(i).ok_or_else(|| {
                            p.at(
                                at(&key),
                                format!("holds {}, not a string", short_json(i)),
                                "list strings or numbers",
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?;
            }
            "MinLength" => props.min_length = Some(number()? as u32),
            "MaxLength" => props.max_length = Some(number()? as u32),
            "MinValue" => props.min_value = Some(number()?),
            "MaxValue" => props.max_value = Some(number()?),
            "NoEcho" => {
                props.no_echo = match text()?.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(p.at(
                            at(&key),
                            format!("is {}", short_json(&value)),
                            "write true or false",
                        ));
                    }
                }
            }
            _ => {
                return Err(p.at(
                    at(&key),
                    "is not a parameter setting",
                    "use Type, Default, Description, AllowedValues, AllowedPattern, ConstraintDescription, MinLength, MaxLength, MinValue, MaxValue or NoEcho",
                ));
            }
        }
    }
    if !has_type {
        return Err(p.at(
            format!("Parameters.{lid}"),
            "has no Type",
            "give the parameter a Type, such as String",
        ));
    }
    Ok(props)
}

fn mapping(p: &Problems<'_>, lid: &str, v: Json) -> Result<Table, CoreError> {
    let not_map = |at: String, v: &Json| {
        p.at(
            at,
            format!("is {}, not a mapping", short_json(v)),
            "a mapping has two levels of keys: top-level key, then second-level key to value",
        )
    };
    let Json::Object(o) = v else {
        return Err(not_map(format!("Mappings.{lid}"), &v));
    };
    o.into_iter()
        .map(|(top, second)| match second {
            Json::Object(inner) => Ok((
                top,
                inner
                    .into_iter()
                    .map(|(k, v)| (k, Expr::from_json(v)))
                    .collect(),
            )),
            other => Err(not_map(format!("Mappings.{lid}.{top}"), &other)),
        })
        .collect()
}

fn removal_policy(p: &Problems<'_>, at: String, v: &Json) -> Result<RemovalPolicy, CoreError> {
    match v.as_str() {
        Some("Delete") => Ok(RemovalPolicy::Delete),
        Some("Retain") => Ok(RemovalPolicy::Retain),
        Some("RetainExceptOnCreate") => Ok(RemovalPolicy::RetainExceptOnCreate),
        Some("Snapshot") => Ok(RemovalPolicy::Snapshot),
        _ => Err(p.at(
            at,
            format!("is {}, which is not a policy", short_json(v)),
            "use Delete, Retain, RetainExceptOnCreate or Snapshot",
        )),
    }
}

fn resource(p: &Problems<'_>, lid: &str, v: Json) -> Result<PendingResource, CoreError> {
    let here = format!("Resources.{lid}");
    let at = |key: &str| format!("{here}.{key}");
    let Json::Object(mut o) = v else {
        return Err(p.at(
            here.clone(),
            format!("is {}, not a mapping", short_json(&v)),
            "give the resource its Type and Properties",
        ));
    };
    if let Some(key) = o.keys().find(|k| !RESOURCE_KEYS.contains(&k.as_str())) {
        return Err(p.at(
            at(key),
            "is not an attribute of a resource",
            "use Type, Properties, DependsOn, Condition, Metadata, CreationPolicy, UpdatePolicy, DeletionPolicy or UpdateReplacePolicy",
        ));
    }
    let type_name = match o.remove("Type") {
        Some(Json::String(t)) => t,
        Some(other) => {
            return Err(p.at(
                at("Type"),
                format!("is {}, not a type name", short_json(&other)),
                "write the type as a string, such as AWS::S3::Bucket",
            ));
        }
        None => {
            return Err(p.at(
                here.clone(),
                "has no Type",
                "give the resource its type, such as AWS::S3::Bucket",
            ));
        }
    };
    let facts =
        check_type_name(&type_name).map_err(|e| e.at(format!("{}/{lid}", p.path), &type_name))?;
    let properties = match o.remove("Properties") {
        None | Some(Json::Null) => IndexMap::new(),
        Some(Json::Object(props)) => props
            .into_iter()
            .map(|(k, v)| (k, Expr::from_json(v)))
            .collect(),
        Some(other) => {
            return Err(p.at(
                at("Properties"),
                format!("is {}, not a mapping", short_json(&other)),
                "write the properties as a mapping from name to value",
            ));
        }
    };
    let depends_on = match o.remove("DependsOn") {
        None => Vec::new(),
        Some(Json::String(s)) => vec![s],
        Some(Json::Array(items)) if items.iter().all(Json::is_string) => items
            .into_iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Some(other) => {
            return Err(p.at(
                at("DependsOn"),
                format!("is {}", short_json(&other)),
                "name a logical id, or list them",
            ));
        }
    };
    let condition = match o.remove("Condition") {
        None => None,
        Some(Json::String(s)) => Some(s),
        Some(other) => {
            return Err(p.at(
                at("Condition"),
                format!("is {}", short_json(&other)),
                "name a condition of the template",
            ));
        }
    };
    let metadata = match o.remove("Metadata") {
        None => IndexMap::new(),
        Some(Json::Object(m)) => m
            .into_iter()
            .map(|(k, v)| (k, Expr::from_json(v)))
            .collect(),
        Some(other) => {
            return Err(p.at(
                at("Metadata"),
                format!("is {}, not a mapping", short_json(&other)),
                "write the metadata as a mapping",
            ));
        }
    };
    let deletion_policy = o
        .remove("DeletionPolicy")
        .map(|v| removal_policy(p, at("DeletionPolicy"), &v))
        .transpose()?;
    let update_replace_policy = o
        .remove("UpdateReplacePolicy")
        .map(|v| removal_policy(p, at("UpdateReplacePolicy"), &v))
        .transpose()?;
    Ok(PendingResource {
        props: RawProps::new(type_name, facts, properties),
        depends_on,
        condition,
        metadata,
        creation_policy: o.remove("CreationPolicy").map(Expr::from_json),
        update_policy: o.remove("UpdatePolicy").map(Expr::from_json),
        deletion_policy,
        update_replace_policy,
    })
}

fn output(p: &Problems<'_>, lid: &str, v: Json) -> Result<PendingOutput, CoreError> {
    let here = format!("Outputs.{lid}");
    let at = |key: &str| format!("{here}.{key}");
    let Json::Object(o) = v else {
        return Err(p.at(
            here.clone(),
            format!("is {}, not a mapping", short_json(&v)),
            "give the output its Value",
        ));
    };
    let mut out = PendingOutput {
        value: Expr::Str(String::new()),
        description: None,
        export_name: None,
        condition: None,
    };
    let mut has_value = false;
    for (key, value) in o {
        match key.as_str() {
            "Value" => {
                out.value = Expr::from_json(value);
                has_value = true;
            }
            "Description" => {
                out.description = Some(scalar_text(&value).ok_or_else(|| {
                    p.at(
                        at(&key),
                        format!("is {}, not a string", short_json(&value)),
                        "write the description as a string",
                    )
                })?);
            }
            "Export" => match value {
                Json::Object(mut e) if e.len() == 1 && e.contains_key("Name") => {
                    out.export_name = e.remove("Name").map(Expr::from_json);
                }
                other => {
                    return Err(p.at(
                        at(&key),
                        format!("is {}", short_json(&other)),
                        "write the export as {Name: ...}",
                    ));
                }
            },
            "Condition" => match value {
                Json::String(s) => out.condition = Some(s),
                other => {
                    return Err(p.at(
                        at(&key),
                        format!("is {}", short_json(&other)),
                        "name a condition of the template",
                    ));
                }
            },
            _ => {
                return Err(p.at(
                    at(&key),
                    "is not a setting of an output",
                    "use Value, Description, Export or Condition",
                ));
            }
        }
    }
    if !has_value {
        return Err(p.at(here, "has no Value", "give the output its Value"));
    }
    Ok(out)
}
