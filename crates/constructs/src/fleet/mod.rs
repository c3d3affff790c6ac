//! The application fleet: the API container behind the blue/green load balancer, on EC2
//! Auto Scaling groups (one per colour) or on ECS Fargate.
//!
//! Both variants run one container image from ECR on the load balancer's target port, in
//! the VPC's private subnets, with no public address and no SSH. The environment is plain
//! values plus secrets read from Secrets Manager by ARN when the container starts, so no
//! secret value is ever in a template. Logs go to a KMS-encrypted log group.
//!
//! - **EC2**: per colour a launch template and an Auto Scaling group, so a colour can run
//!   another image tag while the other serves. A release brings the idle colour up with
//!   the new tag, waits for its targets to be healthy, switches the load balancer's live
//!   colour, and scales the old colour to zero once the release has proved itself.
//! - **Fargate**: one API service that ECS deploys blue/green itself (new tasks in the
//!   idle colour's target group, tested through the test listener, then production
//!   shifted and baked), and an optional worker service on FARGATE_SPOT.

mod ec2;
mod fargate;
mod user_data;

use indexmap::IndexMap;
use stackwright_core::{Construct, RemovalPolicy, Resource, Scope, Value};
use stackwright_l1::{autoscaling, cloudwatch, ec2 as l1_ec2, ecs, logs};

use crate::alarms::{
    AlarmMetric, AlarmSpec, Graph, MissingData, Thresholds, Watchable, last_segment,
};
use crate::alb::{BlueGreenAlb, Colour, TargetType};
use crate::ecr::{ImageRepository, ImageRepositoryProps};
use crate::error::{ConstructError, Problems, quote};
use crate::iam::{Grant, Grantable, PolicyStatement, Role};
use crate::key::Key;
use crate::metric::Metric;
use crate::release::{Release, Traffic, is_image_tag};
use crate::secret::Secret;
use crate::security_group::{
    Connectable, Connections, Peer, Port, SecurityGroup, SecurityGroupProps,
};
use crate::vpc::{SubnetKind, Vpc};

/// The public SSM parameter that always names the latest Amazon Linux 2023 AMI.
pub const AL2023_AMI_PARAMETER: &str =
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/// How many instances or tasks a colour runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// The fewest. Scaling never goes below it.
    pub min: u32,
    /// The most. Scaling never goes above it.
    pub max: u32,
    /// How many at deploy time.
    pub desired: u32,
}

impl Capacity {
    /// Nothing running: an idle colour between releases.
    pub const ZERO: Capacity = Capacity {
        min: 0,
        max: 0,
        desired: 0,
    };

    /// `min` to `max`, starting at `desired`.
    pub fn new(min: u32, max: u32, desired: u32) -> Self {
        Capacity { min, max, desired }
    }
}

/// What one colour runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ColourState {
    /// The image tag, such as `v1.4.2` (the repository's tags are immutable, so a tag
    /// names one image forever).
    pub image_tag: Value<String>,
    /// Its size; `None` takes the fleet's [`AppFleetProps::capacity`].
    pub capacity: Option<Capacity>,
}

impl ColourState {
    /// Running `image_tag` at the fleet's capacity.
    pub fn serving(image_tag: impl Into<Value<String>>) -> Self {
        ColourState {
            image_tag: image_tag.into(),
            capacity: None,
        }
    }

    /// Scaled to zero, keeping `image_tag` (the tag to roll back to).
    pub fn scaled_to_zero(image_tag: impl Into<Value<String>>) -> Self {
        ColourState {
            image_tag: image_tag.into(),
            capacity: Some(Capacity::ZERO),
        }
    }
}

/// Where the image comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageSource {
    /// A repository of the fleet's own, created under it (`<fleet>/Repository`) with
    /// these props (and so, by default, a key of its own that lives as long as it).
    ///
    /// Its images go wherever the repository goes; for a runtime stack that is torn down
    /// and rebuilt, keep the repository in the base stack ([`ImageSource::Repository`]).
    OwnRepository(ImageRepositoryProps),
    /// An [`ImageRepository`] made elsewhere, usually in the base stack so that images
    /// outlive the runtime stack.
    Repository(ImageRepository),
    /// A repository stackwright does not manage, known by URI (no tag) and ARN.
    External {
        /// `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME`.
        repository_uri: Value<String>,
        /// Its ARN, for the pull grant.
        repository_arn: Value<String>,
    },
}

/// A secret given to the app as an environment variable.
#[derive(Debug, Clone)]
pub struct SecretEnv {
    /// The secret.
    pub secret: Secret,
    /// One field of a JSON secret (`password`); `None` takes the whole string.
    pub field: Option<String>,
    /// A value composed at boot (EC2 only): `{name}` placeholders are replaced by the
    /// URL-encoded fields of a JSON secret, or `{value}` by a plain secret's string.
    pub template: Option<Value<String>>,
}

impl SecretEnv {
    /// The whole secret string.
    pub fn whole(secret: &Secret) -> Self {
        SecretEnv {
            secret: secret.clone(),
            field: None,
            template: None,
        }
    }

    /// One field of a JSON secret.
    pub fn field(secret: &Secret, field: &str) -> Self {
        SecretEnv {
            secret: secret.clone(),
            field: Some(field.to_string()),
            template: None,
        }
    }

    /// A value composed on the instance at boot from the secret, such as a connection
    /// URL with the password inside: `{username}` and `{password}` take the URL-encoded
    /// fields of a JSON secret, `{value}` a plain secret's string. The template may hold
    /// tokens (a database host); the secret itself never enters the template.
    ///
    /// ```
    /// use stackwright_constructs::{fleet::SecretEnv, secret::Secret};
    /// use stackwright_core::{cfn_format, Value};
    /// let db_secret = Secret::from_arn("arn:aws:secretsmanager:us-east-1:123456789012:secret:db".into(), None);
    /// let host: Value<String> = "db.internal".into();
    /// let url = SecretEnv::template(
    ///     &db_secret,
    ///     cfn_format!("postgresql://{{username}}:{{password}}@{}:5432/orders", host),
    /// );
    /// assert!(url.template.is_some() && url.field.is_none());
    /// ```
    ///
    /// EC2 fleets only: ECS injects whole secrets or JSON fields and cannot compose them.
    pub fn template(secret: &Secret, template: impl Into<Value<String>>) -> Self {
        SecretEnv {
            secret: secret.clone(),
            field: None,
            template: Some(template.into()),
        }
    }
}

/// Settings of the EC2 variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ec2Settings {
    /// The instance type. Default: `t3.medium`.
    pub instance_type: String,
    /// The public SSM parameter naming the AMI, read at deploy time through a template
    /// parameter (so every deploy takes the latest patched image, and no AMI id is
    /// hard-coded). Default: [`AL2023_AMI_PARAMETER`]; the boot script needs an Amazon
    /// Linux 2023 image (dnf, AWS CLI v2, python3).
    pub ami_parameter: String,
    /// The encrypted gp3 root volume, GiB (at least the AMI's 8). Default: 30: room for
    /// a few image versions.
    pub root_volume_gib: u32,
    /// One-minute instance metrics (about $2 per instance per month), so scaling reacts
    /// in minutes rather than five. Default: on in production, off in staging.
    pub detailed_monitoring: bool,
    /// Whether the container may reach the instance metadata service, and so the
    /// instance role's credentials (a hop limit of 2 instead of 1: Docker's bridge is one
    /// hop further). Default: false: the boot script reads the secrets and image on the
    /// host, so the application needs no credentials of the instance, and a compromised
    /// container cannot take them (CT.EC2.PR.2). Turn it on when the application calls
    /// AWS with the instance role.
    pub container_metadata_access: bool,
    /// Share of the desired instances kept in service while CloudFormation replaces
    /// instances after a launch template change (a new image tag or AMI). Default: 50.
    ///
    /// The replacement is CloudFormation's `AutoScalingRollingUpdate` update policy, not an
    /// Auto Scaling instance refresh: instance refresh is an API action, not a property a
    /// template can set. New instances are waited for until their boot script reports a
    /// healthy app (`cfn-signal`); one that does not rolls the stack back.
    pub min_healthy_percent: u32,
    /// How long the boot script waits for the health check once the container runs.
    /// Default: 150 s.
    pub boot_health_timeout_seconds: u32,
    /// How long CloudFormation waits for each new instance to report (install, pull,
    /// start, health). Default: 15 minutes.
    pub signal_timeout_minutes: u32,
}

impl Ec2Settings {
    /// t3.medium, Amazon Linux 2023, 30 GiB, detailed monitoring, 50 % kept healthy.
    pub fn production() -> Self {
        Ec2Settings {
            instance_type: "t3.medium".into(),
            ami_parameter: AL2023_AMI_PARAMETER.into(),
            root_volume_gib: 30,
            detailed_monitoring: true,
            container_metadata_access: false,
            min_healthy_percent: 50,
            boot_health_timeout_seconds: 150,
            signal_timeout_minutes: 15,
        }
    }

    /// As production, with basic (five-minute) monitoring.
    pub fn staging() -> Self {
        Ec2Settings {
            detailed_monitoring: false,
            ..Ec2Settings::production()
        }
    }
}

/// The background worker of the Fargate variant (a queue consumer, say): the same image and
/// environment with another command, on FARGATE_SPOT, behind no load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSettings {
    /// The command the worker runs instead of the image's default. Default: none;
    /// required, only the application knows it.
    pub command: Vec<String>,
    /// CPU units of a worker task. Default: 256.
    pub cpu: u32,
    /// Memory of a worker task, MiB. Default: 512.
    pub memory_mib: u32,
    /// Worker tasks. Default: 1.
    pub desired_count: u32,
}

/// Settings of the Fargate variant.
///
/// ECS deploys the API blue/green itself: a new image tag on the live colour's state
/// starts the new tasks in the idle colour's target group, the test listener reaches
/// them, the production listener rule shifts to them, and the old tasks stop after the
/// bake time. Leave the load balancer's live colour as it is: after a deployment ECS, not
/// the template, knows which target group serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FargateSettings {
    /// CPU units of an API task (1024 is one vCPU). Default: 512.
    pub cpu: u32,
    /// Memory of an API task, MiB; Fargate offers fixed combinations with the CPU.
    /// Default: 1024.
    pub memory_mib: u32,
    /// The user the containers run as, never root. Default: `1000:1000`.
    pub user: String,
    /// Minutes ECS keeps the previous colour's tasks after shifting production traffic,
    /// so a rollback is instant. Default: 15 (the release watch period).
    pub bake_time_minutes: u32,
    /// Requests per target per minute the request-count scaling policy aims at.
    /// Default: 1000.
    pub requests_per_target: u32,
    /// A background worker service on FARGATE_SPOT. Default: none.
    pub worker: Option<WorkerSettings>,
}

impl FargateSettings {
    /// 0.5 vCPU / 1 GiB API tasks, running as a non-root user, a 15-minute bake, no worker.
    pub fn production() -> Self {
        FargateSettings {
            cpu: 512,
            memory_mib: 1024,
            user: "1000:1000".into(),
            bake_time_minutes: 15,
            requests_per_target: 1000,
            worker: None,
        }
    }
}

/// Where the fleet runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compute {
    /// EC2 instances in an Auto Scaling group per colour.
    Ec2(Ec2Settings),
    /// ECS Fargate tasks, deployed blue/green by ECS.
    Fargate(FargateSettings),
}

/// Settings of an [`AppFleet`]. `Default` is [`AppFleetProps::production`], an EC2 fleet;
/// [`AppFleetProps::staging`] is its cheap non-production sibling and
/// [`AppFleetProps::fargate_production`] the same on ECS Fargate.
#[derive(Debug, Clone)]
pub struct AppFleetProps {
    /// EC2 or Fargate. Default: EC2, [`Ec2Settings::production`].
    pub compute: Compute,
    /// The image repository. Default: one of the fleet's own.
    pub image: ImageSource,
    /// What the blue colour runs, fixed in the template. Default: tag `latest` at the
    /// fleet's capacity, a placeholder: name the release's tag (with immutable tags,
    /// `latest` can be pushed only once). With a `release`, leave it: the release's
    /// parameters hold each colour's tag and whether it serves.
    pub blue: ColourState,
    /// What the green colour runs, fixed in the template. Default: tag `latest`, scaled to
    /// zero. With a `release`, leave it.
    ///
    /// The Fargate variant runs the live colour's tag: ECS moves tasks between the two
    /// target groups itself, so the idle colour's state is not used there.
    pub green: ColourState,
    /// The release whose parameters hold each colour's image tag and whether it serves (an
    /// EC2 fleet: the load balancer's release, [`Traffic::Listener`]; serving means
    /// `capacity`), or the service's image tag (Fargate: [`Traffic::Ecs`]). Default: none,
    /// the state is `blue` and `green`.
    pub release: Option<Release>,
    /// The size of a serving colour. Default: min 2, max 4, desired 2.
    pub capacity: Capacity,
    /// Average CPU percent target tracking keeps the fleet at (1 to 100). Default: 70.
    pub cpu_target_percent: u32,
    /// The port the app listens on; must be the load balancer's target port.
    /// Default: none, meaning the load balancer's target port.
    pub port: Option<u16>,
    /// What the boot script polls before it reports an instance healthy. Default: none,
    /// meaning the load balancer's health check path.
    pub health_check_path: Option<String>,
    /// Seconds after start before load balancer health checks count. Default: 300.
    pub health_check_grace_seconds: u32,
    /// Plain environment variables. Default: none.
    pub environment: IndexMap<String, Value<String>>,
    /// Environment variables read from Secrets Manager by ARN when the container starts
    /// (an application key, a database password). Their names must not repeat plain
    /// ones. Default: none.
    pub secret_environment: IndexMap<String, SecretEnv>,
    /// Days the app's logs are kept (one of CloudWatch's allowed values). Default: 365.
    pub log_retention_days: u32,
    /// What happens to the log group (and the fleet's own key) when the stack lets go of
    /// it. Default: `Retain`.
    pub removal_policy: RemovalPolicy,
    /// The key for logs. Default: a key of the fleet's own.
    pub key: Option<Key>,
}

impl Default for AppFleetProps {
    fn default() -> Self {
        AppFleetProps::production()
    }
}

impl AppFleetProps {
    /// Production-grade on EC2: t3.medium, min 2 / max 4 / desired 2 (two zones), CPU
    /// target 70 %, ELB health checks with a 300 s grace, rolling replacement keeping 50 %
    /// in service, logs kept a year and retained. Blue serves, green is scaled to zero.
    pub fn production() -> Self {
        AppFleetProps {
            compute: Compute::Ec2(Ec2Settings::production()),
            image: ImageSource::OwnRepository(ImageRepositoryProps::production()),
            blue: ColourState::serving("latest"),
            green: ColourState::scaled_to_zero("latest"),
            release: None,
            capacity: Capacity::new(2, 4, 2),
            cpu_target_percent: 70,
            port: None,
            health_check_path: None,
            health_check_grace_seconds: 300,
            environment: IndexMap::new(),
            secret_environment: IndexMap::new(),
            log_retention_days: 365,
            removal_policy: RemovalPolicy::Retain,
            key: None,
        }
    }

    /// Cheap non-production on EC2: min 1 / max 2 / desired 1, basic monitoring, logs
    /// kept 90 days and deleted with the stack. An own repository is still retained: a
    /// stack that is torn down at night must not fail on (or lose) the images.
    pub fn staging() -> Self {
        AppFleetProps {
            compute: Compute::Ec2(Ec2Settings::staging()),
            capacity: Capacity::new(1, 2, 1),
            log_retention_days: 90,
            removal_policy: RemovalPolicy::Delete,
            ..AppFleetProps::production()
        }
    }

    /// Production-grade on Fargate: the API scaling 2 to 20 tasks on CPU and on requests
    /// per target, deployed blue/green by ECS.
    pub fn fargate_production() -> Self {
        AppFleetProps {
            compute: Compute::Fargate(FargateSettings::production()),
            capacity: Capacity::new(2, 20, 2),
            health_check_grace_seconds: 60,
            ..AppFleetProps::production()
        }
    }

    /// The state of `colour`.
    pub fn colour(&self, colour: Colour) -> &ColourState {
        match colour {
            Colour::Blue => &self.blue,
            Colour::Green => &self.green,
        }
    }

    /// The capacity `colour` runs at: its own, or the fleet's.
    pub fn capacity_of(&self, colour: Colour) -> Capacity {
        self.colour(colour).capacity.unwrap_or(self.capacity)
    }
}

/// The retention periods CloudWatch Logs accepts, in days.
const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The task sizes Fargate offers (Linux): CPU units and the memory each allows, MiB.
fn fargate_size_ok(cpu: u32, memory: u32) -> bool {
    let range = |from: u32, to: u32, step: u32| {
        memory >= from && memory <= to && memory.is_multiple_of(step)
    };
    match cpu {
        256 => [512, 1024, 2048].contains(&memory),
        512 => range(1024, 4096, 1024),
        1024 => range(2048, 8192, 1024),
        2048 => range(4096, 16384, 1024),
        4096 => range(8192, 30720, 1024),
        8192 => range(16384, 61440, 4096),
        16384 => range(32768, 122880, 8192),
        _ => false,
    }
}

fn fargate_sizes_for(cpu: u32) -> &'static str {
    match cpu {
        256 => "512, 1024 or 2048 MiB",
        512 => "1024 to 4096 MiB in steps of 1024",
        1024 => "2048 to 8192 MiB in steps of 1024",
        2048 => "4096 to 16384 MiB in steps of 1024",
        4096 => "8192 to 30720 MiB in steps of 1024",
        8192 => "16384 to 61440 MiB in steps of 4096",
        16384 => "32768 to 122880 MiB in steps of 8192",
        _ => "CPU of 256, 512, 1024, 2048, 4096, 8192 or 16384 units",
    }
}

/// Reports a task size Fargate does not offer: the memory, when the CPU is one Fargate
/// has, else the CPU. `at` is the settings' prop (`compute`, `compute.worker`).
fn fargate_size_problem(p: &mut Problems, at: &str, what: &str, cpu: u32, memory: u32) {
    if [256, 512, 1024, 2048, 4096, 8192, 16384].contains(&cpu) {
        p.add(
            format!("{at}.memory_mib"),
            memory.to_string(),
            format!("Fargate has no {what} of {cpu} CPU units with this memory"),
            format!("with {cpu} CPU units use {}", fargate_sizes_for(cpu)),
        );
    } else {
        p.add(
            format!("{at}.cpu"),
            cpu.to_string(),
            format!("Fargate has no {what} of this CPU size"),
            format!("use a {}", fargate_sizes_for(cpu)),
        );
    }
}

/// Environment variable names the boot script and ECS both take safely.
fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_instance_type(t: &str) -> bool {
    let mut parts = t.split('.');
    let (Some(family), Some(size), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    family.len() >= 2
        && family.starts_with(|c: char| c.is_ascii_lowercase())
        && family
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && family.chars().any(|c| c.is_ascii_digit())
        && !size.is_empty()
        && size
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// The path the boot script polls: the fleet's own, or the load balancer's.
fn health_check_path(props: &AppFleetProps, alb: &BlueGreenAlb) -> String {
    props
        .health_check_path
        .clone()
        .unwrap_or_else(|| alb.health_check_path().to_string())
}

/// A release and the fixed state do not mix, and an EC2 fleet follows the load balancer's
/// release (or neither has one).
fn release_checks(p: &mut Problems, props: &AppFleetProps, alb: &BlueGreenAlb) {
    let ec2 = matches!(props.compute, Compute::Ec2(_));
    match (&props.release, alb.release()) {
        (Some(r), _) if ec2 && r.traffic() == Traffic::Ecs => p.add(
            "release",
            format!("{r:?}"),
            "an ECS release on an EC2 fleet: nothing would size the colours or move traffic",
            "use ReleaseProps::listener, and give the same release to the load balancer",
        ),
        (Some(r), _) if !ec2 && r.traffic() == Traffic::Listener => p.add(
            "release",
            format!("{r:?}"),
            "a listener release on a Fargate fleet: ECS moves traffic itself, the stack holds only the image tag",
            "use ReleaseProps::ecs",
        ),
        (Some(r), theirs) if ec2 && theirs != Some(r) => p.add(
            "release",
            format!("{r:?}"),
            match theirs {
                Some(other) => format!("the load balancer switches traffic with another release, {other:?}"),
                None => "the load balancer's live colour is fixed, so the colours' sizes would not follow a release".into(),
            },
            "give one release to both: BlueGreenAlbProps::release and AppFleetProps::release",
        ),
        (_, Some(theirs)) if !ec2 => p.add(
            "alb.release",
            format!("{theirs:?}"),
            "ECS shifts the traffic of a Fargate fleet; a release of the listener would fight its deployments",
            "leave BlueGreenAlbProps::release out and give the fleet ReleaseProps::ecs",
        ),
        (None, Some(theirs)) => p.add(
            "release",
            "None",
            format!("the load balancer's live colour is a parameter of {theirs:?}, but the colours' tags and sizes are fixed"),
            "give the fleet the load balancer's release (AppFleetProps::release)",
        ),
        _ => {}
    }
    if props.release.is_some() {
        for (colour, state, preset) in [
            ("blue", &props.blue, ColourState::serving("latest")),
            ("green", &props.green, ColourState::scaled_to_zero("latest")),
        ] {
            p.check(
                *state == preset,
                colour,
                || format!("{state:?}"),
                "the release's parameters hold each colour's tag and whether it serves",
                format!("leave {colour} at its default and set the new stack's state in ReleaseProps::{colour}"),
            );
        }
    }
}

fn validate(
    path: &str,
    props: &AppFleetProps,
    vpc: &Vpc,
    alb: &BlueGreenAlb,
) -> Result<(), ConstructError> {
    let mut p = Problems::new(path);
    let live = alb.live_colour();
    // A colour's size is its own capacity, or the fleet's.
    let capacity_prop = |colour: Colour| match props.colour(colour).capacity {
        Some(_) => format!("{}.capacity", colour.name().to_lowercase()),
        None => "capacity".to_string(),
    };
    for colour in [Colour::Blue, Colour::Green] {
        let c = props.capacity_of(colour);
        let name = colour.name().to_lowercase();
        let at = capacity_prop(colour);
        p.check(
            c.min <= c.desired,
            format!("{at}.min"),
            || c.min.to_string(),
            format!("above desired, {} ({name})", c.desired),
            "keep min <= desired <= max",
        );
        p.check(
            c.desired <= c.max,
            format!("{at}.desired"),
            || c.desired.to_string(),
            format!("above max, {} ({name})", c.max),
            "keep min <= desired <= max",
        );
        let tag = &props.colour(colour).image_tag;
        if let Some(t) = tag.expr().as_literal_str() {
            p.check(
                is_image_tag(&t),
                format!("{name}.image_tag"),
                || quote(&t),
                "not an ECR tag",
                "use up to 128 letters, digits, '_', '.' and '-', starting with a letter, digit or '_'",
            );
        }
    }
    release_checks(&mut p, props, alb);
    p.check(
        props.release.is_some() || props.capacity_of(live).max > 0,
        format!("{}.max", capacity_prop(live)),
        || props.capacity_of(live).max.to_string(),
        format!(
            "{} is the live colour, so nothing would serve production traffic",
            live.name().to_lowercase()
        ),
        "give the live colour capacity (ColourState::serving), or switch the load balancer's live colour to the one that runs",
    );
    p.check(
        (1..=100).contains(&props.cpu_target_percent),
        "cpu_target_percent",
        || props.cpu_target_percent.to_string(),
        "not a CPU percentage to aim at",
        "aim CPU target tracking at 1 to 100 percent; 70 leaves headroom for spikes",
    );
    if let Some(port) = props.port {
        p.check(
            port == alb.target_port(),
            "port",
            || port.to_string(),
            format!("not the load balancer's target port, {}", alb.target_port()),
            "listen on the port the target groups send to, or change the load balancer's target_port",
        );
    }
    let path = health_check_path(props, alb);
    p.check(
        path.starts_with('/')
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/-_.~".contains(c)),
        "health_check_path",
        || quote(&path),
        "not a path the boot script can poll safely",
        "use a path like /health: letters, digits and / - _ . ~",
    );
    p.check(
        LOG_RETENTION_DAYS.contains(&props.log_retention_days),
        "log_retention_days",
        || props.log_retention_days.to_string(),
        "not a period CloudWatch Logs keeps logs for",
        "use one of CloudWatch's periods: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ... 3653",
    );
    for name in props.environment.keys() {
        p.check(
            is_env_name(name),
            "environment",
            || quote(name),
            "not an environment variable name",
            "use letters, digits and _, not starting with a digit",
        );
    }
    for (name, s) in &props.secret_environment {
        p.check(
            is_env_name(name),
            "secret_environment",
            || quote(name),
            "not an environment variable name",
            "use letters, digits and _, not starting with a digit",
        );
        p.check(
            !props.environment.contains_key(name),
            "secret_environment",
            || quote(name),
            "both a plain and a secret environment variable",
            "give each variable one source: drop it from environment or from secret_environment",
        );
        if let Some(f) = &s.field {
            p.check(
                !f.is_empty() && !f.contains(['\'', ':', '\n']),
                format!("secret_environment['{name}'].field"),
                || quote(f),
                "not a JSON field name",
                "name the JSON field of the secret, like password",
            );
        }
        if s.template.is_some() {
            p.check(
                matches!(props.compute, Compute::Ec2(_)),
                format!("secret_environment['{name}'].template"),
                || "SecretEnv::template(..)".to_string(),
                "the value is composed from a secret, which Fargate cannot do",
                "inject the secret's fields as separate variables (SecretEnv::field) and compose them in the app",
            );
        }
    }
    p.check(
        !vpc.subnets(SubnetKind::PrivateWithEgress).is_empty(),
        "vpc",
        || vpc.as_written(),
        "the VPC has no private subnets with egress",
        "the fleet pulls images and reads secrets through NAT: give the VPC a PrivateWithEgress tier",
    );
    match &props.compute {
        Compute::Ec2(s) => {
            p.check(
                alb.target_type() == TargetType::Instance,
                "alb.target_type",
                || format!("TargetType::{:?}", alb.target_type()),
                "the load balancer's target type is Ip, but EC2 instances register as Instance targets",
                "build the BlueGreenAlb with target_type: TargetType::Instance for the EC2 fleet",
            );
            p.check(
                is_instance_type(&s.instance_type),
                "compute.instance_type",
                || quote(&s.instance_type),
                "not an EC2 instance type",
                "write it like t3.medium",
            );
            p.check(
                s.ami_parameter.starts_with('/'),
                "compute.ami_parameter",
                || quote(&s.ami_parameter),
                "not an SSM parameter name",
                format!("name a public SSM parameter such as {AL2023_AMI_PARAMETER}"),
            );
            p.check(
                (8..=16384).contains(&s.root_volume_gib),
                "compute.root_volume_gib",
                || s.root_volume_gib.to_string(),
                "a root volume holds the AMI's 8 GiB and gp3 volumes end at 16384 GiB",
                "use 8 GiB (the AMI's size) to 16384 GiB",
            );
            p.check(
                s.min_healthy_percent <= 100,
                "compute.min_healthy_percent",
                || s.min_healthy_percent.to_string(),
                "more than all of the instances",
                "keep 0 to 100 percent in service during replacement",
            );
            p.check(
                (10..=3600).contains(&s.boot_health_timeout_seconds),
                "compute.boot_health_timeout_seconds",
                || s.boot_health_timeout_seconds.to_string(),
                "the boot script waits 10 to 3600 seconds for the health check",
                "wait 10 to 3600 seconds for the health check",
            );
            p.check(
                (1..=720).contains(&s.signal_timeout_minutes),
                "compute.signal_timeout_minutes",
                || s.signal_timeout_minutes.to_string(),
                "CloudFormation waits 1 to 720 minutes for an instance to report",
                "give instances longer to report than the health wait, at most 720 minutes",
            );
            p.check(
                u64::from(s.signal_timeout_minutes) * 60 > u64::from(s.boot_health_timeout_seconds),
                "compute.signal_timeout_minutes",
                || s.signal_timeout_minutes.to_string(),
                format!(
                    "not longer than the boot script's health wait, boot_health_timeout_seconds {}",
                    s.boot_health_timeout_seconds
                ),
                "give instances longer to report than the health wait, at most 720 minutes",
            );
        }
        Compute::Fargate(s) => {
            p.check(
                alb.target_type() == TargetType::Ip,
                "alb.target_type",
                || format!("TargetType::{:?}", alb.target_type()),
                "the load balancer's target type is Instance, but Fargate tasks (awsvpc) register as Ip targets",
                "build the BlueGreenAlb with target_type: TargetType::Ip for the Fargate fleet",
            );
            if !fargate_size_ok(s.cpu, s.memory_mib) {
                fargate_size_problem(&mut p, "compute", "task", s.cpu, s.memory_mib);
            }
            if let Some(w) = &s.worker {
                if !fargate_size_ok(w.cpu, w.memory_mib) {
                    fargate_size_problem(
                        &mut p,
                        "compute.worker",
                        "worker task",
                        w.cpu,
                        w.memory_mib,
                    );
                }
                p.check(
                    !w.command.is_empty(),
                    "compute.worker.command",
                    || "[]".to_string(),
                    "the worker has no command",
                    "give the command the worker runs, such as [\"./worker\", \"--queue\", \"jobs\"]",
                );
            }
            let user = s.user.trim();
            p.check(
                !user.is_empty() && !["root", "0"].contains(&user.split(':').next().unwrap_or("")),
                "compute.user",
                || quote(&s.user),
                "runs the containers as root",
                "run as an unprivileged user, such as 1000:1000",
            );
            p.check(
                s.bake_time_minutes <= 1440,
                "compute.bake_time_minutes",
                || s.bake_time_minutes.to_string(),
                "ECS bakes a deployment at most a day",
                "bake 0 to 1440 minutes",
            );
            p.check(
                s.requests_per_target >= 1,
                "compute.requests_per_target",
                || s.requests_per_target.to_string(),
                "scaling cannot aim at no requests",
                "aim at a positive number of requests per target per minute, such as 1000",
            );
        }
    }
    p.finish()
}

/// What both variants share, made before the variant-specific parts.
pub(crate) struct Common {
    node: Construct,
    /// The port the app listens on.
    port: u16,
    /// The path the boot script polls.
    health_check_path: String,
    key: Key,
    log_group: Resource<logs::LogGroup>,
    repository: Option<ImageRepository>,
    repository_uri: Value<String>,
    repository_arn: Value<String>,
    security_group: SecurityGroup,
}

/// The EC2 variant's L1 resources of one colour.
#[derive(Clone)]
struct Ec2Colour {
    launch_template: Resource<l1_ec2::LaunchTemplate>,
    group: Resource<autoscaling::AutoScalingGroup>,
}

#[derive(Clone)]
struct Ec2Parts {
    blue: Ec2Colour,
    green: Ec2Colour,
}

#[derive(Clone)]
struct FargateParts {
    cluster: Resource<ecs::Cluster>,
    execution_role: Role,
    task_definition: Resource<ecs::TaskDefinition>,
    service: Resource<ecs::Service>,
    /// The alarms gating the service's deployments (with a release; else none).
    deployment_alarms: Vec<Resource<cloudwatch::Alarm>>,
    worker_task_definition: Option<Resource<ecs::TaskDefinition>>,
    worker_service: Option<Resource<ecs::Service>>,
    worker_security_group: Option<SecurityGroup>,
}

#[derive(Clone)]
enum Variant {
    Ec2(Ec2Parts),
    Fargate(Box<FargateParts>),
}

/// The application fleet behind a [`BlueGreenAlb`].
///
/// Its security group admits the app port from the load balancer only and sends HTTPS
/// (AWS APIs, ECR, package repositories) out through NAT; open the way to the data layer
/// with connections (`fleet.connections().allow_to_default_port(&db)`), and give it
/// access with grants (`db.secret().grant_read(&fleet)`), which land in the instance role
/// (EC2) or the task role (Fargate).
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::alb::{BlueGreenAlb, BlueGreenAlbProps, HealthCheck};
/// use stackwright_constructs::fleet::{AppFleet, AppFleetProps, ColourState};
/// use stackwright_constructs::vpc::{Vpc, VpcProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let vpc = Vpc::new(&stack, "Network", VpcProps::production()).unwrap();
/// let edge = BlueGreenAlb::new(&stack, "Edge", &vpc, BlueGreenAlbProps {
///     target_port: Some(8080),
///     health_check: HealthCheck::path("/health"),
///     ..BlueGreenAlbProps::production("app.example.com")
/// }).unwrap();
/// let fleet = AppFleet::new(&stack, "App", &vpc, &edge, AppFleetProps {
///     blue: ColourState::serving("v1.4.2"),
///     ..AppFleetProps::production()
/// }).unwrap();
/// let _cpu = fleet.metric_cpu();
/// ```
#[derive(Clone)]
pub struct AppFleet {
    node: Construct,
    live: Colour,
    release: Option<Release>,
    port: u16,
    role: Role,
    key: Key,
    log_group: Resource<logs::LogGroup>,
    security_group: SecurityGroup,
    repository: Option<ImageRepository>,
    variant: Variant,
}

impl AppFleet {
    /// Creates the fleet under `scope`, in `vpc`'s private subnets, registered with
    /// `alb`'s target groups.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        vpc: &Vpc,
        alb: &BlueGreenAlb,
        props: AppFleetProps,
    ) -> Result<AppFleet, ConstructError> {
        let node = Construct::new(scope, id)?;
        validate(&node.path(), &props, vpc, alb)?;
        let common = common(&node, &props, vpc, alb)?;
        let (role, variant) = match &props.compute {
            Compute::Ec2(settings) => {
                let (role, parts) = ec2::build(&common, &props, settings, vpc, alb)?;
                (role, Variant::Ec2(parts))
            }
            Compute::Fargate(settings) => {
                let (role, parts) = fargate::build(&common, &props, settings, vpc, alb)?;
                (role, Variant::Fargate(Box::new(parts)))
            }
        };
        Ok(AppFleet {
            node,
            live: alb.live_colour(),
            release: props.release.clone(),
            port: common.port,
            role,
            key: common.key,
            log_group: common.log_group,
            security_group: common.security_group,
            repository: common.repository,
            variant,
        })
    }

    /// The role the app runs as: the instance role (EC2) or the task role (Fargate).
    /// Grants to the fleet land here.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// The Fargate task execution role, which pulls the image, writes logs and reads the
    /// injected secrets on the app's behalf; `None` on EC2.
    pub fn execution_role(&self) -> Option<&Role> {
        match &self.variant {
            Variant::Fargate(f) => Some(&f.execution_role),
            Variant::Ec2(_) => None,
        }
    }

    /// The colour taking production traffic (the load balancer's; with a release, the
    /// colour a brand-new stack starts with).
    pub fn live_colour(&self) -> Colour {
        self.live
    }

    /// The release whose parameters hold the fleet's state, if any.
    pub fn release(&self) -> Option<&Release> {
        self.release.as_ref()
    }

    /// The key the logs are encrypted with.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The app's log group.
    pub fn log_group(&self) -> &Resource<logs::LogGroup> {
        &self.log_group
    }

    /// The security group of the instances or of the API tasks.
    pub fn security_group(&self) -> &SecurityGroup {
        &self.security_group
    }

    /// The image repository, when it is an [`ImageRepository`] (the fleet's own or one
    /// given).
    pub fn repository(&self) -> Option<&ImageRepository> {
        self.repository.as_ref()
    }

    fn ec2_colour(&self, colour: Colour) -> Option<&Ec2Colour> {
        match (&self.variant, colour) {
            (Variant::Ec2(p), Colour::Blue) => Some(&p.blue),
            (Variant::Ec2(p), Colour::Green) => Some(&p.green),
            (Variant::Fargate(_), _) => None,
        }
    }

    /// The launch template of `colour` (EC2).
    pub fn launch_template(&self, colour: Colour) -> Option<&Resource<l1_ec2::LaunchTemplate>> {
        self.ec2_colour(colour).map(|c| &c.launch_template)
    }

    /// The Auto Scaling group of `colour` (EC2).
    ///
    /// Its boot script reports to CloudFormation (`cfn-signal`) under the group's logical
    /// id as derived from its path; overriding that id would leave the reports addressed
    /// to a resource that is not there, and deployments would time out.
    pub fn auto_scaling_group(
        &self,
        colour: Colour,
    ) -> Option<&Resource<autoscaling::AutoScalingGroup>> {
        self.ec2_colour(colour).map(|c| &c.group)
    }

    fn fargate(&self) -> Option<&FargateParts> {
        match &self.variant {
            Variant::Fargate(f) => Some(f),
            Variant::Ec2(_) => None,
        }
    }

    /// The ECS cluster (Fargate).
    pub fn cluster(&self) -> Option<&Resource<ecs::Cluster>> {
        self.fargate().map(|f| &f.cluster)
    }

    /// The API service (Fargate).
    pub fn service(&self) -> Option<&Resource<ecs::Service>> {
        self.fargate().map(|f| &f.service)
    }

    /// The alarms that gate the API service's deployments (`DeploymentConfiguration.Alarms`):
    /// each colour's 5xx rate and p99 at the release's gates, blue's first. Empty without a
    /// release, and with EC2 (whose per-colour alarms come from `Alarms::watch` of the load
    /// balancer).
    pub fn deployment_alarms(&self) -> &[Resource<cloudwatch::Alarm>] {
        self.fargate()
            .map_or(&[], |f| f.deployment_alarms.as_slice())
    }

    /// The API task definition (Fargate).
    pub fn task_definition(&self) -> Option<&Resource<ecs::TaskDefinition>> {
        self.fargate().map(|f| &f.task_definition)
    }

    /// The worker service (Fargate, when there is a worker).
    pub fn worker_service(&self) -> Option<&Resource<ecs::Service>> {
        self.fargate().and_then(|f| f.worker_service.as_ref())
    }

    /// The worker task definition (Fargate, when there is a worker).
    pub fn worker_task_definition(&self) -> Option<&Resource<ecs::TaskDefinition>> {
        self.fargate()
            .and_then(|f| f.worker_task_definition.as_ref())
    }

    /// CPU utilisation of what serves production, percent: the live colour's instances
    /// (`AWS/EC2` by `AutoScalingGroupName`) or the API service (`AWS/ECS` by
    /// `ClusterName` and `ServiceName`).
    pub fn metric_cpu(&self) -> Metric {
        match &self.variant {
            Variant::Ec2(parts) => {
                let (blue, green) = (parts.blue.group.ref_(), parts.green.group.ref_());
                let fixed = match self.live {
                    Colour::Blue => blue.clone(),
                    Colour::Green => green.clone(),
                };
                // With a release, the group of whichever colour the `Live` parameter names;
                // its condition exists since the load balancer was made, so this cannot fail.
                let group = match &self.release {
                    Some(r) => r.when_live(blue, green).unwrap_or(fixed),
                    None => fixed,
                };
                Metric::new(
                    "AWS/EC2",
                    "CPUUtilization",
                    vec![("AutoScalingGroupName".into(), group)],
                    "Percent",
                )
            }
            Variant::Fargate(f) => Metric::new(
                "AWS/ECS",
                "CPUUtilization",
                vec![
                    ("ClusterName".into(), f.cluster.ref_()),
                    ("ServiceName".into(), f.service.attr_name()),
                ],
                "Percent",
            ),
        }
    }

    /// True for the Fargate variant.
    pub fn is_fargate(&self) -> bool {
        matches!(self.variant, Variant::Fargate(_))
    }
}

/// The key, log group, repository and security group both variants use.
fn common(
    node: &Construct,
    props: &AppFleetProps,
    vpc: &Vpc,
    alb: &BlueGreenAlb,
) -> Result<Common, ConstructError> {
    let port = props.port.unwrap_or(alb.target_port());
    let key = Key::given_or_own(
        props.key.as_ref(),
        node,
        props.removal_policy,
        "Application logs",
    )?;
    key.allow_cloudwatch_logs();
    let log_group = Resource::new(
        node,
        "Logs",
        logs::LogGroup {
            kms_key_id: Some(key.arn()),
            retention_in_days: Some(i64::from(props.log_retention_days).into()),
            ..Default::default()
        },
    )?;
    // Snapshot is not a policy log groups take; their data is kept instead.
    log_group.apply_removal_policy(match props.removal_policy {
        RemovalPolicy::Delete => RemovalPolicy::Delete,
        _ => RemovalPolicy::Retain,
    });
    let (repository, repository_uri, repository_arn) = match &props.image {
        ImageSource::OwnRepository(rp) => {
            // Not the fleet's key: the repository may outlive the logs (staging deletes
            // them with the stack), and its images must stay readable.
            let repo = ImageRepository::new(node, "Repository", rp.clone())?;
            let (uri, arn) = (repo.repository_uri(), repo.arn());
            (Some(repo), uri, arn)
        }
        ImageSource::Repository(repo) => (Some(repo.clone()), repo.repository_uri(), repo.arn()),
        ImageSource::External {
            repository_uri,
            repository_arn,
        } => (None, repository_uri.clone(), repository_arn.clone()),
    };
    let security_group = SecurityGroup::new(
        node,
        "SecurityGroup",
        SecurityGroupProps {
            vpc_id: vpc.vpc_id(),
            description: format!(
                "App fleet {}: port {} from the load balancer",
                node.path(),
                port
            ),
        },
    )?;
    security_group.add_egress(
        Peer::AnyIpv4,
        Port::tcp(443),
        "HTTPS to AWS APIs (ECR, Secrets Manager, CloudWatch Logs, SSM) and package repositories, through NAT",
    )?;
    Connections::new(vec![security_group.clone()], Some(Port::tcp(port))).allow_from(
        alb,
        Port::tcp(port),
        "Load balancer to the app port",
    )?;
    Ok(Common {
        node: node.clone(),
        port,
        health_check_path: health_check_path(props, alb),
        key,
        log_group,
        repository,
        repository_uri,
        repository_arn,
        security_group,
    })
}

impl Connectable for AppFleet {
    /// The instances' or API tasks' group (and the worker's, which needs the same way to
    /// the data layer), reached on the app port.
    fn connections(&self) -> Connections {
        let mut groups = vec![self.security_group.clone()];
        if let Some(w) = self.fargate().and_then(|f| f.worker_security_group.clone()) {
            groups.push(w);
        }
        Connections::new(groups, Some(Port::tcp(self.port)))
    }
}

impl Grantable for AppFleet {
    fn grant(&self, statement: PolicyStatement) -> Result<Grant, ConstructError> {
        self.role.grant(statement)
    }
}

impl Scope for AppFleet {
    fn scope_ref(&self) -> (stackwright_core::AppRef, stackwright_core::ElementId) {
        self.node.scope_ref()
    }
}

impl std::fmt::Debug for AppFleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let variant = if self.is_fargate() { "Fargate" } else { "EC2" };
        write!(f, "AppFleet({}, {variant})", self.node.path())
    }
}

// What `Alarms::watch` adds for this construct.
impl Watchable for AppFleet {
    fn watch_name(&self) -> String {
        last_segment(&self.path())
    }

    fn alarm_specs(&self, t: &Thresholds) -> Vec<AlarmSpec> {
        vec![AlarmSpec {
            id: "Cpu".into(),
            description: format!(
                "CPU of the live colour above {}% for 15 minutes although it scales at its target: it may be at its maximum size",
                t.fleet_cpu_percent
            ),
            metric: AlarmMetric::Single(self.metric_cpu()),
            above: true,
            threshold: t.fleet_cpu_percent,
            evaluation_periods: 3,
            datapoints_to_alarm: 3,
            missing: MissingData::Ignore,
        }]
    }

    fn own_alarms(&self) -> Vec<Resource<cloudwatch::Alarm>> {
        self.deployment_alarms().to_vec()
    }

    fn graphs(&self) -> Vec<Graph> {
        vec![Graph {
            title: format!("{}: CPU of the live colour (%)", self.watch_name()),
            metrics: vec![self.metric_cpu()],
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_sizes_follow_the_published_table() {
        assert!(fargate_size_ok(256, 512));
        assert!(fargate_size_ok(512, 1024));
        assert!(fargate_size_ok(1024, 8192));
        assert!(fargate_size_ok(8192, 20480));
        assert!(!fargate_size_ok(256, 4096));
        assert!(!fargate_size_ok(1024, 1024));
        assert!(!fargate_size_ok(8192, 17408), "8 vCPU takes 4 GiB steps");
        assert!(!fargate_size_ok(300, 1024));
    }

    #[test]
    fn names_and_tags_are_checked_like_aws_does() {
        assert!(is_env_name("DATABASE_URL") && is_env_name("_X1"));
        assert!(!is_env_name("1X") && !is_env_name("A-B") && !is_env_name(""));
        assert!(is_image_tag("v1.4.2") && is_image_tag("latest") && is_image_tag("_x"));
        assert!(!is_image_tag("-x") && !is_image_tag("a:b") && !is_image_tag(""));
        assert!(is_instance_type("t3.medium") && is_instance_type("m7g.2xlarge"));
        assert!(!is_instance_type("medium") && !is_instance_type("t3.medium.x"));
    }
}
