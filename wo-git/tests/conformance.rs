//! The wo-core conformance suites against every way of reaching a repository.

mod common;

use common::{Harness, Transport};
use wo_core::testkit::{
    config_changes_conformance, config_store_conformance, gitops_repo_conformance,
    source_repo_conformance,
};

macro_rules! suites {
    ($($name:ident: $transport:expr;)*) => {$(
        mod $name {
            use super::*;

            #[tokio::test]
            async fn source_repo() {
                source_repo_conformance(&Harness::new($transport)).await;
            }

            #[tokio::test]
            async fn config_store() {
                config_store_conformance(&Harness::new($transport)).await;
            }

            #[tokio::test]
            async fn config_changes() {
                config_changes_conformance(&Harness::new($transport)).await;
            }

            #[tokio::test]
            async fn gitops_repo() {
                gitops_repo_conformance(&Harness::new($transport)).await;
            }
        }
    )*};
}

suites! {
    work_tree: Transport::WorkTree;
    bare: Transport::Bare;
    file_url: Transport::FileUrl;
    git_daemon: Transport::Daemon;
    http_backend: Transport::Http;
}
