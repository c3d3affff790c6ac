//! The resource types stackwright generates L1 code for: the one list to edit.
//!
//! To add a type, add its name here, run
//! `cargo run -p stackwright-codegen -- vendor --from <cfn-lint schemas dir>` to copy its
//! schema into `crates/codegen/schemas/`, then `cargo run -p stackwright-codegen` to
//! regenerate `crates/core/src/l1/`.

/// Every CloudFormation resource type that gets a generated L1 struct.
pub const TYPES: &[&str] = &[
    // EC2 and networking
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::EIP",
    "AWS::EC2::NatGateway",
    "AWS::EC2::RouteTable",
    "AWS::EC2::Route",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::FlowLog",
    "AWS::EC2::LaunchTemplate",
    "AWS::EC2::VPCEndpoint",
    // Databases and caches
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBSubnetGroup",
    "AWS::RDS::DBParameterGroup",
    "AWS::RDS::DBClusterParameterGroup",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::SubnetGroup",
    "AWS::ElastiCache::ParameterGroup",
    // Load balancing, certificates, DNS
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ElasticLoadBalancingV2::ListenerCertificate",
    "AWS::CertificateManager::Certificate",
    "AWS::Route53::HostedZone",
    "AWS::Route53::RecordSet",
    // Scaling and containers
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::AutoScaling::ScalingPolicy",
    "AWS::AutoScaling::LifecycleHook",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::ECS::Cluster",
    "AWS::ECS::Service",
    "AWS::ECS::TaskDefinition",
    "AWS::ECS::ClusterCapacityProviderAssociations",
    "AWS::ECR::Repository",
    // Identity, keys and secrets
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::InstanceProfile",
    "AWS::IAM::OIDCProvider",
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::SecretsManager::RotationSchedule",
    "AWS::SSM::Parameter",
    "AWS::SSM::Association",
    "AWS::GuardDuty::Detector",
    // Monitoring and notifications
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::CompositeAlarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::Logs::LogGroup",
    // Storage, firewall, backup, cost, deployment, scheduling
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::Backup::BackupVault",
    "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupSelection",
    "AWS::Budgets::Budget",
    "AWS::CodeDeploy::Application",
    "AWS::CodeDeploy::DeploymentGroup",
    "AWS::Scheduler::Schedule",
];
