//! The `reqwest::Client` every backend uses unless it is handed one.

use std::time::Duration;

use wo_core::{Error, Result};

use crate::BACKEND;

/// The default `User-Agent`: `wo/<version>`.
pub const USER_AGENT: &str = concat!("wo/", env!("CARGO_PKG_VERSION"));

/// Installs rustls' `ring` provider as the process default, unless a provider is installed
/// already (an application's own choice is kept).
///
/// A `reqwest::Client` on rustls (`rustls-no-provider`) needs a process default provider when
/// it is built; [`HttpClientBuilder::build`] calls this first. Call it yourself before building
/// a client of your own.
pub fn install_crypto_provider() {
    // An error means another provider is installed already; reqwest will use that one.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client with the defaults of [`HttpClientBuilder`].
///
/// # Errors
/// As [`HttpClientBuilder::build`].
pub fn http_client() -> Result<reqwest::Client> {
    HttpClientBuilder::default().build()
}

/// Builds a `reqwest::Client` on rustls with the `ring` provider.
///
/// Defaults: connect timeout 10 s, `User-Agent` [`USER_AGENT`]. There is no overall timeout:
/// backends set one per request, since a long-running listing and a quick read need different
/// ones.
///
/// # Contract
/// One TLS stack: the client uses rustls with whichever provider is the process default,
/// and `ring` is installed as that default if none is ([`install_crypto_provider`]).
#[derive(Debug, Clone)]
pub struct HttpClientBuilder {
    connect_timeout: Duration,
    user_agent: String,
}

impl Default for HttpClientBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            user_agent: USER_AGENT.to_string(),
        }
    }
}

impl HttpClientBuilder {
    /// The longest time to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` of requests that do not set one (default [`USER_AGENT`]).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The client.
    ///
    /// # Errors
    /// A non-retryable [`Error::Backend`] when reqwest cannot build it (a user agent that is
    /// not a header value, a TLS set-up failure).
    pub fn build(self) -> Result<reqwest::Client> {
        install_crypto_provider();
        reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent)
            .build()
            .map_err(|e| {
                Error::backend(BACKEND, format!("building the HTTP client: {e}")).with_source(e)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_builds_and_a_provider_is_installed() {
        http_client().expect("client");
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        HttpClientBuilder::default()
            .connect_timeout(Duration::from_secs(1))
            .user_agent("test/1")
            .build()
            .expect("client");
        let e = HttpClientBuilder::default()
            .user_agent("bad\nagent")
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::Backend { .. }), "{e:?}");
    }
}
