//! `wo_render::package`: deterministic chart archives that the real Helm (the one
//! `.ci/install-tools` installs, `wo_test_support::tool`) reads as the chart they came from.
//! Charts: the repository's `examples/charts/shop-helm` and some of the public charts of the
//! shared corpus where it is present (see `charts`), reached by path.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use wo_core::files::{FileTree, MAX_FILE_BYTES};
use wo_render::package::{chart_version, package, Packaged};

const COMMIT: &str = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345";

fn shop_helm() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/charts/shop-helm")
}

/// The repository's shop-helm, then the named charts of the shared corpus (`$WO_SHARED_CHARTS`,
/// else `shared/charts` beside the checkout, else `/work/shared/charts`). The corpus lives
/// outside the repository: where it is absent, only shop-helm is checked, and the test says
/// so on stderr. A corpus that is there but lacks a named chart fails the test.
fn charts(corpus: &[&str]) -> Vec<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/charts");
    let base = std::env::var_os("WO_SHARED_CHARTS")
        .map(PathBuf::from)
        .or_else(|| beside.is_dir().then_some(beside))
        .unwrap_or_else(|| PathBuf::from("/work/shared/charts"));
    let mut out = vec![shop_helm()];
    if !base.is_dir() {
        eprintln!(
            "no shared chart corpus at {} (set WO_SHARED_CHARTS): only shop-helm is checked",
            base.display()
        );
        return out;
    }
    for name in corpus {
        let dir = base.join(name).join("chart");
        assert!(
            dir.join("Chart.yaml").is_file(),
            "no chart at {} (set WO_SHARED_CHARTS to the shared chart corpus)",
            dir.display()
        );
        out.push(dir);
    }
    out
}

/// Runs the real helm with its home directories in `home`; panics with its stderr on failure.
fn helm(home: &Path, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(wo_test_support::tool("helm"))
        .args(args)
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .output()
        .expect("helm runs");
    assert!(
        out.status.success(),
        "helm {:?} failed: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("helm prints UTF-8")
}

/// `helm template` of a chart directory or archive; `shop_values` for shop-helm, which requires
/// a value.
fn template(home: &Path, chart: &Path, shop_values: bool) -> String {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "template".as_ref(),
        "corpus".as_ref(),
        chart.as_os_str(),
        "--namespace".as_ref(),
        "corpus-ns".as_ref(),
        "--kube-version".as_ref(),
        "1.30.0".as_ref(),
    ];
    if shop_values {
        args.extend::<[&std::ffi::OsStr; 2]>([
            "--set".as_ref(),
            "payment.endpoint=https://payment.example".as_ref(),
        ]);
    }
    helm(home, &args)
}

/// The entries of a packaged chart: path → (header fields, content).
#[derive(Debug, PartialEq)]
struct Entry {
    mode: String,
    uid: String,
    gid: String,
    mtime: String,
    typeflag: u8,
    uname: String,
    gname: String,
    content: Vec<u8>,
}

fn field(h: &[u8]) -> String {
    String::from_utf8_lossy(h)
        .trim_end_matches(['\0', ' '])
        .to_string()
}

/// Reads a gzip'd ustar archive in entry order.
fn entries(tgz: &[u8]) -> Vec<(String, Entry)> {
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(tgz)
        .read_to_end(&mut tar)
        .expect("gzip");
    let mut out = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() && tar[at..at + 512].iter().any(|&b| b != 0) {
        let h = &tar[at..at + 512];
        let size = usize::from_str_radix(&field(&h[124..136]), 8).expect("size");
        let (prefix, name) = (field(&h[345..500]), field(&h[..100]));
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let content = tar[at + 512..at + 512 + size].to_vec();
        out.push((
            path,
            Entry {
                mode: field(&h[100..108]),
                uid: field(&h[108..116]),
                gid: field(&h[116..124]),
                mtime: field(&h[136..148]),
                typeflag: h[156],
                uname: field(&h[265..297]),
                gname: field(&h[297..329]),
                content,
            },
        ));
        at += 512 + size.div_ceil(512) * 512;
    }
    out
}

fn write(dir: &Path, packaged: &Packaged) -> PathBuf {
    let path = dir.join(&packaged.file_name);
    std::fs::write(&path, &packaged.bytes).expect("write tgz");
    path
}

fn load(dir: &Path) -> FileTree {
    FileTree::load_dir(dir).expect("chart loads")
}

#[test]
fn the_same_chart_packages_to_the_same_bytes() {
    let chart = load(&shop_helm());
    let version = chart_version("1.2.0", COMMIT).unwrap();
    let a = package(&chart, &version).unwrap();
    let b = package(&chart, &version).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.file_name, "shop-1.2.0-wo.g3f2a9c1b7d4e.tgz");
    assert_eq!(a.name, "shop");
    assert!(a.digest.starts_with("sha256:") && a.digest.len() == 7 + 64);
    println!("examples/charts/shop-helm {version}: {}", a.digest);
}

/// Copies `from` into `to`, writing the files in the given order with the given mode and
/// modification time.
fn copy_chart(from: &Path, to: &Path, reverse: bool, mode: u32, mtime_secs: u64) {
    use std::os::unix::fs::PermissionsExt;
    let tree = load(from);
    let mut files: Vec<_> = tree.iter().collect();
    if reverse {
        files.reverse();
    }
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime_secs);
    for (path, content) in files {
        let file = to.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }
}

#[test]
fn copies_written_differently_package_to_the_same_digest() {
    for source in charts(&["bitnami-redis"]) {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        copy_chart(&source, one.path(), false, 0o644, 1_000_000_000);
        copy_chart(&source, two.path(), true, 0o755, 1_700_000_000);
        let a = package(&load(one.path()), "9.9.9-wo.gabcdef012345").unwrap();
        let b = package(&load(two.path()), "9.9.9-wo.gabcdef012345").unwrap();
        assert_eq!(a.digest, b.digest, "{}", source.display());
        assert_eq!(a.bytes, b.bytes);
    }
}

#[test]
fn a_fixed_chart_has_a_fixed_digest() {
    // Pins the format: headers, order, gzip settings and compressor. If this changes, every
    // chart wo ever published gets a new digest; change it only on purpose.
    let mut chart = FileTree::new();
    chart
        .insert(
            "Chart.yaml",
            "apiVersion: v2\nname: pinned # kept\nversion: 0.1.0\n",
        )
        .unwrap();
    chart.insert("values.yaml", "replicas: 1\n").unwrap();
    chart
        .insert(
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
        )
        .unwrap();
    let p = package(&chart, "0.1.0-wo.g3f2a9c1b7d4e").unwrap();
    let gz = &p.bytes[..10];
    assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 0], "gzip, deflate, no name");
    assert_eq!(&gz[4..8], &[0, 0, 0, 0], "gzip mtime 0");
    assert_eq!(gz[9], 255, "OS unknown");
    let got = entries(&p.bytes);
    let names: Vec<_> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "pinned/Chart.yaml",
            "pinned/templates/cm.yaml",
            "pinned/values.yaml"
        ]
    );
    for (name, e) in &got {
        assert_eq!(
            (&*e.mode, &*e.uid, &*e.gid, &*e.mtime, e.typeflag),
            ("0000644", "0000000", "0000000", "00000000000", b'0'),
            "{name}"
        );
        assert_eq!((&*e.uname, &*e.gname), ("", ""), "{name}");
    }
    assert_eq!(
        got[0].1.content,
        b"apiVersion: v2\nname: pinned # kept\nversion: 0.1.0-wo.g3f2a9c1b7d4e\n"
    );
    assert_eq!(
        p.digest,
        "sha256:bd16cf5a615673a859115ec8b2d01f1365c593422ef85bc9c740a5178678d447"
    );
}

#[test]
fn helm_reads_the_archive_as_the_chart() {
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    for dir in charts(&[
        "prometheus-blackbox-exporter",
        "cert-manager",
        "ingress-nginx",
        "argo-cd",
    ]) {
        let shop = dir == shop_helm();
        let tree = load(&dir);
        let chart_yaml =
            wo_core::yaml::parse(tree.text("Chart.yaml").unwrap().unwrap(), "c").unwrap();
        let own = match &chart_yaml.get("version").unwrap().kind {
            wo_core::yaml::NodeKind::Str(s) => s.clone(),
            other => panic!("version is {other:?}"),
        };

        // At the new version: helm sees it.
        let version = chart_version(&own, COMMIT).unwrap();
        let tgz = write(out.path(), &package(&tree, &version).unwrap());
        let shown = helm(
            home.path(),
            &["show".as_ref(), "chart".as_ref(), tgz.as_os_str()],
        );
        assert!(
            shown.lines().any(|l| l == format!("version: {version}")),
            "{}: {shown}",
            dir.display()
        );
        let rendered = template(home.path(), &tgz, shop);
        assert!(!rendered.is_empty(), "{}", dir.display());

        // At the chart's own version: the same manifests as the directory, byte for byte.
        let same = write(out.path(), &package(&tree, &own).unwrap());
        assert_eq!(
            template(home.path(), &same, shop),
            template(home.path(), &dir, shop),
            "{}",
            dir.display()
        );
    }
}

#[test]
fn the_layout_is_helm_package_s() {
    let home = tempfile::tempdir().unwrap();
    for dir in charts(&["bitnami-redis", "podinfo", "grafana", "argo-cd"]) {
        let out = tempfile::tempdir().unwrap();
        helm(
            home.path(),
            &[
                "package".as_ref(),
                dir.as_os_str(),
                "-d".as_ref(),
                out.path().as_os_str(),
            ],
        );
        let helm_tgz = std::fs::read_dir(out.path())
            .unwrap()
            .next()
            .expect("helm wrote a package")
            .unwrap()
            .path();
        let theirs: BTreeMap<String, Entry> = entries(&std::fs::read(&helm_tgz).unwrap())
            .into_iter()
            .collect();
        let ours_in_order = entries(
            &package(&load(&dir), "0.0.1-wo.g3f2a9c1b7d4e")
                .unwrap()
                .bytes,
        );
        let chart_name = ours_in_order[0].0.split('/').next().unwrap().to_string();
        assert_eq!(ours_in_order[0].0, format!("{chart_name}/Chart.yaml"));
        let rest: Vec<_> = ours_in_order[1..].iter().map(|(n, _)| n.clone()).collect();
        let mut sorted = rest.clone();
        sorted.sort();
        assert_eq!(rest, sorted, "{}: sorted after Chart.yaml", dir.display());

        let ours: BTreeMap<String, Entry> = ours_in_order.into_iter().collect();
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{}: the same entries as helm package",
            dir.display()
        );
        for (name, entry) in &ours {
            // Helm re-emits Chart.yaml (and Chart.lock) from what it parsed; every other
            // file is copied as it is.
            let file = name.rsplit('/').next().unwrap();
            if file == "Chart.yaml" || file == "Chart.lock" {
                continue;
            }
            assert!(
                entry.content == theirs[name].content,
                "{}: {name} differs from helm package's",
                dir.display()
            );
            assert_eq!(entry.mode, theirs[name].mode, "{name}");
        }
    }
}

fn error_of(tree: &FileTree, version: &str) -> String {
    package(tree, version).unwrap_err().to_string()
}

fn minimal() -> FileTree {
    let mut t = FileTree::new();
    t.insert("Chart.yaml", "apiVersion: v2\nname: mini\nversion: 0.1.0\n")
        .unwrap();
    t.insert("templates/cm.yaml", "kind: ConfigMap\n").unwrap();
    t
}

#[test]
fn bad_charts_are_refused_naming_the_file() {
    let v = "0.1.0-wo.g3f2a9c1b7d4e";

    let mut no_chart = minimal();
    no_chart.remove("Chart.yaml");
    let e = error_of(&no_chart, v);
    assert!(
        e.contains("Chart.yaml") && e.contains("no Chart.yaml"),
        "{e}"
    );

    let mut no_name = minimal();
    no_name
        .insert("Chart.yaml", "apiVersion: v2\nversion: 0.1.0\n")
        .unwrap();
    let e = error_of(&no_name, v);
    assert!(e.contains("Chart.yaml") && e.contains("no `name`"), "{e}");

    let mut escaping = minimal();
    escaping
        .insert(
            "Chart.yaml",
            "apiVersion: v2\nname: ../evil\nversion: 0.1.0\n",
        )
        .unwrap();
    let e = error_of(&escaping, v);
    assert!(
        e.contains("Chart.yaml:2") && e.contains("one path segment"),
        "{e}"
    );

    let mut no_version = minimal();
    no_version
        .insert("Chart.yaml", "apiVersion: v2\nname: mini\n")
        .unwrap();
    let e = error_of(&no_version, v);
    assert!(
        e.contains("Chart.yaml") && e.contains("no `version`"),
        "{e}"
    );

    let mut not_yaml = minimal();
    not_yaml.insert("Chart.yaml", "name: [unclosed\n").unwrap();
    assert!(error_of(&not_yaml, v).contains("Chart.yaml"));

    let mut big = minimal();
    big.insert(
        "files/blob.bin",
        vec![0u8; usize::try_from(MAX_FILE_BYTES).unwrap() + 1],
    )
    .unwrap();
    let e = error_of(&big, v);
    assert!(e.contains("files/blob.bin") && e.contains("limit"), "{e}");

    let mut bad_ignore = minimal();
    bad_ignore
        .insert(".helmignore", "# fine\n*.bak\nci/**/x\n")
        .unwrap();
    let e = error_of(&bad_ignore, v);
    assert!(e.contains(".helmignore:3") && e.contains("**"), "{e}");

    let mut ignores_chart = minimal();
    ignores_chart.insert(".helmignore", "*.yaml\n").unwrap();
    let e = error_of(&ignores_chart, v);
    assert!(
        e.contains(".helmignore") && e.contains("ignores Chart.yaml"),
        "{e}"
    );

    let mut long = minimal();
    long.insert(format!("files/{}", "x".repeat(120)), "x")
        .unwrap();
    let e = error_of(&long, v);
    assert!(e.contains("files/xxx") && e.contains("too long"), "{e}");

    let e = error_of(&minimal(), "v1");
    assert!(e.contains("SemVer"), "{e}");

    // A path out of the chart cannot even enter a tree.
    let e = FileTree::new()
        .insert("../outside.yaml", "x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("../outside.yaml"), "{e}");
}

#[test]
fn helmignore_leaves_files_out() {
    let mut t = minimal();
    t.insert(".helmignore", "*.bak\ndocs/\n/NOTES.md\n")
        .unwrap();
    for path in [
        "a.bak",
        "templates/b.bak",
        "docs/x.md",
        "NOTES.md",
        "templates/.hidden",
        "templates/sub/NOTES.md",
    ] {
        t.insert(path, "x").unwrap();
    }
    let p = package(&t, "0.1.0").unwrap();
    let names: Vec<_> = entries(&p.bytes).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "mini/Chart.yaml",
            "mini/.helmignore",
            "mini/templates/cm.yaml",
            "mini/templates/sub/NOTES.md"
        ]
    );
}
