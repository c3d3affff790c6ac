//! Why a diff, deploy or destroy did not do what was asked, and what to do about it.

use std::fmt;
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use stackwright_synth::assembly::AssemblyError;
use stackwright_synth::validate::limits::INLINE_BODY_BYTES;

use crate::status::StackStatus;
use crate::timeouts::{BadTimeout, Timeouts, human};

/// Where a call went, and how long it could wait: what an error needs to say which
/// endpoint did not answer within what.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    /// The endpoint's address (`https://cloudformation.us-east-1.amazonaws.com`, or
    /// `AWS_ENDPOINT_URL`).
    pub endpoint: String,
    /// The limits in effect.
    pub timeouts: Timeouts,
}

/// Which limit a call ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutStage {
    /// No connection could be opened in time.
    Connect,
    /// The connection opened, but no answer began in time.
    Read,
    /// One attempt took too long.
    Attempt,
    /// The call, with all its retries, took too long.
    Operation,
}

impl TimeoutStage {
    /// The environment variable that sets this limit.
    pub fn variable(self) -> &'static str {
        crate::timeouts::TIMEOUT_VARIABLES[match self {
            TimeoutStage::Connect => 0,
            TimeoutStage::Read => 1,
            TimeoutStage::Attempt => 2,
            TimeoutStage::Operation => 3,
        }]
    }

    fn limit(self, t: &Timeouts) -> Option<Duration> {
        match self {
            TimeoutStage::Connect => t.connect,
            TimeoutStage::Read => t.read,
            TimeoutStage::Attempt => t.attempt,
            TimeoutStage::Operation => t.operation,
        }
    }
}

/// What an SDK error is kept as: the cause of a [`DeployError`], behind
/// [`std::error::Error::source`].
pub type SdkCause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failure of a deploy, diff or destroy.
///
/// Its `Display` is one line that says what went wrong, naming the stack where there is
/// one; [`DeployError::hint`] says what to do next. An error that came from the AWS SDK
/// keeps it as its [`source`](std::error::Error::source), for whoever wants the whole
/// chain of causes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// The standard credential chain found nothing, or what it found could not be loaded.
    #[error("no AWS credentials{}: {detail}", for_stack(.stack))]
    NoCredentials {
        /// The stack that needed them, when one did.
        stack: Option<String>,
        /// What the chain said, in one line.
        detail: String,
        /// The SDK's error, when there was one.
        source: Option<SdkCause>,
    },
    /// A stack has no region and none is configured.
    #[error("no AWS region for stack {stack}: its Env names none and none is configured")]
    NoRegion {
        /// The stack.
        stack: String,
    },
    /// The credentials belong to another account than the stack's.
    #[error(
        "stack {stack} deploys to account {expected}, but the credentials are for account {actual}"
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
        "{stack}: the template is {bytes} bytes, over CloudFormation's {INLINE_BODY_BYTES}-byte limit for a template sent inline, and no bucket (--bucket) was given to upload it to"
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
    #[error("{stack} is {status}; nothing was changed")]
    NotDeployable {
        /// The stack.
        stack: String,
        /// Its status.
        status: StackStatus,
        /// What to do.
        hint: String,
    },
    /// Destroy refused: the stack has termination protection.
    #[error("{stack} has termination protection; nothing was deleted")]
    TerminationProtected {
        /// The stack.
        stack: String,
    },
    /// CloudFormation could not create the change set (an invalid template, a missing
    /// permission, ...).
    #[error("{stack}: CloudFormation rejected the change set: {reason}")]
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
        "{stack}: the change set was not executed{}: {message}; the stack is {}",
        code_suffix(.code),
        .status.as_ref().map_or("in an unknown state", StackStatus::as_str)
    )]
    ExecuteFailed {
        /// The stack.
        stack: String,
        /// AWS's error code, when there was a response that had one.
        code: Option<String>,
        /// What the API said.
        message: String,
        /// Where the stack was left.
        status: Option<StackStatus>,
        /// The SDK's error.
        source: Option<SdkCause>,
    },
    /// The deployed template could not be read as JSON (it was deployed by another tool as
    /// YAML, say).
    #[error("{stack}: the deployed template is not JSON ({reason})")]
    DeployedTemplateNotJson {
        /// The stack.
        stack: String,
        /// The parse error.
        reason: String,
    },
    /// A call got no answer within its time limit (see [`crate::Timeouts`]).
    #[error("{}{}", stack_prefix(.stack), no_answer(.action, .endpoint, *.stage, *.waited))]
    NoAnswer {
        /// The stack concerned (empty for a call about no stack).
        stack: String,
        /// The API action.
        action: &'static str,
        /// Where the call went.
        endpoint: String,
        /// Which limit it ran into.
        stage: TimeoutStage,
        /// The limit, when known.
        waited: Option<Duration>,
        /// The SDK's error.
        source: Option<SdkCause>,
    },
    /// A `STACKWRIGHT_*_TIMEOUT` variable holds something that is not a time limit.
    #[error(transparent)]
    BadTimeout(#[from] BadTimeout),
    /// A stack of this name exists but stackwright did not deploy it for this app: it has
    /// no `stackwright:app` tag, or another app's.
    #[error(
        "{stack} {}; nothing was {}",
        owner_text(.owner, .app),
        if *.deleting { "deleted" } else { "changed" }
    )]
    NotOwned {
        /// The stack.
        stack: String,
        /// This app's name (the tag's value stackwright writes).
        app: String,
        /// The app its tag names, when it has the tag.
        owner: Option<String>,
        /// Destroy refused (rather than deploy).
        deleting: bool,
    },
    /// Destroy refused: stacks that are deployed and are not being destroyed depend on
    /// this one (the app's dependencies, or stacks importing its exports).
    #[error(
        "{stack} is still needed: {} {} on it and {} deployed; nothing was deleted",
        and_list(.dependants),
        if .dependants.len() == 1 { "depends" } else { "depend" },
        if .dependants.len() == 1 { "is" } else { "are" }
    )]
    NeededBy {
        /// The stack.
        stack: String,
        /// The deployed stacks that depend on it.
        dependants: Vec<String>,
    },
    /// Deploy refused: stacks this one depends on are not deployed.
    #[error(
        "{stack} depends on {}, which {} not deployed; nothing was changed",
        and_list(.missing),
        if .missing.len() == 1 { "is" } else { "are" }
    )]
    DependenciesNotDeployed {
        /// The stack.
        stack: String,
        /// The dependencies that are not deployed, in deployment order.
        missing: Vec<String>,
    },
    /// Another operation changed the stack while this deploy was preparing its change set
    /// (another deploy, or someone in the console); this deploy's change set was not
    /// executed.
    #[error(
        "{stack} was changed by another operation while this deploy prepared its change set (it is {}); this deploy changed nothing",
        .status.as_ref().map_or("in an unknown state", StackStatus::as_str)
    )]
    ChangedMeanwhile {
        /// The stack.
        stack: String,
        /// Its status now, when known.
        status: Option<StackStatus>,
    },
    /// Deploy refused: the deployed stack's release marker says a release is unfinished. A
    /// deploy now would run against the release's half-moved traffic, and its next step
    /// against the deploy's template.
    #[error(
        "{stack}: the release {release} is unfinished ({parameter} is '{state}'); nothing was changed"
    )]
    ReleaseUnfinished {
        /// The stack.
        stack: String,
        /// The release's construct path.
        release: String,
        /// Its marker parameter.
        parameter: String,
        /// What the marker says the release is doing.
        state: String,
    },
    /// Another operation kept the stack busy for longer than deploy waits.
    #[error("{stack} is still {status} after waiting {}; nothing was changed", human(*.waited))]
    StillBusy {
        /// The stack.
        stack: String,
        /// Its status.
        status: StackStatus,
        /// How long deploy waited.
        waited: Duration,
    },
    /// The operation ended, but the stack's name now leads to another stack (or to none):
    /// two stacks were made under one name, or the stack was replaced meanwhile.
    #[error(
        "{stack}: the change set's stack ({stack_id}) ended {status}, but the stack called {stack} is {}",
        found_text(.found_id, .found_status)
    )]
    NameMismatch {
        /// The stack's name.
        stack: String,
        /// The stack the change set was executed on.
        stack_id: String,
        /// Its status.
        status: StackStatus,
        /// The stack the name leads to now.
        found_id: Option<String>,
        /// That stack's status.
        found_status: Option<StackStatus>,
    },
    /// `ExecuteChangeSet` got no answer, and the stack could not be looked up afterwards:
    /// whether CloudFormation executed the change set is not known.
    #[error(
        "{stack}: ExecuteChangeSet got no answer ({message}), and the stack could not be looked up afterwards; whether the change set was executed is unknown"
    )]
    ExecuteUnconfirmed {
        /// The stack.
        stack: String,
        /// What happened to the call.
        message: String,
        /// The SDK's error.
        source: Option<SdkCause>,
    },
    /// An AWS API call failed.
    #[error("{}{action} failed{}: {message}", stack_prefix(.stack), code_suffix(.code))]
    Aws {
        /// The stack concerned (empty for a call about no stack, such as whose the
        /// credentials are).
        stack: String,
        /// The API action.
        action: &'static str,
        /// AWS's error code, when there was a response that had one.
        code: Option<String>,
        /// What AWS (or the connection) said.
        message: String,
        /// What to do, when the code says.
        hint: Option<&'static str>,
        /// The SDK's error.
        source: Option<SdkCause>,
    },
    /// Reading the cloud assembly failed.
    #[error(transparent)]
    Assembly(#[from] AssemblyError),
    /// A release gate was given a value that cannot be what it stands for (the ARN of
    /// another kind of resource, a percentile over 100).
    #[error("{what} {value:?} is not {expected}")]
    BadGateInput {
        /// What the value was to be.
        what: &'static str,
        /// The value.
        value: String,
        /// What it should look like.
        expected: &'static str,
    },
}

fn for_stack(stack: &Option<String>) -> String {
    stack
        .as_ref()
        .map(|s| format!(" for stack {s}"))
        .unwrap_or_default()
}

fn stack_prefix(stack: &str) -> String {
    if stack.is_empty() {
        String::new()
    } else {
        format!("{stack}: ")
    }
}

fn code_suffix(code: &Option<String>) -> String {
    code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
}

fn no_answer(
    action: &str,
    endpoint: &str,
    stage: TimeoutStage,
    waited: Option<Duration>,
) -> String {
    let within = waited.map_or("in time".to_string(), |w| format!("within {}", human(w)));
    match stage {
        TimeoutStage::Connect => format!("{action}: could not connect to {endpoint} {within}"),
        TimeoutStage::Operation => {
            format!("{action} to {endpoint} did not answer {within} (all attempts)")
        }
        TimeoutStage::Read | TimeoutStage::Attempt => {
            format!("{action} to {endpoint} did not answer {within}")
        }
    }
}

fn owner_text(owner: &Option<String>, app: &str) -> String {
    match owner {
        None => "exists but was not deployed by stackwright (it has no stackwright:app tag)".into(),
        Some(o) => format!(
            "belongs to the stackwright app '{o}' (its stackwright:app tag), not to '{app}'"
        ),
    }
}

fn found_text(id: &Option<String>, status: &Option<StackStatus>) -> String {
    match (id, status) {
        (Some(id), Some(s)) => format!("another one ({id}, {s})"),
        (Some(id), None) => format!("another one ({id})"),
        _ => "gone".into(),
    }
}

/// `A`, `A and B`, `A, B and C`.
pub(crate) fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn reasons_suffix(reasons: &[FailureReason]) -> String {
    match reasons.first() {
        Some(r) => format!(": {r}"),
        None => String::new(),
    }
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
            DeployError::Aws { code, .. } | DeployError::ExecuteFailed { code, .. } => {
                code.as_deref()
            }
            _ => None,
        }
    }

    /// Whether AWS could not be reached at all: no connection, it broke before an answer
    /// came, or no answer came in time ([`DeployError::NoAnswer`]). Any other call to the
    /// same endpoint fails the same way, so a command going through many stacks can stop
    /// at the first.
    pub fn is_connection_failure(&self) -> bool {
        if matches!(self, DeployError::NoAnswer { .. }) {
            return true;
        }
        std::error::Error::source(self).is_some_and(|source| {
            causes(source).any(|e| {
                e.downcast_ref::<aws_sdk_cloudformation::error::ConnectorError>()
                    .is_some()
            })
        })
    }

    /// What to do next, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            DeployError::NoCredentials { .. } => Some(
                "set AWS_PROFILE to a profile in ~/.aws/config (run `aws sso login` first for an SSO profile), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; `aws sts get-caller-identity` shows what the chain finds".into(),
            ),
            DeployError::NoRegion { .. } => Some(
                "set AWS_REGION (or `region` in the AWS_PROFILE profile), or give the stack an Env with a region".into(),
            ),
            DeployError::WrongAccount { .. } => Some(
                "pick that account's credentials (AWS_PROFILE), or fix the stack's Env".into(),
            ),
            DeployError::TemplateTooLarge { region, .. } => Some(format!(
                "pass --bucket NAME, an S3 bucket in {region} you can write to (create one with `aws s3 mb s3://NAME --region {region}`); deploy uploads the template there"
            )),
            DeployError::NotDeployable { hint, .. } => Some(hint.clone()),
            DeployError::TerminationProtected { stack } => Some(format!(
                "turn it off in code (`set_termination_protection(false)`) and deploy, or run `aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name {stack}`, then destroy again"
            )),
            DeployError::ChangeSetFailed { .. } => {
                Some("fix what the reason names and deploy again".into())
            }
            DeployError::ExecuteFailed { .. } => Some(
                "fix the cause and deploy again; deploy starts over from this state".into(),
            ),
            DeployError::DeployedTemplateNotJson { stack, .. } => Some(format!(
                "compare through CloudFormation instead: `diff --change-set {stack}`"
            )),
            DeployError::Aws { hint, .. } => hint.map(String::from),
            DeployError::NoAnswer {
                endpoint, stage, ..
            } => Some(format!(
                "check the network and that {endpoint} is the endpoint meant (AWS_ENDPOINT_URL); to wait longer, set {} (seconds, or `off`); AWS_MAX_ATTEMPTS sets how often a call is tried",
                stage.variable()
            )),
            DeployError::BadTimeout(_) => Some(
                "give seconds (`30`, `2.5`, `30s`), milliseconds (`500ms`), or `off` for no limit".into(),
            ),
            DeployError::NotOwned {
                stack,
                deleting: false,
                ..
            } => Some(format!(
                "if this app is to take the stack over, deploy again with --adopt {stack}; compare first (`diff {stack}`): resources the app's template does not have are deleted"
            )),
            DeployError::NotOwned {
                stack,
                deleting: true,
                ..
            } => Some(format!(
                "destroy deletes only stacks this app deployed; if {stack} is to go anyway, delete it yourself (`aws cloudformation delete-stack --stack-name {stack}`)"
            )),
            DeployError::NeededBy { dependants, .. } => Some(format!(
                "destroy {} first, or destroy them together (dependants are deleted first)",
                and_list(dependants)
            )),
            DeployError::DependenciesNotDeployed { stack, missing } => Some(format!(
                "deploy {} first, or deploy them together with {stack}",
                and_list(missing)
            )),
            DeployError::ChangedMeanwhile { stack, .. } => Some(format!(
                "another deploy (or someone in the console) is changing {stack}: let it finish, compare (`diff {stack}`), then deploy again"
            )),
            DeployError::ReleaseUnfinished { stack, .. } => Some(format!(
                "finish or undo the release first: `release {stack} --status` shows where it is, `release {stack} --rollback` puts all traffic back on the previous colour; then deploy again"
            )),
            DeployError::StillBusy { .. } => Some(
                "another operation is running on the stack (another deploy, or the console): wait for it to end, then run this again".into(),
            ),
            DeployError::NameMismatch { stack, .. } => Some(format!(
                "two stacks were made under the name {stack}: `list` and the CloudFormation console show which is which; delete the one that should not exist, then deploy again"
            )),
            DeployError::ExecuteUnconfirmed { stack, .. } => Some(format!(
                "look at {stack} (`list`, or the console); deploying again waits for an operation that is running and then says whether anything is left to change"
            )),
            DeployError::BadGateInput { .. } => Some(
                "take the value from the deployed stack's outputs (a `Ref` or `Fn::GetAtt` of the resource), not from its name".into(),
            ),
            DeployError::Failed { .. } | DeployError::Assembly(_) => None,
        }
    }

    /// The same error, about `stack`: for the checks made once for all stacks (whose the
    /// credentials are), which learn of the stack only from their caller.
    pub(crate) fn for_stack(mut self, name: &str) -> Self {
        match &mut self {
            DeployError::NoCredentials { stack, .. } if stack.is_none() => {
                *stack = Some(name.to_string())
            }
            DeployError::Aws { stack, .. } | DeployError::NoAnswer { stack, .. }
                if stack.is_empty() =>
            {
                *stack = name.to_string()
            }
            _ => {}
        }
        self
    }

    /// Credentials that could not be resolved.
    pub(crate) fn no_credentials(err: CredentialsError) -> Self {
        DeployError::NoCredentials {
            stack: None,
            detail: one_line(&err),
            source: Some(Box::new(err)),
        }
    }

    /// Wraps an SDK error of `action` on `stack` (empty for none), sent to `site`, with a
    /// hint where the code calls for one. A call that ran into a time limit is
    /// [`DeployError::NoAnswer`].
    pub(crate) fn aws<E>(
        stack: &str,
        action: &'static str,
        site: &Site,
        err: aws_sdk_cloudformation::error::SdkError<
            E,
            aws_sdk_cloudformation::config::http::HttpResponse,
        >,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let stack = stack_name_of(stack).to_string();
        // Credentials that fail while a request is signed are the same problem as
        // credentials that fail up front, and get the same help.
        let credentials = causes(&err)
            .find_map(|e| e.downcast_ref::<CredentialsError>())
            .map(|c| one_line(c));
        if let Some(detail) = credentials {
            return DeployError::NoCredentials {
                stack: (!stack.is_empty()).then_some(stack),
                detail,
                source: Some(Box::new(err)),
            };
        }
        if let Some(stage) = timeout_stage(&err) {
            return DeployError::NoAnswer {
                stack,
                action,
                endpoint: site.endpoint.clone(),
                stage,
                waited: stage.limit(&site.timeouts),
                source: Some(Box::new(err)),
            };
        }
        let status = err.raw_response().map(|r| r.status().as_u16());
        let mut code = err.code().map(String::from);
        let mut message = err.message().map(String::from);
        if code.is_none() && message.is_none() {
            // An error body the SDK could not read, such as the JSON an emulator answers
            // with for an error of another service's protocol: it still says what went
            // wrong.
            if let Some((c, m)) = err
                .raw_response()
                .and_then(|r| r.body().bytes())
                .and_then(error_in_body)
            {
                code = c;
                message = m;
            }
        }
        let message = message.unwrap_or_else(|| what_happened(&err, status));
        let hint = hint_for(code.as_deref(), status);
        DeployError::Aws {
            stack,
            action,
            code,
            message,
            hint,
            source: Some(Box::new(err)),
        }
    }
}

/// Which time limit an SDK error ran into, if it ran into one.
fn timeout_stage<E, R>(err: &aws_sdk_cloudformation::error::SdkError<E, R>) -> Option<TimeoutStage>
where
    E: std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    use aws_sdk_cloudformation::error::SdkError;

    // The SDK's timeout errors are private types; their messages say which limit it was
    // ("HTTP connect timeout occurred after 1s", "operation timeout (all attempts
    // including retries) occurred after 3s").
    let said = |needle: &str| causes(err).any(|e| e.to_string().contains(needle));
    match err {
        SdkError::TimeoutError(_) if said("operation timeout (all attempts") => {
            Some(TimeoutStage::Operation)
        }
        SdkError::TimeoutError(_) => Some(TimeoutStage::Attempt),
        SdkError::DispatchFailure(d) if d.is_timeout() => Some(if said("connect timeout") {
            TimeoutStage::Connect
        } else {
            TimeoutStage::Read
        }),
        _ => None,
    }
}

/// An error and everything below it.
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| e.source())
}

/// An error in one line: its own message and, when there is a deeper one, the deepest
/// cause, which is usually the one that names the file, profile or host.
fn one_line(err: &(dyn std::error::Error + 'static)) -> String {
    let top = err.to_string();
    match causes(err).last().map(|e| e.to_string()) {
        Some(root) if root != top => format!("{top}: {root}"),
        _ => top,
    }
}

/// For an SDK error without an AWS error: what happened, in words.
fn what_happened<E, R>(
    err: &aws_sdk_cloudformation::error::SdkError<E, R>,
    status: Option<u16>,
) -> String
where
    E: std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    use aws_sdk_cloudformation::error::SdkError;

    let root = causes(err)
        .skip(1)
        .last()
        .map(|e| e.to_string())
        .unwrap_or_default();
    match err {
        SdkError::DispatchFailure(d) if d.is_timeout() => "the connection timed out".into(),
        SdkError::DispatchFailure(d) if d.is_io() => format!("could not connect: {root}"),
        SdkError::DispatchFailure(_) => format!("the request could not be sent: {root}"),
        SdkError::TimeoutError(_) => "no answer in time".into(),
        SdkError::ConstructionFailure(_) => format!("the request could not be built: {root}"),
        SdkError::ResponseError(_) => match status {
            Some(s) => format!("the answer (HTTP {s}) could not be read: {root}"),
            None => format!("the answer could not be read: {root}"),
        },
        _ => match status {
            // A success whose body the SDK could not read (a protocol mismatch, an
            // emulator's mistake) is no error of the service's.
            Some(s) if (200..300).contains(&s) => {
                format!("the answer (HTTP {s}) could not be read: {root}")
            }
            Some(s) => format!("the service answered HTTP {s} with no error code or message"),
            None => one_line(err),
        },
    }
}

/// The code and message of an error body the SDK did not parse: JSON (`__type` or
/// `code`, and `message`) or query-protocol XML (`<Code>`, `<Message>`).
fn error_in_body(body: &[u8]) -> Option<(Option<String>, Option<String>)> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let (code, message) = if text.starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(text).ok()?;
        let field = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| json.get(k).and_then(|v| v.as_str()))
                .map(String::from)
        };
        // JSON protocols may qualify the code: `aws.logs#ResourceAlreadyExistsException`.
        let code = field(&["__type", "code", "Code"])
            .map(|c| c.rsplit('#').next().unwrap_or(&c).to_string());
        (code, field(&["message", "Message", "errorMessage"]))
    } else {
        let tag = |name: &str| {
            let open = format!("<{name}>");
            let start = text.find(&open)? + open.len();
            let end = text[start..].find(&format!("</{name}>"))? + start;
            Some(text[start..end].trim().to_string())
        };
        (tag("Code"), tag("Message"))
    };
    let code = code.filter(|c| !c.is_empty());
    let message = message.filter(|m| !m.is_empty());
    (code.is_some() || message.is_some()).then_some((code, message))
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

fn hint_for(code: Option<&str>, status: Option<u16>) -> Option<&'static str> {
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
        Some(
            "TargetGroupNotFound"
            | "LoadBalancerNotFound"
            | "ResourceNotFound"
            | "ServiceNotFoundException"
            | "ClusterNotFoundException",
        ) => Some(
            "it is not there in this account and region: check that the stack is deployed there and that its outputs name it",
        ),
        Some("NoSuchBucket") => Some(
            "the --bucket does not exist in this account and region; create it or name another",
        ),
        Some(_) => None,
        None => match status {
            None => {
                Some("could not reach AWS: check the network, and AWS_ENDPOINT_URL if it is set")
            }
            Some(s) if s >= 500 => Some(
                "the service failed; try again (against an emulator such as moto, its log says why)",
            ),
            Some(_) => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_hints_say_what_to_do() {
        let e = DeployError::TemplateTooLarge {
            stack: "Big".into(),
            bytes: 60_000,
            region: "eu-west-1".into(),
        };
        assert_eq!(
            e.to_string(),
            "Big: the template is 60000 bytes, over CloudFormation's 51200-byte limit for a template sent inline, and no bucket (--bucket) was given to upload it to"
        );
        let hint = e.hint().unwrap();
        assert!(
            hint.contains("--bucket NAME")
                && hint.contains("aws s3 mb s3://NAME --region eu-west-1"),
            "{hint}"
        );
        let e = DeployError::NoCredentials {
            stack: Some("App".into()),
            detail: "nothing found".into(),
            source: None,
        };
        assert_eq!(
            e.to_string(),
            "no AWS credentials for stack App: nothing found"
        );
        let hint = e.hint().unwrap();
        assert!(
            hint.contains("AWS_PROFILE") && hint.contains("AWS_ACCESS_KEY_ID"),
            "{hint}"
        );
        let e = DeployError::NoRegion { stack: "S".into() };
        assert!(e.hint().unwrap().contains("AWS_REGION"));
        let e = DeployError::Aws {
            stack: "App".into(),
            action: "DescribeStacks",
            code: Some("Throttling".into()),
            message: "Rate exceeded".into(),
            hint: hint_for(Some("Throttling"), Some(400)),
            source: None,
        };
        assert_eq!(
            e.to_string(),
            "App: DescribeStacks failed (Throttling): Rate exceeded"
        );
        assert_eq!(
            e.hint().as_deref(),
            Some("AWS throttled the requests; wait a moment and try again")
        );
        let e = e.for_stack("Other");
        assert!(e.to_string().starts_with("App: "), "a named stack stays");
        let e = DeployError::Aws {
            stack: String::new(),
            action: "GetCallerIdentity",
            code: None,
            message: "could not connect: refused".into(),
            hint: None,
            source: None,
        };
        assert_eq!(
            e.to_string(),
            "GetCallerIdentity failed: could not connect: refused"
        );
        assert_eq!(
            e.for_stack("App").to_string(),
            "App: GetCallerIdentity failed: could not connect: refused"
        );
        for e in [
            DeployError::Failed {
                stack: "S".into(),
                status: StackStatus::RollbackComplete,
                reasons: vec![],
            },
            DeployError::ExecuteFailed {
                stack: "S".into(),
                code: None,
                message: "m".into(),
                status: None,
                source: None,
            },
        ] {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }

    #[test]
    fn connection_failures_are_known_by_their_cause() {
        use aws_sdk_cloudformation::error::ConnectorError;
        let aws = |source: Option<SdkCause>| DeployError::Aws {
            stack: "App".into(),
            action: "DescribeStacks",
            code: None,
            message: "could not connect: refused".into(),
            hint: None,
            source,
        };
        assert!(aws(Some(Box::new(ConnectorError::io("refused".into())))).is_connection_failure());
        assert!(!aws(Some("HTTP 500".into())).is_connection_failure());
        assert!(!aws(None).is_connection_failure());
        let answered = DeployError::ChangeSetFailed {
            stack: "App".into(),
            reason: "no".into(),
        };
        assert!(!answered.is_connection_failure());
        let silent = DeployError::NoAnswer {
            stack: "App".into(),
            action: "DescribeStacks",
            endpoint: "http://127.0.0.1:9".into(),
            stage: TimeoutStage::Read,
            waited: Some(Duration::from_secs(20)),
            source: None,
        };
        assert!(silent.is_connection_failure());
    }

    #[test]
    fn error_bodies_the_sdk_did_not_read_still_give_code_and_message() {
        let json = br#"{"__type": "ResourceAlreadyExistsException", "message": "The specified log group already exists"}"#;
        assert_eq!(
            error_in_body(json),
            Some((
                Some("ResourceAlreadyExistsException".into()),
                Some("The specified log group already exists".into())
            ))
        );
        let qualified = br#"{"__type": "aws.logs#LimitExceededException", "Message": "too many"}"#;
        assert_eq!(
            error_in_body(qualified),
            Some((
                Some("LimitExceededException".into()),
                Some("too many".into())
            ))
        );
        let xml = b"<Error><Code>Boom</Code><Message> it broke </Message></Error>";
        assert_eq!(
            error_in_body(xml),
            Some((Some("Boom".into()), Some("it broke".into())))
        );
        assert_eq!(error_in_body(b"<html>Bad Gateway</html>"), None);
        assert_eq!(error_in_body(b"{}"), None);
        assert_eq!(error_in_body(b""), None);
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
            hint_for(Some("ExpiredToken"), Some(403))
                .unwrap()
                .contains("expired")
        );
        assert!(
            hint_for(None, None).unwrap().contains("AWS_ENDPOINT_URL"),
            "no answer at all: the network"
        );
        assert!(hint_for(None, Some(503)).unwrap().contains("try again"));
        assert_eq!(hint_for(Some("ValidationError"), Some(400)), None);
        assert_eq!(
            hint_for(None, Some(400)),
            None,
            "an answer came: not the network"
        );
    }
}
