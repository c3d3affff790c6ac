//! Deploy under faults: an endpoint that accepts and never answers, a connection that
//! freezes mid-deploy, a connection cut right after `ExecuteChangeSet` went out, and two
//! deploys at once. Each wait is bounded, so a regression fails instead of hanging.
//!
//! The blackhole tests need no moto; the others put a proxy of the test's own
//! (`deploy_support::proxy`) between the SDK and moto.
#![cfg(feature = "aws")]

mod deploy_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use deploy_support::{
    aws, aws_at, blackhole, block_on, cli_with, moto, proxy, small_stack, within,
};
use stackwright::core::{App, CoreError};
use stackwright::deploy::{
    DeployError, DeployOptions, DeployOutcome, Deployer, StackStatus, StackTarget, TimeoutStage,
    Timeouts,
};
use stackwright::synth::synthesize;

/// Small limits, so that a call that gets no answer fails in a few seconds: one second to
/// connect or to the first byte, two per attempt, four for a call with its retries.
fn short() -> Timeouts {
    Timeouts {
        connect: Some(Duration::from_secs(1)),
        read: Some(Duration::from_secs(1)),
        attempt: Some(Duration::from_secs(2)),
        operation: Some(Duration::from_secs(4)),
    }
}

fn one_stack(name: &'static str) -> impl Fn(&App) -> Result<(), CoreError> + Send + 'static {
    move |app| {
        small_stack(app, name, "v")?;
        Ok(())
    }
}

/// A stack of a fresh assembly, as the library deploys it.
fn target(name: &str) -> (tempfile::TempDir, StackTarget) {
    let app = App::new();
    small_stack(&app, name, "v").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let assembly = synthesize(&app).unwrap().write(dir.path()).unwrap();
    let t = StackTarget::from_assembly(&assembly, name).unwrap();
    (dir, t)
}

#[test]
fn every_command_against_a_listener_that_never_answers_ends_saying_who_did_not_answer() {
    // The reproduction: AWS_ENDPOINT_URL at a listener that accepts and never
    // answers; deploy, list and destroy printed nothing and never returned.
    let hole = blackhole();
    for args in [
        vec!["deploy", "--all", "--yes"],
        vec!["list"],
        vec!["destroy", "--all", "--yes"],
    ] {
        let endpoint = hole.endpoint.clone();
        let what = args.join(" ");
        let started = Instant::now();
        let (code, out, err) = within(Duration::from_secs(60), &what, move || {
            let dir = tempfile::tempdir().unwrap();
            let aws = block_on(aws_at(&endpoint, 2, short()));
            cli_with(aws, dir.path(), &args, one_stack("Faults-Hole"))
        });
        let said = format!("{out}{err}");
        assert!(
            said.contains(&format!(
                "GetCallerIdentity to {} did not answer within",
                hole.endpoint
            )),
            "{what}: {said}"
        );
        if what != "list" {
            assert_eq!(code, 1, "{what}: {said}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what} took {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_call_that_never_answers_is_a_no_answer_error_naming_the_call_and_the_endpoint() {
    let hole = blackhole();
    let (_dir, mut t) = target("Faults-Hole-Lib");
    // No account: no credentials check first, so the stack's own call is the first.
    t.manifest.environment.account = String::new();
    let d = Deployer::new(aws_at(&hole.endpoint, 1, short()).await);
    let err = tokio::time::timeout(Duration::from_secs(30), d.status(&t))
        .await
        .expect("a time limit ends the call")
        .unwrap_err();
    assert!(
        matches!(
            &err,
            DeployError::NoAnswer {
                action: "DescribeStacks",
                stage: TimeoutStage::Read,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "Faults-Hole-Lib: DescribeStacks to {} did not answer within 1 s",
            hole.endpoint
        )
    );
    assert!(
        err.hint().unwrap().contains("STACKWRIGHT_READ_TIMEOUT"),
        "{err}"
    );
}

/// Runs in the child process only: the CLI as `stackwright::run` runs it, with the
/// environment the parent set (the standard chain, and the time limits from it).
#[test]
fn child_process_entry() {
    let Ok(dir) = std::env::var("STACKWRIGHT_FAULTS_CHILD_DIR") else {
        return;
    };
    let args: Vec<String> = std::env::var("STACKWRIGHT_FAULTS_CHILD_ARGS")
        .unwrap()
        .split(' ')
        .map(String::from)
        .collect();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = stackwright::run_with(
        ["app", "--out", &dir]
            .into_iter()
            .chain(args.iter().map(String::as_str)),
        one_stack("Faults-Env"),
        &mut out,
        &mut err,
        false,
    );
    println!(
        "== {} => {code}\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&err)
    );
}

/// Runs `args` in a child process with this environment; kills it after `limit`.
fn child(args: &str, vars: &[(&str, &str)], limit: Duration) -> String {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_process_entry",
        "--nocapture",
        "--test-threads=1",
    ])
    .env_clear()
    .env("PATH", std::env::var_os("PATH").unwrap_or_default())
    .env("HOME", home.path())
    .env("STACKWRIGHT_FAULTS_CHILD_DIR", dir.path())
    .env("STACKWRIGHT_FAULTS_CHILD_ARGS", args)
    .env("AWS_REGION", "us-east-1")
    .env("AWS_ACCESS_KEY_ID", "testing")
    .env("AWS_SECRET_ACCESS_KEY", "testing")
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut running = cmd.spawn().unwrap();
    let deadline = Instant::now() + limit;
    while running.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = running.kill();
            let _ = running.wait();
            panic!("`{args}` did not return within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = running.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_time_limits_come_from_the_environment() {
    let hole = blackhole();
    for args in ["deploy --all --yes", "list", "destroy --all --yes"] {
        let text = child(
            args,
            &[
                ("AWS_ENDPOINT_URL", &hole.endpoint),
                ("AWS_MAX_ATTEMPTS", "2"),
                ("STACKWRIGHT_READ_TIMEOUT", "1"),
                ("STACKWRIGHT_ATTEMPT_TIMEOUT", "2s"),
                ("STACKWRIGHT_OPERATION_TIMEOUT", "4"),
            ],
            Duration::from_secs(60),
        );
        assert!(
            text.contains(&format!(
                "GetCallerIdentity to {} did not answer within 1 s",
                hole.endpoint
            )),
            "{args}: {text}"
        );
        if args != "list" {
            assert!(text.contains(&format!("== {args} => 1")), "{text}");
        }
    }
    let text = child(
        "deploy --all --yes",
        &[
            ("AWS_ENDPOINT_URL", &hole.endpoint),
            ("STACKWRIGHT_READ_TIMEOUT", "ten"),
        ],
        Duration::from_secs(60),
    );
    assert!(
        text.contains("STACKWRIGHT_READ_TIMEOUT is 'ten', which is not a time limit"),
        "{text}"
    );
    assert!(text.contains("== deploy --all --yes => 1"), "{text}");
}

#[test]
fn a_connection_that_freezes_mid_deploy_ends_the_deploy_with_an_error() {
    let Some(m) = moto("a_connection_that_freezes_mid_deploy_ends_the_deploy_with_an_error") else {
        return;
    };
    let p = proxy(&m.endpoint);
    // Frozen once the change set was executed: every call watching it gets no answer.
    p.freeze_after("ExecuteChangeSet");
    let endpoint = p.endpoint.clone();
    let (code, out, err) = within(Duration::from_secs(60), "deploy", move || {
        let dir = tempfile::tempdir().unwrap();
        let aws = block_on(aws_at(&endpoint, 2, short()));
        cli_with(
            aws,
            dir.path(),
            &["deploy", "--yes"],
            one_stack("Faults-Freeze"),
        )
    });
    assert!(p.frozen(), "{:?}", p.actions());
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("Faults-Freeze: executing change set"), "{out}");
    assert!(
        err.contains(&format!("to {} did not answer within", p.endpoint)),
        "{err}"
    );
    // CloudFormation (moto) went on without us. (The CLI marks stacks as the app called
    // `app`, its program name.)
    let d = Deployer::new(block_on(aws(m))).with_app("app");
    let (_dir, t) = target("Faults-Freeze");
    let status = block_on(d.status(&t)).unwrap().unwrap().status;
    assert_eq!(status, StackStatus::CreateComplete);
    block_on(d.destroy(&t, None, &mut |_| {})).unwrap();
}

#[tokio::test]
async fn a_connection_cut_after_execute_change_set_went_out_is_followed_to_the_truth() {
    // The bug: moto executed the change set, the answer never came, and deploy said
    // "the change set was not executed".
    let Some(m) =
        moto("a_connection_cut_after_execute_change_set_went_out_is_followed_to_the_truth")
    else {
        return;
    };
    for (name, attempts) in [("Faults-Cut", 1), ("Faults-Cut-Retried", 3)] {
        let p = proxy(&m.endpoint);
        p.cut_after("ExecuteChangeSet");
        let (_dir, t) = target(name);
        let d = Deployer::new(aws_at(&p.endpoint, attempts, short()).await)
            .poll_interval(Duration::from_millis(50));
        let options = DeployOptions::default();
        let result =
            tokio::time::timeout(Duration::from_secs(60), d.deploy(&t, &options, &mut |_| {}))
                .await
                .expect("deploy ends")
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(result.outcome, DeployOutcome::Created, "{name}");
        assert_eq!(result.status, Some(StackStatus::CreateComplete), "{name}");
        let executes = p
            .actions()
            .iter()
            .filter(|a| *a == "ExecuteChangeSet")
            .count();
        if attempts == 1 {
            assert_eq!(executes, 1);
            assert!(
                result
                    .warnings
                    .iter()
                    .any(|w| w.contains("CloudFormation did execute")),
                "{:?}",
                result.warnings
            );
        } else {
            // The SDK retried with the same token, and the retry was carried out as the
            // same execution, not refused.
            assert_eq!(executes, 2, "{:?}", p.actions());
        }
        d.destroy(&t, None, &mut |_| {}).await.unwrap();
    }
}

#[test]
fn two_deploys_at_once_leave_one_stack_per_name_and_say_what_happened() {
    let Some(m) = moto("two_deploys_at_once_leave_one_stack_per_name_and_say_what_happened") else {
        return;
    };
    for round in 0..3 {
        let base: &'static str = Box::leak(format!("Faults-Race{round}-Base").into_boxed_str());
        let app: &'static str = Box::leak(format!("Faults-Race{round}-App").into_boxed_str());
        let build = move |a: &App| -> Result<(), CoreError> {
            let b = small_stack(a, base, "b")?;
            let s = small_stack(a, app, "a")?;
            s.add_dependency(&b);
            Ok(())
        };
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let endpoint = m.endpoint.clone();
                std::thread::spawn(move || {
                    let dir = tempfile::tempdir().unwrap();
                    let aws = block_on(aws_at(&endpoint, 1, Timeouts::default()));
                    cli_with(aws, dir.path(), &["deploy", "--all", "--yes"], build)
                })
            })
            .collect();
        let started = Instant::now();
        for run in runs {
            let (code, out, err) = run.join().unwrap();
            eprintln!("round {round}: exit {code}\n{out}\n{err}");
            match code {
                0 => {}
                1 => assert!(
                    err.contains(
                        "was changed by another operation while this deploy prepared its change set"
                    ),
                    "round {round}: a failure says another run was at work:\n{out}\n{err}"
                ),
                _ => panic!("round {round}: exit {code}\n{out}\n{err}"),
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60));
        let cfn = aws_sdk_cloudformation::Client::new(block_on(aws(m)).config());
        let listed = block_on(cfn.list_stacks().send()).unwrap();
        for name in [base, app] {
            let live: Vec<&str> = listed
                .stack_summaries()
                .iter()
                .filter(|s| s.stack_name() == Some(name))
                .filter_map(|s| s.stack_status().map(|x| x.as_str()))
                .filter(|s| *s != "DELETE_COMPLETE")
                .collect();
            assert_eq!(live, ["CREATE_COMPLETE"], "round {round}: {name}");
        }
        let dir = tempfile::tempdir().unwrap();
        let (code, out, err) = cli_with(
            block_on(aws(m)),
            dir.path(),
            &["destroy", "--all", "--yes"],
            build,
        );
        assert_eq!(code, 0, "{out}\n{err}");
    }
}
