//! The Control Tower pack over the production example's five templates (the copies in
//! `tests/fixtures/source/`, as the example synthesizes them): parsing the 237 rule files,
//! and evaluating them all over the five templates. `cargo bench -p stackwright-guard`.
//!
//! Here rather than in `crates/bench` for the reason synth's benchmark is in synth: it
//! needs only this crate, so the release build is this crate's, not the facade's.

use stackwright_guard::{Document, Pack, RuleSet};

fn main() {
    divan::main();
}

const PRODUCTION: [&str; 5] = [
    include_str!("../tests/fixtures/source/FlowViz-Shared.template.json"),
    include_str!("../tests/fixtures/source/FlowViz-Production-Base.template.json"),
    include_str!("../tests/fixtures/source/FlowViz-Production-Runtime.template.json"),
    include_str!("../tests/fixtures/source/FlowViz-Staging-Base.template.json"),
    include_str!("../tests/fixtures/source/FlowViz-Staging-Runtime.template.json"),
];

fn templates() -> Vec<serde_json::Value> {
    PRODUCTION
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect()
}

/// Parsing the 237 Control Tower rule files.
#[divan::bench(sample_count = 20)]
fn parse_control_tower() -> RuleSet {
    Pack::ControlTower.rule_set().unwrap()
}

/// What synth does once per process: the pack's files parsed as the five templates
/// open their gates, each template converted, every rule evaluated or skipped.
#[divan::bench(sample_count = 20)]
fn control_tower_gated_over_production(bencher: divan::Bencher) {
    let templates = templates();
    bencher.bench(|| {
        let rules = Pack::ControlTower.rules();
        templates
            .iter()
            .map(|t| rules.evaluate_document(&Document::new(t)).rules.len())
            .sum::<usize>()
    });
}

/// Converting the five templates for evaluation.
#[divan::bench(sample_count = 20)]
fn convert_production(bencher: divan::Bencher) {
    let templates = templates();
    bencher.bench(|| templates.iter().map(Document::new).count());
}

/// Every Control Tower rule over the five templates, each converted once.
#[divan::bench(sample_count = 20)]
fn control_tower_over_production(bencher: divan::Bencher) {
    let rules = Pack::ControlTower.rule_set().unwrap();
    let templates = templates();
    bencher.bench(|| {
        templates
            .iter()
            .map(|t| rules.evaluate_document(&Document::new(t)).rules.len())
            .sum::<usize>()
    });
}
