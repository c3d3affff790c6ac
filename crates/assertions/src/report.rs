//! What a failed assertion reports: the mismatches, and the closest candidates.

use std::fmt;

use serde_json::Value;

/// How many of the closest candidates a failure report shows.
pub(crate) const SHOWN_CANDIDATES: usize = 3;
/// How many lines of a candidate's body a failure report shows.
const SHOWN_BODY_LINES: usize = 60;
/// How long a value or pattern gets in a one-line message before it is cut.
const SHORT_LEN: usize = 160;

/// One place where a value differs from the pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where, as a JSON pointer from the root of what was matched (`/Properties/Tags/0/Value`);
    /// empty for the root itself.
    pub path: String,
    /// What differs: `expected "x", found "y"`, `missing (expected ...)`, ...
    pub message: String,
}

/// `at /Properties/Tags/0/Value: expected "x", found "y"`.
impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "at the root: {}", self.message)
        } else {
            write!(f, "at {}: {}", self.path, self.message)
        }
    }
}

/// Why an assertion failed: what was looked for, and for the closest candidates, every
/// mismatch. Its `Display` is the report the panicking assertions print.
#[derive(Debug, Clone)]
pub struct MatchFailure {
    pub(crate) summary: String,
    /// What the candidates are, in the report ("closest", "does not match").
    pub(crate) heading: &'static str,
    pub(crate) candidates: Vec<Candidate>,
    /// Candidates left out of the report.
    pub(crate) others: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// Logical id, when the candidate is a template element.
    pub(crate) id: Option<String>,
    pub(crate) construct_path: Option<String>,
    pub(crate) mismatches: Vec<Mismatch>,
    pub(crate) body: Option<Value>,
}

impl MatchFailure {
    /// The first line of the report: what was looked for and what was found.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// The mismatches of the closest candidate (the first one reported); empty when there
    /// was no candidate at all, such as no resource of the type.
    pub fn mismatches(&self) -> &[Mismatch] {
        self.candidates
            .first()
            .map_or(&[], |c| c.mismatches.as_slice())
    }

    /// The logical id of the closest candidate, when the failure is about template elements.
    pub fn closest_id(&self) -> Option<&str> {
        self.candidates.first().and_then(|c| c.id.as_deref())
    }

    pub(crate) fn summary_only(summary: String) -> MatchFailure {
        MatchFailure {
            summary,
            heading: "",
            candidates: Vec::new(),
            others: 0,
        }
    }
}

impl fmt::Display for MatchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)?;
        for c in &self.candidates {
            f.write_str("\n")?;
            let n = c.mismatches.len();
            let plural = if n == 1 { "" } else { "es" };
            match &c.id {
                Some(id) => {
                    write!(f, "{} '{id}'", self.heading)?;
                    if let Some(p) = &c.construct_path {
                        write!(f, " ({p})")?;
                    }
                    writeln!(f, ", {n} mismatch{plural}:")?;
                }
                None => writeln!(f, "{n} mismatch{plural}:")?,
            }
            for m in &c.mismatches {
                writeln!(f, "    {m}")?;
            }
            if let Some(body) = &c.body {
                f.write_str("  its body:\n")?;
                let pretty = serde_json::to_string_pretty(body).unwrap_or_default();
                let lines: Vec<&str> = pretty.lines().collect();
                for line in lines.iter().take(SHOWN_BODY_LINES) {
                    writeln!(f, "    {line}")?;
                }
                if lines.len() > SHOWN_BODY_LINES {
                    writeln!(f, "    … ({} more lines)", lines.len() - SHOWN_BODY_LINES)?;
                }
            }
        }
        if self.others > 0 {
            write!(f, "\n({} more candidate(s) not shown)", self.others)?;
        }
        Ok(())
    }
}

impl std::error::Error for MatchFailure {}

/// The report for elements of which none matched: the ones with the fewest mismatches.
/// Among those, a wrong value ranks before a missing key, and deeper paths (more of the
/// structure matched) before shallow ones.
pub(crate) fn closest(summary: String, mut failed: Vec<Candidate>) -> MatchFailure {
    failed.sort_by_key(|c| {
        let missing = c
            .mismatches
            .iter()
            .filter(|m| m.message.starts_with("missing ("))
            .count();
        let depth: usize = c
            .mismatches
            .iter()
            .map(|m| m.path.matches('/').count())
            .sum();
        (c.mismatches.len(), missing, std::cmp::Reverse(depth))
    });
    let best = failed.first().map_or(0, |c| c.mismatches.len());
    let shown = failed
        .iter()
        .take(SHOWN_CANDIDATES)
        .take_while(|c| c.mismatches.len() == best)
        .count();
    let others = failed.len() - shown;
    failed.truncate(shown);
    MatchFailure {
        summary,
        heading: "closest:",
        candidates: failed,
        others,
    }
}

/// A value as compact JSON, cut to a readable length.
pub(crate) fn show(v: &Value) -> String {
    short(v.to_string())
}

pub(crate) fn short(s: String) -> String {
    if s.chars().count() <= SHORT_LEN {
        return s;
    }
    let mut cut: String = s.chars().take(SHORT_LEN).collect();
    cut.push('…');
    cut
}
