//! Tags on the app, a stack or a construct, applied to every taggable resource below.

use crate::tree::{AppRef, ElementId};

/// The tags of one scope. Every resource type that takes tags (known from its schema) gets
/// the tags of all its enclosing scopes; the nearest scope wins for a key, and tags set in
/// the resource's own properties win over all. Tags are written sorted by key.
///
/// ```
/// use stackwright_core::{App, Env, Scope, Stack};
/// let app = App::new();
/// app.tags().add("Project", "Web");
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// stack.tags().add("Environment", "production").add("Owner", "platform");
/// ```
#[derive(Clone)]
pub struct Tags {
    app: AppRef,
    target: Option<ElementId>,
}

impl Tags {
    pub(crate) fn new(app: AppRef, target: ElementId) -> Self {
        Tags {
            app,
            target: Some(target),
        }
    }

    pub(crate) fn for_app(app: AppRef) -> Self {
        Tags { app, target: None }
    }

    /// Sets `key` to `value`, replacing an earlier value for the same key at this scope.
    /// Keys and values are checked at synth (length, the reserved `aws:` prefix, count).
    pub fn add(&self, key: &str, value: &str) -> &Self {
        let pair = (key.to_string(), value.to_string());
        let set = |tags: &mut Vec<(String, String)>| match tags.iter_mut().find(|t| t.0 == pair.0) {
            Some(t) => t.1 = pair.1.clone(),
            None => tags.push(pair.clone()),
        };
        match self.target {
            Some(id) => self.app.with_node_mut(id, |n| set(&mut n.tags)),
            None => set(&mut self.app.0.borrow_mut().tags),
        }
        self
    }
}
