//! Template mappings and `Fn::FindInMap`.

use indexmap::IndexMap;

use crate::error::CoreError;
use crate::expr::Expr;
use crate::tree::{AppRef, ElementId, NodeKind, Scope};
use crate::value::Value;

/// A two-level lookup table in the template (`Mappings`).
///
/// ```
/// use indexmap::IndexMap;
/// use stackwright_core::{App, Env, Mapping, Stack, Value, Pseudo};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let mut table = IndexMap::new();
/// table.insert("us-east-1".to_string(), IndexMap::from([("ElbAccount".to_string(), "127311923021".into())]));
/// let accounts = Mapping::new(&stack, "ElbAccounts", table).unwrap();
/// let _account: Value<String> = accounts.find(Value::pseudo(Pseudo::Region), "ElbAccount");
/// ```
#[derive(Clone)]
pub struct Mapping {
    app: AppRef,
    id: ElementId,
}

impl Mapping {
    pub(crate) fn from_parts(app: AppRef, id: ElementId) -> Self {
        Mapping { app, id }
    }

    /// Adds a mapping to the stack of `scope`. Values are literals (strings, numbers,
    /// lists of strings).
    pub fn new(
        scope: &impl Scope,
        id: &str,
        table: IndexMap<String, IndexMap<String, Expr>>,
    ) -> Result<Self, CoreError> {
        let (app, parent) = scope.scope_ref();
        let id = app.add_child(parent, id, NodeKind::Mapping(table))?;
        Ok(Mapping { app, id })
    }

    /// `Fn::FindInMap`: the value under `top_key`, then `second_key`.
    pub fn find<T>(
        &self,
        top_key: impl Into<Value<String>>,
        second_key: impl Into<Value<String>>,
    ) -> Value<T> {
        Value::from_expr(Expr::FindInMap(
            self.id,
            Box::new(top_key.into().into_expr()),
            Box::new(second_key.into().into_expr()),
        ))
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

impl From<&str> for Expr {
    fn from(s: &str) -> Self {
        Expr::str(s)
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Self {
        Expr::Str(s)
    }
}

impl From<bool> for Expr {
    fn from(b: bool) -> Self {
        Expr::Bool(b)
    }
}

impl From<i64> for Expr {
    fn from(i: i64) -> Self {
        Expr::Int(i)
    }
}

impl<T> From<Value<T>> for Expr {
    fn from(v: Value<T>) -> Self {
        v.into_expr()
    }
}
