//! A chart as Helm loads it: `Chart.yaml`, `values.yaml`, `values.schema.json`, templates,
//! other files, and subcharts under `charts/` (directories or `.tgz` archives).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::ignore::IgnoreRules;
use super::Error;
use crate::encoding::yaml;
use crate::value::{Map, Value};

/// A file's path and contents.
type NamedBytes = (String, Vec<u8>);

/// One file of a chart: its path relative to the chart root (`templates/x.yaml`) and bytes.
#[derive(Debug, Clone)]
pub struct File {
    /// The path relative to the chart root, `/`-separated.
    pub name: String,
    /// The contents.
    pub data: Arc<[u8]>,
}

/// A chart: metadata, default values, templates, files and subcharts. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Chart {
    /// `Chart.yaml`.
    pub metadata: Metadata,
    /// `values.yaml` as plain data (a JSON object; every number a float, as Helm reads it).
    pub values: serde_json::Value,
    /// `values.schema.json`, when present.
    pub schema: Option<Arc<[u8]>>,
    /// The files under `templates/`, in load order.
    pub templates: Arc<Vec<File>>,
    /// Every other file (what `.Files` sees), `crds/` included.
    pub files: Arc<Vec<File>>,
    /// The charts under `charts/`, by directory or archive name.
    pub dependencies: Vec<Chart>,
}

/// `Chart.yaml` (Helm's `chart.Metadata`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// `name`.
    pub name: String,
    /// `home`.
    pub home: String,
    /// `sources`.
    pub sources: Vec<String>,
    /// `version`.
    pub version: String,
    /// `description`.
    pub description: String,
    /// `keywords`.
    pub keywords: Vec<String>,
    /// `maintainers`: (name, email, url).
    pub maintainers: Vec<(String, String, String)>,
    /// `icon`.
    pub icon: String,
    /// `apiVersion` (`v1` when absent).
    pub api_version: String,
    /// `condition`.
    pub condition: String,
    /// `tags`.
    pub tags: String,
    /// `appVersion`.
    pub app_version: String,
    /// `deprecated`.
    pub deprecated: bool,
    /// `annotations`.
    pub annotations: Vec<(String, String)>,
    /// `kubeVersion`: the Kubernetes versions the chart supports (a semver range).
    pub kube_version: String,
    /// `dependencies`.
    pub dependencies: Vec<Dependency>,
    /// `type` (`application`, `library`).
    pub chart_type: String,
}

/// One entry of `dependencies` in `Chart.yaml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    /// `name`: the subchart's name in its own `Chart.yaml`.
    pub name: String,
    /// `version`: a semver range the subchart's version must satisfy.
    pub version: String,
    /// `repository`.
    pub repository: String,
    /// `condition`: comma-separated value paths; the first boolean found decides.
    pub condition: String,
    /// `tags`.
    pub tags: Vec<String>,
    /// `enabled` (set while dependencies are processed).
    pub enabled: bool,
    /// `import-values` (plain data: strings or `{child, parent}` maps).
    pub import_values: Vec<serde_json::Value>,
    /// `alias`: the name the subchart is rendered under.
    pub alias: String,
}

impl Chart {
    /// Loads a chart from a directory (honouring its `.helmignore`) or a `.tgz` archive.
    ///
    /// # Errors
    /// [`Error::Load`] when the path cannot be read or the chart is malformed.
    pub fn load(path: impl AsRef<Path>) -> Result<Chart, Error> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let load_err = |message: String| Error::Load {
            path: shown.clone(),
            message,
        };
        let meta =
            std::fs::metadata(path).map_err(|_| load_err(format!("path {shown:?} not found")))?;
        if meta.is_dir() {
            if !path.join("Chart.yaml").is_file() {
                let chart_yaml = path.join("Chart.yaml").display().to_string();
                return Err(load_err(format!(
                    "unable to detect chart at {chart_yaml}: open {chart_yaml}: no such file or directory"
                )));
            }
            let files = read_dir(path).map_err(load_err)?;
            Chart::from_files(files).map_err(|e| match e {
                Error::Load { message, .. } => load_err(message),
                other => other,
            })
        } else {
            let bytes = std::fs::read(path).map_err(|e| load_err(format!("{shown}: {e}")))?;
            if !bytes.starts_with(&[0x1f, 0x8b]) {
                return Err(load_err(format!(
                    "file '{shown}' does not appear to be a gzipped archive; got 'application/octet-stream'"
                )));
            }
            Chart::from_archive(&bytes).map_err(|e| match e {
                Error::Load { message, .. } => load_err(message),
                other => other,
            })
        }
    }

    /// Loads a chart from a gzipped tar archive (`helm package`'s output).
    ///
    /// # Errors
    /// [`Error::Load`] when the archive or the chart in it is malformed.
    pub fn from_archive(bytes: &[u8]) -> Result<Chart, Error> {
        let files = read_archive(bytes).map_err(|message| Error::Load {
            path: "<archive>".into(),
            message,
        })?;
        Chart::from_files(files)
    }

    /// Loads a chart from its files (paths relative to the chart root), as Helm's `LoadFiles`.
    ///
    /// # Errors
    /// [`Error::Load`] when `Chart.yaml` is missing or invalid, or a values file or subchart
    /// cannot be read.
    pub fn from_files(files: Vec<(String, Vec<u8>)>) -> Result<Chart, Error> {
        let err = |message: String| Error::Load {
            path: String::new(),
            message,
        };
        let chart_yaml = files
            .iter()
            .find(|(name, _)| name == "Chart.yaml")
            .ok_or_else(|| err("Chart.yaml file is missing".into()))?;
        let mut metadata = parse_metadata(&chart_yaml.1)
            .map_err(|e| err(format!("cannot load Chart.yaml: {e}")))?;
        let mut values = serde_json::Value::Object(Default::default());
        let mut schema = None;
        let mut templates = Vec::new();
        let mut other = Vec::new();
        let mut subcharts: Vec<(String, Vec<NamedBytes>)> = Vec::new();
        for (name, data) in files {
            match name.as_str() {
                "Chart.yaml" | "Chart.lock" | "requirements.lock" => {}
                "values.yaml" => {
                    values = load_values(&data)
                        .map_err(|e| err(format!("cannot load values.yaml: {e}")))?;
                }
                "values.schema.json" => schema = Some(Arc::from(data)),
                "requirements.yaml" => {
                    let req = parse_metadata(&data)
                        .map_err(|e| err(format!("cannot load requirements.yaml: {e}")))?;
                    metadata.dependencies = req.dependencies;
                    if metadata.api_version == "v1" {
                        other.push(File {
                            name,
                            data: Arc::from(data),
                        });
                    }
                }
                _ if name.starts_with("templates/") => templates.push(File {
                    name,
                    data: Arc::from(data),
                }),
                _ if name.starts_with("charts/") && !name.ends_with(".prov") => {
                    let rest = &name["charts/".len()..];
                    let (sub, inner) = rest.split_once('/').unwrap_or((rest, ""));
                    let entry = match subcharts.iter_mut().find(|(n, _)| n == sub) {
                        Some(entry) => entry,
                        None => {
                            subcharts.push((sub.to_string(), Vec::new()));
                            subcharts.last_mut().expect("just pushed")
                        }
                    };
                    entry.1.push((inner.to_string(), data));
                }
                _ => other.push(File {
                    name,
                    data: Arc::from(data),
                }),
            }
        }
        metadata
            .validate()
            .map_err(|m| err(format!("validation: {m}")))?;
        subcharts.sort_by(|a, b| a.0.cmp(&b.0));
        let mut dependencies = Vec::new();
        for (sub, files) in subcharts {
            if sub.starts_with('_') || sub.starts_with('.') {
                continue;
            }
            let loaded = if sub.ends_with(".tgz") {
                let Some((_, data)) = files.into_iter().find(|(inner, _)| inner.is_empty()) else {
                    continue;
                };
                Chart::from_archive(&data)
            } else {
                let inner: Vec<_> = files
                    .into_iter()
                    .filter(|(inner, _)| !inner.is_empty())
                    .collect();
                Chart::from_files(inner)
            };
            let chart = loaded.map_err(|e| {
                err(format!(
                    "error unpacking subchart {sub} in {}: {}",
                    metadata.name,
                    e.message()
                ))
            })?;
            dependencies.push(chart);
        }
        Ok(Chart {
            metadata,
            values,
            schema,
            templates: Arc::new(templates),
            files: Arc::new(other),
            dependencies,
        })
    }

    /// The chart's name (`Chart.yaml`'s `name`).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Whether it is a library chart (only its `_` partials are used).
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type.eq_ignore_ascii_case("library")
    }
}

fn read_dir(root: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let rules = match std::fs::read_to_string(root.join(".helmignore")) {
        Ok(text) => IgnoreRules::parse(&text)?,
        Err(_) => IgnoreRules::defaults(),
    };
    let mut files = Vec::new();
    walk(root, "", &rules, &mut files)?;
    Ok(files)
}

fn walk(
    dir: &Path,
    prefix: &str,
    rules: &IgnoreRules,
    out: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), String> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        // Symbolic links are followed, as Helm's `sympath.Walk` does.
        let meta = std::fs::metadata(entry.path()).map_err(|e| format!("{rel}: {e}"))?;
        if meta.is_dir() {
            if !rules.ignored(&rel, true) {
                walk(&entry.path(), &rel, rules, out)?;
            }
            continue;
        }
        if rules.ignored(&rel, false) {
            continue;
        }
        let mut data = std::fs::read(entry.path()).map_err(|e| format!("{rel}: {e}"))?;
        if data.starts_with(b"\xEF\xBB\xBF") {
            data.drain(..3);
        }
        out.push((rel, data));
    }
    Ok(())
}

fn read_archive(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz);
    let mut files = Vec::new();
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .replace('\\', "/");
        if path == "pax_global_header" {
            continue;
        }
        let Some((_, name)) = path.split_once('/') else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(|e| e.to_string())?;
        if data.starts_with(b"\xEF\xBB\xBF") {
            data.drain(..3);
        }
        files.push((name.to_string(), data));
    }
    if files.is_empty() {
        return Err("no files in chart archive".into());
    }
    Ok(files)
}

/// `values.yaml`: one map per YAML document, merged (later documents win, maps deeply).
fn load_values(data: &[u8]) -> Result<serde_json::Value, String> {
    let text = String::from_utf8_lossy(data);
    let mut merged = Map::new();
    for doc in split_documents(&text) {
        let value = yaml::decode(doc)?;
        match value {
            Value::Map(m) => merge_maps(&mut merged, &m.borrow()),
            Value::Nil => {}
            other => {
                return Err(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    json_kind(&other)
                ))
            }
        }
    }
    Ok(Value::map(merged).to_json())
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::String(_) => "string",
        Value::List(_) | Value::StrList(_) => "array",
        _ => "number",
    }
}

fn merge_maps(into: &mut Map, from: &Map) {
    for (k, v) in from {
        if let (Value::Map(new), Some(Value::Map(old))) = (v, into.get(k)) {
            let mut merged = old.borrow().clone();
            merge_maps(&mut merged, &new.borrow());
            into.insert(k.clone(), Value::map(merged));
            continue;
        }
        into.insert(k.clone(), v.clone());
    }
}

/// Splits a YAML stream at `---` document markers (Kubernetes' YAML reader).
fn split_documents(text: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare == "---" || (bare.starts_with("--- ") || bare.starts_with("---\t")) {
            docs.push(&text[start..pos]);
            start = pos + line.len();
        }
        pos += line.len();
    }
    docs.push(&text[start..]);
    docs
}

fn field<'a>(map: &'a Map, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn text(map: &Map, key: &str) -> String {
    match field(map, key) {
        None | Some(Value::Nil) => String::new(),
        Some(v) => v.to_string(),
    }
}

fn strings(map: &Map, key: &str) -> Vec<String> {
    match field(map, key) {
        Some(Value::List(items)) => items.iter().map(Value::to_string).collect(),
        _ => Vec::new(),
    }
}

fn parse_metadata(data: &[u8]) -> Result<Metadata, String> {
    let value = yaml::decode(&String::from_utf8_lossy(data))?;
    let map = match value {
        Value::Map(m) => m.borrow().clone(),
        Value::Nil => Map::new(),
        _ => return Err("Chart.yaml is not a map".into()),
    };
    let maintainers = match field(&map, "maintainers") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|m| match m {
                Value::Map(m) => {
                    let m = m.borrow();
                    Some((text(&m, "name"), text(&m, "email"), text(&m, "url")))
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let annotations = match field(&map, "annotations") {
        Some(Value::Map(m)) => m
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect(),
        _ => Vec::new(),
    };
    let dependencies = match field(&map, "dependencies") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|d| match d {
                Value::Map(d) => {
                    let d = d.borrow();
                    Some(Dependency {
                        name: text(&d, "name"),
                        version: text(&d, "version"),
                        repository: text(&d, "repository"),
                        condition: text(&d, "condition"),
                        tags: strings(&d, "tags"),
                        enabled: matches!(field(&d, "enabled"), Some(Value::Bool(true))),
                        import_values: match field(&d, "import-values") {
                            Some(Value::List(l)) => l.iter().map(Value::to_json).collect(),
                            _ => Vec::new(),
                        },
                        alias: text(&d, "alias"),
                    })
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut api_version = text(&map, "apiVersion");
    if api_version.is_empty() {
        api_version = "v1".into();
    }
    Ok(Metadata {
        name: text(&map, "name"),
        home: text(&map, "home"),
        sources: strings(&map, "sources"),
        version: text(&map, "version"),
        description: text(&map, "description"),
        keywords: strings(&map, "keywords"),
        maintainers,
        icon: text(&map, "icon"),
        api_version,
        condition: text(&map, "condition"),
        tags: text(&map, "tags"),
        app_version: text(&map, "appVersion"),
        deprecated: matches!(field(&map, "deprecated"), Some(Value::Bool(true))),
        annotations,
        kube_version: text(&map, "kubeVersion"),
        dependencies,
        chart_type: text(&map, "type"),
    })
}

impl Metadata {
    /// Helm's `Metadata.Validate`: a name that is a plain file name, a semver version, a known
    /// type, dependency names or aliases unique.
    fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if name.is_empty() {
            return Err("chart.metadata.name is required".into());
        }
        if name == "." || name == ".." {
            return Err(format!("chart.metadata.name {name:?} is not allowed"));
        }
        if name.contains('/') {
            return Err(format!("chart.metadata.name {name:?} is invalid"));
        }
        if self.version.is_empty() {
            return Err("chart.metadata.version is required".into());
        }
        if crate::funcs::SemVersion::parse(&self.version).is_err() {
            return Err(format!(
                "chart.metadata.version {:?} is invalid",
                self.version
            ));
        }
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return Err("chart.metadata.type must be application or library".into());
        }
        let mut seen: Vec<&str> = Vec::new();
        for d in &self.dependencies {
            let key = if d.alias.is_empty() {
                &d.name
            } else {
                &d.alias
            };
            if seen.contains(&key.as_str()) {
                return Err(format!(
                    "more than one dependency with name or alias {key:?}"
                ));
            }
            seen.push(key);
        }
        Ok(())
    }

    /// `.Chart` as templates see it: the metadata's Go field names as map keys (Helm 4 hands
    /// templates `structToMap(metadata)` plus `IsRoot`).
    pub fn to_value(&self, is_root: bool) -> Value {
        let strs = |v: &[String]| Value::list(v.iter().map(Value::str).collect());
        let mut m = Map::new();
        m.insert("Name".into(), Value::str(&self.name));
        m.insert("Home".into(), Value::str(&self.home));
        m.insert("Sources".into(), strs(&self.sources));
        m.insert("Version".into(), Value::str(&self.version));
        m.insert("Description".into(), Value::str(&self.description));
        m.insert("Keywords".into(), strs(&self.keywords));
        m.insert(
            "Maintainers".into(),
            Value::list(
                self.maintainers
                    .iter()
                    .map(|(name, email, url)| {
                        let mut mm = Map::new();
                        mm.insert("Name".into(), Value::str(name));
                        mm.insert("Email".into(), Value::str(email));
                        mm.insert("URL".into(), Value::str(url));
                        Value::map(mm)
                    })
                    .collect(),
            ),
        );
        m.insert("Icon".into(), Value::str(&self.icon));
        m.insert("APIVersion".into(), Value::str(&self.api_version));
        m.insert("Condition".into(), Value::str(&self.condition));
        m.insert("Tags".into(), Value::str(&self.tags));
        m.insert("AppVersion".into(), Value::str(&self.app_version));
        m.insert("Deprecated".into(), Value::Bool(self.deprecated));
        m.insert(
            "Annotations".into(),
            Value::map(
                self.annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::str(v)))
                    .collect(),
            ),
        );
        m.insert("KubeVersion".into(), Value::str(&self.kube_version));
        m.insert(
            "Dependencies".into(),
            Value::list(self.dependencies.iter().map(Dependency::to_value).collect()),
        );
        m.insert("Type".into(), Value::str(&self.chart_type));
        m.insert("IsRoot".into(), Value::Bool(is_root));
        Value::map(m)
    }
}

impl Dependency {
    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("Name".into(), Value::str(&self.name));
        m.insert("Version".into(), Value::str(&self.version));
        m.insert("Repository".into(), Value::str(&self.repository));
        m.insert("Condition".into(), Value::str(&self.condition));
        m.insert(
            "Tags".into(),
            Value::list(self.tags.iter().map(Value::str).collect()),
        );
        m.insert("Enabled".into(), Value::Bool(self.enabled));
        m.insert(
            "ImportValues".into(),
            Value::list(self.import_values.iter().map(Value::from_json).collect()),
        );
        m.insert("Alias".into(), Value::str(&self.alias));
        Value::map(m)
    }
}
