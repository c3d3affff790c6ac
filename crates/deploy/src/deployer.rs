//! Diff, deploy and destroy of the stacks of a cloud assembly, through change sets.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudformation::types::{Capability, Parameter};
use indexmap::IndexMap;
use serde_json::Value as Json;
use stackwright_synth::assembly::{AssemblyError, CloudAssembly, Environment, ManifestStack};
use stackwright_synth::validate::limits::INLINE_BODY_BYTES;

use crate::change_set::{ChangeSet, ChangeSetKind};
use crate::client::{
    Aws, Cfn, ChangeSetRequest, ChangeSetSummary, DeployedStack, ExecuteFailure, TemplateSource,
};
use crate::diff::TemplateDiff;
use crate::error::{DeployError, FailureReason};
use crate::events::{EventStatus, StackEvent};
use crate::progress::Progress;
use crate::status::{ChangeSetStatus, ExecutionStatus, ResourceStatus, StackStatus};
use crate::watch::{EventStream, Watcher};

/// How the change sets deploy creates are named: `stackwright-deploy-<run>`, unique to each
/// run ([`unique_change_set_name`]), so that two deploys at once never touch each other's.
pub const DEPLOY_CHANGE_SET: &str = "stackwright-deploy";
/// How the change sets `diff --change-set` creates (and deletes again) are named.
pub const DIFF_CHANGE_SET: &str = "stackwright-diff";
/// The stack tag that marks a stack as deployed by stackwright, naming the app. Deploy
/// updates and destroy deletes only stacks whose tag names their app.
pub const APP_TAG: &str = "stackwright:app";
/// The app name a [`Deployer`] marks stacks with unless told another
/// ([`Deployer::with_app`]).
pub const DEFAULT_APP: &str = "stackwright";

/// A change set name no other run uses: `prefix`, the time and the process id in base 36,
/// and a counter for the runs of one process. Change set names never reach a template.
pub fn unique_change_set_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let millis = now.as_millis() % 36u128.pow(8);
    format!(
        "{prefix}-{}-{}{}",
        base36(millis),
        base36(u128::from(std::process::id())),
        base36(u128::from(COUNTER.fetch_add(1, Ordering::Relaxed)))
    )
}

fn base36(mut n: u128) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Whether stackwright made a change set of this name (this run or another).
fn made_by_stackwright(name: &str) -> bool {
    [DEPLOY_CHANGE_SET, DIFF_CHANGE_SET].iter().any(|prefix| {
        name == *prefix
            || name
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('-'))
    })
}

/// A change set that may still be executed (or is being): one another run may be about to
/// use, or one someone left for review.
fn is_live(c: &ChangeSetSummary) -> bool {
    c.status.is_pending()
        || matches!(
            c.execution_status,
            ExecutionStatus::Available | ExecutionStatus::ExecuteInProgress
        )
}

/// One stack of a cloud assembly: its manifest entry and its template.
#[derive(Debug, Clone)]
pub struct StackTarget {
    /// The stack's name.
    pub name: String,
    /// What the manifest says about it.
    pub manifest: ManifestStack,
    /// The template, as written.
    pub body: String,
    /// The stacks it depends on, with where each deploys.
    pub dependencies: IndexMap<String, Environment>,
}

impl StackTarget {
    /// The stack `name` of an assembly.
    pub fn from_assembly(assembly: &CloudAssembly, name: &str) -> Result<Self, AssemblyError> {
        let manifest = assembly.manifest.stacks.get(name).cloned().ok_or_else(|| {
            AssemblyError::BadManifest {
                path: assembly.dir.join("manifest.json"),
                reason: format!("it has no stack called '{name}'"),
            }
        })?;
        let dependencies = manifest
            .dependencies
            .iter()
            .map(|d| {
                let env = assembly
                    .manifest
                    .stacks
                    .get(d)
                    .map_or_else(|| manifest.environment.clone(), |m| m.environment.clone());
                (d.clone(), env)
            })
            .collect();
        Ok(StackTarget {
            name: name.to_string(),
            body: minified(assembly.template_body(name)?),
            manifest,
            dependencies,
        })
    }

    /// Every stack of an assembly, in deployment order.
    pub fn all(assembly: &CloudAssembly) -> Result<Vec<Self>, AssemblyError> {
        assembly
            .manifest
            .stacks
            .keys()
            .map(|n| StackTarget::from_assembly(assembly, n))
            .collect()
    }

    /// The template as JSON.
    pub fn template(&self) -> Result<Json, DeployError> {
        serde_json::from_str(&self.body).map_err(|e| {
            DeployError::Assembly(AssemblyError::BadManifest {
                path: self.manifest.template_file.clone().into(),
                reason: format!("the template is not JSON: {e}; run synth again"),
            })
        })
    }
}

/// How to deploy a stack.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// Parameter values by key. A template parameter not given keeps its deployed value,
    /// or takes its default on a new stack.
    pub parameters: IndexMap<String, String>,
    /// An S3 bucket for templates over 51,200 bytes.
    pub bucket: Option<String>,
    /// A role CloudFormation assumes to change the resources.
    pub role_arn: Option<String>,
    /// SNS topics that receive the stack's events.
    pub notification_arns: Vec<String>,
    /// Execute the change set; `false` leaves it for review.
    pub execute: bool,
    /// The change set's name. Default: a new [`unique_change_set_name`] for each
    /// `DeployOptions::default()`.
    pub change_set_name: String,
    /// Take over a stack of this name that exists without this app's
    /// [`APP_TAG`] (created by hand, by another tool, or by another app): its resources
    /// become the template's. Without it, such a stack is refused
    /// ([`DeployError::NotOwned`]).
    pub adopt: bool,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            parameters: IndexMap::new(),
            bucket: None,
            role_arn: None,
            notification_arns: Vec::new(),
            execute: true,
            change_set_name: unique_change_set_name(DEPLOY_CHANGE_SET),
            adopt: false,
        }
    }
}

/// What an operation is doing, for whoever shows progress.
// Activities are handed one at a time to a callback, never stored in bulk: boxing the
// large variant would only add an allocation per event.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Activity {
    /// The stack is busy with another operation; waiting for it to end.
    Waiting {
        /// The stack.
        stack: String,
        /// Its status.
        status: StackStatus,
    },
    /// The stack exists but holds nothing (a first creation that was rolled back, or a
    /// change set never executed): it is being deleted so that it can be created again.
    Recreating {
        /// The stack.
        stack: String,
        /// Its status.
        status: StackStatus,
    },
    /// The template was uploaded to S3.
    Uploaded {
        /// The stack.
        stack: String,
        /// Where.
        url: String,
    },
    /// A stack event, with the operation's progress after it.
    Event {
        /// The event.
        event: StackEvent,
        /// The construct path of the event's resource, from the manifest.
        path: Option<String>,
        /// Resources finished.
        done: usize,
        /// Resources the operation touches.
        total: usize,
        /// Time since the operation started.
        elapsed: Duration,
    },
}

/// What [`Deployer::prepare`] found.
#[derive(Debug)]
pub enum Prepared {
    /// Nothing to change; the change set was deleted.
    NoChanges(Box<DeployResult>),
    /// A change set is ready to review and execute.
    Ready(Box<PendingChangeSet>),
}

/// A change set ready for execution.
#[derive(Debug, Clone)]
pub struct PendingChangeSet {
    /// The change set.
    pub change_set: ChangeSet,
    /// The region.
    pub region: String,
    /// The stack was deleted first because it held nothing (see [`Activity::Recreating`]).
    pub recreated: Option<StackStatus>,
    /// The deployed stack the change set updates (`None` for a new stack).
    pub deployed: Option<DeployedStack>,
}

/// How a deploy ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployOutcome {
    /// The stack was created.
    Created,
    /// The stack was updated.
    Updated,
    /// Nothing to change.
    NoChanges,
    /// The change set was left for review (`execute: false`).
    ChangeSetLeft {
        /// Its name.
        name: String,
        /// Its ARN.
        id: String,
    },
}

/// A deployed stack.
#[derive(Debug, Clone)]
pub struct DeployResult {
    /// The stack.
    pub stack: String,
    /// Its ARN.
    pub stack_id: String,
    /// What happened.
    pub outcome: DeployOutcome,
    /// Its status now.
    pub status: Option<StackStatus>,
    /// Its outputs.
    pub outputs: IndexMap<String, String>,
    /// How long it took.
    pub elapsed: Duration,
    /// Things that went wrong without failing the deploy.
    pub warnings: Vec<String>,
}

/// How a destroy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestroyOutcome {
    /// The stack was deleted.
    Deleted,
    /// There was no such stack.
    NotDeployed,
}

/// A resource a deletion left in place (its `DeletionPolicy` is `Retain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetainedResource {
    /// Its logical id.
    pub logical_id: String,
    /// Its construct path, when the manifest knows it.
    pub path: Option<String>,
    /// Its type.
    pub resource_type: String,
    /// Its physical id (the bucket name, the key id, ...).
    pub physical_id: Option<String>,
}

/// A destroyed stack.
#[derive(Debug, Clone)]
pub struct DestroyResult {
    /// The stack.
    pub stack: String,
    /// What happened.
    pub outcome: DestroyOutcome,
    /// Resources left in place.
    pub retained: Vec<RetainedResource>,
    /// How long it took.
    pub elapsed: Duration,
}

/// A stack's synthesized template compared with its deployed one.
#[derive(Debug, Clone)]
pub struct StackDiff {
    /// The stack.
    pub stack: String,
    /// The deployed stack, if any.
    pub deployed: Option<DeployedStack>,
    /// The differences.
    pub diff: TemplateDiff,
}

/// What a change set says a deploy would do.
#[derive(Debug, Clone)]
pub enum ChangeSetPreview {
    /// The stack does not exist: every resource would be added. No change set was created
    /// (one would leave an empty stack behind).
    NewStack(TemplateDiff),
    /// Nothing would change.
    NoChanges,
    /// These changes (the change set has been deleted again).
    Changes(ChangeSet),
}

/// Diffs, deploys and destroys stacks. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Deployer {
    aws: Aws,
    poll: Duration,
    app: String,
    max_wait: Duration,
}

impl Deployer {
    /// A deployer polling CloudFormation every two seconds, marking stacks as
    /// [`DEFAULT_APP`]'s, and waiting up to two hours for another operation on a stack to
    /// end.
    pub fn new(aws: Aws) -> Self {
        Deployer {
            aws,
            poll: Duration::from_secs(2),
            app: DEFAULT_APP.to_string(),
            max_wait: Duration::from_secs(2 * 60 * 60),
        }
    }

    /// Polls at another interval (tests against an emulator poll fast).
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll = every;
        self
    }

    /// The app whose stacks these are: deploy tags every stack with it ([`APP_TAG`]) and
    /// updates or deletes only stacks tagged with it. Keep it the same from run to run
    /// (the command line uses the program's name).
    pub fn with_app(mut self, app: impl Into<String>) -> Self {
        self.app = app.into();
        self
    }

    /// The app's name.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// How long to wait for another operation on a stack to end before giving up
    /// ([`DeployError::StillBusy`]).
    pub fn max_wait(mut self, limit: Duration) -> Self {
        self.max_wait = limit;
        self
    }

    /// The AWS configuration.
    pub fn aws(&self) -> &Aws {
        &self.aws
    }

    /// A client for the stack's region, once the credentials are known to belong to the
    /// stack's account.
    async fn client_for(&self, target: &StackTarget) -> Result<(Cfn, String), DeployError> {
        self.aws.check_settings()?;
        let region = self
            .aws
            .region_for(&target.name, &target.manifest.environment.region)?;
        let expected = &target.manifest.environment.account;
        if !expected.is_empty() {
            let stack = |e: DeployError| e.for_stack(&target.name);
            self.aws.check_credentials().await.map_err(stack)?;
            let actual = self.aws.account().await.map_err(stack)?;
            if !actual.is_empty() && actual != *expected {
                return Err(DeployError::WrongAccount {
                    stack: target.name.clone(),
                    expected: expected.clone(),
                    actual,
                });
            }
        }
        Ok((self.aws.cfn(&region), region))
    }

    /// The stack as deployed, if it is.
    pub async fn status(&self, target: &StackTarget) -> Result<Option<DeployedStack>, DeployError> {
        let (cfn, _) = self.client_for(target).await?;
        cfn.describe(&target.name).await
    }

    /// Compares the synthesized template with the deployed one, property by property.
    pub async fn diff(&self, target: &StackTarget) -> Result<StackDiff, DeployError> {
        let (cfn, _) = self.client_for(target).await?;
        let deployed = cfn.describe(&target.name).await?;
        let old = match &deployed {
            Some(s) if !s.status.holds_no_resources() => {
                let body = cfn.template(&s.id).await?;
                Some(serde_json::from_str::<Json>(&body).map_err(|e| {
                    DeployError::DeployedTemplateNotJson {
                        stack: target.name.clone(),
                        reason: e.to_string(),
                    }
                })?)
            }
            _ => None,
        };
        let new = target.template()?;
        Ok(StackDiff {
            stack: target.name.clone(),
            diff: TemplateDiff::compute(old.as_ref(), &new, &target.manifest.paths),
            deployed,
        })
    }

    /// Asks CloudFormation what a deploy would change, through a change set it deletes
    /// again.
    pub async fn preview_change_set<F: FnMut(Activity) + ?Sized>(
        &self,
        target: &StackTarget,
        options: &DeployOptions,
        on: &mut F,
    ) -> Result<ChangeSetPreview, DeployError> {
        let (cfn, region) = self.client_for(target).await?;
        let deployed = self.settled(&cfn, &target.name, on).await?;
        let Some(deployed) = deployed.filter(|s| !s.status.holds_no_resources()) else {
            let new = target.template()?;
            return Ok(ChangeSetPreview::NewStack(TemplateDiff::compute(
                None,
                &new,
                &target.manifest.paths,
            )));
        };
        let options = DeployOptions {
            change_set_name: unique_change_set_name(DIFF_CHANGE_SET),
            ..options.clone()
        };
        let cs = self
            .create_change_set(&cfn, &region, target, &options, Some(&deployed), on)
            .await?;
        cfn.delete_change_set(&target.name, &cs.id).await?;
        if cs.has_no_changes() {
            Ok(ChangeSetPreview::NoChanges)
        } else if cs.status.is_pending() || cs.status == ChangeSetStatus::Failed {
            Err(DeployError::ChangeSetFailed {
                stack: target.name.clone(),
                reason: cs.status_reason.unwrap_or_else(|| cs.status.to_string()),
            })
        } else {
            Ok(ChangeSetPreview::Changes(cs))
        }
    }

    /// Gets a stack ready for a change set: waits for a running operation to end, deletes
    /// a stack that holds nothing, uploads a large template, creates the change set and
    /// waits for it. A change set with nothing to change is deleted.
    pub async fn prepare<F: FnMut(Activity) + ?Sized>(
        &self,
        target: &StackTarget,
        options: &DeployOptions,
        on: &mut F,
    ) -> Result<Prepared, DeployError> {
        let started = Instant::now();
        let (cfn, region) = self.client_for(target).await?;
        let mut deployed = self.settled(&cfn, &target.name, on).await?;
        let mut recreated = None;
        if let Some(s) = &deployed {
            if let Some(hint) = s.status.recovery_hint() {
                return Err(DeployError::NotDeployable {
                    stack: target.name.clone(),
                    status: s.status.clone(),
                    hint: hint.to_string(),
                });
            }
            // A REVIEW_IN_PROGRESS stack holds nothing and keeps any change set it has: a
            // CREATE change set is added beside, whoever's it is.
            if s.status != StackStatus::ReviewInProgress {
                self.check_owner(target, s, options.adopt, false)?;
            }
        }
        // A release keeps its state in the stack's parameters and says in its marker when
        // it is under way: a deploy in the middle would run against half-moved traffic.
        if let Some(s) = deployed.as_ref().filter(|s| !s.status.holds_no_resources())
            && let Some(u) =
                crate::release_state::unfinished_release(&target.template()?, &s.parameters)
        {
            return Err(DeployError::ReleaseUnfinished {
                stack: target.name.clone(),
                release: u.release,
                parameter: u.parameter,
                state: u.state,
            });
        }
        // Before anything is created or deleted: an import of a stack that is not there
        // would fail the change set and leave an empty stack behind.
        self.check_dependencies(target, options).await?;
        if let Some(s) = &deployed
            && s.status.holds_no_resources()
            && self.safe_to_recreate(&cfn, s, options).await?
        {
            on(Activity::Recreating {
                stack: target.name.clone(),
                status: s.status.clone(),
            });
            cfn.delete_stack(&s.id, options.role_arn.as_deref()).await?;
            self.wait_deleted(&cfn, target, &s.id).await?;
            recreated = Some(s.status.clone());
            deployed = None;
        }

        let cs = match self
            .create_change_set(&cfn, &region, target, options, deployed.as_ref(), on)
            .await
        {
            Ok(cs) => cs,
            Err(e) => return Err(self.changed_meanwhile(&cfn, target, e).await),
        };
        if cs.has_no_changes() {
            cfn.delete_change_set(&target.name, &cs.id).await?;
            let Some(d) = deployed else {
                return Err(DeployError::ChangeSetFailed {
                    stack: target.name.clone(),
                    reason: cs.status_reason.unwrap_or_default(),
                });
            };
            let mut warnings = Vec::new();
            if options.execute {
                self.fix_termination_protection(&cfn, target, &d, &mut warnings)
                    .await;
            }
            return Ok(Prepared::NoChanges(Box::new(DeployResult {
                stack: target.name.clone(),
                stack_id: d.id.clone(),
                outcome: DeployOutcome::NoChanges,
                status: Some(d.status.clone()),
                outputs: d.outputs.clone(),
                elapsed: started.elapsed(),
                warnings,
            })));
        }
        if cs.status != ChangeSetStatus::CreateComplete {
            let reason = cs
                .status_reason
                .clone()
                .unwrap_or_else(|| cs.status.to_string());
            // The change set is useless; leave no debris behind. A stack a failed CREATE
            // change set made holds nothing and the next deploy deletes it.
            let _ = cfn.delete_change_set(&target.name, &cs.id).await;
            return Err(DeployError::ChangeSetFailed {
                stack: target.name.clone(),
                reason,
            });
        }
        Ok(Prepared::Ready(Box::new(PendingChangeSet {
            change_set: cs,
            region,
            recreated,
            deployed,
        })))
    }

    /// Executes a prepared change set. Read the returned execution's events, then call
    /// [`Execution::finish`].
    pub async fn execute(
        &self,
        target: &StackTarget,
        pending: &PendingChangeSet,
    ) -> Result<Execution, DeployError> {
        let cfn = self.aws.cfn(&pending.region);
        let cs = &pending.change_set;
        let watcher = Watcher::prime(cfn.clone(), &cs.stack_id, self.poll).await?;
        let total = match cs.kind {
            ChangeSetKind::Create => target.manifest.resource_count,
            ChangeSetKind::Update => cs.changes.len(),
        };
        let progress = Progress::new(total);
        let token = execution_token(&cs.id);
        let mut warnings = Vec::new();
        if let Err(failure) = cfn.execute_change_set(&cs.stack_id, &cs.id, &token).await {
            warnings.push(
                self.after_failed_execute(&cfn, target, pending, &token, failure)
                    .await?,
            );
        }
        Ok(Execution {
            stream: watcher.stream(),
            cfn,
            stack: target.name.clone(),
            stack_id: cs.stack_id.clone(),
            kind: cs.kind,
            paths: target.manifest.paths.clone(),
            termination_protection: target.manifest.termination_protection,
            progress,
            failures: Vec::new(),
            stack_reason: None,
            warnings,
        })
    }

    /// What is true after `ExecuteChangeSet` failed. An answer from the service that it
    /// refused is reported as such. Without an answer (the connection failed or timed out
    /// after the request went out) CloudFormation may well have executed the change set, and
    /// a retry of a request that did get through is refused as already executed: the change
    /// set and the stack's events are looked up again. When the execution started (the
    /// change set says so, or events carry this execution's token), it is followed and the
    /// returned warning says what happened to the call; otherwise the error says what is.
    async fn after_failed_execute(
        &self,
        cfn: &Cfn,
        target: &StackTarget,
        pending: &PendingChangeSet,
        token: &str,
        failure: ExecuteFailure,
    ) -> Result<String, DeployError> {
        let cs = &pending.change_set;
        let ExecuteFailure { answered, error } = failure;
        let refused_as_executed = matches!(
            error.code(),
            Some("InvalidChangeSetStatus" | "ChangeSetNotFound" | "ChangeSetNotFoundException")
        );
        let stack_now = cfn.describe(&cs.stack_id).await;
        if answered && !refused_as_executed {
            let status = stack_now.ok().flatten().map(|s| s.status);
            return Err(execute_failed(&target.name, error, status, None));
        }
        let change_set_now = match cfn.describe_change_set(&cs.stack_id, &cs.id).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if vanished(&e) => Ok(None),
            Err(e) => Err(e),
        };
        let events = cfn.events_page(&cs.stack_id, None).await;
        let (Ok(stack_now), Ok(change_set_now), Ok((events, _))) =
            (stack_now, change_set_now, events)
        else {
            let message = without_stack(&target.name, &error);
            return Err(DeployError::ExecuteUnconfirmed {
                stack: target.name.clone(),
                message,
                source: Some(Box::new(error)),
            });
        };
        let status = stack_now.as_ref().map(|s| s.status.clone());
        let ours = events
            .iter()
            .any(|e| e.client_request_token.as_deref() == Some(token));
        let execution = change_set_now.as_ref().map(|c| c.execution_status.clone());
        let nothing_ran = status.as_ref() == Some(&StackStatus::ReviewInProgress)
            || status.as_ref() == pending.deployed.as_ref().map(|d| &d.status);
        let started =
            ours || matches!(
                execution,
                Some(ExecutionStatus::ExecuteInProgress | ExecutionStatus::ExecuteComplete)
            ) || (execution == Some(ExecutionStatus::ExecuteFailed) && !nothing_ran);
        if started {
            return Ok(format!(
                "{}: {}, but CloudFormation did execute the change set; deploy followed it",
                target.name,
                without_stack(&target.name, &error)
            ));
        }
        match execution {
            // Still there and executable: it really was not executed.
            Some(ExecutionStatus::Available) => Err(execute_failed(
                &target.name,
                error,
                status,
                Some("; the change set is still AVAILABLE"),
            )),
            Some(ExecutionStatus::ExecuteFailed) => {
                let reason = change_set_now.and_then(|c| c.status_reason);
                Err(execute_failed(
                    &target.name,
                    error,
                    status,
                    reason.map(|r| format!(" ({r})")).as_deref(),
                ))
            }
            // Gone or obsolete without this execution: another operation took the stack
            // (CloudFormation removes a stack's other change sets when one is executed).
            _ => Err(DeployError::ChangedMeanwhile {
                stack: target.name.clone(),
                status,
            }),
        }
    }

    /// Prepares, executes and watches one stack, without asking anyone: the library's
    /// one-call deploy. `on` sees what happens.
    pub async fn deploy<F: FnMut(Activity) + ?Sized>(
        &self,
        target: &StackTarget,
        options: &DeployOptions,
        on: &mut F,
    ) -> Result<DeployResult, DeployError> {
        let started = Instant::now();
        let pending = match self.prepare(target, options, on).await? {
            Prepared::NoChanges(r) => return Ok(*r),
            Prepared::Ready(p) => p,
        };
        if !options.execute {
            return Ok(DeployResult {
                stack: target.name.clone(),
                stack_id: pending.change_set.stack_id.clone(),
                outcome: DeployOutcome::ChangeSetLeft {
                    name: pending.change_set.name.clone(),
                    id: pending.change_set.id.clone(),
                },
                status: None,
                outputs: pending
                    .deployed
                    .as_ref()
                    .map(|d| d.outputs.clone())
                    .unwrap_or_default(),
                elapsed: started.elapsed(),
                warnings: Vec::new(),
            });
        }
        let mut exec = self.execute(target, &pending).await?;
        while let Some(event) = exec.next().await {
            let event = event?;
            on(exec.activity(event));
        }
        let mut result = exec.finish().await?;
        result.elapsed = started.elapsed();
        Ok(result)
    }

    /// Deploys stacks of an assembly in deployment order (`names` empty: all of them),
    /// stopping at the first failure. `options` gives each stack's options.
    pub async fn deploy_assembly<F: FnMut(Activity) + ?Sized>(
        &self,
        assembly: &CloudAssembly,
        names: &[String],
        options: &(dyn Fn(&str) -> DeployOptions + Sync),
        on: &mut F,
    ) -> Result<Vec<DeployResult>, DeployError> {
        let mut results = Vec::new();
        for target in select(assembly, names)? {
            results.push(self.deploy(&target, &options(&target.name), on).await?);
        }
        Ok(results)
    }

    /// Deletes stacks of an assembly in reverse deployment order (`names` empty: all),
    /// once [`Deployer::check_destroy`] found nothing against it.
    pub async fn destroy_assembly<F: FnMut(Activity) + ?Sized>(
        &self,
        assembly: &CloudAssembly,
        names: &[String],
        role_arn: Option<&str>,
        on: &mut F,
    ) -> Result<Vec<DestroyResult>, DeployError> {
        let targets = select(assembly, names)?;
        self.check_destroy(assembly, &targets).await?;
        let mut results = Vec::new();
        for target in targets.iter().rev() {
            results.push(self.destroy(target, role_arn, on).await?);
        }
        Ok(results)
    }

    /// Checks, before anything is deleted, that destroying `targets` (stacks of `assembly`,
    /// in any order) loses nothing it must not. Refused: a stack this app did not deploy
    /// ([`DeployError::NotOwned`]), one with termination protection on
    /// ([`DeployError::TerminationProtected`], as CloudFormation would), and one that a
    /// deployed stack not being destroyed depends on ([`DeployError::NeededBy`]): a
    /// dependant in the assembly's manifest, or any stack importing one of its exports
    /// (`ListImports`, where the endpoint implements it).
    pub async fn check_destroy(
        &self,
        assembly: &CloudAssembly,
        targets: &[StackTarget],
    ) -> Result<(), DeployError> {
        let going: HashSet<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        for t in targets {
            let (cfn, _) = self.client_for(t).await?;
            let Some(deployed) = cfn.describe(&t.name).await? else {
                continue;
            };
            self.check_owner_to_delete(&cfn, t, &deployed).await?;
            if deployed.termination_protection {
                return Err(DeployError::TerminationProtected {
                    stack: t.name.clone(),
                });
            }
            let mut dependants = Vec::new();
            for (name, other) in &assembly.manifest.stacks {
                if going.contains(name.as_str()) || !other.dependencies.contains(&t.name) {
                    continue;
                }
                let region = self.aws.region_for(name, &other.environment.region)?;
                let deployed_other = self.aws.cfn(&region).describe(name).await?;
                if deployed_other.is_some_and(|d| !d.status.holds_no_resources()) {
                    dependants.push(name.clone());
                }
            }
            for importer in self.importers(&cfn, &t.name, &deployed).await? {
                if !going.contains(importer.as_str()) && !dependants.contains(&importer) {
                    dependants.push(importer);
                }
            }
            if !dependants.is_empty() {
                return Err(DeployError::NeededBy {
                    stack: t.name.clone(),
                    dependants,
                });
            }
        }
        Ok(())
    }

    /// The stacks importing any of a deployed stack's exports, other than itself.
    async fn importers(
        &self,
        cfn: &Cfn,
        name: &str,
        deployed: &DeployedStack,
    ) -> Result<Vec<String>, DeployError> {
        let mut found: Vec<String> = Vec::new();
        for export in &deployed.exports {
            let Some(stacks) = cfn.imports(name, export).await? else {
                // The endpoint does not implement ListImports: the manifest's dependencies
                // are all there is to go by.
                return Ok(found);
            };
            for s in stacks {
                if s != name && s != deployed.id && !found.contains(&s) {
                    found.push(s);
                }
            }
        }
        Ok(found)
    }

    /// Deletes a stack and waits until it is gone. Refuses a stack this app did not deploy,
    /// one with termination protection on, and one whose exports a stack still imports
    /// (see [`Deployer::check_destroy`], which also knows the assembly's dependencies).
    pub async fn destroy<F: FnMut(Activity) + ?Sized>(
        &self,
        target: &StackTarget,
        role_arn: Option<&str>,
        on: &mut F,
    ) -> Result<DestroyResult, DeployError> {
        let started = Instant::now();
        let (cfn, _) = self.client_for(target).await?;
        let Some(deployed) = self.settled(&cfn, &target.name, on).await? else {
            return Ok(DestroyResult {
                stack: target.name.clone(),
                outcome: DestroyOutcome::NotDeployed,
                retained: Vec::new(),
                elapsed: started.elapsed(),
            });
        };
        self.check_owner_to_delete(&cfn, target, &deployed).await?;
        if deployed.termination_protection {
            return Err(DeployError::TerminationProtected {
                stack: target.name.clone(),
            });
        }
        let dependants = self.importers(&cfn, &target.name, &deployed).await?;
        if !dependants.is_empty() {
            return Err(DeployError::NeededBy {
                stack: target.name.clone(),
                dependants,
            });
        }
        let watcher = Watcher::prime(cfn.clone(), &deployed.id, self.poll).await?;
        cfn.delete_stack(&deployed.id, role_arn).await?;
        let mut exec = Execution {
            stream: watcher.stream(),
            cfn: cfn.clone(),
            stack: target.name.clone(),
            stack_id: deployed.id.clone(),
            kind: ChangeSetKind::Update,
            paths: target.manifest.paths.clone(),
            termination_protection: false,
            progress: Progress::new(target.manifest.resource_count),
            failures: Vec::new(),
            stack_reason: None,
            warnings: Vec::new(),
        };
        let mut retained = Vec::new();
        while let Some(event) = exec.next().await {
            let event = event?;
            if event.status == EventStatus::Resource(ResourceStatus::DeleteSkipped) {
                retained.push(RetainedResource {
                    path: target.manifest.paths.get(&event.logical_id).cloned(),
                    logical_id: event.logical_id.clone(),
                    resource_type: event.resource_type.clone(),
                    physical_id: event.physical_id.clone(),
                });
            }
            on(exec.activity(event));
        }
        let status = cfn
            .describe(&deployed.id)
            .await?
            .map_or(StackStatus::DeleteComplete, |s| s.status);
        if status != StackStatus::DeleteComplete {
            return Err(DeployError::Failed {
                stack: target.name.clone(),
                status,
                reasons: exec.reasons(),
            });
        }
        Ok(DestroyResult {
            stack: target.name.clone(),
            outcome: DestroyOutcome::Deleted,
            retained,
            elapsed: started.elapsed(),
        })
    }

    /// The stack once no operation runs on it (waiting if one does); `None` if it does not
    /// exist.
    async fn settled<F: FnMut(Activity) + ?Sized>(
        &self,
        cfn: &Cfn,
        name: &str,
        on: &mut F,
    ) -> Result<Option<DeployedStack>, DeployError> {
        let Some(mut s) = cfn.describe(name).await? else {
            return Ok(None);
        };
        if s.status.is_busy() {
            on(Activity::Waiting {
                stack: name.to_string(),
                status: s.status.clone(),
            });
            let id = s.id.clone();
            let started = Instant::now();
            while s.status.is_busy() {
                if started.elapsed() >= self.max_wait {
                    return Err(DeployError::StillBusy {
                        stack: name.to_string(),
                        status: s.status,
                        waited: started.elapsed(),
                    });
                }
                tokio::time::sleep(self.poll).await;
                match cfn.describe(&id).await? {
                    Some(next) => s = next,
                    None => return Ok(None),
                }
            }
            if s.status == StackStatus::DeleteComplete {
                return Ok(None);
            }
        }
        Ok(Some(s))
    }

    /// A `REVIEW_IN_PROGRESS` stack is deleted and created again only when nothing on it can
    /// still be executed: every change set on it is stackwright's and failed or was used up.
    /// One that someone left for review, or that another run is about to execute, keeps the
    /// stack; a CREATE change set is added beside it.
    async fn safe_to_recreate(
        &self,
        cfn: &Cfn,
        s: &DeployedStack,
        options: &DeployOptions,
    ) -> Result<bool, DeployError> {
        if s.status != StackStatus::ReviewInProgress {
            return Ok(true);
        }
        let change_sets = cfn.change_sets(&s.name).await?;
        Ok(change_sets.iter().all(|c| {
            (made_by_stackwright(&c.name) || c.name == options.change_set_name) && !is_live(c)
        }))
    }

    /// Refuses a stack this app did not deploy, unless it is to be adopted.
    fn check_owner(
        &self,
        target: &StackTarget,
        s: &DeployedStack,
        adopt: bool,
        deleting: bool,
    ) -> Result<(), DeployError> {
        let owner = s.tags.get(APP_TAG);
        if adopt || owner.is_some_and(|o| *o == self.app) {
            return Ok(());
        }
        Err(DeployError::NotOwned {
            stack: target.name.clone(),
            app: self.app.clone(),
            owner: owner.cloned(),
            deleting,
        })
    }

    /// Refuses to delete a stack this app did not deploy. A stack in `REVIEW_IN_PROGRESS`
    /// holds nothing but its change sets; when all of them are stackwright's (a change set
    /// left for review, say), it is this app's to delete even where the stack shows no tags.
    async fn check_owner_to_delete(
        &self,
        cfn: &Cfn,
        target: &StackTarget,
        s: &DeployedStack,
    ) -> Result<(), DeployError> {
        let refused = self.check_owner(target, s, false, true);
        if refused.is_err()
            && s.status == StackStatus::ReviewInProgress
            && !s.tags.contains_key(APP_TAG)
        {
            let change_sets = cfn.change_sets(&s.name).await?;
            if !change_sets.is_empty() && change_sets.iter().all(|c| made_by_stackwright(&c.name)) {
                return Ok(());
            }
        }
        refused
    }

    /// Refuses a stack whose dependencies are not deployed (missing, or holding nothing).
    /// A dependency in another account than the stack's cannot be looked up with these
    /// credentials, and is left to CloudFormation. Change sets left for review
    /// (`execute: false`) may follow dependencies whose own change sets wait for review.
    async fn check_dependencies(
        &self,
        target: &StackTarget,
        options: &DeployOptions,
    ) -> Result<(), DeployError> {
        let mine = &target.manifest.environment;
        let mut missing = Vec::new();
        for (dep, env) in &target.dependencies {
            if !env.account.is_empty() && !mine.account.is_empty() && env.account != mine.account {
                continue;
            }
            let region = self.aws.region_for(dep, &env.region)?;
            let deployed = self
                .aws
                .cfn(&region)
                .describe(dep)
                .await
                .map_err(|e| e.for_stack(&target.name))?;
            let there = deployed.is_some_and(|d| {
                (!d.status.holds_no_resources()
                    || (!options.execute && d.status == StackStatus::ReviewInProgress))
                    && d.status != StackStatus::DeleteInProgress
            });
            if !there {
                missing.push(dep.clone());
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(DeployError::DependenciesNotDeployed {
                stack: target.name.clone(),
                missing,
            })
        }
    }

    /// A change set that vanished while it was being made, or a CREATE change set for a
    /// stack that exists by then: another operation took the stack meanwhile.
    async fn changed_meanwhile(
        &self,
        cfn: &Cfn,
        target: &StackTarget,
        e: DeployError,
    ) -> DeployError {
        let text = e.to_string();
        let taken = vanished(&e)
            || (e.code() == Some("ValidationError") && text.contains("already exists"));
        if !taken {
            return e;
        }
        let status = cfn
            .describe(&target.name)
            .await
            .ok()
            .flatten()
            .map(|s| s.status);
        DeployError::ChangedMeanwhile {
            stack: target.name.clone(),
            status,
        }
    }

    async fn wait_deleted(
        &self,
        cfn: &Cfn,
        target: &StackTarget,
        id: &str,
    ) -> Result<(), DeployError> {
        let started = Instant::now();
        loop {
            match cfn.describe(id).await? {
                None => return Ok(()),
                Some(s) if s.status == StackStatus::DeleteComplete => return Ok(()),
                Some(s) if s.status.is_busy() && started.elapsed() >= self.max_wait => {
                    return Err(DeployError::StillBusy {
                        stack: target.name.clone(),
                        status: s.status,
                        waited: started.elapsed(),
                    });
                }
                Some(s) if s.status.is_busy() => tokio::time::sleep(self.poll).await,
                Some(s) => {
                    return Err(DeployError::Failed {
                        stack: target.name.clone(),
                        reasons: s
                            .status_reason
                            .map(|r| {
                                vec![FailureReason {
                                    logical_id: target.name.clone(),
                                    path: None,
                                    resource_type: crate::events::STACK_RESOURCE_TYPE.into(),
                                    status: s.status.to_string(),
                                    reason: r,
                                }]
                            })
                            .unwrap_or_default(),
                        status: s.status,
                    });
                }
            }
        }
    }

    async fn create_change_set<F: FnMut(Activity) + ?Sized>(
        &self,
        cfn: &Cfn,
        region: &str,
        target: &StackTarget,
        options: &DeployOptions,
        deployed: Option<&DeployedStack>,
        on: &mut F,
    ) -> Result<ChangeSet, DeployError> {
        let template = target.template()?;
        let source = if target.body.len() > INLINE_BODY_BYTES {
            let Some(bucket) = options.bucket.as_deref() else {
                return Err(DeployError::TemplateTooLarge {
                    stack: target.name.clone(),
                    bytes: target.body.len(),
                    region: region.to_string(),
                });
            };
            let url = self.upload(region, bucket, target).await?;
            on(Activity::Uploaded {
                stack: target.name.clone(),
                url: url.clone(),
            });
            TemplateSource::Url(url)
        } else {
            TemplateSource::Body(target.body.clone())
        };
        // A REVIEW_IN_PROGRESS stack kept for someone's change set takes a CREATE change set.
        let kind = match deployed {
            Some(d) if d.status != StackStatus::ReviewInProgress => ChangeSetKind::Update,
            _ => ChangeSetKind::Create,
        };
        if deployed.is_some() {
            // Debris of earlier runs: stackwright's change sets that failed or can no longer
            // be executed, and one of this very name (which would block the new one). Never
            // another's, nor one that may still be executed: another run may be about to
            // execute it, or someone left it for review. CloudFormation removes those when
            // a change set of the stack is executed. Listed first, because deleting one that
            // is not there is an error for some emulators.
            for c in cfn.change_sets(&target.name).await? {
                let same_name = c.name == options.change_set_name
                    && c.execution_status != ExecutionStatus::ExecuteInProgress;
                if same_name || (made_by_stackwright(&c.name) && !is_live(&c)) {
                    cfn.delete_change_set(&target.name, &c.id).await?;
                }
            }
        }
        let mut tags = target.manifest.tags.clone();
        tags.insert(APP_TAG.to_string(), self.app.clone());
        let description = format!("stackwright deploy of {}", target.name);
        let (cs_id, stack_id) = cfn
            .create_change_set(ChangeSetRequest {
                stack: &target.name,
                name: &options.change_set_name,
                kind,
                template: source,
                parameters: parameters(
                    &template,
                    &options.parameters,
                    deployed.filter(|_| kind == ChangeSetKind::Update),
                ),
                capabilities: required_capabilities(&template)
                    .into_iter()
                    .map(Capability::from)
                    .collect(),
                tags: &tags,
                role_arn: options.role_arn.as_deref(),
                notification_arns: Some(&options.notification_arns),
                description: &description,
            })
            .await?;
        cfn.wait_change_set(&stack_id, &cs_id, kind, self.poll)
            .await
    }

    async fn upload(
        &self,
        region: &str,
        bucket: &str,
        target: &StackTarget,
    ) -> Result<String, DeployError> {
        // Content-addressed, so re-deploying the same template uploads to the same key.
        let key = format!(
            "stackwright/{}/{}.template.json",
            target.name, target.manifest.template_hash
        );
        let (s3, site) = self.aws.s3(region);
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("application/json")
            .body(target.body.clone().into_bytes().into())
            .send()
            .await
            .map_err(|e| DeployError::aws(&target.name, "PutObject", &site, e))?;
        Ok(s3_url(bucket, region, &key))
    }

    async fn fix_termination_protection(
        &self,
        cfn: &Cfn,
        target: &StackTarget,
        deployed: &DeployedStack,
        warnings: &mut Vec<String>,
    ) {
        fix_termination_protection(
            cfn,
            &target.name,
            &deployed.id,
            deployed.termination_protection,
            target.manifest.termination_protection,
            warnings,
        )
        .await;
    }
}

async fn fix_termination_protection(
    cfn: &Cfn,
    stack: &str,
    stack_id: &str,
    current: bool,
    wanted: bool,
    warnings: &mut Vec<String>,
) {
    if current == wanted {
        return;
    }
    // The stack itself is deployed; failing the whole deploy over this would hide that.
    // A loud warning says what to run instead.
    if let Err(e) = cfn.set_termination_protection(stack_id, wanted).await {
        let (flag, state) = if wanted {
            ("--enable-termination-protection", "on")
        } else {
            ("--no-enable-termination-protection", "off")
        };
        let why = match e {
            DeployError::Aws { message, .. } => message,
            other => other.to_string(),
        };
        warnings.push(format!(
            "termination protection of {stack} could not be turned {state} ({why}); run `aws cloudformation update-termination-protection {flag} --stack-name {stack}`"
        ));
    }
}

/// A change set being executed (or a stack being deleted): its events as they come, then
/// the result.
#[derive(Debug)]
pub struct Execution {
    stream: EventStream,
    cfn: Cfn,
    stack: String,
    stack_id: String,
    kind: ChangeSetKind,
    paths: IndexMap<String, String>,
    termination_protection: bool,
    progress: Progress,
    failures: Vec<FailureReason>,
    stack_reason: Option<FailureReason>,
    warnings: Vec<String>,
}

impl Execution {
    /// The next event, oldest first; `None` once the stack has settled.
    pub async fn next(&mut self) -> Option<Result<StackEvent, DeployError>> {
        let event = self.stream.next().await?;
        if let Ok(e) = &event {
            self.progress.record(e);
            if (e.status.is_failure()
                || e.status == EventStatus::Stack(StackStatus::RollbackInProgress)
                || e.status == EventStatus::Stack(StackStatus::UpdateRollbackInProgress))
                && let Some(reason) = &e.reason
            {
                let r = FailureReason {
                    logical_id: e.logical_id.clone(),
                    path: self.paths.get(&e.logical_id).cloned(),
                    resource_type: e.resource_type.clone(),
                    status: e.status.as_str().to_string(),
                    reason: reason.clone(),
                };
                if e.is_stack_event() {
                    self.stack_reason.get_or_insert(r);
                } else {
                    self.failures.push(r);
                }
            }
        }
        Some(event)
    }

    /// The progress so far.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The stack's ARN.
    pub fn stack_id(&self) -> &str {
        &self.stack_id
    }

    /// An event wrapped with the progress after it.
    pub fn activity(&self, event: StackEvent) -> Activity {
        Activity::Event {
            path: self.paths.get(&event.logical_id).cloned(),
            event,
            done: self.progress.done(),
            total: self.progress.total(),
            elapsed: self.progress.elapsed(),
        }
    }

    /// Why it failed: the failing resources, root causes before the resources CloudFormation
    /// cancelled because of them; the stack's own reason when no resource gave one.
    fn reasons(&self) -> Vec<FailureReason> {
        let mut reasons = self.failures.clone();
        reasons.sort_by_key(|r| r.reason.contains("cancelled"));
        if reasons.is_empty() {
            reasons.extend(self.stack_reason.clone());
        }
        reasons
    }

    /// Waits for the stack to settle (reading any events left), and returns the result:
    /// outputs on success, the failing events' reasons otherwise. Turns termination
    /// protection on or off as the stack asks.
    pub async fn finish(mut self) -> Result<DeployResult, DeployError> {
        while let Some(e) = self.next().await {
            e?;
        }
        let deployed = self.cfn.describe(&self.stack_id).await?;
        let Some(deployed) = deployed else {
            return Err(DeployError::Failed {
                stack: self.stack.clone(),
                status: StackStatus::DeleteComplete,
                reasons: self.reasons(),
            });
        };
        if !deployed.status.is_success() {
            let mut reasons = self.reasons();
            if reasons.is_empty() {
                reasons.extend(deployed.status_reason.clone().map(|r| FailureReason {
                    logical_id: self.stack.clone(),
                    path: None,
                    resource_type: crate::events::STACK_RESOURCE_TYPE.into(),
                    status: deployed.status.to_string(),
                    reason: r,
                }));
            }
            return Err(DeployError::Failed {
                stack: self.stack.clone(),
                status: deployed.status,
                reasons,
            });
        }
        // What `list` and the next deploy see is the stack the name leads to: it must be
        // the one the change set was executed on.
        match self.cfn.describe(&self.stack).await? {
            Some(by_name) if by_name.id == self.stack_id => {}
            other => {
                return Err(DeployError::NameMismatch {
                    stack: self.stack.clone(),
                    stack_id: self.stack_id.clone(),
                    status: deployed.status,
                    found_id: other.as_ref().map(|s| s.id.clone()),
                    found_status: other.map(|s| s.status),
                });
            }
        }
        let mut warnings = std::mem::take(&mut self.warnings);
        fix_termination_protection(
            &self.cfn,
            &self.stack,
            &self.stack_id,
            deployed.termination_protection,
            self.termination_protection,
            &mut warnings,
        )
        .await;
        Ok(DeployResult {
            stack: self.stack.clone(),
            stack_id: self.stack_id.clone(),
            outcome: match self.kind {
                ChangeSetKind::Create => DeployOutcome::Created,
                ChangeSetKind::Update => DeployOutcome::Updated,
            },
            status: Some(deployed.status),
            outputs: deployed.outputs,
            elapsed: self.progress.elapsed(),
            warnings,
        })
    }
}

/// The token the execution of a change set carries (its events are marked with it): from
/// the change set's ARN, whose last part CloudFormation makes unique, so no two change
/// sets (of one run or another, whatever their names) share one.
fn execution_token(change_set_id: &str) -> String {
    let unique: String = change_set_id
        .rsplit('/')
        .next()
        .unwrap_or(change_set_id)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(100)
        .collect();
    format!("stackwright-execute-{unique}")
}

/// A change set (or stack) that is not there: deleted by someone, or never made.
fn vanished(e: &DeployError) -> bool {
    match e.code() {
        Some("ChangeSetNotFound" | "ChangeSetNotFoundException") => true,
        Some("ValidationError") => e.to_string().contains("does not exist"),
        _ => false,
    }
}

/// An error's message without the `Stack: ` its `Display` starts with.
fn without_stack(stack: &str, e: &DeployError) -> String {
    let text = e.to_string();
    text.strip_prefix(&format!("{stack}: "))
        .map(String::from)
        .unwrap_or(text)
}

/// `ExecuteChangeSet` did not execute the change set: why, and where the stack is.
fn execute_failed(
    stack: &str,
    error: DeployError,
    status: Option<StackStatus>,
    more: Option<&str>,
) -> DeployError {
    let (code, message, source): (_, _, Option<crate::error::SdkCause>) = match error {
        DeployError::Aws {
            code,
            message,
            source,
            ..
        } => (code, message, source),
        other => (None, without_stack(stack, &other), Some(other.into())),
    };
    DeployError::ExecuteFailed {
        stack: stack.to_string(),
        code,
        message: format!("{message}{}", more.unwrap_or_default()),
        status,
        source,
    }
}

/// The stacks called `names` (all when empty), in deployment order.
fn select(assembly: &CloudAssembly, names: &[String]) -> Result<Vec<StackTarget>, DeployError> {
    let all = StackTarget::all(assembly)?;
    for n in names {
        if !all.iter().any(|t| t.name == *n) {
            StackTarget::from_assembly(assembly, n)?;
        }
    }
    Ok(all
        .into_iter()
        .filter(|t| names.is_empty() || names.contains(&t.name))
        .collect())
}

/// The parameters to send: the given ones, and `UsePreviousValue` for the others the stack
/// already has, so a deploy never silently resets a value set earlier.
fn parameters(
    template: &Json,
    given: &IndexMap<String, String>,
    deployed: Option<&DeployedStack>,
) -> Vec<Parameter> {
    let declared = template.get("Parameters").and_then(Json::as_object);
    let mut out: Vec<Parameter> = given
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect();
    if let (Some(declared), Some(d)) = (declared, deployed) {
        for key in declared.keys() {
            if !given.contains_key(key) && d.parameters.contains_key(key) {
                out.push(
                    Parameter::builder()
                        .parameter_key(key)
                        .use_previous_value(true)
                        .build(),
                );
            }
        }
    }
    out
}

/// The IAM resource types CloudFormation asks an acknowledgement for, and the property
/// that gives each a custom name (which needs `CAPABILITY_NAMED_IAM`).
const IAM_TYPES: [(&str, Option<&str>); 8] = [
    ("AWS::IAM::AccessKey", None),
    ("AWS::IAM::Group", Some("GroupName")),
    ("AWS::IAM::InstanceProfile", Some("InstanceProfileName")),
    ("AWS::IAM::ManagedPolicy", Some("ManagedPolicyName")),
    ("AWS::IAM::Policy", None),
    ("AWS::IAM::Role", Some("RoleName")),
    ("AWS::IAM::User", Some("UserName")),
    ("AWS::IAM::UserToGroupAddition", None),
];

/// The capabilities a template needs acknowledged: `CAPABILITY_IAM` for IAM resources,
/// `CAPABILITY_NAMED_IAM` when one has a custom name, `CAPABILITY_AUTO_EXPAND` for macros.
pub fn required_capabilities(template: &Json) -> Vec<&'static str> {
    let mut iam = false;
    let mut named = false;
    if let Some(resources) = template.get("Resources").and_then(Json::as_object) {
        for r in resources.values() {
            let ty = r.get("Type").and_then(Json::as_str).unwrap_or_default();
            if let Some((_, name_prop)) = IAM_TYPES.iter().find(|(t, _)| *t == ty) {
                iam = true;
                named |= name_prop
                    .is_some_and(|p| r.get("Properties").and_then(|ps| ps.get(p)).is_some());
            }
        }
    }
    let mut caps = Vec::new();
    if iam {
        caps.push("CAPABILITY_IAM");
    }
    if named {
        caps.push("CAPABILITY_NAMED_IAM");
    }
    if template.get("Transform").is_some() {
        caps.push("CAPABILITY_AUTO_EXPAND");
    }
    caps
}

/// The virtual-hosted URL of an S3 object, as CloudFormation's `TemplateURL` takes it.
pub fn s3_url(bucket: &str, region: &str, key: &str) -> String {
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://{bucket}.s3.{region}.{domain}/{key}")
}

/// The template as CloudFormation receives it: the assembly's JSON without indentation.
/// CloudFormation reads JSON, not its layout, and compact JSON is about half the size, so
/// most templates stay under the 51,200 bytes that can be sent without an S3 bucket.
fn minified(pretty: String) -> String {
    serde_json::from_str::<serde_json::Value>(&pretty)
        .and_then(|v| serde_json::to_string(&v))
        .unwrap_or(pretty)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn capabilities_follow_the_iam_resources() {
        assert!(
            required_capabilities(&json!({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}))
                .is_empty()
        );
        assert_eq!(
            required_capabilities(
                &json!({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}})
            ),
            ["CAPABILITY_IAM"]
        );
        assert_eq!(
            required_capabilities(&json!({"Transform": "AWS::Serverless-2016-10-31",
                "Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "x"}}}})),
            [
                "CAPABILITY_IAM",
                "CAPABILITY_NAMED_IAM",
                "CAPABILITY_AUTO_EXPAND"
            ]
        );
    }

    #[test]
    fn undeclared_parameters_keep_their_deployed_values() {
        let template = json!({"Parameters": {"A": {"Type": "String"}, "B": {"Type": "String"}, "C": {"Type": "String"}}});
        let deployed = DeployedStack {
            name: "S".into(),
            id: "arn".into(),
            status: StackStatus::UpdateComplete,
            status_reason: None,
            outputs: IndexMap::new(),
            parameters: IndexMap::from([("A".into(), "old".into()), ("B".into(), "old".into())]),
            termination_protection: false,
            tags: IndexMap::new(),
            exports: Vec::new(),
        };
        let given = IndexMap::from([("A".to_string(), "new".to_string())]);
        let ps = parameters(&template, &given, Some(&deployed));
        let got: Vec<(Option<&str>, Option<&str>, Option<bool>)> = ps
            .iter()
            .map(|p| {
                (
                    p.parameter_key(),
                    p.parameter_value(),
                    p.use_previous_value(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (Some("A"), Some("new"), None),
                (Some("B"), None, Some(true))
            ]
        );
        assert_eq!(parameters(&template, &given, None).len(), 1);
    }

    #[test]
    fn template_urls_are_virtual_hosted() {
        assert_eq!(
            s3_url("b", "eu-west-1", "k/t.json"),
            "https://b.s3.eu-west-1.amazonaws.com/k/t.json"
        );
        assert_eq!(
            s3_url("b", "cn-north-1", "k"),
            "https://b.s3.cn-north-1.amazonaws.com.cn/k"
        );
    }
}
