//! The canonical documents of the last output a render worker canonicalised.
//!
//! The targets of a fleet render the same chart with values that differ in a few places, so
//! most documents of a target's output (a Service, an autoscaler) are byte for byte the
//! documents at the same place in the output of the target before. [`canonical_stream`]
//! keeps, on each worker thread, the canonical form of the last output's documents by place,
//! and reads and emits only the documents that differ from them.
//!
//! A document that differs from the last one at its place usually differs in a few values (a
//! replica count, an image tag, an annotation): the lines of both are the same but for a few
//! that each hold one scalar after the same key or dash. Such a document is not read again;
//! its changed values are read from their lines and written anew in place in the last
//! document's canonical form, where the emitter wrote the old ones ([`splice`]).

use std::cell::RefCell;
use std::rc::Rc;

use wo_core::yaml::{self, Budget};
use wo_core::Value;

use super::canonical::LEADING_KEYS;
use super::reread::{self, RawLine};
use super::ResourceId;

/// What a raw document is in canonical form.
struct Canonical {
    id: ResourceId,
    /// A Helm test hook (left out of the stream).
    test_hook: bool,
    /// The canonical YAML of the resource (one document, no `---`); empty for a test hook.
    yaml: String,
    /// The leaves of the raw document that stand alone on their lines and are no part of the
    /// resource's identity, by line, with where the emitter wrote each in [`Canonical::yaml`].
    leaves: Vec<Leaf>,
}

/// A leaf of a raw document that stands alone on its line, and where its canonical text is.
#[derive(Clone, Copy, Debug)]
struct Leaf {
    at: RawLine,
    /// The bytes of [`Canonical::yaml`] the emitter wrote for it.
    start: usize,
    end: usize,
}

thread_local! {
    /// The documents of the last output canonicalised on this thread, in stream order.
    static LAST: RefCell<Vec<(String, Rc<Canonical>)>> = const { RefCell::new(Vec::new()) };
}

/// The canonical bytes of raw engine output `text` (what
/// `ManifestSet::parse(text, file)?.without_test_hooks().into_yaml()` gives), reading only the
/// documents that differ from the last output's at the same place; `None` whenever that path
/// must decide (a document outside the plain block form, a duplicate resource, a text near a
/// budget limit), so that errors are always its errors.
pub(crate) fn canonical_stream(text: &str, file: &str) -> Option<String> {
    let budget = Budget::default();
    // The conditions under which the plain-form reader reads a stream at all.
    if text.len() > budget.max_bytes
        || text.len() >= budget.max_scalar_bytes
        || text.len() >= budget.max_nodes
        || text.contains('\r')
    {
        return None;
    }
    // Documents are separated by `---` lines; any other line starting with `---` (or `%`,
    // `...`) makes the document's reader give up, and so this function.
    let body = text.strip_prefix("---\n").unwrap_or(text);
    let pieces: Vec<&str> = body.split("\n---\n").collect();
    if pieces.len().saturating_add(2) >= budget.max_documents {
        return None;
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        let mut read: Vec<(String, Rc<Canonical>)> = Vec::with_capacity(pieces.len());
        let count = pieces.len();
        for (i, piece) in pieces.into_iter().enumerate() {
            // Each document with the line break its separator took (the last has its own).
            let took_break = i + 1 < count;
            if let Some((text, known)) = last.get_mut(i) {
                let end = if took_break { "\n" } else { "" };
                if text.strip_prefix(piece) == Some(end) {
                    // The same document: its text moves on, uncopied (`last` is replaced below).
                    read.push((std::mem::take(text), known.clone()));
                    continue;
                }
            }
            let doc = if took_break {
                format!("{piece}\n")
            } else {
                piece.to_owned()
            };
            let spliced = last
                .get(i)
                .and_then(|(text, known)| splice(text, &doc, known));
            let canonical = match spliced {
                Some(canonical) => canonical,
                None => read_document(&doc, file, &budget)?,
            };
            read.push((doc, Rc::new(canonical)));
        }
        let mut resources: Vec<Rc<Canonical>> = read.iter().map(|(_, c)| c.clone()).collect();
        *last = read;
        // The canonical order, stable as `ManifestSet::from_resources` sorts; a duplicate is
        // that path's error.
        resources.sort_by(|a, b| a.id.cmp_canonical(&b.id));
        if resources.windows(2).any(|w| w[0].id == w[1].id) {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        for c in resources.iter().filter(|c| !c.test_hook) {
            if !out.is_empty() {
                out.push_str("---\n");
            }
            out.push_str(&c.yaml);
        }
        Some(out)
    })
}

/// The canonical form of raw document `doc`, read whole.
fn read_document(doc: &str, file: &str, budget: &Budget) -> Option<Canonical> {
    let (value, _, raw) = reread::raw_value_with_leaves(doc, budget)?;
    let order = canonical_order(&value);
    let identity = identity_leaves(&value);
    // The line only shows in errors, and every error is the full path's.
    let resource = reread::identify(value, file, 1)?;
    if resource.is_test_hook() {
        return Some(Canonical {
            test_hook: true,
            yaml: String::new(),
            id: resource.id,
            leaves: Vec::new(),
        });
    }
    let (yaml, written) =
        yaml::to_string_with_leaves(&super::canonical::into_canonical(resource.value));
    // Each leaf written is the leaf read at its place in the order read.
    let counted = [written.len(), raw.len(), identity.len()];
    let mut leaves: Vec<Leaf> = if counted.iter().all(|n| *n == order.len()) {
        written
            .into_iter()
            .zip(order)
            .filter(|(_, read)| !identity[*read])
            .filter_map(|(bytes, read)| {
                raw[read].line.map(|at| Leaf {
                    at,
                    start: bytes.start,
                    end: bytes.end,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    leaves.sort_by_key(|l| l.at.no);
    Some(Canonical {
        test_hook: false,
        yaml,
        id: resource.id,
        leaves,
    })
}

/// For each leaf of raw document value `value` in the order its canonical form writes them
/// (keys sorted, [`LEADING_KEYS`] first at the top), its place in the order read (map order).
fn canonical_order(value: &Value) -> Vec<usize> {
    fn leaves(value: &Value) -> usize {
        match value {
            Value::Object(map) if !map.is_empty() => map.values().map(leaves).sum(),
            Value::Array(items) if !items.is_empty() => items.iter().map(leaves).sum(),
            _ => 1,
        }
    }
    fn walk(value: &Value, first: usize, top: bool, out: &mut Vec<usize>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                let mut at = first;
                let mut entries: Vec<(&String, &Value, usize)> = map
                    .iter()
                    .map(|(k, v)| {
                        let start = at;
                        at += leaves(v);
                        (k, v, start)
                    })
                    .collect();
                let rank = |k: &str| {
                    let leading = LEADING_KEYS.iter().position(|l| *l == k);
                    top.then_some(leading)
                        .flatten()
                        .unwrap_or(LEADING_KEYS.len())
                };
                entries.sort_by(|a, b| (rank(a.0), a.0).cmp(&(rank(b.0), b.0)));
                for (_, v, start) in entries {
                    walk(v, start, false, out);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                let mut at = first;
                for item in items {
                    walk(item, at, false, out);
                    at += leaves(item);
                }
            }
            _ => out.push(first),
        }
    }
    let mut out = Vec::new();
    walk(value, 0, true, &mut out);
    out
}

/// For each leaf of raw document value `value` in the order read (map order), whether it is a
/// part of the resource's identity as the stream reads it: a leaf of the top level (`kind`,
/// `apiVersion`) or of its `metadata` (name, namespace, the hook annotations).
fn identity_leaves(value: &Value) -> Vec<bool> {
    fn walk(value: &Value, depth: usize, identity: bool, out: &mut Vec<bool>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    walk(
                        v,
                        depth + 1,
                        identity || (depth == 0 && k == "metadata"),
                        out,
                    );
                }
            }
            Value::Array(items) if !items.is_empty() => {
                items.iter().for_each(|v| walk(v, depth + 1, identity, out));
            }
            _ => out.push(identity || depth <= 1),
        }
    }
    let mut out = Vec::new();
    walk(value, 0, false, &mut out);
    out
}

/// The leaves of raw document `new` that differ from those of `old`, a document read with
/// [`reread::raw_value_with_leaves`] whose leaves that stand alone on their lines and are no
/// part of its identity are `leaves` (by line, each where `at` says): the index in `leaves`
/// of each leaf changed and its new value. `None` when the two differ otherwise.
///
/// Every other line being the same, the reader reads `new` as it read `old` but for those
/// values: the same keys, structure, identity and hook annotations.
pub(crate) fn changed_leaves<T>(
    old: &str,
    new: &str,
    leaves: &[T],
    at: impl Fn(&T) -> RawLine,
) -> Option<Vec<(usize, Value)>> {
    let mut changes = Vec::new();
    let (mut was, mut is) = (old.split('\n'), new.split('\n'));
    let mut no = 0u32;
    loop {
        match (was.next(), is.next()) {
            (None, None) => return Some(changes),
            (Some(a), Some(b)) => {
                if a != b {
                    let i = leaves.binary_search_by_key(&no, |l| at(l).no).ok()?;
                    let line = at(&leaves[i]);
                    let column = line.column as usize;
                    if a.get(..column) != b.get(..column) {
                        return None;
                    }
                    changes.push((i, reread::leaf_value(b, line)?));
                }
                no = no.checked_add(1)?;
            }
            _ => return None,
        }
    }
}

/// The lines of raw document value `value`'s leaves (`raw`, as read) that stand alone on
/// their lines and are no part of its identity ([`identity_leaves`]), in line order.
pub(crate) fn free_lines(value: &Value, raw: &[reread::RawLeaf]) -> Vec<RawLine> {
    let identity = identity_leaves(value);
    if identity.len() != raw.len() {
        return Vec::new();
    }
    raw.iter()
        .zip(identity)
        .filter(|(_, identity)| !identity)
        .filter_map(|(leaf, _)| leaf.line)
        .collect()
}

/// The canonical form of raw document `doc` from that of `old`, the last document at its
/// place (`known`), when the two differ only in lines that each hold a leaf of `known` alone,
/// after the same key or dash: the new leaves' text written in place of the old. `None` when
/// they differ otherwise, or a new value is not a leaf.
///
/// Every other line being the same, the reader reads `doc` as it read `old`, but for those
/// values; the canonical form is the same, but for the bytes the emitter writes for them,
/// which depend on nothing but the value.
fn splice(old: &str, doc: &str, known: &Canonical) -> Option<Canonical> {
    if known.leaves.is_empty() {
        return None;
    }
    // The leaves changed, by index in `known.leaves`, and their new canonical text.
    let mut changes: Vec<(usize, String)> = changed_leaves(old, doc, &known.leaves, |l| l.at)?
        .into_iter()
        .map(|(i, value)| {
            let mut text = yaml::to_string(&value);
            text.pop();
            (i, text)
        })
        .collect();
    changes.sort_by_key(|(i, _)| known.leaves[*i].start);
    let mut yaml = String::with_capacity(known.yaml.len() + 64);
    let mut from = 0;
    for (i, text) in &changes {
        let leaf = &known.leaves[*i];
        yaml.push_str(&known.yaml[from..leaf.start]);
        yaml.push_str(text);
        from = leaf.end;
    }
    yaml.push_str(&known.yaml[from..]);
    // Every leaf moves by what the changes before it added or took away.
    let leaves = known
        .leaves
        .iter()
        .enumerate()
        .map(|(j, leaf)| {
            let mut start = leaf.start;
            let mut end = leaf.end;
            for (i, text) in &changes {
                let changed = &known.leaves[*i];
                if *i == j {
                    end = start + text.len();
                } else if changed.start < leaf.start {
                    start = start + text.len() - (changed.end - changed.start);
                    end = end + text.len() - (changed.end - changed.start);
                }
            }
            Leaf {
                at: leaf.at,
                start,
                end,
            }
        })
        .collect();
    Some(Canonical {
        id: known.id.clone(),
        test_hook: known.test_hook,
        yaml,
        leaves,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ManifestSet;

    /// What the full path gives: the canonical bytes, or its error.
    fn full(text: &str, file: &str) -> Result<String, String> {
        ManifestSet::parse(text, file)
            .map(|set| set.without_test_hooks().into_yaml())
            .map_err(|e| e.to_string())
    }

    fn forget() {
        LAST.with(|m| m.borrow_mut().clear());
    }

    #[test]
    fn documents_kept_from_the_last_output_give_the_full_paths_bytes() {
        forget();
        let svc = "---\n# Source: c/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels:\n    b: '1'\n    a: on\nspec:\n  ports:\n  - port: 80\n";
        let test = |n: u32| {
            format!("---\n# Source: c/templates/t.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: t{n}\n  annotations:\n    \"helm.sh/hook\": test\n")
        };
        let cm = |n: u32| {
            format!("---\n# Source: c/templates/cm.yaml\n# a comment\n\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  num: \"{n}\"\n  mode: 0777\n")
        };
        for n in 0..4 {
            // The Service is kept from the last target; the ConfigMap and the test differ.
            let text = if n == 2 {
                // The Service moves: read again.
                format!("{svc}{}{}", cm(n), test(n))
            } else {
                format!("{}{svc}{}", cm(n), test(n))
            };
            let got = canonical_stream(&text, "t/manifests.yaml");
            assert_eq!(got, full(&text, "t/manifests.yaml").ok(), "{text}");
            assert!(
                got.is_some_and(|g| g.contains(&format!("num: '{n}'")) && !g.contains("kind: Pod"))
            );
        }
    }

    #[test]
    fn the_full_path_decides_duplicates_and_unusual_text() {
        forget();
        let cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n";
        let twice = format!("{cm}{cm}");
        // Kept from the last output, then met twice in one stream: the full path's error.
        assert!(canonical_stream(cm, "t").is_some());
        assert_eq!(canonical_stream(&twice, "t"), None);
        assert!(full(&twice, "t").is_err());
        for text in [
            // A flow map with content, a List, an alias, a directive, a CR line break, a
            // document without identity, an empty document, a separator with a comment.
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
            "apiVersion: v1\nkind: List\nitems: []\n",
            "a: &x 1\nb: *x\n",
            "%YAML 1.1\n---\na: 1\n",
            "apiVersion: v1\r\nkind: ConfigMap\r\n",
            "apiVersion: v1\nkind: ConfigMap\n",
            "---\n# nothing\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n--- # next\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n",
        ] {
            assert_eq!(canonical_stream(text, "t"), None, "{text}");
        }
    }

    #[test]
    fn helm_output_of_the_corpus_gives_the_full_paths_bytes() {
        let Some(outputs) = crate::manifest::corpus_outputs() else {
            return;
        };
        forget();
        let (files, mut fast) = (outputs.len(), 0);
        for (path, text) in &outputs {
            // Twice: read, then kept.
            for _ in 0..2 {
                if let Some(got) = canonical_stream(text, "t/manifests.yaml") {
                    fast += 1;
                    assert_eq!(
                        Ok(got),
                        full(text, "t/manifests.yaml"),
                        "{}",
                        path.display()
                    );
                }
            }
        }
        println!(
            "{fast} of {} canonicalisations from kept or raw-read documents",
            files * 2
        );
        if files > 0 {
            assert!(fast > 0);
        }
    }

    const DEPLOYMENT: &str = "# Source: c/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  labels:\n    app: web\n  annotations:\n    note: plain\nspec:\n  replicas: 3\n  template:\n    metadata:\n      annotations:\n        z/site: s001\n        a/region: r01\n    spec:\n      containers:\n        - name: web\n          image: \"nginx:1.27\"\n          args:\n            - --port=80\n            - '--debug'\n          env:\n          - name: MESSAGE\n            value: hello   # a comment\n          ports: [http, '9090']\n          command: |\n            run\n";

    /// The canonical YAML the full path gives a single document.
    fn full_doc(doc: &str) -> Option<String> {
        full(doc, "t/manifests.yaml").ok()
    }

    /// `doc` with line `from` (whole) replaced by `to`.
    fn with_line(doc: &str, from: &str, to: &str) -> String {
        let lines: Vec<&str> = doc.split('\n').collect();
        assert!(lines.contains(&from), "{from}");
        lines
            .iter()
            .map(|l| if *l == from { to } else { l })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_document_that_differs_in_values_only_is_written_anew_in_place() {
        let known = read_document(DEPLOYMENT, "t", &Budget::default()).expect("reads");
        assert_eq!(Some(known.yaml.clone()), full_doc(DEPLOYMENT));
        // Changed values, each alone and all together, on top of each other: spliced, and the
        // full path's bytes.
        let values = [
            "30",
            "'3'",
            "\"3\"",
            "three",
            "yes",
            "~",
            "null",
            "[]",
            "{}",
            "3.5",
            "0x1F",
            "012",
            "1e3",
            "'a: b'",
            "\"a\\tb\"",
            "x   # comment",
            "2020-01-01",
            "é",
            "'it''s'",
            "-x",
            "0o17",
            "1_000",
            "'#'",
        ];
        let lines = [
            ("  replicas: 3", "  replicas: "),
            ("        z/site: s001", "        z/site: "),
            ("            - --port=80", "            - "),
            (
                "            value: hello   # a comment",
                "            value: ",
            ),
            ("          image: \"nginx:1.27\"", "          image: "),
        ];
        let (mut old, mut known) = (DEPLOYMENT.to_owned(), known);
        for (n, value) in values.iter().enumerate() {
            // One line, then the next one too: the leaves after a change move.
            for (line, prefix) in [lines[n % lines.len()], lines[(n + 2) % lines.len()]] {
                let current = old
                    .split('\n')
                    .find(|l| l.starts_with(prefix) || *l == line)
                    .expect("the line is there")
                    .to_owned();
                let doc = with_line(&old, &current, &format!("{prefix}{value}"));
                let spliced = splice(&old, &doc, &known)
                    .unwrap_or_else(|| panic!("spliced: {prefix}{value}"));
                assert_eq!(Some(spliced.yaml.clone()), full_doc(&doc), "{doc}");
                (old, known) = (doc, spliced);
            }
        }
        // Kept in the stream too.
        forget();
        assert_eq!(canonical_stream(DEPLOYMENT, "t"), full_doc(DEPLOYMENT));
        assert_eq!(canonical_stream(&old, "t"), full_doc(&old));
    }

    #[test]
    fn a_document_that_differs_otherwise_is_read_again() {
        let known = read_document(DEPLOYMENT, "t", &Budget::default()).expect("reads");
        for (from, to) in [
            // The identity, and the top level.
            ("  name: web", "  name: api"),
            ("  namespace: shop", "  namespace: shop2"),
            ("kind: Deployment", "kind: StatefulSet"),
            ("    note: plain", "    note: other"),
            // Not a leaf any more, or not alone on its line.
            ("  replicas: 3", "  replicas: [1, 2]"),
            ("  replicas: 3", "  replicas: |"),
            ("  replicas: 3", "  replicas:"),
            ("  replicas: 3", "  replicas:   4"),
            ("  replicas: 3", "  replicas: # none"),
            ("  replicas: 3", "  replicas: a: b"),
            ("  replicas: 3", "  replicas: \u{a0}4"),
            ("  replicas: 3", "  replicas: \"open"),
            ("  replicas: 3", "  replicas: .inf"),
            ("            - --port=80", "            - a: b"),
            ("            - --port=80", "            - - x"),
            ("            - --port=80", "            -   x"),
            ("          ports: [http, '9090']", "          ports: [http]"),
            ("            run", "            walk"),
            // Another key, another structure.
            ("  replicas: 3", "  replicaz: 3"),
            ("  replicas: 3", "  replicas: 3\n  paused: true"),
            ("        - name: web", "        - name: web2"),
        ] {
            let doc = with_line(DEPLOYMENT, from, to);
            match splice(DEPLOYMENT, &doc, &known) {
                // A sequence item's map key is a leaf of its own: the full path's bytes.
                Some(spliced) if from == "        - name: web" => {
                    assert_eq!(Some(spliced.yaml), full_doc(&doc));
                }
                Some(_) => panic!("spliced: {to}"),
                None => {}
            }
            // Whatever path it takes, the stream gives the full path's bytes (or leaves it to
            // the full path).
            forget();
            assert_eq!(canonical_stream(DEPLOYMENT, "t"), full_doc(DEPLOYMENT));
            if let Some(got) = canonical_stream(&doc, "t") {
                assert_eq!(Some(got), full_doc(&doc), "{doc}");
            }
        }
    }

    /// Every value of every chart of the corpus changed to words, numbers and indicators, line by
    /// line: what a splice gives is the full path's bytes, and most such changes are spliced.
    #[test]
    fn values_changed_in_the_corpus_are_spliced_as_the_full_path_reads_them() {
        let Some(outputs) = crate::manifest::corpus_outputs() else {
            return;
        };
        let values = [
            "x",
            "'1'",
            "\"2\"",
            "3",
            "yes",
            "on",
            "null",
            "~",
            "[]",
            "{}",
            "1.5",
            "0o17",
            "017",
            ".inf",
            "-",
            "'a: b'",
            "a # c",
            "[a, b]",
            "|",
            ">",
            "&a x",
            "*a",
            "!!str 5",
            "@x",
            "2001-12-14",
            "- x",
            "k: v",
            "é",
            "'it''s'",
            "\"\\t\"",
            "{a: 1}",
            "%x",
            "a:b",
        ];
        let budget = Budget::default();
        let (mut spliced, mut tried) = (0usize, 0usize);
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for (path, text) in &outputs {
            let body = text.strip_prefix("---\n").unwrap_or(text);
            let pieces: Vec<&str> = body.split("\n---\n").collect();
            let count = pieces.len();
            for (i, piece) in pieces.into_iter().enumerate() {
                let doc = if i + 1 < count {
                    format!("{piece}\n")
                } else {
                    piece.to_owned()
                };
                let Some(known) = read_document(&doc, "t", &budget) else {
                    continue;
                };
                let lines: Vec<&str> = doc.split('\n').collect();
                for (n, line) in lines.iter().enumerate() {
                    let Some(at) = line.find(": ").or_else(|| line.find("- ")) else {
                        continue;
                    };
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let value = values[(state % values.len() as u64) as usize];
                    let mut changed = lines.clone();
                    let new = format!("{}{value}", &line[..at + 2]);
                    changed[n] = &new;
                    let changed = changed.join("\n");
                    tried += 1;
                    if let Some(got) = splice(&doc, &changed, &known) {
                        spliced += 1;
                        assert_eq!(
                            Some(got.yaml),
                            full_doc(&changed),
                            "{}: {changed}",
                            path.display()
                        );
                    }
                }
            }
        }
        println!("{spliced} of {tried} changed lines spliced");
        if tried > 0 {
            assert!(spliced * 4 > tried, "{spliced} of {tried}");
        }
    }
}
