//! Checks of your own over the synthesized resources: AWS CDK's Aspects and
//! `addValidation`, run on the template every level produces.
//!
//! A check sees each resource as it will be deployed (after tokens are resolved, tags
//! applied and property overrides merged), with its stack, logical id and construct path,
//! and reports [`Diagnostic`]s. Synth runs every check with its own validation and reports
//! their findings with the rest, all at once; an error stops synth like any other.
//!
//! ```
//! use stackwright_core::{App, Diagnostic, Env, Resource, Scope, Stack};
//! use stackwright_l1::sns;
//!
//! let app = App::new();
//! let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
//! Resource::new(&stack, "Alerts", sns::Topic::default()).unwrap();
//! // Our rule: every topic is encrypted with a key of ours.
//! stack.add_check(|r: &stackwright_core::CheckedResource<'_>, found: &mut Vec<Diagnostic>| {
//!     if r.resource_type == "AWS::SNS::Topic" && r.property("KmsMasterKeyId").is_none() {
//!         found.push(r.error("topic-unencrypted", "the topic has no KMS key")
//!             .with_hint("set kms_master_key_id to a key of the stack"));
//!     }
//! });
//! let build = app.build();
//! let found = app.run_checks(&build.stacks);
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].path, "Demo/Alerts");
//! ```

use std::any::Any;
use std::rc::Rc;

use crate::diagnostic::Diagnostic;
use serde_json::Value as Json;

/// One synthesized resource, as a check sees it.
#[derive(Debug, Clone, Copy)]
pub struct CheckedResource<'a> {
    /// The stack it is in.
    pub stack: &'a str,
    /// Its logical id in the template.
    pub logical_id: &'a str,
    /// Its construct path.
    pub path: &'a str,
    /// Its CloudFormation type, such as `AWS::S3::Bucket`.
    pub resource_type: &'a str,
    /// Its whole template entry: `Type`, `Properties`, `Metadata`, `DependsOn`, ...
    pub body: &'a Json,
}

impl<'a> CheckedResource<'a> {
    /// The property at `pointer` below `Properties` (`KmsKeyId`, or a JSON pointer such as
    /// `BucketEncryption/ServerSideEncryptionConfiguration/0`), when it is set.
    pub fn property(&self, pointer: &str) -> Option<&'a Json> {
        let properties = self.body.get("Properties")?;
        if pointer.contains('/') {
            properties.pointer(&format!("/{}", pointer.trim_start_matches('/')))
        } else {
            properties.get(pointer)
        }
    }

    /// An error about this resource: its path filled in.
    pub fn error(&self, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, self.path, message)
    }

    /// A warning about this resource.
    pub fn warning(&self, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(code, self.path, message)
    }
}

/// A check over synthesized resources. Any `Fn(&CheckedResource, &mut Vec<Diagnostic>)` is
/// one.
pub trait Check {
    /// Looks at `resource` and adds what it finds to `found`.
    fn check(&self, resource: &CheckedResource<'_>, found: &mut Vec<Diagnostic>);
}

impl<F> Check for F
where
    F: Fn(&CheckedResource<'_>, &mut Vec<Diagnostic>),
{
    fn check(&self, resource: &CheckedResource<'_>, found: &mut Vec<Diagnostic>) {
        self(resource, found)
    }
}

/// Rules over whole templates that a crate above core evaluates: synth's Guard rule packs.
/// Core keeps each choice with the app or stack that made it and hands them back
/// ([`App::template_rules`](crate::App::template_rules)) without knowing their type, so
/// the tree can hold the choice while core stays free of the rules' engine.
pub type TemplateRules = Rc<dyn Any>;

/// A check and the construct path it covers (`None`: the whole app).
#[derive(Clone)]
pub(crate) struct ScopedCheck {
    pub(crate) scope: Option<String>,
    pub(crate) check: Rc<dyn Check>,
}

impl ScopedCheck {
    /// Whether the resource at `path` is under this check's scope.
    pub(crate) fn covers(&self, path: &str) -> bool {
        match &self.scope {
            None => true,
            Some(scope) => {
                path == scope
                    || path
                        .strip_prefix(scope.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scoped(scope: Option<&str>) -> ScopedCheck {
        ScopedCheck {
            scope: scope.map(str::to_string),
            check: Rc::new(|_: &CheckedResource<'_>, _: &mut Vec<Diagnostic>| {}),
        }
    }

    #[test]
    fn a_scope_covers_itself_and_what_is_below_it_only() {
        let c = scoped(Some("Demo/Network"));
        assert!(c.covers("Demo/Network"));
        assert!(c.covers("Demo/Network/Subnet1"));
        assert!(!c.covers("Demo/NetworkAcl"));
        assert!(!c.covers("Demo"));
        assert!(scoped(None).covers("Anything/At/All"));
    }
}
