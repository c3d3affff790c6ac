//! The app: the root of the construct tree, holding every stack.

use crate::stack::Stack;
use crate::tags::Tags;
use crate::tree::AppRef;

/// The root of a stackwright program: a set of stacks that are synthesized together, so
/// that references between them become exports and imports.
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// let app = App::new();
/// Stack::new(&app, "Web-Production", Env::new("123456789012", "us-east-1")).unwrap();
/// assert_eq!(app.stacks().len(), 1);
/// ```
#[derive(Clone)]
pub struct App {
    pub(crate) tree: AppRef,
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl App {
    /// An empty app.
    pub fn new() -> Self {
        App {
            tree: AppRef::new_tree(),
        }
    }

    /// Every stack, in the order they were created.
    pub fn stacks(&self) -> Vec<Stack> {
        let ids: Vec<_> = self.tree.0.borrow().stacks.values().copied().collect();
        ids.into_iter()
            .map(|id| Stack::from_parts(self.tree.clone(), id))
            .collect()
    }

    /// The stack called `name`.
    pub fn stack(&self, name: &str) -> Option<Stack> {
        let id = self.tree.0.borrow().stacks.get(name).copied()?;
        Some(Stack::from_parts(self.tree.clone(), id))
    }

    /// Tags applied to every taggable resource of every stack (a stack's or construct's own
    /// tags win for the same key).
    pub fn tags(&self) -> Tags {
        Tags::for_app(self.tree.clone())
    }

    /// The app a scope (stack, construct, handle) belongs to.
    pub fn of(scope: &impl crate::Scope) -> App {
        App {
            tree: scope.scope_ref().0,
        }
    }

    /// Runs `check` at synth over every resource of every stack (see [`crate::check`]).
    pub fn add_check(&self, check: impl crate::Check + 'static) {
        self.tree.add_check(None, std::rc::Rc::new(check));
    }

    /// Keeps `rules` to be evaluated over every stack's template (see
    /// [`crate::check::TemplateRules`]; synth's `with_rule_packs` is the way in).
    pub fn add_template_rules(&self, rules: crate::check::TemplateRules) {
        self.tree.add_template_rules(None, rules);
    }

    /// The template rules chosen for the stack called `stack`: the app's first, then the
    /// stack's own, each in the order it was added.
    pub fn template_rules(&self, stack: &str) -> Vec<crate::check::TemplateRules> {
        let tree = self.tree.0.borrow();
        let app = tree.template_rules.iter().filter(|(s, _)| s.is_none());
        let own = tree
            .template_rules
            .iter()
            .filter(|(s, _)| s.as_deref() == Some(stack));
        app.chain(own).map(|(_, r)| r.clone()).collect()
    }

    /// What the program's own checks find in `stacks` (built by [`App::build`]): synth
    /// calls this beside its validation.
    pub fn run_checks(&self, stacks: &[crate::StackArtifact]) -> Vec<crate::Diagnostic> {
        // Cloned out first: a check may read the tree.
        let checks = self.tree.0.borrow().checks.clone();
        run_checks(&checks, stacks)
    }

    /// The shared tree, for the crates that build on core.
    #[doc(hidden)]
    pub fn tree(&self) -> &AppRef {
        &self.tree
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self.tree.0.borrow().stacks.keys().cloned().collect();
        f.debug_struct("App").field("stacks", &names).finish()
    }
}

/// Runs `checks` over every resource of `stacks`, in stack and template order.
fn run_checks(
    checks: &[crate::check::ScopedCheck],
    stacks: &[crate::StackArtifact],
) -> Vec<crate::Diagnostic> {
    let mut found = Vec::new();
    if checks.is_empty() {
        return found;
    }
    for stack in stacks {
        let Some(resources) = stack
            .template
            .get("Resources")
            .and_then(serde_json::Value::as_object)
        else {
            continue;
        };
        for (logical_id, body) in resources {
            let path = stack
                .resources
                .get(logical_id)
                .map_or(logical_id.as_str(), |info| info.path.as_str());
            let resource = crate::CheckedResource {
                stack: &stack.name,
                logical_id,
                path,
                resource_type: body
                    .get("Type")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or(""),
                body,
            };
            for c in checks.iter().filter(|c| c.covers(path)) {
                c.check.check(&resource, &mut found);
            }
        }
    }
    found
}
