//! The cloud assembly: what synth writes to disk and what diff and deploy read.
//!
//! A directory (default `stackwright.out/`) with `manifest.json` and one
//! `<StackName>.template.json` per stack. Everything in it is a pure function of the code:
//! pretty JSON with stable key order and a trailing newline, no timestamps, so two synths of
//! the same code are byte-identical and the directory can be diffed and cached.
//!
//! The writer owns only what it wrote: the manifest and the templates the manifest names.
//! Another file in the directory is never removed or overwritten, and a directory whose
//! `manifest.json` is not a stackwright manifest is refused before anything is written.

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
#[non_exhaustive]
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
    /// The assembly's path is a file (or something else that is not a directory).
    #[error("{path} is not a directory")]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The directory holds a `manifest.json` that stackwright did not write: nothing was
    /// written into it, since what the other files belong to is unknown.
    #[error("{path} is not a stackwright manifest ({reason}); nothing was written")]
    ForeignManifest {
        /// The manifest.
        path: PathBuf,
        /// Why it is not one.
        reason: String,
    },
    /// A template would replace a file of the same name that no stackwright manifest in
    /// the directory names.
    #[error(
        "{path} exists and was not written by stackwright (the manifest does not name it); nothing was written"
    )]
    ForeignFile {
        /// The file.
        path: PathBuf,
    },
}

impl AssemblyError {
    /// What to do next, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            AssemblyError::NotADirectory { .. } => Some(
                "the cloud assembly is a directory (created when missing): name one with --out"
                    .into(),
            ),
            AssemblyError::ForeignManifest { .. } | AssemblyError::ForeignFile { .. } => {
                Some("write the assembly somewhere else (--out DIR), or move that file away".into())
            }
            AssemblyError::BadManifest { .. } | AssemblyError::Io { .. } => None,
        }
    }
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
    /// Writes the manifest and templates into `dir`, creating it, and removes the templates
    /// of stacks that no longer exist, which the manifest there names. Files are replaced
    /// atomically (write, then rename) so a reader never sees half a template.
    ///
    /// Nothing is written when `dir` is not a directory, holds a `manifest.json` that is
    /// not a stackwright manifest, or holds a file a template would replace that the
    /// manifest does not name (see [`CloudAssembly::check_dir`]). Other files are left
    /// alone.
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
        let owned = owned_files(dir)?;
        for (file, body) in templates {
            let path = dir.join(file);
            if !owned.contains(file)
                && path.exists()
                && !fs::read(&path).is_ok_and(|old| old == body.as_bytes())
            {
                return Err(AssemblyError::ForeignFile { path });
            }
        }
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        for (file, body) in templates {
            write_atomic(&dir.join(file), body.as_bytes())?;
        }
        for stale in owned
            .iter()
            .filter(|f| !templates.iter().any(|(t, _)| t == *f))
        {
            let path = dir.join(stale);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path)(e)),
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

    /// Whether an assembly may be written into `dir`: it is missing, or a directory with
    /// no `manifest.json`, or one whose `manifest.json` stackwright wrote. Writes nothing;
    /// for callers that check their arguments before doing anything.
    pub fn check_dir(dir: &Path) -> Result<(), AssemblyError> {
        owned_files(dir).map(|_| ())
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

/// What an earlier write left in `dir`, as its manifest says: the template files it
/// names (plain file names only, never a path out of the directory). Refuses a `dir` that
/// is not a directory, and a `manifest.json` that is not a stackwright manifest.
fn owned_files(dir: &Path) -> Result<Vec<String>, AssemblyError> {
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(AssemblyError::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(dir)(e)),
    }
    let path = dir.join("manifest.json");
    let text = match fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            // A directory, say: still not ours.
            return Err(if path.is_dir() {
                AssemblyError::ForeignManifest {
                    path,
                    reason: "a directory".into(),
                }
            } else {
                io_err(&path)(e)
            });
        }
    };
    // Any version's manifest names its templates the same way; only the shape is asked.
    #[derive(Deserialize)]
    struct Owned {
        #[allow(dead_code)]
        version: u32,
        stacks: IndexMap<String, OwnedStack>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct OwnedStack {
        template_file: String,
    }
    let owned: Owned =
        serde_json::from_slice(&text).map_err(|e| AssemblyError::ForeignManifest {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    Ok(owned
        .stacks
        .into_values()
        .map(|s| s.template_file)
        .filter(|f| is_template_name(f))
        .collect())
}

/// A template file name an assembly may hold: `<something>.template.json`, in the
/// directory itself.
fn is_template_name(file: &str) -> bool {
    let path = Path::new(file);
    file.ends_with(".template.json")
        && path.components().count() == 1
        && matches!(
            path.components().next(),
            Some(std::path::Component::Normal(_))
        )
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

    fn write(dir: &Path, manifest: Manifest) -> Result<CloudAssembly, AssemblyError> {
        CloudAssembly::write(dir, manifest, &[("A.template.json".into(), "{}\n".into())])
    }

    #[test]
    fn write_then_read_round_trips_and_prunes_only_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let mut old = manifest();
        let mut gone = old.stacks["A"].clone();
        gone.template_file = "Old.template.json".into();
        old.stacks.insert("Old".into(), gone);
        write(dir.path(), old).unwrap();
        fs::write(dir.path().join("Old.template.json"), "{}\n").unwrap();
        fs::write(dir.path().join("network.template.json"), "{}").unwrap();
        fs::write(dir.path().join("notes.txt"), "mine").unwrap();

        let written = write(dir.path(), manifest()).unwrap();
        assert!(
            !dir.path().join("Old.template.json").exists(),
            "the old manifest named it: a stack that is gone"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("network.template.json")).unwrap(),
            "{}",
            "no manifest named it: not ours"
        );
        assert!(dir.path().join("notes.txt").exists());
        let read = CloudAssembly::read(dir.path()).unwrap();
        assert_eq!(read.manifest, written.manifest);
        assert_eq!(read.template_body("A").unwrap(), "{}\n");
    }

    #[test]
    fn a_directory_with_a_foreign_manifest_is_refused_and_left_as_it_was() {
        for foreign in ["{}", "{\"stacks\": []}", "not json", "{\"version\": 1}"] {
            let dir = tempfile::tempdir().unwrap();
            fs::write(dir.path().join("manifest.json"), foreign).unwrap();
            let err = write(dir.path(), manifest()).unwrap_err();
            assert!(
                matches!(err, AssemblyError::ForeignManifest { .. }),
                "{foreign}: {err:?}"
            );
            assert!(
                err.to_string().contains("is not a stackwright manifest"),
                "{err}"
            );
            assert!(err.hint().unwrap().contains("--out"));
            assert!(CloudAssembly::check_dir(dir.path()).is_err());
            assert_eq!(
                fs::read_to_string(dir.path().join("manifest.json")).unwrap(),
                foreign
            );
            assert!(!dir.path().join("A.template.json").exists());
        }
    }

    #[test]
    fn a_file_no_manifest_names_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("A.template.json"), "someone's").unwrap();
        let err = write(dir.path(), manifest()).unwrap_err();
        assert!(matches!(err, AssemblyError::ForeignFile { .. }), "{err:?}");
        assert_eq!(
            fs::read_to_string(dir.path().join("A.template.json")).unwrap(),
            "someone's"
        );
        assert!(!dir.path().join("manifest.json").exists());
        // The same bytes lose nothing (an earlier write cut short before its manifest).
        fs::write(dir.path().join("A.template.json"), "{}\n").unwrap();
        write(dir.path(), manifest()).unwrap();
    }

    #[test]
    fn a_manifest_cannot_make_the_writer_remove_files_elsewhere() {
        let outer = tempfile::tempdir().unwrap();
        let dir = outer.path().join("out");
        fs::create_dir(&dir).unwrap();
        fs::write(outer.path().join("x.template.json"), "keep").unwrap();
        fs::write(dir.join("manifest.txt.json"), "keep").unwrap();
        let mut tricky = manifest();
        for (i, file) in [
            "../x.template.json",
            "manifest.txt.json",
            "/x.template.json",
        ]
        .into_iter()
        .enumerate()
        {
            let mut s = tricky.stacks["A"].clone();
            s.template_file = file.into();
            tricky.stacks.insert(format!("T{i}"), s);
        }
        fs::write(dir.join("manifest.json"), to_pretty_json(&tricky)).unwrap();
        write(&dir, manifest()).unwrap();
        assert!(outer.path().join("x.template.json").exists());
        assert!(dir.join("manifest.txt.json").exists());
    }

    #[test]
    fn a_file_where_the_directory_should_be_is_not_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out");
        fs::write(&file, "a file").unwrap();
        let err = write(&file, manifest()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{} is not a directory", file.display())
        );
        assert!(matches!(
            CloudAssembly::check_dir(&file),
            Err(AssemblyError::NotADirectory { .. })
        ));
        assert!(CloudAssembly::check_dir(&dir.path().join("missing")).is_ok());
        assert_eq!(fs::read_to_string(&file).unwrap(), "a file");
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
