//! The cloud assembly: what synth writes to disk and what diff and deploy read.
//!
//! A directory (default `stackwright.out/`) with `manifest.json` and one
//! `<StackName>.template.json` per stack. Everything in it is a pure function of the code:
//! pretty JSON with stable key order and a trailing newline, no timestamps, so two synths of
//! the same code are byte-identical and the directory can be diffed and cached.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// The assembly format version written to `manifest.json`.
pub const MANIFEST_VERSION: u32 = 1;

/// The default output directory.
pub const DEFAULT_OUT_DIR: &str = "stackwright.out";

/// `manifest.json`: every stack of the app, in deployment order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The format version.
    pub version: u32,
    /// The stacks by name, in an order where each comes after its dependencies.
    pub stacks: IndexMap<String, ManifestStack>,
}

/// One stack in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestStack {
    /// Where it deploys.
    pub environment: Environment,
    /// The template file, relative to the assembly directory.
    pub template_file: String,
    /// SHA-256 of the template file, hex.
    pub template_hash: String,
    /// Its size in bytes.
    pub template_bytes: usize,
    /// How many resources it has.
    pub resource_count: usize,
    /// Names of the stacks to deploy first.
    pub dependencies: Vec<String>,
    /// Whether deploy turns on termination protection.
    pub termination_protection: bool,
    /// Stack-level tags for deploy to set.
    pub tags: IndexMap<String, String>,
    /// The construct path of each resource, by logical id, so deploy can say which
    /// construct an event concerns.
    pub paths: IndexMap<String, String>,
}

/// Account and region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// The 12-digit account id.
    pub account: String,
    /// The region.
    pub region: String,
}

/// A cloud assembly on disk.
#[derive(Debug, Clone)]
pub struct CloudAssembly {
    /// The directory.
    pub dir: PathBuf,
    /// The manifest.
    pub manifest: Manifest,
}

/// Failure to write or read an assembly.
#[derive(Debug, thiserror::Error)]
pub enum AssemblyError {
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The manifest is not one this version understands.
    #[error("{path}: not a stackwright manifest ({reason}); run synth again to rewrite it")]
    BadManifest {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> AssemblyError + '_ {
    move |source| AssemblyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Serializes a template the one way stackwright always does: pretty, trailing newline.
pub fn to_pretty_json(v: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values always serialize");
    s.push('\n');
    s
}

/// A template's text exactly as [`to_pretty_json`] writes it, and the length of its compact
/// form (what deploy sends, which the size limits apply to), from one pass over the value
/// instead of two serializations.
pub(crate) fn render_template(v: &Json) -> (String, usize) {
    let mut p = Pretty {
        out: String::with_capacity(32 * 1024),
        whitespace: 0,
    };
    p.value(v, 0);
    p.out.push('\n');
    let compact = p.out.len() - p.whitespace - 1;
    (p.out, compact)
}

/// serde_json's pretty printer (two-space indent, `": "`), counting the whitespace it adds.
struct Pretty {
    out: String,
    whitespace: usize,
}

impl Pretty {
    fn value(&mut self, v: &Json, level: usize) {
        match v {
            Json::Null => self.out.push_str("null"),
            Json::Bool(true) => self.out.push_str("true"),
            Json::Bool(false) => self.out.push_str("false"),
            Json::Number(n) => {
                use std::fmt::Write;
                write!(self.out, "{n}").expect("writing to a String cannot fail");
            }
            Json::String(s) => self.string(s),
            Json::Array(items) => {
                if items.is_empty() {
                    self.out.push_str("[]");
                    return;
                }
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.newline(level + 1);
                    self.value(item, level + 1);
                }
                self.newline(level);
                self.out.push(']');
            }
            Json::Object(map) => {
                if map.is_empty() {
                    self.out.push_str("{}");
                    return;
                }
                self.out.push('{');
                for (i, (k, item)) in map.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.newline(level + 1);
                    self.string(k);
                    self.out.push_str(": ");
                    self.whitespace += 1;
                    self.value(item, level + 1);
                }
                self.newline(level);
                self.out.push('}');
            }
        }
    }

    fn newline(&mut self, level: usize) {
        const SPACES: &str = "                                                                ";
        self.out.push('\n');
        let mut n = 2 * level;
        self.whitespace += 1 + n;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.out.push_str(&SPACES[..k]);
            n -= k;
        }
    }

    /// A JSON string, escaped as serde_json escapes: `"`, `\` and control characters only.
    fn string(&mut self, s: &str) {
        self.out.push('"');
        let bytes = s.as_bytes();
        // Most strings need no escape at all: skip them eight bytes at a time.
        let mut clean = 0;
        while let Some(chunk) = bytes.get(clean..clean + 8) {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            if needs_escape(word) {
                break;
            }
            clean += 8;
        }
        let mut run = 0;
        for (i, &b) in bytes.iter().enumerate().skip(clean) {
            if b >= 0x20 && b != b'"' && b != b'\\' {
                continue;
            }
            // Every byte that needs escaping is ASCII, so the runs are whole characters.
            self.out.push_str(&s[run..i]);
            run = i + 1;
            match b {
                b'"' => self.out.push_str("\\\""),
                b'\\' => self.out.push_str("\\\\"),
                b'\n' => self.out.push_str("\\n"),
                b'\r' => self.out.push_str("\\r"),
                b'\t' => self.out.push_str("\\t"),
                0x08 => self.out.push_str("\\b"),
                0x0C => self.out.push_str("\\f"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.out.push_str("\\u00");
                    self.out.push(char::from(HEX[usize::from(b >> 4)]));
                    self.out.push(char::from(HEX[usize::from(b & 0xF)]));
                }
            }
        }
        self.out.push_str(&s[run..]);
        self.out.push('"');
    }
}

/// Whether any of the eight bytes is a control character, `"` or `\`.
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The classic tests: some byte below n is `(x - n*ONES) & !x & HIGH != 0`, some byte
    // equal to c is a zero byte of `x ^ c*ONES`.
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    below_space | zero(quote) | zero(backslash) != 0
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl CloudAssembly {
    /// Writes the manifest and templates into `dir`, creating it, and removes templates of
    /// stacks that no longer exist there. Files are replaced atomically (write, then rename)
    /// so a reader never sees half a template.
    pub fn write(
        dir: &Path,
        manifest: Manifest,
        templates: &[(String, String)],
    ) -> Result<CloudAssembly, AssemblyError> {
        let files: Vec<(String, &str)> = templates
            .iter()
            .map(|(f, b)| (f.clone(), b.as_str()))
            .collect();
        Self::write_files(dir, manifest, &files)
    }

    /// [`CloudAssembly::write`] with borrowed bodies, so synth need not copy them.
    pub(crate) fn write_files(
        dir: &Path,
        manifest: Manifest,
        templates: &[(String, &str)],
    ) -> Result<CloudAssembly, AssemblyError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        for (file, body) in templates {
            write_atomic(&dir.join(file), body.as_bytes())?;
        }
        let keep: Vec<&str> = templates.iter().map(|(f, _)| f.as_str()).collect();
        let entries = fs::read_dir(dir).map_err(io_err(dir))?;
        for entry in entries {
            let entry = entry.map_err(io_err(dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".template.json") && !keep.contains(&name.as_str()) {
                fs::remove_file(entry.path()).map_err(io_err(&entry.path()))?;
            }
        }
        write_atomic(
            &dir.join("manifest.json"),
            to_pretty_json(&manifest).as_bytes(),
        )?;
        Ok(CloudAssembly {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// Reads an assembly written by synth.
    pub fn read(dir: &Path) -> Result<CloudAssembly, AssemblyError> {
        let path = dir.join("manifest.json");
        let text = fs::read_to_string(&path).map_err(io_err(&path))?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| AssemblyError::BadManifest {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if manifest.version != MANIFEST_VERSION {
            return Err(AssemblyError::BadManifest {
                path,
                reason: format!(
                    "version {} (this is version {MANIFEST_VERSION})",
                    manifest.version
                ),
            });
        }
        Ok(CloudAssembly {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// The template of `stack`, as written.
    pub fn template_body(&self, stack: &str) -> Result<String, AssemblyError> {
        let file = self
            .manifest
            .stacks
            .get(stack)
            .map(|s| s.template_file.clone())
            .unwrap_or_else(|| format!("{stack}.template.json"));
        let path = self.dir.join(file);
        fs::read_to_string(&path).map_err(io_err(&path))
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AssemblyError> {
    // Unchanged files are left alone so their modification time means something. Only a
    // file of the same size can be unchanged, which spares reading the others.
    let same_size = fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64);
    if same_size && fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    let tmp = path.with_extension("json.tmp");
    fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        let mut stacks = IndexMap::new();
        stacks.insert(
            "A".to_string(),
            ManifestStack {
                environment: Environment {
                    account: "123456789012".into(),
                    region: "us-east-1".into(),
                },
                template_file: "A.template.json".into(),
                template_hash: sha256_hex(b"{}\n"),
                template_bytes: 3,
                resource_count: 0,
                dependencies: vec![],
                termination_protection: false,
                tags: IndexMap::new(),
                paths: IndexMap::new(),
            },
        );
        Manifest {
            version: MANIFEST_VERSION,
            stacks,
        }
    }

    #[test]
    fn write_then_read_round_trips_and_prunes_stale_templates() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("Old.template.json"), "{}").unwrap();
        fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let written = CloudAssembly::write(
            dir.path(),
            manifest(),
            &[("A.template.json".into(), "{}\n".into())],
        )
        .unwrap();
        assert!(!dir.path().join("Old.template.json").exists());
        assert!(
            dir.path().join("notes.txt").exists(),
            "only templates are pruned"
        );
        let read = CloudAssembly::read(dir.path()).unwrap();
        assert_eq!(read.manifest, written.manifest);
        assert_eq!(read.template_body("A").unwrap(), "{}\n");
    }

    #[test]
    fn a_foreign_manifest_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("manifest.json"),
            "{\"version\": 99, \"stacks\": {}}",
        )
        .unwrap();
        let err = CloudAssembly::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("version 99"), "{err}");
    }

    #[test]
    fn templates_render_as_serde_json_writes_them() {
        // Deeper than the indentation the printer keeps ready.
        let mut deep = serde_json::json!([1]);
        for i in 0..40 {
            deep = serde_json::json!({ format!("level{i}"): deep, "n": i });
        }
        let values = [
            serde_json::json!({}),
            serde_json::json!([]),
            serde_json::json!(null),
            serde_json::json!("plain"),
            serde_json::json!({
                "AWSTemplateFormatVersion": "2010-09-09",
                "Empty": {"Object": {}, "List": [], "Nested": [[], {}, [[]]]},
                "Numbers": [0, 1, -1, 42, u64::MAX, i64::MIN, 1.5, -0.25, 1e300, 2.0e-7, 0.1],
                "Strings": [
                    "", "quote \" backslash \\ slash /", "tab\tnewline\ncr\r",
                    "\u{8}\u{c}\u{0}\u{1f}\u{7f}", "grüße ☃ \u{1F600}", "${!Literal}"
                ],
                "Bools": [true, false, null],
                "Deep": deep,
                "key \"with\" escapes\n": 1
            }),
        ];
        for v in values {
            let (text, compact) = render_template(&v);
            assert_eq!(text, to_pretty_json(&v));
            assert_eq!(compact, serde_json::to_string(&v).unwrap().len(), "{v}");
        }
    }

    #[test]
    fn escape_detection_sees_every_byte_that_needs_it() {
        for b in 0..=255u8 {
            let expected = b < 0x20 || b == b'"' || b == b'\\';
            for at in 0..8 {
                let mut word = *b"abcdefgh";
                word[at] = b;
                assert_eq!(
                    needs_escape(u64::from_le_bytes(word)),
                    expected,
                    "{b:#x} at {at}"
                );
            }
        }
        // Bytes next to each other that the arithmetic could confuse.
        for (a, b) in [
            (0x1F, 0x20),
            (0x20, 0x1F),
            (0x21, 0x22),
            (0x5B, 0x5C),
            (0x80, 0x00),
        ] {
            let word = u64::from_le_bytes([b'x', a, b, b'y', b'z', b'w', b'v', b'u']);
            let expected = [a, b].iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\');
            assert_eq!(needs_escape(word), expected, "{a:#x} {b:#x}");
        }
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
