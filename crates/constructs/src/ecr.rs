//! ECR image repositories: where the application's container images live.

use stackwright_core::{Construct, RemovalPolicy, Resource, Scope, Value, cfn_format};
use stackwright_l1::ecr;

use crate::error::{ConstructError, Problems, quote};
use crate::iam::{Grant, Grantable, PolicyStatement};
use crate::key::Key;

/// What pulling an image needs on the repository itself.
const PULL_ACTIONS: &[&str] = &[
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
];

/// What pushing an image needs on the repository itself.
const PUSH_ACTIONS: &[&str] = &[
    "ecr:BatchCheckLayerAvailability",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
];

/// Settings of an [`ImageRepository`]. `Default` is [`ImageRepositoryProps::production`].
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRepositoryProps {
    /// The repository name, such as `team/service`. Default: none, so CloudFormation
    /// generates one (a fixed name makes the repository impossible to replace).
    pub repository_name: Option<String>,
    /// How many images the lifecycle policy keeps; older ones expire. Default: 10.
    pub keep_last_images: u32,
    /// Scan every pushed image for known vulnerabilities. Default: on.
    pub scan_on_push: bool,
    /// Refuse to overwrite a tag once pushed, so a tag names one image forever and a
    /// deployed tag cannot change under a running fleet. Default: on.
    pub immutable_tags: bool,
    /// The key the images are encrypted with. Default: a key of the repository's own.
    pub key: Option<Key>,
    /// What happens to the repository (and its images) when the stack lets go of it.
    /// Default: `Retain`: images are release artefacts that rollbacks need.
    pub removal_policy: RemovalPolicy,
}

impl Default for ImageRepositoryProps {
    fn default() -> Self {
        ImageRepositoryProps::production()
    }
}

impl ImageRepositoryProps {
    /// Scan on push, immutable tags, the last 10 images kept, a customer managed key,
    /// retained when the stack lets go of it.
    pub fn production() -> Self {
        ImageRepositoryProps {
            repository_name: None,
            keep_last_images: 10,
            scan_on_push: true,
            immutable_tags: true,
            key: None,
            removal_policy: RemovalPolicy::Retain,
        }
    }

    /// As production, but deleted with its stack (a repository still holding images
    /// cannot be deleted, so CloudFormation stops there rather than lose them).
    pub fn staging() -> Self {
        ImageRepositoryProps {
            removal_policy: RemovalPolicy::Delete,
            ..ImageRepositoryProps::production()
        }
    }

    /// These props with a repository name.
    pub fn with_name(mut self, name: &str) -> Self {
        self.repository_name = Some(name.to_string());
        self
    }
}

/// ECR's rule for repository names: lowercase path segments of letters and digits
/// separated by `.`, `_` or `-`, 2 to 256 characters.
fn is_repository_name(name: &str) -> bool {
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.split(['.', '_', '-']).all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            })
    };
    (2..=256).contains(&name.len()) && name.split('/').all(segment_ok)
}

fn validate(path: &str, props: &ImageRepositoryProps) -> Result<(), ConstructError> {
    let mut p = Problems::new(path);
    if let Some(name) = &props.repository_name {
        p.check(
            is_repository_name(name),
            "repository_name",
            || quote(name),
            "not a valid ECR repository name",
            "use 2 to 256 lowercase letters and digits, in segments separated by '/', \
             with '.', '_' or '-' between words, like team/service",
        );
    }
    p.check(
        (1..=1000).contains(&props.keep_last_images),
        "keep_last_images",
        || props.keep_last_images.to_string(),
        "the lifecycle policy keeps 1 to 1000 images",
        "keep 1 to 1000 images; rollbacks need at least the previous release",
    );
    p.finish()
}

/// The lifecycle policy: expire every image beyond the newest `keep`.
fn lifecycle_policy(keep: u32) -> String {
    serde_json::json!({
        "rules": [{
            "rulePriority": 1,
            "description": format!("Keep the last {keep} images"),
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": keep,
            },
            "action": { "type": "expire" },
        }]
    })
    .to_string()
}

/// A private ECR repository: images scanned on push, tags immutable, the last 10 images
/// kept, encrypted with a customer managed key.
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::ecr::{ImageRepository, ImageRepositoryProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let repo = ImageRepository::new(&stack, "Images", ImageRepositoryProps::production().with_name("team/service")).unwrap();
/// let _image = repo.uri_for_tag("v1.4.2");
/// ```
#[derive(Clone)]
pub struct ImageRepository {
    node: Construct,
    resource: Resource<ecr::Repository>,
    key: Key,
}

impl ImageRepository {
    /// Creates the repository under `scope`.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        props: ImageRepositoryProps,
    ) -> Result<ImageRepository, ConstructError> {
        let node = Construct::new(scope, id)?;
        validate(&node.path(), &props)?;
        let key = Key::given_or_own(
            props.key.as_ref(),
            &node,
            props.removal_policy,
            "Container images at rest",
        )?;
        let resource = Resource::new(
            &node,
            "Resource",
            ecr::Repository {
                repository_name: props.repository_name.as_deref().map(Into::into),
                image_scanning_configuration: Some(ecr::repository::ImageScanningConfiguration {
                    scan_on_push: Some(props.scan_on_push.into()),
                }),
                image_tag_mutability: Some(
                    if props.immutable_tags {
                        ecr::repository::ImageTagMutability::Immutable
                    } else {
                        ecr::repository::ImageTagMutability::Mutable
                    }
                    .into(),
                ),
                encryption_configuration: Some(ecr::repository::EncryptionConfiguration {
                    kms_key: Some(key.arn()),
                    ..ecr::repository::EncryptionConfiguration::new(
                        ecr::repository::EncryptionType::Kms,
                    )
                }),
                lifecycle_policy: Some(ecr::repository::LifecyclePolicy {
                    lifecycle_policy_text: Some(lifecycle_policy(props.keep_last_images).into()),
                    registry_id: None,
                }),
                ..Default::default()
            },
        )?;
        resource.apply_removal_policy(props.removal_policy);
        Ok(ImageRepository {
            node,
            resource,
            key,
        })
    }

    /// The repository ARN.
    pub fn arn(&self) -> Value<String> {
        self.resource.attr_arn()
    }

    /// The repository name (`Ref`).
    pub fn repository_name(&self) -> Value<String> {
        self.resource.ref_()
    }

    /// The repository URI without a tag: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME`.
    pub fn repository_uri(&self) -> Value<String> {
        self.resource.attr_repository_uri()
    }

    /// The URI of one tag of the image: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG`.
    pub fn uri_for_tag(&self, tag: impl Into<Value<String>>) -> Value<String> {
        cfn_format!("{}:{}", self.repository_uri(), tag.into())
    }

    /// The key the images are encrypted with.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The L1 repository, for anything the props do not cover.
    pub fn resource(&self) -> &Resource<ecr::Repository> {
        &self.resource
    }

    /// Lets `grantee` pull images: the layer reads on this repository, and
    /// `ecr:GetAuthorizationToken`, which ECR only grants on `*` (it logs in to the
    /// registry, not to a repository).
    ///
    /// No key permission is needed: ECR decrypts layers through the grant it made on the
    /// key when the repository was created.
    pub fn grant_pull(&self, grantee: &impl Grantable) -> Result<Grant, ConstructError> {
        grant_pull(grantee, self.arn())
    }

    /// Lets `grantee` push images (a CI role): the layer uploads on this repository and
    /// the registry login.
    pub fn grant_push(&self, grantee: &impl Grantable) -> Result<Grant, ConstructError> {
        let push = grantee.grant(PolicyStatement::allow(PUSH_ACTIONS, vec![self.arn()]))?;
        Ok(push.and(grant_login(grantee)?))
    }
}

/// Pull rights on the repository `arn` and the registry login: for repositories this app
/// does not manage as well as for [`ImageRepository`].
pub(crate) fn grant_pull(
    grantee: &impl Grantable,
    arn: Value<String>,
) -> Result<Grant, ConstructError> {
    let pull = grantee.grant(PolicyStatement::allow(PULL_ACTIONS, vec![arn]))?;
    Ok(pull.and(grant_login(grantee)?))
}

/// `ecr:GetAuthorizationToken` takes no resource: it is the registry login.
fn grant_login(grantee: &impl Grantable) -> Result<Grant, ConstructError> {
    grantee.grant(PolicyStatement::allow(
        &["ecr:GetAuthorizationToken"],
        vec![Value::from("*")],
    ))
}

impl std::fmt::Debug for ImageRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ImageRepository({})", self.node.path())
    }
}

/// Two handles are equal when they are the same repository.
impl PartialEq for ImageRepository {
    fn eq(&self, other: &Self) -> bool {
        self.resource.element() == other.resource.element()
    }
}

impl Scope for ImageRepository {
    fn scope_ref(&self) -> (stackwright_core::AppRef, stackwright_core::ElementId) {
        self.node.scope_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_ecr_rules() {
        assert!(is_repository_name("demo/api"));
        assert!(is_repository_name("team.a/api-v2_x"));
        assert!(!is_repository_name("Demo"));
        assert!(!is_repository_name("a"));
        assert!(!is_repository_name("demo//api"));
        assert!(!is_repository_name("demo/-api"));
    }

    #[test]
    fn the_lifecycle_policy_keeps_the_newest_images() {
        let policy: serde_json::Value = serde_json::from_str(&lifecycle_policy(10)).unwrap();
        assert_eq!(policy["rules"][0]["selection"]["countNumber"], 10);
        assert_eq!(
            policy["rules"][0]["selection"]["countType"],
            "imageCountMoreThan"
        );
        assert_eq!(policy["rules"][0]["action"]["type"], "expire");
    }
}
