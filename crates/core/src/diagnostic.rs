//! Problems found at synth time, all reported in one run.

use std::fmt;

use crate::CoreError;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something worth knowing that needs no change.
    Note,
    /// Deploys, but probably not what was meant.
    Warning,
    /// CloudFormation would reject it, or synth cannot produce a template.
    Error,
}

impl Severity {
    /// The lowercase word, as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding: what, where, the value at fault, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How bad it is.
    pub severity: Severity,
    /// A stable short code (`missing-required`, `logical-id-collision`, ...), for
    /// documentation and for tests.
    pub code: &'static str,
    /// The construct path (or stack name) it concerns.
    pub path: String,
    /// What is wrong, naming the bad value.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            path: path.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// A warning.
    pub fn warning(
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, path, message)
        }
    }

    /// A note.
    pub fn note(code: &'static str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
            ..Diagnostic::error(code, path, message)
        }
    }

    /// Adds the hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}]: {}: {}",
            self.severity.as_str(),
            self.code,
            self.path,
            self.message
        )?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// Every finding of a synth run. Its `Display` lists them one per line.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// True when any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.severity == Severity::Error)
    }

    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Finds the first with this code.
    pub fn find(&self, code: &str) -> Option<&Diagnostic> {
        self.0.iter().find(|d| d.code == code)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.errors().count();
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        write!(
            f,
            "{errors} error(s), {} other finding(s)",
            self.0.len() - errors
        )
    }
}

/// Turns a build error into findings the command line can print.
///
/// It is how a program's build error reaches the command line's rustc-style renderer:
/// the function that builds an app returns an error, and the command line asks it for its
/// diagnostics instead of printing one line of text, so each problem gets its own
/// `error[code]`, its construct path and its hint.
///
/// ```
/// use stackwright_core::diagnostic::ToDiagnostics;
/// use stackwright_core::CoreError;
///
/// let e = CoreError::DuplicateStack { name: "Demo".into() };
/// let d = e.to_diagnostics();
/// assert_eq!(d.0.len(), 1);
/// assert_eq!(d.0[0].code, "duplicate-stack");
/// assert_eq!(d.0[0].path, "Demo");
/// ```
pub trait ToDiagnostics {
    /// The findings this error stands for, in the order they were found.
    fn to_diagnostics(&self) -> Diagnostics;
}

impl ToDiagnostics for Diagnostics {
    fn to_diagnostics(&self) -> Diagnostics {
        self.clone()
    }
}

impl ToDiagnostics for Diagnostic {
    fn to_diagnostics(&self) -> Diagnostics {
        Diagnostics(vec![self.clone()])
    }
}

impl ToDiagnostics for CoreError {
    fn to_diagnostics(&self) -> Diagnostics {
        // Message and hint are the two halves of the `Display` text, less the path
        // prefix (a unit test keeps them in step).
        let d = match self {
            CoreError::DuplicateId { scope, id } => Diagnostic::error(
                "duplicate-id",
                scope,
                format!("there is already a child called '{id}' here"),
            )
            .with_hint("give each construct in a scope its own id"),
            CoreError::InvalidId { scope, id, reason } => Diagnostic::error(
                "invalid-id",
                scope,
                format!("'{id}' cannot be a construct id because {reason}"),
            )
            .with_hint("use letters and digits, for example 'Network'"),
            CoreError::DuplicateStack { name } => Diagnostic::error(
                "duplicate-stack",
                name,
                format!("there is already a stack called '{name}' in this app"),
            )
            .with_hint("stack names must be unique"),
            CoreError::InvalidStackName { name, reason } => Diagnostic::error(
                "invalid-stack-name",
                name,
                format!("'{name}' cannot be a stack name because {reason}"),
            )
            .with_hint(
                "CloudFormation takes a letter followed by letters, digits and hyphens, up to 128 characters",
            ),
            CoreError::UnknownResourceType {
                path,
                type_name,
                suggestion,
            } => Diagnostic::error(
                "unknown-type",
                path,
                format!("'{type_name}' is not a resource type CloudFormation knows"),
            )
            .with_hint(match suggestion {
                Some(s) => format!("did you mean '{s}'?"),
                None => "check the spelling against the CloudFormation resource type reference"
                    .to_string(),
            }),
            CoreError::MalformedTypeName {
                path,
                type_name,
                reason,
            } => Diagnostic::error(
                "malformed-type",
                path,
                format!("'{type_name}' cannot be a resource type name because {reason}"),
            )
            .with_hint("write it as AWS::Service::Type, Custom::Name or Org::Service::Type"),
            CoreError::PropertiesNotAnObject { path, found } => Diagnostic::error(
                "wrong-type",
                path,
                format!("the properties must be a JSON object (or null for none), found {found}"),
            )
            .with_hint("write them as serde_json::json!({\"Name\": ...})"),
            CoreError::TemplateSyntax {
                path,
                format,
                line,
                column,
                message,
            } => Diagnostic::error(
                "template-syntax",
                path,
                format!(
                    "the {format} template does not parse at line {line}, column {column}: {message}"
                ),
            )
            .with_hint("fix the template text there"),
            CoreError::InvalidTemplate {
                path,
                at,
                problem,
                fix,
            } => Diagnostic::error(
                "invalid-template",
                path,
                format!("in the included template, {at} {problem}"),
            )
            .with_hint(fix.clone()),
            CoreError::LogicalIdTaken {
                path,
                logical_id,
                other,
            } => Diagnostic::error(
                "logical-id-collision",
                path,
                format!(
                    "the included template's logical id '{logical_id}' is already the id of '{other}' in this stack"
                ),
            )
            .with_hint(
                "rename the stack's own element or override its logical id, since the included one must keep its id",
            ),
            CoreError::NotInTemplate {
                path,
                kind,
                logical_id,
                known,
            } => Diagnostic::error(
                "not-in-template",
                path,
                format!("the included template has no {kind} '{logical_id}'"),
            )
            .with_hint(known.clone()),
            CoreError::EmptyReason { path, rule } => Diagnostic::error(
                "empty-reason",
                path,
                format!("synth's rule '{rule}' cannot be turned off without a reason"),
            )
            .with_hint(
                "say why it does not apply to this resource, reviewers read it in the template",
            ),
            CoreError::EmptyGuardException { path, rule } => Diagnostic::error(
                "empty-reason",
                path,
                format!("the Guard rule '{rule}' cannot be excepted without a rule and a reason"),
            )
            .with_hint(
                "name the rule (a control id such as CT.S3.PR.1, or a rule name) and say why this resource may break it",
            ),
            CoreError::ForeignScope { id } => Diagnostic::error(
                "foreign-scope",
                "",
                format!("'{id}' was added under a scope that belongs to another App"),
            )
            .with_hint("build each app's constructs under that app's own stacks"),
        };
        Diagnostics(vec![d])
    }
}

/// One `build-failed` error with no path: an error that knows nothing of diagnostics.
fn build_failed(text: String) -> Diagnostics {
    Diagnostics(vec![Diagnostic::error("build-failed", "", text)])
}

impl ToDiagnostics for String {
    fn to_diagnostics(&self) -> Diagnostics {
        build_failed(self.clone())
    }
}

impl ToDiagnostics for &str {
    fn to_diagnostics(&self) -> Diagnostics {
        build_failed((*self).to_string())
    }
}

/// The diagnostics of a boxed error: its own when it is a [`CoreError`] or
/// [`Diagnostics`], else one `build-failed` error with its `Display` text.
fn of_dyn_error(e: &(dyn std::error::Error + 'static)) -> Diagnostics {
    if let Some(core) = e.downcast_ref::<CoreError>() {
        core.to_diagnostics()
    } else if let Some(d) = e.downcast_ref::<Diagnostics>() {
        d.clone()
    } else {
        build_failed(e.to_string())
    }
}

impl ToDiagnostics for Box<dyn std::error::Error> {
    fn to_diagnostics(&self) -> Diagnostics {
        of_dyn_error(self.as_ref())
    }
}

impl ToDiagnostics for Box<dyn std::error::Error + Send + Sync> {
    fn to_diagnostics(&self) -> Diagnostics {
        of_dyn_error(self.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_core_error() -> Vec<CoreError> {
        vec![
            CoreError::DuplicateId {
                scope: "S/Network".into(),
                id: "Subnet".into(),
            },
            CoreError::InvalidId {
                scope: "S".into(),
                id: "a/b".into(),
                reason: "it contains '/'",
            },
            CoreError::DuplicateStack { name: "A".into() },
            CoreError::InvalidStackName {
                name: "1-bad".into(),
                reason: "it starts with a digit",
            },
            CoreError::UnknownResourceType {
                path: "S/Queue".into(),
                type_name: "AWS::SNS::Topik".into(),
                suggestion: Some("AWS::SNS::Topic".into()),
            },
            CoreError::UnknownResourceType {
                path: "S/Queue".into(),
                type_name: "AWS::Nope::Nope".into(),
                suggestion: None,
            },
            CoreError::MalformedTypeName {
                path: "S/Thing".into(),
                type_name: "SNS::Topic".into(),
                reason: "it has two parts",
            },
            CoreError::PropertiesNotAnObject {
                path: "S/Thing".into(),
                found: "[1]".into(),
            },
            CoreError::TemplateSyntax {
                path: "S/Legacy".into(),
                format: "YAML",
                line: 3,
                column: 5,
                message: "mapping values are not allowed here".into(),
            },
            CoreError::InvalidTemplate {
                path: "S/Legacy".into(),
                at: "Resources.Bucket.DeletionPolicy".into(),
                problem: "is 'Keep', which is not a deletion policy".into(),
                fix: "use Delete, Retain, RetainExceptOnCreate or Snapshot".into(),
            },
            CoreError::LogicalIdTaken {
                path: "S/Legacy/Key".into(),
                logical_id: "Key".into(),
                other: "S/Key".into(),
            },
            CoreError::NotInTemplate {
                path: "S/Legacy".into(),
                kind: "resource",
                logical_id: "Buckt".into(),
                known: "did you mean 'Bucket'?".into(),
            },
            CoreError::EmptyReason {
                path: "S/Key".into(),
                rule: "iam-policy".into(),
            },
            CoreError::EmptyGuardException {
                path: "S/Logs".into(),
                rule: "CT.CLOUDWATCH.PR.2".into(),
            },
            CoreError::ForeignScope { id: "Key".into() },
        ]
    }

    #[test]
    fn each_core_error_is_one_diagnostic_with_its_own_code() {
        let codes: Vec<&str> = every_core_error()
            .iter()
            .map(|e| {
                let d = e.to_diagnostics();
                assert_eq!(d.0.len(), 1, "{e}");
                assert_eq!(d.0[0].severity, Severity::Error, "{e}");
                d.0[0].code
            })
            .collect();
        assert_eq!(
            codes,
            [
                "duplicate-id",
                "invalid-id",
                "duplicate-stack",
                "invalid-stack-name",
                "unknown-type",
                "unknown-type",
                "malformed-type",
                "wrong-type",
                "template-syntax",
                "invalid-template",
                "logical-id-collision",
                "not-in-template",
                "empty-reason",
                "empty-reason",
                "foreign-scope"
            ]
        );
    }

    #[test]
    fn core_error_diagnostics_say_what_its_text_says() {
        for e in every_core_error() {
            let d = &e.to_diagnostics().0[0];
            let hint = d.hint.as_deref().expect("every core error says what to do");
            let rest = format!("{}; {hint}", d.message);
            // Only the errors of a scope start their text with its path.
            let expected = match e {
                CoreError::DuplicateStack { .. }
                | CoreError::InvalidStackName { .. }
                | CoreError::ForeignScope { .. } => rest,
                _ => format!("{}: {rest}", d.path),
            };
            assert_eq!(e.to_string(), expected);
        }
    }

    #[test]
    fn core_errors_carry_their_path() {
        let paths: Vec<String> = every_core_error()
            .iter()
            .map(|e| e.to_diagnostics().0[0].path.clone())
            .collect();
        assert_eq!(
            paths,
            [
                "S/Network",
                "S",
                "A",
                "1-bad",
                "S/Queue",
                "S/Queue",
                "S/Thing",
                "S/Thing",
                "S/Legacy",
                "S/Legacy",
                "S/Legacy/Key",
                "S/Legacy",
                "S/Key",
                "S/Logs",
                ""
            ]
        );
    }

    #[test]
    fn text_is_one_build_failed_error() {
        for d in [
            "the settings file is missing".to_diagnostics(),
            String::from("the settings file is missing").to_diagnostics(),
        ] {
            assert_eq!(
                d.0,
                [Diagnostic::error(
                    "build-failed",
                    "",
                    "the settings file is missing"
                )]
            );
        }
    }

    #[test]
    fn diagnostics_and_a_diagnostic_stand_for_themselves() {
        let one = Diagnostic::warning("w", "S/X", "m").with_hint("h");
        assert_eq!(one.to_diagnostics().0, std::slice::from_ref(&one));
        let all = Diagnostics(vec![one.clone(), Diagnostic::error("e", "S", "n")]);
        assert_eq!(all.to_diagnostics(), all);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("could not read settings.toml")]
    struct Other;

    #[test]
    fn boxed_errors_are_looked_into() {
        let core = CoreError::DuplicateStack { name: "A".into() };
        let boxed: Box<dyn std::error::Error> = Box::new(core.clone());
        assert_eq!(boxed.to_diagnostics(), core.to_diagnostics());
        let sendable: Box<dyn std::error::Error + Send + Sync> = Box::new(core.clone());
        assert_eq!(sendable.to_diagnostics(), core.to_diagnostics());

        let all = Diagnostics(vec![
            Diagnostic::error("a", "S/A", "one"),
            Diagnostic::error("b", "S/B", "two"),
        ]);
        let boxed: Box<dyn std::error::Error> = Box::new(all.clone());
        assert_eq!(boxed.to_diagnostics(), all);
        let sendable: Box<dyn std::error::Error + Send + Sync> = Box::new(all.clone());
        assert_eq!(sendable.to_diagnostics(), all);

        let expected = [Diagnostic::error(
            "build-failed",
            "",
            "could not read settings.toml",
        )];
        let boxed: Box<dyn std::error::Error> = Box::new(Other);
        assert_eq!(boxed.to_diagnostics().0, expected);
        let sendable: Box<dyn std::error::Error + Send + Sync> = Box::new(Other);
        assert_eq!(sendable.to_diagnostics().0, expected);
        let from_text: Box<dyn std::error::Error + Send + Sync> =
            "could not read settings.toml".into();
        assert_eq!(from_text.to_diagnostics().0, expected);
    }
}
