//! The `deploy`, `diff`, `destroy` and `list` commands end to end against moto.
//!
//! Most tests hand the CLI an AWS configuration for moto (`run_with_aws`); one runs this
//! test binary again as a child process with `AWS_ENDPOINT_URL` and friends in its
//! environment, to show the standard chain is what `stackwright::run` uses.
#![cfg(feature = "aws")]

mod deploy_support;

use std::io;
use std::process::Command;

use deploy_support::{aws, block_on, cli, env, moto, small_stack};
use stackwright::core::{App, CoreError, Output, Parameter, ParameterProps, Resource, Stack};
use stackwright::l1::{sns, ssm};

fn two_stacks(value: &'static str) -> impl Fn(&App) -> Result<(), CoreError> {
    move |app| {
        let base = small_stack(app, "Cli-Base", "base")?;
        let app_stack = small_stack(app, "Cli-App", value)?;
        app_stack.add_dependency(&base);
        Ok(())
    }
}

fn position(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("'{needle}' not in:\n{text}"))
}

#[test]
fn deploy_again_diff_list_and_destroy() {
    let Some(m) = moto("deploy_again_diff_list_and_destroy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    let (code, out, err) = cli(m, dir.path(), &["diff"], two_stacks("one"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Cli-Base (new stack): 3 to add"), "{out}");

    let (code, out, err) = cli(
        m,
        dir.path(),
        &["deploy", "--all", "--yes"],
        two_stacks("one"),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        position(&out, "Cli-Base: created") < position(&out, "Cli-App: created"),
        "dependency order: {out}"
    );
    assert!(
        out.contains("[+] Add     AWS::SSM::Parameter Setting (Cli-App/Setting)"),
        "{out}"
    );
    assert!(out.contains("CREATE_COMPLETE"), "events are shown: {out}");

    let (code, out, err) = cli(
        m,
        dir.path(),
        &["deploy", "--all", "--yes"],
        two_stacks("one"),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("Cli-Base: no changes (the change set was deleted)"),
        "{out}"
    );
    assert!(
        out.contains("Cli-App: no changes (the change set was deleted)"),
        "{out}"
    );

    let (code, out, _) = cli(m, dir.path(), &["list"], two_stacks("one"));
    assert_eq!(code, 0);
    assert!(
        out.contains("Cli-App  123456789012/us-east-1  after Cli-Base  CREATE_COMPLETE"),
        "{out}"
    );

    let (code, out, err) = cli(m, dir.path(), &["diff", "Cli-App"], two_stacks("two"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Cli-App: 0 to add, 1 to modify"), "{out}");
    assert!(
        out.contains("[~] AWS::SSM::Parameter Setting (Cli-App/Setting)"),
        "{out}"
    );
    assert!(out.contains("[~] Value: \"one\" → \"two\""), "{out}");

    let (code, out, err) = cli(
        m,
        dir.path(),
        &["diff", "--change-set", "Cli-App"],
        two_stacks("two"),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("AWS::SSM::Parameter Setting"), "{out}");
    assert!(out.contains("the change set was deleted again"), "{out}");

    let (code, out, err) = cli(
        m,
        dir.path(),
        &["deploy", "Cli-App", "--yes"],
        two_stacks("two"),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Cli-App: updated"), "{out}");
    assert!(!out.contains("Cli-Base"), "only the named stack: {out}");

    let (code, out, err) = cli(
        m,
        dir.path(),
        &["destroy", "--all", "--yes"],
        two_stacks("two"),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        position(&out, "Cli-App: deleted") < position(&out, "Cli-Base: deleted"),
        "reverse order: {out}"
    );

    let (_, out, _) = cli(m, dir.path(), &["list"], two_stacks("two"));
    assert!(
        out.contains("Cli-Base  123456789012/us-east-1  not deployed"),
        "{out}"
    );
}

fn single(app: &App) -> Result<(), CoreError> {
    small_stack(app, "Cli-Approval", "v")?;
    Ok(())
}

#[test]
fn without_a_terminal_deploy_needs_yes_and_leaves_the_change_set() {
    let Some(m) = moto("without_a_terminal_deploy_needs_yes_and_leaves_the_change_set") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = cli(m, dir.path(), &["deploy"], single);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("needs approval, but standard input is not a terminal; pass --yes"),
        "{err}"
    );
    let left = err
        .split("(change set ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("the change set left is named: {err}"))
        .to_string();
    assert!(
        left.starts_with("stackwright-deploy-"),
        "a run's own name: {err}"
    );
    assert!(err.contains("was left for review"), "{err}");

    // The stack the unexecuted CREATE change set made holds nothing, but the change set
    // left for review could still be executed: deploy keeps it and adds a CREATE change
    // set beside it; executing that one removes the other, as CloudFormation does.
    let (code, out, err) = cli(
        m,
        dir.path(),
        &["deploy", "--require-approval", "never"],
        single,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        !out.contains("holds no resources"),
        "nothing deleted: {out}"
    );
    assert!(out.contains("Cli-Approval: created"), "{out}");
    let cfn = aws_sdk_cloudformation::Client::new(
        deploy_support::block_on(deploy_support::aws(m)).config(),
    );
    let summaries =
        deploy_support::block_on(cfn.list_change_sets().stack_name("Cli-Approval").send()).unwrap();
    assert!(
        summaries
            .summaries()
            .iter()
            .all(|s| s.change_set_name() != Some(left.as_str())),
        "{:?}",
        summaries.summaries()
    );

    let (code, _, err) = cli(m, dir.path(), &["destroy"], single);
    assert_eq!(code, 1);
    assert!(err.contains("pass --yes"), "{err}");
    let (code, out, err) = cli(m, dir.path(), &["destroy", "--yes"], single);
    assert_eq!(code, 0, "{out}\n{err}");
}

fn with_parameter(app: &App) -> Result<(), CoreError> {
    let stack = Stack::new(app, "Cli-Params", env())?;
    let greeting = Parameter::new(
        &stack,
        "Greeting",
        ParameterProps::string_with_default("hi"),
    )?;
    Resource::new(
        &stack,
        "Setting",
        ssm::Parameter {
            name: Some("/Cli-Params/greeting".into()),
            ..ssm::Parameter::new(ssm::parameter::Type::String, greeting.value::<String>())
        },
    )?;
    Ok(())
}

#[test]
fn parameters_outputs_file_and_no_execute() {
    let Some(m) = moto("parameters_outputs_file_and_no_execute") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = cli(
        m,
        dir.path(),
        &["deploy", "--yes", "--parameter", "Nope:Greeting=x"],
        with_parameter,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("names stack Nope, which is not being deployed"),
        "{err}"
    );

    let (code, out, err) = cli(m, dir.path(), &["deploy", "--no-execute"], with_parameter);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("left for review (--no-execute)"), "{out}");

    let outputs = dir.path().join("outputs.json");
    let (code, out, err) = cli(
        m,
        dir.path(),
        &[
            "deploy",
            "--yes",
            "--parameter",
            "Cli-Params:Greeting=hello",
            "--outputs-file",
            outputs.to_str().unwrap(),
        ],
        with_parameter,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs).unwrap()).unwrap();
    assert!(written["Cli-Params"].is_object(), "{written}");

    let cfn = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let aws = deploy_support::aws(m).await;
            aws_sdk_cloudformation::Client::new(aws.config())
                .describe_stacks()
                .stack_name("Cli-Params")
                .send()
                .await
                .unwrap()
        });
    let params = cfn.stacks()[0].parameters();
    assert_eq!(params[0].parameter_key(), Some("Greeting"));
    assert_eq!(params[0].parameter_value(), Some("hello"));

    let (code, out, err) = cli(m, dir.path(), &["destroy", "--yes"], with_parameter);
    assert_eq!(code, 0, "{out}\n{err}");
}

#[test]
fn a_large_template_needs_a_bucket() {
    let Some(m) = moto("a_large_template_needs_a_bucket") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let large = |app: &App| -> Result<(), CoreError> {
        let stack = Stack::new(app, "Cli-Large", env())?;
        for i in 0..14 {
            Resource::new(
                &stack,
                &format!("Blob{i}"),
                ssm::Parameter {
                    name: Some(format!("/Cli-Large/blob{i}").into()),
                    ..ssm::Parameter::new(ssm::parameter::Type::String, "x".repeat(4000))
                },
            )?;
        }
        Ok(())
    };
    let (code, _, err) = cli(m, dir.path(), &["deploy", "--yes"], large);
    assert_eq!(code, 1);
    assert!(
        err.contains("over CloudFormation's 51200-byte limit"),
        "{err}"
    );
    assert!(err.contains("pass --bucket NAME"), "{err}");
}

/// Runs in the child process only: the CLI as `stackwright::run` runs it, with the
/// environment the parent set.
#[test]
fn child_process_entry() {
    let Ok(dir) = std::env::var("STACKWRIGHT_CLI_CHILD_DIR") else {
        return;
    };
    for args in [
        vec!["deploy", "--all", "--yes"],
        vec!["deploy", "--all", "--yes"],
        vec!["list"],
        vec!["destroy", "--all", "--yes"],
    ] {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = stackwright::run_with(
            ["app", "--out", &dir]
                .into_iter()
                .chain(args.iter().copied()),
            |app: &App| -> Result<(), CoreError> {
                small_stack(app, "Cli-Env", "v")?;
                Ok(())
            },
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
}

#[test]
fn the_cli_uses_the_standard_chain_from_the_environment() {
    let Some(m) = moto("the_cli_uses_the_standard_chain_from_the_environment") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("STACKWRIGHT_CLI_CHILD_DIR", dir.path())
        .env("AWS_ENDPOINT_URL", &m.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("== deploy --all --yes => 0"), "{text}");
    assert!(text.contains("Cli-Env: created"), "{text}");
    assert!(text.contains("Cli-Env: no changes"), "{text}");
    assert!(
        text.contains("Cli-Env  123456789012/us-east-1  CREATE_COMPLETE"),
        "{text}"
    );
    assert!(text.contains("== destroy --all --yes => 0"), "{text}");
    assert!(text.contains("Cli-Env: deleted"), "{text}");
}

/// `Cli-Out-First` with an output, then `Cli-Out-Second`, which moto cannot create (an SSM
/// parameter without a name).
fn first_deploys_second_fails(app: &App) -> Result<(), CoreError> {
    let first = small_stack(app, "Cli-Out-First", "v")?;
    Output::new(&first, "Greeting", "hello")?;
    let second = Stack::new(app, "Cli-Out-Second", env())?;
    Resource::new(
        &second,
        "Nameless",
        ssm::Parameter::new(ssm::parameter::Type::String, "v"),
    )?;
    second.add_dependency(&first);
    Ok(())
}

#[test]
fn outputs_of_the_stacks_that_deployed_survive_a_later_failure() {
    let Some(m) = moto("outputs_of_the_stacks_that_deployed_survive_a_later_failure") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs.json");
    let (code, out, err) = cli(
        m,
        &dir.path().join("out"),
        &[
            "deploy",
            "--all",
            "--yes",
            "--outputs-file",
            outputs.to_str().unwrap(),
        ],
        first_deploys_second_fails,
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("Cli-Out-First: created"), "{out}");
    assert!(
        err.contains("deployed before the failure: Cli-Out-First"),
        "{err}"
    );
    assert!(
        out.contains("Outputs\n  Cli-Out-First.Greeting = hello\n"),
        "{out}"
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs).unwrap()).unwrap();
    assert_eq!(
        written,
        serde_json::json!({"Cli-Out-First": {"Greeting": "hello"}})
    );
    // The failed create left Cli-Out-Second in REVIEW_IN_PROGRESS holding nothing: the next
    // deploy deletes and creates it again, and says so once.
    let (code, out, err) = cli(
        m,
        &dir.path().join("out"),
        &["deploy", "Cli-Out-Second", "--yes"],
        first_deploys_second_fails,
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert_eq!(
        out.matches("Cli-Out-Second: REVIEW_IN_PROGRESS; it holds no resources, so it is deleted and created again")
            .count(),
        1,
        "the recreation is said once: {out}"
    );
    let (code, out, err) = cli(
        m,
        &dir.path().join("out"),
        &["destroy", "--all", "--yes"],
        first_deploys_second_fails,
    );
    assert_eq!(code, 0, "{out}\n{err}");
}

fn piped_stacks(app: &App) -> Result<(), CoreError> {
    let base = small_stack(app, "Cli-Pipe-Base", "v")?;
    small_stack(app, "Cli-Pipe-App", "v")?.add_dependency(&base);
    Ok(())
}

/// `deploy ... | head -3`: standard output is a pipe whose reader has gone. The deploy
/// goes on, and its report (which stacks were deployed) comes on standard error.
#[test]
fn a_closed_standard_output_does_not_stop_a_deploy() {
    let Some(m) = moto("a_closed_standard_output_does_not_stop_a_deploy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let (reader, mut closed) = io::pipe().unwrap();
        drop(reader);
        let mut err = Vec::new();
        let aws = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(deploy_support::aws(m));
        let code = stackwright::run_with_aws(
            ["app", "--out", dir.path().to_str().unwrap()]
                .into_iter()
                .chain(args.iter().copied()),
            piped_stacks,
            &mut closed,
            &mut err,
            false,
            aws,
        );
        (code, String::from_utf8(err).unwrap())
    };
    let (code, err) = run(&["deploy", "--all", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.starts_with("warning: standard output failed (")
            && err.contains("); the rest of the report goes to standard error\n"),
        "{err}"
    );
    assert!(err.contains("Cli-Pipe-Base: created"), "{err}");
    assert!(err.contains("Cli-Pipe-App: created"), "{err}");
    let (code, err) = run(&["destroy", "--all", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Cli-Pipe-Base: deleted"), "{err}");
}

/// Signals need a child process to send them to, and `kill`: Unix only.
#[cfg(unix)]
mod signals {
    use std::io::{self, Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::process::{Command, Stdio};
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::{Duration, Instant};

    use super::deploy_support::{Moto, cli, moto, small_stack};
    use stackwright::core::{App, CoreError};

    /// A TCP proxy in front of moto that holds every request from the first one containing
    /// `needle` on, until released: the CLI then waits for an answer at a known point, and a
    /// test can act meanwhile.
    struct Hold {
        endpoint: String,
        state: Arc<(Mutex<HoldState>, Condvar)>,
    }

    #[derive(Default)]
    struct HoldState {
        holding: bool,
        released: bool,
    }

    impl Hold {
        fn start(upstream: &str, needle: &str) -> Hold {
            let needle: Arc<[u8]> = needle.as_bytes().into();
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let endpoint = format!("http://{}", listener.local_addr().unwrap());
            let upstream = upstream.trim_start_matches("http://").to_string();
            let state = Arc::new((Mutex::new(HoldState::default()), Condvar::new()));
            let shared = Arc::clone(&state);
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    let (Ok(mut client), Ok(mut server)) = (client, TcpStream::connect(&upstream))
                    else {
                        continue;
                    };
                    let (mut back_to, mut back_from) =
                        (client.try_clone().unwrap(), server.try_clone().unwrap());
                    std::thread::spawn(move || {
                        let _ = io::copy(&mut back_from, &mut back_to);
                        let _ = back_to.shutdown(Shutdown::Write);
                    });
                    let state = Arc::clone(&shared);
                    let needle = Arc::clone(&needle);
                    std::thread::spawn(move || {
                        let mut buf = vec![0; 1 << 16];
                        loop {
                            let n = match client.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            let (lock, wake) = &*state;
                            let mut s = lock.lock().unwrap();
                            let hit = buf[..n].windows(needle.len()).any(|w| *w == *needle);
                            if !s.released && (s.holding || hit) {
                                s.holding = true;
                                wake.notify_all();
                                while !s.released {
                                    s = wake.wait(s).unwrap();
                                }
                            }
                            drop(s);
                            if server.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = server.shutdown(Shutdown::Write);
                    });
                }
            });
            Hold { endpoint, state }
        }

        /// Whether a request is held, within `timeout`.
        fn wait_holding(&self, timeout: Duration) -> bool {
            let (lock, wake) = &*self.state;
            let s = lock.lock().unwrap();
            let (s, _) = wake.wait_timeout_while(s, timeout, |s| !s.holding).unwrap();
            s.holding
        }

        fn release(&self) {
            let (lock, wake) = &*self.state;
            lock.lock().unwrap().released = true;
            wake.notify_all();
        }
    }

    fn signalled_stacks(prefix: &str) -> impl Fn(&App) -> Result<(), CoreError> + '_ {
        move |app| {
            let base = small_stack(app, &format!("{prefix}-Base"), "v")?;
            small_stack(app, &format!("{prefix}-App"), "v")?.add_dependency(&base);
            Ok(())
        }
    }

    /// Runs in the child process only: `deploy --all --yes` as `stackwright::run` runs it,
    /// on the real standard output and error, exiting with its code.
    #[test]
    fn signal_child_entry() {
        let (Ok(dir), Ok(prefix)) = (
            std::env::var("STACKWRIGHT_SIGNAL_CHILD_DIR"),
            std::env::var("STACKWRIGHT_SIGNAL_CHILD_PREFIX"),
        ) else {
            return;
        };
        let code = stackwright::run_with(
            ["app", "--out", &dir, "deploy", "--all", "--yes"],
            signalled_stacks(&prefix),
            &mut io::stdout(),
            &mut io::stderr(),
            false,
        );
        std::process::exit(code.into());
    }

    /// `deploy` in a child process against moto through a [`Hold`] that stops it while it
    /// prepares the second stack; then `signal`. Returns the exit code and stderr.
    fn deploy_and_signal(m: &Moto, prefix: &str, signal: &str) -> (Option<i32>, String) {
        let hold = Hold::start(
            &m.endpoint,
            Box::leak(format!("{prefix}-App").into_boxed_str()),
        );
        let dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "signals::signal_child_entry",
                "--nocapture",
                "--test-threads=1",
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("STACKWRIGHT_SIGNAL_CHILD_DIR", dir.path())
            .env("STACKWRIGHT_SIGNAL_CHILD_PREFIX", prefix)
            .env("AWS_ENDPOINT_URL", &hold.endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_MAX_ATTEMPTS", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let held = hold.wait_holding(Duration::from_secs(60));
        if held {
            let sent = Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status()
                .unwrap();
            assert!(sent.success(), "kill {signal}");
        }
        // The report looks the second stack up: let its requests through.
        hold.release();
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let err = reader.join().unwrap();
        assert!(held, "the deploy never reached {prefix}-App:\n{err}");
        let status = status.unwrap_or_else(|| panic!("no exit within 60 s after {signal}:\n{err}"));
        (status.code(), err)
    }

    /// SIGTERM (a CI cancel) and Ctrl-C stop a deploy with the same report: what finished,
    /// where the stack in hand was left, what did not start.
    #[test]
    fn sigterm_and_ctrl_c_stop_a_deploy_with_a_report() {
        let Some(m) = moto("sigterm_and_ctrl_c_stop_a_deploy_with_a_report") else {
            return;
        };
        for (prefix, signal, code, what) in [
            ("Cli-Term", "-TERM", 143, "terminated (SIGTERM)"),
            ("Cli-Int", "-INT", 130, "interrupted (Ctrl-C)"),
        ] {
            let (exit, err) = deploy_and_signal(m, prefix, signal);
            assert_eq!(exit, Some(code), "{signal}:\n{err}");
            assert!(err.contains(&format!("\nerror: {what}\n")), "{err}");
            assert!(
                err.contains(&format!(
                    "  {prefix}-App was preparing a change set and is left not deployed; CloudFormation carries on"
                )),
                "{err}"
            );
            assert!(
                err.contains(&format!("  finished: {prefix}-Base\n")),
                "{err}"
            );
            let dir = tempfile::tempdir().unwrap();
            let (code, out, err) = cli(
                m,
                dir.path(),
                &["destroy", "--all", "--yes"],
                signalled_stacks(prefix),
            );
            assert_eq!(code, 0, "{out}\n{err}");
        }
    }
}

fn foreign_app(app: &App) -> Result<(), CoreError> {
    small_stack(app, "Cli-Foreign", "v")?;
    Ok(())
}

fn cloudformation(m: &deploy_support::Moto) -> aws_sdk_cloudformation::Client {
    aws_sdk_cloudformation::Client::new(block_on(aws(m)).config())
}

#[test]
fn a_stack_made_by_hand_is_not_taken_over_without_adopt() {
    let Some(m) = moto("a_stack_made_by_hand_is_not_taken_over_without_adopt") else {
        return;
    };
    // Another team's stack under a name the app uses: a queue and a bucket.
    let cfn = cloudformation(m);
    block_on(
        cfn.create_stack()
            .stack_name("Cli-Foreign")
            .template_body(
                r#"{"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}, "Bucket": {"Type": "AWS::S3::Bucket"}}}"#,
            )
            .tags(
                aws_sdk_cloudformation::types::Tag::builder()
                    .key("Owner")
                    .value("other-team")
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let resources = || {
        let mut ids: Vec<String> = block_on(
            cfn.describe_stack_resources()
                .stack_name("Cli-Foreign")
                .send(),
        )
        .unwrap()
        .stack_resources()
        .iter()
        .filter_map(|r| r.logical_resource_id().map(String::from))
        .collect();
        ids.sort();
        ids
    };
    let dir = tempfile::tempdir().unwrap();

    let (code, out, err) = cli(m, dir.path(), &["deploy", "--yes"], foreign_app);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("Cli-Foreign exists but was not deployed by stackwright (it has no stackwright:app tag); nothing was changed"),
        "{err}"
    );
    assert!(
        err.contains("deploy again with --adopt Cli-Foreign"),
        "{err}"
    );
    assert_eq!(
        resources(),
        ["Bucket", "Queue"],
        "its resources are untouched"
    );

    let (code, _, err) = cli(m, dir.path(), &["destroy", "--yes"], foreign_app);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nothing was deleted"), "{err}");
    assert_eq!(resources(), ["Bucket", "Queue"]);

    let (code, _, err) = cli(
        m,
        dir.path(),
        &["deploy", "--yes", "--adopt", "Nope"],
        foreign_app,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("--adopt names stack Nope, which is not being deployed"),
        "{err}"
    );

    // Adopted on purpose: the stack becomes the app's, tagged as such.
    let (code, out, err) = cli(
        m,
        dir.path(),
        &["deploy", "--yes", "--adopt", "Cli-Foreign"],
        foreign_app,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Cli-Foreign: updated"), "{out}");
    let described = block_on(cfn.describe_stacks().stack_name("Cli-Foreign").send()).unwrap();
    let tags: Vec<(Option<&str>, Option<&str>)> = described.stacks()[0]
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    assert!(
        tags.contains(&(Some("stackwright:app"), Some("app"))),
        "the app's tag, named after the program: {tags:?}"
    );
    let (code, out, err) = cli(m, dir.path(), &["deploy", "--yes"], foreign_app);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Cli-Foreign: no changes"), "{out}");
    let (code, out, err) = cli(m, dir.path(), &["destroy", "--yes"], foreign_app);
    assert_eq!(code, 0, "{out}\n{err}");
}

/// A base stack whose topic the consumer stack reads: an export and an import.
fn linked(app: &App) -> Result<(), CoreError> {
    let base = small_stack(app, "Cli-Link-Base", "b")?;
    let consumer = Stack::new(app, "Cli-Link-Consumer", env())?;
    let topic = Resource::new(&base, "Shared", sns::Topic::default())?;
    Resource::new(
        &consumer,
        "Uses",
        ssm::Parameter {
            name: Some("/Cli-Link-Consumer/uses".into()),
            ..ssm::Parameter::new(ssm::parameter::Type::String, topic.ref_())
        },
    )?;
    Ok(())
}

#[test]
fn deploy_names_missing_dependencies_and_destroy_keeps_what_deployed_stacks_need() {
    let Some(m) =
        moto("deploy_names_missing_dependencies_and_destroy_keeps_what_deployed_stacks_need")
    else {
        return;
    };
    let cfn = cloudformation(m);
    let live = |name: &str| {
        block_on(cfn.describe_stacks().stack_name(name).send())
            .ok()
            .and_then(|d| {
                d.stacks()
                    .first()
                    .and_then(|s| s.stack_status().map(|x| x.as_str().to_string()))
            })
    };
    let dir = tempfile::tempdir().unwrap();

    // The consumer alone: its dependency is named, and no empty stack is left behind.
    let (code, out, err) = cli(
        m,
        dir.path(),
        &["deploy", "Cli-Link-Consumer", "--yes"],
        linked,
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains(
            "Cli-Link-Consumer depends on Cli-Link-Base, which is not deployed; nothing was changed"
        ),
        "{err}"
    );
    assert!(
        err.contains("deploy Cli-Link-Base first, or deploy them together with Cli-Link-Consumer"),
        "{err}"
    );
    assert_eq!(
        live("Cli-Link-Consumer"),
        None,
        "no REVIEW_IN_PROGRESS stack"
    );

    let (code, out, err) = cli(m, dir.path(), &["deploy", "--all", "--yes"], linked);
    assert_eq!(code, 0, "{out}\n{err}");

    // The base alone: the deployed consumer still imports from it.
    let (code, out, err) = cli(
        m,
        dir.path(),
        &["destroy", "Cli-Link-Base", "--yes"],
        linked,
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("Cli-Link-Base is still needed: Cli-Link-Consumer depends on it and is deployed; nothing was deleted"),
        "{err}"
    );
    assert!(
        err.contains("destroy Cli-Link-Consumer first, or destroy them together"),
        "{err}"
    );
    assert_eq!(live("Cli-Link-Base").as_deref(), Some("CREATE_COMPLETE"));

    // A stack outside the app imports the base's export: ListImports finds it, even when
    // the whole app is destroyed.
    let export = "Cli-Link-Base:ExportRefShared";
    block_on(
        cfn.create_stack()
            .stack_name("Cli-Link-Outsider")
            .template_body(format!(
                r#"{{"Resources": {{"Reads": {{"Type": "AWS::SSM::Parameter", "Properties": {{"Name": "/outsider", "Type": "String", "Value": {{"Fn::ImportValue": "{export}"}}}}}}}}}}"#
            ))
            .send(),
    )
    .unwrap();
    let (code, out, err) = cli(m, dir.path(), &["destroy", "--all", "--yes"], linked);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("Cli-Link-Base is still needed: Cli-Link-Outsider depends on it and is deployed; nothing was deleted"),
        "{err}"
    );
    assert_eq!(
        live("Cli-Link-Consumer").as_deref(),
        Some("CREATE_COMPLETE"),
        "nothing was deleted"
    );

    block_on(cfn.delete_stack().stack_name("Cli-Link-Outsider").send()).unwrap();
    let (code, out, err) = cli(m, dir.path(), &["destroy", "--all", "--yes"], linked);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        position(&out, "Cli-Link-Consumer: deleted") < position(&out, "Cli-Link-Base: deleted"),
        "{out}"
    );
}

#[test]
fn no_execute_leaves_a_change_set_for_each_stack_dependants_too() {
    let Some(m) = moto("no_execute_leaves_a_change_set_for_each_stack_dependants_too") else {
        return;
    };
    let app = |app: &App| -> Result<(), CoreError> {
        let base = small_stack(app, "Cli-Review-Base", "b")?;
        let top = small_stack(app, "Cli-Review-Top", "t")?;
        top.add_dependency(&base);
        Ok(())
    };
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = cli(m, dir.path(), &["deploy", "--all", "--no-execute"], app);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        out.matches("left for review (--no-execute)").count(),
        2,
        "{out}"
    );
    let (code, out, err) = cli(m, dir.path(), &["deploy", "--all", "--yes"], app);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Cli-Review-Top: created"), "{out}");
    let (code, out, err) = cli(m, dir.path(), &["destroy", "--all", "--yes"], app);
    assert_eq!(code, 0, "{out}\n{err}");
}
