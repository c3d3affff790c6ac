//! `app.synth()`: build, validate and write the cloud assembly.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use stackwright_core::{App, Diagnostics, StackArtifact};

use crate::assembly::{
    AssemblyError, CloudAssembly, DEFAULT_OUT_DIR, Environment, MANIFEST_VERSION, Manifest,
    ManifestStack, render_template, sha256_hex,
};
use crate::validate::validate_sized;

/// Why synth produced no assembly.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The app has problems CloudFormation would reject; all of them are listed.
    #[error("synth found problems:\n{0}")]
    Invalid(Diagnostics),
    /// Writing the assembly failed.
    #[error(transparent)]
    Assembly(#[from] AssemblyError),
}

/// The templates of an app, built, validated and serialized, not yet written.
#[derive(Debug, Clone)]
pub struct Synthesized {
    /// The stacks in deployment order.
    pub stacks: Vec<StackArtifact>,
    /// Each stack's template as written to disk, in the same order.
    pub bodies: Vec<String>,
    /// Warnings and notes (errors make synth fail instead).
    pub diagnostics: Diagnostics,
}

/// What a successful synth wrote.
#[derive(Debug, Clone)]
pub struct SynthOutput {
    /// The assembly on disk.
    pub assembly: CloudAssembly,
    /// Warnings and notes.
    pub diagnostics: Diagnostics,
}

/// Builds and validates every stack in memory, reporting every problem at once.
pub fn synthesize(app: &App) -> Result<Synthesized, SynthError> {
    let build = app.build();
    let mut diagnostics = build.diagnostics;
    let plan = crate::guard::plan(app, &build.stacks);
    let work = crate::guard::Work::new(&build.stacks, &plan);
    // The rule packs need only the templates, so another thread evaluates them while
    // this one renders, validates and runs the app's checks (which may hold the tree),
    // and then joins in on the stacks left.
    let bodies = std::thread::scope(|scope| {
        // Without a second thread (one core, or none to be had), this one does it all.
        let helper = (!plan.is_empty() && parallel())
            .then(|| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, || work.run())
                    .ok()
            })
            .flatten();
        let (bodies, compact_sizes): (Vec<String>, Vec<usize>) = build
            .stacks
            .iter()
            .map(|s| render_template(&s.template))
            .unzip();
        diagnostics
            .0
            .extend(validate_sized(&build.stacks, &compact_sizes));
        diagnostics.0.extend(app.run_checks(&build.stacks));
        work.run();
        if let Some(Err(panic)) = helper.map(|h| h.join()) {
            std::panic::resume_unwind(panic);
        }
        bodies
    });
    diagnostics.0.extend(work.findings());
    if diagnostics.has_errors() {
        return Err(SynthError::Invalid(diagnostics));
    }
    Ok(Synthesized {
        stacks: build.stacks,
        bodies,
        diagnostics,
    })
}

/// Whether a second thread can run beside this one.
fn parallel() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}

/// The file name of a stack's template.
pub fn template_file_name(stack: &str) -> String {
    format!("{stack}.template.json")
}

impl Synthesized {
    /// The manifest describing these stacks.
    pub fn manifest(&self) -> Manifest {
        let mut stacks = IndexMap::new();
        for (s, body) in self.stacks.iter().zip(&self.bodies) {
            stacks.insert(
                s.name.clone(),
                ManifestStack {
                    environment: Environment {
                        account: s.env.account.clone(),
                        region: s.env.region.clone(),
                    },
                    template_file: template_file_name(&s.name),
                    template_hash: sha256_hex(body.as_bytes()),
                    template_bytes: body.len(),
                    resource_count: s.resources.len(),
                    dependencies: s.dependencies.clone(),
                    termination_protection: s.termination_protection,
                    tags: s.tags.iter().cloned().collect(),
                    paths: s
                        .resources
                        .iter()
                        .map(|(id, info)| (id.clone(), info.path.clone()))
                        .collect(),
                },
            );
        }
        Manifest {
            version: MANIFEST_VERSION,
            stacks,
        }
    }

    /// Writes the cloud assembly into `dir`.
    pub fn write(&self, dir: &Path) -> Result<CloudAssembly, AssemblyError> {
        let files: Vec<(String, &str)> = self
            .stacks
            .iter()
            .zip(&self.bodies)
            .map(|(s, b)| (template_file_name(&s.name), b.as_str()))
            .collect();
        CloudAssembly::write_files(dir, self.manifest(), &files)
    }
}

/// Synthesizes an app into a cloud assembly on disk.
///
/// ```
/// use stackwright_core::{App, Env, Resource, Stack};
/// use stackwright_l1::kms;
/// use stackwright_synth::Synth;
///
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// Resource::new(&stack, "Key", kms::Key { enable_key_rotation: Some(true.into()), ..Default::default() }).unwrap();
/// let out = tempfile::tempdir().unwrap();
/// let written = app.synth_to(out.path()).unwrap();
/// assert!(out.path().join("Demo.template.json").exists());
/// assert_eq!(written.assembly.manifest.stacks["Demo"].resource_count, 1);
/// ```
pub trait Synth {
    /// Synthesizes into `stackwright.out/` in the current directory.
    fn synth(&self) -> Result<SynthOutput, SynthError>;
    /// Synthesizes into `dir`.
    fn synth_to(&self, dir: &Path) -> Result<SynthOutput, SynthError>;
}

impl Synth for App {
    fn synth(&self) -> Result<SynthOutput, SynthError> {
        self.synth_to(&PathBuf::from(DEFAULT_OUT_DIR))
    }

    fn synth_to(&self, dir: &Path) -> Result<SynthOutput, SynthError> {
        let s = synthesize(self)?;
        let assembly = s.write(dir)?;
        Ok(SynthOutput {
            assembly,
            diagnostics: s.diagnostics,
        })
    }
}
