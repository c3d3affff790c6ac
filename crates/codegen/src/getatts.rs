//! Which `Fn::GetAtt` attributes a resource type has, computed the way cfn-lint computes
//! them (`cfnlint/schema/_getatts.py`, cfn-lint 1.58.0, MIT-0), so that what stackwright
//! generates and what cfn-lint accepts agree.
//!
//! The rule: every `readOnlyProperties` pointer is an attribute, its `/` written as `.`
//! (`/properties/Endpoint/Address` is `Endpoint.Address`). A list of legacy types instead
//! exposes every property as an attribute: objects are walked into, lists of objects or of
//! lists are skipped, everything else (including lists of scalars) is an attribute.
//! stackwright also leaves out pointers through list items (`A/*/B`): cfn-lint keeps them
//! as regular expressions, which no `Fn::GetAtt` name can spell.

use serde_json::Value;

use crate::schema::resolve_ref;

/// Types for which cfn-lint treats every property, not only the read-only ones, as an
/// attribute (`_all_property_types` in `_getatts.py`).
const ALL_PROPERTY_TYPES: &[&str] = &[
    "AWS::Amplify::Branch",
    "AWS::Amplify::Domain",
    "AWS::AppSync::DomainName",
    "AWS::AppSync::FunctionConfiguration",
    "AWS::AppSync::Resolver",
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::Backup::BackupSelection",
    "AWS::Backup::BackupVault",
    "AWS::Backup::LogicallyAirGappedBackupVault",
    "AWS::CodeArtifact::Domain",
    "AWS::CodeArtifact::Repository",
    "AWS::EC2::CapacityReservation",
    "AWS::EC2::Instance",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::Subnet",
    "AWS::EC2::VPC",
    "AWS::EFS::MountTarget",
    "AWS::EKS::Nodegroup",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::Events::EventBus",
    "AWS::EventSchemas::Discoverer",
    "AWS::EventSchemas::Registry",
    "AWS::EventSchemas::Schema",
    "AWS::GameLift::GameSessionQueue",
    "AWS::GameLift::MatchmakingConfiguration",
    "AWS::GameLift::MatchmakingRuleSet",
    "AWS::Grafana::Workspace",
    "AWS::Greengrass::ConnectorDefinition",
    "AWS::Greengrass::CoreDefinition",
    "AWS::Greengrass::DeviceDefinition",
    "AWS::Greengrass::FunctionDefinition",
    "AWS::Greengrass::Group",
    "AWS::Greengrass::LoggerDefinition",
    "AWS::Greengrass::ResourceDefinition",
    "AWS::Greengrass::SubscriptionDefinition",
    "AWS::ImageBuilder::Component",
    "AWS::ImageBuilder::ContainerRecipe",
    "AWS::ImageBuilder::DistributionConfiguration",
    "AWS::ImageBuilder::ImagePipeline",
    "AWS::ImageBuilder::ImageRecipe",
    "AWS::ImageBuilder::InfrastructureConfiguration",
    "AWS::ManagedBlockchain::Node",
    "AWS::Neptune::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBParameterGroup",
    "AWS::RedshiftServerless::Workgroup",
    "AWS::RoboMaker::RobotApplication",
    "AWS::RoboMaker::SimulationApplication",
    "AWS::Route53Resolver::ResolverRule",
    "AWS::Route53Resolver::ResolverRuleAssociation",
    "AWS::S3::AccessPoint",
    "AWS::SageMaker::DataQualityJobDefinition",
    "AWS::SageMaker::ModelBiasJobDefinition",
    "AWS::SageMaker::ModelExplainabilityJobDefinition",
    "AWS::SageMaker::ModelQualityJobDefinition",
    "AWS::SageMaker::MonitoringSchedule",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::SSM::Parameter",
    "AWS::StepFunctions::Activity",
];

/// Legacy types whose attributes are properties that are not read-only (`_exceptions` in
/// `_getatts.py`), in addition to the read-only ones.
const EXCEPTIONS: &[(&str, &[&str])] = &[
    (
        "AWS::AppMesh::GatewayRoute",
        &[
            "GatewayRouteName",
            "MeshName",
            "MeshOwner",
            "VirtualGatewayName",
        ],
    ),
    ("AWS::AppMesh::Mesh", &["MeshName"]),
    (
        "AWS::AppMesh::Route",
        &["MeshName", "MeshOwner", "RouteName", "VirtualRouterName"],
    ),
    (
        "AWS::AppMesh::VirtualGateway",
        &["MeshName", "MeshOwner", "VirtualGatewayName"],
    ),
    (
        "AWS::AppMesh::VirtualNode",
        &["MeshName", "MeshOwner", "VirtualNodeName"],
    ),
    (
        "AWS::AppMesh::VirtualRouter",
        &["MeshName", "MeshOwner", "VirtualRouterName"],
    ),
    (
        "AWS::AppMesh::VirtualService",
        &["MeshName", "MeshOwner", "VirtualServiceName"],
    ),
    ("AWS::AppSync::DataSource", &["Name"]),
    ("AWS::Cloud9::EnvironmentEC2", &["Name"]),
    ("AWS::CloudWatch::InsightRule", &["RuleName"]),
    ("AWS::DocDB::DBCluster", &["Port"]),
    ("AWS::Greengrass::ConnectorDefinition", &["Name"]),
    ("AWS::Greengrass::CoreDefinition", &["Name"]),
    ("AWS::Greengrass::DeviceDefinition", &["Name"]),
    ("AWS::Greengrass::FunctionDefinition", &["Name"]),
    ("AWS::Greengrass::Group", &["Name", "RoleArn"]),
    ("AWS::Greengrass::LoggerDefinition", &["Name"]),
    ("AWS::Greengrass::ResourceDefinition", &["Name"]),
    ("AWS::Greengrass::SubscriptionDefinition", &["Name"]),
    ("AWS::IoT1Click::Device", &["Enabled"]),
    (
        "AWS::IoT1Click::Placement",
        &["PlacementName", "ProjectName"],
    ),
    ("AWS::IoT1Click::Project", &["ProjectName"]),
    (
        "AWS::Kinesis::StreamConsumer",
        &["ConsumerName", "StreamARN"],
    ),
    ("AWS::ManagedBlockchain::Member", &["NetworkId"]),
    ("AWS::MediaConvert::JobTemplate", &["Name"]),
    ("AWS::MediaConvert::Preset", &["Name"]),
    ("AWS::MediaConvert::Queue", &["Name"]),
    ("AWS::MediaLive::Input", &["Destinations", "Sources"]),
    ("AWS::OpsWorks::Instance", &["AvailabilityZone"]),
    ("AWS::OpsWorks::UserProfile", &["SshUsername"]),
    (
        "AWS::Route53Resolver::ResolverEndpoint",
        &["Direction", "Name"],
    ),
    ("AWS::SageMaker::CodeRepository", &["CodeRepositoryName"]),
    ("AWS::SageMaker::Endpoint", &["EndpointName"]),
    ("AWS::SageMaker::EndpointConfig", &["EndpointConfigName"]),
    ("AWS::SageMaker::Model", &["ModelName"]),
    (
        "AWS::SageMaker::NotebookInstance",
        &["NotebookInstanceName"],
    ),
    (
        "AWS::SageMaker::NotebookInstanceLifecycleConfig",
        &["NotebookInstanceLifecycleConfigName"],
    ),
    ("AWS::SageMaker::Workteam", &["WorkteamName"]),
    ("AWS::ServiceDiscovery::Service", &["Name"]),
    ("AWS::Transfer::User", &["ServerId", "UserName"]),
];

/// One attribute: its `Fn::GetAtt` name and the schema pointer it reads
/// (`/properties/Endpoint/Address`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAtt {
    /// The name `Fn::GetAtt` takes.
    pub name: String,
    /// The JSON pointer of the property in the schema.
    pub pointer: String,
}

/// The attributes of a resource type, in cfn-lint's order, without duplicates and without
/// names through list items.
pub fn attributes(type_name: &str, schema: &Value) -> Vec<GetAtt> {
    let mut out: Vec<GetAtt> = Vec::new();
    let mut add = |pointer: String| {
        let name = pointer_to_attr(&pointer);
        if name.is_empty() || name.split('.').any(|s| s == "*") {
            return;
        }
        // Python dict semantics: a repeated key keeps its first position, takes the new value.
        match out.iter_mut().find(|a| a.name == name) {
            Some(existing) => existing.pointer = pointer,
            None => out.push(GetAtt { name, pointer }),
        }
    };
    if ALL_PROPERTY_TYPES.contains(&type_name) {
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, value) in props {
                process(schema, value, &format!("/properties/{name}"), &mut add, 0);
            }
        }
        return out;
    }
    if let Some((_, names)) = EXCEPTIONS.iter().find(|(t, _)| *t == type_name) {
        for name in *names {
            add(format!("/properties/{name}"));
        }
    }
    for ro in schema
        .get("readOnlyProperties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        add(ro.to_string());
    }
    out
}

/// `/properties/A/B` is `A.B`.
fn pointer_to_attr(pointer: &str) -> String {
    pointer.split('/').skip(2).collect::<Vec<_>>().join(".")
}

/// `_process_schema` of `_getatts.py`.
fn process(schema: &Value, obj: &Value, path: &str, add: &mut impl FnMut(String), depth: usize) {
    if depth > 32 {
        return;
    }
    let types: Vec<&str> = match obj.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.contains(&"object") {
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (name, value) in props {
                process(schema, value, &format!("{path}/{name}"), add, depth + 1);
            }
        }
    } else if types.contains(&"array") {
        let item_type = obj
            .get("items")
            .and_then(|i| i.get("type"))
            .and_then(Value::as_str);
        if matches!(item_type, Some("object" | "array")) {
            return;
        }
        add(path.to_string());
    } else if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        if let Some(target) = resolve_ref(schema, r) {
            process(schema, target, path, add, depth + 1);
        }
    } else {
        add(path.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn read_only_pointers_become_dotted_names() {
        let schema = json!({
            "properties": {"Endpoint": {"$ref": "#/definitions/E"}, "Arn": {"type": "string"}},
            "definitions": {"E": {"type": "object", "properties": {"Address": {"type": "string"}}}},
            "readOnlyProperties": ["/properties/Arn", "/properties/Endpoint/Address",
                                   "/properties/Items/*/Id", "/properties/Arn"]
        });
        let names: Vec<_> = attributes("AWS::X::Y", &schema)
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, vec!["Arn", "Endpoint.Address"]);
    }

    #[test]
    fn all_property_types_expose_every_scalar() {
        let schema = json!({
            "properties": {
                "Name": {"type": "string"},
                "Endpoint": {"$ref": "#/definitions/E"},
                "Ids": {"type": "array", "items": {"type": "string"}},
                "Rules": {"type": "array", "items": {"type": "object"}},
                "Tags": {"type": "array", "items": {"$ref": "#/definitions/E"}},
                "Policy": {"type": ["object", "string"]}
            },
            "definitions": {"E": {"type": "object", "properties": {"Port": {"type": "integer"}}}}
        });
        let names: Vec<_> = attributes("AWS::RDS::DBInstance", &schema)
            .into_iter()
            .map(|a| a.name)
            .collect();
        // A list of `$ref` items is kept, as cfn-lint only looks at the items' `type`.
        assert_eq!(names, vec!["Name", "Endpoint.Port", "Ids", "Tags"]);
    }
}
