//! Errors: a rule file that does not parse, and an evaluation Guard abandons.

/// A rule file that is not in the supported Guard language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: expected {expected}, found `{found}`")]
pub struct ParseError {
    /// The rule file's name, as given to the parser.
    pub file: String,
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column (in characters) of the problem.
    pub column: usize,
    /// What the parser expected there.
    pub expected: String,
    /// The text found there, up to the end of its line (at most 40 characters).
    pub found: String,
}

/// An evaluation that cfn-guard abandons for the whole rule file: `empty` on a number,
/// an unknown variable or rule, a call with the wrong number of arguments, a variable
/// used as a key that holds no string. cfn-guard reports no result for any rule of the
/// file then, and neither does [`crate::RuleSet::evaluate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct EvalError {
    /// The rule file whose evaluation stopped.
    pub file: String,
    /// Why it stopped.
    pub message: String,
}
