//! Same code, byte-identical output: templates, manifest, every file of the assembly.

#[path = "../examples/production.rs"]
mod production;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use stackwright::core::{App, Env, Stack};
use stackwright::synth::{Synth, synthesize};

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn two_synths_write_identical_assemblies() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = App::new();
    production::app(&first).unwrap();
    first.synth_to(a.path()).unwrap();
    // Another app in between changes every internal counter; output must not notice.
    let noise = App::new();
    Stack::new(&noise, "Noise", Env::new("123456789012", "us-east-1")).unwrap();
    let second = App::new();
    production::app(&second).unwrap();
    second.synth_to(b.path()).unwrap();
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    assert!(fa.len() >= 3, "manifest and templates: {:?}", fa.keys());
    assert_eq!(fa, fb);
}

#[test]
fn templates_are_pretty_json_with_a_trailing_newline_and_the_manifest_hashes_them() {
    let app = App::new();
    production::app(&app).unwrap();
    let s = synthesize(&app).unwrap();
    let manifest = s.manifest();
    for (stack, body) in s.stacks.iter().zip(&s.bodies) {
        assert!(body.ends_with("}\n") && !body.ends_with("\n\n"));
        assert!(body.starts_with("{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\""));
        let entry = &manifest.stacks[&stack.name];
        assert_eq!(
            entry.template_hash,
            stackwright::synth::assembly::sha256_hex(body.as_bytes())
        );
        assert_eq!(entry.template_bytes, body.len());
    }
}

#[test]
fn rewriting_an_unchanged_assembly_leaves_files_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new();
    production::app(&app).unwrap();
    app.synth_to(dir.path()).unwrap();
    let before: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().modified().unwrap())
        .collect();
    app.synth_to(dir.path()).unwrap();
    let after: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().modified().unwrap())
        .collect();
    assert_eq!(before, after);
}
