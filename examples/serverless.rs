//! The serverless side of the reference product: background jobs, a nightly schedule and
//! the static assets, beyond what the constructs cover.
//!
//! `cargo run --example serverless` synthesizes it into `stackwright.out/` (with
//! `-- --out DIR synth`, elsewhere). It uses typed L1 from the `sqs`, `lambda`,
//! `dynamodb`, `events` and `cloudfront` features, one untyped resource (the alert topic,
//! written as JSON) and one included YAML template (the team's older job settings, adopted
//! with their logical ids).
//!
//! - `FlowViz-Production-Jobs`: a job queue with a dead-letter queue, a Lambda consumer
//!   with its role and log group, a DynamoDB table of job results, a nightly EventBridge
//!   rule, a CloudFront distribution serving static assets from a private S3 bucket, and
//!   an alarm on the dead-letter queue.

use serde_json::json;
use stackwright::constructs::iam::{
    Grantable, PolicyDocument, PolicyStatement, Principal, Role, RoleProps,
};
use stackwright::constructs::key::{Key, KeyProps};
use stackwright::constructs::opt_out::skip_check;
use stackwright::core::{
    Expr, IncludedTemplate, Json, Parameter, ParameterProps, Pseudo, RawResource, cfn_format,
};
use stackwright::l1::{cloudfront, cloudwatch, dynamodb, events, lambda, logs, s3, sqs, wafv2};
use stackwright::prelude::*;
use stackwright::synth::Pack;

/// Where the static assets are served.
pub const ASSETS_DOMAIN: &str = "assets.flowviz.example.com";

/// The job consumer: takes a batch of job messages, records each result.
const CONSUMER_CODE: &str = r#"import json, os, boto3

table = boto3.resource("dynamodb").Table(os.environ["RESULTS_TABLE"])

def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            job = json.loads(record["body"])
            table.put_item(Item={"pk": job["id"], "status": "done"})
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"#;

/// The team's job settings from before stackwright, adopted as they are deployed.
const LEGACY_SETTINGS: &str = r#"
Parameters:
  JobBatchSize:
    Type: Number
    Default: 10
    MinValue: 1
    MaxValue: 10
Resources:
  JobSettings:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /flowviz/production/jobs/settings
      Type: String
      Value: !Sub '{"batchSize": ${JobBatchSize}, "retries": 5}'
Outputs:
  JobSettingsName:
    Value: !Ref JobSettings
"#;

/// The jobs stack.
pub fn app(app: &App) -> Result<(), ConstructError> {
    // The stack is held to AWS Control Tower's proactive controls; where one is broken on
    // purpose, the resource records why (Metadata.guard) and synth lists it.
    app.with_rule_packs([Pack::ControlTower]);
    let env = Env::new("123456789012", "us-east-1");
    let stack = Stack::new(app, "FlowViz-Production-Jobs", env)?;
    stack.set_description("FlowViz production: background jobs, the nightly run and static assets");
    stack.set_termination_protection(true);
    stack
        .tags()
        .add("Project", "FlowViz")
        .add("Environment", "production")
        .add("Owner", "platform");

    let key = Key::new(
        &stack,
        "JobsKey",
        KeyProps::production().with_description("FlowViz job queues, results and logs"),
    )?;
    key.allow_cloudwatch_logs();
    key.add_to_key_policy(
        PolicyStatement::allow(
            &["kms:Decrypt", "kms:GenerateDataKey"],
            vec![Value::from("*")],
        )
        .with_sid("AllowCloudWatchAlarmsToPublish")
        .with_principal(Principal::service("cloudwatch.amazonaws.com")),
    );

    let (queue, dead_letters) = queues(&stack, &key)?;
    let results = results_table(&stack, &key)?;
    let settings = IncludedTemplate::yaml(&stack, "LegacySettings", LEGACY_SETTINGS)?;
    let consumer = consumer(&stack, &key, &queue, &dead_letters, &results, &settings)?;
    nightly_run(&stack, &consumer)?;
    dead_letter_alarm(&stack, &key, &dead_letters)?;
    assets(&stack)?;
    Ok(())
}

/// The job queue and the queue its failed messages end up in.
fn queues(
    stack: &Stack,
    key: &Key,
) -> Result<(Resource<sqs::Queue>, Resource<sqs::Queue>), ConstructError> {
    let dead_letters = Resource::new(
        stack,
        "DeadLetters",
        sqs::Queue {
            kms_master_key_id: Some(key.arn()),
            message_retention_period: Some(1_209_600.into()),
            ..Default::default()
        },
    )?;
    dead_letters.guard_exception(
        "CT.SQS.PR.1",
        "this is the dead-letter queue: its messages are kept 14 days and alarmed on, and a queue behind it would only move them again",
    )?;
    let queue = Resource::new(
        stack,
        "Jobs",
        sqs::Queue {
            kms_master_key_id: Some(key.arn()),
            // Six times the consumer's timeout, as Lambda's SQS integration asks.
            visibility_timeout: Some(180.into()),
            message_retention_period: Some(345_600.into()),
            redrive_policy: Some(Value::<Json>::from(json!({
                "deadLetterTargetArn": dead_letters.attr_arn().to_json(),
                "maxReceiveCount": 5,
            }))),
            ..Default::default()
        },
    )?;
    // Messages are work not yet done: a replaced queue must not take them with it.
    dead_letters.apply_removal_policy(RemovalPolicy::Retain);
    queue.apply_removal_policy(RemovalPolicy::Retain);
    Ok((queue, dead_letters))
}

/// Job results, kept when the stack lets go of them.
fn results_table(stack: &Stack, key: &Key) -> Result<Resource<dynamodb::Table>, ConstructError> {
    let table = Resource::new(
        stack,
        "Results",
        dynamodb::Table {
            attribute_definitions: Some(vec![dynamodb::table::AttributeDefinition::new(
                "pk",
                dynamodb::table::AttributeType::S,
            )]),
            billing_mode: Some(dynamodb::table::BillingMode::PayPerRequest.into()),
            deletion_protection_enabled: Some(true.into()),
            point_in_time_recovery_specification: Some(
                dynamodb::table::PointInTimeRecoverySpecification {
                    point_in_time_recovery_enabled: Some(true.into()),
                    ..Default::default()
                },
            ),
            sse_specification: Some(dynamodb::table::SseSpecification {
                kms_master_key_id: Some(key.arn()),
                sse_type: Some(dynamodb::table::SseType::Kms.into()),
                ..dynamodb::table::SseSpecification::new(true)
            }),
            ..dynamodb::Table::new(Value::<Json>::from(json!([
                {"AttributeName": "pk", "KeyType": "HASH"}
            ])))
        },
    )?;
    table.apply_removal_policy(RemovalPolicy::Retain);
    Ok(table)
}

/// The Lambda function that works through the queue, with its role and log group.
fn consumer(
    stack: &Stack,
    key: &Key,
    queue: &Resource<sqs::Queue>,
    dead_letters: &Resource<sqs::Queue>,
    results: &Resource<dynamodb::Table>,
    settings: &IncludedTemplate,
) -> Result<Resource<lambda::Function>, ConstructError> {
    let logs = Resource::new(
        stack,
        "ConsumerLogs",
        logs::LogGroup {
            kms_key_id: Some(key.arn()),
            retention_in_days: Some(365.into()),
            ..Default::default()
        },
    )?;
    logs.apply_removal_policy(RemovalPolicy::Retain);
    let role = Role::new(
        stack,
        "ConsumerRole",
        RoleProps::for_service("lambda.amazonaws.com"),
    )?;
    let settings_parameter = settings.resource("JobSettings")?;
    let grants = role
        .grant(PolicyStatement::allow(
            &[
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            ],
            vec![queue.attr_arn()],
        ))?
        .and(role.grant(PolicyStatement::allow(
            &["sqs:SendMessage"],
            vec![dead_letters.attr_arn()],
        ))?)
        .and(role.grant(PolicyStatement::allow(
            &["dynamodb:PutItem", "dynamodb:UpdateItem"],
            vec![results.attr_arn()],
        ))?)
        .and(role.grant(PolicyStatement::allow(
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            vec![logs.attr_arn()],
        ))?)
        .and(role.grant(PolicyStatement::allow(
            &["ssm:GetParameter"],
            vec![cfn_format!(
                "arn:{}:ssm:{}:{}:parameter{}",
                Value::<String>::pseudo(Pseudo::Partition),
                Value::<String>::pseudo(Pseudo::Region),
                Value::<String>::pseudo(Pseudo::AccountId),
                settings_parameter.ref_()
            )],
        ))?)
        .and(key.grant_encrypt_decrypt(&role)?);
    let function = Resource::new(
        stack,
        "Consumer",
        lambda::Function {
            description: Some("Works through the FlowViz job queue".into()),
            handler: Some("index.handler".into()),
            runtime: Some(lambda::function::Runtime::Python312.into()),
            memory_size: Some(256.into()),
            timeout: Some(30.into()),
            reserved_concurrent_executions: Some(10.into()),
            kms_key_arn: Some(key.arn()),
            dead_letter_config: Some(lambda::function::DeadLetterConfig {
                target_arn: Some(dead_letters.attr_arn()),
            }),
            environment: Some(lambda::function::Environment {
                variables: Some(Value::from_expr(Expr::from_json(json!({
                    "RESULTS_TABLE": results.ref_().to_json(),
                    "SETTINGS_PARAMETER": settings_parameter.ref_().to_json(),
                })))),
            }),
            logging_config: Some(lambda::function::LoggingConfig {
                log_group: Some(logs.ref_()),
                ..Default::default()
            }),
            ..lambda::Function::new(
                lambda::function::Code {
                    zip_file: Some(CONSUMER_CODE.into()),
                    ..Default::default()
                },
                role.arn(),
            )
        },
    )?;
    grants.apply_before(&function);
    let outside_vpc = "the consumer reaches only SQS, DynamoDB, SSM and KMS through their public endpoints; it has nothing in a VPC to talk to";
    skip_check(&function, "CKV_AWS_117", outside_vpc)?;
    function.guard_exception("CT.LAMBDA.PR.3", outside_vpc)?;
    let mapping = Resource::new(
        stack,
        "ConsumerSource",
        lambda::EventSourceMapping {
            event_source_arn: Some(queue.attr_arn()),
            batch_size: Some(10.into()),
            function_response_types: Some(
                vec![lambda::event_source_mapping::FunctionResponseType::ReportBatchItemFailures]
                    .into(),
            ),
            ..lambda::EventSourceMapping::new(function.ref_())
        },
    )?;
    grants.apply_before(&mapping);
    Ok(function)
}

/// Every night at 03:00 UTC the consumer also sweeps what is left.
fn nightly_run(stack: &Stack, consumer: &Resource<lambda::Function>) -> Result<(), ConstructError> {
    let rule = Resource::new(
        stack,
        "Nightly",
        events::Rule {
            description: Some("Runs the job consumer every night".into()),
            schedule_expression: Some("cron(0 3 * * ? *)".into()),
            state: Some(events::rule::State::Enabled.into()),
            targets: Some(vec![events::rule::Target::new(
                consumer.attr_arn(),
                "JobConsumer",
            )]),
            ..Default::default()
        },
    )?;
    Resource::new(
        stack,
        "NightlyInvoke",
        lambda::Permission {
            source_arn: Some(rule.attr_arn()),
            source_account: Some(Value::pseudo(Pseudo::AccountId)),
            ..lambda::Permission::new(
                "lambda:InvokeFunction",
                consumer.ref_(),
                "events.amazonaws.com",
            )
        },
    )?;
    Ok(())
}

/// An alarm when messages land in the dead-letter queue, sent to an encrypted topic. The
/// topic is written as untyped JSON, the way a team adds a type before reaching for its
/// typed module.
fn dead_letter_alarm(
    stack: &Stack,
    key: &Key,
    dead_letters: &Resource<sqs::Queue>,
) -> Result<(), ConstructError> {
    let topic = RawResource::new(
        stack,
        "JobAlerts",
        "AWS::SNS::Topic",
        json!({
            "DisplayName": "FlowViz job alerts",
            "KmsMasterKeyId": key.arn().to_json(),
        }),
    )?;
    Resource::new(
        stack,
        "DeadLettersAlarm",
        cloudwatch::Alarm {
            alarm_description: Some(
                "Job messages failed five times and wait in the dead-letter queue".into(),
            ),
            namespace: Some("AWS/SQS".into()),
            metric_name: Some("ApproximateNumberOfMessagesVisible".into()),
            dimensions: Some(vec![cloudwatch::alarm::Dimension::new(
                "QueueName",
                dead_letters.attr_queue_name(),
            )]),
            statistic: Some(cloudwatch::alarm::Statistic::Maximum.into()),
            period: Some(300.into()),
            evaluation_periods: Some(1.into()),
            threshold: Some(0.0.into()),
            treat_missing_data: Some(cloudwatch::alarm::TreatMissingData::NotBreaching.into()),
            alarm_actions: Some(vec![topic.ref_()].into()),
            comparison_operator: Some(
                cloudwatch::alarm::ComparisonOperator::GreaterThanThreshold.into(),
            ),
            ..Default::default()
        },
    )?;
    Ok(())
}

/// A private bucket: encrypted, versioned, never public, kept when the stack lets go;
/// replaced versions are deleted after 30 days, and current objects after `expire_days`.
fn private_bucket(
    stack: &Stack,
    id: &str,
    ownership: s3::bucket::ObjectOwnership,
    logging: Option<s3::bucket::LoggingConfiguration>,
    expire_days: Option<i64>,
) -> Result<Resource<s3::Bucket>, ConstructError> {
    let lifecycle = s3::bucket::Rule {
        id: Some("ExpireOldVersions".into()),
        noncurrent_version_expiration: Some(s3::bucket::NoncurrentVersionExpiration::new(30)),
        expiration_in_days: expire_days.map(Into::into),
        abort_incomplete_multipart_upload: Some(s3::bucket::AbortIncompleteMultipartUpload::new(7)),
        ..s3::bucket::Rule::new(s3::bucket::RuleStatus::Enabled)
    };
    let bucket = Resource::new(
        stack,
        id,
        s3::Bucket {
            bucket_encryption: Some(s3::bucket::BucketEncryption::new(vec![
                s3::bucket::ServerSideEncryptionRule {
                    server_side_encryption_by_default: Some(
                        s3::bucket::ServerSideEncryptionByDefault::new(
                            s3::bucket::SseAlgorithm::Aes256,
                        ),
                    ),
                    ..Default::default()
                },
            ])),
            versioning_configuration: Some(s3::bucket::VersioningConfiguration::new(
                s3::bucket::VersioningConfigurationStatus::Enabled,
            )),
            public_access_block_configuration: Some(s3::bucket::PublicAccessBlockConfiguration {
                block_public_acls: Some(true.into()),
                block_public_policy: Some(true.into()),
                ignore_public_acls: Some(true.into()),
                restrict_public_buckets: Some(true.into()),
            }),
            ownership_controls: Some(s3::bucket::OwnershipControls::new(vec![
                s3::bucket::OwnershipControlsRule {
                    object_ownership: Some(ownership.into()),
                },
            ])),
            logging_configuration: logging,
            lifecycle_configuration: Some(s3::bucket::LifecycleConfiguration::new(vec![lifecycle])),
            ..Default::default()
        },
    )?;
    bucket.apply_removal_policy(RemovalPolicy::Retain);
    Ok(bucket)
}

/// A bucket policy that lets `allow` through and refuses every request without TLS.
fn tls_only_policy(
    stack: &Stack,
    id: &str,
    bucket: &Resource<s3::Bucket>,
    allow: PolicyStatement,
) -> Result<(), ConstructError> {
    let document = PolicyDocument::new(vec![
        allow,
        PolicyStatement::deny(
            &["s3:*"],
            vec![bucket.attr_arn(), cfn_format!("{}/*", bucket.attr_arn())],
        )
        .with_sid("DenyPlainHttp")
        .with_principal(Principal(Expr::str("*")))
        .with_condition(Expr::object([(
            "Bool",
            Expr::object([("aws:SecureTransport", Expr::Bool(false))]),
        )])),
    ]);
    let policy = Resource::new(
        stack,
        id,
        s3::BucketPolicy::new(bucket.ref_(), Value::<Json>::from_expr(document.to_expr())),
    )?;
    policy.guard_exception(
        "CT.S3.PR.8",
        "the DenyPlainHttp statement denies every request without TLS to the bucket and its objects; the control does not read the objects' ARN written as Fn::Sub",
    )?;
    Ok(())
}

/// A rule that applies one of AWS's managed rule groups as it comes.
fn managed_rules(group: &str, priority: i64) -> wafv2::web_acl::Rule {
    wafv2::web_acl::Rule {
        override_action: Some(wafv2::web_acl::OverrideAction {
            none: Some(Value::from_expr(Expr::object::<&str>([]))),
            ..Default::default()
        }),
        ..wafv2::web_acl::Rule::new(
            group,
            priority,
            wafv2::web_acl::Statement {
                managed_rule_group_statement: Some(wafv2::web_acl::ManagedRuleGroupStatement::new(
                    group, "AWS",
                )),
                ..Default::default()
            },
            wafv2::web_acl::VisibilityConfig::new(true, group, true),
        )
    }
}

/// Static assets from a private bucket through CloudFront, behind a web ACL.
fn assets(stack: &Stack) -> Result<(), ConstructError> {
    let certificate = Parameter::new(
        stack,
        "AssetsCertificateArn",
        ParameterProps {
            description: Some(format!(
                "The ACM certificate (in us-east-1) for {ASSETS_DOMAIN}"
            )),
            allowed_pattern: Some(r"^arn:aws:acm:us-east-1:\d{12}:certificate/[0-9a-f-]+$".into()),
            constraint_description: Some("an ACM certificate ARN in us-east-1".into()),
            ..ParameterProps::default()
        },
    )?;
    // CloudFront writes its standard logs with object ACLs, so this bucket keeps them on.
    let logs = private_bucket(
        stack,
        "AssetLogs",
        s3::bucket::ObjectOwnership::BucketOwnerPreferred,
        None,
        Some(365),
    )?;
    let log_bucket = "this bucket holds the access logs of the asset bucket and the distribution; logging access to it would need another log bucket";
    skip_check(&logs, "CKV_AWS_18", log_bucket)?;
    logs.guard_exception("CT.S3.PR.2", log_bucket)?;
    logs.guard_exception(
        "CT.S3.PR.10",
        "S3 server access logs are delivered only to buckets encrypted with SSE-S3; a KMS key is not supported",
    )?;
    logs.guard_exception(
        "CT.S3.PR.9",
        "logs expire after 365 days by lifecycle and are never rewritten; Object Lock would keep them past that",
    )?;
    tls_only_policy(
        stack,
        "AssetLogsPolicy",
        &logs,
        PolicyStatement::allow(
            &["s3:PutObject"],
            vec![cfn_format!("{}/s3/*", logs.attr_arn())],
        )
        .with_sid("S3DeliversAccessLogs")
        .with_principal(Principal::service("logging.s3.amazonaws.com")),
    )?;
    let bucket = private_bucket(
        stack,
        "Assets",
        s3::bucket::ObjectOwnership::BucketOwnerEnforced,
        Some(s3::bucket::LoggingConfiguration {
            destination_bucket_name: Some(logs.ref_()),
            log_file_prefix: Some("s3/".into()),
            ..Default::default()
        }),
        None,
    )?;
    let oac = Resource::new(
        stack,
        "AssetsAccess",
        cloudfront::OriginAccessControl::new(
            cloudfront::origin_access_control::OriginAccessControlConfig {
                description: Some(
                    "CloudFront reads the asset bucket, signing every request".into(),
                ),
                ..cloudfront::origin_access_control::OriginAccessControlConfig::new(
                    "flowviz-production-assets",
                    "s3",
                    "always",
                    "sigv4",
                )
            },
        ),
    )?;
    let acl = Resource::new(
        stack,
        "AssetsFirewall",
        wafv2::WebAcl {
            // The common rules, and the known bad inputs (Log4j lookups among them).
            rules: Some(
                [
                    "AWSManagedRulesCommonRuleSet",
                    "AWSManagedRulesKnownBadInputsRuleSet",
                ]
                .iter()
                .enumerate()
                .map(|(priority, group)| managed_rules(group, priority as i64))
                .collect(),
            ),
            ..wafv2::WebAcl::new(
                wafv2::web_acl::DefaultAction {
                    allow: Some(Default::default()),
                    ..Default::default()
                },
                wafv2::web_acl::Scope::Cloudfront,
                wafv2::web_acl::VisibilityConfig::new(true, "AssetsFirewall", true),
            )
        },
    )?;
    let distribution = Resource::new(
        stack,
        "AssetsCdn",
        cloudfront::Distribution::new(cloudfront::distribution::DistributionConfig {
            comment: Some("FlowViz static assets".into()),
            aliases: Some(vec![ASSETS_DOMAIN.to_string()].into()),
            default_root_object: Some("index.html".into()),
            http_version: Some(cloudfront::distribution::HttpVersion::Http2and3.into()),
            price_class: Some(cloudfront::distribution::PriceClass::PriceClass100.into()),
            origins: Some(vec![cloudfront::distribution::Origin {
                origin_access_control_id: Some(oac.attr_id()),
                s3_origin_config: Some(cloudfront::distribution::S3OriginConfig {
                    origin_access_identity: Some("".into()),
                    ..Default::default()
                }),
                ..cloudfront::distribution::Origin::new(
                    bucket.attr_regional_domain_name(),
                    "Assets",
                )
            }]),
            logging: Some(cloudfront::distribution::Logging {
                bucket: Some(logs.attr_regional_domain_name()),
                prefix: Some("cdn/".into()),
                ..Default::default()
            }),
            viewer_certificate: Some(cloudfront::distribution::ViewerCertificate {
                acm_certificate_arn: Some(certificate.value()),
                minimum_protocol_version: Some(
                    cloudfront::distribution::MinimumProtocolVersion::Tlsv122021.into(),
                ),
                ssl_support_method: Some(
                    cloudfront::distribution::SslSupportMethod::SniOnly.into(),
                ),
                ..Default::default()
            }),
            web_acl_id: Some(acl.attr_arn()),
            ..cloudfront::distribution::DistributionConfig::new(
                cloudfront::distribution::DefaultCacheBehavior {
                    // AWS's managed CachingOptimized policy.
                    cache_policy_id: Some("658327ea-f89d-4fab-a63d-7e88639e58f6".into()),
                    compress: Some(true.into()),
                    ..cloudfront::distribution::DefaultCacheBehavior::new(
                        "Assets",
                        cloudfront::distribution::ViewerProtocolPolicy::RedirectToHttps,
                    )
                },
                true,
            )
        }),
    )?;
    tls_only_policy(
        stack,
        "AssetsPolicy",
        &bucket,
        PolicyStatement::allow(
            &["s3:GetObject"],
            vec![cfn_format!("{}/*", bucket.attr_arn())],
        )
        .with_sid("CloudFrontReadsAssets")
        .with_principal(Principal::service("cloudfront.amazonaws.com"))
        .with_condition(Expr::object([(
            "StringEquals",
            Expr::object([(
                "AWS:SourceArn",
                cfn_format!(
                    "arn:{}:cloudfront::{}:distribution/{}",
                    Value::<String>::pseudo(Pseudo::Partition),
                    Value::<String>::pseudo(Pseudo::AccountId),
                    distribution.ref_()
                )
                .into_expr(),
            )]),
        )])),
    )?;
    for bucket in [&logs, &bucket] {
        bucket.guard_exception(
            "CT.S3.PR.4",
            "nothing acts on a new object: assets change only when a release publishes them, and logs are read when investigating",
        )?;
    }
    bucket.guard_exception(
        "CT.S3.PR.9",
        "the assets are a release's build output, replaced by the next release and kept as versions for 30 days; Object Lock would keep every replaced file",
    )?;
    bucket.guard_exception(
        "CT.S3.PR.10",
        "the assets are public through the distribution; a KMS key would guard nothing CloudFront does not serve to everyone",
    )?;
    distribution.guard_exception(
        "CT.CLOUDFRONT.PR.4",
        "the one origin holds a release's build output, which CI publishes again in minutes; a failover origin would be a replica kept for that",
    )?;
    for control in ["CT.CLOUDFRONT.PR.6", "CT.CLOUDFRONT.PR.7"] {
        distribution.guard_exception(
            control,
            "the distribution serves its own name over SNI with the ACM certificate passed as AssetsCertificateArn; the control accepts only a certificate of the same template or an ARN written out as text",
        )?;
    }
    Output::new(stack, "AssetsDomain", distribution.attr_domain_name())?
        .description("Where CloudFront serves the assets; point the DNS name at it");
    Ok(())
}

#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    stackwright::run(app)
}
