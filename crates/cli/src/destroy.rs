//! `destroy`: stacks deleted in reverse dependency order, with what was retained.

use std::cell::RefCell;
use std::time::Duration;

use stackwright_deploy::{DeployError, Deployer, DestroyOutcome, StackTarget};

use crate::printer::{BOLD, WARNING, format_elapsed};
use crate::select::WhenNoneNamed;
use crate::session::{CmdResult, Context, Prompt, Tracker, interrupted, runtime};
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

pub(crate) fn destroy(
    ctx: &mut Context<'_>,
    args: &DestroyArgs,
    prompt: &mut dyn Prompt,
) -> CmdResult {
    let Some(mut targets) =
        ctx.targets(&args.stacks, args.all, WhenNoneNamed::TheOnlyOne("destroy"))?
    else {
        return Ok(1);
    };
    targets.reverse();
    let rt = runtime()?;
    let tracker = RefCell::new(Tracker::default());
    let p = ctx.p;
    let result = rt.block_on(async {
        let deployer = ctx.deployer(ctx.aws_for(&targets).await);
        // Before asking, and before anything is deleted: stacks this app did not deploy,
        // termination protection, and stacks that deployed ones still depend on.
        if let Err(e) = deployer.check_destroy(ctx.assembly, &targets).await {
            p.error(ctx.err, &e)?;
            return Ok(1);
        }
        if !args.yes {
            let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
            let question = format!("Delete {} and every resource in it that is not retained?", names.join(", "));
            match prompt.ask(&question).await {
                Some(true) => {}
                Some(false) => {
                    writeln!(ctx.out, "nothing was deleted")?;
                    return Ok(1);
                }
                None => {
                    p.error_line(ctx.err,
                        &"destroy needs confirmation, but standard input is not a terminal; pass --yes",
                    )?;
                    return Ok(1);
                }
            }
        }
        let run = destroy_all(ctx, &deployer, &targets, args, &tracker);
        tokio::select! {
            r = run => r,
            _ = tokio::signal::ctrl_c() => {
                interrupted(p, ctx.err, &deployer, &targets, &tracker).await?;
                Ok(130)
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
        tracker.borrow_mut().current = Some((t.name.clone(), "being deleted".into()));
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
        tracker.borrow_mut().done.push(t.name.clone());
    }
    tracker.borrow_mut().current = None;
    Ok(0)
}
