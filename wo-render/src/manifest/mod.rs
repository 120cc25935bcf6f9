//! The manifest model. (Types fixed; the manifest helper writes parsing, ordering, emission and
//! diff in files of this folder.)

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
