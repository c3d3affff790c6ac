//! Synth of the reference architecture: the production example (five stacks, about 160
//! resources) and ten copies of an environment in one app.
//!
//! `cargo bench -p stackwright-bench` (the AWS SDK
//! is not needed to synthesize; leaving it out keeps the release build short). The
//! whole-process figures (time and peak memory of `production synth`) come from
//! `crates/bench/process.sh`.

#[path = "../../../examples/production.rs"]
mod production;

use stackwright::core::{App, Env};
use stackwright::synth::{Synth, synthesize};

fn main() {
    divan::main();
}

fn ten_copies() -> App {
    let app = App::new();
    let shared = production::shared(&app, Env::new("123456789012", "us-east-1")).unwrap();
    for i in 0..10 {
        let settings = production::Settings {
            name: format!("Copy{i}"),
            ..production::Settings::production()
        };
        production::flowviz(&app, &shared, settings).unwrap();
    }
    app
}

/// Building the construct tree only.
#[divan::bench(sample_count = 50)]
fn build_example_app() -> App {
    let app = App::new();
    production::app(&app).unwrap();
    app
}

/// Templates from the production example's tree (built beforehand): ids, references,
/// exports, tags.
#[divan::bench(sample_count = 50)]
fn build_example_templates(bencher: divan::Bencher) {
    bencher
        .with_inputs(|| {
            let app = App::new();
            production::app(&app).unwrap();
            app
        })
        .bench_refs(|app| app.build());
}

/// Tree, validation and serialization of the production example, in memory.
#[divan::bench(sample_count = 50)]
fn synthesize_example() {
    let app = App::new();
    production::app(&app).unwrap();
    divan::black_box(synthesize(&app).unwrap());
}

/// The same, written to disk as a cloud assembly.
#[divan::bench(sample_count = 50)]
fn synth_example_to_disk(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().unwrap();
    bencher.bench(|| {
        let app = App::new();
        production::app(&app).unwrap();
        app.synth_to(dir.path()).unwrap()
    });
}

/// Ten production environments (21 stacks, about 800 resources) in one app.
#[divan::bench(sample_count = 20)]
fn synthesize_ten_copies() {
    divan::black_box(synthesize(&ten_copies()).unwrap());
}
