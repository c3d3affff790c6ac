//! cfn-lint, informational rules included, finds nothing in what the example writes.
//!
//! Needs cfn-lint: `.ci/run` installs the pinned version into `.venv/`; elsewhere set
//! `CFN_LINT` or put it on PATH. Without it the test says loudly that it skipped, and under
//! `CI` it fails instead of skipping.

#[path = "../examples/production.rs"]
mod production;

use std::path::PathBuf;
use std::process::Command;

use stackwright::core::App;
use stackwright::synth::Synth;

fn cfn_lint() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CFN_LINT") {
        return Some(PathBuf::from(p));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/cfn-lint");
    if venv.exists() {
        return Some(venv);
    }
    let on_path = Command::new("cfn-lint").arg("--version").output();
    on_path
        .is_ok_and(|o| o.status.success())
        .then(|| PathBuf::from("cfn-lint"))
}

#[test]
fn the_example_passes_cfn_lint_with_informational_rules() {
    let Some(linter) = cfn_lint() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "cfn-lint is required under CI; .ci/run installs it into .venv"
        );
        eprintln!(
            "\n*** SKIPPED the_example_passes_cfn_lint: cfn-lint not found (run .ci/run once, or set CFN_LINT) ***\n"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let app = App::new();
    production::app(&app).unwrap();
    let written = app.synth_to(dir.path()).unwrap();
    let templates: Vec<PathBuf> = written
        .assembly
        .manifest
        .stacks
        .values()
        .map(|s| dir.path().join(&s.template_file))
        .collect();
    let out = Command::new(&linter)
        .args(["-c", "I", "--"])
        .args(&templates)
        .output()
        .expect("cfn-lint runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.trim().is_empty(),
        "cfn-lint findings:\n{report}"
    );
}
