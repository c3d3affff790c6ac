//! Which Guard rule packs synth evaluates: per app or per stack, the vendored packs
//! ([`Pack`]) and the user's own `.guard` files ([`GuardRules`]).
//!
//! A stack gets the app's packs and its own: a stack can ask for more than the app does,
//! never for less, because leaving a pack out is a switch over every resource, and an
//! exception is made per resource, with a reason
//! ([`Resource::guard_exception`](stackwright_core::Resource::guard_exception)).
//!
//! ```
//! use stackwright_core::{App, Env, Stack};
//! use stackwright_synth::{GuardRules, Pack, RulePack, RulePacks};
//!
//! let app = App::new();
//! app.with_rule_packs([Pack::ControlTower]);
//! let stack = Stack::new(&app, "Payments", Env::new("123456789012", "us-east-1")).unwrap();
//! let ours = GuardRules::parse("ours.guard", "rule buckets_versioned {
//!     Resources.*[ Type == 'AWS::S3::Bucket' ].Properties.VersioningConfiguration.Status == 'Enabled'
//! }").unwrap();
//! stack.with_rule_packs([RulePack::from(Pack::FedRampModerate), ours.into()]);
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use stackwright_core::{App, Stack};
pub use stackwright_guard::Pack;
use stackwright_guard::{ParseError, RuleFile, RuleSet};

/// A rule pack synth evaluates over a template.
#[derive(Debug, Clone)]
pub enum RulePack {
    /// One of the vendored packs.
    Vendored(Pack),
    /// Rules of the user's own.
    Own(GuardRules),
}

impl RulePack {
    /// The name findings give: the vendored pack's (`control-tower`) or the file's.
    pub fn name(&self) -> &str {
        match self {
            RulePack::Vendored(p) => p.name(),
            RulePack::Own(r) => &r.name,
        }
    }
}

impl From<Pack> for RulePack {
    fn from(p: Pack) -> RulePack {
        RulePack::Vendored(p)
    }
}

impl From<GuardRules> for RulePack {
    fn from(r: GuardRules) -> RulePack {
        RulePack::Own(r)
    }
}

/// Guard rules of the user's own, parsed when read, so a rule the engine cannot read is
/// an error where the program names the file rather than a surprise at synth.
#[derive(Debug, Clone)]
pub struct GuardRules {
    name: String,
    pub(crate) rules: Arc<RuleSet>,
}

impl GuardRules {
    /// Reads a `.guard` file, or every `.guard` file of a directory (sorted by name, so
    /// the findings come in the same order on every machine).
    pub fn read(path: impl AsRef<Path>) -> Result<GuardRules, GuardFileError> {
        let path = path.as_ref();
        let read_error = |source| GuardFileError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut files = Vec::new();
        if path.is_dir() {
            for entry in std::fs::read_dir(path).map_err(read_error)? {
                let p = entry.map_err(read_error)?.path();
                if p.extension().is_some_and(|e| e == "guard") {
                    files.push(p);
                }
            }
            files.sort();
            if files.is_empty() {
                return Err(GuardFileError::NoRules {
                    path: path.to_path_buf(),
                });
            }
        } else {
            files.push(path.to_path_buf());
        }
        let mut parsed = Vec::new();
        for f in &files {
            let text = std::fs::read_to_string(f).map_err(|source| GuardFileError::Read {
                path: f.clone(),
                source,
            })?;
            parsed.push(RuleFile::parse(&f.display().to_string(), &text)?);
        }
        Ok(GuardRules {
            name: path.display().to_string(),
            rules: Arc::new(RuleSet::new(parsed)),
        })
    }

    /// Parses rules given as text; `name` names them in findings and errors.
    pub fn parse(name: &str, text: &str) -> Result<GuardRules, GuardFileError> {
        let file = RuleFile::parse(name, text)?;
        Ok(GuardRules {
            name: name.to_string(),
            rules: Arc::new(RuleSet::new(vec![file])),
        })
    }

    /// The name findings give these rules: the path read, or the name parsed under.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Guard rules of the user's own that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GuardFileError {
    /// The file or directory could not be read.
    #[error(
        "{}: cannot read Guard rules ({source}); check the path, which is relative to the directory the program runs in",
        path.display()
    )]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A directory with no `.guard` file in it.
    #[error(
        "{}: the directory holds no .guard file; put the rules in files ending in .guard, or name one file",
        path.display()
    )]
    NoRules {
        /// The directory.
        path: PathBuf,
    },
    /// A rule file outside the Guard language the engine reads.
    #[error(
        "{}:{}:{}: not a Guard rule the engine reads: expected {}, found `{}`; fix the rule there (type blocks, clauses outside a rule and built-in functions are not supported)",
        .0.file, .0.line, .0.column, .0.expected, .0.found
    )]
    Parse(#[from] ParseError),
}

/// Choosing the packs synth evaluates, on an [`App`] (every stack) or one [`Stack`].
pub trait RulePacks {
    /// Adds `packs` to those evaluated over this scope's templates. A pack chosen twice
    /// (by the app and a stack) is evaluated once.
    fn with_rule_packs<P: Into<RulePack>>(&self, packs: impl IntoIterator<Item = P>) -> &Self;
}

impl RulePacks for App {
    fn with_rule_packs<P: Into<RulePack>>(&self, packs: impl IntoIterator<Item = P>) -> &Self {
        for p in packs {
            self.add_template_rules(Rc::new(p.into()));
        }
        self
    }
}

impl RulePacks for Stack {
    fn with_rule_packs<P: Into<RulePack>>(&self, packs: impl IntoIterator<Item = P>) -> &Self {
        for p in packs {
            self.add_template_rules(Rc::new(p.into()));
        }
        self
    }
}

/// The packs chosen for the stack `stack`, each once, in the order chosen.
pub(crate) fn chosen(app: &App, stack: &str) -> Vec<Rc<RulePack>> {
    let mut out: Vec<Rc<RulePack>> = Vec::new();
    for r in app.template_rules(stack) {
        // Anything else kept there belongs to another crate's rules.
        let Ok(pack) = r.downcast::<RulePack>() else {
            continue;
        };
        if !out.iter().any(|p| p.name() == pack.name()) {
            out.push(pack);
        }
    }
    out
}

impl fmt::Display for RulePack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
