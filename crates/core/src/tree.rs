//! The construct tree: every stack, construct and template element of an app, with paths.
//!
//! The tree is an arena owned by the [`App`](crate::App) and shared by every handle through
//! a reference-counted cell, so handles are cheap to clone and need no lifetimes. Children
//! keep the order they were added in, which is the order their resources appear in the
//! template.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use indexmap::IndexMap;

use crate::error::CoreError;
use crate::expr::Expr;
use crate::output::OutputNode;
use crate::parameter::ParameterNode;
use crate::resource::{AnyProps, RemovalPolicy};
use crate::stack::StackNode;

/// Identifies one node of one app's construct tree: a stack, a construct or a template
/// element (resource, parameter, condition, mapping, output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ElementId {
    pub(crate) app: u32,
    pub(crate) index: u32,
}

/// Something new children can be added under: a stack, a construct, or an L2 handle.
///
/// L2 constructs implement it by handing back the node of the [`Construct`] they created,
/// so users can nest their own constructs and resources under them.
pub trait Scope {
    /// The app and the node this scope stands for.
    fn scope_ref(&self) -> (AppRef, ElementId);

    /// The construct path, such as `Web-Production/Network/PublicSubnet1`.
    fn path(&self) -> String {
        let (app, id) = self.scope_ref();
        app.path_of(id)
    }

    /// The tags of this scope: applied to every taggable resource under it.
    fn tags(&self) -> crate::Tags {
        let (app, id) = self.scope_ref();
        crate::Tags::new(app, id)
    }

    /// The stack this scope belongs to.
    fn stack(&self) -> crate::Stack {
        let (app, id) = self.scope_ref();
        let stack = app.stack_of(id);
        crate::Stack::from_parts(app, stack)
    }

    /// Runs `check` at synth over every resource under this scope (see [`crate::check`]).
    fn add_check(&self, check: impl crate::Check + 'static)
    where
        Self: Sized,
    {
        let (app, id) = self.scope_ref();
        let scope = app.path_of(id);
        app.add_check(Some(scope), std::rc::Rc::new(check));
    }
}

/// A plain node in the construct tree that groups other constructs and resources. L2
/// constructs create one and put their resources under it.
///
/// ```
/// use stackwright_core::{App, Construct, Env, Scope, Stack};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let network = Construct::new(&stack, "Network").unwrap();
/// assert_eq!(network.path(), "Demo/Network");
/// assert!(Construct::new(&stack, "Network").is_err(), "ids are unique within a scope");
/// ```
#[derive(Clone)]
pub struct Construct {
    app: AppRef,
    id: ElementId,
}

impl Construct {
    /// Adds a construct called `id` under `scope`.
    pub fn new(scope: &impl Scope, id: &str) -> Result<Self, CoreError> {
        let (app, parent) = scope.scope_ref();
        let id = app.add_child(parent, id, NodeKind::Construct)?;
        Ok(Construct { app, id })
    }

    /// The node id.
    pub fn element(&self) -> ElementId {
        self.id
    }

    /// Records why a deliberate exception to a default was made: written into the
    /// metadata of every resource under this construct, where reviewers and scanners see it.
    pub fn add_metadata(&self, key: &str, value: impl Into<Expr>) {
        let value = value.into();
        self.app.with_node_mut(self.id, |n| {
            n.metadata.insert(key.to_string(), value);
        });
    }
}

impl std::fmt::Debug for Construct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Construct({})", self.path())
    }
}

impl Scope for Construct {
    fn scope_ref(&self) -> (AppRef, ElementId) {
        (self.app.clone(), self.id)
    }
}

/// A shared reference to an app's tree. Handles carry one; users never need to name it.
#[derive(Clone)]
pub struct AppRef(pub(crate) Rc<RefCell<Tree>>);

pub(crate) struct Tree {
    pub(crate) serial: u32,
    pub(crate) nodes: Vec<Node>,
    /// Stacks by name, in creation order.
    pub(crate) stacks: IndexMap<String, ElementId>,
    /// Tags on the whole app.
    pub(crate) tags: Vec<(String, String)>,
    /// The program's own checks, with the path each covers.
    pub(crate) checks: Vec<crate::check::ScopedCheck>,
    /// Rules over whole templates chosen for the app (`None`) or one stack (its name).
    pub(crate) template_rules: Vec<(Option<String>, crate::check::TemplateRules)>,
}

pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) parent: Option<ElementId>,
    pub(crate) stack: ElementId,
    pub(crate) children: IndexMap<String, ElementId>,
    pub(crate) kind: NodeKind,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) metadata: IndexMap<String, Expr>,
    pub(crate) logical_id: Option<String>,
}

pub(crate) enum NodeKind {
    Stack(Box<StackNode>),
    Construct,
    Resource(Box<ResourceNode>),
    Parameter(Box<ParameterNode>),
    Condition(Expr),
    Mapping(IndexMap<String, IndexMap<String, Expr>>),
    Output(Box<OutputNode>),
}

impl NodeKind {
    /// Whether the node becomes an entry of the template and so needs a logical id.
    pub(crate) fn is_element(&self) -> bool {
        !matches!(self, NodeKind::Stack(_) | NodeKind::Construct)
    }

    /// Which logical ids must differ from this element's: CloudFormation keeps parameters
    /// and resources in one namespace (`Ref` takes either), and conditions, mappings and
    /// outputs each in their own, so an output may share its resource's id (`VPC`).
    pub(crate) fn id_namespace(&self) -> usize {
        match self {
            NodeKind::Resource(_) | NodeKind::Parameter(_) => 0,
            NodeKind::Condition(_) => 1,
            NodeKind::Mapping(_) => 2,
            NodeKind::Output(_) | NodeKind::Stack(_) | NodeKind::Construct => 3,
        }
    }

    pub(crate) fn describe(&self) -> &'static str {
        match self {
            NodeKind::Stack(_) => "stack",
            NodeKind::Construct => "construct",
            NodeKind::Resource(_) => "resource",
            NodeKind::Parameter(_) => "parameter",
            NodeKind::Condition(_) => "condition",
            NodeKind::Mapping(_) => "mapping",
            NodeKind::Output(_) => "output",
        }
    }
}

pub(crate) struct ResourceNode {
    pub(crate) props: Box<dyn AnyProps>,
    pub(crate) overrides: Vec<(String, Option<Expr>)>,
    pub(crate) depends_on: Vec<ElementId>,
    pub(crate) condition: Option<ElementId>,
    pub(crate) deletion_policy: Option<RemovalPolicy>,
    pub(crate) update_replace_policy: Option<RemovalPolicy>,
    pub(crate) creation_policy: Option<Expr>,
    pub(crate) update_policy: Option<Expr>,
    pub(crate) metadata: IndexMap<String, Expr>,
}

impl ResourceNode {
    pub(crate) fn new(props: Box<dyn AnyProps>) -> Self {
        ResourceNode {
            props,
            overrides: Vec::new(),
            depends_on: Vec::new(),
            condition: None,
            deletion_policy: None,
            update_replace_policy: None,
            creation_policy: None,
            update_policy: None,
            metadata: IndexMap::new(),
        }
    }
}

static NEXT_APP: AtomicU32 = AtomicU32::new(1);

impl AppRef {
    pub(crate) fn new_tree() -> Self {
        AppRef(Rc::new(RefCell::new(Tree {
            serial: NEXT_APP.fetch_add(1, Ordering::Relaxed),
            nodes: Vec::new(),
            stacks: IndexMap::new(),
            tags: Vec::new(),
            checks: Vec::new(),
            template_rules: Vec::new(),
        })))
    }

    /// Adds a stack node at the root.
    pub(crate) fn add_stack(&self, name: &str, node: StackNode) -> Result<ElementId, CoreError> {
        let mut tree = self.0.borrow_mut();
        if tree.stacks.contains_key(name) {
            return Err(CoreError::DuplicateStack {
                name: name.to_string(),
            });
        }
        let id = ElementId {
            app: tree.serial,
            index: tree.nodes.len() as u32,
        };
        tree.nodes.push(Node {
            name: name.to_string(),
            parent: None,
            stack: id,
            children: IndexMap::new(),
            kind: NodeKind::Stack(Box::new(node)),
            tags: Vec::new(),
            metadata: IndexMap::new(),
            logical_id: None,
        });
        tree.stacks.insert(name.to_string(), id);
        Ok(id)
    }

    /// Adds a child node under `parent`, checking the id.
    pub(crate) fn add_child(
        &self,
        parent: ElementId,
        name: &str,
        kind: NodeKind,
    ) -> Result<ElementId, CoreError> {
        let mut tree = self.0.borrow_mut();
        if parent.app != tree.serial {
            return Err(CoreError::ForeignScope {
                id: name.to_string(),
            });
        }
        // The scope's path is only needed for an error, so it is only made for one.
        check_child_id(name).map_err(|reason| CoreError::InvalidId {
            scope: tree.path_of(parent),
            id: name.to_string(),
            reason,
        })?;
        let parent_node = &tree.nodes[parent.index as usize];
        if parent_node.children.contains_key(name) {
            return Err(CoreError::DuplicateId {
                scope: tree.path_of(parent),
                id: name.to_string(),
            });
        }
        let stack = parent_node.stack;
        let id = ElementId {
            app: tree.serial,
            index: tree.nodes.len() as u32,
        };
        tree.nodes.push(Node {
            name: name.to_string(),
            parent: Some(parent),
            stack,
            children: IndexMap::new(),
            kind,
            tags: Vec::new(),
            metadata: IndexMap::new(),
            logical_id: None,
        });
        tree.nodes[parent.index as usize]
            .children
            .insert(name.to_string(), id);
        Ok(id)
    }

    pub(crate) fn path_of(&self, id: ElementId) -> String {
        self.0.borrow().path_of(id)
    }

    pub(crate) fn add_check(&self, scope: Option<String>, check: std::rc::Rc<dyn crate::Check>) {
        self.0
            .borrow_mut()
            .checks
            .push(crate::check::ScopedCheck { scope, check });
    }

    pub(crate) fn add_template_rules(
        &self,
        stack: Option<String>,
        rules: crate::check::TemplateRules,
    ) {
        self.0.borrow_mut().template_rules.push((stack, rules));
    }

    pub(crate) fn stack_of(&self, id: ElementId) -> ElementId {
        self.0.borrow().nodes[id.index as usize].stack
    }

    pub(crate) fn with_node_mut<R>(&self, id: ElementId, f: impl FnOnce(&mut Node) -> R) -> R {
        let mut tree = self.0.borrow_mut();
        f(&mut tree.nodes[id.index as usize])
    }

    pub(crate) fn with_node<R>(&self, id: ElementId, f: impl FnOnce(&Node) -> R) -> R {
        let tree = self.0.borrow();
        f(&tree.nodes[id.index as usize])
    }

    pub(crate) fn with_resource_mut<R>(
        &self,
        id: ElementId,
        f: impl FnOnce(&mut ResourceNode) -> R,
    ) -> R {
        self.with_node_mut(id, |n| match &mut n.kind {
            NodeKind::Resource(r) => f(r),
            _ => unreachable!("resource handles only point at resource nodes"),
        })
    }

    pub(crate) fn with_resource<R>(&self, id: ElementId, f: impl FnOnce(&ResourceNode) -> R) -> R {
        self.with_node(id, |n| match &n.kind {
            NodeKind::Resource(r) => f(r),
            _ => unreachable!("resource handles only point at resource nodes"),
        })
    }

    pub(crate) fn override_logical_id(&self, id: ElementId, logical_id: &str) {
        self.with_node_mut(id, |n| n.logical_id = Some(logical_id.to_string()));
    }
}

impl Tree {
    pub(crate) fn node(&self, id: ElementId) -> &Node {
        &self.nodes[id.index as usize]
    }

    /// Whether `id` belongs to this app's tree.
    pub(crate) fn owns(&self, id: ElementId) -> bool {
        id.app == self.serial && (id.index as usize) < self.nodes.len()
    }

    pub(crate) fn path_of(&self, id: ElementId) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            let n = self.node(c);
            parts.push(n.name.as_str());
            cur = n.parent;
        }
        parts.reverse();
        parts.join("/")
    }

    /// The node's names from just below its stack down to itself.
    pub(crate) fn components_below_stack(&self, id: ElementId) -> Vec<&str> {
        let mut parts = Vec::new();
        let mut cur = id;
        loop {
            let n = self.node(cur);
            match n.parent {
                Some(p) => {
                    parts.push(n.name.as_str());
                    cur = p;
                }
                None => break,
            }
        }
        parts.reverse();
        parts
    }

    /// Every node under `id` (itself included), depth first, children in insertion order.
    pub(crate) fn descendants(&self, id: ElementId) -> Vec<ElementId> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(cur) = stack.pop() {
            out.push(cur);
            stack.extend(self.node(cur).children.values().rev().copied());
        }
        out
    }
}

/// A child id must be non-empty, must not contain the path separator, and must contain a
/// letter or digit that a logical id can be made from.
fn check_child_id(id: &str) -> Result<(), &'static str> {
    if id.is_empty() {
        Err("it is empty")
    } else if id.contains('/') {
        Err("it contains '/', the path separator")
    } else if !id.chars().any(|c| c.is_ascii_alphanumeric()) {
        Err("it has no ASCII letter or digit to derive a logical id from")
    } else {
        Ok(())
    }
}
