//! Production-ready L2 constructs for stackwright: a multi-AZ network, databases, caches,
//! load balancing, fleets and alarms, each with secure defaults and named presets.
//!
//! The constructs are being built; until they land, build with the typed L1 resources of
//! `stackwright_core::l1`.
#![warn(missing_docs)]
