//! cfn-lint (informational rules included) and checkov find nothing in what the examples
//! write.
//!
//! Needs both tools: `.ci/run` installs the pinned versions into `.venv/`; elsewhere set
//! `CFN_LINT` / `CHECKOV` or put them on PATH. Without a tool its test says loudly that it
//! skipped, and under `CI` it fails instead of skipping.

#[path = "../examples/fargate_aurora.rs"]
mod fargate_aurora;
#[path = "../examples/production.rs"]
mod production;

use std::path::{Path, PathBuf};
use std::process::Command;

use stackwright::core::App;
use stackwright::synth::Synth;

fn tool(name: &str, env_var: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env_var) {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(name);
    if venv.exists() {
        return Some(venv);
    }
    let on_path = Command::new(name).arg("--version").output();
    on_path
        .is_ok_and(|o| o.status.success())
        .then(|| PathBuf::from(name))
}

fn require(name: &str, env_var: &str) -> Option<PathBuf> {
    let found = tool(name, env_var);
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is required under CI; .ci/run installs it into .venv"
        );
        eprintln!("\n*** SKIPPED: {name} not found (run .ci/run once, or set {env_var}) ***\n");
    }
    found
}

/// Synthesizes both examples into a fresh directory; returns it and the template paths.
fn synthesized() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new();
    production::app(&app).unwrap();
    fargate_aurora::app(&app).unwrap();
    let written = app.synth_to(dir.path()).unwrap();
    let templates = written
        .assembly
        .manifest
        .stacks
        .values()
        .map(|s| dir.path().join(&s.template_file))
        .collect();
    (dir, templates)
}

fn report(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_examples_pass_cfn_lint_with_informational_rules() {
    let Some(linter) = require("cfn-lint", "CFN_LINT") else {
        return;
    };
    let (_dir, templates) = synthesized();
    let out = Command::new(&linter)
        .args(["-c", "I", "--"])
        .args(&templates)
        .output()
        .expect("cfn-lint runs");
    let report = report(&out);
    assert!(
        out.status.success() && report.trim().is_empty(),
        "cfn-lint findings:\n{report}"
    );
}

#[test]
fn the_examples_pass_checkov() {
    let Some(checkov) = require("checkov", "CHECKOV") else {
        return;
    };
    let (dir, templates) = synthesized();
    let out = Command::new(&checkov)
        .args([
            "--framework",
            "cloudformation",
            "--compact",
            "--quiet",
            "--skip-download",
            "--directory",
        ])
        .arg(dir.path())
        .output()
        .expect("checkov runs");
    let report = report(&out);
    assert!(out.status.success(), "checkov failed checks:\n{report}");
    assert!(
        report.contains("Failed checks: 0"),
        "checkov scanned nothing? {} templates:\n{report}",
        templates.len()
    );
}
