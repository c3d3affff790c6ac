//! References between stacks of one app become exports, imports and dependencies.

use serde_json::json;
use stackwright::core::{App, Env, Parameter, ParameterProps, Resource, Stack};
use stackwright::l1::{ec2, kms, ssm};
use stackwright::synth::{SynthError, synthesize};

fn env() -> Env {
    Env::new("123456789012", "us-east-1")
}

#[test]
fn a_token_of_another_stack_is_exported_imported_and_ordered() {
    let app = App::new();
    // The consumer is created first: order comes from dependencies, not creation.
    let runtime = Stack::new(&app, "Runtime", env()).unwrap();
    let base = Stack::new(&app, "Base", env()).unwrap();
    let key = Resource::new(&base, "Key", kms::Key::default()).unwrap();
    Resource::new(
        &runtime,
        "A",
        ssm::Parameter::new(ssm::parameter::Type::String, key.attr_arn()),
    )
    .unwrap();
    Resource::new(
        &runtime,
        "B",
        ssm::Parameter::new(ssm::parameter::Type::String, key.attr_arn()),
    )
    .unwrap();
    Resource::new(
        &runtime,
        "C",
        ssm::Parameter::new(ssm::parameter::Type::String, key.ref_()),
    )
    .unwrap();
    let s = synthesize(&app).unwrap();
    let names: Vec<&str> = s.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Base", "Runtime"]);
    assert_eq!(s.stacks[1].dependencies, ["Base"]);
    let base_t = &s.stacks[0].template;
    assert_eq!(
        base_t["Outputs"],
        json!({
            "ExportAttKeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}, "Export": {"Name": "Base:ExportAttKeyArn"}},
            "ExportRefKey": {"Value": {"Ref": "Key"}, "Export": {"Name": "Base:ExportRefKey"}},
        }),
        "one export per distinct value, shared by consumers"
    );
    let rt = &s.stacks[1].template["Resources"];
    assert_eq!(
        rt["A"]["Properties"]["Value"],
        json!({"Fn::ImportValue": "Base:ExportAttKeyArn"})
    );
    assert_eq!(
        rt["C"]["Properties"]["Value"],
        json!({"Fn::ImportValue": "Base:ExportRefKey"})
    );
}

#[test]
fn list_attributes_cross_as_joined_strings() {
    let app = App::new();
    let base = Stack::new(&app, "Base", env()).unwrap();
    let rt = Stack::new(&app, "Runtime", env()).unwrap();
    let vpc = Resource::new(
        &base,
        "Vpc",
        ec2::Vpc {
            cidr_block: Some("10.0.0.0/16".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let blocks: stackwright::core::Value<Vec<String>> = vpc.attr_ipv6_cidr_blocks();
    Resource::new(
        &rt,
        "P",
        ssm::Parameter::new(
            ssm::parameter::Type::StringList,
            stackwright::core::Value::join(",", blocks),
        ),
    )
    .unwrap();
    let s = synthesize(&app).unwrap();
    assert_eq!(
        s.stacks[0].template["Outputs"]["ExportAttVpcIpv6CidrBlocks"]["Value"],
        json!({"Fn::Join": [",", {"Fn::GetAtt": ["Vpc", "Ipv6CidrBlocks"]}]})
    );
    assert_eq!(
        s.stacks[1].template["Resources"]["P"]["Properties"]["Value"],
        json!({"Fn::Join": [",", {"Fn::Split": [",", {"Fn::ImportValue": "Base:ExportAttVpcIpv6CidrBlocks"}]}]})
    );
}

#[test]
fn parameters_can_be_shared_but_not_across_environments() {
    let app = App::new();
    let a = Stack::new(&app, "A", env()).unwrap();
    let b = Stack::new(&app, "B", Env::new("123456789012", "eu-west-1")).unwrap();
    let p = Parameter::new(&a, "Tag", ParameterProps::string_with_default("x")).unwrap();
    Resource::new(
        &b,
        "P",
        ssm::Parameter::new(ssm::parameter::Type::String, p.value::<String>()),
    )
    .unwrap();
    let Err(SynthError::Invalid(d)) = synthesize(&app) else {
        panic!("cross-region reference must fail")
    };
    let e = d.find("cross-environment-reference").expect("reported");
    assert!(
        e.message.contains("us-east-1") && e.message.contains("eu-west-1"),
        "{e}"
    );
    assert_eq!(e.path, "B/P");
}

#[test]
fn a_cycle_between_stacks_is_an_error_naming_them() {
    let app = App::new();
    let a = Stack::new(&app, "A", env()).unwrap();
    let b = Stack::new(&app, "B", env()).unwrap();
    let ka = Resource::new(&a, "Key", kms::Key::default()).unwrap();
    let kb = Resource::new(&b, "Key", kms::Key::default()).unwrap();
    Resource::new(
        &a,
        "P",
        ssm::Parameter::new(ssm::parameter::Type::String, kb.ref_()),
    )
    .unwrap();
    Resource::new(
        &b,
        "P",
        ssm::Parameter::new(ssm::parameter::Type::String, ka.ref_()),
    )
    .unwrap();
    let Err(SynthError::Invalid(d)) = synthesize(&app) else {
        panic!("a cycle must fail")
    };
    let e = d.find("stack-cycle").expect("reported");
    assert!(
        e.message.contains("'A'") && e.message.contains("'B'"),
        "{e}"
    );
}

#[test]
fn explicit_stack_dependencies_order_deploys() {
    let app = App::new();
    let late = Stack::new(&app, "Late", env()).unwrap();
    let early = Stack::new(&app, "Early", env()).unwrap();
    late.add_dependency(&early);
    Resource::new(&late, "K", kms::Key::default()).unwrap();
    Resource::new(&early, "K", kms::Key::default()).unwrap();
    let s = synthesize(&app).unwrap();
    assert_eq!(s.stacks[0].name, "Early");
    assert_eq!(s.stacks[1].dependencies, ["Early"]);
}
