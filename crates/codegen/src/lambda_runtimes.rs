//! The Lambda runtime lifecycle synth checks `Runtime` against, from cfn-lint's
//! `data/AdditionalSpecs/LmbdRuntimeLifecycle.json` (per runtime: when it was deprecated,
//! when Lambda stopped creating and updating functions with it, and its successor).
//!
//! Written as one `runtime deprecated create-block update-block successor` line per
//! runtime, sorted, dates as `YYYY-MM-DD` (so they compare as text), `-` for none.

use std::path::Path;

use crate::error::Error;

/// Where the catalog goes: beside the synth crate that embeds it.
pub fn catalog_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../synth/data/lambda-runtimes.txt")
}

/// The catalog text from the contents of `LmbdRuntimeLifecycle.json`; `source` names
/// where it came from (the header records it).
pub fn catalog(lifecycle_json: &str, source: &str) -> Result<String, Error> {
    let bad = |what: String| Error::new(format!("LmbdRuntimeLifecycle.json: {what}"));
    let runtimes: serde_json::Value =
        serde_json::from_str(lifecycle_json).map_err(|e| bad(e.to_string()))?;
    let runtimes = runtimes
        .as_object()
        .ok_or_else(|| bad("not an object of runtimes".to_string()))?;
    let mut lines = Vec::new();
    for (runtime, spec) in runtimes {
        let field = |key: &str| -> Result<String, Error> {
            match spec.get(key) {
                None | Some(serde_json::Value::Null) => Ok("-".to_string()),
                Some(serde_json::Value::String(s)) if !s.is_empty() && !s.contains(' ') => {
                    Ok(s.clone())
                }
                Some(other) => Err(bad(format!("{runtime}: {key} is {other}"))),
            }
        };
        let dates = ["deprecated", "create-block", "update-block"].map(field);
        for d in dates.iter().flatten() {
            let ok = d == "-"
                || (d.len() == 10
                    && d.bytes().enumerate().all(|(i, b)| match i {
                        4 | 7 => b == b'-',
                        _ => b.is_ascii_digit(),
                    }));
            if !ok {
                return Err(bad(format!("{runtime}: '{d}' is not a YYYY-MM-DD date")));
            }
        }
        let [deprecated, create, update] = dates;
        lines.push(format!(
            "{runtime} {} {} {} {}",
            deprecated?,
            create?,
            update?,
            field("successor")?
        ));
    }
    lines.sort_unstable();
    let mut out = format!(
        "# Lambda runtimes: <runtime> <deprecated> <create-block> <update-block> <successor>,\n\
         # dates YYYY-MM-DD, - for none, sorted by runtime.\n\
         # Source: {source}. Written by `cargo run -p stackwright-codegen -- vendor`; do not edit.\n"
    );
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    Ok(out)
}

/// Writes the catalog from the cfn-lint schemas directory `schemas` (its
/// `../AdditionalSpecs/LmbdRuntimeLifecycle.json`); returns the number of runtimes.
pub fn vendor(schemas: &Path, cfn_lint_version: &str) -> Result<usize, Error> {
    crate::vendor_additional_spec(
        schemas,
        "LmbdRuntimeLifecycle.json",
        cfn_lint_version,
        &catalog_path(),
        catalog,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sorted_line_per_runtime_with_dashes_for_missing_dates() {
        let text = catalog(
            r#"{"python3.9": {"create-block": "2027-02-01", "deprecated": "2025-12-15",
                              "successor": "python3.14", "update-block": "2027-03-03"},
                "dotnet9": {"create-block": null, "deprecated": "2026-11-10",
                            "successor": "dotnet10", "update-block": null}}"#,
            "test",
        )
        .unwrap();
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            body,
            [
                "dotnet9 2026-11-10 - - dotnet10",
                "python3.9 2025-12-15 2027-02-01 2027-03-03 python3.14"
            ]
        );
        assert!(catalog(r#"{"x": {"deprecated": "soon"}}"#, "test").is_err());
    }
}
