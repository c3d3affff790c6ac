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

#[test]
fn constraints_decode_and_damage_reads_as_unknown() {
    use crate::facts::Check;
    let line = r#"{"s": [["Properties", [], [
        ["required-xor", "requiredXor at #", "", ["one", [["req", ["A"]], ["req", ["B"]]]]],
        ["if-then", "x", "d", ["if", ["prop", "E", ["const", "\"pg\""]], ["prop", "U", ["never"]], ["any"]]],
        ["broken", "y", "", ["prop", 7, ["nope"]]],
        ["deep", "z", "", ["not", ["not", ["not", ["bogus"]]]]]
    ]]]}"#;
    let facts = decode::decode("AWS::Test::Thing", line);
    let c = facts.shape.constraints;
    assert_eq!(c.len(), 4);
    assert_eq!(c[0].rule, "required-xor");
    assert_eq!(
        c[0].check,
        Check::OneOf(&[Check::Required(&["A"]), Check::Required(&["B"])])
    );
    assert_eq!(c[1].description, "d");
    assert_eq!(
        c[1].check,
        Check::IfThenElse(
            &Check::Property("E", &Check::Const("\"pg\"")),
            &Check::Property("U", &Check::Never),
            &Check::Any
        )
    );
    assert_eq!(c[2].check, Check::Unknown);
    assert_eq!(
        c[3].check,
        Check::Not(&Check::Not(&Check::Not(&Check::Unknown)))
    );
    // Nesting deeper than any generated check reads as unknown below the cap.
    let deep = format!(
        r#"{{"s": [["Properties", [], [["r", "s", "", {}["any"]{}]]]]}}"#,
        r#"["not", "#.repeat(100),
        "]".repeat(100)
    );
    let facts = decode::decode("AWS::Test::Deep", &deep);
    let mut c = &facts.shape.constraints[0].check;
    let mut depth = 0;
    while let Check::Not(inner) = c {
        c = inner;
        depth += 1;
    }
    assert_eq!((depth, c), (65, &Check::Unknown));
    // Past what the JSON parser takes, the line reads as empty: fewer checks, no crash.
    let deeper = format!(
        r#"{{"s": [["Properties", [], [["r", "s", "", {}["any"]{}]]]]}}"#,
        r#"["not", "#.repeat(200),
        "]".repeat(200)
    );
    assert!(
        decode::decode("AWS::Test::Deeper", &deeper)
            .shape
            .constraints
            .is_empty()
    );
}
