//! The configuration a review resolves, computed with wo-core's engine the way WO does it:
//! template version + the schema version it names + the target's values.

use serde_json::{json, Value};
use wo_core::engine::{Bundle, Resolver};
use wo_core::files::{check_name, FileTree};
use wo_core::format::fleet::{Fleet, OrchestratorIds, Target};
use wo_core::format::template::ConfigTemplate;
use wo_core::format::values::{Level, ValueFile, ValueSet};

use crate::state::SimState;

/// Where the bundle keeps its files; errors name the ARM resources instead.
const APP_FILE: &str = "wo/app.yaml";
const SCHEMA_FILE: &str = "wo/schema.yaml";
const TEMPLATE_FILE: &str = "wo/template.yaml";

/// The schema of a template that names none: no keys.
const NO_SCHEMA: &str = "rules:\n  configs: {}\n";

/// A resolved configuration.
#[derive(Debug)]
pub(crate) struct Resolution {
    /// The resolved values as YAML, keys in template order.
    pub configuration: String,
    /// The target's values as they were set (YAML text).
    pub values: String,
}

/// The ARM ids a resolution read, for the messages.
struct Sources {
    template_version: String,
    schema_version: Option<String>,
    values: String,
}

/// Resolves the configuration of the solution template version `template_version_id` for
/// `target`, or the ARM error (`ValidationFailed`) listing every problem.
pub(crate) fn resolve(
    st: &SimState,
    target: &Value,
    template_version_id: &str,
) -> Result<Resolution, Value> {
    let target_id = target["id"].as_str().unwrap_or_default();
    let target_name = target["name"].as_str().unwrap_or_default();
    let segs: Vec<&str> = template_version_id
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    // subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Edge/solutionTemplates/{st}/versions/{v}
    let (sub, rg, template_name, template_version) = match segs.as_slice() {
        [_, sub, _, rg, _, _, _, name, _, version] => (*sub, *rg, *name, *version),
        _ => {
            return Err(failure(
                format!("'{template_version_id}' is not a solution template version id."),
                Vec::new(),
            ))
        }
    };
    let template_id = format!("/{}", segs[..8].join("/"));
    let Some(stv) = st.get(template_version_id) else {
        return Err(failure(
            format!("The solution template version '{template_version_id}' does not exist."),
            Vec::new(),
        ));
    };
    let unique_id = st
        .get(&template_id)
        .and_then(|t| t["properties"]["uniqueIdentifier"].as_str())
        .unwrap_or(template_name)
        .to_string();
    let template_text = stv["properties"]["configurations"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut sources = Sources {
        template_version: template_version_id.to_string(),
        schema_version: None,
        values: String::new(),
    };
    let template = ConfigTemplate::parse(&template_text, TEMPLATE_FILE)
        .map_err(|e| invalid(&e, &sources, target_name))?;

    let schema_text = match &template.schema {
        None => NO_SCHEMA.to_string(),
        Some(schema) => {
            let schema_rg = format!(
                "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Edge",
                schema.subscription.as_deref().unwrap_or(sub),
                schema.resource_group_name.as_deref().unwrap_or(rg)
            );
            let schema_id = format!("{schema_rg}/schemas/{}", schema.name);
            let version = schema.version.clone().or_else(|| {
                st.get(&schema_id)
                    .and_then(|s| s["properties"]["currentVersion"].as_str())
                    .map(str::to_string)
            });
            let version_id = format!(
                "{schema_id}/versions/{}",
                version.as_deref().unwrap_or("<none>")
            );
            let text = st
                .get(&version_id)
                .and_then(|v| v["properties"]["value"].as_str())
                .map(str::to_string);
            let Some(text) = text else {
                return Err(failure(
                    format!(
                        "The schema '{}' version '{}' named by '{template_version_id}' does not exist ({version_id}).",
                        schema.name,
                        version.as_deref().unwrap_or("<none>")
                    ),
                    vec![json!({
                        "code": "SchemaNotFound",
                        "message": format!("{version_id} does not exist"),
                        "target": "schema",
                    })],
                ));
            };
            sources.schema_version = Some(version_id);
            text
        }
    };

    let (values_id, values_text) = target_values(st, target_id, &unique_id, template_version);
    sources.values = values_id;

    let mut tree = FileTree::new();
    let app_name = if check_name(template_name).is_ok() {
        template_name
    } else {
        "solution"
    };
    let app = format!(
        "apiVersion: wo/v1\nkind: Application\nname: {app_name}\nchart: chart\nschema: {SCHEMA_FILE}\nconfigTemplate: {TEMPLATE_FILE}\n"
    );
    let files = [
        (APP_FILE, app.as_str()),
        (SCHEMA_FILE, schema_text.as_str()),
        (TEMPLATE_FILE, template_text.as_str()),
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: solution\nversion: 0.0.0\n",
        ),
    ];
    for (path, text) in files {
        tree.insert(path, text)
            .map_err(|e| invalid(&e, &sources, target_name))?;
    }
    let bundle = Bundle::load(&tree, "").map_err(|e| invalid(&e, &sources, target_name))?;

    let level_name = target["properties"]["hierarchyLevel"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let level = if level_name.is_empty() {
        Level::Target(target_name.to_string())
    } else {
        Level::Hierarchy {
            level: level_name.clone(),
            node: target_name.to_string(),
        }
    };
    let values = ValueSet {
        files: vec![ValueFile::parse_plain(&values_text, &sources.values, level)
            .map_err(|e| invalid(&e, &sources, target_name))?],
    };
    let fleet = one_target_fleet(target, &level_name);
    let resolver =
        Resolver::new(&bundle, &values, &fleet).map_err(|e| invalid(&e, &sources, target_name))?;
    let Some(fleet_target) = fleet.target(target_name) else {
        return Err(failure(
            format!("target '{target_name}' is missing"),
            Vec::new(),
        ));
    };
    let resolved = resolver
        .resolve(fleet_target)
        .map_err(|e| invalid(&e, &sources, target_name))?;
    Ok(Resolution {
        configuration: resolved.values_yaml(),
        values: values_text,
    })
}

/// The id and text of the values set for the target: its configuration reference → the
/// configuration → `dynamicConfigurations/{unique id}/versions/{template version}`. Empty text
/// when any of them is missing.
fn target_values(
    st: &SimState,
    target_id: &str,
    unique_id: &str,
    template_version: &str,
) -> (String, String) {
    let reference = format!("{target_id}/providers/Microsoft.Edge/configurationReferences/default");
    let Some(configuration_id) = st
        .get(&reference)
        .and_then(|r| r["properties"]["configurationResourceId"].as_str())
    else {
        return (reference, String::new());
    };
    let id =
        format!("{configuration_id}/dynamicConfigurations/{unique_id}/versions/{template_version}");
    let text = st
        .get(&id)
        .and_then(|v| v["properties"]["values"].as_str())
        .unwrap_or_default()
        .to_string();
    (id, text)
}

/// A fleet of the one target, whose only hierarchy level is the target's `hierarchyLevel`.
fn one_target_fleet(target: &Value, level: &str) -> Fleet {
    let name = target["name"].as_str().unwrap_or_default().to_string();
    let props = &target["properties"];
    let context = props["contextId"].as_str().map(str::to_string);
    let environment = context
        .as_deref()
        .and_then(|c| c.rsplit('/').next())
        .filter(|c| !c.is_empty())
        .unwrap_or("default")
        .to_string();
    let mut hierarchy = wo_core::format::fleet::Pairs::new();
    if !level.is_empty() {
        hierarchy.insert(level, &name);
    }
    let capabilities = props["capabilities"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Fleet {
        api_version: "wo/v1".into(),
        kind: "Fleet".into(),
        environment,
        next: None,
        hierarchy: if level.is_empty() {
            Vec::new()
        } else {
            vec![level.to_string()]
        },
        targets: vec![Target {
            name,
            hierarchy,
            labels: Default::default(),
            capabilities,
            orchestrator: Some(OrchestratorIds {
                id: target["id"].as_str().map(str::to_string),
                context,
            }),
            kubernetes_version: None,
            api_versions: Vec::new(),
        }],
        assignments: Vec::new(),
        rollout: None,
    }
}

/// The ARM error `ValidationFailed`.
fn failure(message: String, details: Vec<Value>) -> Value {
    json!({"code": "ValidationFailed", "message": message, "details": details})
}

/// A wo-core error as `ValidationFailed`, one detail per problem, files named by ARM id.
fn invalid(e: &wo_core::Error, sources: &Sources, target: &str) -> Value {
    let file_label = |file: &str| -> String {
        match file {
            SCHEMA_FILE => sources.schema_version.clone().unwrap_or_default(),
            TEMPLATE_FILE => sources.template_version.clone(),
            APP_FILE => String::new(),
            other => other.to_string(),
        }
    };
    let diagnostics = e.diagnostics();
    if diagnostics.is_empty() {
        return failure(
            format!("The configuration for target '{target}' cannot be resolved: {e}"),
            Vec::new(),
        );
    }
    let mut problems = Vec::new();
    let details: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(h) = &d.hint {
                message.push_str(&format!(" ({h})"));
            }
            let key = key_of(&d.location.key_path);
            let file = file_label(&d.location.file);
            problems.push(message.clone());
            let mut detail = json!({"code": "ValidationFailed", "message": message});
            if !key.is_empty() {
                detail["target"] = json!(key);
            }
            if !file.is_empty() {
                detail["additionalInfo"] = json!([{"type": "Source", "info": {"resourceId": file,
                    "line": d.location.line}}]);
            }
            detail
        })
        .collect();
    failure(
        format!(
            "The configuration for target '{target}' is not valid: {}",
            problems.join("; ")
        ),
        details,
    )
}

/// The configuration key a diagnostic's key path is about.
fn key_of(key_path: &str) -> String {
    ["values.", "rules.configs.", "configs."]
        .iter()
        .find_map(|p| key_path.strip_prefix(p))
        .unwrap_or(key_path)
        .to_string()
}
