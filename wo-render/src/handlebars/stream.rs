//! Rendered template files to one manifest stream, the way `helm template` prints it.
//!
//! Helm splits each file at `---` lines, trims every document, orders the documents by kind
//! (its install order: namespaces and config first, workloads after), keeps hook documents
//! (`helm.sh/hook`) for the end, and prefixes each document with `# Source: <chart>/<file>`.
//! Doing the same here is what makes a chart written for both engines render byte-identical.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use regex::Regex;
use wo_core::{Error, Location, Result};

// Helm's install order of kinds, shared with the manifest model's canonical order.
use crate::manifest::INSTALL_ORDER;

/// Hook events Helm knows; a document naming any other is dropped, as Helm drops it.
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

/// Helm's document separator; `\s` in Go's regexp is ASCII whitespace without `\v`.
static SEPARATOR: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?:^|[\t\n\x0C\r ]*\n)---[\t\n\x0C\r ]*").ok());

/// One document of the stream.
struct Document<'a> {
    /// `templates/x.yaml`.
    path: &'a str,
    kind: String,
    content: &'a str,
}

/// The heads of the documents a chart rendered last, by template and place in its output:
/// a document equal to the last one at its place has the same head (a head depends on the
/// text only), so that documents many targets share are read once. Shared by the workers.
#[derive(Default)]
pub(crate) struct HeadCache(Mutex<HashMap<String, Vec<Option<Seen>>>>);

/// A document's text and its head.
type Seen = (String, Head);

impl HeadCache {
    /// The head of document `index` of `path`'s output, when it is `content` again.
    fn get(&self, path: &str, index: usize, content: &str) -> Option<Head> {
        let seen = self.0.lock().ok()?;
        match seen.get(path)?.get(index)? {
            Some((text, head)) if text == content => Some(head.clone()),
            _ => None,
        }
    }

    /// Remembers the head of document `index` of `path`'s output.
    fn put(&self, path: &str, index: usize, content: &str, head: &Head) {
        let Ok(mut seen) = self.0.lock() else {
            return;
        };
        let docs = match seen.get_mut(path) {
            Some(docs) => docs,
            None => seen.entry(path.to_owned()).or_default(),
        };
        if docs.len() <= index {
            docs.resize_with(index + 1, || None);
        }
        docs[index] = Some((content.to_owned(), head.clone()));
    }
}

/// Joins rendered files (`templates/…` path, output; in path order) into the stream.
pub(crate) fn assemble(
    chart: &str,
    files: &[(String, String)],
    target: &str,
    heads: &HeadCache,
) -> Result<String> {
    let Some(separator) = SEPARATOR.as_ref() else {
        return Err(Error::unsupported(
            "the document separator pattern did not compile",
        ));
    };
    let mut manifests = Vec::new();
    let mut hooks = Vec::new();
    for (path, output) in files {
        if output.trim().is_empty() {
            continue;
        }
        let docs = separator
            .split(output.trim_start())
            .filter(|doc| !doc.is_empty());
        for (index, doc) in docs.enumerate() {
            let content = doc.trim();
            let head = match heads.get(path, index, content) {
                Some(head) => head,
                None => {
                    let head = head(content, path, target)?;
                    heads.put(path, index, content, &head);
                    head
                }
            };
            let document = Document {
                path,
                kind: head.kind,
                content,
            };
            match head.hook {
                None => manifests.push(document),
                Some(events) if events.split(',').all(known_hook) => hooks.push(document),
                Some(_) => {}
            }
        }
    }
    manifests.sort_by(|a, b| kind_order(&a.kind, &b.kind));
    hooks.sort_by(|a, b| kind_order(&a.kind, &b.kind));

    let mut stream = String::new();
    for m in &manifests {
        push_document(&mut stream, chart, m);
    }
    let mut out = String::with_capacity(stream.len() + 1);
    out.push_str(stream.trim());
    out.push('\n');
    for h in &hooks {
        push_document(&mut out, chart, h);
    }
    Ok(out)
}

fn push_document(out: &mut String, chart: &str, doc: &Document<'_>) {
    out.push_str("---\n# Source: ");
    out.push_str(chart);
    out.push('/');
    out.push_str(doc.path);
    out.push('\n');
    out.push_str(doc.content);
    out.push('\n');
}

fn known_hook(event: &str) -> bool {
    HOOK_EVENTS.contains(&event.trim().to_ascii_lowercase().as_str())
}

/// What the stream needs of a document: its kind and its hook annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Head {
    kind: String,
    hook: Option<String>,
}

fn head(content: &str, path: &str, target: &str) -> Result<Head> {
    use wo_core::yaml::NodeKind;

    // A document in plain block form is read without the YAML parser (most charts' are);
    // anything else, and every error, goes through the parser.
    if let Some(head) = simple_head(content) {
        return Ok(head);
    }

    let node =
        wo_core::yaml::parse(content, path).map_err(|e| rendered_yaml_error(e, path, target))?;
    // Read from the parsed nodes: converting the whole document into a value only to read two
    // fields doubled the cost of the stream. The conversion's own checks (no NaN, no two keys
    // that become the same string) are the canonical form's (`ManifestSet::parse`).
    let kind = match node.get("kind").map(|k| &k.kind) {
        None | Some(NodeKind::Null) => String::new(),
        Some(NodeKind::Str(kind)) => kind.clone(),
        Some(_) => {
            let value = node
                .to_value(path)
                .map_err(|e| rendered_yaml_error(e, path, target))?;
            let brief = value
                .get("kind")
                .map_or_else(|| "not a string".to_owned(), wo_core::value::brief);
            return Err(Error::invalid(
                Location::file(path).with_key("kind"),
                format!("for target {target}: the rendered `kind` is {brief}, not a string"),
            ));
        }
    };
    let hook = node
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get("helm.sh/hook"))
        .and_then(|h| match &h.kind {
            NodeKind::Str(s) => Some(s.clone()),
            _ => None,
        });
    Ok(Head { kind, hook })
}

/// The head of a document that [`reread::document`](crate::manifest::reread::document) reads
/// (then the parser reads the same value), when its `kind` is a string or absent.
fn simple_head(content: &str) -> Option<Head> {
    use wo_core::Value;

    let value = crate::manifest::reread::document(
        &format!("{content}\n"),
        &wo_core::yaml::Budget::default(),
    )?;
    let kind = match value.get("kind") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(kind)) => kind.clone(),
        Some(_) => return None,
    };
    let hook = value
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get("helm.sh/hook"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some(Head { kind, hook })
}

/// A YAML error in rendered output: its line is a line of the output, not of the template.
fn rendered_yaml_error(error: Error, path: &str, target: &str) -> Error {
    let diagnostics = error
        .diagnostics()
        .iter()
        .map(|d| {
            let at = d
                .location
                .line
                .map(|l| format!(" (line {l} of the rendered document)"))
                .unwrap_or_default();
            wo_core::Diagnostic::new(
                Location::file(path),
                format!(
                    "for target {target}: the template rendered invalid YAML{at}: {}",
                    d.message
                ),
            )
        })
        .collect::<Vec<_>>();
    if diagnostics.is_empty() {
        return Error::invalid(
            Location::file(path),
            format!("for target {target}: the template rendered invalid YAML: {error}"),
        );
    }
    Error::Invalid(wo_core::Diagnostics(diagnostics))
}

/// Helm's order: known kinds by install order, then unknown kinds by name; stable otherwise.
fn kind_order(a: &str, b: &str) -> std::cmp::Ordering {
    let rank = |k: &str| INSTALL_ORDER.iter().position(|known| *known == k);
    match (rank(a), rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect()
    }

    #[test]
    fn documents_are_split_trimmed_and_ordered_by_kind() {
        let out = assemble(
            "c",
            &files(&[
                ("templates/a.yaml", "kind: Deployment\nx: 1   \n\n"),
                (
                    "templates/b.yaml",
                    "\n\nkind: Service\n---\n\n---\nkind: ConfigMap\n",
                ),
                ("templates/c.yaml", "  \n \n"),
            ]),
            "t",
            &HeadCache::default(),
        );
        assert_eq!(
            out.ok().as_deref(),
            Some(
                "---\n# Source: c/templates/b.yaml\n---\nkind: ConfigMap\n\
                 ---\n# Source: c/templates/b.yaml\nkind: Service\n\
                 ---\n# Source: c/templates/a.yaml\nkind: Deployment\nx: 1\n"
            )
        );
    }

    #[test]
    fn unknown_kinds_go_last_by_name_and_hooks_after_everything() {
        let hook = "kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install\n";
        let out = assemble(
            "c",
            &files(&[
                ("templates/a.yaml", "kind: Zebra\n"),
                ("templates/b.yaml", hook),
                ("templates/c.yaml", "kind: Aardvark\n---\nkind: Service\n"),
            ]),
            "t",
            &HeadCache::default(),
        )
        .unwrap_or_default();
        let kinds: Vec<&str> = out.lines().filter(|l| l.starts_with("kind:")).collect();
        assert_eq!(
            kinds,
            [
                "kind: Service",
                "kind: Aardvark",
                "kind: Zebra",
                "kind: Job"
            ]
        );
    }

    #[test]
    fn a_document_seen_before_has_the_head_read_then() {
        let heads = HeadCache::default();
        let hook = "kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install\n";
        let outputs = [
            ("kind: Service\n---\nkind: ConfigMap\n", hook),
            ("kind: Service\n---\nkind: Secret\n", hook),
            ("kind: Service\n---\nkind: Secret\n", "kind: Job\n"),
            ("kind: Service\n---\nkind: Secret\n", "a: [1\n"),
            ("kind: Service\n---\nkind: Secret\n", "kind: Job\n"),
        ];
        for (a, b) in outputs {
            let list = files(&[("templates/a.yaml", a), ("templates/b.yaml", b)]);
            let cached = assemble("c", &list, "t", &heads).map_err(|e| e.to_string());
            let fresh = assemble("c", &list, "t", &HeadCache::default()).map_err(|e| e.to_string());
            assert_eq!(cached, fresh);
        }
        assert_eq!(
            heads.get("templates/a.yaml", 1, "kind: Secret"),
            Some(Head {
                kind: "Secret".into(),
                hook: None
            })
        );
        assert_eq!(heads.get("templates/a.yaml", 1, "kind: ConfigMap"), None);
        assert_eq!(
            heads
                .get("templates/b.yaml", 0, "kind: Job")
                .map(|h| h.hook),
            Some(None)
        );
    }

    #[test]
    fn invalid_rendered_yaml_names_the_template_and_target() {
        let err = assemble(
            "c",
            &files(&[("templates/a.yaml", "a: [1\n")]),
            "berlin-1",
            &HeadCache::default(),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains("templates/a.yaml"), "{err}");
        assert!(err.contains("berlin-1"), "{err}");
    }
}
