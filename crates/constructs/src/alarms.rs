//! Alarms that page someone, and a dashboard of the same metrics.
//!
//! `Alarms` owns a KMS-encrypted SNS topic with email subscriptions. `watch(&x)` adds the
//! alarms that matter for `x` (a load balancer, a database, a cache, a fleet), each
//! sending both ALARM and OK to the topic, and the graphs for `x` to the dashboard.

use std::cell::RefCell;
use std::rc::Rc;

use stackwright_core::{Construct, Expr, Pseudo, Resource, Scope, Value};
use stackwright_l1::{cloudwatch, sns};

use crate::error::{ConstructError, Problems, quote};
use crate::iam::{PolicyStatement, Principal};
use crate::key::{Key, KeyProps};
use crate::metric::{Metric, Statistic};

/// Thresholds of the alarms `watch` adds. The defaults are common starting points for a web
/// service (5 % errors, 2 s p99, 80 % database CPU); set your own service levels.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Load balancer 5xx answers as a percent of requests (metric math). Default: 5.
    pub http_5xx_rate_percent: f64,
    /// Alarm on the count of 5xx answers per minute instead of the rate: more than this
    /// many in each of 2 consecutive minutes. Default: none (the rate alarm).
    pub http_5xx_count_per_minute: Option<f64>,
    /// Load balancer target response time p99, seconds. Default: 2.
    pub latency_p99_seconds: f64,
    /// Database CPU percent, over 3 periods of 5 minutes. Default: 80.
    pub database_cpu_percent: f64,
    /// Database free storage as a percent of the allocated storage. Default: 10.
    pub database_free_storage_percent: f64,
    /// Database connections as a percent of PostgreSQL's `max_connections` for the
    /// instance class. Default: 80.
    pub database_connections_percent: f64,
    /// Aurora replica lag, milliseconds. Default: 1000.
    pub replica_lag_ms: f64,
    /// Redis engine CPU percent. Default: 90.
    pub cache_engine_cpu_percent: f64,
    /// Redis host CPU percent. Default: 90.
    pub cache_cpu_percent: f64,
    /// Redis memory used percent. Default: 80.
    pub cache_memory_percent: f64,
    /// Fleet CPU percent (above the 70 % the fleet scales at). Default: 85.
    pub fleet_cpu_percent: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            http_5xx_rate_percent: 5.0,
            http_5xx_count_per_minute: None,
            latency_p99_seconds: 2.0,
            database_cpu_percent: 80.0,
            database_free_storage_percent: 10.0,
            database_connections_percent: 80.0,
            replica_lag_ms: 1000.0,
            cache_engine_cpu_percent: 90.0,
            cache_cpu_percent: 90.0,
            cache_memory_percent: 80.0,
            fleet_cpu_percent: 85.0,
        }
    }
}

/// Settings of [`Alarms`].
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmsProps {
    /// Addresses that get every alarm and recovery by email. Each must confirm the
    /// subscription AWS mails them. Default: none (subscribe to the topic yourself).
    pub emails: Vec<String>,
    /// Thresholds. Default: [`Thresholds::default`].
    pub thresholds: Thresholds,
    /// A CloudWatch dashboard of every watched construct. Default: on.
    pub dashboard: bool,
    /// The key encrypting the topic. Default: a key of its own.
    pub key: Option<Key>,
}

impl Default for AlarmsProps {
    fn default() -> Self {
        AlarmsProps {
            emails: Vec::new(),
            thresholds: Thresholds::default(),
            dashboard: true,
            key: None,
        }
    }
}

impl AlarmsProps {
    /// Alarms mailed to `address`.
    pub fn email(address: &str) -> Self {
        AlarmsProps {
            emails: vec![address.to_string()],
            ..AlarmsProps::default()
        }
    }
}

/// What an alarm measures.
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmMetric {
    /// One metric.
    Single(Metric),
    /// A metric math expression over metrics `m1`, `m2`, ... in order.
    Math {
        /// The expression, such as `100 * (m1 + m2) / m3`.
        expression: String,
        /// What the expression computes, for the console.
        label: String,
        /// The metrics it reads.
        metrics: Vec<Metric>,
    },
}

/// How an alarm treats periods without data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingData {
    /// As fine: no requests means no errors.
    NotBreaching,
    /// As failing: a silent database is a problem.
    Breaching,
    /// Keep the current state.
    Ignore,
}

/// One alarm `watch` adds.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpec {
    /// Its id under the watched construct's name, such as `Http5xxRate`.
    pub id: String,
    /// What it means and what to do, shown in the notification.
    pub description: String,
    /// What it measures.
    pub metric: AlarmMetric,
    /// Alarm when above (true) or below (false) the threshold.
    pub above: bool,
    /// The threshold.
    pub threshold: f64,
    /// Periods evaluated.
    pub evaluation_periods: u32,
    /// Periods of those that must breach.
    pub datapoints_to_alarm: u32,
    /// Missing data.
    pub missing: MissingData,
}

/// A graph on the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// Its title.
    pub title: String,
    /// Its lines.
    pub metrics: Vec<Metric>,
}

/// A construct `Alarms` knows how to watch.
pub trait Watchable {
    /// A short name for alarm ids and titles (`Edge`, `Database`).
    fn watch_name(&self) -> String;
    /// The alarms worth waking someone for.
    fn alarm_specs(&self, thresholds: &Thresholds) -> Vec<AlarmSpec>;
    /// The graphs worth looking at.
    fn graphs(&self) -> Vec<Graph>;
    /// Alarms the construct made itself (such as the alarms gating a Fargate service's
    /// deployments), which watching makes notify the topic too. Default: none.
    fn own_alarms(&self) -> Vec<Resource<cloudwatch::Alarm>> {
        Vec::new()
    }
}

struct State {
    /// How many graphs the dashboard has.
    graphs: usize,
    /// The dashboard's widgets so far as JSON text, literals and tokens (see
    /// [`widget_text`]): each graph is written once, when it is watched, instead of the
    /// whole body again at every watch.
    widgets: Vec<Expr>,
    dashboard: Option<Resource<cloudwatch::Dashboard>>,
    watched: Vec<String>,
}

/// An SNS topic for alarms, the alarms of every watched construct, and a dashboard.
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::alarms::{Alarms, AlarmsProps};
/// use stackwright_constructs::database::{PostgresDb, PostgresDbProps};
/// use stackwright_constructs::vpc::{Vpc, VpcProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let vpc = Vpc::new(&stack, "Network", VpcProps::production()).unwrap();
/// let db = PostgresDb::new(&stack, "Database", &vpc, PostgresDbProps::production()).unwrap();
/// let alarms = Alarms::new(&stack, "Alarms", AlarmsProps::email("ops@example.com")).unwrap();
/// alarms.watch(&db).unwrap();
/// ```
#[derive(Clone)]
pub struct Alarms {
    node: Construct,
    topic: Resource<sns::Topic>,
    thresholds: Thresholds,
    state: Rc<RefCell<State>>,
}

impl Alarms {
    /// Creates the topic (and the dashboard, when asked) under `scope`.
    pub fn new(scope: &impl Scope, id: &str, props: AlarmsProps) -> Result<Alarms, ConstructError> {
        let node = Construct::new(scope, id)?;
        let mut p = Problems::new(node.path());
        for (i, e) in props.emails.iter().enumerate() {
            let ok = e.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace)
            });
            p.check(
                ok,
                format!("emails[{i}]"),
                || quote(e),
                "not an email address",
                "write it like ops@example.com",
            );
        }
        p.finish()?;
        let key = match &props.key {
            Some(k) => k.clone(),
            None => Key::new(
                &node,
                "Key",
                KeyProps::production().with_description("Alarm notifications"),
            )?,
        };
        // CloudWatch publishes to an encrypted topic only if the key policy lets it.
        key.add_to_key_policy(
            PolicyStatement::allow(
                &["kms:Decrypt", "kms:GenerateDataKey*"],
                vec![Value::from("*")],
            )
            .with_sid("CloudWatchAlarmsPublish")
            .with_principal(Principal::service("cloudwatch.amazonaws.com"))
            .with_condition(Expr::object([(
                "StringEquals",
                Expr::object([(
                    "aws:SourceAccount",
                    Value::<String>::pseudo(Pseudo::AccountId).into_expr(),
                )]),
            )])),
        );
        let topic = Resource::new(
            &node,
            "Topic",
            sns::Topic {
                display_name: Some(format!("Alarms {}", node.path()).into()),
                kms_master_key_id: Some(key.arn()),
                ..Default::default()
            },
        )?;
        for (i, e) in props.emails.iter().enumerate() {
            Resource::new(
                &node,
                &format!("Email{}", i + 1),
                sns::Subscription {
                    endpoint: Some(e.as_str().into()),
                    ..sns::Subscription::new("email", topic.ref_())
                },
            )?;
        }
        let dashboard = if props.dashboard {
            Some(Resource::new(
                &node,
                "Dashboard",
                cloudwatch::Dashboard::new(dashboard_body(&[])),
            )?)
        } else {
            None
        };
        Ok(Alarms {
            node,
            topic,
            thresholds: props.thresholds,
            state: Rc::new(RefCell::new(State {
                graphs: 0,
                widgets: Vec::new(),
                dashboard,
                watched: Vec::new(),
            })),
        })
    }

    /// The topic's ARN, for other notifications.
    pub fn topic_arn(&self) -> Value<String> {
        self.topic.ref_()
    }

    /// The L1 topic every alarm notifies (`Topic`).
    pub fn topic(&self) -> &Resource<sns::Topic> {
        &self.topic
    }

    /// The L1 dashboard (`Dashboard`), when there is one.
    pub fn dashboard(&self) -> Option<Resource<cloudwatch::Dashboard>> {
        self.state.borrow().dashboard.clone()
    }

    /// Adds the alarms and graphs of `target`.
    pub fn watch(&self, target: &impl Watchable) -> Result<&Self, ConstructError> {
        let name = target.watch_name();
        if self.state.borrow().watched.contains(&name) {
            return Err(ConstructError::invalid(
                self.node.path(),
                "target",
                quote(&name),
                "already watched",
                "watch each construct once",
            ));
        }
        let scope = Construct::new(&self.node, &name)?;
        for spec in target.alarm_specs(&self.thresholds) {
            self.add_alarm(&scope, &name, spec)?;
        }
        for alarm in target.own_alarms() {
            let actions: Value<Vec<String>> = vec![self.topic.ref_()].into();
            alarm.edit(|props| {
                props.alarm_actions = Some(actions.clone());
                props.ok_actions = Some(actions);
            });
        }
        let mut state = self.state.borrow_mut();
        state.watched.push(name);
        let state = &mut *state;
        for g in target.graphs() {
            if state.graphs > 0 {
                state.widgets.push(Expr::str(","));
            }
            state.widgets.extend(widget_text(state.graphs, &g));
            state.graphs += 1;
        }
        if let Some(d) = &state.dashboard {
            let body = dashboard_body(&state.widgets);
            d.edit(|props| props.dashboard_body = body);
        }
        Ok(self)
    }

    fn add_alarm(
        &self,
        scope: &Construct,
        owner: &str,
        spec: AlarmSpec,
    ) -> Result<(), ConstructError> {
        let actions: Value<Vec<String>> = vec![self.topic.ref_()].into();
        alarm(scope, owner, spec, Some(actions))?;
        Ok(())
    }
}

/// The CloudWatch alarm `spec` describes, at `scope/<spec.id>`, its description prefixed
/// with `owner`, sending ALARM and OK to `actions` when given. `Alarms` makes its alarms
/// with it, and so does the Fargate fleet its deployment alarms, so one spec (such as
/// a colour's gates) makes the same alarm wherever it is used.
pub(crate) fn alarm(
    scope: &impl Scope,
    owner: &str,
    spec: AlarmSpec,
    actions: Option<Value<Vec<String>>>,
) -> Result<Resource<cloudwatch::Alarm>, ConstructError> {
    let mut alarm = cloudwatch::Alarm {
        alarm_description: Some(format!("{owner}: {}", spec.description).into()),
        alarm_actions: actions.clone(),
        ok_actions: actions,
        comparison_operator: Some(
            if spec.above {
                cloudwatch::alarm::ComparisonOperator::GreaterThanThreshold
            } else {
                cloudwatch::alarm::ComparisonOperator::LessThanThreshold
            }
            .into(),
        ),
        threshold: Some(spec.threshold.into()),
        evaluation_periods: Some(i64::from(spec.evaluation_periods).into()),
        datapoints_to_alarm: Some(i64::from(spec.datapoints_to_alarm).into()),
        treat_missing_data: Some(
            match spec.missing {
                MissingData::NotBreaching => cloudwatch::alarm::TreatMissingData::NotBreaching,
                MissingData::Breaching => cloudwatch::alarm::TreatMissingData::Breaching,
                MissingData::Ignore => cloudwatch::alarm::TreatMissingData::Ignore,
            }
            .into(),
        ),
        ..Default::default()
    };
    match spec.metric {
        AlarmMetric::Single(m) => {
            alarm.namespace = Some(m.namespace.as_str().into());
            alarm.metric_name = Some(m.name.as_str().into());
            alarm.period = Some(i64::from(m.period_seconds).into());
            alarm.dimensions = Some(dimensions(&m));
            match &m.statistic {
                Statistic::Percentile(p) => alarm.extended_statistic = Some(p.as_str().into()),
                s => {
                    alarm.statistic = Some(Value::from_expr(Expr::str(s.as_str())));
                }
            }
        }
        AlarmMetric::Math {
            expression,
            label,
            metrics,
        } => {
            let mut queries: Vec<cloudwatch::alarm::MetricDataQuery> = metrics
                .iter()
                .enumerate()
                .map(|(i, m)| cloudwatch::alarm::MetricDataQuery {
                    metric_stat: Some(cloudwatch::alarm::MetricStat::new(
                        cloudwatch::alarm::Metric {
                            dimensions: Some(dimensions(m)),
                            metric_name: Some(m.name.as_str().into()),
                            namespace: Some(m.namespace.as_str().into()),
                        },
                        i64::from(m.period_seconds),
                        m.statistic.as_str(),
                    )),
                    return_data: Some(false.into()),
                    ..cloudwatch::alarm::MetricDataQuery::new(format!("m{}", i + 1))
                })
                .collect();
            queries.push(cloudwatch::alarm::MetricDataQuery {
                expression: Some(expression.into()),
                label: Some(label.into()),
                return_data: Some(true.into()),
                ..cloudwatch::alarm::MetricDataQuery::new("rate")
            });
            alarm.metrics = Some(queries);
        }
    }
    Ok(Resource::new(scope, &spec.id, alarm)?)
}

fn dimensions(m: &Metric) -> Vec<cloudwatch::alarm::Dimension> {
    m.dimensions
        .iter()
        .map(|(k, v)| cloudwatch::alarm::Dimension::new(k.as_str(), v.clone()))
        .collect()
}

/// The dashboard JSON around `widgets` (as [`widget_text`] writes them, comma-separated).
fn dashboard_body(widgets: &[Expr]) -> Value<String> {
    let mut parts = Vec::with_capacity(widgets.len() + 2);
    parts.push(Expr::str("{\"widgets\":["));
    parts.extend_from_slice(widgets);
    parts.push(Expr::str("]}"));
    Value::from_expr(Expr::Concat(parts))
}

/// The JSON text of the dashboard's `i`th widget, graph `g`, as the parts of a
/// [`Value::json_text`]: two graphs per row, each 12 wide and 6 high.
fn widget_text(i: usize, g: &Graph) -> Vec<Expr> {
    let lines = g
        .metrics
        .iter()
        .map(|m| {
            let mut row = vec![Expr::str(&m.namespace), Expr::str(&m.name)];
            for (k, v) in &m.dimensions {
                row.push(Expr::str(k));
                row.push(v.expr().clone());
            }
            row.push(Expr::object([("stat", Expr::str(m.statistic.as_str()))]));
            Expr::List(row)
        })
        .collect();
    let widget = Expr::object([
        ("type", Expr::str("metric")),
        ("x", Expr::Int(((i % 2) * 12) as i64)),
        ("y", Expr::Int(((i / 2) * 6) as i64)),
        ("width", Expr::Int(12)),
        ("height", Expr::Int(6)),
        (
            "properties",
            Expr::object([
                ("title", Expr::str(&g.title)),
                ("region", Expr::Pseudo(Pseudo::Region)),
                ("view", Expr::str("timeSeries")),
                (
                    "period",
                    Expr::Int(
                        g.metrics
                            .first()
                            .map_or(300, |m| i64::from(m.period_seconds)),
                    ),
                ),
                ("metrics", Expr::List(lines)),
            ]),
        ),
    ]);
    match Value::<String>::json_text(&widget).into_expr() {
        Expr::Concat(parts) => parts,
        literal => vec![literal],
    }
}

/// The last component of a construct path, letters and digits only: a watched
/// construct's short name.
pub(crate) fn last_segment(path: &str) -> String {
    path.rsplit('/')
        .next()
        .unwrap_or(path)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

#[cfg(test)]
mod tests {
    use stackwright_core::{App, Env, Stack};

    use super::*;

    #[test]
    fn each_address_that_is_not_one_is_its_own_problem() {
        let app = App::new();
        let stack = Stack::new(&app, "Test", Env::new("123456789012", "us-east-1")).unwrap();
        let err = Alarms::new(
            &stack,
            "Alarms",
            AlarmsProps {
                emails: ["ops@example.com", "ops", "a b@example.com"]
                    .map(String::from)
                    .to_vec(),
                ..AlarmsProps::default()
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
            [("emails[1]", "'ops'"), ("emails[2]", "'a b@example.com'")]
        );
    }
}
