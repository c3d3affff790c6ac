//! Release state held by the stack: template parameters whose defaults come from code.
//!
//! A [`Release`] declares, for one blue/green pair (a [`BlueGreenAlb`](crate::alb::BlueGreenAlb)
//! and the [`AppFleet`](crate::fleet::AppFleet) behind it), the parameters a release
//! changes: the live colour, each colour's listener weight, image tag and whether
//! it serves, and a marker saying whether a release is unfinished. The load balancer and the
//! fleet read them (`Ref`, and `Fn::If` on conditions of the live colour), so a release step
//! is a change set on the deployed template that changes parameter values only, and
//! `deploy` keeps the deployed values (`UsePreviousValue`): code's values are the state of a
//! brand-new stack, never a reset. `docs/RELEASE.md` describes the whole model.
//!
//! **Logical ids are public API.** With the release at `<Stack>/<Id>` and `P` the id derived
//! from `<Id>` (its path below the stack, letters and digits), the parameters are `PLive`,
//! `PBlueWeight`, `PGreenWeight`, `PBlueImageTag`, `PGreenImageTag`, `PBlueCapacity`,
//! `PGreenCapacity` and `PState` (with [`Traffic::Ecs`]: `PImageTag` and `PState`), the
//! conditions
//! `PBlueIsLive`, `PBlueServing` and `PGreenServing`. Two releases in one stack need two
//! ids. Renaming one renames its parameters, and the deployed state is left behind.
//!
//! **A weight per colour, not the idle colour's alone.** The listener needs both weights,
//! and CloudFormation has no arithmetic: the live weight as 100 minus an idle weight would
//! be a lookup of 101 entries (`Fn::Select` with a parameter as its index, which moto
//! cannot evaluate, or a mapping of 1.4 KB, against the 51,200 bytes a template may have
//! inline). So each colour's weight is a parameter, and the idle colour's weight is the
//! weight of the colour `Live` does not name; a release keeps the two summing to 100.
//!
//! The template's top-level `Metadata` describes each release under [`METADATA_KEY`]: its
//! path, who moves traffic, its parameters' ids, the ids of the resources that read them and
//! its [`ReleaseGates`], so a command working on the deployed template alone finds all of it.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use indexmap::IndexMap;
use stackwright_core::{
    Condition, ConditionExpr, Construct, Diagnostic, Expr, Parameter, ParameterProps, Resource,
    Scope, Value, logical_id,
};

use crate::alb::Colour;
use crate::error::{ConstructError, Problems, quote};

/// The key of the template's top-level `Metadata` entry that describes the stack's releases,
/// one object per release under its logical-id prefix.
pub const METADATA_KEY: &str = "stackwright:releases";

/// The values of a `PBlueCapacity` / `PGreenCapacity` parameter.
pub const SERVING: &str = "Serving";
/// A colour with no instances: the idle colour between releases.
pub const SCALED_TO_ZERO: &str = "ScaledToZero";

/// ECR's rule for a tag, as a CloudFormation `AllowedPattern` (matched against the whole
/// value).
pub const IMAGE_TAG_PATTERN: &str = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";

/// The longest release marker: room for what the release is doing, in one line.
pub const STATE_MAX_LENGTH: u32 = 256;

/// Who moves traffic between the colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traffic {
    /// The stack: the HTTPS listener forwards by the `BlueWeight` and `GreenWeight`
    /// parameters, the test listener to the colour `Live` does not name, and each colour's
    /// Auto Scaling group is sized by its `Capacity` parameter (the EC2 fleet).
    Listener,
    /// ECS, by its native blue/green deployments (the Fargate fleet): the stack holds only
    /// the image tag (`ImageTag`) and the marker; ECS shifts the listener rule itself and
    /// knows which target group serves afterwards.
    Ecs,
}

impl Traffic {
    /// `Listener` or `Ecs`, as the template's release description writes it.
    pub fn name(self) -> &'static str {
        match self {
            Traffic::Listener => "Listener",
            Traffic::Ecs => "Ecs",
        }
    }
}

/// What one colour runs on a brand-new stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseColour {
    /// The image tag (the repository's tags are immutable: a tag names one image).
    pub image_tag: String,
    /// Whether it runs at the fleet's capacity (`Serving`) or has no instances
    /// (`ScaledToZero`).
    pub serving: bool,
}

impl ReleaseColour {
    /// Running `image_tag` at the fleet's capacity.
    pub fn serving(image_tag: &str) -> Self {
        ReleaseColour {
            image_tag: image_tag.to_string(),
            serving: true,
        }
    }

    /// Scaled to zero, keeping `image_tag` (the tag to roll back to).
    pub fn scaled_to_zero(image_tag: &str) -> Self {
        ReleaseColour {
            image_tag: image_tag.to_string(),
            serving: false,
        }
    }
}

/// The thresholds a release is judged by, one colour at a time: the per-colour alarms
/// `Alarms` adds for a load balancer with a release use them, and the template's release
/// description carries them for the release command, so both judge by the same numbers.
///
/// `Default` is [`ReleaseGates::production`]: roll back when more than 5 % of the new
/// colour's requests answer 5xx or its p99 passes 2 s; bake each step 5 minutes and watch
/// 15 minutes at full traffic. These are common starting points, not your service levels.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseGates {
    /// 5xx answers of one colour's targets as a percent of its requests
    /// (`HTTPCode_Target_5XX_Count / RequestCount`), above which it fails. Default: 5.
    pub max_5xx_rate_percent: f64,
    /// The colour's p99 `TargetResponseTime` above which it fails. Default: 2 s.
    pub max_p99: Duration,
    /// One-minute periods an alarm looks at. Default: 3.
    pub evaluation_minutes: u32,
    /// Of those, how many must breach for the alarm to fire. Default: 2.
    pub breaching_minutes: u32,
    /// How long each traffic step is watched before the next. Default: 5 minutes.
    pub bake: Duration,
    /// How long the new colour is watched at full traffic before the old one is scaled to
    /// zero. Default: 15 minutes.
    pub watch: Duration,
    /// How long the idle colour has, once scaled up, to have every target healthy before
    /// any traffic moves. Default: 10 minutes.
    pub health_timeout: Duration,
}

impl Default for ReleaseGates {
    fn default() -> Self {
        ReleaseGates::production()
    }
}

impl ReleaseGates {
    /// 5 % 5xx, 2 s p99, 2 of 3 minutes breaching; 5-minute bakes, a 15-minute watch,
    /// 10 minutes for the new colour to be healthy.
    pub fn production() -> Self {
        ReleaseGates {
            max_5xx_rate_percent: 5.0,
            max_p99: Duration::from_secs(2),
            evaluation_minutes: 3,
            breaching_minutes: 2,
            bake: Duration::from_secs(5 * 60),
            watch: Duration::from_secs(15 * 60),
            health_timeout: Duration::from_secs(10 * 60),
        }
    }

    /// The same thresholds with shorter waits (1-minute bakes, a 5-minute watch): staging
    /// takes little traffic, so a longer wait proves little more.
    pub fn staging() -> Self {
        ReleaseGates {
            bake: Duration::from_secs(60),
            watch: Duration::from_secs(5 * 60),
            ..ReleaseGates::production()
        }
    }

    /// The gates as the template's release description writes them.
    fn to_expr(&self) -> Expr {
        Expr::object([
            ("Max5xxRatePercent", Expr::Float(self.max_5xx_rate_percent)),
            ("MaxP99Seconds", Expr::Float(self.max_p99.as_secs_f64())),
            (
                "EvaluationMinutes",
                Expr::Int(i64::from(self.evaluation_minutes)),
            ),
            (
                "BreachingMinutes",
                Expr::Int(i64::from(self.breaching_minutes)),
            ),
            ("BakeSeconds", Expr::Int(self.bake.as_secs() as i64)),
            ("WatchSeconds", Expr::Int(self.watch.as_secs() as i64)),
            (
                "HealthTimeoutSeconds",
                Expr::Int(self.health_timeout.as_secs() as i64),
            ),
        ])
    }
}

/// Settings of a [`Release`]: the state of a brand-new stack, and the gates. Start from
/// [`ReleaseProps::listener`] (the EC2 fleet) or [`ReleaseProps::ecs`] (Fargate) with the
/// image tag.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseProps {
    /// Who moves traffic between the colours. Default: [`Traffic::Listener`].
    pub traffic: Traffic,
    /// The colour taking production traffic on a brand-new stack. Default: blue.
    pub live: Colour,
    /// Percent of traffic the idle colour gets on a brand-new stack, 0 to 100 (0 with
    /// [`Traffic::Ecs`]): the idle colour's `Weight` parameter defaults to it, the live
    /// colour's to the rest. Default: 0.
    pub idle_weight_percent: u8,
    /// What blue runs on a brand-new stack. Default: tag `latest`, serving: a placeholder,
    /// name the release's tag (with immutable tags, `latest` can be pushed only once).
    pub blue: ReleaseColour,
    /// What green runs on a brand-new stack. Default: tag `latest`, scaled to zero. With
    /// [`Traffic::Ecs`] only the live colour's tag is used.
    pub green: ReleaseColour,
    /// The thresholds and waits of a release. Default: [`ReleaseGates::production`].
    pub gates: ReleaseGates,
}

impl Default for ReleaseProps {
    fn default() -> Self {
        ReleaseProps {
            traffic: Traffic::Listener,
            live: Colour::Blue,
            idle_weight_percent: 0,
            blue: ReleaseColour::serving("latest"),
            green: ReleaseColour::scaled_to_zero("latest"),
            gates: ReleaseGates::production(),
        }
    }
}

impl ReleaseProps {
    /// The stack moves traffic: blue serves `image_tag`, green is scaled to zero with the
    /// same tag, all traffic on blue.
    pub fn listener(image_tag: &str) -> Self {
        ReleaseProps {
            blue: ReleaseColour::serving(image_tag),
            green: ReleaseColour::scaled_to_zero(image_tag),
            ..ReleaseProps::default()
        }
    }

    /// ECS moves traffic; the stack holds `image_tag`.
    pub fn ecs(image_tag: &str) -> Self {
        ReleaseProps {
            traffic: Traffic::Ecs,
            blue: ReleaseColour::serving(image_tag),
            green: ReleaseColour::serving(image_tag),
            ..ReleaseProps::default()
        }
    }

    /// What `colour` runs on a brand-new stack.
    pub fn colour(&self, colour: Colour) -> &ReleaseColour {
        match colour {
            Colour::Blue => &self.blue,
            Colour::Green => &self.green,
        }
    }
}

/// ECR's rule for tags.
pub(crate) fn is_image_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A duration as a problem writes it: the code that makes it.
fn written(d: Duration) -> String {
    format!("Duration::from_secs_f64({})", d.as_secs_f64())
}

fn validate(path: &str, props: &ReleaseProps) -> Result<(), ConstructError> {
    let mut p = Problems::new(path);
    p.check(
        props.idle_weight_percent <= 100,
        "idle_weight_percent",
        || props.idle_weight_percent.to_string(),
        "more than all of the traffic",
        "send 0 to 100 percent to the idle colour",
    );
    for colour in [Colour::Blue, Colour::Green] {
        let tag = &props.colour(colour).image_tag;
        p.check(
            is_image_tag(tag),
            format!("{}.image_tag", colour.name().to_lowercase()),
            || quote(tag),
            "not an ECR tag",
            "use up to 128 letters, digits, '_', '.' and '-', starting with a letter, digit or '_'",
        );
    }
    match props.traffic {
        Traffic::Listener => {
            let live = props.live.name().to_lowercase();
            p.check(
                props.colour(props.live).serving,
                format!("{live}.serving"),
                || "false".into(),
                format!("{live} is the live colour, so nothing would serve production traffic"),
                "make the live colour serve (ReleaseColour::serving), or make the serving colour live",
            );
            let idle = props.live.other();
            p.check(
                props.idle_weight_percent == 0 || props.colour(idle).serving,
                format!("{}.serving", idle.name().to_lowercase()),
                || "false".into(),
                format!(
                    "the idle colour gets {}% of the traffic but has no instances",
                    props.idle_weight_percent
                ),
                "make the idle colour serve, or send it no traffic",
            );
        }
        Traffic::Ecs => p.check(
            props.idle_weight_percent == 0,
            "idle_weight_percent",
            || props.idle_weight_percent.to_string(),
            "ECS shifts traffic in its own deployments; the stack holds no weight",
            "leave idle_weight_percent at 0 with Traffic::Ecs",
        ),
    }
    let g = &props.gates;
    p.check(
        g.max_5xx_rate_percent > 0.0 && g.max_5xx_rate_percent <= 100.0,
        "gates.max_5xx_rate_percent",
        || g.max_5xx_rate_percent.to_string(),
        "not a share of requests above which to fail",
        "give a percent above 0 and at most 100, such as 5",
    );
    p.check(
        !g.max_p99.is_zero() && g.max_p99 <= Duration::from_secs(3600),
        "gates.max_p99",
        || written(g.max_p99),
        "not a response time above which to fail",
        "give a time above 0 and at most an hour, such as Duration::from_secs(2)",
    );
    p.check(
        (1..=1440).contains(&g.evaluation_minutes),
        "gates.evaluation_minutes",
        || g.evaluation_minutes.to_string(),
        "CloudWatch evaluates one-minute periods over at most a day",
        "look at 1 to 1440 minutes",
    );
    p.check(
        g.breaching_minutes >= 1 && g.breaching_minutes <= g.evaluation_minutes,
        "gates.breaching_minutes",
        || g.breaching_minutes.to_string(),
        format!(
            "not between 1 and the {} minutes evaluated",
            g.evaluation_minutes
        ),
        "let 1 to evaluation_minutes minutes breach",
    );
    p.check(
        !g.health_timeout.is_zero(),
        "gates.health_timeout",
        || written(g.health_timeout),
        "the new colour would have no time to become healthy",
        "give it minutes, such as Duration::from_secs(600)",
    );
    p.finish()
}

/// Blue's, then green's.
fn colour_index(colour: Colour) -> usize {
    match colour {
        Colour::Blue => 0,
        Colour::Green => 1,
    }
}

/// The logical id `scope/id` gets from its path.
pub(crate) fn logical_id_of(scope: &impl Scope, id: &str) -> String {
    let path = format!("{}/{id}", scope.path());
    let below_stack: Vec<&str> = path.split('/').skip(1).collect();
    logical_id::derive(&below_stack)
}

/// The parameters of one release.
enum Parameters {
    Listener {
        live: Parameter,
        blue_weight: Parameter,
        green_weight: Parameter,
        blue_tag: Parameter,
        green_tag: Parameter,
        blue_capacity: Parameter,
        green_capacity: Parameter,
    },
    Ecs {
        tag: Parameter,
    },
}

#[derive(Default)]
struct Conditions {
    blue_is_live: Option<Condition>,
    blue_serving: Option<Condition>,
    green_serving: Option<Condition>,
}

/// A resource that reads the release's state, as the description names it and synth checks
/// it.
struct Reader {
    role: String,
    path: String,
    logical_id: String,
}

struct Inner {
    node: Construct,
    /// Its logical-id prefix: `Release` for `<Stack>/Release`.
    prefix: String,
    props: ReleaseProps,
    parameters: Parameters,
    /// (role, logical id) of each parameter, in the order declared.
    parameter_ids: Vec<(&'static str, String)>,
    state: Parameter,
    conditions: RefCell<Conditions>,
    /// Shared with the synth check, which outlives the handles.
    readers: Rc<RefCell<Vec<Reader>>>,
}

/// The release state of one blue/green pair, as template parameters.
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::release::{Release, ReleaseProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let release = Release::new(&stack, "Release", ReleaseProps::listener("1.4.2")).unwrap();
/// assert_eq!(release.parameter_id("State"), Some("ReleaseState"));
/// assert_eq!(release.parameter_id("BlueImageTag"), Some("ReleaseBlueImageTag"));
///
/// // Bad state is reported at once, every problem with its prop.
/// let err = Release::new(&stack, "Bad", ReleaseProps {
///     idle_weight_percent: 120,
///     ..ReleaseProps::listener("v:1")
/// }).unwrap_err();
/// let props: Vec<&str> = err.problems().iter().map(|p| p.prop.as_str()).collect();
/// assert_eq!(props, ["idle_weight_percent", "blue.image_tag", "green.image_tag", "green.serving"]);
/// ```
///
/// Give it to the load balancer (`BlueGreenAlbProps::release`) and to the fleet
/// (`AppFleetProps::release`) of the pair; with [`Traffic::Ecs`], to the fleet alone.
#[derive(Clone)]
pub struct Release {
    inner: Rc<Inner>,
}

impl Release {
    /// Declares the release's parameters under `scope`, defaulting to `props`' state.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        props: ReleaseProps,
    ) -> Result<Release, ConstructError> {
        let node = Construct::new(scope, id)?;
        validate(&node.path(), &props)?;
        let path = node.path();
        let prefix = {
            let below: Vec<&str> = path.split('/').skip(1).collect();
            logical_id::derive(&below)
        };
        let mut parameter_ids = Vec::new();
        let mut declare = |name: &'static str, props: ParameterProps| {
            let p = Parameter::new(&node, name, props)?;
            parameter_ids.push((name, logical_id_of(&node, name)));
            Ok::<_, ConstructError>(p)
        };
        let tag = |colour: &str, tag: &str| ParameterProps {
            description: Some(format!("Release state: the image tag {colour} runs")),
            allowed_pattern: Some(IMAGE_TAG_PATTERN.into()),
            constraint_description: Some("an ECR image tag".into()),
            ..ParameterProps::string_with_default(tag)
        };
        let parameters = match props.traffic {
            Traffic::Listener => {
                let capacity = |colour: Colour| ParameterProps {
                    description: Some(format!(
                        "Release state: {} at the fleet's capacity, or no instances",
                        colour.name().to_lowercase()
                    )),
                    allowed_values: vec![SERVING.into(), SCALED_TO_ZERO.into()],
                    ..ParameterProps::string_with_default(if props.colour(colour).serving {
                        SERVING
                    } else {
                        SCALED_TO_ZERO
                    })
                };
                let weight = |colour: Colour| {
                    let idle = u32::from(props.idle_weight_percent);
                    let default = if colour == props.live {
                        100 - idle
                    } else {
                        idle
                    };
                    ParameterProps {
                        type_: "Number".into(),
                        description: Some(format!(
                            "Release state: percent of traffic on {}, a whole number",
                            colour.name().to_lowercase()
                        )),
                        min_value: Some(0.0),
                        max_value: Some(100.0),
                        ..ParameterProps::string_with_default(&default.to_string())
                    }
                };
                Parameters::Listener {
                    live: declare(
                        "Live",
                        ParameterProps {
                            description: Some("Release state: the live colour".into()),
                            allowed_values: vec!["Blue".into(), "Green".into()],
                            ..ParameterProps::string_with_default(props.live.name())
                        },
                    )?,
                    blue_weight: declare("BlueWeight", weight(Colour::Blue))?,
                    green_weight: declare("GreenWeight", weight(Colour::Green))?,
                    blue_tag: declare("BlueImageTag", tag("blue", &props.blue.image_tag))?,
                    green_tag: declare("GreenImageTag", tag("green", &props.green.image_tag))?,
                    blue_capacity: declare("BlueCapacity", capacity(Colour::Blue))?,
                    green_capacity: declare("GreenCapacity", capacity(Colour::Green))?,
                }
            }
            Traffic::Ecs => Parameters::Ecs {
                tag: declare(
                    "ImageTag",
                    tag("the service", &props.colour(props.live).image_tag),
                )?,
            },
        };
        let state = declare(
            "State",
            ParameterProps {
                description: Some(
                    "Empty, or what an unfinished release is doing: deploy refuses until it is empty"
                        .into(),
                ),
                max_length: Some(STATE_MAX_LENGTH),
                ..ParameterProps::string_with_default("")
            },
        )?;
        let release = Release {
            inner: Rc::new(Inner {
                node,
                prefix,
                props,
                parameters,
                parameter_ids,
                state,
                conditions: RefCell::default(),
                readers: Rc::default(),
            }),
        };
        release.describe();
        release.check_readers();
        Ok(release)
    }

    /// Who moves traffic.
    pub fn traffic(&self) -> Traffic {
        self.inner.props.traffic
    }

    /// The state of a brand-new stack, and the gates, as given.
    pub fn props(&self) -> &ReleaseProps {
        &self.inner.props
    }

    /// The gates.
    pub fn gates(&self) -> &ReleaseGates {
        &self.inner.props.gates
    }

    /// The logical-id prefix of its parameters and conditions (`Release`).
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The logical id of the parameter `role` (`Live`, `BlueWeight`, `GreenWeight`, `BlueImageTag`,
    /// `GreenImageTag`, `BlueCapacity`, `GreenCapacity`, `ImageTag`, `State`), when this
    /// release declares it.
    pub fn parameter_id(&self, role: &str) -> Option<&str> {
        self.inner
            .parameter_ids
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, id)| id.as_str())
    }

    /// The release marker: empty, or what an unfinished release is doing.
    pub fn state(&self) -> Value<String> {
        self.inner.state.value()
    }

    /// The image tag `colour` runs (with [`Traffic::Ecs`], the service's, whatever the
    /// colour).
    pub fn image_tag(&self, colour: Colour) -> Value<String> {
        match (&self.inner.parameters, colour) {
            (Parameters::Listener { blue_tag, .. }, Colour::Blue) => blue_tag.value(),
            (Parameters::Listener { green_tag, .. }, Colour::Green) => green_tag.value(),
            (Parameters::Ecs { tag }, _) => tag.value(),
        }
    }

    /// The `Live` parameter, the weights and the capacities, blue's first.
    fn listener_parameters(&self) -> Option<(&Parameter, [&Parameter; 2], [&Parameter; 2])> {
        match &self.inner.parameters {
            Parameters::Listener {
                live,
                blue_weight,
                green_weight,
                blue_capacity,
                green_capacity,
                ..
            } => Some((
                live,
                [blue_weight, green_weight],
                [blue_capacity, green_capacity],
            )),
            Parameters::Ecs { .. } => None,
        }
    }

    /// The condition that blue is the live colour (`PBlueIsLive`), made on first use;
    /// `None` with [`Traffic::Ecs`].
    pub fn blue_is_live(&self) -> Result<Option<Condition>, ConstructError> {
        let Some((live, _, _)) = self.listener_parameters() else {
            return Ok(None);
        };
        if let Some(c) = &self.inner.conditions.borrow().blue_is_live {
            return Ok(Some(c.clone()));
        }
        let c = Condition::new(
            &self.inner.node,
            "BlueIsLive",
            ConditionExpr::equals(live.value::<String>(), "Blue"),
        )?;
        self.inner.conditions.borrow_mut().blue_is_live = Some(c.clone());
        Ok(Some(c))
    }

    /// The condition that `colour` serves (`PBlueServing`, `PGreenServing`), made on first
    /// use; `None` with [`Traffic::Ecs`].
    pub fn serving(&self, colour: Colour) -> Result<Option<Condition>, ConstructError> {
        let Some((_, _, capacity)) = self.listener_parameters() else {
            return Ok(None);
        };
        let cached = match colour {
            Colour::Blue => self.inner.conditions.borrow().blue_serving.clone(),
            Colour::Green => self.inner.conditions.borrow().green_serving.clone(),
        };
        if let Some(c) = cached {
            return Ok(Some(c));
        }
        let parameter = capacity[colour_index(colour)];
        let c = Condition::new(
            &self.inner.node,
            &format!("{}Serving", colour.name()),
            ConditionExpr::equals(parameter.value::<String>(), SERVING),
        )?;
        let mut conditions = self.inner.conditions.borrow_mut();
        match colour {
            Colour::Blue => conditions.blue_serving = Some(c.clone()),
            Colour::Green => conditions.green_serving = Some(c.clone()),
        }
        Ok(Some(c))
    }

    /// `when_blue` where blue is live, else `when_green`; with [`Traffic::Ecs`], the value
    /// of the colour [`ReleaseProps::live`] names.
    pub fn when_live<T>(
        &self,
        when_blue: Value<T>,
        when_green: Value<T>,
    ) -> Result<Value<T>, ConstructError> {
        Ok(match self.blue_is_live()? {
            Some(c) => Value::if_(&c, when_blue, when_green),
            None => match self.inner.props.live {
                Colour::Blue => when_blue,
                Colour::Green => when_green,
            },
        })
    }

    /// The listener weight of `colour`: its `Weight` parameter (with [`Traffic::Ecs`], what
    /// [`ReleaseProps::live`] and [`ReleaseProps::idle_weight_percent`] give it).
    pub fn weight(&self, colour: Colour) -> Value<i64> {
        match self.listener_parameters() {
            Some((_, weights, _)) => weights[colour_index(colour)].value(),
            None => {
                let idle = i64::from(self.inner.props.idle_weight_percent);
                Value::from(if colour == self.inner.props.live {
                    100 - idle
                } else {
                    idle
                })
            }
        }
    }

    /// Records that the resource at `resource`'s path reads the release's state as `role`
    /// (`BlueTargetGroup`, `Listener`, `BlueAutoScalingGroup`, `Service`...), for the
    /// template's release description.
    pub(crate) fn record<T>(&self, role: &str, resource: &Resource<T>) {
        let path = resource.path();
        let below: Vec<&str> = path.split('/').skip(1).collect();
        self.inner.readers.borrow_mut().push(Reader {
            role: role.to_string(),
            logical_id: logical_id::derive(&below),
            path,
        });
        self.describe();
    }

    /// Writes the release marker into `resource`'s Metadata, so that the template uses
    /// every parameter it declares and the resource that moves traffic shows the release it
    /// is in (`DescribeStackResource`).
    pub(crate) fn mark<T>(&self, resource: &Resource<T>) {
        resource.add_metadata(
            "stackwright:release",
            Expr::object([
                ("Release", Expr::str(&self.inner.prefix)),
                ("State", self.state().into_expr()),
            ]),
        );
    }

    /// Writes this release's description into the template's top-level Metadata, beside the
    /// stack's other releases.
    fn describe(&self) {
        let inner = &self.inner;
        let parameters = Expr::Object(
            inner
                .parameter_ids
                .iter()
                .map(|(role, id)| (role.to_string(), Expr::str(id)))
                .collect(),
        );
        let resources = Expr::Object(
            inner
                .readers
                .borrow()
                .iter()
                .map(|r| (r.role.clone(), Expr::str(&r.logical_id)))
                .collect(),
        );
        let description = Expr::object([
            ("Path", Expr::str(inner.node.path())),
            ("Traffic", Expr::str(inner.props.traffic.name())),
            ("Parameters", parameters),
            ("Resources", resources),
            ("Gates", inner.props.gates.to_expr()),
        ]);
        let stack = inner.node.stack();
        let mut all: IndexMap<String, Expr> = match stack.metadata(METADATA_KEY) {
            Some(Expr::Object(o)) => o,
            _ => IndexMap::new(),
        };
        all.insert(inner.prefix.clone(), description);
        stack.add_metadata(METADATA_KEY, Expr::Object(all));
    }

    /// At synth: every resource the description names still has the logical id it names
    /// (an override would leave the release command looking for another).
    fn check_readers(&self) {
        let readers = Rc::clone(&self.inner.readers);
        let release = self.inner.node.path();
        let stack = self.inner.node.stack();
        stack.add_check(
            move |r: &stackwright_core::CheckedResource<'_>, found: &mut Vec<Diagnostic>| {
                for reader in readers.borrow().iter() {
                    if reader.path == r.path && reader.logical_id != r.logical_id {
                        found.push(
                            r.error(
                                "release-resource-renamed",
                                format!(
                                    "the release {} describes this resource as {} ({}), but its logical id is {}",
                                    release,
                                    reader.logical_id,
                                    reader.role,
                                    r.logical_id
                                ),
                            )
                            .with_hint("leave the logical ids of a release's load balancer and fleet as derived from their paths"),
                        );
                    }
                }
            },
        );
    }

    /// Whether two handles are the same release.
    fn same(&self, other: &Release) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl std::fmt::Debug for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Release({})", self.inner.node.path())
    }
}

/// Two handles are equal when they are the same release.
impl PartialEq for Release {
    fn eq(&self, other: &Self) -> bool {
        self.same(other)
    }
}

impl Scope for Release {
    fn scope_ref(&self) -> (stackwright_core::AppRef, stackwright_core::ElementId) {
        self.inner.node.scope_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_ecr_and_the_pattern_says_the_same() {
        assert!(is_image_tag("v1.4.2") && is_image_tag("latest") && is_image_tag("_x"));
        assert!(!is_image_tag("-x") && !is_image_tag("a:b") && !is_image_tag(""));
        assert!(!is_image_tag(&"a".repeat(129)) && is_image_tag(&"a".repeat(128)));
    }
}
