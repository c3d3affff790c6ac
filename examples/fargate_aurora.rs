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
    AppFleet, AppFleetProps, Compute, FargateSettings, ImageSource, SecretEnv, WorkerSettings,
};
use stackwright::constructs::key::{Key, KeyProps};
use stackwright::constructs::opt_out::skip_check;
use stackwright::constructs::release::{Release, ReleaseProps};
use stackwright::constructs::secret::{Generate, Secret, SecretProps};
use stackwright::constructs::vpc::{
    Azs, FlowLogs, InterfaceEndpoint, SubnetKind, SubnetTier, Vpc, VpcProps,
};
use stackwright::constructs::waf::{WebAcl, WebAclProps};
use stackwright::l1::{guardduty, route53};
use stackwright::prelude::*;
use stackwright::synth::Pack;

/// The application's public name.
pub const DOMAIN: &str = "api.atlas.example.com";

/// Both stacks of the Fargate + Aurora variant.
pub fn app(app: &App) -> Result<(), ConstructError> {
    // Held to AWS Control Tower's proactive controls; each control broken on purpose is
    // recorded on its resource with the reason (Metadata.guard).
    app.with_rule_packs([Pack::ControlTower]);
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
    // Kept shorter than Control Tower's year on purpose, with the reasons recorded.
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
    cache.resource().guard_exception(
        "CT.ELASTICACHE.PR.8",
        "the API and its worker are the cache's only clients and authenticate with one AUTH token, kept and rotated in Secrets Manager; RBAC users would add no separation",
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
            // S3 protection stated, not left to the account's default (CT.GUARDDUTY.PR.1).
            data_sources: Some(guardduty::detector::CfnDataSourceConfigurations {
                s3_logs: Some(guardduty::detector::Cfns3LogsConfiguration {
                    enable: true.into(),
                }),
                ..Default::default()
            }),
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
    // ECS shifts the traffic in its own blue/green deployments; the stack holds the image
    // tag (a parameter a release sets, 2.3.0 on a brand-new stack) and the release marker.
    let release = Release::new(&runtime, "Release", ReleaseProps::ecs("2.3.0"))?;
    let api = AppFleet::new(
        &runtime,
        "Api",
        &vpc,
        &edge,
        AppFleetProps {
            image: ImageSource::Repository(images),
            release: Some(release),
            key: Some(key.clone()),
            ..fleet_props
        },
    )?;
    api.connections().allow_to_default_port(&db)?;
    api.connections().allow_to_default_port(&cache)?;
    api.log_group().guard_exception(
        "CT.CLOUDWATCH.PR.3",
        "the group is encrypted with the base stack's application key, which reaches this stack as an import; the control reads only keys of the same template",
    )?;
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
        "access logs expire after 90 days by lifecycle and are never rewritten; Object Lock would keep them past that and keep the stack from deleting the bucket",
    )?;
    logs.guard_exception(
        "CT.S3.PR.10",
        "load balancers deliver access logs only to buckets encrypted with SSE-S3; a KMS key is not supported",
    )?;
    edge.access_log_policy().guard_exception(
        "CT.S3.PR.8",
        "the DenyPlainHttp statement denies every request without TLS to the bucket and its objects; the control does not read the objects' ARN written as Fn::Sub",
    )?;
    api.log_group().guard_exception(
        "CT.CLOUDWATCH.PR.2",
        "application logs are kept 30 days, for cost: they serve debugging of recent releases; CloudTrail keeps the audit record",
    )?;

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
