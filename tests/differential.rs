//! Differential test: stackwright's synth against cfn-lint 1.58.0 over single mutations
//! of the examples' templates.
//!
//! Every resource the three examples synthesize becomes a small base template (see
//! `support/mutations.rs`), and each base a handful of mutations drawn from the schema
//! facts: a value outside its enum, a number out of range, a string that breaks its
//! pattern or length, a required property removed, a min/max pair swapped, an unknown
//! property, a wrong JSON type, too many or too few list items, a `Ref`, `Fn::GetAtt`
//! attribute, `Fn::Sub` variable, `DependsOn` or `Condition` naming nothing, an unknown
//! resource type. Stackwright sees each template as it would see one that arrives from
//! outside: included with [`IncludedTemplate`] into a fresh stack of the same name, and
//! synthesized. cfn-lint lints all the files in one process.
//!
//! Asserted: every base is clean on both sides; wherever cfn-lint reports an error on a
//! mutation, stackwright does too, except the mutations listed in
//! `tests/differential/known_misses.txt`, and every entry there still misses (the list can
//! only shrink). `DIFFERENTIAL_UPDATE=1` rewrites the list, keeping the categories already
//! written; a new entry is marked `uncategorized`, which fails until a person writes why.
//!
//! The reverse (stackwright rejects, cfn-lint says nothing) is printed, not asserted: see
//! `tests/differential/README.md` for which side is right in those cases.
//!
//! Run with `--nocapture` to see the summary.

#[path = "../examples/fargate_aurora.rs"]
mod fargate_aurora;
#[path = "../examples/production.rs"]
mod production;
#[path = "../examples/serverless.rs"]
mod serverless;

#[path = "support/mutations.rs"]
mod mutations;
#[path = "support/pinned_tool.rs"]
mod pinned_tool;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value as Json;
use stackwright::core::{App, IncludedTemplate, Stack, StackArtifact};
use stackwright::synth::{SynthError, synthesize};

use mutations::Base;

const KNOWN_MISSES: &str = "tests/differential/known_misses.txt";
const UNCATEGORIZED: &str = "uncategorized";

/// An example's `app` function.
type Example = fn(&App) -> Result<(), stackwright::constructs::ConstructError>;

/// Every stack the three examples synthesize, in their order.
fn example_stacks() -> Vec<StackArtifact> {
    let builders: [Example; 3] = [production::app, fargate_aurora::app, serverless::app];
    builders
        .iter()
        .flat_map(|build| {
            let app = App::new();
            build(&app).expect("the example builds");
            synthesize(&app)
                .expect("the example synthesizes without errors")
                .stacks
        })
        .collect()
}

/// Stackwright's errors on `template`, included into a fresh stack named like the one it
/// came from and synthesized: the include's own refusal, or synth's error findings.
fn stackwright_errors(base: &Base, template: &Json) -> Vec<String> {
    let app = App::new();
    let stack = Stack::new(&app, &base.stack, base.env.clone()).expect("a stack");
    // Cut out of its app, the template imports from stacks that are not in this one.
    for name in imported_names(template) {
        stack.uses_external_export(name);
    }
    if let Err(e) = IncludedTemplate::from_value(&stack, "Included", template.clone()) {
        return vec![format!("include: {e}")];
    }
    match synthesize(&app) {
        Ok(_) => Vec::new(),
        Err(SynthError::Invalid(d)) => d.errors().map(ToString::to_string).collect(),
        Err(e) => panic!("synth failed without findings: {e}"),
    }
}

/// The literal names `template` imports with `Fn::ImportValue`.
fn imported_names(template: &Json) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![template];
    while let Some(v) = stack.pop() {
        match v {
            Json::Object(o) => match o.get("Fn::ImportValue") {
                Some(Json::String(name)) if o.len() == 1 => out.push(name.clone()),
                _ => stack.extend(o.values()),
            },
            Json::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// One cfn-lint error finding.
#[derive(Debug, Clone)]
struct LintError {
    rule: String,
    message: String,
}

/// cfn-lint's error findings for each of `files`, from one process.
fn lint(linter: &Path, files: &[PathBuf]) -> HashMap<PathBuf, Vec<LintError>> {
    let out = Command::new(linter)
        .args(["--format", "json", "--ignore-checks", "W", "I", "--"])
        .args(files)
        .output()
        .expect("cfn-lint runs");
    let findings: Json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "cfn-lint did not print JSON ({e}); exit {:?}, stderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut by_file: HashMap<PathBuf, Vec<LintError>> = HashMap::new();
    for f in findings.as_array().expect("a list of findings") {
        if f["Level"] != "Error" {
            continue;
        }
        let file = PathBuf::from(f["Filename"].as_str().expect("Filename"));
        by_file.entry(file).or_default().push(LintError {
            rule: f["Rule"]["Id"].as_str().unwrap_or("?").to_string(),
            message: f["Message"].as_str().unwrap_or_default().to_string(),
        });
    }
    by_file
}

/// An entry of the known-misses file: the cfn-lint rules and why stackwright misses it.
struct KnownMiss {
    rules: String,
    category: String,
}

fn read_known_misses(path: &Path) -> BTreeMap<String, KnownMiss> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let id = parts.next().unwrap_or_default().to_string();
            let rules = parts.next().unwrap_or_default().to_string();
            let category = parts.next().unwrap_or_default().trim().to_string();
            (id, KnownMiss { rules, category })
        })
        .collect()
}

fn write_known_misses(path: &Path, misses: &BTreeMap<String, KnownMiss>) {
    let mut text = String::from(
        "# Mutations cfn-lint 1.58.0 rejects and stackwright's synth accepts, written by\n\
         # tests/differential.rs (DIFFERENTIAL_UPDATE=1). One per line:\n\
         # <mutation id> <cfn-lint rule ids> <why stackwright misses it>\n\
         # The test fails on a miss not listed here and on an entry that no longer misses.\n",
    );
    for (id, m) in misses {
        text.push_str(&format!("{id} {} {}\n", m.rules, m.category));
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn rules_of(errors: &[LintError]) -> String {
    let mut rules: Vec<&str> = errors.iter().map(|e| e.rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    rules.join(",")
}

#[derive(Default)]
struct Tally {
    tried: usize,
    lint: usize,
    stackwright: usize,
    both: usize,
}

#[test]
fn synth_rejects_what_cfn_lint_rejects_in_single_mutations() {
    let Some(linter) = pinned_tool::pinned_tool("cfn-lint", "cfn-lint", "CFN_LINT") else {
        return;
    };
    let stacks = example_stacks();
    let (bases, mutations) = mutations::enumerate(&stacks);
    assert!(
        (300..=800).contains(&mutations.len()),
        "{} mutations: tune the enumeration to a few hundred",
        mutations.len()
    );

    // Files for cfn-lint: one per base and per mutation, in `DIFFERENTIAL_DIR` when it is
    // set (to look at them afterwards), else in a temporary directory.
    let temp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("DIFFERENTIAL_DIR").map_or(temp.path().to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: String, template: &Json| {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_string_pretty(template).unwrap()).unwrap();
        path
    };
    let base_files: Vec<PathBuf> = bases
        .iter()
        .enumerate()
        .map(|(i, b)| write(format!("base-{i:04}.json"), &b.template))
        .collect();
    let mutation_files: Vec<PathBuf> = mutations
        .iter()
        .enumerate()
        .map(|(i, m)| write(format!("mutation-{i:04}.json"), &m.template))
        .collect();

    let started = Instant::now();
    let all: Vec<PathBuf> = base_files.iter().chain(&mutation_files).cloned().collect();
    let linted = lint(&linter, &all);
    let lint_time = started.elapsed();

    let started = Instant::now();
    let base_sw: Vec<Vec<String>> = bases
        .iter()
        .map(|b| stackwright_errors(b, &b.template))
        .collect();
    let mutation_sw: Vec<Vec<String>> = mutations
        .iter()
        .map(|m| stackwright_errors(&bases[m.base], &m.template))
        .collect();
    let stackwright_time = started.elapsed();

    // Every base must be clean on both sides, or its mutations say nothing.
    let mut unclean = Vec::new();
    for (i, b) in bases.iter().enumerate() {
        if let Some(errors) = linted.get(&base_files[i]) {
            unclean.push(format!("{}: cfn-lint {errors:?}", b.id));
        }
        if !base_sw[i].is_empty() {
            unclean.push(format!("{}: stackwright {:?}", b.id, base_sw[i]));
        }
    }
    assert!(unclean.is_empty(), "unclean bases:\n{}", unclean.join("\n"));

    let empty = Vec::new();
    let mut total = Tally::default();
    let mut by_kind: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut misses: BTreeMap<String, KnownMiss> = BTreeMap::new();
    let mut miss_details: BTreeMap<String, String> = BTreeMap::new();
    let mut reverse = Vec::new();
    for (i, m) in mutations.iter().enumerate() {
        let lint_errors = linted.get(&mutation_files[i]).unwrap_or(&empty);
        let sw_errors = &mutation_sw[i];
        let (l, s) = (!lint_errors.is_empty(), !sw_errors.is_empty());
        for t in [&mut total, by_kind.entry(m.kind).or_default()] {
            t.tried += 1;
            t.lint += usize::from(l);
            t.stackwright += usize::from(s);
            t.both += usize::from(l && s);
        }
        if l && !s {
            misses.insert(
                m.id.clone(),
                KnownMiss {
                    rules: rules_of(lint_errors),
                    category: UNCATEGORIZED.into(),
                },
            );
            miss_details.insert(
                m.id.clone(),
                lint_errors
                    .iter()
                    .map(|e| format!("{}: {}", e.rule, e.message))
                    .collect::<Vec<_>>()
                    .join(" | "),
            );
        }
        if s && !l {
            reverse.push(format!("{}: {}", m.id, sw_errors.join(" | ")));
        }
    }

    // A linter that checked nothing (another version, a config that turns rules off)
    // would make every comparison pass: most mutations are errors by construction.
    assert!(
        total.lint * 2 > total.tried,
        "cfn-lint reported errors on only {} of {} mutations: is it checking anything?",
        total.lint,
        total.tried
    );

    let known_path = pinned_tool::workspace_root().join(KNOWN_MISSES);
    let known = read_known_misses(&known_path);
    let mut by_category: BTreeMap<String, usize> = BTreeMap::new();
    for (id, m) in &mut misses {
        if let Some(k) = known.get(id) {
            m.category = k.category.clone();
        }
        *by_category.entry(m.category.clone()).or_default() += 1;
    }

    let mut summary = format!(
        "differential against cfn-lint 1.58.0: {} bases, {} mutations; cfn-lint took {:.1?} \
         (one process), stackwright {:.1?}\n\
         {:<26} {:>6} {:>9} {:>11} {:>6} {:>6} {:>8}\n",
        bases.len(),
        mutations.len(),
        lint_time,
        stackwright_time,
        "kind",
        "tried",
        "cfn-lint",
        "stackwright",
        "both",
        "misses",
        "reverse",
    );
    let row = |name: &str, t: &Tally| {
        format!(
            "{name:<26} {:>6} {:>9} {:>11} {:>6} {:>6} {:>8}\n",
            t.tried,
            t.lint,
            t.stackwright,
            t.both,
            t.lint - t.both,
            t.stackwright - t.both
        )
    };
    for (kind, t) in &by_kind {
        summary.push_str(&row(kind, t));
    }
    summary.push_str(&row("all", &total));
    summary.push_str("misses by category:\n");
    for (category, n) in &by_category {
        summary.push_str(&format!("  {n:>4}  {category}\n"));
    }
    summary.push_str(&format!(
        "stackwright errors where cfn-lint reports none ({}):\n",
        reverse.len()
    ));
    for r in &reverse {
        summary.push_str(&format!("  {r}\n"));
    }
    eprintln!("{summary}");

    if std::env::var_os("DIFFERENTIAL_UPDATE").is_some() {
        write_known_misses(&known_path, &misses);
        eprintln!("wrote {}", known_path.display());
    }

    let new: Vec<String> = misses
        .keys()
        .filter(|id| !known.contains_key(*id))
        .map(|id| format!("  {id} {}: {}", misses[id].rules, miss_details[id]))
        .collect();
    let fixed: Vec<&String> = known
        .keys()
        .filter(|id| !misses.contains_key(*id))
        .collect();
    let changed_rules: Vec<String> = misses
        .iter()
        .filter_map(|(id, m)| {
            let k = known.get(id)?;
            (k.rules != m.rules).then(|| format!("  {id}: listed {}, now {}", k.rules, m.rules))
        })
        .collect();
    let uncategorized: Vec<&String> = misses
        .iter()
        .filter(|(_, m)| m.category == UNCATEGORIZED || m.category.is_empty())
        .map(|(id, _)| id)
        .collect();
    assert!(
        new.is_empty() && fixed.is_empty() && changed_rules.is_empty() && uncategorized.is_empty(),
        "{summary}\n\
         misses not in {KNOWN_MISSES} ({}):\n{}\n\
         listed but no longer missed, remove them ({}): {fixed:?}\n\
         listed with other cfn-lint rules ({}):\n{}\n\
         listed without a reason ({}): {uncategorized:?}",
        new.len(),
        new.join("\n"),
        fixed.len(),
        changed_rules.len(),
        changed_rules.join("\n"),
        uncategorized.len(),
    );
}

/// The differential test relies on included resources being held to the schema: a
/// mutation stackwright misses must be a gap of the rules, not of the include.
#[test]
fn included_resources_are_validated_against_their_schema() {
    let app = App::new();
    let stack = Stack::new(
        &app,
        "Included",
        stackwright::core::Env::new("123456789012", "us-east-1"),
    )
    .unwrap();
    let template = serde_json::json!({
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 99_999}}
        }
    });
    IncludedTemplate::from_value(&stack, "Included", template).unwrap();
    let Err(SynthError::Invalid(d)) = synthesize(&app) else {
        panic!("an out-of-range DelaySeconds synthesized");
    };
    assert!(
        d.errors().any(|e| e.path.contains("Queue")),
        "no finding on the queue: {d}"
    );
}
