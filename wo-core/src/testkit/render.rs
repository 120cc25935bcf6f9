use std::sync::Arc;

use crate::error::Error;
use crate::ports::{Chart, RenderRequest, Renderer, TargetView};

/// How [`renderer_conformance`] gets a [`Renderer`] backend and charts it understands.
pub trait RendererHarness: Send + Sync {
    /// The renderer under test.
    fn renderer(&self) -> Arc<dyn Renderer>;

    /// A valid chart whose output depends on the integer value `replicas` (and may ignore
    /// everything else).
    fn chart(&self) -> Chart;

    /// A chart the renderer must refuse, with the chart file the error must name (a part of
    /// a diagnostic's file is enough); `None` skips that check.
    fn broken_chart(&self) -> Option<(Chart, String)>;
}

fn request(target: &str, replicas: u32) -> RenderRequest {
    let mut view = TargetView {
        name: target.to_string(),
        ..TargetView::default()
    };
    view.labels.insert("region".into(), "eu-west".into());
    view.hierarchy.insert("region".into(), "eu-west".into());
    RenderRequest {
        release_name: "shop".into(),
        namespace: "shop".into(),
        target: view,
        values: serde_json::json!({ "replicas": replicas }),
    }
}

/// Checks the [`Renderer`] contract: one output per request in request order, the same bytes
/// for the same inputs at any position, all or nothing, and `Invalid` naming the target for bad
/// values and the file for a broken chart.
///
/// # Panics
/// When the backend breaks the contract, naming the point.
pub async fn renderer_conformance(h: &dyn RendererHarness) {
    let renderer = h.renderer();
    let chart = h.chart();

    let none = renderer.render(&chart, &[]).await.expect("render nothing");
    assert!(none.is_empty(), "no requests, no output");

    let (a, b, c) = (
        request("berlin-1", 2),
        request("paris-1", 3),
        request("rome-1", 4),
    );
    let forward = renderer
        .render(&chart, &[a.clone(), b.clone(), c.clone()])
        .await
        .expect("render");
    assert_eq!(forward.len(), 3, "one output per request");
    assert!(
        forward.iter().all(|r| !r.manifests.trim().is_empty()),
        "every output holds manifests"
    );
    assert_ne!(
        forward[0].manifests, forward[1].manifests,
        "the output depends on the values"
    );

    let again = renderer
        .render(&chart, &[a.clone(), b.clone(), c.clone()])
        .await
        .expect("render");
    assert_eq!(again, forward, "the same inputs give the same bytes");
    let backward = renderer
        .render(&chart, &[c.clone(), b.clone(), a.clone()])
        .await
        .expect("render");
    assert_eq!(
        backward.iter().rev().cloned().collect::<Vec<_>>(),
        forward,
        "outputs follow request order and do not depend on position"
    );
    let single = renderer
        .render(&chart, std::slice::from_ref(&b))
        .await
        .expect("render");
    assert_eq!(
        single[0], forward[1],
        "rendering one request alone gives the same bytes"
    );

    let mut bad = request("oslo-1", 1);
    bad.values = serde_json::json!("not a map");
    let r = renderer.render(&chart, &[a.clone(), bad]).await;
    match &r {
        Err(e @ Error::Invalid(_)) => assert!(
            e.to_string().contains("oslo-1"),
            "the error names the target: {e}"
        ),
        other => panic!("values that are not a map are Invalid, for the whole call, got {other:?}"),
    }

    if let Some((broken, file)) = h.broken_chart() {
        let r = renderer.render(&broken, &[a]).await;
        match &r {
            Err(e @ Error::Invalid(_)) => assert!(
                e.diagnostics()
                    .iter()
                    .any(|d| d.location.file.contains(&file)),
                "the error names the chart file `{file}`: {e}"
            ),
            other => panic!("a broken chart is Invalid, got {other:?}"),
        }
    }
}
