//! How far a stack operation has got: resources done of total, and time taken.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::events::{EventStatus, StackEvent};

/// Counts the resources an operation has finished with, from its events.
#[derive(Debug, Clone)]
pub struct Progress {
    total: usize,
    done: HashSet<String>,
    started: Instant,
}

impl Progress {
    /// Starts counting now, towards `total` resources.
    pub fn new(total: usize) -> Self {
        Progress {
            total,
            done: HashSet::new(),
            started: Instant::now(),
        }
    }

    /// Takes an event into account.
    pub fn record(&mut self, event: &StackEvent) {
        if let EventStatus::Resource(s) = &event.status
            && !s.is_in_progress()
        {
            self.done.insert(event.logical_id.clone());
        }
    }

    /// Resources finished with (created, updated, deleted, skipped or failed).
    pub fn done(&self) -> usize {
        self.done.len()
    }

    /// Resources the operation touches. Never less than [`Progress::done`]: a replacement
    /// or a rollback can touch more than the change set listed.
    pub fn total(&self) -> usize {
        self.total.max(self.done.len())
    }

    /// Time since the operation started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::STACK_RESOURCE_TYPE;

    fn ev(id: &str, ty: &str, status: &str) -> StackEvent {
        StackEvent::new(
            format!("{id}-{status}"),
            "arn".into(),
            "S".into(),
            id.into(),
            ty.into(),
            status,
        )
    }

    #[test]
    fn finished_resources_are_counted_once_and_the_stack_not_at_all() {
        let mut p = Progress::new(2);
        p.record(&ev("S", STACK_RESOURCE_TYPE, "CREATE_IN_PROGRESS"));
        p.record(&ev("A", "AWS::SNS::Topic", "CREATE_IN_PROGRESS"));
        assert_eq!(p.done(), 0);
        p.record(&ev("A", "AWS::SNS::Topic", "CREATE_COMPLETE"));
        p.record(&ev("B", "AWS::SNS::Topic", "CREATE_FAILED"));
        p.record(&ev("S", STACK_RESOURCE_TYPE, "ROLLBACK_COMPLETE"));
        assert_eq!((p.done(), p.total()), (2, 2));
        p.record(&ev("C", "AWS::SNS::Topic", "DELETE_COMPLETE"));
        assert_eq!((p.done(), p.total()), (3, 3));
    }
}
