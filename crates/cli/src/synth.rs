//! `synth`: validate, write the cloud assembly, print a table of what was written (or the
//! templates asked for).

use std::io::Write;
use std::path::Path;

use stackwright_synth::{Synthesized, template_file_name};

use crate::printer::{BOLD, Printer};
use crate::select::{WhenNoneNamed, select};

pub(crate) fn synth(
    p: &Printer,
    s: &Synthesized,
    dir: &Path,
    patterns: &[String],
    quiet: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Box<dyn std::error::Error>> {
    let names: Vec<&str> = s.stacks.iter().map(|x| x.name.as_str()).collect();
    let printed = match select(&names, patterns, false, WhenNoneNamed::Nothing) {
        Ok(printed) => printed,
        Err(message) => {
            p.error_line(err, &message)?;
            return Ok(1);
        }
    };
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
    Ok(0)
}
