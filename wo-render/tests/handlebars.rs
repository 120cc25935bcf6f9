//! The handlebars renderer through the `Renderer` port: chart conventions, helpers, errors,
//! limits and fleet rendering.

use serde_json::{json, Value};
use wo_core::files::FileTree;
use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};
use wo_core::{Error, Result};
use wo_render::HandlebarsRenderer;

const CHART_YAML: &str =
    "name: app\nversion: 0.3.0\nappVersion: \"1.0\"\nannotations:\n  wo/engine: handlebars\n";

fn chart(files: &[(&str, &str)]) -> Chart {
    let mut tree = FileTree::new();
    tree.insert("Chart.yaml", CHART_YAML).unwrap();
    for (path, text) in files {
        tree.insert(*path, *text).unwrap();
    }
    Chart {
        name: "app".into(),
        files: tree,
    }
}

fn request(target: &str, values: Value) -> RenderRequest {
    RenderRequest {
        release_name: "rel".into(),
        namespace: "ns".into(),
        target: TargetView {
            name: target.into(),
            labels: [("tier".to_owned(), "gold".to_owned())].into(),
            hierarchy: [("region".to_owned(), "eu".to_owned())].into(),
            ..TargetView::default()
        },
        values,
    }
}

fn render_with(
    renderer: &HandlebarsRenderer,
    chart: &Chart,
    requests: &[RenderRequest],
) -> Result<Vec<String>> {
    futures::executor::block_on(renderer.render(chart, requests))
        .map(|out| out.into_iter().map(|r| r.manifests).collect())
}

/// Renders one template `templates/t.yaml` with `values`; the document body only.
fn one(template: &str, values: Value) -> Result<String> {
    let chart = chart(&[("templates/t.yaml", template)]);
    let out = render_with(&HandlebarsRenderer::new(), &chart, &[request("t1", values)])?;
    Ok(out[0]
        .trim_start_matches("---\n# Source: app/templates/t.yaml\n")
        .to_owned())
}

fn only_diagnostic(err: &Error) -> (&str, Option<u32>, &str) {
    let d = err.diagnostics();
    assert_eq!(d.len(), 1, "{err}");
    (&d[0].location.file, d[0].location.line, &d[0].message)
}

#[test]
fn context_holds_values_release_chart_and_target() {
    let out = one(
        "v: {{Values.a}}\nr: {{Release.Name}}/{{Release.Namespace}}/{{Release.Service}}\n\
         c: {{Chart.Name}}-{{Chart.Version}}-{{Chart.AppVersion}}-{{lookup Chart.Annotations \"wo/engine\"}}\n\
         t: {{Target.Name}} {{Target.Labels.tier}} {{Target.Hierarchy.region}}\n",
        json!({"a": 1}),
    )
    .unwrap();
    assert_eq!(
        out,
        "v: 1\nr: rel/ns/Helm\nc: app-0.3.0-1.0-handlebars\nt: t1 gold eu\n"
    );
}

#[test]
fn request_values_are_merged_over_the_chart_defaults() {
    let chart = chart(&[
        ("values.yaml", "a:\n  x: 1\n  y: 2\nb: keep\nc: gone\n"),
        (
            "templates/t.yaml",
            "x: {{Values.a.x}}\ny: {{Values.a.y}}\nb: {{Values.b}}\nc: {{#if Values.c}}set{{else}}unset{{/if}}\n",
        ),
    ]);
    let out = render_with(
        &HandlebarsRenderer::new(),
        &chart,
        &[request("t", json!({"a": {"y": 20}, "c": null}))],
    )
    .unwrap();
    assert!(
        out[0].ends_with("x: 1\ny: 20\nb: keep\nc: unset\n"),
        "{}",
        out[0]
    );
}

#[test]
fn helm_style_helpers_compose() {
    let out = one(
        "a: {{quote (default \"info\" Values.missing.deep)}}\n\
         b: {{nindent 2 (toYaml Values.res)}}\n\
         c: {{trunc 5 (upper Values.s)}} {{trunc -3 Values.s}} {{trimSuffix \"-\" \"ab-\"}} {{title \"a b\"}}\n\
         d: {{#if (and (eq Values.n 3) (le Values.n 3) (ge Values.n 3) (not (gt Values.n 3)))}}yes{{/if}}\n\
         e: {{hasKey Values.res \"cpu\"}} {{empty Values.e}} {{add (int \"2\") Values.n}} {{b64enc \"hi\"}}\n\
         f: {{squote Values.s}}\ng: {{replace \"-\" \"_\" Values.s}}\nh: {{toJson Values.res}}\ni: {{printf \"%s:%d\" Values.s Values.n}}\n",
        json!({"res": {"mem": "1Gi", "cpu": "on"}, "s": "shop-web", "n": 3, "e": []}),
    )
    .unwrap();
    assert_eq!(
        out,
        "a: \"info\"\nb: \n  cpu: 'on'\n  mem: 1Gi\nc: SHOP- web ab A B\nd: yes\n\
         e: true true 5 aGk=\nf: 'shop-web'\ng: shop_web\nh: {\"cpu\":\"on\",\"mem\":\"1Gi\"}\ni: shop-web:3\n"
    );
}

#[test]
fn named_templates_are_defined_in_tpl_files_and_included() {
    let chart = chart(&[
        (
            "templates/_helpers.tpl",
            "{{!-- names --}}\n{{#define \"app.name\"}}\n  {{Release.Name}}-{{Target.Name}}\n{{/define}}\n\
             {{#define \"app.labels\"}}\nname: {{include \"app.name\" this}}\ntier: {{Target.Labels.tier}}\n{{/define}}\n",
        ),
        (
            "templates/cm.yaml",
            "kind: ConfigMap\nmetadata:\n  labels:{{nindent 4 (include \"app.labels\" this)}}\n",
        ),
    ]);
    let out = render_with(
        &HandlebarsRenderer::new(),
        &chart,
        &[request("t1", json!({}))],
    )
    .unwrap();
    assert_eq!(
        out[0],
        "---\n# Source: app/templates/cm.yaml\nkind: ConfigMap\nmetadata:\n  labels:\n    name: rel-t1\n    tier: gold\n"
    );
}

#[test]
fn documents_are_ordered_by_kind_and_empty_output_is_skipped() {
    let chart = chart(&[
        ("templates/a-deploy.yaml", "kind: Deployment\n"),
        (
            "templates/b-empty.yaml",
            "{{#if Values.off}}kind: Secret{{/if}}\n\n",
        ),
        (
            "templates/c-svc.yaml",
            "kind: Service\n---\nkind: ConfigMap\n",
        ),
        (
            "templates/NOTES.txt",
            "Thanks for installing {{Release.Name}}\n",
        ),
    ]);
    let out = render_with(
        &HandlebarsRenderer::new(),
        &chart,
        &[request("t", json!({}))],
    )
    .unwrap();
    assert_eq!(
        out[0],
        "---\n# Source: app/templates/c-svc.yaml\nkind: ConfigMap\n\
         ---\n# Source: app/templates/c-svc.yaml\nkind: Service\n\
         ---\n# Source: app/templates/a-deploy.yaml\nkind: Deployment\n"
    );
}

#[test]
fn a_fleet_renders_in_request_order_and_the_same_as_alone() {
    let chart = chart(&[(
        "templates/t.yaml",
        "kind: ConfigMap\ndata:\n  target: {{Target.Name}}\n  n: {{quote Values.n}}\n",
    )]);
    let requests: Vec<RenderRequest> = (0..23)
        .map(|i| request(&format!("t{i}"), json!({"n": i})))
        .collect();
    let renderer = HandlebarsRenderer::builder().workers(4).build();
    let fleet = render_with(&renderer, &chart, &requests).unwrap();
    assert_eq!(fleet.len(), 23);
    for (i, (out, req)) in fleet.iter().zip(&requests).enumerate() {
        assert!(
            out.contains(&format!("target: t{i}\n  n: \"{i}\"\n")),
            "{out}"
        );
        let alone = render_with(
            &HandlebarsRenderer::new(),
            &chart,
            std::slice::from_ref(req),
        );
        assert_eq!(&alone.unwrap()[0], out);
    }
}

#[test]
fn one_failing_request_fails_the_call() {
    let chart = chart(&[("templates/t.yaml", "x: {{Values.x}}\n")]);
    let requests = [
        request("ok-1", json!({"x": 1})),
        request("bad-1", json!({})),
        request("ok-2", json!({"x": 2})),
    ];
    let err = render_with(&HandlebarsRenderer::new(), &chart, &requests).unwrap_err();
    let (file, line, message) = only_diagnostic(&err);
    assert_eq!((file, line), ("templates/t.yaml", Some(1)));
    assert!(
        message.contains("bad-1") && message.contains("Values.x"),
        "{message}"
    );
}

#[test]
fn syntax_errors_name_file_and_line_including_inside_defines() {
    let chart = chart(&[
        (
            "templates/_helpers.tpl",
            "\n{{#define \"a\"}}\nok\n{{/define}}\n\n{{#define \"b\"}}\nline one\n{{#if x}}never closed\n{{/define}}\n",
        ),
        ("templates/t.yaml", "a: 1\nb: {{Values.x}\nc: 2\n"),
    ]);
    let err = render_with(
        &HandlebarsRenderer::new(),
        &chart,
        &[request("t", json!({}))],
    )
    .unwrap_err();
    let places: Vec<(String, Option<u32>)> = err
        .diagnostics()
        .iter()
        .map(|d| (d.location.file.clone(), d.location.line))
        .collect();
    assert_eq!(places.len(), 2, "{err}");
    assert_eq!(places[0].0, "templates/_helpers.tpl");
    assert!(places[0].1.is_some_and(|l| l >= 7), "{err}");
    assert_eq!(places[1], ("templates/t.yaml".to_owned(), Some(2)));
}

#[test]
fn render_errors_inside_an_included_template_point_into_the_tpl_file() {
    let chart = chart(&[
        (
            "templates/_helpers.tpl",
            "{{#define \"a\"}}\nfirst\n  {{Values.nope}}\n{{/define}}\n",
        ),
        ("templates/t.yaml", "x: {{include \"a\" this}}\n"),
    ]);
    let err = render_with(
        &HandlebarsRenderer::new(),
        &chart,
        &[request("berlin", json!({}))],
    )
    .unwrap_err();
    let (file, line, message) = only_diagnostic(&err);
    assert_eq!((file, line), ("templates/_helpers.tpl", Some(3)));
    assert_eq!(err.diagnostics()[0].location.column, Some(3));
    assert!(message.contains("berlin"), "{message}");
}

#[test]
fn required_fails_with_its_message() {
    let err = one(
        "x: {{required \"x is needed\" Values.x}}\n",
        json!({"x": ""}),
    )
    .unwrap_err();
    let (_, _, message) = only_diagnostic(&err);
    assert!(message.contains("x is needed"), "{message}");
}

#[test]
fn unknown_helpers_and_partials_are_refused() {
    assert!(one("x: {{frobnicate Values.x}}\n", json!({"x": 1})).is_err());
    let err = one("x: {{> other}}\n", json!({})).unwrap_err();
    assert!(err.diagnostics()[0].message.contains("partials"), "{err}");
    let err = one("{{#define \"x\"}}y{{/define}}\n", json!({})).unwrap_err();
    assert!(err.diagnostics()[0].message.contains("_*.tpl"), "{err}");
}

#[test]
fn stray_text_in_a_tpl_file_is_refused() {
    let chart = chart(&[
        (
            "templates/_helpers.tpl",
            "{{#define \"a\"}}x{{/define}}\nkind: Oops\n",
        ),
        ("templates/t.yaml", "a: 1\n"),
    ]);
    let err = render_with(
        &HandlebarsRenderer::new(),
        &chart,
        &[request("t", json!({}))],
    )
    .unwrap_err();
    let (file, line, _) = only_diagnostic(&err);
    assert_eq!((file, line), ("templates/_helpers.tpl", Some(2)));
}

#[test]
fn output_past_the_limit_fails_naming_template_and_target() {
    let chart = chart(&[(
        "templates/big.yaml",
        "items:\n{{#each Values.items}}\n  - {{this}} and some padding to grow the output quickly\n{{/each}}\n",
    )]);
    let items: Vec<u32> = (0..1000).collect();
    let renderer = HandlebarsRenderer::builder().max_output_bytes(4096).build();
    let err = render_with(
        &renderer,
        &chart,
        &[request("paris-1", json!({"items": items}))],
    )
    .unwrap_err();
    let (file, _, message) = only_diagnostic(&err);
    assert_eq!(file, "templates/big.yaml");
    assert_eq!(
        message,
        "templates/big.yaml produced more than 4 KiB for target paris-1"
    );

    // Under the limit, the same chart renders.
    let small = render_with(
        &renderer,
        &chart,
        &[request("paris-1", json!({"items": [1, 2]}))],
    );
    assert!(small.is_ok());
}

#[test]
fn output_grown_inside_includes_is_bounded_too() {
    // Each level doubles the text: 2^40 bytes unless something stops it.
    let mut helpers = String::from("{{#define \"l0\"}}xxxxxxxxxxxxxxxx{{/define}}\n");
    for i in 1..=40 {
        helpers.push_str(&format!(
            "{{{{#define \"l{i}\"}}}}{{{{include \"l{p}\" this}}}}{{{{include \"l{p}\" this}}}}{{{{/define}}}}\n",
            p = i - 1
        ));
    }
    let chart = chart(&[
        ("templates/_helpers.tpl", &helpers),
        ("templates/bomb.yaml", "x: {{include \"l40\" this}}\n"),
    ]);
    let renderer = HandlebarsRenderer::builder()
        .max_output_bytes(64 << 10)
        .max_include_depth(64)
        .build();
    let err = render_with(&renderer, &chart, &[request("t", json!({}))]).unwrap_err();
    let (_, _, message) = only_diagnostic(&err);
    assert!(message.contains("produced more than 64 KiB"), "{message}");
}

#[test]
fn recursive_include_stops_at_the_depth_limit() {
    let chart = chart(&[
        (
            "templates/_helpers.tpl",
            "{{#define \"ok\"}}{{include \"leaf\" this}}{{/define}}\n{{#define \"leaf\"}}leaf{{/define}}\n\
             {{#define \"loop\"}}\n{{include \"loop\" this}}\n{{/define}}\n",
        ),
        ("templates/a.yaml", "a: {{include \"ok\" this}}\n"),
        ("templates/b.yaml", "b: {{include \"loop\" this}}\n"),
    ]);
    let renderer = HandlebarsRenderer::builder().max_include_depth(8).build();
    let err = render_with(&renderer, &chart, &[request("lyon-1", json!({}))]).unwrap_err();
    let (file, line, message) = only_diagnostic(&err);
    assert_eq!((file, line), ("templates/_helpers.tpl", Some(4)));
    assert!(
        message.contains("`include \"loop\"` nested more than 8 deep"),
        "{message}"
    );
    assert!(message.contains("lyon-1"), "{message}");

    // The default depth holds with the default worker stack.
    let err = render_with(
        &HandlebarsRenderer::new(),
        &chart,
        &[request("t", json!({}))],
    )
    .unwrap_err();
    assert!(err.to_string().contains("more than 32 deep"), "{err}");
}

#[test]
fn bad_chart_metadata_and_values_are_invalid_input() {
    let mut files = FileTree::new();
    files.insert("templates/t.yaml", "a: 1\n").unwrap();
    let no_chart_yaml = Chart {
        name: "x".into(),
        files,
    };
    let err = render_with(
        &HandlebarsRenderer::new(),
        &no_chart_yaml,
        &[request("t", json!({}))],
    )
    .unwrap_err();
    assert_eq!(only_diagnostic(&err).0, "Chart.yaml");

    let list_values = chart(&[("values.yaml", "- 1\n"), ("templates/t.yaml", "a: 1\n")]);
    let err = render_with(
        &HandlebarsRenderer::new(),
        &list_values,
        &[request("t", json!({}))],
    )
    .unwrap_err();
    assert_eq!(only_diagnostic(&err).0, "values.yaml");

    let err = one("a: 1\n", json!([1, 2])).unwrap_err();
    assert!(err.is_invalid_input());
    assert!(only_diagnostic(&err).2.contains("must be a map"), "{err}");
}

#[test]
fn rendered_output_that_is_not_yaml_is_invalid() {
    let err = one("a: [{{Values.x}}\n", json!({"x": 1})).unwrap_err();
    let (file, _, message) = only_diagnostic(&err);
    assert_eq!(file, "templates/t.yaml");
    assert!(message.contains("invalid YAML"), "{message}");
}

#[test]
fn no_requests_still_checks_the_chart() {
    let good = chart(&[("templates/t.yaml", "a: {{Values.x}}\n")]);
    assert_eq!(
        render_with(&HandlebarsRenderer::new(), &good, &[])
            .unwrap()
            .len(),
        0
    );
    let bad = chart(&[("templates/t.yaml", "a: {{#if}}\n")]);
    assert!(render_with(&HandlebarsRenderer::new(), &bad, &[]).is_err());
}
