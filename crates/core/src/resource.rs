//! L1 resources: one CloudFormation resource in the construct tree, with typed properties.
//!
//! The property structs are generated from the CloudFormation schemas (in `stackwright-l1`);
//! [`Resource`] is the handle to one of them once it is added to a scope. It resolves to
//! `Ref`, gives typed `Fn::GetAtt` attributes, and is the escape hatch for everything the
//! typed properties cannot say: raw property overrides, deletion policies, dependencies,
//! conditions, metadata and an explicit logical id.

use std::any::Any;
use std::cell::OnceCell;
use std::marker::PhantomData;

use indexmap::IndexMap;

use crate::error::CoreError;
use crate::expr::Expr;
use crate::facts::ResourceFacts;
use crate::tree::{AppRef, ElementId, NodeKind, ResourceNode, Scope};
use crate::value::Value;

type Json = serde_json::Value;

/// The resource `Metadata` key of what synth is told about a resource (its suppressed
/// rules).
pub const SUPPRESS_KEY: &str = "stackwright";

/// The resource `Metadata` key Guard tools read: `SuppressedRules` (a list of rule names,
/// the Guard Rules Registry's convention) and, beside it, `Reasons` (rule to reason).
pub const GUARD_KEY: &str = "guard";

/// Template JSON, as [`Resolve`] gives it: the name the generated code uses for
/// `serde_json::Value`, whose crate it does not depend on.
#[doc(hidden)]
pub type Resolved = serde_json::Value;

/// The typed properties of one CloudFormation resource type. Implemented by the generated
/// structs of `stackwright-l1`.
pub trait ResourceProps: Clone + 'static {
    /// The CloudFormation type name (`AWS::EC2::VPC`).
    const TYPE_NAME: &'static str;

    /// The schema facts of this type.
    fn facts() -> &'static ResourceFacts;

    /// The properties that are set, as written under `Properties`, in schema order.
    fn to_properties(&self) -> IndexMap<String, Expr>;

    /// The properties as template JSON, resolved by `r` straight from the struct, in the
    /// order of [`to_properties`](ResourceProps::to_properties). The default goes through
    /// `to_properties`; the generated structs skip that copy, which is most of the cost
    /// of building a template.
    #[doc(hidden)]
    fn resolve_properties(&self, r: &mut dyn Resolve) -> Json {
        r.owned(Expr::Object(self.to_properties()))
    }
}

/// What turns expressions into template JSON while a template is built: references
/// become `Ref`, `Fn::GetAtt` or imports, concatenations `Fn::Sub`. Implemented by the
/// template builder; [`ToExpr::resolve`] and the generated structs call it.
#[doc(hidden)]
pub trait Resolve {
    /// The JSON of an expression that stays where it is.
    fn borrowed(&mut self, e: &Expr) -> Json;
    /// The JSON of an expression built for this template, moving its strings.
    fn owned(&mut self, e: Expr) -> Json;
}

/// The typed `Fn::GetAtt` accessors of a resource type. `Resource<T>` dereferences to
/// `T::Attributes`, so `key.attr_arn()` works on a `Resource<kms::Key>` with nothing to
/// import. Implemented by the generated structs of the types that have attributes.
///
/// The accessors live on a type of their own because the generated code is in another
/// crate (`stackwright-l1`), which may not add inherent methods to `Resource<T>`.
pub trait HasAttributes: Sized + 'static {
    /// The type with one `attr_*` method per attribute, made from the resource's handle.
    type Attributes: From<Resource<Self>> + 'static;
}

/// Turns a property value into an expression without consuming it. Implemented by
/// [`Value`], by the generated property structs and by lists and maps of them.
pub trait ToExpr {
    /// The value as an expression tree.
    fn to_expr(&self) -> Expr;

    /// The value as template JSON, resolved by `r` without building the expression tree
    /// first (the same JSON as resolving [`to_expr`](ToExpr::to_expr)).
    #[doc(hidden)]
    fn resolve(&self, r: &mut dyn Resolve) -> Json {
        r.owned(self.to_expr())
    }
}

impl<T> ToExpr for Value<T> {
    fn to_expr(&self) -> Expr {
        self.expr().clone()
    }
    fn resolve(&self, r: &mut dyn Resolve) -> Json {
        r.borrowed(self.expr())
    }
}

impl<T: ToExpr> ToExpr for Vec<T> {
    fn to_expr(&self) -> Expr {
        Expr::List(self.iter().map(ToExpr::to_expr).collect())
    }
    fn resolve(&self, r: &mut dyn Resolve) -> Json {
        Json::Array(self.iter().map(|v| v.resolve(r)).collect())
    }
}

impl<T: ToExpr> ToExpr for IndexMap<String, T> {
    fn to_expr(&self) -> Expr {
        Expr::Object(self.iter().map(|(k, v)| (k.clone(), v.to_expr())).collect())
    }
    fn resolve(&self, r: &mut dyn Resolve) -> Json {
        let mut o = serde_json::Map::with_capacity(self.len());
        for (k, v) in self {
            let v = v.resolve(r);
            o.insert(k.clone(), v);
        }
        Json::Object(o)
    }
}

impl<T: ToExpr> ToExpr for Box<T> {
    fn to_expr(&self) -> Expr {
        (**self).to_expr()
    }
    fn resolve(&self, r: &mut dyn Resolve) -> Json {
        (**self).resolve(r)
    }
}

/// Collects the properties of a generated struct that are set, in schema order: the one
/// helper the generated L1 code (`stackwright-l1`) calls to implement
/// [`ResourceProps::to_properties`] and [`ToExpr`]. Hand-written code has no need of it.
///
/// It collects either expressions ([`Props::default`]) or, while a template is built,
/// their resolved JSON ([`Props::resolving`]), so that one generated list of the
/// properties serves both.
pub struct Props<'r>(Collected<'r>);

impl Default for Props<'_> {
    fn default() -> Self {
        Props(Collected::Exprs(IndexMap::new()))
    }
}

enum Collected<'r> {
    Exprs(IndexMap<String, Expr>),
    Json(&'r mut dyn Resolve, serde_json::Map<String, Json>),
}

impl std::fmt::Debug for Props<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Collected::Exprs(m) => f.debug_tuple("Props").field(m).finish(),
            Collected::Json(_, m) => f.debug_tuple("Props").field(m).finish(),
        }
    }
}

impl<'r> Props<'r> {
    /// Collects resolved JSON through `r` instead of expressions.
    #[doc(hidden)]
    pub fn resolving(r: &'r mut dyn Resolve) -> Self {
        Props(Collected::Json(r, serde_json::Map::new()))
    }

    /// Sets `key` (a required property).
    pub fn req<T: ToExpr>(&mut self, key: &str, value: &T) {
        match &mut self.0 {
            Collected::Json(r, m) => {
                let v = value.resolve(&mut **r);
                m.insert(key.to_string(), v);
            }
            Collected::Exprs(m) => {
                m.insert(key.to_string(), value.to_expr());
            }
        }
    }

    /// Sets `key` when `value` is set (an optional property).
    pub fn opt<T: ToExpr>(&mut self, key: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.req(key, v);
        }
    }

    /// The properties, for [`ResourceProps::to_properties`].
    pub fn into_map(self) -> IndexMap<String, Expr> {
        match self.0 {
            Collected::Exprs(m) => m,
            Collected::Json(_, m) => m
                .into_iter()
                .map(|(k, v)| (k, Expr::from_json(v)))
                .collect(),
        }
    }

    /// The properties as one object, for [`ToExpr::to_expr`] of a property type.
    pub fn into_expr(self) -> Expr {
        Expr::Object(self.into_map())
    }

    /// The resolved properties as one JSON object, for [`ToExpr::resolve`] and
    /// [`ResourceProps::resolve_properties`] (an empty object when nothing is set).
    #[doc(hidden)]
    pub fn into_json(self) -> Json {
        match self.0 {
            Collected::Json(_, m) => Json::Object(m),
            // Collected without a resolver: references stay tokens (see `Expr::to_json`).
            Collected::Exprs(m) => Expr::Object(m).to_json(),
        }
    }
}

/// Object-safe view of a [`ResourceProps`], as the tree stores it.
pub(crate) trait AnyProps: Any {
    /// The CloudFormation type name, as written under `Type`.
    fn type_name(&self) -> &str;
    /// The schema facts, unless the type has no schema here (`Custom::`, third-party).
    fn facts(&self) -> Option<&'static ResourceFacts>;
    fn to_properties(&self) -> IndexMap<String, Expr>;
    /// The properties as template JSON (see [`ResourceProps::resolve_properties`]).
    fn resolve_properties(&self, r: &mut dyn Resolve) -> Json;
    fn as_any(&self) -> &dyn Any;
}

impl<T: ResourceProps> AnyProps for T {
    fn type_name(&self) -> &str {
        T::TYPE_NAME
    }
    fn facts(&self) -> Option<&'static ResourceFacts> {
        Some(T::facts())
    }
    fn to_properties(&self) -> IndexMap<String, Expr> {
        ResourceProps::to_properties(self)
    }
    fn resolve_properties(&self, r: &mut dyn Resolve) -> Json {
        ResourceProps::resolve_properties(self, r)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// What happens to a resource's physical resource when CloudFormation deletes it or
/// replaces it (`DeletionPolicy`, `UpdateReplacePolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalPolicy {
    /// Delete it (CloudFormation's default for most types).
    Delete,
    /// Keep it, orphaned from the stack.
    Retain,
    /// Keep it unless the stack is being created and rolls back.
    RetainExceptOnCreate,
    /// Take a final snapshot, then delete it (databases, caches, volumes).
    Snapshot,
}

impl RemovalPolicy {
    /// The name as written in templates.
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalPolicy::Delete => "Delete",
            RemovalPolicy::Retain => "Retain",
            RemovalPolicy::RetainExceptOnCreate => "RetainExceptOnCreate",
            RemovalPolicy::Snapshot => "Snapshot",
        }
    }
}

/// A handle to an L1 resource in the construct tree. Cheap to clone.
///
/// ```
/// use stackwright_core::{App, Env, Stack, Resource, Value};
/// use stackwright_l1::kms;
///
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let key = Resource::new(&stack, "Key", kms::Key {
///     enable_key_rotation: Some(true.into()),
///     ..Default::default()
/// }).unwrap();
/// let arn: Value<String> = key.attr_arn();
/// assert!(!arn.is_literal());
/// ```
pub struct Resource<T> {
    pub(crate) app: AppRef,
    pub(crate) id: ElementId,
    /// The `T::Attributes` that [`Deref`](std::ops::Deref) hands out, made on first use.
    attributes: OnceCell<Box<dyn Any>>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Resource<T> {
    fn clone(&self) -> Self {
        Resource {
            app: self.app.clone(),
            id: self.id,
            attributes: OnceCell::new(),
            _type: PhantomData,
        }
    }
}

impl<T: HasAttributes> std::ops::Deref for Resource<T> {
    type Target = T::Attributes;

    fn deref(&self) -> &T::Attributes {
        self.attributes
            .get_or_init(|| Box::new(T::Attributes::from(self.clone())))
            .downcast_ref()
            .expect("a Resource<T> only ever stores T::Attributes")
    }
}

impl<T> std::fmt::Debug for Resource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Resource({})", self.app.path_of(self.id))
    }
}

impl<T: ResourceProps> Resource<T> {
    /// Adds a resource with these properties to `scope` under the child id `id`.
    ///
    /// Fails when `scope` already has a child called `id`, or `id` is not a usable id.
    pub fn new(scope: &impl Scope, id: &str, props: T) -> Result<Self, CoreError> {
        let (app, parent) = scope.scope_ref();
        let node = ResourceNode::new(Box::new(props));
        let id = app.add_child(parent, id, NodeKind::Resource(Box::new(node)))?;
        Ok(Resource {
            app,
            id,
            attributes: OnceCell::new(),
            _type: PhantomData,
        })
    }

    /// Changes the typed properties after the fact: the escape hatch L2 constructs offer
    /// to their L1 resources.
    ///
    /// The closure works on a copy that is stored back when it returns, so it may read the
    /// tree (a stack's name, another resource's properties, a token) without tripping over
    /// the borrow of this resource. An `edit` of the same resource nested inside the
    /// closure is overwritten by the outer one when it stores its copy.
    ///
    /// ```
    /// use stackwright_core::{App, Env, Resource, Stack};
    /// use stackwright_l1::kms;
    /// let app = App::new();
    /// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
    /// let key = Resource::new(&stack, "Key", kms::Key::default()).unwrap();
    /// key.edit(|k| k.description = Some(format!("key of {}", stack.name()).into()));
    /// assert!(key.props().description.is_some());
    /// ```
    pub fn edit(&self, f: impl FnOnce(&mut T)) {
        let mut props = self.props();
        f(&mut props);
        self.app
            .with_resource_mut(self.id, |r| r.props = Box::new(props));
    }

    /// A copy of the typed properties as they are now.
    pub fn props(&self) -> T {
        self.app.with_resource(self.id, |r| {
            r.props
                .as_any()
                .downcast_ref::<T>()
                .cloned()
                .expect("a Resource<T> handle always points at props of type T")
        })
    }
}

impl<T> Resource<T> {
    pub(crate) fn from_parts(app: AppRef, id: ElementId) -> Self {
        Resource {
            app,
            id,
            attributes: OnceCell::new(),
            _type: PhantomData,
        }
    }

    /// The element id, for code that works on resources of any type.
    pub fn element(&self) -> ElementId {
        self.id
    }

    /// `Ref` to this resource: its physical id (for most types a name or id; see the type's
    /// CloudFormation documentation).
    pub fn ref_(&self) -> Value<String> {
        Value::from_expr(Expr::Ref(self.id))
    }

    /// `Fn::GetAtt` of an attribute by name. Prefer the generated `attr_*` accessors; a name
    /// the type does not have is reported by synth.
    pub fn get_att<U>(&self, attribute: &str) -> Value<U> {
        Value::from_expr(Expr::GetAtt(self.id, attribute.to_string()))
    }

    /// The construct path, such as `Network/PublicSubnet1/RouteTable`.
    pub fn path(&self) -> String {
        self.app.path_of(self.id)
    }

    /// Sets a property by `.`-separated path (`LaunchTemplateData.MetadataOptions.HttpTokens`)
    /// after the typed properties are written, creating objects along the way. The escape
    /// hatch for anything the generated types cannot express.
    pub fn add_property_override(&self, path: &str, value: impl Into<Expr>) {
        let value = value.into();
        self.app.with_resource_mut(self.id, |r| {
            r.overrides.push((path.to_string(), Some(value)))
        });
    }

    /// Removes a property by `.`-separated path after the typed properties are written.
    pub fn add_property_deletion_override(&self, path: &str) {
        self.app
            .with_resource_mut(self.id, |r| r.overrides.push((path.to_string(), None)));
    }

    /// Sets both `DeletionPolicy` and `UpdateReplacePolicy`.
    pub fn apply_removal_policy(&self, policy: RemovalPolicy) {
        self.app.with_resource_mut(self.id, |r| {
            r.deletion_policy = Some(policy);
            r.update_replace_policy = Some(policy);
        });
    }

    /// Sets `DeletionPolicy` only.
    pub fn set_deletion_policy(&self, policy: RemovalPolicy) {
        self.app
            .with_resource_mut(self.id, |r| r.deletion_policy = Some(policy));
    }

    /// Sets `UpdateReplacePolicy` only.
    pub fn set_update_replace_policy(&self, policy: RemovalPolicy) {
        self.app
            .with_resource_mut(self.id, |r| r.update_replace_policy = Some(policy));
    }

    /// Sets the `CreationPolicy` attribute (for example a resource signal count).
    pub fn set_creation_policy(&self, policy: impl Into<Expr>) {
        let policy = policy.into();
        self.app
            .with_resource_mut(self.id, |r| r.creation_policy = Some(policy));
    }

    /// Sets the `UpdatePolicy` attribute (for example an Auto Scaling rolling update).
    pub fn set_update_policy(&self, policy: impl Into<Expr>) {
        let policy = policy.into();
        self.app
            .with_resource_mut(self.id, |r| r.update_policy = Some(policy));
    }

    /// Creates this resource only when `condition` is true.
    pub fn set_condition(&self, condition: &crate::Condition) {
        let c = condition.element();
        self.app
            .with_resource_mut(self.id, |r| r.condition = Some(c));
    }

    /// Adds a `Metadata` entry to the resource.
    pub fn add_metadata(&self, key: &str, value: impl Into<Expr>) {
        let value = value.into();
        self.app.with_resource_mut(self.id, |r| {
            r.metadata.insert(key.to_string(), value);
        });
    }

    /// Turns off synth's rule `rule` (a finding's code, such as `iam-policy` or
    /// `invalid-value`) for this resource only, because of `reason`. The reason is written
    /// into the template (`Metadata.stackwright.Suppress`), where reviewers see it; synth
    /// still lists what the rule found, as notes, and warns about a suppression that
    /// matches nothing. A second call for the same rule replaces its reason.
    ///
    /// Fails when `reason` is blank: a rule is turned off only for a stated reason.
    ///
    /// ```
    /// use stackwright_core::{App, Env, Resource, Stack};
    /// use stackwright_l1::kms;
    /// let app = App::new();
    /// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
    /// let key = Resource::new(&stack, "Key", kms::Key::default()).unwrap();
    /// key.suppress_rule("iam-policy", "the key policy is replaced by the security team's pipeline").unwrap();
    /// assert!(key.suppress_rule("iam-policy", " ").is_err());
    /// ```
    pub fn suppress_rule(&self, rule: &str, reason: &str) -> Result<(), CoreError> {
        if reason.trim().is_empty() {
            return Err(CoreError::EmptyReason {
                path: self.path(),
                rule: rule.to_string(),
            });
        }
        let mut meta = match self.metadata(SUPPRESS_KEY) {
            Some(Expr::Object(o)) => o,
            _ => IndexMap::new(),
        };
        let mut list = match meta.shift_remove("Suppress") {
            Some(Expr::List(l)) => l,
            _ => Vec::new(),
        };
        list.retain(|e| !matches!(e, Expr::Object(o) if o.get("Rule") == Some(&Expr::str(rule))));
        list.push(Expr::object([
            ("Rule", Expr::str(rule)),
            ("Reason", Expr::str(reason)),
        ]));
        meta.insert("Suppress".to_string(), Expr::List(list));
        self.add_metadata(SUPPRESS_KEY, Expr::Object(meta));
        Ok(())
    }

    /// Records that this resource may break the Guard rule `rule` (a Control Tower control
    /// id such as `CT.LOGS.PR.1`, or a rule name such as `S3_BUCKET_LOGGING_ENABLED`)
    /// because of `reason`. Both go into the template, where the Guard tools and reviewers
    /// read them: the rule into `Metadata.guard.SuppressedRules` (the Guard Rules Registry's
    /// rules skip the resource), the reason into `Metadata.guard.Reasons`. Synth's rule
    /// packs then report the finding as a note with the reason, and warn about an
    /// exception that matches nothing. A second call for the same rule replaces its reason.
    ///
    /// Fails when `rule` or `reason` is blank: an exception is made for a stated reason.
    ///
    /// ```
    /// use stackwright_core::{App, Env, Resource, Stack};
    /// use stackwright_l1::logs;
    /// let app = App::new();
    /// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
    /// let logs = Resource::new(&stack, "FlowLogs", logs::LogGroup::default()).unwrap();
    /// logs.guard_exception("CT.CLOUDWATCH.PR.2", "flow logs are kept 7 days, for cost").unwrap();
    /// assert!(logs.guard_exception("CT.CLOUDWATCH.PR.2", "").is_err());
    /// ```
    pub fn guard_exception(&self, rule: &str, reason: &str) -> Result<(), CoreError> {
        let (rule, reason) = (rule.trim(), reason.trim());
        if rule.is_empty() || reason.is_empty() {
            return Err(CoreError::EmptyGuardException {
                path: self.path(),
                rule: rule.to_string(),
            });
        }
        let mut meta = match self.metadata(GUARD_KEY) {
            Some(Expr::Object(o)) => o,
            _ => IndexMap::new(),
        };
        let mut rules = match meta.shift_remove("SuppressedRules") {
            Some(Expr::List(l)) => l,
            _ => Vec::new(),
        };
        if !rules.contains(&Expr::str(rule)) {
            rules.push(Expr::str(rule));
        }
        let mut reasons = match meta.shift_remove("Reasons") {
            Some(Expr::Object(o)) => o,
            _ => IndexMap::new(),
        };
        reasons.insert(rule.to_string(), Expr::str(reason));
        meta.insert("SuppressedRules".to_string(), Expr::List(rules));
        meta.insert("Reasons".to_string(), Expr::Object(reasons));
        self.add_metadata(GUARD_KEY, Expr::Object(meta));
        Ok(())
    }

    /// The `Metadata` entry under `key`, as it is now.
    pub fn metadata(&self, key: &str) -> Option<Expr> {
        self.app
            .with_resource(self.id, |r| r.metadata.get(key).cloned())
    }

    /// Makes this resource wait for another element: a resource, or every resource under a
    /// construct. Across stacks this becomes a dependency between the stacks.
    pub fn add_dependency(&self, on: &impl Scope) {
        let (_, target) = on.scope_ref();
        self.app
            .with_resource_mut(self.id, |r| r.depends_on.push(target));
    }

    /// Fixes the logical id instead of deriving it from the construct path. Use it to keep
    /// a resource's id when code moves (a renamed logical id replaces the resource).
    pub fn override_logical_id(&self, logical_id: &str) {
        self.app.override_logical_id(self.id, logical_id);
    }
}

impl<T> Scope for Resource<T> {
    fn scope_ref(&self) -> (AppRef, ElementId) {
        (self.app.clone(), self.id)
    }
}
