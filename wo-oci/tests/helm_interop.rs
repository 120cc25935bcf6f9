//! wo and the real `helm` against the real CNCF distribution registry (`docker-registry`) on
//! 127.0.0.1: charts pushed by one are pulled by the other, byte for byte.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{helm_env, shop_package, CountingProxy};
use wo_core::ErrorKind;
use wo_oci::{
    resolve_credentials, sha256_digest, CredentialSource, Credentials, Registry, RegistryOptions,
};
use wo_test_support::registry::Registry as DistributionRegistry;

fn plain() -> RegistryOptions {
    RegistryOptions {
        plain_http: true,
        ..RegistryOptions::default()
    }
}

/// Runs helm with its homes and registry config under `home`; panics with its output when it
/// fails.
fn helm(home: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = Command::new(wo_test_support::tool("helm"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in helm_env(home) {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("helm starts");
    if let Some(text) = stdin {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "helm {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn only_file(dir: &Path) -> std::path::PathBuf {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_wo_pushes_is_pulled_by_helm_byte_for_byte_and_a_second_push_uploads_nothing() {
    let upstream = DistributionRegistry::start();
    let proxy = CountingProxy::start(&upstream.host(), None).await;
    let registry = Registry::new(&proxy.host(), plain(), Credentials::Anonymous).unwrap();
    let package = shop_package(None);

    assert_eq!(
        registry.resolve("charts/shop", "1.2.0").await.unwrap(),
        None
    );
    let pushed = registry
        .push_chart("charts/shop", "1.2.0", &package.bytes)
        .await
        .unwrap();
    assert!(pushed.pushed);
    assert_eq!(pushed.digest, package.digest);
    assert_eq!(
        pushed.reference,
        format!("oci://{}/charts/shop", proxy.host())
    );
    let uploads = proxy.writes();
    assert!(
        uploads
            .iter()
            .any(|r| r.starts_with("PUT /v2/charts/shop/manifests/1.2.0")),
        "{uploads:?}"
    );

    // helm pulls it from the registry itself: the same bytes.
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let reference = format!("oci://{}/charts/shop", upstream.host());
    helm(
        home.path(),
        &[
            "pull",
            &reference,
            "--version",
            "1.2.0",
            "--plain-http",
            "-d",
            out.to_str().unwrap(),
        ],
        None,
    );
    let pulled = only_file(&out);
    assert_eq!(pulled.file_name().unwrap(), "shop-1.2.0.tgz");
    assert_eq!(
        sha256_digest(&std::fs::read(&pulled).unwrap()),
        package.digest
    );
    let shown = helm(
        home.path(),
        &["show", "chart", pulled.to_str().unwrap()],
        None,
    );
    assert!(
        shown.contains("name: shop") && shown.contains("version: 1.2.0"),
        "{shown}"
    );

    // The same package again: nothing written, the same manifest.
    proxy.clear();
    let again = registry
        .push_chart("charts/shop", "1.2.0", &package.bytes)
        .await
        .unwrap();
    assert!(!again.pushed);
    assert_eq!(again.manifest_digest, pushed.manifest_digest);
    assert_eq!(
        proxy.writes(),
        Vec::<String>::new(),
        "{:?}",
        proxy.requests()
    );
    assert!(!proxy.requests().is_empty());

    // wo's own pull and resolve agree.
    let back = registry.pull_chart("charts/shop", "1.2.0").await.unwrap();
    assert_eq!(back.bytes, package.bytes);
    assert_eq!(back.manifest_digest, pushed.manifest_digest);
    let resolved = registry
        .resolve("charts/shop", "1.2.0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.chart_digest, package.digest);

    // Another package under the same version is refused, naming both digests.
    let other = shop_package(Some("replicas: 7\n"));
    assert_ne!(other.digest, package.digest);
    proxy.clear();
    let e = registry
        .push_chart("charts/shop", "1.2.0", &other.bytes)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    let m = e.to_string();
    assert!(
        m.contains(&package.digest) && m.contains(&other.digest),
        "{m}"
    );
    assert_eq!(proxy.writes(), Vec::<String>::new());

    // The same package under another registry gives the same manifest digest (deterministic).
    let second = DistributionRegistry::start();
    let r2 = Registry::new(&second.host(), plain(), Credentials::Anonymous).unwrap();
    let p2 = r2
        .push_chart("charts/shop", "1.2.0", &package.bytes)
        .await
        .unwrap();
    assert_eq!(p2.manifest_digest, pushed.manifest_digest);

    // A package whose name or version is not the reference's is refused before any request.
    proxy.clear();
    let e = registry
        .push_chart("charts/cart", "1.2.0", &package.bytes)
        .await
        .unwrap_err();
    assert!(
        e.is_invalid_input() && e.to_string().contains("`shop`"),
        "{e}"
    );
    let e = registry
        .push_chart("charts/shop", "1.2.1", &package.bytes)
        .await
        .unwrap_err();
    assert!(
        e.is_invalid_input() && e.to_string().contains("1.2.1"),
        "{e}"
    );
    assert!(proxy.requests().is_empty());

    let e = registry
        .pull_chart("charts/shop", "9.9.9")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chart_helm_pushes_is_pulled_by_wo_with_the_files_digest() {
    let upstream = DistributionRegistry::start();
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("pkg");
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/charts/shop-helm");
    helm(
        home.path(),
        &[
            "package",
            chart.to_str().unwrap(),
            "-d",
            out.to_str().unwrap(),
        ],
        None,
    );
    let tgz = only_file(&out);
    let bytes = std::fs::read(&tgz).unwrap();
    helm(
        home.path(),
        &[
            "push",
            tgz.to_str().unwrap(),
            &format!("oci://{}/charts", upstream.host()),
            "--plain-http",
        ],
        None,
    );

    let registry = Registry::new(&upstream.host(), plain(), Credentials::Anonymous).unwrap();
    let pulled = registry.pull_chart("charts/shop", "1.2.0").await.unwrap();
    assert_eq!(pulled.digest, sha256_digest(&bytes));
    assert_eq!(pulled.bytes, bytes);

    // helm's config blob is the JSON wo writes for the same Chart.yaml metadata.
    let manifest: serde_json::Value = serde_json::from_str(
        &common::get(
            &upstream.host(),
            "/v2/charts/shop/manifests/1.2.0",
            common::OCI_MANIFEST,
        )
        .await,
    )
    .unwrap();
    let config_digest = manifest["config"]["digest"].as_str().unwrap();
    let helm_config = common::get(
        &upstream.host(),
        &format!("/v2/charts/shop/blobs/{config_digest}"),
        "*/*",
    )
    .await;
    let ours = wo_oci::chart_meta(&bytes).unwrap();
    assert_eq!(helm_config, String::from_utf8(ours.config).unwrap());

    // wo does not push over helm's chart: another package under the same tag is refused.
    let wo_package = shop_package(None);
    assert_ne!(wo_package.digest, pulled.digest);
    let e = registry
        .push_chart("charts/shop", "1.2.0", &wo_package.bytes)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wo_pushes_with_the_credentials_helm_registry_login_stored() {
    let upstream = DistributionRegistry::start_with_basic_auth("u", "s3cret-pw");
    let home = tempfile::tempdir().unwrap();
    helm(
        home.path(),
        &[
            "registry",
            "login",
            &upstream.host(),
            "--username",
            "u",
            "--password-stdin",
            "--plain-http",
        ],
        Some("s3cret-pw"),
    );
    let env: Vec<(String, String)> = helm_env(home.path())
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.display().to_string()))
        .collect();
    let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let resolved = resolve_credentials(&upstream.host(), None, &lookup).unwrap();
    let config = home.path().join("registry/config.json");
    assert_eq!(
        resolved.source,
        CredentialSource::HelmConfig(config.clone())
    );
    assert!(!format!("{resolved:?}").contains("s3cret-pw"));

    let registry = Registry::with_resolved(&upstream.host(), plain(), resolved).unwrap();
    let package = shop_package(None);
    let pushed = registry
        .push_chart("charts/shop", "1.2.0", &package.bytes)
        .await
        .unwrap();
    assert!(pushed.pushed);

    // helm pulls it with its login.
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    helm(
        home.path(),
        &[
            "pull",
            &format!("oci://{}/charts/shop", upstream.host()),
            "--version",
            "1.2.0",
            "--plain-http",
            "-d",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        sha256_digest(&std::fs::read(only_file(&out)).unwrap()),
        package.digest
    );

    // Without credentials, or with wrong ones: Unauthenticated, and no password in the message.
    let anonymous = Registry::new(&upstream.host(), plain(), Credentials::Anonymous).unwrap();
    let e = anonymous
        .pull_chart("charts/shop", "1.2.0")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
    let wrong = Registry::new(
        &upstream.host(),
        plain(),
        Credentials::basic("u", "wrong-pw-123"),
    )
    .unwrap();
    let e = wrong
        .push_chart("charts/shop", "1.2.0", &package.bytes)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{e}");
    assert!(!e.to_string().contains("wrong-pw-123"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_that_holds_an_image_is_refused_naming_its_media_type() {
    use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
    use oci_client::secrets::RegistryAuth;

    let upstream = DistributionRegistry::start();
    wo_http::install_crypto_provider();
    let client = oci_client::Client::new(ClientConfig {
        protocol: ClientProtocol::Http,
        ..ClientConfig::default()
    });
    let image =
        oci_client::Reference::with_tag(upstream.host(), "charts/shop".into(), "1.2.0".into());
    client
        .push(
            &image,
            &[ImageLayer::oci_v1_gzip(b"not a chart".to_vec(), None)],
            Config::oci_v1(b"{}".to_vec(), None),
            &RegistryAuth::Anonymous,
            None,
        )
        .await
        .unwrap();

    let registry = Registry::new(&upstream.host(), plain(), Credentials::Anonymous).unwrap();
    let e = registry
        .pull_chart("charts/shop", "1.2.0")
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected, "{e}");
    assert!(
        e.to_string()
            .contains("application/vnd.oci.image.config.v1+json"),
        "{e}"
    );
    let e = registry.resolve("charts/shop", "1.2.0").await.unwrap_err();
    assert!(e.to_string().contains("not a Helm chart"), "{e}");
    // wo does not overwrite it either.
    let package = shop_package(None);
    let e = registry
        .push_chart("charts/shop", "1.2.0", &package.bytes)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not a Helm chart"), "{e}");
}
