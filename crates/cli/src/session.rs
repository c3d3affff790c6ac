//! What the commands that talk to AWS share: the context they run in, the AWS
//! configuration, the questions they ask, the signals that stop them and what they
//! report then, and a standard output they survive losing.

use std::cell::RefCell;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use stackwright_deploy::{Aws, DeployError, Deployer, StackTarget};
use stackwright_synth::CloudAssembly;

use crate::printer::{ERROR, Printer, WARNING};

/// The result of a command: an exit code, or an error to print.
pub(crate) type CmdResult = Result<u8, Box<dyn std::error::Error>>;

/// Everything a command needs from the CLI around it.
pub(crate) struct Context<'a> {
    pub p: &'a Printer,
    pub assembly: &'a CloudAssembly,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// An AWS configuration given by the embedding program instead of the standard chain.
    pub aws: Option<Aws>,
    /// The app's name, which deploy tags its stacks with (the program's name).
    pub app: String,
}

impl Context<'_> {
    /// A deployer for this app's stacks.
    pub(crate) fn deployer(&self, aws: Aws) -> Deployer {
        Deployer::new(aws).with_app(&self.app)
    }

    /// The stacks of the assembly called `names` (chosen, and checked, before the assembly
    /// was written), in that order.
    pub(crate) fn targets(
        &self,
        names: &[String],
    ) -> Result<Vec<StackTarget>, Box<dyn std::error::Error>> {
        Ok(names
            .iter()
            .map(|n| StackTarget::from_assembly(self.assembly, n))
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// The configuration given by the embedding program, or the standard chain's, with the
    /// stacks' region as the default when they all name one.
    pub(crate) async fn aws_for(&self, targets: &[StackTarget]) -> Aws {
        if let Some(aws) = &self.aws {
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
}

pub(crate) fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

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

/// A boxed answer to a question.
pub(crate) type Answer<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Option<bool>> + 'a>>;

/// Asks `question` before a command changes anything. `true` to go on; `false` once the
/// refusal is said: `declined` on standard output for a "no", `unanswered` as an error when
/// nobody can answer (no terminal). The command then exits 1.
pub(crate) async fn confirm(
    ctx: &mut Context<'_>,
    prompt: &mut dyn Prompt,
    question: &str,
    declined: &str,
    unanswered: &str,
) -> io::Result<bool> {
    match prompt.ask(question).await {
        Some(true) => Ok(true),
        Some(false) => {
            writeln!(ctx.out, "{declined}")?;
            Ok(false)
        }
        None => {
            ctx.p.error_line(ctx.err, &unanswered)?;
            Ok(false)
        }
    }
}

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

/// Answers every question with "nobody is at the terminal" (embedded runs).
pub(crate) struct NoTerminal;

impl Prompt for NoTerminal {
    fn ask(&mut self, _question: &str) -> Answer<'_> {
        Box::pin(async { None })
    }
}

/// Whether an error would be the same for every other stack (AWS cannot be reached, or
/// there are no credentials), so that a command going through stacks stops at the first.
pub(crate) fn affects_every_stack(e: &DeployError) -> bool {
    e.is_connection_failure() || matches!(e, DeployError::NoCredentials { .. })
}

/// What a stack of a deploy or destroy is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Its change set is being prepared (the stack may be waited for, or deleted when it
    /// held nothing, on the way).
    Preparing,
    /// Its change set waits for the answer to "deploy these changes?".
    AwaitingApproval {
        /// The change set.
        change_set: String,
    },
    /// Its change set was executed and is watched.
    Executing,
    /// It is being deleted.
    Deleting,
}

impl Phase {
    /// Whether CloudFormation may be working on the stack: only then is its status worth
    /// looking up, and only then does CloudFormation carry on.
    fn may_be_running(&self) -> bool {
        !matches!(self, Phase::AwaitingApproval { .. })
    }

    fn describe(&self) -> &'static str {
        match self {
            Phase::Preparing => "preparing a change set",
            Phase::AwaitingApproval { .. } => "waiting for approval",
            Phase::Executing => "executing its change set",
            Phase::Deleting => "being deleted",
        }
    }
}

/// What the CLI knows about each stack of a deploy or destroy, kept outside the running
/// future so that an interruption can say where everything was left.
#[derive(Default)]
pub(crate) struct Tracker {
    pub current: Option<(String, Phase)>,
    pub done: Vec<String>,
}

impl Tracker {
    pub(crate) fn start(&mut self, stack: &str, phase: Phase) {
        self.current = Some((stack.to_string(), phase));
    }

    pub(crate) fn finish(&mut self, stack: &str) {
        self.current = None;
        self.done.push(stack.to_string());
    }
}

/// Why a deploy or destroy stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interrupt {
    /// Ctrl-C (SIGINT).
    CtrlC,
    /// SIGTERM: what a CI system sends to cancel a job, and `kill` by default.
    Terminate,
}

impl Interrupt {
    /// The exit code: 128 and the signal's number, as a shell reports a process the
    /// signal killed.
    pub(crate) fn code(self) -> u8 {
        match self {
            Interrupt::CtrlC => 130,
            Interrupt::Terminate => 143,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Interrupt::CtrlC => "interrupted (Ctrl-C)",
            Interrupt::Terminate => "terminated (SIGTERM)",
        }
    }
}

/// The signals that stop a deploy or destroy. Listened to from the start of the command,
/// so that none arrives between two stacks unheard; a signal that arrives while nothing
/// waits for it is kept for the next [`Signals::next`].
pub(crate) struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    /// Starts listening. Needs the runtime.
    pub(crate) fn listen() -> io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next signal.
    pub(crate) async fn next(&mut self) -> Interrupt {
        #[cfg(unix)]
        {
            tokio::select! {
                Some(()) = self.int.recv() => Interrupt::CtrlC,
                Some(()) = self.term.recv() => Interrupt::Terminate,
                else => std::future::pending().await,
            }
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => Interrupt::CtrlC,
                Err(_) => std::future::pending().await,
            }
        }
    }
}

/// After a signal: which stack was left in which state. CloudFormation goes on with an
/// operation it started; stopping here only stops watching. `deployer` is `None` when
/// the signal came before AWS was configured (so nothing can have started).
pub(crate) async fn interrupted(
    p: &Printer,
    err: &mut dyn Write,
    why: Interrupt,
    deployer: Option<&Deployer>,
    targets: &[StackTarget],
    tracker: &RefCell<Tracker>,
) -> io::Result<()> {
    let (current, done) = {
        let t = tracker.borrow();
        (t.current.clone(), t.done.clone())
    };
    let status = match (&current, deployer) {
        (Some((stack, phase)), Some(deployer)) if phase.may_be_running() => {
            Some(match targets.iter().find(|x| x.name == *stack) {
                Some(target) => {
                    match tokio::time::timeout(Duration::from_secs(10), deployer.status(target))
                        .await
                    {
                        Ok(Ok(Some(s))) => s.status.to_string(),
                        Ok(Ok(None)) => "not deployed".to_string(),
                        Ok(Err(e)) => format!("unknown ({e})"),
                        Err(_) => "unknown (no answer within 10 s)".to_string(),
                    }
                }
                None => "unknown".to_string(),
            })
        }
        _ => None,
    };
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    report_interruption(
        p,
        err,
        why,
        &names,
        current.as_ref(),
        &done,
        status.as_deref(),
    )
}

/// The report [`interrupted`] prints, once the current stack's status (`status`) is known.
pub(crate) fn report_interruption(
    p: &Printer,
    err: &mut dyn Write,
    why: Interrupt,
    stacks: &[&str],
    current: Option<&(String, Phase)>,
    done: &[String],
    status: Option<&str>,
) -> io::Result<()> {
    writeln!(err, "\n{}: {}", p.paint(ERROR, "error"), why.describe())?;
    match current {
        Some((stack, Phase::AwaitingApproval { change_set })) => writeln!(
            err,
            "  {stack}: change set {change_set} awaits review; nothing was started on it (execute it in the CloudFormation console, or deploy again)"
        )?,
        Some((stack, phase)) => writeln!(
            err,
            "  {stack} was {} and is left {}; CloudFormation carries on with an operation it started (run the command again to wait for it)",
            phase.describe(),
            status.unwrap_or("unknown")
        )?,
        None => {}
    }
    if !done.is_empty() {
        writeln!(err, "  finished: {}", done.join(", "))?;
    }
    let untouched: Vec<&str> = stacks
        .iter()
        .copied()
        .filter(|n| !done.iter().any(|d| d == n) && current.is_none_or(|(c, _)| c != n))
        .collect();
    if !untouched.is_empty() {
        writeln!(err, "  not started: {}", untouched.join(", "))?;
    }
    Ok(())
}

/// Standard output and standard error for a command that changes stacks, which must not
/// stop half-way because nobody reads its output any more (`deploy --all | head -3`, a CI
/// log collector that went away). Once a write to standard output fails, a warning says
/// so on standard error and everything after it is written there instead, so the report
/// of what was deployed is not lost with the pipe.
pub(crate) struct Streams<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    out_failed: bool,
    /// `warning` as the printer paints it.
    warning: String,
}

impl<'a> Streams<'a> {
    pub(crate) fn new(p: &Printer, out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        Streams {
            out,
            err,
            out_failed: false,
            warning: p.paint(WARNING, "warning"),
        }
    }

    fn out_failed(&mut self, e: &io::Error) {
        self.out_failed = true;
        let _ = writeln!(
            self.err,
            "{}: standard output failed ({e}); the rest of the report goes to standard error",
            self.warning
        );
    }
}

/// The standard-output side of [`Streams`].
pub(crate) struct OutStream<'s, 'a>(pub &'s RefCell<Streams<'a>>);

/// The standard-error side of [`Streams`].
pub(crate) struct ErrStream<'s, 'a>(pub &'s RefCell<Streams<'a>>);

impl Write for OutStream<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut s = self.0.borrow_mut();
        if !s.out_failed {
            match s.out.write(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
                Err(e) => s.out_failed(&e),
            }
        }
        s.err.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut s = self.0.borrow_mut();
        if !s.out_failed {
            match s.out.flush() {
                Ok(()) => return Ok(()),
                Err(e) => s.out_failed(&e),
            }
        }
        s.err.flush()
    }
}

impl Write for ErrStream<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().err.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.borrow_mut().err.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(
        why: Interrupt,
        current: Option<(String, Phase)>,
        done: &[&str],
        status: Option<&str>,
    ) -> String {
        let mut err = Vec::new();
        let done: Vec<String> = done.iter().map(|d| d.to_string()).collect();
        report_interruption(
            &Printer::new(false, false),
            &mut err,
            why,
            &["A", "B", "C"],
            current.as_ref(),
            &done,
            status,
        )
        .unwrap();
        String::from_utf8(err).unwrap()
    }

    #[test]
    fn an_interruption_at_the_prompt_says_the_change_set_awaits_review() {
        let text = report(
            Interrupt::CtrlC,
            Some((
                "B".into(),
                Phase::AwaitingApproval {
                    change_set: "stackwright-deploy".into(),
                },
            )),
            &["A"],
            None,
        );
        assert_eq!(
            text,
            "\nerror: interrupted (Ctrl-C)\n  B: change set stackwright-deploy awaits review; nothing was started on it (execute it in the CloudFormation console, or deploy again)\n  finished: A\n  not started: C\n"
        );
        assert!(!text.contains("carries on"), "{text}");
    }

    #[test]
    fn sigterm_reports_like_ctrl_c_with_its_own_code() {
        let text = report(
            Interrupt::Terminate,
            Some(("A".into(), Phase::Executing)),
            &[],
            Some("CREATE_IN_PROGRESS"),
        );
        assert_eq!(
            text,
            "\nerror: terminated (SIGTERM)\n  A was executing its change set and is left CREATE_IN_PROGRESS; CloudFormation carries on with an operation it started (run the command again to wait for it)\n  not started: B, C\n"
        );
        assert_eq!(Interrupt::Terminate.code(), 143);
        assert_eq!(Interrupt::CtrlC.code(), 130);
    }

    /// Standard output whose reader has gone: a pipe with its reading end closed.
    fn closed_pipe() -> io::PipeWriter {
        let (reader, writer) = io::pipe().unwrap();
        drop(reader);
        writer
    }

    #[test]
    fn a_closed_standard_output_moves_the_report_to_standard_error() {
        let mut out = closed_pipe();
        let mut err = Vec::new();
        let streams = RefCell::new(Streams::new(
            &Printer::new(false, false),
            &mut out,
            &mut err,
        ));
        writeln!(OutStream(&streams), "A: created").unwrap();
        writeln!(ErrStream(&streams), "warning: w").unwrap();
        writeln!(OutStream(&streams), "B: created").unwrap();
        OutStream(&streams).flush().unwrap();
        drop(streams);
        let err = String::from_utf8(err).unwrap();
        let first = err.lines().next().unwrap();
        assert!(
            first.starts_with("warning: standard output failed (")
                && first.ends_with("); the rest of the report goes to standard error"),
            "{err}"
        );
        assert_eq!(
            err.lines().skip(1).collect::<Vec<_>>(),
            ["A: created", "warning: w", "B: created"]
        );
    }
}
