//! Rules turned off for one resource, with a reason recorded in the template
//! ([`Resource::suppress_rule`](stackwright_core::Resource::suppress_rule) writes
//! `Metadata.stackwright.Suppress: [{"Rule": ..., "Reason": ...}]`).
//!
//! A suppressed finding is not dropped: it becomes a note that says whose reason turned
//! it off, so the exception stays visible in every synth. A suppression without a reason,
//! or one that matches no finding, is reported too.

use serde_json::Value as Json;
use stackwright_core::resource::SUPPRESS_KEY;
use stackwright_core::{Diagnostic, Severity, StackArtifact};

/// One rule turned off on one resource.
struct Suppression<'t> {
    path: String,
    rule: &'t str,
    reason: &'t str,
    used: bool,
}

/// Turns the findings that a resource's suppressions cover into notes, and reports
/// suppressions that are malformed or match nothing.
pub(crate) fn apply(stacks: &[StackArtifact], diagnostics: &mut Vec<Diagnostic>) {
    let mut suppressions = Vec::new();
    let pointer = format!("/Metadata/{SUPPRESS_KEY}/Suppress");
    for s in stacks {
        let resources = s.template.get("Resources").and_then(Json::as_object);
        for (lid, body) in resources.into_iter().flatten() {
            let Some(list) = body.pointer(&pointer) else {
                continue;
            };
            let path = s.path_of(lid);
            let items = list.as_array().map_or(&[][..], Vec::as_slice);
            if items.is_empty() {
                diagnostics.push(malformed(
                    &path,
                    "is not a list of {\"Rule\", \"Reason\"} objects",
                ));
            }
            for item in items {
                let rule = item.get("Rule").and_then(Json::as_str);
                let reason = item.get("Reason").and_then(Json::as_str).map(str::trim);
                match (rule, reason) {
                    (Some(rule), Some(reason)) if !reason.is_empty() => {
                        suppressions.push(Suppression {
                            path: path.clone(),
                            rule,
                            reason,
                            used: false,
                        })
                    }
                    (Some(rule), _) => diagnostics.push(malformed(
                        &path,
                        &format!("turns off '{rule}' without a reason"),
                    )),
                    (None, _) => diagnostics.push(malformed(&path, "has an entry without a Rule")),
                }
            }
        }
    }
    for d in diagnostics.iter_mut() {
        if d.severity == Severity::Note {
            continue;
        }
        if let Some(s) = suppressions
            .iter_mut()
            .find(|s| s.rule == d.code && s.path == d.path)
        {
            s.used = true;
            d.severity = Severity::Note;
            d.message = format!("suppressed ({}): {}", s.reason, d.message);
        }
    }
    for s in suppressions.iter().filter(|s| !s.used) {
        diagnostics.push(
            Diagnostic::warning(
                "unused-suppression",
                s.path.clone(),
                format!(
                    "the rule '{}' is turned off here, but it finds nothing",
                    s.rule
                ),
            )
            .with_hint("remove the suppression, or check the rule's code (the word in error[...])"),
        );
    }
}

fn malformed(path: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "invalid-suppression",
        path,
        format!("Metadata.{SUPPRESS_KEY}.Suppress {what}"),
    )
    .with_hint("turn a rule off with resource.suppress_rule(rule, reason), which records both")
}
