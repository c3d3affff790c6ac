//! The registry (`stackwright_core::registry`, decoded from data) and the typed L1 code
//! (`stackwright-l1`, static tables) are written from the same model by the generator: for
//! every typed resource compiled in, the decoded facts must say exactly what its statics
//! say. `cargo test --workspace` compiles the default services and those the tests use;
//! `--features full` checks every type.

use stackwright::core::facts::{Prop, Shape, Ty};
use stackwright::core::registry::facts_for;

/// The registry and the typed code are written from the same model; for every type that
/// has typed code, the decoded facts must say exactly what its static tables say.
#[test]
fn decoded_facts_equal_the_generated_statics() {
    let typed_facts = stackwright::l1::all_facts();
    assert!(
        typed_facts.len() > 100,
        "the default services are compiled in"
    );
    for typed in typed_facts {
        let decoded = facts_for(typed.type_name)
            .unwrap_or_else(|| panic!("{} is not in the registry", typed.type_name));
        let t = typed.type_name;
        assert_eq!(
            format!("{:?}", decoded.attributes),
            format!("{:?}", typed.attributes),
            "{t}"
        );
        assert_eq!(decoded.create_only, typed.create_only, "{t}");
        assert_eq!(decoded.write_only, typed.write_only, "{t}");
        assert_eq!(decoded.tagging, typed.tagging, "{t}");
        same_shape(decoded.shape, typed.shape, t, &mut Compared::default());
    }
}

/// Pairs of shapes already compared: shared shapes are compared once.
type Compared = std::collections::HashSet<(*const Shape, *const Shape)>;

/// Compares two shapes property by property. Below a recursion the decoded facts may say
/// free-form JSON where the statics go on.
fn same_shape(decoded: &'static Shape, typed: &'static Shape, at: &str, done: &mut Compared) {
    if !done.insert((decoded, typed)) {
        return;
    }
    assert_eq!(decoded.name, typed.name, "{at}");
    assert_eq!(decoded.properties.len(), typed.properties.len(), "{at}");
    assert_eq!(decoded.constraints, typed.constraints, "{at}: constraints");
    for (d, s) in decoded.properties.iter().zip(typed.properties) {
        same_prop(d, s, &format!("{at}/{}", s.name), done);
    }
}

fn same_prop(decoded: &'static Prop, typed: &'static Prop, at: &str, done: &mut Compared) {
    assert_eq!(decoded.name, typed.name, "{at}");
    assert_eq!(decoded.required, typed.required, "{at}");
    assert_eq!(
        format!("{:?}", decoded.rules),
        format!("{:?}", typed.rules),
        "{at}"
    );
    match (&decoded.ty, &typed.ty) {
        (Ty::Object(d), Ty::Object(s)) => same_shape(d, s, at, done),
        (Ty::Json, Ty::Object(s)) => assert!(
            reaches(s, s, &mut Vec::new()),
            "{at}: decoded as JSON but {} is not recursive",
            s.name
        ),
        (Ty::List(d), Ty::List(s)) | (Ty::Map(d), Ty::Map(s)) => same_prop(d, s, at, done),
        (d, s) => assert_eq!(kind(d), kind(s), "{at}"),
    }
}

fn kind(t: &Ty) -> &'static str {
    match t {
        Ty::String => "string",
        Ty::Integer => "integer",
        Ty::Number => "number",
        Ty::Boolean => "boolean",
        Ty::Json => "json",
        Ty::List(_) => "list",
        Ty::Map(_) => "map",
        Ty::Object(_) => "object",
    }
}

/// Whether `target` can be reached from `from`'s properties.
fn reaches(from: &'static Shape, target: &'static Shape, seen: &mut Vec<*const Shape>) -> bool {
    if seen.contains(&(from as *const Shape)) {
        return false;
    }
    seen.push(from);
    from.properties.iter().any(|p| {
        let mut t = &p.ty;
        while let Ty::List(item) | Ty::Map(item) = t {
            t = &item.ty;
        }
        match t {
            Ty::Object(s) => std::ptr::eq(*s, target) || reaches(s, target, seen),
            _ => false,
        }
    })
}
