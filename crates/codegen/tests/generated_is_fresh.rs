//! The checked-in `crates/l1/`, the registry file and the facade's per-service features
//! must be exactly what the generator makes from the vendored schemas: no hand edits, no forgotten
//! regeneration, no stale or missing files, for every vendored type.

#[test]
fn checked_in_l1_matches_the_generator_for_every_type() {
    let generated = stackwright_codegen::generate(&stackwright_codegen::schemas_dir())
        .unwrap_or_else(|e| panic!("generating L1 code failed: {e}"));
    let stale = stackwright_codegen::stale(&generated)
        .unwrap_or_else(|e| panic!("reading the checked-in code: {e}"));
    assert!(
        stale.is_empty(),
        "{} is out of date with the generator and the vendored schemas:\n  {}\n\
         Regenerate it with `cargo run -p stackwright-codegen` (never edit generated files \
         by hand; schema fixes go in crates/codegen/src/fixups.rs) and commit the result.",
        stackwright_codegen::l1_dir().display(),
        stale.join("\n  ")
    );

    // Every vendored type has its file, its struct's FACTS and its module behind a feature.
    let types = stackwright_codegen::types::vendored(&stackwright_codegen::schemas_dir())
        .unwrap_or_else(|e| panic!("listing the vendored schemas: {e}"));
    assert_eq!(types.len(), 1854, "cfn-lint 1.58.0's us-east-1 registry");
    let files = &generated.files;
    let lib = &files[std::path::Path::new("src/lib.rs")];
    for type_name in &types {
        let (service, resource) = stackwright_codegen::names::split_type_name(type_name)
            .unwrap_or_else(|| panic!("{type_name}: not a type name"));
        let service = stackwright_codegen::names::service_module(service);
        let module = stackwright_codegen::names::resource_module(resource);
        let path = std::path::PathBuf::from("src")
            .join(&service)
            .join(format!("{module}.rs"));
        let src = files
            .get(&path)
            .unwrap_or_else(|| panic!("{type_name}: no {}", path.display()));
        assert!(
            src.contains(&format!("type_name: \"{type_name}\"")),
            "{type_name}"
        );
        assert!(
            lib.contains(&format!(
                "#[cfg(feature = \"{service}\")]\npub mod {service};"
            )),
            "{type_name}: no feature {service}"
        );
    }
}
