//! What the CloudFormation registry holds: every resource type stackwright knows the schema
//! of, whichever typed L1 modules are compiled in.
//!
//! Typed L1 structs carry their own facts; this is how synth, deploy's diff and untyped
//! resources find the facts of any type by name.

use crate::facts::ResourceFacts;

/// The facts of `type_name` (`AWS::SQS::Queue`), when the vendored schemas hold that type.
pub fn facts_for(type_name: &str) -> Option<&'static ResourceFacts> {
    crate::l1::facts_for(type_name)
}

/// Every type name the vendored schemas hold, sorted.
pub fn type_names() -> impl Iterator<Item = &'static str> {
    crate::l1::all_facts().iter().map(|f| f.type_name)
}

/// The known type name closest to `type_name`, for a did-you-mean: the one with the fewest
/// single-character edits, ignoring case, when it is close enough to be a typo.
pub fn suggest(type_name: &str) -> Option<&'static str> {
    let wanted = type_name.to_ascii_lowercase();
    let limit = (wanted.len() / 4).max(2);
    type_names()
        .map(|t| (edit_distance(&wanted, &t.to_ascii_lowercase()), t))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, t)| t)
}

/// Levenshtein distance over bytes (type names are ASCII).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
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
    fn known_types_are_found_and_typos_are_suggested() {
        assert_eq!(
            facts_for("AWS::EC2::VPC").unwrap().type_name,
            "AWS::EC2::VPC"
        );
        assert!(facts_for("AWS::EC2::Vpc").is_none());
        assert_eq!(suggest("AWS::EC2::Vpc"), Some("AWS::EC2::VPC"));
        assert_eq!(suggest("AWS::SNS::Topik"), Some("AWS::SNS::Topic"));
        assert_eq!(suggest("Org::Team::Thing"), None);
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("queue", "queu"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
