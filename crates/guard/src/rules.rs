//! Parsed rule files and rule sets: parse once, evaluate against any number of documents.

use crate::ast::RulesFile;
use crate::error::{EvalError, ParseError};
use crate::eval::{self, Status};
use crate::parser;
use crate::report::{Failure, Report, RuleResult};
use crate::scope::RootScope;
use crate::value::Document;

/// One parsed Guard rule file.
#[derive(Debug, Clone)]
pub struct RuleFile {
    name: String,
    ast: RulesFile,
}

impl RuleFile {
    /// Parses `text`; `name` identifies the file in errors and results.
    pub fn parse(name: &str, text: &str) -> Result<RuleFile, ParseError> {
        Ok(RuleFile {
            name: name.to_string(),
            ast: parser::parse(name, text)?,
        })
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
    files: Vec<RuleFile>,
}

impl RuleSet {
    /// A rule set of parsed files.
    pub fn new(files: Vec<RuleFile>) -> RuleSet {
        RuleSet { files }
    }

    /// Parses `(name, text)` pairs; the first file that does not parse is the error.
    pub fn parse<'t>(
        files: impl IntoIterator<Item = (&'t str, &'t str)>,
    ) -> Result<RuleSet, ParseError> {
        let files = files
            .into_iter()
            .map(|(name, text)| RuleFile::parse(name, text))
            .collect::<Result<_, _>>()?;
        Ok(RuleSet { files })
    }

    /// The files, in order.
    pub fn files(&self) -> &[RuleFile] {
        &self.files
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
        for file in &self.files {
            match file.evaluate(document) {
                Ok(results) => report.rules.extend(results),
                Err(error) => report.errors.push(error),
            }
        }
        report
    }
}
