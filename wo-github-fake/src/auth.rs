//! Tokens the fake issues, who they act as, and which fine-grained permission each operation
//! needs (GitHub's "Permissions required for GitHub Apps" / "… for fine-grained personal access
//! tokens" pages; the `x-accepted-github-permissions` header lists alternatives separated by
//! `; `, permissions needed together by `,`).

use std::collections::BTreeMap;

use axum::http::StatusCode;

use crate::reply::{error, Reply};

/// A fine-grained repository permission, by GitHub's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Permission {
    /// `actions` (workflows, runs, workflow dispatch).
    Actions,
    /// `administration` (repository settings, rulesets, environments).
    Administration,
    /// `checks` (check runs).
    Checks,
    /// `contents` (git data, contents, merges, repository dispatch).
    Contents,
    /// `environments` (environment secrets and variables).
    Environments,
    /// `issues` (issues and their comments and labels).
    Issues,
    /// `metadata` (read-only; every token has it).
    Metadata,
    /// `pull_requests` (pull requests, their comments, labels and reviews).
    PullRequests,
    /// `security_events` (code scanning).
    SecurityEvents,
    /// `statuses` (commit statuses).
    Statuses,
    /// `variables` (Actions variables).
    Variables,
}

impl Permission {
    /// Every permission the fake knows.
    pub const ALL: [Permission; 11] = [
        Self::Actions,
        Self::Administration,
        Self::Checks,
        Self::Contents,
        Self::Environments,
        Self::Issues,
        Self::Metadata,
        Self::PullRequests,
        Self::SecurityEvents,
        Self::Statuses,
        Self::Variables,
    ];

    /// GitHub's name (`pull_requests`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Actions => "actions",
            Self::Administration => "administration",
            Self::Checks => "checks",
            Self::Contents => "contents",
            Self::Environments => "environments",
            Self::Issues => "issues",
            Self::Metadata => "metadata",
            Self::PullRequests => "pull_requests",
            Self::SecurityEvents => "security_events",
            Self::Statuses => "statuses",
            Self::Variables => "variables",
        }
    }
}

/// A level of a permission; `Write` includes `Read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// `read`.
    Read,
    /// `write`.
    Write,
}

impl Access {
    fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// Who a token acts as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A workflow run's `GITHUB_TOKEN`: `github-actions[bot]`, on exactly `repository`
    /// (`owner/name`). What it does starts no workflow run (except dispatches).
    GithubToken {
        /// `owner/name` of the workflow's repository.
        repository: String,
    },
    /// A GitHub App installation token: `<slug>[bot]`.
    App {
        /// The App's slug.
        slug: String,
    },
    /// A user (a fine-grained personal access token).
    User {
        /// The user's login.
        login: String,
    },
}

impl Actor {
    /// The login GitHub shows for the actor (`github-actions[bot]`, `<slug>[bot]`, the user).
    pub fn login(&self) -> String {
        match self {
            Self::GithubToken { .. } => "github-actions[bot]".to_owned(),
            Self::App { slug } => format!("{slug}[bot]"),
            Self::User { login } => login.clone(),
        }
    }

    /// An App or `GITHUB_TOKEN` (GitHub calls both "integration"), not a user.
    pub fn is_integration(&self) -> bool {
        !matches!(self, Self::User { .. })
    }
}

/// The repositories a token may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repositories {
    /// Every repository of every owner (the fake's admin).
    All,
    /// Every repository of one owner (an installation on all of an organization's repositories).
    Owner(String),
    /// These repositories, each `owner/name`.
    Only(Vec<String>),
}

impl Repositories {
    fn covers(&self, owner: &str, name: &str) -> bool {
        match self {
            Self::All => true,
            Self::Owner(o) => o == owner,
            Self::Only(list) => list.iter().any(|r| *r == format!("{owner}/{name}")),
        }
    }
}

/// What [`FakeGitHub::issue_token`](crate::FakeGitHub::issue_token) issues a token for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    /// Who the token acts as.
    pub actor: Actor,
    /// Where it may act.
    pub repositories: Repositories,
    /// Its fine-grained permissions (`metadata: read` is always added, as on GitHub).
    pub permissions: BTreeMap<Permission, Access>,
}

impl TokenSpec {
    /// A workflow's `GITHUB_TOKEN` on `repository` (`owner/name`), with `metadata: read` only:
    /// add what the workflow's `permissions:` grant with [`permission`](Self::permission).
    pub fn github_token(repository: &str) -> Self {
        Self {
            actor: Actor::GithubToken {
                repository: repository.to_owned(),
            },
            repositories: Repositories::Only(vec![repository.to_owned()]),
            permissions: BTreeMap::new(),
        }
    }

    /// An installation token of the App `slug` on `repositories`.
    pub fn app(slug: &str, repositories: Repositories) -> Self {
        Self {
            actor: Actor::App {
                slug: slug.to_owned(),
            },
            repositories,
            permissions: BTreeMap::new(),
        }
    }

    /// A fine-grained personal access token of `login` on `repositories`.
    pub fn user(login: &str, repositories: Repositories) -> Self {
        Self {
            actor: Actor::User {
                login: login.to_owned(),
            },
            repositories,
            permissions: BTreeMap::new(),
        }
    }

    /// Grants `permission` at `access`.
    #[must_use]
    pub fn permission(mut self, permission: Permission, access: Access) -> Self {
        self.permissions.insert(permission, access);
        self
    }

    /// Grants every permission at `access`.
    #[must_use]
    pub fn all_permissions(mut self, access: Access) -> Self {
        for p in Permission::ALL {
            self.permissions.insert(p, access);
        }
        self
    }

    fn has(&self, permission: Permission, access: Access) -> bool {
        permission == Permission::Metadata && access == Access::Read
            || self
                .permissions
                .get(&permission)
                .is_some_and(|a| *a >= access)
    }
}

/// The login the fake's [`admin_token`](crate::FakeGitHub::admin_token) acts as.
pub const ADMIN_LOGIN: &str = "wo-fake-admin";

use Access::{Read, Write};
use Permission::*;

type Need = &'static [&'static [(Permission, Access)]];

/// The permission sets (any one suffices) an operation needs; `None` for operations on no
/// repository. This is the table documented in the crate's docs.
pub(crate) fn required(op: &str) -> Option<Need> {
    Some(match op {
        "repos/get" | "repos/get-all-repository-rulesets" | "repos/get-repo-ruleset" => {
            &[&[(Metadata, Read)]]
        }
        "repos/update"
        | "repos/create-repo-ruleset"
        | "repos/update-repo-ruleset"
        | "repos/create-or-update-environment" => &[&[(Administration, Write)]],
        "repos/get-environment" => &[&[(Actions, Read)]],
        "git/get-ref"
        | "git/list-matching-refs"
        | "git/get-commit"
        | "git/get-tree"
        | "git/get-blob"
        | "repos/get-content"
        | "repos/download-tarball-archive"
        | "repos/compare-commits-with-basehead" => &[&[(Contents, Read)]],
        "git/create-ref"
        | "git/update-ref"
        | "git/delete-ref"
        | "git/create-commit"
        | "git/create-tree"
        | "git/create-blob"
        | "repos/create-dispatch-event" => &[&[(Contents, Write)]],
        "pulls/list" | "pulls/get" | "pulls/list-files" | "pulls/list-reviews" => {
            &[&[(PullRequests, Read)]]
        }
        "repos/list-pull-requests-associated-with-commit" => {
            &[&[(Contents, Read), (PullRequests, Read)]]
        }
        "pulls/create" | "pulls/update" | "pulls/create-review" => &[&[(PullRequests, Write)]],
        "pulls/merge" => &[&[(Contents, Write)]],
        "issues/list-comments" => &[&[(Issues, Read)], &[(PullRequests, Read)]],
        "issues/create-comment" | "issues/update-comment" | "issues/add-labels" => {
            &[&[(Issues, Write)], &[(PullRequests, Write)]]
        }
        "repos/create-commit-status" => &[&[(Statuses, Write)]],
        "repos/get-combined-status-for-ref" | "repos/list-commit-statuses-for-ref" => {
            &[&[(Statuses, Read)]]
        }
        "checks/create" | "checks/update" => &[&[(Checks, Write)]],
        "actions/create-workflow-dispatch" => &[&[(Actions, Write)]],
        "actions/list-repo-variables" | "actions/get-repo-variable" => &[&[(Variables, Read)]],
        "actions/create-repo-variable" | "actions/update-repo-variable" => &[&[(Variables, Write)]],
        _ => return None,
    })
}

/// `contents=write; pull_requests=write`.
fn accepted(need: Need) -> String {
    need.iter()
        .map(|set| {
            set.iter()
                .map(|(p, a)| format!("{}={}", p.name(), a.name()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// GitHub's 403 for an actor that lacks a permission.
pub(crate) fn not_accessible(actor: &Actor, need: Option<Need>) -> Reply {
    let message = if actor.is_integration() {
        "Resource not accessible by integration"
    } else {
        "Resource not accessible by personal access token"
    };
    let reply = error(StatusCode::FORBIDDEN, message);
    match need {
        Some(need) => reply.header("x-accepted-github-permissions", accepted(need)),
        None => reply,
    }
}

/// What a token may do with one repository.
pub(crate) enum Verdict {
    Allowed,
    /// Answer this instead.
    Refused(Reply),
}

/// Decides whether `spec` may run `op` (a read when `read`) on `owner/name`, private or not.
pub(crate) fn authorize(
    spec: &TokenSpec,
    op: &str,
    read: bool,
    owner: &str,
    name: &str,
    private: bool,
) -> Verdict {
    let Some(need) = required(op) else {
        return Verdict::Allowed;
    };
    if !spec.repositories.covers(owner, name) {
        // GitHub hides a private repository the token cannot see; a public one is readable
        // by anyone, writable only by those it is granted to.
        return if private {
            Verdict::Refused(crate::reply::not_found())
        } else if read {
            Verdict::Allowed
        } else {
            Verdict::Refused(not_accessible(&spec.actor, Some(need)))
        };
    }
    let granted = need
        .iter()
        .any(|set| set.iter().all(|(p, a)| spec.has(*p, *a)));
    if granted || (read && !private) {
        Verdict::Allowed
    } else {
        Verdict::Refused(not_accessible(&spec.actor, Some(need)))
    }
}

/// A token string shaped like GitHub's: `ghs_` + 36 characters for installation tokens (and
/// `GITHUB_TOKEN`), `github_pat_` + 22 + `_` + 59 for fine-grained personal access tokens.
pub(crate) fn token_string(actor: &Actor, serial: u64, salt: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = serial
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt);
    let mut chars = |n: usize| -> String {
        (0..n)
            .map(|_| {
                // xorshift64*
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                let v = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
                ALPHABET[(v >> 58) as usize % ALPHABET.len()] as char
            })
            .collect()
    };
    match actor {
        Actor::User { .. } => format!("github_pat_{}_{}", chars(22), chars(59)),
        _ => format!("ghs_{}", chars(36)),
    }
}

/// The token of an `Authorization` header (`Bearer X` or `token X`).
pub(crate) fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_look_like_githubs() {
        let user = token_string(&Actor::User { login: "u".into() }, 1, 7);
        assert!(user.starts_with("github_pat_"));
        assert_eq!(user.len(), "github_pat_".len() + 22 + 1 + 59);
        let bot = token_string(&Actor::App { slug: "wo".into() }, 2, 7);
        assert!(bot.starts_with("ghs_") && bot.len() == 40, "{bot}");
        assert_ne!(bot, token_string(&Actor::App { slug: "wo".into() }, 3, 7));
    }

    fn status(v: Verdict) -> u16 {
        match v {
            Verdict::Allowed => 200,
            Verdict::Refused(r) => r.status.as_u16(),
        }
    }

    #[test]
    fn repositories_visibility_and_permissions_decide() {
        let bot = TokenSpec::github_token("o/a").permission(Permission::Contents, Access::Read);
        let go = |op, read, name, private| status(authorize(&bot, op, read, "o", name, private));
        assert_eq!(
            go("git/get-ref", true, "b", true),
            404,
            "a private stranger is hidden"
        );
        assert_eq!(
            go("git/get-ref", true, "b", false),
            200,
            "a public one is readable"
        );
        assert_eq!(
            go("git/create-ref", false, "b", false),
            403,
            "and not writable"
        );
        assert_eq!(go("git/get-ref", true, "a", true), 200);
        assert_eq!(
            go("git/create-ref", false, "a", true),
            403,
            "read is not write"
        );
        assert_eq!(go("pulls/get", true, "a", true), 403, "no pull_requests");
        assert_eq!(go("pulls/get", true, "a", false), 200, "public data");
        assert_eq!(go("repos/get", true, "a", true), 200, "metadata is implied");
        assert_eq!(go("rate-limit/get", true, "", false), 200);
    }

    #[test]
    fn accepted_permissions_list_alternatives() {
        assert_eq!(
            accepted(required("issues/create-comment").unwrap()),
            "issues=write; pull_requests=write"
        );
        assert_eq!(
            accepted(required("repos/list-pull-requests-associated-with-commit").unwrap()),
            "contents=read,pull_requests=read"
        );
    }
}
