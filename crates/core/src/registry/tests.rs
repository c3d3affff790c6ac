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

#[test]
fn the_index_is_sorted_and_every_line_is_json() {
    let names: Vec<&str> = type_names().collect();
    assert!(!names.is_empty());
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "sorted, no duplicates"
    );
    for e in index() {
        let json: serde_json::Value =
            serde_json::from_str(e.line()).unwrap_or_else(|err| panic!("{}: {err}", e.name));
        assert!(json.get("s").is_some(), "{} has shapes", e.name);
    }
}

#[test]
fn a_type_is_decoded_once() {
    let a = facts_for("AWS::KMS::Key").unwrap();
    let b = facts_for("AWS::KMS::Key").unwrap();
    assert!(std::ptr::eq(a, b));
}
