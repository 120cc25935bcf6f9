//! The registry stand-in against the real thing: the same requests to the stand-in and to
//! Debian's CNCF distribution registry (`docker-registry`, on 127.0.0.1) get the same answers
//! where they must agree (status codes, error codes, `Docker-Content-Digest`, manifest bytes),
//! and `helm push` / `helm pull` (Helm v4 from `bash .ci/install-tools`) and the simulator's
//! own OCI pull ([`OciHttpSource`]) work the same on both. Helm runs with its config, cache,
//! data and registry config in a temp dir.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use wo_test_support::registry::Registry as Distribution;

use wo_azure_sim::{
    sha256_digest, ChartSource, OciHttpSource, Registry, RegistryAuth, RegistryOptions,
    HELM_CHART_CONFIG, HELM_CHART_LAYER, OCI_MANIFEST,
};

/// The manifest PUTs one `helm push` makes (Helm v4.1.4: the same manifest twice).
const HELM_MANIFEST_PUTS: u64 = 2;

/// Debian's `docker-registry` on 127.0.0.1 (wo-test-support's starter, which waits for
/// `GET /v2/`), started off the runtime's threads.
async fn distribution() -> Distribution {
    tokio::task::spawn_blocking(Distribution::start)
        .await
        .unwrap()
}

/// Helm with everything it writes in a temp dir.
struct Helm {
    bin: PathBuf,
    home: tempfile::TempDir,
}

impl Helm {
    fn new() -> Helm {
        Helm {
            bin: wo_test_support::tool("helm"),
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// Runs `helm args…`; its stdout and stderr, or a panic naming them.
    async fn run(&self, args: &[&str]) -> String {
        let h = self.home.path();
        let mut cmd = Command::new(&self.bin);
        cmd.args(args)
            .envs(wo_test_support::helm_env(h))
            .env_remove("KUBECONFIG");
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "helm {args:?} failed: {text}");
        text
    }
}

/// One answer, as far as registries must agree on it.
#[derive(Debug, PartialEq)]
struct Seen {
    step: &'static str,
    status: u16,
    digest: Option<String>,
    /// The first error code of an error body, or the body when the step compares it.
    body: Option<Value>,
}

/// The same conversation with the registry at `base` (`http://host:port`): uploads (chunked
/// and whole), manifests by tag and by digest, tags, and the errors for unknown things and
/// wrong digests.
async fn conversation(base: &str) -> (Vec<Seen>, Vec<u8>) {
    let http = wo_http::http_client().unwrap();
    let name = "conformance/shop";
    let layer = b"a layer that is not really a chart, in two chunks".to_vec();
    let config = br#"{"name":"shop","version":"1.0.0"}"#.to_vec();
    let mut seen = Vec::new();
    let error_code = |v: &Value| v["errors"][0]["code"].clone();
    let digest_of = |r: &reqwest::Response| {
        r.headers()
            .get("docker-content-digest")
            .map(|v| v.to_str().unwrap().to_string())
    };

    let r = http.get(format!("{base}/v2/")).send().await.unwrap();
    seen.push(Seen {
        step: "GET /v2/",
        status: r.status().as_u16(),
        digest: None,
        body: None,
    });
    let r = http
        .head(format!("{base}/v2/{name}/blobs/{}", sha256_digest(&layer)))
        .send()
        .await
        .unwrap();
    seen.push(Seen {
        step: "HEAD unknown blob",
        status: r.status().as_u16(),
        digest: None,
        body: None,
    });

    // Chunked: POST, PATCH the first half, PUT the rest with the digest.
    let r = http
        .post(format!("{base}/v2/{name}/blobs/uploads/"))
        .send()
        .await
        .unwrap();
    seen.push(Seen {
        step: "POST upload",
        status: r.status().as_u16(),
        digest: None,
        body: None,
    });
    let location = absolute(base, r.headers()["location"].to_str().unwrap());
    let (first, rest) = layer.split_at(20);
    let r = http
        .patch(&location)
        .header("content-type", "application/octet-stream")
        .body(first.to_vec())
        .send()
        .await
        .unwrap();
    seen.push(Seen {
        step: "PATCH chunk",
        status: r.status().as_u16(),
        digest: None,
        body: None,
    });
    let location = absolute(base, r.headers()["location"].to_str().unwrap());
    let r = http
        .put(with_digest(&location, &sha256_digest(&layer)))
        .header("content-type", "application/octet-stream")
        .body(rest.to_vec())
        .send()
        .await
        .unwrap();
    seen.push(Seen {
        step: "PUT upload",
        status: r.status().as_u16(),
        digest: digest_of(&r),
        body: None,
    });

    // A whole blob with the wrong digest, then with the right one.
    for (step, digest) in [
        ("PUT wrong digest", sha256_digest(b"something else")),
        ("PUT config", sha256_digest(&config)),
    ] {
        let r = http
            .post(format!("{base}/v2/{name}/blobs/uploads/"))
            .send()
            .await
            .unwrap();
        let location = absolute(base, r.headers()["location"].to_str().unwrap());
        let r = http
            .put(with_digest(&location, &digest))
            .header("content-type", "application/octet-stream")
            .body(config.clone())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let digest = digest_of(&r);
        let body = if status >= 400 {
            Some(error_code(&r.json().await.unwrap()))
        } else {
            None
        };
        seen.push(Seen {
            step,
            status,
            digest,
            body,
        });
    }

    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": HELM_CHART_CONFIG, "digest": sha256_digest(&config), "size": config.len()},
        "layers": [{"mediaType": HELM_CHART_LAYER, "digest": sha256_digest(&layer), "size": layer.len()}],
    }))
    .unwrap();
    let orphan = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": HELM_CHART_CONFIG, "digest": sha256_digest(&config), "size": config.len()},
        "layers": [{"mediaType": HELM_CHART_LAYER, "digest": sha256_digest(b"never uploaded"), "size": 14}],
    }))
    .unwrap();
    for (step, tag, body) in [
        ("PUT manifest", "1.0.0", &manifest),
        ("PUT manifest of unknown blobs", "2.0.0", &orphan),
    ] {
        let r = http
            .put(format!("{base}/v2/{name}/manifests/{tag}"))
            .header("content-type", OCI_MANIFEST)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let digest = digest_of(&r);
        let body = if status >= 400 {
            Some(error_code(&r.json().await.unwrap()))
        } else {
            None
        };
        seen.push(Seen {
            step,
            status,
            digest,
            body,
        });
    }

    let manifest_digest = sha256_digest(&manifest);
    let mut got_manifest = Vec::new();
    for (step, reference) in [
        ("HEAD manifest by tag", "1.0.0"),
        ("GET manifest by tag", "1.0.0"),
        ("GET manifest by digest", manifest_digest.as_str()),
        ("GET unknown tag", "9.9.9"),
    ] {
        let url = format!("{base}/v2/{name}/manifests/{reference}");
        let req = if step.starts_with("HEAD") {
            http.head(url)
        } else {
            http.get(url)
        };
        let r = req.header("accept", OCI_MANIFEST).send().await.unwrap();
        let status = r.status().as_u16();
        let digest = digest_of(&r);
        let content_type = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = r.bytes().await.unwrap().to_vec();
        let body = if status >= 400 {
            Some(error_code(&serde_json::from_slice(&bytes).unwrap()))
        } else if step.starts_with("GET") {
            got_manifest = bytes;
            Some(json!(content_type))
        } else {
            Some(json!(content_type))
        };
        seen.push(Seen {
            step,
            status,
            digest,
            body,
        });
    }
    let r = http
        .get(format!("{base}/v2/{name}/blobs/{}", sha256_digest(&layer)))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let digest = digest_of(&r);
    let same = r.bytes().await.unwrap().to_vec() == layer;
    seen.push(Seen {
        step: "GET blob",
        status,
        digest,
        body: Some(json!(same)),
    });
    let r = http
        .get(format!(
            "{base}/v2/{name}/blobs/{}",
            sha256_digest(b"nothing")
        ))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = Some(error_code(&r.json().await.unwrap()));
    seen.push(Seen {
        step: "GET unknown blob",
        status,
        digest: None,
        body,
    });
    for (step, repo) in [
        ("GET tags", name),
        ("GET tags of unknown repo", "conformance/none"),
    ] {
        let r = http
            .get(format!("{base}/v2/{repo}/tags/list"))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        let body = if status >= 400 {
            Some(error_code(&v))
        } else {
            Some(v)
        };
        seen.push(Seen {
            step,
            status,
            digest: None,
            body,
        });
    }
    (seen, got_manifest)
}

/// A `Location` made absolute (distribution may answer with a path).
fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http") {
        location.to_string()
    } else {
        format!("{base}{location}")
    }
}

fn with_digest(location: &str, digest: &str) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}digest={digest}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_answers_as_the_distribution_registry_does() {
    let real = distribution().await;
    let stand_in = Registry::start(RegistryOptions::default()).await.unwrap();
    let (want, want_manifest) = conversation(&format!("http://{}", real.host())).await;
    let (got, got_manifest) = conversation(&stand_in.base_url()).await;
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(g, w, "the stand-in differs at {}", w.step);
    }
    assert_eq!(got.len(), want.len());
    assert_eq!(got_manifest, want_manifest);
    assert!(!got_manifest.is_empty());
    assert_eq!((stand_in.blob_uploads(), stand_in.manifest_puts()), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_pushes_and_pulls_the_same_chart_on_both() {
    let helm = Helm::new();
    let work = tempfile::tempdir().unwrap();
    let chart_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/charts/shop-helm");
    helm.run(&[
        "package",
        chart_dir.to_str().unwrap(),
        "-d",
        work.path().to_str().unwrap(),
    ])
    .await;
    let tgz_path = work.path().join("shop-1.2.0.tgz");
    let tgz = std::fs::read(&tgz_path).unwrap();

    let real = distribution().await;
    let stand_in = Registry::start(RegistryOptions::default()).await.unwrap();
    let source = OciHttpSource::with_default_client().unwrap();
    for (which, host) in [
        ("distribution", real.host()),
        ("stand-in", stand_in.host_port()),
    ] {
        let pushed = helm
            .run(&[
                "push",
                tgz_path.to_str().unwrap(),
                &format!("oci://{host}/charts"),
                "--plain-http",
            ])
            .await;
        let manifest_digest = pushed
            .lines()
            .find_map(|l| l.trim().strip_prefix("Digest: "))
            .unwrap_or_else(|| panic!("{which}: no digest in {pushed}"))
            .to_string();
        let head = wo_http::http_client()
            .unwrap()
            .head(format!("http://{host}/v2/charts/shop/manifests/1.2.0"))
            .header("accept", OCI_MANIFEST)
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200, "{which}");
        assert_eq!(
            head.headers()["docker-content-digest"],
            manifest_digest.as_str(),
            "{which}"
        );

        let out = work.path().join(which);
        std::fs::create_dir_all(&out).unwrap();
        helm.run(&[
            "pull",
            &format!("oci://{host}/charts/shop"),
            "--version",
            "1.2.0",
            "--plain-http",
            "-d",
            out.to_str().unwrap(),
        ])
        .await;
        assert_eq!(
            std::fs::read(out.join("shop-1.2.0.tgz")).unwrap(),
            tgz,
            "{which}: helm pull"
        );

        let pulled = source
            .fetch(&format!("oci://{host}/charts/shop"), "1.2.0")
            .await
            .unwrap();
        assert_eq!(pulled.bytes, tgz, "{which}: OciHttpSource");
        assert_eq!(pulled.digest, sha256_digest(&tgz));
    }
    // One helm push uploads config and chart and puts the manifest twice.
    assert_eq!(
        (stand_in.manifest_puts(), stand_in.blob_uploads()),
        (HELM_MANIFEST_PUTS, 2)
    );
    // The stand-in's in-process source reads what helm pushed.
    let direct = stand_in
        .chart_source()
        .fetch(
            &format!("oci://{}/charts/shop", stand_in.host_port()),
            "1.2.0",
        )
        .await
        .unwrap();
    assert_eq!(direct.bytes, tgz);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_logs_in_with_an_acr_refresh_token_and_pushes() {
    let helm = Helm::new();
    let work = tempfile::tempdir().unwrap();
    let chart_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/charts/shop-helm");
    helm.run(&[
        "package",
        chart_dir.to_str().unwrap(),
        "-d",
        work.path().to_str().unwrap(),
    ])
    .await;
    let tgz_path = work.path().join("shop-1.2.0.tgz");
    let registry = Registry::start(RegistryOptions {
        auth: RegistryAuth::Token,
    })
    .await
    .unwrap();
    let host = registry.host_port();
    let http = wo_http::http_client().unwrap();
    let refresh: Value = http
        .post(format!("{}/oauth2/exchange", registry.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=access_token&service={host}&access_token=entra"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = refresh["refresh_token"].as_str().unwrap();

    // Without logging in, helm is refused.
    let mut cmd = Command::new(&helm.bin);
    cmd.args([
        "push",
        tgz_path.to_str().unwrap(),
        &format!("oci://{host}/charts"),
        "--plain-http",
    ])
    .envs(wo_test_support::helm_env(helm.home.path()));
    let refused = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(!refused.status.success());
    assert_eq!(registry.manifest_puts(), 0);

    helm.run(&[
        "registry",
        "login",
        &host,
        "--username",
        wo_azure_sim::ACR_REFRESH_USER,
        "--password",
        refresh,
        "--plain-http",
    ])
    .await;
    helm.run(&[
        "push",
        tgz_path.to_str().unwrap(),
        &format!("oci://{host}/charts"),
        "--plain-http",
    ])
    .await;
    assert_eq!(registry.manifest_puts(), HELM_MANIFEST_PUTS);
    assert_eq!(registry.tags("charts/shop"), ["1.2.0"]);
}

/// A monolithic upload (`POST …/blobs/uploads/?digest=` with the blob), which the OCI
/// distribution spec allows a registry to serve: the stand-in stores the blob (201);
/// `docker-registry` 2.8 ignores digest and body and starts an ordinary upload (202), which a
/// client continues. The stand-in only, then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_takes_a_blob_in_one_post() {
    let registry = Registry::start(RegistryOptions::default()).await.unwrap();
    let http = wo_http::http_client().unwrap();
    let base = registry.base_url();
    let blob = b"one post".to_vec();
    let wrong = http
        .post(format!(
            "{base}/v2/charts/x/blobs/uploads/?digest={}",
            sha256_digest(b"other")
        ))
        .body(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let v: Value = wrong.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "DIGEST_INVALID");
    let done = http
        .post(format!(
            "{base}/v2/charts/x/blobs/uploads/?digest={}",
            sha256_digest(&blob)
        ))
        .body(blob.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 201);
    assert_eq!(
        done.headers()["docker-content-digest"],
        sha256_digest(&blob).as_str()
    );
    let got = http
        .get(format!("{base}/v2/charts/x/blobs/{}", sha256_digest(&blob)))
        .send()
        .await
        .unwrap();
    assert_eq!(got.bytes().await.unwrap().to_vec(), blob);
    assert_eq!((registry.blob_uploads(), registry.blob_pulls()), (1, 1));
    assert_eq!(registry.requests(), 3);
}
