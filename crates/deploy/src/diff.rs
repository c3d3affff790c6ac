//! The difference between a deployed template and a synthesized one, property by property.
//!
//! Computed by stackwright itself rather than asked of CloudFormation, so it needs only
//! read access (`GetTemplate`) and no change set, and it can say which construct a change
//! belongs to. Replacements come from the schemas' create-only properties (the same facts
//! the L1 types are generated from); changes to IAM, policies and security groups are
//! flagged because they are the ones a reviewer must not miss.

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};
use stackwright_core::registry::facts_for;

use stackwright_synth::validate::{is_intrinsic, is_intrinsic_map};

/// Whether something was added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Only in the new template.
    Added,
    /// Only in the deployed template.
    Removed,
    /// In both, different.
    Modified,
}

/// Whether a change replaces the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Updated in place (or not a modification at all).
    InPlace,
    /// A create-only property changes through a reference whose value is only known at
    /// deploy time: it replaces the resource if the value really differs.
    MayReplace,
    /// A create-only property or the type changes: CloudFormation creates a new resource
    /// and deletes the old one.
    Replace,
}

/// One template entry (an output, a parameter, a section) that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryDiff {
    /// Its key.
    pub key: String,
    /// What happened to it.
    pub kind: ChangeKind,
    /// The deployed value.
    pub old: Option<Json>,
    /// The new value.
    pub new: Option<Json>,
}

/// One property value that differs, at a `/`-separated path below `Properties`.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyDiff {
    /// Where (`Tags`, `LoggingConfiguration/DestinationBucketName`).
    pub path: String,
    /// The deployed value; `None` when the property is new.
    pub old: Option<Json>,
    /// The new value; `None` when the property goes away.
    pub new: Option<Json>,
    /// Whether this change replaces the resource.
    pub impact: Impact,
}

/// One resource that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDiff {
    /// Its logical id.
    pub logical_id: String,
    /// Its type (the new one when it changed).
    pub resource_type: String,
    /// The deployed type, when the type changed.
    pub old_type: Option<String>,
    /// Its construct path, from the manifest (removed resources have none).
    pub path: Option<String>,
    /// Added, removed or modified.
    pub kind: ChangeKind,
    /// Whether the change replaces it.
    pub impact: Impact,
    /// Why a reviewer should look twice (IAM, a policy, security groups), if they should.
    pub security: Option<&'static str>,
    /// The properties that differ (every property for an added or removed resource).
    pub properties: Vec<PropertyDiff>,
    /// Other resource attributes that differ (`DependsOn`, `DeletionPolicy`, `Metadata`, ...).
    pub attributes: Vec<EntryDiff>,
}

/// How a synthesized template differs from the deployed one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateDiff {
    /// Nothing is deployed: everything is added.
    pub new_stack: bool,
    /// Resources that differ, in the new template's order, removed ones last.
    pub resources: Vec<ResourceDiff>,
    /// Parameters that differ.
    pub parameters: Vec<EntryDiff>,
    /// Outputs that differ.
    pub outputs: Vec<EntryDiff>,
    /// Other sections that differ (`Description`, `Conditions`, `Mappings`, ...).
    pub sections: Vec<EntryDiff>,
}

/// The template sections with entries of their own, diffed entry by entry.
const KEYED_SECTIONS: [&str; 3] = ["Resources", "Parameters", "Outputs"];

impl TemplateDiff {
    /// Compares the deployed template (`None` when the stack does not exist) with a new one.
    /// `paths` maps logical ids to construct paths (the manifest's `paths`).
    pub fn compute(old: Option<&Json>, new: &Json, paths: &IndexMap<String, String>) -> Self {
        let empty = Json::Object(Map::new());
        let old_t = old.unwrap_or(&empty);
        let section = |t: &Json, name: &str| -> Map<String, Json> {
            t.get(name)
                .and_then(Json::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let mut diff = TemplateDiff {
            new_stack: old.is_none(),
            ..Default::default()
        };

        let (old_res, new_res) = (section(old_t, "Resources"), section(new, "Resources"));
        for (id, new_body) in &new_res {
            let path = paths.get(id).cloned();
            if let Some(d) = resource_diff(id, old_res.get(id), Some(new_body), path) {
                diff.resources.push(d);
            }
        }
        for (id, old_body) in &old_res {
            if !new_res.contains_key(id)
                && let Some(d) = resource_diff(id, Some(old_body), None, None)
            {
                diff.resources.push(d);
            }
        }

        diff.parameters = entries(&section(old_t, "Parameters"), &section(new, "Parameters"));
        diff.outputs = entries(&section(old_t, "Outputs"), &section(new, "Outputs"));
        let (mut old_rest, mut new_rest) = (Map::new(), Map::new());
        for (t, rest) in [(old_t, &mut old_rest), (new, &mut new_rest)] {
            if let Some(o) = t.as_object() {
                for (k, v) in o {
                    if !KEYED_SECTIONS.contains(&k.as_str()) {
                        rest.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        diff.sections = entries(&old_rest, &new_rest);
        diff
    }

    /// No difference at all.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
            && self.parameters.is_empty()
            && self.outputs.is_empty()
            && self.sections.is_empty()
    }

    /// Resources that will (or may) be replaced.
    pub fn replacements(&self) -> impl Iterator<Item = &ResourceDiff> {
        self.resources
            .iter()
            .filter(|r| r.kind == ChangeKind::Modified && r.impact > Impact::InPlace)
    }

    /// Resources whose change touches IAM, a policy or security groups.
    pub fn security_changes(&self) -> impl Iterator<Item = &ResourceDiff> {
        self.resources.iter().filter(|r| r.security.is_some())
    }

    /// Counts of added, modified, removed and replaced resources.
    pub fn counts(&self) -> DiffCounts {
        let mut c = DiffCounts::default();
        for r in &self.resources {
            match (r.kind, r.impact) {
                (ChangeKind::Added, _) => c.added += 1,
                (ChangeKind::Removed, _) => c.removed += 1,
                (ChangeKind::Modified, Impact::Replace) => c.replaced += 1,
                (ChangeKind::Modified, _) => c.modified += 1,
            }
        }
        c
    }
}

/// How many resources a diff adds, modifies, removes and replaces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffCounts {
    /// Added.
    pub added: usize,
    /// Modified in place (or perhaps replaced).
    pub modified: usize,
    /// Removed.
    pub removed: usize,
    /// Replaced.
    pub replaced: usize,
}

fn entries(old: &Map<String, Json>, new: &Map<String, Json>) -> Vec<EntryDiff> {
    let mut out = Vec::new();
    for (k, v) in new {
        match old.get(k) {
            None => out.push(EntryDiff {
                key: k.clone(),
                kind: ChangeKind::Added,
                old: None,
                new: Some(v.clone()),
            }),
            Some(o) if o != v => out.push(EntryDiff {
                key: k.clone(),
                kind: ChangeKind::Modified,
                old: Some(o.clone()),
                new: Some(v.clone()),
            }),
            Some(_) => {}
        }
    }
    for (k, v) in old {
        if !new.contains_key(k) {
            out.push(EntryDiff {
                key: k.clone(),
                kind: ChangeKind::Removed,
                old: Some(v.clone()),
                new: None,
            });
        }
    }
    out
}

fn resource_diff(
    id: &str,
    old: Option<&Json>,
    new: Option<&Json>,
    path: Option<String>,
) -> Option<ResourceDiff> {
    if old == new {
        return None;
    }
    let type_of = |b: Option<&Json>| {
        b.and_then(|b| b.get("Type"))
            .and_then(Json::as_str)
            .map(String::from)
    };
    let (old_type, new_type) = (type_of(old), type_of(new));
    let resource_type = new_type
        .clone()
        .or_else(|| old_type.clone())
        .unwrap_or_default();
    let kind = match (old, new) {
        (None, _) => ChangeKind::Added,
        (_, None) => ChangeKind::Removed,
        _ => ChangeKind::Modified,
    };
    let props = |b: Option<&Json>| b.and_then(|b| b.get("Properties")).cloned();
    let (old_props, new_props) = (props(old), props(new));
    let mut changed = Vec::new();
    diff_values("", old_props.as_ref(), new_props.as_ref(), &mut changed);

    let facts = facts_for(&resource_type);
    let properties: Vec<PropertyDiff> = changed
        .into_iter()
        .map(|(path, o, n)| {
            let impact = if kind != ChangeKind::Modified {
                Impact::InPlace
            } else {
                property_impact(facts, &path, o.as_ref(), n.as_ref())
            };
            PropertyDiff {
                path,
                old: o,
                new: n,
                impact,
            }
        })
        .collect();

    let attrs = |b: Option<&Json>| -> Map<String, Json> {
        b.and_then(Json::as_object)
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| *k != "Type" && *k != "Properties")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let attributes = entries(&attrs(old), &attrs(new));

    let type_changed = kind == ChangeKind::Modified && old_type != new_type;
    let impact = if type_changed {
        Impact::Replace
    } else {
        properties
            .iter()
            .map(|p| p.impact)
            .max()
            .unwrap_or(Impact::InPlace)
    };
    let names: Vec<&str> = properties
        .iter()
        .map(|p| p.path.split('/').next().unwrap_or_default())
        .collect();
    Some(ResourceDiff {
        logical_id: id.to_string(),
        security: security_reason(&resource_type, &names)
            .or_else(|| old_type.as_deref().and_then(|t| security_reason(t, &names))),
        resource_type,
        old_type: if type_changed { old_type } else { None },
        path,
        kind,
        impact,
        properties,
        attributes,
    })
}

/// Collects the differing leaves below two values. Objects are walked key by key so a
/// change deep in a nested property is reported (and checked against create-only paths)
/// where it happens; lists and intrinsics are compared whole, because an index shift or a
/// re-written reference is one change to the reader.
fn diff_values(
    path: &str,
    old: Option<&Json>,
    new: Option<&Json>,
    out: &mut Vec<(String, Option<Json>, Option<Json>)>,
) {
    match (old, new) {
        (Some(Json::Object(a)), Some(Json::Object(b)))
            if !is_intrinsic_map(a) && !is_intrinsic_map(b) =>
        {
            let join = |k: &str| {
                if path.is_empty() {
                    k.to_string()
                } else {
                    format!("{path}/{k}")
                }
            };
            for (k, v) in b {
                diff_values(&join(k), a.get(k), Some(v), out);
            }
            for (k, v) in a {
                if !b.contains_key(k) {
                    diff_values(&join(k), Some(v), None, out);
                }
            }
        }
        (a, b) if a == b => {}
        (None, Some(Json::Object(b))) if path.is_empty() => {
            for (k, v) in b {
                diff_values(k, None, Some(v), out);
            }
        }
        (Some(Json::Object(a)), None) if path.is_empty() => {
            for (k, v) in a {
                diff_values(k, Some(v), None, out);
            }
        }
        _ => out.push((path.to_string(), old.cloned(), new.cloned())),
    }
}

fn property_impact(
    facts: Option<&'static stackwright_core::facts::ResourceFacts>,
    path: &str,
    old: Option<&Json>,
    new: Option<&Json>,
) -> Impact {
    let Some(facts) = facts else {
        return Impact::InPlace;
    };
    let below = format!("{path}/");
    let create_only =
        facts.is_create_only(path) || facts.create_only.iter().any(|c| c.starts_with(&below));
    if !create_only {
        return Impact::InPlace;
    }
    if old.is_some_and(is_intrinsic) || new.is_some_and(is_intrinsic) {
        Impact::MayReplace
    } else {
        Impact::Replace
    }
}

/// Types named like policies that grant nobody anything: a scaling policy says when to
/// add instances, not who may do what (its properties, `TargetTrackingScalingPolicy...`,
/// neither).
const NOT_ACCESS_POLICIES: [&str; 2] = [
    "AWS::AutoScaling::ScalingPolicy",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
];

/// Why a change to a resource of this type, touching these top-level properties, matters
/// for security.
pub fn security_reason(resource_type: &str, properties: &[&str]) -> Option<&'static str> {
    if NOT_ACCESS_POLICIES.contains(&resource_type) {
        return None;
    }
    if resource_type.starts_with("AWS::IAM::") {
        return Some("IAM");
    }
    if resource_type.starts_with("AWS::EC2::SecurityGroup") {
        return Some("security group rules");
    }
    if resource_type.ends_with("Policy") || resource_type == "AWS::Lambda::Permission" {
        return Some("resource policy");
    }
    for p in properties {
        if p.contains("Policy") || p.contains("Policies") {
            return Some("policy");
        }
        if p.contains("SecurityGroup") {
            return Some("security groups");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn paths() -> IndexMap<String, String> {
        IndexMap::from([("Logs".to_string(), "App/Logs".to_string())])
    }

    #[test]
    fn a_new_stack_is_all_added() {
        let new = json!({"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}}},
                         "Outputs": {"Name": {"Value": {"Ref": "Logs"}}}});
        let d = TemplateDiff::compute(None, &new, &paths());
        assert!(d.new_stack);
        assert_eq!(d.resources.len(), 1);
        let r = &d.resources[0];
        assert_eq!(
            (r.kind, r.path.as_deref()),
            (ChangeKind::Added, Some("App/Logs"))
        );
        assert_eq!(r.properties[0].path, "RetentionInDays");
        assert_eq!(d.outputs[0].kind, ChangeKind::Added);
        assert_eq!(d.counts().added, 1);
    }

    #[test]
    fn identical_templates_differ_in_nothing() {
        let t = json!({"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup"}}});
        assert!(TemplateDiff::compute(Some(&t), &t, &paths()).is_empty());
    }

    #[test]
    fn create_only_changes_replace_and_others_do_not() {
        let old = json!({"Resources": {
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/a", "RetentionInDays": 7}},
            "Gone": {"Type": "AWS::SNS::Topic"}}});
        let new = json!({"Resources": {
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/b", "RetentionInDays": 14},
                     "DeletionPolicy": "Retain"}}});
        let d = TemplateDiff::compute(Some(&old), &new, &paths());
        let logs = &d.resources[0];
        assert_eq!(logs.kind, ChangeKind::Modified);
        assert_eq!(logs.impact, Impact::Replace);
        let by_path: Vec<(&str, Impact)> = logs
            .properties
            .iter()
            .map(|p| (p.path.as_str(), p.impact))
            .collect();
        assert_eq!(
            by_path,
            [
                ("LogGroupName", Impact::Replace),
                ("RetentionInDays", Impact::InPlace)
            ]
        );
        assert_eq!(logs.attributes[0].key, "DeletionPolicy");
        assert_eq!(d.resources[1].kind, ChangeKind::Removed);
        assert_eq!(d.resources[1].path, None);
        let c = d.counts();
        assert_eq!((c.replaced, c.removed), (1, 1));
        assert_eq!(d.replacements().count(), 1);
    }

    #[test]
    fn a_reference_in_a_create_only_property_may_replace() {
        let old = json!({"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/a"}}}});
        let new = json!({"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Ref": "Name"}}}}});
        let d = TemplateDiff::compute(Some(&old), &new, &paths());
        assert_eq!(d.resources[0].impact, Impact::MayReplace);
        assert_eq!(d.counts().modified, 1);
    }

    #[test]
    fn nested_changes_are_reported_at_their_path_and_a_type_change_replaces() {
        let old = json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {
            "VersioningConfiguration": {"Status": "Suspended"}, "Tags": [{"Key": "a", "Value": "1"}]}}}});
        let new = json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {
            "VersioningConfiguration": {"Status": "Enabled"}, "Tags": [{"Key": "a", "Value": "2"}]}}}});
        let d = TemplateDiff::compute(Some(&old), &new, &IndexMap::new());
        let paths: Vec<&str> = d.resources[0]
            .properties
            .iter()
            .map(|p| p.path.as_str())
            .collect();
        assert_eq!(paths, ["VersioningConfiguration/Status", "Tags"]);
        assert_eq!(d.resources[0].impact, Impact::InPlace);

        let retyped = json!({"Resources": {"B": {"Type": "AWS::SNS::Topic"}}});
        let d = TemplateDiff::compute(Some(&old), &retyped, &IndexMap::new());
        assert_eq!(d.resources[0].impact, Impact::Replace);
        assert_eq!(d.resources[0].old_type.as_deref(), Some("AWS::S3::Bucket"));
    }

    #[test]
    fn security_relevant_changes_are_flagged() {
        let old = json!({"Resources": {
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": []}, "Description": "a"}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "a"}}}});
        let new = json!({"Resources": {
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [{"Effect": "Allow"}]}, "Description": "a"}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "b"}},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Sg": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"IpProtocol": "tcp"}}}});
        let d = TemplateDiff::compute(Some(&old), &new, &IndexMap::new());
        let flagged: Vec<(&str, &str)> = d
            .security_changes()
            .map(|r| (r.logical_id.as_str(), r.security.unwrap()))
            .collect();
        assert_eq!(
            flagged,
            [
                ("Key", "policy"),
                ("Role", "IAM"),
                ("Sg", "security group rules")
            ]
        );
    }

    #[test]
    fn scaling_policies_are_not_resource_policies() {
        for ty in [
            "AWS::AutoScaling::ScalingPolicy",
            "AWS::ApplicationAutoScaling::ScalingPolicy",
        ] {
            assert_eq!(
                security_reason(ty, &["TargetTrackingScalingPolicyConfiguration"]),
                None,
                "{ty}"
            );
            assert_eq!(
                security_reason(ty, &["StepScalingPolicyConfiguration"]),
                None
            );
        }
        assert_eq!(
            security_reason("AWS::S3::BucketPolicy", &[]),
            Some("resource policy")
        );
        assert_eq!(
            security_reason("AWS::SQS::QueuePolicy", &["PolicyDocument"]),
            Some("resource policy")
        );
    }

    #[test]
    fn outputs_parameters_and_sections_are_compared() {
        let old = json!({"Description": "a", "Parameters": {"P": {"Type": "String"}}, "Outputs": {"O": {"Value": "1"}}});
        let new =
            json!({"Description": "b", "Outputs": {"O": {"Value": "2"}, "N": {"Value": "3"}}});
        let d = TemplateDiff::compute(Some(&old), &new, &IndexMap::new());
        assert_eq!(d.sections[0].key, "Description");
        assert_eq!(d.parameters[0].kind, ChangeKind::Removed);
        let outs: Vec<(&str, ChangeKind)> =
            d.outputs.iter().map(|o| (o.key.as_str(), o.kind)).collect();
        assert_eq!(
            outs,
            [("O", ChangeKind::Modified), ("N", ChangeKind::Added)]
        );
    }
}
