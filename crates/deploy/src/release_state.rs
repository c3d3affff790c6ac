//! The release state a template declares, read from the template alone.
//!
//! A stack whose blue/green pair keeps its release state in parameters (the constructs'
//! `Release`) describes each release in its template's top-level `Metadata` under
//! [`METADATA_KEY`]: its construct path, who moves traffic, the logical ids of its
//! parameters (the `State` one being the release marker) and of the resources that read
//! them, and its gates ([`ReleaseDescription`]). Deploy reads each release's marker to refuse
//! a deploy while a release is unfinished ([`unfinished_release`]); the release command
//! reads the whole description from the deployed template. Plain data: no AWS needed.

use std::fmt;
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value as Json;

/// The template `Metadata` entry describing the stack's releases, one object per release
/// under its logical-id prefix. The constructs write it (`stackwright_constructs::release`).
pub const METADATA_KEY: &str = "stackwright:releases";

/// The role of the release marker among a release's parameters.
pub const STATE_ROLE: &str = "State";

/// One of the two colours of a blue/green pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    /// Blue.
    Blue,
    /// Green.
    Green,
}

impl Colour {
    /// `Blue` or `Green`, as the `Live` parameter holds it.
    pub fn name(self) -> &'static str {
        match self {
            Colour::Blue => "Blue",
            Colour::Green => "Green",
        }
    }

    /// The other colour.
    pub fn other(self) -> Colour {
        match self {
            Colour::Blue => Colour::Green,
            Colour::Green => Colour::Blue,
        }
    }

    /// `Blue` or `Green`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Colour> {
        match s {
            "Blue" => Some(Colour::Blue),
            "Green" => Some(Colour::Green),
            _ => None,
        }
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who moves traffic between the colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrafficMover {
    /// The stack's listener, by the `Live`, `BlueWeight` and `GreenWeight` parameters (the
    /// EC2 fleet).
    Listener,
    /// ECS, by its native blue/green deployments (the Fargate fleet).
    Ecs,
}

/// The thresholds and waits a release is judged by.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Percent of the new colour's requests answered 5xx above which it fails.
    pub max_5xx_rate_percent: f64,
    /// The new colour's p99 response time above which it fails.
    pub max_p99: Duration,
    /// How many minutes of metrics a reading looks back at most.
    pub evaluation_minutes: u32,
    /// How long each traffic step is watched.
    pub bake: Duration,
    /// How long the new colour is watched at full traffic before it is promoted.
    pub watch: Duration,
    /// How long the new colour has to have every target healthy.
    pub health_timeout: Duration,
}

/// Why the template's description of its releases cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DescriptionError {
    /// The template describes no release.
    #[error("{stack} describes no release (its template has no Metadata \"{METADATA_KEY}\")")]
    NoRelease {
        /// The stack.
        stack: String,
    },
    /// The template describes several and none was named, or not the one named.
    #[error("{stack} has {}; name one with --release", describe_choice(.asked, .releases))]
    Which {
        /// The stack.
        stack: String,
        /// The release asked for, if one was.
        asked: Option<String>,
        /// The releases it describes.
        releases: Vec<String>,
    },
    /// A key of the description is missing or of the wrong shape.
    #[error("{stack}: release {release} is described without {what}")]
    Malformed {
        /// The stack.
        stack: String,
        /// The release's prefix.
        release: String,
        /// What is missing.
        what: String,
    },
}

fn describe_choice(asked: &Option<String>, releases: &[String]) -> String {
    match asked {
        Some(a) => format!("no release {a} (its releases are {})", releases.join(", ")),
        None => format!("several releases ({})", releases.join(", ")),
    }
}

/// One release as the deployed template describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseDescription {
    /// Its logical-id prefix (`Release`), the key it is described under.
    pub prefix: String,
    /// Its construct path.
    pub path: String,
    /// Who moves traffic.
    pub traffic: TrafficMover,
    /// Its parameters' logical ids by role (`Live`, `BlueWeight`, `BlueImageTag`, ...).
    pub parameters: IndexMap<String, String>,
    /// The logical ids of the resources that read its state, by role (`BlueTargetGroup`,
    /// `Listener`, `BlueAutoScalingGroup`, `Service`, ...).
    pub resources: IndexMap<String, String>,
    /// Its gates, as code declared them.
    pub gates: Thresholds,
}

impl ReleaseDescription {
    /// Every release `template` describes, in the order described.
    pub fn all(stack: &str, template: &Json) -> Result<Vec<ReleaseDescription>, DescriptionError> {
        let Some(all) = template
            .get("Metadata")
            .and_then(|m| m.get(METADATA_KEY))
            .and_then(Json::as_object)
            .filter(|o| !o.is_empty())
        else {
            return Err(DescriptionError::NoRelease {
                stack: stack.to_string(),
            });
        };
        all.iter()
            .map(|(prefix, d)| ReleaseDescription::parse(stack, prefix, d))
            .collect()
    }

    /// The release called `asked`, or the only one.
    pub fn choose(
        stack: &str,
        template: &Json,
        asked: Option<&str>,
    ) -> Result<ReleaseDescription, DescriptionError> {
        let mut all = ReleaseDescription::all(stack, template)?;
        let names: Vec<String> = all.iter().map(|d| d.prefix.clone()).collect();
        let which = match asked {
            Some(a) => all.iter().position(|d| d.prefix == a),
            None if all.len() == 1 => Some(0),
            None => None,
        };
        match which {
            Some(i) => Ok(all.swap_remove(i)),
            None => Err(DescriptionError::Which {
                stack: stack.to_string(),
                asked: asked.map(String::from),
                releases: names,
            }),
        }
    }

    fn parse(stack: &str, prefix: &str, d: &Json) -> Result<ReleaseDescription, DescriptionError> {
        let bad = |what: &str| DescriptionError::Malformed {
            stack: stack.to_string(),
            release: prefix.to_string(),
            what: what.to_string(),
        };
        let map = |key: &str| -> Result<IndexMap<String, String>, DescriptionError> {
            d.get(key)
                .and_then(Json::as_object)
                .ok_or_else(|| bad(key))?
                .iter()
                .map(|(k, v)| {
                    v.as_str()
                        .map(|v| (k.clone(), v.to_string()))
                        .ok_or_else(|| bad(&format!("{key}.{k} as a string")))
                })
                .collect()
        };
        let traffic = match d.get("Traffic").and_then(Json::as_str) {
            Some("Listener") => TrafficMover::Listener,
            Some("Ecs") => TrafficMover::Ecs,
            _ => return Err(bad("Traffic (Listener or Ecs)")),
        };
        let g = d.get("Gates").ok_or_else(|| bad("Gates"))?;
        let number = |key: &str| -> Result<f64, DescriptionError> {
            g.get(key)
                .and_then(Json::as_f64)
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| bad(&format!("Gates.{key}")))
        };
        let seconds = |key: &str| -> Result<Duration, DescriptionError> {
            Ok(Duration::from_secs_f64(number(key)?))
        };
        let gates = Thresholds {
            max_5xx_rate_percent: number("Max5xxRatePercent")?,
            max_p99: seconds("MaxP99Seconds")?,
            evaluation_minutes: number("EvaluationMinutes")? as u32,
            bake: seconds("BakeSeconds")?,
            watch: seconds("WatchSeconds")?,
            health_timeout: seconds("HealthTimeoutSeconds")?,
        };
        let description = ReleaseDescription {
            prefix: prefix.to_string(),
            path: d
                .get("Path")
                .and_then(Json::as_str)
                .unwrap_or(prefix)
                .to_string(),
            traffic,
            parameters: map("Parameters")?,
            resources: map("Resources")?,
            gates,
        };
        let (parameters, resources): (&[&str], &[&str]) = match traffic {
            TrafficMover::Listener => (
                &[
                    "Live",
                    "BlueWeight",
                    "GreenWeight",
                    "BlueImageTag",
                    "GreenImageTag",
                    "BlueCapacity",
                    "GreenCapacity",
                    "State",
                ],
                &[
                    "BlueTargetGroup",
                    "GreenTargetGroup",
                    "Listener",
                    "BlueAutoScalingGroup",
                    "GreenAutoScalingGroup",
                ],
            ),
            TrafficMover::Ecs => (&["ImageTag", "State"], &["Service"]),
        };
        for role in parameters {
            if !description.parameters.contains_key(*role) {
                return Err(bad(&format!("its {role} parameter")));
            }
        }
        for role in resources {
            if !description.resources.contains_key(*role) {
                return Err(bad(&format!("its {role} resource")));
            }
        }
        Ok(description)
    }

    /// The logical id of the parameter `role` (checked present when parsed, for the
    /// traffic mover's roles).
    pub fn parameter(&self, role: &str) -> &str {
        self.parameters.get(role).map_or("", String::as_str)
    }

    /// The logical id of the resource `role`.
    pub fn resource(&self, role: &str) -> &str {
        self.resources.get(role).map_or("", String::as_str)
    }

    /// The parameter holding `colour`'s image tag.
    pub fn tag_parameter(&self, colour: Colour) -> &str {
        self.parameter(&format!("{}ImageTag", colour.name()))
    }

    /// The parameter holding whether `colour` serves.
    pub fn capacity_parameter(&self, colour: Colour) -> &str {
        self.parameter(&format!("{}Capacity", colour.name()))
    }

    /// The parameter holding `colour`'s percent of the listener's traffic (each colour
    /// has one; a release keeps the two summing to 100).
    pub fn weight_parameter(&self, colour: Colour) -> &str {
        self.parameter(&format!("{}Weight", colour.name()))
    }
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
    // Only each release's path and marker are read, leniently: a description the release
    // command would refuse for another reason still holds a marker deploy must honour.
    let all = template.get("Metadata")?.get(METADATA_KEY)?.as_object()?;
    all.iter().find_map(|(prefix, d)| {
        let parameter = d.get("Parameters")?.get(STATE_ROLE)?.as_str()?;
        let state = parameters.get(parameter)?.trim();
        (!state.is_empty()).then(|| UnfinishedRelease {
            release: d
                .get("Path")
                .and_then(Json::as_str)
                .unwrap_or(prefix)
                .to_string(),
            parameter: parameter.to_string(),
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
