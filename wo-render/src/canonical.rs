//! A renderer wrapper that turns any renderer's output into canonical manifests.
//!
//! What reaches the gitops repo must be the same bytes for the same resources, whatever the
//! engine printed (comments, document order, key order). [`CanonicalRenderer`] parses each
//! output with the manifest model — rejecting documents without identity and duplicates — and
//! emits it in canonical order. Parsing runs on all cores.
//!
//! Helm test hooks (`helm.sh/hook: test`, `test-success` or `test-failure`, alone or in a
//! comma-separated list) are left out, as `helm template --skip-tests` leaves them out: the
//! gitops repo holds what a release installs, and `helm install` does not create tests. It
//! happens here rather than in each engine so that every engine's output gets the same rule,
//! while the engines themselves still print what `helm template` prints. The canonicalising
//! flow tells engines that it drops test hooks ([`RenderFlow::drops_test_hooks`]), so an engine
//! that can (the native Helm engine) leaves them out already instead of having them read here
//! only to be dropped.

use async_trait::async_trait;
use wo_core::ports::{Chart, ReadDocument, RenderFlow, RenderRequest, Rendered, Renderer};
use wo_core::{Diagnostics, Error, Result};

use crate::manifest::{remembered, ManifestSet};

/// Wraps a renderer so that its output is canonical manifests, without Helm test hooks.
#[derive(Debug, Clone, Default)]
pub struct CanonicalRenderer<R> {
    inner: R,
}

impl<R> CanonicalRenderer<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        CanonicalRenderer { inner }
    }
}

/// One target's output in canonical form, named `<target>/manifests.yaml` in errors.
fn canonical(request: &RenderRequest, rendered: &Rendered) -> Result<Rendered> {
    let file = format!("{}/manifests.yaml", request.target.name);
    // Documents equal to the last output's at the same place are not read again.
    if let Some(manifests) = remembered::canonical_stream(&rendered.manifests, &file) {
        return Ok(Rendered { manifests });
    }
    let set = ManifestSet::parse(&rendered.manifests, &file)?.without_test_hooks();
    Ok(Rendered {
        manifests: set.into_yaml(),
    })
}

/// [`canonical`] from the values the engine read of the output's documents, when the
/// documents are not the last output's or written anew from them.
fn canonical_read(
    request: &RenderRequest,
    rendered: &Rendered,
    documents: Vec<ReadDocument>,
) -> Result<Rendered> {
    let file = format!("{}/manifests.yaml", request.target.name);
    // Emitting every document from its value costs more than keeping the last output's.
    if let Some(manifests) = remembered::canonical_stream(&rendered.manifests, &file) {
        return Ok(Rendered { manifests });
    }
    let set = ManifestSet::parse_read(&rendered.manifests, &file, documents)?.without_test_hooks();
    Ok(Rendered {
        manifests: set.into_yaml(),
    })
}

/// A flow that canonicalises each output (on the worker that rendered it) before passing it on.
struct CanonicalFlow<'a> {
    inner: &'a dyn RenderFlow,
}

impl RenderFlow for CanonicalFlow<'_> {
    fn targets(&self) -> usize {
        self.inner.targets()
    }

    fn request(&self, index: usize) -> Result<RenderRequest> {
        self.inner.request(index)
    }

    fn deliver(&self, index: usize, request: &RenderRequest, rendered: Rendered) -> Result<()> {
        let out = canonical(request, &rendered)?;
        drop(rendered);
        self.inner.deliver(index, request, out)
    }

    fn deliver_read(
        &self,
        index: usize,
        request: &RenderRequest,
        rendered: Rendered,
        documents: Vec<ReadDocument>,
    ) -> Result<()> {
        let out = canonical_read(request, &rendered, documents)?;
        drop(rendered);
        self.inner.deliver(index, request, out)
    }

    /// The canonical form leaves test hooks out, whatever the inner flow keeps.
    fn drops_test_hooks(&self) -> bool {
        true
    }
}

#[async_trait]
impl<R: Renderer> Renderer for CanonicalRenderer<R> {
    /// Streams through the inner renderer, canonicalising each output as it is delivered.
    async fn render_each(&self, chart: &Chart, flow: &dyn RenderFlow) -> Result<()> {
        self.inner
            .render_each(chart, &CanonicalFlow { inner: flow })
            .await
    }

    async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>> {
        let rendered = self.inner.render(chart, requests).await?;
        let jobs: Vec<(&RenderRequest, &Rendered)> = requests.iter().zip(&rendered).collect();
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let chunk = jobs.len().div_ceil(workers).max(1);
        let results: Vec<Vec<Result<Rendered>>> = std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || part.iter().map(|(req, out)| canonical(req, out)).collect())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let mut out = Vec::with_capacity(requests.len());
        let mut problems = Vec::new();
        for r in results.into_iter().flatten() {
            match r {
                Ok(x) => out.push(x),
                Err(Error::Invalid(ds)) => problems.push(ds),
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(Diagnostics::merged(problems)));
        }
        if out.len() != requests.len() {
            return Err(Error::backend(
                "render",
                "a canonicalising worker stopped without a result",
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wo_core::memory::InMemoryRenderer;
    use wo_core::ports::TargetView;

    #[test]
    fn output_is_canonical_and_in_request_order() {
        let mut files = wo_core::files::FileTree::new();
        files
            .insert("Chart.yaml", "name: x\nversion: 1.0.0\n")
            .unwrap();
        let chart = Chart {
            name: "x".into(),
            files,
        };
        let req = |t: &str, r: u32| RenderRequest {
            release_name: "x".into(),
            namespace: "ns".into(),
            target: TargetView {
                name: t.into(),
                ..TargetView::default()
            },
            values: serde_json::json!({"replicas": r}),
        };
        let requests: Vec<_> = (0..7).map(|i| req(&format!("t{i}"), i)).collect();
        let raw =
            futures::executor::block_on(InMemoryRenderer::new().render(&chart, &requests)).unwrap();
        let canon = futures::executor::block_on(
            CanonicalRenderer::new(InMemoryRenderer::new()).render(&chart, &requests),
        )
        .unwrap();
        assert_eq!(canon.len(), 7);
        for (r, c) in raw.iter().zip(&canon) {
            let expect = ManifestSet::parse(&r.manifests, "x").unwrap().to_yaml();
            assert_eq!(c.manifests, expect);
        }
    }
}
