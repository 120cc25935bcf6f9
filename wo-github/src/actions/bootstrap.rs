//! `wo init github --apply`: sets up the six repositories of a platform and one app over the
//! API, idempotently — the workflow files on the branches they run from, the rulesets that
//! protect the env branches, the merge methods, the environments with required reviewers and
//! the Actions variables the workflows read.
//!
//! [`plan`] reads what exists and compares it with what [`BootstrapOptions`] asks for; the
//! [`Plan`] lists one [`Item`] per setting (create, update or unchanged) and
//! [`Plan::apply`] sends only the writes of the items that differ, so a second run sends none.
//!
//! | what | where | how it is compared |
//! |---|---|---|
//! | workflow files (from [`super::workflows`]) and `.github/CODEOWNERS` | env branches of the gitops and config repos; the source repos' main branch | blob ids of the files under `.github/`; a missing branch is created from the default branch with the files, in one commit |
//! | ruleset `wo env branches` | gitops and config repos | the JSON wo sends, key by key, against GitHub's |
//! | merge methods | all six | `allow_merge_commit`, `allow_squash_merge`, `allow_rebase_merge` |
//! | environments with required reviewers | the source repos (app and control plane) | the reviewers (type, id) and `prevent_self_review` |
//! | Actions variables | `WO_APP_ID` on all six; the Azure and registry ones given on the source repos; `WO_APPS` on the platform config repo | by value; `WO_APPS` is merged (the apps set up before stay) |
//!
//! Writes go in this order: environments, merge methods, variables, branches, rulesets — the
//! writes that need `administration: write` first, so a token without it fails before
//! anything is written, and the rulesets last, so the branch writes are not refused by them.
//! Secrets are never written: [`Plan::secret_commands`] prints the `gh secret set` commands.
//!
//! A branch that an existing ruleset protects from the token (it is not the bypass actor, as
//! an owner's token is not) gets its changed files through a pull request from
//! `wo-init/<branch>` ([`UPDATE_BRANCH_PREFIX`]); while that waits for review the branch is
//! reported unchanged.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde_json::{json, Value};
use wo_core::error::{Error, Location, Result};

use super::workflows::{workflows, InitOptions};
use crate::client::{GitHub, NewTreeEntry, RepoId, RepositorySettings};
use crate::repos::git_blob_sha;

/// The name of the ruleset wo keeps on the gitops and config repositories.
pub const RULESET_NAME: &str = "wo env branches";

/// Where a change to the workflow files of a protected env branch waits for its review: the
/// pull request `wo-init/<branch>` → `<branch>`.
pub const UPDATE_BRANCH_PREFIX: &str = "wo-init/";

/// The status the gitops env branches require (set by wo's policy check on each pull request).
pub const POLICY_CHECK: &str = "wo/policy";

/// The platform config repo's variable listing the apps' source repositories (a JSON array),
/// read by its notify-on-config-change workflow.
pub const APPS_VARIABLE: &str = "WO_APPS";

/// The variables of the source repositories wo's workflows read besides `WO_APP_ID`.
pub const SOURCE_VARIABLES: [&str; 5] = [
    "WO_RESOURCE_GROUP",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_SUBSCRIPTION_ID",
    "WO_REGISTRY",
];

/// Which merge methods the repositories allow (GitHub requires one at least).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeMethods {
    /// Merge commits.
    pub merge: bool,
    /// Squash merges.
    pub squash: bool,
    /// Rebase merges.
    pub rebase: bool,
}

impl Default for MergeMethods {
    /// All three: wo accepts any.
    fn default() -> Self {
        Self {
            merge: true,
            squash: true,
            rebase: true,
        }
    }
}

impl FromStr for MergeMethods {
    type Err = String;

    /// `merge,squash,rebase` (any non-empty subset).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let mut m = Self {
            merge: false,
            squash: false,
            rebase: false,
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "merge" => m.merge = true,
                "squash" => m.squash = true,
                "rebase" => m.rebase = true,
                other => {
                    return Err(format!(
                        "`{other}` is not a merge method: use merge, squash, rebase"
                    ))
                }
            }
        }
        if !(m.merge || m.squash || m.rebase) {
            return Err("name at least one merge method: merge, squash, rebase".into());
        }
        Ok(m)
    }
}

/// A required reviewer of a protected environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reviewer {
    /// A user by login (`GET /users/{login}` gives the id).
    User(String),
    /// A team `@org/slug` (`GET /orgs/{org}/teams/{slug}` gives the id).
    Team {
        /// The organisation.
        org: String,
        /// The team's slug.
        slug: String,
    },
    /// A user by id (`user:123`), not looked up.
    UserId(u64),
    /// A team by id (`team:123`), not looked up.
    TeamId(u64),
}

impl FromStr for Reviewer {
    type Err = String;

    /// `@org/team`, `@user` or `user`, `team:<id>`, `user:<id>`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let ok = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        let id = |p: &str| {
            p.parse::<u64>()
                .map_err(|_| format!("`{s}`: `{p}` is not a numeric id"))
        };
        if let Some(n) = s.strip_prefix("team:") {
            return Ok(Self::TeamId(id(n)?));
        }
        if let Some(n) = s.strip_prefix("user:") {
            return Ok(Self::UserId(id(n)?));
        }
        let name = s.strip_prefix('@').unwrap_or(s);
        match name.split_once('/') {
            Some((org, slug)) if ok(org) && ok(slug) => Ok(Self::Team {
                org: org.into(),
                slug: slug.into(),
            }),
            None if ok(name) => Ok(Self::User(name.into())),
            _ => Err(format!(
                "`{s}` is not a reviewer: write @org/team, a user's login, team:<id> or user:<id>"
            )),
        }
    }
}

/// What `wo init github --apply` sets up, beyond the workflows' [`InitOptions`].
#[derive(Debug, Clone)]
pub struct BootstrapOptions {
    /// The repositories, environments and workflow options.
    pub init: InitOptions,
    /// The wo GitHub App's id: the one bypass actor of the rulesets, and `vars.WO_APP_ID`.
    pub app_id: u64,
    /// Approvals a pull request into an env branch needs.
    pub approvals: u32,
    /// The code owners of the gitops and config env branches (`@org/team`, `@user`), written
    /// to `.github/CODEOWNERS`; their review is required. Empty: no CODEOWNERS file, no code
    /// owner review.
    pub codeowners: Vec<String>,
    /// The merge methods all six repositories allow.
    pub merge_methods: MergeMethods,
    /// The environments of the source repos whose deploys wait for a reviewer.
    pub protect: Vec<String>,
    /// Their reviewers (GitHub allows six).
    pub reviewers: Vec<Reviewer>,
    /// Variables of the source repos by name (of [`SOURCE_VARIABLES`]); one not given is
    /// left as it is.
    pub variables: BTreeMap<String, String>,
}

impl BootstrapOptions {
    /// Options for `init` with the wo App `app_id`: one approval, no code owners, all merge
    /// methods, no protected environment, no variables but `WO_APP_ID`.
    pub fn new(init: InitOptions, app_id: u64) -> Self {
        Self {
            init,
            app_id,
            approvals: 1,
            codeowners: Vec::new(),
            merge_methods: MergeMethods::default(),
            protect: Vec::new(),
            reviewers: Vec::new(),
            variables: BTreeMap::new(),
        }
    }

    /// Checks the options: the workflows' ([`InitOptions::validate`]), code owners written
    /// `@org/team` or `@user`, protected environments among the environments and with
    /// reviewers (at most six), variable names of [`SOURCE_VARIABLES`], an App id.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the option.
    pub fn validate(&self) -> Result<()> {
        self.init.validate()?;
        let bad = |key: &str, m: String| {
            Err(Error::invalid(
                Location::file("<init options>").with_key(key),
                m,
            ))
        };
        if self.app_id == 0 {
            return bad(
                "appId",
                "the wo GitHub App's id is needed (--app-id, or --app-slug to look it up)".into(),
            );
        }
        for c in &self.codeowners {
            let name = c.strip_prefix('@').unwrap_or_default();
            let ok = !name.is_empty()
                && name.split('/').count() <= 2
                && name.split('/').all(|p| {
                    !p.is_empty()
                        && p.chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                });
            if !ok {
                return bad(
                    "codeowners",
                    format!("`{c}` is not a code owner: write @org/team or @user"),
                );
            }
        }
        for e in &self.protect {
            if !self.init.environments.contains(e) {
                return bad(
                    "protect",
                    format!(
                        "`{e}` is not one of the environments {:?}",
                        self.init.environments
                    ),
                );
            }
        }
        if !self.protect.is_empty() && self.reviewers.is_empty() {
            return bad("reviewers", format!(
                "protecting {} needs its reviewers: give --reviewers @org/team,user (or --protect none)",
                self.protect.join(", ")
            ));
        }
        if self.reviewers.len() > 6 {
            return bad(
                "reviewers",
                "GitHub allows at most six required reviewers".into(),
            );
        }
        for name in self.variables.keys() {
            if !SOURCE_VARIABLES.contains(&name.as_str()) {
                return bad(
                    "variables",
                    format!("wo does not manage the variable {name}: {SOURCE_VARIABLES:?}"),
                );
            }
        }
        Ok(())
    }

    fn repo(&self, name: &str) -> RepoId {
        RepoId::new(&self.init.owner, name)
    }
}

/// What applying an item does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// It does not exist yet.
    Create,
    /// It exists and differs.
    Update,
    /// It is as asked: nothing is sent.
    Unchanged,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Change::Create => "create",
            Change::Update => "update",
            Change::Unchanged => "unchanged",
        })
    }
}

/// One setting of one repository.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    /// `owner/name`.
    pub repository: String,
    /// What: `branch dev`, `ruleset wo env branches`, `merge methods`, `environment prod`,
    /// `variable WO_APP_ID`.
    pub item: String,
    /// What applying does.
    pub change: Change,
    /// Which files, rules or values (never a secret).
    pub detail: String,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<9} {} {}", self.change, self.repository, self.item)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// A write an item needs.
#[derive(Debug, Clone)]
enum Write {
    Environment(RepoId, String, Value),
    Settings(RepoId, RepositorySettings),
    Variable {
        repo: RepoId,
        name: String,
        value: String,
        exists: bool,
    },
    Branch {
        repo: RepoId,
        branch: String,
        /// The commit the new commit follows: the branch's head, or the default branch's head
        /// for a new branch.
        parent: String,
        parent_tree: String,
        exists: bool,
        files: Vec<(String, String)>,
        /// The branch's rules refuse this token a direct update: the commit goes to
        /// `wo-init/<branch>` and a pull request into the branch.
        via_pull: bool,
    },
    Ruleset(RepoId, Option<u64>, Value),
}

impl Write {
    /// Writes that need `administration: write` first, rulesets last.
    fn phase(&self) -> u8 {
        match self {
            Write::Environment(..) => 0,
            Write::Settings(..) => 1,
            Write::Variable { .. } => 2,
            Write::Branch { .. } => 3,
            Write::Ruleset(..) => 4,
        }
    }
}

/// What [`plan`] found: one item per setting, and the writes of those that differ.
#[derive(Debug, Clone)]
pub struct Plan {
    items: Vec<Item>,
    writes: Vec<Write>,
    owner: String,
    repositories: Vec<String>,
}

impl Plan {
    /// Every item, repository by repository.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Whether applying would write anything.
    pub fn is_unchanged(&self) -> bool {
        self.writes.is_empty()
    }

    /// The commands that store the one secret the workflows need, the App's private key, in
    /// the six repositories (wo never writes secrets).
    pub fn secret_commands(&self) -> Vec<String> {
        vec![format!(
            "gh secret set WO_APP_PRIVATE_KEY --org {} --visibility selected --repos {} < <app>.private-key.pem",
            self.owner,
            self.repositories.join(",")
        )]
    }

    /// Sends the writes, environments and repository settings first, rulesets last.
    ///
    /// # Errors
    /// The first refused write, naming the repository and what was written
    /// (`PermissionDenied` naming the permission the token lacks); the writes before it stay
    /// applied and a second run completes the rest.
    pub async fn apply(&self, gh: &GitHub) -> Result<()> {
        let mut writes: Vec<&Write> = self.writes.iter().collect();
        writes.sort_by_key(|w| w.phase());
        for w in writes {
            apply_one(gh, w).await?;
        }
        Ok(())
    }
}

async fn apply_one(gh: &GitHub, w: &Write) -> Result<()> {
    match w {
        Write::Environment(repo, name, body) => {
            gh.put_environment(repo, name, body).await.map(drop)
        }
        Write::Settings(repo, s) => gh.update_repository(repo, s).await.map(drop),
        Write::Variable {
            repo,
            name,
            value,
            exists,
        } => {
            if *exists {
                gh.update_variable(repo, name, value).await
            } else {
                gh.create_variable(repo, name, value).await
            }
        }
        Write::Branch {
            repo,
            branch,
            parent,
            parent_tree,
            exists,
            files,
            via_pull,
        } => {
            let entries: Vec<NewTreeEntry> = files
                .iter()
                .map(|(p, c)| NewTreeEntry::text(p.clone(), c.clone()))
                .collect();
            let tree = gh.create_tree(repo, Some(parent_tree), &entries).await?;
            let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
            let message = format!(
                "wo init github: {}\n\nWritten by `wo init github --apply` (wo {}).",
                paths.join(", "),
                env!("CARGO_PKG_VERSION")
            );
            let commit = gh
                .create_commit(repo, &message, &tree.sha, std::slice::from_ref(parent))
                .await?;
            if *via_pull {
                return pull_request(gh, repo, branch, &commit.sha, &paths).await;
            }
            let result = if *exists {
                gh.update_ref(repo, &format!("heads/{branch}"), &commit.sha)
                    .await
                    .map(drop)
            } else {
                gh.create_ref(repo, &format!("refs/heads/{branch}"), &commit.sha)
                    .await
                    .map(drop)
            };
            result.map_err(|e| match e {
                Error::Unsupported { .. } | Error::Rejected { .. } => Error::precondition(format!(
                    "branch {branch} of {repo}: its rules refused the update of the workflow files ({e}); \
                     run `wo init github --apply` with the wo App's token (the rulesets' bypass actor), \
                     or merge the change through a pull request"
                )),
                other => other,
            })
        }
        Write::Ruleset(repo, Some(id), body) => gh.update_ruleset(repo, *id, body).await.map(drop),
        Write::Ruleset(repo, None, body) => gh.create_ruleset(repo, body).await.map(drop),
    }
}

/// Puts `commit` on `wo-init/<branch>` and opens a pull request into `branch` unless one is
/// open already (it then shows the new commit).
async fn pull_request(
    gh: &GitHub,
    repo: &RepoId,
    branch: &str,
    commit: &str,
    paths: &[&str],
) -> Result<()> {
    let head = format!("{UPDATE_BRANCH_PREFIX}{branch}");
    match gh.get_ref(repo, &format!("heads/{head}")).await? {
        Some(_) => gh
            .reset_ref(repo, &format!("heads/{head}"), commit)
            .await
            .map(drop)?,
        None => gh
            .create_ref(repo, &format!("refs/heads/{head}"), commit)
            .await
            .map(drop)?,
    }
    let open = gh
        .list_pulls(
            repo,
            &crate::client::PullFilter {
                state: Some("open".into()),
                head: Some(format!("{}:{head}", repo.owner)),
                base: Some(branch.to_owned()),
            },
        )
        .await?;
    if open.is_empty() {
        gh.create_pull(
            repo,
            &crate::client::NewPullRequest {
                title: format!("wo init github: update the workflow files of {branch}"),
                head,
                base: branch.to_owned(),
                body: format!(
                    "Written by `wo init github --apply`: the rules of `{branch}` refuse a direct \
                     update by the token it ran with, so the change waits here for its review.\n\n{}",
                    paths.iter().map(|p| format!("- `{p}`\n")).collect::<String>()
                ),
            },
        )
        .await?;
    }
    Ok(())
}

/// Whether `want` is contained in `have`: every key of an object with a contained value,
/// arrays of the same length element by element, other values equal. GitHub adds fields of
/// its own to what it answers; they do not make a difference.
fn contained(want: &Value, have: &Value) -> bool {
    match (want, have) {
        (Value::Object(w), Value::Object(h)) => w
            .iter()
            .all(|(k, v)| h.get(k).is_some_and(|hv| contained(v, hv))),
        (Value::Array(w), Value::Array(h)) => {
            w.len() == h.len() && w.iter().zip(h).all(|(a, b)| contained(a, b))
        }
        _ => want == have,
    }
}

/// Reads the six repositories and compares them with `opts`.
///
/// # Errors
/// Invalid options ([`BootstrapOptions::validate`]); a repository that does not exist or the
/// token cannot read (`PermissionDenied`/`NotFound` naming it); a reviewer or App that cannot
/// be looked up; `WO_APPS` holding something other than a JSON array of names.
pub async fn plan(gh: &GitHub, opts: &BootstrapOptions) -> Result<Plan> {
    opts.validate()?;
    let init = &opts.init;
    let files = workflows(init)?;
    let app = &init.app;
    let platform = &init.platform;
    let env_branch_repos = [&app.gitops, &app.config, &platform.gitops, &platform.config];
    let source_repos = [&app.source, &platform.source];
    let all: Vec<&String> = [
        &app.source,
        &app.config,
        &app.gitops,
        &platform.source,
        &platform.config,
        &platform.gitops,
    ]
    .into_iter()
    .collect();

    let reviewers = resolve_reviewers(gh, &opts.reviewers).await?;
    let mut plan = Plan {
        items: Vec::new(),
        writes: Vec::new(),
        owner: init.owner.clone(),
        repositories: all.iter().map(|r| (*r).clone()).collect(),
    };
    for name in all {
        let repo = opts.repo(name);
        let (info, merge) = gh.repository_with_settings(&repo).await?;
        let gated = env_branch_repos.contains(&name);
        let is_source = source_repos.contains(&name);

        // Environments with required reviewers (source repos).
        if is_source {
            for env in &opts.protect {
                environment_item(gh, &mut plan, &repo, env, &reviewers).await?;
            }
        }

        // Merge methods.
        let want = opts.merge_methods;
        let have = (
            merge.allow_merge_commit,
            merge.allow_squash_merge,
            merge.allow_rebase_merge,
        );
        let differs = have != (want.merge, want.squash, want.rebase);
        let allowed: Vec<&str> = [
            ("merge", want.merge),
            ("squash", want.squash),
            ("rebase", want.rebase),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect();
        plan.push(
            &repo,
            "merge methods".into(),
            if differs {
                Change::Update
            } else {
                Change::Unchanged
            },
            allowed.join(", "),
            differs.then(|| {
                Write::Settings(
                    repo.clone(),
                    RepositorySettings {
                        allow_merge_commit: Some(want.merge),
                        allow_squash_merge: Some(want.squash),
                        allow_rebase_merge: Some(want.rebase),
                    },
                )
            }),
        );

        // Variables.
        let existing: BTreeMap<String, String> = gh
            .variables(&repo)
            .await?
            .into_iter()
            .map(|v| (v.name.to_ascii_uppercase(), v.value))
            .collect();
        let mut wanted: BTreeMap<String, String> = BTreeMap::new();
        wanted.insert("WO_APP_ID".into(), opts.app_id.to_string());
        if is_source {
            wanted.extend(opts.variables.clone());
        }
        if *name == platform.config {
            wanted.insert(
                APPS_VARIABLE.into(),
                merged_apps(&repo, existing.get(APPS_VARIABLE), &app.source)?,
            );
        }
        for (var, value) in wanted {
            let have = existing.get(&var);
            let change = match have {
                None => Change::Create,
                Some(v) if *v == value => Change::Unchanged,
                Some(_) => Change::Update,
            };
            let write = (change != Change::Unchanged).then(|| Write::Variable {
                repo: repo.clone(),
                name: var.clone(),
                value: value.clone(),
                exists: have.is_some(),
            });
            plan.push(&repo, format!("variable {var}"), change, value, write);
        }

        // Branches and their files.
        let mut want_files: Vec<(String, String)> = files
            .iter()
            .filter_map(|(p, y)| {
                p.strip_prefix(&format!("{name}/"))
                    .map(|rel| (rel.to_owned(), y.clone()))
            })
            .collect();
        if gated && !opts.codeowners.is_empty() {
            want_files.push((
                ".github/CODEOWNERS".into(),
                codeowners_file(&opts.codeowners),
            ));
        }
        want_files.sort();
        let branches: Vec<&String> = if gated {
            init.environments.iter().collect()
        } else {
            vec![&init.main_branch]
        };
        // The ruleset of the env branches, read first: the branches it already protects
        // from this token get their files through a pull request. Its item is listed last.
        let (protected, ruleset_line) = if gated {
            let gitops = *name == app.gitops || *name == platform.gitops;
            let body = ruleset(opts, gitops);
            let protected = ruleset_item(gh, &mut plan, &repo, body).await?;
            (protected, plan.items.pop())
        } else {
            (Vec::new(), None)
        };
        let mut default_head: Option<(String, String)> = None;
        for branch in branches {
            branch_item(
                gh,
                &mut plan,
                &repo,
                &info.default_branch,
                &mut default_head,
                branch,
                &want_files,
                protected.contains(branch),
            )
            .await?;
        }
        plan.items.extend(ruleset_line);
    }
    Ok(plan)
}

impl Plan {
    fn push(
        &mut self,
        repo: &RepoId,
        item: String,
        change: Change,
        detail: String,
        write: Option<Write>,
    ) {
        self.items.push(Item {
            repository: repo.to_string(),
            item,
            change,
            detail,
        });
        self.writes.extend(write);
    }
}

/// `WO_APPS` with `app` added: the sorted, de-duplicated JSON array.
fn merged_apps(repo: &RepoId, existing: Option<&String>, app: &str) -> Result<String> {
    let mut apps: BTreeSet<String> = BTreeSet::new();
    if let Some(text) = existing {
        let list: Vec<String> = serde_json::from_str(text).map_err(|e| {
            Error::invalid(
                Location::file(format!("variable {APPS_VARIABLE} of {repo}")),
                format!(
                    "it is not a JSON array of repository names ({e}); fix it (`gh variable set {APPS_VARIABLE} --repo {repo} --body '[\"{app}\"]'`) and run again"
                ),
            )
        })?;
        if let Some(bad) = list
            .iter()
            .find(|n| RepoId::parse(&format!("o/{n}")).is_err())
        {
            return Err(Error::invalid(
                Location::file(format!("variable {APPS_VARIABLE} of {repo}")),
                format!(
                    "{:?} is not a repository name (letters, digits, - _ .); fix the variable and run again",
                    bad
                ),
            ));
        }
        apps.extend(list);
    }
    apps.insert(app.to_owned());
    Ok(serde_json::to_string(&apps).unwrap_or_default())
}

fn codeowners_file(owners: &[String]) -> String {
    format!(
        "# Written by `wo init github --apply`: every change to an env branch needs a review by\n\
         # one of these owners.\n* {}\n",
        owners.join(" ")
    )
}

fn ruleset(opts: &BootstrapOptions, gitops: bool) -> Value {
    let include: Vec<String> = opts
        .init
        .environments
        .iter()
        .map(|e| format!("refs/heads/{e}"))
        .collect();
    let mut rules = vec![
        json!({ "type": "deletion" }),
        json!({ "type": "non_fast_forward" }),
        json!({
            "type": "pull_request",
            "parameters": {
                "required_approving_review_count": opts.approvals,
                "require_code_owner_review": !opts.codeowners.is_empty(),
                "dismiss_stale_reviews_on_push": true,
                "require_last_push_approval": false,
                "required_review_thread_resolution": false,
            },
        }),
    ];
    if gitops {
        rules.push(json!({
            "type": "required_status_checks",
            "parameters": {
                "strict_required_status_checks_policy": false,
                "required_status_checks": [{ "context": POLICY_CHECK }],
            },
        }));
    }
    json!({
        "name": RULESET_NAME,
        "target": "branch",
        "enforcement": "active",
        "conditions": { "ref_name": { "include": include, "exclude": [] } },
        "rules": rules,
        "bypass_actors": [
            { "actor_id": opts.app_id, "actor_type": "Integration", "bypass_mode": "always" }
        ],
    })
}

/// The ruleset's item; answers the branches an existing active ruleset keeps this token from
/// updating directly (it is not a bypass actor).
async fn ruleset_item(
    gh: &GitHub,
    plan: &mut Plan,
    repo: &RepoId,
    body: Value,
) -> Result<Vec<String>> {
    let found = gh
        .rulesets(repo)
        .await?
        .into_iter()
        .find(|r| r["name"].as_str() == Some(RULESET_NAME));
    let detail = ruleset_detail(&body);
    let item = format!("ruleset {RULESET_NAME}");
    let mut protected = Vec::new();
    match found.and_then(|r| r["id"].as_u64()) {
        None => plan.push(
            repo,
            item,
            Change::Create,
            detail,
            Some(Write::Ruleset(repo.clone(), None, body)),
        ),
        Some(id) => {
            let have = gh.ruleset(repo, id).await?;
            if have["enforcement"] == "active" && have["current_user_can_bypass"] != "always" {
                protected = have["conditions"]["ref_name"]["include"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter_map(|r| r.strip_prefix("refs/heads/"))
                    .map(str::to_owned)
                    .collect();
            }
            let same = [
                "target",
                "enforcement",
                "conditions",
                "rules",
                "bypass_actors",
            ]
            .iter()
            .all(|k| contained(&body[*k], &have[*k]));
            if same {
                plan.push(repo, item, Change::Unchanged, detail, None);
            } else {
                plan.push(
                    repo,
                    item,
                    Change::Update,
                    detail,
                    Some(Write::Ruleset(repo.clone(), Some(id), body)),
                );
            }
        }
    }
    Ok(protected)
}

fn ruleset_detail(body: &Value) -> String {
    let branches: Vec<&str> = body["conditions"]["ref_name"]["include"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|b| b.trim_start_matches("refs/heads/"))
        .collect();
    let rules: Vec<String> = body["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let p = &r["parameters"];
            match r["type"].as_str().unwrap_or_default() {
                "pull_request" => format!(
                    "pull request with {} approval(s){}",
                    p["required_approving_review_count"],
                    if p["require_code_owner_review"] == json!(true) {
                        " and code owners"
                    } else {
                        ""
                    }
                ),
                "required_status_checks" => format!(
                    "status {}",
                    p["required_status_checks"][0]["context"]
                        .as_str()
                        .unwrap_or_default()
                ),
                "non_fast_forward" => "no force push".into(),
                "deletion" => "no deletion".into(),
                other => other.to_owned(),
            }
        })
        .collect();
    format!(
        "{} ({}; bypass: App {})",
        branches.join(", "),
        rules.join(", "),
        body["bypass_actors"][0]["actor_id"]
    )
}

#[allow(clippy::too_many_arguments)]
async fn branch_item(
    gh: &GitHub,
    plan: &mut Plan,
    repo: &RepoId,
    default_branch: &str,
    default_head: &mut Option<(String, String)>,
    branch: &str,
    files: &[(String, String)],
    protected: bool,
) -> Result<()> {
    let paths = |fs: &[(String, String)]| {
        fs.iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let item = format!("branch {branch}");
    match gh.get_ref(repo, &format!("heads/{branch}")).await? {
        Some(r) => {
            let commit = gh.get_commit(repo, &r.object.sha).await?;
            let have = github_dir_blobs(gh, repo, &commit.tree.sha).await?;
            let differ: Vec<(String, String)> = files
                .iter()
                .filter(|(p, c)| have.get(p.as_str()) != Some(&git_blob_sha(c.as_bytes())))
                .cloned()
                .collect();
            if differ.is_empty() {
                plan.push(repo, item, Change::Unchanged, paths(files), None);
            } else if protected && pending(gh, repo, branch, &commit.sha, files).await? {
                plan.push(
                    repo,
                    item,
                    Change::Unchanged,
                    format!(
                        "{} waiting in the pull request {UPDATE_BRANCH_PREFIX}{branch} → {branch}",
                        paths(&differ)
                    ),
                    None,
                );
            } else {
                plan.push(
                    repo,
                    item,
                    Change::Update,
                    if protected {
                        format!(
                            "{} (protected: through the pull request {UPDATE_BRANCH_PREFIX}{branch} → {branch})",
                            paths(&differ)
                        )
                    } else {
                        paths(&differ)
                    },
                    Some(Write::Branch {
                        repo: repo.clone(),
                        branch: branch.to_owned(),
                        parent: commit.sha,
                        parent_tree: commit.tree.sha,
                        exists: true,
                        files: differ,
                        via_pull: protected,
                    }),
                );
            }
        }
        None => {
            if default_head.is_none() {
                let r = gh
                    .get_ref(repo, &format!("heads/{default_branch}"))
                    .await?
                    .ok_or_else(|| {
                        Error::not_found(format!(
                            "default branch {default_branch} of GitHub repository {repo}: create the repository with a first commit (`gh repo create {repo} --private --add-readme`)"
                        ))
                    })?;
                let commit = gh.get_commit(repo, &r.object.sha).await?;
                *default_head = Some((commit.sha, commit.tree.sha));
            }
            let (parent, parent_tree) = default_head.clone().unwrap_or_default();
            plan.push(
                repo,
                item,
                Change::Create,
                format!("from {default_branch}, with {}", paths(files)),
                Some(Write::Branch {
                    repo: repo.clone(),
                    branch: branch.to_owned(),
                    parent,
                    parent_tree,
                    exists: false,
                    files: files.to_vec(),
                    via_pull: false,
                }),
            );
        }
    }
    Ok(())
}

/// Whether `wo-init/<branch>` already holds `files` on top of the branch's head `head`: the
/// change waits for its review and nothing needs writing.
async fn pending(
    gh: &GitHub,
    repo: &RepoId,
    branch: &str,
    head: &str,
    files: &[(String, String)],
) -> Result<bool> {
    let Some(r) = gh
        .get_ref(repo, &format!("heads/{UPDATE_BRANCH_PREFIX}{branch}"))
        .await?
    else {
        return Ok(false);
    };
    let commit = gh.get_commit(repo, &r.object.sha).await?;
    if commit.parents.first().map(|p| p.sha.as_str()) != Some(head) {
        return Ok(false);
    }
    let have = github_dir_blobs(gh, repo, &commit.tree.sha).await?;
    Ok(files
        .iter()
        .all(|(p, c)| have.get(p.as_str()) == Some(&git_blob_sha(c.as_bytes()))))
}

/// The blob ids of the files under `.github/` of tree `root`: path → sha.
async fn github_dir_blobs(
    gh: &GitHub,
    repo: &RepoId,
    root: &str,
) -> Result<BTreeMap<String, String>> {
    let top = gh.get_tree(repo, root, false).await?;
    let Some(dir) = top
        .tree
        .iter()
        .find(|e| e.path == ".github" && e.kind == "tree")
    else {
        return Ok(BTreeMap::new());
    };
    let listing = gh.get_tree(repo, &dir.sha, true).await?;
    Ok(listing
        .tree
        .into_iter()
        .filter(|e| e.kind == "blob")
        .map(|e| (format!(".github/{}", e.path), e.sha))
        .collect())
}

/// `(type, id)` of each reviewer, looked up by name where needed.
async fn resolve_reviewers(
    gh: &GitHub,
    reviewers: &[Reviewer],
) -> Result<Vec<(&'static str, u64)>> {
    let mut out = Vec::new();
    for r in reviewers {
        out.push(match r {
            Reviewer::UserId(id) => ("User", *id),
            Reviewer::TeamId(id) => ("Team", *id),
            Reviewer::User(login) => ("User", gh.user(login).await?.id),
            Reviewer::Team { org, slug } => ("Team", gh.team(org, slug).await?.id),
        });
    }
    Ok(out)
}

async fn environment_item(
    gh: &GitHub,
    plan: &mut Plan,
    repo: &RepoId,
    env: &str,
    reviewers: &[(&'static str, u64)],
) -> Result<()> {
    let body = json!({
        "reviewers": reviewers.iter().map(|(t, id)| json!({ "type": t, "id": id })).collect::<Vec<_>>(),
        "prevent_self_review": true,
    });
    let detail = format!(
        "required reviewers {}",
        reviewers
            .iter()
            .map(|(t, id)| format!("{t} {id}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let item = format!("environment {env}");
    let change = match gh.environment(repo, env).await? {
        None => Change::Create,
        Some(have) => {
            let rule = have["protection_rules"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["type"] == "required_reviewers");
            let have_set: BTreeSet<(String, u64)> = rule
                .and_then(|r| r["reviewers"].as_array())
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    Some((
                        r["type"].as_str()?.to_owned(),
                        r["reviewer"]["id"].as_u64()?,
                    ))
                })
                .collect();
            let want_set: BTreeSet<(String, u64)> = reviewers
                .iter()
                .map(|(t, id)| ((*t).to_owned(), *id))
                .collect();
            let self_review = rule.is_some_and(|r| r["prevent_self_review"] == json!(true));
            if have_set == want_set && self_review {
                Change::Unchanged
            } else {
                Change::Update
            }
        }
    };
    let write = (change != Change::Unchanged)
        .then(|| Write::Environment(repo.clone(), env.to_owned(), body));
    plan.push(repo, item, change, detail, write);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reviewers_and_merge_methods_parse() {
        assert_eq!(
            "@acme/ops".parse::<Reviewer>(),
            Ok(Reviewer::Team {
                org: "acme".into(),
                slug: "ops".into()
            })
        );
        assert_eq!(
            "alice".parse::<Reviewer>(),
            Ok(Reviewer::User("alice".into()))
        );
        assert_eq!("team:7".parse::<Reviewer>(), Ok(Reviewer::TeamId(7)));
        assert!("@a/b/c".parse::<Reviewer>().is_err());
        assert!("user:x".parse::<Reviewer>().is_err());
        let m: MergeMethods = "squash".parse().unwrap();
        assert_eq!((m.merge, m.squash, m.rebase), (false, true, false));
        assert!("".parse::<MergeMethods>().is_err());
        assert!("fast-forward".parse::<MergeMethods>().is_err());
    }

    #[test]
    fn github_extras_do_not_make_a_difference() {
        let want = json!({"a": [{"type": "x", "p": {"n": 1}}]});
        let have = json!({"a": [{"type": "x", "p": {"n": 1, "extra": true}}], "id": 3});
        assert!(contained(&want, &have));
        assert!(!contained(
            &json!({"a": [{"type": "x", "p": {"n": 2}}]}),
            &have
        ));
    }

    #[test]
    fn wo_apps_merges_and_refuses_garbage() {
        let repo = RepoId::new("acme", "platform-config");
        assert_eq!(
            merged_apps(&repo, None, "shop-source").unwrap(),
            "[\"shop-source\"]"
        );
        let shop = "[\"shop-source\"]".to_owned();
        assert_eq!(
            merged_apps(&repo, Some(&shop), "cart-source").unwrap(),
            "[\"cart-source\",\"shop-source\"]"
        );
        assert_eq!(
            merged_apps(&repo, Some(&shop), "shop-source").unwrap(),
            shop
        );
        let e = merged_apps(&repo, Some(&"shop".to_owned()), "x").unwrap_err();
        assert!(e.to_string().contains("platform-config"), "{e}");
        let e = merged_apps(&repo, Some(&"[\"../x\"]".to_owned()), "x").unwrap_err();
        assert!(e.to_string().contains("not a repository name"), "{e}");
    }
}
