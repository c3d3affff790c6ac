//! Logical ids derived from construct paths.
//!
//! A logical id is public API: renaming one makes CloudFormation replace the resource, and
//! a replaced database is lost data. So ids are derived from the path alone, never from
//! position or from what else is in the tree: adding, removing or reordering a construct
//! cannot rename another's resources. Two paths that derive the same id are an error for
//! the user to resolve (rename, or `override_logical_id`), never silently suffixed.

use sha2::{Digest, Sha256};

/// Longest logical id CloudFormation accepts.
pub const MAX_LOGICAL_ID_LEN: usize = 255;

/// The id an element at `components` (the path below its stack) gets.
///
/// The path's components are concatenated with every character that is not an ASCII letter
/// or digit dropped. A component called `Default` is left out anywhere, and a last
/// component called `Resource` is left out, so an L2 construct's main resource carries the
/// construct's own name: `Network/Resource` is `Network`. Only an id longer than
/// CloudFormation's 255 characters gets a hash: it is cut and ends with 8 hex digits of a
/// hash of the full path, so two long paths still differ.
///
/// ```
/// use stackwright_core::logical_id::derive;
/// assert_eq!(derive(&["Network", "PublicSubnet1", "RouteTable"]), "NetworkPublicSubnet1RouteTable");
/// assert_eq!(derive(&["Network", "Resource"]), "Network");
/// assert_eq!(derive(&["app-db", "Default", "Secret"]), "appdbSecret");
/// ```
pub fn derive(components: &[&str]) -> String {
    let last = components.len().saturating_sub(1);
    let mut id = String::new();
    for (i, c) in components.iter().enumerate() {
        if *c == "Default" || (i == last && i > 0 && *c == "Resource") {
            continue;
        }
        id.extend(c.chars().filter(char::is_ascii_alphanumeric));
    }
    if id.len() > MAX_LOGICAL_ID_LEN {
        let hash = Sha256::digest(components.join("/").as_bytes());
        let suffix: String = hash[..4].iter().map(|b| format!("{b:02X}")).collect();
        id.truncate(MAX_LOGICAL_ID_LEN - suffix.len());
        id.push_str(&suffix);
    }
    id
}

/// Why `id` cannot be a logical id, if it cannot.
pub fn problem(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("it is empty")
    } else if id.len() > MAX_LOGICAL_ID_LEN {
        Some("it is longer than 255 characters")
    } else if !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        Some("it holds a character other than an ASCII letter or digit")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_is_dropped_only_at_the_end() {
        assert_eq!(derive(&["Resource", "Key"]), "ResourceKey");
        assert_eq!(derive(&["Resource"]), "Resource");
        assert_eq!(derive(&["Db", "Resource"]), "Db");
    }

    #[test]
    fn long_paths_are_cut_and_hashed_deterministically() {
        let long = "A".repeat(200);
        let a = derive(&[&long, &long, "One"]);
        let b = derive(&[&long, &long, "Two"]);
        assert_eq!(a.len(), MAX_LOGICAL_ID_LEN);
        assert_ne!(a, b);
        assert_eq!(a, derive(&[&long, &long, "One"]));
        assert!(problem(&a).is_none());
    }

    #[test]
    fn problems_are_named() {
        assert_eq!(problem(""), Some("it is empty"));
        assert!(problem("My-Id").is_some());
        assert!(problem("MyId1").is_none());
    }
}
