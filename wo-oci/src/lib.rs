//! Helm charts in OCI registries: push the packages wo builds (`wo_render::package`) as Helm
//! chart artifacts, pull charts back, interoperating with `helm push` and `helm pull`.
//!
//! Start with [`Registry::from_env`], which finds credentials as helm and docker do
//! ([`resolve_credentials`]), or [`Registry::new`] with explicit [`Credentials`]; then
//! [`Registry::push_chart`], [`Registry::pull_chart`], [`Registry::resolve`].
//!
//! - [`Reference`]: `oci://host[:port]/path/name[:tag]`, checked;
//! - [`Credentials`]: anonymous, basic, or Azure Container Registry's exchange of an Entra
//!   token ([`EntraToken`]); [`CredentialSource`] says where they came from, without the secret;
//! - the artifact is what `helm push` writes: config [`HELM_CONFIG_MEDIA_TYPE`] (the JSON of
//!   `Chart.yaml`), one layer [`HELM_CHART_MEDIA_TYPE`], an OCI image manifest, tagged with
//!   the chart version; wo's manifest carries no timestamp, so the same package always gives
//!   the same manifest digest;
//! - errors are [`wo_core::Error`]s, mapped as [`map_error`] says; no secret appears in them
//!   or in any `Debug` output.
//!
//! The registry client is [`oci_client`] (distribution spec, bearer-token challenges) on the
//! workspace's one reqwest and rustls with the `ring` provider.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod chart;
mod credentials;
mod error;
mod reference;
mod registry;

pub use chart::{
    chart_meta, sha256_digest, ChartMeta, HELM_CHART_MEDIA_TYPE, HELM_CONFIG_MEDIA_TYPE,
    HELM_PROVENANCE_MEDIA_TYPE, OCI_MANIFEST_MEDIA_TYPE,
};
pub use credentials::{
    process_env, resolve_credentials, CredentialSource, Credentials, EntraToken, Env,
    ResolvedCredentials, TokenFuture, ACR_REFRESH_TOKEN_USERNAME, IDENTITY_TOKEN_USERNAME,
    PASSWORD_VAR, USERNAME_VAR,
};
pub use error::map_error;
pub use reference::{is_loopback, Reference, OCI_SCHEME};
pub use registry::{Pulled, Pushed, Registry, RegistryOptions, Resolved, MAX_CHART_BYTES};

/// The backend name in the errors of this crate.
pub const BACKEND: &str = "oci";
