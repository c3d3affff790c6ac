//! How long deploy waits for AWS to answer: connecting, the first byte of an answer, one
//! attempt, and one call with all its retries.
//!
//! Without limits a listener that accepts a connection and never answers (a proxy that
//! hangs, an emulator that froze, a firewall that swallows packets) keeps a deploy waiting
//! for ever, silently. Every client deploy makes has these limits; retries are the SDK's
//! standard ones (`AWS_MAX_ATTEMPTS`, `AWS_RETRY_MODE`, or the profile's `max_attempts`).

use std::fmt;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;

/// Limits on waiting for AWS. `None` is no limit.
///
/// The defaults suit CloudFormation, S3 and STS calls, which answer within a second or two:
/// a call that has not answered in 20 seconds is not going to, and three attempts of it fail
/// in about a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a connection. Default: 5 s (`STACKWRIGHT_CONNECT_TIMEOUT`).
    pub connect: Option<Duration>,
    /// From sending a request to the first byte of its answer. Default: 20 s
    /// (`STACKWRIGHT_READ_TIMEOUT`).
    pub read: Option<Duration>,
    /// One attempt of a call, reading the whole answer. Default: 30 s
    /// (`STACKWRIGHT_ATTEMPT_TIMEOUT`).
    pub attempt: Option<Duration>,
    /// One call, all its attempts and the pauses between them. Default: 90 s
    /// (`STACKWRIGHT_OPERATION_TIMEOUT`).
    pub operation: Option<Duration>,
}

/// The environment variables [`Timeouts::from_env`] reads, in the order of the fields.
pub const TIMEOUT_VARIABLES: [&str; 4] = [
    "STACKWRIGHT_CONNECT_TIMEOUT",
    "STACKWRIGHT_READ_TIMEOUT",
    "STACKWRIGHT_ATTEMPT_TIMEOUT",
    "STACKWRIGHT_OPERATION_TIMEOUT",
];

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Some(Duration::from_secs(5)),
            read: Some(Duration::from_secs(20)),
            attempt: Some(Duration::from_secs(30)),
            operation: Some(Duration::from_secs(90)),
        }
    }
}

/// An environment variable that does not hold a time limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTimeout {
    /// The variable.
    pub variable: &'static str,
    /// What it holds.
    pub value: String,
}

impl fmt::Display for BadTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is '{}', which is not a time limit",
            self.variable, self.value
        )
    }
}

impl std::error::Error for BadTimeout {}

impl Timeouts {
    /// The same limit for every stage: for tests, and for "answer within N or fail".
    pub fn all(limit: Duration) -> Self {
        Timeouts {
            connect: Some(limit),
            read: Some(limit),
            attempt: Some(limit),
            operation: Some(limit),
        }
    }

    /// The defaults, with each `STACKWRIGHT_*_TIMEOUT` variable that is set taking the
    /// place of its default: seconds (`10`, `2.5`, `10s`), milliseconds (`500ms`), or
    /// `off` for no limit.
    pub fn from_env() -> Result<Self, BadTimeout> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    pub(crate) fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self, BadTimeout> {
        let mut t = Timeouts::default();
        let fields = [
            &mut t.connect,
            &mut t.read,
            &mut t.attempt,
            &mut t.operation,
        ];
        for (variable, field) in TIMEOUT_VARIABLES.into_iter().zip(fields) {
            if let Some(value) = get(variable) {
                *field = parse_limit(&value).ok_or(BadTimeout { variable, value })?;
            }
        }
        Ok(t)
    }

    /// As the SDK takes them.
    pub fn to_sdk(&self) -> TimeoutConfig {
        // `set_*(None)` disables a limit (rather than leaving it for a default to fill).
        let mut b = TimeoutConfig::builder();
        b.set_connect_timeout(self.connect)
            .set_read_timeout(self.read)
            .set_operation_attempt_timeout(self.attempt)
            .set_operation_timeout(self.operation);
        b.build()
    }

    /// The limits an SDK configuration sets.
    pub fn from_sdk(config: &TimeoutConfig) -> Self {
        Timeouts {
            connect: config.connect_timeout(),
            read: config.read_timeout(),
            attempt: config.operation_attempt_timeout(),
            operation: config.operation_timeout(),
        }
    }
}

/// `10`, `2.5`, `10s`, `500ms`, `off` (no limit). Zero is refused: it would fail every call.
fn parse_limit(text: &str) -> Option<Option<Duration>> {
    let text = text.trim();
    if matches!(text.to_ascii_lowercase().as_str(), "off" | "none") {
        return Some(None);
    }
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else {
        (text.strip_suffix('s').unwrap_or(text), 1.0)
    };
    let value: f64 = number.trim().parse().ok()?;
    let secs = value * scale;
    (secs.is_finite() && secs > 0.0 && secs < 1e9).then(|| Some(Duration::from_secs_f64(secs)))
}

/// A duration as a person reads it: `10 s`, `1.5 s`, `250 ms`.
pub(crate) fn human(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        let s = format!("{:.1}", d.as_secs_f64());
        format!("{} s", s.trim_end_matches(".0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_from_the_environment() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Timeouts::from_vars(vars(&[])), Ok(Timeouts::default()));
        let t = Timeouts::from_vars(vars(&[
            ("STACKWRIGHT_CONNECT_TIMEOUT", "2"),
            ("STACKWRIGHT_READ_TIMEOUT", "1.5s"),
            ("STACKWRIGHT_ATTEMPT_TIMEOUT", "750ms"),
            ("STACKWRIGHT_OPERATION_TIMEOUT", "off"),
        ]))
        .unwrap();
        assert_eq!(t.connect, Some(Duration::from_secs(2)));
        assert_eq!(t.read, Some(Duration::from_millis(1500)));
        assert_eq!(t.attempt, Some(Duration::from_millis(750)));
        assert_eq!(t.operation, None);
        for bad in ["", "ten", "0", "-1", "1h", "NaN", "inf"] {
            let pairs: &'static [(&str, &str)] =
                Box::leak(Box::new([("STACKWRIGHT_READ_TIMEOUT", bad)]));
            let err = Timeouts::from_vars(vars(pairs)).unwrap_err();
            assert_eq!(err.variable, "STACKWRIGHT_READ_TIMEOUT");
            assert_eq!(
                err.to_string(),
                format!("STACKWRIGHT_READ_TIMEOUT is '{bad}', which is not a time limit")
            );
        }
    }

    #[test]
    fn limits_reach_the_sdk_and_off_disables() {
        let t = Timeouts {
            operation: None,
            ..Timeouts::default()
        };
        let sdk = t.to_sdk();
        assert_eq!(sdk.connect_timeout(), Some(Duration::from_secs(5)));
        assert_eq!(sdk.read_timeout(), Some(Duration::from_secs(20)));
        assert_eq!(
            sdk.operation_attempt_timeout(),
            Some(Duration::from_secs(30))
        );
        assert_eq!(sdk.operation_timeout(), None);
        // Disabled, not unset: a default from elsewhere does not fill it.
        let mut merged = sdk.clone();
        merged.take_defaults_from(&Timeouts::all(Duration::from_secs(1)).to_sdk());
        assert_eq!(merged.operation_timeout(), None);
        assert_eq!(Timeouts::from_sdk(&sdk), t);
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human(Duration::from_secs(10)), "10 s");
        assert_eq!(human(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
    }
}
