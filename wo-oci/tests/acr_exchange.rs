//! A bearer-token challenge and Azure Container Registry's exchange of an Entra token: a
//! scripted loopback front (`/oauth2/exchange`, `/oauth2/token`, `/v2/` only with the bearer
//! token) before the real distribution registry.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use common::{shop_package, AcrScript, CountingProxy};
use wo_core::ErrorKind;
use wo_http::Secret;
use wo_oci::{Credentials, Registry, RegistryOptions, TokenFuture, ACR_REFRESH_TOKEN_USERNAME};
use wo_test_support::registry::Registry as DistributionRegistry;

const ENTRA: &str = "entra-access-token-0123456789";

fn script() -> AcrScript {
    AcrScript {
        entra: ENTRA.into(),
        refresh: "acr-refresh-token-abcdef".into(),
        access: "acr-access-token-987654".into(),
    }
}

fn entra_source(token: &'static str, calls: Arc<AtomicUsize>) -> Credentials {
    Credentials::azure_exchange(move || -> TokenFuture<'static> {
        let calls = calls.clone();
        Box::pin(async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(Secret::new(token))
        })
    })
}

fn plain() -> RegistryOptions {
    RegistryOptions {
        plain_http: true,
        ..RegistryOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_entra_token_is_exchanged_once_and_only_the_bearer_token_reaches_v2() {
    let upstream = DistributionRegistry::start();
    let acr = script();
    let proxy = CountingProxy::start(&upstream.host(), Some(acr.clone())).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let registry =
        Registry::new(&proxy.host(), plain(), entra_source(ENTRA, calls.clone())).unwrap();
    assert!(!format!("{registry:?}").contains(ENTRA));

    let package = shop_package(None);
    let pushed = registry
        .push_chart("helm/shop", "1.2.0", &package.bytes)
        .await
        .unwrap();
    assert!(pushed.pushed);
    let pulled = registry.pull_chart("helm/shop", "1.2.0").await.unwrap();
    assert_eq!(pulled.digest, package.digest);
    assert!(
        !registry
            .push_chart("helm/shop", "1.2.0", &package.bytes)
            .await
            .unwrap()
            .pushed
    );

    let seen = proxy.requests();
    let lines: Vec<&str> = seen.iter().map(|s| s.line.as_str()).collect();
    // One exchange, with the Entra token, for this registry.
    let exchanges: Vec<_> = seen
        .iter()
        .filter(|s| s.line == "POST /oauth2/exchange")
        .collect();
    assert_eq!(exchanges.len(), 1, "{lines:?}");
    let form = String::from_utf8_lossy(&exchanges[0].body).to_string();
    assert!(form.contains(&format!("access_token={ENTRA}")), "{form}");
    assert!(form.contains("grant_type=access_token"), "{form}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The token endpoint got the refresh token, as the password of the ACR username.
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{ACR_REFRESH_TOKEN_USERNAME}:{}", acr.refresh))
    );
    let token_requests: Vec<_> = seen
        .iter()
        .filter(|s| s.line.starts_with("GET /oauth2/token?"))
        .collect();
    assert!(!token_requests.is_empty(), "{lines:?}");
    for t in &token_requests {
        assert_eq!(
            t.authorization.as_deref(),
            Some(basic.as_str()),
            "{}",
            t.line
        );
        assert!(
            t.line.contains("scope=repository%3Ahelm%2Fshop%3A"),
            "{}",
            t.line
        );
    }
    // The Entra token went nowhere else; /v2/ saw only the bearer token (or nothing, for the
    // challenge).
    let bearer = format!("Bearer {}", acr.access);
    for s in &seen {
        if s.line != "POST /oauth2/exchange" {
            assert!(
                !String::from_utf8_lossy(&s.body).contains(ENTRA),
                "{}",
                s.line
            );
            assert!(!s.line.contains(ENTRA), "{}", s.line);
            assert!(
                !s.authorization.as_deref().unwrap_or("").contains(ENTRA),
                "{}",
                s.line
            );
        }
        if s.line.starts_with("GET /v2/charts") || s.line.contains(" /v2/helm/") {
            assert_eq!(
                s.authorization.as_deref(),
                Some(bearer.as_str()),
                "{}",
                s.line
            );
        }
    }
    assert!(
        seen.iter()
            .any(|s| s.line.starts_with("PUT /v2/helm/shop/manifests/1.2.0")),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_entra_token_is_unauthenticated_and_not_shown() {
    let upstream = DistributionRegistry::start();
    let proxy = CountingProxy::start(&upstream.host(), Some(script())).await;
    let wrong = "entra-wrong-token-55555";
    let registry = Registry::new(
        &proxy.host(),
        plain(),
        entra_source(wrong, Arc::new(AtomicUsize::new(0))),
    )
    .unwrap();
    let e = registry.pull_chart("helm/shop", "1.2.0").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
    let m = e.to_string();
    assert!(m.contains("/oauth2/exchange") && !m.contains(wrong), "{m}");
    assert!(proxy
        .requests()
        .iter()
        .all(|s| !s.line.starts_with("GET /v2/helm")));

    // Basic credentials that the token endpoint refuses: Unauthenticated too.
    let basic = Registry::new(
        &proxy.host(),
        plain(),
        Credentials::basic("u", "not-the-refresh"),
    )
    .unwrap();
    let e = basic.pull_chart("helm/shop", "1.2.0").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
    assert!(!e.to_string().contains("not-the-refresh"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_identity_token_az_acr_login_writes_to_dockers_config_answers_the_challenge() {
    let upstream = DistributionRegistry::start();
    let acr = script();
    let proxy = CountingProxy::start(&upstream.host(), Some(acr.clone())).await;
    let home = tempfile::tempdir().unwrap();
    let docker = home.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    // What `az acr login` writes (with `docker login`'s file store).
    std::fs::write(
        docker.join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"username":"{ACR_REFRESH_TOKEN_USERNAME}","identitytoken":"{}"}}}}}}"#,
            proxy.host(),
            acr.refresh
        ),
    )
    .unwrap();
    let env = common::helm_env(home.path());
    let lookup = |name: &str| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.display().to_string())
    };
    let resolved = wo_oci::resolve_credentials(&proxy.host(), None, &lookup).unwrap();
    assert_eq!(
        resolved.source,
        wo_oci::CredentialSource::DockerConfig(docker.join("config.json"))
    );
    assert!(!resolved.source.to_string().contains(&acr.refresh));
    let registry = Registry::with_resolved(&proxy.host(), plain(), resolved).unwrap();
    let package = shop_package(None);
    assert!(
        registry
            .push_chart("helm/shop", "1.2.0", &package.bytes)
            .await
            .unwrap()
            .pushed
    );
    assert!(proxy
        .requests()
        .iter()
        .all(|s| s.line != "POST /oauth2/exchange"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_without_the_exchange_is_named_as_such() {
    let upstream = DistributionRegistry::start();
    let proxy = CountingProxy::start(&upstream.host(), None).await;
    let registry = Registry::new(
        &proxy.host(),
        plain(),
        entra_source(ENTRA, Arc::new(AtomicUsize::new(0))),
    )
    .unwrap();
    let e = registry.resolve("helm/shop", "1.2.0").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert!(e.to_string().contains("/oauth2/exchange"), "{e}");
}
