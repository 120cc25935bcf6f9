//! A password in a remote's URL never shows in an error.

use wo_core::ports::SourceRepo;
use wo_git::{GitLocation, GitRepo, GitSourceRepo};
use wo_test_support::git::GitHttpBackend;

const SECRET: &str = "s3cret-pw";

async fn failure(url: &str, cache: &std::path::Path) -> String {
    let location = GitLocation::parse(url).expect("a URL");
    let repo = GitSourceRepo::new(GitRepo::new(location).with_cache_dir(cache));
    let err = repo.resolve("main").await.expect_err("no such repository");
    let mut shown = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        shown.push_str(&format!("\n{s}"));
        source = s.source();
    }
    shown
}

#[tokio::test]
async fn a_password_in_a_remote_url_is_redacted_in_errors() {
    let root = tempfile::tempdir().expect("temp dir");
    let server = GitHttpBackend::start(root.path());
    let cache = root.path().join("cache");
    // A repository the server does not have, and a port nothing listens on.
    let missing = server
        .url("missing.git")
        .replacen("http://", &format!("http://wo:{SECRET}@"), 1);
    for url in [missing.as_str(), "http://wo:s3cret-pw@127.0.0.1:1/shop.git"] {
        let shown = failure(url, &cache).await;
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(
            shown.contains("http://***@127.0.0.1:"),
            "names the remote: {shown}"
        );
    }
}
