//! A program's own checks over the synthesized resources (the seam AWS CDK's Aspects and
//! `addValidation` fill): they see what is deployed, escape hatches included, and their
//! findings are reported with synth's own, all at once, each with its construct path.

use stackwright::core::{CheckedResource, Diagnostic, Severity};
use stackwright::l1::{s3, sns};
use stackwright::prelude::*;
use stackwright::synth::{SynthError, synthesize};

/// Our rule: every bucket names an owner in a tag.
fn owner_tag(r: &CheckedResource<'_>, found: &mut Vec<Diagnostic>) {
    if r.resource_type != "AWS::S3::Bucket" {
        return;
    }
    let tagged = r
        .property("Tags")
        .and_then(|t| t.as_array())
        .is_some_and(|tags| tags.iter().any(|t| t["Key"] == "Owner"));
    if !tagged {
        found.push(
            r.error(
                "bucket-without-owner",
                format!("bucket {} names no owner", r.logical_id),
            )
            .with_hint("tag it Owner=<team>"),
        );
    }
}

#[test]
fn a_check_of_the_app_reports_every_offender_with_its_path_and_stops_synth() {
    let app = App::new();
    let stack = Stack::new(&app, "Data", Env::new("123456789012", "us-east-1")).unwrap();
    Resource::new(&stack, "Raw", s3::Bucket::default()).unwrap();
    let archive = Construct::new(&stack, "Archive").unwrap();
    Resource::new(&archive, "Bucket", s3::Bucket::default()).unwrap();
    let owned = Resource::new(&stack, "Owned", s3::Bucket::default()).unwrap();
    owned.tags().add("Owner", "data-team");
    app.add_check(owner_tag);

    let Err(SynthError::Invalid(d)) = synthesize(&app) else {
        panic!("the check's errors stop synth");
    };
    let mine: Vec<&Diagnostic> =
        d.0.iter()
            .filter(|d| d.code == "bucket-without-owner")
            .collect();
    let paths: Vec<&str> = mine.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["Data/Raw", "Data/Archive/Bucket"]);
    assert!(mine.iter().all(|d| d.severity == Severity::Error));
    assert_eq!(mine[0].hint.as_deref(), Some("tag it Owner=<team>"));
}

#[test]
fn a_check_of_a_construct_covers_only_what_is_under_it() {
    let app = App::new();
    let stack = Stack::new(&app, "Data", Env::new("123456789012", "us-east-1")).unwrap();
    Resource::new(&stack, "Raw", s3::Bucket::default()).unwrap();
    let archive = Construct::new(&stack, "Archive").unwrap();
    Resource::new(&archive, "Bucket", s3::Bucket::default()).unwrap();
    archive.add_check(owner_tag);
    let Err(SynthError::Invalid(d)) = synthesize(&app) else {
        panic!("the check's error stops synth");
    };
    let paths: Vec<&str> = d.0.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["Data/Archive/Bucket"]);
}

#[test]
fn a_check_sees_property_overrides_and_warnings_do_not_stop_synth() {
    let app = App::new();
    let stack = Stack::new(&app, "Data", Env::new("123456789012", "us-east-1")).unwrap();
    let topic = Resource::new(&stack, "Alerts", sns::Topic::default()).unwrap();
    topic.add_property_override("DisplayName", "alerts");
    stack.add_check(|r: &CheckedResource<'_>, found: &mut Vec<Diagnostic>| {
        if let Some(name) = r.property("DisplayName").and_then(|n| n.as_str()) {
            found.push(r.warning(
                "display-name",
                format!("{} shows as '{name}'", r.logical_id),
            ));
        }
    });
    let s = synthesize(&app).expect("a warning does not stop synth");
    let d = s.diagnostics.find("display-name").expect("the check ran");
    assert_eq!(d.message, "Alerts shows as 'alerts'");
    assert_eq!(d.path, "Data/Alerts");
}
