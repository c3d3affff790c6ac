//! Where names are looked up during evaluation: a chain of scopes, innermost first, as
//! cfn-guard builds it. A variable not found in a block's or a call's own scope is looked
//! up in the scope that evaluated it, so a parameterized rule sees its caller's parameters
//! (the Control Tower rules rely on that: `check_get_att_bucket_arn` reads `%doc`).
//!
//! The chain also knows which resource its checks are about ([`Scope::subject`]): the
//! value a block is checking, or the values a parameterized rule was called with. A check
//! on no value of a resource (`%referenced_resource not empty` in a rule the Control
//! Tower rules call on a property) is reported on that resource.

use crate::ast::{Let, LetValue, ParameterizedRule, Rule, RulesFile};
use crate::eval::{self, Status};
use crate::query::{self, QueryResult};
use crate::report::logical_id;
use crate::small_map::SmallMap;
use crate::value::Node;

/// How deeply rules may call rules (and variables refer to variables) before evaluation
/// stops with an error: a rule that depends on itself would otherwise never end.
const MAX_DEPTH: usize = 64;

pub(crate) type Result<T> = std::result::Result<T, String>;

/// A variable's values, shared: a variable is resolved once per scope and read many
/// times (every resource a rule checks reads `%resources` again).
pub(crate) type Values<'a> = std::rc::Rc<[QueryResult<'a>]>;

/// What evaluation needs from the scopes around it.
pub(crate) trait Scope<'a> {
    /// The value that relative queries start from.
    fn root(&self) -> &'a Node;
    /// A variable's values (`%name`).
    fn resolve_variable(&mut self, name: &'a str) -> Result<Values<'a>>;
    /// A named rule's status over the whole document, evaluated once.
    fn rule_status(&mut self, name: &'a str) -> Result<Status>;
    /// The parameterized rule called `name`.
    fn parameterized(&mut self, name: &str) -> Result<&'a ParameterizedRule>;
    /// Records a key captured by a named `[name]` or filter (`[ name | ... ]`).
    fn capture(&mut self, name: &'a str, key: &'a Node);
    /// Counts one more level of rule or variable evaluation; errs past [`MAX_DEPTH`].
    fn enter(&mut self) -> Result<()>;
    /// Leaves the level [`Scope::enter`] counted.
    fn leave(&mut self);
    /// The value in a resource (`/Resources/<Id>/...`) that checks made here are about,
    /// for a check whose own value is in none: the nearest value a block is checking that
    /// is in a resource, or the values a parameterized rule was called with when they are
    /// in one resource. `None` when the nearest such scope holds values of several
    /// resources (a failure there is about no one of them), or when no scope is in one.
    fn subject(&self) -> Option<&'a Node>;
}

/// Runs `parts` from the root of a scope behind `dyn`.
pub(crate) fn query<'a>(
    scope: &mut dyn Scope<'a>,
    parts: &'a [crate::ast::Part],
) -> Result<Vec<QueryResult<'a>>> {
    let root = scope.root();
    query::retrieve(0, parts, root, scope)
}

/// A block's (or the file's) `let`s, evaluated on first use and kept.
struct Variables<'a> {
    lets: SmallMap<'a, &'a LetValue>,
    resolved: SmallMap<'a, Values<'a>>,
}

impl<'a> Variables<'a> {
    /// Adds a captured key to `name`'s values (captures are few: copying is cheap).
    fn capture(&mut self, name: &'a str, key: &'a Node) {
        let mut values = self
            .resolved
            .get(name)
            .map(|v| v.to_vec())
            .unwrap_or_default();
        values.push(QueryResult::Resolved(key));
        self.resolved.insert(name, values.into());
    }

    fn new(assignments: &'a [Let]) -> Self {
        let lets = assignments
            .iter()
            .map(|l| (l.name.as_str(), &l.value))
            .collect();
        Variables {
            lets,
            resolved: SmallMap::default(),
        }
    }
}

/// The outermost scope: the document, the file's `let`s and its rules.
pub(crate) struct RootScope<'a> {
    root: &'a Node,
    vars: Variables<'a>,
    rules: SmallMap<'a, Vec<&'a Rule>>,
    parameterized: SmallMap<'a, &'a ParameterizedRule>,
    statuses: SmallMap<'a, Status>,
    depth: usize,
}

impl<'a> RootScope<'a> {
    pub(crate) fn new(file: &'a RulesFile, root: &'a Node) -> Self {
        let mut rules: SmallMap<Vec<&Rule>> = SmallMap::default();
        for rule in &file.rules {
            rules.entry_or_default(rule.name.as_str()).push(rule);
        }
        let parameterized = file
            .parameterized
            .iter()
            .map(|p| (p.rule.name.as_str(), p))
            .collect();
        RootScope {
            root,
            vars: Variables::new(&file.assignments),
            rules,
            parameterized,
            statuses: SmallMap::default(),
            depth: 0,
        }
    }
}

impl<'a> Scope<'a> for RootScope<'a> {
    fn root(&self) -> &'a Node {
        self.root
    }

    fn resolve_variable(&mut self, name: &'a str) -> Result<Values<'a>> {
        if let Some(values) = self.vars.resolved.get(name) {
            return Ok(values.clone());
        }
        let Some(value) = self.vars.lets.get(name).copied() else {
            return Err(format!(
                "Could not resolve variable by name {name} across scopes"
            ));
        };
        let values: Values = resolve_let(self, value)?.into();
        self.vars.resolved.insert(name, values.clone());
        Ok(values)
    }

    fn rule_status(&mut self, name: &'a str) -> Result<Status> {
        if let Some(status) = self.statuses.get(name) {
            return Ok(*status);
        }
        let Some(rules) = self.rules.get(name).cloned() else {
            return Err(format!("Rule {name} by that name does not exist"));
        };
        let mut status = Status::Skip;
        for rule in rules {
            let mut ignored = Vec::new();
            let s = eval::eval_rule(rule, self, &mut ignored)?;
            if s != Status::Skip {
                status = s;
                break;
            }
        }
        self.statuses.insert(name, status);
        Ok(status)
    }

    fn parameterized(&mut self, name: &str) -> Result<&'a ParameterizedRule> {
        self.parameterized
            .get(name)
            .copied()
            .ok_or_else(|| format!("Parameterized Rule with name {name} was not found"))
    }

    fn capture(&mut self, name: &'a str, key: &'a Node) {
        self.vars.capture(name, key);
    }

    fn enter(&mut self) -> Result<()> {
        if self.depth >= MAX_DEPTH {
            return Err(format!(
                "rules or variables nest more than {MAX_DEPTH} deep (does a rule or variable refer to itself?)"
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn subject(&self) -> Option<&'a Node> {
        None
    }
}

/// Evaluates a `let`'s value in `scope`.
fn resolve_let<'a>(scope: &mut dyn Scope<'a>, value: &'a LetValue) -> Result<Vec<QueryResult<'a>>> {
    match value {
        LetValue::Value(node) => Ok(vec![QueryResult::Literal(node)]),
        LetValue::Query(q) => {
            scope.enter()?;
            let result = query(scope, &q.parts);
            scope.leave();
            let values = result?;
            Ok(if q.match_all {
                values
            } else {
                values
                    .into_iter()
                    .filter(|r| r.resolved().is_some())
                    .collect()
            })
        }
    }
}

/// A block's scope: its own `let`s over the value it checks.
pub(crate) struct BlockScope<'a, 'p> {
    root: &'a Node,
    vars: Variables<'a>,
    parent: &'p mut dyn Scope<'a>,
}

impl<'a, 'p> BlockScope<'a, 'p> {
    pub(crate) fn new(assignments: &'a [Let], parent: &'p mut dyn Scope<'a>) -> Self {
        BlockScope {
            root: parent.root(),
            vars: Variables::new(assignments),
            parent,
        }
    }
}

impl<'a> Scope<'a> for BlockScope<'a, '_> {
    fn root(&self) -> &'a Node {
        self.root
    }

    fn resolve_variable(&mut self, name: &'a str) -> Result<Values<'a>> {
        if let Some(values) = self.vars.resolved.get(name) {
            return Ok(values.clone());
        }
        let Some(value) = self.vars.lets.get(name).copied() else {
            return self.parent.resolve_variable(name);
        };
        let values: Values = resolve_let(self, value)?.into();
        self.vars.resolved.insert(name, values.clone());
        Ok(values)
    }

    fn rule_status(&mut self, name: &'a str) -> Result<Status> {
        self.parent.rule_status(name)
    }

    fn parameterized(&mut self, name: &str) -> Result<&'a ParameterizedRule> {
        self.parameterized_of_parent(name)
    }

    fn capture(&mut self, name: &'a str, key: &'a Node) {
        self.vars.capture(name, key);
    }

    fn enter(&mut self) -> Result<()> {
        self.parent.enter()
    }

    fn leave(&mut self) {
        self.parent.leave()
    }

    fn subject(&self) -> Option<&'a Node> {
        self.parent.subject()
    }
}

impl<'a> BlockScope<'a, '_> {
    fn parameterized_of_parent(&mut self, name: &str) -> Result<&'a ParameterizedRule> {
        self.parent.parameterized(name)
    }
}

/// A scope whose root is one value (each value a block or filter checks); everything
/// else is its parent's.
pub(crate) struct ValueScope<'a, 'p> {
    pub(crate) root: &'a Node,
    pub(crate) parent: &'p mut dyn Scope<'a>,
}

/// A parameterized rule's arguments, by parameter name.
pub(crate) struct CallScope<'a, 'p> {
    pub(crate) arguments: SmallMap<'a, Values<'a>>,
    pub(crate) parent: &'p mut dyn Scope<'a>,
}

macro_rules! delegate {
    ($ty:ident, $root:expr, $resolve:expr, $subject:expr) => {
        impl<'a> Scope<'a> for $ty<'a, '_> {
            fn root(&self) -> &'a Node {
                #[allow(clippy::redundant_closure_call)]
                ($root)(self)
            }

            fn resolve_variable(&mut self, name: &'a str) -> Result<Values<'a>> {
                #[allow(clippy::redundant_closure_call)]
                ($resolve)(self, name)
            }

            fn rule_status(&mut self, name: &'a str) -> Result<Status> {
                self.parent.rule_status(name)
            }

            fn parameterized(&mut self, name: &str) -> Result<&'a ParameterizedRule> {
                self.parent.parameterized(name)
            }

            fn capture(&mut self, name: &'a str, key: &'a Node) {
                self.parent.capture(name, key)
            }

            fn enter(&mut self) -> Result<()> {
                self.parent.enter()
            }

            fn leave(&mut self) {
                self.parent.leave()
            }

            fn subject(&self) -> Option<&'a Node> {
                #[allow(clippy::redundant_closure_call)]
                ($subject)(self)
            }
        }
    };
}

delegate!(
    ValueScope,
    |s: &ValueScope<'a, '_>| s.root,
    |s: &mut ValueScope<'a, '_>, name| s.parent.resolve_variable(name),
    |s: &ValueScope<'a, '_>| match logical_id(&s.root.path) {
        Some(_) => Some(s.root),
        None => s.parent.subject(),
    }
);
delegate!(
    CallScope,
    |s: &CallScope<'a, '_>| s.parent.root(),
    |s: &mut CallScope<'a, '_>, name: &'a str| match s.arguments.get(name) {
        Some(values) => Ok(values.clone()),
        None => s.parent.resolve_variable(name),
    },
    CallScope::subject_of_arguments
);

impl<'a> CallScope<'a, '_> {
    /// The arguments' value in a resource, when they are in exactly one resource.
    /// Arguments in no resource (the whole document, a rule's literal) say nothing of
    /// their own; when no argument is in a resource, the caller's subject.
    fn subject_of_arguments(&self) -> Option<&'a Node> {
        let mut found: Option<(&'a Node, &str)> = None;
        for result in self.arguments.values().flat_map(|v| v.iter()) {
            let node = match result {
                QueryResult::Literal(n) | QueryResult::Resolved(n) => *n,
                QueryResult::Unresolved(u) => u.traversed_to,
            };
            let Some(id) = logical_id(&node.path) else {
                continue;
            };
            match found {
                None => found = Some((node, id)),
                Some((_, seen)) if seen == id => {}
                // Values of several resources: the failure is about no one of them.
                Some(_) => return None,
            }
        }
        match found {
            Some((node, _)) => Some(node),
            None => self.parent.subject(),
        }
    }
}
