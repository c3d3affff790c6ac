//! Fixes for bugs and oddities in the vendored schemas, applied to the JSON before the
//! model is built. All of them live here, each with the reason it exists, so that a schema
//! refresh can be checked against this one list (as k8s-openapi does with
//! `fixups/upstream_bugs.rs`).
//!
//! Every fix must still find what it fixes: when a refreshed schema no longer has the bug,
//! generation fails and names the fix, which should then be deleted.
//!
//! What the generator handles by rule rather than by fix (so it is not listed here):
//! values with more than one JSON type become `Value<Json>`; `oneOf`/`anyOf` branches that
//! only list `required` properties are ignored; branches that carry `properties`
//! contribute them, optional, to one struct; objects without `properties` or
//! `patternProperties` are free-form `Value<Json>`; recursive definitions are boxed.

use serde_json::Value;

use crate::error::Error;

/// One fix to one resource type's schema.
pub struct Fixup {
    /// The resource type it applies to.
    pub type_name: &'static str,
    /// A short name, used in errors.
    pub name: &'static str,
    /// Applies the fix; returns false when there was nothing to fix.
    pub apply: fn(&mut Value) -> bool,
}

/// Every fix, in the order they are applied.
pub const FIXUPS: &[Fixup] = &[Fixup {
    type_name: "AWS::CertificateManager::Certificate",
    name: "drop-typeless-id",
    // cfn-lint's adjusted schema carries a property `Id` that has nothing but
    // `"format": "AWS::ACM::Certificate.Arn"`: cfn-lint uses it to type what `Ref`
    // returns. It is not an input CloudFormation accepts (the documented properties
    // have no `Id`), and without a type it would become a `Value<Json>` field that
    // invites a broken template.
    apply: |schema| remove_property(schema, "Id", |p| p.get("type").is_none()),
}];

/// Applies every fix for `type_name`. Fails when a fix found nothing to fix.
pub fn apply(type_name: &str, schema: &mut Value) -> Result<(), Error> {
    for fix in FIXUPS.iter().filter(|f| f.type_name == type_name) {
        if !(fix.apply)(schema) {
            return Err(Error::new(format!(
                "{type_name}: fixup `{}` no longer applies; the schema changed, so check \
                 the fix in crates/codegen/src/fixups.rs and delete it if it is obsolete",
                fix.name
            )));
        }
    }
    Ok(())
}

/// Removes property `name` of the resource when `check` holds for it; true if removed.
fn remove_property(schema: &mut Value, name: &str, check: fn(&Value) -> bool) -> bool {
    let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return false;
    };
    if !props.get(name).is_some_and(check) {
        return false;
    }
    props.shift_remove(name);
    if let Some(req) = schema.get_mut("required").and_then(Value::as_array_mut) {
        req.retain(|r| r != name);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn certificate_id_is_dropped() {
        let mut schema = json!({"properties": {
            "DomainName": {"type": "string"},
            "Id": {"format": "AWS::ACM::Certificate.Arn"}
        }});
        apply("AWS::CertificateManager::Certificate", &mut schema).unwrap();
        assert_eq!(
            schema,
            json!({"properties": {"DomainName": {"type": "string"}}})
        );
    }

    #[test]
    fn a_fix_that_finds_nothing_is_an_error() {
        let mut schema = json!({"properties": {"DomainName": {"type": "string"}}});
        let err = apply("AWS::CertificateManager::Certificate", &mut schema).unwrap_err();
        assert!(err.to_string().contains("drop-typeless-id"));
    }

    #[test]
    fn other_types_are_untouched() {
        let mut schema = json!({"properties": {"Id": {}}});
        apply("AWS::EC2::VPC", &mut schema).unwrap();
        assert_eq!(schema, json!({"properties": {"Id": {}}}));
    }
}
