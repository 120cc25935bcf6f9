//! Issue 11, classes 4 and 5: helpers that grow a text at each step stop at the output bound,
//! and each target has a deterministic step budget (helper calls, `include`s, `{{#each}}`
//! items), so nested loops and `include` fan-outs fail naming the template, its line and the
//! target instead of running for minutes. Before the budgets, the first test allocated 1.4 GB
//! and the next two ran for minutes to hours.

use serde_json::{json, Value};
use wo_core::files::FileTree;
use wo_core::ports::{Chart, RenderRequest, Renderer, TargetView};
use wo_core::{Diagnostic, Error, Result};
use wo_render::handlebars::DEFAULT_MAX_STEPS;
use wo_render::HandlebarsRenderer;

fn chart(files: &[(&str, String)]) -> Chart {
    let mut tree = FileTree::new();
    tree.insert(
        "Chart.yaml",
        "name: app\nversion: 0.1.0\nannotations:\n  wo/engine: handlebars\n",
    )
    .unwrap();
    for (path, text) in files {
        tree.insert(*path, text.clone()).unwrap();
    }
    Chart {
        name: "app".into(),
        files: tree,
    }
}

fn render(renderer: &HandlebarsRenderer, chart: &Chart, values: Value) -> Result<String> {
    let request = RenderRequest {
        release_name: "rel".into(),
        namespace: "ns".into(),
        target: TargetView {
            name: "berlin-1".into(),
            ..TargetView::default()
        },
        values,
    };
    let out = futures::executor::block_on(renderer.render(chart, &[request]))?;
    Ok(out.into_iter().map(|r| r.manifests).collect())
}

fn only_problem(r: Result<String>) -> Diagnostic {
    match r {
        Err(Error::Invalid(ds)) => {
            assert_eq!(ds.0.len(), 1, "{ds}");
            ds.0[0].clone()
        }
        Err(other) => panic!("expected an invalid-input error, got {other}"),
        Ok(text) => panic!("expected an error, rendered {} bytes", text.len()),
    }
}

fn thousand() -> Value {
    json!({ "items": (0..1000).collect::<Vec<_>>() })
}

#[test]
fn b64enc_nested_66_deep_stops_at_the_output_bound() {
    // The bomb: each `b64enc` grows the text by a third; 66 deep is 1.4 GB.
    let mut expr = String::from("Values.seed");
    for _ in 0..66 {
        expr = format!("(b64enc {expr})");
    }
    let template = format!(
        "kind: ConfigMap\ndata:\n  x: {{{{{}}}}}\n",
        &expr[1..expr.len() - 1]
    );
    let chart = chart(&[("templates/cm.yaml", template)]);
    let d = only_problem(render(
        &HandlebarsRenderer::new(),
        &chart,
        json!({"seed": "x".repeat(1000)}),
    ));
    assert_eq!(d.location.file, "templates/cm.yaml");
    assert_eq!(d.location.line, Some(3), "{d}");
    assert!(
        d.message
            .contains("`b64enc` built a text of more than 16 MiB"),
        "{d}"
    );
    assert!(d.message.contains("berlin-1"), "{d}");
}

#[test]
fn a_smaller_output_bound_bounds_helper_texts_too() {
    let chart = chart(&[(
        "templates/cm.yaml",
        "x: {{len (b64enc (b64enc Values.seed))}}\n".to_owned(),
    )]);
    let seed = json!({"seed": "x".repeat(3000)});
    let small = HandlebarsRenderer::builder().max_output_bytes(5000).build();
    let d = only_problem(render(&small, &chart, seed.clone()));
    assert!(
        d.message
            .contains("`b64enc` built a text of more than 5000 bytes"),
        "{d}"
    );
    // Within the bound the same template renders.
    let roomy = HandlebarsRenderer::builder().max_output_bytes(6000).build();
    assert!(render(&roomy, &chart, seed).unwrap().contains("x: 5336"));
}

#[test]
fn three_loops_nested_over_a_thousand_items_stop_at_the_step_budget() {
    let template = "kind: List\nitems:\n{{#each Values.items}}{{#each @root.Values.items}}{{#each @root.Values.items}}{{/each}}{{/each}}{{/each}}\n";
    let chart = chart(&[("templates/loops.yaml", template.to_owned())]);
    let d = only_problem(render(&HandlebarsRenderer::new(), &chart, thousand()));
    assert_eq!(d.location.file, "templates/loops.yaml");
    assert_eq!(d.location.line, Some(3), "{d}");
    assert!(
        d.message
            .contains(&format!("took more than {DEFAULT_MAX_STEPS} steps")),
        "{d}"
    );
    assert!(
        d.message
            .contains("templates/loops.yaml, for target berlin-1"),
        "{d}"
    );
}

#[test]
fn an_include_fan_out_stops_at_the_step_budget_naming_the_template() {
    // a0 includes a1 twice, a1 includes a2 twice, … 30 deep: 2^30 includes within the depth
    // limit of 32.
    let mut helpers = String::new();
    for i in 0..30 {
        helpers.push_str(&format!(
            "{{{{#define \"a{i}\"}}}}{{{{include \"a{n}\" this}}}}{{{{include \"a{n}\" this}}}}{{{{/define}}}}\n",
            n = i + 1
        ));
    }
    helpers.push_str("{{#define \"a30\"}}x{{/define}}\n");
    let chart = chart(&[
        ("templates/_fan.tpl", helpers),
        (
            "templates/cm.yaml",
            "kind: ConfigMap\ndata:\n  x: {{include \"a0\" this}}\n".to_owned(),
        ),
    ]);
    let d = only_problem(render(&HandlebarsRenderer::new(), &chart, json!({})));
    assert_eq!(d.location.file, "templates/_fan.tpl", "{d}");
    assert!(d.location.line.is_some(), "{d}");
    assert!(d.message.contains("steps"), "{d}");
    assert!(
        d.message.contains("templates/cm.yaml, for target berlin-1"),
        "{d}"
    );
}

#[test]
fn the_step_count_is_exact_and_per_target() {
    // One `{{#each}}` over 10 items (11 steps), one helper call per item (10): 21 steps.
    let chart = chart(&[(
        "templates/cm.yaml",
        "x:\n{{#each Values.items}}\n  - {{quote this}}\n{{/each}}\n".to_owned(),
    )]);
    let values = json!({ "items": (0..10).collect::<Vec<_>>() });
    let at = |steps: u64| {
        let r = HandlebarsRenderer::builder().max_steps(steps).build();
        render(&r, &chart, values.clone())
    };
    assert!(at(21).is_ok());
    let d = only_problem(at(20));
    assert!(d.message.contains("took more than 20 steps"), "{d}");
    // An `include` is one step and one per value it passes: {a: 1, b: [1, 2]} is 5 values.
    let inc = chart_with_include();
    let at_inc = |steps: u64| {
        let r = HandlebarsRenderer::builder().max_steps(steps).build();
        render(&r, &inc, json!({"small": {"a": 1, "b": [1, 2]}}))
    };
    assert!(at_inc(6).is_ok());
    assert!(only_problem(at_inc(5))
        .message
        .contains("took more than 5 steps"));
    // The budget is per target: two targets of 21 steps each render within 21.
    let r = HandlebarsRenderer::builder()
        .max_steps(21)
        .workers(1)
        .build();
    let request = |name: &str| RenderRequest {
        release_name: "rel".into(),
        namespace: "ns".into(),
        target: TargetView {
            name: name.into(),
            ..TargetView::default()
        },
        values: values.clone(),
    };
    let both = futures::executor::block_on(r.render(&chart, &[request("a"), request("b")]));
    assert_eq!(both.map(|o| o.len()).ok(), Some(2));
}

fn chart_with_include() -> Chart {
    chart(&[
        (
            "templates/_h.tpl",
            "{{#define \"x\"}}{{a}}{{/define}}\n".to_owned(),
        ),
        (
            "templates/cm.yaml",
            "x: {{include \"x\" Values.small}}\n".to_owned(),
        ),
    ])
}

#[test]
fn each_behaves_as_handlebars_own() {
    // The budgeted `{{#each}}` replaces handlebars' own; the same template renders the same
    // text through both.
    let template = "{{#each Values.list}}{{@index}}{{#if @first}}F{{/if}}{{#if @last}}L{{/if}}={{this}};{{/each}}\n\
        {{#each Values.map}}{{@key}}:{{@index}}:{{this.v}}:{{../Values.sep}};{{/each}}\n\
        {{#each Values.list as |item i|}}{{i}}-{{item}},{{/each}}\n\
        {{#each Values.map as |entry k|}}{{k}}={{entry.v}},{{/each}}\n\
        {{#each Values.empty}}never{{else}}empty{{/each}}\n\
        {{#each Values.nested}}{{#each this}}{{@../index}}.{{@index}}={{this}} {{/each}}{{/each}}\n";
    let values = json!({
        "list": ["a", "b", "c"],
        "map": {"x": {"v": 1}, "y": {"v": 2}},
        "sep": "|",
        "empty": [],
        "nested": [[1, 2], [3]],
    });
    let chart = chart(&[("templates/t.yaml", template.to_owned())]);
    let ours = render(&HandlebarsRenderer::new(), &chart, values.clone()).unwrap();

    let mut own = handlebars::Handlebars::new();
    own.set_strict_mode(true);
    own.register_escape_fn(handlebars::no_escape);
    own.register_template_string("t", template).unwrap();
    let theirs = own.render("t", &json!({ "Values": values })).unwrap();
    let body = ours.trim_start_matches("---\n# Source: app/templates/t.yaml\n");
    assert_eq!(body.trim_end(), theirs.trim_end());
}
