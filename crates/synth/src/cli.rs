//! `stackwright::run`: turns a program that builds an app into its command-line tool.

use std::ffi::OsString;
use std::fmt::Display;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};
use clap::{Parser, Subcommand};
use stackwright_core::{App, Diagnostic, Diagnostics, Severity};

use crate::assembly::DEFAULT_OUT_DIR;
use crate::synth::{SynthError, Synthesized, synthesize};

/// The command line every stackwright program gets.
#[derive(Debug, Parser)]
#[command(
    about = "Synthesize this app's CloudFormation templates (and, later, diff and deploy them)",
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
    /// List the stacks in deployment order, with where they deploy and what they depend on.
    List,
}

/// Builds the app with `build`, then does what the command line asks: `synth` (the
/// default) or `list`. Returns the process exit code: success, or failure after printing
/// every problem found.
///
/// ```no_run
/// use stackwright_core::{Env, Stack};
///
/// fn main() -> std::process::ExitCode {
///     stackwright_synth::run(|app| {
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
        Command::List => list_command(&p, &synthesized, out)
            .map(|()| 0)
            .map_err(Into::into),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "{}: {e}", p.paint(ERROR, "error"));
            1
        }
    }
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const NOTE: Style = AnsiColor::Cyan.on_default().bold();
const DIM: Style = AnsiColor::Blue.on_default().bold();
const BOLD: Style = Style::new().bold();

struct Printer {
    color: bool,
}

impl Printer {
    fn paint(&self, style: Style, text: &str) -> String {
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

fn matches_pattern(pattern: &str, name: &str) -> bool {
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
                    .join(crate::synth::template_file_name(&st.name))
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

fn list_command(p: &Printer, s: &Synthesized, out: &mut dyn Write) -> io::Result<()> {
    for st in &s.stacks {
        writeln!(
            out,
            "{}  {}/{}{}",
            p.paint(BOLD, &st.name),
            st.env.account,
            st.env.region,
            if st.dependencies.is_empty() {
                String::new()
            } else {
                format!("  after {}", st.dependencies.join(", "))
            }
        )?;
    }
    Ok(())
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
