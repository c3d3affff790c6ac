//! Guard rule packs in synth: chosen per app or per stack, evaluated over every template
//! (escape hatches included), each finding on its construct path with the control and its
//! fix, and exceptions recorded per resource with a reason.

use stackwright::core::{CoreError, Diagnostic, Expr, Severity};
use stackwright::l1::logs;
use stackwright::prelude::*;
use stackwright::synth::{GuardFileError, GuardRules, Pack, SynthError, synthesize};

fn env() -> Env {
    Env::new("123456789012", "us-east-1")
}

/// A log group that passes the Control Tower pack but for its retention.
fn log_group(scope: &impl Scope, id: &str, days: i64) -> Resource<logs::LogGroup> {
    Resource::new(
        scope,
        id,
        logs::LogGroup {
            retention_in_days: Some(days.into()),
            kms_key_id: Some(
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .into(),
            ),
            ..Default::default()
        },
    )
    .unwrap()
}

fn findings(app: &App) -> Vec<Diagnostic> {
    match synthesize(app) {
        Ok(s) => s.diagnostics.0,
        Err(SynthError::Invalid(d)) => d.0,
        Err(e) => panic!("{e}"),
    }
}

fn guard(found: &[Diagnostic]) -> Vec<&Diagnostic> {
    found.iter().filter(|d| d.code.contains("guard")).collect()
}

#[test]
fn a_broken_control_on_an_l1_resource_is_an_error_with_path_control_and_fix() {
    let app = App::new();
    app.with_rule_packs([Pack::ControlTower]);
    let stack = Stack::new(&app, "Demo", env()).unwrap();
    log_group(&stack, "Logs", 7);

    let Err(SynthError::Invalid(d)) = synthesize(&app) else {
        panic!("a broken control stops synth");
    };
    let found = guard(&d.0);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = found[0];
    assert_eq!(
        (f.code, f.severity, f.path.as_str()),
        ("guard", Severity::Error, "Demo/Logs")
    );
    assert!(f.message.starts_with("[CT.CLOUDWATCH.PR.2] Require an Amazon CloudWatch log group to be retained for at least one year"), "{}", f.message);
    assert!(
        f.message.contains("Properties.RetentionInDays is 7"),
        "{}",
        f.message
    );
    let hint = f.hint.as_deref().unwrap();
    assert!(hint.contains("greater than or equal to 365"), "{hint}");
    assert!(
        hint.contains("guard_exception(\"CT.CLOUDWATCH.PR.2\", reason)"),
        "{hint}"
    );
}

#[test]
fn an_escape_hatch_is_held_to_the_pack_like_a_typed_property() {
    let app = App::new();
    app.with_rule_packs([Pack::ControlTower]);
    let stack = Stack::new(&app, "Demo", env()).unwrap();
    log_group(&stack, "Logs", 365).add_property_override("RetentionInDays", 30);

    let found = findings(&app);
    let found = guard(&found);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0]
            .message
            .contains("Properties.RetentionInDays is 30")
    );
}

#[test]
fn an_exception_with_a_reason_is_written_for_the_tools_and_turns_the_finding_into_a_note() {
    let app = App::new();
    app.with_rule_packs([Pack::ControlTower]);
    let stack = Stack::new(&app, "Demo", env()).unwrap();
    let logs = log_group(&stack, "Logs", 7);
    logs.guard_exception("CT.CLOUDWATCH.PR.2", "flow logs are kept a week, for cost")
        .unwrap();

    let s = synthesize(&app).expect("an excepted finding does not stop synth");
    let meta = &s.stacks[0].template["Resources"]["Logs"]["Metadata"]["guard"];
    assert_eq!(
        meta["SuppressedRules"],
        serde_json::json!(["CT.CLOUDWATCH.PR.2"])
    );
    assert_eq!(
        meta["Reasons"]["CT.CLOUDWATCH.PR.2"],
        "flow logs are kept a week, for cost"
    );
    let found = guard(&s.diagnostics.0);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].severity, Severity::Note);
    assert!(
        found[0]
            .message
            .starts_with("excepted (flow logs are kept a week, for cost): [CT.CLOUDWATCH.PR.2]")
    );
    let listed = stackwright::synth::guard_exceptions(&s.stacks[0]);
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].path.as_str(), listed[0].rule.as_str()),
        ("Demo/Logs", "CT.CLOUDWATCH.PR.2")
    );
}

#[test]
fn a_rule_name_excepts_as_well_as_the_control_id() {
    let app = App::new();
    app.with_rule_packs([Pack::ControlTower]);
    let stack = Stack::new(&app, "Demo", env()).unwrap();
    log_group(&stack, "Logs", 7)
        .guard_exception("cloudwatch_log_group_retention_period_check", "kept a week")
        .unwrap();
    assert!(synthesize(&app).is_ok());
}

#[test]
fn an_exception_needs_a_reason_and_a_rule() {
    let app = App::new();
    let stack = Stack::new(&app, "Demo", env()).unwrap();
    let logs = log_group(&stack, "Logs", 7);
    for (rule, reason) in [("CT.CLOUDWATCH.PR.2", "  "), ("", "for cost")] {
        let e = logs.guard_exception(rule, reason).unwrap_err();
        assert!(
            matches!(&e, CoreError::EmptyGuardException { path, .. } if path == "Demo/Logs"),
            "{e}"
        );
    }
    assert!(logs.metadata("guard").is_none());
}

#[test]
fn a_hand_written_exception_without_a_reason_is_an_error() {
    let app = App::new();
    app.with_rule_packs([Pack::ControlTower]);
    let stack = Stack::new(&app, "Demo", env()).unwrap();
    let logs = log_group(&stack, "Logs", 7);
    logs.add_metadata(
        "guard",
        Expr::object([(
            "SuppressedRules",
            Expr::List(vec![Expr::str("CT.CLOUDWATCH.PR.2")]),
        )]),
    );
    let found = findings(&app);
    let codes: Vec<(&str, Severity)> = guard(&found).iter().map(|d| (d.code, d.severity)).collect();
    assert_eq!(
        codes,
        [
            ("invalid-guard-exception", Severity::Error),
            ("guard", Severity::Error)
        ]
    );
}

#[test]
fn an_exception_that_matches_nothing_is_a_warning() {
    let app = App::new();
    app.with_rule_packs([Pack::ControlTower]);
    let stack = Stack::new(&app, "Demo", env()).unwrap();
    log_group(&stack, "Logs", 365)
        .guard_exception("CT.CLOUDWATCH.PR.2", "kept a week")
        .unwrap();
    let s = synthesize(&app).unwrap();
    let found = guard(&s.diagnostics.0);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        (found[0].code, found[0].severity),
        ("unused-guard-exception", Severity::Warning)
    );
    assert!(
        found[0].message.contains("control-tower"),
        "{}",
        found[0].message
    );
}

#[test]
fn a_pack_of_one_stack_covers_that_stack_only_and_an_apps_pack_covers_all() {
    let app = App::new();
    let strict = Stack::new(&app, "Strict", env()).unwrap();
    let loose = Stack::new(&app, "Loose", env()).unwrap();
    strict.with_rule_packs([Pack::ControlTower]);
    log_group(&strict, "Logs", 7);
    log_group(&loose, "Logs", 7);
    let found = findings(&app);
    let paths: Vec<&str> = guard(&found).iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["Strict/Logs"]);

    // The app's pack and the stack's are the same pack: evaluated once.
    app.with_rule_packs([Pack::ControlTower]);
    let found = findings(&app);
    let paths: Vec<&str> = guard(&found).iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["Strict/Logs", "Loose/Logs"]);
}

const OURS: &str = r#"
rule log_groups_named {
    Resources.*[ Type == 'AWS::Logs::LogGroup' ].Properties.LogGroupName exists
        << [OURS.LOGS.1]: Name every log group [FIX]: Set LogGroupName. >>
}
"#;

#[test]
fn a_users_own_guard_file_is_read_and_evaluated_beside_the_packs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ours.guard");
    std::fs::write(&path, OURS).unwrap();
    let ours = GuardRules::read(&path).unwrap();

    let app = App::new();
    let stack = Stack::new(&app, "Demo", env()).unwrap();
    stack.with_rule_packs([ours]);
    log_group(&stack, "Logs", 7);
    let found = findings(&app);
    let found = guard(&found);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].path, "Demo/Logs");
    assert!(
        found[0]
            .message
            .starts_with("[OURS.LOGS.1] Name every log group"),
        "{}",
        found[0].message
    );
    assert!(
        found[0]
            .message
            .contains("Properties.LogGroupName is not set"),
        "{}",
        found[0].message
    );
    assert!(
        found[0]
            .hint
            .as_deref()
            .unwrap()
            .starts_with("Set LogGroupName.")
    );

    // A directory reads every .guard file in it.
    assert_eq!(
        GuardRules::read(dir.path()).unwrap().name(),
        dir.path().display().to_string()
    );
}

#[test]
fn a_guard_file_that_does_not_parse_or_exist_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.guard");
    std::fs::write(&path, "rule broken {\n    Resources.* ==\n}\n").unwrap();
    let e = GuardRules::read(&path).unwrap_err();
    let GuardFileError::Parse(p) = &e else {
        panic!("{e}");
    };
    assert_eq!(p.line, 3);
    assert!(
        e.to_string().starts_with(&format!("{}:3:", path.display())),
        "{e}"
    );

    let e = GuardRules::read(dir.path().join("missing.guard")).unwrap_err();
    assert!(matches!(e, GuardFileError::Read { .. }), "{e}");
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        GuardRules::read(empty.path()),
        Err(GuardFileError::NoRules { .. })
    ));
}

#[test]
fn a_registry_rule_sees_the_resource_it_skips_for_its_exception() {
    // The registry's rules skip a resource naming them in Metadata.guard.SuppressedRules;
    // synth still sees the finding, so the exception is used, not reported as idle.
    let app = App::new();
    app.with_rule_packs([Pack::Nist80053Rev5]);
    let stack = Stack::new(&app, "Demo", env()).unwrap();
    let logs = Resource::new(&stack, "Logs", logs::LogGroup::default()).unwrap();
    let before = findings(&app);
    let rule = guard(&before)
        .iter()
        .find(|d| d.message.contains("CLOUDWATCH_LOG_GROUP_ENCRYPTED"))
        .map(|d| d.message.clone())
        .expect("the registry pack wants the group encrypted");
    logs.guard_exception(
        "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
        "the logs hold nothing sensitive",
    )
    .unwrap();
    let after = findings(&app);
    let excepted: Vec<&Diagnostic> = guard(&after)
        .into_iter()
        .filter(|d| d.message.contains("CLOUDWATCH_LOG_GROUP_ENCRYPTED"))
        .collect();
    assert_eq!(excepted.len(), 1, "{rule}: {excepted:#?}");
    assert_eq!(excepted[0].severity, Severity::Note);
}

#[test]
fn a_finding_on_no_resource_is_excepted_by_the_resources_the_rule_reads() {
    // NIST's rotation rule fails on the template (no rotation schedule names the secret),
    // on no resource; it passes over a secret that names it in Metadata.guard, so that
    // secret's exception is what excepts the finding.
    let app = App::new();
    app.with_rule_packs([Pack::Nist80053Rev5]);
    let stack = Stack::new(&app, "Demo", env()).unwrap();
    let secret = Resource::new(
        &stack,
        "Token",
        stackwright::l1::secretsmanager::Secret::default(),
    )
    .unwrap();
    let rule = "SECRETSMANAGER_ROTATION_ENABLED_CHECK";
    let of_rule = |found: &[Diagnostic]| -> Vec<Diagnostic> {
        guard(found)
            .into_iter()
            .filter(|d| d.message.contains(rule))
            .cloned()
            .collect()
    };
    let before = of_rule(&findings(&app));
    assert_eq!(before.len(), 1, "{before:#?}");
    assert_eq!(
        (before[0].severity, before[0].path.as_str()),
        (Severity::Error, "Demo")
    );
    assert!(
        before[0]
            .hint
            .as_deref()
            .is_some_and(|h| h
                .contains("resource.guard_exception(\"SECRETSMANAGER_ROTATION_ENABLED_CHECK\"")),
        "{before:#?}"
    );

    secret
        .guard_exception(rule, "the token is rotated by the application's own job")
        .unwrap();
    let all = findings(&app);
    let after = of_rule(&all);
    assert_eq!(after.len(), 1, "{after:#?}");
    assert_eq!(after[0].severity, Severity::Note);
    assert!(
        after[0].message.starts_with(
            "excepted (Demo/Token: the token is rotated by the application's own job)"
        ),
        "{}",
        after[0].message
    );
    let unused: Vec<&Diagnostic> = all
        .iter()
        .filter(|d| d.code == "unused-guard-exception")
        .collect();
    assert!(unused.is_empty(), "{unused:#?}");
}

#[path = "../examples/production.rs"]
#[allow(dead_code)]
mod production;

#[test]
fn the_production_example_passes_control_tower_with_its_exceptions_listed() {
    let app = App::new();
    production::app(&app).unwrap();
    let s = synthesize(&app).expect("every broken control is recorded");
    let notes = guard(&s.diagnostics.0);
    assert!(
        notes.iter().all(|d| d.severity == Severity::Note),
        "{notes:#?}"
    );
    let recorded: usize = s
        .stacks
        .iter()
        .map(|st| stackwright::synth::guard_exceptions(st).len())
        .sum();
    // Every exception excepts a finding: none is idle, none lacks a reason.
    assert_eq!(notes.len(), recorded);
    assert!(
        s.stacks
            .iter()
            .flat_map(stackwright::synth::guard_exceptions)
            .all(|e| !e.reason.is_empty())
    );
}

#[path = "../examples/serverless.rs"]
#[allow(dead_code)]
mod serverless;

#[test]
fn the_serverless_example_passes_control_tower_with_its_exceptions_listed() {
    let app = App::new();
    serverless::app(&app).unwrap();
    let s = synthesize(&app).expect("every broken control is recorded");
    let notes = guard(&s.diagnostics.0);
    assert!(
        notes.iter().all(|d| d.severity == Severity::Note),
        "{notes:#?}"
    );
    let exceptions = stackwright::synth::guard_exceptions(&s.stacks[0]);
    assert_eq!(notes.len(), exceptions.len());
    assert!(exceptions.iter().all(|e| !e.reason.is_empty()));
    // The certificate controls fail partly on a check with no value of its own (the
    // certificate is a parameter, not a resource of the template); those findings are the
    // distribution's, where its exception is, and none is left on the stack.
    for control in ["[CT.CLOUDFRONT.PR.6]", "[CT.CLOUDFRONT.PR.7]"] {
        let on: Vec<&str> = notes
            .iter()
            .filter(|d| d.message.contains(control))
            .map(|d| d.path.as_str())
            .collect();
        assert_eq!(on, ["FlowViz-Production-Jobs/AssetsCdn"], "{control}");
    }
}

#[test]
fn the_production_example_fails_with_readable_findings_when_a_control_is_broken() {
    let app = App::new();
    production::app(&app).unwrap();
    // The same program, with one more log group that breaks a control and says nothing.
    let stack = Stack::new(&app, "FlowViz-Extra", env()).unwrap();
    log_group(&stack, "AuditLogs", 14);
    let Err(SynthError::Invalid(d)) = synthesize(&app) else {
        panic!("an unrecorded broken control stops synth");
    };
    let errors: Vec<&Diagnostic> = d.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].path, "FlowViz-Extra/AuditLogs");
    assert!(errors[0].message.starts_with("[CT.CLOUDWATCH.PR.2]"));
}
