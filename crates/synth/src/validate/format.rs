//! The schemas' string `format`s synth checks, as cfn-lint reads them
//! (`cfnlint/jsonschema/_format.py`, `cfnlint/rules/formats/`): CIDR blocks, and the
//! identifiers and ARNs EC2, IAM and KMS parse. The generator keeps only these formats in
//! the facts (`stackwright-codegen`'s `CHECKED_FORMATS`).

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// What a value of `format` must look like, when `s` does not.
pub(crate) fn problem(format: &str, s: &str) -> Option<&'static str> {
    // A dynamic reference is resolved by CloudFormation before the service sees it.
    if s.starts_with("{{resolve:") || s.starts_with("resolve:ssm") {
        return None;
    }
    let ok = match format {
        "ipv4-network" => network4(s),
        "ipv6-network" => network6(s),
        "AWS::EC2::SecurityGroup.Id" => resource_id(s, "sg-", false),
        "AWS::EC2::Subnet.Id" => resource_id(s, "subnet-", false),
        "AWS::EC2::VPC.Id" => resource_id(s, "vpc-", false),
        "AWS::EC2::Image.Id" => resource_id(s, "ami-", true),
        "AWS::IAM::Role.Arn" => arn_of(s, "iam", |rest| {
            rest.split_once(':').is_some_and(|(acct, res)| {
                acct.is_empty() && account_and(res, |r| r.starts_with("role/") && r.len() > 5)
            })
        }),
        "AWS::KMS::Key.Arn" => arn_of(s, "kms", |rest| {
            rest.split_once(':').is_some_and(|(region, res)| {
                !region.is_empty()
                    && region
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && account_and(res, |r| {
                        (r.starts_with("key/") && r.len() > 4)
                            || (r.starts_with("alias/") && r.len() > 6)
                    })
            })
        }),
        _ => true,
    };
    (!ok).then_some(match format {
        "ipv4-network" => "an IPv4 CIDR block without host bits, such as 10.0.0.0/16",
        "ipv6-network" => "an IPv6 CIDR block without host bits, such as 2001:db8::/56",
        "AWS::EC2::SecurityGroup.Id" => "a security group id, sg- and 8 or 17 hex digits",
        "AWS::EC2::Subnet.Id" => "a subnet id, subnet- and 8 or 17 hex digits",
        "AWS::EC2::VPC.Id" => "a VPC id, vpc- and 8 or 17 hex digits",
        "AWS::EC2::Image.Id" => "an AMI id, ami- and 8 or 17 characters",
        "AWS::IAM::Role.Arn" => "a role ARN, arn:aws:iam::ACCOUNT:role/NAME",
        _ => "a key ARN, arn:aws:kms:REGION:ACCOUNT:key/ID or alias/NAME",
    })
}

/// An IPv4 network with no host bits (a bare address is a /32), as Python's
/// `ipaddress.IPv4Network` takes it.
fn network4(s: &str) -> bool {
    match s.parse::<Ipv4Net>() {
        Ok(n) => n.trunc() == n,
        Err(_) => s.parse::<Ipv4Addr>().is_ok(),
    }
}

fn network6(s: &str) -> bool {
    match s.parse::<Ipv6Net>() {
        Ok(n) => n.trunc() == n,
        Err(_) => s.parse::<Ipv6Addr>().is_ok(),
    }
}

/// `prefix` then 8 or 17 hex digits (any lowercase letters or digits for images).
fn resource_id(s: &str, prefix: &str, any_lower: bool) -> bool {
    s.strip_prefix(prefix).is_some_and(|rest| {
        (rest.len() == 8 || rest.len() == 17)
            && rest.chars().all(|c| {
                if any_lower {
                    c.is_ascii_digit() || c.is_ascii_lowercase()
                } else {
                    c.is_ascii_hexdigit()
                }
            })
    })
}

/// `arn:aws...:service:` and a rest that `rest_ok` accepts.
fn arn_of(s: &str, service: &str, rest_ok: impl Fn(&str) -> bool) -> bool {
    let Some(rest) = s.strip_prefix("arn:aws") else {
        return false;
    };
    let Some((partition_tail, rest)) = rest.split_once(':') else {
        return false;
    };
    partition_tail
        .chars()
        .all(|c| c.is_ascii_alphabetic() || c == '-')
        && rest
            .strip_prefix(service)
            .and_then(|r| r.strip_prefix(':'))
            .is_some_and(rest_ok)
}

/// Twelve digits, `:`, and a resource `res_ok` accepts.
fn account_and(s: &str, res_ok: impl Fn(&str) -> bool) -> bool {
    s.split_once(':').is_some_and(|(acct, res)| {
        acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit()) && res_ok(res)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_cfn_lint_reads_them() {
        let cases = [
            ("ipv4-network", "10.0.0.0/16", true),
            ("ipv4-network", "10.0.0.1", true),
            ("ipv4-network", "10.0.0.1/16", false),
            ("ipv4-network", "300.0.0.0/8", false),
            ("ipv4-network", "NotACidr", false),
            ("ipv6-network", "2001:db8::/56", true),
            ("ipv6-network", "2001:db8::1/56", false),
            ("AWS::EC2::SecurityGroup.Id", "sg-0123456789abcdef0", true),
            ("AWS::EC2::SecurityGroup.Id", "sg-12345678", true),
            ("AWS::EC2::SecurityGroup.Id", "sg-123", false),
            ("AWS::EC2::Subnet.Id", "subnet-0123456789abcdef0", true),
            ("AWS::EC2::VPC.Id", "vpc-12345678", true),
            ("AWS::EC2::VPC.Id", "vpc-1234567g", false),
            ("AWS::EC2::Image.Id", "ami-0abcdef1234567890", true),
            (
                "AWS::EC2::Image.Id",
                "{{resolve:ssm:/aws/service/ami}}",
                true,
            ),
            ("AWS::EC2::Image.Id", "ubuntu", false),
            (
                "AWS::IAM::Role.Arn",
                "arn:aws:iam::123456789012:role/app",
                true,
            ),
            (
                "AWS::IAM::Role.Arn",
                "arn:aws-cn:iam::123456789012:role/a/b",
                true,
            ),
            (
                "AWS::IAM::Role.Arn",
                "arn:aws:iam::123456789012:user/app",
                false,
            ),
            ("AWS::IAM::Role.Arn", "app-role", false),
            (
                "AWS::KMS::Key.Arn",
                "arn:aws:kms:us-east-1:123456789012:key/abc",
                true,
            ),
            (
                "AWS::KMS::Key.Arn",
                "arn:aws:kms:us-east-1:123456789012:alias/app",
                true,
            ),
            (
                "AWS::KMS::Key.Arn",
                "arn:aws:kms::123456789012:key/abc",
                false,
            ),
            ("something-else", "anything", true),
        ];
        for (format, value, ok) in cases {
            assert_eq!(problem(format, value).is_none(), ok, "{format} {value}");
        }
    }
}
