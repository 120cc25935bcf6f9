//! Rendered files to `helm template` output: documents split at `---`, hooks (the
//! `helm.sh/hook` annotation) set apart, both sorted by kind in Helm's install order, each
//! printed as `---\n# Source: <template>\n<document>\n`.

use std::sync::OnceLock;

use regex::Regex;

use super::glob::filepath_match;
use super::Error;
use crate::encoding::yaml;
use crate::template::{Output, Pieces};
use crate::thread_cache::ThreadCache;

/// The kinds in the order Helm installs them (Helm's `InstallOrder`); other kinds follow,
/// alphabetically.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// One document of a rendered template, borrowed from the rendered files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest<'a> {
    /// The template it came from (`chart/templates/x.yaml`).
    pub source: &'a str,
    /// The document, trimmed.
    pub content: &'a str,
    /// Its `kind`.
    pub kind: String,
    /// Whether it is a test hook (`helm.sh/hook: test`).
    pub is_test: bool,
}

fn separator() -> &'static Regex {
    static SEP: OnceLock<Regex> = OnceLock::new();
    // Go's `\s` is ASCII whitespace: [\t\n\f\r ].
    SEP.get_or_init(|| {
        Regex::new(r"(?:^|[\t\n\x0C\r ]*\n)---[\t\n\x0C\r ]*").expect("a valid regex")
    })
}

fn go_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace())
}

/// Helm's `SplitManifests`: the non-empty documents of a file, trimmed, in order.
pub fn split_manifests(text: &str) -> Vec<&str> {
    if memchr::memmem::find(text.as_bytes(), b"---").is_none() {
        // No separator can match: the one document, as the split would give it.
        let doc = go_trim(text);
        return if doc.is_empty() {
            Vec::new()
        } else {
            vec![doc]
        };
    }
    separator()
        .split(go_trim(text))
        .filter(|d| !d.is_empty())
        .map(go_trim)
        .collect()
}

/// Whether `text` holds Go's `<no value>` (which Helm drops from every rendered file).
pub(crate) fn has_no_value(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"<no value>").is_some()
}

/// The hooks and the other manifests of the rendered files (`(path, text)` pairs), both sorted
/// as Helm sorts them.
///
/// # Errors
/// [`Error::Manifest`] when a document is not YAML Helm can read a kind and metadata from.
pub fn sort_manifests(
    files: &[(String, String)],
) -> Result<(Vec<Manifest<'_>>, Vec<Manifest<'_>>), Error> {
    sort_manifests_cached(files, None, Vec::new())
}

/// What sorting read of one rendered file: its documents (byte ranges of the text) and their
/// heads.
pub(crate) struct FileHeads {
    text: String,
    docs: Vec<(std::ops::Range<usize>, Head)>,
    /// `text` holds no `<no value>`: a template's output equal to it needs no replacing.
    clean: bool,
    /// Where the template's large text nodes went in `text` (empty when unknown).
    pieces: Pieces,
}

/// What rendering knows of a file before sorting: its heads when its text is unchanged, else
/// where its large text nodes are in it (empty when unknown).
pub(crate) enum Known {
    /// The text is the one the head cache holds.
    Unchanged(std::sync::Arc<FileHeads>),
    /// The text is new; its pieces, when its text is the template's output as written.
    New(Pieces),
}

/// A rendered file's text: made now, or the head cache's, when the template's output was
/// the text it remembers (then nothing was copied).
pub(crate) enum FileText {
    Owned(String),
    Cached(std::sync::Arc<FileHeads>),
}

impl AsRef<str> for FileText {
    fn as_ref(&self) -> &str {
        match self {
            FileText::Owned(s) => s,
            FileText::Cached(f) => &f.text,
        }
    }
}

impl FileText {
    pub(crate) fn into_string(self) -> String {
        match self {
            FileText::Owned(s) => s,
            FileText::Cached(f) => f.text.clone(),
        }
    }
}

/// The heads of each template's last rendered text, so that a file rendered again to the same
/// text (a CRD, anything that does not depend on the values) is not read again: a prepared
/// chart has one, whose entries each rendering thread keeps for itself (no lock, and no count
/// of references shared between cores; a thread's last render predicts its next as well as
/// any). Reading a head costs a scan of the whole document (Helm decodes it whole, so a
/// malformed document anywhere fails the render); comparing the text is far cheaper.
#[derive(Default)]
pub(crate) struct HeadCache(ThreadCache<Heads>);

type Heads = std::collections::HashMap<String, std::sync::Arc<FileHeads>>;

impl HeadCache {
    fn with<R>(&self, f: impl FnOnce(&mut Heads) -> R) -> R {
        self.0.with(f)
    }

    /// What was read of `path`'s last text when `output`, a template's output before Helm
    /// drops its `<no value>`s, is that text and holds none: then it is the file's text as it
    /// stands, and neither the search for `<no value>` nor sorting need read it again.
    pub(crate) fn unchanged(
        &self,
        path: &str,
        output: &Output,
    ) -> Option<std::sync::Arc<FileHeads>> {
        let cached = self.with(|files| files.get(path).cloned());
        cached.filter(|f| f.clean && output.is(&f.text, &f.pieces))
    }

    /// The documents and heads of `content`, the text `path` rendered to, with its text nodes
    /// at `pieces` (empty when unknown).
    fn file(
        &self,
        path: &str,
        content: &str,
        pieces: Pieces,
    ) -> Result<std::sync::Arc<FileHeads>, Error> {
        let cached = self.with(|files| files.get(path).cloned());
        if let Some(hit) = cached.as_ref().filter(|f| f.text == content) {
            return Ok(hit.clone());
        }
        let heads = std::sync::Arc::new(FileHeads {
            text: content.to_string(),
            docs: read_file_after(path, content, cached.as_deref())?,
            clean: !has_no_value(content),
            pieces,
        });
        self.with(|files| match files.get_mut(path) {
            Some(entry) => *entry = heads.clone(),
            None => {
                files.insert(path.to_string(), heads.clone());
            }
        });
        Ok(heads)
    }
}

/// The documents of a file and their heads.
fn read_file(path: &str, content: &str) -> Result<Vec<(std::ops::Range<usize>, Head)>, Error> {
    read_file_after(path, content, None)
}

/// [`read_file`], given what was read of the file's last text: a document that the cheap scan
/// read there, and that differs from the one now in its place only where the scan surely
/// reads the same head ([`yaml::head::same_head`]), keeps its head unread.
fn read_file_after(
    path: &str,
    content: &str,
    last: Option<&FileHeads>,
) -> Result<Vec<(std::ops::Range<usize>, Head)>, Error> {
    let base = content.as_ptr() as usize;
    let docs = split_manifests(content);
    let last = last.filter(|l| l.docs.len() == docs.len());
    docs.into_iter()
        .enumerate()
        .map(|(i, doc)| {
            let known = last.and_then(|l| {
                let (range, head) = &l.docs[i];
                (head.simple && yaml::head::same_head(&l.text[range.clone()], doc))
                    .then(|| head.clone())
            });
            let head = match known {
                Some(head) => head,
                None => read_head(doc)
                    .map_err(|e| Error::Manifest(format!("YAML parse error on {path}: {e}")))?,
            };
            let start = doc.as_ptr() as usize - base;
            Ok((start..start + doc.len(), head))
        })
        .collect()
}

/// [`sort_manifests`], remembering heads in `cache` when given. `known[i]`, when there, is
/// what rendering knows of `files[i]` ([`Known`]).
pub(crate) fn sort_manifests_cached<'a, T: AsRef<str>>(
    files: &'a [(String, T)],
    cache: Option<&HeadCache>,
    known: Vec<Known>,
) -> Result<(Vec<Manifest<'a>>, Vec<Manifest<'a>>), Error> {
    let mut known: Vec<Option<Known>> = known.into_iter().map(Some).collect();
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| files[a].0.cmp(&files[b].0));
    let mut hooks = Vec::new();
    let mut generic = Vec::new();
    for i in order {
        let (path, content) = &files[i];
        let content = content.as_ref();
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || go_trim(content).is_empty() {
            continue;
        }
        let read = match (known.get_mut(i).and_then(Option::take), cache) {
            (Some(Known::Unchanged(hit)), _) => Read::Cached(hit),
            (Some(Known::New(pieces)), Some(cache)) => {
                Read::Cached(cache.file(path, content, pieces)?)
            }
            (None, Some(cache)) => Read::Cached(cache.file(path, content, Vec::new())?),
            (_, None) => Read::Fresh(read_file(path, content)?),
        };
        let docs = match &read {
            Read::Cached(f) => &f.docs[..],
            Read::Fresh(d) => &d[..],
        };
        for (range, head) in docs {
            let manifest = Manifest {
                source: path,
                content: &content[range.clone()],
                kind: head.kind.clone(),
                is_test: false,
            };
            let Some(hook) = &head.hook else {
                generic.push(manifest);
                continue;
            };
            let events: Vec<String> = hook
                .split(',')
                .map(|e| e.trim().to_ascii_lowercase())
                .collect();
            if events.iter().any(|e| !HOOK_EVENTS.contains(&e.as_str())) {
                // Helm skips a document with an unknown hook event altogether.
                continue;
            }
            hooks.push(Manifest {
                is_test: events.iter().any(|e| e == "test" || e == "test-success"),
                ..manifest
            });
        }
    }
    sort_by_kind(&mut hooks);
    sort_by_kind(&mut generic);
    Ok((hooks, generic))
}

/// A file's documents, as read now or as remembered.
enum Read {
    Cached(std::sync::Arc<FileHeads>),
    Fresh(Vec<(std::ops::Range<usize>, Head)>),
}

fn sort_by_kind(manifests: &mut [Manifest<'_>]) {
    // Known kinds first in install order, then the others by name; stable. The rank is found
    // once per manifest, not at every comparison.
    manifests.sort_by_cached_key(|m| match INSTALL_ORDER.iter().position(|k| *k == m.kind) {
        Some(rank) => (rank, String::new()),
        None => (INSTALL_ORDER.len(), m.kind.clone()),
    });
}

#[derive(Clone)]
struct Head {
    kind: String,
    /// The `helm.sh/hook` annotation.
    hook: Option<String>,
    /// Read by the cheap scan ([`yaml::head::simple_head`]).
    simple: bool,
}

/// What Helm reads of a document (`SimpleHead`): `kind` and `metadata.annotations`, with the
/// type errors `encoding/json` would report.
fn read_head(doc: &str) -> Result<Head, String> {
    // Most documents are plain block YAML whose head a line scan reads; the rest decode fully.
    if let Some(head) = yaml::head::simple_head(doc) {
        return Ok(Head {
            kind: head.kind,
            hook: head.hook,
            simple: true,
        });
    }
    let json = yaml::to_json(doc).map_err(|e| {
        if e.starts_with("error converting YAML to JSON") {
            e
        } else {
            format!("error converting YAML to JSON: {e}")
        }
    })?;
    let mut head = Head {
        kind: String::new(),
        hook: None,
        simple: false,
    };
    let serde_json::Value::Object(top) = &json else {
        return match json {
            serde_json::Value::Null => Ok(head),
            other => Err(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type releaseutil.SimpleHead",
                json_type(&other)
            )),
        };
    };
    let field_err = |field: &str, v: &serde_json::Value, want: &str| {
        format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go struct field {field} of type {want}",
            json_type(v)
        )
    };
    if let Some(v) = top.get("kind") {
        head.kind = scalar_string(v).ok_or_else(|| field_err("SimpleHead.kind", v, "string"))?;
    }
    if let Some(v) = top.get("apiVersion") {
        scalar_string(v).ok_or_else(|| field_err("SimpleHead.apiVersion", v, "string"))?;
    }
    let metadata = match top.get("metadata") {
        None | Some(serde_json::Value::Null) => return Ok(head),
        Some(serde_json::Value::Object(m)) => m,
        Some(v) => {
            return Err(field_err(
                "SimpleHead.metadata",
                v,
                "struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }",
            ))
        }
    };
    if let Some(v) = metadata.get("name") {
        scalar_string(v).ok_or_else(|| field_err(".metadata.name", v, "string"))?;
    }
    match metadata.get("annotations") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Object(a)) => {
            for (k, v) in a {
                let s = scalar_string(v)
                    .ok_or_else(|| field_err(".metadata.annotations", v, "string"))?;
                if k == "helm.sh/hook" {
                    head.hook = Some(s);
                }
            }
        }
        Some(v) => return Err(field_err(".metadata.annotations", v, "map[string]string")),
    }
    Ok(head)
}

/// A scalar read into a Go `string` field: `sigs.k8s.io/yaml` turns YAML numbers and
/// booleans into their text when the target is a string; `null` leaves it empty.
fn scalar_string(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => Some(String::new()),
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// `helm template`'s stdout for sorted manifests and hooks: the CRD files given (as they are),
/// the manifests (trimmed as a whole, one line break after), then each hook; test hooks left
/// out when `skip_tests`.
pub fn print(
    crds: &[(String, String)],
    hooks: &[Manifest<'_>],
    manifests: &[Manifest<'_>],
    skip_tests: bool,
) -> String {
    fn push(out: &mut String, source: &str, text: &str) {
        out.push_str("---\n# Source: ");
        out.push_str(source);
        out.push('\n');
        out.push_str(text);
        out.push('\n');
    }
    let size = |source: &str, text: &str| source.len() + text.len() + 16;
    let capacity = crds.iter().map(|(s, t)| size(s, t)).sum::<usize>()
        + manifests
            .iter()
            .chain(hooks)
            .map(|m| size(m.source, m.content))
            .sum::<usize>()
        + 1;
    let mut out = String::with_capacity(capacity);
    for (source, text) in crds {
        push(&mut out, source, text);
    }
    for m in manifests {
        push(&mut out, m.source, m.content);
    }
    // The manifests trimmed as a whole (Go's strings.TrimSpace), then one line break.
    out.truncate(out.trim_end_matches(char::is_whitespace).len());
    let lead = out.len() - out.trim_start_matches(char::is_whitespace).len();
    out.drain(..lead);
    out.push('\n');
    for h in hooks {
        if skip_tests && h.is_test {
            continue;
        }
        push(&mut out, h.source, h.content);
    }
    out
}

/// `--show-only`: the documents of `output` whose source matches one of `patterns`
/// (`filepath.Match` against the path after the chart name), pattern by pattern.
///
/// # Errors
/// [`Error::ShowOnly`] when a pattern matches no document.
pub fn show_only(output: &str, patterns: &[String]) -> Result<String, Error> {
    static NAME: OnceLock<Regex> = OnceLock::new();
    let name_re = NAME.get_or_init(|| Regex::new("# Source: [^/]+/(.+)").expect("a valid regex"));
    let docs = split_manifests(output);
    let mut out = String::new();
    for pattern in patterns {
        let pattern = pattern.replace('\\', "/");
        let mut missing = true;
        for doc in &docs {
            let Some(name) = name_re.captures(doc).and_then(|c| c.get(1)) else {
                continue;
            };
            if filepath_match(&pattern, name.as_str()).unwrap_or(false) {
                out.push_str(&format!("---\n{doc}\n"));
                missing = false;
            }
        }
        if missing {
            return Err(Error::ShowOnly(format!(
                "could not find template {pattern} in chart"
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_without_separators_splits_as_the_regex_splits_it() {
        let by_regex = |text: &str| -> Vec<String> {
            separator()
                .split(go_trim(text))
                .filter(|d| !d.is_empty())
                .map(|d| go_trim(d).to_string())
                .collect()
        };
        for text in [
            "",
            " \n\t",
            "a: 1\n",
            "\n  a: 1\n-- b\n\n",
            "a\n---\nb",
            "--- a",
            "a: --",
        ] {
            assert_eq!(split_manifests(text), by_regex(text), "{text:?}");
        }
    }

    #[test]
    fn documents_split_as_helm_splits_them() {
        let docs = split_manifests("---\na: 1\n---\nb: 2\n  \n---   \nc: 3\n---d: 4\n  ---\n");
        assert_eq!(docs, vec!["a: 1", "b: 2", "c: 3", "d: 4\n  ---"]);
    }

    #[test]
    fn kinds_sort_in_install_order_then_alphabetically() {
        let m = |kind: &'static str| Manifest {
            source: "",
            content: kind,
            kind: kind.into(),
            is_test: false,
        };
        let mut all = vec![m("Zeta"), m("Deployment"), m(""), m("Service"), m("Alpha")];
        sort_by_kind(&mut all);
        let kinds: Vec<_> = all.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds, vec!["Service", "Deployment", "", "Alpha", "Zeta"]);
    }
}
