//! Untyped resources: any type by name, tokens inside JSON, and the same checks as typed code.

use serde_json::{Value as Json, json};
use stackwright::core::{
    App, Condition, ConditionExpr, CoreError, Diagnostics, Env, Parameter, ParameterProps,
    RawResource, RemovalPolicy, Resource, Scope, Stack, TOKEN_KEY, Value, cfn_format,
};
use stackwright::l1::{kms, ssm};
use stackwright::synth::{SynthError, synthesize};

fn env() -> Env {
    Env::new("123456789012", "us-east-1")
}

fn app_stack() -> (App, Stack) {
    let app = App::new();
    let stack = Stack::new(&app, "S", env()).unwrap();
    (app, stack)
}

fn template(app: &App, stack: &str) -> Json {
    let s = synthesize(app).unwrap_or_else(|e| panic!("synth failed: {e}"));
    s.stacks
        .iter()
        .find(|s| s.name == stack)
        .expect("stack built")
        .template
        .clone()
}

fn errors(app: &App) -> Diagnostics {
    match synthesize(app) {
        Err(SynthError::Invalid(d)) => d,
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("synth should have failed"),
    }
}

#[test]
fn a_raw_resource_is_written_with_inherited_tags_and_its_escape_hatches() {
    let (app, stack) = app_stack();
    stack.tags().add("Project", "Demo");
    let env_param =
        Parameter::new(&stack, "Env", ParameterProps::string_with_default("prod")).unwrap();
    let is_prod = Condition::new(
        &stack,
        "IsProd",
        ConditionExpr::equals(env_param.value::<String>(), "prod"),
    )
    .unwrap();
    let key = Resource::new(&stack, "Key", kms::Key::default()).unwrap();
    let topic = RawResource::new(
        &stack,
        "Alerts",
        "AWS::SNS::Topic",
        json!({
            "DisplayName": "alerts",
            "KmsMasterKeyId": key.attr_arn().to_json(),
            "Tags": [{"Key": "Team", "Value": "ops"}],
        }),
    )
    .unwrap();
    topic.set_deletion_policy(RemovalPolicy::Retain);
    topic.set_condition(&is_prod);
    topic.add_metadata("Owner", "ops");
    topic.add_dependency(&key);
    topic.add_property_override("TracingConfig", "Active");
    topic.override_logical_id("AlertsTopic");

    let t = template(&app, "S");
    assert_eq!(
        t["Resources"]["AlertsTopic"],
        json!({
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "DisplayName": "alerts",
                "KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
                "Tags": [
                    {"Key": "Project", "Value": "Demo"},
                    {"Key": "Team", "Value": "ops"}
                ],
                "TracingConfig": "Active"
            },
            "DependsOn": ["Key"],
            "Condition": "IsProd",
            "DeletionPolicy": "Retain",
            "Metadata": {"Owner": "ops"}
        })
    );
    assert_eq!(topic.type_name(), "AWS::SNS::Topic");
    assert_eq!(topic.path(), "S/Alerts");
    assert_eq!(topic.facts().map(|f| f.type_name), Some("AWS::SNS::Topic"));
}

#[test]
fn tokens_in_json_resolve_to_ref_get_att_and_sub() {
    let (app, stack) = app_stack();
    let key = Resource::new(&stack, "Key", kms::Key::default()).unwrap();
    RawResource::new(
        &stack,
        "Topic",
        "AWS::SNS::Topic",
        json!({
            "DisplayName": cfn_format!("alerts-{}", key.ref_()).to_json(),
            "KmsMasterKeyId": key.ref_().to_json(),
            "DataProtectionPolicy": {"Statement": [{"Key": key.attr_arn().to_json()}]},
        }),
    )
    .unwrap();
    let t = template(&app, "S");
    assert_eq!(
        t["Resources"]["Topic"]["Properties"],
        json!({
            "DisplayName": {"Fn::Sub": "alerts-${Key}"},
            "KmsMasterKeyId": {"Ref": "Key"},
            "DataProtectionPolicy": {"Statement": [{"Key": {"Fn::GetAtt": ["Key", "Arn"]}}]}
        })
    );
    assert!(
        !serde_json::to_string(&t).unwrap().contains(TOKEN_KEY),
        "no marker reaches a template"
    );
}

#[test]
fn a_raw_resource_refers_across_stacks_and_is_referred_to() {
    let app = App::new();
    let base = Stack::new(&app, "Base", env()).unwrap();
    let runtime = Stack::new(&app, "Runtime", env()).unwrap();
    let key = Resource::new(&base, "Key", kms::Key::default()).unwrap();
    // A raw resource of the runtime stack uses a typed resource of the base stack...
    let topic = RawResource::new(
        &runtime,
        "Topic",
        "AWS::SNS::Topic",
        json!({ "KmsMasterKeyId": key.attr_arn().to_json() }),
    )
    .unwrap();
    // ...and a typed resource of a third stack uses the raw one.
    let consumer = Stack::new(&app, "Consumer", env()).unwrap();
    let arn: Value<String> = topic.get_att("TopicArn");
    Resource::new(
        &consumer,
        "Param",
        ssm::Parameter::new(ssm::parameter::Type::String, arn),
    )
    .unwrap();

    let s = synthesize(&app).unwrap();
    let names: Vec<&str> = s.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Base", "Runtime", "Consumer"]);
    let by_name = |n: &str| s.stacks.iter().find(|s| s.name == n).unwrap();
    assert_eq!(by_name("Runtime").dependencies, ["Base"]);
    assert_eq!(by_name("Consumer").dependencies, ["Runtime"]);
    assert_eq!(
        by_name("Runtime").template["Resources"]["Topic"]["Properties"]["KmsMasterKeyId"],
        json!({"Fn::ImportValue": "Base:ExportAttKeyArn"})
    );
    assert_eq!(
        by_name("Base").template["Outputs"]["ExportAttKeyArn"],
        json!({"Value": {"Fn::GetAtt": ["Key", "Arn"]}, "Export": {"Name": "Base:ExportAttKeyArn"}})
    );
    assert_eq!(
        by_name("Consumer").template["Resources"]["Param"]["Properties"]["Value"],
        json!({"Fn::ImportValue": "Runtime:ExportAttTopicTopicArn"})
    );
    assert!(runtime.refers_to(&base));
}

#[test]
fn an_unknown_aws_type_is_refused_with_the_nearest_known_one() {
    let (_app, stack) = app_stack();
    let e = RawResource::new(&stack, "Topic", "AWS::SNS::Topik", json!({})).unwrap_err();
    assert_eq!(
        e,
        CoreError::UnknownResourceType {
            path: "S/Topic".into(),
            type_name: "AWS::SNS::Topik".into(),
            suggestion: Some("AWS::SNS::Topic".into()),
        }
    );
    assert_eq!(
        e.to_string(),
        "S/Topic: 'AWS::SNS::Topik' is not a resource type CloudFormation knows; did you mean 'AWS::SNS::Topic'?"
    );
    let e = RawResource::new(&stack, "Odd", "SNS::Topic", json!({})).unwrap_err();
    assert!(
        matches!(e, CoreError::MalformedTypeName { ref path, .. } if path == "S/Odd"),
        "{e}"
    );
    let e = RawResource::new(&stack, "List", "AWS::SNS::Topic", json!([1])).unwrap_err();
    assert!(
        matches!(e, CoreError::PropertiesNotAnObject { ref found, .. } if found == "[1]"),
        "{e}"
    );
    // Nothing was added by the failed calls.
    assert!(RawResource::new(&stack, "Topic", "AWS::SNS::Topic", Json::Null).is_ok());
}

#[test]
fn custom_and_third_party_types_are_taken_and_checked_structurally() {
    let (app, stack) = app_stack();
    stack.tags().add("Project", "Demo");
    let seeder = RawResource::new(
        &stack,
        "Seeder",
        "Custom::DatabaseSeeder",
        json!({"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:seed", "Rows": 10}),
    )
    .unwrap();
    assert!(seeder.facts().is_none());
    RawResource::new(
        &stack,
        "Cluster",
        "MongoDB::Atlas::Cluster",
        json!({"Name": "c", "Seeded": seeder.get_att::<String>("AnyAttribute").to_json()}),
    )
    .unwrap();
    let t = template(&app, "S");
    assert_eq!(
        t["Resources"],
        json!({
            "Seeder": {
                "Type": "Custom::DatabaseSeeder",
                "Properties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:seed", "Rows": 10}
            },
            "Cluster": {
                "Type": "MongoDB::Atlas::Cluster",
                "Properties": {"Name": "c", "Seeded": {"Fn::GetAtt": ["Seeder", "AnyAttribute"]}}
            }
        }),
        "no schema, so no tags are guessed and any attribute is taken"
    );

    let (app, stack) = app_stack();
    RawResource::new(&stack, "Seeder", "Custom::Seeder", json!({"Rows": 1})).unwrap();
    let d = errors(&app);
    let e = d.find("missing-required").expect("ServiceToken reported");
    assert_eq!(e.path, "S/Seeder");
    assert!(e.message.contains("ServiceToken"), "{e}");
}

#[test]
fn a_raw_resource_is_validated_like_a_typed_one() {
    let (app, stack) = app_stack();
    // Missing Value, Type outside its enum, Valu not a property.
    RawResource::new(
        &stack,
        "Param",
        "AWS::SSM::Parameter",
        json!({"Type": "Strin", "Valu": "x"}),
    )
    .unwrap();
    let topic = RawResource::new(&stack, "Topic", "AWS::SNS::Topic", Json::Null).unwrap();
    RawResource::new(
        &stack,
        "Other",
        "AWS::SSM::Parameter",
        json!({"Type": "String", "Value": topic.get_att::<String>("Arn").to_json()}),
    )
    .unwrap();
    let d = errors(&app);
    let found: Vec<(&str, &str)> = d.errors().map(|e| (e.code, e.path.as_str())).collect();
    assert_eq!(
        found,
        [
            ("missing-required", "S/Param"),
            ("invalid-value", "S/Param"),
            ("unknown-property", "S/Param"),
            ("unknown-attribute", "S/Other"),
        ],
        "{d}"
    );
    assert_eq!(
        d.find("invalid-value").unwrap().hint.as_deref(),
        Some("did you mean 'String'?")
    );
    assert_eq!(
        d.find("unknown-property").unwrap().hint.as_deref(),
        Some("did you mean 'Value'?")
    );
    assert!(
        d.find("unknown-attribute")
            .unwrap()
            .hint
            .as_deref()
            .unwrap()
            .contains("TopicArn"),
        "{d}"
    );
}

#[test]
fn raw_resources_that_refer_to_each_other_in_a_circle_are_reported() {
    let (app, stack) = app_stack();
    let a = RawResource::new(&stack, "A", "Custom::A", json!({"ServiceToken": "t"})).unwrap();
    let b = RawResource::new(
        &stack,
        "B",
        "Custom::B",
        json!({"ServiceToken": "t", "Other": a.ref_().to_json()}),
    )
    .unwrap();
    a.add_property_override("Other", b.ref_());
    let d = errors(&app);
    let e = d.find("reference-cycle").expect("cycle reported");
    assert!(e.message.contains("A -> B -> A"), "{e}");
}

#[test]
fn a_token_of_another_app_or_process_is_reported_not_written() {
    let (other_app, other_stack) = app_stack();
    let foreign = Resource::new(&other_stack, "Key", kms::Key::default()).unwrap();
    let (app, stack) = app_stack();
    RawResource::new(
        &stack,
        "Topic",
        "AWS::SNS::Topic",
        json!({"KmsMasterKeyId": foreign.attr_arn().to_json()}),
    )
    .unwrap();
    let d = errors(&app);
    assert_eq!(d.find("unknown-reference").unwrap().path, "S/Topic", "{d}");
    drop(other_app);

    let (app, stack) = app_stack();
    let saved = json!({ TOKEN_KEY: {"Ref": {"app": "1.0", "element": 0}} });
    RawResource::new(
        &stack,
        "Topic",
        "AWS::SNS::Topic",
        json!({"KmsMasterKeyId": saved}),
    )
    .unwrap();
    let d = errors(&app);
    let e = d.find("invalid-token").expect("reported");
    assert_eq!(e.path, "S/Topic");
    assert!(e.message.contains("another process"), "{e}");
}
