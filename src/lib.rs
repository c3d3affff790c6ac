//! Stackwright: AWS infrastructure as typed Rust, synthesized to CloudFormation, reviewed as
//! snapshot diffs, deployed through change sets.
//!
//! This crate is the facade: it re-exports [`core`] (the construct tree, tokens and the
//! generated L1 resources), [`constructs`] (production-ready L2 constructs), [`synth`]
//! (validation and the cloud assembly), [`deploy`] (diff, deploy and destroy through change
//! sets), [`assertions`] (for tests of templates) and the command line ([`run`]), with a
//! [`prelude`] for the common names.
//!
//! ```no_run
//! use stackwright::prelude::*;
//! use stackwright::l1::kms;
//!
//! fn main() -> std::process::ExitCode {
//!     stackwright::run(|app| {
//!         let stack = Stack::new(app, "Demo", Env::new("123456789012", "us-east-1"))?;
//!         stack.tags().add("Project", "Demo");
//!         Resource::new(&stack, "Key", kms::Key {
//!             enable_key_rotation: Some(true.into()),
//!             ..Default::default()
//!         })?;
//!         Ok::<(), CoreError>(())
//!     })
//! }
//! ```

pub use stackwright_assertions as assertions;
#[cfg(feature = "aws")]
pub use stackwright_cli::run_with_aws;
pub use stackwright_cli::{run, run_with};
pub use stackwright_constructs as constructs;
pub use stackwright_core as core;
pub use stackwright_deploy as deploy;
pub use stackwright_l1 as l1;

/// Synthesis: validation and the cloud assembly (`stackwright-synth`), and the paths that
/// were reached through here before deploy, the command line and the assertions got
/// crates of their own.
pub mod synth {
    pub use stackwright_synth::*;

    pub use stackwright_assertions as assertions;
    #[cfg(feature = "aws")]
    pub use stackwright_cli::run_with_aws;
    pub use stackwright_cli::{run, run_with};
    pub use stackwright_deploy as deploy;
}

/// The names most programs need: `use stackwright::prelude::*;`.
pub mod prelude {
    pub use stackwright_constructs::ConstructError;
    pub use stackwright_constructs::security_group::{Connectable, Port};
    pub use stackwright_core::{
        App, Condition, ConditionExpr, Construct, CoreError, Env, IncludedTemplate, Mapping,
        Output, Parameter, ParameterProps, Pseudo, RawResource, RemovalPolicy, Resource, Scope,
        Stack, Value, cfn_format,
    };
    pub use stackwright_synth::{RulePacks, Synth};
}
