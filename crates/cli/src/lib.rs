//! The command line of stackwright programs: `stackwright::run` turns a program that
//! builds an app into its command-line tool (`synth`, `list`, `diff`, `deploy`, `destroy`).
//!
//! This is the only crate that formats for a terminal: colours, tables, prompts and
//! rustc-style diagnostics. What it shows comes from `stackwright-synth` and, with the
//! `aws` feature, `stackwright-deploy`.
#![warn(missing_docs)]

use std::ffi::OsString;
use std::fmt::Display;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};
use clap::{Parser, Subcommand};
use stackwright_core::{App, Diagnostic, Diagnostics, Severity};

use stackwright_synth::assembly::DEFAULT_OUT_DIR;
use stackwright_synth::{SynthError, Synthesized, synthesize};

#[cfg(feature = "aws")]
mod commands;

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
    Diff(crate::commands::DiffArgs),
    /// Deploy stacks through CloudFormation change sets, in dependency order.
    #[cfg(feature = "aws")]
    Deploy(crate::commands::DeployArgs),
    /// Delete deployed stacks, in reverse dependency order.
    #[cfg(feature = "aws")]
    Destroy(crate::commands::DestroyArgs),
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
    E: Display,
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
    E: Display,
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
    E: Display,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run_inner(args, build, out, err, color, Some(aws))
}

#[cfg(feature = "aws")]
type AwsOverride = Option<stackwright_deploy::Aws>;
#[cfg(not(feature = "aws"))]
type AwsOverride = Option<std::convert::Infallible>;

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
    E: Display,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
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
    let p = Printer { color };
    let app = App::new();
    if let Err(e) = build(&app) {
        let _ = writeln!(err, "{}: {e}", p.paint(ERROR, "error"));
        return 1;
    }
    let synthesized = match synthesize(&app) {
        Ok(s) => s,
        Err(SynthError::Invalid(d)) => {
            let _ = p.diagnostics(err, &d);
            let _ = writeln!(
                err,
                "{}: synth found {} error(s); nothing was written",
                p.paint(ERROR, "error"),
                d.errors().count()
            );
            return 1;
        }
        Err(e) => {
            let _ = writeln!(err, "{}: {e}", p.paint(ERROR, "error"));
            return 1;
        }
    };
    let result = match cli.command.unwrap_or(Command::Synth {
        stacks: Vec::new(),
        quiet: false,
    }) {
        Command::Synth { stacks, quiet } => {
            synth_command(&p, &synthesized, &cli.out, &stacks, quiet, out, err)
        }
        Command::List { status, offline } => {
            list_command(&p, &synthesized, &cli.out, status, offline, aws, out, err)
        }
        #[cfg(feature = "aws")]
        Command::Diff(args) => with_assembly(&p, &synthesized, &cli.out, aws, out, err, |ctx| {
            crate::commands::diff(ctx, &args)
        }),
        #[cfg(feature = "aws")]
        Command::Deploy(args) => {
            let embedded = aws.is_some();
            with_assembly(&p, &synthesized, &cli.out, aws, out, err, |ctx| {
                if embedded {
                    crate::commands::deploy(ctx, &args, &mut NoTerminal)
                } else {
                    crate::commands::deploy(ctx, &args, &mut crate::commands::Stdin)
                }
            })
        }
        #[cfg(feature = "aws")]
        Command::Destroy(args) => {
            let embedded = aws.is_some();
            with_assembly(&p, &synthesized, &cli.out, aws, out, err, |ctx| {
                if embedded {
                    crate::commands::destroy(ctx, &args, &mut NoTerminal)
                } else {
                    crate::commands::destroy(ctx, &args, &mut crate::commands::Stdin)
                }
            })
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "{}: {e}", p.paint(ERROR, "error"));
            1
        }
    }
}

pub(crate) const ERROR: Style = AnsiColor::Red.on_default().bold();
pub(crate) const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const NOTE: Style = AnsiColor::Cyan.on_default().bold();
pub(crate) const DIM: Style = AnsiColor::Blue.on_default().bold();
pub(crate) const BOLD: Style = Style::new().bold();

pub(crate) struct Printer {
    color: bool,
}

impl Printer {
    pub(crate) fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// Findings in rustc's shape: severity and code, message, location, hint.
    fn diagnostics(&self, w: &mut dyn Write, d: &Diagnostics) -> io::Result<()> {
        let mut sorted: Vec<&Diagnostic> = d.0.iter().collect();
        sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.path.cmp(&b.path)));
        for d in sorted {
            let style = match d.severity {
                Severity::Error => ERROR,
                Severity::Warning => WARNING,
                Severity::Note => NOTE,
            };
            writeln!(
                w,
                "{}{} {}",
                self.paint(style, &format!("{}[{}]", d.severity.as_str(), d.code)),
                self.paint(BOLD, ":"),
                self.paint(BOLD, &d.message)
            )?;
            writeln!(w, "  {} {}", self.paint(DIM, "-->"), d.path)?;
            if let Some(h) = &d.hint {
                writeln!(w, "   {} {h}", self.paint(DIM, "= help:"))?;
            }
            writeln!(w)?;
        }
        Ok(())
    }
}

pub(crate) fn matches_pattern(pattern: &str, name: &str) -> bool {
    // `*` matches any run of characters, as in shell globs.
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(pos) = rest.find(part) else {
                return false;
            };
            rest = &rest[pos + part.len()..];
        }
    }
    true
}

fn synth_command(
    p: &Printer,
    s: &Synthesized,
    dir: &std::path::Path,
    patterns: &[String],
    quiet: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Box<dyn std::error::Error>> {
    let mut printed = Vec::new();
    for pat in patterns {
        let hits: Vec<usize> = (0..s.stacks.len())
            .filter(|i| matches_pattern(pat, &s.stacks[*i].name))
            .collect();
        if hits.is_empty() {
            let names: Vec<&str> = s.stacks.iter().map(|x| x.name.as_str()).collect();
            writeln!(
                err,
                "{}: no stack matches '{pat}'; the stacks are: {}",
                p.paint(ERROR, "error"),
                names.join(", ")
            )?;
            return Ok(1);
        }
        printed.extend(hits);
    }
    let assembly = s.write(dir)?;
    if !quiet {
        p.diagnostics(err, &s.diagnostics)?;
    }
    for i in &printed {
        out.write_all(s.bodies[*i].as_bytes())?;
    }
    if quiet {
        return Ok(0);
    }
    // The table goes where the templates do not, so `synth Stack > file` stays clean JSON.
    let table: &mut dyn Write = if printed.is_empty() { out } else { err };
    let rows: Vec<[String; 4]> = s
        .stacks
        .iter()
        .zip(&s.bodies)
        .map(|(st, body)| {
            [
                st.name.clone(),
                st.resources.len().to_string(),
                body.len().to_string(),
                assembly
                    .dir
                    .join(stackwright_synth::template_file_name(&st.name))
                    .display()
                    .to_string(),
            ]
        })
        .collect();
    let header = ["Stack", "Resources", "Bytes", "Template"].map(String::from);
    let mut widths = [0usize; 4];
    for r in std::iter::once(&header).chain(&rows) {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let line = |r: &[String; 4]| {
        format!(
            "{:<w0$}  {:>w1$}  {:>w2$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )
    };
    writeln!(table, "{}", p.paint(BOLD, line(&header).trim_end()))?;
    for r in &rows {
        writeln!(table, "{}", line(r))?;
    }
    Ok(0)
}

/// Answers every question with "nobody is at the terminal" (embedded runs).
#[cfg(feature = "aws")]
struct NoTerminal;

#[cfg(feature = "aws")]
impl crate::commands::Prompt for NoTerminal {
    fn ask(&mut self, _question: &str) -> crate::commands::Answer<'_> {
        Box::pin(async { None })
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
    command: impl FnOnce(&mut crate::commands::Context<'_>) -> Result<u8, Box<dyn std::error::Error>>,
) -> Result<u8, Box<dyn std::error::Error>> {
    let assembly = s.write(dir)?;
    p.diagnostics(err, &s.diagnostics)?;
    let mut ctx = crate::commands::Context {
        p,
        assembly: &assembly,
        out,
        err,
        aws,
    };
    command(&mut ctx)
}

#[allow(clippy::too_many_arguments)]
fn list_command(
    p: &Printer,
    s: &Synthesized,
    dir: &std::path::Path,
    status: bool,
    offline: bool,
    aws: AwsOverride,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Box<dyn std::error::Error>> {
    let statuses = deployed_statuses(p, s, dir, status, offline, aws, err)?;
    for st in &s.stacks {
        writeln!(
            out,
            "{}  {}/{}{}{}",
            p.paint(BOLD, &st.name),
            st.env.account,
            st.env.region,
            if st.dependencies.is_empty() {
                String::new()
            } else {
                format!("  after {}", st.dependencies.join(", "))
            },
            statuses
                .get(&st.name)
                .map(|x| format!("  {x}"))
                .unwrap_or_default()
        )?;
    }
    Ok(0)
}

/// Deployed statuses by stack name, when they are to be looked up.
#[cfg(feature = "aws")]
fn deployed_statuses(
    p: &Printer,
    s: &Synthesized,
    dir: &std::path::Path,
    status: bool,
    offline: bool,
    aws: AwsOverride,
    err: &mut dyn Write,
) -> Result<indexmap::IndexMap<String, String>, Box<dyn std::error::Error>> {
    let wanted = status || aws.is_some() || crate::commands::aws_configured();
    if offline || !wanted {
        return Ok(indexmap::IndexMap::new());
    }
    let assembly = s.write(dir)?;
    let mut sink = io::sink();
    let ctx = crate::commands::Context {
        p,
        assembly: &assembly,
        out: &mut sink,
        err,
        aws,
    };
    crate::commands::deployed_statuses(&ctx)
}

#[cfg(not(feature = "aws"))]
fn deployed_statuses(
    _p: &Printer,
    _s: &Synthesized,
    _dir: &std::path::Path,
    _status: bool,
    _offline: bool,
    _aws: AwsOverride,
    _err: &mut dyn Write,
) -> Result<indexmap::IndexMap<String, String>, Box<dyn std::error::Error>> {
    Ok(indexmap::IndexMap::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_globs() {
        assert!(matches_pattern("FlowViz-*", "FlowViz-Production"));
        assert!(matches_pattern("*-Base", "FlowViz-Production-Base"));
        assert!(matches_pattern("*Prod*", "FlowViz-Production-Base"));
        assert!(matches_pattern("Exact", "Exact"));
        assert!(!matches_pattern("Exact", "Exactly"));
        assert!(!matches_pattern("*-Base", "FlowViz-Production-Runtime"));
    }
}
