//! `diff`: each stack's synthesized template against the deployed one, or what a change
//! set says.

use std::io;

use stackwright_deploy::{ChangeSetPreview, DeployOptions};

use stackwright_synth::Synthesized;

use crate::printer::BOLD;
use crate::select::{WhenNoneNamed, select};
use crate::session::{CmdResult, Context, affects_every_stack, runtime};
use crate::show::{note_activity, print_change_set, print_template_diff};

/// `diff`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// Stacks to compare (names or `*` patterns); all when none is named.
    stacks: Vec<String>,
    /// Ask CloudFormation for a change set instead, print its changes, then delete it.
    #[arg(long)]
    change_set: bool,
}

/// The stacks `diff` compares (every one when none is named), checked before anything is
/// written; the error is the message to print.
pub(crate) fn check(args: &DiffArgs, s: &Synthesized) -> Result<Vec<String>, String> {
    let names: Vec<&str> = s.stacks.iter().map(|x| x.name.as_str()).collect();
    let chosen = select(&names, &args.stacks, false, WhenNoneNamed::All)?;
    Ok(chosen.into_iter().map(|i| names[i].to_string()).collect())
}

pub(crate) fn diff(ctx: &mut Context<'_>, args: &DiffArgs, stacks: &[String]) -> CmdResult {
    let targets = ctx.targets(stacks)?;
    let rt = runtime()?;
    rt.block_on(async {
        // The app's tag, as deploy sets it: another value would show as a change.
        let deployer = ctx.deployer(ctx.aws_for(&targets).await);
        let mut code = 0;
        for (i, t) in targets.iter().enumerate() {
            let p = ctx.p;
            let failed = if args.change_set {
                let preview = deployer
                    .preview_change_set(t, &DeployOptions::default(), &mut |a| {
                        note_activity(p, &mut io::sink(), &a)
                    })
                    .await;
                match preview {
                    Ok(ChangeSetPreview::NewStack(d)) => {
                        print_template_diff(p, ctx.out, &t.name, &d)?;
                        None
                    }
                    Ok(ChangeSetPreview::NoChanges) => {
                        writeln!(ctx.out, "{}: no changes", p.paint(BOLD, &t.name))?;
                        None
                    }
                    Ok(ChangeSetPreview::Changes(cs)) => {
                        print_change_set(p, ctx.out, t, &cs)?;
                        writeln!(ctx.out, "  (the change set was deleted again)")?;
                        None
                    }
                    Err(e) => Some(e),
                }
            } else {
                match deployer.diff(t).await {
                    Ok(d) => {
                        print_template_diff(p, ctx.out, &t.name, &d.diff)?;
                        None
                    }
                    Err(e) => Some(e),
                }
            };
            let Some(e) = failed else { continue };
            p.error(ctx.err, &e)?;
            code = 1;
            // AWS out of reach (or no credentials): every other stack would say the same.
            if affects_every_stack(&e) {
                let rest: Vec<&str> = targets[i + 1..].iter().map(|t| t.name.as_str()).collect();
                if !rest.is_empty() {
                    writeln!(ctx.err, "  not compared: {}", rest.join(", "))?;
                }
                break;
            }
        }
        Ok(code)
    })
}
