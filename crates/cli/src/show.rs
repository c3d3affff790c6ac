//! How diffs, change sets and the progress of an operation look on the terminal.

use std::io::{self, Write};

use anstyle::Style;
use serde_json::Value as Json;
use stackwright_deploy::change_set::{ChangeAction, ChangeSet, Replacement};
use stackwright_deploy::diff::{ChangeKind, EntryDiff, Impact, PropertyDiff, TemplateDiff};
use stackwright_deploy::{Activity, StackTarget};

use crate::printer::{BOLD, DIM, ERROR, GREEN, Printer, RED, WARNING, YELLOW, format_elapsed};

fn sign(kind: ChangeKind) -> (&'static str, Style) {
    match kind {
        ChangeKind::Added => ("[+]", GREEN),
        ChangeKind::Removed => ("[-]", RED),
        ChangeKind::Modified => ("[~]", YELLOW),
    }
}

fn short(v: &Option<Json>) -> String {
    match v {
        None => "(none)".into(),
        Some(v) => serde_json::to_string(v).unwrap_or_default(),
    }
}

fn pretty(v: &Json) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// One changed value: inline when short, a line diff of the pretty JSON when long (a
/// policy document reads far better as a diff than as two blobs).
fn print_value_change(
    p: &Printer,
    w: &mut dyn Write,
    indent: &str,
    label: &str,
    old: &Option<Json>,
    new: &Option<Json>,
    note: &str,
) -> io::Result<()> {
    let (o, n) = (short(old), short(new));
    if o.len() + n.len() <= 100 {
        let text = match (old, new) {
            (None, _) => format!("{label}: {n}"),
            (_, None) => format!("{label}: {o} (removed)"),
            _ => format!("{label}: {o} → {n}"),
        };
        return writeln!(w, "{indent}{text}{note}");
    }
    writeln!(w, "{indent}{label}:{note}")?;
    let o = old.as_ref().map(pretty).unwrap_or_default();
    let n = new.as_ref().map(pretty).unwrap_or_default();
    let diff = similar::TextDiff::from_lines(&o, &n);
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end_matches('\n');
        match change.tag() {
            similar::ChangeTag::Delete => {
                writeln!(w, "{indent}  {}", p.paint(RED, &format!("- {line}")))?
            }
            similar::ChangeTag::Insert => {
                writeln!(w, "{indent}  {}", p.paint(GREEN, &format!("+ {line}")))?
            }
            similar::ChangeTag::Equal => writeln!(w, "{indent}    {line}")?,
        }
    }
    Ok(())
}

fn impact_note(p: &Printer, impact: Impact) -> String {
    match impact {
        Impact::InPlace => String::new(),
        Impact::MayReplace => format!(" {}", p.paint(WARNING, "(may replace)")),
        Impact::Replace => format!(" {}", p.paint(ERROR, "(replaces)")),
    }
}

pub(crate) fn print_template_diff(
    p: &Printer,
    w: &mut dyn Write,
    stack: &str,
    d: &TemplateDiff,
) -> io::Result<()> {
    if d.is_empty() {
        return writeln!(w, "{}: no differences", p.paint(BOLD, stack));
    }
    let c = d.counts();
    writeln!(
        w,
        "{}{}: {} to add, {} to modify, {} to remove, {} to replace",
        p.paint(BOLD, stack),
        if d.new_stack { " (new stack)" } else { "" },
        c.added,
        c.modified,
        c.removed,
        c.replaced
    )?;
    for r in &d.resources {
        let (mark, style) = sign(r.kind);
        let what = match r.impact {
            Impact::Replace => format!(" {}", p.paint(ERROR, "REPLACE")),
            Impact::MayReplace => format!(" {}", p.paint(WARNING, "MAY REPLACE")),
            Impact::InPlace => String::new(),
        };
        let security = r
            .security
            .map(|s| format!(" {}", p.paint(WARNING, &format!("[security: {s}]"))))
            .unwrap_or_default();
        let ty = match &r.old_type {
            Some(old) => format!("{old} → {}", r.resource_type),
            None => r.resource_type.clone(),
        };
        writeln!(
            w,
            "{} {} {}{}{}{}",
            p.paint(style, mark),
            ty,
            r.logical_id,
            r.path
                .as_ref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default(),
            what,
            security
        )?;
        // Added and removed resources are shown whole only by name; their properties are
        // all new or all gone, which the mark already says.
        if r.kind == ChangeKind::Modified {
            for prop in &r.properties {
                print_property(p, w, prop)?;
            }
            for a in &r.attributes {
                print_value_change(p, w, "     ", &a.key, &a.old, &a.new, "")?;
            }
        }
    }
    for (title, entries) in [
        ("Parameters", &d.parameters),
        ("Outputs", &d.outputs),
        ("Template", &d.sections),
    ] {
        if !entries.is_empty() {
            writeln!(w, "  {title}:")?;
            for e in entries {
                print_entry(p, w, e)?;
            }
        }
    }
    let security: Vec<_> = d.security_changes().collect();
    if !security.is_empty() {
        writeln!(
            w,
            "  {}",
            p.paint(
                WARNING,
                "Security-relevant changes; review them before deploying:"
            )
        )?;
        for r in security {
            let (mark, style) = sign(r.kind);
            writeln!(
                w,
                "    {} {} {} ({})",
                p.paint(style, mark),
                r.resource_type,
                r.logical_id,
                r.security.unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

fn print_property(p: &Printer, w: &mut dyn Write, prop: &PropertyDiff) -> io::Result<()> {
    let kind = match (&prop.old, &prop.new) {
        (None, _) => ChangeKind::Added,
        (_, None) => ChangeKind::Removed,
        _ => ChangeKind::Modified,
    };
    let (mark, style) = sign(kind);
    let label = format!("{} {}", p.paint(style, mark), prop.path);
    print_value_change(
        p,
        w,
        "     └─ ",
        &label,
        &prop.old,
        &prop.new,
        &impact_note(p, prop.impact),
    )
}

fn print_entry(p: &Printer, w: &mut dyn Write, e: &EntryDiff) -> io::Result<()> {
    let (mark, style) = sign(e.kind);
    let label = format!("{} {}", p.paint(style, mark), e.key);
    match e.kind {
        ChangeKind::Modified => print_value_change(p, w, "    ", &label, &e.old, &e.new, ""),
        _ => writeln!(w, "    {label}"),
    }
}

pub(crate) fn print_change_set(
    p: &Printer,
    w: &mut dyn Write,
    t: &StackTarget,
    cs: &ChangeSet,
) -> io::Result<()> {
    writeln!(w, "{}: {}", p.paint(BOLD, &t.name), cs.summary())?;
    for c in &cs.changes {
        let (mark, style) = match (&c.action, c.replacement) {
            (ChangeAction::Add, _) => ("[+]", GREEN),
            (ChangeAction::Remove, _) => ("[-]", RED),
            (ChangeAction::Modify, Some(Replacement::True)) => ("[!]", RED),
            _ => ("[~]", YELLOW),
        };
        let replace = match c.replacement {
            Some(Replacement::True) => format!(" {}", p.paint(ERROR, "REPLACE")),
            Some(Replacement::Conditional) => format!(" {}", p.paint(WARNING, "MAY REPLACE")),
            _ => String::new(),
        };
        let security = c
            .security_reason()
            .map(|s| format!(" {}", p.paint(WARNING, &format!("[security: {s}]"))))
            .unwrap_or_default();
        writeln!(
            w,
            "{} {:<7} {} {}{}{}{}",
            p.paint(style, mark),
            c.action,
            c.resource_type,
            c.logical_id,
            t.manifest
                .paths
                .get(&c.logical_id)
                .map(|x| format!(" ({x})"))
                .unwrap_or_default(),
            replace,
            security
        )?;
    }
    Ok(())
}

pub(crate) fn note_activity(p: &Printer, w: &mut dyn Write, a: &Activity) {
    let _ = match a {
        Activity::Waiting { stack, status } => writeln!(
            w,
            "{}: {status}: waiting for the running operation to end",
            p.paint(BOLD, stack)
        ),
        Activity::Recreating { stack, status } => writeln!(
            w,
            "{}: {status}; it holds no resources, so it is deleted and created again",
            p.paint(BOLD, stack)
        ),
        Activity::Uploaded { stack, url } => {
            writeln!(w, "{}: template uploaded to {url}", p.paint(BOLD, stack))
        }
        Activity::Event {
            event,
            path,
            done,
            total,
            elapsed,
        } => {
            let style = if event.status.is_failure() {
                RED
            } else if event.status.as_str().ends_with("_COMPLETE") {
                GREEN
            } else {
                DIM
            };
            let who = match path {
                Some(path) => format!("{path} ({})", event.logical_id),
                None => event.logical_id.clone(),
            };
            writeln!(
                w,
                "  {:>3}/{:<3} {:>6}  {}  {:<28} {who}{}",
                done,
                total,
                format_elapsed(*elapsed),
                p.paint(style, &format!("{:<28}", event.status.as_str())),
                event.resource_type,
                event
                    .reason
                    .as_ref()
                    .map(|r| format!("  {r}"))
                    .unwrap_or_default()
            )
        }
    };
}
