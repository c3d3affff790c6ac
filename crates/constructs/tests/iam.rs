//! `Role`, `PolicyStatement`, `PolicyDocument` and grants: trust policies, the grants
//! policy, statement rendering, and least privilege across everything the constructs write.

use serde_json::{Value as Json, json};
use stackwright_assertions::{Matcher, Template};
use stackwright_constructs::cache::{RedisCache, RedisCacheProps};
use stackwright_constructs::database::{PostgresDb, PostgresDbProps};
use stackwright_constructs::iam::{
    Grantable, PolicyDocument, PolicyStatement, Principal, Role, RoleProps, aws_managed_policy,
};
use stackwright_constructs::key::{Key, KeyProps};
use stackwright_constructs::secret::{Secret, SecretProps};
use stackwright_constructs::vpc::{InterfaceEndpoint, Vpc, VpcProps};
use stackwright_core::{App, Env, Expr, Output, Stack, Value};

fn stack(app: &App) -> Stack {
    Stack::new(app, "Test", Env::new("123456789012", "us-east-1")).unwrap()
}

fn role(s: &Stack) -> Role {
    Role::new(s, "AppRole", RoleProps::for_service("ec2.amazonaws.com")).unwrap()
}

fn statements(t: &Template) -> Json {
    let policies = t.find_resources("AWS::IAM::Policy", Matcher::any_value());
    assert_eq!(policies.len(), 1, "one grants policy: {policies:?}");
    policies.values().next().unwrap()["Properties"]["PolicyDocument"]["Statement"].clone()
}

#[test]
fn a_role_trusts_its_service_and_has_no_policy_until_granted() {
    let app = App::new();
    let s = stack(&app);
    let r = Role::new(
        &s,
        "AppRole",
        RoleProps {
            description: Some("The application fleet".into()),
            ..RoleProps::for_service("ec2.amazonaws.com")
        },
    )
    .unwrap();
    assert!(r.default_policy().is_none());
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::IAM::Policy", 0);
    t.has_resource_properties(
        "AWS::IAM::Role",
        Matcher::exact(json!({
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "ec2.amazonaws.com" },
                    "Action": "sts:AssumeRole"
                }]
            },
            "Description": "The application fleet"
        })),
    );
}

#[test]
fn name_and_arn_are_ref_and_getatt() {
    let app = App::new();
    let s = stack(&app);
    let r = role(&s);
    Output::new(&s, "Name", r.name()).unwrap();
    Output::new(&s, "Arn", r.arn()).unwrap();
    let t = Template::from_stack(&s);
    t.has_output("Name", json!({ "Value": { "Ref": "AppRole" } }));
    t.has_output(
        "Arn",
        json!({ "Value": { "Fn::GetAtt": ["AppRole", "Arn"] } }),
    );
}

#[test]
fn managed_policies_are_in_the_stacks_partition() {
    let app = App::new();
    let s = stack(&app);
    Role::new(
        &s,
        "Instance",
        RoleProps {
            managed_policy_arns: vec![aws_managed_policy("AmazonSSMManagedInstanceCore")],
            ..RoleProps::for_service("ec2.amazonaws.com")
        },
    )
    .unwrap();
    Template::from_stack(&s).has_resource_properties(
        "AWS::IAM::Role",
        json!({ "ManagedPolicyArns": [{
            "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
        }]}),
    );
}

#[test]
fn grants_gather_in_one_default_policy_without_repeats() {
    let app = App::new();
    let s = stack(&app);
    let r = role(&s);
    let param = Value::from("arn:aws:ssm:us-east-1:123456789012:parameter/demo/app");
    r.grant(PolicyStatement::allow(
        &["ssm:GetParameter"],
        vec![param.clone()],
    ))
    .unwrap();
    r.grant(PolicyStatement::allow(
        &["ssm:GetParameter"],
        vec![param.clone()],
    ))
    .unwrap();
    r.grant(PolicyStatement::allow(
        &["s3:GetObject", "s3:PutObject"],
        vec![
            Value::from("arn:aws:s3:::demo-uploads/*"),
            Value::from("arn:aws:s3:::demo-exports/*"),
        ],
    ))
    .unwrap();
    assert!(r.default_policy().is_some());
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
                        "Action": "ssm:GetParameter",
                        "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/demo/app"
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:PutObject"],
                        "Resource": ["arn:aws:s3:::demo-uploads/*", "arn:aws:s3:::demo-exports/*"]
                    }
                ]
            },
            "PolicyName": "DefaultPolicy",
            "Roles": [{ "Ref": "AppRole" }]
        })),
    );
}

#[test]
fn statements_render_sid_deny_principal_and_condition() {
    let app = App::new();
    let s = stack(&app);
    let r = role(&s);
    r.grant(
        PolicyStatement::deny(
            &["s3:DeleteObject"],
            vec![Value::from("arn:aws:s3:::demo-uploads/*")],
        )
        .with_sid("NeverDeleteUploads")
        .with_condition(Expr::object([(
            "Bool",
            Expr::object([("aws:MultiFactorAuthPresent", Expr::str("false"))]),
        )])),
    )
    .unwrap();
    let t = Template::from_stack(&s);
    assert_eq!(
        statements(&t),
        json!([{
            "Sid": "NeverDeleteUploads",
            "Effect": "Deny",
            "Action": "s3:DeleteObject",
            "Resource": "arn:aws:s3:::demo-uploads/*",
            "Condition": { "Bool": { "aws:MultiFactorAuthPresent": "false" } }
        }])
    );
}

#[test]
fn a_policy_document_adds_each_statement_once() {
    let mut doc = PolicyDocument::default();
    let statement = PolicyStatement::allow(
        &["kms:Decrypt"],
        vec![Value::from("arn:aws:kms:us-east-1:123456789012:key/1")],
    )
    .with_principal(Principal::service("logs.amazonaws.com"));
    doc.add(statement.clone());
    doc.add(statement.clone());
    doc.add(statement.clone().with_sid("Other"));
    assert_eq!(doc.statements.len(), 2);
    assert_eq!(
        PolicyDocument::new(vec![statement.clone()]).statements,
        vec![statement]
    );
}

#[test]
fn account_root_is_the_partition_aware_root_arn() {
    let app = App::new();
    let s = stack(&app);
    let key = Key::new(&s, "Key", KeyProps::production()).unwrap();
    key.add_to_key_policy(
        PolicyStatement::allow(&["kms:Decrypt"], vec![Value::from("*")])
            .with_sid("RootAgain")
            .with_principal(Principal::account_root()),
    );
    Template::from_stack(&s).has_resource_properties(
        "AWS::KMS::Key",
        Matcher::from(json!({})).with(
            "/KeyPolicy/Statement",
            Matcher::array_with([json!({
                "Sid": "RootAgain",
                "Principal": { "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" } }
            })]),
        ),
    );
}

/// Every statement of every identity policy the constructs write names its resources,
/// except read-only `Describe*` calls, which take none.
#[test]
fn no_construct_grants_a_wildcard_resource_except_describe_calls() {
    let app = App::new();
    let s = stack(&app);
    let vpc = Vpc::new(
        &s,
        "Network",
        VpcProps {
            interface_endpoints: vec![InterfaceEndpoint::SecretsManager, InterfaceEndpoint::Logs],
            ..VpcProps::production()
        },
    )
    .unwrap();
    let db = PostgresDb::new(&s, "Database", &vpc, PostgresDbProps::production()).unwrap();
    let cache = RedisCache::new(&s, "Cache", &vpc, RedisCacheProps::production()).unwrap();
    let key = Key::new(&s, "AppKey", KeyProps::production()).unwrap();
    let secret = Secret::new(&s, "SecretKey", &key, SecretProps::default()).unwrap();
    let fleet = role(&s);
    db.secret().grant_read(&fleet).unwrap();
    cache.auth_token().grant_read(&fleet).unwrap();
    secret.grant_read(&fleet).unwrap();
    key.grant_encrypt_decrypt(&fleet).unwrap();
    let t = Template::from_stack(&s);
    let policies = t.find_resources("AWS::IAM::Policy", Matcher::any_value());
    assert_eq!(
        policies.len(),
        3,
        "flow logs, default-SG remediation, fleet"
    );
    for (id, body) in &policies {
        for st in body["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
        {
            assert_eq!(st["Effect"], "Allow");
            let resources: Vec<&Json> = match &st["Resource"] {
                Json::Array(v) => v.iter().collect(),
                one => vec![one],
            };
            if resources.iter().any(|r| *r == "*") {
                let actions: Vec<&str> = match &st["Action"] {
                    Json::Array(v) => v.iter().map(|a| a.as_str().unwrap()).collect(),
                    a => vec![a.as_str().unwrap()],
                };
                assert!(
                    actions
                        .iter()
                        .all(|a| a.split(':').nth(1).unwrap().starts_with("Describe")),
                    "{id} grants {actions:?} on *"
                );
            }
            let actions = st["Action"].to_string();
            assert!(
                !actions.contains(":*\""),
                "{id} grants a service wildcard: {actions}"
            );
        }
    }
    // The fleet's policy: exactly the secrets and keys it was granted.
    let fleet_policy =
        &policies["AppRoleDefaultPolicy"]["Properties"]["PolicyDocument"]["Statement"];
    // Three secrets (read + decrypt each) and encrypt/decrypt on the app key.
    assert_eq!(fleet_policy.as_array().unwrap().len(), 7, "{fleet_policy}");
}

#[test]
fn a_grant_names_its_policy_and_can_be_waited_for() {
    use stackwright_core::Resource;
    use stackwright_l1::sns;
    let app = App::new();
    let s = stack(&app);
    let r = role(&s);
    let key = Key::new(&s, "DataKey", KeyProps::production()).unwrap();
    let secret = Secret::new(&s, "Token", &key, SecretProps::default()).unwrap();
    let grant = secret.grant_read(&r).unwrap();
    // The secret's read and its key's decrypt, in the role's one policy.
    assert_eq!(grant.policy().path(), "Test/AppRole/DefaultPolicy");
    let actions: Vec<&str> = grant
        .statements()
        .iter()
        .flat_map(|st| st.actions.iter().map(String::as_str))
        .collect();
    assert_eq!(
        actions,
        [
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
            "kms:Decrypt",
            "kms:DescribeKey"
        ]
    );
    let user = Resource::new(&s, "Consumer", sns::Topic::default()).unwrap();
    grant.apply_before(&user);
    let other = Resource::new(&s, "Other", sns::Topic::default()).unwrap();
    other.add_dependency(&grant);
    let t = Template::from_stack(&s);
    for id in ["Consumer", "Other"] {
        assert_eq!(
            t.json()["Resources"][id]["DependsOn"],
            json!(["AppRoleDefaultPolicy"]),
            "{id}"
        );
    }
}

#[test]
fn a_grant_that_cannot_make_its_policy_is_an_error_not_a_lost_statement() {
    use stackwright_core::Construct;
    let app = App::new();
    let s = stack(&app);
    let r = role(&s);
    // The program took the id the grants policy needs.
    Construct::new(&r, "DefaultPolicy").unwrap();
    let err = r
        .grant(PolicyStatement::allow(
            &["sns:Publish"],
            vec![Value::from("*")],
        ))
        .expect_err("the id is taken");
    assert!(err.to_string().contains("DefaultPolicy"), "{err}");
}

#[test]
fn grants_append_to_the_policy_and_keep_an_edit_of_its_document() {
    let app = App::new();
    let s = stack(&app);
    let r = role(&s);
    let read = |a: &str| PolicyStatement::allow(&[a], vec![Value::from("*")]);
    r.grant(read("s3:GetObject")).unwrap();
    r.grant(read("s3:GetObject")).unwrap(); // identical: not written twice
    let policy = r
        .grant(read("sqs:ReceiveMessage"))
        .unwrap()
        .policy()
        .clone();
    let t = Template::from_stack(&s);
    assert_eq!(
        statements(&t),
        json!([
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*"}
        ])
    );

    // A statement added through the escape hatch survives the next grant.
    policy.edit(|p| {
        let mut doc = p.policy_document.to_json();
        doc["Statement"]
            .as_array_mut()
            .unwrap()
            .push(json!({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}));
        p.policy_document = doc.into();
    });
    r.grant(read("sns:Publish")).unwrap();
    let t = Template::from_stack(&s);
    let actions: Vec<Json> = statements(&t)
        .as_array()
        .unwrap()
        .iter()
        .map(|st| st["Action"].clone())
        .collect();
    assert_eq!(
        actions,
        [
            json!("s3:GetObject"),
            json!("sqs:ReceiveMessage"),
            json!("s3:DeleteObject"),
            json!("sns:Publish")
        ]
    );

    // A document whose shape an edit changed is written again from the grants.
    policy.edit(|p| p.policy_document = json!({"Version": "2012-10-17"}).into());
    r.grant(read("kms:Decrypt")).unwrap();
    let t = Template::from_stack(&s);
    assert_eq!(statements(&t).as_array().unwrap().len(), 4);
}
