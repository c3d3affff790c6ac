//! AWS Backup: a vault encrypted with a customer managed key and a daily + weekly plan.

use stackwright_core::{Construct, Pseudo, RemovalPolicy, Resource, Scope, Value, cfn_format};
use stackwright_l1::backup;

use crate::error::{ConstructError, Problems, quote};
use crate::iam::{Role, RoleProps, aws_managed_policy};
use crate::key::{Key, KeyProps};

/// Settings of a [`BackupPlan`]. Defaults: daily and weekly backups, to cold storage after
/// 30 days where the resource type supports it, kept a year.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupPlanProps {
    /// Days before a recovery point moves to cold storage (where supported); `None` keeps
    /// it warm. Default: 30.
    pub cold_storage_after_days: Option<u32>,
    /// Days a recovery point is kept; with cold storage at least 90 days beyond it.
    /// Default: 365.
    pub retention_days: u32,
    /// The daily backup's cron expression, UTC. Default: 03:00 every day.
    pub daily_schedule: String,
    /// The weekly backup's cron expression, UTC. Default: Sundays at 04:00.
    pub weekly_schedule: String,
    /// The vault's key. Default: a key of its own.
    pub key: Option<Key>,
}

impl Default for BackupPlanProps {
    fn default() -> Self {
        BackupPlanProps {
            cold_storage_after_days: Some(30),
            retention_days: 365,
            daily_schedule: "cron(0 3 * * ? *)".into(),
            weekly_schedule: "cron(0 4 ? * SUN *)".into(),
            key: None,
        }
    }
}

/// A backup vault and plan; `add_resources` selects what it backs up.
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::backup::{BackupPlan, BackupPlanProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let plan = BackupPlan::new(&stack, "Backups", BackupPlanProps::default()).unwrap();
/// plan.add_resources("Database", vec!["arn:aws:rds:us-east-1:123456789012:cluster:db".into()]).unwrap();
/// ```
#[derive(Clone)]
pub struct BackupPlan {
    node: Construct,
    plan: Resource<backup::BackupPlan>,
    role: Role,
}

impl BackupPlan {
    /// The L1 plan (`Plan`).
    pub fn plan(&self) -> &Resource<backup::BackupPlan> {
        &self.plan
    }

    /// The role AWS Backup assumes.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// Creates the vault, the plan and the role AWS Backup uses, under `scope`.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        props: BackupPlanProps,
    ) -> Result<BackupPlan, ConstructError> {
        let node = Construct::new(scope, id)?;
        let mut p = Problems::new(node.path());
        if let Some(cold) = props.cold_storage_after_days {
            p.check(
                props.retention_days >= cold + 90,
                "retention_days",
                || props.retention_days.to_string(),
                format!(
                    "recovery points move to cold storage after {cold} days (cold_storage_after_days) and stay there at least 90"
                ),
                "keep recovery points at least 90 days after they move to cold storage",
            );
        }
        p.check(
            props.retention_days >= 1,
            "retention_days",
            || props.retention_days.to_string(),
            "recovery points would not be kept",
            "keep recovery points at least a day",
        );
        for (prop, s) in [
            ("daily_schedule", &props.daily_schedule),
            ("weekly_schedule", &props.weekly_schedule),
        ] {
            p.check(
                s.starts_with("cron(") && s.ends_with(')'),
                prop,
                || quote(s),
                "not a cron expression",
                "write it like cron(0 3 * * ? *)",
            );
        }
        p.finish()?;
        let key = match &props.key {
            Some(k) => k.clone(),
            None => Key::new(
                &node,
                "Key",
                KeyProps::production().with_description("Backup vault"),
            )?,
        };
        let vault = Resource::new(
            &node,
            "Vault",
            backup::BackupVault {
                encryption_key_arn: Some(key.arn()),
                ..backup::BackupVault::new(cfn_format!(
                    "{}-{}",
                    Value::<String>::pseudo(Pseudo::StackName),
                    id
                ))
            },
        )?;
        vault.apply_removal_policy(RemovalPolicy::Retain);
        let lifecycle = || backup::backup_plan::LifecycleResourceType {
            delete_after_days: Some(f64::from(props.retention_days).into()),
            move_to_cold_storage_after_days: props
                .cold_storage_after_days
                .map(|d| f64::from(d).into()),
            opt_in_to_archive_for_supported_resources: props
                .cold_storage_after_days
                .map(|_| true.into()),
        };
        let rule = |name: &str, schedule: &str| backup::backup_plan::BackupRuleResourceType {
            schedule_expression: Some(schedule.into()),
            lifecycle: Some(lifecycle()),
            start_window_minutes: Some(60.0.into()),
            completion_window_minutes: Some(720.0.into()),
            ..backup::backup_plan::BackupRuleResourceType::new(name, vault.ref_())
        };
        let plan = Resource::new(
            &node,
            "Plan",
            backup::BackupPlan::new(backup::backup_plan::BackupPlanResourceType::new(
                node.path().replace('/', "-"),
                vec![
                    rule("Daily", &props.daily_schedule),
                    rule("Weekly", &props.weekly_schedule),
                ],
            )),
        )?;
        let role = Role::new(
            &node,
            "Role",
            RoleProps {
                description: Some(
                    "Lets AWS Backup back up and restore the selected resources".into(),
                ),
                managed_policy_arns: vec![
                    aws_managed_policy("service-role/AWSBackupServiceRolePolicyForBackup"),
                    aws_managed_policy("service-role/AWSBackupServiceRolePolicyForRestores"),
                ],
                ..RoleProps::for_service("backup.amazonaws.com")
            },
        )?;
        Ok(BackupPlan { node, plan, role })
    }

    /// Backs up these resources (by ARN) under the plan.
    pub fn add_resources(&self, id: &str, arns: Vec<Value<String>>) -> Result<(), ConstructError> {
        Resource::new(
            &self.node,
            &format!("{id}Selection"),
            backup::BackupSelection::new(
                self.plan.attr_backup_plan_id(),
                backup::backup_selection::BackupSelectionResourceType {
                    resources: Some(arns.into()),
                    ..backup::backup_selection::BackupSelectionResourceType::new(
                        self.role.arn(),
                        id,
                    )
                },
            ),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use stackwright_core::{App, Env, Stack};

    use super::*;

    #[test]
    fn retention_and_schedules_are_checked_prop_by_prop() {
        let app = App::new();
        let stack = Stack::new(&app, "Test", Env::new("123456789012", "us-east-1")).unwrap();
        let err = BackupPlan::new(
            &stack,
            "Backups",
            BackupPlanProps {
                retention_days: 60,
                weekly_schedule: "rate(7 days)".into(),
                ..BackupPlanProps::default()
            },
        )
        .err()
        .expect("refused");
        let found: Vec<(&str, &str)> = err
            .problems()
            .iter()
            .map(|p| (p.prop.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("retention_days", "60"),
                ("weekly_schedule", "'rate(7 days)'")
            ]
        );
        assert!(
            err.problems()[0].message.contains("after 30 days"),
            "{}",
            err.problems()[0]
        );
    }
}
