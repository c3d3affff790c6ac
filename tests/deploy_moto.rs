//! The deploy library end to end: the real SDK client over HTTP against moto.
//!
//! Each test uses stacks of its own, so they share one moto server and run in parallel.
//! What moto cannot fake (a rollback, outputs of a stack created through a change set, a
//! busy stack, termination protection) is covered over recorded responses in
//! `crates/synth/src/deploy/replay.rs`; `docs/DEPLOY.md` lists which is tested where.
#![cfg(feature = "aws")]

mod deploy_support;

use std::collections::BTreeSet;
use std::time::Duration;

use deploy_support::{aws, env, moto, query, small_stack, tagged};
use stackwright::core::{App, Expr, Json, Output, Resource, Stack, Value};
use stackwright::deploy::{
    Activity, AlarmKind, AlarmState, ChangeKind, DeployError, DeployOptions, DeployOutcome,
    Deployer, DestroyOutcome, Impact, StackStatus, StackTarget, TargetGroupMetrics, TargetState,
};
use stackwright::l1::{autoscaling, cloudwatch, ec2, elasticloadbalancingv2, rds, sns, ssm};
use stackwright::synth::CloudAssembly;
use stackwright::synth::synthesize;

/// Synthesizes an app into a fresh assembly directory.
fn assembly(build: impl FnOnce(&App)) -> (tempfile::TempDir, CloudAssembly) {
    let app = App::new();
    build(&app);
    let dir = tempfile::tempdir().unwrap();
    let assembly = synthesize(&app).unwrap().write(dir.path()).unwrap();
    (dir, assembly)
}

fn target(assembly: &CloudAssembly, name: &str) -> StackTarget {
    StackTarget::from_assembly(assembly, name).unwrap()
}

async fn deployer(m: &deploy_support::Moto) -> Deployer {
    Deployer::new(aws(m).await).poll_interval(Duration::from_millis(50))
}

#[tokio::test]
async fn create_update_no_change_and_destroy() {
    let Some(m) = moto("create_update_no_change_and_destroy") else {
        return;
    };
    let d = deployer(m).await;
    let name = "Lib-Lifecycle";

    let (_dir, v1) = assembly(|app| {
        small_stack(app, name, "one").unwrap();
    });
    let t1 = target(&v1, name);
    let diff = d.diff(&t1).await.unwrap();
    assert!(diff.diff.new_stack && diff.deployed.is_none());
    assert_eq!(diff.diff.counts().added, 3);

    let mut activity = Vec::new();
    let created = d
        .deploy(&t1, &DeployOptions::default(), &mut |a| activity.push(a))
        .await
        .unwrap();
    assert_eq!(created.outcome, DeployOutcome::Created);
    assert_eq!(created.status, Some(StackStatus::CreateComplete));
    assert!(
        activity
            .iter()
            .any(|a| matches!(a, Activity::Event { event, .. }
            if event.status.as_str() == "CREATE_COMPLETE" && event.is_stack_event())),
        "the stack's events arrive: {activity:?}"
    );
    assert_eq!(
        d.status(&t1).await.unwrap().unwrap().status,
        StackStatus::CreateComplete
    );

    // The same template again: CloudFormation's "no changes", and the change set is gone.
    let same = d
        .deploy(&t1, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(same.outcome, DeployOutcome::NoChanges);
    let cfn = aws_sdk_cloudformation::Client::new(aws(m).await.config());
    let left = cfn
        .list_change_sets()
        .stack_name(name)
        .send()
        .await
        .unwrap();
    assert!(
        left.summaries()
            .iter()
            .all(|s| s.status().map(|s| s.as_str()) != Some("FAILED")),
        "the empty change set was deleted: {:?}",
        left.summaries()
    );

    // A changed value and a changed create-only name: diffed property by property.
    let (_dir2, v2) = assembly(|app| {
        let stack = small_stack(app, name, "two").unwrap();
        Resource::new(
            &stack,
            "Extra",
            ssm::Parameter {
                name: Some(format!("/{name}/extra").into()),
                ..ssm::Parameter::new(ssm::parameter::Type::String, "x")
            },
        )
        .unwrap();
    });
    let t2 = target(&v2, name);
    let diff = d.diff(&t2).await.unwrap().diff;
    assert!(!diff.new_stack);
    let setting = diff
        .resources
        .iter()
        .find(|r| r.logical_id == "Setting")
        .unwrap();
    assert_eq!(setting.kind, ChangeKind::Modified);
    assert_eq!(setting.path.as_deref(), Some("Lib-Lifecycle/Setting"));
    assert_eq!(setting.properties[0].path, "Value");
    assert_eq!(setting.impact, Impact::InPlace);
    assert_eq!(diff.counts().added, 1);

    let updated = d
        .deploy(&t2, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(updated.outcome, DeployOutcome::Updated);
    assert!(d.diff(&t2).await.unwrap().diff.is_empty());

    let destroyed = d.destroy(&t2, None, &mut |_| {}).await.unwrap();
    assert_eq!(destroyed.outcome, DestroyOutcome::Deleted);
    assert!(d.status(&t2).await.unwrap().is_none());
    let again = d.destroy(&t2, None, &mut |_| {}).await.unwrap();
    assert_eq!(again.outcome, DestroyOutcome::NotDeployed);
}

#[tokio::test]
async fn a_failing_create_is_reported_and_the_next_deploy_starts_over() {
    let Some(m) = moto("a_failing_create_is_reported_and_the_next_deploy_starts_over") else {
        return;
    };
    let d = deployer(m).await;
    let name = "Lib-Failing";
    // moto cannot create an SSM parameter without a name (real CloudFormation makes one
    // up): the execution fails and moto leaves the stack in REVIEW_IN_PROGRESS.
    let (_dir, broken) = assembly(|app| {
        let stack = Stack::new(app, name, env()).unwrap();
        Resource::new(
            &stack,
            "Nameless",
            ssm::Parameter::new(ssm::parameter::Type::String, "v"),
        )
        .unwrap();
    });
    let err = d
        .deploy(
            &target(&broken, name),
            &DeployOptions::default(),
            &mut |_| {},
        )
        .await
        .unwrap_err();
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

    let (_dir2, fixed) = assembly(|app| {
        small_stack(app, name, "v").unwrap();
    });
    let mut activity = Vec::new();
    let created = d
        .deploy(&target(&fixed, name), &DeployOptions::default(), &mut |a| {
            activity.push(a)
        })
        .await
        .unwrap();
    assert_eq!(created.outcome, DeployOutcome::Created);
    assert!(
        matches!(
            &activity[0],
            Activity::Recreating {
                status: StackStatus::ReviewInProgress,
                ..
            }
        ),
        "{activity:?}"
    );
    d.destroy(&target(&fixed, name), None, &mut |_| {})
        .await
        .unwrap();
}

/// A stack whose template is over 51,200 bytes: SSM parameters with 4,000-character values.
fn large_stack(app: &App, name: &str) {
    let stack = Stack::new(app, name, env()).unwrap();
    for i in 0..14 {
        Resource::new(
            &stack,
            &format!("Blob{i}"),
            ssm::Parameter {
                name: Some(format!("/{name}/blob{i}").into()),
                ..ssm::Parameter::new(ssm::parameter::Type::String, "x".repeat(4000))
            },
        )
        .unwrap();
    }
}

#[tokio::test]
async fn a_template_over_the_inline_limit_goes_through_s3() {
    let Some(m) = moto("a_template_over_the_inline_limit_goes_through_s3") else {
        return;
    };
    let d = deployer(m).await;
    let name = "Lib-Large";
    let (_dir, a) = assembly(|app| large_stack(app, name));
    let t = target(&a, name);
    assert!(t.body.len() > 51_200, "{} bytes", t.body.len());

    let err = d
        .deploy(&t, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, DeployError::TemplateTooLarge { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("--bucket"), "{err}");

    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(aws(m).await.config())
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("stackwright-large-templates")
        .send()
        .await
        .unwrap();
    let options = DeployOptions {
        bucket: Some("stackwright-large-templates".into()),
        ..DeployOptions::default()
    };
    let mut uploaded = None;
    let created = d
        .deploy(&t, &options, &mut |a| {
            if let Activity::Uploaded { url, .. } = a {
                uploaded = Some(url);
            }
        })
        .await
        .unwrap();
    assert_eq!(created.outcome, DeployOutcome::Created);
    let url = uploaded.expect("the template was uploaded");
    assert!(
        url.starts_with(
            "https://stackwright-large-templates.s3.us-east-1.amazonaws.com/stackwright/Lib-Large/"
        ),
        "{url}"
    );
    let listed = s3
        .list_objects_v2()
        .bucket("stackwright-large-templates")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 1);
    // Deployed from S3, diffed against what CloudFormation kept: nothing differs.
    assert!(d.diff(&t).await.unwrap().diff.is_empty());
    d.destroy(&t, None, &mut |_| {}).await.unwrap();
}

#[tokio::test]
async fn stacks_deploy_in_dependency_order_and_are_destroyed_in_reverse() {
    let Some(m) = moto("stacks_deploy_in_dependency_order_and_are_destroyed_in_reverse") else {
        return;
    };
    let d = deployer(m).await;
    // Declared consumer first: the order comes from the dependency, not the declaration.
    let (_dir, a) = assembly(|app| {
        let consumer = small_stack(app, "Lib-Order-Consumer", "c").unwrap();
        let base = small_stack(app, "Lib-Order-Base", "b").unwrap();
        consumer.add_dependency(&base);
    });
    let mut order = Vec::new();
    let results = d
        .deploy_assembly(&a, &[], &|_| DeployOptions::default(), &mut |a| {
            if let Activity::Event { event, .. } = a
                && event.is_stack_event()
                && event.status.as_str() == "CREATE_COMPLETE"
            {
                order.push(event.stack_name);
            }
        })
        .await
        .unwrap();
    let names: Vec<&str> = results.iter().map(|r| r.stack.as_str()).collect();
    assert_eq!(names, ["Lib-Order-Base", "Lib-Order-Consumer"]);
    assert_eq!(order, ["Lib-Order-Base", "Lib-Order-Consumer"]);

    let mut deleted = Vec::new();
    let results = d
        .destroy_assembly(&a, &[], None, &mut |a| {
            if let Activity::Event { event, .. } = a
                && event.is_stack_event()
                && event.status.as_str() == "DELETE_COMPLETE"
            {
                deleted.push(event.stack_name);
            }
        })
        .await
        .unwrap();
    let names: Vec<&str> = results.iter().map(|r| r.stack.as_str()).collect();
    assert_eq!(names, ["Lib-Order-Consumer", "Lib-Order-Base"]);
    assert_eq!(deleted, ["Lib-Order-Consumer", "Lib-Order-Base"]);
}

#[tokio::test]
async fn a_change_set_preview_is_deleted_again() {
    let Some(m) = moto("a_change_set_preview_is_deleted_again") else {
        return;
    };
    let d = deployer(m).await;
    let name = "Lib-Preview";
    let (_dir, v1) = assembly(|app| {
        small_stack(app, name, "one").unwrap();
    });
    let t1 = target(&v1, name);
    use stackwright::deploy::ChangeSetPreview;
    let new = d
        .preview_change_set(&t1, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert!(matches!(new, ChangeSetPreview::NewStack(_)), "{new:?}");
    assert!(
        d.status(&t1).await.unwrap().is_none(),
        "no empty stack left behind"
    );
    d.deploy(&t1, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    let none = d
        .preview_change_set(&t1, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert!(matches!(none, ChangeSetPreview::NoChanges), "{none:?}");

    let (_dir2, v2) = assembly(|app| {
        small_stack(app, name, "two").unwrap();
    });
    let changes = d
        .preview_change_set(&target(&v2, name), &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    let ChangeSetPreview::Changes(cs) = changes else {
        panic!("{changes:?}")
    };
    assert!(
        cs.changes.iter().any(|c| c.logical_id == "Setting"),
        "{cs:?}"
    );
    let cfn = aws_sdk_cloudformation::Client::new(aws(m).await.config());
    let left = cfn
        .list_change_sets()
        .stack_name(name)
        .send()
        .await
        .unwrap();
    assert!(
        left.summaries()
            .iter()
            .all(|s| s.change_set_name() != Some("stackwright-diff")),
        "{:?}",
        left.summaries()
    );
    d.destroy(&t1, None, &mut |_| {}).await.unwrap();
}

#[tokio::test]
async fn a_stack_in_review_with_someone_elses_change_set_gets_no_twin() {
    // A CREATE change set someone left for review keeps the stack in REVIEW_IN_PROGRESS.
    // moto used to make a second stack of the same name for deploy's CREATE change set:
    // deploy said "created" while the name (and `list`) still showed REVIEW_IN_PROGRESS.
    let Some(m) = moto("a_stack_in_review_with_someone_elses_change_set_gets_no_twin") else {
        return;
    };
    let d = deployer(m).await;
    let name = "Lib-Review-Twin";
    let cfn = aws_sdk_cloudformation::Client::new(aws(m).await.config());
    cfn.create_change_set()
        .stack_name(name)
        .change_set_name("someone-elses")
        .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Create)
        .template_body(r#"{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}"#)
        .send()
        .await
        .unwrap();
    let (_dir, a) = assembly(|app| {
        small_stack(app, name, "v").unwrap();
    });
    let t = target(&a, name);
    let created = d
        .deploy(&t, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(created.outcome, DeployOutcome::Created);
    let by_name = d.status(&t).await.unwrap().unwrap();
    assert_eq!(by_name.status, StackStatus::CreateComplete);
    assert_eq!(
        by_name.id, created.stack_id,
        "the name leads to the stack deployed"
    );
    let listed = cfn.list_stacks().send().await.unwrap();
    let live: Vec<&str> = listed
        .stack_summaries()
        .iter()
        .filter(|s| s.stack_name() == Some(name))
        .filter_map(|s| s.stack_status().map(|x| x.as_str()))
        .filter(|s| *s != "DELETE_COMPLETE")
        .collect();
    assert_eq!(live, ["CREATE_COMPLETE"], "one stack of that name");
    d.destroy(&t, None, &mut |_| {}).await.unwrap();
}

/// A stack of two alarms on a topic: one named, on one metric; one unnamed (CloudFormation
/// names it), on metric math. `threshold` is the named one's threshold.
fn alarm_stack(app: &App, name: &str, threshold: f64) {
    use cloudwatch::alarm::{
        ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, Statistic,
        TreatMissingData,
    };
    let stack = Stack::new(app, name, env()).unwrap();
    let topic = Resource::new(&stack, "Alerts", sns::Topic::default()).unwrap();
    let actions: Value<Vec<String>> = vec![topic.ref_()].into();
    let errors = Resource::new(
        &stack,
        "Errors",
        cloudwatch::Alarm {
            alarm_name: Some(format!("{name}-errors").into()),
            alarm_description: Some("jobs failing".into()),
            namespace: Some("Lib/Jobs".into()),
            metric_name: Some("Errors".into()),
            dimensions: Some(vec![Dimension::new("Queue", "jobs")]),
            statistic: Some(Statistic::Sum.into()),
            period: Some(60.into()),
            evaluation_periods: Some(3.into()),
            datapoints_to_alarm: Some(2.into()),
            threshold: Some(threshold.into()),
            comparison_operator: Some(ComparisonOperator::GreaterThanThreshold.into()),
            treat_missing_data: Some(TreatMissingData::NotBreaching.into()),
            alarm_actions: Some(actions.clone()),
            ok_actions: Some(actions),
            ..Default::default()
        },
    )
    .unwrap();
    let metric = |id: &str, metric_name: &str| MetricDataQuery {
        metric_stat: Some(MetricStat::new(
            Metric {
                metric_name: Some(metric_name.into()),
                namespace: Some("Lib/Jobs".into()),
                dimensions: None,
            },
            60,
            "Sum",
        )),
        return_data: Some(false.into()),
        ..MetricDataQuery::new(id)
    };
    let rate = Resource::new(
        &stack,
        "FailureRate",
        cloudwatch::Alarm {
            alarm_description: Some("more than 5 % of jobs failing".into()),
            metrics: Some(vec![
                metric("failed", "Errors"),
                metric("all", "Jobs"),
                MetricDataQuery {
                    expression: Some("100 * failed / all".into()),
                    label: Some("failure rate".into()),
                    return_data: Some(true.into()),
                    ..MetricDataQuery::new("rate")
                },
            ]),
            evaluation_periods: Some(5.into()),
            threshold: Some(5.0.into()),
            comparison_operator: Some(ComparisonOperator::GreaterThanThreshold.into()),
            ..Default::default()
        },
    )
    .unwrap();
    Output::new(&stack, "ErrorsAlarm", errors.ref_()).unwrap();
    Output::new(&stack, "RateAlarm", rate.ref_()).unwrap();
    Output::new(&stack, "RateAlarmArn", rate.attr_arn()).unwrap();
}

/// moto's CloudWatch answer to `params` over the query protocol: what the template set,
/// field by field, checked apart from the SDK client (which speaks CBOR, through the
/// launcher's `cloudwatch-rpc-v2-cbor`).
fn cloudwatch_query(m: &deploy_support::Moto, params: &[(&str, &str)]) -> String {
    query(m, "monitoring", "2010-08-01", params)
}

/// The alarms named `<prefix>...`, each as the XML moto describes it with.
fn alarms(m: &deploy_support::Moto, prefix: &str) -> Vec<String> {
    let answer = cloudwatch_query(
        m,
        &[("Action", "DescribeAlarms"), ("AlarmNamePrefix", prefix)],
    );
    // Each alarm is a `<member>` starting with its name (its lists have members too).
    field(&answer, "MetricAlarms")
        .split("<member><AlarmName>")
        .skip(1)
        .map(|alarm| format!("<AlarmName>{alarm}"))
        .collect()
}

fn field(xml: &str, tag: &str) -> String {
    tagged(xml, tag).into_iter().next().unwrap_or_default()
}

#[tokio::test]
async fn alarms_are_created_updated_and_deleted_with_their_stack() {
    let Some(m) = moto("alarms_are_created_updated_and_deleted_with_their_stack") else {
        return;
    };
    let d = deployer(m).await;
    let name = "Lib-Alarms";
    let (_dir, v1) = assembly(|app| alarm_stack(app, name, 10.0));
    let t1 = target(&v1, name);
    let created = d
        .deploy(&t1, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(created.outcome, DeployOutcome::Created);

    // `Ref` is the alarm's name: the template's, or CloudFormation's `<stack>-<id>-<suffix>`.
    let errors = &created.outputs["ErrorsAlarm"];
    assert_eq!(errors, "Lib-Alarms-errors");
    let rate = &created.outputs["RateAlarm"];
    assert!(rate.starts_with("Lib-Alarms-FailureRate-"), "{rate}");
    let listed = alarms(m, name);
    assert_eq!(listed.len(), 2, "{listed:?}");
    let by_name = |alarm: &str| {
        listed
            .iter()
            .find(|x| field(x, "AlarmName") == alarm)
            .unwrap_or_else(|| panic!("{alarm} in {listed:?}"))
            .clone()
    };
    let one = by_name(errors);
    assert_eq!(field(&one, "AlarmDescription"), "jobs failing");
    assert_eq!(field(&one, "Namespace"), "Lib/Jobs");
    assert_eq!(field(&one, "MetricName"), "Errors");
    assert_eq!(field(&one, "Statistic"), "Sum");
    assert_eq!(field(&one, "Period"), "60");
    assert_eq!(field(&one, "EvaluationPeriods"), "3");
    assert_eq!(field(&one, "DatapointsToAlarm"), "2");
    assert_eq!(field(&one, "Threshold"), "10.0");
    assert_eq!(field(&one, "ComparisonOperator"), "GreaterThanThreshold");
    assert_eq!(field(&one, "TreatMissingData"), "notBreaching");
    assert_eq!(tagged(&one, "Name"), ["Queue"]);
    assert_eq!(tagged(&one, "Value"), ["jobs"]);
    let topic = field(&field(&one, "AlarmActions"), "member");
    assert!(topic.starts_with("arn:aws:sns:us-east-1:"), "{one}");
    assert_eq!(field(&field(&one, "OKActions"), "member"), topic);
    let math = by_name(rate);
    assert_eq!(field(&math, "AlarmArn"), created.outputs["RateAlarmArn"]);
    assert_eq!(tagged(&math, "Id"), ["failed", "all", "rate"], "{math}");
    assert_eq!(field(&math, "Expression"), "100 * failed / all");
    assert_eq!(field(&math, "Threshold"), "5.0");

    // SetAlarmState works on a deployed alarm, and an update keeps its name and state.
    cloudwatch_query(
        m,
        &[
            ("Action", "SetAlarmState"),
            ("AlarmName", errors),
            ("StateValue", "ALARM"),
            ("StateReason", "set by the test"),
        ],
    );
    assert_eq!(field(&by_name_in(m, name, errors), "StateValue"), "ALARM");
    let (_dir2, v2) = assembly(|app| alarm_stack(app, name, 20.0));
    let t2 = target(&v2, name);
    let updated = d
        .deploy(&t2, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(updated.outcome, DeployOutcome::Updated);
    assert_eq!(
        updated.outputs["RateAlarm"], *rate,
        "the unnamed alarm keeps its name"
    );
    let after = alarms(m, name);
    assert_eq!(after.len(), 2, "{after:?}");
    let one = by_name_in(m, name, errors);
    assert_eq!(field(&one, "Threshold"), "20.0");
    assert_eq!(field(&one, "StateValue"), "ALARM");
    assert_eq!(field(&one, "StateReason"), "set by the test");

    let destroyed = d.destroy(&t2, None, &mut |_| {}).await.unwrap();
    assert_eq!(destroyed.outcome, DestroyOutcome::Deleted);
    assert_eq!(alarms(m, name), Vec::<String>::new());
}

fn by_name_in(m: &deploy_support::Moto, prefix: &str, alarm: &str) -> String {
    alarms(m, prefix)
        .into_iter()
        .find(|x| field(x, "AlarmName") == alarm)
        .unwrap_or_else(|| panic!("{alarm} is not listed"))
}

/// A VPC with a subnet, a target group, and an Auto Scaling group of `size` instances
/// registered with it through `TargetGroupARNs`.
fn fleet_stack(app: &App, name: &str, size: u32) {
    let stack = Stack::new(app, name, env()).unwrap();
    let vpc = Resource::new(
        &stack,
        "Network",
        ec2::Vpc {
            cidr_block: Some("10.42.0.0/16".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let subnet = Resource::new(
        &stack,
        "Subnet",
        ec2::Subnet {
            cidr_block: Some("10.42.1.0/24".into()),
            availability_zone: Some("us-east-1a".into()),
            ..ec2::Subnet::new(vpc.ref_())
        },
    )
    .unwrap();
    let group = Resource::new(
        &stack,
        "Targets",
        elasticloadbalancingv2::TargetGroup {
            port: Some(8080.into()),
            protocol: Some(elasticloadbalancingv2::target_group::Protocol::Http.into()),
            target_type: Some(elasticloadbalancingv2::target_group::TargetType::Instance.into()),
            vpc_id: Some(vpc.ref_()),
            ..Default::default()
        },
    )
    .unwrap();
    let template = Resource::new(
        &stack,
        "LaunchTemplate",
        ec2::LaunchTemplate::new(ec2::launch_template::LaunchTemplateData {
            image_id: Some("ami-12c6146b".into()),
            instance_type: Some("t3.micro".into()),
            ..Default::default()
        }),
    )
    .unwrap();
    let size = size.to_string();
    let fleet = Resource::new(
        &stack,
        "Fleet",
        autoscaling::AutoScalingGroup {
            desired_capacity: Some(size.as_str().into()),
            launch_template: Some(
                autoscaling::auto_scaling_group::LaunchTemplateSpecification {
                    launch_template_id: Some(template.ref_()),
                    ..autoscaling::auto_scaling_group::LaunchTemplateSpecification::new(
                        template.attr_latest_version_number(),
                    )
                },
            ),
            target_group_arns: Some(vec![group.ref_()].into()),
            vpc_zone_identifier: Some(vec![subnet.ref_()].into()),
            ..autoscaling::AutoScalingGroup::new(size.as_str(), size.as_str())
        },
    )
    .unwrap();
    Output::new(&stack, "TargetGroup", group.ref_()).unwrap();
    Output::new(&stack, "FleetName", fleet.ref_()).unwrap();
}

/// The instances moto's Auto Scaling group `name` has.
fn group_instances(m: &deploy_support::Moto, name: &str) -> BTreeSet<String> {
    let answer = query(
        m,
        "autoscaling",
        "2011-01-01",
        &[
            ("Action", "DescribeAutoScalingGroups"),
            ("AutoScalingGroupNames.member.1", name),
        ],
    );
    tagged(&answer, "InstanceId").into_iter().collect()
}

/// What `DescribeTargetHealth` says of every target of `group`: id and state.
async fn target_health(m: &deploy_support::Moto, group: &str) -> Vec<(String, String)> {
    let elbv2 = aws_sdk_elasticloadbalancingv2::Client::new(aws(m).await.config());
    let health = elbv2
        .describe_target_health()
        .target_group_arn(group)
        .send()
        .await
        .unwrap();
    health
        .target_health_descriptions()
        .iter()
        .map(|t| {
            let id = t.target().and_then(|t| t.id()).unwrap_or_default();
            let state = t.target_health().and_then(|h| h.state());
            (
                id.to_string(),
                state.map(|s| s.as_str()).unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn target_health_lists_the_auto_scaling_groups_instances_as_they_change() {
    let Some(m) = moto("target_health_lists_the_auto_scaling_groups_instances_as_they_change")
    else {
        return;
    };
    let d = deployer(m).await;
    let name = "Lib-Fleet";
    let (_dir, v1) = assembly(|app| fleet_stack(app, name, 2));
    let t1 = target(&v1, name);
    let created = d
        .deploy(&t1, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    let group = created.outputs["TargetGroup"].clone();
    let fleet = group_instances(m, &created.outputs["FleetName"]);
    assert_eq!(fleet.len(), 2, "{fleet:?}");
    let health = target_health(m, &group).await;
    assert_eq!(
        health
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<BTreeSet<_>>(),
        fleet,
        "the group's instances are registered: {health:?}"
    );
    assert!(
        health.iter().all(|(_, state)| state == "healthy"),
        "{health:?}"
    );

    // Scaled to one by a stack update (moto replaces the group): the instances that went
    // are no longer targets.
    let (_dir2, v2) = assembly(|app| fleet_stack(app, name, 1));
    let t2 = target(&v2, name);
    let updated = d
        .deploy(&t2, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(updated.outcome, DeployOutcome::Updated);
    let fleet = group_instances(m, &updated.outputs["FleetName"]);
    assert_eq!(fleet.len(), 1, "{fleet:?}");
    let health = target_health(m, &group).await;
    assert_eq!(
        health,
        fleet
            .iter()
            .map(|id| (id.clone(), "healthy".to_string()))
            .collect::<Vec<_>>(),
        "only the group's instance is a target"
    );

    let destroyed = d.destroy(&t2, None, &mut |_| {}).await.unwrap();
    assert_eq!(destroyed.outcome, DestroyOutcome::Deleted);
}

/// An Aurora cluster with a parameter group of its own and one instance, its writer.
/// `protected` is its deletion protection, `days` its backup retention, `parameters` the
/// group's.
fn aurora_stack(app: &App, name: &str, protected: bool, days: i64, parameters: &[(&str, &str)]) {
    let stack = Stack::new(app, name, env()).unwrap();
    let parameters: Value<Json> = Value::from_expr(Expr::Object(
        parameters
            .iter()
            .map(|(k, v)| (k.to_string(), Expr::str(*v)))
            .collect(),
    ));
    let group = Resource::new(
        &stack,
        "Parameters",
        rds::DbClusterParameterGroup::new("the cluster's", "aurora-postgresql17", parameters),
    )
    .unwrap();
    let cluster = Resource::new(
        &stack,
        "Cluster",
        rds::DbCluster {
            engine: Some("aurora-postgresql".into()),
            engine_version: Some("17.6".into()),
            master_username: Some("app".into()),
            manage_master_user_password: Some(true.into()),
            db_cluster_parameter_group_name: Some(group.ref_()),
            backup_retention_period: Some(days.into()),
            deletion_protection: Some(protected.into()),
            ..Default::default()
        },
    )
    .unwrap();
    Resource::new(
        &stack,
        "Writer",
        rds::DbInstance {
            db_cluster_identifier: Some(cluster.ref_()),
            db_instance_class: Some("db.r6g.large".into()),
            engine: Some("aurora-postgresql".into()),
            promotion_tier: Some(0.into()),
            ..Default::default()
        },
    )
    .unwrap();
    Output::new(&stack, "ClusterId", cluster.ref_()).unwrap();
    Output::new(&stack, "Endpoint", cluster.attr_endpoint_address()).unwrap();
}

/// moto's RDS description of cluster `id`.
fn cluster(m: &deploy_support::Moto, id: &str) -> String {
    query(
        m,
        "rds",
        "2014-10-31",
        &[
            ("Action", "DescribeDBClusters"),
            ("DBClusterIdentifier", id),
        ],
    )
}

/// The parameters moto's RDS lists for cluster parameter group `name`, as `name=value`.
fn cluster_parameters(m: &deploy_support::Moto, name: &str) -> BTreeSet<String> {
    let answer = query(
        m,
        "rds",
        "2014-10-31",
        &[
            ("Action", "DescribeDBClusterParameters"),
            ("DBClusterParameterGroupName", name),
        ],
    );
    tagged(&answer, "ParameterName")
        .into_iter()
        .zip(tagged(&answer, "ParameterValue"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

#[tokio::test]
async fn an_aurora_cluster_is_created_changed_in_place_and_deleted() {
    let Some(m) = moto("an_aurora_cluster_is_created_changed_in_place_and_deleted") else {
        return;
    };
    let d = deployer(m).await;
    let name = "Lib-Aurora";
    let (_dir, v1) = assembly(|app| aurora_stack(app, name, true, 7, &[("rds.force_ssl", "1")]));
    let t1 = target(&v1, name);
    let created = d
        .deploy(&t1, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(created.outcome, DeployOutcome::Created);
    let id = created.outputs["ClusterId"].clone();
    let described = cluster(m, &id);
    assert_eq!(
        tagged(&described, "Endpoint"),
        std::slice::from_ref(&created.outputs["Endpoint"])
    );
    assert_eq!(tagged(&described, "DeletionProtection"), ["true"]);
    assert_eq!(tagged(&described, "BackupRetentionPeriod"), ["7"]);
    assert_eq!(
        tagged(&described, "IsClusterWriter"),
        ["true"],
        "{described}"
    );
    let group = tagged(&described, "DBClusterParameterGroup").remove(0);
    assert_eq!(
        cluster_parameters(m, &group),
        BTreeSet::from(["rds.force_ssl=1".to_string()])
    );

    // Changed in place, as CloudFormation changes these: the same cluster and group.
    let (_dir2, v2) = assembly(|app| {
        aurora_stack(
            app,
            name,
            false,
            14,
            &[
                ("rds.force_ssl", "1"),
                ("log_min_duration_statement", "500"),
            ],
        )
    });
    let t2 = target(&v2, name);
    let updated = d
        .deploy(&t2, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(updated.outcome, DeployOutcome::Updated);
    assert_eq!(updated.outputs["ClusterId"], id);
    let described = cluster(m, &id);
    assert_eq!(tagged(&described, "DeletionProtection"), ["false"]);
    assert_eq!(tagged(&described, "BackupRetentionPeriod"), ["14"]);
    assert_eq!(
        tagged(&described, "DBClusterParameterGroup"),
        std::slice::from_ref(&group)
    );
    assert_eq!(
        cluster_parameters(m, &group),
        BTreeSet::from([
            "log_min_duration_statement=500".to_string(),
            "rds.force_ssl=1".to_string()
        ])
    );

    let destroyed = d.destroy(&t2, None, &mut |_| {}).await.unwrap();
    assert_eq!(destroyed.outcome, DestroyOutcome::Deleted);
    let clusters = query(m, "rds", "2014-10-31", &[("Action", "DescribeDBClusters")]);
    assert!(!clusters.contains(&id), "{clusters}");
}

/// The CloudWatch client of the SDK, pointed at moto: it speaks Smithy RPC v2 CBOR, which
/// the launcher's `cloudwatch-rpc-v2-cbor` routes to moto's CloudWatch.
async fn cloudwatch_client(m: &deploy_support::Moto) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::new(aws(m).await.config())
}

#[tokio::test]
async fn the_alarm_gate_reads_a_deployed_alarm_and_its_state_set_to_alarm() {
    let Some(m) = moto("the_alarm_gate_reads_a_deployed_alarm_and_its_state_set_to_alarm") else {
        return;
    };
    let d = deployer(m).await;
    let name = "Lib-Gate-Alarms";
    let (_dir, v1) = assembly(|app| alarm_stack(app, name, 10.0));
    let t1 = target(&v1, name);
    let created = d
        .deploy(&t1, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    let errors = created.outputs["ErrorsAlarm"].clone();
    let rate = created.outputs["RateAlarm"].clone();
    let gates = aws(m).await.gates(name, "us-east-1");
    let asked = [rate.clone(), errors.clone(), format!("{name}-never-made")];
    let before = gates.alarms(&asked).await.unwrap();
    assert_eq!(
        before
            .alarms
            .iter()
            .map(|a| a.name.clone())
            .collect::<Vec<_>>(),
        [rate.clone(), errors.clone()],
        "in the order asked for"
    );
    assert_eq!(before.missing, [format!("{name}-never-made")]);
    for alarm in &before.alarms {
        assert_eq!(alarm.kind, AlarmKind::Metric);
        // CloudWatch starts an alarm at INSUFFICIENT_DATA, moto at OK.
        assert!(
            matches!(alarm.state, AlarmState::Ok | AlarmState::InsufficientData),
            "{alarm:?}"
        );
        assert!(alarm.since.is_some(), "{alarm:?}");
    }
    assert_eq!(before.in_alarm().count(), 0);

    // Set to ALARM through the SDK's own CloudWatch client, as a test (or an operator)
    // forces a gate to fail.
    cloudwatch_client(m)
        .await
        .set_alarm_state()
        .alarm_name(&errors)
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("forced by the test")
        .send()
        .await
        .unwrap();
    let after = gates.alarms(&asked).await.unwrap();
    let breached: Vec<_> = after.in_alarm().collect();
    assert_eq!(breached.len(), 1, "{after:?}");
    assert_eq!(breached[0].name, errors);
    assert_eq!(breached[0].reason.as_deref(), Some("forced by the test"));
    assert_ne!(after.get(&rate).unwrap().state, AlarmState::Alarm);

    // A call CloudWatch refuses is one line naming the stack, the SDK error its source.
    let err = cloudwatch_client(m)
        .await
        .set_alarm_state()
        .alarm_name(format!("{name}-never-made"))
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_cloudwatch::error::ProvideErrorMetadata::code(&err),
        Some("ResourceNotFound"),
        "moto's error comes back in CBOR: {err:?}"
    );

    d.destroy(&t1, None, &mut |_| {}).await.unwrap();
    let gone = gates.alarms(&asked).await.unwrap();
    assert!(gone.alarms.is_empty(), "{gone:?}");
    assert_eq!(gone.missing.len(), 3);
}

#[tokio::test]
async fn the_health_gate_reads_target_health_and_the_groups_capacity() {
    let Some(m) = moto("the_health_gate_reads_target_health_and_the_groups_capacity") else {
        return;
    };
    let d = deployer(m).await;
    let name = "Lib-Gate-Fleet";
    let (_dir, v1) = assembly(|app| fleet_stack(app, name, 2));
    let t1 = target(&v1, name);
    let created = d
        .deploy(&t1, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    let group = created.outputs["TargetGroup"].clone();
    let fleet = created.outputs["FleetName"].clone();
    let gates = aws(m).await.gates(name, "us-east-1");

    let capacity = gates.group_capacity(&fleet).await.unwrap().unwrap();
    assert_eq!((capacity.desired, capacity.min, capacity.max), (2, 2, 2));
    assert_eq!(capacity.in_service(), 2, "{capacity:?}");
    assert!(capacity.instances.iter().all(|i| i.healthy), "{capacity:?}");
    assert_eq!(
        gates
            .group_capacity(&format!("{name}-no-such-group"))
            .await
            .unwrap(),
        None
    );

    let health = gates.target_health(&group).await.unwrap();
    assert_eq!(
        health
            .targets
            .iter()
            .map(|t| t.id.clone())
            .collect::<BTreeSet<_>>(),
        capacity
            .instances
            .iter()
            .map(|i| i.id.clone())
            .collect::<BTreeSet<_>>(),
        "the group's instances are the targets"
    );
    assert_eq!(health.healthy(), 2);
    assert_eq!((health.initial(), health.unhealthy()), (0, 0));
    assert!(health.all_healthy(capacity.desired as usize));
    assert!(!health.all_healthy(3), "fewer targets than asked for");
    assert!(
        health
            .targets
            .iter()
            .all(|t| t.state == TargetState::Healthy && t.port == Some(8080))
    );

    // A target group that is gone: ELBv2's code and message, naming the stack.
    let missing = group.rsplit_once('/').unwrap().0.to_string() + "/0000000000000000";
    let err = gates.target_health(&missing).await.unwrap_err();
    assert_eq!(err.code(), Some("TargetGroupNotFound"), "{err}");
    assert!(
        err.to_string().starts_with(&format!(
            "{name}: DescribeTargetHealth failed (TargetGroupNotFound)"
        )),
        "{err}"
    );
    assert!(std::error::Error::source(&err).is_some());
    assert!(err.hint().unwrap().contains("deployed"), "{:?}", err.hint());

    d.destroy(&t1, None, &mut |_| {}).await.unwrap();
}

#[tokio::test]
async fn the_error_rate_gate_reads_a_target_groups_5xx_rate_from_metric_data() {
    let Some(m) = moto("the_error_rate_gate_reads_a_target_groups_5xx_rate_from_metric_data")
    else {
        return;
    };
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
    let arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012";
    let green = TargetGroupMetrics::from_arns(
        &format!("{arn}:loadbalancer/app/gates/50dc6c495c0c9188"),
        &format!("{arn}:targetgroup/gates-green/73e2d6bc24d8a067"),
    )
    .unwrap();
    let blue = TargetGroupMetrics::from_arns(
        &format!("{arn}:loadbalancer/app/gates/50dc6c495c0c9188"),
        &format!("{arn}:targetgroup/gates-blue/0d2a5d9ec1b2f7a4"),
    )
    .unwrap();
    let now = std::time::SystemTime::now();
    let minutes_ago = |n: u64| DateTime::from(now - Duration::from_secs(60 * n));
    let datum = |group: &TargetGroupMetrics, metric: &str, value: f64, minutes: u64| {
        MetricDatum::builder()
            .metric_name(metric)
            .dimensions(
                Dimension::builder()
                    .name("TargetGroup")
                    .value(&group.target_group)
                    .build(),
            )
            .dimensions(
                Dimension::builder()
                    .name("LoadBalancer")
                    .value(&group.load_balancer)
                    .build(),
            )
            .value(value)
            .timestamp(minutes_ago(minutes))
            .build()
    };
    // Green: 100 requests over three minutes, 6 of them answered 5xx (none in the minute
    // without errors: the load balancer then publishes no count). Blue, busy and failing,
    // must not count towards green's rate.
    cloudwatch_client(m)
        .await
        .put_metric_data()
        .namespace("AWS/ApplicationELB")
        .metric_data(datum(&green, "RequestCount", 20.0, 3))
        .metric_data(datum(&green, "RequestCount", 50.0, 2))
        .metric_data(datum(&green, "RequestCount", 30.0, 1))
        .metric_data(datum(&green, "HTTPCode_Target_5XX_Count", 2.0, 3))
        .metric_data(datum(&green, "HTTPCode_Target_5XX_Count", 4.0, 1))
        .metric_data(datum(&blue, "RequestCount", 500.0, 2))
        .metric_data(datum(&blue, "HTTPCode_Target_5XX_Count", 400.0, 2))
        // Older than the window.
        .metric_data(datum(&green, "HTTPCode_Target_5XX_Count", 90.0, 30))
        .send()
        .await
        .unwrap();
    let gates = aws(m).await.gates("Lib-Gate-Metrics", "us-east-1");
    let window = Duration::from_secs(10 * 60);
    let rate = gates.error_rate(&green, window, now).await.unwrap();
    assert_eq!((rate.errors, rate.requests), (6.0, 100.0), "{rate:?}");
    assert_eq!(rate.rate(), Some(0.06));
    assert_eq!(rate.window, window);
    let other = gates.error_rate(&blue, window, now).await.unwrap();
    assert_eq!(other.rate(), Some(0.8));

    // A target group without traffic has no rate, rather than a rate of 0.
    let quiet = TargetGroupMetrics::from_arns(
        &format!("{arn}:loadbalancer/app/gates/50dc6c495c0c9188"),
        &format!("{arn}:targetgroup/gates-quiet/5e1f0a7b8c9d0e1f"),
    )
    .unwrap();
    let none = gates.error_rate(&quiet, window, now).await.unwrap();
    assert_eq!((none.requests, none.rate()), (0.0, None));
}

/// A stack whose release state is parameters (a `Release`), read by two SSM parameters
/// moto creates: blue's image tag and green's weight. `extra` adds an unrelated
/// parameter, the change a later deploy brings.
fn release_stack(app: &App, name: &str, extra: bool) {
    use stackwright::constructs::alb::Colour;
    use stackwright::constructs::release::{Release, ReleaseProps};
    let stack = Stack::new(app, name, env()).unwrap();
    let release = Release::new(&stack, "Release", ReleaseProps::listener("1.0.0")).unwrap();
    let setting = |id: &str, value: Value<String>| {
        Resource::new(
            &stack,
            id,
            ssm::Parameter {
                name: Some(format!("/{name}/{id}").into()),
                ..ssm::Parameter::new(ssm::parameter::Type::String, value)
            },
        )
        .unwrap();
    };
    setting("BlueTag", release.image_tag(Colour::Blue));
    setting("GreenWeight", release.weight(Colour::Green).cast());
    Output::new(&stack, "BlueTagNow", release.image_tag(Colour::Blue)).unwrap();
    if extra {
        setting("Extra", "x".into());
    }
}

/// A release step as a release makes it: a change set on the deployed template
/// (`UsePreviousTemplate`) that sets `values` and keeps every other parameter.
async fn release_step(m: &deploy_support::Moto, stack: &str, values: &[(&str, &str)]) {
    use aws_sdk_cloudformation::types::{ChangeSetType, Parameter};
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&m.endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let described = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    let parameters = described.stacks()[0]
        .parameters()
        .iter()
        .map(|p| {
            let key = p.parameter_key().unwrap();
            match values.iter().find(|(k, _)| *k == key) {
                Some((_, v)) => Parameter::builder().parameter_key(key).parameter_value(*v),
                None => Parameter::builder()
                    .parameter_key(key)
                    .use_previous_value(true),
            }
            .build()
        })
        .collect::<Vec<_>>();
    let created = cfn
        .create_change_set()
        .stack_name(stack)
        .change_set_name("release-step")
        .change_set_type(ChangeSetType::Update)
        .use_previous_template(true)
        .set_parameters(Some(parameters))
        .send()
        .await
        .unwrap();
    cfn.execute_change_set()
        .change_set_name(created.id().unwrap())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn deploy_keeps_the_release_state_and_waits_for_an_unfinished_release() {
    let Some(m) = moto("deploy_keeps_the_release_state_and_waits_for_an_unfinished_release") else {
        return;
    };
    let d = deployer(m).await;
    let name = "Lib-Release";
    let (_dir, v1) = assembly(|app| release_stack(app, name, false));
    let t1 = target(&v1, name);
    let created = d
        .deploy(&t1, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(created.outcome, DeployOutcome::Created);
    let deployed = |d: Deployer, t: StackTarget| async move {
        d.status(&t).await.unwrap().unwrap().parameters
    };
    let p = deployed(d.clone(), t1.clone()).await;
    assert_eq!(
        (
            p["ReleaseBlueImageTag"].as_str(),
            p["ReleaseGreenWeight"].as_str()
        ),
        ("1.0.0", "0"),
        "a new stack starts from code's defaults"
    );

    // A release under way: blue's tag moved, a quarter of the traffic on green, the marker set.
    release_step(
        m,
        name,
        &[
            ("ReleaseBlueImageTag", "1.1.0"),
            ("ReleaseBlueWeight", "75"),
            ("ReleaseGreenWeight", "25"),
            ("ReleaseState", "green 1.1.0 at 25%"),
        ],
    )
    .await;
    let (_dir2, v2) = assembly(|app| release_stack(app, name, true));
    let t2 = target(&v2, name);
    let err = d
        .deploy(&t2, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DeployError::ReleaseUnfinished { release, state, .. }
            if release == "Lib-Release/Release" && state == "green 1.1.0 at 25%"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "Lib-Release: the release Lib-Release/Release is unfinished (ReleaseState is 'green 1.1.0 at 25%'); nothing was changed"
    );
    let hint = err.hint().unwrap();
    assert!(
        hint.contains("release Lib-Release --status")
            && hint.contains("release Lib-Release --rollback"),
        "{hint}"
    );
    assert_eq!(
        d.diff(&t2).await.unwrap().diff.counts().added,
        1,
        "the refused deploy changed nothing: the new parameter is still to be added"
    );

    // The release finishes (its marker cleared); the unrelated deploy now keeps its state.
    release_step(m, name, &[("ReleaseState", "")]).await;
    let updated = d
        .deploy(&t2, &DeployOptions::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(updated.outcome, DeployOutcome::Updated);
    let p = deployed(d.clone(), t2.clone()).await;
    assert_eq!(
        (
            p["ReleaseBlueImageTag"].as_str(),
            p["ReleaseBlueWeight"].as_str(),
            p["ReleaseGreenWeight"].as_str(),
            p["ReleaseLive"].as_str()
        ),
        ("1.1.0", "75", "25", "Blue"),
        "deploy kept what the release set, not code's 1.0.0, 100 and 0"
    );
    assert_eq!(
        updated.outputs.get("BlueTagNow").map(String::as_str),
        Some("1.1.0"),
        "the template reads the kept tag"
    );

    d.destroy(&t2, None, &mut |_| {}).await.unwrap();
}
