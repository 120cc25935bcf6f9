//! Properties of composition and validation, checked on generated inputs.
#![allow(clippy::needless_range_loop)] // indexes mirror the levels × keys table being checked

use proptest::prelude::*;
use wo_core::engine::{Bundle, ResolvedConfig, Resolver, Source};
use wo_core::files::FileTree;
use wo_core::format::fleet::Fleet;
use wo_core::format::values::ValueSet;

const KEYS: usize = 4;
/// The files of the four levels, outermost first.
const LEVEL_FILES: [&str; 4] = [
    "values.yaml",
    "levels/region/eu.yaml",
    "levels/site/berlin.yaml",
    "targets/t1.yaml",
];

fn bundle(schema_rules: &str) -> Bundle {
    let mut src = FileTree::new();
    src.insert(
        "wo/app.yaml",
        "apiVersion: wo/v1\nkind: Application\nname: app\nchart: chart\nschema: wo/schema.yaml\n",
    )
    .unwrap();
    src.insert(
        "wo/schema.yaml",
        format!("rules:\n  configs:\n{schema_rules}"),
    )
    .unwrap();
    src.insert(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    )
    .unwrap();
    Bundle::load(&src, "").unwrap()
}

fn fleet() -> Fleet {
    Fleet::parse(
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\nhierarchy: [region, site]\ntargets:\n  - name: t1\n    hierarchy: {region: eu, site: berlin}\n  - name: t2\n    hierarchy: {region: us, site: chicago}\n",
        "fleet.yaml",
    )
    .unwrap()
}

fn value_file(entries: &[(String, String)]) -> String {
    let mut s = String::from("apiVersion: wo/v1\nkind: Values\nvalues:\n");
    for (k, v) in entries {
        s.push_str(&format!("  {k}: {v}\n"));
    }
    s
}

/// Resolves `target`; checks on the way that resolving without provenance (what a render
/// does) gives the same values, or the same errors, and no provenance.
fn resolve(b: &Bundle, values: &ValueSet, target: &str) -> wo_core::Result<ResolvedConfig> {
    let f = fleet();
    let r = Resolver::new(b, values, &f)?;
    let full = r.resolve(f.target(target).unwrap());
    let plain = r.resolve_values(f.target(target).unwrap());
    match (&full, &plain) {
        (Ok(full), Ok(plain)) => {
            assert_eq!(full.values, plain.values);
            assert_eq!(
                serde_json::to_string(&full.values).ok(),
                serde_json::to_string(&plain.values).ok(),
                "the same key order"
            );
            assert!(plain.provenance.is_empty());
        }
        (Err(full), Err(plain)) => assert_eq!(full.to_string(), plain.to_string()),
        _ => panic!("resolve gave {full:?}, resolve_values {plain:?}"),
    }
    full
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// For every key, the lowest level that sets it wins; unset keys take the default; the
    /// provenance names the file that supplied the value.
    #[test]
    fn lowest_level_wins_and_provenance_names_the_file(
        sets in proptest::collection::vec(proptest::collection::vec(proptest::option::of(-1000i64..1000), KEYS), 4)
    ) {
        let rules: String = (0..KEYS).map(|k| format!("    K{k}: {{type: int, defaultValue: 7}}\n")).collect();
        let b = bundle(&rules);
        let mut tree = FileTree::new();
        for (level, file) in LEVEL_FILES.iter().enumerate() {
            let entries: Vec<(String, String)> = sets[level]
                .iter()
                .enumerate()
                .filter_map(|(k, v)| v.map(|v| (format!("K{k}"), v.to_string())))
                .collect();
            tree.insert(*file, value_file(&entries)).unwrap();
        }
        let values = ValueSet::load(&tree, "").unwrap();
        let resolved = resolve(&b, &values, "t1").unwrap();
        for k in 0..KEYS {
            let key = format!("K{k}");
            let lowest = (0..4).rev().find(|&l| sets[l][k].is_some());
            let prov = &resolved.provenance[&key];
            match lowest {
                Some(l) => {
                    prop_assert_eq!(&resolved.values[&key], &serde_json::json!(sets[l][k].unwrap()));
                    prop_assert_eq!(prov.source, Source::File);
                    prop_assert_eq!(prov.file.as_deref(), Some(LEVEL_FILES[l]));
                }
                None => {
                    prop_assert_eq!(&resolved.values[&key], &serde_json::json!(7));
                    prop_assert_eq!(prov.source, Source::Default);
                }
            }
        }
        // t2 sits under other nodes: only the environment file applies to it.
        let other = resolve(&b, &values, "t2").unwrap();
        for k in 0..KEYS {
            let expect = sets[0][k].unwrap_or(7);
            prop_assert_eq!(&other.values[&format!("K{k}")], &serde_json::json!(expect));
        }
    }

    /// The same files in any order give the same bytes.
    #[test]
    fn composition_is_deterministic_and_order_independent(
        sets in proptest::collection::vec(proptest::collection::vec(proptest::option::of(0i64..50), KEYS), 4),
        order in Just((0..4usize).collect::<Vec<_>>()).prop_shuffle(),
    ) {
        let rules: String = (0..KEYS).map(|k| format!("    K{k}: {{type: int, defaultValue: 1}}\n")).collect();
        let b = bundle(&rules);
        let mut tree = FileTree::new();
        for (level, file) in LEVEL_FILES.iter().enumerate() {
            let entries: Vec<(String, String)> = sets[level]
                .iter()
                .enumerate()
                .filter_map(|(k, v)| v.map(|v| (format!("K{k}"), v.to_string())))
                .collect();
            tree.insert(*file, value_file(&entries)).unwrap();
        }
        let sorted = ValueSet::load(&tree, "").unwrap();
        let shuffled = ValueSet { files: order.iter().map(|&i| sorted.files[i].clone()).collect() };
        let a = serde_json::to_string(&resolve(&b, &sorted, "t1").unwrap()).unwrap();
        let again = serde_json::to_string(&resolve(&b, &sorted, "t1").unwrap()).unwrap();
        let c = serde_json::to_string(&resolve(&b, &shuffled, "t1").unwrap()).unwrap();
        prop_assert_eq!(&a, &again);
        prop_assert_eq!(&a, &c);
    }

    /// Validation never accepts a number outside min/max/allowedValues.
    #[test]
    fn numbers_outside_their_rules_are_refused(v in -50i64..150, lo in 0i64..50, span in 0i64..60, allowed in proptest::collection::vec(-10i64..110, 1..6)) {
        let hi = lo + span;
        let list = allowed.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ");
        let b = bundle(&format!("    N: {{type: int, minValue: {lo}, maxValue: {hi}, allowedValues: [{list}]}}\n"));
        let mut tree = FileTree::new();
        tree.insert("targets/t1.yaml", value_file(&[("N".into(), v.to_string())])).unwrap();
        let values = ValueSet::load(&tree, "");
        let accepted = values.and_then(|values| resolve(&b, &values, "t1")).is_ok();
        let legal = v >= lo && v <= hi && allowed.contains(&v);
        prop_assert_eq!(accepted, legal);
    }

    /// Validation never accepts a string that does not match the pattern.
    #[test]
    fn strings_outside_their_pattern_are_refused(s in "[a-e]{0,4}") {
        let b = bundle("    S: {type: string, pattern: \"^[a-c]{1,3}$\"}\n");
        let mut tree = FileTree::new();
        tree.insert("values.yaml", value_file(&[("S".into(), format!("'{s}'"))])).unwrap();
        let values = ValueSet::load(&tree, "").unwrap();
        let accepted = resolve(&b, &values, "t1").is_ok();
        let legal = !s.is_empty() && s.len() <= 3 && s.chars().all(|c| ('a'..='c').contains(&c));
        prop_assert_eq!(accepted, legal);
    }
}

#[test]
fn editable_at_refuses_other_levels() {
    let b = bundle("    Image: {type: string, editableAt: [environment]}\n");
    let mut tree = FileTree::new();
    tree.insert(
        "levels/region/eu.yaml",
        value_file(&[("Image".into(), "x:1".into())]),
    )
    .unwrap();
    let values = ValueSet::load(&tree, "").unwrap();
    let err = resolve(&b, &values, "t1").unwrap_err();
    assert!(
        err.to_string().contains("may not be set at level `region`"),
        "{err}"
    );
    assert_eq!(err.diagnostics()[0].location.line, Some(4));
}

#[test]
fn expressions_see_values_targets_and_properties() {
    let mut src = FileTree::new();
    src.insert(
        "wo/app.yaml",
        "apiVersion: wo/v1\nkind: Application\nname: app\nchart: chart\nschema: wo/schema.yaml\nconfigTemplate: wo/template.yaml\n",
    )
    .unwrap();
    src.insert("wo/schema.yaml", "rules:\n  configs:\n    Host: {type: string, defaultValue: example.com}\n    Port: {type: int, defaultValue: 8080}\n").unwrap();
    src.insert(
        "wo/template.yaml",
        "configs:\n  url: https://${{$val(Host)}}:${{$val(Port)}}\n  where: ${{ $target(hierarchy.region) + '/' + $target(name) }}\n  full: ${{ $property(url) + '/x' }}\n  big: ${{ $gt($val(Port), 1024) }}\n",
    )
    .unwrap();
    src.insert(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    )
    .unwrap();
    let b = Bundle::load(&src, "").unwrap();
    let r = resolve(&b, &ValueSet::default(), "t1").unwrap();
    assert_eq!(r.values["url"], "https://example.com:8080");
    assert_eq!(r.values["where"], "eu/t1");
    assert_eq!(r.values["full"], "https://example.com:8080/x");
    assert_eq!(r.values["big"], true);
    assert_eq!(r.provenance["url"].source, Source::Expression);
}
