//! The larger variant of the reference architecture: a compliance-minded deployment of the
//! same kind of application, on ECS Fargate and Aurora PostgreSQL, across three zones.
//!
//! `cargo run --example fargate_aurora` synthesizes it into `stackwright.out/`.
//!
//! - `Atlas-Production-Base`: network (3 AZs, interface endpoints so AWS API traffic stays
//!   inside the VPC), Aurora with a writer and two readers, Redis on three nodes, the image
//!   repository, keys, secrets, AWS Backup, the DNS zone and threat detection.
//! - `Atlas-Production-Runtime`: WAF, the blue/green load balancer, the Fargate API and its
//!   worker, alarms and the dashboard.

use stackwright::constructs::alarms::{Alarms, AlarmsProps, Thresholds};
use stackwright::constructs::alb::{
    BlueGreenAlb, BlueGreenAlbProps, CertificateSource, HealthCheck, HostedZone, TargetType,
    TestListener,
};
use stackwright::constructs::backup::{BackupPlan, BackupPlanProps};
use stackwright::constructs::cache::{RedisCache, RedisCacheProps};
use stackwright::constructs::database::Deployment;
use stackwright::constructs::database::{PostgresDb, PostgresDbProps};
use stackwright::constructs::ecr::{ImageRepository, ImageRepositoryProps};
use stackwright::constructs::fleet::{
    AppFleet, AppFleetProps, ColourState, Compute, FargateSettings, ImageSource, SecretEnv,
    WorkerSettings,
};
use stackwright::constructs::key::{Key, KeyProps};
use stackwright::constructs::opt_out::skip_check;
use stackwright::constructs::secret::{Generate, Secret, SecretProps};
use stackwright::constructs::vpc::{
    Azs, FlowLogs, InterfaceEndpoint, SubnetKind, SubnetTier, Vpc, VpcProps,
};
use stackwright::constructs::waf::{WebAcl, WebAclProps};
use stackwright::l1::{guardduty, route53};
use stackwright::prelude::*;

/// The application's public name.
pub const DOMAIN: &str = "api.atlas.example.com";

/// Both stacks of the Fargate + Aurora variant.
pub fn app(app: &App) -> Result<(), ConstructError> {
    let env = Env::new("123456789012", "us-east-1");
    let base = Stack::new(app, "Atlas-Production-Base", env.clone())?;
    base.set_description(
        "Atlas production: persistent resources (network, Aurora, Redis, images, keys, backups)",
    );
    base.set_termination_protection(true);
    base.tags()
        .add("Project", "Atlas")
        .add("Environment", "production")
        .add("Owner", "platform")
        .add("CostCenter", "atlas")
        .add("DataClassification", "confidential");

    let vpc = Vpc::new(
        &base,
        "Network",
        VpcProps {
            azs: Azs::Count(3),
            tiers: vec![
                SubnetTier::blocks("Private", SubnetKind::PrivateWithEgress, 24, 1),
                SubnetTier::blocks("Public", SubnetKind::Public, 24, 101),
                SubnetTier::blocks("Database", SubnetKind::Isolated, 24, 201),
            ],
            flow_logs: FlowLogs::CloudWatch { retention_days: 7 },
            interface_endpoints: vec![
                InterfaceEndpoint::EcrApi,
                InterfaceEndpoint::EcrDocker,
                InterfaceEndpoint::SecretsManager,
                InterfaceEndpoint::Logs,
            ],
            ..VpcProps::production()
        },
    )?;
    let db = PostgresDb::new(
        &base,
        "Database",
        &vpc,
        PostgresDbProps {
            deployment: Deployment::Aurora {
                class: "db.r6g.large".into(),
                readers: 2,
            },
            database_name: Some("atlas".into()),
            master_username: "atlas".into(),
            backup_retention_days: 35,
            backup_window: Some("03:00-04:00".into()),
            maintenance_window: Some("sun:04:00-sun:05:00".into()),
            ..PostgresDbProps::aurora_production()
        },
    )?;
    let cache = RedisCache::new(
        &base,
        "Cache",
        &vpc,
        RedisCacheProps {
            replicas: 2,
            snapshot_window: Some("02:00-03:00".into()),
            maintenance_window: Some("sun:05:00-sun:06:00".into()),
            slow_log_retention_days: Some(7),
            ..RedisCacheProps::production()
        },
    )?;
    let images = ImageRepository::new(
        &base,
        "Images",
        ImageRepositoryProps::production().with_name("atlas"),
    )?;
    let key = Key::new(
        &base,
        "AppKey",
        KeyProps::production()
            .with_alias("alias/atlas-production-app")
            .with_description("Atlas application logs and secrets"),
    )?;
    key.allow_cloudwatch_logs();
    let secret_key = Secret::new(
        &base,
        "SecretKey",
        &key,
        SecretProps {
            description: Some("Atlas SECRET_KEY".into()),
            generate: Generate {
                length: 64,
                exclude_punctuation: true,
                ..Generate::default()
            },
            ..SecretProps::default()
        },
    )?;

    // Daily and weekly recovery points of the cluster, cold after 30 days, kept 7 years.
    let backups = BackupPlan::new(
        &base,
        "Backups",
        BackupPlanProps {
            retention_days: 2557,
            ..BackupPlanProps::default()
        },
    )?;
    if let Some(cluster) = db.cluster() {
        backups.add_resources("Database", vec![cluster.attr_db_cluster_arn()])?;
    }

    // One detector per account and region: drop this where GuardDuty is already on.
    Resource::new(
        &base,
        "ThreatDetection",
        guardduty::Detector {
            finding_publishing_frequency: Some(
                guardduty::detector::FindingPublishingFrequency::FifteenMinutes.into(),
            ),
            ..guardduty::Detector::new(true)
        },
    )?;

    let zone = Resource::new(
        &base,
        "Zone",
        route53::HostedZone {
            name: Some("atlas.example.com".into()),
            ..Default::default()
        },
    )?;
    zone.apply_removal_policy(RemovalPolicy::Retain);

    let runtime = Stack::new(app, "Atlas-Production-Runtime", env)?;
    runtime.set_description(
        "Atlas production: serving resources (WAF, load balancer, Fargate services, alarms)",
    );
    runtime
        .tags()
        .add("Project", "Atlas")
        .add("Environment", "production")
        .add("Owner", "platform")
        .add("CostCenter", "atlas");
    let firewall = WebAcl::new(&runtime, "Firewall", WebAclProps::default())?;
    let edge = BlueGreenAlb::new(
        &runtime,
        "Edge",
        &vpc,
        BlueGreenAlbProps {
            target_type: TargetType::Ip,
            certificate: CertificateSource::Dns {
                hosted_zone: Some(HostedZone {
                    id: zone.attr_id(),
                    name: "atlas.example.com".into(),
                }),
                wildcard_san: None,
            },
            target_port: Some(8000),
            health_check: HealthCheck::path("/api/health"),
            test_listener: Some(TestListener {
                port: 8443,
                allowed_from: None,
            }),
            http_redirect: Some(
                "port 80 only answers 301 redirects to HTTPS; no content is served over HTTP"
                    .into(),
            ),
            access_log_retention_days: 90,
            web_acl_arn: Some(firewall.arn()),
            ..BlueGreenAlbProps::production(DOMAIN)
        },
    )?;
    skip_check(
        edge.access_log_bucket(),
        "CKV_AWS_18",
        "this bucket receives the load balancer's access logs; logging access to it would need a log bucket of its own",
    )?;

    // ECS injects whole secrets or JSON fields; the app builds its URLs from the parts.
    let mut fleet_props = AppFleetProps {
        compute: Compute::Fargate(FargateSettings {
            worker: Some(WorkerSettings {
                command: [
                    "celery",
                    "--app",
                    "app.worker",
                    "worker",
                    "--loglevel",
                    "INFO",
                ]
                .map(String::from)
                .to_vec(),
                cpu: 256,
                memory_mib: 512,
                desired_count: 1,
            }),
            ..FargateSettings::production()
        }),
        log_retention_days: 30,
        ..AppFleetProps::fargate_production()
    };
    for (name, value) in [
        ("ENVIRONMENT", "production".into()),
        ("DEBUG", "false".into()),
        ("DB_HOST", db.endpoint_address()),
        (
            "DB_READER_HOST",
            db.reader_endpoint_address()
                .unwrap_or_else(|| db.endpoint_address()),
        ),
        ("DB_NAME", "atlas".into()),
        ("REDIS_HOST", cache.primary_endpoint_address()),
    ] {
        fleet_props.environment.insert(name.to_string(), value);
    }
    let db_secret = db.secret();
    for (name, secret) in [
        ("DB_USER", SecretEnv::field(&db_secret, "username")),
        ("DB_PASSWORD", SecretEnv::field(&db_secret, "password")),
        ("REDIS_TOKEN", SecretEnv::whole(cache.auth_token())),
        ("SECRET_KEY", SecretEnv::whole(&secret_key)),
    ] {
        fleet_props
            .secret_environment
            .insert(name.to_string(), secret);
    }
    let api = AppFleet::new(
        &runtime,
        "Api",
        &vpc,
        &edge,
        AppFleetProps {
            image: ImageSource::Repository(images),
            blue: ColourState::serving("2.3.0"),
            green: ColourState::serving("2.3.0"),
            key: Some(key.clone()),
            ..fleet_props
        },
    )?;
    api.connections().allow_to_default_port(&db)?;
    api.connections().allow_to_default_port(&cache)?;

    let alarms = Alarms::new(
        &runtime,
        "Alarms",
        AlarmsProps {
            key: Some(key),
            thresholds: Thresholds {
                http_5xx_count_per_minute: Some(10.0),
                latency_p99_seconds: 0.5,
                ..Thresholds::default()
            },
            ..AlarmsProps::email("oncall@example.com")
        },
    )?;
    alarms
        .watch(&edge)?
        .watch(&db)?
        .watch(&cache)?
        .watch(&api)?;
    Output::new(&runtime, "Url", format!("https://{DOMAIN}").as_str())?
        .description("Where the API answers");
    Ok(())
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    stackwright::run(app)
}
