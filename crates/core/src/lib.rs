//! The core of stackwright: the construct tree, typed values and tokens, the template model
//! and the schema facts of every CloudFormation resource type ([`registry`]). The typed L1
//! resources generated from those schemas are in `stackwright-l1`, built on [`Resource`].
//!
//! Core knows nothing of L2 constructs or of AWS APIs; it turns a tree of stacks and
//! resources into CloudFormation templates ([`App::build`]). Validation against the schema
//! rules, the cloud assembly on disk and deployment live in `stackwright-synth`.
//!
//! ```
//! use stackwright_core::{App, Env, Resource, Scope, Stack};
//! use stackwright_l1::{kms, logs};
//!
//! let app = App::new();
//! let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
//! stack.tags().add("Project", "Demo");
//! let key = Resource::new(&stack, "LogKey", kms::Key {
//!     enable_key_rotation: Some(true.into()),
//!     ..Default::default()
//! }).unwrap();
//! Resource::new(&stack, "AppLogs", logs::LogGroup {
//!     kms_key_id: Some(key.attr_arn()),
//!     retention_in_days: Some(7.into()),
//!     ..Default::default()
//! }).unwrap();
//!
//! let build = app.build();
//! assert!(!build.diagnostics.has_errors());
//! let template = &build.stacks[0].template;
//! assert_eq!(
//!     template["Resources"]["AppLogs"]["Properties"]["KmsKeyId"],
//!     serde_json::json!({ "Fn::GetAtt": ["LogKey", "Arn"] })
//! );
//! ```
#![warn(missing_docs)]

mod app;
pub mod check;
mod condition;
pub mod diagnostic;
mod error;
pub mod expr;
pub mod facts;
mod include;
pub mod logical_id;
mod mapping;
mod output;
mod parameter;
pub mod raw;
pub mod registry;
mod resolve;
pub mod resource;
mod stack;
pub mod suggest;
mod tags;
mod template;
mod tree;
pub mod value;
mod yaml;

pub use app::App;
pub use check::{Check, CheckedResource};
pub use condition::{Condition, ConditionExpr};
pub use diagnostic::{Diagnostic, Diagnostics, Severity, ToDiagnostics};
pub use error::CoreError;
pub use expr::{Expr, Pseudo, TOKEN_KEY};
pub use include::IncludedTemplate;
pub use mapping::Mapping;
pub use output::Output;
pub use parameter::{Parameter, ParameterProps};
pub use raw::{RawProps, RawResource};
pub use resource::{HasAttributes, RemovalPolicy, Resource, ResourceProps, ToExpr};
pub use stack::{Env, Stack};
pub use tags::Tags;
pub use template::{Build, ResourceInfo, StackArtifact};
pub use tree::{AppRef, Construct, ElementId, Scope};
pub use value::{Json, Literal, Map, Value};
