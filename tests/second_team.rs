//! A second team's program, built only from defaults and presets: nothing of another
//! application (names, windows, reasons for exceptions) reaches its templates, and an
//! escape-hatch closure may read the tree.

use stackwright::constructs::alb::{BlueGreenAlb, BlueGreenAlbProps, HealthCheck};
use stackwright::constructs::cache::{RedisCache, RedisCacheProps};
use stackwright::constructs::database::{PostgresDb, PostgresDbProps};
use stackwright::constructs::fleet::{AppFleet, AppFleetProps, ColourState};
use stackwright::constructs::key::{Key, KeyProps};
use stackwright::constructs::vpc::{Vpc, VpcProps};
use stackwright::prelude::*;

/// Every template of an app made of defaults, as text.
fn templates(build: impl FnOnce(&App) -> Result<(), ConstructError>) -> Vec<String> {
    let app = App::new();
    build(&app).expect("defaults build");
    let synthesized = stackwright::synth::synthesize(&app).expect("defaults synthesize");
    synthesized.bodies.clone()
}

fn defaults(app: &App) -> Result<(), ConstructError> {
    let stack = Stack::new(app, "Orders", Env::new("210987654321", "eu-west-1"))?;
    let vpc = Vpc::new(&stack, "Net", VpcProps::default())?;
    PostgresDb::new(&stack, "Db", &vpc, PostgresDbProps::default())?;
    RedisCache::new(&stack, "Cache", &vpc, RedisCacheProps::default())?;
    let staging = Stack::new(app, "Orders-Staging", Env::new("210987654321", "eu-west-1"))?;
    let vpc = Vpc::new(&staging, "Net", VpcProps::staging())?;
    PostgresDb::new(&staging, "Db", &vpc, PostgresDbProps::staging())?;
    RedisCache::new(&staging, "Cache", &vpc, RedisCacheProps::staging())?;
    let edge = BlueGreenAlb::new(
        &staging,
        "Edge",
        &vpc,
        BlueGreenAlbProps {
            target_port: Some(9090),
            health_check: HealthCheck::path("/ready"),
            ..BlueGreenAlbProps::staging("orders.example.org")
        },
    )?;
    AppFleet::new(
        &staging,
        "App",
        &vpc,
        &edge,
        AppFleetProps {
            blue: ColourState::serving("3.1.0"),
            ..AppFleetProps::staging()
        },
    )?;
    Ok(())
}

#[test]
fn defaults_name_no_other_application() {
    let bodies = templates(defaults);
    assert_eq!(bodies.len(), 2);
    for body in &bodies {
        let lower = body.to_lowercase();
        for foreign in [
            "flowviz",
            "atlas",
            "/api/health",
            "8000",
            "celery",
            "halve the database bill",
            "03:00-04:00",
        ] {
            assert!(
                !lower.contains(foreign),
                "a template of defaults holds {foreign:?}"
            );
        }
        // No exception is recorded unless the program asked for one with its reason.
        assert!(
            !body.contains("\"checkov\""),
            "an exception nobody asked for"
        );
    }
    // What the program did give is there.
    let staging = &bodies[1];
    assert!(staging.contains("\"HealthCheckPath\": \"/ready\""));
    assert!(staging.contains("\"Port\": 9090"));
}

#[test]
fn the_database_defaults_create_no_named_database() {
    let bodies = templates(defaults);
    let t: serde_json::Value = serde_json::from_str(&bodies[0]).expect("JSON");
    let db = &t["Resources"]["Db"]["Properties"];
    assert_eq!(db["DBName"], serde_json::Value::Null);
    assert_eq!(db["MasterUsername"], "dbadmin");
    assert_eq!(db["MultiAZ"], true);
}

#[test]
fn an_escape_hatch_closure_may_read_the_tree() {
    let bodies = templates(|app| {
        let stack = Stack::new(app, "Orders", Env::new("210987654321", "eu-west-1"))?;
        let key = Key::new(&stack, "DataKey", KeyProps::production())?;
        let other = Key::new(&stack, "OtherKey", KeyProps::production())?;
        key.resource().edit(|k| {
            // Reads the stack, another resource's properties and this resource's own.
            let rotation = other.resource().props().enable_key_rotation;
            let own = key.resource().path();
            k.description = Some(format!("key of {} at {own}", stack.name()).into());
            k.enable_key_rotation = rotation;
        });
        Ok(())
    });
    assert!(
        bodies[0].contains("\"Description\": \"key of Orders at Orders/DataKey/Resource\""),
        "{}",
        bodies[0]
    );
}

#[test]
fn missing_application_values_are_reported_together() {
    let app = App::new();
    let stack = Stack::new(&app, "Orders", Env::new("210987654321", "eu-west-1")).unwrap();
    let vpc = Vpc::new(&stack, "Net", VpcProps::default()).unwrap();
    let err = BlueGreenAlb::new(
        &stack,
        "Edge",
        &vpc,
        BlueGreenAlbProps::production("orders.example.org"),
    )
    .err()
    .expect("no port and no health path");
    let text = err.to_string();
    assert!(text.contains("target_port"), "{text}");
    assert!(text.contains("health_check.path"), "{text}");
}
