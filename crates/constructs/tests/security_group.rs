//! `SecurityGroup`, `Peer`, `Port` and `Connections`: no implicit egress, described rules,
//! the 0.0.0.0/0 guard, and rules between groups on both sides, in one stack and across two.

use serde_json::{Value as Json, json};
use stackwright_assertions::{Matcher, Template};
use stackwright_constructs::cache::{RedisCache, RedisCacheProps};
use stackwright_constructs::database::{PostgresDb, PostgresDbProps};
use stackwright_constructs::security_group::{
    Connectable, Connections, Peer, Port, SecurityGroup, SecurityGroupProps,
};
use stackwright_constructs::vpc::{Vpc, VpcAttributes, VpcProps};
use stackwright_constructs::{ConstructError, PropProblem};
use stackwright_core::{App, Env, Stack};

fn env() -> Env {
    Env::new("123456789012", "us-east-1")
}

fn stack(app: &App) -> Stack {
    Stack::new(app, "Test", env()).unwrap()
}

fn group(stack: &Stack, id: &str) -> SecurityGroup {
    SecurityGroup::new(
        stack,
        id,
        SecurityGroupProps {
            vpc_id: "vpc-0123456789abcdef0".into(),
            description: format!("{id} group"),
        },
    )
    .unwrap()
}

fn imported_vpc() -> Vpc {
    Vpc::from_attributes(VpcAttributes {
        vpc_id: "vpc-0123456789abcdef0".into(),
        cidr_block: "10.0.0.0/16".into(),
        availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
        public_subnet_ids: vec!["subnet-pub1".into(), "subnet-pub2".into()],
        private_subnet_ids: vec!["subnet-priv1".into(), "subnet-priv2".into()],
        isolated_subnet_ids: vec!["subnet-iso1".into(), "subnet-iso2".into()],
    })
}

/// The path and the one prop problem of a refused call, failing the test on anything else.
fn invalid<T>(result: Result<T, ConstructError>) -> (String, PropProblem) {
    match result.err().expect("should be refused") {
        ConstructError::InvalidProps { path, mut problems } => {
            assert_eq!(problems.len(), 1, "{problems:#?}");
            (path, problems.remove(0))
        }
        other => panic!("expected an InvalidProps error, got {other:?}"),
    }
}

fn get_att(id: &str, attr: &str) -> Json {
    json!({ "Fn::GetAtt": [id, attr] })
}

fn no_egress() -> Json {
    json!({
        "CidrIp": "255.255.255.255/32",
        "Description": "Disallow all traffic",
        "FromPort": 252,
        "IpProtocol": "icmp",
        "ToPort": 86
    })
}

// ---------------------------------------------------------------------------------------
// Groups and their inline rules
// ---------------------------------------------------------------------------------------

#[test]
fn a_new_group_allows_no_egress_and_no_ingress() {
    let app = App::new();
    let s = stack(&app);
    group(&s, "Web");
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::EC2::SecurityGroup", 1);
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        Matcher::exact(json!({
            "GroupDescription": "Web group",
            "SecurityGroupEgress": [no_egress()],
            "VpcId": "vpc-0123456789abcdef0"
        })),
    );
}

#[test]
fn the_first_egress_rule_replaces_the_placeholder() {
    let app = App::new();
    let s = stack(&app);
    let sg = group(&s, "Web");
    sg.add_egress(
        Peer::Ipv4("10.0.0.0/16".into()),
        Port::tcp(443),
        "HTTPS to the VPC",
    )
    .unwrap();
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({ "SecurityGroupEgress": [{
            "CidrIp": "10.0.0.0/16",
            "Description": "HTTPS to the VPC",
            "FromPort": 443,
            "ToPort": 443,
            "IpProtocol": "tcp"
        }]}),
    );
}

#[test]
fn ingress_rules_carry_their_description_and_are_not_repeated() {
    let app = App::new();
    let s = stack(&app);
    let sg = group(&s, "Web");
    for _ in 0..2 {
        sg.add_ingress(
            Peer::Ipv4("10.0.0.0/16".into()),
            Port::tcp_range(8000, 8080),
            "App ports from the VPC",
        )
        .unwrap();
    }
    sg.add_ingress(
        Peer::PrefixList("pl-63a5400a".into()),
        Port::tcp(443),
        "HTTPS from the S3 prefix list",
    )
    .unwrap();
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({ "SecurityGroupIngress": [
            {
                "CidrIp": "10.0.0.0/16",
                "Description": "App ports from the VPC",
                "FromPort": 8000,
                "ToPort": 8080,
                "IpProtocol": "tcp"
            },
            {
                "SourcePrefixListId": "pl-63a5400a",
                "Description": "HTTPS from the S3 prefix list",
                "FromPort": 443,
                "ToPort": 443
            }
        ]}),
    );
}

#[test]
fn ports_have_readable_labels() {
    assert_eq!(Port::tcp(5432).label(), "tcp5432");
    assert_eq!(Port::tcp_range(1024, 2048).label(), "tcp1024-2048");
    assert_eq!(Port::udp(53).label(), "udp53");
    assert_eq!(Port::all_traffic().label(), "all");
    assert_eq!(Port::all_tcp().label(), "tcp0-65535");
    assert_eq!(Port::tcp(6379).from_port(), 6379);
}

#[test]
fn a_group_or_rule_without_description_is_refused() {
    let app = App::new();
    let s = stack(&app);
    let (path, p) = invalid(SecurityGroup::new(
        &s,
        "Blank",
        SecurityGroupProps {
            vpc_id: "vpc-1".into(),
            description: "  ".into(),
        },
    ));
    assert_eq!(path, "Test/Blank");
    assert_eq!((p.prop.as_str(), p.value.as_str()), ("description", "'  '"));
    assert!(p.message.contains("description is empty"), "{p}");
    assert!(p.fix.contains("say what the group protects"), "{p}");

    let sg = group(&s, "Web");
    let (path, p) = invalid(sg.add_ingress(Peer::Ipv4("10.0.0.0/16".into()), Port::tcp(443), ""));
    assert_eq!(path, "Test/Web");
    assert_eq!((p.prop.as_str(), p.value.as_str()), ("description", "''"));
    assert!(p.message.contains("no description"), "{p}");
    assert!(p.fix.contains("why the traffic is allowed"), "{p}");
    assert!(
        sg.add_egress(Peer::AnyIpv4, Port::tcp(443), " ").is_err(),
        "egress needs a description too"
    );
}

// ---------------------------------------------------------------------------------------
// The open-to-the-world guard
// ---------------------------------------------------------------------------------------

#[test]
fn ssh_from_anywhere_is_refused() {
    let app = App::new();
    let s = stack(&app);
    let sg = group(&s, "Bastion");
    let (path, p) = invalid(sg.add_ingress(Peer::AnyIpv4, Port::tcp(22), "SSH"));
    assert_eq!(path, "Test/Bastion");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("peer", "Peer::AnyIpv4")
    );
    assert!(
        p.message.contains("0.0.0.0/0")
            && p.message.contains("tcp22")
            && p.message.contains("whole internet"),
        "{p}"
    );
    assert!(
        p.fix.contains("add_ingress_open_to_world") && p.fix.contains("security group"),
        "{p}"
    );
    // The same block written as a CIDR, IPv6, or every port are refused too.
    let (_, p) = invalid(sg.add_ingress(Peer::Ipv4("0.0.0.0/0".into()), Port::tcp(22), "SSH"));
    assert_eq!(p.value, "Peer::Ipv4('0.0.0.0/0')");
    let (_, p) = invalid(sg.add_ingress(Peer::AnyIpv6, Port::tcp(22), "SSH"));
    assert_eq!(p.value, "Peer::AnyIpv6");
    assert!(p.message.contains("::/0"), "{p}");
    assert!(
        sg.add_ingress(Peer::AnyIpv4, Port::all_traffic(), "everything")
            .is_err()
    );
    assert!(
        sg.add_ingress(Peer::AnyIpv4, Port::tcp_range(80, 443), "web range")
            .is_err()
    );
    // Nothing was added by the refused calls.
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        Matcher::object([("SecurityGroupIngress", Matcher::absent())]),
    );
}

#[test]
fn http_and_https_from_anywhere_are_accepted() {
    let app = App::new();
    let s = stack(&app);
    let sg = group(&s, "LoadBalancer");
    sg.add_ingress(Peer::AnyIpv4, Port::tcp(443), "HTTPS from the internet")
        .unwrap();
    sg.add_ingress(Peer::AnyIpv4, Port::tcp(80), "HTTP redirect to HTTPS")
        .unwrap();
    sg.add_ingress(
        Peer::AnyIpv6,
        Port::tcp(443),
        "HTTPS from the IPv6 internet",
    )
    .unwrap();
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({ "SecurityGroupIngress": [
            { "CidrIp": "0.0.0.0/0", "FromPort": 443, "ToPort": 443, "IpProtocol": "tcp", "Description": "HTTPS from the internet" },
            { "CidrIp": "0.0.0.0/0", "FromPort": 80, "ToPort": 80, "Description": "HTTP redirect to HTTPS" },
            { "CidrIpv6": "::/0", "FromPort": 443, "Description": "HTTPS from the IPv6 internet" }
        ]}),
    );
    t.has_resource(
        "AWS::EC2::SecurityGroup",
        Matcher::object([("Metadata", Matcher::absent())]),
    );
}

#[test]
fn open_to_world_records_the_reason_in_metadata() {
    let app = App::new();
    let s = stack(&app);
    let sg = group(&s, "Sftp");
    sg.add_ingress_open_to_world(
        Peer::AnyIpv4,
        Port::tcp(22),
        "SFTP for partners",
        "partners upload from addresses they cannot list",
    )
    .unwrap();
    let t = Template::from_stack(&s);
    t.has_resource(
        "AWS::EC2::SecurityGroup",
        json!({
            "Metadata": { "stackwright:open-ingress": [{
                "Port": "tcp22",
                "Reason": "partners upload from addresses they cannot list"
            }]},
            "Properties": { "SecurityGroupIngress": [{
                "CidrIp": "0.0.0.0/0", "FromPort": 22, "ToPort": 22, "Description": "SFTP for partners"
            }]}
        }),
    );
}

#[test]
fn every_port_opened_to_the_world_keeps_its_reason() {
    let app = App::new();
    let s = stack(&app);
    let sg = group(&s, "Partners");
    sg.add_ingress_open_to_world(Peer::AnyIpv4, Port::tcp(22), "SFTP", "partners' SFTP")
        .unwrap();
    sg.add_ingress_open_to_world(Peer::AnyIpv4, Port::tcp(990), "FTPS", "partners' FTPS")
        .unwrap();
    let t = Template::from_stack(&s);
    let metadata = t.json()["Resources"]["Partners"]["Metadata"].to_string();
    assert!(
        metadata.contains("partners' SFTP") && metadata.contains("partners' FTPS"),
        "{metadata}"
    );
}

#[test]
fn open_to_world_needs_a_reason() {
    let app = App::new();
    let s = stack(&app);
    let sg = group(&s, "Sftp");
    let (path, p) =
        invalid(sg.add_ingress_open_to_world(Peer::AnyIpv4, Port::tcp(22), "SFTP", " "));
    assert_eq!(path, "Test/Sftp");
    assert_eq!((p.prop.as_str(), p.value.as_str()), ("reason", "' '"));
    assert!(
        p.message.contains("tcp22") && p.message.contains("without a reason"),
        "{p}"
    );
    assert!(p.fix.contains("say why"), "{p}");
}

// ---------------------------------------------------------------------------------------
// Connections in one stack
// ---------------------------------------------------------------------------------------

/// Asserts the pair of rules from `from` to `to` on `port`, each a separate resource.
fn assert_pair(t: &Template, from: &str, to: &str, port: u16, description: &str) {
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        Matcher::exact(json!({
            "Description": description,
            "DestinationSecurityGroupId": get_att(to, "GroupId"),
            "FromPort": port,
            "GroupId": get_att(from, "GroupId"),
            "IpProtocol": "tcp",
            "ToPort": port
        })),
    );
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        Matcher::exact(json!({
            "Description": description,
            "FromPort": port,
            "GroupId": get_att(to, "GroupId"),
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": get_att(from, "GroupId"),
            "ToPort": port
        })),
    );
}

#[test]
fn allow_to_default_port_of_a_database_adds_both_sides() {
    let app = App::new();
    let s = stack(&app);
    let vpc = imported_vpc();
    let db = PostgresDb::new(&s, "Database", &vpc, PostgresDbProps::production()).unwrap();
    let fleet = group(&s, "Fleet");
    assert_eq!(db.connections().default_port(), Some(&Port::tcp(5432)));
    fleet.connections().allow_to_default_port(&db).unwrap();
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::EC2::SecurityGroupEgress", 1);
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 1);
    assert_pair(
        &t,
        "Fleet",
        "DatabaseSecurityGroup",
        5432,
        "to the default port tcp5432",
    );
    // The rules are separate resources: neither group's inline rules changed, so the two
    // groups never reference each other.
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        Matcher::exact(json!({
            "GroupDescription": "Fleet group",
            "SecurityGroupEgress": [no_egress()],
            "VpcId": "vpc-0123456789abcdef0"
        })),
    );
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        Matcher::from(json!({ "GroupDescription": "PostgreSQL Test/Database" }))
            .with("/SecurityGroupIngress", Matcher::absent()),
    );
}

#[test]
fn allow_to_default_port_of_a_cache_uses_6379() {
    let app = App::new();
    let s = stack(&app);
    let vpc = imported_vpc();
    let cache = RedisCache::new(&s, "Cache", &vpc, RedisCacheProps::production()).unwrap();
    let fleet = group(&s, "Fleet");
    fleet.connections().allow_to_default_port(&cache).unwrap();
    let t = Template::from_stack(&s);
    assert_pair(
        &t,
        "Fleet",
        "CacheSecurityGroup",
        6379,
        "to the default port tcp6379",
    );
}

#[test]
fn asking_twice_adds_nothing_new() {
    let app = App::new();
    let s = stack(&app);
    let vpc = imported_vpc();
    let db = PostgresDb::new(&s, "Database", &vpc, PostgresDbProps::production()).unwrap();
    let fleet = group(&s, "Fleet");
    fleet.connections().allow_to_default_port(&db).unwrap();
    fleet.connections().allow_to_default_port(&db).unwrap();
    // The same thing asked from the other side is the same rule pair.
    db.connections().allow_default_port_from(&fleet).unwrap();
    fleet
        .connections()
        .allow_to(&db, Port::tcp(5432), "to the default port tcp5432")
        .unwrap();
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::EC2::SecurityGroupEgress", 1);
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 1);
}

#[test]
fn allow_from_mirrors_allow_to() {
    let build = |mirror: bool| -> Json {
        let app = App::new();
        let s = stack(&app);
        let web = group(&s, "Web");
        let app_sg = group(&s, "App");
        if mirror {
            app_sg
                .connections()
                .allow_from(&web, Port::tcp(8080), "HTTP from the load balancer")
                .unwrap();
        } else {
            web.connections()
                .allow_to(&app_sg, Port::tcp(8080), "HTTP from the load balancer")
                .unwrap();
        }
        Template::from_stack(&s).json().clone()
    };
    let mirrored = build(true);
    assert_eq!(mirrored, build(false));
    let t = stackwright_assertions::Template::from_json(mirrored);
    assert_pair(&t, "Web", "App", 8080, "HTTP from the load balancer");
}

#[test]
fn connections_of_several_groups_pair_each_with_each() {
    let app = App::new();
    let s = stack(&app);
    let a = group(&s, "A");
    let b = group(&s, "B");
    let c = group(&s, "C");
    Connections::new(vec![a, b], None)
        .allow_to(&c, Port::tcp(9000), "metrics scrape")
        .unwrap();
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::EC2::SecurityGroupEgress", 2);
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 2);
    assert_pair(&t, "A", "C", 9000, "metrics scrape");
    assert_pair(&t, "B", "C", 9000, "metrics scrape");
}

#[test]
fn peers_through_connections_get_inline_rules() {
    let app = App::new();
    let s = stack(&app);
    let web = group(&s, "Web");
    web.connections()
        .allow_from_peer(Peer::AnyIpv4, Port::tcp(443), "HTTPS from the internet")
        .unwrap();
    web.connections()
        .allow_to_peer(Peer::AnyIpv4, Port::tcp(443), "HTTPS to AWS APIs")
        .unwrap();
    assert!(
        web.connections()
            .allow_from_peer(Peer::AnyIpv4, Port::tcp(3389), "RDP")
            .is_err(),
        "the world guard applies through connections too"
    );
    let t = Template::from_stack(&s);
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({
            "SecurityGroupIngress": [{ "CidrIp": "0.0.0.0/0", "FromPort": 443 }],
            "SecurityGroupEgress": [{ "CidrIp": "0.0.0.0/0", "FromPort": 443, "Description": "HTTPS to AWS APIs" }]
        }),
    );
}

#[test]
fn a_target_without_a_default_port_is_an_error() {
    let app = App::new();
    let s = stack(&app);
    let fleet = group(&s, "Fleet");
    let other = group(&s, "Other");
    let (path, p) = invalid(fleet.connections().allow_to_default_port(&other));
    assert_eq!(path, "Test/Other");
    assert_eq!(
        (p.prop.as_str(), p.value.as_str()),
        ("default_port", "None")
    );
    assert!(p.message.contains("no default port"), "{p}");
    assert!(p.fix.contains("allow_to(&target, Port::tcp(N)"), "{p}");
    let t = Template::from_stack(&s);
    t.resource_count_is("AWS::EC2::SecurityGroupEgress", 0);
}

#[test]
fn a_connection_without_description_is_refused() {
    let app = App::new();
    let s = stack(&app);
    let a = group(&s, "A");
    let b = group(&s, "B");
    let (path, p) = invalid(a.connections().allow_to(&b, Port::tcp(80), ""));
    assert_eq!(path, "Test/A");
    assert_eq!((p.prop.as_str(), p.value.as_str()), ("description", "''"));
    assert!(p.message.contains("no description"), "{p}");
}

#[test]
fn every_rule_the_data_constructs_write_is_described() {
    let app = App::new();
    let s = stack(&app);
    let vpc = Vpc::new(
        &s,
        "Network",
        VpcProps {
            interface_endpoints: vec![
                stackwright_constructs::vpc::InterfaceEndpoint::SecretsManager,
            ],
            ..VpcProps::production()
        },
    )
    .unwrap();
    let db = PostgresDb::new(&s, "Database", &vpc, PostgresDbProps::production()).unwrap();
    let cache = RedisCache::new(&s, "Cache", &vpc, RedisCacheProps::production()).unwrap();
    let fleet = SecurityGroup::new(
        &s,
        "Fleet",
        SecurityGroupProps {
            vpc_id: vpc.vpc_id(),
            description: "Application fleet".into(),
        },
    )
    .unwrap();
    fleet.connections().allow_to_default_port(&db).unwrap();
    fleet.connections().allow_to_default_port(&cache).unwrap();
    let t = Template::from_stack(&s);
    t.all_resources_properties(
        "AWS::EC2::SecurityGroupIngress",
        Matcher::object([("Description", Matcher::any_value())]),
    );
    t.all_resources_properties(
        "AWS::EC2::SecurityGroupEgress",
        Matcher::object([("Description", Matcher::any_value())]),
    );
    for (id, body) in t.find_resources("AWS::EC2::SecurityGroup", Matcher::any_value()) {
        for key in ["SecurityGroupIngress", "SecurityGroupEgress"] {
            for rule in body["Properties"][key].as_array().into_iter().flatten() {
                let d = rule["Description"].as_str().unwrap_or_default();
                assert!(
                    !d.trim().is_empty(),
                    "{id} {key} rule without description: {rule}"
                );
            }
        }
        assert!(
            body["Properties"]["SecurityGroupEgress"].is_array(),
            "{id} must state its egress, or CloudFormation allows all"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Connections across stacks
// ---------------------------------------------------------------------------------------

#[test]
fn a_runtime_group_connecting_to_a_base_database_puts_both_rules_in_runtime() {
    let app = App::new();
    let base = Stack::new(&app, "Base", env()).unwrap();
    let runtime = Stack::new(&app, "Runtime", env()).unwrap();
    let vpc = Vpc::new(&base, "Network", VpcProps::staging()).unwrap();
    let db = PostgresDb::new(&base, "Database", &vpc, PostgresDbProps::production()).unwrap();
    let cache = RedisCache::new(&base, "Cache", &vpc, RedisCacheProps::production()).unwrap();
    let fleet = SecurityGroup::new(
        &runtime,
        "Fleet",
        SecurityGroupProps {
            vpc_id: vpc.vpc_id(),
            description: "Application fleet".into(),
        },
    )
    .unwrap();
    fleet.connections().allow_to_default_port(&db).unwrap();
    // From the other side, too: the rules still belong to the later stack.
    cache.connections().allow_default_port_from(&fleet).unwrap();

    let synthesized = stackwright_synth::synthesize(&app).expect("no cycle between the stacks");
    let names: Vec<&str> = synthesized.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Base", "Runtime"]);
    assert_eq!(synthesized.stacks[1].dependencies, ["Base"]);
    assert!(synthesized.stacks[0].dependencies.is_empty());

    let base_t = Template::from_stack(&base);
    base_t.resource_count_is("AWS::EC2::SecurityGroupIngress", 0);
    base_t.resource_count_is("AWS::EC2::SecurityGroupEgress", 0);
    // The database's group id leaves base as an export.
    let exports: Vec<Json> = base_t
        .find_outputs("*", Matcher::any_value())
        .into_values()
        .collect();
    assert!(
        exports.iter().any(
            |o| o["Value"] == get_att("DatabaseSecurityGroup", "GroupId")
                && o["Export"]["Name"].is_string()
        ),
        "{exports:?}"
    );

    let rt = Template::from_stack(&runtime);
    rt.resource_count_is("AWS::EC2::SecurityGroupIngress", 2);
    rt.resource_count_is("AWS::EC2::SecurityGroupEgress", 2);
    let imported = |id: &str| {
        let export = exports
            .iter()
            .find(|o| o["Value"] == get_att(id, "GroupId"))
            .unwrap_or_else(|| panic!("base exports {id}'s group id"));
        json!({ "Fn::ImportValue": export["Export"]["Name"] })
    };
    for (target, port) in [
        ("DatabaseSecurityGroup", 5432),
        ("CacheSecurityGroup", 6379),
    ] {
        rt.has_resource_properties(
            "AWS::EC2::SecurityGroupEgress",
            json!({
                "GroupId": get_att("Fleet", "GroupId"),
                "DestinationSecurityGroupId": imported(target),
                "FromPort": port,
                "ToPort": port,
                "Description": format!("to the default port tcp{port}")
            }),
        );
        rt.has_resource_properties(
            "AWS::EC2::SecurityGroupIngress",
            json!({
                "GroupId": imported(target),
                "SourceSecurityGroupId": get_att("Fleet", "GroupId"),
                "FromPort": port,
                "ToPort": port,
                "Description": format!("to the default port tcp{port}")
            }),
        );
    }
    // Base exports nothing of runtime's and imports nothing.
    assert!(
        !synthesized.bodies[0].contains("Fn::ImportValue"),
        "base must not import from runtime"
    );
}

#[test]
fn a_base_group_allowed_from_a_runtime_group_also_lands_in_runtime() {
    let app = App::new();
    let base = Stack::new(&app, "Base", env()).unwrap();
    let runtime = Stack::new(&app, "Runtime", env()).unwrap();
    let internal = group(&base, "Internal");
    let fleet = group(&runtime, "Fleet");
    internal
        .connections()
        .allow_to(&fleet, Port::tcp(9100), "node exporter scrape")
        .unwrap();
    stackwright_synth::synthesize(&app).expect("no cycle");
    let rt = Template::from_stack(&runtime);
    rt.resource_count_is("AWS::EC2::SecurityGroupEgress", 1);
    rt.resource_count_is("AWS::EC2::SecurityGroupIngress", 1);
    Template::from_stack(&base).resource_count_is("AWS::EC2::SecurityGroupEgress", 0);
}

// ---------------------------------------------------------------------------------------
// Snapshot
// ---------------------------------------------------------------------------------------

#[test]
fn snapshot_security_groups_and_connections() {
    let app = App::new();
    let s = stack(&app);
    let lb = group(&s, "LoadBalancer");
    let fleet = group(&s, "Fleet");
    lb.add_ingress(Peer::AnyIpv4, Port::tcp(443), "HTTPS from the internet")
        .unwrap();
    lb.connections()
        .allow_to(&fleet, Port::tcp(8080), "HTTP to the application")
        .unwrap();
    fleet
        .add_egress(
            Peer::AnyIpv4,
            Port::tcp(443),
            "HTTPS to AWS APIs and package mirrors",
        )
        .unwrap();
    let body = stackwright_synth::synthesize(&app).unwrap().bodies[0].clone();
    insta::assert_snapshot!("security_groups_and_connections", body);
}

#[test]
fn a_connection_across_stacks_created_in_either_order_has_no_cycle() {
    let app = App::new();
    // The consumer first.
    let runtime = Stack::new(&app, "Runtime", env()).unwrap();
    let base = Stack::new(&app, "Base", env()).unwrap();
    let vpc = Vpc::new(&base, "Network", VpcProps::staging()).unwrap();
    let db = PostgresDb::new(&base, "Database", &vpc, PostgresDbProps::production()).unwrap();
    let fleet = SecurityGroup::new(
        &runtime,
        "Fleet",
        SecurityGroupProps {
            vpc_id: vpc.vpc_id(),
            description: "Application fleet".into(),
        },
    )
    .unwrap();
    fleet.connections().allow_to_default_port(&db).unwrap();
    let synthesized = stackwright_synth::synthesize(&app).expect("no cycle between the stacks");
    let names: Vec<&str> = synthesized.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Base", "Runtime"]);
    let rt = Template::from_stack(&runtime);
    rt.resource_count_is("AWS::EC2::SecurityGroupIngress", 1);
    rt.resource_count_is("AWS::EC2::SecurityGroupEgress", 1);
}
