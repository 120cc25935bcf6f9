//! Writes a fleet of N targets around the worked example, for measuring `wo render` (and later
//! `wo prepare-pr`) at scale.
//!
//! ```sh
//! cargo run --release --example generate_fleet -- 5000 /tmp/fleet5000 [--chart DIR] [--config-template FILE]
//! wo render --source /tmp/fleet5000/source --config /tmp/fleet5000/config \
//!     --platform /tmp/fleet5000/fleet --out /tmp/fleet5000/out
//! ```
//!
//! The source is `examples/shop/source`, with its chart replaced by `--chart DIR` when given
//! (for example `examples/charts/shop-helm` to measure the Helm engine), and its
//! `wo/config-template.yaml` by `--config-template FILE` when given (for a chart with other
//! values, e.g. `examples/charts/podinfo-fleet/config-template.yaml` for podinfo). Targets are spread
//! over 20 regions and 500 sites; a tenth of them get a target value file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: generate_fleet N DIR [--chart CHART_DIR] [--config-template FILE]";
    let n: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| std::io::Error::other(usage))?;
    let out = PathBuf::from(args.get(1).ok_or_else(|| std::io::Error::other(usage))?);
    let chart = match args.iter().position(|a| a == "--chart") {
        Some(i) => Some(PathBuf::from(
            args.get(i + 1)
                .ok_or_else(|| std::io::Error::other(usage))?,
        )),
        None => None,
    };
    let template = match args.iter().position(|a| a == "--config-template") {
        Some(i) => Some(PathBuf::from(
            args.get(i + 1)
                .ok_or_else(|| std::io::Error::other(usage))?,
        )),
        None => None,
    };
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");

    copy_dir(&example.join("source"), &out.join("source"))?;
    if let Some(chart) = chart {
        std::fs::remove_dir_all(out.join("source/chart"))?;
        copy_dir(&chart, &out.join("source/chart"))?;
    }
    if let Some(template) = template {
        std::fs::copy(template, out.join("source/wo/config-template.yaml"))?;
    }

    let regions = 20;
    let sites = 500;
    let mut fleet = String::from(
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: prod\nhierarchy: [region, site]\ntargets:\n",
    );
    for t in 0..n {
        let tier = if t % 9 == 0 { "flagship" } else { "standard" };
        let _ = write!(
            fleet,
            "  - name: store-{t:05}\n    hierarchy: {{region: r{:02}, site: s{:03}}}\n    labels: {{tier: {tier}}}\n    capabilities: [helm]\n",
            t % regions,
            t % sites
        );
    }
    fleet.push_str("assignments:\n  - solution: shop\n    selector: {}\n");
    write(&out.join("fleet/fleet.yaml"), &fleet)?;

    let values = |body: &str| format!("apiVersion: wo/v1\nkind: Values\nvalues:\n{body}");
    write(
        &out.join("config/values.yaml"),
        &values("  Image: registry.example.com/shop:1.4.2\n  Replicas: 2\n  PaymentEndpoint: https://pay.example.com\n  FeatureFlags: [new-checkout]\n"),
    )?;
    for r in 0..regions {
        let currency = ["EUR", "USD", "GBP"][r % 3];
        write(
            &out.join(format!("config/levels/region/r{r:02}.yaml")),
            &values(&format!("  Currency: {currency}\n")),
        )?;
    }
    for s in (0..sites).step_by(5) {
        write(
            &out.join(format!("config/levels/site/s{s:03}.yaml")),
            &values("  Replicas: 3\n"),
        )?;
    }
    for t in (0..n).step_by(10) {
        write(
            &out.join(format!("config/targets/store-{t:05}.yaml")),
            &values(&format!("  Replicas: {}\n  LogLevel: debug\n", 1 + t % 4)),
        )?;
    }
    println!("wrote {n} targets under {}", out.display());
    Ok(())
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
