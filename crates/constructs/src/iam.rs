//! IAM: policy documents, least-privilege grants and roles.
//!
//! Constructs grant each other access (`secret.grant_read(&fleet)`) by adding statements
//! to the grantee's role policy, scoped to the exact resource ARNs; nothing gets `*` on
//! actions that take a resource.

use std::cell::RefCell;
use std::rc::Rc;

use stackwright_core::{Construct, Expr, Pseudo, Resource, Scope, Value, cfn_format};
use stackwright_l1::iam;

use crate::error::ConstructError;

/// One statement of a policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyStatement {
    /// An optional statement id.
    pub sid: Option<String>,
    /// `Allow` (true) or `Deny` (false).
    pub allow: bool,
    /// The actions, such as `secretsmanager:GetSecretValue`.
    pub actions: Vec<String>,
    /// The resource ARNs (`*` only where the actions take no resource).
    pub resources: Vec<Value<String>>,
    /// The principal, for resource policies (key policies, bucket policies, trust policies).
    pub principal: Option<Expr>,
    /// The `Condition` block.
    pub condition: Option<Expr>,
}

impl PolicyStatement {
    /// Allows `actions` on `resources`.
    pub fn allow(actions: &[&str], resources: Vec<Value<String>>) -> Self {
        PolicyStatement {
            sid: None,
            allow: true,
            actions: actions.iter().map(|a| a.to_string()).collect(),
            resources,
            principal: None,
            condition: None,
        }
    }

    /// Denies `actions` on `resources`.
    pub fn deny(actions: &[&str], resources: Vec<Value<String>>) -> Self {
        PolicyStatement {
            allow: false,
            ..PolicyStatement::allow(actions, resources)
        }
    }

    /// Sets the statement id.
    pub fn with_sid(mut self, sid: &str) -> Self {
        self.sid = Some(sid.to_string());
        self
    }

    /// Sets the principal.
    pub fn with_principal(mut self, principal: Principal) -> Self {
        self.principal = Some(principal.0);
        self
    }

    /// Sets the condition block.
    pub fn with_condition(mut self, condition: Expr) -> Self {
        self.condition = Some(condition);
        self
    }

    /// The statement as policy JSON.
    pub fn to_expr(&self) -> Expr {
        let mut pairs: Vec<(&str, Expr)> = Vec::new();
        if let Some(sid) = &self.sid {
            pairs.push(("Sid", Expr::str(sid)));
        }
        pairs.push((
            "Effect",
            Expr::str(if self.allow { "Allow" } else { "Deny" }),
        ));
        if let Some(p) = &self.principal {
            pairs.push(("Principal", p.clone()));
        }
        pairs.push((
            "Action",
            one_or_list(self.actions.iter().map(Expr::str).collect()),
        ));
        pairs.push((
            "Resource",
            one_or_list(self.resources.iter().map(|r| r.expr().clone()).collect()),
        ));
        if let Some(c) = &self.condition {
            pairs.push(("Condition", c.clone()));
        }
        Expr::object(pairs)
    }
}

fn one_or_list(mut items: Vec<Expr>) -> Expr {
    if items.len() == 1 {
        items.remove(0)
    } else {
        Expr::List(items)
    }
}

/// Who a resource policy statement applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal(pub Expr);

impl Principal {
    /// An AWS service, such as `vpc-flow-logs.amazonaws.com`.
    pub fn service(name: &str) -> Self {
        Principal(Expr::object([("Service", Expr::str(name))]))
    }

    /// An AWS service whose name holds a token (`logs.${AWS::Region}.amazonaws.com`).
    pub fn service_value(name: Value<String>) -> Self {
        Principal(Expr::object([("Service", name.into_expr())]))
    }

    /// Every principal (`{"AWS": "*"}`): for a deny that holds for everyone.
    pub fn anyone() -> Self {
        Principal(Expr::object([("AWS", Expr::str("*"))]))
    }

    /// The account the stack deploys to: lets its IAM policies grant access.
    pub fn account_root() -> Self {
        Principal(Expr::object([(
            "AWS",
            cfn_format!(
                "arn:{}:iam::{}:root",
                Value::<String>::pseudo(Pseudo::Partition),
                Value::<String>::pseudo(Pseudo::AccountId)
            )
            .into_expr(),
        )]))
    }
}

/// A policy document: a list of statements.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyDocument {
    /// The statements, in order.
    pub statements: Vec<PolicyStatement>,
}

impl PolicyDocument {
    /// A document of these statements.
    pub fn new(statements: Vec<PolicyStatement>) -> Self {
        PolicyDocument { statements }
    }

    /// Adds a statement unless an identical one is there.
    pub fn add(&mut self, statement: PolicyStatement) {
        if !self.statements.contains(&statement) {
            self.statements.push(statement);
        }
    }

    /// The document as policy JSON (`Version` 2012-10-17).
    pub fn to_expr(&self) -> Expr {
        Expr::object([
            ("Version", Expr::str("2012-10-17")),
            (
                "Statement",
                Expr::List(
                    self.statements
                        .iter()
                        .map(PolicyStatement::to_expr)
                        .collect(),
                ),
            ),
        ])
    }
}

/// Something that can be given permissions: a role, or a construct that runs as one.
pub trait Grantable {
    /// Adds `statement` to the identity's policy, and says where it landed.
    fn grant(&self, statement: PolicyStatement) -> Result<Grant, ConstructError>;
}

/// Permissions given to an identity: the statements, and the policy resource that holds
/// them. IAM is eventually consistent and CloudFormation creates independent resources in
/// parallel, so a resource that uses the permissions as soon as it exists (a custom
/// resource, a service that checks its role at creation) should wait for the policy:
/// [`Grant::apply_before`], or `resource.add_dependency(&grant)`.
///
/// ```
/// use stackwright_core::{App, Env, Resource, Stack};
/// use stackwright_l1::sns;
/// use stackwright_constructs::iam::{Grantable, PolicyStatement, Role, RoleProps};
/// use stackwright_core::Value;
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let role = Role::new(&stack, "Worker", RoleProps::for_service("lambda.amazonaws.com")).unwrap();
/// let grant = role
///     .grant(PolicyStatement::allow(&["sns:Publish"], vec![Value::from("*")]))
///     .unwrap();
/// let topic = Resource::new(&stack, "Topic", sns::Topic::default()).unwrap();
/// grant.apply_before(&topic);
/// assert_eq!(grant.policy().path(), "Demo/Worker/DefaultPolicy");
/// ```
#[derive(Debug, Clone)]
pub struct Grant {
    policy: Resource<iam::Policy>,
    statements: Vec<PolicyStatement>,
}

impl Grant {
    /// The policy resource holding the statements.
    pub fn policy(&self) -> &Resource<iam::Policy> {
        &self.policy
    }

    /// The statements granted.
    pub fn statements(&self) -> &[PolicyStatement] {
        &self.statements
    }

    /// Makes `resource` wait until the policy exists (a `DependsOn`, or a stack
    /// dependency when it lives in another stack).
    pub fn apply_before<T>(&self, resource: &Resource<T>) {
        resource.add_dependency(&self.policy);
    }

    /// This grant and `other` as one: what a construct's grant method returns when it
    /// grants several statements.
    pub fn and(mut self, other: Grant) -> Grant {
        self.statements.extend(other.statements);
        self
    }
}

impl Scope for Grant {
    fn scope_ref(&self) -> (stackwright_core::AppRef, stackwright_core::ElementId) {
        self.policy.scope_ref()
    }
}

/// Settings of a [`Role`].
#[derive(Debug, Clone, PartialEq)]
pub struct RoleProps {
    /// The service that assumes the role, such as `ec2.amazonaws.com`. Default: none;
    /// required ([`RoleProps::for_service`]).
    pub assumed_by: String,
    /// What the role is for. Default: none.
    pub description: Option<String>,
    /// ARNs of managed policies to attach (for example AWS's `AmazonSSMManagedInstanceCore`).
    /// Default: none.
    pub managed_policy_arns: Vec<Value<String>>,
}

impl RoleProps {
    /// A role for `service` with nothing attached.
    pub fn for_service(service: &str) -> Self {
        RoleProps {
            assumed_by: service.to_string(),
            description: None,
            managed_policy_arns: Vec::new(),
        }
    }
}

/// The ARN of an AWS managed policy, in the stack's partition.
pub fn aws_managed_policy(name: &str) -> Value<String> {
    cfn_format!(
        "arn:{}:iam::aws:policy/{}",
        Value::<String>::pseudo(Pseudo::Partition),
        name
    )
}

struct RoleState {
    scope: Construct,
    policy: Option<Resource<iam::Policy>>,
    document: PolicyDocument,
}

/// An IAM role assumed by an AWS service, whose permissions grow with grants.
///
/// Grants land in one inline-managed `AWS::IAM::Policy` (`<role>/DefaultPolicy`) created
/// on the first grant, each statement scoped to the granted resources.
///
/// ```
/// use stackwright_core::{App, Env, Stack, Value};
/// use stackwright_constructs::iam::{Grantable, PolicyStatement, Role, RoleProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let role = Role::new(&stack, "AppRole", RoleProps::for_service("ec2.amazonaws.com")).unwrap();
/// role.grant(PolicyStatement::allow(&["ssm:GetParameter"], vec![Value::from("arn:aws:ssm:us-east-1:123456789012:parameter/app")])).unwrap();
/// ```
#[derive(Clone)]
pub struct Role {
    resource: Resource<iam::Role>,
    state: Rc<RefCell<RoleState>>,
}

impl Role {
    /// Creates the role under `scope`.
    pub fn new(scope: &impl Scope, id: &str, props: RoleProps) -> Result<Role, ConstructError> {
        let node = Construct::new(scope, id)?;
        let trust = PolicyDocument::new(vec![
            PolicyStatement {
                resources: Vec::new(),
                ..PolicyStatement::allow(&["sts:AssumeRole"], Vec::new())
            }
            .with_principal(Principal::service(&props.assumed_by)),
        ]);
        let mut trust_expr = trust.to_expr();
        // A trust policy has no Resource element.
        if let Expr::Object(doc) = &mut trust_expr
            && let Some(Expr::List(statements)) = doc.get_mut("Statement")
        {
            for s in statements {
                if let Expr::Object(s) = s {
                    s.shift_remove("Resource");
                }
            }
        }
        let resource = Resource::new(
            &node,
            "Resource",
            iam::Role {
                description: props.description.map(Into::into),
                managed_policy_arns: if props.managed_policy_arns.is_empty() {
                    None
                } else {
                    Some(props.managed_policy_arns.into())
                },
                ..iam::Role::new(Value::<stackwright_core::Json>::from_expr(trust_expr))
            },
        )?;
        Ok(Role {
            resource,
            state: Rc::new(RefCell::new(RoleState {
                scope: node,
                policy: None,
                document: PolicyDocument::default(),
            })),
        })
    }

    /// The role's ARN.
    pub fn arn(&self) -> Value<String> {
        self.resource.attr_arn()
    }

    /// The role's name.
    pub fn name(&self) -> Value<String> {
        self.resource.ref_()
    }

    /// The L1 role, for anything the props do not cover.
    pub fn resource(&self) -> &Resource<iam::Role> {
        &self.resource
    }

    /// The grants policy, once a grant created it.
    pub fn default_policy(&self) -> Option<Resource<iam::Policy>> {
        self.state.borrow().policy.clone()
    }
}

impl Grantable for Role {
    fn grant(&self, statement: PolicyStatement) -> Result<Grant, ConstructError> {
        let mut state = self.state.borrow_mut();
        let is_new = !state.document.statements.contains(&statement);
        let policy = match &state.policy {
            Some(p) => {
                // Appending the one statement keeps a role with many grants linear; the
                // whole document is written again only when an edit changed its shape.
                if is_new {
                    let added = statement.to_expr();
                    let whole = || {
                        let mut d = state.document.clone();
                        d.add(statement.clone());
                        d.to_expr()
                    };
                    p.edit(|props| append_statement(&mut props.policy_document, added, whole));
                }
                p.clone()
            }
            // Fails only when the program put a child called `DefaultPolicy` under the
            // role itself; the statement is then not recorded either.
            None => {
                let mut document = state.document.clone();
                document.add(statement.clone());
                let doc = Value::<stackwright_core::Json>::from_expr(document.to_expr());
                Resource::new(
                    &state.scope,
                    "DefaultPolicy",
                    iam::Policy {
                        roles: Some(vec![self.resource.ref_()].into()),
                        ..iam::Policy::new(doc, "DefaultPolicy")
                    },
                )?
            }
        };
        state.document.add(statement.clone());
        state.policy = Some(policy.clone());
        Ok(Grant {
            policy,
            statements: vec![statement],
        })
    }
}

/// Adds `statement` to the `Statement` list of a document as [`PolicyDocument::to_expr`]
/// writes it; a document of another shape (changed through an escape hatch) is replaced
/// by `whole()`, as every grant did before.
pub(crate) fn append_statement(
    doc: &mut Value<stackwright_core::Json>,
    statement: Expr,
    whole: impl FnOnce() -> Expr,
) {
    let mut e = std::mem::replace(doc, Value::from_expr(Expr::Bool(false))).into_expr();
    match &mut e {
        Expr::Object(o) => match o.get_mut("Statement") {
            Some(Expr::List(list)) => list.push(statement),
            _ => e = whole(),
        },
        _ => e = whole(),
    }
    *doc = Value::from_expr(e);
}

impl Scope for Role {
    fn scope_ref(&self) -> (stackwright_core::AppRef, stackwright_core::ElementId) {
        self.state.borrow().scope.scope_ref()
    }
}
