//! Synthesis, validation, the cloud assembly and the command line of stackwright.
//!
//! [`Synth::synth`] builds every stack of an app, runs the validation pass (schema rules,
//! references, cycles, limits) reporting every problem at once, and writes the cloud
//! assembly. [`run`] wraps a program that builds an app into a command-line tool, whose
//! `diff`, `deploy` and `destroy` commands are a thin layer over [`deploy`].
#![warn(missing_docs)]

pub mod assembly;
mod cli;
pub mod deploy;
mod synth;
pub mod validate;

pub use assembly::{CloudAssembly, Manifest, ManifestStack};
#[cfg(feature = "aws")]
pub use cli::run_with_aws;
pub use cli::{run, run_with};
pub use synth::{Synth, SynthError, SynthOutput, Synthesized, synthesize, template_file_name};
