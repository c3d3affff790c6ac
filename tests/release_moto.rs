//! `release` end to end: the production example's staging stacks deployed to moto, then
//! released through the command line as `cargo run --example production -- release ...`
//! runs it, over the real SDK clients.
//!
//! One test, in order, because each release starts from the state the one before left:
//! a linear release that promotes the idle colour; a `deploy` after it that keeps the
//! release state; a second release rolled back because an alarm of the stack was set to
//! `ALARM` (CloudWatch `SetAlarmState`) during its bake. What moto cannot fake (ECS
//! service deployments, metric data) is covered over recorded responses and in the plan's
//! unit tests; `docs/DEPLOY.md` lists which is tested where.
#![cfg(feature = "aws")]

mod deploy_support;

#[path = "../examples/production.rs"]
mod production;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use deploy_support::{aws, block_on, cli, moto};

const RUNTIME: &str = "FlowViz-Staging-Runtime";

/// The runtime stack's parameter values.
fn parameters(m: &deploy_support::Moto) -> HashMap<String, String> {
    block_on(async {
        let cfn = aws_sdk_cloudformation::Client::new(aws(m).await.config());
        let out = cfn
            .describe_stacks()
            .stack_name(RUNTIME)
            .send()
            .await
            .unwrap();
        out.stacks()[0]
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.parameter_key().unwrap_or_default().to_string(),
                    p.parameter_value().unwrap_or_default().to_string(),
                )
            })
            .collect()
    })
}

/// The physical id of each of the runtime stack's resources.
fn resources(m: &deploy_support::Moto) -> HashMap<String, String> {
    block_on(async {
        let cfn = aws_sdk_cloudformation::Client::new(aws(m).await.config());
        let out = cfn
            .list_stack_resources()
            .stack_name(RUNTIME)
            .send()
            .await
            .unwrap();
        out.stack_resource_summaries()
            .iter()
            .map(|r| {
                (
                    r.logical_resource_id().unwrap_or_default().to_string(),
                    r.physical_resource_id().unwrap_or_default().to_string(),
                )
            })
            .collect()
    })
}

/// The HTTPS listener's weights, by the logical id of the target group.
fn weights(m: &deploy_support::Moto) -> HashMap<String, i32> {
    let ids = resources(m);
    let by_arn: HashMap<&String, &String> = ids.iter().map(|(k, v)| (v, k)).collect();
    block_on(async {
        let elbv2 = aws_sdk_elasticloadbalancingv2::Client::new(aws(m).await.config());
        let out = elbv2
            .describe_listeners()
            .listener_arns(&ids["EdgeHttpsListener"])
            .send()
            .await
            .unwrap();
        let action = &out.listeners()[0].default_actions()[0];
        action
            .forward_config()
            .expect("a weighted forward")
            .target_groups()
            .iter()
            .map(|t| {
                let arn = t.target_group_arn().unwrap_or_default().to_string();
                let id = by_arn.get(&arn).map_or(arn.clone(), |id| id.to_string());
                (id, t.weight().unwrap_or_default())
            })
            .collect()
    })
}

fn release_parameters(p: &HashMap<String, String>) -> Vec<(&str, &str)> {
    [
        "ReleaseLive",
        "ReleaseBlueWeight",
        "ReleaseGreenWeight",
        "ReleaseBlueImageTag",
        "ReleaseGreenImageTag",
        "ReleaseBlueCapacity",
        "ReleaseGreenCapacity",
        "ReleaseState",
    ]
    .into_iter()
    .map(|k| (k, p.get(k).map_or("(none)", String::as_str)))
    .collect()
}

#[test]
fn a_release_promotes_a_deploy_keeps_it_and_an_alarm_rolls_the_next_back() {
    let Some(m) = moto("a_release_promotes_a_deploy_keeps_it_and_an_alarm_rolls_the_next_back")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| cli(m, dir.path(), args, production::app);
    let (code, out, err) = run(&["deploy", "FlowViz-Shared", "FlowViz-Staging-*", "--yes"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let before = parameters(m);
    let live_tag = before["ReleaseBlueImageTag"].clone();
    assert_eq!(
        release_parameters(&before),
        [
            ("ReleaseLive", "Blue"),
            ("ReleaseBlueWeight", "100"),
            ("ReleaseGreenWeight", "0"),
            ("ReleaseBlueImageTag", live_tag.as_str()),
            ("ReleaseGreenImageTag", live_tag.as_str()),
            ("ReleaseBlueCapacity", "Serving"),
            ("ReleaseGreenCapacity", "ScaledToZero"),
            ("ReleaseState", ""),
        ],
        "a brand-new stack holds code's state"
    );
    assert_eq!(
        weights(m),
        HashMap::from([
            ("EdgeBlueTargetGroup".to_string(), 100),
            ("EdgeGreenTargetGroup".to_string(), 0)
        ])
    );

    // A release that passes its gates: green gets the tag, is healthy, takes 50 % then
    // 100 % of the traffic, and is promoted; blue is scaled to zero.
    let (code, out, err) = run(&[
        "release",
        RUNTIME,
        "--image-tag",
        "1.5.1",
        "--strategy",
        "linear",
        "--steps",
        "50,100",
        "--bake",
        "1s",
        "--watch",
        "1s",
        "--poll",
        "200ms",
        "--yes",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    for line in [
        "traffic moves from Blue",
        "linear: 50%, 100%",
        "health: 1 of 1 target(s) healthy, 1 wanted",
        "Blue 50% | Green 50%  bake",
        "Blue 0% | Green 100%  watch",
        "released: 1.5.1 serves all traffic on Green, Blue scaled to zero",
    ] {
        assert!(out.contains(line), "{line:?} in:\n{out}");
    }
    let after = parameters(m);
    assert_eq!(
        release_parameters(&after),
        [
            ("ReleaseLive", "Green"),
            ("ReleaseBlueWeight", "0"),
            ("ReleaseGreenWeight", "100"),
            ("ReleaseBlueImageTag", live_tag.as_str()),
            ("ReleaseGreenImageTag", "1.5.1"),
            ("ReleaseBlueCapacity", "ScaledToZero"),
            ("ReleaseGreenCapacity", "Serving"),
            ("ReleaseState", ""),
        ]
    );
    assert_eq!(
        after["AppAmiId"], before["AppAmiId"],
        "a release changes release parameters only"
    );
    assert_eq!(
        weights(m),
        HashMap::from([
            ("EdgeGreenTargetGroup".to_string(), 100),
            ("EdgeBlueTargetGroup".to_string(), 0)
        ]),
        "the HTTPS listener's full weight is on green"
    );

    let (code, out, err) = run(&["release", RUNTIME, "--status"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains(&format!("Blue  idle   0%  {live_tag}  scaled to zero"))
            && out.contains("Green live 100%  1.5.1  serving"),
        "{out}"
    );
    assert!(out.contains("no release unfinished"), "{out}");

    // Nothing to roll back once promoted; the hint names the tag before.
    let (code, out, err) = run(&["release", RUNTIME, "--rollback", "--yes"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("no release is unfinished; all traffic is on Green (1.5.1)")
            && err.contains(&format!("--image-tag {live_tag}")),
        "{err}"
    );

    // Deploying the unchanged app keeps the deployed release state: code's values (blue
    // live) are those of a brand-new stack, never a reset.
    let (code, out, err) = run(&["deploy", RUNTIME, "--yes"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains(&format!("{RUNTIME}: no changes")),
        "every release parameter kept its value, so nothing changed:\n{out}"
    );
    assert_eq!(
        release_parameters(&parameters(m)),
        release_parameters(&after)
    );
    assert_eq!(weights(m)["EdgeGreenTargetGroup"], 100);

    // The next release goes to blue. While it bakes at 50 %, blue's 5xx-rate alarm is
    // forced to ALARM: the release rolls back at once and says which gate failed.
    let alarm = resources(m)["AlarmsEdgeBlue5xxRate"].clone();
    let forcer = {
        let alarm = alarm.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(300);
            while Instant::now() < deadline {
                if parameters(m)["ReleaseState"] == "Releasing 1.5.2 on Blue: 50% on Blue" {
                    block_on(async {
                        aws_sdk_cloudwatch::Client::new(aws(m).await.config())
                            .set_alarm_state()
                            .alarm_name(&alarm)
                            .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
                            .state_reason("forced by the release test")
                            .send()
                            .await
                            .unwrap()
                    });
                    return true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            false
        })
    };
    let (code, out, err) = run(&[
        "release",
        RUNTIME,
        "--image-tag",
        "1.5.2",
        "--strategy",
        "linear",
        "--steps",
        "50,100",
        "--bake",
        "60s",
        "--watch",
        "1s",
        "--poll",
        "200ms",
        "--yes",
    ]);
    assert!(forcer.join().unwrap(), "the release reached its 50 % bake");
    assert_eq!(code, 3, "rolled back:\n{out}\n{err}");
    assert!(
        err.contains(&format!("{RUNTIME}: rolled back after "))
            && err.contains(&format!(
                "alarm {alarm} was ALARM (threshold: not ALARM): forced by the release test"
            )),
        "{err}"
    );
    assert!(out.contains("Green 50% | Blue 50%  bake"), "{out}");
    assert_eq!(
        release_parameters(&parameters(m)),
        [
            ("ReleaseLive", "Green"),
            ("ReleaseBlueWeight", "0"),
            ("ReleaseGreenWeight", "100"),
            ("ReleaseBlueImageTag", "1.5.2"),
            ("ReleaseGreenImageTag", "1.5.1"),
            ("ReleaseBlueCapacity", "ScaledToZero"),
            ("ReleaseGreenCapacity", "Serving"),
            ("ReleaseState", ""),
        ],
        "all traffic back on green, blue scaled to zero, the marker cleared"
    );
    assert_eq!(weights(m)["EdgeGreenTargetGroup"], 100);

    // With the alarm still firing, the next release is refused before anything changes.
    let (code, _, err) = run(&["release", RUNTIME, "--image-tag", "1.5.3", "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "alarm {alarm} is in ALARM before the release; nothing was changed"
        )),
        "{err}"
    );
}
