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
    assert_eq!(
        names,
        [
            "FlowViz-Shared",
            "FlowViz-Production-Base",
            "FlowViz-Production-Runtime",
            "FlowViz-Staging-Base",
            "FlowViz-Staging-Runtime"
        ]
    );
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
    let (production, staging) = (resources(1), resources(3));
    // Same code, same logical ids: staging only lacks the second zone's NAT gateway.
    let missing: Vec<&str> = production
        .iter()
        .filter(|r| !staging.contains(r))
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(
        missing,
        ["NetworkPublicSubnet2Eip", "NetworkPublicSubnet2NatGateway"]
    );
    assert!(staging.iter().all(|r| production.contains(r)));
    let props = |i: usize, id: &str| s.stacks[i].template["Resources"][id].clone();
    assert_eq!(props(1, "Database")["Properties"]["MultiAZ"], true);
    assert_eq!(props(3, "Database")["Properties"]["MultiAZ"], false);
    assert_eq!(props(1, "Database")["DeletionPolicy"], "Snapshot");
    assert_eq!(props(3, "Database")["DeletionPolicy"], "Delete");
    assert_eq!(props(1, "Cache")["Properties"]["NumCacheClusters"], 2);
    assert_eq!(props(3, "Cache")["Properties"]["NumCacheClusters"], 1);
    let runtime = |i: usize| resources(i);
    assert_eq!(
        runtime(2),
        runtime(4),
        "runtime stacks have the same resources"
    );
    assert_eq!(
        s.stacks[2].dependencies,
        ["FlowViz-Shared", "FlowViz-Production-Base"]
    );
    assert_eq!(
        props(3, "NetworkPrivateSubnet2DefaultRoute")["Properties"]["NatGatewayId"],
        serde_json::json!({"Ref": "NetworkPublicSubnet1NatGateway"}),
        "staging's one NAT gateway serves both zones"
    );
}
