//! Styling for the terminal, and problems reported in rustc's shape.

use std::fmt::Display;
use std::io::{self, Write};
#[cfg(feature = "aws")]
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use stackwright_core::{Diagnostic, Diagnostics, Severity};

pub(crate) const ERROR: Style = AnsiColor::Red.on_default().bold();
pub(crate) const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const NOTE: Style = AnsiColor::Cyan.on_default().bold();
pub(crate) const DIM: Style = AnsiColor::Blue.on_default().bold();
pub(crate) const BOLD: Style = Style::new().bold();
#[cfg(feature = "aws")]
pub(crate) const GREEN: Style = AnsiColor::Green.on_default();
#[cfg(feature = "aws")]
pub(crate) const RED: Style = AnsiColor::Red.on_default();
#[cfg(feature = "aws")]
pub(crate) const YELLOW: Style = AnsiColor::Yellow.on_default();

/// One problem, whatever found it (synth's validation, a failed deploy, ...):
///
/// ```text
/// error[code]: message
///   --> location
///    = help: what to do
///    = caused by: what the message stands on   (with --verbose, one line each)
/// ```
///
/// The code, the location and the help are left out when there are none.
pub(crate) struct Report<'a> {
    pub severity: Severity,
    pub code: Option<&'a str>,
    pub message: &'a str,
    pub location: Option<&'a str>,
    pub help: Option<&'a str>,
    /// The chain of causes below the message, outermost first.
    pub causes: Vec<String>,
}

/// Writes for a terminal, in colour or not, with the causes of errors or without.
pub(crate) struct Printer {
    color: bool,
    verbose: bool,
}

impl Printer {
    pub(crate) fn new(color: bool, verbose: bool) -> Self {
        Printer { color, verbose }
    }

    pub(crate) fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// The one renderer of problems: every error, warning and finding goes through here.
    pub(crate) fn report(&self, w: &mut dyn Write, r: &Report<'_>) -> io::Result<()> {
        let style = match r.severity {
            Severity::Error => ERROR,
            Severity::Warning => WARNING,
            Severity::Note => NOTE,
        };
        let head = match r.code {
            Some(code) => format!("{}[{code}]", r.severity.as_str()),
            None => r.severity.as_str().to_string(),
        };
        writeln!(
            w,
            "{}{} {}",
            self.paint(style, &head),
            self.paint(BOLD, ":"),
            self.paint(BOLD, r.message)
        )?;
        if let Some(location) = r.location {
            writeln!(w, "  {} {location}", self.paint(DIM, "-->"))?;
        }
        if let Some(help) = r.help {
            writeln!(w, "   {} {help}", self.paint(DIM, "= help:"))?;
        }
        if self.verbose {
            for cause in &r.causes {
                writeln!(w, "   {} {cause}", self.paint(DIM, "= caused by:"))?;
            }
        }
        Ok(())
    }

    /// Synth's findings, errors first, each followed by a blank line.
    pub(crate) fn diagnostics(&self, w: &mut dyn Write, d: &Diagnostics) -> io::Result<()> {
        let mut sorted: Vec<&Diagnostic> = d.0.iter().collect();
        sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.path.cmp(&b.path)));
        for d in sorted {
            self.report(
                w,
                &Report {
                    severity: d.severity,
                    code: Some(d.code),
                    message: &d.message,
                    location: Some(&d.path),
                    help: d.hint.as_deref(),
                    causes: Vec::new(),
                },
            )?;
            writeln!(w)?;
        }
        Ok(())
    }

    /// An error with nothing more to say than its message.
    pub(crate) fn error_line(&self, w: &mut dyn Write, message: &dyn Display) -> io::Result<()> {
        self.report(
            w,
            &Report {
                severity: Severity::Error,
                code: None,
                message: &message.to_string(),
                location: None,
                help: None,
                causes: Vec::new(),
            },
        )
    }

    /// An error: its message, what to do when the error says (a deploy error's hint), and
    /// with `--verbose` the chain of its sources, which for an AWS failure goes down to
    /// what the SDK and the connection said.
    pub(crate) fn error(
        &self,
        w: &mut dyn Write,
        e: &(dyn std::error::Error + 'static),
    ) -> io::Result<()> {
        let mut causes = Vec::new();
        let mut next = e.source();
        while let Some(cause) = next {
            causes.push(cause.to_string());
            next = cause.source();
        }
        self.report(
            w,
            &Report {
                severity: Severity::Error,
                code: None,
                message: &e.to_string(),
                location: None,
                help: hint_of(e).as_deref(),
                causes,
            },
        )
    }
}

/// What to do next, for the errors that know: an assembly's, a deploy's.
fn hint_of(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    use stackwright_synth::assembly::AssemblyError;
    if let Some(a) = e.downcast_ref::<AssemblyError>() {
        return a.hint();
    }
    #[cfg(feature = "aws")]
    if let Some(r) = e.downcast_ref::<stackwright_deploy::ReleaseError>() {
        return r.hint();
    }
    #[cfg(feature = "aws")]
    if let Some(d) = e.downcast_ref::<stackwright_deploy::DeployError>() {
        return match d {
            stackwright_deploy::DeployError::Assembly(a) => a.hint(),
            d => d.hint(),
        };
    }
    None
}

/// `m:ss`, or `h:mm:ss` from an hour on.
#[cfg(feature = "aws")]
pub(crate) fn format_elapsed(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(verbose: bool, f: impl FnOnce(&Printer, &mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&Printer::new(false, verbose), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// An error two causes deep, as an SDK error is.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn an_error_is_one_line_and_its_causes_follow_only_when_verbose() {
        let e = Layer(
            "App: DescribeStacks failed: could not connect",
            Some(Box::new(Layer(
                "dispatch failure",
                Some(Box::new(Layer("connection refused", None))),
            ))),
        );
        assert_eq!(
            printed(false, |p, w| p.error(w, &e)),
            "error: App: DescribeStacks failed: could not connect\n"
        );
        assert_eq!(
            printed(true, |p, w| p.error(w, &e)),
            "error: App: DescribeStacks failed: could not connect\n   = caused by: dispatch failure\n   = caused by: connection refused\n"
        );
    }

    #[test]
    fn findings_have_code_location_and_help() {
        let d = Diagnostics(vec![
            Diagnostic::warning("odd", "S/B", "b is odd"),
            Diagnostic::error("invalid-value", "S/A", "KeySpec is 'RSA_1'")
                .with_hint("did you mean 'RSA_2048'?"),
        ]);
        assert_eq!(
            printed(true, |p, w| p.diagnostics(w, &d)),
            "error[invalid-value]: KeySpec is 'RSA_1'\n  --> S/A\n   = help: did you mean 'RSA_2048'?\n\nwarning[odd]: b is odd\n  --> S/B\n\n"
        );
    }

    #[cfg(feature = "aws")]
    #[test]
    fn deploy_errors_bring_their_hint() {
        let e = stackwright_deploy::DeployError::NoRegion {
            stack: "App".into(),
        };
        assert_eq!(
            printed(false, |p, w| p.error(w, &e)),
            "error: no AWS region for stack App: its Env names none and none is configured\n   = help: set AWS_REGION (or `region` in the AWS_PROFILE profile), or give the stack an Env with a region\n"
        );
    }

    #[cfg(feature = "aws")]
    #[test]
    fn a_deploy_refused_for_an_unfinished_release_says_how_to_finish_it() {
        let e = stackwright_deploy::DeployError::ReleaseUnfinished {
            stack: "App-Runtime".into(),
            release: "App-Runtime/Release".into(),
            parameter: "ReleaseState".into(),
            state: "green 1.5.1 at 25%".into(),
        };
        assert_eq!(
            printed(false, |p, w| p.error(w, &e)),
            "error: App-Runtime: the release App-Runtime/Release is unfinished (ReleaseState is 'green 1.5.1 at 25%'); nothing was changed\n   = help: finish or undo the release first: `release App-Runtime --status` shows where it is, `release App-Runtime --rollback` puts all traffic back on the previous colour; then deploy again\n"
        );
    }

    #[cfg(feature = "aws")]
    #[test]
    fn elapsed_time_reads_like_a_clock() {
        assert_eq!(format_elapsed(Duration::from_secs(7)), "0:07");
        assert_eq!(format_elapsed(Duration::from_secs(125)), "2:05");
        assert_eq!(format_elapsed(Duration::from_secs(3725)), "1:02:05");
    }
}
