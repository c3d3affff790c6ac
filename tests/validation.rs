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

/// A KMS key with rotation on, valid as it is.
fn rotated_key(stack: &Stack, id: &str) -> Resource<kms::Key> {
    Resource::new(
        stack,
        id,
        kms::Key {
            enable_key_rotation: Some(true.into()),
            ..Default::default()
        },
    )
    .unwrap()
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
    // A VPC needs exactly one of CidrBlock and Ipv4IpamPoolId (`requiredXor`).
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
            "required-xor",
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
    let key = rotated_key(&stack, "Key");
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

// Rules across properties: schema keywords (`requiredXor`, `oneOf`/`anyOf` of required
// sets, `dependentRequired`, `dependentExcluded`, `if`/`then`) and cfn-lint's schema
// extensions, generated into the facts as constraints.

mod constraints {
    use super::*;
    use serde_json::json;
    use stackwright::core::{Diagnostic, RawResource};

    fn raw(stack: &Stack, id: &str, type_name: &str, props: serde_json::Value) {
        RawResource::new(stack, id, type_name, props).unwrap();
    }

    /// The findings with `code`, which must exist.
    fn all<'d>(d: &'d Diagnostics, code: &str) -> Vec<&'d Diagnostic> {
        let found: Vec<&Diagnostic> = d.0.iter().filter(|x| x.code == code).collect();
        assert!(!found.is_empty(), "no {code} in:\n{d}");
        found
    }

    fn scaling_policy(extra: serde_json::Value) -> serde_json::Value {
        let mut p = json!({"PolicyName": "p", "PolicyType": "StepScaling"});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    }

    #[test]
    fn engine_versions_may_name_a_major_line_but_not_a_release_rds_lacks() {
        let (app, stack) = app_stack();
        let db = |version: &str| {
            json!({
                "Engine": "mysql", "EngineVersion": version, "DBInstanceClass": "db.t4g.micro",
                "AllocatedStorage": "20", "StorageEncrypted": true,
                "ManageMasterUserPassword": true, "MasterUsername": "admin",
            })
        };
        // RDS picks the newest 8.0 release for "8.0" (CDK's VER_8_0 writes it).
        for (id, version) in [("Major", "8.0"), ("Release", "8.0.35")] {
            raw(&stack, id, "AWS::RDS::DBInstance", db(version));
        }
        raw(&stack, "Unknown", "AWS::RDS::DBInstance", db("8.0.999"));
        let d = errors(&app);
        let wrong: Vec<&str> = d
            .errors()
            .filter(|x| x.message.contains("EngineVersion") || x.path.ends_with("EngineVersion"))
            .map(|x| x.path.as_str())
            .collect();
        assert_eq!(wrong, ["S/Unknown"], "{d}");
    }

    #[test]
    fn a_deprecated_engine_version_is_a_warning() {
        let (app, stack) = app_stack();
        let db = |version: &str| {
            json!({
                "Engine": "postgres", "EngineVersion": version, "DBInstanceClass": "db.t4g.micro",
                "AllocatedStorage": "20", "StorageEncrypted": true,
                "ManageMasterUserPassword": true, "MasterUsername": "dbadmin",
            })
        };
        raw(&stack, "Old", "AWS::RDS::DBInstance", db("9.6.9"));
        raw(&stack, "Current", "AWS::RDS::DBInstance", db("17.10"));
        // A major line with a current release is not deprecated, whatever its old releases.
        raw(&stack, "Major", "AWS::RDS::DBInstance", db("16"));
        let d = synthesize(&app)
            .expect("a warning does not fail synth")
            .diagnostics;
        let deprecated: Vec<(&str, String)> =
            d.0.iter()
                .filter(|x| x.code == "engine-version")
                .map(|x| (x.path.as_str(), format!("{:?}", x.severity)))
                .collect();
        assert_eq!(deprecated, [("S/Old", "Warning".to_string())], "{d}");
        assert_eq!(
            d.find("engine-version").unwrap().message,
            "EngineVersion '9.6.9' of postgres is deprecated: RDS creates no new database \
             with it (cfn-lint W3691)"
        );
    }

    #[test]
    fn required_xor_fires_on_both_and_on_neither() {
        let (app, stack) = app_stack();
        // `requiredXor: [ScalingTargetId, ResourceId]`.
        raw(
            &stack,
            "Both",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            scaling_policy(json!({
                "ScalingTargetId": "t", "ResourceId": "service/c/s",
                "ScalableDimension": "ecs:service:DesiredCount", "ServiceNamespace": "ecs",
            })),
        );
        raw(
            &stack,
            "Neither",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            scaling_policy(json!({})),
        );
        let d = errors(&app);
        let xor = all(&d, "required-xor");
        assert_eq!(xor.len(), 2, "{d}");
        assert_eq!(xor[0].path, "S/Both");
        assert!(xor[0].message.contains("but 2 do"), "{}", xor[0]);
        assert!(
            xor[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("set exactly one of ScalingTargetId or ResourceId"),
            "{}",
            xor[0]
        );
        assert_eq!(xor[1].path, "S/Neither");
        assert!(xor[1].message.contains("none does"), "{}", xor[1]);
        assert!(d.find("dependent-required").is_none(), "{d}");
    }

    #[test]
    fn dependent_required_names_what_is_missing() {
        let (app, stack) = app_stack();
        // `dependentRequired: {ResourceId: [ScalableDimension, ServiceNamespace]}`.
        raw(
            &stack,
            "Policy",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            scaling_policy(json!({"ResourceId": "service/c/s", "ServiceNamespace": "ecs"})),
        );
        let d = errors(&app);
        let e = d.find("dependent-required").unwrap();
        assert_eq!(e.path, "S/Policy");
        assert!(
            e.message
                .contains("ResourceId is set, so ScalableDimension must be set too"),
            "{e}"
        );
        assert_eq!(d.errors().count(), 1, "{d}");
    }

    #[test]
    fn dependent_excluded_fires_when_both_are_set() {
        let (app, stack) = app_stack();
        // `dependentExcluded: {Ipv6AddressCount: [Ipv6Addresses], ...}`.
        raw(
            &stack,
            "Eni",
            "AWS::EC2::NetworkInterface",
            json!({
                "SubnetId": "subnet-0123456789abcdef0",
                "Ipv6AddressCount": 1,
                "Ipv6Addresses": [{"Ipv6Address": "2001:db8::1"}],
            }),
        );
        let d = errors(&app);
        let e = all(&d, "dependent-excluded");
        assert_eq!(e.len(), 2, "one finding per direction of the rule: {d}");
        assert!(
            e[0].message
                .contains("Ipv6AddressCount is set, so Ipv6Addresses must not be"),
            "{}",
            e[0]
        );
    }

    #[test]
    fn one_of_required_sets() {
        let (app, stack) = app_stack();
        // `oneOf: [{required: [TemplateURL]}, {required: [TemplateBody]}]`.
        for (id, extra) in [
            (
                "Both",
                json!({"TemplateURL": "https://x", "TemplateBody": "{}"}),
            ),
            ("Neither", json!({})),
        ] {
            let mut p = json!({"PermissionModel": "SELF_MANAGED", "StackSetName": "s"});
            for (k, v) in extra.as_object().unwrap() {
                p[k] = v.clone();
            }
            raw(&stack, id, "AWS::CloudFormation::StackSet", p);
        }
        let d = errors(&app);
        let e = all(&d, "one-of");
        assert_eq!(e.len(), 2, "{d}");
        assert_eq!(
            (e[0].path.as_str(), e[1].path.as_str()),
            ("S/Both", "S/Neither")
        );
        assert!(
            e[0].message.contains("TemplateURL set | TemplateBody set"),
            "{}",
            e[0]
        );
        assert!(
            e[0].hint.as_deref().unwrap().contains("oneOf at #"),
            "{}",
            e[0]
        );
    }

    #[test]
    fn one_of_closed_object_alternatives() {
        let (app, stack) = app_stack();
        // `OwnerProperties: oneOf [{Group} | {User}]`, each `additionalProperties: false`.
        let owner = |owner: serde_json::Value| {
            json!({
                "DomainIdentifier": "dzd_abc", "EntityIdentifier": "e",
                "EntityType": "DOMAIN_UNIT", "Owner": owner,
            })
        };
        let both = json!({"Group": {"GroupIdentifier": "g"}, "User": {"UserIdentifier": "u"}});
        raw(&stack, "Both", "AWS::DataZone::Owner", owner(both));
        raw(&stack, "Empty", "AWS::DataZone::Owner", owner(json!({})));
        raw(
            &stack,
            "Ok",
            "AWS::DataZone::Owner",
            owner(json!({"User": {"UserIdentifier": "u"}})),
        );
        let d = errors(&app);
        let e = all(&d, "one-of");
        let paths: Vec<&str> = e.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["S/Both", "S/Empty"], "{d}");
        assert!(e[0].message.starts_with("Owner: "), "{}", e[0]);
        assert!(e[0].message.contains("none does"), "{}", e[0]);
        assert!(e[1].message.contains("but 2 do"), "{}", e[1]);
    }

    #[test]
    fn a_rule_on_a_nested_shape_names_its_location() {
        let (app, stack) = app_stack();
        // `RoutingStrategy: anyOf [{required: [FleetId]}, {required: [Message]}]`.
        raw(
            &stack,
            "Alias",
            "AWS::GameLift::Alias",
            json!({"Name": "a", "RoutingStrategy": {"Type": "TERMINAL"}}),
        );
        let d = errors(&app);
        let e = d.find("any-of").unwrap();
        assert_eq!(e.path, "S/Alias");
        assert!(e.message.starts_with("RoutingStrategy: "), "{e}");
        assert!(e.message.contains("FleetId set | Message set"), "{e}");
        assert!(
            e.hint
                .as_deref()
                .unwrap()
                .contains("#/definitions/RoutingStrategy"),
            "{e}"
        );
    }

    #[test]
    fn any_of_required_sets() {
        let (app, stack) = app_stack();
        // `anyOf: [{required: [Users]}, {required: [Groups]}, {required: [Roles]}]`.
        raw(
            &stack,
            "Policy",
            "AWS::IAM::Policy",
            json!({
                "PolicyName": "p",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": []},
            }),
        );
        let d = errors(&app);
        let e = d.find("any-of").unwrap();
        assert_eq!(e.path, "S/Policy");
        assert!(
            e.message.contains("Users set | Groups set | Roles set"),
            "{e}"
        );
    }

    #[test]
    fn if_then_from_the_schema_and_all_of_value_rules() {
        let (app, stack) = app_stack();
        // `if: {Engine: enum [aurora-postgresql, postgresql]} then: {MasterUsername: not admin}`.
        raw(
            &stack,
            "Pg",
            "AWS::RDS::DBCluster",
            json!({"Engine": "aurora-postgresql", "MasterUsername": "admin"}),
        );
        // `allOf: [{properties: {MasterUsername: {not: {enum: [rdsadmin]}}}}]`.
        raw(
            &stack,
            "My",
            "AWS::RDS::DBCluster",
            json!({"Engine": "aurora-mysql", "MasterUsername": "rdsadmin"}),
        );
        let d = errors(&app);
        let e =
            d.0.iter()
                .find(|x| x.code == "if-then" && x.source_is("if at #/allOf/1"))
                .unwrap_or_else(|| panic!("{d}"));
        assert_eq!(e.path, "S/Pg");
        assert!(e.message.contains("MasterUsername"), "{e}");
        let e = d.find("all-of").unwrap();
        assert_eq!(e.path, "S/My");
        assert!(e.message.contains("MasterUsername"), "{e}");
    }

    trait Source {
        fn source_is(&self, s: &str) -> bool;
    }
    impl Source for Diagnostic {
        fn source_is(&self, s: &str) -> bool {
            self.hint.as_deref().is_some_and(|h| h.contains(s))
        }
    }

    #[test]
    fn extension_if_then_on_a_typed_resource_and_a_list_item() {
        let (app, stack) = app_stack();
        // E3688: ToPort must be -1 when FromPort is (protocol icmp).
        let mut rule = ec2::SecurityGroupIngress::new("icmp");
        rule.cidr_ip = Some("10.0.0.0/8".into());
        rule.from_port = Some((-1).into());
        rule.to_port = Some(8.into());
        Resource::new(&stack, "Ingress", rule).unwrap();
        // The same extension on the items of a security group's rules.
        raw(
            &stack,
            "Group",
            "AWS::EC2::SecurityGroup",
            json!({
                "GroupDescription": "g",
                "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"},
                    // For ICMP, FromPort is the type and ToPort the code: -1 (every
                    // type) takes every code.
                    {"IpProtocol": "icmp", "FromPort": 3, "ToPort": -1, "CidrIp": "10.0.0.0/8"},
                    {"IpProtocol": "icmp", "FromPort": -1, "ToPort": 3, "CidrIp": "10.0.0.0/8"},
                ],
            }),
        );
        let d = errors(&app);
        let e: Vec<&Diagnostic> = d.0.iter().filter(|x| x.source_is("E3688")).collect();
        assert_eq!(e.len(), 2, "{d}");
        assert_eq!(e[0].code, "if-then");
        assert_eq!(e[0].path, "S/Ingress");
        assert!(e[0].message.contains("ToPort is 8"), "{}", e[0]);
        assert_eq!(e[1].path, "S/Group");
        assert!(
            e[1].message.starts_with("SecurityGroupIngress[2]:"),
            "{}",
            e[1]
        );
        assert!(e[1].message.contains("ToPort is 3"), "{}", e[1]);
    }

    #[test]
    fn extension_with_a_pattern_condition_and_a_forbidden_property() {
        let (app, stack) = app_stack();
        // E3634: an SQS event source takes no StartingPosition.
        raw(
            &stack,
            "Sqs",
            "AWS::Lambda::EventSourceMapping",
            json!({
                "FunctionName": "f",
                "EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q",
                "StartingPosition": "LATEST",
            }),
        );
        let d = errors(&app);
        let e =
            d.0.iter()
                .find(|x| x.source_is("E3634"))
                .unwrap_or_else(|| panic!("{d}"));
        assert_eq!(e.code, "if-then");
        assert_eq!(e.path, "S/Sqs");
        assert!(
            e.message.contains("StartingPosition must not be set"),
            "{e}"
        );
        // The extension's own words are the hint.
        assert!(
            e.hint
                .as_deref()
                .unwrap()
                .contains("don't specify 'StartingPosition'"),
            "{e}"
        );
    }

    #[test]
    fn extension_property_names_and_contains() {
        let (app, stack) = app_stack();
        // E3663: reserved environment variable names.
        raw(
            &stack,
            "Fn",
            "AWS::Lambda::Function",
            json!({
                "Role": "arn:aws:iam::123456789012:role/r",
                "Code": {"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1"},
                "PackageType": "Image",
                "Environment": {"Variables": {"AWS_REGION": "x", "MODE": "y"}},
            }),
        );
        // E3042: some container must be essential.
        raw(
            &stack,
            "Task",
            "AWS::ECS::TaskDefinition",
            json!({
                "ContainerDefinitions": [
                    {"Name": "a", "Image": "a", "Essential": false},
                    {"Name": "b", "Image": "b", "Essential": "false"},
                ],
            }),
        );
        let d = errors(&app);
        let e = d.find("property-names").unwrap();
        assert_eq!(e.path, "S/Fn");
        assert!(e.message.contains("AWS_REGION"), "{e}");
        assert!(!e.message.contains("MODE"), "{e}");
        let e = d.find("contains").unwrap();
        assert_eq!(e.path, "S/Task");
        assert!(e.hint.as_deref().unwrap().contains("E3042"), "{e}");
    }

    #[test]
    fn intrinsics_are_unknown_and_fire_nothing() {
        let (app, stack) = app_stack();
        let key = Resource::new(&stack, "Key", kms::Key::default()).unwrap();
        Condition::new(&stack, "Prod", ConditionExpr::equals("a", "a")).unwrap();
        // A pattern condition on a reference is unknown: no E3634.
        raw(
            &stack,
            "Sqs",
            "AWS::Lambda::EventSourceMapping",
            json!({
                "FunctionName": "f",
                "EventSourceArn": key.attr_arn().to_json(),
                "StartingPosition": "LATEST",
            }),
        );
        // An Fn::If that may be AWS::NoValue may leave ScalingTargetId out: both is unknown.
        raw(
            &stack,
            "Policy",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            scaling_policy(json!({
                "ScalingTargetId": {"Fn::If": ["Prod", "t", {"Ref": "AWS::NoValue"}]},
                "ResourceId": "service/c/s",
                "ScalableDimension": "ecs:service:DesiredCount", "ServiceNamespace": "ecs",
            })),
        );
        // A property whose value is a reference is present: `Ipv6AddressCount` from a Ref
        // still excludes `Ipv6Addresses`.
        raw(
            &stack,
            "Eni",
            "AWS::EC2::NetworkInterface",
            json!({
                "SubnetId": "subnet-0123456789abcdef0",
                "Ipv6AddressCount": key.ref_().to_json(),
            }),
        );
        if let Err(SynthError::Invalid(d)) = synthesize(&app) {
            panic!("nothing should fire:\n{d}");
        }
    }

    #[test]
    fn a_present_intrinsic_still_counts_for_presence() {
        let (app, stack) = app_stack();
        let key = Resource::new(&stack, "Key", kms::Key::default()).unwrap();
        raw(
            &stack,
            "Eni",
            "AWS::EC2::NetworkInterface",
            json!({
                "SubnetId": "subnet-0123456789abcdef0",
                "Ipv6AddressCount": key.ref_().to_json(),
                "Ipv6Addresses": [{"Ipv6Address": "2001:db8::1"}],
            }),
        );
        let d = errors(&app);
        assert_eq!(all(&d, "dependent-excluded").len(), 2, "{d}");
    }

    #[test]
    fn valid_resources_trigger_no_constraint() {
        let (app, stack) = app_stack();
        raw(
            &stack,
            "Policy",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            scaling_policy(json!({
                "ResourceId": "service/c/s",
                "ScalableDimension": "ecs:service:DesiredCount", "ServiceNamespace": "ecs",
            })),
        );
        raw(
            &stack,
            "Set",
            "AWS::CloudFormation::StackSet",
            json!({"PermissionModel": "SELF_MANAGED", "StackSetName": "s", "TemplateBody": "{}"}),
        );
        raw(
            &stack,
            "Sqs",
            "AWS::Lambda::EventSourceMapping",
            json!({"FunctionName": "f", "EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q"}),
        );
        raw(
            &stack,
            "Kinesis",
            "AWS::Lambda::EventSourceMapping",
            json!({
                "FunctionName": "f",
                "EventSourceArn": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
                "StartingPosition": "LATEST",
            }),
        );
        raw(
            &stack,
            "Pg",
            "AWS::RDS::DBCluster",
            json!({"Engine": "aurora-postgresql", "MasterUsername": "dbadmin"}),
        );
        let mut rule = ec2::SecurityGroupIngress::new("icmp");
        rule.cidr_ip = Some("10.0.0.0/8".into());
        rule.from_port = Some((-1).into());
        rule.to_port = Some((-1).into());
        Resource::new(&stack, "Ingress", rule).unwrap();
        if let Err(SynthError::Invalid(d)) = synthesize(&app) {
            panic!("nothing should fire:\n{d}");
        }
    }

    /// The cfn-lint rules cited in a finding's hint (`cfn-lint E3682 ...`).
    fn cited(d: &Diagnostic) -> Option<&str> {
        let h = d.hint.as_deref()?;
        let at = h.find("cfn-lint E")? + "cfn-lint ".len();
        h.get(at..at + 5)
    }

    /// One template with a case of each extension form (valid and invalid resources); what
    /// synth reports must be what cfn-lint 1.58.0 reports for it (its E-rules from the
    /// extensions, run by hand: `cfn-lint --format parseable` on the file).
    #[test]
    fn extension_findings_agree_with_cfn_lint() {
        let (app, stack) = app_stack();
        let text = include_str!("support/extension_cases.template.json");
        stackwright::core::IncludedTemplate::json(&stack, "T", text).unwrap();
        let d = errors(&app);
        let mut found: Vec<(String, &str)> =
            d.0.iter()
                .filter_map(|x| Some((x.path.trim_start_matches("S/T/").to_string(), cited(x)?)))
                .collect();
        found.sort();
        let expected = [
            ("Aur", "E3682"),
            ("Fn2", "E3677"),
            ("Al", "E3615"),
            ("Lb", "E3680"),
            ("Li", "E3676"),
            ("Q", "E3501"),
            ("Rs2", "E3029"),
            ("Sg", "E3687"),
            ("T", "E3638"),
            ("T2", "E3639"),
            ("Td", "E3047"),
            ("Td2", "E3046"),
            ("Td2", "E3048"),
            // cfn-lint 1.58.0 fails with an exception on this resource (E1101) instead of
            // reporting it; the rule (a Lambda target group takes no Port) is E3681's.
            ("Tg2", "E3681"),
        ];
        let mut expected: Vec<(String, &str)> =
            expected.iter().map(|(p, r)| (p.to_string(), *r)).collect();
        expected.sort();
        assert_eq!(found, expected, "{d}");
        // Nothing but these findings: the valid resources (Pg, Cl, Cl2, Tg, B, Fs, Fn)
        // trigger no rule at all.
        assert_eq!(d.0.len(), expected.len(), "{d}");
    }

    #[test]
    fn a_value_format_synth_does_not_check_decides_nothing() {
        let (app, stack) = app_stack();
        // E3023 checks A records with `format: ipv4`, which synth does not model: cfn-lint
        // reports '300.1.1.1'; synth stays silent rather than guess.
        raw(
            &stack,
            "Rs",
            "AWS::Route53::RecordSet",
            json!({
                "HostedZoneId": "Z1", "Name": "a.example.com", "Type": "A", "TTL": "60",
                "ResourceRecords": ["300.1.1.1"],
            }),
        );
        assert!(synthesize(&app).is_ok());
    }
}

#[test]
fn a_rule_is_turned_off_for_one_resource_with_its_reason_in_the_template() {
    let (app, stack) = app_stack();
    let locked = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "123456789012"},
                       "Action": "kms:Decrypt", "Resource": "*"}]
    });
    let key = |id: &str| {
        Resource::new(
            &stack,
            id,
            kms::Key {
                enable_key_rotation: Some(true.into()),
                key_policy: Some(locked.clone().into()),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let exempt = key("Exempt");
    let _other = key("Other");
    exempt
        .suppress_rule(
            "iam-policy",
            "the policy is replaced by the key owners' pipeline",
        )
        .unwrap();
    exempt
        .suppress_rule("invalid-value", "nothing here is invalid")
        .unwrap();
    assert!(exempt.suppress_rule("iam-policy", "  ").is_err());

    let d = errors(&app);
    let errs: Vec<_> = d.errors().map(|e| e.path.as_str()).collect();
    assert_eq!(errs, ["S/Other"], "only the other key is refused: {d}");
    let note =
        d.0.iter()
            .find(|x| x.path == "S/Exempt" && x.code == "iam-policy")
            .unwrap();
    assert_eq!(note.severity, stackwright::core::Severity::Note);
    assert!(
        note.message
            .starts_with("suppressed (the policy is replaced by the key owners' pipeline): "),
        "{note}"
    );
    let unused = d.0.iter().find(|x| x.code == "unused-suppression").unwrap();
    assert_eq!(unused.path, "S/Exempt");
    assert!(unused.message.contains("'invalid-value'"), "{unused}");

    // The reason is in the template, where reviewers read it.
    let build = app.build();
    let meta = &build.stacks[0].template["Resources"]["Exempt"]["Metadata"]["stackwright"];
    assert_eq!(
        meta["Suppress"][0],
        serde_json::json!({"Rule": "iam-policy", "Reason": "the policy is replaced by the key owners' pipeline"})
    );
}

#[test]
fn a_suppression_written_by_hand_without_a_reason_is_refused() {
    let (app, stack) = app_stack();
    let key = rotated_key(&stack, "Key");
    key.add_metadata(
        "stackwright",
        Expr::from_json(serde_json::json!({"Suppress": [{"Rule": "iam-policy"}]})),
    );
    let d = errors(&app);
    let e = d.find("invalid-suppression").unwrap();
    assert_eq!(e.path, "S/Key");
    assert!(
        e.message
            .contains("turns off 'iam-policy' without a reason"),
        "{e}"
    );
}

#[test]
fn a_tag_key_given_twice_is_refused() {
    let (app, stack) = app_stack();
    stackwright::core::RawResource::new(
        &stack,
        "Topic",
        "AWS::SNS::Topic",
        serde_json::json!({"Tags": [
            {"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}, {"Key": "cost", "Value": "c"}
        ]}),
    )
    .unwrap();
    let d = errors(&app);
    let e = d.find("invalid-tag").unwrap();
    assert_eq!(e.path, "S/Topic");
    assert!(
        e.message
            .contains("the tag key 'team' appears more than once"),
        "{e}"
    );
    assert_eq!(d.errors().count(), 1, "{d}");
}

#[test]
fn an_instance_type_the_stack_region_does_not_offer_is_refused() {
    // cfn-lint's per-region catalog (E3628): p4d.24xlarge is offered in eu-west-1 but not
    // in af-south-1, so the same L1 instance synthesizes in one stack and not the other.
    let instance = || ec2::Instance {
        image_id: Some("ami-0123456789abcdef0".into()),
        instance_type: Some("p4d.24xlarge".into()),
        ..Default::default()
    };
    let app = App::new();
    let cape = Stack::new(&app, "Cape", Env::new("123456789012", "af-south-1")).unwrap();
    let dublin = Stack::new(&app, "Dublin", Env::new("123456789012", "eu-west-1")).unwrap();
    Resource::new(&cape, "Gpu", instance()).unwrap();
    Resource::new(&dublin, "Gpu", instance()).unwrap();
    let d = errors(&app);
    let found: Vec<_> = d.0.iter().filter(|x| x.code == "catalog-value").collect();
    assert_eq!(found.len(), 1, "{d}");
    assert_eq!(found[0].path, "Cape/Gpu");
    assert_eq!(
        found[0].message,
        "InstanceType is 'p4d.24xlarge', which AWS::EC2::Instance does not offer in \
         af-south-1 (cfn-lint E3628)"
    );
    assert!(
        found[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("offered in af-south-1"),
        "{d}"
    );
    // Nothing else is wrong with either stack.
    assert_eq!(d.0.len(), 1, "{d}");
}

#[test]
fn windows_and_replication_rules_hold_through_overrides() {
    let (app, stack) = app_stack();
    let group = stackwright::core::RawResource::new(
        &stack,
        "Cache",
        "AWS::ElastiCache::ReplicationGroup",
        serde_json::json!({
            "ReplicationGroupDescription": "cache",
            "Engine": "redis",
            "CacheNodeType": "cache.t4g.small",
            "NumCacheClusters": 2,
            "AutomaticFailoverEnabled": true,
            "TransitEncryptionEnabled": true,
            "SnapshotWindow": "04:30-05:30",
            "PreferredMaintenanceWindow": "mon:06:00-mon:07:00"
        }),
    )
    .unwrap();
    group.add_property_override("NumCacheClusters", Expr::Int(1));
    group.add_property_override(
        "PreferredMaintenanceWindow",
        Expr::str("sun:05:00-sun:06:00"),
    );
    let d = errors(&app);
    let messages: Vec<&str> = d.errors().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "SnapshotWindow '04:30-05:30' overlaps PreferredMaintenanceWindow 'sun:05:00-sun:06:00'",
            "automatic failover is on with NumCacheClusters 1; failover needs at least one replica"
        ],
        "{d}"
    );
}

#[test]
fn a_case_insensitive_enum_takes_any_case_and_refuses_other_values() {
    let (app, stack) = app_stack();
    for (id, domain) in [("Upper", "VPC"), ("Lower", "vpc"), ("Typo", "vpcc")] {
        stackwright::core::RawResource::new(
            &stack,
            id,
            "AWS::EC2::EIP",
            serde_json::json!({ "Domain": domain }),
        )
        .unwrap();
    }
    let d = errors(&app);
    let errs: Vec<&str> = d.errors().map(|e| e.path.as_str()).collect();
    assert_eq!(errs, ["S/Typo"], "{d}");
}

// Names AWS defines outside the schemas: managed policies, TLS security policies and
// service principals, whichever way the template was written.

#[test]
fn managed_policies_tls_policies_and_service_principals_are_looked_up() {
    use serde_json::json;
    use stackwright::core::RawResource;
    let (app, stack) = app_stack();
    let trust = |service: &str| {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
    };
    RawResource::new(
        &stack,
        "Role",
        "AWS::IAM::Role",
        json!({
            "AssumeRolePolicyDocument": trust("ecs-task.amazonaws.com"),
            "ManagedPolicyArns": [
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"},
                "arn:aws:iam::aws:policy/ReadOnlyAcess",
            ],
        }),
    )
    .unwrap();
    let malformed = RawResource::new(
        &stack,
        "Malformed",
        "AWS::IAM::Role",
        json!({"AssumeRolePolicyDocument": trust("ec2.amazonaws.com")}),
    )
    .unwrap();
    // Through an escape hatch, as through the template itself.
    malformed.add_property_override(
        "AssumeRolePolicyDocument.Statement",
        Expr::from_json(trust("ec2")["Statement"].clone()),
    );
    RawResource::new(
        &stack,
        "Listener",
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({
            "LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/1",
            "Port": 443, "Protocol": "HTTPS",
            "Certificates": [{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/c"}],
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021",
            "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
        }),
    )
    .unwrap();
    let d = match synthesize(&app) {
        Err(SynthError::Invalid(d)) => d,
        other => panic!("expected findings, got {other:?}"),
    };
    let found: Vec<(String, &str, &str)> =
        d.0.iter()
            .filter(|x| {
                [
                    "managed-policy",
                    "ssl-policy",
                    "service-principal",
                    "iam-policy",
                ]
                .contains(&x.code)
            })
            .map(|x| (format!("{:?}", x.severity), x.code, x.path.as_str()))
            .collect();
    assert_eq!(
        found,
        [
            ("Warning".to_string(), "service-principal", "S/Role"),
            ("Error".to_string(), "managed-policy", "S/Role"),
            ("Error".to_string(), "iam-policy", "S/Malformed"),
            ("Error".to_string(), "ssl-policy", "S/Listener"),
        ],
        "{d}"
    );
    let hint = |code: &str| {
        d.find(code)
            .and_then(|x| x.hint.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        hint("service-principal"),
        "did you mean 'ecs-tasks.amazonaws.com'?"
    );
    assert_eq!(
        hint("managed-policy"),
        "did you mean the AWS managed policy 'ReadOnlyAccess'?"
    );
    assert!(
        hint("ssl-policy").starts_with("did you mean 'ELBSecurityPolicy-"),
        "{d}"
    );
}
