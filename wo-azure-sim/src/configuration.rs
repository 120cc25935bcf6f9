//! Configuration values (`configurations.json`): configurations, configuration references and
//! dynamic configurations with their versions.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use crate::http::{bad_request, missing_properties, not_found, object_body, system_data, Reply};
use crate::ids::{parent_of, stored_type};
use crate::lro::{Effect, ResultShape};
use crate::state::{Shared, SimState};
use crate::{names, operations};

const CONFIGURATION_TYPE: &str = "Microsoft.Edge/configurations";

/// A configuration resource.
fn configuration_resource(
    id: &str,
    name: &str,
    location: &str,
    tags: Value,
    before: Option<&Value>,
) -> Value {
    json!({
        "id": id,
        "name": name,
        "type": CONFIGURATION_TYPE,
        "location": location,
        "tags": tags,
        "systemData": system_data(before.and_then(|b| b.get("systemData"))),
        "properties": {"provisioningState": "Succeeded"},
    })
}

/// A configuration reference resource.
fn reference_resource(id: &str, configuration_id: &str, before: Option<&Value>) -> Value {
    json!({
        "id": id,
        "name": "default",
        "type": "Microsoft.Edge/configurationReferences",
        "systemData": system_data(before.and_then(|b| b.get("systemData"))),
        "properties": {
            "configurationResourceId": configuration_id,
            "provisioningState": "Succeeded",
        },
    })
}

/// What the service does when a target is created: the configuration
/// `RG/configurations/{first 18 characters of the name}Config` in the target's location and
/// `{targetId}/providers/Microsoft.Edge/configurationReferences/default` pointing at it, each
/// unless it exists.
pub(crate) fn ensure_target_configuration(st: &mut SimState, target: &Value) {
    let id = target["id"].as_str().unwrap_or_default();
    let name = target["name"].as_str().unwrap_or_default();
    let location = target["location"].as_str().unwrap_or("eastus");
    // `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Edge`
    let rg: String = id
        .split('/')
        .filter(|s| !s.is_empty())
        .take(6)
        .map(|s| format!("/{s}"))
        .collect();
    let config_name = format!("{}Config", name.chars().take(18).collect::<String>());
    let config_id = format!("{rg}/configurations/{config_name}");
    let reference_id = format!("{id}/providers/Microsoft.Edge/configurationReferences/default");
    if !st.contains(&config_id) {
        st.insert(configuration_resource(
            &config_id,
            &config_name,
            location,
            json!({}),
            None,
        ));
    }
    if !st.contains(&reference_id) {
        st.insert(reference_resource(&reference_id, &config_id, None));
    }
}

/// `PUT RG/configurations/{c}`: synchronous, 201 (200 when it exists).
pub(crate) fn put_configuration(
    shared: &Shared,
    name: &str,
    id: &str,
    body: Option<Value>,
) -> Reply {
    if let Err(m) = names::check("configurations", name) {
        return bad_request("InvalidResourceName", m);
    }
    let body = match object_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(location) = body.get("location").and_then(Value::as_str) else {
        return missing_properties("The 'location' property is required.", &["location".into()]);
    };
    let tags = body.get("tags").cloned().unwrap_or_else(|| json!({}));
    let mut st = shared.lock();
    let before = st.get(id).cloned();
    let resource = configuration_resource(id, name, location, tags, before.as_ref());
    st.insert(resource.clone());
    Reply::json(created_or_ok(before.is_some()), resource)
}

fn created_or_ok(existed: bool) -> StatusCode {
    if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}

/// Checks a `configurationResourceId`: the id of a configuration that exists.
fn check_configuration_id(st: &SimState, configuration_id: &str) -> Result<(), Reply> {
    if stored_type(configuration_id) != Some(CONFIGURATION_TYPE) {
        return Err(bad_request(
            "InvalidConfigurationResourceId",
            format!(
                "'{configuration_id}' is not the id of a Microsoft.Edge/configurations resource."
            ),
        ));
    }
    if !st.contains(configuration_id) {
        return Err(bad_request(
            "InvalidConfigurationResourceId",
            format!("The configuration '{configuration_id}' does not exist."),
        ));
    }
    Ok(())
}

/// `PUT {scope}/providers/Microsoft.Edge/configurationReferences/default`: synchronous.
pub(crate) fn put_reference(shared: &Shared, name: &str, id: &str, body: Option<Value>) -> Reply {
    if let Err(m) = names::check("configurationreferences", name) {
        return bad_request("InvalidResourceName", m);
    }
    let body = match object_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(configuration_id) = body
        .get("properties")
        .and_then(|p| p.get("configurationResourceId"))
        .and_then(Value::as_str)
    else {
        return missing_properties(
            "The configuration resource id is required.",
            &["properties.configurationResourceId".into()],
        );
    };
    let mut st = shared.lock();
    if let Err(r) = check_configuration_id(&st, configuration_id) {
        return r;
    }
    let before = st.get(id).cloned();
    let resource = reference_resource(id, configuration_id, before.as_ref());
    st.insert(resource.clone());
    Reply::json(created_or_ok(before.is_some()), resource)
}

/// `PUT` of a dynamic configuration (`version == false`) or of one of its versions: 201 (200
/// when it exists) with `provisioningState` `InProgress` and `Azure-AsyncOperation`.
pub(crate) fn put_dynamic(
    shared: &Shared,
    name: &str,
    id: &str,
    version: bool,
    body: Option<Value>,
) -> Reply {
    let (kind, field, type_name) = if version {
        (
            "versions-dynamicconfigurations",
            "values",
            "Microsoft.Edge/configurations/dynamicConfigurations/versions",
        )
    } else {
        (
            "dynamicconfigurations",
            "currentVersion",
            "Microsoft.Edge/configurations/dynamicConfigurations",
        )
    };
    if let Err(m) = names::check(kind, name) {
        return bad_request("InvalidResourceName", m);
    }
    let body = match object_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut props: Map<String, Value> = match body.get("properties") {
        Some(Value::Object(p)) => p.clone(),
        _ => {
            return missing_properties(
                "The 'properties' object is required.",
                &[format!("properties.{field}")],
            )
        }
    };
    match props.get(field) {
        Some(Value::String(_)) => {}
        None | Some(Value::Null) => {
            return missing_properties(
                "Required properties are missing.",
                &[format!("properties.{field}")],
            )
        }
        Some(_) => {
            return bad_request(
                "InvalidRequestContent",
                format!("'properties.{field}' must be a string."),
            )
        }
    }
    let mut st = shared.lock();
    let parent = parent_of(parent_of(id)).to_string();
    if !st.contains(&parent) {
        return not_found(&parent);
    }
    let before = st.get(id).cloned();
    if !version {
        props.insert("dynamicConfigurationType".into(), json!("Hierarchy"));
        props.insert("dynamicConfigurationModel".into(), json!("Application"));
    }
    props.insert("provisioningState".into(), json!("InProgress"));
    let resource = json!({
        "id": id,
        "name": name,
        "type": type_name,
        "systemData": system_data(before.as_ref().and_then(|b| b.get("systemData"))),
        "properties": Value::Object(props),
    });
    st.insert(resource.clone());
    let op = operations::start(
        shared,
        &mut st,
        Effect::Provision(id.to_string()),
        id,
        ResultShape::Empty,
    );
    drop(st);
    Reply::json(created_or_ok(before.is_some()), resource)
        .with(
            "azure-asyncoperation",
            operations::op_url(shared, id, &op, true),
        )
        .with_retry_after(&shared.options)
}

/// Properties a client cannot set.
const READ_ONLY: &[&str] = &[
    "provisioningState",
    "dynamicConfigurationType",
    "dynamicConfigurationModel",
    "schemaId",
    "dynamicSchemaVersionId",
    "currentStage",
];

/// `PATCH` of a configuration, a configuration reference or a dynamic configuration (version):
/// synchronous, `tags` and the given `properties` merged.
pub(crate) fn patch(shared: &Shared, id: &str, body: Option<Value>) -> Reply {
    let body = match object_body(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut st = shared.lock();
    let Some(mut resource) = st.get(id).cloned() else {
        return not_found(id);
    };
    if let Some(Value::Object(props)) = body.get("properties") {
        if let Some(cid) = props.get("configurationResourceId") {
            let Some(cid) = cid.as_str() else {
                return bad_request(
                    "InvalidRequestContent",
                    "'properties.configurationResourceId' must be a string.",
                );
            };
            if let Err(r) = check_configuration_id(&st, cid) {
                return r;
            }
        }
        for (k, v) in props {
            if !READ_ONLY.contains(&k.as_str()) {
                resource["properties"][k] = v.clone();
            }
        }
    }
    if let (Some(Value::Object(tags)), Some(existing)) = (body.get("tags"), resource.get("tags")) {
        let mut merged = existing.as_object().cloned().unwrap_or_default();
        merged.extend(tags.clone());
        resource["tags"] = Value::Object(merged);
    }
    resource["systemData"] = system_data(resource.get("systemData"));
    st.insert(resource.clone());
    Reply::ok(resource)
}

/// Synchronous `DELETE`: 200 when it existed (with everything below it), else 204.
pub(crate) fn delete(shared: &Shared, id: &str) -> Reply {
    if shared.lock().remove_tree(id) {
        Reply::empty(StatusCode::OK)
    } else {
        Reply::empty(StatusCode::NO_CONTENT)
    }
}
