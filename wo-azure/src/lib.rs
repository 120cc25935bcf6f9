//! wo on Azure Workload Orchestration (ARM provider `Microsoft.Edge`, api-version 2025-08-01).
//!
//! - [`arm`]: the ARM REST client (credentials, long-running operations, retries, paging).
//! - [`orchestrator`]: the `Orchestrator` port on Workload Orchestration.
//! - [`fleet`]: the targets of a resource group, for onboarding them into a fleet.
//! - `simulator` (feature): an in-memory ARM server for the resources and operations wo uses.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod arm;
pub mod fleet;
pub mod orchestrator;
#[cfg(feature = "simulator")]
pub mod simulator;
