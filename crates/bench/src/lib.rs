//! Benchmarks of synthesizing the reference architecture; see `benches/architecture.rs`
//! and `process.sh`. This crate has no library code of its own.
