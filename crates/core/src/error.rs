//! Errors raised while building the construct tree.

/// A construct-time error: the tree could not take what was asked of it. Each names the
/// place, the bad value and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// Two children of one scope share an id.
    #[error(
        "{scope}: there is already a child called '{id}' here; give each construct in a scope its own id"
    )]
    DuplicateId {
        /// The scope's path.
        scope: String,
        /// The repeated id.
        id: String,
    },
    /// A child id that cannot be used.
    #[error(
        "{scope}: '{id}' cannot be a construct id because {reason}; use letters and digits, for example 'Network'"
    )]
    InvalidId {
        /// The scope's path.
        scope: String,
        /// The id given.
        id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two stacks of one app share a name.
    #[error("there is already a stack called '{name}' in this app; stack names must be unique")]
    DuplicateStack {
        /// The repeated name.
        name: String,
    },
    /// A stack name CloudFormation would refuse.
    #[error(
        "'{name}' cannot be a stack name because {reason}; CloudFormation takes a letter followed by letters, digits and hyphens, up to 128 characters"
    )]
    InvalidStackName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A scope handle of another app was used.
    #[error(
        "'{id}' was added under a scope that belongs to another App; build each app's constructs under that app's own stacks"
    )]
    ForeignScope {
        /// The child id.
        id: String,
    },
}
