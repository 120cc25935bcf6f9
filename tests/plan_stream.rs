//! The streaming plan (`wo::plan::render_to`, what `wo render` runs): the same bytes as the
//! batch plan, all or nothing, and no writing through symbolic links.

use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;
use wo::core::files::FileTree;
use wo::core::ports::{Chart, RenderFlow, RenderRequest, Rendered, Renderer};
use wo::core::{Error, Location, Result};
use wo::credentials::Credentials;
use wo::inputs::{load, Inputs, InputsRequest};
use wo::render::{CanonicalRenderer, ChartRenderer};

async fn worked_example() -> Inputs {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let dir = |d: &str| root.join(d).display().to_string();
    let (source, config, platform) = (dir("source"), dir("config"), dir("fleet"));
    load(
        &InputsRequest {
            source: &source,
            config: Some(&config),
            platform: Some(&platform),
            ..InputsRequest::default()
        },
        &Credentials::default(),
        std::env::temp_dir().as_path(),
    )
    .await
    .unwrap()
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    FileTree::load_dir(dir)
        .unwrap()
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_vec()))
        .collect()
}

#[tokio::test]
async fn streaming_writes_the_bytes_of_the_batch_plan() {
    let inputs = worked_example().await;
    let batch = wo::plan::render(&inputs, &[]).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("new/plan");
    let written = wo::plan::render_to(&inputs, &[], &out).await.unwrap();
    assert!(batch.files.len() >= 4, "{:?}", batch.files.keys());
    assert_eq!(files(&out), batch.files);
    assert_eq!(
        written.files(),
        batch.files.keys().cloned().collect::<Vec<_>>()
    );
    assert_eq!(written.targets, batch.targets);
    // No staging directory is left beside the plan.
    let beside: Vec<_> = std::fs::read_dir(tmp.path().join("new"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, ["plan"]);

    // Again into the plan it wrote, with a stray file of the user's: same bytes, file kept.
    std::fs::write(out.join("README.md"), "mine\n").unwrap();
    let first = batch.targets[0].clone();
    std::fs::write(out.join(format!("shop/{first}/manifests.yaml")), "stale\n").unwrap();
    wo::plan::render_to(&inputs, &[], &out).await.unwrap();
    let mut expected = batch.files.clone();
    expected.insert("README.md".into(), b"mine\n".to_vec());
    assert_eq!(files(&out), expected);
}

/// Renders as the worked example's renderer does, but fails for one target.
struct FailingFor(&'static str);

#[async_trait]
impl Renderer for FailingFor {
    async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>> {
        CanonicalRenderer::new(ChartRenderer::default())
            .render(chart, requests)
            .await
    }

    async fn render_each(&self, chart: &Chart, flow: &dyn RenderFlow) -> Result<()> {
        struct Failing<'a>(&'a dyn RenderFlow, &'static str);
        impl RenderFlow for Failing<'_> {
            fn targets(&self) -> usize {
                self.0.targets()
            }
            fn request(&self, index: usize) -> Result<RenderRequest> {
                self.0.request(index)
            }
            fn deliver(&self, i: usize, r: &RenderRequest, out: Rendered) -> Result<()> {
                if r.target.name == self.1 {
                    return Err(Error::invalid(Location::file("templates/x.yaml"), "boom"));
                }
                self.0.deliver(i, r, out)
            }
        }
        CanonicalRenderer::new(ChartRenderer::default())
            .render_each(chart, &Failing(flow, self.0))
            .await
    }
}

#[tokio::test]
async fn nothing_is_written_when_any_target_fails() {
    let inputs = worked_example().await;
    let batch = wo::plan::render(&inputs, &[]).await.unwrap();
    let last: &'static str = Box::leak(batch.targets.last().unwrap().clone().into_boxed_str());
    let tmp = tempfile::tempdir().unwrap();

    // A new directory: not created.
    let out = tmp.path().join("plan");
    let err = wo::plan::render_to_with(&inputs, &[], &out, &FailingFor(last))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    assert!(!out.exists(), "nothing may be written");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);

    // An existing plan: left as it was, no staging directory left in it.
    wo::plan::render_to(&inputs, &[], &out).await.unwrap();
    let first = batch.targets[0].clone();
    std::fs::write(out.join(format!("shop/{first}/values.yaml")), "old\n").unwrap();
    let before = files(&out);
    wo::plan::render_to_with(&inputs, &[], &out, &FailingFor(last))
        .await
        .unwrap_err();
    assert_eq!(files(&out), before);
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        1,
        "only shop/ in the plan"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn symbolic_links_in_the_plan_are_refused_before_anything_is_written() {
    let inputs = worked_example().await;
    let batch = wo::plan::render(&inputs, &[]).await.unwrap();
    let first = batch.targets[0].clone();
    let elsewhere = tempfile::tempdir().unwrap();
    for link in [
        format!("shop/{first}"),
        format!("shop/{first}/manifests.yaml"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("plan");
        std::fs::create_dir_all(out.join(format!("shop/{first}"))).unwrap();
        if link.ends_with(".yaml") {
            std::os::unix::fs::symlink(elsewhere.path().join("stolen.yaml"), out.join(&link))
                .unwrap();
        } else {
            std::fs::remove_dir(out.join(&link)).unwrap();
            std::os::unix::fs::symlink(elsewhere.path(), out.join(&link)).unwrap();
        }
        let err = wo::plan::render_to(&inputs, &[], &out).await.unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(err.to_string().contains(&link), "{err}");
        assert_eq!(
            std::fs::read_dir(elsewhere.path()).unwrap().count(),
            0,
            "nothing written through {link}"
        );
        assert_eq!(
            std::fs::read_dir(out.join("shop")).unwrap().count(),
            1,
            "no other target written"
        );
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            1,
            "no staging left"
        );
    }
}
