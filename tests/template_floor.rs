//! The template pass is the floor: each mistake a construct refuses in its props, when it
//! is one AWS would refuse too, is refused by synth when written straight into the
//! template (as an L1 or untyped resource, through `edit` or a property override: they all
//! reach the same JSON). Each case is one valid resource with one mistake, and the
//! construct check it mirrors.

use serde_json::{Value as Json, json};
use stackwright::core::{App, Env, RawResource, Stack};
use stackwright::synth::{SynthError, synthesize};

/// The errors synth reports for a stack holding only `R`, of `type_name` with `props`.
fn errors(type_name: &str, props: Json) -> Vec<String> {
    let app = App::new();
    let stack = Stack::new(&app, "S", Env::new("123456789012", "us-east-1")).unwrap();
    RawResource::new(&stack, "R", type_name, props).unwrap();
    match synthesize(&app) {
        Ok(_) => Vec::new(),
        Err(SynthError::Invalid(d)) => d.errors().map(|e| e.to_string()).collect(),
        Err(e) => panic!("{e}"),
    }
}

fn with(mut base: Json, changes: Json) -> Json {
    for (k, v) in changes.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn postgres() -> Json {
    json!({
        "Engine": "postgres", "EngineVersion": "17.6", "DBInstanceClass": "db.t4g.micro",
        "AllocatedStorage": "20", "StorageEncrypted": true, "ManageMasterUserPassword": true,
        "MasterUsername": "dbadmin",
    })
}

fn target_group() -> Json {
    json!({"Port": 8000, "Protocol": "HTTP", "VpcId": "vpc-0123456789abcdef0", "TargetType": "instance"})
}

/// (what, the construct check it mirrors, type, props): each must be refused.
fn cases() -> Vec<(&'static str, &'static str, &'static str, Json)> {
    vec![
        (
            "backups kept 36 days",
            "PostgresDb backup_retention_days",
            "AWS::RDS::DBInstance",
            with(postgres(), json!({"BackupRetentionPeriod": 36})),
        ),
        (
            "storage ceiling below the size",
            "PostgresDb deployment.max_allocated_storage_gib",
            "AWS::RDS::DBInstance",
            with(
                postgres(),
                json!({"AllocatedStorage": "100", "MaxAllocatedStorage": 50}),
            ),
        ),
        (
            "10 GiB of PostgreSQL storage",
            "PostgresDb deployment.allocated_storage_gib",
            "AWS::RDS::DBInstance",
            with(postgres(), json!({"AllocatedStorage": "10"})),
        ),
        (
            "monitoring every 7 s",
            "PostgresDb monitoring_interval_seconds",
            "AWS::RDS::DBInstance",
            with(
                postgres(),
                json!({"MonitoringInterval": 7, "MonitoringRoleArn": "arn:aws:iam::123456789012:role/m"}),
            ),
        ),
        (
            "Performance Insights kept 8 days",
            "PostgresDb performance_insights_days",
            "AWS::RDS::DBInstance",
            with(
                postgres(),
                json!({"EnablePerformanceInsights": true, "PerformanceInsightsRetentionPeriod": 8}),
            ),
        ),
        (
            "a database name starting with a digit",
            "PostgresDb database_name",
            "AWS::RDS::DBInstance",
            with(postgres(), json!({"DBName": "1orders"})),
        ),
        (
            "a reserved master user",
            "PostgresDb master_username",
            "AWS::RDS::DBInstance",
            with(postgres(), json!({"MasterUsername": "rdsadmin"})),
        ),
        (
            "a DB class with a typo",
            "PostgresDb deployment.class",
            "AWS::RDS::DBInstance",
            with(postgres(), json!({"DBInstanceClass": "db.t4g.mircro"})),
        ),
        (
            "Redis snapshots kept 36 days",
            "RedisCache snapshot_retention_days",
            "AWS::ElastiCache::ReplicationGroup",
            json!({
                "ReplicationGroupDescription": "d", "Engine": "redis", "EngineVersion": "7.1",
                "CacheNodeType": "cache.t4g.micro", "NumCacheClusters": 2, "AutomaticFailoverEnabled": true,
                "SnapshotRetentionLimit": 36}),
        ),
        (
            "a Redis version ElastiCache lacks",
            "RedisCache version",
            "AWS::ElastiCache::ReplicationGroup",
            json!({
                "ReplicationGroupDescription": "d", "Engine": "redis", "EngineVersion": "7.9",
                "CacheNodeType": "cache.t4g.micro", "NumCacheClusters": 1}),
        ),
        (
            "a key deleted after 31 days",
            "Key pending_window_days",
            "AWS::KMS::Key",
            json!({"EnableKeyRotation": true, "PendingWindowInDays": 31}),
        ),
        (
            "an alias in the aws/ namespace",
            "Key alias",
            "AWS::KMS::Alias",
            json!({"AliasName": "alias/aws/orders", "TargetKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}),
        ),
        (
            "logs kept 8 days",
            "log_retention_days",
            "AWS::Logs::LogGroup",
            json!({"RetentionInDays": 8}),
        ),
        (
            "a health check timeout not below its interval",
            "AppFleet health_check.timeout_seconds",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            with(
                target_group(),
                json!({"HealthCheckIntervalSeconds": 10, "HealthCheckTimeoutSeconds": 10}),
            ),
        ),
        (
            "a health check path without its slash",
            "AppFleet health_check.path",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            with(target_group(), json!({"HealthCheckPath": "health"})),
        ),
        (
            "a deregistration delay over an hour",
            "AppFleet deregistration_delay_seconds",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            with(
                target_group(),
                json!({"TargetGroupAttributes": [
                {"Key": "deregistration_delay.timeout_seconds", "Value": "3601"}]}),
            ),
        ),
        (
            "an idle timeout over 4000 s",
            "BlueGreenAlb idle_timeout_seconds",
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            json!({
                "Type": "application", "Subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                "LoadBalancerAttributes": [{"Key": "idle_timeout.timeout_seconds", "Value": "4001"}]}),
        ),
        (
            "a TLS policy with a typo",
            "BlueGreenAlb ssl_policy",
            "AWS::ElasticLoadBalancingV2::Listener",
            json!({"LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/1",
                "Port": 443, "Protocol": "HTTPS", "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-6",
                "Certificates": [{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/c"}],
                "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]}),
        ),
        (
            "rotation every 1001 days",
            "Secret rotation.after_days",
            "AWS::SecretsManager::RotationSchedule",
            json!({"SecretId": "s", "RotationRules": {"AutomaticallyAfterDays": 1001}}),
        ),
        (
            "a VPC of a /8",
            "Vpc cidr",
            "AWS::EC2::VPC",
            json!({"CidrBlock": "10.0.0.0/8"}),
        ),
        (
            "a PostgreSQL port below 1150",
            "PostgresDb port",
            "AWS::RDS::DBInstance",
            with(postgres(), json!({"Port": "80"})),
        ),
        (
            "an instance type with a typo",
            "AppFleet compute.instance_type",
            "AWS::EC2::LaunchTemplate",
            json!({"LaunchTemplateData": {"InstanceType": "t4g.smal"}}),
        ),
    ]
}

#[test]
fn every_mistake_a_construct_refuses_is_refused_in_the_template() {
    let mut missed = Vec::new();
    for (what, mirrors, type_name, props) in cases() {
        let found = errors(type_name, props);
        if !found.iter().any(|e| e.contains("S/R")) {
            missed.push(format!("{what} ({mirrors}, {type_name}): {found:?}"));
        }
    }
    assert!(
        missed.is_empty(),
        "synth let through:\n{}",
        missed.join("\n")
    );
}

#[test]
fn the_valid_resources_the_cases_start_from_pass() {
    assert_eq!(
        errors("AWS::RDS::DBInstance", postgres()),
        Vec::<String>::new()
    );
    assert_eq!(
        errors("AWS::ElasticLoadBalancingV2::TargetGroup", target_group()),
        Vec::<String>::new()
    );
}

#[test]
fn the_same_mistakes_through_a_constructs_escape_hatches_are_refused() {
    use stackwright::constructs::database::{PostgresDb, PostgresDbProps};
    use stackwright::constructs::vpc::{Vpc, VpcProps};
    use stackwright::core::Expr;
    let app = App::new();
    let stack = Stack::new(&app, "S", Env::new("123456789012", "us-east-1")).unwrap();
    let vpc = Vpc::new(&stack, "Net", VpcProps::default()).unwrap();
    let props = PostgresDbProps {
        database_name: Some("orders".into()),
        ..PostgresDbProps::default()
    };
    let db = PostgresDb::new(&stack, "Db", &vpc, props).unwrap();
    assert!(
        synthesize(&app).is_ok(),
        "the construct's own template is valid"
    );
    // What the props would have refused, written past them.
    db.instance()
        .add_property_override("BackupRetentionPeriod", Expr::Int(36));
    db.instance()
        .add_property_override("MonitoringInterval", Expr::Int(7));
    db.instance().edit(|i| i.port = Some("80".into()));
    let d = match synthesize(&app) {
        Err(SynthError::Invalid(d)) => d,
        other => panic!("expected findings, got {other:?}"),
    };
    let at_db: Vec<&str> = d
        .errors()
        .filter(|e| e.path.starts_with("S/Db"))
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(at_db.len(), 3, "{d}");
    for (finding, wrong) in at_db.iter().zip([
        "BackupRetentionPeriod is 36",
        "MonitoringInterval is 7",
        "Port is 80",
    ]) {
        assert!(finding.contains(wrong), "{finding}");
    }
}
