//! Property tests: whatever template or props arrive, synth never panics, and every
//! finding names where (a construct path), what (a message) and how to fix it (a hint).
//!
//! Templates are arbitrary JSON shaped loosely like templates: real type names from the
//! registry (and a few that are not), property names from the type's schema facts mixed
//! with made-up ones, random values and intrinsics (well- and ill-formed) in every
//! section. Each goes through both doors: [`IncludedTemplate`] plus synth, as a template
//! from outside would, and the public [`validate`](stackwright::synth::validate::validate) over a [`StackArtifact`] made directly,
//! which sees shapes the include refuses. Construct props are drawn for [`Vpc`] and
//! [`PostgresDb`].
//!
//! The case counts are modest and the seed fixed, so the test runs the same cases in
//! seconds in a debug build; see [`config`] to search longer.

use indexmap::IndexMap;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde_json::{Map, Value as Json, json};
use stackwright::constructs::ConstructError;
use stackwright::constructs::database::{Deployment, PostgresDb, PostgresDbProps};
use stackwright::constructs::vpc::{Azs, SubnetKind, SubnetTier, Vpc, VpcProps};
use stackwright::core::facts::{Prop, Shape, Ty};
use stackwright::core::{
    App, Diagnostic, Env, IncludedTemplate, ResourceInfo, Stack, StackArtifact, registry,
};
use stackwright::synth::validate::validate;
use stackwright::synth::{SynthError, synthesize};

fn env() -> Env {
    Env::new("123456789012", "us-east-1")
}

/// `cases` cases from a fixed seed, so CI runs the same cases every time; set
/// `PROPTEST_CASES` and `PROPTEST_RNG_SEED` to search further. A failure is shrunk and
/// printed (not saved: its regression belongs in a named test).
fn config(cases: u32) -> ProptestConfig {
    let from_env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    ProptestConfig {
        cases: from_env("PROPTEST_CASES").map_or(cases, |n| n as u32),
        rng_seed: RngSeed::Fixed(from_env("PROPTEST_RNG_SEED").unwrap_or(12)),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every finding says where, what and how to fix it.
fn assert_well_formed(diagnostics: &[Diagnostic]) -> Result<(), TestCaseError> {
    for d in diagnostics {
        prop_assert!(!d.path.trim().is_empty(), "no path: {d}");
        prop_assert!(!d.message.trim().is_empty(), "no message: {d}");
        prop_assert!(
            d.hint.as_deref().is_some_and(|h| !h.trim().is_empty()),
            "no hint: {d}"
        );
    }
    Ok(())
}

/// Synth's findings for the app, or none when it synthesized.
fn synth_findings(app: &App) -> Vec<Diagnostic> {
    match synthesize(app) {
        Ok(s) => s.diagnostics.0,
        Err(SynthError::Invalid(d)) => d.0,
        Err(e) => panic!("synth failed without findings: {e}"),
    }
}

// ---- arbitrary templates -------------------------------------------------------------

/// Logical ids, parameter, condition and mapping names the generated references draw
/// from, so that some references resolve and some do not.
const NAMES: &[&str] = &[
    "A",
    "B",
    "Topic",
    "Queue",
    "Param",
    "IsProd",
    "Map",
    "AWS::Region",
    "AWS::NoValue",
    "AWS::AccountId",
    "",
    "A.B",
    "Fn::If",
    "Ref",
];

const TYPES_NOT_IN_REGISTRY: &[&str] = &[
    "Custom::Thing",
    "AWS::CloudFormation::CustomResource",
    "AWS::Nope::Nope",
    "AWS::Serverless::Function",
    "Alexa::ASK::Skil",
    "",
    "AWS::",
];

fn registry_types() -> &'static [&'static str] {
    static TYPES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    TYPES.get_or_init(|| registry::type_names().collect())
}

fn type_name() -> impl Strategy<Value = String> {
    let n = registry_types().len();
    prop_oneof![
        4 => (0..n).prop_map(|i| registry_types()[i].to_string()),
        1 => proptest::sample::select(TYPES_NOT_IN_REGISTRY).prop_map(str::to_string),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(NAMES).prop_map(str::to_string),
        1 => "[A-Za-z0-9:.${}]{0,12}",
    ]
}

fn scalar() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        (-1e12f64..1e12).prop_map(Json::from),
        proptest::sample::select(&[0.0, -0.0, 1e308, -1e308, f64::MIN_POSITIVE, 0.5][..])
            .prop_map(Json::from),
        "\\PC{0,16}".prop_map(Json::from),
        proptest::sample::select(
            &[
                "",
                " ",
                "true",
                "false",
                "10.0.0.0/16",
                "not/a/cidr",
                "${A}",
                "${A.B}",
                "${!Literal}",
                "${",
                "${}",
                "}",
                "arn:aws:s3:::bucket",
                "é🦀",
                "\u{0}",
                "-1",
                "1e400",
                "0x10",
                "NaN",
            ][..],
        )
        .prop_map(Json::from),
        // A construct-tree token marker, as JSON from elsewhere could carry.
        "[0-9]{1,3}".prop_map(|n| json!({"Fn::Stackwright::Token": n})),
    ]
}

/// A value: scalars, lists, objects and intrinsics of every kind, with arguments that may
/// or may not have the shape the intrinsic wants.
fn value() -> impl Strategy<Value = Json> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        let list = prop::collection::vec(inner.clone(), 0..5);
        prop_oneof![
            list.clone().prop_map(Json::Array),
            prop::collection::vec((name(), inner.clone()), 0..5)
                .prop_map(|kv| Json::Object(kv.into_iter().collect())),
            name().prop_map(|n| json!({"Ref": n})),
            inner.clone().prop_map(|v| json!({"Ref": v})),
            (name(), name()).prop_map(|(a, b)| json!({"Fn::GetAtt": [a, b]})),
            name().prop_map(|a| json!({"Fn::GetAtt": a})),
            inner.clone().prop_map(|v| json!({"Fn::GetAtt": v})),
            inner.clone().prop_map(|v| json!({"Fn::Sub": v})),
            (name(), inner.clone())
                .prop_map(|(t, v)| json!({"Fn::Sub": [format!("x${{{t}}}"), {"A": v}]})),
            list.clone().prop_map(|l| json!({"Fn::If": l})),
            (name(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| json!({"Fn::If": [c, a, b]})),
            list.clone().prop_map(|l| json!({"Fn::Join": l})),
            (inner.clone(), list.clone()).prop_map(|(s, l)| json!({"Fn::Join": [s, l]})),
            (any::<i64>(), list.clone()).prop_map(|(i, l)| json!({"Fn::Select": [i, l]})),
            inner.clone().prop_map(|v| json!({"Fn::Select": v})),
            list.clone().prop_map(|l| json!({"Fn::FindInMap": l})),
            (name(), name(), name()).prop_map(|(m, a, b)| json!({"Fn::FindInMap": [m, a, b]})),
            inner.clone().prop_map(|v| json!({"Fn::GetAZs": v})),
            inner.clone().prop_map(|v| json!({"Fn::ImportValue": v})),
            inner.clone().prop_map(|v| json!({"Fn::Base64": v})),
            list.clone().prop_map(|l| json!({"Fn::Split": l})),
            list.clone().prop_map(|l| json!({"Fn::Cidr": l})),
            list.clone().prop_map(|l| json!({"Fn::Equals": l})),
            list.clone().prop_map(|l| json!({"Fn::And": l})),
            list.clone().prop_map(|l| json!({"Fn::Or": l})),
            inner.clone().prop_map(|v| json!({"Fn::Not": v})),
            name().prop_map(|n| json!({"Condition": n})),
            inner.clone().prop_map(|v| json!({"Fn::Unknown": v})),
            (inner.clone(), inner).prop_map(|(a, b)| json!({"Ref": a, "Fn::GetAtt": b})),
        ]
    })
}

/// Properties for a type: values drawn from its schema facts (so the typed checks run
/// deep, with values around each rule's bounds), made-up names, or anything at all.
fn properties(type_name: &str) -> BoxedStrategy<Json> {
    match registry::facts_for(type_name) {
        Some(facts) => prop_oneof![
            8 => typed_object(facts.shape, 0),
            1 => prop::collection::vec((name(), value()), 0..4)
                .prop_map(|kv| Json::Object(kv.into_iter().collect())),
            1 => value(),
        ]
        .boxed(),
        None => prop_oneof![
            4 => prop::collection::vec((name(), value()), 0..6)
                .prop_map(|kv| Json::Object(kv.into_iter().collect())),
            1 => value(),
        ]
        .boxed(),
    }
}

/// An object of `shape`: a few of its properties (required ones or not) with typed
/// values, sometimes an unknown one beside them.
fn typed_object(shape: &'static Shape, depth: u32) -> BoxedStrategy<Json> {
    let props: Vec<&'static Prop> = shape.properties.iter().collect();
    if props.is_empty() {
        return prop::collection::vec((name(), value()), 0..3)
            .prop_map(|kv| Json::Object(kv.into_iter().collect()))
            .boxed();
    }
    let most = props.len().min(5);
    (
        proptest::sample::subsequence(props, 0..=most),
        prop::option::of((name(), scalar())),
    )
        .prop_flat_map(move |(chosen, extra)| {
            let values: Vec<BoxedStrategy<(String, Json)>> = chosen
                .into_iter()
                .map(|p| {
                    typed_value(p, depth + 1)
                        .prop_map(|v| (p.name.to_string(), v))
                        .boxed()
                })
                .collect();
            values.prop_map(move |kv| {
                let mut o: Map<String, Json> = kv.into_iter().collect();
                if let Some((k, v)) = extra.clone() {
                    o.insert(k, v);
                }
                Json::Object(o)
            })
        })
        .boxed()
}

/// A value for `prop`: mostly of its type, near its rules' bounds; now and then anything.
fn typed_value(prop: &'static Prop, depth: u32) -> BoxedStrategy<Json> {
    if depth > 3 {
        return scalar().boxed();
    }
    let r = prop.rules;
    let typed: BoxedStrategy<Json> = match &prop.ty {
        Ty::String => {
            let mut picks: Vec<String> = r.allowed.iter().map(|a| a.to_string()).collect();
            for n in [r.min_length, r.max_length].into_iter().flatten() {
                for len in [n.saturating_sub(1), n, n + 1] {
                    picks.push("a".repeat(len.min(5000) as usize));
                }
            }
            picks.push(String::new());
            prop_oneof![
                2 => proptest::sample::select(picks).prop_map(Json::from),
                1 => "\\PC{0,24}".prop_map(Json::from),
                1 => (-5i64..5).prop_map(Json::from),
            ]
            .boxed()
        }
        Ty::Integer | Ty::Number => {
            let mut picks: Vec<f64> = vec![0.0, -1.0, 1.5, 1e20];
            for n in [r.minimum, r.maximum].into_iter().flatten() {
                picks.extend([n - 1.0, n, n + 1.0, n + 0.5]);
            }
            prop_oneof![
                2 => proptest::sample::select(picks).prop_map(Json::from),
                1 => any::<i64>().prop_map(Json::from),
                1 => any::<i32>().prop_map(|n| Json::from(n.to_string())),
            ]
            .boxed()
        }
        Ty::Boolean => prop_oneof![
            any::<bool>().prop_map(Json::from),
            proptest::sample::select(&["true", "false", "True", "yes"][..]).prop_map(Json::from),
        ]
        .boxed(),
        Ty::List(item) => {
            let most = r.max_items.map_or(4, |m| (m as usize + 2).min(8));
            prop::collection::vec(typed_value(item, depth), 0..most)
                .prop_map(Json::Array)
                .boxed()
        }
        Ty::Map(item) => prop::collection::vec((name(), typed_value(item, depth)), 0..3)
            .prop_map(|kv| Json::Object(kv.into_iter().collect()))
            .boxed(),
        Ty::Object(shape) => typed_object(shape, depth),
        Ty::Json => value().boxed(),
    };
    prop_oneof![6 => typed, 1 => value()].boxed()
}

/// Resource, parameter, condition and mapping ids: mostly a small pool of valid ids (so
/// references between them resolve), sometimes anything.
const IDS: &[&str] = &["A", "B", "Topic", "Queue", "Param", "IsProd", "Map"];

fn element_id() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => proptest::sample::select(IDS).prop_map(str::to_string),
        1 => name(),
    ]
}

fn resource() -> impl Strategy<Value = Json> {
    let depends_on = prop_oneof![
        3 => element_id().prop_map(Json::from),
        2 => prop::collection::vec(element_id(), 0..3).prop_map(Json::from),
        1 => value(),
    ];
    let deletion = prop_oneof![
        4 => proptest::sample::select(
            &["Delete", "Retain", "Snapshot", "RetainExceptOnUpdate"][..]
        )
        .prop_map(Json::from),
        1 => scalar(),
    ];
    (type_name(), any::<u8>()).prop_flat_map(move |(t, attributes)| {
        (
            properties(&t),
            depends_on.clone(),
            element_id(),
            deletion.clone(),
            value(),
            Just(t),
        )
            .prop_map(
                move |(props, depends_on, condition, deletion, metadata, t)| {
                    let mut r = Map::new();
                    r.insert("Type".into(), json!(t));
                    r.insert("Properties".into(), props);
                    // Each attribute present in about one resource in four.
                    if attributes & 0b11 == 0 {
                        r.insert("DependsOn".into(), depends_on);
                    }
                    if attributes & 0b1100 == 0 {
                        r.insert("Condition".into(), json!(condition));
                    }
                    if attributes & 0b11_0000 == 0 {
                        r.insert("DeletionPolicy".into(), deletion);
                    }
                    if attributes & 0b1100_0000 == 0 {
                        r.insert("Metadata".into(), metadata);
                    }
                    Json::Object(r)
                },
            )
    })
}

/// A condition: mostly the functions conditions are made of, sometimes anything.
fn condition() -> impl Strategy<Value = Json> {
    prop_oneof![
        3 => (value(), value()).prop_map(|(a, b)| json!({"Fn::Equals": [a, b]})),
        1 => element_id().prop_map(|c| json!({"Fn::Not": [{"Condition": c}]})),
        1 => prop::collection::vec(element_id(), 0..4).prop_map(|cs| {
            json!({"Fn::And": cs.into_iter().map(|c| json!({"Condition": c})).collect::<Vec<_>>()})
        }),
        1 => value(),
    ]
}

/// A mapping: two levels of keys, mostly.
fn mapping() -> impl Strategy<Value = Json> {
    prop_oneof![
        4 => prop::collection::vec(
            (name(), prop::collection::vec((name(), value()), 0..3)),
            0..3
        )
        .prop_map(|top| {
            Json::Object(
                top.into_iter()
                    .map(|(k, second)| (k, Json::Object(second.into_iter().collect())))
                    .collect(),
            )
        }),
        1 => value(),
    ]
}

fn parameter() -> impl Strategy<Value = Json> {
    let types = proptest::sample::select(
        &[
            "String",
            "Number",
            "List<Number>",
            "CommaDelimitedList",
            "AWS::EC2::VPC::Id",
            "AWS::SSM::Parameter::Value<String>",
            "Nope",
        ][..],
    );
    let default = prop_oneof![4 => scalar(), 1 => value()];
    let allowed = prop_oneof![
        4 => prop::collection::vec(scalar(), 0..4).prop_map(Json::Array),
        1 => value(),
    ];
    (types, prop::option::of(default), prop::option::of(allowed)).prop_map(
        |(t, default, allowed)| {
            let mut p = Map::new();
            p.insert("Type".into(), json!(t));
            if let Some(d) = default {
                p.insert("Default".into(), d);
            }
            if let Some(a) = allowed {
                p.insert("AllowedValues".into(), a);
            }
            Json::Object(p)
        },
    )
}

fn output() -> impl Strategy<Value = Json> {
    (value(), prop::option::of(value()), prop::option::of(name())).prop_map(
        |(v, export, condition)| {
            let mut o = Map::new();
            o.insert("Value".into(), v);
            if let Some(e) = export {
                o.insert("Export".into(), json!({"Name": e}));
            }
            if let Some(c) = condition {
                o.insert("Condition".into(), json!(c));
            }
            Json::Object(o)
        },
    )
}

fn section<S: Strategy<Value = Json>>(entry: S, max: usize) -> impl Strategy<Value = Json> {
    prop_oneof![
        30 => prop::collection::vec((element_id(), entry), 0..max)
            .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        1 => scalar(),
    ]
}

fn template() -> impl Strategy<Value = Json> {
    (
        prop::option::of(section(parameter(), 3)),
        prop::option::of(section(mapping(), 3)),
        prop::option::of(section(condition(), 3)),
        section(resource(), 5),
        prop::option::of(section(output(), 3)),
        prop_oneof![20 => Just(None), 1 => scalar().prop_map(Some)],
    )
        .prop_map(
            |(parameters, mappings, conditions, resources, outputs, extra)| {
                let mut t = Map::new();
                let mut put = |k: &str, v: Option<Json>| {
                    if let Some(v) = v {
                        t.insert(k.to_string(), v);
                    }
                };
                put("Parameters", parameters);
                put("Mappings", mappings);
                put("Conditions", conditions);
                put("Resources", Some(resources));
                put("Outputs", outputs);
                put("Transform", extra);
                Json::Object(t)
            },
        )
}

/// The stack artifact synth would build for `template`, made directly: the validator's
/// own door, which the include's checks do not guard.
fn artifact(template: Json) -> StackArtifact {
    let resources: IndexMap<String, ResourceInfo> = template
        .get("Resources")
        .and_then(Json::as_object)
        .map(|rs| {
            rs.iter()
                .map(|(id, r)| {
                    let facts = r
                        .get("Type")
                        .and_then(Json::as_str)
                        .and_then(registry::facts_for);
                    (
                        id.clone(),
                        ResourceInfo {
                            path: format!("Arbitrary/{id}"),
                            facts,
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    StackArtifact {
        name: "Arbitrary".into(),
        env: env(),
        template,
        dependencies: Vec::new(),
        termination_protection: false,
        tags: Vec::new(),
        resources,
        external_exports: Vec::new(),
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_templates_never_panic_and_every_finding_is_complete(template in template()) {
        // Through the include, as a template from outside arrives.
        let app = App::new();
        let stack = Stack::new(&app, "Arbitrary", env()).unwrap();
        match IncludedTemplate::from_value(&stack, "Included", template.clone()) {
            Err(e) => prop_assert!(!e.to_string().trim().is_empty()),
            Ok(_) => assert_well_formed(&synth_findings(&app))?,
        }
        // Straight into the validator.
        assert_well_formed(&validate(&[artifact(template)]))?;
    }
}

// ---- arbitrary construct props -------------------------------------------------------

fn subnet_kind() -> impl Strategy<Value = SubnetKind> {
    prop_oneof![
        Just(SubnetKind::Public),
        Just(SubnetKind::PrivateWithEgress),
        Just(SubnetKind::Isolated),
    ]
}

fn cidr() -> impl Strategy<Value = String> {
    prop_oneof![
        (any::<[u8; 4]>(), 0u8..40)
            .prop_map(|(a, m)| format!("{}.{}.{}.{}/{m}", a[0], a[1], a[2], a[3])),
        "\\PC{0,20}",
        Just("10.0.0.0/16".to_string()),
        Just("10.0.0.0/16".to_string()),
    ]
}

fn vpc_props() -> impl Strategy<Value = VpcProps> {
    let tiers = prop::collection::vec(
        (
            "[A-Za-z0-9 ]{0,8}",
            subnet_kind(),
            any::<u8>(),
            any::<u32>(),
        ),
        0..4,
    )
    .prop_map(|tiers| {
        tiers
            .into_iter()
            .map(|(n, k, mask, first)| SubnetTier::blocks(&n, k, mask, first))
            .collect::<Vec<_>>()
    });
    (
        cidr(),
        prop_oneof![
            4 => (1u8..5).prop_map(Azs::Count),
            1 => any::<u8>().prop_map(Azs::Count),
            1 => prop::collection::vec("\\PC{0,12}", 0..4).prop_map(Azs::Named),
        ],
        prop_oneof![2 => Just(VpcProps::default_tiers()), 1 => tiers],
        any::<bool>(),
    )
        .prop_map(|(cidr, azs, tiers, endpoint)| VpcProps {
            cidr,
            azs,
            tiers,
            s3_gateway_endpoint: endpoint,
            ..VpcProps::production()
        })
}

fn db_props() -> impl Strategy<Value = PostgresDbProps> {
    let arbitrary = (
        prop_oneof![
            ("\\PC{0,16}", any::<u32>(), any::<u32>()).prop_map(|(class, storage, max)| {
                Deployment::Instance {
                    class,
                    availability: stackwright::constructs::database::Availability::MultiAz,
                    allocated_storage_gib: storage,
                    max_allocated_storage_gib: max,
                }
            }),
            ("\\PC{0,16}", any::<u32>())
                .prop_map(|(class, readers)| Deployment::Aurora { class, readers }),
        ],
        prop::option::of("\\PC{0,20}"),
        "\\PC{0,20}",
        any::<u32>(),
        prop::option::of("\\PC{0,24}"),
        prop::option::of(any::<u32>()),
        any::<u32>(),
        any::<u16>(),
        prop::collection::vec(("\\PC{0,10}", "\\PC{0,10}"), 0..3),
    )
        .prop_map(
            |(deployment, name, user, retention, window, insights, monitoring, port, params)| {
                PostgresDbProps {
                    deployment,
                    database_name: name,
                    master_username: user,
                    backup_retention_days: retention,
                    backup_window: window,
                    performance_insights_days: insights,
                    monitoring_interval_seconds: monitoring,
                    port,
                    parameters: params.into_iter().collect(),
                    ..PostgresDbProps::production()
                }
            },
        );
    prop_oneof![1 => Just(PostgresDbProps::production()), 2 => arbitrary]
}

fn assert_complete_refusal(e: &ConstructError) -> Result<(), TestCaseError> {
    if let ConstructError::InvalidProps { path, problems } = e {
        prop_assert!(!path.trim().is_empty());
        prop_assert!(!problems.is_empty());
        for p in problems {
            prop_assert!(!p.prop.trim().is_empty(), "no prop: {p}");
            prop_assert!(!p.message.trim().is_empty(), "no message: {p}");
            prop_assert!(!p.fix.trim().is_empty(), "no fix: {p}");
        }
    }
    prop_assert!(!e.to_string().trim().is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn arbitrary_construct_props_never_panic_and_every_problem_is_complete(
        vpc in vpc_props(),
        db in db_props(),
    ) {
        let app = App::new();
        let stack = Stack::new(&app, "Props", env()).unwrap();
        match Vpc::new(&stack, "Network", vpc) {
            Err(e) => assert_complete_refusal(&e)?,
            Ok(network) => {
                if let Err(e) = PostgresDb::new(&stack, "Database", &network, db) {
                    assert_complete_refusal(&e)?;
                }
                assert_well_formed(&synth_findings(&app))?;
            }
        }
    }
}

/// Found by the property test: synth's findings of a few rules had no hint (here a
/// condition that uses `Fn::GetAtt`, shrunk from an arbitrary template).
#[test]
fn a_condition_that_uses_a_resource_comes_with_a_fix() {
    let template = json!({
        "Conditions": {"A": {"Fn::GetAtt": ["A", "A"]}},
        "Resources": {}
    });
    let findings = validate(&[artifact(template)]);
    assert!(
        findings.iter().any(|d| d.code == "unknown-reference"),
        "{findings:?}"
    );
    for d in &findings {
        assert!(d.hint.as_deref().is_some_and(|h| !h.is_empty()), "{d}");
    }
}
