//! The checked-in `crates/core/src/l1/` must be exactly what the generator makes from the
//! vendored schemas: no hand edits, no forgotten regeneration, no stale or missing files.

#[test]
fn checked_in_l1_matches_the_generator() {
    let files = stackwright_codegen::generate(&stackwright_codegen::schemas_dir())
        .unwrap_or_else(|e| panic!("generating L1 code failed: {e}"));
    let dir = stackwright_codegen::l1_dir();
    let stale = stackwright_codegen::stale_files(&files, &dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    assert!(
        stale.is_empty(),
        "{} is out of date with the generator and the vendored schemas:\n  {}\n\
         Regenerate it with `cargo run -p stackwright-codegen` (never edit generated files \
         by hand; schema fixes go in crates/codegen/src/fixups.rs) and commit the result.",
        dir.display(),
        stale.join("\n  ")
    );
}

#[test]
fn every_listed_type_has_a_file_and_facts() {
    let files = stackwright_codegen::generate(&stackwright_codegen::schemas_dir())
        .unwrap_or_else(|e| panic!("generating L1 code failed: {e}"));
    let root = files
        .get(std::path::Path::new("mod.rs"))
        .expect("l1/mod.rs is generated");
    for type_name in stackwright_codegen::types::TYPES {
        let (service, resource) = stackwright_codegen::names::split_type_name(type_name).unwrap();
        let service = stackwright_codegen::names::service_module(service);
        let module = stackwright_codegen::names::resource_module(resource);
        let path = std::path::PathBuf::from(&service).join(format!("{module}.rs"));
        let src = files
            .get(&path)
            .unwrap_or_else(|| panic!("{type_name}: no {}", path.display()));
        assert!(
            src.contains(&format!("type_name: \"{type_name}\"")),
            "{type_name}"
        );
        assert!(
            root.contains(&format!("&{service}::{module}::FACTS")),
            "{type_name}"
        );
    }
}

#[test]
fn checked_in_registry_matches_the_generator() {
    let registry = stackwright_codegen::generate_registry(&stackwright_codegen::schemas_dir())
        .unwrap_or_else(|e| panic!("generating the registry failed: {e}"));
    let path = stackwright_codegen::registry_path();
    let on_disk = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert!(
        on_disk == registry,
        "{} is out of date with the generator and the vendored schemas; regenerate it with \
         `cargo run -p stackwright-codegen` and commit the result",
        path.display()
    );
}
