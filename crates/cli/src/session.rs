//! What the commands that talk to AWS share: the context they run in, the AWS
//! configuration, the questions they ask, what Ctrl-C reports, and a standard output
//! they survive losing.

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
}

impl Context<'_> {
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

/// What the CLI knows about each stack of a deploy or destroy, kept outside the running
/// future so that Ctrl-C can say where everything was left.
#[derive(Default)]
pub(crate) struct Tracker {
    pub current: Option<(String, String)>,
    pub done: Vec<String>,
}

/// After Ctrl-C: which stack was left in which state. CloudFormation goes on with an
/// operation it started; stopping here only stops watching.
pub(crate) async fn interrupted(
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
