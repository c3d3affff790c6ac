//! The validators and emulator the tests run, at exactly the versions `.ci/requirements.txt`
//! pins: another version on PATH (an older cfn-lint rejects what the pinned one accepts)
//! is passed over, loudly. Without the pinned tool a test skips and says so; under `CI` it
//! fails instead, because CI installs every pinned tool into `.venv/`.
//!
//! Shared by the workspace's test crates through `#[path]`, so each finds the same tool.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root: the nearest directory above this crate holding `.ci/requirements.txt`.
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|d| d.join(".ci/requirements.txt").is_file())
        .unwrap_or(here)
        .to_path_buf()
}

/// The version `.ci/requirements.txt` pins for the PyPI package `package`.
pub fn pinned_version(package: &str) -> Option<String> {
    let text = std::fs::read_to_string(workspace_root().join(".ci/requirements.txt")).ok()?;
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|l| {
            let (name, version) = l.trim().split_once("==")?;
            let name = name.split('[').next()?;
            name.eq_ignore_ascii_case(package)
                .then(|| version.trim().to_string())
        })
}

/// Whether `candidate --version` names `version` (as a whole word: 1.58.0 is not 1.58.01).
fn reports_version(candidate: &Path, version: &str) -> Result<bool, String> {
    let out = Command::new(candidate)
        .arg("--version")
        .output()
        .map_err(|e| e.to_string())?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(text
        .split(|c: char| c.is_whitespace() || c == ',')
        .any(|w| w == version))
}

/// `program` (installed by the PyPI package `package`) at its pinned version: from the
/// environment variable `env_var`, `.venv/bin` at the workspace root, or PATH, the first
/// that reports the pinned version. `None`, said on stderr, when there is none; a panic
/// under `CI`.
pub fn pinned_tool(program: &str, package: &str, env_var: &str) -> Option<PathBuf> {
    let Some(version) = pinned_version(package) else {
        panic!("{package} is not pinned in .ci/requirements.txt");
    };
    let candidates = std::env::var_os(env_var)
        .map(PathBuf::from)
        .into_iter()
        .chain([
            workspace_root().join(".venv/bin").join(program),
            PathBuf::from(program),
        ]);
    let mut passed_over = Vec::new();
    for candidate in candidates {
        match reports_version(&candidate, &version) {
            Ok(true) => return Some(candidate),
            Ok(false) => passed_over.push(format!("{} (another version)", candidate.display())),
            Err(_) => {}
        }
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{program} {version} is required under CI; .ci/run installs it into .venv (passed over: {passed_over:?})"
    );
    eprintln!(
        "\n*** SKIPPED: {program} {version} (pinned in .ci/requirements.txt) not found{}; run .ci/run once, or set {env_var} ***\n",
        if passed_over.is_empty() {
            String::new()
        } else {
            format!(", passed over {}", passed_over.join(", "))
        }
    );
    None
}
