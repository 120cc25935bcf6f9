//! Canonical order of resources and how an identity reads in messages.

use std::cmp::Ordering;
use std::fmt;

use super::ResourceId;

/// The kinds in the order Helm installs them (Helm's `InstallOrder`); kinds not listed come
/// after all of these, sorted by name. The native Helm engine's list, so both orders agree.
pub use wo_gotmpl::helm::manifests::INSTALL_ORDER;

/// The position of a kind in [`INSTALL_ORDER`]; unknown kinds share the last position.
fn install_rank(kind: &str) -> usize {
    INSTALL_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(INSTALL_ORDER.len())
}

impl ResourceId {
    /// Compares in canonical order: install order of the kind (unknown kinds last, by name),
    /// then namespace (none first), then name, then `apiVersion`.
    ///
    /// This is a total order consistent with equality, unlike the derived [`Ord`], which
    /// compares fields in declaration order.
    pub fn cmp_canonical(&self, other: &ResourceId) -> Ordering {
        install_rank(&self.kind)
            .cmp(&install_rank(&other.kind))
            .then_with(|| self.kind.cmp(&other.kind))
            .then_with(|| self.namespace.cmp(&other.namespace))
            .then_with(|| self.name.cmp(&other.name))
            .then_with(|| self.api_version.cmp(&other.api_version))
    }

    /// The identity with its `apiVersion`: `Deployment shop/web (apps/v1)`.
    pub fn qualified(&self) -> String {
        format!("{self} ({})", self.api_version)
    }
}

/// `Deployment shop/web`, or `Namespace shop` for a resource without namespace.
impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}
