//! Stacks: the unit CloudFormation deploys.

use indexmap::IndexMap;

use crate::app::App;
use crate::error::CoreError;
use crate::expr::Expr;
use crate::tree::{AppRef, ElementId, NodeKind, Scope};

/// Where a stack is deployed: an account and a region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Env {
    /// The 12-digit account id.
    pub account: String,
    /// The region, such as `us-east-1`.
    pub region: String,
}

impl Env {
    /// An account and a region.
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Env {
            account: account.into(),
            region: region.into(),
        }
    }
}

pub(crate) struct StackNode {
    pub(crate) env: Env,
    pub(crate) description: Option<String>,
    pub(crate) termination_protection: bool,
    pub(crate) dependencies: Vec<ElementId>,
    pub(crate) metadata: IndexMap<String, Expr>,
    pub(crate) external_exports: Vec<String>,
}

/// A CloudFormation stack: one template, deployed as a unit to one account and region.
///
/// ```
/// use stackwright_core::{App, Env, Scope, Stack};
/// let app = App::new();
/// let base = Stack::new(&app, "Web-Production-Base", Env::new("123456789012", "us-east-1")).unwrap();
/// base.set_termination_protection(true);
/// base.tags().add("Project", "Web");
/// assert_eq!(base.name(), "Web-Production-Base");
/// assert!(Stack::new(&app, "1-bad name", Env::new("123456789012", "us-east-1")).is_err());
/// ```
#[derive(Clone)]
pub struct Stack {
    app: AppRef,
    id: ElementId,
}

impl Stack {
    /// Adds a stack called `name` to `app`, to be deployed to `env`.
    ///
    /// The name is the CloudFormation stack name, so it must start with a letter and hold
    /// only letters, digits and hyphens, at most 128 of them.
    pub fn new(app: &App, name: &str, env: Env) -> Result<Stack, CoreError> {
        check_stack_name(name)?;
        let id = app.tree.add_stack(
            name,
            StackNode {
                env,
                description: None,
                termination_protection: false,
                dependencies: Vec::new(),
                metadata: IndexMap::new(),
                external_exports: Vec::new(),
            },
        )?;
        Ok(Stack {
            app: app.tree.clone(),
            id,
        })
    }

    pub(crate) fn from_parts(app: AppRef, id: ElementId) -> Stack {
        Stack { app, id }
    }

    /// The stack name.
    pub fn name(&self) -> String {
        self.app.with_node(self.id, |n| n.name.clone())
    }

    /// Where it deploys.
    pub fn env(&self) -> Env {
        self.with_stack(|s| s.env.clone())
    }

    /// The node id.
    pub fn element(&self) -> ElementId {
        self.id
    }

    /// Sets the template's `Description`.
    pub fn set_description(&self, description: &str) {
        let d = description.to_string();
        self.with_stack_mut(|s| s.description = Some(d));
    }

    /// Asks deploy to turn on termination protection, so the stack cannot be deleted until
    /// it is turned off again. Production stacks that hold data want it.
    pub fn set_termination_protection(&self, on: bool) {
        self.with_stack_mut(|s| s.termination_protection = on);
    }

    /// Whether termination protection is asked for.
    pub fn termination_protection(&self) -> bool {
        self.with_stack(|s| s.termination_protection)
    }

    /// Declares that this stack imports `export_name` (with `Fn::ImportValue`, as
    /// [`Value::import_value`](crate::Value::import_value) writes it) from a stack that is
    /// not part of this app. Synth refuses an import of a name that no stack of the app
    /// exports in the same account and region unless it is declared here, so that a
    /// mistyped name is caught before deploy.
    ///
    /// ```
    /// use stackwright_core::{App, Env, Stack};
    /// let app = App::new();
    /// let stack = Stack::new(&app, "Web", Env::new("123456789012", "us-east-1")).unwrap();
    /// stack.uses_external_export("network-VpcId");
    /// assert_eq!(stack.external_exports(), ["network-VpcId"]);
    /// ```
    pub fn uses_external_export(&self, export_name: impl Into<String>) {
        let name = export_name.into();
        self.with_stack_mut(|s| {
            if !s.external_exports.contains(&name) {
                s.external_exports.push(name)
            }
        });
    }

    /// The export names declared with [`Stack::uses_external_export`], in the order given.
    pub fn external_exports(&self) -> Vec<String> {
        self.with_stack(|s| s.external_exports.clone())
    }

    /// Makes this stack deploy after `other`, even without references between them.
    pub fn add_dependency(&self, other: &Stack) {
        let o = other.id;
        self.with_stack_mut(|s| {
            if !s.dependencies.contains(&o) {
                s.dependencies.push(o)
            }
        });
    }

    /// Whether this stack refers to `other` so far: a value of one of its elements comes
    /// from `other`, one of its resources waits for one of `other`'s, or it was told to
    /// deploy after it. Constructs use it to put a resource that links two stacks into the
    /// one that already depends on the other, so no dependency cycle forms.
    pub fn refers_to(&self, other: &Stack) -> bool {
        let tree = self.app.0.borrow();
        let target = other.id;
        let in_other = |e: crate::tree::ElementId| tree.owns(e) && tree.node(e).stack == target;
        if let NodeKind::Stack(s) = &tree.node(self.id).kind
            && s.dependencies.contains(&target)
        {
            return true;
        }
        let refers = |e: &Expr| {
            let mut found = false;
            e.visit_elements(&mut |el| found |= in_other(el));
            found
        };
        tree.descendants(self.id)
            .into_iter()
            .any(|el| match &tree.node(el).kind {
                NodeKind::Resource(r) => {
                    r.props.to_properties().values().any(refers)
                        || r.overrides
                            .iter()
                            .filter_map(|(_, v)| v.as_ref())
                            .any(refers)
                        || r.depends_on.iter().any(|d| in_other(*d))
                }
                NodeKind::Output(o) => refers(o.value.expr()),
                NodeKind::Condition(c) => refers(c),
                _ => false,
            })
    }

    /// Keeps `rules` to be evaluated over this stack's template, besides the app's (see
    /// [`crate::check::TemplateRules`]; synth's `with_rule_packs` is the way in).
    pub fn add_template_rules(&self, rules: crate::check::TemplateRules) {
        self.app.add_template_rules(Some(self.name()), rules);
    }

    /// Adds an entry to the template's top-level `Metadata`.
    pub fn add_metadata(&self, key: &str, value: impl Into<Expr>) {
        let (k, v) = (key.to_string(), value.into());
        self.with_stack_mut(|s| {
            s.metadata.insert(k, v);
        });
    }

    /// The entry `key` of the template's top-level `Metadata`, as set so far: for
    /// constructs that keep one entry up to date as more of them are added.
    pub fn metadata(&self, key: &str) -> Option<Expr> {
        self.with_stack(|s| s.metadata.get(key).cloned())
    }

    fn with_stack<R>(&self, f: impl FnOnce(&StackNode) -> R) -> R {
        self.app.with_node(self.id, |n| match &n.kind {
            NodeKind::Stack(s) => f(s),
            _ => unreachable!("stack handles point at stack nodes"),
        })
    }

    fn with_stack_mut<R>(&self, f: impl FnOnce(&mut StackNode) -> R) -> R {
        self.app.with_node_mut(self.id, |n| match &mut n.kind {
            NodeKind::Stack(s) => f(s),
            _ => unreachable!("stack handles point at stack nodes"),
        })
    }
}

impl Scope for Stack {
    fn scope_ref(&self) -> (AppRef, ElementId) {
        (self.app.clone(), self.id)
    }
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stack({})", self.name())
    }
}

fn check_stack_name(name: &str) -> Result<(), CoreError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 128 {
        Some("it is longer than 128 characters")
    } else if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        Some("it does not start with a letter")
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Some("it holds a character other than a letter, digit or hyphen")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(CoreError::InvalidStackName {
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}
