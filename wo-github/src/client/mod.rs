//! The GitHub REST client: token, base URL (github.com or GitHub Enterprise Server), API version
//! header, `Link` pagination, and retries honouring `Retry-After` and rate limits.
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
//! of it in an answer is replaced by `***`, [`wo_http::redact`]). An error built from a failed
//! answer names GitHub's `x-github-request-id`.
//!
//! # Retries
//!
//! Every request runs under the shared [`wo_http::Retry`] with a [`RetryPolicy`] (bounded
//! attempts and total time; default [`DEFAULT_RETRY`]). What is worth another attempt is
//! GitHub's own rule ([`classify`], [`Transient::verdict`]):
//!
//! - 429, and 403/429 that are rate limits (`Retry-After`; `x-ratelimit-remaining: 0` → wait
//!   until `x-ratelimit-reset`; a message naming a secondary rate limit → wait
//!   [`GitHubBuilder::secondary_rate_limit_wait`]), for every request: GitHub refused them
//!   without effect;
//! - 5xx and transport failures (timeouts, a connection closed mid-request) only for requests
//!   that are harmless to repeat (GET, PUT, DELETE, and the writes wo marks repeatable:
//!   content-addressed blobs and trees, setting a ref or a status to a value);
//! - a connection that could not be opened, for every request (nothing was sent);
//! - never 4xx validation errors, 401, or 403 without a rate-limit sign.
//!
//! A wait longer than [`RetryPolicy::max_wait`] is not waited: the call fails at once with a
//! retryable [`wo_core::Error::Backend`] naming the reset time.
//! [`GitHub::requests_sent`] counts every attempt, retries included. Waits are slept on the
//! builder's [`Clock`] (the system's by default; tests pass a [`wo_http::ManualClock`]).
//!
//! # TLS
//!
//! The crate uses rustls with the `ring` provider (one TLS stack, no C toolchain). When no
//! `reqwest::Client` is injected, [`GitHubBuilder::build`] builds one with
//! [`wo_http::http_client`], which installs `ring` as the process-wide default rustls provider
//! if none is installed yet (a provider the application installed first is kept).

mod api;
mod error;
mod policy;
mod retry;
mod types;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use wo_core::{Error, Location, Result};
use wo_http::{Clock, Failed, Retry, Secret, Verdict};

pub use error::{ACCEPTED_PERMISSIONS_HEADER, BACKEND, REQUEST_ID_HEADER};
pub use retry::{
    classify, RetryPolicy, Transient, DEFAULT_RETRY, DEFAULT_SECONDARY_RATE_LIMIT_WAIT,
};
pub use types::*;

use error::{message_of, transport, Failure, TokenName};

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
    token: Option<Secret>,
    token_name: TokenName,
    headers: HeaderMap,
    retry: Retry,
    secondary_rate_limit_wait: Duration,
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
            .field("token_source", &self.inner.token_name)
            .field("retry", self.inner.retry.policy())
            .field(
                "secondary_rate_limit_wait",
                &self.inner.secondary_rate_limit_wait,
            )
            .field("timeout", &self.inner.timeout)
            .finish()
    }
}

/// Builds a [`GitHub`] client.
#[derive(Default)]
pub struct GitHubBuilder {
    base_url: Option<String>,
    token: Option<Secret>,
    token_source: Option<String>,
    http: Option<reqwest::Client>,
    retry: Option<RetryPolicy>,
    secondary_rate_limit_wait: Option<Duration>,
    clock: Option<Arc<dyn Clock>>,
    user_agent: Option<String>,
    timeout: Option<Duration>,
    accept: Option<String>,
}

impl fmt::Debug for GitHubBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("token_source", &self.token_source)
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
        self.token = (!token.trim().is_empty()).then(|| Secret::new(token.trim()));
        self
    }

    /// Where the token came from, named in the errors of a refused token: a variable
    /// (`GITHUB_TOKEN`, shown as `` `GITHUB_TOKEN` ``) or a phrase (`the caller`). Never the
    /// token itself.
    pub fn token_source(mut self, source: impl Into<String>) -> Self {
        let source = source.into();
        self.token_source = (!source.trim().is_empty()).then(|| source.trim().to_string());
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

    /// The retry policy (default [`DEFAULT_RETRY`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The wait after a secondary rate limit that names no `Retry-After` (default
    /// [`DEFAULT_SECONDARY_RATE_LIMIT_WAIT`], the minute GitHub asks for). Like every wait it
    /// is bounded by [`RetryPolicy::max_wait`].
    pub fn secondary_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.secondary_rate_limit_wait = Some(wait);
        self
    }

    /// The clock retries read the time from and sleep on (default [`wo_http::SystemClock`];
    /// a [`wo_http::ManualClock`] lets a test see every wait without waiting).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
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
        let base = wo_http::base_url(&raw, "GITHUB_API_URL")?;
        let invalid = |m: String| Error::invalid(Location::file("GITHUB_API_URL"), m);
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
            let mut v =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
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
            None => wo_http::http_client()?,
        };
        let mut retry = Retry::new(self.retry.unwrap_or(DEFAULT_RETRY));
        if let Some(clock) = self.clock {
            retry = retry.with_clock(clock);
        }
        Ok(GitHub {
            inner: Arc::new(Inner {
                http,
                base,
                token_name: match (&self.token, self.token_source) {
                    (None, _) => TokenName::None,
                    (Some(_), None) => TokenName::Unnamed,
                    (Some(_), Some(source)) => TokenName::From(source),
                },
                token: self.token,
                headers,
                retry,
                secondary_rate_limit_wait: self
                    .secondary_rate_limit_wait
                    .unwrap_or(DEFAULT_SECONDARY_RATE_LIMIT_WAIT),
                timeout: self.timeout.unwrap_or(Duration::from_secs(30)),
                sent: AtomicU64::new(0),
                visible: Default::default(),
            }),
        })
    }
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

/// One failed attempt.
enum Miss {
    /// Final: the call ends with this error.
    Final(Error),
    /// Another attempt may help.
    Transient {
        why: Transient,
        verdict: Verdict,
        /// `status: message`, or the transport error.
        detail: String,
        source: Option<reqwest::Error>,
        request_id: Option<String>,
    },
}

impl Miss {
    fn verdict(&self) -> Verdict {
        match self {
            Miss::Final(_) => Verdict::Fail,
            Miss::Transient { verdict, .. } => *verdict,
        }
    }
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
            b = b.token(token).token_source("GITHUB_TOKEN");
        }
        b.build()
    }

    /// Where the token came from, as given to [`GitHubBuilder::token_source`]; `None` without a
    /// token or a named source.
    pub fn token_source(&self) -> Option<&str> {
        match &self.inner.token_name {
            TokenName::From(s) => Some(s),
            _ => None,
        }
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
        self.inner.retry.policy()
    }

    /// The wait after a secondary rate limit that names no `Retry-After`.
    pub fn secondary_rate_limit_wait(&self) -> Duration {
        self.inner.secondary_rate_limit_wait
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
        let request = format!("{} {}", call.method, call.url.path());
        let outcome = self
            .inner
            .retry
            .run(|| self.attempt(call, &request), Miss::verdict)
            .await;
        let failed = match outcome {
            Ok(reply) => return Ok(reply),
            Err(failed) => failed,
        };
        let Failed {
            error,
            attempts,
            elapsed,
            gave_up,
        } = failed;
        match error {
            Miss::Final(e) => Err(e),
            Miss::Transient {
                why,
                detail,
                source,
                request_id,
                ..
            } => {
                let reason = gave_up.map(|g| format!(" ({g})")).unwrap_or_default();
                let e = transport(
                    &request,
                    &call.what,
                    format!(
                        "gave up after {attempts} attempt(s) in {:.1} s{reason}: {} ({detail})",
                        elapsed.as_secs_f64(),
                        why.describe()
                    ),
                    source,
                );
                Err(wo_http::with_server_request_id(
                    e,
                    REQUEST_ID_HEADER,
                    request_id.as_deref(),
                ))
            }
        }
    }

    /// One attempt of `call`, its failure classified by GitHub's rules.
    async fn attempt(&self, call: &Call, request: &str) -> std::result::Result<Reply, Miss> {
        self.inner.sent.fetch_add(1, Ordering::Relaxed);
        let (status, reply) = match self.send_once(call).await {
            Ok((status, reply)) if status.is_success() => return Ok(reply),
            Ok(answer) => answer,
            // A hostile or broken server does not fill the memory; asking again gets the same.
            Err(too_large @ wo_http::BodyError::TooLarge { .. }) => {
                return Err(Miss::Final(
                    transport(request, &call.what, too_large.to_string(), None).retryable(false),
                ));
            }
            Err(wo_http::BodyError::Transport(e)) => {
                let cause = self.redact(error_chain(&e));
                // A connection never opened sent nothing: safe to repeat for any request.
                if !(call.repeatable || e.is_connect()) {
                    return Err(Miss::Final(transport(
                        request,
                        &call.what,
                        format!("{cause} (not retried: the request may have taken effect)"),
                        Some(e),
                    )));
                }
                return Err(Miss::Transient {
                    why: Transient::Transport(cause.clone()),
                    verdict: Verdict::Retry,
                    detail: cause,
                    source: Some(e),
                    request_id: None,
                });
            }
        };
        let message = self.redact(message_of(&reply.body));
        let request_id = wo_http::server_request_id(&reply.headers, REQUEST_ID_HEADER);
        let now = self.inner.retry.clock().now();
        if let Some(why) = classify(status, &reply.headers, &message, call.repeatable, now) {
            return Err(Miss::Transient {
                verdict: why.verdict(now, self.inner.secondary_rate_limit_wait),
                why,
                detail: format!("{status}: {message}"),
                source: None,
                request_id,
            });
        }
        let visible = if status == StatusCode::NOT_FOUND {
            self.repo_visible(request).await
        } else {
            None
        };
        let accepted_permissions = reply
            .headers
            .get(ACCEPTED_PERMISSIONS_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        let failure = Failure {
            status,
            message,
            request: request.to_string(),
            request_id,
            accepted_permissions,
        };
        Err(Miss::Final(failure.into_error(
            &call.what,
            visible,
            &self.inner.token_name,
        )))
    }

    async fn send_once(
        &self,
        call: &Call,
    ) -> std::result::Result<(StatusCode, Reply), wo_http::BodyError> {
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
        let resp = req.send().await.map_err(wo_http::BodyError::Transport)?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = wo_http::read_body(resp, wo_http::MAX_BODY_BYTES).await?;
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

    /// `text` without the token (a short test token is left alone: [`wo_http::redact`]).
    fn redact(&self, text: String) -> String {
        match &self.inner.token {
            Some(t) => t.redact(&text),
            None => text,
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
