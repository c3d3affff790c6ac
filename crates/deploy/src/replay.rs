//! Tests over recorded CloudFormation responses: the real SDK client, fed answers that
//! moto cannot give (a rollback, outputs of a stack created through a change set, a
//! stack busy with another operation, termination protection, retained resources, ...).
//!
//! The answers are moto's recorded XML, edited into the states real CloudFormation
//! reaches. A replaying HTTP client sits where the SDK's HTTPS client would: requests are
//! matched by their `Action` and answered in order (the last answer of an action repeats,
//! which is what polling wants), and every request is kept for the test to inspect.

use std::collections::{HashMap, VecDeque};
use std::error::Error as _;
use std::io;
use std::sync::{Arc, Mutex};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use aws_sdk_cloudformation::config::http::HttpResponse as SdkResponse;
use aws_sdk_cloudformation::error::SdkError;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use indexmap::IndexMap;
use stackwright_synth::assembly::{Environment, ManifestStack};

use super::*;

#[derive(Default, Debug)]
struct State {
    answers: HashMap<String, VecDeque<(u16, String)>>,
    requests: Vec<(String, String)>,
    /// Fail every request as a refused connection would.
    refuse: bool,
}

/// Replays recorded answers by API action.
#[derive(Clone, Default, Debug)]
struct Replay(Arc<Mutex<State>>);

impl Replay {
    /// Queues an answer to `action`.
    fn on(&self, action: &str, status: u16, body: impl Into<String>) -> &Self {
        self.0
            .lock()
            .unwrap()
            .answers
            .entry(action.to_string())
            .or_default()
            .push_back((status, body.into()));
        self
    }

    fn ok(&self, action: &str, body: impl Into<String>) -> &Self {
        self.on(action, 200, body)
    }

    /// From now on, every request fails before any answer, as with nothing listening.
    fn refuse_connections(&self) {
        self.0.lock().unwrap().refuse = true;
    }

    /// The actions requested, in order.
    fn actions(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .requests
            .iter()
            .map(|(a, _)| a.clone())
            .collect()
    }

    /// The form body of the first request of `action`.
    fn request(&self, action: &str) -> String {
        self.0
            .lock()
            .unwrap()
            .requests
            .iter()
            .find(|(a, _)| a == action)
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("no {action} request"))
    }

    async fn aws(&self) -> Aws {
        self.aws_with(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "replay",
        )))
        .await
    }

    async fn aws_with(&self, credentials: SharedCredentialsProvider) -> Aws {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(credentials)
            .retry_config(RetryConfig::disabled())
            .http_client(SharedHttpClient::new(self.clone()))
            .load()
            .await;
        Aws::from_config(config)
    }
}

impl HttpConnector for Replay {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let action = body
            .split('&')
            .find_map(|kv| kv.strip_prefix("Action="))
            .unwrap_or("?")
            .to_string();
        let mut state = self.0.lock().unwrap();
        state.requests.push((action.clone(), body));
        if state.refuse {
            let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "connection refused");
            return HttpConnectorFuture::ready(Err(ConnectorError::io(refused.into())));
        }
        let (status, xml) = match state.answers.get_mut(&action) {
            Some(q) if q.len() > 1 => q.pop_front().unwrap(),
            Some(q) if q.len() == 1 => q[0].clone(),
            _ => (
                400,
                error_xml("NoRecording", &format!("no recorded answer for {action}")),
            ),
        };
        let mut response =
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(xml));
        response.headers_mut().insert("content-type", "text/xml");
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for Replay {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

const NS: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
const STACK_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/App/ecde6bb3";
const CS_ID: &str =
    "arn:aws:cloudformation:us-east-1:123456789012:changeSet/stackwright-deploy/bfa516d0";

fn response(action: &str, inner: &str) -> String {
    format!(
        "<{action}Response xmlns=\"{NS}\"><{action}Result>{inner}</{action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{action}Response>"
    )
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
}

/// DescribeStacks answering one stack; `extra` goes inside its `member`.
fn stack(status: &str, extra: &str) -> String {
    response(
        "DescribeStacks",
        &format!(
            "<Stacks><member><StackId>{STACK_ID}</StackId><StackName>App</StackName><Parameters/><CreationTime>2026-11-23T17:44:19Z</CreationTime><StackStatus>{status}</StackStatus><DisableRollback>false</DisableRollback><NotificationARNs/><Tags/>{extra}</member></Stacks>"
        ),
    )
}

fn no_stack() -> String {
    error_xml("ValidationError", "Stack with id App does not exist")
}

fn created_change_set() -> String {
    response(
        "CreateChangeSet",
        &format!("<Id>{CS_ID}</Id><StackId>{STACK_ID}</StackId>"),
    )
}

fn change_set(status: &str, reason: &str, changes: &str) -> String {
    let reason = if reason.is_empty() {
        String::new()
    } else {
        format!("<StatusReason>{reason}</StatusReason>")
    };
    response(
        "DescribeChangeSet",
        &format!(
            "<ChangeSetName>stackwright-deploy</ChangeSetName><ChangeSetId>{CS_ID}</ChangeSetId><StackId>{STACK_ID}</StackId><StackName>App</StackName><Parameters/><CreationTime>2026-11-23T17:44:19Z</CreationTime><ExecutionStatus>AVAILABLE</ExecutionStatus><Status>{status}</Status>{reason}<NotificationARNs/><Tags/><Changes>{changes}</Changes>"
        ),
    )
}

fn add(logical: &str, ty: &str) -> String {
    format!(
        "<member><Type>Resource</Type><ResourceChange><Action>Add</Action><LogicalResourceId>{logical}</LogicalResourceId><ResourceType>{ty}</ResourceType></ResourceChange></member>"
    )
}

/// DescribeStackEvents, newest first: (id, logical id, type, status, reason).
fn events(list: &[(&str, &str, &str, &str, &str)]) -> String {
    let members: String = list
        .iter()
        .map(|(id, logical, ty, status, reason)| {
            format!(
                "<member><StackId>{STACK_ID}</StackId><EventId>{id}</EventId><StackName>App</StackName><LogicalResourceId>{logical}</LogicalResourceId><PhysicalResourceId>phys-{logical}</PhysicalResourceId><ResourceType>{ty}</ResourceType><Timestamp>2026-11-23T17:44:19Z</Timestamp><ResourceStatus>{status}</ResourceStatus><ResourceStatusReason>{reason}</ResourceStatusReason></member>"
            )
        })
        .collect();
    response(
        "DescribeStackEvents",
        &format!("<StackEvents>{members}</StackEvents>"),
    )
}

/// ListChangeSets answering these change set names of the stack.
fn change_sets(names: &[&str]) -> String {
    let members: String = names
        .iter()
        .map(|n| {
            format!(
                "<member><StackId>{STACK_ID}</StackId><StackName>App</StackName><ChangeSetId>arn:cs:{n}</ChangeSetId><ChangeSetName>{n}</ChangeSetName><ExecutionStatus>AVAILABLE</ExecutionStatus><Status>CREATE_COMPLETE</Status></member>"
            )
        })
        .collect();
    response(
        "ListChangeSets",
        &format!("<Summaries>{members}</Summaries>"),
    )
}

const STACK: &str = "AWS::CloudFormation::Stack";
const TOPIC: &str = "AWS::SNS::Topic";

fn empty(action: &str) -> String {
    response(action, "")
}

fn target(account: &str) -> StackTarget {
    let body = "{\n  \"Resources\": {\n    \"Topic\": {\n      \"Type\": \"AWS::SNS::Topic\"\n    }\n  }\n}\n";
    StackTarget {
        name: "App".into(),
        manifest: ManifestStack {
            environment: Environment {
                account: account.into(),
                region: "us-east-1".into(),
            },
            template_file: "App.template.json".into(),
            template_hash: "abc".into(),
            template_bytes: body.len(),
            resource_count: 1,
            dependencies: vec![],
            termination_protection: false,
            tags: IndexMap::from([("Project".to_string(), "Demo".to_string())]),
            paths: IndexMap::from([("Topic".to_string(), "App/Topic".to_string())]),
        },
        body: body.into(),
    }
}

fn deployer(aws: Aws) -> Deployer {
    Deployer::new(aws).poll_interval(std::time::Duration::from_millis(1))
}

async fn deploy(r: &Replay, t: &StackTarget) -> (Result<DeployResult, DeployError>, Vec<Activity>) {
    let mut seen = Vec::new();
    let result = deployer(r.aws().await)
        .deploy(t, &DeployOptions::default(), &mut |a| seen.push(a))
        .await;
    (result, seen)
}

/// A successful creation: the stack's closing event and its outputs.
fn create_succeeds(r: &Replay) {
    r.ok("CreateChangeSet", created_change_set())
        .ok(
            "DescribeChangeSet",
            change_set("CREATE_COMPLETE", "", &add("Topic", TOPIC)),
        )
        .ok("ExecuteChangeSet", empty("ExecuteChangeSet"))
        .ok(
            "DescribeStackEvents",
            events(&[("e1", "App", STACK, "REVIEW_IN_PROGRESS", "User Initiated")]),
        )
        .ok(
            "DescribeStackEvents",
            events(&[
                ("e4", "App", STACK, "CREATE_COMPLETE", ""),
                ("e3", "Topic", TOPIC, "CREATE_COMPLETE", ""),
                ("e2", "App", STACK, "CREATE_IN_PROGRESS", "User Initiated"),
                ("e1", "App", STACK, "REVIEW_IN_PROGRESS", "User Initiated"),
            ]),
        );
}

const OUTPUTS: &str = "<Outputs><member><OutputKey>TopicArn</OutputKey><OutputValue>arn:aws:sns:us-east-1:123456789012:t</OutputValue></member></Outputs>";

#[tokio::test]
async fn a_created_stack_reports_its_outputs_which_moto_does_not_record() {
    let r = Replay::default();
    r.on("DescribeStacks", 400, no_stack())
        .ok("DescribeStacks", stack("CREATE_COMPLETE", OUTPUTS));
    create_succeeds(&r);
    let (result, seen) = deploy(&r, &target("")).await;
    let result = result.unwrap();
    assert_eq!(result.outcome, DeployOutcome::Created);
    assert_eq!(
        result.outputs["TopicArn"],
        "arn:aws:sns:us-east-1:123456789012:t"
    );
    let progress: Vec<(String, usize, usize)> = seen
        .iter()
        .filter_map(|a| match a {
            Activity::Event {
                event,
                path,
                done,
                total,
                ..
            } => Some((
                format!(
                    "{}:{}",
                    path.as_deref().unwrap_or(&event.logical_id),
                    event.status.as_str()
                ),
                *done,
                *total,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        progress,
        [
            ("App:CREATE_IN_PROGRESS".to_string(), 0, 1),
            ("App/Topic:CREATE_COMPLETE".to_string(), 1, 1),
            ("App:CREATE_COMPLETE".to_string(), 1, 1),
        ],
        "only events after the primed ones, oldest first, with construct paths"
    );
    let create = r.request("CreateChangeSet");
    assert!(create.contains("ChangeSetType=CREATE"), "{create}");
    assert!(create.contains("Tags.member.1.Key=Project"), "{create}");
    assert!(create.contains("TemplateBody="), "{create}");
}

#[tokio::test]
async fn a_rolled_back_first_creation_is_deleted_and_created_again() {
    let r = Replay::default();
    r.ok("DescribeStacks", stack("ROLLBACK_COMPLETE", ""))
        // After DeleteStack, looked up by ARN: deleted. Then the new stack is described.
        .ok("DescribeStacks", stack("DELETE_COMPLETE", ""))
        .ok("DescribeStacks", stack("CREATE_COMPLETE", ""))
        .ok("DeleteStack", empty("DeleteStack"));
    create_succeeds(&r);
    let (result, seen) = deploy(&r, &target("")).await;
    assert_eq!(result.unwrap().outcome, DeployOutcome::Created);
    assert!(matches!(
        &seen[0],
        Activity::Recreating {
            status: StackStatus::RollbackComplete,
            ..
        }
    ));
    let actions = r.actions();
    let delete = actions.iter().position(|a| a == "DeleteStack").unwrap();
    let create = actions.iter().position(|a| a == "CreateChangeSet").unwrap();
    assert!(delete < create, "{actions:?}");
    assert!(
        r.request("CreateChangeSet")
            .contains("ChangeSetType=CREATE")
    );
}

#[tokio::test]
async fn a_failed_creation_reports_the_failing_resources_and_keeps_the_stack() {
    let r = Replay::default();
    r.on("DescribeStacks", 400, no_stack())
        .ok("DescribeStacks", stack("ROLLBACK_IN_PROGRESS", ""))
        .ok("DescribeStacks", stack("ROLLBACK_COMPLETE", "<StackStatusReason>The following resource(s) failed to create: [Topic]. Rollback requested by user.</StackStatusReason>"))
        .ok("CreateChangeSet", created_change_set())
        .ok("DescribeChangeSet", change_set("CREATE_COMPLETE", "", &add("Topic", TOPIC)))
        .ok("ExecuteChangeSet", empty("ExecuteChangeSet"))
        .ok("DescribeStackEvents", events(&[("e1", "App", STACK, "REVIEW_IN_PROGRESS", "User Initiated")]))
        .ok(
            "DescribeStackEvents",
            events(&[
                ("e6", "App", STACK, "ROLLBACK_COMPLETE", ""),
                ("e5", "Topic", TOPIC, "DELETE_COMPLETE", ""),
                ("e4", "App", STACK, "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Topic]. Rollback requested by user."),
                ("e3", "Topic", TOPIC, "CREATE_FAILED", "Resource handler returned message: \"Invalid parameter: TopicName\""),
                ("e2", "App", STACK, "CREATE_IN_PROGRESS", "User Initiated"),
                ("e1", "App", STACK, "REVIEW_IN_PROGRESS", "User Initiated"),
            ]),
        );
    let (result, _) = deploy(&r, &target("")).await;
    let Err(DeployError::Failed {
        status, reasons, ..
    }) = result
    else {
        panic!("{result:?}")
    };
    assert_eq!(status, StackStatus::RollbackComplete);
    assert_eq!(reasons.len(), 1);
    assert_eq!(reasons[0].path.as_deref(), Some("App/Topic"));
    assert!(reasons[0].reason.contains("Invalid parameter: TopicName"));
    assert!(
        !r.actions().contains(&"DeleteStack".to_string()),
        "a failed deploy deletes nothing; the next deploy cleans up"
    );
}

#[tokio::test]
async fn a_failed_execution_leaving_review_in_progress_is_reported_with_that_state() {
    // moto's behaviour when a resource fails: the execute call errors, the stack stays in
    // REVIEW_IN_PROGRESS.
    let r = Replay::default();
    r.on("DescribeStacks", 400, no_stack())
        .ok("DescribeStacks", stack("REVIEW_IN_PROGRESS", ""))
        .ok("CreateChangeSet", created_change_set())
        .ok(
            "DescribeChangeSet",
            change_set("CREATE_COMPLETE", "", &add("Topic", TOPIC)),
        )
        .on(
            "ExecuteChangeSet",
            400,
            error_xml("ValidationError", "Template error: boom"),
        )
        .ok(
            "DescribeStackEvents",
            events(&[("e1", "App", STACK, "REVIEW_IN_PROGRESS", "User Initiated")]),
        );
    let (result, _) = deploy(&r, &target("")).await;
    let err = result.unwrap_err();
    assert!(
        matches!(&err, DeployError::ExecuteFailed { status: Some(StackStatus::ReviewInProgress), message, .. } if message == "Template error: boom"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("the stack is REVIEW_IN_PROGRESS"),
        "{err}"
    );
}

#[tokio::test]
async fn the_transform_no_change_message_is_recognised_and_the_change_set_deleted() {
    let r = Replay::default();
    r.ok("DescribeStacks", stack("UPDATE_COMPLETE", OUTPUTS))
        .ok(
            "ListChangeSets",
            change_sets(&["stackwright-deploy", "someone-elses"]),
        )
        .ok("DeleteChangeSet", empty("DeleteChangeSet"))
        .ok("CreateChangeSet", created_change_set())
        .ok("DescribeChangeSet", change_set("CREATE_PENDING", "", ""))
        .ok(
            "DescribeChangeSet",
            change_set("FAILED", "No updates are to be performed.", ""),
        );
    let (result, _) = deploy(&r, &target("")).await;
    let result = result.unwrap();
    assert_eq!(result.outcome, DeployOutcome::NoChanges);
    assert_eq!(result.outputs.len(), 1, "outputs of the deployed stack");
    let actions = r.actions();
    assert_eq!(
        actions.iter().filter(|a| *a == "DeleteChangeSet").count(),
        2,
        "a leftover change set first, then the empty one: {actions:?}"
    );
    let first_delete = r.request("DeleteChangeSet");
    assert!(
        first_delete.contains("ChangeSetName=arn%3Acs%3Astackwright-deploy"),
        "only our own leftover, by ARN: {first_delete}"
    );
    assert!(
        r.request("CreateChangeSet")
            .contains("ChangeSetType=UPDATE")
    );
    assert!(!actions.contains(&"ExecuteChangeSet".to_string()));
}

#[tokio::test]
async fn a_busy_stack_is_waited_for_before_the_change_set() {
    let r = Replay::default();
    r.ok("DescribeStacks", stack("UPDATE_IN_PROGRESS", ""))
        .ok("DescribeStacks", stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", ""))
        .ok("DescribeStacks", stack("UPDATE_COMPLETE", ""))
        .ok("ListChangeSets", change_sets(&[]))
        .ok("DeleteChangeSet", empty("DeleteChangeSet"))
        .ok("CreateChangeSet", created_change_set())
        .ok(
            "DescribeChangeSet",
            change_set("FAILED", "The submitted information didn't contain changes. Submit different information to create a change set.", ""),
        );
    let (result, seen) = deploy(&r, &target("")).await;
    assert_eq!(result.unwrap().outcome, DeployOutcome::NoChanges);
    assert!(matches!(
        &seen[0],
        Activity::Waiting {
            status: StackStatus::UpdateInProgress,
            ..
        }
    ));
}

#[tokio::test]
async fn a_stack_deploy_cannot_recover_is_refused_with_a_hint() {
    let r = Replay::default();
    r.ok("DescribeStacks", stack("UPDATE_ROLLBACK_FAILED", ""));
    let (result, _) = deploy(&r, &target("")).await;
    let err = result.unwrap_err();
    assert!(matches!(err, DeployError::NotDeployable { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "App is UPDATE_ROLLBACK_FAILED; nothing was changed"
    );
    assert!(
        err.hint().unwrap().contains("continue-update-rollback"),
        "{err}"
    );
    assert!(!r.actions().contains(&"CreateChangeSet".to_string()));
}

#[tokio::test]
async fn a_rejected_change_set_says_why() {
    let r = Replay::default();
    r.on("DescribeStacks", 400, no_stack())
        .ok("CreateChangeSet", created_change_set())
        .ok("DeleteChangeSet", empty("DeleteChangeSet"))
        .ok(
            "DescribeChangeSet",
            change_set("FAILED", "Requires capabilities : [CAPABILITY_IAM]", ""),
        );
    let (result, _) = deploy(&r, &target("")).await;
    let err = result.unwrap_err();
    assert!(
        err.to_string()
            .contains("rejected the change set: Requires capabilities"),
        "{err}"
    );
}

#[tokio::test]
async fn credentials_for_another_account_are_refused_before_anything_happens() {
    let r = Replay::default();
    r.ok(
        "GetCallerIdentity",
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::999999999999:user/x</Arn><UserId>X</UserId><Account>999999999999</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
    );
    let (result, _) = deploy(&r, &target("123456789012")).await;
    let err = result.unwrap_err();
    assert!(
        matches!(&err, DeployError::WrongAccount { actual, .. } if actual == "999999999999"),
        "{err:?}"
    );
    assert_eq!(r.actions(), ["GetCallerIdentity"]);
}

#[tokio::test]
async fn missing_credentials_name_the_environment_variables() {
    let config = aws_config::SdkConfig::builder()
        .region(Region::new("us-east-1"))
        .behavior_version(BehaviorVersion::latest())
        .build();
    let err = deployer(Aws::from_config(config))
        .status(&target("123456789012"))
        .await
        .unwrap_err();
    assert!(matches!(err, DeployError::NoCredentials { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "no AWS credentials for stack App: no credentials provider is configured"
    );
    let hint = err.hint().unwrap();
    assert!(
        hint.contains("AWS_PROFILE") && hint.contains("AWS_ACCESS_KEY_ID"),
        "{hint}"
    );
}

#[tokio::test]
async fn a_large_template_without_a_bucket_says_how_to_get_one() {
    let r = Replay::default();
    r.on("DescribeStacks", 400, no_stack());
    let mut t = target("");
    t.body = format!(
        "{{\"Resources\": {{\"Topic\": {{\"Type\": \"AWS::SNS::Topic\", \"Metadata\": {{\"Pad\": \"{}\"}}}}}}}}",
        "x".repeat(60_000)
    );
    let (result, _) = deploy(&r, &t).await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, DeployError::TemplateTooLarge { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("--bucket"), "{err}");
}

#[tokio::test]
async fn destroy_refuses_termination_protection() {
    let r = Replay::default();
    r.ok(
        "DescribeStacks",
        stack(
            "UPDATE_COMPLETE",
            "<EnableTerminationProtection>true</EnableTerminationProtection>",
        ),
    );
    let err = deployer(r.aws().await)
        .destroy(&target(""), None, &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, DeployError::TerminationProtected { .. }),
        "{err:?}"
    );
    assert!(
        err.hint()
            .unwrap()
            .contains("update-termination-protection")
    );
    assert!(!r.actions().contains(&"DeleteStack".to_string()));
}

#[tokio::test]
async fn destroy_reports_retained_resources_and_delete_failures() {
    let r = Replay::default();
    r.ok("DescribeStacks", stack("UPDATE_COMPLETE", ""))
        .ok("DescribeStacks", stack("DELETE_COMPLETE", ""))
        .ok("DeleteStack", empty("DeleteStack"))
        .ok(
            "DescribeStackEvents",
            events(&[("e1", "App", STACK, "UPDATE_COMPLETE", "")]),
        )
        .ok(
            "DescribeStackEvents",
            events(&[
                ("e4", "App", STACK, "DELETE_COMPLETE", ""),
                ("e3", "Topic", TOPIC, "DELETE_SKIPPED", ""),
                ("e2", "App", STACK, "DELETE_IN_PROGRESS", "User Initiated"),
                ("e1", "App", STACK, "UPDATE_COMPLETE", ""),
            ]),
        );
    let result = deployer(r.aws().await)
        .destroy(&target(""), None, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(result.outcome, DestroyOutcome::Deleted);
    assert_eq!(result.retained.len(), 1);
    assert_eq!(result.retained[0].path.as_deref(), Some("App/Topic"));
    assert_eq!(
        result.retained[0].physical_id.as_deref(),
        Some("phys-Topic")
    );

    let r = Replay::default();
    r.ok("DescribeStacks", stack("UPDATE_COMPLETE", ""))
        .ok("DescribeStacks", stack("DELETE_FAILED", ""))
        .ok("DeleteStack", empty("DeleteStack"))
        .ok(
            "DescribeStackEvents",
            events(&[("e1", "App", STACK, "UPDATE_COMPLETE", "")]),
        )
        .ok(
            "DescribeStackEvents",
            events(&[
                (
                    "e4",
                    "App",
                    STACK,
                    "DELETE_FAILED",
                    "The following resource(s) failed to delete: [Topic].",
                ),
                ("e3", "Topic", TOPIC, "DELETE_FAILED", "Topic is in use"),
                ("e2", "App", STACK, "DELETE_IN_PROGRESS", "User Initiated"),
                ("e1", "App", STACK, "UPDATE_COMPLETE", ""),
            ]),
        );
    let err = deployer(r.aws().await)
        .destroy(&target(""), None, &mut |_| {})
        .await
        .unwrap_err();
    let DeployError::Failed {
        status, reasons, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status, StackStatus::DeleteFailed);
    assert_eq!(reasons[0].reason, "Topic is in use");
}

#[tokio::test]
async fn the_event_stream_ends_when_the_stack_settles() {
    let r = Replay::default();
    r.ok("DescribeStacks", stack("UPDATE_IN_PROGRESS", ""))
        .ok("DescribeStacks", stack("UPDATE_COMPLETE", ""))
        .ok(
            "DescribeStackEvents",
            events(&[("e1", "App", STACK, "CREATE_COMPLETE", "")]),
        )
        .ok(
            "DescribeStackEvents",
            events(&[
                ("e2", "App", STACK, "UPDATE_IN_PROGRESS", "User Initiated"),
                ("e1", "App", STACK, "CREATE_COMPLETE", ""),
            ]),
        )
        .ok(
            "DescribeStackEvents",
            events(&[
                ("e3", "App", STACK, "UPDATE_COMPLETE", ""),
                ("e2", "App", STACK, "UPDATE_IN_PROGRESS", "User Initiated"),
                ("e1", "App", STACK, "CREATE_COMPLETE", ""),
            ]),
        );
    let aws = r.aws().await;
    let cfn = aws.cfn("us-east-1");
    let watcher = crate::watch::Watcher::prime(cfn, STACK_ID, std::time::Duration::from_millis(1))
        .await
        .unwrap();
    let mut stream = watcher.stream();
    let mut seen = Vec::new();
    while let Some(e) = stream.next().await {
        seen.push(e.unwrap().event_id);
    }
    assert_eq!(seen, ["e2", "e3"]);
    assert_eq!(stream.settled_status(), Some(StackStatus::UpdateComplete));
}

/// A credentials provider that fails the way an expired SSO session does.
#[derive(Debug)]
struct ExpiredSso;

impl ProvideCredentials for ExpiredSso {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::provider_error(io::Error::other(
            "the SSO session for profile dev has expired",
        ))))
    }
}

#[tokio::test]
async fn credentials_that_fail_to_load_are_one_line_naming_the_stack_and_keep_the_sdk_error() {
    let r = Replay::default();
    let aws = r.aws_with(SharedCredentialsProvider::new(ExpiredSso)).await;
    let err = deployer(aws)
        .status(&target("123456789012"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no AWS credentials for stack App: an error occurred while loading credentials: the SSO session for profile dev has expired"
    );
    assert!(err.hint().unwrap().contains("aws sso login"));
    let source = err.source().expect("the SDK's error is the source");
    assert!(
        source.downcast_ref::<CredentialsError>().is_some(),
        "{source:?}"
    );
    assert!(
        r.actions().is_empty(),
        "nothing was sent: {:?}",
        r.actions()
    );
}

#[tokio::test]
async fn credentials_that_fail_while_a_request_is_signed_are_reported_the_same_way() {
    // No account in the Env: no up-front check, so the first call is where it fails.
    let r = Replay::default();
    let aws = r.aws_with(SharedCredentialsProvider::new(ExpiredSso)).await;
    let err = deployer(aws).status(&target("")).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "no AWS credentials for stack App: an error occurred while loading credentials: the SSO session for profile dev has expired"
    );
    let source = err.source().expect("the SDK's error is the source");
    assert!(
        source
            .downcast_ref::<SdkError<DescribeStacksError, SdkResponse>>()
            .is_some(),
        "{source:?}"
    );
}

#[tokio::test]
async fn a_connection_that_fails_is_one_line_with_the_sdk_error_as_source() {
    let r = Replay::default();
    r.refuse_connections();
    let err = deployer(r.aws().await)
        .status(&target(""))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "App: DescribeStacks failed: could not connect: connection refused"
    );
    assert_eq!(
        err.hint().as_deref(),
        Some("could not reach AWS: check the network, and AWS_ENDPOINT_URL if it is set")
    );
    let source = err.source().expect("the SDK's error is the source");
    let sdk = source
        .downcast_ref::<SdkError<DescribeStacksError, SdkResponse>>()
        .expect("an SdkError");
    assert!(matches!(sdk, SdkError::DispatchFailure(_)), "{sdk:?}");
    let mut chain = vec![source.to_string()];
    let mut next = source.source();
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    assert_eq!(
        chain.last().map(String::as_str),
        Some("connection refused"),
        "{chain:?}"
    );
}

#[tokio::test]
async fn an_error_body_the_sdk_cannot_read_is_shown_with_its_code_and_message() {
    // What moto answers when a resource fails while it executes a change set: the JSON
    // error of the resource's own service, which the query-protocol client cannot parse.
    let r = Replay::default();
    r.on("DescribeStacks", 400, no_stack())
        .ok("DescribeStacks", stack("REVIEW_IN_PROGRESS", ""))
        .ok("CreateChangeSet", created_change_set())
        .ok(
            "DescribeChangeSet",
            change_set("CREATE_COMPLETE", "", &add("Topic", TOPIC)),
        )
        .on(
            "ExecuteChangeSet",
            400,
            r#"{"__type": "ResourceAlreadyExistsException", "message": "The specified log group already exists"}"#,
        )
        .ok(
            "DescribeStackEvents",
            events(&[("e1", "App", STACK, "REVIEW_IN_PROGRESS", "User Initiated")]),
        );
    let (result, _) = deploy(&r, &target("")).await;
    let err = result.unwrap_err();
    assert_eq!(
        err.to_string(),
        "App: the change set was not executed (ResourceAlreadyExistsException): The specified log group already exists; the stack is REVIEW_IN_PROGRESS"
    );
    assert_eq!(err.code(), Some("ResourceAlreadyExistsException"));
    assert!(err.source().is_some(), "the SDK's error is the source");

    let r = Replay::default();
    r.on(
        "DescribeStacks",
        400,
        r#"{"__type": "ResourceAlreadyExistsException", "message": "The specified log group already exists"}"#,
    );
    let err = deployer(r.aws().await)
        .status(&target(""))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "App: DescribeStacks failed (ResourceAlreadyExistsException): The specified log group already exists"
    );
    assert_eq!(err.hint(), None);
}

#[tokio::test]
async fn a_service_error_shows_its_code_and_message_and_a_hint_for_the_code() {
    let r = Replay::default();
    r.on(
        "DescribeStacks",
        400,
        error_xml("Throttling", "Rate exceeded"),
    );
    let err = deployer(r.aws().await)
        .status(&target(""))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "App: DescribeStacks failed (Throttling): Rate exceeded"
    );
    assert_eq!(
        err.hint().as_deref(),
        Some("AWS throttled the requests; wait a moment and try again")
    );
}
