//! PostgreSQL on RDS: a Multi-AZ instance (FlowViz) or an Aurora cluster with readers.

use indexmap::IndexMap;
use stackwright_core::l1::rds;
use stackwright_core::{Construct, RemovalPolicy, Resource, Scope, Value};

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
    /// One zone only: an explicit exception, whose reason is recorded in the template.
    SingleAz {
        /// Why one zone is acceptable here.
        reason: String,
    },
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

/// Settings of a [`PostgresDb`]. Every default is the FlowViz production choice.
#[derive(Debug, Clone, PartialEq)]
pub struct PostgresDbProps {
    /// Engine version. Default 17.6.
    pub version: PostgresVersion,
    /// Instance or Aurora. Default: `db.t3.medium`, Multi-AZ, gp3 100 GiB growing to 500.
    pub deployment: Deployment,
    /// The database created at launch. Default `flowviz`.
    pub database_name: String,
    /// The master user; its password is generated and kept by RDS in Secrets Manager,
    /// encrypted with the database key and rotated by RDS. Default `flowviz`.
    pub master_username: String,
    /// Days of automated backups (1 to 35). Default 7.
    pub backup_retention_days: u32,
    /// Daily backup window, UTC. Default `03:00-04:00`.
    pub backup_window: String,
    /// Weekly maintenance window, UTC. Default `sun:04:00-sun:05:00`.
    pub maintenance_window: String,
    /// Refuse deletion until turned off. Default on.
    pub deletion_protection: bool,
    /// What happens to the data when the stack lets go of it. Default `Snapshot`.
    pub removal_policy: RemovalPolicy,
    /// Performance Insights retention in days (7 is free); `None` turns it off. Default 7.
    pub performance_insights_days: Option<u32>,
    /// Enhanced monitoring interval in seconds (1, 5, 10, 15, 30, 60; 0 is off). Default 60.
    pub monitoring_interval_seconds: u32,
    /// Logs exported to CloudWatch Logs. Default `postgresql`, `upgrade`.
    pub log_exports: Vec<String>,
    /// IAM database authentication. Default on.
    pub iam_authentication: bool,
    /// Minor version upgrades in the maintenance window. Default on.
    pub auto_minor_version_upgrade: bool,
    /// Engine parameters. Default `rds.force_ssl = 1`: clients must use TLS.
    pub parameters: IndexMap<String, String>,
    /// The parameter group family; must match the version. Default: derived from it.
    pub parameter_group_family: Option<String>,
    /// The key for storage, the master secret and Performance Insights. Default: a key of
    /// the database's own.
    pub key: Option<Key>,
    /// The subnets it lives in. Default: isolated (no route to the internet).
    pub subnets: SubnetKind,
    /// The port. Default 5432.
    pub port: u16,
}

impl Default for PostgresDbProps {
    fn default() -> Self {
        PostgresDbProps::production()
    }
}

impl PostgresDbProps {
    /// FlowViz production: RDS PostgreSQL 17, db.t3.medium, Multi-AZ, gp3 100 to 500 GiB,
    /// 7-day backups, deletion protection, Performance Insights, enhanced monitoring.
    pub fn production() -> Self {
        PostgresDbProps {
            version: PostgresVersion::V17_6,
            deployment: Deployment::Instance {
                class: "db.t3.medium".into(),
                availability: Availability::MultiAz,
                allocated_storage_gib: 100,
                max_allocated_storage_gib: 500,
            },
            database_name: "flowviz".into(),
            master_username: "flowviz".into(),
            backup_retention_days: 7,
            backup_window: "03:00-04:00".into(),
            maintenance_window: "sun:04:00-sun:05:00".into(),
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

    /// FlowViz staging: single-AZ (reason recorded), no deletion protection, smaller
    /// storage; still encrypted, private, TLS-only, with no literal secret.
    pub fn staging() -> Self {
        PostgresDbProps {
            deployment: Deployment::Instance {
                class: "db.t3.medium".into(),
                availability: Availability::SingleAz {
                    reason: "staging runs in one zone to halve the database bill; production is Multi-AZ".into(),
                },
                allocated_storage_gib: 20,
                max_allocated_storage_gib: 100,
            },
            deletion_protection: false,
            removal_policy: RemovalPolicy::Delete,
            ..PostgresDbProps::production()
        }
    }

    /// The larger architecture: Aurora PostgreSQL, a writer and two readers, 35-day backups.
    pub fn aurora_production() -> Self {
        PostgresDbProps {
            deployment: Deployment::Aurora {
                class: "db.r6g.large".into(),
                readers: 2,
            },
            backup_retention_days: 35,
            ..PostgresDbProps::production()
        }
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
/// let db = PostgresDb::new(&stack, "Database", &vpc, PostgresDbProps::production()).unwrap();
/// let _host = db.endpoint_address();
/// ```
#[derive(Clone)]
pub struct PostgresDb {
    node: Construct,
    key: Key,
    security_group: SecurityGroup,
    instance: Option<Resource<rds::DbInstance>>,
    cluster: Option<Resource<rds::DbCluster>>,
    readers: Vec<Resource<rds::DbInstance>>,
    port: u16,
    class: String,
    allocated_storage_gib: Option<u32>,
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
        let monitoring_role = if props.monitoring_interval_seconds > 0 {
            Some(Role::new(
                &node,
                "MonitoringRole",
                RoleProps {
                    description: Some("Lets RDS publish enhanced monitoring metrics".into()),
                    managed_policy_arns: vec![aws_managed_policy(
                        "service-role/AmazonRDSEnhancedMonitoringRole",
                    )],
                    ..RoleProps::for_service("monitoring.rds.amazonaws.com")
                },
            )?)
        } else {
            None
        };
        let parameters: Value<stackwright_core::Json> =
            Value::from_expr(stackwright_core::Expr::Object(
                props
                    .parameters
                    .iter()
                    .map(|(k, v)| (k.clone(), stackwright_core::Expr::str(v)))
                    .collect(),
            ));
        let mut db = PostgresDb {
            node: node.clone(),
            key: key.clone(),
            security_group,
            instance: None,
            cluster: None,
            readers: Vec::new(),
            port: props.port,
            class: match &props.deployment {
                Deployment::Instance { class, .. } | Deployment::Aurora { class, .. } => {
                    class.clone()
                }
            },
            allocated_storage_gib: match &props.deployment {
                Deployment::Instance {
                    allocated_storage_gib,
                    ..
                } => Some(*allocated_storage_gib),
                Deployment::Aurora { .. } => None,
            },
        };
        let secret = Some(rds::db_instance::MasterUserSecret {
            kms_key_id: Some(key.arn()),
        });
        let monitoring_interval = (props.monitoring_interval_seconds > 0)
            .then(|| i64::from(props.monitoring_interval_seconds).into());
        let pi_days = props.performance_insights_days.map(|d| i64::from(d).into());
        match &props.deployment {
            Deployment::Instance {
                class,
                availability,
                allocated_storage_gib,
                max_allocated_storage_gib,
            } => {
                let family = props
                    .parameter_group_family
                    .clone()
                    .unwrap_or_else(|| props.version.family());
                let params = Resource::new(
                    &node,
                    "ParameterGroup",
                    rds::DbParameterGroup {
                        parameters: Some(parameters),
                        ..rds::DbParameterGroup::new(
                            format!("Parameters of {}", node.path()),
                            family,
                        )
                    },
                )?;
                let instance = Resource::new(
                    &node,
                    "Resource",
                    rds::DbInstance {
                        engine: Some("postgres".into()),
                        engine_version: Some(props.version.as_string().into()),
                        db_instance_class: Some(class.as_str().into()),
                        allocated_storage: Some(allocated_storage_gib.to_string().into()),
                        max_allocated_storage: Some(i64::from(*max_allocated_storage_gib).into()),
                        storage_type: Some("gp3".into()),
                        storage_encrypted: Some(true.into()),
                        kms_key_id: Some(key.arn()),
                        multi_az: Some((*availability == Availability::MultiAz).into()),
                        db_name: Some(props.database_name.as_str().into()),
                        master_username: Some(props.master_username.as_str().into()),
                        manage_master_user_password: Some(true.into()),
                        master_user_secret: secret,
                        db_subnet_group_name: Some(subnet_group.ref_()),
                        vpc_security_groups: Some(vec![db.security_group.group_id()].into()),
                        db_parameter_group_name: Some(params.ref_()),
                        backup_retention_period: Some(
                            i64::from(props.backup_retention_days).into(),
                        ),
                        preferred_backup_window: Some(props.backup_window.as_str().into()),
                        preferred_maintenance_window: Some(
                            props.maintenance_window.as_str().into(),
                        ),
                        deletion_protection: Some(props.deletion_protection.into()),
                        enable_performance_insights: Some(
                            props.performance_insights_days.is_some().into(),
                        ),
                        performance_insights_kms_key_id: props
                            .performance_insights_days
                            .map(|_| key.arn()),
                        performance_insights_retention_period: pi_days,
                        monitoring_interval,
                        monitoring_role_arn: monitoring_role.as_ref().map(Role::arn),
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
                db.instance = Some(instance);
            }
            Deployment::Aurora { class, readers } => {
                let family = props
                    .parameter_group_family
                    .clone()
                    .unwrap_or_else(|| props.version.aurora_family());
                let params = Resource::new(
                    &node,
                    "ClusterParameterGroup",
                    rds::DbClusterParameterGroup::new(
                        format!("Parameters of {}", node.path()),
                        family,
                        parameters,
                    ),
                )?;
                let cluster = Resource::new(
                    &node,
                    "Resource",
                    rds::DbCluster {
                        engine: Some("aurora-postgresql".into()),
                        engine_version: Some(props.version.as_string().into()),
                        storage_encrypted: Some(true.into()),
                        kms_key_id: Some(key.arn()),
                        database_name: Some(props.database_name.as_str().into()),
                        master_username: Some(props.master_username.as_str().into()),
                        manage_master_user_password: Some(true.into()),
                        master_user_secret: Some(rds::db_cluster::MasterUserSecret {
                            kms_key_id: Some(key.arn()),
                        }),
                        db_subnet_group_name: Some(subnet_group.ref_()),
                        vpc_security_group_ids: Some(vec![db.security_group.group_id()].into()),
                        db_cluster_parameter_group_name: Some(params.ref_()),
                        backup_retention_period: Some(
                            i64::from(props.backup_retention_days).into(),
                        ),
                        preferred_backup_window: Some(props.backup_window.as_str().into()),
                        preferred_maintenance_window: Some(
                            props.maintenance_window.as_str().into(),
                        ),
                        deletion_protection: Some(props.deletion_protection.into()),
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
                for i in 0..=*readers {
                    let id = if i == 0 {
                        "Writer".to_string()
                    } else {
                        format!("Reader{i}")
                    };
                    let inst = Resource::new(
                        &node,
                        &id,
                        rds::DbInstance {
                            engine: Some("aurora-postgresql".into()),
                            db_cluster_identifier: Some(cluster.ref_()),
                            db_instance_class: Some(class.as_str().into()),
                            enable_performance_insights: Some(
                                props.performance_insights_days.is_some().into(),
                            ),
                            performance_insights_kms_key_id: props
                                .performance_insights_days
                                .map(|_| key.arn()),
                            performance_insights_retention_period: props
                                .performance_insights_days
                                .map(|d| i64::from(d).into()),
                            monitoring_interval: (props.monitoring_interval_seconds > 0)
                                .then(|| i64::from(props.monitoring_interval_seconds).into()),
                            monitoring_role_arn: monitoring_role.as_ref().map(Role::arn),
                            auto_minor_version_upgrade: Some(
                                props.auto_minor_version_upgrade.into(),
                            ),
                            publicly_accessible: Some(false.into()),
                            promotion_tier: Some(i64::from(i.min(15)).into()),
                            ..Default::default()
                        },
                    )?;
                    inst.apply_removal_policy(RemovalPolicy::Delete);
                    if i > 0 {
                        db.readers.push(inst.clone());
                    } else {
                        db.instance = Some(inst);
                    }
                }
                db.cluster = Some(cluster);
            }
        }
        Ok(db)
    }

    /// The host clients connect to: the instance's, or the Aurora writer endpoint.
    pub fn endpoint_address(&self) -> Value<String> {
        match (&self.cluster, &self.instance) {
            (Some(c), _) => c.attr_endpoint_address(),
            (None, Some(i)) => i.attr_endpoint_address(),
            (None, None) => unreachable!("a database has an instance or a cluster"),
        }
    }

    /// The port, as a string token (how RDS reports it).
    pub fn endpoint_port(&self) -> Value<String> {
        match (&self.cluster, &self.instance) {
            (Some(c), _) => c.attr_endpoint_port(),
            (None, Some(i)) => i.attr_endpoint_port(),
            (None, None) => unreachable!("a database has an instance or a cluster"),
        }
    }

    /// Aurora's reader endpoint, balancing over the readers.
    pub fn reader_endpoint_address(&self) -> Option<Value<String>> {
        self.cluster
            .as_ref()
            .map(|c| c.attr_read_endpoint_address())
    }

    /// The master user's secret, generated and rotated by RDS, encrypted with the database
    /// key. Grant reading it to whatever connects as the master user.
    pub fn secret(&self) -> Secret {
        let arn = match (&self.cluster, &self.instance) {
            (Some(c), _) => c.attr_master_user_secret_secret_arn(),
            (None, Some(i)) => i.attr_master_user_secret_secret_arn(),
            (None, None) => unreachable!("a database has an instance or a cluster"),
        };
        Secret::from_arn(arn, Some(self.key.clone()))
    }

    /// The database's key.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The RDS instance (the Aurora writer for a cluster).
    pub fn instance(&self) -> Option<&Resource<rds::DbInstance>> {
        self.instance.as_ref()
    }

    /// The Aurora cluster.
    pub fn cluster(&self) -> Option<&Resource<rds::DbCluster>> {
        self.cluster.as_ref()
    }

    /// The Aurora readers.
    pub fn readers(&self) -> &[Resource<rds::DbInstance>] {
        &self.readers
    }

    fn dimension(&self) -> (String, Value<String>) {
        match (&self.cluster, &self.instance) {
            (Some(c), _) => ("DBClusterIdentifier".into(), c.ref_()),
            (None, Some(i)) => ("DBInstanceIdentifier".into(), i.ref_()),
            (None, None) => unreachable!("a database has an instance or a cluster"),
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
        match &self.cluster {
            Some(_) => Metric::new(
                "AWS/RDS",
                "AuroraReplicaLag",
                vec![self.dimension()],
                "Milliseconds",
            )
            .with_statistic(Statistic::Maximum),
            None => Metric::new("AWS/RDS", "ReplicaLag", vec![self.dimension()], "Seconds")
                .with_statistic(Statistic::Maximum),
        }
    }

    /// Whether this is an Aurora cluster.
    pub fn is_aurora(&self) -> bool {
        self.cluster.is_some()
    }

    /// The instance class (of every instance, for Aurora).
    pub fn instance_class(&self) -> &str {
        &self.class
    }

    /// The storage allocated at creation, in GiB (instances; Aurora storage grows by itself).
    pub fn allocated_storage_gib(&self) -> Option<u32> {
        self.allocated_storage_gib
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
