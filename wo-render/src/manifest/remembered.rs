//! The canonical documents of the last output a render worker canonicalised.
//!
//! The targets of a fleet render the same chart with values that differ in a few places, so
//! most documents of a target's output (a Service, an autoscaler) are byte for byte the
//! documents at the same place in the output of the target before. [`canonical_stream`]
//! keeps, on each worker thread, the canonical form of the last output's documents by place,
//! and reads and emits only the documents that differ from them.

use std::cell::RefCell;
use std::rc::Rc;

use wo_core::yaml::{self, Budget};

use super::{reread, ResourceId};

/// What a raw document is in canonical form.
struct Canonical {
    id: ResourceId,
    /// A Helm test hook (left out of the stream).
    test_hook: bool,
    /// The canonical YAML of the resource (one document, no `---`); empty for a test hook.
    yaml: String,
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
            let (value, _) = reread::raw_value(&doc, &budget)?;
            // The line only shows in errors, and every error is the full path's.
            let resource = reread::identify(value, file, 1)?;
            let canonical = if resource.is_test_hook() {
                Canonical {
                    test_hook: true,
                    yaml: String::new(),
                    id: resource.id,
                }
            } else {
                Canonical {
                    test_hook: false,
                    yaml: yaml::to_string(&super::canonical::into_canonical(resource.value)),
                    id: resource.id,
                }
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
}
