//! `RedisCache`: the production and staging replication groups, the AUTH token as a dynamic
//! reference, encryption, slow log, the handle, snapshots and every construction error.

use serde_json::{Value as Json, json};
use stackwright_assertions::{Matcher, Template};
use stackwright_constructs::cache::{RedisCache, RedisCacheProps, SUPPORTED_VERSIONS};
use stackwright_constructs::iam::{Role, RoleProps};
use stackwright_constructs::key::{Key, KeyProps};
use stackwright_constructs::metric::Statistic;
use stackwright_constructs::security_group::{Connectable, Port};
use stackwright_constructs::vpc::{Azs, SubnetKind, Vpc, VpcAttributes, VpcProps};
use stackwright_constructs::{ConstructError, PropProblem};
use stackwright_core::{App, Env, Output, Stack};

fn stack(app: &App) -> Stack {
    Stack::new(app, "Test", Env::new("123456789012", "us-east-1")).unwrap()
}

fn get_att(id: &str, attr: &str) -> Json {
    json!({ "Fn::GetAtt": [id, attr] })
}

fn r(id: &str) -> Json {
    json!({ "Ref": id })
}

/// The path and prop problems of a refused construct, failing the test on anything else.
fn invalid<T>(result: Result<T, ConstructError>) -> (String, Vec<PropProblem>) {
    match result.err().expect("should be refused") {
        ConstructError::InvalidProps { path, problems } => (path, problems),
        other => panic!("expected an InvalidProps error, got {other:?}"),
    }
}

fn with_vpc(props: RedisCacheProps) -> (App, Stack, RedisCache) {
    let app = App::new();
    let s = stack(&app);
    let vpc = Vpc::new(&s, "Network", VpcProps::staging()).unwrap();
    let cache = RedisCache::new(&s, "Cache", &vpc, props).unwrap();
    (app, s, cache)
}

fn template(props: RedisCacheProps) -> Template {
    let (_app, s, _cache) = with_vpc(props);
    Template::from_stack(&s)
}

/// The one problem of a refused cache, failing the test when there are more.
fn cache_error(zones: u8, props: RedisCacheProps) -> (String, PropProblem) {
    let app = App::new();
    let s = stack(&app);
    let vpc = Vpc::new(
        &s,
        "Network",
        VpcProps {
            azs: Azs::Count(zones),
            ..VpcProps::staging()
        },
    )
    .unwrap();
    let (path, mut problems) = invalid(RedisCache::new(&s, "Cache", &vpc, props));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    (path, problems.remove(0))
}

const AUTH_TOKEN_REF: &str = "{{resolve:secretsmanager:${CacheAuthToken}:SecretString}}";

// ---------------------------------------------------------------------------------------
// Production
// ---------------------------------------------------------------------------------------

#[test]
fn production_is_a_replicated_encrypted_redis_7_1() {
    let t = template(RedisCacheProps::production());
    t.resource_count_is("AWS::ElastiCache::ReplicationGroup", 1);
    t.has_resource(
        "AWS::ElastiCache::ReplicationGroup",
        json!({
            "Properties": {
                "Engine": "redis",
                "EngineVersion": "7.1",
                "CacheNodeType": "cache.t3.micro",
                "NumCacheClusters": 2,
                "AutomaticFailoverEnabled": true,
                "MultiAZEnabled": true,
                "TransitEncryptionEnabled": true,
                "AuthToken": { "Fn::Sub": AUTH_TOKEN_REF },
                "AtRestEncryptionEnabled": true,
                "KmsKeyId": get_att("CacheKey", "Arn"),
                "CacheSubnetGroupName": r("CacheSubnetGroup"),
                "CacheParameterGroupName": r("CacheParameterGroup"),
                "SecurityGroupIds": [get_att("CacheSecurityGroup", "GroupId")],
                "SnapshotRetentionLimit": 7,
                "AutoMinorVersionUpgrade": true,
                "Port": 6379,
                "ReplicationGroupDescription": "Redis Test/Cache",
                "LogDeliveryConfigurations": [{
                    "DestinationType": "cloudwatch-logs",
                    "DestinationDetails": { "CloudWatchLogsDetails": { "LogGroup": r("CacheSlowLog") } },
                    "LogFormat": "json",
                    "LogType": "slow-log"
                }]
            },
            "DeletionPolicy": "Snapshot",
            "UpdateReplacePolicy": "Snapshot"
        }),
    );
    assert_eq!(RedisCacheProps::default(), RedisCacheProps::production());
}

#[test]
fn the_auth_token_is_a_dynamic_reference_to_a_generated_secret() {
    for props in [RedisCacheProps::production(), RedisCacheProps::staging()] {
        let (app, s, _cache) = with_vpc(props);
        let t = Template::from_stack(&s);
        let groups = t.find_resources("AWS::ElastiCache::ReplicationGroup", Matcher::any_value());
        let token = &groups["Cache"]["Properties"]["AuthToken"];
        assert!(
            !token.is_string(),
            "the AUTH token must not be a literal string: {token}"
        );
        let reference = token["Fn::Sub"].as_str().unwrap();
        assert!(
            reference.starts_with("{{resolve:secretsmanager:") && reference.ends_with("}}"),
            "{reference}"
        );
        // The secret's value is generated by Secrets Manager: letters and digits only, as
        // AUTH tokens and redis:// URLs want, and long enough (ElastiCache takes 16-128).
        t.has_resource_properties(
            "AWS::SecretsManager::Secret",
            Matcher::from(json!({
                "Description": "Redis AUTH token of Test/Cache",
                "GenerateSecretString": { "PasswordLength": 64, "ExcludePunctuation": true },
                "KmsKeyId": get_att("CacheKey", "Arn")
            }))
            .with("/SecretString", Matcher::absent()),
        );
        let body = &stackwright_synth::synthesize(&app).unwrap().bodies[0];
        assert!(
            !body.contains("\"SecretString\""),
            "no literal secret anywhere"
        );
    }
}

#[test]
fn the_cache_has_its_own_key_subnet_group_parameter_group_and_group() {
    let t = template(RedisCacheProps::production());
    t.has_resource(
        "AWS::KMS::Key",
        Matcher::from(json!({
            "Properties": {
                "Description": "Cache data at rest, AUTH token and slow log",
                "EnableKeyRotation": true,
                "PendingWindowInDays": 30
            },
            "DeletionPolicy": "Retain"
        }))
        .with(
            "/Properties/KeyPolicy/Statement",
            Matcher::array_with([json!({ "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups" })]),
        ),
    );
    t.has_resource_properties(
        "AWS::ElastiCache::SubnetGroup",
        Matcher::exact(json!({
            "Description": "Subnets of Test/Cache",
            "SubnetIds": [r("NetworkIsolatedSubnet1Subnet"), r("NetworkIsolatedSubnet2Subnet")]
        })),
    );
    t.has_resource_properties(
        "AWS::ElastiCache::ParameterGroup",
        Matcher::exact(json!({
            "CacheParameterGroupFamily": "redis7",
            "Description": "Parameters of Test/Cache"
        })),
    );
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({ "GroupDescription": "Redis Test/Cache", "VpcId": r("Network") }),
    );
}

#[test]
fn the_slow_log_goes_to_an_encrypted_log_group() {
    let t = template(RedisCacheProps::production());
    // The VPC's flow logs, and the slow log.
    t.resource_count_is("AWS::Logs::LogGroup", 2);
    t.has_resource(
        "AWS::Logs::LogGroup",
        json!({
            "Properties": { "KmsKeyId": get_att("CacheKey", "Arn"), "RetentionInDays": 365 },
            "DeletionPolicy": "Retain"
        }),
    );
}

#[test]
fn the_slow_log_can_be_turned_off() {
    let t = template(RedisCacheProps {
        slow_log_retention_days: None,
        ..RedisCacheProps::production()
    });
    t.resource_count_is("AWS::Logs::LogGroup", 1);
    t.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        Matcher::object([("LogDeliveryConfigurations", Matcher::absent())]),
    );
    // The key needs no CloudWatch Logs statement then.
    t.has_resource_properties(
        "AWS::KMS::Key",
        Matcher::from(json!({ "Description": "Cache data at rest, AUTH token and slow log" }))
            .with(
                "/KeyPolicy/Statement",
                Matcher::not(Matcher::array_with([
                    json!({ "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups" }),
                ])),
            ),
    );
}

#[test]
fn engine_parameters_go_into_the_parameter_group() {
    let mut props = RedisCacheProps::production();
    props
        .parameters
        .insert("maxmemory-policy".into(), "allkeys-lru".into());
    let t = template(props);
    t.has_resource_properties(
        "AWS::ElastiCache::ParameterGroup",
        json!({ "Properties": { "maxmemory-policy": "allkeys-lru" } }),
    );
}

#[test]
fn redis_7_0_uses_the_redis7_family() {
    let t = template(RedisCacheProps {
        version: "7.0".into(),
        ..RedisCacheProps::production()
    });
    t.has_resource_properties(
        "AWS::ElastiCache::ParameterGroup",
        json!({ "CacheParameterGroupFamily": "redis7" }),
    );
}

#[test]
fn redis_6_2_uses_the_redis6_x_family() {
    let t = template(RedisCacheProps {
        version: "6.2".into(),
        ..RedisCacheProps::production()
    });
    t.has_resource_properties(
        "AWS::ElastiCache::ParameterGroup",
        json!({ "CacheParameterGroupFamily": "redis6.x" }),
    );
}

#[test]
fn a_key_of_the_callers_replaces_the_caches_own() {
    let app = App::new();
    let s = stack(&app);
    let vpc = Vpc::new(&s, "Network", VpcProps::staging()).unwrap();
    let key = Key::new(&s, "SharedKey", KeyProps::production()).unwrap();
    RedisCache::new(
        &s,
        "Cache",
        &vpc,
        RedisCacheProps {
            key: Some(key),
            ..RedisCacheProps::production()
        },
    )
    .unwrap();
    let t = Template::from_stack(&s);
    assert!(t.json()["Resources"].get("CacheKey").is_none());
    t.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        json!({ "KmsKeyId": get_att("SharedKey", "Arn") }),
    );
    t.has_resource_properties(
        "AWS::SecretsManager::Secret",
        json!({ "KmsKeyId": get_att("SharedKey", "Arn") }),
    );
    t.has_resource_properties(
        "AWS::Logs::LogGroup",
        json!({ "KmsKeyId": get_att("SharedKey", "Arn") }),
    );
}

#[test]
fn private_subnets_can_host_the_cache() {
    let t = template(RedisCacheProps {
        subnets: SubnetKind::PrivateWithEgress,
        ..RedisCacheProps::production()
    });
    t.has_resource_properties(
        "AWS::ElastiCache::SubnetGroup",
        json!({ "SubnetIds": [r("NetworkPrivateSubnet1Subnet"), r("NetworkPrivateSubnet2Subnet")] }),
    );
}

#[test]
fn no_snapshots_means_no_snapshot_window() {
    let t = template(RedisCacheProps {
        snapshot_retention_days: 0,
        ..RedisCacheProps::production()
    });
    t.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        Matcher::from(json!({ "SnapshotRetentionLimit": 0 }))
            .with("/SnapshotWindow", Matcher::absent()),
    );
}

// ---------------------------------------------------------------------------------------
// Staging
// ---------------------------------------------------------------------------------------

#[test]
fn staging_is_one_node_still_encrypted_and_authenticated() {
    let t = template(RedisCacheProps::staging());
    t.has_resource(
        "AWS::ElastiCache::ReplicationGroup",
        json!({
            "Properties": {
                "EngineVersion": "7.1",
                "NumCacheClusters": 1,
                "AutomaticFailoverEnabled": false,
                "MultiAZEnabled": false,
                "SnapshotRetentionLimit": 1,
                "TransitEncryptionEnabled": true,
                "AtRestEncryptionEnabled": true,
                "KmsKeyId": get_att("CacheKey", "Arn"),
                "AuthToken": { "Fn::Sub": AUTH_TOKEN_REF }
            },
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete"
        }),
    );
    t.has_resource(
        "AWS::SecretsManager::Secret",
        json!({ "DeletionPolicy": "Delete" }),
    );
    t.has_resource(
        "AWS::KMS::Key",
        json!({
            "Properties": { "Description": "Cache data at rest, AUTH token and slow log", "PendingWindowInDays": 7 },
            "DeletionPolicy": "Delete"
        }),
    );
    t.has_resource(
        "AWS::Logs::LogGroup",
        json!({ "Properties": { "KmsKeyId": get_att("CacheKey", "Arn") }, "DeletionPolicy": "Delete" }),
    );
}

// ---------------------------------------------------------------------------------------
// Handle
// ---------------------------------------------------------------------------------------

#[test]
fn endpoints_port_and_connections() {
    let (_app, s, cache) = with_vpc(RedisCacheProps::production());
    assert_eq!(cache.port(), 6379);
    assert_eq!(cache.connections().default_port(), Some(&Port::tcp(6379)));
    Output::new(&s, "Primary", cache.primary_endpoint_address()).unwrap();
    Output::new(&s, "Reader", cache.reader_endpoint_address()).unwrap();
    let t = Template::from_stack(&s);
    t.has_output(
        "Primary",
        json!({ "Value": get_att("Cache", "PrimaryEndPoint.Address") }),
    );
    t.has_output(
        "Reader",
        json!({ "Value": get_att("Cache", "ReaderEndPoint.Address") }),
    );
    let token = cache.auth_token();
    assert_eq!(
        token.arn(),
        token.resource().expect("the cache made it").ref_()
    );
}

#[test]
fn metrics_name_the_primary_node() {
    let (_app, s, cache) = with_vpc(RedisCacheProps::production());
    let cpu = cache.metric_cpu();
    assert_eq!(
        (cpu.namespace.as_str(), cpu.name.as_str()),
        ("AWS/ElastiCache", "CPUUtilization")
    );
    assert_eq!(cpu.dimensions.len(), 1);
    assert_eq!(cpu.dimensions[0].0, "CacheClusterId");
    assert_eq!(cache.metric_engine_cpu().name, "EngineCPUUtilization");
    let memory = cache.metric_memory();
    assert_eq!(
        (memory.name.as_str(), memory.statistic),
        ("DatabaseMemoryUsagePercentage", Statistic::Maximum)
    );
    let evictions = cache.metric_evictions();
    assert_eq!(
        (evictions.name.as_str(), evictions.statistic),
        ("Evictions", Statistic::Sum)
    );
    // The node id is the group's id with -001.
    Output::new(&s, "Node", cpu.dimensions[0].1.clone()).unwrap();
    Template::from_stack(&s).has_output("Node", json!({ "Value": { "Fn::Sub": "${Cache}-001" } }));
}

#[test]
fn grant_read_of_the_auth_token_reaches_the_secret_and_its_key() {
    let (_app, s, cache) = with_vpc(RedisCacheProps::production());
    let role = Role::new(&s, "Fleet", RoleProps::for_service("ec2.amazonaws.com")).unwrap();
    cache.auth_token().grant_read(&role).unwrap();
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::IAM::Policy",
        Matcher::from(json!({ "Roles": [r("Fleet")] })).with(
            "/PolicyDocument/Statement",
            Matcher::exact(json!([
                {
                    "Effect": "Allow",
                    "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    "Resource": r("CacheAuthToken")
                },
                {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:DescribeKey"],
                    "Resource": get_att("CacheKey", "Arn")
                }
            ])),
        ),
    );
}

// ---------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------

/// A cache in an imported VPC, so the snapshot holds the cache's resources only.
fn snapshot_body(props: RedisCacheProps) -> String {
    let app = App::new();
    let s = stack(&app);
    let vpc = Vpc::from_attributes(VpcAttributes {
        vpc_id: "vpc-0123456789abcdef0".into(),
        cidr_block: "10.0.0.0/16".into(),
        availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
        public_subnet_ids: vec![
            "subnet-0a0000000000000a1".into(),
            "subnet-0a0000000000000a2".into(),
        ],
        private_subnet_ids: vec![
            "subnet-0b0000000000000b1".into(),
            "subnet-0b0000000000000b2".into(),
        ],
        isolated_subnet_ids: vec![
            "subnet-0c0000000000000c1".into(),
            "subnet-0c0000000000000c2".into(),
        ],
    });
    RedisCache::new(&s, "Cache", &vpc, props).unwrap();
    stackwright_synth::synthesize(&app).unwrap().bodies[0].clone()
}

#[test]
fn snapshot_cache_production() {
    insta::assert_snapshot!(
        "cache_production",
        snapshot_body(RedisCacheProps::production())
    );
}

#[test]
fn snapshot_cache_staging() {
    insta::assert_snapshot!("cache_staging", snapshot_body(RedisCacheProps::staging()));
}

// ---------------------------------------------------------------------------------------
// Construction errors
// ---------------------------------------------------------------------------------------

#[test]
fn automatic_failover_without_a_replica_is_refused() {
    let (path, p) = cache_error(
        2,
        RedisCacheProps {
            replicas: 0,
            multi_az: false,
            ..RedisCacheProps::production()
        },
    );
    assert_eq!(path, "Test/Cache");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("automatic_failover", "true")
    );
    assert!(p.message.contains("no replica"), "{p}");
    assert!(
        p.fix.contains("replicas: 1") && p.fix.contains("automatic_failover off"),
        "{p}"
    );
}

#[test]
fn multi_az_in_a_one_zone_vpc_is_refused() {
    let (path, p) = cache_error(1, RedisCacheProps::production());
    assert_eq!(path, "Test/Cache");
    assert_eq!((p.prop.as_str(), p.value.as_str()), ("multi_az", "true"));
    assert!(
        p.message.contains("Multi-AZ") && p.message.contains("spans 1 zone"),
        "{p}"
    );
    assert!(
        p.fix.contains("two or more zones") && p.fix.contains("multi_az off"),
        "{p}"
    );
    // Staging's single node is fine in one zone.
    let app = App::new();
    let s = stack(&app);
    let vpc = Vpc::new(
        &s,
        "Network",
        VpcProps {
            azs: Azs::Count(1),
            ..VpcProps::staging()
        },
    )
    .unwrap();
    assert!(RedisCache::new(&s, "Cache", &vpc, RedisCacheProps::staging()).is_ok());
}

#[test]
fn multi_az_without_automatic_failover_is_refused() {
    let (_, p) = cache_error(
        2,
        RedisCacheProps {
            automatic_failover: false,
            ..RedisCacheProps::production()
        },
    );
    assert_eq!((p.prop.as_str(), p.value.as_str()), ("multi_az", "true"));
    assert_eq!(p.message, "Multi-AZ without automatic failover");
    assert!(
        p.fix.contains("ElastiCache requires") && p.fix.contains("automatic_failover on"),
        "{p}"
    );
}

#[test]
fn an_unsupported_engine_version_is_refused() {
    for bad in ["5.0", "7", "7.2", "valkey-8.0"] {
        let (path, p) = cache_error(
            2,
            RedisCacheProps {
                version: bad.into(),
                ..RedisCacheProps::production()
            },
        );
        assert_eq!(path, "Test/Cache");
        assert_eq!(p.prop, "version");
        assert_eq!(p.value, format!("'{bad}'"));
        assert!(p.message.contains("not a Redis version"), "{p}");
        assert_eq!(
            p.fix,
            format!("use one of {}", SUPPORTED_VERSIONS.join(", "))
        );
        assert!(p.fix.contains("7.1"), "{p}");
    }
}

#[test]
fn a_node_type_that_is_not_one_is_refused() {
    let (_, p) = cache_error(
        2,
        RedisCacheProps {
            node_type: "t3.micro".into(),
            ..RedisCacheProps::production()
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("node_type", "'t3.micro'")
    );
    assert_eq!(p.message, "not a cache node type");
    assert!(p.fix.contains("cache.t3.micro"), "{p}");
}

#[test]
fn more_than_5_replicas_or_35_days_of_snapshots_are_refused() {
    let (_, p) = cache_error(
        2,
        RedisCacheProps {
            replicas: 6,
            ..RedisCacheProps::production()
        },
    );
    assert_eq!((p.prop.as_str(), p.value.as_str()), ("replicas", "6"));
    assert!(p.message.contains("at most 5"), "{p}");
    assert!(p.fix.contains("0 to 5"), "{p}");
    let (_, p) = cache_error(
        2,
        RedisCacheProps {
            snapshot_retention_days: 36,
            ..RedisCacheProps::production()
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("snapshot_retention_days", "36")
    );
    assert!(p.message.contains("at most 35 days"), "{p}");
    assert!(p.fix.contains("35"), "{p}");
}

#[test]
fn a_subnet_kind_the_vpc_lacks_is_refused() {
    let app = App::new();
    let s = stack(&app);
    let vpc = Vpc::from_attributes(VpcAttributes {
        vpc_id: "vpc-1".into(),
        cidr_block: "10.0.0.0/16".into(),
        availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
        public_subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
        private_subnet_ids: vec![],
        isolated_subnet_ids: vec![],
    });
    let (_, problems) = invalid(RedisCache::new(
        &s,
        "Cache",
        &vpc,
        RedisCacheProps::production(),
    ));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let p = &problems[0];
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("subnets", "SubnetKind::Isolated")
    );
    assert!(p.message.contains("no subnets of this kind"), "{p}");
    assert!(p.fix.contains("isolated or private"), "{p}");
}

#[test]
fn several_problems_are_reported_at_once() {
    let app = App::new();
    let s = stack(&app);
    let vpc = Vpc::new(
        &s,
        "Network",
        VpcProps {
            azs: Azs::Count(1),
            ..VpcProps::staging()
        },
    )
    .unwrap();
    let err = RedisCache::new(
        &s,
        "Cache",
        &vpc,
        RedisCacheProps {
            version: "5.0".into(),
            replicas: 0,
            ..RedisCacheProps::production()
        },
    )
    .err()
    .unwrap();
    let (path, problems) = invalid::<()>(Err(err.clone()));
    assert_eq!(path, "Test/Cache");
    let props: Vec<&str> = problems.iter().map(|p| p.prop.as_str()).collect();
    assert_eq!(props, ["version", "automatic_failover", "multi_az"]);
    assert_eq!(problems[0].value, "'5.0'");
    assert!(
        problems[1].message.contains("no replica"),
        "{}",
        problems[1]
    );
    assert!(
        problems[2]
            .message
            .contains("Multi-AZ was asked for, but the VPC spans 1 zone"),
        "{}",
        problems[2]
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with(
            "Test/Cache: 3 invalid props\n  - version = '5.0': not a Redis version this construct supports; use one of"
        ),
        "{shown}"
    );
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::ElastiCache::ReplicationGroup", 0);
    t.resource_count_is("AWS::SecretsManager::Secret", 0);
}
