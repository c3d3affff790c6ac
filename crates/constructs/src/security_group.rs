//! Security groups, ports and connections between constructs.
//!
//! Groups start with no egress: CloudFormation's implicit allow-all egress is replaced by a
//! rule that matches nothing, and connections open exactly what is asked, on both sides.
//! Rules between two groups are separate `SecurityGroupIngress`/`SecurityGroupEgress`
//! resources, so groups that allow each other never reference each other and no cycle can
//! form. Every rule has a description.

use std::cell::RefCell;
use std::rc::Rc;

use stackwright_core::{Construct, CoreError, Expr, Resource, Scope, Value};
use stackwright_l1::ec2;

use crate::error::{ConstructError, quote};

/// An IP protocol and port range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    protocol: &'static str,
    from: i64,
    to: i64,
}

impl Port {
    /// One TCP port.
    pub fn tcp(port: u16) -> Port {
        Port::tcp_range(port, port)
    }

    /// A range of TCP ports.
    pub fn tcp_range(from: u16, to: u16) -> Port {
        Port {
            protocol: "tcp",
            from: from.into(),
            to: to.into(),
        }
    }

    /// Every TCP port.
    pub fn all_tcp() -> Port {
        Port::tcp_range(0, 65535)
    }

    /// One UDP port.
    pub fn udp(port: u16) -> Port {
        Port {
            protocol: "udp",
            from: port.into(),
            to: port.into(),
        }
    }

    /// Every protocol and port.
    pub fn all_traffic() -> Port {
        Port {
            protocol: "-1",
            from: -1,
            to: -1,
        }
    }

    /// The first port of the range.
    pub fn from_port(&self) -> i64 {
        self.from
    }

    /// A short label for ids and descriptions: `tcp5432`, `tcp1024-2048`, `all`.
    pub fn label(&self) -> String {
        match (self.protocol, self.from == self.to) {
            ("-1", _) => "all".to_string(),
            (p, true) => format!("{p}{}", self.from),
            (p, false) => format!("{p}{}-{}", self.from, self.to),
        }
    }

    fn is_web(&self) -> bool {
        self.protocol == "tcp" && self.from == self.to && (self.from == 80 || self.from == 443)
    }
}

/// A CIDR block for rules that are not between two groups.
#[derive(Debug, Clone, PartialEq)]
pub enum Peer {
    /// An IPv4 CIDR block, such as the VPC's own.
    Ipv4(Value<String>),
    /// Any IPv4 address (0.0.0.0/0).
    AnyIpv4,
    /// Any IPv6 address (::/0).
    AnyIpv6,
    /// A managed prefix list, such as the S3 gateway's.
    PrefixList(Value<String>),
}

impl Peer {
    fn is_world(&self) -> bool {
        matches!(self, Peer::AnyIpv4 | Peer::AnyIpv6)
            || matches!(self, Peer::Ipv4(v) if v.expr().as_literal_str().as_deref() == Some("0.0.0.0/0"))
    }

    fn ingress(&self, port: &Port, description: &str) -> ec2::security_group::Ingress {
        let mut rule = ec2::security_group::Ingress {
            description: Some(description.into()),
            from_port: Some(port.from.into()),
            to_port: Some(port.to.into()),
            ..ec2::security_group::Ingress::new(port.protocol)
        };
        match self {
            Peer::Ipv4(c) => rule.cidr_ip = Some(c.clone()),
            Peer::AnyIpv4 => rule.cidr_ip = Some("0.0.0.0/0".into()),
            Peer::AnyIpv6 => rule.cidr_ipv6 = Some("::/0".into()),
            Peer::PrefixList(id) => rule.source_prefix_list_id = Some(id.clone()),
        }
        rule
    }

    fn egress(&self, port: &Port, description: &str) -> ec2::security_group::Egress {
        let mut rule = ec2::security_group::Egress {
            description: Some(description.into()),
            from_port: Some(port.from.into()),
            to_port: Some(port.to.into()),
            ..ec2::security_group::Egress::new(port.protocol)
        };
        match self {
            Peer::Ipv4(c) => rule.cidr_ip = Some(c.clone()),
            Peer::AnyIpv4 => rule.cidr_ip = Some("0.0.0.0/0".into()),
            Peer::AnyIpv6 => rule.cidr_ipv6 = Some("::/0".into()),
            Peer::PrefixList(id) => rule.destination_prefix_list_id = Some(id.clone()),
        }
        rule
    }

    /// The peer as written, for an error.
    fn as_written(&self) -> String {
        match self {
            Peer::Ipv4(c) => c
                .expr()
                .as_literal_str()
                .map_or("Peer::Ipv4(..)".to_string(), |s| {
                    format!("Peer::Ipv4('{s}')")
                }),
            Peer::AnyIpv4 => "Peer::AnyIpv4".into(),
            Peer::AnyIpv6 => "Peer::AnyIpv6".into(),
            Peer::PrefixList(_) => "Peer::PrefixList(..)".into(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Peer::Ipv4(c) => c
                .expr()
                .as_literal_str()
                .map_or("a CIDR block".to_string(), |s| s.into_owned()),
            Peer::AnyIpv4 => "0.0.0.0/0".into(),
            Peer::AnyIpv6 => "::/0".into(),
            Peer::PrefixList(_) => "a prefix list".into(),
        }
    }
}

/// Settings of a [`SecurityGroup`].
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityGroupProps {
    /// The VPC id. Default: none; required.
    pub vpc_id: Value<String>,
    /// What the group is for; shown in the console. Default: none; required by AWS.
    pub description: String,
}

#[derive(Default)]
struct Rules {
    ingress: Vec<ec2::security_group::Ingress>,
    egress: Vec<ec2::security_group::Egress>,
    /// Ports deliberately open to the internet, with why.
    open_to_world: Vec<(String, String)>,
}

/// A VPC security group with no implicit egress.
///
/// ```
/// use stackwright_core::{App, Env, Stack};
/// use stackwright_constructs::security_group::{Peer, Port, SecurityGroup, SecurityGroupProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
/// let sg = SecurityGroup::new(&stack, "Web", SecurityGroupProps {
///     vpc_id: "vpc-1234".into(),
///     description: "Load balancer".into(),
/// }).unwrap();
/// sg.add_ingress(Peer::AnyIpv4, Port::tcp(443), "HTTPS from anywhere").unwrap();
/// assert!(sg.add_ingress(Peer::AnyIpv4, Port::tcp(22), "SSH").is_err(), "only 80 and 443 may be open to the world");
/// ```
#[derive(Clone)]
pub struct SecurityGroup {
    node: Construct,
    resource: Resource<ec2::SecurityGroup>,
    rules: Rc<RefCell<Rules>>,
}

/// The rule CDK also uses to stand for "no egress": ICMP type 252 code 86 to a host
/// address that cannot exist. Its presence replaces CloudFormation's allow-all default.
fn no_egress_rule() -> ec2::security_group::Egress {
    ec2::security_group::Egress {
        cidr_ip: Some("255.255.255.255/32".into()),
        description: Some("Disallow all traffic".into()),
        from_port: Some(252.into()),
        to_port: Some(86.into()),
        ..ec2::security_group::Egress::new("icmp")
    }
}

impl SecurityGroup {
    /// Creates the group under `scope`.
    pub fn new(
        scope: &impl Scope,
        id: &str,
        props: SecurityGroupProps,
    ) -> Result<Self, ConstructError> {
        let node = Construct::new(scope, id)?;
        if props.description.trim().is_empty() {
            return Err(ConstructError::invalid(
                node.path(),
                "description",
                quote(&props.description),
                "the security group description is empty",
                "say what the group protects; AWS shows it in every listing",
            ));
        }
        let resource = Resource::new(
            &node,
            "Resource",
            ec2::SecurityGroup {
                vpc_id: Some(props.vpc_id),
                security_group_egress: Some(vec![]),
                ..ec2::SecurityGroup::new(props.description.as_str())
            },
        )?;
        let sg = SecurityGroup {
            node,
            resource,
            rules: Rc::new(RefCell::new(Rules::default())),
        };
        sg.render();
        Ok(sg)
    }

    /// The group id (`sg-...`).
    pub fn group_id(&self) -> Value<String> {
        self.resource.attr_group_id()
    }

    /// The L1 group, for anything the props do not cover.
    pub fn resource(&self) -> &Resource<ec2::SecurityGroup> {
        &self.resource
    }

    /// Allows traffic from a CIDR peer. Opening anything but ports 80 and 443 to the whole
    /// internet is refused; see [`SecurityGroup::add_ingress_open_to_world`].
    pub fn add_ingress(
        &self,
        peer: Peer,
        port: Port,
        description: &str,
    ) -> Result<(), ConstructError> {
        if peer.is_world() && !port.is_web() {
            return Err(ConstructError::invalid(
                self.node.path(),
                "peer",
                peer.as_written(),
                format!(
                    "ingress from {} on {} would open it to the whole internet",
                    peer.describe(),
                    port.label()
                ),
                "allow it from a security group or a narrower CIDR, or use add_ingress_open_to_world with the reason",
            ));
        }
        self.push_ingress(peer, port, description)
    }

    /// Allows traffic from anywhere on a port other than 80/443, recording `reason` in the
    /// template metadata where reviewers and scanners see it.
    pub fn add_ingress_open_to_world(
        &self,
        peer: Peer,
        port: Port,
        description: &str,
        reason: &str,
    ) -> Result<(), ConstructError> {
        if reason.trim().is_empty() {
            return Err(ConstructError::invalid(
                self.node.path(),
                "reason",
                quote(reason),
                format!(
                    "{} is opened to the internet without a reason",
                    port.label()
                ),
                "say why this port must be reachable from anywhere; the reason is recorded in the template",
            ));
        }
        let entry = (port.label(), reason.to_string());
        let mut rules = self.rules.borrow_mut();
        if !rules.open_to_world.contains(&entry) {
            rules.open_to_world.push(entry);
        }
        let record = Expr::List(
            rules
                .open_to_world
                .iter()
                .map(|(port, reason)| {
                    Expr::object([("Port", Expr::str(port)), ("Reason", Expr::str(reason))])
                })
                .collect(),
        );
        drop(rules);
        self.resource
            .add_metadata("stackwright:open-ingress", record);
        self.push_ingress(peer, port, description)
    }

    fn push_ingress(
        &self,
        peer: Peer,
        port: Port,
        description: &str,
    ) -> Result<(), ConstructError> {
        check_description(&self.node, description)?;
        let rule = peer.ingress(&port, description);
        let mut rules = self.rules.borrow_mut();
        if !rules.ingress.contains(&rule) {
            rules.ingress.push(rule);
        }
        drop(rules);
        self.render();
        Ok(())
    }

    /// Allows traffic to a CIDR peer.
    pub fn add_egress(
        &self,
        peer: Peer,
        port: Port,
        description: &str,
    ) -> Result<(), ConstructError> {
        check_description(&self.node, description)?;
        let rule = peer.egress(&port, description);
        let mut rules = self.rules.borrow_mut();
        if !rules.egress.contains(&rule) {
            rules.egress.push(rule);
        }
        drop(rules);
        self.render();
        Ok(())
    }

    fn render(&self) {
        let rules = self.rules.borrow();
        let ingress = rules.ingress.clone();
        let egress = if rules.egress.is_empty() {
            vec![no_egress_rule()]
        } else {
            rules.egress.clone()
        };
        self.resource.edit(|sg| {
            sg.security_group_ingress = (!ingress.is_empty()).then_some(ingress);
            sg.security_group_egress = Some(egress);
        });
    }

    /// Connections of this group alone, with no default port.
    pub fn connections(&self) -> Connections {
        Connections::new(vec![self.clone()], None)
    }
}

impl Scope for SecurityGroup {
    fn scope_ref(&self) -> (stackwright_core::AppRef, stackwright_core::ElementId) {
        self.node.scope_ref()
    }
}

fn check_description(node: &Construct, description: &str) -> Result<(), ConstructError> {
    if description.trim().is_empty() {
        return Err(ConstructError::invalid(
            node.path(),
            "description",
            quote(description),
            "a security group rule has no description",
            "say why the traffic is allowed; reviewers and scanners read it",
        ));
    }
    Ok(())
}

/// The security groups of a construct and the port clients reach it on.
#[derive(Clone)]
pub struct Connections {
    groups: Vec<SecurityGroup>,
    default_port: Option<Port>,
}

/// A construct that network traffic can be allowed to or from.
pub trait Connectable {
    /// Its connections.
    fn connections(&self) -> Connections;
}

impl Connectable for Connections {
    fn connections(&self) -> Connections {
        self.clone()
    }
}

impl Connectable for SecurityGroup {
    fn connections(&self) -> Connections {
        SecurityGroup::connections(self)
    }
}

impl Connections {
    /// Connections through `groups`, reached on `default_port`.
    pub fn new(groups: Vec<SecurityGroup>, default_port: Option<Port>) -> Self {
        Connections {
            groups,
            default_port,
        }
    }

    /// The security groups.
    pub fn security_groups(&self) -> &[SecurityGroup] {
        &self.groups
    }

    /// The port clients use, if the construct has one (5432 for PostgreSQL).
    pub fn default_port(&self) -> Option<&Port> {
        self.default_port.as_ref()
    }

    /// Allows traffic from these groups to `other`'s groups on `port`: an egress rule on
    /// this side and an ingress rule on the other, both described.
    ///
    /// Between two stacks, both rules go into the stack that already refers to the other
    /// (or, when neither does yet, the one created later), so no export cycle can form.
    pub fn allow_to(
        &self,
        other: &impl Connectable,
        port: Port,
        description: &str,
    ) -> Result<(), ConstructError> {
        let other = other.connections();
        for from in &self.groups {
            for to in &other.groups {
                check_description(&from.node, description)?;
                pair_rules(from, to, &port, description)?;
            }
        }
        Ok(())
    }

    /// Allows traffic from `other`'s groups to these on `port`.
    pub fn allow_from(
        &self,
        other: &impl Connectable,
        port: Port,
        description: &str,
    ) -> Result<(), ConstructError> {
        other.connections().allow_to(self, port, description)
    }

    /// Allows traffic to `other` on its default port (5432 to a PostgreSQL database).
    pub fn allow_to_default_port(&self, other: &impl Connectable) -> Result<(), ConstructError> {
        let target = other.connections();
        let Some(port) = target.default_port.clone() else {
            let path = target
                .groups
                .first()
                .map_or_else(String::new, |g| g.node.path());
            return Err(ConstructError::invalid(
                path,
                "default_port",
                "None",
                "the target has no default port",
                "name the port with allow_to(&target, Port::tcp(N), \"why\")",
            ));
        };
        let description = format!("to the default port {}", port.label());
        self.allow_to(&target, port, &description)
    }

    /// Allows traffic from `other` on this construct's default port.
    pub fn allow_default_port_from(&self, other: &impl Connectable) -> Result<(), ConstructError> {
        other.connections().allow_to_default_port(self)
    }

    /// Allows traffic from a CIDR peer on `port` into every group.
    pub fn allow_from_peer(
        &self,
        peer: Peer,
        port: Port,
        description: &str,
    ) -> Result<(), ConstructError> {
        for g in &self.groups {
            g.add_ingress(peer.clone(), port.clone(), description)?;
        }
        Ok(())
    }

    /// Allows traffic from every group to a CIDR peer on `port`.
    pub fn allow_to_peer(
        &self,
        peer: Peer,
        port: Port,
        description: &str,
    ) -> Result<(), ConstructError> {
        for g in &self.groups {
            g.add_egress(peer.clone(), port.clone(), description)?;
        }
        Ok(())
    }
}

/// Adds the egress rule on `from` and the ingress rule on `to`.
///
/// Within a stack both rules sit under `from`. Between two stacks they go into the stack
/// that already refers to the other (a fleet's stack refers to its network's and database's
/// stack), so the rules add no reference in the other direction and no cycle can form;
/// when neither refers to the other yet, into the one created later.
fn pair_rules(
    from: &SecurityGroup,
    to: &SecurityGroup,
    port: &Port,
    description: &str,
) -> Result<(), ConstructError> {
    let (from_stack, to_stack) = (from.node.stack(), to.node.stack());
    let at_from = from_stack.element() == to_stack.element()
        || from_stack.refers_to(&to_stack)
        || (!to_stack.refers_to(&from_stack) && from_stack.element() > to_stack.element());
    let label = port.label();
    let (home, egress_id, ingress_id) = if at_from {
        (
            from,
            format!("To{}{label}", id_of(to)),
            format!("{}From{}{label}", id_of(to), id_of(from)),
        )
    } else {
        (
            to,
            format!("{}To{}{label}", id_of(from), id_of(to)),
            format!("From{}{label}", id_of(from)),
        )
    };
    let egress = ec2::SecurityGroupEgress {
        description: Some(description.into()),
        destination_security_group_id: Some(to.group_id()),
        from_port: Some(port.from.into()),
        to_port: Some(port.to.into()),
        ..ec2::SecurityGroupEgress::new(from.group_id(), port.protocol)
    };
    let ingress = ec2::SecurityGroupIngress {
        description: Some(description.into()),
        source_security_group_id: Some(from.group_id()),
        from_port: Some(port.from.into()),
        to_port: Some(port.to.into()),
        group_id: Some(to.group_id()),
        ..ec2::SecurityGroupIngress::new(port.protocol)
    };
    add_once(&home.node, &egress_id, egress)?;
    add_once(&home.node, &ingress_id, ingress)?;
    Ok(())
}

/// The same rule asked for twice is one rule: its id is derived from what it allows.
fn add_once<T: stackwright_core::ResourceProps>(
    scope: &Construct,
    id: &str,
    props: T,
) -> Result<(), ConstructError> {
    match Resource::new(scope, id, props) {
        Ok(_) | Err(CoreError::DuplicateId { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A group's path below its stack, letters and digits only: unique within the app's
/// stacks, and stable as long as the group's path is.
fn id_of(g: &SecurityGroup) -> String {
    let path = g.node.path();
    let below_stack = path.split_once('/').map_or(path.as_str(), |(_, rest)| rest);
    below_stack
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}
