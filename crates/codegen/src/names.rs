//! Turning CloudFormation names into Rust names.
//!
//! CloudFormation names are UpperCamel with acronyms in capitals (`DBInstanceClass`,
//! `VPCGatewayAttachment`, `NotificationARNs`, `IPv6Address`). Rust wants `DbInstanceClass`
//! for types and `db_instance_class` for fields, so names are first cut into words, aware
//! of acronyms, then put back together.

/// Cuts a name into words: at every character that is not a letter or digit, before an
/// upper-case letter that follows a lower-case letter or a digit, and before the last
/// capital of an acronym that is followed by a lower-case letter (`DBInstance` is `DB`,
/// `Instance`). Two acronym forms stay whole: a plural (`ARNs`, `IDs`) and a version
/// (`IPv6`, `TLSv1`). Digits stick to the word before them (`EC2`, `gp3`).
pub fn split_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = chunk.chars().collect();
        let mut word = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !word.is_empty() && c.is_ascii_uppercase() {
                let prev = chars[i - 1];
                let next = chars.get(i + 1).copied();
                let boundary = if prev.is_ascii_lowercase() || prev.is_ascii_digit() {
                    true
                } else if prev.is_ascii_uppercase() {
                    // Inside a run of capitals: cut before the capital that starts a
                    // lower-case word, unless the lower-case part is a plural `s` or a
                    // version `v<digit>` belonging to the acronym.
                    match next {
                        Some(n) if n.is_ascii_lowercase() => {
                            let after = chars.get(i + 2).copied();
                            let plural = n == 's'
                                && after
                                    .is_none_or(|a| a.is_ascii_uppercase() || a.is_ascii_digit());
                            let version = n == 'v' && after.is_some_and(|a| a.is_ascii_digit());
                            !(plural || version)
                        }
                        _ => false,
                    }
                } else {
                    false
                };
                if boundary {
                    words.push(std::mem::take(&mut word));
                }
            }
            word.push(c);
            i += 1;
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

/// `UpperCamel` with acronyms as words: `VPCGatewayAttachment` is `VpcGatewayAttachment`,
/// `internet-facing` is `InternetFacing`.
pub fn upper_camel(name: &str) -> String {
    let mut out = String::new();
    for word in split_words(name) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    if out.is_empty() {
        out.push_str("Empty");
    }
    if is_keyword(&out) {
        out.push('_');
    }
    out
}

/// `snake_case`: `DBInstanceClass` is `db_instance_class`.
pub fn snake(name: &str) -> String {
    let words: Vec<String> = split_words(name)
        .into_iter()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    let mut out = words.join("_");
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// A field or method name: [`snake`], with a trailing `_` on Rust keywords (`type_`).
pub fn field_name(name: &str) -> String {
    let mut out = snake(name);
    if is_keyword(&out) {
        out.push('_');
    }
    out
}

/// `SHOUTY_SNAKE` for statics, from a Rust type name.
pub fn shouty(name: &str) -> String {
    snake(name).to_ascii_uppercase()
}

/// Rust's strict, reserved and weak keywords that cannot (or should not) be identifiers.
pub fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "break"
            | "const"
            | "continue"
            | "crate"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "async"
            | "await"
            | "dyn"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "try"
            | "gen"
            | "union"
    )
}

/// The parts of a type name: `AWS::EC2::VPC` is `("EC2", "VPC")`, `Alexa::ASK::Skill` is
/// `("ASK", "Skill")` (the registry's one namespace besides `AWS`; no service name is in
/// both, so the namespace is not part of the module path).
pub fn split_type_name(type_name: &str) -> Option<(&str, &str)> {
    let mut parts = type_name.split("::");
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("AWS" | "Alexa"), Some(service), Some(resource), None)
            if !service.is_empty() && !resource.is_empty() =>
        {
            Some((service, resource))
        }
        _ => None,
    }
}

/// The vendored schema's file name: `AWS::EC2::VPC` is `aws-ec2-vpc.json`.
pub fn schema_file_name(type_name: &str) -> String {
    format!("{}.json", type_name.to_ascii_lowercase().replace("::", "-"))
}

/// The service module: `ElasticLoadBalancingV2` is `elasticloadbalancingv2`.
pub fn service_module(service: &str) -> String {
    service.to_ascii_lowercase()
}

/// The resource module: `DBInstance` is `db_instance`.
pub fn resource_module(resource: &str) -> String {
    field_name(resource)
}

/// The CloudFormation documentation page of a resource type.
pub fn doc_url(service: &str, resource: &str) -> String {
    format!(
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-{}-{}.html",
        service.to_ascii_lowercase(),
        resource.to_ascii_lowercase()
    )
}

/// Gives out names that are unique within one scope (the types of one file, the fields of
/// one struct), by appending a number to a name that is already taken.
#[derive(Debug, Default)]
pub struct Namer {
    taken: std::collections::BTreeSet<String>,
}

impl Namer {
    /// True when `name` is already given out.
    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// Takes `name`, or `name2`, `name3`, ... when it is taken (with `_` before the number
    /// when `snake` is set).
    pub fn take(&mut self, name: &str, snake: bool) -> String {
        let mut candidate = name.to_string();
        let mut n = 2;
        while self.taken.contains(&candidate) {
            candidate = if snake {
                format!("{name}_{n}")
            } else {
                format!("{name}{n}")
            };
            n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_acronym_aware() {
        assert_eq!(upper_camel("VPC"), "Vpc");
        assert_eq!(upper_camel("DBInstance"), "DbInstance");
        assert_eq!(upper_camel("VPCGatewayAttachment"), "VpcGatewayAttachment");
        assert_eq!(upper_camel("OIDCProvider"), "OidcProvider");
        assert_eq!(upper_camel("WebACL"), "WebAcl");
        assert_eq!(
            upper_camel("IPSetReferenceStatement"),
            "IpSetReferenceStatement"
        );
        assert_eq!(upper_camel("EIP"), "Eip");
        assert_eq!(
            upper_camel("ElasticLoadBalancingV2"),
            "ElasticLoadBalancingV2"
        );
    }

    #[test]
    fn field_names_are_snake_case() {
        assert_eq!(field_name("DBInstanceClass"), "db_instance_class");
        assert_eq!(field_name("CidrBlock"), "cidr_block");
        assert_eq!(field_name("Ipv6CidrBlock"), "ipv6_cidr_block");
        assert_eq!(field_name("EC2SecurityGroupId"), "ec2_security_group_id");
        assert_eq!(field_name("S3Bucket"), "s3_bucket");
        assert_eq!(field_name("NotificationARNs"), "notification_arns");
        assert_eq!(field_name("VPCSecurityGroupIds"), "vpc_security_group_ids");
        assert_eq!(field_name("DBSecurityGroups"), "db_security_groups");
        assert_eq!(field_name("IPv6Address"), "ipv6_address");
        assert_eq!(field_name("TopicARN"), "topic_arn");
        assert_eq!(
            field_name("CACertificateIdentifier"),
            "ca_certificate_identifier"
        );
        assert_eq!(field_name("TTL"), "ttl");
        assert_eq!(field_name("HTTPCode"), "http_code");
        assert_eq!(field_name("ARNsAndIDs"), "arns_and_ids");
    }

    #[test]
    fn keywords_get_a_trailing_underscore() {
        assert_eq!(field_name("Type"), "type_");
        assert_eq!(field_name("Match"), "match_");
        assert_eq!(field_name("Self"), "self_");
        assert_eq!(upper_camel("self"), "Self_");
    }

    #[test]
    fn enum_values_become_variants() {
        assert_eq!(upper_camel("internet-facing"), "InternetFacing");
        assert_eq!(upper_camel("aws:ec2:image"), "AwsEc2Image");
        assert_eq!(upper_camel("ENABLED"), "Enabled");
        assert_eq!(upper_camel("VERIFIED_DOMAINS_ONLY"), "VerifiedDomainsOnly");
        assert_eq!(upper_camel("OnlyInboundResolver"), "OnlyInboundResolver");
        assert_eq!(upper_camel("gp3"), "Gp3");
        assert_eq!(upper_camel("t2.micro"), "T2Micro");
        assert_eq!(upper_camel("1day"), "V1day");
    }

    #[test]
    fn modules_and_files() {
        assert_eq!(
            service_module("ElasticLoadBalancingV2"),
            "elasticloadbalancingv2"
        );
        assert_eq!(service_module("WAFv2"), "wafv2");
        assert_eq!(resource_module("DBInstance"), "db_instance");
        assert_eq!(
            resource_module("VPCGatewayAttachment"),
            "vpc_gateway_attachment"
        );
        assert_eq!(resource_module("WebACLAssociation"), "web_acl_association");
        assert_eq!(schema_file_name("AWS::EC2::VPC"), "aws-ec2-vpc.json");
        assert_eq!(
            split_type_name("AWS::RDS::DBInstance"),
            Some(("RDS", "DBInstance"))
        );
        assert_eq!(split_type_name("Custom::X"), None);
        assert_eq!(
            doc_url("RDS", "DBInstance"),
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html"
        );
    }

    #[test]
    fn namer_numbers_duplicates() {
        let mut n = Namer::default();
        assert_eq!(n.take("Tag", false), "Tag");
        assert_eq!(n.take("Tag", false), "Tag2");
        assert_eq!(n.take("arn", true), "arn");
        assert_eq!(n.take("arn", true), "arn_2");
    }
}
