//! A stand-in for Microsoft Entra ID's token endpoint: the client-credentials grant with a
//! federated assertion (workload identity federation), app registrations with federated
//! credentials, and ARM access tokens that a [`Simulator`](crate::Simulator) given
//! [`Entra::authority`] accepts.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, UNIX_EPOCH};

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};
use wo_http::{Clock, SystemClock};

use crate::http::{arm_utc, epoch_secs, query_pairs, rfc3339};
use crate::jwt::{self, SigningKey};
use crate::loopback::Loopback;

/// The audience of federated assertions Entra accepts by default, and the one GitHub Actions
/// workflows ask for.
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The scope of Azure Resource Manager, the only one this stand-in issues tokens for.
const ARM_SCOPE: &str = "https://management.azure.com/.default";
/// The audience (`aud`) of the ARM access tokens it issues.
pub const ARM_AUDIENCE: &str = "https://management.azure.com/";
/// `client_assertion_type` of a JWT client assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How an [`Entra`] behaves.
#[derive(Debug, Clone)]
pub struct EntraOptions {
    /// The time assertions are checked against and tokens issued at; share it with
    /// [`ActionsOidc`](crate::ActionsOidc), the simulator (through [`Entra::authority`]) and the
    /// credential under test (default the system's).
    pub clock: Arc<dyn Clock>,
    /// `expires_in` of the access tokens issued (default 3599 s, what Entra typically answers
    /// for the client-credentials grant).
    pub access_token_lifetime: Duration,
}

impl Default for EntraOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            access_token_lifetime: Duration::from_secs(3599),
        }
    }
}

/// An application registration and its service principal in one tenant (what `az ad app
/// create` and `az ad sp create` make).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRegistration {
    /// The directory (tenant) id.
    pub tenant_id: String,
    /// The application (client) id: `AZURE_CLIENT_ID`.
    pub client_id: String,
    /// The service principal's object id: the principal role assignments name.
    pub object_id: String,
    /// The display name.
    pub display_name: String,
}

/// A federated identity credential of an app registration: tokens of `issuer` whose `sub` is
/// `subject` and whose `aud` is one of `audiences` prove the application (what `az ad app
/// federated-credential create` adds). Matching is exact and case-sensitive, as Entra's is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedCredential {
    /// Its name, unique per app.
    pub name: String,
    /// `iss` of the accepted tokens.
    pub issuer: String,
    /// `sub` of the accepted tokens (`repo:<owner>/<repo>:environment:<env>`).
    pub subject: String,
    /// Accepted `aud` values (normally only [`TOKEN_EXCHANGE_AUDIENCE`]).
    pub audiences: Vec<String>,
}

impl FederatedCredential {
    /// A credential for GitHub Actions tokens with `subject`, audience
    /// [`TOKEN_EXCHANGE_AUDIENCE`].
    pub fn github(name: &str, subject: &str) -> Self {
        Self {
            name: name.to_string(),
            issuer: crate::GITHUB_ACTIONS_ISSUER.to_string(),
            subject: subject.to_string(),
            audiences: vec![TOKEN_EXCHANGE_AUDIENCE.to_string()],
        }
    }
}

/// What ARM trusts: Entra's signing key and the clock that says whether a token has expired.
/// Give it to [`SimulatorOptions::entra`](crate::SimulatorOptions::entra).
#[derive(Debug, Clone)]
pub struct EntraAuthority {
    key: SigningKey,
    clock: Arc<dyn Clock>,
}

/// Who an accepted access token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal {
    pub(crate) client_id: String,
    pub(crate) object_id: String,
}

/// Why ARM refuses a bearer token: (error code, message), answered with 401.
pub(crate) type Refusal = (&'static str, String);

impl EntraAuthority {
    /// The principal of `token` when Entra issued it for ARM and it is valid now; else ARM's
    /// code and message. Known from ARM's answers: `ExpiredAuthenticationToken` with its
    /// message, `InvalidAuthenticationTokenAudience` with its message,
    /// `InvalidAuthenticationToken` "The access token is invalid."; approximated: the
    /// message for a token not valid yet.
    pub(crate) fn verify(&self, token: &str) -> Result<Principal, Refusal> {
        let invalid = || {
            (
                "InvalidAuthenticationToken",
                "The access token is invalid.".to_string(),
            )
        };
        let claims = self.key.verify(token).map_err(|_| invalid())?;
        let audience = claims["aud"].as_str().unwrap_or_default();
        if audience.trim_end_matches('/') != ARM_AUDIENCE.trim_end_matches('/') {
            return Err((
                "InvalidAuthenticationTokenAudience",
                format!(
                    "The access token has been obtained for wrong audience or resource \
                     '{audience}'. It should exactly match with one of the allowed audiences \
                     'https://management.core.windows.net/','https://management.core.windows.net',\
                     'https://management.azure.com/','https://management.azure.com'."
                ),
            ));
        }
        let now = self.clock.now();
        let (Some(nbf), Some(exp)) = (claims["nbf"].as_u64(), claims["exp"].as_u64()) else {
            return Err(invalid());
        };
        let exp_time = UNIX_EPOCH + Duration::from_secs(exp);
        if now >= exp_time {
            return Err((
                "ExpiredAuthenticationToken",
                format!(
                    "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                    arm_utc(exp_time),
                    arm_utc(now)
                ),
            ));
        }
        if epoch_secs(now) < nbf {
            return Err((
                "InvalidAuthenticationToken",
                "The access token is not valid yet (its 'nbf' is in the future).".to_string(),
            ));
        }
        match (claims["appid"].as_str(), claims["oid"].as_str()) {
            (Some(client_id), Some(object_id)) => Ok(Principal {
                client_id: client_id.to_string(),
                object_id: object_id.to_string(),
            }),
            _ => Err(invalid()),
        }
    }
}

#[derive(Debug, Default)]
struct Directory {
    /// App registrations by (tenant, client id).
    apps: BTreeMap<(String, String), (AppRegistration, Vec<FederatedCredential>)>,
    /// Keys of the issuers whose assertions are verified, by issuer.
    trusted: HashMap<String, SigningKey>,
}

#[derive(Debug)]
struct EntraShared {
    options: EntraOptions,
    key: SigningKey,
    directory: Mutex<Directory>,
    issued: AtomicU64,
    refused: AtomicU64,
}

impl EntraShared {
    fn directory(&self) -> MutexGuard<'_, Directory> {
        self.directory.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running stand-in for Entra ID's v2.0 token endpoint on 127.0.0.1 (its base URL is the
/// `AZURE_AUTHORITY_HOST`); stops on [`Entra::shutdown`] or when dropped.
///
/// `POST /{tenant}/oauth2/v2.0/token`, form `grant_type=client_credentials`, `client_id`,
/// `scope=https://management.azure.com/.default`, `client_assertion_type=`[`JWT_BEARER`],
/// `client_assertion=<JWT>`. The assertion must be signed by an issuer the test
/// [`trust`](Entra::trust)s, valid now by the clock (`nbf` ≤ now < `exp`), and its `iss`,
/// `sub` and `aud` must match a [`FederatedCredential`] of that client in that tenant. Then:
/// 200 `{"token_type": "Bearer", "expires_in", "ext_expires_in", "access_token"}`, the access
/// token a JWT for ARM (`aud` [`ARM_AUDIENCE`], `iss` `https://sts.windows.net/{tenant}/`,
/// `appid`, `oid`, `tid`, `idtyp: app`, `iat`/`nbf`/`exp` by the clock, `exp` `expires_in`
/// after now) signed with this stand-in's key (HMAC, see [`SigningKey`]).
///
/// Refusals are Entra's `{"error", "error_description", "error_codes", "timestamp",
/// "trace_id", "correlation_id", "error_uri"}`:
///
/// | case | status | `error` | code |
/// |---|---|---|---|
/// | no federated credential matches (issuer, subject, audience), or the issuer is not trusted | 400 | `invalid_request` | AADSTS70021 |
/// | the assertion is outside `nbf`..`exp` | 401 | `invalid_client` | AADSTS700024 |
/// | the assertion's signature does not verify | 401 | `invalid_client` | AADSTS700027 |
/// | the assertion is not a JWT | 400 | `invalid_request` | AADSTS50027 |
/// | no `client_assertion` (a client secret, say) | 400 | `invalid_request` | AADSTS900144 |
/// | unknown tenant | 400 | `invalid_request` | AADSTS90002 |
/// | unknown client in the tenant | 400 | `unauthorized_client` | AADSTS700016 |
/// | another scope | 400 | `invalid_scope` | AADSTS70011 |
/// | another grant type | 400 | `unsupported_grant_type` | AADSTS70003 |
///
/// Known from recorded Entra answers (issues of Azure/azure-workload-identity and
/// Azure/login): AADSTS70021 with status 400 and `invalid_request` and its description
/// naming the assertion's issuer, subject and audience; AADSTS700024 with `invalid_client`
/// and its description; the body's fields. Approximated: the 401 of `invalid_client` (RFC 6749
/// §5.2 allows 400 or 401), the exact wording of the rarer codes, and one code (70021) for every
/// mismatch where today's Entra distinguishes issuer, audience and subject (AADSTS700211,
/// AADSTS700212, AADSTS700213, 401 `invalid_client`); wo handles them all the same way.
#[derive(Debug)]
pub struct Entra {
    server: Loopback,
    shared: Arc<EntraShared>,
}

impl Entra {
    /// Binds a free port on 127.0.0.1 and serves.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(options: EntraOptions) -> std::io::Result<Entra> {
        let shared = Arc::new(EntraShared {
            options,
            key: SigningKey::generate("entra"),
            directory: Mutex::new(Directory::default()),
            issued: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        });
        let app = Router::new().fallback(serve).with_state(shared.clone());
        Ok(Entra {
            server: Loopback::serve(app).await?,
            shared,
        })
    }

    /// `http://127.0.0.1:<port>`: `AZURE_AUTHORITY_HOST`.
    pub fn authority_host(&self) -> String {
        self.server.base_url()
    }

    /// Accepts assertions whose `iss` is `issuer` when `key` verifies them (Entra fetches the
    /// issuer's keys from its OpenID configuration; here the test hands them over, e.g.
    /// [`ActionsOidc::signing_key`](crate::ActionsOidc::signing_key)).
    pub fn trust(&self, issuer: &str, key: SigningKey) {
        self.shared
            .directory()
            .trusted
            .insert(issuer.to_string(), key);
    }

    /// Registers an application and its service principal in `tenant_id`.
    pub fn register_app(&self, tenant_id: &str, display_name: &str) -> AppRegistration {
        let app = AppRegistration {
            tenant_id: tenant_id.to_string(),
            client_id: guid(),
            object_id: guid(),
            display_name: display_name.to_string(),
        };
        self.shared.directory().apps.insert(
            (tenant_id.to_string(), app.client_id.clone()),
            (app.clone(), Vec::new()),
        );
        app
    }

    /// Adds `credential` to the app registration `app`.
    ///
    /// # Panics
    /// When `app` was not registered here or already has a credential of that name (a test's
    /// mistake).
    pub fn add_federated_credential(&self, app: &AppRegistration, credential: FederatedCredential) {
        let mut dir = self.shared.directory();
        let (_, credentials) = dir
            .apps
            .get_mut(&(app.tenant_id.clone(), app.client_id.clone()))
            .expect("the app is registered with this Entra stand-in");
        assert!(
            credentials.iter().all(|c| c.name != credential.name),
            "a federated credential named {} exists",
            credential.name
        );
        credentials.push(credential);
    }

    /// What ARM needs to accept this stand-in's tokens:
    /// [`SimulatorOptions::entra`](crate::SimulatorOptions::entra).
    pub fn authority(&self) -> EntraAuthority {
        EntraAuthority {
            key: self.shared.key.clone(),
            clock: self.shared.options.clock.clone(),
        }
    }

    /// Access tokens issued so far: the exchanges that succeeded.
    pub fn exchanges(&self) -> u64 {
        self.shared.issued.load(Ordering::SeqCst)
    }

    /// Token requests refused so far.
    pub fn refusals(&self) -> u64 {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// A random GUID-shaped id.
fn guid() -> String {
    let hex: String = wo_http::new_request_id()
        .chars()
        .chain(wo_http::new_request_id().chars())
        .filter(char::is_ascii_hexdigit)
        .take(32)
        .collect();
    let hex = format!("{hex:0>32}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Entra's error answer.
fn refuse(
    shared: &EntraShared,
    status: StatusCode,
    error: &str,
    code: u32,
    description: String,
) -> Response {
    shared.refused.fetch_add(1, Ordering::SeqCst);
    let (trace, correlation) = (guid(), guid());
    let now = shared.options.clock.now();
    let stamp = rfc3339(now).replace('T', " ");
    let stamp = format!("{}Z", &stamp[..19]);
    let body = json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}"
        ),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    (status, Json(body)).into_response()
}

async fn serve(State(shared): State<Arc<EntraShared>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let Some(tenant) = path
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix("/oauth2/v2.0/token"))
        .filter(|t| !t.is_empty() && !t.contains('/'))
        .map(str::to_string)
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if req.method() != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let body = to_bytes(req.into_body(), 1024 * 1024)
        .await
        .unwrap_or_default();
    let form: HashMap<String, String> = query_pairs(&String::from_utf8_lossy(&body))
        .into_iter()
        .collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let bad = StatusCode::BAD_REQUEST;
    let unauthorized = StatusCode::UNAUTHORIZED;

    if field("grant_type") != "client_credentials" {
        let grant = field("grant_type");
        return refuse(
            &shared,
            bad,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant}'."),
        );
    }
    let client_id = field("client_id");
    let app = {
        let dir = shared.directory();
        if !dir.apps.keys().any(|(t, _)| *t == tenant) {
            drop(dir);
            return refuse(
                &shared,
                bad,
                "invalid_request",
                90002,
                format!(
                    "Tenant '{tenant}' not found. Check to make sure you have the correct \
                     tenant ID and are signing into the correct cloud."
                ),
            );
        }
        dir.apps
            .get(&(tenant.clone(), client_id.to_string()))
            .cloned()
    };
    let Some((app, credentials)) = app else {
        return refuse(
            &shared,
            bad,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory \
                 '{tenant}'. This can happen if the application has not been installed by the \
                 administrator of the tenant or consented to by any user in the tenant. You may \
                 have sent your authentication request to the wrong tenant."
            ),
        );
    };
    if field("scope") != ARM_SCOPE {
        let scope = field("scope");
        return refuse(
            &shared,
            bad,
            "invalid_scope",
            70011,
            format!("The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."),
        );
    }
    let assertion = field("client_assertion");
    if assertion.is_empty() || field("client_assertion_type") != JWT_BEARER {
        return refuse(
            &shared,
            bad,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_assertion' or \
             'client_secret'."
                .to_string(),
        );
    }
    let Some((_, claims)) = jwt::decode(assertion) else {
        return refuse(
            &shared,
            bad,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.".to_string(),
        );
    };
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    };
    let (issuer, subject, audience) = (
        text(&claims["iss"]),
        text(&claims["sub"]),
        text(&claims["aud"]),
    );
    let no_match = |shared: &EntraShared| {
        refuse(
            shared,
            bad,
            "invalid_request",
            70021,
            format!(
                "No matching federated identity record found for presented assertion. \
                 Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion \
                 Audience: '{audience}'. \
                 https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
            ),
        )
    };
    let key = shared.directory().trusted.get(&issuer).cloned();
    let Some(key) = key else {
        return no_match(&shared);
    };
    if key.verify(assertion).is_err() {
        return refuse(
            &shared,
            unauthorized,
            "invalid_client",
            700027,
            "Client assertion failed signature validation.".to_string(),
        );
    }
    let now = shared.options.clock.now();
    let at = |field: &str| UNIX_EPOCH + Duration::from_secs(claims[field].as_u64().unwrap_or(0));
    let (nbf, exp) = (at("nbf"), at("exp"));
    if now < nbf || now >= exp {
        return refuse(
            &shared,
            unauthorized,
            "invalid_client",
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {}, \
                 assertion valid from {}, expiry time of assertion {}. Review the documentation \
                 at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
                rfc3339(now),
                rfc3339(nbf),
                rfc3339(exp)
            ),
        );
    }
    let audiences: Vec<&str> = match &claims["aud"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let matched = credentials.iter().any(|c| {
        c.issuer == issuer
            && c.subject == subject
            && c.audiences.iter().any(|a| audiences.contains(&a.as_str()))
    });
    if !matched {
        return no_match(&shared);
    }
    let lifetime = shared.options.access_token_lifetime;
    let iat = epoch_secs(now);
    let access_token = shared.key.sign(&json!({
        "aud": ARM_AUDIENCE,
        "iss": format!("https://sts.windows.net/{tenant}/"),
        "iat": iat,
        "nbf": iat,
        "exp": epoch_secs(now + lifetime),
        "appid": app.client_id,
        "appidacr": "2",
        "idtyp": "app",
        "oid": app.object_id,
        "sub": app.object_id,
        "tid": tenant,
        "ver": "1.0",
        "uti": guid(),
    }));
    shared.issued.fetch_add(1, Ordering::SeqCst);
    Json(json!({
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": access_token,
    }))
    .into_response()
}
