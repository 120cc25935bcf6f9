//! Renders one corpus case in a loop, for profiling (`perf record -g`):
//! `cargo run --release -p woac-gotmpl --example render_loop -- argo-cd default 200`.
//! With `WO_VARY_RELEASE=1` each render has its own release name, as the targets of a fleet
//! do, so only output that does not depend on it is the same from one render to the next.
//! It uses the allocator the `wo` binary ships (mimalloc, as wo-cli does). The corpus is
//! `WO_CHART_CORPUS`, else `shared/charts` beside the checkout.

use std::path::Path;
use std::time::Instant;

use wo_gotmpl::encoding::yaml;
use wo_gotmpl::helm::{Chart, PreparedChart, RenderOptions};
use wo_gotmpl::Value;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let chart = args.next().unwrap_or_else(|| "podinfo".into());
    let case = args.next().unwrap_or_else(|| "default".into());
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    // The chart corpus: `WO_CHART_CORPUS`, else `shared/charts` beside the checkout.
    let corpus = std::env::var_os("WO_CHART_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/charts"),
        std::path::PathBuf::from,
    );
    let dir = corpus.join(&chart);
    let prepared = PreparedChart::new(Chart::load(dir.join("chart")).expect("chart loads"))
        .expect("chart prepares");
    let text = std::fs::read_to_string(dir.join("values").join(format!("{case}.yaml")))
        .expect("the values file reads");
    let values = match yaml::decode(&text).expect("the values decode") {
        Value::Nil => Value::empty_map(),
        v => v,
    };
    let opts = RenderOptions {
        release_name: "corpus".into(),
        namespace: "corpus-ns".into(),
        kube_version: Some("1.30.0".into()),
        api_versions: [
            "monitoring.coreos.com/v1",
            "autoscaling.k8s.io/v1",
            "autoscaling.k8s.io/v1/VerticalPodAutoscaler",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        max_steps: std::env::var("WO_MAX_STEPS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(wo_gotmpl::func::DEFAULT_MAX_STEPS),
        ..RenderOptions::default()
    };
    let vary = std::env::var_os("WO_VARY_RELEASE").is_some();
    let start = Instant::now();
    let mut bytes = 0;
    for i in 0..n {
        let rendered = if vary {
            let opts = RenderOptions {
                release_name: format!("corpus{i}"),
                ..opts.clone()
            };
            prepared.render(&values, &opts)
        } else {
            prepared.render(&values, &opts)
        };
        bytes += rendered.expect("renders").len();
    }
    let per = start.elapsed().as_secs_f64() * 1e3 / f64::from(n);
    println!("{chart}/{case}: {per:.3} ms per render ({bytes} bytes in all)");
}
