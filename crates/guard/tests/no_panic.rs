//! No input panics the engine: arbitrary JSON documents (shaped like templates, so rules
//! get past their `Type` filters) under every vendored rule, and arbitrary rule text in
//! the parser. An input is either evaluated, an `EvalError` or a `ParseError`.

use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::{Map, Value};
use stackwright_guard::{Document, Pack, RuleFile, RuleSet};

const KEYS: &[&str] = &[
    "Properties",
    "Type",
    "Statement",
    "Effect",
    "Action",
    "Resource",
    "Principal",
    "Condition",
    "Engine",
    "Port",
    "KmsKeyId",
    "RetentionInDays",
    "Fn::GetAtt",
    "Ref",
    "Fn::Join",
    "Enabled",
    "resourceProperties",
    "Key",
    "Value",
    "Metadata",
    "guard",
    "SuppressedRules",
    "x",
];
const TYPES: &[&str] = &[
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::Logs::LogGroup",
    "AWS::KMS::Key",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::EC2::SecurityGroup",
    "AWS::Lambda::Function",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::EC2::LaunchTemplate",
    "AWS::IAM::Role",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        prop::sample::select(KEYS).prop_map(Value::from),
        prop::sample::select(TYPES).prop_map(Value::from),
        "[a-z*:/.-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..5).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                )
            }),
        ]
    })
}

fn template() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(TYPES), json()), 0..4).prop_map(|resources| {
        let mut map = Map::new();
        for (i, (kind, props)) in resources.into_iter().enumerate() {
            map.insert(
                format!("R{i}"),
                serde_json::json!({ "Type": kind, "Properties": props }),
            );
        }
        serde_json::json!({ "Resources": map })
    })
}

/// Parsed once: parsing all three packs costs more than evaluating them.
static PACKS: LazyLock<Vec<RuleSet>> =
    LazyLock::new(|| Pack::ALL.iter().map(|p| p.rule_set().unwrap()).collect());

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_templates_never_panic(doc in prop_oneof![template(), json()]) {
        let document = Document::new(&doc);
        for set in PACKS.iter() {
            let report = set.evaluate_document(&document);
            for result in &report.rules {
                // Every failure names its resource consistently with its path.
                for failure in &result.failures {
                    if let Some(id) = &failure.resource {
                        let prefix = format!("/Resources/{}", id);
                        prop_assert!(failure.path.starts_with(&prefix));
                    }
                }
            }
        }
    }

    #[test]
    fn arbitrary_rule_text_never_panics(text in "(rule|let|when|some|this|%x|[a-z]{1,4}|[ \n{}()\\[\\],.=<>!|'\"/*#%]|==|<<|>>|\\.\\*|\\[\\*\\]|[0-9]){0,40}") {
        if let Ok(file) = RuleFile::parse("fuzz.guard", &text) {
            let _ = file.evaluate(&Document::new(&serde_json::json!({ "x": [1, { "y": "z" }] })));
        }
    }
}
