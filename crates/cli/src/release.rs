//! `release`: a new image tag brought up on the idle colour, traffic moved to it step by
//! step under the gates, promoted or rolled back; `--status` and `--rollback`.

use std::fmt;
use std::io::{self, Write};
use std::time::Duration;

use stackwright_deploy::release_plan::{
    Colour, GateReading, ReleaseOptions, ReleaseState, Strategy, steps_for,
};
use stackwright_deploy::{
    PreparedRelease, ReleaseError, ReleaseEvent, ReleaseOutcome, ReleaseStatus, Releaser,
    StackTarget, StepKind,
};
use stackwright_synth::Synthesized;

use crate::printer::{BOLD, GREEN, Printer, RED, YELLOW, format_elapsed};
use crate::select::{WhenNoneNamed, select};
use crate::session::{CmdResult, Context, Prompt, Signals, confirm, runtime};
use crate::show::note_activity;

/// The exit code of a release that a gate failed and that was rolled back.
pub(crate) const ROLLED_BACK: u8 = 3;
/// The exit code of a refusal before anything changed (as for a bad command line).
const REFUSED: u8 = 2;

/// How traffic moves, as the command line writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StrategyArg {
    /// All traffic in one step.
    AllAtOnce,
    /// In steps (`--steps`, default 5,25,50,75,100), each baked.
    Linear,
    /// A share, baked, then all (`--steps`, default 5,100).
    Canary,
}

impl From<StrategyArg> for Strategy {
    fn from(s: StrategyArg) -> Self {
        match s {
            StrategyArg::AllAtOnce => Strategy::AllAtOnce,
            StrategyArg::Linear => Strategy::Linear,
            StrategyArg::Canary => Strategy::Canary,
        }
    }
}

/// `release`'s options.
#[derive(Debug, clap::Args)]
pub(crate) struct ReleaseArgs {
    /// The stack (a name, or a `*` pattern matching one stack).
    stack: String,
    /// The image tag to release to the idle colour.
    #[arg(
        long,
        value_name = "TAG",
        required_unless_present_any = ["status", "rollback"],
        conflicts_with_all = ["status", "rollback"]
    )]
    image_tag: Option<String>,
    /// How traffic moves to the new colour.
    #[arg(long, value_enum, default_value = "all-at-once", value_name = "HOW")]
    strategy: StrategyArg,
    /// Percent of traffic on the new colour at each step, rising, ending at 100.
    #[arg(long, value_parser = parse_steps, value_name = "PERCENTS")]
    steps: Option<Steps>,
    /// How long each step is watched (default: the template's gates), e.g. `5m`, `90s`.
    #[arg(long, value_parser = parse_duration, value_name = "TIME")]
    bake: Option<Duration>,
    /// How long full traffic is watched before promotion (default: the template's gates).
    #[arg(long, value_parser = parse_duration, value_name = "TIME")]
    watch: Option<Duration>,
    /// Roll back when more of the new colour's requests answer 5xx, e.g. `5%`.
    #[arg(long = "max-5xx-rate", value_parser = parse_percent, value_name = "PERCENT")]
    max_5xx_rate: Option<f64>,
    /// Roll back when the new colour's p99 response time is longer, e.g. `2s`, `800ms`.
    #[arg(long, value_parser = parse_duration, value_name = "TIME")]
    max_p99: Option<Duration>,
    /// How often the gates are read.
    #[arg(long, value_parser = parse_duration, default_value = "15s", value_name = "TIME")]
    poll: Duration,
    /// Which release of the stack, when it has several (its logical-id prefix).
    #[arg(long, value_name = "ID")]
    release: Option<String>,
    /// Start (or roll back) without asking.
    #[arg(long, short)]
    yes: bool,
    /// Show the live colour, weights, image tag per colour and any unfinished release.
    #[arg(long, conflicts_with = "rollback")]
    status: bool,
    /// Put all traffic back on the live colour and scale the idle one to zero.
    #[arg(long)]
    rollback: bool,
}

/// `--steps`: percents as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Steps(Vec<u8>);

/// A flag value that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadValue {
    value: String,
    expected: &'static str,
}

impl fmt::Display for BadValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not {}", self.value, self.expected)
    }
}

impl std::error::Error for BadValue {}

const DURATION: &str = "a time: a whole number with a unit, ms, s, m or h, or several from the largest (`5m`, `90s`, `1m30s`, `800ms`)";
const PERCENT: &str = "a percent above 0 and at most 100 (`5%`, `2.5%`, `5`)";
const STEPS: &str = "percents from 1 to 100, separated by commas (`5,25,50,75,100`)";

/// A duration: whole numbers with units, largest first, each unit once.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, BadValue> {
    let bad = || BadValue {
        value: s.to_string(),
        expected: DURATION,
    };
    const UNITS: [(&str, u64); 4] = [("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)];
    let mut rest = s;
    let mut total: u64 = 0;
    let mut last_unit = None;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..letters];
        rest = &rest[letters..];
        let Some(i) = UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(bad());
        };
        if last_unit.is_some_and(|l| i <= l) {
            return Err(bad());
        }
        last_unit = Some(i);
        total = n
            .checked_mul(UNITS[i].1)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(bad)?;
    }
    Ok(Duration::from_millis(total))
}

/// A percent: a number, optionally with `%`, above 0 and at most 100.
pub(crate) fn parse_percent(s: &str) -> Result<f64, BadValue> {
    let bad = || BadValue {
        value: s.to_string(),
        expected: PERCENT,
    };
    let number = s.strip_suffix('%').unwrap_or(s);
    let shape = !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && number.bytes().filter(|b| *b == b'.').count() <= 1
        && !number.starts_with('.')
        && !number.ends_with('.');
    if !shape {
        return Err(bad());
    }
    let value: f64 = number.parse().map_err(|_| bad())?;
    if value > 0.0 && value <= 100.0 {
        Ok(value)
    } else {
        Err(bad())
    }
}

/// `--steps`: whole percents separated by commas (their order is checked with the
/// strategy).
pub(crate) fn parse_steps(s: &str) -> Result<Steps, BadValue> {
    let bad = || BadValue {
        value: s.to_string(),
        expected: STEPS,
    };
    s.split(',')
        .map(|part| {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse::<u8>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(bad)
        })
        .collect::<Result<Vec<u8>, BadValue>>()
        .map(Steps)
}

/// What `release` works on, checked before anything is written.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The stack.
    pub stack: String,
    options: Option<ReleaseOptions>,
}

/// Checks `release`'s arguments against the app: one stack, steps that suit the strategy.
pub(crate) fn check(args: &ReleaseArgs, s: &Synthesized) -> Result<Checked, String> {
    let names: Vec<&str> = s.stacks.iter().map(|x| x.name.as_str()).collect();
    let chosen = select(
        &names,
        std::slice::from_ref(&args.stack),
        false,
        WhenNoneNamed::TheOnlyOne("release"),
    )?;
    if chosen.len() != 1 {
        let matched: Vec<&str> = chosen.iter().map(|i| names[*i]).collect();
        return Err(format!(
            "release works on one stack; '{}' matches {}",
            args.stack,
            matched.join(", ")
        ));
    }
    let options = match &args.image_tag {
        None => None,
        Some(tag) => {
            let strategy = Strategy::from(args.strategy);
            let steps = args.steps.as_ref().map(|s| s.0.clone());
            steps_for(strategy, steps.as_deref()).map_err(|e| format!("--steps {e}"))?;
            Some(ReleaseOptions {
                image_tag: tag.clone(),
                strategy,
                steps,
                bake: args.bake,
                watch: args.watch,
                max_5xx_rate_percent: args.max_5xx_rate,
                max_p99: args.max_p99,
            })
        }
    };
    Ok(Checked {
        stack: names[chosen[0]].to_string(),
        options,
    })
}

pub(crate) fn release(
    ctx: &mut Context<'_>,
    args: &ReleaseArgs,
    checked: &Checked,
    prompt: &mut dyn Prompt,
) -> CmdResult {
    let targets = ctx.targets(std::slice::from_ref(&checked.stack))?;
    let target = &targets[0];
    let rt = runtime()?;
    let p = ctx.p;
    let result = rt.block_on(async {
        let mut signals = Signals::listen()?;
        let aws = tokio::select! {
            aws = ctx.aws_for(&targets) => aws,
            why = signals.next() => {
                writeln!(ctx.err, "\n{}: nothing was changed", why_text(why.code()))?;
                return Ok(why.code());
            }
        };
        let releaser = Releaser::new(ctx.deployer(aws)).poll_interval(args.poll);
        if args.status {
            return status(ctx, &releaser, target, args.release.as_deref()).await;
        }
        if args.rollback {
            return rollback(ctx, &releaser, target, args, prompt).await;
        }
        let Some(options) = checked.options.as_ref() else {
            writeln!(
                ctx.err,
                "release {}: give --image-tag TAG to release, --status or --rollback",
                target.name
            )?;
            return Ok(REFUSED);
        };
        let prepared = tokio::select! {
            r = releaser.prepare(target, args.release.as_deref(), options) => r,
            why = signals.next() => {
                writeln!(ctx.err, "\n{}: nothing was changed", why_text(why.code()))?;
                return Ok(why.code());
            }
        };
        let prepared = match prepared {
            Ok(x) => x,
            Err(e) => {
                p.error(ctx.err, &e)?;
                return Ok(REFUSED);
            }
        };
        print_plan(p, ctx.out, &prepared)?;
        if !args.yes {
            let question = format!("Release {} to {}?", prepared.plan.image_tag, target.name);
            let unanswered = "release needs confirmation, but standard input is not a terminal; pass --yes (nothing was changed)";
            if !confirm(ctx, prompt, &question, "nothing was changed", unanswered).await? {
                return Ok(1);
            }
        }
        let out = &mut *ctx.out;
        let stack = target.name.clone();
        let outcome = {
            let mut notes = Notes::new(p, &stack);
            let mut on = |e: ReleaseEvent| notes.note(out, &e);
            tokio::select! {
                r = releaser.run(&prepared, &mut on) => Some(r),
                why = signals.next() => {
                    interrupted(ctx, &releaser, target, &prepared, why.code(), prompt).await?;
                    return Ok(why.code());
                }
            }
        };
        match outcome {
            Some(Ok(ReleaseOutcome::Promoted { colour, tag, elapsed })) => {
                let old = colour.map(Colour::other);
                writeln!(
                    ctx.out,
                    "{}: {} {tag} serves all traffic{}; promoted in {}",
                    p.paint(BOLD, &target.name),
                    p.paint(GREEN, "released:"),
                    match (colour, old) {
                        (Some(c), Some(o)) => format!(" on {c}, {o} scaled to zero"),
                        _ => String::new(),
                    },
                    format_elapsed(elapsed)
                )?;
                Ok(0)
            }
            Some(Ok(ReleaseOutcome::RolledBack { breach, elapsed })) => {
                p.error_line(
                    ctx.err,
                    &format!(
                        "{}: rolled back after {}: {breach}",
                        target.name,
                        format_elapsed(elapsed)
                    ),
                )?;
                Ok(ROLLED_BACK)
            }
            Some(Err(e)) => {
                p.error(ctx.err, &e)?;
                left_where_it_is(ctx.err, &target.name, &prepared.plan.image_tag)?;
                Ok(1)
            }
            None => Ok(1),
        }
    });
    rt.shutdown_timeout(Duration::from_millis(100));
    result
}

fn why_text(code: u8) -> &'static str {
    if code == 130 {
        "interrupted (Ctrl-C)"
    } else {
        "terminated (SIGTERM)"
    }
}

/// How to go on from a release left unfinished.
fn left_where_it_is(err: &mut dyn Write, stack: &str, tag: &str) -> io::Result<()> {
    writeln!(
        err,
        "  the release is left where it is (`release {stack} --status` shows it); continue it with `release {stack} --image-tag {tag}` (it goes on from the step the stack is at), or put all traffic back on the live colour with `release {stack} --rollback`"
    )
}

/// After Ctrl-C or SIGTERM during a run: asks whether to roll back now; otherwise (or
/// with nobody at the terminal) leaves the release where it is and says how to go on.
async fn interrupted(
    ctx: &mut Context<'_>,
    releaser: &Releaser,
    target: &StackTarget,
    prepared: &PreparedRelease,
    code: u8,
    prompt: &mut dyn Prompt,
) -> io::Result<()> {
    let p = ctx.p;
    writeln!(ctx.err, "\n{}: {}", p.paint(RED, "error"), why_text(code))?;
    writeln!(
        ctx.err,
        "  CloudFormation finishes a change set it started; the release goes no further"
    )?;
    let answer = if code == 130 {
        prompt
            .ask("Roll back now (all traffic to the live colour, the new one scaled to zero)? No leaves the release where it is")
            .await
    } else {
        None
    };
    match answer {
        Some(true) => {
            let out = &mut *ctx.out;
            let stack = target.name.clone();
            let mut notes = Notes::new(p, &stack);
            let mut on = |e: ReleaseEvent| notes.note(out, &e);
            match releaser
                .rollback(target, Some(&prepared.plan.release), &mut on)
                .await
            {
                Ok(status) => {
                    print_status(p, ctx.out, &status)?;
                    writeln!(ctx.out, "{}: rolled back", p.paint(BOLD, &target.name))
                }
                Err(e) => {
                    let _ = p.error(ctx.err, &e);
                    left_where_it_is(ctx.err, &target.name, &prepared.plan.image_tag)
                }
            }
        }
        Some(false) => left_where_it_is(ctx.err, &target.name, &prepared.plan.image_tag),
        None => {
            writeln!(
                ctx.err,
                "  standard input is not a terminal, so nobody was asked whether to roll back"
            )?;
            left_where_it_is(ctx.err, &target.name, &prepared.plan.image_tag)
        }
    }
}

async fn status(
    ctx: &mut Context<'_>,
    releaser: &Releaser,
    target: &StackTarget,
    release: Option<&str>,
) -> CmdResult {
    match releaser.status(target).await {
        Ok(all) => {
            let mut shown = 0;
            for s in all
                .iter()
                .filter(|s| release.is_none_or(|r| s.description.prefix == r))
            {
                print_status(ctx.p, ctx.out, s)?;
                shown += 1;
            }
            if shown == 0 {
                ctx.p.error_line(
                    ctx.err,
                    &format!(
                        "{} has no release {}",
                        target.name,
                        release.unwrap_or_default()
                    ),
                )?;
                return Ok(REFUSED);
            }
            Ok(0)
        }
        Err(e) => {
            ctx.p.error(ctx.err, &e)?;
            Ok(1)
        }
    }
}

async fn rollback(
    ctx: &mut Context<'_>,
    releaser: &Releaser,
    target: &StackTarget,
    args: &ReleaseArgs,
    prompt: &mut dyn Prompt,
) -> CmdResult {
    let p = ctx.p;
    if !args.yes {
        let question = format!(
            "Put all traffic of {} back on the live colour and scale the idle one to zero?",
            target.name
        );
        let unanswered = "rollback needs confirmation, but standard input is not a terminal; pass --yes (nothing was changed)";
        if !confirm(ctx, prompt, &question, "nothing was changed", unanswered).await? {
            return Ok(1);
        }
    }
    let out = &mut *ctx.out;
    let stack = target.name.clone();
    let mut notes = Notes::new(p, &stack);
    let mut on = |e: ReleaseEvent| notes.note(out, &e);
    let r = releaser
        .rollback(target, args.release.as_deref(), &mut on)
        .await;
    match r {
        Ok(status) => {
            print_status(p, ctx.out, &status)?;
            writeln!(ctx.out, "{}: rolled back", p.paint(BOLD, &target.name))?;
            Ok(0)
        }
        Err(e @ ReleaseError::NothingToRollBack { .. }) => {
            p.error(ctx.err, &e)?;
            Ok(REFUSED)
        }
        Err(e) => {
            p.error(ctx.err, &e)?;
            Ok(1)
        }
    }
}

fn print_plan(p: &Printer, w: &mut dyn Write, r: &PreparedRelease) -> io::Result<()> {
    let plan = &r.plan;
    let t = &plan.thresholds;
    let stack = &r.status.stack;
    let resumed = if plan.resumed {
        " (continuing the unfinished release)"
    } else {
        ""
    };
    writeln!(
        w,
        "{}: release {} of {} ({}){resumed}",
        p.paint(BOLD, stack),
        plan.image_tag,
        plan.release,
        r.status.description.path
    )?;
    match &plan.listener {
        Some(l) => {
            let steps: Vec<String> = l.steps.iter().map(|s| format!("{s}%")).collect();
            writeln!(
                w,
                "  {} gets {} and is scaled up; its targets must be healthy within {}",
                l.to,
                plan.image_tag,
                secs(t.health_timeout)
            )?;
            writeln!(
                w,
                "  traffic moves from {} ({}) {}: {}, each step baked {}, 100% watched {}",
                l.from,
                plan.previous_tag,
                plan.strategy.name(),
                steps.join(", "),
                secs(t.bake),
                secs(t.watch)
            )?;
            writeln!(
                w,
                "  gates: {} alarm(s) of the stack, {}'s 5xx rate at most {}%, its p99 at most {}",
                r.alarms.len(),
                l.to,
                t.max_5xx_rate_percent,
                secs(t.max_p99)
            )?;
            writeln!(
                w,
                "  then {} is live and {} scaled to zero; a failed gate puts all traffic back on {}",
                l.to, l.from, l.from
            )
        }
        None => writeln!(
            w,
            "  the service gets {} (now {}); ECS's blue/green deployment shifts the traffic, bakes and rolls back on the service's deployment alarms",
            plan.image_tag, plan.previous_tag
        ),
    }
}

fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        format!("{ms}ms")
    } else {
        let s = d.as_secs();
        if s >= 60 && s.is_multiple_of(60) {
            format!("{}m", s / 60)
        } else {
            format!("{s}s")
        }
    }
}

fn print_status(p: &Printer, w: &mut dyn Write, s: &ReleaseStatus) -> io::Result<()> {
    writeln!(
        w,
        "{}: release {} ({})",
        p.paint(BOLD, &s.stack),
        s.description.prefix,
        s.description.path
    )?;
    match &s.state {
        ReleaseState::Listener {
            live,
            idle_weight,
            blue,
            green,
            marker,
        } => {
            for c in [Colour::Blue, Colour::Green] {
                let state = if c == Colour::Blue { blue } else { green };
                let weight = if c == *live {
                    100 - idle_weight
                } else {
                    *idle_weight
                };
                writeln!(
                    w,
                    "  {:<5} {:<4} {:>3}%  {}  {}",
                    c.name(),
                    if c == *live { "live" } else { "idle" },
                    weight,
                    state.image_tag,
                    if state.serving {
                        "serving"
                    } else {
                        "scaled to zero"
                    }
                )?;
            }
            unfinished(p, w, marker.as_ref())
        }
        ReleaseState::Ecs { image_tag, marker } => {
            writeln!(w, "  service image tag {image_tag} (ECS moves traffic)")?;
            unfinished(p, w, marker.as_ref())
        }
    }
}

fn unfinished(
    p: &Printer,
    w: &mut dyn Write,
    marker: Option<&stackwright_deploy::release_plan::Marker>,
) -> io::Result<()> {
    match marker {
        Some(m) => writeln!(w, "  {} {m}", p.paint(YELLOW, "unfinished:")),
        None => writeln!(w, "  no release unfinished"),
    }
}

fn step_text(kind: &StepKind) -> String {
    match kind {
        StepKind::ScaleUp => "scaling the new colour up with the tag".into(),
        StepKind::Shift(w) => format!("moving {w}% of the traffic to the new colour"),
        StepKind::Promote => "promoting: the new colour live, the old scaled to zero".into(),
        StepKind::TrafficBack => "all traffic back to the live colour".into(),
        StepKind::ScaleDown => "scaling the new colour to zero".into(),
        StepKind::EcsDeploy => "setting the service's image tag (ECS deploys it)".into(),
        StepKind::ClearMarker => "clearing the release marker".into(),
    }
}

/// The progress of one release on the terminal: health is shown when it changes (it is
/// read at every poll), everything else as it comes.
struct Notes<'a> {
    p: &'a Printer,
    stack: &'a str,
    last_health: Option<(usize, usize, usize)>,
}

impl<'a> Notes<'a> {
    fn new(p: &'a Printer, stack: &'a str) -> Self {
        Notes {
            p,
            stack,
            last_health: None,
        }
    }

    fn note(&mut self, w: &mut dyn Write, e: &ReleaseEvent) {
        if let ReleaseEvent::Health {
            healthy,
            registered,
            desired,
            ..
        } = e
        {
            let now = Some((*healthy, *registered, *desired));
            if now == self.last_health {
                return;
            }
            self.last_health = now;
        }
        note_release(self.p, w, self.stack, e);
    }
}

/// One line (or a few) per event of a release.
pub(crate) fn note_release(p: &Printer, w: &mut dyn Write, stack: &str, e: &ReleaseEvent) {
    let name = p.paint(BOLD, stack);
    let _ = match e {
        ReleaseEvent::Step { kind, .. } => {
            writeln!(w, "{name}: change set: {}", step_text(kind))
        }
        ReleaseEvent::NoChange(_) => writeln!(w, "  already so; nothing to change"),
        ReleaseEvent::Stack(a) => {
            note_activity(p, w, a);
            Ok(())
        }
        ReleaseEvent::Health {
            healthy,
            registered,
            desired,
            left,
        } => writeln!(
            w,
            "  health: {healthy} of {registered} target(s) healthy, {desired} wanted ({} left)",
            format_elapsed(*left)
        ),
        ReleaseEvent::Gates {
            old_weight,
            new_weight,
            old,
            new,
            readings,
            left,
            watching,
        } => writeln!(
            w,
            "  {old} {old_weight}% | {new} {new_weight}%  {} {} left: {}",
            if *watching { "watch" } else { "bake" },
            format_elapsed(*left),
            readings_text(p, readings)
        ),
        ReleaseEvent::Ecs(d) => writeln!(
            w,
            "  ECS deployment {}: {}{}",
            d.arn.rsplit('/').next().unwrap_or(&d.arn),
            d.status,
            d.lifecycle_stage
                .as_ref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default()
        ),
        ReleaseEvent::RollingBack(b) => {
            writeln!(w, "{name}: {} {b}", p.paint(RED, "rolling back:"))
        }
    };
}

fn readings_text(p: &Printer, readings: &[GateReading]) -> String {
    let alarms: Vec<&GateReading> = readings
        .iter()
        .filter(|r| matches!(r, GateReading::Alarm { .. }))
        .collect();
    let mut parts: Vec<String> = Vec::new();
    let firing: Vec<&GateReading> = alarms.iter().copied().filter(|a| a.breached()).collect();
    if firing.is_empty() {
        parts.push(format!("{} alarm(s) not in ALARM", alarms.len()));
    } else {
        for a in firing {
            parts.push(p.paint(RED, &format!("{} {}", a.gate(), a.value())));
        }
    }
    for r in readings
        .iter()
        .filter(|r| !matches!(r, GateReading::Alarm { .. }))
    {
        let text = format!("{} {} ({})", r.gate(), r.value(), r.threshold());
        parts.push(if r.breached() {
            p.paint(RED, &text)
        } else {
            text
        });
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_read_strictly() {
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("800ms").unwrap(), Duration::from_millis(800));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        for bad in [
            "", "5", "m", "5 m", "1.5s", "-1s", "30s1m", "1m1m", "5min", "1s ",
        ] {
            let err = parse_duration(bad).unwrap_err();
            assert_eq!(err.value, bad);
            assert!(
                err.to_string().contains("a whole number with a unit"),
                "{err}"
            );
        }
        assert!(parse_duration("99999999999999999h").is_err(), "overflow");
    }

    #[test]
    fn percents_are_above_zero_and_at_most_100() {
        assert_eq!(parse_percent("5%").unwrap(), 5.0);
        assert_eq!(parse_percent("2.5%").unwrap(), 2.5);
        assert_eq!(parse_percent("100").unwrap(), 100.0);
        for bad in [
            "0%", "100.1%", "", "%", "5%%", "-1%", ".5", "5.", "1e2", "five",
        ] {
            assert!(parse_percent(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn steps_are_whole_percents() {
        assert_eq!(
            parse_steps("5,25,50,75,100").unwrap(),
            Steps(vec![5, 25, 50, 75, 100])
        );
        assert_eq!(parse_steps("50, 100").unwrap(), Steps(vec![50, 100]));
        for bad in ["", "5,,100", "0,100", "5,101", "5.5,100", "a"] {
            assert!(parse_steps(bad).is_err(), "{bad}");
        }
    }

    fn args(extra: &[&str]) -> Result<ReleaseArgs, clap::Error> {
        use clap::Parser;
        #[derive(clap::Parser, Debug)]
        struct T {
            #[command(flatten)]
            a: ReleaseArgs,
        }
        T::try_parse_from(std::iter::once("t").chain(extra.iter().copied())).map(|t| t.a)
    }

    #[test]
    fn the_command_line_takes_a_tag_or_status_or_rollback() {
        let a = args(&[
            "S",
            "--image-tag",
            "1.5.1",
            "--strategy",
            "linear",
            "--steps",
            "50,100",
            "--bake",
            "1s",
            "--watch",
            "2m",
            "--max-5xx-rate",
            "2%",
            "--max-p99",
            "750ms",
        ])
        .unwrap();
        assert_eq!(a.strategy, StrategyArg::Linear);
        assert_eq!(a.steps, Some(Steps(vec![50, 100])));
        assert_eq!(a.bake, Some(Duration::from_secs(1)));
        assert_eq!(a.watch, Some(Duration::from_secs(120)));
        assert_eq!(a.max_5xx_rate, Some(2.0));
        assert_eq!(a.max_p99, Some(Duration::from_millis(750)));
        assert!(args(&["S"]).is_err(), "a tag, --status or --rollback");
        assert!(args(&["S", "--status"]).unwrap().status);
        assert!(args(&["S", "--status", "--image-tag", "1"]).is_err());
        assert!(args(&["S", "--rollback", "--status"]).is_err());
        let err = args(&["S", "--image-tag", "1", "--bake", "5"]).unwrap_err();
        assert!(
            err.to_string().contains("a whole number with a unit"),
            "{err}"
        );
    }

    #[test]
    fn steps_that_do_not_suit_the_strategy_are_refused_before_anything() {
        use stackwright_core::{App, Env, Resource, Stack};
        let app = App::new();
        for name in ["Web-Staging", "Web-Production"] {
            let stack = Stack::new(&app, name, Env::new("123456789012", "us-east-1")).unwrap();
            Resource::new(&stack, "Topic", stackwright_l1::sns::Topic::default()).unwrap();
        }
        let s = stackwright_synth::synthesize(&app).unwrap();
        let check_of = |extra: &[&str]| check(&args(extra).unwrap(), &s);
        let ok = check_of(&["Web-Staging", "--image-tag", "1", "--strategy", "canary"]).unwrap();
        assert_eq!(ok.stack, "Web-Staging");
        assert_eq!(ok.options.unwrap().strategy, Strategy::Canary);
        let err = check_of(&["Web-Staging", "--image-tag", "1", "--steps", "50,100"]).unwrap_err();
        assert!(
            err.starts_with("--steps steps [50, 100]: all-at-once moves all traffic in one step"),
            "{err}"
        );
        let err = check_of(&["Web-*", "--status"]).unwrap_err();
        assert_eq!(
            err,
            "release works on one stack; 'Web-*' matches Web-Staging, Web-Production"
        );
        assert!(
            check_of(&["Nope", "--status"])
                .unwrap_err()
                .starts_with("no stack matches")
        );
    }

    #[test]
    fn a_rollback_is_reported_with_the_gate_its_value_and_its_threshold() {
        use stackwright_deploy::AlarmState;
        use stackwright_deploy::release_plan::Breach;
        let p = Printer::new(false, false);
        let mut w = Vec::new();
        note_release(
            &p,
            &mut w,
            "S",
            &ReleaseEvent::RollingBack(Breach::Gate(GateReading::Alarm {
                name: "S-Errors".into(),
                state: AlarmState::Alarm,
                reason: None,
            })),
        );
        note_release(
            &p,
            &mut w,
            "S",
            &ReleaseEvent::Gates {
                old_weight: 50,
                new_weight: 50,
                old: Colour::Blue,
                new: Colour::Green,
                readings: vec![
                    GateReading::Alarm {
                        name: "A".into(),
                        state: AlarmState::Ok,
                        reason: None,
                    },
                    GateReading::ErrorRate {
                        percent: Some(1.0),
                        requests: 100.0,
                        max_percent: 5.0,
                    },
                ],
                left: Duration::from_secs(61),
                watching: false,
            },
        );
        assert_eq!(
            String::from_utf8(w).unwrap(),
            "S: rolling back: alarm S-Errors was ALARM (threshold: not ALARM)\n  Blue 50% | Green 50%  bake 1:01 left: 1 alarm(s) not in ALARM, 5xx rate 1.00% (at most 5%)\n"
        );
    }
}
