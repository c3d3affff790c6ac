//! The resource types stackwright generates L1 code for: every type whose schema is
//! vendored in `crates/codegen/schemas/`, which is every type cfn-lint's
//! `providers/us-east-1.json` lists (the `vendor` command copies them all).
//!
//! To refresh the list, vendor a newer cfn-lint
//! (`cargo run -p stackwright-codegen -- vendor --from <cfn-lint schemas dir>`), then
//! regenerate `crates/l1/src/` (`cargo run -p stackwright-codegen`).

use std::path::{Path, PathBuf};

use crate::error::Error;

/// The vendored schema files, sorted by name: `(path, file name)`.
pub fn schema_files(schemas_dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(schemas_dir)
        .map_err(|e| Error::new(format!("{}: {e}", schemas_dir.display())))?;
    let mut out = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| Error::new(format!("{}: {e}", schemas_dir.display())))?
            .path();
        if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Every vendored type name, sorted.
pub fn vendored(schemas_dir: &Path) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for path in schema_files(schemas_dir)? {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
        let schema: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
        let name = schema
            .get("typeName")
            .and_then(|t| t.as_str())
            .ok_or_else(|| Error::new(format!("{}: no typeName", path.display())))?;
        out.push(name.to_string());
    }
    out.sort();
    Ok(out)
}
