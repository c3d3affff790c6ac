//! The EC2 variant: per colour a launch template and an Auto Scaling group.
//!
//! Replacing instances after a launch template change (a new image tag, a new AMI) is
//! CloudFormation's `AutoScalingRollingUpdate` update policy, not an Auto Scaling
//! instance refresh: instance refresh is an API action, not a property CloudFormation can
//! set. The policy replaces instances in batches, keeping `min_healthy_percent` of the
//! desired count in service, and waits for each new instance's boot script to report a
//! healthy app (`cfn-signal`) before it goes on; a failed health check rolls the stack
//! back.

use stackwright_core::{
    Condition, Construct, Expr, Parameter, ParameterProps, Pseudo, Resource, Scope, Value,
    cfn_format,
};
use stackwright_l1::{autoscaling, ec2, iam};

use super::user_data::BootScript;
use super::{AppFleetProps, Common, Ec2Colour, Ec2Parts, Ec2Settings};
use crate::alb::{BlueGreenAlb, Colour};
use crate::ecr;
use crate::error::ConstructError;
use crate::iam::{Grantable, PolicyStatement, Role, RoleProps, aws_managed_policy};
use crate::release::logical_id_of;
use crate::vpc::{SubnetKind, Vpc};

/// Processes suspended while CloudFormation replaces instances, so Auto Scaling does not
/// launch or terminate instances of its own accord in the middle of the update.
const SUSPENDED_DURING_UPDATE: &[&str] = &[
    "HealthCheck",
    "ReplaceUnhealthy",
    "AZRebalance",
    "AlarmNotification",
    "ScheduledActions",
];

pub(super) fn build(
    common: &Common,
    props: &AppFleetProps,
    settings: &Ec2Settings,
    vpc: &Vpc,
    alb: &BlueGreenAlb,
) -> Result<(Role, Ec2Parts), ConstructError> {
    let node = &common.node;
    let role = Role::new(
        node,
        "InstanceRole",
        RoleProps {
            description: Some(format!("Instances of {}", node.path())),
            // SSM core: Session Manager is the only way in (no SSH, no key pair).
            // CloudWatch agent: the container's awslogs driver and instance metrics.
            managed_policy_arns: vec![
                aws_managed_policy("AmazonSSMManagedInstanceCore"),
                aws_managed_policy("CloudWatchAgentServerPolicy"),
            ],
            ..RoleProps::for_service("ec2.amazonaws.com")
        },
    )?;
    ecr::grant_pull(&role, common.repository_arn.clone())?;
    for s in props.secret_environment.values() {
        s.secret.grant_read(&role)?;
    }
    role.grant(PolicyStatement::allow(
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![common.log_group.attr_arn()],
    ))?;
    let profile = Resource::new(
        node,
        "InstanceProfile",
        iam::InstanceProfile::new(vec![role.name()]),
    )?;
    let ami = Parameter::new(
        node,
        "AmiId",
        ParameterProps {
            type_: "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>".into(),
            description: Some(format!(
                "The AMI of {}: read from this public SSM parameter at every deploy",
                node.path()
            )),
            default: Some(settings.ami_parameter.clone()),
            ..ParameterProps::default()
        },
    )?;
    let blue = colour(
        common,
        props,
        settings,
        vpc,
        alb,
        &role,
        &profile,
        &ami,
        Colour::Blue,
    )?;
    let green = colour(
        common,
        props,
        settings,
        vpc,
        alb,
        &role,
        &profile,
        &ami,
        Colour::Green,
    )?;
    Ok((role, Ec2Parts { blue, green }))
}

#[allow(clippy::too_many_arguments)]
fn colour(
    common: &Common,
    props: &AppFleetProps,
    settings: &Ec2Settings,
    vpc: &Vpc,
    alb: &BlueGreenAlb,
    role: &Role,
    profile: &Resource<iam::InstanceProfile>,
    ami: &Parameter,
    colour: Colour,
) -> Result<Ec2Colour, ConstructError> {
    let scope = Construct::new(&common.node, colour.name())?;
    // With a release the colour's tag and whether it serves are its parameters; serving
    // means the fleet's capacity.
    let (image_tag, capacity, serving) = match &props.release {
        Some(r) => (r.image_tag(colour), props.capacity, r.serving(colour)?),
        None => (
            props.colour(colour).image_tag.clone(),
            props.capacity_of(colour),
            None,
        ),
    };
    let size = |n: u32| -> Value<String> {
        match &serving {
            Some(c) => Value::if_(c, n.to_string(), "0"),
            None => n.to_string().into(),
        }
    };
    let script = BootScript {
        title: format!("{} ({})", common.node.path(), colour.name().to_lowercase()),
        image: cfn_format!("{}:{}", common.repository_uri.clone(), image_tag),
        port: common.port,
        health_check_path: &common.health_check_path,
        health_timeout_seconds: settings.boot_health_timeout_seconds,
        environment: &props.environment,
        secrets: &props.secret_environment,
        log_group: common.log_group.ref_(),
        // The logical id the group will get, for the boot script to report to.
        signal_resource: logical_id_of(&scope, "Group"),
    };
    let launch_template = Resource::new(
        &scope,
        "LaunchTemplate",
        ec2::LaunchTemplate::new(ec2::launch_template::LaunchTemplateData {
            image_id: Some(ami.value()),
            instance_type: Some(settings.instance_type.as_str().into()),
            iam_instance_profile: Some(ec2::launch_template::IamInstanceProfile {
                arn: Some(profile.attr_arn()),
                name: None,
            }),
            // The interface is spelled out so that "no public address" is in the template,
            // not left to the subnet's setting.
            network_interfaces: Some(vec![ec2::launch_template::NetworkInterface {
                device_index: Some(0.into()),
                associate_public_ip_address: Some(false.into()),
                delete_on_termination: Some(true.into()),
                groups: Some(vec![common.security_group.group_id()].into()),
                ..Default::default()
            }]),
            // IMDSv2 only; a hop limit of 2 lets the container (one hop further) reach it.
            metadata_options: Some(ec2::launch_template::MetadataOptions {
                http_endpoint: Some(ec2::launch_template::HttpEndpoint::Enabled.into()),
                http_tokens: Some(ec2::launch_template::HttpTokens::Required.into()),
                http_put_response_hop_limit: Some(
                    if settings.container_metadata_access {
                        2
                    } else {
                        1
                    }
                    .into(),
                ),
                ..Default::default()
            }),
            // Encrypted with the account's EBS key: a customer managed key would need a
            // key policy grant to the Auto Scaling service-linked role, which may not
            // exist yet when the key is created.
            block_device_mappings: Some(vec![ec2::launch_template::BlockDeviceMapping {
                device_name: Some("/dev/xvda".into()),
                ebs: Some(ec2::launch_template::Ebs {
                    volume_size: Some(i64::from(settings.root_volume_gib).into()),
                    volume_type: Some(ec2::launch_template::VolumeType::Gp3.into()),
                    encrypted: Some(true.into()),
                    delete_on_termination: Some(true.into()),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            monitoring: Some(ec2::launch_template::Monitoring {
                enabled: Some(settings.detailed_monitoring.into()),
            }),
            user_data: Some(script.render().base64()),
            ..Default::default()
        }),
    )?;
    let target_group = alb.target_group(colour);
    let group = Resource::new(
        &scope,
        "Group",
        autoscaling::AutoScalingGroup {
            launch_template: Some(
                autoscaling::auto_scaling_group::LaunchTemplateSpecification {
                    launch_template_id: Some(launch_template.ref_()),
                    ..autoscaling::auto_scaling_group::LaunchTemplateSpecification::new(
                        launch_template.attr_latest_version_number(),
                    )
                },
            ),
            desired_capacity: Some(size(capacity.desired)),
            vpc_zone_identifier: Some(vpc.subnet_ids(SubnetKind::PrivateWithEgress)),
            target_group_arns: Some(vec![target_group.arn.clone()].into()),
            health_check_type: Some("ELB".into()),
            health_check_grace_period: Some(i64::from(props.health_check_grace_seconds).into()),
            default_instance_warmup: Some(i64::from(props.health_check_grace_seconds).into()),
            metrics_collection: Some(vec![
                autoscaling::auto_scaling_group::MetricsCollection::new("1Minute"),
            ]),
            tags: Some(vec![autoscaling::auto_scaling_group::TagProperty::new(
                "Name",
                true,
                format!("{} ({})", common.node.path(), colour.name().to_lowercase()),
            )]),
            ..autoscaling::AutoScalingGroup::new(size(capacity.max), size(capacity.min))
        },
    )?;
    // Instances read secrets and pull the image as soon as they boot: the grants must be
    // in place first. The listener makes the target group part of the load balancer.
    if let Some(p) = role.default_policy() {
        group.add_dependency(&p);
    }
    group.add_dependency(alb.listener());
    group.set_update_policy(update_policy(
        settings,
        capacity.desired,
        capacity.max,
        serving.as_ref(),
    ));
    if capacity.desired > 0 {
        // A group made while its colour is scaled to zero (a replacement during a release)
        // waits for no instance.
        let count = Expr::Int(i64::from(capacity.desired));
        let count = match &serving {
            Some(c) => Expr::If(c.element(), Box::new(count), Box::new(Expr::Int(0))),
            None => count,
        };
        group.set_creation_policy(Expr::object([
            (
                "ResourceSignal",
                Expr::object([
                    ("Count", count),
                    (
                        "Timeout",
                        Expr::str(format!("PT{}M", settings.signal_timeout_minutes)),
                    ),
                ]),
            ),
            (
                "AutoScalingCreationPolicy",
                Expr::object([("MinSuccessfulInstancesPercent", Expr::Int(100))]),
            ),
        ]));
    }
    // Target tracking needs room to move; a colour pinned to one size (or scaled to zero)
    // gets no policy until it has some. With a release the serving size decides: a group
    // scaled to zero keeps its policy, which cannot move it past its maximum of 0.
    if capacity.max > capacity.min {
        cpu_scaling(&scope, &group, props.cpu_target_percent)?;
    }
    if let Some(r) = &props.release {
        r.record(&format!("{}AutoScalingGroup", colour.name()), &group);
    }
    Ok(Ec2Colour {
        launch_template,
        group,
    })
}

fn cpu_scaling(
    scope: &Construct,
    group: &Resource<autoscaling::AutoScalingGroup>,
    target_percent: u32,
) -> Result<(), ConstructError> {
    Resource::new(
        scope,
        "CpuScaling",
        autoscaling::ScalingPolicy {
            policy_type: Some(autoscaling::scaling_policy::PolicyType::TargetTrackingScaling.into()),
            target_tracking_configuration: Some(autoscaling::scaling_policy::TargetTrackingConfiguration {
                predefined_metric_specification: Some(
                    autoscaling::scaling_policy::PredefinedMetricSpecification::new(
                        autoscaling::scaling_policy::PredictiveScalingPredefinedScalingMetricPredefinedMetricType::AsgAverageCpuUtilization,
                    ),
                ),
                ..autoscaling::scaling_policy::TargetTrackingConfiguration::new(target_percent)
            }),
            ..autoscaling::ScalingPolicy::new(group.ref_())
        },
    )?;
    Ok(())
}

/// Rolling replacement keeping `min_healthy_percent` of `desired` in service (never all
/// of `max`, which CloudFormation refuses), waiting for each batch to report healthy; and
/// deploys that leave the group's size as scaling set it.
///
/// A colour scaled to `max` 0 gets no rolling update: it has nothing to replace, and
/// CloudFormation wants `MinInstancesInService` below `MaxSize`, which 0 cannot be. (A new
/// AMI changes both colours' launch templates; the idle one just takes the new version.)
/// With a release, `desired` and `max` are the serving size and the rolling update holds
/// only while the colour serves (`Fn::If` on `serving`).
fn update_policy(
    settings: &Ec2Settings,
    desired: u32,
    max: u32,
    serving: Option<&Condition>,
) -> Expr {
    let keep = (desired * settings.min_healthy_percent).div_ceil(100);
    let in_service = keep.min(max.saturating_sub(1));
    let batch = desired.saturating_sub(in_service).max(1);
    let mut policy = Vec::new();
    if max > 0 {
        let rolling = Expr::object([
            ("MinInstancesInService", Expr::Int(i64::from(in_service))),
            ("MaxBatchSize", Expr::Int(i64::from(batch))),
            (
                "PauseTime",
                Expr::str(format!("PT{}M", settings.signal_timeout_minutes)),
            ),
            ("WaitOnResourceSignals", Expr::Bool(true)),
            (
                "SuspendProcesses",
                Expr::List(
                    SUSPENDED_DURING_UPDATE
                        .iter()
                        .map(|p| Expr::str(*p))
                        .collect(),
                ),
            ),
        ]);
        let rolling = match serving {
            Some(c) => Expr::If(
                c.element(),
                Box::new(rolling),
                Box::new(Expr::Pseudo(Pseudo::NoValue)),
            ),
            None => rolling,
        };
        policy.push(("AutoScalingRollingUpdate", rolling));
    }
    policy.push((
        "AutoScalingScheduledAction",
        Expr::object([("IgnoreUnmodifiedGroupSizeProperties", Expr::Bool(true))]),
    ));
    Expr::object(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rolling(desired: u32, max: u32) -> (i64, i64) {
        let p = update_policy(&Ec2Settings::production(), desired, max, None);
        let Expr::Object(o) = p else { unreachable!() };
        let Some(Expr::Object(r)) = o.get("AutoScalingRollingUpdate") else {
            return (-1, -1);
        };
        let int = |k: &str| match r.get(k) {
            Some(Expr::Int(i)) => *i,
            _ => unreachable!(),
        };
        (int("MinInstancesInService"), int("MaxBatchSize"))
    }

    #[test]
    fn half_the_fleet_stays_in_service() {
        assert_eq!(rolling(2, 4), (1, 1));
        assert_eq!(rolling(4, 8), (2, 2));
        assert_eq!(
            rolling(1, 2),
            (1, 1),
            "one instance is replaced before it goes"
        );
        assert_eq!(rolling(1, 1), (0, 1), "in service stays below max");
        assert_eq!(
            rolling(0, 2),
            (0, 1),
            "an idle colour that may scale still rolls"
        );
        assert_eq!(
            rolling(0, 0),
            (-1, -1),
            "a colour of max 0 has nothing to roll"
        );
    }
}
