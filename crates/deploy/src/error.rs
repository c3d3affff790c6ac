//! Why a diff, deploy or destroy did not do what was asked, and what to do about it.

use std::fmt;

use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata};
use stackwright_synth::assembly::AssemblyError;
use stackwright_synth::validate::limits::INLINE_BODY_BYTES;

use crate::status::StackStatus;

/// A failure of a deploy, diff or destroy. Each message ends with what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// The standard credential chain found nothing.
    #[error(
        "no AWS credentials: {detail}\n  = help: set AWS_PROFILE to a profile in ~/.aws/config (run `aws sso login` first for an SSO profile), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; `aws sts get-caller-identity` shows what the chain finds"
    )]
    NoCredentials {
        /// What the chain said.
        detail: String,
    },
    /// A stack has no region and none is configured.
    #[error(
        "no AWS region for stack {stack}: its Env names none and none is configured\n  = help: set AWS_REGION (or `region` in the AWS_PROFILE profile), or give the stack an Env with a region"
    )]
    NoRegion {
        /// The stack.
        stack: String,
    },
    /// The credentials belong to another account than the stack's.
    #[error(
        "stack {stack} deploys to account {expected}, but the credentials are for account {actual}\n  = help: pick that account's credentials (AWS_PROFILE), or fix the stack's Env"
    )]
    WrongAccount {
        /// The stack.
        stack: String,
        /// The account in the stack's Env.
        expected: String,
        /// The account of the credentials.
        actual: String,
    },
    /// The template is over the inline limit and no bucket was given.
    #[error(
        "{stack}: the template is {bytes} bytes, over CloudFormation's {INLINE_BODY_BYTES}-byte limit for a template sent inline\n  = help: pass --bucket NAME, an S3 bucket in {region} you can write to (create one with `aws s3 mb s3://NAME --region {region}`); deploy uploads the template there"
    )]
    TemplateTooLarge {
        /// The stack.
        stack: String,
        /// The template's size.
        bytes: usize,
        /// The stack's region.
        region: String,
    },
    /// The stack is in a state deploy cannot recover from by itself.
    #[error("{stack} is {status}; nothing was changed\n  = help: {hint}")]
    NotDeployable {
        /// The stack.
        stack: String,
        /// Its status.
        status: StackStatus,
        /// What to do.
        hint: String,
    },
    /// Destroy refused: the stack has termination protection.
    #[error(
        "{stack} has termination protection; nothing was deleted\n  = help: turn it off in code (`set_termination_protection(false)`) and deploy, or run `aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name {stack}`, then destroy again"
    )]
    TerminationProtected {
        /// The stack.
        stack: String,
    },
    /// CloudFormation could not create the change set (an invalid template, a missing
    /// permission, ...).
    #[error(
        "{stack}: CloudFormation rejected the change set: {reason}\n  = help: fix what the reason names and deploy again"
    )]
    ChangeSetFailed {
        /// The stack.
        stack: String,
        /// CloudFormation's reason.
        reason: String,
    },
    /// The stack operation ended in a failure state.
    #[error("{stack} failed and is {status}{}", reasons_suffix(.reasons))]
    Failed {
        /// The stack.
        stack: String,
        /// Where it ended.
        status: StackStatus,
        /// The failing events, oldest first.
        reasons: Vec<FailureReason>,
    },
    /// CloudFormation refused to execute the change set.
    #[error(
        "{stack}: the change set was not executed: {message}; the stack is {}\n  = help: fix the cause and deploy again; deploy starts over from this state",
        .status.as_ref().map_or("in an unknown state", StackStatus::as_str)
    )]
    ExecuteFailed {
        /// The stack.
        stack: String,
        /// What the API said.
        message: String,
        /// Where the stack was left.
        status: Option<StackStatus>,
    },
    /// The deployed template could not be read as JSON (it was deployed by another tool as
    /// YAML, say).
    #[error(
        "{stack}: the deployed template is not JSON ({reason})\n  = help: compare through CloudFormation instead: `diff --change-set {stack}`"
    )]
    DeployedTemplateNotJson {
        /// The stack.
        stack: String,
        /// The parse error.
        reason: String,
    },
    /// An AWS API call failed.
    #[error("{stack}: {action} failed: {message}{}", hint_suffix(.hint))]
    Aws {
        /// The stack concerned.
        stack: String,
        /// The API action.
        action: &'static str,
        /// AWS's error code, when there was a response.
        code: Option<String>,
        /// What AWS (or the connection) said.
        message: String,
        /// What to do, when the code says.
        hint: Option<&'static str>,
    },
    /// Reading the cloud assembly failed.
    #[error(transparent)]
    Assembly(#[from] AssemblyError),
}

fn reasons_suffix(reasons: &[FailureReason]) -> String {
    match reasons.first() {
        Some(r) => format!(": {r}"),
        None => String::new(),
    }
}

fn hint_suffix(hint: &Option<&'static str>) -> String {
    hint.map(|h| format!("\n  = help: {h}")).unwrap_or_default()
}

/// A resource that failed, from the stack's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureReason {
    /// Its logical id.
    pub logical_id: String,
    /// Its construct path, when the manifest knows it.
    pub path: Option<String>,
    /// Its type.
    pub resource_type: String,
    /// The failed status (`CREATE_FAILED`).
    pub status: String,
    /// CloudFormation's reason.
    pub reason: String,
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}) {}: {}",
            self.path.as_deref().unwrap_or(&self.logical_id),
            self.resource_type,
            self.status,
            self.reason
        )
    }
}

impl DeployError {
    /// The AWS error code, for an API failure.
    pub fn code(&self) -> Option<&str> {
        match self {
            DeployError::Aws { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// Wraps an SDK error of `action` on `stack`, with a hint where the code calls for one.
    pub(crate) fn aws<E>(
        stack: &str,
        action: &'static str,
        err: aws_sdk_cloudformation::error::SdkError<
            E,
            aws_sdk_cloudformation::config::http::HttpResponse,
        >,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = err.code().map(String::from);
        let status = err.raw_response().map(|r| r.status().as_u16());
        let message = match (err.message(), status) {
            (Some(m), _) => m.to_string(),
            (None, Some(status)) => {
                format!("the service answered HTTP {status} with no AWS error in the body")
            }
            (None, None) => DisplayErrorContext(&err).to_string(),
        };
        let hint = match status {
            Some(s) if code.is_none() && s >= 500 => Some(
                "the service failed; try again (against an emulator such as moto, its log says why)",
            ),
            _ => hint_for(code.as_deref(), &message),
        };
        DeployError::Aws {
            stack: stack_name_of(stack).to_string(),
            action,
            code,
            message,
            hint,
        }
    }
}

/// The stack's name, also when the call named it by ARN (`arn:...:stack/NAME/uuid`): the
/// name is what the user knows it by.
fn stack_name_of(stack: &str) -> &str {
    if stack.starts_with("arn:") {
        stack.split('/').nth(1).unwrap_or(stack)
    } else {
        stack
    }
}

fn hint_for(code: Option<&str>, message: &str) -> Option<&'static str> {
    match code {
        Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired") => Some(
            "the credentials have expired: refresh them (`aws sso login --profile $AWS_PROFILE`, or new keys) and try again",
        ),
        Some(
            "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "InvalidAccessKeyId",
        ) => Some(
            "AWS does not accept these credentials: check AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
        ),
        Some("AccessDenied" | "AccessDeniedException" | "AuthorizationError") => Some(
            "the credentials lack a permission this needs: ask for it, or use a role that has it (--role-arn hands CloudFormation a role for the resources)",
        ),
        Some("Throttling" | "ThrottlingException") => {
            Some("AWS throttled the requests; wait a moment and try again")
        }
        Some("NoSuchBucket") => Some(
            "the --bucket does not exist in this account and region; create it or name another",
        ),
        None if message.contains("credentials") || message.contains("Credentials") => {
            Some("set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and try again")
        }
        None => Some("could not reach AWS: check the network, and AWS_ENDPOINT_URL if it is set"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_end_with_what_to_do() {
        let e = DeployError::TemplateTooLarge {
            stack: "Big".into(),
            bytes: 60_000,
            region: "eu-west-1".into(),
        };
        let text = e.to_string();
        assert!(
            text.contains("60000 bytes, over CloudFormation's 51200-byte limit"),
            "{text}"
        );
        assert!(
            text.contains("--bucket NAME")
                && text.contains("aws s3 mb s3://NAME --region eu-west-1"),
            "{text}"
        );
        let e = DeployError::NoCredentials {
            detail: "nothing found".into(),
        };
        assert!(
            e.to_string().contains("AWS_PROFILE") && e.to_string().contains("AWS_ACCESS_KEY_ID")
        );
        let e = DeployError::NoRegion { stack: "S".into() };
        assert!(e.to_string().contains("AWS_REGION"));
    }

    #[test]
    fn failures_name_the_first_reason() {
        let e = DeployError::Failed {
            stack: "S".into(),
            status: StackStatus::RollbackComplete,
            reasons: vec![FailureReason {
                logical_id: "Topic".into(),
                path: Some("S/Topic".into()),
                resource_type: "AWS::SNS::Topic".into(),
                status: "CREATE_FAILED".into(),
                reason: "Invalid parameter: TopicName".into(),
            }],
        };
        assert_eq!(
            e.to_string(),
            "S failed and is ROLLBACK_COMPLETE: S/Topic (AWS::SNS::Topic) CREATE_FAILED: Invalid parameter: TopicName"
        );
    }

    #[test]
    fn stacks_named_by_arn_are_reported_by_name() {
        assert_eq!(
            stack_name_of("arn:aws:cloudformation:us-east-1:123456789012:stack/App/0c8d"),
            "App"
        );
        assert_eq!(stack_name_of("App"), "App");
    }

    #[test]
    fn codes_get_hints() {
        assert!(
            hint_for(Some("ExpiredToken"), "")
                .unwrap()
                .contains("expired")
        );
        assert!(
            hint_for(None, "connection refused")
                .unwrap()
                .contains("AWS_ENDPOINT_URL")
        );
        assert_eq!(hint_for(Some("ValidationError"), "bad"), None);
    }
}
