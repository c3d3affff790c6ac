//! `stackwright-codegen`: regenerates `crates/l1/`, the registry file and the facade's
//! per-service features from the vendored schemas, or vendors the schemas from an installed cfn-lint.
//!
//! ```text
//! cargo run -p stackwright-codegen                      # regenerate crates/l1/
//! cargo run -p stackwright-codegen -- generate --check  # only report stale files
//! cargo run -p stackwright-codegen -- vendor --from <cfnlint/data/schemas>
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: stackwright-codegen [generate [--check] | vendor --from <cfnlint/data/schemas dir>]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        [] | ["generate"] => generate(false),
        ["generate", "--check"] => generate(true),
        ["vendor", "--from", dir] => vendor(PathBuf::from(dir)),
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(check: bool) -> Result<(), String> {
    let (generated, stats) =
        stackwright_codegen::generate_with_stats(&stackwright_codegen::schemas_dir())
            .map_err(|e| e.to_string())?;
    let dir = stackwright_codegen::l1_dir();
    if check {
        let stale = stackwright_codegen::stale(&generated).map_err(|e| e.to_string())?;
        if stale.is_empty() {
            println!("{} is up to date", dir.display());
            return Ok(());
        }
        return Err(format!(
            "{} is stale ({}); run `cargo run -p stackwright-codegen`",
            dir.display(),
            stale.join(", ")
        ));
    }
    stackwright_codegen::write(&generated).map_err(|e| e.to_string())?;
    let bytes: usize = generated.files.values().map(String::len).sum();
    println!(
        "wrote {}: {} types in {} services, {} structs, {} enums, {} attributes, {} files, \
         {} lines, {bytes} bytes",
        dir.display(),
        stats.types,
        generated.services.len(),
        stats.structs,
        stats.enums,
        stats.attributes,
        generated.files.len(),
        stats.lines
    );
    let total: usize = stats.constraints.values().sum();
    println!(
        "{total} constraints on {} types: {}",
        stats.constrained_types,
        stats
            .constraints
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (reason, n) in &stats.skipped {
        println!("left out: {n} x {reason}");
    }
    Ok(())
}

fn vendor(from: PathBuf) -> Result<(), String> {
    let to = stackwright_codegen::schemas_dir();
    let vendored = stackwright_codegen::vendor(&from, &to).map_err(|e| e.to_string())?;
    println!("vendored {} schemas into {}", vendored.len(), to.display());
    let version = stackwright_codegen::cfn_lint_version(&from);
    let actions =
        stackwright_codegen::iam_actions::vendor(&from, &version).map_err(|e| e.to_string())?;
    println!(
        "vendored {actions} IAM actions into {}",
        stackwright_codegen::iam_actions::catalog_path().display()
    );
    let runtimes =
        stackwright_codegen::lambda_runtimes::vendor(&from, &version).map_err(|e| e.to_string())?;
    println!(
        "vendored {runtimes} Lambda runtimes into {}",
        stackwright_codegen::lambda_runtimes::catalog_path().display()
    );
    Ok(())
}
