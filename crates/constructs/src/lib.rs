//! Production-ready L2 constructs for stackwright: a multi-AZ network, keys and secrets,
//! PostgreSQL and Redis, each with secure defaults, `production()` / `staging()` presets,
//! errors at construction that name the path, the value and the fix, and an escape hatch
//! to the L1 resources underneath.
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
pub mod secret;
pub mod security_group;
pub mod vpc;
pub mod waf;

pub use error::{ConstructError, PropProblem};
