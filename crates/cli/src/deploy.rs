//! `deploy`: change sets per stack in dependency order, shown, approved, executed and
//! watched.

use std::cell::RefCell;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value as Json;
use stackwright_deploy::change_set::ChangeSet;
use stackwright_deploy::{
    DeployError, DeployOptions, DeployOutcome, DeployResult, Deployer, Prepared, StackTarget,
};
use stackwright_synth::Synthesized;
use stackwright_synth::assembly::to_pretty_json;

use crate::printer::{BOLD, Printer, WARNING, format_elapsed};
use crate::select::{WhenNoneNamed, select};
use crate::session::{
    CmdResult, Context, Phase, Prompt, Signals, Tracker, confirm, interrupted, runtime,
};
use crate::show::{note_activity, print_change_set};

/// When deploy asks before executing a change set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Approval {
    /// Ask whenever there is something to change.
    AnyChange,
    /// Ask only when IAM, policies or security groups change.
    Security,
    /// Never ask (unattended deploys).
    Never,
}

/// `deploy`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    /// Stacks to deploy (names or `*` patterns), in dependency order.
    stacks: Vec<String>,
    /// Deploy every stack.
    #[arg(long, conflicts_with = "stacks")]
    all: bool,
    /// Execute without asking.
    #[arg(long, short)]
    yes: bool,
    /// When to ask before executing.
    #[arg(long, value_enum, default_value = "any-change", value_name = "WHEN")]
    require_approval: Approval,
    /// Create the change sets and leave them for review in the console.
    #[arg(long)]
    no_execute: bool,
    /// An S3 bucket for templates over 51,200 bytes (uploaded, then read by CloudFormation).
    #[arg(long, value_name = "NAME")]
    bucket: Option<String>,
    /// Write every stack's outputs to this JSON file (`{"Stack": {"Key": "value"}}`).
    #[arg(long, value_name = "FILE")]
    outputs_file: Option<PathBuf>,
    /// A parameter value: `Stack:Key=Value`, or `Key=Value` for every stack that declares it.
    #[arg(long = "parameter", value_name = "[STACK:]KEY=VALUE")]
    parameters: Vec<String>,
    /// A role CloudFormation assumes to change the resources.
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,
    /// An SNS topic that receives the stack events (repeatable).
    #[arg(long = "notification-arn", value_name = "ARN")]
    notification_arns: Vec<String>,
    /// Take over this stack although this app did not deploy it (no `stackwright:app` tag
    /// naming it): its resources become the template's (repeatable).
    #[arg(long, value_name = "STACK")]
    adopt: Vec<String>,
}

/// Parses `--parameter` values into per-stack maps (`""` for every stack).
fn parse_parameters(
    values: &[String],
) -> Result<IndexMap<String, IndexMap<String, String>>, String> {
    let mut out: IndexMap<String, IndexMap<String, String>> = IndexMap::new();
    for v in values {
        let Some((left, value)) = v.split_once('=') else {
            return Err(format!(
                "--parameter '{v}' has no '='; write Stack:Key=Value or Key=Value"
            ));
        };
        let (stack, key) = left.split_once(':').unwrap_or(("", left));
        if key.is_empty() {
            return Err(format!("--parameter '{v}' names no parameter"));
        }
        out.entry(stack.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

/// What a deploy will do, worked out from the command line and the synthesized templates
/// before anything is written or asked of AWS.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The stacks, in deployment order.
    pub stacks: Vec<String>,
    /// The parameter values each stack gets, by stack.
    parameters: IndexMap<String, IndexMap<String, String>>,
}

/// Checks `deploy`'s arguments against the app: the stacks the patterns name, every
/// `--parameter` declared by a stack it is given to, an `--outputs-file` that can be
/// written. The error is the message to print.
pub(crate) fn check(args: &DeployArgs, s: &Synthesized) -> Result<Plan, String> {
    let names: Vec<&str> = s.stacks.iter().map(|x| x.name.as_str()).collect();
    let chosen = select(
        &names,
        &args.stacks,
        args.all,
        WhenNoneNamed::TheOnlyOne("deploy"),
    )?;
    let declared: IndexMap<&str, Vec<&str>> = chosen
        .iter()
        .map(|i| {
            let keys = s.stacks[*i]
                .template
                .get("Parameters")
                .and_then(Json::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            (names[*i], keys)
        })
        .collect();
    let given = parse_parameters(&args.parameters)?;
    for (stack, values) in &given {
        if stack.is_empty() {
            for key in values.keys() {
                if !declared.values().any(|d| d.contains(&key.as_str())) {
                    return Err(format!(
                        "--parameter {key}: no stack being deployed declares a parameter {key}; {}",
                        declared_parameters(&declared)
                    ));
                }
            }
            continue;
        }
        let Some(keys) = declared.get(stack.as_str()) else {
            return Err(format!(
                "--parameter names stack {stack}, which is not being deployed (the stacks being deployed are: {})",
                declared.keys().copied().collect::<Vec<_>>().join(", ")
            ));
        };
        for key in values.keys() {
            if !keys.contains(&key.as_str()) {
                let theirs = if keys.is_empty() {
                    "it declares no parameters".to_string()
                } else {
                    format!("its parameters are: {}", keys.join(", "))
                };
                return Err(format!(
                    "--parameter {stack}:{key}: stack {stack} declares no parameter {key}; {theirs}"
                ));
            }
        }
    }
    let parameters = declared
        .iter()
        .map(|(stack, keys)| {
            let mut mine = IndexMap::new();
            if let Some(all) = given.get("") {
                for (k, v) in all {
                    if keys.contains(&k.as_str()) {
                        mine.insert(k.clone(), v.clone());
                    }
                }
            }
            if let Some(own) = given.get(*stack) {
                mine.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            (stack.to_string(), mine)
        })
        .collect();
    if let Some(stack) = args
        .adopt
        .iter()
        .find(|a| !declared.contains_key(a.as_str()))
    {
        return Err(format!(
            "--adopt names stack {stack}, which is not being deployed (the stacks being deployed are: {})",
            declared.keys().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(path) = &args.outputs_file {
        check_outputs_file(path)?;
    }
    Ok(Plan {
        stacks: declared.keys().map(|s| s.to_string()).collect(),
        parameters,
    })
}

/// Which of the stacks declare which parameters, for a message about one none declares.
fn declared_parameters(declared: &IndexMap<&str, Vec<&str>>) -> String {
    let with: Vec<String> = declared
        .iter()
        .filter(|(_, keys)| !keys.is_empty())
        .map(|(stack, keys)| format!("{stack}: {}", keys.join(", ")))
        .collect();
    let without: Vec<&str> = declared
        .iter()
        .filter(|(_, keys)| keys.is_empty())
        .map(|(stack, _)| *stack)
        .collect();
    match (with.is_empty(), without.is_empty()) {
        (true, _) => "the stacks being deployed declare no parameters".to_string(),
        (false, true) => format!("the parameters are {}", with.join("; ")),
        (false, false) => format!(
            "the parameters are {} ({} {} none)",
            with.join("; "),
            without.join(", "),
            if without.len() == 1 {
                "declares"
            } else {
                "declare"
            }
        ),
    }
}

/// Whether the outputs file can be written, found out before anything is deployed (and
/// without changing a file that is there).
fn check_outputs_file(path: &Path) -> Result<(), String> {
    let shown = path.display();
    if path.is_dir() {
        return Err(format!(
            "--outputs-file {shown} is a directory; name a file"
        ));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(format!(
            "--outputs-file {shown}: the directory {} does not exist",
            parent.display()
        ));
    }
    let probe = if path.exists() {
        OpenOptions::new().append(true).open(path).map(drop)
    } else {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|f| {
                drop(f);
                fs::remove_file(path)
            })
    };
    probe.map_err(|e| format!("--outputs-file {shown} cannot be written: {e}"))
}

/// Whether deploy must ask before executing `cs`.
fn needs_approval(args: &DeployArgs, cs: &ChangeSet) -> bool {
    if args.yes {
        return false;
    }
    match args.require_approval {
        Approval::Never => false,
        Approval::AnyChange => true,
        Approval::Security => cs.is_security_relevant(),
    }
}

pub(crate) fn deploy(
    ctx: &mut Context<'_>,
    args: &DeployArgs,
    plan: &Plan,
    prompt: &mut dyn Prompt,
) -> CmdResult {
    let targets = ctx.targets(&plan.stacks)?;
    let rt = runtime()?;
    let tracker = RefCell::new(Tracker::default());
    let results = RefCell::new(Vec::new());
    let p = ctx.p;
    let outcome = rt.block_on(async {
        let mut signals = Signals::listen()?;
        let aws = tokio::select! {
            aws = ctx.aws_for(&targets) => aws,
            why = signals.next() => {
                interrupted(p, ctx.err, why, None, &targets, &tracker).await?;
                return Ok(why.code());
            }
        };
        let deployer = ctx.deployer(aws);
        let run = deploy_all(
            ctx, &deployer, &targets, args, plan, prompt, &tracker, &results,
        );
        tokio::select! {
            r = run => r,
            why = signals.next() => {
                interrupted(p, ctx.err, why, Some(&deployer), &targets, &tracker).await?;
                Ok(why.code())
            }
        }
    });
    // A question still waiting on the terminal must not keep the process alive.
    rt.shutdown_timeout(Duration::from_millis(100));
    // What did deploy is reported whatever came after it: a failure, a "no", a signal.
    let results = results.into_inner();
    let written = if matches!(outcome, Ok(0)) || !results.is_empty() {
        finish_outputs(ctx, args, &results)
    } else {
        Ok(())
    };
    match (outcome, written) {
        (Ok(code), Ok(())) => Ok(code),
        (Ok(_), Err(e)) => Err(e),
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(also)) => {
            p.error(ctx.err, &*also)?;
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn deploy_all(
    ctx: &mut Context<'_>,
    deployer: &Deployer,
    targets: &[StackTarget],
    args: &DeployArgs,
    plan: &Plan,
    prompt: &mut dyn Prompt,
    tracker: &RefCell<Tracker>,
    results: &RefCell<Vec<DeployResult>>,
) -> CmdResult {
    let p = ctx.p;
    for t in targets {
        tracker.borrow_mut().start(&t.name, Phase::Preparing);
        let options = DeployOptions {
            parameters: plan.parameters.get(&t.name).cloned().unwrap_or_default(),
            bucket: args.bucket.clone(),
            role_arn: args.role_arn.clone(),
            notification_arns: args.notification_arns.clone(),
            execute: !args.no_execute,
            adopt: args.adopt.contains(&t.name),
            ..DeployOptions::default()
        };
        let out = &mut *ctx.out;
        let prepared = deployer
            .prepare(t, &options, &mut |a| note_activity(p, out, &a))
            .await;
        let pending = match prepared {
            Err(e) => return fail(ctx, &e, &results.borrow()),
            Ok(Prepared::NoChanges(r)) => {
                writeln!(
                    ctx.out,
                    "{}: no changes (the change set was deleted)",
                    p.paint(BOLD, &t.name)
                )?;
                warn(p, ctx.err, &r.warnings)?;
                tracker.borrow_mut().finish(&t.name);
                results.borrow_mut().push(*r);
                continue;
            }
            Ok(Prepared::Ready(pending)) => pending,
        };
        // A stack deleted because it held nothing was announced as it happened
        // (`Activity::Recreating`); `pending.recreated` says the same again.
        print_change_set(p, ctx.out, t, &pending.change_set)?;
        if args.no_execute {
            writeln!(
                ctx.out,
                "{}: change set {} left for review (--no-execute); deploy again to execute a fresh one",
                p.paint(BOLD, &t.name),
                pending.change_set.name
            )?;
            tracker.borrow_mut().finish(&t.name);
            continue;
        }
        if needs_approval(args, &pending.change_set) {
            tracker.borrow_mut().start(
                &t.name,
                Phase::AwaitingApproval {
                    change_set: pending.change_set.name.clone(),
                },
            );
            let question = format!("Deploy these changes to {}?", t.name);
            let declined = format!(
                "{}: not deployed; change set {} left for review",
                p.paint(BOLD, &t.name),
                pending.change_set.name
            );
            let unanswered = format!(
                "{} needs approval, but standard input is not a terminal; pass --yes, or --require-approval never for unattended deploys (change set {} was left for review)",
                t.name, pending.change_set.name
            );
            if !confirm(ctx, prompt, &question, &declined, &unanswered).await? {
                return Ok(1);
            }
        }
        tracker.borrow_mut().start(&t.name, Phase::Executing);
        writeln!(ctx.out, "{}: executing change set", p.paint(BOLD, &t.name))?;
        let mut exec = match deployer.execute(t, &pending).await {
            Ok(x) => x,
            Err(e) => return fail(ctx, &e, &results.borrow()),
        };
        while let Some(ev) = exec.next().await {
            match ev {
                Ok(ev) => note_activity(p, ctx.out, &exec.activity(ev)),
                Err(e) => return fail(ctx, &e, &results.borrow()),
            }
        }
        match exec.finish().await {
            Ok(r) => {
                let verb = if r.outcome == DeployOutcome::Created {
                    "created"
                } else {
                    "updated"
                };
                writeln!(
                    ctx.out,
                    "{}: {verb} ({}) in {}",
                    p.paint(BOLD, &t.name),
                    r.status.as_ref().map(|s| s.as_str()).unwrap_or_default(),
                    format_elapsed(r.elapsed)
                )?;
                warn(p, ctx.err, &r.warnings)?;
                tracker.borrow_mut().finish(&t.name);
                results.borrow_mut().push(r);
            }
            Err(e) => return fail(ctx, &e, &results.borrow()),
        }
    }
    Ok(0)
}

fn warn(p: &Printer, err: &mut dyn Write, warnings: &[String]) -> io::Result<()> {
    for w in warnings {
        writeln!(err, "{}: {w}", p.paint(WARNING, "warning"))?;
    }
    Ok(())
}

/// Prints the outputs of the stacks that deployed and writes `--outputs-file`.
fn finish_outputs(
    ctx: &mut Context<'_>,
    args: &DeployArgs,
    results: &[DeployResult],
) -> Result<(), Box<dyn std::error::Error>> {
    let with_outputs: Vec<&DeployResult> =
        results.iter().filter(|r| !r.outputs.is_empty()).collect();
    if !with_outputs.is_empty() {
        writeln!(ctx.out, "\n{}", ctx.p.paint(BOLD, "Outputs"))?;
        for r in &with_outputs {
            for (k, v) in &r.outputs {
                writeln!(ctx.out, "  {}.{k} = {v}", r.stack)?;
            }
        }
    }
    if let Some(path) = &args.outputs_file {
        let mut all = serde_json::Map::new();
        for r in results {
            all.insert(
                r.stack.clone(),
                Json::Object(
                    r.outputs
                        .iter()
                        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                        .collect(),
                ),
            );
        }
        fs::write(path, to_pretty_json(&Json::Object(all)))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        writeln!(ctx.out, "outputs written to {}", path.display())?;
    }
    Ok(())
}

/// Prints a failed deploy: the error, every failing event's reason, what was deployed.
fn fail(ctx: &mut Context<'_>, e: &DeployError, results: &[DeployResult]) -> CmdResult {
    ctx.p.error(ctx.err, e)?;
    if let DeployError::Failed { reasons, .. } = e
        && reasons.len() > 1
    {
        writeln!(ctx.err, "  the failing resources:")?;
        for r in reasons {
            writeln!(ctx.err, "  - {r}")?;
        }
    }
    if !results.is_empty() {
        let names: Vec<&str> = results.iter().map(|r| r.stack.as_str()).collect();
        writeln!(
            ctx.err,
            "  deployed before the failure: {}",
            names.join(", ")
        )?;
    }
    Ok(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackwright_deploy::change_set::{ChangeAction, ChangeSetKind, ResourceChange};
    use stackwright_deploy::status::{ChangeSetStatus, ExecutionStatus};

    #[test]
    fn parameters_are_per_stack_or_for_all() {
        let p = parse_parameters(&[
            "Env=prod".to_string(),
            "Db:Size=large".to_string(),
            "Db:Url=a=b".to_string(),
        ])
        .unwrap();
        assert_eq!(p[""]["Env"], "prod");
        assert_eq!(p["Db"]["Size"], "large");
        assert_eq!(p["Db"]["Url"], "a=b");
        assert!(parse_parameters(&["nope".into()]).is_err());
        assert!(parse_parameters(&["Db:=1".into()]).is_err());
    }

    /// Three stacks: `Net` declares no parameter, `Web` and `Worker` declare `Size`, and
    /// `Worker` also `Image`.
    fn app() -> Synthesized {
        use stackwright_core::{App, Env, Parameter, ParameterProps, Resource, Stack};
        use stackwright_l1::sns;
        let app = App::new();
        for (name, params) in [
            ("Net", &[][..]),
            ("Web", &["Size"][..]),
            ("Worker", &["Size", "Image"][..]),
        ] {
            let stack = Stack::new(&app, name, Env::new("123456789012", "us-east-1")).unwrap();
            Resource::new(&stack, "Topic", sns::Topic::default()).unwrap();
            for p in params {
                Parameter::new(&stack, p, ParameterProps::string_with_default("x")).unwrap();
            }
        }
        stackwright_synth::synthesize(&app).unwrap()
    }

    fn plan(extra: &[&str]) -> Result<Plan, String> {
        check(&args(extra), &app())
    }

    #[test]
    fn parameters_go_to_the_stacks_that_declare_them() {
        let p = plan(&[
            "--all",
            "--parameter",
            "Size=big",
            "--parameter",
            "Worker:Image=ami-1",
        ])
        .unwrap();
        assert_eq!(p.stacks, ["Net", "Web", "Worker"]);
        assert!(p.parameters["Net"].is_empty());
        assert_eq!(
            p.parameters["Web"],
            IndexMap::from([("Size".to_string(), "big".to_string())])
        );
        assert_eq!(
            p.parameters["Worker"],
            IndexMap::from([
                ("Size".to_string(), "big".to_string()),
                ("Image".to_string(), "ami-1".to_string())
            ])
        );
    }

    #[test]
    fn a_parameter_no_stack_declares_is_refused_naming_what_they_declare() {
        assert_eq!(
            plan(&["--all", "--parameter", "Bogus=1"]).unwrap_err(),
            "--parameter Bogus: no stack being deployed declares a parameter Bogus; the parameters are Web: Size; Worker: Size, Image (Net declares none)"
        );
        assert_eq!(
            plan(&["Net", "--parameter", "Size=1"]).unwrap_err(),
            "--parameter Size: no stack being deployed declares a parameter Size; the stacks being deployed declare no parameters"
        );
        assert_eq!(
            plan(&["--all", "--parameter", "Net:Bogus=1"]).unwrap_err(),
            "--parameter Net:Bogus: stack Net declares no parameter Bogus; it declares no parameters"
        );
        assert_eq!(
            plan(&["--all", "--parameter", "Worker:Bogus=1"]).unwrap_err(),
            "--parameter Worker:Bogus: stack Worker declares no parameter Bogus; its parameters are: Size, Image"
        );
        assert_eq!(
            plan(&["Web", "--parameter", "Worker:Size=1"]).unwrap_err(),
            "--parameter names stack Worker, which is not being deployed (the stacks being deployed are: Web)"
        );
        assert!(
            plan(&["Nope"])
                .unwrap_err()
                .starts_with("no stack matches 'Nope'")
        );
    }

    #[test]
    fn an_outputs_file_that_cannot_be_written_is_refused_and_nothing_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/dir/outputs.json");
        let err = plan(&["--all", "--outputs-file", missing.to_str().unwrap()]).unwrap_err();
        assert!(err.ends_with("does not exist"), "{err}");
        let err = plan(&["--all", "--outputs-file", dir.path().to_str().unwrap()]).unwrap_err();
        assert!(err.ends_with("is a directory; name a file"), "{err}");

        let new = dir.path().join("outputs.json");
        plan(&["--all", "--outputs-file", new.to_str().unwrap()]).unwrap();
        assert!(!new.exists(), "the check leaves no file behind");
        fs::write(&new, "kept").unwrap();
        plan(&["--all", "--outputs-file", new.to_str().unwrap()]).unwrap();
        assert_eq!(fs::read_to_string(&new).unwrap(), "kept", "nor changes one");
    }

    fn change_set(ty: &str) -> ChangeSet {
        ChangeSet {
            id: "id".into(),
            name: "n".into(),
            stack_id: "s".into(),
            stack_name: "S".into(),
            kind: ChangeSetKind::Update,
            status: ChangeSetStatus::CreateComplete,
            status_reason: None,
            execution_status: ExecutionStatus::Available,
            changes: vec![ResourceChange {
                action: ChangeAction::Modify,
                logical_id: "X".into(),
                physical_id: None,
                resource_type: ty.into(),
                replacement: None,
                scope: vec![],
                details: vec![],
            }],
        }
    }

    fn args(extra: &[&str]) -> DeployArgs {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            a: DeployArgs,
        }
        T::parse_from(std::iter::once("t").chain(extra.iter().copied())).a
    }

    #[test]
    fn approval_follows_the_flags() {
        let topic = change_set("AWS::SNS::Topic");
        let role = change_set("AWS::IAM::Role");
        assert!(needs_approval(&args(&[]), &topic));
        assert!(!needs_approval(&args(&["--yes"]), &topic));
        assert!(!needs_approval(
            &args(&["--require-approval", "never"]),
            &role
        ));
        assert!(!needs_approval(
            &args(&["--require-approval", "security"]),
            &topic
        ));
        assert!(needs_approval(
            &args(&["--require-approval", "security"]),
            &role
        ));
    }
}
