//! Synthesis of stackwright apps: validation and the cloud assembly.
//!
//! [`Synth::synth`] builds every stack of an app, runs the validation pass (schema rules,
//! references, cycles, limits) reporting every problem at once, and writes the cloud
//! assembly that `stackwright-deploy` and the command line (`stackwright-cli`) read. The
//! Guard rule packs an app or stack chooses ([`RulePacks`]) are evaluated over every
//! template in the same pass, in-process.
#![warn(missing_docs)]

pub mod assembly;
mod guard;
mod rule_packs;
mod synth;
pub mod validate;

pub use assembly::{CloudAssembly, Manifest, ManifestStack};
pub use guard::{GuardException, guard_exceptions};
pub use rule_packs::{GuardFileError, GuardRules, Pack, RulePack, RulePacks};
pub use synth::{Synth, SynthError, SynthOutput, Synthesized, synthesize, template_file_name};
