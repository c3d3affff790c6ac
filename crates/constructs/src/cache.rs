//! Redis on ElastiCache: sessions and rate limiting.

use indexmap::IndexMap;
use stackwright_core::{Construct, RemovalPolicy, Resource, Scope, Value, cfn_format};
use stackwright_l1::{elasticache, logs};

use crate::alarms::{
    AlarmMetric, AlarmSpec, Graph, MissingData, Thresholds, Watchable, last_segment,
};
use crate::error::{ConstructError, Problems, quote};
use crate::key::Key;
use crate::metric::{Metric, Statistic};
use crate::secret::{Generate, Secret, SecretProps};
use crate::security_group::{Connectable, Connections, Port, SecurityGroup, SecurityGroupProps};
use crate::vpc::{SubnetKind, Vpc};

/// Redis engine versions ElastiCache runs that this construct supports.
pub const SUPPORTED_VERSIONS: &[&str] = &["6.2", "7.0", "7.1"];

/// Settings of a [`RedisCache`]. `Default` is [`RedisCacheProps::production`].
#[derive(Debug, Clone, PartialEq)]
pub struct RedisCacheProps {
    /// Engine version, one of [`SUPPORTED_VERSIONS`]. Default: `7.1`.
    pub version: String,
    /// Node type. Default: `cache.t3.micro`.
    pub node_type: String,
    /// Replicas of the primary, each in another zone where possible. Default: 1.
    pub replicas: u32,
    /// Promote a replica when the primary fails. Default: on (needs a replica).
    pub automatic_failover: bool,
    /// Spread nodes over zones. Default: on (needs automatic failover and two zones).
    pub multi_az: bool,
    /// Days of daily snapshots kept (0 turns them off). Default: 7.
    pub snapshot_retention_days: u32,
    /// Daily snapshot window, UTC, as `hh:mm-hh:mm`, at least 60 minutes. Default: none,
    /// so ElastiCache picks one.
    pub snapshot_window: Option<String>,
    /// Weekly maintenance window, UTC, as `ddd:hh:mm-ddd:hh:mm`, at least 60 minutes.
    /// Default: none, so ElastiCache picks one.
    pub maintenance_window: Option<String>,
    /// Slow-log delivery to an encrypted CloudWatch Logs group, kept this many days;
    /// `None` turns it off. Default: 365.
    pub slow_log_retention_days: Option<u32>,
    /// Engine parameters of the parameter group. Default: none changed.
    pub parameters: IndexMap<String, String>,
    /// The key for data at rest and the AUTH token. Default: a key of the cache's own.
    pub key: Option<Key>,
    /// The subnets it lives in. Default: isolated.
    pub subnets: SubnetKind,
    /// The port. Default: 6379, Redis's own.
    pub port: u16,
    /// What happens to the data when the stack lets go of it. Default: `Snapshot`.
    pub removal_policy: RemovalPolicy,
}

impl Default for RedisCacheProps {
    fn default() -> Self {
        RedisCacheProps::production()
    }
}

impl RedisCacheProps {
    /// Production: a primary and a replica in another zone with automatic failover.
    pub fn production() -> Self {
        RedisCacheProps {
            version: "7.1".into(),
            node_type: "cache.t3.micro".into(),
            replicas: 1,
            automatic_failover: true,
            multi_az: true,
            snapshot_retention_days: 7,
            snapshot_window: None,
            maintenance_window: None,
            slow_log_retention_days: Some(365),
            parameters: IndexMap::new(),
            key: None,
            subnets: SubnetKind::Isolated,
            port: 6379,
            removal_policy: RemovalPolicy::Snapshot,
        }
    }

    /// Cheap non-production: one node, one day of snapshots, slow logs kept 90 days,
    /// removed with its stack.
    pub fn staging() -> Self {
        RedisCacheProps {
            replicas: 0,
            automatic_failover: false,
            multi_az: false,
            snapshot_retention_days: 1,
            slow_log_retention_days: Some(90),
            removal_policy: RemovalPolicy::Delete,
            ..RedisCacheProps::production()
        }
    }
}

fn validate(path: &str, props: &RedisCacheProps, vpc: &Vpc) -> Result<(), ConstructError> {
    let mut p = Problems::new(path);
    p.check(
        SUPPORTED_VERSIONS.contains(&props.version.as_str()),
        "version",
        || quote(&props.version),
        "not a Redis version this construct supports",
        format!("use one of {}", SUPPORTED_VERSIONS.join(", ")),
    );
    p.check(
        !props.automatic_failover || props.replicas >= 1,
        "automatic_failover",
        || props.automatic_failover.to_string(),
        "automatic failover with no replica to promote (replicas is 0)",
        "add a replica (replicas: 1) or turn automatic_failover off",
    );
    p.check(
        !props.multi_az || props.automatic_failover,
        "multi_az",
        || props.multi_az.to_string(),
        "Multi-AZ without automatic failover",
        "turn automatic_failover on, which ElastiCache requires for Multi-AZ, or multi_az off",
    );
    p.check(
        !props.multi_az || vpc.az_count() >= 2,
        "multi_az",
        || props.multi_az.to_string(),
        format!(
            "Multi-AZ was asked for, but the VPC spans {} zone",
            vpc.az_count()
        ),
        "give the VPC two or more zones, or turn multi_az off",
    );
    p.check(
        props.replicas <= 5,
        "replicas",
        || props.replicas.to_string(),
        "a Redis shard takes at most 5 replicas",
        "use 0 to 5 replicas",
    );
    p.check(
        props.node_type.starts_with("cache.") && props.node_type.split('.').count() == 3,
        "node_type",
        || quote(&props.node_type),
        "not a cache node type",
        "write it like cache.t3.micro",
    );
    p.check(
        props.snapshot_retention_days <= 35,
        "snapshot_retention_days",
        || props.snapshot_retention_days.to_string(),
        "ElastiCache keeps snapshots at most 35 days",
        "keep snapshots 0 (off) to 35 days",
    );
    p.check(
        !vpc.subnets(props.subnets).is_empty(),
        "subnets",
        || format!("SubnetKind::{:?}", props.subnets),
        "the VPC has no subnets of this kind",
        "place the cache in isolated or private subnets the VPC has",
    );
    p.finish()
}

/// A Redis replication group: TLS in transit with an AUTH token from Secrets Manager,
/// encryption at rest with a customer managed key, in private subnets.
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::{cache::{RedisCache, RedisCacheProps}, vpc::{Vpc, VpcProps}};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let vpc = Vpc::new(&stack, "Network", VpcProps::production()).unwrap();
/// let cache = RedisCache::new(&stack, "Cache", &vpc, RedisCacheProps::production()).unwrap();
/// let _url_host = cache.primary_endpoint_address();
/// ```
#[derive(Clone)]
pub struct RedisCache {
    node: Construct,
    resource: Resource<elasticache::ReplicationGroup>,
    security_group: SecurityGroup,
    auth_token: Secret,
    slow_log: Option<Resource<logs::LogGroup>>,
    port: u16,
}

impl RedisCache {
    /// Creates the cache under `scope` in `vpc`.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        vpc: &Vpc,
        props: RedisCacheProps,
    ) -> Result<RedisCache, ConstructError> {
        let node = Construct::new(scope, id)?;
        validate(&node.path(), &props, vpc)?;
        let key = Key::given_or_own(
            props.key.as_ref(),
            &node,
            props.removal_policy,
            "Cache data at rest, AUTH token and slow log",
        )?;
        let auth_token = Secret::new(
            &node,
            "AuthToken",
            &key,
            SecretProps {
                description: Some(format!("Redis AUTH token of {}", node.path())),
                // AUTH tokens take printable ASCII except a few; letters and digits are safe
                // in redis:// URLs too.
                generate: Generate {
                    length: 64,
                    exclude_punctuation: true,
                    ..Generate::default()
                },
                removal_policy: if props.removal_policy == RemovalPolicy::Delete {
                    RemovalPolicy::Delete
                } else {
                    RemovalPolicy::Retain
                },
                ..SecretProps::default()
            },
        )?;
        let subnet_group = Resource::new(
            &node,
            "SubnetGroup",
            elasticache::SubnetGroup::new(
                format!("Subnets of {}", node.path()),
                vpc.subnet_ids(props.subnets),
            ),
        )?;
        // ElastiCache names the 6.x family `redis6.x` and later ones `redis7`.
        let family = match props.version.split('.').next().unwrap_or("7") {
            "6" => "redis6.x".to_string(),
            major => format!("redis{major}"),
        };
        let parameter_group = Resource::new(
            &node,
            "ParameterGroup",
            elasticache::ParameterGroup {
                properties: (!props.parameters.is_empty()).then(|| {
                    props
                        .parameters
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<IndexMap<String, String>>()
                        .into()
                }),
                ..elasticache::ParameterGroup::new(family, format!("Parameters of {}", node.path()))
            },
        )?;
        let security_group = SecurityGroup::new(
            &node,
            "SecurityGroup",
            SecurityGroupProps {
                vpc_id: vpc.vpc_id(),
                description: format!("Redis {}", node.path()),
            },
        )?;
        let slow_log = match props.slow_log_retention_days {
            Some(days) => {
                key.allow_cloudwatch_logs();
                let group = Resource::new(
                    &node,
                    "SlowLog",
                    logs::LogGroup {
                        kms_key_id: Some(key.arn()),
                        retention_in_days: Some(i64::from(days).into()),
                        ..Default::default()
                    },
                )?;
                group.apply_removal_policy(props.removal_policy_for_logs());
                Some(group)
            }
            None => None,
        };
        let resource = Resource::new(
            &node,
            "Resource",
            elasticache::ReplicationGroup {
                engine: Some("redis".into()),
                engine_version: Some(props.version.as_str().into()),
                cache_node_type: Some(props.node_type.as_str().into()),
                num_cache_clusters: Some(i64::from(props.replicas + 1).into()),
                automatic_failover_enabled: Some(props.automatic_failover.into()),
                multi_az_enabled: Some(props.multi_az.into()),
                transit_encryption_enabled: Some(true.into()),
                auth_token: Some(auth_token.value_ref(None)),
                at_rest_encryption_enabled: Some(true.into()),
                kms_key_id: Some(key.arn()),
                cache_subnet_group_name: Some(subnet_group.ref_()),
                cache_parameter_group_name: Some(parameter_group.ref_()),
                security_group_ids: Some(vec![security_group.group_id()].into()),
                snapshot_retention_limit: Some(i64::from(props.snapshot_retention_days).into()),
                snapshot_window: props
                    .snapshot_window
                    .as_deref()
                    .filter(|_| props.snapshot_retention_days > 0)
                    .map(Into::into),
                preferred_maintenance_window: props.maintenance_window.as_deref().map(Into::into),
                auto_minor_version_upgrade: Some(true.into()),
                port: Some(i64::from(props.port).into()),
                log_delivery_configurations: slow_log.as_ref().map(|g| {
                    vec![elasticache::replication_group::LogDeliveryConfigurationRequest::new(
                        elasticache::replication_group::DestinationDetails {
                            cloud_watch_logs_details: Some(
                                elasticache::replication_group::CloudWatchLogsDestinationDetails::new(g.ref_()),
                            ),
                            ..Default::default()
                        },
                        "cloudwatch-logs",
                        "json",
                        "slow-log",
                    )]
                }),
                ..elasticache::ReplicationGroup::new(format!("Redis {}", node.path()))
            },
        )?;
        resource.apply_removal_policy(props.removal_policy);
        Ok(RedisCache {
            node,
            resource,
            security_group,
            auth_token,
            slow_log,
            port: props.port,
        })
    }

    /// The log group the slow log goes to, when `slow_log_retention_days` is set.
    pub fn slow_log(&self) -> Option<&Resource<logs::LogGroup>> {
        self.slow_log.as_ref()
    }

    /// The primary's host.
    pub fn primary_endpoint_address(&self) -> Value<String> {
        self.resource.attr_primary_end_point_address()
    }

    /// The reader endpoint's host, balancing over replicas.
    pub fn reader_endpoint_address(&self) -> Value<String> {
        self.resource.attr_reader_end_point_address()
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The AUTH token's secret. Grant reading it to the clients.
    pub fn auth_token(&self) -> &Secret {
        &self.auth_token
    }

    /// The L1 replication group.
    pub fn resource(&self) -> &Resource<elasticache::ReplicationGroup> {
        &self.resource
    }

    /// Metrics are per node; the primary is node `-001` of the group.
    fn node_dimension(&self) -> Vec<(String, Value<String>)> {
        vec![(
            "CacheClusterId".into(),
            cfn_format!("{}-001", self.resource.ref_()),
        )]
    }

    /// Host CPU, percent.
    pub fn metric_cpu(&self) -> Metric {
        Metric::new(
            "AWS/ElastiCache",
            "CPUUtilization",
            self.node_dimension(),
            "Percent",
        )
    }

    /// Redis's own (single-threaded) CPU, percent: the one that saturates first.
    pub fn metric_engine_cpu(&self) -> Metric {
        Metric::new(
            "AWS/ElastiCache",
            "EngineCPUUtilization",
            self.node_dimension(),
            "Percent",
        )
    }

    /// Memory used of what Redis may use, percent.
    pub fn metric_memory(&self) -> Metric {
        Metric::new(
            "AWS/ElastiCache",
            "DatabaseMemoryUsagePercentage",
            self.node_dimension(),
            "Percent",
        )
        .with_statistic(Statistic::Maximum)
    }

    /// Keys evicted for lack of memory.
    pub fn metric_evictions(&self) -> Metric {
        Metric::new(
            "AWS/ElastiCache",
            "Evictions",
            self.node_dimension(),
            "Count",
        )
        .with_statistic(Statistic::Sum)
    }
}

impl RedisCacheProps {
    fn removal_policy_for_logs(&self) -> RemovalPolicy {
        // Snapshot is not a policy log groups take; their data is kept instead.
        match self.removal_policy {
            RemovalPolicy::Delete => RemovalPolicy::Delete,
            _ => RemovalPolicy::Retain,
        }
    }
}

impl Connectable for RedisCache {
    fn connections(&self) -> Connections {
        Connections::new(
            vec![self.security_group.clone()],
            Some(Port::tcp(self.port)),
        )
    }
}

impl Scope for RedisCache {
    fn scope_ref(&self) -> (stackwright_core::AppRef, stackwright_core::ElementId) {
        self.node.scope_ref()
    }
}

// What `Alarms::watch` adds for this construct.
impl Watchable for RedisCache {
    fn watch_name(&self) -> String {
        last_segment(&self.path())
    }

    fn alarm_specs(&self, t: &Thresholds) -> Vec<AlarmSpec> {
        let percent = |id: &str, what: &str, metric: Metric, threshold: f64| AlarmSpec {
            id: id.into(),
            description: format!("{what} above {threshold}% for 15 minutes"),
            metric: AlarmMetric::Single(metric),
            above: true,
            threshold,
            evaluation_periods: 3,
            datapoints_to_alarm: 3,
            missing: MissingData::Breaching,
        };
        vec![
            percent("Cpu", "host CPU", self.metric_cpu(), t.cache_cpu_percent),
            percent(
                "EngineCpu",
                "Redis engine CPU",
                self.metric_engine_cpu(),
                t.cache_engine_cpu_percent,
            ),
            percent(
                "Memory",
                "memory use",
                self.metric_memory(),
                t.cache_memory_percent,
            ),
            AlarmSpec {
                id: "Evictions".into(),
                description: "keys are being evicted for lack of memory (sessions lost)".into(),
                metric: AlarmMetric::Single(self.metric_evictions()),
                above: true,
                threshold: 0.0,
                evaluation_periods: 1,
                datapoints_to_alarm: 1,
                missing: MissingData::NotBreaching,
            },
        ]
    }

    fn graphs(&self) -> Vec<Graph> {
        let name = self.watch_name();
        vec![
            Graph {
                title: format!("{name}: CPU (%)"),
                metrics: vec![self.metric_cpu(), self.metric_engine_cpu()],
            },
            Graph {
                title: format!("{name}: memory (%) and evictions"),
                metrics: vec![self.metric_memory(), self.metric_evictions()],
            },
        ]
    }
}
