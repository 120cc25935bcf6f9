//! Rendered template files to one manifest stream, the way `helm template` prints it.
//!
//! Helm splits each file at `---` lines, trims every document, orders the documents by kind
//! (its install order: namespaces and config first, workloads after), keeps hook documents
//! (`helm.sh/hook`) for the end, and prefixes each document with `# Source: <chart>/<file>`.
//! Doing the same here is what makes a chart written for both engines render byte-identical.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use wo_core::ports::ReadDocument;
use wo_core::{Error, Location, Result, Value};
use wo_gotmpl::thread_cache::ThreadCache;

use crate::flow::Output;
use crate::manifest::remembered;
use crate::manifest::reread::{self, RawLine};

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
    /// Its value, when the plain-form reader read it (as the YAML parser would), and the
    /// line of the document where the value's root starts (0-based).
    value: Option<(Value, u32)>,
}

/// The heads of the documents a chart rendered last, by template and place in its output:
/// a document equal to the last one at its place has the same head (a head depends on the
/// text only), and so has one that differs from it only in values outside its identity
/// ([`remembered::changed_leaves`]), so that documents many targets share are read once.
/// Each rendering thread keeps its own entries (no lock between the workers, nothing of one
/// read by another's core).
#[derive(Default)]
pub(crate) struct HeadCache(ThreadCache<SeenOfChart>);

/// A document's text, its head (without its value: the canonicaliser keeps its own memory of
/// the last output), and the lines of its leaves that stand alone on their lines outside its
/// identity (a document that differs from it only in those has the same head).
type Seen = (String, Head, Vec<RawLine>);

/// What one thread saw of one chart's output: by template, the documents in order.
type SeenOfChart = HashMap<String, Vec<Option<Seen>>>;

impl HeadCache {
    fn with<R>(&self, f: impl FnOnce(&mut SeenOfChart) -> R) -> R {
        self.0.with(f)
    }

    /// The head of document `index` of `path`'s output, when it is `content` again or differs
    /// from it only in values of leaves outside its identity (then without its value).
    fn get(&self, path: &str, index: usize, content: &str) -> Option<Head> {
        self.with(|seen| match seen.get_mut(path)?.get_mut(index)? {
            Some((text, head, _)) if text == content => Some(head.clone()),
            Some((text, head, free))
                if !free.is_empty()
                    && remembered::changed_leaves(text, content, free, |l| *l).is_some() =>
            {
                content.clone_into(text);
                Some(head.clone())
            }
            _ => None,
        })
    }

    /// Remembers the head of document `index` of `path`'s output.
    fn put(&self, path: &str, index: usize, content: &str, head: &Head, free: Vec<RawLine>) {
        self.with(|seen| {
            let docs = match seen.get_mut(path) {
                Some(docs) => docs,
                None => seen.entry(path.to_owned()).or_default(),
            };
            if docs.len() <= index {
                docs.resize_with(index + 1, || None);
            }
            let head = Head {
                value: None,
                ..head.clone()
            };
            docs[index] = Some((content.to_owned(), head, free));
        })
    }
}

/// Joins rendered files (`templates/…` path, output; in path order) into the stream, with
/// the value of each of its documents when every one was read.
pub(crate) fn assemble(
    chart: &str,
    files: &[(String, String)],
    target: &str,
    heads: &HeadCache,
) -> Result<Output> {
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
                    let (head, free) = head(content, path, target)?;
                    heads.put(path, index, content, &head, free);
                    head
                }
            };
            let document = Document {
                path,
                kind: head.kind,
                content,
                value: head.value.map(|v| (v, head.at)),
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

    let mut out = Stream {
        text: String::new(),
        documents: Some(Vec::with_capacity(manifests.len() + hooks.len())),
        line: 1,
        counted: 0,
    };
    for m in manifests {
        out.push(chart, m);
    }
    // The manifests trimmed (they start with `---`: only their end), and one line break.
    let trimmed = out.text.trim_end().len();
    out.text.truncate(trimmed);
    out.text.push('\n');
    for h in hooks {
        out.push(chart, h);
    }
    Ok(Output {
        manifests: out.text,
        documents: out.documents,
    })
}

/// The stream being written, and the documents read so far (`None` once one was not read).
struct Stream {
    text: String,
    documents: Option<Vec<ReadDocument>>,
    /// The line of `text` at byte `counted`.
    line: u32,
    counted: usize,
}

impl Stream {
    fn push(&mut self, chart: &str, doc: Document<'_>) {
        self.text.push_str("---\n# Source: ");
        self.text.push_str(chart);
        self.text.push('/');
        self.text.push_str(doc.path);
        self.text.push('\n');
        let start = self.text.len();
        self.text.push_str(doc.content);
        self.text.push('\n');
        self.documents = match (self.documents.take(), doc.value) {
            (Some(mut documents), Some((value, at))) => {
                let breaks = self.text.as_bytes()[self.counted..start]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                u32::try_from(breaks)
                    .ok()
                    .and_then(|b| self.line.checked_add(b))
                    .and_then(|line| {
                        self.line = line;
                        self.counted = start;
                        let root = line.checked_add(at)?;
                        documents.push(ReadDocument { value, line: root });
                        Some(documents)
                    })
            }
            _ => None,
        };
    }
}

fn known_hook(event: &str) -> bool {
    HOOK_EVENTS.contains(&event.trim().to_ascii_lowercase().as_str())
}

/// What the stream needs of a document: its kind and its hook annotation; and its value
/// when the plain-form reader read it.
#[derive(Debug, Clone, PartialEq)]
struct Head {
    kind: String,
    hook: Option<String>,
    value: Option<Value>,
    /// The line of the document where the value's root starts (0-based).
    at: u32,
}

/// The head of a document, and the lines of its leaves that stand alone on their lines
/// outside its identity (none when the parser read it).
fn head(content: &str, path: &str, target: &str) -> Result<(Head, Vec<RawLine>)> {
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
    Ok((
        Head {
            kind,
            hook,
            value: None,
            at: 0,
        },
        Vec::new(),
    ))
}

/// The head of a document that a plain-form reader reads (then the parser reads the same
/// value), when its `kind` and hook annotation read the same in YAML 1.1 and 1.2; its value,
/// and the line of the document where the value's root starts (0-based); and the lines of its
/// leaves that stand alone on their lines outside its identity.
fn simple_head(content: &str) -> Option<(Head, Vec<RawLine>)> {
    let text = format!("{content}\n");
    let budget = wo_core::yaml::Budget::default();
    // The reader of raw engine output (YAML 1.1, as the canonicaliser reads the stream), then
    // the reader of the emitter's form (what YAML 1.1 and 1.2 both read the same).
    let (value, at, free) = match reread::raw_value_with_leaves(&text, &budget) {
        Some((value, at, raw)) => {
            let free = remembered::free_lines(&value, &raw);
            (value, at, free)
        }
        None => (reread::document(&text, &budget)?, 0, Vec::new()),
    };
    let kind = match value.get("kind") {
        None => String::new(),
        Some(Value::String(kind)) if same_in_both(kind) => kind.clone(),
        Some(_) => return None,
    };
    let hook = match value
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get("helm.sh/hook"))
    {
        None => None,
        Some(Value::String(hook)) if same_in_both(hook) => Some(hook.clone()),
        Some(_) => return None,
    };
    Some((
        Head {
            kind,
            hook,
            value: Some(value),
            at,
        },
        free,
    ))
}

/// Whether a string read by YAML 1.1 is read as the same string by the YAML 1.2 core schema
/// the parser reads heads with (quoted or plain): a word that starts with a letter is no
/// number in either, and no null or boolean of 1.2 is a string in 1.1.
fn same_in_both(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && !matches!(
            s,
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE" | "null" | "Null" | "NULL"
        )
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
            out.ok().map(|o| o.manifests).as_deref(),
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
        .map(|o| o.manifests)
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

    /// What the canonicaliser makes of a stream: read from the values the assembler kept, and
    /// read from the text.
    fn read_both_ways(list: &[(&str, &str)]) -> (String, String, bool) {
        use crate::manifest::ManifestSet;

        let out = assemble("c", &files(list), "t", &HeadCache::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let show = |r: wo_core::Result<ManifestSet>| match r {
            Ok(set) => format!("{set:?}"),
            Err(e) => format!("error: {e}"),
        };
        let from_text = show(ManifestSet::parse(&out.manifests, "t/manifests.yaml"));
        let read = out.documents.is_some();
        let from_values = match out.documents {
            Some(documents) => show(ManifestSet::parse_read(
                &out.manifests,
                "t/manifests.yaml",
                documents,
            )),
            None => from_text.clone(),
        };
        (from_values, from_text, read)
    }

    #[test]
    fn the_values_kept_read_as_the_stream_reads() {
        let cm = |name: &str| {
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  x: on\n  mode: 0777\n")
        };
        let hook = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: pre-install\n";
        let test = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    helm.sh/hook: test\n";
        let svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: n\nspec:\n  ports:\n    - port: 80\n      name: http\n";
        let (a, b) = (cm("a"), cm("b"));
        let both = format!("{a}---\n{svc}");
        let twice = format!("{a}---\n{a}");
        let cases: Vec<(Vec<(&str, &str)>, bool)> = vec![
            // Several files and kinds, hooks after the manifests, a test hook.
            (
                vec![
                    ("templates/a.yaml", &a),
                    ("templates/b.yaml", &both),
                    ("templates/h.yaml", hook),
                    ("templates/t.yaml", test),
                    ("templates/z.yaml", &b),
                ],
                true,
            ),
            // Only hooks: the stream starts with a lone line break.
            (
                vec![("templates/h.yaml", hook), ("templates/t.yaml", test)],
                true,
            ),
            // The same resource twice: the same error, naming the same lines.
            (vec![("templates/a.yaml", &twice)], true),
            // Documents the values cannot stand for.
            (
                vec![(
                    "templates/a.yaml",
                    "apiVersion: v1\nkind: List\nitems: []\n",
                )],
                true,
            ),
            (
                vec![("templates/a.yaml", "apiVersion: v1\nkind: ConfigMap\n")],
                true,
            ),
            (
                vec![(
                    "templates/a.yaml",
                    "kind: ConfigMap\nmetadata:\n  name: 7\n",
                )],
                true,
            ),
            // A comment before the root: the resource is where the root is.
            (vec![("templates/a.yaml", "# about it\n\n# more\napiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n---\n# x\napiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n")], true),
            // Text the plain-form reader leaves to the parser: no values are kept.
            (
                vec![
                    ("templates/a.yaml", &a),
                    (
                        "templates/c.yaml",
                        "# a comment\nkind: Secret\nmetadata: {name: x}\napiVersion: v1\n",
                    ),
                ],
                false,
            ),
        ];
        for (list, read) in cases {
            let (from_values, from_text, was_read) = read_both_ways(&list);
            assert_eq!(from_values, from_text, "{list:?}");
            assert_eq!(was_read, read, "{list:?}");
        }
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
            same_stream(&heads, &[("templates/a.yaml", a), ("templates/b.yaml", b)]);
        }
        assert_eq!(
            heads
                .get("templates/a.yaml", 1, "kind: Secret")
                .map(|h| (h.kind, h.hook)),
            Some(("Secret".into(), None))
        );
        assert_eq!(heads.get("templates/a.yaml", 1, "kind: ConfigMap"), None);
        assert_eq!(
            heads
                .get("templates/b.yaml", 0, "kind: Job")
                .map(|h| h.hook),
            Some(None)
        );
    }

    /// Assembles `list` with `heads` and with no memory: the same stream or error, and the
    /// same values when both kept them (a head from memory keeps none).
    fn same_stream(heads: &HeadCache, list: &[(&str, &str)]) -> Option<Vec<ReadDocument>> {
        let list = files(list);
        let cached = assemble("c", &list, "t", heads).map_err(|e| e.to_string());
        let fresh = assemble("c", &list, "t", &HeadCache::default()).map_err(|e| e.to_string());
        match (cached, fresh) {
            (Ok(cached), Ok(fresh)) => {
                assert_eq!(cached.manifests, fresh.manifests);
                if let Some(documents) = &cached.documents {
                    assert_eq!(Some(documents), fresh.documents.as_ref());
                }
                cached.documents
            }
            (cached, fresh) => {
                assert_eq!(cached.map(|o| o.manifests), fresh.map(|o| o.manifests));
                None
            }
        }
    }

    #[test]
    fn a_document_that_differs_in_values_only_keeps_its_head() {
        let heads = HeadCache::default();
        let doc = |kind: &str, hook: &str, replicas: &str, name: &str| {
            format!("kind: {kind}\nmetadata:\n  name: {name}\n  annotations:\n    helm.sh/hook: {hook}\nspec:\n  replicas: {replicas}\n  labels:\n    - a\n")
        };
        // The first time read; then values changed keep the head; a changed kind, hook or
        // name, or a value that is no leaf, is read again.
        let first = doc("Job", "pre-install", "1", "j");
        assert!(same_stream(&heads, &[("templates/a.yaml", &first)]).is_some());
        for (text, kept) in [
            (doc("Job", "pre-install", "2", "j"), true),
            (doc("Job", "pre-install", "'three'", "j"), true),
            (doc("Deployment", "pre-install", "'three'", "j"), false),
            (doc("Deployment", "post-install", "'three'", "j"), false),
            (doc("Deployment", "post-install", "'three'", "k"), false),
            (doc("Deployment", "post-install", "[1, 2]", "k"), false),
            (doc("Deployment", "post-install", "4", "k"), false),
            (doc("Deployment", "post-install", "5", "k"), true),
            (doc("Deployment", "nonsense", "5", "k"), false),
        ] {
            let before = heads.with(|seen| seen["templates/a.yaml"][0].clone());
            // Kept from memory, or not known.
            let known = heads.get("templates/a.yaml", 0, text.trim());
            assert_eq!(known.is_some(), kept, "{text}");
            same_stream(&heads, &[("templates/a.yaml", &text)]);
            let after = heads.with(|seen| seen["templates/a.yaml"][0].clone());
            let kind = text.lines().next().unwrap_or_default();
            match (before, after) {
                (Some((_, was, free)), Some((now_text, now, now_free))) => {
                    assert_eq!(now_text, text.trim());
                    assert_eq!(now.kind, kind.trim_start_matches("kind: "));
                    // A head kept is the same head, with the same leaves.
                    if kept {
                        assert_eq!((was, free), (now, now_free), "{text}");
                    }
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        // Invalid YAML where a value was: the parser's error, and nothing remembered of it.
        let invalid = doc("Deployment", "nonsense", "{a: 1", "k");
        same_stream(&heads, &[("templates/a.yaml", &invalid)]);
        let kept = heads.with(|seen| seen["templates/a.yaml"][0].clone());
        assert_eq!(
            kept.map(|(text, _, _)| text),
            Some(doc("Deployment", "nonsense", "5", "k").trim().to_owned())
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
