//! Production-ready L2 constructs for stackwright: a multi-AZ network, keys and secrets,
//! PostgreSQL and Redis, a blue/green load balancer and fleet, alarms, each with secure,
//! neutral defaults, `production()` / `staging()` presets, errors at construction that
//! name the path, every bad prop, its value and the fix, and an escape hatch to the L1
//! resources underneath.
//!
//! **Reaching the L1 resources.** One naming scheme across the constructs: `resource()`
//! is the L1 resource at the construct's own path (AWS CDK's `node.defaultChild`); every
//! other L1 resource is a method named after its construct id in snake case
//! (`listener()` for `HttpsListener`, `log_group()`, `auto_scaling_group(colour)`). A
//! method returns a reference where the resource always exists and an `Option` where it
//! depends on the props (`cluster()` of a fleet on EC2 is `None`). [`database::PostgresDb`]
//! is an instance or an Aurora cluster, so its `resources()` is an enum of the two.
//! Each handle's `edit` (on the L1 resource) may read the tree.
//!
//! **Exceptions.** A construct departs from a secure default only when its props ask with
//! your reason (`Availability::SingleAz`, `Protection::Off`, `http_redirect`,
//! `wildcard_san`), and [`opt_out::skip_check`] records one for a single resource; the
//! reason is written into the template for reviewers and scanners. The library supplies
//! none.
#![warn(missing_docs)]

pub mod alarms;
pub mod alb;
pub mod backup;
pub mod cache;
pub mod database;
pub mod ecr;
pub mod error;
pub mod fleet;
pub mod iam;
pub mod key;
pub mod metric;
pub mod opt_out;
pub mod release;
pub mod secret;
pub mod security_group;
pub mod vpc;
pub mod waf;

pub use error::{ConstructError, PropProblem};
