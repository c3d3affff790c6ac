//! The FlowViz reference architecture, production and staging from one function.
//!
//! `cargo run --example production` synthesizes it into `stackwright.out/`;
//! `cargo run --example production -- list` lists the stacks in deployment order.
//!
//! - `FlowViz-Shared`: what both environments share: the DNS zone and the image repository.
//! - `FlowViz-<Env>-Base`: what persists: network, PostgreSQL, Redis, keys, secrets.
//! - `FlowViz-<Env>-Runtime`: what can be torn down at night and rebuilt in the morning
//!   without touching data: the load balancer, the fleet, alarms and the dashboard. It
//!   reaches the base stack through cross-stack references.

use stackwright::constructs::alarms::{Alarms, AlarmsProps};
use stackwright::constructs::alb::{
    BlueGreenAlb, BlueGreenAlbProps, CertificateSource, Colour, HealthCheck, HostedZone,
    Protection, TestListener,
};
use stackwright::constructs::cache::{RedisCache, RedisCacheProps};
use stackwright::constructs::database::{Availability, Deployment, PostgresDb, PostgresDbProps};
use stackwright::constructs::ecr::{ImageRepository, ImageRepositoryProps};
use stackwright::constructs::fleet::{AppFleet, AppFleetProps, Compute, ImageSource, SecretEnv};
use stackwright::constructs::key::{Key, KeyProps};
use stackwright::constructs::opt_out::skip_check;
use stackwright::constructs::release::{Release, ReleaseGates, ReleaseProps};
use stackwright::constructs::secret::{Generate, Secret, SecretProps};
use stackwright::constructs::vpc::{FlowLogs, SubnetKind, SubnetTier, Vpc, VpcProps};
use stackwright::l1::{logs, route53};
use stackwright::prelude::*;
use stackwright::synth::Pack;

/// The settings in which production and staging differ; the code is the same.
pub struct Settings {
    /// `Production` or `Staging`: part of every stack name.
    pub name: String,
    /// The `Environment` tag value.
    pub environment: &'static str,
    /// Where it deploys.
    pub env: Env,
    /// Whether the stacks refuse deletion until protection is turned off.
    pub termination_protection: bool,
    /// The network.
    pub vpc: VpcProps,
    /// PostgreSQL.
    pub database: PostgresDbProps,
    /// Redis.
    pub cache: RedisCacheProps,
    /// The application's key (logs, `SECRET_KEY`).
    pub app_key: KeyProps,
    /// What happens to the app's log group and secret when the stack lets go of them.
    pub removal: RemovalPolicy,
    /// How long application logs are kept, in days.
    pub log_retention_days: i64,
    /// The load balancer (its domain is a subdomain of the shared zone).
    pub edge: BlueGreenAlbProps,
    /// Who is paged.
    pub alarms: AlarmsProps,
    /// The application fleet (sizes; the image and secrets are wired below).
    pub fleet: AppFleetProps,
    /// The image tag a brand-new runtime stack starts with (blue serving it, green scaled
    /// to zero). Tags are immutable: a release is a new tag, which the release command
    /// sets in the stack's parameters; deploy keeps what it set.
    pub image_tag: String,
    /// What a release of this environment is judged by, and how long it waits.
    pub gates: ReleaseGates,
}

impl Settings {
    /// Production: NAT per zone, Multi-AZ database, replicated cache, data retained.
    pub fn production() -> Self {
        Settings {
            name: "Production".into(),
            environment: "production",
            env: Env::new("123456789012", "us-east-1"),
            termination_protection: true,
            vpc: network(VpcProps::production()),
            database: database(PostgresDbProps::production()),
            cache: cache(RedisCacheProps::production()),
            app_key: KeyProps::production(),
            removal: RemovalPolicy::Retain,
            log_retention_days: 30,
            edge: edge(BlueGreenAlbProps {
                access_log_retention_days: 90,
                ..BlueGreenAlbProps::production(&format!("app.{ZONE}"))
            }),
            alarms: AlarmsProps::email("ops@example.com"),
            fleet: fleet(AppFleetProps::production(), "production", 30),
            image_tag: "1.4.2".into(),
            gates: ReleaseGates::production(),
        }
    }

    /// Staging: one NAT gateway, single-AZ database, one cache node, cheap to throw away.
    pub fn staging() -> Self {
        Settings {
            name: "Staging".into(),
            environment: "staging",
            env: Env::new("123456789012", "us-east-1"),
            termination_protection: false,
            vpc: network(VpcProps::staging()),
            database: database(PostgresDbProps::staging()).single_az(
                "staging runs in one zone to halve the database bill; production is Multi-AZ",
            ),
            cache: cache(RedisCacheProps::staging()),
            app_key: KeyProps::staging(),
            removal: RemovalPolicy::Delete,
            log_retention_days: 7,
            edge: edge(BlueGreenAlbProps {
                deletion_protection: Protection::Off {
                    reason:
                        "staging's runtime stack is destroyed at night and rebuilt in the morning"
                            .into(),
                },
                access_log_retention_days: 30,
                ..BlueGreenAlbProps::staging(&format!("staging.{ZONE}"))
            }),
            alarms: AlarmsProps::email("ops@example.com"),
            fleet: fleet(AppFleetProps::staging(), "staging", 7),
            image_tag: "1.5.0-rc.1".into(),
            gates: ReleaseGates::staging(),
        }
    }
}

/// FlowViz's address plan: private 10.0.1.0/24.., public 10.0.101.0/24.., database
/// 10.0.201.0/24.., and flow logs kept 7 days.
fn network(preset: VpcProps) -> VpcProps {
    VpcProps {
        tiers: vec![
            SubnetTier::blocks("Private", SubnetKind::PrivateWithEgress, 24, 1),
            SubnetTier::blocks("Public", SubnetKind::Public, 24, 101),
            SubnetTier::blocks("Database", SubnetKind::Isolated, 24, 201),
        ],
        flow_logs: FlowLogs::CloudWatch { retention_days: 7 },
        ..preset
    }
}

/// The `flowviz` database, backed up at 03:00-04:00 UTC, maintained on Sunday mornings.
fn database(preset: PostgresDbProps) -> PostgresDbProps {
    PostgresDbProps {
        database_name: Some("flowviz".into()),
        master_username: "flowviz".into(),
        backup_window: Some("03:00-04:00".into()),
        maintenance_window: Some("sun:04:00-sun:05:00".into()),
        ..preset
    }
}

/// Redis snapshots at 02:00-03:00 UTC, maintenance after the database's, slow logs 7 days.
fn cache(preset: RedisCacheProps) -> RedisCacheProps {
    RedisCacheProps {
        snapshot_window: Some("02:00-03:00".into()),
        maintenance_window: Some("sun:05:00-sun:06:00".into()),
        slow_log_retention_days: Some(7),
        ..preset
    }
}

/// The application's contract with the load balancer: port 8000, `GET /api/health`, a
/// test listener for the idle colour, HTTP redirected to HTTPS.
fn edge(preset: BlueGreenAlbProps) -> BlueGreenAlbProps {
    BlueGreenAlbProps {
        target_port: Some(8000),
        health_check: HealthCheck::path("/api/health"),
        test_listener: Some(TestListener {
            port: 8443,
            allowed_from: None,
        }),
        http_redirect: Some(
            "port 80 only answers 301 redirects to HTTPS; no content is served over HTTP".into(),
        ),
        ..preset
    }
}

/// The fleet's plain environment and log retention.
fn fleet(preset: AppFleetProps, environment: &str, log_retention_days: u32) -> AppFleetProps {
    AppFleetProps {
        environment: [("ENVIRONMENT", environment), ("DEBUG", "false")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect(),
        log_retention_days,
        ..preset
    }
}

/// The DNS zone both environments live under.
pub const ZONE: &str = "flowviz.example.com";

/// Every stack's tags.
fn tag(stack: &Stack, environment: &str) {
    stack
        .tags()
        .add("Project", "FlowViz")
        .add("Environment", environment)
        .add("Owner", "platform")
        .add("CostCenter", "flowviz");
}

/// What both environments share.
#[derive(Clone)]
pub struct Shared {
    /// The public DNS zone (delegate its name servers from the parent domain once).
    pub zone: HostedZone,
    /// Where CI pushes the application's images; both environments pull from it.
    pub images: ImageRepository,
}

/// The shared stack.
pub fn shared(app: &App, env: Env) -> Result<Shared, ConstructError> {
    let shared = Stack::new(app, "FlowViz-Shared", env)?;
    shared.set_description("FlowViz: resources both environments share (DNS, images)");
    shared.set_termination_protection(true);
    tag(&shared, "shared");
    let zone = Resource::new(
        &shared,
        "Zone",
        route53::HostedZone {
            name: Some(ZONE.into()),
            hosted_zone_config: Some(route53::hosted_zone::HostedZoneConfig {
                comment: Some("FlowViz public zone".into()),
            }),
            ..Default::default()
        },
    )?;
    zone.apply_removal_policy(RemovalPolicy::Retain);
    Output::new(
        &shared,
        "ZoneNameServers",
        Value::join(",", zone.attr_name_servers()),
    )?
    .description("Delegate the zone to these name servers from the parent domain");
    let images = ImageRepository::new(
        &shared,
        "Images",
        ImageRepositoryProps::production().with_name("flowviz"),
    )?;
    Output::new(&shared, "ImageRepositoryUri", images.repository_uri())?
        .description("Push release images here, one immutable tag per release");
    Ok(Shared {
        zone: HostedZone {
            id: zone.attr_id(),
            name: ZONE.to_string(),
        },
        images,
    })
}

/// Builds one environment of FlowViz.
pub fn flowviz(app: &App, shared: &Shared, settings: Settings) -> Result<(), ConstructError> {
    let base = Stack::new(
        app,
        &format!("FlowViz-{}-Base", settings.name),
        settings.env.clone(),
    )?;
    base.set_description(&format!(
        "FlowViz {}: persistent resources (network, PostgreSQL, Redis, keys, secrets)",
        settings.environment
    ));
    base.set_termination_protection(settings.termination_protection);
    tag(&base, settings.environment);

    // This environment's departures from Control Tower's controls, read from its settings
    // before they are consumed; each is recorded on its resource with the reason.
    let single_az = match &settings.database.deployment {
        Deployment::Instance {
            availability: Availability::SingleAz { reason },
            ..
        } => Some(reason.clone()),
        _ => None,
    };
    let database_unprotected = !settings.database.deletion_protection;
    let cache_without_failover = !settings.cache.automatic_failover;
    let edge_unprotected = match &settings.edge.deletion_protection {
        Protection::Off { reason } => Some(reason.clone()),
        Protection::On => None,
    };
    let basic_monitoring =
        matches!(&settings.fleet.compute, Compute::Ec2(e) if !e.detailed_monitoring);
    let fleet_log_days = settings.fleet.log_retention_days;
    let access_log_days = settings.edge.access_log_retention_days;

    let vpc = Vpc::new(&base, "Network", settings.vpc)?;
    let db = PostgresDb::new(&base, "Database", &vpc, settings.database)?;
    let cache = RedisCache::new(&base, "Cache", &vpc, settings.cache)?;
    if let Some(flow_logs) = vpc.flow_log_group() {
        flow_logs.guard_exception(
            "CT.CLOUDWATCH.PR.2",
            "flow logs are kept 7 days, for cost: they serve triage of the past week's traffic; CloudTrail keeps the audit record",
        )?;
    }
    if let Some(slow_log) = cache.slow_log() {
        slow_log.guard_exception(
            "CT.CLOUDWATCH.PR.2",
            "the Redis slow log is kept 7 days, for cost: it serves tuning of the past week's commands",
        )?;
    }
    if let Some(reason) = &single_az {
        db.instance().guard_exception("CT.RDS.PR.1", reason)?;
    }
    if database_unprotected {
        db.instance().guard_exception(
            "CT.RDS.PR.13",
            "staging's database holds test data and is deleted with its stack; production's is protected",
        )?;
    }
    cache.resource().guard_exception(
        "CT.ELASTICACHE.PR.8",
        "the application is the cache's only client and authenticates with one AUTH token, kept and rotated in Secrets Manager; RBAC users would add no separation",
    )?;
    db.instance().guard_exception(
        "CT.RDS.PR.20",
        "PostgreSQL keeps port 5432: only the fleet's security group reaches it, over TLS with RDS-managed credentials, so another port would hide nothing",
    )?;
    if cache_without_failover {
        cache.resource().guard_exception(
            "CT.ELASTICACHE.PR.3",
            "staging runs one cache node, for cost; production has a replica and automatic failover",
        )?;
    }

    let key = Key::new(
        &base,
        "AppKey",
        settings
            .app_key
            .with_alias(&format!("alias/flowviz-{}-app", settings.environment))
            .with_description("FlowViz application logs and secrets"),
    )?;
    key.allow_cloudwatch_logs();
    let secret_key = Secret::new(
        &base,
        "SecretKey",
        &key,
        SecretProps {
            description: Some("FlowViz SECRET_KEY (sessions and tokens)".into()),
            generate: Generate {
                length: 64,
                exclude_punctuation: true,
                ..Generate::default()
            },
            removal_policy: settings.removal,
            ..SecretProps::default()
        },
    )?;
    let group = Resource::new(
        &base,
        "AppLogs",
        logs::LogGroup {
            log_group_name: Some(format!("/flowviz/{}/app", settings.environment).into()),
            kms_key_id: Some(key.arn()),
            retention_in_days: Some(settings.log_retention_days.into()),
            ..Default::default()
        },
    )?;
    group.apply_removal_policy(settings.removal);
    if settings.log_retention_days < 365 {
        group.guard_exception(
            "CT.CLOUDWATCH.PR.2",
            &format!(
                "application logs are kept {} days, for cost: they serve debugging of recent releases; CloudTrail keeps the audit record",
                settings.log_retention_days
            ),
        )?;
    }

    Output::new(&base, "DatabaseEndpoint", db.endpoint_address())?
        .description("PostgreSQL host (TLS required)");
    Output::new(&base, "DatabaseSecretArn", db.secret().arn())?
        .description("Master credentials, kept and rotated by RDS in Secrets Manager");
    Output::new(&base, "CacheEndpoint", cache.primary_endpoint_address())?
        .description("Redis primary host (rediss://, AUTH token in Secrets Manager)");
    Output::new(&base, "SecretKeyArn", secret_key.arn())?.description("SECRET_KEY secret");
    Output::new(&base, "AppLogGroupName", group.ref_())?
        .description("Where the application writes its logs");

    // The runtime stack: destroyed and rebuilt freely, holding no data.
    let runtime = Stack::new(
        app,
        &format!("FlowViz-{}-Runtime", settings.name),
        settings.env.clone(),
    )?;
    runtime.set_description(&format!(
        "FlowViz {}: serving resources (load balancer, fleet, alarms), rebuildable without touching data",
        settings.environment
    ));
    tag(&runtime, settings.environment);
    let url = format!("https://{}", settings.edge.domain_name);
    // The release state (live colour, weights, each colour's tag and size) is the stack's
    // parameters; these are the values a brand-new stack starts from.
    let release = Release::new(
        &runtime,
        "Release",
        ReleaseProps {
            gates: settings.gates,
            ..ReleaseProps::listener(&settings.image_tag)
        },
    )?;
    let edge = BlueGreenAlb::new(
        &runtime,
        "Edge",
        &vpc,
        BlueGreenAlbProps {
            certificate: CertificateSource::Dns {
                hosted_zone: Some(shared.zone.clone()),
                wildcard_san: Some(format!(
                    "wildcard_san asks for *.{ZONE} beside the exact name, so one certificate serves the environment's other hosts"
                )),
            },
            release: Some(release.clone()),
            ..settings.edge
        },
    )?;
    skip_check(
        edge.access_log_bucket(),
        "CKV_AWS_18",
        "this bucket receives the load balancer's access logs; logging access to it would need a log bucket of its own",
    )?;
    let alarms = Alarms::new(
        &runtime,
        "Alarms",
        AlarmsProps {
            key: Some(key.clone()),
            ..settings.alarms
        },
    )?;
    // The application's contract: port 8000, /api/health, and its configuration in the
    // environment, secrets read from Secrets Manager by ARN at boot.
    let fleet = AppFleet::new(
        &runtime,
        "App",
        &vpc,
        &edge,
        AppFleetProps {
            image: ImageSource::Repository(shared.images.clone()),
            release: Some(release),
            secret_environment: [
                (
                    "DATABASE_URL",
                    SecretEnv::template(
                        &db.secret(),
                        cfn_format!(
                            "postgresql+asyncpg://{{username}}:{{password}}@{}:5432/flowviz",
                            db.endpoint_address()
                        ),
                    ),
                ),
                (
                    "REDIS_URL",
                    SecretEnv::template(
                        cache.auth_token(),
                        cfn_format!(
                            "rediss://:{{value}}@{}:6379/0",
                            cache.primary_endpoint_address()
                        ),
                    ),
                ),
                ("SECRET_KEY", SecretEnv::whole(&secret_key)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            key: Some(key.clone()),
            ..settings.fleet
        },
    )?;
    fleet.connections().allow_to_default_port(&db)?;
    fleet.connections().allow_to_default_port(&cache)?;
    for colour in [Colour::Blue, Colour::Green] {
        if let Some(group) = fleet.auto_scaling_group(colour) {
            group.guard_exception(
                "CT.AUTOSCALING.PR.1",
                "the group spans two zones through its subnets (VPCZoneIdentifier); the control reads only AvailabilityZones, which a group in a VPC leaves out",
            )?;
            group.guard_exception(
                "CT.AUTOSCALING.PR.6",
                "the fleet runs on one instance type, the size the application is load-tested on, and on demand, where a mix of types buys no capacity",
            )?;
        }
    }
    fleet.log_group().guard_exception(
        "CT.CLOUDWATCH.PR.3",
        "the group is encrypted with the base stack's application key, which reaches this stack as an import; the control reads only keys of the same template",
    )?;
    if fleet_log_days < 365 {
        fleet.log_group().guard_exception(
            "CT.CLOUDWATCH.PR.2",
            &format!(
                "the fleet's logs are kept {fleet_log_days} days, for cost: they serve debugging of recent releases; CloudTrail keeps the audit record"
            ),
        )?;
    }
    let logs = edge.access_log_bucket();
    logs.guard_exception(
        "CT.S3.PR.2",
        "this bucket receives the load balancer's access logs; logging access to it would need a log bucket of its own",
    )?;
    logs.guard_exception(
        "CT.S3.PR.4",
        "nothing acts on a new access log; the logs are read when investigating",
    )?;
    logs.guard_exception(
        "CT.S3.PR.9",
        &format!(
            "access logs expire after {access_log_days} days by lifecycle and are never rewritten; Object Lock would keep them past that and keep the stack from deleting the bucket"
        ),
    )?;
    logs.guard_exception(
        "CT.S3.PR.10",
        "load balancers deliver access logs only to buckets encrypted with SSE-S3; a KMS key is not supported",
    )?;
    edge.access_log_policy().guard_exception(
        "CT.S3.PR.8",
        "the DenyPlainHttp statement denies every request without TLS to the bucket and its objects; the control does not read the objects' ARN written as Fn::Sub",
    )?;
    if let Some(reason) = &edge_unprotected {
        edge.resource()
            .guard_exception("CT.ELASTICLOADBALANCING.PR.5", reason)?;
    }
    if basic_monitoring {
        for colour in [Colour::Blue, Colour::Green] {
            if let Some(template) = fleet.launch_template(colour) {
                template.guard_exception(
                    "CT.EC2.PR.10",
                    "staging's instances use basic five-minute monitoring, for cost; production's have detailed monitoring",
                )?;
            }
        }
    }
    alarms
        .watch(&edge)?
        .watch(&db)?
        .watch(&cache)?
        .watch(&fleet)?;
    Output::new(&runtime, "Url", url.as_str())?.description("Where FlowViz answers");
    Output::new(&runtime, "LoadBalancerDns", edge.dns_name())?
        .description("The load balancer's own name (the Url is an alias of it)");
    Ok(())
}

/// Every stack of FlowViz: the shared one, then production and staging.
pub fn app(app: &App) -> Result<(), ConstructError> {
    // Every stack is held to AWS Control Tower's proactive controls; where one is broken
    // on purpose, the resource records why (Metadata.guard) and synth lists it.
    app.with_rule_packs([Pack::ControlTower]);
    let shared = shared(app, Env::new("123456789012", "us-east-1"))?;
    flowviz(app, &shared, Settings::production())?;
    flowviz(app, &shared, Settings::staging())
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    stackwright::run(app)
}
