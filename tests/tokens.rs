//! Every kind of token resolves to the intrinsic CloudFormation expects.

use indexmap::IndexMap;
use serde_json::{Value as Json, json};
use stackwright::core::{
    App, Condition, ConditionExpr, Env, Expr, Mapping, Output, Parameter, ParameterProps, Pseudo,
    Resource, Scope, Stack, Value, cfn_format,
};
use stackwright::l1::{ec2, kms, logs, ssm};

fn env() -> Env {
    Env::new("123456789012", "us-east-1")
}

/// Builds a stack with one SSM parameter whose value is `v`, and returns the resolved value.
fn resolve(v: impl FnOnce(&Stack) -> Value<String>) -> Json {
    let app = App::new();
    let stack = Stack::new(&app, "S", env()).unwrap();
    let value = v(&stack);
    Resource::new(
        &stack,
        "P",
        ssm::Parameter::new(ssm::parameter::Type::String, value),
    )
    .unwrap();
    let build = app.build();
    assert!(!build.diagnostics.has_errors(), "{}", build.diagnostics);
    build.stacks[0].template["Resources"]["P"]["Properties"]["Value"].clone()
}

fn key(stack: &Stack) -> Resource<kms::Key> {
    Resource::new(stack, "Key", kms::Key::default()).unwrap()
}

#[test]
fn ref_and_get_att() {
    assert_eq!(resolve(|s| key(s).ref_()), json!({"Ref": "Key"}));
    assert_eq!(
        resolve(|s| key(s).attr_arn()),
        json!({"Fn::GetAtt": ["Key", "Arn"]})
    );
}

#[test]
fn strings_with_tokens_become_sub_and_escape_literal_dollars() {
    assert_eq!(
        resolve(|s| cfn_format!(
            "arn:{}:kms:${{x}}:{}",
            Value::<String>::pseudo(Pseudo::Partition),
            key(s).ref_()
        )),
        json!({"Fn::Sub": "arn:${AWS::Partition}:kms:${!x}:${Key}"})
    );
    assert_eq!(
        resolve(|s| cfn_format!("{}/{}", key(s).attr_arn(), "x")),
        json!({"Fn::Sub": "${Key.Arn}/x"})
    );
}

#[test]
fn literal_only_formats_stay_plain_strings_and_single_tokens_stay_bare() {
    assert_eq!(resolve(|_| cfn_format!("a{}c", "b")), json!("abc"));
    assert_eq!(
        resolve(|s| cfn_format!("{}", key(s).ref_())),
        json!({"Ref": "Key"})
    );
}

#[test]
fn complex_parts_of_a_sub_become_variables() {
    let v = resolve(|_| {
        let zones = Value::<Vec<String>>::get_azs();
        cfn_format!("zone-{}", Value::select(0, &zones))
    });
    assert_eq!(
        v,
        json!({"Fn::Sub": ["zone-${Var1}", {"Var1": {"Fn::Select": ["0", {"Fn::GetAZs": ""}]}}]})
    );
}

#[test]
fn join_split_base64_cidr_import() {
    assert_eq!(
        resolve(|_| Value::join(",", vec!["a", "b"])),
        json!({"Fn::Join": [",", ["a", "b"]]})
    );
    assert_eq!(
        resolve(|_| Value::select(1, &Value::split(",", "a,b"))),
        json!({"Fn::Select": ["1", {"Fn::Split": [",", "a,b"]}]})
    );
    assert_eq!(
        resolve(|_| Value::from("echo hi").base64()),
        json!({"Fn::Base64": "echo hi"})
    );
    assert_eq!(
        resolve(|_| Value::select(0, &Value::cidr("10.0.0.0/16", 4, 8))),
        json!({"Fn::Select": ["0", {"Fn::Cidr": ["10.0.0.0/16", "4", "8"]}]})
    );
    assert_eq!(
        resolve(|_| Value::import_value("Shared:VpcId")),
        json!({"Fn::ImportValue": "Shared:VpcId"})
    );
}

#[test]
fn dynamic_references_stay_references() {
    assert_eq!(
        resolve(|s| Value::secrets_manager_ref(key(s).ref_(), Some("password"))),
        json!({"Fn::Sub": "{{resolve:secretsmanager:${Key}:SecretString:password}}"})
    );
    assert_eq!(
        resolve(|_| Value::ssm_ref("/flowviz/image-tag")),
        json!("{{resolve:ssm:/flowviz/image-tag}}")
    );
}

#[test]
fn pseudo_parameters() {
    for (p, name) in [
        (Pseudo::AccountId, "AWS::AccountId"),
        (Pseudo::Region, "AWS::Region"),
        (Pseudo::Partition, "AWS::Partition"),
        (Pseudo::UrlSuffix, "AWS::URLSuffix"),
        (Pseudo::StackName, "AWS::StackName"),
        (Pseudo::StackId, "AWS::StackId"),
    ] {
        assert_eq!(resolve(|_| Value::pseudo(p)), json!({"Ref": name}));
    }
}

#[test]
fn parameters_conditions_mappings_and_if() {
    let app = App::new();
    let stack = Stack::new(&app, "S", env()).unwrap();
    let env_param = Parameter::new(
        &stack,
        "Environment",
        ParameterProps {
            allowed_values: vec!["production".into(), "staging".into()],
            description: Some("Which environment".into()),
            ..ParameterProps::string_with_default("staging")
        },
    )
    .unwrap();
    let is_prod = Condition::new(
        &stack,
        "IsProduction",
        ConditionExpr::equals(env_param.value::<String>(), "production"),
    )
    .unwrap();
    let not_prod = Condition::new(
        &stack,
        "IsNotProduction",
        ConditionExpr::and([
            ConditionExpr::not(ConditionExpr::condition(&is_prod)),
            ConditionExpr::or([
                ConditionExpr::equals("a", "a"),
                ConditionExpr::equals("b", "c"),
            ]),
        ]),
    )
    .unwrap();
    let mut table = IndexMap::new();
    table.insert(
        "us-east-1".to_string(),
        IndexMap::from([("Size".to_string(), Expr::str("large"))]),
    );
    let sizes = Mapping::new(&stack, "Sizes", table).unwrap();
    let p = Resource::new(
        &stack,
        "P",
        ssm::Parameter::new(
            ssm::parameter::Type::String,
            Value::if_(
                &is_prod,
                sizes.find::<String>(Value::pseudo(Pseudo::Region), "Size"),
                "small",
            ),
        ),
    )
    .unwrap();
    p.set_condition(&not_prod);
    Output::new(&stack, "Size", p.attr_value())
        .unwrap()
        .condition(&is_prod);
    let t = &app.build().stacks[0].template;
    assert_eq!(
        t["Parameters"]["Environment"],
        json!({"Type": "String", "Description": "Which environment", "Default": "staging", "AllowedValues": ["production", "staging"]})
    );
    assert_eq!(
        t["Conditions"]["IsProduction"],
        json!({"Fn::Equals": [{"Ref": "Environment"}, "production"]})
    );
    assert_eq!(
        t["Conditions"]["IsNotProduction"],
        json!({"Fn::And": [{"Fn::Not": [{"Condition": "IsProduction"}]}, {"Fn::Or": [{"Fn::Equals": ["a", "a"]}, {"Fn::Equals": ["b", "c"]}]}]})
    );
    assert_eq!(
        t["Mappings"]["Sizes"],
        json!({"us-east-1": {"Size": "large"}})
    );
    assert_eq!(
        t["Resources"]["P"]["Properties"]["Value"],
        json!({"Fn::If": ["IsProduction", {"Fn::FindInMap": ["Sizes", {"Ref": "AWS::Region"}, "Size"]}, "small"]})
    );
    assert_eq!(t["Resources"]["P"]["Condition"], "IsNotProduction");
    assert_eq!(
        t["Outputs"]["Size"],
        json!({"Value": {"Fn::GetAtt": ["P", "Value"]}, "Condition": "IsProduction"})
    );
    let sections: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        sections,
        [
            "AWSTemplateFormatVersion",
            "Parameters",
            "Mappings",
            "Conditions",
            "Resources",
            "Outputs"
        ]
    );
}

#[test]
fn resource_attributes_and_overrides() {
    let app = App::new();
    let stack = Stack::new(&app, "S", env()).unwrap();
    let k = key(&stack);
    let g = Resource::new(
        &stack,
        "Logs",
        logs::LogGroup {
            kms_key_id: Some(k.attr_arn()),
            ..Default::default()
        },
    )
    .unwrap();
    g.apply_removal_policy(stackwright::core::RemovalPolicy::Retain);
    g.set_deletion_policy(stackwright::core::RemovalPolicy::RetainExceptOnCreate);
    g.add_dependency(&k);
    g.add_metadata("Reason", "test");
    g.add_property_override("DataProtectionPolicy.Name", Expr::str("policy"));
    g.add_property_override("KmsKeyId", Expr::str("arn:literal"));
    g.add_property_deletion_override("KmsKeyId");
    g.edit(|p| p.retention_in_days = Some(14.into()));
    let t = &app.build().stacks[0].template;
    assert_eq!(
        t["Resources"]["Logs"],
        json!({
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"RetentionInDays": 14, "DataProtectionPolicy": {"Name": "policy"}},
            "DependsOn": ["Key"],
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
            "Metadata": {"Reason": "test"}
        })
    );
}

#[test]
fn tags_flow_down_nearest_wins_resource_wins_sorted() {
    let app = App::new();
    app.tags().add("Project", "FlowViz").add("Owner", "app");
    let stack = Stack::new(&app, "S", env()).unwrap();
    stack
        .tags()
        .add("Environment", "staging")
        .add("Owner", "stack");
    let net = stackwright::core::Construct::new(&stack, "Net").unwrap();
    net.tags().add("Tier", "network");
    Resource::new(
        &net,
        "Vpc",
        ec2::Vpc {
            cidr_block: Some("10.0.0.0/16".into()),
            tags: Some(vec![
                ec2::vpc::Tag::new("Name", "main"),
                ec2::vpc::Tag::new("Tier", "own"),
            ]),
            ..Default::default()
        },
    )
    .unwrap();
    // SSM parameters take tags as a map.
    Resource::new(
        &stack,
        "P",
        ssm::Parameter::new(ssm::parameter::Type::String, "v"),
    )
    .unwrap();
    let build = app.build();
    let t = &build.stacks[0].template;
    assert_eq!(
        t["Resources"]["NetVpc"]["Properties"]["Tags"],
        json!([
            {"Key": "Environment", "Value": "staging"},
            {"Key": "Name", "Value": "main"},
            {"Key": "Owner", "Value": "stack"},
            {"Key": "Project", "Value": "FlowViz"},
            {"Key": "Tier", "Value": "own"},
        ])
    );
    assert_eq!(
        t["Resources"]["P"]["Properties"]["Tags"],
        json!({"Environment": "staging", "Owner": "stack", "Project": "FlowViz"})
    );
    assert_eq!(
        build.stacks[0].tags,
        [
            ("Environment".to_string(), "staging".to_string()),
            ("Owner".into(), "stack".into()),
            ("Project".into(), "FlowViz".into())
        ]
    );
}
