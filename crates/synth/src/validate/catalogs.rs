//! Values a region does not offer: instance types, node types and DB instance classes.
//!
//! cfn-lint keeps, per region, the values AWS's pricing data lists for some properties
//! (E3628 `AWS::EC2::Instance` `InstanceType`, E3025 `AWS::RDS::DBInstance`
//! `DBInstanceClass` per `Engine` and `LicenseModel`, ...). `crates/codegen/
//! vendor_extensions.py` vendors them into `data/catalogs.txt`, each catalog's distinct
//! values once (sorted) and each distinct region list once (a bitmap over the values);
//! its header describes the format. A literal string a stack's region does not list is
//! an error. Like cfn-lint, the comparison is case-sensitive (its `enum` keyword compares
//! strings exactly); a value an intrinsic function decides, and a region the catalog does
//! not list (newer than the data), are skipped.
//!
//! Lambda runtimes follow cfn-lint's lifecycle catalog (`data/lambda-runtimes.txt`, from
//! `LmbdRuntimeLifecycle.json`): a runtime Lambda no longer creates functions with is an
//! error (cfn-lint E2531, and E2533 once updates are blocked too), a deprecated one a
//! warning (W2531), both against today's date, as cfn-lint does.
//!
//! Cost: the index (the `T` lines, 2 KB at the top) is parsed once per process, on the
//! first resource. A catalog is found, and its values split, only when a template sets a
//! property it covers; nothing else of the 170 KB is read.

use std::sync::OnceLock;

use serde_json::{Map, Value as Json};
use stackwright_core::Diagnostic;

use super::{closest, is_intrinsic};

const DATA: &str = include_str!("../../data/catalogs.txt");
const RUNTIMES: &str = include_str!("../../data/lambda-runtimes.txt");
const DEPRECATED_VERSIONS: &str = include_str!("../../data/rds-deprecated-versions.txt");

/// Where a rule applies a catalog: a `T` line.
struct Target {
    rule: &'static str,
    type_name: &'static str,
    /// `/`-separated property names from `Properties`, `*` for each item of a list.
    path: &'static str,
    catalog: usize,
    /// Sibling properties cfn-lint lowercases before comparing (`Engine:lower`), or `-`.
    fold: &'static str,
}

/// One catalog: a `C` block.
struct Catalog {
    values: Vec<&'static str>,
    /// Bitmaps over `values`, hex, digit k holding values 4k..4k+3, lowest bit first.
    sets: Vec<&'static [u8]>,
    /// `W` lines: (conditions on siblings, `region:set` pairs).
    cases: Vec<(&'static str, &'static str)>,
}

fn targets() -> &'static [Target] {
    static TARGETS: OnceLock<Vec<Target>> = OnceLock::new();
    TARGETS.get_or_init(|| {
        DATA.lines()
            .filter(|l| !l.starts_with('#'))
            .take_while(|l| l.starts_with("T "))
            .filter_map(|l| {
                let mut f = l[2..].split(' ');
                Some(Target {
                    rule: f.next()?,
                    type_name: f.next()?,
                    path: f.next()?,
                    catalog: f.next()?.parse().ok()?,
                    fold: f.next()?,
                })
            })
            .collect()
    })
}

fn catalog(n: usize) -> Option<&'static Catalog> {
    static CATALOGS: OnceLock<Vec<OnceLock<Option<Catalog>>>> = OnceLock::new();
    let count = targets().iter().map(|t| t.catalog + 1).max().unwrap_or(0);
    let slot = CATALOGS
        .get_or_init(|| (0..count).map(|_| OnceLock::new()).collect())
        .get(n)?;
    slot.get_or_init(|| parse_catalog(n)).as_ref()
}

fn parse_catalog(n: usize) -> Option<Catalog> {
    let start = DATA.find(&format!("\nC {n} "))? + 1;
    let mut lines = DATA[start..].lines().skip(1);
    let values = lines.next()?.strip_prefix("V ")?.split(' ').collect();
    let (mut sets, mut cases) = (Vec::new(), Vec::new());
    for line in lines.take_while(|l| !l.starts_with("C ")) {
        if let Some(s) = line.strip_prefix("S ") {
            sets.push(s.as_bytes());
        } else if let Some(w) = line.strip_prefix("W ") {
            let (conds, pairs) = w.split_once(' ')?;
            cases.push((conds, pairs));
        }
    }
    Some(Catalog {
        values,
        sets,
        cases,
    })
}

impl Catalog {
    /// The list of `region` in the case `pairs`, if the region is listed.
    fn set(&self, pairs: &str, region: &str) -> Option<&'static [u8]> {
        let id = pairs.split(' ').find_map(|p| {
            let (r, id) = p.split_once(':')?;
            (r == region).then_some(id)
        })?;
        self.sets.get(id.parse::<usize>().ok()?).copied()
    }

    fn has(set: &[u8], i: usize) -> bool {
        let digit = set.get(i / 4).and_then(|d| (*d as char).to_digit(16));
        digit.is_some_and(|d| d & (1 << (i % 4)) != 0)
    }

    fn allowed(&self, set: &[u8]) -> Vec<&'static str> {
        (0..self.values.len())
            .filter(|i| Self::has(set, *i))
            .map(|i| self.values[i])
            .collect()
    }
}

/// Do the siblings of the value meet a case's conditions (`Name=value`, `Name!` for
/// absent, `&` between, `-` for none)?
fn meets(conds: &str, siblings: &Map<String, Json>, fold: &str) -> bool {
    conds == "-"
        || conds.split('&').all(|c| {
            if let Some(name) = c.strip_suffix('!') {
                return !siblings.contains_key(name);
            }
            let Some((name, want)) = c.split_once('=') else {
                return false;
            };
            let Some(got) = siblings.get(name).and_then(Json::as_str) else {
                return false;
            };
            if fold.split(',').any(|f| f == format!("{name}:lower")) {
                got.to_lowercase() == want
            } else {
                got == want
            }
        })
}

/// The string values at `path` under `node`, with where they are (`A.B[0].C`) and the
/// object holding them.
fn collect<'a>(
    node: &'a Map<String, Json>,
    path: &str,
    at: String,
    out: &mut Vec<(&'a str, String, &'a Map<String, Json>)>,
) {
    let (head, rest) = match path.split_once('/') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let Some(value) = node.get(head) else { return };
    let at = if at.is_empty() {
        head.to_string()
    } else {
        format!("{at}.{head}")
    };
    match rest {
        None => {
            if let Some(s) = value.as_str() {
                out.push((s, at, node));
            }
        }
        Some(rest) => {
            let (items, rest) = match rest.split_once('/') {
                Some(("*", r)) => (true, r),
                _ if rest == "*" => return, // no catalog ends at a list
                _ => (false, rest),
            };
            if items {
                if let Json::Array(list) = value {
                    for (i, item) in list.iter().enumerate() {
                        if let Some(o) = item.as_object().filter(|o| !super::is_intrinsic_map(o)) {
                            collect(o, rest, format!("{at}[{i}]"), out);
                        }
                    }
                }
            } else if let Some(o) = value.as_object().filter(|_| !is_intrinsic(value)) {
                collect(o, rest, at, out);
            }
        }
    }
}

/// Checks the properties of one resource of `type_name` in a stack of `region` against
/// the catalogs that cover its type.
pub(crate) fn check(
    type_name: &str,
    path: &str,
    props: &Json,
    region: &str,
    out: &mut Vec<Diagnostic>,
) {
    let Some(props) = props.as_object() else {
        return;
    };
    let lambda = matches!(
        type_name,
        "AWS::Lambda::Function" | "AWS::Serverless::Function"
    );
    if let Some(runtime) = props
        .get("Runtime")
        .and_then(Json::as_str)
        .filter(|_| lambda)
    {
        out.extend(runtime_lifecycle(runtime, path, today()));
    }
    if let Some(finding) = deprecated_engine_version(type_name, props, path) {
        out.push(finding);
    }
    for t in targets().iter().filter(|t| t.type_name == type_name) {
        let mut found = Vec::new();
        collect(props, t.path, String::new(), &mut found);
        if found.is_empty() {
            continue;
        }
        let Some(cat) = catalog(t.catalog) else {
            continue;
        };
        for (value, at, siblings) in found {
            let index = cat.values.binary_search(&value).ok();
            let refused = cat.cases.iter().find_map(|(conds, pairs)| {
                if !meets(conds, siblings, t.fold) {
                    return None;
                }
                let set = cat.set(pairs, region)?;
                let ok = index.is_some_and(|i| Catalog::has(set, i));
                (!ok).then_some((set, *conds))
            });
            let Some((set, conds)) = refused else {
                continue;
            };
            let allowed = cat.allowed(set);
            let name = t.path.rsplit('/').next().unwrap_or(t.path);
            let with = match conds {
                "-" => String::new(),
                c => format!(" with {}", c.replace('&', ", ").replace('!', " unset")),
            };
            let message = format!(
                "{at} is '{value}', which {type_name} does not offer in {region}{with} \
                 (cfn-lint {})",
                t.rule
            );
            let hint = match closest(value, &allowed) {
                Some(c) => format!("did you mean '{c}'? It is offered in {region}"),
                None => format!(
                    "pick one of the {} {name} values offered in {region}, or deploy to \
                     a region that offers '{value}'",
                    allowed.len()
                ),
            };
            out.push(Diagnostic::error("catalog-value", path, message).with_hint(hint));
        }
    }
}

/// A warning for an RDS `EngineVersion` RDS has deprecated (cfn-lint W3690, W3691): an
/// existing database keeps it, but RDS creates no new one with it.
fn deprecated_engine_version(
    type_name: &str,
    props: &Map<String, Json>,
    path: &str,
) -> Option<Diagnostic> {
    if !matches!(type_name, "AWS::RDS::DBInstance" | "AWS::RDS::DBCluster") {
        return None;
    }
    // cfn-lint lowercases the engine before comparing, as RDS does.
    let engine = props.get("Engine")?.as_str()?.to_lowercase();
    let version = props.get("EngineVersion")?.as_str()?;
    let line = DEPRECATED_VERSIONS.lines().find(|l| {
        let mut f = l.split(' ');
        f.next() == Some(type_name) && f.next() == Some(engine.as_str())
    })?;
    if !line.split(' ').skip(2).any(|v| v == version) {
        return None;
    }
    let rule = if type_name == "AWS::RDS::DBCluster" {
        "W3690"
    } else {
        "W3691"
    };
    Some(
        Diagnostic::warning(
            "engine-version",
            path,
            format!(
                "EngineVersion '{version}' of {engine} is deprecated: RDS creates no new \
                 database with it (cfn-lint {rule})"
            ),
        )
        .with_hint(format!(
            "move to a current {engine} release, or name its major line and let RDS pick one"
        )),
    )
}

/// Today as `YYYY-MM-DD` (UTC), from the system clock, once per process.
fn today() -> &'static str {
    static TODAY: OnceLock<String> = OnceLock::new();
    TODAY.get_or_init(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        civil(i64::try_from(secs / 86_400).unwrap_or(0))
    })
}

/// The date `days` after 1970-01-01 (the proleptic Gregorian calendar's civil date).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The finding for a Lambda `runtime` on `today` (`YYYY-MM-DD`), if any.
fn runtime_lifecycle(runtime: &str, path: &str, today: &str) -> Option<Diagnostic> {
    let line = RUNTIMES
        .lines()
        .find(|l| l.split(' ').next() == Some(runtime))?;
    let f: Vec<&str> = line.split(' ').collect();
    let [_, deprecated, create, update, successor] = f[..] else {
        return None;
    };
    let reached = |d: &str| d != "-" && d <= today;
    let instead = match successor {
        "-" => "a supported runtime".to_string(),
        s => format!("'{s}'"),
    };
    let hint = format!("move to {instead}");
    if reached(update) {
        let m = format!(
            "Runtime '{runtime}' is past its end of life: Lambda stopped creating functions \
             with it on {create} and updating them on {update} (cfn-lint E2533)"
        );
        return Some(Diagnostic::error("lambda-runtime", path, m).with_hint(hint));
    }
    if reached(create) {
        let m = format!(
            "Runtime '{runtime}' was deprecated on {deprecated}, and Lambda stopped creating \
             functions with it on {create} (cfn-lint E2531)"
        );
        return Some(Diagnostic::error("lambda-runtime", path, m).with_hint(hint));
    }
    if reached(deprecated) {
        let blocked = match create {
            "-" => String::new(),
            c => format!("; Lambda stops creating functions with it on {c}"),
        };
        let m =
            format!("Runtime '{runtime}' was deprecated on {deprecated}{blocked} (cfn-lint W2531)");
        return Some(Diagnostic::warning("lambda-runtime", path, m).with_hint(hint));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(type_name: &str, props: Json, region: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        check(type_name, "App/Stack/R", &props, region, &mut out);
        out
    }

    /// A value `region` offers for `type_name`'s target `path`, and one it does not but
    /// another region does, read from the data (so the test follows the catalog).
    fn split(type_name: &str, path: &str, region: &str) -> (&'static str, &'static str) {
        let t = targets()
            .iter()
            .find(|t| t.type_name == type_name && t.path == path)
            .unwrap();
        let cat = catalog(t.catalog).unwrap();
        let (_, pairs) = cat.cases[0];
        let here = cat.allowed(cat.set(pairs, region).unwrap());
        let offered = here[0];
        let missing = cat
            .values
            .iter()
            .find(|v| !here.contains(v))
            .copied()
            .unwrap();
        (offered, missing)
    }

    #[test]
    fn the_index_covers_the_nineteen_catalogs() {
        let mut cats: Vec<usize> = targets().iter().map(|t| t.catalog).collect();
        cats.dedup();
        assert_eq!(cats.len(), 19);
        for c in cats {
            let cat = catalog(c).unwrap();
            assert!(!cat.values.is_empty() && !cat.sets.is_empty() && !cat.cases.is_empty());
            assert!(cat.values.windows(2).all(|w| w[0] < w[1]), "values sorted");
        }
    }

    #[test]
    fn a_type_refused_in_one_region_is_accepted_in_another() {
        let (ok, missing) = split("AWS::EC2::Instance", "InstanceType", "af-south-1");
        assert!(
            run(
                "AWS::EC2::Instance",
                json!({"InstanceType": ok}),
                "af-south-1"
            )
            .is_empty()
        );
        let d = run(
            "AWS::EC2::Instance",
            json!({"InstanceType": missing}),
            "af-south-1",
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "catalog-value");
        assert!(d[0].message.contains(missing) && d[0].message.contains("af-south-1"));
        assert!(d[0].message.contains("E3628"), "{}", d[0].message);
        // Some region offers it (it is in the catalog's values).
        let t = targets()
            .iter()
            .find(|t| t.type_name == "AWS::EC2::Instance")
            .unwrap();
        let cat = catalog(t.catalog).unwrap();
        let (_, pairs) = cat.cases[0];
        let elsewhere = pairs
            .split(' ')
            .map(|p| p.split_once(':').unwrap().0)
            .find(|r| run("AWS::EC2::Instance", json!({"InstanceType": missing}), r).is_empty())
            .expect("some region offers it");
        assert_ne!(elsewhere, "af-south-1");
    }

    #[test]
    fn known_values_in_known_regions() {
        let ec2 = |v: &str, r: &str| run("AWS::EC2::Instance", json!({"InstanceType": v}), r);
        assert!(ec2("t3.micro", "us-east-1").is_empty());
        assert!(ec2("m5.large", "eu-west-1").is_empty());
        let typo = ec2("t3.mircro", "us-east-1");
        assert_eq!(typo.len(), 1);
        assert!(
            typo[0].hint.as_deref().unwrap().contains("'t3.micro'"),
            "{typo:?}"
        );
        // Case-sensitive, as cfn-lint.
        assert_eq!(ec2("T3.micro", "us-east-1").len(), 1);
        let unknown = ec2("zz9.plural", "us-east-1");
        assert!(
            unknown[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("values offered")
        );
    }

    #[test]
    fn intrinsics_and_unknown_regions_are_skipped() {
        let ec2 = |p: Json, r: &str| run("AWS::EC2::Instance", p, r);
        assert!(ec2(json!({"InstanceType": {"Ref": "Type"}}), "us-east-1").is_empty());
        assert!(
            ec2(
                json!({"InstanceType": {"Fn::If": ["C", "zz9.plural", "t3.micro"]}}),
                "us-east-1"
            )
            .is_empty()
        );
        assert!(ec2(json!({"InstanceType": "zz9.plural"}), "xx-mars-1").is_empty());
        assert_eq!(
            ec2(json!({"InstanceType": "zz9.plural"}), "us-east-1").len(),
            1
        );
        // Another type, and another property, are not this catalog's.
        assert!(
            run(
                "AWS::EC2::Volume",
                json!({"InstanceType": "zz9.plural"}),
                "us-east-1"
            )
            .is_empty()
        );
    }

    #[test]
    fn values_in_nested_lists_are_found() {
        let props = json!({"InstanceGroups": [
            {"InstanceGroupName": "a", "InstanceType": "ml.zz9.plural"},
            {"InstanceGroupName": "b", "InstanceType": {"Ref": "T"}},
            {"InstanceGroupName": "c", "InstanceType": "ml.zz9.other"},
        ]});
        let d = run("AWS::SageMaker::Cluster", props, "us-east-1");
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(
            d[0].message
                .starts_with("InstanceGroups[0].InstanceType is 'ml.zz9.plural'")
        );
        assert!(d[1].message.starts_with("InstanceGroups[2].InstanceType"));
        // Two list levels.
        let fleet = json!({"LaunchTemplateConfigs": [{"Overrides": [
            {"InstanceType": "t3.micro"}, {"InstanceType": "zz9.plural"}
        ]}]});
        let d = run("AWS::EC2::EC2Fleet", fleet, "us-east-1");
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].message
                .starts_with("LaunchTemplateConfigs[0].Overrides[1].InstanceType")
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(11_016), "2000-02-29");
        assert_eq!(civil(20_788), "2026-12-01");
        assert_eq!(today().len(), 10);
    }

    #[test]
    fn lambda_runtimes_by_their_lifecycle_dates() {
        use stackwright_core::Severity;
        // python3.9: deprecated 2025-12-15, create blocked 2027-02-01, update 2027-03-03.
        let at = |today: &str| runtime_lifecycle("python3.9", "S/Fn", today);
        assert!(at("2025-12-14").is_none());
        let w = at("2025-12-15").unwrap();
        assert_eq!(w.severity, Severity::Warning);
        assert!(
            w.message.contains("W2531") && w.message.contains("2027-02-01"),
            "{w}"
        );
        assert_eq!(w.hint.as_deref(), Some("move to 'python3.14'"));
        let e = at("2027-02-01").unwrap();
        assert_eq!((e.severity, e.code), (Severity::Error, "lambda-runtime"));
        assert!(e.message.contains("E2531"), "{e}");
        assert!(at("2027-03-03").unwrap().message.contains("E2533"));
        // No dates: never blocked; unknown runtimes are the schema's business.
        assert!(
            runtime_lifecycle("dotnet9", "S/Fn", "2030-01-01")
                .unwrap()
                .severity
                == Severity::Warning
        );
        assert!(runtime_lifecycle("cobol1.0", "S/Fn", "2030-01-01").is_none());
        // Through `check`: a long-dead runtime, and an intrinsic one.
        let d = run(
            "AWS::Lambda::Function",
            json!({"Runtime": "nodejs4.3"}),
            "us-east-1",
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].severity, Severity::Error);
        let r = json!({"Runtime": {"Ref": "R"}});
        assert!(run("AWS::Lambda::Function", r, "us-east-1").is_empty());
    }

    #[test]
    fn rds_classes_follow_the_engine_and_licence() {
        let db = |p: Json| run("AWS::RDS::DBInstance", p, "us-east-1");
        let ok = json!({"Engine": "postgres", "DBInstanceClass": "db.t3.micro"});
        assert!(db(ok).is_empty());
        // cfn-lint lowercases the engine before comparing (E3025).
        let bad = json!({"Engine": "Postgres", "DBInstanceClass": "db.zz9.plural"});
        let d = db(bad);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].message.contains("Engine=postgres"), "{}", d[0].message);
        // No engine: no case applies, as in cfn-lint.
        assert!(db(json!({"DBInstanceClass": "db.zz9.plural"})).is_empty());
        // An intrinsic engine: no case applies.
        assert!(db(json!({"Engine": {"Ref": "E"}, "DBInstanceClass": "db.zz9.plural"})).is_empty());
    }
}
