//! `PostgresDb`: the RDS instance (production and staging presets), the Aurora cluster, the
//! handle (endpoints, secret, connections, metrics), grants, snapshots and every
//! construction error.

use serde_json::{Value as Json, json};
use stackwright_assertions::{Matcher, Template};
use stackwright_constructs::database::{
    Availability, Deployment, PostgresDb, PostgresDbProps, PostgresVersion,
};
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

fn props_of(problems: &[PropProblem]) -> Vec<&str> {
    problems.iter().map(|p| p.prop.as_str()).collect()
}

/// A stack with a two-zone VPC and a database built from `props`.
fn with_vpc(props: PostgresDbProps) -> (App, Stack, PostgresDb) {
    let app = App::new();
    let s = stack(&app);
    let vpc = Vpc::new(&s, "Network", VpcProps::staging()).unwrap();
    let db = PostgresDb::new(&s, "Database", &vpc, props).unwrap();
    (app, s, db)
}

fn template(props: PostgresDbProps) -> Template {
    let (_app, s, _db) = with_vpc(props);
    Template::from_stack(&s)
}

/// A VPC of `zones` zones, for the error cases.
fn vpc_of(s: &Stack, zones: u8) -> Vpc {
    Vpc::new(
        s,
        "Network",
        VpcProps {
            azs: Azs::Count(zones),
            ..VpcProps::staging()
        },
    )
    .unwrap()
}

fn db_errors(zones: u8, props: PostgresDbProps) -> (String, Vec<PropProblem>) {
    let app = App::new();
    let s = stack(&app);
    let vpc = vpc_of(&s, zones);
    invalid(PostgresDb::new(&s, "Database", &vpc, props))
}

/// The one problem of a refused database, failing the test when there are more.
fn db_error(zones: u8, props: PostgresDbProps) -> (String, PropProblem) {
    let (path, mut problems) = db_errors(zones, props);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    (path, problems.remove(0))
}

fn instance_with(
    f: impl FnOnce(&mut String, &mut Availability, &mut u32, &mut u32),
) -> PostgresDbProps {
    let mut props = PostgresDbProps::production();
    if let Deployment::Instance {
        class,
        availability,
        allocated_storage_gib,
        max_allocated_storage_gib,
    } = &mut props.deployment
    {
        f(
            class,
            availability,
            allocated_storage_gib,
            max_allocated_storage_gib,
        );
    }
    props
}

// ---------------------------------------------------------------------------------------
// Production instance
// ---------------------------------------------------------------------------------------

#[test]
fn production_instance_has_every_documented_default() {
    let t = template(PostgresDbProps::production());
    t.resource_count_is("AWS::RDS::DBInstance", 1);
    t.resource_count_is("AWS::RDS::DBCluster", 0);
    t.has_resource(
        "AWS::RDS::DBInstance",
        json!({
            "Properties": {
                "Engine": "postgres",
                "EngineVersion": "17.6",
                "DBInstanceClass": "db.t3.medium",
                "MultiAZ": true,
                "StorageType": "gp3",
                "AllocatedStorage": "100",
                "MaxAllocatedStorage": 500,
                "StorageEncrypted": true,
                "KmsKeyId": get_att("DatabaseKey", "Arn"),
                "DBParameterGroupName": r("DatabaseParameterGroup"),
                "BackupRetentionPeriod": 7,
                "DeletionProtection": true,
                "EnablePerformanceInsights": true,
                "PerformanceInsightsKMSKeyId": get_att("DatabaseKey", "Arn"),
                "PerformanceInsightsRetentionPeriod": 7,
                "MonitoringInterval": 60,
                "MonitoringRoleArn": get_att("DatabaseMonitoringRole", "Arn"),
                "EnableCloudwatchLogsExports": ["postgresql", "upgrade"],
                "EnableIAMDatabaseAuthentication": true,
                "AutoMinorVersionUpgrade": true,
                "CopyTagsToSnapshot": true,
                "PubliclyAccessible": false,
                "DBSubnetGroupName": r("DatabaseSubnetGroup"),
                "VPCSecurityGroups": [get_att("DatabaseSecurityGroup", "GroupId")],
                "MasterUsername": "dbadmin",
                "ManageMasterUserPassword": true,
                "MasterUserSecret": { "KmsKeyId": get_att("DatabaseKey", "Arn") },
                "Port": "5432"
            },
            "DeletionPolicy": "Snapshot",
            "UpdateReplacePolicy": "Snapshot"
        }),
    );
    // No application's names or windows: no database beyond PostgreSQL's own, and RDS
    // picks the backup and maintenance windows.
    t.has_resource_properties(
        "AWS::RDS::DBInstance",
        Matcher::object([
            ("DBName", Matcher::absent()),
            ("PreferredBackupWindow", Matcher::absent()),
            ("PreferredMaintenanceWindow", Matcher::absent()),
        ]),
    );
    // No opt-out in production.
    t.has_resource(
        "AWS::RDS::DBInstance",
        Matcher::object([("Metadata", Matcher::absent())]),
    );
}

#[test]
fn the_master_password_is_never_in_the_template() {
    for props in [
        PostgresDbProps::production(),
        PostgresDbProps::staging(),
        PostgresDbProps::aurora_production(),
    ] {
        let (app, _s, _db) = with_vpc(props);
        let body = &stackwright_synth::synthesize(&app).unwrap().bodies[0];
        assert!(
            !body.contains("\"MasterUserPassword\""),
            "a master password was written"
        );
        assert!(body.contains("\"ManageMasterUserPassword\": true"));
        assert!(
            !body.contains("\"SecretString\""),
            "a literal secret string was written"
        );
        let t = Template::from_json(serde_json::from_str(body).unwrap());
        // RDS keeps the password in a secret of its own: we create none.
        t.resource_count_is("AWS::SecretsManager::Secret", 0);
    }
}

#[test]
fn the_parameter_group_forces_tls_and_follows_the_version() {
    let t = template(PostgresDbProps::production());
    t.has_resource_properties(
        "AWS::RDS::DBParameterGroup",
        Matcher::exact(json!({
            "Description": "Parameters of Test/Database",
            "Family": "postgres17",
            "Parameters": { "rds.force_ssl": "1" }
        })),
    );
    let t = template(PostgresDbProps {
        version: PostgresVersion::V16_9,
        ..PostgresDbProps::production()
    });
    t.has_resource_properties(
        "AWS::RDS::DBParameterGroup",
        json!({ "Family": "postgres16" }),
    );
    t.has_resource_properties("AWS::RDS::DBInstance", json!({ "EngineVersion": "16.9" }));
}

#[test]
fn versions_name_their_families() {
    assert_eq!(PostgresVersion::V17_6.as_string(), "17.6");
    assert_eq!(PostgresVersion::V17_6.major(), 17);
    assert_eq!(PostgresVersion::V17_6.family(), "postgres17");
    assert_eq!(
        PostgresVersion::V17_6.aurora_family(),
        "aurora-postgresql17"
    );
    assert_eq!(PostgresVersion::V16_9.family(), "postgres16");
    assert_eq!(PostgresDbProps::default(), PostgresDbProps::production());
}

#[test]
fn the_subnet_group_is_over_the_isolated_subnets() {
    let t = template(PostgresDbProps::production());
    t.has_resource_properties(
        "AWS::RDS::DBSubnetGroup",
        Matcher::exact(json!({
            "DBSubnetGroupDescription": "Subnets of Test/Database",
            "SubnetIds": [r("NetworkIsolatedSubnet1Subnet"), r("NetworkIsolatedSubnet2Subnet")]
        })),
    );
}

#[test]
fn the_subnets_can_be_the_private_tier() {
    let t = template(PostgresDbProps {
        subnets: SubnetKind::PrivateWithEgress,
        ..PostgresDbProps::production()
    });
    t.has_resource_properties(
        "AWS::RDS::DBSubnetGroup",
        json!({ "SubnetIds": [r("NetworkPrivateSubnet1Subnet"), r("NetworkPrivateSubnet2Subnet")] }),
    );
}

#[test]
fn the_database_has_its_own_key_group_and_monitoring_role() {
    let t = template(PostgresDbProps::production());
    t.has_resource(
        "AWS::KMS::Key",
        json!({
            "Properties": {
                "Description": "Database storage, master secret and Performance Insights",
                "EnableKeyRotation": true,
                "PendingWindowInDays": 30
            },
            "DeletionPolicy": "Retain"
        }),
    );
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "PostgreSQL Test/Database",
            "VpcId": r("Network"),
            "SecurityGroupEgress": [{ "CidrIp": "255.255.255.255/32" }]
        }),
    );
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": { "Statement": [{
                "Principal": { "Service": "monitoring.rds.amazonaws.com" },
                "Action": "sts:AssumeRole"
            }]},
            "ManagedPolicyArns": [{
                "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
            }]
        }),
    );
}

#[test]
fn a_key_of_the_callers_replaces_the_databases_own() {
    let app = App::new();
    let s = stack(&app);
    let vpc = Vpc::new(&s, "Network", VpcProps::staging()).unwrap();
    let key = Key::new(&s, "SharedKey", KeyProps::production()).unwrap();
    PostgresDb::new(
        &s,
        "Database",
        &vpc,
        PostgresDbProps {
            key: Some(key),
            ..PostgresDbProps::production()
        },
    )
    .unwrap();
    let t = Template::from_stack(&s);
    // The VPC's flow log key and the shared one.
    t.resource_count_is("AWS::KMS::Key", 2);
    assert!(t.json()["Resources"].get("DatabaseKey").is_none());
    t.has_resource_properties(
        "AWS::RDS::DBInstance",
        json!({
            "KmsKeyId": get_att("SharedKey", "Arn"),
            "PerformanceInsightsKMSKeyId": get_att("SharedKey", "Arn"),
            "MasterUserSecret": { "KmsKeyId": get_att("SharedKey", "Arn") }
        }),
    );
}

#[test]
fn monitoring_and_performance_insights_can_be_turned_off() {
    let t = template(PostgresDbProps {
        monitoring_interval_seconds: 0,
        performance_insights_days: None,
        ..PostgresDbProps::production()
    });
    t.has_resource_properties(
        "AWS::RDS::DBInstance",
        Matcher::from(json!({ "EnablePerformanceInsights": false }))
            .with("/MonitoringInterval", Matcher::absent())
            .with("/MonitoringRoleArn", Matcher::absent())
            .with("/PerformanceInsightsKMSKeyId", Matcher::absent())
            .with("/PerformanceInsightsRetentionPeriod", Matcher::absent()),
    );
    assert!(
        t.find_resources(
            "AWS::IAM::Role",
            json!({ "Properties": { "AssumeRolePolicyDocument": { "Statement": [{
                "Principal": { "Service": "monitoring.rds.amazonaws.com" }
            }]}}}),
        )
        .is_empty()
    );
}

// ---------------------------------------------------------------------------------------
// Staging
// ---------------------------------------------------------------------------------------

#[test]
fn staging_is_cheaper_but_still_multi_az_and_locked_down() {
    let t = template(PostgresDbProps::staging());
    t.has_resource_properties(
        "AWS::RDS::DBInstance",
        Matcher::object([
            ("MultiAZ", Matcher::from(json!(true))),
            ("DeletionProtection", Matcher::from(json!(false))),
        ]),
    );
    t.has_resource(
        "AWS::RDS::DBInstance",
        Matcher::object([("Metadata", Matcher::absent())]),
    );
}

#[test]
fn staging_in_one_zone_records_the_callers_reason_and_is_still_locked_down() {
    let t =
        template(PostgresDbProps::staging().single_az(
            "staging runs in one zone to halve the database bill; production is Multi-AZ",
        ));
    t.has_resource(
        "AWS::RDS::DBInstance",
        json!({
            "Properties": {
                "MultiAZ": false,
                "DeletionProtection": false,
                "AllocatedStorage": "20",
                "MaxAllocatedStorage": 100,
                "StorageEncrypted": true,
                "KmsKeyId": get_att("DatabaseKey", "Arn"),
                "PubliclyAccessible": false,
                "ManageMasterUserPassword": true,
                "DBParameterGroupName": r("DatabaseParameterGroup"),
                "EnableIAMDatabaseAuthentication": true
            },
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
            "Metadata": { "checkov": { "skip": [{
                "id": "CKV_AWS_157",
                "comment": "staging runs in one zone to halve the database bill; production is Multi-AZ"
            }]}}
        }),
    );
    t.has_resource_properties(
        "AWS::RDS::DBParameterGroup",
        json!({ "Parameters": { "rds.force_ssl": "1" } }),
    );
    // Its key goes with the stack after the short window.
    t.has_resource(
        "AWS::KMS::Key",
        json!({
            "Properties": { "Description": "Database storage, master secret and Performance Insights", "PendingWindowInDays": 7 },
            "DeletionPolicy": "Delete"
        }),
    );
}

#[test]
fn a_single_az_reason_of_the_callers_is_what_is_recorded() {
    let t = template(instance_with(|_, availability, _, _| {
        *availability = Availability::SingleAz {
            reason: "a reporting replica rebuilt nightly".into(),
        };
    }));
    t.has_resource(
        "AWS::RDS::DBInstance",
        json!({ "Metadata": { "checkov": { "skip": [{
            "id": "CKV_AWS_157",
            "comment": "a reporting replica rebuilt nightly"
        }]}}}),
    );
}

// ---------------------------------------------------------------------------------------
// Aurora
// ---------------------------------------------------------------------------------------

#[test]
fn the_aurora_preset_is_a_writer_and_one_reader() {
    let (_app, s, db) = with_vpc(PostgresDbProps::aurora_production());
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::RDS::DBInstance", 2);
    assert_eq!(db.readers().len(), 1);
    t.has_resource_properties(
        "AWS::RDS::DBCluster",
        Matcher::object([
            ("BackupRetentionPeriod", Matcher::from(json!(7))),
            ("DatabaseName", Matcher::absent()),
            ("MasterUsername", Matcher::from(json!("dbadmin"))),
        ]),
    );
}

/// An application's Aurora: two readers, 35-day backups, its own database and windows.
fn aurora_of_an_application() -> PostgresDbProps {
    PostgresDbProps {
        deployment: Deployment::Aurora {
            class: "db.r6g.large".into(),
            readers: 2,
        },
        database_name: Some("orders".into()),
        master_username: "orders".into(),
        backup_retention_days: 35,
        backup_window: Some("03:00-04:00".into()),
        maintenance_window: Some("sun:04:00-sun:05:00".into()),
        ..PostgresDbProps::aurora_production()
    }
}

#[test]
fn aurora_is_a_cluster_with_a_writer_and_two_readers() {
    let (_app, s, db) = with_vpc(aurora_of_an_application());
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::RDS::DBCluster", 1);
    t.resource_count_is("AWS::RDS::DBInstance", 3);
    t.resource_count_is("AWS::RDS::DBParameterGroup", 0);
    t.has_resource(
        "AWS::RDS::DBCluster",
        json!({
            "Properties": {
                "Engine": "aurora-postgresql",
                "EngineVersion": "17.6",
                "StorageEncrypted": true,
                "KmsKeyId": get_att("DatabaseKey", "Arn"),
                "BackupRetentionPeriod": 35,
                "PreferredBackupWindow": "03:00-04:00",
                "PreferredMaintenanceWindow": "sun:04:00-sun:05:00",
                "DeletionProtection": true,
                "EnableIAMDatabaseAuthentication": true,
                "EnableCloudwatchLogsExports": ["postgresql"],
                "CopyTagsToSnapshot": true,
                "DBClusterParameterGroupName": r("DatabaseClusterParameterGroup"),
                "DBSubnetGroupName": r("DatabaseSubnetGroup"),
                "VpcSecurityGroupIds": [get_att("DatabaseSecurityGroup", "GroupId")],
                "DatabaseName": "orders",
                "MasterUsername": "orders",
                "ManageMasterUserPassword": true,
                "MasterUserSecret": { "KmsKeyId": get_att("DatabaseKey", "Arn") },
                "Port": 5432
            },
            "DeletionPolicy": "Snapshot",
            "UpdateReplacePolicy": "Snapshot"
        }),
    );
    t.has_resource_properties(
        "AWS::RDS::DBClusterParameterGroup",
        Matcher::exact(json!({
            "Description": "Parameters of Test/Database",
            "Family": "aurora-postgresql17",
            "Parameters": { "rds.force_ssl": "1" }
        })),
    );
    for (id, tier) in [
        ("DatabaseWriter", 0),
        ("DatabaseReader1", 1),
        ("DatabaseReader2", 2),
    ] {
        let body = &t.json()["Resources"][id];
        assert_eq!(body["Type"], "AWS::RDS::DBInstance", "{id}");
        let expected = Matcher::from(json!({
            "Properties": {
                "Engine": "aurora-postgresql",
                "DBClusterIdentifier": r("Database"),
                "DBInstanceClass": "db.r6g.large",
                "PubliclyAccessible": false,
                "EnablePerformanceInsights": true,
                "PerformanceInsightsKMSKeyId": get_att("DatabaseKey", "Arn"),
                "MonitoringInterval": 60,
                "MonitoringRoleArn": get_att("DatabaseMonitoringRole", "Arn"),
                "AutoMinorVersionUpgrade": true,
                "PromotionTier": tier
            }
        }))
        .with("/Properties/AllocatedStorage", Matcher::absent())
        .with("/Properties/StorageEncrypted", Matcher::absent());
        expected.check(body).unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    assert!(db.is_aurora());
    assert_eq!(db.readers().len(), 2);
    assert!(db.cluster().is_some());
    assert_eq!(db.instance().path(), "Test/Database/Writer");
}

#[test]
fn aurora_endpoints_writer_and_reader() {
    let (_app, s, db) = with_vpc(PostgresDbProps::aurora_production());
    Output::new(&s, "Writer", db.endpoint_address()).unwrap();
    Output::new(&s, "Port", db.endpoint_port()).unwrap();
    Output::new(
        &s,
        "Reader",
        db.reader_endpoint_address()
            .expect("Aurora has a reader endpoint"),
    )
    .unwrap();
    let t = Template::from_stack(&s);
    t.has_output(
        "Writer",
        json!({ "Value": get_att("Database", "Endpoint.Address") }),
    );
    t.has_output(
        "Port",
        json!({ "Value": get_att("Database", "Endpoint.Port") }),
    );
    t.has_output(
        "Reader",
        json!({ "Value": get_att("Database", "ReadEndpoint.Address") }),
    );
}

#[test]
fn instance_endpoints_and_no_reader_endpoint() {
    let (_app, s, db) = with_vpc(PostgresDbProps::production());
    assert!(db.reader_endpoint_address().is_none());
    assert!(!db.is_aurora() && db.readers().is_empty() && db.cluster().is_none());
    Output::new(&s, "Host", db.endpoint_address()).unwrap();
    Output::new(&s, "Port", db.endpoint_port()).unwrap();
    let t = Template::from_stack(&s);
    t.has_output(
        "Host",
        json!({ "Value": get_att("Database", "Endpoint.Address") }),
    );
    t.has_output(
        "Port",
        json!({ "Value": get_att("Database", "Endpoint.Port") }),
    );
}

#[test]
fn aurora_without_readers_is_a_writer_alone() {
    let mut props = PostgresDbProps::aurora_production();
    props.deployment = Deployment::Aurora {
        class: "db.r6g.large".into(),
        readers: 0,
    };
    let t = template(props);
    t.resource_count_is("AWS::RDS::DBInstance", 1);
}

// ---------------------------------------------------------------------------------------
// Handle: connections, metrics, grants
// ---------------------------------------------------------------------------------------

#[test]
fn connections_use_the_database_port() {
    let (_app, _s, db) = with_vpc(PostgresDbProps::production());
    let c = db.connections();
    assert_eq!(c.default_port(), Some(&Port::tcp(5432)));
    assert_eq!(c.security_groups().len(), 1);
    let (_app, _s, db) = with_vpc(PostgresDbProps {
        port: 6432,
        ..PostgresDbProps::production()
    });
    assert_eq!(db.connections().default_port(), Some(&Port::tcp(6432)));
}

#[test]
fn metrics_name_the_instance_or_the_cluster() {
    let (_app, _s, db) = with_vpc(PostgresDbProps::production());
    let id = db.instance().ref_();
    let cpu = db.metric_cpu();
    assert_eq!(
        (cpu.namespace.as_str(), cpu.name.as_str()),
        ("AWS/RDS", "CPUUtilization")
    );
    assert_eq!(
        cpu.dimensions,
        vec![("DBInstanceIdentifier".to_string(), id.clone())]
    );
    assert_eq!(cpu.statistic, Statistic::Average);
    assert_eq!(cpu.period_seconds, 300);
    let storage = db.metric_free_storage();
    assert_eq!(
        (storage.name.as_str(), storage.statistic),
        ("FreeStorageSpace", Statistic::Minimum)
    );
    assert_eq!(db.metric_connections().name, "DatabaseConnections");
    assert_eq!(db.metric_replica_lag().name, "ReplicaLag");

    let (_app, _s, aurora) = with_vpc(PostgresDbProps::aurora_production());
    let cluster = aurora.cluster().unwrap().ref_();
    let lag = aurora.metric_replica_lag();
    assert_eq!(lag.name, "AuroraReplicaLag");
    assert_eq!(lag.unit, "Milliseconds");
    assert_eq!(
        lag.dimensions,
        vec![("DBClusterIdentifier".to_string(), cluster)]
    );
}

#[test]
fn grant_read_of_the_secret_reaches_the_rds_managed_secret_and_its_key() {
    // The instance's secret, then the Aurora cluster's (both called `Database`).
    for props in [
        PostgresDbProps::production(),
        PostgresDbProps::aurora_production(),
    ] {
        let (_app, s, db) = with_vpc(props);
        let role = Role::new(&s, "Fleet", RoleProps::for_service("ec2.amazonaws.com")).unwrap();
        db.secret().grant_read(&role).unwrap();
        let t = Template::from_stack(&s);
        t.has_resource_properties(
            "AWS::IAM::Policy",
            Matcher::from(json!({ "Roles": [r("Fleet")] })).with(
                "/PolicyDocument/Statement",
                Matcher::exact(json!([
                    {
                        "Effect": "Allow",
                        "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                        "Resource": get_att("Database", "MasterUserSecret.SecretArn")
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt", "kms:DescribeKey"],
                        "Resource": get_att("DatabaseKey", "Arn")
                    }
                ])),
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------

/// A database in an imported VPC, so the snapshot holds the database's resources only.
fn snapshot_body(props: PostgresDbProps) -> String {
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
    PostgresDb::new(&s, "Database", &vpc, props).unwrap();
    stackwright_synth::synthesize(&app).unwrap().bodies[0].clone()
}

#[test]
fn snapshot_database_production() {
    insta::assert_snapshot!(
        "database_production",
        snapshot_body(PostgresDbProps::production())
    );
}

#[test]
fn snapshot_database_staging() {
    insta::assert_snapshot!(
        "database_staging",
        snapshot_body(PostgresDbProps::staging())
    );
}

#[test]
fn snapshot_database_aurora_production() {
    insta::assert_snapshot!(
        "database_aurora_production",
        snapshot_body(PostgresDbProps::aurora_production())
    );
}

// ---------------------------------------------------------------------------------------
// Construction errors
// ---------------------------------------------------------------------------------------

#[test]
fn multi_az_in_a_one_zone_vpc_is_refused() {
    let (path, problems) = db_errors(1, PostgresDbProps::production());
    assert_eq!(path, "Test/Database");
    // One zone is also too few for the subnet group.
    assert_eq!(props_of(&problems), ["deployment.availability", "subnets"]);
    let p = &problems[0];
    assert_eq!(p.value, "Availability::MultiAz");
    assert!(
        p.message.contains("Multi-AZ") && p.message.contains("spans 1 zone"),
        "{p}"
    );
    assert!(
        p.fix.contains("two or more zones") && p.fix.contains("SingleAz"),
        "{p}"
    );
}

#[test]
fn backup_retention_over_35_days_is_refused() {
    let (path, p) = db_error(
        2,
        PostgresDbProps {
            backup_retention_days: 36,
            ..PostgresDbProps::production()
        },
    );
    assert_eq!(path, "Test/Database");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("backup_retention_days", "36")
    );
    assert!(p.message.contains("1 to 35 days"), "{p}");
    assert!(
        p.fix.contains("1 to 35") && p.fix.contains("AWS Backup"),
        "{p}"
    );
    let (_, p) = db_error(
        2,
        PostgresDbProps {
            backup_retention_days: 0,
            ..PostgresDbProps::production()
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("backup_retention_days", "0")
    );
}

#[test]
fn max_storage_below_allocated_is_refused() {
    let (path, p) = db_error(
        2,
        instance_with(|_, _, allocated, max| {
            *allocated = 200;
            *max = 150;
        }),
    );
    assert_eq!(path, "Test/Database");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("deployment.max_allocated_storage_gib", "150")
    );
    assert!(
        p.message.contains("allocated_storage_gib") && p.message.contains("200"),
        "{p}"
    );
    assert!(p.fix.contains("at or above the initial size"), "{p}");
}

#[test]
fn storage_below_20_gib_is_refused() {
    let (_, p) = db_error(2, instance_with(|_, _, allocated, _| *allocated = 10));
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("deployment.allocated_storage_gib", "10")
    );
    assert!(p.message.contains("20 to 65,536 GiB"), "{p}");
    assert!(p.fix.contains("20 to 65,536"), "{p}");
}

#[test]
fn a_parameter_group_family_of_another_version_is_refused() {
    let (path, p) = db_error(
        2,
        PostgresDbProps {
            parameter_group_family: Some("postgres16".into()),
            ..PostgresDbProps::production()
        },
    );
    assert_eq!(path, "Test/Database");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("parameter_group_family", "'postgres16'")
    );
    assert!(p.message.contains("17.6"), "{p}");
    assert!(p.fix.contains("'postgres17'"), "{p}");
    // Aurora wants the aurora family.
    let (_, p) = db_error(
        2,
        PostgresDbProps {
            parameter_group_family: Some("postgres17".into()),
            ..PostgresDbProps::aurora_production()
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("parameter_group_family", "'postgres17'")
    );
    assert!(p.fix.contains("'aurora-postgresql17'"), "{p}");
    // The matching family, given explicitly, is fine.
    let (_app, _s, _db) = with_vpc(PostgresDbProps {
        parameter_group_family: Some("postgres17".into()),
        ..PostgresDbProps::production()
    });
}

#[test]
fn an_instance_class_that_is_not_one_is_refused() {
    for bad in [
        "t3.medium",
        "db.t3",
        "db.t3.huge",
        "cache.t3.micro",
        "db..medium",
        "DB.T3.MEDIUM",
    ] {
        let (path, p) = db_error(2, instance_with(|class, _, _, _| *class = bad.into()));
        assert_eq!(path, "Test/Database");
        assert_eq!(p.prop, "deployment.class");
        assert_eq!(p.value, format!("'{bad}'"));
        assert_eq!(p.message, "not a DB instance class");
        assert!(p.fix.contains("db.t3.medium"), "{p}");
    }
    for good in [
        "db.t3.micro",
        "db.t4g.large",
        "db.m7g.2xlarge",
        "db.r6gd.metal",
        "db.x2iedn.24xlarge",
    ] {
        let app = App::new();
        let s = stack(&app);
        let vpc = vpc_of(&s, 2);
        assert!(
            PostgresDb::new(
                &s,
                "Database",
                &vpc,
                instance_with(|class, _, _, _| *class = good.into())
            )
            .is_ok(),
            "{good} is a DB instance class"
        );
    }
}

#[test]
fn aurora_with_16_readers_is_refused() {
    let mut props = PostgresDbProps::aurora_production();
    props.deployment = Deployment::Aurora {
        class: "db.r6g.large".into(),
        readers: 16,
    };
    let (path, p) = db_error(2, props);
    assert_eq!(path, "Test/Database");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("deployment.readers", "16")
    );
    assert!(p.message.contains("at most 15"), "{p}");
    assert!(p.fix.contains("0 to 15"), "{p}");
}

#[test]
fn aurora_readers_in_a_one_zone_vpc_are_refused() {
    let (_, problems) = db_errors(1, PostgresDbProps::aurora_production());
    // One zone is also too few for the subnet group.
    assert_eq!(props_of(&problems), ["deployment.readers", "subnets"]);
    let p = &problems[0];
    assert_eq!(p.value, "1");
    assert!(
        p.message.contains("Aurora readers in a VPC of 1 zone"),
        "{p}"
    );
    assert!(p.fix.contains("two or more"), "{p}");
}

#[test]
fn monitoring_and_insights_periods_must_be_ones_rds_takes() {
    let (_, p) = db_error(
        2,
        PostgresDbProps {
            monitoring_interval_seconds: 45,
            ..PostgresDbProps::production()
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("monitoring_interval_seconds", "45")
    );
    assert!(p.message.contains("enhanced monitoring"), "{p}");
    assert!(p.fix.contains("1, 5, 10, 15, 30 or 60"), "{p}");
    let (_, p) = db_error(
        2,
        PostgresDbProps {
            performance_insights_days: Some(30),
            ..PostgresDbProps::production()
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("performance_insights_days", "30")
    );
    assert!(p.message.contains("Performance Insights"), "{p}");
    assert!(p.fix.contains("7 (free)"), "{p}");
    for ok in [7, 31, 713, 731] {
        let (_app, _s, _db) = with_vpc(PostgresDbProps {
            performance_insights_days: Some(ok),
            ..PostgresDbProps::production()
        });
    }
}

#[test]
fn a_reserved_or_malformed_master_username_is_refused() {
    for bad in ["postgres", "admin", "1demo", "my-db", ""] {
        let (_, p) = db_error(
            2,
            PostgresDbProps {
                master_username: bad.into(),
                ..PostgresDbProps::production()
            },
        );
        assert_eq!(p.prop, "master_username");
        assert_eq!(p.value, format!("'{bad}'"));
        assert!(p.message.contains("reserves"), "{p}");
        assert!(p.fix.contains("reserved"), "{p}");
    }
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
    let (_, problems) = invalid(PostgresDb::new(
        &s,
        "Database",
        &vpc,
        PostgresDbProps::production(),
    ));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let p = &problems[0];
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("subnets", "SubnetKind::Isolated")
    );
    assert!(p.message.contains("0 subnet(s)"), "{p}");
    assert!(p.fix.contains("two zones"), "{p}");
}

#[test]
fn several_problems_are_reported_at_once() {
    let mut props = PostgresDbProps {
        backup_retention_days: 36,
        parameter_group_family: Some("postgres16".into()),
        ..PostgresDbProps::production()
    };
    props.deployment = Deployment::Instance {
        class: "t3.medium".into(),
        availability: Availability::MultiAz,
        allocated_storage_gib: 100,
        max_allocated_storage_gib: 50,
    };
    let app = App::new();
    let s = stack(&app);
    let vpc = vpc_of(&s, 1);
    let err = PostgresDb::new(&s, "Database", &vpc, props).err().unwrap();
    let (path, problems) = invalid::<()>(Err(err.clone()));
    assert_eq!(path, "Test/Database");
    // The one-zone VPC also has too few subnets for a subnet group.
    assert_eq!(
        props_of(&problems),
        [
            "backup_retention_days",
            "deployment.max_allocated_storage_gib",
            "deployment.availability",
            "deployment.class",
            "parameter_group_family",
            "subnets",
        ]
    );
    let values: Vec<&str> = problems.iter().map(|p| p.value.as_str()).collect();
    assert_eq!(
        values,
        [
            "36",
            "50",
            "Availability::MultiAz",
            "'t3.medium'",
            "'postgres16'",
            "SubnetKind::Isolated"
        ]
    );
    assert_eq!(
        err.problem("deployment.class").map(|p| p.value.as_str()),
        Some("'t3.medium'")
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with(
            "Test/Database: 6 invalid props\n  - backup_retention_days = 36: RDS keeps"
        ),
        "{shown}"
    );
    assert_eq!(shown.lines().count(), 7, "{shown}");
    // Nothing of the database was added.
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::RDS::DBInstance", 0);
    t.resource_count_is("AWS::RDS::DBSubnetGroup", 0);
    assert!(t.json()["Resources"].get("DatabaseKey").is_none());
}

#[test]
fn a_single_az_database_in_a_one_zone_vpc_is_refused() {
    let (path, p) = db_error(
        1,
        instance_with(|_, availability, _, _| {
            *availability = Availability::SingleAz {
                reason: "test".into(),
            };
        }),
    );
    assert_eq!(path, "Test/Database");
    assert_eq!(p.prop, "subnets");
    assert!(
        p.message.contains("subnet") && p.message.contains("1 zone"),
        "{p}"
    );
    assert!(p.fix.contains("two zones"), "{p}");
}
