//! The Fargate + Aurora example (`examples/fargate_aurora.rs`) end to end against moto:
//! `deploy --all --yes` creates both stacks (the Aurora cluster with its writer and two
//! readers, the runtime's alarms), the same command again says "no changes" for each, and
//! `destroy --all --yes` deletes them as CloudFormation would: refused while the base stack
//! has termination protection, then stopped by the cluster's deletion protection
//! (`DELETE_FAILED`, the runtime already gone), and once that is off, complete, leaving
//! moto's network as it was.
//!
//! What moto 5.2.5 gets wrong for the example is patched in the emulator by
//! `.ci/moto_server.py` (`rds-aurora-cluster`, `rds-cluster-parameter-group`,
//! `elbv2-listener-rule-attributes`, `cloudwatch-alarms`), never in the templates; `docs/DEPLOY.md` lists it. This binary
//! starts a moto of its own, so the network it compares is only this example's.
#![cfg(feature = "aws")]

mod deploy_support;

#[path = "../examples/fargate_aurora.rs"]
mod fargate_aurora;

use std::collections::BTreeSet;
use std::time::Instant;

use deploy_support::{
    Moto, aws, block_on, cli, moto, network, protected_stacks, query, stack_statuses, tagged,
};
use stackwright::core::App;
use stackwright::synth::synthesize;

const BASE: &str = "Atlas-Production-Base";
const RUNTIME: &str = "Atlas-Production-Runtime";

/// The example's stacks in deployment order, and the descriptions of the alarms its
/// templates declare.
fn example() -> (Vec<String>, BTreeSet<String>) {
    let app = App::new();
    fargate_aurora::app(&app).expect("the example builds");
    let synthesized = synthesize(&app).expect("the example synthesizes");
    let mut alarms = BTreeSet::new();
    for body in &synthesized.bodies {
        let template: serde_json::Value = serde_json::from_str(body).unwrap();
        for resource in template["Resources"].as_object().unwrap().values() {
            if resource["Type"] == "AWS::CloudWatch::Alarm" {
                let description = resource["Properties"]["AlarmDescription"].as_str();
                alarms.insert(description.expect("every alarm says what it means").into());
            }
        }
    }
    let names = synthesized.stacks.into_iter().map(|s| s.name).collect();
    (names, alarms)
}

/// moto's RDS answer to `params`.
fn rds(m: &Moto, params: &[(&str, &str)]) -> String {
    query(m, "rds", "2014-10-31", params)
}

/// The one text between `<tag>` and `</tag>` in `xml`.
fn one(xml: &str, tag: &str) -> String {
    let found = tagged(xml, tag);
    assert_eq!(found.len(), 1, "one <{tag}> in {xml}");
    found.into_iter().next().unwrap()
}

/// The descriptions of the alarms moto's CloudWatch lists under the runtime stack's names
/// (CloudFormation names an unnamed alarm `<stack>-<logical id>-<suffix>`).
fn runtime_alarms(m: &Moto) -> BTreeSet<String> {
    let params = [
        ("Action", "DescribeAlarms"),
        ("AlarmNamePrefix", &format!("{RUNTIME}-")),
    ];
    let answer = query(m, "monitoring", "2010-08-01", &params);
    tagged(&answer, "AlarmDescription").into_iter().collect()
}

/// A stack's outputs, by key.
fn outputs(m: &Moto, stack: &str) -> std::collections::HashMap<String, String> {
    block_on(async {
        let cfn = aws_sdk_cloudformation::Client::new(aws(m).await.config());
        let described = cfn
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .unwrap();
        described.stacks()[0]
            .outputs()
            .iter()
            .map(|o| {
                let key = o.output_key().unwrap_or_default().to_string();
                (key, o.output_value().unwrap_or_default().to_string())
            })
            .collect()
    })
}

#[test]
fn the_fargate_aurora_example_deploys_then_has_no_changes_then_is_destroyed() {
    let Some(m) = moto("the_fargate_aurora_example_deploys_then_has_no_changes_then_is_destroyed")
    else {
        return;
    };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (stacks, alarms) = example();
    assert_eq!(stacks, [BASE, RUNTIME], "the example's stacks");
    assert!(alarms.len() >= 10, "the runtime watches things: {alarms:?}");
    let network_before = network(m);

    let (code, out, err) = cli(
        m,
        dir.path(),
        &["deploy", "--all", "--yes"],
        fargate_aurora::app,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let (live, _) = stack_statuses(m);
    for name in &stacks {
        assert_eq!(
            live.get(name).map(String::as_str),
            Some("CREATE_COMPLETE"),
            "{name}: {live:?}\n{out}"
        );
    }
    assert_ne!(network(m), network_before, "the base stack made a network");

    // The cluster as the template says, with the writer (promotion tier 0) and two readers
    // as its members, and the base stack exporting its endpoints.
    let clusters = rds(m, &[("Action", "DescribeDBClusters")]);
    let cluster = one(&clusters, "DBCluster");
    let cluster_id = one(&cluster, "DBClusterIdentifier");
    assert!(
        cluster_id.starts_with("atlas-production-base-database-"),
        "CloudFormation's name for the cluster: {cluster_id}"
    );
    assert_eq!(one(&cluster, "Engine"), "aurora-postgresql");
    assert_eq!(one(&cluster, "EngineVersion"), "17.6");
    assert_eq!(one(&cluster, "DatabaseName"), "atlas");
    assert_eq!(one(&cluster, "DeletionProtection"), "true");
    assert_eq!(one(&cluster, "StorageEncrypted"), "true");
    // Its parameter group is the template's, with the template's parameters.
    let group = one(&cluster, "DBClusterParameterGroup");
    assert!(
        group.starts_with("atlas-production-base-databaseclusterparametergroup-"),
        "the template's group, not moto's default: {group}"
    );
    let parameters = rds(
        m,
        &[
            ("Action", "DescribeDBClusterParameters"),
            ("DBClusterParameterGroupName", &group),
        ],
    );
    assert_eq!(tagged(&parameters, "ParameterName"), ["rds.force_ssl"]);
    assert_eq!(tagged(&parameters, "ParameterValue"), ["1"]);
    let groups = rds(m, &[("Action", "DescribeDBClusterParameterGroups")]);
    assert_eq!(
        tagged(&groups, "DBClusterParameterGroupName"),
        std::slice::from_ref(&group)
    );
    let members = tagged(&cluster, "DBClusterMember");
    assert_eq!(members.len(), 3, "a writer and two readers: {cluster}");
    let writers: Vec<_> = members
        .iter()
        .filter(|member| one(member, "IsClusterWriter") == "true")
        .collect();
    assert_eq!(writers.len(), 1, "{members:?}");
    assert_eq!(one(writers[0], "PromotionTier"), "0");
    assert!(
        one(writers[0], "DBInstanceIdentifier").contains("databasewriter"),
        "{writers:?}"
    );
    let instances = rds(m, &[("Action", "DescribeDBInstances")]);
    let in_cluster = tagged(&instances, "DBClusterIdentifier");
    assert_eq!(in_cluster, vec![cluster_id.clone(); 3], "{instances}");
    let base = outputs(m, BASE);
    assert_eq!(base["ExportRefDatabase"], cluster_id);
    assert_eq!(
        base["ExportAttDatabaseEndpointAddress"],
        one(&cluster, "Endpoint")
    );
    assert_eq!(
        base["ExportAttDatabaseReadEndpointAddress"],
        one(&cluster, "ReaderEndpoint")
    );
    let secret = tagged(&cluster, "SecretArn");
    assert_eq!(
        secret,
        [base["ExportAttDatabaseMasterUserSecretSecretArn"].clone()],
        "the managed master secret is the one exported"
    );

    // Every alarm the runtime template declares, and no other.
    assert_eq!(runtime_alarms(m), alarms);

    let (code, out, err) = cli(
        m,
        dir.path(),
        &["deploy", "--all", "--yes"],
        fargate_aurora::app,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    for name in &stacks {
        assert!(
            out.contains(&format!("{name}: no changes (the change set was deleted)")),
            "{name}:\n{out}"
        );
    }
    assert!(!out.contains("executing change set"), "{out}");

    // The base stack asks for termination protection: destroy refuses before deleting.
    assert_eq!(protected_stacks(m), BTreeSet::from([BASE.to_string()]));
    let (code, out, err) = cli(
        m,
        dir.path(),
        &["destroy", "--all", "--yes"],
        fargate_aurora::app,
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("has termination protection; nothing was deleted"),
        "{err}"
    );
    assert_eq!(stack_statuses(m).0.len(), 2, "nothing was deleted");
    block_on(async {
        let cfn = aws_sdk_cloudformation::Client::new(aws(m).await.config());
        cfn.update_termination_protection()
            .stack_name(BASE)
            .enable_termination_protection(false)
            .send()
            .await
            .unwrap();
    });

    // The cluster's deletion protection stops the base stack's deletion, as in RDS: the
    // runtime stack is gone, the base stack is DELETE_FAILED, the reason said.
    let (code, out, err) = cli(
        m,
        dir.path(),
        &["destroy", "--all", "--yes"],
        fargate_aurora::app,
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains(&format!("{RUNTIME}: deleted")), "{out}");
    assert!(
        err.contains("Cannot delete protected Cluster, please disable deletion protection"),
        "{err}"
    );
    let (live, latest) = stack_statuses(m);
    assert_eq!(latest[RUNTIME], "DELETE_COMPLETE", "{latest:?}");
    assert_eq!(
        live.get(BASE).map(String::as_str),
        Some("DELETE_FAILED"),
        "{live:?}"
    );
    assert_eq!(
        runtime_alarms(m),
        BTreeSet::new(),
        "the alarms went with it"
    );
    assert_eq!(
        tagged(
            &rds(m, &[("Action", "DescribeDBClusters")]),
            "DBClusterIdentifier"
        ),
        std::slice::from_ref(&cluster_id),
        "the cluster is kept"
    );
    assert_eq!(
        outputs(m, BASE)["ExportRefDatabase"],
        cluster_id,
        "a stack that failed to delete keeps its outputs"
    );

    // With the protection off, destroy deletes the rest.
    rds(
        m,
        &[
            ("Action", "ModifyDBCluster"),
            ("DBClusterIdentifier", &cluster_id),
            ("DeletionProtection", "false"),
            ("ApplyImmediately", "true"),
        ],
    );
    let (code, out, err) = cli(
        m,
        dir.path(),
        &["destroy", "--all", "--yes"],
        fargate_aurora::app,
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains(&format!("{BASE}: deleted")), "{out}");
    let (live, latest) = stack_statuses(m);
    for name in &stacks {
        assert!(!live.contains_key(name), "{name} is still there: {live:?}");
        assert_eq!(latest[name], "DELETE_COMPLETE", "{name}: {latest:?}");
    }
    assert!(
        tagged(
            &rds(m, &[("Action", "DescribeDBClusters")]),
            "DBClusterIdentifier"
        )
        .is_empty()
            && tagged(
                &rds(m, &[("Action", "DescribeDBInstances")]),
                "DBInstanceIdentifier"
            )
            .is_empty()
            && tagged(
                &rds(m, &[("Action", "DescribeDBClusterParameterGroups")]),
                "DBClusterParameterGroupName"
            )
            .is_empty(),
        "the cluster, its instances and its parameter group are deleted"
    );
    assert_eq!(
        network(m),
        network_before,
        "destroy removed the network (VPCs, subnets, route tables, internet gateways, NAT gateways, EIPs)"
    );
    eprintln!(
        "deploy, deploy again and destroy of the Fargate + Aurora example took {:.1?}",
        started.elapsed()
    );
}
