//! A sorted list vendored as text (one entry per line, after `#` header lines), searched
//! in place by binary search over its bytes: nothing is split or allocated, and only the
//! pages the search touches are read.

/// Where the line holding byte `i` starts.
fn line_start(bytes: &[u8], i: usize) -> usize {
    bytes[..i]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |n| n + 1)
}

/// Where the line starting at `i` ends (its newline, or the end of the text).
fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |n| i + n)
}

/// The first entry not less than `key` (bytewise, as the vendoring scripts sort).
pub(crate) fn lower_bound(text: &'static str, key: &[u8]) -> Option<&'static str> {
    let bytes = text.as_bytes();
    let mut lo = 0;
    while bytes.get(lo) == Some(&b'#') {
        lo = line_end(bytes, lo) + 1;
    }
    let mut hi = bytes.len();
    // Invariant: every line starting before `lo` is < key; every line at or after `hi` is >= key.
    while lo < hi {
        let mid = line_start(bytes, lo + (hi - lo) / 2).max(lo);
        let end = line_end(bytes, mid);
        if &bytes[mid..end] < key {
            lo = end + 1;
        } else {
            hi = mid;
        }
    }
    (lo < bytes.len()).then(|| {
        let end = line_end(bytes, lo);
        // Lines are split at ASCII newlines, so both ends are character boundaries.
        text.get(lo..end).unwrap_or_default()
    })
}

/// Is `key` an entry?
pub(crate) fn contains(text: &'static str, key: &str) -> bool {
    lower_bound(text, key.as_bytes()) == Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "# a header\n# and more\napple\nbanana\ncherry\n";

    #[test]
    fn entries_are_found_and_headers_are_not() {
        for e in ["apple", "banana", "cherry"] {
            assert!(contains(LIST, e), "{e}");
        }
        for e in ["", "# a header", "appl", "bananas", "zebra"] {
            assert!(!contains(LIST, e), "{e}");
        }
        assert_eq!(lower_bound(LIST, b"b"), Some("banana"));
        assert_eq!(lower_bound(LIST, b"d"), None);
        assert_eq!(lower_bound("", b"a"), None);
    }
}
