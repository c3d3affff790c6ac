//! `Key` and `Secret`: rotation, deletion window and policy of keys, key policy statements,
//! generated (never literal) secret values, rotation schedules, grants, dynamic references,
//! snapshots and construction errors.

use serde_json::{Value as Json, json};
use stackwright_assertions::{Matcher, Template};
use stackwright_constructs::iam::{Role, RoleProps};
use stackwright_constructs::key::{Key, KeyProps};
use stackwright_constructs::secret::{Generate, Rotation, Secret, SecretProps};
use stackwright_constructs::{ConstructError, PropProblem};
use stackwright_core::{App, Env, RemovalPolicy, Resource, Stack, Value};
use stackwright_l1::rds;

fn stack(app: &App) -> Stack {
    Stack::new(app, "Test", Env::new("123456789012", "us-east-1")).unwrap()
}

/// The path and prop problems of a refused construct, failing the test on anything else.
fn invalid<T>(result: Result<T, ConstructError>) -> (String, Vec<PropProblem>) {
    match result.err().expect("should be refused") {
        ConstructError::InvalidProps { path, problems } => (path, problems),
        other => panic!("expected an InvalidProps error, got {other:?}"),
    }
}

/// The one problem of a refused construct, failing the test when there are more.
fn one_problem<T>(result: Result<T, ConstructError>) -> (String, PropProblem) {
    let (path, mut problems) = invalid(result);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    (path, problems.remove(0))
}

fn get_att(id: &str, attr: &str) -> Json {
    json!({ "Fn::GetAtt": [id, attr] })
}

fn root_statement() -> Json {
    json!({
        "Sid": "AccountAdministersAndDelegatesToIam",
        "Effect": "Allow",
        "Principal": { "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } },
        "Action": "kms:*",
        "Resource": "*"
    })
}

/// The statement every key policy has that keeps grants to AWS services (CT.KMS.PR.3).
fn grants_statement() -> Json {
    json!({
        "Sid": "GrantsOnlyForAwsResources",
        "Effect": "Deny",
        "Principal": { "AWS": "*" },
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": { "BoolIfExists": {
            "kms:GrantIsForAWSResource": "false",
            "aws:PrincipalIsAWSService": "false"
        } }
    })
}

fn role(s: &Stack) -> Role {
    Role::new(s, "AppRole", RoleProps::for_service("ec2.amazonaws.com")).unwrap()
}

// ---------------------------------------------------------------------------------------
// Key
// ---------------------------------------------------------------------------------------

#[test]
fn a_production_key_rotates_waits_30_days_and_is_retained() {
    let app = App::new();
    let s = stack(&app);
    let key = Key::new(&s, "DataKey", KeyProps::production()).unwrap();
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::KMS::Key", 1);
    t.resource_count_is("AWS::KMS::Alias", 0);
    t.has_resource(
        "AWS::KMS::Key",
        Matcher::exact(json!({
            "Type": "AWS::KMS::Key",
            "Properties": {
                "Description": "Test/DataKey",
                "EnableKeyRotation": true,
                "KeyPolicy": { "Version": "2012-10-17", "Statement": [root_statement(), grants_statement()] },
                "PendingWindowInDays": 30
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain"
        })),
    );
    assert_eq!(KeyProps::default(), KeyProps::production());
    assert_eq!(format!("{key:?}"), "Key(Test/DataKey)");
    assert_eq!(key.key_id(), key.resource().ref_());
}

#[test]
fn a_staging_key_waits_7_days_and_goes_with_its_stack() {
    let app = App::new();
    let s = stack(&app);
    Key::new(&s, "DataKey", KeyProps::staging()).unwrap();
    let t = Template::from_stack(&s);
    t.has_resource(
        "AWS::KMS::Key",
        json!({
            "Properties": { "EnableKeyRotation": true, "PendingWindowInDays": 7 },
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete"
        }),
    );
}

#[test]
fn a_key_takes_an_alias_and_a_description() {
    let app = App::new();
    let s = stack(&app);
    Key::new(
        &s,
        "DataKey",
        KeyProps::production()
            .with_alias("alias/demo-production-db")
            .with_description("Database storage"),
    )
    .unwrap();
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::KMS::Key",
        json!({ "Description": "Database storage" }),
    );
    t.has_resource_properties(
        "AWS::KMS::Alias",
        Matcher::exact(json!({
            "AliasName": "alias/demo-production-db",
            "TargetKeyId": { "Ref": "DataKey" }
        })),
    );
}

#[test]
fn rotation_can_be_turned_off_explicitly() {
    let app = App::new();
    let s = stack(&app);
    Key::new(
        &s,
        "DataKey",
        KeyProps {
            enable_rotation: false,
            ..KeyProps::production()
        },
    )
    .unwrap();
    Template::from_stack(&s)
        .has_resource_properties("AWS::KMS::Key", json!({ "EnableKeyRotation": false }));
}

#[test]
fn allow_cloudwatch_logs_adds_one_scoped_statement() {
    let app = App::new();
    let s = stack(&app);
    let key = Key::new(&s, "LogKey", KeyProps::production()).unwrap();
    key.allow_cloudwatch_logs();
    key.allow_cloudwatch_logs();
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::KMS::Key",
        Matcher::from(json!({})).with(
            "/KeyPolicy/Statement",
            Matcher::exact(json!([
                root_statement(),
                grants_statement(),
                {
                    "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                    "Effect": "Allow",
                    "Principal": { "Service": { "Fn::Sub": "logs.${AWS::Region}.amazonaws.com" } },
                    "Action": [
                        "kms:Encrypt*",
                        "kms:Decrypt*",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:Describe*"
                    ],
                    "Resource": "*",
                    "Condition": { "ArnLike": { "kms:EncryptionContext:aws:logs:arn": {
                        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
                    }}}
                }
            ])),
        ),
    );
}

#[test]
fn grant_encrypt_decrypt_goes_to_the_grantees_policy_scoped_to_the_key() {
    let app = App::new();
    let s = stack(&app);
    let key = Key::new(&s, "DataKey", KeyProps::production()).unwrap();
    let r = role(&s);
    key.grant_encrypt_decrypt(&r).unwrap();
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::IAM::Policy",
        Matcher::from(json!({ "Roles": [{ "Ref": "AppRole" }] })).with(
            "/PolicyDocument/Statement",
            Matcher::exact(json!([{
                "Effect": "Allow",
                "Action": [
                    "kms:Decrypt",
                    "kms:Encrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey"
                ],
                "Resource": get_att("DataKey", "Arn")
            }])),
        ),
    );
    // The key policy is untouched: the grant is an IAM statement.
    t.has_resource_properties(
        "AWS::KMS::Key",
        Matcher::from(json!({})).with(
            "/KeyPolicy/Statement",
            Matcher::exact(json!([root_statement(), grants_statement()])),
        ),
    );
}

#[test]
fn a_pending_window_outside_7_to_30_days_is_refused() {
    for days in [3, 6, 31] {
        let app = App::new();
        let s = stack(&app);
        let (path, p) = one_problem(Key::new(
            &s,
            "DataKey",
            KeyProps {
                pending_window_days: days,
                ..KeyProps::production()
            },
        ));
        assert_eq!(path, "Test/DataKey");
        assert_eq!(p.prop, "pending_window_days");
        assert_eq!(p.value, days.to_string());
        assert!(p.message.contains("7 to 30 days"), "{p}");
        assert!(p.fix.contains("7 to 30 days"), "{p}");
    }
}

#[test]
fn an_alias_without_the_alias_prefix_is_refused() {
    for bad in ["demo-db", "alias/", "alias/aws/demo", "Alias/demo"] {
        let app = App::new();
        let s = stack(&app);
        let (path, p) = one_problem(Key::new(
            &s,
            "DataKey",
            KeyProps::production().with_alias(bad),
        ));
        assert_eq!(path, "Test/DataKey");
        assert_eq!(p.prop, "alias");
        assert_eq!(p.value, format!("'{bad}'"));
        assert!(p.message.contains("alias name"), "{p}");
        assert!(
            p.fix.contains("'alias/'") && p.fix.contains("'alias/aws/'"),
            "{p}"
        );
    }
}

#[test]
fn key_problems_are_reported_together() {
    let app = App::new();
    let s = stack(&app);
    let err = Key::new(
        &s,
        "DataKey",
        KeyProps {
            pending_window_days: 3,
            ..KeyProps::production().with_alias("demo")
        },
    )
    .err()
    .unwrap();
    let (_, problems) = invalid::<()>(Err(err.clone()));
    let found: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.prop.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(found, [("pending_window_days", "3"), ("alias", "'demo'")]);
    assert_eq!(err.problem("alias"), Some(&problems[1]));
    assert_eq!(
        err.to_string(),
        "Test/DataKey: 2 invalid props\n  \
         - pending_window_days = 3: KMS waits 7 to 30 days before deleting a key; \
         use a window of 7 to 30 days\n  \
         - alias = 'demo': not a usable alias name; \
         start it with 'alias/' (not 'alias/aws/', which AWS reserves)"
    );
    // Nothing was added.
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::KMS::Key", 0);
}

// ---------------------------------------------------------------------------------------
// Secret
// ---------------------------------------------------------------------------------------

fn key_and_secret(props: SecretProps) -> (App, Stack, Key, Secret) {
    let app = App::new();
    let s = stack(&app);
    let key = Key::new(&s, "Key", KeyProps::production()).unwrap();
    let secret = Secret::new(&s, "AppSecret", &key, props).unwrap();
    (app, s, key, secret)
}

#[test]
fn a_secret_is_generated_by_secrets_manager_and_encrypted_with_the_key() {
    let (_app, s, _key, secret) = key_and_secret(SecretProps::default());
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::SecretsManager::Secret", 1);
    t.has_resource(
        "AWS::SecretsManager::Secret",
        Matcher::exact(json!({
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Description": "Test/AppSecret",
                "GenerateSecretString": {
                    "ExcludeCharacters": "\"@/\\ ",
                    "PasswordLength": 32
                },
                "KmsKeyId": get_att("Key", "Arn")
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain"
        })),
    );
    t.all_resources_properties(
        "AWS::SecretsManager::Secret",
        Matcher::object([("SecretString", Matcher::absent())]),
    );
    t.resource_count_is("AWS::SecretsManager::RotationSchedule", 0);
    assert_eq!(secret.arn(), secret.resource().unwrap().ref_());
    assert_eq!(format!("{secret:?}"), "Secret(Test/AppSecret)");
}

#[test]
fn a_json_secret_generates_one_field_under_a_fixed_template() {
    let (_app, s, _key, _secret) = key_and_secret(SecretProps {
        description: Some("Demo database user".into()),
        generate: Generate {
            length: 40,
            exclude_punctuation: true,
            json: Some((r#"{"username":"demo"}"#.into(), "password".into())),
            ..Generate::default()
        },
        removal_policy: RemovalPolicy::Delete,
        ..SecretProps::default()
    });
    let t = Template::from_stack(&s);
    t.has_resource(
        "AWS::SecretsManager::Secret",
        json!({
            "Properties": {
                "Description": "Demo database user",
                "GenerateSecretString": {
                    "PasswordLength": 40,
                    "ExcludePunctuation": true,
                    "SecretStringTemplate": "{\"username\":\"demo\"}",
                    "GenerateStringKey": "password"
                }
            },
            "DeletionPolicy": "Delete"
        }),
    );
}

#[test]
fn rotation_adds_a_schedule_when_asked() {
    let (_app, s, _key, _secret) = key_and_secret(SecretProps {
        rotation: Some(Rotation {
            lambda_arn: Value::from("arn:aws:lambda:us-east-1:123456789012:function:rotate"),
            after_days: 30,
        }),
        ..SecretProps::default()
    });
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::SecretsManager::RotationSchedule", 1);
    t.has_resource_properties(
        "AWS::SecretsManager::RotationSchedule",
        Matcher::exact(json!({
            "RotationLambdaARN": "arn:aws:lambda:us-east-1:123456789012:function:rotate",
            "RotationRules": { "AutomaticallyAfterDays": 30 },
            "SecretId": { "Ref": "AppSecret" }
        })),
    );
}

#[test]
fn grant_read_adds_secret_and_decrypt_statements_scoped_to_the_arns() {
    let (_app, s, _key, secret) = key_and_secret(SecretProps::default());
    let r = role(&s);
    secret.grant_read(&r).unwrap();
    secret.grant_read(&r).unwrap();
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::IAM::Policy", 1);
    t.has_resource_properties(
        "AWS::IAM::Policy",
        Matcher::exact(json!({
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                        "Resource": { "Ref": "AppSecret" }
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["kms:Decrypt", "kms:DescribeKey"],
                        "Resource": get_att("Key", "Arn")
                    }
                ]
            },
            "PolicyName": "DefaultPolicy",
            "Roles": [{ "Ref": "AppRole" }]
        })),
    );
}

#[test]
fn an_imported_secret_without_a_key_grants_only_the_secret() {
    let app = App::new();
    let s = stack(&app);
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared-AbCdEf";
    let secret = Secret::from_arn(Value::from(arn), None);
    assert!(secret.resource().is_none());
    let r = role(&s);
    secret.grant_read(&r).unwrap();
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::SecretsManager::Secret", 0);
    t.has_resource_properties(
        "AWS::IAM::Policy",
        Matcher::from(json!({})).with(
            "/PolicyDocument/Statement",
            Matcher::exact(json!([{
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                "Resource": arn
            }])),
        ),
    );
}

#[test]
fn value_ref_is_a_dynamic_reference_never_the_value() {
    let (_app, s, _key, secret) = key_and_secret(SecretProps::default());
    Resource::new(
        &s,
        "Cluster",
        rds::DbCluster {
            engine: Some("aurora-postgresql".into()),
            master_username: Some("demo".into()),
            master_user_password: Some(secret.value_ref(Some("password"))),
            ..Default::default()
        },
    )
    .unwrap();
    Resource::new(
        &s,
        "Other",
        rds::DbCluster {
            engine: Some("aurora-postgresql".into()),
            master_username: Some("demo".into()),
            master_user_password: Some(secret.value_ref(None)),
            ..Default::default()
        },
    )
    .unwrap();
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::RDS::DBCluster",
        json!({ "MasterUserPassword": {
            "Fn::Sub": "{{resolve:secretsmanager:${AppSecret}:SecretString:password}}"
        }}),
    );
    t.has_resource_properties(
        "AWS::RDS::DBCluster",
        json!({ "MasterUserPassword": {
            "Fn::Sub": "{{resolve:secretsmanager:${AppSecret}:SecretString}}"
        }}),
    );
}

#[test]
fn a_short_generated_value_is_refused() {
    let app = App::new();
    let s = stack(&app);
    let key = Key::new(&s, "Key", KeyProps::production()).unwrap();
    let (path, p) = one_problem(Secret::new(
        &s,
        "Weak",
        &key,
        SecretProps {
            generate: Generate {
                length: 12,
                ..Generate::default()
            },
            ..SecretProps::default()
        },
    ));
    assert_eq!(path, "Test/Weak");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("generate.length", "12")
    );
    assert!(p.message.contains("20 characters"), "{p}");
    assert!(p.fix.contains("at least 20"), "{p}");
}

#[test]
fn a_rotation_period_outside_1_to_1000_days_is_refused_with_other_problems() {
    let app = App::new();
    let s = stack(&app);
    let key = Key::new(&s, "Key", KeyProps::production()).unwrap();
    let (path, problems) = invalid(Secret::new(
        &s,
        "Rotated",
        &key,
        SecretProps {
            generate: Generate {
                length: 5000,
                ..Generate::default()
            },
            rotation: Some(Rotation {
                lambda_arn: Value::from("arn:aws:lambda:us-east-1:123456789012:function:rotate"),
                after_days: 0,
            }),
            ..SecretProps::default()
        },
    ));
    assert_eq!(path, "Test/Rotated");
    let found: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.prop.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(
        found,
        [("generate.length", "5000"), ("rotation.after_days", "0")]
    );
    assert!(
        problems[0].message.contains("at most 4096"),
        "{}",
        problems[0]
    );
    assert!(problems[1].fix.contains("1 to 1000"), "{}", problems[1]);
}

// ---------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------

fn key_snapshot(props: KeyProps) -> String {
    let app = App::new();
    let s = stack(&app);
    let key = Key::new(&s, "DataKey", props.with_alias("alias/demo-data")).unwrap();
    key.allow_cloudwatch_logs();
    stackwright_synth::synthesize(&app).unwrap().bodies[0].clone()
}

#[test]
fn snapshot_key_production() {
    insta::assert_snapshot!("key_production", key_snapshot(KeyProps::production()));
}

#[test]
fn snapshot_key_staging() {
    insta::assert_snapshot!("key_staging", key_snapshot(KeyProps::staging()));
}

#[test]
fn snapshot_secret_with_rotation_and_grant() {
    let (app, s, _key, secret) = key_and_secret(SecretProps {
        description: Some("Demo SECRET_KEY".into()),
        generate: Generate {
            length: 64,
            exclude_punctuation: true,
            ..Generate::default()
        },
        rotation: Some(Rotation {
            lambda_arn: Value::from("arn:aws:lambda:us-east-1:123456789012:function:rotate"),
            after_days: 30,
        }),
        ..SecretProps::default()
    });
    secret.grant_read(&role(&s)).unwrap();
    let body = stackwright_synth::synthesize(&app).unwrap().bodies[0].clone();
    insta::assert_snapshot!("secret_with_rotation_and_grant", body);
}
