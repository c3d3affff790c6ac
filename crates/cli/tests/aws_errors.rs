//! What the command line prints when AWS cannot be used: one line that says what went
//! wrong and for which stack, a hint, and the chain of causes only with `--verbose`.
#![cfg(feature = "aws")]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use stackwright_core::{App, CoreError, Env, Resource, Stack};
use stackwright_deploy::Aws;
use stackwright_l1::sns;

const CREDENTIALS_HELP: &str = "   = help: set AWS_PROFILE to a profile in ~/.aws/config (run `aws sso login` first for an SSO profile), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; `aws sts get-caller-identity` shows what the chain finds";
const NETWORK_HELP: &str =
    "   = help: could not reach AWS: check the network, and AWS_ENDPOINT_URL if it is set";

/// One stack, in `account` (empty: none, so no credentials check before the first call).
fn demo(account: &'static str) -> impl FnOnce(&App) -> Result<(), CoreError> {
    move |app| {
        let stack = Stack::new(app, "Demo", Env::new(account, "us-east-1"))?;
        Resource::new(&stack, "Topic", sns::Topic::default())?;
        Ok(())
    }
}

/// Fails the way an expired SSO session does.
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

fn aws(endpoint: &str, credentials: SharedCredentialsProvider) -> Aws {
    let config = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url(endpoint)
                .credentials_provider(credentials)
                .retry_config(RetryConfig::disabled())
                .load(),
        );
    Aws::from_config(config)
}

fn test_credentials() -> SharedCredentialsProvider {
    SharedCredentialsProvider::new(Credentials::new("testing", "testing", None, None, "test"))
}

/// Three stacks in `account`, each after the one before.
fn three(account: &'static str) -> impl FnOnce(&App) -> Result<(), CoreError> {
    move |app| {
        let mut before: Option<Stack> = None;
        for name in ["Demo-Shared", "Demo-Base", "Demo-App"] {
            let stack = Stack::new(app, name, Env::new(account, "us-east-1"))?;
            Resource::new(&stack, "Topic", sns::Topic::default())?;
            if let Some(b) = &before {
                stack.add_dependency(b);
            }
            before = Some(stack);
        }
        Ok(())
    }
}

/// `command` (with `extra` arguments) against `aws`; returns the exit code, stdout and
/// stderr.
fn cli(
    command: &[&str],
    build: impl FnOnce(&App) -> Result<(), CoreError>,
    aws: Aws,
) -> (u8, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap().to_string();
    let args = ["app", "--out", &out_dir]
        .into_iter()
        .chain(command.iter().copied());
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = stackwright_cli::run_with_aws(args, build, &mut out, &mut err, false, aws);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// `diff` (with `extra` arguments) against `aws`; returns the exit code and stderr.
fn diff(
    extra: &[&str],
    build: impl FnOnce(&App) -> Result<(), CoreError>,
    aws: Aws,
) -> (u8, String) {
    let command: Vec<&str> = std::iter::once("diff")
        .chain(extra.iter().copied())
        .collect();
    let (code, _, err) = cli(&command, build, aws);
    (code, err)
}

/// An endpoint where nothing listens, and what connecting to it says on this system.
fn closed_endpoint() -> (String, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let refused = TcpStream::connect(addr).unwrap_err().to_string();
    (format!("http://{addr}"), refused)
}

/// An endpoint that answers every request with HTTP 400 and this body.
fn answering(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = BufReader::new(stream);
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut request = vec![0; length];
            let _ = reader.read_exact(&mut request);
            let _ = write!(
                reader.get_mut(),
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn credentials_that_fail_to_load_are_one_line_naming_the_stack_and_a_hint() {
    let (endpoint, _) = closed_endpoint();
    let provider = SharedCredentialsProvider::new(ExpiredSso);
    let (code, err) = diff(&[], demo("123456789012"), aws(&endpoint, provider.clone()));
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!(
            "error: no AWS credentials for stack Demo: an error occurred while loading credentials: the SSO session for profile dev has expired\n{CREDENTIALS_HELP}\n"
        )
    );

    let (code, err) = diff(
        &["--verbose"],
        demo("123456789012"),
        aws(&endpoint, provider),
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[2..],
        [
            "   = caused by: an error occurred while loading credentials",
            "   = caused by: the SSO session for profile dev has expired",
        ],
        "{err}"
    );
}

#[test]
fn an_unreachable_endpoint_is_one_line_and_its_causes_show_only_with_verbose() {
    let (endpoint, refused) = closed_endpoint();
    // The stack names an account, so the first call is STS's: it is still Demo's error.
    let (code, err) = diff(
        &[],
        demo("123456789012"),
        aws(&endpoint, test_credentials()),
    );
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!(
            "error: Demo: GetCallerIdentity failed: could not connect: {refused}\n{NETWORK_HELP}\n"
        )
    );
    assert!(!err.contains("DispatchFailure"), "no Debug output: {err}");

    let (_, verbose) = diff(
        &["-v"],
        demo("123456789012"),
        aws(&endpoint, test_credentials()),
    );
    let lines: Vec<&str> = verbose.lines().collect();
    assert_eq!(lines[..2], err.lines().collect::<Vec<_>>()[..], "{verbose}");
    assert_eq!(lines[2], "   = caused by: dispatch failure", "{verbose}");
    assert_eq!(
        lines.last().copied(),
        Some(format!("   = caused by: {refused}").as_str()),
        "{verbose}"
    );
    assert!(
        lines[2..].iter().all(|l| l.starts_with("   = caused by: ")),
        "{verbose}"
    );
}

#[test]
fn an_error_body_the_sdk_cannot_read_is_shown_as_its_code_and_message() {
    let endpoint = answering(
        r#"{"__type": "ResourceAlreadyExistsException", "message": "The specified log group already exists"}"#,
    );
    let (code, err) = diff(&[], demo(""), aws(&endpoint, test_credentials()));
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "error: Demo: DescribeStacks failed (ResourceAlreadyExistsException): The specified log group already exists\n"
    );
}

#[test]
fn list_and_diff_stop_at_the_first_connection_failure() {
    let (endpoint, refused) = closed_endpoint();
    for account in ["123456789012", ""] {
        let (code, out, err) = cli(
            &["list"],
            three(account),
            aws(&endpoint, test_credentials()),
        );
        assert_eq!(code, 1, "the statuses could not be looked up: {err}");
        assert_eq!(
            out.lines()
                .map(|l| l.split("  ").next().unwrap())
                .collect::<Vec<_>>(),
            ["Demo-Shared", "Demo-Base", "Demo-App"],
            "the stacks are still listed: {out}"
        );
        assert!(!out.contains("status unknown"), "{out}");
        let action = if account.is_empty() {
            "DescribeStacks"
        } else {
            "GetCallerIdentity"
        };
        assert_eq!(
            err,
            format!(
                "error: Demo-Shared: {action} failed: could not connect: {refused}\n{NETWORK_HELP}\n"
            ),
            "said once: {err}"
        );

        let (code, err) = diff(&[], three(account), aws(&endpoint, test_credentials()));
        assert_eq!(code, 1);
        assert_eq!(
            err,
            format!(
                "error: Demo-Shared: {action} failed: could not connect: {refused}\n{NETWORK_HELP}\n  not compared: Demo-Base, Demo-App\n"
            )
        );
    }
}

#[test]
fn without_credentials_list_says_so_once() {
    let (endpoint, _) = closed_endpoint();
    let (code, _, err) = cli(
        &["list"],
        three("123456789012"),
        aws(&endpoint, SharedCredentialsProvider::new(ExpiredSso)),
    );
    assert_eq!(code, 1);
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(
        err.starts_with("error: no AWS credentials for stack Demo-Shared"),
        "{err}"
    );
}
