//! The Go structs templates reach: `.Capabilities` (with `KubeVersion`, `APIVersions`,
//! `HelmVersion`) and `.Files`.

use std::rc::Rc;
use std::sync::Arc;

use super::chart::File;
use super::glob::glob_match;
use crate::value::{Map, Object, Value};

/// The API versions `helm template` assumes a cluster serves (client-go's scheme, in its
/// priority order), before `--api-versions` adds more.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// The Kubernetes version `helm template` assumes without `--kube-version`.
pub const DEFAULT_KUBE_VERSION: &str = "v1.35.0";

/// The Helm build `.Capabilities.HelmVersion` describes.
const HELM_VERSION: [(&str, &str); 5] = [
    ("Version", "v4.1.4"),
    ("GitCommit", "05fa37973dc9e42b76e1d2883494c87174b6074f"),
    ("GitTreeState", "clean"),
    ("GoVersion", "go1.25.9"),
    ("KubeClientVersion", "v1.35"),
];

/// `.Capabilities.KubeVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// `Version`: as given, with a `v` prefix (`v1.30.0`).
    pub version: String,
    /// What `String()` gives: `v` and the numeric components.
    pub normalized: String,
    /// `Major`.
    pub major: String,
    /// `Minor`.
    pub minor: String,
}

impl KubeVersion {
    /// Parses a version as `helm template --kube-version` does (`1.30.0`, `v1.30`,
    /// `1.30.0-gke.1`); `None` when it has fewer than two numeric components.
    pub fn parse(text: &str) -> Option<KubeVersion> {
        let bare = text.strip_prefix('v').unwrap_or(text);
        let numeric_end = bare
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(bare.len());
        let numeric = bare[..numeric_end].trim_end_matches('.');
        let parts: Vec<u64> = numeric
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        if parts.len() < 2 {
            return None;
        }
        let version = if text.starts_with('v') {
            text.to_string()
        } else {
            format!("v{text}")
        };
        let joined: Vec<String> = parts.iter().map(u64::to_string).collect();
        let rest = &bare[numeric_end..];
        Some(KubeVersion {
            version,
            normalized: format!("v{}{rest}", joined.join(".")),
            major: parts[0].to_string(),
            minor: parts[1].to_string(),
        })
    }
}

impl Default for KubeVersion {
    fn default() -> KubeVersion {
        KubeVersion::parse(DEFAULT_KUBE_VERSION).expect("the default parses")
    }
}

/// `.Capabilities`: the cluster `helm template` pretends to render for.
#[derive(Debug, Clone)]
pub struct Capabilities {
    /// `KubeVersion`.
    pub kube_version: KubeVersion,
    /// `APIVersions`.
    pub api_versions: Vec<String>,
}

impl Capabilities {
    /// The template-visible object.
    pub fn to_value(&self) -> Value {
        let apis = Rc::new(self.api_versions.clone());
        Value::Object(Rc::new(CapabilitiesObject(self.clone(), apis)))
    }
}

/// The capabilities, and their API versions shared by every `.Capabilities.APIVersions` a
/// render reads (charts ask `APIVersions.Has` often).
struct CapabilitiesObject(Capabilities, Rc<Vec<String>>);

impl CapabilitiesObject {
    fn kube(&self) -> Value {
        Value::Object(Rc::new(KubeVersionObject(self.0.kube_version.clone())))
    }
    fn apis(&self) -> Value {
        Value::Object(Rc::new(VersionSet(self.1.clone())))
    }
}

impl Object for CapabilitiesObject {
    fn type_name(&self) -> &str {
        "*common.Capabilities"
    }
    fn kind(&self) -> &str {
        "ptr"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(self.kube()),
            "APIVersions" => Some(self.apis()),
            "HelmVersion" => Some(Value::Object(Rc::new(BuildInfo))),
            _ => None,
        }
    }
    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }
    fn display(&self) -> String {
        let k = &self.0.kube_version;
        format!(
            "&{{{{{} {} {} {}}} [{}] {}}}",
            k.version,
            k.normalized,
            k.major,
            k.minor,
            self.0.api_versions.join(" "),
            BuildInfo.display()
        )
    }
    fn to_data(&self) -> Value {
        let mut m = Map::new();
        m.insert("KubeVersion".into(), self.kube_data());
        m.insert(
            "APIVersions".into(),
            Value::list(self.0.api_versions.iter().map(Value::str).collect()),
        );
        m.insert("HelmVersion".into(), BuildInfo.to_data());
        Value::map(m)
    }
}

impl CapabilitiesObject {
    fn kube_data(&self) -> Value {
        KubeVersionObject(self.0.kube_version.clone()).to_data()
    }
}

struct KubeVersionObject(KubeVersion);

impl Object for KubeVersionObject {
    fn type_name(&self) -> &str {
        "common.KubeVersion"
    }
    fn kind(&self) -> &str {
        "struct"
    }
    fn field(&self, name: &str) -> Option<Value> {
        let k = &self.0;
        match name {
            "Version" | "GitVersion" => Some(Value::str(&k.version)),
            "Major" => Some(Value::str(&k.major)),
            "Minor" => Some(Value::str(&k.minor)),
            "String" => Some(Value::str(&k.normalized)),
            _ => None,
        }
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        if !matches!(name, "GitVersion" | "String") {
            return None;
        }
        if !args.is_empty() {
            return Some(Err(format!(
                "wrong number of args for {name}: want 0 got {}",
                args.len()
            )));
        }
        self.field(name).map(Ok)
    }
    fn display(&self) -> String {
        self.0.normalized.clone()
    }
    fn to_data(&self) -> Value {
        let k = &self.0;
        let mut m = Map::new();
        m.insert("Version".into(), Value::str(&k.version));
        m.insert("Major".into(), Value::str(&k.major));
        m.insert("Minor".into(), Value::str(&k.minor));
        Value::map(m)
    }
}

struct VersionSet(Rc<Vec<String>>);

impl Object for VersionSet {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }
    fn kind(&self) -> &str {
        "slice"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        if name != "Has" {
            return None;
        }
        Some(match args {
            [Value::String(s)] => Ok(Value::Bool(self.0.iter().any(|v| v == &**s))),
            [other] => Err(format!(
                "wrong type for value; expected string; got {}",
                other.type_name()
            )),
            _ => Err(format!(
                "wrong number of args for Has: want 1 got {}",
                args.len()
            )),
        })
    }
    fn display(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn to_data(&self) -> Value {
        Value::list(self.0.iter().map(Value::str).collect())
    }
}

struct BuildInfo;

impl Object for BuildInfo {
    fn type_name(&self) -> &str {
        "version.BuildInfo"
    }
    fn kind(&self) -> &str {
        "struct"
    }
    fn field(&self, name: &str) -> Option<Value> {
        HELM_VERSION
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| Value::str(v))
    }
    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }
    fn display(&self) -> String {
        let vals: Vec<&str> = HELM_VERSION.iter().map(|(_, v)| *v).collect();
        format!("{{{}}}", vals.join(" "))
    }
    fn to_data(&self) -> Value {
        let json_names = [
            "version",
            "git_commit",
            "git_tree_state",
            "go_version",
            "kube_client_version",
        ];
        Value::map(
            json_names
                .iter()
                .zip(HELM_VERSION.iter())
                .map(|(k, (_, v))| (k.to_string(), Value::str(v)))
                .collect(),
        )
    }
}

/// `.Files`: the chart's files other than templates and values (Helm's `engine.files`, a map
/// from path to bytes with methods).
/// The list is shared: a clone (one per render and scope) copies no names.
#[derive(Debug, Clone)]
pub struct Files(Arc<[(String, Arc<[u8]>)]>);

impl Files {
    /// The files of a chart, sorted by path.
    pub fn new(files: &[File]) -> Files {
        let mut v: Vec<_> = files
            .iter()
            .map(|f| (f.name.clone(), f.data.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.dedup_by(|a, b| a.0 == b.0);
        Files(v.into())
    }

    /// The template-visible object.
    pub fn to_value(&self) -> Value {
        Value::Object(Rc::new(self.clone()))
    }

    fn get(&self, name: &str) -> Option<&[u8]> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, d)| &**d)
    }

    fn by_base_name(&self, encode: impl Fn(&[u8]) -> String) -> String {
        let mut m = Map::new();
        for (name, data) in self.0.iter() {
            let base = name.rsplit('/').next().unwrap_or(name);
            m.insert(base.to_string(), Value::str(encode(data)));
        }
        match crate::encoding::yaml::encode(&Value::map(m)) {
            Ok(text) => text.trim_end_matches('\n').to_string(),
            Err(_) => String::new(),
        }
    }
}

fn one_string<'a>(name: &str, args: &'a [Value]) -> Result<&'a str, String> {
    match args {
        [Value::String(s)] => Ok(s),
        [other] => Err(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        )),
        _ => Err(format!(
            "wrong number of args for {name}: want 1 got {}",
            args.len()
        )),
    }
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }
    fn kind(&self) -> &str {
        "map"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "AsConfig" => Some(Value::str(
                self.by_base_name(|d| String::from_utf8_lossy(d).into_owned()),
            )),
            "AsSecrets" => Some(Value::str(self.by_base_name(base64))),
            // A map type: other names are keys (`.Files.x` is the bytes of a file called x).
            other => Some(match self.get(other) {
                Some(d) => Value::Bytes(Rc::from(d)),
                None => Value::Nil,
            }),
        }
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let result = match name {
            "Get" => one_string(name, args)
                .map(|p| Value::str(String::from_utf8_lossy(self.get(p).unwrap_or_default()))),
            "GetBytes" => one_string(name, args)
                .map(|p| Value::Bytes(Rc::from(self.get(p).unwrap_or_default()))),
            "Glob" => one_string(name, args).map(|pattern| {
                let matched = self
                    .0
                    .iter()
                    .filter(|(n, _)| glob_match(pattern, n).unwrap_or(true))
                    .cloned()
                    .collect::<Vec<_>>();
                Value::Object(Rc::new(Files(matched.into())))
            }),
            "Lines" => one_string(name, args).map(|p| {
                let Some(data) = self.get(p) else {
                    return Value::StrList(Rc::new(Vec::new()));
                };
                let text = String::from_utf8_lossy(data);
                let text = text.strip_suffix('\n').unwrap_or(&text);
                Value::StrList(Rc::new(text.split('\n').map(str::to_string).collect()))
            }),
            "AsConfig" | "AsSecrets" => Ok(self.field(name).unwrap_or_default()),
            _ => return None,
        };
        Some(result)
    }
    fn display(&self) -> String {
        let entries: Vec<String> = self
            .0
            .iter()
            .map(|(n, d)| format!("{n}:{}", Value::Bytes(Rc::from(&**d))))
            .collect();
        format!("map[{}]", entries.join(" "))
    }
    fn to_data(&self) -> Value {
        Value::map(
            self.0
                .iter()
                .map(|(n, d)| (n.clone(), Value::Bytes(Rc::from(&**d))))
                .collect(),
        )
    }
}

fn base64(bytes: &[u8]) -> String {
    crate::value::base64_std(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions_parse_as_helm_template_reads_them() {
        let k = KubeVersion::parse("1.30.0").expect("parses");
        assert_eq!(
            (
                k.version.as_str(),
                k.normalized.as_str(),
                k.major.as_str(),
                k.minor.as_str()
            ),
            ("v1.30.0", "v1.30.0", "1", "30")
        );
        assert!(KubeVersion::parse("1").is_none());
        assert_eq!(KubeVersion::default().minor, "35");
    }

    #[test]
    fn files_get_glob_and_lines() {
        let files = Files::new(&[
            File {
                name: "files/a.yaml".into(),
                data: Arc::from(&b"x: 1\n"[..]),
            },
            File {
                name: "files/b.txt".into(),
                data: Arc::from(&b"l1\nl2\n"[..]),
            },
        ]);
        let get = files
            .call("Get", &[Value::str("files/a.yaml")])
            .expect("method")
            .expect("ok");
        assert_eq!(get.to_string(), "x: 1\n");
        let globbed = files
            .call("Glob", &[Value::str("files/*.yaml")])
            .expect("method")
            .expect("ok");
        assert_eq!(globbed.to_string(), "map[files/a.yaml:[120 58 32 49 10]]");
        let lines = files
            .call("Lines", &[Value::str("files/b.txt")])
            .expect("method")
            .expect("ok");
        assert_eq!(lines.to_string(), "[l1 l2]");
        assert_eq!(base64(b"hi!?"), "aGkhPw==");
    }
}
