//! The targets of a resource group, as `wo fleet import` onboards them: ARM
//! `Microsoft.Edge/targets` read into [`OrchestratorTarget`]s for
//! [`wo_core::format::fleet::import::merge`].

use serde_json::Value;
use wo_core::files::check_name;
use wo_core::format::fleet::import::OrchestratorTarget;
use wo_core::{Diagnostics, Error, Location, Result};

use crate::arm::ArmClient;
use crate::arm::BACKEND;

/// Reads one item of an ARM target listing.
///
/// # Errors
/// [`Error::Invalid`] naming the target's id when its name cannot be a fleet target name (a
/// path segment of the gitops repo); [`Error::Backend`] for an item without `id` or `name`, or
/// with `capabilities` that are not a list of strings.
pub fn target_from_arm(item: &Value) -> Result<OrchestratorTarget> {
    let id = item
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            malformed(format!(
                "a target without an `id`: {}",
                wo_core::value::brief(item)
            ))
        })?
        .to_string();
    let name = item
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(format!("target {id} has no `name`")))?
        .to_string();
    check_name(&name).map_err(|m| {
        Error::invalid(
            Location::file(id.clone()).with_key("name"),
            format!("WO target cannot be a fleet target: {m}"),
        )
    })?;
    let props = item.get("properties").unwrap_or(&Value::Null);
    let text = |key: &str| props.get(key).and_then(Value::as_str).map(str::to_string);
    let capabilities = match props.get("capabilities") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|c| {
                c.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| malformed(format!("target {id}: a capability is not a string")))
            })
            .collect::<Result<_>>()?,
        Some(_) => {
            return Err(malformed(format!(
                "target {id}: `capabilities` is not a list"
            )))
        }
    };
    Ok(OrchestratorTarget {
        name,
        id,
        context: text("contextId"),
        capabilities,
        hierarchy_level: text("hierarchyLevel"),
    })
}

fn malformed(message: String) -> Error {
    Error::backend(BACKEND, format!("ARM answered {message}"))
}

/// The targets of resource group `rg` (`/subscriptions/S/resourceGroups/RG`), every page; with
/// `context`, only those whose `contextId` is that id (compared case-insensitively, as ARM ids
/// are).
///
/// # Errors
/// [`Error::Invalid`] naming every target whose name cannot be a fleet target; otherwise as
/// [`ArmClient::list`].
pub async fn list_targets(
    arm: &ArmClient,
    rg: &str,
    context: Option<&str>,
) -> Result<Vec<OrchestratorTarget>> {
    let items = arm
        .list(&format!("{rg}/providers/Microsoft.Edge/targets"))
        .await?;
    let mut targets = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for item in &items {
        match target_from_arm(item) {
            Ok(t) => targets.push(t),
            Err(Error::Invalid(ds)) => problems.extend(ds.0),
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(Diagnostics(problems)));
    }
    if let Some(c) = context {
        let c = c.trim_end_matches('/');
        targets.retain(|t| {
            t.context
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(c))
        });
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const RG: &str = "/subscriptions/s/resourceGroups/rg";

    #[test]
    fn hostile_names_and_shapes_from_arm() {
        let item = |name: &str| {
            json!({"id": format!("{RG}/providers/Microsoft.Edge/targets/x"), "name": name,
                   "properties": {"capabilities": ["a"]}})
        };
        for bad in ["../etc", "a b", "", "-x", "a/b", "x..y"] {
            let e = target_from_arm(&item(bad)).unwrap_err();
            assert!(matches!(e, Error::Invalid(_)), "{bad}: {e}");
        }
        let ok = target_from_arm(&item("ok-1")).unwrap();
        assert_eq!(ok.capabilities, ["a"]);
        let no_id = target_from_arm(&json!({"name": "a"})).unwrap_err();
        assert!(matches!(no_id, Error::Backend { .. }), "{no_id}");
        let caps = target_from_arm(&json!({"id": "i", "name": "a",
            "properties": {"capabilities": "x"}}))
        .unwrap_err();
        assert!(matches!(caps, Error::Backend { .. }), "{caps}");
    }
}
