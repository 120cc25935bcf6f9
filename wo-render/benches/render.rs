//! Render the example chart (`examples/shop/source/chart`, native engine) for 5,000 targets in
//! one call, as `wo render` does for an environment.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wo_core::files::FileTree;
use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};
use wo_render::HandlebarsRenderer;

const TARGETS: usize = 5_000;

fn requests() -> Vec<RenderRequest> {
    let values = serde_json::json!({
        "appName": "shop",
        "image": "registry.example.com/shop:1.4.2",
        "replicas": 2,
        "autoscaling": {"enabled": true, "maxReplicas": 4},
        "store": {"name": "x", "region": "eu", "site": "berlin", "currency": "EUR", "tier": "standard"},
        "payment": {"endpoint": "https://pay.example.com", "callbackUrl": "https://pay.example.com/callback/x"},
        "printer": null,
        "featureFlags": ["new-checkout"],
        "ingressHost": "shop-x.prod.example.com",
        "logging": {"level": "info", "verbose": false},
    });
    (0..TARGETS)
        .map(|i| {
            let mut v = values.clone();
            v["store"]["name"] = serde_json::json!(format!("store-{i:05}"));
            v["ingressHost"] = serde_json::json!(format!("shop-store-{i:05}.prod.example.com"));
            v["replicas"] = serde_json::json!(1 + i % 4);
            RenderRequest {
                release_name: "shop".into(),
                namespace: "shop".into(),
                target: TargetView {
                    name: format!("store-{i:05}"),
                    ..TargetView::default()
                },
                values: v,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop/source/chart");
    let chart = Chart {
        name: "shop".into(),
        files: FileTree::load_dir(&dir).expect("example chart"),
    };
    let requests = requests();
    let renderer = HandlebarsRenderer::new();
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    group.throughput(Throughput::Elements(TARGETS as u64));
    group.bench_function("handlebars 5000 targets", |b| {
        b.iter(|| {
            let out =
                futures::executor::block_on(renderer.render(&chart, &requests)).expect("render");
            assert_eq!(out.len(), TARGETS);
            out
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
