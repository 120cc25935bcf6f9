//! Issue 12, item 6 "Engine fidelity": wo reads and checks values the way Workload
//! Orchestration does. Each test failed before its change.

use wo_core::engine::{self, Bundle};
use wo_core::files::FileTree;
use wo_core::format::fleet::Fleet;
use wo_core::format::values::ValueSet;
use wo_core::{Diagnostic, Error};

const SCHEMA: &str = r#"rules:
  configs:
    Endpoint: {type: string, pattern: "^https://"}
    Tag: {type: string, pattern: "[0-9]+"}
    Zone: {type: string, pattern: "^[a-z]+$"}
    Replicas: {type: int, defaultValue: 1, maxValue: 20}
"#;

fn bundle() -> Bundle {
    let mut src = FileTree::new();
    src.insert(
        "wo/app.yaml",
        "apiVersion: wo/v1\nkind: Application\nname: shop\nchart: chart\nschema: wo/schema.yaml\n",
    )
    .unwrap();
    src.insert("wo/schema.yaml", SCHEMA).unwrap();
    src.insert("chart/Chart.yaml", "name: shop\n").unwrap();
    Bundle::load(&src, "source").unwrap()
}

fn fleet() -> Fleet {
    Fleet::parse(
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - name: berlin-1\n",
        "platform/fleet.yaml",
    )
    .unwrap()
}

/// Resolves `berlin-1` from the given files of a config branch.
fn resolve(files: &[(&str, &str)]) -> wo_core::Result<engine::ResolvedConfig> {
    let mut t = FileTree::new();
    for (path, text) in files {
        t.insert(*path, *text).unwrap();
    }
    let values = ValueSet::load(&t, "config")?;
    engine::resolve(&bundle(), &values, &fleet(), "berlin-1")
}

/// Resolves with one environment file in wo's envelope holding `body` (indented under
/// `values:`).
fn resolve_env(body: &str) -> wo_core::Result<engine::ResolvedConfig> {
    let text = format!("apiVersion: wo/v1\nkind: Values\nvalues:\n{body}");
    resolve(&[("values.yaml", &text)])
}

fn problems(r: wo_core::Result<engine::ResolvedConfig>) -> Vec<Diagnostic> {
    match r {
        Err(Error::Invalid(ds)) => ds.0,
        Ok(v) => panic!("expected invalid input, got {:?}", v.values),
        Err(e) => panic!("expected invalid input, got {e}"),
    }
}

fn place(d: &Diagnostic) -> (&str, &str, Option<u32>) {
    (
        d.location.file.as_str(),
        d.location.key_path.as_str(),
        d.location.line,
    )
}

#[test]
fn patterns_search_the_value_unanchored_as_wo_does() {
    // WO's engine checks `pattern` with Go's `regexp.MatchString`, which reports whether the
    // string contains any match of the expression; JSON Schema's `pattern` is not implicitly
    // anchored either. So `^https://` accepts any https URL and `[0-9]+` accepts `v12`.
    let r = resolve_env("  Endpoint: https://pay.example.com\n  Tag: v12\n  Zone: eu\n").unwrap();
    assert_eq!(r.values["Endpoint"], "https://pay.example.com");
    assert_eq!(r.values["Tag"], "v12");
}

#[test]
fn a_pattern_anchors_only_where_it_says_so() {
    let ds = problems(resolve_env(
        "  Endpoint: see https://pay.example.com\n  Tag: latest\n  Zone: eu-west\n",
    ));
    let found: Vec<(&str, &str)> = ds
        .iter()
        .map(|d| (d.location.key_path.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "values.Endpoint",
                "`Endpoint`: \"see https://pay.example.com\" does not match the pattern `^https://`"
            ),
            (
                "values.Tag",
                "`Tag`: \"latest\" does not match the pattern `[0-9]+`"
            ),
            (
                "values.Zone",
                "`Zone`: \"eu-west\" does not match the pattern `^[a-z]+$`"
            ),
        ]
    );
    assert_eq!(
        place(&ds[0]),
        ("config/values.yaml", "values.Endpoint", Some(4))
    );
}

#[test]
fn a_plain_wo_value_file_resolves_like_the_envelope() {
    // What `az workload-orchestration configuration set --file` takes: the mapping alone.
    let plain = resolve(&[
        (
            "values.yaml",
            "Endpoint: https://pay.example.com\nTag: v1\n",
        ),
        ("targets/berlin-1.yaml", "Replicas: 3\n"),
    ])
    .unwrap();
    let envelope = resolve(&[
        (
            "values.yaml",
            "apiVersion: wo/v1\nkind: Values\nvalues:\n  Endpoint: https://pay.example.com\n  Tag: v1\n",
        ),
        (
            "targets/berlin-1.yaml",
            "apiVersion: wo/v1\nkind: Values\nvalues:\n  Replicas: 3\n",
        ),
    ])
    .unwrap();
    assert_eq!(plain.values, envelope.values);
    assert_eq!(plain.values["Replicas"], 3);
    let p = &plain.provenance["Replicas"];
    assert_eq!(
        (p.file.as_deref(), p.level.as_deref(), p.line),
        (
            Some("config/targets/berlin-1.yaml"),
            Some("target"),
            Some(1)
        )
    );
}

#[test]
fn a_plain_value_file_is_checked_like_the_envelope_with_its_own_key_paths() {
    let ds = problems(resolve(&[
        ("values.yaml", "Tag: v1\nReplicsa: 2\n"),
        ("targets/berlin-1.yaml", "Tag: v2\nReplicas: 50\n"),
    ]));
    let found: Vec<(&str, &str, Option<u32>, &str)> = ds
        .iter()
        .map(|d| {
            let (file, key, line) = place(d);
            (file, key, line, d.message.as_str())
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "config/targets/berlin-1.yaml",
                "Replicas",
                Some(2),
                "`Replicas`: 50 is above maxValue 20"
            ),
            (
                "config/values.yaml",
                "Replicsa",
                Some(2),
                "`Replicsa` is not a key of the schema of `shop`"
            ),
        ]
    );
    // Duplicate keys and non-scalar keys are refused at their line, as in the envelope.
    let ds = problems(resolve(&[("values.yaml", "Tag: v1\nTag: v2\n")]));
    assert_eq!(ds[0].location.file, "config/values.yaml");
    assert_eq!(ds[0].location.line, Some(2));
    assert!(ds[0].message.contains("duplicate"), "{}", ds[0].message);
}

#[test]
fn half_an_envelope_is_refused_naming_the_missing_field() {
    for (text, key, missing) in [
        (
            "apiVersion: wo/v1\nvalues:\n  Tag: v1\n",
            "kind",
            "missing `kind`",
        ),
        (
            "kind: Values\nvalues:\n  Tag: v1\n",
            "apiVersion",
            "missing `apiVersion: wo/v1`",
        ),
    ] {
        let ds = problems(resolve(&[("values.yaml", text)]));
        assert_eq!(ds.len(), 1, "{ds:#?}");
        assert_eq!(place(&ds[0]), ("config/values.yaml", key, Some(1)));
        assert!(ds[0].message.contains(missing), "{}", ds[0].message);
        let hint = ds[0].hint.as_deref().unwrap_or_default();
        assert!(hint.contains("plain `Key: value` mapping"), "{hint}");
    }
}
