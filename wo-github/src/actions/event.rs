//! What started a GitHub Actions run, as a wo pipeline [`Event`].
//!
//! GitHub hands a workflow run the name of its trigger (`GITHUB_EVENT_NAME`) and the webhook
//! body of that trigger as a file (`GITHUB_EVENT_PATH`). Which wo event it is depends on the
//! repository the workflow runs in ([`RepoRole`]): a merged pull request is a deploy request in
//! a gitops repo and a configuration change in a config repo.
//!
//! | trigger | repo role | wo event |
//! |---|---|---|
//! | `push` to the main branch | source | `source-pushed {commit: after}` |
//! | `pull_request` closed, merged into `E`, head `wo/E/<solution>` | gitops | `change-merged {E}` |
//! | `pull_request` closed, merged into `E` | config | `config-merged {E}` |
//! | `pull_request` closed, merged into `E` | platform config | `platform-config-merged {E}` |
//! | `repository_dispatch` `wo-source-pushed` `{commit}` | any | `source-pushed` |
//! | `repository_dispatch` `wo-change-merged` `{environment}` | any | `change-merged` |
//! | `repository_dispatch` `wo-config-merged` `{environment}` | any | `config-merged` |
//! | `repository_dispatch` `wo-platform-config-merged` `{environment}` | any | `platform-config-merged` |
//! | `workflow_dispatch` inputs `event`, `environment`, `commit` | any | the event named |
//!
//! Everything else is [`Mapping::Ignored`] with a reason; a payload that lacks what its
//! trigger promises is [`Error::Invalid`] naming the file and the key path.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde_json::Value;
use wo_core::error::{Error, Location, Result};
use wo_core::pipeline::Event;

/// `repository_dispatch` event type (`action`) for [`Event::SourcePushed`].
pub const DISPATCH_SOURCE_PUSHED: &str = "wo-source-pushed";
/// `repository_dispatch` event type (`action`) for [`Event::ChangeMerged`].
pub const DISPATCH_CHANGE_MERGED: &str = "wo-change-merged";
/// `repository_dispatch` event type (`action`) for [`Event::ConfigMerged`].
pub const DISPATCH_CONFIG_MERGED: &str = "wo-config-merged";
/// `repository_dispatch` event type (`action`) for [`Event::PlatformConfigMerged`].
pub const DISPATCH_PLATFORM_CONFIG_MERGED: &str = "wo-platform-config-merged";

/// The variable naming the trigger of the run (`push`, `pull_request`, …).
pub const EVENT_NAME_VAR: &str = "GITHUB_EVENT_NAME";
/// The variable naming the file that holds the trigger's webhook payload.
pub const EVENT_PATH_VAR: &str = "GITHUB_EVENT_PATH";
/// The variable holding the commit the run was started for.
pub const SHA_VAR: &str = "GITHUB_SHA";

/// Which of wo's repositories a workflow runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RepoRole {
    /// A solution's source repo: an app's source, or the platform control plane.
    Source,
    /// An app config repo (one branch per environment).
    Config,
    /// The platform config repo (fleet and platform values, one branch per environment).
    PlatformConfig,
    /// A gitops repo (app or platform), changed only through wo's pull requests.
    Gitops,
}

impl RepoRole {
    /// Every role, in the order of the flows.
    pub const ALL: [RepoRole; 4] = [
        RepoRole::Source,
        RepoRole::Config,
        RepoRole::PlatformConfig,
        RepoRole::Gitops,
    ];

    /// `source`, `config`, `platform-config` or `gitops` (the CLI flag's values).
    pub fn as_str(self) -> &'static str {
        match self {
            RepoRole::Source => "source",
            RepoRole::Config => "config",
            RepoRole::PlatformConfig => "platform-config",
            RepoRole::Gitops => "gitops",
        }
    }
}

impl fmt::Display for RepoRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RepoRole {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        RepoRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    Location::file("--role"),
                    format!(
                        "unknown repo role {s:?} (one of: source, config, platform-config, gitops)"
                    ),
                )
            })
    }
}

/// What the caller knows about the repository the workflow runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventContext {
    /// The repository's role.
    pub role: RepoRole,
    /// The source repo's main branch (default `main`): only pushes to it are `source-pushed`.
    pub main_branch: String,
    /// The solution whose change requests a gitops repo accepts; `None` accepts any
    /// `wo/<env>/<solution>` head.
    pub solution: Option<String>,
    /// The environments (env branches); a merge into another branch is ignored. Empty: any
    /// branch is an environment.
    pub environments: Vec<String>,
    /// The commit the run is for (`GITHUB_SHA`): a `workflow_dispatch` of `source-pushed`
    /// without a `commit` input renders it.
    pub sha: Option<String>,
}

impl EventContext {
    /// A context for `role` with the defaults: main branch `main`, any solution, any
    /// environment, no commit.
    pub fn new(role: RepoRole) -> Self {
        Self {
            role,
            main_branch: "main".into(),
            solution: None,
            environments: Vec::new(),
            sha: None,
        }
    }

    /// The same context with another main branch.
    pub fn with_main_branch(mut self, branch: impl Into<String>) -> Self {
        self.main_branch = branch.into();
        self
    }

    /// The same context accepting only `solution`'s change requests.
    pub fn with_solution(mut self, solution: impl Into<String>) -> Self {
        self.solution = Some(solution.into());
        self
    }

    /// The same context accepting only merges into these environments.
    pub fn with_environments<I, S>(mut self, environments: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.environments = environments.into_iter().map(Into::into).collect();
        self
    }

    /// The same context with the run's commit.
    pub fn with_sha(mut self, sha: impl Into<String>) -> Self {
        self.sha = Some(sha.into());
        self
    }
}

/// What a trigger means to wo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// A wo event: run it.
    Event(Event),
    /// Not a wo event; nothing to do.
    Ignored {
        /// Why, for the log (`not a wo event: push to feature-x`).
        reason: String,
    },
}

impl Mapping {
    /// The event, unless the trigger was ignored.
    pub fn event(&self) -> Option<&Event> {
        match self {
            Mapping::Event(e) => Some(e),
            Mapping::Ignored { .. } => None,
        }
    }

    /// The event, unless the trigger was ignored.
    pub fn into_event(self) -> Option<Event> {
        match self {
            Mapping::Event(e) => Some(e),
            Mapping::Ignored { .. } => None,
        }
    }

    /// Why the trigger was ignored, `None` for an event.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Mapping::Event(_) => None,
            Mapping::Ignored { reason } => Some(reason),
        }
    }
}

fn ignored(reason: impl Into<String>) -> Result<Mapping> {
    Ok(Mapping::Ignored {
        reason: reason.into(),
    })
}

/// Maps the trigger of the current GitHub Actions run: reads `GITHUB_EVENT_NAME`, the payload
/// at `GITHUB_EVENT_PATH` and, unless `ctx.sha` is set, `GITHUB_SHA`.
///
/// # Errors
///
/// [`Error::Invalid`] when a variable is not set or the payload is malformed, [`Error::Io`]
/// when the payload cannot be read.
pub fn from_env(ctx: &EventContext) -> Result<Mapping> {
    let var = |name: &str| {
        std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or_else(|| {
            Error::invalid(
                Location::file("<environment>").with_key(name),
                format!("{name} is not set: `wo on-event --github` runs inside a GitHub Actions job"),
            )
        })
    };
    let name = var(EVENT_NAME_VAR)?;
    let path = var(EVENT_PATH_VAR)?;
    let mut ctx = ctx.clone();
    if ctx.sha.is_none() {
        ctx.sha = std::env::var(SHA_VAR).ok().filter(|v| !v.is_empty());
    }
    from_event_file(&name, Path::new(&path), &ctx)
}

/// Maps a trigger whose payload is in a file (errors name that file).
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read, [`Error::Invalid`] when it is malformed.
pub fn from_event_file(event_name: &str, path: &Path, ctx: &EventContext) -> Result<Mapping> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: file.clone(),
        source,
    })?;
    map(event_name, &text, &file, ctx)
}

/// Maps a trigger given as its name and payload text (errors name the file `<event payload>`).
///
/// # Errors
///
/// [`Error::Invalid`] when the payload is not JSON, not an object, or lacks (or mistypes) a
/// key its trigger needs.
pub fn from_parts(event_name: &str, payload_json: &str, ctx: &EventContext) -> Result<Mapping> {
    map(event_name, payload_json, "<event payload>", ctx)
}

fn map(event_name: &str, text: &str, file: &str, ctx: &EventContext) -> Result<Mapping> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        Error::invalid(
            Location::file(file).at(e.line() as u32, e.column() as u32),
            format!("the {event_name} event payload is not JSON: {e}"),
        )
    })?;
    let p = Payload { file, root: &root };
    if !root.is_object() {
        return Err(p.invalid(
            "",
            format!(
                "the {event_name} event payload is {}, not an object",
                kind(&root)
            ),
        ));
    }
    match event_name {
        "push" => push(&p, ctx),
        "pull_request" | "pull_request_target" => pull_request(&p, ctx),
        "repository_dispatch" => repository_dispatch(&p),
        "workflow_dispatch" => workflow_dispatch(&p, ctx),
        other => ignored(format!("not a wo event: {other}")),
    }
}

fn push(p: &Payload<'_>, ctx: &EventContext) -> Result<Mapping> {
    let git_ref = p.str("ref")?;
    let after = p.str("after")?;
    let deleted = p.bool("deleted")?;
    let Some(branch) = git_ref.strip_prefix("refs/heads/") else {
        return match git_ref.strip_prefix("refs/tags/") {
            Some(tag) => ignored(format!("not a wo event: push of tag {tag}")),
            None => ignored(format!("not a wo event: push to {git_ref}")),
        };
    };
    if ctx.role != RepoRole::Source {
        return ignored(format!(
            "not a wo event: push to {branch} of a {} repo (wo acts on merged pull requests there)",
            ctx.role
        ));
    }
    if branch != ctx.main_branch {
        return ignored(format!("not a wo event: push to {branch}"));
    }
    if deleted {
        return ignored(format!("not a wo event: {branch} was deleted"));
    }
    if !is_commit_sha(after) {
        return Err(p.invalid(
            "after",
            format!("{after:?} is not a commit id (40 or 64 hex digits)"),
        ));
    }
    Ok(Mapping::Event(Event::SourcePushed {
        commit: after.to_owned(),
    }))
}

fn pull_request(p: &Payload<'_>, ctx: &EventContext) -> Result<Mapping> {
    let action = p.str("action")?;
    let pr = match p.get("number").and_then(Value::as_u64) {
        Some(n) => format!("pull request #{n}"),
        None => "pull request".to_owned(),
    };
    if action != "closed" {
        return ignored(format!("not a wo event: {pr} {action}"));
    }
    if !p.bool("pull_request.merged")? {
        return ignored(format!("not a wo event: {pr} was closed without merging"));
    }
    let base = p.str("pull_request.base.ref")?;
    let head = p.str("pull_request.head.ref")?;
    let to_event: fn(String) -> Event = match ctx.role {
        RepoRole::Source => {
            return ignored(format!(
            "not a wo event: {pr} merged into {base} of a source repo (wo acts on the push to {})",
            ctx.main_branch
        ))
        }
        RepoRole::Gitops => |environment| Event::ChangeMerged { environment },
        RepoRole::Config => |environment| Event::ConfigMerged { environment },
        RepoRole::PlatformConfig => |environment| Event::PlatformConfigMerged { environment },
    };
    if !ctx.environments.is_empty() && !ctx.environments.iter().any(|e| e == base) {
        return ignored(format!(
            "not a wo event: {pr} merged into {base}, which is not an environment ({})",
            ctx.environments.join(", ")
        ));
    }
    let environment = environment_name(p, "pull_request.base.ref", base)?;
    if ctx.role == RepoRole::Gitops {
        if !is_change_request_head(head, base, ctx.solution.as_deref()) {
            let solution = ctx.solution.as_deref().unwrap_or("<solution>");
            return ignored(format!(
                "not a wo event: {pr} from {head} is not a wo change request (wo/{base}/{solution})"
            ));
        }
        let head_repo = p
            .get("pull_request.head.repo.full_name")
            .and_then(Value::as_str);
        let repo = p.get("repository.full_name").and_then(Value::as_str);
        if let (Some(h), Some(r)) = (head_repo, repo) {
            if h != r {
                return ignored(format!(
                    "not a wo event: {pr} comes from another repository ({h})"
                ));
            }
        }
    }
    Ok(Mapping::Event(to_event(environment)))
}

fn is_change_request_head(head: &str, base: &str, solution: Option<&str>) -> bool {
    let Some(rest) = head
        .strip_prefix("wo/")
        .and_then(|h| h.strip_prefix(base))
        .and_then(|h| h.strip_prefix('/'))
    else {
        return false;
    };
    match solution {
        Some(s) => rest == s,
        None => !rest.is_empty() && !rest.contains('/'),
    }
}

fn repository_dispatch(p: &Payload<'_>) -> Result<Mapping> {
    let action = p.str("action")?;
    let event = match action {
        DISPATCH_SOURCE_PUSHED => Event::SourcePushed {
            commit: commit_ref(p, "client_payload.commit", p.str("client_payload.commit")?)?,
        },
        DISPATCH_CHANGE_MERGED => Event::ChangeMerged {
            environment: p.environment("client_payload.environment")?,
        },
        DISPATCH_CONFIG_MERGED => Event::ConfigMerged {
            environment: p.environment("client_payload.environment")?,
        },
        DISPATCH_PLATFORM_CONFIG_MERGED => Event::PlatformConfigMerged {
            environment: p.environment("client_payload.environment")?,
        },
        other => return ignored(format!("not a wo event: repository_dispatch {other}")),
    };
    Ok(Mapping::Event(event))
}

/// The `event` input values of `workflow_dispatch` (the pipeline event's `type`).
const DISPATCH_INPUT_EVENTS: [&str; 4] = [
    "source-pushed",
    "change-merged",
    "config-merged",
    "platform-config-merged",
];

fn workflow_dispatch(p: &Payload<'_>, ctx: &EventContext) -> Result<Mapping> {
    let Some(kind) = p.opt_str("inputs.event")? else {
        return Err(p.invalid(
            "inputs.event",
            format!(
                "missing: the workflow needs an `event` input (one of: {})",
                DISPATCH_INPUT_EVENTS.join(", ")
            ),
        ));
    };
    let event = match kind {
        "source-pushed" => {
            let commit = match p.opt_str("inputs.commit")? {
                Some(c) => commit_ref(p, "inputs.commit", c)?,
                // GitHub runs a dispatch on the head of the chosen ref: that is the commit.
                None => match (&ctx.sha, p.opt_str("ref")?) {
                    (Some(sha), _) => sha.clone(),
                    (None, Some(r)) => {
                        let r = r.strip_prefix("refs/heads/").unwrap_or(r);
                        commit_ref(p, "ref", r)?
                    }
                    (None, None) => {
                        return Err(
                            p.invalid("inputs.commit", "missing: give the source commit to render")
                        )
                    }
                },
            };
            Event::SourcePushed { commit }
        }
        "change-merged" => Event::ChangeMerged {
            environment: p.environment("inputs.environment")?,
        },
        "config-merged" => Event::ConfigMerged {
            environment: p.environment("inputs.environment")?,
        },
        "platform-config-merged" => Event::PlatformConfigMerged {
            environment: p.environment("inputs.environment")?,
        },
        other => {
            return Err(p.invalid(
                "inputs.event",
                format!(
                    "{other:?} is not a wo event (one of: {})",
                    DISPATCH_INPUT_EVENTS.join(", ")
                ),
            ))
        }
    };
    Ok(Mapping::Event(event))
}

fn is_commit_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64)
        && s.bytes().all(|b| b.is_ascii_hexdigit())
        && s.bytes().any(|b| b != b'0')
}

/// A commit id, branch or tag as a source repo resolves it: no spaces, no control characters,
/// not an option (`-x`), not absurdly long.
fn commit_ref(p: &Payload<'_>, key: &str, value: &str) -> Result<String> {
    let ok = !value.is_empty()
        && value.len() <= 255
        && !value.starts_with('-')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(value.to_owned())
    } else {
        Err(p.invalid(
            key,
            format!("{value:?} is not a commit, branch or tag name"),
        ))
    }
}

/// An environment names a branch and a path segment: letters, digits, `-`, `_`, `.`, not
/// starting with a dot.
fn environment_name(p: &Payload<'_>, key: &str, value: &str) -> Result<String> {
    let ok = !value.is_empty()
        && value.len() <= 100
        && !value.starts_with('.')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(p.invalid(
            key,
            format!("{value:?} is not an environment name (letters, digits, - _ .)"),
        ))
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A webhook payload with the file it came from, for errors that name both.
struct Payload<'a> {
    file: &'a str,
    root: &'a Value,
}

impl<'a> Payload<'a> {
    fn get(&self, path: &str) -> Option<&'a Value> {
        path.split('.').try_fold(self.root, |v, k| v.get(k))
    }

    fn invalid(&self, path: &str, message: impl Into<String>) -> Error {
        Error::invalid(Location::file(self.file).with_key(path), message)
    }

    fn str(&self, path: &str) -> Result<&'a str> {
        match self.get(path) {
            Some(Value::String(s)) => Ok(s),
            None | Some(Value::Null) => Err(self.invalid(path, "missing: expected a string")),
            Some(other) => {
                Err(self.invalid(path, format!("expected a string, found {}", kind(other))))
            }
        }
    }

    /// A string that may be missing, `null` or empty (as GitHub passes unset inputs).
    fn opt_str(&self, path: &str) -> Result<Option<&'a str>> {
        match self.get(path) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => {
                Err(self.invalid(path, format!("expected a string, found {}", kind(other))))
            }
        }
    }

    fn bool(&self, path: &str) -> Result<bool> {
        match self.get(path) {
            Some(Value::Bool(b)) => Ok(*b),
            None | Some(Value::Null) => Err(self.invalid(path, "missing: expected a boolean")),
            Some(other) => {
                Err(self.invalid(path, format!("expected a boolean, found {}", kind(other))))
            }
        }
    }

    fn environment(&self, path: &str) -> Result<String> {
        match self.opt_str(path)? {
            Some(v) => environment_name(self, path, v),
            None => Err(self.invalid(path, "missing: expected an environment name")),
        }
    }
}
