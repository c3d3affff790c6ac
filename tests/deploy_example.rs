//! The README's promise, end to end: the reference example (`examples/production.rs`)
//! deployed to moto with `deploy --all --yes` creates every stack, the same command again
//! says "no changes" for each, and `destroy --all --yes` removes them, dependents first.
//!
//! The CLI runs as `cargo run --example production` runs it, with an AWS configuration for
//! moto (`run_with_aws`). What moto 5.2.5 gets wrong for the example is patched in the
//! emulator by `.ci/moto_server.py`, never in the templates; `docs/DEPLOY.md` lists it.
//! The launcher implements termination protection, so destroy refuses the protected stacks
//! as AWS would until the protection is turned off.
#![cfg(feature = "aws")]

mod deploy_support;

#[path = "../examples/production.rs"]
mod production;

use std::time::Instant;

use deploy_support::{aws, block_on, cli, moto, network, protected_stacks, stack_statuses};
use stackwright::core::App;
use stackwright::synth::synthesize;

/// The example's stacks in deployment order, each with the stacks it depends on.
fn example_stacks() -> Vec<(String, Vec<String>)> {
    let app = App::new();
    production::app(&app).expect("the example builds");
    synthesize(&app)
        .expect("the example synthesizes")
        .stacks
        .into_iter()
        .map(|stack| (stack.name, stack.dependencies))
        .collect()
}

fn position(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("'{needle}' not in:\n{text}"))
}

#[test]
fn the_example_deploys_then_has_no_changes_then_is_destroyed() {
    let Some(m) = moto("the_example_deploys_then_has_no_changes_then_is_destroyed") else {
        return;
    };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let stacks = example_stacks();
    assert!(
        stacks.iter().any(|(name, _)| name.ends_with("-Base")),
        "the example has base stacks (network, database, cache): {stacks:?}"
    );
    let network_before = network(m);

    let (code, out, err) = cli(
        m,
        dir.path(),
        &["deploy", "--all", "--yes"],
        production::app,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        !err.contains("termination protection of"),
        "protection was set as the stacks ask: {err}"
    );
    for (name, dependencies) in &stacks {
        let created = format!("{name}: created (CREATE_COMPLETE)");
        for dependency in dependencies {
            assert!(
                position(&out, &format!("{dependency}: created")) < position(&out, &created),
                "{dependency} before {name}:\n{out}"
            );
        }
    }
    let (live, _) = stack_statuses(m);
    for (name, _) in &stacks {
        assert_eq!(
            live.get(name).map(String::as_str),
            Some("CREATE_COMPLETE"),
            "{name}: {live:?}"
        );
    }
    assert_ne!(network(m), network_before, "the base stacks made a network");

    let (code, out, err) = cli(
        m,
        dir.path(),
        &["deploy", "--all", "--yes"],
        production::app,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    for (name, _) in &stacks {
        assert!(
            out.contains(&format!("{name}: no changes (the change set was deleted)")),
            "{name}:\n{out}"
        );
    }
    assert!(!out.contains("executing change set"), "{out}");

    // The app asks for termination protection on its shared and production base stacks,
    // and deploy turned it on (the launcher implements it): destroy refuses, as AWS would,
    // before deleting anything.
    let protected = protected_stacks(m);
    assert!(
        protected.contains("FlowViz-Shared") && protected.contains("FlowViz-Production-Base"),
        "{protected:?}"
    );
    let (code, out, err) = cli(
        m,
        dir.path(),
        &["destroy", "--all", "--yes"],
        production::app,
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("has termination protection; nothing was deleted")
            && err.contains("update-termination-protection --no-enable-termination-protection"),
        "{err}"
    );
    let (live, _) = stack_statuses(m);
    assert_eq!(live.len(), stacks.len(), "nothing was deleted: {live:?}");

    // Turned off the way the hint says, destroy goes ahead.
    block_on(async {
        let cfn = aws_sdk_cloudformation::Client::new(aws(m).await.config());
        for name in &protected {
            cfn.update_termination_protection()
                .stack_name(name)
                .enable_termination_protection(false)
                .send()
                .await
                .unwrap();
        }
    });
    let (code, out, err) = cli(
        m,
        dir.path(),
        &["destroy", "--all", "--yes"],
        production::app,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    for (name, dependencies) in &stacks {
        let deleted = format!("{name}: deleted");
        for dependency in dependencies {
            assert!(
                position(&out, &deleted) < position(&out, &format!("{dependency}: deleted")),
                "{name} before {dependency}:\n{out}"
            );
        }
    }
    let (live, latest) = stack_statuses(m);
    for (name, _) in &stacks {
        assert!(!live.contains_key(name), "{name} is still there: {live:?}");
        assert_eq!(
            latest.get(name).map(String::as_str),
            Some("DELETE_COMPLETE"),
            "{name}: {latest:?}"
        );
    }
    assert_eq!(
        network(m),
        network_before,
        "destroy removed the network (VPCs, subnets, route tables, internet gateways, NAT gateways, EIPs)"
    );
    eprintln!(
        "deploy, deploy again and destroy of {} stacks took {:.1?}",
        stacks.len(),
        started.elapsed()
    );
}
