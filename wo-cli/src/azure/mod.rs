//! The commands on Azure Workload Orchestration: `wo azure-sim` (the ARM simulator as a
//! process, for scripts and the local demo) and `wo fleet import` (a fleet onboarded from WO,
//! proposed as a change request on the platform config repo).

mod change;
mod import;
mod sim;

pub use import::{import, ImportArgs};
pub use sim::{serve, SimArgs};
