//! Template outputs, optionally exported for other stacks.

use crate::error::CoreError;
use crate::tree::{AppRef, ElementId, NodeKind, Scope};
use crate::value::Value;

pub(crate) struct OutputNode {
    pub(crate) value: Value<String>,
    pub(crate) description: Option<String>,
    pub(crate) export_name: Option<Value<String>>,
    pub(crate) condition: Option<ElementId>,
}

/// A stack output: a value shown after deploy and, with an export name, importable by other
/// stacks. References between stacks of one app need no hand-written outputs: synth writes
/// the exports itself.
///
/// ```
/// use stackwright_core::{App, Env, Output, Stack};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// Output::new(&stack, "Url", "https://app.example.com").unwrap()
///     .description("Where the app answers");
/// ```
#[derive(Clone)]
pub struct Output {
    app: AppRef,
    id: ElementId,
}

impl Output {
    pub(crate) fn from_parts(app: AppRef, id: ElementId) -> Self {
        Output { app, id }
    }

    /// Adds an output with `value` to the stack of `scope`.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        value: impl Into<Value<String>>,
    ) -> Result<Self, CoreError> {
        let (app, parent) = scope.scope_ref();
        let node = OutputNode {
            value: value.into(),
            description: None,
            export_name: None,
            condition: None,
        };
        let id = app.add_child(parent, id, NodeKind::Output(Box::new(node)))?;
        Ok(Output { app, id })
    }

    /// Sets the description.
    pub fn description(&self, text: &str) -> &Self {
        let t = text.to_string();
        self.with(|o| o.description = Some(t));
        self
    }

    /// Exports the value under `name`, for `Fn::ImportValue` in stacks outside this app.
    pub fn export_name(&self, name: impl Into<Value<String>>) -> &Self {
        let n = name.into();
        self.with(|o| o.export_name = Some(n));
        self
    }

    /// Writes the output only when `condition` holds.
    pub fn condition(&self, condition: &crate::Condition) -> &Self {
        let c = condition.element();
        self.with(|o| o.condition = Some(c));
        self
    }

    /// Fixes the logical id instead of deriving it from the construct path.
    pub fn override_logical_id(&self, logical_id: &str) -> &Self {
        self.app.override_logical_id(self.id, logical_id);
        self
    }

    fn with(&self, f: impl FnOnce(&mut OutputNode)) {
        self.app.with_node_mut(self.id, |n| {
            if let NodeKind::Output(o) = &mut n.kind {
                f(o)
            }
        });
    }
}
