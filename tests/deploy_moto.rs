//! The deploy library end to end: the real SDK client over HTTP against moto.
//!
//! Each test uses stacks of its own, so they share one moto server and run in parallel.
//! What moto cannot fake (a rollback, outputs of a stack created through a change set, a
//! busy stack, termination protection) is covered over recorded responses in
//! `crates/synth/src/deploy/replay.rs`; `docs/DEPLOY.md` lists which is tested where.
#![cfg(feature = "aws")]

mod deploy_support;

use std::time::Duration;

use deploy_support::{aws, env, moto, small_stack};
use stackwright::core::{App, Resource, Stack};
use stackwright::deploy::{
    Activity, ChangeKind, DeployError, DeployOptions, DeployOutcome, Deployer, DestroyOutcome,
    Impact, StackStatus, StackTarget,
};
use stackwright::l1::ssm;
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
