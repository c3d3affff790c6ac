//! What the CloudFormation registry holds: every resource type stackwright knows the schema
//! of, whichever typed L1 modules are compiled in.
//!
//! Typed L1 structs carry their own facts as static tables; this is how synth, deploy's
//! diff and untyped resources find the facts of any type by name. The facts of every
//! vendored type live in `facts.txt` (written by `stackwright-codegen` from the same
//! schemas as the typed code), embedded in the binary and decoded one type at a time, the
//! first time that type is asked for: a program that names three untyped types decodes
//! three.

use std::sync::{Mutex, OnceLock};

use crate::facts::ResourceFacts;

mod decode;

/// The registry file: an index of types, then one JSON line of facts per type.
static FILE: &str = include_str!("facts.txt");

/// One type in the index: its name and where its line is in the body. The line is only
/// sliced out when the type is decoded: touching every line's start while reading the
/// index would fault in the whole 3 MB body.
struct Entry {
    name: &'static str,
    body: &'static str,
    offset: usize,
    len: usize,
    decoded: OnceLock<&'static ResourceFacts>,
}

impl Entry {
    /// The type's JSON line (empty if the index points outside the body).
    fn line(&self) -> &'static str {
        self.body
            .get(self.offset..self.offset + self.len)
            .unwrap_or("")
    }
}

/// The index, read on first use.
fn index() -> &'static [Entry] {
    static INDEX: OnceLock<Vec<Entry>> = OnceLock::new();
    INDEX.get_or_init(|| read_index(FILE))
}

fn read_index(file: &'static str) -> Vec<Entry> {
    let (head, body) = file.split_once("\n\n").unwrap_or((file, ""));
    head.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|h| {
            let mut parts = h.split(' ');
            let name = parts.next()?;
            let offset: usize = parts.next()?.parse().ok()?;
            let len: usize = parts.next()?.parse().ok()?;
            Some(Entry {
                name,
                body,
                offset,
                len,
                decoded: OnceLock::new(),
            })
        })
        .collect()
}

/// The facts of `type_name` (`AWS::SQS::Queue`), when the vendored schemas hold that type.
pub fn facts_for(type_name: &str) -> Option<&'static ResourceFacts> {
    let index = index();
    let i = index.binary_search_by(|e| e.name.cmp(type_name)).ok()?;
    let entry = &index[i];
    // Decoding happens once per type; the lock keeps two threads from decoding (and
    // leaking) the same type twice.
    static DECODING: Mutex<()> = Mutex::new(());
    Some(entry.decoded.get_or_init(|| {
        let _guard = DECODING.lock().unwrap_or_else(|p| p.into_inner());
        decode::decode(entry.name, entry.line())
    }))
}

/// Every type name the vendored schemas hold, sorted.
pub fn type_names() -> impl Iterator<Item = &'static str> {
    index().iter().map(|e| e.name)
}

/// The known type name closest to `type_name`, for a did-you-mean: the one with the fewest
/// single-character edits, ignoring case, when it is close enough to be a typo.
pub fn suggest(type_name: &str) -> Option<&'static str> {
    let wanted = type_name.to_ascii_lowercase();
    let limit = (wanted.len() / 4).max(2);
    type_names()
        .map(|t| {
            (
                crate::suggest::edit_distance(&wanted, &t.to_ascii_lowercase()),
                t,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, t)| t)
}

#[cfg(test)]
mod tests;
