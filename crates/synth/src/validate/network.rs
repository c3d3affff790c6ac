//! Rules across the resources of one template that EC2, RDS and Elastic Load Balancing
//! check when they create them: a subnet lies inside its VPC's address ranges and does
//! not overlap another subnet of that VPC (`InvalidSubnet.Range`,
//! `InvalidSubnet.Conflict`), and a DB subnet group or an application load balancer
//! spans at least two Availability Zones.
//!
//! Subnets whose VPC another stack of the app exports are held to that VPC too
//! ([`check_across`]).
//!
//! Only what the template states literally is compared: a CIDR or a zone an intrinsic
//! function decides (a parameter, `Fn::Cidr`) is known at deploy time and is skipped.

use std::collections::HashMap;

use ipnet::Ipv4Net;
use serde_json::{Map, Value as Json};
use stackwright_core::Diagnostic;

/// One subnet of the template, as far as it is known.
struct Subnet<'t> {
    id: &'t str,
    vpc: Option<&'t str>,
    cidr: Option<Ipv4Net>,
    zone: Option<String>,
}

/// Checks the subnets and what spans them in one template's `Resources`; `path_of` gives
/// a logical id's construct path.
pub(crate) fn check(
    resources: &Map<String, Json>,
    path_of: &dyn Fn(&str) -> String,
    out: &mut Vec<Diagnostic>,
) {
    let of_type = |t: &'static str| {
        resources
            .iter()
            .filter(move |(_, b)| b.get("Type").and_then(Json::as_str) == Some(t))
            .filter_map(move |(id, b)| Some((id.as_str(), b.get("Properties")?.as_object()?)))
    };
    // Each VPC's literal ranges: its CidrBlock and the VPCCidrBlock resources added to it.
    let mut ranges: HashMap<&str, Vec<Ipv4Net>> = HashMap::new();
    for (id, p) in of_type("AWS::EC2::VPC") {
        if let Some(net) = cidr(p.get("CidrBlock")) {
            ranges.entry(id).or_default().push(net);
        } else {
            // A range from IPAM or a parameter: nothing to compare with.
            ranges.insert(id, Vec::new());
        }
    }
    for (_, p) in of_type("AWS::EC2::VPCCidrBlock") {
        if let (Some(vpc), Some(net)) = (ref_target(p.get("VpcId")), cidr(p.get("CidrBlock")))
            && let Some(r) = ranges.get_mut(vpc)
        {
            r.push(net);
        }
    }
    let subnets: Vec<Subnet> = of_type("AWS::EC2::Subnet")
        .map(|(id, p)| Subnet {
            id,
            vpc: ref_target(p.get("VpcId")),
            cidr: cidr(p.get("CidrBlock")),
            zone: zone(p),
        })
        .collect();

    for (i, s) in subnets.iter().enumerate() {
        let (Some(vpc), Some(net)) = (s.vpc, s.cidr) else {
            continue;
        };
        if let Some(vpc_ranges) = ranges.get(vpc).filter(|r| !r.is_empty())
            && !vpc_ranges.iter().any(|r| r.contains(&net))
        {
            let list: Vec<String> = vpc_ranges.iter().map(ToString::to_string).collect();
            out.push(
                Diagnostic::error(
                    "subnet-outside-vpc",
                    path_of(s.id),
                    format!(
                        "the subnet's CidrBlock {net} is not inside its VPC '{vpc}' ({})",
                        list.join(", ")
                    ),
                )
                .with_hint("choose a range inside the VPC's CIDR, or add the range to the VPC with an AWS::EC2::VPCCidrBlock"),
            );
        }
        for other in &subnets[..i] {
            if other.vpc == Some(vpc)
                && let Some(o) = other.cidr
                && (o.contains(&net) || net.contains(&o))
            {
                out.push(
                    Diagnostic::error(
                        "subnet-overlap",
                        path_of(s.id),
                        format!(
                            "the subnet's CidrBlock {net} overlaps {o} of subnet '{}' in the same VPC",
                            other.id
                        ),
                    )
                    .with_hint("give each subnet of a VPC its own range"),
                );
            }
        }
    }

    let by_id: HashMap<&str, &Subnet> = subnets.iter().map(|s| (s.id, s)).collect();
    let spans = |ids: Option<&Json>| -> Option<(usize, usize)> {
        let Json::Array(items) = ids? else {
            return None;
        };
        let mut zones: Vec<&str> = Vec::new();
        for item in items {
            let zone = by_id.get(ref_target(Some(item))?)?.zone.as_deref()?;
            if !zones.contains(&zone) {
                zones.push(zone);
            }
        }
        Some((items.len(), zones.len()))
    };
    let mut two_zones = |id: &str, what: &str, key: &str, ids: Option<&Json>| {
        if let Some((count, zones)) = spans(ids)
            && zones < 2
        {
            out.push(
                Diagnostic::error(
                    "single-zone",
                    path_of(id),
                    format!("{what} lists {count} subnet(s) in {zones} Availability Zone(s) under {key}; it needs subnets in at least two zones"),
                )
                .with_hint("add a subnet of another Availability Zone"),
            );
        }
    };
    for (id, p) in of_type("AWS::RDS::DBSubnetGroup") {
        two_zones(id, "the DB subnet group", "SubnetIds", p.get("SubnetIds"));
    }
    for (id, p) in of_type("AWS::ElasticLoadBalancingV2::LoadBalancer") {
        let application = p
            .get("Type")
            .map_or(Some(true), |t| t.as_str().map(|t| t == "application"));
        if application == Some(true) {
            two_zones(
                id,
                "the application load balancer",
                "Subnets",
                p.get("Subnets"),
            );
        }
    }
}

/// A subnet of any stack of the app, with the VPC it names as (stack, logical id).
struct PlacedSubnet<'t> {
    stack: usize,
    id: &'t str,
    vpc: (usize, &'t str),
    cidr: Ipv4Net,
}

/// The same rules for subnets in one stack whose VPC another stack exports: `VpcId` is
/// the `Fn::ImportValue` of an export whose value is the `Ref` of an `AWS::EC2::VPC`.
/// Pairs within the VPC's own template are [`check`]'s; this reports what involves a
/// subnet of another stack. `path_of(stack, id)` gives a logical id's construct path.
pub(crate) fn check_across<'t>(
    stacks: &[&'t Map<String, Json>],
    region_of: &dyn Fn(usize) -> (&'t str, &'t str),
    path_of: &dyn Fn(usize, &str) -> String,
    out: &mut Vec<Diagnostic>,
) {
    let resources = |i: usize| -> Option<&'t Map<String, Json>> {
        stacks[i].get("Resources").and_then(Json::as_object)
    };
    // Export name (per account and region) -> the VPC it hands out.
    let mut vpc_exports: HashMap<(&str, &str, &str), (usize, &'t str)> = HashMap::new();
    for (i, t) in stacks.iter().enumerate() {
        let outputs = t.get("Outputs").and_then(Json::as_object);
        for o in outputs.into_iter().flat_map(|o| o.values()) {
            let (Some(name), Some(vpc)) = (
                o.pointer("/Export/Name").and_then(Json::as_str),
                ref_target(o.get("Value")),
            ) else {
                continue;
            };
            let is_vpc = resources(i)
                .and_then(|r| r.get(vpc))
                .and_then(|b| b.get("Type"))
                .and_then(Json::as_str)
                == Some("AWS::EC2::VPC");
            if is_vpc {
                let (account, region) = region_of(i);
                vpc_exports.insert((account, region, name), (i, vpc));
            }
        }
    }
    if vpc_exports.is_empty() {
        return;
    }
    let mut subnets = Vec::new();
    let mut ranges: HashMap<(usize, &str), Vec<Ipv4Net>> = HashMap::new();
    for i in 0..stacks.len() {
        for (id, body) in resources(i).into_iter().flatten() {
            let Some(p) = body.get("Properties").and_then(Json::as_object) else {
                continue;
            };
            let vpc = match ref_target(p.get("VpcId")) {
                Some(local) => Some((i, local)),
                None => imported(p.get("VpcId")).and_then(|name| {
                    let (account, region) = region_of(i);
                    vpc_exports.get(&(account, region, name)).copied()
                }),
            };
            match body.get("Type").and_then(Json::as_str) {
                Some("AWS::EC2::VPC") => {
                    if let Some(net) = cidr(p.get("CidrBlock")) {
                        ranges.entry((i, id.as_str())).or_default().push(net);
                    }
                }
                Some("AWS::EC2::VPCCidrBlock") => {
                    if let (Some(vpc), Some(net)) = (vpc, cidr(p.get("CidrBlock"))) {
                        ranges.entry(vpc).or_default().push(net);
                    }
                }
                Some("AWS::EC2::Subnet") => {
                    if let (Some(vpc), Some(net)) = (vpc, cidr(p.get("CidrBlock"))) {
                        subnets.push(PlacedSubnet {
                            stack: i,
                            id,
                            vpc,
                            cidr: net,
                        });
                    }
                }
                _ => {}
            }
        }
    }
    let away = |s: &PlacedSubnet| s.stack != s.vpc.0;
    for (n, s) in subnets.iter().enumerate() {
        let (vpc_stack, vpc_id) = s.vpc;
        if away(s)
            && let Some(r) = ranges.get(&s.vpc).filter(|r| !r.is_empty())
            && !r.iter().any(|r| r.contains(&s.cidr))
        {
            let list: Vec<String> = r.iter().map(ToString::to_string).collect();
            out.push(
                Diagnostic::error(
                    "subnet-outside-vpc",
                    path_of(s.stack, s.id),
                    format!(
                        "the subnet's CidrBlock {} is not inside the VPC it imports, {} ({})",
                        s.cidr,
                        path_of(vpc_stack, vpc_id),
                        list.join(", ")
                    ),
                )
                .with_hint("choose a range inside the VPC's CIDR, or add the range to the VPC with an AWS::EC2::VPCCidrBlock"),
            );
        }
        for other in &subnets[..n] {
            let overlap = other.cidr.contains(&s.cidr) || s.cidr.contains(&other.cidr);
            if other.vpc == s.vpc && (away(s) || away(other)) && overlap {
                out.push(
                    Diagnostic::error(
                        "subnet-overlap",
                        path_of(s.stack, s.id),
                        format!(
                            "the subnet's CidrBlock {} overlaps {} of subnet {} in the same VPC",
                            s.cidr,
                            other.cidr,
                            path_of(other.stack, other.id)
                        ),
                    )
                    .with_hint("give each subnet of a VPC its own range"),
                );
            }
        }
    }
}

/// The literal export name of `{"Fn::ImportValue": name}`.
fn imported(v: Option<&Json>) -> Option<&str> {
    let o = v?.as_object()?;
    (o.len() == 1).then(|| o.get("Fn::ImportValue")?.as_str())?
}

fn cidr(v: Option<&Json>) -> Option<Ipv4Net> {
    v?.as_str()?.parse::<Ipv4Net>().ok().map(|n| n.trunc())
}

/// The logical id a `{"Ref": id}` names.
fn ref_target(v: Option<&Json>) -> Option<&str> {
    let o = v?.as_object()?;
    (o.len() == 1).then(|| o.get("Ref")?.as_str())?
}

/// The subnet's zone as far as the template says: a literal name or id, or the index into
/// `Fn::GetAZs` of the stack's own region.
fn zone(p: &Map<String, Json>) -> Option<String> {
    if let Some(Json::String(z)) = p.get("AvailabilityZone") {
        return Some(z.clone());
    }
    if let Some(Json::String(z)) = p.get("AvailabilityZoneId") {
        return Some(format!("id:{z}"));
    }
    let select = p.get("AvailabilityZone")?.get("Fn::Select")?.as_array()?;
    let [index, list] = select.as_slice() else {
        return None;
    };
    let index = match index {
        Json::Number(n) => n.as_u64()?,
        Json::String(s) => s.parse().ok()?,
        _ => return None,
    };
    let azs = list.get("Fn::GetAZs")?;
    let own_region =
        azs.as_str() == Some("") || azs.get("Ref").and_then(Json::as_str) == Some("AWS::Region");
    own_region.then(|| format!("index:{index}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn findings(resources: Json) -> Vec<(String, String)> {
        let mut out = Vec::new();
        check(
            resources.as_object().unwrap(),
            &|id| format!("S/{id}"),
            &mut out,
        );
        out.into_iter()
            .map(|d| (d.code.to_string(), d.path))
            .collect()
    }

    fn subnet(cidr: &str, az: Json) -> Json {
        json!({"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": cidr, "AvailabilityZone": az}})
    }

    fn az(i: u64) -> Json {
        json!({"Fn::Select": [i, {"Fn::GetAZs": ""}]})
    }

    #[test]
    fn subnets_inside_their_vpc_and_apart() {
        let f = findings(json!({
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Extra": {"Type": "AWS::EC2::VPCCidrBlock", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.1.0.0/16"}},
            "A": subnet("10.0.0.0/24", az(0)),
            "B": subnet("10.1.0.0/24", az(1)),
            "Outside": subnet("10.2.0.0/24", az(0)),
            "Overlap": subnet("10.0.0.128/25", az(1)),
            "FromCidr": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"},
                "CidrBlock": {"Fn::Select": [0, {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}]}}},
        }));
        assert_eq!(
            f,
            [
                ("subnet-outside-vpc".to_string(), "S/Outside".to_string()),
                ("subnet-overlap".to_string(), "S/Overlap".to_string())
            ]
        );
    }

    #[test]
    fn subnets_of_an_imported_vpc_are_held_to_it_across_stacks() {
        let network = json!({
            "Resources": {
                "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
                "A": subnet("10.0.0.0/24", az(0)),
            },
            "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}, "Export": {"Name": "net-vpc"}}},
        });
        let import = |cidr: &str| {
            json!({"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Fn::ImportValue": "net-vpc"}, "CidrBlock": cidr}})
        };
        let app = json!({"Resources": {
            "Inside": import("10.0.1.0/24"),
            "Outside": import("10.9.0.0/24"),
            "OnA": import("10.0.0.0/25"),
            "Elsewhere": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Fn::ImportValue": "other-vpc"}, "CidrBlock": "10.9.0.0/24"}},
        }});
        let stacks = [network.as_object().unwrap(), app.as_object().unwrap()];
        let mut out = Vec::new();
        check_across(
            &stacks,
            &|_| ("123456789012", "us-east-1"),
            &|i, id| format!("{}/{id}", ["Net", "App"][i]),
            &mut out,
        );
        let f: Vec<(&str, &str)> = out.iter().map(|d| (d.code, d.path.as_str())).collect();
        assert_eq!(
            f,
            [
                ("subnet-outside-vpc", "App/Outside"),
                ("subnet-overlap", "App/OnA")
            ]
        );
        assert!(
            out[1]
                .message
                .ends_with("overlaps 10.0.0.0/24 of subnet Net/A in the same VPC")
        );
    }

    #[test]
    fn subnet_groups_and_load_balancers_span_two_zones() {
        let f = findings(json!({
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "A": subnet("10.0.0.0/24", az(0)),
            "B": subnet("10.0.1.0/24", az(0)),
            "C": subnet("10.0.2.0/24", json!("us-east-1b")),
            "OneZone": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {"DBSubnetGroupDescription": "d", "SubnetIds": [{"Ref": "A"}, {"Ref": "B"}]}},
            "TwoZones": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {"DBSubnetGroupDescription": "d", "SubnetIds": [{"Ref": "A"}, {"Ref": "C"}]}},
            "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": [{"Ref": "A"}]}},
            "Nlb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Type": "network", "Subnets": [{"Ref": "A"}]}},
            "Imported": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {"DBSubnetGroupDescription": "d", "SubnetIds": [{"Ref": "A"}, "subnet-0abc"]}}
        }));
        assert_eq!(
            f,
            [
                ("single-zone".to_string(), "S/OneZone".to_string()),
                ("single-zone".to_string(), "S/Alb".to_string())
            ]
        );
    }
}
