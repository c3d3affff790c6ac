//! `stackwright-codegen`: regenerates `crates/core/src/l1/` and the registry file from the vendored schemas, or
//! vendors the schemas from an installed cfn-lint.
//!
//! ```text
//! cargo run -p stackwright-codegen                      # regenerate crates/core/src/l1/
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
    let (files, stats) =
        stackwright_codegen::generate_with_stats(&stackwright_codegen::schemas_dir())
            .map_err(|e| e.to_string())?;
    let dir = stackwright_codegen::l1_dir();
    let registry = stackwright_codegen::generate_registry(&stackwright_codegen::schemas_dir())
        .map_err(|e| e.to_string())?;
    let registry_path = stackwright_codegen::registry_path();
    if check {
        if std::fs::read_to_string(&registry_path).ok().as_deref() != Some(registry.as_str()) {
            return Err(format!(
                "{} is stale; run `cargo run -p stackwright-codegen`",
                registry_path.display()
            ));
        }
        let stale = stackwright_codegen::stale_files(&files, &dir).map_err(|e| e.to_string())?;
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
    stackwright_codegen::write_l1(&files, &dir).map_err(|e| e.to_string())?;
    std::fs::write(&registry_path, &registry)
        .map_err(|e| format!("{}: {e}", registry_path.display()))?;
    println!(
        "wrote {}: {} types, {} structs, {} enums, {} attributes, {} files, {} lines",
        dir.display(),
        stats.types,
        stats.structs,
        stats.enums,
        stats.attributes,
        files.len(),
        stats.lines
    );
    Ok(())
}

fn vendor(from: PathBuf) -> Result<(), String> {
    let to = stackwright_codegen::schemas_dir();
    let vendored = stackwright_codegen::vendor(&from, &to).map_err(|e| e.to_string())?;
    println!("vendored {} schemas into {}", vendored.len(), to.display());
    Ok(())
}
