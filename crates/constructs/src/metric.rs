//! CloudWatch metrics that constructs expose for alarms and dashboards.

use stackwright_core::Value;

/// How datapoints of a period are combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statistic {
    /// Mean of the datapoints.
    Average,
    /// Sum of the datapoints.
    Sum,
    /// Largest datapoint.
    Maximum,
    /// Smallest datapoint.
    Minimum,
    /// Number of datapoints.
    SampleCount,
    /// A percentile, such as `p99`.
    Percentile(String),
}

impl Statistic {
    /// The 99th percentile.
    pub fn p99() -> Self {
        Statistic::Percentile("p99".into())
    }

    /// The name CloudWatch uses (`Average`, `p99`).
    pub fn as_str(&self) -> &str {
        match self {
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Maximum => "Maximum",
            Statistic::Minimum => "Minimum",
            Statistic::SampleCount => "SampleCount",
            Statistic::Percentile(p) => p,
        }
    }
}

/// One CloudWatch metric of one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The namespace, such as `AWS/RDS`.
    pub namespace: String,
    /// The metric name, such as `CPUUtilization`.
    pub name: String,
    /// Dimensions that pick the resource.
    pub dimensions: Vec<(String, Value<String>)>,
    /// How datapoints are combined.
    pub statistic: Statistic,
    /// The period in seconds.
    pub period_seconds: u32,
    /// The unit the value is in, for readers (`Percent`, `Bytes`, `Count`, `Seconds`).
    pub unit: &'static str,
}

impl Metric {
    /// A metric with the given dimensions, averaged over 5 minutes.
    pub fn new(
        namespace: &str,
        name: &str,
        dimensions: Vec<(String, Value<String>)>,
        unit: &'static str,
    ) -> Self {
        Metric {
            namespace: namespace.to_string(),
            name: name.to_string(),
            dimensions,
            statistic: Statistic::Average,
            period_seconds: 300,
            unit,
        }
    }

    /// The same metric with another statistic.
    pub fn with_statistic(mut self, statistic: Statistic) -> Self {
        self.statistic = statistic;
        self
    }

    /// The same metric over another period.
    pub fn with_period(mut self, seconds: u32) -> Self {
        self.period_seconds = seconds;
        self
    }
}
