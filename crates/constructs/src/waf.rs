//! A regional WAF web ACL for a load balancer: AWS managed rule groups and a rate limit.

use stackwright_core::{Construct, Expr, Resource, Scope, Value};
use stackwright_l1::wafv2;

use crate::error::{ConstructError, Problems, quote};

/// Settings of a [`WebAcl`].
#[derive(Debug, Clone, PartialEq)]
pub struct WebAclProps {
    /// AWS managed rule groups, evaluated in order. Default: the common rule set, known bad
    /// inputs (Log4j and friends), SQL injection and Amazon's IP reputation list.
    pub managed_rule_groups: Vec<String>,
    /// Requests per 5 minutes one client IP may make before it is blocked; `None` turns the
    /// rate rule off. Default: 2,000.
    pub rate_limit_per_5_minutes: Option<u32>,
}

impl Default for WebAclProps {
    fn default() -> Self {
        WebAclProps {
            managed_rule_groups: [
                "AWSManagedRulesCommonRuleSet",
                "AWSManagedRulesKnownBadInputsRuleSet",
                "AWSManagedRulesSQLiRuleSet",
                "AWSManagedRulesAmazonIpReputationList",
            ]
            .map(String::from)
            .to_vec(),
            rate_limit_per_5_minutes: Some(2000),
        }
    }
}

/// A regional web ACL, associated with a load balancer through
/// `BlueGreenAlbProps::web_acl_arn`.
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::waf::{WebAcl, WebAclProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let acl = WebAcl::new(&stack, "Firewall", WebAclProps::default()).unwrap();
/// let _arn = acl.arn();
/// ```
#[derive(Clone)]
pub struct WebAcl {
    resource: Resource<wafv2::WebAcl>,
}

fn visibility(name: &str) -> wafv2::web_acl::VisibilityConfig {
    wafv2::web_acl::VisibilityConfig::new(true, name, true)
}

impl WebAcl {
    /// Creates the web ACL under `scope`.
    pub fn new(scope: &impl Scope, id: &str, props: WebAclProps) -> Result<WebAcl, ConstructError> {
        let node = Construct::new(scope, id)?;
        let mut p = Problems::new(node.path());
        if let Some(limit) = props.rate_limit_per_5_minutes {
            p.check(
                (10..=2_000_000_000).contains(&limit),
                "rate_limit_per_5_minutes",
                || limit.to_string(),
                "WAF rate limits are 10 to 2,000,000,000 per 5 minutes",
                "use 10 to 2,000,000,000 requests",
            );
        }
        for (i, g) in props.managed_rule_groups.iter().enumerate() {
            p.check(
                g.starts_with("AWSManagedRules"),
                format!("managed_rule_groups[{i}]"),
                || quote(g),
                "not an AWS managed rule group",
                "name AWS managed rule groups, such as AWSManagedRulesCommonRuleSet",
            );
        }
        p.finish()?;
        let mut rules: Vec<wafv2::web_acl::Rule> = props
            .managed_rule_groups
            .iter()
            .enumerate()
            .map(|(i, group)| wafv2::web_acl::Rule {
                override_action: Some(wafv2::web_acl::OverrideAction {
                    none: Some(Value::from_expr(Expr::object::<&str>([]))),
                    ..Default::default()
                }),
                ..wafv2::web_acl::Rule::new(
                    group.as_str(),
                    i as i64,
                    wafv2::web_acl::Statement {
                        managed_rule_group_statement: Some(
                            wafv2::web_acl::ManagedRuleGroupStatement::new(group.as_str(), "AWS"),
                        ),
                        ..Default::default()
                    },
                    visibility(group),
                )
            })
            .collect();
        if let Some(limit) = props.rate_limit_per_5_minutes {
            rules.push(wafv2::web_acl::Rule {
                action: Some(wafv2::web_acl::RuleAction {
                    block: Some(Default::default()),
                    ..Default::default()
                }),
                ..wafv2::web_acl::Rule::new(
                    "RateLimitPerIp",
                    rules.len() as i64,
                    wafv2::web_acl::Statement {
                        rate_based_statement: Some(wafv2::web_acl::RateBasedStatement::new(
                            wafv2::web_acl::AggregateKeyType::Ip,
                            i64::from(limit),
                        )),
                        ..Default::default()
                    },
                    visibility("RateLimitPerIp"),
                )
            });
        }
        let metric: String = node
            .path()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let resource = Resource::new(
            &node,
            "Resource",
            wafv2::WebAcl {
                rules: Some(rules),
                ..wafv2::WebAcl::new(
                    wafv2::web_acl::DefaultAction {
                        allow: Some(Default::default()),
                        ..Default::default()
                    },
                    wafv2::web_acl::Scope::Regional,
                    visibility(&metric),
                )
            },
        )?;
        Ok(WebAcl { resource })
    }

    /// The web ACL's ARN.
    pub fn arn(&self) -> Value<String> {
        self.resource.attr_arn()
    }

    /// The L1 web ACL.
    pub fn resource(&self) -> &Resource<wafv2::WebAcl> {
        &self.resource
    }
}

#[cfg(test)]
mod tests {
    use stackwright_core::{App, Env, Stack};

    use super::*;

    #[test]
    fn each_rule_group_that_is_not_aws_managed_is_its_own_problem() {
        let app = App::new();
        let stack = Stack::new(&app, "Test", Env::new("123456789012", "us-east-1")).unwrap();
        let err = WebAcl::new(
            &stack,
            "Firewall",
            WebAclProps {
                managed_rule_groups: ["MyRules", "AWSManagedRulesSQLiRuleSet", "Other"]
                    .map(String::from)
                    .to_vec(),
                rate_limit_per_5_minutes: Some(5),
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
                ("rate_limit_per_5_minutes", "5"),
                ("managed_rule_groups[0]", "'MyRules'"),
                ("managed_rule_groups[2]", "'Other'"),
            ]
        );
    }
}
