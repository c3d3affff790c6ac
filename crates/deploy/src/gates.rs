//! What a release watches, read through the SDK and turned into typed answers: the health
//! of a target group's targets (ELBv2), the state of alarms and the error rate and latency
//! of a target group (CloudWatch), an Auto Scaling group's capacity, and ECS service
//! deployments.
//!
//! [`Gates`] reads; it decides nothing. Thresholds, timeouts and what a breach leads to
//! are the caller's (the `release` command's). Every call fails as a [`DeployError`]
//! naming the stack the gate belongs to, the call and the endpoint, with the SDK error as
//! its `source`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::Region;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types as cw;

use crate::client::Aws;
use crate::error::{DeployError, Site};
use crate::status::status_enum;

/// The most names `DescribeAlarms` takes in one call.
const ALARM_NAMES_PER_CALL: usize = 100;
/// The most ARNs `DescribeServiceDeployments` takes in one call.
const DEPLOYMENTS_PER_CALL: usize = 20;
/// The resolution of the load balancer metrics (`AWS/ApplicationELB` publishes per minute).
const METRIC_PERIOD: Duration = Duration::from_secs(60);

/// The gate readers of one stack in one region: each answer is about a resource of that
/// stack, and each error names it.
#[derive(Clone, Debug)]
pub struct Gates {
    stack: String,
    elbv2: aws_sdk_elasticloadbalancingv2::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    autoscaling: aws_sdk_autoscaling::Client,
    ecs: aws_sdk_ecs::Client,
    sites: Arc<Sites>,
}

#[derive(Debug)]
struct Sites {
    elbv2: Site,
    cloudwatch: Site,
    autoscaling: Site,
    ecs: Site,
}

impl Aws {
    /// The gate readers for `stack`, whose resources live in `region`.
    pub fn gates(&self, stack: &str, region: &str) -> Gates {
        let config = self.config();
        let region = Region::new(region.to_string());
        Gates {
            stack: stack.to_string(),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::from_conf(
                aws_sdk_elasticloadbalancingv2::config::Builder::from(config)
                    .region(region.clone())
                    .build(),
            ),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(config)
                    .region(region.clone())
                    .build(),
            ),
            autoscaling: aws_sdk_autoscaling::Client::from_conf(
                aws_sdk_autoscaling::config::Builder::from(config)
                    .region(region.clone())
                    .build(),
            ),
            ecs: aws_sdk_ecs::Client::from_conf(
                aws_sdk_ecs::config::Builder::from(config)
                    .region(region.clone())
                    .build(),
            ),
            sites: Arc::new(Sites {
                elbv2: self.site("elasticloadbalancing", region.as_ref()),
                cloudwatch: self.site("monitoring", region.as_ref()),
                autoscaling: self.site("autoscaling", region.as_ref()),
                ecs: self.site("ecs", region.as_ref()),
            }),
        }
    }
}

status_enum! {
    /// The health of one target of a target group (`DescribeTargetHealth`'s `State`).
    TargetState {
        /// Registered; its first health checks are running.
        Initial = "initial",
        /// Passing its health checks.
        Healthy = "healthy",
        /// Failing its health checks.
        Unhealthy = "unhealthy",
        /// Failing its health checks and being deregistered.
        UnhealthyDraining = "unhealthy.draining",
        /// Not in use: the group receives no traffic, or the target's zone is not enabled.
        Unused = "unused",
        /// Being deregistered; connections drain.
        Draining = "draining",
        /// Health checks are off for the group.
        Unavailable = "unavailable",
    }
}

impl TargetState {
    /// Failing its health checks (also while being deregistered).
    pub fn is_unhealthy(&self) -> bool {
        matches!(
            self,
            TargetState::Unhealthy | TargetState::UnhealthyDraining
        )
    }
}

/// One registered target and its health.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The instance id, IP address or Lambda ARN.
    pub id: String,
    /// The port traffic goes to, when the target names one.
    pub port: Option<i32>,
    /// Its health.
    pub state: TargetState,
    /// Why it is not healthy (`Target.FailedHealthChecks`, `Elb.InitialHealthChecking`),
    /// when the load balancer says.
    pub reason: Option<String>,
    /// The reason in words.
    pub description: Option<String>,
}

/// Every registered target of a target group, with its health.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetHealth {
    /// The target group's ARN.
    pub target_group: String,
    /// Its targets, as the load balancer lists them.
    pub targets: Vec<Target>,
}

impl TargetHealth {
    /// How many targets are in `state`.
    pub fn count(&self, state: &TargetState) -> usize {
        self.targets.iter().filter(|t| t.state == *state).count()
    }

    /// How many targets are healthy.
    pub fn healthy(&self) -> usize {
        self.count(&TargetState::Healthy)
    }

    /// How many targets are still in their first health checks.
    pub fn initial(&self) -> usize {
        self.count(&TargetState::Initial)
    }

    /// How many targets fail their health checks.
    pub fn unhealthy(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| t.state.is_unhealthy())
            .count()
    }

    /// The targets that are not healthy, with their reasons.
    pub fn not_healthy(&self) -> impl Iterator<Item = &Target> {
        self.targets
            .iter()
            .filter(|t| t.state != TargetState::Healthy)
    }

    /// Whether every target is healthy and there are at least `at_least` of them.
    pub fn all_healthy(&self, at_least: usize) -> bool {
        self.targets.len() >= at_least && self.not_healthy().next().is_none()
    }
}

status_enum! {
    /// The state of a CloudWatch alarm (`StateValue`).
    AlarmState {
        /// The watched value is within its threshold.
        Ok = "OK",
        /// The watched value breached its threshold.
        Alarm = "ALARM",
        /// Too little data to say, or the alarm has just been created.
        InsufficientData = "INSUFFICIENT_DATA",
    }
}

/// Which kind of alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmKind {
    /// An alarm on a metric or on metric math.
    Metric,
    /// An alarm combining other alarms' states by a rule.
    Composite,
}

/// A named alarm's state.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmStatus {
    /// The alarm's name.
    pub name: String,
    /// Metric or composite.
    pub kind: AlarmKind,
    /// Its state.
    pub state: AlarmState,
    /// Why it is in that state, as CloudWatch says.
    pub reason: Option<String>,
    /// When it entered that state.
    pub since: Option<SystemTime>,
}

/// The states of the alarms asked for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlarmStates {
    /// The alarms found, in the order they were asked for.
    pub alarms: Vec<AlarmStatus>,
    /// The names asked for that CloudWatch does not know (deleted, or never created).
    pub missing: Vec<String>,
}

impl AlarmStates {
    /// The alarms in `ALARM`.
    pub fn in_alarm(&self) -> impl Iterator<Item = &AlarmStatus> {
        self.alarms.iter().filter(|a| a.state == AlarmState::Alarm)
    }

    /// The state of the alarm called `name`, if it was found.
    pub fn get(&self, name: &str) -> Option<&AlarmStatus> {
        self.alarms.iter().find(|a| a.name == name)
    }
}

/// The CloudWatch dimensions of a target group behind an Application Load Balancer: the
/// load balancer metrics of a target group (`AWS/ApplicationELB`) are published per
/// `TargetGroup` and `LoadBalancer` together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroupMetrics {
    /// `app/<name>/<id>`: CloudFormation's `LoadBalancerFullName`.
    pub load_balancer: String,
    /// `targetgroup/<name>/<id>`: CloudFormation's `TargetGroupFullName`.
    pub target_group: String,
}

impl TargetGroupMetrics {
    /// The dimensions from the load balancer's and the target group's ARNs
    /// (`arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID`,
    /// `...:targetgroup/NAME/ID`).
    pub fn from_arns(load_balancer_arn: &str, target_group_arn: &str) -> Result<Self, DeployError> {
        let parts = |resource: &str, n: usize| {
            resource.split('/').count() == n && resource.split('/').all(|p| !p.is_empty())
        };
        let load_balancer = resource(load_balancer_arn)
            .filter(|r| r.starts_with("loadbalancer/app/") && parts(r, 4))
            .and_then(|r| r.strip_prefix("loadbalancer/"))
            .ok_or_else(|| DeployError::BadGateInput {
                what: "load balancer ARN",
                value: load_balancer_arn.to_string(),
                expected: "an Application Load Balancer's ARN (…:loadbalancer/app/NAME/ID)",
            })?;
        let target_group = resource(target_group_arn)
            .filter(|r| r.starts_with("targetgroup/") && parts(r, 3))
            .ok_or_else(|| DeployError::BadGateInput {
                what: "target group ARN",
                value: target_group_arn.to_string(),
                expected: "a target group's ARN (…:targetgroup/NAME/ID)",
            })?;
        Ok(TargetGroupMetrics {
            load_balancer: load_balancer.to_string(),
            target_group: target_group.to_string(),
        })
    }

    fn dimensions(&self) -> Vec<cw::Dimension> {
        vec![
            cw::Dimension::builder()
                .name("TargetGroup")
                .value(&self.target_group)
                .build(),
            cw::Dimension::builder()
                .name("LoadBalancer")
                .value(&self.load_balancer)
                .build(),
        ]
    }
}

/// A target group's 5xx answers over a window: `HTTPCode_Target_5XX_Count` over
/// `RequestCount`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorRate {
    /// Requests the targets answered with a 5xx status.
    pub errors: f64,
    /// Requests the load balancer sent to the targets.
    pub requests: f64,
    /// The window, from its end back.
    pub window: Duration,
}

impl ErrorRate {
    /// The share of requests answered with a 5xx (0.05 is 5 %); `None` without requests.
    pub fn rate(&self) -> Option<f64> {
        (self.requests > 0.0).then(|| self.errors / self.requests)
    }
}

/// A percentile of a target group's response time over a window (`TargetResponseTime`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponseTime {
    /// The percentile asked for (99.0 for p99).
    pub percentile: f64,
    /// Its value; `None` when no request was answered in the window.
    pub value: Option<Duration>,
    /// The window, from its end back.
    pub window: Duration,
}

/// An Auto Scaling group's capacity and instances.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCapacity {
    /// The group's name.
    pub name: String,
    /// How many instances it is to have.
    pub desired: i32,
    /// Its minimum size.
    pub min: i32,
    /// Its maximum size.
    pub max: i32,
    /// Its instances.
    pub instances: Vec<GroupInstance>,
}

impl GroupCapacity {
    /// How many of its instances are `InService`.
    pub fn in_service(&self) -> usize {
        self.instances
            .iter()
            .filter(|i| i.lifecycle_state == "InService")
            .count()
    }
}

/// An instance of an Auto Scaling group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInstance {
    /// Its id.
    pub id: String,
    /// Where it is in its lifecycle (`Pending`, `InService`, `Terminating`, ...).
    pub lifecycle_state: String,
    /// Whether Auto Scaling counts it healthy (`Healthy`); `Unhealthy` instances are
    /// replaced.
    pub healthy: bool,
}

status_enum! {
    /// Where an ECS service deployment stands (`ServiceDeployment.status`).
    ServiceDeploymentStatus {
        /// Created, not started.
        Pending = "PENDING",
        /// Running.
        InProgress = "IN_PROGRESS",
        /// Finished: the new revision serves.
        Successful = "SUCCESSFUL",
        /// Stopping was asked for.
        StopRequested = "STOP_REQUESTED",
        /// Stopped before it finished.
        Stopped = "STOPPED",
        /// Rolling back was asked for (an alarm or the circuit breaker, or by hand).
        RollbackRequested = "ROLLBACK_REQUESTED",
        /// Rolling back to the previous revision.
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        /// Rolled back: the previous revision serves.
        RollbackSuccessful = "ROLLBACK_SUCCESSFUL",
        /// Rolling back failed.
        RollbackFailed = "ROLLBACK_FAILED",
    }
}

impl ServiceDeploymentStatus {
    /// Whether the deployment has ended, one way or another.
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            Self::Successful | Self::Stopped | Self::RollbackSuccessful | Self::RollbackFailed
        )
    }

    /// Whether the deployment is being, or was, rolled back.
    pub fn is_rollback(&self) -> bool {
        matches!(
            self,
            Self::RollbackRequested
                | Self::RollbackInProgress
                | Self::RollbackSuccessful
                | Self::RollbackFailed
        )
    }
}

status_enum! {
    /// The stage an ECS service deployment is in (`lifecycleStage`; blue/green
    /// deployments go through all of them).
    LifecycleStage {
        /// Reconciling the service.
        ReconcileService = "RECONCILE_SERVICE",
        /// Before the new revision is scaled up.
        PreScaleUp = "PRE_SCALE_UP",
        /// Scaling the new revision up.
        ScaleUp = "SCALE_UP",
        /// The new revision is up.
        PostScaleUp = "POST_SCALE_UP",
        /// Test traffic moves to the new revision.
        TestTrafficShift = "TEST_TRAFFIC_SHIFT",
        /// Test traffic has moved.
        PostTestTrafficShift = "POST_TEST_TRAFFIC_SHIFT",
        /// Production traffic moves to the new revision.
        ProductionTrafficShift = "PRODUCTION_TRAFFIC_SHIFT",
        /// Production traffic has moved.
        PostProductionTrafficShift = "POST_PRODUCTION_TRAFFIC_SHIFT",
        /// Both revisions run while the new one proves itself.
        BakeTime = "BAKE_TIME",
        /// The old revision is being removed.
        CleanUp = "CLEAN_UP",
    }
}

status_enum! {
    /// What a deployment's rollback monitor (its alarms, its circuit breaker) is doing.
    MonitorStatus {
        /// Watching.
        Monitoring = "MONITORING",
        /// Watched to the end without triggering.
        MonitoringComplete = "MONITORING_COMPLETE",
        /// Triggered a rollback.
        Triggered = "TRIGGERED",
        /// Not in use for this deployment.
        Disabled = "DISABLED",
    }
}

/// A service revision in a deployment, with its tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRevision {
    /// The revision's ARN.
    pub arn: String,
    /// Tasks asked for.
    pub requested_tasks: i32,
    /// Tasks running.
    pub running_tasks: i32,
    /// Tasks starting.
    pub pending_tasks: i32,
    /// The share of production traffic asked for it (blue/green), in percent.
    pub production_traffic_weight: Option<f64>,
    /// The share of test traffic asked for it (blue/green), in percent.
    pub test_traffic_weight: Option<f64>,
}

/// A deployment's rollback.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollback {
    /// Why it rolled back.
    pub reason: Option<String>,
    /// When.
    pub started_at: Option<SystemTime>,
    /// The revision it rolled back to.
    pub revision: Option<String>,
}

/// A deployment's alarms.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentAlarms {
    /// What the monitor is doing.
    pub status: Option<MonitorStatus>,
    /// The alarms watched.
    pub names: Vec<String>,
    /// The alarms that triggered a rollback.
    pub triggered: Vec<String>,
}

/// A deployment's circuit breaker.
#[derive(Debug, Clone, PartialEq)]
pub struct CircuitBreaker {
    /// What the monitor is doing.
    pub status: Option<MonitorStatus>,
    /// Tasks that failed to start.
    pub failures: i32,
    /// How many failures trip it.
    pub threshold: i32,
}

/// An ECS service deployment (`DescribeServiceDeployments`).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceDeployment {
    /// Its ARN.
    pub arn: String,
    /// Where it stands.
    pub status: ServiceDeploymentStatus,
    /// Why, when ECS says.
    pub status_reason: Option<String>,
    /// The stage it is in.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// The revision being deployed.
    pub target: Option<ServiceRevision>,
    /// The revisions it replaces.
    pub sources: Vec<ServiceRevision>,
    /// Its rollback, if it rolled back.
    pub rollback: Option<Rollback>,
    /// Its alarms, if it has any.
    pub alarms: Option<DeploymentAlarms>,
    /// Its circuit breaker, if it has one.
    pub circuit_breaker: Option<CircuitBreaker>,
    /// When it was created.
    pub created_at: Option<SystemTime>,
    /// When it started.
    pub started_at: Option<SystemTime>,
    /// When it finished.
    pub finished_at: Option<SystemTime>,
}

/// An ARN's resource: what follows its fifth colon.
fn resource(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")
        .and_then(|rest| rest.splitn(5, ':').nth(4))
}

fn time(t: Option<&DateTime>) -> Option<SystemTime> {
    t.and_then(|t| SystemTime::try_from(*t).ok())
}

/// The period that covers `window` in whole minutes (at least one).
fn period_for(window: Duration) -> i32 {
    let minutes = window.as_secs().div_ceil(60).max(1);
    i32::try_from(minutes.saturating_mul(60)).unwrap_or(i32::MAX / 60 * 60)
}

impl Gates {
    /// The stack the gates belong to.
    pub fn stack(&self) -> &str {
        &self.stack
    }

    /// Every registered target of a target group and its health (`DescribeTargetHealth`).
    pub async fn target_health(&self, target_group_arn: &str) -> Result<TargetHealth, DeployError> {
        let out = self
            .elbv2
            .describe_target_health()
            .target_group_arn(target_group_arn)
            .send()
            .await
            .map_err(|e| {
                DeployError::aws(&self.stack, "DescribeTargetHealth", &self.sites.elbv2, e)
            })?;
        let targets = out
            .target_health_descriptions()
            .iter()
            .map(|d| {
                let health = d.target_health();
                Target {
                    id: d
                        .target()
                        .and_then(|t| t.id())
                        .unwrap_or_default()
                        .to_string(),
                    port: d.target().and_then(|t| t.port()),
                    state: TargetState::parse(
                        health
                            .and_then(|h| h.state())
                            .map(|s| s.as_str())
                            .unwrap_or_default(),
                    ),
                    reason: health
                        .and_then(|h| h.reason())
                        .map(|r| r.as_str().to_string()),
                    description: health
                        .and_then(|h| h.description())
                        .filter(|d| !d.is_empty())
                        .map(String::from),
                }
            })
            .collect();
        Ok(TargetHealth {
            target_group: target_group_arn.to_string(),
            targets,
        })
    }

    /// The state of each named alarm, metric and composite alike (`DescribeAlarms`, a
    /// hundred names a call, every page).
    pub async fn alarms(&self, names: &[String]) -> Result<AlarmStates, DeployError> {
        let mut found: Vec<AlarmStatus> = Vec::new();
        for chunk in names.chunks(ALARM_NAMES_PER_CALL) {
            let mut token: Option<String> = None;
            loop {
                let out = self
                    .cloudwatch
                    .describe_alarms()
                    .set_alarm_names(Some(chunk.to_vec()))
                    .alarm_types(cw::AlarmType::MetricAlarm)
                    .alarm_types(cw::AlarmType::CompositeAlarm)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| {
                        DeployError::aws(&self.stack, "DescribeAlarms", &self.sites.cloudwatch, e)
                    })?;
                found.extend(out.metric_alarms().iter().map(|a| AlarmStatus {
                    name: a.alarm_name().unwrap_or_default().to_string(),
                    kind: AlarmKind::Metric,
                    state: AlarmState::parse(
                        a.state_value().map(|s| s.as_str()).unwrap_or_default(),
                    ),
                    reason: a.state_reason().map(String::from),
                    since: time(a.state_updated_timestamp()),
                }));
                found.extend(out.composite_alarms().iter().map(|a| AlarmStatus {
                    name: a.alarm_name().unwrap_or_default().to_string(),
                    kind: AlarmKind::Composite,
                    state: AlarmState::parse(
                        a.state_value().map(|s| s.as_str()).unwrap_or_default(),
                    ),
                    reason: a.state_reason().map(String::from),
                    since: time(a.state_updated_timestamp()),
                }));
                match out.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
        }
        let mut states = AlarmStates::default();
        for name in names {
            if let Some(i) = found.iter().position(|a| a.name == *name) {
                states.alarms.push(found.swap_remove(i));
            } else if states.get(name).is_none() && !states.missing.contains(name) {
                states.missing.push(name.clone());
            }
        }
        Ok(states)
    }

    /// The target group's 5xx rate over the `window` that ends at `end`: the sums of
    /// `HTTPCode_Target_5XX_Count` and `RequestCount` per minute, added up (`GetMetricData`).
    ///
    /// The rate is the window's errors over the window's requests, not an average of
    /// per-minute rates: a quiet minute with one failed request does not outweigh a busy
    /// one. The load balancer publishes no `HTTPCode_Target_5XX_Count` for a minute without
    /// errors, so a missing data point counts as none.
    pub async fn error_rate(
        &self,
        target: &TargetGroupMetrics,
        window: Duration,
        end: SystemTime,
    ) -> Result<ErrorRate, DeployError> {
        let period = period_for(METRIC_PERIOD);
        let query = |id: &str, metric: &str| {
            cw::MetricDataQuery::builder()
                .id(id)
                .metric_stat(
                    cw::MetricStat::builder()
                        .metric(
                            cw::Metric::builder()
                                .namespace("AWS/ApplicationELB")
                                .metric_name(metric)
                                .set_dimensions(Some(target.dimensions()))
                                .build(),
                        )
                        .period(period)
                        .stat("Sum")
                        .build(),
                )
                .return_data(true)
                .build()
        };
        let values = self
            .metric_data(
                vec![
                    query("errors", "HTTPCode_Target_5XX_Count"),
                    query("requests", "RequestCount"),
                ],
                window,
                end,
            )
            .await?;
        let total =
            |id: &str| -> f64 { values.iter().filter(|(i, _)| i == id).map(|(_, v)| v).sum() };
        Ok(ErrorRate {
            errors: total("errors"),
            requests: total("requests"),
            window,
        })
    }

    /// A percentile (`99.0` for p99) of the target group's `TargetResponseTime` over the
    /// `window` that ends at `end` (`GetMetricData`, one period the length of the window).
    /// When the window straddles two periods, the higher value counts: a gate should not
    /// pass on the better half.
    pub async fn response_time(
        &self,
        target: &TargetGroupMetrics,
        percentile: f64,
        window: Duration,
        end: SystemTime,
    ) -> Result<ResponseTime, DeployError> {
        if !(percentile > 0.0 && percentile < 100.0) {
            return Err(DeployError::BadGateInput {
                what: "percentile",
                value: percentile.to_string(),
                expected: "a number between 0 and 100 (99 for p99)",
            });
        }
        let query = cw::MetricDataQuery::builder()
            .id("latency")
            .metric_stat(
                cw::MetricStat::builder()
                    .metric(
                        cw::Metric::builder()
                            .namespace("AWS/ApplicationELB")
                            .metric_name("TargetResponseTime")
                            .set_dimensions(Some(target.dimensions()))
                            .build(),
                    )
                    .period(period_for(window))
                    .stat(format!("p{percentile}"))
                    .build(),
            )
            .return_data(true)
            .build();
        let values = self.metric_data(vec![query], window, end).await?;
        let worst = values
            .iter()
            .map(|(_, v)| *v)
            .filter(|v| v.is_finite() && *v >= 0.0)
            .fold(None, |worst: Option<f64>, v| {
                Some(worst.map_or(v, |w| w.max(v)))
            });
        Ok(ResponseTime {
            percentile,
            value: worst.and_then(|seconds| Duration::try_from_secs_f64(seconds).ok()),
            window,
        })
    }

    /// Every value `GetMetricData` returns for `queries` over the window ending at `end`,
    /// as (query id, value), every page.
    async fn metric_data(
        &self,
        queries: Vec<cw::MetricDataQuery>,
        window: Duration,
        end: SystemTime,
    ) -> Result<Vec<(String, f64)>, DeployError> {
        let start = end.checked_sub(window).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut values = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(DateTime::from(start))
                .end_time(DateTime::from(end))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    DeployError::aws(&self.stack, "GetMetricData", &self.sites.cloudwatch, e)
                })?;
            for result in out.metric_data_results() {
                if let Some(code) = result.status_code()
                    && matches!(
                        code,
                        cw::StatusCode::Forbidden | cw::StatusCode::InternalError
                    )
                {
                    let said: Vec<&str> =
                        result.messages().iter().filter_map(|m| m.value()).collect();
                    return Err(DeployError::Aws {
                        stack: self.stack.clone(),
                        action: "GetMetricData",
                        code: Some(code.as_str().to_string()),
                        message: if said.is_empty() {
                            format!("no data for {}", result.id().unwrap_or("a query"))
                        } else {
                            said.join("; ")
                        },
                        hint: None,
                        source: None,
                    });
                }
                let id = result.id().unwrap_or_default();
                values.extend(result.values().iter().map(|v| (id.to_string(), *v)));
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(values),
            }
        }
    }

    /// An Auto Scaling group's desired capacity, bounds and instances
    /// (`DescribeAutoScalingGroups`); `None` when there is no group of that name.
    pub async fn group_capacity(&self, name: &str) -> Result<Option<GroupCapacity>, DeployError> {
        let out = self
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .map_err(|e| {
                DeployError::aws(
                    &self.stack,
                    "DescribeAutoScalingGroups",
                    &self.sites.autoscaling,
                    e,
                )
            })?;
        Ok(out
            .auto_scaling_groups()
            .iter()
            .find(|g| g.auto_scaling_group_name() == Some(name))
            .map(|g| GroupCapacity {
                name: name.to_string(),
                desired: g.desired_capacity().unwrap_or_default(),
                min: g.min_size().unwrap_or_default(),
                max: g.max_size().unwrap_or_default(),
                instances: g
                    .instances()
                    .iter()
                    .map(|i| GroupInstance {
                        id: i.instance_id().unwrap_or_default().to_string(),
                        lifecycle_state: i
                            .lifecycle_state()
                            .map(|s| s.as_str())
                            .unwrap_or_default()
                            .to_string(),
                        healthy: i.health_status() == Some("Healthy"),
                    })
                    .collect(),
            }))
    }

    /// A service's deployments, newest first, as ECS lists them
    /// (`ListServiceDeployments`, then `DescribeServiceDeployments` twenty at a time).
    pub async fn service_deployments(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Vec<ServiceDeployment>, DeployError> {
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .ecs
                .list_service_deployments()
                .cluster(cluster)
                .service(service)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    DeployError::aws(&self.stack, "ListServiceDeployments", &self.sites.ecs, e)
                })?;
            arns.extend(
                out.service_deployments()
                    .iter()
                    .filter_map(|d| d.service_deployment_arn().map(String::from)),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        let mut deployments = Vec::new();
        for chunk in arns.chunks(DEPLOYMENTS_PER_CALL) {
            deployments.extend(self.describe_deployments(chunk).await?);
        }
        // In the order ECS listed them, whatever order the descriptions came in.
        deployments.sort_by_key(|d: &ServiceDeployment| arns.iter().position(|a| *a == d.arn));
        Ok(deployments)
    }

    /// One service deployment by its ARN (`DescribeServiceDeployments`); `None` when ECS
    /// does not know it.
    pub async fn service_deployment(
        &self,
        arn: &str,
    ) -> Result<Option<ServiceDeployment>, DeployError> {
        Ok(self
            .describe_deployments(&[arn.to_string()])
            .await?
            .into_iter()
            .next())
    }

    async fn describe_deployments(
        &self,
        arns: &[String],
    ) -> Result<Vec<ServiceDeployment>, DeployError> {
        let out = self
            .ecs
            .describe_service_deployments()
            .set_service_deployment_arns(Some(arns.to_vec()))
            .send()
            .await
            .map_err(|e| {
                DeployError::aws(
                    &self.stack,
                    "DescribeServiceDeployments",
                    &self.sites.ecs,
                    e,
                )
            })?;
        Ok(out
            .service_deployments()
            .iter()
            .map(service_deployment)
            .collect())
    }
}

fn revision(r: &aws_sdk_ecs::types::ServiceRevisionSummary) -> ServiceRevision {
    ServiceRevision {
        arn: r.arn().unwrap_or_default().to_string(),
        requested_tasks: r.requested_task_count(),
        running_tasks: r.running_task_count(),
        pending_tasks: r.pending_task_count(),
        production_traffic_weight: r.requested_production_traffic_weight(),
        test_traffic_weight: r.requested_test_traffic_weight(),
    }
}

fn service_deployment(d: &aws_sdk_ecs::types::ServiceDeployment) -> ServiceDeployment {
    ServiceDeployment {
        arn: d.service_deployment_arn().unwrap_or_default().to_string(),
        status: ServiceDeploymentStatus::parse(d.status().map(|s| s.as_str()).unwrap_or_default()),
        status_reason: d.status_reason().map(String::from),
        lifecycle_stage: d
            .lifecycle_stage()
            .map(|s| LifecycleStage::parse(s.as_str())),
        target: d.target_service_revision().map(revision),
        sources: d.source_service_revisions().iter().map(revision).collect(),
        rollback: d.rollback().map(|r| Rollback {
            reason: r.reason().map(String::from),
            started_at: time(r.started_at()),
            revision: r.service_revision_arn().map(String::from),
        }),
        alarms: d.alarms().map(|a| DeploymentAlarms {
            status: a.status().map(|s| MonitorStatus::parse(s.as_str())),
            names: a.alarm_names().to_vec(),
            triggered: a.triggered_alarm_names().to_vec(),
        }),
        circuit_breaker: d.deployment_circuit_breaker().map(|c| CircuitBreaker {
            status: c.status().map(|s| MonitorStatus::parse(s.as_str())),
            failures: c.failure_count(),
            threshold: c.threshold(),
        }),
        created_at: time(d.created_at()),
        started_at: time(d.started_at()),
        finished_at: time(d.finished_at()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(id: &str, state: &str) -> Target {
        Target {
            id: id.into(),
            port: Some(8080),
            state: TargetState::parse(state),
            reason: None,
            description: None,
        }
    }

    #[test]
    fn target_health_counts_by_state() {
        let health = TargetHealth {
            target_group: "tg".into(),
            targets: vec![
                target("i-1", "healthy"),
                target("i-2", "initial"),
                target("i-3", "unhealthy.draining"),
                target("i-4", "unhealthy"),
                target("i-5", "weird"),
            ],
        };
        assert_eq!(health.healthy(), 1);
        assert_eq!(health.initial(), 1);
        assert_eq!(health.unhealthy(), 2);
        assert_eq!(health.count(&TargetState::Other("weird".into())), 1);
        assert_eq!(
            health
                .not_healthy()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>(),
            ["i-2", "i-3", "i-4", "i-5"]
        );
        assert!(!health.all_healthy(1));
        let all = TargetHealth {
            target_group: "tg".into(),
            targets: vec![target("i-1", "healthy"), target("i-2", "healthy")],
        };
        assert!(all.all_healthy(2));
        assert!(!all.all_healthy(3), "fewer targets than asked for");
        let none = TargetHealth {
            target_group: "tg".into(),
            targets: vec![],
        };
        assert!(!none.all_healthy(1) && none.all_healthy(0));
    }

    #[test]
    fn dimensions_come_from_the_arns() {
        let m = TargetGroupMetrics::from_arns(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/73e2d6bc24d8a067",
        )
        .unwrap();
        assert_eq!(m.load_balancer, "app/web/50dc6c495c0c9188");
        assert_eq!(m.target_group, "targetgroup/blue/73e2d6bc24d8a067");
        let nlb = TargetGroupMetrics::from_arns(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/web/50dc6c495c0c9188",
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/73e2d6bc24d8a067",
        )
        .unwrap_err();
        assert_eq!(
            nlb.to_string(),
            "load balancer ARN \"arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/web/50dc6c495c0c9188\" is not an Application Load Balancer's ARN (…:loadbalancer/app/NAME/ID)"
        );
        assert!(nlb.hint().unwrap().contains("outputs"), "{:?}", nlb.hint());
        let swapped = TargetGroupMetrics::from_arns(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
            "blue",
        )
        .unwrap_err();
        assert!(
            swapped
                .to_string()
                .starts_with("target group ARN \"blue\" is not"),
            "{swapped}"
        );
    }

    #[test]
    fn periods_cover_the_window_in_whole_minutes() {
        assert_eq!(period_for(Duration::from_secs(0)), 60);
        assert_eq!(period_for(Duration::from_secs(1)), 60);
        assert_eq!(period_for(Duration::from_secs(60)), 60);
        assert_eq!(period_for(Duration::from_secs(61)), 120);
        assert_eq!(period_for(Duration::from_secs(15 * 60)), 900);
        assert_eq!(period_for(Duration::MAX), i32::MAX / 60 * 60);
    }

    #[test]
    fn an_error_rate_without_requests_is_no_rate() {
        let quiet = ErrorRate {
            errors: 0.0,
            requests: 0.0,
            window: Duration::from_secs(60),
        };
        assert_eq!(quiet.rate(), None);
        let busy = ErrorRate {
            errors: 3.0,
            requests: 60.0,
            window: Duration::from_secs(60),
        };
        assert_eq!(busy.rate(), Some(0.05));
    }

    #[test]
    fn deployment_statuses_know_when_they_are_over() {
        use ServiceDeploymentStatus as S;
        for s in [
            S::Successful,
            S::Stopped,
            S::RollbackSuccessful,
            S::RollbackFailed,
        ] {
            assert!(s.is_finished(), "{s}");
        }
        for s in [
            S::Pending,
            S::InProgress,
            S::StopRequested,
            S::RollbackRequested,
            S::RollbackInProgress,
        ] {
            assert!(!s.is_finished(), "{s}");
        }
        assert!(S::parse("ROLLBACK_IN_PROGRESS").is_rollback());
        assert!(!S::Successful.is_rollback());
        assert_eq!(S::parse("NEW_ONE"), S::Other("NEW_ONE".into()));
    }
}
