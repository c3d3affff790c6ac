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
    assert_eq!(code, 2, "a bad command line");
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

#[test]
fn overlapping_patterns_print_each_template_once_and_quiet_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let (code, out, err) = run(&["--out", out_dir, "synth", "Demo-*", "*-Base"], demo);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.matches("\"AWSTemplateFormatVersion\"").count(),
        2,
        "{out}"
    );
    assert!(
        out.find("AWS::KMS::Key") < out.find("AWS::KMS::Alias"),
        "deployment order: {out}"
    );
    let (code, out, err) = run(&["--out", out_dir, "synth", "-q", "Demo-*", "*-Base"], demo);
    assert_eq!(code, 0, "{err}");
    assert_eq!((out.as_str(), err.as_str()), ("", ""));
    let (code, out, err) = run(&["--out", out_dir, "synth", "-q", "Nope"], demo);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(err.starts_with("error: no stack matches 'Nope'"), "{err}");
}

/// A directory of someone's files: a template-like file, notes, and (optionally) a
/// manifest.json another tool wrote.
fn foreign_dir(manifest: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("network.template.json"), "{}\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "notes\n").unwrap();
    if let Some(m) = manifest {
        std::fs::write(dir.path().join("manifest.json"), m).unwrap();
    }
    dir
}

#[cfg(feature = "aws")]
fn files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn out_keeps_files_stackwright_did_not_write() {
    let dir = foreign_dir(None);
    let (code, _, err) = run(&["synth", "--out", dir.path().to_str().unwrap()], demo);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("network.template.json")).unwrap(),
        "{}\n"
    );
    assert!(dir.path().join("notes.txt").exists());
    assert!(dir.path().join("Demo-Base.template.json").exists());

    // A stack that is gone loses its template, which the manifest says is ours.
    fn base_only(app: &App) -> Result<(), CoreError> {
        let base = Stack::new(app, "Demo-Base", Env::new("123456789012", "us-east-1"))?;
        Resource::new(&base, "Topic", stackwright::l1::sns::Topic::default())?;
        Ok(())
    }
    let (code, _, err) = run(&["synth", "--out", dir.path().to_str().unwrap()], base_only);
    assert_eq!(code, 0, "{err}");
    assert!(!dir.path().join("Demo-Runtime.template.json").exists());
    assert!(dir.path().join("network.template.json").exists());
    assert!(dir.path().join("notes.txt").exists());
}

// Runs deploy, diff or destroy, which need the `aws` feature.
#[cfg(feature = "aws")]
#[test]
fn a_foreign_manifest_is_refused_by_every_command_and_left_alone() {
    let foreign = "{\"format\": \"someone else's\"}\n";
    for args in [
        &["synth"][..],
        &["list", "--offline"][..],
        &["diff"][..],
        &["deploy", "--all", "--yes"][..],
        &["destroy", "--all", "--yes"][..],
    ] {
        let dir = foreign_dir(Some(foreign));
        let before = files(dir.path());
        let mut argv = vec!["--out", dir.path().to_str().unwrap()];
        argv.extend_from_slice(args);
        let (code, _, err) = run(&argv, demo);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.starts_with(&format!(
                "error: {} is not a stackwright manifest (",
                dir.path().join("manifest.json").display()
            )),
            "{args:?}: {err}"
        );
        assert!(err.contains("nothing was written"), "{err}");
        assert!(
            err.contains("= help: write the assembly somewhere else (--out DIR)"),
            "{err}"
        );
        assert_eq!(files(dir.path()), before, "{args:?}");
    }
}

// Runs deploy, diff or destroy, which need the `aws` feature.
#[cfg(feature = "aws")]
#[test]
fn a_refused_command_line_writes_nothing() {
    // The case: a pattern that matches nothing, into a directory another tool owns.
    let dir = foreign_dir(Some("{}"));
    let before = files(dir.path());
    let (code, _, err) = run(
        &["destroy", "Nope*", "--out", dir.path().to_str().unwrap()],
        demo,
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(files(dir.path()), before);

    // With a usable directory, each refusal still leaves it unwritten.
    let outer = tempfile::tempdir().unwrap();
    let out_dir = outer.path().join("out");
    let outputs = outer.path().join("missing/outputs.json");
    for args in [
        &["destroy", "Nope*"][..],
        &["deploy", "Nope"][..],
        &["diff", "Demo-Base", "Nope"][..],
        &["synth", "Nope"][..],
        &["deploy", "--all", "--parameter", "novalue"][..],
        &["deploy", "--all", "--parameter", "Bogus=1"][..],
        &[
            "deploy",
            "--all",
            "--outputs-file",
            outputs.to_str().unwrap(),
        ][..],
        &["deploy"][..],
    ] {
        let mut argv = vec!["--out", out_dir.to_str().unwrap()];
        argv.extend_from_slice(args);
        let (code, out, err) = run(&argv, demo);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(!out_dir.exists(), "{args:?} wrote {}", out_dir.display());
    }
}

// Runs deploy, diff or destroy, which need the `aws` feature.
#[cfg(feature = "aws")]
#[test]
fn a_pattern_that_matches_nothing_exits_like_a_malformed_argument() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let (malformed, _, _) = run(&["--out", out_dir, "deploy", "--bogus-flag"], demo);
    for args in [
        &["deploy", "Nope"][..],
        &["destroy", "Nope"],
        &["diff", "Nope"],
        &["synth", "Nope"],
    ] {
        let mut argv = vec!["--out", out_dir];
        argv.extend_from_slice(args);
        let (code, _, err) = run(&argv, demo);
        assert_eq!((code, malformed), (2, 2), "{args:?}: {err}");
        assert!(
            err.contains("no stack matches 'Nope'; the stacks are: Demo-Base, Demo-Runtime"),
            "{err}"
        );
    }
}

#[test]
fn out_at_a_file_says_it_is_not_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("assembly");
    std::fs::write(&file, "mine\n").unwrap();
    let (code, _, err) = run(&["--out", file.to_str().unwrap(), "synth"], demo);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        format!(
            "error: {} is not a directory\n   = help: the cloud assembly is a directory (created when missing): name one with --out\n",
            file.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");
}

/// Two stacks, one of which declares a parameter.
#[cfg(feature = "aws")]
fn with_parameter(app: &App) -> Result<(), CoreError> {
    use stackwright::core::{Parameter, ParameterProps};
    demo(app)?;
    let svc = Stack::new(app, "Demo-Service", Env::new("123456789012", "us-east-1"))?;
    let size = Parameter::new(&svc, "Size", ParameterProps::string_with_default("small"))?;
    Resource::new(
        &svc,
        "Setting",
        stackwright::l1::ssm::Parameter::new(
            stackwright::l1::ssm::parameter::Type::String,
            size.value::<String>(),
        ),
    )?;
    Ok(())
}

// Runs deploy, diff or destroy, which need the `aws` feature.
#[cfg(feature = "aws")]
#[test]
fn a_parameter_no_stack_declares_is_refused_naming_the_stacks_and_their_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out_dir = out_dir.to_str().unwrap();
    let (code, out, err) = run(
        &[
            "--out",
            out_dir,
            "deploy",
            "--all",
            "--yes",
            "--parameter",
            "Bogus=1",
        ],
        with_parameter,
    );
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(
        err,
        "error: --parameter Bogus: no stack being deployed declares a parameter Bogus; the parameters are Demo-Service: Size (Demo-Base, Demo-Runtime declare none)\n"
    );
    let (code, _, err) = run(
        &[
            "--out",
            out_dir,
            "deploy",
            "--all",
            "--yes",
            "--parameter",
            "Demo-Base:Bogus=1",
        ],
        with_parameter,
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        "error: --parameter Demo-Base:Bogus: stack Demo-Base declares no parameter Bogus; it declares no parameters\n"
    );
    let (code, _, err) = run(
        &[
            "--out",
            out_dir,
            "deploy",
            "Demo-Service",
            "--yes",
            "--parameter",
            "Demo-Service:Bogus=1",
        ],
        with_parameter,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.ends_with("its parameters are: Size\n"), "{err}");
    assert!(!std::path::Path::new(out_dir).exists());
}

// Runs deploy, diff or destroy, which need the `aws` feature.
#[cfg(feature = "aws")]
#[test]
fn an_unwritable_outputs_file_is_refused_before_deploying() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let (code, _, err) = run(
        &[
            "--out",
            out_dir.to_str().unwrap(),
            "deploy",
            "--all",
            "--yes",
            "--outputs-file",
            dir.path().to_str().unwrap(),
        ],
        demo,
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        format!(
            "error: --outputs-file {} is a directory; name a file\n",
            dir.path().display()
        )
    );
    assert!(!out_dir.exists());
}

#[test]
fn synth_lists_the_guard_exceptions_in_force_per_stack() {
    fn excepted(app: &App) -> Result<(), CoreError> {
        use stackwright::l1::logs;
        use stackwright::synth::{Pack, RulePacks};
        app.with_rule_packs([Pack::ControlTower]);
        let s = Stack::new(app, "Demo-Logs", Env::new("123456789012", "us-east-1"))?;
        let group = Resource::new(
            &s,
            "Flow",
            logs::LogGroup {
                retention_in_days: Some(7.into()),
                kms_key_id: Some(
                    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                        .into(),
                ),
                ..Default::default()
            },
        )?;
        group.guard_exception("CT.CLOUDWATCH.PR.2", "kept a week, for cost")?;
        Ok(())
    }
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let (code, out, err) = run(&["synth", "--out", out_dir.to_str().unwrap()], excepted);
    assert_eq!(code, 0, "{err}");
    let summary = out.split_once("Guard exceptions in force\n").map(|x| x.1);
    assert_eq!(
        summary,
        Some("  Demo-Logs (1)\n    CT.CLOUDWATCH.PR.2  Demo-Logs/Flow: kept a week, for cost\n"),
        "{out}"
    );
    assert!(err.contains("excepted (kept a week, for cost)"), "{err}");
}
