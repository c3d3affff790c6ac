//! Template parameters: values supplied at deploy time.

use crate::error::CoreError;
use crate::expr::Expr;
use crate::tree::{AppRef, ElementId, NodeKind, Scope};
use crate::value::Value;

/// The settings of a parameter. `type_` is CloudFormation's parameter type (`String`,
/// `Number`, `List<Number>`, `CommaDelimitedList`, `AWS::EC2::VPC::Id`,
/// `AWS::SSM::Parameter::Value<String>`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterProps {
    /// The parameter type. Default `String`.
    pub type_: String,
    /// What it is for, shown in the console.
    pub description: Option<String>,
    /// The value when none is given at deploy time.
    pub default: Option<String>,
    /// The only values accepted.
    pub allowed_values: Vec<String>,
    /// A regular expression the value must match.
    pub allowed_pattern: Option<String>,
    /// The message shown when a constraint fails.
    pub constraint_description: Option<String>,
    /// Shortest accepted length.
    pub min_length: Option<u32>,
    /// Longest accepted length.
    pub max_length: Option<u32>,
    /// Smallest accepted number.
    pub min_value: Option<f64>,
    /// Largest accepted number.
    pub max_value: Option<f64>,
    /// Masks the value in the console and API (still not a place for secrets: use Secrets
    /// Manager).
    pub no_echo: bool,
}

impl Default for ParameterProps {
    fn default() -> Self {
        ParameterProps {
            type_: "String".to_string(),
            description: None,
            default: None,
            allowed_values: Vec::new(),
            allowed_pattern: None,
            constraint_description: None,
            min_length: None,
            max_length: None,
            min_value: None,
            max_value: None,
            no_echo: false,
        }
    }
}

impl ParameterProps {
    /// A `String` parameter with a default.
    pub fn string_with_default(default: &str) -> Self {
        ParameterProps {
            default: Some(default.to_string()),
            ..ParameterProps::default()
        }
    }

    /// An SSM parameter whose current value is read at deploy time, such as the latest
    /// Amazon Linux AMI: `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64`.
    pub fn ssm_value(parameter_name: &str) -> Self {
        ParameterProps {
            type_: "AWS::SSM::Parameter::Value<String>".to_string(),
            default: Some(parameter_name.to_string()),
            ..ParameterProps::default()
        }
    }
}

pub(crate) type ParameterNode = ParameterProps;

/// A handle to a template parameter.
///
/// ```
/// use stackwright_core::{App, Env, Parameter, ParameterProps, Stack};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let size = Parameter::new(&stack, "InstanceType", ParameterProps {
///     allowed_values: vec!["t3.medium".into(), "t3.large".into()],
///     ..ParameterProps::string_with_default("t3.medium")
/// }).unwrap();
/// let _instance_type: stackwright_core::Value<String> = size.value();
/// ```
#[derive(Clone)]
pub struct Parameter {
    app: AppRef,
    id: ElementId,
}

impl Parameter {
    pub(crate) fn from_parts(app: AppRef, id: ElementId) -> Self {
        Parameter { app, id }
    }

    /// Adds a parameter to the stack of `scope`.
    pub fn new(scope: &impl Scope, id: &str, props: ParameterProps) -> Result<Self, CoreError> {
        let (app, parent) = scope.scope_ref();
        let id = app.add_child(parent, id, NodeKind::Parameter(Box::new(props)))?;
        Ok(Parameter { app, id })
    }

    /// The parameter's value (`Ref`).
    pub fn value<T>(&self) -> Value<T> {
        Value::from_expr(Expr::Ref(self.id))
    }

    /// The node id.
    pub fn element(&self) -> ElementId {
        self.id
    }

    /// Fixes the logical id instead of deriving it from the construct path.
    pub fn override_logical_id(&self, logical_id: &str) {
        self.app.override_logical_id(self.id, logical_id);
    }
}
