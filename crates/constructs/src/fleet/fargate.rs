//! The Fargate variant: a cluster, the API service deployed blue/green by ECS, and a
//! worker service on FARGATE_SPOT.
//!
//! ECS's native blue/green (`DeploymentConfiguration.Strategy: BLUE_GREEN`) starts a new
//! revision's tasks in the idle colour's target group, lets the test listener reach them,
//! shifts the production listener rule to them, bakes, and only then stops the old tasks;
//! a rollback within the bake time is a weight change. ECS changes the listener rules
//! through an infrastructure role with AWS's `AmazonECSInfrastructureRolePolicyForLoadBalancers`.
//!
//! So with Fargate a release is a new image tag on the live colour's state, and the load
//! balancer's live colour stays as it is: ECS, not the template, decides which target
//! group serves after a deployment. The request-count scaling policy follows the target
//! group that was live when the template was written.
//!
//! With a release, each colour's 5xx-rate and p99 alarms at the release's gates are the
//! service's deployment alarms (`DeploymentConfiguration.Alarms`, enabled, rolling back):
//! ECS rolls a deployment back when one of them fires during it.

use indexmap::IndexMap;
use stackwright_core::{Pseudo, Resource, Scope, Value, cfn_format};
use stackwright_l1::{applicationautoscaling as appscaling, cloudwatch, ecs};

use super::{AppFleetProps, Common, FargateParts, FargateSettings, SecretEnv};
use crate::alarms::{alarm, last_segment};
use crate::alb::{BlueGreenAlb, Colour};
use crate::ecr;
use crate::error::ConstructError;
use crate::iam::{Grantable, PolicyStatement, Role, RoleProps, aws_managed_policy};
use crate::release::Release;
use crate::security_group::{Peer, Port, SecurityGroup, SecurityGroupProps};
use crate::vpc::{SubnetKind, Vpc};

/// The container name of the API in its task definition (the load balancer targets it).
const API_CONTAINER: &str = "app";
/// The container name of the worker.
const WORKER_CONTAINER: &str = "worker";
/// The writable scratch volume of read-only containers.
const SCRATCH_VOLUME: &str = "tmp";

pub(super) fn build(
    common: &Common,
    props: &AppFleetProps,
    settings: &FargateSettings,
    vpc: &Vpc,
    alb: &BlueGreenAlb,
) -> Result<(Role, FargateParts), ConstructError> {
    let node = &common.node;
    let (cluster, capacity_providers) = cluster(node)?;
    let (execution_role, task_role) = roles(common, props)?;
    let live = alb.live_colour();
    let shared = Shared {
        common,
        props,
        settings,
        cluster,
        capacity_providers,
        execution_role,
        task_role,
        image: cfn_format!(
            "{}:{}",
            common.repository_uri.clone(),
            match &props.release {
                Some(r) => r.image_tag(live),
                None => props.colour(live).image_tag.clone(),
            }
        ),
        private_subnets: vpc.subnet_ids(SubnetKind::PrivateWithEgress),
    };
    let api_container = ecs::task_definition::ContainerDefinition {
        port_mappings: Some(vec![ecs::task_definition::PortMapping {
            container_port: Some(i64::from(common.port).into()),
            protocol: Some(ecs::task_definition::PortMappingProtocol::Tcp.into()),
            name: Some("http".into()),
            app_protocol: Some(ecs::task_definition::AppProtocol::Http.into()),
            ..Default::default()
        }]),
        ..container(
            common,
            props,
            settings,
            API_CONTAINER,
            shared.image.clone(),
            "api",
        )
    };
    let task_definition = shared.task_definition(
        "TaskDefinition",
        api_container,
        settings.cpu,
        settings.memory_mib,
    )?;
    let capacity = props.capacity_of(live);
    let (service, deployment_alarms) = api_service(&shared, alb, &task_definition, capacity)?;
    if let Some(r) = &props.release {
        r.record("Service", &service);
        r.record("TaskDefinition", &task_definition);
        r.mark(&service);
    }
    autoscale(
        common,
        props,
        settings,
        alb,
        &shared.cluster,
        &service,
        capacity,
    )?;
    let (worker_task_definition, worker_service, worker_security_group) = match &settings.worker {
        Some(w) => {
            let (definition, service, group) = worker(&shared, vpc, w)?;
            (Some(definition), Some(service), Some(group))
        }
        None => (None, None, None),
    };
    Ok((
        shared.task_role,
        FargateParts {
            cluster: shared.cluster,
            execution_role: shared.execution_role,
            task_definition,
            service,
            deployment_alarms,
            worker_task_definition,
            worker_service,
            worker_security_group,
        },
    ))
}

/// What the API service and the worker have in common.
struct Shared<'a> {
    common: &'a Common,
    props: &'a AppFleetProps,
    settings: &'a FargateSettings,
    cluster: Resource<ecs::Cluster>,
    capacity_providers: Resource<ecs::ClusterCapacityProviderAssociations>,
    execution_role: Role,
    task_role: Role,
    /// The live colour's image.
    image: Value<String>,
    private_subnets: Value<Vec<String>>,
}

impl Shared<'_> {
    /// A Fargate task definition of one container, with the scratch volume.
    fn task_definition(
        &self,
        id: &str,
        container: ecs::task_definition::ContainerDefinition,
        cpu: u32,
        memory: u32,
    ) -> Result<Resource<ecs::TaskDefinition>, ConstructError> {
        let node = &self.common.node;
        let (execution_role, task_role) = (&self.execution_role, &self.task_role);
        // The one container's hard limit is the task's memory: it could not use more
        // anyway, and the limit stated on the container is what CT.ECS.PR.7 reads.
        let container = ecs::task_definition::ContainerDefinition {
            memory: Some(i64::from(memory).into()),
            ..container
        };
        Ok(Resource::new(
            node,
            id,
            ecs::TaskDefinition {
                cpu: Some(cpu.to_string().into()),
                memory: Some(memory.to_string().into()),
                network_mode: Some(ecs::task_definition::NetworkMode::Awsvpc.into()),
                requires_compatibilities: Some(
                    vec![ecs::task_definition::RequiresCompatibility::Fargate].into(),
                ),
                runtime_platform: Some(ecs::task_definition::RuntimePlatform {
                    cpu_architecture: Some(ecs::task_definition::CpuArchitecture::X8664.into()),
                    operating_system_family: Some(
                        ecs::task_definition::OperatingSystemFamily::Linux.into(),
                    ),
                }),
                execution_role_arn: Some(execution_role.arn()),
                task_role_arn: Some(task_role.arn()),
                container_definitions: Some(vec![container]),
                volumes: Some(vec![ecs::task_definition::Volume {
                    name: Some(SCRATCH_VOLUME.into()),
                    ..Default::default()
                }]),
                ..Default::default()
            },
        )?)
    }

    /// Private subnets, no public address, `group`.
    fn network(&self, group: &SecurityGroup) -> ecs::service::NetworkConfiguration {
        ecs::service::NetworkConfiguration {
            awsvpc_configuration: Some(ecs::service::AwsVpcConfiguration {
                assign_public_ip: Some(ecs::service::AssignPublicIp::Disabled.into()),
                security_groups: Some(vec![group.group_id()].into()),
                subnets: Some(self.private_subnets.clone()),
            }),
        }
    }
}

/// All of a service's tasks on one capacity provider.
fn strategy(provider: &str) -> Vec<ecs::service::CapacityProviderStrategyItem> {
    vec![ecs::service::CapacityProviderStrategyItem {
        capacity_provider: Some(provider.into()),
        weight: Some(1.into()),
        base: None,
    }]
}

/// The cluster, with Container Insights, and its FARGATE and FARGATE_SPOT providers.
fn cluster(
    node: &stackwright_core::Construct,
) -> Result<
    (
        Resource<ecs::Cluster>,
        Resource<ecs::ClusterCapacityProviderAssociations>,
    ),
    ConstructError,
> {
    let cluster = Resource::new(
        node,
        "Cluster",
        ecs::Cluster {
            cluster_settings: Some(vec![ecs::cluster::ClusterSettings {
                name: Some("containerInsights".into()),
                value: Some("enabled".into()),
            }]),
            ..Default::default()
        },
    )?;
    let capacity_providers =
        Resource::new(
            node,
            "CapacityProviders",
            ecs::ClusterCapacityProviderAssociations {
                capacity_providers: Some(vec!["FARGATE", "FARGATE_SPOT"].into()),
                ..ecs::ClusterCapacityProviderAssociations::new(
                    cluster.ref_(),
                    vec![ecs::cluster_capacity_provider_associations::CapacityProviderStrategy {
                    weight: Some(1.into()),
                    ..ecs::cluster_capacity_provider_associations::CapacityProviderStrategy::new(
                        "FARGATE",
                    )
                }],
                )
            },
        )?;

    Ok((cluster, capacity_providers))
}

/// The execution role (starting tasks) and the task role (what the app may do).
fn roles(common: &Common, props: &AppFleetProps) -> Result<(Role, Role), ConstructError> {
    let node = &common.node;
    // The execution role starts tasks: pulls the image, writes logs, reads the secrets
    // ECS injects. The task role is what the app itself may do; grants land there.
    let execution_role = Role::new(
        node,
        "ExecutionRole",
        RoleProps {
            description: Some(format!(
                "Starts the tasks of {}: image pull, logs, injected secrets",
                node.path()
            )),
            ..RoleProps::for_service("ecs-tasks.amazonaws.com")
        },
    )?;
    ecr::grant_pull(&execution_role, common.repository_arn.clone())?;
    execution_role.grant(PolicyStatement::allow(
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![common.log_group.attr_arn()],
    ))?;
    for s in props.secret_environment.values() {
        s.secret.grant_read(&execution_role)?;
    }
    let task_role = Role::new(
        node,
        "TaskRole",
        RoleProps {
            description: Some(format!("The app of {}", node.path())),
            ..RoleProps::for_service("ecs-tasks.amazonaws.com")
        },
    )?;

    Ok((execution_role, task_role))
}

/// The API service, deployed blue/green by ECS through the load balancer's listener rules.
fn api_service(
    shared: &Shared<'_>,
    alb: &BlueGreenAlb,
    task_definition: &Resource<ecs::TaskDefinition>,
    capacity: super::Capacity,
) -> Result<(Resource<ecs::Service>, Vec<Resource<cloudwatch::Alarm>>), ConstructError> {
    let Shared {
        common,
        props,
        settings,
        cluster,
        capacity_providers,
        execution_role,
        ..
    } = shared;
    let node = &common.node;
    let live = alb.live_colour();
    let infrastructure_role = Role::new(
        node,
        "LoadBalancerRole",
        RoleProps {
            description: Some(format!(
                "Lets ECS shift the listener rules in blue/green deployments of {}",
                node.path()
            )),
            managed_policy_arns: vec![aws_managed_policy(
                "AmazonECSInfrastructureRolePolicyForLoadBalancers",
            )],
            ..RoleProps::for_service("ecs.amazonaws.com")
        },
    )?;
    let production_rule = alb.production_rule()?;
    let test_rule = alb.test_rule()?;
    let (live_tg, idle_tg) = (alb.target_group(live), alb.target_group(live.other()));
    let (alarms, alarm_resources) = match &props.release {
        Some(release) => {
            let (gate, resources) = deployment_alarms(node, alb, release)?;
            (Some(gate), resources)
        }
        None => (None, Vec::new()),
    };
    let service = Resource::new(
        node,
        "Service",
        ecs::Service {
            cluster: Some(cluster.ref_()),
            task_definition: Some(task_definition.ref_()),
            desired_count: Some(i64::from(capacity.desired).into()),
            capacity_provider_strategy: Some(strategy("FARGATE")),
            platform_version: Some("LATEST".into()),
            network_configuration: Some(shared.network(&common.security_group)),
            health_check_grace_period_seconds: Some(
                i64::from(props.health_check_grace_seconds).into(),
            ),
            deployment_controller: Some(ecs::service::DeploymentController {
                type_: Some(ecs::service::DeploymentControllerType::Ecs.into()),
            }),
            deployment_configuration: Some(ecs::service::DeploymentConfiguration {
                strategy: Some(ecs::service::DeploymentConfigurationStrategy::BlueGreen.into()),
                bake_time_in_minutes: Some(i64::from(settings.bake_time_minutes).into()),
                maximum_percent: Some(200.into()),
                minimum_healthy_percent: Some(100.into()),
                alarms,
                ..Default::default()
            }),
            load_balancers: Some(vec![ecs::service::LoadBalancer {
                container_name: Some(API_CONTAINER.into()),
                container_port: Some(i64::from(common.port).into()),
                target_group_arn: Some(live_tg.arn.clone()),
                advanced_configuration: Some(ecs::service::AdvancedConfiguration {
                    production_listener_rule: Some(production_rule.attr_rule_arn()),
                    test_listener_rule: test_rule.as_ref().map(|r| r.attr_rule_arn()),
                    role_arn: Some(infrastructure_role.arn()),
                    ..ecs::service::AdvancedConfiguration::new(idle_tg.arn.clone())
                }),
                load_balancer_name: None,
            }]),
            propagate_tags: Some(ecs::service::PropagateTags::Service.into()),
            enable_ecs_managed_tags: Some(true.into()),
            enable_execute_command: Some(false.into()),
            ..Default::default()
        },
    )?;
    // The capacity providers must be on the cluster before a strategy names them (the
    // listener rules, which put the target groups behind the load balancer, come first
    // already: the service references them).
    service.add_dependency(capacity_providers);
    for role in [execution_role, &infrastructure_role] {
        if let Some(p) = role.default_policy() {
            service.add_dependency(&p);
        }
    }

    Ok((service, alarm_resources))
}

/// The alarms that gate the API service's deployments: each colour's 5xx rate and p99 at
/// the release's gates (the same specs as the EC2 pair's per-colour alarms), under
/// `<fleet>/DeploymentAlarms`. ECS watches them while a deployment runs and rolls it back
/// when one is in `ALARM`. Both colours' groups are watched because ECS, not the template,
/// decides which one the new revision lands in. They notify no one until `Alarms` watches
/// the fleet, which adds its topic to them.
fn deployment_alarms(
    node: &stackwright_core::Construct,
    alb: &BlueGreenAlb,
    release: &Release,
) -> Result<
    (
        ecs::service::DeploymentAlarms,
        Vec<Resource<cloudwatch::Alarm>>,
    ),
    ConstructError,
> {
    let scope = stackwright_core::Construct::new(node, "DeploymentAlarms")?;
    let owner = last_segment(&node.path());
    let mut alarms = Vec::new();
    for colour in [Colour::Blue, Colour::Green] {
        for spec in alb.colour_alarm_specs(release, colour) {
            alarms.push(alarm(&scope, &owner, spec, None)?);
        }
    }
    let names: Vec<Value<String>> = alarms.iter().map(|a| a.ref_()).collect();
    Ok((
        ecs::service::DeploymentAlarms::new(names, true, true),
        alarms,
    ))
}

/// The worker service on FARGATE_SPOT, with a group that admits nothing.
fn worker(
    shared: &Shared<'_>,
    vpc: &Vpc,
    w: &super::WorkerSettings,
) -> Result<
    (
        Resource<ecs::TaskDefinition>,
        Resource<ecs::Service>,
        SecurityGroup,
    ),
    ConstructError,
> {
    let Shared {
        common,
        props,
        settings,
        cluster,
        capacity_providers,
        execution_role,
        ..
    } = shared;
    let node = &common.node;
    let group = SecurityGroup::new(
        node,
        "WorkerSecurityGroup",
        SecurityGroupProps {
            vpc_id: vpc.vpc_id(),
            description: format!("Workers of {}: no inbound traffic", node.path()),
        },
    )?;
    group.add_egress(
        Peer::AnyIpv4,
        Port::tcp(443),
        "HTTPS to AWS APIs (ECR, Secrets Manager, CloudWatch Logs) through NAT",
    )?;
    let worker_container = ecs::task_definition::ContainerDefinition {
        command: Some(w.command.clone().into()),
        ..container(
            common,
            props,
            settings,
            WORKER_CONTAINER,
            shared.image.clone(),
            "worker",
        )
    };
    let definition = shared.task_definition(
        "WorkerTaskDefinition",
        worker_container,
        w.cpu,
        w.memory_mib,
    )?;
    let worker = Resource::new(
        node,
        "WorkerService",
        ecs::Service {
            cluster: Some(cluster.ref_()),
            task_definition: Some(definition.ref_()),
            desired_count: Some(i64::from(w.desired_count).into()),
            // Spot capacity: a worker picks up where an interrupted one left off.
            capacity_provider_strategy: Some(strategy("FARGATE_SPOT")),
            platform_version: Some("LATEST".into()),
            network_configuration: Some(shared.network(&group)),
            deployment_controller: Some(ecs::service::DeploymentController {
                type_: Some(ecs::service::DeploymentControllerType::Ecs.into()),
            }),
            deployment_configuration: Some(ecs::service::DeploymentConfiguration {
                deployment_circuit_breaker: Some(ecs::service::DeploymentCircuitBreaker::new(
                    true, true,
                )),
                maximum_percent: Some(200.into()),
                minimum_healthy_percent: Some(100.into()),
                ..Default::default()
            }),
            propagate_tags: Some(ecs::service::PropagateTags::Service.into()),
            enable_ecs_managed_tags: Some(true.into()),
            enable_execute_command: Some(false.into()),
            ..Default::default()
        },
    )?;
    worker.add_dependency(capacity_providers);
    if let Some(p) = execution_role.default_policy() {
        worker.add_dependency(&p);
    }
    Ok((definition, worker, group))
}

/// A container of the app's image: read-only root file system with a writable `/tmp`,
/// a non-root user, no Linux capabilities, logs to the fleet's group, the plain
/// environment and the secrets injected from Secrets Manager.
fn container(
    common: &Common,
    props: &AppFleetProps,
    settings: &FargateSettings,
    name: &str,
    image: Value<String>,
    stream_prefix: &str,
) -> ecs::task_definition::ContainerDefinition {
    let options: IndexMap<String, Value<String>> = IndexMap::from([
        ("awslogs-group".to_string(), common.log_group.ref_()),
        (
            "awslogs-region".to_string(),
            Value::<String>::pseudo(Pseudo::Region),
        ),
        (
            "awslogs-stream-prefix".to_string(),
            Value::from(stream_prefix),
        ),
    ]);
    ecs::task_definition::ContainerDefinition {
        essential: Some(true.into()),
        environment: (!props.environment.is_empty()).then(|| {
            props
                .environment
                .iter()
                .map(|(k, v)| ecs::task_definition::KeyValuePair {
                    name: Some(k.as_str().into()),
                    value: Some(v.clone()),
                })
                .collect()
        }),
        secrets: (!props.secret_environment.is_empty()).then(|| {
            props
                .secret_environment
                .iter()
                .map(|(k, s)| ecs::task_definition::Secret::new(k.as_str(), value_from(s)))
                .collect()
        }),
        log_configuration: Some(ecs::task_definition::LogConfiguration {
            options: Some(options.into()),
            ..ecs::task_definition::LogConfiguration::new("awslogs")
        }),
        readonly_root_filesystem: Some(true.into()),
        user: Some(settings.user.as_str().into()),
        linux_parameters: Some(ecs::task_definition::LinuxParameters {
            init_process_enabled: Some(true.into()),
            capabilities: Some(ecs::task_definition::KernelCapabilities {
                add: None,
                drop: Some(vec!["ALL"].into()),
            }),
            ..Default::default()
        }),
        mount_points: Some(vec![ecs::task_definition::MountPoint {
            container_path: Some("/tmp".into()),
            source_volume: Some(SCRATCH_VOLUME.into()),
            read_only: Some(false.into()),
        }]),
        ..ecs::task_definition::ContainerDefinition::new(image, name)
    }
}

/// `ValueFrom` of an injected secret: the ARN, or `ARN:json-key::` for one field (the
/// empty version stage and id take the current version).
fn value_from(s: &SecretEnv) -> Value<String> {
    match &s.field {
        Some(f) => cfn_format!("{}:{}::", s.secret.arn(), f.as_str()),
        None => s.secret.arn(),
    }
}

/// The API scales between the live colour's min and max on average CPU and on requests
/// per target of the live target group.
fn autoscale(
    common: &Common,
    props: &AppFleetProps,
    settings: &FargateSettings,
    alb: &BlueGreenAlb,
    cluster: &Resource<ecs::Cluster>,
    service: &Resource<ecs::Service>,
    capacity: super::Capacity,
) -> Result<(), ConstructError> {
    let node = &common.node;
    let target = Resource::new(
        node,
        "ScalableTarget",
        appscaling::ScalableTarget::new(
            i64::from(capacity.max),
            i64::from(capacity.min),
            cfn_format!("service/{}/{}", cluster.ref_(), service.attr_name()),
            appscaling::scalable_target::ScalableDimension::EcsServiceDesiredCount,
            appscaling::scalable_target::ServiceNamespace::Ecs,
        ),
    )?;
    use appscaling::scaling_policy::{
        PolicyType, PredefinedMetricSpecification,
        PredefinedMetricSpecificationPredefinedMetricType as Predefined,
        TargetTrackingScalingPolicyConfiguration,
    };
    let policy = |id: &str, metric: PredefinedMetricSpecification, target_value: u32| {
        Resource::new(
            node,
            id,
            appscaling::ScalingPolicy {
                scaling_target_id: Some(target.ref_()),
                target_tracking_scaling_policy_configuration: Some(
                    TargetTrackingScalingPolicyConfiguration {
                        predefined_metric_specification: Some(metric),
                        // Out fast, in slowly: a spike is costlier than a spare task.
                        scale_out_cooldown: Some(60.into()),
                        scale_in_cooldown: Some(300.into()),
                        ..TargetTrackingScalingPolicyConfiguration::new(target_value)
                    },
                ),
                ..appscaling::ScalingPolicy::new(
                    format!("{}-{id}", node.path().replace('/', "-")),
                    PolicyType::TargetTrackingScaling,
                )
            },
        )
    };
    policy(
        "CpuScaling",
        PredefinedMetricSpecification::new(Predefined::EcsServiceAverageCpuUtilization),
        props.cpu_target_percent,
    )?;
    let live = alb.target_group(alb.live_colour());
    policy(
        "RequestScaling",
        PredefinedMetricSpecification {
            resource_label: Some(cfn_format!(
                "{}/{}",
                alb.load_balancer_full_name(),
                live.full_name.clone()
            )),
            ..PredefinedMetricSpecification::new(Predefined::AlbRequestCountPerTarget)
        },
        settings.requests_per_target,
    )?;
    Ok(())
}
