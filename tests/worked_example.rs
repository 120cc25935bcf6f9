//! End to end through the facade: the worked example resolves for every assigned target, and
//! the answers follow the composition rules the README states.

use std::path::Path;

use wo::core::engine::{Bundle, Resolver, Source};
use wo::core::files::FileTree;
use wo::core::format::fleet::Fleet;
use wo::core::format::values::ValueSet;

fn load() -> (Bundle, ValueSet, Fleet) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");
    let bundle =
        Bundle::load(&FileTree::load_dir(&root.join("source")).unwrap(), "source").unwrap();
    let values =
        ValueSet::load(&FileTree::load_dir(&root.join("config")).unwrap(), "config").unwrap();
    let text = std::fs::read_to_string(root.join("fleet/fleet.yaml")).unwrap();
    (
        bundle,
        values,
        Fleet::parse(&text, "fleet/fleet.yaml").unwrap(),
    )
}

#[test]
fn every_assigned_target_resolves() {
    let (bundle, values, fleet) = load();
    let r = Resolver::new(&bundle, &values, &fleet).unwrap();
    let names: Vec<&str> = r
        .targets()
        .unwrap()
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    // lab-1 lacks the `helm` capability, so the `{}` selector leaves it out.
    assert_eq!(names, ["berlin-1", "berlin-2", "london-1", "chicago-1"]);
    for t in r.targets().unwrap() {
        r.resolve(t).unwrap();
    }
}

#[test]
fn lowest_level_wins_across_all_four_levels() {
    let (bundle, values, fleet) = load();
    let r = Resolver::new(&bundle, &values, &fleet).unwrap();
    let at = |t: &str| r.resolve(fleet.target(t).unwrap()).unwrap();
    // Replicas: environment 2, site berlin 3, target berlin-1 4.
    assert_eq!(at("berlin-1").values["replicas"], 4);
    assert_eq!(at("berlin-2").values["replicas"], 3);
    assert_eq!(at("london-1").values["replicas"], 2);
    // Currency: region eu EUR, target london-1 GBP, region us USD.
    assert_eq!(at("berlin-2").values["store"]["currency"], "EUR");
    assert_eq!(at("london-1").values["store"]["currency"], "GBP");
    assert_eq!(at("chicago-1").values["store"]["currency"], "USD");
    assert_eq!(
        at("chicago-1").values["payment"]["callbackUrl"],
        "https://pay-us.example.com/callback/chicago-1"
    );
    let p = &at("berlin-2").provenance["replicas"];
    assert_eq!(
        (p.source, p.file.as_deref(), p.level.as_deref()),
        (
            Source::File,
            Some("config/levels/site/berlin.yaml"),
            Some("site")
        )
    );
    let p = &at("berlin-2").provenance["autoscaling.maxReplicas"];
    assert_eq!(p.source, Source::Default);
}

#[test]
fn resolution_is_deterministic() {
    let (bundle, values, fleet) = load();
    let r = Resolver::new(&bundle, &values, &fleet).unwrap();
    let t = fleet.target("berlin-1").unwrap();
    let a = serde_json::to_string(&r.resolve(t).unwrap()).unwrap();
    let b = serde_json::to_string(&r.resolve(t).unwrap()).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        r.resolve(t).unwrap().values_yaml(),
        r.resolve(t).unwrap().values_yaml()
    );
}
