//! An Azure Container Registry stand-in: the subset of the OCI distribution API that
//! `helm push`/`helm pull` and OCI clients use, on its own listener, with ACR's token
//! exchange as an option. Installs of the simulator pull charts from its store through
//! [`Registry::chart_source`].

use crate::loopback::Loopback;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::charts::{
    chart_layer, reference, sha256_digest, verify_digest, ChartError, ChartSource, OciRepository,
    PulledChart, HELM_CHART_CONFIG, HELM_CHART_LAYER, MAX_CHART_BYTES, OCI_MANIFEST,
};

/// The user name ACR's token exchange gives refresh tokens with.
pub const ACR_REFRESH_USER: &str = "00000000-0000-0000-0000-000000000000";

/// How the registry authenticates clients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RegistryAuth {
    /// Everyone may push and pull (default).
    #[default]
    Anonymous,
    /// ACR's bearer tokens: an Entra token exchanged for a refresh token, that for an access
    /// token (see [`Registry`]).
    Token,
}

/// How a [`Registry`] behaves.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Who may push and pull (default anonymous).
    pub auth: RegistryAuth,
}

/// What the registry stores, under one lock.
#[derive(Debug, Default)]
struct Store {
    /// Blobs by repository, then digest.
    blobs: HashMap<String, HashMap<String, Vec<u8>>>,
    /// Manifests by repository, then digest: (media type, bytes).
    manifests: HashMap<String, HashMap<String, (String, Vec<u8>)>>,
    /// Tags by repository: tag → manifest digest.
    tags: HashMap<String, BTreeMap<String, String>>,
    /// Uploads in progress: id → (repository, bytes so far).
    uploads: HashMap<String, (String, Vec<u8>)>,
    refresh_tokens: BTreeSet<String>,
    access_tokens: BTreeSet<String>,
}

/// The registry's state and counters.
#[derive(Debug, Default)]
struct RegistryShared {
    options: RegistryOptions,
    store: Mutex<Store>,
    requests: AtomicU64,
    blob_uploads: AtomicU64,
    manifest_puts: AtomicU64,
    blob_pulls: AtomicU64,
    manifest_pulls: AtomicU64,
}

impl RegistryShared {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The manifest `reference` (a tag or a digest) of `name`: (digest, media type, bytes).
    fn manifest(&self, name: &str, reference: &str) -> Option<(String, String, Vec<u8>)> {
        let st = self.store();
        let digest = if reference.starts_with("sha256:") {
            reference.to_string()
        } else {
            st.tags.get(name)?.get(reference)?.clone()
        };
        let (media, bytes) = st.manifests.get(name)?.get(&digest)?.clone();
        Some((digest, media, bytes))
    }

    fn blob(&self, name: &str, digest: &str) -> Option<Vec<u8>> {
        self.store().blobs.get(name)?.get(digest).cloned()
    }
}

/// A running Azure Container Registry stand-in; stops on [`Registry::shutdown`] or when
/// dropped.
///
/// | request | answer |
/// |---|---|
/// | `GET /v2/` | 200 `{}` |
/// | `HEAD`/`GET /v2/<name>/blobs/<digest>` | 200 with `Docker-Content-Digest` (the bytes for GET), 404 `BLOB_UNKNOWN` |
/// | `POST /v2/<name>/blobs/uploads/` | 202, `Location` of the upload, `Docker-Upload-UUID`; with `?digest=` the body is the blob (monolithic): 201 |
/// | `PATCH <upload>` | 202, `Range: 0-<last>` (chunks appended) |
/// | `PUT <upload>?digest=<d>` | 201 `Location` of the blob (the body appended first); 400 `DIGEST_INVALID` when the bytes have another digest |
/// | `HEAD`/`GET`/`PUT /v2/<name>/manifests/<tag or digest>` | 200/201 with `Docker-Content-Digest` and the manifest's media type; 404 `MANIFEST_UNKNOWN`; PUT refuses (400 `MANIFEST_BLOB_UNKNOWN`) a manifest naming blobs the repository lacks |
/// | `GET /v2/<name>/tags/list` | `{name, tags}` (sorted); 404 `NAME_UNKNOWN` |
///
/// Errors are the distribution API's `{"errors": [{code, message, detail}]}`.
///
/// # Authentication ([`RegistryAuth`])
///
/// [`RegistryAuth::Anonymous`] (default) serves everyone. [`RegistryAuth::Token`] answers
/// `/v2/…` without a valid access token with 401 `UNAUTHORIZED` and
/// `WWW-Authenticate: Bearer realm="http://H/oauth2/token",service="H"` (`scope=` for a
/// repository), as ACR does, and serves ACR's exchange:
///
/// - `POST /oauth2/exchange`, form `grant_type=access_token&service=H&access_token=<Entra
///   token>` (any non-empty token) → `{"refresh_token"}`;
/// - `GET|POST /oauth2/token`: basic auth `00000000-0000-0000-0000-000000000000:<refresh
///   token>` (GET, as `helm registry login` does), or form `grant_type=refresh_token&
///   refresh_token=…` (POST) → `{"access_token"}`. Unknown refresh tokens get 401.
#[derive(Debug)]
pub struct Registry {
    addr: SocketAddr,
    shared: Arc<RegistryShared>,
    server: Loopback,
}

impl Registry {
    /// Binds a free port on 127.0.0.1 and serves.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(options: RegistryOptions) -> std::io::Result<Registry> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(RegistryShared {
            options,
            ..RegistryShared::default()
        });
        let app = Router::new().fallback(serve).with_state(shared.clone());
        Ok(Registry {
            addr,
            shared,
            server: Loopback::serve_on(listener, app)?,
        })
    }

    /// `127.0.0.1:<port>`, the registry's host in `oci://` references.
    pub fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }

    /// A [`ChartSource`] reading this registry's store in-process (no HTTP): what a simulator
    /// given it in [`SimulatorOptions::charts`](crate::SimulatorOptions::charts) installs from.
    /// References must name this registry's [`host_port`](Registry::host_port).
    pub fn chart_source(&self) -> Arc<dyn ChartSource> {
        Arc::new(RegistryChartSource {
            host_port: self.host_port(),
            shared: self.shared.clone(),
        })
    }

    /// Stores a chart archive as `helm push` would: its config blob (media type
    /// [`HELM_CHART_CONFIG`]), its content layer ([`HELM_CHART_LAYER`]) and an OCI manifest
    /// tagged `tag` in the repository `name` (`charts/shop`). Not counted as requests. The
    /// manifest's digest.
    ///
    /// # Errors
    /// When `name` or `tag` is not a valid OCI repository name or tag.
    pub fn push_chart(&self, name: &str, tag: &str, tgz: &[u8]) -> Result<String, ChartError> {
        OciRepository::parse(&format!("oci://{}/{name}", self.host_port()), tag)?;
        let config = serde_json::to_vec(&json!({"name": name.rsplit('/').next(), "version": tag}))
            .unwrap_or_default();
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": HELM_CHART_CONFIG, "digest": sha256_digest(&config), "size": config.len()},
            "layers": [{"mediaType": HELM_CHART_LAYER, "digest": sha256_digest(tgz), "size": tgz.len()}],
        }))
        .unwrap_or_default();
        let digest = sha256_digest(&manifest);
        let mut st = self.shared.store();
        let blobs = st.blobs.entry(name.to_string()).or_default();
        blobs.insert(sha256_digest(&config), config);
        blobs.insert(sha256_digest(tgz), tgz.to_vec());
        st.manifests
            .entry(name.to_string())
            .or_default()
            .insert(digest.clone(), (OCI_MANIFEST.to_string(), manifest));
        st.tags
            .entry(name.to_string())
            .or_default()
            .insert(tag.to_string(), digest.clone());
        Ok(digest)
    }

    /// Replaces the bytes of the blob `digest` of `name` (keeping its digest): a corrupted
    /// store, for tests of digest checks. Whether the blob existed.
    pub fn corrupt_blob(&self, name: &str, digest: &str, bytes: Vec<u8>) -> bool {
        match self
            .shared
            .store()
            .blobs
            .get_mut(name)
            .and_then(|b| b.get_mut(digest))
        {
            Some(b) => {
                *b = bytes;
                true
            }
            None => false,
        }
    }

    /// The tags of the repository `name`, sorted.
    pub fn tags(&self, name: &str) -> Vec<String> {
        self.shared
            .store()
            .tags
            .get(name)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Requests received (token requests included).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// Blob uploads completed over HTTP (monolithic or chunked).
    pub fn blob_uploads(&self) -> u64 {
        self.shared.blob_uploads.load(Ordering::SeqCst)
    }

    /// Manifests stored over HTTP.
    pub fn manifest_puts(&self) -> u64 {
        self.shared.manifest_puts.load(Ordering::SeqCst)
    }

    /// Blobs served (`GET`), over HTTP or through [`chart_source`](Registry::chart_source).
    pub fn blob_pulls(&self) -> u64 {
        self.shared.blob_pulls.load(Ordering::SeqCst)
    }

    /// Manifests served (`GET`), over HTTP or through [`chart_source`](Registry::chart_source).
    pub fn manifest_pulls(&self) -> u64 {
        self.shared.manifest_pulls.load(Ordering::SeqCst)
    }
}

/// [`Registry::chart_source`].
#[derive(Debug)]
struct RegistryChartSource {
    host_port: String,
    shared: Arc<RegistryShared>,
}

#[async_trait]
impl ChartSource for RegistryChartSource {
    async fn fetch(&self, repo: &str, version: &str) -> Result<PulledChart, ChartError> {
        let r = reference(repo, version);
        let oci = OciRepository::parse(repo, version)?;
        let local = oci.registry == self.host_port
            || oci.registry.replace("localhost", "127.0.0.1") == self.host_port;
        if !local {
            return Err(ChartError::Unavailable {
                reference: r,
                message: format!(
                    "the simulator's registry is {}, not {}",
                    self.host_port, oci.registry
                ),
            });
        }
        let Some((_, _, manifest)) = self.shared.manifest(&oci.name, version) else {
            return Err(ChartError::NotFound {
                reference: r,
                message: format!("the repository {} has no tag {version}", oci.name),
            });
        };
        self.shared.manifest_pulls.fetch_add(1, Ordering::SeqCst);
        let manifest: Value =
            serde_json::from_slice(&manifest).map_err(|e| ChartError::Invalid {
                reference: r.clone(),
                message: format!("the manifest is not JSON: {e}"),
            })?;
        let layer = chart_layer(&manifest, &r)?;
        let bytes = self
            .shared
            .blob(&oci.name, &layer)
            .ok_or_else(|| ChartError::NotFound {
                reference: r.clone(),
                message: format!("the blob {layer} is missing"),
            })?;
        self.shared.blob_pulls.fetch_add(1, Ordering::SeqCst);
        verify_digest(&bytes, &layer, &r)?;
        Ok(PulledChart {
            bytes,
            digest: layer,
            chart: None,
        })
    }
}

/// A distribution API answer.
fn answer(status: StatusCode, headers: &[(&str, String)], body: Vec<u8>) -> Response {
    let mut b = Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    b.header("docker-distribution-api-version", "registry/2.0")
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// `{"errors": [{code, message, detail}]}`.
fn oci_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"errors": [{"code": code, "message": message, "detail": null}]});
    answer(
        status,
        &[("content-type", "application/json".into())],
        body.to_string().into_bytes(),
    )
}

fn json_answer(status: StatusCode, body: Value) -> Response {
    answer(
        status,
        &[("content-type", "application/json".into())],
        body.to_string().into_bytes(),
    )
}

/// `key=value&…`, percent-decoded.
fn form(text: &str) -> HashMap<String, String> {
    text.split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn host_of(headers: &HeaderMap, fallback: &str) -> String {
    headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or(fallback)
        .to_string()
}

async fn serve(State(shared): State<Arc<RegistryShared>>, req: Request) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = form(req.uri().query().unwrap_or(""));
    let headers = req.headers().clone();
    let host = host_of(&headers, "127.0.0.1");
    let body = match to_bytes(req.into_body(), MAX_CHART_BYTES).await {
        Ok(b) => b.to_vec(),
        Err(_) => return oci_error(StatusCode::PAYLOAD_TOO_LARGE, "SIZE_INVALID", "too large"),
    };
    if path == "/oauth2/exchange" || path == "/oauth2/token" {
        return token_endpoint(&shared, &method, &path, &query, &headers, &body);
    }
    let Some(rest) = path.strip_prefix("/v2") else {
        return oci_error(StatusCode::NOT_FOUND, "NOT_FOUND", "not a registry path");
    };
    if shared.options.auth == RegistryAuth::Token {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !shared.store().access_tokens.contains(token) {
            let mut challenge =
                format!("Bearer realm=\"http://{host}/oauth2/token\",service=\"{host}\"");
            if let Some(name) = repository_of(rest) {
                let actions = if method == Method::GET || method == Method::HEAD {
                    "pull"
                } else {
                    "pull,push"
                };
                challenge.push_str(&format!(",scope=\"repository:{name}:{actions}\""));
            }
            return answer(
                StatusCode::UNAUTHORIZED,
                &[
                    ("www-authenticate", challenge),
                    ("content-type", "application/json".into()),
                ],
                json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required", "detail": null}]})
                    .to_string()
                    .into_bytes(),
            );
        }
    }
    if rest.is_empty() || rest == "/" {
        return json_answer(StatusCode::OK, json!({}));
    }
    distribution(&shared, &method, rest, &query, &headers, &host, body)
}

/// The repository name of a `/v2` path (without `/v2`).
fn repository_of(rest: &str) -> Option<String> {
    let rest = rest.strip_prefix('/')?;
    for marker in ["/blobs/", "/manifests/", "/tags/list"] {
        if let Some(at) = rest.rfind(marker) {
            return Some(rest[..at].to_string());
        }
    }
    None
}

fn token_endpoint(
    shared: &RegistryShared,
    method: &Method,
    path: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let fields = if *method == Method::POST {
        form(&String::from_utf8_lossy(body))
    } else {
        query.clone()
    };
    let unauthorized = |m: &str| oci_error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", m);
    if path == "/oauth2/exchange" {
        if *method != Method::POST {
            return oci_error(StatusCode::METHOD_NOT_ALLOWED, "UNSUPPORTED", "POST only");
        }
        if fields.get("grant_type").map(String::as_str) != Some("access_token") {
            return oci_error(
                StatusCode::BAD_REQUEST,
                "UNSUPPORTED",
                "grant_type must be access_token",
            );
        }
        if fields.get("access_token").is_none_or(|t| t.is_empty()) {
            return unauthorized("access_token is empty");
        }
        let token = format!("sim-refresh-{}", wo_azure::arm::new_request_id());
        shared.store().refresh_tokens.insert(token.clone());
        return json_answer(StatusCode::OK, json!({"refresh_token": token}));
    }
    // /oauth2/token: a refresh token by basic auth (ACR's null GUID user) or by form.
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .map(|b| String::from_utf8_lossy(&b).to_string());
    let refresh = match basic {
        Some(pair) => match pair.split_once(':') {
            Some((ACR_REFRESH_USER, token)) => Some(token.to_string()),
            _ => return unauthorized("the user must be 00000000-0000-0000-0000-000000000000"),
        },
        None => (fields.get("grant_type").map(String::as_str) == Some("refresh_token"))
            .then(|| fields.get("refresh_token").cloned())
            .flatten(),
    };
    let Some(refresh) = refresh else {
        return unauthorized("a refresh token is required");
    };
    let mut st = shared.store();
    if !st.refresh_tokens.contains(&refresh) {
        return unauthorized("the refresh token is not known");
    }
    let token = format!("sim-access-{}", wo_azure::arm::new_request_id());
    st.access_tokens.insert(token.clone());
    json_answer(StatusCode::OK, json!({"access_token": token}))
}

fn distribution(
    shared: &RegistryShared,
    method: &Method,
    rest: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    host: &str,
    body: Vec<u8>,
) -> Response {
    let rest = rest.trim_start_matches('/');
    if let Some(name) = rest.strip_suffix("/tags/list") {
        let st = shared.store();
        return match st.tags.get(name) {
            Some(tags) => json_answer(
                StatusCode::OK,
                json!({"name": name, "tags": tags.keys().collect::<Vec<_>>()}),
            ),
            None => oci_error(
                StatusCode::NOT_FOUND,
                "NAME_UNKNOWN",
                "repository name not known to registry",
            ),
        };
    }
    if let Some(at) = rest.rfind("/blobs/uploads") {
        let name = &rest[..at];
        let upload = rest[at + "/blobs/uploads".len()..].trim_matches('/');
        return uploads(shared, method, name, upload, query, host, body);
    }
    if let Some(at) = rest.rfind("/blobs/") {
        let name = &rest[..at];
        let digest = &rest[at + "/blobs/".len()..];
        if *method != Method::GET && *method != Method::HEAD {
            return oci_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "UNSUPPORTED",
                "blobs: GET or HEAD",
            );
        }
        let Some(bytes) = shared.blob(name, digest) else {
            return oci_error(
                StatusCode::NOT_FOUND,
                "BLOB_UNKNOWN",
                "blob unknown to registry",
            );
        };
        let heads = [
            ("docker-content-digest", digest.to_string()),
            ("content-type", "application/octet-stream".to_string()),
            ("content-length", bytes.len().to_string()),
        ];
        if *method == Method::HEAD {
            return answer(StatusCode::OK, &heads, Vec::new());
        }
        shared.blob_pulls.fetch_add(1, Ordering::SeqCst);
        return answer(StatusCode::OK, &heads, bytes);
    }
    if let Some(at) = rest.rfind("/manifests/") {
        let name = &rest[..at];
        let reference = &rest[at + "/manifests/".len()..];
        return manifests(shared, method, name, reference, headers, host, body);
    }
    oci_error(StatusCode::NOT_FOUND, "NOT_FOUND", "not a registry path")
}

fn uploads(
    shared: &RegistryShared,
    method: &Method,
    name: &str,
    upload: &str,
    query: &HashMap<String, String>,
    host: &str,
    body: Vec<u8>,
) -> Response {
    let mut st = shared.store();
    match (method.clone(), upload.is_empty()) {
        (Method::POST, true) => {
            if let Some(digest) = query.get("digest") {
                drop(st);
                return complete(shared, name, digest, body, host);
            }
            let id = wo_azure::arm::new_request_id();
            st.uploads.insert(id.clone(), (name.to_string(), body));
            answer(
                StatusCode::ACCEPTED,
                &[
                    (
                        "location",
                        format!("http://{host}/v2/{name}/blobs/uploads/{id}"),
                    ),
                    ("docker-upload-uuid", id),
                    ("range", "0-0".into()),
                    ("content-length", "0".into()),
                ],
                Vec::new(),
            )
        }
        (Method::PATCH, false) => {
            let Some((_, bytes)) = st.uploads.get_mut(upload) else {
                return oci_error(
                    StatusCode::NOT_FOUND,
                    "BLOB_UPLOAD_UNKNOWN",
                    "blob upload unknown to registry",
                );
            };
            bytes.extend_from_slice(&body);
            let end = bytes.len().saturating_sub(1);
            answer(
                StatusCode::ACCEPTED,
                &[
                    (
                        "location",
                        format!("http://{host}/v2/{name}/blobs/uploads/{upload}"),
                    ),
                    ("docker-upload-uuid", upload.to_string()),
                    ("range", format!("0-{end}")),
                    ("content-length", "0".into()),
                ],
                Vec::new(),
            )
        }
        (Method::PUT, false) => {
            let Some((_, mut bytes)) = st.uploads.remove(upload) else {
                return oci_error(
                    StatusCode::NOT_FOUND,
                    "BLOB_UPLOAD_UNKNOWN",
                    "blob upload unknown to registry",
                );
            };
            drop(st);
            bytes.extend_from_slice(&body);
            let Some(digest) = query.get("digest") else {
                return oci_error(
                    StatusCode::BAD_REQUEST,
                    "DIGEST_INVALID",
                    "the digest parameter is required",
                );
            };
            complete(shared, name, digest, bytes, host)
        }
        (Method::DELETE, false) => {
            st.uploads.remove(upload);
            answer(StatusCode::NO_CONTENT, &[], Vec::new())
        }
        _ => oci_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            "not an upload request",
        ),
    }
}

/// Stores an uploaded blob once its digest is checked: 201 with its `Location`.
fn complete(
    shared: &RegistryShared,
    name: &str,
    digest: &str,
    bytes: Vec<u8>,
    host: &str,
) -> Response {
    if sha256_digest(&bytes) != digest {
        return oci_error(
            StatusCode::BAD_REQUEST,
            "DIGEST_INVALID",
            "provided digest did not match uploaded content",
        );
    }
    shared
        .store()
        .blobs
        .entry(name.to_string())
        .or_default()
        .insert(digest.to_string(), bytes);
    shared.blob_uploads.fetch_add(1, Ordering::SeqCst);
    answer(
        StatusCode::CREATED,
        &[
            (
                "location",
                format!("http://{host}/v2/{name}/blobs/{digest}"),
            ),
            ("docker-content-digest", digest.to_string()),
            ("content-length", "0".into()),
        ],
        Vec::new(),
    )
}

fn manifests(
    shared: &RegistryShared,
    method: &Method,
    name: &str,
    reference: &str,
    headers: &HeaderMap,
    host: &str,
    body: Vec<u8>,
) -> Response {
    match method.clone() {
        Method::GET | Method::HEAD => {
            let Some((digest, media, bytes)) = shared.manifest(name, reference) else {
                return oci_error(
                    StatusCode::NOT_FOUND,
                    "MANIFEST_UNKNOWN",
                    "manifest unknown",
                );
            };
            let heads = [
                ("docker-content-digest", digest),
                ("content-type", media),
                ("content-length", bytes.len().to_string()),
            ];
            if *method == Method::HEAD {
                return answer(StatusCode::OK, &heads, Vec::new());
            }
            shared.manifest_pulls.fetch_add(1, Ordering::SeqCst);
            answer(StatusCode::OK, &heads, bytes)
        }
        Method::PUT => {
            let manifest: Value = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) => {
                    return oci_error(
                        StatusCode::BAD_REQUEST,
                        "MANIFEST_INVALID",
                        &format!("manifest invalid: {e}"),
                    )
                }
            };
            let media = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .or_else(|| manifest["mediaType"].as_str().map(str::to_string))
                .unwrap_or_else(|| OCI_MANIFEST.to_string());
            let digest = sha256_digest(&body);
            if reference.starts_with("sha256:") && reference != digest {
                return oci_error(
                    StatusCode::BAD_REQUEST,
                    "DIGEST_INVALID",
                    "the manifest does not have the digest it is put under",
                );
            }
            let mut st = shared.store();
            let blobs = st.blobs.get(name);
            let named = manifest["layers"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(std::iter::once(&manifest["config"]))
                .filter_map(|d| d["digest"].as_str());
            for d in named {
                if !blobs.is_some_and(|b| b.contains_key(d)) {
                    return oci_error(
                        StatusCode::BAD_REQUEST,
                        "MANIFEST_BLOB_UNKNOWN",
                        &format!("blob unknown to registry: {d}"),
                    );
                }
            }
            st.manifests
                .entry(name.to_string())
                .or_default()
                .insert(digest.clone(), (media, body));
            if !reference.starts_with("sha256:") {
                st.tags
                    .entry(name.to_string())
                    .or_default()
                    .insert(reference.to_string(), digest.clone());
            }
            drop(st);
            shared.manifest_puts.fetch_add(1, Ordering::SeqCst);
            answer(
                StatusCode::CREATED,
                &[
                    (
                        "location",
                        format!("http://{host}/v2/{name}/manifests/{digest}"),
                    ),
                    ("docker-content-digest", digest),
                    ("content-length", "0".into()),
                ],
                Vec::new(),
            )
        }
        _ => oci_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            "manifests: GET, HEAD or PUT",
        ),
    }
}
