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
    /// Rules across its properties (exactly one of, if this then that, ...).
    pub constraints: &'static [Constraint],
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
    /// The schema's `format` of a string, when synth checks it (`ipv4-network`,
    /// `AWS::EC2::VPC.Id`, ...).
    pub format: Option<&'static str>,
    /// Whether list items must differ from each other.
    pub unique_items: bool,
    /// Whether `allowed` compares without ASCII case.
    pub case_insensitive: bool,
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
        format: None,
        unique_items: false,
        case_insensitive: false,
    };
}

/// A rule across the properties of an object, from a schema keyword (`requiredXor`,
/// `oneOf`, `dependentRequired`, `if`/`then`, ...) or one of cfn-lint's schema extensions.
#[derive(Debug, PartialEq)]
pub struct Constraint {
    /// The rule id a finding carries (`required-xor`, `one-of`, `any-of`,
    /// `dependent-required`, `dependent-excluded`, `if-then`, `property-names`,
    /// `cfn-lint-extension`).
    pub rule: &'static str,
    /// Where it comes from: the schema keyword and its location (`oneOf at
    /// #/definitions/Origin`), or the cfn-lint rule and extension file
    /// (`cfn-lint E3682 aws_rds_dbinstance/aurora_exclusive.json`).
    pub source: &'static str,
    /// What it says in words, when the source says it (cfn-lint's descriptions); else empty.
    pub description: &'static str,
    /// What the object must satisfy.
    pub check: Check,
}

/// A subset of JSON Schema, evaluated over template values where an intrinsic function
/// makes the outcome unknown rather than true or false (see synth's validation).
#[derive(Debug, PartialEq)]
pub enum Check {
    /// Always holds (an empty schema, `true`, annotations only).
    Any,
    /// Never holds (`false`): as a property's schema, the property must be absent.
    Never,
    /// A part of a schema the generator does not model: never decides anything.
    Unknown,
    /// `required`: every one of these properties is present.
    Required(&'static [&'static str]),
    /// `additionalProperties: false`: no property outside these.
    OnlyKeys(&'static [&'static str]),
    /// `properties: {name: check}`: when the property is present its value satisfies the check.
    Property(&'static str, &'static Check),
    /// `type`: the value is one of these JSON types (`string`, `integer`, `number`,
    /// `boolean`, `object`, `array`), with CloudFormation's coercions (a number is a string).
    Type(&'static [&'static str]),
    /// `const`: the value equals this JSON (written as JSON text).
    Const(&'static str),
    /// `enum`: the value equals one of these JSON texts.
    Enum(&'static [&'static str]),
    /// `pattern`: a string value matches the regular expression.
    Pattern(&'static str),
    /// `minimum`.
    Minimum(f64),
    /// `maximum`.
    Maximum(f64),
    /// `exclusiveMinimum`.
    ExclusiveMinimum(f64),
    /// `exclusiveMaximum`.
    ExclusiveMaximum(f64),
    /// `multipleOf`.
    MultipleOf(f64),
    /// `minLength`.
    MinLength(u32),
    /// `maxLength`.
    MaxLength(u32),
    /// `minItems`.
    MinItems(u32),
    /// `maxItems`.
    MaxItems(u32),
    /// `items`: every item of a list satisfies the check.
    Items(&'static Check),
    /// `contains`: some item of a list satisfies the check.
    Contains(&'static Check),
    /// `propertyNames`: every key of an object satisfies the (string) check.
    PropertyNames(&'static Check),
    /// `not`.
    Not(&'static Check),
    /// `allOf`, and a schema's several keywords side by side.
    AllOf(&'static [Check]),
    /// `anyOf`.
    AnyOf(&'static [Check]),
    /// `oneOf`: exactly one holds.
    OneOf(&'static [Check]),
    /// `if` / `then` / `else` (a missing branch is [`Check::Any`]).
    IfThenElse(&'static Check, &'static Check, &'static Check),
    /// `dependentRequired` (and `dependencies` with a list): when the first property is
    /// present, so is every one of the others.
    DependentRequired(&'static str, &'static [&'static str]),
    /// `dependentExcluded`: when the first property is present, none of the others is.
    DependentExcluded(&'static str, &'static [&'static str]),
}
