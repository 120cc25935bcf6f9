//! wo on Azure Workload Orchestration (ARM provider `Microsoft.Edge`, api-version 2025-08-01).
//!
//! - [`arm`]: the ARM REST client (credentials, long-running operations, retries, paging).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod arm;
