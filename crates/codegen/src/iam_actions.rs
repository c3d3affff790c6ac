//! The IAM actions catalog synth checks policy documents against, from cfn-lint's
//! `data/AdditionalSpecs/Policies.json` (every service prefix and its actions).
//!
//! Written as one `service:action` per line, lowercase and sorted, so that synth finds an
//! action by binary search over the text as it is embedded, with nothing to build first.

use std::path::Path;

use crate::error::Error;

/// Where the catalog goes: beside the synth crate that embeds it.
pub fn catalog_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../synth/data/iam-actions.txt")
}

/// The catalog text from the contents of `Policies.json`; `source` names where it came
/// from (the header records it).
pub fn catalog(policies_json: &str, source: &str) -> Result<String, Error> {
    let policies: serde_json::Value = serde_json::from_str(policies_json)
        .map_err(|e| Error::new(format!("Policies.json: {e}")))?;
    let services = policies
        .as_object()
        .ok_or_else(|| Error::new("Policies.json: not an object of services".to_string()))?;
    let mut lines: Vec<String> = Vec::new();
    for (service, spec) in services {
        let actions = spec
            .get("Actions")
            .and_then(|a| a.as_object())
            .ok_or_else(|| Error::new(format!("Policies.json: {service} has no Actions")))?;
        if actions.is_empty() {
            // A prefix IAM knows with no actions yet still parses as a prefix.
            lines.push(format!("{}:", service.to_ascii_lowercase()));
        }
        for action in actions.keys() {
            lines.push(format!(
                "{}:{}",
                service.to_ascii_lowercase(),
                action.to_ascii_lowercase()
            ));
        }
    }
    lines.sort_unstable();
    lines.dedup();
    let mut out = format!(
        "# IAM service prefixes and actions, one `service:action` per line, lowercase, sorted.\n\
         # Source: {source}. Written by `cargo run -p stackwright-codegen -- vendor`; do not edit.\n"
    );
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    Ok(out)
}

/// Writes the catalog from the cfn-lint schemas directory `schemas` (its
/// `../AdditionalSpecs/Policies.json`); returns the number of actions.
pub fn vendor(schemas: &Path, cfn_lint_version: &str) -> Result<usize, Error> {
    crate::vendor_additional_spec(
        schemas,
        "Policies.json",
        cfn_lint_version,
        &catalog_path(),
        catalog,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_sorted_lowercase_service_action_lines() {
        let text = catalog(
            r#"{"S3": {"Actions": {"GetObject": {}, "AbortMultipartUpload": {}}},
                "a4b": {"Actions": {}}}"#,
            "test",
        )
        .unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines, ["a4b:", "s3:abortmultipartupload", "s3:getobject"]);
        assert!(catalog("[]", "test").is_err());
    }
}
