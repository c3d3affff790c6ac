//! KMS customer managed keys.

use std::cell::RefCell;
use std::rc::Rc;

use stackwright_core::{
    Construct, Expr, Pseudo, RemovalPolicy, Resource, Scope, Value, cfn_format,
};
use stackwright_l1::kms;

use crate::error::{ConstructError, Problems, quote};
use crate::iam::{Grant, Grantable, PolicyDocument, PolicyStatement, Principal, append_statement};

/// Settings of a [`Key`].
#[derive(Debug, Clone, PartialEq)]
pub struct KeyProps {
    /// What the key protects. Default: empty (the construct path is used).
    pub description: Option<String>,
    /// An alias such as `alias/orders-production-db`. Default: none.
    pub alias: Option<String>,
    /// Yearly automatic rotation of the key material. Default: on.
    pub enable_rotation: bool,
    /// Days between a deletion request and the key's deletion (7 to 30). Default: 30.
    pub pending_window_days: u32,
    /// What happens to the key when the stack lets go of it. Default: `Retain`, because
    /// data encrypted with a deleted key is lost.
    pub removal_policy: RemovalPolicy,
}

impl Default for KeyProps {
    fn default() -> Self {
        KeyProps::production()
    }
}

impl KeyProps {
    /// Rotation on, 30-day deletion window, retained when removed.
    pub fn production() -> Self {
        KeyProps {
            description: None,
            alias: None,
            enable_rotation: true,
            pending_window_days: 30,
            removal_policy: RemovalPolicy::Retain,
        }
    }

    /// As production, but deleted (after a 7-day window) with its stack.
    pub fn staging() -> Self {
        KeyProps {
            pending_window_days: 7,
            removal_policy: RemovalPolicy::Delete,
            ..KeyProps::production()
        }
    }

    /// These props with an alias.
    pub fn with_alias(mut self, alias: &str) -> Self {
        self.alias = Some(alias.to_string());
        self
    }

    /// These props with a description.
    pub fn with_description(mut self, description: &str) -> Self {
        self.description = Some(description.to_string());
        self
    }
}

/// A KMS customer managed key with rotation and a least-privilege key policy.
///
/// The key policy lets the account's IAM policies grant use of the key (so grants are
/// ordinary role statements), lets named AWS services use it where the service needs a
/// key-policy grant (CloudWatch Logs does), and denies `kms:CreateGrant` to anyone but
/// AWS services creating grants for AWS resources (EBS, RDS, Secrets Manager do).
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::key::{Key, KeyProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let key = Key::new(&stack, "DataKey", KeyProps::production().with_alias("alias/demo-data")).unwrap();
/// key.allow_cloudwatch_logs();
/// ```
#[derive(Clone)]
pub struct Key {
    node: Construct,
    resource: Resource<kms::Key>,
    policy: Rc<RefCell<PolicyDocument>>,
}

impl Key {
    /// Creates the key under `scope`.
    pub fn new(scope: &impl Scope, id: &str, props: KeyProps) -> Result<Key, ConstructError> {
        let node = Construct::new(scope, id)?;
        let mut problems = Problems::new(node.path());
        problems.check(
            (7..=30).contains(&props.pending_window_days),
            "pending_window_days",
            || props.pending_window_days.to_string(),
            "KMS waits 7 to 30 days before deleting a key",
            "use a window of 7 to 30 days",
        );
        if let Some(alias) = &props.alias {
            problems.check(
                alias.starts_with("alias/") && !alias.starts_with("alias/aws/") && alias.len() > 6,
                "alias",
                || quote(alias),
                "not a usable alias name",
                "start it with 'alias/' (not 'alias/aws/', which AWS reserves)",
            );
        }
        problems.finish()?;

        let policy = PolicyDocument::new(vec![
            PolicyStatement::allow(&["kms:*"], vec![Value::from("*")])
                .with_sid("AccountAdministersAndDelegatesToIam")
                .with_principal(Principal::account_root()),
            // A grant lets its grantee use the key without any policy saying so; only AWS
            // services, for AWS resources, need to create them (CT.KMS.PR.3).
            PolicyStatement::deny(&["kms:CreateGrant"], vec![Value::from("*")])
                .with_sid("GrantsOnlyForAwsResources")
                .with_principal(Principal::anyone())
                .with_condition(Expr::object([(
                    "BoolIfExists",
                    Expr::object([
                        ("kms:GrantIsForAWSResource", Expr::str("false")),
                        ("aws:PrincipalIsAWSService", Expr::str("false")),
                    ]),
                )])),
        ]);
        let resource = Resource::new(
            &node,
            "Resource",
            kms::Key {
                description: Some(
                    props
                        .description
                        .clone()
                        .unwrap_or_else(|| node.path())
                        .into(),
                ),
                enable_key_rotation: Some(props.enable_rotation.into()),
                pending_window_in_days: Some(i64::from(props.pending_window_days).into()),
                key_policy: Some(Value::from_expr(policy.to_expr())),
                ..Default::default()
            },
        )?;
        resource.apply_removal_policy(props.removal_policy);
        if let Some(alias) = &props.alias {
            Resource::new(
                &node,
                "Alias",
                kms::Alias::new(alias.as_str(), resource.ref_()),
            )?;
        }
        Ok(Key {
            node,
            resource,
            policy: Rc::new(RefCell::new(policy)),
        })
    }

    /// `given` when there is one; otherwise a new key called `Key` under `scope`, living as
    /// long as the data it protects: deleted (after the short window) with resources that
    /// are deleted, retained with resources that are retained or snapshotted.
    pub fn given_or_own(
        given: Option<&Key>,
        scope: &impl Scope,
        removal: RemovalPolicy,
        description: &str,
    ) -> Result<Key, ConstructError> {
        if let Some(k) = given {
            return Ok(k.clone());
        }
        let props = if removal == RemovalPolicy::Delete {
            KeyProps::staging()
        } else {
            KeyProps::production()
        };
        Key::new(scope, "Key", props.with_description(description))
    }

    /// The key ARN.
    pub fn arn(&self) -> Value<String> {
        self.resource.attr_arn()
    }

    /// The key id.
    pub fn key_id(&self) -> Value<String> {
        self.resource.ref_()
    }

    /// The L1 key, for anything the props do not cover.
    pub fn resource(&self) -> &Resource<kms::Key> {
        &self.resource
    }

    /// Adds a statement to the key policy.
    pub fn add_to_key_policy(&self, statement: PolicyStatement) {
        let mut policy = self.policy.borrow_mut();
        if policy.statements.contains(&statement) {
            return;
        }
        // Appended, not written again whole: a key with many statements stays linear.
        let added = statement.to_expr();
        policy.add(statement);
        let whole = || policy.to_expr();
        self.resource.edit(|k| match &mut k.key_policy {
            Some(doc) => append_statement(doc, added, whole),
            None => k.key_policy = Some(Value::from_expr(whole())),
        });
    }

    /// Lets CloudWatch Logs of this account and region encrypt log groups with the key,
    /// which it can only do through the key policy.
    pub fn allow_cloudwatch_logs(&self) {
        let service = cfn_format!(
            "logs.{}.amazonaws.com",
            Value::<String>::pseudo(Pseudo::Region)
        );
        let log_groups = cfn_format!(
            "arn:{}:logs:{}:{}:log-group:*",
            Value::<String>::pseudo(Pseudo::Partition),
            Value::<String>::pseudo(Pseudo::Region),
            Value::<String>::pseudo(Pseudo::AccountId)
        );
        self.add_to_key_policy(
            PolicyStatement::allow(
                &[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                vec![Value::from("*")],
            )
            .with_sid("CloudWatchLogsEncryptsThisAccountsLogGroups")
            .with_principal(Principal::service_value(service))
            .with_condition(stackwright_core::Expr::object([(
                "ArnLike",
                stackwright_core::Expr::object([(
                    "kms:EncryptionContext:aws:logs:arn",
                    log_groups.into_expr(),
                )]),
            )])),
        );
    }

    /// Lets `grantee` encrypt and decrypt with the key.
    pub fn grant_encrypt_decrypt(&self, grantee: &impl Grantable) -> Result<Grant, ConstructError> {
        grantee.grant(PolicyStatement::allow(
            &[
                "kms:Decrypt",
                "kms:Encrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ],
            vec![self.arn()],
        ))
    }

    /// Lets `grantee` decrypt with the key.
    pub fn grant_decrypt(&self, grantee: &impl Grantable) -> Result<Grant, ConstructError> {
        grantee.grant(PolicyStatement::allow(
            &["kms:Decrypt", "kms:DescribeKey"],
            vec![self.arn()],
        ))
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", self.node.path())
    }
}

/// Two handles are equal when they are the same key.
impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.resource.element() == other.resource.element()
    }
}

impl Scope for Key {
    fn scope_ref(&self) -> (stackwright_core::AppRef, stackwright_core::ElementId) {
        self.node.scope_ref()
    }
}
