//! Reading a manifest stream into a [`ManifestSet`], and the checks every set passes.

use wo_core::ports::ReadDocument;
use wo_core::yaml::{self, Budget, Node, NodeKind, Schema};
use wo_core::{Diagnostic, Diagnostics, Error, Location, Result};

use super::{ManifestSet, Resource};

impl ManifestSet {
    /// Parses a multi-document stream, as `helm template` prints it, with the default
    /// [`Budget`].
    ///
    /// The stream is read as YAML 1.1 ([`Schema::Yaml11`]), the way Helm and Kubernetes read
    /// it: a plain `on` is the boolean `true`, `0777` the integer 511, `1e3` the float 1000,
    /// while a quoted `"on"` stays a string. So the canonical form keeps the meaning of what
    /// `helm install` would send.
    ///
    /// Documents that are empty, `null` or only comments are skipped; a `kind: List` document
    /// is replaced by its `items`. Every other document must be a map with string
    /// `apiVersion`, `kind` and `metadata.name`; `metadata.namespace` is optional (an empty one
    /// counts as none). The result is in canonical order.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming `file`, the line of the document (or of the offending value)
    /// and the key, with every problem of the stream at once: YAML syntax, a document that is
    /// not a map, a missing or non-string identity field, two resources with the same identity
    /// (naming both lines).
    pub fn parse(text: &str, file: &str) -> Result<ManifestSet> {
        Self::parse_with(text, file, &Budget::default())
    }

    /// [`ManifestSet::parse`] under an explicit [`Budget`].
    ///
    /// # Errors
    ///
    /// As [`ManifestSet::parse`], and when the input exceeds the budget.
    pub fn parse_with(text: &str, file: &str, budget: &Budget) -> Result<ManifestSet> {
        // wo's own canonical output (most of what it reads) is read back without the parser.
        if let Some(resources) = super::reread::read(text, file, budget) {
            return Self::from_resources(resources);
        }
        // Raw engine output in the plain block form engines print, read as the parser reads it.
        // Documents outside that form are read by the full parser, one by one.
        let slow = |doc: &str| Self::resources_full(doc, file, budget);
        if let Some(resources) = super::reread::read_raw(text, file, budget, &slow) {
            return Self::from_resources(resources);
        }
        Self::parse_full(text, file, budget)
    }

    /// [`ManifestSet::parse`] of `text` (with the default [`Budget`]) from the values an
    /// engine already read of its documents ([`ReadDocument`]): the same set, or the same
    /// errors, without reading the text again. The text is read as [`ManifestSet::parse`]
    /// reads it when the values cannot stand for it: a document that is no resource map (or a
    /// `List`), or a text near a budget limit, where the parser words what is wrong.
    ///
    /// # Errors
    ///
    /// As [`ManifestSet::parse`].
    pub fn parse_read(text: &str, file: &str, documents: Vec<ReadDocument>) -> Result<ManifestSet> {
        let budget = Budget::default();
        // The conditions under which the plain-form readers read at all.
        let near_a_limit = text.len() > budget.max_bytes
            || text.len() >= budget.max_scalar_bytes
            || text.len() >= budget.max_nodes
            || documents.len().saturating_add(2) >= budget.max_documents
            || text.contains('\r');
        if near_a_limit {
            return Self::parse_with(text, file, &budget);
        }
        let mut resources = Vec::with_capacity(documents.len());
        for d in documents {
            match super::reread::identify(d.value, file, d.line) {
                Some(resource) => resources.push(resource),
                None => return Self::parse_with(text, file, &budget),
            }
        }
        Self::from_resources(resources)
    }

    /// The resources of `text` as the full parser reads them (unsorted), when it reads them
    /// without any problem; `None` otherwise.
    pub(super) fn resources_full(text: &str, file: &str, budget: &Budget) -> Option<Vec<Resource>> {
        let reader = Self::read_full(text, file, budget).ok()?;
        reader.problems.is_empty().then_some(reader.resources)
    }

    /// Every document of `text` read by the full YAML parser, with the problems found.
    fn read_full<'a>(text: &str, file: &'a str, budget: &Budget) -> Result<Reader<'a>> {
        let docs = yaml::parse_stream_as(text, file, budget, Schema::Yaml11)?;
        let mut reader = Reader {
            file,
            resources: Vec::new(),
            problems: Vec::new(),
        };
        for doc in &docs {
            reader.document(doc, "");
        }
        Ok(reader)
    }

    /// [`ManifestSet::parse_with`] by the full YAML parser, whatever the text.
    pub(super) fn parse_full(text: &str, file: &str, budget: &Budget) -> Result<ManifestSet> {
        let Reader {
            resources,
            problems,
            ..
        } = Self::read_full(text, file, budget)?;
        match Self::from_resources(resources) {
            Ok(set) if problems.is_empty() => Ok(set),
            Ok(_) => Err(Error::Invalid(Diagnostics(problems).sorted())),
            Err(Error::Invalid(dups)) => Err(Error::Invalid(Diagnostics::merged([
                Diagnostics(problems),
                dups,
            ]))),
            Err(other) => Err(other),
        }
    }

    /// A set of resources in canonical order.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when two resources share an identity, one diagnostic per duplicate at
    /// its source, naming where the first one is.
    pub fn from_resources(mut resources: Vec<Resource>) -> Result<ManifestSet> {
        // Stable, so that among duplicates the first read stays first.
        resources.sort_by(|a, b| a.id.cmp_canonical(&b.id));
        let mut problems = Vec::new();
        let mut first = 0;
        for i in 1..resources.len() {
            if resources[i].id != resources[first].id {
                first = i;
                continue;
            }
            let (a, b) = (&resources[first].source, &resources[i].source);
            let there = match a.line {
                Some(line) if a.file == b.file => format!("line {line}"),
                _ => a.to_string(),
            };
            problems.push(Diagnostic::new(
                b.clone(),
                format!(
                    "duplicate resource {}: it is also defined at {there}",
                    resources[i].id.qualified()
                ),
            ));
        }
        if problems.is_empty() {
            Ok(ManifestSet { resources })
        } else {
            Err(Error::Invalid(Diagnostics(problems).sorted()))
        }
    }
}

/// Walks the documents of one stream, keeping every resource and every problem.
struct Reader<'a> {
    file: &'a str,
    resources: Vec<Resource>,
    problems: Vec<Diagnostic>,
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else if key.is_empty() {
        prefix.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

impl Reader<'_> {
    fn problem(&mut self, node: &Node, key: &str, message: String) {
        self.problems.push(Diagnostic::new(
            Location::file(self.file)
                .with_key(key)
                .at(node.line, node.column),
            message,
        ));
    }

    /// Reads one document (or one item of a `List`, whose key path is `prefix`).
    fn document(&mut self, doc: &Node, prefix: &str) {
        match &doc.kind {
            NodeKind::Null => return,
            NodeKind::Map(_) => {}
            other => {
                let what = if prefix.is_empty() {
                    "a manifest document"
                } else {
                    "an item of a List"
                };
                let message = format!("{what} must be a map, found {}", other.describe());
                self.problem(doc, prefix, message);
                return;
            }
        }
        let kind = self.string(doc, prefix, "kind");
        if kind.as_deref() == Some("List") {
            self.list(doc, prefix);
            return;
        }
        let api_version = self.string(doc, prefix, "apiVersion");
        let name = self.string(doc, prefix, "metadata.name");
        let namespace = self.namespace(doc, prefix);
        let value = match doc.to_value(self.file) {
            Ok(v) => Some(v),
            Err(Error::Invalid(d)) => {
                self.problems.extend(d.0.into_iter().map(|mut d| {
                    d.location.key_path = join(prefix, &d.location.key_path);
                    d
                }));
                None
            }
            Err(other) => {
                self.problem(doc, prefix, other.to_string());
                None
            }
        };
        if let (Some(api_version), Some(kind), Some(name), Ok(namespace), Some(value)) =
            (api_version, kind, name, namespace, value)
        {
            self.resources.push(Resource::read(
                api_version,
                kind,
                namespace,
                name,
                value,
                Location::file(self.file)
                    .with_key(prefix)
                    .at(doc.line, doc.column),
            ));
        }
    }

    /// Expands the `items` of a `kind: List` document.
    fn list(&mut self, doc: &Node, prefix: &str) {
        let Some(items) = doc.get("items") else {
            return;
        };
        match &items.kind {
            NodeKind::Null => {}
            NodeKind::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.document(item, &join(prefix, &format!("items.{i}")));
                }
            }
            other => {
                let message = format!(
                    "`items` of a List must be a sequence, found {}",
                    other.describe()
                );
                self.problem(items, &join(prefix, "items"), message);
            }
        }
    }

    /// A required non-empty string at a dotted path; a problem (and `None`) otherwise.
    fn string(&mut self, doc: &Node, prefix: &str, path: &str) -> Option<String> {
        let key = join(prefix, path);
        match doc.find(path) {
            None => {
                self.problem(
                    doc,
                    &key,
                    format!("missing `{path}`: every resource needs a string `{path}`"),
                );
                None
            }
            Some(Node {
                kind: NodeKind::Str(s),
                ..
            }) if !s.is_empty() => Some(s.clone()),
            Some(node) => {
                let found = match &node.kind {
                    NodeKind::Str(_) => "an empty string",
                    other => other.describe(),
                };
                self.problem(
                    node,
                    &key,
                    format!("`{path}` must be a non-empty string, found {found}"),
                );
                None
            }
        }
    }

    /// The optional `metadata.namespace`: absent, `null` and `""` are none.
    fn namespace(&mut self, doc: &Node, prefix: &str) -> std::result::Result<Option<String>, ()> {
        match doc.find("metadata.namespace") {
            None => Ok(None),
            Some(node) => match &node.kind {
                NodeKind::Null => Ok(None),
                NodeKind::Str(s) if s.is_empty() => Ok(None),
                NodeKind::Str(s) => Ok(Some(s.clone())),
                other => {
                    let message = format!(
                        "`metadata.namespace` must be a string, found {}",
                        other.describe()
                    );
                    self.problem(node, &join(prefix, "metadata.namespace"), message);
                    Err(())
                }
            },
        }
    }
}
