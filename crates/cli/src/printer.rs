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
/// ```
///
/// The code and the location are left out when there are none.
pub(crate) struct Report<'a> {
    pub severity: Severity,
    pub code: Option<&'a str>,
    pub message: &'a str,
    pub location: Option<&'a str>,
    pub help: Option<&'a str>,
}

/// Writes for a terminal, in colour or not.
pub(crate) struct Printer {
    color: bool,
}

impl Printer {
    pub(crate) fn new(color: bool) -> Self {
        Printer { color }
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
            },
        )
    }
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

#[cfg(all(test, feature = "aws"))]
mod tests {
    use super::*;

    #[test]
    fn elapsed_time_reads_like_a_clock() {
        assert_eq!(format_elapsed(Duration::from_secs(7)), "0:07");
        assert_eq!(format_elapsed(Duration::from_secs(125)), "2:05");
        assert_eq!(format_elapsed(Duration::from_secs(3725)), "1:02:05");
    }
}
