//! The chosen Guard rule packs over each stack's template: every failed rule becomes a
//! finding on the resource's construct path, unless the resource records an exception
//! for that rule with a reason (`Metadata.guard`, which
//! [`Resource::guard_exception`](stackwright_core::Resource::guard_exception) writes).
//!
//! An excepted finding stays visible as a note with its reason, and an exception that
//! matches no finding of the stack's packs is a warning, as synth's own suppressions are.
//! The rules see the template without `Metadata.guard`: the Guard Rules Registry's rules
//! skip a resource that names them there, and synth must see the finding to say whose
//! reason excepts it (and whether an exception is still needed).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value as Json;
use stackwright_core::resource::GUARD_KEY;
use stackwright_core::{App, Diagnostic, Severity, StackArtifact};
use stackwright_guard::{Document, Failure, Pack, Report, RuleResult, RuleSet, Status};

use crate::rule_packs::{RulePack, chosen};

/// One exception recorded on a resource: the rule it may break and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardException {
    /// The resource's construct path.
    pub path: String,
    /// Its logical id.
    pub logical_id: String,
    /// The rule, as recorded: a control id (`CT.S3.PR.2`) or a rule name.
    pub rule: String,
    /// The reason recorded; empty when `Metadata.guard.Reasons` has none for the rule.
    pub reason: String,
}

/// The exceptions recorded in a stack's template, in template order: what `synth`
/// lists as in force.
pub fn guard_exceptions(stack: &StackArtifact) -> Vec<GuardException> {
    let mut out = Vec::new();
    let resources = stack.template.get("Resources").and_then(Json::as_object);
    for (lid, body) in resources.into_iter().flatten() {
        let Some(guard) = body.get("Metadata").and_then(|m| m.get(GUARD_KEY)) else {
            continue;
        };
        let path = stack.path_of(lid);
        let rules = guard.get("SuppressedRules").and_then(Json::as_array);
        for rule in rules.into_iter().flatten().filter_map(Json::as_str) {
            let reason = guard
                .get("Reasons")
                .and_then(|r| r.get(rule))
                .and_then(Json::as_str)
                .map_or("", str::trim);
            out.push(GuardException {
                path: path.clone(),
                logical_id: lid.clone(),
                rule: rule.to_string(),
                reason: reason.to_string(),
            });
        }
    }
    out
}

/// The packs chosen for each stack, looked up on the app's thread (the construct tree is
/// not shared between threads) so that evaluating them can go to others.
pub(crate) struct Plan {
    per_stack: Vec<Vec<Chosen>>,
}

/// One pack, ready to evaluate anywhere.
struct Chosen {
    name: String,
    rules: Arc<RuleSet>,
}

/// Which packs each of `stacks` gets.
pub(crate) fn plan(app: &App, stacks: &[StackArtifact]) -> Plan {
    let per_stack = stacks
        .iter()
        .map(|stack| {
            chosen(app, &stack.name)
                .iter()
                .map(|pack| Chosen {
                    name: pack.name().to_string(),
                    rules: rule_set(pack),
                })
                .collect()
        })
        .collect();
    Plan { per_stack }
}

impl Plan {
    /// Whether any stack gets a pack.
    pub(crate) fn is_empty(&self) -> bool {
        self.per_stack.iter().all(Vec::is_empty)
    }
}

/// The stacks' findings, evaluated by whichever thread takes each stack first, and kept
/// in stack order so the output does not depend on which thread that was.
pub(crate) struct Work<'s> {
    stacks: &'s [StackArtifact],
    plan: &'s Plan,
    next: AtomicUsize,
    found: Vec<Mutex<Vec<Diagnostic>>>,
}

impl<'s> Work<'s> {
    pub(crate) fn new(stacks: &'s [StackArtifact], plan: &'s Plan) -> Work<'s> {
        Work {
            stacks,
            plan,
            next: AtomicUsize::new(0),
            found: stacks.iter().map(|_| Mutex::new(Vec::new())).collect(),
        }
    }

    /// Evaluates stacks until none is left.
    pub(crate) fn run(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let (Some(stack), Some(packs)) = (self.stacks.get(i), self.plan.per_stack.get(i))
            else {
                return;
            };
            if packs.is_empty() {
                continue;
            }
            let mut found = Vec::new();
            stack_findings(stack, packs, &mut found);
            if let Ok(mut slot) = self.found[i].lock() {
                *slot = found;
            }
        }
    }

    /// Every finding, stack by stack.
    pub(crate) fn findings(self) -> Vec<Diagnostic> {
        self.found
            .into_iter()
            .flat_map(|m| {
                m.into_inner()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
            })
            .collect()
    }
}

fn stack_findings(stack: &StackArtifact, packs: &[Chosen], found: &mut Vec<Diagnostic>) {
    let recorded = guard_exceptions(stack);
    // Converted once for every pack; without `Metadata.guard` only when a resource
    // records an exception there (with a reason or not), so no rule passes over it.
    let document = if recorded.is_empty() {
        Document::new(&stack.template)
    } else {
        Document::without_guard_metadata(&stack.template)
    };
    let mut exceptions: Vec<(GuardException, bool)> = Vec::new();
    for e in recorded {
        if e.reason.is_empty() {
            found.push(
                Diagnostic::error(
                    "invalid-guard-exception",
                    e.path.clone(),
                    format!(
                        "Metadata.guard.SuppressedRules names '{}' without a reason under Metadata.guard.Reasons",
                        e.rule
                    ),
                )
                .with_hint("record an exception with resource.guard_exception(rule, reason), which writes both"),
            );
        } else {
            exceptions.push((e, false));
        }
    }
    let names: Vec<&str> = packs.iter().map(|p| p.name.as_str()).collect();
    for pack in packs {
        let report = pack.rules.evaluate_document(&document);
        for e in &report.errors {
            found.push(
                Diagnostic::error(
                    "guard-rules",
                    stack.name.clone(),
                    format!("the rule pack {} could not evaluate {e}", pack.name),
                )
                .with_hint("fix the rule file; cfn-guard abandons such a file too"),
            );
        }
        // The pack over the template as written, Metadata.guard and all: asked only for a
        // finding on no resource that a resource's exception names (see `rule_findings`).
        let mut as_written: Option<Report> = None;
        let mut passes_as_written = |rule: &str| {
            let report = as_written.get_or_insert_with(|| {
                pack.rules
                    .evaluate_document(&Document::new(&stack.template))
            });
            report.rule(rule).is_none_or(|r| r.status != Status::Fail)
        };
        for result in report.failed() {
            rule_findings(
                stack,
                &pack.name,
                result,
                &mut exceptions,
                &mut passes_as_written,
                found,
            );
        }
    }
    for (e, used) in exceptions {
        if !used {
            found.push(
                Diagnostic::warning(
                    "unused-guard-exception",
                    e.path,
                    format!(
                        "the Guard rule '{}' is excepted here, but none of the stack's rule packs ({}) finds it",
                        e.rule,
                        names.join(", ")
                    ),
                )
                .with_hint("remove the exception, or name the rule as a finding does: its control id (CT.S3.PR.2) or its rule name"),
            );
        }
    }
}

/// One finding per resource the rule failed on (and one for failures on no resource).
///
/// A failure on no resource (a Guard Rules Registry rule over the whole template, such as
/// "some rotation schedule names each secret") is excepted when the resources the rule
/// reads record exceptions for it: the Registry's rules pass over a resource that names
/// them in `Metadata.guard`, so if the pack passes the template as written, the
/// exceptions of the resources naming the rule are what made it pass.
fn rule_findings(
    stack: &StackArtifact,
    pack: &str,
    result: &RuleResult,
    exceptions: &mut [(GuardException, bool)],
    passes_as_written: &mut dyn FnMut(&str) -> bool,
    found: &mut Vec<Diagnostic>,
) {
    let mut by_resource: Vec<(Option<&str>, Vec<&Failure>)> = Vec::new();
    for f in &result.failures {
        let r = f.resource.as_deref();
        match by_resource.iter_mut().find(|(k, _)| *k == r) {
            Some((_, list)) => list.push(f),
            None => by_resource.push((r, vec![f])),
        }
    }
    if by_resource.is_empty() {
        // A failure without checks still fails the rule: say so on the stack.
        by_resource.push((None, Vec::new()));
    }
    for (resource, failures) in by_resource {
        let first = failures.first().copied();
        let told = first.and_then(|f| f.rule_message.as_deref().or(f.message.as_deref()));
        let (id, title, fix) = split_message(told.unwrap_or(""));
        let id = id.unwrap_or(&result.name);
        let path = match resource {
            Some(lid) => stack.path_of(lid),
            None => stack.name.clone(),
        };
        let mut message = format!("[{id}]");
        if !title.is_empty() {
            message.push(' ');
            message.push_str(title);
        }
        if id != result.name {
            message.push_str(&format!(" ({pack}: {})", result.name));
        } else {
            message.push_str(&format!(" ({pack})"));
        }
        if let Some(f) = first {
            message.push_str(": ");
            message.push_str(&describe(f));
            if failures.len() > 1 {
                message.push_str(&format!(" (and {} more checks)", failures.len() - 1));
            }
        }
        let hint = match (fix, resource) {
            (Some(fix), Some(_)) => format!(
                "{fix} Or, if this resource may break the rule, record why: resource.guard_exception(\"{id}\", reason)"
            ),
            (None, Some(_)) => format!(
                "fix the resource, or record why it may break the rule: resource.guard_exception(\"{id}\", reason)"
            ),
            (Some(fix), None) => format!(
                "{fix} Or, if resources the rule reads may break it, record why on each: resource.guard_exception(\"{id}\", reason)"
            ),
            (None, None) => format!(
                "the rule fails on the template as a whole; if resources it reads may break it, record why on each: resource.guard_exception(\"{id}\", reason)"
            ),
        };
        let mut d = Diagnostic::error("guard", path, message).with_hint(hint);
        let names = |e: &GuardException| e.rule == id || e.rule == result.name;
        match resource {
            Some(lid) => {
                let excepted = exceptions
                    .iter_mut()
                    .find(|(e, _)| e.logical_id == lid && names(e));
                if let Some((e, used)) = excepted {
                    *used = true;
                    d.severity = Severity::Note;
                    d.message = format!("excepted ({}): {}", e.reason, d.message);
                }
            }
            None if exceptions.iter().any(|(e, _)| names(e)) && passes_as_written(&result.name) => {
                let mut by = Vec::new();
                for (e, used) in exceptions.iter_mut().filter(|(e, _)| names(e)) {
                    *used = true;
                    by.push(format!("{}: {}", e.path, e.reason));
                }
                d.severity = Severity::Note;
                d.message = format!("excepted ({}): {}", by.join("; "), d.message);
            }
            None => {}
        }
        found.push(d);
    }
}

/// The control id, title and fix of a Control Tower message
/// (`[CT.S3.PR.1]: Require ... [FIX]: Set ...`); other messages are all title.
fn split_message(text: &str) -> (Option<&str>, &str, Option<&str>) {
    let text = text.trim();
    let (head, fix) = match text.split_once("[FIX]:") {
        Some((h, f)) => (h.trim(), Some(f.trim()).filter(|f| !f.is_empty())),
        None => (text, None),
    };
    if let Some(rest) = head.strip_prefix('[')
        && let Some((id, title)) = rest.split_once(']')
    {
        let title = title.trim_start_matches(':').trim();
        return (Some(id.trim()), title, fix);
    }
    (None, head, fix)
}

/// What one failed check found, in the template's words (`Properties.RetentionInDays is
/// 7, where the rule wants RetentionInDays >= 365`).
fn describe(f: &Failure) -> String {
    let at = property_path(&f.path);
    match (&f.missing, &f.value) {
        (Some(missing), _) => {
            let whole = if at.is_empty() {
                missing.clone()
            } else {
                format!("{at}.{missing}")
            };
            format!("{whole} is not set, where the rule wants `{}`", f.check)
        }
        (None, Some(v)) => {
            let shown = v.to_string();
            let shown = if shown.chars().count() > 80 {
                format!("{}...", shown.chars().take(77).collect::<String>())
            } else {
                shown
            };
            let at = if at.is_empty() { "the value" } else { &at };
            format!("{at} is {shown}, where the rule wants `{}`", f.check)
        }
        (None, None) => format!("the rule wants `{}`", f.check),
    }
}

/// `/Resources/Logs/Properties/RetentionInDays` as `Properties.RetentionInDays`.
fn property_path(pointer: &str) -> String {
    let rest = pointer
        .strip_prefix("/Resources/")
        .map_or(pointer, |r| r.split_once('/').map_or("", |(_, p)| p));
    rest.trim_start_matches('/').replace('/', ".")
}

/// The vendored packs, each read once per process (its files parsed as templates open
/// their gates), in [`Pack::ALL`]'s order.
static VENDORED: [OnceLock<Arc<RuleSet>>; Pack::ALL.len()] =
    [const { OnceLock::new() }; Pack::ALL.len()];

fn rule_set(pack: &RulePack) -> Arc<RuleSet> {
    match pack {
        RulePack::Own(r) => r.rules.clone(),
        RulePack::Vendored(p) => {
            let i = match p {
                Pack::ControlTower => 0,
                Pack::FedRampModerate => 1,
                Pack::Nist80053Rev5 => 2,
            };
            VENDORED[i].get_or_init(|| Arc::new(p.rules())).clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_tower_message_splits_into_id_title_and_fix() {
        let (id, title, fix) = split_message(
            "[CT.CLOUDWATCH.PR.2]: Require a log group to be retained\n  [FIX]: Set 'RetentionInDays' to 365.",
        );
        assert_eq!(id, Some("CT.CLOUDWATCH.PR.2"));
        assert_eq!(title, "Require a log group to be retained");
        assert_eq!(fix, Some("Set 'RetentionInDays' to 365."));
        assert_eq!(
            split_message("Violation: no"),
            (None, "Violation: no", None)
        );
    }

    #[test]
    fn a_pointer_reads_as_a_property_path() {
        assert_eq!(
            property_path("/Resources/Logs/Properties/RetentionInDays"),
            "Properties.RetentionInDays"
        );
        assert_eq!(property_path("/Resources/Logs"), "");
    }
}
