//! `ImageRepository`: scan on push, immutable tags, the lifecycle policy, KMS encryption,
//! the handle (URI, tags), pull and push grants, the snapshot and every construction
//! error.

use serde_json::{Value as Json, json};
use stackwright_assertions::{Matcher, Template};
use stackwright_constructs::ecr::{ImageRepository, ImageRepositoryProps};
use stackwright_constructs::iam::{Role, RoleProps};
use stackwright_constructs::key::{Key, KeyProps};
use stackwright_constructs::{ConstructError, PropProblem};
use stackwright_core::{App, Env, Stack};

fn stack(app: &App) -> Stack {
    Stack::new(app, "Test", Env::new("123456789012", "us-east-1")).unwrap()
}

fn get_att(id: &str, attr: &str) -> Json {
    json!({ "Fn::GetAtt": [id, attr] })
}

/// The path and prop problems of a refused construct, failing the test on anything else.
fn invalid<T>(result: Result<T, ConstructError>) -> (String, Vec<PropProblem>) {
    match result.err().expect("should be refused") {
        ConstructError::InvalidProps { path, problems } => (path, problems),
        other => panic!("expected an InvalidProps error, got {other:?}"),
    }
}

fn built(props: ImageRepositoryProps) -> (Stack, ImageRepository) {
    let app = App::new();
    let s = stack(&app);
    let repo = ImageRepository::new(&s, "Images", props).unwrap();
    (s, repo)
}

fn template(props: ImageRepositoryProps) -> Template {
    Template::from_stack(&built(props).0)
}

fn errors(props: ImageRepositoryProps) -> (String, Vec<PropProblem>) {
    let app = App::new();
    invalid(ImageRepository::new(&stack(&app), "Images", props))
}

/// The one problem of a refused repository, failing the test when there are more.
fn error(props: ImageRepositoryProps) -> (String, PropProblem) {
    let (path, mut problems) = errors(props);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    (path, problems.remove(0))
}

/// The lifecycle policy of the one repository, parsed.
fn lifecycle(t: &Template) -> Json {
    let text =
        t.json()["Resources"]["Images"]["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"]
            .as_str()
            .expect("the lifecycle policy is JSON text")
            .to_string();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn production_scans_on_push_keeps_tags_immutable_and_encrypts_with_its_own_key() {
    let t = template(ImageRepositoryProps::production());
    t.resource_count_is("AWS::ECR::Repository", 1);
    t.has_resource(
        "AWS::ECR::Repository",
        json!({
            "Properties": {
                "ImageScanningConfiguration": { "ScanOnPush": true },
                "ImageTagMutability": "IMMUTABLE",
                "EncryptionConfiguration": {
                    "EncryptionType": "KMS",
                    "KmsKey": get_att("ImagesKey", "Arn"),
                },
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        }),
    );
    t.has_resource_properties(
        "AWS::ECR::Repository",
        Matcher::object([
            ("RepositoryName", Matcher::absent()),
            ("RepositoryPolicyText", Matcher::absent()),
        ]),
    );
    t.has_resource(
        "AWS::KMS::Key",
        json!({
            "Properties": { "EnableKeyRotation": true, "Description": "Container images at rest" },
            "DeletionPolicy": "Retain",
        }),
    );
}

#[test]
fn the_lifecycle_policy_keeps_the_last_10_images() {
    let t = template(ImageRepositoryProps::production());
    assert_eq!(
        lifecycle(&t),
        json!({ "rules": [{
            "rulePriority": 1,
            "description": "Keep the last 10 images",
            "selection": { "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10 },
            "action": { "type": "expire" },
        }]})
    );
    let t = template(ImageRepositoryProps {
        keep_last_images: 30,
        ..ImageRepositoryProps::production()
    });
    assert_eq!(lifecycle(&t)["rules"][0]["selection"]["countNumber"], 30);
}

#[test]
fn staging_is_deleted_with_its_stack_and_its_key_sooner() {
    let t = template(ImageRepositoryProps::staging());
    t.has_resource(
        "AWS::ECR::Repository",
        json!({ "DeletionPolicy": "Delete", "Properties": { "ImageTagMutability": "IMMUTABLE" } }),
    );
    t.has_resource(
        "AWS::KMS::Key",
        json!({ "Properties": { "PendingWindowInDays": 7 }, "DeletionPolicy": "Delete" }),
    );
}

#[test]
fn a_name_and_a_key_of_the_callers_are_used() {
    let app = App::new();
    let s = stack(&app);
    let key = Key::new(&s, "SharedKey", KeyProps::production()).unwrap();
    let repo = ImageRepository::new(
        &s,
        "Images",
        ImageRepositoryProps {
            key: Some(key.clone()),
            ..ImageRepositoryProps::production().with_name("demo/api")
        },
    )
    .unwrap();
    assert_eq!(repo.key(), &key);
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::KMS::Key", 1);
    t.has_resource_properties(
        "AWS::ECR::Repository",
        json!({
            "RepositoryName": "demo/api",
            "EncryptionConfiguration": { "KmsKey": get_att("SharedKey", "Arn") },
        }),
    );
}

#[test]
fn uris_are_tokens_of_the_repository() {
    let (s, repo) = built(ImageRepositoryProps::production());
    stackwright_core::Output::new(&s, "Uri", repo.repository_uri()).unwrap();
    stackwright_core::Output::new(&s, "Tagged", repo.uri_for_tag("v1.4.2")).unwrap();
    stackwright_core::Output::new(&s, "Name", repo.repository_name()).unwrap();
    stackwright_core::Output::new(&s, "Arn", repo.arn()).unwrap();
    let t = Template::from_stack(&s);
    t.has_output(
        "Uri",
        json!({ "Value": get_att("Images", "RepositoryUri") }),
    );
    t.has_output(
        "Tagged",
        json!({ "Value": { "Fn::Sub": "${Images.RepositoryUri}:v1.4.2" } }),
    );
    t.has_output("Name", json!({ "Value": { "Ref": "Images" } }));
    t.has_output("Arn", json!({ "Value": get_att("Images", "Arn") }));
}

#[test]
fn grant_pull_reads_layers_of_this_repository_and_logs_in_to_the_registry() {
    let (s, repo) = built(ImageRepositoryProps::production());
    let role = Role::new(
        &s,
        "Puller",
        RoleProps::for_service("ecs-tasks.amazonaws.com"),
    )
    .unwrap();
    repo.grant_pull(&role).unwrap();
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": "Puller" }],
            "PolicyDocument": { "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                    "Resource": get_att("Images", "Arn"),
                },
                { "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*" },
            ]},
        }),
    );
}

#[test]
fn grant_push_uploads_layers_to_this_repository_only() {
    let (s, repo) = built(ImageRepositoryProps::production());
    let role = Role::new(&s, "Ci", RoleProps::for_service("codebuild.amazonaws.com")).unwrap();
    repo.grant_push(&role).unwrap();
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": "Ci" }],
            "PolicyDocument": { "Statement": [
                {
                    "Action": [
                        "ecr:BatchCheckLayerAvailability",
                        "ecr:CompleteLayerUpload",
                        "ecr:InitiateLayerUpload",
                        "ecr:PutImage",
                        "ecr:UploadLayerPart",
                    ],
                    "Resource": get_att("Images", "Arn"),
                },
                { "Action": "ecr:GetAuthorizationToken", "Resource": "*" },
            ]},
        }),
    );
}

#[test]
fn scanning_and_immutability_can_be_turned_off_explicitly() {
    let t = template(ImageRepositoryProps {
        scan_on_push: false,
        immutable_tags: false,
        ..ImageRepositoryProps::production()
    });
    t.has_resource_properties(
        "AWS::ECR::Repository",
        json!({
            "ImageScanningConfiguration": { "ScanOnPush": false },
            "ImageTagMutability": "MUTABLE",
        }),
    );
}

#[test]
fn the_escape_hatch_reaches_the_l1_repository() {
    let (s, repo) = built(ImageRepositoryProps::production());
    repo.resource()
        .edit(|r| r.empty_on_delete = Some(true.into()));
    let t = Template::from_stack(&s);
    t.has_resource_properties("AWS::ECR::Repository", json!({ "EmptyOnDelete": true }));
}

#[test]
fn snapshot_ecr_production() {
    let (s, _repo) = built(ImageRepositoryProps::production().with_name("demo/api"));
    let app = App::of(&s);
    insta::assert_snapshot!(
        "ecr_production",
        stackwright_synth::synthesize(&app).unwrap().bodies[0].clone()
    );
}

#[test]
fn a_repository_name_ecr_refuses_is_refused() {
    for name in ["Demo/API", "x", "demo//api", "-demo"] {
        let (path, p) = error(ImageRepositoryProps::production().with_name(name));
        assert_eq!(path, "Test/Images");
        assert_eq!(p.prop, "repository_name");
        assert_eq!(p.value, format!("'{name}'"));
        assert_eq!(p.message, "not a valid ECR repository name");
        assert!(
            p.fix.contains("lowercase") && p.fix.contains("team/service"),
            "{p}"
        );
    }
}

#[test]
fn keeping_no_images_is_refused() {
    let (path, p) = error(ImageRepositoryProps {
        keep_last_images: 0,
        ..ImageRepositoryProps::production()
    });
    assert_eq!(path, "Test/Images");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("keep_last_images", "0")
    );
    assert!(p.message.contains("1 to 1000 images"), "{p}");
    assert!(
        p.fix.contains("1 to 1000") && p.fix.contains("rollbacks"),
        "{p}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let (_, problems) = errors(ImageRepositoryProps {
        keep_last_images: 0,
        ..ImageRepositoryProps::production().with_name("Bad")
    });
    let found: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.prop.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(
        found,
        [("repository_name", "'Bad'"), ("keep_last_images", "0")]
    );
}
