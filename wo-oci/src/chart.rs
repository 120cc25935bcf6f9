//! A packaged chart as a Helm OCI artifact: the config blob Helm writes (its `Chart.yaml`
//! metadata as JSON), the chart layer, and a deterministic image manifest.

use std::io::Read as _;

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use wo_core::yaml::{Node, NodeKind};
use wo_core::{Error, Location, Result};

/// The media type of the config blob of a Helm chart artifact.
pub const HELM_CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
/// The media type of the chart layer (the `.tgz`).
pub const HELM_CHART_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// The media type of a chart's provenance layer (`helm push` of a signed chart); ignored.
pub const HELM_PROVENANCE_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.provenance.v1.prov";
/// The media type of the manifest.
pub const OCI_MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// Largest `Chart.yaml` read from a package.
const MAX_CHART_YAML_BYTES: u64 = 1 << 20;
/// Largest decompressed size scanned for `Chart.yaml` (a gzip bomb stops here).
const MAX_SCANNED_BYTES: u64 = 256 << 20;

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// What a package says about its chart: name, version and the config blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartMeta {
    /// `Chart.yaml`'s `name`.
    pub name: String,
    /// `Chart.yaml`'s `version`.
    pub version: String,
    /// `Chart.yaml`'s `description`, when set.
    pub description: Option<String>,
    /// The config blob: the metadata as `helm push` writes it (Go's `json.Marshal` of Helm's
    /// `chart.Metadata`: its field order, empty fields left out, maps sorted by key, `<`, `>`
    /// and `&` escaped).
    pub config: Vec<u8>,
}

/// Reads `<name>/Chart.yaml` out of a chart package (`.tgz`) and builds the config blob.
///
/// # Errors
/// [`Error::Invalid`] (file `<chart package>`) when the bytes are not a gzip'd tar, hold no
/// `Chart.yaml` at the top of one directory, or its YAML lacks `name` or `version`.
pub fn chart_meta(package: &[u8]) -> Result<ChartMeta> {
    let text = chart_yaml(package)?;
    let file = "<chart package>/Chart.yaml";
    let node = wo_core::yaml::parse(&text, file)?;
    let mut out = Map::new();
    let at = |key: &str, message: &str| Error::invalid(Location::file(file).with_key(key), message);
    if !matches!(node.kind, NodeKind::Map(_)) {
        return Err(at("", "Chart.yaml is not a map"));
    }
    let string = |key: &str| -> Option<String> { node.get(key).and_then(scalar_text) };
    let strings = |key: &str| -> Option<Value> {
        let NodeKind::Seq(items) = &node.get(key)?.kind else {
            return None;
        };
        let list: Vec<Value> = items
            .iter()
            .filter_map(scalar_text)
            .map(Value::String)
            .collect();
        (!list.is_empty()).then_some(Value::Array(list))
    };
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            out.insert(key.to_string(), v);
        }
    };
    // Helm's `chart.Metadata`, in its field order, each `omitempty`.
    put("name", string("name").map(Value::String));
    put("home", string("home").map(Value::String));
    put("sources", strings("sources"));
    put("version", string("version").map(Value::String));
    put("description", string("description").map(Value::String));
    put("keywords", strings("keywords"));
    put("maintainers", maintainers(node.get("maintainers")));
    put("icon", string("icon").map(Value::String));
    put("apiVersion", string("apiVersion").map(Value::String));
    put("condition", string("condition").map(Value::String));
    put("tags", string("tags").map(Value::String));
    put("appVersion", string("appVersion").map(Value::String));
    put(
        "deprecated",
        matches!(
            node.get("deprecated").map(|n| &n.kind),
            Some(NodeKind::Bool(true))
        )
        .then_some(Value::Bool(true)),
    );
    put("annotations", annotations(node.get("annotations")));
    put("kubeVersion", string("kubeVersion").map(Value::String));
    put(
        "dependencies",
        dependencies(node.get("dependencies"), file)?,
    );
    put("type", string("type").map(Value::String));
    let name = string("name").ok_or_else(|| at("name", "Chart.yaml has no `name`"))?;
    let version = string("version").ok_or_else(|| at("version", "Chart.yaml has no `version`"))?;
    let config = go_json(&Value::Object(out));
    Ok(ChartMeta {
        name,
        version,
        description: string("description"),
        config,
    })
}

/// A scalar's text, as Go reads a YAML scalar into a string field; `None` for null, empty
/// and collections.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.kind {
        NodeKind::Null | NodeKind::Seq(_) | NodeKind::Map(_) => None,
        _ => node.key_text().filter(|s| !s.is_empty()),
    }
}

fn maintainers(node: Option<&Node>) -> Option<Value> {
    let NodeKind::Seq(items) = &node?.kind else {
        return None;
    };
    let list: Vec<Value> = items
        .iter()
        .map(|m| {
            let mut o = Map::new();
            for key in ["name", "email", "url"] {
                if let Some(v) = m.get(key).and_then(scalar_text) {
                    o.insert(key.to_string(), Value::String(v));
                }
            }
            Value::Object(o)
        })
        .collect();
    (!list.is_empty()).then_some(Value::Array(list))
}

fn annotations(node: Option<&Node>) -> Option<Value> {
    let NodeKind::Map(entries) = &node?.kind else {
        return None;
    };
    let mut pairs: Vec<(String, String)> = entries
        .iter()
        .filter_map(|(k, v)| Some((k.key_text()?, v.key_text().unwrap_or_default())))
        .collect();
    pairs.sort();
    let map: Map<String, Value> = pairs
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    (!map.is_empty()).then_some(Value::Object(map))
}

fn dependencies(node: Option<&Node>, file: &str) -> Result<Option<Value>> {
    let Some(node) = node else { return Ok(None) };
    let NodeKind::Seq(items) = &node.kind else {
        return Ok(None);
    };
    let mut list = Vec::new();
    for d in items {
        let mut o = Map::new();
        let s = |k: &str| d.get(k).and_then(scalar_text);
        // `name` and `repository` have no `omitempty` in Helm's `chart.Dependency`.
        o.insert("name".into(), Value::String(s("name").unwrap_or_default()));
        if let Some(v) = s("version") {
            o.insert("version".into(), Value::String(v));
        }
        o.insert(
            "repository".into(),
            Value::String(s("repository").unwrap_or_default()),
        );
        if let Some(v) = s("condition") {
            o.insert("condition".into(), Value::String(v));
        }
        if let Some(NodeKind::Seq(tags)) = d.get("tags").map(|n| &n.kind) {
            let tags: Vec<Value> = tags
                .iter()
                .filter_map(scalar_text)
                .map(Value::String)
                .collect();
            if !tags.is_empty() {
                o.insert("tags".into(), Value::Array(tags));
            }
        }
        if matches!(
            d.get("enabled").map(|n| &n.kind),
            Some(NodeKind::Bool(true))
        ) {
            o.insert("enabled".into(), Value::Bool(true));
        }
        if let Some(iv) = d.get("import-values") {
            let v = sorted(iv.to_value(file)?);
            if matches!(&v, Value::Array(a) if !a.is_empty()) {
                o.insert("import-values".into(), v);
            }
        }
        if let Some(v) = s("alias") {
            o.insert("alias".into(), Value::String(v));
        }
        list.push(Value::Object(o));
    }
    Ok((!list.is_empty()).then_some(Value::Array(list)))
}

/// Maps sorted by key, recursively (Go's `json.Marshal` of a `map`).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(m) => {
            let mut pairs: Vec<(String, Value)> = m.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(pairs.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        v => v,
    }
}

/// Compact JSON as Go's `json.Marshal` writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped.
/// They can only occur inside strings, so replacing them in the output is exact.
fn go_json(value: &Value) -> Vec<u8> {
    let text = serde_json::to_string(value).expect("a JSON value serialises");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.into_bytes()
}

/// The text of `<dir>/Chart.yaml`, the first one a directory deep, in a gzip'd tar.
fn chart_yaml(package: &[u8]) -> Result<String> {
    let bad = |m: String| Error::invalid(Location::file("<chart package>"), m);
    let gz = flate2::read::GzDecoder::new(package);
    let mut tar = gz.take(MAX_SCANNED_BYTES);
    let mut header = [0u8; 512];
    loop {
        if let Err(e) = tar.read_exact(&mut header) {
            return Err(bad(format!(
                "not a chart package (a gzip'd tar holding <name>/Chart.yaml): {e}"
            )));
        }
        if header.iter().all(|&b| b == 0) {
            return Err(bad(
                "the package holds no <name>/Chart.yaml (a chart package has one at the top of its directory)"
                    .into(),
            ));
        }
        let field = |range: std::ops::Range<usize>| {
            let f = &header[range];
            let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
            String::from_utf8_lossy(&f[..end]).into_owned()
        };
        let name = field(0..100);
        let prefix = field(345..500);
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let size_text = field(124..136);
        let size = u64::from_str_radix(size_text.trim_matches(|c: char| c == ' ' || c == '\0'), 8)
            .map_err(|_| bad(format!("not a tar archive: entry size `{size_text}`")))?;
        let typeflag = header[156];
        let padded = size.div_ceil(512) * 512;
        let parts: Vec<&str> = path.trim_start_matches("./").split('/').collect();
        if matches!(typeflag, b'0' | 0) && parts.len() == 2 && parts[1] == "Chart.yaml" {
            if size > MAX_CHART_YAML_BYTES {
                return Err(bad(format!(
                    "{path} is larger than {MAX_CHART_YAML_BYTES} bytes"
                )));
            }
            let mut buf = vec![0u8; size as usize];
            tar.read_exact(&mut buf)
                .map_err(|e| bad(format!("reading {path}: {e}")))?;
            return String::from_utf8(buf).map_err(|_| bad(format!("{path} is not UTF-8")));
        }
        std::io::copy(&mut (&mut tar).take(padded), &mut std::io::sink())
            .map_err(|e| bad(format!("not a chart package: {e}")))?;
    }
}

/// The manifest wo pushes for a chart: deterministic (no timestamp annotation), so the same
/// package gives the same manifest and manifest digest.
pub(crate) fn manifest(meta: &ChartMeta, package: &[u8]) -> Vec<u8> {
    let descriptor = |media_type: &str, bytes: &[u8]| {
        serde_json::json!({
            "mediaType": media_type,
            "digest": sha256_digest(bytes),
            "size": bytes.len(),
        })
    };
    let mut annotations = Map::new();
    if let Some(d) = &meta.description {
        annotations.insert(
            "org.opencontainers.image.description".into(),
            Value::String(d.clone()),
        );
    }
    annotations.insert(
        "org.opencontainers.image.title".into(),
        Value::String(meta.name.clone()),
    );
    annotations.insert(
        "org.opencontainers.image.version".into(),
        Value::String(meta.version.clone()),
    );
    let mut m = Map::new();
    m.insert("schemaVersion".into(), Value::from(2));
    m.insert(
        "mediaType".into(),
        Value::String(OCI_MANIFEST_MEDIA_TYPE.into()),
    );
    m.insert(
        "config".into(),
        descriptor(HELM_CONFIG_MEDIA_TYPE, &meta.config),
    );
    m.insert(
        "layers".into(),
        Value::Array(vec![descriptor(HELM_CHART_MEDIA_TYPE, package)]),
    );
    m.insert("annotations".into(), Value::Object(annotations));
    serde_json::to_vec(&Value::Object(m)).expect("a JSON value serialises")
}

/// The parts of a pulled manifest wo reads.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PulledManifest {
    #[serde(default)]
    pub media_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// A content descriptor.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: i64,
}

impl PulledManifest {
    /// The manifest of `body`, checked to be a Helm chart's: an OCI image manifest (or one
    /// without `mediaType`, as early clients wrote), the Helm config, exactly one chart layer.
    pub(crate) fn parse(body: &[u8], what: &str) -> Result<(PulledManifest, Descriptor)> {
        let rejected = |m: String| Error::rejected(crate::BACKEND, format!("{what}: {m}"));
        let m: PulledManifest = serde_json::from_slice(body)
            .map_err(|e| rejected(format!("the manifest is not an OCI image manifest ({e})")))?;
        if let Some(mt) = m
            .media_type
            .as_deref()
            .filter(|mt| *mt != OCI_MANIFEST_MEDIA_TYPE)
        {
            return Err(rejected(format!(
                "not a Helm chart: the manifest's media type is {mt}, not {OCI_MANIFEST_MEDIA_TYPE}"
            )));
        }
        if m.config.media_type != HELM_CONFIG_MEDIA_TYPE {
            return Err(rejected(format!(
                "not a Helm chart: the config's media type is {}, not {HELM_CONFIG_MEDIA_TYPE}",
                m.config.media_type
            )));
        }
        let charts: Vec<&Descriptor> = m
            .layers
            .iter()
            .filter(|l| l.media_type == HELM_CHART_MEDIA_TYPE)
            .collect();
        let layer =
            match charts.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    let types: Vec<&str> = m.layers.iter().map(|l| l.media_type.as_str()).collect();
                    return Err(rejected(format!(
                    "not a Helm chart: no layer of media type {HELM_CHART_MEDIA_TYPE} (layers: {})",
                    if types.is_empty() { "none".to_string() } else { types.join(", ") }
                )));
                }
                _ => {
                    return Err(rejected(format!(
                        "{} layers of media type {HELM_CHART_MEDIA_TYPE}; a Helm chart has one",
                        charts.len()
                    )))
                }
            };
        Ok((m, layer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gzip'd tar of `(path, text)` entries.
    pub(crate) fn tgz(files: &[(&str, &str)]) -> Vec<u8> {
        let mut tar = Vec::new();
        for (path, text) in files {
            let mut h = [0u8; 512];
            h[..path.len()].copy_from_slice(path.as_bytes());
            h[100..108].copy_from_slice(b"0000644\0");
            h[108..116].copy_from_slice(b"0000000\0");
            h[116..124].copy_from_slice(b"0000000\0");
            h[124..136].copy_from_slice(format!("{:011o}\0", text.len()).as_bytes());
            h[136..148].copy_from_slice(b"00000000000\0");
            h[156] = b'0';
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
            h[148..156].copy_from_slice(b"        ");
            let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
            h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
            tar.extend_from_slice(&h);
            tar.extend_from_slice(text.as_bytes());
            tar.resize(tar.len().div_ceil(512) * 512, 0);
        }
        tar.resize(tar.len() + 1024, 0);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn the_config_is_helms_json_of_the_metadata() {
        let chart = "\
# a comment
apiVersion: v2
version: 1.2.0
name: shop
description: Shop <&> things
type: application
appVersion: \"2.4.1\"
keywords: [a, b]
maintainers:
  - name: Ann
    email: ann@example.com
annotations:
  z: last
  a: first
dependencies:
  - name: redis
    version: 1.x
    repository: oci://r.example/charts
    import-values: [{child: b, parent: a}]
unknownField: kept out
";
        let pkg = tgz(&[("shop/values.yaml", "a: 1\n"), ("shop/Chart.yaml", chart)]);
        let meta = chart_meta(&pkg).unwrap();
        assert_eq!(
            (meta.name.as_str(), meta.version.as_str()),
            ("shop", "1.2.0")
        );
        assert_eq!(
            String::from_utf8(meta.config).unwrap(),
            r#"{"name":"shop","version":"1.2.0","description":"Shop \u003c\u0026\u003e things","keywords":["a","b"],"maintainers":[{"name":"Ann","email":"ann@example.com"}],"apiVersion":"v2","appVersion":"2.4.1","annotations":{"a":"first","z":"last"},"dependencies":[{"name":"redis","version":"1.x","repository":"oci://r.example/charts","import-values":[{"child":"b","parent":"a"}]}],"type":"application"}"#
        );
    }

    #[test]
    fn packages_without_a_chart_are_refused() {
        let cases: [(Vec<u8>, &str); 4] = [
            (b"plain text".to_vec(), "not a chart package"),
            (
                tgz(&[("shop/values.yaml", "a: 1\n")]),
                "no <name>/Chart.yaml",
            ),
            (
                tgz(&[("shop/charts/sub/Chart.yaml", "name: sub\nversion: 1.0.0\n")]),
                "no <name>/Chart.yaml",
            ),
            (tgz(&[("shop/Chart.yaml", "name: shop\n")]), "no `version`"),
        ];
        for (bytes, needle) in cases {
            let m = chart_meta(&bytes).unwrap_err().to_string();
            assert!(m.contains(needle), "{m}");
        }
    }

    #[test]
    fn the_manifest_is_deterministic_and_parses_back() {
        let pkg = tgz(&[("shop/Chart.yaml", "name: shop\nversion: 1.0.0\n")]);
        let meta = chart_meta(&pkg).unwrap();
        let a = manifest(&meta, &pkg);
        assert_eq!(a, manifest(&meta, &pkg));
        let text = String::from_utf8(a.clone()).unwrap();
        assert!(!text.contains("created"), "{text}");
        let (_, layer) = PulledManifest::parse(&a, "x").unwrap();
        assert_eq!(layer.digest, sha256_digest(&pkg));
        assert_eq!(layer.size, pkg.len() as i64);
    }

    #[test]
    fn manifests_that_are_not_helm_charts_are_refused_naming_the_media_type() {
        let layer = |mt: &str| format!(r#"{{"mediaType":"{mt}","digest":"sha256:00","size":1}}"#);
        let m = |mt: &str, config: &str, layers: &[String]| {
            format!(
                r#"{{"schemaVersion":2,"mediaType":"{mt}","config":{},"layers":[{}]}}"#,
                layer(config),
                layers.join(",")
            )
        };
        let cases = [
            (
                m(
                    "application/vnd.oci.image.index.v1+json",
                    HELM_CONFIG_MEDIA_TYPE,
                    &[],
                ),
                "application/vnd.oci.image.index.v1+json",
            ),
            (
                m(
                    OCI_MANIFEST_MEDIA_TYPE,
                    "application/vnd.oci.image.config.v1+json",
                    &[layer("application/vnd.oci.image.layer.v1.tar+gzip")],
                ),
                "application/vnd.oci.image.config.v1+json",
            ),
            (
                m(
                    OCI_MANIFEST_MEDIA_TYPE,
                    HELM_CONFIG_MEDIA_TYPE,
                    &[layer("application/tar+gzip")],
                ),
                "application/tar+gzip",
            ),
            (
                m(
                    OCI_MANIFEST_MEDIA_TYPE,
                    HELM_CONFIG_MEDIA_TYPE,
                    &[layer(HELM_CHART_MEDIA_TYPE), layer(HELM_CHART_MEDIA_TYPE)],
                ),
                "2 layers",
            ),
            ("[]".to_string(), "not an OCI image manifest"),
        ];
        for (body, needle) in cases {
            let e = PulledManifest::parse(body.as_bytes(), "oci://h/c:1").unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(needle) && msg.contains("oci://h/c:1"), "{msg}");
        }
        let with_prov = m(
            OCI_MANIFEST_MEDIA_TYPE,
            HELM_CONFIG_MEDIA_TYPE,
            &[
                layer(HELM_CHART_MEDIA_TYPE),
                layer(HELM_PROVENANCE_MEDIA_TYPE),
            ],
        );
        assert!(PulledManifest::parse(with_prov.as_bytes(), "x").is_ok());
    }
}
