//! Issue 11, class 2: a null in a value file is an explicit value that must satisfy the key's
//! rules (README, "Nulls and empty values"). Each test failed before the rule was applied.

use wo_core::engine::{self, Bundle, Source};
use wo_core::files::FileTree;
use wo_core::format::fleet::Fleet;
use wo_core::format::values::ValueSet;
use wo_core::{Diagnostic, Error, Value};

const SCHEMA: &str = r#"rules:
  configs:
    Image: {type: string, required: true, pattern: "[a-z./:0-9-]+"}
    LogLevel: {allowedValues: [debug, info]}
    Mode: {allowedValues: [fast, null]}
    Zone: {disallowedValues: [null, mars]}
    Tag: {pattern: "v[0-9]+"}
    Replicas: {minValue: 1}
    Note: {}
    Port: {type: int}
    Motto: {type: string, pattern: ".+"}
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

/// Resolves `berlin-1` from an environment file and a target file (bodies under `values:`).
fn resolve(env: &str, target: &str) -> wo_core::Result<engine::ResolvedConfig> {
    let mut t = FileTree::new();
    t.insert(
        "values.yaml",
        format!("apiVersion: wo/v1\nkind: Values\nvalues:\n  Image: nginx\n{env}"),
    )
    .unwrap();
    t.insert(
        "targets/berlin-1.yaml",
        format!("apiVersion: wo/v1\nkind: Values\nvalues:\n{target}"),
    )
    .unwrap();
    let values = ValueSet::load(&t, "config")?;
    engine::resolve(&bundle(), &values, &fleet(), "berlin-1")
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
fn a_null_for_a_required_key_is_an_error_at_its_line() {
    // The issue's case: `Image: ~` validated and rendered `image: null`.
    let ds = problems(resolve("", "  Image: ~\n"));
    assert_eq!(ds.len(), 1, "{ds:#?}");
    assert_eq!(
        place(&ds[0]),
        ("config/targets/berlin-1.yaml", "values.Image", Some(4))
    );
    assert!(ds[0].message.contains("required"), "{}", ds[0].message);
}

#[test]
fn a_null_never_overrides_an_inherited_value_of_a_key_that_does_not_allow_null() {
    // `Port` is typed; the environment sets it, the target writes null.
    let ds = problems(resolve("  Port: 8080\n", "  Port: null\n"));
    assert_eq!(
        place(&ds[0]),
        ("config/targets/berlin-1.yaml", "values.Port", Some(4))
    );
    assert!(
        ds[0].message.contains("expected int, found null"),
        "{}",
        ds[0].message
    );
}

#[test]
fn a_null_must_satisfy_allowed_values_and_disallowed_values() {
    let ds = problems(resolve("", "  LogLevel: ~\n  Zone: ~\n"));
    let messages: Vec<&str> = ds.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(ds.len(), 2, "{messages:?}");
    assert!(
        messages[0].contains("not one of the allowed values"),
        "{messages:?}"
    );
    assert!(messages[1].contains("disallowed"), "{messages:?}");
    // Listed among the allowed values, a null is a value like the others.
    let r = resolve("  Mode: fast\n", "  Mode: ~\n").unwrap();
    assert_eq!(r.values["Mode"], Value::Null);
}

#[test]
fn empty_values_must_match_the_pattern() {
    // `Tag:` is null, `Motto: ""` an empty string: neither matches.
    let ds = problems(resolve("", "  Tag:\n  Motto: \"\"\n"));
    let found: Vec<(&str, &str)> = ds
        .iter()
        .map(|d| (d.location.key_path.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(ds.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "values.Tag");
    assert!(
        found[0].1.contains("does not match the pattern"),
        "{found:?}"
    );
    assert_eq!(found[1].0, "values.Motto");
    assert!(
        found[1].1.contains("does not match the pattern"),
        "{found:?}"
    );
}

#[test]
fn a_null_is_not_a_number_for_min_and_max() {
    let ds = problems(resolve("", "  Replicas: ~\n"));
    assert!(ds[0].message.contains("null is not a number"), "{ds:?}");
}

#[test]
fn a_key_whose_rules_allow_null_may_be_set_to_null_and_says_where() {
    let r = resolve("  Note: hello\n", "  Note: ~\n").unwrap();
    assert_eq!(r.values["Note"], Value::Null);
    let p = &r.provenance["Note"];
    assert_eq!(p.source, Source::File);
    assert_eq!(p.file.as_deref(), Some("config/targets/berlin-1.yaml"));
    // Not set anywhere and not required: null, from no file.
    assert_eq!(r.values["Tag"], Value::Null);
    assert_eq!(r.provenance["Tag"].source, Source::Default);
}
