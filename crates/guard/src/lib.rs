//! The AWS CloudFormation Guard rule language, evaluated in-process over templates.
//!
//! Rule files are parsed once ([`RuleFile::parse`], [`RuleSet::parse`]) into a typed
//! form, and evaluated against any JSON document ([`RuleSet::evaluate`]); the result is
//! typed too ([`Report`]): per named rule its [`Status`] and, for a failure, each failed
//! check with the resource's logical id, the property path, the value and the rule's
//! message. The vendored packs ([`Pack`]) are embedded: the AWS Control Tower proactive
//! controls and the Guard Rules Registry's FedRAMP Moderate and NIST 800-53 rev 5 packs.
//!
//! The results are cfn-guard 3.1.1's, the version AWS's CDK validator plugin bundles: a
//! differential test compares every vendored rule with that binary's recorded output
//! over the examples' templates and mutations of them. (cfn-guard 3.2 reports FAIL where
//! a rule's filter selects nothing; the rules' own scenarios, and 3.1.1, say SKIP.)
//!
//! ```
//! use stackwright_guard::{Pack, Status};
//!
//! let rules = Pack::ControlTower.rule_set()?;
//! let template = serde_json::json!({
//!     "Resources": {
//!         "Logs": { "Type": "AWS::Logs::LogGroup", "Properties": { "RetentionInDays": 7 } }
//!     }
//! });
//! let report = rules.evaluate(&template);
//! let retention = report.rule("cloudwatch_log_group_retention_period_check").unwrap();
//! assert_eq!(retention.status, Status::Fail);
//! assert_eq!(retention.resources(), ["Logs"]);
//! # Ok::<(), stackwright_guard::ParseError>(())
//! ```
//!
//! The language subset is what the vendored packs use (see the parser module's list);
//! type blocks, clauses outside a rule and built-in functions are parse errors. Nothing
//! panics on any input: a rule file is a [`ParseError`] or parses, and an evaluation that
//! cfn-guard would abandon is an [`EvalError`] for that file.
#![warn(missing_docs)]

mod ast;
mod compare;
mod error;
mod eval;
mod gate;
mod operators;
mod packs;
mod parser;
mod query;
mod report;
mod rules;
mod scope;
mod small_map;
mod value;

pub use error::{EvalError, ParseError};
pub use eval::Status;
pub use packs::{Pack, PackFile, UnknownPack};
pub use report::{Failure, Report, RuleResult};
pub use rules::{RuleFile, RuleSet};
pub use value::Document;
