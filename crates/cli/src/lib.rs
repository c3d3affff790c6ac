//! The command line of stackwright programs: `stackwright::run` turns a program that
//! builds an app into its command-line tool (`synth`, `list`, `diff`, `deploy`, `destroy`).
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
#[cfg(feature = "aws")]
use stackwright_synth::Synthesized;
use stackwright_synth::assembly::DEFAULT_OUT_DIR;
use stackwright_synth::{SynthError, synthesize};

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
}

/// Builds the app with `build`, then does what the command line asks: `synth` (the
/// default) or `list`. Returns the process exit code: success, or failure after printing
/// every problem found.
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
    let code = run_with(
        std::env::args_os(),
        build,
        &mut io::stdout().lock(),
        &mut io::stderr().lock(),
        color,
    );
    ExitCode::from(code)
}

/// [`run`] with explicit arguments and output streams, for tests and embedding.
/// Returns 0 on success, 1 when the app has problems, 2 for a bad command line.
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
    run_inner(args, build, out, err, color, None)
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
    run_inner(args, build, out, err, color, Some(aws))
}

fn run_inner<F, E, I, T>(
    args: I,
    build: F,
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
    let app = App::new();
    if let Err(e) = build(&app) {
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
    let synthesized = match synthesize(&app) {
        Ok(s) => s,
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
    let result = match cli.command.unwrap_or(Command::Synth {
        stacks: Vec::new(),
        quiet: false,
    }) {
        Command::Synth { stacks, quiet } => {
            synth::synth(&p, &synthesized, &cli.out, &stacks, quiet, out, err)
        }
        Command::List { status, offline } => {
            let lookup = list::Lookup {
                status,
                offline,
                aws,
            };
            list::list(&p, &synthesized, &cli.out, lookup, out, err)
        }
        #[cfg(feature = "aws")]
        Command::Diff(args) => with_assembly(&p, &synthesized, &cli.out, aws, out, err, |ctx| {
            ctx.app = app_name;
            diff::diff(ctx, &args)
        }),
        #[cfg(feature = "aws")]
        Command::Deploy(args) => {
            let mut prompt = prompt_for(&aws);
            with_assembly(&p, &synthesized, &cli.out, aws, out, err, |ctx| {
                ctx.app = app_name;
                deploy::deploy(ctx, &args, &mut *prompt)
            })
        }
        #[cfg(feature = "aws")]
        Command::Destroy(args) => {
            let mut prompt = prompt_for(&aws);
            with_assembly(&p, &synthesized, &cli.out, aws, out, err, |ctx| {
                ctx.app = app_name;
                destroy::destroy(ctx, &args, &mut *prompt)
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
