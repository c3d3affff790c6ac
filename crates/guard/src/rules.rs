//! Parsed rule files and rule sets: parse once, evaluate against any number of documents.

use std::sync::OnceLock;

use crate::ast::RulesFile;
use crate::error::{EvalError, ParseError};
use crate::eval::{self, Status};
use crate::packs::PackFile;
use crate::report::{Failure, Report, RuleResult};
use crate::scope::RootScope;
use crate::value::Document;
use crate::{gate, parser};

/// One parsed Guard rule file.
#[derive(Debug, Clone)]
pub struct RuleFile {
    name: String,
    ast: RulesFile,
    gate: Option<Vec<String>>,
}

impl RuleFile {
    /// Parses `text`; `name` identifies the file in errors and results.
    pub fn parse(name: &str, text: &str) -> Result<RuleFile, ParseError> {
        let ast = parser::parse(name, text)?;
        Ok(RuleFile {
            name: name.to_string(),
            gate: gate::gate(&ast),
            ast,
        })
    }

    /// The names (resource types, top-level keys) of which a document must hold one for
    /// any rule of the file to apply, sorted; `None` when the rules' shape does not prove
    /// that. A document that holds none of them gets SKIP for every rule of the file
    /// without evaluating it: the rules' `when` conditions are proved to fail there, and
    /// to stop with no error (see the crate's `gate` module for what is proved).
    pub fn gate(&self) -> Option<&[String]> {
        self.gate.as_deref()
    }

    /// The file's name, as given to [`RuleFile::parse`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names of the file's named rules, each once, in file order. (Parameterized
    /// rules are helpers and have no result of their own.)
    pub fn rule_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for rule in &self.ast.rules {
            if !names.contains(&rule.name.as_str()) {
                names.push(&rule.name);
            }
        }
        names
    }

    /// Evaluates every named rule of the file against `document`.
    pub fn evaluate(&self, document: &Document) -> Result<Vec<RuleResult>, EvalError> {
        if self.gate.as_ref().is_some_and(|g| !document.holds_any(g)) {
            return Ok(skipped(&self.name, self.rule_names()));
        }
        self.evaluate_all(document)
    }

    /// Every named rule, gate or no gate.
    fn evaluate_all(&self, document: &Document) -> Result<Vec<RuleResult>, EvalError> {
        let mut root = RootScope::new(&self.ast, &document.root);
        let mut results: Vec<RuleResult> = Vec::new();
        for rule in &self.ast.rules {
            let mut checks = Vec::new();
            let status =
                eval::eval_rule(rule, &mut root, &mut checks).map_err(|message| EvalError {
                    file: self.name.clone(),
                    message,
                })?;
            let failures = checks.iter().map(Failure::from_check);
            match results.iter_mut().find(|r| r.name == rule.name) {
                Some(result) => {
                    result.status = combine(result.status, status);
                    result.failures.extend(failures);
                }
                None => results.push(RuleResult {
                    file: self.name.clone(),
                    name: rule.name.clone(),
                    status,
                    failures: failures.collect(),
                }),
            }
        }
        Ok(results)
    }
}

/// Every rule of a file whose gate the document does not open.
fn skipped<'n>(file: &str, names: impl IntoIterator<Item = &'n str>) -> Vec<RuleResult> {
    names
        .into_iter()
        .map(|name| RuleResult {
            file: file.to_string(),
            name: name.to_string(),
            status: Status::Skip,
            failures: Vec::new(),
        })
        .collect()
}

/// Two results of one rule name: a failure wins, then a pass.
fn combine(a: Status, b: Status) -> Status {
    match (a, b) {
        (Status::Fail, _) | (_, Status::Fail) => Status::Fail,
        (Status::Pass, _) | (_, Status::Pass) => Status::Pass,
        _ => Status::Skip,
    }
}

/// Rule files evaluated together, as `cfn-guard validate --rules` takes several: each
/// file is evaluated on its own (its `let`s and rules are its own).
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    files: Vec<Entry>,
}

#[derive(Debug, Clone)]
enum Entry {
    Parsed(RuleFile),
    /// A vendored file, parsed the first time a document opens its gate: most of a pack's
    /// files concern types a given template does not hold.
    Vendored(&'static PackFile, OnceLock<Result<RuleFile, ParseError>>),
}

impl RuleSet {
    /// A rule set of parsed files.
    pub fn new(files: Vec<RuleFile>) -> RuleSet {
        RuleSet {
            files: files.into_iter().map(Entry::Parsed).collect(),
        }
    }

    /// Vendored files, each parsed when first needed.
    pub(crate) fn vendored(files: &'static [PackFile]) -> RuleSet {
        RuleSet {
            files: files
                .iter()
                .map(|f| Entry::Vendored(f, OnceLock::new()))
                .collect(),
        }
    }

    /// Parses `(name, text)` pairs; the first file that does not parse is the error.
    pub fn parse<'t>(
        files: impl IntoIterator<Item = (&'t str, &'t str)>,
    ) -> Result<RuleSet, ParseError> {
        let files = files
            .into_iter()
            .map(|(name, text)| RuleFile::parse(name, text))
            .collect::<Result<_, _>>()?;
        Ok(RuleSet::new(files))
    }

    /// How many rule files the set holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the set holds no rule file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Evaluates every file against `template`. A file whose evaluation stops is in
    /// [`Report::errors`] and the others are still evaluated.
    pub fn evaluate(&self, template: &serde_json::Value) -> Report {
        self.evaluate_document(&Document::new(template))
    }

    /// As [`RuleSet::evaluate`], for a document converted once and checked by several
    /// rule sets.
    pub fn evaluate_document(&self, document: &Document) -> Report {
        let mut report = Report::default();
        for entry in &self.files {
            let file = match entry {
                Entry::Parsed(file) => file,
                Entry::Vendored(f, parsed) => {
                    if f.gate.is_some_and(|g| !document.holds_any(g)) {
                        report
                            .rules
                            .extend(skipped(f.path, f.rules.iter().copied()));
                        continue;
                    }
                    match parsed.get_or_init(|| RuleFile::parse(f.path, f.text)) {
                        Ok(file) => file,
                        Err(e) => {
                            report.errors.push(EvalError {
                                file: f.path.to_string(),
                                message: format!("the vendored file does not parse: {e}"),
                            });
                            continue;
                        }
                    }
                }
            };
            match file.evaluate(document) {
                Ok(results) => report.rules.extend(results),
                Err(error) => report.errors.push(error),
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Pack;

    fn fixtures() -> Vec<serde_json::Value> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/source");
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    /// The template without the resources of these types and the top-level keys of
    /// these names: a template that closes the gate.
    fn without(template: &serde_json::Value, names: &[String]) -> serde_json::Value {
        let mut t = template.clone();
        let root = t.as_object_mut().unwrap();
        root.retain(|k, _| !names.contains(k));
        if let Some(resources) = root.get_mut("Resources").and_then(|r| r.as_object_mut()) {
            resources.retain(|_, r| {
                !r["Type"]
                    .as_str()
                    .is_some_and(|ty| names.iter().any(|n| n == ty))
            });
        }
        t
    }

    /// The proof the gates rest on, checked against evaluation: over each example
    /// template with a file's gate names taken out, every rule of the file evaluates to
    /// SKIP, with no error, when evaluated in full.
    #[test]
    fn a_closed_gate_means_every_rule_skips() {
        let templates = fixtures();
        let mut checked = 0;
        for pack in Pack::ALL {
            for f in pack.files() {
                let file = RuleFile::parse(f.path, f.text).unwrap();
                let Some(gate) = file.gate() else { continue };
                for template in &templates {
                    let document = Document::new(&without(template, gate));
                    assert!(!document.holds_any(gate));
                    let results = file
                        .evaluate_all(&document)
                        .unwrap_or_else(|e| panic!("{}: {e} where the gate is closed", f.path));
                    for r in &results {
                        assert_eq!(r.status, Status::Skip, "{} {}", f.path, r.name);
                    }
                    assert_eq!(file.evaluate(&document).unwrap(), results);
                    checked += 1;
                }
            }
        }
        assert!(checked > 2_000, "{checked} (file, template) pairs checked");
    }

    #[test]
    fn an_irregular_document_opens_every_gate() {
        let listed = serde_json::json!({ "Resources": [ { "Type": "AWS::S3::Bucket" } ] });
        assert!(Document::new(&listed).holds_any(&["AWS::SQS::Queue"]));
        let typed = serde_json::json!({ "Resources": { "B": { "Type": ["AWS::S3::Bucket"] } } });
        assert!(Document::new(&typed).holds_any(&["AWS::SQS::Queue"]));
        let regular = serde_json::json!({ "Resources": { "B": { "Type": "AWS::S3::Bucket" } } });
        assert!(!Document::new(&regular).holds_any(&["AWS::SQS::Queue"]));
        assert!(Document::new(&regular).holds_any(&["AWS::S3::Bucket"]));
        assert!(Document::new(&regular).holds_any(&["Resources"]));
    }
}
