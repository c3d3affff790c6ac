//! Reading the vendored resource schemas: what both the model and the attribute rules
//! need, kept apart so that neither has to reach into the other.

use serde_json::Value;

/// Resolves a local `$ref` (`#/definitions/X`).
pub fn resolve_ref<'a>(schema: &'a Value, reference: &str) -> Option<&'a Value> {
    schema.pointer(reference.strip_prefix('#')?)
}
