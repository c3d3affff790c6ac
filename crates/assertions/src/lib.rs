//! Assertions on synthesized CloudFormation templates, for unit tests.
//!
//! A [`Template`] wraps the template of one stack (built from the construct tree with
//! [`Template::from_stack`], or read from JSON with [`Template::from_json`]) and offers
//! assertions in the spirit of `aws-cdk-lib/assertions`: count the resources of a type,
//! check that some resource has certain properties, find the resources that match, check
//! outputs, parameters, conditions and mappings. Each assertion panics with a report of what
//! was found, so that a failing test says why; each also has a `try_` form that returns a
//! [`MatchFailure`] instead, to compose checks.
//!
//! Expectations are [`Matcher`]s. Plain JSON converts into one with *object-like* semantics:
//! an object matches any object that has at least its keys (with matching values, at every
//! depth), and an array matches an array of the same length whose elements match one by
//! one. The special matchers ([`Matcher::absent`], [`Matcher::any_value`],
//! [`Matcher::array_with`], [`Matcher::not`], [`Matcher::serialized_json`], ...) nest inside
//! expectations through [`Matcher::object`] or, on top of a JSON literal, [`Matcher::with`].
//!
//! ```
//! use serde_json::json;
//! use stackwright_assertions::{Matcher, Template};
//!
//! let template = Template::from_json(json!({
//!     "Resources": {
//!         "LogKey": { "Type": "AWS::KMS::Key", "Properties": { "EnableKeyRotation": true } },
//!         "AppLogs": {
//!             "Type": "AWS::Logs::LogGroup",
//!             "Properties": {
//!                 "KmsKeyId": { "Fn::GetAtt": ["LogKey", "Arn"] },
//!                 "RetentionInDays": 7,
//!                 "Tags": [{ "Key": "Project", "Value": "Demo" }]
//!             }
//!         }
//!     }
//! }));
//!
//! template.resource_count_is("AWS::Logs::LogGroup", 1);
//! template.has_resource_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": 7 }));
//! template.has_resource_properties(
//!     "AWS::Logs::LogGroup",
//!     Matcher::object([
//!         ("KmsKeyId", Matcher::any_value()),
//!         ("LogGroupName", Matcher::absent()),
//!         ("Tags", Matcher::array_with([json!({ "Key": "Project" })])),
//!     ]),
//! );
//! ```
//!
//! Paths in failure reports are JSON pointers (RFC 6901) from the root of what was matched:
//! the resource body for resource assertions (`/Properties/Tags/0/Value`), the whole
//! template for [`Template::template_matches`]. A `<json>` segment steps into a string that
//! [`Matcher::serialized_json`] parsed.
#![warn(missing_docs)]

mod matcher;
mod report;
mod template;

pub use matcher::Matcher;
pub use report::{MatchFailure, Mismatch};
pub use template::Template;
