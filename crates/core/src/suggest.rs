//! "Did you mean ...?": the candidate a misspelt name most likely meant.
//!
//! Every error that names an unknown key, type, logical id or value offers the closest
//! known one, and all of them agree on what counts as close.

/// The candidate closest to `word` (ignoring ASCII case) when it is close enough to be a
/// typo: at most a third of the candidate's length in edits, and at least one.
///
/// ```
/// use stackwright_core::suggest::closest;
///
/// assert_eq!(closest("CidrBlok", &["CidrBlock", "VpcId"]), Some("CidrBlock"));
/// assert_eq!(closest("Nothing", &["CidrBlock", "VpcId"]), None);
/// ```
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&w, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance in characters: the insertions, deletions and substitutions that
/// turn `a` into `b`.
///
/// ```
/// use stackwright_core::suggest::edit_distance;
///
/// assert_eq!(edit_distance("kitten", "sitting"), 3);
/// ```
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_count_edits_in_characters() {
        assert_eq!(edit_distance("queue", "queu"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("zürich", "zurich"), 1);
    }

    #[test]
    fn only_likely_typos_are_suggested() {
        assert_eq!(closest("vpcid", &["CidrBlock", "VpcId"]), Some("VpcId"));
        assert_eq!(closest("Vp", &["VpcId"]), None);
        assert_eq!(closest("anything", &[]), None);
    }
}
