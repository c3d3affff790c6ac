//! IAM policy documents: the grammar IAM, KMS, S3, SNS, SQS and OpenSearch parse every
//! policy with, checked wherever a template holds one (however it was written: a
//! construct's grant, an L1 property, an untyped resource, an override).
//!
//! The rules follow cfn-lint's policy schemas (`cfnlint/data/schemas/other/iam`): the
//! document's and each statement's keys, `Effect`, exactly one of `Action`/`NotAction`
//! (and of `Resource`/`NotResource`, `Principal`/`NotPrincipal` where the kind of policy
//! needs them), `service:action` names with a known service prefix (from the vendored
//! catalog `data/iam-actions.txt`), `Principal` forms, condition operators and unique
//! `Sid`s. A KMS key policy must also leave someone able to change it again, which KMS
//! checks when the key is created.
//!
//! A value an intrinsic function decides is known only at deploy time and is skipped.

use serde_json::{Map, Value as Json};
use stackwright_core::Diagnostic;

use super::known_names::{self, Principal};
use super::sorted_text;
use super::{closest, is_intrinsic};

/// The catalog of `service:action` lines, sorted (see `stackwright-codegen`'s
/// `iam_actions`).
const ACTIONS: &str = include_str!("../../data/iam-actions.txt");

/// What a policy is for, which decides the statement keys it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Attached to a user, group or role: no principal, a resource.
    Identity,
    /// A role's trust policy: a principal, no resource.
    Trust,
    /// On a resource (bucket, topic, queue, domain): a principal and a resource.
    Resource,
    /// A KMS key policy: a resource policy that must not lock out its own administration.
    Key,
}

/// The policy documents of a resource of `type_name`, by property path; `*` stands for
/// every item of a list.
fn documents(type_name: &str) -> &'static [(&'static [&'static str], Kind)] {
    const POLICIES_LIST: &[(&[&str], Kind)] =
        &[(&["Policies", "*", "PolicyDocument"], Kind::Identity)];
    match type_name {
        "AWS::IAM::Policy"
        | "AWS::IAM::ManagedPolicy"
        | "AWS::IAM::UserPolicy"
        | "AWS::IAM::RolePolicy"
        | "AWS::IAM::GroupPolicy" => &[(&["PolicyDocument"], Kind::Identity)],
        "AWS::IAM::Role" => &[
            (&["AssumeRolePolicyDocument"], Kind::Trust),
            (&["Policies", "*", "PolicyDocument"], Kind::Identity),
        ],
        "AWS::IAM::User" | "AWS::IAM::Group" => POLICIES_LIST,
        "AWS::SSO::PermissionSet" => &[(&["InlinePolicy"], Kind::Identity)],
        "AWS::S3::BucketPolicy" | "AWS::SNS::TopicPolicy" | "AWS::SQS::QueuePolicy" => {
            &[(&["PolicyDocument"], Kind::Resource)]
        }
        "AWS::OpenSearchService::Domain" => &[(&["AccessPolicies"], Kind::Resource)],
        "AWS::KMS::Key" => &[(&["KeyPolicy"], Kind::Key)],
        _ => &[],
    }
}

/// Checks every policy document in the properties of a resource of `type_name`.
pub(crate) fn check(type_name: &str, path: &str, props: &Json, out: &mut Vec<Diagnostic>) {
    for (steps, kind) in documents(type_name) {
        let mut found = Vec::new();
        at_path(props, steps, String::new(), &mut found);
        for (at, doc) in found {
            let mut c = Checker {
                path,
                kind: *kind,
                type_name,
                lockout: *kind == Kind::Key && !bypasses_lockout_check(props),
                out,
            };
            c.document(doc, &at);
        }
    }
}

/// The values at `steps` below `v` (`*` for each list item), with where they are.
fn at_path<'v>(v: &'v Json, steps: &[&str], at: String, out: &mut Vec<(String, &'v Json)>) {
    let Some((step, rest)) = steps.split_first() else {
        out.push((at, v));
        return;
    };
    if *step == "*" {
        if let Json::Array(items) = v {
            for (i, item) in items.iter().enumerate() {
                at_path(item, rest, format!("{at}[{i}]"), out);
            }
        }
    } else if let Some(next) = v.as_object().and_then(|o| o.get(*step)) {
        let at = if at.is_empty() {
            step.to_string()
        } else {
            format!("{at}.{step}")
        };
        at_path(next, rest, at, out);
    }
}

fn bypasses_lockout_check(props: &Json) -> bool {
    props.get("BypassPolicyLockoutSafetyCheck") == Some(&Json::Bool(true))
}

/// One string or a list of them (IAM takes both); `None` when it is neither.
fn strings(v: &Json) -> Option<Vec<&Json>> {
    match v {
        Json::Array(items) => Some(items.iter().collect()),
        Json::String(_) => Some(vec![v]),
        _ if is_intrinsic(v) => Some(Vec::new()),
        _ => None,
    }
}

struct Checker<'a> {
    path: &'a str,
    kind: Kind,
    type_name: &'a str,
    /// Whether to check that a key policy keeps its own administration.
    lockout: bool,
    out: &'a mut Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, message: String, hint: &str) {
        self.out
            .push(Diagnostic::error("iam-policy", self.path, message).with_hint(hint));
    }

    fn document(&mut self, doc: &Json, at: &str) {
        let parsed;
        let doc = match doc {
            // Some properties take the policy as JSON text.
            Json::String(text) => match serde_json::from_str::<Json>(text) {
                Ok(v) => {
                    parsed = v;
                    &parsed
                }
                Err(e) => {
                    self.error(
                        format!("{at} is a string that is not JSON: {e}"),
                        "give the policy as a JSON object",
                    );
                    return;
                }
            },
            v if is_intrinsic(v) => return,
            v => v,
        };
        let Some(o) = doc.as_object() else {
            self.error(
                format!(
                    "{at} is {}, not a policy document (an object)",
                    kind_of(doc)
                ),
                "write {\"Version\": \"2012-10-17\", \"Statement\": [...]}",
            );
            return;
        };
        for k in o.keys() {
            if !matches!(k.as_str(), "Version" | "Id" | "Statement") {
                self.error(
                    format!("{at} has the key '{k}', which a policy document does not take"),
                    "a policy document holds only Version, Id and Statement",
                );
            }
        }
        if let Some(Json::String(v)) = o.get("Version")
            && v != "2012-10-17"
            && v != "2008-10-17"
        {
            self.error(
                format!("{at}.Version is '{v}', which IAM does not know"),
                "use \"2012-10-17\"",
            );
        }
        let statements = match o.get("Statement") {
            None => {
                self.error(
                    format!("{at} has no Statement"),
                    "add the statements that allow or deny access",
                );
                return;
            }
            Some(Json::Array(items)) => items.iter().collect::<Vec<_>>(),
            Some(s @ Json::Object(_)) if !is_intrinsic(s) => vec![s],
            Some(s) if is_intrinsic(s) => return,
            Some(other) => {
                self.error(
                    format!(
                        "{at}.Statement is {}, not a statement or a list of them",
                        kind_of(other)
                    ),
                    "write each statement as an object",
                );
                return;
            }
        };
        let mut sids: Vec<&str> = Vec::new();
        for (i, st) in statements.iter().enumerate() {
            let at = format!("{at}.Statement[{i}]");
            if let Some(sid) = st.get("Sid").and_then(Json::as_str) {
                // Bucket policies may repeat a Sid (cfn-lint agrees); IAM and the others not.
                if sids.contains(&sid) && self.type_name != "AWS::S3::BucketPolicy" {
                    self.error(
                        format!(
                            "{at}.Sid is '{sid}', which an earlier statement of the policy uses"
                        ),
                        "give every statement its own Sid",
                    );
                }
                sids.push(sid);
            }
            self.statement(st, &at);
        }
        if self.lockout {
            self.key_lockout(&statements, at);
        }
    }

    fn statement(&mut self, st: &Json, at: &str) {
        if is_intrinsic(st) {
            return;
        }
        let Some(o) = st.as_object() else {
            self.error(
                format!("{at} is {}, not a statement (an object)", kind_of(st)),
                "write the statement as an object with Effect, Action and Resource",
            );
            return;
        };
        let (principal, resource) = match self.kind {
            Kind::Identity => (Need::Never, Need::One),
            Kind::Trust => (Need::One, Need::Never),
            Kind::Resource => (Need::One, Need::One),
            Kind::Key => (Need::One, Need::One),
        };
        let known = |k: &str| match k {
            "Sid" | "Effect" | "Action" | "NotAction" | "Condition" => true,
            "Principal" | "NotPrincipal" => principal != Need::Never,
            "Resource" | "NotResource" => resource != Need::Never,
            _ => false,
        };
        for k in o.keys().filter(|k| !known(k)) {
            let why = match k.as_str() {
                "Principal" | "NotPrincipal" => {
                    "an identity policy applies to whoever it is attached to, so it names no principal"
                }
                "Resource" | "NotResource" => {
                    "a trust policy is about the role itself, so it names no resource"
                }
                _ => {
                    "a statement takes Sid, Effect, Principal, Action, Resource, Condition and their Not forms"
                }
            };
            self.error(
                format!("{at} has the key '{k}', which IAM refuses here"),
                why,
            );
        }
        match o.get("Effect") {
            None => self.error(
                format!("{at} has no Effect"),
                "set Effect to \"Allow\" or \"Deny\"",
            ),
            Some(Json::String(e)) if e != "Allow" && e != "Deny" => self.error(
                format!("{at}.Effect is '{e}'"),
                "Effect is \"Allow\" or \"Deny\", capitalized so",
            ),
            _ => {}
        }
        self.exactly_one(o, at, "Action", "NotAction", Need::One);
        self.exactly_one(o, at, "Principal", "NotPrincipal", principal);
        self.exactly_one(o, at, "Resource", "NotResource", resource);
        for key in ["Action", "NotAction"] {
            if let Some(v) = o.get(key) {
                self.actions(v, Loc(at, key));
            }
        }
        if self.kind == Kind::Identity {
            for key in ["Resource", "NotResource"] {
                if let Some(v) = o.get(key) {
                    self.resources(v, Loc(at, key));
                }
            }
        }
        for key in ["Principal", "NotPrincipal"] {
            if let Some(v) = o.get(key) {
                self.principal(v, Loc(at, key));
            }
        }
        if let Some(c) = o.get("Condition") {
            self.condition(c, Loc(at, "Condition"));
        }
        if self.kind == Kind::Identity
            && let Some(Json::String(sid)) = o.get("Sid")
            && !sid.chars().all(|c| c.is_ascii_alphanumeric())
        {
            self.error(
                format!("{at}.Sid is '{sid}'; IAM takes only letters and digits in a Sid"),
                "drop the spaces and punctuation from the Sid",
            );
        }
    }

    fn exactly_one(&mut self, o: &Map<String, Json>, at: &str, a: &str, not_a: &str, need: Need) {
        if need != Need::One {
            return;
        }
        match (o.contains_key(a), o.contains_key(not_a)) {
            (false, false) => self.error(
                format!("{at} has neither {a} nor {not_a}"),
                &format!("a statement of this policy needs exactly one of {a} and {not_a}"),
            ),
            (true, true) => self.error(
                format!("{at} has both {a} and {not_a}"),
                &format!("keep one of {a} and {not_a}"),
            ),
            _ => {}
        }
    }

    fn actions(&mut self, v: &Json, at: Loc<'_>) {
        let Some(items) = strings(v) else {
            self.error(
                format!("{at} is {}, not an action or a list of actions", kind_of(v)),
                "write actions as \"service:Action\" strings",
            );
            return;
        };
        if matches!(v, Json::Array(a) if a.is_empty()) {
            self.error(format!("{at} is an empty list"), "name at least one action");
        }
        for (i, item) in items.into_iter().enumerate() {
            let Json::String(action) = item else {
                if !is_intrinsic(item) {
                    self.error(
                        format!("{at}[{i}] is {}, not an action name", kind_of(item)),
                        "write actions as \"service:Action\" strings",
                    );
                }
                continue;
            };
            match action_problem(action) {
                Some(ActionProblem::Error(problem)) => {
                    self.error(format!("{at} names '{action}': {problem}"), ACTION_HINT);
                }
                Some(ActionProblem::Warning(note)) => self.out.push(
                    Diagnostic::warning(
                        "iam-policy",
                        self.path,
                        format!("{at} names '{action}': {note}"),
                    )
                    .with_hint("check the action's name in the service authorization reference"),
                ),
                None => {}
            }
        }
    }

    fn resources(&mut self, v: &Json, at: Loc<'_>) {
        let Some(items) = strings(v) else {
            self.error(
                format!("{at} is {}, not an ARN or a list of ARNs", kind_of(v)),
                "write resources as ARNs, or \"*\"",
            );
            return;
        };
        for item in items {
            if let Json::String(arn) = item
                && !is_resource_arn(arn)
            {
                self.error(
                    format!("{at} names '{arn}', which is not an ARN"),
                    "IAM needs a full ARN (arn:partition:service:region:account:resource) or \"*\"",
                );
            }
        }
    }

    fn principal(&mut self, v: &Json, at: Loc<'_>) {
        let o = match v {
            Json::String(s) if s == "*" => return,
            Json::String(s) => {
                self.error(
                    format!("{at} is '{s}'; a principal written as a string can only be \"*\""),
                    "write {\"AWS\": \"arn:...\"}, {\"Service\": \"...amazonaws.com\"} or {\"Federated\": \"...\"}",
                );
                return;
            }
            v if is_intrinsic(v) => return,
            Json::Object(o) => o,
            other => {
                self.error(
                    format!("{at} is {}, not a principal", kind_of(other)),
                    "write {\"AWS\": ...}, {\"Service\": ...}, {\"Federated\": ...} or \"*\"",
                );
                return;
            }
        };
        for (k, value) in o {
            if !matches!(
                k.as_str(),
                "AWS" | "Service" | "Federated" | "CanonicalUser"
            ) {
                self.error(
                    format!("{at} has the key '{k}', which is not a kind of principal"),
                    "a principal is AWS, Service, Federated or CanonicalUser",
                );
                continue;
            }
            let Some(items) = strings(value) else {
                self.error(
                    format!(
                        "{at}.{k} is {}, not a principal or a list of them",
                        kind_of(value)
                    ),
                    "write each principal as a string",
                );
                continue;
            };
            if k == "Service" {
                self.service_principals(&items, at);
                continue;
            }
            if k != "AWS" {
                continue;
            }
            for item in items {
                if let Json::String(p) = item
                    && !is_aws_principal(p)
                {
                    self.error(
                        format!("{at}.AWS names '{p}', which is not an account or an IAM ARN"),
                        "use \"*\", a 12-digit account id, or an arn:aws:iam::ACCOUNT:root/user/role ARN",
                    );
                }
            }
        }
    }

    fn service_principals(&mut self, items: &[&Json], at: Loc<'_>) {
        for item in items {
            let Json::String(p) = item else { continue };
            match known_names::service_principal(p) {
                Principal::Known => {}
                Principal::Malformed => self.error(
                    format!("{at}.Service names '{p}', which is not a service principal"),
                    "a service principal is the service's name and its domain, e.g. ec2.amazonaws.com",
                ),
                Principal::Unknown(suggestion) => {
                    let hint = match suggestion {
                        Some(s) => format!("did you mean '{s}'?"),
                        None => "check the service's user guide for the principal its roles trust"
                            .to_string(),
                    };
                    self.out.push(
                        Diagnostic::warning(
                            "service-principal",
                            self.path,
                            format!("{at}.Service names '{p}', which no known list of service principals has"),
                        )
                        .with_hint(hint),
                    );
                }
            }
        }
    }

    fn condition(&mut self, v: &Json, at: Loc<'_>) {
        if is_intrinsic(v) {
            return;
        }
        let Some(o) = v.as_object() else {
            self.error(
                format!("{at} is {}, not a condition block", kind_of(v)),
                "write {\"Operator\": {\"key\": value}}",
            );
            return;
        };
        for (op, keys) in o {
            if !is_condition_operator(op) {
                self.error(
                    format!("{at} uses '{op}', which is not a condition operator"),
                    "use an operator such as StringEquals, StringLike, ArnLike, Bool, IpAddress or NumericLessThan, optionally with ForAnyValue:/ForAllValues: and IfExists",
                );
            } else if !keys.is_object() && !is_intrinsic(keys) {
                self.error(
                    format!(
                        "{at}.{op} is {}, not an object of condition keys",
                        kind_of(keys)
                    ),
                    "write {\"aws:SourceAccount\": \"123456789012\"} and the like",
                );
            }
        }
    }

    /// KMS refuses a key policy that would leave no principal able to change it again
    /// (`MalformedPolicyDocumentException`), unless `BypassPolicyLockoutSafetyCheck`.
    fn key_lockout(&mut self, statements: &[&Json], at: &str) {
        let mut allows = false;
        for st in statements {
            if is_intrinsic(st) || st.get("Effect").is_some_and(is_intrinsic) {
                return;
            }
            if st.get("Effect").and_then(Json::as_str) != Some("Allow") {
                continue;
            }
            let covers = match (st.get("Action"), st.get("NotAction")) {
                (Some(a), _) => match strings(a) {
                    Some(items) if items.iter().any(|i| is_intrinsic(i)) => return,
                    Some(items) if items.is_empty() && is_intrinsic(a) => return,
                    Some(items) => items
                        .iter()
                        .filter_map(|i| i.as_str())
                        .any(|a| glob_matches(a, "kms:putkeypolicy")),
                    None => false,
                },
                (None, Some(n)) => match strings(n) {
                    Some(items) => !items
                        .iter()
                        .filter_map(|i| i.as_str())
                        .any(|a| glob_matches(a, "kms:putkeypolicy")),
                    None => false,
                },
                (None, None) => false,
            };
            allows |= covers;
        }
        if !allows {
            self.error(
                format!("{at} allows no one kms:PutKeyPolicy, so the key could never be administered again; KMS refuses such a policy"),
                "allow the account's administrators kms:* (or at least kms:PutKeyPolicy), for example with Principal {\"AWS\": \"arn:aws:iam::ACCOUNT:root\"}",
            );
        }
    }
}

/// Where in a policy a value is: a place and a key below it, written out only for a
/// finding.
#[derive(Clone, Copy)]
struct Loc<'a>(&'a str, &'a str);

impl std::fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Exactly one of the key and its `Not` form.
    One,
    /// Neither (the policy kind refuses them).
    Never,
}

const ACTION_HINT: &str =
    "write actions as \"service:Action\" (s3:GetObject), with * and ? as wildcards, or \"*\"";

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// What is wrong with `action`, if anything.
fn action_problem(action: &str) -> Option<ActionProblem> {
    if action == "*" {
        return None;
    }
    let Some((service, name)) = action.split_once(':') else {
        return Some(ActionProblem::Error(
            "an action is a service prefix and a name, separated by ':'".into(),
        ));
    };
    if service.is_empty()
        || !service.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c.is_ascii_uppercase()
        })
    {
        return Some(ActionProblem::Error(format!(
            "'{service}' is not a service prefix"
        )));
    }
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?' || c == '-')
    {
        return Some(ActionProblem::Error(format!(
            "'{name}' is not an action name"
        )));
    }
    // A known action answers for its prefix too: one lookup for most actions.
    if !name.contains(['*', '?']) && catalog_has_action(service, name) {
        return None;
    }
    let service = service.to_ascii_lowercase();
    if !has_service(&service) {
        return Some(ActionProblem::Error(match closest_service(&service) {
            Some(s) => format!("IAM has no service prefix '{service}' (did you mean '{s}'?)"),
            None => format!("IAM has no service prefix '{service}'"),
        }));
    }
    // The catalog can lag behind a new action, so an unknown one is only a warning.
    (!name.contains(['*', '?'])).then(|| {
        ActionProblem::Warning(format!(
            "the {service} service has no action '{name}' that IAM knows of"
        ))
    })
}

/// What is wrong with an action name.
enum ActionProblem {
    /// IAM would not parse it.
    Error(String),
    /// It parses, but the catalog does not know it.
    Warning(String),
}

/// The catalog's lines, found by binary search over the embedded text.
fn lines() -> impl Iterator<Item = &'static str> {
    ACTIONS.lines().filter(|l| !l.starts_with('#'))
}

/// The first line of the catalog not less than `key`.
fn lower_bound(key: &[u8]) -> Option<&'static str> {
    sorted_text::lower_bound(ACTIONS, key)
}

fn catalog_has(key: &str) -> bool {
    lower_bound(key.as_bytes()) == Some(key)
}

/// Is `service:name` in the catalog, ignoring ASCII case? Built on the stack: this runs
/// for every action of every policy.
fn catalog_has_action(service: &str, name: &str) -> bool {
    let mut buf = [0u8; 128];
    let len = service.len() + 1 + name.len();
    let Some(key) = buf.get_mut(..len) else {
        return catalog_has(&format!("{service}:{name}").to_ascii_lowercase());
    };
    key[..service.len()].copy_from_slice(service.as_bytes());
    key[service.len()] = b':';
    key[service.len() + 1..].copy_from_slice(name.as_bytes());
    key.make_ascii_lowercase();
    lower_bound(key).is_some_and(|l| l.as_bytes() == key)
}

fn has_service(service: &str) -> bool {
    let prefix = format!("{service}:");
    lower_bound(prefix.as_bytes()).is_some_and(|l| l.starts_with(&prefix))
}

/// The service prefix closest to `service`, when it is close enough to be a typo.
fn closest_service(service: &str) -> Option<&'static str> {
    let mut prefixes: Vec<&'static str> =
        lines().map(|l| l.split(':').next().unwrap_or("")).collect();
    prefixes.dedup();
    closest(service, &prefixes)
}

/// Does the IAM wildcard pattern (`*`, `?`) match `text`, ignoring ASCII case?
fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

/// `*`, or `arn:partition:service:...` (cfn-lint's `AwsArn`).
fn is_resource_arn(s: &str) -> bool {
    if s == "*" || s.contains("${") {
        return true;
    }
    let mut parts = s.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    (partition == "*" || partition.starts_with("aws"))
        && !service.is_empty()
        && parts.next().is_some()
}

/// `*`, a 12-digit account, an IAM or STS ARN, or a CloudFront origin access identity.
fn is_aws_principal(s: &str) -> bool {
    if s == "*" || s.contains("${") || (s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())) {
        return true;
    }
    let mut parts = s.splitn(6, ':');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (
            Some("arn"),
            Some("aws" | "aws-cn" | "aws-us-gov"),
            Some(svc @ ("iam" | "sts")),
            Some(""),
            Some(acct),
            Some(rest),
        ) => {
            (acct.len() == 12 && acct.bytes().all(|b| b.is_ascii_digit())
                || (svc == "iam" && acct == "cloudfront"))
                && !rest.is_empty()
        }
        _ => false,
    }
}

/// A condition operator as IAM spells them, with the set and `IfExists` forms.
fn is_condition_operator(op: &str) -> bool {
    let op = op
        .strip_prefix("ForAnyValue:")
        .or_else(|| op.strip_prefix("ForAllValues:"))
        .unwrap_or(op);
    let op = op.strip_suffix("IfExists").unwrap_or(op);
    const OPERATORS: &[&str] = &[
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    ];
    OPERATORS.contains(&op)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn findings(type_name: &str, props: Json) -> Vec<String> {
        let mut out = Vec::new();
        check(type_name, "Stack/Thing", &props, &mut out);
        out.iter().map(|d| d.message.clone()).collect()
    }

    fn policy(statement: Json) -> Json {
        json!({"PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]}})
    }

    #[test]
    fn the_catalog_answers_by_binary_search() {
        assert!(catalog_has("s3:getobject"));
        assert!(!catalog_has("s3:getobjectt"));
        assert!(has_service("s3") && has_service("a2c") && has_service("kms"));
        assert!(!has_service("s4"));
        assert_eq!(closest_service("lamda"), Some("lambda"));
        assert_eq!(lower_bound(b"zzzzzz"), None);
        assert!(catalog_has_action("S3", "GetObject") && !catalog_has_action("s3", "GetObjekt"));
        assert!(!catalog_has_action("s3", &"x".repeat(200)));
    }

    #[test]
    fn a_well_formed_identity_policy_passes() {
        let f = findings(
            "AWS::IAM::Policy",
            policy(json!({
                "Sid": "ReadObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:List*"],
                "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::b/*"},
                "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}
            })),
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn grammar_mistakes_are_found_each_with_its_place() {
        let f = findings(
            "AWS::IAM::Policy",
            policy(json!({
                "Sid": "Read objects", "Effect": "allow", "Action": ["s3GetObject", "lamda:InvokeFunction"],
                "Principal": "*", "Resource": "bucket/*",
                "Condition": {"StringEqual": {"aws:SourceAccount": "1"}}
            })),
        );
        let expect = [
            "has the key 'Principal'",
            "Effect is 'allow'",
            "'s3GetObject'",
            "no service prefix 'lamda' (did you mean 'lambda'?)",
            "'bucket/*', which is not an ARN",
            "'StringEqual', which is not a condition operator",
            "only letters and digits in a Sid",
        ];
        for e in expect {
            assert!(f.iter().any(|m| m.contains(e)), "{e} not in {f:?}");
        }
        assert!(
            f.iter()
                .all(|m| m.starts_with("PolicyDocument.Statement[0]")),
            "{f:?}"
        );
    }

    #[test]
    fn statements_need_exactly_one_of_each_pair() {
        let f = findings(
            "AWS::SQS::QueuePolicy",
            policy(json!({"Effect": "Deny", "Action": "sqs:*", "NotAction": "sqs:SendMessage"})),
        );
        assert!(
            f.iter().any(|m| m.contains("both Action and NotAction")),
            "{f:?}"
        );
        assert!(
            f.iter()
                .any(|m| m.contains("neither Principal nor NotPrincipal")),
            "{f:?}"
        );
        assert!(
            f.iter()
                .any(|m| m.contains("neither Resource nor NotResource")),
            "{f:?}"
        );
    }

    #[test]
    fn a_trust_policy_names_a_principal_and_no_resource() {
        let f = findings(
            "AWS::IAM::Role",
            json!({"AssumeRolePolicyDocument": {"Statement": {
                "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*",
                "Principal": {"AWS": "arn:aws:iam::12345:root", "Service": "ec2.amazonaws.com"}
            }}}),
        );
        assert!(
            f.iter().any(|m| m.contains("has the key 'Resource'")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|m| m.contains("'arn:aws:iam::12345:root'")),
            "{f:?}"
        );
        assert_eq!(f.len(), 2, "{f:?}");
    }

    #[test]
    fn inline_policies_of_a_role_are_identity_policies() {
        let f = findings(
            "AWS::IAM::Role",
            json!({"Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-18",
                "Statement": [{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                              {"Sid": "A", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}}]}),
        );
        assert!(
            f.iter()
                .any(|m| m.starts_with("Policies[0].PolicyDocument.Version")),
            "{f:?}"
        );
        assert!(
            f.iter()
                .any(|m| m.contains("Sid is 'A', which an earlier statement")),
            "{f:?}"
        );
    }

    #[test]
    fn a_key_policy_must_keep_its_administration() {
        let locked = json!({"KeyPolicy": {"Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"}]}});
        let f = findings("AWS::KMS::Key", locked.clone());
        assert!(
            f.iter()
                .any(|m| m.contains("allows no one kms:PutKeyPolicy")),
            "{f:?}"
        );
        let mut bypass = locked;
        bypass["BypassPolicyLockoutSafetyCheck"] = json!(true);
        assert!(findings("AWS::KMS::Key", bypass).is_empty());
        for admin in ["kms:*", "*", "kms:Put*", "KMS:PutKeyPolicy"] {
            let ok = json!({"KeyPolicy": {"Statement": [{
                "Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": admin, "Resource": "*"}]}});
            assert!(findings("AWS::KMS::Key", ok).is_empty(), "{admin}");
        }
    }

    #[test]
    fn intrinsics_and_text_policies() {
        assert!(
            findings(
                "AWS::IAM::Policy",
                json!({"PolicyDocument": {"Fn::If": ["C", {}, {}]}})
            )
            .is_empty()
        );
        assert!(findings("AWS::IAM::Policy", policy(json!({"Ref": "Statement"}))).is_empty());
        let text = json!({"AccessPolicies": "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"es:*\"}]}"});
        let f = findings("AWS::OpenSearchService::Domain", text);
        assert!(f.iter().any(|m| m.contains("neither Principal")), "{f:?}");
        let f = findings(
            "AWS::OpenSearchService::Domain",
            json!({"AccessPolicies": "{not json"}),
        );
        assert!(f.iter().any(|m| m.contains("not JSON")), "{f:?}");
    }

    #[test]
    fn an_unknown_action_of_a_known_service_is_a_warning() {
        let mut out = Vec::new();
        check(
            "AWS::IAM::Policy",
            "S/P",
            &policy(json!({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"})),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].severity,
            stackwright_core::Severity::Warning,
            "{:?}",
            out[0]
        );
        assert!(
            glob_matches("kms:*", "kms:putkeypolicy")
                && glob_matches("k?s:put*", "kms:putkeypolicy")
        );
        assert!(!glob_matches("kms:Get*", "kms:putkeypolicy"));
    }
}
