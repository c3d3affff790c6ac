//! cfn-lint (informational rules included) and checkov find nothing in what the examples
//! write.
//!
//! Needs both tools at the versions `.ci/requirements.txt` pins: `.ci/run` installs them
//! into `.venv/`; elsewhere set `CFN_LINT` / `CHECKOV` or put them on PATH. A tool of
//! another version is passed over. Without a pinned tool its test says loudly that it
//! skipped, and under `CI` it fails instead of skipping.

#[path = "../examples/fargate_aurora.rs"]
mod fargate_aurora;
#[path = "../examples/production.rs"]
mod production;
#[path = "../examples/serverless.rs"]
mod serverless;

use std::path::PathBuf;
use std::process::Command;

use stackwright::core::App;
use stackwright::synth::Synth;

#[path = "support/pinned_tool.rs"]
mod pinned_tool;

fn require(name: &str, env_var: &str) -> Option<PathBuf> {
    pinned_tool::pinned_tool(name, name, env_var)
}

/// Synthesizes every example into a fresh directory; returns it and the template paths.
fn synthesized() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new();
    production::app(&app).unwrap();
    fargate_aurora::app(&app).unwrap();
    serverless::app(&app).unwrap();
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
