//! wo on Azure Workload Orchestration (ARM provider `Microsoft.Edge`, api-version 2025-08-01).
//!
//! - [`arm`]: the ARM REST client (credentials, long-running operations, retries, paging).
//! - [`orchestrator`]: the `Orchestrator` port on Workload Orchestration.
//! - [`fleet`]: the targets of a resource group, for onboarding them into a fleet.
//! - [`onboard`]: the other way: a fleet's context and targets planned and applied into WO.
//!
//! An in-memory simulator of the API, for tests, benchmarks and the local demo, is the crate
//! `wo-azure-sim`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod arm;
pub mod fleet;
pub mod onboard;
pub mod orchestrator;
