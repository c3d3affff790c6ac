//! Tests over recorded CloudFormation responses: the real SDK client, fed answers that
//! moto cannot give (a rollback, outputs of a stack created through a change set, a
//! stack busy with another operation, termination protection, retained resources, ...).
//!
//! The answers are moto's recorded XML, edited into the states real CloudFormation
//! reaches. A replaying HTTP client sits where the SDK's HTTPS client would: requests are
//! matched by their action and answered in order (the last answer of an action repeats,
//! which is what polling wants), and every request is kept for the test to inspect. The
//! action is the query protocol's `Action`, the JSON protocols' `X-Amz-Target` (ECS) or
//! the last segment of an RPC v2 CBOR path (CloudWatch); the answer goes back in the
//! request's protocol. The release gates' recordings are in `replay/gate_readers.rs`.

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

mod gate_readers;

/// An answer's status that is no HTTP answer: the connection breaks after the request went
/// out (as a proxy that cuts it would).
const CUT: u16 = 0;
/// An answer's status that is no answer at all: the request waits for ever (as with a
/// listener that accepts and never answers).
const HANG: u16 = 1;

/// Answers in order: (HTTP status, body).
type Answers = VecDeque<(u16, Vec<u8>)>;

#[derive(Default, Debug)]
struct State {
    answers: HashMap<String, Answers>,
    /// Answers for requests of an action whose body has a `key=value`, tried first.
    keyed: Vec<(String, String, Answers)>,
    requests: Vec<(String, String)>,
    /// Fail every request as a refused connection would.
    refuse: bool,
}

/// Replays recorded answers by API action.
#[derive(Clone, Default, Debug)]
struct Replay(Arc<Mutex<State>>);

impl Replay {
    /// Queues an answer to `action`.
    fn on(&self, action: &str, status: u16, body: impl Into<Vec<u8>>) -> &Self {
        self.0
            .lock()
            .unwrap()
            .answers
            .entry(action.to_string())
            .or_default()
            .push_back((status, body.into()));
        self
    }

    fn ok(&self, action: &str, body: impl Into<Vec<u8>>) -> &Self {
        self.on(action, 200, body)
    }

    /// Queues an answer to the requests of `action` whose form body has the `key=value`
    /// pair `needle`.
    fn on_for(&self, action: &str, needle: &str, status: u16, body: impl Into<Vec<u8>>) -> &Self {
        let mut state = self.0.lock().unwrap();
        let body = (status, body.into());
        match state
            .keyed
            .iter_mut()
            .find(|(a, n, _)| a == action && n == needle)
        {
            Some((_, _, q)) => q.push_back(body),
            None => state.keyed.push((
                action.to_string(),
                needle.to_string(),
                VecDeque::from([body]),
            )),
        }
        self
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

    /// The form bodies of every request of `action`, in order.
    fn requests(&self, action: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|(a, _)| a == action)
            .map(|(_, b)| b.clone())
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

/// The protocol a request speaks, which is the protocol its answer must speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// A form (`Action=...`) answered in XML: CloudFormation, STS, ELBv2, Auto Scaling.
    Query,
    /// JSON named by `X-Amz-Target`: ECS.
    Json,
    /// Smithy RPC v2 CBOR, the operation in the path: CloudWatch.
    Cbor,
}

impl HttpConnector for Replay {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let raw = request.body().bytes().unwrap_or_default();
        let body = String::from_utf8_lossy(raw).into_owned();
        let headers = request.headers();
        let (protocol, action) = if headers.get("smithy-protocol") == Some("rpc-v2-cbor") {
            (
                Protocol::Cbor,
                request.uri().rsplit('/').next().unwrap_or("?"),
            )
        } else if let Some(target) = headers.get("x-amz-target") {
            (Protocol::Json, target.rsplit('.').next().unwrap_or("?"))
        } else {
            (
                Protocol::Query,
                body.split('&')
                    .find_map(|kv| kv.strip_prefix("Action="))
                    .unwrap_or("?"),
            )
        };
        let action = action.to_string();
        let mut state = self.0.lock().unwrap();
        state.requests.push((action.clone(), body.clone()));
        if state.refuse {
            let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "connection refused");
            return HttpConnectorFuture::ready(Err(ConnectorError::io(refused.into())));
        }
        let next = |q: &mut Answers| {
            if q.len() > 1 {
                q.pop_front().unwrap()
            } else {
                q[0].clone()
            }
        };
        let keyed = state
            .keyed
            .iter_mut()
            .find(|(a, needle, _)| *a == action && body_has(&body, needle))
            .map(|(_, _, q)| next(q));
        let (status, answer) = match keyed {
            Some(answer) => answer,
            None => match state.answers.get_mut(&action) {
                Some(q) if !q.is_empty() => next(q),
                _ => {
                    let message = format!("no recorded answer for {action}");
                    let error = match protocol {
                        Protocol::Query => error_xml("NoRecording", &message).into_bytes(),
                        Protocol::Json => {
                            serde_json::json!({"__type": "NoRecording", "message": message})
                                .to_string()
                                .into_bytes()
                        }
                        Protocol::Cbor => {
                            cbor(&serde_json::json!({"__type": "NoRecording", "message": message}))
                        }
                    };
                    (400, error)
                }
            },
        };
        if status == CUT {
            let cut = io::Error::new(io::ErrorKind::ConnectionReset, "connection reset by peer");
            return HttpConnectorFuture::ready(Err(ConnectorError::io(cut.into())));
        }
        if status == HANG {
            return HttpConnectorFuture::new(std::future::pending());
        }
        let mut response =
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(answer));
        let content_type = match protocol {
            Protocol::Query => "text/xml",
            Protocol::Json => "application/x-amz-json-1.1",
            Protocol::Cbor => {
                response
                    .headers_mut()
                    .insert("smithy-protocol", "rpc-v2-cbor");
                "application/cbor"
            }
        };
        response.headers_mut().insert("content-type", content_type);
        HttpConnectorFuture::ready(Ok(response))
    }
}

/// A recorded answer written as JSON, in CBOR: integers as integers, other numbers as
/// doubles, and `{"$epoch": SECONDS}` as a timestamp (CBOR tag 1), which JSON lacks.
fn cbor(value: &serde_json::Value) -> Vec<u8> {
    fn write(e: &mut aws_smithy_cbor::Encoder, value: &serde_json::Value) {
        use serde_json::Value as V;
        match value {
            V::Null => {
                e.null();
            }
            V::Bool(b) => {
                e.boolean(*b);
            }
            V::Number(n) => match n.as_i64() {
                Some(i) => {
                    e.long(i);
                }
                None => {
                    e.double(n.as_f64().unwrap());
                }
            },
            V::String(s) => {
                e.str(s);
            }
            V::Array(items) => {
                e.array(items.len());
                for item in items {
                    write(e, item);
                }
            }
            V::Object(map) => match map.get("$epoch").and_then(|t| t.as_f64()) {
                Some(seconds) if map.len() == 1 => {
                    e.timestamp(&aws_smithy_types::DateTime::from_secs_f64(seconds));
                }
                _ => {
                    e.map(map.len());
                    for (k, v) in map {
                        e.str(k);
                        write(e, v);
                    }
                }
            },
        }
    }
    let mut e = aws_smithy_cbor::Encoder::new(Vec::new());
    write(&mut e, value);
    e.into_writer()
}

/// Whether a form body has `needle` as one of its `key=value` pairs.
fn body_has(body: &str, needle: &str) -> bool {
    body.split('&').any(|kv| kv == needle)
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

/// DescribeStacks answering one stack, deployed by this app; `extra` goes inside its
/// `member`.
fn stack(status: &str, extra: &str) -> String {
    stack_tagged(
        status,
        "<member><Key>stackwright:app</Key><Value>stackwright</Value></member>",
        extra,
    )
}

/// DescribeStacks answering one stack with these tags (`<member>`s).
fn stack_tagged(status: &str, tags: &str, extra: &str) -> String {
    stack_as(STACK_ID, status, tags, extra)
}

/// DescribeStacks answering the stack `id`.
fn stack_as(id: &str, status: &str, tags: &str, extra: &str) -> String {
    response(
        "DescribeStacks",
        &format!(
            "<Stacks><member><StackId>{id}</StackId><StackName>App</StackName><Parameters/><CreationTime>2026-11-23T17:44:19Z</CreationTime><StackStatus>{status}</StackStatus><DisableRollback>false</DisableRollback><NotificationARNs/><Tags>{tags}</Tags>{extra}</member></Stacks>"
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
    change_set_exec(status, "AVAILABLE", reason, changes)
}

/// DescribeChangeSet with an execution status.
fn change_set_exec(status: &str, execution: &str, reason: &str, changes: &str) -> String {
    let reason = if reason.is_empty() {
        String::new()
    } else {
        format!("<StatusReason>{reason}</StatusReason>")
    };
    response(
        "DescribeChangeSet",
        &format!(
            "<ChangeSetName>stackwright-deploy</ChangeSetName><ChangeSetId>{CS_ID}</ChangeSetId><StackId>{STACK_ID}</StackId><StackName>App</StackName><Parameters/><CreationTime>2026-11-23T17:44:19Z</CreationTime><ExecutionStatus>{execution}</ExecutionStatus><Status>{status}</Status>{reason}<NotificationARNs/><Tags/><Changes>{changes}</Changes>"
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
    let with_token: Vec<_> = list
        .iter()
        .map(|(id, logical, ty, status, reason)| (*id, *logical, *ty, *status, *reason, ""))
        .collect();
    events_with_tokens(&with_token)
}

/// DescribeStackEvents, newest first: (id, logical id, type, status, reason, the
/// operation's client request token).
fn events_with_tokens(list: &[(&str, &str, &str, &str, &str, &str)]) -> String {
    let members: String = list
        .iter()
        .map(|(id, logical, ty, status, reason, token)| {
            let token = if token.is_empty() {
                String::new()
            } else {
                format!("<ClientRequestToken>{token}</ClientRequestToken>")
            };
            format!(
                "<member><StackId>{STACK_ID}</StackId><EventId>{id}</EventId><StackName>App</StackName><LogicalResourceId>{logical}</LogicalResourceId><PhysicalResourceId>phys-{logical}</PhysicalResourceId><ResourceType>{ty}</ResourceType><Timestamp>2026-11-23T17:44:19Z</Timestamp><ResourceStatus>{status}</ResourceStatus><ResourceStatusReason>{reason}</ResourceStatusReason>{token}</member>"
            )
        })
        .collect();
    response(
        "DescribeStackEvents",
        &format!("<StackEvents>{members}</StackEvents>"),
    )
}

/// ListChangeSets answering these change set names of the stack, each executable.
fn change_sets(names: &[&str]) -> String {
    let listed: Vec<(&str, &str, &str)> = names
        .iter()
        .map(|n| (*n, "CREATE_COMPLETE", "AVAILABLE"))
        .collect();
    change_sets_in(&listed)
}

/// ListChangeSets answering (name, status, execution status) of the stack's change sets.
fn change_sets_in(listed: &[(&str, &str, &str)]) -> String {
    let members: String = listed
        .iter()
        .map(|(n, status, execution)| {
            format!(
                "<member><StackId>{STACK_ID}</StackId><StackName>App</StackName><ChangeSetId>arn:cs:{n}</ChangeSetId><ChangeSetName>{n}</ChangeSetName><ExecutionStatus>{execution}</ExecutionStatus><Status>{status}</Status></member>"
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
        dependencies: IndexMap::new(),
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
            change_sets_in(&[
                // Debris of an earlier run (the name deploy used before names were unique).
                ("stackwright-deploy", "FAILED", "UNAVAILABLE"),
                // Another run's, which it may be about to execute, or one left for review.
                (
                    "stackwright-deploy-m1x2-3f0",
                    "CREATE_COMPLETE",
                    "AVAILABLE",
                ),
                (
                    "stackwright-deploy-m1x2-3f1",
                    "CREATE_PENDING",
                    "UNAVAILABLE",
                ),
                ("stackwright-diff-m1x2-3f2", "CREATE_COMPLETE", "OBSOLETE"),
                // Not ours at all.
                ("someone-elses", "FAILED", "UNAVAILABLE"),
                ("stackwright-deployer", "FAILED", "UNAVAILABLE"),
            ]),
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
    let deleted: Vec<String> = r
        .requests("DeleteChangeSet")
        .iter()
        .filter_map(|b| {
            b.split('&')
                .find_map(|kv| kv.strip_prefix("ChangeSetName="))
                .map(String::from)
        })
        .collect();
    assert_eq!(
        deleted,
        [
            "arn%3Acs%3Astackwright-deploy",
            "arn%3Acs%3Astackwright-diff-m1x2-3f2",
            CS_ID.replace(':', "%3A").replace('/', "%2F").as_str(),
        ],
        "stackwright's debris by ARN, then the empty change set; never one that may still be executed, nor another's: {actions:?}"
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

/// The token deploy's execution of the recorded change set carries: from its ARN.
const TOKEN: &str = "stackwright-execute-bfa516d0";

/// A creation whose `ExecuteChangeSet` got `answer`; after it, the change set reads
/// `after` (a DescribeChangeSet answer) and the stack's first new event carries `token`.
fn create_with_lost_execute(r: &Replay, answer: (u16, String), after: (u16, String), token: &str) {
    r.on("DescribeStacks", 400, no_stack())
        .ok("DescribeStacks", stack("CREATE_IN_PROGRESS", ""))
        .ok("DescribeStacks", stack("CREATE_COMPLETE", OUTPUTS))
        .ok("CreateChangeSet", created_change_set())
        .ok(
            "DescribeChangeSet",
            change_set("CREATE_COMPLETE", "", &add("Topic", TOPIC)),
        )
        .on("DescribeChangeSet", after.0, after.1)
        .on("ExecuteChangeSet", answer.0, answer.1)
        .ok(
            "DescribeStackEvents",
            events(&[("e1", "App", STACK, "REVIEW_IN_PROGRESS", "User Initiated")]),
        )
        .ok(
            "DescribeStackEvents",
            events_with_tokens(&[
                (
                    "e2",
                    "App",
                    STACK,
                    "CREATE_IN_PROGRESS",
                    "User Initiated",
                    token,
                ),
                (
                    "e1",
                    "App",
                    STACK,
                    "REVIEW_IN_PROGRESS",
                    "User Initiated",
                    "",
                ),
            ]),
        )
        .ok(
            "DescribeStackEvents",
            events_with_tokens(&[
                ("e4", "App", STACK, "CREATE_COMPLETE", "", token),
                ("e3", "Topic", TOPIC, "CREATE_COMPLETE", "", token),
                (
                    "e2",
                    "App",
                    STACK,
                    "CREATE_IN_PROGRESS",
                    "User Initiated",
                    token,
                ),
                (
                    "e1",
                    "App",
                    STACK,
                    "REVIEW_IN_PROGRESS",
                    "User Initiated",
                    "",
                ),
            ]),
        );
}

#[tokio::test]
async fn an_execute_whose_answer_was_lost_is_followed_when_cloudformation_did_execute_it() {
    // The connection broke after ExecuteChangeSet went out, and CloudFormation had
    // executed the change set: deploy used to say "the change set was not executed".
    let r = Replay::default();
    create_with_lost_execute(
        &r,
        (CUT, String::new()),
        (
            200,
            change_set_exec(
                "CREATE_COMPLETE",
                "EXECUTE_IN_PROGRESS",
                "",
                &add("Topic", TOPIC),
            ),
        ),
        "",
    );
    let (result, seen) = deploy(&r, &target("")).await;
    let result = result.unwrap();
    assert_eq!(result.outcome, DeployOutcome::Created);
    assert_eq!(result.status, Some(StackStatus::CreateComplete));
    assert_eq!(result.outputs.len(), 1);
    assert_eq!(
        result.warnings,
        [
            "App: ExecuteChangeSet failed: could not connect: connection reset by peer, but CloudFormation did execute the change set; deploy followed it"
        ]
    );
    assert!(
        seen.iter().any(|a| matches!(a, Activity::Event { event, .. } if event.status.as_str() == "CREATE_COMPLETE")),
        "the operation was followed to its end: {seen:?}"
    );
    assert!(
        r.request("ExecuteChangeSet")
            .contains(&format!("ClientRequestToken={TOKEN}")),
        "the execution carries a token, so a retry of it is carried out once"
    );
}

#[tokio::test]
async fn an_execute_whose_answer_was_lost_and_that_did_not_run_says_so() {
    let r = Replay::default();
    r.on("DescribeStacks", 400, no_stack())
        .ok("DescribeStacks", stack("REVIEW_IN_PROGRESS", ""))
        .ok("CreateChangeSet", created_change_set())
        .ok(
            "DescribeChangeSet",
            change_set("CREATE_COMPLETE", "", &add("Topic", TOPIC)),
        )
        .on("ExecuteChangeSet", CUT, "")
        .ok(
            "DescribeStackEvents",
            events(&[("e1", "App", STACK, "REVIEW_IN_PROGRESS", "User Initiated")]),
        );
    let (result, _) = deploy(&r, &target("")).await;
    let err = result.unwrap_err();
    assert!(
        matches!(
            &err,
            DeployError::ExecuteFailed {
                status: Some(StackStatus::ReviewInProgress),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "App: the change set was not executed: could not connect: connection reset by peer; the change set is still AVAILABLE; the stack is REVIEW_IN_PROGRESS"
    );
}

#[tokio::test]
async fn a_retried_execute_refused_as_executed_follows_its_own_operation() {
    // The first attempt got through and its answer was lost; the SDK's retry was refused
    // because the change set was already executed (and CloudFormation removed it).
    let r = Replay::default();
    create_with_lost_execute(
        &r,
        (
            400,
            error_xml(
                "InvalidChangeSetStatus",
                "ChangeSet [stackwright-deploy] cannot be executed in its current status of [EXECUTE_IN_PROGRESS]",
            ),
        ),
        (
            400,
            error_xml(
                "ChangeSetNotFound",
                "ChangeSet [stackwright-deploy] does not exist",
            ),
        ),
        TOKEN,
    );
    let (result, _) = deploy(&r, &target("")).await;
    let result = result.unwrap();
    assert_eq!(result.outcome, DeployOutcome::Created);
    assert!(
        result.warnings[0].contains("CloudFormation did execute the change set"),
        "{:?}",
        result.warnings
    );
}

#[tokio::test]
async fn an_operation_another_run_started_meanwhile_is_reported_as_such() {
    let r = Replay::default();
    create_with_lost_execute(
        &r,
        (
            400,
            error_xml(
                "ChangeSetNotFound",
                "ChangeSet [stackwright-deploy] does not exist",
            ),
        ),
        (
            400,
            error_xml(
                "ChangeSetNotFound",
                "ChangeSet [stackwright-deploy] does not exist",
            ),
        ),
        "stackwright-execute-5e1f0c3a",
    );
    let (result, _) = deploy(&r, &target("")).await;
    let err = result.unwrap_err();
    assert!(
        matches!(
            &err,
            DeployError::ChangedMeanwhile {
                status: Some(StackStatus::CreateInProgress),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "App was changed by another operation while this deploy prepared its change set (it is CREATE_IN_PROGRESS); this deploy changed nothing"
    );
    assert!(err.hint().unwrap().contains("let it finish"), "{err}");
}

#[tokio::test]
async fn the_stack_the_name_leads_to_is_checked_after_the_operation() {
    // Two stacks of one name (moto made a second one for a CREATE change set on a stack
    // left in REVIEW_IN_PROGRESS): the change set's stack completed, the name's did not.
    let other = "arn:aws:cloudformation:us-east-1:123456789012:stack/App/0ther";
    let r = Replay::default();
    r.on_for("DescribeStacks", "StackName=App", 400, no_stack())
        .on_for(
            "DescribeStacks",
            "StackName=App",
            200,
            stack_as(other, "REVIEW_IN_PROGRESS", "", ""),
        )
        .ok("DescribeStacks", stack("CREATE_COMPLETE", ""));
    create_succeeds(&r);
    let (result, _) = deploy(&r, &target("")).await;
    let err = result.unwrap_err();
    assert!(
        matches!(
            &err,
            DeployError::NameMismatch {
                found_status: Some(StackStatus::ReviewInProgress),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "App: the change set's stack ({STACK_ID}) ended CREATE_COMPLETE, but the stack called App is another one ({other}, REVIEW_IN_PROGRESS)"
        )
    );
}

#[tokio::test]
async fn a_review_stack_with_a_change_set_that_may_still_run_is_kept() {
    // Another run's change set, about to be executed (or one left for review): the stack
    // is not deleted under it; a CREATE change set goes beside it.
    let r = Replay::default();
    r.ok("DescribeStacks", stack("REVIEW_IN_PROGRESS", ""))
        .ok("DescribeStacks", stack("CREATE_COMPLETE", ""))
        .ok(
            "ListChangeSets",
            change_sets_in(&[
                ("stackwright-deploy", "CREATE_COMPLETE", "AVAILABLE"),
                (
                    "stackwright-deploy-m1x2-3f0",
                    "CREATE_PENDING",
                    "UNAVAILABLE",
                ),
            ]),
        );
    create_succeeds(&r);
    let (result, seen) = deploy(&r, &target("")).await;
    assert_eq!(result.unwrap().outcome, DeployOutcome::Created);
    assert!(
        !seen
            .iter()
            .any(|a| matches!(a, Activity::Recreating { .. })),
        "{seen:?}"
    );
    let actions = r.actions();
    assert!(!actions.contains(&"DeleteStack".to_string()), "{actions:?}");
    assert!(
        !actions.contains(&"DeleteChangeSet".to_string()),
        "{actions:?}"
    );
    assert!(
        r.request("CreateChangeSet")
            .contains("ChangeSetType=CREATE")
    );

    // Only stackwright's debris on it: deleted and created again.
    let r = Replay::default();
    r.ok("DescribeStacks", stack("REVIEW_IN_PROGRESS", ""))
        .ok("DescribeStacks", stack("DELETE_COMPLETE", ""))
        .ok("DescribeStacks", stack("CREATE_COMPLETE", ""))
        .ok("DeleteStack", empty("DeleteStack"))
        .ok(
            "ListChangeSets",
            change_sets_in(&[(
                "stackwright-deploy-m1x2-3f0",
                "CREATE_COMPLETE",
                "EXECUTE_FAILED",
            )]),
        );
    create_succeeds(&r);
    let (result, seen) = deploy(&r, &target("")).await;
    assert_eq!(result.unwrap().outcome, DeployOutcome::Created);
    assert!(matches!(&seen[0], Activity::Recreating { .. }), "{seen:?}");
}

#[tokio::test]
async fn waiting_for_another_operation_is_bounded() {
    let r = Replay::default();
    r.ok("DescribeStacks", stack("UPDATE_IN_PROGRESS", ""));
    let d = deployer(r.aws().await).max_wait(std::time::Duration::from_millis(20));
    let options = DeployOptions::default();
    let err = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        d.deploy(&target(""), &options, &mut |_| {}),
    )
    .await
    .expect("the wait is bounded")
    .unwrap_err();
    assert!(
        matches!(
            &err,
            DeployError::StillBusy {
                status: StackStatus::UpdateInProgress,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("App is still UPDATE_IN_PROGRESS after waiting "),
        "{err}"
    );
    assert!(!r.actions().contains(&"CreateChangeSet".to_string()));
}

#[tokio::test]
async fn a_stack_this_app_did_not_deploy_is_refused_unless_adopted() {
    let foreign = "<member><Key>Owner</Key><Value>other-team</Value></member>";
    let r = Replay::default();
    r.ok(
        "DescribeStacks",
        stack_tagged("CREATE_COMPLETE", foreign, ""),
    );
    let (result, _) = deploy(&r, &target("")).await;
    let err = result.unwrap_err();
    assert!(
        matches!(&err, DeployError::NotOwned { owner: None, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "App exists but was not deployed by stackwright (it has no stackwright:app tag); nothing was changed"
    );
    assert!(err.hint().unwrap().contains("--adopt App"), "{err}");
    assert_eq!(r.actions(), ["DescribeStacks"], "nothing else was asked");

    let err = deployer(r.aws().await)
        .destroy(&target(""), None, &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DeployError::NotOwned { deleting: true, .. }),
        "{err:?}"
    );
    assert!(err.to_string().ends_with("nothing was deleted"), "{err}");
    assert!(!r.actions().contains(&"DeleteStack".to_string()));

    let r = Replay::default();
    r.ok(
        "DescribeStacks",
        stack_tagged(
            "CREATE_COMPLETE",
            "<member><Key>stackwright:app</Key><Value>billing</Value></member>",
            "",
        ),
    );
    let (result, _) = deploy(&r, &target("")).await;
    assert_eq!(
        result.unwrap_err().to_string(),
        "App belongs to the stackwright app 'billing' (its stackwright:app tag), not to 'stackwright'; nothing was changed"
    );

    // Adopted: the change set gives it this app's tag.
    let r = Replay::default();
    r.ok(
        "DescribeStacks",
        stack_tagged("CREATE_COMPLETE", foreign, ""),
    )
    .ok("ListChangeSets", change_sets(&[]))
    .ok("CreateChangeSet", created_change_set())
    .ok("DeleteChangeSet", empty("DeleteChangeSet"))
    .ok(
        "DescribeChangeSet",
        change_set("FAILED", "No updates are to be performed.", ""),
    );
    let options = DeployOptions {
        adopt: true,
        ..DeployOptions::default()
    };
    let result = deployer(r.aws().await)
        .deploy(&target(""), &options, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(result.outcome, DeployOutcome::NoChanges);
    let create = r.request("CreateChangeSet");
    assert!(
        create.contains("Tags.member.2.Key=stackwright%3Aapp")
            && create.contains("Tags.member.2.Value=stackwright"),
        "{create}"
    );
}

#[tokio::test]
async fn destroy_refuses_a_stack_whose_exports_are_imported() {
    let exported = "<Outputs><member><OutputKey>ExportTopicArn</OutputKey><OutputValue>arn:t</OutputValue><ExportName>App:ExportTopicArn</ExportName></member></Outputs>";
    let r = Replay::default();
    r.ok("DescribeStacks", stack("UPDATE_COMPLETE", exported))
        .ok(
            "ListImports",
            response(
                "ListImports",
                "<Imports><member>Consumer</member><member>Reports</member></Imports>",
            ),
        );
    let err = deployer(r.aws().await)
        .destroy(&target(""), None, &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DeployError::NeededBy { dependants, .. } if dependants == &["Consumer", "Reports"]),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "App is still needed: Consumer and Reports depend on it and are deployed; nothing was deleted"
    );
    assert!(
        r.request("ListImports")
            .contains("ExportName=App%3AExportTopicArn")
    );
    assert!(!r.actions().contains(&"DeleteStack".to_string()));

    // Nobody imports it: CloudFormation's ValidationError says so, and the stack goes.
    let r = Replay::default();
    r.ok("DescribeStacks", stack("UPDATE_COMPLETE", exported))
        .ok("DescribeStacks", stack("DELETE_COMPLETE", ""))
        .on(
            "ListImports",
            400,
            error_xml(
                "ValidationError",
                "Export 'App:ExportTopicArn' is not imported by any stack.",
            ),
        )
        .ok("DeleteStack", empty("DeleteStack"))
        .ok(
            "DescribeStackEvents",
            events(&[("e1", "App", STACK, "DELETE_COMPLETE", "")]),
        );
    let result = deployer(r.aws().await)
        .destroy(&target(""), None, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(result.outcome, DestroyOutcome::Deleted);
}

#[tokio::test]
async fn a_call_that_never_answers_names_the_endpoint_and_the_limit() {
    let r = Replay::default();
    r.on("DescribeStacks", HANG, "");
    let aws = r.aws().await.with_timeouts(Timeouts {
        attempt: Some(std::time::Duration::from_millis(100)),
        operation: Some(std::time::Duration::from_secs(10)),
        ..Timeouts::default()
    });
    let err = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        deployer(aws).status(&target("")),
    )
    .await
    .expect("the time limit ends the call")
    .unwrap_err();
    assert!(
        matches!(
            &err,
            DeployError::NoAnswer {
                action: "DescribeStacks",
                stage: TimeoutStage::Attempt,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "App: DescribeStacks to https://cloudformation.us-east-1.amazonaws.com did not answer within 100 ms"
    );
    let hint = err.hint().unwrap();
    assert!(
        hint.contains("STACKWRIGHT_ATTEMPT_TIMEOUT") && hint.contains("AWS_MAX_ATTEMPTS"),
        "{hint}"
    );
    assert!(err.source().is_some(), "the SDK's error is the source");
}

#[tokio::test]
async fn a_review_stack_holding_only_stackwrights_change_sets_may_be_destroyed() {
    // Whether a stack in review shows its change set's tags is CloudFormation's business;
    // one that holds only change sets stackwright made is this app's to delete.
    let r = Replay::default();
    r.ok("DescribeStacks", stack_tagged("REVIEW_IN_PROGRESS", "", ""))
        .ok("DescribeStacks", stack("DELETE_COMPLETE", ""))
        .ok(
            "ListChangeSets",
            change_sets_in(&[(
                "stackwright-deploy-m1x2-3f0",
                "CREATE_COMPLETE",
                "AVAILABLE",
            )]),
        )
        .ok("DeleteStack", empty("DeleteStack"))
        .ok(
            "DescribeStackEvents",
            events(&[("e1", "App", STACK, "DELETE_COMPLETE", "")]),
        );
    let result = deployer(r.aws().await)
        .destroy(&target(""), None, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(result.outcome, DestroyOutcome::Deleted);

    // Someone else's change set on it: not ours to delete.
    let r = Replay::default();
    r.ok("DescribeStacks", stack_tagged("REVIEW_IN_PROGRESS", "", ""))
        .ok("ListChangeSets", change_sets(&["someone-elses"]));
    let err = deployer(r.aws().await)
        .destroy(&target(""), None, &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(err, DeployError::NotOwned { .. }), "{err:?}");
    assert!(!r.actions().contains(&"DeleteStack".to_string()));
}

/// DescribeStacks answering this app's stack with these parameter values.
fn stack_with_parameters(status: &str, parameters: &[(&str, &str)]) -> String {
    let members: String = parameters
        .iter()
        .map(|(k, v)| {
            format!(
                "<member><ParameterKey>{k}</ParameterKey><ParameterValue>{v}</ParameterValue></member>"
            )
        })
        .collect();
    response(
        "DescribeStacks",
        &format!(
            "<Stacks><member><StackId>{STACK_ID}</StackId><StackName>App</StackName><Parameters>{members}</Parameters><CreationTime>2026-11-23T17:44:19Z</CreationTime><StackStatus>{status}</StackStatus><DisableRollback>false</DisableRollback><NotificationARNs/><Tags><member><Key>stackwright:app</Key><Value>stackwright</Value></member></Tags></member></Stacks>"
        ),
    )
}

/// `App` as the constructs write a stack with a release: its parameters, and its
/// description in the template's Metadata naming them, the marker as `State`.
fn released_target() -> StackTarget {
    let roles = ["Live", "BlueWeight", "GreenWeight", "BlueImageTag", "State"];
    let body = serde_json::json!({
        "Metadata": { crate::release_state::METADATA_KEY: { "Release": {
            "Path": "App/Release",
            "Traffic": "Listener",
            "Parameters": roles.iter().map(|r| (r.to_string(), format!("Release{r}").into())).collect::<serde_json::Map<String, serde_json::Value>>(),
            "Resources": {}
        }}},
        "Parameters": roles.iter().map(|r| (format!("Release{r}"), serde_json::json!({"Type": "String", "Default": ""}))).collect::<serde_json::Map<String, serde_json::Value>>(),
        "Resources": { "Topic": { "Type": "AWS::SNS::Topic" } }
    });
    StackTarget {
        body: body.to_string(),
        ..target("")
    }
}

/// What a release left in the stack: a quarter of the traffic on green, blue's tag moved.
const RELEASED: [(&str, &str); 4] = [
    ("ReleaseLive", "Blue"),
    ("ReleaseBlueWeight", "75"),
    ("ReleaseGreenWeight", "25"),
    ("ReleaseBlueImageTag", "1.5.1"),
];

#[tokio::test]
async fn a_deploy_keeps_the_release_parameters_the_deployed_stack_has() {
    let r = Replay::default();
    let mut deployed = RELEASED.to_vec();
    deployed.push(("ReleaseState", ""));
    r.ok(
        "DescribeStacks",
        stack_with_parameters("UPDATE_COMPLETE", &deployed),
    )
    .ok("ListChangeSets", change_sets(&[]))
    .ok("CreateChangeSet", created_change_set())
    .ok(
        "DescribeChangeSet",
        change_set("FAILED", "No updates are to be performed.", ""),
    )
    .ok("DeleteChangeSet", empty("DeleteChangeSet"));
    let (result, _) = deploy(&r, &released_target()).await;
    assert_eq!(result.unwrap().outcome, DeployOutcome::NoChanges);
    let body = r.request("CreateChangeSet");
    let sent: Vec<(String, bool, bool)> = (1..=5)
        .map(|n| {
            let field = |f: &str| {
                body.split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("Parameters.member.{n}.{f}=")))
                    .map(String::from)
            };
            (
                field("ParameterKey").unwrap_or_default(),
                field("UsePreviousValue").as_deref() == Some("true"),
                field("ParameterValue").is_some(),
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            "ReleaseLive",
            "ReleaseBlueWeight",
            "ReleaseGreenWeight",
            "ReleaseBlueImageTag",
            "ReleaseState"
        ]
        .map(|k| (k.to_string(), true, false)),
        "every release parameter keeps its deployed value, none is sent from code: {body}"
    );
}

#[tokio::test]
async fn a_deploy_during_an_unfinished_release_is_refused_before_any_change_set() {
    let r = Replay::default();
    let mut deployed = RELEASED.to_vec();
    deployed.push(("ReleaseState", "green 1.5.1 at 25%"));
    r.ok(
        "DescribeStacks",
        stack_with_parameters("UPDATE_COMPLETE", &deployed),
    );
    let (result, _) = deploy(&r, &released_target()).await;
    let err = result.unwrap_err();
    assert!(
        matches!(&err, DeployError::ReleaseUnfinished { stack, release, parameter, state }
            if stack == "App" && release == "App/Release" && parameter == "ReleaseState"
                && state == "green 1.5.1 at 25%"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "App: the release App/Release is unfinished (ReleaseState is 'green 1.5.1 at 25%'); nothing was changed"
    );
    assert_eq!(
        err.hint().unwrap(),
        "finish or undo the release first: `release App --status` shows where it is, `release App --rollback` puts all traffic back on the previous colour; then deploy again"
    );
    assert_eq!(
        r.actions(),
        ["DescribeStacks"],
        "nothing else was asked, nothing made"
    );

    // The marker is read through the release the template declares: a template that
    // declares none deploys as ever.
    let r = Replay::default();
    r.ok(
        "DescribeStacks",
        stack_with_parameters("UPDATE_COMPLETE", &deployed),
    )
    .ok("ListChangeSets", change_sets(&[]))
    .ok("CreateChangeSet", created_change_set())
    .ok(
        "DescribeChangeSet",
        change_set("FAILED", "No updates are to be performed.", ""),
    )
    .ok("DeleteChangeSet", empty("DeleteChangeSet"));
    let (result, _) = deploy(&r, &target("")).await;
    assert_eq!(result.unwrap().outcome, DeployOutcome::NoChanges);
}
