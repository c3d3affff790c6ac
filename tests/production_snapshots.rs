//! Pins every template the reference example writes. A change here is reviewed like code:
//! `cargo insta review`, reading each diff.

#[path = "../examples/production.rs"]
mod production;

use stackwright::core::App;
use stackwright::synth::synthesize;

fn synthesized() -> stackwright::synth::Synthesized {
    let app = App::new();
    production::app(&app).expect("the example builds");
    synthesize(&app).expect("the example synthesizes without errors")
}

#[test]
fn every_template_of_the_example_is_pinned() {
    let s = synthesized();
    let names: Vec<&str> = s.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["FlowViz-Production-Base", "FlowViz-Staging-Base"]);
    for (stack, body) in s.stacks.iter().zip(&s.bodies) {
        insta::assert_snapshot!(stack.name.clone(), body);
    }
}

#[test]
fn the_manifest_is_pinned() {
    let s = synthesized();
    insta::assert_snapshot!(
        "manifest",
        stackwright::synth::assembly::to_pretty_json(&s.manifest())
    );
}

#[test]
fn production_and_staging_differ_in_settings_only() {
    let s = synthesized();
    let resources = |i: usize| -> Vec<(String, String)> {
        s.stacks[i].template["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, r)| (id.clone(), r["Type"].as_str().unwrap().to_string()))
            .collect()
    };
    assert_eq!(
        resources(0),
        resources(1),
        "same resources, same logical ids"
    );
    assert_eq!(
        s.stacks[0].template["Resources"]["AppLogs"]["DeletionPolicy"],
        "Retain"
    );
    assert_eq!(
        s.stacks[1].template["Resources"]["AppLogs"]["DeletionPolicy"],
        "Delete"
    );
}
