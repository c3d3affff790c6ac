//! Change sets as types: what CloudFormation says it will do to a stack.

use std::fmt;

use crate::diff::security_reason;
use crate::status::{ChangeSetStatus, ExecutionStatus};

/// The beginnings of the two reasons CloudFormation gives for a change set with nothing to
/// change. The second appears when the template has a `Transform`; AWS CDK checks both too.
pub const NO_CHANGE_REASONS: [&str; 2] = [
    "The submitted information didn't contain changes.",
    "No updates are to be performed.",
];

/// True when a failed change set's reason says there was nothing to change.
pub fn is_no_change_reason(reason: &str) -> bool {
    NO_CHANGE_REASONS.iter().any(|p| reason.starts_with(p))
}

/// Whether a change set creates a stack or updates one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSetKind {
    /// The stack does not exist yet.
    Create,
    /// The stack exists.
    Update,
}

impl ChangeSetKind {
    /// As the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSetKind::Create => "CREATE",
            ChangeSetKind::Update => "UPDATE",
        }
    }
}

/// A change set as CloudFormation described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    /// Its ARN.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The stack's ARN.
    pub stack_id: String,
    /// The stack's name.
    pub stack_name: String,
    /// Create or update.
    pub kind: ChangeSetKind,
    /// Whether it is ready.
    pub status: ChangeSetStatus,
    /// Why it failed, when it did.
    pub status_reason: Option<String>,
    /// Whether it can be executed.
    pub execution_status: ExecutionStatus,
    /// The resource changes, in CloudFormation's order.
    pub changes: Vec<ResourceChange>,
}

impl ChangeSet {
    /// It failed only because there is nothing to change.
    pub fn has_no_changes(&self) -> bool {
        self.status == ChangeSetStatus::Failed
            && self
                .status_reason
                .as_deref()
                .is_some_and(is_no_change_reason)
    }

    /// How many resources each kind of change touches.
    pub fn summary(&self) -> ChangeSummary {
        let mut s = ChangeSummary::default();
        for c in &self.changes {
            match c.action {
                ChangeAction::Add => s.add += 1,
                ChangeAction::Remove => s.remove += 1,
                ChangeAction::Modify if c.replacement == Some(Replacement::True) => s.replace += 1,
                ChangeAction::Modify if c.replacement == Some(Replacement::Conditional) => {
                    s.modify += 1;
                    s.may_replace += 1;
                }
                _ => s.modify += 1,
            }
        }
        s
    }

    /// Whether a change touches IAM, policies or security groups (what
    /// `--require-approval security` asks about).
    pub fn is_security_relevant(&self) -> bool {
        self.changes.iter().any(|c| c.security_reason().is_some())
    }
}

/// One resource a change set adds, modifies, removes or imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    /// What happens to it.
    pub action: ChangeAction,
    /// Its logical id.
    pub logical_id: String,
    /// Its physical id, when it exists already.
    pub physical_id: Option<String>,
    /// Its type (`AWS::SNS::Topic`).
    pub resource_type: String,
    /// For a modification: whether CloudFormation replaces the resource.
    pub replacement: Option<Replacement>,
    /// Which parts change (`Properties`, `Tags`, `Metadata`, ...).
    pub scope: Vec<String>,
    /// The properties that change and whether each forces replacement, when CloudFormation
    /// says.
    pub details: Vec<ChangeDetail>,
}

impl ResourceChange {
    /// Why this change matters for security, judged by the resource type and the changed
    /// properties as the template diff judges them.
    pub fn security_reason(&self) -> Option<&'static str> {
        let names: Vec<&str> = self
            .details
            .iter()
            .filter_map(|d| d.name.as_deref())
            .collect();
        security_reason(&self.resource_type, &names)
    }
}

/// What a change set does to a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeAction {
    /// Creates it.
    Add,
    /// Changes it (perhaps by replacing it; see [`Replacement`]).
    Modify,
    /// Deletes it.
    Remove,
    /// Imports an existing resource.
    Import,
    /// Decided at execution (nested stacks, macros).
    Dynamic,
    /// An action this version does not know.
    Other(String),
}

impl ChangeAction {
    /// Reads the API's text.
    pub fn parse(text: &str) -> Self {
        match text {
            "Add" => ChangeAction::Add,
            "Modify" => ChangeAction::Modify,
            "Remove" => ChangeAction::Remove,
            "Import" => ChangeAction::Import,
            "Dynamic" => ChangeAction::Dynamic,
            other => ChangeAction::Other(other.to_string()),
        }
    }
}

impl fmt::Display for ChangeAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            ChangeAction::Add => "Add",
            ChangeAction::Modify => "Modify",
            ChangeAction::Remove => "Remove",
            ChangeAction::Import => "Import",
            ChangeAction::Dynamic => "Dynamic",
            ChangeAction::Other(s) => s,
        })
    }
}

/// Whether a modification replaces the resource (a new physical resource, the old one
/// deleted: for a database, its data goes with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replacement {
    /// It is replaced.
    True,
    /// It is changed in place.
    False,
    /// It depends on a value only known during the update.
    Conditional,
}

impl Replacement {
    /// Reads the API's text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "True" => Some(Replacement::True),
            "False" => Some(Replacement::False),
            "Conditional" => Some(Replacement::Conditional),
            _ => None,
        }
    }
}

/// One changed property of a modified resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeDetail {
    /// The property (`Properties` attribute name, or `Tags`).
    pub name: Option<String>,
    /// Whether changing it recreates the resource: `Always`, `Never` or `Conditionally`.
    pub requires_recreation: Option<String>,
    /// What caused the change (`DirectModification`, `ResourceReference`, ...).
    pub change_source: Option<String>,
}

/// Counts of changes by kind, the line deploy prints before asking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeSummary {
    /// Resources created.
    pub add: usize,
    /// Resources changed in place (including those that may be replaced).
    pub modify: usize,
    /// Resources deleted.
    pub remove: usize,
    /// Resources replaced.
    pub replace: usize,
    /// Modifications that may turn out to be replacements.
    pub may_replace: usize,
}

impl ChangeSummary {
    /// Nothing at all.
    pub fn is_empty(&self) -> bool {
        self.add + self.modify + self.remove + self.replace == 0
    }
}

impl fmt::Display for ChangeSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} to add, {} to modify, {} to remove, {} to replace",
            self.add, self.modify, self.remove, self.replace
        )?;
        if self.may_replace > 0 {
            write!(f, " ({} may be replaced)", self.may_replace)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: ChangeAction, replacement: Option<Replacement>) -> ResourceChange {
        ResourceChange {
            action,
            logical_id: "X".into(),
            physical_id: None,
            resource_type: "AWS::SNS::Topic".into(),
            replacement,
            scope: vec![],
            details: vec![],
        }
    }

    fn change_set(status: ChangeSetStatus, reason: Option<&str>) -> ChangeSet {
        ChangeSet {
            id: "arn:cs".into(),
            name: "cs".into(),
            stack_id: "arn:stack".into(),
            stack_name: "S".into(),
            kind: ChangeSetKind::Update,
            status,
            status_reason: reason.map(String::from),
            execution_status: ExecutionStatus::Unavailable,
            changes: vec![],
        }
    }

    #[test]
    fn both_no_change_messages_are_recognised() {
        let plain = "The submitted information didn't contain changes. Submit different information to create a change set.";
        let transform = "No updates are to be performed.";
        assert!(change_set(ChangeSetStatus::Failed, Some(plain)).has_no_changes());
        assert!(change_set(ChangeSetStatus::Failed, Some(transform)).has_no_changes());
        assert!(
            !change_set(ChangeSetStatus::Failed, Some("Template format error")).has_no_changes()
        );
        assert!(!change_set(ChangeSetStatus::CreateComplete, Some(plain)).has_no_changes());
    }

    #[test]
    fn summary_counts_replacements_apart() {
        let mut cs = change_set(ChangeSetStatus::CreateComplete, None);
        cs.changes = vec![
            change(ChangeAction::Add, None),
            change(ChangeAction::Modify, Some(Replacement::False)),
            change(ChangeAction::Modify, Some(Replacement::True)),
            change(ChangeAction::Modify, Some(Replacement::Conditional)),
            change(ChangeAction::Remove, None),
        ];
        let s = cs.summary();
        assert_eq!((s.add, s.modify, s.remove, s.replace), (1, 2, 1, 1));
        assert_eq!(
            s.to_string(),
            "1 to add, 2 to modify, 1 to remove, 1 to replace (1 may be replaced)"
        );
    }

    #[test]
    fn security_relevance_follows_types_and_changed_properties() {
        let mut cs = change_set(ChangeSetStatus::CreateComplete, None);
        cs.changes = vec![change(ChangeAction::Modify, None)];
        assert!(!cs.is_security_relevant());
        cs.changes[0].details.push(ChangeDetail {
            name: Some("KmsMasterKeyId".into()),
            requires_recreation: None,
            change_source: None,
        });
        assert!(!cs.is_security_relevant());
        cs.changes[0].details.push(ChangeDetail {
            name: Some("DataProtectionPolicy".into()),
            requires_recreation: None,
            change_source: None,
        });
        assert_eq!(cs.changes[0].security_reason(), Some("policy"));
        let mut role = change(ChangeAction::Add, None);
        role.resource_type = "AWS::IAM::Role".into();
        cs.changes = vec![role];
        assert!(cs.is_security_relevant());
        // `--require-approval security` does not ask for a scaling policy.
        let mut scaling = change(ChangeAction::Modify, None);
        scaling.resource_type = "AWS::AutoScaling::ScalingPolicy".into();
        scaling.details.push(ChangeDetail {
            name: Some("TargetTrackingConfiguration".into()),
            requires_recreation: None,
            change_source: None,
        });
        cs.changes = vec![scaling];
        assert!(!cs.is_security_relevant());
        assert_eq!(cs.changes[0].security_reason(), None);
    }
}
