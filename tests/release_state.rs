//! The examples' release state, as deploy reads it: what the constructs write into a
//! template (`stackwright_constructs::release`) is what deploy's reader
//! (`stackwright_deploy::release_state`) finds there, every id it names exists, and a
//! brand-new stack starts from code's values with no release under way.

#[path = "../examples/fargate_aurora.rs"]
mod fargate_aurora;
#[path = "../examples/production.rs"]
mod production;

use std::time::Duration;

use stackwright::core::App;
use stackwright::deploy::{DescriptionError, ReleaseDescription, TrafficMover, unfinished_release};
use stackwright::synth::synthesize;

/// The releases `template` declares, as the release command reads them (none where it
/// describes none).
fn declared_releases(stack: &str, template: &serde_json::Value) -> Vec<ReleaseDescription> {
    match ReleaseDescription::all(stack, template) {
        Ok(all) => all,
        Err(DescriptionError::NoRelease { .. }) => Vec::new(),
        Err(e) => panic!("{e}"),
    }
}

/// Each stack of `app` with its template.
fn releases(
    build: fn(&App) -> Result<(), stackwright::prelude::ConstructError>,
) -> Vec<(String, serde_json::Value)> {
    let app = App::new();
    build(&app).expect("the example builds");
    let s = synthesize(&app).expect("the example synthesizes");
    s.stacks
        .iter()
        .map(|st| (st.name.clone(), st.template.clone()))
        .collect()
}

/// The parameters' defaults: what a brand-new stack is deployed with.
fn defaults(template: &serde_json::Value) -> indexmap::IndexMap<String, String> {
    template["Parameters"]
        .as_object()
        .map(|ps| {
            ps.iter()
                .filter_map(|(k, p)| Some((k.clone(), p["Default"].as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn writer_and_reader_agree_on_where_the_description_lives() {
    assert_eq!(
        stackwright::constructs::release::METADATA_KEY,
        stackwright::deploy::release_state::METADATA_KEY
    );
}

#[test]
fn the_production_runtimes_declare_one_listener_release_each_and_only_they_do() {
    for (stack, template) in releases(production::app) {
        let declared = declared_releases(&stack, &template);
        if !stack.ends_with("-Runtime") {
            assert!(declared.is_empty(), "{stack} holds no release");
            continue;
        }
        assert_eq!(declared.len(), 1, "{stack}");
        let r = &declared[0];
        assert_eq!(r.path, format!("{stack}/Release"));
        assert_eq!(r.traffic, TrafficMover::Listener);
        for (role, id) in &r.parameters {
            assert!(
                template["Parameters"][id].is_object(),
                "{stack}: {role} names {id}, a parameter of the template"
            );
        }
        for (role, id) in &r.resources {
            assert!(
                template["Resources"][id].is_object(),
                "{stack}: {role} names {id}, a resource of the template"
            );
        }
        let tags = (
            defaults(&template)[r.parameter("BlueImageTag")].clone(),
            defaults(&template)[r.parameter("GreenImageTag")].clone(),
        );
        let expected = if stack.contains("Staging") {
            "1.5.0-rc.1"
        } else {
            "1.4.2"
        };
        assert_eq!(
            tags,
            (expected.to_string(), expected.to_string()),
            "{stack}"
        );
        let gates = &r.gates;
        let watch = if stack.contains("Staging") { 300 } else { 900 };
        assert_eq!(gates.watch, Duration::from_secs(watch), "{stack}");
        assert_eq!(
            unfinished_release(&template, &defaults(&template)),
            None,
            "{stack}: a brand-new stack starts with no release under way"
        );
    }
}

#[test]
fn the_fargate_runtime_declares_an_ecs_release_of_the_image_tag() {
    let stacks = releases(fargate_aurora::app);
    let (stack, template) = &stacks[1];
    let declared = declared_releases(stack, template);
    assert_eq!(declared.len(), 1, "{stack}");
    let r = &declared[0];
    assert_eq!(r.traffic, TrafficMover::Ecs);
    assert_eq!(
        r.parameters.keys().map(String::as_str).collect::<Vec<_>>(),
        ["ImageTag", "State"]
    );
    assert_eq!(defaults(template)[r.parameter("ImageTag")], "2.3.0");
    assert_eq!(r.resources["Service"], "ApiService");
    assert!(declared_releases(&stacks[0].0, &stacks[0].1).is_empty());
}
