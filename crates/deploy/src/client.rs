//! The AWS side: configuration from the standard chain, and the CloudFormation and S3 calls
//! deploy makes, with answers turned into stackwright's types.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_cloudformation::types as cfn_types;
use aws_sdk_cloudformation::types::TemplateStage;
use indexmap::IndexMap;

use crate::change_set::{
    ChangeAction, ChangeDetail, ChangeSet, ChangeSetKind, Replacement, ResourceChange,
};
use crate::error::{DeployError, Site};
use crate::events::StackEvent;
use crate::status::{ChangeSetStatus, ExecutionStatus, StackStatus};
use crate::timeouts::{BadTimeout, Timeouts};

/// AWS configuration for deploys: credentials, endpoint and default region from
/// `aws-config`'s standard chain (`AWS_PROFILE`, `AWS_REGION`, `AWS_ENDPOINT_URL`, ...), or a
/// configuration of your own, with time limits on every call ([`Timeouts`]).
///
/// Each stack deploys to the region of its `Env`; the configured region is used for a stack
/// whose `Env` names none.
#[derive(Clone, Debug)]
pub struct Aws {
    config: SdkConfig,
    account: Arc<tokio::sync::OnceCell<String>>,
    /// A `STACKWRIGHT_*_TIMEOUT` variable that could not be read: the first operation
    /// reports it (the defaults are in effect until then).
    bad_timeout: Option<BadTimeout>,
}

impl Aws {
    /// Loads the standard chain, with the time limits of [`Timeouts::from_env`] (the
    /// defaults, or the `STACKWRIGHT_*_TIMEOUT` variables). Retries are the chain's
    /// (`AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`; standard mode, three attempts, by default).
    pub async fn from_env() -> Aws {
        Aws::with_env_timeouts(aws_config::defaults(BehaviorVersion::latest())).await
    }

    /// Loads the standard chain, with `region` as the default region instead of the chain's
    /// own. When every stack names its region, this spares the chain's region lookup (which
    /// ends with a call to the EC2 instance metadata service when nothing else names one).
    pub async fn from_env_in(region: impl Into<String>) -> Aws {
        Aws::with_env_timeouts(
            aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.into())),
        )
        .await
    }

    async fn with_env_timeouts(loader: aws_config::ConfigLoader) -> Aws {
        let (timeouts, bad_timeout) = match Timeouts::from_env() {
            Ok(t) => (t, None),
            Err(e) => (Timeouts::default(), Some(e)),
        };
        let mut aws = Aws::from_config(loader.timeout_config(timeouts.to_sdk()).load().await);
        aws.bad_timeout = bad_timeout;
        aws
    }

    /// Uses a configuration built elsewhere (tests, or an embedding program). Time limits
    /// it leaves unset get [`Timeouts::default`]'s; the ones it sets (or disables) stay.
    pub fn from_config(config: SdkConfig) -> Aws {
        let mut limits = config
            .timeout_config()
            .cloned()
            .unwrap_or_else(|| aws_config::timeout::TimeoutConfig::builder().build());
        limits.take_defaults_from(&Timeouts::default().to_sdk());
        Aws {
            config: config.to_builder().timeout_config(limits).build(),
            account: Arc::new(tokio::sync::OnceCell::new()),
            bad_timeout: None,
        }
    }

    /// The same configuration with these time limits.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Aws {
        self.config = self
            .config
            .to_builder()
            .timeout_config(timeouts.to_sdk())
            .build();
        self.bad_timeout = None;
        self
    }

    /// The time limits in effect.
    pub fn timeouts(&self) -> Timeouts {
        self.config
            .timeout_config()
            .map(Timeouts::from_sdk)
            .unwrap_or_default()
    }

    /// Fails when a `STACKWRIGHT_*_TIMEOUT` variable could not be read.
    pub fn check_settings(&self) -> Result<(), DeployError> {
        match &self.bad_timeout {
            Some(e) => Err(DeployError::BadTimeout(e.clone())),
            None => Ok(()),
        }
    }

    /// Where calls to `service` (`cloudformation`, `sts`, `s3`) in `region` go.
    pub(crate) fn site(&self, service: &str, region: &str) -> Site {
        let endpoint = match self.config.endpoint_url() {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => {
                let domain = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://{service}.{region}.{domain}")
            }
        };
        Site {
            endpoint,
            timeouts: self.timeouts(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SdkConfig {
        &self.config
    }

    /// Resolves credentials now, so that a missing profile or key fails before any work
    /// with an error that says how to provide one.
    pub async fn check_credentials(&self) -> Result<(), DeployError> {
        let Some(provider) = self.config.credentials_provider() else {
            return Err(DeployError::NoCredentials {
                stack: None,
                detail: "no credentials provider is configured".into(),
                source: None,
            });
        };
        provider
            .provide_credentials()
            .await
            .map(|_| ())
            .map_err(DeployError::no_credentials)
    }

    /// The account the credentials belong to (STS `GetCallerIdentity`, asked once).
    pub async fn account(&self) -> Result<String, DeployError> {
        self.account
            .get_or_try_init(|| async {
                let sts = aws_sdk_sts::Client::new(&self.config);
                let region = self.config.region().map_or("us-east-1", |r| r.as_ref());
                let site = self.site("sts", region);
                let out = sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| DeployError::aws("", "GetCallerIdentity", &site, e))?;
                Ok(out.account().unwrap_or_default().to_string())
            })
            .await
            .cloned()
    }

    /// The region a stack deploys to: its own, else the configured one.
    pub fn region_for(&self, stack: &str, stack_region: &str) -> Result<String, DeployError> {
        if !stack_region.is_empty() {
            return Ok(stack_region.to_string());
        }
        self.config
            .region()
            .map(|r| r.as_ref().to_string())
            .ok_or_else(|| DeployError::NoRegion {
                stack: stack.to_string(),
            })
    }

    pub(crate) fn cfn(&self, region: &str) -> Cfn {
        let conf = aws_sdk_cloudformation::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .build();
        Cfn {
            client: aws_sdk_cloudformation::Client::from_conf(conf),
            site: Arc::new(self.site("cloudformation", region)),
        }
    }

    pub(crate) fn s3(&self, region: &str) -> (aws_sdk_s3::Client, Site) {
        // Bucket subdomains of a custom endpoint (moto, LocalStack) do not resolve, so a
        // configured endpoint gets path-style addresses.
        let conf = aws_sdk_s3::config::Builder::from(&self.config)
            .region(Region::new(region.to_string()))
            .force_path_style(self.config.endpoint_url().is_some())
            .build();
        (aws_sdk_s3::Client::from_conf(conf), self.site("s3", region))
    }
}

/// A stack as CloudFormation reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedStack {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub id: String,
    /// Its status.
    pub status: StackStatus,
    /// Why it is in that status, when CloudFormation says.
    pub status_reason: Option<String>,
    /// Its outputs by key.
    pub outputs: IndexMap<String, String>,
    /// Its parameters by key, with their values.
    pub parameters: IndexMap<String, String>,
    /// Whether termination protection is on.
    pub termination_protection: bool,
    /// Its stack-level tags.
    pub tags: IndexMap<String, String>,
    /// The names of the exports its outputs make.
    pub exports: Vec<String>,
}

/// A change set of a stack, as `ListChangeSets` sums it up.
#[derive(Debug, Clone)]
pub(crate) struct ChangeSetSummary {
    pub name: String,
    pub id: String,
    pub status: ChangeSetStatus,
    pub execution_status: ExecutionStatus,
}

/// How `ExecuteChangeSet` failed: with an answer from the service, or without one (the
/// connection failed or timed out, so the request may well have been carried out).
pub(crate) struct ExecuteFailure {
    pub answered: bool,
    pub error: DeployError,
}

/// What CreateChangeSet gets.
pub(crate) struct ChangeSetRequest<'a> {
    pub stack: &'a str,
    pub name: &'a str,
    pub kind: ChangeSetKind,
    pub template: TemplateSource,
    pub parameters: Vec<cfn_types::Parameter>,
    pub capabilities: Vec<cfn_types::Capability>,
    pub tags: &'a IndexMap<String, String>,
    pub role_arn: Option<&'a str>,
    /// `None` leaves the stack's notification topics as they are.
    pub notification_arns: Option<&'a [String]>,
    pub description: &'a str,
}

/// Where CloudFormation reads a template from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateSource {
    /// Sent in the request.
    Body(String),
    /// Uploaded to S3 first.
    Url(String),
    /// The template the stack has now (`UsePreviousTemplate`): a release step changes
    /// parameter values only.
    Previous,
}

/// A CloudFormation client for one region, speaking stackwright's types.
#[derive(Clone, Debug)]
pub(crate) struct Cfn {
    client: aws_sdk_cloudformation::Client,
    site: Arc<Site>,
}

fn time(t: Option<&aws_sdk_cloudformation::primitives::DateTime>) -> Option<SystemTime> {
    t.and_then(|t| SystemTime::try_from(*t).ok())
}

impl Cfn {
    fn fail<E>(
        &self,
        stack: &str,
        action: &'static str,
        err: aws_sdk_cloudformation::error::SdkError<
            E,
            aws_sdk_cloudformation::config::http::HttpResponse,
        >,
    ) -> DeployError
    where
        E: aws_sdk_cloudformation::error::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
    {
        DeployError::aws(stack, action, &self.site, err)
    }

    /// The stack called (or with ARN) `name`; `None` when it does not exist.
    pub(crate) async fn describe(&self, name: &str) -> Result<Option<DeployedStack>, DeployError> {
        let out = match self.client.describe_stacks().stack_name(name).send().await {
            Ok(o) => o,
            Err(e) => {
                let err = self.fail(name, "DescribeStacks", e);
                if let DeployError::Aws { code, message, .. } = &err
                    && code.as_deref() == Some("ValidationError")
                    && message.contains("does not exist")
                {
                    return Ok(None);
                }
                return Err(err);
            }
        };
        let Some(s) = out.stacks().first() else {
            return Ok(None);
        };
        let status = StackStatus::parse(s.stack_status().map(|s| s.as_str()).unwrap_or_default());
        // Looked up by ARN, a deleted stack is still found; to deploy it is gone.
        if status == StackStatus::DeleteComplete && !name.starts_with("arn:") {
            return Ok(None);
        }
        Ok(Some(DeployedStack {
            name: s.stack_name().unwrap_or(name).to_string(),
            id: s.stack_id().unwrap_or(name).to_string(),
            status,
            status_reason: s.stack_status_reason().map(String::from),
            outputs: s
                .outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
                .collect(),
            parameters: s
                .parameters()
                .iter()
                .filter_map(|p| {
                    Some((
                        p.parameter_key()?.to_string(),
                        p.parameter_value().unwrap_or_default().to_string(),
                    ))
                })
                .collect(),
            termination_protection: s.enable_termination_protection().unwrap_or(false),
            tags: s
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect(),
            exports: s
                .outputs()
                .iter()
                .filter_map(|o| o.export_name().filter(|n| !n.is_empty()).map(String::from))
                .collect(),
        }))
    }

    /// The deployed template as it was submitted.
    pub(crate) async fn template(&self, stack: &str) -> Result<String, DeployError> {
        let out = self
            .client
            .get_template()
            .stack_name(stack)
            .template_stage(TemplateStage::Original)
            .send()
            .await
            .map_err(|e| self.fail(stack, "GetTemplate", e))?;
        Ok(out.template_body().unwrap_or("{}").to_string())
    }

    /// The physical id of each of the stack's resources, by logical id
    /// (`ListStackResources`, every page; a resource not created yet has none).
    pub(crate) async fn resources(
        &self,
        stack: &str,
    ) -> Result<IndexMap<String, String>, DeployError> {
        let mut found = IndexMap::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_stack_resources()
                .stack_name(stack)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.fail(stack, "ListStackResources", e))?;
            found.extend(out.stack_resource_summaries().iter().filter_map(|r| {
                Some((
                    r.logical_resource_id()?.to_string(),
                    r.physical_resource_id()
                        .filter(|p| !p.is_empty())?
                        .to_string(),
                ))
            }));
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(found),
            }
        }
    }

    /// Creates a change set; returns its ARN and the stack's.
    pub(crate) async fn create_change_set(
        &self,
        r: ChangeSetRequest<'_>,
    ) -> Result<(String, String), DeployError> {
        let mut req = self
            .client
            .create_change_set()
            .stack_name(r.stack)
            .change_set_name(r.name)
            .change_set_type(cfn_types::ChangeSetType::from(r.kind.as_str()))
            .description(r.description)
            .set_parameters(Some(r.parameters))
            .set_capabilities(Some(r.capabilities))
            .set_notification_arns(r.notification_arns.map(<[String]>::to_vec))
            .set_role_arn(r.role_arn.map(String::from))
            .set_tags(Some(
                r.tags
                    .iter()
                    .map(|(k, v)| cfn_types::Tag::builder().key(k).value(v).build())
                    .collect(),
            ));
        req = match r.template {
            TemplateSource::Body(b) => req.template_body(b),
            TemplateSource::Url(u) => req.template_url(u),
            TemplateSource::Previous => req.use_previous_template(true),
        };
        let out = req
            .send()
            .await
            .map_err(|e| self.fail(r.stack, "CreateChangeSet", e))?;
        Ok((
            out.id().unwrap_or(r.name).to_string(),
            out.stack_id().unwrap_or(r.stack).to_string(),
        ))
    }

    /// Describes a change set, every page of its changes.
    pub(crate) async fn describe_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> Result<ChangeSet, DeployError> {
        let mut token: Option<String> = None;
        let mut result: Option<ChangeSet> = None;
        loop {
            let out = self
                .client
                .describe_change_set()
                .stack_name(stack)
                .change_set_name(change_set)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.fail(stack, "DescribeChangeSet", e))?;
            let changes = out
                .changes()
                .iter()
                .filter_map(|c| c.resource_change())
                .map(resource_change);
            match &mut result {
                Some(cs) => cs.changes.extend(changes),
                None => {
                    result = Some(ChangeSet {
                        id: out.change_set_id().unwrap_or(change_set).to_string(),
                        name: out.change_set_name().unwrap_or(change_set).to_string(),
                        stack_id: out.stack_id().unwrap_or(stack).to_string(),
                        stack_name: out.stack_name().unwrap_or(stack).to_string(),
                        // DescribeChangeSet does not say; the caller knows and overrides.
                        kind: ChangeSetKind::Update,
                        status: ChangeSetStatus::parse(
                            out.status().map(|s| s.as_str()).unwrap_or_default(),
                        ),
                        status_reason: out.status_reason().map(String::from),
                        execution_status: ExecutionStatus::parse(
                            out.execution_status()
                                .map(|s| s.as_str())
                                .unwrap_or_default(),
                        ),
                        changes: changes.collect(),
                    })
                }
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        result.ok_or_else(|| DeployError::Aws {
            stack: stack.to_string(),
            action: "DescribeChangeSet",
            code: None,
            message: "empty answer".into(),
            hint: None,
            source: None,
        })
    }

    /// Polls a change set until CloudFormation has finished working out its changes.
    pub(crate) async fn wait_change_set(
        &self,
        stack: &str,
        change_set: &str,
        kind: ChangeSetKind,
        poll: Duration,
    ) -> Result<ChangeSet, DeployError> {
        loop {
            let mut cs = self.describe_change_set(stack, change_set).await?;
            cs.kind = kind;
            if !cs.status.is_pending() {
                return Ok(cs);
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Deletes a change set; one that is already gone is fine.
    pub(crate) async fn delete_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> Result<(), DeployError> {
        match self
            .client
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let err = self.fail(stack, "DeleteChangeSet", e);
                match err.code() {
                    Some("ChangeSetNotFound" | "ChangeSetNotFoundException") => Ok(()),
                    Some("ValidationError") if err.to_string().contains("does not exist") => Ok(()),
                    _ => Err(err),
                }
            }
        }
    }

    /// A stack's change sets. Only the stack's own: some emulators answer with every
    /// stack's.
    pub(crate) async fn change_sets(
        &self,
        stack_name: &str,
    ) -> Result<Vec<ChangeSetSummary>, DeployError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_change_sets()
                .stack_name(stack_name)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.fail(stack_name, "ListChangeSets", e))?;
            found.extend(
                out.summaries()
                    .iter()
                    .filter(|s| s.stack_name().is_none_or(|n| n == stack_name))
                    .filter_map(|s| {
                        Some(ChangeSetSummary {
                            name: s.change_set_name()?.to_string(),
                            id: s.change_set_id()?.to_string(),
                            status: ChangeSetStatus::parse(
                                s.status().map(|x| x.as_str()).unwrap_or_default(),
                            ),
                            execution_status: ExecutionStatus::parse(
                                s.execution_status().map(|x| x.as_str()).unwrap_or_default(),
                            ),
                        })
                    }),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(found),
            }
        }
    }

    /// Executes a change set. `token` makes the call idempotent: CloudFormation carries out
    /// a retried request with the same token once, and marks the operation's events with it.
    pub(crate) async fn execute_change_set(
        &self,
        stack: &str,
        change_set: &str,
        token: &str,
    ) -> Result<(), ExecuteFailure> {
        self.client
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .client_request_token(token)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ExecuteFailure {
                answered: e.raw_response().is_some(),
                error: self.fail(stack, "ExecuteChangeSet", e),
            })
    }

    /// The stacks importing an export; `None` when the endpoint does not implement
    /// `ListImports` (some emulators).
    pub(crate) async fn imports(
        &self,
        stack: &str,
        export: &str,
    ) -> Result<Option<Vec<String>>, DeployError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = match self
                .client
                .list_imports()
                .export_name(export)
                .set_next_token(token.take())
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => {
                    let err = self.fail(stack, "ListImports", e);
                    let text = err.to_string();
                    // CloudFormation's answer for an export nobody imports.
                    if err.code() == Some("ValidationError") && text.contains("not imported") {
                        return Ok(Some(found));
                    }
                    if matches!(err.code(), Some("InvalidAction" | "NotImplemented"))
                        || text.contains("not been implemented")
                        || text.contains("not yet implemented")
                    {
                        return Ok(None);
                    }
                    return Err(err);
                }
            };
            found.extend(out.imports().iter().cloned());
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(Some(found)),
            }
        }
    }

    pub(crate) async fn delete_stack(
        &self,
        stack: &str,
        role_arn: Option<&str>,
    ) -> Result<(), DeployError> {
        self.client
            .delete_stack()
            .stack_name(stack)
            .set_role_arn(role_arn.map(String::from))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.fail(stack, "DeleteStack", e))
    }

    pub(crate) async fn set_termination_protection(
        &self,
        stack: &str,
        on: bool,
    ) -> Result<(), DeployError> {
        self.client
            .update_termination_protection()
            .stack_name(stack)
            .enable_termination_protection(on)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| self.fail(stack, "UpdateTerminationProtection", e))
    }

    /// One page of a stack's events, newest first, and the token for the next.
    pub(crate) async fn events_page(
        &self,
        stack: &str,
        token: Option<String>,
    ) -> Result<(Vec<StackEvent>, Option<String>), DeployError> {
        let out = self
            .client
            .describe_stack_events()
            .stack_name(stack)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| self.fail(stack, "DescribeStackEvents", e))?;
        let events = out
            .stack_events()
            .iter()
            .map(|e| {
                let mut ev = StackEvent::new(
                    e.event_id().unwrap_or_default().to_string(),
                    e.stack_id().unwrap_or(stack).to_string(),
                    e.stack_name().unwrap_or_default().to_string(),
                    e.logical_resource_id().unwrap_or_default().to_string(),
                    e.resource_type().unwrap_or_default().to_string(),
                    e.resource_status().map(|s| s.as_str()).unwrap_or_default(),
                );
                ev.physical_id = e
                    .physical_resource_id()
                    .filter(|p| !p.is_empty())
                    .map(String::from);
                ev.timestamp = time(e.timestamp());
                ev.reason = e
                    .resource_status_reason()
                    .filter(|r| !r.is_empty())
                    .map(String::from);
                ev.client_request_token = e
                    .client_request_token()
                    .filter(|t| !t.is_empty())
                    .map(String::from);
                ev
            })
            .collect();
        Ok((
            events,
            out.next_token().filter(|t| !t.is_empty()).map(String::from),
        ))
    }
}

fn resource_change(rc: &cfn_types::ResourceChange) -> ResourceChange {
    ResourceChange {
        action: ChangeAction::parse(rc.action().map(|a| a.as_str()).unwrap_or_default()),
        logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
        physical_id: rc
            .physical_resource_id()
            .filter(|p| !p.is_empty())
            .map(String::from),
        resource_type: rc.resource_type().unwrap_or_default().to_string(),
        replacement: rc
            .replacement()
            .and_then(|r| Replacement::parse(r.as_str())),
        scope: rc.scope().iter().map(|s| s.as_str().to_string()).collect(),
        details: rc
            .details()
            .iter()
            .map(|d| ChangeDetail {
                name: d
                    .target()
                    .and_then(|t| t.name().or_else(|| t.attribute().map(|a| a.as_str())))
                    .map(String::from),
                requires_recreation: d
                    .target()
                    .and_then(|t| t.requires_recreation())
                    .map(|r| r.as_str().to_string()),
                change_source: d.change_source().map(|c| c.as_str().to_string()),
            })
            .collect(),
    }
}
