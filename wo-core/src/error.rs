//! The one error type of wo-core, with variants by meaning.
//!
//! Bad input (anything a user can fix by editing a file) is [`Error::Invalid`] and carries
//! every [`Diagnostic`] found, each naming the file, the key path and, where known, the line.
//! Backends map their private errors into the other variants; [`Error::is_retryable`] tells
//! whether trying again can help.

use std::borrow::Cow;
use std::fmt;

/// Most diagnostics one [`Error::Invalid`] lists: [`Diagnostics::sorted`] keeps the first ones
/// (in report order) and ends the list with one saying how many more were found.
pub const MAX_DIAGNOSTICS: usize = 100;

/// Whether a character is invisible or changes how the text around it is shown: control
/// characters (C0, DEL, C1), format characters such as the zero-width space U+200B and the
/// bidirectional overrides U+202A–U+202E and U+2066–U+2069, line and paragraph separators,
/// and the other default-ignorable code points (fillers, variation selectors, tags).
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{0600}'..='\u{0605}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Text from the input made safe to show in a message: every [invisible](is_invisible)
/// character is written as an escape (`\n`, `\t`, `\u{200b}`, `\u{202e}`), so a message can
/// neither hide characters, reorder what is shown (bidirectional overrides), nor span lines.
/// Everything else is kept as it is. Every [`Diagnostic`] and [`Location`] passes its text
/// through it, as do the messages of the other [`Error`] variants wo-core builds.
pub fn escape_invisible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_invisible) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_invisible(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn escaped(text: String) -> String {
    match escape_invisible(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(s) => s,
    }
}

/// Where in the input a problem sits: file, key path, line and column (1-based) where known.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The file as the user named it (relative to the directory given), or `<input>`.
    pub file: String,
    /// Dotted key path inside the document (`rules.configs.Port.maxValue`), empty for the root.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key_path: String,
    /// 1-based line, when the position is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column, when the position is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Location {
    /// A location naming only a file (invisible characters escaped, see
    /// [`escape_invisible`]).
    pub fn file(file: impl Into<String>) -> Self {
        Self {
            file: escaped(file.into()),
            ..Self::default()
        }
    }

    /// The same location with a key path (invisible characters escaped).
    pub fn with_key(mut self, key_path: impl Into<String>) -> Self {
        self.key_path = escaped(key_path.into());
        self
    }

    /// The same location with a line and column.
    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.file.is_empty() {
            "<input>"
        } else {
            &self.file
        })?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if !self.key_path.is_empty() {
            write!(f, " ({})", self.key_path)?;
        }
        Ok(())
    }
}

/// One problem with the input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Where it is.
    #[serde(flatten)]
    pub location: Location,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, when there is something useful to say ("did you mean `name`?").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic at `location`; invisible characters the message quotes from the input
    /// are escaped (see [`escape_invisible`]).
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        Self {
            location,
            message: escaped(message.into()),
            hint: None,
        }
    }

    /// The same diagnostic with a hint (invisible characters escaped).
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(escaped(hint.into()));
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// Every diagnostic of one failed check, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Sorts by file, line, key path and message so that reports are deterministic, drops
    /// repeats, and keeps at most [`MAX_DIAGNOSTICS`]: past that, the list ends with one
    /// diagnostic saying how many more were found (see [`Diagnostics::omitted`]).
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| {
            (
                &a.location.file,
                a.location.line,
                &a.location.key_path,
                &a.message,
            )
                .cmp(&(
                    &b.location.file,
                    b.location.line,
                    &b.location.key_path,
                    &b.message,
                ))
        });
        self.0.dedup();
        self.capped(MAX_DIAGNOSTICS)
    }

    /// Keeps the first `max` diagnostics; when there are more, the rest are replaced by one
    /// diagnostic, at the file of the first one left out, saying how many were left out. A
    /// list capped already is not capped again.
    pub fn capped(mut self, max: usize) -> Self {
        let omitted = self.omitted();
        let listed = self.0.len() - usize::from(omitted > 0);
        if listed <= max {
            return self;
        }
        let file = self.0[max].location.file.clone();
        self.0.truncate(max);
        self.push_summary(file, listed - max + omitted);
        self
    }

    /// The same list counting `more` problems that were found but not kept.
    pub fn and_omitted(mut self, more: usize) -> Self {
        if more == 0 {
            return self;
        }
        let omitted = self.omitted();
        let summary = if omitted > 0 { self.0.pop() } else { None };
        let file = summary
            .as_ref()
            .or(self.0.last())
            .map(|d| d.location.file.clone())
            .unwrap_or_default();
        self.push_summary(file, omitted + more);
        self
    }

    /// Several lists as one, [sorted](Diagnostics::sorted) and capped; the counts of lists
    /// that were capped already are added up rather than listed.
    pub fn merged(lists: impl IntoIterator<Item = Diagnostics>) -> Self {
        let mut all = Vec::new();
        let mut more = 0;
        for mut list in lists {
            let omitted = list.omitted();
            if omitted > 0 {
                list.0.pop();
                more += omitted;
            }
            all.extend(list.0);
        }
        Diagnostics(all).sorted().and_omitted(more)
    }

    fn push_summary(&mut self, file: String, more: usize) {
        self.0.push(Diagnostic::new(
            Location::file(file),
            format!("{OMITTED_PREFIX} {more} more {}", plural(more)),
        ));
    }

    /// How many diagnostics [`capped`](Diagnostics::capped) left out (0 when the list is
    /// complete). The list then has one entry more than it shows problems: the last one says
    /// how many were left out.
    pub fn omitted(&self) -> usize {
        self.0
            .last()
            .and_then(|d| d.message.strip_prefix(OMITTED_PREFIX))
            .and_then(|rest| rest.trim_start().split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// How many problems were found: the listed ones plus those left out.
    pub fn total(&self) -> usize {
        let omitted = self.omitted();
        self.0.len() - usize::from(omitted > 0) + omitted
    }
}

/// How the last diagnostic of a [capped](Diagnostics::capped) list starts.
const OMITTED_PREFIX: &str = "… and";

fn plural(n: usize) -> &'static str {
    if n == 1 {
        "problem (not listed)"
    } else {
        "problems (not listed)"
    }
}

impl fmt::Display for Diagnostics {
    /// One diagnostic per line; past [`MAX_DIAGNOSTICS`], one line saying how many more.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i == MAX_DIAGNOSTICS && self.0.len() > MAX_DIAGNOSTICS + 1 {
                let more = self.total() - MAX_DIAGNOSTICS;
                return write!(f, "\n{OMITTED_PREFIX} {more} more {}", plural(more));
            }
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// A boxed cause kept by an [`Error`] (the `reqwest`, `git2` or `serde_json` error behind it).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where a failure happened, as fields: which backend, what it was doing, and the repository,
/// ref, path and target involved. Every field is optional; backends fill what they know.
///
/// It is displayed after the message, as `(repository acme/config, ref dev, path fleet.yaml)`,
/// and serialised as an object for `--output json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Context {
    /// The backend: `git`, `github`, `azure`, `helm`, `renderer`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// What was being done: `PATCH /repos/o/r/git/refs/heads/dev`, `fetch`, `install`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The repository (`acme/config`, a path or URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// A ref or commit (`refs/heads/dev`, `3f2c1ab`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// A file path inside a repository, or an ARM resource id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The deployment target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl Context {
    /// A context naming only a backend.
    pub fn backend(backend: impl Into<String>) -> Self {
        Self {
            backend: Some(backend.into()),
            ..Self::default()
        }
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// The fields other than the backend, as `repository r, ref x, path p` (empty when none).
    fn place(&self) -> String {
        [
            ("repository", &self.repository),
            ("ref", &self.reference),
            ("path", &self.path),
            ("target", &self.target),
            ("during", &self.operation),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| format!("{k} {v}")))
        .collect::<Vec<_>>()
        .join(", ")
    }

    /// Fills the fields `other` sets and `self` does not.
    fn fill(&mut self, other: Context) {
        let Context {
            backend,
            operation,
            repository,
            reference,
            path,
            target,
        } = other;
        self.backend = self.backend.take().or(backend);
        self.operation = self.operation.take().or(operation);
        self.repository = self.repository.take().or(repository);
        self.reference = self.reference.take().or(reference);
        self.path = self.path.take().or(path);
        self.target = self.target.take().or(target);
    }
}

/// What kind of failure an [`Error`] is, for programs (`--output json` prints it as `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Invalid`].
    Invalid,
    /// [`Error::NotFound`].
    NotFound,
    /// [`Error::AlreadyExists`].
    AlreadyExists,
    /// [`Error::Precondition`].
    Precondition,
    /// [`Error::Unsupported`].
    Unsupported,
    /// [`Error::Unauthenticated`].
    Unauthenticated,
    /// [`Error::PermissionDenied`].
    PermissionDenied,
    /// [`Error::Rejected`].
    Rejected,
    /// [`Error::Backend`].
    Backend,
    /// [`Error::Io`].
    Io,
}

impl ErrorKind {
    /// The camelCase name (`notFound`, `permissionDenied`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::NotFound => "notFound",
            ErrorKind::AlreadyExists => "alreadyExists",
            ErrorKind::Precondition => "precondition",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permissionDenied",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Backend => "backend",
            ErrorKind::Io => "io",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors of wo-core and of the ports it defines.
///
/// Variants are by meaning; each backend maps its private errors into them (the tables in
/// `wo-git`, `wo-github` and `wo-azure` say how) and keeps the original as the
/// [`source`](std::error::Error::source). Where it happened is a [`Context`] of fields, not
/// text. What a caller can do about one:
///
/// | variant | retry the same call ([`is_retryable`](Error::is_retryable)) | re-read, then retry ([`needs_refresh`](Error::needs_refresh)) | the CLI's exit code |
/// |---|---|---|---|
/// | `Invalid` (bad input; nothing was written) | no | no | 2 |
/// | `NotFound`, `AlreadyExists`, `Unsupported` | no | no | 1 |
/// | `Precondition` (a compare-and-swap lost) | no | **yes** | 1 |
/// | `Unauthenticated`, `PermissionDenied` | no | no | 1 |
/// | `Rejected` (the service refused a request) | no | no | 1 |
/// | `Backend` | when `retryable` (timeouts, 429, 5xx) | no | 1 |
/// | `Io` | interrupted, timed out | no | 1 |
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is invalid; nothing was written. Carries every problem found.
    #[error("invalid input:\n{0}")]
    Invalid(Diagnostics),
    /// A thing that was asked for does not exist (a commit, a file, an environment).
    #[error("not found: {what}{}", suffix(context))]
    NotFound {
        /// What was looked for (`env branch dev of the config repo`).
        what: String,
        /// Where.
        context: Box<Context>,
    },
    /// A thing that was to be created exists already.
    #[error("already exists: {what}{}", suffix(context))]
    AlreadyExists {
        /// What exists.
        what: String,
        /// Where.
        context: Box<Context>,
    },
    /// A compare-and-swap lost: the state moved underneath. Retrying the same call cannot
    /// help; reading the state again and deciding anew can.
    #[error("precondition failed: {what}{}", suffix(context))]
    Precondition {
        /// What moved.
        what: String,
        /// Where.
        context: Box<Context>,
    },
    /// Something the offline engine or a backend cannot do.
    #[error("not supported: {what}{}", suffix(context))]
    Unsupported {
        /// What was asked.
        what: String,
        /// Where.
        context: Box<Context>,
    },
    /// The service did not accept the credentials (missing, wrong or expired: HTTP 401).
    #[error("{}{message}{}", prefix(context), suffix(context))]
    Unauthenticated {
        /// What was refused and what to fix.
        message: String,
        /// Where.
        context: Box<Context>,
        /// The cause.
        #[source]
        source: Option<BoxError>,
    },
    /// The credentials are valid but may not do this (HTTP 403; GitHub's 404 for a private
    /// repository the token cannot see).
    #[error("{}{message}{}", prefix(context), suffix(context))]
    PermissionDenied {
        /// What was refused and what to fix.
        message: String,
        /// Where.
        context: Box<Context>,
        /// The cause.
        #[source]
        source: Option<BoxError>,
    },
    /// The service refused a request as invalid (HTTP 400/422 and the like, or an operation
    /// that failed validation in the service). Unlike [`Error::Invalid`] it comes from the
    /// service, possibly after earlier writes.
    #[error("{}{message}{}", prefix(context), suffix(context))]
    Rejected {
        /// What the service said, with its details.
        message: String,
        /// Where.
        context: Box<Context>,
        /// The cause.
        #[source]
        source: Option<BoxError>,
    },
    /// A backend failed (network, service, process). `retryable` says whether trying the same
    /// call again can help.
    #[error("{}{message}{}", prefix(context), suffix(context))]
    Backend {
        /// What failed.
        message: String,
        /// Whether a retry can help (timeouts, 429, 5xx).
        retryable: bool,
        /// Where (its `backend` names the backend).
        context: Box<Context>,
        /// The cause.
        #[source]
        source: Option<BoxError>,
    },
    /// Reading or writing a local file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn prefix(context: &Context) -> String {
    context
        .backend
        .as_deref()
        .map(|b| format!("{b}: "))
        .unwrap_or_default()
}

fn suffix(context: &Context) -> String {
    let place = context.place();
    if place.is_empty() {
        String::new()
    } else {
        format!(" ({place})")
    }
}

impl Error {
    /// A single-diagnostic [`Error::Invalid`].
    pub fn invalid(location: Location, message: impl Into<String>) -> Self {
        Error::Invalid(Diagnostics(vec![Diagnostic::new(location, message)]))
    }

    /// An [`Error::NotFound`].
    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound {
            what: escaped(what.into()),
            context: Box::default(),
        }
    }

    /// An [`Error::AlreadyExists`].
    pub fn already_exists(what: impl Into<String>) -> Self {
        Error::AlreadyExists {
            what: escaped(what.into()),
            context: Box::default(),
        }
    }

    /// An [`Error::Precondition`].
    pub fn precondition(what: impl Into<String>) -> Self {
        Error::Precondition {
            what: escaped(what.into()),
            context: Box::default(),
        }
    }

    /// An [`Error::Unsupported`].
    pub fn unsupported(what: impl Into<String>) -> Self {
        Error::Unsupported {
            what: escaped(what.into()),
            context: Box::default(),
        }
    }

    /// An [`Error::Unauthenticated`] of `backend`.
    pub fn unauthenticated(backend: &str, message: impl Into<String>) -> Self {
        Error::Unauthenticated {
            message: message.into(),
            context: Box::new(Context::backend(backend)),
            source: None,
        }
    }

    /// An [`Error::PermissionDenied`] of `backend`.
    pub fn permission_denied(backend: &str, message: impl Into<String>) -> Self {
        Error::PermissionDenied {
            message: message.into(),
            context: Box::new(Context::backend(backend)),
            source: None,
        }
    }

    /// An [`Error::Rejected`] of `backend`.
    pub fn rejected(backend: &str, message: impl Into<String>) -> Self {
        Error::Rejected {
            message: message.into(),
            context: Box::new(Context::backend(backend)),
            source: None,
        }
    }

    /// A non-retryable [`Error::Backend`] of `backend`; see [`Error::retryable`].
    pub fn backend(backend: &str, message: impl Into<String>) -> Self {
        Error::Backend {
            message: message.into(),
            retryable: false,
            context: Box::new(Context::backend(backend)),
            source: None,
        }
    }

    /// The same [`Error::Backend`] marked retryable or not (other variants are unchanged).
    pub fn retryable(mut self, yes: bool) -> Self {
        if let Error::Backend { retryable, .. } = &mut self {
            *retryable = yes;
        }
        self
    }

    /// The same error keeping `cause` as its [`source`](std::error::Error::source) (variants
    /// without a source slot are unchanged).
    pub fn with_source(mut self, cause: impl Into<BoxError>) -> Self {
        match &mut self {
            Error::Unauthenticated { source, .. }
            | Error::PermissionDenied { source, .. }
            | Error::Rejected { source, .. }
            | Error::Backend { source, .. } => *source = Some(cause.into()),
            _ => {}
        }
        self
    }

    /// The same error with the fields of `context` it does not have yet.
    pub fn with_context(mut self, context: Context) -> Self {
        if let Some(c) = self.context_mut() {
            c.fill(context);
        }
        self
    }

    /// The same error naming `repository` (unless it names one already).
    pub fn with_repository(self, repository: impl Into<String>) -> Self {
        self.with_context(Context {
            repository: Some(repository.into()),
            ..Context::default()
        })
    }

    /// The same error naming a ref or commit (unless it names one already).
    pub fn with_reference(self, reference: impl Into<String>) -> Self {
        self.with_context(Context {
            reference: Some(reference.into()),
            ..Context::default()
        })
    }

    /// The same error naming a path or ARM id (unless it names one already).
    pub fn with_path(self, path: impl Into<String>) -> Self {
        self.with_context(Context {
            path: Some(path.into()),
            ..Context::default()
        })
    }

    /// The same error naming a target (unless it names one already).
    pub fn with_target(self, target: impl Into<String>) -> Self {
        self.with_context(Context {
            target: Some(target.into()),
            ..Context::default()
        })
    }

    /// The same error naming what was being done (unless it names it already).
    pub fn with_operation(self, operation: impl Into<String>) -> Self {
        self.with_context(Context {
            operation: Some(operation.into()),
            ..Context::default()
        })
    }

    /// The same error naming the backend (unless it names one already).
    pub fn with_backend(self, backend: impl Into<String>) -> Self {
        self.with_context(Context {
            backend: Some(backend.into()),
            ..Context::default()
        })
    }

    /// Where it happened; `None` for [`Error::Invalid`] (its diagnostics say) and
    /// [`Error::Io`] (its path says).
    pub fn context(&self) -> Option<&Context> {
        match self {
            Error::NotFound { context, .. }
            | Error::AlreadyExists { context, .. }
            | Error::Precondition { context, .. }
            | Error::Unsupported { context, .. }
            | Error::Unauthenticated { context, .. }
            | Error::PermissionDenied { context, .. }
            | Error::Rejected { context, .. }
            | Error::Backend { context, .. } => Some(context),
            Error::Invalid(_) | Error::Io { .. } => None,
        }
    }

    fn context_mut(&mut self) -> Option<&mut Context> {
        match self {
            Error::NotFound { context, .. }
            | Error::AlreadyExists { context, .. }
            | Error::Precondition { context, .. }
            | Error::Unsupported { context, .. }
            | Error::Unauthenticated { context, .. }
            | Error::PermissionDenied { context, .. }
            | Error::Rejected { context, .. }
            | Error::Backend { context, .. } => Some(context),
            Error::Invalid(_) | Error::Io { .. } => None,
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Invalid(_) => ErrorKind::Invalid,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            Error::Precondition { .. } => ErrorKind::Precondition,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::Unauthenticated { .. } => ErrorKind::Unauthenticated,
            Error::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            Error::Rejected { .. } => ErrorKind::Rejected,
            Error::Backend { .. } => ErrorKind::Backend,
            Error::Io { .. } => ErrorKind::Io,
        }
    }

    /// Whether retrying the *same* call can succeed (a timeout, 429, 5xx, an interrupted
    /// read). A lost compare-and-swap is not: see [`Error::needs_refresh`].
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Backend { retryable, .. } => *retryable,
            Error::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::Interrupted
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::WouldBlock
            ),
            _ => false,
        }
    }

    /// Whether reading the state again and deciding anew can succeed: an
    /// [`Error::Precondition`] (the state moved underneath).
    pub fn needs_refresh(&self) -> bool {
        matches!(self, Error::Precondition { .. })
    }

    /// Whether this is bad input found before anything was written (the CLI exits with code 2
    /// for these and says nothing was written).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::Invalid(_))
    }

    /// The diagnostics of an [`Error::Invalid`], empty for other variants.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Invalid(d) => &d.0,
            _ => &[],
        }
    }

    /// The message without the context: `what` or `message`, the diagnostics of
    /// [`Error::Invalid`] one per line, the cause of [`Error::Io`].
    pub fn message(&self) -> String {
        match self {
            Error::Invalid(d) => d.to_string(),
            Error::NotFound { what, .. }
            | Error::AlreadyExists { what, .. }
            | Error::Precondition { what, .. }
            | Error::Unsupported { what, .. } => what.clone(),
            Error::Unauthenticated { message, .. }
            | Error::PermissionDenied { message, .. }
            | Error::Rejected { message, .. }
            | Error::Backend { message, .. } => message.clone(),
            Error::Io { path, source } => format!("{path}: {source}"),
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_displayed_after_the_message_and_kept_as_fields() {
        let e = Error::not_found("ref heads/dev")
            .with_repository("acme/config")
            .with_path("fleet.yaml");
        assert_eq!(
            e.to_string(),
            "not found: ref heads/dev (repository acme/config, path fleet.yaml)"
        );
        let c = e.context().unwrap();
        assert_eq!(c.repository.as_deref(), Some("acme/config"));
        // A field set first is kept.
        let e = e.with_repository("other");
        assert_eq!(
            e.context().unwrap().repository.as_deref(),
            Some("acme/config")
        );
    }

    #[test]
    fn backend_errors_keep_their_source_and_say_whether_to_retry() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let e = Error::backend("github", "GET /repos/o/r: connection failed")
            .retryable(true)
            .with_source(io);
        assert_eq!(e.to_string(), "github: GET /repos/o/r: connection failed");
        assert!(e.is_retryable());
        assert!(!e.needs_refresh());
        let source = std::error::Error::source(&e).expect("source kept");
        assert_eq!(source.to_string(), "reset by peer");
        assert_eq!(e.kind(), ErrorKind::Backend);
    }

    #[test]
    fn a_lost_compare_and_swap_needs_a_fresh_read_not_a_retry() {
        let e = Error::precondition("ref heads/dev moved");
        assert!(!e.is_retryable());
        assert!(e.needs_refresh());
        for e in [
            Error::unauthenticated("github", "bad credentials"),
            Error::permission_denied("azure", "no role"),
            Error::rejected("azure", "400 InvalidProperty"),
            Error::backend("git", "corrupt object"),
        ] {
            assert!(!e.is_retryable(), "{e}");
            assert!(!e.needs_refresh(), "{e}");
            assert!(!e.is_invalid_input(), "{e}");
        }
    }

    #[test]
    fn invisible_characters_in_messages_are_escaped() {
        let d = Diagnostic::new(
            Location::file("config/targets/a\u{202e}b.yaml").with_key("values.Ima\u{200b}ge"),
            "unknown key `Ima\u{200b}ge`\n::warning::x",
        )
        .with_hint("did you mean `\u{2066}Image`?");
        assert_eq!(
            d.to_string(),
            "config/targets/a\\u{202e}b.yaml (values.Ima\\u{200b}ge): unknown key `Ima\\u{200b}ge`\\n::warning::x (did you mean `\\u{2066}Image`?)"
        );
        assert!(!d.to_string().chars().any(is_invisible));
        // Visible text, quotes and backslashes are kept as they are.
        assert_eq!(escape_invisible("é \"q\" \\ 日本"), "é \"q\" \\ 日本");
        let e = Error::not_found("target `x\u{feff}`");
        assert_eq!(e.to_string(), "not found: target `x\\u{feff}`");
    }

    #[test]
    fn diagnostics_are_capped_with_a_count_of_the_rest() {
        let many: Vec<Diagnostic> = (0..250)
            .map(|i| Diagnostic::new(Location::file(format!("f{i:03}.yaml")), "bad"))
            .collect();
        let ds = Diagnostics(many).sorted();
        assert_eq!(ds.0.len(), MAX_DIAGNOSTICS + 1);
        assert_eq!(ds.omitted(), 150);
        assert_eq!(ds.total(), 250);
        let last = ds.0.last().map(ToString::to_string).unwrap_or_default();
        assert_eq!(last, "f100.yaml: … and 150 more problems (not listed)");
        // Capping again changes nothing; the text has 101 lines.
        let again = ds.clone().sorted();
        assert_eq!(again, ds);
        assert_eq!(ds.to_string().lines().count(), MAX_DIAGNOSTICS + 1);
        // A list built by hand is cut when displayed.
        let raw = Diagnostics(
            (0..300)
                .map(|i| Diagnostic::new(Location::file("x.yaml").at(i + 1, 1), "bad"))
                .collect(),
        );
        let text = raw.to_string();
        assert_eq!(text.lines().count(), MAX_DIAGNOSTICS + 1);
        assert!(
            text.ends_with("… and 200 more problems (not listed)"),
            "{text}"
        );
        let few = Diagnostics(vec![Diagnostic::new(Location::file("a"), "x")]).sorted();
        assert_eq!((few.0.len(), few.omitted(), few.total()), (1, 0, 1));
    }

    #[test]
    fn kinds_have_stable_names() {
        assert_eq!(ErrorKind::PermissionDenied.as_str(), "permissionDenied");
        assert_eq!(
            serde_json::to_value(ErrorKind::NotFound).unwrap(),
            serde_json::json!("notFound")
        );
        assert_eq!(
            Error::invalid(Location::file("a.yaml"), "bad").kind(),
            ErrorKind::Invalid
        );
    }
}
