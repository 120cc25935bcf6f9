//! One module per command group; each command is an argument struct with a `run` method.

pub mod completions;
pub mod fleet;
pub mod flow;
pub mod init;
pub mod local;
pub mod plan;
#[cfg(feature = "demo")]
pub mod sim;
pub mod template;
pub mod verify;
