//! `wo/app.yaml`: what a source repository ships.
//!
//! ```yaml
//! apiVersion: wo/v1
//! kind: Application          # or Platform (the platform team's solution)
//! name: shop
//! chart: chart               # the chart directory
//! schema: wo/schema.yaml     # WO configuration schema
//! configTemplate: wo/config-template.yaml   # WO configuration template (optional)
//! solution: wo/solution.yaml # WO solution specification (optional)
//! capabilities: [helm]       # a target must offer all of them
//! namespace: shop            # Kubernetes namespace of the release (default: name)
//! includes:                  # other schemas/templates that `$include` may splice
//!   - wo/templates/logging.yaml
//! rollout:                   # narrows the fleet's rollout, never widens it (optional)
//!   failureBudget: {count: 0}
//!   bake: 1h
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::fleet::rollout::{Rollout, RolloutOverride};

use super::{check_header, typed};
use crate::error::{Error, Location, Result};
use crate::files::{check_name, check_relative_path};
use crate::yaml;

/// Where a solution's descriptor lives in its source repository.
pub const APP_FILE: &str = "wo/app.yaml";

/// Whether a solution is an application or the platform's own solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum SolutionKind {
    /// An application team's solution; its values come from the app config repo.
    Application,
    /// The platform team's solution; its values come from the platform config repo.
    Platform,
}

/// `wo/app.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AppDescriptor {
    /// Always `wo/v1`.
    pub api_version: String,
    /// Application or Platform.
    pub kind: SolutionKind,
    /// The solution's name (a path segment in the gitops repo).
    pub name: String,
    /// Path of the chart directory.
    pub chart: String,
    /// Path of the configuration schema.
    pub schema: String,
    /// Path of the configuration template; without one, the resolved configuration is the
    /// schema's keys with their composed values.
    #[serde(default)]
    pub config_template: Option<String>,
    /// Path of the WO solution specification (JSON or YAML).
    #[serde(default)]
    pub solution: Option<String>,
    /// Capabilities a target must offer.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Kubernetes namespace of the release (default: the solution name).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Schemas and templates of the bundle that `$include` may reference.
    #[serde(default)]
    pub includes: Vec<String>,
    /// A stricter rollout than the fleet's (see [`AppDescriptor::narrow_rollout`]).
    #[serde(default)]
    pub rollout: Option<RolloutOverride>,
    /// Where each key of `rollout:` is in the file (line, column), for errors.
    #[serde(skip)]
    rollout_at: BTreeMap<String, (u32, u32)>,
    /// The file the descriptor was read from, as shown.
    #[serde(skip)]
    file: String,
}

impl AppDescriptor {
    /// Parses and checks `wo/app.yaml`.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let node = yaml::parse(text, file)?;
        check_header(&node, file, &["Application", "Platform"])?;
        let mut app: AppDescriptor = typed(&node, file, "")?;
        app.file = file.to_string();
        for key in [
            "maxInFlight",
            "failureBudget",
            "bake",
            "approval",
            "autoRollback",
        ] {
            let path = format!("rollout.{key}");
            if let Some(child) = node.find(&path) {
                app.rollout_at.insert(path, (child.line, child.column));
            }
        }
        let at = |key: &str| {
            let (line, col) = node.line_of(key).unwrap_or((node.line, node.column));
            Location::file(file).with_key(key).at(line, col)
        };
        check_name(&app.name).map_err(|m| Error::invalid(at("name"), m))?;
        if let Some(ns) = &app.namespace {
            check_name(ns).map_err(|m| Error::invalid(at("namespace"), m))?;
        }
        let mut paths = vec![("chart", &app.chart), ("schema", &app.schema)];
        paths.extend(app.config_template.iter().map(|p| ("configTemplate", p)));
        paths.extend(app.solution.iter().map(|p| ("solution", p)));
        for (key, path) in paths {
            check_relative_path(path).map_err(|m| Error::invalid(at(key), m))?;
        }
        for (i, path) in app.includes.iter().enumerate() {
            check_relative_path(path)
                .map_err(|m| Error::invalid(at(&format!("includes.{i}")), m))?;
        }
        Ok(app)
    }

    /// The fleet's rollout narrowed by this application's `rollout:` (the fleet's as it is
    /// without one), as [`Rollout::narrow`] decides.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming this file, the key and its line when the application would
    /// widen the rollout (a larger batch or budget, a shorter bake, automatic rollback off).
    pub fn narrow_rollout(&self, fleet: &Rollout) -> Result<Rollout> {
        let Some(o) = &self.rollout else {
            return Ok(fleet.clone());
        };
        fleet.narrow(o).map_err(|e| match e {
            Error::Invalid(mut ds) => {
                for d in &mut ds.0 {
                    d.location.file = self.file.clone();
                    if let Some((l, c)) = self.rollout_at.get(&d.location.key_path) {
                        d.location.line = Some(*l);
                        d.location.column = Some(*c);
                    }
                }
                Error::Invalid(ds)
            }
            other => other,
        })
    }

    /// The namespace of the release.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or(&self.name)
    }
}
