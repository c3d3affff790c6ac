//! `AppFleet`: the EC2 variant (production and staging) and the Fargate variant, the
//! boot script, rolling updates and scaling, ECS blue/green, connections on both sides,
//! grants, metrics, escape hatches, snapshots, the validators and every construction
//! error.

use serde_json::{Value as Json, json};
use stackwright_assertions::{Matcher, Template};
use stackwright_constructs::alb::{
    BlueGreenAlb, BlueGreenAlbProps, Colour, HealthCheck, TargetType, TestListener,
};
use stackwright_constructs::fleet::{
    AppFleet, AppFleetProps, Capacity, ColourState, Compute, FargateSettings, ImageSource,
    SecretEnv, WorkerSettings,
};
use stackwright_constructs::opt_out::skip_check;
use stackwright_constructs::secret::Secret;
use stackwright_constructs::vpc::{Vpc, VpcAttributes};
use stackwright_constructs::{ConstructError, PropProblem};
use stackwright_core::{App, Env, Pseudo, Stack, Value, cfn_format};

/// `SECRET_KEY`'s secret, made elsewhere and known by ARN.
fn secret_key() -> Secret {
    Secret::from_arn(
        cfn_format!(
            "arn:{}:secretsmanager:{}:{}:secret:demo/secret-key-AbCdEf",
            Value::<String>::pseudo(Pseudo::Partition),
            Value::<String>::pseudo(Pseudo::Region),
            Value::<String>::pseudo(Pseudo::AccountId)
        ),
        None,
    )
}

/// How the template writes `secret_key()`'s ARN.
fn secret_key_arn() -> Json {
    json!({ "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:demo/secret-key-AbCdEf" })
}

fn stack(app: &App) -> Stack {
    Stack::new(app, "Test", Env::new("123456789012", "us-east-1")).unwrap()
}

/// The Demo network, imported, so templates hold the fleet and its load balancer only.
fn imported_vpc() -> Vpc {
    Vpc::from_attributes(VpcAttributes {
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
    })
}

fn target_type_for(props: &AppFleetProps) -> TargetType {
    match props.compute {
        Compute::Ec2(_) => TargetType::Instance,
        Compute::Fargate(_) => TargetType::Ip,
    }
}

/// The test application's load balancer: port 8000, `/api/health`, a test listener.
fn alb_props(target_type: TargetType) -> BlueGreenAlbProps {
    BlueGreenAlbProps {
        target_type,
        target_port: Some(8000),
        health_check: HealthCheck::path("/api/health"),
        test_listener: Some(TestListener {
            port: 8443,
            allowed_from: None,
        }),
        ..BlueGreenAlbProps::production("app.example.com")
    }
}

/// `props` with the release tags, the test application's environment and `SECRET_KEY`
/// from an existing secret.
fn released(props: AppFleetProps) -> AppFleetProps {
    let secret = secret_key();
    AppFleetProps {
        blue: ColourState::serving("v1.4.2"),
        green: ColourState::scaled_to_zero("v1.4.1"),
        environment: [("ENVIRONMENT", "production"), ("DEBUG", "false")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect(),
        secret_environment: [("SECRET_KEY".to_string(), SecretEnv::whole(&secret))]
            .into_iter()
            .collect(),
        ..props
    }
}

struct Built {
    stack: Stack,
    vpc: Vpc,
    alb: BlueGreenAlb,
    fleet: AppFleet,
}

fn build_with(alb: BlueGreenAlbProps, props: AppFleetProps) -> Built {
    let app = App::new();
    let s = stack(&app);
    let vpc = imported_vpc();
    let alb = BlueGreenAlb::new(&s, "Edge", &vpc, alb).unwrap();
    skip_check(
        alb.access_log_bucket(),
        "CKV_AWS_18",
        "the test application's access-log bucket receives the load balancer's logs",
    )
    .unwrap();
    let fleet = AppFleet::new(&s, "App", &vpc, &alb, props).unwrap();
    Built {
        stack: s,
        vpc,
        alb,
        fleet,
    }
}

fn build(props: AppFleetProps) -> Built {
    build_with(alb_props(target_type_for(&props)), props)
}

fn template(props: AppFleetProps) -> Template {
    Template::from_stack(&build(props).stack)
}

fn r(id: &str) -> Json {
    json!({ "Ref": id })
}

fn get_att(id: &str, attr: &str) -> Json {
    json!({ "Fn::GetAtt": [id, attr] })
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

fn fleet_errors_with(alb: BlueGreenAlbProps, props: AppFleetProps) -> (String, Vec<PropProblem>) {
    let app = App::new();
    let s = stack(&app);
    let vpc = imported_vpc();
    let alb = BlueGreenAlb::new(&s, "Edge", &vpc, alb).unwrap();
    invalid(AppFleet::new(&s, "App", &vpc, &alb, props))
}

/// The one problem of a refused fleet, failing the test when there are more.
fn fleet_error_with(alb: BlueGreenAlbProps, props: AppFleetProps) -> (String, PropProblem) {
    let (path, mut problems) = fleet_errors_with(alb, props);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    (path, problems.remove(0))
}

fn fleet_errors(props: AppFleetProps) -> (String, Vec<PropProblem>) {
    fleet_errors_with(alb_props(target_type_for(&props)), props)
}

fn fleet_error(props: AppFleetProps) -> (String, PropProblem) {
    fleet_error_with(alb_props(target_type_for(&props)), props)
}

fn resource<'a>(t: &'a Template, id: &str) -> &'a Json {
    let r = &t.json()["Resources"][id];
    assert!(r.is_object(), "no resource {id}");
    r
}

/// A policy whose statements include these, in this order.
fn statements_with<const N: usize>(statements: [Json; N]) -> Matcher {
    Matcher::object([(
        "PolicyDocument",
        Matcher::object([("Statement", Matcher::array_with(statements))]),
    )])
}

/// The boot script of a launch template, as the text `Fn::Sub` gets.
fn boot_script(t: &Template, launch_template: &str) -> String {
    let user_data = &resource(t, launch_template)["Properties"]["LaunchTemplateData"]["UserData"];
    let sub = &user_data["Fn::Base64"]["Fn::Sub"];
    match sub {
        Json::String(s) => s.clone(),
        Json::Array(a) => a[0].as_str().unwrap().to_string(),
        other => panic!("UserData is not Fn::Base64 of Fn::Sub: {other}"),
    }
}

// ---------------------------------------------------------------------------------------
// Snapshots and validators
// ---------------------------------------------------------------------------------------

fn presets() -> [(&'static str, AppFleetProps); 3] {
    [
        (
            "fleet_ec2_production",
            released(AppFleetProps::production()),
        ),
        ("fleet_ec2_staging", released(AppFleetProps::staging())),
        ("fleet_fargate", fargate()),
    ]
}

fn body(props: AppFleetProps) -> String {
    let built = build(props);
    let app = App::of(&built.stack);
    stackwright_synth::synthesize(&app).unwrap().bodies[0].clone()
}

#[test]
fn snapshot_fleet_ec2_production() {
    let [(name, props), ..] = presets();
    insta::assert_snapshot!(name, body(props));
}

#[test]
fn snapshot_fleet_ec2_staging() {
    let [_, (name, props), _] = presets();
    insta::assert_snapshot!(name, body(props));
}

#[test]
fn snapshot_fleet_fargate() {
    let [.., (name, props)] = presets();
    insta::assert_snapshot!(name, body(props));
}

#[path = "../../../tests/support/pinned_tool.rs"]
mod pinned_tool;

/// A validator at the version `.ci/requirements.txt` pins; `None` (said loudly) when there
/// is none, and a failure under CI.
fn tool(name: &str, env_var: &str) -> Option<std::path::PathBuf> {
    pinned_tool::pinned_tool(name, name, env_var)
}

/// Writes every preset's template into a fresh directory.
fn preset_templates(tag: &str) -> (std::path::PathBuf, Vec<std::path::PathBuf>) {
    let dir = std::env::temp_dir().join(format!("stackwright-fleet-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files = presets()
        .into_iter()
        .map(|(name, props)| {
            let file = dir.join(format!("{name}.template.json"));
            std::fs::write(&file, body(props)).unwrap();
            file
        })
        .collect();
    (dir, files)
}

fn output(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn every_preset_passes_cfn_lint_with_informational_rules() {
    let Some(linter) = tool("cfn-lint", "CFN_LINT") else {
        return;
    };
    let (dir, files) = preset_templates("cfn-lint");
    let out = std::process::Command::new(linter)
        .args(["-c", "I", "--"])
        .args(&files)
        .output()
        .expect("cfn-lint runs");
    let report = output(&out);
    let _ = std::fs::remove_dir_all(dir);
    assert!(
        out.status.success() && report.trim().is_empty(),
        "cfn-lint findings:\n{report}"
    );
}

#[test]
fn every_preset_passes_checkov() {
    let Some(checkov) = tool("checkov", "CHECKOV") else {
        return;
    };
    let (dir, _files) = preset_templates("checkov");
    let out = std::process::Command::new(checkov)
        .arg("--directory")
        .arg(&dir)
        .args([
            "--framework",
            "cloudformation",
            "--compact",
            "--quiet",
            "--skip-download",
        ])
        .output()
        .expect("checkov runs");
    let report = output(&out);
    let _ = std::fs::remove_dir_all(dir);
    assert!(out.status.success(), "checkov failed checks:\n{report}");
}

// ---------------------------------------------------------------------------------------
// EC2
// ---------------------------------------------------------------------------------------

#[test]
fn each_colour_runs_its_own_group_from_its_own_launch_template() {
    let t = template(released(AppFleetProps::production()));
    t.resource_count_is("AWS::EC2::LaunchTemplate", 2);
    t.resource_count_is("AWS::AutoScaling::AutoScalingGroup", 2);
    let private = json!(["subnet-0b0000000000000b1", "subnet-0b0000000000000b2"]);
    let blue = &resource(&t, "AppBlueGroup")["Properties"];
    assert!(
        Matcher::from(json!({
            "MinSize": "2",
            "MaxSize": "4",
            "DesiredCapacity": "2",
            "HealthCheckType": "ELB",
            "HealthCheckGracePeriod": 300,
            "TargetGroupARNs": [r("EdgeBlueTargetGroup")],
            "VPCZoneIdentifier": private,
            "LaunchTemplate": {
                "LaunchTemplateId": r("AppBlueLaunchTemplate"),
                "Version": get_att("AppBlueLaunchTemplate", "LatestVersionNumber"),
            },
        }))
        .matches(blue),
        "{blue:#}"
    );
    let green = &resource(&t, "AppGreenGroup")["Properties"];
    assert!(
        Matcher::from(json!({
            "MinSize": "0",
            "MaxSize": "0",
            "DesiredCapacity": "0",
            "TargetGroupARNs": [r("EdgeGreenTargetGroup")],
            "LaunchTemplate": { "LaunchTemplateId": r("AppGreenLaunchTemplate") },
        }))
        .matches(green),
        "{green:#}"
    );
}

#[test]
fn launch_templates_require_imdsv2_and_encrypted_gp3_with_no_public_address_or_key_pair() {
    let t = template(released(AppFleetProps::production()));
    t.all_resources_properties(
        "AWS::EC2::LaunchTemplate",
        Matcher::object([(
            "LaunchTemplateData",
            Matcher::object([
                ("InstanceType", json!("t3.medium").into()),
                ("ImageId", r("AppAmiId").into()),
                ("KeyName", Matcher::absent()),
                ("SecurityGroupIds", Matcher::absent()),
                (
                    "MetadataOptions",
                    json!({ "HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled" }).into(),
                ),
                (
                    "BlockDeviceMappings",
                    json!([{
                        "DeviceName": "/dev/xvda",
                        "Ebs": { "VolumeType": "gp3", "Encrypted": true, "VolumeSize": 30, "DeleteOnTermination": true },
                    }])
                    .into(),
                ),
                (
                    "NetworkInterfaces",
                    json!([{
                        "DeviceIndex": 0,
                        "AssociatePublicIpAddress": false,
                        "Groups": [get_att("AppSecurityGroup", "GroupId")],
                    }])
                    .into(),
                ),
                ("IamInstanceProfile", json!({ "Arn": get_att("AppInstanceProfile", "Arn") }).into()),
                ("Monitoring", json!({ "Enabled": true }).into()),
            ]),
        )]),
    );
}

#[test]
fn the_ami_is_the_latest_amazon_linux_2023_through_the_public_ssm_parameter() {
    let t = template(released(AppFleetProps::production()));
    t.has_parameter(
        "AppAmiId",
        json!({
            "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            "Default": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        }),
    );
    let text = t.json().to_string();
    assert!(!text.contains("ami-0"), "no AMI id is hard-coded");
}

#[test]
fn the_boot_script_installs_docker_reads_secrets_by_arn_runs_the_image_and_waits_for_health() {
    let t = template(released(AppFleetProps::production()));
    let blue = boot_script(&t, "AppBlueLaunchTemplate");
    for expected in [
        "#!/bin/bash",
        "set -euo pipefail",
        "dnf install -y docker aws-cfn-bootstrap",
        "systemctl enable --now docker",
        "aws ecr get-login-password --region \"$REGION\" | docker login --username AWS --password-stdin \"${!IMAGE%%/*}\"",
        "IMAGE='${AppRepository.RepositoryUri}:v1.4.2'",
        "docker pull \"$IMAGE\"",
        "aws secretsmanager get-secret-value --region \"$REGION\" --secret-id \"$1\"",
        "value=$(secret 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:demo/secret-key-AbCdEf')\nadd_env SECRET_KEY \"$value\"",
        "add_env ENVIRONMENT 'production'",
        "add_env DEBUG 'false'",
        "docker run --detach --name app --restart unless-stopped -p 8000:8000",
        "--log-driver awslogs",
        "LOG_GROUP='${AppLogs}'",
        "deadline=$((SECONDS + 150))",
        "\"http://127.0.0.1:8000/api/health\"",
        "--stack '${AWS::StackName}' --resource 'AppBlueGroup'",
    ] {
        assert!(blue.contains(expected), "missing {expected:?} in:\n{blue}");
    }
    // The environment file with secret values lives in memory and goes once Docker has it.
    assert!(blue.contains("mktemp -p /run") && blue.contains("rm -f \"$ENV_FILE\""));
    let green = boot_script(&t, "AppGreenLaunchTemplate");
    assert!(green.contains("IMAGE='${AppRepository.RepositoryUri}:v1.4.1'"));
    assert!(green.contains("--resource 'AppGreenGroup'"));
}

#[test]
fn json_fields_of_secrets_are_read_by_field_at_boot() {
    let secret = secret_key();
    let mut props = released(AppFleetProps::production());
    props
        .secret_environment
        .insert("DB_PASSWORD".into(), SecretEnv::field(&secret, "password"));
    let t = template(props);
    let script = boot_script(&t, "AppBlueLaunchTemplate");
    assert!(
        script.contains("value=$(secret_field 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:demo/secret-key-AbCdEf' 'password')\nadd_env DB_PASSWORD \"$value\""),
        "{script}"
    );
}

#[test]
fn instances_are_replaced_keeping_half_in_service_and_wait_for_their_health_signal() {
    let t = template(released(AppFleetProps::production()));
    t.has_resource(
        "AWS::AutoScaling::AutoScalingGroup",
        json!({
            "UpdatePolicy": {
                "AutoScalingRollingUpdate": {
                    "MinInstancesInService": 1,
                    "MaxBatchSize": 1,
                    "PauseTime": "PT15M",
                    "WaitOnResourceSignals": true,
                },
                "AutoScalingScheduledAction": { "IgnoreUnmodifiedGroupSizeProperties": true },
            },
            "CreationPolicy": { "ResourceSignal": { "Count": 2, "Timeout": "PT15M" } },
        }),
    );
    let green = resource(&t, "AppGreenGroup");
    assert!(
        green.get("CreationPolicy").is_none(),
        "an idle colour has nothing to wait for"
    );
    assert!(
        green["UpdatePolicy"]
            .get("AutoScalingRollingUpdate")
            .is_none(),
        "a colour of max 0 has nothing to replace"
    );
    assert_eq!(
        green["UpdatePolicy"]["AutoScalingScheduledAction"]["IgnoreUnmodifiedGroupSizeProperties"],
        true
    );
    // The group waits for the grants its instances use at boot, and for the listener.
    let depends = resource(&t, "AppBlueGroup")["DependsOn"].to_string();
    assert!(
        depends.contains("AppInstanceRoleDefaultPolicy") && depends.contains("EdgeHttpsListener"),
        "{depends}"
    );
}

#[test]
fn cpu_target_tracking_at_70_percent_for_a_colour_that_can_scale() {
    let t = template(released(AppFleetProps::production()));
    t.resource_count_is("AWS::AutoScaling::ScalingPolicy", 1);
    t.has_resource_properties(
        "AWS::AutoScaling::ScalingPolicy",
        json!({
            "AutoScalingGroupName": r("AppBlueGroup"),
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingConfiguration": {
                "PredefinedMetricSpecification": { "PredefinedMetricType": "ASGAverageCPUUtilization" },
                "TargetValue": 70,
            },
        }),
    );
    // Both colours serving (mid-release): each scales on its own.
    let t = template(AppFleetProps {
        green: ColourState::serving("v1.5.0"),
        ..released(AppFleetProps::production())
    });
    t.resource_count_is("AWS::AutoScaling::ScalingPolicy", 2);
}

#[test]
fn the_instance_role_has_least_privilege_and_session_manager_instead_of_ssh() {
    let t = template(released(AppFleetProps::production()));
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": { "Statement": [{ "Principal": { "Service": "ec2.amazonaws.com" } }] },
            "ManagedPolicyArns": [
                { "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore" },
                { "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/CloudWatchAgentServerPolicy" },
            ],
        }),
    );
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [r("AppInstanceRole")],
            "PolicyDocument": { "Statement": [
                {
                    "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                    "Resource": get_att("AppRepository", "Arn"),
                },
                { "Action": "ecr:GetAuthorizationToken", "Resource": "*" },
                { "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": secret_key_arn() },
                { "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": get_att("AppLogs", "Arn") },
            ]},
        }),
    );
    t.has_resource_properties(
        "AWS::IAM::InstanceProfile",
        json!({ "Roles": [r("AppInstanceRole")] }),
    );
    let text = t.json().to_string();
    assert!(
        !text.contains("KeyName") && !text.contains("\"FromPort\":22"),
        "no SSH"
    );
}

#[test]
fn logs_go_to_a_kms_encrypted_group_with_retention() {
    let t = template(released(AppFleetProps::production()));
    t.has_resource(
        "AWS::Logs::LogGroup",
        json!({
            "Properties": { "KmsKeyId": get_att("AppKey", "Arn"), "RetentionInDays": 365 },
            "DeletionPolicy": "Retain",
        }),
    );
    // CloudWatch Logs may use the key for this account's log groups.
    let policy = resource(&t, "AppKey")["Properties"]["KeyPolicy"].to_string();
    assert!(
        policy.contains("logs.${AWS::Region}.amazonaws.com"),
        "{policy}"
    );
}

#[test]
fn the_own_repository_scans_keeps_tags_and_outlives_a_staging_stack_with_its_key() {
    let t = template(released(AppFleetProps::production()));
    t.has_resource_properties(
        "AWS::ECR::Repository",
        json!({
            "ImageScanningConfiguration": { "ScanOnPush": true },
            "ImageTagMutability": "IMMUTABLE",
            "EncryptionConfiguration": { "EncryptionType": "KMS", "KmsKey": get_att("AppRepositoryKey", "Arn") },
        }),
    );
    t.resource_count_is("AWS::KMS::Key", 2);
    // Staging deletes its logs and their key with the stack, but never the images.
    let t = template(released(AppFleetProps::staging()));
    t.has_resource(
        "AWS::ECR::Repository",
        json!({ "DeletionPolicy": "Retain" }),
    );
    assert_eq!(resource(&t, "AppRepositoryKey")["DeletionPolicy"], "Retain");
    assert_eq!(resource(&t, "AppKey")["DeletionPolicy"], "Delete");
}

#[test]
fn an_external_repository_is_pulled_from_by_uri_and_granted_by_arn() {
    let t = template(AppFleetProps {
        image: ImageSource::External {
            repository_uri: cfn_format!(
                "{}.dkr.ecr.{}.amazonaws.com/demo",
                Value::<String>::pseudo(Pseudo::AccountId),
                Value::<String>::pseudo(Pseudo::Region)
            ),
            repository_arn: cfn_format!(
                "arn:{}:ecr:{}:{}:repository/demo",
                Value::<String>::pseudo(Pseudo::Partition),
                Value::<String>::pseudo(Pseudo::Region),
                Value::<String>::pseudo(Pseudo::AccountId)
            ),
        },
        ..released(AppFleetProps::production())
    });
    t.resource_count_is("AWS::ECR::Repository", 0);
    assert!(
        boot_script(&t, "AppBlueLaunchTemplate")
            .contains("IMAGE='${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/demo:v1.4.2'")
    );
    t.has_resource_properties(
        "AWS::IAM::Policy",
        statements_with([json!({
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            "Resource": { "Fn::Sub": "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/demo" },
        })]),
    );
}

#[test]
fn staging_is_one_to_two_instances_with_basic_monitoring_and_logs_kept_90_days_and_deleted_with_the_stack()
 {
    let mut props = released(AppFleetProps::staging());
    props
        .environment
        .insert("ENVIRONMENT".into(), Value::from("staging"));
    let t = template(props);
    let blue = &resource(&t, "AppBlueGroup");
    assert!(Matcher::from(json!({
        "Properties": { "MinSize": "1", "MaxSize": "2", "DesiredCapacity": "1" },
        "UpdatePolicy": { "AutoScalingRollingUpdate": { "MinInstancesInService": 1, "MaxBatchSize": 1 } },
        "CreationPolicy": { "ResourceSignal": { "Count": 1 } },
    }))
    .matches(blue), "{blue:#}");
    t.has_resource_properties(
        "AWS::EC2::LaunchTemplate",
        json!({ "LaunchTemplateData": { "Monitoring": { "Enabled": false } } }),
    );
    t.has_resource(
        "AWS::Logs::LogGroup",
        json!({ "Properties": { "RetentionInDays": 90 }, "DeletionPolicy": "Delete" }),
    );
    assert!(boot_script(&t, "AppBlueLaunchTemplate").contains("add_env ENVIRONMENT 'staging'"));
}

#[test]
fn the_security_group_admits_the_app_port_from_the_load_balancer_and_sends_https_out() {
    let t = template(released(AppFleetProps::production()));
    // The load balancer's side: egress to the fleet on 8000.
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        json!({
            "GroupId": get_att("EdgeSecurityGroup", "GroupId"),
            "DestinationSecurityGroupId": get_att("AppSecurityGroup", "GroupId"),
            "IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000,
        }),
    );
    // The fleet's side: ingress from the load balancer on 8000, and nothing else in.
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        json!({
            "GroupId": get_att("AppSecurityGroup", "GroupId"),
            "SourceSecurityGroupId": get_att("EdgeSecurityGroup", "GroupId"),
            "IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000,
        }),
    );
    let ingress_to_fleet = t.find_resources(
        "AWS::EC2::SecurityGroupIngress",
        json!({ "Properties": { "GroupId": get_att("AppSecurityGroup", "GroupId") } }),
    );
    assert_eq!(ingress_to_fleet.len(), 1);
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        Matcher::object([
            ("GroupDescription", json!("App fleet Test/App: port 8000 from the load balancer").into()),
            ("SecurityGroupIngress", Matcher::absent()),
            (
                "SecurityGroupEgress",
                Matcher::exact(json!([{
                    "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0",
                    "Description": "HTTPS to AWS APIs (ECR, Secrets Manager, CloudWatch Logs, SSM) and package repositories, through NAT",
                }])),
            ),
        ]),
    );
}

#[test]
fn connections_open_the_database_port_on_both_sides() {
    use stackwright_constructs::database::{PostgresDb, PostgresDbProps};
    use stackwright_constructs::security_group::Connectable;
    let built = build(released(AppFleetProps::production()));
    let db = PostgresDb::new(
        &built.stack,
        "Database",
        &built.vpc,
        PostgresDbProps::production(),
    )
    .unwrap();
    built
        .fleet
        .connections()
        .allow_to_default_port(&db)
        .unwrap();
    let t = Template::from_stack(&built.stack);
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        json!({
            "GroupId": get_att("AppSecurityGroup", "GroupId"),
            "DestinationSecurityGroupId": get_att("DatabaseSecurityGroup", "GroupId"),
            "FromPort": 5432, "ToPort": 5432,
        }),
    );
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        json!({
            "GroupId": get_att("DatabaseSecurityGroup", "GroupId"),
            "SourceSecurityGroupId": get_att("AppSecurityGroup", "GroupId"),
            "FromPort": 5432, "ToPort": 5432,
        }),
    );
    // The fleet's default port is the app port: the load balancer reaches it there.
    let c = built.fleet.connections();
    assert_eq!(c.default_port().map(|p| p.from_port()), Some(8000));
    assert_eq!(c.security_groups().len(), 1);
}

#[test]
fn grants_land_in_the_instance_role() {
    use stackwright_constructs::database::{PostgresDb, PostgresDbProps};
    let built = build(released(AppFleetProps::production()));
    let db = PostgresDb::new(
        &built.stack,
        "Database",
        &built.vpc,
        PostgresDbProps::production(),
    )
    .unwrap();
    db.secret().grant_read(&built.fleet).unwrap();
    let t = Template::from_stack(&built.stack);
    t.has_resource_properties(
        "AWS::IAM::Policy",
        statements_with([
            json!({ "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": get_att("Database", "MasterUserSecret.SecretArn") }),
            json!({ "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": get_att("DatabaseKey", "Arn") }),
        ])
        .with("/Roles", json!([r("AppInstanceRole")])),
    );
    assert_eq!(
        built.fleet.role().arn(),
        Value::from_expr(built.fleet.role().resource().attr_arn().into_expr())
    );
    assert!(built.fleet.execution_role().is_none());
}

#[test]
fn metric_cpu_is_the_live_colours_group() {
    let built = build(released(AppFleetProps::production()));
    assert_eq!(built.fleet.live_colour(), built.alb.live_colour());
    let m = built.fleet.metric_cpu();
    assert_eq!(
        (m.namespace.as_str(), m.name.as_str(), m.unit),
        ("AWS/EC2", "CPUUtilization", "Percent")
    );
    let blue = built.fleet.auto_scaling_group(Colour::Blue).unwrap().ref_();
    assert_eq!(
        m.dimensions,
        vec![("AutoScalingGroupName".to_string(), blue)]
    );

    let green_live = build_with(
        BlueGreenAlbProps {
            live: Colour::Green,
            ..alb_props(TargetType::Instance)
        },
        AppFleetProps {
            blue: ColourState::scaled_to_zero("v1.4.2"),
            green: ColourState::serving("v1.5.0"),
            ..released(AppFleetProps::production())
        },
    );
    assert_eq!(green_live.fleet.live_colour(), Colour::Green);
    let green = green_live
        .fleet
        .auto_scaling_group(Colour::Green)
        .unwrap()
        .ref_();
    assert_eq!(green_live.fleet.metric_cpu().dimensions[0].1, green);
}

#[test]
fn escape_hatches_reach_the_l1_resources() {
    let built = build(released(AppFleetProps::production()));
    let f = &built.fleet;
    assert!(f.cluster().is_none() && f.service().is_none() && f.task_definition().is_none());
    f.launch_template(Colour::Green)
        .unwrap()
        .add_property_override("LaunchTemplateData.InstanceType", "t3.large");
    f.auto_scaling_group(Colour::Blue)
        .unwrap()
        .edit(|g| g.max_instance_lifetime = Some(604800.into()));
    f.log_group()
        .edit(|g| g.retention_in_days = Some(90.into()));
    let t = Template::from_stack(&built.stack);
    assert_eq!(
        resource(&t, "AppGreenLaunchTemplate")["Properties"]["LaunchTemplateData"]["InstanceType"],
        "t3.large"
    );
    assert_eq!(
        resource(&t, "AppBlueGroup")["Properties"]["MaxInstanceLifetime"],
        604800
    );
    assert_eq!(resource(&t, "AppLogs")["Properties"]["RetentionInDays"], 90);
    assert!(f.repository().is_some() && !f.is_fargate());
    assert_eq!(
        f.security_group().group_id(),
        Value::from_expr(f.security_group().resource().attr_group_id().into_expr())
    );
}

// ---------------------------------------------------------------------------------------
// Fargate
// ---------------------------------------------------------------------------------------

/// The Fargate preset with the test application's worker.
fn fargate() -> AppFleetProps {
    let mut props = released(AppFleetProps::fargate_production());
    if let Compute::Fargate(s) = &mut props.compute {
        s.worker = Some(WorkerSettings {
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
        });
    }
    props
}

#[test]
fn the_cluster_has_container_insights_and_fargate_and_spot_capacity() {
    let t = template(fargate());
    t.resource_count_is("AWS::AutoScaling::AutoScalingGroup", 0);
    t.resource_count_is("AWS::EC2::LaunchTemplate", 0);
    t.has_resource_properties(
        "AWS::ECS::Cluster",
        json!({ "ClusterSettings": [{ "Name": "containerInsights", "Value": "enabled" }] }),
    );
    t.has_resource_properties(
        "AWS::ECS::ClusterCapacityProviderAssociations",
        json!({
            "Cluster": r("AppCluster"),
            "CapacityProviders": ["FARGATE", "FARGATE_SPOT"],
            "DefaultCapacityProviderStrategy": [{ "CapacityProvider": "FARGATE", "Weight": 1 }],
        }),
    );
}

#[test]
fn the_task_definition_is_read_only_non_root_with_secrets_injected_and_encrypted_logs() {
    let t = template(fargate());
    let definition = &resource(&t, "AppTaskDefinition")["Properties"];
    assert!(Matcher::from(json!({
        "Cpu": "512",
        "Memory": "1024",
        "NetworkMode": "awsvpc",
        "RequiresCompatibilities": ["FARGATE"],
        "ExecutionRoleArn": get_att("AppExecutionRole", "Arn"),
        "TaskRoleArn": get_att("AppTaskRole", "Arn"),
        "Volumes": [{ "Name": "tmp" }],
        "ContainerDefinitions": [{
            "Name": "app",
            "Image": { "Fn::Sub": "${AppRepository.RepositoryUri}:v1.4.2" },
            "Essential": true,
            "ReadonlyRootFilesystem": true,
            "User": "1000:1000",
            "PortMappings": [{ "ContainerPort": 8000, "Protocol": "tcp" }],
            "Environment": [
                { "Name": "ENVIRONMENT", "Value": "production" },
                { "Name": "DEBUG", "Value": "false" },
            ],
            "Secrets": [{ "Name": "SECRET_KEY", "ValueFrom": secret_key_arn() }],
            "LogConfiguration": {
                "LogDriver": "awslogs",
                "Options": { "awslogs-group": r("AppLogs"), "awslogs-region": r("AWS::Region") },
            },
            "LinuxParameters": { "Capabilities": { "Drop": ["ALL"] } },
            "MountPoints": [{ "ContainerPath": "/tmp", "SourceVolume": "tmp", "ReadOnly": false }],
        }],
    }))
    .matches(definition), "{definition:#}");
    t.has_resource_properties(
        "AWS::Logs::LogGroup",
        json!({ "KmsKeyId": get_att("AppKey", "Arn"), "RetentionInDays": 365 }),
    );
}

#[test]
fn a_json_field_is_injected_with_the_json_key_suffix() {
    let secret = secret_key();
    let mut props = fargate();
    props
        .secret_environment
        .insert("DB_PASSWORD".into(), SecretEnv::field(&secret, "password"));
    let t = template(props);
    let secrets =
        &resource(&t, "AppTaskDefinition")["Properties"]["ContainerDefinitions"][0]["Secrets"];
    assert_eq!(
        secrets[1],
        json!({
            "Name": "DB_PASSWORD",
            "ValueFrom": { "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:demo/secret-key-AbCdEf:password::" },
        })
    );
}

#[test]
fn the_api_service_is_deployed_blue_green_by_ecs_in_private_subnets() {
    let t = template(fargate());
    t.has_resource_properties(
        "AWS::ECS::Service",
        json!({
            "Cluster": r("AppCluster"),
            "TaskDefinition": r("AppTaskDefinition"),
            "DesiredCount": 2,
            "CapacityProviderStrategy": [{ "CapacityProvider": "FARGATE", "Weight": 1 }],
            "DeploymentController": { "Type": "ECS" },
            "DeploymentConfiguration": { "Strategy": "BLUE_GREEN", "BakeTimeInMinutes": 15 },
            "LoadBalancers": [{
                "ContainerName": "app",
                "ContainerPort": 8000,
                "TargetGroupArn": r("EdgeBlueTargetGroup"),
                "AdvancedConfiguration": {
                    "AlternateTargetGroupArn": r("EdgeGreenTargetGroup"),
                    "ProductionListenerRule": get_att("EdgeProductionRule", "RuleArn"),
                    "TestListenerRule": get_att("EdgeTestRule", "RuleArn"),
                    "RoleArn": get_att("AppLoadBalancerRole", "Arn"),
                },
            }],
            "NetworkConfiguration": { "AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "SecurityGroups": [get_att("AppSecurityGroup", "GroupId")],
                "Subnets": ["subnet-0b0000000000000b1", "subnet-0b0000000000000b2"],
            }},
            "EnableExecuteCommand": false,
        }),
    );
    // The role ECS shifts the listener rules with.
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": { "Statement": [{ "Principal": { "Service": "ecs.amazonaws.com" } }] },
            "ManagedPolicyArns": [{ "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers" }],
        }),
    );
    // The rule ECS shifts forwards everything to the live colour.
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        json!({ "ListenerArn": r("EdgeHttpsListener"), "Conditions": [{ "Values": ["/*"] }] }),
    );
    let depends = resource(&t, "AppService")["DependsOn"].to_string();
    assert!(depends.contains("AppCapacityProviders"), "{depends}");
}

#[test]
fn the_api_scales_from_2_to_20_tasks_on_cpu_and_requests_per_target() {
    let t = template(fargate());
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        json!({
            "MinCapacity": 2,
            "MaxCapacity": 20,
            "ResourceId": { "Fn::Sub": "service/${AppCluster}/${AppService.Name}" },
            "ScalableDimension": "ecs:service:DesiredCount",
            "ServiceNamespace": "ecs",
        }),
    );
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        json!({
            "ScalingTargetId": r("AppScalableTarget"),
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": { "PredefinedMetricType": "ECSServiceAverageCPUUtilization" },
                "TargetValue": 70,
            },
        }),
    );
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        json!({
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ALBRequestCountPerTarget",
                    "ResourceLabel": { "Fn::Sub": "${Edge.LoadBalancerFullName}/${EdgeBlueTargetGroup.TargetGroupFullName}" },
                },
                "TargetValue": 1000,
            },
        }),
    );
}

#[test]
fn the_worker_runs_on_fargate_spot_with_no_inbound_traffic() {
    let t = template(fargate());
    t.has_resource_properties(
        "AWS::ECS::Service",
        json!({
            "TaskDefinition": r("AppWorkerTaskDefinition"),
            "DesiredCount": 1,
            "CapacityProviderStrategy": [{ "CapacityProvider": "FARGATE_SPOT", "Weight": 1 }],
            "DeploymentConfiguration": { "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true } },
            "NetworkConfiguration": { "AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "SecurityGroups": [get_att("AppWorkerSecurityGroup", "GroupId")],
            }},
        }),
    );
    let worker = &resource(&t, "AppWorkerService")["Properties"];
    assert!(worker.get("LoadBalancers").is_none());
    let definition = &resource(&t, "AppWorkerTaskDefinition")["Properties"];
    assert!(
        Matcher::from(json!({
            "Cpu": "256",
            "Memory": "512",
            "ContainerDefinitions": [{
                "Name": "worker",
                "Command": ["celery", "--app", "app.worker", "worker", "--loglevel", "INFO"],
                "ReadonlyRootFilesystem": true,
                "Secrets": [{ "Name": "SECRET_KEY" }],
            }],
        }))
        .matches(definition),
        "{definition:#}"
    );
    let ingress_to_worker = t.find_resources(
        "AWS::EC2::SecurityGroupIngress",
        json!({ "Properties": { "GroupId": get_att("AppWorkerSecurityGroup", "GroupId") } }),
    );
    assert!(ingress_to_worker.is_empty());
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        Matcher::object([
            (
                "GroupDescription",
                json!("Workers of Test/App: no inbound traffic").into(),
            ),
            ("SecurityGroupIngress", Matcher::absent()),
        ]),
    );

    // Without a worker there is no worker service.
    let t = template(AppFleetProps {
        compute: Compute::Fargate(FargateSettings {
            worker: None,
            ..FargateSettings::production()
        }),
        ..fargate()
    });
    t.resource_count_is("AWS::ECS::Service", 1);
    t.resource_count_is("AWS::ECS::TaskDefinition", 1);
}

#[test]
fn the_execution_role_reads_the_injected_secrets_and_grants_go_to_the_task_role() {
    use stackwright_constructs::iam::{Grantable, PolicyStatement};
    let built = build(fargate());
    built
        .fleet
        .grant(PolicyStatement::allow(
            &["s3:GetObject"],
            vec![Value::from("arn:aws:s3:::demo-uploads/*")],
        ))
        .unwrap();
    let t = Template::from_stack(&built.stack);
    t.has_resource_properties(
        "AWS::IAM::Policy",
        statements_with([
            json!({ "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"], "Resource": get_att("AppRepository", "Arn") }),
            json!({ "Action": "ecr:GetAuthorizationToken", "Resource": "*" }),
            json!({ "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": get_att("AppLogs", "Arn") }),
            json!({ "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": secret_key_arn() }),
        ])
        .with("/Roles", json!([r("AppExecutionRole")])),
    );
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [r("AppTaskRole")],
            "PolicyDocument": { "Statement": [{ "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo-uploads/*" }] },
        }),
    );
    // The task role has nothing but what it was granted: not the injected secrets.
    let task_policy = resource(&t, "AppTaskRoleDefaultPolicy").to_string();
    assert!(!task_policy.contains("secretsmanager"), "{task_policy}");
    assert_eq!(
        built.fleet.role().name(),
        Value::from_expr(json_ref("AppTaskRole", &built))
    );
}

/// The `Ref` expression of the task role, to compare handles with.
fn json_ref(_id: &str, built: &Built) -> stackwright_core::Expr {
    built.fleet.role().resource().ref_().into_expr()
}

#[test]
fn fargate_metric_cpu_names_the_cluster_and_the_service() {
    let built = build(fargate());
    let m = built.fleet.metric_cpu();
    assert_eq!(
        (m.namespace.as_str(), m.name.as_str()),
        ("AWS/ECS", "CPUUtilization")
    );
    let cluster = built.fleet.cluster().unwrap().ref_();
    let service = built.fleet.service().unwrap().attr_name();
    assert_eq!(
        m.dimensions,
        vec![
            ("ClusterName".to_string(), cluster),
            ("ServiceName".to_string(), service),
        ]
    );
}

#[test]
fn fargate_connections_cover_the_api_and_the_worker() {
    use stackwright_constructs::database::{PostgresDb, PostgresDbProps};
    use stackwright_constructs::security_group::Connectable;
    let built = build(fargate());
    let db = PostgresDb::new(
        &built.stack,
        "Database",
        &built.vpc,
        PostgresDbProps::production(),
    )
    .unwrap();
    built
        .fleet
        .connections()
        .allow_to_default_port(&db)
        .unwrap();
    let t = Template::from_stack(&built.stack);
    for group in ["AppSecurityGroup", "AppWorkerSecurityGroup"] {
        t.has_resource_properties(
            "AWS::EC2::SecurityGroupIngress",
            json!({
                "GroupId": get_att("DatabaseSecurityGroup", "GroupId"),
                "SourceSecurityGroupId": get_att(group, "GroupId"),
                "FromPort": 5432,
            }),
        );
    }
    // Only the API tasks are reached from the load balancer.
    t.resource_properties_count_is(
        "AWS::EC2::SecurityGroupIngress",
        json!({ "SourceSecurityGroupId": get_att("EdgeSecurityGroup", "GroupId") }),
        1,
    );
}

#[test]
fn fargate_escape_hatches_reach_the_l1_resources() {
    let built = build(fargate());
    let f = &built.fleet;
    assert!(
        f.is_fargate()
            && f.launch_template(Colour::Blue).is_none()
            && f.auto_scaling_group(Colour::Green).is_none()
    );
    f.service()
        .unwrap()
        .edit(|s| s.health_check_grace_period_seconds = Some(120.into()));
    f.task_definition()
        .unwrap()
        .add_property_override("EphemeralStorage.SizeInGiB", 30);
    f.worker_service()
        .unwrap()
        .edit(|s| s.desired_count = Some(3.into()));
    // Fargate pairs half a vCPU with 1 to 4 GiB (cfn-lint E3047, which synth enforces).
    let worker = f.worker_task_definition().unwrap();
    worker.add_property_override("Cpu", "512");
    worker.add_property_override("Memory", "1024");
    f.cluster()
        .unwrap()
        .add_property_override("ClusterName", "demo");
    f.execution_role()
        .unwrap()
        .resource()
        .add_property_override("Description", "starts tasks");
    let t = Template::from_stack(&built.stack);
    assert_eq!(
        resource(&t, "AppService")["Properties"]["HealthCheckGracePeriodSeconds"],
        120
    );
    assert_eq!(
        resource(&t, "AppTaskDefinition")["Properties"]["EphemeralStorage"]["SizeInGiB"],
        30
    );
    assert_eq!(
        resource(&t, "AppWorkerService")["Properties"]["DesiredCount"],
        3
    );
    assert_eq!(
        resource(&t, "AppWorkerTaskDefinition")["Properties"]["Cpu"],
        "512"
    );
    assert_eq!(
        resource(&t, "AppWorkerTaskDefinition")["Properties"]["Memory"],
        "1024"
    );
    assert_eq!(
        resource(&t, "AppCluster")["Properties"]["ClusterName"],
        "demo"
    );
    assert_eq!(
        resource(&t, "AppExecutionRole")["Properties"]["Description"],
        "starts tasks"
    );
}

// ---------------------------------------------------------------------------------------
// Construction errors
// ---------------------------------------------------------------------------------------

#[test]
fn min_above_desired_is_refused() {
    let (path, p) = fleet_error(AppFleetProps {
        capacity: Capacity::new(3, 4, 2),
        ..released(AppFleetProps::production())
    });
    assert_eq!(path, "Test/App");
    assert_eq!((p.prop.as_str(), p.value.as_str()), ("capacity.min", "3"));
    assert_eq!(p.message, "above desired, 2 (blue)");
    assert_eq!(p.fix, "keep min <= desired <= max");
}

#[test]
fn desired_above_max_is_refused() {
    let (path, p) = fleet_error(AppFleetProps {
        green: ColourState {
            image_tag: "v1.5.0".into(),
            capacity: Some(Capacity::new(1, 2, 3)),
        },
        ..released(AppFleetProps::production())
    });
    assert_eq!(path, "Test/App");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("green.capacity.desired", "3")
    );
    assert_eq!(p.message, "above max, 2 (green)");
    assert_eq!(p.fix, "keep min <= desired <= max");
}

#[test]
fn a_live_colour_with_max_0_is_refused() {
    let (path, p) = fleet_error_with(
        BlueGreenAlbProps {
            live: Colour::Green,
            ..alb_props(TargetType::Instance)
        },
        released(AppFleetProps::production()),
    );
    assert_eq!(path, "Test/App");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("green.capacity.max", "0")
    );
    assert_eq!(
        p.message,
        "green is the live colour, so nothing would serve production traffic"
    );
    assert!(
        p.fix.contains("ColourState::serving") && p.fix.contains("live colour"),
        "{p}"
    );
}

#[test]
fn a_cpu_target_outside_1_to_100_is_refused() {
    for target in [0, 101] {
        let (path, p) = fleet_error(AppFleetProps {
            cpu_target_percent: target,
            ..released(AppFleetProps::production())
        });
        assert_eq!(path, "Test/App");
        assert_eq!(p.prop, "cpu_target_percent");
        assert_eq!(p.value, target.to_string());
        assert!(p.message.contains("CPU percentage"), "{p}");
        assert!(p.fix.contains("1 to 100 percent"), "{p}");
    }
}

#[test]
fn a_task_size_fargate_does_not_offer_is_refused() {
    let (path, p) = fleet_error(AppFleetProps {
        compute: Compute::Fargate(FargateSettings {
            cpu: 256,
            memory_mib: 4096,
            ..FargateSettings::production()
        }),
        ..fargate()
    });
    assert_eq!(path, "Test/App");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("compute.memory_mib", "4096")
    );
    assert_eq!(
        p.message,
        "Fargate has no task of 256 CPU units with this memory"
    );
    assert_eq!(p.fix, "with 256 CPU units use 512, 1024 or 2048 MiB");
    // A CPU size Fargate does not have is the CPU's problem, not the memory's.
    let (_, p) = fleet_error(AppFleetProps {
        compute: Compute::Fargate(FargateSettings {
            cpu: 300,
            memory_mib: 1024,
            ..FargateSettings::production()
        }),
        ..fargate()
    });
    assert_eq!((p.prop.as_str(), p.value.as_str()), ("compute.cpu", "300"));
    assert!(p.fix.contains("256, 512, 1024"), "{p}");
    // So is the worker's.
    let mut props = fargate();
    if let Compute::Fargate(FargateSettings {
        worker: Some(w), ..
    }) = &mut props.compute
    {
        w.memory_mib = 4096;
    }
    let (_, p) = fleet_error(props);
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("compute.worker.memory_mib", "4096")
    );
    assert!(p.message.contains("worker task of 256 CPU units"), "{p}");
}

#[test]
fn a_secret_named_like_a_plain_variable_is_refused() {
    let mut props = released(AppFleetProps::production());
    props
        .environment
        .insert("SECRET_KEY".into(), "hunter2".into());
    let (path, p) = fleet_error(props);
    assert_eq!(path, "Test/App");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("secret_environment", "'SECRET_KEY'")
    );
    assert_eq!(p.message, "both a plain and a secret environment variable");
    assert!(p.fix.contains("one source"), "{p}");
}

#[test]
fn a_load_balancer_of_ip_targets_is_refused_for_ec2() {
    let (path, p) = fleet_error_with(
        alb_props(TargetType::Ip),
        released(AppFleetProps::production()),
    );
    assert_eq!(path, "Test/App");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("alb.target_type", "TargetType::Ip")
    );
    assert!(
        p.message.contains("target type is Ip") && p.message.contains("Instance targets"),
        "{p}"
    );
    assert!(p.fix.contains("TargetType::Instance"), "{p}");
}

#[test]
fn a_load_balancer_of_instance_targets_is_refused_for_fargate() {
    let (path, p) = fleet_error_with(alb_props(TargetType::Instance), fargate());
    assert_eq!(path, "Test/App");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("alb.target_type", "TargetType::Instance")
    );
    assert!(
        p.message.contains("target type is Instance") && p.message.contains("Ip targets"),
        "{p}"
    );
    assert!(p.fix.contains("TargetType::Ip"), "{p}");
}

#[test]
fn a_port_other_than_the_target_port_is_refused() {
    let (path, p) = fleet_error(AppFleetProps {
        port: Some(8080),
        ..released(AppFleetProps::production())
    });
    assert_eq!(path, "Test/App");
    assert_eq!((p.prop.as_str(), p.value.as_str()), ("port", "8080"));
    assert_eq!(p.message, "not the load balancer's target port, 8000");
    assert!(p.fix.contains("target_port"), "{p}");
}

#[test]
fn names_that_are_not_shell_safe_are_refused() {
    let mut props = released(AppFleetProps::production());
    props.environment.insert("BAD-NAME".into(), "x".into());
    let (_, p) = fleet_error(props);
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("environment", "'BAD-NAME'")
    );
    assert!(p.message.contains("environment variable name"), "{p}");
    assert!(p.fix.contains("letters, digits and _"), "{p}");

    let (_, p) = fleet_error(AppFleetProps {
        health_check_path: Some("/health; reboot".into()),
        ..released(AppFleetProps::production())
    });
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("health_check_path", "'/health; reboot'")
    );

    let (_, p) = fleet_error(AppFleetProps {
        blue: ColourState::serving("v1:latest"),
        ..released(AppFleetProps::production())
    });
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("blue.image_tag", "'v1:latest'")
    );
    assert_eq!(p.message, "not an ECR tag");
}

#[test]
fn root_containers_and_bad_ec2_settings_are_refused() {
    let (_, p) = fleet_error(AppFleetProps {
        compute: Compute::Fargate(FargateSettings {
            user: "root".into(),
            ..FargateSettings::production()
        }),
        ..fargate()
    });
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("compute.user", "'root'")
    );
    assert_eq!(p.message, "runs the containers as root");
    assert!(p.fix.contains("1000:1000"), "{p}");

    let mut props = released(AppFleetProps::production());
    if let Compute::Ec2(s) = &mut props.compute {
        s.instance_type = "medium".into();
    }
    let (_, p) = fleet_error(props);
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("compute.instance_type", "'medium'")
    );
    assert_eq!(p.message, "not an EC2 instance type");
    assert_eq!(p.fix, "write it like t3.medium");

    let (_, p) = fleet_error(AppFleetProps {
        log_retention_days: 10,
        ..released(AppFleetProps::production())
    });
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("log_retention_days", "10")
    );
}

#[test]
fn a_signal_timeout_is_refused_for_each_of_its_rules() {
    // Too long, and not longer than the health wait: two problems of one prop.
    let mut props = released(AppFleetProps::production());
    if let Compute::Ec2(s) = &mut props.compute {
        s.signal_timeout_minutes = 0;
    }
    let (_, problems) = fleet_errors(props);
    assert_eq!(
        props_of(&problems),
        [
            "compute.signal_timeout_minutes",
            "compute.signal_timeout_minutes"
        ]
    );
    assert!(
        problems[0].message.contains("1 to 720 minutes"),
        "{}",
        problems[0]
    );
    assert!(problems[1].message.contains("150"), "{}", problems[1]);
    let mut props = released(AppFleetProps::production());
    if let Compute::Ec2(s) = &mut props.compute {
        s.signal_timeout_minutes = 2;
        s.boot_health_timeout_seconds = 120;
    }
    let (_, p) = fleet_error(props);
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("compute.signal_timeout_minutes", "2")
    );
    assert!(p.message.contains("health wait"), "{p}");
}

#[test]
fn each_health_check_setting_of_the_load_balancer_is_its_own_problem() {
    let app = App::new();
    let s = stack(&app);
    let (path, problems) = invalid(BlueGreenAlb::new(
        &s,
        "Edge",
        &imported_vpc(),
        BlueGreenAlbProps {
            health_check: HealthCheck {
                healthy_threshold: 1,
                unhealthy_threshold: 11,
                interval_seconds: 4,
                timeout_seconds: 5,
                ..HealthCheck::path("/api/health")
            },
            ..alb_props(TargetType::Instance)
        },
    ));
    assert_eq!(path, "Test/Edge");
    let found: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.prop.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("health_check.healthy_threshold", "1"),
            ("health_check.unhealthy_threshold", "11"),
            ("health_check.interval_seconds", "4"),
            ("health_check.timeout_seconds", "5"),
        ]
    );
    assert!(
        problems[3].message.contains("interval, 4"),
        "{}",
        problems[3]
    );
    // A timeout under 2 seconds is refused even when it is shorter than the interval.
    let (_, problems) = invalid(BlueGreenAlb::new(
        &s,
        "Edge2",
        &imported_vpc(),
        BlueGreenAlbProps {
            health_check: HealthCheck {
                timeout_seconds: 1,
                ..HealthCheck::path("/api/health")
            },
            ..alb_props(TargetType::Instance)
        },
    ));
    assert_eq!(props_of(&problems), ["health_check.timeout_seconds"]);
    assert!(
        problems[0].message.contains("at least 2"),
        "{}",
        problems[0]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut props = AppFleetProps {
        capacity: Capacity::new(3, 1, 2),
        cpu_target_percent: 0,
        ..fargate()
    };
    props.environment.insert("SECRET_KEY".into(), "x".into());
    if let Compute::Fargate(s) = &mut props.compute {
        s.memory_mib = 4096 * 4;
    }
    let (path, problems) = fleet_errors(props);
    assert_eq!(path, "Test/App");
    assert_eq!(
        props_of(&problems),
        [
            "capacity.min",
            "capacity.desired",
            "cpu_target_percent",
            "secret_environment",
            "compute.memory_mib",
        ]
    );
    let values: Vec<&str> = problems.iter().map(|p| p.value.as_str()).collect();
    assert_eq!(values, ["3", "2", "0", "'SECRET_KEY'", "16384"]);
    assert!(
        problems[4].message.contains("512 CPU units"),
        "{}",
        problems[4]
    );
}

#[test]
fn presets_are_the_documented_neutral_settings() {
    let p = AppFleetProps::production();
    assert_eq!(p.capacity, Capacity::new(2, 4, 2));
    assert_eq!(p.capacity_of(Colour::Green), Capacity::ZERO);
    assert_eq!(
        (p.cpu_target_percent, p.port, p.health_check_grace_seconds),
        (70, None, 300)
    );
    // No application's contract: the port and health path come from the load balancer,
    // the environment is empty, logs are kept a year (90 days in staging).
    assert_eq!(p.health_check_path, None);
    assert!(p.environment.is_empty() && p.secret_environment.is_empty());
    assert_eq!(p.log_retention_days, 365);
    assert_eq!(AppFleetProps::staging().log_retention_days, 90);
    let Compute::Ec2(ec2) = &p.compute else {
        panic!("production is EC2")
    };
    assert_eq!(
        (
            ec2.instance_type.as_str(),
            ec2.min_healthy_percent,
            ec2.boot_health_timeout_seconds
        ),
        ("t3.medium", 50, 150)
    );
    assert_eq!(AppFleetProps::staging().capacity, Capacity::new(1, 2, 1));
    let f = AppFleetProps::fargate_production();
    assert_eq!(f.capacity, Capacity::new(2, 20, 2));
    let Compute::Fargate(s) = &f.compute else {
        panic!("fargate_production is Fargate")
    };
    assert_eq!((s.cpu, s.memory_mib, s.bake_time_minutes), (512, 1024, 15));
    assert!(
        s.worker.is_none(),
        "a worker's command is the application's to name"
    );
    assert_eq!(AppFleetProps::default().capacity, p.capacity);
}

#[test]
fn stack_tags_reach_the_instances_through_the_groups() {
    use stackwright_core::Scope;
    let built = build(released(AppFleetProps::production()));
    built.stack.tags().add("Project", "Demo");
    let t = Template::from_stack(&built.stack);
    t.all_resources_properties(
        "AWS::AutoScaling::AutoScalingGroup",
        Matcher::object([(
            "Tags",
            Matcher::array_with([
                json!({ "Key": "Name", "PropagateAtLaunch": true }),
                json!({ "Key": "Project", "Value": "Demo", "PropagateAtLaunch": true }),
            ]),
        )]),
    );
}

#[test]
fn a_repository_of_the_base_stack_is_imported_by_the_runtime_stack() {
    use stackwright_constructs::ecr::{ImageRepository, ImageRepositoryProps};
    let app = App::new();
    let base = Stack::new(&app, "Base", Env::new("123456789012", "us-east-1")).unwrap();
    let repo = ImageRepository::new(&base, "Images", ImageRepositoryProps::production()).unwrap();
    let runtime = Stack::new(&app, "Runtime", Env::new("123456789012", "us-east-1")).unwrap();
    let vpc = imported_vpc();
    let alb = BlueGreenAlb::new(&runtime, "Edge", &vpc, alb_props(TargetType::Ip)).unwrap();
    let fleet = AppFleet::new(
        &runtime,
        "App",
        &vpc,
        &alb,
        AppFleetProps {
            image: ImageSource::Repository(repo.clone()),
            ..fargate()
        },
    )
    .unwrap();
    assert_eq!(fleet.repository(), Some(&repo));
    let t = Template::from_stack(&runtime);
    t.resource_count_is("AWS::ECR::Repository", 0);
    let image =
        &resource(&t, "AppTaskDefinition")["Properties"]["ContainerDefinitions"][0]["Image"];
    assert!(image.to_string().contains("Fn::ImportValue"), "{image}");
    Template::from_stack(&base).resource_count_is("AWS::ECR::Repository", 1);
}
