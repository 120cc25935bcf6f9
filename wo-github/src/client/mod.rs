//! The GitHub REST client: token, base URL (github.com or GitHub Enterprise Server), API version
//! header, `Link` pagination, and one retry loop honouring `Retry-After` and rate limits.
//!
//! Start with [`GitHub::from_env`] (reads `GITHUB_API_URL` and `GITHUB_TOKEN`, as GitHub
//! Actions sets them) or [`GitHub::builder`]:
//!
//! ```no_run
//! use wo_github::client::{GitHub, RepoId};
//!
//! # async fn demo() -> wo_core::Result<()> {
//! let gh = GitHub::from_env()?;
//! let repo = RepoId::parse("octo/shop-gitops")?;
//! let dev = gh.get_ref(&repo, "heads/dev").await?; // None when the branch does not exist
//! # let _ = dev; Ok(()) }
//! ```
//!
//! # What every request carries
//!
//! `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28`, a `User-Agent`
//! (`wo/<version>`), and `Authorization: Bearer <token>` when a token is set. The token is a
//! sensitive header value and is never part of `Debug` output or of an error message (any echo
//! of it in an answer is replaced by `***`).
//!
//! # Retries
//!
//! One loop ([`GitHub`]'s internal `execute`) runs every request under a [`RetryPolicy`]
//! (bounded attempts and total time):
//!
//! - 429, and 403/429 that are rate limits (`Retry-After`; `x-ratelimit-remaining: 0` → wait
//!   until `x-ratelimit-reset`; a message naming a secondary rate limit), for every request:
//!   GitHub refused them without effect;
//! - 5xx and transport failures (timeouts, a connection closed mid-request) only for requests
//!   that are harmless to repeat (GET, PUT, DELETE, and the writes wo marks repeatable:
//!   content-addressed blobs and trees, setting a ref or a status to a value);
//! - a connection that could not be opened, for every request (nothing was sent);
//! - never 4xx validation errors, 401, or 403 without a rate-limit sign.
//!
//! A wait longer than [`RetryPolicy::max_wait`] is not waited: the call fails at once with a
//! retryable [`wo_core::Error::Backend`] naming the reset time.
//! [`GitHub::requests_sent`] counts every attempt, retries included.
//!
//! # TLS
//!
//! The crate uses rustls with the `ring` provider (one TLS stack, no C toolchain). When no
//! `reqwest::Client` is injected, [`GitHubBuilder::build`] installs `ring` as the process-wide
//! default rustls provider if none is installed yet (`install_default`, once; a provider the
//! application installed first is kept) and builds a client on it.

mod api;
mod error;
mod retry;
mod types;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use wo_core::{Error, Location, Result};

pub use error::BACKEND;
pub use retry::{classify, RetryPolicy, Transient};
pub use types::*;

use error::{message_of, transport, Failure};

/// Shortest token that is replaced by `***` when a server echoes it back.
const MIN_REDACTED_TOKEN: usize = 8;

/// The default API root.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// The REST API version wo is written against.
pub const API_VERSION: &str = "2022-11-28";
/// Most pages one paginated listing follows.
pub const MAX_PAGES: usize = 1000;

/// The GitHub REST client. Cheap to clone (an `Arc` inside); clones share the request counter.
#[derive(Clone)]
pub struct GitHub {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
    headers: HeaderMap,
    retry: RetryPolicy,
    timeout: Duration,
    sent: AtomicU64,
    /// Repositories seen to answer (a 404 under them is a real `NotFound`).
    visible: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl fmt::Debug for GitHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHub")
            .field("base_url", &self.inner.base.as_str())
            .field(
                "token",
                &if self.inner.token.is_some() {
                    "<redacted>"
                } else {
                    "<none>"
                },
            )
            .field("retry", &self.inner.retry)
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

/// Builds a [`GitHub`] client.
#[derive(Default)]
pub struct GitHubBuilder {
    base_url: Option<String>,
    token: Option<String>,
    http: Option<reqwest::Client>,
    retry: Option<RetryPolicy>,
    user_agent: Option<String>,
    timeout: Option<Duration>,
    accept: Option<String>,
}

impl fmt::Debug for GitHubBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("retry", &self.retry)
            .finish()
    }
}

impl GitHubBuilder {
    /// The API root: `https://api.github.com` (default) or `https://<host>/api/v3` for GitHub
    /// Enterprise Server.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The token sent as `Authorization: Bearer`.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        let token = token.into();
        self.token = (!token.trim().is_empty()).then(|| token.trim().to_string());
        self
    }

    /// An injected HTTP client (its TLS and proxy settings are used as they are). A
    /// `reqwest::Client` on rustls needs a crypto provider when it is built: install one first
    /// (`rustls::crypto::ring::default_provider().install_default()`), or use the default
    /// client, which does.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The `User-Agent` (default `wo/<version>`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }

    /// The time limit of one attempt (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The `Accept` header (default `application/vnd.github+json`, GitHub's own media type).
    /// GitHub answers `application/json` the same; a validating proxy such as Stoplight Prism
    /// answers 406 to the vendor type, so tests through it send `application/json`.
    pub fn accept(mut self, accept: impl Into<String>) -> Self {
        let accept = accept.into();
        self.accept = (!accept.trim().is_empty()).then(|| accept.trim().to_string());
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a base URL that is not `http(s)://…` or a token that cannot be a
    /// header value; [`Error::Backend`] when the HTTP client cannot be built.
    pub fn build(self) -> Result<GitHub> {
        let raw = self.base_url.unwrap_or_else(|| DEFAULT_API_URL.to_string());
        let invalid = |m: String| Error::invalid(Location::file("GITHUB_API_URL"), m);
        let base = Url::parse(raw.trim_end_matches('/'))
            .map_err(|e| invalid(format!("`{raw}` is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(invalid(format!("`{raw}` is not an http(s) URL")));
        }
        let mut headers = HeaderMap::new();
        let accept = match &self.accept {
            Some(a) => HeaderValue::from_str(a)
                .map_err(|e| invalid(format!("bad Accept header `{a}`: {e}")))?,
            None => HeaderValue::from_static("application/vnd.github+json"),
        };
        headers.insert(ACCEPT, accept);
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static(API_VERSION),
        );
        let ua = self
            .user_agent
            .unwrap_or_else(|| format!("wo/{}", env!("CARGO_PKG_VERSION")));
        headers.insert(
            USER_AGENT,
            HeaderValue::from_str(&ua).map_err(|e| invalid(format!("bad user agent: {e}")))?,
        );
        if let Some(token) = &self.token {
            let mut v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                Error::invalid(
                    Location::file("GITHUB_TOKEN"),
                    "the token holds characters that cannot be sent in a header",
                )
            })?;
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
        let http = match self.http {
            Some(h) => h,
            None => default_http_client()?,
        };
        Ok(GitHub {
            inner: Arc::new(Inner {
                http,
                base,
                token: self.token,
                headers,
                retry: self.retry.unwrap_or_default(),
                timeout: self.timeout.unwrap_or(Duration::from_secs(30)),
                sent: AtomicU64::new(0),
                visible: Default::default(),
            }),
        })
    }
}

/// A reqwest client on rustls with the `ring` provider.
fn default_http_client() -> Result<reqwest::Client> {
    // Ignored error: another provider is installed already, and reqwest will use that one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| Error::backend(BACKEND, format!("building the HTTP client: {e}")))
}

/// One request: where, what, and whether sending it twice is harmless.
pub(crate) struct Call {
    method: Method,
    url: Url,
    body: Option<Vec<u8>>,
    repeatable: bool,
    /// What the request is about, for errors (`ref heads/dev of o/r`).
    what: String,
}

/// A successful answer.
pub(crate) struct Reply {
    headers: HeaderMap,
    body: Vec<u8>,
}

impl GitHub {
    /// A builder.
    pub fn builder() -> GitHubBuilder {
        GitHubBuilder::default()
    }

    /// A client for `GITHUB_API_URL` (default `https://api.github.com`) with the token in
    /// `GITHUB_TOKEN` (none when unset: public reads only).
    ///
    /// # Errors
    /// As [`GitHubBuilder::build`].
    pub fn from_env() -> Result<GitHub> {
        let mut b = GitHub::builder();
        if let Ok(url) = std::env::var("GITHUB_API_URL") {
            if !url.trim().is_empty() {
                b = b.base_url(url);
            }
        }
        if let Ok(token) = std::env::var("GITHUB_TOKEN") {
            b = b.token(token);
        }
        b.build()
    }

    /// The API root.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// HTTP requests sent so far by this client and its clones, every retry counted.
    pub fn requests_sent(&self) -> u64 {
        self.inner.sent.load(Ordering::Relaxed)
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// `base` + `path` (segments already encoded) + `query`.
    pub(crate) fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let base = self.inner.base.as_str().trim_end_matches('/');
        let mut url =
            Url::parse(&format!("{base}{path}")).unwrap_or_else(|_| self.inner.base.clone());
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    pub(crate) fn call(&self, method: Method, url: Url, what: impl Into<String>) -> Call {
        let repeatable = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        );
        Call {
            method,
            url,
            body: None,
            repeatable,
            what: what.into(),
        }
    }

    /// Runs `call` under the retry policy; a non-2xx answer becomes an [`Error`].
    pub(crate) async fn execute(&self, call: &Call) -> Result<Reply> {
        let started = Instant::now();
        let request = format!("{} {}", call.method, call.url.path());
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.inner.sent.fetch_add(1, Ordering::Relaxed);
            let (transient, detail) = match self.send_once(call).await {
                Ok((status, reply)) if status.is_success() => return Ok(reply),
                Ok((status, reply)) => {
                    let message = self.redact(message_of(&reply.body));
                    match classify(status, &reply.headers, &message, call.repeatable) {
                        Some(t) => (t, format!("{status}: {message}")),
                        None => {
                            let visible = if status == StatusCode::NOT_FOUND {
                                self.repo_visible(&request).await
                            } else {
                                None
                            };
                            return Err(Failure {
                                status,
                                message,
                                request,
                            }
                            .into_error(&call.what, visible));
                        }
                    }
                }
                Err(e) => {
                    let cause = self.redact(error_chain(&e));
                    if !(call.repeatable || e.is_connect()) {
                        return Err(transport(
                            &request,
                            &call.what,
                            format!("{cause} (not retried: the request may have taken effect)"),
                            Some(e),
                        ));
                    }
                    (Transient::Transport(cause.clone()), cause)
                }
            };
            match self
                .inner
                .retry
                .delay(attempt, started.elapsed(), &transient)
            {
                Some(wait) => tokio::time::sleep(wait).await,
                None => {
                    return Err(transport(
                        &request,
                        &call.what,
                        format!(
                            "gave up after {attempt} attempt(s) in {:.1} s: {} ({detail})",
                            started.elapsed().as_secs_f64(),
                            transient.describe()
                        ),
                        None,
                    ))
                }
            }
        }
    }

    async fn send_once(
        &self,
        call: &Call,
    ) -> std::result::Result<(StatusCode, Reply), reqwest::Error> {
        let mut req = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone())
            .headers(self.inner.headers.clone())
            .timeout(self.inner.timeout);
        if let Some(body) = &call.body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let resp = req.send().await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?.to_vec();
        Ok((status, Reply { headers, body }))
    }

    /// Runs `call` and parses the JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        let reply = self.execute(call).await?;
        self.parse(call, &reply.body)
    }

    fn parse<T: DeserializeOwned>(&self, call: &Call, body: &[u8]) -> Result<T> {
        serde_json::from_slice(body).map_err(|e| {
            Error::backend(
                BACKEND,
                format!(
                    "{} {}: {}: unexpected answer: {e}",
                    call.method,
                    call.url.path(),
                    call.what
                ),
            )
        })
    }

    /// Every item of a paginated listing, following `Link: <…>; rel="next"` (same origin only,
    /// at most [`MAX_PAGES`] pages).
    pub(crate) async fn all_pages<T: DeserializeOwned>(&self, first: Call) -> Result<Vec<T>> {
        let mut out = Vec::new();
        let mut call = first;
        for _ in 0..MAX_PAGES {
            let reply = self.execute(&call).await?;
            let page: Vec<T> = self.parse(&call, &reply.body)?;
            out.extend(page);
            let Some(next) = next_link(&reply.headers) else {
                return Ok(out);
            };
            let next = Url::parse(&next).map_err(|e| {
                Error::backend(BACKEND, format!("{}: bad Link header: {e}", call.what))
            })?;
            if next.origin() != self.inner.base.origin() {
                return Err(Error::backend(BACKEND, format!(
                        "{}: the next page is on another host ({}); not following it with the token",
                        call.what,
                        next.origin().ascii_serialization()
                    )));
            }
            call = Call { url: next, ..call };
        }
        Err(Error::backend(
            BACKEND,
            format!("{}: more than {MAX_PAGES} pages", call.what),
        ))
    }

    /// For a 404 of `request` (`METHOD /repos/o/r/…`): whether the repository itself answers
    /// (`Some(true)`), answers 404 too (`Some(false)`: it does not exist or the token cannot
    /// see it), or was not asked (`None`: not a repository's resource, or the request was the
    /// repository itself). A repository seen once is not asked again.
    async fn repo_visible(&self, request: &str) -> Option<bool> {
        let repo = error::repo_of(request)?;
        let path = request.split_once(' ').map_or(request, |(_, p)| p);
        let own = format!("/repos/{repo}");
        if self.inner.visible.lock().ok()?.contains(&repo) {
            return Some(true);
        }
        if path.trim_end_matches('/') == own {
            return Some(false);
        }
        let url = self.url(&own, &[]);
        self.inner.sent.fetch_add(1, Ordering::Relaxed);
        let answer = self
            .send_once(&self.call(Method::GET, url, format!("GitHub repository {repo}")))
            .await;
        let visible = match answer {
            Ok((status, _)) if status.is_success() => true,
            Ok((StatusCode::NOT_FOUND, _)) => false,
            _ => return None,
        };
        if visible {
            if let Ok(mut seen) = self.inner.visible.lock() {
                seen.insert(repo);
            }
        }
        Some(visible)
    }

    fn redact(&self, text: String) -> String {
        match &self.inner.token {
            // A token of a few characters (a test's `x`) would match ordinary words and mangle
            // the message that errors are classified by; real tokens are 40 characters or more.
            Some(t) if t.len() >= MIN_REDACTED_TOKEN && text.contains(t.as_str()) => {
                text.replace(t.as_str(), "***")
            }
            _ => text,
        }
    }
}

impl Call {
    /// The same call with a JSON body.
    pub(crate) fn body(mut self, body: &impl serde::Serialize) -> Self {
        self.body = Some(serde_json::to_vec(body).unwrap_or_default());
        self
    }

    /// Marks the call harmless to send twice (content-addressed, or setting a value).
    pub(crate) fn repeatable(mut self) -> Self {
        self.repeatable = true;
        self
    }
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|part| {
            let (target, params) = part.split_once(';')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim();
                p == "rel=\"next\"" || p == "rel=next"
            });
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| target.to_string())
        })
}

fn error_chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters). A ref
/// such as `heads/dev` is one `{ref}` parameter of the API description and is sent as
/// `heads%2Fdev`, as GitHub's own clients send it (and as an OpenAPI validator matches it).
pub(crate) fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_next_is_found_among_other_relations() {
        let mut h = HeaderMap::new();
        h.insert(
            reqwest::header::LINK,
            HeaderValue::from_static(
                "<https://api.github.com/repositories/1/pulls?page=3>; rel=\"next\", <https://api.github.com/repositories/1/pulls?page=9>; rel=\"last\"",
            ),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/repositories/1/pulls?page=3")
        );
        h.insert(
            reqwest::header::LINK,
            HeaderValue::from_static("<https://x/a?page=1>; rel=\"prev\""),
        );
        assert_eq!(next_link(&h), None);
    }

    #[test]
    fn refs_are_one_encoded_segment() {
        assert_eq!(seg("heads/wo/dev/shop"), "heads%2Fwo%2Fdev%2Fshop");
        assert_eq!(seg("a b/c"), "a%20b%2Fc");
        assert_eq!(seg("v1.2_x~y-z"), "v1.2_x~y-z");
    }

    #[test]
    fn ghes_base_urls_keep_their_path() {
        let gh = GitHub::builder()
            .base_url("https://ghe.example.com/api/v3/")
            .build()
            .unwrap();
        assert_eq!(
            gh.url("/repos/o/r", &[("per_page", "100")]).as_str(),
            "https://ghe.example.com/api/v3/repos/o/r?per_page=100"
        );
        assert!(GitHub::builder().base_url("ftp://x").build().is_err());
    }
}
