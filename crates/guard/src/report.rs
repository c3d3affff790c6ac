//! What an evaluation returns: per named rule its status and, for a failure, the checks
//! that failed, each with the resource, property path and value it was made on.

use crate::error::EvalError;
use crate::eval::{self, Check, Status};
use crate::operators::At;

/// The outcome of one named rule of one rule file over one document.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleResult {
    /// The rule file, as named when it was parsed (for a pack, its path in the pack).
    pub file: String,
    /// The rule's name. A file may define a name more than once (the Control Tower rules
    /// have a template branch and a hook branch); the result combines them: FAIL if any
    /// failed, else PASS if any passed, else SKIP.
    pub name: String,
    /// PASS, FAIL or SKIP.
    pub status: Status,
    /// The failed checks behind a FAIL, in evaluation order; empty otherwise.
    pub failures: Vec<Failure>,
}

impl RuleResult {
    /// The logical ids of the resources the failures are about, sorted, each once.
    /// Failures about no resource (a rule that found nothing to check, a document that is
    /// not a template) are not in it; see [`Failure::resource`].
    pub fn resources(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .failures
            .iter()
            .filter_map(|f| f.resource.as_deref())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// One failed check.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The logical id of the resource the failure is about. That is the resource the
    /// checked value is in (`path` is `/Resources/<Id>/...`), as cfn-guard's structured
    /// report names it. A check on no value of a resource (a selection found empty, as
    /// `%referenced not empty` inside a parameterized rule; a rule's literal; a named
    /// rule) is about the resource whose value the checks around it were made on: the
    /// value a block is checking, or the values a parameterized rule was called with,
    /// nearest first. `None` when nothing around the check is in one resource (a rule
    /// over the whole document, a document that is not a template, a call whose
    /// arguments are in several resources).
    pub resource: Option<String>,
    /// The JSON path of the checked value (`/Resources/Logs/Properties/RetentionInDays`);
    /// for a missing property, the path of the value it was looked up in. Empty for a
    /// check on no value.
    pub path: String,
    /// What was missing below `path` (`Properties.KmsKeyId`), when the check failed
    /// because a property was not there.
    pub missing: Option<String>,
    /// The checked value, when there was one.
    pub value: Option<serde_json::Value>,
    /// The clause as the rule writes it (`RetentionInDays >= %MINIMUM_RETENTION_IN_DAYS`).
    pub check: String,
    /// The clause's own `<< >>` message, if it has one.
    pub message: Option<String>,
    /// The message of the outermost rule call the check was made in: for the Control
    /// Tower rules, the control's id, title and fix (`[CT.S3.PR.1]: ... [FIX]: ...`).
    pub rule_message: Option<String>,
}

impl Failure {
    pub(crate) fn from_check(check: &Check<'_>) -> Failure {
        let (path, missing) = match &check.at {
            Some(At::Value(node)) => (node.path.to_string(), None),
            Some(At::Missing(u)) => (
                u.traversed_to.path.to_string(),
                Some(crate::query::Steps(u.remaining).to_string()),
            ),
            None => (String::new(), None),
        };
        let resource = logical_id(&path)
            .or_else(|| check.subject.and_then(|node| logical_id(&node.path)))
            .map(str::to_string);
        Failure {
            resource,
            path,
            missing,
            value: eval::value_of(check).map(|n| n.to_json()),
            check: check.clause.to_string(),
            message: check
                .message
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty()),
            rule_message: check
                .rule_message
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty()),
        }
    }
}

/// The logical id of the resource a JSON path is in (`/Resources/<Id>/...`, or the
/// resource itself), if it is in one.
pub(crate) fn logical_id(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/Resources/")?;
    let id = rest.split('/').next().unwrap_or(rest);
    (!id.is_empty()).then_some(id)
}

/// Everything a rule set found in one document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// One result per named rule per file, in file order and, within a file, in the
    /// order the names first appear.
    pub rules: Vec<RuleResult>,
    /// The files whose evaluation stopped; none of their rules has a result.
    pub errors: Vec<EvalError>,
}

impl Report {
    /// The results that failed.
    pub fn failed(&self) -> impl Iterator<Item = &RuleResult> {
        self.rules.iter().filter(|r| r.status == Status::Fail)
    }

    /// The result of the rule called `name`, from whichever file defines it first.
    pub fn rule(&self, name: &str) -> Option<&RuleResult> {
        self.rules.iter().find(|r| r.name == name)
    }
}
