//! stackwright's L1 code generator: typed Rust structs and static fact tables for the
//! CloudFormation resource types listed in [`types::TYPES`], from schemas vendored in
//! `crates/codegen/schemas/`.
//!
//! - [`generate`] turns the vendored schemas into the files of `crates/core/src/l1/`, in
//!   memory; [`write_l1`] puts them on disk; [`stale_files`] compares (the freshness test).
//! - [`vendor`] copies the listed types' schemas out of an installed cfn-lint.
//!
//! The binary wraps these: `cargo run -p stackwright-codegen` regenerates,
//! `-- generate --check` only compares, `-- vendor --from <dir>` vendors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub mod docs;
mod emit;
mod error;
pub mod fixups;
pub mod getatts;
pub mod model;
pub mod names;
pub mod registry;
pub mod schema;
pub mod types;

pub use error::Error;

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::new(format!("{}: {e}", path.display()))
}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// Where the vendored schemas live: `crates/codegen/schemas/`.
pub fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

/// Where the generated code lives: `crates/core/src/l1/`.
pub fn l1_dir() -> PathBuf {
    workspace_root().join("crates/core/src/l1")
}

/// Where the registry file lives: `crates/core/src/registry/facts.txt`, the facts of every
/// vendored type (see [`registry`]).
pub fn registry_path() -> PathBuf {
    workspace_root().join("crates/core/src/registry/facts.txt")
}

/// The registry file for every vendored type, in memory.
pub fn generate_registry(schemas_dir: &Path) -> Result<String, Error> {
    Ok(registry::registry_file(&models(schemas_dir)?))
}

/// Counts of what was generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Resource types.
    pub types: usize,
    /// Structs, the resource structs included.
    pub structs: usize,
    /// Enums.
    pub enums: usize,
    /// `Fn::GetAtt` accessors.
    pub attributes: usize,
    /// Lines of generated code.
    pub lines: usize,
}

/// Loads, fixes up and models every listed type, in list order.
fn models(schemas_dir: &Path) -> Result<Vec<model::Resource>, Error> {
    let mut out = Vec::new();
    for type_name in types::TYPES {
        let path = schemas_dir.join(names::schema_file_name(type_name));
        let text = std::fs::read_to_string(&path).map_err(|e| {
            io_err(
                &path,
                std::io::Error::new(
                    e.kind(),
                    format!("{e} (run `cargo run -p stackwright-codegen -- vendor --from <dir>`)"),
                ),
            )
        })?;
        let mut schema: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
        let found = schema.get("typeName").and_then(|t| t.as_str());
        if found != Some(type_name) {
            return Err(Error::new(format!(
                "{}: typeName is {found:?}, expected {type_name}",
                path.display()
            )));
        }
        fixups::apply(type_name, &mut schema)?;
        out.push(model::build(type_name, &schema)?);
    }
    Ok(out)
}

/// Generates `crates/core/src/l1/` in memory: paths relative to that directory, and
/// their rustfmt-formatted contents.
pub fn generate(schemas_dir: &Path) -> Result<BTreeMap<PathBuf, String>, Error> {
    generate_with_stats(schemas_dir).map(|(files, _)| files)
}

/// [`generate`], with counts of what it generated.
pub fn generate_with_stats(
    schemas_dir: &Path,
) -> Result<(BTreeMap<PathBuf, String>, Stats), Error> {
    let resources = models(schemas_dir)?;
    let mut by_service: BTreeMap<String, Vec<&model::Resource>> = BTreeMap::new();
    for r in &resources {
        by_service
            .entry(names::service_module(&r.service))
            .or_default()
            .push(r);
    }
    let mut raw: Vec<(PathBuf, String)> = Vec::new();
    let services: Vec<String> = by_service.keys().cloned().collect();
    raw.push((
        PathBuf::from("mod.rs"),
        emit::root_file(&services, &resources),
    ));
    for (module, rs) in &by_service {
        let service = &rs[0].service;
        raw.push((
            PathBuf::from(module).join("mod.rs"),
            emit::service_file(service, rs),
        ));
        for r in rs {
            raw.push((
                PathBuf::from(module).join(format!("{}.rs", r.module)),
                emit::resource_file(r),
            ));
        }
    }
    let formatted = format_all(raw)?;
    let stats = Stats {
        types: resources.len(),
        structs: resources.iter().map(|r| r.structs.len()).sum(),
        enums: resources.iter().map(|r| r.enums.len()).sum(),
        attributes: resources.iter().map(|r| r.attributes.len()).sum(),
        lines: formatted.values().map(|s| s.lines().count()).sum(),
    };
    Ok((formatted, stats))
}

/// Runs rustfmt over every file, on as many threads as there are cores.
fn format_all(files: Vec<(PathBuf, String)>) -> Result<BTreeMap<PathBuf, String>, Error> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<String, Error>>>> =
        files.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((path, src)) = files.get(i) else {
                        break;
                    };
                    let res = rustfmt(src)
                        .map_err(|e| Error::new(format!("formatting {}: {e}", path.display())));
                    *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(res);
                }
            });
        }
    });
    let mut out = BTreeMap::new();
    for ((path, _), res) in files.iter().zip(results) {
        let res = res
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or_else(|| Err(Error::new("rustfmt worker did not run")));
        out.insert(path.clone(), res?);
    }
    Ok(out)
}

/// Formats Rust source with `rustfmt --edition 2024` (or `$RUSTFMT`), run from the
/// workspace root so that a `rustfmt.toml` there applies as it does to `cargo fmt`.
pub fn rustfmt(src: &str) -> Result<String, Error> {
    use std::io::Write;
    let program = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(&program)
        .args(["--edition", "2024"])
        .current_dir(workspace_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::new(format!("cannot run rustfmt: {e}")))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = src.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| Error::new(format!("rustfmt: {e}")))?;
    writer
        .join()
        .map_err(|_| Error::new("rustfmt: writer thread panicked"))?
        .map_err(|e| Error::new(format!("rustfmt: writing stdin: {e}")))?;
    if !output.status.success() {
        return Err(Error::new(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    String::from_utf8(output.stdout).map_err(|e| Error::new(format!("rustfmt output: {e}")))
}

/// Every `.rs` file under `dir`, as paths relative to it.
fn existing_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| io_err(&d, e))? {
            let path = entry.map_err(|e| io_err(&d, e))?.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(dir).unwrap_or(&path).to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// How the files on disk differ from `files`: one line per changed, missing or extra file.
pub fn stale_files(files: &BTreeMap<PathBuf, String>, dir: &Path) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for (rel, content) in files {
        match std::fs::read_to_string(dir.join(rel)) {
            Ok(on_disk) if on_disk == *content => {}
            Ok(_) => out.push(format!("changed: {}", rel.display())),
            Err(_) => out.push(format!("missing: {}", rel.display())),
        }
    }
    for rel in existing_files(dir)? {
        if !files.contains_key(&rel) {
            out.push(format!("extra: {}", rel.display()));
        }
    }
    Ok(out)
}

/// Writes `files` under `dir`, deleting `.rs` files (and emptied directories) that are no
/// longer generated. Files whose content is unchanged are not touched.
pub fn write_l1(files: &BTreeMap<PathBuf, String>, dir: &Path) -> Result<(), Error> {
    for rel in existing_files(dir)? {
        if !files.contains_key(&rel) {
            let path = dir.join(&rel);
            std::fs::remove_file(&path).map_err(|e| io_err(&path, e))?;
            if let Some(parent) = path.parent() {
                // Only succeeds when the directory is now empty.
                let _ = std::fs::remove_dir(parent);
            }
        }
    }
    for (rel, content) in files {
        let path = dir.join(rel);
        if std::fs::read_to_string(&path).is_ok_and(|c| c == *content) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
        }
        std::fs::write(&path, content).map_err(|e| io_err(&path, e))?;
    }
    Ok(())
}

/// Sorts object keys, recursively, so vendored files diff well.
fn sort_keys(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(String, serde_json::Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sort_keys).collect())
        }
        other => other,
    }
}

/// Where a vendored schema came from.
#[derive(Debug, Clone)]
pub struct Vendored {
    /// The type name.
    pub type_name: String,
    /// The file under cfn-lint's `resources/`.
    pub source_file: String,
}

/// Copies the schemas of exactly the listed types from an installed cfn-lint's
/// `cfnlint/data/schemas` directory into `to`, pretty-printed with sorted keys, removes
/// other `.json` files there and writes `SOURCE.md`.
pub fn vendor(from: &Path, to: &Path) -> Result<Vec<Vendored>, Error> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| io_err(p, e));
    let parse = |p: &Path, s: &str| {
        serde_json::from_str::<serde_json::Value>(s)
            .map_err(|e| Error::new(format!("{}: {e}", p.display())))
    };
    let providers_path = from.join("providers/us-east-1.json");
    let providers = parse(&providers_path, &read(&providers_path)?)?;
    let version_path = from.join("version.json");
    let schema_date = parse(&version_path, &read(&version_path)?)?
        .get("schema_date")
        .and_then(|d| d.as_str())
        .unwrap_or("unknown")
        .to_string();
    let cfn_lint_version = std::fs::read_to_string(from.join("../../version.py"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("__version__"))
                .and_then(|l| l.split('"').nth(1))
                .map(str::to_string)
        })
        .unwrap_or_else(|| "unknown".to_string());

    std::fs::create_dir_all(to).map_err(|e| io_err(to, e))?;
    let mut vendored = Vec::new();
    let mut written = Vec::new();
    for type_name in types::TYPES {
        let hash = providers
            .get(type_name)
            .and_then(|h| h.as_str())
            .ok_or_else(|| {
                Error::new(format!(
                    "{type_name} is not in {}",
                    providers_path.display()
                ))
            })?;
        let source_file = format!("{hash}.json");
        let src = from.join("resources").join(&source_file);
        let schema = sort_keys(parse(&src, &read(&src)?)?);
        let mut text = serde_json::to_string_pretty(&schema)
            .map_err(|e| Error::new(format!("{}: {e}", src.display())))?;
        text.push('\n');
        let name = names::schema_file_name(type_name);
        let dest = to.join(&name);
        std::fs::write(&dest, text).map_err(|e| io_err(&dest, e))?;
        written.push(name);
        vendored.push(Vendored {
            type_name: type_name.to_string(),
            source_file,
        });
    }
    for entry in std::fs::read_dir(to).map_err(|e| io_err(to, e))? {
        let path = entry.map_err(|e| io_err(to, e))?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if name.ends_with(".json") && !written.contains(&name) {
            std::fs::remove_file(&path).map_err(|e| io_err(&path, e))?;
        }
    }
    let source_md = to.join("SOURCE.md");
    std::fs::write(
        &source_md,
        source_md_text(&cfn_lint_version, &schema_date, &vendored),
    )
    .map_err(|e| io_err(&source_md, e))?;
    Ok(vendored)
}

fn source_md_text(version: &str, schema_date: &str, vendored: &[Vendored]) -> String {
    let mut out = format!(
        "# Vendored CloudFormation resource schemas\n\
         \n\
         The resource schemas `stackwright-codegen` generates `crates/core/src/l1/` from: one \
         file per type listed in `crates/codegen/src/types.rs`, named after the type \
         (`AWS::EC2::VPC` is `aws-ec2-vpc.json`). Written by the `vendor` command; do not \
         edit them by hand (schema bugs are fixed in `crates/codegen/src/fixups.rs`).\n\
         \n\
         - Source: the `cfn-lint` package on PyPI, version {version}, directory \
         `cfnlint/data/schemas/`. Each type's file is \
         `resources/<hash>.json`, where `providers/us-east-1.json` maps the type name to \
         the hash. These are cfn-lint's adjusted copies of the CloudFormation registry \
         schemas (its patches applied).\n\
         - schema_date: {schema_date} (from `cfnlint/data/schemas/version.json`).\n\
         - Licence: MIT-0, as cfn-lint (Copyright Amazon.com, Inc. or its affiliates).\n\
         - Format: pretty-printed JSON with sorted keys, so that refreshes diff well.\n\
         \n\
         ## Refreshing\n\
         \n\
         ```sh\n\
         python3 -m venv /tmp/venv && /tmp/venv/bin/pip install cfn-lint==<version>\n\
         cargo run -p stackwright-codegen -- vendor --from \"$(/tmp/venv/bin/python -c \
         'import cfnlint, os; print(os.path.join(os.path.dirname(cfnlint.__file__), \"data\", \"schemas\"))')\"\n\
         cargo run -p stackwright-codegen\n\
         ```\n\
         \n\
         Then read the schema diff and the generated diff. A fixup that no longer applies \
         stops generation with its name: check it and delete it. To add a type, add one \
         line to `crates/codegen/src/types.rs` and run both commands.\n\
         \n\
         ## Files\n\
         \n\
         | Type | File here | cfn-lint file |\n\
         | --- | --- | --- |\n"
    );
    for v in vendored {
        out.push_str(&format!(
            "| `{}` | `{}` | `resources/{}` |\n",
            v.type_name,
            names::schema_file_name(&v.type_name),
            v.source_file
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_recursively() {
        let v = serde_json::json!({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": 3}});
        let text = serde_json::to_string(&sort_keys(v)).unwrap();
        assert_eq!(text, r#"{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}"#);
    }

    #[test]
    fn type_list_is_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for t in types::TYPES {
            assert!(names::split_type_name(t).is_some(), "{t}");
            assert!(seen.insert(*t), "{t} is listed twice");
        }
    }
}
