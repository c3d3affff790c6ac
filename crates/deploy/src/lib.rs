//! Diff, deploy and destroy through CloudFormation change sets.
//!
//! CloudFormation applies the changes, keeps the state and rolls back; stackwright prepares,
//! executes and watches change sets. This crate returns typed results and prints nothing;
//! the command line (`diff`, `deploy`, `destroy`, `list` in `stackwright-cli`) shows them.
//!
//! - [`Deployer`] takes stacks of a cloud assembly ([`StackTarget`]) and options and returns
//!   typed results: [`Deployer::diff`] ([`TemplateDiff`], computed here property by
//!   property), [`Deployer::preview_change_set`], [`Deployer::prepare`] then
//!   [`Deployer::execute`] (an [`Execution`] whose events arrive as they happen, then
//!   [`Execution::finish`]), the one-call [`Deployer::deploy`], and [`Deployer::destroy`].
//! - Statuses are types with meaning ([`StackStatus::is_busy`],
//!   [`StackStatus::holds_no_resources`], ...), not strings; so are change sets
//!   ([`ChangeSet`]) and events ([`StackEvent`], streamed by [`EventStream`]).
//! - [`Aws`] loads `aws-config`'s standard chain: `AWS_PROFILE`, `AWS_REGION`,
//!   `AWS_ENDPOINT_URL` and the rest. Each stack deploys to its `Env`'s region and account;
//!   credentials for another account are refused before anything happens. Every call has
//!   time limits ([`Timeouts`], `STACKWRIGHT_*_TIMEOUT`), and one that gets no answer is
//!   [`DeployError::NoAnswer`], naming the call and the endpoint.
//! - Deploy marks the stacks it makes with the app's name ([`APP_TAG`],
//!   [`Deployer::with_app`]) and updates or deletes no stack without it, unless told to
//!   adopt it ([`DeployOptions::adopt`]).
//!
//! - [`Aws::gates`] reads what a release watches ([`Gates`]): target health, alarm states,
//!   a target group's 5xx rate and response-time percentiles, an Auto Scaling group's
//!   capacity, ECS service deployments.
//!
//! - [`Releaser`] runs releases (`release`, `release --status`, `release --rollback`): each
//!   step a change set on the deployed template changing release parameters only, judged
//!   between steps by the gates, rolled back at the first breach; the plan is worked out
//!   without AWS in [`release_plan`].
//!
//! The template diff ([`diff`]), the statuses, change-set types and events are plain data
//! and available without the `aws` feature; everything that talks to AWS needs it.
//!
//! ```no_run
//! # #[cfg(feature = "aws")]
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use stackwright_deploy::{Aws, DeployOptions, Deployer, StackTarget};
//! use stackwright_synth::CloudAssembly;
//!
//! let assembly = CloudAssembly::read("stackwright.out".as_ref())?;
//! let deployer = Deployer::new(Aws::from_env().await);
//! for target in StackTarget::all(&assembly)? {
//!     let result = deployer
//!         .deploy(&target, &DeployOptions::default(), &mut |activity| println!("{activity:?}"))
//!         .await?;
//!     println!("{}: {:?}, outputs {:?}", result.stack, result.outcome, result.outputs);
//! }
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod change_set;
pub mod diff;
pub mod events;
pub mod progress;
pub mod release_state;
pub mod status;

#[cfg(feature = "aws")]
mod client;
#[cfg(feature = "aws")]
mod deployer;
#[cfg(feature = "aws")]
mod error;
#[cfg(feature = "aws")]
mod gates;
#[cfg(feature = "aws")]
pub mod release;
#[cfg(feature = "aws")]
pub mod release_plan;
#[cfg(all(test, feature = "aws"))]
mod replay;
#[cfg(feature = "aws")]
mod timeouts;
#[cfg(feature = "aws")]
mod watch;

pub use change_set::{
    ChangeAction, ChangeSet, ChangeSetKind, ChangeSummary, Replacement, ResourceChange,
};
pub use diff::{ChangeKind, Impact, TemplateDiff};
pub use events::{EventStatus, StackEvent};
pub use progress::Progress;
pub use release_state::{
    Colour, DescriptionError, ReleaseDescription, Thresholds, TrafficMover, UnfinishedRelease,
    unfinished_release,
};
pub use status::{ChangeSetStatus, ExecutionStatus, ResourceStatus, StackStatus};

#[cfg(feature = "aws")]
pub use client::{Aws, DeployedStack, TemplateSource};
#[cfg(feature = "aws")]
pub use deployer::{
    APP_TAG, Activity, ChangeSetPreview, DEFAULT_APP, DEPLOY_CHANGE_SET, DIFF_CHANGE_SET,
    DeployOptions, DeployOutcome, DeployResult, Deployer, DestroyOutcome, DestroyResult, Execution,
    PendingChangeSet, Prepared, RetainedResource, StackDiff, StackTarget, required_capabilities,
    s3_url, unique_change_set_name,
};
#[cfg(feature = "aws")]
pub use error::{DeployError, FailureReason, TimeoutStage};
#[cfg(feature = "aws")]
pub use gates::{
    AlarmKind, AlarmState, AlarmStates, AlarmStatus, CircuitBreaker, DeploymentAlarms, ErrorRate,
    Gates, GroupCapacity, GroupInstance, LifecycleStage, MonitorStatus, ResponseTime, Rollback,
    ServiceDeployment, ServiceDeploymentStatus, ServiceRevision, Target, TargetGroupMetrics,
    TargetHealth, TargetState,
};
#[cfg(feature = "aws")]
pub use release::{
    PreparedRelease, RELEASE_CHANGE_SET, ReleaseError, ReleaseEvent, ReleaseOutcome, ReleaseStatus,
    Releaser, StepKind,
};
#[cfg(feature = "aws")]
pub use timeouts::{BadTimeout, TIMEOUT_VARIABLES, Timeouts};
#[cfg(feature = "aws")]
pub use watch::EventStream;
