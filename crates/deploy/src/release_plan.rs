//! What a release will do, worked out from the deployed stack alone, without AWS: the
//! template's description of its releases (its top-level `Metadata`, key
//! [`METADATA_KEY`]), the release state its parameters hold, the release marker, and the
//! [`Plan`] computed from that state and the [`ReleaseOptions`]. Deciding whether a gate's
//! reading fails the release ([`GateReading::breached`]) lives here too, so every decision
//! is a plain function over values.
//!
//! The template's side is `stackwright_constructs::release`: its parameter values
//! (`Blue`/`Green`, `Serving`/`ScaledToZero`) and the description's keys are repeated here
//! because deploy does not depend on the constructs; the end-to-end tests deploy a template
//! the constructs write and release it, so the two cannot drift apart unnoticed.

use std::fmt;
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value as Json;

use crate::gates::AlarmState;

/// A colour at the fleet's capacity (`BlueCapacity`/`GreenCapacity`).
pub const SERVING: &str = "Serving";
/// A colour with no instances.
pub const SCALED_TO_ZERO: &str = "ScaledToZero";
/// The default steps of a linear release: percent of traffic on the new colour.
pub const LINEAR_STEPS: [u8; 5] = [5, 25, 50, 75, 100];
/// The default steps of a canary release.
pub const CANARY_STEPS: [u8; 2] = [5, 100];

pub use crate::release_state::{
    Colour, DescriptionError, METADATA_KEY, ReleaseDescription, Thresholds, TrafficMover,
};

/// The release marker (the `State` parameter): empty between releases, else what the
/// unfinished release is doing, one line:
/// `Releasing TAG on COLOUR: DOING` (`Releasing TAG: DOING` with ECS). A tag has neither
/// spaces nor colons, so the line reads back unambiguously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// The image tag being released.
    pub tag: String,
    /// The colour it goes to (`None` with ECS, which picks its own).
    pub colour: Option<Colour>,
    /// What the release is doing (`scaling up`, `25% on Green`, `rolling back`).
    pub doing: String,
}

impl Marker {
    /// Reads a `State` value: `None` when empty (no release unfinished). A value this
    /// format does not describe (written by hand) is an unfinished release of unknown
    /// tag: `tag` is empty and `doing` holds the text.
    pub fn parse(value: &str) -> Option<Marker> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        let parsed = value.strip_prefix("Releasing ").and_then(|rest| {
            let (head, doing) = rest.split_once(": ")?;
            let (tag, colour) = match head.split_once(" on ") {
                Some((tag, colour)) => (tag, Some(Colour::parse(colour)?)),
                None => (head, None),
            };
            (!tag.is_empty() && !tag.contains(' ')).then(|| Marker {
                tag: tag.to_string(),
                colour,
                doing: doing.to_string(),
            })
        });
        Some(parsed.unwrap_or_else(|| Marker {
            tag: String::new(),
            colour: None,
            doing: value.to_string(),
        }))
    }
}

impl fmt::Display for Marker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.colour {
            Some(c) => write!(f, "Releasing {} on {c}: {}", self.tag, self.doing),
            None => write!(f, "Releasing {}: {}", self.tag, self.doing),
        }
    }
}

/// What one colour runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColourState {
    /// Its image tag.
    pub image_tag: String,
    /// Whether it runs at the fleet's capacity.
    pub serving: bool,
}

/// The release state a stack's parameters hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseState {
    /// The listener moves traffic.
    Listener {
        /// The live colour.
        live: Colour,
        /// Percent of traffic on the idle colour.
        idle_weight: u8,
        /// Blue.
        blue: ColourState,
        /// Green.
        green: ColourState,
        /// An unfinished release.
        marker: Option<Marker>,
    },
    /// ECS moves traffic; the stack holds the image tag.
    Ecs {
        /// The service's image tag.
        image_tag: String,
        /// An unfinished release.
        marker: Option<Marker>,
    },
}

impl ReleaseState {
    /// The state `parameters` (a stack's values by key) hold for `release`; the error
    /// names the parameter missing or out of its domain.
    pub fn read(
        release: &ReleaseDescription,
        parameters: &IndexMap<String, String>,
    ) -> Result<ReleaseState, String> {
        let value = |role: &str| -> Result<&str, String> {
            let id = release.parameter(role);
            parameters
                .get(id)
                .map(String::as_str)
                .ok_or_else(|| format!("the stack has no value for its parameter {id}"))
        };
        let marker = Marker::parse(value("State")?);
        Ok(match release.traffic {
            TrafficMover::Ecs => ReleaseState::Ecs {
                image_tag: value("ImageTag")?.to_string(),
                marker,
            },
            TrafficMover::Listener => {
                let live = value("Live")?;
                let live = Colour::parse(live).ok_or_else(|| {
                    format!(
                        "its parameter {} is {live:?}, not Blue or Green",
                        release.parameter("Live")
                    )
                })?;
                // The idle colour's share is the weight of the colour `Live` does not
                // name; the live colour's is what is left (the constructs keep the two
                // parameters summing to 100, and a release writes both).
                let idle = live.other();
                let weight = value(&format!("{}Weight", idle.name()))?;
                let idle_weight = weight
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|w| *w <= 100)
                    .ok_or_else(|| {
                        format!(
                            "its parameter {} is {weight:?}, not a whole percent",
                            release.weight_parameter(idle)
                        )
                    })?;
                let colour = |c: Colour| -> Result<ColourState, String> {
                    let capacity = value(&format!("{}Capacity", c.name()))?;
                    Ok(ColourState {
                        image_tag: value(&format!("{}ImageTag", c.name()))?.to_string(),
                        serving: match capacity {
                            SERVING => true,
                            SCALED_TO_ZERO => false,
                            other => {
                                return Err(format!(
                                    "its parameter {} is {other:?}, not {SERVING} or {SCALED_TO_ZERO}",
                                    release.capacity_parameter(c)
                                ));
                            }
                        },
                    })
                };
                ReleaseState::Listener {
                    live,
                    idle_weight,
                    blue: colour(Colour::Blue)?,
                    green: colour(Colour::Green)?,
                    marker,
                }
            }
        })
    }

    /// The unfinished release, if any.
    pub fn marker(&self) -> Option<&Marker> {
        match self {
            ReleaseState::Listener { marker, .. } | ReleaseState::Ecs { marker, .. } => {
                marker.as_ref()
            }
        }
    }
}

/// How traffic moves to the new colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// All of it in one step.
    AllAtOnce,
    /// In steps (default 5, 25, 50, 75, 100 %), each baked.
    Linear,
    /// A small share first, baked, then the rest (default 5 then 100 %).
    Canary,
}

impl Strategy {
    /// `all-at-once`, `linear` or `canary`, as the command line writes it.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::AllAtOnce => "all-at-once",
            Strategy::Linear => "linear",
            Strategy::Canary => "canary",
        }
    }
}

/// What the release is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseOptions {
    /// The image tag to release.
    pub image_tag: String,
    /// How traffic moves.
    pub strategy: Strategy,
    /// Percent of traffic on the new colour at each step, ending at 100; `None`: the
    /// strategy's default.
    pub steps: Option<Vec<u8>>,
    /// How long each step is watched; `None`: the template's gates.
    pub bake: Option<Duration>,
    /// How long full traffic is watched before promotion; `None`: the template's gates.
    pub watch: Option<Duration>,
    /// The 5xx-rate threshold in percent; `None`: the template's gates.
    pub max_5xx_rate_percent: Option<f64>,
    /// The p99 threshold; `None`: the template's gates.
    pub max_p99: Option<Duration>,
}

impl ReleaseOptions {
    /// `image_tag`, all at once, by the template's gates.
    pub fn new(image_tag: impl Into<String>) -> Self {
        ReleaseOptions {
            image_tag: image_tag.into(),
            strategy: Strategy::AllAtOnce,
            steps: None,
            bake: None,
            watch: None,
            max_5xx_rate_percent: None,
            max_p99: None,
        }
    }
}

/// Why a release cannot start; nothing was changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The steps are not a way to 100 %.
    #[error("steps {steps:?}: {problem}")]
    BadSteps {
        /// The steps given.
        steps: Vec<u8>,
        /// What is wrong.
        problem: String,
    },
    /// A threshold out of its domain.
    #[error("{what} {value} is not {expected}")]
    BadThreshold {
        /// Which.
        what: &'static str,
        /// As given.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// Not an ECR image tag.
    #[error(
        "image tag {0:?} is not an ECR tag (up to 128 letters, digits, '_', '.' and '-', starting with a letter, digit or '_')"
    )]
    BadTag(String),
    /// Another release is unfinished.
    #[error("a release is unfinished: {marker}")]
    Unfinished {
        /// Its marker.
        marker: String,
        /// The tag it releases, when the marker says.
        tag: Option<String>,
    },
    /// The idle colour takes traffic, yet no release is marked.
    #[error("the idle colour {idle} takes {weight}% of the traffic, but no release is marked")]
    IdleTakesTraffic {
        /// The idle colour.
        idle: Colour,
        /// Its weight.
        weight: u8,
    },
    /// The tag already serves production.
    #[error("{tag} is already live (on {colour})")]
    AlreadyLive {
        /// The tag.
        tag: String,
        /// Where.
        colour: String,
    },
    /// An option ECS's own deployments cannot follow.
    #[error("{option} is not supported where ECS moves traffic: {why}")]
    NotForEcs {
        /// The option.
        option: &'static str,
        /// What is supported instead.
        why: String,
    },
}

impl PlanError {
    /// What to do next.
    pub fn hint(&self) -> Option<String> {
        match self {
            PlanError::Unfinished { tag: Some(tag), .. } => Some(format!(
                "continue it with --image-tag {tag}, or put all traffic back on the live colour with --rollback"
            )),
            PlanError::Unfinished { tag: None, .. } | PlanError::IdleTakesTraffic { .. } => {
                Some("put all traffic back on the live colour with --rollback first".into())
            }
            PlanError::AlreadyLive { .. } => Some("push a new tag and release that".into()),
            _ => None,
        }
    }
}

/// What the release of a listener-moved pair does.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerPlan {
    /// The live colour, which traffic leaves.
    pub from: Colour,
    /// The idle colour, which gets the new tag and the traffic.
    pub to: Colour,
    /// Percent of traffic on the new colour at each step, ending at 100. A step the stack
    /// is already at (a release continued) is baked again without a change set.
    pub steps: Vec<u8>,
    /// The weight the new colour has now (above 0 only for a release continued).
    pub current_weight: u8,
}

/// A release worked out: what changes, in which steps, judged by what.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The release.
    pub release: String,
    /// The tag released.
    pub image_tag: String,
    /// The tag production runs now (the live colour's, or the service's).
    pub previous_tag: String,
    /// The strategy.
    pub strategy: Strategy,
    /// With the listener: the colours and steps; `None` with ECS.
    pub listener: Option<ListenerPlan>,
    /// The thresholds and waits.
    pub thresholds: Thresholds,
    /// An unfinished release of the same tag is being continued.
    pub resumed: bool,
}

/// ECR's rule for tags (the template's `AllowedPattern` says the same).
pub fn is_image_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The steps `strategy` takes, checked: each 1 to 100, rising, ending at 100; a canary has
/// two; all at once has one.
pub fn steps_for(strategy: Strategy, given: Option<&[u8]>) -> Result<Vec<u8>, PlanError> {
    let steps: Vec<u8> = match (strategy, given) {
        (_, Some(s)) => s.to_vec(),
        (Strategy::AllAtOnce, None) => vec![100],
        (Strategy::Linear, None) => LINEAR_STEPS.to_vec(),
        (Strategy::Canary, None) => CANARY_STEPS.to_vec(),
    };
    let bad = |problem: &str| PlanError::BadSteps {
        steps: steps.clone(),
        problem: problem.to_string(),
    };
    if steps.is_empty() {
        return Err(bad(
            "no step; give percents ending at 100, such as 5,25,50,75,100",
        ));
    }
    if steps.iter().any(|s| *s == 0 || *s > 100) {
        return Err(bad("each step is a percent of traffic from 1 to 100"));
    }
    if steps.windows(2).any(|w| w[0] >= w[1]) {
        return Err(bad("each step must move more traffic than the one before"));
    }
    if steps.last() != Some(&100) {
        return Err(bad(
            "the last step must be 100, all traffic on the new colour",
        ));
    }
    match strategy {
        Strategy::AllAtOnce if steps.len() != 1 => Err(bad(
            "all-at-once moves all traffic in one step; use --strategy linear for steps",
        )),
        Strategy::Canary if steps.len() != 2 => Err(bad(
            "a canary has two steps, a share then 100, such as 5,100; use --strategy linear for more",
        )),
        _ => Ok(steps),
    }
}

/// Works out a release from the deployed state and the options; refuses, changing
/// nothing, what cannot be done.
pub fn plan(
    release: &ReleaseDescription,
    state: &ReleaseState,
    options: &ReleaseOptions,
) -> Result<Plan, PlanError> {
    let tag = &options.image_tag;
    if !is_image_tag(tag) {
        return Err(PlanError::BadTag(tag.clone()));
    }
    let mut thresholds = release.gates.clone();
    if let Some(rate) = options.max_5xx_rate_percent {
        if !(rate > 0.0 && rate <= 100.0) {
            return Err(PlanError::BadThreshold {
                what: "the 5xx rate threshold",
                value: format!("{rate}%"),
                expected: "a percent above 0 and at most 100",
            });
        }
        thresholds.max_5xx_rate_percent = rate;
    }
    if let Some(p99) = options.max_p99 {
        if p99.is_zero() {
            return Err(PlanError::BadThreshold {
                what: "the p99 threshold",
                value: "0s".into(),
                expected: "a time above 0",
            });
        }
        thresholds.max_p99 = p99;
    }
    thresholds.bake = options.bake.unwrap_or(thresholds.bake);
    thresholds.watch = options.watch.unwrap_or(thresholds.watch);
    let (marker, resumed) = match state.marker() {
        None => (None, false),
        Some(m) => {
            if m.tag == *tag {
                (Some(m), true)
            } else {
                return Err(PlanError::Unfinished {
                    marker: m.to_string(),
                    tag: (!m.tag.is_empty()).then(|| m.tag.clone()),
                });
            }
        }
    };
    match state {
        ReleaseState::Ecs { image_tag, .. } => {
            let ecs = |option: &'static str| {
                PlanError::NotForEcs {
                option,
                why: "the service's BLUE_GREEN deployment shifts all traffic at once and bakes as the template says; release with --strategy all-at-once and the template's thresholds (its deployment alarms)".into(),
            }
            };
            if options.strategy != Strategy::AllAtOnce {
                return Err(ecs(match options.strategy {
                    Strategy::Linear => "--strategy linear",
                    _ => "--strategy canary",
                }));
            }
            for (given, option) in [
                (options.steps.is_some(), "--steps"),
                (options.bake.is_some(), "--bake"),
                (options.watch.is_some(), "--watch"),
                (options.max_5xx_rate_percent.is_some(), "--max-5xx-rate"),
                (options.max_p99.is_some(), "--max-p99"),
            ] {
                if given {
                    return Err(ecs(option));
                }
            }
            if image_tag == tag && !resumed {
                return Err(PlanError::AlreadyLive {
                    tag: tag.clone(),
                    colour: "the service".into(),
                });
            }
            Ok(Plan {
                release: release.prefix.clone(),
                image_tag: tag.clone(),
                previous_tag: image_tag.clone(),
                strategy: Strategy::AllAtOnce,
                listener: None,
                thresholds,
                resumed,
            })
        }
        ReleaseState::Listener {
            live,
            idle_weight,
            blue,
            green,
            ..
        } => {
            let steps = steps_for(options.strategy, options.steps.as_deref())?;
            let colour = |c: Colour| if c == Colour::Blue { blue } else { green };
            // A continued release goes on towards its colour from where it stands; the
            // step it stands at is baked again.
            let to = marker.and_then(|m| m.colour).unwrap_or(live.other());
            if to == *live {
                return Err(PlanError::Unfinished {
                    marker: marker.map(|m| m.to_string()).unwrap_or_default(),
                    tag: None,
                });
            }
            if !resumed && *idle_weight > 0 {
                return Err(PlanError::IdleTakesTraffic {
                    idle: live.other(),
                    weight: *idle_weight,
                });
            }
            if !resumed && colour(*live).image_tag == *tag {
                return Err(PlanError::AlreadyLive {
                    tag: tag.clone(),
                    colour: live.name().into(),
                });
            }
            let steps = steps.into_iter().filter(|s| *s >= *idle_weight).collect();
            Ok(Plan {
                release: release.prefix.clone(),
                image_tag: tag.clone(),
                previous_tag: colour(*live).image_tag.clone(),
                strategy: options.strategy,
                listener: Some(ListenerPlan {
                    from: *live,
                    to,
                    steps,
                    current_weight: *idle_weight,
                }),
                thresholds,
                resumed,
            })
        }
    }
}

/// One gate's reading at one poll.
#[derive(Debug, Clone, PartialEq)]
pub enum GateReading {
    /// An alarm of the stack.
    Alarm {
        /// Its name.
        name: String,
        /// Its state.
        state: AlarmState,
        /// Why, as CloudWatch says.
        reason: Option<String>,
    },
    /// The new colour's 5xx rate since traffic reached it.
    ErrorRate {
        /// Percent of its requests answered 5xx; `None` without requests.
        percent: Option<f64>,
        /// Its requests in the window.
        requests: f64,
        /// The threshold.
        max_percent: f64,
    },
    /// The new colour's p99 response time.
    P99 {
        /// The value; `None` without requests.
        value: Option<Duration>,
        /// The threshold.
        max: Duration,
    },
}

impl GateReading {
    /// Whether this reading fails the release: an alarm in `ALARM`, a rate or p99 above
    /// its threshold (equal passes). No data is no breach: a quiet colour has not failed.
    pub fn breached(&self) -> bool {
        match self {
            GateReading::Alarm { state, .. } => *state == AlarmState::Alarm,
            GateReading::ErrorRate {
                percent,
                max_percent,
                ..
            } => percent.is_some_and(|p| p > *max_percent),
            GateReading::P99 { value, max } => value.is_some_and(|v| v > *max),
        }
    }

    /// The gate's name: `alarm NAME`, `5xx rate`, `p99`.
    pub fn gate(&self) -> String {
        match self {
            GateReading::Alarm { name, .. } => format!("alarm {name}"),
            GateReading::ErrorRate { .. } => "5xx rate".into(),
            GateReading::P99 { .. } => "p99".into(),
        }
    }

    /// Its value, as read.
    pub fn value(&self) -> String {
        match self {
            GateReading::Alarm { state, .. } => state.to_string(),
            GateReading::ErrorRate { percent, .. } => {
                percent.map_or("no requests".into(), |p| format!("{p:.2}%"))
            }
            GateReading::P99 { value, .. } => {
                value.map_or("no requests".into(), |v| format!("{:.3}s", v.as_secs_f64()))
            }
        }
    }

    /// Its threshold.
    pub fn threshold(&self) -> String {
        match self {
            GateReading::Alarm { .. } => "not ALARM".into(),
            GateReading::ErrorRate { max_percent, .. } => format!("at most {max_percent}%"),
            GateReading::P99 { max, .. } => format!("at most {}s", max.as_secs_f64()),
        }
    }
}

/// Why a release was rolled back.
#[derive(Debug, Clone, PartialEq)]
pub enum Breach {
    /// A gate failed during a bake or the watch.
    Gate(GateReading),
    /// The new colour did not have every target healthy in time.
    Unhealthy {
        /// Healthy targets at the end.
        healthy: usize,
        /// Registered targets.
        registered: usize,
        /// Targets wanted (the group's desired capacity).
        desired: usize,
        /// How long it had.
        waited: Duration,
    },
    /// ECS rolled its deployment back.
    Ecs {
        /// Why, as ECS or CloudFormation says.
        reason: String,
    },
}

impl Breach {
    /// The gate that failed.
    pub fn gate(&self) -> String {
        match self {
            Breach::Gate(r) => r.gate(),
            Breach::Unhealthy { .. } => "target health".into(),
            Breach::Ecs { .. } => "ECS deployment".into(),
        }
    }
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Breach::Gate(r) => {
                write!(
                    f,
                    "{} was {} (threshold: {})",
                    r.gate(),
                    r.value(),
                    r.threshold()
                )?;
                if let GateReading::Alarm {
                    reason: Some(why), ..
                } = r
                {
                    write!(f, ": {why}")?;
                }
                Ok(())
            }
            Breach::Unhealthy {
                healthy,
                registered,
                desired,
                waited,
            } => write!(
                f,
                "target health was {healthy} healthy of {registered} registered (threshold: all healthy, at least {desired}) after {}s",
                waited.as_secs()
            ),
            Breach::Ecs { reason } => write!(f, "ECS deployment rolled back: {reason}"),
        }
    }
}

/// The first breached reading, if any.
pub fn first_breach(readings: &[GateReading]) -> Option<Breach> {
    readings
        .iter()
        .find(|r| r.breached())
        .map(|r| Breach::Gate(r.clone()))
}

/// Which alarms gate a release towards `to`: every alarm of the stack except those about
/// the colour traffic leaves alone (its per-colour alarms), which judge a colour that is
/// not being released. `alarms` are (logical id, properties); `target_groups` and
/// `groups` the logical ids of each colour's target group and Auto Scaling group.
pub fn gated_alarms<'a>(
    alarms: &[(&'a str, &Json)],
    from_colour: [&str; 2],
    to_colour: [&str; 2],
) -> Vec<&'a str> {
    alarms
        .iter()
        .filter(|(_, properties)| {
            let text = properties.to_string();
            let names = |ids: [&str; 2]| {
                ids.iter()
                    .any(|id| !id.is_empty() && text.contains(&format!("\"{id}\"")))
            };
            !names(from_colour) || names(to_colour)
        })
        .map(|(id, _)| *id)
        .collect()
}

/// Where an ECS service deployment leaves a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EcsVerdict {
    /// Still going (or not started).
    Running,
    /// The new revision serves.
    Succeeded,
    /// ECS rolled it back (its alarms, its circuit breaker, or by hand): why.
    RolledBack(String),
    /// It stopped, or its rollback failed: why.
    Failed(String),
}

/// What `deployment` means for the release.
pub fn ecs_verdict(deployment: &crate::gates::ServiceDeployment) -> EcsVerdict {
    use crate::gates::ServiceDeploymentStatus as S;
    let why = || {
        let triggered = deployment
            .alarms
            .as_ref()
            .map(|a| a.triggered.clone())
            .unwrap_or_default();
        let mut parts = Vec::new();
        if !triggered.is_empty() {
            parts.push(format!("alarm {} in ALARM", triggered.join(", ")));
        }
        if let Some(r) = deployment.rollback.as_ref().and_then(|r| r.reason.clone()) {
            parts.push(r);
        } else if let Some(r) = &deployment.status_reason {
            parts.push(r.clone());
        }
        if parts.is_empty() {
            parts.push(deployment.status.to_string());
        }
        parts.join("; ")
    };
    match &deployment.status {
        S::Successful => EcsVerdict::Succeeded,
        S::RollbackSuccessful | S::RollbackInProgress | S::RollbackRequested => {
            EcsVerdict::RolledBack(why())
        }
        S::RollbackFailed | S::Stopped | S::StopRequested => EcsVerdict::Failed(why()),
        _ => EcsVerdict::Running,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(traffic: &str) -> Json {
        let (parameters, resources) = if traffic == "Ecs" {
            (
                json!({"ImageTag": "RImageTag", "State": "RState"}),
                json!({"Service": "Svc", "TaskDefinition": "Task"}),
            )
        } else {
            (
                json!({
                    "Live": "RLive", "BlueWeight": "RBlueWeight", "GreenWeight": "RGreenWeight",
                    "BlueImageTag": "RBlueImageTag", "GreenImageTag": "RGreenImageTag",
                    "BlueCapacity": "RBlueCapacity", "GreenCapacity": "RGreenCapacity",
                    "State": "RState"
                }),
                json!({
                    "BlueTargetGroup": "Blue", "GreenTargetGroup": "Green",
                    "Listener": "L", "BlueAutoScalingGroup": "BlueAsg",
                    "GreenAutoScalingGroup": "GreenAsg"
                }),
            )
        };
        json!({"Metadata": {METADATA_KEY: {"R": {
            "Path": "S/R", "Traffic": traffic, "Parameters": parameters, "Resources": resources,
            "Gates": {"Max5xxRatePercent": 5.0, "MaxP99Seconds": 2.0, "EvaluationMinutes": 3,
                      "BreachingMinutes": 2, "BakeSeconds": 300, "WatchSeconds": 900,
                      "HealthTimeoutSeconds": 600}
        }}}})
    }

    fn description() -> ReleaseDescription {
        ReleaseDescription::choose("S", &template("Listener"), None).unwrap()
    }

    fn parameters(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
        let mut p: IndexMap<String, String> = [
            ("RLive", "Blue"),
            ("RBlueWeight", "100"),
            ("RGreenWeight", "0"),
            ("RBlueImageTag", "1.4.2"),
            ("RGreenImageTag", "1.4.2"),
            ("RBlueCapacity", "Serving"),
            ("RGreenCapacity", "ScaledToZero"),
            ("RState", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            p.insert(k.to_string(), v.to_string());
        }
        p
    }

    fn state(pairs: &[(&str, &str)]) -> ReleaseState {
        ReleaseState::read(&description(), &parameters(pairs)).unwrap()
    }

    fn options(strategy: Strategy, steps: Option<&[u8]>) -> ReleaseOptions {
        ReleaseOptions {
            strategy,
            steps: steps.map(<[u8]>::to_vec),
            ..ReleaseOptions::new("1.5.0")
        }
    }

    #[test]
    fn the_description_is_read_from_the_templates_metadata() {
        let d = description();
        assert_eq!(d.prefix, "R");
        assert_eq!(d.traffic, TrafficMover::Listener);
        assert_eq!(d.tag_parameter(Colour::Green), "RGreenImageTag");
        assert_eq!(d.capacity_parameter(Colour::Blue), "RBlueCapacity");
        assert_eq!(d.gates.max_p99, Duration::from_secs(2));
        assert_eq!(d.gates.bake, Duration::from_secs(300));
        assert_eq!(
            ReleaseDescription::choose("S", &json!({}), None).unwrap_err(),
            DescriptionError::NoRelease { stack: "S".into() }
        );
        let err = ReleaseDescription::choose("S", &template("Listener"), Some("Other"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "S has no release Other (its releases are R); name one with --release"
        );
        let mut broken = template("Listener");
        broken["Metadata"][METADATA_KEY]["R"]["Parameters"]
            .as_object_mut()
            .unwrap()
            .remove("Live");
        assert_eq!(
            ReleaseDescription::choose("S", &broken, None)
                .unwrap_err()
                .to_string(),
            "S: release R is described without its Live parameter"
        );
    }

    #[test]
    fn the_state_is_read_from_the_parameters_and_refused_out_of_its_domain() {
        assert_eq!(
            state(&[
                ("RLive", "Green"),
                ("RBlueWeight", "25"),
                ("RGreenWeight", "75")
            ]),
            ReleaseState::Listener {
                live: Colour::Green,
                idle_weight: 25,
                blue: ColourState {
                    image_tag: "1.4.2".into(),
                    serving: true
                },
                green: ColourState {
                    image_tag: "1.4.2".into(),
                    serving: false
                },
                marker: None,
            }
        );
        let d = description();
        let err = ReleaseState::read(&d, &parameters(&[("RLive", "Red")])).unwrap_err();
        assert_eq!(err, "its parameter RLive is \"Red\", not Blue or Green");
        let err = ReleaseState::read(&d, &parameters(&[("RGreenWeight", "101")])).unwrap_err();
        assert!(err.contains("not a whole percent"), "{err}");
        let mut missing = parameters(&[]);
        missing.shift_remove("RState");
        assert_eq!(
            ReleaseState::read(&d, &missing).unwrap_err(),
            "the stack has no value for its parameter RState"
        );
    }

    #[test]
    fn the_marker_reads_back_what_it_writes() {
        let m = Marker {
            tag: "1.5.0".into(),
            colour: Some(Colour::Green),
            doing: "25% on Green".into(),
        };
        assert_eq!(m.to_string(), "Releasing 1.5.0 on Green: 25% on Green");
        assert_eq!(Marker::parse(&m.to_string()), Some(m));
        let ecs = Marker {
            tag: "2.0".into(),
            colour: None,
            doing: "ECS deploying".into(),
        };
        assert_eq!(Marker::parse(&ecs.to_string()), Some(ecs));
        assert_eq!(Marker::parse("  "), None);
        let by_hand = Marker::parse("frozen by ops").unwrap();
        assert_eq!(
            (by_hand.tag.as_str(), by_hand.doing.as_str()),
            ("", "frozen by ops")
        );
    }

    #[test]
    fn strategies_have_their_steps_and_bad_steps_are_refused() {
        assert_eq!(steps_for(Strategy::AllAtOnce, None).unwrap(), [100]);
        assert_eq!(steps_for(Strategy::Linear, None).unwrap(), LINEAR_STEPS);
        assert_eq!(steps_for(Strategy::Canary, None).unwrap(), [5, 100]);
        assert_eq!(
            steps_for(Strategy::Linear, Some(&[50, 100])).unwrap(),
            [50, 100]
        );
        assert_eq!(
            steps_for(Strategy::Canary, Some(&[10, 100])).unwrap(),
            [10, 100]
        );
        let problem = |s: Strategy, steps: &[u8]| match steps_for(s, Some(steps)) {
            Err(PlanError::BadSteps { problem, .. }) => problem,
            other => panic!("{steps:?} accepted: {other:?}"),
        };
        assert!(problem(Strategy::Linear, &[50, 25, 100]).contains("more traffic"));
        assert!(problem(Strategy::Linear, &[50, 50, 100]).contains("more traffic"));
        assert!(problem(Strategy::Linear, &[5, 50]).contains("last step must be 100"));
        assert!(problem(Strategy::Linear, &[0, 100]).contains("from 1 to 100"));
        assert!(problem(Strategy::Linear, &[101]).contains("from 1 to 100"));
        assert!(problem(Strategy::Linear, &[]).contains("no step"));
        assert!(problem(Strategy::Canary, &[5, 50, 100]).contains("two steps"));
        assert!(problem(Strategy::AllAtOnce, &[50, 100]).contains("one step"));
    }

    #[test]
    fn a_release_goes_to_the_idle_colour_by_the_templates_gates_unless_overridden() {
        let p = plan(
            &description(),
            &state(&[]),
            &options(Strategy::Linear, None),
        )
        .unwrap();
        let l = p.listener.as_ref().unwrap();
        assert_eq!((l.from, l.to), (Colour::Blue, Colour::Green));
        assert_eq!(l.steps, LINEAR_STEPS);
        assert_eq!((p.previous_tag.as_str(), l.current_weight), ("1.4.2", 0));
        assert_eq!(p.thresholds, description().gates);
        assert!(!p.resumed);

        let overridden = plan(
            &description(),
            &state(&[
                ("RLive", "Green"),
                ("RBlueWeight", "0"),
                ("RGreenWeight", "100"),
            ]),
            &ReleaseOptions {
                bake: Some(Duration::from_secs(1)),
                watch: Some(Duration::ZERO),
                max_5xx_rate_percent: Some(1.5),
                max_p99: Some(Duration::from_millis(800)),
                ..options(Strategy::Canary, None)
            },
        )
        .unwrap();
        assert_eq!(overridden.listener.as_ref().unwrap().to, Colour::Blue);
        let t = &overridden.thresholds;
        assert_eq!(
            (t.bake, t.watch, t.max_5xx_rate_percent, t.max_p99),
            (
                Duration::from_secs(1),
                Duration::ZERO,
                1.5,
                Duration::from_millis(800)
            )
        );
        assert_eq!(t.health_timeout, Duration::from_secs(600), "kept");
    }

    #[test]
    fn what_cannot_be_released_is_refused_before_anything_changes() {
        let d = description();
        let refuse = |s: ReleaseState, o: ReleaseOptions| plan(&d, &s, &o).unwrap_err();
        assert_eq!(
            refuse(state(&[]), ReleaseOptions::new("1.4.2")),
            PlanError::AlreadyLive {
                tag: "1.4.2".into(),
                colour: "Blue".into()
            }
        );
        assert_eq!(
            refuse(state(&[]), ReleaseOptions::new("v:1")),
            PlanError::BadTag("v:1".into())
        );
        assert_eq!(
            refuse(
                state(&[("RGreenWeight", "10"), ("RBlueWeight", "90")]),
                ReleaseOptions::new("1.5.0")
            ),
            PlanError::IdleTakesTraffic {
                idle: Colour::Green,
                weight: 10
            }
        );
        let other = refuse(
            state(&[("RState", "Releasing 1.4.9 on Green: 25% on Green")]),
            ReleaseOptions::new("1.5.0"),
        );
        assert_eq!(
            other.hint().unwrap(),
            "continue it with --image-tag 1.4.9, or put all traffic back on the live colour with --rollback"
        );
        assert!(matches!(
            refuse(
                state(&[]),
                ReleaseOptions {
                    max_5xx_rate_percent: Some(0.0),
                    ..ReleaseOptions::new("1.5.0")
                }
            ),
            PlanError::BadThreshold { .. }
        ));
    }

    #[test]
    fn an_unfinished_release_of_the_same_tag_continues_from_its_step() {
        let p = plan(
            &description(),
            &state(&[
                ("RGreenWeight", "25"),
                ("RBlueWeight", "75"),
                ("RGreenImageTag", "1.5.0"),
                ("RGreenCapacity", "Serving"),
                ("RState", "Releasing 1.5.0 on Green: 25% on Green"),
            ]),
            &options(Strategy::Linear, None),
        )
        .unwrap();
        assert!(p.resumed);
        assert_eq!(p.listener.unwrap().steps, [25, 50, 75, 100]);
    }

    #[test]
    fn ecs_releases_all_at_once_by_the_templates_deployment_and_refuses_the_rest() {
        let t = template("Ecs");
        let d = ReleaseDescription::choose("S", &t, None).unwrap();
        let p: IndexMap<String, String> = [("RImageTag", "2.0.0"), ("RState", "")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let s = ReleaseState::read(&d, &p).unwrap();
        let ok = plan(&d, &s, &ReleaseOptions::new("2.1.0")).unwrap();
        assert!(ok.listener.is_none());
        let err = plan(&d, &s, &options(Strategy::Linear, None)).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "--strategy linear is not supported where ECS moves traffic: the service's BLUE_GREEN deployment"
            ),
            "{err}"
        );
        let err = plan(
            &d,
            &s,
            &ReleaseOptions {
                bake: Some(Duration::from_secs(1)),
                ..ReleaseOptions::new("2.1.0")
            },
        )
        .unwrap_err();
        assert!(matches!(
            err,
            PlanError::NotForEcs {
                option: "--bake",
                ..
            }
        ));
    }

    #[test]
    fn a_gate_breaches_above_its_threshold_and_not_without_data() {
        let rate = |percent: Option<f64>| GateReading::ErrorRate {
            percent,
            requests: 100.0,
            max_percent: 5.0,
        };
        assert!(rate(Some(5.01)).breached());
        assert!(!rate(Some(5.0)).breached(), "equal passes");
        assert!(!rate(None).breached(), "no requests, no verdict");
        let p99 = |ms: Option<u64>| GateReading::P99 {
            value: ms.map(Duration::from_millis),
            max: Duration::from_secs(2),
        };
        assert!(p99(Some(2400)).breached() && !p99(Some(2000)).breached() && !p99(None).breached());
        let alarm = |state: AlarmState| GateReading::Alarm {
            name: "S-Errors".into(),
            state,
            reason: Some("forced".into()),
        };
        assert!(alarm(AlarmState::Alarm).breached());
        assert!(!alarm(AlarmState::InsufficientData).breached());
        let readings = [rate(Some(1.0)), alarm(AlarmState::Alarm), p99(Some(3000))];
        let breach = first_breach(&readings).unwrap();
        assert_eq!(breach.gate(), "alarm S-Errors");
        assert_eq!(
            breach.to_string(),
            "alarm S-Errors was ALARM (threshold: not ALARM): forced"
        );
        assert_eq!(
            Breach::Gate(rate(Some(6.0))).to_string(),
            "5xx rate was 6.00% (threshold: at most 5%)"
        );
        assert_eq!(first_breach(&readings[..1]), None);
    }

    #[test]
    fn the_leaving_colours_own_alarms_do_not_gate() {
        let blue =
            json!({"Dimensions": [{"Value": {"Fn::GetAtt": ["Blue", "TargetGroupFullName"]}}]});
        let green =
            json!({"Metrics": [{"Dimensions": [{"Value": {"Fn::GetAtt": ["Green", "X"]}}]}]});
        let both = json!({"Dimensions": [{"Value": {"Fn::If": ["C", {"Ref": "Blue"}, {"Ref": "Green"}]}}]});
        let neither = json!({"Namespace": "AWS/RDS"});
        let alarms = [
            ("BlueRate", &blue),
            ("GreenRate", &green),
            ("Live", &both),
            ("Db", &neither),
        ];
        assert_eq!(
            gated_alarms(&alarms, ["Blue", "BlueAsg"], ["Green", "GreenAsg"]),
            ["GreenRate", "Live", "Db"]
        );
    }

    #[test]
    fn an_ecs_deployment_rolled_back_by_its_alarm_names_it() {
        use crate::gates::{
            DeploymentAlarms, Rollback, ServiceDeployment, ServiceDeploymentStatus,
        };
        let deployment = |status: &str| ServiceDeployment {
            arn: "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/1".into(),
            status: ServiceDeploymentStatus::parse(status),
            status_reason: None,
            lifecycle_stage: None,
            target: None,
            sources: vec![],
            rollback: None,
            alarms: None,
            circuit_breaker: None,
            created_at: None,
            started_at: None,
            finished_at: None,
        };
        assert_eq!(ecs_verdict(&deployment("IN_PROGRESS")), EcsVerdict::Running);
        assert_eq!(
            ecs_verdict(&deployment("SUCCESSFUL")),
            EcsVerdict::Succeeded
        );
        let rolled = ServiceDeployment {
            alarms: Some(DeploymentAlarms {
                status: None,
                names: vec!["Api5xx".into(), "ApiP99".into()],
                triggered: vec!["Api5xx".into()],
            }),
            rollback: Some(Rollback {
                reason: Some("Rolling back because of alarm Api5xx".into()),
                started_at: None,
                revision: None,
            }),
            ..deployment("ROLLBACK_SUCCESSFUL")
        };
        assert_eq!(
            ecs_verdict(&rolled),
            EcsVerdict::RolledBack(
                "alarm Api5xx in ALARM; Rolling back because of alarm Api5xx".into()
            )
        );
        assert_eq!(
            ecs_verdict(&deployment("STOPPED")),
            EcsVerdict::Failed("STOPPED".into())
        );
    }
}
