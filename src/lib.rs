//! Stackwright: AWS infrastructure as typed Rust, synthesized to CloudFormation, reviewed as
//! snapshot diffs, deployed through change sets.
//!
//! This crate is the facade: it re-exports [`core`] (the construct tree, tokens and the
//! generated L1 resources), [`constructs`] (production-ready L2 constructs) and [`synth`]
//! (validation, the cloud assembly and the command line), with a [`prelude`] for the
//! common names.
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
pub use stackwright_constructs as constructs;
pub use stackwright_core as core;
pub use stackwright_core::l1;
pub use stackwright_synth::{run, run_with};

/// Synthesis: validation and the cloud assembly (`stackwright-synth`), and the paths that
/// were reached through here before the assertions got a crate of their own.
pub mod synth {
    pub use stackwright_synth::*;

    pub use stackwright_assertions as assertions;
}

/// The names most programs need: `use stackwright::prelude::*;`.
pub mod prelude {
    pub use stackwright_constructs::ConstructError;
    pub use stackwright_constructs::security_group::{Connectable, Port};
    pub use stackwright_core::{
        App, Condition, ConditionExpr, Construct, CoreError, Env, Mapping, Output, Parameter,
        ParameterProps, Pseudo, RemovalPolicy, Resource, Scope, Stack, Value, cfn_format,
    };
    pub use stackwright_synth::Synth;
}
