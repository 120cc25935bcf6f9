//! How a simulator behaves: its options, the faults a test can inject, the api-versions it
//! accepts.

use std::sync::Arc;
use std::time::Duration;

use wo_core::ports::Renderer;

use crate::charts::ChartSource;
use crate::entra::EntraAuthority;

/// The api-versions accepted.
pub const API_VERSIONS: &[&str] = &["2025-08-01", "2025-06-01"];

/// How the simulator behaves.
#[derive(Clone)]
pub struct SimulatorOptions {
    /// Polls of an operation that answer `InProgress`/202 before it ends (default 1).
    pub lro_polls: u32,
    /// The `Retry-After` (seconds) of operations and of injected 429/503 (default 1).
    pub retry_after_secs: u64,
    /// When set, those answers also carry `retry-after-ms` with this many milliseconds, which
    /// ARM clients (wo's among them) prefer to `Retry-After`: a poll pace finer than a second
    /// (default none).
    pub retry_after_ms: Option<u64>,
    /// Items per list page (default 100).
    pub page_size: usize,
    /// The only bearer token accepted; `None` accepts any non-empty token (default).
    pub token: Option<String>,
    /// Accept only access tokens this [`Entra`](crate::Entra) stand-in issued for ARM and
    /// still valid by its clock ([`Entra::authority`](crate::Entra::authority)), and enforce
    /// role assignments ([`Simulator::assign_role`](crate::Simulator::assign_role)); `None`:
    /// no RBAC (default).
    pub entra: Option<EntraAuthority>,
    /// Time each request takes before it is answered (default none).
    pub latency: Duration,
    /// The base URL written into the links the simulator hands out (`nextLink`, operation
    /// URLs), for clients that reach it through a proxy; `None`: its own address (default).
    pub public_url: Option<String>,
    /// Where installations pull `helm.v3` charts from; `None`: an [`OciHttpSource`]
    /// (anonymous, plain http, loopback registries only) with wo's HTTP client (default).
    /// [`Registry::chart_source`](crate::Registry::chart_source) reads a registry stand-in's
    /// store directly.
    ///
    /// [`OciHttpSource`]: crate::OciHttpSource
    pub charts: Option<Arc<dyn ChartSource>>,
    /// What installations render charts with; `None`: wo's own,
    /// `CanonicalRenderer::new(ChartRenderer::default())` of wo-render, so the manifests
    /// equal `wo render`'s (default). Helm charts need `helm` (`WO_HELM` or `PATH`).
    pub renderer: Option<Arc<dyn Renderer>>,
}

impl std::fmt::Debug for SimulatorOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorOptions")
            .field("lro_polls", &self.lro_polls)
            .field("retry_after_secs", &self.retry_after_secs)
            .field("retry_after_ms", &self.retry_after_ms)
            .field("page_size", &self.page_size)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .field("entra", &self.entra)
            .field("latency", &self.latency)
            .field("public_url", &self.public_url)
            .field("charts", &self.charts)
            .field("renderer", &self.renderer.as_ref().map(|_| "Renderer"))
            .finish()
    }
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        Self {
            lro_polls: 1,
            retry_after_secs: 1,
            retry_after_ms: None,
            page_size: 100,
            token: None,
            entra: None,
            latency: Duration::ZERO,
            public_url: None,
            charts: None,
            renderer: None,
        }
    }
}

/// An injected failure, see [`Simulator::inject`](crate::Simulator::inject).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 `TooManyRequests` with `Retry-After`.
    Throttle,
    /// 503 `ServiceUnavailable` with `Retry-After`.
    Unavailable,
}
