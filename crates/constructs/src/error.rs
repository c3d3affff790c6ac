//! Errors raised when a construct is built with props it cannot honour.

use std::fmt;

use stackwright_core::{CoreError, Diagnostic, Diagnostics, ToDiagnostics};

/// One prop value that cannot work: which prop, the value given, what is wrong with it
/// and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropProblem {
    /// The prop as the user writes it: `backup_retention_days`,
    /// `deployment.allocated_storage_gib`, `tiers[1].cidrs`.
    pub prop: String,
    /// The bad value as written: `40`, `'admin'`, `NatGateways::None`.
    pub value: String,
    /// What is wrong with the value, without repeating it.
    pub message: String,
    /// What to do instead.
    pub fix: String,
}

/// `prop = value: message; fix`.
impl fmt::Display for PropProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {}: {}; {}",
            self.prop, self.value, self.message, self.fix
        )
    }
}

/// A construct-time error: the tree refused the construct, or its props cannot make a
/// working resource. Invalid props are reported all at once, each naming the prop, its
/// value and what to do instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConstructError {
    /// The construct tree refused the construct (duplicate id, bad id).
    #[error(transparent)]
    Tree(#[from] CoreError),
    /// Prop values that cannot work, every one found, in the order found.
    #[error("{}", ListedProblems(.path, .problems))]
    InvalidProps {
        /// The construct path.
        path: String,
        /// The problems, at least one.
        problems: Vec<PropProblem>,
    },
}

/// The text of [`ConstructError::InvalidProps`]: a heading, then one line per problem.
struct ListedProblems<'a>(&'a str, &'a [PropProblem]);

impl fmt::Display for ListedProblems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ListedProblems(path, problems) = *self;
        let plural = if problems.len() == 1 { "" } else { "s" };
        write!(f, "{path}: {} invalid prop{plural}", problems.len())?;
        for p in problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl ConstructError {
    /// One invalid prop at `path`: `prop` is `value`, which is wrong because of `message`;
    /// `fix` says what to do instead.
    pub fn invalid(
        path: impl Into<String>,
        prop: impl Into<String>,
        value: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        ConstructError::InvalidProps {
            path: path.into(),
            problems: vec![PropProblem {
                prop: prop.into(),
                value: value.into(),
                message: message.into(),
                fix: fix.into(),
            }],
        }
    }

    /// The prop problems, in the order found; none for a [`ConstructError::Tree`] error.
    pub fn problems(&self) -> &[PropProblem] {
        match self {
            ConstructError::InvalidProps { problems, .. } => problems,
            ConstructError::Tree(_) => &[],
        }
    }

    /// The first problem of `prop`, if it has one.
    pub fn problem(&self, prop: &str) -> Option<&PropProblem> {
        self.problems().iter().find(|p| p.prop == prop)
    }
}

/// One `invalid-prop` error per problem, at the construct's path, the hint being the fix;
/// a tree error gives its [`CoreError`] diagnostic.
impl ToDiagnostics for ConstructError {
    fn to_diagnostics(&self) -> Diagnostics {
        match self {
            ConstructError::Tree(e) => e.to_diagnostics(),
            ConstructError::InvalidProps { path, problems } => Diagnostics(
                problems
                    .iter()
                    .map(|p| {
                        Diagnostic::error(
                            "invalid-prop",
                            path,
                            format!("`{}` is {}: {}", p.prop, p.value, p.message),
                        )
                        .with_hint(&p.fix)
                    })
                    .collect(),
            ),
        }
    }
}

/// A string value as written in a [`PropProblem`]: `'admin'`.
pub(crate) fn quote(s: &str) -> String {
    format!("'{s}'")
}

/// A list of strings as written in a [`PropProblem`]: `['a', 'b']`.
pub(crate) fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s.as_ref())).collect();
    format!("[{}]", quoted.join(", "))
}

/// Collects prop problems so a construct reports all of them at once, in the order
/// found.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    path: String,
    found: Vec<PropProblem>,
}

impl Problems {
    pub(crate) fn new(path: impl Into<String>) -> Self {
        Problems {
            path: path.into(),
            found: Vec::new(),
        }
    }

    /// Records that `prop` is `value`, which is wrong because of `message`.
    pub(crate) fn add(
        &mut self,
        prop: impl Into<String>,
        value: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.found.push(PropProblem {
            prop: prop.into(),
            value: value.into(),
            message: message.into(),
            fix: fix.into(),
        });
    }

    /// Records a problem unless `ok`; the value is only written out when it is wrong.
    pub(crate) fn check(
        &mut self,
        ok: bool,
        prop: impl Into<String>,
        value: impl FnOnce() -> String,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        if !ok {
            self.add(prop, value(), message, fix);
        }
    }

    /// Records a problem the remaining checks cannot go past (a value the rest depends
    /// on) and returns the error with it and every problem found before.
    pub(crate) fn stop(
        mut self,
        prop: impl Into<String>,
        value: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> ConstructError {
        self.add(prop, value, message, fix);
        ConstructError::InvalidProps {
            path: self.path,
            problems: self.found,
        }
    }

    /// `Ok` when nothing was found; otherwise one error listing every problem.
    pub(crate) fn finish(self) -> Result<(), ConstructError> {
        if self.found.is_empty() {
            return Ok(());
        }
        Err(ConstructError::InvalidProps {
            path: self.path,
            problems: self.found,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_problems() -> ConstructError {
        let mut p = Problems::new("Test/Database");
        p.check(
            (1..=35).contains(&40),
            "backup_retention_days",
            || "40".into(),
            "RDS keeps automated backups 1 to 35 days",
            "use AWS Backup for longer retention",
        );
        p.check(
            true,
            "port",
            || unreachable!("a good value is not written out"),
            "",
            "",
        );
        p.add(
            "master_username",
            "'admin'",
            "RDS reserves that name",
            "choose another name",
        );
        p.finish().unwrap_err()
    }

    #[test]
    fn nothing_found_is_ok() {
        let mut p = Problems::new("Test/Key");
        p.check(true, "pending_window_days", || "7".into(), "m", "f");
        assert_eq!(p.finish(), Ok(()));
    }

    #[test]
    fn stopping_keeps_the_problems_found_before() {
        let mut p = Problems::new("Test/Network");
        p.add("azs", "Azs::Count(0)", "no availability zones", "span one");
        let e = p.stop("cidr", "'x'", "not an IPv4 CIDR block", "write 10.0.0.0/16");
        let props: Vec<&str> = e.problems().iter().map(|p| p.prop.as_str()).collect();
        assert_eq!(props, ["azs", "cidr"]);
    }

    #[test]
    fn values_are_written_as_in_rust_with_single_quotes() {
        assert_eq!(quote("admin"), "'admin'");
        assert_eq!(quote_list(&["a", "b"]), "['a', 'b']");
        assert_eq!(quote_list::<String>(&[]), "[]");
    }

    #[test]
    fn every_problem_is_kept_in_the_order_found() {
        let e = two_problems();
        let props: Vec<&str> = e.problems().iter().map(|p| p.prop.as_str()).collect();
        assert_eq!(props, ["backup_retention_days", "master_username"]);
        assert_eq!(
            e.problem("master_username"),
            Some(&PropProblem {
                prop: "master_username".into(),
                value: "'admin'".into(),
                message: "RDS reserves that name".into(),
                fix: "choose another name".into(),
            })
        );
        assert_eq!(e.problem("port"), None);
    }

    #[test]
    fn the_text_lists_one_problem_a_line() {
        assert_eq!(
            two_problems().to_string(),
            "Test/Database: 2 invalid props\n  \
             - backup_retention_days = 40: RDS keeps automated backups 1 to 35 days; \
             use AWS Backup for longer retention\n  \
             - master_username = 'admin': RDS reserves that name; choose another name"
        );
        let one = ConstructError::invalid("S/Key", "pending_window_days", "3", "m", "f");
        assert_eq!(
            one.to_string(),
            "S/Key: 1 invalid prop\n  - pending_window_days = 3: m; f"
        );
    }

    #[test]
    fn each_problem_is_one_diagnostic() {
        let d = two_problems().to_diagnostics();
        assert_eq!(
            d.0,
            [
                Diagnostic::error(
                    "invalid-prop",
                    "Test/Database",
                    "`backup_retention_days` is 40: RDS keeps automated backups 1 to 35 days"
                )
                .with_hint("use AWS Backup for longer retention"),
                Diagnostic::error(
                    "invalid-prop",
                    "Test/Database",
                    "`master_username` is 'admin': RDS reserves that name"
                )
                .with_hint("choose another name"),
            ]
        );
    }

    #[test]
    fn a_tree_error_has_no_problems_and_its_own_diagnostic() {
        let core = CoreError::DuplicateStack { name: "A".into() };
        let e = ConstructError::from(core.clone());
        assert!(e.problems().is_empty());
        assert_eq!(e.problem("name"), None);
        assert_eq!(e.to_diagnostics(), core.to_diagnostics());
        assert_eq!(e.to_string(), core.to_string());
    }
}
