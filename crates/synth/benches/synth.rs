//! Synth throughput: build, validate, serialize and write an app of N resources.
//!
//! Run with `cargo bench -p stackwright-synth --no-default-features` (the AWS SDK is not
//! needed to synthesize, and leaving it out keeps the release build short). The goal is
//! 10,000 resources in well under a second, growing linearly.

use stackwright_core::{App, Construct, Env, Resource, Scope, Stack, cfn_format};
use stackwright_l1::{kms, logs, ssm};
use stackwright_synth::validate::validate;
use stackwright_synth::{Synth, synthesize};

fn main() {
    divan::main();
}

/// An app of `resources` resources spread over stacks of at most 450, each group a key, a
/// log group encrypted with it, and a parameter naming the group: references, `Fn::Sub`
/// and tags on every resource, like real templates.
fn app_with(resources: usize) -> App {
    let app = App::new();
    app.tags().add("Project", "Bench");
    let groups = resources / 3;
    let per_stack = 150;
    let mut stack = None;
    for g in 0..groups {
        if g % per_stack == 0 {
            let s = Stack::new(
                &app,
                &format!("Bench{}", g / per_stack),
                Env::new("123456789012", "us-east-1"),
            )
            .unwrap();
            s.tags().add("Stack", &format!("{}", g / per_stack));
            stack = Some(s);
        }
        let scope = Construct::new(stack.as_ref().unwrap(), &format!("Group{g}")).unwrap();
        let key = Resource::new(
            &scope,
            "Key",
            kms::Key {
                enable_key_rotation: Some(true.into()),
                ..Default::default()
            },
        )
        .unwrap();
        let group = Resource::new(
            &scope,
            "Logs",
            logs::LogGroup {
                kms_key_id: Some(key.attr_arn()),
                retention_in_days: Some(7.into()),
                ..Default::default()
            },
        )
        .unwrap();
        Resource::new(
            &scope,
            "Name",
            ssm::Parameter::new(
                ssm::parameter::Type::String,
                cfn_format!("group {} {}", scope.path(), group.ref_()),
            ),
        )
        .unwrap();
    }
    app
}

#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn build_only(bencher: divan::Bencher, n: usize) {
    bencher
        .with_inputs(|| app_with(n))
        .bench_values(|app| app.build());
}

/// The validation pass alone, over templates built beforehand (its public form, which also
/// measures each template's compact size).
#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn validate_only(bencher: divan::Bencher, n: usize) {
    bencher
        .with_inputs(|| app_with(n).build())
        .bench_refs(|build| validate(&build.stacks));
}

#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn synth_and_write(bencher: divan::Bencher, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    bencher
        .with_inputs(|| app_with(n))
        .bench_values(|app| app.synth_to(dir.path()).unwrap());
}

#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn construct_and_synth(bencher: divan::Bencher, n: usize) {
    bencher.bench(|| synthesize(&app_with(n)).unwrap());
}
