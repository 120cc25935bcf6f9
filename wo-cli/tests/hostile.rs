//! Hostile and invalid input: each case must end with exit code 2, a message naming the file
//! (and key path and line where they exist), nothing on stdout, and never a panic.

mod common;
use common::Example;

const VALUES: &str = "config/values.yaml";
const BERLIN: &str = "config/targets/berlin-1.yaml";

fn values_file(body: &str) -> String {
    format!("apiVersion: wo/v1\nkind: Values\nvalues:\n{body}")
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let ex = Example::new();
    ex.write(VALUES, values_file("  Image: [a, b\n  Replicas: 2\n"));
    ex.validate().invalid(&["values.yaml:", "error:"]);
}

#[test]
fn tab_indentation_is_a_syntax_error() {
    let ex = Example::new();
    ex.write(
        VALUES,
        "apiVersion: wo/v1\nkind: Values\nvalues:\n\tReplicas: 2\n",
    );
    ex.validate().invalid(&["values.yaml:4"]);
}

#[test]
fn duplicate_keys_are_refused_with_both_lines() {
    let ex = Example::new();
    ex.write(BERLIN, values_file("  Replicas: 4\n  Replicas: 5\n"));
    ex.validate()
        .invalid(&["berlin-1.yaml:5", "duplicate key `Replicas`", "line 4"]);
}

#[test]
fn billion_laughs_fails_fast_on_the_node_budget() {
    let ex = Example::new();
    let mut doc = String::from("apiVersion: wo/v1\nkind: Values\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        doc.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
    }
    doc.push_str("values:\n  Replicas: 2\n");
    ex.write(VALUES, doc);
    ex.validate().invalid(&["values.yaml", "budget"]);
}

#[test]
fn deep_nesting_is_bounded() {
    let ex = Example::new();
    let deep = format!("{}1{}", "[".repeat(500), "]".repeat(500));
    ex.write(VALUES, values_file(&format!("  FeatureFlags: {deep}\n")));
    ex.validate().invalid(&["values.yaml", "depth"]);
}

#[test]
fn huge_scalar_is_bounded() {
    let ex = Example::new();
    let big = "x".repeat(2 << 20);
    ex.write(VALUES, values_file(&format!("  Image: {big}\n")));
    ex.validate().invalid(&["values.yaml", "budget"]);
}

#[test]
fn oversized_file_is_refused_before_parsing() {
    let ex = Example::new();
    let filler = "# padding\n".repeat(1 << 20);
    ex.write(VALUES, values_file(&format!("  Replicas: 2\n{filler}")));
    ex.validate().invalid(&["values.yaml", "limit"]);
}

#[test]
fn wrong_type_names_key_and_line() {
    let ex = Example::new();
    ex.edit(BERLIN, "Replicas: 4", "Replicas: four");
    ex.validate().invalid(&[
        "berlin-1.yaml:4",
        "values.Replicas",
        "expected int, found string",
    ]);
}

#[test]
fn number_where_a_string_is_expected_suggests_quoting() {
    let ex = Example::new();
    ex.write(
        "config/levels/region/eu.yaml",
        values_file("  Currency: 0777\n"),
    );
    ex.validate()
        .invalid(&["eu.yaml:4", "expected string", "quote it"]);
}

#[test]
fn unknown_key_in_values_suggests_the_schema_key() {
    let ex = Example::new();
    ex.edit(BERLIN, "Replicas: 4", "Replcas: 4");
    ex.validate().invalid(&[
        "berlin-1.yaml:4",
        "`Replcas` is not a key of the schema",
        "did you mean `Replicas`?",
    ]);
}

#[test]
fn key_set_at_a_level_editable_at_does_not_allow() {
    let ex = Example::new();
    ex.edit(
        BERLIN,
        "Replicas: 4",
        "Image: registry.example.com/shop:9.9.9",
    );
    ex.validate().invalid(&[
        "berlin-1.yaml:4",
        "`Image` may not be set at level `target`",
        "environment",
    ]);
}

#[test]
fn unknown_function_suggests_the_right_one() {
    let ex = Example::new();
    ex.edit(
        "source/wo/config-template.yaml",
        "image: ${{$val(Image)}}",
        "image: ${{$vall(Image)}}",
    );
    ex.validate().invalid(&[
        "config-template.yaml:6",
        "configs.image",
        "$vall",
        "did you mean `$val`?",
    ]);
}

#[test]
fn unbalanced_expression_is_a_syntax_error_with_position() {
    let ex = Example::new();
    ex.edit(
        "source/wo/config-template.yaml",
        "image: ${{$val(Image)}}",
        "image: ${{$val(Image)",
    );
    ex.validate()
        .invalid(&["config-template.yaml:6", "configs.image", "unclosed"]);
}

#[test]
fn property_cycle_is_reported() {
    let ex = Example::new();
    ex.edit(
        "source/wo/config-template.yaml",
        "appName: shop",
        "appName: ${{$property(alias)}}\n  alias: ${{$property(appName)}}",
    );
    ex.validate()
        .invalid(&["config-template.yaml", "cycle", "appName"]);
}

#[test]
fn template_include_loop_is_reported() {
    let ex = Example::new();
    ex.write(
        "source/wo/includes/logging-template.yaml",
        "metadata: {name: logging, version: 1.0.0}\nconfigs:\n  ${{$include(logging/1.0.0)}}:\n",
    );
    ex.validate()
        .invalid(&["logging-template.yaml:3", "`$include` loop"]);
}

#[test]
fn schema_include_loop_is_reported() {
    let ex = Example::new();
    ex.write(
        "source/wo/includes/logging-schema.yaml",
        "metadata: {name: logging-schema, version: 1.0.0}\nrules:\n  configs:\n    ${{$include(logging-schema/1.0.0)}}:\n",
    );
    ex.validate()
        .invalid(&["logging-schema.yaml:4", "`$include` loop"]);
}

#[test]
fn traversal_as_target_name_is_refused() {
    let ex = Example::new();
    ex.edit("fleet/fleet.yaml", "name: berlin-2", "name: ../../etc");
    ex.validate()
        .invalid(&["fleet.yaml:11", "targets.1.name", "not a valid name"]);
}

#[test]
fn traversal_in_an_orchestrator_id_is_refused() {
    // The id becomes part of the URLs wo sends to Workload Orchestration.
    for bad in [
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Edge/targets/../../../x",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Edge/targets/b?api-version=1",
        "targets/berlin-2",
    ] {
        let ex = Example::new();
        ex.edit(
            "fleet/fleet.yaml",
            "    labels: {tier: standard, country: de}\n",
            &format!("    labels: {{tier: standard, country: de}}\n    orchestrator: {{id: \"{bad}\"}}\n"),
        );
        ex.validate().invalid(&[
            "fleet.yaml:14",
            "targets.1.orchestrator.id",
            "not a resource id",
        ]);
    }
}

#[test]
fn slash_in_target_name_is_refused() {
    let ex = Example::new();
    ex.edit("fleet/fleet.yaml", "name: berlin-2", "name: eu/berlin-2");
    ex.validate()
        .invalid(&["fleet.yaml:11", "not a valid name"]);
}

#[test]
fn traversal_in_target_flag_is_refused() {
    let ex = Example::new();
    ex.resolve("../x")
        .invalid(&["fleet.yaml", "no target `../x`"]);
}

#[test]
fn unknown_field_in_app_descriptor_suggests_the_field() {
    let ex = Example::new();
    ex.edit("source/wo/app.yaml", "namespace: shop", "namespce: shop");
    ex.validate().invalid(&[
        "app.yaml:9",
        "unknown field `namespce`",
        "did you mean `namespace`?",
    ]);
}

#[test]
fn wrong_api_version_is_refused() {
    let ex = Example::new();
    ex.edit("fleet/fleet.yaml", "apiVersion: wo/v1", "apiVersion: wo/v2");
    ex.validate()
        .invalid(&["fleet.yaml:1", "apiVersion", "wo/v1"]);
}

#[test]
fn wrong_kind_is_refused() {
    let ex = Example::new();
    ex.edit("fleet/fleet.yaml", "kind: Fleet", "kind: Values");
    ex.validate()
        .invalid(&["fleet.yaml:2", "expected kind `Fleet`"]);
}

#[test]
fn value_outside_allowed_values() {
    let ex = Example::new();
    ex.edit(
        "config/targets/london-1.yaml",
        "Currency: GBP",
        "Currency: JPY",
    );
    ex.validate()
        .invalid(&["london-1.yaml:4", "JPY", "allowed values"]);
}

#[test]
fn value_not_matching_pattern() {
    let ex = Example::new();
    ex.edit(
        VALUES,
        "PaymentEndpoint: https://pay.example.com",
        "PaymentEndpoint: http://pay.example.com",
    );
    ex.validate()
        .invalid(&["values.yaml:6", "does not match the pattern"]);
}

#[test]
fn value_above_max_value() {
    let ex = Example::new();
    ex.edit(BERLIN, "Replicas: 4", "Replicas: 50");
    ex.validate()
        .invalid(&["berlin-1.yaml:4", "above maxValue 20"]);
}

#[test]
fn required_key_without_value() {
    let ex = Example::new();
    ex.edit(VALUES, "  Image: registry.example.com/shop:1.4.2\n", "");
    ex.validate()
        .invalid(&["schema.yaml", "required key `Image` has no value"]);
}

#[test]
fn cross_key_validation_fails_with_its_message() {
    let ex = Example::new();
    ex.edit(BERLIN, "Replicas: 4", "Replicas: 10");
    ex.validate().invalid(&[
        "schema.yaml",
        "Replicas must not exceed MaxReplicas",
        "berlin-1",
    ]);
}

#[test]
fn per_key_expression_fails() {
    let ex = Example::new();
    ex.edit(BERLIN, "PrinterIp: 10.20.0.7", "PrinterIp: 192.168.1.9");
    ex.validate()
        .invalid(&["berlin-1.yaml:5", "PrinterIp", "fails its rule expression"]);
}

#[test]
fn config_function_is_not_supported_offline() {
    let ex = Example::new();
    ex.edit(
        "source/wo/config-template.yaml",
        "appName: shop",
        "appName: ${{$config(sub/rg/common/1.0.0, AppName)}}",
    );
    ex.validate()
        .invalid(&["config-template.yaml", "not supported offline"]);
}

#[test]
fn unknown_type_in_schema_suggests_a_type() {
    let ex = Example::new();
    ex.edit(
        "source/wo/schema.yaml",
        "type: string\n      required: true\n      pattern: \"^[a-z",
        "type: strng\n      required: true\n      pattern: \"^[a-z",
    );
    ex.validate().invalid(&[
        "schema.yaml:7",
        "unknown type `strng`",
        "did you mean `string`?",
    ]);
}

#[test]
fn invalid_regex_in_schema() {
    let ex = Example::new();
    ex.edit(
        "source/wo/schema.yaml",
        "pattern: \"^https://.+$\"",
        "pattern: \"^https://(.+$\"",
    );
    ex.validate().invalid(&[
        "schema.yaml",
        "rules.configs.PaymentEndpoint.pattern",
        "invalid pattern",
    ]);
}

#[test]
fn unknown_field_in_schema_rule() {
    let ex = Example::new();
    ex.edit("source/wo/schema.yaml", "defaultValue: 4", "defaultVale: 4");
    ex.validate().invalid(&[
        "schema.yaml",
        "rules.configs.MaxReplicas",
        "did you mean `defaultValue`?",
    ]);
}

#[test]
fn duplicate_target_in_fleet() {
    let ex = Example::new();
    ex.edit("fleet/fleet.yaml", "name: berlin-2", "name: berlin-1");
    ex.validate().invalid(&["fleet.yaml:11", "defined twice"]);
}

#[test]
fn assignment_to_unknown_target() {
    let ex = Example::new();
    ex.edit("fleet/fleet.yaml", "selector: {}", "targets: [berlin-3]");
    ex.validate().invalid(&[
        "fleet.yaml",
        "assignments.0.targets.0",
        "no target `berlin-3`",
        "did you mean",
    ]);
}

#[test]
fn value_file_for_unknown_target() {
    let ex = Example::new();
    ex.write(
        "config/targets/berlin-9.yaml",
        values_file("  Replicas: 2\n"),
    );
    ex.validate()
        .invalid(&["berlin-9.yaml", "no target `berlin-9`"]);
}

#[test]
fn value_file_for_unknown_level() {
    let ex = Example::new();
    ex.write(
        "config/levels/regoin/eu.yaml",
        values_file("  Currency: EUR\n"),
    );
    ex.validate().invalid(&[
        "levels/regoin/eu.yaml",
        "not a hierarchy level",
        "did you mean `levels/region/`?",
    ]);
}

#[test]
fn non_utf8_file_is_refused() {
    let ex = Example::new();
    ex.write(
        VALUES,
        b"apiVersion: wo/v1\nkind: Values\nvalues:\n  Image: \xff\xfe\n",
    );
    ex.validate().invalid(&["values.yaml", "UTF-8"]);
}

#[test]
fn unknown_tag_is_refused() {
    let ex = Example::new();
    ex.write(
        VALUES,
        values_file("  Image: !!python/object:os.system echo\n"),
    );
    ex.validate().invalid(&["values.yaml:4", "tag"]);
}

#[test]
fn unsafe_path_in_app_descriptor() {
    let ex = Example::new();
    ex.edit(
        "source/wo/app.yaml",
        "schema: wo/schema.yaml",
        "schema: ../../etc/passwd",
    );
    ex.validate().invalid(&["app.yaml:5", "schema", "`..`"]);
}

#[test]
fn two_documents_in_a_value_file() {
    let ex = Example::new();
    ex.write(
        VALUES,
        format!(
            "{}---\n{}",
            values_file("  Replicas: 2\n"),
            values_file("  Replicas: 3\n")
        ),
    );
    ex.validate().invalid(&["values.yaml", "one YAML document"]);
}

#[test]
fn values_must_be_a_mapping() {
    let ex = Example::new();
    ex.write(VALUES, values_file("  - Replicas\n"));
    ex.validate()
        .invalid(&["values.yaml:4", "`values` must be a mapping"]);
}

#[test]
fn missing_chart_directory() {
    let ex = Example::new();
    std::fs::remove_dir_all(ex.path("source/chart")).expect("rm chart");
    ex.validate()
        .invalid(&["app.yaml", "chart directory `chart` is empty or missing"]);
}

#[cfg(unix)]
#[test]
fn symlinks_in_a_checkout_are_refused() {
    let ex = Example::new();
    std::os::unix::fs::symlink("/etc/passwd", ex.path("config/targets/chicago-1.yaml"))
        .expect("symlink");
    ex.validate().invalid(&["chicago-1.yaml", "symbolic links"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let ex = Example::new();
    ex.edit(BERLIN, "Replicas: 4", "Replicas: 50");
    ex.edit(
        "config/targets/london-1.yaml",
        "Currency: GBP",
        "Currency: JPY",
    );
    ex.edit(
        VALUES,
        "PaymentEndpoint: https://pay.example.com",
        "PaymentEndpoint: http://pay.example.com",
    );
    let run = ex.validate();
    run.invalid(&[
        "berlin-1.yaml:4",
        "london-1.yaml:4",
        "values.yaml:6",
        "3 problems found",
    ]);
}
