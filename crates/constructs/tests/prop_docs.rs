//! Every prop of every construct says what you get when you leave it alone, in one form:
//! `Default: ...` in its rustdoc (AWS CDK's `@default` discipline).

use std::path::Path;

/// Structs whose public fields are settings a user fills in.
fn is_settings_struct(name: &str) -> bool {
    [
        "Props",
        "Settings",
        "Thresholds",
        "Gates",
        "HealthCheck",
        "TestListener",
        "Generate",
    ]
    .iter()
    .any(|suffix| name.ends_with(suffix))
}

/// `file:line: Struct.field` for each public field of a settings struct whose doc comment
/// has no `Default:`.
fn undocumented_defaults(file: &Path, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    let mut doc = String::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("pub struct ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if trimmed.ends_with('{') && is_settings_struct(&name) {
                current = Some(name);
                doc.clear();
            }
            continue;
        }
        let Some(name) = &current else { continue };
        if line.starts_with('}') {
            current = None;
        } else if let Some(d) = trimmed.strip_prefix("///") {
            doc.push_str(d);
            doc.push(' ');
        } else if let Some(field) = trimmed.strip_prefix("pub ") {
            if !doc.contains("Default:") {
                let field = field.split(':').next().unwrap_or(field);
                found.push(format!("{}:{}: {name}.{field}", file.display(), i + 1));
            }
            doc.clear();
        } else if !trimmed.starts_with('#') {
            doc.clear();
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source directory is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_prop_states_its_default() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut missing = Vec::new();
    let mut fields_seen = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).expect("a readable source file");
        fields_seen += text.matches("Default:").count();
        missing.extend(undocumented_defaults(f, &text));
    }
    assert!(
        fields_seen > 100,
        "the scan found only {fields_seen} documented defaults; is it reading the sources?"
    );
    assert!(
        missing.is_empty(),
        "props without `Default: ...` in their rustdoc:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_scan_catches_a_prop_without_its_default() {
    let text = "pub struct DemoProps {\n    /// Documented. Default: 1.\n    pub a: u32,\n    /// Not.\n    pub b: u32,\n}\n";
    let found = undocumented_defaults(Path::new("demo.rs"), text);
    assert_eq!(found, vec!["demo.rs:5: DemoProps.b".to_string()]);
}
