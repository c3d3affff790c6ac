//! What the deploy tests share: a moto server started once per test binary on a free
//! port, AWS configuration pointing at it, and small apps built from L1 resources moto
//! supports.
//!
//! moto comes from `.venv/` (`.ci/run` installs the pinned version) or from PATH. Without
//! it the tests say loudly that they skipped; under `CI` they fail instead.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use stackwright::core::{App, CoreError, Env, Resource, Scope, Stack};
use stackwright::deploy::Aws;
use stackwright::l1::{logs, sns, ssm};

/// A running moto server. It exits when this process does: it watches its stdin, a pipe
/// that closes with us.
pub struct Moto {
    _child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// Where its log goes.
    pub log: PathBuf,
}

static MOTO: OnceLock<Option<Moto>> = OnceLock::new();

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python that has moto: the repository's `.venv`, else whichever `python3` imports
/// it when `moto_server` is on PATH.
fn moto_python() -> Option<PathBuf> {
    let venv = root().join(".venv/bin");
    if venv.join("moto_server").exists() {
        return Some(venv.join("python"));
    }
    let on_path = Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let importable = Command::new("python3")
        .args(["-c", "import moto.server"])
        .status()
        .is_ok_and(|s| s.success());
    (on_path && importable).then(|| PathBuf::from("python3"))
}

/// The shared moto server, started on first use; `None` (after a loud notice) when moto
/// is not installed. Under `CI` a missing moto is a failure.
pub fn moto(test: &str) -> Option<&'static Moto> {
    let moto = MOTO.get_or_init(|| {
        let python = moto_python()?;
        Some(start(&python))
    });
    if moto.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "moto is required under CI; .ci/run installs it into .venv"
        );
        eprintln!(
            "\n*** SKIPPED {test}: moto not found (run .ci/run once, or `pip install 'moto[server]==5.2.5'`) ***\n"
        );
    }
    moto.as_ref()
}

fn start(python: &Path) -> Moto {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{port}.log"));
    let log_file = std::fs::File::create(&log).expect("moto log file");
    let child = Command::new(python)
        .arg(root().join(".ci/moto_server.py"))
        .args([
            "--exit-with-stdin",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(log_file.try_clone().expect("log"))
        .stderr(log_file)
        .spawn()
        .expect("moto starts");
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !answers(port) {
        assert!(
            Instant::now() < deadline,
            "moto did not answer on port {port} within 60 s; see {}",
            log.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto {
        _child: child,
        endpoint,
        log,
    }
}

fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// AWS configuration for moto: test credentials, us-east-1, no retries (moto answers a
/// failed execution with a 500, and executing again only gets the launcher's
/// `InvalidChangeSetStatus`).
pub async fn aws(moto: &Moto) -> Aws {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    Aws::from_config(config)
}

/// The account moto's credentials belong to, and the stacks' region.
pub fn env() -> Env {
    Env::new("123456789012", "us-east-1")
}

/// One stack of resources moto creates through CloudFormation: an SSM parameter (moto
/// needs its name), a topic and a log group. `value` is the parameter's value, so a
/// different value is an update.
pub fn small_stack(app: &App, name: &str, value: &str) -> Result<Stack, CoreError> {
    let stack = Stack::new(app, name, env())?;
    stack.tags().add("Project", "DeployTests");
    Resource::new(
        &stack,
        "Setting",
        ssm::Parameter {
            name: Some(format!("/{name}/setting").into()),
            ..ssm::Parameter::new(ssm::parameter::Type::String, value)
        },
    )?;
    Resource::new(&stack, "Alerts", sns::Topic::default())?;
    Resource::new(
        &stack,
        "Logs",
        logs::LogGroup {
            log_group_name: Some(format!("/{name}/logs").into()),
            retention_in_days: Some(7.into()),
            ..Default::default()
        },
    )?;
    Ok(stack)
}

/// Runs the CLI against moto; returns the exit code, stdout and stderr.
pub fn cli<E: stackwright::core::ToDiagnostics>(
    moto: &Moto,
    dir: &Path,
    args: &[&str],
    build: impl FnOnce(&App) -> Result<(), E>,
) -> (u8, String, String) {
    let aws = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(aws(moto));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let out_dir = dir.to_str().unwrap();
    let code = stackwright::run_with_aws(
        ["app", "--out", out_dir]
            .into_iter()
            .chain(args.iter().copied()),
        build,
        &mut out,
        &mut err,
        false,
        aws,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}
