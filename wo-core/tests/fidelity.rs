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
