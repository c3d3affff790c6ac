//! Templates built from the construct tree, as synth builds and validates them.

mod support;

use serde_json::json;
use stackwright_assertions::Template;
use stackwright_core::{App, Stack};
use support::panic_message;

mod fake {
    //! A resource type of the test's own, so these tests need no generated L1 code.
    use indexmap::IndexMap;
    use stackwright_core::Expr;
    use stackwright_core::ResourceProps;
    use stackwright_core::facts::{Prop, ResourceFacts, Rules, Shape, TagFormat, Tagging, Ty};

    static SHAPE: Shape = Shape {
        name: "Properties",
        properties: &[
            Prop {
                name: "Name",
                required: false,
                ty: Ty::String,
                rules: Rules::NONE,
            },
            Prop {
                name: "Tags",
                required: false,
                ty: Ty::Json,
                rules: Rules::NONE,
            },
        ],
        constraints: &[],
    };
    static FACTS: ResourceFacts = ResourceFacts {
        type_name: "Test::Thing::Widget",
        attributes: &[],
        create_only: &[],
        write_only: &[],
        tagging: Some(Tagging {
            property: "Tags",
            format: TagFormat::KeyValueList,
        }),
        shape: &SHAPE,
    };

    #[derive(Clone, Default)]
    pub struct Widget {
        pub name: Option<String>,
    }

    impl ResourceProps for Widget {
        const TYPE_NAME: &'static str = "Test::Thing::Widget";
        fn facts() -> &'static ResourceFacts {
            &FACTS
        }
        fn to_properties(&self) -> IndexMap<String, Expr> {
            self.name
                .iter()
                .map(|n| ("Name".to_string(), Expr::str(n)))
                .collect()
        }
    }
}

#[test]
fn from_stack_builds_the_stack_with_its_app() {
    use stackwright_core::{
        Env, Output, Parameter, ParameterProps, RemovalPolicy, Resource, Scope,
    };

    let app = App::new();
    let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
    let other = Stack::new(&app, "Other", Env::new("123456789012", "us-east-1")).unwrap();
    stack.tags().add("Project", "Demo");
    let widget = Resource::new(
        &stack,
        "Widget",
        fake::Widget {
            name: Some("w".into()),
        },
    )
    .unwrap();
    widget.apply_removal_policy(RemovalPolicy::Retain);
    Resource::new(&stack, "Bare", fake::Widget::default()).unwrap();
    Parameter::new(&stack, "Stage", ParameterProps::string_with_default("dev")).unwrap();
    Output::new(&stack, "WidgetName", "w")
        .unwrap()
        .description("the name");
    Resource::new(&other, "Elsewhere", fake::Widget::default()).unwrap();

    let t = Template::from_stack(&stack);
    t.resource_count_is("Test::Thing::Widget", 2);
    t.has_resource_properties(
        "Test::Thing::Widget",
        json!({ "Name": "w", "Tags": [{ "Key": "Project", "Value": "Demo" }] }),
    );
    t.has_resource("Test::Thing::Widget", json!({ "DeletionPolicy": "Retain" }));
    t.has_parameter("Stage", json!({ "Type": "String", "Default": "dev" }));
    t.has_output(
        "WidgetName",
        json!({ "Value": "w", "Description": "the name" }),
    );
    assert_eq!(t.json()["AWSTemplateFormatVersion"], "2010-09-09");
    assert!(!t.diagnostics().has_errors());

    // The report names the construct path of the closest resource.
    let err = t
        .try_has_resource_properties("Test::Thing::Widget", json!({ "Name": "v" }))
        .unwrap_err();
    let report = err.to_string();
    assert!(report.contains("(Demo/Widget), 1 mismatch:"), "{report}");
    assert!(
        report.contains(r#"at /Properties/Name: expected "v", found "w""#),
        "{report}"
    );

    Template::from_stack(&other).resource_count_is("Test::Thing::Widget", 1);
    let via_scope = Template::from_stack(&widget.stack());
    assert_eq!(via_scope.json(), t.json());
}

#[test]
fn from_stack_panics_with_the_build_errors() {
    use stackwright_core::{Env, Output};

    let app = App::new();
    let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
    Output::new(&stack, "A", "a")
        .unwrap()
        .override_logical_id("Same");
    Output::new(&stack, "B", "b")
        .unwrap()
        .override_logical_id("Same");
    let msg = panic_message(|| drop(Template::from_stack(&stack)));
    assert!(
        msg.starts_with("Template::from_stack(\"Demo\"): synth found errors"),
        "{msg}"
    );
    assert!(msg.contains("error[logical-id-collision]"), "{msg}");

    // Schema rules are checked too, as synth checks them.
    let app = App::new();
    let stack = Stack::new(&app, "Demo", Env::new("123456789012", "us-east-1")).unwrap();
    let widget =
        stackwright_core::Resource::new(&stack, "Widget", fake::Widget::default()).unwrap();
    widget.add_property_override("Colour", "red");
    let msg = panic_message(|| drop(Template::from_stack(&stack)));
    assert!(
        msg.contains(
            "error[unknown-property]: Demo/Widget: Test::Thing::Widget has no property Colour"
        ),
        "{msg}"
    );
}
