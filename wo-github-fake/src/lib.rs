//! A stateful fake GitHub for tests: the REST operations wo uses, over real git repositories.
//!
//! Start one with [`FakeGitHub::start`], create repositories with [`FakeGitHub::create_repo`] and
//! point a client at [`FakeGitHub::base_url`]. Every repository is a real bare git repository
//! (libgit2) in a temporary directory: blobs, trees, commits and refs have their real SHA-1s,
//! fast-forward checks and merges are git's own.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use wo_github_fake::{FakeGitHub, Fault};
//!
//! let github = FakeGitHub::start().await?;
//! let main = github.create_repo("acme", "config");
//! // Requests carry a token the fake issued (see `issue_token` for scoped ones).
//! let token = github.admin_token();
//! github.push_files("acme", "config", "main", &[("envs/dev.yaml", Some("replicas: 1\n"))], "Add dev");
//! // The next two `git/update-ref` calls answer 502; the third goes through.
//! github.inject("git/update-ref", Fault::BadGateway, 2);
//! // … run the client against github.base_url() …
//! assert_eq!(github.request_count("git/update-ref"), 0);
//! # let _ = (main, token);
//! github.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # What it checks like GitHub
//! - **Tokens** ("Authenticating to the REST API"). Only tokens the fake issued
//!   ([`FakeGitHub::issue_token`], [`FakeGitHub::admin_token`]) are accepted, as
//!   `Authorization: Bearer …` or `token …`: no header is 401 `Requires authentication` (GitHub
//!   lets anonymous clients read public repositories at 60 requests an hour; the fake refuses
//!   them, so a client that forgot its token fails), an unknown token 401 `Bad credentials`.
//!   A token acts as its [`Actor`]: a workflow's `GITHUB_TOKEN` (`github-actions[bot]`, on its
//!   one repository), an App installation (`<slug>[bot]`), or a user (fine-grained PAT).
//! - **Repositories and visibility.** Repositories are public unless
//!   [`FakeGitHub::set_private`]. A private repository outside the token's repositories is 404
//!   (GitHub hides it); a public one is readable by every token and writable by none outside
//!   them (403).
//! - **Permissions** ("Permissions required for GitHub Apps" / "… for fine-grained personal
//!   access tokens"). Within its repositories a token needs the operation's permission; reads
//!   of a public repository need none ("some endpoints can also be used to access public
//!   resources without these permissions"). Missing: 403 `Resource not accessible by
//!   integration` (App, `GITHUB_TOKEN`) or `… by personal access token` (user), with
//!   `x-accepted-github-permissions` (alternatives separated by `; `). `metadata: read` is
//!   always granted. The table:
//!
//!   | operations | permission |
//!   | --- | --- |
//!   | `repos/get`, rulesets get/list | `metadata=read` |
//!   | `repos/update`, rulesets create/update, `repos/create-or-update-environment` | `administration=write` |
//!   | `repos/get-environment` | `actions=read` |
//!   | git data reads, `repos/get-content`, tarball, compare | `contents=read` |
//!   | git data writes (refs, commits, trees, blobs), `repos/create-dispatch-event` | `contents=write` |
//!   | `pulls/merge` | `contents=write` |
//!   | `pulls/list`, `pulls/get`, `pulls/list-files`, `pulls/list-reviews` | `pull_requests=read` |
//!   | `pulls/create`, `pulls/update`, `pulls/create-review` | `pull_requests=write` |
//!   | `repos/list-pull-requests-associated-with-commit` | `contents=read,pull_requests=read` |
//!   | `issues/list-comments` | `issues=read; pull_requests=read` |
//!   | issue comment create/update, `issues/add-labels` | `issues=write; pull_requests=write` |
//!   | `repos/create-commit-status` / status reads | `statuses=write` / `statuses=read` |
//!   | `checks/create`, `checks/update` | `checks=write` |
//!   | `actions/create-workflow-dispatch` | `actions=write` |
//!   | variables list/get / create/update | `variables=read` / `variables=write` |
//!
//! - **Who did it.** Pull requests (`user`, `merged_by`), statuses (`creator`), comments,
//!   reviews and events record the token's actor. Commits made through the Git Data API
//!   without an author are `wo-fake-bot`'s; the test API's pushes are `wo-fake-pusher`'s.
//! - **Merges** ("Merge a pull request", "About merge methods on GitHub"): `merge_method`
//!   `merge` (default; two parents, `Merge pull request #N from OWNER/BRANCH` + the title),
//!   `squash` (one parent; GitHub's default title/message `COMMIT_OR_PR_TITLE` /
//!   `COMMIT_MESSAGES`: one commit gives its own title `(#N)` and body, more give the pull
//!   request's title `(#N)` and the list `* message` of the commits), `rebase` (the commits
//!   replayed with their messages and authors). `commit_title`, `commit_message` and `sha`
//!   (409 when the head moved) are honoured. A method the repository does not allow
//!   (`allow_merge_commit`, `allow_squash_merge`, `allow_rebase_merge`, set by
//!   `PATCH /repos/{owner}/{repo}` or [`FakeGitHub::set_merge_methods`]) is 405 `Merge commits
//!   are not allowed on this repository.` (`Squash merges …`, `Rebase merges …`).
//! - **Rulesets** ("Available rules for rulesets"), from GitHub's ruleset JSON (REST or
//!   [`FakeGitHub::add_ruleset`]); `active` ones on branches matching `conditions.ref_name`
//!   (`refs/heads/<fnmatch>`, `~DEFAULT_BRANCH`, `~ALL`; `*` stays within a path segment).
//!   For actors not in `bypass_actors` (`Integration` by [`FakeGitHub::app_id`], `Team` by
//!   [`FakeGitHub::set_team`], `OrganizationAdmin`/`RepositoryRole` = [`ADMIN_LOGIN`]):
//!   `pull_request` refuses direct updates (`git/update-ref`, 422 `Repository rule violations
//!   found`) and makes merges need N approvals (the latest approve/request-changes review per
//!   reviewer; stale ones dismissed when `dismiss_stale_reviews_on_push`) and, with
//!   `require_code_owner_review`, an approval by an owner of each changed file (CODEOWNERS
//!   from the base: `.github/`, root, `docs/`; last matching line wins; `@org/team` expands
//!   to the team's members); `required_status_checks` makes merges need each context's latest
//!   status (or check run) `success` on the head; `non_fast_forward` refuses a non-fast-forward
//!   update even with `force: true`; `update`, `deletion`, `creation` refuse those. Unmet merge
//!   requirements are 405. GitHub's exact wording of each REST violation line is partly
//!   unknown; the fake's lines are noted in `rules.rs`. Test-API pushes are not subject to
//!   rules (they stand for the test's own hand).
//! - **Reviews** ("Create a review for a pull request"): an author cannot approve or request
//!   changes on their own pull request (422); `REQUEST_CHANGES` and `COMMENT` need a body.
//! - **Events** ("Events that trigger workflows", "Triggering a workflow from a workflow"):
//!   `push` for every branch move (API, merges, test pushes), `pull_request` (`opened`,
//!   `synchronize`, `closed` with `merged`, `reopened`), `pull_request_review`, `status`,
//!   `workflow_dispatch`, `repository_dispatch`, each with its actor; those caused by a
//!   `GITHUB_TOKEN` start no workflow ([`Event::triggers_workflows`] false) except the two
//!   dispatches. See [`FakeGitHub::events`].
//! - **Secondary rate limits** ("About secondary rate limits"): per actor, 80 writes a
//!   minute, 500 an hour, 900 points a minute (`GET` 1, writes 5), on a clock that runs with
//!   real time plus [`FakeGitHub::advance_clock`]; over it, 403 `You have exceeded a secondary
//!   rate limit…` with `retry-after`. Raise with [`FakeGitHub::set_secondary_rate_limits`].
//! - Unknown paths, repositories and objects answer 404 `{"message":"Not Found", …}`.
//! - Semantic errors answer GitHub's statuses and messages: 422 `Update is not a fast forward`,
//!   422 `Reference already exists`, 422 when a pull request for the same head and base is open,
//!   409 when a merge's `sha` is not the head any more, 405 when a pull request cannot be merged.
//! - A pull request whose head commit reaches its base branch by a push or a ref update
//!   (`git/update-ref`, `git/create-ref`, [`FakeGitHub::push_files`], [`FakeGitHub::set_branch`],
//!   [`Fault::ConcurrentPush`]) is marked merged and closed, its `merge_commit_sha` the head
//!   commit, as GitHub does for pull requests merged outside the merge button (GitHub does it
//!   shortly after the push; the fake at once).
//! - Responses carry the `x-ratelimit-*`, `x-github-request-id` headers and `Link` pagination
//!   (`per_page`, `page`) on lists.
//!
//! # Kill points
//! Writes (`POST`, `PUT`, `PATCH`, `DELETE`) are listed by [`FakeGitHub::writes`].
//! [`FakeGitHub::after_write`] holds the answer of the `n`th write once it is applied, so a test
//! can kill the client there; [`FakeGitHub::gate_writes`] lets a test decide before each write
//! whether it is applied at all (and hold it meanwhile). No sleeps: the cut is at an exact write.
//!
//! Route names are the OpenAPI `operationId`s (see [`ROUTES`]); the shapes of the responses are
//! checked against GitHub's OpenAPI description by Prism in `tests/fake.rs`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The modules' uses form a DAG, bottom up: `fault`, `records`, `reply`, `tarball`, `limits` and
// `git` (libgit2 and wo_git::tree) and `writes` use none of the others; `auth` the replies;
// `routes` the replies, `request` both and auth; `state` git, the records and rules; `render` the
// state (`rules` renders ids and times with it); `events` render and git; each `handlers::*` module the layers below
// it and never `handlers` itself, which only dispatches; `server` the handlers; `github` (the
// handle tests hold) the server.
mod auth;
mod events;
mod fault;
mod git;
mod github;
mod handlers;
mod limits;
mod records;
mod render;
mod reply;
mod request;
mod routes;
mod rules;
mod server;
mod state;
mod tarball;
mod writes;

pub use auth::{Access, Actor, Permission, Repositories, TokenSpec, ADMIN_LOGIN};
pub use fault::Fault;
pub use github::FakeGitHub;
pub use limits::SecondaryRateLimits;
pub use records::{
    CheckRunRecord, CommitStatus, DispatchedEvent, Event, IssueComment, PullRequest,
    WorkflowDispatch,
};
pub use routes::ROUTES;
pub use writes::Write;
