//! Matchers: what each one accepts, and how a mismatch is reported.

mod support;

use serde_json::{Value, json};
use stackwright_assertions::{Matcher, Mismatch};
use support::panic_message;

fn mismatch_lines(m: &Matcher, actual: Value) -> Vec<String> {
    m.mismatches(&actual)
        .iter()
        .map(Mismatch::to_string)
        .collect()
}

#[test]
fn exact_requires_equal_keys_lengths_and_values() {
    let m = Matcher::exact(json!({ "a": 1, "b": [{ "c": true }] }));
    assert!(m.matches(&json!({ "b": [{ "c": true }], "a": 1 })));
    assert_eq!(
        mismatch_lines(
            &m,
            json!({ "a": 1, "b": [{ "c": true, "d": 0 }], "e": "x" })
        ),
        [
            "at /b/0/d: unexpected key, with value 0",
            r#"at /e: unexpected key, with value "x""#
        ]
    );
    assert_eq!(
        mismatch_lines(&m, json!({ "a": 2, "b": [] })),
        [
            "at /a: expected 1, found 2",
            "at /b: expected an array of 1 element(s), found 0 element(s): []"
        ]
    );
    assert_eq!(
        mismatch_lines(&Matcher::exact("x"), json!(["x"])),
        [r#"at the root: expected "x", found ["x"]"#]
    );
}

#[test]
fn object_like_is_a_deep_subset_with_exact_array_lengths() {
    let m = Matcher::object_like(json!({ "a": { "b": 1 }, "list": [{ "k": "x" }] }));
    assert!(m.matches(&json!({
        "a": { "b": 1, "extra": 2 },
        "list": [{ "k": "x", "v": "y" }],
        "other": null
    })));
    assert_eq!(
        mismatch_lines(
            &m,
            json!({ "a": { "c": 1 }, "list": [{ "k": "x" }, { "k": "z" }] })
        ),
        [
            "at /a/b: missing (expected 1)",
            r#"at /list: expected an array of 1 element(s), found 2 element(s): [{"k":"x"},{"k":"z"}]"#
        ]
    );
    assert_eq!(
        mismatch_lines(&m, json!({ "a": "flat", "list": {} })),
        [
            r#"at /a: expected an object, found "flat""#,
            "at /list: expected an array, found {}"
        ]
    );
}

#[test]
fn plain_json_converts_to_object_like() {
    let from: Matcher = json!({ "a": [1, { "b": 2 }] }).into();
    assert_eq!(from, Matcher::object_like(json!({ "a": [1, { "b": 2 }] })));
    assert_eq!(
        Matcher::from(&json!({ "a": 1 })),
        Matcher::object_like(json!({ "a": 1 }))
    );
    assert!(from.matches(&json!({ "a": [1, { "b": 2, "c": 3 }], "z": 0 })));
    assert!(!from.matches(&json!({ "a": [1, { "b": 3 }] })));
}

#[test]
fn scalars_convert_and_numbers_compare_by_value() {
    assert!(Matcher::from(7).matches(&json!(7.0)));
    assert!(Matcher::from(7.5).matches(&json!(7.5)));
    assert!(Matcher::from(7u64).matches(&json!(7)));
    assert!(Matcher::from(-3i64).matches(&json!(-3)));
    assert!(Matcher::from(3u32).matches(&json!(3)));
    assert!(Matcher::from(true).matches(&json!(true)));
    assert!(Matcher::from("x").matches(&json!("x")));
    assert!(Matcher::from(String::from("x")).matches(&json!("x")));
    assert!(Matcher::from(json!(null)).matches(&json!(null)));
    assert_eq!(
        mismatch_lines(&Matcher::from(7), json!("7")),
        [r#"at the root: expected 7, found "7""#]
    );
    assert!(!Matcher::from(false).matches(&json!(0)));
}

#[test]
fn absent_requires_the_key_to_be_missing() {
    let m = Matcher::object([("Condition", Matcher::absent())]);
    assert!(m.matches(&json!({ "Effect": "Allow" })));
    assert_eq!(
        mismatch_lines(&m, json!({ "Condition": { "Bool": {} } })),
        [r#"at /Condition: expected absent, found {"Bool":{}}"#]
    );
    // A null value is still a present key.
    assert!(!m.matches(&json!({ "Condition": null })));
    // Outside an object nothing is absent.
    assert!(!Matcher::absent().matches(&json!(null)));
    assert!(!Matcher::array_equals([Matcher::absent()]).matches(&json!([1])));
    // In an exact object, absent keys need not be there and others still are refused.
    let exact = Matcher::object_equals([("a", Matcher::from(1)), ("b", Matcher::absent())]);
    assert!(exact.matches(&json!({ "a": 1 })));
    assert!(!exact.matches(&json!({ "a": 1, "b": 2 })));
}

#[test]
fn any_value_requires_a_present_non_null_value() {
    let m = Matcher::object([("Role", Matcher::any_value())]);
    assert!(m.matches(&json!({ "Role": { "Fn::GetAtt": ["R", "Arn"] } })));
    assert!(m.matches(&json!({ "Role": false })));
    assert_eq!(
        mismatch_lines(&m, json!({ "Role": null })),
        ["at /Role: expected any value, found null"]
    );
    assert_eq!(
        mismatch_lines(&m, json!({})),
        ["at /Role: missing (expected any_value())"]
    );
}

#[test]
fn array_with_finds_items_in_order_not_necessarily_adjacent() {
    let actual = json!(["a", "b", "c", "d"]);
    assert!(Matcher::array_with([json!("a"), json!("c")]).matches(&actual));
    assert!(Matcher::array_with([json!("b"), json!("d")]).matches(&actual));
    assert!(Matcher::array_with(Vec::<Matcher>::new()).matches(&actual));
    assert!(!Matcher::array_with(Vec::<Matcher>::new()).matches(&json!({})));
    // Order matters, and one element serves one item only.
    assert!(!Matcher::array_with([json!("c"), json!("a")]).matches(&actual));
    assert!(!Matcher::array_with([json!("a"), json!("a")]).matches(&actual));
    assert!(Matcher::array_with([json!("a"), json!("a")]).matches(&json!(["a", "x", "a"])));
    assert_eq!(
        mismatch_lines(
            &Matcher::array_with([json!("c"), json!("a")]),
            json!({ "x": ["a", "b", "c", "d"] })
        ),
        [r#"at the root: expected an array, found {"x":["a","b","c","d"]}"#]
    );
    let lines = mismatch_lines(&Matcher::array_with([json!("c"), json!("a")]), actual);
    assert_eq!(
        lines,
        [
            r#"at the root: array_with: no element from index 3 on matches item 1 of the pattern, "a"; the closest is element 3: at /3: expected "a", found "d""#
        ]
    );
}

#[test]
fn array_with_elements_are_object_like_and_report_the_closest() {
    let statements = json!({ "Statement": [
        { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*" },
        { "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*" }
    ]});
    let m = Matcher::object([(
        "Statement",
        Matcher::array_with([json!({ "Effect": "Deny", "Action": "s3:DeleteObject" })]),
    )]);
    assert!(m.matches(&statements));
    let exact = Matcher::object([(
        "Statement",
        Matcher::array_with([Matcher::exact(
            json!({ "Effect": "Deny", "Action": "s3:DeleteObject" }),
        )]),
    )]);
    assert!(!exact.matches(&statements));

    let wrong = Matcher::object([(
        "Statement",
        Matcher::array_with([json!({ "Effect": "Deny", "Action": "s3:PutObject" })]),
    )]);
    let lines = mismatch_lines(&wrong, statements);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("at /Statement: array_with: no element matches item 0"),
        "{lines:?}"
    );
    assert!(
        lines[0].ends_with(r#"the closest is element 1: at /Statement/1/Action: expected "s3:PutObject", found "s3:DeleteObject""#),
        "{lines:?}"
    );
    let empty = mismatch_lines(&Matcher::array_with([json!(1)]), json!([]));
    assert_eq!(
        empty,
        [
            "at the root: array_with: no element matches item 0 of the pattern, 1; the array has 0 element(s)"
        ]
    );
}

#[test]
fn array_equals_matches_element_wise() {
    let m = Matcher::array_equals([Matcher::any_value(), Matcher::from("b")]);
    assert!(m.matches(&json!([{ "any": 1 }, "b"])));
    assert_eq!(
        mismatch_lines(&m, json!([null, "c"])),
        [
            "at /0: expected any value, found null",
            r#"at /1: expected "b", found "c""#
        ]
    );
    assert!(!m.matches(&json!(["a"])));
}

#[test]
fn not_inverts_including_missing_keys() {
    let m = Matcher::object([("Principal", Matcher::not(json!({ "AWS": "*" })))]);
    assert!(m.matches(&json!({ "Principal": { "Service": "sns.amazonaws.com" } })));
    // A missing key is not `{"AWS": "*"}` either.
    assert!(m.matches(&json!({})));
    assert_eq!(
        mismatch_lines(&m, json!({ "Principal": { "AWS": "*", "Other": 1 } })),
        [r#"at /Principal: expected anything but {"AWS": "*", ..}, found {"AWS":"*","Other":1}"#]
    );
    let present = Matcher::object([("KmsKeyId", Matcher::not(Matcher::absent()))]);
    assert!(present.matches(&json!({ "KmsKeyId": null })));
    assert_eq!(
        mismatch_lines(&present, json!({})),
        ["at /KmsKeyId: expected anything but absent(), found nothing (missing)"]
    );
    assert!(Matcher::not(Matcher::not(Matcher::from(1))).matches(&json!(1)));
}

#[test]
fn serialized_json_parses_the_string_and_matches_inside() {
    let body = json!({ "DashboardBody": "{\"widgets\":[{\"type\":\"metric\",\"width\":12}]}" });
    let m = Matcher::object([(
        "DashboardBody",
        Matcher::serialized_json(json!({ "widgets": [{ "type": "metric" }] })),
    )]);
    assert!(m.matches(&body));
    let wrong = Matcher::object([(
        "DashboardBody",
        Matcher::serialized_json(json!({ "widgets": [{ "type": "text" }] })),
    )]);
    assert_eq!(
        mismatch_lines(&wrong, body),
        [r#"at /DashboardBody/<json>/widgets/0/type: expected "text", found "metric""#]
    );
    assert_eq!(
        mismatch_lines(
            &Matcher::serialized_json(json!({})),
            json!({ "Fn::Join": ["", []] })
        ),
        [r#"at the root: expected a string of serialized JSON, found {"Fn::Join":["",[]]}"#]
    );
    let invalid = mismatch_lines(&Matcher::serialized_json(json!({})), json!("{not json"));
    assert_eq!(invalid.len(), 1);
    assert!(
        invalid[0].starts_with(r#"at the root: expected a string of serialized JSON, found "{not json", which does not parse: "#),
        "{invalid:?}"
    );
    assert!(!Matcher::object([("B", Matcher::serialized_json(json!({})))]).matches(&json!({})));
}

#[test]
fn object_mixes_matchers_and_json() {
    let m = Matcher::object([
        ("Name", Matcher::from("web")),
        ("Ports", Matcher::array_with([80])),
        ("Config", json!({ "Debug": false }).into()),
        ("Secret", Matcher::absent()),
    ]);
    assert!(m.matches(&json!({
        "Name": "web",
        "Ports": [22, 80, 443],
        "Config": { "Debug": false, "Level": "info" },
        "Other": 1
    })));
    assert_eq!(
        mismatch_lines(
            &m,
            json!({ "Ports": [80], "Config": { "Debug": true }, "Secret": "s" })
        ),
        [
            r#"at /Name: missing (expected "web")"#,
            "at /Config/Debug: expected false, found true",
            r#"at /Secret: expected absent, found "s""#
        ]
    );
    let equals = Matcher::object_equals([("Ref", "Vpc")]);
    assert_eq!(
        mismatch_lines(&equals, json!({ "Ref": "Vpc", "Extra": 1 })),
        ["at /Extra: unexpected key, with value 1"]
    );
}

#[test]
fn with_puts_matchers_deep_inside_json_patterns() {
    let m = Matcher::object_like(json!({ "Tags": [{ "Key": "Owner", "Value": "placeholder" }] }))
        .with("/Tags/0/Value", Matcher::any_value())
        .with("/Logging/Destination", Matcher::absent())
        .with(
            "/Lifecycle/Rules",
            Matcher::array_with([json!({ "Status": "Enabled" })]),
        );
    assert!(m.matches(&json!({
        "Tags": [{ "Key": "Owner", "Value": "anyone" }],
        "Logging": {},
        "Lifecycle": { "Rules": [{ "Id": "a", "Status": "Enabled" }] }
    })));
    assert_eq!(
        mismatch_lines(
            &m,
            json!({
                "Tags": [{ "Key": "Owner", "Value": null }],
                "Logging": { "Destination": "x" },
                "Lifecycle": { "Rules": [] }
            })
        ),
        [
            "at /Tags/0/Value: expected any value, found null",
            r#"at /Logging/Destination: expected absent, found "x""#,
            r#"at /Lifecycle/Rules: array_with: no element matches item 0 of the pattern, {"Status": "Enabled", ..}; the array has 0 element(s)"#
        ]
    );
    // Keys created under an exact pattern are exact too; `~1` escapes a slash.
    let exact = Matcher::exact(json!({})).with("/a~1b/c", 1);
    assert_eq!(exact, Matcher::exact(json!({ "a/b": { "c": 1 } })));
    assert_eq!(
        mismatch_lines(&exact, json!({ "a/b": { "c": 1, "d": 2 } })),
        ["at /a~1b/d: unexpected key, with value 2"]
    );
    assert_eq!(
        Matcher::any_value().with("", Matcher::absent()),
        Matcher::absent()
    );
}

#[test]
fn with_refuses_paths_it_cannot_follow() {
    let base = || Matcher::object_like(json!({ "List": [1], "Name": "x" }));
    let msg = panic_message(|| drop(base().with("/List/1", 2)));
    assert!(
        msg.contains("the array pattern at '/List' has 1 element(s), so '1' is not an index"),
        "{msg}"
    );
    let msg = panic_message(|| drop(base().with("/Name/Inner", 2)));
    assert!(
        msg.contains("the pattern at '/Name' is \"x\", which has nothing inside"),
        "{msg}"
    );
    let msg = panic_message(|| drop(base().with("Name", 2)));
    assert!(msg.contains("is not a JSON pointer"), "{msg}");
}

#[test]
fn display_shows_the_pattern() {
    let m = Matcher::object([
        ("a", Matcher::exact(json!({ "b": [1, "x"] }))),
        ("c", Matcher::array_with([Matcher::any_value()])),
        ("d", Matcher::not(Matcher::absent())),
        ("e", Matcher::serialized_json(json!({}))),
    ]);
    assert_eq!(
        m.to_string(),
        r#"{"a": {"b": [1, "x"]}, "c": array_with([any_value()]), "d": not(absent()), "e": serialized_json({..}), ..}"#
    );
    let long = Matcher::exact(json!({ "k": "v".repeat(400) }));
    let missing = mismatch_lines(&Matcher::object([("x", long)]), json!({}));
    assert!(missing[0].ends_with("…)"), "{missing:?}");
    assert!(missing[0].chars().count() < 200, "{missing:?}");
}

#[test]
fn check_and_match_failure_accessors() {
    let m = Matcher::from(json!({ "Status": "Enabled" }));
    assert!(m.check(&json!({ "Status": "Enabled" })).is_ok());
    let failure = m.check(&json!({ "Status": "Suspended" })).unwrap_err();
    assert_eq!(
        failure.summary(),
        r#"the value does not match {"Status": "Enabled", ..}"#
    );
    assert_eq!(
        failure.mismatches(),
        [Mismatch {
            path: "/Status".into(),
            message: r#"expected "Enabled", found "Suspended""#.into()
        }]
    );
    assert_eq!(failure.closest_id(), None);
    assert_eq!(
        failure.to_string(),
        "the value does not match {\"Status\": \"Enabled\", ..}\n1 mismatch:\n    at /Status: expected \"Enabled\", found \"Suspended\"\n"
    );
    let as_error: Box<dyn std::error::Error> = Box::new(failure);
    assert!(as_error.to_string().contains("at /Status"));
}
