//! Releases through CloudFormation: each step a change set on the deployed template
//! (`UsePreviousTemplate`) that changes the release's parameters only, every other
//! parameter keeping its value (`UsePreviousValue`), judged between steps by the gates.
//!
//! [`Releaser::prepare`] reads the deployed stack (its template, its release description,
//! its parameter values) and works out the [`Plan`], changing nothing;
//! [`Releaser::run`] carries it out, reporting [`ReleaseEvent`]s as it goes. Where the
//! listener moves traffic (the EC2 pair):
//!
//! 1. the idle colour gets the new tag and is scaled up; the marker says a release runs;
//! 2. every registered target of its target group must be healthy, and at least its
//!    group's desired count, within the gates' health timeout;
//! 3. traffic moves step by step (the two colours' `Weight`s), each step baked, the last (100 %)
//!    watched; at each poll the stack's alarms (but the leaving colour's own) and the new
//!    colour's 5xx rate and p99 are read;
//! 4. promotion, one change set: the new colour is live, the idle weight 0, the old colour
//!    scaled to zero, the marker cleared.
//!
//! Any breach rolls back at once: all traffic back on the live colour in one change set,
//! then the new colour scaled to zero and the marker cleared. Where ECS moves traffic (the
//! Fargate service) the image tag is set through CloudFormation and ECS's own blue/green
//! deployment is followed (`DescribeServiceDeployments`) until it succeeds or ECS rolls it
//! back.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_cloudformation::types::{Capability, Parameter};
use indexmap::IndexMap;
use serde_json::Value as Json;

use crate::change_set::ChangeSetKind;
use crate::client::{Cfn, ChangeSetRequest, DeployedStack, TemplateSource};
use crate::deployer::{
    APP_TAG, Activity, Deployer, PendingChangeSet, StackTarget, required_capabilities,
    unique_change_set_name,
};
use crate::error::DeployError;
use crate::gates::{AlarmState, Gates, ServiceDeployment, TargetGroupMetrics};
use crate::release_plan::{
    Breach, Colour, DescriptionError, EcsVerdict, GateReading, ListenerPlan, Marker, Plan,
    PlanError, ReleaseDescription, ReleaseOptions, ReleaseState, SCALED_TO_ZERO, SERVING,
    ecs_verdict, first_breach, gated_alarms, plan,
};
use crate::status::{ChangeSetStatus, StackStatus};

/// How the change sets of a release are named: `stackwright-release-<run>`.
pub const RELEASE_CHANGE_SET: &str = "stackwright-release";

/// Why a release, a rollback or a status could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// A call to AWS, or a change set, failed (boxed: the other variants are small).
    #[error(transparent)]
    Deploy(Box<DeployError>),
    /// The template does not describe the release asked for.
    #[error(transparent)]
    Description(#[from] DescriptionError),
    /// The release cannot start as asked; nothing was changed.
    #[error("{stack}: {source}; nothing was changed")]
    Plan {
        /// The stack.
        stack: String,
        /// Why.
        source: PlanError,
    },
    /// The stack is not deployed.
    #[error("{stack} is not deployed; deploy it before releasing")]
    NotDeployed {
        /// The stack.
        stack: String,
    },
    /// The stack is in a state a change set cannot start from.
    #[error("{stack} is {status}; nothing was changed")]
    NotReady {
        /// The stack.
        stack: String,
        /// Its status.
        status: StackStatus,
    },
    /// The stack's parameters do not hold a release state.
    #[error("{stack}: release {release}: {reason}")]
    BadState {
        /// The stack.
        stack: String,
        /// The release.
        release: String,
        /// What is wrong.
        reason: String,
    },
    /// The stack was not deployed by this app.
    #[error("{stack} was not deployed by {app} (its {APP_TAG} tag says {}); nothing was changed", .owner.as_deref().unwrap_or("nothing"))]
    NotOwned {
        /// The stack.
        stack: String,
        /// This app.
        app: String,
        /// The app its tag names.
        owner: Option<String>,
    },
    /// Alarms the release is gated by are in `ALARM` before it starts.
    #[error("{stack}: {} in ALARM before the release; nothing was changed", describe_alarms(.alarms))]
    AlarmsBefore {
        /// The stack.
        stack: String,
        /// The alarms.
        alarms: Vec<String>,
    },
    /// There is no unfinished release to roll back.
    #[error("{stack}: no release is unfinished; all traffic is on {live} ({tag})")]
    NothingToRollBack {
        /// The stack.
        stack: String,
        /// The live colour (or `the service`).
        live: String,
        /// What it runs.
        tag: String,
        /// The tag the idle colour keeps, the one before (for the hint).
        previous: Option<String>,
    },
    /// A resource the release description names is not in the stack.
    #[error("{stack}: the release's {role} ({logical_id}) is not among the stack's resources")]
    MissingResource {
        /// The stack.
        stack: String,
        /// Its role.
        role: String,
        /// Its logical id.
        logical_id: String,
    },
}

impl From<DeployError> for ReleaseError {
    fn from(e: DeployError) -> Self {
        ReleaseError::Deploy(Box::new(e))
    }
}

fn describe_alarms(alarms: &[String]) -> String {
    if alarms.len() == 1 {
        format!("alarm {} is", alarms[0])
    } else {
        format!("alarms {} are", alarms.join(", "))
    }
}

impl ReleaseError {
    /// What to do next.
    pub fn hint(&self) -> Option<String> {
        match self {
            ReleaseError::Deploy(e) => e.hint(),
            ReleaseError::Plan { source, .. } => source.hint(),
            ReleaseError::AlarmsBefore { .. } => Some(
                "find out why and fix it first: a release judged by an alarm already firing would roll back at once".into(),
            ),
            ReleaseError::NothingToRollBack {
                stack,
                previous: Some(previous),
                ..
            } => Some(format!(
                "to go back to the image before, release it: `release {stack} --image-tag {previous}`"
            )),
            ReleaseError::NotReady { .. } => {
                Some("wait for the stack's operation to end, or fix the stack, then release again".into())
            }
            _ => None,
        }
    }
}

/// A change set a release runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// The new colour gets the tag and is scaled up.
    ScaleUp,
    /// Traffic moves: this percent on the new colour.
    Shift(u8),
    /// The new colour becomes live, the old one is scaled to zero.
    Promote,
    /// All traffic goes back to the live colour.
    TrafficBack,
    /// The new colour is scaled to zero and the marker cleared.
    ScaleDown,
    /// The service gets the tag (ECS deploys it).
    EcsDeploy,
    /// The marker is cleared.
    ClearMarker,
}

/// What a release is doing, for whoever shows progress.
// Events are handed one at a time to a callback, never stored in bulk.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ReleaseEvent {
    /// A change set is being prepared and executed.
    Step {
        /// What it does.
        kind: StepKind,
        /// The marker it writes (empty: cleared).
        marker: String,
    },
    /// The change set would change nothing (a release continued): it was deleted.
    NoChange(StepKind),
    /// An event of the executing change set.
    Stack(Activity),
    /// The new colour's targets.
    Health {
        /// Healthy targets.
        healthy: usize,
        /// Registered targets.
        registered: usize,
        /// The group's desired count.
        desired: usize,
        /// Time left before the health timeout.
        left: Duration,
    },
    /// The gates at one poll of a bake or of the watch.
    Gates {
        /// Percent of traffic on the old colour.
        old_weight: u8,
        /// Percent on the new colour.
        new_weight: u8,
        /// The old colour.
        old: Colour,
        /// The new colour.
        new: Colour,
        /// Each gate's reading.
        readings: Vec<GateReading>,
        /// Time left in the bake (or the watch).
        left: Duration,
        /// The watch at full traffic, rather than a step's bake.
        watching: bool,
    },
    /// ECS's deployment of the service, as it stands.
    Ecs(ServiceDeployment),
    /// A gate failed: rolling back.
    RollingBack(Breach),
}

/// How a release ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ReleaseOutcome {
    /// The new tag serves all traffic.
    Promoted {
        /// The colour now live (`None` with ECS).
        colour: Option<Colour>,
        /// The tag.
        tag: String,
        /// How long the release took.
        elapsed: Duration,
    },
    /// A gate failed and the release was rolled back.
    RolledBack {
        /// Which gate, its value and its threshold.
        breach: Breach,
        /// How long the release took, rollback included.
        elapsed: Duration,
    },
}

/// A release of a stack, as deployed.
#[derive(Debug, Clone)]
pub struct ReleaseStatus {
    /// The stack.
    pub stack: String,
    /// The release, as the template describes it.
    pub description: ReleaseDescription,
    /// Its state.
    pub state: ReleaseState,
}

/// A release worked out, ready to run.
#[derive(Debug, Clone)]
pub struct PreparedRelease {
    target: StackTarget,
    region: String,
    template: Json,
    /// The release and its state before it starts.
    pub status: ReleaseStatus,
    /// What it will do.
    pub plan: Plan,
    /// The alarms (names) that gate it.
    pub alarms: Vec<String>,
}

/// Runs releases. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Releaser {
    deployer: Deployer,
    poll: Duration,
    cfn_poll: Duration,
    max_wait: Duration,
}

/// What a run needs of the stack's resources, looked up once the new colour is up.
struct Resolved {
    gates: Gates,
    target_group: String,
    group: String,
    metrics: Option<TargetGroupMetrics>,
}

impl Releaser {
    /// Reading the gates every 15 seconds (CloudWatch publishes per minute; more often only
    /// costs calls), CloudFormation every 2, waiting up to two hours for another operation
    /// on the stack to end.
    pub fn new(deployer: Deployer) -> Self {
        Releaser {
            deployer,
            poll: Duration::from_secs(15),
            cfn_poll: Duration::from_secs(2),
            max_wait: Duration::from_secs(2 * 60 * 60),
        }
    }

    /// Reads the gates (and follows ECS deployments) at another interval.
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll = every;
        self
    }

    /// Polls CloudFormation (change sets, a busy stack) at another interval; the
    /// deployer's own interval paces the events of an executing change set.
    pub fn cfn_poll_interval(mut self, every: Duration) -> Self {
        self.cfn_poll = every;
        self
    }

    /// How long to wait for another operation on the stack to end.
    pub fn max_wait(mut self, limit: Duration) -> Self {
        self.max_wait = limit;
        self
    }

    async fn read(
        &self,
        target: &StackTarget,
    ) -> Result<(Cfn, String, DeployedStack, Json), ReleaseError> {
        let aws = self.deployer.aws();
        aws.check_settings()?;
        let region = aws.region_for(&target.name, &target.manifest.environment.region)?;
        let cfn = aws.cfn(&region);
        let deployed = cfn
            .describe(&target.name)
            .await?
            .filter(|s| !s.status.holds_no_resources())
            .ok_or_else(|| ReleaseError::NotDeployed {
                stack: target.name.clone(),
            })?;
        let body = cfn.template(&deployed.id).await?;
        let template: Json =
            serde_json::from_str(&body).map_err(|e| DeployError::DeployedTemplateNotJson {
                stack: target.name.clone(),
                reason: e.to_string(),
            })?;
        Ok((cfn, region, deployed, template))
    }

    fn status_of(
        stack: &str,
        template: &Json,
        deployed: &DeployedStack,
        release: Option<&str>,
    ) -> Result<ReleaseStatus, ReleaseError> {
        let description = ReleaseDescription::choose(stack, template, release)?;
        let state = ReleaseState::read(&description, &deployed.parameters).map_err(|reason| {
            ReleaseError::BadState {
                stack: stack.to_string(),
                release: description.prefix.clone(),
                reason,
            }
        })?;
        Ok(ReleaseStatus {
            stack: stack.to_string(),
            description,
            state,
        })
    }

    /// Every release of the deployed stack and its state.
    pub async fn status(&self, target: &StackTarget) -> Result<Vec<ReleaseStatus>, ReleaseError> {
        let (_, _, deployed, template) = self.read(target).await?;
        ReleaseDescription::all(&target.name, &template)?
            .iter()
            .map(|d| Self::status_of(&target.name, &template, &deployed, Some(&d.prefix)))
            .collect()
    }

    /// Reads the deployed stack and works out the release (`release` names one when the
    /// stack has several), changing nothing. Refuses a stack another app deployed, a busy
    /// or failed stack, an unfinished release of another tag, and a release whose gating
    /// alarms already fire.
    pub async fn prepare(
        &self,
        target: &StackTarget,
        release: Option<&str>,
        options: &ReleaseOptions,
    ) -> Result<PreparedRelease, ReleaseError> {
        let (_, region, deployed, template) = self.read(target).await?;
        self.check_ready(&target.name, &deployed)?;
        let status = Self::status_of(&target.name, &template, &deployed, release)?;
        let plan = plan(&status.description, &status.state, options).map_err(|source| {
            ReleaseError::Plan {
                stack: target.name.clone(),
                source,
            }
        })?;
        let mut prepared = PreparedRelease {
            target: Self::kept_as_deployed(target, &deployed),
            region,
            template,
            status,
            plan,
            alarms: Vec::new(),
        };
        if let Some(l) = &prepared.plan.listener {
            let cfn = self.deployer.aws().cfn(&prepared.region);
            let physical = cfn.resources(&deployed.id).await?;
            prepared.alarms = alarm_names(&prepared, l.from, l.to, &physical);
            let gates = self.gates(&prepared);
            let firing: Vec<String> = gates
                .alarms(&prepared.alarms)
                .await?
                .in_alarm()
                .map(|a| a.name.clone())
                .collect();
            if !firing.is_empty() {
                return Err(ReleaseError::AlarmsBefore {
                    stack: target.name.clone(),
                    alarms: firing,
                });
            }
        }
        Ok(prepared)
    }

    fn check_ready(&self, stack: &str, deployed: &DeployedStack) -> Result<(), ReleaseError> {
        let owner = deployed.tags.get(APP_TAG);
        if owner.map(String::as_str) != Some(self.deployer.app()) {
            return Err(ReleaseError::NotOwned {
                stack: stack.to_string(),
                app: self.deployer.app().to_string(),
                owner: owner.cloned(),
            });
        }
        // A busy stack is waited for before each change set.
        if !deployed.status.is_updatable() && !deployed.status.is_busy() {
            return Err(ReleaseError::NotReady {
                stack: stack.to_string(),
                status: deployed.status.clone(),
            });
        }
        Ok(())
    }

    /// The stack target as the release executes change sets for it: termination protection
    /// is left as deployed (a release changes release parameters, nothing else).
    fn kept_as_deployed(target: &StackTarget, deployed: &DeployedStack) -> StackTarget {
        let mut t = target.clone();
        t.manifest.termination_protection = deployed.termination_protection;
        t
    }

    fn gates(&self, p: &PreparedRelease) -> Gates {
        self.deployer.aws().gates(&p.target.name, &p.region)
    }

    /// Carries out a prepared release.
    pub async fn run(
        &self,
        p: &PreparedRelease,
        on: &mut dyn FnMut(ReleaseEvent),
    ) -> Result<ReleaseOutcome, ReleaseError> {
        match &p.plan.listener {
            Some(l) => self.run_listener(p, l, on).await,
            None => self.run_ecs(p, on).await,
        }
    }

    async fn run_listener(
        &self,
        p: &PreparedRelease,
        l: &ListenerPlan,
        on: &mut dyn FnMut(ReleaseEvent),
    ) -> Result<ReleaseOutcome, ReleaseError> {
        let started = Instant::now();
        let d = &p.status.description;
        let (from, to) = (l.from, l.to);
        let tag = &p.plan.image_tag;
        let marker = |doing: String| {
            Marker {
                tag: tag.clone(),
                colour: Some(to),
                doing,
            }
            .to_string()
        };
        let state = d.parameter("State");
        self.step(
            p,
            StepKind::ScaleUp,
            &[
                (d.tag_parameter(to), tag.clone()),
                (d.capacity_parameter(to), SERVING.into()),
                (state, marker("scaling up".into())),
            ],
            on,
        )
        .await?;
        let r = self.resolve(p, to).await?;
        let mut weight = l.current_weight;
        let breach = match self.wait_healthy(p, &r, on).await? {
            Some(b) => Some(b),
            None => {
                let mut breach = None;
                let shifted = Instant::now();
                for &step in &l.steps {
                    if step != weight {
                        self.step(
                            p,
                            StepKind::Shift(step),
                            &[
                                (d.weight_parameter(to), step.to_string()),
                                (d.weight_parameter(from), (100 - step).to_string()),
                                (state, marker(format!("{step}% on {to}"))),
                            ],
                            on,
                        )
                        .await?;
                        weight = step;
                    }
                    let (length, watching) = if step == 100 {
                        (p.plan.thresholds.watch, true)
                    } else {
                        (p.plan.thresholds.bake, false)
                    };
                    breach = self
                        .bake(p, &r, from, to, step, length, watching, shifted, on)
                        .await?;
                    if breach.is_some() {
                        break;
                    }
                }
                breach
            }
        };
        if let Some(breach) = breach {
            on(ReleaseEvent::RollingBack(breach.clone()));
            self.roll_back_listener(p, to, weight, tag, on).await?;
            return Ok(ReleaseOutcome::RolledBack {
                breach,
                elapsed: started.elapsed(),
            });
        }
        self.step(
            p,
            StepKind::Promote,
            &[
                (d.parameter("Live"), to.name().into()),
                (d.weight_parameter(to), "100".into()),
                (d.weight_parameter(from), "0".into()),
                (d.capacity_parameter(from), SCALED_TO_ZERO.into()),
                (state, String::new()),
            ],
            on,
        )
        .await?;
        Ok(ReleaseOutcome::Promoted {
            colour: Some(to),
            tag: tag.clone(),
            elapsed: started.elapsed(),
        })
    }

    /// All traffic back on the live colour (one change set, when the new colour has
    /// any), then the new colour scaled to zero with the marker cleared.
    async fn roll_back_listener(
        &self,
        p: &PreparedRelease,
        new: Colour,
        weight: u8,
        tag: &str,
        on: &mut dyn FnMut(ReleaseEvent),
    ) -> Result<(), ReleaseError> {
        let d = &p.status.description;
        if weight > 0 {
            let marker = Marker {
                tag: tag.to_string(),
                colour: Some(new),
                doing: "rolling back".into(),
            };
            self.step(
                p,
                StepKind::TrafficBack,
                &[
                    (d.weight_parameter(new), "0".into()),
                    (d.weight_parameter(new.other()), "100".into()),
                    (d.parameter("State"), marker.to_string()),
                ],
                on,
            )
            .await?;
        }
        self.step(
            p,
            StepKind::ScaleDown,
            &[
                (d.capacity_parameter(new), SCALED_TO_ZERO.into()),
                (d.parameter("State"), String::new()),
            ],
            on,
        )
        .await
    }

    /// Puts all traffic back on the live colour and scales the idle one to zero, clearing
    /// the marker (`release --rollback`, or after an interruption). With ECS, clears the
    /// marker of a release whose deployment has ended; ECS rolls its deployments back
    /// itself.
    pub async fn rollback(
        &self,
        target: &StackTarget,
        release: Option<&str>,
        on: &mut dyn FnMut(ReleaseEvent),
    ) -> Result<ReleaseStatus, ReleaseError> {
        let (cfn, region, deployed, template) = self.read(target).await?;
        let deployed = match self.settled(&cfn, &deployed).await? {
            Some(d) => d,
            None => {
                return Err(ReleaseError::NotDeployed {
                    stack: target.name.clone(),
                });
            }
        };
        self.check_ready(&target.name, &deployed)?;
        let status = Self::status_of(&target.name, &template, &deployed, release)?;
        let p = PreparedRelease {
            target: Self::kept_as_deployed(target, &deployed),
            region,
            template,
            plan: Plan {
                release: status.description.prefix.clone(),
                image_tag: String::new(),
                previous_tag: String::new(),
                strategy: crate::release_plan::Strategy::AllAtOnce,
                listener: None,
                thresholds: status.description.gates.clone(),
                resumed: false,
            },
            status,
            alarms: Vec::new(),
        };
        match &p.status.state {
            ReleaseState::Listener {
                live,
                idle_weight,
                blue,
                green,
                marker,
            } => {
                let idle = live.other();
                let idle_state = if idle == Colour::Blue { blue } else { green };
                let live_state = if *live == Colour::Blue { blue } else { green };
                if marker.is_none() && *idle_weight == 0 && !idle_state.serving {
                    return Err(ReleaseError::NothingToRollBack {
                        stack: target.name.clone(),
                        live: live.name().into(),
                        tag: live_state.image_tag.clone(),
                        previous: (idle_state.image_tag != live_state.image_tag)
                            .then(|| idle_state.image_tag.clone()),
                    });
                }
                let tag = marker
                    .as_ref()
                    .map(|m| m.tag.clone())
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| idle_state.image_tag.clone());
                self.roll_back_listener(&p, idle, *idle_weight, &tag, on)
                    .await?;
            }
            ReleaseState::Ecs { image_tag, marker } => {
                if marker.is_none() {
                    return Err(ReleaseError::NothingToRollBack {
                        stack: target.name.clone(),
                        live: "the service".into(),
                        tag: image_tag.clone(),
                        previous: None,
                    });
                }
                self.step(
                    &p,
                    StepKind::ClearMarker,
                    &[(p.status.description.parameter("State"), String::new())],
                    on,
                )
                .await?;
            }
        }
        let (_, _, deployed, template) = self.read(target).await?;
        Self::status_of(&target.name, &template, &deployed, release)
    }

    async fn run_ecs(
        &self,
        p: &PreparedRelease,
        on: &mut dyn FnMut(ReleaseEvent),
    ) -> Result<ReleaseOutcome, ReleaseError> {
        let started = Instant::now();
        let d = &p.status.description;
        let tag = &p.plan.image_tag;
        let cfn = self.deployer.aws().cfn(&p.region);
        let physical = cfn.resources(&p.target.name).await?;
        let service = physical_of(p, &physical, "Service")?;
        let cluster = service_cluster(&service);
        let gates = self.gates(p);
        let marker = Marker {
            tag: tag.clone(),
            colour: None,
            doing: "ECS deploying".into(),
        };
        let before: Vec<String> = match &cluster {
            Some(c) => gates
                .service_deployments(c, &service)
                .await?
                .into_iter()
                .map(|d| d.arn)
                .collect(),
            None => Vec::new(),
        };
        let follow = |deployments: Vec<ServiceDeployment>| {
            deployments.into_iter().find(|x| !before.contains(&x.arn))
        };
        let result = self
            .step_following(
                p,
                StepKind::EcsDeploy,
                &[
                    (d.parameter("ImageTag"), tag.clone()),
                    (d.parameter("State"), marker.to_string()),
                ],
                on,
                Some((&gates, cluster.as_deref(), &service)),
            )
            .await;
        let newest = match &cluster {
            Some(c) => follow(gates.service_deployments(c, &service).await?),
            None => None,
        };
        let verdict = newest.as_ref().map(ecs_verdict);
        if let Some(n) = newest {
            on(ReleaseEvent::Ecs(n));
        }
        match (result, verdict) {
            (Ok(()), Some(EcsVerdict::RolledBack(reason))) => {
                // ECS put the old revision back while the stack says the new tag: the
                // stack follows, so that what it says is what runs.
                let breach = Breach::Ecs { reason };
                on(ReleaseEvent::RollingBack(breach.clone()));
                self.step(
                    p,
                    StepKind::ClearMarker,
                    &[
                        (d.parameter("ImageTag"), p.plan.previous_tag.clone()),
                        (d.parameter("State"), String::new()),
                    ],
                    on,
                )
                .await?;
                Ok(ReleaseOutcome::RolledBack {
                    breach,
                    elapsed: started.elapsed(),
                })
            }
            (Ok(()), _) => {
                self.step(
                    p,
                    StepKind::ClearMarker,
                    &[(d.parameter("State"), String::new())],
                    on,
                )
                .await?;
                Ok(ReleaseOutcome::Promoted {
                    colour: None,
                    tag: tag.clone(),
                    elapsed: started.elapsed(),
                })
            }
            // CloudFormation rolled the update back (tag and marker with it) because ECS
            // did: the release was rolled back.
            (Err(ReleaseError::Deploy(e)), Some(EcsVerdict::RolledBack(reason)))
                if matches!(*e, DeployError::Failed { .. }) =>
            {
                let breach = Breach::Ecs { reason };
                on(ReleaseEvent::RollingBack(breach.clone()));
                Ok(ReleaseOutcome::RolledBack {
                    breach,
                    elapsed: started.elapsed(),
                })
            }
            (Err(e), _) => Err(e),
        }
    }

    /// Physical ids the run needs, once the new colour is up (a replaced group has a new
    /// name).
    async fn resolve(&self, p: &PreparedRelease, to: Colour) -> Result<Resolved, ReleaseError> {
        let cfn = self.deployer.aws().cfn(&p.region);
        let physical = cfn.resources(&p.target.name).await?;
        let target_group = physical_of(p, &physical, &format!("{}TargetGroup", to.name()))?;
        let group = physical_of(p, &physical, &format!("{}AutoScalingGroup", to.name()))?;
        // The listener names its load balancer; the metrics are per load balancer and
        // target group together.
        let listener = p.status.description.resource("Listener");
        let metrics = p.template["Resources"][listener]["Properties"]["LoadBalancerArn"]["Ref"]
            .as_str()
            .and_then(|lb| physical.get(lb))
            .and_then(|lb| TargetGroupMetrics::from_arns(lb, &target_group).ok());
        Ok(Resolved {
            gates: self.gates(p),
            target_group,
            group,
            metrics,
        })
    }

    /// Waits for every registered target of the new colour to be healthy, at least its
    /// group's desired count; the breach when the health timeout passes first.
    async fn wait_healthy(
        &self,
        p: &PreparedRelease,
        r: &Resolved,
        on: &mut dyn FnMut(ReleaseEvent),
    ) -> Result<Option<Breach>, ReleaseError> {
        let timeout = p.plan.thresholds.health_timeout;
        let started = Instant::now();
        loop {
            let desired = r
                .gates
                .group_capacity(&r.group)
                .await?
                .map_or(0, |g| usize::try_from(g.desired).unwrap_or(0));
            let health = r.gates.target_health(&r.target_group).await?;
            let left = timeout.saturating_sub(started.elapsed());
            on(ReleaseEvent::Health {
                healthy: health.healthy(),
                registered: health.targets.len(),
                desired,
                left,
            });
            if desired > 0 && health.all_healthy(desired) {
                return Ok(None);
            }
            if left.is_zero() {
                return Ok(Some(Breach::Unhealthy {
                    healthy: health.healthy(),
                    registered: health.targets.len(),
                    desired,
                    waited: started.elapsed(),
                }));
            }
            tokio::time::sleep(self.poll.min(left)).await;
        }
    }

    /// Watches one step for `length`, reading the gates at each poll; the first breach.
    #[allow(clippy::too_many_arguments)]
    async fn bake(
        &self,
        p: &PreparedRelease,
        r: &Resolved,
        old: Colour,
        new: Colour,
        weight: u8,
        length: Duration,
        watching: bool,
        shifted: Instant,
        on: &mut dyn FnMut(ReleaseEvent),
    ) -> Result<Option<Breach>, ReleaseError> {
        let started = Instant::now();
        loop {
            let readings = self.read_gates(p, r, shifted).await?;
            let left = length.saturating_sub(started.elapsed());
            let breach = first_breach(&readings);
            on(ReleaseEvent::Gates {
                old_weight: 100 - weight,
                new_weight: weight,
                old,
                new,
                readings,
                left,
                watching,
            });
            if breach.is_some() || left.is_zero() {
                return Ok(breach);
            }
            tokio::time::sleep(self.poll.min(left)).await;
        }
    }

    /// The alarms' states and the new colour's 5xx rate and p99 since traffic first
    /// reached it (at most the gates' evaluation window, at least a minute).
    async fn read_gates(
        &self,
        p: &PreparedRelease,
        r: &Resolved,
        shifted: Instant,
    ) -> Result<Vec<GateReading>, ReleaseError> {
        let t = &p.plan.thresholds;
        let mut readings: Vec<GateReading> = r
            .gates
            .alarms(&p.alarms)
            .await?
            .alarms
            .into_iter()
            .map(|a| GateReading::Alarm {
                name: a.name,
                state: a.state,
                reason: a.reason,
            })
            .collect();
        if let Some(m) = &r.metrics {
            let longest = Duration::from_secs(60 * u64::from(t.evaluation_minutes.max(1)));
            let window = shifted.elapsed().max(Duration::from_secs(60)).min(longest);
            let now = SystemTime::now();
            let rate = r.gates.error_rate(m, window, now).await?;
            readings.push(GateReading::ErrorRate {
                percent: rate.rate().map(|x| x * 100.0),
                requests: rate.requests,
                max_percent: t.max_5xx_rate_percent,
            });
            let p99 = r.gates.response_time(m, 99.0, window, now).await?;
            readings.push(GateReading::P99 {
                value: p99.value,
                max: t.max_p99,
            });
        }
        // Alarms in ALARM first, so the breach reported is the one an operator set or
        // CloudWatch raised; otherwise in the order read.
        readings.sort_by_key(|g| {
            !matches!(
                g,
                GateReading::Alarm {
                    state: AlarmState::Alarm,
                    ..
                }
            )
        });
        Ok(readings)
    }

    async fn step(
        &self,
        p: &PreparedRelease,
        kind: StepKind,
        changes: &[(&str, String)],
        on: &mut dyn FnMut(ReleaseEvent),
    ) -> Result<(), ReleaseError> {
        self.step_following(p, kind, changes, on, None).await
    }

    /// One change set on the deployed template changing `changes` (parameter id, value),
    /// every other parameter keeping its value; executed and watched to the end. While it
    /// runs, `ecs` (the gates, the cluster and the service) is followed at each poll.
    async fn step_following(
        &self,
        p: &PreparedRelease,
        kind: StepKind,
        changes: &[(&str, String)],
        on: &mut dyn FnMut(ReleaseEvent),
        ecs: Option<(&Gates, Option<&str>, &str)>,
    ) -> Result<(), ReleaseError> {
        let marker = changes
            .iter()
            .find(|(id, _)| *id == p.status.description.parameter("State"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        on(ReleaseEvent::Step {
            kind: kind.clone(),
            marker: marker.clone(),
        });
        let cfn = self.deployer.aws().cfn(&p.region);
        let now = cfn
            .describe(&p.target.name)
            .await?
            .ok_or_else(|| ReleaseError::NotDeployed {
                stack: p.target.name.clone(),
            })?;
        let deployed =
            self.settled(&cfn, &now)
                .await?
                .ok_or_else(|| ReleaseError::NotDeployed {
                    stack: p.target.name.clone(),
                })?;
        if !deployed.status.is_updatable() {
            return Err(ReleaseError::NotReady {
                stack: p.target.name.clone(),
                status: deployed.status,
            });
        }
        let parameters = release_parameters(&p.template, changes, &deployed);
        let name = unique_change_set_name(RELEASE_CHANGE_SET);
        let description = format!(
            "stackwright release of {}: {}",
            p.target.name,
            if marker.is_empty() {
                "release finished"
            } else {
                &marker
            }
        );
        let (cs_id, stack_id) = cfn
            .create_change_set(ChangeSetRequest {
                stack: &p.target.name,
                name: &name,
                kind: ChangeSetKind::Update,
                template: TemplateSource::Previous,
                parameters,
                capabilities: required_capabilities(&p.template)
                    .into_iter()
                    .map(Capability::from)
                    .collect(),
                tags: &deployed.tags,
                role_arn: None,
                notification_arns: None,
                description: &description,
            })
            .await?;
        let cs = cfn
            .wait_change_set(&stack_id, &cs_id, ChangeSetKind::Update, self.cfn_poll)
            .await?;
        if cs.has_no_changes() {
            cfn.delete_change_set(&stack_id, &cs.id).await?;
            on(ReleaseEvent::NoChange(kind));
            return Ok(());
        }
        if cs.status != ChangeSetStatus::CreateComplete {
            let _ = cfn.delete_change_set(&stack_id, &cs.id).await;
            return Err(DeployError::ChangeSetFailed {
                stack: p.target.name.clone(),
                reason: cs.status_reason.unwrap_or_else(|| cs.status.to_string()),
            }
            .into());
        }
        let pending = PendingChangeSet {
            change_set: cs,
            region: p.region.clone(),
            recreated: None,
            deployed: Some(deployed),
        };
        let mut exec = self.deployer.execute(&p.target, &pending).await?;
        let mut next_look = Instant::now();
        loop {
            let event = match ecs {
                Some((gates, Some(cluster), service)) => {
                    let wait = next_look.saturating_duration_since(Instant::now());
                    tokio::select! {
                        e = exec.next() => e,
                        () = tokio::time::sleep(wait) => {
                            next_look = Instant::now() + self.poll;
                            if let Some(newest) = gates
                                .service_deployments(cluster, service)
                                .await?
                                .into_iter()
                                .next()
                            {
                                on(ReleaseEvent::Ecs(newest));
                            }
                            continue;
                        }
                    }
                }
                _ => exec.next().await,
            };
            match event {
                Some(e) => {
                    let e = e?;
                    on(ReleaseEvent::Stack(exec.activity(e)));
                }
                None => break,
            }
        }
        exec.finish().await?;
        Ok(())
    }

    /// The stack once no operation runs on it; `None` if it went.
    async fn settled(
        &self,
        cfn: &Cfn,
        deployed: &DeployedStack,
    ) -> Result<Option<DeployedStack>, ReleaseError> {
        let started = Instant::now();
        let mut s = deployed.clone();
        while s.status.is_busy() {
            if started.elapsed() >= self.max_wait {
                return Err(DeployError::StillBusy {
                    stack: s.name.clone(),
                    status: s.status,
                    waited: started.elapsed(),
                }
                .into());
            }
            tokio::time::sleep(self.cfn_poll).await;
            match cfn.describe(&deployed.id).await? {
                Some(next) => s = next,
                None => return Ok(None),
            }
        }
        Ok((s.status != StackStatus::DeleteComplete).then_some(s))
    }
}

/// The parameters of a release step: the changed ones with their values, every other one
/// the stack has `UsePreviousValue`.
fn release_parameters(
    template: &Json,
    changes: &[(&str, String)],
    deployed: &DeployedStack,
) -> Vec<Parameter> {
    let declared = template
        .get("Parameters")
        .and_then(Json::as_object)
        .map(|p| p.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    declared
        .iter()
        .filter_map(|key| match changes.iter().find(|(id, _)| id == key) {
            Some((_, value)) => Some(
                Parameter::builder()
                    .parameter_key(key)
                    .parameter_value(value)
                    .build(),
            ),
            None => deployed.parameters.contains_key(key).then(|| {
                Parameter::builder()
                    .parameter_key(key)
                    .use_previous_value(true)
                    .build()
            }),
        })
        .collect()
}

/// The physical id of the release's resource `role`.
fn physical_of(
    p: &PreparedRelease,
    physical: &IndexMap<String, String>,
    role: &str,
) -> Result<String, ReleaseError> {
    let id = p.status.description.resource(role);
    physical
        .get(id)
        .cloned()
        .ok_or_else(|| ReleaseError::MissingResource {
            stack: p.target.name.clone(),
            role: role.to_string(),
            logical_id: id.to_string(),
        })
}

/// The names of the alarms that gate a release from `from` to `to`.
fn alarm_names(
    p: &PreparedRelease,
    from: Colour,
    to: Colour,
    physical: &IndexMap<String, String>,
) -> Vec<String> {
    let d = &p.status.description;
    let alarms: Vec<(&str, &Json)> = p
        .template
        .get("Resources")
        .and_then(Json::as_object)
        .map(|r| {
            r.iter()
                .filter(|(_, v)| {
                    matches!(
                        v.get("Type").and_then(Json::as_str),
                        Some("AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm")
                    )
                })
                .map(|(k, v)| (k.as_str(), v.get("Properties").unwrap_or(&Json::Null)))
                .collect()
        })
        .unwrap_or_default();
    let ids = |c: Colour| {
        [
            d.resource(&format!("{}TargetGroup", c.name())),
            d.resource(&format!("{}AutoScalingGroup", c.name())),
        ]
    };
    gated_alarms(&alarms, ids(from), ids(to))
        .into_iter()
        .filter_map(|id| physical.get(id).cloned())
        .collect()
}

/// The cluster of a service ARN (`arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME`).
fn service_cluster(service_arn: &str) -> Option<String> {
    let resource = service_arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    (parts.next()? == "service")
        .then(|| parts.next().map(String::from))
        .flatten()
        .filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_services_arn_names_its_cluster() {
        assert_eq!(
            service_cluster("arn:aws:ecs:us-east-1:123456789012:service/Prod/api").as_deref(),
            Some("Prod")
        );
        assert_eq!(service_cluster("api"), None);
        assert_eq!(
            service_cluster("arn:aws:ecs:us-east-1:123456789012:task/Prod/1"),
            None
        );
    }

    #[test]
    fn a_step_changes_its_parameters_and_keeps_every_other() {
        let template = serde_json::json!({"Parameters": {"A": {}, "B": {}, "New": {}}});
        let deployed = DeployedStack {
            name: "S".into(),
            id: "arn".into(),
            status: StackStatus::UpdateComplete,
            status_reason: None,
            outputs: IndexMap::new(),
            parameters: [("A", "1"), ("B", "2")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            termination_protection: false,
            tags: IndexMap::new(),
            exports: vec![],
        };
        let sent = release_parameters(&template, &[("B", "3".into())], &deployed);
        let shown: Vec<(String, Option<String>, Option<bool>)> = sent
            .iter()
            .map(|p| {
                (
                    p.parameter_key().unwrap_or_default().to_string(),
                    p.parameter_value().map(String::from),
                    p.use_previous_value(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("A".to_string(), None, Some(true)),
                ("B".to_string(), Some("3".to_string()), None),
            ],
            "a parameter the stack has no value for (New) takes its default"
        );
    }
}
