//! Every validation finding, and all of them in one run.

use stackwright::core::Diagnostics;
use stackwright::core::{
    App, Condition, ConditionExpr, Env, Expr, Output, Resource, Scope, Stack, Value,
};
use stackwright::l1::{ec2, kms, logs, ssm};
use stackwright::synth::{SynthError, synthesize};

fn env() -> Env {
    Env::new("123456789012", "us-east-1")
}

fn errors(app: &App) -> Diagnostics {
    match synthesize(app) {
        Err(SynthError::Invalid(d)) => d,
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("synth should have failed"),
    }
}

fn app_stack() -> (App, Stack) {
    let app = App::new();
    let stack = Stack::new(&app, "S", env()).unwrap();
    (app, stack)
}

#[test]
fn a_missing_required_property_names_it() {
    let (app, stack) = app_stack();
    let p = Resource::new(
        &stack,
        "P",
        ssm::Parameter::new(ssm::parameter::Type::String, "v"),
    )
    .unwrap();
    p.add_property_deletion_override("Value");
    let d = errors(&app);
    let e = d.find("missing-required").unwrap();
    assert_eq!(e.path, "S/P");
    assert!(e.message.contains("Value is required"), "{e}");
}

#[test]
fn values_outside_enums_patterns_lengths_and_ranges() {
    let (app, stack) = app_stack();
    // Enum: a typo gets a suggestion.
    let p = Resource::new(
        &stack,
        "Enum",
        ssm::Parameter::new(ssm::parameter::Type::String, "v"),
    )
    .unwrap();
    p.add_property_override("Tier", Expr::str("Standrd"));
    // Range: log retention has a fixed set of values.
    Resource::new(
        &stack,
        "Range",
        logs::LogGroup {
            retention_in_days: Some(8.into()),
            ..Default::default()
        },
    )
    .unwrap();
    // Length: descriptions of keys are at most 8192 characters.
    Resource::new(
        &stack,
        "Length",
        kms::Key {
            description: Some("x".repeat(9000).into()),
            ..Default::default()
        },
    )
    .unwrap();
    // Pattern: alias names must start with alias/.
    let k = Resource::new(&stack, "K", kms::Key::default()).unwrap();
    Resource::new(&stack, "Pattern", kms::Alias::new("flowviz", k.ref_())).unwrap();
    let d = errors(&app);
    let by_path = |p: &str| {
        d.0.iter()
            .find(|x| x.path == p)
            .unwrap_or_else(|| panic!("nothing for {p}: {d}"))
    };
    let e = by_path("S/Enum");
    assert_eq!(e.code, "invalid-value");
    assert!(e.message.contains("'Standrd'"), "{e}");
    assert_eq!(e.hint.as_deref(), Some("did you mean 'Standard'?"));
    let e = by_path("S/Range");
    assert!(
        e.message
            .contains("RetentionInDays is 8, which is not an allowed value"),
        "{e}"
    );
    assert!(e.hint.as_deref().unwrap().contains("1, 3, 5, 7, 14"), "{e}");
    assert!(
        by_path("S/Length").message.contains("9000 characters"),
        "{d}"
    );
    let e = by_path("S/Pattern");
    assert!(
        e.message.contains("'flowviz'") && e.message.contains("pattern"),
        "{e}"
    );
}

#[test]
fn unknown_properties_and_wrong_types_from_overrides() {
    let (app, stack) = app_stack();
    let k = Resource::new(&stack, "K", kms::Key::default()).unwrap();
    k.add_property_override("EnableKeyRotaton", Expr::Bool(true));
    k.add_property_override("Enabled", Expr::List(vec![]));
    let d = errors(&app);
    let e = d.find("unknown-property").unwrap();
    assert!(e.message.contains("EnableKeyRotaton"), "{e}");
    assert_eq!(e.hint.as_deref(), Some("did you mean 'EnableKeyRotation'?"));
    let e = d.find("wrong-type").unwrap();
    assert!(e.message.contains("Enabled must be true or false"), "{e}");
}

#[test]
fn unknown_attributes_and_references() {
    let (app, stack) = app_stack();
    let k = Resource::new(&stack, "K", kms::Key::default()).unwrap();
    Resource::new(
        &stack,
        "A",
        ssm::Parameter::new(ssm::parameter::Type::String, k.get_att::<String>("Ar")),
    )
    .unwrap();
    Resource::new(
        &stack,
        "B",
        ssm::Parameter::new(
            ssm::parameter::Type::String,
            Value::from_expr(Expr::RefLogicalId("Nowhere".into())),
        ),
    )
    .unwrap();
    let d = errors(&app);
    let e = d.find("unknown-attribute").unwrap();
    assert_eq!(e.path, "S/A");
    assert_eq!(e.hint.as_deref(), Some("did you mean 'Arn'?"));
    let e = d.find("unknown-reference").unwrap();
    assert!(e.message.contains("'Nowhere'"), "{e}");
}

#[test]
fn reference_and_depends_on_cycles_are_printed() {
    let (app, stack) = app_stack();
    let a = Resource::new(
        &stack,
        "A",
        ssm::Parameter::new(ssm::parameter::Type::String, "x"),
    )
    .unwrap();
    let b = Resource::new(
        &stack,
        "B",
        ssm::Parameter::new(ssm::parameter::Type::String, a.attr_value()),
    )
    .unwrap();
    a.add_dependency(&b);
    let d = errors(&app);
    let e = d.find("reference-cycle").unwrap();
    assert!(
        e.message.contains("A -> B -> A") || e.message.contains("B -> A -> B"),
        "{e}"
    );
}

#[test]
fn limits_are_enforced_and_large_templates_noted() {
    let (app, stack) = app_stack();
    for i in 0..501 {
        Resource::new(&stack, &format!("K{i}"), kms::Key::default()).unwrap();
    }
    let d = errors(&app);
    let e = d.find("template-limit").unwrap();
    assert!(e.message.contains("501 resources"), "{e}");

    let (app, stack) = app_stack();
    for i in 0..450 {
        Resource::new(
            &stack,
            &format!("K{i}"),
            kms::Key {
                description: Some("a key with a longer description than most keys have".into()),
                ..Default::default()
            },
        )
        .unwrap();
    }
    let s = synthesize(&app).expect("a large template is fine");
    let n = s.diagnostics.find("template-size").expect("noted");
    assert!(n.message.contains("S3"), "{n}");
}

#[test]
fn bad_tags_duplicate_exports_and_foreign_conditions() {
    let app = App::new();
    let a = Stack::new(&app, "A", env()).unwrap();
    let b = Stack::new(&app, "B", env()).unwrap();
    a.tags().add("aws:reserved", "x");
    Resource::new(&a, "K", kms::Key::default()).unwrap();
    Output::new(&a, "O", "v").unwrap().export_name("Shared");
    Output::new(&b, "O", "v").unwrap().export_name("Shared");
    let c = Condition::new(&a, "C", ConditionExpr::equals("a", "b")).unwrap();
    let r = Resource::new(&b, "K", kms::Key::default()).unwrap();
    r.set_condition(&c);
    let d = errors(&app);
    assert!(
        d.find("invalid-tag").unwrap().message.contains("aws:"),
        "{d}"
    );
    assert!(
        d.find("duplicate-export")
            .unwrap()
            .message
            .contains("'Shared'"),
        "{d}"
    );
    assert_eq!(d.find("cross-stack-condition").unwrap().path, "B/K");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let (app, stack) = app_stack();
    let k = Resource::new(&stack, "K", kms::Key::default()).unwrap();
    k.add_property_override("Bogus", Expr::Int(1));
    Resource::new(
        &stack,
        "A",
        ssm::Parameter::new(ssm::parameter::Type::String, k.get_att::<String>("Nope")),
    )
    .unwrap();
    let vpc = Resource::new(&stack, "Vpc", ec2::Vpc::default()).unwrap();
    vpc.add_property_override("InstanceTenancy", Expr::str("shared"));
    let dup = stackwright::core::Construct::new(&stack, "Dup").unwrap();
    Resource::new(&dup, "Key", kms::Key::default()).unwrap();
    Resource::new(&stack, "DupKey", kms::Key::default()).unwrap();
    let d = errors(&app);
    let mut codes: Vec<&str> = d.errors().map(|e| e.code).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(
        codes,
        [
            "invalid-value",
            "logical-id-collision",
            "unknown-attribute",
            "unknown-property"
        ],
        "{d}"
    );
    assert_eq!(stack.path(), "S");
}

/// Names a template uses for conditions and mappings are checked wherever they appear:
/// `Fn::If` and `Fn::FindInMap` in properties and outputs, and
/// the Conditions section itself (which may not use resources).
#[test]
fn conditions_and_mappings_are_checked_by_name() {
    let (app, stack) = app_stack();
    stackwright::core::IncludedTemplate::json(
        &stack,
        "Legacy",
        r#"{
          "Parameters": {"Stage": {"Type": "String"}},
          "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "UsesQueue": {"Fn::Equals": [{"Ref": "Topic"}, "x"]},
            "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsProdd"}]}
          },
          "Mappings": {"Sizes": {"prod": {"Days": "365"}}},
          "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {
              "DisplayName": {"Fn::If": ["IsProdd", "a", "b"]},
              "TopicName": {"Fn::FindInMap": ["Size", "prod", "Days"]}
            }},
            "Param": {"Type": "AWS::SSM::Parameter", "Properties": {
              "Type": "String",
              "Value": {"Fn::FindInMap": ["Sizes", "prod", "Weeks"]}
            }}
          },
          "Outputs": {
            "Fine": {"Condition": "IsProd", "Value": {"Fn::FindInMap": ["Sizes", "prod", "Days"]}},
            "Broken": {"Value": {"Fn::If": ["Nope", "a", "b"]}}
          }
        }"#,
    )
    .unwrap();
    let d = errors(&app);
    let found: Vec<(&str, &str)> =
        d.0.iter()
            .filter(|x| x.code == "unknown-reference")
            .map(|x| (x.path.as_str(), x.message.as_str()))
            .collect();
    let expect = [
        (
            "S/UsesQueue",
            "condition 'UsesQueue' refers to 'Topic', which is not a parameter of stack 'S'",
        ),
        (
            "S/Both",
            "'IsProdd' is used as a condition, but it is not a condition of stack 'S'",
        ),
        (
            "S/Legacy/Topic",
            "'IsProdd' is used as a condition, but it is not a condition of stack 'S'",
        ),
        (
            "S/Legacy/Topic",
            "Fn::FindInMap looks in 'Size', which is not a mapping of stack 'S'",
        ),
        (
            "S/Legacy/Param",
            "Fn::FindInMap looks up 'prod' / 'Weeks' in mapping 'Sizes', which has no such key",
        ),
        (
            "S/Broken",
            "'Nope' is used as a condition, but it is not a condition of stack 'S'",
        ),
    ];
    for e in expect {
        assert!(found.contains(&e), "missing {e:?} in {found:#?}");
    }
    assert_eq!(found.len(), expect.len(), "{found:#?}");
    let typo =
        d.0.iter()
            .find(|x| x.path == "S/Legacy/Topic" && x.message.contains("'IsProdd'"))
            .unwrap();
    assert_eq!(typo.hint.as_deref(), Some("did you mean 'IsProd'?"));
}

#[test]
fn policy_documents_are_checked_however_they_were_written() {
    let (app, stack) = app_stack();
    // Through an escape hatch: a key policy overridden to one that locks out its owner.
    let key = Resource::new(
        &stack,
        "Key",
        kms::Key {
            enable_key_rotation: Some(true.into()),
            ..Default::default()
        },
    )
    .unwrap();
    key.add_property_override(
        "KeyPolicy",
        Expr::from_json(serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"},
                           "Action": "kms:Decrypt", "Resource": "*"}]
        })),
    );
    // As an untyped resource: an action of a service IAM does not know.
    stackwright::core::RawResource::new(
        &stack,
        "Policy",
        "AWS::IAM::ManagedPolicy",
        serde_json::json!({"PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ec3:DescribeInstances", "Resource": "*"}]}}),
    )
    .unwrap();
    let d = errors(&app);
    let found: Vec<_> = d.0.iter().filter(|x| x.code == "iam-policy").collect();
    assert_eq!(found.len(), 2, "{d}");
    assert_eq!(found[0].path, "S/Key");
    assert!(
        found[0].message.contains("allows no one kms:PutKeyPolicy"),
        "{d}"
    );
    assert_eq!(found[1].path, "S/Policy");
    assert!(found[1].message.contains("did you mean 'ec2'?"), "{d}");
}

#[test]
fn service_rules_hold_for_l1_resources_and_overrides() {
    let (app, stack) = app_stack();
    Resource::new(
        &stack,
        "Ingress",
        ec2::SecurityGroupIngress {
            group_id: Some("sg-0123456789abcdef0".into()),
            cidr_ip: Some("10.0.0.0/16".into()),
            from_port: Some(8443.into()),
            to_port: Some(8080.into()),
            description: Some("app <internal>".into()),
            ..ec2::SecurityGroupIngress::new("tcp")
        },
    )
    .unwrap();
    let rule = stackwright::core::RawResource::new(
        &stack,
        "Nightly",
        "AWS::Events::Rule",
        serde_json::json!({"ScheduleExpression": "rate(1 days)", "State": "ENABLED"}),
    )
    .unwrap();
    rule.add_property_override("ScheduleExpression", Expr::str("cron(0 3 * * *)"));
    let d = errors(&app);
    let messages: Vec<(&str, &str)> =
        d.0.iter()
            .map(|x| (x.path.as_str(), x.message.as_str()))
            .collect();
    assert!(
        messages.contains(&(
            "S/Ingress",
            "Description is 'app <internal>', and EC2 refuses the character '<' in it"
        )),
        "{d}"
    );
    assert!(
        messages.contains(&(
            "S/Ingress",
            "the rule opens ports from 8443 to 8080: FromPort is above ToPort"
        )),
        "{d}"
    );
    assert!(
        messages.iter().any(|(p, m)| *p == "S/Nightly"
            && m.contains("'cron(0 3 * * *)': a cron expression has six fields")),
        "{d}"
    );
}
