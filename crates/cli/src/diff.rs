//! `diff`: each stack's synthesized template against the deployed one, or what a change
//! set says.

use std::io;

use stackwright_deploy::{ChangeSetPreview, DeployOptions};

use crate::printer::BOLD;
use crate::select::WhenNoneNamed;
use crate::session::{CmdResult, Context, runtime};
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

pub(crate) fn diff(ctx: &mut Context<'_>, args: &DiffArgs) -> CmdResult {
    let Some(targets) = ctx.targets(&args.stacks, false, WhenNoneNamed::All)? else {
        return Ok(1);
    };
    let rt = runtime()?;
    rt.block_on(async {
        // The app's tag, as deploy sets it: another value would show as a change.
        let deployer = ctx.deployer(ctx.aws_for(&targets).await);
        let mut code = 0;
        for t in &targets {
            let p = ctx.p;
            if args.change_set {
                let preview = deployer
                    .preview_change_set(t, &DeployOptions::default(), &mut |a| {
                        note_activity(p, &mut io::sink(), &a)
                    })
                    .await;
                match preview {
                    Ok(ChangeSetPreview::NewStack(d)) => {
                        print_template_diff(p, ctx.out, &t.name, &d)?
                    }
                    Ok(ChangeSetPreview::NoChanges) => {
                        writeln!(ctx.out, "{}: no changes", p.paint(BOLD, &t.name))?
                    }
                    Ok(ChangeSetPreview::Changes(cs)) => {
                        print_change_set(p, ctx.out, t, &cs)?;
                        writeln!(ctx.out, "  (the change set was deleted again)")?;
                    }
                    Err(e) => {
                        p.error(ctx.err, &e)?;
                        code = 1;
                    }
                }
            } else {
                match deployer.diff(t).await {
                    Ok(d) => print_template_diff(p, ctx.out, &t.name, &d.diff)?,
                    Err(e) => {
                        p.error(ctx.err, &e)?;
                        code = 1;
                    }
                }
            }
        }
        Ok(code)
    })
}
