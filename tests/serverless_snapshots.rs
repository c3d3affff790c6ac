//! Pins the template of the serverless example: typed L1 from the `sqs`, `lambda`,
//! `dynamodb`, `events` and `cloudfront` features, an untyped resource and an included
//! YAML template. Review changes with `cargo insta review`, reading each diff.

#[path = "../examples/serverless.rs"]
mod serverless;

use stackwright::core::App;
use stackwright::synth::synthesize;

#[test]
fn the_template_of_the_serverless_example_is_pinned() {
    let app = App::new();
    serverless::app(&app).expect("the example builds");
    let s = synthesize(&app).expect("the example synthesizes without errors");
    let names: Vec<&str> = s.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["FlowViz-Production-Jobs"]);
    insta::assert_snapshot!(s.stacks[0].name.clone(), &s.bodies[0]);
}

#[test]
fn the_untyped_and_included_resources_are_checked_and_referenced_like_typed_ones() {
    let app = App::new();
    serverless::app(&app).unwrap();
    let s = synthesize(&app).unwrap();
    let t = &s.stacks[0];
    // The included template keeps its logical ids, and typed code refers to them.
    assert_eq!(
        t.template["Resources"]["JobSettings"]["Type"],
        "AWS::SSM::Parameter"
    );
    assert_eq!(
        t.template["Resources"]["Consumer"]["Properties"]["Environment"]["Variables"]["SETTINGS_PARAMETER"],
        serde_json::json!({"Ref": "JobSettings"})
    );
    assert_eq!(
        t.template["Parameters"]["JobBatchSize"]["Type"], "Number",
        "the included parameter is the stack's"
    );
    // The untyped topic got its facts from the registry: it is taggable, so it has the
    // stack's tags, and the alarm refers to it.
    let topic = &t.resources["JobAlerts"];
    assert_eq!(topic.facts.map(|f| f.type_name), Some("AWS::SNS::Topic"));
    assert!(t.template["Resources"]["JobAlerts"]["Properties"]["Tags"].is_array());
    assert_eq!(
        t.template["Resources"]["DeadLettersAlarm"]["Properties"]["AlarmActions"],
        serde_json::json!([{"Ref": "JobAlerts"}])
    );
}
