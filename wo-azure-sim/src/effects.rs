//! What a long-running operation does when it ends, by kind of resource: the resource kinds
//! sit below, [`crate::operations::poll`] calls [`apply`] through the route that polls.

use serde_json::json;

use crate::http::now_rfc3339;
use crate::lro::{Done, Effect, Operation};
use crate::state::SimState;
use crate::{authoring, deployment};

/// Does what an operation does when it ends.
pub(crate) fn apply(st: &mut SimState, op: &Operation) -> Done {
    if op.doomed {
        return fail(st, &op.effect);
    }
    match &op.effect {
        Effect::Provision(id) => authoring::provision(st, id),
        Effect::Delete(id) => {
            st.remove_tree(id);
            Done::ok(None)
        }
        Effect::Insert { resource, parent } => authoring::insert(st, resource, parent.as_ref()),
        Effect::Review {
            target,
            template_version,
            instance,
            dependencies,
        } => deployment::review(
            st,
            target,
            template_version,
            instance.as_deref(),
            dependencies,
        ),
        Effect::Resolve {
            target,
            template_version,
        } => deployment::resolve(st, target, template_version),
        Effect::Publish { sv } => deployment::publish(st, sv),
        Effect::Install { sv, target, job } => {
            let prepared = op.prepared.clone().unwrap_or_else(|| {
                Err(json!({"code": "InternalServerError",
                           "message": "The installation ended before its charts were pulled."}))
            });
            deployment::install(st, sv, target, job, None, prepared)
        }
        Effect::Uninstall { instance } => deployment::uninstall(st, instance),
        Effect::RemoveRevision { sv } => {
            st.remove_tree(sv);
            Done::ok(None)
        }
    }
}

/// Ends a doomed operation: `InternalServerError`, and its resource marked as failed where it
/// has one.
fn fail(st: &mut SimState, effect: &Effect) -> Done {
    let err = json!({
        "code": "InternalServerError",
        "message": "The operation failed (injected by the simulator).",
    });
    match effect {
        Effect::Provision(id) | Effect::Delete(id) => {
            if let Some(r) = st.get_mut(id) {
                r["properties"]["provisioningState"] = json!("Failed");
            }
        }
        Effect::Publish { sv } => {
            if let Some(r) = st.get_mut(sv) {
                let now = now_rfc3339();
                r["properties"]["currentStage"] = deployment::stage_map("Publish", "Failed", &now);
            }
        }
        Effect::Install { sv, target, job } => {
            return deployment::install(st, sv, target, job, Some(err), Ok(None));
        }
        Effect::Insert { .. }
        | Effect::Review { .. }
        | Effect::Resolve { .. }
        | Effect::Uninstall { .. }
        | Effect::RemoveRevision { .. } => {}
    }
    Done::failed(err)
}
