//! The manifest model: Kubernetes resources with identity, a canonical order and form, and a
//! semantic diff that reviewers read in pull requests.
//!
//! Start with [`ManifestSet::parse`] on what `helm template` (or a native chart) printed: it
//! checks every document, expands `kind: List` documents and sorts the resources into canonical
//! order. [`ManifestSet::to_yaml`] writes the canonical bytes the GitOps repo stores, and
//! [`diff`] / [`diff_trees`] compare two renderings by value and render the result as text,
//! JSON or a size-bounded Markdown comment ([`GITHUB_COMMENT_LIMIT`]).
//!
//! # Canonical form
//!
//! - Order: Helm's install order by kind ([`INSTALL_ORDER`]; unknown kinds after all known
//!   ones, by kind name), then namespace (none first), then name, then `apiVersion`.
//! - Keys: at the top level `apiVersion`, `kind` and `metadata` come first, every other key of
//!   every map is sorted by its bytes; sequences keep their order. So two renderings that
//!   differ only in key order give identical bytes and no diff.
//! - Scalars mean what Kubernetes reads: manifests are parsed as YAML 1.1
//!   ([`wo_core::yaml::Schema::Yaml11`], go-yaml v2's rules), so a plain `on` is written back as
//!   `true`, `0777` as `511`, `1e3` as `1000.0`; strings that YAML 1.1 would read as anything
//!   else (`'on'`, `'0777'`) are quoted.
//! - Documents are emitted with [`wo_core::yaml::to_string`] and separated by `---`; no
//!   comments, no timestamps.
//!
//! ```
//! use wo_render::manifest::{diff, ManifestSet};
//!
//! let old = ManifestSet::parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1'}\n", "old.yaml")?;
//! let new = ManifestSet::parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '2'}\n", "new.yaml")?;
//! let d = diff(&old, &new);
//! assert_eq!(d.changed.len(), 1);
//! assert!(d.to_text().contains("~ ConfigMap a"));
//! # Ok::<(), wo_core::Error>(())
//! ```

mod canonical;
mod diff;
mod markdown;
mod order;
mod parse;
pub(crate) mod remembered;
pub(crate) mod reread;
pub(crate) mod tree;

pub(crate) use diff::diff_with;
pub use diff::{diff, ChangedResource, ManifestDiff};
pub use markdown::GITHUB_COMMENT_LIMIT;
pub use order::INSTALL_ORDER;
pub use tree::{diff_trees, FileDiff, TreeDiff};

use wo_core::{Location, Value};

/// What identifies a Kubernetes resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceId {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.namespace`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

/// One resource of a manifest stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Its identity.
    pub id: ResourceId,
    /// The whole document.
    pub value: Value,
    /// Where it was read from: file and the line its document starts on.
    pub source: Location,
}

/// A set of resources in canonical order (Helm's install order by kind, then namespace, then
/// name).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ManifestSet {
    /// The resources, in canonical order, identities unique.
    pub resources: Vec<Resource>,
}

/// The annotation that makes a resource a Helm hook, and the hook events that mark a test
/// (`test-success` is Helm 3's old name of `test`, `test-failure` Helm 2's).
const HOOK_ANNOTATION: &str = "helm.sh/hook";
const TEST_HOOK_EVENTS: [&str; 3] = ["test", "test-success", "test-failure"];

impl Resource {
    /// A resource read from `source`, with the identity fields of its document.
    pub(crate) fn read(
        api_version: String,
        kind: String,
        namespace: Option<String>,
        name: String,
        value: Value,
        source: Location,
    ) -> Resource {
        Resource {
            id: ResourceId {
                api_version,
                kind,
                namespace,
                name,
            },
            value,
            source,
        }
    }

    /// Whether this is a Helm test hook: its `helm.sh/hook` annotation (a comma-separated list
    /// of events, read as Helm reads it: trimmed, any case) names `test`, `test-success` or
    /// `test-failure`. `helm test` runs such resources; `helm install` does not create them.
    pub fn is_test_hook(&self) -> bool {
        self.value
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(HOOK_ANNOTATION))
            .and_then(Value::as_str)
            .is_some_and(|events| {
                events.split(',').any(|e| {
                    let e = e.trim();
                    TEST_HOOK_EVENTS.iter().any(|t| t.eq_ignore_ascii_case(e))
                })
            })
    }
}

impl ManifestSet {
    /// Leaves out Helm test hooks ([`Resource::is_test_hook`]), as `helm template --skip-tests`
    /// does: they are not part of what a release installs.
    pub fn without_test_hooks(mut self) -> ManifestSet {
        self.resources.retain(|r| !r.is_test_hook());
        self
    }

    /// The resource with this identity.
    pub fn get(&self, id: &ResourceId) -> Option<&Resource> {
        self.resources
            .binary_search_by(|r| r.id.cmp_canonical(id))
            .ok()
            .and_then(|i| self.resources.get(i))
    }

    /// Number of resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether the set holds no resource.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The resources in canonical order.
    pub fn iter(&self) -> std::slice::Iter<'_, Resource> {
        self.resources.iter()
    }
}

impl<'a> IntoIterator for &'a ManifestSet {
    type Item = &'a Resource;
    type IntoIter = std::slice::Iter<'a, Resource>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The chart corpus's expected outputs (`helm template`'s, path and text), or `None` with a
/// note when the corpus is absent.
#[cfg(test)]
pub(crate) fn corpus_outputs() -> Option<Vec<(std::path::PathBuf, String)>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/charts");
    let Ok(charts) = std::fs::read_dir(&root) else {
        println!(
            "note: {} is absent; the corpus comparison is skipped",
            root.display()
        );
        return None;
    };
    let mut out = Vec::new();
    for chart in charts.flatten() {
        let Ok(expected) = std::fs::read_dir(chart.path().join("expected")) else {
            continue;
        };
        for file in expected.flatten() {
            let path = file.path();
            if path.extension().and_then(|e| e.to_str()) == Some("yaml") {
                let text = std::fs::read_to_string(&path).expect("the corpus reads");
                out.push((path, text));
            }
        }
    }
    Some(out)
}
