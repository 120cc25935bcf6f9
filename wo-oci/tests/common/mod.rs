//! What the registry tests share: the shop chart packaged by wo, helm's environment, and a
//! loopback proxy in front of the real registry that records every request (and can play an
//! Azure Container Registry's token endpoints).
#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use wo_core::files::FileTree;
use wo_render::package::{package, Packaged};

/// The OCI manifest media type, for an `Accept` header.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// examples/charts/shop-helm packaged by wo at 1.2.0, its values.yaml replaced when given.
pub fn shop_package(values: Option<&str>) -> Packaged {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/charts/shop-helm");
    let mut tree = FileTree::load_dir(&dir).expect("shop-helm loads");
    if let Some(v) = values {
        tree.insert("values.yaml", v).unwrap();
    }
    package(&tree, "1.2.0").expect("shop-helm packages")
}

pub use wo_test_support::helm_env;

/// `GET http://<host><path>` with `Accept: <accept>`; the body as text.
pub async fn get(host: &str, path: &str, accept: &str) -> String {
    let client = wo_http::http_client().unwrap();
    let r = client
        .get(format!("http://{host}{path}"))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "GET {path}: {}", r.status());
    r.text().await.unwrap()
}

/// How the proxy plays Azure Container Registry: `/v2/` only with `Bearer <access>`, tokens
/// from `/oauth2/exchange` (for `entra`) and `/oauth2/token` (for the refresh token).
#[derive(Debug, Clone)]
pub struct AcrScript {
    /// The Entra token `/oauth2/exchange` accepts.
    pub entra: String,
    /// The refresh token it answers with.
    pub refresh: String,
    /// The access token `/oauth2/token` answers with.
    pub access: String,
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `METHOD /path?query`.
    pub line: String,
    /// Its `Authorization` header.
    pub authorization: Option<String>,
    /// Its body.
    pub body: Vec<u8>,
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    me: String,
    acr: Option<AcrScript>,
    seen: Arc<Mutex<Vec<Seen>>>,
    client: reqwest::Client,
}

/// A recording reverse proxy on 127.0.0.1 in front of a registry.
pub struct CountingProxy {
    host: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl CountingProxy {
    /// Starts it in front of `upstream` (`host:port`).
    pub async fn start(upstream: &str, acr: Option<AcrScript>) -> CountingProxy {
        wo_http::install_crypto_provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            upstream: upstream.to_string(),
            me: host.clone(),
            acr,
            seen: seen.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        let app = axum::Router::new().fallback(handle).with_state(shared);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        CountingProxy { host, seen, task }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.host.clone()
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests that write (`POST`, `PUT`, `PATCH`, `DELETE`) under `/v2/`.
    pub fn writes(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .map(|s| s.line)
            .filter(|l| {
                let (method, path) = l.split_once(' ').unwrap();
                path.starts_with("/v2/") && matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
            })
            .collect()
    }

    /// Forgets the requests so far.
    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r
}

fn form_value(body: &[u8], key: &str) -> Option<String> {
    String::from_utf8_lossy(body).split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| v.replace("%3A", ":").replace("%3a", ":"))
    })
}

async fn handle(State(s): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap()
        .to_vec();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let authorization = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    s.seen.lock().unwrap().push(Seen {
        line: format!("{} {path_and_query}", parts.method),
        authorization: authorization.clone(),
        body: body.clone(),
    });
    let path = parts.uri.path();
    if let Some(acr) = &s.acr {
        if path == "/oauth2/exchange" {
            let ok = parts.method == "POST"
                && form_value(&body, "grant_type").as_deref() == Some("access_token")
                && form_value(&body, "service").as_deref() == Some(s.me.as_str())
                && form_value(&body, "access_token").as_deref() == Some(acr.entra.as_str());
            return if ok {
                answer(
                    StatusCode::OK,
                    format!(r#"{{"refresh_token":"{}"}}"#, acr.refresh),
                )
            } else {
                answer(
                    StatusCode::UNAUTHORIZED,
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad exchange"}]}"#,
                )
            };
        }
        if path == "/oauth2/token" {
            let expected = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    wo_oci::ACR_REFRESH_TOKEN_USERNAME,
                    acr.refresh
                ))
            );
            return if authorization.as_deref() == Some(expected.as_str()) {
                answer(
                    StatusCode::OK,
                    format!(r#"{{"token":"{0}","access_token":"{0}"}}"#, acr.access),
                )
            } else {
                answer(
                    StatusCode::UNAUTHORIZED,
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad refresh token"}]}"#,
                )
            };
        }
        if authorization.as_deref() != Some(format!("Bearer {}", acr.access).as_str()) {
            let mut r = answer(
                StatusCode::UNAUTHORIZED,
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            );
            r.headers_mut().insert(
                "www-authenticate",
                HeaderValue::from_str(&format!(
                    r#"Bearer realm="http://{0}/oauth2/token",service="{0}""#,
                    s.me
                ))
                .unwrap(),
            );
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            return r;
        }
    }
    let mut upstream = s
        .client
        .request(
            parts.method.clone(),
            format!("http://{}{path_and_query}", s.upstream),
        )
        .body(body);
    for (name, value) in &parts.headers {
        if !matches!(name.as_str(), "host" | "authorization" | "content-length") {
            upstream = upstream.header(name, value);
        }
    }
    let r = upstream.send().await.unwrap();
    let mut out = answer(r.status(), Body::empty());
    for (name, value) in r.headers() {
        if matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        let value = if name == "location" {
            let v = value.to_str().unwrap().replace(&s.upstream, &s.me);
            HeaderValue::from_str(&v).unwrap()
        } else {
            value.clone()
        };
        out.headers_mut().append(name, value);
    }
    let bytes = r.bytes().await.unwrap();
    *out.body_mut() = Body::from(bytes);
    out
}
