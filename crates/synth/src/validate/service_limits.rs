//! The bounds services put on numbers and names that the schemas leave open: RDS
//! retention, storage, monitoring, ports and names; ElastiCache snapshot retention; KMS
//! alias names; load balancer health checks and attributes; Secrets Manager rotation; VPC
//! and subnet sizes. Each rule names the API that states it.
//!
//! The constructs refuse the same mistakes in their props, with friendlier words; this is
//! the guarantee for everything else that writes the template (L1 and untyped resources,
//! included templates, `edit` and property overrides). Values an intrinsic decides, and
//! strings that are not numbers, are left to deploy time.

use serde_json::{Map, Value as Json};
use stackwright_core::Diagnostic;

use super::service_rules::int;

/// Checks the properties of one resource of `type_name` against its service's bounds.
pub(crate) fn check(type_name: &str, path: &str, props: &Json, out: &mut Vec<Diagnostic>) {
    let Some(p) = props.as_object() else { return };
    let mut l = Limits { path, out };
    match type_name {
        "AWS::RDS::DBInstance" => {
            // An instance's BackupRetentionPeriod at most 35 is cfn-lint's E3719, a
            // generated constraint; a cluster's has no extension.
            l.rds_common(p);
            l.rds_storage(p);
            l.rds_names(p, "DBName");
        }
        "AWS::RDS::DBCluster" => {
            l.range(p, "BackupRetentionPeriod", 1, 35, "RDS CreateDBCluster");
            l.rds_common(p);
            l.rds_names(p, "DatabaseName");
        }
        "AWS::ElastiCache::ReplicationGroup" | "AWS::ElastiCache::CacheCluster" => {
            l.range(p, "SnapshotRetentionLimit", 0, 35, "ElastiCache");
        }
        "AWS::KMS::Alias" => l.alias(p),
        "AWS::ElasticLoadBalancingV2::TargetGroup" => l.target_group(p),
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => l.load_balancer(p),
        "AWS::SecretsManager::RotationSchedule" => {
            if let Some(Json::Object(rules)) = p.get("RotationRules") {
                l.at_range(
                    rules.get("AutomaticallyAfterDays"),
                    "RotationRules.AutomaticallyAfterDays",
                    1,
                    1000,
                    "Secrets Manager RotateSecret",
                );
            }
        }
        "AWS::EC2::VPC" | "AWS::EC2::Subnet" | "AWS::EC2::VPCCidrBlock" => l.block_size(p),
        _ => {}
    }
}

struct Limits<'a> {
    path: &'a str,
    out: &'a mut Vec<Diagnostic>,
}

fn text<'a>(p: &'a Map<String, Json>, key: &str) -> Option<&'a str> {
    p.get(key).and_then(Json::as_str)
}

/// The value of `key` in a list of `{"Key": ..., "Value": ...}` attributes.
fn attribute<'a>(p: &'a Map<String, Json>, list: &str, key: &str) -> Option<&'a Json> {
    p.get(list)?
        .as_array()?
        .iter()
        .find(|a| a.get("Key").and_then(Json::as_str) == Some(key))?
        .get("Value")
}

impl Limits<'_> {
    fn error(&mut self, message: String, hint: String) {
        self.out
            .push(Diagnostic::error("service-limit", self.path, message).with_hint(hint));
    }

    fn range(&mut self, p: &Map<String, Json>, key: &str, lo: i64, hi: i64, api: &str) {
        self.at_range(p.get(key), key, lo, hi, api);
    }

    fn at_range(&mut self, v: Option<&Json>, at: &str, lo: i64, hi: i64, api: &str) {
        if let Some(n) = int(v)
            && !(lo..=hi).contains(&n)
        {
            self.error(
                format!("{at} is {n}, and {api} takes {lo} to {hi}"),
                format!("use a value from {lo} to {hi}"),
            );
        }
    }

    /// Rules instances and clusters share: the monitoring interval, Performance Insights
    /// retention and the port (`CreateDBInstance`, `CreateDBCluster`).
    fn rds_common(&mut self, p: &Map<String, Json>) {
        if let Some(n) = int(p.get("MonitoringInterval"))
            && ![0, 1, 5, 10, 15, 30, 60].contains(&n)
        {
            self.error(
                format!("MonitoringInterval is {n}, which RDS enhanced monitoring does not offer"),
                "use 0 (off), 1, 5, 10, 15, 30 or 60 seconds".into(),
            );
        }
        if let Some(d) = int(p.get("PerformanceInsightsRetentionPeriod"))
            && !(d == 7 || d == 731 || (d % 31 == 0 && (31..=713).contains(&d)))
        {
            self.error(
                format!("PerformanceInsightsRetentionPeriod is {d} days, which Performance Insights does not offer"),
                "use 7 (free), 31 times a number of months from 1 to 23, or 731".into(),
            );
        }
        if let Some(port) = int(p.get("Port"))
            && !(1150..=65535).contains(&port)
        {
            self.error(
                format!("Port is {port}, and RDS takes ports from 1150 to 65535"),
                "use the engine's default port or another from 1150 to 65535".into(),
            );
        }
    }

    /// Allocated storage per storage type for the open-source engines
    /// (`CreateDBInstance`: gp2 and gp3 20-65,536 GiB, io1 and io2 100-65,536, magnetic
    /// 5-3,072), and a storage autoscaling ceiling above the size (`MaxAllocatedStorage`).
    fn rds_storage(&mut self, p: &Map<String, Json>) {
        let engine = text(p, "Engine").unwrap_or("").to_ascii_lowercase();
        let size = int(p.get("AllocatedStorage"));
        if let (Some(size), Some(ceiling)) = (size, int(p.get("MaxAllocatedStorage")))
            && ceiling < size
        {
            self.error(
                format!("MaxAllocatedStorage is {ceiling} GiB, below AllocatedStorage {size} GiB"),
                "set the storage autoscaling ceiling above the allocated storage".into(),
            );
        }
        if !matches!(engine.as_str(), "postgres" | "mysql" | "mariadb") {
            return;
        }
        let storage = text(p, "StorageType").unwrap_or("gp2");
        let (lo, hi) = match storage {
            "gp2" | "gp3" => (20, 65_536),
            "io1" | "io2" => (100, 65_536),
            "standard" => (5, 3_072),
            _ => return,
        };
        if let Some(size) = size
            && !(lo..=hi).contains(&size)
        {
            self.error(
                format!("AllocatedStorage is {size} GiB, and {engine} on {storage} storage takes {lo} to {hi} GiB"),
                format!("allocate {lo} to {hi} GiB"),
            );
        }
    }

    /// Database and master user names (`CreateDBInstance`, `CreateDBCluster`): for
    /// PostgreSQL and MySQL engines, letters, digits and `_`, starting with a letter, up
    /// to 63 (PostgreSQL) or 64 (MySQL) characters; `rdsadmin` is RDS's own user.
    fn rds_names(&mut self, p: &Map<String, Json>, name_key: &str) {
        let engine = text(p, "Engine").unwrap_or("").to_ascii_lowercase();
        let max = match engine.as_str() {
            "postgres" | "aurora-postgresql" => 63,
            "mysql" | "mariadb" | "aurora-mysql" => 64,
            _ => 0,
        };
        let well_formed = |s: &str, max: usize| {
            (1..=max).contains(&s.len())
                && s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        if let Some(name) = text(p, name_key)
            && max > 0
            && !well_formed(name, max)
        {
            self.error(
                format!("{name_key} is '{name}', which {engine} does not take as a database name"),
                format!("use 1 to {max} letters, digits and _, starting with a letter"),
            );
        }
        if let Some(user) = text(p, "MasterUsername") {
            if user.eq_ignore_ascii_case("rdsadmin") {
                self.error(
                    format!(
                        "MasterUsername is '{user}', the name RDS keeps for its own administration"
                    ),
                    "choose another master user name".into(),
                );
            } else if engine.contains("postgres") && !well_formed(user, 63) {
                self.error(
                    format!("MasterUsername is '{user}', which RDS for PostgreSQL does not take"),
                    "use 1 to 63 letters, digits and _, starting with a letter".into(),
                );
            }
        }
    }

    /// `CreateAlias`: "The alias/aws/ prefix is reserved for AWS managed keys."
    fn alias(&mut self, p: &Map<String, Json>) {
        if let Some(name) = text(p, "AliasName")
            && name.starts_with("alias/aws/")
        {
            self.error(
                format!("AliasName is '{name}', in the alias/aws/ namespace KMS keeps for AWS managed keys"),
                "name the alias outside alias/aws/, e.g. alias/team/purpose".into(),
            );
        }
    }

    /// `CreateTargetGroup`: a health check's timeout is below its interval and its path
    /// starts with `/`; `ModifyTargetGroupAttributes`: the attributes' ranges.
    fn target_group(&mut self, p: &Map<String, Json>) {
        let interval = int(p.get("HealthCheckIntervalSeconds"));
        if let (Some(timeout), Some(interval)) = (int(p.get("HealthCheckTimeoutSeconds")), interval)
            && timeout >= interval
        {
            self.error(
                format!("HealthCheckTimeoutSeconds is {timeout}, not below HealthCheckIntervalSeconds {interval}"),
                "make the health check's timeout shorter than its interval".into(),
            );
        }
        if let Some(path) = text(p, "HealthCheckPath")
            && !path.starts_with('/')
        {
            self.error(
                format!("HealthCheckPath is '{path}', which does not start with /"),
                format!("write it from the root: '/{path}'"),
            );
        }
        let attributes = [
            ("deregistration_delay.timeout_seconds", 0, 3600),
            ("stickiness.lb_cookie.duration_seconds", 1, 604_800),
            ("slow_start.duration_seconds", 0, 900),
        ];
        for (key, lo, hi) in attributes {
            let value = attribute(p, "TargetGroupAttributes", key);
            let at = format!("TargetGroupAttributes {key}");
            if key == "slow_start.duration_seconds"
                && let Some(n) = int(value)
                && (1..30).contains(&n)
            {
                self.error(
                    format!(
                        "{at} is {n}, and a slow start lasts 30 to 900 seconds (0 turns it off)"
                    ),
                    "use 0, or 30 to 900".into(),
                );
                continue;
            }
            self.at_range(value, &at, lo, hi, "Elastic Load Balancing");
        }
    }

    /// `ModifyLoadBalancerAttributes`: an idle timeout of 1 to 4000 seconds.
    fn load_balancer(&mut self, p: &Map<String, Json>) {
        let value = attribute(p, "LoadBalancerAttributes", "idle_timeout.timeout_seconds");
        self.at_range(
            value,
            "LoadBalancerAttributes idle_timeout.timeout_seconds",
            1,
            4000,
            "Elastic Load Balancing",
        );
    }

    /// `CreateVpc`, `CreateSubnet`, `AssociateVpcCidrBlock`: "The allowed block size is
    /// between a /16 netmask and /28 netmask."
    fn block_size(&mut self, p: &Map<String, Json>) {
        let Some(block) = text(p, "CidrBlock") else {
            return;
        };
        let Some(bits) = block
            .split_once('/')
            .and_then(|(ip, bits)| ip.contains('.').then_some(bits))
            .and_then(|b| b.parse::<u8>().ok())
        else {
            return;
        };
        if !(16..=28).contains(&bits) {
            self.error(
                format!("CidrBlock is {block}, a /{bits}; EC2 takes blocks from /16 to /28"),
                "use a block from /16 (65,536 addresses) to /28 (16)".into(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(type_name: &str, props: Json) -> Vec<String> {
        let mut out = Vec::new();
        check(type_name, "S/R", &props, &mut out);
        out.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn bounds_hold_at_their_edges() {
        let db = |extra: Json| {
            let mut p = json!({"Engine": "postgres", "AllocatedStorage": "20"});
            for (k, v) in extra.as_object().unwrap() {
                p[k] = v.clone();
            }
            messages("AWS::RDS::DBInstance", p)
        };
        assert!(
            db(
                json!({"BackupRetentionPeriod": 0, "Port": "1150", "MonitoringInterval": 60,
            "PerformanceInsightsRetentionPeriod": 713, "MaxAllocatedStorage": 20})
            )
            .is_empty()
        );
        assert_eq!(
            db(json!({"PerformanceInsightsRetentionPeriod": 62})).len(),
            0
        );
        assert_eq!(
            db(json!({"PerformanceInsightsRetentionPeriod": 744})).len(),
            1
        );
        assert_eq!(
            db(json!({"StorageType": "io1", "AllocatedStorage": 99})).len(),
            1
        );
        assert_eq!(
            db(json!({"StorageType": "standard", "AllocatedStorage": 5})).len(),
            0
        );
        assert_eq!(db(json!({"Port": {"Ref": "DbPort"}})).len(), 0);
        assert_eq!(
            db(json!({"MasterUsername": "app_owner", "DBName": "orders"})).len(),
            0
        );
        assert_eq!(db(json!({"MasterUsername": "RDSADMIN"})).len(), 1);
        let tg = messages(
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            json!({
            "HealthCheckIntervalSeconds": 10, "HealthCheckTimeoutSeconds": 9, "HealthCheckPath": "/",
            "TargetGroupAttributes": [{"Key": "slow_start.duration_seconds", "Value": "0"},
                {"Key": "deregistration_delay.timeout_seconds", "Value": "3600"}]}),
        );
        assert!(tg.is_empty(), "{tg:?}");
        let slow = messages(
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            json!({
            "TargetGroupAttributes": [{"Key": "slow_start.duration_seconds", "Value": "29"}]}),
        );
        assert_eq!(
            slow,
            [
                "TargetGroupAttributes slow_start.duration_seconds is 29, and a slow start lasts 30 to 900 seconds (0 turns it off)"
            ]
        );
        assert!(messages("AWS::EC2::Subnet", json!({"CidrBlock": "10.0.0.0/28"})).is_empty());
        assert_eq!(
            messages("AWS::EC2::Subnet", json!({"CidrBlock": "10.0.0.0/29"})).len(),
            1
        );
        assert!(messages("AWS::EC2::VPC", json!({"CidrBlock": "2001:db8::/56"})).is_empty());
    }
}
