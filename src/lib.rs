//! `wo`: workload orchestration as code.
#![forbid(unsafe_code)]
pub use wo_core as core;
