//! `deploy`: change sets per stack in dependency order, shown, approved, executed and
//! watched.

use std::cell::RefCell;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use indexmap::IndexMap;
use serde_json::Value as Json;
use stackwright_deploy::change_set::ChangeSet;
use stackwright_deploy::{
    DeployError, DeployOptions, DeployOutcome, DeployResult, Deployer, Prepared, StackTarget,
};
use stackwright_synth::assembly::to_pretty_json;

use crate::printer::{BOLD, Printer, WARNING, format_elapsed};
use crate::select::WhenNoneNamed;
use crate::session::{CmdResult, Context, Prompt, Tracker, interrupted, runtime};
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
    prompt: &mut dyn Prompt,
) -> CmdResult {
    let Some(targets) = ctx.targets(&args.stacks, args.all, WhenNoneNamed::TheOnlyOne("deploy"))?
    else {
        return Ok(1);
    };
    let params = match parse_parameters(&args.parameters) {
        Ok(p) => p,
        Err(e) => {
            ctx.p.error_line(ctx.err, &e)?;
            return Ok(2);
        }
    };
    for stack in params.keys().filter(|s| !s.is_empty()) {
        if !targets.iter().any(|t| t.name == *stack) {
            ctx.p.error_line(
                ctx.err,
                &format!("--parameter names stack {stack}, which is not being deployed"),
            )?;
            return Ok(2);
        }
    }
    for stack in &args.adopt {
        if !targets.iter().any(|t| t.name == *stack) {
            ctx.p.error_line(
                ctx.err,
                &format!("--adopt names stack {stack}, which is not being deployed"),
            )?;
            return Ok(2);
        }
    }
    let rt = runtime()?;
    let tracker = RefCell::new(Tracker::default());
    let p = ctx.p;
    let result = rt.block_on(async {
        let aws = ctx.aws_for(&targets).await;
        let deployer = ctx.deployer(aws);
        let run = deploy_all(ctx, &deployer, &targets, args, &params, prompt, &tracker);
        tokio::select! {
            r = run => r,
            _ = tokio::signal::ctrl_c() => {
                interrupted(p, ctx.err, &deployer, &targets, &tracker).await?;
                Ok(130)
            }
        }
    });
    // A question still waiting on the terminal must not keep the process alive.
    rt.shutdown_timeout(Duration::from_millis(100));
    result
}

async fn deploy_all(
    ctx: &mut Context<'_>,
    deployer: &Deployer,
    targets: &[StackTarget],
    args: &DeployArgs,
    params: &IndexMap<String, IndexMap<String, String>>,
    prompt: &mut dyn Prompt,
    tracker: &RefCell<Tracker>,
) -> CmdResult {
    let p = ctx.p;
    let mut results: Vec<DeployResult> = Vec::new();
    for t in targets {
        tracker.borrow_mut().current = Some((t.name.clone(), "preparing a change set".into()));
        let mut parameters = IndexMap::new();
        if let Some(all) = params.get("") {
            let declared = t.template()?;
            let declared = declared.get("Parameters").and_then(Json::as_object);
            for (k, v) in all {
                if declared.is_some_and(|d| d.contains_key(k)) {
                    parameters.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some(mine) = params.get(&t.name) {
            parameters.extend(mine.clone());
        }
        let options = DeployOptions {
            parameters,
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
            Err(e) => return fail(ctx, &e, &results),
            Ok(Prepared::NoChanges(r)) => {
                writeln!(
                    ctx.out,
                    "{}: no changes (the change set was deleted)",
                    p.paint(BOLD, &t.name)
                )?;
                warn(p, ctx.err, &r.warnings)?;
                tracker.borrow_mut().done.push(t.name.clone());
                results.push(*r);
                continue;
            }
            Ok(Prepared::Ready(pending)) => pending,
        };
        if let Some(status) = &pending.recreated {
            writeln!(
                ctx.out,
                "{}: the stack was {status} and held no resources; it was deleted and is created again",
                p.paint(BOLD, &t.name)
            )?;
        }
        print_change_set(p, ctx.out, t, &pending.change_set)?;
        if args.no_execute {
            writeln!(
                ctx.out,
                "{}: change set {} left for review (--no-execute); deploy again to execute a fresh one",
                p.paint(BOLD, &t.name),
                pending.change_set.name
            )?;
            tracker.borrow_mut().done.push(t.name.clone());
            continue;
        }
        if needs_approval(args, &pending.change_set) {
            tracker.borrow_mut().current = Some((t.name.clone(), "waiting for approval".into()));
            let question = format!("Deploy these changes to {}?", t.name);
            match prompt.ask(&question).await {
                Some(true) => {}
                Some(false) => {
                    writeln!(
                        ctx.out,
                        "{}: not deployed; change set {} left for review",
                        p.paint(BOLD, &t.name),
                        pending.change_set.name
                    )?;
                    return Ok(1);
                }
                None => {
                    p.error_line(ctx.err,
                        &format!(
                            "{} needs approval, but standard input is not a terminal; pass --yes, or --require-approval never for unattended deploys (change set {} was left for review)",
                            t.name, pending.change_set.name
                        ),
                    )?;
                    return Ok(1);
                }
            }
        }
        tracker.borrow_mut().current = Some((t.name.clone(), "executing its change set".into()));
        writeln!(ctx.out, "{}: executing change set", p.paint(BOLD, &t.name))?;
        let mut exec = match deployer.execute(t, &pending).await {
            Ok(x) => x,
            Err(e) => return fail(ctx, &e, &results),
        };
        while let Some(ev) = exec.next().await {
            match ev {
                Ok(ev) => note_activity(p, ctx.out, &exec.activity(ev)),
                Err(e) => return fail(ctx, &e, &results),
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
                tracker.borrow_mut().done.push(t.name.clone());
                results.push(r);
            }
            Err(e) => return fail(ctx, &e, &results),
        }
    }
    tracker.borrow_mut().current = None;
    finish_outputs(ctx, args, &results)?;
    Ok(0)
}

fn warn(p: &Printer, err: &mut dyn Write, warnings: &[String]) -> io::Result<()> {
    for w in warnings {
        writeln!(err, "{}: {w}", p.paint(WARNING, "warning"))?;
    }
    Ok(())
}

fn finish_outputs(ctx: &mut Context<'_>, args: &DeployArgs, results: &[DeployResult]) -> CmdResult {
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
        std::fs::write(path, to_pretty_json(&Json::Object(all)))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        writeln!(ctx.out, "outputs written to {}", path.display())?;
    }
    Ok(0)
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
