//! `destroy`: stacks deleted in reverse dependency order, with what was retained.

use std::cell::RefCell;
use std::time::Duration;

use stackwright_deploy::{DeployError, Deployer, DestroyOutcome, StackTarget};

use stackwright_synth::Synthesized;

use crate::printer::{BOLD, WARNING, format_elapsed};
use crate::select::{WhenNoneNamed, select};
use crate::session::{
    CmdResult, Context, Phase, Prompt, Signals, Tracker, confirm, interrupted, runtime,
};
use crate::show::note_activity;

/// `destroy`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct DestroyArgs {
    /// Stacks to delete (names or `*` patterns); deleted in reverse dependency order.
    stacks: Vec<String>,
    /// Delete every stack.
    #[arg(long, conflicts_with = "stacks")]
    all: bool,
    /// Delete without asking.
    #[arg(long, short)]
    yes: bool,
    /// A role CloudFormation assumes to delete the resources.
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,
}

/// The stacks `destroy` deletes, in deployment order (deleted in reverse), checked before
/// anything is written; the error is the message to print.
pub(crate) fn check(args: &DestroyArgs, s: &Synthesized) -> Result<Vec<String>, String> {
    let names: Vec<&str> = s.stacks.iter().map(|x| x.name.as_str()).collect();
    let chosen = select(
        &names,
        &args.stacks,
        args.all,
        WhenNoneNamed::TheOnlyOne("destroy"),
    )?;
    Ok(chosen.into_iter().map(|i| names[i].to_string()).collect())
}

pub(crate) fn destroy(
    ctx: &mut Context<'_>,
    args: &DestroyArgs,
    stacks: &[String],
    prompt: &mut dyn Prompt,
) -> CmdResult {
    let mut targets = ctx.targets(stacks)?;
    targets.reverse();
    let rt = runtime()?;
    let tracker = RefCell::new(Tracker::default());
    let p = ctx.p;
    let result = rt.block_on(async {
        let mut signals = Signals::listen()?;
        let aws = tokio::select! {
            aws = ctx.aws_for(&targets) => aws,
            why = signals.next() => {
                interrupted(p, ctx.err, why, None, &targets, &tracker).await?;
                return Ok(why.code());
            }
        };
        let deployer = ctx.deployer(aws);
        let run = async {
            // Before asking, and before anything is deleted: stacks this app did not
            // deploy, termination protection, and stacks that deployed ones still depend on.
            if let Err(e) = deployer.check_destroy(ctx.assembly, &targets).await {
                p.error(ctx.err, &e)?;
                return Ok(1);
            }
            if !args.yes {
                let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
                let question = format!(
                    "Delete {} and every resource in it that is not retained?",
                    names.join(", ")
                );
                let unanswered =
                    "destroy needs confirmation, but standard input is not a terminal; pass --yes";
                if !confirm(ctx, prompt, &question, "nothing was deleted", unanswered).await? {
                    return Ok(1);
                }
            }
            destroy_all(ctx, &deployer, &targets, args, &tracker).await
        };
        tokio::select! {
            r = run => r,
            why = signals.next() => {
                interrupted(p, ctx.err, why, Some(&deployer), &targets, &tracker).await?;
                Ok(why.code())
            }
        }
    });
    rt.shutdown_timeout(Duration::from_millis(100));
    result
}

async fn destroy_all(
    ctx: &mut Context<'_>,
    deployer: &Deployer,
    targets: &[StackTarget],
    args: &DestroyArgs,
    tracker: &RefCell<Tracker>,
) -> CmdResult {
    let p = ctx.p;
    for t in targets {
        tracker.borrow_mut().start(&t.name, Phase::Deleting);
        let out = &mut *ctx.out;
        writeln!(out, "{}: deleting", p.paint(BOLD, &t.name))?;
        let r = deployer
            .destroy(t, args.role_arn.as_deref(), &mut |a| {
                note_activity(p, out, &a)
            })
            .await;
        match r {
            Ok(r) if r.outcome == DestroyOutcome::NotDeployed => {
                writeln!(
                    ctx.out,
                    "{}: not deployed; nothing to delete",
                    p.paint(BOLD, &t.name)
                )?;
            }
            Ok(r) => {
                writeln!(
                    ctx.out,
                    "{}: deleted in {}",
                    p.paint(BOLD, &t.name),
                    format_elapsed(r.elapsed)
                )?;
                for x in &r.retained {
                    writeln!(
                        ctx.out,
                        "  {} {} {} ({}) was retained{}",
                        p.paint(WARNING, "kept:"),
                        x.resource_type,
                        x.logical_id,
                        x.path.as_deref().unwrap_or("-"),
                        x.physical_id
                            .as_ref()
                            .map(|id| format!(" as {id}"))
                            .unwrap_or_default()
                    )?;
                }
            }
            Err(e) => {
                p.error(ctx.err, &e)?;
                if let DeployError::Failed { reasons, .. } = &e {
                    for r in reasons.iter().skip(1) {
                        writeln!(ctx.err, "  - {r}")?;
                    }
                }
                return Ok(1);
            }
        }
        tracker.borrow_mut().finish(&t.name);
    }
    Ok(0)
}
