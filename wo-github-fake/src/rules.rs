//! Repository rulesets on branches ("About rulesets", "Available rules for rulesets"): which
//! branch updates and merges they refuse, CODEOWNERS, and GitHub's ruleset JSON.
//!
//! GitHub's exact messages for rule violations answered over REST are not all documented;
//! the fake's begin with `Repository rule violations found` (what GitHub answers to a push
//! and to `git/update-ref`) and name the rule in GitHub's words where known.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::auth::{Actor, ADMIN_LOGIN};
use crate::reply::{error, unprocessable, Reply};

/// The App id GitHub Actions' `GITHUB_TOKEN` acts as (the `github-actions` App).
pub(crate) const GITHUB_ACTIONS_APP_ID: u64 = 15368;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rule {
    PullRequest {
        approvals: u64,
        code_owners: bool,
        dismiss_stale: bool,
    },
    StatusChecks(Vec<String>),
    NonFastForward,
    Update,
    Deletion,
    Creation,
}

#[derive(Debug, Clone)]
pub(crate) struct Ruleset {
    pub id: u64,
    pub name: String,
    pub enforcement: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub rules: Vec<Rule>,
    /// `(actor_type, actor_id)` of `bypass_actors`.
    pub bypass: Vec<(String, Option<u64>)>,
    /// The request's JSON parts as given (`conditions`, `rules`, `bypass_actors`).
    pub conditions: Value,
    pub rules_json: Value,
    pub bypass_json: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What the fake needs to know of the world to decide on a bypass.
pub(crate) struct Who<'a> {
    pub actor: &'a Actor,
    /// `(team id, members)` of every team.
    pub teams: &'a [(u64, Vec<String>)],
}

/// A stable App id for an App slug (the fake has no App registry).
pub(crate) fn app_id(slug: &str) -> u64 {
    crate::render::user_id(&format!("app:{slug}"))
}

impl Ruleset {
    /// Parses GitHub's ruleset JSON (the body of `POST …/rulesets`).
    pub fn parse(id: u64, body: &Value, now: i64) -> Result<Self, Reply> {
        let invalid = |m: &str| unprocessable(&format!("Invalid request.\n\n{m}"));
        let name = body["name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid("\"name\" wasn't supplied."))?
            .to_owned();
        match body.get("target").and_then(Value::as_str) {
            None | Some("branch") => {}
            Some(other) => {
                // GitHub also has tag and push rulesets; the fake enforces branch rulesets only.
                return Err(invalid(&format!(
                    "target {other:?}: the fake GitHub supports branch rulesets only"
                )));
            }
        }
        let enforcement = body["enforcement"]
            .as_str()
            .ok_or_else(|| invalid("\"enforcement\" wasn't supplied."))?;
        if !["active", "disabled", "evaluate"].contains(&enforcement) {
            return Err(invalid(&format!(
                "Value {enforcement:?} for \"enforcement\" is not a member of [\"disabled\", \"active\", \"evaluate\"]."
            )));
        }
        let list = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let conditions = body.get("conditions").cloned().unwrap_or(json!({}));
        let include = list(&conditions["ref_name"]["include"]);
        let exclude = list(&conditions["ref_name"]["exclude"]);
        let mut rules = Vec::new();
        let rules_json = body.get("rules").cloned().unwrap_or(json!([]));
        for r in rules_json.as_array().into_iter().flatten() {
            let p = &r["parameters"];
            rules.push(match r["type"].as_str().unwrap_or_default() {
                "pull_request" => Rule::PullRequest {
                    approvals: p["required_approving_review_count"].as_u64().unwrap_or(0),
                    code_owners: p["require_code_owner_review"].as_bool().unwrap_or(false),
                    dismiss_stale: p["dismiss_stale_reviews_on_push"]
                        .as_bool()
                        .unwrap_or(false),
                },
                "required_status_checks" => Rule::StatusChecks(
                    p["required_status_checks"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c["context"].as_str().map(str::to_owned))
                        .collect(),
                ),
                "non_fast_forward" => Rule::NonFastForward,
                "update" => Rule::Update,
                "deletion" => Rule::Deletion,
                "creation" => Rule::Creation,
                other => {
                    return Err(invalid(&format!(
                        "rule type {other:?}: the fake GitHub enforces pull_request, required_status_checks, non_fast_forward, update, deletion and creation only"
                    )))
                }
            });
        }
        let bypass_json = body.get("bypass_actors").cloned().unwrap_or(json!([]));
        let bypass = bypass_json
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| {
                (
                    b["actor_type"].as_str().unwrap_or_default().to_owned(),
                    b["actor_id"].as_u64(),
                )
            })
            .collect();
        Ok(Self {
            id,
            name,
            enforcement: enforcement.to_owned(),
            include,
            exclude,
            rules,
            bypass,
            conditions,
            rules_json,
            bypass_json,
            created_at: now,
            updated_at: now,
        })
    }

    fn applies(&self, branch: &str, default_branch: &str) -> bool {
        let matches = |pattern: &String| match pattern.as_str() {
            "~ALL" => true,
            "~DEFAULT_BRANCH" => branch == default_branch,
            p => glob(p.strip_prefix("refs/heads/").unwrap_or(p), branch),
        };
        self.enforcement == "active"
            && self.include.iter().any(matches)
            && !self.exclude.iter().any(matches)
    }

    fn bypassed_by(&self, who: &Who<'_>) -> bool {
        self.bypass
            .iter()
            .any(|(kind, id)| match (kind.as_str(), who.actor) {
                ("Integration", Actor::App { slug }) => *id == Some(app_id(slug)),
                ("Integration", Actor::GithubToken { .. }) => *id == Some(GITHUB_ACTIONS_APP_ID),
                ("Team", Actor::User { login }) => who
                    .teams
                    .iter()
                    .any(|(tid, members)| Some(*tid) == *id && members.contains(login)),
                ("OrganizationAdmin" | "RepositoryRole", Actor::User { login }) => {
                    login == ADMIN_LOGIN
                }
                _ => false,
            })
    }

    /// JSON as `repos/get-repo-ruleset` answers it.
    pub fn render(&self, base: &str, owner: &str, repo: &str, who: Option<&Who<'_>>) -> Value {
        let url = format!("{base}/repos/{owner}/{repo}/rulesets/{}", self.id);
        json!({
            "id": self.id,
            "name": self.name,
            "target": "branch",
            "source_type": "Repository",
            "source": format!("{owner}/{repo}"),
            "enforcement": self.enforcement,
            "bypass_actors": self.bypass_json,
            "current_user_can_bypass": if who.is_some_and(|w| self.bypassed_by(w)) { "always" } else { "never" },
            "node_id": crate::render::node_id("RRS", self.id),
            "_links": {
                "self": { "href": url },
                "html": { "href": format!("{base}/{owner}/{repo}/rules/{}", self.id) },
            },
            "conditions": self.conditions,
            "rules": self.rules_json,
            "created_at": crate::reply::iso8601(self.created_at),
            "updated_at": crate::reply::iso8601(self.updated_at),
        })
    }
}

/// GitHub's ruleset `fnmatch`: `*` matches within one path segment, `**` across segments,
/// `?` one character other than `/`.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p {
            [] => t.is_empty(),
            [b'*', b'*', rest @ ..] => (0..=t.len()).any(|i| go(rest, &t[i..])),
            [b'*', rest @ ..] => (0..=t.len())
                .take_while(|i| *i == 0 || t[i - 1] != b'/')
                .any(|i| go(rest, &t[i..])),
            [b'?', rest @ ..] => t.first().is_some_and(|c| *c != b'/') && go(rest, &t[1..]),
            [c, rest @ ..] => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// How a ref is about to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefChange {
    Create,
    Update { fast_forward: bool },
    Delete,
}

fn violation(lines: &[String]) -> Reply {
    let text: String = lines.iter().map(|l| format!("- {l}\n")).collect();
    unprocessable(&format!("Repository rule violations found\n\n{text}"))
}

/// Refuses a direct change of `branch` that a ruleset forbids to `who` (422, as GitHub
/// answers `git/update-ref`, `git/create-ref` and `git/delete-ref`).
pub(crate) fn check_ref_change(
    rulesets: &[Ruleset],
    default_branch: &str,
    who: &Who<'_>,
    branch: &str,
    change: RefChange,
) -> Result<(), Reply> {
    let mut lines = Vec::new();
    for rs in rulesets
        .iter()
        .filter(|r| r.applies(branch, default_branch) && !r.bypassed_by(who))
    {
        for rule in &rs.rules {
            let line = match (rule, change) {
                (Rule::PullRequest { .. }, RefChange::Update { .. }) => {
                    "Changes must be made through a pull request."
                }
                (Rule::StatusChecks(_), RefChange::Update { .. }) => {
                    "Required status checks must pass before changes can be pushed."
                }
                (
                    Rule::NonFastForward,
                    RefChange::Update {
                        fast_forward: false,
                    },
                ) => "Cannot force-push to this branch",
                (Rule::Update, RefChange::Update { .. }) => "Cannot update this protected ref.",
                (Rule::Deletion, RefChange::Delete) => "Cannot delete this branch",
                (Rule::Creation, RefChange::Create) => {
                    "Cannot create ref due to creations being restricted."
                }
                _ => continue,
            };
            if !lines.iter().any(|l| l == line) {
                lines.push(line.to_owned());
            }
        }
    }
    if lines.is_empty() {
        Ok(())
    } else {
        Err(violation(&lines))
    }
}

/// What a merge into a ruled branch must satisfy, gathered from the active rulesets.
pub(crate) struct MergeNeeds {
    pub update_forbidden: bool,
    pub approvals: u64,
    pub code_owners: bool,
    pub dismiss_stale: bool,
    pub contexts: Vec<String>,
}

pub(crate) fn merge_needs(
    rulesets: &[Ruleset],
    default_branch: &str,
    who: &Who<'_>,
    branch: &str,
) -> MergeNeeds {
    let mut needs = MergeNeeds {
        update_forbidden: false,
        approvals: 0,
        code_owners: false,
        dismiss_stale: false,
        contexts: Vec::new(),
    };
    for rs in rulesets
        .iter()
        .filter(|r| r.applies(branch, default_branch) && !r.bypassed_by(who))
    {
        for rule in &rs.rules {
            match rule {
                Rule::PullRequest {
                    approvals,
                    code_owners,
                    dismiss_stale,
                } => {
                    needs.approvals = needs.approvals.max(*approvals);
                    needs.code_owners |= code_owners;
                    needs.dismiss_stale |= dismiss_stale;
                }
                Rule::StatusChecks(c) => needs.contexts.extend(c.iter().cloned()),
                Rule::Update => needs.update_forbidden = true,
                _ => {}
            }
        }
    }
    needs
}

/// 405 refusing a merge (GitHub's `pulls/merge` answers 405 when a protection is unmet).
pub(crate) fn merge_refused(lines: &[String]) -> Reply {
    let text: String = lines.iter().map(|l| format!("- {l}\n")).collect();
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("Repository rule violations found\n\n{text}"),
    )
}

/// The owners of `path` by a CODEOWNERS file: the last matching line wins ("About code
/// owners"); `@org/team` owners are expanded to the team's members, emails are ignored.
pub(crate) fn code_owners(
    codeowners: &str,
    path: &str,
    team_members: &dyn Fn(&str) -> Vec<String>,
) -> Vec<String> {
    let mut owners = Vec::new();
    for line in codeowners.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        let mut words = line.split_whitespace();
        let Some(pattern) = words.next() else {
            continue;
        };
        if codeowners_match(pattern, path) {
            owners = words
                .filter_map(|w| w.strip_prefix('@'))
                .flat_map(|o| {
                    if o.contains('/') {
                        team_members(o)
                    } else {
                        vec![o.to_owned()]
                    }
                })
                .collect();
        }
    }
    owners
}

/// A CODEOWNERS (gitignore-style) pattern against a file path.
fn codeowners_match(pattern: &str, path: &str) -> bool {
    let dir_only = pattern.ends_with('/');
    let p = pattern.trim_end_matches('/');
    let anchored = p.starts_with('/') || p.contains('/');
    let p = p.trim_start_matches('/');
    if p.is_empty() {
        return false;
    }
    let segs: Vec<&str> = path.split('/').collect();
    let starts = if anchored { 0..1 } else { 0..segs.len() };
    for start in starts {
        for end in start + 1..=segs.len() {
            // A match on a leading part of the path names a directory holding the file.
            if end == segs.len() && dir_only {
                continue;
            }
            if glob(p, &segs[start..end].join("/")) {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_keeps_star_within_a_segment() {
        assert!(glob("wo/*", "wo/dev"));
        assert!(!glob("wo/*", "wo/dev/shop"));
        assert!(glob("wo/**", "wo/dev/shop"));
        assert!(glob("main", "main"));
        assert!(!glob("main", "main2"));
        assert!(glob("release-?", "release-1"));
    }

    #[test]
    fn the_last_matching_codeowners_line_wins() {
        let file = "* @alice\n/envs/ @bob @acme/ops\nenvs/prod.yaml @carol # prod\n";
        let teams = |t: &str| {
            if t == "acme/ops" {
                vec!["dave".to_owned()]
            } else {
                vec![]
            }
        };
        assert_eq!(code_owners(file, "README.md", &teams), ["alice"]);
        assert_eq!(code_owners(file, "envs/dev.yaml", &teams), ["bob", "dave"]);
        assert_eq!(code_owners(file, "envs/prod.yaml", &teams), ["carol"]);
        assert_eq!(code_owners("docs/ @x\n", "a/docs/b.md", &teams), ["x"]);
    }
}
