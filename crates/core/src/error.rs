//! Errors raised while building the construct tree.

/// A construct-time error: the tree could not take what was asked of it. Each names the
/// place, the bad value and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// Two children of one scope share an id.
    #[error(
        "{scope}: there is already a child called '{id}' here; give each construct in a scope its own id"
    )]
    DuplicateId {
        /// The scope's path.
        scope: String,
        /// The repeated id.
        id: String,
    },
    /// A child id that cannot be used.
    #[error(
        "{scope}: '{id}' cannot be a construct id because {reason}; use letters and digits, for example 'Network'"
    )]
    InvalidId {
        /// The scope's path.
        scope: String,
        /// The id given.
        id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two stacks of one app share a name.
    #[error("there is already a stack called '{name}' in this app; stack names must be unique")]
    DuplicateStack {
        /// The repeated name.
        name: String,
    },
    /// A stack name CloudFormation would refuse.
    #[error(
        "'{name}' cannot be a stack name because {reason}; CloudFormation takes a letter followed by letters, digits and hyphens, up to 128 characters"
    )]
    InvalidStackName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An `AWS::` or `Alexa::` resource type the vendored schemas do not hold.
    #[error(
        "{path}: '{type_name}' is not a resource type CloudFormation knows; {}",
        match .suggestion {
            Some(s) => format!("did you mean '{s}'?"),
            None => "check the spelling against the CloudFormation resource type reference".to_string(),
        }
    )]
    UnknownResourceType {
        /// The resource's construct path.
        path: String,
        /// The type name given.
        type_name: String,
        /// The known type closest to it, when one is close enough to be a typo.
        suggestion: Option<String>,
    },
    /// A resource type name that is not of CloudFormation's form.
    #[error(
        "{path}: '{type_name}' cannot be a resource type name because {reason}; write it as AWS::Service::Type, Custom::Name or Org::Service::Type"
    )]
    MalformedTypeName {
        /// The resource's construct path.
        path: String,
        /// The type name given.
        type_name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An untyped resource's properties that are not a JSON object.
    #[error(
        "{path}: the properties must be a JSON object (or null for none), found {found}; write them as serde_json::json!({{\"Name\": ...}})"
    )]
    PropertiesNotAnObject {
        /// The resource's construct path.
        path: String,
        /// The value given, shortened.
        found: String,
    },
    /// An included template's text that does not parse.
    #[error(
        "{path}: the {format} template does not parse at line {line}, column {column}: {message}; fix the template text there"
    )]
    TemplateSyntax {
        /// The included template's construct path.
        path: String,
        /// `JSON` or `YAML`.
        format: &'static str,
        /// The line of the problem, from 1.
        line: usize,
        /// The column of the problem, from 1.
        column: usize,
        /// What the parser found.
        message: String,
    },
    /// An included template that parses but is not a template CloudFormation would take.
    #[error("{path}: in the included template, {at} {problem}; {fix}")]
    InvalidTemplate {
        /// The included template's construct path.
        path: String,
        /// Where in the template, such as `Resources.Bucket.DeletionPolicy`.
        at: String,
        /// What is wrong there, with the value.
        problem: String,
        /// What to do instead.
        fix: String,
    },
    /// An included template's logical id that the stack already uses.
    #[error(
        "{path}: the included template's logical id '{logical_id}' is already the id of '{other}' in this stack; rename the stack's own element or override its logical id, since the included one must keep its id"
    )]
    LogicalIdTaken {
        /// The construct path the included element would have.
        path: String,
        /// The logical id.
        logical_id: String,
        /// The construct path of the stack's element with that id.
        other: String,
    },
    /// A logical id asked of an included template that it does not hold.
    #[error("{path}: the included template has no {kind} '{logical_id}'; {known}")]
    NotInTemplate {
        /// The included template's construct path.
        path: String,
        /// `resource`, `parameter`, `condition`, `mapping` or `output`.
        kind: &'static str,
        /// The logical id asked for.
        logical_id: String,
        /// What it has instead (a did-you-mean or the list).
        known: String,
    },
    /// A rule turned off without a reason.
    #[error(
        "{path}: synth's rule '{rule}' cannot be turned off without a reason; say why it does not apply to this resource, reviewers read it in the template"
    )]
    EmptyReason {
        /// The resource's construct path.
        path: String,
        /// The rule (a finding code).
        rule: String,
    },
    /// A Guard rule excepted without a reason, or without a rule.
    #[error(
        "{path}: the Guard rule '{rule}' cannot be excepted without a rule and a reason; name the rule (a control id such as CT.S3.PR.1, or a rule name) and say why this resource may break it"
    )]
    EmptyGuardException {
        /// The resource's construct path.
        path: String,
        /// The rule as given.
        rule: String,
    },
    /// A scope handle of another app was used.
    #[error(
        "'{id}' was added under a scope that belongs to another App; build each app's constructs under that app's own stacks"
    )]
    ForeignScope {
        /// The child id.
        id: String,
    },
}
