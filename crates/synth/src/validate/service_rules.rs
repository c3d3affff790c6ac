//! What services refuse that the schemas do not say: rules across the properties of one
//! resource, and strings the services parse. Each rule names the API that states it.
//!
//! Like every check of the template pass, these read the synthesized JSON, so they hold
//! for L1 resources, untyped resources, included templates and escape-hatch edits. A
//! value an intrinsic function decides is known only at deploy time and is skipped.

use serde_json::{Map, Value as Json};
use stackwright_core::Diagnostic;

/// Checks the properties of one resource of `type_name` against the rules of its service.
pub(crate) fn check(type_name: &str, path: &str, props: &Json, out: &mut Vec<Diagnostic>) {
    let Some(p) = props.as_object() else { return };
    let mut r = Rules { path, out };
    match type_name {
        "AWS::EC2::SecurityGroup" => {
            r.group_description(p);
            for key in ["SecurityGroupIngress", "SecurityGroupEgress"] {
                if let Some(Json::Array(rules)) = p.get(key) {
                    for (i, rule) in rules.iter().enumerate() {
                        if let Some(rule) = rule.as_object() {
                            r.security_group_rule(rule, &format!("{key}[{i}]"));
                        }
                    }
                }
            }
        }
        "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
            r.security_group_rule(p, "");
        }
        "AWS::CloudWatch::Alarm" => r.alarm(p),
        "AWS::Events::Rule" => {
            if let Some(Json::String(e)) = p.get("ScheduleExpression") {
                r.schedule(e, "ScheduleExpression", false);
            }
        }
        "AWS::Scheduler::Schedule" => {
            if let Some(Json::String(e)) = p.get("ScheduleExpression") {
                r.schedule(e, "ScheduleExpression", true);
            }
        }
        "AWS::SNS::Subscription" => r.subscription(p),
        "AWS::AutoScaling::AutoScalingGroup" => r.group_sizes(p),
        "AWS::RDS::DBInstance"
        | "AWS::RDS::DBCluster"
        | "AWS::DocDB::DBCluster"
        | "AWS::Neptune::DBCluster" => {
            r.windows(p, "PreferredBackupWindow", "PreferredMaintenanceWindow", 30);
        }
        "AWS::ElastiCache::ReplicationGroup" => {
            r.windows(p, "SnapshotWindow", "PreferredMaintenanceWindow", 60);
            r.replication_group(p);
        }
        "AWS::CloudFront::Distribution" => {
            let aliases = p.get("DistributionConfig").and_then(|c| c.get("Aliases"));
            if let Some(Json::Array(aliases)) = aliases {
                for (i, a) in aliases.iter().enumerate() {
                    if let Json::String(a) = a {
                        r.alias(a, i);
                    }
                }
            }
        }
        "AWS::ElastiCache::CacheCluster" => {
            r.windows(p, "SnapshotWindow", "PreferredMaintenanceWindow", 60);
        }
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => r.key_attributes(p),
        _ => {}
    }
}

struct Rules<'a> {
    path: &'a str,
    out: &'a mut Vec<Diagnostic>,
}

/// `key` below `at` (the resource's properties when `at` is empty).
fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// A whole number written as a JSON number or as a string of one (CloudFormation takes
/// both).
pub(super) fn int(v: Option<&Json>) -> Option<i64> {
    match v? {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn number(v: Option<&Json>) -> Option<f64> {
    match v? {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The characters EC2 takes in security group and rule descriptions: "a-z, A-Z, 0-9,
/// spaces, and ._-:/()#,@[]+=&;{}!$*" (EC2 API reference, `IpPermission`,
/// `CreateSecurityGroup`).
fn ec2_description_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c)
}

impl Rules<'_> {
    fn error(&mut self, code: &'static str, message: String, hint: String) {
        self.out
            .push(Diagnostic::error(code, self.path, message).with_hint(hint));
    }

    fn description(&mut self, text: &str, at: &str) {
        if let Some(bad) = text.chars().find(|c| !ec2_description_char(*c)) {
            self.error(
                "invalid-value",
                format!("{at} is '{text}', and EC2 refuses the character '{bad}' in it"),
                "use letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* only".to_string(),
            );
        }
    }

    fn group_description(&mut self, p: &Map<String, Json>) {
        if let Some(Json::String(d)) = p.get("GroupDescription") {
            self.description(d, "GroupDescription");
        }
    }

    /// Port ranges run from low to high; ICMP's FromPort and ToPort are a type and a code
    /// instead (-1 for all), so they are not a range.
    fn security_group_rule(&mut self, rule: &Map<String, Json>, at: &str) {
        if let Some(Json::String(d)) = rule.get("Description") {
            self.description(d, &join(at, "Description"));
        }
        let protocol = rule
            .get("IpProtocol")
            .and_then(|v| match v {
                Json::String(s) => Some(s.to_ascii_lowercase()),
                Json::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .unwrap_or_default();
        if matches!(
            protocol.as_str(),
            "icmp" | "icmpv6" | "1" | "58" | "-1" | "all"
        ) {
            return;
        }
        if let (Some(from), Some(to)) = (int(rule.get("FromPort")), int(rule.get("ToPort")))
            && from > to
        {
            self.error(
                "invalid-range",
                format!(
                    "{} opens ports from {from} to {to}: FromPort is above ToPort",
                    if at.is_empty() { "the rule" } else { at }
                ),
                "swap FromPort and ToPort".to_string(),
            );
        }
    }

    /// CloudWatch `PutMetricAlarm`: a statistic or an extended statistic, not both; a
    /// percentile such as p99 or tm90; at most EvaluationPeriods datapoints to alarm; and
    /// an evaluation of at most one day for periods under an hour, seven days otherwise.
    fn alarm(&mut self, p: &Map<String, Json>) {
        let metrics = p.contains_key("Metrics");
        if p.contains_key("Statistic") && p.contains_key("ExtendedStatistic") {
            self.error(
                "invalid-combination",
                "the alarm sets both Statistic and ExtendedStatistic".to_string(),
                "keep one: Statistic for Average, Sum and the like, ExtendedStatistic for a percentile".to_string(),
            );
        }
        if let Some(Json::String(s)) = p.get("ExtendedStatistic")
            && !is_extended_statistic(s)
        {
            self.error(
                "invalid-value",
                format!("ExtendedStatistic is '{s}', which CloudWatch does not parse"),
                "write a percentile as p99 or p99.9, or tm90, wm99, tc90, ts99, or TM(10%:90%) and the like".to_string(),
            );
        }
        let periods = int(p.get("EvaluationPeriods"));
        if let (Some(datapoints), Some(periods)) = (int(p.get("DatapointsToAlarm")), periods)
            && datapoints > periods
        {
            self.error(
                "invalid-range",
                format!("the alarm needs {datapoints} datapoints to alarm out of {periods} evaluation periods"),
                "make DatapointsToAlarm at most EvaluationPeriods".to_string(),
            );
        }
        if let (Some(period), Some(periods), false) = (number(p.get("Period")), periods, metrics) {
            let total = period * periods as f64;
            let limit = if period < 3600.0 { 86_400.0 } else { 604_800.0 };
            if total > limit {
                self.error(
                    "invalid-range",
                    format!(
                        "the alarm evaluates {periods} periods of {period} s, {total} s in all; CloudWatch allows at most {limit} s"
                    ),
                    "use fewer evaluation periods or a longer period".to_string(),
                );
            }
        }
    }

    /// EventBridge and EventBridge Scheduler expressions: `rate(1 minute)`,
    /// `rate(5 minutes)`, `cron(0 12 * * ? *)`, and for the scheduler `at(2026-12-01T10:00:00)`.
    fn schedule(&mut self, e: &str, at: &str, scheduler: bool) {
        let problem = if let Some(inner) = e.strip_prefix("rate(").and_then(|r| r.strip_suffix(')'))
        {
            rate_problem(inner)
        } else if let Some(inner) = e.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
            cron_problem(inner)
        } else if let (true, Some(inner)) = (
            scheduler,
            e.strip_prefix("at(").and_then(|r| r.strip_suffix(')')),
        ) {
            at_problem(inner)
        } else {
            Some(if scheduler {
                "a schedule is rate(...), cron(...) or at(...)".to_string()
            } else {
                "a schedule is rate(...) or cron(...)".to_string()
            })
        };
        if let Some(problem) = problem {
            self.error(
                "invalid-value",
                format!("{at} is '{e}': {problem}"),
                "write rate(5 minutes), rate(1 hour) or cron(minutes hours day-of-month month day-of-week year), with ? in one of the day fields".to_string(),
            );
        }
    }

    /// SNS `Subscribe`: the endpoint each protocol takes.
    fn subscription(&mut self, p: &Map<String, Json>) {
        let (Some(Json::String(protocol)), Some(Json::String(endpoint))) =
            (p.get("Protocol"), p.get("Endpoint"))
        else {
            return;
        };
        let ok = match protocol.as_str() {
            "email" | "email-json" => is_email(endpoint),
            "http" => endpoint.starts_with("http://"),
            "https" => endpoint.starts_with("https://"),
            "sms" => {
                let digits = endpoint.strip_prefix('+').unwrap_or(endpoint);
                !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '-')
            }
            "sqs" | "lambda" | "firehose" | "application" => endpoint.starts_with("arn:"),
            _ => true,
        };
        if !ok {
            let wants = match protocol.as_str() {
                "email" | "email-json" => "an email address",
                "http" => "an http:// URL",
                "https" => "an https:// URL",
                "sms" => "a phone number in E.164 form (+15555550100)",
                _ => "the ARN of the receiving resource",
            };
            self.error(
                "invalid-value",
                format!(
                    "Endpoint is '{endpoint}', which is not {wants} as protocol '{protocol}' needs"
                ),
                format!("give {wants}, or the protocol that matches the endpoint"),
            );
        }
    }
}

impl Rules<'_> {
    /// Auto Scaling `CreateAutoScalingGroup`: MinSize <= DesiredCapacity <= MaxSize.
    fn group_sizes(&mut self, p: &Map<String, Json>) {
        let (min, max) = (int(p.get("MinSize")), int(p.get("MaxSize")));
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            self.error(
                "invalid-range",
                format!("the group's MinSize {min} is above its MaxSize {max}"),
                "swap MinSize and MaxSize".to_string(),
            );
        }
        if let Some(desired) = int(p.get("DesiredCapacity")) {
            let below = min.filter(|m| desired < *m);
            let above = max.filter(|m| desired > *m);
            if let Some(bound) = below.or(above) {
                self.error(
                    "invalid-range",
                    format!(
                        "the group's DesiredCapacity {desired} is {} its {} {bound}",
                        if below.is_some() { "below" } else { "above" },
                        if below.is_some() {
                            "MinSize"
                        } else {
                            "MaxSize"
                        },
                    ),
                    "keep DesiredCapacity between MinSize and MaxSize".to_string(),
                );
            }
        }
    }

    /// DynamoDB `CreateTable`: the attributes defined are exactly those the table's and
    /// its indexes' key schemas use.
    fn key_attributes(&mut self, p: &Map<String, Json>) {
        let Some(Json::Array(defs)) = p.get("AttributeDefinitions") else {
            return;
        };
        let mut defined: Vec<&str> = Vec::new();
        for d in defs {
            match d.get("AttributeName") {
                Some(Json::String(n)) => defined.push(n),
                _ => return,
            }
        }
        let mut used: Vec<&str> = Vec::new();
        let mut schemas = vec![p.get("KeySchema")];
        for index in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
            match p.get(index) {
                Some(Json::Array(items)) => {
                    schemas.extend(items.iter().map(|i| i.get("KeySchema")));
                }
                None => {}
                Some(_) => return,
            }
        }
        for schema in schemas {
            let Some(Json::Array(keys)) = schema else {
                return;
            };
            for k in keys {
                match k.get("AttributeName") {
                    Some(Json::String(n)) => used.push(n),
                    _ => return,
                }
            }
        }
        for n in used.iter().filter(|n| !defined.contains(n)) {
            self.error(
                "invalid-combination",
                format!("the key schema uses the attribute '{n}', which AttributeDefinitions does not define"),
                format!("add {{\"AttributeName\": \"{n}\", \"AttributeType\": ...}} to AttributeDefinitions"),
            );
        }
        for n in defined.iter().filter(|n| !used.contains(n)) {
            self.error(
                "invalid-combination",
                format!("AttributeDefinitions defines '{n}', which no key schema of the table or its indexes uses; DynamoDB refuses it"),
                "define only the attributes of the table's and its indexes' keys".to_string(),
            );
        }
    }
}

/// Minutes of the week, from `hh24:mi` (the day given) or `ddd:hh24:mi`.
fn week_minute(s: &str, day: Option<u32>) -> Option<u32> {
    let (day, time) = match day {
        Some(d) => (d, s),
        None => {
            let (d, t) = s.split_once(':')?;
            let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
            (
                days.iter().position(|x| x.eq_ignore_ascii_case(d))? as u32,
                t,
            )
        }
    };
    let (h, m) = time.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(day * 1440 + h * 60 + m)
}

const WEEK: u32 = 7 * 1440;

/// A window as `(start, length)` in minutes of the week: a daily `hh24:mi-hh24:mi` (on
/// day 0) or a weekly `ddd:hh24:mi-ddd:hh24:mi`. A window may wrap past midnight or the
/// week's end.
fn window(s: &str, weekly: bool) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('-')?;
    let day = (!weekly).then_some(0);
    let (start, end) = (week_minute(a, day)?, week_minute(b, day)?);
    let period = if weekly { WEEK } else { 1440 };
    Some((start, (end + period - start) % period))
}

/// Do two windows share a minute? A daily window recurs every day of the week.
fn overlap(daily: (u32, u32), weekly: (u32, u32)) -> bool {
    (0..7).any(|d| {
        let a = (daily.0 + d * 1440, daily.1);
        let hits = |x: (u32, u32), y: (u32, u32)| (y.0 + WEEK - x.0) % WEEK < x.1;
        hits(a, weekly) || hits(weekly, a)
    })
}

impl Rules<'_> {
    /// RDS, DocumentDB, Neptune and ElastiCache: a daily backup or snapshot window and a
    /// weekly maintenance window, in UTC, each at least `min` minutes, not overlapping.
    fn windows(&mut self, p: &Map<String, Json>, daily_key: &str, weekly_key: &str, min: u32) {
        let mut read = |key: &str, weekly: bool| {
            let Some(Json::String(text)) = p.get(key) else {
                return None;
            };
            let form = if weekly {
                "ddd:hh24:mi-ddd:hh24:mi"
            } else {
                "hh24:mi-hh24:mi"
            };
            match window(text, weekly) {
                None => {
                    self.error(
                        "invalid-value",
                        format!(
                            "{key} is '{text}', which is not a window of the form {form} (UTC)"
                        ),
                        format!(
                            "write it as {}",
                            if weekly {
                                "sun:05:00-sun:06:00"
                            } else {
                                "03:00-04:00"
                            }
                        ),
                    );
                    None
                }
                Some((_, len)) if len < min => {
                    self.error(
                        "invalid-value",
                        format!("{key} is '{text}', {len} minutes long; the service needs at least {min}"),
                        format!("make the window at least {min} minutes long"),
                    );
                    None
                }
                Some(w) => Some((w, text.clone())),
            }
        };
        let daily = read(daily_key, false);
        let weekly = read(weekly_key, true);
        if let (Some((d, dt)), Some((w, wt))) = (daily, weekly)
            && overlap(d, w)
        {
            self.error(
                "invalid-combination",
                format!("{daily_key} '{dt}' overlaps {weekly_key} '{wt}'"),
                "move one of the windows so they do not share a minute".to_string(),
            );
        }
    }

    /// ElastiCache `CreateReplicationGroup`: automatic failover needs a replica, Multi-AZ
    /// needs automatic failover, and an AUTH token needs encryption in transit.
    fn replication_group(&mut self, p: &Map<String, Json>) {
        let flag = |key: &str| match p.get(key) {
            Some(Json::Bool(b)) => Some(*b),
            Some(Json::String(s)) => s.parse().ok(),
            _ => None,
        };
        let cluster_mode =
            p.contains_key("NumNodeGroups") || p.contains_key("NodeGroupConfiguration");
        if flag("AutomaticFailoverEnabled") == Some(true)
            && !cluster_mode
            && let Some(n) = int(p.get("NumCacheClusters"))
            && n < 2
        {
            self.error(
                "invalid-combination",
                format!("automatic failover is on with NumCacheClusters {n}; failover needs at least one replica"),
                "set NumCacheClusters to 2 or more, or turn AutomaticFailoverEnabled off".to_string(),
            );
        }
        if flag("MultiAZEnabled") == Some(true) && flag("AutomaticFailoverEnabled") == Some(false) {
            self.error(
                "invalid-combination",
                "MultiAZEnabled is on while AutomaticFailoverEnabled is off".to_string(),
                "turn AutomaticFailoverEnabled on for Multi-AZ".to_string(),
            );
        }
        if p.contains_key("AuthToken") && flag("TransitEncryptionEnabled") != Some(true) {
            let state = if p.contains_key("TransitEncryptionEnabled") {
                "off"
            } else {
                "not set"
            };
            self.error(
                "invalid-combination",
                format!("the group has an AuthToken while TransitEncryptionEnabled is {state}"),
                "turn TransitEncryptionEnabled on: Redis AUTH needs encryption in transit"
                    .to_string(),
            );
        }
    }
}

impl Rules<'_> {
    /// CloudFront `CreateDistribution` aliases: lowercase domain names, a `*` only as the
    /// whole first label (cfn-lint E3013).
    fn alias(&mut self, alias: &str, i: usize) {
        if alias.starts_with("{{resolve:") || is_domain_name(alias) {
            return;
        }
        self.error(
            "invalid-value",
            format!("DistributionConfig.Aliases[{i}] is '{alias}', which is not a domain name CloudFront takes"),
            "use a lowercase domain name such as www.example.com, or *.example.com for a wildcard".to_string(),
        );
    }
}

/// Lowercase labels of letters, digits and inner hyphens, at most 63 each, at least two
/// labels; the first may be `*`.
fn is_domain_name(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().enumerate().all(|(i, l)| {
            (i == 0 && *l == "*")
                || (!l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        })
}

fn is_extended_statistic(s: &str) -> bool {
    let percentile = |t: &str| {
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        !whole.is_empty()
            && whole.len() <= 3
            && whole.chars().all(|c| c.is_ascii_digit())
            && frac.chars().all(|c| c.is_ascii_digit())
            && whole.parse::<f64>().is_ok_and(|w| w <= 100.0)
    };
    for prefix in ["p", "tm", "wm", "tc", "ts"] {
        if let Some(rest) = s.strip_prefix(prefix)
            && percentile(rest)
        {
            return true;
        }
    }
    ["TM(", "WM(", "TC(", "TS(", "PR("]
        .iter()
        .any(|p| s.starts_with(p) && s.ends_with(')') && s.contains(':'))
}

fn rate_problem(inner: &str) -> Option<String> {
    let Some((value, unit)) = inner.trim().split_once(' ') else {
        return Some("a rate is a number and a unit, as in rate(5 minutes)".into());
    };
    let Ok(n) = value.parse::<u64>() else {
        return Some(format!("'{value}' is not a whole number of units"));
    };
    if n == 0 {
        return Some("a rate of 0 never runs".into());
    }
    let (singular, plural) = match unit {
        "minute" | "minutes" => ("minute", "minutes"),
        "hour" | "hours" => ("hour", "hours"),
        "day" | "days" => ("day", "days"),
        other => {
            return Some(format!(
                "'{other}' is not a unit; use minutes, hours or days"
            ));
        }
    };
    let want = if n == 1 { singular } else { plural };
    (unit != want).then(|| format!("{n} takes '{want}', not '{unit}'"))
}

fn cron_problem(inner: &str) -> Option<String> {
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 6 {
        return Some(format!(
            "a cron expression has six fields (minutes hours day-of-month month day-of-week year), this one has {}",
            fields.len()
        ));
    }
    let allowed = |f: &str, extra: &str| {
        f.chars()
            .all(|c| c.is_ascii_alphanumeric() || ",-*/".contains(c) || extra.contains(c))
    };
    let names = [
        "minutes",
        "hours",
        "day-of-month",
        "month",
        "day-of-week",
        "year",
    ];
    let extras = ["", "", "?LW", "", "?L#", ""];
    for ((f, name), extra) in fields.iter().zip(names).zip(extras) {
        if !allowed(f, extra) {
            return Some(format!("'{f}' is not a valid {name} field"));
        }
    }
    if (fields[2] == "?") == (fields[4] == "?") {
        return Some("exactly one of day-of-month and day-of-week must be '?'".into());
    }
    None
}

fn at_problem(inner: &str) -> Option<String> {
    // yyyy-mm-ddThh:mm:ss
    let b = inner.as_bytes();
    let shape = b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    (!shape).then(|| "a one-time schedule is at(yyyy-mm-ddThh:mm:ss)".into())
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !s.contains(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn findings(type_name: &str, props: Json) -> Vec<String> {
        let mut out = Vec::new();
        check(type_name, "S/R", &props, &mut out);
        out.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn security_group_rules() {
        let f = findings(
            "AWS::EC2::SecurityGroup",
            json!({"GroupDescription": "web's group", "SecurityGroupIngress": [
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 80, "Description": "https <public>"},
                {"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1},
                {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 443, "Description": "web (80-443) #1"}
            ]}),
        );
        assert_eq!(f.len(), 3, "{f:?}");
        assert!(f[0].contains("character '''"), "{f:?}");
        assert!(f[1].contains("character '<'"), "{f:?}");
        assert!(
            f[2].contains("SecurityGroupIngress[0] opens ports from 443 to 80"),
            "{f:?}"
        );
    }

    #[test]
    fn alarm_rules() {
        let f = findings(
            "AWS::CloudWatch::Alarm",
            json!({"Statistic": "Average", "ExtendedStatistic": "p99.99.9",
                   "EvaluationPeriods": 1500, "Period": 60, "DatapointsToAlarm": 1501}),
        );
        assert_eq!(f.len(), 4, "{f:?}");
        for ok in ["p99", "p99.9", "p100", "tm90", "TM(10%:90%)"] {
            assert!(is_extended_statistic(ok), "{ok}");
        }
        for bad in ["p101", "P99", "99", "p", "tm(10:90)"] {
            assert!(!is_extended_statistic(bad), "{bad}");
        }
        let ok = json!({"Statistic": "Sum", "EvaluationPeriods": 24, "Period": 3600, "DatapointsToAlarm": 2});
        assert!(findings("AWS::CloudWatch::Alarm", ok).is_empty());
    }

    #[test]
    fn schedule_expressions() {
        for ok in [
            "rate(1 minute)",
            "rate(5 minutes)",
            "rate(2 days)",
            "cron(0 12 * * ? *)",
            "cron(0/15 * ? * MON-FRI *)",
        ] {
            assert!(
                findings("AWS::Events::Rule", json!({"ScheduleExpression": ok})).is_empty(),
                "{ok}"
            );
        }
        for bad in [
            "rate(1 minutes)",
            "rate(5 minute)",
            "rate(0 hours)",
            "rate(5 weeks)",
            "cron(0 12 * * *)",
            "cron(0 12 * * * *)",
            "every 5 minutes",
            "at(2026-12-01T10:00:00)",
        ] {
            assert_eq!(
                findings("AWS::Events::Rule", json!({"ScheduleExpression": bad})).len(),
                1,
                "{bad}"
            );
        }
        assert!(
            findings(
                "AWS::Scheduler::Schedule",
                json!({"ScheduleExpression": "at(2026-12-01T10:00:00)"})
            )
            .is_empty()
        );
        assert_eq!(
            findings(
                "AWS::Scheduler::Schedule",
                json!({"ScheduleExpression": "at(tomorrow)"})
            )
            .len(),
            1
        );
        assert!(
            findings(
                "AWS::Events::Rule",
                json!({"ScheduleExpression": {"Ref": "Schedule"}})
            )
            .is_empty()
        );
    }

    #[test]
    fn group_sizes_are_ordered() {
        let group = |min: i64, max: i64, desired: i64| {
            findings(
                "AWS::AutoScaling::AutoScalingGroup",
                json!({"MinSize": min.to_string(), "MaxSize": max.to_string(), "DesiredCapacity": desired.to_string()}),
            )
        };
        assert!(group(1, 4, 2).is_empty());
        assert_eq!(group(4, 1, 2).len(), 2, "{:?}", group(4, 1, 2));
        assert!(group(2, 4, 1)[0].contains("DesiredCapacity 1 is below its MinSize 2"));
        assert!(group(2, 4, 5)[0].contains("DesiredCapacity 5 is above its MaxSize 4"));
    }

    #[test]
    fn dynamodb_defines_exactly_the_key_attributes() {
        let table = |defs: Json| {
            findings(
                "AWS::DynamoDB::Table",
                json!({"AttributeDefinitions": defs,
                       "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                       "GlobalSecondaryIndexes": [{"IndexName": "i", "KeySchema": [{"AttributeName": "gsi", "KeyType": "HASH"}]}]}),
            )
        };
        let def = |n: &str| json!({"AttributeName": n, "AttributeType": "S"});
        assert!(table(json!([def("pk"), def("gsi")])).is_empty());
        let f = table(json!([def("pk"), def("extra")]));
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].contains("uses the attribute 'gsi'"), "{f:?}");
        assert!(f[1].contains("defines 'extra'"), "{f:?}");
    }

    #[test]
    fn maintenance_and_backup_windows() {
        let db = |backup: &str, maint: &str| {
            findings(
                "AWS::RDS::DBInstance",
                json!({"PreferredBackupWindow": backup, "PreferredMaintenanceWindow": maint}),
            )
        };
        assert!(db("03:00-04:00", "sun:05:00-sun:06:00").is_empty());
        assert!(
            db("23:30-00:30", "mon:01:00-mon:02:00").is_empty(),
            "wraps midnight"
        );
        assert!(
            db("03:00-04:00", "sat:23:30-sun:00:30").is_empty(),
            "wraps the week"
        );
        let f = db("03:00-04:00", "tue:03:30-tue:04:30");
        assert!(f[0].contains("overlaps"), "{f:?}");
        assert!(db("03:00-03:10", "sun:05:00-sun:06:00")[0].contains("10 minutes long"));
        assert!(db("3am-4am", "sun:05:00-sun:06:00")[0].contains("hh24:mi-hh24:mi"));
        assert!(db("03:00-04:00", "sunday:05:00-sunday:06:00")[0].contains("ddd:hh24:mi"));
        let cache = findings(
            "AWS::ElastiCache::ReplicationGroup",
            json!({"SnapshotWindow": "05:00-05:30", "PreferredMaintenanceWindow": "sun:05:00-sun:06:00"}),
        );
        assert_eq!(cache.len(), 1, "{cache:?}");
        assert!(
            cache[0].contains("30 minutes long; the service needs at least 60"),
            "{cache:?}"
        );
    }

    #[test]
    fn replication_group_combinations() {
        let group = |props: Json| findings("AWS::ElastiCache::ReplicationGroup", props);
        assert!(
            group(
                json!({"AutomaticFailoverEnabled": true, "NumCacheClusters": 2,
            "MultiAZEnabled": true, "AuthToken": "{{resolve:secretsmanager:t}}",
            "TransitEncryptionEnabled": true})
            )
            .is_empty()
        );
        assert_eq!(
            group(json!({"AutomaticFailoverEnabled": true, "NumCacheClusters": 1})).len(),
            1
        );
        assert_eq!(
            group(json!({"MultiAZEnabled": true, "AutomaticFailoverEnabled": false})).len(),
            1
        );
        assert!(
            group(json!({"AuthToken": "x"}))[0].contains("TransitEncryptionEnabled is not set")
        );
        assert!(group(json!({"AutomaticFailoverEnabled": true, "NumNodeGroups": 2})).is_empty());
    }

    #[test]
    fn cloudfront_aliases_are_domain_names() {
        let cdn = |alias: &str| {
            findings(
                "AWS::CloudFront::Distribution",
                json!({"DistributionConfig": {"Aliases": [alias]}}),
            )
        };
        for ok in ["www.example.com", "*.example.com", "a-b.c1.io"] {
            assert!(cdn(ok).is_empty(), "{ok}");
        }
        for bad in [
            "Example.com",
            "example",
            "a.*.example.com",
            "-a.example.com",
            "a..com",
            "NotAnAllowedValue",
        ] {
            assert_eq!(cdn(bad).len(), 1, "{bad}");
        }
    }

    #[test]
    fn subscription_endpoints_match_their_protocol() {
        let sub = |p: &str, e: &str| {
            findings(
                "AWS::SNS::Subscription",
                json!({"Protocol": p, "Endpoint": e, "TopicArn": "arn:aws:sns:us-east-1:123456789012:t"}),
            )
        };
        assert!(sub("email", "ops@example.com").is_empty());
        assert!(sub("https", "https://hooks.example.com/x").is_empty());
        assert!(sub("sqs", "arn:aws:sqs:us-east-1:123456789012:q").is_empty());
        assert!(sub("sms", "+15555550100").is_empty());
        assert_eq!(sub("email", "ops.example.com").len(), 1);
        assert_eq!(sub("https", "http://hooks.example.com").len(), 1);
        assert_eq!(sub("lambda", "my-function").len(), 1);
    }
}
