//! What the commands that talk to AWS share: the context they run in, the AWS
//! configuration, the questions they ask, and what Ctrl-C reports.

use std::cell::RefCell;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use stackwright_deploy::{Aws, Deployer, StackTarget};
use stackwright_synth::CloudAssembly;

use crate::printer::{ERROR, Printer};
use crate::select::{WhenNoneNamed, select};

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

    /// The stacks the command line names, in deployment order; `None` once the reason
    /// why there are none has been printed.
    pub(crate) fn targets(
        &mut self,
        patterns: &[String],
        all: bool,
        none_named: WhenNoneNamed,
    ) -> Result<Option<Vec<StackTarget>>, Box<dyn std::error::Error>> {
        let names: Vec<&str> = self
            .assembly
            .manifest
            .stacks
            .keys()
            .map(String::as_str)
            .collect();
        let chosen = match select(&names, patterns, all, none_named) {
            Ok(chosen) => chosen,
            Err(message) => {
                self.p.error_line(self.err, &message)?;
                return Ok(None);
            }
        };
        let targets = chosen
            .into_iter()
            .map(|i| StackTarget::from_assembly(self.assembly, names[i]))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(targets))
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
