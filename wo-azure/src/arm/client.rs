//! [`ArmClient`]: requests under [`wo_http::Retry`], JSON in and out, `nextLink` paging.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use wo_core::{Error, Location, Result};
use wo_http::{Clock, Failed, Retry, Verdict};

use super::credential::{TokenCredential, ARM_SCOPE};
use super::error::{Failure, BACKEND, REQUEST_ID_HEADER};
use super::policy::{LroPolicy, RetryPolicy, DEFAULT_RETRY};

/// The default ARM endpoint.
pub const DEFAULT_ARM_URL: &str = "https://management.azure.com";
/// The api-version every request carries unless the URL names one.
pub const API_VERSION: &str = "2025-08-01";
/// Most pages one listing follows.
pub const MAX_PAGES: usize = 1000;
/// The request header carrying the per-call id.
pub const CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";
/// The request header carrying the per-client id: the same on every request of one client and
/// its clones (as the Azure CLI sends one per command), so ARM's logs group a run's requests.
pub const CORRELATION_REQUEST_ID: &str = "x-ms-correlation-request-id";

/// The Azure Resource Manager client. Cheap to clone; clones share the request counter and the
/// credential (and so its token cache).
#[derive(Clone)]
pub struct ArmClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    credential: Arc<dyn TokenCredential>,
    scope: String,
    api_version: String,
    retry: Retry,
    lro: LroPolicy,
    timeout: Duration,
    user_agent: String,
    correlation_id: String,
    sent: AtomicU64,
}

impl fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmClient")
            .field("base_url", &self.inner.base.as_str())
            .field("api_version", &self.inner.api_version)
            .field("correlation_id", &self.inner.correlation_id)
            .field("credential", &self.inner.credential)
            .field("retry", self.inner.retry.policy())
            .field("lro", &self.inner.lro)
            .finish()
    }
}

/// Builds an [`ArmClient`].
#[derive(Default)]
pub struct ArmClientBuilder {
    base_url: Option<String>,
    credential: Option<Arc<dyn TokenCredential>>,
    http: Option<reqwest::Client>,
    api_version: Option<String>,
    scope: Option<String>,
    retry: Option<RetryPolicy>,
    lro: Option<LroPolicy>,
    clock: Option<Arc<dyn Clock>>,
    timeout: Option<Duration>,
    correlation_id: Option<String>,
}

impl fmt::Debug for ArmClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmClientBuilder")
            .field("base_url", &self.base_url)
            .field("credential", &self.credential)
            .finish()
    }
}

impl ArmClientBuilder {
    /// The ARM endpoint (default [`DEFAULT_ARM_URL`]; a simulator or a sovereign cloud).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Where tokens come from (required).
    pub fn credential(mut self, credential: Arc<dyn TokenCredential>) -> Self {
        self.credential = Some(credential);
        self
    }

    /// An injected HTTP client, used as it is. A rustls-based client needs a crypto provider
    /// when built; [`default_http_client`] installs `ring` first.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The api-version (default [`API_VERSION`]).
    pub fn api_version(mut self, v: impl Into<String>) -> Self {
        self.api_version = Some(v.into());
        self
    }

    /// The token scope (default [`ARM_SCOPE`]).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The retry policy of one request (default [`DEFAULT_RETRY`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The clock that retries and polls read the time from and sleep on (default
    /// [`wo_http::SystemClock`]; a [`wo_http::ManualClock`] lets a test see every wait without
    /// waiting).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The polling policy of long-running operations.
    pub fn lro(mut self, lro: LroPolicy) -> Self {
        self.lro = Some(lro);
        self
    }

    /// The time limit of one attempt (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The `x-ms-correlation-request-id` of every request (default: a fresh id per client).
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a base URL that is not `http(s)://host…` (naming
    /// `WO_ARM_URL/--arm-url`) or a missing credential; [`Error::Backend`] when the default
    /// HTTP client cannot be built.
    pub fn build(self) -> Result<ArmClient> {
        let raw = self.base_url.unwrap_or_else(|| DEFAULT_ARM_URL.to_string());
        let base = wo_http::base_url(&raw, "WO_ARM_URL/--arm-url")?;
        let credential = self.credential.ok_or_else(|| {
            Error::invalid(
                Location::file("<arm client>"),
                "no credential: pass one, or use wo_azure::arm::credential_from_env",
            )
        })?;
        let http = match self.http {
            Some(h) => h,
            None => default_http_client()?,
        };
        let mut retry = Retry::new(self.retry.unwrap_or(DEFAULT_RETRY));
        if let Some(clock) = self.clock {
            retry = retry.with_clock(clock);
        }
        Ok(ArmClient {
            inner: Arc::new(Inner {
                http,
                base,
                credential,
                scope: self.scope.unwrap_or_else(|| ARM_SCOPE.to_string()),
                api_version: self.api_version.unwrap_or_else(|| API_VERSION.to_string()),
                retry,
                lro: self.lro.unwrap_or_default(),
                timeout: self.timeout.unwrap_or(Duration::from_secs(60)),
                user_agent: format!("wo/{}", env!("CARGO_PKG_VERSION")),
                correlation_id: self
                    .correlation_id
                    .filter(|c| HeaderValue::from_str(c).is_ok() && !c.trim().is_empty())
                    .unwrap_or_else(wo_http::new_request_id),
                sent: AtomicU64::new(0),
            }),
        })
    }
}

/// A reqwest client on rustls with the `ring` provider (installed as the process default if
/// no provider is installed yet): [`wo_http::http_client`], shared with the GitHub client.
///
/// # Errors
/// [`Error::Backend`] when the client cannot be built.
pub fn default_http_client() -> Result<reqwest::Client> {
    wo_http::http_client()
}

/// Whether a failed ARM answer is worth another attempt, and after how long: pure, measured
/// from `now` (a `Retry-After` HTTP date).
///
/// | status | method | verdict |
/// |---|---|---|
/// | 429, 503 (refused before any work) | any | retry, after the `Retry-After` / `retry-after-ms` / `x-ms-retry-after-ms` it names, else a backoff |
/// | 408, 500, 502, 504 | not `POST` (whose effect they leave unknown) | the same |
/// | anything else (4xx, 501, 505, …) | any | final |
pub fn classify(
    method: &Method,
    status: StatusCode,
    headers: &HeaderMap,
    now: SystemTime,
) -> Verdict {
    let retryable = match status.as_u16() {
        429 | 503 => true,
        408 | 500 | 502 | 504 => method != Method::POST,
        _ => false,
    };
    if !retryable {
        return Verdict::Fail;
    }
    match wo_http::retry_after(headers, now) {
        Some(wait) => Verdict::RetryAfter(wait),
        None => Verdict::Retry,
    }
}

/// One failed attempt and what [`classify`] (or the transport rules) made of it.
struct Miss {
    error: Error,
    verdict: Verdict,
}

impl Miss {
    fn fail(error: Error) -> Self {
        Self {
            error,
            verdict: Verdict::Fail,
        }
    }
}

/// A successful answer.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON; `Null` when empty.
    pub fn json(&self, id: &str) -> Result<Value> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::backend(BACKEND, format!("{id}: the answer is not JSON: {e}")))
    }
}

impl ArmClient {
    /// A builder.
    pub fn builder() -> ArmClientBuilder {
        ArmClientBuilder::default()
    }

    /// The ARM endpoint.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// The api-version sent.
    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    /// The `x-ms-correlation-request-id` this client and its clones send.
    pub fn correlation_id(&self) -> &str {
        &self.inner.correlation_id
    }

    /// HTTP requests sent to ARM by this client and its clones, retries and polls counted
    /// (token requests not).
    pub fn requests_sent(&self) -> u64 {
        self.inner.sent.load(Ordering::Relaxed)
    }

    pub(crate) fn lro_policy(&self) -> &LroPolicy {
        &self.inner.lro
    }

    /// `path` (an ARM id or path, `/subscriptions/…`) under the base URL, or an absolute URL
    /// the service returned (`nextLink`, operation URLs), with `api-version` added when absent.
    ///
    /// Absolute URLs must share the base URL's scheme, host and port: the bearer token is never
    /// sent elsewhere.
    pub(crate) fn resolve(&self, path_or_url: &str) -> Result<Url> {
        let base = &self.inner.base;
        let mut url = if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            let url = Url::parse(path_or_url).map_err(|e| {
                Error::backend(
                    BACKEND,
                    wo_http::scrub(&format!("ARM returned a link that is not a URL ({e})")),
                )
            })?;
            if url.origin() != base.origin() {
                return Err(Error::backend(BACKEND, format!(
                        "refusing to follow {}://{}: not the ARM endpoint {} (the token is only sent there)",
                        url.scheme(),
                        url.host_str().unwrap_or_default(),
                        base.as_str()
                    )));
            }
            url
        } else {
            let path = if path_or_url.starts_with('/') {
                path_or_url.to_string()
            } else {
                format!("/{path_or_url}")
            };
            let raw = format!("{}{path}", base.as_str().trim_end_matches('/'));
            Url::parse(&raw).map_err(|e| {
                Error::invalid(Location::file(path_or_url), format!("not an ARM path: {e}"))
            })?
        };
        if !url.query_pairs().any(|(k, _)| k == "api-version") {
            url.query_pairs_mut()
                .append_pair("api-version", &self.inner.api_version);
        }
        Ok(url)
    }

    /// The ARM id a URL is about (its path below the base URL), for errors.
    pub(crate) fn id_of(&self, url: &Url) -> String {
        let prefix = self.inner.base.path().trim_end_matches('/');
        url.path()
            .strip_prefix(prefix)
            .unwrap_or(url.path())
            .to_string()
    }

    /// The clock retries and polls use.
    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        self.inner.retry.clock()
    }

    /// One logical call under the retry policy; a non-2xx answer becomes an [`Error`].
    pub(crate) async fn execute(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<Reply> {
        self.send(method, url, body, false).await
    }

    /// `GET` of an operation's `Location`: as [`Self::execute`], except that an error answer
    /// carrying a final status is returned as a [`Reply`] (not retried, not mapped), since ARM's
    /// async contract makes it the operation's own failure. Throttling and gateway answers
    /// (408, 429, 502, 503, 504) and transport failures are retried as for any `GET`.
    pub(crate) async fn execute_final(&self, url: &Url) -> Result<Reply> {
        self.send(Method::GET, url, None, true).await
    }

    async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
        final_answer: bool,
    ) -> Result<Reply> {
        let id = self.id_of(url);
        // One id per logical call, the same on each retry, so ARM's logs match ours.
        let request_id = wo_http::new_request_id();
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| Error::invalid(Location::file(&id), format!("body: {e}")))?;
        let call = Call {
            method: &method,
            url,
            id: &id,
            request_id: &request_id,
            body: body.as_deref(),
            final_answer,
        };
        let outcome = self
            .inner
            .retry
            .run(|| self.attempt(&call), |miss: &Miss| miss.verdict)
            .await;
        outcome.map_err(|failed| {
            let Failed {
                error: Miss { mut error, .. },
                attempts,
                gave_up,
                ..
            } = failed;
            // A transient failure the policy would not wait for again says why.
            if let (Some(reason), Error::Backend { message, .. }) = (gave_up, &mut error) {
                message.push_str(&format!(" (gave up after {attempts} attempt(s): {reason})"));
            }
            error
        })
    }

    /// One attempt: a token, the request, the answer classified.
    async fn attempt(&self, call: &Call<'_>) -> std::result::Result<Reply, Miss> {
        let token = match self.inner.credential.get_token(&self.inner.scope).await {
            Ok(t) => t,
            // The token service failed transiently: nothing reached ARM yet, so wait as for any
            // retryable answer.
            Err(e) if e.is_retryable() => {
                return Err(Miss {
                    error: e,
                    verdict: Verdict::Retry,
                })
            }
            Err(e) => return Err(Miss::fail(e)),
        };
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", token.token.expose())).map_err(|_| {
                Miss::fail(Error::backend(
                    BACKEND,
                    "the access token holds characters that cannot be sent in a header",
                ))
            })?;
        auth.set_sensitive(true);
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone())
            .timeout(self.inner.timeout)
            .header(AUTHORIZATION, auth)
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, &self.inner.user_agent)
            .header(CLIENT_REQUEST_ID, call.request_id)
            .header(CORRELATION_REQUEST_ID, &self.inner.correlation_id);
        if let Some(b) = call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_vec());
        }
        self.inner.sent.fetch_add(1, Ordering::Relaxed);
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                let error = transport(call.method, call.url, call.id, &e);
                // A connection never opened sent nothing: safe to repeat for any method.
                if call.method == Method::POST && !e.is_connect() {
                    return Err(Miss::fail(error));
                }
                return Err(Miss {
                    error,
                    verdict: Verdict::Retry,
                });
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = match wo_http::read_body(response, wo_http::MAX_BODY_BYTES).await {
            Ok(body) => body,
            Err(wo_http::BodyError::Transport(e)) => {
                return Err(Miss {
                    error: transport(call.method, call.url, call.id, &e),
                    verdict: Verdict::Retry,
                })
            }
            Err(too_large) => {
                return Err(Miss::fail(
                    Error::backend(BACKEND, format!("{} {}: {too_large}", call.method, call.id))
                        .with_path(call.id),
                ))
            }
        };
        let transient = matches!(status.as_u16(), 408 | 429 | 502 | 503 | 504);
        if status.is_success() || (call.final_answer && !transient) {
            return Ok(Reply {
                status,
                headers,
                body,
            });
        }
        // A server that echoes the token back does not get it into our errors.
        let text = token.token.redact(&String::from_utf8_lossy(&body));
        let failure = Failure::new(status.as_u16(), text.as_bytes(), call.id)
            .with_request_id(wo_http::server_request_id(&headers, REQUEST_ID_HEADER));
        Err(Miss {
            error: failure.into_error(),
            verdict: classify(call.method, status, &headers, self.clock().now()),
        })
    }

    /// `method` on `path_or_url` with an optional JSON body; the answer's JSON (`Null` when
    /// empty).
    async fn json(&self, method: Method, path_or_url: &str, body: Option<&Value>) -> Result<Value> {
        let url = self.resolve(path_or_url)?;
        let reply = self.execute(method, &url, body).await?;
        reply.json(&self.id_of(&url))
    }

    /// `GET` a resource.
    ///
    /// # Errors
    /// [`Error::NotFound`] on 404, otherwise as listed on the module page.
    pub async fn get(&self, path_or_url: &str) -> Result<Value> {
        self.json(Method::GET, path_or_url, None).await
    }

    /// `GET` for a poll: the resource and the wait its answer asks for before the next poll
    /// (`retry-after-ms`, `x-ms-retry-after-ms`, `Retry-After`; `None` when it names none).
    pub(crate) async fn get_paced(&self, path_or_url: &str) -> Result<(Value, Option<Duration>)> {
        let url = self.resolve(path_or_url)?;
        let reply = self.execute(Method::GET, &url, None).await?;
        let wait = wo_http::retry_after(&reply.headers, self.clock().now());
        Ok((reply.json(&self.id_of(&url))?, wait))
    }

    /// `PUT` a resource (synchronously: a 201 with a non-terminal `provisioningState` is
    /// returned as it is; use [`ArmClient::put_lro`] to wait).
    ///
    /// # Errors
    /// As [`ArmClient::get`].
    pub async fn put(&self, path_or_url: &str, body: &Value) -> Result<Value> {
        self.json(Method::PUT, path_or_url, Some(body)).await
    }

    /// `PATCH` a resource.
    ///
    /// # Errors
    /// As [`ArmClient::get`].
    pub async fn patch(&self, path_or_url: &str, body: &Value) -> Result<Value> {
        self.json(Method::PATCH, path_or_url, Some(body)).await
    }

    /// `DELETE` a resource; the answer's body (`Null` for 204).
    ///
    /// # Errors
    /// As [`ArmClient::get`].
    pub async fn delete(&self, path_or_url: &str) -> Result<Value> {
        self.json(Method::DELETE, path_or_url, None).await
    }

    /// `POST` an action.
    ///
    /// # Errors
    /// As [`ArmClient::get`].
    pub async fn post(&self, path_or_url: &str, body: Option<&Value>) -> Result<Value> {
        self.json(Method::POST, path_or_url, body).await
    }

    /// Every item of a listing: `GET` then each absolute `nextLink` until absent.
    ///
    /// # Errors
    /// As [`ArmClient::get`]; [`Error::Backend`] when a page is not `{value: [...]}`, a
    /// `nextLink` repeats, or more than [`MAX_PAGES`] pages come.
    pub async fn list(&self, path_or_url: &str) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut next = Some(path_or_url.to_string());
        let mut seen = std::collections::HashSet::new();
        let first_id = self.id_of(&self.resolve(path_or_url)?);
        while let Some(link) = next.take() {
            if seen.len() >= MAX_PAGES || !seen.insert(link.clone()) {
                return Err(Error::backend(
                    BACKEND,
                    format!(
                        "listing {first_id}: paging did not end after {} pages",
                        seen.len()
                    ),
                ));
            }
            let mut page = self.get(&link).await?;
            match page.get_mut("value").map(Value::take) {
                Some(Value::Array(values)) => items.extend(values),
                Some(Value::Null) | None if page.get("nextLink").is_some() => {}
                _ => {
                    return Err(Error::backend(
                        BACKEND,
                        format!("listing {first_id}: a page has no `value` array"),
                    ))
                }
            }
            next = page
                .get("nextLink")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
        }
        Ok(items)
    }
}

/// What one logical call sends on each attempt.
struct Call<'a> {
    method: &'a Method,
    url: &'a Url,
    /// The ARM id, for errors.
    id: &'a str,
    request_id: &'a str,
    body: Option<&'a [u8]>,
    /// An error answer is the result (see [`ArmClient::execute_final`]).
    final_answer: bool,
}

fn transport(method: &Method, url: &Url, id: &str, e: &reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    Error::backend(
        BACKEND,
        wo_http::scrub(&format!(
            "{method} {id} on {}: {kind}: {}",
            url.host_str().unwrap_or_default(),
            std::error::Error::source(e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.to_string())
        )),
    )
    .retryable(true)
}
