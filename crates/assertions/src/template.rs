//! [`Template`]: one stack's template, and the assertions on it.

use std::borrow::Cow;
use std::str::FromStr;

use indexmap::IndexMap;
use serde_json::{Map, Value};
use stackwright_core::{App, Diagnostics, Stack, StackArtifact};
use stackwright_synth::{SynthError, synthesize};

use crate::matcher::Matcher;
use crate::report::{Candidate, MatchFailure, SHOWN_CANDIDATES, closest, short};

/// The CloudFormation template of one stack, to assert on in tests.
///
/// ```
/// use serde_json::json;
/// use stackwright_assertions::{Matcher, Template};
///
/// let template = Template::from_json(json!({
///     "Resources": {
///         "Queue": {
///             "Type": "AWS::SQS::Queue",
///             "Properties": { "VisibilityTimeout": 300 },
///             "DeletionPolicy": "Retain"
///         }
///     },
///     "Outputs": { "QueueUrl": { "Value": { "Ref": "Queue" } } }
/// }));
/// template.resource_count_is("AWS::SQS::Queue", 1);
/// template.has_resource("AWS::SQS::Queue", json!({ "DeletionPolicy": "Retain" }));
/// template.has_output("*", json!({ "Value": { "Ref": "Queue" } }));
/// assert!(template.try_has_resource_properties("AWS::SQS::Queue", json!({ "VisibilityTimeout": 30 })).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Template {
    json: Value,
    /// Construct paths by logical id, when the template was built from a stack.
    paths: IndexMap<String, String>,
    /// Warnings and notes of synth, when the template was built from a stack.
    diagnostics: Diagnostics,
}

/// What a resource assertion matches the expectation against.
#[derive(Clone, Copy)]
enum Target {
    /// The whole body: `Type`, `Properties`, `DependsOn`, ...
    Body,
    /// `Properties`, read as `{}` when the resource has none.
    Properties,
}

/// The outcome of matching the elements of one template section.
struct Search<'a> {
    matched: Vec<(&'a String, &'a Value)>,
    failed: Vec<Candidate>,
}

impl Template {
    /// The template of `stack`, synthesized with every other stack of its app (so that
    /// references between stacks become exports and imports, as they will deploy) and
    /// validated as `synth` validates it; warnings stay available in
    /// [`Template::diagnostics`].
    ///
    /// # Panics
    ///
    /// When synth reports errors (a missing required property, a value outside its schema
    /// rules, a logical id collision, a bad reference, a cycle between stacks): the panic
    /// lists them all, since the template would not deploy as written.
    #[track_caller]
    pub fn from_stack(stack: &Stack) -> Template {
        let name = stack.name();
        let synthesized = match synthesize(&App::of(stack)) {
            Ok(s) => s,
            Err(SynthError::Invalid(diagnostics)) => panic!(
                "Template::from_stack(\"{name}\"): synth found errors, so the templates are not what would deploy:\n{diagnostics}"
            ),
            Err(e) => panic!("Template::from_stack(\"{name}\"): {e}"),
        };
        match synthesized.stacks.iter().find(|s| s.name == name) {
            Some(artifact) => Template {
                diagnostics: synthesized.diagnostics.clone(),
                ..Template::from_artifact(artifact)
            },
            None => panic!("Template::from_stack(\"{name}\"): synth made no stack of that name"),
        }
    }

    /// The template of an already built stack (not validated).
    pub fn from_artifact(artifact: &StackArtifact) -> Template {
        Template {
            json: artifact.template.clone(),
            paths: artifact
                .resources
                .iter()
                .map(|(id, info)| (id.clone(), info.path.clone()))
                .collect(),
            diagnostics: Diagnostics::default(),
        }
    }

    /// A template given as JSON, such as one read from a file (see also the [`FromStr`]
    /// implementation, for the text of one).
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Resources": {} }));
    /// template.resource_count_is("AWS::S3::Bucket", 0);
    /// ```
    pub fn from_json(template: Value) -> Template {
        Template {
            json: template,
            paths: IndexMap::new(),
            diagnostics: Diagnostics::default(),
        }
    }

    /// The template as JSON, for snapshots and checks of your own.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// The warnings and notes synth reported for the whole app, when the template comes
    /// from [`Template::from_stack`] (errors make it panic instead); empty otherwise.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }

    /// Asserts that the template has exactly `count` resources of type `type_name`.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Resources": {
    ///     "A": { "Type": "AWS::SNS::Topic" },
    ///     "B": { "Type": "AWS::SNS::Topic" }
    /// }}));
    /// template.resource_count_is("AWS::SNS::Topic", 2);
    /// template.resource_count_is("AWS::SQS::Queue", 0);
    /// ```
    ///
    /// # Panics
    ///
    /// When the count differs, naming the resources found.
    #[track_caller]
    pub fn resource_count_is(&self, type_name: &str, count: usize) {
        or_panic(self.try_resource_count_is(type_name, count));
    }

    /// [`Template::resource_count_is`], returning the failure.
    pub fn try_resource_count_is(&self, type_name: &str, count: usize) -> Result<(), MatchFailure> {
        let found: Vec<&String> = self
            .resources_of_type(type_name)
            .map(|(id, _)| id)
            .collect();
        if found.len() == count {
            return Ok(());
        }
        Err(MatchFailure::summary_only(format!(
            "expected {count} resource(s) of type '{type_name}', found {}{}",
            found.len(),
            list_ids(&found)
        )))
    }

    /// Asserts that exactly `count` resources of type `type_name` have properties matching
    /// `expected` (as in [`Template::has_resource_properties`]).
    ///
    /// # Panics
    ///
    /// When the count differs, naming the resources that match.
    #[track_caller]
    pub fn resource_properties_count_is(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
        count: usize,
    ) {
        or_panic(self.try_resource_properties_count_is(type_name, expected, count));
    }

    /// [`Template::resource_properties_count_is`], returning the failure.
    pub fn try_resource_properties_count_is(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
        count: usize,
    ) -> Result<(), MatchFailure> {
        let expected = expected.into();
        let search = self.search_resources(type_name, &expected, Target::Properties);
        if search.matched.len() == count {
            return Ok(());
        }
        let ids: Vec<&String> = search.matched.iter().map(|(id, _)| *id).collect();
        Err(MatchFailure::summary_only(format!(
            "expected {count} resource(s) of type '{type_name}' with properties matching {}, found {}{}",
            short(expected.to_string()),
            ids.len(),
            list_ids(&ids)
        )))
    }

    /// Asserts that some resource of type `type_name` has `Properties` matching `expected`
    /// (plain JSON is matched as a subset, see [`Matcher::object_like`]). A resource without
    /// `Properties` is read as having `{}`, unless `expected` is [`Matcher::absent`], which
    /// asserts that some resource of the type has no `Properties` at all.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_assertions::{Matcher, Template};
    ///
    /// let template = Template::from_json(json!({ "Resources": { "Bucket": {
    ///     "Type": "AWS::S3::Bucket",
    ///     "Properties": {
    ///         "BucketEncryption": { "ServerSideEncryptionConfiguration": [
    ///             { "ServerSideEncryptionByDefault": { "SSEAlgorithm": "aws:kms" } }
    ///         ]},
    ///         "Tags": [{ "Key": "Project", "Value": "Demo" }]
    ///     }
    /// }}}));
    /// template.has_resource_properties("AWS::S3::Bucket", json!({
    ///     "BucketEncryption": { "ServerSideEncryptionConfiguration": [
    ///         { "ServerSideEncryptionByDefault": { "SSEAlgorithm": "aws:kms" } }
    ///     ]}
    /// }));
    ///
    /// let failure = template
    ///     .try_has_resource_properties("AWS::S3::Bucket", json!({ "Tags": [{ "Value": "Other" }] }))
    ///     .unwrap_err();
    /// assert!(failure.to_string().contains(r#"at /Properties/Tags/0/Value: expected "Other", found "Demo""#));
    /// ```
    ///
    /// # Panics
    ///
    /// When no resource matches: the report shows, for the closest resources, every path
    /// that differs, and their bodies.
    #[track_caller]
    pub fn has_resource_properties(&self, type_name: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_resource_properties(type_name, expected));
    }

    /// [`Template::has_resource_properties`], returning the failure.
    pub fn try_has_resource_properties(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_resource_in(type_name, &expected.into(), Target::Properties)
    }

    /// Asserts that some resource of type `type_name` has a body (`Type`, `Properties`,
    /// `DependsOn`, `DeletionPolicy`, `Condition`, `Metadata`, ...) matching `expected`.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_assertions::{Matcher, Template};
    ///
    /// let template = Template::from_json(json!({ "Resources": { "Db": {
    ///     "Type": "AWS::RDS::DBInstance",
    ///     "Properties": { "Engine": "postgres" },
    ///     "DeletionPolicy": "Snapshot",
    ///     "UpdateReplacePolicy": "Snapshot"
    /// }}}));
    /// template.has_resource("AWS::RDS::DBInstance", json!({
    ///     "DeletionPolicy": "Snapshot",
    ///     "Properties": { "Engine": "postgres" }
    /// }));
    /// template.has_resource("AWS::RDS::DBInstance", Matcher::object([("DependsOn", Matcher::absent())]));
    /// ```
    ///
    /// # Panics
    ///
    /// When no resource matches, with the report of [`Template::has_resource_properties`].
    #[track_caller]
    pub fn has_resource(&self, type_name: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_resource(type_name, expected));
    }

    /// [`Template::has_resource`], returning the failure.
    pub fn try_has_resource(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_resource_in(type_name, &expected.into(), Target::Body)
    }

    /// The resources of type `type_name` whose body matches `expected`, by logical id, in
    /// template order. Pass `Matcher::any_value()` (or `json!({})`) for all of them.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_assertions::{Matcher, Template};
    ///
    /// let template = Template::from_json(json!({ "Resources": {
    ///     "Public": { "Type": "AWS::EC2::Subnet", "Properties": { "MapPublicIpOnLaunch": true } },
    ///     "Private": { "Type": "AWS::EC2::Subnet", "Properties": { "MapPublicIpOnLaunch": false } }
    /// }}));
    /// let public = template.find_resources("AWS::EC2::Subnet", json!({
    ///     "Properties": { "MapPublicIpOnLaunch": true }
    /// }));
    /// assert_eq!(public.keys().collect::<Vec<_>>(), ["Public"]);
    /// assert_eq!(template.find_resources("AWS::EC2::Subnet", Matcher::any_value()).len(), 2);
    /// ```
    pub fn find_resources(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
    ) -> IndexMap<String, Value> {
        owned(
            self.search_resources(type_name, &expected.into(), Target::Body)
                .matched,
        )
    }

    /// Asserts that there is at least one resource of type `type_name` and that every one
    /// has a body matching `expected`.
    ///
    /// # Panics
    ///
    /// When there is none, or some do not match (the report shows them).
    #[track_caller]
    pub fn all_resources(&self, type_name: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_all_resources(type_name, expected));
    }

    /// [`Template::all_resources`], returning the failure.
    pub fn try_all_resources(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.all_resources_in(type_name, &expected.into(), Target::Body)
    }

    /// Asserts that there is at least one resource of type `type_name` and that every one
    /// has `Properties` matching `expected` (as in [`Template::has_resource_properties`]).
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Resources": {
    ///     "A": { "Type": "AWS::Logs::LogGroup", "Properties": { "RetentionInDays": 30 } },
    ///     "B": { "Type": "AWS::Logs::LogGroup", "Properties": { "RetentionInDays": 30, "LogGroupName": "b" } }
    /// }}));
    /// template.all_resources_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": 30 }));
    /// ```
    ///
    /// # Panics
    ///
    /// When there is none, or some do not match (the report shows them).
    #[track_caller]
    pub fn all_resources_properties(&self, type_name: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_all_resources_properties(type_name, expected));
    }

    /// [`Template::all_resources_properties`], returning the failure.
    pub fn try_all_resources_properties(
        &self,
        type_name: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.all_resources_in(type_name, &expected.into(), Target::Properties)
    }

    /// Asserts that the output `logical_id` (or, with `"*"`, some output) matches
    /// `expected`; an output's body holds `Value`, and maybe `Description`, `Export` and
    /// `Condition`.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Outputs": {
    ///     "ApiUrl": { "Value": "https://api.example.com", "Export": { "Name": "ApiUrl" } }
    /// }}));
    /// template.has_output("ApiUrl", json!({ "Export": { "Name": "ApiUrl" } }));
    /// template.has_output("*", json!({ "Value": "https://api.example.com" }));
    /// ```
    ///
    /// # Panics
    ///
    /// When no such output matches, with the closest ones.
    #[track_caller]
    pub fn has_output(&self, logical_id: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_output(logical_id, expected));
    }

    /// [`Template::has_output`], returning the failure.
    pub fn try_has_output(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_in_section("Outputs", "output", logical_id, &expected.into())
    }

    /// The outputs named `logical_id` (every output, with `"*"`) that match `expected`.
    pub fn find_outputs(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> IndexMap<String, Value> {
        owned(
            self.search_section("Outputs", logical_id, &expected.into())
                .matched,
        )
    }

    /// Asserts that the parameter `logical_id` (or, with `"*"`, some parameter) matches
    /// `expected`.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Parameters": {
    ///     "InstanceType": { "Type": "String", "Default": "t3.medium" }
    /// }}));
    /// template.has_parameter("InstanceType", json!({ "Default": "t3.medium" }));
    /// ```
    ///
    /// # Panics
    ///
    /// When no such parameter matches, with the closest ones.
    #[track_caller]
    pub fn has_parameter(&self, logical_id: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_parameter(logical_id, expected));
    }

    /// [`Template::has_parameter`], returning the failure.
    pub fn try_has_parameter(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_in_section("Parameters", "parameter", logical_id, &expected.into())
    }

    /// The parameters named `logical_id` (every parameter, with `"*"`) that match `expected`.
    pub fn find_parameters(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> IndexMap<String, Value> {
        owned(
            self.search_section("Parameters", logical_id, &expected.into())
                .matched,
        )
    }

    /// Asserts that the condition `logical_id` (or, with `"*"`, some condition) matches
    /// `expected`.
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_assertions::Template;
    ///
    /// let template = Template::from_json(json!({ "Conditions": {
    ///     "IsProd": { "Fn::Equals": [{ "Ref": "Stage" }, "prod"] }
    /// }}));
    /// template.has_condition("IsProd", json!({ "Fn::Equals": [{ "Ref": "Stage" }, "prod"] }));
    /// ```
    ///
    /// # Panics
    ///
    /// When no such condition matches, with the closest ones.
    #[track_caller]
    pub fn has_condition(&self, logical_id: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_condition(logical_id, expected));
    }

    /// [`Template::has_condition`], returning the failure.
    pub fn try_has_condition(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_in_section("Conditions", "condition", logical_id, &expected.into())
    }

    /// The conditions named `logical_id` (every condition, with `"*"`) that match `expected`.
    pub fn find_conditions(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> IndexMap<String, Value> {
        owned(
            self.search_section("Conditions", logical_id, &expected.into())
                .matched,
        )
    }

    /// Asserts that the mapping `logical_id` (or, with `"*"`, some mapping) matches
    /// `expected`.
    ///
    /// # Panics
    ///
    /// When no such mapping matches, with the closest ones.
    #[track_caller]
    pub fn has_mapping(&self, logical_id: &str, expected: impl Into<Matcher>) {
        or_panic(self.try_has_mapping(logical_id, expected));
    }

    /// [`Template::has_mapping`], returning the failure.
    pub fn try_has_mapping(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> Result<(), MatchFailure> {
        self.has_in_section("Mappings", "mapping", logical_id, &expected.into())
    }

    /// The mappings named `logical_id` (every mapping, with `"*"`) that match `expected`.
    pub fn find_mappings(
        &self,
        logical_id: &str,
        expected: impl Into<Matcher>,
    ) -> IndexMap<String, Value> {
        owned(
            self.search_section("Mappings", logical_id, &expected.into())
                .matched,
        )
    }

    /// Asserts that the whole template matches `expected` (plain JSON as a subset: list the
    /// sections, elements and properties that matter; use [`Matcher::exact`] for all).
    ///
    /// ```
    /// use serde_json::json;
    /// use stackwright_assertions::Template;
    ///
    /// let template = Template::from_json(json!({
    ///     "AWSTemplateFormatVersion": "2010-09-09",
    ///     "Resources": { "Topic": { "Type": "AWS::SNS::Topic", "Properties": { "TopicName": "alerts" } } }
    /// }));
    /// template.template_matches(json!({
    ///     "Resources": { "Topic": { "Properties": { "TopicName": "alerts" } } }
    /// }));
    /// ```
    ///
    /// # Panics
    ///
    /// When it does not match, listing every mismatch with its path from the template root.
    #[track_caller]
    pub fn template_matches(&self, expected: impl Into<Matcher>) {
        or_panic(self.try_template_matches(expected));
    }

    /// [`Template::template_matches`], returning the failure.
    pub fn try_template_matches(&self, expected: impl Into<Matcher>) -> Result<(), MatchFailure> {
        let expected = expected.into();
        let mismatches = expected.mismatches(&self.json);
        if mismatches.is_empty() {
            return Ok(());
        }
        Err(MatchFailure {
            summary: format!(
                "the template does not match {}",
                short(expected.to_string())
            ),
            heading: "",
            candidates: vec![Candidate {
                id: None,
                construct_path: None,
                mismatches,
                body: None,
            }],
            others: 0,
        })
    }

    // -- internals ---------------------------------------------------------------------

    fn section(&self, name: &str) -> Option<&Map<String, Value>> {
        self.json.get(name).and_then(Value::as_object)
    }

    fn resources_of_type<'a>(
        &'a self,
        type_name: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
        self.section("Resources")
            .into_iter()
            .flatten()
            .filter(move |(_, body)| body.get("Type").and_then(Value::as_str) == Some(type_name))
    }

    fn search_resources<'a>(
        &'a self,
        type_name: &'a str,
        expected: &Matcher,
        target: Target,
    ) -> Search<'a> {
        let (matcher, fill_properties) = match target {
            Target::Body => (Cow::Borrowed(expected), false),
            Target::Properties => (
                Cow::Owned(Matcher::object([("Properties", expected.clone())])),
                !expected.is_absent(),
            ),
        };
        self.search(self.resources_of_type(type_name), &matcher, fill_properties)
    }

    fn search_section<'a>(
        &'a self,
        section: &str,
        logical_id: &'a str,
        expected: &Matcher,
    ) -> Search<'a> {
        let elements = self
            .section(section)
            .into_iter()
            .flatten()
            .filter(move |(id, _)| logical_id == "*" || id.as_str() == logical_id);
        self.search(elements, expected, false)
    }

    fn search<'a>(
        &'a self,
        elements: impl Iterator<Item = (&'a String, &'a Value)>,
        matcher: &Matcher,
        fill_properties: bool,
    ) -> Search<'a> {
        let mut search = Search {
            matched: Vec::new(),
            failed: Vec::new(),
        };
        for (id, body) in elements {
            let view = if fill_properties && body.is_object() && body.get("Properties").is_none() {
                let mut filled = body.clone();
                filled["Properties"] = Value::Object(Map::new());
                Cow::Owned(filled)
            } else {
                Cow::Borrowed(body)
            };
            let mismatches = matcher.mismatches(&view);
            if mismatches.is_empty() {
                search.matched.push((id, body));
            } else {
                search.failed.push(Candidate {
                    id: Some(id.clone()),
                    construct_path: self.paths.get(id).cloned(),
                    mismatches,
                    body: Some(body.clone()),
                });
            }
        }
        search
    }

    fn has_resource_in(
        &self,
        type_name: &str,
        expected: &Matcher,
        target: Target,
    ) -> Result<(), MatchFailure> {
        let search = self.search_resources(type_name, expected, target);
        if !search.matched.is_empty() {
            return Ok(());
        }
        if search.failed.is_empty() {
            return Err(MatchFailure::summary_only(
                self.no_resource_of_type(type_name),
            ));
        }
        let what = match target {
            Target::Body => "body",
            Target::Properties => "properties",
        };
        let summary = format!(
            "the template has {} resource(s) of type '{type_name}', but none with {what} matching {}",
            search.failed.len(),
            short(expected.to_string())
        );
        Err(closest(summary, search.failed))
    }

    fn all_resources_in(
        &self,
        type_name: &str,
        expected: &Matcher,
        target: Target,
    ) -> Result<(), MatchFailure> {
        let search = self.search_resources(type_name, expected, target);
        if search.failed.is_empty() && !search.matched.is_empty() {
            return Ok(());
        }
        if search.failed.is_empty() {
            return Err(MatchFailure::summary_only(
                self.no_resource_of_type(type_name),
            ));
        }
        let what = match target {
            Target::Body => "bodies",
            Target::Properties => "properties",
        };
        let total = search.failed.len() + search.matched.len();
        let summary = format!(
            "{} of the {total} resource(s) of type '{type_name}' have {what} that do not match {}",
            search.failed.len(),
            short(expected.to_string())
        );
        let others = search.failed.len().saturating_sub(SHOWN_CANDIDATES);
        let mut candidates = search.failed;
        candidates.truncate(SHOWN_CANDIDATES);
        Err(MatchFailure {
            summary,
            heading: "not matching:",
            candidates,
            others,
        })
    }

    fn has_in_section(
        &self,
        section: &str,
        noun: &str,
        logical_id: &str,
        expected: &Matcher,
    ) -> Result<(), MatchFailure> {
        let search = self.search_section(section, logical_id, expected);
        if !search.matched.is_empty() {
            return Ok(());
        }
        if search.failed.is_empty() {
            let ids: Vec<&String> = self
                .section(section)
                .into_iter()
                .flatten()
                .map(|(id, _)| id)
                .collect();
            let wanted = if logical_id == "*" {
                format!("the template has no {noun}s")
            } else {
                format!("the template has no {noun} '{logical_id}'")
            };
            let present = if ids.is_empty() {
                String::new()
            } else {
                format!("; its {noun}s are{}", list_ids(&ids))
            };
            return Err(MatchFailure::summary_only(format!("{wanted}{present}")));
        }
        let which = if logical_id == "*" {
            format!("none of the {} {noun}(s)", search.failed.len())
        } else {
            format!("the {noun} '{logical_id}' does not")
        };
        let summary = format!("{which} match {}", short(expected.to_string()));
        Err(closest(summary, search.failed))
    }

    fn no_resource_of_type(&self, type_name: &str) -> String {
        let mut counts: IndexMap<&str, usize> = IndexMap::new();
        for body in self
            .section("Resources")
            .into_iter()
            .flat_map(|s| s.values())
        {
            let t = body
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or("(no Type)");
            *counts.entry(t).or_default() += 1;
        }
        if counts.is_empty() {
            return format!(
                "the template has no resource of type '{type_name}': it has no resources"
            );
        }
        counts.sort_keys();
        let types: Vec<String> = counts.iter().map(|(t, n)| format!("{t} ({n})")).collect();
        format!(
            "the template has no resource of type '{type_name}'; the types it has: {}",
            types.join(", ")
        )
    }
}

/// Parses the text of a template (JSON).
impl FromStr for Template {
    type Err = serde_json::Error;

    fn from_str(s: &str) -> Result<Template, serde_json::Error> {
        serde_json::from_str(s).map(Template::from_json)
    }
}

fn owned(matched: Vec<(&String, &Value)>) -> IndexMap<String, Value> {
    matched
        .into_iter()
        .map(|(id, body)| (id.clone(), body.clone()))
        .collect()
}

fn list_ids(ids: &[&String]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    format!(": {}", quoted.join(", "))
}

#[track_caller]
fn or_panic(result: Result<(), MatchFailure>) {
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
