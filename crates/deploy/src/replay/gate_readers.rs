//! The release gates over recorded answers: what moto cannot give. ECS service deployments
//! (moto has no `ListServiceDeployments` or `DescribeServiceDeployments`), percentiles of a
//! metric (moto computes none), alarms in `INSUFFICIENT_DATA` (where CloudWatch starts
//! them; moto starts them `OK`), composite alarms and answers that come in pages.
//!
//! The ECS answers are the JSON of the API reference's examples, with this test's names;
//! the CloudWatch ones the CBOR moto answers through the launcher's
//! `cloudwatch-rpc-v2-cbor`, edited into what CloudWatch returns for a percentile.

use std::time::{Duration, SystemTime};

use serde_json::json;

use super::{Replay, cbor};
use crate::{
    AlarmKind, AlarmState, DeployError, LifecycleStage, MonitorStatus, ServiceDeploymentStatus,
    TargetGroupMetrics,
};

const CLUSTER: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/app";
const SERVICE: &str = "arn:aws:ecs:us-east-1:123456789012:service/app/web";
const BAKING: &str =
    "arn:aws:ecs:us-east-1:123456789012:service-deployment/app/web/nB7UvoWJ3wBHu5ud1Xvq8";
const ROLLED_BACK: &str =
    "arn:aws:ecs:us-east-1:123456789012:service-deployment/app/web/Gq4b8sdX2yTTaq1Zno2eD";
const REVISION_1: &str =
    "arn:aws:ecs:us-east-1:123456789012:service-revision/app/web/4980306466373577095";
const REVISION_2: &str =
    "arn:aws:ecs:us-east-1:123456789012:service-revision/app/web/9876543210987654321";
/// 2026-01-01T08:00:00Z.
const T0: f64 = 1_767_254_400.0;

fn at(seconds: f64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs_f64(seconds)
}

fn revision(arn: &str, running: i32, weight: f64) -> serde_json::Value {
    json!({
        "arn": arn,
        "requestedTaskCount": 2,
        "runningTaskCount": running,
        "pendingTaskCount": 2 - running,
        "requestedProductionTrafficWeight": weight,
        "requestedTestTrafficWeight": weight,
    })
}

/// A blue/green deployment of revision 2 in its bake time, all production traffic moved.
fn baking() -> serde_json::Value {
    json!({
        "serviceDeploymentArn": BAKING,
        "serviceArn": SERVICE,
        "clusterArn": CLUSTER,
        "createdAt": T0,
        "startedAt": T0 + 1.5,
        "updatedAt": T0 + 240.0,
        "sourceServiceRevisions": [revision(REVISION_1, 2, 0.0)],
        "targetServiceRevision": revision(REVISION_2, 2, 100.0),
        "status": "IN_PROGRESS",
        "lifecycleStage": "BAKE_TIME",
        "deploymentConfiguration": {
            "strategy": "BLUE_GREEN",
            "bakeTimeInMinutes": 15,
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "deploymentCircuitBreaker": {"enable": true, "rollback": true},
            "alarms": {"alarmNames": ["web-5xx", "web-p99"], "enable": true, "rollback": true}
        },
        "deploymentCircuitBreaker": {"status": "MONITORING", "failureCount": 0, "threshold": 3},
        "alarms": {
            "status": "MONITORING",
            "alarmNames": ["web-5xx", "web-p99"],
            "triggeredAlarmNames": []
        }
    })
}

/// An earlier deployment of revision 2 that its 5xx alarm rolled back to revision 1.
fn rolled_back() -> serde_json::Value {
    json!({
        "serviceDeploymentArn": ROLLED_BACK,
        "serviceArn": SERVICE,
        "clusterArn": CLUSTER,
        "createdAt": T0 - 3600.0,
        "startedAt": T0 - 3599.0,
        "finishedAt": T0 - 2700.0,
        "sourceServiceRevisions": [revision(REVISION_1, 2, 100.0)],
        "targetServiceRevision": revision(REVISION_2, 0, 0.0),
        "status": "ROLLBACK_SUCCESSFUL",
        "statusReason": "Service deployment rolled back because the deployment alarms were triggered.",
        "lifecycleStage": "CLEAN_UP",
        "rollback": {
            "reason": "Rolled back because alarm web-5xx is in ALARM.",
            "startedAt": T0 - 3000.0,
            "serviceRevisionArn": REVISION_1
        },
        "deploymentCircuitBreaker": {"status": "MONITORING_COMPLETE", "failureCount": 0, "threshold": 3},
        "alarms": {
            "status": "TRIGGERED",
            "alarmNames": ["web-5xx", "web-p99"],
            "triggeredAlarmNames": ["web-5xx"]
        }
    })
}

#[tokio::test]
async fn service_deployments_are_followed_through_their_stages_newest_first() {
    let r = Replay::default();
    r.ok(
        "ListServiceDeployments",
        json!({
            "serviceDeployments": [
                {"serviceDeploymentArn": BAKING, "status": "IN_PROGRESS"},
            ],
            "nextToken": "page-2"
        })
        .to_string(),
    )
    .ok(
        "ListServiceDeployments",
        json!({
            "serviceDeployments": [
                {"serviceDeploymentArn": ROLLED_BACK, "status": "ROLLBACK_SUCCESSFUL"},
            ]
        })
        .to_string(),
    )
    // Described in another order than listed.
    .ok(
        "DescribeServiceDeployments",
        json!({"serviceDeployments": [rolled_back(), baking()], "failures": []}).to_string(),
    );
    let gates = r.aws().await.gates("App", "us-east-1");
    let deployments = gates.service_deployments("app", "web").await.unwrap();
    assert_eq!(
        deployments
            .iter()
            .map(|d| d.arn.as_str())
            .collect::<Vec<_>>(),
        [BAKING, ROLLED_BACK],
        "in the order ECS listed them"
    );
    let lists = r.requests("ListServiceDeployments");
    assert_eq!(lists.len(), 2, "both pages");
    let list: serde_json::Value = serde_json::from_str(&lists[0]).unwrap();
    assert_eq!(list["cluster"], "app");
    assert_eq!(list["service"], "web");
    let second: serde_json::Value = serde_json::from_str(&lists[1]).unwrap();
    assert_eq!(second["nextToken"], "page-2");
    let describe: serde_json::Value =
        serde_json::from_str(&r.request("DescribeServiceDeployments")).unwrap();
    assert_eq!(
        describe["serviceDeploymentArns"],
        json!([BAKING, ROLLED_BACK])
    );

    let now = &deployments[0];
    assert_eq!(now.status, ServiceDeploymentStatus::InProgress);
    assert!(!now.status.is_finished());
    assert_eq!(now.lifecycle_stage, Some(LifecycleStage::BakeTime));
    let target = now.target.as_ref().unwrap();
    assert_eq!(target.arn, REVISION_2);
    assert_eq!(
        (
            target.requested_tasks,
            target.running_tasks,
            target.pending_tasks
        ),
        (2, 2, 0)
    );
    assert_eq!(target.production_traffic_weight, Some(100.0));
    assert_eq!(now.sources.len(), 1);
    assert_eq!(now.sources[0].production_traffic_weight, Some(0.0));
    assert_eq!(now.rollback, None);
    let alarms = now.alarms.as_ref().unwrap();
    assert_eq!(alarms.status, Some(MonitorStatus::Monitoring));
    assert_eq!(alarms.names, ["web-5xx", "web-p99"]);
    assert!(alarms.triggered.is_empty());
    let breaker = now.circuit_breaker.as_ref().unwrap();
    assert_eq!((breaker.failures, breaker.threshold), (0, 3));
    assert_eq!(now.created_at, Some(at(T0)));
    assert_eq!(now.started_at, Some(at(T0 + 1.5)));
    assert_eq!(now.finished_at, None);
}

#[tokio::test]
async fn a_rolled_back_deployment_says_why_and_which_alarm_triggered() {
    let r = Replay::default();
    r.ok(
        "DescribeServiceDeployments",
        json!({"serviceDeployments": [rolled_back()], "failures": []}).to_string(),
    );
    let gates = r.aws().await.gates("App", "us-east-1");
    let d = gates
        .service_deployment(ROLLED_BACK)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.status, ServiceDeploymentStatus::RollbackSuccessful);
    assert!(d.status.is_finished() && d.status.is_rollback());
    assert_eq!(
        d.status_reason.as_deref(),
        Some("Service deployment rolled back because the deployment alarms were triggered.")
    );
    let rollback = d.rollback.unwrap();
    assert_eq!(
        rollback.reason.as_deref(),
        Some("Rolled back because alarm web-5xx is in ALARM.")
    );
    assert_eq!(rollback.revision.as_deref(), Some(REVISION_1));
    assert_eq!(rollback.started_at, Some(at(T0 - 3000.0)));
    let alarms = d.alarms.unwrap();
    assert_eq!(alarms.status, Some(MonitorStatus::Triggered));
    assert_eq!(alarms.triggered, ["web-5xx"]);
    assert_eq!(d.finished_at, Some(at(T0 - 2700.0)));
}

#[tokio::test]
async fn a_deployment_ecs_does_not_know_is_none() {
    let r = Replay::default();
    r.ok(
        "DescribeServiceDeployments",
        json!({"serviceDeployments": [], "failures": [{"arn": BAKING, "reason": "MISSING"}]})
            .to_string(),
    );
    let gates = r.aws().await.gates("App", "us-east-1");
    assert_eq!(gates.service_deployment(BAKING).await.unwrap(), None);
}

#[tokio::test]
async fn a_missing_service_is_one_line_naming_the_stack_with_the_sdk_error_as_source() {
    let r = Replay::default();
    r.on(
        "ListServiceDeployments",
        400,
        json!({"__type": "ServiceNotFoundException", "message": "Service not found."}).to_string(),
    );
    let gates = r.aws().await.gates("App", "us-east-1");
    let err = gates.service_deployments("app", "web").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "App: ListServiceDeployments failed (ServiceNotFoundException): Service not found."
    );
    assert!(std::error::Error::source(&err).is_some());
    assert!(!err.is_connection_failure());
}

fn metrics() -> TargetGroupMetrics {
    TargetGroupMetrics::from_arns(
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/73e2d6bc24d8a067",
    )
    .unwrap()
}

#[tokio::test]
async fn p99_latency_is_a_percentile_over_the_window_the_worse_period_counting() {
    let r = Replay::default();
    // A 15-minute window ending off the period boundary straddles two periods.
    r.ok(
        "GetMetricData",
        cbor(&json!({
            "MetricDataResults": [{
                "Id": "latency",
                "Label": "TargetResponseTime",
                "Timestamps": [{"$epoch": T0}, {"$epoch": T0 - 900.0}],
                "Values": [0.8, 2.45],
                "StatusCode": "Complete"
            }],
            "Messages": []
        })),
    );
    let gates = r.aws().await.gates("App", "us-east-1");
    let p99 = gates
        .response_time(
            &metrics(),
            99.0,
            Duration::from_secs(15 * 60),
            at(T0 + 300.0),
        )
        .await
        .unwrap();
    assert_eq!(p99.value, Some(Duration::from_millis(2450)));
    assert_eq!(p99.percentile, 99.0);
    let request = r.request("GetMetricData");
    for part in [
        "TargetResponseTime",
        "AWS/ApplicationELB",
        "p99",
        "targetgroup/green/73e2d6bc24d8a067",
        "app/web/50dc6c495c0c9188",
    ] {
        assert!(request.contains(part), "{part} in {request:?}");
    }
}

#[tokio::test]
async fn a_window_without_requests_has_no_latency() {
    let r = Replay::default();
    r.ok(
        "GetMetricData",
        cbor(&json!({
            "MetricDataResults": [{
                "Id": "latency",
                "Label": "TargetResponseTime",
                "Timestamps": [],
                "Values": [],
                "StatusCode": "Complete"
            }]
        })),
    );
    let gates = r.aws().await.gates("App", "us-east-1");
    let p99 = gates
        .response_time(&metrics(), 99.0, Duration::from_secs(60), at(T0))
        .await
        .unwrap();
    assert_eq!(p99.value, None);
    let bad = gates
        .response_time(&metrics(), 100.0, Duration::from_secs(60), at(T0))
        .await
        .unwrap_err();
    assert!(
        matches!(
            bad,
            DeployError::BadGateInput {
                what: "percentile",
                ..
            }
        ),
        "{bad}"
    );
    assert_eq!(
        r.requests("GetMetricData").len(),
        1,
        "a bad percentile asks nothing"
    );
}

#[tokio::test]
async fn metric_data_cloudwatch_refuses_is_an_error_with_its_messages() {
    let r = Replay::default();
    r.ok(
        "GetMetricData",
        cbor(&json!({
            "MetricDataResults": [{
                "Id": "errors",
                "StatusCode": "Forbidden",
                "Messages": [{"Code": "Forbidden", "Value": "not authorized to read AWS/ApplicationELB"}]
            }]
        })),
    );
    let gates = r.aws().await.gates("App", "us-east-1");
    let err = gates
        .error_rate(&metrics(), Duration::from_secs(300), at(T0))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "App: GetMetricData failed (Forbidden): not authorized to read AWS/ApplicationELB"
    );
}

#[tokio::test]
async fn alarm_states_come_from_every_page_metric_and_composite_alike() {
    let r = Replay::default();
    r.ok(
        "DescribeAlarms",
        cbor(&json!({
            "MetricAlarms": [{
                "AlarmName": "web-5xx",
                "StateValue": "INSUFFICIENT_DATA",
                "StateReason": "Unchecked: Initial alarm creation",
                "StateUpdatedTimestamp": {"$epoch": T0}
            }],
            "CompositeAlarms": [],
            "NextToken": "page-2"
        })),
    )
    .ok(
        "DescribeAlarms",
        cbor(&json!({
            "MetricAlarms": [],
            "CompositeAlarms": [{
                "AlarmName": "web-release",
                "StateValue": "ALARM",
                "StateReason": "alarm web-p99 is in ALARM",
                "StateUpdatedTimestamp": {"$epoch": T0 + 60.0}
            }]
        })),
    );
    let gates = r.aws().await.gates("App", "us-east-1");
    let names = ["web-release", "web-5xx", "web-gone"].map(String::from);
    let states = gates.alarms(&names).await.unwrap();
    assert_eq!(
        states
            .alarms
            .iter()
            .map(|a| (a.name.as_str(), a.kind, a.state.clone()))
            .collect::<Vec<_>>(),
        [
            ("web-release", AlarmKind::Composite, AlarmState::Alarm),
            ("web-5xx", AlarmKind::Metric, AlarmState::InsufficientData),
        ],
        "in the order asked for"
    );
    assert_eq!(states.missing, ["web-gone"]);
    assert_eq!(
        states
            .in_alarm()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["web-release"]
    );
    assert_eq!(states.get("web-5xx").unwrap().since, Some(at(T0)));
    let asked = r.requests("DescribeAlarms");
    assert_eq!(asked.len(), 2, "both pages");
    assert!(asked[1].contains("page-2"), "{:?}", asked[1]);
    assert!(
        asked[0].contains("CompositeAlarm") && asked[0].contains("MetricAlarm"),
        "both kinds asked for: {:?}",
        asked[0]
    );
}

#[tokio::test]
async fn an_answer_the_sdk_cannot_read_says_so_rather_than_blaming_the_service() {
    let r = Replay::default();
    // A timestamp as a CBOR integer: the SDK reads only doubles there.
    let mut e = aws_smithy_cbor::Encoder::new(Vec::new());
    e.map(1).str("MetricDataResults").array(1).map(3);
    e.str("Id").str("requests").str("Timestamps").array(1);
    e.timestamp(&aws_smithy_types::DateTime::from_secs(1_767_254_400));
    e.str("Values").array(1).double(1.0);
    let mut body = e.into_writer();
    // The encoder writes tag 1 and a double (0xfb + 8 bytes); make it an integer (0x1a + 4).
    let tag = body.windows(2).position(|w| w == [0xc1, 0xfb]).unwrap();
    body.splice(tag + 1..tag + 10, [0x1a, 0x69, 0x56, 0x29, 0x80]);
    r.ok("GetMetricData", body);
    let gates = r.aws().await.gates("App", "us-east-1");
    let err = gates
        .error_rate(&metrics(), Duration::from_secs(60), at(T0))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("App: GetMetricData failed: the answer (HTTP 200) could not be read: "),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
    assert!(std::error::Error::source(&err).is_some());
}
