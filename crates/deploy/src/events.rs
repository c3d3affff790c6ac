//! Stack events: what CloudFormation did to each resource, as a stream while it works.

use std::time::SystemTime;

use crate::status::{ResourceStatus, StackStatus};

/// The resource type CloudFormation gives the stack's own events.
pub const STACK_RESOURCE_TYPE: &str = "AWS::CloudFormation::Stack";

/// One stack event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEvent {
    /// Its id, unique within the stack.
    pub event_id: String,
    /// The stack's ARN.
    pub stack_id: String,
    /// The stack's name.
    pub stack_name: String,
    /// The resource's logical id (the stack's name for the stack's own events).
    pub logical_id: String,
    /// The resource's physical id, once it has one.
    pub physical_id: Option<String>,
    /// The resource's type.
    pub resource_type: String,
    /// When it happened, by CloudFormation's clock.
    pub timestamp: Option<SystemTime>,
    /// The new status.
    pub status: EventStatus,
    /// Why, when CloudFormation says (always for failures).
    pub reason: Option<String>,
    /// The token of the request that started the operation (stackwright passes one to
    /// `ExecuteChangeSet`, so it can tell its own operation from another's).
    pub client_request_token: Option<String>,
}

/// A stack event's status: the stack's own, or one resource's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventStatus {
    /// An event of the stack itself.
    Stack(StackStatus),
    /// An event of one resource.
    Resource(ResourceStatus),
}

impl EventStatus {
    /// As CloudFormation writes it.
    pub fn as_str(&self) -> &str {
        match self {
            EventStatus::Stack(s) => s.as_str(),
            EventStatus::Resource(s) => s.as_str(),
        }
    }

    /// A failure, whose reason says what went wrong.
    pub fn is_failure(&self) -> bool {
        self.as_str().ends_with("_FAILED")
    }
}

impl StackEvent {
    /// Builds an event from the API's fields, typing the status by whose it is.
    pub fn new(
        event_id: String,
        stack_id: String,
        stack_name: String,
        logical_id: String,
        resource_type: String,
        status: &str,
    ) -> Self {
        let status = if resource_type == STACK_RESOURCE_TYPE && logical_id == stack_name {
            EventStatus::Stack(StackStatus::parse(status))
        } else {
            EventStatus::Resource(ResourceStatus::parse(status))
        };
        StackEvent {
            event_id,
            stack_id,
            stack_name,
            logical_id,
            physical_id: None,
            resource_type,
            timestamp: None,
            status,
            reason: None,
            client_request_token: None,
        }
    }

    /// An event of the stack itself rather than of one of its resources.
    pub fn is_stack_event(&self) -> bool {
        matches!(self.status, EventStatus::Stack(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stacks_own_events_carry_stack_statuses() {
        let own = StackEvent::new(
            "1".into(),
            "arn".into(),
            "S".into(),
            "S".into(),
            STACK_RESOURCE_TYPE.into(),
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        );
        assert!(own.is_stack_event());
        assert_eq!(
            own.status,
            EventStatus::Stack(StackStatus::UpdateCompleteCleanupInProgress)
        );
        let res = StackEvent::new(
            "2".into(),
            "arn".into(),
            "S".into(),
            "Topic".into(),
            "AWS::SNS::Topic".into(),
            "CREATE_FAILED",
        );
        assert!(!res.is_stack_event() && res.status.is_failure());
    }
}
