//! Resolve every target of a 5,000-target environment: 30-key schema with rules, per-key
//! expressions and a cross-key validation; a template of 40 entries with expressions; value
//! files at the environment, 10 regions, 100 sites and 500 targets.

use criterion::{criterion_group, criterion_main, Criterion};
use wo_core::engine::{Bundle, Resolver};
use wo_core::files::FileTree;
use wo_core::format::fleet::Fleet;
use wo_core::format::values::ValueSet;

const TARGETS: usize = 5_000;

fn schema() -> String {
    let mut s = String::from("rules:\n  configs:\n");
    for k in 0..30 {
        s.push_str(&match k % 5 {
            0 => format!("    K{k}: {{type: int, defaultValue: {k}, minValue: 0, maxValue: 100000}}\n"),
            1 => format!("    K{k}: {{type: string, defaultValue: v{k}, pattern: \"^[a-z0-9-]+$\"}}\n"),
            2 => format!("    K{k}: {{type: string, defaultValue: info, allowedValues: [debug, info, warn, error]}}\n"),
            3 => format!("    K{k}: {{type: boolean, defaultValue: false}}\n"),
            _ => format!("    K{k}: {{type: float, defaultValue: 1.5, expression: \"${{{{ $ge($val(K{k}), 0) }}}}\"}}\n"),
        });
    }
    s.push_str("  validations:\n    - expression: ${{ $le($val(K0), $val(K5)) }}\n");
    s
}

fn template() -> String {
    let mut s = String::from("configs:\n");
    for k in 0..30 {
        s.push_str(&format!("  k{k}: ${{{{$val(K{k})}}}}\n"));
    }
    s.push_str(
        "  name: ${{$target(name)}}\n  region: ${{$target(hierarchy.region)}}\n  host: ${{$target(name)}}.${{$target(environment)}}.example.com\n  tier: ${{ $if($eq($target(labels.tier), gold), premium, standard) }}\n  scale: ${{ $if($gt($val(K0), 10), $val(K5), 1) }}\n  url: ${{ 'https://' + $property(host) + '/api' }}\n  debug: ${{ $eq($val(K2), debug) }}\n  inRange: ${{ $between($val(K0), 0, 1000) }}\n  nets: ${{ $cidr_contains(10.0.0.0/8, 10.1.2.3) }}\n  both: ${{ $and($val(K3), $not($val(K8))) }}\n",
    );
    s
}

fn values_file(pairs: &[(usize, String)]) -> String {
    let mut s = String::from("apiVersion: wo/v1\nkind: Values\nvalues:\n");
    for (k, v) in pairs {
        s.push_str(&format!("  K{k}: {v}\n"));
    }
    s
}

fn setup() -> (Bundle, ValueSet, Fleet) {
    let mut src = FileTree::new();
    src.insert(
        "wo/app.yaml",
        "apiVersion: wo/v1\nkind: Application\nname: bench\nchart: chart\nschema: wo/schema.yaml\nconfigTemplate: wo/template.yaml\n",
    )
    .unwrap();
    src.insert("wo/schema.yaml", schema()).unwrap();
    src.insert("wo/template.yaml", template()).unwrap();
    src.insert(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: bench\nversion: 1.0.0\n",
    )
    .unwrap();
    let bundle = Bundle::load(&src, "").unwrap();

    let mut fleet = String::from(
        "apiVersion: wo/v1\nkind: Fleet\nenvironment: prod\nhierarchy: [region, site]\ntargets:\n",
    );
    for t in 0..TARGETS {
        let tier = if t % 7 == 0 { "gold" } else { "silver" };
        fleet.push_str(&format!(
            "  - name: t{t}\n    hierarchy: {{region: r{}, site: s{}}}\n    labels: {{tier: {tier}}}\n    capabilities: [helm]\n",
            t % 10,
            t % 100
        ));
    }
    fleet.push_str("assignments:\n  - solution: bench\n    selector: {}\n");
    let fleet = Fleet::parse(&fleet, "fleet.yaml").unwrap();

    let mut cfg = FileTree::new();
    cfg.insert(
        "values.yaml",
        values_file(
            &(0..30)
                .filter(|k| k % 5 == 0)
                .map(|k| (k, (k * 1000).to_string()))
                .collect::<Vec<_>>(),
        ),
    )
    .unwrap();
    for r in 0..10 {
        cfg.insert(
            format!("levels/region/r{r}.yaml"),
            values_file(&[(1, format!("region-{r}")), (2, "warn".into())]),
        )
        .unwrap();
    }
    for s in 0..100 {
        cfg.insert(
            format!("levels/site/s{s}.yaml"),
            values_file(&[(3, "true".into()), (4, format!("{s}.25"))]),
        )
        .unwrap();
    }
    for t in (0..TARGETS).step_by(10) {
        cfg.insert(
            format!("targets/t{t}.yaml"),
            values_file(&[(0, (t % 50).to_string()), (6, format!("host-{t}"))]),
        )
        .unwrap();
    }
    let values = ValueSet::load(&cfg, "").unwrap();
    (bundle, values, fleet)
}

fn bench(c: &mut Criterion) {
    let (bundle, values, fleet) = setup();
    let mut group = c.benchmark_group("resolve");
    group.sample_size(10);
    group.bench_function("5000 targets", |b| {
        b.iter(|| {
            let r = Resolver::new(&bundle, &values, &fleet).unwrap();
            let targets = r.targets().unwrap();
            assert_eq!(targets.len(), TARGETS);
            let mut keys = 0;
            for t in targets {
                keys += r.resolve(t).unwrap().values.len();
            }
            keys
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
