//! The commands on Azure Workload Orchestration: `wo azure-sim` (the ARM simulator as a
//! process, for scripts and the local demo) and `wo fleet import` (a fleet onboarded from WO,
//! proposed as a change request on the platform config repo).

mod change;
mod fleet;
mod import;
#[cfg(feature = "demo")]
mod sim;

pub use import::{import, ImportArgs};
#[cfg(feature = "demo")]
pub use sim::{serve, SimArgs};
