//! CloudFormation's statuses as types, with what each one means for a deploy.
//!
//! The SDK has enums for these too, but they carry no meaning: deploy needs to know whether
//! an operation is still running, whether it succeeded, and what a stack in a given state
//! lets us do next. A status CloudFormation adds after this version lands in `Other`, so an
//! unexpected answer is reported, never a panic.

macro_rules! status_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A status this version of stackwright does not know, as AWS wrote it.
            Other(String),
        }

        impl $name {
            /// The status as AWS writes it (`UPDATE_COMPLETE`, `ALARM`).
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(s) => s,
                }
            }

            /// Reads a status as AWS writes it; unknown text becomes `Other`.
            pub fn parse(text: &str) -> Self {
                match text {
                    $( $text => Self::$variant, )*
                    other => Self::Other(other.to_string()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, ::std::convert::Infallible> {
                Ok(Self::parse(s))
            }
        }
    };
}

// The release gates' states are read the same way.
#[cfg(feature = "aws")]
pub(crate) use status_enum;

status_enum! {
    /// The status of a stack (`DescribeStacks`' `StackStatus`).
    StackStatus {
        /// Being created.
        CreateInProgress = "CREATE_IN_PROGRESS",
        /// Creation failed and rollback was disabled.
        CreateFailed = "CREATE_FAILED",
        /// Created.
        CreateComplete = "CREATE_COMPLETE",
        /// A failed creation is being rolled back.
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        /// Rolling back a failed creation failed.
        RollbackFailed = "ROLLBACK_FAILED",
        /// A failed creation was rolled back; the stack holds nothing and can only be deleted.
        RollbackComplete = "ROLLBACK_COMPLETE",
        /// Being deleted.
        DeleteInProgress = "DELETE_IN_PROGRESS",
        /// Deletion failed.
        DeleteFailed = "DELETE_FAILED",
        /// Deleted.
        DeleteComplete = "DELETE_COMPLETE",
        /// Being updated.
        UpdateInProgress = "UPDATE_IN_PROGRESS",
        /// Updated; replaced resources are being deleted.
        UpdateCompleteCleanupInProgress = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        /// Updated.
        UpdateComplete = "UPDATE_COMPLETE",
        /// The update failed and rollback was disabled.
        UpdateFailed = "UPDATE_FAILED",
        /// A failed update is being rolled back.
        UpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS",
        /// Rolling back a failed update failed.
        UpdateRollbackFailed = "UPDATE_ROLLBACK_FAILED",
        /// Rolled back; resources created by the failed update are being deleted.
        UpdateRollbackCompleteCleanupInProgress = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        /// A failed update was rolled back to the previous template.
        UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE",
        /// Created by a change set that was never executed; holds no resources.
        ReviewInProgress = "REVIEW_IN_PROGRESS",
        /// Resources are being imported.
        ImportInProgress = "IMPORT_IN_PROGRESS",
        /// Resources were imported.
        ImportComplete = "IMPORT_COMPLETE",
        /// A failed import is being rolled back.
        ImportRollbackInProgress = "IMPORT_ROLLBACK_IN_PROGRESS",
        /// Rolling back a failed import failed.
        ImportRollbackFailed = "IMPORT_ROLLBACK_FAILED",
        /// A failed import was rolled back.
        ImportRollbackComplete = "IMPORT_ROLLBACK_COMPLETE",
    }
}

impl StackStatus {
    /// An operation is running: nothing else can start until it ends. `REVIEW_IN_PROGRESS`
    /// is not busy: nothing runs, the stack waits for a change set to be executed.
    pub fn is_busy(&self) -> bool {
        self.as_str().ends_with("_IN_PROGRESS") && *self != StackStatus::ReviewInProgress
    }

    /// The last operation succeeded.
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            StackStatus::CreateComplete
                | StackStatus::UpdateComplete
                | StackStatus::ImportComplete
                | StackStatus::DeleteComplete
        )
    }

    /// The last operation failed (rolled back or stuck), once it has ended.
    pub fn is_failure(&self) -> bool {
        !self.is_busy()
            && (self.as_str().ends_with("_FAILED")
                || matches!(
                    self,
                    StackStatus::RollbackComplete
                        | StackStatus::UpdateRollbackComplete
                        | StackStatus::ImportRollbackComplete
                ))
    }

    /// A change set can update the stack from this state.
    pub fn is_updatable(&self) -> bool {
        matches!(
            self,
            StackStatus::CreateComplete
                | StackStatus::UpdateComplete
                | StackStatus::UpdateRollbackComplete
                | StackStatus::ImportComplete
                | StackStatus::ImportRollbackComplete
        )
    }

    /// The stack exists but holds nothing a deploy must keep: a first creation that was
    /// rolled back, or a stack a change set created and nobody executed. Deploy deletes such
    /// a stack and creates it again.
    pub fn holds_no_resources(&self) -> bool {
        matches!(
            self,
            StackStatus::RollbackComplete | StackStatus::ReviewInProgress
        )
    }

    /// What a person has to do before deploy can touch a stack in this state, when it is
    /// one deploy cannot recover from by itself.
    pub fn recovery_hint(&self) -> Option<&'static str> {
        Some(match self {
            StackStatus::UpdateRollbackFailed => {
                "continue the rollback (`aws cloudformation continue-update-rollback`, skipping \
                 the resources that cannot roll back), then deploy again"
            }
            StackStatus::RollbackFailed => {
                "a failed first creation could not be rolled back: delete the stack (`destroy`) \
                 after checking which resources it still holds, then deploy again"
            }
            StackStatus::DeleteFailed => {
                "a deletion failed: fix what blocked it (see the stack's events), then run \
                 `destroy` again or deploy to keep the stack"
            }
            StackStatus::CreateFailed | StackStatus::UpdateFailed => {
                "the operation failed with rollback disabled: fix the failing resources and \
                 deploy again, or roll back (`aws cloudformation rollback-stack`)"
            }
            StackStatus::ImportRollbackFailed => {
                "an import could not be rolled back: fix the stack in the CloudFormation \
                 console, then deploy again"
            }
            _ => return None,
        })
    }
}

status_enum! {
    /// Whether a change set is ready (`DescribeChangeSet`'s `Status`).
    ChangeSetStatus {
        /// Queued.
        CreatePending = "CREATE_PENDING",
        /// CloudFormation is working out the changes.
        CreateInProgress = "CREATE_IN_PROGRESS",
        /// Ready to review and execute.
        CreateComplete = "CREATE_COMPLETE",
        /// Queued for deletion.
        DeletePending = "DELETE_PENDING",
        /// Being deleted.
        DeleteInProgress = "DELETE_IN_PROGRESS",
        /// Deleted.
        DeleteComplete = "DELETE_COMPLETE",
        /// Could not be deleted.
        DeleteFailed = "DELETE_FAILED",
        /// Could not be created; `StatusReason` says why (also when there is nothing to change).
        Failed = "FAILED",
    }
}

impl ChangeSetStatus {
    /// CloudFormation is still working on it.
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            ChangeSetStatus::CreatePending
                | ChangeSetStatus::CreateInProgress
                | ChangeSetStatus::DeletePending
                | ChangeSetStatus::DeleteInProgress
        )
    }
}

status_enum! {
    /// Whether a change set can be executed (`DescribeChangeSet`'s `ExecutionStatus`).
    ExecutionStatus {
        /// Not ready (still being created, or it failed).
        Unavailable = "UNAVAILABLE",
        /// Can be executed.
        Available = "AVAILABLE",
        /// Being executed.
        ExecuteInProgress = "EXECUTE_IN_PROGRESS",
        /// Executed.
        ExecuteComplete = "EXECUTE_COMPLETE",
        /// Execution failed.
        ExecuteFailed = "EXECUTE_FAILED",
        /// The stack changed since; this change set can no longer be executed.
        Obsolete = "OBSOLETE",
    }
}

status_enum! {
    /// The status of one resource in a stack event.
    ResourceStatus {
        /// Being created.
        CreateInProgress = "CREATE_IN_PROGRESS",
        /// Creation failed.
        CreateFailed = "CREATE_FAILED",
        /// Created.
        CreateComplete = "CREATE_COMPLETE",
        /// Being deleted.
        DeleteInProgress = "DELETE_IN_PROGRESS",
        /// Deletion failed.
        DeleteFailed = "DELETE_FAILED",
        /// Deleted.
        DeleteComplete = "DELETE_COMPLETE",
        /// Left in place (a `Retain` deletion policy).
        DeleteSkipped = "DELETE_SKIPPED",
        /// Being updated.
        UpdateInProgress = "UPDATE_IN_PROGRESS",
        /// The update failed.
        UpdateFailed = "UPDATE_FAILED",
        /// Updated.
        UpdateComplete = "UPDATE_COMPLETE",
        /// Being rolled back to its previous state.
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        /// Rolled back.
        RollbackComplete = "ROLLBACK_COMPLETE",
        /// Rolling back failed.
        RollbackFailed = "ROLLBACK_FAILED",
        /// Being imported.
        ImportInProgress = "IMPORT_IN_PROGRESS",
        /// Importing failed.
        ImportFailed = "IMPORT_FAILED",
        /// Imported.
        ImportComplete = "IMPORT_COMPLETE",
        /// An update is being rolled back.
        UpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS",
        /// An update was rolled back.
        UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE",
        /// Rolling back an update failed.
        UpdateRollbackFailed = "UPDATE_ROLLBACK_FAILED",
    }
}

impl ResourceStatus {
    /// Work on the resource is still going on.
    pub fn is_in_progress(&self) -> bool {
        self.as_str().ends_with("_IN_PROGRESS")
    }

    /// Something went wrong; the event's reason says what.
    pub fn is_failure(&self) -> bool {
        self.as_str().ends_with("_FAILED")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_unknown_ones_are_kept() {
        for s in [
            "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
            "REVIEW_IN_PROGRESS",
            "ROLLBACK_COMPLETE",
        ] {
            assert_eq!(StackStatus::parse(s).as_str(), s);
            assert!(!matches!(StackStatus::parse(s), StackStatus::Other(_)));
        }
        let new = StackStatus::parse("TELEPORT_IN_PROGRESS");
        assert_eq!(new, StackStatus::Other("TELEPORT_IN_PROGRESS".into()));
        assert!(new.is_busy(), "an unknown *_IN_PROGRESS is waited on");
        assert_eq!(
            format!("{:<20}|", StackStatus::CreateComplete),
            "CREATE_COMPLETE     |"
        );
    }

    #[test]
    fn stack_status_meanings() {
        use StackStatus::*;
        assert!(UpdateInProgress.is_busy() && UpdateCompleteCleanupInProgress.is_busy());
        assert!(!ReviewInProgress.is_busy());
        assert!(RollbackComplete.is_failure() && UpdateRollbackComplete.is_failure());
        assert!(!RollbackInProgress.is_failure(), "not over yet");
        assert!(UpdateRollbackComplete.is_updatable() && !RollbackComplete.is_updatable());
        assert!(RollbackComplete.holds_no_resources() && ReviewInProgress.holds_no_resources());
        assert!(
            !UpdateRollbackComplete.holds_no_resources(),
            "it holds the old resources"
        );
        assert!(UpdateRollbackFailed.recovery_hint().is_some());
        assert!(CreateComplete.recovery_hint().is_none());
    }

    #[test]
    fn change_set_and_resource_statuses() {
        assert!(ChangeSetStatus::CreatePending.is_pending());
        assert!(!ChangeSetStatus::Failed.is_pending());
        assert!(ResourceStatus::parse("CREATE_FAILED").is_failure());
        assert!(ResourceStatus::DeleteInProgress.is_in_progress());
        assert_eq!(
            "AVAILABLE".parse::<ExecutionStatus>(),
            Ok(ExecutionStatus::Available)
        );
    }
}
