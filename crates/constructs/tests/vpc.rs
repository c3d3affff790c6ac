//! `Vpc`: the default subnet plan and an application's own, routing, NAT, flow logs,
//! endpoints, the default security group's remediation, imported VPCs, snapshots of the
//! presets and every construction error.

use serde_json::{Value as Json, json};
use stackwright_assertions::{Matcher, Template};
use stackwright_constructs::database::{PostgresDb, PostgresDbProps};
use stackwright_constructs::key::{Key, KeyProps};
use stackwright_constructs::vpc::{
    Azs, FlowLogs, InterfaceEndpoint, NatGateways, SubnetCidrs, SubnetKind, SubnetTier, Vpc,
    VpcAttributes, VpcProps,
};
use stackwright_constructs::{ConstructError, PropProblem};
use stackwright_core::{App, Env, Output, Stack, Value};

fn stack_in(app: &App, region: &str) -> Stack {
    Stack::new(app, "Test", Env::new("123456789012", region)).unwrap()
}

/// `preset` with an application's own address plan: /24 tiers at blocks 1, 101 and 201
/// (private 10.0.1.0/24.., public 10.0.101.0/24.., database 10.0.201.0/24..).
fn planned(preset: VpcProps) -> VpcProps {
    VpcProps {
        tiers: vec![
            SubnetTier::blocks("Private", SubnetKind::PrivateWithEgress, 24, 1),
            SubnetTier::blocks("Public", SubnetKind::Public, 24, 101),
            SubnetTier::blocks("Database", SubnetKind::Isolated, 24, 201),
        ],
        ..preset
    }
}

/// The template of a stack holding just a VPC built from `props`.
fn template_of(props: VpcProps) -> Template {
    let app = App::new();
    let stack = stack_in(&app, "us-east-1");
    Vpc::new(&stack, "Network", props).expect("the VPC builds");
    Template::from_stack(&stack)
}

/// The path and prop problems of a construction error, failing the test on anything else.
fn invalid<T>(result: Result<T, ConstructError>) -> (String, Vec<PropProblem>) {
    match result.err().expect("construction should fail") {
        ConstructError::InvalidProps { path, problems } => (path, problems),
        other => panic!("expected an InvalidProps error, got {other:?}"),
    }
}

fn vpc_errors(region: &str, props: VpcProps) -> (String, Vec<PropProblem>) {
    let app = App::new();
    let stack = stack_in(&app, region);
    invalid(Vpc::new(&stack, "Network", props))
}

/// The one problem of a refused VPC, failing the test when there are more.
fn vpc_error(region: &str, props: VpcProps) -> (String, PropProblem) {
    let (path, mut problems) = vpc_errors(region, props);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    (path, problems.remove(0))
}

fn props_of(problems: &[PropProblem]) -> Vec<&str> {
    problems.iter().map(|p| p.prop.as_str()).collect()
}

fn r(id: &str) -> Json {
    json!({ "Ref": id })
}

/// `CidrBlock` of every subnet carrying the tier tag `tier`, in logical-id order.
fn cidrs_of_tier(t: &Template, tier: &str) -> Vec<(String, String)> {
    t.find_resources(
        "AWS::EC2::Subnet",
        json!({ "Properties": { "Tags": [
            { "Key": "Name" },
            { "Key": "stackwright:subnet-tier", "Value": tier }
        ]}}),
    )
    .into_iter()
    .map(|(id, body)| {
        (
            id,
            body["Properties"]["CidrBlock"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    })
    .collect()
}

// ---------------------------------------------------------------------------------------
// The default plan
// ---------------------------------------------------------------------------------------

#[test]
fn the_default_plan_is_three_tiers_of_slash_20s_named_for_their_routing() {
    let t = template_of(VpcProps::default());
    assert_eq!(
        cidrs_of_tier(&t, "Public"),
        [
            (
                "NetworkPublicSubnet1Subnet".to_string(),
                "10.0.0.0/20".to_string()
            ),
            (
                "NetworkPublicSubnet2Subnet".to_string(),
                "10.0.16.0/20".to_string()
            ),
        ]
    );
    assert_eq!(
        cidrs_of_tier(&t, "Private"),
        [
            (
                "NetworkPrivateSubnet1Subnet".to_string(),
                "10.0.64.0/20".to_string()
            ),
            (
                "NetworkPrivateSubnet2Subnet".to_string(),
                "10.0.80.0/20".to_string()
            ),
        ]
    );
    assert_eq!(
        cidrs_of_tier(&t, "Isolated"),
        [
            (
                "NetworkIsolatedSubnet1Subnet".to_string(),
                "10.0.128.0/20".to_string()
            ),
            (
                "NetworkIsolatedSubnet2Subnet".to_string(),
                "10.0.144.0/20".to_string()
            ),
        ]
    );
    t.has_resource_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": 365 }));
    let staging = template_of(VpcProps::staging());
    staging.has_resource_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": 90 }));
    staging.resource_count_is("AWS::EC2::NatGateway", 1);
}

// ---------------------------------------------------------------------------------------
// An application's own plan
// ---------------------------------------------------------------------------------------

#[test]
fn production_vpc_is_10_0_0_0_16_with_dns() {
    let t = template_of(planned(VpcProps::production()));
    t.resource_count_is("AWS::EC2::VPC", 1);
    t.has_resource_properties(
        "AWS::EC2::VPC",
        json!({
            "CidrBlock": "10.0.0.0/16",
            "EnableDnsHostnames": true,
            "EnableDnsSupport": true,
            "Tags": [{ "Key": "Name", "Value": "Test/Network" }]
        }),
    );
}

#[test]
fn production_subnets_are_exactly_the_reference_layout() {
    let t = template_of(planned(VpcProps::production()));
    t.resource_count_is("AWS::EC2::Subnet", 6);
    let expect = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        cidrs_of_tier(&t, "Private"),
        expect(&[
            ("NetworkPrivateSubnet1Subnet", "10.0.1.0/24"),
            ("NetworkPrivateSubnet2Subnet", "10.0.2.0/24"),
        ])
    );
    assert_eq!(
        cidrs_of_tier(&t, "Public"),
        expect(&[
            ("NetworkPublicSubnet1Subnet", "10.0.101.0/24"),
            ("NetworkPublicSubnet2Subnet", "10.0.102.0/24"),
        ])
    );
    assert_eq!(
        cidrs_of_tier(&t, "Database"),
        expect(&[
            ("NetworkDatabaseSubnet1Subnet", "10.0.201.0/24"),
            ("NetworkDatabaseSubnet2Subnet", "10.0.202.0/24"),
        ])
    );
    // The i-th subnet of every tier is in the i-th zone of the region.
    for (cidr, zone) in [
        ("10.0.1.0/24", "0"),
        ("10.0.2.0/24", "1"),
        ("10.0.101.0/24", "0"),
        ("10.0.102.0/24", "1"),
        ("10.0.201.0/24", "0"),
        ("10.0.202.0/24", "1"),
    ] {
        t.has_resource_properties(
            "AWS::EC2::Subnet",
            json!({
                "CidrBlock": cidr,
                "AvailabilityZone": { "Fn::Select": [zone, { "Fn::GetAZs": "" }] },
                "VpcId": r("Network")
            }),
        );
    }
}

#[test]
fn the_handle_reports_the_plan() {
    let app = App::new();
    let stack = stack_in(&app, "us-east-1");
    let vpc = Vpc::new(&stack, "Network", planned(VpcProps::production())).unwrap();
    assert_eq!(vpc.az_count(), 2);
    let cidrs = |kind| -> Vec<String> {
        vpc.subnets(kind)
            .into_iter()
            .map(|s| s.cidr.unwrap())
            .collect()
    };
    assert_eq!(
        cidrs(SubnetKind::PrivateWithEgress),
        ["10.0.1.0/24", "10.0.2.0/24"]
    );
    assert_eq!(
        cidrs(SubnetKind::Public),
        ["10.0.101.0/24", "10.0.102.0/24"]
    );
    assert_eq!(
        cidrs(SubnetKind::Isolated),
        ["10.0.201.0/24", "10.0.202.0/24"]
    );
    assert_eq!(vpc.tier("Database").unwrap().len(), 2);
    assert!(vpc.tier("Nope").is_none());
    assert!(vpc.resource().is_some() && vpc.node().is_some());
    assert!(
        vpc.subnets(SubnetKind::Isolated)
            .iter()
            .all(|s| s.route_table_id.is_some())
    );
}

#[test]
fn no_subnet_gives_instances_public_ips() {
    let t = template_of(planned(VpcProps::production()));
    t.all_resources_properties("AWS::EC2::Subnet", json!({ "MapPublicIpOnLaunch": false }));
}

#[test]
fn every_subnet_has_its_own_route_table_and_association() {
    let t = template_of(planned(VpcProps::production()));
    t.resource_count_is("AWS::EC2::RouteTable", 6);
    t.resource_count_is("AWS::EC2::SubnetRouteTableAssociation", 6);
    for tier in ["Private", "Public", "Database"] {
        for i in 1..=2 {
            t.has_resource_properties(
                "AWS::EC2::SubnetRouteTableAssociation",
                Matcher::exact(json!({
                    "RouteTableId": r(&format!("Network{tier}Subnet{i}RouteTable")),
                    "SubnetId": r(&format!("Network{tier}Subnet{i}Subnet")),
                })),
            );
        }
    }
}

#[test]
fn production_has_one_nat_gateway_per_zone_in_the_public_subnets() {
    let t = template_of(planned(VpcProps::production()));
    t.resource_count_is("AWS::EC2::NatGateway", 2);
    t.resource_count_is("AWS::EC2::EIP", 2);
    for i in 1..=2 {
        t.has_resource_properties(
            "AWS::EC2::NatGateway",
            json!({
                "AllocationId": { "Fn::GetAtt": [format!("NetworkPublicSubnet{i}Eip"), "AllocationId"] },
                "SubnetId": r(&format!("NetworkPublicSubnet{i}Subnet")),
            }),
        );
        // Each zone's private subnets leave through their own zone's NAT gateway.
        t.has_resource_properties(
            "AWS::EC2::Route",
            Matcher::exact(json!({
                "DestinationCidrBlock": "0.0.0.0/0",
                "NatGatewayId": r(&format!("NetworkPublicSubnet{i}NatGateway")),
                "RouteTableId": r(&format!("NetworkPrivateSubnet{i}RouteTable")),
            })),
        );
    }
    t.all_resources(
        "AWS::EC2::EIP",
        json!({
            "Properties": { "Domain": "vpc" },
            "DependsOn": ["NetworkInternetGatewayAttachment"]
        }),
    );
}

#[test]
fn staging_has_a_single_nat_gateway_serving_both_private_route_tables() {
    let t = template_of(planned(VpcProps::staging()));
    t.resource_count_is("AWS::EC2::NatGateway", 1);
    t.resource_count_is("AWS::EC2::EIP", 1);
    t.has_resource_properties(
        "AWS::EC2::NatGateway",
        json!({ "SubnetId": r("NetworkPublicSubnet1Subnet") }),
    );
    let nat_routes = t.find_resources(
        "AWS::EC2::Route",
        json!({ "Properties": { "NatGatewayId": r("NetworkPublicSubnet1NatGateway") } }),
    );
    let tables: Vec<&Json> = nat_routes
        .values()
        .map(|b| &b["Properties"]["RouteTableId"])
        .collect();
    assert_eq!(
        tables,
        [
            &r("NetworkPrivateSubnet1RouteTable"),
            &r("NetworkPrivateSubnet2RouteTable")
        ]
    );
}

#[test]
fn isolated_subnets_have_no_route_out_of_the_vpc() {
    for props in [
        planned(VpcProps::production()),
        planned(VpcProps::staging()),
    ] {
        let t = template_of(props);
        // Two public routes to the internet gateway and two private routes to NAT; none
        // for the Database tier.
        t.resource_count_is("AWS::EC2::Route", 4);
        for i in 1..=2 {
            let routes = t.find_resources(
                "AWS::EC2::Route",
                json!({ "Properties": {
                    "RouteTableId": r(&format!("NetworkDatabaseSubnet{i}RouteTable"))
                }}),
            );
            assert!(
                routes.is_empty(),
                "isolated table {i} has routes: {routes:?}"
            );
        }
    }
}

#[test]
fn public_routes_go_to_the_internet_gateway_after_it_is_attached() {
    let t = template_of(planned(VpcProps::production()));
    t.resource_count_is("AWS::EC2::InternetGateway", 1);
    t.has_resource_properties(
        "AWS::EC2::VPCGatewayAttachment",
        json!({ "InternetGatewayId": r("NetworkInternetGateway"), "VpcId": r("Network") }),
    );
    let igw_routes = t.find_resources(
        "AWS::EC2::Route",
        json!({ "Properties": { "GatewayId": r("NetworkInternetGateway") } }),
    );
    assert_eq!(
        igw_routes.keys().collect::<Vec<_>>(),
        [
            "NetworkPublicSubnet1DefaultRoute",
            "NetworkPublicSubnet2DefaultRoute"
        ]
    );
    for (id, body) in &igw_routes {
        assert_eq!(
            body["DependsOn"],
            json!(["NetworkInternetGatewayAttachment"]),
            "{id} must wait for the gateway attachment"
        );
        assert_eq!(body["Properties"]["DestinationCidrBlock"], "0.0.0.0/0");
    }
}

#[test]
fn three_zones_extend_every_tier_by_one_block() {
    let t = template_of(VpcProps {
        azs: Azs::Count(3),
        ..planned(VpcProps::production())
    });
    t.resource_count_is("AWS::EC2::Subnet", 9);
    t.resource_count_is("AWS::EC2::NatGateway", 3);
    for cidr in ["10.0.3.0/24", "10.0.103.0/24", "10.0.203.0/24"] {
        t.has_resource_properties(
            "AWS::EC2::Subnet",
            json!({
                "CidrBlock": cidr,
                "AvailabilityZone": { "Fn::Select": ["2", { "Fn::GetAZs": "" }] }
            }),
        );
    }
}

#[test]
fn named_zones_are_written_as_given() {
    let t = template_of(VpcProps {
        azs: Azs::Named(vec!["us-east-1a".into(), "us-east-1c".into()]),
        ..planned(VpcProps::production())
    });
    t.has_resource_properties(
        "AWS::EC2::Subnet",
        json!({ "CidrBlock": "10.0.201.0/24", "AvailabilityZone": "us-east-1a" }),
    );
    t.has_resource_properties(
        "AWS::EC2::Subnet",
        json!({ "CidrBlock": "10.0.202.0/24", "AvailabilityZone": "us-east-1c" }),
    );
}

#[test]
fn explicit_subnet_cidrs_are_used() {
    let t = template_of(VpcProps {
        tiers: vec![
            SubnetTier {
                name: "Apps".into(),
                kind: SubnetKind::PrivateWithEgress,
                cidrs: SubnetCidrs::Explicit(vec!["10.0.16.0/20".into(), "10.0.32.0/20".into()]),
            },
            SubnetTier::blocks("Edge", SubnetKind::Public, 24, 0),
        ],
        ..planned(VpcProps::production())
    });
    t.has_resource_properties(
        "AWS::EC2::Subnet",
        json!({ "CidrBlock": "10.0.16.0/20", "Tags": [{}, { "Value": "Apps" }] }),
    );
    t.has_resource_properties(
        "AWS::EC2::Subnet",
        json!({ "CidrBlock": "10.0.1.0/24", "Tags": [{}, { "Value": "Edge" }] }),
    );
}

#[test]
fn an_isolated_only_vpc_has_no_internet_gateway_nor_nat() {
    let t = template_of(VpcProps {
        tiers: vec![SubnetTier::blocks(
            "Database",
            SubnetKind::Isolated,
            24,
            201,
        )],
        nat_gateways: NatGateways::None,
        ..planned(VpcProps::production())
    });
    t.resource_count_is("AWS::EC2::InternetGateway", 0);
    t.resource_count_is("AWS::EC2::VPCGatewayAttachment", 0);
    t.resource_count_is("AWS::EC2::NatGateway", 0);
    t.resource_count_is("AWS::EC2::EIP", 0);
    t.resource_count_is("AWS::EC2::Route", 0);
}

#[test]
fn public_and_isolated_tiers_without_nat_have_no_nat_gateway() {
    let t = template_of(VpcProps {
        tiers: vec![
            SubnetTier::blocks("Public", SubnetKind::Public, 24, 101),
            SubnetTier::blocks("Database", SubnetKind::Isolated, 24, 201),
        ],
        nat_gateways: NatGateways::None,
        ..planned(VpcProps::production())
    });
    t.resource_count_is("AWS::EC2::InternetGateway", 1);
    t.resource_count_is("AWS::EC2::NatGateway", 0);
    t.resource_count_is("AWS::EC2::Route", 2);
}

// ---------------------------------------------------------------------------------------
// Flow logs
// ---------------------------------------------------------------------------------------

#[test]
fn flow_logs_go_to_an_encrypted_log_group_kept_a_year() {
    let t = template_of(planned(VpcProps::production()));
    t.resource_count_is("AWS::EC2::FlowLog", 1);
    t.resource_count_is("AWS::Logs::LogGroup", 1);
    t.has_resource(
        "AWS::Logs::LogGroup",
        json!({
            "Properties": {
                "KmsKeyId": { "Fn::GetAtt": ["NetworkFlowLogsKey", "Arn"] },
                "RetentionInDays": 365
            },
            "DeletionPolicy": "Retain"
        }),
    );
    t.has_resource_properties(
        "AWS::EC2::FlowLog",
        Matcher::exact(json!({
            "DeliverLogsPermissionArn": { "Fn::GetAtt": ["NetworkFlowLogsRole", "Arn"] },
            "LogDestinationType": "cloud-watch-logs",
            "LogGroupName": r("NetworkFlowLogsLogGroup"),
            "ResourceId": r("Network"),
            "ResourceType": "VPC",
            "TrafficType": "ALL"
        })),
    );
    // The flow log waits for its permissions, or its first delivery fails.
    t.has_resource(
        "AWS::EC2::FlowLog",
        json!({ "DependsOn": ["NetworkFlowLogsRoleDefaultPolicy"] }),
    );
}

#[test]
fn the_flow_log_key_rotates_is_retained_and_lets_cloudwatch_logs_use_it() {
    let t = template_of(planned(VpcProps::production()));
    t.resource_count_is("AWS::KMS::Key", 1);
    t.has_resource(
        "AWS::KMS::Key",
        Matcher::from(json!({
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": { "EnableKeyRotation": true, "Description": "VPC flow log encryption" }
        }))
        .with(
            "/Properties/KeyPolicy/Statement",
            Matcher::array_with([json!({
                "Effect": "Allow",
                "Principal": { "Service": { "Fn::Sub": "logs.${AWS::Region}.amazonaws.com" } },
                "Condition": { "ArnLike": { "kms:EncryptionContext:aws:logs:arn": {
                    "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
                }}}
            })]),
        ),
    );
}

#[test]
fn the_flow_log_role_is_scoped_to_its_log_group() {
    let t = template_of(planned(VpcProps::production()));
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": { "Statement": [{
                "Effect": "Allow",
                "Principal": { "Service": "vpc-flow-logs.amazonaws.com" },
                "Action": "sts:AssumeRole"
            }]}
        }),
    );
    t.has_resource_properties(
        "AWS::IAM::Policy",
        Matcher::from(json!({ "Roles": [r("NetworkFlowLogsRole")] })).with(
            "/PolicyDocument/Statement",
            Matcher::exact(json!([{
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": { "Fn::GetAtt": ["NetworkFlowLogsLogGroup", "Arn"] }
            }])),
        ),
    );
}

#[test]
fn flow_log_retention_is_configurable() {
    let t = template_of(VpcProps {
        flow_logs: FlowLogs::CloudWatch { retention_days: 90 },
        ..planned(VpcProps::production())
    });
    t.has_resource_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": 90 }));
}

#[test]
fn flow_logs_can_use_a_key_of_the_callers() {
    let app = App::new();
    let stack = stack_in(&app, "us-east-1");
    let key = Key::new(&stack, "SharedKey", KeyProps::production()).unwrap();
    Vpc::new(
        &stack,
        "Network",
        VpcProps {
            logs_key: Some(key),
            ..planned(VpcProps::production())
        },
    )
    .unwrap();
    let t = Template::from_stack(&stack);
    t.resource_count_is("AWS::KMS::Key", 1);
    t.has_resource_properties(
        "AWS::Logs::LogGroup",
        json!({ "KmsKeyId": { "Fn::GetAtt": ["SharedKey", "Arn"] } }),
    );
    // The caller's key was given the CloudWatch Logs statement it needs.
    t.has_resource_properties(
        "AWS::KMS::Key",
        Matcher::object([(
            "KeyPolicy",
            Matcher::from(json!({})).with(
                "/Statement",
                Matcher::array_with([
                    json!({ "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups" }),
                ]),
            ),
        )]),
    );
}

#[test]
fn flow_logs_can_go_to_s3() {
    let t = template_of(VpcProps {
        flow_logs: FlowLogs::S3 {
            bucket_arn: Value::from("arn:aws:s3:::demo-flow-logs"),
        },
        ..planned(VpcProps::production())
    });
    t.resource_count_is("AWS::Logs::LogGroup", 0);
    t.resource_count_is("AWS::KMS::Key", 0);
    t.has_resource_properties(
        "AWS::EC2::FlowLog",
        Matcher::from(json!({
            "LogDestination": "arn:aws:s3:::demo-flow-logs",
            "LogDestinationType": "s3",
            "ResourceId": r("Network"),
            "ResourceType": "VPC",
            "TrafficType": "ALL"
        }))
        .with("/DeliverLogsPermissionArn", Matcher::absent()),
    );
}

#[test]
fn flow_logs_can_be_turned_off() {
    let t = template_of(VpcProps {
        flow_logs: FlowLogs::Off,
        ..planned(VpcProps::production())
    });
    t.resource_count_is("AWS::EC2::FlowLog", 0);
    t.resource_count_is("AWS::Logs::LogGroup", 0);
}

// ---------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------

#[test]
fn the_s3_gateway_endpoint_serves_private_and_isolated_route_tables_only() {
    let t = template_of(planned(VpcProps::production()));
    t.resource_count_is("AWS::EC2::VPCEndpoint", 1);
    t.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        Matcher::exact(json!({
            "RouteTableIds": [
                r("NetworkPrivateSubnet1RouteTable"),
                r("NetworkPrivateSubnet2RouteTable"),
                r("NetworkDatabaseSubnet1RouteTable"),
                r("NetworkDatabaseSubnet2RouteTable"),
            ],
            "ServiceName": { "Fn::Sub": "com.amazonaws.${AWS::Region}.s3" },
            "VpcEndpointType": "Gateway",
            "VpcId": r("Network")
        })),
    );
}

#[test]
fn the_s3_gateway_endpoint_can_be_turned_off() {
    let t = template_of(VpcProps {
        s3_gateway_endpoint: false,
        ..planned(VpcProps::production())
    });
    t.resource_count_is("AWS::EC2::VPCEndpoint", 0);
}

#[test]
fn interface_endpoints_have_their_own_group_admitting_https_from_the_vpc() {
    let endpoints = [
        (InterfaceEndpoint::EcrApi, "EcrApi", "ecr.api"),
        (InterfaceEndpoint::EcrDocker, "EcrDocker", "ecr.dkr"),
        (
            InterfaceEndpoint::SecretsManager,
            "SecretsManager",
            "secretsmanager",
        ),
        (InterfaceEndpoint::Logs, "Logs", "logs"),
        (InterfaceEndpoint::Ssm, "Ssm", "ssm"),
        (InterfaceEndpoint::SsmMessages, "SsmMessages", "ssmmessages"),
        (InterfaceEndpoint::Ec2Messages, "Ec2Messages", "ec2messages"),
        (InterfaceEndpoint::Kms, "Kms", "kms"),
    ];
    let t = template_of(VpcProps {
        interface_endpoints: endpoints.iter().map(|(e, _, _)| *e).collect(),
        ..planned(VpcProps::production())
    });
    // One shared group, plus the S3 gateway endpoint.
    t.resource_count_is("AWS::EC2::SecurityGroup", 1);
    t.resource_count_is("AWS::EC2::VPCEndpoint", endpoints.len() + 1);
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        Matcher::exact(json!({
            "GroupDescription": "Interface endpoints: HTTPS from inside the VPC",
            "SecurityGroupEgress": [{
                "CidrIp": "255.255.255.255/32",
                "Description": "Disallow all traffic",
                "FromPort": 252,
                "IpProtocol": "icmp",
                "ToPort": 86
            }],
            "SecurityGroupIngress": [{
                "CidrIp": { "Fn::GetAtt": ["Network", "CidrBlock"] },
                "Description": "HTTPS to AWS APIs from inside the VPC",
                "FromPort": 443,
                "IpProtocol": "tcp",
                "ToPort": 443
            }],
            "VpcId": r("Network")
        })),
    );
    let resources = &t.json()["Resources"];
    for (_, id, service) in endpoints {
        let body = &resources[format!("NetworkEndpoints{id}")];
        assert_eq!(body["Type"], "AWS::EC2::VPCEndpoint", "{id}");
        assert_eq!(
            body["Properties"],
            json!({
                "PrivateDnsEnabled": true,
                "SecurityGroupIds": [{ "Fn::GetAtt": ["NetworkEndpointsSecurityGroup", "GroupId"] }],
                "ServiceName": { "Fn::Sub": format!("com.amazonaws.${{AWS::Region}}.{service}") },
                "SubnetIds": [r("NetworkPrivateSubnet1Subnet"), r("NetworkPrivateSubnet2Subnet")],
                "VpcEndpointType": "Interface",
                "VpcId": r("Network")
            }),
            "{id}"
        );
    }
}

#[test]
fn interface_endpoints_of_an_isolated_vpc_sit_in_the_isolated_subnets() {
    let t = template_of(VpcProps {
        tiers: vec![SubnetTier::blocks(
            "Database",
            SubnetKind::Isolated,
            24,
            201,
        )],
        nat_gateways: NatGateways::None,
        interface_endpoints: vec![InterfaceEndpoint::SecretsManager],
        ..planned(VpcProps::production())
    });
    t.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        json!({
            "VpcEndpointType": "Interface",
            "SubnetIds": [r("NetworkDatabaseSubnet1Subnet"), r("NetworkDatabaseSubnet2Subnet")]
        }),
    );
}

// ---------------------------------------------------------------------------------------
// The default security group (CKV2_AWS_12)
// ---------------------------------------------------------------------------------------

#[test]
fn the_default_security_group_is_emptied_by_the_managed_runbook() {
    let t = template_of(planned(VpcProps::production()));
    t.resource_count_is("AWS::SSM::Association", 1);
    t.resource_count_is("AWS::Lambda::Function", 0);
    t.has_resource(
        "AWS::SSM::Association",
        json!({
            "Properties": {
                "Name": "AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules",
                "Parameters": {
                    "GroupId": [{ "Fn::GetAtt": ["Network", "DefaultSecurityGroup"] }],
                    "AutomationAssumeRole": [{ "Fn::GetAtt": ["NetworkRestrictDefaultSecurityGroupRole", "Arn"] }]
                }
            },
            "DependsOn": ["NetworkRestrictDefaultSecurityGroupRoleDefaultPolicy"]
        }),
    );
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({ "AssumeRolePolicyDocument": { "Statement": [{
            "Principal": { "Service": "ssm.amazonaws.com" }
        }]}}),
    );
    // Revoking is scoped to the default group's ARN; only the read-only Describe is "*".
    t.has_resource_properties(
        "AWS::IAM::Policy",
        Matcher::from(json!({ "Roles": [r("NetworkRestrictDefaultSecurityGroupRole")] })).with(
            "/PolicyDocument/Statement",
            Matcher::exact(json!([
                {
                    "Effect": "Allow",
                    "Action": ["ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"],
                    "Resource": { "Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/${Network.DefaultSecurityGroup}" }
                },
                { "Effect": "Allow", "Action": "ec2:DescribeSecurityGroups", "Resource": "*" },
                {
                    "Effect": "Allow",
                    "Action": "ssm:StartAutomationExecution",
                    "Resource": { "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:automation-definition/AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules:*" }
                },
                {
                    "Effect": "Allow",
                    "Action": "ssm:GetAutomationExecution",
                    "Resource": { "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:automation-execution/*" }
                }
            ])),
        ),
    );
}

#[test]
fn the_remediation_role_has_every_permission_the_runbook_documents() {
    let t = template_of(planned(VpcProps::production()));
    let policy = &t.json()["Resources"]["NetworkRestrictDefaultSecurityGroupRoleDefaultPolicy"];
    let actions = policy["Properties"]["PolicyDocument"].to_string();
    for action in [
        "ssm:StartAutomationExecution",
        "ssm:GetAutomationExecution",
        "ec2:DescribeSecurityGroups",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
    ] {
        assert!(actions.contains(action), "{action} missing from {actions}");
    }
}

#[test]
fn the_default_security_group_remediation_can_be_turned_off() {
    let t = template_of(VpcProps {
        restrict_default_security_group: false,
        ..planned(VpcProps::production())
    });
    t.resource_count_is("AWS::SSM::Association", 0);
}

// ---------------------------------------------------------------------------------------
// Imported VPCs
// ---------------------------------------------------------------------------------------

fn imported() -> VpcAttributes {
    VpcAttributes {
        vpc_id: "vpc-0123456789abcdef0".into(),
        cidr_block: "10.20.0.0/16".into(),
        availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
        public_subnet_ids: vec!["subnet-pub1".into(), "subnet-pub2".into()],
        private_subnet_ids: vec!["subnet-priv1".into(), "subnet-priv2".into()],
        isolated_subnet_ids: vec!["subnet-iso1".into(), "subnet-iso2".into()],
    }
}

#[test]
fn from_attributes_adds_nothing_to_the_template() {
    let app = App::new();
    let stack = stack_in(&app, "us-east-1");
    let vpc = Vpc::from_attributes(imported());
    Output::new(&stack, "VpcId", vpc.vpc_id()).unwrap();
    let t = Template::from_stack(&stack);
    let resources = t.json().get("Resources").and_then(Json::as_object);
    assert!(
        resources.is_none_or(|r| r.is_empty()),
        "an imported VPC must add no resource: {resources:?}"
    );
    t.has_output("VpcId", json!({ "Value": "vpc-0123456789abcdef0" }));
    assert_eq!(vpc.az_count(), 2);
    assert!(vpc.resource().is_none() && vpc.node().is_none());
    assert_eq!(
        vpc.subnet_ids(SubnetKind::Isolated),
        Value::from(vec!["subnet-iso1".to_string(), "subnet-iso2".to_string()])
    );
    assert_eq!(vpc.cidr_block(), Value::from("10.20.0.0/16"));
    assert_eq!(vpc.availability_zones()[1], Value::from("us-east-1b"));
}

#[test]
fn constructs_in_an_imported_vpc_use_its_ids() {
    let app = App::new();
    let stack = stack_in(&app, "us-east-1");
    let vpc = Vpc::from_attributes(imported());
    PostgresDb::new(&stack, "Database", &vpc, PostgresDbProps::production()).unwrap();
    let t = Template::from_stack(&stack);
    t.resource_count_is("AWS::EC2::VPC", 0);
    t.has_resource_properties(
        "AWS::RDS::DBSubnetGroup",
        json!({ "SubnetIds": ["subnet-iso1", "subnet-iso2"] }),
    );
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({ "VpcId": "vpc-0123456789abcdef0" }),
    );
}

// ---------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------

fn snapshot_body(props: VpcProps) -> String {
    let app = App::new();
    let stack = stack_in(&app, "us-east-1");
    Vpc::new(&stack, "Network", props).unwrap();
    let synthesized = stackwright_synth::synthesize(&app).expect("synth succeeds");
    assert_eq!(synthesized.bodies.len(), 1);
    synthesized.bodies[0].clone()
}

#[test]
fn snapshot_vpc_production() {
    insta::assert_snapshot!("vpc_production", snapshot_body(VpcProps::production()));
}

#[test]
fn snapshot_vpc_staging() {
    insta::assert_snapshot!("vpc_staging", snapshot_body(VpcProps::staging()));
}

// ---------------------------------------------------------------------------------------
// Construction errors
// ---------------------------------------------------------------------------------------

#[test]
fn a_cidr_that_is_not_one_is_refused() {
    let (path, p) = vpc_error(
        "us-east-1",
        VpcProps {
            cidr: "10.0.0.0/33".into(),
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(path, "Test/Network");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("cidr", "'10.0.0.0/33'")
    );
    assert!(p.message.contains("not an IPv4 CIDR block"), "{p}");
    assert!(p.fix.contains("10.0.0.0/16"), "{p}");

    let (_, p) = vpc_error(
        "us-east-1",
        VpcProps {
            cidr: "ten-dot-oh".into(),
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("cidr", "'ten-dot-oh'")
    );
}

#[test]
fn a_cidr_with_host_bits_is_refused_with_the_network_address() {
    let (path, p) = vpc_error(
        "us-east-1",
        VpcProps {
            cidr: "10.0.7.1/16".into(),
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(path, "Test/Network");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("cidr", "'10.0.7.1/16'")
    );
    assert!(p.message.contains("host bits"), "{p}");
    assert!(p.fix.contains("10.0.0.0/16"), "{p}");
}

#[test]
fn a_vpc_prefix_outside_16_to_28_is_refused() {
    let (path, p) = vpc_error(
        "us-east-1",
        VpcProps {
            cidr: "10.0.0.0/8".into(),
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(path, "Test/Network");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("cidr", "'10.0.0.0/8'")
    );
    assert!(p.message.contains("not /8"), "{p}");
    assert!(p.fix.contains("/16") && p.fix.contains("/28"), "{p}");
}

#[test]
fn a_subnet_outside_the_vpc_is_refused() {
    let (path, p) = vpc_error(
        "us-east-1",
        VpcProps {
            tiers: vec![
                SubnetTier::blocks("Public", SubnetKind::Public, 24, 101),
                SubnetTier {
                    name: "Database".into(),
                    kind: SubnetKind::Isolated,
                    cidrs: SubnetCidrs::Explicit(vec![
                        "10.0.201.0/24".into(),
                        "10.1.202.0/24".into(),
                    ]),
                },
            ],
            nat_gateways: NatGateways::None,
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(path, "Test/Network");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("tiers[1].cidrs[1]", "'10.1.202.0/24'")
    );
    assert!(
        p.message.contains("Database")
            && p.message.contains("outside")
            && p.message.contains("10.0.0.0/16"),
        "{p}"
    );
    assert!(p.fix.contains("inside the VPC"), "{p}");
}

#[test]
fn overlapping_tiers_are_refused() {
    let (path, p) = vpc_error(
        "us-east-1",
        VpcProps {
            tiers: vec![
                SubnetTier::blocks("Private", SubnetKind::PrivateWithEgress, 24, 1),
                SubnetTier::blocks("Public", SubnetKind::Public, 24, 2),
                SubnetTier::blocks("Database", SubnetKind::Isolated, 24, 201),
            ],
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(path, "Test/Network");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        (
            "tiers[1].cidrs",
            "SubnetCidrs::Blocks { mask: 24, first: 2 }"
        )
    );
    assert!(
        p.message.contains("10.0.2.0/24")
            && p.message.contains("Private")
            && p.message.contains("Public")
            && p.message.contains("overlaps"),
        "{p}"
    );
    assert!(p.fix.contains("own range"), "{p}");
}

#[test]
fn an_explicit_subnet_overlapping_a_larger_one_is_refused() {
    let (_, problems) = vpc_errors(
        "us-east-1",
        VpcProps {
            tiers: vec![
                SubnetTier::blocks("Public", SubnetKind::Public, 24, 101),
                SubnetTier {
                    name: "Big".into(),
                    kind: SubnetKind::Isolated,
                    cidrs: SubnetCidrs::Explicit(vec![
                        "10.0.96.0/19".into(),
                        "10.0.128.0/19".into(),
                    ]),
                },
            ],
            nat_gateways: NatGateways::None,
            ..planned(VpcProps::production())
        },
    );
    // Both public subnets (10.0.101.0/24 and 10.0.102.0/24) sit inside 10.0.96.0/19.
    assert_eq!(props_of(&problems), ["tiers[1].cidrs", "tiers[1].cidrs"]);
    for (p, public) in problems.iter().zip(["10.0.101.0/24", "10.0.102.0/24"]) {
        assert!(
            p.message.contains(public) && p.message.contains("10.0.96.0/19"),
            "{p}"
        );
    }
}

#[test]
fn blocks_that_do_not_fit_are_refused() {
    // 256 /24 blocks in a /16: a tier starting at block 255 has no room for a second zone.
    let (path, p) = vpc_error(
        "us-east-1",
        VpcProps {
            tiers: vec![
                SubnetTier::blocks("Private", SubnetKind::PrivateWithEgress, 24, 1),
                SubnetTier::blocks("Public", SubnetKind::Public, 24, 101),
                SubnetTier::blocks("Database", SubnetKind::Isolated, 24, 255),
            ],
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(path, "Test/Network");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("tiers[2].cidrs.first", "255")
    );
    assert!(
        p.message.contains("Database")
            && p.message.contains("255 to 256")
            && p.message.contains("only 256"),
        "{p}"
    );
    assert!(
        p.fix.contains("lower block") || p.fix.contains("smaller mask"),
        "{p}"
    );

    // A subnet mask larger than the VPC cannot be cut from it.
    let (_, p) = vpc_error(
        "us-east-1",
        VpcProps {
            cidr: "10.0.0.0/20".into(),
            tiers: vec![SubnetTier::blocks("Database", SubnetKind::Isolated, 16, 0)],
            nat_gateways: NatGateways::None,
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("tiers[0].cidrs.mask", "16")
    );
    assert!(
        p.message.contains("Database") && p.message.contains("/20 VPC"),
        "{p}"
    );
    assert!(p.fix.contains("/20 to /28"), "{p}");
}

#[test]
fn more_zones_than_the_region_has_are_refused() {
    let (path, p) = vpc_error(
        "us-east-2",
        VpcProps {
            azs: Azs::Count(4),
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(path, "Test/Network");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("azs", "Azs::Count(4)")
    );
    assert!(p.message.contains("us-east-2 has 3"), "{p}");
    assert!(p.fix.contains("fewer zones"), "{p}");
    // The same four zones are fine where the region has them.
    let app = App::new();
    let stack = stack_in(&app, "us-west-2");
    assert!(
        Vpc::new(
            &stack,
            "Network",
            VpcProps {
                azs: Azs::Count(4),
                ..planned(VpcProps::production())
            }
        )
        .is_ok()
    );
}

#[test]
fn zero_zones_are_refused() {
    let (_, p) = vpc_error(
        "us-east-1",
        VpcProps {
            azs: Azs::Count(0),
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("azs", "Azs::Count(0)")
    );
    assert!(p.message.contains("no availability zones"), "{p}");
    assert!(p.fix.contains("at least one zone"), "{p}");
}

#[test]
fn a_zone_of_another_region_is_refused() {
    let (path, p) = vpc_error(
        "us-east-1",
        VpcProps {
            azs: Azs::Named(vec!["us-east-1a".into(), "us-west-2b".into()]),
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(path, "Test/Network");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("azs[1]", "'us-west-2b'")
    );
    assert!(p.message.contains("us-east-1"), "{p}");
    assert!(p.fix.contains("us-east-1a"), "{p}");
}

#[test]
fn a_private_tier_without_nat_gateways_is_refused() {
    let (path, p) = vpc_error(
        "us-east-1",
        VpcProps {
            nat_gateways: NatGateways::None,
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(path, "Test/Network");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("nat_gateways", "NatGateways::None")
    );
    assert!(
        p.message.contains("private-with-egress") && p.message.contains("NAT gateways"),
        "{p}"
    );
    assert!(
        p.fix.contains("NatGateways::Single") && p.fix.contains("Isolated"),
        "{p}"
    );
}

#[test]
fn nat_gateways_without_a_public_tier_are_refused() {
    let (_, p) = vpc_error(
        "us-east-1",
        VpcProps {
            tiers: vec![SubnetTier::blocks(
                "Private",
                SubnetKind::PrivateWithEgress,
                24,
                1,
            )],
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("nat_gateways", "NatGateways::PerAz")
    );
    assert!(p.message.contains("without a public tier"), "{p}");
    assert!(p.fix.contains("Public"), "{p}");
}

#[test]
fn tier_names_must_be_usable_and_unique() {
    let (_, p) = vpc_error(
        "us-east-1",
        VpcProps {
            tiers: vec![
                SubnetTier::blocks("Public", SubnetKind::Public, 24, 101),
                SubnetTier::blocks("Data base", SubnetKind::Isolated, 24, 201),
            ],
            nat_gateways: NatGateways::None,
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("tiers[1].name", "'Data base'")
    );
    assert!(p.message.contains("tier name"), "{p}");
    assert!(p.fix.contains("letters and digits"), "{p}");

    let (_, p) = vpc_error(
        "us-east-1",
        VpcProps {
            tiers: vec![
                SubnetTier::blocks("Public", SubnetKind::Public, 24, 101),
                SubnetTier::blocks("Public", SubnetKind::Isolated, 24, 201),
            ],
            nat_gateways: NatGateways::None,
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("tiers[1].name", "'Public'")
    );
    assert!(p.message.contains("same name"), "{p}");
    assert!(p.fix.contains("its own name"), "{p}");
}

#[test]
fn an_explicit_tier_needs_one_cidr_per_zone() {
    let (_, p) = vpc_error(
        "us-east-1",
        VpcProps {
            tiers: vec![
                SubnetTier::blocks("Public", SubnetKind::Public, 24, 101),
                SubnetTier {
                    name: "Database".into(),
                    kind: SubnetKind::Isolated,
                    cidrs: SubnetCidrs::Explicit(vec!["10.0.201.0/24".into()]),
                },
            ],
            nat_gateways: NatGateways::None,
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("tiers[1].cidrs", "SubnetCidrs::Explicit(['10.0.201.0/24'])")
    );
    assert!(p.message.contains("lists 1 CIDRs for 2 zones"), "{p}");
    assert!(p.fix.contains("one CIDR per zone"), "{p}");
}

#[test]
fn several_problems_are_reported_at_once() {
    let (path, problems) = vpc_errors(
        "us-east-2",
        VpcProps {
            cidr: "10.0.0.1/16".into(),
            azs: Azs::Count(4),
            nat_gateways: NatGateways::None,
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(path, "Test/Network");
    assert_eq!(props_of(&problems), ["cidr", "azs", "nat_gateways"]);
    assert!(problems[0].message.contains("host bits"), "{}", problems[0]);
    assert!(
        problems[1].message.contains("us-east-2 has 3"),
        "{}",
        problems[1]
    );
    assert_eq!(problems[2].value, "NatGateways::None");
    // Display shows all of it, path first, one problem a line.
    let app = App::new();
    let stack = stack_in(&app, "us-east-2");
    let shown = Vpc::new(
        &stack,
        "Network",
        VpcProps {
            cidr: "10.0.0.1/16".into(),
            azs: Azs::Count(4),
            ..planned(VpcProps::production())
        },
    )
    .err()
    .unwrap()
    .to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3, "{shown}");
    assert_eq!(lines[0], "Test/Network: 2 invalid props");
    assert!(
        lines[1].starts_with("  - cidr = '10.0.0.1/16': host bits"),
        "{shown}"
    );
    assert!(
        lines[2].starts_with("  - azs = Azs::Count(4): 4 availability zones"),
        "{shown}"
    );
}

#[test]
fn a_refused_vpc_adds_no_resource() {
    let app = App::new();
    let stack = stack_in(&app, "us-east-1");
    let _ = Vpc::new(
        &stack,
        "Network",
        VpcProps {
            nat_gateways: NatGateways::None,
            ..planned(VpcProps::production())
        },
    );
    let t = Template::from_stack(&stack);
    let resources = t.json().get("Resources").and_then(Json::as_object);
    assert!(resources.is_none_or(|r| r.is_empty()), "{resources:?}");
}

#[test]
fn overlap_after_a_refused_tier_names_the_right_tiers() {
    let (_, problems) = vpc_errors(
        "us-east-1",
        VpcProps {
            tiers: vec![
                // Refused: /8 subnets in a /16.
                SubnetTier::blocks("Private", SubnetKind::PrivateWithEgress, 8, 1),
                SubnetTier::blocks("Public", SubnetKind::Public, 24, 1),
                SubnetTier::blocks("Database", SubnetKind::Isolated, 24, 1),
            ],
            ..planned(VpcProps::production())
        },
    );
    // Public and Database overlap in both zones.
    assert_eq!(
        props_of(&problems),
        ["tiers[0].cidrs.mask", "tiers[2].cidrs", "tiers[2].cidrs"]
    );
    assert_eq!(problems[0].value, "8");
    assert!(problems[0].message.contains("Private"), "{}", problems[0]);
    assert!(
        problems[1].message.contains(
            "subnet 10.0.1.0/24 of tier Database overlaps subnet 10.0.1.0/24 of tier Public"
        ),
        "{}",
        problems[1]
    );
}

#[test]
fn a_zone_named_twice_is_refused() {
    let (_, p) = vpc_error(
        "us-east-1",
        VpcProps {
            azs: Azs::Named(vec!["us-east-1a".into(), "us-east-1a".into()]),
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("azs[1]", "'us-east-1a'")
    );
    assert!(p.message.contains("named twice"), "{p}");
}

#[test]
fn an_explicit_subnet_with_host_bits_is_refused() {
    let (_, p) = vpc_error(
        "us-east-1",
        VpcProps {
            tiers: vec![
                SubnetTier::blocks("Public", SubnetKind::Public, 24, 101),
                SubnetTier {
                    name: "Database".into(),
                    kind: SubnetKind::Isolated,
                    cidrs: SubnetCidrs::Explicit(vec![
                        "10.0.201.7/24".into(),
                        "10.0.202.0/24".into(),
                    ]),
                },
            ],
            nat_gateways: NatGateways::None,
            ..planned(VpcProps::production())
        },
    );
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("tiers[1].cidrs[0]", "'10.0.201.7/24'")
    );
    assert!(p.message.contains("host bits"), "{p}");
    assert!(p.fix.contains("10.0.201.0/24"), "{p}");
}
