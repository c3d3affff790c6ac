//! Template conditions and `Fn::If`.

use crate::error::CoreError;
use crate::expr::Expr;
use crate::tree::{AppRef, ElementId, NodeKind, Scope};
use crate::value::Value;

/// A condition expression: `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not` and references to
/// other conditions.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionExpr(pub(crate) Expr);

impl ConditionExpr {
    /// `Fn::Equals`: true when both values are equal.
    pub fn equals(a: impl Into<Value<String>>, b: impl Into<Value<String>>) -> Self {
        ConditionExpr(Expr::Call(
            "Fn::Equals",
            Box::new(Expr::List(vec![a.into().into_expr(), b.into().into_expr()])),
        ))
    }

    /// `Fn::And` of two to ten conditions.
    pub fn and(all: impl IntoIterator<Item = ConditionExpr>) -> Self {
        ConditionExpr(Expr::Call(
            "Fn::And",
            Box::new(Expr::List(all.into_iter().map(|c| c.0).collect())),
        ))
    }

    /// `Fn::Or` of two to ten conditions.
    pub fn or(any: impl IntoIterator<Item = ConditionExpr>) -> Self {
        ConditionExpr(Expr::Call(
            "Fn::Or",
            Box::new(Expr::List(any.into_iter().map(|c| c.0).collect())),
        ))
    }

    /// `Fn::Not`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(c: ConditionExpr) -> Self {
        ConditionExpr(Expr::Call("Fn::Not", Box::new(Expr::List(vec![c.0]))))
    }

    /// Another named condition.
    pub fn condition(c: &Condition) -> Self {
        ConditionExpr(Expr::ConditionRef(c.id))
    }
}

/// A named template condition, usable in [`Value::if_`] and on resources.
///
/// ```
/// use stackwright_core::{App, Condition, ConditionExpr, Env, Parameter, ParameterProps, Stack, Value};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let env = Parameter::new(&stack, "Environment", ParameterProps::string_with_default("staging")).unwrap();
/// let is_prod = Condition::new(&stack, "IsProduction", ConditionExpr::equals(env.value::<String>(), "production")).unwrap();
/// let size: Value<String> = Value::if_(&is_prod, "db.t3.medium", "db.t3.small");
/// # let _ = size;
/// ```
#[derive(Clone)]
pub struct Condition {
    app: AppRef,
    id: ElementId,
}

impl Condition {
    pub(crate) fn from_parts(app: AppRef, id: ElementId) -> Self {
        Condition { app, id }
    }

    /// Adds a condition to the stack of `scope`.
    pub fn new(scope: &impl Scope, id: &str, expr: ConditionExpr) -> Result<Self, CoreError> {
        let (app, parent) = scope.scope_ref();
        let id = app.add_child(parent, id, NodeKind::Condition(expr.0))?;
        Ok(Condition { app, id })
    }

    /// The node id.
    pub fn element(&self) -> ElementId {
        self.id
    }

    /// Fixes the logical id instead of deriving it from the construct path.
    pub fn override_logical_id(&self, logical_id: &str) {
        self.app.override_logical_id(self.id, logical_id);
    }
}

impl<T> Value<T> {
    /// `Fn::If`: `when_true` where `condition` holds, else `when_false`.
    pub fn if_(
        condition: &Condition,
        when_true: impl Into<Value<T>>,
        when_false: impl Into<Value<T>>,
    ) -> Self {
        Value::from_expr(Expr::If(
            condition.id,
            Box::new(when_true.into().into_expr()),
            Box::new(when_false.into().into_expr()),
        ))
    }
}
