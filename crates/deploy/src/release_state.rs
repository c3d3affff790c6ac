//! The release state a template declares, read from the template alone.
//!
//! A stack whose blue/green pair keeps its release state in parameters (the constructs'
//! `Release`) describes each release in its template's top-level `Metadata` under
//! [`METADATA_KEY`]: its construct path, who moves traffic, the logical ids of its
//! parameters (the `State` one being the release marker) and of the resources that read
//! them, and its gates. Deploy reads it to refuse a deploy while a release is unfinished
//! ([`unfinished_release`]); a release command reads the same from the deployed template.
//! Plain data: no AWS needed.

use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value as Json;

/// The template `Metadata` entry describing the stack's releases, one object per release
/// under its logical-id prefix. The constructs write it (`stackwright_constructs::release`).
pub const METADATA_KEY: &str = "stackwright:releases";

/// The role of the release marker among a release's parameters.
pub const STATE_ROLE: &str = "State";

/// The thresholds and waits a release is judged by, as the template states them.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredGates {
    /// 5xx answers of one colour's targets as a percent of its requests, above which it fails.
    pub max_5xx_rate_percent: f64,
    /// The colour's p99 target response time above which it fails.
    pub max_p99: Duration,
    /// One-minute periods an alarm looks at.
    pub evaluation_minutes: u32,
    /// Of those, how many must breach.
    pub breaching_minutes: u32,
    /// How long each traffic step is watched.
    pub bake: Duration,
    /// How long the new colour is watched at full traffic.
    pub watch: Duration,
    /// How long the new colour has to be healthy before traffic moves.
    pub health_timeout: Duration,
}

/// One release a template declares.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredRelease {
    /// Its logical-id prefix (`Release`), the key of its description.
    pub id: String,
    /// Its construct path (`App-Runtime/Release`).
    pub path: String,
    /// Who moves traffic: `Listener` (the stack's listener, by the `Live`, `BlueWeight` and
    /// `GreenWeight` parameters) or `Ecs` (ECS's own deployments).
    pub traffic: String,
    /// Its parameters' logical ids by role (`Live`, `BlueWeight`, `GreenWeight`, `BlueImageTag`,
    /// `GreenImageTag`, `BlueCapacity`, `GreenCapacity`, `ImageTag`, `State`).
    pub parameters: IndexMap<String, String>,
    /// The logical ids of the resources reading them, by role (`BlueTargetGroup`,
    /// `Listener`, `BlueAutoScalingGroup`, `Service`, ...).
    pub resources: IndexMap<String, String>,
    /// Its gates, when the description holds all of them.
    pub gates: Option<DeclaredGates>,
}

impl DeclaredRelease {
    /// The logical id of the parameter of `role`.
    pub fn parameter(&self, role: &str) -> Option<&str> {
        self.parameters.get(role).map(String::as_str)
    }

    /// The logical id of its release marker.
    pub fn state_parameter(&self) -> Option<&str> {
        self.parameter(STATE_ROLE)
    }
}

fn strings(v: &Json) -> IndexMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn gates(v: &Json) -> Option<DeclaredGates> {
    let number = |k: &str| v.get(k).and_then(Json::as_f64).filter(|n| *n >= 0.0);
    let whole = |k: &str| v.get(k).and_then(Json::as_u64);
    let seconds = |k: &str| number(k).map(Duration::from_secs_f64);
    Some(DeclaredGates {
        max_5xx_rate_percent: number("Max5xxRatePercent")?,
        max_p99: seconds("MaxP99Seconds")?,
        evaluation_minutes: u32::try_from(whole("EvaluationMinutes")?).ok()?,
        breaching_minutes: u32::try_from(whole("BreachingMinutes")?).ok()?,
        bake: seconds("BakeSeconds")?,
        watch: seconds("WatchSeconds")?,
        health_timeout: seconds("HealthTimeoutSeconds")?,
    })
}

/// The releases `template` declares, in the order it lists them; none for a template
/// without the description (or with one that is not an object of objects).
pub fn declared_releases(template: &Json) -> Vec<DeclaredRelease> {
    let Some(all) = template
        .get("Metadata")
        .and_then(|m| m.get(METADATA_KEY))
        .and_then(Json::as_object)
    else {
        return Vec::new();
    };
    all.iter()
        .filter(|(_, d)| d.is_object())
        .map(|(id, d)| DeclaredRelease {
            id: id.clone(),
            path: d
                .get("Path")
                .and_then(Json::as_str)
                .unwrap_or(id)
                .to_string(),
            traffic: d
                .get("Traffic")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
            parameters: strings(&d["Parameters"]),
            resources: strings(&d["Resources"]),
            gates: gates(&d["Gates"]),
        })
        .collect()
}

/// A release whose marker says it is not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedRelease {
    /// The release's construct path.
    pub release: String,
    /// Its marker parameter's logical id.
    pub parameter: String,
    /// What the marker says the release is doing.
    pub state: String,
}

/// The first release of `template` whose marker, in the deployed stack's `parameters`,
/// is not empty: a release that was started and neither finished nor rolled back.
pub fn unfinished_release(
    template: &Json,
    parameters: &IndexMap<String, String>,
) -> Option<UnfinishedRelease> {
    declared_releases(template).into_iter().find_map(|r| {
        let parameter = r.state_parameter()?.to_string();
        let state = parameters.get(&parameter)?.trim();
        (!state.is_empty()).then(|| UnfinishedRelease {
            release: r.path.clone(),
            parameter: parameter.clone(),
            state: state.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn template() -> Json {
        json!({
            "Metadata": { METADATA_KEY: {
                "WebRelease": {
                    "Path": "App/WebRelease",
                    "Traffic": "Listener",
                    "Parameters": { "Live": "WebReleaseLive", "State": "WebReleaseState" },
                    "Resources": { "Listener": "EdgeHttpsListener" },
                    "Gates": {
                        "Max5xxRatePercent": 5.0, "MaxP99Seconds": 2.0, "EvaluationMinutes": 3,
                        "BreachingMinutes": 2, "BakeSeconds": 300, "WatchSeconds": 900,
                        "HealthTimeoutSeconds": 600
                    }
                },
                "AdminRelease": {
                    "Path": "App/AdminRelease",
                    "Traffic": "Ecs",
                    "Parameters": { "ImageTag": "AdminReleaseImageTag", "State": "AdminReleaseState" }
                }
            }},
            "Parameters": {}
        })
    }

    #[test]
    fn releases_are_read_with_their_parameters_resources_and_gates() {
        let releases = declared_releases(&template());
        assert_eq!(releases.len(), 2);
        let web = &releases[0];
        assert_eq!(
            (web.id.as_str(), web.path.as_str(), web.traffic.as_str()),
            ("WebRelease", "App/WebRelease", "Listener")
        );
        assert_eq!(web.parameter("Live"), Some("WebReleaseLive"));
        assert_eq!(web.resources["Listener"], "EdgeHttpsListener");
        let gates = web.gates.as_ref().expect("all gates are there");
        assert_eq!(gates.max_p99, Duration::from_secs(2));
        assert_eq!(gates.watch, Duration::from_secs(900));
        assert_eq!(gates.breaching_minutes, 2);
        assert_eq!(releases[1].state_parameter(), Some("AdminReleaseState"));
        assert_eq!(
            releases[1].gates, None,
            "an incomplete description has no gates"
        );
        assert!(declared_releases(&json!({ "Resources": {} })).is_empty());
        assert!(declared_releases(&json!({ "Metadata": { METADATA_KEY: "x" } })).is_empty());
    }

    #[test]
    fn a_release_is_unfinished_while_its_deployed_marker_is_not_empty() {
        let t = template();
        let deployed = |state: &str| {
            IndexMap::from([
                ("WebReleaseLive".to_string(), "Blue".to_string()),
                ("WebReleaseState".to_string(), String::new()),
                ("AdminReleaseState".to_string(), state.to_string()),
            ])
        };
        assert_eq!(unfinished_release(&t, &deployed("")), None);
        assert_eq!(
            unfinished_release(&t, &deployed("  ")),
            None,
            "blank is empty"
        );
        assert_eq!(
            unfinished_release(&t, &deployed("green 2.4.0 at 25%")),
            Some(UnfinishedRelease {
                release: "App/AdminRelease".into(),
                parameter: "AdminReleaseState".into(),
                state: "green 2.4.0 at 25%".into(),
            })
        );
        // A stack deployed before the release existed has no marker yet.
        assert_eq!(unfinished_release(&t, &IndexMap::new()), None);
    }
}
