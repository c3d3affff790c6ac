//! What the deploy tests share: a moto server started once per test binary on a free
//! port, AWS configuration pointing at it, and small apps built from L1 resources moto
//! supports.
//!
//! moto comes from `.venv/` (`.ci/run` installs the pinned version) or from PATH, at the
//! versions `.ci/requirements.txt` pins (another moto on PATH is passed over). Without it
//! the tests say loudly that they skipped; under `CI` they fail instead.

#![allow(dead_code)]

#[path = "../support/pinned_tool.rs"]
mod pinned_tool;

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use stackwright::core::{App, CoreError, Env, Resource, Scope, Stack};
use stackwright::deploy::{Aws, Timeouts};
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

static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The versions `.ci/requirements.txt` pins for the emulator: moto, and cbor2, which the
/// launcher's CloudWatch patch needs.
fn pinned_emulator() -> (String, String) {
    let pin = |package: &str| {
        pinned_tool::pinned_version(package)
            .unwrap_or_else(|| panic!("{package} is not pinned in .ci/requirements.txt"))
    };
    (pin("moto"), pin("cbor2"))
}

/// The Python that has moto and cbor2 at their pinned versions: the repository's `.venv`,
/// else `python3` from PATH. Another version is passed over (the launcher's patches are
/// written against the pinned moto), and the error lists what was.
fn moto_python() -> Result<PathBuf, String> {
    let (moto, cbor2) = pinned_emulator();
    let probe = "import importlib.metadata as m, moto.server, cbor2; \
                 print(m.version('moto'), m.version('cbor2'))";
    let venv = pinned_tool::workspace_root().join(".venv/bin/python");
    let mut passed_over = Vec::new();
    for python in [venv, PathBuf::from("python3")] {
        let Ok(out) = Command::new(&python).args(["-c", probe]).output() else {
            continue;
        };
        let found = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if out.status.success() && found == format!("{moto} {cbor2}") {
            return Ok(python);
        }
        let found = if out.status.success() {
            format!("moto and cbor2 {found}")
        } else {
            "no moto or no cbor2".to_string()
        };
        passed_over.push(format!("{} ({found})", python.display()));
    }
    Err(format!(
        "moto {moto} with cbor2 {cbor2} (pinned in .ci/requirements.txt) not found; passed over {}",
        passed_over.join(", ")
    ))
}

/// The shared moto server, started on first use; `None` (after a loud notice) when the
/// pinned moto is not installed. Under `CI` a missing moto is a failure.
pub fn moto(test: &str) -> Option<&'static Moto> {
    let moto = MOTO.get_or_init(|| moto_python().map(|python| start(&python)));
    match moto {
        Ok(m) => Some(m),
        Err(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "moto is required under CI; .ci/run installs it into .venv: {why}"
            );
            eprintln!("\n*** SKIPPED {test}: {why}; run .ci/run once ***\n");
            None
        }
    }
}

fn start(python: &Path) -> Moto {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{port}.log"));
    let log_file = std::fs::File::create(&log).expect("moto log file");
    let mut child = Command::new(python)
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
        // A launcher that stopped (a patch that no longer applies, a missing module) says
        // why in its log: show it now rather than after the whole wait.
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the moto launcher exited ({status}) before answering:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
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

/// moto's answer to a query-protocol call (`Action=...&Version=...`, without the version)
/// of `service` (as it signs: `ec2`, `rds`, `autoscaling`, `monitoring`), which must be
/// HTTP 200. For the services whose SDK client the tests do not depend on, and for
/// CloudWatch, whose SDK client sends CBOR, which moto 5.2.5 does not read. The
/// Authorization header only tells moto's server which service is asked; moto does not
/// check signatures.
pub fn query(m: &Moto, service: &str, version: &str, params: &[(&str, &str)]) -> String {
    let address = m.endpoint.trim_start_matches("http://");
    let mut body = format!("Version={version}");
    for (key, value) in params {
        body.push_str(&format!("&{key}={}", encoded(value)));
    }
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{body}: {response}");
    response
}

/// A form value percent-encoded, as the query protocol sends it.
fn encoded(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every text between `<tag>` and `</tag>` in an XML answer, in order, with XML's
/// character entities read.
pub fn tagged(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(text, _)| unescaped(text)))
        .collect()
}

fn unescaped(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The ids an EC2 `Describe*` call of moto's lists between `<tag>` and `</tag>`.
pub fn ec2_ids(m: &Moto, params: &[(&str, &str)], tag: &str) -> BTreeSet<String> {
    tagged(&query(m, "ec2", "2016-11-15", params), tag)
        .into_iter()
        .collect()
}

/// What a base stack's network consists of, as moto's EC2 API lists it: VPCs, subnets,
/// route tables, internet gateways, NAT gateways still available, and elastic IPs.
pub fn network(m: &Moto) -> Vec<BTreeSet<String>> {
    let available = [
        ("Action", "DescribeNatGateways"),
        ("Filter.1.Name", "state"),
        ("Filter.1.Value.1", "available"),
    ];
    vec![
        ec2_ids(m, &[("Action", "DescribeVpcs")], "vpcId"),
        ec2_ids(m, &[("Action", "DescribeSubnets")], "subnetId"),
        ec2_ids(m, &[("Action", "DescribeRouteTables")], "routeTableId"),
        ec2_ids(
            m,
            &[("Action", "DescribeInternetGateways")],
            "internetGatewayId",
        ),
        ec2_ids(m, &available, "natGatewayId"),
        ec2_ids(m, &[("Action", "DescribeAddresses")], "allocationId"),
    ]
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
    cli_with(aws, dir, args, build)
}

/// Runs the CLI with this AWS configuration; returns the exit code, stdout and stderr.
pub fn cli_with<E: stackwright::core::ToDiagnostics>(
    aws: Aws,
    dir: &Path,
    args: &[&str],
    build: impl FnOnce(&App) -> Result<(), E>,
) -> (u8, String, String) {
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

/// Blocks on a future on a runtime of its own.
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// Every live stack's status (`DescribeStacks`), and every stack's latest status as
/// `ListStacks` reports it, deleted ones included.
pub fn stack_statuses(m: &Moto) -> (HashMap<String, String>, HashMap<String, String>) {
    block_on(async {
        let cfn = aws_sdk_cloudformation::Client::new(aws(m).await.config());
        let live = cfn.describe_stacks().send().await.unwrap();
        let live = live
            .stacks()
            .iter()
            .map(|s| {
                let status = s.stack_status().map(|s| s.as_str()).unwrap_or_default();
                (
                    s.stack_name().unwrap_or_default().to_string(),
                    status.to_string(),
                )
            })
            .collect();
        let mut latest = HashMap::new();
        let listed = cfn.list_stacks().send().await.unwrap();
        // Newest first: the first summary of a name is its latest.
        let mut summaries = listed.stack_summaries().to_vec();
        summaries.sort_by_key(|s| std::cmp::Reverse(s.creation_time().map(|t| t.as_nanos())));
        for summary in summaries {
            let status = summary
                .stack_status()
                .map(|s| s.as_str())
                .unwrap_or_default();
            latest
                .entry(summary.stack_name().unwrap_or_default().to_string())
                .or_insert_with(|| status.to_string());
        }
        (live, latest)
    })
}

/// The live stacks with termination protection on.
pub fn protected_stacks(m: &Moto) -> BTreeSet<String> {
    block_on(async {
        let cfn = aws_sdk_cloudformation::Client::new(aws(m).await.config());
        let live = cfn.describe_stacks().send().await.unwrap();
        live.stacks()
            .iter()
            .filter(|s| s.enable_termination_protection() == Some(true))
            .filter_map(|s| s.stack_name().map(String::from))
            .collect()
    })
}

/// AWS configuration for an endpoint of a test's own (a blackhole, a proxy): test
/// credentials, us-east-1, `attempts` tries per call, and these time limits.
pub async fn aws_at(endpoint: &str, attempts: u32, timeouts: Timeouts) -> Aws {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .retry_config(RetryConfig::standard().with_max_attempts(attempts))
        .load()
        .await;
    Aws::from_config(config).with_timeouts(timeouts)
}

/// A listener on 127.0.0.1 that accepts every connection and never answers: what a hung
/// proxy, a frozen emulator or a firewall that swallows packets looks like to a client.
pub struct Blackhole {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

/// Starts a [`Blackhole`]; it lives as long as the test process.
pub fn blackhole() -> Blackhole {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let endpoint = format!("http://{}", listener.local_addr().expect("its address"));
    std::thread::spawn(move || {
        // Held open, never read from, never answered.
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    Blackhole { endpoint }
}

/// What a [`Proxy`] does to the requests it forwards.
#[derive(Debug, Clone, Default)]
struct Faults {
    /// The request with this `Action` is forwarded, and its answer thrown away: the client
    /// connection is closed without a word (once).
    cut_after: Option<String>,
    /// After the answer to this `Action` has been passed on, the proxy freezes.
    freeze_after: Option<String>,
    /// Every request from now on is read and never answered.
    frozen: bool,
    /// The actions forwarded, in order.
    seen: Vec<String>,
}

/// A TCP proxy on 127.0.0.1 in front of an HTTP endpoint (moto) that can cut a connection
/// after the request went through, or freeze: accept and read requests and never answer.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    faults: Arc<Mutex<Faults>>,
}

impl Proxy {
    /// Forwards the next request of `action`, then closes the client's connection without
    /// passing the answer on, as a connection cut at the worst moment.
    pub fn cut_after(&self, action: &str) {
        self.faults.lock().unwrap().cut_after = Some(action.to_string());
    }

    /// Freezes once the answer to the next request of `action` has been passed on.
    pub fn freeze_after(&self, action: &str) {
        self.faults.lock().unwrap().freeze_after = Some(action.to_string());
    }

    /// Whether the proxy is frozen.
    pub fn frozen(&self) -> bool {
        self.faults.lock().unwrap().frozen
    }

    /// The actions forwarded so far.
    pub fn actions(&self) -> Vec<String> {
        self.faults.lock().unwrap().seen.clone()
    }
}

/// Starts a [`Proxy`] to `upstream` (`http://127.0.0.1:PORT`); it lives as long as the
/// test process.
pub fn proxy(upstream: &str) -> Proxy {
    let upstream = upstream.trim_start_matches("http://").to_string();
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let endpoint = format!("http://{}", listener.local_addr().expect("its address"));
    let faults = Arc::new(Mutex::new(Faults::default()));
    let shared = Arc::clone(&faults);
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let faults = Arc::clone(&shared);
            let upstream = upstream.clone();
            std::thread::spawn(move || serve(conn, &upstream, &faults));
        }
    });
    Proxy { endpoint, faults }
}

/// One client connection: request by request, forwarded on a connection of its own.
fn serve(mut client: TcpStream, upstream: &str, faults: &Mutex<Faults>) {
    while let Some(request) = read_request(&mut client) {
        let action = action_of(&request);
        if faults.lock().unwrap().frozen {
            // Read on, answer nothing, until the client gives up.
            let mut sink = [0u8; 4096];
            while matches!(client.read(&mut sink), Ok(n) if n > 0) {}
            return;
        }
        let Ok(mut up) = TcpStream::connect(upstream) else {
            return;
        };
        let _ = up.set_read_timeout(Some(Duration::from_secs(60)));
        if up.write_all(&request).is_err() {
            return;
        }
        let mut answer = Vec::new();
        let _ = up.read_to_end(&mut answer);
        let (cut, freeze) = {
            let mut f = faults.lock().unwrap();
            f.seen.push(action.clone());
            let cut = f.cut_after.as_deref() == Some(action.as_str());
            if cut {
                f.cut_after = None;
            }
            let freeze = f.freeze_after.as_deref() == Some(action.as_str());
            if freeze {
                f.freeze_after = None;
            }
            (cut, freeze)
        };
        if cut {
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        if client.write_all(&answer).is_err() {
            return;
        }
        if freeze {
            faults.lock().unwrap().frozen = true;
        }
    }
}

/// One HTTP/1.1 request with a `Content-Length` body, as the SDK sends them; `None` at the
/// end of the connection.
fn read_request(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => data.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&data).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).ok()?;
    data.extend(body);
    Some(data)
}

/// The `Action` of a query-protocol request.
fn action_of(request: &[u8]) -> String {
    let text = String::from_utf8_lossy(request);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    body.split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("?")
        .to_string()
}

/// Runs `f` on a thread of its own and waits at most `limit` for it: a test of something
/// that used to hang fails instead of hanging.
pub fn within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{what} did not return within {limit:?}"))
}
