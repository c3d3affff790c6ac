//! The FlowViz reference architecture, production and staging from one function.
//!
//! `cargo run --example production` synthesizes it into `stackwright.out/`;
//! `cargo run --example production -- list` lists the stacks. The network, data and
//! serving layers are being added construct by construct; today each environment's base
//! stack holds the encryption key and the application log group every later layer uses.

use stackwright::core::Expr;
use stackwright::l1::{kms, logs};
use stackwright::prelude::*;

/// The settings in which production and staging differ; the code is the same.
pub struct Settings {
    /// `Production` or `Staging`: part of every stack name.
    pub name: &'static str,
    /// The `Environment` tag value.
    pub environment: &'static str,
    /// Where it deploys.
    pub env: Env,
    /// What happens to stateful resources when the stack lets go of them.
    pub removal: RemovalPolicy,
    /// Whether the stacks refuse deletion until protection is turned off.
    pub termination_protection: bool,
    /// How long application logs are kept, in days.
    pub log_retention_days: i64,
}

impl Settings {
    /// Production: data is retained and stacks are protected.
    pub fn production() -> Self {
        Settings {
            name: "Production",
            environment: "production",
            env: Env::new("123456789012", "us-east-1"),
            removal: RemovalPolicy::Retain,
            termination_protection: true,
            log_retention_days: 30,
        }
    }

    /// Staging: same shape, cheaper to throw away.
    pub fn staging() -> Self {
        Settings {
            name: "Staging",
            environment: "staging",
            env: Env::new("123456789012", "us-east-1"),
            removal: RemovalPolicy::Delete,
            termination_protection: false,
            log_retention_days: 7,
        }
    }
}

/// Builds one environment of FlowViz.
pub fn flowviz(app: &App, settings: &Settings) -> Result<(), CoreError> {
    let base = Stack::new(
        app,
        &format!("FlowViz-{}-Base", settings.name),
        settings.env.clone(),
    )?;
    base.set_description(&format!(
        "FlowViz {}: persistent resources (keys, logs)",
        settings.environment
    ));
    base.set_termination_protection(settings.termination_protection);
    base.tags()
        .add("Project", "FlowViz")
        .add("Environment", settings.environment)
        .add("Owner", "platform")
        .add("CostCenter", "flowviz");

    let key = Resource::new(
        &base,
        "LogsKey",
        kms::Key {
            description: Some(format!("FlowViz {} log encryption", settings.environment).into()),
            enable_key_rotation: Some(true.into()),
            key_policy: Some(logs_key_policy().into()),
            ..Default::default()
        },
    )?;
    key.apply_removal_policy(settings.removal);
    Resource::new(
        &base,
        "LogsKeyAlias",
        kms::Alias::new(
            format!("alias/flowviz-{}-logs", settings.environment),
            key.ref_(),
        ),
    )?;

    let group = Resource::new(
        &base,
        "AppLogs",
        logs::LogGroup {
            log_group_name: Some(format!("/flowviz/{}/app", settings.environment).into()),
            kms_key_id: Some(key.attr_arn()),
            retention_in_days: Some(settings.log_retention_days.into()),
            ..Default::default()
        },
    )?;
    group.apply_removal_policy(settings.removal);

    Output::new(&base, "AppLogGroupName", group.ref_())?
        .description("Where the application writes its logs");
    Ok(())
}

/// The key policy: the account administers the key, CloudWatch Logs in this region may use
/// it for this account's log groups only.
fn logs_key_policy() -> Expr {
    let account_root = cfn_format!(
        "arn:{}:iam::{}:root",
        Value::<String>::pseudo(Pseudo::Partition),
        Value::<String>::pseudo(Pseudo::AccountId)
    );
    let logs_service = cfn_format!(
        "logs.{}.amazonaws.com",
        Value::<String>::pseudo(Pseudo::Region)
    );
    let log_groups = cfn_format!(
        "arn:{}:logs:{}:{}:log-group:*",
        Value::<String>::pseudo(Pseudo::Partition),
        Value::<String>::pseudo(Pseudo::Region),
        Value::<String>::pseudo(Pseudo::AccountId)
    );
    let actions = |names: &[&str]| Expr::List(names.iter().map(|a| Expr::str(*a)).collect());
    Expr::object([
        ("Version", Expr::str("2012-10-17")),
        (
            "Statement",
            Expr::List(vec![
                Expr::object([
                    ("Sid", Expr::str("AccountAdministers")),
                    ("Effect", Expr::str("Allow")),
                    ("Principal", Expr::object([("AWS", account_root.into())])),
                    ("Action", Expr::str("kms:*")),
                    ("Resource", Expr::str("*")),
                ]),
                Expr::object([
                    ("Sid", Expr::str("CloudWatchLogsUse")),
                    ("Effect", Expr::str("Allow")),
                    (
                        "Principal",
                        Expr::object([("Service", logs_service.into())]),
                    ),
                    (
                        "Action",
                        actions(&[
                            "kms:Encrypt*",
                            "kms:Decrypt*",
                            "kms:ReEncrypt*",
                            "kms:GenerateDataKey*",
                            "kms:Describe*",
                        ]),
                    ),
                    ("Resource", Expr::str("*")),
                    (
                        "Condition",
                        Expr::object([(
                            "ArnLike",
                            Expr::object([(
                                "kms:EncryptionContext:aws:logs:arn",
                                log_groups.into(),
                            )]),
                        )]),
                    ),
                ]),
            ]),
        ),
    ])
}

/// Both environments.
pub fn app(app: &App) -> Result<(), CoreError> {
    flowviz(app, &Settings::production())?;
    flowviz(app, &Settings::staging())
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    stackwright::run(app)
}
