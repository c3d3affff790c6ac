//! What the CloudFormation schemas say about each resource type, as static tables.
//!
//! The code generator writes these beside the typed L1 structs, from the same vendored
//! schemas, so the types users write and the checks synth runs have one source of truth:
//! required properties, value rules (enums, patterns, lengths, ranges), `Fn::GetAtt`
//! attribute names, create-only properties (changing one replaces the resource),
//! write-only properties and how the type takes tags.

/// Everything synth needs to know about one resource type.
#[derive(Debug)]
pub struct ResourceFacts {
    /// The CloudFormation type name, such as `AWS::EC2::VPC`.
    pub type_name: &'static str,
    /// Attributes `Fn::GetAtt` accepts, with the JSON type they resolve to.
    pub attributes: &'static [Attribute],
    /// Properties whose change replaces the resource, as `/`-separated paths below
    /// `Properties` (`CidrBlock`, `LaunchTemplateData/ImageId`).
    pub create_only: &'static [&'static str],
    /// Properties CloudFormation accepts but never returns (passwords and the like), as paths.
    pub write_only: &'static [&'static str],
    /// How the type takes tags, when it does.
    pub tagging: Option<Tagging>,
    /// The properties and their rules.
    pub shape: &'static Shape,
}

impl ResourceFacts {
    /// The attribute named `name` (`Endpoint.Address`), if `Fn::GetAtt` accepts it.
    pub fn attribute(&self, name: &str) -> Option<&'static Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// True when changing the property at `path` replaces the resource.
    pub fn is_create_only(&self, path: &str) -> bool {
        self.create_only.iter().any(|p| {
            *p == path
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }
}

/// One `Fn::GetAtt` attribute.
#[derive(Debug)]
pub struct Attribute {
    /// The name as `Fn::GetAtt` takes it (`Arn`, `Endpoint.Address`).
    pub name: &'static str,
    /// What it resolves to.
    pub ty: AttrType,
}

/// The JSON type of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    /// A string.
    String,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// A boolean.
    Boolean,
    /// A list of strings.
    List,
    /// An object or any other JSON.
    Json,
}

/// How a resource type takes tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tagging {
    /// The property that holds them (almost always `Tags`).
    pub property: &'static str,
    /// Their shape.
    pub format: TagFormat,
}

/// The shapes tags come in across resource types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagFormat {
    /// `[{"Key": k, "Value": v}, ...]`, the common form.
    KeyValueList,
    /// `{k: v, ...}` (SSM parameters and a few others).
    Map,
    /// `[{"Key": k, "Value": v, "PropagateAtLaunch": true}, ...]` (Auto Scaling groups).
    PropagateAtLaunchList,
}

/// The properties of a resource, or of a nested property type.
#[derive(Debug)]
pub struct Shape {
    /// The schema's name for it (`Properties` for the resource itself).
    pub name: &'static str,
    /// Its properties, in schema order.
    pub properties: &'static [Prop],
}

impl Shape {
    /// The property called `name`.
    pub fn property(&self, name: &str) -> Option<&'static Prop> {
        self.properties.iter().find(|p| p.name == name)
    }
}

/// One property and the rules its value must follow.
#[derive(Debug)]
pub struct Prop {
    /// The property name, as written in templates.
    pub name: &'static str,
    /// Whether CloudFormation rejects the resource without it.
    pub required: bool,
    /// The JSON type.
    pub ty: Ty,
    /// Rules on literal values.
    pub rules: Rules,
}

/// The type of a property.
#[derive(Debug)]
pub enum Ty {
    /// A string.
    String,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// A boolean.
    Boolean,
    /// Free-form JSON, or a value the schema allows in more than one JSON type.
    Json,
    /// A list of items of one type (the item's own rules apply to each).
    List(&'static Prop),
    /// A string-keyed map of items of one type.
    Map(&'static Prop),
    /// A nested object.
    Object(&'static Shape),
}

/// Rules on a literal value, from the schema (`enum`, `pattern`, `minLength`, ...).
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Allowed string values; empty means any.
    pub allowed: &'static [&'static str],
    /// A regular expression a string must match.
    pub pattern: Option<&'static str>,
    /// Shortest string length.
    pub min_length: Option<u32>,
    /// Longest string length.
    pub max_length: Option<u32>,
    /// Smallest number.
    pub minimum: Option<f64>,
    /// Largest number.
    pub maximum: Option<f64>,
    /// Fewest list items.
    pub min_items: Option<u32>,
    /// Most list items.
    pub max_items: Option<u32>,
}

impl Rules {
    /// No rules: any value of the right type.
    pub const NONE: Rules = Rules {
        allowed: &[],
        pattern: None,
        min_length: None,
        max_length: None,
        minimum: None,
        maximum: None,
        min_items: None,
        max_items: None,
    };
}
