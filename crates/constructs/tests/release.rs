//! `Release`: the release state of a blue/green pair as template parameters: the
//! parameters and their constraints, what the load balancer and the fleet read from them,
//! the per-colour alarms at the release's gates, the template's release description, a
//! snapshot with the validators, and every construction error.

use std::time::Duration;

use serde_json::{Value as Json, json};
use stackwright_assertions::Template;
use stackwright_constructs::alarms::{Alarms, AlarmsProps};
use stackwright_constructs::alb::{
    BlueGreenAlb, BlueGreenAlbProps, Colour, HealthCheck, TargetType, TestListener,
};
use stackwright_constructs::fleet::{AppFleet, AppFleetProps, ColourState};
use stackwright_constructs::opt_out::skip_check;
use stackwright_constructs::release::{
    METADATA_KEY, Release, ReleaseColour, ReleaseGates, ReleaseProps, Traffic,
};
use stackwright_constructs::vpc::{Vpc, VpcAttributes};
use stackwright_constructs::{ConstructError, PropProblem};
use stackwright_core::{App, Env, Stack};

fn stack(app: &App) -> Stack {
    Stack::new(app, "Test", Env::new("123456789012", "us-east-1")).unwrap()
}

/// An imported network, so templates hold the pair alone.
fn imported_vpc() -> Vpc {
    Vpc::from_attributes(VpcAttributes {
        vpc_id: "vpc-0123456789abcdef0".into(),
        cidr_block: "10.0.0.0/16".into(),
        availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
        public_subnet_ids: vec![
            "subnet-0a0000000000000a1".into(),
            "subnet-0a0000000000000a2".into(),
        ],
        private_subnet_ids: vec![
            "subnet-0b0000000000000b1".into(),
            "subnet-0b0000000000000b2".into(),
        ],
        isolated_subnet_ids: vec![
            "subnet-0c0000000000000c1".into(),
            "subnet-0c0000000000000c2".into(),
        ],
    })
}

/// The test application's load balancer: port 8000, `/api/health`, a test listener.
fn alb_props(target_type: TargetType, release: Option<&Release>) -> BlueGreenAlbProps {
    BlueGreenAlbProps {
        target_type,
        target_port: Some(8000),
        health_check: HealthCheck::path("/api/health"),
        test_listener: Some(TestListener {
            port: 8443,
            allowed_from: None,
        }),
        release: release.cloned(),
        ..BlueGreenAlbProps::production("app.example.com")
    }
}

struct Pair {
    stack: Stack,
    release: Release,
    alb: BlueGreenAlb,
    fleet: AppFleet,
}

/// A released EC2 pair under `Test`, watched by alarms.
fn ec2_pair(props: ReleaseProps) -> Pair {
    let app = App::new();
    let s = stack(&app);
    let vpc = imported_vpc();
    let release = Release::new(&s, "Release", props).unwrap();
    let alb = BlueGreenAlb::new(
        &s,
        "Edge",
        &vpc,
        alb_props(TargetType::Instance, Some(&release)),
    )
    .unwrap();
    skip_check(
        alb.access_log_bucket(),
        "CKV_AWS_18",
        "the test application's access-log bucket receives the load balancer's logs",
    )
    .unwrap();
    let fleet = AppFleet::new(
        &s,
        "App",
        &vpc,
        &alb,
        AppFleetProps {
            release: Some(release.clone()),
            ..AppFleetProps::production()
        },
    )
    .unwrap();
    Alarms::new(&s, "Alarms", AlarmsProps::email("ops@example.com"))
        .unwrap()
        .watch(&alb)
        .unwrap()
        .watch(&fleet)
        .unwrap();
    Pair {
        stack: s,
        release,
        alb,
        fleet,
    }
}

fn r(id: &str) -> Json {
    json!({ "Ref": id })
}

fn resource<'a>(t: &'a Template, id: &str) -> &'a Json {
    let r = &t.json()["Resources"][id];
    assert!(r.is_object(), "no resource {id}");
    r
}

/// The path and prop problems of a refused construct, failing the test on anything else.
fn invalid<T>(result: Result<T, ConstructError>) -> (String, Vec<PropProblem>) {
    match result.err().expect("should be refused") {
        ConstructError::InvalidProps { path, problems } => (path, problems),
        other => panic!("expected an InvalidProps error, got {other:?}"),
    }
}

fn found(problems: &[PropProblem]) -> Vec<(&str, &str)> {
    problems
        .iter()
        .map(|p| (p.prop.as_str(), p.value.as_str()))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------

#[test]
fn the_state_is_parameters_defaulting_to_code_and_held_to_their_domain() {
    let pair = ec2_pair(ReleaseProps {
        live: Colour::Green,
        idle_weight_percent: 25,
        blue: ReleaseColour::serving("1.4.2"),
        green: ReleaseColour::serving("1.5.0"),
        ..ReleaseProps::default()
    });
    let t = Template::from_stack(&pair.stack);
    let parameters = &t.json()["Parameters"];
    let live = &parameters["ReleaseLive"];
    assert_eq!(live["Default"], "Green");
    assert_eq!(live["AllowedValues"], json!(["Blue", "Green"]));
    for (id, default) in [("ReleaseGreenWeight", "75"), ("ReleaseBlueWeight", "25")] {
        let weight = &parameters[id];
        assert_eq!(
            (&weight["Type"], &weight["Default"]),
            (&json!("Number"), &json!(default)),
            "green is live: 100 minus the idle colour's 25"
        );
        assert_eq!(
            (&weight["MinValue"], &weight["MaxValue"]),
            (&json!(0), &json!(100))
        );
    }
    for (id, tag) in [
        ("ReleaseBlueImageTag", "1.4.2"),
        ("ReleaseGreenImageTag", "1.5.0"),
    ] {
        assert_eq!(parameters[id]["Default"], tag);
        assert_eq!(
            parameters[id]["AllowedPattern"],
            "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
        );
    }
    for id in ["ReleaseBlueCapacity", "ReleaseGreenCapacity"] {
        assert_eq!(parameters[id]["Default"], "Serving");
        assert_eq!(
            parameters[id]["AllowedValues"],
            json!(["Serving", "ScaledToZero"])
        );
    }
    let state = &parameters["ReleaseState"];
    assert_eq!(
        (&state["Default"], &state["MaxLength"]),
        (&json!(""), &json!(256))
    );
    assert_eq!(
        pair.release.parameter_id("GreenCapacity"),
        Some("ReleaseGreenCapacity")
    );
    assert_eq!(pair.release.parameter_id("ImageTag"), None);
    assert!(t.diagnostics().0.is_empty(), "{:?}", t.diagnostics().0);
}

#[test]
fn two_releases_in_one_stack_are_named_after_their_paths() {
    let app = App::new();
    let s = stack(&app);
    let web = Release::new(&s, "WebRelease", ReleaseProps::listener("1.0.0")).unwrap();
    let admin = Release::new(&s, "AdminRelease", ReleaseProps::ecs("2.0.0")).unwrap();
    assert_eq!(web.parameter_id("State"), Some("WebReleaseState"));
    assert_eq!(admin.parameter_id("State"), Some("AdminReleaseState"));
    assert_eq!(admin.parameter_id("ImageTag"), Some("AdminReleaseImageTag"));
    assert_ne!(web, admin);
    let t = Template::from_stack(&s);
    let mut ids: Vec<&String> = t.json()["Parameters"].as_object().unwrap().keys().collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "AdminReleaseImageTag",
            "AdminReleaseState",
            "WebReleaseBlueCapacity",
            "WebReleaseBlueImageTag",
            "WebReleaseBlueWeight",
            "WebReleaseGreenCapacity",
            "WebReleaseGreenImageTag",
            "WebReleaseGreenWeight",
            "WebReleaseLive",
            "WebReleaseState",
        ]
    );
    let described = t.json()["Metadata"][METADATA_KEY].as_object().unwrap();
    assert_eq!(
        described.keys().collect::<Vec<_>>(),
        ["WebRelease", "AdminRelease"],
        "both releases are described, neither replaces the other"
    );
    assert_eq!(described["AdminRelease"]["Traffic"], "Ecs");
}

// ---------------------------------------------------------------------------------------
// What reads the parameters
// ---------------------------------------------------------------------------------------

#[test]
fn the_listener_forwards_by_the_parameters_and_the_test_listener_to_the_idle_colour() {
    let t = Template::from_stack(&ec2_pair(ReleaseProps::listener("1.4.2")).stack);
    t.has_condition(
        "ReleaseBlueIsLive",
        json!({ "Fn::Equals": [r("ReleaseLive"), "Blue"] }),
    );
    let listener = resource(&t, "EdgeHttpsListener");
    let groups = &listener["Properties"]["DefaultActions"][0]["ForwardConfig"]["TargetGroups"];
    assert_eq!(
        groups,
        &json!([
            { "TargetGroupArn": r("EdgeBlueTargetGroup"), "Weight": r("ReleaseBlueWeight") },
            { "TargetGroupArn": r("EdgeGreenTargetGroup"), "Weight": r("ReleaseGreenWeight") }
        ]),
        "each colour at its weight, in a fixed order"
    );
    let parameters = &t.json()["Parameters"];
    assert_eq!(
        (
            &parameters["ReleaseBlueWeight"]["Default"],
            &parameters["ReleaseGreenWeight"]["Default"]
        ),
        (&json!("100"), &json!("0")),
        "a new stack sends everything to the live colour"
    );
    assert_eq!(
        listener["Metadata"]["stackwright:release"],
        json!({ "Release": "Release", "State": r("ReleaseState") }),
        "the listener carries the marker, so every parameter is used"
    );
    let test = resource(&t, "EdgeTestListener");
    assert_eq!(
        test["Properties"]["DefaultActions"][0]["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"],
        json!({ "Fn::If": ["ReleaseBlueIsLive", r("EdgeGreenTargetGroup"), r("EdgeBlueTargetGroup")] })
    );
}

#[test]
fn each_colour_runs_its_tag_and_serves_or_is_scaled_to_zero_by_its_parameters() {
    let pair = ec2_pair(ReleaseProps::listener("1.4.2"));
    let t = Template::from_stack(&pair.stack);
    for colour in ["Blue", "Green"] {
        let serving = format!("Release{colour}Serving");
        t.has_condition(
            &serving,
            json!({ "Fn::Equals": [r(&format!("Release{colour}Capacity")), "Serving"] }),
        );
        let group = resource(&t, &format!("App{colour}Group"));
        let p = &group["Properties"];
        let size = |n: &str| json!({ "Fn::If": [serving, n, "0"] });
        assert_eq!(
            (&p["MinSize"], &p["MaxSize"], &p["DesiredCapacity"]),
            (&size("2"), &size("4"), &size("2")),
            "{colour} serves at the fleet's capacity or has none"
        );
        let rolling = &group["UpdatePolicy"]["AutoScalingRollingUpdate"]["Fn::If"];
        assert_eq!(rolling[0], json!(serving));
        assert_eq!(rolling[1]["MinInstancesInService"], 1);
        assert_eq!(rolling[2], r("AWS::NoValue"));
        assert_eq!(
            group["CreationPolicy"]["ResourceSignal"]["Count"],
            json!({ "Fn::If": [serving, 2, 0] })
        );
        let user_data = serde_json::to_string(
            &resource(&t, &format!("App{colour}LaunchTemplate"))["Properties"]["LaunchTemplateData"]
                ["UserData"],
        )
        .unwrap();
        assert!(
            user_data.contains(&format!("Release{colour}ImageTag")),
            "the boot script pulls the colour's tag parameter: {user_data}"
        );
    }
    // The live colour's CPU, whichever it is.
    let cpu = pair.fleet.metric_cpu();
    assert!(
        matches!(cpu.dimensions[0].1.expr(), stackwright_core::Expr::If(..)),
        "{:?}",
        cpu.dimensions[0].1
    );
    assert_eq!(pair.alb.release(), Some(&pair.release));
    assert_eq!(pair.fleet.release(), Some(&pair.release));
}

#[test]
fn the_template_describes_the_release_for_a_command_reading_the_deployed_template() {
    let t = Template::from_stack(&ec2_pair(ReleaseProps::listener("1.4.2")).stack);
    let described = &t.json()["Metadata"][METADATA_KEY]["Release"];
    assert_eq!(described["Path"], "Test/Release");
    assert_eq!(described["Traffic"], "Listener");
    assert_eq!(
        described["Parameters"],
        json!({
            "Live": "ReleaseLive",
            "BlueWeight": "ReleaseBlueWeight",
            "GreenWeight": "ReleaseGreenWeight",
            "BlueImageTag": "ReleaseBlueImageTag",
            "GreenImageTag": "ReleaseGreenImageTag",
            "BlueCapacity": "ReleaseBlueCapacity",
            "GreenCapacity": "ReleaseGreenCapacity",
            "State": "ReleaseState",
        })
    );
    let resources = described["Resources"].as_object().unwrap();
    for (role, id) in resources {
        assert!(
            t.json()["Resources"][id.as_str().unwrap()].is_object(),
            "{role} names {id}, which the template has"
        );
    }
    assert_eq!(
        resources.keys().collect::<Vec<_>>(),
        [
            "BlueTargetGroup",
            "GreenTargetGroup",
            "Listener",
            "BlueAutoScalingGroup",
            "GreenAutoScalingGroup"
        ]
    );
    assert_eq!(described["Gates"]["Max5xxRatePercent"], 5.0);
    assert_eq!(described["Gates"]["MaxP99Seconds"], 2.0);
    assert_eq!(described["Gates"]["WatchSeconds"], 900);
}

#[test]
fn an_overridden_logical_id_of_a_described_resource_stops_synth() {
    let pair = ec2_pair(ReleaseProps::listener("1.4.2"));
    pair.alb
        .target_group(Colour::Green)
        .resource
        .override_logical_id("Greens");
    let app = App::of(&pair.stack);
    let Err(err) = stackwright_synth::synthesize(&app) else {
        panic!("synth should refuse the renamed target group");
    };
    let text = format!("{err:?}");
    assert!(
        text.contains("release-resource-renamed") && text.contains("EdgeGreenTargetGroup"),
        "{text}"
    );
}

#[test]
fn a_fargate_fleet_holds_only_the_image_tag_and_the_marker() {
    let app = App::new();
    let s = stack(&app);
    let vpc = imported_vpc();
    let release = Release::new(&s, "Release", ReleaseProps::ecs("2.3.0")).unwrap();
    let alb = BlueGreenAlb::new(&s, "Edge", &vpc, alb_props(TargetType::Ip, None)).unwrap();
    let fleet = AppFleet::new(
        &s,
        "Api",
        &vpc,
        &alb,
        AppFleetProps {
            release: Some(release.clone()),
            ..AppFleetProps::fargate_production()
        },
    )
    .unwrap();
    assert!(fleet.is_fargate());
    let t = Template::from_stack(&s);
    let mut ids: Vec<&String> = t.json()["Parameters"].as_object().unwrap().keys().collect();
    ids.sort();
    assert_eq!(ids, ["ReleaseImageTag", "ReleaseState"]);
    assert!(
        t.json().get("Conditions").is_none(),
        "ECS decides the live colour"
    );
    let image =
        &resource(&t, "ApiTaskDefinition")["Properties"]["ContainerDefinitions"][0]["Image"];
    assert!(
        image.to_string().contains("${ReleaseImageTag}"),
        "the image is the parameter's tag: {image}"
    );
    assert_eq!(
        resource(&t, "ApiService")["Metadata"]["stackwright:release"]["State"],
        r("ReleaseState")
    );
    let described = &t.json()["Metadata"][METADATA_KEY]["Release"]["Resources"];
    assert_eq!(
        described,
        &json!({ "Service": "ApiService", "TaskDefinition": "ApiTaskDefinition" })
    );
}

// ---------------------------------------------------------------------------------------
// Alarms at the release's gates
// ---------------------------------------------------------------------------------------

#[test]
fn each_colour_has_5xx_rate_and_p99_alarms_at_the_release_gates() {
    let pair = ec2_pair(ReleaseProps {
        gates: ReleaseGates {
            max_5xx_rate_percent: 2.5,
            max_p99: Duration::from_millis(800),
            evaluation_minutes: 5,
            breaching_minutes: 3,
            ..ReleaseGates::production()
        },
        ..ReleaseProps::listener("1.4.2")
    });
    let t = Template::from_stack(&pair.stack);
    for colour in ["Blue", "Green"] {
        let group =
            json!({ "Fn::GetAtt": [format!("Edge{colour}TargetGroup"), "TargetGroupFullName"] });
        let rate = &resource(&t, &format!("AlarmsEdge{colour}5xxRate"))["Properties"];
        assert_eq!(rate["Threshold"], 2.5);
        assert_eq!(
            (&rate["EvaluationPeriods"], &rate["DatapointsToAlarm"]),
            (&json!(5), &json!(3))
        );
        assert_eq!(rate["ComparisonOperator"], "GreaterThanThreshold");
        let queries = rate["Metrics"].as_array().unwrap();
        let names: Vec<&Json> = queries[..2]
            .iter()
            .map(|q| &q["MetricStat"]["Metric"]["MetricName"])
            .collect();
        assert_eq!(
            names,
            [&json!("HTTPCode_Target_5XX_Count"), &json!("RequestCount")]
        );
        assert_eq!(queries[2]["Expression"], "100 * m1 / m2");
        for q in &queries[..2] {
            assert_eq!(q["MetricStat"]["Metric"]["Dimensions"][0]["Value"], group);
            assert_eq!(q["MetricStat"]["Stat"], "Sum");
            assert_eq!(q["MetricStat"]["Period"], 60);
        }
        let p99 = &resource(&t, &format!("AlarmsEdge{colour}LatencyP99"))["Properties"];
        assert_eq!(
            (&p99["MetricName"], &p99["ExtendedStatistic"]),
            (&json!("TargetResponseTime"), &json!("p99"))
        );
        assert_eq!(p99["Threshold"], 0.8);
        assert_eq!(p99["Dimensions"][0]["Value"], group);
        assert_eq!(p99["AlarmActions"], json!([r("AlarmsTopic")]));
    }
    // The load balancer's own unhealthy-hosts alarm follows whichever colour is live.
    let unhealthy = &resource(&t, "AlarmsEdgeUnhealthyHosts")["Properties"];
    assert_eq!(
        unhealthy["Dimensions"][0]["Value"]["Fn::If"][0],
        "ReleaseBlueIsLive"
    );
}

#[test]
fn a_fargate_services_deployments_are_gated_by_each_colours_alarms_at_the_release_gates() {
    let app = App::new();
    let s = stack(&app);
    let vpc = imported_vpc();
    let release = Release::new(
        &s,
        "Release",
        ReleaseProps {
            gates: ReleaseGates {
                max_5xx_rate_percent: 2.5,
                max_p99: Duration::from_millis(800),
                evaluation_minutes: 5,
                breaching_minutes: 3,
                ..ReleaseGates::production()
            },
            ..ReleaseProps::ecs("2.3.0")
        },
    )
    .unwrap();
    let alb = BlueGreenAlb::new(&s, "Edge", &vpc, alb_props(TargetType::Ip, None)).unwrap();
    let fleet = AppFleet::new(
        &s,
        "Api",
        &vpc,
        &alb,
        AppFleetProps {
            release: Some(release),
            ..AppFleetProps::fargate_production()
        },
    )
    .unwrap();
    assert_eq!(fleet.deployment_alarms().len(), 4);
    let unwatched = Template::from_stack(&s);
    assert!(
        resource(&unwatched, "ApiDeploymentAlarmsBlue5xxRate")["Properties"]
            .get("AlarmActions")
            .is_none(),
        "no topic until the fleet is watched"
    );
    Alarms::new(&s, "Alarms", AlarmsProps::default())
        .unwrap()
        .watch(&fleet)
        .unwrap();
    let t = Template::from_stack(&s);
    let mut names = Vec::new();
    for colour in ["Blue", "Green"] {
        let group =
            json!({ "Fn::GetAtt": [format!("Edge{colour}TargetGroup"), "TargetGroupFullName"] });
        let rate_id = format!("ApiDeploymentAlarms{colour}5xxRate");
        let rate = &resource(&t, &rate_id)["Properties"];
        assert_eq!(rate["Threshold"], 2.5);
        assert_eq!(
            (&rate["EvaluationPeriods"], &rate["DatapointsToAlarm"]),
            (&json!(5), &json!(3))
        );
        assert_eq!(rate["Metrics"][2]["Expression"], "100 * m1 / m2");
        assert_eq!(
            rate["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"][0]["Value"],
            group
        );
        let p99_id = format!("ApiDeploymentAlarms{colour}LatencyP99");
        let p99 = &resource(&t, &p99_id)["Properties"];
        assert_eq!(p99["Threshold"], 0.8);
        assert_eq!(p99["Dimensions"][0]["Value"], group);
        for alarm in [rate, p99] {
            assert_eq!(alarm["AlarmActions"], json!([r("AlarmsTopic")]));
            assert_eq!(alarm["OKActions"], json!([r("AlarmsTopic")]));
        }
        names.push(r(&rate_id));
        names.push(r(&p99_id));
    }
    let alarms = &resource(&t, "ApiService")["Properties"]["DeploymentConfiguration"]["Alarms"];
    assert_eq!(
        alarms,
        &json!({ "AlarmNames": names, "Enable": true, "Rollback": true })
    );
}

#[test]
fn a_fargate_fleet_without_a_release_has_no_deployment_alarms() {
    let app = App::new();
    let s = stack(&app);
    let vpc = imported_vpc();
    let alb = BlueGreenAlb::new(&s, "Edge", &vpc, alb_props(TargetType::Ip, None)).unwrap();
    AppFleet::new(&s, "Api", &vpc, &alb, AppFleetProps::fargate_production()).unwrap();
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::CloudWatch::Alarm", 0);
    let configuration = &resource(&t, "ApiService")["Properties"]["DeploymentConfiguration"];
    assert!(configuration.get("Alarms").is_none(), "{configuration}");
}

#[test]
fn a_load_balancer_without_a_release_gets_no_colour_alarms() {
    let app = App::new();
    let s = stack(&app);
    let alb = BlueGreenAlb::new(
        &s,
        "Edge",
        &imported_vpc(),
        alb_props(TargetType::Instance, None),
    )
    .unwrap();
    Alarms::new(&s, "Alarms", AlarmsProps::default())
        .unwrap()
        .watch(&alb)
        .unwrap();
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::CloudWatch::Alarm", 3);
    assert!(t.json().get("Parameters").is_none());
}

// ---------------------------------------------------------------------------------------
// Snapshot and validators
// ---------------------------------------------------------------------------------------

fn released_body() -> String {
    let pair = ec2_pair(ReleaseProps::listener("1.4.2"));
    let app = App::of(&pair.stack);
    stackwright_synth::synthesize(&app).unwrap().bodies[0].clone()
}

#[test]
fn snapshot_release_ec2_pair() {
    insta::assert_snapshot!("release_ec2_pair", released_body());
}

#[path = "../../../tests/support/pinned_tool.rs"]
mod pinned_tool;

fn output(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The released pair's template in a fresh directory.
fn written(tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir =
        std::env::temp_dir().join(format!("stackwright-release-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("release.template.json");
    std::fs::write(&file, released_body()).unwrap();
    (dir, file)
}

#[test]
fn the_released_pair_passes_cfn_lint_with_informational_rules() {
    let Some(linter) = pinned_tool::pinned_tool("cfn-lint", "cfn-lint", "CFN_LINT") else {
        return;
    };
    let (dir, file) = written("cfn-lint");
    let out = std::process::Command::new(linter)
        .args(["-c", "I", "--"])
        .arg(&file)
        .output()
        .expect("cfn-lint runs");
    let report = output(&out);
    let _ = std::fs::remove_dir_all(dir);
    assert!(
        out.status.success() && report.trim().is_empty(),
        "cfn-lint findings:\n{report}"
    );
}

#[test]
fn the_released_pair_passes_checkov() {
    let Some(checkov) = pinned_tool::pinned_tool("checkov", "checkov", "CHECKOV") else {
        return;
    };
    let (dir, _) = written("checkov");
    let out = std::process::Command::new(checkov)
        .arg("--directory")
        .arg(&dir)
        .args([
            "--framework",
            "cloudformation",
            "--compact",
            "--quiet",
            "--skip-download",
        ])
        .output()
        .expect("checkov runs");
    let report = output(&out);
    let _ = std::fs::remove_dir_all(dir);
    assert!(out.status.success(), "checkov failed checks:\n{report}");
}

// ---------------------------------------------------------------------------------------
// Construction errors
// ---------------------------------------------------------------------------------------

#[test]
fn bad_release_state_and_gates_are_each_a_problem_of_their_prop() {
    let app = App::new();
    let s = stack(&app);
    let (path, problems) = invalid(Release::new(
        &s,
        "Release",
        ReleaseProps {
            idle_weight_percent: 101,
            blue: ReleaseColour::scaled_to_zero("v:1"),
            green: ReleaseColour::scaled_to_zero("1.0.0"),
            gates: ReleaseGates {
                max_5xx_rate_percent: 0.0,
                max_p99: Duration::ZERO,
                evaluation_minutes: 2,
                breaching_minutes: 3,
                health_timeout: Duration::ZERO,
                ..ReleaseGates::production()
            },
            ..ReleaseProps::default()
        },
    ));
    assert_eq!(path, "Test/Release");
    assert_eq!(
        found(&problems),
        [
            ("idle_weight_percent", "101"),
            ("blue.image_tag", "'v:1'"),
            ("blue.serving", "false"),
            ("green.serving", "false"),
            ("gates.max_5xx_rate_percent", "0"),
            ("gates.max_p99", "Duration::from_secs_f64(0)"),
            ("gates.breaching_minutes", "3"),
            ("gates.health_timeout", "Duration::from_secs_f64(0)"),
        ]
    );
    assert!(
        problems[2].message.contains("live colour"),
        "{}",
        problems[2]
    );
    assert!(
        problems[3].message.contains("101% of the traffic"),
        "{}",
        problems[3]
    );
}

#[test]
fn an_ecs_release_holds_no_weight() {
    let app = App::new();
    let (_, problems) = invalid(Release::new(
        &stack(&app),
        "Release",
        ReleaseProps {
            idle_weight_percent: 10,
            ..ReleaseProps::ecs("2.3.0")
        },
    ));
    assert_eq!(found(&problems), [("idle_weight_percent", "10")]);
    assert!(problems[0].fix.contains("Traffic::Ecs"));
}

#[test]
fn the_load_balancer_refuses_fixed_state_beside_a_release_and_an_ecs_release() {
    let app = App::new();
    let s = stack(&app);
    let vpc = imported_vpc();
    let release = Release::new(&s, "Release", ReleaseProps::listener("1.4.2")).unwrap();
    let (path, problems) = invalid(BlueGreenAlb::new(
        &s,
        "Edge",
        &vpc,
        BlueGreenAlbProps {
            live: Colour::Green,
            idle_traffic_percent: 5,
            ..alb_props(TargetType::Instance, Some(&release))
        },
    ));
    assert_eq!(path, "Test/Edge");
    assert_eq!(
        found(&problems),
        [("live", "Colour::Green"), ("idle_traffic_percent", "5")]
    );
    assert!(problems[0].fix.contains("ReleaseProps::live"));
    let ecs = Release::new(&s, "EcsRelease", ReleaseProps::ecs("2.3.0")).unwrap();
    let (_, problems) = invalid(BlueGreenAlb::new(
        &s,
        "Edge2",
        &vpc,
        alb_props(TargetType::Ip, Some(&ecs)),
    ));
    assert_eq!(found(&problems), [("release", "Release(Test/EcsRelease)")]);
}

/// The problems of a fleet built with `fleet` behind a load balancer with `alb_release`.
fn fleet_problems(
    target_type: TargetType,
    alb_release: Option<ReleaseProps>,
    fleet: impl FnOnce(&Stack, Option<&Release>) -> AppFleetProps,
) -> Vec<(String, String, String)> {
    let app = App::new();
    let s = stack(&app);
    let vpc = imported_vpc();
    let release = alb_release.map(|p| Release::new(&s, "Release", p).unwrap());
    let alb =
        BlueGreenAlb::new(&s, "Edge", &vpc, alb_props(target_type, release.as_ref())).unwrap();
    let props = fleet(&s, release.as_ref());
    let (path, problems) = invalid(AppFleet::new(&s, "App", &vpc, &alb, props));
    assert_eq!(path, "Test/App");
    problems
        .into_iter()
        .map(|p| (p.prop, p.value, p.message))
        .collect()
}

#[test]
fn an_ec2_fleet_follows_the_load_balancers_release_and_leaves_the_fixed_state_alone() {
    // The load balancer switches with a release, the fleet is fixed.
    let p = fleet_problems(
        TargetType::Instance,
        Some(ReleaseProps::listener("1.4.2")),
        |_, _| AppFleetProps::production(),
    );
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!((p[0].0.as_str(), p[0].1.as_str()), ("release", "None"));
    // Another release than the load balancer's, and colours set beside it.
    let p = fleet_problems(
        TargetType::Instance,
        Some(ReleaseProps::listener("1.4.2")),
        |s, _| AppFleetProps {
            release: Some(Release::new(s, "Other", ReleaseProps::listener("1.4.2")).unwrap()),
            blue: ColourState::serving("1.4.2"),
            ..AppFleetProps::production()
        },
    );
    let props: Vec<&str> = p.iter().map(|(prop, _, _)| prop.as_str()).collect();
    assert_eq!(props, ["release", "blue"], "{p:#?}");
    assert!(p[0].2.contains("Release(Test/Release)"), "{}", p[0].2);
    // A release the load balancer does not have.
    let p = fleet_problems(TargetType::Instance, None, |s, _| AppFleetProps {
        release: Some(Release::new(s, "Release", ReleaseProps::listener("1.4.2")).unwrap()),
        ..AppFleetProps::production()
    });
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].2.contains("live colour is fixed"), "{}", p[0].2);
    // An ECS release on EC2.
    let p = fleet_problems(TargetType::Instance, None, |s, _| AppFleetProps {
        release: Some(Release::new(s, "Release", ReleaseProps::ecs("1.4.2")).unwrap()),
        ..AppFleetProps::production()
    });
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(
        p[0].2.starts_with("an ECS release on an EC2 fleet"),
        "{}",
        p[0].2
    );
}

#[test]
fn a_fargate_fleet_takes_an_ecs_release_only() {
    let p = fleet_problems(TargetType::Ip, None, |s, _| AppFleetProps {
        release: Some(Release::new(s, "Release", ReleaseProps::listener("2.3.0")).unwrap()),
        ..AppFleetProps::fargate_production()
    });
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].2.contains("ECS moves traffic itself"), "{}", p[0].2);
    let p = fleet_problems(
        TargetType::Ip,
        Some(ReleaseProps::listener("2.3.0")),
        |_, _| AppFleetProps::fargate_production(),
    );
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(p[0].0, "alb.release");
}

#[test]
fn the_presets_are_what_they_say() {
    assert_eq!(ReleaseProps::default().traffic, Traffic::Listener);
    assert_eq!(ReleaseProps::ecs("1").traffic, Traffic::Ecs);
    assert_eq!(ReleaseGates::default(), ReleaseGates::production());
    assert!(ReleaseGates::staging().watch < ReleaseGates::production().watch);
}
