//! Behaviour checked against `helm template` (v4.1.4) on small charts kept under
//! `tests/charts/`: subchart scopes and aliases, conditions and tags, globals, `null`s,
//! library charts, `.Files`, `.Template`, hooks and kind order, `NOTES.txt`, errors, helpers
//! included across files.

use std::path::{Path, PathBuf};

use wo_gotmpl::encoding::yaml;
use wo_gotmpl::helm::{Chart, Error, PreparedChart, RenderOptions};
use wo_gotmpl::Value;

fn charts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/charts")
}

fn values(file: &str) -> Value {
    let text = std::fs::read_to_string(charts().join(file)).expect("values read");
    yaml::decode(&text).expect("values decode")
}

/// The test chart `name`, prepared, and the options `helm template rel … --namespace ns` gives.
fn prepared_in_ns(name: &str) -> (PreparedChart, RenderOptions) {
    let chart = Chart::load(charts().join(name)).expect("the chart loads");
    let prepared = PreparedChart::new(chart).expect("templates parse");
    let options = RenderOptions {
        release_name: "rel".into(),
        namespace: "ns".into(),
        ..RenderOptions::default()
    };
    (prepared, options)
}

/// `helm template rel tests/charts/parent --namespace ns -f parent-user-values.yaml`.
#[test]
fn a_chart_with_subcharts_renders_as_helm_template() {
    let (prepared, options) = prepared_in_ns("parent");
    let got = prepared
        .render(&values("parent-user-values.yaml"), &options)
        .expect("renders");
    let expected =
        std::fs::read_to_string(charts().join("parent-expected.yaml")).expect("expected read");
    assert_eq!(got, expected);
}

#[test]
fn show_only_keeps_the_documents_of_the_named_templates() {
    let chart = Chart::load(charts().join("parent")).expect("the chart loads");
    let prepared = PreparedChart::new(chart).expect("templates parse");
    let options = RenderOptions {
        show_only: vec!["templates/hooks.yaml".into()],
        ..RenderOptions::default()
    };
    let got = prepared.render(&Value::Nil, &options).expect("renders");
    assert!(got.starts_with("---\n# Source: parent/templates/hooks.yaml\n"));
    assert_eq!(got.matches("# Source:").count(), 3, "{got}");
    let missing = RenderOptions {
        show_only: vec!["templates/nope.yaml".into()],
        ..RenderOptions::default()
    };
    let err = prepared
        .render(&Value::Nil, &missing)
        .expect_err("no such template");
    assert_eq!(
        err.to_string(),
        "could not find template templates/nope.yaml in chart"
    );
}

fn one_template(template: &str) -> PreparedChart {
    let files = vec![
        (
            "Chart.yaml".to_string(),
            b"apiVersion: v2\nname: t\nversion: 0.1.0\n".to_vec(),
        ),
        ("templates/x.yaml".to_string(), template.as_bytes().to_vec()),
    ];
    PreparedChart::new(Chart::from_files(files).expect("loads")).expect("parses")
}

#[test]
fn failures_read_as_helm_prints_them() {
    let err = one_template("{{ fail \"boom\" }}")
        .render(&Value::Nil, &RenderOptions::default())
        .expect_err("fails");
    assert_eq!(
        err.helm_stderr(),
        "Error: execution error at (t/templates/x.yaml:1:3): boom\n\nUse --debug flag to render out invalid YAML\n"
    );
    let err = one_template("a: {{ .Values.x.y }}")
        .render(&Value::Nil, &RenderOptions::default())
        .expect_err("fails");
    assert_eq!(
        err.to_string(),
        "t/templates/x.yaml:1:13\n  executing \"t/templates/x.yaml\" at <.Values.x.y>:\n    nil pointer evaluating interface {}.y"
    );
    let err = one_template("a: {{ required \"need x\" .Values.x }}")
        .render(&Value::Nil, &RenderOptions::default())
        .expect_err("fails");
    assert_eq!(
        err.to_string(),
        "execution error at (t/templates/x.yaml:1:6): need x"
    );
    let files = vec![
        (
            "Chart.yaml".to_string(),
            b"apiVersion: v2\nname: t\nversion: 0.1.0\n".to_vec(),
        ),
        ("templates/x.yaml".to_string(), b"a: {{ .Values.x ".to_vec()),
    ];
    let err = PreparedChart::new(Chart::from_files(files).expect("loads")).expect_err("parse");
    assert!(matches!(err, Error::Parse(_)));
    assert_eq!(
        err.to_string(),
        "parse error at (t/templates/x.yaml:1): unclosed action"
    );
}

/// Sprig returns nil slices where a list comes out empty in some functions; `encoding/json`
/// writes them `null`, `reflect.DeepEqual` tells them from empty lists. The expected text is
/// what `helm template` v4.1.4 printed for this template.
#[test]
fn nil_slices_print_as_helm_prints_them() {
    let template = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: x
data:
  a: {{ rest list | toJson | quote }}
  b: {{ initial (list) | toYaml | quote }}
  c: {{ concat | toJson | quote }}
  d: {{ concat (list) (list) | toJson | quote }}
  e: {{ regexFindAll "z" "abc" -1 | toJson | quote }}
  f: {{ regexSplit "b" "abc" 0 | toJson | quote }}
  g: {{ fromYamlArray "" | toJson | quote }}
  h: {{ fromJsonArray "null" | toJson | quote }}
  i: {{ fromJsonArray "null" | kindOf | quote }}
  j: {{ fromYamlArray "null" | typeOf | quote }}
  k: {{ rest list | deepCopy | toJson | quote }}
  l: {{ printf "%v" (rest list) | quote }}
  m: {{ list (rest list) (list) | uniq | len | quote }}
  n: {{ dict "x" (rest list) | toYaml | quote }}
  o: {{ rest (list 1) | toJson | quote }}
  p: {{ regexFindAll "z" "abc" 0 | toJson | quote }}
  q: {{ rest list | toPrettyJson | quote }}
  r: {{ rest list | toYamlPretty | quote }}
  s: {{ has (rest list) (list (list)) | quote }}
  t: {{ fromYamlArray "null" | toJson | quote }}
  u: {{ fromYamlArray "[]" | toJson | quote }}
"#;
    let out = one_template(template)
        .render(&Value::Nil, &RenderOptions::default())
        .expect("renders");
    let expected = "---\n# Source: t/templates/x.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"null\"\n  b: \"null\"\n  c: \"null\"\n  d: \"null\"\n  e: \"null\"\n  f: \"null\"\n  g: \"[]\"\n  h: \"null\"\n  i: \"slice\"\n  j: \"[]interface {}\"\n  k: \"null\"\n  l: \"[]\"\n  m: \"2\"\n  n: \"x: null\"\n  o: \"[]\"\n  p: \"null\"\n  q: \"null\"\n  r: \"[]\"\n  s: \"false\"\n  t: \"[]\"\n  u: \"[]\"\n";
    assert_eq!(out, expected);
}

/// A prepared chart remembers the heads of each template's last output; a template whose
/// output changes is read again, so the order follows the new kinds.
#[test]
fn a_prepared_chart_sorts_each_render_by_its_own_kinds() {
    let files = vec![
        (
            "Chart.yaml".to_string(),
            b"apiVersion: v2\nname: t\nversion: 0.1.0\n".to_vec(),
        ),
        (
            "templates/a.yaml".to_string(),
            b"kind: {{ .Values.k }}\nmetadata:\n  name: a\n".to_vec(),
        ),
        (
            "templates/b.yaml".to_string(),
            b"kind: Service\nmetadata:\n  name: b\n".to_vec(),
        ),
    ];
    let prepared = PreparedChart::new(Chart::from_files(files).expect("loads")).expect("parses");
    let order = |kind: &str| {
        let values = Value::map([("k".to_string(), Value::str(kind))].into_iter().collect());
        let out = prepared
            .render(&values, &RenderOptions::default())
            .expect("renders");
        out.lines()
            .filter_map(|l| l.strip_prefix("kind: "))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(order("Deployment"), ["Service", "Deployment"]);
    assert_eq!(order("Namespace"), ["Namespace", "Service"]);
    assert_eq!(order("Deployment"), ["Service", "Deployment"]);
}

/// Runaway templates stop with an error naming the template and the budget, at once when a
/// function would build too much, after the budget's worth of work otherwise.
#[test]
fn runaway_templates_fail_naming_the_template_and_the_budget() {
    let fails = |template: &str, options: &RenderOptions| -> String {
        one_template(template)
            .render(&Value::Nil, options)
            .expect_err("the budget stops it")
            .to_string()
    };
    let defaults = RenderOptions::default();
    let small = RenderOptions {
        max_steps: 100_000,
        max_output_bytes: 1 << 20,
        ..RenderOptions::default()
    };

    // A list too long to build: refused before it is made.
    let e = fails("{{ range until 100000000 }}x{{ end }}", &defaults);
    assert!(e.contains("t/templates/x.yaml:1:9"), "{e}");
    assert!(e.contains("error calling until"), "{e}");
    assert!(e.contains("took more than 50000000 steps"), "{e}");

    // Loops within loops, each small: the iterations run out.
    let e = fails(
        "{{ range until 1000 }}{{ range until 1000 }}{{ end }}{{ end }}",
        &small,
    );
    assert!(e.contains("executing \"t/templates/x.yaml\""), "{e}");
    assert!(e.contains("took more than 100000 steps"), "{e}");

    // A template including itself twice at every level, 40 levels deep (2^40 includes).
    let e = fails(
        r#"{{ define "f" }}{{ if lt (len .) 40 }}{{ include "f" (append . 1) }}{{ include "f" (append . 1) }}{{ end }}{{ end }}{{ include "f" list }}"#,
        &small,
    );
    assert!(e.contains("executing \"f\""), "{e}");
    assert!(e.contains("took more than 100000 steps"), "{e}");

    // Output: one text too long to build, and a loop writing too much.
    let e = fails("{{ repeat 1000000000 \"x\" }}", &defaults);
    assert!(e.contains("error calling repeat"), "{e}");
    assert!(e.contains("produced more than 67108864 bytes"), "{e}");
    let e = fails(
        "{{ range until 100 }}{{ repeat 100000 \"x\" }}{{ end }}",
        &small,
    );
    assert!(e.contains("t/templates/x.yaml:1:"), "{e}");
    assert!(e.contains("produced more than 1048576 bytes"), "{e}");

    // Within the budget, the same templates render.
    let out = one_template("a: {{ range until 3 }}{{ repeat 2 \"x\" }}{{ end }}")
        .render(&Value::Nil, &small)
        .expect("renders");
    assert!(out.ends_with("a: xxxxxx\n"), "{out}");
}

#[test]
fn notes_are_rendered_but_not_printed() {
    let files = vec![
        (
            "Chart.yaml".to_string(),
            b"apiVersion: v2\nname: t\nversion: 0.1.0\n".to_vec(),
        ),
        ("templates/x.yaml".to_string(), b"a: b\n".to_vec()),
        (
            "templates/NOTES.txt".to_string(),
            b"{{ if .Values.bad }}{{ fail \"n\" }}{{ end }}notes".to_vec(),
        ),
    ];
    let prepared = PreparedChart::new(Chart::from_files(files).expect("loads")).expect("parses");
    let ok = prepared
        .render(&Value::Nil, &RenderOptions::default())
        .expect("renders");
    assert_eq!(ok, "---\n# Source: t/templates/x.yaml\na: b\n");
    let bad = yaml::decode("bad: true").expect("decodes");
    let err = prepared
        .render(&bad, &RenderOptions::default())
        .expect_err("NOTES.txt fails");
    assert_eq!(
        err.to_string(),
        "execution error at (t/templates/NOTES.txt:1:23): n"
    );
}

#[test]
fn an_incompatible_kube_version_is_refused() {
    let files = vec![
        (
            "Chart.yaml".to_string(),
            b"apiVersion: v2\nname: t\nversion: 0.1.0\nkubeVersion: '>=1.31.0-0'\n".to_vec(),
        ),
        ("templates/x.yaml".to_string(), b"a: b\n".to_vec()),
    ];
    let prepared = PreparedChart::new(Chart::from_files(files).expect("loads")).expect("parses");
    let options = RenderOptions {
        kube_version: Some("1.30.0".into()),
        ..RenderOptions::default()
    };
    let err = prepared
        .render(&Value::Nil, &options)
        .expect_err("incompatible");
    assert_eq!(
        err.to_string(),
        "chart requires kubeVersion: >=1.31.0-0 which is incompatible with Kubernetes v1.30.0"
    );
}

#[test]
fn values_a_schema_rejects_fail_as_helm_reports_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/charts/external-dns/chart");
    if !root.is_dir() {
        println!("note: corpus not found at {}; skipping", root.display());
        return;
    }
    let prepared = PreparedChart::new(Chart::load(root).expect("loads")).expect("parses");
    let err = prepared
        .render(&Value::Nil, &RenderOptions::default())
        .expect_err("policy is required");
    assert_eq!(
        err.helm_stderr(),
        "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nexternal-dns:\n- at '/policy': got null, want string\n\n"
    );
    let bad = yaml::decode("policy: sync\nreplicaCount: \"x\"\n").expect("decodes");
    let err = prepared
        .render(&bad, &RenderOptions::default())
        .expect_err("replicaCount is an integer");
    assert_eq!(
        err.to_string(),
        "values don't meet the specifications of the schema(s) in the following chart(s):\nexternal-dns:\n- at '/replicaCount': got string, want integer\n"
    );
}

/// The same chart packed as a `.tgz` whose `charts/` holds the subchart as a `.tgz` too.
#[test]
fn an_archive_with_an_archived_subchart_renders_the_same() {
    let chart = Chart::load(charts().join("parent-1.2.3.tgz")).expect("the archive loads");
    assert!(
        chart.dependencies.iter().any(|d| d.name() == "sub"),
        "the nested archive is a dependency"
    );
    let prepared = PreparedChart::new(chart).expect("templates parse");
    let options = RenderOptions {
        release_name: "rel".into(),
        namespace: "ns".into(),
        ..RenderOptions::default()
    };
    let got = prepared
        .render(&values("parent-user-values.yaml"), &options)
        .expect("renders");
    let expected =
        std::fs::read_to_string(charts().join("parent-expected.yaml")).expect("expected read");
    assert_eq!(got, expected);
}

#[test]
fn a_prepared_chart_renders_on_several_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let chart = Chart::load(charts().join("parent")).expect("the chart loads");
    let prepared = PreparedChart::new(chart).expect("templates parse");
    send_sync(&prepared);
    let options = RenderOptions {
        release_name: "rel".into(),
        namespace: "ns".into(),
        ..RenderOptions::default()
    };
    let expected =
        std::fs::read_to_string(charts().join("parent-expected.yaml")).expect("expected read");
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    prepared
                        .render(&values("parent-user-values.yaml"), &options)
                        .expect("renders")
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().expect("no panic"), expected);
        }
    });
}

/// One prepared chart rendering values that enable and disable subcharts in turn (and a
/// `--kube-version` and back) gives, each time, what a chart prepared for that render alone
/// gives: what one render kept for the next (templates by enabled tree, `.Capabilities`)
/// belongs to the render it fits.
#[test]
fn a_prepared_chart_renders_each_set_of_enabled_subcharts_as_a_fresh_one() {
    let (prepared, options) = prepared_in_ns("parent");
    let older = RenderOptions {
        kube_version: Some("1.29.3".into()),
        ..options.clone()
    };
    let user = values("parent-user-values.yaml");
    let without_a = yaml::decode("sub-a:\n  enabled: false\n").expect("decodes");
    let with_extra = yaml::decode("tags:\n  extra: true\nsub-b:\n  color: red\n").expect("decodes");
    let cases = [
        (&user, &options),
        (&without_a, &options),
        (&with_extra, &older),
        (&user, &older),
        (&without_a, &options),
        (&user, &options),
    ];
    let mut outputs = Vec::new();
    for (values, options) in cases {
        let (fresh, _) = prepared_in_ns("parent");
        let expected = fresh.render(values, options).expect("renders");
        let got = prepared.render(values, options).expect("renders");
        assert_eq!(got, expected);
        outputs.push(got);
    }
    // The cases differ: each set of subcharts (and the cluster) shows in the output.
    assert_ne!(outputs[0], outputs[1]);
    assert_ne!(outputs[1], outputs[2]);
    assert_ne!(outputs[0], outputs[3]);
    assert_eq!(outputs[0], outputs[5]);
}

/// Templates that change the chart's default values (`set`, `unset`, `merge` on
/// `.Values.…`) change them for their own render only: the next render of the same prepared
/// chart, on the same thread, starts from the chart's defaults again, also after a render that
/// changed them and then failed.
#[test]
fn a_render_that_changes_the_defaults_leaves_the_next_render_its_own() {
    let files = vec![
        (
            "Chart.yaml".to_string(),
            b"apiVersion: v2\nname: t\nversion: 0.1.0\n".to_vec(),
        ),
        (
            "values.yaml".to_string(),
            b"cfg:\n  a: 1\n  inner:\n    b: 2\nlist: [1]\nfail: false\n".to_vec(),
        ),
        (
            "templates/cm.yaml".to_string(),
            concat!(
                "{{- $_ := set .Values.cfg \"added\" (add (len .Values.cfg) 1) }}\n",
                "{{- $_ := set .Values.cfg.inner \"n\" (len .Values.cfg.inner) }}\n",
                "{{- $_ := unset .Values.cfg \"a\" }}\n",
                "{{- $_ := merge .Values.cfg.inner (dict \"m\" (len .Values.cfg.inner)) }}\n",
                "{{- if .Values.fail }}{{ fail \"asked to fail\" }}{{ end }}\n",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
                "data:\n  cfg: {{ toJson .Values.cfg | quote }}\n  list: {{ toJson .Values.list | quote }}\n",
            )
            .as_bytes()
            .to_vec(),
        ),
    ];
    let chart = || Chart::from_files(files.clone()).expect("loads");
    let prepared = PreparedChart::new(chart()).expect("parses");
    let options = RenderOptions::default();
    let first = prepared.render(&Value::Nil, &options).expect("renders");
    assert!(
        first.contains(r#"cfg: "{\"added\":3,\"inner\":{\"b\":2,\"m\":2,\"n\":1}}""#),
        "{first}"
    );
    let failing = yaml::decode("fail: true\n").expect("decodes");
    for _ in 0..3 {
        assert_eq!(
            prepared.render(&Value::Nil, &options).expect("renders"),
            first
        );
        let err = prepared.render(&failing, &options).expect_err("fails");
        assert!(err.to_string().contains("asked to fail"), "{err}");
    }
    let fresh = PreparedChart::new(chart()).expect("parses");
    assert_eq!(fresh.render(&Value::Nil, &options).expect("renders"), first);
}

#[test]
fn a_dependency_missing_from_charts_is_refused() {
    let files = vec![
        (
            "Chart.yaml".to_string(),
            b"apiVersion: v2\nname: md\nversion: 1.0.0\ndependencies:\n  - name: ghost\n    version: 1.0.0\n  - name: ghost2\n    version: 1.0.0\n"
                .to_vec(),
        ),
        ("templates/a.yaml".to_string(), b"kind: A\n".to_vec()),
    ];
    let err = PreparedChart::new(Chart::from_files(files).expect("loads")).expect_err("missing");
    assert_eq!(
        err.helm_stderr(),
        "Error: an error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: ghost, ghost2\n"
    );
}

/// `--include-crds` prints each file under `crds/` first, as it is.
#[test]
fn crds_are_printed_first_when_asked_for() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/charts/external-dns");
    if !root.is_dir() {
        println!("note: corpus not found at {}; skipping", root.display());
        return;
    }
    let prepared =
        PreparedChart::new(Chart::load(root.join("chart")).expect("loads")).expect("parses");
    let values = yaml::decode("policy: sync\n").expect("decodes");
    let options = RenderOptions {
        release_name: "corpus".into(),
        namespace: "corpus-ns".into(),
        kube_version: Some("1.30.0".into()),
        api_versions: vec![
            "monitoring.coreos.com/v1".into(),
            "autoscaling.k8s.io/v1".into(),
            "autoscaling.k8s.io/v1/VerticalPodAutoscaler".into(),
        ],
        include_crds: true,
        ..RenderOptions::default()
    };
    let got = prepared.render(&values, &options).expect("renders");
    let mut crds: Vec<PathBuf> = std::fs::read_dir(root.join("chart/crds"))
        .expect("crds")
        .map(|e| e.expect("entry").path())
        .collect();
    crds.sort();
    let mut expected = String::new();
    for crd in crds {
        let name = crd
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&crd).expect("reads");
        expected.push_str(&format!(
            "---\n# Source: external-dns/crds/{name}\n{text}\n"
        ));
    }
    expected
        .push_str(&std::fs::read_to_string(root.join("expected/default.yaml")).expect("expected"));
    assert_eq!(got, expected);
}

#[test]
fn charts_that_cannot_be_read_fail_as_helm_says() {
    let err = Chart::load("/nonexistent/chart").expect_err("no such path");
    assert_eq!(err.to_string(), "path \"/nonexistent/chart\" not found");
    let dir = std::env::temp_dir().join(format!("wo-gotmpl-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let err = Chart::load(&dir).expect_err("no Chart.yaml");
    let chart_yaml = dir.join("Chart.yaml").display().to_string();
    assert_eq!(
        err.to_string(),
        format!(
            "unable to detect chart at {chart_yaml}: open {chart_yaml}: no such file or directory"
        )
    );
    std::fs::remove_dir_all(&dir).expect("removed");
}

/// `helm template rel tests/charts/helpers --namespace ns`: helpers included again and again
/// across files (a render remembers its `include`s), some reading `.Template` (directly,
/// through a `dict`, `toJson`, `range`, `get`, `index`), one file changing `.Values` for the
/// files rendered after it.
#[test]
fn helpers_included_across_files_render_as_helm_template() {
    let (prepared, options) = prepared_in_ns("helpers");
    let expected =
        std::fs::read_to_string(charts().join("helpers-expected.yaml")).expect("expected read");
    for _ in 0..2 {
        let got = prepared.render(&Value::Nil, &options).expect("renders");
        assert_eq!(got, expected);
    }
}
