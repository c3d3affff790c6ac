//! `synth`: validate, write the cloud assembly, print a table of what was written (or the
//! templates asked for).

use std::io::Write;
use std::path::Path;

use stackwright_synth::{Synthesized, guard_exceptions, template_file_name};

use crate::printer::{BOLD, Printer};
use crate::select::{WhenNoneNamed, select};

/// The templates the patterns name (indices into the stacks), each once, in deployment
/// order; the error is the message to print.
pub(crate) fn check(s: &Synthesized, patterns: &[String]) -> Result<Vec<usize>, String> {
    let names: Vec<&str> = s.stacks.iter().map(|x| x.name.as_str()).collect();
    select(&names, patterns, false, WhenNoneNamed::Nothing)
}

/// Writes the assembly, then prints the templates `printed` (already checked) and a table
/// of what was written; with `quiet`, nothing but errors.
pub(crate) fn synth(
    p: &Printer,
    s: &Synthesized,
    dir: &Path,
    printed: &[usize],
    quiet: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Box<dyn std::error::Error>> {
    let assembly = s.write(dir)?;
    if quiet {
        return Ok(0);
    }
    p.diagnostics(err, &s.diagnostics)?;
    for i in printed {
        out.write_all(s.bodies[*i].as_bytes())?;
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
                    .join(template_file_name(&st.name))
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
    exceptions(p, s, table)?;
    Ok(0)
}

/// The Guard exceptions the templates record, per stack: what a reviewer accepts by
/// accepting this synth, so it is shown every time rather than only in the templates.
fn exceptions(p: &Printer, s: &Synthesized, out: &mut dyn Write) -> std::io::Result<()> {
    let per_stack: Vec<_> = s
        .stacks
        .iter()
        .map(|st| (&st.name, guard_exceptions(st)))
        .filter(|(_, e)| !e.is_empty())
        .collect();
    if per_stack.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", p.paint(BOLD, "Guard exceptions in force"))?;
    for (stack, list) in per_stack {
        writeln!(out, "  {stack} ({})", list.len())?;
        let width = list.iter().map(|e| e.rule.len()).max().unwrap_or(0);
        for e in list {
            let reason = if e.reason.is_empty() {
                "(no reason recorded)"
            } else {
                e.reason.as_str()
            };
            writeln!(out, "    {:<width$}  {}: {reason}", e.rule, e.path)?;
        }
    }
    Ok(())
}
