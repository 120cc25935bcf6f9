//! GitHub Actions integration: what started a run, what a run reports, and the workflows.
//!
//! Inside a workflow step, `wo on-event --github --role <role>`:
//!
//! 1. maps the run's trigger to a pipeline event with [`from_env`] (reading
//!    `GITHUB_EVENT_NAME` and the payload at `GITHUB_EVENT_PATH`); a trigger that is not a wo
//!    event is [`Mapping::Ignored`] with a reason, and the step succeeds doing nothing;
//! 2. runs the event, then reports: step outputs with [`write_outputs`] (`GITHUB_OUTPUT`), a
//!    per-target table with [`step_summary`] (`GITHUB_STEP_SUMMARY`), and bad input as
//!    [`annotations`] on the files at fault.
//!
//! [`workflows`] generates the workflows of the six repositories (`wo init github`);
//! [`bootstrap`] sets the repositories up over the API (`wo init github --apply`).
//!
//! ```
//! use wo_core::pipeline::Event;
//! use wo_github::actions::{from_parts, EventContext, RepoRole};
//!
//! let ctx = EventContext::new(RepoRole::Source);
//! let dispatch = r#"{"action": "wo-change-merged", "client_payload": {"environment": "dev"}}"#;
//! let mapping = from_parts("repository_dispatch", dispatch, &ctx)?;
//! assert_eq!(mapping.into_event(), Some(Event::ChangeMerged { environment: "dev".into() }));
//!
//! let push = r#"{"ref": "refs/heads/feature-x", "after": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "deleted": false}"#;
//! let mapping = from_parts("push", push, &ctx)?;
//! assert_eq!(mapping.reason(), Some("not a wo event: push to feature-x"));
//!
//! let broken = r#"{"action": "wo-change-merged", "client_payload": null}"#;
//! let err = from_parts("repository_dispatch", broken, &ctx).unwrap_err();
//! assert_eq!(err.diagnostics()[0].location.key_path, "client_payload.environment");
//! # Ok::<(), wo_core::Error>(())
//! ```

mod annotations;
pub mod bootstrap;
mod event;
mod output;
pub mod pins;
mod policy_workflow;
mod summary;
mod workflows;

pub use annotations::{annotations, escape_data, escape_property};
pub use bootstrap::{BootstrapOptions, Plan as BootstrapPlan};
pub use event::{
    from_env, from_event_file, from_parts, EventContext, Mapping, RepoRole, DISPATCH_CHANGE_MERGED,
    DISPATCH_CONFIG_MERGED, DISPATCH_PLATFORM_CONFIG_MERGED, DISPATCH_SOURCE_PUSHED,
    EVENT_NAME_VAR, EVENT_PATH_VAR, SHA_VAR,
};
pub use output::{render_outputs, write_outputs, OUTPUT_VAR};
pub use policy_workflow::UPLOAD_SARIF;
pub use summary::{
    append_step_summary, run_summary, step_summary, summary_rows, TargetRow, MAX_SUMMARY_BYTES,
    STEP_SUMMARY_VAR,
};
pub use workflows::{workflows, InitOptions, SolutionRepos, WoInstall, WO_CLI_PACKAGE};
