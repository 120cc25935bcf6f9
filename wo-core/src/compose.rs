//! Composition: from a solution bundle, an environment's values and its fleet to what is
//! rendered per target and where the results live on a gitops branch.
//!
//! This is the one place that builds [`RenderRequest`]s and gitops paths. `wo render` (files
//! on disk) and the pipeline's prepare step (a change request) both go through it, so that
//! re-rendering from the commits a gitops commit names reproduces it byte for byte.
//!
//! ```
//! # use wo_core::engine::Bundle;
//! # use wo_core::files::FileTree;
//! # use wo_core::format::fleet::Fleet;
//! # use wo_core::format::values::ValueSet;
//! use wo_core::compose::compose;
//! use wo_core::ports::Rendered;
//!
//! # let mut src = FileTree::new();
//! # src.insert("wo/app.yaml", "apiVersion: wo/v1\nkind: Application\nname: shop\nchart: chart\nschema: wo/schema.yaml\n")?;
//! # src.insert("wo/schema.yaml", "rules:\n  configs:\n    replicas: {type: int, defaultValue: 1}\n")?;
//! # src.insert("chart/Chart.yaml", "apiVersion: v2\nname: shop-chart\nversion: 0.1.0\n")?;
//! # let bundle = Bundle::load(&src, "source")?;
//! # let fleet = Fleet::parse("apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - {name: berlin-1}\nassignments:\n  - {solution: shop, selector: {}}\n", "fleet.yaml")?;
//! let composition = compose(&bundle, &ValueSet::default(), &fleet, &[], "fleet.yaml")?;
//! assert_eq!(composition.chart.name, "shop-chart");
//! let requests = composition.requests();
//! assert_eq!(requests[0].target.name, "berlin-1");
//!
//! // … render the requests with any `Renderer` …
//! let rendered = vec![Rendered { manifests: "kind: ConfigMap\n".into() }];
//! let files = composition.files(rendered)?;
//! assert!(files.tree.get("shop/berlin-1/values.yaml").is_some());
//! assert!(files.tree.get("shop/berlin-1/manifests.yaml").is_some());
//! # Ok::<(), wo_core::Error>(())
//! ```

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::engine::{Bundle, ResolvedConfig, Resolver};
use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};
use crate::files::FileTree;
use crate::format::fleet::{Fleet, Target};
use crate::format::values::ValueSet;
use crate::ports::{Chart, RenderRequest, Rendered, TargetView};
use crate::value::Map;

/// The path of a target's composed values on a gitops branch.
pub fn values_path(solution: &str, target: &str) -> String {
    format!("{solution}/{target}/values.yaml")
}

/// The path of a target's rendered manifests on a gitops branch.
pub fn manifests_path(solution: &str, target: &str) -> String {
    format!("{solution}/{target}/manifests.yaml")
}

/// The lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One target of a [`Composition`]: the fleet's target, its resolved configuration, and what
/// the renderer gets for it.
#[derive(Debug, Clone)]
pub struct ComposedTarget {
    /// The target as the fleet declares it.
    pub target: Target,
    /// Its resolved configuration (the chart's values, with provenance).
    pub resolved: ResolvedConfig,
}

/// What to render for one solution in one environment.
#[derive(Debug, Clone)]
pub struct Composition {
    /// The solution.
    pub solution: String,
    /// The environment (the fleet's).
    pub environment: String,
    /// The namespace the chart renders into.
    pub namespace: String,
    /// The chart (its name from `Chart.yaml`, else the solution's).
    pub chart: Chart,
    /// The targets, in fleet order.
    pub targets: Vec<ComposedTarget>,
}

/// The gitops files of a [`Composition`] once rendered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComposedFiles {
    /// `<solution>/<target>/values.yaml` and `<solution>/<target>/manifests.yaml` per target.
    pub tree: FileTree,
    /// Per target (by name): the sha256 of its values and of its manifests.
    pub digests: BTreeMap<String, TargetDigests>,
}

/// The content hashes of one target's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDigests {
    /// sha256 of `values.yaml`.
    pub values_sha256: String,
    /// sha256 of `manifests.yaml`.
    pub manifests_sha256: String,
}

/// Resolves every target the fleet assigns the solution to (or only the targets named in
/// `only`, in that order) with `values`. `fleet_file` names the fleet in errors.
///
/// # Errors
/// [`Error::Invalid`] with every problem at once: a name in `only` that is not a target of
/// the solution in this environment, and every target whose values do not resolve.
pub fn compose(
    bundle: &Bundle,
    values: &ValueSet,
    fleet: &Fleet,
    only: &[String],
    fleet_file: &str,
) -> Result<Composition> {
    let stream = compose_stream(bundle, values, fleet, only, fleet_file)?;
    let mut targets = Vec::with_capacity(stream.targets.len());
    let mut errors = Vec::new();
    for t in &stream.targets {
        match stream.resolver.resolve(t) {
            Ok(resolved) => targets.push(ComposedTarget {
                target: (*t).clone(),
                resolved,
            }),
            Err(e) => errors.push(e),
        }
    }
    merge_errors(errors)?;
    Ok(Composition {
        solution: stream.solution,
        environment: stream.environment,
        namespace: stream.namespace,
        chart: stream.chart,
        targets,
    })
}

/// A [`Composition`] whose targets are resolved one at a time, when asked: what a streaming
/// render ([`Renderer::render_each`](crate::ports::Renderer::render_each)) needs, with memory
/// for the targets in flight only. The same requests as [`compose`]'s, byte for byte.
#[derive(Debug)]
pub struct ComposedStream<'a> {
    /// The solution.
    pub solution: String,
    /// The environment (the fleet's).
    pub environment: String,
    /// The namespace the chart renders into.
    pub namespace: String,
    /// The chart (its name from `Chart.yaml`, else the solution's).
    pub chart: Chart,
    /// The targets, in fleet order (or in the order of `only`).
    pub targets: Vec<&'a Target>,
    resolver: Resolver<'a>,
}

/// [`compose`] without resolving: checks the value files and chooses the targets; each target
/// is resolved by [`ComposedStream::request`].
///
/// # Errors
/// [`Error::Invalid`] for invalid value files and names in `only` that are not targets of the
/// solution in this environment (every one at once).
pub fn compose_stream<'a>(
    bundle: &'a Bundle,
    values: &'a ValueSet,
    fleet: &'a Fleet,
    only: &[String],
    fleet_file: &str,
) -> Result<ComposedStream<'a>> {
    let resolver = Resolver::new(bundle, values, fleet)?;
    let assigned = resolver.targets()?;
    let targets: Vec<&Target> = if only.is_empty() {
        assigned
    } else {
        let mut chosen = Vec::with_capacity(only.len());
        let mut problems = Vec::new();
        for name in only {
            match assigned.iter().find(|t| &t.name == name) {
                Some(t) => chosen.push(*t),
                None => problems.push(
                    Diagnostic::new(
                        Location::file(fleet_file).with_key("assignments"),
                        format!(
                            "`{}` is not a target of `{}` in `{}`",
                            name.escape_debug(),
                            bundle.name(),
                            fleet.environment
                        ),
                    )
                    .with_hint(format!(
                        "targets: {}",
                        assigned
                            .iter()
                            .map(|t| t.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ),
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(Diagnostics(problems)));
        }
        chosen
    };
    Ok(ComposedStream {
        solution: bundle.name().to_string(),
        environment: fleet.environment.clone(),
        namespace: bundle.app.namespace().to_string(),
        chart: Chart {
            name: chart_name(bundle),
            files: bundle.chart.clone(),
        },
        targets,
        resolver,
    })
}

impl ComposedStream<'_> {
    /// Resolves target `index` (of [`targets`](Self::targets)) and builds its render request,
    /// the same as [`Composition::requests`] builds.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the target's values do not resolve; [`Error::NotFound`] for an
    /// index out of range.
    pub fn request(&self, index: usize) -> Result<RenderRequest> {
        let target = self.targets.get(index).ok_or_else(|| {
            Error::not_found(format!(
                "target #{index} of {} in the composition",
                self.targets.len()
            ))
        })?;
        let resolved = self.resolver.resolve_values(target)?;
        Ok(request_of(
            &self.solution,
            &self.namespace,
            target,
            resolved.values,
        ))
    }

    /// The target names, in order.
    pub fn target_names(&self) -> Vec<String> {
        self.targets.iter().map(|t| t.name.clone()).collect()
    }
}

/// The render request of one target with its resolved values.
fn request_of(solution: &str, namespace: &str, target: &Target, values: Map) -> RenderRequest {
    RenderRequest {
        release_name: solution.to_owned(),
        namespace: namespace.to_owned(),
        target: TargetView {
            name: target.name.clone(),
            labels: target.labels.to_map(),
            hierarchy: target.hierarchy.to_map(),
            kube_version: target.kubernetes_version.clone(),
            api_versions: target.api_versions.clone(),
        },
        values: serde_json::Value::Object(values),
    }
}

impl Composition {
    /// One render request per target, in target order.
    pub fn requests(&self) -> Vec<RenderRequest> {
        self.targets
            .iter()
            .map(|t| {
                request_of(
                    &self.solution,
                    &self.namespace,
                    &t.target,
                    t.resolved.values.clone(),
                )
            })
            .collect()
    }

    /// The target names, in order.
    pub fn target_names(&self) -> Vec<String> {
        self.targets.iter().map(|t| t.target.name.clone()).collect()
    }

    /// The gitops files: each target's values and the manifests `rendered` holds for it
    /// (one per request of [`requests`](Self::requests), in order).
    ///
    /// # Errors
    /// [`Error::Backend`] when `rendered` does not hold one output per target (a renderer
    /// broke its contract); [`Error::Invalid`] for a target name that is not a safe path.
    pub fn files(&self, rendered: Vec<Rendered>) -> Result<ComposedFiles> {
        if rendered.len() != self.targets.len() {
            return Err(Error::backend(
                "renderer",
                format!(
                    "rendered {} outputs for {} targets",
                    rendered.len(),
                    self.targets.len()
                ),
            ));
        }
        let mut files = ComposedFiles::default();
        for (t, out) in self.targets.iter().zip(rendered) {
            files.add(
                &self.solution,
                &t.target.name,
                t.resolved.values_yaml(),
                out.manifests,
            )?;
        }
        Ok(files)
    }
}

impl ComposedFiles {
    /// Adds target `name`'s values and manifests (and their digests) under `solution/`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a target name that is not a safe path.
    pub fn add(
        &mut self,
        solution: &str,
        name: &str,
        values: String,
        manifests: String,
    ) -> Result<()> {
        self.digests.insert(
            name.to_owned(),
            TargetDigests {
                values_sha256: sha256_hex(values.as_bytes()),
                manifests_sha256: sha256_hex(manifests.as_bytes()),
            },
        );
        self.tree.insert(values_path(solution, name), values)?;
        self.tree.insert(manifests_path(solution, name), manifests)
    }
}

/// The chart's name from its `Chart.yaml` (when it is a safe name), else the solution's.
pub fn chart_name(bundle: &Bundle) -> String {
    bundle
        .chart
        .text("Chart.yaml")
        .ok()
        .flatten()
        .and_then(|t| crate::yaml::parse(t, "Chart.yaml").ok())
        .and_then(|n| match n.get("name").map(|v| &v.kind) {
            Some(crate::yaml::NodeKind::Str(s)) if crate::files::check_name(s).is_ok() => {
                Some(s.clone())
            }
            _ => None,
        })
        .unwrap_or_else(|| bundle.name().to_string())
}

/// Merges the diagnostics of several failed checks into one [`Error::Invalid`], sorted; the
/// first error of another kind wins.
///
/// # Errors
/// The merged error, when `errors` is not empty.
pub fn merge_errors(errors: Vec<Error>) -> Result<()> {
    let mut lists = Vec::new();
    for e in errors {
        match e {
            Error::Invalid(d) => lists.push(d),
            other => return Err(other),
        }
    }
    if lists.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(Diagnostics::merged(lists)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileTree;
    use crate::format::values::ValueSet;

    #[test]
    fn requests_carry_the_targets_capabilities() {
        let mut src = FileTree::new();
        src.insert("wo/app.yaml", "apiVersion: wo/v1\nkind: Application\nname: shop\nchart: chart\nschema: wo/schema.yaml\n").unwrap();
        src.insert(
            "wo/schema.yaml",
            "rules:\n  configs:\n    replicas: {type: int, defaultValue: 1}\n",
        )
        .unwrap();
        src.insert(
            "chart/Chart.yaml",
            "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
        )
        .unwrap();
        let bundle = Bundle::load(&src, "source").unwrap();
        let fleet = Fleet::parse(
            "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - {name: a, kubernetesVersion: 1.30.0, apiVersions: [monitoring.coreos.com/v1, v1/Pod]}\n  - {name: b}\nassignments:\n  - {solution: shop, selector: {}}\n",
            "fleet.yaml",
        )
        .unwrap();
        let requests = compose(&bundle, &ValueSet::default(), &fleet, &[], "fleet.yaml")
            .unwrap()
            .requests();
        assert_eq!(requests[0].target.kube_version.as_deref(), Some("1.30.0"));
        assert_eq!(
            requests[0].target.api_versions,
            ["monitoring.coreos.com/v1", "v1/Pod"]
        );
        assert_eq!(requests[1].target.kube_version, None);
        assert!(requests[1].target.api_versions.is_empty());
    }
}
