//! Azure Workload Orchestration's own sample files (copied into `tests/fixtures`) parse, and
//! the basic solution resolves with its sample values.

use std::path::Path;

use wo_core::engine::{Bundle, Resolver};
use wo_core::files::FileTree;
use wo_core::format::fleet::Fleet;
use wo_core::format::schema::Schema;
use wo_core::format::template::ConfigTemplate;
use wo_core::format::values::{Level, ValueFile, ValueSet};

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/azure-wo-samples")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(fixtures().join(rel)).expect("fixture")
}

#[test]
fn every_sample_schema_parses() {
    let cases = [
        ("Basic solution/shared-schema.yaml", 7),
        ("custom-validation-schema.yaml", 7),
        ("Shared dependencies/fsad-schema.yaml", 5),
        ("Shared dependencies/ssa-schema.yaml", 4),
        ("Solution with common configuration/common-schema.yaml", 2),
    ];
    for (file, keys) in cases {
        let schema = Schema::parse(&read(file), file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(schema.rules().count(), keys, "{file}");
    }
    let custom = Schema::parse(&read("custom-validation-schema.yaml"), "c").unwrap();
    assert_eq!(custom.rules().filter(|r| r.expression.is_some()).count(), 2);
}

#[test]
fn every_sample_template_parses() {
    let cases = [
        (
            "Basic solution/app-config-template.yaml",
            Some("priceDetectorSchema"),
        ),
        (
            "Shared dependencies/fsad-config-template.yaml",
            Some("fsad-schema"),
        ),
        (
            "Shared dependencies/ssa-config-template.yaml",
            Some("ssaSchema"),
        ),
        (
            "Solution with common configuration/common-config.yaml",
            Some("CommonSchema"),
        ),
    ];
    for (file, schema) in cases {
        let t = ConfigTemplate::parse(&read(file), file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(t.schema.as_ref().map(|s| s.name.as_str()), schema, "{file}");
    }
    let common = ConfigTemplate::parse(
        &read("Solution with common configuration/common-config.yaml"),
        "c",
    )
    .unwrap();
    assert_eq!(common.schema.unwrap().version.as_deref(), Some("1.0"));
    let fsad =
        ConfigTemplate::parse(&read("Shared dependencies/fsad-config-template.yaml"), "f").unwrap();
    assert!(fsad.dependencies.is_some(), "dependencies are kept");
}

#[test]
fn sample_solution_specifications_parse_as_yaml() {
    for file in [
        "Basic solution/specs.json",
        "Shared dependencies/fsad-specs.json",
    ] {
        let node =
            wo_core::yaml::parse(&read(file), file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let v = node.to_value(file).unwrap();
        assert!(v["components"].is_array(), "{file}");
    }
}

fn bundle(schema: &str, template: &str) -> Bundle {
    let mut src = FileTree::new();
    src.insert(
        "wo/app.yaml",
        "apiVersion: wo/v1\nkind: Application\nname: price-detector\nchart: chart\nschema: wo/schema.yaml\nconfigTemplate: wo/template.yaml\n",
    )
    .unwrap();
    src.insert("wo/schema.yaml", read(schema)).unwrap();
    src.insert("wo/template.yaml", read(template)).unwrap();
    src.insert(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: x\nversion: 1.0.0\n",
    )
    .unwrap();
    Bundle::load(&src, "").unwrap()
}

fn one_target_fleet() -> Fleet {
    Fleet::parse(
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: dev\ntargets:\n  - name: line-1\nassignments:\n  - solution: price-detector\n    targets: [line-1]\n",
        "fleet.yaml",
    )
    .unwrap()
}

#[test]
fn basic_solution_resolves_with_its_sample_values() {
    let b = bundle(
        "Basic solution/shared-schema.yaml",
        "Basic solution/app-config-template.yaml",
    );
    let values = ValueSet {
        files: vec![ValueFile::parse_plain(
            &read("Basic solution/config.yaml"),
            "config.yaml",
            Level::Environment,
        )
        .unwrap()],
    };
    let fleet = one_target_fleet();
    let r = Resolver::new(&b, &values, &fleet).unwrap();
    let resolved = r.resolve(fleet.target("line-1").unwrap()).unwrap();
    assert_eq!(resolved.values["AppName"], "PriceDetector");
    assert_eq!(resolved.values["TemperatureRangeMax"], 85);
    assert_eq!(resolved.values["EnableLocalLog"], true);
    assert_eq!(
        resolved.values["ApplicationEndpoint"],
        "http://localhost:3000/api"
    );
    assert_eq!(
        resolved.provenance["TemperatureRangeMax"].file.as_deref(),
        Some("config.yaml")
    );
    assert_eq!(
        resolved.provenance["AppName"].level.as_deref(),
        Some("template")
    );
}

#[test]
fn custom_validation_schema_rejects_the_sample_threshold() {
    // The sample sets ErrorThreshold: 5 while the custom schema demands `$gt(ErrorThreshold, 5)`.
    let b = bundle(
        "custom-validation-schema.yaml",
        "Basic solution/app-config-template.yaml",
    );
    let values = ValueSet {
        files: vec![ValueFile::parse_plain(
            &read("Basic solution/config.yaml"),
            "config.yaml",
            Level::Environment,
        )
        .unwrap()],
    };
    let fleet = one_target_fleet();
    let r = Resolver::new(&b, &values, &fleet).unwrap();
    let err = r.resolve(fleet.target("line-1").unwrap()).unwrap_err();
    let ds = err.diagnostics();
    assert_eq!(ds.len(), 1, "{err}");
    assert!(ds[0].message.contains("ErrorThreshold"), "{err}");
    assert_eq!(ds[0].location.file, "config.yaml");
    assert_eq!(ds[0].location.line, Some(2));
}
