//! Logical ids are public API: they must not move when unrelated code changes.

use stackwright::core::{App, Construct, Env, Resource, Scope, Stack};
use stackwright::l1::{ec2, kms};
use stackwright::synth::{SynthError, synthesize};

fn env() -> Env {
    Env::new("123456789012", "us-east-1")
}

fn ids(app: &App) -> Vec<String> {
    let build = app.build();
    assert!(!build.diagnostics.has_errors(), "{}", build.diagnostics);
    build.stacks[0].template["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// Builds a network-like tree; `extra` adds a construct before the others, `reverse`
/// creates the subnets in the opposite order.
fn network(extra: bool, reverse: bool) -> App {
    let app = App::new();
    let stack = Stack::new(&app, "Net", env()).unwrap();
    if extra {
        let other = Construct::new(&stack, "Audit").unwrap();
        Resource::new(&other, "Key", kms::Key::default()).unwrap();
    }
    let net = Construct::new(&stack, "Network").unwrap();
    let vpc = Resource::new(
        &net,
        "Resource",
        ec2::Vpc {
            cidr_block: Some("10.0.0.0/16".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let mut order = vec![1, 2];
    if reverse {
        order.reverse();
    }
    for i in order {
        let subnet = Construct::new(&net, &format!("PublicSubnet{i}")).unwrap();
        Resource::new(&subnet, "Subnet", ec2::Subnet::new(vpc.ref_())).unwrap();
        Resource::new(&subnet, "RouteTable", ec2::RouteTable::new(vpc.ref_())).unwrap();
    }
    app
}

#[test]
fn ids_are_readable_and_derived_from_the_path() {
    let mut got = ids(&network(false, false));
    got.sort();
    assert_eq!(
        got,
        [
            "Network",
            "NetworkPublicSubnet1RouteTable",
            "NetworkPublicSubnet1Subnet",
            "NetworkPublicSubnet2RouteTable",
            "NetworkPublicSubnet2Subnet",
        ]
    );
}

#[test]
fn adding_or_reordering_constructs_renames_nothing() {
    let mut base = ids(&network(false, false));
    base.sort();
    let mut with_extra = ids(&network(true, false));
    with_extra.retain(|id| id != "AuditKey");
    with_extra.sort();
    assert_eq!(base, with_extra, "adding a construct kept every other id");
    let mut reversed = ids(&network(false, true));
    reversed.sort();
    assert_eq!(base, reversed, "reordering kept every id");
}

#[test]
fn removing_a_construct_renames_nothing_else() {
    let app = App::new();
    let stack = Stack::new(&app, "S", env()).unwrap();
    Resource::new(&stack, "A", kms::Key::default()).unwrap();
    Resource::new(&stack, "C", kms::Key::default()).unwrap();
    let without_b = ids(&app);
    let app = App::new();
    let stack = Stack::new(&app, "S", env()).unwrap();
    Resource::new(&stack, "A", kms::Key::default()).unwrap();
    Resource::new(&stack, "B", kms::Key::default()).unwrap();
    Resource::new(&stack, "C", kms::Key::default()).unwrap();
    let mut with_b = ids(&app);
    with_b.retain(|id| id != "B");
    assert_eq!(without_b, with_b);
}

#[test]
fn two_paths_with_one_id_are_an_error_naming_both() {
    let app = App::new();
    let stack = Stack::new(&app, "S", env()).unwrap();
    let a = Construct::new(&stack, "App").unwrap();
    Resource::new(&a, "Db", kms::Key::default()).unwrap();
    Resource::new(&stack, "App-Db", kms::Key::default()).unwrap();
    let Err(SynthError::Invalid(d)) = synthesize(&app) else {
        panic!("a collision must fail synth")
    };
    let c = d.find("logical-id-collision").expect("collision reported");
    assert!(c.message.contains("'AppDb'"), "{c}");
    assert!(
        c.path.contains("S/App-Db") || c.message.contains("S/App-Db"),
        "{c}"
    );
    assert!(
        c.path.contains("S/App/Db") || c.message.contains("S/App/Db"),
        "{c}"
    );
}

#[test]
fn override_logical_id_resolves_a_collision_and_moves_references() {
    let app = App::new();
    let stack = Stack::new(&app, "S", env()).unwrap();
    let vpc = Resource::new(
        &stack,
        "Vpc",
        ec2::Vpc {
            cidr_block: Some("10.0.0.0/16".into()),
            ..Default::default()
        },
    )
    .unwrap();
    vpc.override_logical_id("LegacyVpc");
    Resource::new(&stack, "Subnet", ec2::Subnet::new(vpc.ref_())).unwrap();
    let t = &app.build().stacks[0].template;
    assert!(t["Resources"].get("LegacyVpc").is_some());
    assert_eq!(
        t["Resources"]["Subnet"]["Properties"]["VpcId"],
        serde_json::json!({"Ref": "LegacyVpc"})
    );
}

#[test]
fn odd_ids_never_panic() {
    let app = App::new();
    let stack = Stack::new(&app, "S", env()).unwrap();
    for id in ["", "/", "a/b", "---", "  ", "\u{1F680}", "\0"] {
        assert!(
            Construct::new(&stack, id).is_err(),
            "{id:?} should be refused"
        );
    }
    for id in [
        "é-Key",
        "with space",
        "x".repeat(300).as_str(),
        "Default",
        "Resource",
    ] {
        Construct::new(&stack, id).unwrap_or_else(|e| panic!("{id:?}: {e}"));
    }
    let long = "y".repeat(300);
    let deep = Construct::new(&stack, &long).unwrap();
    Resource::new(&deep, &long, kms::Key::default()).unwrap();
    let build = app.build();
    let id = build.stacks[0].template["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    assert_eq!(id.len(), 255, "long ids are cut to CloudFormation's limit");
    for name in ["", "1abc", "a_b", "a b", &"a".repeat(129)] {
        assert!(
            Stack::new(&app, name, env()).is_err(),
            "stack name {name:?} should be refused"
        );
    }
    let bad = Resource::new(&stack, "Key", kms::Key::default()).unwrap();
    bad.override_logical_id("not-alphanumeric");
    let Err(SynthError::Invalid(d)) = synthesize(&app) else {
        panic!("a bad override must fail synth")
    };
    assert!(d.find("invalid-logical-id").is_some(), "{d}");
}

#[test]
fn duplicate_children_are_refused_at_once() {
    let app = App::new();
    let stack = Stack::new(&app, "S", env()).unwrap();
    Construct::new(&stack, "Network").unwrap();
    let err = Construct::new(&stack, "Network").unwrap_err().to_string();
    assert!(
        err.contains("S: there is already a child called 'Network'"),
        "{err}"
    );
    assert!(Stack::new(&app, "S", env()).is_err());
    let other = App::new();
    let foreign = Stack::new(&other, "T", env()).unwrap();
    assert_eq!(foreign.path(), "T");
}
