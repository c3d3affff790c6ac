//! The vendored rule packs, embedded in the library so a pack can be asked for by name:
//! the AWS Control Tower proactive controls (`rules/control-tower/`, one file per control)
//! and two AWS Guard Rules Registry packs (`rules/registry/<pack>/`, the rule files the
//! pack's mapping names). Each directory's SOURCE.md says where the files come from.

use std::fmt;
use std::str::FromStr;

use crate::error::ParseError;
use crate::rules::RuleSet;

// Generated (tests/packs.rs writes it), one file a line.
#[rustfmt::skip]
mod index;

/// One vendored rule file, with what the generator of the index proved about it.
#[derive(Debug)]
pub struct PackFile {
    /// Its path in the pack (`s3/ct-s3-pr-2.guard`).
    pub path: &'static str,
    /// Its text.
    pub text: &'static str,
    /// Its [`RuleFile::gate`](crate::RuleFile::gate): a document must hold one of these
    /// names for any rule of the file to apply.
    pub gate: Option<&'static [&'static str]>,
    /// Its named rules, each once, in file order.
    pub rules: &'static [&'static str],
}

/// A vendored rule pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pack {
    /// AWS Control Tower proactive controls: 237 controls, one rule each
    /// (`@cdklabs/cdk-validator-cfnguard` 0.0.62).
    ControlTower,
    /// The Guard Rules Registry's FedRAMP Moderate pack (86 rule files).
    FedRampModerate,
    /// The Guard Rules Registry's NIST 800-53 rev 5 pack (84 rule files).
    Nist80053Rev5,
}

impl Pack {
    /// Every pack.
    pub const ALL: [Pack; 3] = [
        Pack::ControlTower,
        Pack::FedRampModerate,
        Pack::Nist80053Rev5,
    ];

    /// The pack's name: `control-tower`, `fedramp-moderate` or `nist-800-53-rev5`.
    pub fn name(self) -> &'static str {
        match self {
            Pack::ControlTower => "control-tower",
            Pack::FedRampModerate => "fedramp-moderate",
            Pack::Nist80053Rev5 => "nist-800-53-rev5",
        }
    }

    /// The pack's rule files, sorted by path.
    pub fn files(self) -> &'static [PackFile] {
        match self {
            Pack::ControlTower => index::CONTROL_TOWER,
            Pack::FedRampModerate => index::FEDRAMP_MODERATE,
            Pack::Nist80053Rev5 => index::NIST_800_53_REV5,
        }
    }

    /// Parses the pack's files into a rule set (each file's results name it by its path
    /// in the pack).
    pub fn rule_set(self) -> Result<RuleSet, ParseError> {
        RuleSet::parse(self.files().iter().map(|f| (f.path, f.text)))
    }

    /// The pack as a rule set that parses a file only when a document holds one of the
    /// names of its gate, and skips the file's rules otherwise (with the results
    /// [`Pack::rule_set`] gives: each rule SKIP). Synth uses this: a template holds a few
    /// dozen types, and the Control Tower pack's 237 files concern about 60.
    pub fn rules(self) -> RuleSet {
        RuleSet::vendored(self.files())
    }
}

impl fmt::Display for Pack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A pack name that is not one of [`Pack::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no rule pack is called `{0}`; the packs are control-tower, fedramp-moderate and nist-800-53-rev5"
)]
pub struct UnknownPack(pub String);

impl FromStr for Pack {
    type Err = UnknownPack;

    fn from_str(name: &str) -> Result<Pack, UnknownPack> {
        Pack::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| UnknownPack(name.to_string()))
    }
}
