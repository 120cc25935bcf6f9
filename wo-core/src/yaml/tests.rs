use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::*;
use crate::error::Diagnostic;

/// The single diagnostic of an `Error::Invalid`.
fn diag(err: Error) -> Diagnostic {
    match err {
        Error::Invalid(d) if d.0.len() == 1 => d.0.into_iter().next().unwrap(),
        other => panic!("expected one diagnostic, got {other:?}"),
    }
}

fn parse_err(text: &str) -> Diagnostic {
    diag(parse(text, "f.yaml").unwrap_err())
}

fn val(text: &str) -> Value {
    parse(text, "f.yaml").unwrap().to_value("f.yaml").unwrap()
}

// ---- parsing ---------------------------------------------------------------------------------

#[test]
fn yaml11_schema_reads_plain_scalars_as_kubernetes_does() {
    let text = "a: on\nb: 'on'\nc: 0777\nd: \"0777\"\ne: 1e3\nf: ~\ng: yes\nh: !!str off\ni: !!int 0x10\nj: !!float 1\nk: 2024-01-01\non: x\n---\nx: y\n";
    let docs = parse_stream_as(text, "m.yaml", &Budget::default(), Schema::Yaml11).unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(
        docs[0].to_value("m.yaml").unwrap(),
        json!({"a": true, "b": "on", "c": 511, "d": "0777", "e": 1000.0, "f": null, "g": true,
               "h": "off", "i": 16, "j": 1.0, "k": "2024-01-01", "true": "x"})
    );
    assert_eq!(docs[1].to_value("m.yaml").unwrap(), json!({"x": true}));
    // The core schema, for the files people write, is unchanged.
    let core = parse_stream(text, "m.yaml", &Budget::default()).unwrap();
    assert_eq!(core[0].get("a").unwrap().kind, NodeKind::Str("on".into()));
    assert_eq!(core[0].get("c").unwrap().kind, NodeKind::Int(777));

    // Merge keys, as go-yaml v2 applies them (checked against Helm's `fromYaml`): in document
    // order, later entries win; in a merged sequence, earlier maps win.
    let text = "base: &b {x: 1, k: 2}\nm:\n  <<: *b\n  k: 3\nl:\n  k: 3\n  <<: *b\ns:\n  <<: [{a: 1}, {a: 2, b: 2}]\nq:\n  '<<': 1\n  <<: {z: 0}\n";
    let docs = parse_stream_as(text, "m.yaml", &Budget::default(), Schema::Yaml11).unwrap();
    assert_eq!(
        docs[0].to_value("m.yaml").unwrap(),
        json!({"base": {"x": 1, "k": 2}, "m": {"x": 1, "k": 3}, "l": {"k": 2, "x": 1},
               "s": {"a": 1, "b": 2}, "q": {"<<": 1, "z": 0}})
    );
    let err = parse_stream_as(
        "m:\n  <<: 1\n",
        "m.yaml",
        &Budget::default(),
        Schema::Yaml11,
    )
    .unwrap_err();
    assert!(err.to_string().contains("merge key"), "{err}");
    // Keys become the strings Kubernetes makes of them.
    let docs = parse_stream_as(
        "data: {1e3: a, 0777: b, on: c, n: d, 1.5: e}\n",
        "m.yaml",
        &Budget::default(),
        Schema::Yaml11,
    )
    .unwrap();
    assert_eq!(
        docs[0].to_value("m.yaml").unwrap(),
        json!({"data": {"1000": "a", "511": "b", "true": "c", "false": "d", "1.5": "e"}})
    );
    let err = parse_stream_as("~: x\n", "m.yaml", &Budget::default(), Schema::Yaml11).unwrap_err();
    assert!(err.to_string().contains("null mapping key"), "{err}");
    let err = parse_stream_as(
        "on: 1\ntrue: 2\n",
        "m.yaml",
        &Budget::default(),
        Schema::Yaml11,
    )
    .unwrap_err();
    assert!(err.to_string().contains("duplicate key `true`"), "{err}");
    // Under the core schema `<<` is an ordinary key.
    let core = parse_stream("m:\n  <<: 1\n", "m.yaml", &Budget::default()).unwrap();
    assert_eq!(core[0].to_value("m.yaml").unwrap(), json!({"m": {"<<": 1}}));

    let err = parse_stream_as(
        "a: !!bool maybe\n",
        "m.yaml",
        &Budget::default(),
        Schema::Yaml11,
    )
    .unwrap_err();
    assert!(err.to_string().contains("not a boolean"), "{err}");
    let err = parse_stream_as(
        "a: 0x8000000000000000\n",
        "m.yaml",
        &Budget::default(),
        Schema::Yaml11,
    )
    .unwrap_err();
    assert!(err.to_string().contains("out of range"), "{err}");
}

#[test]
fn positions_are_one_based() {
    let node = parse("a: 1\nb:\n  - x\n  - y: z\n", "f.yaml").unwrap();
    assert_eq!((node.line, node.column), (1, 1));
    let x = node.find("b.0").unwrap();
    assert_eq!((x.line, x.column), (3, 5));
    assert_eq!(node.find("b.1.y").map(|n| (n.line, n.column)), Some((4, 8)));
    assert_eq!(node.get("a").map(|n| &n.kind), Some(&NodeKind::Int(1)));
    assert_eq!(node.find(""), Some(&node));
    assert!(node.find("b.2").is_none());
    assert!(node.find("a.x").is_none());
}

#[test]
fn line_of_falls_back_to_the_deepest_ancestor() {
    let node = parse("top:\n  inner:\n    leaf: 1\n", "f.yaml").unwrap();
    assert_eq!(node.line_of("top.inner.leaf"), Some((3, 11)));
    assert_eq!(
        node.line_of("top.inner.missing.deeper"),
        node.find("top.inner").map(|n| (n.line, n.column))
    );
    assert_eq!(node.line_of(""), Some((1, 1)));
}

#[test]
fn core_schema_scalars() {
    let v = val("a: yes\nb: on\nc: off\nd: y\ne: n\nf: 0777\ng: 1e3\nh: '0777'\ni: ~\nj:\nk: True\nl: 0x1F\nm: \"on\"\n");
    assert_eq!(
        v,
        json!({"a": "yes", "b": "on", "c": "off", "d": "y", "e": "n", "f": 777, "g": 1000.0, "h": "0777",
               "i": null, "j": null, "k": true, "l": 31, "m": "on"})
    );
    // `1e3` is a float, not the integer 1000.
    assert!(v["g"].is_f64());
}

#[test]
fn block_scalars_are_strings() {
    let v = val("a: |\n  12\n  x\nb: >-\n  true\n");
    assert_eq!(v, json!({"a": "12\nx\n", "b": "true"}));
}

#[test]
fn core_tags_are_honoured() {
    let v = val("a: !!str 0777\nb: !!int \"12\"\nc: !!float 1\nd: !!bool \"false\"\ne: !!null ''\nf: !!map {x: 1}\ng: !!seq [1]\nh: ! 12\n");
    assert_eq!(
        v,
        json!({"a": "0777", "b": 12, "c": 1.0, "d": false, "e": null, "f": {"x": 1}, "g": [1], "h": "12"})
    );
    let d = parse_err("a: !!int abc\n");
    assert!(d.message.contains("not an integer"), "{}", d.message);
    let d = parse_err("a: !!seq {x: 1}\n");
    assert!(
        d.message.contains("cannot be applied to a mapping"),
        "{}",
        d.message
    );
}

#[test]
fn unknown_tags_are_errors() {
    let d = parse_err("a:\n  b: !secret x\n");
    assert!(
        d.message.contains("unsupported tag `!secret`"),
        "{}",
        d.message
    );
    assert_eq!(d.location.file, "f.yaml");
    assert_eq!(d.location.key_path, "a.b");
    assert_eq!(d.location.line, Some(2));
    let d = parse_err("a: !!binary aGk=\n");
    assert!(
        d.message.contains("unsupported tag `!!binary`"),
        "{}",
        d.message
    );
}

#[test]
fn integer_out_of_range_is_an_error() {
    let d = parse_err("n: 99999999999999999999\n");
    assert!(d.message.contains("out of range"), "{}", d.message);
    assert_eq!(
        (d.location.key_path.as_str(), d.location.line),
        ("n", Some(1))
    );
}

#[test]
fn anchors_and_aliases_expand() {
    let node = parse("base: &b {x: 1}\ncopy: *b\nlist: [&s str, *s]\n", "f.yaml").unwrap();
    assert_eq!(
        node.to_value("f").unwrap(),
        json!({"base": {"x": 1}, "copy": {"x": 1}, "list": ["str", "str"]})
    );
    // The copy sits where the alias is written.
    assert_eq!(node.find("copy").map(|n| n.line), Some(2));
}

#[test]
fn recursive_aliases_are_refused() {
    let d = parse_err("a: &x [1, *x]\n");
    assert!(
        d.message.contains("recursive aliases are not supported"),
        "{}",
        d.message
    );
    assert_eq!(
        (d.location.key_path.as_str(), d.location.line),
        ("a.1", Some(1))
    );
}

#[test]
fn billion_laughs_fails_on_the_node_budget() {
    let mut doc = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..=12 {
        let p = i - 1;
        doc.push_str(&format!(
            "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
        ));
    }
    let start = std::time::Instant::now();
    let d = parse_err(&doc);
    assert!(
        d.message
            .contains("expands to more than 1000000 nodes through aliases (budget max_nodes)"),
        "{}",
        d.message
    );
    assert!(d.location.line.is_some());
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn alias_count_is_budgeted() {
    let budget = Budget {
        max_aliases: 3,
        ..Budget::default()
    };
    let d = diag(parse_with("a: &a 1\nb: [*a, *a, *a, *a]\n", "f.yaml", &budget).unwrap_err());
    assert!(d.message.contains("budget max_aliases"), "{}", d.message);
    assert_eq!(d.location.key_path, "b.3");
}

#[test]
fn nested_anchor_copies_are_budgeted() {
    // Each anchor keeps a copy of its subtree: nested anchors must not multiply memory unchecked.
    let budget = Budget {
        max_nodes: 100,
        ..Budget::default()
    };
    let mut doc = String::from("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]");
    for i in 0..20 {
        doc = format!("&a{i} [{doc}]");
    }
    let d = diag(parse_with(&doc, "f.yaml", &budget).unwrap_err());
    assert!(
        d.message
            .contains("anchored nodes add up to more than 100 nodes"),
        "{}",
        d.message
    );
}

#[test]
fn byte_order_mark_and_crlf_are_accepted() {
    assert_eq!(val("\u{feff}a: 1\r\nb: x\r\n"), json!({"a": 1, "b": "x"}));
}

#[test]
fn deep_nesting_fails_on_the_depth_budget() {
    let doc = "[".repeat(200) + &"]".repeat(200);
    let d = parse_err(&doc);
    assert!(
        d.message
            .contains("deeper than 64 levels (budget max_depth)"),
        "{}",
        d.message
    );
    assert_eq!(d.location.line, Some(1));
    // Block nesting too.
    let mut block = String::new();
    for i in 0..100 {
        block.push_str(&" ".repeat(i * 2));
        block.push_str("k:\n");
    }
    assert!(parse_err(&block).message.contains("budget max_depth"));
}

#[test]
fn aliases_cannot_exceed_the_depth_budget() {
    let budget = Budget {
        max_depth: 3,
        ..Budget::default()
    };
    let d = diag(parse_with("a: &a [[1]]\nb: [*a]\n", "f.yaml", &budget).unwrap_err());
    assert!(d.message.contains("budget max_depth"), "{}", d.message);
    assert_eq!(d.location.line, Some(2));
}

#[test]
fn long_scalars_fail_on_the_scalar_budget() {
    let doc = format!("big: {}\n", "x".repeat(2 << 20));
    let d = parse_err(&doc);
    assert!(
        d.message.contains("budget max_scalar_bytes"),
        "{}",
        d.message
    );
    assert_eq!(
        (d.location.key_path.as_str(), d.location.line),
        ("big", Some(1))
    );
}

#[test]
fn oversized_input_fails_before_parsing() {
    let budget = Budget {
        max_bytes: 10,
        ..Budget::default()
    };
    // Malformed on purpose: a size error proves the parser never ran.
    let d = diag(parse_with("a: [1, 2, 3, 4, 5", "f.yaml", &budget).unwrap_err());
    assert!(
        d.message.contains("more than 10 (budget max_bytes)"),
        "{}",
        d.message
    );
    assert_eq!(d.location.line, None);
}

#[test]
fn node_and_document_budgets() {
    let budget = Budget {
        max_nodes: 5,
        ..Budget::default()
    };
    let d = diag(parse_with("[1, 2, 3, 4, 5, 6]", "f.yaml", &budget).unwrap_err());
    assert!(
        d.message.contains("more than 5 nodes (budget max_nodes)"),
        "{}",
        d.message
    );
    let budget = Budget {
        max_documents: 2,
        ..Budget::default()
    };
    let d = diag(parse_stream("a\n---\nb\n---\nc\n", "f.yaml", &budget).unwrap_err());
    assert!(d.message.contains("budget max_documents"), "{}", d.message);
    assert_eq!(d.location.line, Some(4));
}

#[test]
fn duplicate_keys_name_both_lines() {
    let d = parse_err("name: a\nspec:\n  port: 1\n  host: h\n  port: 2\n");
    assert_eq!(d.message, "duplicate key `port` (first at line 3)");
    assert_eq!(d.location.line, Some(5));
    assert_eq!(d.location.key_path, "spec.port");
    // `1` and `"1"` are the same key once keys become strings.
    assert!(parse_err("1: a\n\"1\": b\n")
        .message
        .contains("duplicate key `1`"));
    // In a map of many keys too (kept in a hash map past the first few), before and after.
    for (n, dup) in [(40, 2), (40, 30), (17, 17)] {
        let mut text: String = (1..=n).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str(&format!("k{dup}: again\n"));
        let d = parse_err(&text);
        assert_eq!(
            d.message,
            format!("duplicate key `k{dup}` (first at line {dup})")
        );
        assert_eq!(d.location.line, Some(n + 1));
    }
    let many: String = (1..=40).map(|i| format!("k{i}: {i}\n")).collect();
    assert!(parse(&many, "f.yaml").is_ok());
}

#[test]
fn keys_must_be_scalars() {
    let d = parse_err("? [a]\n: 1\n");
    assert!(
        d.message
            .contains("mapping key must be a scalar, found a sequence"),
        "{}",
        d.message
    );
    assert_eq!(d.location.line, Some(1));
}

#[test]
fn non_string_keys_become_their_text() {
    assert_eq!(
        val("1: a\ntrue: b\n~: c\n1.5: d\n"),
        json!({"1": "a", "true": "b", "null": "c", "1.5": "d"})
    );
}

#[test]
fn malformed_yaml_reports_file_and_line() {
    let d = parse_err("a: [1, 2");
    assert_eq!(d.location.file, "f.yaml");
    assert!(d.message.contains("malformed YAML"), "{}", d.message);
    assert_eq!(d.location.line, Some(2));

    let d = parse_err("a:\n\tb: 1\n");
    assert!(d.message.contains("tab"), "{}", d.message);
    assert_eq!((d.location.line, d.location.column), (Some(2), Some(2)));

    let d = parse_err("key: : x\n");
    assert!(
        d.message.contains("mapping values are not allowed"),
        "{}",
        d.message
    );
    assert_eq!((d.location.line, d.location.column), (Some(1), Some(6)));

    let d = parse_err("a: 1\nb: *missing\n");
    assert_eq!(d.location.line, Some(2));
}

#[test]
fn empty_input_is_null_and_streams_keep_empty_documents() {
    assert_eq!(parse("", "f").unwrap().kind, NodeKind::Null);
    assert_eq!(
        parse("# only a comment\n", "f").unwrap().kind,
        NodeKind::Null
    );
    assert!(parse_stream("", "f", &Budget::default())
        .unwrap()
        .is_empty());
    let docs = parse_stream(
        "---\n# nothing\n---\nkind: A\n---\nkind: B\n",
        "f",
        &Budget::default(),
    )
    .unwrap();
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0].kind, NodeKind::Null);
    assert_eq!(docs[2].get("kind").map(|n| n.line), Some(6));
}

#[test]
fn parse_accepts_exactly_one_document() {
    let d = parse_err("a: 1\n---\nb: 2\n");
    assert!(
        d.message.contains("expected one YAML document"),
        "{}",
        d.message
    );
    assert_eq!(d.location.line, Some(2));
    assert_eq!(val("--- \na: 1\n...\n"), json!({"a": 1}));
}

#[test]
fn non_finite_floats_cannot_become_values() {
    let node = parse("a:\n  - .inf\n", "f.yaml").unwrap();
    let d = diag(node.to_value("f.yaml").unwrap_err());
    assert!(d.message.contains(".inf"), "{}", d.message);
    assert_eq!(
        (d.location.key_path.as_str(), d.location.line),
        ("a.0", Some(2))
    );
    assert!(matches!(parse(".nan", "f").unwrap().kind, NodeKind::Float(f) if f.is_nan()));
}

// ---- from_node -------------------------------------------------------------------------------

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct App {
    name: String,
    kind: Kind,
    #[serde(default)]
    replicas: Option<u16>,
    #[serde(default)]
    ports: Vec<Port>,
    #[serde(default)]
    values: Option<Value>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Port {
    port: u16,
    #[serde(default)]
    ratio: f64,
}

#[derive(Debug, Deserialize, PartialEq)]
enum Kind {
    Application,
    Platform,
    Custom { image: String },
    Named(String),
}

#[test]
fn from_str_reads_a_typed_structure() {
    let app: App = from_str(
        "name: web\nkind: Application\nreplicas: 3\nports:\n  - port: 80\n    ratio: 1\nvalues:\n  a: [1, x]\nlabels:\n  1: one\n",
        "app.yaml",
    )
    .unwrap();
    assert_eq!(app.name, "web");
    assert_eq!(app.kind, Kind::Application);
    assert_eq!(app.replicas, Some(3));
    assert_eq!(
        app.ports,
        vec![Port {
            port: 80,
            ratio: 1.0
        }]
    );
    assert_eq!(app.values, Some(json!({"a": [1, "x"]})));
    assert_eq!(app.labels.get("1").map(String::as_str), Some("one"));

    let app: App = from_str(
        "name: w\nkind: {Custom: {image: nginx}}\nreplicas: ~\n",
        "a",
    )
    .unwrap();
    assert_eq!(
        app.kind,
        Kind::Custom {
            image: "nginx".into()
        }
    );
    assert_eq!(app.replicas, None);
    let app: App = from_str("name: w\nkind:\n  Named: x\n", "a").unwrap();
    assert_eq!(app.kind, Kind::Named("x".into()));
}

#[test]
fn unknown_field_suggests_the_closest_name() {
    let d = diag(
        from_str::<App>(
            "name: web\nkind: Application\nports:\n  - port: 80\n    ratoi: 2\n",
            "app.yaml",
        )
        .unwrap_err(),
    );
    assert_eq!(d.message, "unknown field `ratoi`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `ratio`?"));
    assert_eq!(d.location.file, "app.yaml");
    assert_eq!(d.location.key_path, "ports.0.ratoi");
    assert_eq!((d.location.line, d.location.column), (Some(5), Some(5)));

    let d = diag(from_str::<App>("nmae: web\n", "app.yaml").unwrap_err());
    assert_eq!(d.hint.as_deref(), Some("did you mean `name`?"));
    assert_eq!(d.location.line, Some(1));

    let d =
        diag(from_str::<App>("name: web\nkind: Application\nzzzzzz: 1\n", "app.yaml").unwrap_err());
    assert_eq!(
        d.hint.as_deref(),
        Some("expected one of `name`, `kind`, `replicas`, `ports`, `values`, `labels`")
    );
}

#[test]
fn wrong_type_names_key_path_and_line() {
    let d = diag(
        from_str::<App>(
            "name: web\nkind: Application\nports:\n  - port: [1]\n",
            "app.yaml",
        )
        .unwrap_err(),
    );
    assert_eq!(d.message, "expected u16, found a sequence");
    assert_eq!(d.location.key_path, "ports.0.port");
    assert_eq!((d.location.line, d.location.column), (Some(4), Some(11)));

    let d = diag(from_str::<App>("name: [a]\nkind: Application\n", "app.yaml").unwrap_err());
    assert_eq!(d.message, "expected a string, found a sequence");
    assert_eq!(
        (d.location.key_path.as_str(), d.location.line),
        ("name", Some(1))
    );

    let d =
        diag(from_str::<App>("name: w\nkind: Application\nreplicas: 70000\n", "a").unwrap_err());
    assert!(d.message.contains("out of range for u16"), "{}", d.message);
    assert_eq!(d.location.line, Some(3));

    // Strings stay strings: an unquoted number is not silently converted.
    let d = diag(from_str::<App>("name: 12\nkind: Application\n", "a").unwrap_err());
    assert_eq!(d.message, "expected a string, found the integer `12`");
}

#[test]
fn missing_field_is_located_at_the_enclosing_map() {
    let d = diag(
        from_str::<App>("kind: Application\nports:\n  - ratio: 1.5\n", "app.yaml").unwrap_err(),
    );
    assert_eq!(d.message, "missing field `port`");
    assert_eq!(d.location.key_path, "ports.0");
    assert_eq!(d.location.line, Some(3));

    let d = diag(from_str::<App>("", "app.yaml").unwrap_err());
    assert_eq!(d.message, "missing field `name`");
}

#[test]
fn unknown_enum_variant_suggests() {
    let d = diag(from_str::<App>("name: w\nkind: Aplication\n", "a").unwrap_err());
    assert_eq!(d.message, "unknown variant `Aplication`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `Application`?"));
    assert_eq!(
        (d.location.key_path.as_str(), d.location.line),
        ("kind", Some(2))
    );
}

#[test]
fn flatten_untagged_and_scalars() {
    #[derive(Debug, Deserialize)]
    struct Flat {
        name: String,
        #[serde(flatten)]
        rest: BTreeMap<String, Value>,
    }
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(untagged)]
    enum Either {
        Num(i64),
        Text(String),
    }
    let f: Flat = from_str("name: n\nx: 1\ny: [a]\n", "f").unwrap();
    assert_eq!(f.name, "n");
    assert_eq!(f.rest.get("y"), Some(&json!(["a"])));
    let e: Vec<Either> = from_str("[1, a]", "f").unwrap();
    assert_eq!(e, vec![Either::Num(1), Either::Text("a".into())]);
    let t: (char, bool, f32, (), i8) = from_str("[x, true, 2, ~, -5]", "f").unwrap();
    assert_eq!(t, ('x', true, 2.0, (), -5));
    let d = diag(from_str::<(u8, u8)>("[1, 2, 3]", "f").unwrap_err());
    assert!(
        d.message.contains("expected 2 elements, found 3"),
        "{}",
        d.message
    );
    let m: std::collections::HashMap<u16, String> =
        from_str("80: http\n443: https\n", "f").unwrap();
    assert_eq!(m.get(&443).map(String::as_str), Some("https"));
    let d = diag(from_str::<Value>("a:\n  b: .nan\n", "f").unwrap_err());
    assert!(
        d.message.contains(".nan cannot be represented"),
        "{}",
        d.message
    );
    assert_eq!(
        (d.location.key_path.as_str(), d.location.line),
        ("a.b", Some(2))
    );
    let v: Value = from_str("a: {b: [1, 2.5, null, true]}\n", "f").unwrap();
    assert_eq!(v, json!({"a": {"b": [1, 2.5, null, true]}}));
}

// ---- emitter ---------------------------------------------------------------------------------

#[test]
fn emitter_layout() {
    let v = json!({"a": 1, "b": [1, {"c": "x", "d": [true, null]}, [], {}], "e": {"f": 1.0, "g": {}}, "h": []});
    let text = to_string(&v);
    assert_eq!(
        text,
        "a: 1\nb:\n  - 1\n  - c: x\n    d:\n      - true\n      - null\n  - []\n  - {}\ne:\n  f: 1.0\n  g: {}\nh: []\n"
    );
    assert_eq!(val(&text), v);
    assert_eq!(to_string(&json!("x")), "x\n");
    assert_eq!(to_string(&json!({})), "{}\n");
    assert_eq!(to_string(&json!([[1, 2], [3]])), "- - 1\n  - 2\n- - 3\n");
    assert_eq!(to_string(&json!(1e20)), "1.0e+20\n");
}

#[test]
fn emitter_quotes_ambiguous_strings() {
    for s in [
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "N",
        "true",
        "false",
        "null",
        "~",
        "",
        "0777",
        "0o17",
        "0x1F",
        "1e3",
        "1_000",
        "1:20",
        ".5",
        "+1",
        ".inf",
        ".NaN",
        " x",
        "x ",
        "- x",
        "a: b",
        "a #c",
        "#c",
        "x:",
        "&a",
        "*a",
        "!t",
        "|",
        ">",
        "'",
        "\"",
        "%",
        "@",
        "`",
        "[",
        "{",
        "?",
        ",",
        "...",
        "---",
        "<<",
        "2024-01-01",
        "2001-12-14t21:59:43.10-05:00",
        ".",
    ] {
        let text = to_string(&json!(s));
        assert!(
            text.starts_with('\'') || text.starts_with('"'),
            "{s:?} emitted plain: {text}"
        );
        assert_eq!(val(&text), json!(s), "{s:?} via {text}");
    }
    assert_eq!(to_string(&json!("it's")), "it's\n");
    assert_eq!(to_string(&json!("yes")), "'yes'\n");
    assert_eq!(to_string(&json!("'q'")), "'''q'''\n");
    assert_eq!(
        to_string(&json!("a\nb\t\u{1}\"\\")),
        "\"a\\nb\\t\\u0001\\\"\\\\\"\n"
    );
    assert_eq!(to_string(&json!({"on": "off"})), "'on': 'off'\n");
    for s in ["nginx:1.25", "512Mi", "a#b", "http://x", "ünïcödé"] {
        assert_eq!(to_string(&json!(s)), format!("{s}\n"));
    }
}

#[test]
fn emitter_handles_long_keys() {
    let key = "k".repeat(1500);
    let v = json!({ key.clone(): {"a": [1]}, "b": "c" });
    assert_eq!(val(&to_string(&v)), v);
}

fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "yes",
            "on",
            "off",
            "0777",
            "1e3",
            "~",
            "null",
            "true",
            "",
            " x",
            "a: b",
            "#c",
            "- x",
            "1:20",
            ".inf",
            "it's",
            "a\nb",
            "\t",
            "\"",
            "\\",
            "x:",
            "...",
            "---",
            "\u{85}",
            "\u{feff}x",
            "-",
            "0",
            "1.0",
            "Y",
            "n",
            "0b101",
            "0x1F",
            "0o17",
            "1_000",
            "+.5",
            "09",
            "._5",
        ])
        .prop_map(String::from),
        any::<String>(),
        "[a-z0-9 :#.'-]{0,8}",
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        (-1000i32..1000).prop_map(|i| Value::from(f64::from(i))),
        tricky_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((tricky_string(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn emitted_yaml_reads_back_as_the_same_value(v in arb_value()) {
        let text = to_string(&v);
        prop_assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{}", text);
        let back = parse(&text, "f").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back.to_value("f").unwrap(), v.clone(), "{}", text);
        // Kubernetes reads what wo writes as YAML 1.1: it must mean the same there.
        let docs = parse_stream_as(&text, "f", &Budget::default(), Schema::Yaml11)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(docs.len(), 1);
        prop_assert_eq!(docs[0].to_value("f").unwrap(), v, "{}", text);
    }
}

proptest! {
    // PROPTEST_CASES raises the count for a longer fuzzing run.
    #[test]
    fn parsing_arbitrary_text_never_panics(text in "[a-z:\\-\\[\\]{}&*!|>'\"%@#?, \t\n0-9.~\\\\]{0,64}") {
        let budget = Budget { max_depth: 4, max_nodes: 50, max_aliases: 5, ..Budget::default() };
        if let Ok(docs) = parse_stream(&text, "f", &budget) {
            for d in docs {
                let _ = d.to_value("f");
                let _ = from_node::<Value>(&d, "f");
            }
        }
    }
}

/// The leaves of `value` in the order of a depth-first walk in map order.
fn leaves_of(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => map.values().for_each(|v| leaves_of(v, out)),
        Value::Array(items) if !items.is_empty() => items.iter().for_each(|v| leaves_of(v, out)),
        leaf => out.push(leaf.clone()),
    }
}

#[test]
fn each_leaf_is_told_where_it_was_written() {
    let long_key = "k".repeat(1100);
    for value in [
        json!({"a": 1, "b": {"c": [1, "two", null, [], {}, {"d": "x: y", "e": [[true]]}]},
               "f": "multi\nline", "g": {}, long_key.clone(): {"h": -1.5}, "i": ""}),
        json!([{"a": "'q'"}, ["yes", 2], {}]),
        json!("plain"),
        json!({}),
    ] {
        let (text, leaves) = to_string_with_leaves(&value);
        assert_eq!(text, to_string(&value));
        let mut expected = Vec::new();
        leaves_of(&value, &mut expected);
        assert_eq!(leaves.len(), expected.len(), "{text}");
        for (range, leaf) in leaves.iter().zip(&expected) {
            let alone = to_string(leaf);
            assert_eq!(&text[range.clone()], alone.trim_end_matches('\n'), "{text}");
        }
        // The leaves are written in order, one after the other.
        assert!(leaves.windows(2).all(|w| w[0].end < w[1].start));
    }
}
