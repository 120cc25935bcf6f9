//! The manifest model: parsing, canonical order and bytes, semantic diff, budgeted Markdown.

use proptest::prelude::*;
use serde_json::json;
use wo_core::files::FileTree;
use wo_core::{Error, Location, Value};
use wo_render::manifest::{
    diff, diff_trees, ManifestDiff, ManifestSet, Resource, ResourceId, GITHUB_COMMENT_LIMIT,
};

const HELM_STREAM: &str = "\
---
# Source: shop/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
---
# Source: shop/templates/empty.yaml
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: shop/web:1.2.3
---
# Source: shop/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
    - port: 80
---
null
---
# Source: shop/templates/namespace.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
";

fn diagnostics(err: Error) -> Vec<wo_core::Diagnostic> {
    match err {
        Error::Invalid(d) => d.0,
        other => panic!("expected invalid input, got {other}"),
    }
}

fn id(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> ResourceId {
    ResourceId {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: namespace.map(Into::into),
        name: name.into(),
    }
}

fn resource(id: ResourceId, value: Value) -> Resource {
    Resource {
        id,
        value,
        source: Location::file("test"),
    }
}

fn config_map(name: &str, data: Value) -> Resource {
    let v = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "shop"},
        "data": data,
    });
    resource(id("v1", "ConfigMap", Some("shop"), name), v)
}

fn kinds(set: &ManifestSet) -> Vec<&str> {
    set.iter().map(|r| r.id.kind.as_str()).collect()
}

#[test]
fn parses_a_helm_stream_skipping_empty_documents() {
    let set = ManifestSet::parse(HELM_STREAM, "out.yaml").unwrap();
    assert_eq!(set.len(), 4);
    assert_eq!(
        kinds(&set),
        ["Namespace", "ServiceAccount", "Service", "Deployment"]
    );
    let dep = set
        .get(&id("apps/v1", "Deployment", Some("shop"), "web"))
        .unwrap();
    assert_eq!(dep.value["spec"]["replicas"], json!(2));
    assert_eq!(dep.source.file, "out.yaml");
    assert_eq!(dep.source.line, Some(12));
    let ns = set.get(&id("v1", "Namespace", None, "shop")).unwrap();
    assert_eq!(ns.id.namespace, None);
    assert!(set.get(&id("v1", "Namespace", None, "other")).is_none());
}

#[test]
fn canonical_bytes_have_no_comments_and_read_back_equal() {
    let set = ManifestSet::parse(HELM_STREAM, "out.yaml").unwrap();
    let text = set.to_yaml();
    assert!(!text.contains('#'), "{text}");
    assert!(!text.starts_with("---"));
    assert_eq!(text.matches("---\n").count(), 3);
    assert!(
        text.starts_with("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n"),
        "{text}"
    );
    let back = ManifestSet::parse(&text, "canonical.yaml").unwrap();
    assert_eq!(back.len(), set.len());
    for (a, b) in set.iter().zip(back.iter()) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.value, b.value);
    }
    assert_eq!(back.to_yaml(), text);
    assert_eq!(ManifestSet::default().to_yaml(), "");
}

#[test]
fn key_order_does_not_change_the_bytes() {
    let a = ManifestSet::parse(
        "kind: ConfigMap\nmetadata:\n  namespace: x\n  name: a\ndata:\n  z: '1'\n  b: '2'\napiVersion: v1\n",
        "a.yaml",
    )
    .unwrap();
    let b = ManifestSet::parse(
        "apiVersion: v1\ndata:\n  b: '2'\n  z: '1'\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: x\n",
        "b.yaml",
    )
    .unwrap();
    let text = a.to_yaml();
    assert_eq!(text, b.to_yaml());
    let keys: Vec<&str> = text
        .lines()
        .map(|l| l.split(':').next().unwrap_or("").trim())
        .collect();
    assert_eq!(
        keys,
        [
            "apiVersion",
            "kind",
            "metadata",
            "name",
            "namespace",
            "data",
            "b",
            "z"
        ],
        "{text}"
    );
}

#[test]
fn list_documents_are_expanded() {
    let text = "\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: b}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: a}
---
apiVersion: v1
kind: List
items: []
";
    let set = ManifestSet::parse(text, "list.yaml").unwrap();
    let names: Vec<_> = set.iter().map(|r| r.id.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert!(set.iter().all(|r| r.id.kind == "ConfigMap"));
    let b = set.get(&id("v1", "ConfigMap", None, "b")).unwrap();
    assert_eq!(b.source.line, Some(4));
    assert_eq!(b.source.key_path, "items.0");
}

#[test]
fn missing_identity_fields_are_all_reported_with_file_line_and_key() {
    let text = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: ok
---
kind: ConfigMap
metadata:
  name: no-api-version
---
apiVersion: v1
metadata:
  name: no-kind
---
apiVersion: v1
kind: Secret
metadata:
  labels: {}
---
apiVersion: v1
kind: Secret
metadata:
  name: 42
---
- just
- a list
";
    let ds = diagnostics(ManifestSet::parse(text, "bad.yaml").unwrap_err());
    let got: Vec<_> = ds
        .iter()
        .map(|d| {
            (
                d.location.file.as_str(),
                d.location.line,
                d.location.key_path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("bad.yaml", Some(6), "apiVersion"),
            ("bad.yaml", Some(10), "kind"),
            ("bad.yaml", Some(14), "metadata.name"),
            ("bad.yaml", Some(22), "metadata.name"),
            ("bad.yaml", Some(24), ""),
        ]
    );
    assert!(
        ds[0].message.contains("missing `apiVersion`"),
        "{}",
        ds[0].message
    );
    assert!(
        ds[3].message.contains("found an integer"),
        "{}",
        ds[3].message
    );
    assert!(ds[4].message.contains("must be a map"), "{}", ds[4].message);
}

#[test]
fn bad_list_items_name_their_key_path() {
    let text = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {}\n";
    let ds = diagnostics(ManifestSet::parse(text, "l.yaml").unwrap_err());
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].location.key_path, "items.0.metadata.name");
    assert_eq!(ds[0].location.line, Some(4));

    let ds = diagnostics(ManifestSet::parse("kind: List\nitems: 3\n", "l.yaml").unwrap_err());
    assert_eq!(ds[0].location.key_path, "items");
    assert_eq!(ds[0].location.line, Some(2));
}

#[test]
fn yaml_errors_keep_their_position() {
    let err = ManifestSet::parse("apiVersion: v1\nkind: [\n", "broken.yaml").unwrap_err();
    let ds = diagnostics(err);
    assert_eq!(ds[0].location.file, "broken.yaml");
    assert!(ds[0].location.line.is_some());
}

#[test]
fn duplicates_name_both_lines() {
    let text = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: x}
";
    let ds = diagnostics(ManifestSet::parse(text, "dup.yaml").unwrap_err());
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].location.line, Some(9));
    assert!(ds[0].message.contains("ConfigMap x/a"), "{}", ds[0].message);
    assert!(ds[0].message.contains("line 1"), "{}", ds[0].message);

    // The same name in another namespace is another resource (`z`: manifests are read as
    // YAML 1.1, where a plain `y` is `true`).
    let ok = text.replacen("name: a, namespace: x}\n", "name: a, namespace: z}\n", 1);
    assert_eq!(ManifestSet::parse(&ok, "dup.yaml").unwrap().len(), 3);

    let err = ManifestSet::from_resources(vec![
        config_map("a", json!({})),
        config_map("a", json!({"x": "1"})),
    ])
    .unwrap_err();
    assert_eq!(diagnostics(err).len(), 1);
}

#[test]
fn canonical_order_follows_helm_then_namespace_name_api_version() {
    let r = |api: &str, kind: &str, ns: Option<&str>, name: &str| {
        resource(id(api, kind, ns, name), json!({}))
    };
    let set = ManifestSet::from_resources(vec![
        r("zeta.io/v1", "Widget", Some("a"), "w"),
        r("networking.k8s.io/v1", "Ingress", Some("a"), "web"),
        r("apps/v1", "Deployment", Some("b"), "web"),
        r("apps/v1", "Deployment", Some("a"), "web"),
        r("v1", "Service", Some("a"), "web"),
        r("alpha.io/v1", "Gadget", None, "g"),
        r("v1", "ConfigMap", Some("a"), "cfg"),
        r("v1", "ConfigMap", None, "cfg"),
        r("v1", "Namespace", None, "a"),
        r("example.io/v2", "Widget", Some("a"), "w"),
    ])
    .unwrap();
    let got: Vec<String> = set
        .iter()
        .map(|r| format!("{} {}", r.id, r.id.api_version))
        .collect();
    assert_eq!(
        got,
        [
            "Namespace a v1",
            "ConfigMap cfg v1",
            "ConfigMap a/cfg v1",
            "Service a/web v1",
            "Deployment a/web apps/v1",
            "Deployment b/web apps/v1",
            "Ingress a/web networking.k8s.io/v1",
            "Gadget g alpha.io/v1",
            "Widget a/w example.io/v2",
            "Widget a/w zeta.io/v1",
        ]
    );
}

fn arb_resource() -> impl Strategy<Value = Resource> {
    let kind = prop::sample::select(vec![
        "Namespace",
        "ConfigMap",
        "Service",
        "Deployment",
        "Ingress",
        "Widget",
        "Alpha",
    ]);
    let api = prop::sample::select(vec!["v1", "apps/v1", "x.io/v1"]);
    let ns = prop::option::of(prop::sample::select(vec!["a", "b"]));
    let name = "[a-c]{1,2}";
    let data = prop::collection::vec(("[a-e]", "[a-z0-9]{0,4}"), 0..4);
    (kind, api, ns, name, data).prop_map(|(kind, api, ns, name, data)| {
        let data: serde_json::Map<String, Value> = data
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let mut metadata = serde_json::Map::new();
        metadata.insert("name".into(), json!(name));
        if let Some(ns) = ns {
            metadata.insert("namespace".into(), json!(ns));
        }
        let value = json!({"data": data, "kind": kind, "metadata": metadata, "apiVersion": api});
        resource(id(api, kind, ns, &name), value)
    })
}

fn unique(resources: Vec<Resource>) -> Vec<Resource> {
    let mut seen = std::collections::HashSet::new();
    resources
        .into_iter()
        .filter(|r| seen.insert(r.id.clone()))
        .collect()
}

proptest! {
    #[test]
    fn shuffled_input_gives_identical_bytes(
        (original, shuffled) in prop::collection::vec(arb_resource(), 0..25)
            .prop_map(unique)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
    ) {
        let a = ManifestSet::from_resources(original).unwrap();
        let b = ManifestSet::from_resources(shuffled).unwrap();
        prop_assert_eq!(a.to_yaml(), b.to_yaml());
        let back = ManifestSet::parse(&a.to_yaml(), "x.yaml").unwrap();
        prop_assert_eq!(back.to_yaml(), a.to_yaml());
        prop_assert!(diff(&a, &back).is_empty());
        for w in a.resources.windows(2) {
            prop_assert!(w[0].id.cmp_canonical(&w[1].id).is_lt());
        }
    }
}

#[test]
fn diff_finds_added_removed_changed_and_ignores_key_order() {
    let old = ManifestSet::from_resources(vec![
        config_map("keep", json!({"a": "1", "b": "2"})),
        config_map("gone", json!({})),
        config_map("edit", json!({"x": "1", "y": "2", "z": "3"})),
    ])
    .unwrap();
    let new = ManifestSet::from_resources(vec![
        config_map("keep", json!({"b": "2", "a": "1"})),
        config_map("edit", json!({"x": "1", "y": "20", "z": "3"})),
        config_map("fresh", json!({})),
    ])
    .unwrap();
    let d = diff(&old, &new);
    assert_eq!(d.added, [id("v1", "ConfigMap", Some("shop"), "fresh")]);
    assert_eq!(d.removed, [id("v1", "ConfigMap", Some("shop"), "gone")]);
    assert_eq!(d.changed.len(), 1);
    assert_eq!(d.unchanged, 1);
    assert!(!d.is_empty());
    let u = &d.changed[0].unified;
    assert!(
        u.starts_with("--- old ConfigMap shop/edit (v1)\n+++ new ConfigMap shop/edit (v1)\n"),
        "{u}"
    );
    let minus = u
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"));
    let plus = u
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"));
    assert_eq!(minus.collect::<Vec<_>>().len(), 1, "{u}");
    assert_eq!(plus.collect::<Vec<_>>().len(), 1, "{u}");
    assert!(u.contains("20"), "{u}");

    let text = d.to_text();
    assert!(
        text.starts_with(
            "+ ConfigMap shop/fresh\n- ConfigMap shop/gone\n~ ConfigMap shop/edit\n\
             1 added, 1 removed, 1 changed, 1 unchanged\n"
        ),
        "{text}"
    );
    assert!(text.contains(u.as_str()));

    let js = serde_json::to_value(&d).unwrap();
    assert_eq!(js["added"][0]["apiVersion"], "v1");
    assert_eq!(js["changed"][0]["id"]["name"], "edit");
    assert_eq!(js["unchanged"], 1);

    assert!(diff(&old, &old).is_empty());
}

#[test]
fn unified_diff_keeps_three_lines_of_context() {
    let data: serde_json::Map<String, Value> = (0..20)
        .map(|i| (format!("k{i:02}"), json!(format!("v{i}"))))
        .collect();
    let mut changed = data.clone();
    changed.insert("k10".into(), json!("new"));
    let old = ManifestSet::from_resources(vec![config_map("c", Value::Object(data))]).unwrap();
    let new = ManifestSet::from_resources(vec![config_map("c", Value::Object(changed))]).unwrap();
    let d = diff(&old, &new);
    let u = &d.changed[0].unified;
    for k in ["k07", "k08", "k09", "k11", "k12", "k13"] {
        assert!(u.contains(k), "{k} missing in\n{u}");
    }
    assert!(!u.contains("k06") && !u.contains("k14"), "{u}");
}

#[test]
fn small_markdown_shows_everything() {
    let old = ManifestSet::from_resources(vec![config_map("edit", json!({"x": "1"}))]).unwrap();
    let new = ManifestSet::from_resources(vec![
        config_map("edit", json!({"x": "2"})),
        config_map("fresh", json!({})),
    ])
    .unwrap();
    let d = diff(&old, &new);
    let md = d.to_markdown(GITHUB_COMMENT_LIMIT);
    assert!(md.contains("| 1 | 0 | 1 | 0 |"), "{md}");
    assert!(md.contains("- added: ConfigMap shop/fresh (v1)\n"), "{md}");
    assert!(md.contains("- changed: ConfigMap shop/edit (v1)\n"), "{md}");
    assert!(
        md.contains("<details><summary>ConfigMap shop/edit (v1)</summary>"),
        "{md}"
    );
    assert!(md.contains("```diff\n"), "{md}");
    assert!(md.contains(d.changed[0].unified.as_str()), "{md}");
    assert!(!md.contains("not shown"), "{md}");
    assert!(md.ends_with("</details>\n"));

    let none = diff(&old, &old).to_markdown(GITHUB_COMMENT_LIMIT);
    assert!(none.contains("No changes"), "{none}");
}

fn big_diff(n: usize) -> ManifestDiff {
    let make = |v: &str| {
        ManifestSet::from_resources(
            (0..n)
                .map(|i| config_map(&format!("cm-{i:05}"), json!({"value": v, "other": "same"})))
                .collect(),
        )
        .unwrap()
    };
    diff(&make("old"), &make("new"))
}

#[test]
fn markdown_of_5000_changes_stays_within_budget() {
    let d = big_diff(5000);
    assert_eq!(d.changed.len(), 5000);
    let md = d.to_markdown(GITHUB_COMMENT_LIMIT);
    assert!(md.chars().count() <= GITHUB_COMMENT_LIMIT, "{}", md.len());
    assert!(md.ends_with('\n'));
    assert!(md.contains("| 0 | 0 | 5000 | 0 |"));
    let more = md
        .lines()
        .find(|l| l.starts_with("- … and "))
        .expect("the resource list says how many are left out");
    let listed = md.matches("- changed: ").count();
    assert_eq!(more, format!("- … and {} more", 5000 - listed));
    // The list takes at most half the room, so some diffs are shown whole.
    let shown = md.matches("<details>").count();
    assert!(shown > 10, "{shown}");
    assert_eq!(shown, md.matches("</details>").count());
    let note = md.lines().last().unwrap();
    assert!(
        note.starts_with(&format!(
            "**{} more changed resources not shown**",
            5000 - shown
        )),
        "{note}"
    );
    // Lines are whole: every line is one the unbounded rendering has, or one of the notes.
    let full = d.to_markdown(usize::MAX);
    for line in md.lines() {
        assert!(
            full.contains(line) || line.starts_with("- … and ") || line == note,
            "cut line: {line}"
        );
    }
}

#[test]
fn markdown_drops_whole_blocks_and_names_them() {
    let d = big_diff(40);
    let full = d.to_markdown(usize::MAX);
    let budget = full.chars().count() / 2;
    let md = d.to_markdown(budget);
    assert!(md.chars().count() <= budget);
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    let shown = md.matches("<details>").count();
    assert!(shown > 0 && shown < 40, "{md}");
    let note = md.lines().last().unwrap();
    assert!(
        note.starts_with(&format!(
            "**{} more changed resources not shown**",
            40 - shown
        )),
        "{note}"
    );
    // The note names omitted resources, never shown ones.
    let named: Vec<&str> = note
        .split("ConfigMap shop/")
        .skip(1)
        .map(|s| &s[..8])
        .collect();
    assert!(!named.is_empty(), "{note}");
    for name in named {
        assert!(
            !md.contains(&format!("<summary>ConfigMap shop/{name}")),
            "{name}"
        );
    }
    // The whole resource list fits here.
    assert_eq!(md.matches("- changed: ").count(), 40);
}

#[test]
fn markdown_respects_any_budget() {
    let d = big_diff(30);
    for budget in [0, 1, 10, 50, 80, 120, 200, 500, 1000, 3000, 10_000] {
        let md = d.to_markdown(budget);
        assert!(
            md.chars().count() <= budget,
            "budget {budget}: {}",
            md.len()
        );
        assert!(md.is_empty() || md.ends_with('\n'), "budget {budget}");
    }
}

#[test]
fn tree_diff_diffs_each_manifests_file() {
    let cm = |name: &str, v: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{v}\"\n")
    };
    let mut old = FileTree::new();
    old.insert("shop/dev/manifests.yaml", cm("a", "1")).unwrap();
    old.insert("shop/old/manifests.yaml", cm("b", "1")).unwrap();
    old.insert("shop/same/manifests.yaml", cm("e", "1"))
        .unwrap();
    old.insert("shop/dev/README.md", "not yaml: [").unwrap();
    let mut new = FileTree::new();
    new.insert("shop/dev/manifests.yaml", cm("a", "2")).unwrap();
    let prod = format!("{}---\n{}", cm("c", "1"), cm("d", "1"));
    new.insert("shop/prod/manifests.yaml", prod).unwrap();
    new.insert("shop/same/manifests.yaml", cm("e", "1"))
        .unwrap();
    new.insert("shop/dev/other-manifests.yaml", "x: [").unwrap();

    let t = diff_trees(&old, &new).unwrap();
    let paths: Vec<_> = t.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "shop/dev/manifests.yaml",
            "shop/old/manifests.yaml",
            "shop/prod/manifests.yaml",
            "shop/same/manifests.yaml"
        ]
    );
    assert_eq!(t.files[0].diff.changed.len(), 1);
    assert_eq!(t.files[1].diff.removed.len(), 1);
    assert_eq!(t.files[2].diff.added.len(), 2);
    assert!(t.files[3].diff.is_empty());
    assert!(!t.is_empty());

    let text = t.to_text();
    assert!(
        text.contains("== shop/prod/manifests.yaml ==\n+ ConfigMap c\n+ ConfigMap d\n"),
        "{text}"
    );
    assert!(!text.contains("shop/same"), "{text}");
    assert!(text.ends_with("3 of 4 manifests files changed\n"), "{text}");

    let md = t.to_markdown(GITHUB_COMMENT_LIMIT);
    assert!(
        md.contains("| shop/dev/manifests.yaml | 0 | 0 | 1 | 0 |"),
        "{md}"
    );
    assert!(md.contains("1 more manifests files unchanged"), "{md}");
    assert!(
        md.contains("<summary>shop/dev/manifests.yaml: ConfigMap a (v1)</summary>"),
        "{md}"
    );
    assert!(t.to_markdown(300).chars().count() <= 300);

    let js = serde_json::to_value(&t).unwrap();
    assert_eq!(js["files"][2]["path"], "shop/prod/manifests.yaml");
    assert_eq!(js["files"][2]["added"][1]["name"], "d");

    assert!(diff_trees(&old, &old).unwrap().is_empty());
}

#[test]
fn tree_diff_reports_problems_of_both_trees() {
    let mut old = FileTree::new();
    old.insert("a/manifests.yaml", "kind: ConfigMap\nmetadata: {name: x}\n")
        .unwrap();
    let mut new = FileTree::new();
    new.insert("b/manifests.yaml", "apiVersion: v1\nkind: ConfigMap\n")
        .unwrap();
    new.insert("c/manifests.yaml", vec![0xff, 0xfe]).unwrap();
    let ds = diagnostics(diff_trees(&old, &new).unwrap_err());
    assert_eq!(ds.len(), 3, "{ds:?}");
    assert_eq!(ds[0].location.file, "a/manifests.yaml");
    assert!(
        ds[0].message.starts_with("old tree: missing `apiVersion`"),
        "{}",
        ds[0].message
    );
    assert_eq!(ds[1].location.file, "b/manifests.yaml");
    assert!(ds[1].message.starts_with("new tree: "), "{}", ds[1].message);
    assert_eq!(ds[2].location.file, "c/manifests.yaml");
}

#[test]
fn test_hooks_are_recognised_as_helm_recognises_them() {
    let hook = |events: Option<&str>| {
        let mut v = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
        if let Some(e) = events {
            v["metadata"]["annotations"] = json!({ "helm.sh/hook": e });
        }
        resource(id("v1", "Pod", None, "p"), v)
    };
    for events in [
        "test",
        "test-success",
        "test-failure",
        "pre-install, TEST",
        " Test-Success ,post-install",
    ] {
        assert!(hook(Some(events)).is_test_hook(), "{events}");
    }
    for events in [
        None,
        Some("pre-install"),
        Some("post-install,pre-upgrade"),
        Some("tests"),
        Some(""),
    ] {
        assert!(!hook(events).is_test_hook(), "{events:?}");
    }
    let set = ManifestSet::parse(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, annotations: {helm.sh/hook: test}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n",
        "m.yaml",
    )
    .unwrap()
    .without_test_hooks();
    assert_eq!(set.len(), 1);
    assert_eq!(set.resources[0].id.name, "b");
}

#[test]
fn into_yaml_gives_the_bytes_of_to_yaml() {
    let text = "zeta: 1\nmetadata: {name: b, labels: {z: '1', a: 'on'}}\nkind: ConfigMap\napiVersion: v1\ndata: {b: [ {y: 1, x: 2} ], a: x}\n---\nkind: Service\napiVersion: v1\nmetadata: {namespace: ns, name: a}\nspec: {ports: [{port: 80, name: http}], selector: {b: c, a: d}}\n";
    let set = ManifestSet::parse(text, "x.yaml").unwrap();
    let expected = set.to_yaml();
    assert!(
        expected.starts_with("apiVersion: v1\nkind: ConfigMap\nmetadata:"),
        "{expected}"
    );
    assert_eq!(set.into_yaml(), expected);
}
