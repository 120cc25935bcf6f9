//! The target actions (review, resolve, publish, install, uninstall, remove a revision) and what
//! they leave behind: solutions, solution versions, instances, their histories, jobs.

use axum::http::StatusCode;
use serde_json::{json, Value};
use wo_azure::arm::new_request_id;

use crate::applied::{self, Prepared};
use crate::http::{
    bad_request, conflict, error, etag, not_found, now_epoch_millis, now_rfc3339, string_field,
    system_data, Reply,
};
use crate::ids::parent_of;
use crate::lro::{Done, Effect, ResultShape};
use crate::state::{Shared, SimState};
use crate::{operations, resolution};

/// Who the simulator says triggered an action.
const ACTOR: &str = "simulator@example.invalid";

/// A `StageMap`.
pub(crate) fn stage_map(stage: &str, status: &str, at: &str) -> Value {
    json!({"stage": stage, "status": status, "displayState": status, "startTime": at, "endTime": at})
}

/// The last segment of an ARM id.
fn last(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or_default()
}

/// `POST RG/targets/{t}/{action}`.
pub(crate) fn target_action(
    shared: &Shared,
    action: &str,
    target_id: &str,
    body: Option<Value>,
) -> Reply {
    let mut st = shared.lock();
    let Some(target) = st.get(target_id).cloned() else {
        return not_found(target_id);
    };
    let started = match action {
        "reviewsolutionversion" | "resolveconfiguration" => {
            start_resolution(shared, &mut st, action, &target, body)
        }
        "publishsolutionversion" => start_publish(shared, &mut st, target_id, body),
        "installsolution" => start_install(shared, &mut st, target_id, body),
        "uninstallsolution" => start_uninstall(shared, &mut st, target_id, body),
        "removerevision" => start_remove_revision(shared, &mut st, target_id, body),
        _ => Err(bad_request(
            "InvalidAction",
            format!("The action '{action}' is not supported by the simulator."),
        )),
    };
    drop(st);
    match started {
        Ok((op, about)) => operations::accepted(shared, &about, &op),
        Err(reply) => reply,
    }
}

/// An operation started: its id and the resource it is about.
type Started = Result<(String, String), Reply>;

/// Review or resolve: the checks that can fail at once (the template version exists, the
/// target offers the template's capabilities); the resolution itself happens when the
/// operation ends.
fn start_resolution(
    shared: &Shared,
    st: &mut SimState,
    action: &str,
    target: &Value,
    body: Option<Value>,
) -> Started {
    let target_id = target["id"].as_str().unwrap_or_default().to_string();
    let stv_id = string_field(&body, "solutionTemplateVersionId")?;
    let low = stv_id.to_ascii_lowercase();
    let segs: Vec<&str> = stv_id.split('/').collect();
    if !low.contains("/providers/microsoft.edge/solutiontemplates/") || segs.len() != 11 {
        return Err(bad_request(
            "InvalidSolutionTemplateVersionId",
            format!("'{stv_id}' is not a solution template version id."),
        ));
    }
    if !st.contains(&stv_id) {
        return Err(not_found(&stv_id));
    }
    let template_id = segs[..9].join("/");
    let missing: Vec<&Value> = st
        .get(&template_id)
        .and_then(|t| t["properties"]["capabilities"].as_array())
        .map(|caps| {
            caps.iter()
                .filter(|c| {
                    !target["properties"]["capabilities"]
                        .as_array()
                        .is_some_and(|tc| tc.contains(c))
                })
                .collect()
        })
        .unwrap_or_default();
    if !missing.is_empty() {
        return Err(bad_request(
            "CapabilityValidationFailed",
            format!(
                "The target '{target_id}' lacks the capabilities {} of the solution template.",
                Value::from(missing.into_iter().cloned().collect::<Vec<_>>())
            ),
        ));
    }
    let effect = if action == "reviewsolutionversion" {
        let instance = body
            .as_ref()
            .and_then(|b| b.get("solutionInstanceName"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let dependencies = body
            .as_ref()
            .and_then(|b| b.get("solutionDependencies"))
            .cloned()
            .unwrap_or_else(|| json!([]));
        Effect::Review {
            target: target_id.clone(),
            template_version: stv_id,
            instance,
            dependencies,
        }
    } else {
        Effect::Resolve {
            target: target_id.clone(),
            template_version: stv_id,
        }
    };
    // Both declare a 200 schema with `final-state-via: location`: `SolutionVersion` for review,
    // `ResolvedConfiguration` for resolveConfiguration.
    let op = operations::start(shared, st, effect, &target_id, ResultShape::Resource);
    Ok((op, target_id))
}

/// The end of a review: the configuration resolved, then the solution (if new) and a solution
/// version `{template version}.{revision}` in state `ReadyToDeploy`. Nothing is created when
/// the resolution fails.
pub(crate) fn review(
    st: &mut SimState,
    target_id: &str,
    stv_id: &str,
    instance: Option<&str>,
    dependencies: &Value,
) -> Done {
    let Some(target) = st.get(target_id).cloned() else {
        return Done::failed(gone(target_id));
    };
    let Some(stv) = st.get(stv_id).cloned() else {
        return Done::failed(gone(stv_id));
    };
    if let Some(message) = applied::unbound_components(&stv["properties"]["specification"], &target)
    {
        return Done::failed(json!({
            "code": "ValidationFailed",
            "message": message,
            "details": [{"code": "ComponentTypeNotBound", "message": message, "target": "specification.components"}],
        }));
    }
    let resolved = match resolution::resolve(st, &target, stv_id) {
        Ok(r) => r,
        Err(e) => return Done::failed(e),
    };
    let segs: Vec<&str> = stv_id.split('/').collect();
    let template_id = segs[..9].join("/");
    let template_version = segs[10];
    let solution_name = st
        .get(&template_id)
        .and_then(|t| t["properties"]["uniqueIdentifier"].as_str())
        .unwrap_or(segs[8])
        .to_string();
    let solution_id = format!("{target_id}/solutions/{solution_name}");
    if !st.contains(&solution_id) {
        let mut solution = json!({
            "id": solution_id, "name": solution_name,
            "type": "Microsoft.Edge/targets/solutions",
            "systemData": system_data(None),
            "eTag": etag(),
            "properties": {"solutionTemplateId": template_id, "displayName": solution_name,
                           "availableSolutionTemplateVersions": [],
                           "provisioningState": "Succeeded"},
        });
        if let Some(ext) = target.get("extendedLocation") {
            solution["extendedLocation"] = ext.clone();
        }
        st.insert(solution);
    }
    let prefix = format!(
        "{}/versions/{}.",
        solution_id.to_ascii_lowercase(),
        template_version.to_ascii_lowercase()
    );
    let revision = st
        .resources
        .keys()
        .filter_map(|k| k.strip_prefix(&prefix)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let sv_name = format!("{template_version}.{revision}");
    let sv_id = format!("{solution_id}/versions/{sv_name}");
    let now = now_rfc3339();
    let mut sv = json!({
        "id": sv_id, "name": sv_name,
        "type": "Microsoft.Edge/targets/solutions/versions",
        "systemData": system_data(None),
        "eTag": etag(),
        "properties": {
            "specification": stv["properties"]["specification"].clone(),
            "solutionTemplateVersionId": stv_id,
            "revision": revision,
            "targetDisplayName": target["properties"]["displayName"].clone(),
            "configuration": resolved.configuration,
            "targetLevelConfiguration": resolved.values,
            "reviewId": new_request_id(),
            "state": "ReadyToDeploy",
            "currentStage": stage_map("Configuration", "Completed", &now),
            "stages": [stage_map("Configuration", "Completed", &now)],
            "solutionInstanceName": instance.unwrap_or(&solution_name),
            "solutionDependencies": dependencies,
            "latestActionTriggeredBy": ACTOR,
            "actionType": "deploy",
            "provisioningState": "Succeeded",
        },
    });
    if let Some(ext) = target.get("extendedLocation") {
        sv["extendedLocation"] = ext.clone();
    }
    st.insert(sv.clone());
    if let Some(solution) = st.get_mut(&solution_id) {
        let available = &mut solution["properties"]["availableSolutionTemplateVersions"];
        if let Some(list) = available.as_array_mut() {
            list.retain(|a| a["solutionTemplateVersion"] != json!(template_version));
            list.push(json!({"solutionTemplateVersion": template_version,
                             "latestConfigRevision": revision.to_string(),
                             "isConfigured": true}));
        }
    }
    Done {
        resource: Some(sv),
        error: None,
        resource_id: Some(sv_id),
    }
}

/// The end of `resolveConfiguration`: `{configuration}`.
pub(crate) fn resolve(st: &mut SimState, target_id: &str, stv_id: &str) -> Done {
    let Some(target) = st.get(target_id).cloned() else {
        return Done::failed(gone(target_id));
    };
    match resolution::resolve(st, &target, stv_id) {
        Ok(r) => Done::ok(Some(json!({"configuration": r.configuration}))),
        Err(e) => Done::failed(e),
    }
}

/// The error of an operation whose resource went away meanwhile.
fn gone(id: &str) -> Value {
    json!({"code": "ResourceNotFound", "message": format!("The resource '{id}' was not found.")})
}

/// The solution version named by `solutionVersionId`, which must be one of the target's.
fn own_solution_version(
    st: &SimState,
    target_id: &str,
    body: &Option<Value>,
) -> Result<(String, Value), Reply> {
    let sv_id = string_field(body, "solutionVersionId")?;
    let prefix = format!("{}/solutions/", target_id.to_ascii_lowercase());
    if !sv_id.to_ascii_lowercase().starts_with(&prefix) {
        return Err(bad_request(
            "InvalidSolutionVersionId",
            format!("'{sv_id}' is not a solution version of '{target_id}'."),
        ));
    }
    match st.get(&sv_id) {
        Some(sv) => Ok((sv_id, sv.clone())),
        None => Err(not_found(&sv_id)),
    }
}

fn start_publish(
    shared: &Shared,
    st: &mut SimState,
    target_id: &str,
    body: Option<Value>,
) -> Started {
    let (sv_id, sv) = own_solution_version(st, target_id, &body)?;
    let state = sv["properties"]["state"].as_str().unwrap_or("").to_string();
    if state == "InReview" || state == "Deploying" {
        return Err(conflict(format!("The solution version is {state}.")));
    }
    if let Some(sv) = st.get_mut(&sv_id) {
        sv["properties"]["currentStage"] = stage_map("Publish", "InProgress", &now_rfc3339());
    }
    let op = operations::start(
        shared,
        st,
        Effect::Publish { sv: sv_id.clone() },
        &sv_id,
        // The spec: `200` `SolutionVersion`, `final-state-via: location`.
        ResultShape::Resource,
    );
    Ok((op, sv_id))
}

/// The end of a publish: stage `Publish` completed, state `ReadyToDeploy`.
pub(crate) fn publish(st: &mut SimState, sv_id: &str) -> Done {
    let now = now_rfc3339();
    let r = st.get_mut(sv_id).map(|r| {
        let p = &mut r["properties"];
        p["state"] = json!("ReadyToDeploy");
        p["currentStage"] = stage_map("Publish", "Completed", &now);
        if let Some(s) = p["stages"].as_array_mut() {
            s.push(stage_map("Publish", "Completed", &now));
        }
        r.clone()
    });
    match r {
        Some(r) => Done::ok(Some(r)),
        None => Done::failed(gone(sv_id)),
    }
}

fn start_install(
    shared: &Shared,
    st: &mut SimState,
    target_id: &str,
    body: Option<Value>,
) -> Started {
    let (sv_id, sv) = own_solution_version(st, target_id, &body)?;
    let state = sv["properties"]["state"].as_str().unwrap_or("").to_string();
    if !matches!(
        state.as_str(),
        "ReadyToDeploy" | "ReadyToUpgrade" | "Deployed" | "Failed" | "Undeployed"
    ) {
        return Err(conflict(format!(
            "The solution version is {state}, not ready to deploy."
        )));
    }
    st.installs
        .entry(last(target_id).to_ascii_lowercase())
        .or_default()
        .push(last(&sv_id).to_string());
    let now = now_rfc3339();
    let job_name = new_request_id();
    let job_id = format!("{target_id}/providers/Microsoft.Edge/jobs/{job_name}");
    st.insert(json!({
        "id": job_id, "name": job_name, "type": "Microsoft.Edge/jobs",
        "systemData": system_data(None),
        "eTag": etag(),
        "properties": {
            "jobType": "deploy",
            "status": "InProgress",
            "startTime": now,
            "jobParameter": {"jobType": "deploy", "parameter": {"solutionVersionId": sv_id}},
            "correlationId": new_request_id(),
            "triggeredBy": ACTOR,
            "steps": [{
                "name": format!("Deploy to {}", last(target_id)),
                "status": "InProgress",
                "startTime": now,
                "message": format!("Deploying {} to {}", last(&sv_id), last(target_id)),
                "statistics": {"statisticsType": "deploy", "totalCount": 1, "successCount": 0, "failedCount": 0},
                "steps": [],
            }],
            "provisioningState": "Succeeded",
        },
    }));
    let op = operations::start(
        shared,
        st,
        Effect::Install {
            sv: sv_id.clone(),
            target: target_id.to_string(),
            job: job_id,
        },
        &sv_id,
        // The spec declares only `202` (no result): the final answer is 204.
        ResultShape::Empty,
    );
    let uri = operations::op_url(shared, &sv_id, &op, true);
    if let Some(sv) = st.get_mut(&sv_id) {
        let p = &mut sv["properties"];
        p["state"] = json!("Deploying");
        p["currentStage"] = stage_map("Deployment", "InProgress", &now);
        p["latestActionTrackingUri"] = json!(uri);
        p["latestActionTriggeredBy"] = json!(ACTOR);
    }
    Ok((op, sv_id))
}

/// The end of an installation: on success the instance points at the solution version (one
/// more history entry) and what `prepared` pulled and rendered is applied; on failure (a
/// failing target, `forced`, or an error in `prepared`) the solution version is `Failed` and
/// the instance untouched. The job ends either way.
pub(crate) fn install(
    st: &mut SimState,
    sv_id: &str,
    target_id: &str,
    job_id: &str,
    forced: Option<Value>,
    prepared: Prepared,
) -> Done {
    let target_name = last(target_id).to_string();
    let injected = st
        .failing_targets
        .contains(&target_name.to_ascii_lowercase());
    let (forced, prepared) = match (forced, prepared) {
        (Some(e), _) => (Some(e), None),
        (None, Err(e)) if !injected => (Some(e), None),
        (None, Err(_)) => (None, None),
        (None, Ok(p)) => (None, p),
    };
    let fails = forced.is_some() || injected;
    let err = forced.unwrap_or_else(|| {
        json!({
            "code": "DeploymentFailed",
            "message": st
                .failure_messages
                .get(&target_name.to_ascii_lowercase())
                .map(|m| format!("The deployment to target '{target_name}' failed: {m}"))
                .unwrap_or_else(|| format!("The deployment to target '{target_name}' failed (injected by the simulator).")),
            "target": target_id,
        })
    });
    let now = now_rfc3339();
    let (status, stage_status) = if fails {
        ("Failed", "Failed")
    } else {
        ("Succeeded", "Completed")
    };
    if let Some(job) = st.get_mut(job_id) {
        let p = &mut job["properties"];
        p["status"] = json!(status);
        p["endTime"] = json!(now);
        let step = &mut p["steps"][0];
        step["status"] = json!(status);
        step["endTime"] = json!(now);
        step["statistics"]["successCount"] = json!(u32::from(!fails));
        step["statistics"]["failedCount"] = json!(u32::from(fails));
        if fails {
            step["errorDetails"] = err.clone();
            p["errorDetails"] = err.clone();
        }
    }
    let Some(sv) = st.get(sv_id).cloned() else {
        return Done::failed(gone(sv_id));
    };
    if !fails {
        let target = st.get(target_id).cloned().unwrap_or(Value::Null);
        deploy_instance(st, &sv, &target, &now);
        let solution = last(parent_of(parent_of(sv_id))).to_string();
        let key = applied::key(&target_name, &solution);
        match prepared {
            Some(state) => {
                st.applied.insert(key, state);
            }
            None => {
                st.applied.remove(&key);
            }
        }
    }
    let r = st.get_mut(sv_id).map(|r| {
        let p = &mut r["properties"];
        p["state"] = json!(if fails { "Failed" } else { "Deployed" });
        p["currentStage"] = stage_map("Deployment", stage_status, &now);
        if let Some(s) = p["stages"].as_array_mut() {
            s.push(stage_map("Deployment", stage_status, &now));
        }
        if fails {
            p["errorDetails"] = err.clone();
        } else if let Some(o) = p.as_object_mut() {
            o.remove("errorDetails");
        }
        r.clone()
    });
    Done {
        resource: r,
        error: fails.then_some(err),
        resource_id: None,
    }
}

/// Points the solution version's instance at it (creating the instance), adds a history entry,
/// and marks the version the instance had before as `Undeployed`.
fn deploy_instance(st: &mut SimState, sv: &Value, target: &Value, now: &str) {
    let sv_id = sv["id"].as_str().unwrap_or_default().to_string();
    let solution_id = parent_of(parent_of(&sv_id)).to_string();
    let instance_name = sv["properties"]["solutionInstanceName"]
        .as_str()
        .unwrap_or_else(|| last(&solution_id))
        .to_string();
    let instance_id = format!("{solution_id}/instances/{instance_name}");
    let before = st.get(&instance_id).cloned();
    let previous = before
        .as_ref()
        .and_then(|i| i["properties"]["solutionVersionId"].as_str())
        .map(str::to_string);
    if let Some(prev) = previous.filter(|p| !p.eq_ignore_ascii_case(&sv_id)) {
        if let Some(old) = st.get_mut(&prev) {
            old["properties"]["state"] = json!("Undeployed");
        }
    }
    let generation = before
        .as_ref()
        .and_then(|i| i["properties"]["status"]["generation"].as_i64())
        .unwrap_or(0)
        + 1;
    let components: Vec<Value> = sv["properties"]["specification"]["components"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| json!({"name": c["name"].as_str().unwrap_or("component"), "status": "Deployed"}))
                .collect()
        })
        .unwrap_or_default();
    let target_name = target["name"].as_str().unwrap_or_default();
    let status = json!({
        "lastModified": now,
        "deployed": 1,
        "expectedRunningJobId": generation,
        "runningJobId": generation,
        "status": "Deployed",
        "statusDetails": format!("{} deployed to {target_name}", last(&sv_id)),
        "generation": generation,
        "targetStatuses": [{"name": target_name, "status": "Deployed", "componentStatuses": components}],
    });
    let scope = target["properties"]["solutionScope"]
        .as_str()
        .unwrap_or("default");
    let policy = before
        .as_ref()
        .and_then(|i| i["properties"].get("reconciliationPolicy").cloned())
        .unwrap_or_else(|| json!({"state": "active", "interval": "1h"}));
    let mut instance = json!({
        "id": instance_id, "name": instance_name,
        "type": "Microsoft.Edge/targets/solutions/instances",
        "systemData": system_data(before.as_ref().and_then(|b| b.get("systemData"))),
        "eTag": etag(),
        "properties": {
            "solutionVersionId": sv_id,
            "targetId": target["id"].clone(),
            "activeState": "active",
            "reconciliationPolicy": policy,
            "solutionScope": scope,
            "status": status,
            "deploymentTimestampEpoch": now_epoch_millis(),
            "provisioningState": "Succeeded",
        },
    });
    if let Some(ext) = target.get("extendedLocation") {
        instance["extendedLocation"] = ext.clone();
    }
    st.insert(instance);
    // A target made unhealthy reports the new version failing too.
    crate::health::refresh(st, &instance_id);
    let instance = st.get(&instance_id).cloned().unwrap_or(Value::Null);

    let histories = format!("{}/histories/", instance_id.to_ascii_lowercase());
    let n = st
        .resources
        .keys()
        .filter(|k| k.starts_with(&histories))
        .count()
        + 1;
    let history_name = format!("history-{n:06}");
    let mut history = json!({
        "id": format!("{instance_id}/histories/{history_name}"), "name": history_name,
        "type": "Microsoft.Edge/targets/solutions/instances/histories",
        "systemData": system_data(None),
        "eTag": etag(),
        "properties": {
            "solutionVersion": {"solutionVersionId": sv_id,
                                "specification": sv["properties"]["specification"].clone()},
            "target": {"targetId": target["id"].clone(),
                       "targetSpecification": target["properties"]["targetSpecification"].clone(),
                       "solutionScope": scope},
            "solutionScope": scope,
            "activeState": "active",
            "reconciliationPolicy": instance["properties"]["reconciliationPolicy"].clone(),
            "status": instance["properties"]["status"].clone(),
            "provisioningState": "Succeeded",
        },
    });
    if let Some(ext) = target.get("extendedLocation") {
        history["extendedLocation"] = ext.clone();
    }
    st.insert(history);
}

/// The solution name of a template id: its `uniqueIdentifier`, else its name.
fn solution_of(st: &SimState, template_id: &str) -> String {
    st.get(template_id)
        .and_then(|t| t["properties"]["uniqueIdentifier"].as_str())
        .unwrap_or_else(|| last(template_id))
        .to_string()
}

fn start_uninstall(
    shared: &Shared,
    st: &mut SimState,
    target_id: &str,
    body: Option<Value>,
) -> Started {
    let template_id = string_field(&body, "solutionTemplateId")?;
    let solution = solution_of(st, &template_id);
    let instance_name = body
        .as_ref()
        .and_then(|b| b.get("solutionInstanceName"))
        .and_then(Value::as_str)
        .unwrap_or(&solution)
        .to_string();
    let instance_id = format!("{target_id}/solutions/{solution}/instances/{instance_name}");
    if !st.contains(&instance_id) {
        return Err(not_found(&instance_id));
    }
    let op = operations::start(
        shared,
        st,
        Effect::Uninstall {
            instance: instance_id.clone(),
        },
        &instance_id,
        ResultShape::Empty,
    );
    Ok((op, instance_id))
}

/// The end of an uninstallation: the instance goes, its solution version is `Undeployed`.
pub(crate) fn uninstall(st: &mut SimState, instance_id: &str) -> Done {
    let Some(instance) = st.get(instance_id).cloned() else {
        return Done::ok(None);
    };
    st.remove_tree(instance_id);
    // …/targets/{t}/solutions/{s}/instances/{i}
    let segs: Vec<&str> = instance_id.rsplit('/').collect();
    if let (Some(solution), Some(target)) = (segs.get(2), segs.get(4)) {
        st.applied.remove(&applied::key(target, solution));
    }
    if let Some(sv_id) = instance["properties"]["solutionVersionId"].as_str() {
        let now = now_rfc3339();
        if let Some(sv) = st.get_mut(sv_id) {
            let p = &mut sv["properties"];
            p["state"] = json!("Undeployed");
            p["currentStage"] = stage_map("Uninstallation", "Completed", &now);
            if let Some(s) = p["stages"].as_array_mut() {
                s.push(stage_map("Uninstallation", "Completed", &now));
            }
        }
    }
    Done::ok(None)
}

fn start_remove_revision(
    shared: &Shared,
    st: &mut SimState,
    target_id: &str,
    body: Option<Value>,
) -> Started {
    let template_id = string_field(&body, "solutionTemplateId")?;
    let version = string_field(&body, "solutionVersion")?;
    let solution_id = format!("{target_id}/solutions/{}", solution_of(st, &template_id));
    let sv_id = format!("{solution_id}/versions/{version}");
    let Some(sv) = st.get(&sv_id) else {
        return Err(not_found(&sv_id));
    };
    let state = sv["properties"]["state"].as_str().unwrap_or_default();
    let instances = format!("{}/instances/", solution_id.to_ascii_lowercase());
    let in_use = st.resources.iter().any(|(k, r)| {
        k.starts_with(&instances)
            && r["properties"]["solutionVersionId"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case(&sv_id))
    });
    if in_use || matches!(state, "Deployed" | "Deploying") {
        return Err(error(
            StatusCode::CONFLICT,
            "Conflict",
            format!("The solution version '{sv_id}' is deployed; uninstall it first."),
        ));
    }
    let op = operations::start(
        shared,
        st,
        Effect::RemoveRevision { sv: sv_id.clone() },
        &sv_id,
        ResultShape::Empty,
    );
    Ok((op, sv_id))
}
