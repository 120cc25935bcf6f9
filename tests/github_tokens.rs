//! Each GitHub repository of a solution is opened with the token that can act there: the
//! role's own, the workflow job's `GITHUB_TOKEN` for the repository the workflow runs in, the
//! App's `WO_GITHUB_TOKEN` for the others; and a refused token is reported naming its variable
//! and the repository, through the pipeline.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use wo::core::pipeline::SourceChoice;
use wo::credentials::Credentials;
use wo::pipeline::PipelineBuilder;
use wo::repository::Repository;
use wo::settings::{Role, Settings};

/// The token variable each role's repository was opened with.
fn sources(credentials: &Credentials) -> Vec<(Role, Option<String>)> {
    let repos = [
        (Role::Source, "github://acme/shop-source"),
        (Role::Config, "github://acme/shop-config"),
        (
            Role::Platform,
            "https://github.com/acme/platform-config.git",
        ),
        (Role::Gitops, "github://acme/shop-gitops"),
    ];
    repos
        .into_iter()
        .map(|(role, location)| {
            let repo =
                Repository::open_as(role, location, credentials, std::path::Path::new("/tmp"))
                    .expect("open");
            let Repository::GitHub(r) = repo else {
                panic!("{location} is a GitHub repository");
            };
            (role, r.client.token_source().map(str::to_string))
        })
        .collect()
}

#[test]
fn in_a_workflow_the_job_token_serves_its_own_repository_and_the_app_token_the_others() {
    // The source repository's workflow: its GITHUB_TOKEN, and an App token minted for the
    // config, platform and gitops repositories.
    let c = Credentials::from_vars(|name| {
        match name {
            "GITHUB_TOKEN" => Some("ghs_job"),
            "GITHUB_REPOSITORY" => Some("acme/Shop-Source"),
            "WO_GITHUB_TOKEN" => Some("ghs_app"),
            _ => None,
        }
        .map(str::to_string)
    });
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        sources(&c),
        [
            (Role::Source, some("GITHUB_TOKEN")),
            (Role::Config, some("WO_GITHUB_TOKEN")),
            (Role::Platform, some("WO_GITHUB_TOKEN")),
            (Role::Gitops, some("WO_GITHUB_TOKEN")),
        ]
    );
    // A token for one role goes first; a caller's single token serves the rest.
    let c = c
        .with_github_token_for(Role::Gitops, "ghs_gitops")
        .with_github_token("ghp_caller");
    assert_eq!(
        sources(&c),
        [
            (Role::Source, some("the caller")),
            (Role::Config, some("the caller")),
            (Role::Platform, some("the caller")),
            (Role::Gitops, some("WO_GITHUB_TOKEN_GITOPS")),
        ]
    );
    assert!(!format!("{c:?}").contains("ghs_") && !format!("{c:?}").contains("ghp_"));
}

/// A server on 127.0.0.1 that answers every request 401 `Bad credentials`, recording the
/// request lines and `Authorization` headers it saw.
fn refusing_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            let mut auth = String::new();
            let mut first = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if first.is_empty() {
                    first = line.trim().to_string();
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("authorization:") {
                    auth = v.trim().to_string();
                }
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            log.lock().unwrap().push(format!("{first} [{auth}]"));
            let body = r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (base, seen)
}

#[tokio::test]
async fn a_rejected_token_is_reported_with_its_variable_and_repository() {
    let (base, seen) = refusing_server();
    let settings = Settings {
        source: Some("github://acme/shop-source".into()),
        config: Some("github://acme/shop-config".into()),
        platform: Some("github://acme/platform-config".into()),
        gitops: Some("github://acme/shop-gitops".into()),
        ..Settings::default()
    };
    let credentials = Credentials::default()
        .with_github_api_url(&base)
        .with_github_app_token("ghs_app")
        .with_github_token_for(Role::Platform, "ghs_expired");
    let pipeline = PipelineBuilder::new(settings)
        .credentials(credentials)
        .orchestrator(Arc::new(wo::core::memory::InMemoryOrchestrator::new()))
        .build()
        .expect("pipeline");
    let e = pipeline
        .prepare_pr("dev", &SourceChoice::Commit("main".into()), true)
        .await
        .expect_err("GitHub refuses the token");
    assert!(
        matches!(e, wo::core::Error::Unauthenticated { .. }),
        "{e:?}"
    );
    let message = e.to_string();
    assert!(
        message.contains(
            "GitHub rejected `WO_GITHUB_TOKEN_PLATFORM` for acme/platform-config (401: Bad credentials)"
        ),
        "{message}"
    );
    assert!(!message.contains("ghs_"), "{message}");
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.first()
            .is_some_and(|s| s.contains("/repos/acme/platform-config/")
                && s.ends_with("[bearer ghs_expired]")),
        "the fleet is read first, from the platform repository, with its own token: {seen:?}"
    );
}

#[test]
fn a_token_variable_named_in_the_settings_must_be_set() {
    let settings = Settings {
        gitops: Some("github://acme/shop-gitops".into()),
        github_tokens: [(Role::Gitops, "WO_TEST_UNSET_TOKEN_7F3A".to_string())].into(),
        ..Settings::default()
    };
    let e = PipelineBuilder::new(settings)
        .credentials(Credentials::default())
        .source(Arc::new(wo::core::memory::InMemorySourceRepo::new()))
        .app_config(Arc::new(wo::core::memory::InMemoryConfigStore::new()))
        .platform_config(Arc::new(wo::core::memory::InMemoryConfigStore::new()))
        .orchestrator(Arc::new(wo::core::memory::InMemoryOrchestrator::new()))
        .build()
        .map(|_| ())
        .expect_err("the variable is not set");
    let shown = e.to_string();
    assert!(
        shown.contains("githubTokens.gitops") && shown.contains("WO_TEST_UNSET_TOKEN_7F3A"),
        "{shown}"
    );
}
