//! PostgreSQL on RDS: a Multi-AZ instance or an Aurora cluster with readers.

use indexmap::IndexMap;
use stackwright_core::{Construct, RemovalPolicy, Resource, Scope, Value};
use stackwright_l1::rds;

use crate::alarms::{
    AlarmMetric, AlarmSpec, Graph, MissingData, Thresholds, Watchable, last_segment,
};
use crate::error::{ConstructError, Problems, quote};
use crate::iam::{Role, RoleProps, aws_managed_policy};
use crate::key::Key;
use crate::metric::{Metric, Statistic};
use crate::opt_out::{self, OptOut};
use crate::secret::Secret;
use crate::security_group::{Connectable, Connections, Port, SecurityGroup, SecurityGroupProps};
use crate::vpc::{SubnetKind, Vpc};

/// A PostgreSQL engine version; the parameter group family follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PostgresVersion {
    major: u8,
    minor: u8,
}

impl PostgresVersion {
    /// PostgreSQL 16.9, for tools or extensions not ready for 17.
    pub const V16_9: PostgresVersion = PostgresVersion {
        major: 16,
        minor: 9,
    };
    /// PostgreSQL 17.6 (RDS no longer creates instances of 17.1 to 17.4).
    pub const V17_6: PostgresVersion = PostgresVersion {
        major: 17,
        minor: 6,
    };

    /// The major version.
    pub fn major(self) -> u8 {
        self.major
    }

    /// `17.6`.
    pub fn as_string(self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    /// The RDS parameter group family: `postgres17`.
    pub fn family(self) -> String {
        format!("postgres{}", self.major)
    }

    /// The Aurora parameter group family: `aurora-postgresql17`.
    pub fn aurora_family(self) -> String {
        format!("aurora-postgresql{}", self.major)
    }
}

/// Whether the database survives the loss of a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// A standby in another zone, failed over to automatically.
    MultiAz,
    /// One zone only: an explicit exception to the secure default, whose reason (your
    /// words, never the library's) is recorded in the template's metadata for scanners
    /// and reviewers. An empty reason is refused.
    SingleAz {
        /// Why one zone is acceptable here.
        reason: String,
    },
}

impl Availability {
    /// One zone only, for `reason`.
    pub fn single_az(reason: impl Into<String>) -> Self {
        Availability::SingleAz {
            reason: reason.into(),
        }
    }
}

/// How the database runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deployment {
    /// One RDS instance (with its Multi-AZ standby).
    Instance {
        /// The instance class, such as `db.t3.medium`.
        class: String,
        /// Zone redundancy.
        availability: Availability,
        /// gp3 storage at creation, in GiB.
        allocated_storage_gib: u32,
        /// Storage autoscaling ceiling, in GiB.
        max_allocated_storage_gib: u32,
    },
    /// An Aurora PostgreSQL cluster: one writer and `readers` readers in other zones.
    Aurora {
        /// The class of every instance, such as `db.r6g.large`.
        class: String,
        /// How many readers (0 to 15).
        readers: u32,
    },
}

/// Settings of a [`PostgresDb`]. `Default` is [`PostgresDbProps::production`]: every
/// default is a secure production choice for any team.
#[derive(Debug, Clone, PartialEq)]
pub struct PostgresDbProps {
    /// Engine version. Default: 17.6.
    pub version: PostgresVersion,
    /// Instance or Aurora. Default: one `db.t3.medium` instance, Multi-AZ, gp3 100 GiB
    /// growing to 500 GiB.
    pub deployment: Deployment,
    /// A database created at launch. Default: none, so RDS creates only PostgreSQL's own
    /// `postgres` database; name your application's database here.
    pub database_name: Option<String>,
    /// The master user; its password is generated and kept by RDS in Secrets Manager,
    /// encrypted with the database key and rotated by RDS. Default: `dbadmin` (not
    /// `postgres`, which RDS reserves).
    pub master_username: String,
    /// Days of automated backups (1 to 35). Default: 7.
    pub backup_retention_days: u32,
    /// Daily backup window, UTC, as `hh:mm-hh:mm`, at least 30 minutes. Default: none, so
    /// RDS picks a 30-minute window in the region's night.
    pub backup_window: Option<String>,
    /// Weekly maintenance window, UTC, as `ddd:hh:mm-ddd:hh:mm`, at least 30 minutes,
    /// not overlapping the backup window. Default: none, so RDS picks one.
    pub maintenance_window: Option<String>,
    /// Refuse deletion until turned off. Default: on.
    pub deletion_protection: bool,
    /// What happens to the data when the stack lets go of it. Default: `Snapshot`.
    pub removal_policy: RemovalPolicy,
    /// Performance Insights retention in days (7 is free); `None` turns it off.
    /// Default: 7.
    pub performance_insights_days: Option<u32>,
    /// Enhanced monitoring interval in seconds (1, 5, 10, 15, 30, 60; 0 is off).
    /// Default: 60.
    pub monitoring_interval_seconds: u32,
    /// Logs exported to CloudWatch Logs. Default: `postgresql`, `upgrade`.
    pub log_exports: Vec<String>,
    /// IAM database authentication. Default: on.
    pub iam_authentication: bool,
    /// Minor version upgrades in the maintenance window. Default: on.
    pub auto_minor_version_upgrade: bool,
    /// Engine parameters. Default: `rds.force_ssl = 1`, so clients must use TLS.
    pub parameters: IndexMap<String, String>,
    /// The parameter group family; must match the version. Default: derived from the
    /// version.
    pub parameter_group_family: Option<String>,
    /// The key for storage, the master secret and Performance Insights. Default: a key of
    /// the database's own.
    pub key: Option<Key>,
    /// The subnets it lives in. Default: isolated (no route to the internet).
    pub subnets: SubnetKind,
    /// The port. Default: 5432, PostgreSQL's own.
    pub port: u16,
}

impl Default for PostgresDbProps {
    fn default() -> Self {
        PostgresDbProps::production()
    }
}

impl PostgresDbProps {
    /// Production-grade: RDS PostgreSQL 17, db.t3.medium, Multi-AZ, gp3 100 to 500 GiB,
    /// 7-day backups, deletion protection, snapshot on removal, Performance Insights,
    /// enhanced monitoring, TLS only, IAM authentication.
    pub fn production() -> Self {
        PostgresDbProps {
            version: PostgresVersion::V17_6,
            deployment: Deployment::Instance {
                class: "db.t3.medium".into(),
                availability: Availability::MultiAz,
                allocated_storage_gib: 100,
                max_allocated_storage_gib: 500,
            },
            database_name: None,
            master_username: "dbadmin".into(),
            backup_retention_days: 7,
            backup_window: None,
            maintenance_window: None,
            deletion_protection: true,
            removal_policy: RemovalPolicy::Snapshot,
            performance_insights_days: Some(7),
            monitoring_interval_seconds: 60,
            log_exports: vec!["postgresql".into(), "upgrade".into()],
            iam_authentication: true,
            auto_minor_version_upgrade: true,
            parameters: IndexMap::from([("rds.force_ssl".to_string(), "1".to_string())]),
            parameter_group_family: None,
            key: None,
            subnets: SubnetKind::Isolated,
            port: 5432,
        }
    }

    /// Cheap non-production: smaller storage (20 GiB growing to 100 GiB), no deletion
    /// protection, deleted with its stack; still Multi-AZ, encrypted, private, TLS-only,
    /// with no literal secret. One zone halves the bill but is an exception to the
    /// secure default: ask for it with [`PostgresDbProps::single_az`] and your reason.
    pub fn staging() -> Self {
        PostgresDbProps {
            deployment: Deployment::Instance {
                class: "db.t3.medium".into(),
                availability: Availability::MultiAz,
                allocated_storage_gib: 20,
                max_allocated_storage_gib: 100,
            },
            deletion_protection: false,
            removal_policy: RemovalPolicy::Delete,
            ..PostgresDbProps::production()
        }
    }

    /// Production-grade Aurora PostgreSQL: `db.r6g.large`, a writer and one reader in
    /// another zone to fail over to, otherwise as [`PostgresDbProps::production`].
    pub fn aurora_production() -> Self {
        PostgresDbProps {
            deployment: Deployment::Aurora {
                class: "db.r6g.large".into(),
                readers: 1,
            },
            ..PostgresDbProps::production()
        }
    }

    /// These props with the instance in one zone only, for `reason` (recorded in the
    /// template, see [`Availability::SingleAz`]). Aurora deployments are left as they are:
    /// a cluster without readers is already in one zone.
    pub fn single_az(mut self, reason: impl Into<String>) -> Self {
        if let Deployment::Instance { availability, .. } = &mut self.deployment {
            *availability = Availability::single_az(reason);
        }
        self
    }
}

fn is_instance_class(class: &str) -> bool {
    let parts: Vec<&str> = class.split('.').collect();
    let sizes = ["micro", "small", "medium", "large", "xlarge", "metal"];
    parts.len() == 3
        && parts[0] == "db"
        && parts[1].len() >= 2
        && parts[1].starts_with(|c: char| c.is_ascii_lowercase())
        && parts[1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && parts[1].chars().any(|c| c.is_ascii_digit())
        && (sizes.contains(&parts[2])
            || parts[2]
                .strip_suffix("xlarge")
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())))
}

fn is_database_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn validate(path: &str, props: &PostgresDbProps, vpc: &Vpc) -> Result<(), ConstructError> {
    let mut p = Problems::new(path);
    p.check(
        (1..=35).contains(&props.backup_retention_days),
        "backup_retention_days",
        || props.backup_retention_days.to_string(),
        "RDS keeps automated backups 1 to 35 days",
        "use 1 to 35 days, and AWS Backup for longer retention",
    );
    let family = props.parameter_group_family.clone();
    let (class, expected_family) = match &props.deployment {
        Deployment::Instance {
            class,
            availability,
            allocated_storage_gib,
            max_allocated_storage_gib,
        } => {
            p.check(
                max_allocated_storage_gib >= allocated_storage_gib,
                "deployment.max_allocated_storage_gib",
                || max_allocated_storage_gib.to_string(),
                format!(
                    "the autoscaling ceiling is below deployment.allocated_storage_gib, {allocated_storage_gib}"
                ),
                "set the autoscaling ceiling at or above the initial size",
            );
            p.check(
                (20..=65536).contains(allocated_storage_gib),
                "deployment.allocated_storage_gib",
                || allocated_storage_gib.to_string(),
                "gp3 volumes for PostgreSQL are 20 to 65,536 GiB",
                "allocate 20 to 65,536 GiB",
            );
            if let Availability::SingleAz { reason } = availability {
                p.check(
                    !reason.trim().is_empty(),
                    "deployment.availability",
                    || "SingleAz with an empty reason".to_string(),
                    "one zone is an exception to the secure default and needs a reason",
                    "say why one zone is acceptable here; the reason is recorded in the template for reviewers and scanners",
                );
            }
            if *availability == Availability::MultiAz {
                p.check(
                    vpc.az_count() >= 2,
                    "deployment.availability",
                    || "Availability::MultiAz".to_string(),
                    format!(
                        "Multi-AZ keeps a standby in another zone, but the VPC spans {} zone",
                        vpc.az_count()
                    ),
                    "give the VPC two or more zones, or use Availability::SingleAz with a reason",
                );
            }
            (class, props.version.family())
        }
        Deployment::Aurora { class, readers } => {
            p.check(
                *readers <= 15,
                "deployment.readers",
                || readers.to_string(),
                "Aurora takes at most 15 readers",
                "use 0 to 15 readers",
            );
            p.check(
                *readers == 0 || vpc.az_count() >= 2,
                "deployment.readers",
                || readers.to_string(),
                format!("Aurora readers in a VPC of {} zone", vpc.az_count()),
                "readers belong in other zones: give the VPC two or more",
            );
            (class, props.version.aurora_family())
        }
    };
    p.check(
        is_instance_class(class),
        "deployment.class",
        || quote(class),
        "not a DB instance class",
        "write it like db.t3.medium or db.r6g.large",
    );
    if let Some(f) = &family {
        p.check(
            *f == expected_family,
            "parameter_group_family",
            || quote(f),
            format!(
                "the family does not match PostgreSQL {}",
                props.version.as_string()
            ),
            format!("use '{expected_family}', or leave the family unset to derive it"),
        );
    }
    p.check(
        [0, 1, 5, 10, 15, 30, 60].contains(&props.monitoring_interval_seconds),
        "monitoring_interval_seconds",
        || props.monitoring_interval_seconds.to_string(),
        "not an interval enhanced monitoring offers",
        "use 0 (off), 1, 5, 10, 15, 30 or 60",
    );
    if let Some(d) = props.performance_insights_days {
        p.check(
            d == 7 || d == 731 || (d % 31 == 0 && (31..=713).contains(&d)),
            "performance_insights_days",
            || d.to_string(),
            "not a retention Performance Insights offers",
            "use 7 (free), a multiple of 31 up to 713, or 731",
        );
    }
    p.check(
        vpc.subnets(props.subnets).len() >= 2 && vpc.az_count() >= 2,
        "subnets",
        || format!("SubnetKind::{:?}", props.subnets),
        format!(
            "the VPC has {} subnet(s) of this kind, in {} zone(s)",
            vpc.subnets(props.subnets).len(),
            vpc.az_count()
        ),
        "RDS subnet groups need subnets in at least two zones",
    );
    if let Some(name) = &props.database_name {
        p.check(
            is_database_name(name),
            "database_name",
            || quote(name),
            "not a PostgreSQL database name RDS creates",
            "use 1 to 63 letters, digits and _, starting with a letter",
        );
    }
    p.check(
        !props.master_username.is_empty()
            && props.master_username.len() <= 63
            && props
                .master_username
                .starts_with(|c: char| c.is_ascii_alphabetic())
            && props
                .master_username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !["postgres", "rdsadmin", "admin"].contains(&props.master_username.as_str()),
        "master_username",
        || quote(&props.master_username),
        "RDS takes 1 to 63 letters, digits and _, and reserves postgres, rdsadmin and admin",
        "use letters, digits and _, starting with a letter; not a reserved name",
    );
    p.finish()
}

/// A PostgreSQL database in private subnets, encrypted, TLS-only, with credentials that
/// never appear in a template.
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::{database::{PostgresDb, PostgresDbProps}, vpc::{Vpc, VpcProps}};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let vpc = Vpc::new(&stack, "Network", VpcProps::production()).unwrap();
/// let db = PostgresDb::new(&stack, "Database", &vpc, PostgresDbProps {
///     database_name: Some("orders".into()),
///     ..PostgresDbProps::production()
/// }).unwrap();
/// let _host = db.endpoint_address();
/// ```
#[derive(Clone)]
pub struct PostgresDb {
    node: Construct,
    key: Key,
    security_group: SecurityGroup,
    resources: DatabaseResources,
    port: u16,
    class: String,
}

/// The L1 resources a [`PostgresDb`] is made of: one instance, or an Aurora cluster with
/// its writer and readers.
#[derive(Debug, Clone)]
pub enum DatabaseResources {
    /// A standalone RDS instance (with its Multi-AZ standby, when asked for).
    Instance {
        /// The instance, at the construct's own path.
        instance: Resource<rds::DbInstance>,
        /// The storage allocated at creation, in GiB.
        allocated_storage_gib: u32,
    },
    /// An Aurora cluster.
    Aurora {
        /// The cluster, at the construct's own path.
        cluster: Resource<rds::DbCluster>,
        /// The writer instance (`Writer`).
        writer: Resource<rds::DbInstance>,
        /// The readers (`Reader1`, `Reader2`, ...).
        readers: Vec<Resource<rds::DbInstance>>,
    },
}

/// What the instance and the cluster variants both need, made once.
struct Shared<'a> {
    node: &'a Construct,
    props: &'a PostgresDbProps,
    key: &'a Key,
    subnet_group: Resource<rds::DbSubnetGroup>,
    security_group: &'a SecurityGroup,
    monitoring_role: Option<Role>,
    parameters: Value<stackwright_core::Json>,
}

impl Shared<'_> {
    fn monitoring_interval(&self) -> Option<Value<i64>> {
        let seconds = self.props.monitoring_interval_seconds;
        (seconds > 0).then(|| i64::from(seconds).into())
    }

    fn performance_insights_days(&self) -> Option<Value<i64>> {
        self.props
            .performance_insights_days
            .map(|d| i64::from(d).into())
    }

    fn performance_insights_key(&self) -> Option<Value<String>> {
        self.props.performance_insights_days.map(|_| self.key.arn())
    }

    fn monitoring_role_arn(&self) -> Option<Value<String>> {
        self.monitoring_role.as_ref().map(Role::arn)
    }

    fn description(&self, what: &str) -> String {
        format!("{what} of {}", self.node.path())
    }
}

impl PostgresDb {
    /// Creates the database under `scope` in `vpc`.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        vpc: &Vpc,
        props: PostgresDbProps,
    ) -> Result<PostgresDb, ConstructError> {
        let node = Construct::new(scope, id)?;
        validate(&node.path(), &props, vpc)?;
        let key = Key::given_or_own(
            props.key.as_ref(),
            &node,
            props.removal_policy,
            "Database storage, master secret and Performance Insights",
        )?;
        let subnet_group = Resource::new(
            &node,
            "SubnetGroup",
            rds::DbSubnetGroup::new(
                format!("Subnets of {}", node.path()),
                vpc.subnet_ids(props.subnets),
            ),
        )?;
        let security_group = SecurityGroup::new(
            &node,
            "SecurityGroup",
            SecurityGroupProps {
                vpc_id: vpc.vpc_id(),
                description: format!("PostgreSQL {}", node.path()),
            },
        )?;
        let shared = Shared {
            node: &node,
            props: &props,
            key: &key,
            subnet_group,
            security_group: &security_group,
            monitoring_role: monitoring_role(&node, &props)?,
            parameters: parameters(&props.parameters),
        };
        let (resources, class) = match &props.deployment {
            Deployment::Instance {
                class,
                availability,
                allocated_storage_gib,
                max_allocated_storage_gib,
            } => {
                let storage = (*allocated_storage_gib, *max_allocated_storage_gib);
                let instance = instance(&shared, class, availability, storage)?;
                let resources = DatabaseResources::Instance {
                    instance,
                    allocated_storage_gib: *allocated_storage_gib,
                };
                (resources, class)
            }
            Deployment::Aurora { class, readers } => (aurora(&shared, class, *readers)?, class),
        };
        Ok(PostgresDb {
            node: node.clone(),
            key: key.clone(),
            security_group: security_group.clone(),
            resources,
            port: props.port,
            class: class.clone(),
        })
    }
}

/// The role enhanced monitoring publishes with, when it is on.
fn monitoring_role(
    node: &Construct,
    props: &PostgresDbProps,
) -> Result<Option<Role>, ConstructError> {
    if props.monitoring_interval_seconds == 0 {
        return Ok(None);
    }
    let role = Role::new(
        node,
        "MonitoringRole",
        RoleProps {
            description: Some("Lets RDS publish enhanced monitoring metrics".into()),
            managed_policy_arns: vec![aws_managed_policy(
                "service-role/AmazonRDSEnhancedMonitoringRole",
            )],
            ..RoleProps::for_service("monitoring.rds.amazonaws.com")
        },
    )?;
    Ok(Some(role))
}

fn parameters(parameters: &IndexMap<String, String>) -> Value<stackwright_core::Json> {
    Value::from_expr(stackwright_core::Expr::Object(
        parameters
            .iter()
            .map(|(k, v)| (k.clone(), stackwright_core::Expr::str(v)))
            .collect(),
    ))
}

/// A standalone instance with its parameter group.
fn instance(
    s: &Shared<'_>,
    class: &str,
    availability: &Availability,
    (allocated_gib, max_allocated_gib): (u32, u32),
) -> Result<Resource<rds::DbInstance>, ConstructError> {
    let props = s.props;
    let family = props
        .parameter_group_family
        .clone()
        .unwrap_or_else(|| props.version.family());
    let params = Resource::new(
        s.node,
        "ParameterGroup",
        rds::DbParameterGroup {
            parameters: Some(s.parameters.clone()),
            ..rds::DbParameterGroup::new(s.description("Parameters"), family)
        },
    )?;
    let instance = Resource::new(
        s.node,
        "Resource",
        rds::DbInstance {
            engine: Some("postgres".into()),
            engine_version: Some(props.version.as_string().into()),
            db_instance_class: Some(class.into()),
            allocated_storage: Some(allocated_gib.to_string().into()),
            max_allocated_storage: Some(i64::from(max_allocated_gib).into()),
            storage_type: Some("gp3".into()),
            storage_encrypted: Some(true.into()),
            kms_key_id: Some(s.key.arn()),
            multi_az: Some((*availability == Availability::MultiAz).into()),
            db_name: props.database_name.as_deref().map(Into::into),
            master_username: Some(props.master_username.as_str().into()),
            manage_master_user_password: Some(true.into()),
            master_user_secret: Some(rds::db_instance::MasterUserSecret {
                kms_key_id: Some(s.key.arn()),
            }),
            db_subnet_group_name: Some(s.subnet_group.ref_()),
            vpc_security_groups: Some(vec![s.security_group.group_id()].into()),
            db_parameter_group_name: Some(params.ref_()),
            backup_retention_period: Some(i64::from(props.backup_retention_days).into()),
            preferred_backup_window: props.backup_window.as_deref().map(Into::into),
            preferred_maintenance_window: props.maintenance_window.as_deref().map(Into::into),
            deletion_protection: Some(props.deletion_protection.into()),
            enable_performance_insights: Some(props.performance_insights_days.is_some().into()),
            performance_insights_kms_key_id: s.performance_insights_key(),
            performance_insights_retention_period: s.performance_insights_days(),
            monitoring_interval: s.monitoring_interval(),
            monitoring_role_arn: s.monitoring_role_arn(),
            enable_cloudwatch_logs_exports: Some(props.log_exports.clone().into()),
            enable_iam_database_authentication: Some(props.iam_authentication.into()),
            auto_minor_version_upgrade: Some(props.auto_minor_version_upgrade.into()),
            copy_tags_to_snapshot: Some(true.into()),
            publicly_accessible: Some(false.into()),
            port: Some(props.port.to_string().into()),
            ..Default::default()
        },
    )?;
    instance.apply_removal_policy(props.removal_policy);
    if let Availability::SingleAz { reason } = availability {
        opt_out::record(
            &instance,
            &[OptOut {
                check: "CKV_AWS_157",
                reason: reason.clone(),
            }],
        );
    }
    Ok(instance)
}

/// An Aurora cluster with its parameter group, writer and readers.
fn aurora(s: &Shared<'_>, class: &str, readers: u32) -> Result<DatabaseResources, ConstructError> {
    let props = s.props;
    let family = props
        .parameter_group_family
        .clone()
        .unwrap_or_else(|| props.version.aurora_family());
    let params = Resource::new(
        s.node,
        "ClusterParameterGroup",
        rds::DbClusterParameterGroup::new(
            s.description("Parameters"),
            family,
            s.parameters.clone(),
        ),
    )?;
    let cluster = Resource::new(
        s.node,
        "Resource",
        rds::DbCluster {
            engine: Some("aurora-postgresql".into()),
            engine_version: Some(props.version.as_string().into()),
            storage_encrypted: Some(true.into()),
            kms_key_id: Some(s.key.arn()),
            database_name: props.database_name.as_deref().map(Into::into),
            master_username: Some(props.master_username.as_str().into()),
            manage_master_user_password: Some(true.into()),
            master_user_secret: Some(rds::db_cluster::MasterUserSecret {
                kms_key_id: Some(s.key.arn()),
            }),
            db_subnet_group_name: Some(s.subnet_group.ref_()),
            vpc_security_group_ids: Some(vec![s.security_group.group_id()].into()),
            db_cluster_parameter_group_name: Some(params.ref_()),
            backup_retention_period: Some(i64::from(props.backup_retention_days).into()),
            preferred_backup_window: props.backup_window.as_deref().map(Into::into),
            preferred_maintenance_window: props.maintenance_window.as_deref().map(Into::into),
            deletion_protection: Some(props.deletion_protection.into()),
            // Aurora PostgreSQL exports only the `postgresql` log.
            enable_cloudwatch_logs_exports: Some(
                props
                    .log_exports
                    .iter()
                    .filter(|l| *l == "postgresql")
                    .cloned()
                    .collect::<Vec<_>>()
                    .into(),
            ),
            enable_iam_database_authentication: Some(props.iam_authentication.into()),
            copy_tags_to_snapshot: Some(true.into()),
            port: Some(i64::from(props.port).into()),
            ..Default::default()
        },
    )?;
    cluster.apply_removal_policy(props.removal_policy);
    let member = |id: &str, tier: u32| {
        let inst = Resource::new(
            s.node,
            id,
            rds::DbInstance {
                engine: Some("aurora-postgresql".into()),
                db_cluster_identifier: Some(cluster.ref_()),
                db_instance_class: Some(class.into()),
                enable_performance_insights: Some(props.performance_insights_days.is_some().into()),
                performance_insights_kms_key_id: s.performance_insights_key(),
                performance_insights_retention_period: s.performance_insights_days(),
                monitoring_interval: s.monitoring_interval(),
                monitoring_role_arn: s.monitoring_role_arn(),
                auto_minor_version_upgrade: Some(props.auto_minor_version_upgrade.into()),
                publicly_accessible: Some(false.into()),
                promotion_tier: Some(i64::from(tier.min(15)).into()),
                ..Default::default()
            },
        )?;
        // The cluster holds the data; its members are replaceable compute.
        inst.apply_removal_policy(RemovalPolicy::Delete);
        Ok::<_, ConstructError>(inst)
    };
    let writer = member("Writer", 0)?;
    let readers = (1..=readers)
        .map(|i| member(&format!("Reader{i}"), i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DatabaseResources::Aurora {
        cluster,
        writer,
        readers,
    })
}

impl PostgresDb {
    /// The host clients connect to: the instance's, or the Aurora writer endpoint.
    pub fn endpoint_address(&self) -> Value<String> {
        match &self.resources {
            DatabaseResources::Instance { instance, .. } => instance.attr_endpoint_address(),
            DatabaseResources::Aurora { cluster, .. } => cluster.attr_endpoint_address(),
        }
    }

    /// The port, as a string token (how RDS reports it).
    pub fn endpoint_port(&self) -> Value<String> {
        match &self.resources {
            DatabaseResources::Instance { instance, .. } => instance.attr_endpoint_port(),
            DatabaseResources::Aurora { cluster, .. } => cluster.attr_endpoint_port(),
        }
    }

    /// Aurora's reader endpoint, balancing over the readers.
    pub fn reader_endpoint_address(&self) -> Option<Value<String>> {
        self.cluster().map(|c| c.attr_read_endpoint_address())
    }

    /// The master user's secret, generated and rotated by RDS, encrypted with the database
    /// key. Grant reading it to whatever connects as the master user.
    pub fn secret(&self) -> Secret {
        let arn = match &self.resources {
            DatabaseResources::Instance { instance, .. } => {
                instance.attr_master_user_secret_secret_arn()
            }
            DatabaseResources::Aurora { cluster, .. } => {
                cluster.attr_master_user_secret_secret_arn()
            }
        };
        Secret::from_arn(arn, Some(self.key.clone()))
    }

    /// The database's key.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The L1 resources: the instance, or the cluster with its writer and readers.
    pub fn resources(&self) -> &DatabaseResources {
        &self.resources
    }

    /// The instance clients write to: the standalone instance, or the Aurora writer.
    pub fn instance(&self) -> &Resource<rds::DbInstance> {
        match &self.resources {
            DatabaseResources::Instance { instance, .. } => instance,
            DatabaseResources::Aurora { writer, .. } => writer,
        }
    }

    /// The Aurora cluster; `None` for a standalone instance.
    pub fn cluster(&self) -> Option<&Resource<rds::DbCluster>> {
        match &self.resources {
            DatabaseResources::Instance { .. } => None,
            DatabaseResources::Aurora { cluster, .. } => Some(cluster),
        }
    }

    /// The Aurora readers; empty for a standalone instance.
    pub fn readers(&self) -> &[Resource<rds::DbInstance>] {
        match &self.resources {
            DatabaseResources::Instance { .. } => &[],
            DatabaseResources::Aurora { readers, .. } => readers,
        }
    }

    fn dimension(&self) -> (String, Value<String>) {
        match &self.resources {
            DatabaseResources::Instance { instance, .. } => {
                ("DBInstanceIdentifier".into(), instance.ref_())
            }
            DatabaseResources::Aurora { cluster, .. } => {
                ("DBClusterIdentifier".into(), cluster.ref_())
            }
        }
    }

    /// CPU utilisation, percent.
    pub fn metric_cpu(&self) -> Metric {
        Metric::new(
            "AWS/RDS",
            "CPUUtilization",
            vec![self.dimension()],
            "Percent",
        )
    }

    /// Free storage, bytes (instances; Aurora storage grows by itself).
    pub fn metric_free_storage(&self) -> Metric {
        Metric::new(
            "AWS/RDS",
            "FreeStorageSpace",
            vec![self.dimension()],
            "Bytes",
        )
        .with_statistic(Statistic::Minimum)
    }

    /// Open connections.
    pub fn metric_connections(&self) -> Metric {
        Metric::new(
            "AWS/RDS",
            "DatabaseConnections",
            vec![self.dimension()],
            "Count",
        )
        .with_statistic(Statistic::Maximum)
    }

    /// Replica lag in seconds (Aurora readers), milliseconds for `AuroraReplicaLag`.
    pub fn metric_replica_lag(&self) -> Metric {
        if self.is_aurora() {
            Metric::new(
                "AWS/RDS",
                "AuroraReplicaLag",
                vec![self.dimension()],
                "Milliseconds",
            )
            .with_statistic(Statistic::Maximum)
        } else {
            Metric::new("AWS/RDS", "ReplicaLag", vec![self.dimension()], "Seconds")
                .with_statistic(Statistic::Maximum)
        }
    }

    /// Whether this is an Aurora cluster.
    pub fn is_aurora(&self) -> bool {
        matches!(self.resources, DatabaseResources::Aurora { .. })
    }

    /// The instance class (of every instance, for Aurora).
    pub fn instance_class(&self) -> &str {
        &self.class
    }

    /// The storage allocated at creation, in GiB (instances; Aurora storage grows by itself).
    pub fn allocated_storage_gib(&self) -> Option<u32> {
        match &self.resources {
            DatabaseResources::Instance {
                allocated_storage_gib,
                ..
            } => Some(*allocated_storage_gib),
            DatabaseResources::Aurora { .. } => None,
        }
    }
}

impl Connectable for PostgresDb {
    fn connections(&self) -> Connections {
        Connections::new(
            vec![self.security_group.clone()],
            Some(Port::tcp(self.port)),
        )
    }
}

impl Scope for PostgresDb {
    fn scope_ref(&self) -> (stackwright_core::AppRef, stackwright_core::ElementId) {
        self.node.scope_ref()
    }
}

// What `Alarms::watch` adds for this construct.
/// PostgreSQL's `max_connections` on RDS: the instance memory over 9,531,392 bytes, at
/// most 5,000. Memory per class from its family letter and size.
fn max_connections(class: &str) -> Option<f64> {
    let mut parts = class.split('.');
    let (_, family, size) = (parts.next()?, parts.next()?, parts.next()?);
    let per_large_gib: f64 = match family.chars().next()? {
        't' | 'm' => 8.0,
        'r' | 'x' | 'z' => 16.0,
        'c' => 4.0,
        _ => return None,
    };
    let gib = match size {
        "micro" if family.starts_with('t') => 1.0,
        "small" if family.starts_with('t') => 2.0,
        "medium" if family.starts_with('t') => 4.0,
        "large" => per_large_gib,
        "xlarge" => per_large_gib * 2.0,
        s => s.strip_suffix("xlarge")?.parse::<f64>().ok()? * per_large_gib * 2.0,
    };
    Some(
        (gib * 1024.0 * 1024.0 * 1024.0 / 9_531_392.0)
            .floor()
            .min(5000.0),
    )
}

impl Watchable for PostgresDb {
    fn watch_name(&self) -> String {
        last_segment(&self.path())
    }

    fn alarm_specs(&self, t: &Thresholds) -> Vec<AlarmSpec> {
        let mut specs = vec![AlarmSpec {
            id: "Cpu".into(),
            description: format!("CPU above {}% for 15 minutes", t.database_cpu_percent),
            metric: AlarmMetric::Single(self.metric_cpu()),
            above: true,
            threshold: t.database_cpu_percent,
            evaluation_periods: 3,
            datapoints_to_alarm: 3,
            missing: MissingData::Breaching,
        }];
        if let Some(gib) = self.allocated_storage_gib() {
            specs.push(AlarmSpec {
                id: "FreeStorage".into(),
                description: format!(
                    "less than {}% of the allocated storage is free",
                    t.database_free_storage_percent
                ),
                metric: AlarmMetric::Single(self.metric_free_storage()),
                above: false,
                threshold: (f64::from(gib)
                    * 1024.0
                    * 1024.0
                    * 1024.0
                    * t.database_free_storage_percent
                    / 100.0)
                    .round(),
                evaluation_periods: 1,
                datapoints_to_alarm: 1,
                missing: MissingData::Breaching,
            });
        }
        if let Some(max) = max_connections(self.instance_class()) {
            specs.push(AlarmSpec {
                id: "Connections".into(),
                description: format!(
                    "more than {}% of max_connections ({max}) in use",
                    t.database_connections_percent
                ),
                metric: AlarmMetric::Single(self.metric_connections()),
                above: true,
                threshold: (max * t.database_connections_percent / 100.0).floor(),
                evaluation_periods: 3,
                datapoints_to_alarm: 3,
                missing: MissingData::Ignore,
            });
        }
        if self.is_aurora() {
            specs.push(AlarmSpec {
                id: "ReplicaLag".into(),
                description: format!(
                    "a reader lags more than {} ms behind the writer",
                    t.replica_lag_ms
                ),
                metric: AlarmMetric::Single(self.metric_replica_lag()),
                above: true,
                threshold: t.replica_lag_ms,
                evaluation_periods: 3,
                datapoints_to_alarm: 3,
                missing: MissingData::Ignore,
            });
        }
        specs
    }

    fn graphs(&self) -> Vec<Graph> {
        let name = self.watch_name();
        let mut g = vec![
            Graph {
                title: format!("{name}: CPU (%)"),
                metrics: vec![self.metric_cpu()],
            },
            Graph {
                title: format!("{name}: connections"),
                metrics: vec![self.metric_connections()],
            },
        ];
        if self.allocated_storage_gib().is_some() {
            g.push(Graph {
                title: format!("{name}: free storage (bytes)"),
                metrics: vec![self.metric_free_storage()],
            });
        }
        if self.is_aurora() {
            g.push(Graph {
                title: format!("{name}: replica lag (ms)"),
                metrics: vec![self.metric_replica_lag()],
            });
        }
        g
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_connections_follow_rds_formula() {
        assert_eq!(max_connections("db.t3.medium"), Some(450.0));
        assert_eq!(max_connections("db.r6g.large"), Some(1802.0));
        assert_eq!(max_connections("db.r6g.16xlarge"), Some(5000.0));
        assert_eq!(max_connections("db.q9.large"), None);
    }
}
