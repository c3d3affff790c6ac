//! Alarms that page someone, and a dashboard of the same metrics.
//!
//! `Alarms` owns a KMS-encrypted SNS topic with email subscriptions. `watch(&x)` adds the
//! alarms that matter for `x` (a load balancer, a database, a cache, a fleet), each
//! sending both ALARM and OK to the topic, and the graphs for `x` to the dashboard.

use std::cell::RefCell;
use std::rc::Rc;

use stackwright_core::l1::{cloudwatch, sns};
use stackwright_core::{Construct, Expr, Pseudo, Resource, Scope, Value};

use crate::alb::BlueGreenAlb;
use crate::cache::RedisCache;
use crate::database::PostgresDb;
use crate::error::{ConstructError, Problems, quote};
use crate::fleet::AppFleet;
use crate::iam::{PolicyStatement, Principal};
use crate::key::{Key, KeyProps};
use crate::metric::{Metric, Statistic};

/// Thresholds of the alarms `watch` adds. Defaults are FlowViz's.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Load balancer 5xx answers as a percent of requests (metric math). Default 5.
    pub http_5xx_rate_percent: f64,
    /// Alarm on the count of 5xx answers per minute instead of the rate: more than this
    /// many in each of 2 consecutive minutes. Default none (the rate alarm).
    pub http_5xx_count_per_minute: Option<f64>,
    /// Load balancer target response time p99, seconds. Default 2.
    pub latency_p99_seconds: f64,
    /// Database CPU percent, over 3 periods of 5 minutes. Default 80.
    pub database_cpu_percent: f64,
    /// Database free storage as a percent of the allocated storage. Default 10.
    pub database_free_storage_percent: f64,
    /// Database connections as a percent of PostgreSQL's `max_connections` for the
    /// instance class. Default 80.
    pub database_connections_percent: f64,
    /// Aurora replica lag, milliseconds. Default 1000.
    pub replica_lag_ms: f64,
    /// Redis engine CPU percent. Default 90.
    pub cache_engine_cpu_percent: f64,
    /// Redis host CPU percent. Default 90.
    pub cache_cpu_percent: f64,
    /// Redis memory used percent. Default 80.
    pub cache_memory_percent: f64,
    /// Fleet CPU percent (above the 70 % the fleet scales at). Default 85.
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
    /// subscription AWS mails them.
    pub emails: Vec<String>,
    /// Thresholds.
    pub thresholds: Thresholds,
    /// A CloudWatch dashboard of every watched construct. Default on.
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
}

struct State {
    graphs: Vec<Graph>,
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
                graphs: Vec::new(),
                dashboard,
                watched: Vec::new(),
            })),
        })
    }

    /// The topic's ARN, for other notifications.
    pub fn topic_arn(&self) -> Value<String> {
        self.topic.ref_()
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
        let mut state = self.state.borrow_mut();
        state.watched.push(name);
        state.graphs.extend(target.graphs());
        if let Some(d) = &state.dashboard {
            let body = dashboard_body(&state.graphs);
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
        let mut alarm = cloudwatch::Alarm {
            alarm_description: Some(format!("{owner}: {}", spec.description).into()),
            alarm_actions: Some(actions.clone()),
            ok_actions: Some(actions),
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
        Resource::new(scope, &spec.id, alarm)?;
        Ok(())
    }
}

fn dimensions(m: &Metric) -> Vec<cloudwatch::alarm::Dimension> {
    m.dimensions
        .iter()
        .map(|(k, v)| cloudwatch::alarm::Dimension::new(k.as_str(), v.clone()))
        .collect()
}

/// The dashboard JSON: two graphs per row, each 12 wide and 6 high.
fn dashboard_body(graphs: &[Graph]) -> Value<String> {
    let widgets = graphs
        .iter()
        .enumerate()
        .map(|(i, g)| {
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
            Expr::object([
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
            ])
        })
        .collect();
    Value::<String>::json_text(&Expr::object([("widgets", Expr::List(widgets))]))
}

fn last_segment(path: &str) -> String {
    path.rsplit('/')
        .next()
        .unwrap_or(path)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

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
        vec![
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
                metric: AlarmMetric::Single(minute(
                    self.metric_unhealthy_hosts(self.live_colour()),
                )),
                above: true,
                threshold: 0.0,
                evaluation_periods: 3,
                datapoints_to_alarm: 3,
                missing: MissingData::Ignore,
            },
        ]
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
                    self.metric_healthy_hosts(self.live_colour()),
                    self.metric_unhealthy_hosts(self.live_colour()),
                ],
            },
        ]
    }
}

impl Watchable for AppFleet {
    fn watch_name(&self) -> String {
        last_segment(&self.path())
    }

    fn alarm_specs(&self, t: &Thresholds) -> Vec<AlarmSpec> {
        vec![AlarmSpec {
            id: "Cpu".into(),
            description: format!(
                "CPU of the live colour above {}% for 15 minutes although it scales at its target: it may be at its maximum size",
                t.fleet_cpu_percent
            ),
            metric: AlarmMetric::Single(self.metric_cpu()),
            above: true,
            threshold: t.fleet_cpu_percent,
            evaluation_periods: 3,
            datapoints_to_alarm: 3,
            missing: MissingData::Ignore,
        }]
    }

    fn graphs(&self) -> Vec<Graph> {
        vec![Graph {
            title: format!("{}: CPU of the live colour (%)", self.watch_name()),
            metrics: vec![self.metric_cpu()],
        }]
    }
}

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

    #[test]
    fn max_connections_follow_rds_formula() {
        assert_eq!(max_connections("db.t3.medium"), Some(450.0));
        assert_eq!(max_connections("db.r6g.large"), Some(1802.0));
        assert_eq!(max_connections("db.r6g.16xlarge"), Some(5000.0));
        assert_eq!(max_connections("db.q9.large"), None);
    }
}
