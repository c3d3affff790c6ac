//! Each language feature, parsed and evaluated through the public API. The expected
//! statuses are cfn-guard 3.1.1's for the same rule and document.

use serde_json::json;
use stackwright_guard::{RuleFile, RuleSet, Status};

/// The status of `rule` (and its failing logical ids) for `rules` over `doc`.
fn eval(rules: &str, doc: serde_json::Value, rule: &str) -> (Status, Vec<String>) {
    let set = RuleSet::parse([("test.guard", rules)]).unwrap_or_else(|e| panic!("{e}"));
    let report = set.evaluate(&doc);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let result = report
        .rule(rule)
        .unwrap_or_else(|| panic!("no result for {rule}"));
    (
        result.status,
        result.resources().into_iter().map(String::from).collect(),
    )
}

fn status(rules: &str, doc: serde_json::Value) -> Status {
    eval(rules, doc, "r").0
}

fn buckets() -> serde_json::Value {
    json!({
        "Resources": {
            "Plain": { "Type": "AWS::S3::Bucket", "Properties": { "BucketName": "plain" } },
            "Locked": {
                "Type": "AWS::S3::Bucket",
                "Properties": { "ObjectLockEnabled": true, "Tags": [{ "Key": "a", "Value": "1" }] }
            },
            "Logs": { "Type": "AWS::Logs::LogGroup", "Properties": { "RetentionInDays": 30 } }
        }
    })
}

#[test]
fn let_filters_and_block_clauses() {
    let rules = "
        let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
        rule r when %buckets !empty {
            %buckets.Properties.ObjectLockEnabled == true
        }";
    assert_eq!(
        eval(rules, buckets(), "r"),
        (Status::Fail, vec!["Plain".into()])
    );
}

#[test]
fn when_conditions_skip() {
    let rules = "
        let queues = Resources.*[ Type == 'AWS::SQS::Queue' ]
        rule r when %queues !empty { %queues.Properties.KmsMasterKeyId exists }";
    assert_eq!(status(rules, buckets()), Status::Skip);
}

#[test]
fn parameterized_rules_see_their_callers_parameters() {
    let rules = "
        let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
        rule r when %buckets not empty { check(%buckets.Properties) << [X.1]: lock buckets >> }
        rule check(props) { %props { inner(this) } }
        rule inner(p) { %props.ObjectLockEnabled exists }";
    let set = RuleSet::parse([("t.guard", rules)]).unwrap();
    let report = set.evaluate(&buckets());
    let r = report.rule("r").unwrap();
    assert_eq!(r.status, Status::Fail);
    assert_eq!(
        r.failures[0].rule_message.as_deref(),
        Some("[X.1]: lock buckets")
    );
    assert_eq!(r.failures[0].resource.as_deref(), Some("Plain"));
    assert_eq!(r.failures[0].path, "/Resources/Plain/Properties");
    assert_eq!(r.failures[0].missing.as_deref(), Some("ObjectLockEnabled"));
}

#[test]
fn some_needs_one_value() {
    let some = "rule r { some Resources.*.Properties.ObjectLockEnabled == true }";
    assert_eq!(status(some, buckets()), Status::Pass);
    let all = "rule r { Resources.*.Properties.ObjectLockEnabled == true }";
    assert_eq!(
        eval(all, buckets(), "r"),
        (Status::Fail, vec!["Logs".into(), "Plain".into()])
    );
}

#[test]
fn or_takes_any_alternative() {
    let rules = "rule r { Resources.Logs.Properties.RetentionInDays >= 365 or
                          Resources.Logs.Properties.RetentionInDays == 30 }";
    assert_eq!(status(rules, buckets()), Status::Pass);
    let rules = "rule r { Resources.Logs.Properties.RetentionInDays >= 365 OR
                          Resources.Logs.Properties.RetentionInDays |OR| == 31 }";
    assert!(RuleFile::parse("t", rules).is_err());
}

#[test]
fn numeric_comparisons_need_one_type() {
    let doc = json!({ "n": 30, "s": "30", "f": 30.0 });
    assert_eq!(
        status("rule r { n < 31 n <= 30 n > 29 n >= 30 }", doc.clone()),
        Status::Pass
    );
    // A string and a number are not comparable, which fails even `!=`.
    assert_eq!(status("rule r { s != 30 }", doc.clone()), Status::Fail);
    assert_eq!(status("rule r { f == 30 }", doc.clone()), Status::Fail);
    assert_eq!(status("rule r { f == 30.0 }", doc), Status::Pass);
}

#[test]
fn in_and_not_in() {
    let doc = json!({ "engine": "postgres", "ports": [5432, 15432], "port": "5432" });
    assert_eq!(
        status("rule r { engine in ['mysql', 'postgres'] }", doc.clone()),
        Status::Pass
    );
    assert_eq!(
        status("rule r { engine IN ['mysql'] }", doc.clone()),
        Status::Fail
    );
    assert_eq!(
        status("rule r { engine not in ['mysql'] }", doc.clone()),
        Status::Pass
    );
    assert_eq!(
        status("rule r { engine !in ['postgres'] }", doc.clone()),
        Status::Fail
    );
    assert_eq!(
        status("rule r { port in [5432, '5432'] }", doc.clone()),
        Status::Pass
    );
    // A list on the left must lie within the list on the right.
    assert_eq!(
        status("rule r { ports in [5432] }", doc.clone()),
        Status::Fail
    );
    assert_eq!(
        status("rule r { ports[*] in [5432, 15432] }", doc),
        Status::Pass
    );
}

#[test]
fn exists_empty_and_negation() {
    let doc = json!({ "a": [], "b": "", "c": { "d": 1 }, "n": 3 });
    assert_eq!(
        status(
            "rule r { a exists a empty b empty c !empty missing !exists }",
            doc.clone()
        ),
        Status::Pass
    );
    assert_eq!(
        status("rule r { not missing exists }", doc.clone()),
        Status::Pass
    );
    assert_eq!(
        status("rule r { missing empty }", doc.clone()),
        Status::Pass
    );
    assert_eq!(status("rule r { NOT c EXISTS }", doc.clone()), Status::Fail);
    // `empty` on a number is an error cfn-guard abandons the file for.
    let set = RuleSet::parse([("t.guard", "rule r { n empty }")]).unwrap();
    let report = set.evaluate(&doc);
    assert!(report.rules.is_empty());
    assert_eq!(report.errors[0].file, "t.guard");
}

#[test]
fn type_checks() {
    let doc = json!({ "s": "x", "l": [1], "m": {}, "b": true, "i": 1, "f": 1.5, "z": null });
    let rules = "rule r { s is_string l is_list m is_struct b is_bool i is_int f is_float z is_null
                          s !is_list l not is_struct i IS_INT missing !is_string }";
    assert_eq!(status(rules, doc), Status::Pass);
}

#[test]
fn regexes_match_strings_only() {
    let doc = json!({ "arn": "arn:aws:s3:::bucket/*", "mode": "ON", "ref": { "Ref": "X" } });
    assert_eq!(
        status(
            r"rule r { arn == /^arn:aws[a-z0-9\-]*:s3:::[a-z0-9]+\/\*$/ }",
            doc.clone()
        ),
        Status::Pass
    );
    assert_eq!(
        status("rule r { mode == /(?i)^on$/ }", doc.clone()),
        Status::Pass
    );
    assert_eq!(
        status(r"rule r { arn != /\A\s*\z/ }", doc.clone()),
        Status::Pass
    );
    // A struct is not comparable with a regex: a failure even with `!=`.
    assert_eq!(status(r"rule r { ref != /\A\s*\z/ }", doc), Status::Fail);
}

#[test]
fn indexes_this_and_dotted_indexes() {
    let doc = json!({ "Join": ["", [{ "Fn::GetAtt": ["Bucket", "Arn"] }, "/*"]] });
    let rules = "rule r { Join { this is_list this[1][1] == '/*' this[1][0] { 'Fn::GetAtt'.1 == 'Arn' } } }";
    assert_eq!(status(rules, doc.clone()), Status::Pass);
    assert_eq!(status("rule r { Join[5] exists }", doc), Status::Fail);
}

#[test]
fn keys_filters_and_variables_in_paths() {
    let doc = json!({
        "Resources": {
            "Key": { "Type": "AWS::KMS::Key", "Properties": {} },
            "Logs": { "Type": "AWS::Logs::LogGroup", "Properties": { "KmsKeyId": { "Fn::GetAtt": ["Key", "Arn"] } } }
        },
        "AWS::KMS::Key": { "resourceProperties": { "KeySpec": "RSA_2048" } }
    });
    let rules = "
        let doc = this
        let type = 'AWS::KMS::Key'
        rule r {
            Resources.Logs.Properties.KmsKeyId.'Fn::GetAtt' { local(%doc, this[0]) }
            %doc.%type.resourceProperties.KeySpec == /^RSA_/
        }
        rule local(doc, id) {
            let target = %doc.Resources[ keys == %id ]
            %target not empty
            %target { Type == 'AWS::KMS::Key' }
        }";
    assert_eq!(status(rules, doc), Status::Pass);
}

#[test]
fn struct_and_list_literals() {
    let doc =
        json!({ "Condition": { "Bool": { "aws:SecureTransport": "false" } }, "l": ["a", "b"] });
    let rules =
        r#"rule r { Condition == { "Bool": { "aws:SecureTransport": "false" } } l == ["a", "b"] }"#;
    assert_eq!(status(rules, doc.clone()), Status::Pass);
    let rules = r#"rule r { Condition == { Bool: { "aws:SecureTransport": false } } }"#;
    assert_eq!(status(rules, doc), Status::Fail);
}

#[test]
fn named_rules_as_clauses() {
    let rules = "
        rule is_template { Resources exists }
        rule r when is_template { not_template or Resources.Logs exists }
        rule not_template { Resources !exists }";
    assert_eq!(status(rules, buckets()), Status::Pass);
    assert_eq!(status(rules, json!({})), Status::Skip);
}

#[test]
fn when_blocks_inside_rules() {
    let rules =
        "rule r { when Resources.Logs exists { Resources.Logs.Properties.RetentionInDays == 30 } }";
    assert_eq!(status(rules, buckets()), Status::Pass);
    let rules = "rule r { when Resources.Queue exists { Resources.Queue.Properties exists } }";
    assert_eq!(status(rules, buckets()), Status::Skip);
}

#[test]
fn a_block_over_nothing_skips_unless_not_empty() {
    let rules = "rule r { Resources.*[ Type == 'AWS::SQS::Queue' ] { Properties exists } }";
    assert_eq!(status(rules, buckets()), Status::Skip);
    let rules =
        "rule r { Resources.*[ Type == 'AWS::SQS::Queue' ] not empty { Properties exists } }";
    assert_eq!(status(rules, buckets()), Status::Fail);
}

#[test]
fn a_rule_name_repeated_combines() {
    let rules = "rule r when Resources exists { Resources.Logs exists }
                 rule r when Hook exists { Hook.x exists }";
    let set = RuleSet::parse([("t.guard", rules)]).unwrap();
    let report = set.evaluate(&buckets());
    assert_eq!(report.rules.len(), 1);
    assert_eq!(report.rules[0].status, Status::Pass);
}

#[test]
fn failures_name_path_value_and_messages() {
    let rules = "rule r { Resources.Logs.Properties.RetentionInDays >= 365 <<keep a year>> }";
    let set = RuleSet::parse([("t.guard", rules)]).unwrap();
    let report = set.evaluate(&buckets());
    let failure = &report.rule("r").unwrap().failures[0];
    assert_eq!(failure.resource.as_deref(), Some("Logs"));
    assert_eq!(failure.path, "/Resources/Logs/Properties/RetentionInDays");
    assert_eq!(failure.value, Some(json!(30)));
    assert_eq!(
        failure.check,
        "Resources.Logs.Properties.RetentionInDays >= 365"
    );
    assert_eq!(failure.message.as_deref(), Some("keep a year"));
}

/// `(resource, path, check)` of each failure of rule `r`.
fn failures(rules: &str, doc: &serde_json::Value) -> Vec<(Option<String>, String, String)> {
    let set = RuleSet::parse([("t.guard", rules)]).unwrap_or_else(|e| panic!("{e}"));
    let report = set.evaluate(doc);
    let r = report.rule("r").unwrap();
    assert_eq!(r.status, Status::Fail);
    r.failures
        .iter()
        .map(|f| (f.resource.clone(), f.path.clone(), f.check.clone()))
        .collect()
}

/// Distributions whose certificate is a resource of the template, a parameter, and a name
/// the template does not hold.
fn distributions() -> serde_json::Value {
    let cdn = |reference: &str| {
        json!({
            "Type": "AWS::CloudFront::Distribution",
            "Properties": { "ViewerCertificate": { "AcmCertificateArn": { "Ref": reference } } }
        })
    };
    json!({
        "Parameters": { "Other": { "Type": "String" } },
        "Resources": {
            "Certificate": {
                "Type": "AWS::CertificateManager::Certificate",
                "Properties": { "DomainName": "a.example.com" }
            },
            "InTemplate": cdn("Certificate"),
            "ByParameter": cdn("Other"),
            "ByMissingName": cdn("Missing")
        }
    })
}

#[test]
fn a_check_on_no_value_in_a_parameterized_rule_is_on_the_resource_it_checks() {
    // CT.CLOUDFRONT.PR.6's shape: the distribution's property is passed down two calls,
    // and what fails is a selection found empty, which has no value and no path.
    // cfn-guard 3.1.1's record of the rule names ByParameter and ByMissingName.
    let rules = "
        let distributions = Resources.*[ Type == 'AWS::CloudFront::Distribution' ]
        let INPUT = this
        rule r when %distributions not empty {
            check(%distributions.Properties) << [X.6]: certificates of this template >>
        }
        rule check(distribution) {
            %distribution {
                ViewerCertificate.AcmCertificateArn {
                    Ref exists
                    query_for_resource(%INPUT, Ref, 'AWS::CertificateManager::Certificate')
                }
            }
        }
        rule query_for_resource(doc, key, type) {
            let referenced = %doc.Resources[ keys == %key ]
            %referenced not empty
            %referenced { Type == %type }
        }";
    let check = "%referenced not empty".to_string();
    assert_eq!(
        failures(rules, &distributions()),
        [
            (Some("ByParameter".into()), String::new(), check.clone()),
            (Some("ByMissingName".into()), String::new(), check),
        ]
    );
    assert_eq!(
        eval(rules, distributions(), "r").1,
        ["ByMissingName", "ByParameter"]
    );
}

#[test]
fn a_check_on_an_empty_variable_in_a_block_is_on_the_block_s_resource() {
    // cfn-guard 3.1.1 fails the rule but its record has no path for this check: the
    // engine places it on the value the block checks.
    let rules = "
        rule r {
            Resources.*[ Type == 'AWS::S3::Bucket' ] {
                let owners = Properties.Tags[ Key == 'owner' ]
                %owners not empty
            }
        }";
    let tagged = |key: &str| json!({ "Type": "AWS::S3::Bucket", "Properties": { "Tags": [{ "Key": key, "Value": "data" }] } });
    let doc = json!({ "Resources": { "Owned": tagged("owner"), "Unowned": tagged("team") } });
    assert_eq!(
        failures(rules, &doc),
        [(
            Some("Unowned".into()),
            String::new(),
            "%owners not empty".into()
        )]
    );
}

#[test]
fn a_failure_about_no_one_resource_is_on_none() {
    // Nothing of the kind in the template: no resource to put it on.
    let rules = "
        let queues = Resources.*[ Type == 'AWS::SQS::Queue' ]
        rule r { %queues not empty }";
    assert_eq!(
        failures(rules, &buckets()),
        [(None, String::new(), "%queues not empty".into())]
    );
    // A rule called with both buckets' properties: the empty selection is about neither.
    let rules = "
        let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
        rule r when %buckets not empty { check(%buckets.Properties) }
        rule check(properties) {
            let versioned = %properties[ VersioningConfiguration exists ]
            %versioned not empty
        }";
    assert_eq!(
        failures(rules, &buckets()),
        [(None, String::new(), "%versioned not empty".into())]
    );
}

#[test]
fn comments_and_assignment_forms() {
    let rules = "# header\nlet a := 1 # trailing\nlet b = [1, # inside\n 2]\nrule r { # here\n x == %a\n x in %b }";
    assert_eq!(status(rules, json!({ "x": 1 })), Status::Pass);
}

#[test]
fn ranges() {
    let doc = json!({ "port": 443, "c": "m" });
    assert_eq!(
        status("rule r { port == r[1, 1024] }", doc.clone()),
        Status::Pass
    );
    assert_eq!(status("rule r { port == r(443, 1024] }", doc), Status::Fail);
}

#[test]
fn comment_only_files_have_no_rules() {
    let file = RuleFile::parse("stub.guard", "# nothing here\n\n# at all\n").unwrap();
    assert!(file.rule_names().is_empty());
}

#[test]
fn parse_errors_say_where_and_what() {
    let err = RuleFile::parse("bad.guard", "rule r {\n    Foo ==\n}\n").unwrap_err();
    assert_eq!(
        (err.file.as_str(), err.line, err.column),
        ("bad.guard", 3, 1)
    );
    assert!(err.expected.contains("value"), "{err}");
    let err = RuleFile::parse("bad.guard", "rule r {\n  x == 1\n").unwrap_err();
    assert_eq!(err.line, 3, "{err}");
    let err = RuleFile::parse("f.guard", "rule r { x == count(y) }").unwrap_err();
    assert!(
        err.expected.contains("functions are not supported"),
        "{err}"
    );
    let err = RuleFile::parse("t.guard", "AWS::S3::Bucket { x exists }").unwrap_err();
    assert!(err.expected.contains("type blocks"), "{err}");
    assert!(RuleFile::parse("t.guard", "rule r { x == 'unterminated }").is_err());
    assert!(RuleFile::parse("t.guard", "rule r { x == /(unclosed/ }").is_err());
}

#[test]
fn self_reference_is_an_error_not_a_crash() {
    let set = RuleSet::parse([
        ("t.guard", "rule r {\n r\n}"),
        ("u.guard", "let a = %b\nlet b = %a\nrule r { %a exists }"),
    ])
    .unwrap();
    let report = set.evaluate(&json!({}));
    assert_eq!(report.errors.len(), 2, "{report:?}");
    let set = RuleSet::parse([("t.guard", "rule r { f(this) }\nrule f(x) { f(%x) }")]).unwrap();
    assert_eq!(set.evaluate(&json!({})).errors.len(), 1);
}

#[test]
fn unknown_names_are_errors() {
    for rules in [
        "rule r { %nope exists }",
        "rule r { nope(this) }",
        "rule r {\n nope\n}",
        "rule r { f(1, 2) }\nrule f(a) { %a exists }",
    ] {
        let set = RuleSet::parse([("t.guard", rules)]).unwrap();
        assert_eq!(set.evaluate(&json!({ "x": 1 })).errors.len(), 1, "{rules}");
    }
}
