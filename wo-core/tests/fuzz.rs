//! Fuzz tests (issue 11): the YAML layer, the expression parser and evaluator (with the size
//! budgets), and every file format wo-core reads, fed generated and mutated inputs. Each input
//! must give a value or an `Error::Invalid` whose every diagnostic names the file; nothing may
//! panic, and no evaluated string may pass the string budget.
//!
//! proptest drives them (cargo-fuzz needs a nightly toolchain). Cases per test:
//! `WO_FUZZ_CASES` (default 256, what CI runs); a longer run and its measured inputs/s are in
//! docs/fuzzing.md:
//!
//! ```text
//! WO_FUZZ_CASES=100000 cargo test --release -p woac-core --test fuzz -- --nocapture
//! ```

use std::time::Instant;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};
use wo_core::engine::{self, Bundle};
use wo_core::expr::{Field, Scope, MAX_STRING_BYTES};
use wo_core::files::FileTree;
use wo_core::format::app::AppDescriptor as Application;
use wo_core::format::fleet::Fleet;
use wo_core::format::schema::Schema;
use wo_core::format::template::ConfigTemplate;
use wo_core::format::values::{Level, ValueFile, ValueSet};
use wo_core::pipeline::{Event, ReleaseRecord};
use wo_core::{yaml, Error};

/// Cases per fuzz test: `WO_FUZZ_CASES`, else 256.
fn cases() -> u32 {
    std::env::var("WO_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(256)
}

/// Runs `test` on `cases()` inputs of `strategy`; prints the rate (`--nocapture` shows it).
fn fuzz<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let cases = cases();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let started = Instant::now();
    let result = runner.run(&strategy, test);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fuzz {name}: {cases} inputs in {secs:.2} s, {:.0} inputs/s",
        f64::from(cases) / secs.max(1e-9)
    );
    if let Err(e) = result {
        panic!("fuzz {name}: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs: valid documents of every format, mutated by inserting, deleting, replacing and
// duplicating pieces; the inserted pieces are YAML and expression syntax, control and
// invisible characters, and arbitrary text.

const APP: &str = include_str!("../../examples/shop/source/wo/app.yaml");
const SCHEMA: &str = include_str!("../../examples/shop/source/wo/schema.yaml");
const TEMPLATE: &str = include_str!("../../examples/shop/source/wo/config-template.yaml");
const INCLUDE_SCHEMA: &str =
    include_str!("../../examples/shop/source/wo/includes/logging-schema.yaml");
const INCLUDE_TEMPLATE: &str =
    include_str!("../../examples/shop/source/wo/includes/logging-template.yaml");
const SOLUTION: &str = include_str!("../../examples/shop/source/wo/solution.yaml");
const CHART: &str = include_str!("../../examples/shop/source/chart/Chart.yaml");
const VALUES: &str = include_str!("../../examples/shop/config/values.yaml");
const REGION: &str = include_str!("../../examples/shop/config/levels/region/eu.yaml");
const SITE: &str = include_str!("../../examples/shop/config/levels/site/berlin.yaml");
const TARGET: &str = include_str!("../../examples/shop/config/targets/berlin-1.yaml");
const FLEET: &str = include_str!("../../examples/shop/fleet/fleet.yaml");
const RECORD: &str = "apiVersion: wo/v1\nkind: Release\nsolution: shop\nenvironment: dev\nprovenance:\n  sourceCommit: 0123456789abcdef0123456789abcdef01234567\n  configCommit: 89abcdef0123456789abcdef0123456789abcdef\n  fleetCommit: fedcba9876543210fedcba9876543210fedcba98\n  promotable: true\ntargets:\n  berlin-1:\n    orchestratorId: berlin-1-id\n    valuesSha256: 6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b\n    manifestsSha256: d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f64d6f0ebc96bac1e9c\n";
const EVENT: &str = r#"{"type": "deployment-finished", "environment": "dev", "sourceCommit": "0123456789abcdef0123456789abcdef01234567", "promotable": true, "succeeded": true}"#;

/// Pieces inserted into documents.
fn piece() -> impl Strategy<Value = String> {
    let syntax: Vec<&'static str> = vec![
        ":",
        ": ",
        "- ",
        "\n",
        "\n  ",
        "  ",
        "\t",
        "{",
        "}",
        "[",
        "]",
        ",",
        "'",
        "\"",
        "#",
        "|",
        ">",
        "|-",
        "&a ",
        "*a",
        "<<: *a",
        "!!str ",
        "!!binary ",
        "!tag ",
        "? ",
        "---\n",
        "...\n",
        "%YAML 1.2\n",
        "~",
        "null",
        "true",
        "1e400",
        "-.inf",
        ".nan",
        "0x1F",
        "${{",
        "}}",
        "${{ $val(Replicas) }}",
        "$val(",
        "$property(",
        "$target(",
        "$include(",
        ")",
        " + ",
        "\0",
        "\u{7}",
        "\r",
        "\u{FEFF}",
        "\u{200B}",
        "\u{202E}",
        "\u{85}",
        "\u{2028}",
        "é",
        "\\",
        "\\x",
        "\\u00",
        "  values:\n",
        "    Replicas: 3\n",
    ];
    prop_oneof![
        4 => proptest::sample::select(syntax).prop_map(str::to_owned),
        2 => "[a-zA-Z0-9_.-]{1,8}",
        1 => "\\PC{0,8}",
        1 => any::<String>().prop_map(|s| s.chars().take(8).collect()),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, String),
    Delete(Index, Index),
    Replace(Index, Index, String),
    Duplicate(Index, Index, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<Index>(), piece()).prop_map(|(a, p)| Edit::Insert(a, p)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Delete(a, b)),
        2 => (any::<Index>(), any::<Index>(), piece()).prop_map(|(a, b, p)| Edit::Replace(a, b, p)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, c)| Edit::Duplicate(a, b, c)),
    ]
}

/// A byte offset on a char boundary of `s`, picked by `i`.
fn at(s: &str, i: &Index) -> usize {
    let mut n = i.index(s.len() + 1);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    n
}

/// A range of at most 64 bytes of `s`.
fn span(s: &str, a: &Index, b: &Index) -> (usize, usize) {
    let start = at(s, a);
    let mut end = (start + b.index(65)).min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (start, end.max(start))
}

fn apply(doc: &str, edits: &[Edit]) -> String {
    let mut s = doc.to_owned();
    for e in edits {
        match e {
            Edit::Insert(a, p) => {
                let i = at(&s, a);
                s.insert_str(i, p);
            }
            Edit::Delete(a, b) => {
                let (x, y) = span(&s, a, b);
                s.replace_range(x..y, "");
            }
            Edit::Replace(a, b, p) => {
                let (x, y) = span(&s, a, b);
                s.replace_range(x..y, p);
            }
            Edit::Duplicate(a, b, c) => {
                let (x, y) = span(&s, a, b);
                let copy = s[x..y].to_owned();
                let i = at(&s, c);
                s.insert_str(i, &copy);
            }
        }
    }
    s
}

/// A mutation of one of `seeds`, or (one time in eight) text generated from the pieces alone.
fn mutated(seeds: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        7 => (proptest::sample::select(seeds), prop::collection::vec(edit(), 1..8))
            .prop_map(|(doc, edits)| apply(doc, &edits)),
        1 => prop::collection::vec(piece(), 0..40).prop_map(|p| p.concat()),
    ]
}

/// The outcome of reading an input: a value, or invalid input whose every diagnostic names
/// a file starting with `file` (and a line, when `line` is asked for).
fn invalid_with_location<T>(
    r: wo_core::Result<T>,
    file: &str,
    line: bool,
) -> Result<(), TestCaseError> {
    match r {
        Ok(_) => Ok(()),
        Err(Error::Invalid(ds)) => {
            prop_assert!(!ds.0.is_empty(), "an Invalid error without diagnostics");
            for d in &ds.0 {
                prop_assert!(
                    d.location.file.starts_with(file),
                    "diagnostic names `{}`, not `{file}`: {d}",
                    d.location.file
                );
                prop_assert!(!d.message.is_empty(), "empty message at {d}");
                if line {
                    prop_assert!(d.location.line.is_some(), "no line: {d}");
                }
            }
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!(
            "expected a value or Error::Invalid, got {other:?}"
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// The YAML layer.

const ALL: &[&str] = &[
    APP,
    SCHEMA,
    TEMPLATE,
    INCLUDE_SCHEMA,
    INCLUDE_TEMPLATE,
    SOLUTION,
    CHART,
    VALUES,
    REGION,
    SITE,
    TARGET,
    FLEET,
    RECORD,
];

#[test]
fn fuzz_yaml_parse_and_to_value() {
    fuzz("yaml", mutated(ALL), |text| {
        let r = yaml::parse(&text, "fuzz.yaml");
        if let Ok(node) = &r {
            invalid_with_location(node.to_value("fuzz.yaml"), "fuzz.yaml", false)?;
        }
        // Syntax errors always have a line.
        invalid_with_location(r, "fuzz.yaml", true)?;
        invalid_with_location(
            yaml::parse_stream(&text, "fuzz.yaml", &yaml::Budget::default()),
            "fuzz.yaml",
            true,
        )
    });
}

#[test]
fn fuzz_yaml_emit_round_trips() {
    // Whatever parses to a value is emitted as YAML that parses back to the same value.
    fuzz("yaml-emit", mutated(ALL), |text| {
        let Ok(v) = yaml::parse(&text, "in.yaml").and_then(|n| n.to_value("in.yaml")) else {
            return Ok(());
        };
        let emitted = yaml::to_string(&v);
        let back = yaml::parse(&emitted, "out.yaml").and_then(|n| n.to_value("out.yaml"));
        prop_assert!(
            back.is_ok(),
            "emitted YAML does not parse: {emitted:?}: {back:?}"
        );
        prop_assert_eq!(back.ok(), Some(v), "emitted: {:?}", emitted);
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// Every file format.

#[test]
fn fuzz_file_formats() {
    fuzz("formats", mutated(ALL), |text| {
        invalid_with_location(Application::parse(&text, "app.yaml"), "app.yaml", false)?;
        invalid_with_location(Schema::parse(&text, "schema.yaml"), "schema.yaml", false)?;
        invalid_with_location(
            ConfigTemplate::parse(&text, "template.yaml"),
            "template.yaml",
            false,
        )?;
        invalid_with_location(
            ValueFile::parse(&text, "values.yaml", Level::Environment),
            "values.yaml",
            false,
        )?;
        invalid_with_location(
            ValueFile::parse_plain(&text, "targets/t.yaml", Level::Target("t".into())),
            "targets/t.yaml",
            false,
        )?;
        invalid_with_location(Fleet::parse(&text, "fleet.yaml"), "fleet.yaml", false)?;
        invalid_with_location(
            ReleaseRecord::parse(&text, "release.yaml"),
            "release.yaml",
            false,
        )
    });
}

#[test]
fn fuzz_pipeline_events() {
    // Events as workflow steps pass them around (JSON, serde): no panic on any text.
    fuzz("events", mutated(&[EVENT]), |text| {
        let _ = serde_json::from_str::<Event>(&text);
        Ok(())
    });
}

/// The shop example's source tree with `path` replaced by `text`.
fn source_with(path: &str, text: &str) -> FileTree {
    let mut src = FileTree::new();
    for (p, t) in [
        ("wo/app.yaml", APP),
        ("wo/schema.yaml", SCHEMA),
        ("wo/config-template.yaml", TEMPLATE),
        ("wo/includes/logging-schema.yaml", INCLUDE_SCHEMA),
        ("wo/includes/logging-template.yaml", INCLUDE_TEMPLATE),
        ("wo/solution.yaml", SOLUTION),
        ("chart/Chart.yaml", CHART),
    ] {
        src.insert(p, if p == path { text } else { t }).unwrap();
    }
    src
}

/// The shop example's config tree with `path` replaced by `text`.
fn config_with(path: &str, text: &str) -> FileTree {
    let mut config = FileTree::new();
    for (p, t) in [
        ("values.yaml", VALUES),
        ("levels/region/eu.yaml", REGION),
        ("levels/site/berlin.yaml", SITE),
        ("targets/berlin-1.yaml", TARGET),
    ] {
        config.insert(p, if p == path { text } else { t }).unwrap();
    }
    config
}

const SOURCE_FILES: &[&str] = &[
    "wo/app.yaml",
    "wo/schema.yaml",
    "wo/config-template.yaml",
    "wo/includes/logging-schema.yaml",
    "wo/includes/logging-template.yaml",
    "wo/solution.yaml",
    "chart/Chart.yaml",
];
const CONFIG_FILES: &[&str] = &[
    "values.yaml",
    "levels/region/eu.yaml",
    "levels/site/berlin.yaml",
    "targets/berlin-1.yaml",
];

fn seed_of(path: &str) -> &'static str {
    match path {
        "wo/app.yaml" => APP,
        "wo/schema.yaml" => SCHEMA,
        "wo/config-template.yaml" => TEMPLATE,
        "wo/includes/logging-schema.yaml" => INCLUDE_SCHEMA,
        "wo/includes/logging-template.yaml" => INCLUDE_TEMPLATE,
        "wo/solution.yaml" => SOLUTION,
        "chart/Chart.yaml" => CHART,
        "values.yaml" => VALUES,
        "levels/region/eu.yaml" => REGION,
        "levels/site/berlin.yaml" => SITE,
        _ => TARGET,
    }
}

#[test]
fn fuzz_a_bundle_and_its_resolution() {
    // One file of the source or config tree mutated; the bundle loads, values load and every
    // target resolves, or the error is invalid input naming a file of the right tree.
    let files: Vec<&'static str> = SOURCE_FILES.iter().chain(CONFIG_FILES).copied().collect();
    let input = (
        proptest::sample::select(files),
        prop::collection::vec(edit(), 1..6),
    )
        .prop_map(|(path, edits)| (path, apply(seed_of(path), &edits)));
    let fleet = Fleet::parse(FLEET, "fleet/fleet.yaml").unwrap();
    fuzz("bundle", input, |(path, text)| {
        let in_source = SOURCE_FILES.contains(&path);
        let (src, config) = if in_source {
            (source_with(path, &text), config_with("", ""))
        } else {
            (source_with("", ""), config_with(path, &text))
        };
        let bundle = Bundle::load(&src, "source");
        invalid_with_location(
            bundle.as_ref().map(|_| ()).map_err(clone_err),
            "source/",
            false,
        )?;
        let values = ValueSet::load(&config, "config");
        invalid_with_location(
            values.as_ref().map(|_| ()).map_err(clone_err),
            "config/",
            false,
        )?;
        if let (Ok(bundle), Ok(values)) = (bundle, values) {
            for t in &fleet.targets {
                let r = engine::resolve(&bundle, &values, &fleet, &t.name);
                match &r {
                    Err(Error::Invalid(ds)) => {
                        for d in &ds.0 {
                            prop_assert!(
                                d.location.file.starts_with("source/")
                                    || d.location.file.starts_with("config/")
                                    || d.location.file.starts_with("fleet/"),
                                "resolution error without its file: {d}"
                            );
                        }
                    }
                    Err(other) => return Err(TestCaseError::fail(format!("resolve: {other:?}"))),
                    Ok(_) => {}
                }
            }
        }
        Ok(())
    });
}

fn clone_err(e: &Error) -> Error {
    match e {
        Error::Invalid(ds) => Error::Invalid(ds.clone()),
        other => Error::unsupported(other.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// The expression parser and evaluator.

/// Looks values up by path: a few fixed ones, a 1 MiB string at `Big`, and for any other path
/// a value derived from its text.
struct FuzzScope;

impl FuzzScope {
    fn lookup(path: &str) -> Result<Value, String> {
        Ok(match path {
            "Big" => Value::String("x".repeat(1 << 20)),
            "Port" => json!(8080),
            "Host" => json!("db.example"),
            "List" => json!([1, "two", null, {"k": [true]}]),
            "Map" => json!({"a": 1, "b": {"c": "d"}}),
            "Null" => Value::Null,
            "Fail" => return Err("`Fail` fails".into()),
            other if other.len() % 3 == 0 => json!(other.len()),
            other => json!(other),
        })
    }
}

impl Scope for FuzzScope {
    fn val(&self, path: &str) -> Result<Value, String> {
        Self::lookup(path)
    }
    fn property(&self, path: &str) -> Result<Value, String> {
        Self::lookup(path)
    }
    fn target(&self, path: &str) -> Result<Value, String> {
        Self::lookup(path)
    }
}

/// Expression text from the grammar (calls of known and unknown functions, literals, `+`),
/// often mutated.
fn expression() -> impl Strategy<Value = String> {
    let names: Vec<String> = wo_core::expr::function_names()
        .map(|n| format!("${n}"))
        .chain(["$nope".to_owned(), "$".to_owned(), "$$".to_owned()])
        .collect();
    let leaf = prop_oneof![
        proptest::sample::select(vec![
            "Big", "Port", "Host", "List", "Map", "Null", "Fail", "1", "-2.5", "true", "null",
            "'q'", "\"dq\"", "'un", "\"\\\"", "a b", "",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z0-9_.]{0,6}",
    ];
    let expr = leaf.prop_recursive(6, 48, 4, move |inner| {
        prop_oneof![
            (
                proptest::sample::select(names.clone()),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(n, args)| format!("{n}({})", args.join(", "))),
            prop::collection::vec(inner, 2..5).prop_map(|p| p.join(" + ")),
        ]
    });
    let field = (
        "[a-z :/-]{0,4}",
        prop::collection::vec(expr, 1..3),
        "[a-z :/-]{0,4}",
    )
        .prop_map(|(before, exprs, after)| {
            let inner: Vec<String> = exprs.iter().map(|e| format!("${{{{ {e} }}}}")).collect();
            format!("{before}{}{after}", inner.join("-"))
        });
    prop_oneof![
        3 => field.clone(),
        2 => (field, prop::collection::vec(edit(), 1..4)).prop_map(|(f, e)| apply(&f, &e)),
    ]
}

#[test]
fn fuzz_expressions_parse_and_evaluate_within_the_budgets() {
    fuzz("expressions", expression(), |text| {
        match Field::parse(&text) {
            Err(e) => {
                prop_assert!(
                    e.span.start <= e.span.end && e.span.end <= text.len(),
                    "span {:?} outside the text ({} bytes)",
                    e.span,
                    text.len()
                );
                prop_assert!(!e.message.is_empty());
            }
            Ok(None) => prop_assert!(!text.contains("${{"), "`${{{{` not seen: {text:?}"),
            Ok(Some(field)) => {
                let _ = field.refs();
                match field.eval(&FuzzScope) {
                    Ok(Value::String(s)) => prop_assert!(
                        s.len() <= MAX_STRING_BYTES,
                        "a {} byte string passed the budget",
                        s.len()
                    ),
                    Ok(_) => {}
                    Err(e) => {
                        prop_assert!(!e.message.is_empty());
                        if e.budget {
                            prop_assert!(e.message.contains("MAX_STRING_BYTES"), "{}", e.message);
                        }
                    }
                }
            }
        }
        Ok(())
    });
}

#[test]
fn the_seeds_are_valid() {
    // Mutations start from valid documents of each format.
    Application::parse(APP, "app.yaml").unwrap();
    Schema::parse(SCHEMA, "schema.yaml").unwrap();
    Schema::parse(INCLUDE_SCHEMA, "schema.yaml").unwrap();
    ConfigTemplate::parse(TEMPLATE, "template.yaml").unwrap();
    ConfigTemplate::parse(INCLUDE_TEMPLATE, "template.yaml").unwrap();
    ValueFile::parse(VALUES, "values.yaml", Level::Environment).unwrap();
    Fleet::parse(FLEET, "fleet.yaml").unwrap();
    ReleaseRecord::parse(RECORD, "release.yaml").unwrap();
    serde_json::from_str::<Event>(EVENT).unwrap();
    let bundle = Bundle::load(&source_with("", ""), "source").unwrap();
    let values = ValueSet::load(&config_with("", ""), "config").unwrap();
    let fleet = Fleet::parse(FLEET, "fleet.yaml").unwrap();
    engine::resolve(&bundle, &values, &fleet, "berlin-1").unwrap();
    // The budget property is reachable: `Big` doubled past 4 MiB fails on it.
    let f = Field::parse("${{ $val(Big) + $val(Big) + $val(Big) + $val(Big) + $val(Big) }}")
        .unwrap()
        .unwrap();
    assert!(f.eval(&FuzzScope).unwrap_err().budget);
}
