//! Tracked resources (contexts, targets, schemas, solution templates) and their versions.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use crate::http::{
    bad_request, conflict, etag, missing_properties, not_found, object_body, system_data, Reply,
};
use crate::ids::stored_type;
use crate::lro::{Done, Effect, ResultShape};
use crate::state::{Shared, SimState};
use crate::{configuration, names, operations};

fn type_name(kind: &str) -> &'static str {
    match kind {
        "contexts" => "Microsoft.Edge/contexts",
        "targets" => "Microsoft.Edge/targets",
        "schemas" => "Microsoft.Edge/schemas",
        _ => "Microsoft.Edge/solutionTemplates",
    }
}

fn required(kind: &str) -> &'static [&'static str] {
    match kind {
        "contexts" => &["capabilities", "hierarchies"],
        "targets" => &[
            "description",
            "displayName",
            "contextId",
            "targetSpecification",
            "capabilities",
            "hierarchyLevel",
        ],
        "solutiontemplates" => &["description", "capabilities"],
        _ => &[],
    }
}

/// The shapes the spec requires: a context's `capabilities` and `hierarchies` are lists of
/// `{name, description}` (both strings), a target's `capabilities` a list of strings and its
/// `hierarchyLevel` a string.
fn check_shapes(kind: &str, props: &Map<String, Value>) -> Result<(), String> {
    let named = |key: &str| -> Result<(), String> {
        let Some(items) = props.get(key).and_then(Value::as_array) else {
            return Err(format!("'{key}' must be an array."));
        };
        for (i, item) in items.iter().enumerate() {
            for field in ["name", "description"] {
                if !item.get(field).is_some_and(Value::is_string) {
                    return Err(format!("'{key}[{i}].{field}' is required and a string."));
                }
            }
        }
        Ok(())
    };
    match kind {
        "contexts" => {
            named("capabilities")?;
            named("hierarchies")
        }
        "targets" => {
            let caps = props.get("capabilities").and_then(Value::as_array);
            if !caps.is_some_and(|c| c.iter().all(Value::is_string)) {
                return Err("'capabilities' must be an array of strings.".into());
            }
            for key in ["hierarchyLevel", "contextId", "description", "displayName"] {
                if !props.get(key).is_some_and(Value::is_string) {
                    return Err(format!("'{key}' must be a string."));
                }
            }
            if !props
                .get("targetSpecification")
                .is_some_and(Value::is_object)
            {
                return Err("'targetSpecification' must be an object.".into());
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A target's `hierarchyLevel` must be one of its context's hierarchies (checked when the
/// simulator holds the context).
fn check_in_context(st: &SimState, props: &Map<String, Value>) -> Result<(), String> {
    let context = props.get("contextId").and_then(Value::as_str).unwrap_or("");
    let Some(c) = st.get(context) else {
        return Ok(());
    };
    let level = props
        .get("hierarchyLevel")
        .and_then(Value::as_str)
        .unwrap_or("");
    let levels = c["properties"]["hierarchies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if levels
        .iter()
        .any(|h| h.get("name").and_then(Value::as_str) == Some(level))
    {
        Ok(())
    } else {
        Err(format!(
            "'hierarchyLevel' '{level}' is not a hierarchy of context {context}."
        ))
    }
}

/// `PUT` of a tracked resource: 201 (or 200 when it exists) with `provisioningState`
/// `InProgress` and `Azure-AsyncOperation`.
pub(crate) fn put_tracked(
    shared: &Shared,
    kind: &str,
    name: &str,
    id: &str,
    body: Option<Value>,
) -> Reply {
    if let Err(m) = names::check(kind, name) {
        return bad_request("InvalidResourceName", m);
    }
    let body = match object_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(location) = body.get("location").and_then(Value::as_str) else {
        return missing_properties("The 'location' property is required.", &["location".into()]);
    };
    let mut props = match body.get("properties") {
        Some(Value::Object(p)) => p.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return bad_request("InvalidRequestContent", "'properties' must be an object."),
    };
    let missing: Vec<String> = required(kind)
        .iter()
        .filter(|k| props.get(**k).is_none_or(Value::is_null))
        .map(|k| format!("properties.{k}"))
        .collect();
    if !missing.is_empty() {
        return missing_properties("Required properties are missing.", &missing);
    }
    if kind == "targets" {
        if let Some(state) = props.get("state").and_then(Value::as_str) {
            if !matches!(state, "active" | "inactive") {
                return bad_request("InvalidRequestContent", "'state' is active or inactive.");
            }
        }
    }
    if let Err(m) = check_shapes(kind, &props) {
        return bad_request("InvalidRequestContent", m);
    }
    let mut st = shared.lock();
    if kind == "targets" {
        if let Err(m) = check_in_context(&st, &props) {
            return bad_request("InvalidRequestContent", m);
        }
    }
    let existing = st.get(id).cloned();
    // Read-only properties survive a PUT.
    if let Some(old) = existing.as_ref().and_then(|e| e.get("properties")) {
        for ro in [
            "currentVersion",
            "latestVersion",
            "uniqueIdentifier",
            "status",
        ] {
            if let Some(v) = old.get(ro) {
                props.insert(ro.into(), v.clone());
            }
        }
    }
    if kind == "solutiontemplates" {
        props
            .entry("uniqueIdentifier")
            .or_insert_with(|| json!(name));
    }
    props.insert("provisioningState".into(), json!("InProgress"));
    let mut resource = json!({
        "id": id,
        "name": name,
        "type": type_name(kind),
        "location": location,
        "tags": body.get("tags").cloned().unwrap_or_else(|| json!({})),
        "systemData": system_data(existing.as_ref().and_then(|e| e.get("systemData"))),
        "eTag": etag(),
        "properties": Value::Object(props),
    });
    if let Some(ext) = body.get("extendedLocation") {
        resource["extendedLocation"] = ext.clone();
    }
    st.insert(resource.clone());
    let op = operations::start(
        shared,
        &mut st,
        Effect::Provision(id.to_string()),
        id,
        ResultShape::Empty,
    );
    drop(st);
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Reply::json(status, resource)
        .with(
            "azure-asyncoperation",
            operations::op_url(shared, id, &op, true),
        )
        .with_retry_after(&shared.options)
}

/// The end of a PUT: provisioned. A new target gets its configuration and the reference to it.
pub(crate) fn provision(st: &mut SimState, id: &str) -> Done {
    let Some(r) = st.get_mut(id) else {
        return Done::ok(None);
    };
    r["properties"]["provisioningState"] = json!("Succeeded");
    let r = r.clone();
    if stored_type(id) == Some("Microsoft.Edge/targets") {
        configuration::ensure_target_configuration(st, &r);
    }
    Done::ok(Some(r))
}

/// `DELETE` of a tracked resource: 202 and `Location` (204 when there is nothing).
pub(crate) fn delete(shared: &Shared, id: &str) -> Reply {
    let mut st = shared.lock();
    let Some(resource) = st.get_mut(id) else {
        return Reply::empty(StatusCode::NO_CONTENT);
    };
    resource["properties"]["provisioningState"] = json!("Deleting");
    let op = operations::start(
        shared,
        &mut st,
        Effect::Delete(id.to_string()),
        id,
        ResultShape::Empty,
    );
    drop(st);
    operations::accepted(shared, id, &op)
}

/// Stores a new version and sets its parent's version field.
pub(crate) fn insert(
    st: &mut SimState,
    resource: &Value,
    parent: Option<&(String, &'static str)>,
) -> Done {
    if let Some((parent, field)) = parent {
        if let Some(p) = st.get_mut(parent) {
            p["properties"][*field] = resource["name"].clone();
        }
    }
    st.insert(resource.clone());
    Done::ok(Some(resource.clone()))
}

/// `POST …/createVersion` of a schema or a solution template.
pub(crate) fn create_version(
    shared: &Shared,
    kind: &str,
    parent_id: &str,
    body: Option<Value>,
) -> Reply {
    let body = body.unwrap_or(Value::Null);
    let (inner_key, current_field, required_props): (&str, &'static str, &[&str]) =
        if kind == "schemas" {
            ("schemaVersion", "currentVersion", &["value"])
        } else {
            (
                "solutionTemplateVersion",
                "latestVersion",
                &["configurations", "specification"],
            )
        };
    let mut st = shared.lock();
    let Some(parent) = st.get(parent_id).cloned() else {
        return not_found(parent_id);
    };
    let Some(props) = body.pointer(&format!("/{inner_key}/properties")).cloned() else {
        return missing_properties(
            "The version's properties are required.",
            &[format!("{inner_key}.properties")],
        );
    };
    let missing: Vec<String> = required_props
        .iter()
        .filter(|k| props.get(**k).is_none_or(Value::is_null))
        .map(|k| format!("{inner_key}.properties.{k}"))
        .collect();
    if !missing.is_empty() {
        return missing_properties("Required properties are missing.", &missing);
    }
    let current = parent["properties"][current_field]
        .as_str()
        .map(str::to_string);
    let version = match (
        body.get("version").and_then(Value::as_str),
        body.get("updateType").and_then(Value::as_str),
    ) {
        (Some(v), _) => v.to_string(),
        (None, Some(u)) => match bump(current.as_deref(), u) {
            Some(v) => v,
            None => {
                return bad_request(
                    "InvalidRequestContent",
                    format!("updateType '{u}' is not Major, Minor or Patch."),
                )
            }
        },
        (None, None) => {
            return missing_properties(
                "Either 'version' or 'updateType' is required.",
                &["version".into()],
            )
        }
    };
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.parse::<u64>().is_err()) {
        return bad_request(
            "InvalidVersion",
            format!("The version '{version}' is not MAJOR.MINOR.PATCH."),
        );
    }
    let id = format!("{parent_id}/versions/{version}");
    if st.contains(&id) {
        return conflict(format!(
            "The version '{version}' of '{parent_id}' exists already."
        ));
    }
    let mut props = props;
    props["provisioningState"] = json!("Succeeded");
    let type_name = if kind == "schemas" {
        "Microsoft.Edge/schemas/versions"
    } else {
        "Microsoft.Edge/solutionTemplates/versions"
    };
    let resource = json!({
        "id": id, "name": version, "type": type_name,
        "systemData": system_data(None),
        "eTag": etag(),
        "properties": props,
    });
    let op = operations::start(
        shared,
        &mut st,
        Effect::Insert {
            resource,
            parent: Some((parent_id.to_string(), current_field)),
        },
        &id,
        ResultShape::Resource,
    );
    drop(st);
    operations::accepted(shared, &id, &op)
}

fn bump(current: Option<&str>, update: &str) -> Option<String> {
    let mut v: Vec<u64> = current
        .unwrap_or("0.0.0")
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    v.resize(3, 0);
    match update.to_ascii_lowercase().as_str() {
        "major" => v = vec![v[0] + 1, 0, 0],
        "minor" => v = vec![v[0], v[1] + 1, 0],
        "patch" => v[2] += 1,
        _ => return None,
    }
    Some(format!("{}.{}.{}", v[0], v[1], v[2]))
}

#[cfg(test)]
mod tests {
    use super::bump;

    #[test]
    fn versions() {
        assert_eq!(bump(Some("1.2.3"), "Minor").as_deref(), Some("1.3.0"));
        assert_eq!(bump(None, "patch").as_deref(), Some("0.0.1"));
        assert_eq!(bump(Some("1.2.3"), "Huge"), None);
    }
}
