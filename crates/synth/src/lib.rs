//! Synthesis, validation, the cloud assembly and the command line of stackwright.
//!
//! [`Synth::synth`] builds every stack of an app, runs the validation pass (schema rules,
//! references, cycles, limits) reporting every problem at once, and writes the cloud
//! assembly. [`run`] wraps a program that builds an app into a command-line tool.
#![warn(missing_docs)]

pub mod assembly;
pub mod assertions;
mod cli;
mod synth;
pub mod validate;

pub use assembly::{CloudAssembly, Manifest, ManifestStack};
pub use cli::{run, run_with};
pub use synth::{Synth, SynthError, SynthOutput, Synthesized, synthesize, template_file_name};
