//! The command line every program gets from `stackwright::run`.

use stackwright::core::{App, CoreError, Env, Expr, Resource, Stack};
use stackwright::l1::kms;

fn demo(app: &App) -> Result<(), CoreError> {
    let base = Stack::new(app, "Demo-Base", Env::new("123456789012", "us-east-1"))?;
    let rt = Stack::new(app, "Demo-Runtime", Env::new("123456789012", "us-east-1"))?;
    let key = Resource::new(
        &base,
        "Key",
        kms::Key {
            enable_key_rotation: Some(true.into()),
            ..Default::default()
        },
    )?;
    Resource::new(&rt, "Alias", kms::Alias::new("alias/demo", key.ref_()))?;
    Ok(())
}

fn broken(app: &App) -> Result<(), CoreError> {
    let s = Stack::new(app, "Broken", Env::new("123456789012", "us-east-1"))?;
    let k = Resource::new(&s, "Key", kms::Key::default())?;
    k.add_property_override("Bogus", Expr::Int(1));
    k.add_property_override("KeySpec", Expr::str("RSA_1"));
    Ok(())
}

fn run(args: &[&str], build: fn(&App) -> Result<(), CoreError>) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = stackwright::run_with(
        std::iter::once("app").chain(args.iter().copied()),
        build,
        &mut out,
        &mut err,
        false,
    );
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn synth_writes_the_assembly_and_prints_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let (code, out, err) = run(&["synth", "--out", out_dir.to_str().unwrap()], demo);
    assert_eq!(code, 0, "{err}");
    assert!(out_dir.join("manifest.json").exists());
    assert!(out_dir.join("Demo-Base.template.json").exists());
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("Stack") && lines[0].contains("Resources"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("Demo-Base") && lines[2].starts_with("Demo-Runtime"),
        "{out}"
    );
}

#[test]
fn synth_with_a_stack_name_prints_its_template_only() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(
        &["--out", dir.path().to_str().unwrap(), "synth", "*-Base"],
        demo,
    );
    assert_eq!(code, 0, "{err}");
    let t: serde_json::Value = serde_json::from_str(&out).expect("stdout is just the template");
    assert_eq!(t["Resources"]["Key"]["Type"], "AWS::KMS::Key");
    assert!(err.contains("Demo-Base"), "the table goes to stderr: {err}");
    let (code, _, err) = run(
        &["--out", dir.path().to_str().unwrap(), "synth", "Nope"],
        demo,
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("no stack matches 'Nope'; the stacks are: Demo-Base, Demo-Runtime"),
        "{err}"
    );
}

#[test]
fn problems_are_all_printed_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&["synth", "--out", dir.path().to_str().unwrap()], broken);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[unknown-property]: AWS::KMS::Key has no property Bogus"),
        "{err}"
    );
    assert!(
        err.contains("error[invalid-value]: KeySpec is 'RSA_1'"),
        "{err}"
    );
    assert!(err.contains("  --> Broken/Key"), "{err}");
    assert!(
        err.contains("synth found 2 error(s); nothing was written"),
        "{err}"
    );
    assert!(!dir.path().join("manifest.json").exists());
}

#[test]
fn construction_errors_are_printed() {
    fn dup(app: &App) -> Result<(), CoreError> {
        Stack::new(app, "A", Env::new("123456789012", "us-east-1"))?;
        Stack::new(app, "A", Env::new("123456789012", "us-east-1"))?;
        Ok(())
    }
    let (code, _, err) = run(&["synth"], dup);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[duplicate-stack]: there is already a stack called 'A'"),
        "{err}"
    );
    assert!(err.contains("= help: stack names must be unique"), "{err}");
}

#[test]
fn list_shows_order_and_dependencies() {
    // --offline: the output must not depend on whether this machine has AWS credentials.
    let (code, out, _) = run(&["list", "--offline"], demo);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "Demo-Base  123456789012/us-east-1\nDemo-Runtime  123456789012/us-east-1  after Demo-Base\n"
    );
}

#[test]
fn bad_command_lines_exit_2_and_help_exits_0() {
    let (code, _, err) = run(&["deploy-everything"], demo);
    assert_eq!(code, 2, "{err}");
    let (code, out, _) = run(&["--help"], demo);
    assert_eq!(code, 0);
    assert!(out.contains("synth") && out.contains("list"), "{out}");
}

/// A program whose load balancer is missing both values only the application knows.
fn unfinished(app: &App) -> Result<(), stackwright::constructs::ConstructError> {
    use stackwright::constructs::alb::{BlueGreenAlb, BlueGreenAlbProps};
    use stackwright::constructs::vpc::{Vpc, VpcProps};
    let s = Stack::new(app, "Web", Env::new("123456789012", "us-east-1"))?;
    let vpc = Vpc::new(&s, "Net", VpcProps::default())?;
    BlueGreenAlb::new(
        &s,
        "Edge",
        &vpc,
        BlueGreenAlbProps::production("web.example.org"),
    )?;
    Ok(())
}

#[test]
fn a_construct_error_prints_each_problem_like_a_synth_finding() {
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = stackwright::run_with(
        ["app", "--out", dir.path().to_str().unwrap()],
        unfinished,
        &mut out,
        &mut err,
        false,
    );
    let err = String::from_utf8(err).unwrap();
    assert_eq!(code, 1, "{err}");
    // One finding per problem, each with the construct path and its fix.
    let findings: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("error[invalid-prop]"))
        .collect();
    assert_eq!(findings.len(), 2, "{err}");
    assert!(findings[0].contains("`health_check.path`"), "{err}");
    assert!(findings[1].contains("`target_port`"), "{err}");
    assert_eq!(err.matches("  --> Web/Edge").count(), 2, "{err}");
    assert!(
        err.contains("= help: set the port your application listens on"),
        "{err}"
    );
    assert!(
        err.lines()
            .last()
            .is_some_and(|l| l.contains("could not be built (2 error(s)); nothing was written")),
        "{err}"
    );
    assert!(!dir.path().join("manifest.json").exists());
}
