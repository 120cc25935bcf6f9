//! The configuration engine: composition, validation and resolution with provenance.
//!
//! [`Bundle`] is a solution as its source repository ships it (descriptor, schema, template,
//! chart), with `$include`s expanded. [`Resolver`] checks the value files of one environment
//! against the bundle and the fleet once, then [`Resolver::resolve`] answers for each target.
//! [`resolve`] does both for one target.

mod bundle;
mod resolve;
mod resolved;
mod source;

pub use bundle::{Bundle, MAX_INCLUDE_DEPTH, MAX_SPLICED_ENTRIES};
pub use resolve::{Resolver, MAX_TARGET_EVAL_BYTES};
pub use resolved::{Provenance, ResolvedConfig, Source};
pub use source::{release_tag, SourceCommit, SHORT_SHA_LEN};

use crate::error::Result;
use crate::format::fleet::Fleet;
use crate::format::values::ValueSet;

/// Resolves the configuration of `target`: composes the value files level by level, validates
/// every rule, evaluates the template. All problems are reported at once.
///
/// ```
/// use wo_core::{engine, files::FileTree, format::{fleet::Fleet, values::ValueSet}};
///
/// let mut src = FileTree::new();
/// src.insert("wo/app.yaml", "apiVersion: wo/v1\nkind: Application\nname: shop\nchart: chart\nschema: wo/schema.yaml\n").unwrap();
/// src.insert("wo/schema.yaml", "rules:\n  configs:\n    Replicas: {type: int, defaultValue: 1}\n").unwrap();
/// src.insert("chart/Chart.yaml", "apiVersion: v2\nname: shop\nversion: 1.0.0\n").unwrap();
/// let bundle = engine::Bundle::load(&src, "").unwrap();
///
/// let mut cfg = FileTree::new();
/// cfg.insert("targets/edge-1.yaml", "apiVersion: wo/v1\nkind: Values\nvalues:\n  Replicas: 3\n").unwrap();
/// let values = ValueSet::load(&cfg, "").unwrap();
/// let fleet = Fleet::parse("apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - name: edge-1\n", "fleet.yaml").unwrap();
///
/// let resolved = engine::resolve(&bundle, &values, &fleet, "edge-1").unwrap();
/// assert_eq!(resolved.values["Replicas"], 3);
/// assert_eq!(resolved.provenance["Replicas"].file.as_deref(), Some("targets/edge-1.yaml"));
/// ```
pub fn resolve(
    bundle: &Bundle,
    values: &ValueSet,
    fleet: &Fleet,
    target: &str,
) -> Result<ResolvedConfig> {
    let resolver = Resolver::new(bundle, values, fleet)?;
    let t = fleet.target(target).ok_or_else(|| {
        crate::error::Error::not_found(format!(
            "target `{target}` in the fleet of environment `{}`",
            fleet.environment
        ))
    })?;
    resolver.resolve(t)
}

/// Checks value files against a bundle without a fleet: unknown keys, `editableAt` and each
/// value's rules. Level and target names are taken as the files give them.
pub fn check_values(bundle: &Bundle, values: &ValueSet) -> Result<()> {
    use crate::format::fleet::Target;
    use crate::format::values::Level;
    let mut hierarchy: Vec<String> = Vec::new();
    let mut targets = Vec::new();
    for f in &values.files {
        match &f.level {
            Level::Hierarchy { level, .. } if !hierarchy.contains(level) => {
                hierarchy.push(level.clone())
            }
            Level::Target(t) => targets.push(Target {
                name: t.clone(),
                hierarchy: Default::default(),
                labels: Default::default(),
                capabilities: Vec::new(),
                orchestrator: None,
                kubernetes_version: None,
                api_versions: Vec::new(),
            }),
            _ => {}
        }
    }
    let fleet = Fleet {
        api_version: crate::format::API_VERSION.into(),
        kind: "Fleet".into(),
        environment: "(any)".into(),
        next: None,
        hierarchy,
        targets,
        assignments: Vec::new(),
        rollout: None,
    };
    Resolver::new(bundle, values, &fleet).map(|_| ())
}
