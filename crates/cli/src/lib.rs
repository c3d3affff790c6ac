//! The command line of stackwright programs: `stackwright::run` turns a program that
//! builds an app into its command-line tool (`synth`, `list`, `diff`, `deploy`, `destroy`,
//! `release`).
//!
//! This is the only crate that formats for a terminal: colours, tables, prompts and
//! rustc-style diagnostics. What it shows comes from `stackwright-synth` and, with the
//! `aws` feature, `stackwright-deploy`.
#![warn(missing_docs)]

use std::ffi::OsString;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stackwright_core::{App, ToDiagnostics};
use stackwright_synth::assembly::DEFAULT_OUT_DIR;
use stackwright_synth::{CloudAssembly, SynthError, Synthesized, synthesize};

use list::AwsOverride;
use printer::Printer;

#[cfg(feature = "aws")]
mod deploy;
#[cfg(feature = "aws")]
mod destroy;
#[cfg(feature = "aws")]
mod diff;
mod list;
mod printer;
#[cfg(feature = "aws")]
mod release;
mod select;
#[cfg(feature = "aws")]
mod session;
#[cfg(feature = "aws")]
mod show;
mod synth;

/// The command line every stackwright program gets.
#[derive(Debug, Parser)]
#[command(
    about = "Synthesize this app's CloudFormation templates; diff, deploy and destroy them through change sets",
    long_about = None,
)]
struct Cli {
    /// Where the cloud assembly is written.
    #[arg(long, global = true, default_value = DEFAULT_OUT_DIR, value_name = "DIR")]
    out: PathBuf,
    /// Under an error, show the chain of its causes (for AWS failures, what the SDK and
    /// the connection said).
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate every stack and write the cloud assembly (the default command). With stack
    /// names (or `*` patterns), also print those templates to standard output.
    Synth {
        /// Stacks whose templates to print.
        stacks: Vec<String>,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// List the stacks in deployment order, with where they deploy, what they depend on
    /// and, when AWS credentials are configured, their deployed status.
    List {
        /// Look up the deployed statuses even when no credentials are visibly configured
        /// (an EC2 instance role, say).
        #[arg(long, conflicts_with = "offline")]
        status: bool,
        /// Do not look up deployed statuses.
        #[arg(long)]
        offline: bool,
    },
    /// Compare each stack's synthesized template with the deployed one, property by
    /// property, marking replacements and security-relevant changes.
    #[cfg(feature = "aws")]
    Diff(diff::DiffArgs),
    /// Deploy stacks through CloudFormation change sets, in dependency order.
    #[cfg(feature = "aws")]
    Deploy(deploy::DeployArgs),
    /// Delete deployed stacks, in reverse dependency order.
    #[cfg(feature = "aws")]
    Destroy(destroy::DestroyArgs),
    /// Release an image tag to a stack's idle colour and move traffic to it under health
    /// and alarm gates, rolling back at the first breach; or show (`--status`) or roll back
    /// (`--rollback`) a stack's release.
    #[cfg(feature = "aws")]
    Release(release::ReleaseArgs),
}

/// Builds the app with `build`, then does what the command line asks: `synth` (the
/// default) or `list`. Returns the process exit code: success, or failure after printing
/// every problem found.
///
/// Meant to be the last thing `main` does: the app and its templates are not freed
/// before the process exits (the operating system takes the memory back faster), so the
/// `Drop` of anything the app holds, such as a [check](stackwright_core::Check), does not
/// run. [`run_with`] frees everything.
///
/// ```no_run
/// use stackwright_core::{Env, Stack};
///
/// fn main() -> std::process::ExitCode {
///     stackwright_cli::run(|app| {
///         let _stack = Stack::new(app, "Demo", Env::new("123456789012", "us-east-1"))?;
///         Ok::<(), stackwright_core::CoreError>(())
///     })
/// }
/// ```
pub fn run<F, E>(build: F) -> ExitCode
where
    F: FnOnce(&App) -> Result<(), E>,
    E: ToDiagnostics,
{
    let stdout = anstream::stdout();
    let color = !matches!(stdout.current_choice(), anstream::ColorChoice::Never);
    let mut built = Built::default();
    let code = run_inner(
        std::env::args_os(),
        build,
        &mut built,
        &mut io::stdout().lock(),
        &mut io::stderr().lock(),
        color,
        None,
    );
    // The process ends here, and the kernel takes its memory back in one go; freeing the
    // tree and the templates first, allocation by allocation, would cost about a tenth of
    // a synth. The output streams live outside `built`, so they are flushed as usual.
    std::mem::forget(built);
    ExitCode::from(code)
}

/// [`run`] with explicit arguments and output streams, for tests and embedding.
///
/// Returns the exit code:
///
/// - 0: success (also for `--help` and `--version`, printed to `out`);
/// - 1: the app has problems (build or synth errors), or a command failed (a deploy,
///   AWS out of reach, a stack that would not delete, a change set declined);
/// - 2: a bad command line: an unknown command or option, a malformed value, a stack
///   pattern that matches no stack, a `--parameter` that no stack it is given to
///   declares, an `--outputs-file` that cannot be written, an `--out` that is a file or a
///   directory holding someone else's `manifest.json`. Arguments are checked before
///   anything is written or asked of AWS, so nothing was. Also a `release` refused before
///   it changed anything (no release in the stack, an unfinished release of another tag,
///   a gating alarm already in `ALARM`, nothing to roll back);
/// - 3: a `release` that a gate failed: it was rolled back, and the error names the gate,
///   its value and its threshold;
/// - 130 and 143: `deploy`, `destroy` or `release` stopped by Ctrl-C (SIGINT) or SIGTERM, after
///   saying which stack was left in which state (128 and the signal's number, as a shell
///   reports it).
pub fn run_with<F, E, I, T>(
    args: I,
    build: F,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> u8
where
    F: FnOnce(&App) -> Result<(), E>,
    E: ToDiagnostics,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_inner(args, build, &mut Built::default(), out, err, color, None)
}

/// [`run_with`] with an AWS configuration of your own instead of `aws-config`'s standard
/// chain: for tests against an emulator, or a program that builds its configuration
/// itself. Confirmation prompts are answered "no one is at the terminal", so pass `--yes`.
#[cfg(feature = "aws")]
pub fn run_with_aws<F, E, I, T>(
    args: I,
    build: F,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
    aws: stackwright_deploy::Aws,
) -> u8
where
    F: FnOnce(&App) -> Result<(), E>,
    E: ToDiagnostics,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_inner(
        args,
        build,
        &mut Built::default(),
        out,
        err,
        color,
        Some(aws),
    )
}

/// What a command builds: the construct tree and its templates. The caller of
/// [`run_inner`] owns it, so that [`run`] can leave it to the end of the process.
#[derive(Default)]
struct Built {
    app: App,
    synthesized: Option<Synthesized>,
}

fn run_inner<F, E, I, T>(
    args: I,
    build: F,
    built: &mut Built,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
    aws: AwsOverride,
) -> u8
where
    F: FnOnce(&App) -> Result<(), E>,
    E: ToDiagnostics,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    #[cfg(feature = "aws")]
    let app_name = app_name(&args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let text = if color {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            // Help and version are answers, not errors: stdout and success.
            if e.use_stderr() {
                let _ = write!(err, "{text}");
                return 2;
            }
            let _ = write!(out, "{text}");
            return 0;
        }
    };
    let p = Printer::new(color, cli.verbose);
    let app = &built.app;
    if let Err(e) = build(app) {
        // Every problem the build found, in synth's shape: a construct error lists each
        // bad prop with its value and fix.
        let d = e.to_diagnostics();
        let _ = p.diagnostics(err, &d);
        let _ = p.error_line(
            err,
            &format!(
                "the app could not be built ({} error(s)); nothing was written",
                d.errors().count().max(1)
            ),
        );
        return 1;
    }
    let synthesized: &Synthesized = match synthesize(app) {
        Ok(s) => built.synthesized.insert(s),
        Err(SynthError::Invalid(d)) => {
            let _ = p.diagnostics(err, &d);
            let _ = p.error_line(
                err,
                &format!(
                    "synth found {} error(s); nothing was written",
                    d.errors().count()
                ),
            );
            return 1;
        }
        Err(e) => {
            let _ = p.error(err, &e);
            return 1;
        }
    };
    let command = cli.command.unwrap_or(Command::Synth {
        stacks: Vec::new(),
        quiet: false,
    });
    // Every argument is checked before anything is written: a command that is refused
    // leaves the output directory (and AWS) as they were.
    if let Err(e) = CloudAssembly::check_dir(&cli.out) {
        let _ = p.error(err, &e);
        return 2;
    }
    let checked = match check(command, synthesized) {
        Ok(c) => c,
        Err(message) => {
            let _ = p.error_line(err, &message);
            return 2;
        }
    };
    let result = match checked {
        Checked::Synth { printed, quiet } => {
            synth::synth(&p, synthesized, &cli.out, &printed, quiet, out, err)
        }
        Checked::List { status, offline } => {
            let lookup = list::Lookup {
                status,
                offline,
                aws,
            };
            list::list(&p, synthesized, &cli.out, lookup, out, err)
        }
        #[cfg(feature = "aws")]
        Checked::Diff(args, stacks) => {
            with_assembly(&p, synthesized, &cli.out, aws, out, err, |ctx| {
                ctx.app = app_name;
                diff::diff(ctx, &args, &stacks)
            })
        }
        #[cfg(feature = "aws")]
        Checked::Deploy(args, plan) => {
            let mut prompt = prompt_for(&aws);
            changing_stacks(&p, synthesized, &cli.out, aws, out, err, |ctx| {
                ctx.app = app_name;
                deploy::deploy(ctx, &args, &plan, &mut *prompt)
            })
        }
        #[cfg(feature = "aws")]
        Checked::Destroy(args, stacks) => {
            let mut prompt = prompt_for(&aws);
            changing_stacks(&p, synthesized, &cli.out, aws, out, err, |ctx| {
                ctx.app = app_name;
                destroy::destroy(ctx, &args, &stacks, &mut *prompt)
            })
        }
        #[cfg(feature = "aws")]
        Checked::Release(args, checked) => {
            let mut prompt = prompt_for(&aws);
            changing_stacks(&p, synthesized, &cli.out, aws, out, err, |ctx| {
                ctx.app = app_name;
                release::release(ctx, &args, &checked, &mut *prompt)
            })
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = p.error(err, &*e);
            1
        }
    }
}

/// A command whose arguments were checked against the app.
enum Checked {
    Synth {
        printed: Vec<usize>,
        quiet: bool,
    },
    List {
        status: bool,
        offline: bool,
    },
    #[cfg(feature = "aws")]
    Diff(diff::DiffArgs, Vec<String>),
    #[cfg(feature = "aws")]
    Deploy(deploy::DeployArgs, deploy::Plan),
    #[cfg(feature = "aws")]
    Destroy(destroy::DestroyArgs, Vec<String>),
    #[cfg(feature = "aws")]
    Release(release::ReleaseArgs, release::Checked),
}

/// Checks what the command line names against the app (the stacks, parameters, files),
/// writing nothing; the error is the message to print.
fn check(command: Command, s: &stackwright_synth::Synthesized) -> Result<Checked, String> {
    Ok(match command {
        Command::Synth { stacks, quiet } => Checked::Synth {
            printed: synth::check(s, &stacks)?,
            quiet,
        },
        Command::List { status, offline } => Checked::List { status, offline },
        #[cfg(feature = "aws")]
        Command::Diff(args) => {
            let stacks = diff::check(&args, s)?;
            Checked::Diff(args, stacks)
        }
        #[cfg(feature = "aws")]
        Command::Deploy(args) => {
            let plan = deploy::check(&args, s)?;
            Checked::Deploy(args, plan)
        }
        #[cfg(feature = "aws")]
        Command::Destroy(args) => {
            let stacks = destroy::check(&args, s)?;
            Checked::Destroy(args, stacks)
        }
        #[cfg(feature = "aws")]
        Command::Release(args) => {
            let checked = release::check(&args, s)?;
            Checked::Release(args, checked)
        }
    })
}

/// The app's name, which deploy tags its stacks with (`stackwright:app`) and destroy
/// checks: the program's file name without extension, the same from run to run.
#[cfg(feature = "aws")]
fn app_name(args: &[OsString]) -> String {
    args.first()
        .and_then(|a| std::path::Path::new(a).file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "stackwright".to_string())
}

/// Who answers the questions: the terminal, or, for a program that brought its own AWS
/// configuration (embedded, tests), nobody.
#[cfg(feature = "aws")]
fn prompt_for(aws: &AwsOverride) -> Box<dyn session::Prompt> {
    if aws.is_some() {
        Box::new(session::NoTerminal)
    } else {
        Box::new(session::Stdin)
    }
}

/// Writes the assembly (diff and deploy work from what is on disk, as a reviewer would)
/// and runs a deploy command over it.
#[cfg(feature = "aws")]
fn with_assembly(
    p: &Printer,
    s: &Synthesized,
    dir: &std::path::Path,
    aws: AwsOverride,
    out: &mut dyn Write,
    err: &mut dyn Write,
    command: impl FnOnce(&mut session::Context<'_>) -> session::CmdResult,
) -> session::CmdResult {
    let assembly = s.write(dir)?;
    p.diagnostics(err, &s.diagnostics)?;
    let mut ctx = session::Context {
        p,
        assembly: &assembly,
        out,
        err,
        aws,
        app: String::new(),
    };
    command(&mut ctx)
}

/// [`with_assembly`] for the commands that change stacks (deploy, destroy), which must
/// not stop half-way when standard output goes away: their report moves to standard
/// error instead (see [`session::Streams`]).
#[cfg(feature = "aws")]
fn changing_stacks(
    p: &Printer,
    s: &Synthesized,
    dir: &std::path::Path,
    aws: AwsOverride,
    out: &mut dyn Write,
    err: &mut dyn Write,
    command: impl FnOnce(&mut session::Context<'_>) -> session::CmdResult,
) -> session::CmdResult {
    let streams = std::cell::RefCell::new(session::Streams::new(p, out, err));
    let mut out = session::OutStream(&streams);
    let mut err = session::ErrStream(&streams);
    with_assembly(p, s, dir, aws, &mut out, &mut err, command)
}
