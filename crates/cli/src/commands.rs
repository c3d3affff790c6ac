//! The `diff`, `deploy`, `destroy` and `list` commands: printing and asking around
//! [`Deployer`]. Everything that decides what happens to a stack lives in the deployer.

use std::cell::RefCell;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use indexmap::IndexMap;
use serde_json::Value as Json;

use stackwright_deploy::change_set::{ChangeAction, ChangeSet, Replacement};
use stackwright_deploy::diff::{
    ChangeKind, EntryDiff, Impact, PropertyDiff, TemplateDiff, security_reason,
};
use stackwright_deploy::progress::format_elapsed;
use stackwright_deploy::{
    Activity, Aws, ChangeSetPreview, DeployError, DeployOptions, DeployOutcome, DeployResult,
    Deployer, DestroyOutcome, Prepared, StackTarget,
};
use stackwright_synth::CloudAssembly;

use crate::{BOLD, DIM, ERROR, Printer, WARNING};

const GREEN: Style = AnsiColor::Green.on_default();
const RED: Style = AnsiColor::Red.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();

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
}

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

/// `diff`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct DiffArgs {
    /// Stacks to compare (names or `*` patterns); all when none is named.
    stacks: Vec<String>,
    /// Ask CloudFormation for a change set instead, print its changes, then delete it.
    #[arg(long)]
    change_set: bool,
}

/// The result of a command: an exit code, or an error to print.
type CmdResult = Result<u8, Box<dyn std::error::Error>>;

/// Everything a command needs from the CLI around it.
pub(crate) struct Context<'a> {
    pub p: &'a Printer,
    pub assembly: &'a CloudAssembly,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// An AWS configuration given by the embedding program instead of the standard chain.
    pub aws: Option<Aws>,
}

fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// Picks stacks by name or pattern, in deployment order. Without names: every stack when
/// `all_by_default`, or the only one.
fn select(
    ctx: &mut Context<'_>,
    patterns: &[String],
    all: bool,
    all_by_default: bool,
    verb: &str,
) -> Result<Option<Vec<StackTarget>>, Box<dyn std::error::Error>> {
    let names: Vec<&String> = ctx.assembly.manifest.stacks.keys().collect();
    let chosen: Vec<&String> =
        if all || (patterns.is_empty() && (all_by_default || names.len() == 1)) {
            names.clone()
        } else if patterns.is_empty() {
            let list: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
            writeln!(
                ctx.err,
                "{}: name the stacks to {verb}, or pass --all; the stacks are: {}",
                ctx.p.paint(ERROR, "error"),
                list.join(", ")
            )?;
            return Ok(None);
        } else {
            let mut chosen = Vec::new();
            for pat in patterns {
                let hits: Vec<&String> = names
                    .iter()
                    .copied()
                    .filter(|n| crate::matches_pattern(pat, n))
                    .collect();
                if hits.is_empty() {
                    let list: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
                    writeln!(
                        ctx.err,
                        "{}: no stack matches '{pat}'; the stacks are: {}",
                        ctx.p.paint(ERROR, "error"),
                        list.join(", ")
                    )?;
                    return Ok(None);
                }
                chosen.extend(hits);
            }
            names
                .iter()
                .copied()
                .filter(|n| chosen.contains(n))
                .collect()
        };
    let targets = chosen
        .into_iter()
        .map(|n| StackTarget::from_assembly(ctx.assembly, n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(targets))
}

async fn aws_for(ctx: &Context<'_>, targets: &[StackTarget]) -> Aws {
    if let Some(aws) = &ctx.aws {
        return aws.clone();
    }
    match targets.first().map(|t| &t.manifest.environment.region) {
        Some(r)
            if targets
                .iter()
                .all(|t| !t.manifest.environment.region.is_empty()) =>
        {
            Aws::from_env_in(r.clone()).await
        }
        _ => Aws::from_env().await,
    }
}

fn error_line(p: &Printer, err: &mut dyn Write, e: &dyn std::fmt::Display) -> io::Result<()> {
    writeln!(err, "{}: {e}", p.paint(ERROR, "error"))
}

// ---------------------------------------------------------------------------------------
// diff

pub(crate) fn diff(ctx: &mut Context<'_>, args: &DiffArgs) -> CmdResult {
    let Some(targets) = select(ctx, &args.stacks, false, true, "diff")? else {
        return Ok(1);
    };
    let rt = runtime()?;
    rt.block_on(async {
        let deployer = Deployer::new(aws_for(ctx, &targets).await);
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
                        error_line(p, ctx.err, &e)?;
                        code = 1;
                    }
                }
            } else {
                match deployer.diff(t).await {
                    Ok(d) => print_template_diff(p, ctx.out, &t.name, &d.diff)?,
                    Err(e) => {
                        error_line(p, ctx.err, &e)?;
                        code = 1;
                    }
                }
            }
        }
        Ok(code)
    })
}

fn sign(kind: ChangeKind) -> (&'static str, Style) {
    match kind {
        ChangeKind::Added => ("[+]", GREEN),
        ChangeKind::Removed => ("[-]", RED),
        ChangeKind::Modified => ("[~]", YELLOW),
    }
}

fn short(v: &Option<Json>) -> String {
    match v {
        None => "(none)".into(),
        Some(v) => serde_json::to_string(v).unwrap_or_default(),
    }
}

fn pretty(v: &Json) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// One changed value: inline when short, a line diff of the pretty JSON when long (a
/// policy document reads far better as a diff than as two blobs).
fn print_value_change(
    p: &Printer,
    w: &mut dyn Write,
    indent: &str,
    label: &str,
    old: &Option<Json>,
    new: &Option<Json>,
    note: &str,
) -> io::Result<()> {
    let (o, n) = (short(old), short(new));
    if o.len() + n.len() <= 100 {
        let text = match (old, new) {
            (None, _) => format!("{label}: {n}"),
            (_, None) => format!("{label}: {o} (removed)"),
            _ => format!("{label}: {o} → {n}"),
        };
        return writeln!(w, "{indent}{text}{note}");
    }
    writeln!(w, "{indent}{label}:{note}")?;
    let o = old.as_ref().map(pretty).unwrap_or_default();
    let n = new.as_ref().map(pretty).unwrap_or_default();
    let diff = similar::TextDiff::from_lines(&o, &n);
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end_matches('\n');
        match change.tag() {
            similar::ChangeTag::Delete => {
                writeln!(w, "{indent}  {}", p.paint(RED, &format!("- {line}")))?
            }
            similar::ChangeTag::Insert => {
                writeln!(w, "{indent}  {}", p.paint(GREEN, &format!("+ {line}")))?
            }
            similar::ChangeTag::Equal => writeln!(w, "{indent}    {line}")?,
        }
    }
    Ok(())
}

fn impact_note(p: &Printer, impact: Impact) -> String {
    match impact {
        Impact::InPlace => String::new(),
        Impact::MayReplace => format!(" {}", p.paint(WARNING, "(may replace)")),
        Impact::Replace => format!(" {}", p.paint(ERROR, "(replaces)")),
    }
}

pub(crate) fn print_template_diff(
    p: &Printer,
    w: &mut dyn Write,
    stack: &str,
    d: &TemplateDiff,
) -> io::Result<()> {
    if d.is_empty() {
        return writeln!(w, "{}: no differences", p.paint(BOLD, stack));
    }
    let c = d.counts();
    writeln!(
        w,
        "{}{}: {} to add, {} to modify, {} to remove, {} to replace",
        p.paint(BOLD, stack),
        if d.new_stack { " (new stack)" } else { "" },
        c.added,
        c.modified,
        c.removed,
        c.replaced
    )?;
    for r in &d.resources {
        let (mark, style) = sign(r.kind);
        let what = match r.impact {
            Impact::Replace => format!(" {}", p.paint(ERROR, "REPLACE")),
            Impact::MayReplace => format!(" {}", p.paint(WARNING, "MAY REPLACE")),
            Impact::InPlace => String::new(),
        };
        let security = r
            .security
            .map(|s| format!(" {}", p.paint(WARNING, &format!("[security: {s}]"))))
            .unwrap_or_default();
        let ty = match &r.old_type {
            Some(old) => format!("{old} → {}", r.resource_type),
            None => r.resource_type.clone(),
        };
        writeln!(
            w,
            "{} {} {}{}{}{}",
            p.paint(style, mark),
            ty,
            r.logical_id,
            r.path
                .as_ref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default(),
            what,
            security
        )?;
        // Added and removed resources are shown whole only by name; their properties are
        // all new or all gone, which the mark already says.
        if r.kind == ChangeKind::Modified {
            for prop in &r.properties {
                print_property(p, w, prop)?;
            }
            for a in &r.attributes {
                print_value_change(p, w, "     ", &a.key, &a.old, &a.new, "")?;
            }
        }
    }
    for (title, entries) in [
        ("Parameters", &d.parameters),
        ("Outputs", &d.outputs),
        ("Template", &d.sections),
    ] {
        if !entries.is_empty() {
            writeln!(w, "  {title}:")?;
            for e in entries {
                print_entry(p, w, e)?;
            }
        }
    }
    let security: Vec<_> = d.security_changes().collect();
    if !security.is_empty() {
        writeln!(
            w,
            "  {}",
            p.paint(
                WARNING,
                "Security-relevant changes; review them before deploying:"
            )
        )?;
        for r in security {
            let (mark, style) = sign(r.kind);
            writeln!(
                w,
                "    {} {} {} ({})",
                p.paint(style, mark),
                r.resource_type,
                r.logical_id,
                r.security.unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

fn print_property(p: &Printer, w: &mut dyn Write, prop: &PropertyDiff) -> io::Result<()> {
    let kind = match (&prop.old, &prop.new) {
        (None, _) => ChangeKind::Added,
        (_, None) => ChangeKind::Removed,
        _ => ChangeKind::Modified,
    };
    let (mark, style) = sign(kind);
    let label = format!("{} {}", p.paint(style, mark), prop.path);
    print_value_change(
        p,
        w,
        "     └─ ",
        &label,
        &prop.old,
        &prop.new,
        &impact_note(p, prop.impact),
    )
}

fn print_entry(p: &Printer, w: &mut dyn Write, e: &EntryDiff) -> io::Result<()> {
    let (mark, style) = sign(e.kind);
    let label = format!("{} {}", p.paint(style, mark), e.key);
    match e.kind {
        ChangeKind::Modified => print_value_change(p, w, "    ", &label, &e.old, &e.new, ""),
        _ => writeln!(w, "    {label}"),
    }
}

fn print_change_set(
    p: &Printer,
    w: &mut dyn Write,
    t: &StackTarget,
    cs: &ChangeSet,
) -> io::Result<()> {
    writeln!(w, "{}: {}", p.paint(BOLD, &t.name), cs.summary())?;
    for c in &cs.changes {
        let (mark, style) = match (&c.action, c.replacement) {
            (ChangeAction::Add, _) => ("[+]", GREEN),
            (ChangeAction::Remove, _) => ("[-]", RED),
            (ChangeAction::Modify, Some(Replacement::True)) => ("[!]", RED),
            _ => ("[~]", YELLOW),
        };
        let replace = match c.replacement {
            Some(Replacement::True) => format!(" {}", p.paint(ERROR, "REPLACE")),
            Some(Replacement::Conditional) => format!(" {}", p.paint(WARNING, "MAY REPLACE")),
            _ => String::new(),
        };
        let names: Vec<&str> = c.details.iter().filter_map(|d| d.name.as_deref()).collect();
        let security = security_reason(&c.resource_type, &names)
            .map(|s| format!(" {}", p.paint(WARNING, &format!("[security: {s}]"))))
            .unwrap_or_default();
        writeln!(
            w,
            "{} {:<7} {} {}{}{}{}",
            p.paint(style, mark),
            c.action,
            c.resource_type,
            c.logical_id,
            t.manifest
                .paths
                .get(&c.logical_id)
                .map(|x| format!(" ({x})"))
                .unwrap_or_default(),
            replace,
            security
        )?;
    }
    Ok(())
}

/// Whether a change set touches IAM, policies or security groups.
fn is_security_relevant(cs: &ChangeSet) -> bool {
    cs.changes.iter().any(|c| {
        let names: Vec<&str> = c.details.iter().filter_map(|d| d.name.as_deref()).collect();
        security_reason(&c.resource_type, &names).is_some()
    })
}

// ---------------------------------------------------------------------------------------
// deploy

/// What the CLI knows about each stack of a deploy or destroy, kept outside the running
/// future so that Ctrl-C can say where everything was left.
#[derive(Default)]
struct Tracker {
    current: Option<(String, String)>,
    done: Vec<String>,
}

fn note_activity(p: &Printer, w: &mut dyn Write, a: &Activity) {
    let _ = match a {
        Activity::Waiting { stack, status } => writeln!(
            w,
            "{}: {status}: waiting for the running operation to end",
            p.paint(BOLD, stack)
        ),
        Activity::Recreating { stack, status } => writeln!(
            w,
            "{}: {status}; it holds no resources, so it is deleted and created again",
            p.paint(BOLD, stack)
        ),
        Activity::Uploaded { stack, url } => {
            writeln!(w, "{}: template uploaded to {url}", p.paint(BOLD, stack))
        }
        Activity::Event {
            event,
            path,
            done,
            total,
            elapsed,
        } => {
            let style = if event.status.is_failure() {
                RED
            } else if event.status.as_str().ends_with("_COMPLETE") {
                GREEN
            } else {
                DIM
            };
            let who = match path {
                Some(path) => format!("{path} ({})", event.logical_id),
                None => event.logical_id.clone(),
            };
            writeln!(
                w,
                "  {:>3}/{:<3} {:>6}  {}  {:<28} {who}{}",
                done,
                total,
                format_elapsed(*elapsed),
                p.paint(style, &format!("{:<28}", event.status.as_str())),
                event.resource_type,
                event
                    .reason
                    .as_ref()
                    .map(|r| format!("  {r}"))
                    .unwrap_or_default()
            )
        }
    };
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

/// A boxed answer to a question.
pub(crate) type Answer<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Option<bool>> + 'a>>;

/// Asks a yes/no question. Asynchronous, so that Ctrl-C is still heard while it waits.
pub(crate) trait Prompt {
    /// The answer, or `None` when nobody can answer (no terminal).
    fn ask(&mut self, question: &str) -> Answer<'_>;
}

/// Standard input, when it is a terminal.
pub(crate) struct Stdin;

impl Prompt for Stdin {
    fn ask(&mut self, question: &str) -> Answer<'_> {
        let question = question.to_string();
        Box::pin(async move {
            if !io::stdin().is_terminal() {
                return None;
            }
            eprint!("{question} [y/N] ");
            let _ = io::stderr().flush();
            let line = tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                io::stdin().lock().read_line(&mut line).map(|_| line)
            })
            .await
            .ok()?
            .ok()?;
            Some(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
        })
    }
}

/// Whether deploy must ask before executing `cs`.
fn needs_approval(args: &DeployArgs, cs: &ChangeSet) -> bool {
    if args.yes {
        return false;
    }
    match args.require_approval {
        Approval::Never => false,
        Approval::AnyChange => true,
        Approval::Security => is_security_relevant(cs),
    }
}

pub(crate) fn deploy(
    ctx: &mut Context<'_>,
    args: &DeployArgs,
    prompt: &mut dyn Prompt,
) -> CmdResult {
    let Some(targets) = select(ctx, &args.stacks, args.all, false, "deploy")? else {
        return Ok(1);
    };
    let params = match parse_parameters(&args.parameters) {
        Ok(p) => p,
        Err(e) => {
            error_line(ctx.p, ctx.err, &e)?;
            return Ok(2);
        }
    };
    for stack in params.keys().filter(|s| !s.is_empty()) {
        if !targets.iter().any(|t| t.name == *stack) {
            error_line(
                ctx.p,
                ctx.err,
                &format!("--parameter names stack {stack}, which is not being deployed"),
            )?;
            return Ok(2);
        }
    }
    let rt = runtime()?;
    let tracker = RefCell::new(Tracker::default());
    let p = ctx.p;
    let result = rt.block_on(async {
        let aws = aws_for(ctx, &targets).await;
        let deployer = Deployer::new(aws);
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
                    error_line(
                        p,
                        ctx.err,
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
        std::fs::write(
            path,
            stackwright_synth::assembly::to_pretty_json(&Json::Object(all)),
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        writeln!(ctx.out, "outputs written to {}", path.display())?;
    }
    Ok(0)
}

/// Prints a failed deploy: the error, every failing event's reason, what was deployed.
fn fail(ctx: &mut Context<'_>, e: &DeployError, results: &[DeployResult]) -> CmdResult {
    error_line(ctx.p, ctx.err, e)?;
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

/// After Ctrl-C: which stack was left in which state. CloudFormation goes on with an
/// operation it started; stopping here only stops watching.
async fn interrupted(
    p: &Printer,
    err: &mut dyn Write,
    deployer: &Deployer,
    targets: &[StackTarget],
    tracker: &RefCell<Tracker>,
) -> io::Result<()> {
    let (current, done) = {
        let t = tracker.borrow();
        (t.current.clone(), t.done.clone())
    };
    writeln!(err, "\n{}: interrupted", p.paint(ERROR, "error"))?;
    if let Some((stack, phase)) = &current {
        let status = match targets.iter().find(|x| x.name == *stack) {
            Some(target) => {
                match tokio::time::timeout(Duration::from_secs(10), deployer.status(target)).await {
                    Ok(Ok(Some(s))) => s.status.to_string(),
                    Ok(Ok(None)) => "not deployed".to_string(),
                    Ok(Err(e)) => format!("unknown ({e})"),
                    Err(_) => "unknown (no answer within 10 s)".to_string(),
                }
            }
            None => "unknown".to_string(),
        };
        writeln!(
            err,
            "  {stack} was {phase} and is left {status}; CloudFormation carries on with an operation it started (run the command again to wait for it)"
        )?;
    }
    if !done.is_empty() {
        writeln!(err, "  finished: {}", done.join(", "))?;
    }
    let untouched: Vec<&str> = targets
        .iter()
        .map(|x| x.name.as_str())
        .filter(|n| !done.iter().any(|d| d == n) && current.as_ref().is_none_or(|(c, _)| c != n))
        .collect();
    if !untouched.is_empty() {
        writeln!(err, "  not started: {}", untouched.join(", "))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// destroy

pub(crate) fn destroy(
    ctx: &mut Context<'_>,
    args: &DestroyArgs,
    prompt: &mut dyn Prompt,
) -> CmdResult {
    let Some(mut targets) = select(ctx, &args.stacks, args.all, false, "destroy")? else {
        return Ok(1);
    };
    targets.reverse();
    let rt = runtime()?;
    let tracker = RefCell::new(Tracker::default());
    let p = ctx.p;
    let result = rt.block_on(async {
        let deployer = Deployer::new(aws_for(ctx, &targets).await);
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
                    error_line(
                        p,
                        ctx.err,
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
                error_line(p, ctx.err, &e)?;
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

// ---------------------------------------------------------------------------------------
// list

/// Whether credentials are visibly configured, so `list` may look up deployed statuses
/// without probing the EC2 instance metadata service on a machine that has none.
pub(crate) fn aws_configured() -> bool {
    const VARS: [&str; 6] = [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_ENDPOINT_URL",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    if VARS.iter().any(|v| std::env::var_os(v).is_some()) {
        return true;
    }
    std::env::var_os("HOME").is_some_and(|home| {
        let aws = PathBuf::from(home).join(".aws");
        aws.join("credentials").exists() || aws.join("config").exists()
    })
}

/// Each stack's deployed status (or why it is unknown), by name.
pub(crate) fn deployed_statuses(
    ctx: &Context<'_>,
) -> Result<IndexMap<String, String>, Box<dyn std::error::Error>> {
    let targets = StackTarget::all(ctx.assembly)?;
    let rt = runtime()?;
    Ok(rt.block_on(async {
        let deployer = Deployer::new(aws_for(ctx, &targets).await);
        let mut out = IndexMap::new();
        for t in &targets {
            let s = match deployer.status(t).await {
                Ok(Some(s)) => s.status.to_string(),
                Ok(None) => "not deployed".to_string(),
                Err(DeployError::NoCredentials { .. }) => {
                    "status unknown: no AWS credentials".to_string()
                }
                Err(e) => format!(
                    "status unknown: {}",
                    e.to_string().lines().next().unwrap_or_default()
                ),
            };
            out.insert(t.name.clone(), s);
        }
        out
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackwright_deploy::change_set::{ChangeSetKind, ResourceChange};
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
