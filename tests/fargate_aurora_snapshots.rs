//! Pins every template of the Fargate + Aurora example. Review changes with
//! `cargo insta review`, reading each diff.

#[path = "../examples/fargate_aurora.rs"]
mod fargate_aurora;

use stackwright::core::App;
use stackwright::synth::synthesize;

#[test]
fn every_template_of_the_fargate_aurora_example_is_pinned() {
    let app = App::new();
    fargate_aurora::app(&app).expect("the example builds");
    let s = synthesize(&app).expect("the example synthesizes without errors");
    let names: Vec<&str> = s.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Atlas-Production-Base", "Atlas-Production-Runtime"]);
    assert_eq!(s.stacks[1].dependencies, ["Atlas-Production-Base"]);
    for (stack, body) in s.stacks.iter().zip(&s.bodies) {
        insta::assert_snapshot!(stack.name.clone(), body);
    }
}

#[test]
fn the_variant_has_what_the_compliance_minded_architecture_asks_for() {
    let app = App::new();
    fargate_aurora::app(&app).unwrap();
    let s = synthesize(&app).unwrap();
    let count = |i: usize, ty: &str| {
        s.stacks[i].template["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == ty)
            .count()
    };
    // Three zones, one writer and two readers, three Redis nodes.
    assert_eq!(count(0, "AWS::EC2::NatGateway"), 3);
    assert_eq!(count(0, "AWS::RDS::DBCluster"), 1);
    assert_eq!(count(0, "AWS::RDS::DBInstance"), 3);
    let cache = &s.stacks[0].template["Resources"]["Cache"]["Properties"];
    assert_eq!(cache["NumCacheClusters"], 3);
    assert_eq!(
        s.stacks[0].template["Resources"]["Database"]["Properties"]["BackupRetentionPeriod"],
        35
    );
    assert_eq!(count(0, "AWS::Backup::BackupPlan"), 1);
    assert_eq!(count(0, "AWS::GuardDuty::Detector"), 1);
    assert_eq!(count(1, "AWS::WAFv2::WebACLAssociation"), 1);
    assert_eq!(count(1, "AWS::ECS::Service"), 2, "the API and the worker");
    let alarm = &s.stacks[1].template["Resources"]["AlarmsEdgeHttp5xxCount"]["Properties"];
    assert_eq!(alarm["Threshold"], 10);
    assert_eq!(alarm["EvaluationPeriods"], 2);
    assert_eq!(
        s.stacks[1].template["Resources"]["AlarmsEdgeLatencyP99"]["Properties"]["Threshold"],
        0.5
    );
}
