//! Assertions on a template read from JSON: resources, outputs, parameters, conditions,
//! mappings and the whole template, and the reports of the closest candidates.

mod support;

use serde_json::json;
use stackwright_assertions::{Matcher, Mismatch, Template};
use support::panic_message;

fn sample() -> Template {
    Template::from_json(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {
            "Stage": { "Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev" }
        },
        "Mappings": {
            "RegionMap": { "us-east-1": { "Ami": "ami-1" } }
        },
        "Conditions": {
            "IsProd": { "Fn::Equals": [{ "Ref": "Stage" }, "prod"] }
        },
        "Resources": {
            "AlertsTopic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "DisplayName": "alerts",
                    "Tags": [
                        { "Key": "Owner", "Value": "ops" },
                        { "Key": "Project", "Value": "y" }
                    ]
                }
            },
            "AuditTopic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "DisplayName": "audit",
                    "KmsMasterKeyId": { "Ref": "Key" }
                },
                "DependsOn": ["Key"],
                "DeletionPolicy": "Retain"
            },
            "Key": { "Type": "AWS::KMS::Key" },
            "Dashboard": {
                "Type": "AWS::CloudWatch::Dashboard",
                "Properties": {
                    "DashboardBody": "{\"widgets\":[{\"type\":\"metric\",\"width\":12,\"properties\":{\"region\":\"us-east-1\"}}]}"
                }
            }
        },
        "Outputs": {
            "TopicArn": { "Value": { "Ref": "AlertsTopic" }, "Export": { "Name": "AlertsArn" } },
            "KeyId": { "Value": { "Ref": "Key" }, "Condition": "IsProd" }
        }
    }))
}

#[test]
fn resource_count_is_counts_by_type() {
    let t = sample();
    t.resource_count_is("AWS::SNS::Topic", 2);
    t.resource_count_is("AWS::KMS::Key", 1);
    t.resource_count_is("AWS::SQS::Queue", 0);
    let msg = panic_message(|| t.resource_count_is("AWS::SNS::Topic", 3));
    assert_eq!(
        msg,
        "expected 3 resource(s) of type 'AWS::SNS::Topic', found 2: 'AlertsTopic', 'AuditTopic'"
    );
    let err = t.try_resource_count_is("AWS::SQS::Queue", 1).unwrap_err();
    assert_eq!(
        err.summary(),
        "expected 1 resource(s) of type 'AWS::SQS::Queue', found 0"
    );
    assert!(err.mismatches().is_empty());
    Template::from_json(json!({})).resource_count_is("AWS::SNS::Topic", 0);
}

#[test]
fn has_resource_properties_passes_when_any_resource_matches() {
    let t = sample();
    t.has_resource_properties("AWS::SNS::Topic", json!({ "DisplayName": "audit" }));
    t.has_resource_properties(
        "AWS::SNS::Topic",
        Matcher::object([
            ("DisplayName", Matcher::from("alerts")),
            ("KmsMasterKeyId", Matcher::absent()),
            ("Tags", Matcher::array_with([json!({ "Key": "Project" })])),
        ]),
    );
    // A resource without Properties reads as `{}`, and absent() asks for no Properties.
    t.has_resource_properties("AWS::KMS::Key", json!({}));
    t.has_resource_properties(
        "AWS::KMS::Key",
        Matcher::object([("Description", Matcher::absent())]),
    );
    t.has_resource_properties("AWS::KMS::Key", Matcher::absent());
    assert!(
        t.try_has_resource_properties("AWS::SNS::Topic", Matcher::absent())
            .is_err()
    );
    // Exact properties.
    t.has_resource_properties(
        "AWS::SNS::Topic",
        Matcher::exact(json!({ "DisplayName": "audit", "KmsMasterKeyId": { "Ref": "Key" } })),
    );
    assert!(
        t.try_has_resource_properties(
            "AWS::SNS::Topic",
            Matcher::exact(json!({ "DisplayName": "audit" }))
        )
        .is_err()
    );
}

#[test]
fn has_resource_properties_failure_names_the_paths_of_the_closest() {
    let t = sample();
    let msg = panic_message(|| {
        t.has_resource_properties(
            "AWS::SNS::Topic",
            json!({ "DisplayName": "alerts", "Tags": [{ "Key": "Owner" }, { "Key": "Project", "Value": "x" }] }),
        )
    });
    assert!(
        msg.starts_with("the template has 2 resource(s) of type 'AWS::SNS::Topic', but none with properties matching"),
        "{msg}"
    );
    assert!(
        msg.contains("closest: 'AlertsTopic', 1 mismatch:\n"),
        "{msg}"
    );
    assert!(
        msg.contains(r#"    at /Properties/Tags/1/Value: expected "x", found "y""#),
        "{msg}"
    );
    // The body of the closest is shown; the other topic is only counted.
    assert!(
        msg.contains("  its body:\n    {\n      \"Type\": \"AWS::SNS::Topic\","),
        "{msg}"
    );
    assert!(!msg.contains("'AuditTopic'"), "{msg}");
    assert!(msg.ends_with("(1 more candidate(s) not shown)"), "{msg}");

    let err = t
        .try_has_resource_properties(
            "AWS::SNS::Topic",
            json!({ "DisplayName": "audit", "TopicName": "t" }),
        )
        .unwrap_err();
    assert_eq!(err.closest_id(), Some("AuditTopic"));
    assert_eq!(
        err.mismatches()
            .iter()
            .map(Mismatch::to_string)
            .collect::<Vec<_>>(),
        [r#"at /Properties/TopicName: missing (expected "t")"#]
    );
}

#[test]
fn equally_close_candidates_are_all_shown() {
    let t = sample();
    let err = t
        .try_has_resource_properties("AWS::SNS::Topic", json!({ "DisplayName": "other" }))
        .unwrap_err();
    let report = err.to_string();
    assert!(
        report.contains("closest: 'AlertsTopic', 1 mismatch:"),
        "{report}"
    );
    assert!(
        report.contains("closest: 'AuditTopic', 1 mismatch:"),
        "{report}"
    );
    assert!(
        report.contains(r#"at /Properties/DisplayName: expected "other", found "audit""#),
        "{report}"
    );
    assert!(!report.contains("not shown"), "{report}");
}

#[test]
fn closest_prefers_wrong_values_deep_down_over_missing_keys() {
    let t = Template::from_json(json!({ "Resources": {
        "Shallow": { "Type": "AWS::SNS::Topic", "Properties": { "DisplayName": "b" } },
        "Deep": { "Type": "AWS::SNS::Topic", "Properties": {
            "Tags": [{ "Key": "Project", "Value": "y" }]
        }}
    }}));
    let err = t
        .try_has_resource_properties(
            "AWS::SNS::Topic",
            json!({ "Tags": [{ "Key": "Project", "Value": "x" }] }),
        )
        .unwrap_err();
    assert_eq!(err.closest_id(), Some("Deep"));
    let report = err.to_string();
    let deep = report.find("closest: 'Deep'").expect("Deep is shown");
    let shallow = report
        .find("closest: 'Shallow'")
        .expect("Shallow ties on count");
    assert!(deep < shallow, "{report}");
    assert!(
        report.contains(r#"at /Properties/Tags/0/Value: expected "x", found "y""#),
        "{report}"
    );
}

#[test]
fn missing_type_lists_the_types_present() {
    let t = sample();
    let msg = panic_message(|| t.has_resource_properties("AWS::SQS::Queue", json!({})));
    assert_eq!(
        msg,
        "the template has no resource of type 'AWS::SQS::Queue'; the types it has: AWS::CloudWatch::Dashboard (1), AWS::KMS::Key (1), AWS::SNS::Topic (2)"
    );
    let empty = Template::from_json(json!({ "Resources": {} }));
    assert_eq!(
        empty
            .try_has_resource("AWS::SQS::Queue", json!({}))
            .unwrap_err()
            .summary(),
        "the template has no resource of type 'AWS::SQS::Queue': it has no resources"
    );
}

#[test]
fn has_resource_matches_the_whole_body() {
    let t = sample();
    t.has_resource(
        "AWS::SNS::Topic",
        json!({ "DependsOn": ["Key"], "DeletionPolicy": "Retain", "Properties": { "DisplayName": "audit" } }),
    );
    t.has_resource(
        "AWS::KMS::Key",
        Matcher::object([("Properties", Matcher::absent())]),
    );
    let err = t
        .try_has_resource("AWS::SNS::Topic", json!({ "DeletionPolicy": "Delete" }))
        .unwrap_err();
    assert!(err.summary().contains("none with body matching"), "{err}");
    // Both topics are one mismatch away; a wrong value ranks before a missing key.
    assert_eq!(err.closest_id(), Some("AuditTopic"));
    let report = err.to_string();
    assert!(
        report.contains(r#"at /DeletionPolicy: missing (expected "Delete")"#),
        "{report}"
    );
    assert!(
        report.contains(r#"at /DeletionPolicy: expected "Delete", found "Retain""#),
        "{report}"
    );
    let msg = panic_message(|| {
        t.has_resource(
            "AWS::SNS::Topic",
            Matcher::object([("Condition", Matcher::any_value())]),
        )
    });
    assert!(
        msg.contains("at /Condition: missing (expected any_value())"),
        "{msg}"
    );
}

#[test]
fn serialized_json_inside_resource_properties() {
    let t = sample();
    t.has_resource_properties(
        "AWS::CloudWatch::Dashboard",
        Matcher::object([(
            "DashboardBody",
            Matcher::serialized_json(Matcher::object([(
                "widgets",
                Matcher::array_with([json!({ "properties": { "region": "us-east-1" } })]),
            )])),
        )]),
    );
    let err = t
        .try_has_resource_properties(
            "AWS::CloudWatch::Dashboard",
            Matcher::object([(
                "DashboardBody",
                Matcher::serialized_json(json!({ "start": "-PT3H" })),
            )]),
        )
        .unwrap_err();
    assert_eq!(
        err.mismatches()[0].to_string(),
        r#"at /Properties/DashboardBody/<json>/start: missing (expected "-PT3H")"#
    );
}

#[test]
fn find_resources_returns_matching_bodies_by_id() {
    let t = sample();
    let all = t.find_resources("AWS::SNS::Topic", Matcher::any_value());
    assert_eq!(
        all.keys().collect::<Vec<_>>(),
        ["AlertsTopic", "AuditTopic"]
    );
    assert_eq!(t.find_resources("AWS::SNS::Topic", json!({})).len(), 2);
    let retained = t.find_resources("AWS::SNS::Topic", json!({ "DeletionPolicy": "Retain" }));
    assert_eq!(retained.len(), 1);
    assert_eq!(retained["AuditTopic"]["Properties"]["DisplayName"], "audit");
    assert!(
        t.find_resources("AWS::SNS::Topic", json!({ "DeletionPolicy": "Delete" }))
            .is_empty()
    );
    assert!(t.find_resources("AWS::SQS::Queue", json!({})).is_empty());
}

#[test]
fn resource_properties_count_is_counts_matches() {
    let t = sample();
    t.resource_properties_count_is("AWS::SNS::Topic", json!({ "DisplayName": "audit" }), 1);
    t.resource_properties_count_is(
        "AWS::SNS::Topic",
        Matcher::object([("DisplayName", Matcher::any_value())]),
        2,
    );
    t.resource_properties_count_is("AWS::SNS::Topic", json!({ "DisplayName": "none" }), 0);
    let msg = panic_message(|| {
        t.resource_properties_count_is(
            "AWS::SNS::Topic",
            Matcher::object([("Tags", Matcher::any_value())]),
            2,
        )
    });
    assert_eq!(
        msg,
        r#"expected 2 resource(s) of type 'AWS::SNS::Topic' with properties matching {"Tags": any_value(), ..}, found 1: 'AlertsTopic'"#
    );
}

#[test]
fn all_resources_requires_every_resource_to_match() {
    let t = sample();
    t.all_resources_properties(
        "AWS::SNS::Topic",
        Matcher::object([("DisplayName", Matcher::any_value())]),
    );
    t.all_resources("AWS::SNS::Topic", json!({ "Type": "AWS::SNS::Topic" }));
    let msg =
        panic_message(|| t.all_resources("AWS::SNS::Topic", json!({ "DeletionPolicy": "Retain" })));
    assert!(
        msg.starts_with(r#"1 of the 2 resource(s) of type 'AWS::SNS::Topic' have bodies that do not match {"DeletionPolicy": "Retain", ..}"#),
        "{msg}"
    );
    assert!(
        msg.contains("not matching: 'AlertsTopic', 1 mismatch:"),
        "{msg}"
    );
    assert!(
        msg.contains(r#"at /DeletionPolicy: missing (expected "Retain")"#),
        "{msg}"
    );
    let err = t
        .try_all_resources_properties(
            "AWS::SNS::Topic",
            json!({ "KmsMasterKeyId": { "Ref": "Key" } }),
        )
        .unwrap_err();
    assert_eq!(err.closest_id(), Some("AlertsTopic"));
    assert!(
        t.try_all_resources("AWS::SQS::Queue", json!({})).is_err(),
        "none at all fails"
    );
}

#[test]
fn outputs_by_id_or_star() {
    let t = sample();
    t.has_output("TopicArn", json!({ "Export": { "Name": "AlertsArn" } }));
    t.has_output("*", json!({ "Condition": "IsProd" }));
    t.has_output("KeyId", Matcher::object([("Export", Matcher::absent())]));
    let msg = panic_message(|| t.has_output("TopicArn", json!({ "Value": { "Ref": "Other" } })));
    assert!(
        msg.starts_with("the output 'TopicArn' does not match"),
        "{msg}"
    );
    assert!(msg.contains("closest: 'TopicArn', 1 mismatch:"), "{msg}");
    assert!(
        msg.contains(r#"at /Value/Ref: expected "Other", found "AlertsTopic""#),
        "{msg}"
    );
    let missing = t.try_has_output("Nope", json!({})).unwrap_err();
    assert_eq!(
        missing.summary(),
        "the template has no output 'Nope'; its outputs are: 'TopicArn', 'KeyId'"
    );
    let none = t
        .try_has_output("*", json!({ "Description": "x" }))
        .unwrap_err();
    assert!(
        none.summary().starts_with("none of the 2 output(s) match"),
        "{none}"
    );
    assert_eq!(
        Template::from_json(json!({}))
            .try_has_output("*", json!({}))
            .unwrap_err()
            .summary(),
        "the template has no outputs"
    );
    let found = t.find_outputs("*", json!({ "Value": { "Ref": "Key" } }));
    assert_eq!(found.keys().collect::<Vec<_>>(), ["KeyId"]);
    assert_eq!(t.find_outputs("*", json!({})).len(), 2);
    assert!(
        t.find_outputs("TopicArn", json!({ "Condition": "IsProd" }))
            .is_empty()
    );
}

#[test]
fn parameters_conditions_and_mappings() {
    let t = sample();
    t.has_parameter("Stage", json!({ "AllowedValues": ["dev", "prod"] }));
    t.has_parameter("*", json!({ "Default": "dev" }));
    assert!(
        t.try_has_parameter("Stage", json!({ "AllowedValues": ["dev"] }))
            .is_err()
    );
    assert_eq!(t.find_parameters("*", json!({ "Type": "String" })).len(), 1);

    t.has_condition(
        "IsProd",
        json!({ "Fn::Equals": [{ "Ref": "Stage" }, "prod"] }),
    );
    let err = t
        .try_has_condition(
            "IsProd",
            json!({ "Fn::Equals": [{ "Ref": "Stage" }, "dev"] }),
        )
        .unwrap_err();
    assert_eq!(
        err.mismatches()[0].to_string(),
        r#"at /Fn::Equals/1: expected "dev", found "prod""#
    );
    assert_eq!(t.find_conditions("*", Matcher::any_value()).len(), 1);

    t.has_mapping("RegionMap", json!({ "us-east-1": { "Ami": "ami-1" } }));
    assert!(
        t.try_has_mapping("RegionMap", json!({ "eu-west-1": {} }))
            .is_err()
    );
    assert!(t.find_mappings("Other", json!({})).is_empty());
    assert_eq!(t.find_mappings("*", json!({})).len(), 1);
}

#[test]
fn template_matches_checks_the_whole_template() {
    let t = sample();
    t.template_matches(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": { "Key": { "Type": "AWS::KMS::Key" } }
    }));
    t.template_matches(
        Matcher::object_like(json!({ "Resources": {} }))
            .with("/Resources/Key/Properties", Matcher::absent())
            .with("/Resources/Queue", Matcher::absent()),
    );
    let msg = panic_message(|| {
        t.template_matches(json!({ "Resources": { "AuditTopic": { "DeletionPolicy": "Delete" } } }))
    });
    assert!(msg.starts_with("the template does not match"), "{msg}");
    assert!(
        msg.contains(
            r#"at /Resources/AuditTopic/DeletionPolicy: expected "Delete", found "Retain""#
        ),
        "{msg}"
    );
    assert!(t.try_template_matches(Matcher::exact(json!({}))).is_err());
}

#[test]
fn from_str_and_json() {
    let t: Template = r#"{ "Resources": { "Q": { "Type": "AWS::SQS::Queue" } } }"#
        .parse()
        .unwrap();
    t.resource_count_is("AWS::SQS::Queue", 1);
    assert_eq!(t.json()["Resources"]["Q"]["Type"], "AWS::SQS::Queue");
    assert!("{ nope".parse::<Template>().is_err());
    assert!(t.diagnostics().0.is_empty());
}
