//! `PreparedChart::render` of three corpus charts (`shared/charts`) with the corpus flags, the
//! chart prepared once outside the timing; then, as a printed comparison, the best wall time of
//! `helm template` on the same case (one process per run) and the ratio, and the wall time of
//! 5,000 podinfo renders spread over every core.
//!
//! Each native render has a release name of its own (`corpus1`, `corpus2`, …), as the targets
//! of a fleet differ: a prepared chart remembers what it read of a template's last output, and
//! rendering the same values again and again would find every output unchanged, which a fleet
//! does not (only output that depends on nothing that varies, such as CRDs, stays the same).
//!
//! The bench uses the allocator the `wo` binary ships (mimalloc, as wo-cli does).
//!
//! `cargo bench -p woac-gotmpl --bench render` (set `WO_BENCH_HELM_RUNS=0` to skip helm, `HELM`
//! to choose the binary; default `~/.cache/wo-tools/bin/helm`, then `helm` on `PATH`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wo_gotmpl::encoding::yaml;
use wo_gotmpl::helm::{Chart, PreparedChart, RenderOptions};
use wo_gotmpl::Value;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CASES: &[(&str, &str)] = &[
    ("podinfo", "default"),
    ("prometheus-blackbox-exporter", "features"),
    ("argo-cd", "default"),
];

const API_VERSIONS: &[&str] = &[
    "monitoring.coreos.com/v1",
    "autoscaling.k8s.io/v1",
    "autoscaling.k8s.io/v1/VerticalPodAutoscaler",
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/charts")
}

/// The options of render `i`: the corpus flags, and a release name of its own.
fn options_for(i: u64) -> RenderOptions {
    RenderOptions {
        release_name: format!("corpus{i}"),
        ..options()
    }
}

fn options() -> RenderOptions {
    RenderOptions {
        release_name: "corpus".into(),
        namespace: "corpus-ns".into(),
        kube_version: Some("1.30.0".into()),
        api_versions: API_VERSIONS.iter().map(|s| s.to_string()).collect(),
        ..RenderOptions::default()
    }
}

fn values(dir: &Path, case: &str) -> Value {
    let text = std::fs::read_to_string(dir.join("values").join(format!("{case}.yaml")))
        .expect("the values file reads");
    match yaml::decode(&text).expect("the values decode") {
        Value::Nil => Value::empty_map(),
        v => v,
    }
}

fn helm() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("HELM") {
        return Some(h.into());
    }
    let cached = std::env::var_os("HOME")
        .map(|h| Path::new(&h).join(".cache/wo-tools/bin/helm"))
        .filter(|p| p.exists());
    cached.or_else(|| Some("helm".into()))
}

/// The best (shortest) wall time of `runs` `helm template` processes for the case, `None`
/// when helm does not run. The best of several runs, on both sides, is what the machine can
/// do; means on a machine shared with other jobs measure the other jobs too.
fn time_helm(dir: &Path, case: &str, runs: u32) -> Option<Duration> {
    let helm = helm()?;
    let run = || {
        let mut cmd = Command::new(&helm);
        cmd.arg("template")
            .arg("corpus")
            .arg(dir.join("chart"))
            .args(["--namespace", "corpus-ns", "--kube-version", "1.30.0"]);
        for a in API_VERSIONS {
            cmd.args(["--api-versions", a]);
        }
        cmd.arg("-f")
            .arg(dir.join("values").join(format!("{case}.yaml")));
        cmd.output().ok().filter(|o| o.status.success())
    };
    run()?; // warm the page cache
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        run()?;
        best = best.min(start.elapsed());
    }
    Some(best)
}

/// The time of one native render for the ratio line, measured outside criterion: the best
/// mean of batches of renders (each batch ≥ 20 ms, 1 s in all), as [`time_helm`] takes the best
/// run.
fn time_native(prepared: &PreparedChart, values: &Value) -> Duration {
    let total = Instant::now();
    let mut best = Duration::MAX;
    let mut n = 0u64;
    while total.elapsed() < Duration::from_secs(1) {
        let start = Instant::now();
        let mut batch = 0u32;
        while batch < 3 || start.elapsed() < Duration::from_millis(20) {
            prepared.render(values, &options_for(n)).expect("renders");
            n += 1;
            batch += 1;
        }
        best = best.min(start.elapsed() / batch);
    }
    best
}

fn bench(c: &mut Criterion) {
    let root = corpus();
    if !root.is_dir() {
        println!(
            "note: corpus {} absent, render benchmark skipped",
            root.display()
        );
        return;
    }
    let helm_runs: u32 = std::env::var("WO_BENCH_HELM_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(1));
    let mut lines = Vec::new();
    for (chart, case) in CASES {
        let dir = root.join(chart);
        let prepared = PreparedChart::new(Chart::load(dir.join("chart")).expect("chart loads"))
            .expect("chart prepares");
        let values = values(&dir, case);
        let mut i = 0u64;
        group.bench_function(format!("{chart}/{case}"), |b| {
            b.iter(|| {
                i += 1;
                prepared.render(&values, &options_for(i)).expect("renders")
            })
        });
        let native = time_native(&prepared, &values);
        let line = match (helm_runs > 0)
            .then(|| time_helm(&dir, case, helm_runs))
            .flatten()
        {
            Some(h) => format!(
                "{chart}/{case}: native {:.3} ms ({:.0} renders/s), helm template {:.1} ms (best of {helm_runs}), helm/native {:.0}x",
                native.as_secs_f64() * 1e3,
                1.0 / native.as_secs_f64(),
                h.as_secs_f64() * 1e3,
                h.as_secs_f64() / native.as_secs_f64()
            ),
            None => format!(
                "{chart}/{case}: native {:.3} ms ({:.0} renders/s), helm not run",
                native.as_secs_f64() * 1e3,
                1.0 / native.as_secs_f64()
            ),
        };
        lines.push(line);
    }
    group.finish();
    lines.push(many_targets(&root.join("podinfo"), "default"));
    println!();
    for line in lines {
        println!("{line}");
    }
}

/// The target: 5,000 renders of a podinfo-sized chart, spread over every core (one
/// prepared chart shared; each thread decodes its own values, a `Value` being thread-local).
fn many_targets(dir: &Path, case: &str) -> String {
    const TARGETS: usize = 5_000;
    let prepared = PreparedChart::new(Chart::load(dir.join("chart")).expect("chart loads"))
        .expect("chart prepares");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let prepared = &prepared;
            s.spawn(move || {
                let values = values(dir, case);
                for i in (t..TARGETS).step_by(threads) {
                    prepared
                        .render(&values, &options_for(i as u64))
                        .expect("renders");
                }
            });
        }
    });
    format!(
        "{TARGETS} renders of podinfo/{case} on {threads} threads: {:.2} s",
        start.elapsed().as_secs_f64()
    )
}

criterion_group!(benches, bench);
criterion_main!(benches);
