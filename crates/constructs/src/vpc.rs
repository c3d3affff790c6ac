//! A multi-AZ VPC: subnet tiers, routing, NAT, flow logs, endpoints.

use std::rc::Rc;
use std::str::FromStr;

use indexmap::IndexMap;
use ipnet::Ipv4Net;
use stackwright_core::{Construct, Pseudo, RemovalPolicy, Resource, Scope, Value, cfn_format};
use stackwright_l1::{ec2, logs, ssm};

use crate::error::{ConstructError, Problems, quote, quote_list};
use crate::iam::{Grantable, PolicyStatement, Role, RoleProps};
use crate::key::{Key, KeyProps};
use crate::security_group::{Peer, Port, SecurityGroup, SecurityGroupProps};

/// What a subnet tier is for, which decides its routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubnetKind {
    /// Routes to an internet gateway: load balancers and NAT gateways live here.
    Public,
    /// Reaches the internet outbound through NAT: the application fleet.
    PrivateWithEgress,
    /// No route beyond the VPC: databases and caches.
    Isolated,
}

/// Where each subnet of a tier sits in the VPC's address space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubnetCidrs {
    /// Subnets of prefix `mask`, the i-th AZ's subnet being block `first + i` of the VPC
    /// cut into blocks of that size. With a 10.0.0.0/16 VPC, `{ mask: 24, first: 101 }`
    /// gives 10.0.101.0/24, 10.0.102.0/24, ...
    Blocks {
        /// The subnets' prefix length.
        mask: u8,
        /// The index of the first AZ's block.
        first: u32,
    },
    /// One CIDR per AZ, in AZ order.
    Explicit(Vec<String>),
}

/// One tier of subnets, one subnet per AZ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetTier {
    /// The tier's name, part of construct paths and so of logical ids (`Public`,
    /// `Private`, `Isolated`).
    pub name: String,
    /// Its routing.
    pub kind: SubnetKind,
    /// Its addresses.
    pub cidrs: SubnetCidrs,
}

impl SubnetTier {
    /// A tier of /`mask` blocks starting at block `first`.
    pub fn blocks(name: &str, kind: SubnetKind, mask: u8, first: u32) -> Self {
        SubnetTier {
            name: name.to_string(),
            kind,
            cidrs: SubnetCidrs::Blocks { mask, first },
        }
    }
}

/// Which availability zones the VPC spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Azs {
    /// The first N zones of the region, as CloudFormation lists them at deploy time
    /// (`Fn::GetAZs`).
    Count(u8),
    /// These zones, by name (`us-east-1a`).
    Named(Vec<String>),
}

/// How private subnets reach the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatGateways {
    /// One per AZ, so losing a zone keeps egress in the others (production).
    PerAz,
    /// One for the whole VPC, in the first zone (staging: about $32/month saved per zone).
    Single,
    /// None: private-with-egress tiers are not allowed then.
    None,
}

/// Where VPC flow logs go.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowLogs {
    /// A KMS-encrypted CloudWatch Logs group kept this many days.
    CloudWatch {
        /// Retention in days (one of CloudWatch's allowed values).
        retention_days: u32,
    },
    /// An S3 bucket, by ARN.
    S3 {
        /// The bucket ARN.
        bucket_arn: Value<String>,
    },
    /// No flow logs. Not recommended: they are how a network incident is investigated.
    Off,
}

/// Interface endpoints that keep AWS API traffic inside the VPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterfaceEndpoint {
    /// ECR's API (`ecr.api`).
    EcrApi,
    /// ECR's image layers (`ecr.dkr`).
    EcrDocker,
    /// Secrets Manager.
    SecretsManager,
    /// CloudWatch Logs.
    Logs,
    /// Systems Manager.
    Ssm,
    /// Session Manager's channel.
    SsmMessages,
    /// The SSM agent's messages.
    Ec2Messages,
    /// KMS.
    Kms,
}

impl InterfaceEndpoint {
    fn service(self) -> &'static str {
        match self {
            InterfaceEndpoint::EcrApi => "ecr.api",
            InterfaceEndpoint::EcrDocker => "ecr.dkr",
            InterfaceEndpoint::SecretsManager => "secretsmanager",
            InterfaceEndpoint::Logs => "logs",
            InterfaceEndpoint::Ssm => "ssm",
            InterfaceEndpoint::SsmMessages => "ssmmessages",
            InterfaceEndpoint::Ec2Messages => "ec2messages",
            InterfaceEndpoint::Kms => "kms",
        }
    }

    fn id(self) -> &'static str {
        match self {
            InterfaceEndpoint::EcrApi => "EcrApi",
            InterfaceEndpoint::EcrDocker => "EcrDocker",
            InterfaceEndpoint::SecretsManager => "SecretsManager",
            InterfaceEndpoint::Logs => "Logs",
            InterfaceEndpoint::Ssm => "Ssm",
            InterfaceEndpoint::SsmMessages => "SsmMessages",
            InterfaceEndpoint::Ec2Messages => "Ec2Messages",
            InterfaceEndpoint::Kms => "Kms",
        }
    }
}

/// Settings of a [`Vpc`]. `Default` is [`VpcProps::production`].
#[derive(Debug, Clone, PartialEq)]
pub struct VpcProps {
    /// The VPC's IPv4 block, /16 to /28. Default: `10.0.0.0/16`.
    pub cidr: String,
    /// The zones. Default: the region's first 2 (`Fn::GetAZs`).
    pub azs: Azs,
    /// The subnet tiers, one subnet per zone in each. Default: [`VpcProps::default_tiers`]:
    /// `Public`, `Private` (with egress through NAT) and `Isolated`, each a /20 per zone
    /// (10.0.0.0/20.., 10.0.64.0/20.., 10.0.128.0/20.. in the default block), room for
    /// four zones per tier.
    pub tiers: Vec<SubnetTier>,
    /// NAT gateways. Default: one per zone.
    pub nat_gateways: NatGateways,
    /// Flow logs. Default: a KMS-encrypted CloudWatch Logs group kept 365 days (a year,
    /// what most audit regimes ask for).
    pub flow_logs: FlowLogs,
    /// The key for the flow log group. Default: a key of the VPC's own.
    pub logs_key: Option<Key>,
    /// A gateway endpoint for S3 on every private and isolated route table. Default: on
    /// (free, and keeps image layers and backups off the NAT bill).
    pub s3_gateway_endpoint: bool,
    /// Interface endpoints, with their own security group admitting HTTPS from the VPC.
    /// Default: none (each costs about $7/month per AZ).
    pub interface_endpoints: Vec<InterfaceEndpoint>,
    /// Strip every rule from the VPC's default security group once, through the AWS
    /// managed runbook `AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules` run by a
    /// Systems Manager association (no Lambda of ours). Default: on.
    pub restrict_default_security_group: bool,
}

impl Default for VpcProps {
    fn default() -> Self {
        VpcProps::production()
    }
}

impl VpcProps {
    /// A production network: 2 zones, public, private and isolated tiers, a NAT gateway
    /// per zone, flow logs kept a year, an S3 gateway endpoint, the default security
    /// group emptied.
    pub fn production() -> Self {
        VpcProps {
            cidr: "10.0.0.0/16".to_string(),
            azs: Azs::Count(2),
            tiers: VpcProps::default_tiers(),
            nat_gateways: NatGateways::PerAz,
            flow_logs: FlowLogs::CloudWatch {
                retention_days: 365,
            },
            logs_key: None,
            s3_gateway_endpoint: true,
            interface_endpoints: Vec::new(),
            restrict_default_security_group: true,
        }
    }

    /// Cheap non-production: the same plan with a single NAT gateway (egress stops if
    /// its zone fails) and flow logs kept 90 days.
    pub fn staging() -> Self {
        VpcProps {
            nat_gateways: NatGateways::Single,
            flow_logs: FlowLogs::CloudWatch { retention_days: 90 },
            ..VpcProps::production()
        }
    }

    /// `Public`, `Private` and `Isolated` tiers of /20 blocks: blocks 0-3, 4-7 and 8-11
    /// of the VPC's block cut into /20s, one per zone.
    pub fn default_tiers() -> Vec<SubnetTier> {
        vec![
            SubnetTier::blocks("Public", SubnetKind::Public, 20, 0),
            SubnetTier::blocks("Private", SubnetKind::PrivateWithEgress, 20, 4),
            SubnetTier::blocks("Isolated", SubnetKind::Isolated, 20, 8),
        ]
    }
}

/// One subnet of a VPC.
#[derive(Debug, Clone, PartialEq)]
pub struct SubnetInfo {
    /// The subnet id.
    pub subnet_id: Value<String>,
    /// Its zone.
    pub availability_zone: Value<String>,
    /// Its route table.
    pub route_table_id: Option<Value<String>>,
    /// Its CIDR block, when known at synth.
    pub cidr: Option<String>,
}

/// What an existing VPC is known by, for [`Vpc::from_attributes`].
#[derive(Debug, Clone, PartialEq)]
pub struct VpcAttributes {
    /// The VPC id.
    pub vpc_id: Value<String>,
    /// Its CIDR block.
    pub cidr_block: Value<String>,
    /// Its zones, in the order of the subnet lists.
    pub availability_zones: Vec<String>,
    /// Public subnet ids, one per zone.
    pub public_subnet_ids: Vec<String>,
    /// Private (with egress) subnet ids, one per zone.
    pub private_subnet_ids: Vec<String>,
    /// Isolated subnet ids, one per zone.
    pub isolated_subnet_ids: Vec<String>,
}

/// AWS's managed runbook that removes every rule of a security group.
const RESTRICT_RUNBOOK: &str = "AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules";

struct VpcInner {
    node: Option<Construct>,
    vpc_id: Value<String>,
    cidr_block: Value<String>,
    azs: Vec<Value<String>>,
    tiers: Vec<(String, SubnetKind, Vec<SubnetInfo>)>,
    resource: Option<Resource<ec2::Vpc>>,
    flow_log_group: Option<Resource<logs::LogGroup>>,
}

/// A VPC across several availability zones with public, private and isolated tiers.
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::vpc::{SubnetKind, Vpc, VpcProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let vpc = Vpc::new(&stack, "Network", VpcProps::production()).unwrap();
/// assert_eq!(vpc.az_count(), 2);
/// assert_eq!(vpc.subnets(SubnetKind::Isolated)[1].cidr.as_deref(), Some("10.0.144.0/20"));
/// ```
#[derive(Clone)]
pub struct Vpc {
    inner: Rc<VpcInner>,
}

/// Zones per region where it is known; an unknown region is not checked.
fn region_az_count(region: &str) -> Option<usize> {
    Some(match region {
        "us-east-1" => 6,
        "us-east-2" | "ca-central-1" | "eu-west-1" | "eu-west-2" | "eu-west-3" | "eu-central-1"
        | "eu-north-1" | "eu-south-1" | "ap-southeast-1" | "ap-southeast-2" | "ap-south-1"
        | "ap-northeast-1" | "ap-northeast-3" | "sa-east-1" | "me-south-1" | "af-south-1" => 3,
        "us-west-2" | "ap-northeast-2" => 4,
        "us-west-1" => 2,
        _ => return None,
    })
}

/// `azs` as written, for an error.
fn azs_as_written(azs: &Azs) -> String {
    match azs {
        Azs::Count(n) => format!("Azs::Count({n})"),
        Azs::Named(names) => format!("Azs::Named({})", quote_list(names)),
    }
}

/// A tier's `cidrs` as written, for an error.
fn cidrs_as_written(cidrs: &SubnetCidrs) -> String {
    match cidrs {
        SubnetCidrs::Blocks { mask, first } => {
            format!("SubnetCidrs::Blocks {{ mask: {mask}, first: {first} }}")
        }
        SubnetCidrs::Explicit(list) => format!("SubnetCidrs::Explicit({})", quote_list(list)),
    }
}

struct Planned {
    vpc: Ipv4Net,
    subnets: Vec<Vec<Ipv4Net>>,
}

fn plan(path: &str, region: &str, props: &VpcProps) -> Result<Planned, ConstructError> {
    let mut problems = Problems::new(path);
    let vpc = match Ipv4Net::from_str(&props.cidr) {
        Ok(n) if n.network() != n.addr() => {
            problems.add(
                "cidr",
                quote(&props.cidr),
                "host bits are set",
                format!("use the network address: {}", n.trunc()),
            );
            n.trunc()
        }
        Ok(n) => n,
        Err(_) => {
            // Every other check needs the VPC's block.
            return Err(problems.stop(
                "cidr",
                quote(&props.cidr),
                "not an IPv4 CIDR block",
                "write it like 10.0.0.0/16",
            ));
        }
    };
    problems.check(
        (16..=28).contains(&vpc.prefix_len()),
        "cidr",
        || quote(&props.cidr),
        format!(
            "a VPC's block is /16 (65,536 addresses) to /28 (16), not /{}",
            vpc.prefix_len()
        ),
        "use a block of /16 to /28, like 10.0.0.0/16",
    );
    let az_count = match &props.azs {
        Azs::Count(n) => usize::from(*n),
        Azs::Named(names) => {
            let mut seen = std::collections::HashSet::new();
            for (i, n) in names.iter().enumerate() {
                problems.check(
                    seen.insert(n.as_str()),
                    format!("azs[{i}]"),
                    || quote(n),
                    "this zone is named twice",
                    "name each zone once; a second subnet in the same zone gives no redundancy",
                );
                problems.check(
                    n.starts_with(region) && n.len() > region.len(),
                    format!("azs[{i}]"),
                    || quote(n),
                    format!("not a zone of {region}, the stack's region"),
                    "name zones of the stack's region, like us-east-1a",
                );
            }
            names.len()
        }
    };
    problems.check(
        az_count >= 1,
        "azs",
        || azs_as_written(&props.azs),
        "no availability zones",
        "span at least one zone; two for anything stateful",
    );
    if let Some(max) = region_az_count(region) {
        problems.check(
            az_count <= max,
            "azs",
            || azs_as_written(&props.azs),
            format!("{az_count} availability zones were asked for, but {region} has {max}"),
            "use fewer zones",
        );
    }
    let mut names = std::collections::HashSet::new();
    let mut subnets = Vec::new();
    for (i, tier) in props.tiers.iter().enumerate() {
        problems.check(
            !tier.name.is_empty() && tier.name.chars().all(|c| c.is_ascii_alphanumeric()),
            format!("tiers[{i}].name"),
            || quote(&tier.name),
            "not usable as a tier name, which becomes part of construct paths",
            "name tiers with letters and digits, like Private",
        );
        problems.check(
            names.insert(tier.name.clone()),
            format!("tiers[{i}].name"),
            || quote(&tier.name),
            "an earlier tier has the same name",
            "give each tier its own name",
        );
        let nets: Vec<Ipv4Net> = match &tier.cidrs {
            SubnetCidrs::Blocks { mask, first } => {
                if *mask < vpc.prefix_len() || *mask > 28 {
                    problems.add(
                        format!("tiers[{i}].cidrs.mask"),
                        mask.to_string(),
                        format!(
                            "tier {} cannot have subnets of that size in a /{} VPC",
                            tier.name,
                            vpc.prefix_len()
                        ),
                        format!("use a mask from /{} to /28", vpc.prefix_len()),
                    );
                    subnets.push(Vec::new());
                    continue;
                }
                let available = 1u64 << (mask - vpc.prefix_len());
                let last = u64::from(*first) + az_count as u64;
                if last > available {
                    problems.add(
                        format!("tiers[{i}].cidrs.first"),
                        first.to_string(),
                        format!(
                            "tier {} needs blocks {first} to {} of /{mask}, one per zone, but {vpc} has only {available} of them",
                            tier.name,
                            last - 1
                        ),
                        "start the tier at a lower block, or use a smaller mask",
                    );
                    subnets.push(Vec::new());
                    continue;
                }
                match vpc.subnets(*mask) {
                    Ok(all) => all.skip(*first as usize).take(az_count).collect(),
                    Err(_) => Vec::new(),
                }
            }
            SubnetCidrs::Explicit(list) => {
                problems.check(
                    list.len() == az_count,
                    format!("tiers[{i}].cidrs"),
                    || cidrs_as_written(&tier.cidrs),
                    format!(
                        "tier {} lists {} CIDRs for {az_count} zones",
                        tier.name,
                        list.len()
                    ),
                    "give one CIDR per zone",
                );
                let mut nets = Vec::new();
                for (j, c) in list.iter().enumerate() {
                    let prop = format!("tiers[{i}].cidrs[{j}]");
                    match Ipv4Net::from_str(c) {
                        Ok(n) if !vpc.contains(&n) => problems.add(
                            prop,
                            quote(c),
                            format!(
                                "this subnet of tier {} is outside the VPC's {vpc}",
                                tier.name
                            ),
                            "pick a block inside the VPC CIDR",
                        ),
                        Ok(n) if n.network() != n.addr() => problems.add(
                            prop,
                            quote(c),
                            format!("this subnet of tier {} has host bits set", tier.name),
                            format!("use the network address: {}", n.trunc()),
                        ),
                        Ok(n) if n.prefix_len() > 28 => problems.add(
                            prop,
                            quote(c),
                            format!("this subnet of tier {} is smaller than /28", tier.name),
                            "AWS subnets are /16 to /28",
                        ),
                        Ok(n) => nets.push(n.trunc()),
                        Err(_) => problems.add(
                            prop,
                            quote(c),
                            format!("not an IPv4 CIDR block (tier {})", tier.name),
                            "write it like 10.0.1.0/24",
                        ),
                    }
                }
                nets
            }
        };
        subnets.push(nets);
    }
    let all: Vec<(usize, Ipv4Net)> = subnets
        .iter()
        .enumerate()
        .flat_map(|(t, nets)| nets.iter().map(move |n| (t, *n)))
        .collect();
    for (i, (ta, a)) in all.iter().enumerate() {
        for (tb, b) in &all[i + 1..] {
            if a.contains(&b.network()) || b.contains(&a.network()) {
                problems.add(
                    format!("tiers[{tb}].cidrs"),
                    cidrs_as_written(&props.tiers[*tb].cidrs),
                    format!(
                        "subnet {b} of tier {} overlaps subnet {a} of tier {}",
                        props.tiers[*tb].name, props.tiers[*ta].name
                    ),
                    "give each tier its own range of blocks",
                );
            }
        }
    }
    let kinds = |k: SubnetKind| props.tiers.iter().any(|t| t.kind == k);
    if kinds(SubnetKind::PrivateWithEgress) {
        problems.check(
            props.nat_gateways != NatGateways::None,
            "nat_gateways",
            || format!("NatGateways::{:?}", props.nat_gateways),
            "a private-with-egress tier reaches the internet through NAT gateways",
            "use NatGateways::Single or PerAz, or make the tier Isolated",
        );
        problems.check(
            props.nat_gateways == NatGateways::None || kinds(SubnetKind::Public),
            "nat_gateways",
            || format!("NatGateways::{:?}", props.nat_gateways),
            "NAT gateways without a public tier to put them in",
            "add a Public tier",
        );
    }
    problems.finish()?;
    Ok(Planned { vpc, subnets })
}

impl Vpc {
    /// Creates the VPC under `scope`, checking the plan first: bad CIDRs, subnets outside
    /// the VPC or overlapping each other, blocks that do not fit and more zones than the
    /// region has are errors here, before anything is added.
    pub fn new(scope: &impl Scope, id: &str, props: VpcProps) -> Result<Vpc, ConstructError> {
        let region = scope.stack().env().region;
        let node = Construct::new(scope, id)?;
        let planned = plan(&node.path(), &region, &props)?;
        let az_count = planned.subnets.first().map_or(
            match &props.azs {
                Azs::Count(n) => usize::from(*n),
                Azs::Named(v) => v.len(),
            },
            Vec::len,
        );

        let vpc = Resource::new(
            &node,
            "Resource",
            ec2::Vpc {
                cidr_block: Some(planned.vpc.to_string().into()),
                enable_dns_hostnames: Some(true.into()),
                enable_dns_support: Some(true.into()),
                tags: Some(vec![ec2::vpc::Tag::new("Name", node.path())]),
                ..Default::default()
            },
        )?;
        let azs: Vec<Value<String>> = match &props.azs {
            Azs::Count(n) => {
                let all = Value::<Vec<String>>::get_azs();
                (0..usize::from(*n))
                    .map(|i| Value::select(i, &all))
                    .collect()
            }
            Azs::Named(names) => names.iter().map(|n| Value::from(n.as_str())).collect(),
        };

        let has_public = props.tiers.iter().any(|t| t.kind == SubnetKind::Public);
        let igw = if has_public {
            let igw = Resource::new(
                &node,
                "InternetGateway",
                ec2::InternetGateway {
                    tags: Some(vec![ec2::internet_gateway::Tag::new("Name", node.path())]),
                },
            )?;
            let attach = Resource::new(
                &node,
                "InternetGatewayAttachment",
                ec2::VpcGatewayAttachment {
                    internet_gateway_id: Some(igw.ref_()),
                    ..ec2::VpcGatewayAttachment::new(vpc.ref_())
                },
            )?;
            Some((igw, attach))
        } else {
            None
        };

        // Public tiers first: NAT gateways must exist before private routes point at them.
        let mut order: Vec<usize> = (0..props.tiers.len()).collect();
        order.sort_by_key(|i| props.tiers[*i].kind != SubnetKind::Public);
        let mut nats: Vec<Value<String>> = Vec::new();
        let mut tiers: Vec<Option<(String, SubnetKind, Vec<SubnetInfo>)>> =
            vec![None; props.tiers.len()];
        for t in order {
            let tier = &props.tiers[t];
            let mut infos = Vec::new();
            for (i, cidr) in planned.subnets[t].iter().enumerate() {
                let sn = Construct::new(&node, &format!("{}Subnet{}", tier.name, i + 1))?;
                let subnet = Resource::new(
                    &sn,
                    "Subnet",
                    ec2::Subnet {
                        availability_zone: Some(azs[i].clone()),
                        cidr_block: Some(cidr.to_string().into()),
                        map_public_ip_on_launch: Some(false.into()),
                        tags: Some(vec![
                            ec2::subnet::Tag::new("Name", sn.path()),
                            ec2::subnet::Tag::new("stackwright:subnet-tier", tier.name.as_str()),
                        ]),
                        ..ec2::Subnet::new(vpc.ref_())
                    },
                )?;
                let table = Resource::new(
                    &sn,
                    "RouteTable",
                    ec2::RouteTable {
                        tags: Some(vec![ec2::route_table::Tag::new("Name", sn.path())]),
                        ..ec2::RouteTable::new(vpc.ref_())
                    },
                )?;
                Resource::new(
                    &sn,
                    "RouteTableAssociation",
                    ec2::SubnetRouteTableAssociation::new(table.ref_(), subnet.ref_()),
                )?;
                match tier.kind {
                    SubnetKind::Public => {
                        let (igw, attach) = igw.as_ref().expect("public tiers have a gateway");
                        let route = Resource::new(
                            &sn,
                            "DefaultRoute",
                            ec2::Route {
                                destination_cidr_block: Some("0.0.0.0/0".into()),
                                gateway_id: Some(igw.ref_()),
                                ..ec2::Route::new(table.ref_())
                            },
                        )?;
                        route.add_dependency(attach);
                        let wants_nat = match props.nat_gateways {
                            NatGateways::PerAz => true,
                            NatGateways::Single => nats.is_empty(),
                            NatGateways::None => false,
                        };
                        let needs_nat = props
                            .tiers
                            .iter()
                            .any(|t| t.kind == SubnetKind::PrivateWithEgress);
                        if wants_nat && needs_nat && nats.len() < az_count {
                            let eip = Resource::new(
                                &sn,
                                "Eip",
                                ec2::Eip {
                                    domain: Some("vpc".into()),
                                    tags: Some(vec![ec2::eip::Tag::new("Name", sn.path())]),
                                    ..Default::default()
                                },
                            )?;
                            eip.add_dependency(attach);
                            let nat = Resource::new(
                                &sn,
                                "NatGateway",
                                ec2::NatGateway {
                                    allocation_id: Some(eip.attr_allocation_id()),
                                    subnet_id: Some(subnet.ref_()),
                                    tags: Some(vec![ec2::nat_gateway::Tag::new("Name", sn.path())]),
                                    ..Default::default()
                                },
                            )?;
                            nats.push(nat.ref_());
                        }
                    }
                    SubnetKind::PrivateWithEgress => {
                        let nat = nats.get(i).or(nats.first()).cloned();
                        if let Some(nat) = nat {
                            Resource::new(
                                &sn,
                                "DefaultRoute",
                                ec2::Route {
                                    destination_cidr_block: Some("0.0.0.0/0".into()),
                                    nat_gateway_id: Some(nat),
                                    ..ec2::Route::new(table.ref_())
                                },
                            )?;
                        }
                    }
                    SubnetKind::Isolated => {}
                }
                infos.push(SubnetInfo {
                    subnet_id: subnet.ref_(),
                    availability_zone: azs[i].clone(),
                    route_table_id: Some(table.ref_()),
                    cidr: Some(cidr.to_string()),
                });
            }
            tiers[t] = Some((tier.name.clone(), tier.kind, infos));
        }
        let tiers: Vec<_> = tiers.into_iter().flatten().collect();
        let inner = VpcInner {
            node: Some(node.clone()),
            vpc_id: vpc.ref_(),
            cidr_block: vpc.attr_cidr_block(),
            azs,
            tiers,
            resource: Some(vpc.clone()),
            flow_log_group: Self::add_flow_logs(&node, &vpc, &props)?,
        };
        let this = Vpc {
            inner: Rc::new(inner),
        };

        if props.s3_gateway_endpoint {
            let tables: Vec<Value<String>> = this
                .inner
                .tiers
                .iter()
                .filter(|(_, k, _)| *k != SubnetKind::Public)
                .flat_map(|(_, _, s)| s.iter().filter_map(|s| s.route_table_id.clone()))
                .collect();
            Resource::new(
                &node,
                "S3Endpoint",
                ec2::VpcEndpoint {
                    route_table_ids: Some(tables.into()),
                    vpc_endpoint_type: Some(ec2::vpc_endpoint::VpcEndpointType::Gateway.into()),
                    service_name: Some(cfn_format!(
                        "com.amazonaws.{}.s3",
                        Value::<String>::pseudo(Pseudo::Region)
                    )),
                    ..ec2::VpcEndpoint::new(vpc.ref_())
                },
            )?;
        }
        if !props.interface_endpoints.is_empty() {
            this.add_interface_endpoints(&node, &props.interface_endpoints)?;
        }
        if props.restrict_default_security_group {
            this.restrict_default_security_group(&node, &vpc)?;
        }
        Ok(this)
    }

    fn add_flow_logs(
        node: &Construct,
        vpc: &Resource<ec2::Vpc>,
        props: &VpcProps,
    ) -> Result<Option<Resource<logs::LogGroup>>, ConstructError> {
        match &props.flow_logs {
            FlowLogs::Off => Ok(None),
            FlowLogs::S3 { bucket_arn } => {
                Resource::new(
                    node,
                    "FlowLog",
                    ec2::FlowLog {
                        log_destination: Some(bucket_arn.clone()),
                        log_destination_type: Some(ec2::flow_log::LogDestinationType::S3.into()),
                        traffic_type: Some(ec2::flow_log::TrafficType::All.into()),
                        ..ec2::FlowLog::new(vpc.ref_(), ec2::flow_log::ResourceType::Vpc)
                    },
                )?;
                Ok(None)
            }
            FlowLogs::CloudWatch { retention_days } => {
                let scope = Construct::new(node, "FlowLogs")?;
                let key = match &props.logs_key {
                    Some(k) => k.clone(),
                    None => Key::new(
                        &scope,
                        "Key",
                        KeyProps::production().with_description("VPC flow log encryption"),
                    )?,
                };
                key.allow_cloudwatch_logs();
                let group = Resource::new(
                    &scope,
                    "LogGroup",
                    logs::LogGroup {
                        kms_key_id: Some(key.arn()),
                        retention_in_days: Some(i64::from(*retention_days).into()),
                        ..Default::default()
                    },
                )?;
                group.apply_removal_policy(RemovalPolicy::Retain);
                let role = Role::new(
                    &scope,
                    "Role",
                    RoleProps {
                        description: Some("Lets VPC flow logs write to their log group".into()),
                        ..RoleProps::for_service("vpc-flow-logs.amazonaws.com")
                    },
                )?;
                role.grant(PolicyStatement::allow(
                    &[
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                    ],
                    vec![group.attr_arn()],
                ))?;
                let flow = Resource::new(
                    &scope,
                    "Resource",
                    ec2::FlowLog {
                        log_group_name: Some(group.ref_()),
                        deliver_logs_permission_arn: Some(role.arn()),
                        log_destination_type: Some(
                            ec2::flow_log::LogDestinationType::CloudWatchLogs.into(),
                        ),
                        traffic_type: Some(ec2::flow_log::TrafficType::All.into()),
                        ..ec2::FlowLog::new(vpc.ref_(), ec2::flow_log::ResourceType::Vpc)
                    },
                )?;
                if let Some(p) = role.default_policy() {
                    flow.add_dependency(&p);
                }
                Ok(Some(group))
            }
        }
    }

    fn add_interface_endpoints(
        &self,
        node: &Construct,
        endpoints: &[InterfaceEndpoint],
    ) -> Result<(), ConstructError> {
        let scope = Construct::new(node, "Endpoints")?;
        let sg = SecurityGroup::new(
            &scope,
            "SecurityGroup",
            SecurityGroupProps {
                vpc_id: self.vpc_id(),
                description: "Interface endpoints: HTTPS from inside the VPC".into(),
            },
        )?;
        sg.add_ingress(
            Peer::Ipv4(self.cidr_block()),
            Port::tcp(443),
            "HTTPS to AWS APIs from inside the VPC",
        )?;
        let subnets = self.preferred_private_subnet_ids();
        for e in endpoints {
            Resource::new(
                &scope,
                e.id(),
                ec2::VpcEndpoint {
                    vpc_endpoint_type: Some(ec2::vpc_endpoint::VpcEndpointType::Interface.into()),
                    private_dns_enabled: Some(true.into()),
                    security_group_ids: Some(vec![sg.group_id()].into()),
                    subnet_ids: Some(subnets.clone()),
                    service_name: Some(cfn_format!(
                        "com.amazonaws.{}.{}",
                        Value::<String>::pseudo(Pseudo::Region),
                        e.service()
                    )),
                    ..ec2::VpcEndpoint::new(self.vpc_id())
                },
            )?;
        }
        Ok(())
    }

    fn restrict_default_security_group(
        &self,
        node: &Construct,
        vpc: &Resource<ec2::Vpc>,
    ) -> Result<(), ConstructError> {
        let scope = Construct::new(node, "RestrictDefaultSecurityGroup")?;
        let role = Role::new(
            &scope,
            "Role",
            RoleProps {
                description: Some(
                    "Lets Systems Manager remove every rule of the VPC's default security group"
                        .into(),
                ),
                ..RoleProps::for_service("ssm.amazonaws.com")
            },
        )?;
        let group_arn = cfn_format!(
            "arn:{}:ec2:{}:{}:security-group/{}",
            Value::<String>::pseudo(Pseudo::Partition),
            Value::<String>::pseudo(Pseudo::Region),
            Value::<String>::pseudo(Pseudo::AccountId),
            vpc.attr_default_security_group()
        );
        role.grant(PolicyStatement::allow(
            &[
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
            ],
            vec![group_arn],
        ))?;
        // Describe calls take no resource ARN; this one only reads.
        role.grant(PolicyStatement::allow(
            &["ec2:DescribeSecurityGroups"],
            vec![Value::from("*")],
        ))?;
        // The runbook runs as this role and tracks its own execution.
        role.grant(PolicyStatement::allow(
            &["ssm:StartAutomationExecution"],
            vec![cfn_format!(
                "arn:{}:ssm:{}:{}:automation-definition/{}:*",
                Value::<String>::pseudo(Pseudo::Partition),
                Value::<String>::pseudo(Pseudo::Region),
                Value::<String>::pseudo(Pseudo::AccountId),
                RESTRICT_RUNBOOK
            )],
        ))?;
        role.grant(PolicyStatement::allow(
            &["ssm:GetAutomationExecution"],
            vec![cfn_format!(
                "arn:{}:ssm:{}:{}:automation-execution/*",
                Value::<String>::pseudo(Pseudo::Partition),
                Value::<String>::pseudo(Pseudo::Region),
                Value::<String>::pseudo(Pseudo::AccountId)
            )],
        ))?;
        let mut parameters: IndexMap<String, Value<Vec<String>>> = IndexMap::new();
        parameters.insert(
            "GroupId".into(),
            vec![vpc.attr_default_security_group()].into(),
        );
        parameters.insert("AutomationAssumeRole".into(), vec![role.arn()].into());
        let assoc = Resource::new(
            &scope,
            "Association",
            ssm::Association {
                parameters: Some(Value::from_expr(stackwright_core::Expr::Object(
                    parameters
                        .into_iter()
                        .map(|(k, v)| (k, v.into_expr()))
                        .collect(),
                ))),
                ..ssm::Association::new(RESTRICT_RUNBOOK)
            },
        )?;
        if let Some(p) = role.default_policy() {
            assoc.add_dependency(&p);
        }
        Ok(())
    }

    /// A VPC created elsewhere, known by its ids. Nothing is added to the template.
    pub fn from_attributes(attrs: VpcAttributes) -> Vpc {
        let subnets = |ids: &[String],
                       kind: SubnetKind,
                       name: &str|
         -> (String, SubnetKind, Vec<SubnetInfo>) {
            (
                name.to_string(),
                kind,
                ids.iter()
                    .enumerate()
                    .map(|(i, id)| SubnetInfo {
                        subnet_id: Value::from(id.as_str()),
                        availability_zone: Value::from(
                            attrs.availability_zones.get(i).cloned().unwrap_or_default(),
                        ),
                        route_table_id: None,
                        cidr: None,
                    })
                    .collect(),
            )
        };
        let tiers = vec![
            subnets(
                &attrs.private_subnet_ids,
                SubnetKind::PrivateWithEgress,
                "Private",
            ),
            subnets(&attrs.public_subnet_ids, SubnetKind::Public, "Public"),
            subnets(&attrs.isolated_subnet_ids, SubnetKind::Isolated, "Isolated"),
        ]
        .into_iter()
        .filter(|(_, _, s)| !s.is_empty())
        .collect();
        Vpc {
            inner: Rc::new(VpcInner {
                node: None,
                vpc_id: attrs.vpc_id.clone(),
                cidr_block: attrs.cidr_block.clone(),
                azs: attrs
                    .availability_zones
                    .iter()
                    .map(|z| Value::from(z.as_str()))
                    .collect(),
                tiers,
                resource: None,
                flow_log_group: None,
            }),
        }
    }

    /// The VPC id.
    pub fn vpc_id(&self) -> Value<String> {
        self.inner.vpc_id.clone()
    }

    /// The VPC's IPv4 block.
    pub fn cidr_block(&self) -> Value<String> {
        self.inner.cidr_block.clone()
    }

    /// How many zones it spans.
    pub fn az_count(&self) -> usize {
        self.inner.azs.len()
    }

    /// Its zones.
    pub fn availability_zones(&self) -> &[Value<String>] {
        &self.inner.azs
    }

    /// Every subnet of every tier of `kind`, tier by tier.
    pub fn subnets(&self, kind: SubnetKind) -> Vec<SubnetInfo> {
        self.inner
            .tiers
            .iter()
            .filter(|(_, k, _)| *k == kind)
            .flat_map(|(_, _, s)| s.iter().cloned())
            .collect()
    }

    /// The subnets of the tier called `name`.
    pub fn tier(&self, name: &str) -> Option<&[SubnetInfo]> {
        self.inner
            .tiers
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, s)| s.as_slice())
    }

    /// The ids of the subnets of `kind`, as a list value.
    pub fn subnet_ids(&self, kind: SubnetKind) -> Value<Vec<String>> {
        self.subnets(kind)
            .into_iter()
            .map(|s| s.subnet_id)
            .collect::<Vec<_>>()
            .into()
    }

    /// Private-with-egress subnets, or isolated ones where there are none.
    fn preferred_private_subnet_ids(&self) -> Value<Vec<String>> {
        if self.subnets(SubnetKind::PrivateWithEgress).is_empty() {
            self.subnet_ids(SubnetKind::Isolated)
        } else {
            self.subnet_ids(SubnetKind::PrivateWithEgress)
        }
    }

    /// The L1 VPC, when this construct created it.
    pub fn resource(&self) -> Option<&Resource<ec2::Vpc>> {
        self.inner.resource.as_ref()
    }

    /// The log group the flow logs go to, with `FlowLogs::CloudWatch`.
    pub fn flow_log_group(&self) -> Option<&Resource<logs::LogGroup>> {
        self.inner.flow_log_group.as_ref()
    }

    /// The construct node, when this construct created the VPC.
    pub fn node(&self) -> Option<&Construct> {
        self.inner.node.as_ref()
    }

    /// The VPC as a construct's error names it: its path, or how it was imported.
    pub(crate) fn as_written(&self) -> String {
        self.node()
            .map_or_else(|| "Vpc::from_attributes(..)".to_string(), |n| n.path())
    }
}
