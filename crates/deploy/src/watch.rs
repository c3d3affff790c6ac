//! Watching a stack operation: its events as a stream, from polling CloudFormation.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::Cfn;
use crate::error::DeployError;
use crate::events::{EventStatus, StackEvent};
use crate::status::StackStatus;

/// The events of one stack operation, oldest first, as they happen. The stream ends
/// once the stack has settled; [`EventStream::settled_status`] then tells where.
///
/// It implements `futures_core::Stream`; [`EventStream::next`] reads it without any
/// stream combinator crate.
pub struct EventStream {
    rx: mpsc::Receiver<Result<StackEvent, DeployError>>,
    settled: Arc<Mutex<Option<StackStatus>>>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("settled", &self.settled_status())
            .finish_non_exhaustive()
    }
}

impl EventStream {
    /// The next event; `None` once the stack has settled (or an error was yielded).
    pub async fn next(&mut self) -> Option<Result<StackEvent, DeployError>> {
        self.rx.recv().await
    }

    /// The status the stack settled in, once the stream has ended.
    pub fn settled_status(&self) -> Option<StackStatus> {
        self.settled.lock().ok().and_then(|s| s.clone())
    }
}

impl futures_core::Stream for EventStream {
    type Item = Result<StackEvent, DeployError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        // Nobody reads any more: stop polling CloudFormation. The operation itself goes on.
        self.task.abort();
    }
}

/// Remembers which events already happened before an operation, so that the stream
/// shows only the operation's own. Event ids, not timestamps: the local clock may be off.
pub(crate) struct Watcher {
    cfn: Cfn,
    stack_id: String,
    seen: HashSet<String>,
    poll: Duration,
}

/// How many polls a stack may look settled without a closing event of its own before
/// the stream believes it. Right after `ExecuteChangeSet` CloudFormation may still
/// report the old status (or `REVIEW_IN_PROGRESS` for a new stack) for a moment.
const GRACE_POLLS: u32 = 3;

/// How many polls a new stack may stay in `REVIEW_IN_PROGRESS` after execution was
/// asked for before the stream reports that nothing started.
const REVIEW_POLLS: u32 = 30;

impl Watcher {
    /// Notes the stack's existing events. Call before starting the operation.
    pub(crate) async fn prime(
        cfn: Cfn,
        stack_id: &str,
        poll: Duration,
    ) -> Result<Watcher, DeployError> {
        let mut w = Watcher {
            cfn,
            stack_id: stack_id.to_string(),
            seen: HashSet::new(),
            poll,
        };
        let (page, _) = w.cfn.events_page(stack_id, None).await?;
        w.seen.extend(page.into_iter().map(|e| e.event_id));
        Ok(w)
    }

    /// Starts streaming the events after the primed ones.
    pub(crate) fn stream(self) -> EventStream {
        let (tx, rx) = mpsc::channel(256);
        let settled = Arc::new(Mutex::new(None));
        let task = tokio::spawn(self.run(tx, Arc::clone(&settled)));
        EventStream { rx, settled, task }
    }

    async fn run(
        mut self,
        tx: mpsc::Sender<Result<StackEvent, DeployError>>,
        settled: Arc<Mutex<Option<StackStatus>>>,
    ) {
        let mut quiet_polls = 0;
        let mut review_polls = 0;
        loop {
            // The status first, then the events: once the status says "settled", the
            // events read after it include the operation's last one.
            let status = match self.cfn.describe(&self.stack_id).await {
                Ok(Some(s)) => s.status,
                Ok(None) => StackStatus::DeleteComplete,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let fresh = match self.new_events().await {
                Ok(f) => f,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let mut closed = false;
            for e in fresh {
                if let EventStatus::Stack(s) = &e.status {
                    closed |= !s.is_busy() && *s != StackStatus::ReviewInProgress;
                }
                if tx.send(Ok(e)).await.is_err() {
                    return;
                }
            }
            let done = if status == StackStatus::ReviewInProgress {
                review_polls += 1;
                review_polls > REVIEW_POLLS
            } else if !status.is_busy() {
                quiet_polls += 1;
                closed || quiet_polls > GRACE_POLLS
            } else {
                false
            };
            if done {
                if let Ok(mut s) = settled.lock() {
                    *s = Some(status);
                }
                return;
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// Events not seen yet, oldest first. Pages are newest first, so paging stops at
    /// the first seen event.
    async fn new_events(&mut self) -> Result<Vec<StackEvent>, DeployError> {
        let mut fresh = Vec::new();
        let mut token = None;
        'pages: loop {
            let (page, next) = self.cfn.events_page(&self.stack_id, token).await?;
            for e in page {
                if self.seen.contains(&e.event_id) {
                    break 'pages;
                }
                fresh.push(e);
            }
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        fresh.reverse();
        self.seen.extend(fresh.iter().map(|e| e.event_id.clone()));
        Ok(fresh)
    }
}
