//! Existing templates included with their logical ids, referred to from typed code, and
//! checked like everything else.

use serde_json::{Value as Json, json};
use stackwright::core::{
    App, CoreError, Diagnostics, Env, IncludedTemplate, Resource, Scope, Stack, Value,
};
use stackwright::l1::{kms, ssm};
use stackwright::synth::{SynthError, synthesize};

fn env() -> Env {
    Env::new("123456789012", "us-east-1")
}

fn app_stack() -> (App, Stack) {
    let app = App::new();
    let stack = Stack::new(&app, "Legacy", env()).unwrap();
    (app, stack)
}

fn template_of(app: &App, name: &str) -> Json {
    let s = synthesize(app).unwrap_or_else(|e| panic!("synth failed: {e}"));
    s.stacks
        .into_iter()
        .find(|s| s.name == name)
        .unwrap()
        .template
}

#[test]
fn an_import_no_stack_of_the_app_exports_is_refused_with_the_nearest_export() {
    let (app, stack) = app_stack();
    let key = Resource::new(
        &stack,
        "Key",
        kms::Key {
            enable_key_rotation: Some(true.into()),
            ..Default::default()
        },
    )
    .unwrap();
    stackwright::core::Output::new(&stack, "KeyArn", key.attr_arn())
        .unwrap()
        .export_name("legacy-key-arn");
    let other = Stack::new(&app, "Reader", env()).unwrap();
    IncludedTemplate::json(
        &other,
        "Template",
        r#"{"Resources": {"Name": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": {"Fn::ImportValue": "legacy-key-arm"}}},
          "Other": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": {"Fn::ImportValue": "network-vpc-id"}}}}}"#,
    )
    .unwrap();
    let d = errors(&app);
    let found: Vec<_> = d.0.iter().filter(|x| x.code == "unknown-import").collect();
    assert_eq!(found.len(), 2, "{d}");
    assert_eq!(found[0].path, "Reader/Template/Name");
    assert_eq!(
        found[0].hint.as_deref(),
        Some("did you mean 'legacy-key-arn'?")
    );
    assert!(
        found[1]
            .hint
            .as_deref()
            .unwrap()
            .contains("uses_external_export(\"network-vpc-id\")")
    );
    // Declared as coming from outside, the second import is accepted.
    other.uses_external_export("network-vpc-id");
    let d = errors(&app);
    assert_eq!(
        d.0.iter().filter(|x| x.code == "unknown-import").count(),
        1,
        "{d}"
    );
}

fn errors(app: &App) -> Diagnostics {
    match synthesize(app) {
        Err(SynthError::Invalid(d)) => d,
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("synth should have failed"),
    }
}

/// Every section, every resource attribute, and names shared between an output and a
/// resource as CloudFormation allows.
const TEMPLATE_JSON: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Description": "The legacy alerting stack",
  "Parameters": {
    "Env": {"Type": "String", "Default": "prod", "AllowedValues": ["prod", "staging"]},
    "Retention": {"Type": "Number", "Default": 30, "MinValue": 1}
  },
  "Mappings": {
    "Sizes": {"prod": {"Name": "big"}, "staging": {"Name": "small"}}
  },
  "Conditions": {
    "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}
  },
  "Resources": {
    "Key": {
      "Type": "AWS::KMS::Key",
      "DeletionPolicy": "Retain",
      "UpdateReplacePolicy": "Retain",
      "Properties": {"EnableKeyRotation": true}
    },
    "Topic": {
      "Type": "AWS::SNS::Topic",
      "Condition": "IsProd",
      "DependsOn": "Key",
      "Metadata": {"Owner": "ops"},
      "Properties": {
        "TopicName": {"Fn::Sub": "${Env}-alerts-${AWS::Region}"},
        "DisplayName": {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Name"]},
        "KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}
      }
    }
  },
  "Outputs": {
    "Topic": {
      "Description": "The alerts topic",
      "Condition": "IsProd",
      "Value": {"Ref": "Topic"},
      "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-Topic"}}
    }
  }
}"#;

#[test]
fn a_json_template_keeps_its_logical_ids_and_typed_code_refers_to_it() {
    let (app, stack) = app_stack();
    stack.tags().add("Project", "Legacy");
    let legacy = IncludedTemplate::json(&stack, "Template", TEMPLATE_JSON).unwrap();
    let topic = legacy.resource("Topic").unwrap();
    let env_param = legacy.parameter("Env").unwrap();
    let is_prod = legacy.condition("IsProd").unwrap();
    let param = Resource::new(
        &stack,
        "TopicArn",
        ssm::Parameter::new(ssm::parameter::Type::String, topic.ref_()),
    )
    .unwrap();
    param.set_condition(&is_prod);
    param.add_property_override("Description", env_param.value::<String>());
    assert_eq!(topic.path(), "Legacy/Template/Topic");
    assert_eq!(topic.type_name(), "AWS::SNS::Topic");
    assert_eq!(legacy.resource_ids().collect::<Vec<_>>(), ["Key", "Topic"]);

    let t = template_of(&app, "Legacy");
    assert_eq!(
        t,
        json!({
          "AWSTemplateFormatVersion": "2010-09-09",
          "Parameters": {
            "Env": {"Type": "String", "Default": "prod", "AllowedValues": ["prod", "staging"]},
            "Retention": {"Type": "Number", "Default": "30", "MinValue": 1}
          },
          "Mappings": {"Sizes": {"prod": {"Name": "big"}, "staging": {"Name": "small"}}},
          "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
          "Resources": {
            "Key": {
              "Type": "AWS::KMS::Key",
              "Properties": {
                "EnableKeyRotation": true,
                "Tags": [{"Key": "Project", "Value": "Legacy"}]
              },
              "DeletionPolicy": "Retain",
              "UpdateReplacePolicy": "Retain"
            },
            "Topic": {
              "Type": "AWS::SNS::Topic",
              "Properties": {
                "TopicName": {"Fn::Sub": "${Env}-alerts-${AWS::Region}"},
                "DisplayName": {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Name"]},
                "KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
                "Tags": [{"Key": "Project", "Value": "Legacy"}]
              },
              "DependsOn": ["Key"],
              "Condition": "IsProd",
              "Metadata": {"Owner": "ops"}
            },
            "TopicArn": {
              "Type": "AWS::SSM::Parameter",
              "Properties": {
                "Type": "String",
                "Value": {"Ref": "Topic"},
                "Tags": {"Project": "Legacy"},
                "Description": {"Ref": "Env"}
              },
              "Condition": "IsProd"
            }
          },
          "Outputs": {
            "Topic": {
              "Description": "The alerts topic",
              "Value": {"Ref": "Topic"},
              "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-Topic"}},
              "Condition": "IsProd"
            }
          }
        })
    );
    let s = synthesize(&app).unwrap();
    assert_eq!(
        s.manifest().stacks["Legacy"].paths["Topic"],
        "Legacy/Template/Topic"
    );
}

/// The template above in YAML, with every short form CloudFormation has.
const TEMPLATE_YAML: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: prod
  Cidr:
    Type: String
    Default: 10.0.0.0/16
Mappings:
  Sizes:
    prod: { Name: big, Count: 3 }
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsStaging: !Not [!Condition IsProd]
  Either: !Or [!Condition IsProd, !Condition IsStaging]
  Both: !And [!Condition IsProd, !Condition IsStaging]
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      PendingWindowInDays: 7
      Description: !Join ["-", [!Ref Env, !Select [0, !GetAZs ""], !Select [1, !Split [",", "a,b"]]]]
  Topic:
    Type: AWS::SNS::Topic
    Condition: IsProd
    Properties:
      TopicName: !Sub "${Env}-alerts"
      DisplayName: !If [IsProd, !FindInMap [Sizes, !Ref Env, Name], !Ref "AWS::NoValue"]
      KmsMasterKeyId: !GetAtt Key.Arn
      SignatureVersion: !ImportValue shared-signature-version
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Description: !Base64 plain
      SecretString: !Select [0, !Cidr [!Ref Cidr, 2, 8]]
      Name:
        Fn::Sub:
          - "${Name}-secret"
          - Name: !GetAtt [Topic, TopicName]
      KmsKeyId: !Transform { Name: "AWS::Include", Parameters: { Location: "s3://bucket/key" } }
Outputs:
  KeyArn:
    Value: !GetAtt Key.Arn
"#;

#[test]
fn a_yaml_template_reads_every_short_form_as_its_long_form() {
    let (app, stack) = app_stack();
    IncludedTemplate::yaml(&stack, "Template", TEMPLATE_YAML).unwrap();
    // The template imports a value a stack outside this app exports.
    stack.uses_external_export("shared-signature-version");
    let t = template_of(&app, "Legacy");
    assert_eq!(
        t["Conditions"],
        json!({
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "IsStaging": {"Fn::Not": [{"Condition": "IsProd"}]},
            "Either": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "IsStaging"}]},
            "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsStaging"}]}
        })
    );
    assert_eq!(
        t["Mappings"]["Sizes"]["prod"],
        json!({"Name": "big", "Count": 3})
    );
    assert_eq!(
        t["Resources"]["Key"]["Properties"],
        json!({
            "EnableKeyRotation": true,
            "PendingWindowInDays": 7,
            "Description": {"Fn::Join": ["-", [
                {"Ref": "Env"},
                {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
                {"Fn::Select": [1, {"Fn::Split": [",", "a,b"]}]}
            ]]}
        })
    );
    assert_eq!(
        t["Resources"]["Topic"]["Properties"],
        json!({
            "TopicName": {"Fn::Sub": "${Env}-alerts"},
            "DisplayName": {"Fn::If": ["IsProd", {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Name"]}, {"Ref": "AWS::NoValue"}]},
            "KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
            "SignatureVersion": {"Fn::ImportValue": "shared-signature-version"}
        })
    );
    assert_eq!(
        t["Resources"]["Secret"]["Properties"],
        json!({
            "Description": {"Fn::Base64": "plain"},
            "SecretString": {"Fn::Select": [0, {"Fn::Cidr": [{"Ref": "Cidr"}, 2, 8]}]},
            "Name": {"Fn::Sub": ["${Name}-secret", {"Name": {"Fn::GetAtt": ["Topic", "TopicName"]}}]},
            "KmsKeyId": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://bucket/key"}}}
        })
    );
    assert_eq!(
        t["Outputs"]["KeyArn"],
        json!({"Value": {"Fn::GetAtt": ["Key", "Arn"]}})
    );
}

#[test]
fn the_same_template_in_json_and_yaml_synthesizes_the_same() {
    let yaml = r#"
Parameters:
  Env: { Type: String }
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub "${Env}-t"
      KmsMasterKeyId: !Ref Env
Outputs:
  Topic: { Value: !GetAtt Topic.TopicArn }
"#;
    let json_text = r#"{
"Parameters": {"Env": {"Type": "String"}},
"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {
  "TopicName": {"Fn::Sub": "${Env}-t"}, "KmsMasterKeyId": {"Ref": "Env"}}}},
"Outputs": {"Topic": {"Value": {"Fn::GetAtt": ["Topic", "TopicArn"]}}}
}"#;
    let (a, s) = app_stack();
    IncludedTemplate::yaml(&s, "T", yaml).unwrap();
    let (b, s) = app_stack();
    IncludedTemplate::json(&s, "T", json_text).unwrap();
    assert_eq!(
        serde_json::to_string(&template_of(&a, "Legacy")).unwrap(),
        serde_json::to_string(&template_of(&b, "Legacy")).unwrap()
    );
}

#[test]
fn an_included_resource_is_referred_to_from_another_stack() {
    let (app, stack) = app_stack();
    let legacy = IncludedTemplate::json(&stack, "Template", TEMPLATE_JSON).unwrap();
    let runtime = Stack::new(&app, "Runtime", env()).unwrap();
    let arn: Value<String> = legacy.resource("Key").unwrap().get_att("Arn");
    Resource::new(
        &runtime,
        "KeyArn",
        ssm::Parameter::new(ssm::parameter::Type::String, arn),
    )
    .unwrap();
    let s = synthesize(&app).unwrap();
    let runtime = s.stacks.iter().find(|s| s.name == "Runtime").unwrap();
    assert_eq!(runtime.dependencies, ["Legacy"]);
    assert_eq!(
        runtime.template["Resources"]["KeyArn"]["Properties"]["Value"],
        json!({"Fn::ImportValue": "Legacy:ExportAttKeyArn"})
    );
}

#[test]
fn a_logical_id_the_stack_already_uses_is_an_error_naming_both() {
    let (app, stack) = app_stack();
    Resource::new(&stack, "Key", kms::Key::default()).unwrap();
    let e = match IncludedTemplate::json(&stack, "Template", TEMPLATE_JSON) {
        Err(e) => e,
        Ok(_) => panic!("the collision must be refused"),
    };
    assert_eq!(
        e,
        CoreError::LogicalIdTaken {
            path: "Legacy/Template/Key".into(),
            logical_id: "Key".into(),
            other: "Legacy/Key".into(),
        }
    );
    assert!(e.to_string().contains("'Legacy/Key'"), "{e}");
    // Nothing of the template was added.
    assert!(IncludedTemplate::json(&stack, "Template", "{}").is_ok());
    drop(app);

    // An element added after the include that takes one of its ids is found by synth.
    let (app, stack) = app_stack();
    IncludedTemplate::json(&stack, "Template", TEMPLATE_JSON).unwrap();
    Resource::new(&stack, "Topic", kms::Key::default()).unwrap();
    let d = errors(&app);
    let e = d.find("logical-id-collision").expect("reported");
    assert_eq!(e.path, "Legacy/Topic");
    assert!(e.message.contains("Legacy/Template/Topic"), "{e}");
}

#[test]
fn malformed_text_is_an_error_with_its_line_and_column() {
    let (_app, stack) = app_stack();
    let e =
        IncludedTemplate::json(&stack, "T", "{\n  \"Resources\": {\n    \"A\": }\n}").unwrap_err();
    let CoreError::TemplateSyntax {
        path,
        format,
        line,
        column,
        ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(
        (path.as_str(), *format, *line, *column),
        ("Legacy/T", "JSON", 3, 10)
    );
    assert!(
        e.to_string().starts_with(
            "Legacy/T: the JSON template does not parse at line 3, column 10: expected value"
        ),
        "{e}"
    );

    let e = IncludedTemplate::yaml(
        &stack,
        "T",
        "Resources:\n  A:\n    Type: AWS::SNS::Topic\n   Properties: {}\n",
    )
    .unwrap_err();
    let CoreError::TemplateSyntax { format, line, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!((*format, *line), ("YAML", 4), "{e}");

    let e =
        IncludedTemplate::yaml(&stack, "T", "Resources:\n  A:\n    Type: !Reff X\n").unwrap_err();
    let CoreError::TemplateSyntax {
        line,
        column,
        message,
        ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!((*line, *column), (3, 11), "{e}");
    assert!(
        message.contains("'!Reff' is not a CloudFormation short form"),
        "{e}"
    );
}

#[test]
fn what_cloudformation_would_refuse_is_an_error_before_anything_is_added() {
    let (_app, stack) = app_stack();
    let invalid = |text: &str| match IncludedTemplate::yaml(&stack, "T", text) {
        Err(e) => e,
        Ok(_) => panic!("{text} must be refused"),
    };
    let e = invalid("Resources:\n  Topic:\n    Type: AWS::SNS::Topik\n");
    assert_eq!(
        e,
        CoreError::UnknownResourceType {
            path: "Legacy/T/Topic".into(),
            type_name: "AWS::SNS::Topik".into(),
            suggestion: Some("AWS::SNS::Topic".into()),
        }
    );
    let e = invalid("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    DependsOn: Nope\n");
    assert!(
        matches!(&e, CoreError::InvalidTemplate { at, .. } if at == "Resources.Topic.DependsOn"),
        "{e}"
    );
    let e = invalid("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    DeletionPolicy: Keep\n");
    assert_eq!(
        e.to_string(),
        "Legacy/T: in the included template, Resources.Topic.DeletionPolicy is \"Keep\", which is not a policy; use Delete, Retain, RetainExceptOnCreate or Snapshot"
    );
    let e = invalid("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Propertes: {}\n");
    assert!(
        matches!(&e, CoreError::InvalidTemplate { at, .. } if at == "Resources.Topic.Propertes"),
        "{e}"
    );
    let e = invalid("Transform: AWS::Serverless-2016-10-31\nResources: {}\n");
    assert!(
        matches!(&e, CoreError::InvalidTemplate { at, .. } if at == "Transform"),
        "{e}"
    );
    let e = invalid(
        "Parameters:\n  Topic: { Type: String }\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n",
    );
    assert!(e.to_string().contains("one namespace"), "{e}");
    // None of the refused templates left a construct behind.
    assert!(IncludedTemplate::yaml(&stack, "T", "Resources: {}").is_ok());
}

#[test]
fn references_inside_an_included_template_are_checked_by_synth() {
    let (app, stack) = app_stack();
    let legacy = IncludedTemplate::yaml(
        &stack,
        "T",
        r#"
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub "${Missing}-t"
      KmsMasterKeyId: !GetAtt Topic.Arn
      DisplayName: !Ref Gone
      Tracingconfig: Active
"#,
    )
    .unwrap();
    assert!(
        legacy
            .resource("Topics")
            .unwrap_err()
            .to_string()
            .contains("did you mean 'Topic'?")
    );
    let d = errors(&app);
    let found: Vec<(&str, &str)> = d.errors().map(|e| (e.code, e.path.as_str())).collect();
    assert_eq!(
        found,
        [
            ("unknown-property", "Legacy/T/Topic"),
            ("unknown-reference", "Legacy/T/Topic"),
            ("unknown-attribute", "Legacy/T/Topic"),
            ("unknown-reference", "Legacy/T/Topic"),
            ("reference-cycle", "Legacy/T/Topic"),
        ],
        "{d}"
    );
}
