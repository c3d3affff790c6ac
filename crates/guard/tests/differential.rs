//! The engine against cfn-guard 3.1.1: for every vendored rule file and every fixture
//! document, the same (rule, status, failing logical ids) as the binary's recorded output
//! (`tests/fixtures/expected/<pack>.json`, written by `record_expected.py`).
//!
//! The documents are the examples' synthesized templates (`fixtures/source/`) and the
//! mutations `fixtures/mutate.py` makes of them (`fixtures/templates/`), so rules fail and
//! pass both. A disagreement the engine cannot remove is listed, with its reason, in
//! `fixtures/known_differences.txt`; the test fails on any other disagreement, and on a
//! listed one that no longer occurs.
//!
//! The recordings name, per failing rule, the resources the failed checks' values are in,
//! and `null` for a check on no value in a resource (`resources`); the engine's
//! `Failure::path` is compared with that. `Failure::resource` goes further: a check on no
//! value is reported on the resource the checks around it were made on. The second test
//! holds that to the resources any path of cfn-guard's failure record is under (`named`),
//! which is how `.ci/guard_check.py` decides whose `Metadata.guard` must record the rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use stackwright_guard::{Document, Pack, RuleSet, Status};

type Resources = BTreeSet<Option<String>>;

/// The logical id of the resource a failed check's value is in, read from its path as
/// `record_expected.py` reads cfn-guard's (`^/Resources/([^/]+)`).
fn checked_resource(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/Resources/")?;
    let id = rest.split('/').next().unwrap_or(rest);
    (!id.is_empty()).then(|| id.to_string())
}

#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    status: String,
    resources: Resources,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn documents() -> Vec<(String, serde_json::Value)> {
    let mut docs = Vec::new();
    for folder in ["source", "templates"] {
        let mut names: Vec<_> = std::fs::read_dir(fixtures().join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        for path in names {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            docs.push((name, serde_json::from_str(&text).unwrap()));
        }
    }
    docs
}

/// `pack document rule` keys of the listed differences.
fn known_differences() -> BTreeMap<(String, String, String), String> {
    let text = std::fs::read_to_string(fixtures().join("known_differences.txt")).unwrap();
    let mut known = BTreeMap::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let fields: Vec<&str> = line.splitn(4, char::is_whitespace).collect();
        assert_eq!(
            fields.len(),
            4,
            "known_differences.txt: `pack document rule reason`, got `{line}`"
        );
        known.insert(
            (fields[0].into(), fields[1].into(), fields[2].into()),
            fields[3].trim().into(),
        );
    }
    known
}

fn expected(pack: Pack) -> serde_json::Value {
    let path = fixtures()
        .join("expected")
        .join(format!("{}.json", pack.name()));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// This engine's outcomes for one document: per rule name, and the files it abandoned.
/// The rules are evaluated as synth evaluates them ([`Pack::rules`]): each file parsed
/// when first needed, and skipped where the document does not open its gate.
fn ours(rules: &RuleSet, document: &Document) -> (BTreeMap<String, Outcome>, BTreeSet<String>) {
    let report = rules.evaluate_document(document);
    let mut outcomes = BTreeMap::new();
    for r in report.rules {
        let resources = if r.status == Status::Fail {
            r.failures
                .iter()
                .map(|f| checked_resource(&f.path))
                .collect()
        } else {
            Resources::new()
        };
        outcomes.insert(
            r.name,
            Outcome {
                status: r.status.as_str().into(),
                resources,
            },
        );
    }
    let errors = report.errors.into_iter().map(|e| e.file).collect();
    (outcomes, errors)
}

fn theirs(entry: &serde_json::Value) -> (BTreeMap<String, Outcome>, BTreeSet<String>) {
    let mut outcomes = BTreeMap::new();
    for (name, outcome) in entry["rules"].as_object().unwrap() {
        let resources = outcome
            .get("resources")
            .and_then(|r| r.as_array())
            .map(|ids| ids.iter().map(|id| id.as_str().map(String::from)).collect())
            .unwrap_or_default();
        outcomes.insert(
            name.clone(),
            Outcome {
                status: outcome["status"].as_str().unwrap().into(),
                resources,
            },
        );
    }
    let errors = entry["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    (outcomes, errors)
}

#[test]
fn every_rule_agrees_with_cfn_guard_3_1_1() {
    let docs = documents();
    let known = known_differences();
    let mut seen_known = BTreeSet::new();
    let mut unexpected = Vec::new();
    let mut summary = Vec::new();
    for pack in Pack::ALL {
        let rules = pack.rules();
        let recorded = expected(pack);
        let (mut compared, mut agreed, mut failing, mut passing) = (0, 0, 0, 0);
        for (doc_name, template) in &docs {
            let entry = &recorded[doc_name.as_str()];
            assert!(
                entry.is_object(),
                "{}: no recording for {doc_name}; run record_expected.py",
                pack.name()
            );
            let (our, our_errors) = ours(&rules, &Document::new(template));
            let (their, their_errors) = theirs(entry);
            for file in our_errors.symmetric_difference(&their_errors) {
                let key = (pack.name().to_string(), doc_name.clone(), file.clone());
                if known.contains_key(&key) {
                    seen_known.insert(key);
                } else {
                    unexpected.push(format!(
                        "{} {doc_name} {file}: evaluation error in {}",
                        pack.name(),
                        if our_errors.contains(file) {
                            "ours only"
                        } else {
                            "cfn-guard's only"
                        }
                    ));
                }
            }
            let names: BTreeSet<&String> = our.keys().chain(their.keys()).collect();
            for name in names {
                compared += 1;
                let (a, b) = (our.get(name), their.get(name));
                if a == b {
                    agreed += 1;
                    match a.map(|o| o.status.as_str()) {
                        Some("FAIL") => failing += 1,
                        Some("PASS") => passing += 1,
                        _ => {}
                    }
                    continue;
                }
                let key = (pack.name().to_string(), doc_name.clone(), name.clone());
                if known.contains_key(&key) {
                    seen_known.insert(key);
                    continue;
                }
                unexpected.push(format!(
                    "{} {doc_name} {name}: ours {a:?}, cfn-guard {b:?}",
                    pack.name()
                ));
            }
        }
        summary.push(format!(
            "{}: {} files x {} documents: {compared} (rule, document) results compared, {agreed} agree \
             ({failing} FAIL, {passing} PASS, the rest SKIP)",
            pack.name(),
            rules.len(),
            docs.len()
        ));
    }
    println!("{}", summary.join("\n"));
    let stale: Vec<_> = known.keys().filter(|k| !seen_known.contains(*k)).collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "{} disagreements not in known_differences.txt:\n{}\nlisted but agreeing now: {stale:?}",
        unexpected.len(),
        unexpected
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Per failing rule, the resources the engine attributes its failures to (evaluated as
/// synth evaluates them, through [`Pack::rules`]).
fn attributed(rules: &RuleSet, document: &Document) -> BTreeMap<String, Resources> {
    let mut found = BTreeMap::new();
    let report = rules.evaluate_document(document);
    for r in report
        .rules
        .into_iter()
        .filter(|r| r.status == Status::Fail)
    {
        let resources = r.failures.iter().map(|f| f.resource.clone()).collect();
        found.insert(r.name, resources);
    }
    found
}

/// The resources failures are attributed to are exactly the ones cfn-guard's failure
/// record names, and a failure is on no resource only when the record names none (a hook
/// document, a template without the resource type): so synth asks for an exception on
/// the resources CI's cfn-guard check looks at. Where cfn-guard has checks both on
/// resources and on no value (an empty selection inside a parameterized rule), the engine
/// places the latter on the resource the rule was checking.
#[test]
fn failures_are_attributed_to_the_resources_cfn_guard_names() {
    let docs = documents();
    let known = known_differences();
    let mut wrong = Vec::new();
    let mut summary = Vec::new();
    for pack in Pack::ALL {
        let evaluated = pack.rules();
        let recorded = expected(pack);
        let (mut failing, mut on_none, mut placed) = (0, 0, 0);
        for (doc_name, template) in &docs {
            let rules = &recorded[doc_name.as_str()]["rules"];
            for (name, ours) in attributed(&evaluated, &Document::new(template)) {
                let key = (pack.name().to_string(), doc_name.clone(), name.clone());
                // A status that differs is the other test's to report.
                let theirs = &rules[name.as_str()];
                if theirs["status"] != "FAIL" || known.contains_key(&key) {
                    continue;
                }
                failing += 1;
                let named: Resources = theirs["named"]
                    .as_array()
                    .unwrap_or_else(|| {
                        panic!("{doc_name} {name}: no `named`; run record_expected.py")
                    })
                    .iter()
                    .map(|id| id.as_str().map(String::from))
                    .collect();
                let expected = if named.is_empty() {
                    Resources::from([None])
                } else {
                    named
                };
                if ours != expected {
                    wrong.push(format!(
                        "{} {doc_name} {name}: attributed to {ours:?}, cfn-guard's record names {expected:?}",
                        pack.name()
                    ));
                }
                let checked_on_none = theirs["resources"]
                    .as_array()
                    .is_some_and(|r| r.contains(&serde_json::Value::Null));
                if expected.contains(&None) {
                    on_none += 1;
                } else if checked_on_none {
                    placed += 1;
                }
            }
        }
        summary.push(format!(
            "{}: {failing} failing (rule, document) results attributed as cfn-guard names them; \
             {placed} with checks on no value placed on the rule's resources, {on_none} on no resource",
            pack.name()
        ));
    }
    println!("{}", summary.join("\n"));
    assert!(
        wrong.is_empty(),
        "{} failing rules attributed otherwise:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
