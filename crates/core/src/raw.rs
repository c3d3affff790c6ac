//! Untyped resources: any CloudFormation type by name, with its properties as JSON.
//!
//! [`RawResource`] is AWS CDK's `CfnResource`: the way to write a type that has no typed L1
//! struct in this build (its feature is off, or it is a custom or third-party type). It is a
//! resource of the tree like any other: tokens inside its JSON resolve as typed properties
//! do (see [`Value::to_json`](crate::Value::to_json)), inherited tags reach it when its type
//! takes tags, and synth checks it against the type's schema: required, unknown and
//! mistyped properties, enums, patterns, ranges, `Fn::GetAtt` names, references and cycles.

use std::ops::Deref;

use indexmap::IndexMap;

use crate::error::CoreError;
use crate::expr::Expr;
use crate::facts::ResourceFacts;
use crate::resource::{AnyProps, Resolve, Resource};
use crate::tree::{AppRef, ElementId, NodeKind, ResourceNode, Scope};

/// The properties of an untyped resource, as the tree stores them: a type name, its schema
/// facts when the vendored schemas know the type, and the properties as expressions.
#[derive(Debug, Clone)]
pub struct RawProps {
    type_name: String,
    facts: Option<&'static ResourceFacts>,
    properties: IndexMap<String, Expr>,
}

impl RawProps {
    pub(crate) fn new(
        type_name: String,
        facts: Option<&'static ResourceFacts>,
        properties: IndexMap<String, Expr>,
    ) -> Self {
        RawProps {
            type_name,
            facts,
            properties,
        }
    }

    /// The CloudFormation type name.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The type's schema facts, `None` for `Custom::` and third-party types.
    pub fn facts(&self) -> Option<&'static ResourceFacts> {
        self.facts
    }

    /// The properties, as written under `Properties` before overrides and tags.
    pub fn properties(&self) -> &IndexMap<String, Expr> {
        &self.properties
    }
}

impl AnyProps for RawProps {
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn facts(&self) -> Option<&'static ResourceFacts> {
        self.facts
    }
    fn to_properties(&self) -> IndexMap<String, Expr> {
        self.properties.clone()
    }
    fn resolve_properties(&self, r: &mut dyn Resolve) -> serde_json::Value {
        let mut o = serde_json::Map::with_capacity(self.properties.len());
        for (k, v) in &self.properties {
            let v = r.borrowed(v);
            o.insert(k.clone(), v);
        }
        serde_json::Value::Object(o)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A handle to an untyped resource: any CloudFormation type by name, properties as JSON.
///
/// It dereferences to [`Resource`], so every escape hatch of a typed resource works here
/// too: `ref_`, `get_att`, property overrides, deletion and update policies, conditions,
/// metadata, dependencies and a fixed logical id.
///
/// ```
/// use stackwright_core::{App, Env, RawResource, Resource, Stack, Value};
/// use stackwright_l1::kms;
///
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let key = Resource::new(&stack, "Key", kms::Key::default()).unwrap();
/// let topic = RawResource::new(&stack, "Alerts", "AWS::SNS::Topic", serde_json::json!({
///     "DisplayName": "alerts",
///     "KmsMasterKeyId": key.attr_arn().to_json(),
/// })).unwrap();
/// let _arn: Value<String> = topic.ref_();
/// let _name: Value<String> = topic.get_att("TopicName");
///
/// let template = &app.build().stacks[0].template;
/// assert_eq!(template["Resources"]["Alerts"], serde_json::json!({
///     "Type": "AWS::SNS::Topic",
///     "Properties": {
///         "DisplayName": "alerts",
///         "KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}
///     }
/// }));
///
/// // A type the schemas do not know is refused, with the nearest one they do.
/// let typo = RawResource::new(&stack, "Queue", "AWS::SNS::Topik", serde_json::json!({}));
/// assert!(typo.unwrap_err().to_string().contains("did you mean 'AWS::SNS::Topic'"));
/// ```
#[derive(Clone)]
pub struct RawResource(Resource<RawProps>);

impl RawResource {
    /// Adds a resource of `type_name` with `properties` (a JSON object, or `null` for none)
    /// to `scope` under the child id `id`.
    ///
    /// `type_name` must be a type the vendored schemas know when it is an `AWS::` or
    /// `Alexa::` type; `Custom::Name` and third-party registry types (`Org::Service::Type`,
    /// `Org::Service::Type::MODULE`) are taken as they are and only checked structurally.
    /// Tokens go into the JSON with [`Value::to_json`](crate::Value::to_json).
    ///
    /// Fails on an unknown or malformed type name, properties that are not an object, and
    /// the errors of [`Resource::new`].
    pub fn new(
        scope: &impl Scope,
        id: &str,
        type_name: &str,
        properties: serde_json::Value,
    ) -> Result<Self, CoreError> {
        let path = || format!("{}/{id}", scope.path());
        let facts = check_type_name(type_name).map_err(|e| e.at(path(), type_name))?;
        let properties = match properties {
            serde_json::Value::Null => IndexMap::new(),
            serde_json::Value::Object(o) => o
                .into_iter()
                .map(|(k, v)| (k, Expr::from_json(v)))
                .collect(),
            other => {
                return Err(CoreError::PropertiesNotAnObject {
                    path: path(),
                    found: short_json(&other),
                });
            }
        };
        let props = RawProps::new(type_name.to_string(), facts, properties);
        let (app, parent) = scope.scope_ref();
        let node = ResourceNode::new(Box::new(props));
        let id = app.add_child(parent, id, NodeKind::Resource(Box::new(node)))?;
        Ok(RawResource::from_parts(app, id))
    }

    pub(crate) fn from_parts(app: AppRef, id: ElementId) -> Self {
        RawResource(Resource::from_parts(app, id))
    }

    /// The CloudFormation type name.
    pub fn type_name(&self) -> String {
        self.with_props(|p| p.type_name.clone())
    }

    /// The type's schema facts, `None` for `Custom::` and third-party types.
    pub fn facts(&self) -> Option<&'static ResourceFacts> {
        self.with_props(|p| p.facts)
    }

    /// The properties as they are now (before overrides and inherited tags), as JSON with
    /// the same token markers [`Value::to_json`](crate::Value::to_json) writes.
    pub fn properties(&self) -> serde_json::Value {
        self.with_props(|p| Expr::Object(p.properties.clone()).to_json())
    }

    fn with_props<R>(&self, f: impl FnOnce(&RawProps) -> R) -> R {
        self.0.app.with_resource(self.0.id, |r| {
            f(r.props
                .as_any()
                .downcast_ref::<RawProps>()
                .expect("a RawResource always points at RawProps"))
        })
    }
}

impl Deref for RawResource {
    type Target = Resource<RawProps>;
    fn deref(&self) -> &Resource<RawProps> {
        &self.0
    }
}

impl Scope for RawResource {
    fn scope_ref(&self) -> (AppRef, ElementId) {
        self.0.scope_ref()
    }
}

impl std::fmt::Debug for RawResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawResource({})", self.0.path())
    }
}

/// What is wrong with a type name, before the path is known.
pub(crate) enum TypeNameProblem {
    Malformed(&'static str),
    Unknown(Option<&'static str>),
}

impl TypeNameProblem {
    pub(crate) fn at(self, path: String, type_name: &str) -> CoreError {
        let type_name = type_name.to_string();
        match self {
            TypeNameProblem::Malformed(reason) => CoreError::MalformedTypeName {
                path,
                type_name,
                reason,
            },
            TypeNameProblem::Unknown(suggestion) => CoreError::UnknownResourceType {
                path,
                type_name,
                suggestion: suggestion.map(str::to_string),
            },
        }
    }
}

/// The facts of a type name, `None` for the types that have none here, or why the name is
/// refused: `AWS::`/`Alexa::` types must be in the registry, `Custom::Name` must be a
/// CloudFormation custom type name, anything else a registry name of three parts.
pub(crate) fn check_type_name(
    type_name: &str,
) -> Result<Option<&'static ResourceFacts>, TypeNameProblem> {
    use TypeNameProblem::Malformed;
    let parts: Vec<&str> = type_name.split("::").collect();
    if parts[0] == "Custom" {
        let [_, name] = parts.as_slice() else {
            return Err(Malformed(
                "a custom type has two parts, Custom::Name, and its name no '::'",
            ));
        };
        if name.is_empty() || name.len() > 60 {
            return Err(Malformed("a custom type's name takes 1 to 60 characters"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@-".contains(c))
        {
            return Err(Malformed(
                "a custom type's name takes only letters, digits and _ @ -",
            ));
        }
        return Ok(None);
    }
    match parts.as_slice() {
        [_, _, _] => {}
        [_, _, _, "MODULE"] => {}
        _ => {
            return Err(Malformed(
                "a type name has three parts separated by '::' (a module adds '::MODULE')",
            ));
        }
    }
    if parts
        .iter()
        .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(Malformed(
            "each part of a type name is letters and digits, none empty",
        ));
    }
    let owner = parts[0];
    if owner.eq_ignore_ascii_case("AWS") || owner.eq_ignore_ascii_case("Alexa") {
        return match crate::registry::facts_for(type_name) {
            Some(f) => Ok(Some(f)),
            None => Err(TypeNameProblem::Unknown(crate::registry::suggest(
                type_name,
            ))),
        };
    }
    Ok(None)
}

/// A short rendering of a JSON value for messages.
pub(crate) fn short_json(v: &serde_json::Value) -> String {
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

    #[test]
    fn type_names_are_checked_by_owner() {
        assert_eq!(
            check_type_name("AWS::SNS::Topic")
                .ok()
                .flatten()
                .map(|f| f.type_name),
            Some("AWS::SNS::Topic")
        );
        assert!(matches!(check_type_name("Custom::Seeder"), Ok(None)));
        assert!(matches!(
            check_type_name("MongoDB::Atlas::Cluster"),
            Ok(None)
        ));
        assert!(matches!(
            check_type_name("Org::Storage::Bucket::MODULE"),
            Ok(None)
        ));
        assert!(matches!(
            check_type_name("AWS::SNS::Topik"),
            Err(TypeNameProblem::Unknown(Some("AWS::SNS::Topic")))
        ));
        assert!(matches!(
            check_type_name("aws::sns::topic"),
            Err(TypeNameProblem::Unknown(Some("AWS::SNS::Topic")))
        ));
        for bad in [
            "SNS::Topic",
            "AWS::SNS::Topic::Extra",
            "AWS::SNS::",
            "Org::My-Service::Type",
            "Custom::",
            "Custom::A::B",
            "Custom::has space",
            "",
        ] {
            assert!(
                matches!(check_type_name(bad), Err(TypeNameProblem::Malformed(_))),
                "{bad} must be refused as malformed"
            );
        }
    }
}
