//! wo's sign-in from GitHub Actions, end to end on loopback: the Actions OIDC token service
//! and Entra ID stand-ins issue the tokens, the simulator accepts only Entra's and enforces
//! role assignments, and one clock, moved by the tests, rules them all and the credential.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;
use wo_azure::arm::{
    credential_from_vars, default_http_client, ArmClient, ClientCredentials, StaticToken,
    TokenCredential, ARM_SCOPE,
};
use wo_azure_sim::{
    ActionsJob, ActionsOidc, ActionsOidcOptions, AppRegistration, Entra, EntraOptions,
    FederatedCredential, RoleDefinition, Simulator, SimulatorOptions, GITHUB_ACTIONS_ISSUER,
    ID_TOKEN_LIFETIME, JWT_BEARER, TOKEN_EXCHANGE_AUDIENCE,
};
use wo_core::Error;
use wo_http::ManualClock;

const TENANT: &str = "7f3c2b1a-0d4e-4f5a-9b6c-000000000001";
const RG: &str = "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/shop";
const DEV_SUBJECT: &str = "repo:acme/shop-source:environment:dev";

/// The identity services, the simulator and the clock they share.
struct World {
    clock: Arc<ManualClock>,
    github: ActionsOidc,
    entra: Entra,
    /// The app registration wo signs in as, with a federated credential for
    /// [`DEV_SUBJECT`].
    app: AppRegistration,
    sim: Simulator,
}

impl World {
    /// `role`, if any, is granted to the app on [`RG`].
    async fn start(role: Option<RoleDefinition>) -> World {
        let clock = Arc::new(ManualClock::new());
        let github = ActionsOidc::start(ActionsOidcOptions {
            clock: clock.clone(),
        })
        .await
        .unwrap();
        let entra = Entra::start(EntraOptions {
            clock: clock.clone(),
            ..EntraOptions::default()
        })
        .await
        .unwrap();
        entra.trust(github.issuer(), github.signing_key());
        let app = entra.register_app(TENANT, "wo-deploy");
        entra.add_federated_credential(
            &app,
            FederatedCredential::github("shop-source-dev", DEV_SUBJECT),
        );
        let sim = Simulator::start(SimulatorOptions {
            entra: Some(entra.authority()),
            ..SimulatorOptions::default()
        })
        .await
        .unwrap();
        if let Some(role) = role {
            sim.assign_role(&app.object_id, role, RG);
        }
        World {
            clock,
            github,
            entra,
            app,
            sim,
        }
    }

    /// What `credential_from_env` builds in a job of `job` with the four variables set, on
    /// the shared clock.
    fn github_credential(&self, job: ActionsJob) -> ClientCredentials {
        let request = self.github.start_job(job);
        ClientCredentials::with_github_actions(
            default_http_client().unwrap(),
            &self.entra.authority_host(),
            TENANT,
            &self.app.client_id,
            &request.url,
            request.token,
        )
        .unwrap()
        .with_clock(self.clock.clone())
    }

    /// An ARM client of the simulator signing in with `credential`; its waits (operation
    /// polls) move the shared clock instead of taking time.
    fn arm(&self, credential: Arc<dyn TokenCredential>) -> ArmClient {
        ArmClient::builder()
            .base_url(self.sim.base_url())
            .credential(credential)
            .http_client(default_http_client().unwrap())
            .clock(self.clock.clone())
            .build()
            .unwrap()
    }

    /// Onboards the context `shop` and the target `berlin-1` through `arm`.
    async fn onboard(&self, arm: &ArmClient) -> wo_core::Result<()> {
        let targets = [("berlin-1".to_string(), vec!["soap".to_string()])];
        self.sim.onboard(arm, RG, "shop", "site", &targets).await
    }
}

fn target_id() -> String {
    format!("{RG}/providers/Microsoft.Edge/targets/berlin-1")
}

fn dev_job() -> ActionsJob {
    ActionsJob::environment("acme/shop-source", "dev")
}

/// The claims of a JWT, unverified.
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The heart of it: a deploy job outlives its first access token (an hour), and the GitHub
/// Actions credential, asking for a fresh OIDC token and exchanging it, keeps going. Fails
/// before `ClientCredentials::with_clock`: the credential read only the system's time, so the
/// token it cached never went stale and ARM refused it with `ExpiredAuthenticationToken`.
#[tokio::test]
async fn a_github_actions_credential_renews_its_token_when_the_first_expires() {
    let w = World::start(Some(RoleDefinition::contributor())).await;
    let arm = w.arm(Arc::new(w.github_credential(dev_job())));
    w.onboard(&arm).await.unwrap();
    arm.get(&target_id()).await.unwrap();
    // One exchange served every request so far (the onboarding's PUTs and polls, the read).
    assert_eq!((w.github.issued(), w.entra.exchanges()), (1, 1));

    // Most of an hour later the cached token still serves: nothing is asked for.
    w.clock.advance(Duration::from_secs(3000));
    arm.get(&target_id()).await.unwrap();
    assert_eq!((w.github.issued(), w.entra.exchanges()), (1, 1));

    // Past the first token's expiry (3599 s): a new GitHub token, a second exchange, and ARM
    // accepts the new access token.
    w.clock.advance(Duration::from_secs(600));
    let target = arm.get(&target_id()).await.unwrap();
    assert_eq!(target["name"], "berlin-1");
    assert_eq!((w.github.issued(), w.entra.exchanges()), (2, 2));
    assert_eq!(w.entra.refusals(), 0);
}

/// What an `az`-only set-up amounts to: one access token taken at the start (`azure/login`,
/// `az account get-access-token`) and never renewed. ARM refuses it once it expires, and wo
/// says so and what to set instead.
#[tokio::test]
async fn a_static_token_fails_with_the_expired_token_error_after_an_hour() {
    let w = World::start(Some(RoleDefinition::contributor())).await;
    let token = w
        .github_credential(dev_job())
        .get_token(ARM_SCOPE)
        .await
        .unwrap()
        .token;
    let arm = w.arm(Arc::new(StaticToken::new(token.expose())));
    w.onboard(&arm).await.unwrap();
    arm.get(&target_id()).await.unwrap();

    w.clock.advance(Duration::from_secs(3600));
    let err = arm.get(&target_id()).await.unwrap_err();
    let shown = err.to_string();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    assert!(
        shown.contains("401 ExpiredAuthenticationToken")
            && shown.contains("is earlier than current UTC time"),
        "{shown}"
    );
    assert!(shown.contains("AZURE_CLIENT_ID"), "{shown}");
    assert!(!shown.contains(token.expose()), "{shown}");
    assert_eq!(w.entra.exchanges(), 1, "nothing renews a static token");
}

/// A job whose subject no federated credential names (here: the `prod` environment, where
/// only `dev` was federated) is refused by Entra with AADSTS70021; wo reports it as
/// unauthenticated, names the subject and the client, says which federated credential to add,
/// and sends nothing to ARM. Fails before: the refusal was a `Backend` error with Entra's
/// words only.
#[tokio::test]
async fn an_unfederated_subject_is_unauthenticated_naming_the_credential_to_add() {
    let w = World::start(Some(RoleDefinition::contributor())).await;
    let prod = ActionsJob::environment("acme/shop-source", "prod");
    let arm = w.arm(Arc::new(w.github_credential(prod)));
    let err = arm.get(&target_id()).await.unwrap_err();
    let shown = err.to_string();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
    for needle in [
        "AADSTS70021",
        "repo:acme/shop-source:environment:prod",
        GITHUB_ACTIONS_ISSUER,
        TOKEN_EXCHANGE_AUDIENCE,
        &w.app.client_id,
        TENANT,
        "az ad app federated-credential create",
    ] {
        assert!(shown.contains(needle), "{needle} missing from: {shown}");
    }
    assert_eq!((w.entra.refusals(), w.entra.exchanges()), (1, 0));
    assert_eq!(w.sim.requests(), 0, "ARM never saw a request");

    // The same repository and environment with immutable subject claims (new repositories on
    // github.com) presents another subject, which the name-based credential does not admit.
    let arm = w.arm(Arc::new(
        w.github_credential(dev_job().with_immutable_subject()),
    ));
    let err = arm.get(&target_id()).await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("subject `repo:acme@1000001/shop-source@2000001:environment:dev`"),
        "{err}"
    );
}

/// A job without `permissions: id-token: write` has no valid request token: the OIDC service
/// refuses it, and wo says which permission the job needs.
#[tokio::test]
async fn a_job_without_id_token_permission_is_told_to_ask_for_it() {
    let w = World::start(Some(RoleDefinition::contributor())).await;
    let request = w.github.start_job(dev_job());
    let credential = ClientCredentials::with_github_actions(
        default_http_client().unwrap(),
        &w.entra.authority_host(),
        TENANT,
        &w.app.client_id,
        &request.url,
        "not-the-job-token",
    )
    .unwrap();
    let err = credential.get_token(ARM_SCOPE).await.unwrap_err();
    assert!(matches!(err, Error::Unauthenticated { .. }), "{err:?}");
    assert!(
        err.to_string().contains("permissions: id-token: write"),
        "{err}"
    );
    assert_eq!((w.github.refused(), w.github.issued()), (1, 0));
}

/// Signed in but without a role on the resource group: ARM's 403 `AuthorizationFailed`,
/// naming the client, the action and the scope, becomes `PermissionDenied`. A Reader may read
/// but not write; a role on another resource group does not count.
#[tokio::test]
async fn a_missing_role_is_permission_denied_naming_client_action_and_scope() {
    let w = World::start(None).await;
    w.sim.assign_role(
        &w.app.object_id,
        RoleDefinition::contributor(),
        "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/other",
    );
    let arm = w.arm(Arc::new(w.github_credential(dev_job())));
    let err = w.onboard(&arm).await.unwrap_err();
    let shown = err.to_string();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
    assert!(!err.is_retryable());
    for needle in [
        "AuthorizationFailed",
        w.app.client_id.as_str(),
        "Microsoft.Edge/contexts/write",
        &format!("{RG}/providers/Microsoft.Edge/contexts/shop"),
        "role assignment",
    ] {
        assert!(shown.contains(needle), "{needle} missing from: {shown}");
    }

    w.sim
        .assign_role(&w.app.object_id, RoleDefinition::reader(), RG);
    assert!(arm
        .list(&format!("{RG}/providers/Microsoft.Edge/targets"))
        .await
        .unwrap()
        .is_empty());
    let err = w.onboard(&arm).await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");

    w.sim
        .assign_role(&w.app.object_id, RoleDefinition::contributor(), RG);
    w.onboard(&arm).await.unwrap();
    assert!(w.sim.resource(&target_id()).is_some());
}

/// The path a workflow step takes: `credential_from_env` with `AZURE_TENANT_ID`,
/// `AZURE_CLIENT_ID`, the runner's `ACTIONS_ID_TOKEN_REQUEST_*` and `AZURE_AUTHORITY_HOST`
/// picks the GitHub Actions credential, which deploys.
#[tokio::test]
async fn credential_from_env_signs_in_with_the_jobs_oidc_token() {
    let w = World::start(Some(RoleDefinition::contributor())).await;
    let request = w.github.start_job(dev_job());
    let vars: HashMap<&str, String> = [
        ("AZURE_TENANT_ID", TENANT.to_string()),
        ("AZURE_CLIENT_ID", w.app.client_id.clone()),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", request.url.clone()),
        (
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            request.token.expose().to_string(),
        ),
        ("AZURE_AUTHORITY_HOST", w.entra.authority_host()),
    ]
    .into_iter()
    .collect();
    let credential =
        credential_from_vars(|k| vars.get(k).cloned(), default_http_client().unwrap()).unwrap();
    let shown = format!("{credential:?}");
    assert!(shown.starts_with("ClientCredentials"), "{shown}");
    assert!(!shown.contains(request.token.expose()), "{shown}");
    let arm = w.arm(credential);
    w.onboard(&arm).await.unwrap();
    assert_eq!(arm.get(&target_id()).await.unwrap()["name"], "berlin-1");
    assert_eq!((w.github.issued(), w.entra.exchanges()), (1, 1));
}

/// The OIDC stand-in's tokens carry GitHub's claims; the audience defaults to the owner's URL
/// as GitHub's does; a request token works only for its own job.
#[tokio::test]
async fn the_oidc_service_issues_githubs_claims_for_the_jobs_request_token_only() {
    let w = World::start(None).await;
    let http = reqwest::Client::new();
    let a = w.github.start_job(dev_job());
    let b = w
        .github
        .start_job(ActionsJob::branch("acme/shop-config", "dev"));
    let get = |url: String, token: &str| {
        http.get(url)
            .header("authorization", format!("bearer {token}"))
            .send()
    };
    let answer: Value = get(
        format!("{}&audience={TOKEN_EXCHANGE_AUDIENCE}", a.url),
        a.token.expose(),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let c = claims(answer["value"].as_str().unwrap());
    assert_eq!(c["iss"], GITHUB_ACTIONS_ISSUER);
    assert_eq!(c["sub"], DEV_SUBJECT);
    assert_eq!(c["aud"], TOKEN_EXCHANGE_AUDIENCE);
    assert_eq!(c["repository"], "acme/shop-source");
    assert_eq!(c["environment"], "dev");
    assert_eq!(c["ref"], "refs/heads/main");
    assert_eq!(
        c["job_workflow_ref"],
        "acme/shop-source/.github/workflows/deploy.yaml@refs/heads/main"
    );
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        ID_TOKEN_LIFETIME.as_secs()
    );

    let immutable = w.github.start_job(dev_job().with_immutable_subject());
    let answer: Value = get(immutable.url.clone(), immutable.token.expose())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c = claims(answer["value"].as_str().unwrap());
    assert_eq!(
        c["sub"],
        "repo:acme@1000001/shop-source@2000001:environment:dev"
    );
    assert_eq!(
        (
            c["repository_owner_id"].as_str(),
            c["repository_id"].as_str()
        ),
        (Some("1000001"), Some("2000001"))
    );

    let answer: Value = get(b.url.clone(), b.token.expose())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c = claims(answer["value"].as_str().unwrap());
    assert_eq!(c["sub"], "repo:acme/shop-config:ref:refs/heads/dev");
    assert_eq!(c["aud"], "https://github.com/acme");
    assert!(c.get("environment").is_none(), "{c}");

    for (url, token) in [
        (a.url.clone(), "wrong"),
        (a.url.clone(), b.token.expose()),
        (a.url.clone(), ""),
    ] {
        let status = get(url, token).await.unwrap().status();
        assert_eq!(status, 401, "{token}");
    }
    assert_eq!((w.github.issued(), w.github.refused()), (3, 3));
}

/// Entra's refusals, in its words: no federated record for the default audience
/// (AADSTS70021, 400 `invalid_request`), an assertion used past its `exp` (AADSTS700024, 401
/// `invalid_client`), a forged one (AADSTS700027), an unknown client (AADSTS700016).
#[tokio::test]
async fn entra_refuses_assertions_as_entra_does() {
    let w = World::start(None).await;
    let http = reqwest::Client::new();
    let oidc = |audience: Option<&str>| {
        let request = w.github.start_job(dev_job());
        let url = match audience {
            Some(a) => format!("{}&audience={a}", request.url),
            None => request.url.clone(),
        };
        let http = http.clone();
        async move {
            let v: Value = http
                .get(url)
                .header(
                    "authorization",
                    format!("bearer {}", request.token.expose()),
                )
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["value"].as_str().unwrap().to_string()
        }
    };
    let exchange = |client_id: String, assertion: String| {
        let url = format!("{}/{TENANT}/oauth2/v2.0/token", w.entra.authority_host());
        let http = http.clone();
        async move {
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("scope", ARM_SCOPE),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion.as_str()),
            ];
            let body = form
                .iter()
                .map(|(k, v)| format!("{k}={}", urlencode(v)))
                .collect::<Vec<_>>()
                .join("&");
            let r = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let client = w.app.client_id.clone();

    let (status, body) = exchange(client.clone(), oidc(None).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    assert_eq!(body["error_codes"][0], 70021);
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(
            "AADSTS70021: No matching federated identity record found for presented assertion."
        ) && description.contains("Assertion Audience: 'https://github.com/acme'"),
        "{description}"
    );

    let fresh = oidc(Some(TOKEN_EXCHANGE_AUDIENCE)).await;
    w.clock.advance(ID_TOKEN_LIFETIME + Duration::from_secs(1));
    let (status, body) = exchange(client.clone(), fresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS700024: Client assertion is not within its valid time range."),
        "{body}"
    );

    let good = oidc(Some(TOKEN_EXCHANGE_AUDIENCE)).await;
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let mut forged = claims(&good);
    forged["sub"] = "repo:acme/shop-source:environment:dev".into();
    forged["repository"] = "mallory/shop-source".into();
    parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
    let (status, body) = exchange(client.clone(), parts.join(".")).await;
    assert_eq!(
        (status, body["error_codes"][0].as_u64()),
        (401, Some(700027))
    );

    let (status, body) =
        exchange("00000000-0000-0000-0000-00000000dead".into(), good.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );

    let (status, body) = exchange(client, good).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    let access = claims(body["access_token"].as_str().unwrap());
    assert_eq!(access["appid"], w.app.client_id.as_str());
    assert_eq!(access["oid"], w.app.object_id.as_str());
    assert_eq!(access["tid"], TENANT);
    assert_eq!(access["aud"], "https://management.azure.com/");
    assert_eq!((w.entra.exchanges(), w.entra.refusals()), (1, 4));
}

/// The simulator with `entra` accepts Entra's access tokens only: not GitHub's ID token, not
/// one from another Entra, not an expired one (ARM's `ExpiredAuthenticationToken` and
/// `InvalidAuthenticationToken`, with `WWW-Authenticate`).
#[tokio::test]
async fn the_simulator_accepts_only_valid_tokens_of_its_entra() {
    let w = World::start(Some(RoleDefinition::reader())).await;
    let other = Entra::start(EntraOptions {
        clock: w.clock.clone(),
        ..EntraOptions::default()
    })
    .await
    .unwrap();
    other.trust(w.github.issuer(), w.github.signing_key());
    let stranger = other.register_app(TENANT, "elsewhere");
    other.add_federated_credential(&stranger, FederatedCredential::github("dev", DEV_SUBJECT));
    let request = w.github.start_job(dev_job());
    let foreign = ClientCredentials::with_github_actions(
        default_http_client().unwrap(),
        &other.authority_host(),
        TENANT,
        &stranger.client_id,
        &request.url,
        request.token.clone(),
    )
    .unwrap()
    .with_clock(w.clock.clone())
    .get_token(ARM_SCOPE)
    .await
    .unwrap()
    .token;
    let ours = w
        .github_credential(dev_job())
        .get_token(ARM_SCOPE)
        .await
        .unwrap()
        .token;
    let id_token = {
        let r: Value = reqwest::Client::new()
            .get(format!(
                "{}&audience={TOKEN_EXCHANGE_AUDIENCE}",
                request.url
            ))
            .header(
                "authorization",
                format!("bearer {}", request.token.expose()),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["value"].as_str().unwrap().to_string()
    };
    let url = format!(
        "{}{RG}/providers/Microsoft.Edge/targets?api-version=2025-08-01",
        w.sim.base_url()
    );
    let call = |token: String| {
        let url = url.clone();
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let www = r
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_string());
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            (
                status,
                body["error"]["code"].as_str().map(str::to_string),
                www,
                body,
            )
        }
    };
    assert_eq!(call(ours.expose().to_string()).await.0, 200);
    for token in [foreign.expose().to_string(), id_token] {
        let (status, code, www, _) = call(token).await;
        assert_eq!(
            (status, code.as_deref()),
            (401, Some("InvalidAuthenticationToken"))
        );
        assert!(www.unwrap().starts_with("Bearer authorization_uri="));
    }
    w.clock.advance(Duration::from_secs(3599));
    let (status, code, _, body) = call(ours.expose().to_string()).await;
    assert_eq!(
        (status, code.as_deref()),
        (401, Some("ExpiredAuthenticationToken")),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("The access token expiry UTC time '")
            && message.contains("' is earlier than current UTC time '"),
        "{message}"
    );
}

/// Percent-encoding of a form value (the few characters the tests' values hold).
fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
