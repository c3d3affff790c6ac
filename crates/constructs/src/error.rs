//! Errors raised when a construct is built with props it cannot honour.

use stackwright_core::CoreError;

/// A construct-time error: the props cannot make a working resource. Each names the
/// construct path, the value at fault and what to do instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConstructError {
    /// The construct tree refused the construct (duplicate id, bad id).
    #[error(transparent)]
    Tree(#[from] CoreError),
    /// A prop value that cannot work.
    #[error("{path}: {message}; {fix}")]
    InvalidProp {
        /// The construct path.
        path: String,
        /// What is wrong, naming the value.
        message: String,
        /// What to do instead.
        fix: String,
    },
}

impl ConstructError {
    /// An invalid prop at `path`.
    pub fn invalid(
        path: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        ConstructError::InvalidProp {
            path: path.into(),
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// Collects prop problems so a construct reports all of them at once; the first is
/// returned, the rest are attached to its message.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    path: String,
    found: Vec<(String, String)>,
}

impl Problems {
    pub(crate) fn new(path: impl Into<String>) -> Self {
        Problems {
            path: path.into(),
            found: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, message: impl Into<String>, fix: impl Into<String>) {
        self.found.push((message.into(), fix.into()));
    }

    pub(crate) fn check(&mut self, ok: bool, message: impl FnOnce() -> String, fix: &str) {
        if !ok {
            self.add(message(), fix);
        }
    }

    /// `Ok` when nothing was found; otherwise one error listing every problem.
    pub(crate) fn finish(self) -> Result<(), ConstructError> {
        let mut found = self.found.into_iter();
        let Some((message, fix)) = found.next() else {
            return Ok(());
        };
        let mut fix = fix;
        for (m, f) in found {
            fix.push_str(&format!("\n  also: {m}; {f}"));
        }
        Err(ConstructError::invalid(self.path, message, fix))
    }
}
