//! Deliberate exceptions to a security default, recorded where reviewers and scanners
//! see them.
//!
//! A construct departs from a secure default (a single-AZ database, say) only when its
//! props say so with a reason, and a scanner's finding on a resource is silenced only by a
//! call that gives one ([`skip_check`]). The reason is always the user's: the library never
//! supplies one. It is written into the resource's template metadata in the form checkov
//! reads (`Metadata.checkov.skip`), so the scan stays clean and the exception stays visible
//! in every review of the template.

use stackwright_core::{Expr, Resource};

use crate::error::ConstructError;

/// A checkov check a resource is exempt from, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOut {
    /// The check id, such as `CKV_AWS_157`.
    pub check: &'static str,
    /// Why the default does not apply here.
    pub reason: String,
}

/// Exempts `resource` from the checkov check `check` (such as `CKV_AWS_18`) for `reason`,
/// which is written beside it in the template. Exceptions already recorded on the resource
/// are kept; a second exception for the same check replaces the first's reason.
///
/// Fails when `reason` is empty: an exception nobody can explain is not one to keep.
///
/// ```
/// use stackwright_core::{App, Env, Resource, Stack};
/// use stackwright_l1::s3;
/// use stackwright_constructs::opt_out::skip_check;
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let bucket = Resource::new(&stack, "Logs", s3::Bucket::default()).unwrap();
/// skip_check(&bucket, "CKV_AWS_18", "this bucket receives the access logs of the others").unwrap();
/// assert!(skip_check(&bucket, "CKV_AWS_21", " ").is_err());
/// ```
pub fn skip_check<T>(
    resource: &Resource<T>,
    check: &str,
    reason: &str,
) -> Result<(), ConstructError> {
    if reason.trim().is_empty() {
        return Err(ConstructError::invalid(
            resource.path(),
            check,
            "an empty reason",
            "an exception needs a reason",
            "say why the check does not apply to this resource; reviewers read it in the template",
        ));
    }
    add(resource, check, reason);
    Ok(())
}

/// Writes the opt-outs into `resource`'s metadata, beside any recorded before.
pub(crate) fn record<T>(resource: &Resource<T>, opt_outs: &[OptOut]) {
    for o in opt_outs {
        add(resource, o.check, &o.reason);
    }
}

fn add<T>(resource: &Resource<T>, check: &str, reason: &str) {
    let mut skips = match resource.metadata("checkov") {
        Some(Expr::Object(mut o)) => match o.shift_remove("skip") {
            Some(Expr::List(l)) => l,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let entry = Expr::object([("id", Expr::str(check)), ("comment", Expr::str(reason))]);
    let same_check =
        |e: &Expr| matches!(e, Expr::Object(o) if o.get("id") == Some(&Expr::str(check)));
    match skips.iter_mut().find(|e| same_check(e)) {
        Some(existing) => *existing = entry,
        None => skips.push(entry),
    }
    resource.add_metadata("checkov", Expr::object([("skip", Expr::List(skips))]));
}
