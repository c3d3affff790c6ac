//! Deliberate exceptions to a security default, recorded where reviewers and scanners
//! see them.
//!
//! A construct that departs from a secure default (a single-AZ staging database, say) does
//! so only when its props say so with a reason; the reason is written into the resource's
//! template metadata in the form checkov reads (`Metadata.checkov.skip`), so the scan
//! stays clean and the exception stays visible in every review of the template.

use stackwright_core::{Expr, Resource};

/// A checkov check a resource is exempt from, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOut {
    /// The check id, such as `CKV_AWS_157`.
    pub check: &'static str,
    /// Why the default does not apply here.
    pub reason: String,
}

/// Writes the opt-outs into `resource`'s metadata (replacing earlier ones it wrote).
pub(crate) fn record<T>(resource: &Resource<T>, opt_outs: &[OptOut]) {
    if opt_outs.is_empty() {
        return;
    }
    let skips = opt_outs
        .iter()
        .map(|o| {
            Expr::object([
                ("id", Expr::str(o.check)),
                ("comment", Expr::str(&o.reason)),
            ])
        })
        .collect();
    resource.add_metadata("checkov", Expr::object([("skip", Expr::List(skips))]));
}
