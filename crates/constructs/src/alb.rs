//! An internet-facing HTTPS load balancer that does blue/green releases.
//!
//! Two target groups, blue and green, sit behind one HTTPS listener that forwards by
//! weights. Which colour is live, and how much traffic the idle colour gets during a
//! gradual shift, are either fixed props or, with a [`Release`], template parameters the
//! listener reads: then a switch or a shift is a change set that changes parameter values
//! and modifies the listener only, and `deploy` keeps the deployed values.

use std::cell::RefCell;
use std::rc::Rc;

use stackwright_core::{
    Construct, Expr, Pseudo, RemovalPolicy, Resource, Scope, Value, cfn_format,
};
use stackwright_l1::elasticloadbalancingv2 as elbv2;
use stackwright_l1::{certificatemanager, route53, s3, wafv2};

use crate::alarms::{
    AlarmMetric, AlarmSpec, Graph, MissingData, Thresholds, Watchable, last_segment,
};
use crate::error::{ConstructError, Problems, quote};
use crate::iam::{PolicyDocument, PolicyStatement, Principal};
use crate::metric::{Metric, Statistic};
use crate::opt_out::{self, OptOut};
use crate::release::{Release, Traffic};
use crate::security_group::{
    Connectable, Connections, Peer, Port, SecurityGroup, SecurityGroupProps,
};
use crate::vpc::{SubnetKind, Vpc};

/// One of the two fleets behind the load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    /// Blue.
    Blue,
    /// Green.
    Green,
}

impl Colour {
    /// The other colour.
    pub fn other(self) -> Colour {
        match self {
            Colour::Blue => Colour::Green,
            Colour::Green => Colour::Blue,
        }
    }

    /// `Blue` or `Green`.
    pub fn name(self) -> &'static str {
        match self {
            Colour::Blue => "Blue",
            Colour::Green => "Green",
        }
    }
}

/// What the target groups route to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetType {
    /// EC2 instances (Auto Scaling groups register them).
    Instance,
    /// IP addresses (Fargate tasks in awsvpc mode).
    Ip,
}

/// An existing Route53 hosted zone.
#[derive(Debug, Clone, PartialEq)]
pub struct HostedZone {
    /// The zone id.
    pub id: Value<String>,
    /// The zone's domain, such as `example.com`.
    pub name: String,
}

/// Where the HTTPS certificate comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum CertificateSource {
    /// A new ACM certificate validated by DNS: through `hosted_zone` when given (CloudFormation
    /// creates the validation records and waits), otherwise by records you create.
    Dns {
        /// The zone to validate in. Default: none.
        hosted_zone: Option<HostedZone>,
        /// `*.<parent domain>` as a subject alternative name, so one certificate serves
        /// the parent's other hosts: `Some(reason)`, because a wildcard is an exception to
        /// scanners' rules (checkov's CKV2_AWS_71), recorded with your reason. Default:
        /// none, only the exact name.
        wildcard_san: Option<String>,
    },
    /// An existing certificate, by ARN.
    Imported(Value<String>),
}

/// The target groups' health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// The path the load balancer requests, starting with `/`. Default: none; required,
    /// because only the application knows which path says it is healthy.
    pub path: Option<String>,
    /// Successes before a target is healthy. Default: 2.
    pub healthy_threshold: u32,
    /// Failures before a target is unhealthy. Default: 3.
    pub unhealthy_threshold: u32,
    /// Seconds between checks. Default: 30.
    pub interval_seconds: u32,
    /// Seconds before a check times out. Default: 5.
    pub timeout_seconds: u32,
    /// HTTP codes that mean healthy. Default: `200`.
    pub matcher: String,
}

impl HealthCheck {
    /// The default check of `path`.
    pub fn path(path: &str) -> Self {
        HealthCheck {
            path: Some(path.to_string()),
            ..HealthCheck::default()
        }
    }
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            path: None,
            healthy_threshold: 2,
            unhealthy_threshold: 3,
            interval_seconds: 30,
            timeout_seconds: 5,
            matcher: "200".into(),
        }
    }
}

/// A listener for testing the idle colour before it takes traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct TestListener {
    /// Its port: not 80 or 443. Default: none; required.
    pub port: u16,
    /// Who may reach it. Default: the VPC's own block.
    pub allowed_from: Option<Peer>,
}

/// A default that can be switched off only with a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protection {
    /// On.
    On,
    /// Off, for this recorded reason.
    Off {
        /// Why.
        reason: String,
    },
}

/// Settings of a [`BlueGreenAlb`]. Start from [`BlueGreenAlbProps::production`] or
/// [`BlueGreenAlbProps::staging`] with the domain, and set the application's own
/// `target_port` and `health_check` path: there is no neutral value for either, so the
/// construct reports them missing.
#[derive(Debug, Clone, PartialEq)]
pub struct BlueGreenAlbProps {
    /// The name clients use, such as `app.example.com`. Default: none; required.
    pub domain_name: String,
    /// The certificate. Default: a DNS-validated ACM certificate for `domain_name` alone.
    pub certificate: CertificateSource,
    /// The TLS policy. Default: `ELBSecurityPolicy-TLS13-1-2-2021-06` (TLS 1.3 and 1.2).
    pub ssl_policy: String,
    /// The port targets listen on. Default: none; required.
    pub target_port: Option<u16>,
    /// What targets are. Default: instances.
    pub target_type: TargetType,
    /// The health check. Default: no path (required), thresholds 2/3, every 30 s, 5 s
    /// timeout, `200`.
    pub health_check: HealthCheck,
    /// Seconds a deregistering target keeps its connections. Default: 30.
    pub deregistration_delay_seconds: u32,
    /// The colour taking production traffic, fixed in the template. Default: blue. With a
    /// `release`, leave it: the release's `Live` parameter decides.
    pub live: Colour,
    /// Percent of traffic sent to the idle colour, for gradual shifts (5, 25, 50, 75...),
    /// fixed in the template. Default: 0. With a `release`, leave it: the release's
    /// `BlueWeight` and `GreenWeight` parameters decide.
    pub idle_traffic_percent: u8,
    /// The release whose parameters hold the live colour and the colours' weights
    /// ([`Traffic::Listener`]; a Fargate fleet's ECS release goes to the fleet alone).
    /// Default: none, the state is `live` and `idle_traffic_percent`.
    pub release: Option<Release>,
    /// A listener reaching the idle colour before it takes traffic. Default: none.
    pub test_listener: Option<TestListener>,
    /// Port 80 open to the internet, answering 301 redirects to HTTPS: `Some(reason)`,
    /// because an open port 80 is an exception to scanners' rules (checkov's
    /// CKV_AWS_260), recorded with your reason. Default: none, HTTPS only.
    pub http_redirect: Option<String>,
    /// Deletion protection. Default: on.
    pub deletion_protection: Protection,
    /// Days access logs are kept in their bucket (SSE-S3, versioned, not public).
    /// Default: 365.
    pub access_log_retention_days: u32,
    /// Seconds an idle connection stays open. Default: 60.
    pub idle_timeout_seconds: u32,
    /// A Route53 alias record for `domain_name` in the certificate's hosted zone, when
    /// there is one. Default: on.
    pub alias_record: bool,
    /// A WAF web ACL to associate, by ARN. Default: none.
    pub web_acl_arn: Option<Value<String>>,
}

impl Default for BlueGreenAlbProps {
    fn default() -> Self {
        BlueGreenAlbProps {
            domain_name: String::new(),
            certificate: CertificateSource::Dns {
                hosted_zone: None,
                wildcard_san: None,
            },
            ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06".into(),
            target_port: None,
            target_type: TargetType::Instance,
            health_check: HealthCheck::default(),
            deregistration_delay_seconds: 30,
            live: Colour::Blue,
            idle_traffic_percent: 0,
            release: None,
            test_listener: None,
            http_redirect: None,
            deletion_protection: Protection::On,
            access_log_retention_days: 365,
            idle_timeout_seconds: 60,
            alias_record: true,
            web_acl_arn: None,
        }
    }
}

impl BlueGreenAlbProps {
    /// Production-grade for `domain_name`: TLS 1.3 policy, deletion protection, access
    /// logs kept a year, invalid headers dropped.
    pub fn production(domain_name: &str) -> Self {
        BlueGreenAlbProps {
            domain_name: domain_name.to_string(),
            ..BlueGreenAlbProps::default()
        }
    }

    /// Cheap non-production for `domain_name`: access logs kept 90 days. Deletion
    /// protection stays on; turning it off is an exception that takes your reason
    /// ([`Protection::Off`]).
    pub fn staging(domain_name: &str) -> Self {
        BlueGreenAlbProps {
            access_log_retention_days: 90,
            ..BlueGreenAlbProps::production(domain_name)
        }
    }
}

/// A target group of one colour.
#[derive(Debug, Clone)]
pub struct TargetGroupRef {
    /// Its ARN.
    pub arn: Value<String>,
    /// Its full name, as CloudWatch dimensions take it.
    pub full_name: Value<String>,
    /// The L1 target group.
    pub resource: Resource<elbv2::TargetGroup>,
}

/// The account ELB delivers access logs from, in regions that predate service principals.
fn elb_log_account(region: &str) -> Option<&'static str> {
    Some(match region {
        "us-east-1" => "127311923021",
        "us-east-2" => "033677994240",
        "us-west-1" => "027434742980",
        "us-west-2" => "797873946194",
        "af-south-1" => "098369216593",
        "ap-east-1" => "754344448648",
        "ap-south-1" => "718504428378",
        "ap-northeast-1" => "582318560864",
        "ap-northeast-2" => "600734575887",
        "ap-northeast-3" => "383597477331",
        "ap-southeast-1" => "114774131450",
        "ap-southeast-2" => "783225319266",
        "ap-southeast-3" => "589379963580",
        "ca-central-1" => "985666609251",
        "eu-central-1" => "054676820928",
        "eu-west-1" => "156460612806",
        "eu-west-2" => "652711504416",
        "eu-west-3" => "009996457667",
        "eu-south-1" => "635631232127",
        "eu-north-1" => "897822967062",
        "me-south-1" => "076674570225",
        "sa-east-1" => "507241528517",
        _ => return None,
    })
}

struct Rules {
    production: Option<Resource<elbv2::ListenerRule>>,
    test: Option<Resource<elbv2::ListenerRule>>,
}

/// An internet-facing Application Load Balancer with blue and green target groups.
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::alb::{BlueGreenAlb, BlueGreenAlbProps, Colour, HealthCheck};
/// use stackwright_constructs::vpc::{Vpc, VpcProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let vpc = Vpc::new(&stack, "Network", VpcProps::production()).unwrap();
/// let edge = BlueGreenAlb::new(&stack, "Edge", &vpc, BlueGreenAlbProps {
///     target_port: Some(8080),
///     health_check: HealthCheck::path("/health"),
///     ..BlueGreenAlbProps::production("app.example.com")
/// }).unwrap();
/// assert_eq!(edge.live_colour(), Colour::Blue);
///
/// // The application's port and health path have no neutral default: leaving them out is
/// // an error that names both.
/// let err = BlueGreenAlb::new(&stack, "Bare", &vpc, BlueGreenAlbProps::production("app.example.com"));
/// assert!(err.is_err());
/// ```
#[derive(Clone)]
pub struct BlueGreenAlb {
    node: Construct,
    security_group: SecurityGroup,
    load_balancer: Resource<elbv2::LoadBalancer>,
    listener: Resource<elbv2::Listener>,
    test_listener: Option<Resource<elbv2::Listener>>,
    blue: TargetGroupRef,
    green: TargetGroupRef,
    live: Colour,
    idle_percent: u8,
    release: Option<Release>,
    target_port: u16,
    health_check_path: String,
    target_type: TargetType,
    access_log_bucket: Resource<s3::Bucket>,
    access_log_policy: Resource<s3::BucketPolicy>,
    rules: Rc<RefCell<Rules>>,
}

/// What the props must name, once they are known to.
struct Required {
    target_port: u16,
    health_check_path: String,
}

fn validate(path: &str, props: &BlueGreenAlbProps, vpc: &Vpc) -> Result<Required, ConstructError> {
    let mut p = Problems::new(path);
    let d = &props.domain_name;
    p.check(
        !d.is_empty()
            && d.contains('.')
            && d.len() <= 253
            && d.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
        "domain_name",
        || quote(d),
        "not a domain name",
        "set the name clients use, like app.example.com",
    );
    if let CertificateSource::Dns {
        hosted_zone: Some(z),
        ..
    } = &props.certificate
    {
        p.check(
            d == &z.name || d.ends_with(&format!(".{}", z.name)),
            "domain_name",
            || quote(d),
            format!("not in the certificate's hosted zone '{}'", z.name),
            "use the zone that holds the domain",
        );
    }
    p.check(
        props.ssl_policy.starts_with("ELBSecurityPolicy-TLS13"),
        "ssl_policy",
        || quote(&props.ssl_policy),
        "the policy allows TLS older than 1.2 or lacks TLS 1.3",
        "use ELBSecurityPolicy-TLS13-1-2-2021-06 (or another TLS13 policy)",
    );
    let hc = &props.health_check;
    match &hc.path {
        Some(path) => p.check(
            path.starts_with('/'),
            "health_check.path",
            || quote(path),
            "a health check path starts with /",
            "start the path with /",
        ),
        None => p.add(
            "health_check.path",
            "None",
            "is required: only the application knows which path says it is healthy",
            "set the path your application answers 200 on when healthy, like HealthCheck::path(\"/health\")",
        ),
    }
    if props.target_port.is_none() {
        p.add(
            "target_port",
            "None",
            "is required: only the application knows the port it listens on",
            "set the port your application listens on, like Some(8080)",
        );
    }
    for (prop, reason) in [
        ("http_redirect", props.http_redirect.as_ref()),
        (
            "certificate.wildcard_san",
            match &props.certificate {
                CertificateSource::Dns { wildcard_san, .. } => wildcard_san.as_ref(),
                CertificateSource::Imported(_) => None,
            },
        ),
        (
            "deletion_protection",
            match &props.deletion_protection {
                Protection::Off { reason } => Some(reason),
                Protection::On => None,
            },
        ),
    ] {
        p.check(
            reason.is_none_or(|r| !r.trim().is_empty()),
            prop,
            || "an empty reason".to_string(),
            "asks for an exception without saying why",
            "say why the exception is acceptable here; the reason is recorded in the template",
        );
    }
    p.check(
        (2..=10).contains(&hc.healthy_threshold),
        "health_check.healthy_threshold",
        || hc.healthy_threshold.to_string(),
        "health check thresholds are 2 to 10",
        "use 2 to 10 successes",
    );
    p.check(
        (2..=10).contains(&hc.unhealthy_threshold),
        "health_check.unhealthy_threshold",
        || hc.unhealthy_threshold.to_string(),
        "health check thresholds are 2 to 10",
        "use 2 to 10 failures",
    );
    p.check(
        (5..=300).contains(&hc.interval_seconds),
        "health_check.interval_seconds",
        || hc.interval_seconds.to_string(),
        "health checks run every 5 to 300 seconds",
        "use an interval of 5 to 300 seconds",
    );
    p.check(
        hc.timeout_seconds >= 2,
        "health_check.timeout_seconds",
        || hc.timeout_seconds.to_string(),
        "a health check waits at least 2 seconds",
        "use a timeout of 2 seconds or more, shorter than the interval",
    );
    p.check(
        hc.timeout_seconds < hc.interval_seconds,
        "health_check.timeout_seconds",
        || hc.timeout_seconds.to_string(),
        format!(
            "not shorter than the interval, {} seconds",
            hc.interval_seconds
        ),
        "make the timeout shorter than the interval",
    );
    p.check(
        props.deregistration_delay_seconds <= 3600,
        "deregistration_delay_seconds",
        || props.deregistration_delay_seconds.to_string(),
        "a deregistering target keeps its connections at most an hour",
        "use 0 to 3600 seconds",
    );
    p.check(
        props.idle_traffic_percent <= 100,
        "idle_traffic_percent",
        || props.idle_traffic_percent.to_string(),
        "more than all of the traffic",
        "send 0 to 100 percent to the idle colour",
    );
    if let Some(release) = &props.release {
        p.check(
            release.traffic() == Traffic::Listener,
            "release",
            || format!("{release:?}"),
            "an ECS release: ECS shifts the listener rule itself, the load balancer holds no state of it",
            "give the release to the fleet alone, or make it ReleaseProps::listener for an EC2 fleet",
        );
        p.check(
            props.live == Colour::Blue,
            "live",
            || format!("Colour::{:?}", props.live),
            "the release's Live parameter decides the live colour",
            "leave live at its default and set the new stack's colour in ReleaseProps::live",
        );
        p.check(
            props.idle_traffic_percent == 0,
            "idle_traffic_percent",
            || props.idle_traffic_percent.to_string(),
            "the release's BlueWeight and GreenWeight parameters decide the colours' shares",
            "leave idle_traffic_percent at 0 and set the new stack's share in ReleaseProps::idle_weight_percent",
        );
    }
    if let Some(t) = &props.test_listener {
        p.check(
            t.port != 443 && t.port != 80,
            "test_listener.port",
            || t.port.to_string(),
            "the production listeners use ports 443 and 80",
            "use a port other than 80 and 443, such as 8443",
        );
    }
    p.check(
        vpc.subnets(SubnetKind::Public).len() >= 2,
        "vpc",
        || vpc.as_written(),
        format!(
            "the VPC has {} public subnet(s)",
            vpc.subnets(SubnetKind::Public).len()
        ),
        "an Application Load Balancer needs public subnets in two zones",
    );
    p.check(
        (1..=4000).contains(&props.idle_timeout_seconds),
        "idle_timeout_seconds",
        || props.idle_timeout_seconds.to_string(),
        "the load balancer keeps idle connections 1 to 4000 seconds",
        "use 1 to 4000 seconds",
    );
    p.finish()?;
    // Both are set: a missing one was reported above and `finish` returned it.
    Ok(Required {
        target_port: props.target_port.unwrap_or_default(),
        health_check_path: hc.path.clone().unwrap_or_default(),
    })
}

fn forward(groups: &[(Value<String>, Value<i64>)]) -> elbv2::listener::Action {
    elbv2::listener::Action {
        forward_config: Some(elbv2::listener::ForwardConfig {
            target_groups: Some(
                groups
                    .iter()
                    .map(|(arn, w)| elbv2::listener::TargetGroupTuple {
                        target_group_arn: Some(arn.clone()),
                        weight: Some(w.clone()),
                    })
                    .collect(),
            ),
            target_group_stickiness_config: Some(elbv2::listener::TargetGroupStickinessConfig {
                enabled: Some(false.into()),
                ..Default::default()
            }),
        }),
        ..elbv2::listener::Action::new(elbv2::listener::ActionType::Forward)
    }
}

/// The load balancer's group: HTTPS from anywhere, HTTP for the redirect when asked for
/// (with the caller's reason), the test listener's port from inside the VPC.
fn security_group(
    node: &Construct,
    vpc: &Vpc,
    props: &BlueGreenAlbProps,
) -> Result<SecurityGroup, ConstructError> {
    let security_group = SecurityGroup::new(
        node,
        "SecurityGroup",
        SecurityGroupProps {
            vpc_id: vpc.vpc_id(),
            description: format!("Load balancer {}: HTTPS from the internet", node.path()),
        },
    )?;
    security_group.add_ingress(Peer::AnyIpv4, Port::tcp(443), "HTTPS from the internet")?;
    let mut sg_opt_outs = Vec::new();
    if let Some(reason) = &props.http_redirect {
        security_group.add_ingress(
            Peer::AnyIpv4,
            Port::tcp(80),
            "HTTP from the internet, answered with a redirect to HTTPS",
        )?;
        sg_opt_outs.push(OptOut {
            check: "CKV_AWS_260",
            reason: reason.clone(),
        });
    }
    if let Some(t) = &props.test_listener {
        let peer = t
            .allowed_from
            .clone()
            .unwrap_or_else(|| Peer::Ipv4(vpc.cidr_block()));
        security_group.add_ingress(
            peer,
            Port::tcp(t.port),
            "Test listener: reaches the idle colour before it takes traffic",
        )?;
    }
    opt_out::record(security_group.resource(), &sg_opt_outs);

    Ok(security_group)
}

/// The load balancer itself, with its access-log bucket and the bucket's policy.
type LoadBalancerParts = (
    Resource<elbv2::LoadBalancer>,
    Resource<s3::Bucket>,
    Resource<s3::BucketPolicy>,
);

/// The load balancer itself, with its access-log bucket and the bucket's policy.
fn load_balancer(
    node: &Construct,
    vpc: &Vpc,
    props: &BlueGreenAlbProps,
    security_group: &SecurityGroup,
) -> Result<LoadBalancerParts, ConstructError> {
    let region = node.stack().env().region;
    let bucket = access_log_bucket(node, &region, props.access_log_retention_days)?;

    let mut attributes = vec![
        attr(
            "deletion_protection.enabled",
            (props.deletion_protection == Protection::On).to_string(),
        ),
        attr(
            "routing.http.drop_invalid_header_fields.enabled",
            "true".into(),
        ),
        attr(
            "idle_timeout.timeout_seconds",
            props.idle_timeout_seconds.to_string(),
        ),
        attr("access_logs.s3.enabled", "true".into()),
        attr("access_logs.s3.prefix", "alb".into()),
    ];
    attributes.push(elbv2::load_balancer::LoadBalancerAttribute {
        key: Some("access_logs.s3.bucket".into()),
        value: Some(bucket.0.ref_()),
    });
    let load_balancer = Resource::new(
        node,
        "Resource",
        elbv2::LoadBalancer {
            scheme: Some(elbv2::load_balancer::Scheme::InternetFacing.into()),
            type_: Some(elbv2::load_balancer::Type::Application.into()),
            subnets: Some(vpc.subnet_ids(SubnetKind::Public)),
            security_groups: Some(vec![security_group.group_id()].into()),
            load_balancer_attributes: Some(attributes),
            ..Default::default()
        },
    )?;
    // ELB checks that it can write to the bucket when logging is turned on.
    load_balancer.add_dependency(&bucket.1);
    if let Protection::Off { reason } = &props.deletion_protection {
        opt_out::record(
            &load_balancer,
            &[OptOut {
                check: "CKV_AWS_150",
                reason: reason.clone(),
            }],
        );
    }

    Ok((load_balancer, bucket.0, bucket.1))
}

/// The target group of `colour`.
fn target_group(
    node: &Construct,
    vpc: &Vpc,
    props: &BlueGreenAlbProps,
    required: &Required,
    colour: Colour,
) -> Result<TargetGroupRef, ConstructError> {
    let hc = &props.health_check;
    let resource = Resource::new(
        node,
        &format!("{}TargetGroup", colour.name()),
        elbv2::TargetGroup {
            port: Some(i64::from(required.target_port).into()),
            protocol: Some(elbv2::target_group::Protocol::Http.into()),
            target_type: Some(
                match props.target_type {
                    TargetType::Instance => elbv2::target_group::TargetType::Instance,
                    TargetType::Ip => elbv2::target_group::TargetType::Ip,
                }
                .into(),
            ),
            vpc_id: Some(vpc.vpc_id()),
            health_check_enabled: Some(true.into()),
            health_check_path: Some(required.health_check_path.as_str().into()),
            health_check_protocol: Some(elbv2::target_group::HealthCheckProtocol::Http.into()),
            health_check_interval_seconds: Some(i64::from(hc.interval_seconds).into()),
            health_check_timeout_seconds: Some(i64::from(hc.timeout_seconds).into()),
            healthy_threshold_count: Some(i64::from(hc.healthy_threshold).into()),
            unhealthy_threshold_count: Some(i64::from(hc.unhealthy_threshold).into()),
            matcher: Some(elbv2::target_group::Matcher {
                http_code: Some(hc.matcher.as_str().into()),
                ..Default::default()
            }),
            target_group_attributes: Some(vec![elbv2::target_group::TargetGroupAttribute {
                key: Some("deregistration_delay.timeout_seconds".into()),
                value: Some(props.deregistration_delay_seconds.to_string().into()),
            }]),
            ..Default::default()
        },
    )?;
    Ok(TargetGroupRef {
        arn: resource.ref_(),
        full_name: resource.attr_target_group_full_name(),
        resource,
    })
}

/// The HTTPS listener forwarding by weight to both colours, the HTTP redirect when asked
/// for, and the test listener reaching the idle colour.
fn listeners(
    node: &Construct,
    props: &BlueGreenAlbProps,
    load_balancer: &Resource<elbv2::LoadBalancer>,
    weights: &[(Value<String>, Value<i64>)],
    idle_arn: Value<String>,
) -> Result<(Resource<elbv2::Listener>, Option<Resource<elbv2::Listener>>), ConstructError> {
    let certificate_arn = certificate(node, props)?;
    let listener = Resource::new(
        node,
        "HttpsListener",
        elbv2::Listener {
            port: Some(443.into()),
            protocol: Some(elbv2::listener::Protocol::Https.into()),
            ssl_policy: Some(props.ssl_policy.as_str().into()),
            certificates: Some(vec![elbv2::listener::Certificate {
                certificate_arn: Some(certificate_arn.clone()),
            }]),
            ..elbv2::Listener::new(vec![forward(weights)], load_balancer.ref_())
        },
    )?;
    if props.http_redirect.is_some() {
        Resource::new(
            node,
            "HttpListener",
            elbv2::Listener {
                port: Some(80.into()),
                protocol: Some(elbv2::listener::Protocol::Http.into()),
                ..elbv2::Listener::new(
                    vec![elbv2::listener::Action {
                        redirect_config: Some(elbv2::listener::RedirectConfig {
                            protocol: Some("HTTPS".into()),
                            port: Some("443".into()),
                            host: Some("#{host}".into()),
                            path: Some("/#{path}".into()),
                            query: Some("#{query}".into()),
                            ..elbv2::listener::RedirectConfig::new(
                                elbv2::listener::StatusCode::Http301,
                            )
                        }),
                        ..elbv2::listener::Action::new(elbv2::listener::ActionType::Redirect)
                    }],
                    load_balancer.ref_(),
                )
            },
        )?;
    }
    let test_listener = match &props.test_listener {
        Some(t) => Some(Resource::new(
            node,
            "TestListener",
            elbv2::Listener {
                port: Some(i64::from(t.port).into()),
                protocol: Some(elbv2::listener::Protocol::Https.into()),
                ssl_policy: Some(props.ssl_policy.as_str().into()),
                certificates: Some(vec![elbv2::listener::Certificate {
                    certificate_arn: Some(certificate_arn.clone()),
                }]),
                ..elbv2::Listener::new(
                    vec![forward(&[(idle_arn, Value::from(100))])],
                    load_balancer.ref_(),
                )
            },
        )?),
        None => None,
    };

    Ok((listener, test_listener))
}

/// The alias record in the certificate's zone and the WAF association, when asked for.
fn alias_and_firewall(
    node: &Construct,
    props: &BlueGreenAlbProps,
    load_balancer: &Resource<elbv2::LoadBalancer>,
) -> Result<(), ConstructError> {
    if let (
        true,
        CertificateSource::Dns {
            hosted_zone: Some(zone),
            ..
        },
    ) = (props.alias_record, &props.certificate)
    {
        Resource::new(
            node,
            "AliasRecord",
            route53::RecordSet {
                hosted_zone_id: Some(zone.id.clone()),
                alias_target: Some(route53::record_set::AliasTarget {
                    evaluate_target_health: Some(true.into()),
                    ..route53::record_set::AliasTarget::new(
                        load_balancer.attr_dns_name(),
                        load_balancer.attr_canonical_hosted_zone_id(),
                    )
                }),
                ..route53::RecordSet::new(format!("{}.", props.domain_name), "A")
            },
        )?;
    }
    if let Some(acl) = &props.web_acl_arn {
        Resource::new(
            node,
            "WebAclAssociation",
            wafv2::WebAclAssociation::new(load_balancer.ref_(), acl.clone()),
        )?;
    }

    Ok(())
}

/// Target groups by ARN, each with its weight: what a forward action lists.
type Weighted = Vec<(Value<String>, Value<i64>)>;

/// The live colour and the idle share: fixed, or a release's parameters.
struct TrafficState {
    live: Colour,
    idle_percent: u8,
    release: Option<Release>,
}

impl TrafficState {
    fn pick_live<T>(&self, blue: Value<T>, green: Value<T>) -> Result<Value<T>, ConstructError> {
        match &self.release {
            Some(r) => r.when_live(blue, green),
            None => Ok(match self.live {
                Colour::Blue => blue,
                Colour::Green => green,
            }),
        }
    }

    fn pick_idle<T>(&self, blue: Value<T>, green: Value<T>) -> Result<Value<T>, ConstructError> {
        self.pick_live(green, blue)
    }

    /// The forward action's groups: the live colour first when the state is fixed (as the
    /// template has always said it), blue then green at their `Weight` parameters with a
    /// release (so a switch changes weights, not the order).
    fn weights(&self, blue: &TargetGroupRef, green: &TargetGroupRef) -> Weighted {
        match &self.release {
            Some(r) => vec![
                (blue.arn.clone(), r.weight(Colour::Blue)),
                (green.arn.clone(), r.weight(Colour::Green)),
            ],
            None => {
                let (live, idle) = match self.live {
                    Colour::Blue => (blue, green),
                    Colour::Green => (green, blue),
                };
                let idle_percent = i64::from(self.idle_percent);
                vec![
                    (live.arn.clone(), Value::from(100 - idle_percent)),
                    (idle.arn.clone(), Value::from(idle_percent)),
                ]
            }
        }
    }
}

impl BlueGreenAlb {
    /// Creates the load balancer under `scope` in `vpc`'s public subnets.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        vpc: &Vpc,
        props: BlueGreenAlbProps,
    ) -> Result<BlueGreenAlb, ConstructError> {
        let node = Construct::new(scope, id)?;
        let required = validate(&node.path(), &props, vpc)?;
        let security_group = security_group(&node, vpc, &props)?;
        let (load_balancer, access_log_bucket, access_log_policy) =
            load_balancer(&node, vpc, &props, &security_group)?;
        let blue = target_group(&node, vpc, &props, &required, Colour::Blue)?;
        let green = target_group(&node, vpc, &props, &required, Colour::Green)?;
        let state = TrafficState {
            live: props.live,
            idle_percent: props.idle_traffic_percent,
            release: props.release.clone(),
        };
        let weights = state.weights(&blue, &green);
        let idle_arn = state.pick_idle(blue.arn.clone(), green.arn.clone())?;
        let (listener, test_listener) =
            listeners(&node, &props, &load_balancer, &weights, idle_arn)?;
        if let Some(release) = &props.release {
            release.record("BlueTargetGroup", &blue.resource);
            release.record("GreenTargetGroup", &green.resource);
            release.record("Listener", &listener);
            release.mark(&listener);
        }
        alias_and_firewall(&node, &props, &load_balancer)?;
        Ok(BlueGreenAlb {
            node,
            security_group,
            load_balancer,
            listener,
            test_listener,
            blue,
            green,
            live: props.live,
            idle_percent: props.idle_traffic_percent,
            release: props.release,
            target_port: required.target_port,
            health_check_path: required.health_check_path,
            target_type: props.target_type,
            access_log_bucket,
            access_log_policy,
            rules: Rc::new(RefCell::new(Rules {
                production: None,
                test: None,
            })),
        })
    }

    /// The target group of `colour`.
    pub fn target_group(&self, colour: Colour) -> &TargetGroupRef {
        match colour {
            Colour::Blue => &self.blue,
            Colour::Green => &self.green,
        }
    }

    /// The colour taking production traffic: with a release, the colour a brand-new stack
    /// starts with (the deployed stack's `Live` parameter decides after that).
    pub fn live_colour(&self) -> Colour {
        self.release.as_ref().map_or(self.live, |r| r.props().live)
    }

    /// The release whose parameters hold the live colour and the colours' weights, if any.
    pub fn release(&self) -> Option<&Release> {
        self.release.as_ref()
    }

    fn state(&self) -> TrafficState {
        TrafficState {
            live: self.live,
            idle_percent: self.idle_percent,
            release: self.release.clone(),
        }
    }

    /// `when_blue` where blue is live, else `when_green`: a literal when the state is
    /// fixed, an `Fn::If` on the release's `BlueIsLive` condition otherwise.
    pub fn when_live<T>(
        &self,
        when_blue: Value<T>,
        when_green: Value<T>,
    ) -> Result<Value<T>, ConstructError> {
        self.state().pick_live(when_blue, when_green)
    }

    /// The port targets listen on.
    pub fn target_port(&self) -> u16 {
        self.target_port
    }

    /// The path the target groups' health check requests.
    pub fn health_check_path(&self) -> &str {
        &self.health_check_path
    }

    /// What targets are.
    pub fn target_type(&self) -> TargetType {
        self.target_type
    }

    /// The HTTPS listener.
    pub fn listener(&self) -> &Resource<elbv2::Listener> {
        &self.listener
    }

    /// The test listener, if there is one.
    pub fn test_listener(&self) -> Option<&Resource<elbv2::Listener>> {
        self.test_listener.as_ref()
    }

    /// The L1 load balancer, at the construct's own path.
    pub fn resource(&self) -> &Resource<elbv2::LoadBalancer> {
        &self.load_balancer
    }

    /// The bucket the access logs go to (`AccessLogs`). It cannot log access to itself
    /// into itself: scanners that want every bucket logged (checkov's CKV_AWS_18) need
    /// your exception, [`crate::opt_out::skip_check`].
    pub fn access_log_bucket(&self) -> &Resource<s3::Bucket> {
        &self.access_log_bucket
    }

    /// The access-log bucket's policy (log delivery allowed, plain HTTP denied).
    pub fn access_log_policy(&self) -> &Resource<s3::BucketPolicy> {
        &self.access_log_policy
    }

    /// The load balancer's full name, as CloudWatch dimensions take it.
    pub fn load_balancer_full_name(&self) -> Value<String> {
        self.load_balancer.attr_load_balancer_full_name()
    }

    /// The load balancer's DNS name.
    pub fn dns_name(&self) -> Value<String> {
        self.load_balancer.attr_dns_name()
    }

    /// The security group.
    pub fn security_group(&self) -> &SecurityGroup {
        &self.security_group
    }

    fn rule(
        &self,
        listener: &Resource<elbv2::Listener>,
        id: &str,
        groups: &[(Value<String>, Value<i64>)],
    ) -> Result<Resource<elbv2::ListenerRule>, ConstructError> {
        let action = forward(groups);
        let rule = Resource::new(
            &self.node,
            id,
            elbv2::ListenerRule {
                listener_arn: Some(listener.ref_()),
                ..elbv2::ListenerRule::new(
                    vec![elbv2::listener_rule::Action {
                        forward_config: action.forward_config.map(|f| {
                            elbv2::listener_rule::ForwardConfig {
                                target_groups: f.target_groups.map(|t| {
                                    t.into_iter()
                                        .map(|g| elbv2::listener_rule::TargetGroupTuple {
                                            target_group_arn: g.target_group_arn,
                                            weight: g.weight,
                                        })
                                        .collect()
                                }),
                                target_group_stickiness_config: None,
                            }
                        }),
                        ..elbv2::listener_rule::Action::new(
                            elbv2::listener_rule::ActionType::Forward,
                        )
                    }],
                    vec![elbv2::listener_rule::RuleCondition {
                        field: Some("path-pattern".into()),
                        values: Some(vec!["/*"].into()),
                        ..Default::default()
                    }],
                    1,
                )
            },
        )?;
        Ok(rule)
    }

    /// A `/*` rule on the HTTPS listener forwarding like its default action: what ECS's
    /// native blue/green deployments shift weights on (`ProductionListenerRule`). Created
    /// once; later calls return the same rule.
    pub fn production_rule(&self) -> Result<Resource<elbv2::ListenerRule>, ConstructError> {
        if let Some(r) = &self.rules.borrow().production {
            return Ok(r.clone());
        }
        let weights = self.state().weights(&self.blue, &self.green);
        let rule = self.rule(&self.listener, "ProductionRule", &weights)?;
        self.rules.borrow_mut().production = Some(rule.clone());
        Ok(rule)
    }

    /// The same on the test listener (`TestListenerRule`), when there is one.
    pub fn test_rule(&self) -> Result<Option<Resource<elbv2::ListenerRule>>, ConstructError> {
        let Some(listener) = self.test_listener.clone() else {
            return Ok(None);
        };
        if let Some(r) = &self.rules.borrow().test {
            return Ok(Some(r.clone()));
        }
        let idle = self
            .state()
            .pick_idle(self.blue.arn.clone(), self.green.arn.clone())?;
        let rule = self.rule(&listener, "TestRule", &[(idle, Value::from(100))])?;
        self.rules.borrow_mut().test = Some(rule.clone());
        Ok(Some(rule))
    }

    fn lb_dimension(&self) -> (String, Value<String>) {
        ("LoadBalancer".into(), self.load_balancer_full_name())
    }

    /// Requests served.
    pub fn metric_requests(&self) -> Metric {
        Metric::new(
            "AWS/ApplicationELB",
            "RequestCount",
            vec![self.lb_dimension()],
            "Count",
        )
        .with_statistic(Statistic::Sum)
    }

    /// 5xx answers generated by the load balancer itself.
    pub fn metric_elb_5xx(&self) -> Metric {
        Metric::new(
            "AWS/ApplicationELB",
            "HTTPCode_ELB_5XX_Count",
            vec![self.lb_dimension()],
            "Count",
        )
        .with_statistic(Statistic::Sum)
    }

    /// 5xx answers from the targets.
    pub fn metric_target_5xx(&self) -> Metric {
        Metric::new(
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            vec![self.lb_dimension()],
            "Count",
        )
        .with_statistic(Statistic::Sum)
    }

    /// Target response time, 99th percentile, seconds.
    pub fn metric_latency_p99(&self) -> Metric {
        Metric::new(
            "AWS/ApplicationELB",
            "TargetResponseTime",
            vec![self.lb_dimension()],
            "Seconds",
        )
        .with_statistic(Statistic::p99())
    }

    /// A metric of one target group (by its full name), on this load balancer.
    fn group_metric(&self, name: &str, group: Value<String>, unit: &'static str) -> Metric {
        Metric::new(
            "AWS/ApplicationELB",
            name,
            vec![("TargetGroup".into(), group), self.lb_dimension()],
            unit,
        )
    }

    /// The live colour's target group's full name: fixed, or `Fn::If` on the release's
    /// `BlueIsLive` condition.
    fn live_group_name(&self) -> Value<String> {
        let (blue, green) = (self.blue.full_name.clone(), self.green.full_name.clone());
        // The condition was made when the listener was (its weights use it), so this finds
        // it and cannot fail; the fixed colour is what a new stack starts with anyway.
        self.when_live(blue.clone(), green.clone())
            .unwrap_or(match self.live_colour() {
                Colour::Blue => blue,
                Colour::Green => green,
            })
    }

    /// Healthy targets of `colour`.
    pub fn metric_healthy_hosts(&self, colour: Colour) -> Metric {
        self.group_metric(
            "HealthyHostCount",
            self.target_group(colour).full_name.clone(),
            "Count",
        )
        .with_statistic(Statistic::Minimum)
    }

    /// Unhealthy targets of `colour`.
    pub fn metric_unhealthy_hosts(&self, colour: Colour) -> Metric {
        self.group_metric(
            "UnHealthyHostCount",
            self.target_group(colour).full_name.clone(),
            "Count",
        )
        .with_statistic(Statistic::Maximum)
    }

    /// Healthy targets of whichever colour is live (with a release, the `Live`
    /// parameter's).
    pub fn metric_live_healthy_hosts(&self) -> Metric {
        self.group_metric("HealthyHostCount", self.live_group_name(), "Count")
            .with_statistic(Statistic::Minimum)
    }

    /// Unhealthy targets of whichever colour is live.
    pub fn metric_live_unhealthy_hosts(&self) -> Metric {
        self.group_metric("UnHealthyHostCount", self.live_group_name(), "Count")
            .with_statistic(Statistic::Maximum)
    }

    /// Requests `colour`'s targets were sent.
    pub fn metric_colour_requests(&self, colour: Colour) -> Metric {
        self.group_metric(
            "RequestCount",
            self.target_group(colour).full_name.clone(),
            "Count",
        )
        .with_statistic(Statistic::Sum)
    }

    /// 5xx answers of `colour`'s targets.
    pub fn metric_colour_target_5xx(&self, colour: Colour) -> Metric {
        self.group_metric(
            "HTTPCode_Target_5XX_Count",
            self.target_group(colour).full_name.clone(),
            "Count",
        )
        .with_statistic(Statistic::Sum)
    }

    /// `colour`'s target response time, 99th percentile, seconds.
    pub fn metric_colour_latency_p99(&self, colour: Colour) -> Metric {
        self.group_metric(
            "TargetResponseTime",
            self.target_group(colour).full_name.clone(),
            "Seconds",
        )
        .with_statistic(Statistic::p99())
    }

    /// The alarms that judge one colour by its release's gates: 5xx rate and p99.
    pub(crate) fn colour_alarm_specs(&self, release: &Release, colour: Colour) -> Vec<AlarmSpec> {
        let g = release.gates();
        let minute = |m: Metric| m.with_period(60);
        let name = colour.name();
        let window = format!(
            "{} of {} minutes",
            g.breaching_minutes, g.evaluation_minutes
        );
        vec![
            AlarmSpec {
                id: format!("{name}5xxRate"),
                description: format!(
                    "{} targets answered over {}% 5xx, {window}: roll {} back",
                    name.to_lowercase(),
                    g.max_5xx_rate_percent,
                    name.to_lowercase()
                ),
                metric: AlarmMetric::Math {
                    expression: "100 * m1 / m2".into(),
                    label: format!("{name} 5xx rate (%)"),
                    metrics: vec![
                        minute(self.metric_colour_target_5xx(colour)),
                        minute(self.metric_colour_requests(colour)),
                    ],
                },
                above: true,
                threshold: g.max_5xx_rate_percent,
                evaluation_periods: g.evaluation_minutes,
                datapoints_to_alarm: g.breaching_minutes,
                missing: MissingData::NotBreaching,
            },
            AlarmSpec {
                id: format!("{name}LatencyP99"),
                description: format!(
                    "{} p99 over {} s, {window}: roll {} back",
                    name.to_lowercase(),
                    g.max_p99.as_secs_f64(),
                    name.to_lowercase()
                ),
                metric: AlarmMetric::Single(minute(self.metric_colour_latency_p99(colour))),
                above: true,
                threshold: g.max_p99.as_secs_f64(),
                evaluation_periods: g.evaluation_minutes,
                datapoints_to_alarm: g.breaching_minutes,
                missing: MissingData::NotBreaching,
            },
        ]
    }
}

fn attr(key: &str, value: String) -> elbv2::load_balancer::LoadBalancerAttribute {
    elbv2::load_balancer::LoadBalancerAttribute {
        key: Some(key.into()),
        value: Some(value.into()),
    }
}

/// The certificate's ARN, creating an ACM certificate when asked.
fn certificate(
    node: &Construct,
    props: &BlueGreenAlbProps,
) -> Result<Value<String>, ConstructError> {
    match &props.certificate {
        CertificateSource::Imported(arn) => Ok(arn.clone()),
        CertificateSource::Dns {
            hosted_zone,
            wildcard_san,
        } => {
            let parent = props
                .domain_name
                .split_once('.')
                .map(|(_, rest)| rest)
                .filter(|rest| rest.contains('.'))
                .unwrap_or(&props.domain_name);
            let sans = wildcard_san.as_ref().map(|_| vec![format!("*.{parent}")]);
            let validation = hosted_zone.as_ref().map(|z| {
                let mut names = vec![props.domain_name.clone()];
                names.extend(sans.iter().flatten().cloned());
                names
                    .into_iter()
                    .map(
                        |n| certificatemanager::certificate::DomainValidationOption {
                            domain_name: Some(n.into()),
                            hosted_zone_id: Some(z.id.clone()),
                            ..Default::default()
                        },
                    )
                    .collect()
            });
            let cert = Resource::new(
                node,
                "Certificate",
                certificatemanager::Certificate {
                    validation_method: Some("DNS".into()),
                    subject_alternative_names: sans.map(Into::into),
                    domain_validation_options: validation,
                    ..certificatemanager::Certificate::new(props.domain_name.as_str())
                },
            )?;
            if let Some(reason) = wildcard_san {
                opt_out::record(
                    &cert,
                    &[OptOut {
                        check: "CKV2_AWS_71",
                        reason: reason.clone(),
                    }],
                );
            }
            Ok(cert.ref_())
        }
    }
}

/// The access log bucket and its policy: SSE-S3 (the only encryption ELB log delivery
/// supports), versioned, never public, TLS-only, expiring logs after `retention_days`.
fn access_log_bucket(
    node: &Construct,
    region: &str,
    retention_days: u32,
) -> Result<(Resource<s3::Bucket>, Resource<s3::BucketPolicy>), ConstructError> {
    let bucket = Resource::new(
        node,
        "AccessLogs",
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
                    object_ownership: Some(s3::bucket::ObjectOwnership::BucketOwnerEnforced.into()),
                },
            ])),
            lifecycle_configuration: Some(s3::bucket::LifecycleConfiguration::new(vec![
                s3::bucket::Rule {
                    id: Some("ExpireAccessLogs".into()),
                    expiration_in_days: Some(i64::from(retention_days).into()),
                    noncurrent_version_expiration: Some(
                        s3::bucket::NoncurrentVersionExpiration::new(7),
                    ),
                    abort_incomplete_multipart_upload: Some(
                        s3::bucket::AbortIncompleteMultipartUpload::new(1),
                    ),
                    ..s3::bucket::Rule::new(s3::bucket::RuleStatus::Enabled)
                },
            ])),
            ..Default::default()
        },
    )?;
    bucket.apply_removal_policy(RemovalPolicy::Retain);
    let delivery = match elb_log_account(region) {
        Some(account) => Principal(Expr::object([(
            "AWS",
            cfn_format!(
                "arn:{}:iam::{}:root",
                Value::<String>::pseudo(Pseudo::Partition),
                account
            )
            .into_expr(),
        )])),
        None => Principal::service("logdelivery.elasticloadbalancing.amazonaws.com"),
    };
    let objects = cfn_format!(
        "{}/alb/AWSLogs/{}/*",
        bucket.attr_arn(),
        Value::<String>::pseudo(Pseudo::AccountId)
    );
    let document = PolicyDocument::new(vec![
        PolicyStatement::allow(&["s3:PutObject"], vec![objects])
            .with_sid("ElbDeliversAccessLogs")
            .with_principal(delivery),
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
        node,
        "AccessLogsPolicy",
        s3::BucketPolicy::new(
            bucket.ref_(),
            Value::<stackwright_core::Json>::from_expr(document.to_expr()),
        ),
    )?;
    Ok((bucket, policy))
}

impl Connectable for BlueGreenAlb {
    fn connections(&self) -> Connections {
        Connections::new(vec![self.security_group.clone()], Some(Port::tcp(443)))
    }
}

impl Scope for BlueGreenAlb {
    fn scope_ref(&self) -> (stackwright_core::AppRef, stackwright_core::ElementId) {
        self.node.scope_ref()
    }
}

// What `Alarms::watch` adds for this construct.
impl Watchable for BlueGreenAlb {
    fn watch_name(&self) -> String {
        last_segment(&self.path())
    }

    fn alarm_specs(&self, t: &Thresholds) -> Vec<AlarmSpec> {
        let minute = |m: Metric| m.with_period(60);
        let errors = match t.http_5xx_count_per_minute {
            Some(count) => AlarmSpec {
                id: "Http5xxCount".into(),
                description: format!(
                    "more than {count} requests a minute answered 5xx, 2 minutes running; consider rolling back"
                ),
                metric: AlarmMetric::Math {
                    expression: "m1 + m2".into(),
                    label: "5xx answers".into(),
                    metrics: vec![
                        minute(self.metric_elb_5xx()),
                        minute(self.metric_target_5xx()),
                    ],
                },
                above: true,
                threshold: count,
                evaluation_periods: 2,
                datapoints_to_alarm: 2,
                missing: MissingData::NotBreaching,
            },
            None => AlarmSpec {
                id: "Http5xxRate".into(),
                description: format!(
                    "more than {}% of requests answered 5xx for 3 of 5 minutes; consider rolling back",
                    t.http_5xx_rate_percent
                ),
                metric: AlarmMetric::Math {
                    expression: "100 * (m1 + m2) / m3".into(),
                    label: "5xx rate (%)".into(),
                    metrics: vec![
                        minute(self.metric_elb_5xx()),
                        minute(self.metric_target_5xx()),
                        minute(self.metric_requests()),
                    ],
                },
                above: true,
                threshold: t.http_5xx_rate_percent,
                evaluation_periods: 5,
                datapoints_to_alarm: 3,
                missing: MissingData::NotBreaching,
            },
        };
        let mut specs = vec![
            errors,
            AlarmSpec {
                id: "LatencyP99".into(),
                description: format!(
                    "p99 response time above {} s for 3 of 5 minutes",
                    t.latency_p99_seconds
                ),
                metric: AlarmMetric::Single(minute(self.metric_latency_p99())),
                above: true,
                threshold: t.latency_p99_seconds,
                evaluation_periods: 5,
                datapoints_to_alarm: 3,
                missing: MissingData::NotBreaching,
            },
            AlarmSpec {
                id: "UnhealthyHosts".into(),
                description: "the live colour has unhealthy targets for 3 minutes".into(),
                metric: AlarmMetric::Single(minute(self.metric_live_unhealthy_hosts())),
                above: true,
                threshold: 0.0,
                evaluation_periods: 3,
                datapoints_to_alarm: 3,
                missing: MissingData::Ignore,
            },
        ];
        if let Some(release) = &self.release {
            for colour in [Colour::Blue, Colour::Green] {
                specs.extend(self.colour_alarm_specs(release, colour));
            }
        }
        specs
    }

    fn graphs(&self) -> Vec<Graph> {
        let name = self.watch_name();
        vec![
            Graph {
                title: format!("{name}: requests and 5xx"),
                metrics: vec![
                    self.metric_requests(),
                    self.metric_elb_5xx(),
                    self.metric_target_5xx(),
                ],
            },
            Graph {
                title: format!("{name}: p99 latency (s)"),
                metrics: vec![self.metric_latency_p99()],
            },
            Graph {
                title: format!("{name}: healthy hosts of the live colour"),
                metrics: vec![
                    self.metric_live_healthy_hosts(),
                    self.metric_live_unhealthy_hosts(),
                ],
            },
        ]
    }
}
