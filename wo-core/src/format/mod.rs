//! The file formats `wo` reads.
//!
//! `wo/v1` files carry `apiVersion: wo/v1` and a `kind`:
//! - [`app::AppDescriptor`] — `wo/app.yaml` in a source repo (`kind: Application` or `Platform`);
//! - [`fleet::Fleet`] — `fleet.yaml` on each environment branch of the platform config repo;
//! - [`values::ValueFile`] — `values.yaml`, `levels/<level>/<node>.yaml`, `targets/<target>.yaml`.
//!
//! Azure Workload Orchestration's own formats are read exactly as the service defines them:
//! [`schema::Schema`] (configuration schema) and [`template::ConfigTemplate`] (configuration
//! template). Unknown fields are errors everywhere, with a "did you mean" where one is close.

pub mod app;
pub mod fleet;
pub mod schema;
pub mod template;
pub mod values;

use serde::de::DeserializeOwned;

use crate::error::{Diagnostic, Diagnostics, Error, Location, Result};
use crate::yaml::Node;

/// The `apiVersion` of every `wo` file.
pub const API_VERSION: &str = "wo/v1";

/// Joins a base key path and a relative one.
pub(crate) fn join_path(base: &str, rel: &str) -> String {
    match (base.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (false, true) => base.to_string(),
        (false, false) => format!("{base}.{rel}"),
    }
}

/// Deserializes `node` (found at `base` inside `file`) into `T`, with key paths in errors made
/// relative to the document root.
pub(crate) fn typed<T: DeserializeOwned>(node: &Node, file: &str, base: &str) -> Result<T> {
    crate::yaml::from_node(node, file).map_err(|e| match e {
        Error::Invalid(Diagnostics(ds)) => Error::Invalid(Diagnostics(
            ds.into_iter()
                .map(|mut d| {
                    d.location.key_path = join_path(base, &d.location.key_path);
                    d
                })
                .collect(),
        )),
        other => other,
    })
}

/// A diagnostic located at `node` of `file`.
pub(crate) fn diag_at(
    file: &str,
    key_path: &str,
    node: &Node,
    message: impl Into<String>,
) -> Diagnostic {
    Diagnostic::new(
        Location::file(file)
            .with_key(key_path)
            .at(node.line, node.column),
        message,
    )
}

/// Checks the `apiVersion` / `kind` header of a `wo/v1` document before typed parsing, so the
/// user gets "this is not a Fleet" rather than a list of unknown fields.
pub(crate) fn check_header(node: &Node, file: &str, kinds: &[&str]) -> Result<()> {
    let want = kinds
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    let loc = Location::file(file).at(node.line, node.column);
    if !matches!(node.kind, crate::yaml::NodeKind::Map(_)) {
        return Err(Error::Invalid(Diagnostics(vec![Diagnostic::new(
            loc,
            format!(
                "expected a mapping with `apiVersion: {API_VERSION}` and `kind: {}`",
                kinds.join("|")
            ),
        )])));
    }
    match node.get("apiVersion").map(|n| &n.kind) {
        Some(crate::yaml::NodeKind::Str(v)) if v == API_VERSION => {}
        Some(_) => {
            let n = node.get("apiVersion").unwrap_or(node);
            return Err(Error::Invalid(Diagnostics(vec![diag_at(
                file,
                "apiVersion",
                n,
                format!("unsupported apiVersion; this version of wo reads `{API_VERSION}`"),
            )])));
        }
        None => {
            return Err(Error::Invalid(Diagnostics(vec![Diagnostic::new(
                loc.with_key("apiVersion"),
                format!("missing `apiVersion: {API_VERSION}`"),
            )])))
        }
    }
    match node.get("kind").map(|n| &n.kind) {
        Some(crate::yaml::NodeKind::Str(k)) if kinds.contains(&k.as_str()) => Ok(()),
        Some(_) => {
            let n = node.get("kind").unwrap_or(node);
            Err(Error::Invalid(Diagnostics(vec![diag_at(
                file,
                "kind",
                n,
                format!("expected kind {want}"),
            )])))
        }
        None => Err(Error::Invalid(Diagnostics(vec![Diagnostic::new(
            loc.with_key("kind"),
            format!("missing `kind` (expected {want})"),
        )]))),
    }
}

/// The closest of `candidates` to `word`, for "did you mean" hints.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Most diagnostics a [`Collector`] keeps; past that it only counts them, so that input with a
/// million problems costs no more memory than one with ten thousand.
const MAX_COLLECTED: usize = 10_000;

/// Collects the results of independent checks into one error carrying every diagnostic
/// (sorted, and capped at [`crate::error::MAX_DIAGNOSTICS`] with a count of the rest).
#[derive(Default)]
pub(crate) struct Collector {
    diagnostics: Vec<Diagnostic>,
    /// Diagnostics found past [`MAX_COLLECTED`] or left out of a capped list, counted only.
    dropped: usize,
}

impl Collector {
    /// Keeps the value, or records the diagnostics of an `Invalid` error; other errors pass through.
    pub(crate) fn take<T>(&mut self, r: Result<T>) -> Result<Option<T>> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(Error::Invalid(ds)) => {
                let omitted = ds.omitted();
                self.dropped += omitted;
                let listed = ds.0.len() - usize::from(omitted > 0);
                for d in ds.0.into_iter().take(listed) {
                    self.push(d);
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Records one diagnostic.
    pub(crate) fn push(&mut self, d: Diagnostic) {
        if self.diagnostics.len() < MAX_COLLECTED {
            self.diagnostics.push(d);
        } else {
            self.dropped += 1;
        }
    }

    /// Whether nothing was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.diagnostics.is_empty() && self.dropped == 0
    }

    /// Fails with what was recorded so far, if anything (and forgets it).
    pub(crate) fn check(&mut self) -> Result<()> {
        std::mem::take(self).finish(())
    }

    /// `Ok(value)` when nothing was recorded, else every diagnostic, sorted and capped.
    pub(crate) fn finish<T>(self, value: T) -> Result<T> {
        if self.is_empty() {
            return Ok(value);
        }
        Err(Error::Invalid(
            Diagnostics(self.diagnostics)
                .sorted()
                .and_omitted(self.dropped),
        ))
    }
}
