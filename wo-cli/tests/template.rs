//! `wo template` is a drop-in for `helm template`: the same arguments print the same bytes,
//! judged by the real helm on charts of the corpus in ../shared/charts (reached by path).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/charts")
}

fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("the program runs")
}

fn wo(args: &[&str]) -> Output {
    run(Path::new(env!("CARGO_BIN_EXE_wo")), args)
}

fn helm(args: &[&str]) -> Output {
    run(&wo_test_support::tool("helm"), args)
}

#[test]
fn the_same_arguments_print_what_helm_template_prints() {
    let corpus = corpus();
    assert!(
        corpus.is_dir(),
        "the chart corpus is at {}",
        corpus.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().join("extra.yaml");
    std::fs::write(
        &extra,
        "replicaCount: 4\nui:\n  message: on\n  color: \"0777\"\n",
    )
    .unwrap();
    let p = |c: &str, rest: &str| corpus.join(c).join(rest).display().to_string();
    let extra = extra.display().to_string();
    let cases: Vec<Vec<String>> = vec![
        // podinfo's test hooks have random names (`randAlphaNum 5`): left out.
        vec![
            "corpus".into(),
            p("podinfo", "chart"),
            "--skip-tests".into(),
        ],
        vec![
            "shop".into(),
            p("podinfo", "chart"),
            "-f".into(),
            p("podinfo", "values/features.yaml"),
            "-f".into(),
            extra.clone(),
            "--set".into(),
            "ingress.enabled=true,hpa.maxReplicas=12,podAnnotations.a\\.b=yes".into(),
            "--namespace".into(),
            "web".into(),
            "--skip-tests".into(),
        ],
        vec![
            "corpus".into(),
            p("prometheus-blackbox-exporter", "chart"),
            "-f".into(),
            p("prometheus-blackbox-exporter", "values/features.yaml"),
            "--kube-version".into(),
            "1.29.3".into(),
            "--api-versions".into(),
            "autoscaling.k8s.io/v1/VerticalPodAutoscaler".into(),
            "--api-versions".into(),
            "monitoring.coreos.com/v1".into(),
        ],
        vec![
            "corpus".into(),
            p("ingress-nginx", "chart"),
            "--show-only".into(),
            "templates/controller-deployment.yaml".into(),
            "--show-only".into(),
            "templates/controller-service.yaml".into(),
        ],
    ];
    for args in &cases {
        let mut full = vec!["template"];
        full.extend(args.iter().map(String::as_str));
        let want = helm(&full);
        assert!(
            want.status.success(),
            "helm renders {args:?}: {}",
            String::from_utf8_lossy(&want.stderr)
        );
        let got = wo(&full);
        assert!(
            got.status.success(),
            "wo renders {args:?}: {}",
            String::from_utf8_lossy(&got.stderr)
        );
        assert!(!want.stdout.is_empty());
        if got.stdout != want.stdout {
            let (w, g) = (
                String::from_utf8_lossy(&want.stdout),
                String::from_utf8_lossy(&got.stdout),
            );
            let line = w
                .lines()
                .zip(g.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(w.lines().count().min(g.lines().count()));
            panic!(
                "{args:?}: wo differs from helm at line {}:\nhelm: {:?}\nwo:   {:?}",
                line + 1,
                w.lines().nth(line),
                g.lines().nth(line)
            );
        }
    }
}

#[test]
fn bad_input_exits_2_naming_the_file_and_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "replicaCount: 2\nui: [1\n").unwrap();
    let chart = corpus().join("podinfo/chart").display().to_string();
    let bad = bad.display().to_string();

    let out = wo(&["template", "x", &chart, "-f", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing printed on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&bad) && stderr.contains("line 2"),
        "names the file and line: {stderr}"
    );

    let out = wo(&["template", "x", &chart, "--set", "hosts[x]=1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid index"));

    // A template's `fail`/`required` is reported as Helm reports it: template, line, message.
    let failing = dir.path().join("failing");
    std::fs::create_dir_all(failing.join("templates")).unwrap();
    std::fs::write(
        failing.join("Chart.yaml"),
        "apiVersion: v2\nname: failing\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        failing.join("templates/cm.yaml"),
        "kind: ConfigMap\n\ndata:\n  x: {{ required \"set .Values.x\" .Values.x }}\n",
    )
    .unwrap();
    let failing = failing.display().to_string();
    let out = wo(&["template", "x", &failing]);
    let want = helm(&["template", "x", &failing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let helm_says = String::from_utf8_lossy(&want.stderr);
    let helm_line = helm_says
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("Error: ");
    assert!(
        stderr.contains(helm_line),
        "wo words it as helm does ({helm_line}): {stderr}"
    );
    assert!(
        helm_line.contains("failing/templates/cm.yaml:4"),
        "{helm_line}"
    );
}

#[test]
fn random_functions_give_the_same_bytes_for_the_same_release_every_time() {
    // podinfo's test Pods are named with `randAlphaNum 5`: helm differs run to run, wo not.
    let chart = corpus().join("podinfo/chart").display().to_string();
    let first = wo(&["template", "corpus", &chart]);
    let again = wo(&["template", "corpus", &chart]);
    let other = wo(&["template", "corpus", &chart, "--namespace", "elsewhere"]);
    assert!(first.status.success() && again.status.success() && other.status.success());
    let text = String::from_utf8_lossy(&first.stdout);
    let test_pod = text
        .lines()
        .find(|l| l.contains("name: corpus-podinfo-grpc-test-"))
        .expect("podinfo's grpc test Pod is printed");
    assert_eq!(first.stdout, again.stdout, "reproducible");
    assert!(
        !String::from_utf8_lossy(&other.stdout).contains(test_pod),
        "another namespace draws another name than {test_pod}"
    );
}
