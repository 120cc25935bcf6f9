//! A stand-in for GitHub Actions' OIDC token service: what a job with `permissions: id-token:
//! write` reaches through `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};
use wo_http::{Clock, Secret, SystemClock};

use crate::http::{epoch_secs, query_pairs};
use crate::jwt::SigningKey;
use crate::loopback::Loopback;

/// The issuer (`iss`) of GitHub Actions' ID tokens.
pub const GITHUB_ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// How long before `iat` an ID token is valid (`nbf`), as in GitHub's example token.
const NOT_BEFORE: Duration = Duration::from_secs(600);
/// How long after `iat` an ID token expires (`exp`), as in GitHub's example token.
pub const ID_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// How an [`ActionsOidc`] behaves.
#[derive(Debug, Clone)]
pub struct ActionsOidcOptions {
    /// The time tokens are issued at (`iat`, `nbf`, `exp`); share it with [`Entra`](crate::Entra)
    /// and the credential under test to move time for all of them (default the system's).
    pub clock: Arc<dyn Clock>,
}

impl Default for ActionsOidcOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
        }
    }
}

/// A workflow job that may ask for ID tokens: who it runs for, so which claims its tokens
/// carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionsJob {
    /// `owner/name`.
    pub repository: String,
    /// The ref the run is for (`refs/heads/main`).
    pub git_ref: String,
    /// The job's `environment:`, if any.
    pub environment: Option<String>,
    /// The event that started the run (`push`, `workflow_dispatch`, `repository_dispatch`,
    /// `pull_request`).
    pub event_name: String,
    /// The workflow file in the repository (`.github/workflows/deploy.yaml`).
    pub workflow_path: String,
    /// The owner's and the repository's numeric ids (`repository_owner_id`, `repository_id`).
    pub ids: (u64, u64),
    /// Whether the subject carries those ids (`repo:<owner>@<owner id>/<name>@<repo id>:…`),
    /// as it does for repositories created or renamed on github.com since mid-2026 and for
    /// those that opted in to immutable subject claims.
    pub immutable_subject: bool,
}

impl ActionsJob {
    /// A job of `repository` (`owner/name`) on `main` that runs in the GitHub environment
    /// `environment`: its subject is `repo:<owner>/<name>:environment:<environment>`.
    pub fn environment(repository: &str, environment: &str) -> Self {
        Self {
            environment: Some(environment.to_string()),
            ..Self::branch(repository, "main")
        }
    }

    /// A job of `repository` on the branch `branch` without an environment: its subject is
    /// `repo:<owner>/<name>:ref:refs/heads/<branch>`.
    pub fn branch(repository: &str, branch: &str) -> Self {
        Self {
            repository: repository.to_string(),
            git_ref: format!("refs/heads/{branch}"),
            environment: None,
            event_name: "workflow_dispatch".to_string(),
            workflow_path: ".github/workflows/deploy.yaml".to_string(),
            ids: (1_000_001, 2_000_001),
            immutable_subject: false,
        }
    }

    /// The same job with immutable subject claims (see [`ActionsJob::immutable_subject`]).
    pub fn with_immutable_subject(mut self) -> Self {
        self.immutable_subject = true;
        self
    }

    /// The `sub` claim GitHub gives this job's tokens by default: the environment when the job
    /// has one, else `pull_request` for pull request events, else the ref; the repository as
    /// `owner/name`, or `owner@<id>/name@<id>` with immutable subject claims
    /// (<https://learn.microsoft.com/entra/workload-id/workload-identities-github-immutable-subjects>).
    pub fn subject(&self) -> String {
        let repo = if self.immutable_subject {
            let name = self
                .repository
                .split_once('/')
                .map(|(_, n)| n)
                .unwrap_or_default();
            format!("{}@{}/{name}@{}", self.owner(), self.ids.0, self.ids.1)
        } else {
            self.repository.clone()
        };
        match (&self.environment, self.event_name.as_str()) {
            (Some(env), _) => format!("repo:{repo}:environment:{env}"),
            (None, "pull_request") => format!("repo:{repo}:pull_request"),
            (None, _) => format!("repo:{repo}:ref:{}", self.git_ref),
        }
    }

    fn owner(&self) -> &str {
        self.repository.split('/').next().unwrap_or_default()
    }
}

/// What a job is given to reach the token service: the values of its
/// `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
#[derive(Debug, Clone)]
pub struct JobTokenRequest {
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` (with `?api-version=2.0`; clients append `&audience=`).
    pub url: String,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (printed as `<redacted>`).
    pub token: Secret,
}

#[derive(Debug)]
struct OidcShared {
    clock: Arc<dyn Clock>,
    key: SigningKey,
    /// Jobs by request token.
    jobs: Mutex<HashMap<String, (u64, ActionsJob)>>,
    next_job: AtomicU64,
    issued: AtomicU64,
    refused: AtomicU64,
}

impl OidcShared {
    fn jobs(&self) -> MutexGuard<'_, HashMap<String, (u64, ActionsJob)>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running stand-in for GitHub Actions' OIDC token service on 127.0.0.1; stops on
/// [`ActionsOidc::shutdown`] or when dropped.
///
/// A test registers each job ([`ActionsOidc::start_job`]), which gets its own request URL and
/// request token, and hands both to the code under test as the runner does.
///
/// | request | answer |
/// |---|---|
/// | `GET /_apis/distributedtask/hubs/Actions/plans/<plan>/jobs/<job>/idtoken?api-version=2.0[&audience=A]` with `Authorization: bearer <request token>` | 200 `{"count", "value": "<ID token>"}` |
/// | the same with a missing or unknown request token, or another job's | 401 `{"message"}` |
/// | another path or method | 404 / 405 |
///
/// The ID token is a JWT with GitHub's claims: `iss` [`GITHUB_ACTIONS_ISSUER`], `sub` (see
/// [`ActionsJob::subject`]), `aud` (the `audience` asked for, else `https://github.com/<owner>`
/// as GitHub defaults it), `repository`, `repository_owner`, `ref`, `ref_type`, `sha`,
/// `environment` (when the job has one), `event_name`, `workflow`, `job_workflow_ref`,
/// `run_id`, `run_attempt`, `runner_environment`, `jti`, and `iat` now by the clock, `nbf`
/// ten minutes earlier and `exp` five minutes later ([`ID_TOKEN_LIFETIME`]), the spans of
/// GitHub's example token (<https://docs.github.com/en/actions/reference/security/oidc>).
/// It is signed with HMAC-SHA256 by this service's [`SigningKey`] where GitHub signs with RS256
/// (see [`SigningKey`] for why that is enough here); [`Entra::trust`](crate::Entra::trust)
/// takes the key.
///
/// Known from GitHub's documentation and the Actions toolkit (`core.getIDToken`): the
/// environment variables, `api-version=2.0`, the `bearer` request token, the answer's `value`,
/// the claims and the default audience. Approximated: the 401 body, and the URL's path
/// (GitHub's is longer and on another host).
#[derive(Debug)]
pub struct ActionsOidc {
    server: Loopback,
    shared: Arc<OidcShared>,
}

impl ActionsOidc {
    /// Binds a free port on 127.0.0.1 and serves.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(options: ActionsOidcOptions) -> std::io::Result<ActionsOidc> {
        let shared = Arc::new(OidcShared {
            clock: options.clock,
            key: SigningKey::generate("actions-oidc"),
            jobs: Mutex::new(HashMap::new()),
            next_job: AtomicU64::new(1),
            issued: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        });
        let app = Router::new().fallback(serve).with_state(shared.clone());
        Ok(ActionsOidc {
            server: Loopback::serve(app).await?,
            shared,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The issuer its tokens name ([`GITHUB_ACTIONS_ISSUER`]).
    pub fn issuer(&self) -> &'static str {
        GITHUB_ACTIONS_ISSUER
    }

    /// The key that signs its tokens, for the verifier ([`Entra::trust`](crate::Entra::trust)).
    pub fn signing_key(&self) -> SigningKey {
        self.shared.key.clone()
    }

    /// Starts `job`: the request URL and token its steps would find in their environment.
    pub fn start_job(&self, job: ActionsJob) -> JobTokenRequest {
        let n = self.shared.next_job.fetch_add(1, Ordering::SeqCst);
        let token = format!("actions-request-{}", wo_http::new_request_id());
        self.shared.jobs().insert(token.clone(), (n, job));
        JobTokenRequest {
            url: format!(
                "{}/_apis/distributedtask/hubs/Actions/plans/plan-{n}/jobs/job-{n}/idtoken?api-version=2.0",
                self.base_url()
            ),
            token: Secret::new(token),
        }
    }

    /// ID tokens issued so far.
    pub fn issued(&self) -> u64 {
        self.shared.issued.load(Ordering::SeqCst)
    }

    /// Requests refused so far (401).
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

fn refuse(shared: &OidcShared, message: &str) -> Response {
    shared.refused.fetch_add(1, Ordering::SeqCst);
    (StatusCode::UNAUTHORIZED, Json(json!({"message": message}))).into_response()
}

async fn serve(State(shared): State<Arc<OidcShared>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let Some(job_path) = path
        .strip_prefix("/_apis/distributedtask/hubs/Actions/plans/")
        .and_then(|p| p.strip_suffix("/idtoken"))
    else {
        return (StatusCode::NOT_FOUND, Json(json!({"message": "not found"}))).into_response();
    };
    if req.method() != Method::GET && req.method() != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let presented = match auth.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => "",
    };
    let Some((n, job)) = shared.jobs().get(presented).cloned() else {
        return refuse(
            &shared,
            "The request token is missing, expired or not valid.",
        );
    };
    if job_path != format!("plan-{n}/jobs/job-{n}") {
        return refuse(&shared, "The request token is not valid for this job.");
    }
    let query = query_pairs(req.uri().query().unwrap_or_default());
    let audience = query
        .iter()
        .find(|(k, v)| k == "audience" && !v.is_empty())
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| format!("https://github.com/{}", job.owner()));
    let iat = epoch_secs(shared.clock.now());
    let run_id = 4_000_000_000u64 + n;
    let workflow = job
        .workflow_path
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let mut claims = json!({
        "jti": wo_http::new_request_id(),
        "sub": job.subject(),
        "aud": audience,
        "ref": job.git_ref,
        "sha": format!("{:040x}", n),
        "repository": job.repository,
        "repository_owner": job.owner(),
        "repository_owner_id": job.ids.0.to_string(),
        "repository_id": job.ids.1.to_string(),
        "repository_visibility": "private",
        "run_id": run_id.to_string(),
        "run_number": n.to_string(),
        "run_attempt": "1",
        "runner_environment": "github-hosted",
        "actor": "wo-bot",
        "workflow": workflow,
        "head_ref": "",
        "base_ref": "",
        "event_name": job.event_name,
        "ref_type": if job.git_ref.starts_with("refs/tags/") { "tag" } else { "branch" },
        "workflow_ref": format!("{}/{}@{}", job.repository, job.workflow_path, job.git_ref),
        "job_workflow_ref": format!("{}/{}@{}", job.repository, job.workflow_path, job.git_ref),
        "iss": GITHUB_ACTIONS_ISSUER,
        "nbf": iat.saturating_sub(NOT_BEFORE.as_secs()),
        "exp": iat + ID_TOKEN_LIFETIME.as_secs(),
        "iat": iat,
    });
    if let (Some(env), Value::Object(map)) = (&job.environment, &mut claims) {
        map.insert("environment".into(), json!(env));
    }
    let value = shared.key.sign(&claims);
    shared.issued.fetch_add(1, Ordering::SeqCst);
    Json(json!({"count": value.len(), "value": value})).into_response()
}
