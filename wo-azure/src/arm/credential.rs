//! Azure AD (Entra ID) access tokens for ARM: the [`TokenCredential`] port and its sources.
//!
//! Start with [`credential_from_env`], which picks, in this order:
//!
//! | environment | credential |
//! |---|---|
//! | `AZURE_ACCESS_TOKEN` | [`StaticToken`] (a token obtained elsewhere; never refreshed) |
//! | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` | [`ClientCredentials`] with the secret |
//! | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE` | [`ClientCredentials`] with the federated assertion (AKS workload identity, GitHub OIDC written to a file) |
//! | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `ACTIONS_ID_TOKEN_REQUEST_URL`, `ACTIONS_ID_TOKEN_REQUEST_TOKEN` | [`ClientCredentials`] with the GitHub Actions job's OIDC token (a job with `permissions: id-token: write`) |
//! | `IDENTITY_ENDPOINT`, `IDENTITY_HEADER` | [`ManagedIdentity`] (App Service / Functions style endpoint) |
//! | otherwise | [`AzureCli`] (`az account get-access-token`) |
//!
//! `AZURE_AUTHORITY_HOST` replaces `https://login.microsoftonline.com` (sovereign clouds,
//! tests). Every credential caches its token until [`REFRESH_MARGIN`] before it expires
//! ([`ClientCredentials::with_clock`] reads that time from another clock than the system's).
//!
//! A token service that refuses the credential is [`Error::Unauthenticated`], saying what to
//! fix: for a federated credential (GitHub Actions, a token file) Entra ID's "no matching
//! federated identity record" names the issuer, subject and audience presented and the
//! `az ad app federated-credential create` that would admit them.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use reqwest::Url;
use serde_json::Value;
use tokio::sync::Mutex;
use wo_core::{Error, Location, Result};
use wo_http::{Clock, SystemClock};

use super::error::BACKEND;
use super::Secret;

/// The scope of Azure Resource Manager.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";
/// The default Entra ID authority.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";
/// A cached token is renewed this long before it expires.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// A bearer token and when it expires.
#[derive(Clone, Debug)]
pub struct AccessToken {
    /// The token (printed as `<redacted>`).
    pub token: Secret,
    /// When it stops being accepted.
    pub expires_on: SystemTime,
}

impl AccessToken {
    /// Whether the token should be renewed now (it expires within [`REFRESH_MARGIN`]).
    pub fn is_stale(&self) -> bool {
        self.is_stale_at(SystemTime::now())
    }

    /// Whether the token should be renewed at `now` (it expires within [`REFRESH_MARGIN`]).
    pub fn is_stale_at(&self, now: SystemTime) -> bool {
        now + REFRESH_MARGIN >= self.expires_on
    }
}

/// A source of access tokens.
///
/// # Contract
/// `get_token(scope)` returns a token for `scope` (`https://management.azure.com/.default`)
/// that is valid for a while yet. Implementations cache: a call with a fresh cached token sends
/// no request. The token never appears in `Debug` output or in an error.
///
/// # Errors
/// [`Error::Backend`], retryable, when the token service failed transiently (429, 5xx,
/// transport); [`Error::Unauthenticated`] when it refused the credentials, saying what to fix;
/// [`Error::Backend`], not retryable, for an answer it cannot read; [`Error::Invalid`] for a
/// configuration that cannot work (a missing file).
#[async_trait]
pub trait TokenCredential: Send + Sync + fmt::Debug {
    /// A token for `scope`.
    async fn get_token(&self, scope: &str) -> Result<AccessToken>;
}

/// A fixed token: tests, and `AZURE_ACCESS_TOKEN` (from `az account get-access-token` run
/// earlier in a pipeline). Its expiry is not known; it is reported one hour ahead.
#[derive(Clone, Debug)]
pub struct StaticToken {
    token: Secret,
}

impl StaticToken {
    /// A credential that always answers `token`.
    pub fn new(token: impl Into<Secret>) -> Self {
        Self {
            token: token.into(),
        }
    }
}

#[async_trait]
impl TokenCredential for StaticToken {
    async fn get_token(&self, _scope: &str) -> Result<AccessToken> {
        Ok(AccessToken {
            token: self.token.clone(),
            expires_on: SystemTime::now() + Duration::from_secs(3600),
        })
    }
}

/// One cached token per credential, keyed by scope. The lock is held while fetching, so
/// concurrent callers wait for one request instead of each sending one.
#[derive(Default)]
struct TokenCache(Mutex<Option<(String, AccessToken)>>);

impl TokenCache {
    /// The cached token for `scope` unless it is stale at `now`, else a fetched one.
    async fn get_or_fetch<F, Fut>(
        &self,
        scope: &str,
        now: SystemTime,
        fetch: F,
    ) -> Result<AccessToken>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<AccessToken>>,
    {
        let mut slot = self.0.lock().await;
        if let Some((s, t)) = slot.as_ref() {
            if s == scope && !t.is_stale_at(now) {
                return Ok(t.clone());
            }
        }
        let token = fetch().await?;
        *slot = Some((scope.to_string(), token.clone()));
        Ok(token)
    }
}

fn backend(message: String, retryable: bool) -> Error {
    Error::backend(BACKEND, message).retryable(retryable)
}

/// What proves the application's identity to the token endpoint.
#[derive(Clone, Debug)]
enum ClientProof {
    Secret(Secret),
    /// A federated token (JWT) read from this file at each request: the platform rotates it.
    AssertionFile(PathBuf),
    /// A GitHub Actions OIDC token, asked for at each request from the job's token service
    /// (`ACTIONS_ID_TOKEN_REQUEST_URL` with `ACTIONS_ID_TOKEN_REQUEST_TOKEN`), audience
    /// `api://AzureADTokenExchange`.
    GitHubActions {
        url: Url,
        token: Secret,
    },
}

/// OAuth2 client credentials against `{authority}/{tenant}/oauth2/v2.0/token`, with a client
/// secret or a federated assertion (workload identity federation).
pub struct ClientCredentials {
    http: reqwest::Client,
    endpoint: Url,
    tenant: String,
    client_id: String,
    proof: ClientProof,
    cache: TokenCache,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("endpoint", &self.endpoint.as_str())
            .field("client_id", &self.client_id)
            .field("proof", &self.proof)
            .field("clock", &self.clock)
            .finish()
    }
}

impl ClientCredentials {
    fn new(
        http: reqwest::Client,
        authority_host: &str,
        tenant: &str,
        client_id: &str,
        proof: ClientProof,
    ) -> Result<Self> {
        let raw = format!(
            "{}/{}/oauth2/v2.0/token",
            authority_host.trim_end_matches('/'),
            tenant.trim()
        );
        let endpoint = Url::parse(&raw).map_err(|e| {
            Error::invalid(
                Location::file("AZURE_AUTHORITY_HOST"),
                wo_http::scrub(&format!("`{raw}` is not a URL: {e}")),
            )
        })?;
        Ok(Self {
            http,
            endpoint,
            tenant: tenant.trim().to_string(),
            client_id: client_id.trim().to_string(),
            proof,
            cache: TokenCache::default(),
            clock: Arc::new(SystemClock),
        })
    }

    /// The same credential reading the time from `clock` (default the system's): when its
    /// token expires (`expires_in` after the answer) and whether it is stale yet. Tests share a
    /// [`wo_http::ManualClock`] with the token service to renew tokens without waiting.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A service principal with a client secret.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `authority_host` and `tenant` do not form a URL.
    pub fn with_secret(
        http: reqwest::Client,
        authority_host: &str,
        tenant: &str,
        client_id: &str,
        secret: impl Into<Secret>,
    ) -> Result<Self> {
        Self::new(
            http,
            authority_host,
            tenant,
            client_id,
            ClientProof::Secret(secret.into()),
        )
    }

    /// An application that proves itself with a federated token read from `file` at each
    /// request (`AZURE_FEDERATED_TOKEN_FILE`).
    ///
    /// # Errors
    /// As [`ClientCredentials::with_secret`].
    pub fn with_assertion_file(
        http: reqwest::Client,
        authority_host: &str,
        tenant: &str,
        client_id: &str,
        file: impl Into<PathBuf>,
    ) -> Result<Self> {
        Self::new(
            http,
            authority_host,
            tenant,
            client_id,
            ClientProof::AssertionFile(file.into()),
        )
    }

    /// An application that proves itself with the GitHub Actions job's OIDC token (federated
    /// credential with subject `repo:<owner>/<repo>:environment:<env>` or similar): the token is
    /// asked for at `request_url` (`ACTIONS_ID_TOKEN_REQUEST_URL`) with `request_token`
    /// (`ACTIONS_ID_TOKEN_REQUEST_TOKEN`) for the audience `api://AzureADTokenExchange` at each
    /// token request.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `request_url` is not a URL, or as
    /// [`ClientCredentials::with_secret`].
    pub fn with_github_actions(
        http: reqwest::Client,
        authority_host: &str,
        tenant: &str,
        client_id: &str,
        request_url: &str,
        request_token: impl Into<Secret>,
    ) -> Result<Self> {
        let mut url = Url::parse(request_url.trim()).map_err(|e| {
            Error::invalid(
                Location::file("ACTIONS_ID_TOKEN_REQUEST_URL"),
                format!("not a URL: {e}"),
            )
        })?;
        url.query_pairs_mut()
            .append_pair("audience", "api://AzureADTokenExchange");
        Self::new(
            http,
            authority_host,
            tenant,
            client_id,
            ClientProof::GitHubActions {
                url,
                token: request_token.into(),
            },
        )
    }

    /// The job's OIDC token from GitHub Actions' token service.
    async fn github_assertion(&self, url: &Url, token: &Secret) -> Result<String> {
        let what = "the GitHub Actions OIDC token service (ACTIONS_ID_TOKEN_REQUEST_URL)";
        let response = self
            .http
            .get(url.clone())
            .header("authorization", format!("bearer {}", token.expose()))
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| backend(format!("{what}: {}", e.without_url()), true))?;
        let status = response.status();
        let json: Value = wo_http::read_body(response, wo_http::MAX_BODY_BYTES)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        if matches!(status.as_u16(), 401 | 403) {
            return Err(Error::unauthenticated(
                BACKEND,
                format!(
                    "{what} refused ACTIONS_ID_TOKEN_REQUEST_TOKEN ({status}): give the job \
                     `permissions: id-token: write` and run wo in that job, where the runner \
                     sets both ACTIONS_ID_TOKEN_REQUEST_* variables"
                ),
            ));
        }
        if !status.is_success() {
            return Err(backend(
                format!(
                    "{what} answered {status}; does the job have `permissions: id-token: write`?"
                ),
                status.as_u16() == 429 || status.is_server_error(),
            ));
        }
        json.get("value")
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| backend(format!("{what} answered without a `value`"), false))
    }

    async fn fetch(&self, scope: &str) -> Result<AccessToken> {
        let github = match &self.proof {
            ClientProof::GitHubActions { url, token } => {
                Some(self.github_assertion(url, token).await?)
            }
            _ => None,
        };
        let mut form = Url::parse("form:").expect("static URL");
        {
            let mut q = form.query_pairs_mut();
            q.append_pair("grant_type", "client_credentials");
            q.append_pair("client_id", &self.client_id);
            q.append_pair("scope", scope);
            match &self.proof {
                ClientProof::Secret(s) => {
                    q.append_pair("client_secret", s.expose());
                }
                ClientProof::AssertionFile(path) => {
                    let jwt = std::fs::read_to_string(path).map_err(|e| Error::Io {
                        path: path.display().to_string(),
                        source: e,
                    })?;
                    q.append_pair(
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    );
                    q.append_pair("client_assertion", jwt.trim());
                }
                ClientProof::GitHubActions { .. } => {
                    q.append_pair(
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    );
                    q.append_pair("client_assertion", github.as_deref().unwrap_or_default());
                }
            }
        }
        let body = form.query().unwrap_or_default().to_string();
        let request = self
            .http
            .post(self.endpoint.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body);
        let sent = match &self.proof {
            ClientProof::Secret(secret) => Some(secret),
            _ => None,
        };
        let what = wo_http::scrub(&format!("token endpoint {}", self.endpoint));
        let advice = |description: &str| self.advice(description, github.as_deref());
        token_response(request, &what, sent, self.clock.now(), &advice).await
    }

    /// What to fix when Entra ID refused this credential, from its `error_description`
    /// (`AADSTS…`); `assertion`: the GitHub Actions token presented, whose issuer, subject and
    /// audience a missing federated credential must name.
    fn advice(&self, description: &str, assertion: Option<&str>) -> String {
        let (client, tenant) = (&self.client_id, &self.tenant);
        let presented = match (&self.proof, assertion) {
            (_, Some(jwt)) => jwt_claims(jwt),
            (ClientProof::AssertionFile(path), None) => std::fs::read_to_string(path)
                .ok()
                .and_then(|jwt| jwt_claims(&jwt)),
            _ => None,
        };
        let claim = |name: &str| {
            presented
                .as_ref()
                .and_then(|c| match c.get(name)? {
                    Value::String(s) => Some(s.clone()),
                    Value::Array(a) => a.first()?.as_str().map(str::to_string),
                    _ => None,
                })
                .unwrap_or_else(|| "?".to_string())
        };
        let code = aadsts(description);
        if description.contains("No matching federated identity record")
            || matches!(
                code,
                Some(70021 | 700211 | 700212 | 700213 | 7002137 | 7002138)
            )
        {
            let (issuer, subject, audience) = (claim("iss"), claim("sub"), claim("aud"));
            return format!(
                "the app registration {client} in tenant {tenant} has no federated credential \
                 for issuer `{issuer}`, subject `{subject}`, audience `{audience}` (matched \
                 exactly, case included): add one with `az ad app federated-credential create \
                 --id {client} --parameters '{{\"name\":\"<name>\",\"issuer\":\"{issuer}\",\
                 \"subject\":\"{subject}\",\"audiences\":[\"api://AzureADTokenExchange\"]}}'` \
                 (the subject names the repository and the job's environment: see \
                 docs/adoption.md)"
            );
        }
        match (code, &self.proof) {
            (Some(700024), ClientProof::GitHubActions { .. }) => format!(
                "the GitHub Actions token for `{}` was outside its valid time range when Entra \
                 ID checked it; wo asks for a fresh one at each exchange, so check the runner's \
                 clock",
                claim("sub")
            ),
            (Some(700024), ClientProof::AssertionFile(path)) => format!(
                "the federated token in {} has expired: whatever writes that file must renew it",
                path.display()
            ),
            (Some(700016), _) | (Some(90002), _) => format!(
                "no application {client} in tenant {tenant}: check AZURE_CLIENT_ID and \
                 AZURE_TENANT_ID"
            ),
            (Some(7000215 | 7000222), _) => format!(
                "the client secret of {client} is wrong or expired: check AZURE_CLIENT_SECRET"
            ),
            _ => format!(
                "check AZURE_TENANT_ID ({tenant}), AZURE_CLIENT_ID ({client}) and the credential"
            ),
        }
    }
}

/// The `NNN` of the first `AADSTSNNN` in an Entra ID error description.
fn aadsts(description: &str) -> Option<u32> {
    let at = description.find("AADSTS")? + "AADSTS".len();
    let digits: String = description[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The claims of a compact JWT, unverified: only to name the issuer, subject and audience it
/// presented in an error (they are not secret; the token is never printed).
fn jwt_claims(jwt: &str) -> Option<serde_json::Map<String, Value>> {
    let payload = jwt.trim().split('.').nth(1)?;
    let mut bytes = Vec::with_capacity(payload.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in payload.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

#[async_trait]
impl TokenCredential for ClientCredentials {
    async fn get_token(&self, scope: &str) -> Result<AccessToken> {
        self.cache
            .get_or_fetch(scope, self.clock.now(), || self.fetch(scope))
            .await
    }
}

/// Sends a token request and reads `{access_token, expires_in | expires_on}` (`expires_in`
/// counted from `now`). A refusal is [`Error::Unauthenticated`] naming `what`, the OAuth error
/// code and description and `advice(description)`; 429 and 5xx are retryable
/// [`Error::Backend`]s. Never a secret: `sent`, the secret the request carried, is redacted
/// from what the service echoes.
async fn token_response(
    request: reqwest::RequestBuilder,
    what: &str,
    sent: Option<&Secret>,
    now: SystemTime,
    advice: &(dyn Fn(&str) -> String + Sync),
) -> Result<AccessToken> {
    let response = request
        .send()
        .await
        .map_err(|e| backend(format!("{what}: {}", e.without_url()), true))?;
    let status = response.status();
    let bytes = wo_http::read_body(response, wo_http::MAX_BODY_BYTES)
        .await
        .map_err(|e| match e {
            wo_http::BodyError::Transport(e) => {
                backend(format!("{what}: {}", e.without_url()), true)
            }
            too_large => backend(format!("{what}: {too_large}"), false),
        })?;
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if !status.is_success() {
        let code = json
            .get("error")
            .map(|e| match e {
                Value::String(s) => s.clone(),
                other => other
                    .get("code")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            })
            .unwrap_or_default();
        let description = json
            .get("error_description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let retryable = status.as_u16() == 429 || status.is_server_error();
        let first_line = description.lines().next().unwrap_or_default();
        let said = if retryable {
            format!("{what} failed ({status}: {code} {first_line})")
        } else {
            format!(
                "{what} refused the credentials ({status}: {code} {first_line}): {}",
                advice(description)
            )
        };
        // The secret sent, as it was sent, then every credential by its shape (a description
        // quoting the request's form carries the secret URL-encoded).
        let said = match sent {
            Some(secret) => secret.redact(&said),
            None => said,
        };
        let said = wo_http::scrub(&said);
        return Err(if retryable {
            backend(said, true)
        } else {
            Error::unauthenticated(BACKEND, said)
        });
    }
    parse_token(&json, now).ok_or_else(|| {
        backend(
            format!("{what} answered without an `access_token` and an expiry"),
            false,
        )
    })
}

/// `{access_token, expires_in}` (Entra ID) or `{access_token, expires_on}` (managed identity,
/// epoch seconds, as a number or a string).
fn parse_token(json: &Value, now: SystemTime) -> Option<AccessToken> {
    let token = json.get("access_token")?.as_str()?;
    let number = |v: &Value| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok());
    let expires_on = if let Some(s) = json.get("expires_in").and_then(number) {
        now + Duration::from_secs(s)
    } else {
        UNIX_EPOCH + Duration::from_secs(json.get("expires_on").and_then(number)?)
    };
    Some(AccessToken {
        token: Secret::new(token),
        expires_on,
    })
}

/// A managed identity through the `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` protocol (App
/// Service, Functions, Container Apps), or Azure IMDS
/// (`http://169.254.169.254/metadata/identity/oauth2/token`) with [`ManagedIdentity::imds`].
pub struct ManagedIdentity {
    http: reqwest::Client,
    endpoint: Url,
    /// `X-IDENTITY-HEADER` for the App Service protocol; `None`: IMDS (`Metadata: true`).
    header: Option<Secret>,
    client_id: Option<String>,
    cache: TokenCache,
}

impl fmt::Debug for ManagedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedIdentity")
            .field("endpoint", &self.endpoint.as_str())
            .field("client_id", &self.client_id)
            .finish()
    }
}

/// The Azure Instance Metadata Service token endpoint.
pub const IMDS_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

impl ManagedIdentity {
    fn parse(raw: &str) -> Result<Url> {
        Url::parse(raw).map_err(|e| {
            Error::invalid(
                Location::file("IDENTITY_ENDPOINT"),
                wo_http::scrub(&format!("`{raw}` is not a URL: {e}")),
            )
        })
    }

    /// The App Service protocol: `GET {endpoint}?api-version=2019-08-01&resource=…` with
    /// `X-IDENTITY-HEADER`. `client_id` picks a user-assigned identity.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `endpoint` is not a URL.
    pub fn app_service(
        http: reqwest::Client,
        endpoint: &str,
        header: impl Into<Secret>,
        client_id: Option<String>,
    ) -> Result<Self> {
        Ok(Self {
            http,
            endpoint: Self::parse(endpoint)?,
            header: Some(header.into()),
            client_id,
            cache: TokenCache::default(),
        })
    }

    /// IMDS at `endpoint` (normally [`IMDS_ENDPOINT`]): `GET …?api-version=2018-02-01&resource=…`
    /// with `Metadata: true`.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `endpoint` is not a URL.
    pub fn imds(http: reqwest::Client, endpoint: &str, client_id: Option<String>) -> Result<Self> {
        Ok(Self {
            http,
            endpoint: Self::parse(endpoint)?,
            header: None,
            client_id,
            cache: TokenCache::default(),
        })
    }

    async fn fetch(&self, scope: &str) -> Result<AccessToken> {
        let resource = scope.strip_suffix(".default").unwrap_or(scope);
        let mut url = self.endpoint.clone();
        {
            let mut q = url.query_pairs_mut();
            match &self.header {
                Some(_) => q.append_pair("api-version", "2019-08-01"),
                None => q.append_pair("api-version", "2018-02-01"),
            };
            q.append_pair("resource", resource);
            if let Some(id) = &self.client_id {
                q.append_pair("client_id", id);
            }
        }
        let mut request = self.http.get(url);
        request = match &self.header {
            Some(h) => request.header("x-identity-header", h.expose()),
            None => request.header("metadata", "true"),
        };
        let advice = |_: &str| {
            "check that the managed identity exists, is assigned to this resource and, for a \
             user-assigned one, that AZURE_CLIENT_ID names it"
                .to_string()
        };
        token_response(
            request,
            "managed identity endpoint",
            self.header.as_ref(),
            SystemTime::now(),
            &advice,
        )
        .await
    }
}

#[async_trait]
impl TokenCredential for ManagedIdentity {
    async fn get_token(&self, scope: &str) -> Result<AccessToken> {
        self.cache
            .get_or_fetch(scope, SystemTime::now(), || self.fetch(scope))
            .await
    }
}

/// The signed-in Azure CLI: runs `az account get-access-token --resource <resource> -o json`.
#[derive(Default)]
pub struct AzureCli {
    program: Option<PathBuf>,
    cache: TokenCache,
}

impl fmt::Debug for AzureCli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCli")
            .field("program", &self.program)
            .finish()
    }
}

impl AzureCli {
    /// Runs `az` from `PATH`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `program` instead of `az` (a wrapper script, tests).
    pub fn with_program(program: impl Into<PathBuf>) -> Self {
        Self {
            program: Some(program.into()),
            cache: TokenCache::default(),
        }
    }

    async fn fetch(&self, scope: &str) -> Result<AccessToken> {
        let resource = scope.strip_suffix(".default").unwrap_or(scope).to_string();
        let program = self.program.clone().unwrap_or_else(|| PathBuf::from("az"));
        let shown = program.display().to_string();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(&program)
                .args(["account", "get-access-token", "--resource", &resource])
                .args(["-o", "json"])
                .stdin(std::process::Stdio::null())
                .output()
        })
        .await
        .map_err(|e| backend(format!("running {shown}: {e}"), false))?
        .map_err(|e| {
            backend(
                format!(
                    "running `{shown} account get-access-token`: {e} (is the Azure CLI installed?)"
                ),
                false,
            )
        })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(backend(
                format!(
                    "`{shown} account get-access-token` failed ({}): {} (run `az login`)",
                    output.status,
                    wo_http::scrub(stderr.lines().next().unwrap_or_default())
                ),
                false,
            ));
        }
        let json: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        let token = json.get("accessToken").and_then(Value::as_str);
        // `expires_on` (epoch seconds) since CLI 2.54; older versions only print a local time,
        // which is read as "valid for five more minutes" rather than parsed.
        let expires_on = json
            .get("expires_on")
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
            .map(|s| UNIX_EPOCH + Duration::from_secs(s))
            .unwrap_or_else(|| SystemTime::now() + REFRESH_MARGIN + Duration::from_secs(60));
        match token {
            Some(t) => Ok(AccessToken {
                token: Secret::new(t),
                expires_on,
            }),
            None => Err(backend(
                format!("`{shown} account get-access-token` printed no `accessToken`"),
                false,
            )),
        }
    }
}

#[async_trait]
impl TokenCredential for AzureCli {
    async fn get_token(&self, scope: &str) -> Result<AccessToken> {
        self.cache
            .get_or_fetch(scope, SystemTime::now(), || self.fetch(scope))
            .await
    }
}

/// The credential the process environment names (see the table in the module docs).
///
/// # Errors
/// [`Error::Invalid`] when a variable holds a value that cannot work (an authority that is not
/// a URL).
pub fn credential_from_env(http: reqwest::Client) -> Result<Arc<dyn TokenCredential>> {
    credential_from_vars(|k| std::env::var(k).ok(), http)
}

/// [`credential_from_env`] reading variables through `var` (tests pass a map).
///
/// # Errors
/// As [`credential_from_env`].
pub fn credential_from_vars(
    var: impl Fn(&str) -> Option<String>,
    http: reqwest::Client,
) -> Result<Arc<dyn TokenCredential>> {
    let get = |k: &str| var(k).filter(|v| !v.trim().is_empty());
    if let Some(token) = get("AZURE_ACCESS_TOKEN") {
        return Ok(Arc::new(StaticToken::new(token.trim())));
    }
    let authority = get("AZURE_AUTHORITY_HOST").unwrap_or_else(|| DEFAULT_AUTHORITY_HOST.into());
    if let (Some(tenant), Some(client)) = (get("AZURE_TENANT_ID"), get("AZURE_CLIENT_ID")) {
        if let Some(secret) = get("AZURE_CLIENT_SECRET") {
            return Ok(Arc::new(ClientCredentials::with_secret(
                http, &authority, &tenant, &client, secret,
            )?));
        }
        if let Some(file) = get("AZURE_FEDERATED_TOKEN_FILE") {
            return Ok(Arc::new(ClientCredentials::with_assertion_file(
                http, &authority, &tenant, &client, file,
            )?));
        }
        if let (Some(url), Some(token)) = (
            get("ACTIONS_ID_TOKEN_REQUEST_URL"),
            get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        ) {
            return Ok(Arc::new(ClientCredentials::with_github_actions(
                http, &authority, &tenant, &client, &url, token,
            )?));
        }
    }
    if let (Some(endpoint), Some(header)) = (get("IDENTITY_ENDPOINT"), get("IDENTITY_HEADER")) {
        return Ok(Arc::new(ManagedIdentity::app_service(
            http,
            &endpoint,
            header,
            get("AZURE_CLIENT_ID"),
        )?));
    }
    Ok(Arc::new(AzureCli::new()))
}
