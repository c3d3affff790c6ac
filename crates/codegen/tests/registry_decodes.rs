//! Every vendored type's facts, decoded from the registry file the way synth decodes them,
//! say what the generator's model of its schema says: the proof for the types whose typed
//! module a build does not compile (`tests/registry.rs` in the facade compares the typed
//! statics of the services it compiles).

use std::collections::HashSet;

use stackwright_codegen::model::{Kind, Resource, Rules as ModelRules, TypeNode};
use stackwright_core::facts::{Prop, Rules, Shape, Ty};
use stackwright_core::registry;

#[test]
fn every_type_decodes_to_what_its_schema_says() {
    let models = stackwright_codegen::models(&stackwright_codegen::schemas_dir())
        .unwrap_or_else(|e| panic!("modelling the schemas failed: {e}"));
    assert_eq!(
        models.len(),
        registry::type_names().count(),
        "one entry per type"
    );
    for r in &models {
        let facts = registry::facts_for(&r.type_name)
            .unwrap_or_else(|| panic!("{} is not in the registry", r.type_name));
        let t = r.type_name.as_str();
        let attrs: Vec<(&str, String)> = facts
            .attributes
            .iter()
            .map(|a| (a.name, format!("{:?}", a.ty)))
            .collect();
        let want: Vec<(&str, String)> = r
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), a.attr_type.to_string()))
            .collect();
        assert_eq!(attrs, want, "{t}: attributes");
        assert_eq!(facts.create_only, r.create_only, "{t}: create-only");
        assert_eq!(facts.write_only, r.write_only, "{t}: write-only");
        assert_eq!(
            facts
                .tagging
                .map(|g| (g.property, format!("{:?}", g.format))),
            r.tagging.as_ref().map(|(p, f)| (p.as_str(), f.to_string())),
            "{t}: tagging"
        );
        if r.structs.is_empty() {
            assert!(facts.shape.properties.is_empty(), "{t}");
            continue;
        }
        let mut done = HashSet::new();
        same_shape(facts.shape, r, 0, t, &mut done);
    }
}

fn same_shape(
    decoded: &'static Shape,
    r: &Resource,
    index: usize,
    at: &str,
    done: &mut HashSet<(*const Shape, usize)>,
) {
    if !done.insert((decoded, index)) {
        return;
    }
    let s = &r.structs[index];
    assert_eq!(decoded.name, s.schema_name, "{at}");
    assert_eq!(decoded.properties.len(), s.fields.len(), "{at}: properties");
    // The two `Check` types print alike (slices and vectors, references and boxes).
    assert_eq!(
        format!("{:?}", decoded.constraints),
        format!("{:?}", s.constraints),
        "{at}: constraints"
    );
    for (p, f) in decoded.properties.iter().zip(&s.fields) {
        let here = format!("{at}/{}", f.prop);
        assert_eq!(p.name, f.prop, "{here}");
        assert_eq!(p.required, f.required, "{here}: required");
        same_type(p, &f.ty, r, index, &here, done);
    }
}

fn same_type(
    p: &'static Prop,
    t: &TypeNode,
    r: &Resource,
    from: usize,
    at: &str,
    done: &mut HashSet<(*const Shape, usize)>,
) {
    same_rules(&p.rules, &t.rules, at);
    match (&p.ty, &t.kind) {
        (Ty::String, Kind::Str | Kind::Enum(_))
        | (Ty::Integer, Kind::Int)
        | (Ty::Number, Kind::Num)
        | (Ty::Boolean, Kind::Bool)
        | (Ty::Json, Kind::Json) => {}
        (Ty::Object(s), Kind::Struct(i)) => same_shape(s, r, *i, at, done),
        // Below a recursion the registry checks free-form JSON (see core's decoder).
        (Ty::Json, Kind::Struct(i)) => assert!(
            reaches(r, *i, from),
            "{at}: decoded as JSON, but {} does not lead back to {}",
            r.structs[*i].schema_name,
            r.structs[from].schema_name
        ),
        (Ty::List(item), Kind::List(t)) | (Ty::Map(item), Kind::Map(t)) => {
            same_type(item, t, r, from, at, done)
        }
        (d, k) => panic!("{at}: decoded {d:?}, the schema says {k:?}"),
    }
}

fn same_rules(d: &Rules, m: &ModelRules, at: &str) {
    let allowed: Vec<&str> = m.allowed.iter().map(String::as_str).collect();
    assert_eq!(d.allowed, allowed.as_slice(), "{at}: allowed values");
    assert_eq!(d.pattern, m.pattern.as_deref(), "{at}: pattern");
    assert_eq!(
        (d.min_length, d.max_length),
        (m.min_length, m.max_length),
        "{at}"
    );
    assert_eq!((d.minimum, d.maximum), (m.minimum, m.maximum), "{at}");
    assert_eq!(
        (d.min_items, d.max_items),
        (m.min_items, m.max_items),
        "{at}"
    );
}

/// Whether struct `to` can lead back to struct `from` (they are in one recursive group).
fn reaches(r: &Resource, to: usize, from: usize) -> bool {
    fn structs_in(t: &TypeNode, out: &mut Vec<usize>) {
        match &t.kind {
            Kind::Struct(i) => out.push(*i),
            Kind::List(t) | Kind::Map(t) => structs_in(t, out),
            _ => {}
        }
    }
    let mut seen = HashSet::new();
    let mut stack = vec![to];
    while let Some(i) = stack.pop() {
        if !seen.insert(i) {
            continue;
        }
        for f in &r.structs[i].fields {
            let mut next = Vec::new();
            structs_in(&f.ty, &mut next);
            if next.contains(&from) {
                return true;
            }
            stack.extend(next);
        }
    }
    false
}
