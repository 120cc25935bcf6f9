//! Which operation a request is. Routes are named by the spec's `operationId`, so tests count
//! requests and inject faults with the names the OpenAPI description uses.
//!
//! Path parameters that GitHub lets contain `/` (refs, file paths, `basehead`) are accepted both
//! literally (`git/ref/heads/main`, as the real API documents) and percent-encoded as one
//! segment (`git/ref/heads%2Fmain`, the only form Prism matches).

use axum::http::Method;

use crate::reply::percent_decode;

/// Every route the fake serves: the spec's operations and the fake's own download URLs.
pub const ROUTES: &[&str] = &[
    "repos/get",
    "git/get-ref",
    "git/create-ref",
    "git/update-ref",
    "git/delete-ref",
    "git/list-matching-refs",
    "git/create-commit",
    "git/get-commit",
    "git/get-tree",
    "git/create-tree",
    "git/create-blob",
    "git/get-blob",
    "repos/get-content",
    "repos/download-tarball-archive",
    "repos/compare-commits-with-basehead",
    "pulls/list",
    "pulls/create",
    "pulls/get",
    "pulls/update",
    "pulls/merge",
    "pulls/list-files",
    "issues/list-comments",
    "issues/create-comment",
    "issues/update-comment",
    "issues/add-labels",
    "repos/create-commit-status",
    "repos/get-combined-status-for-ref",
    "repos/list-commit-statuses-for-ref",
    "checks/create",
    "checks/update",
    "repos/create-dispatch-event",
    "actions/create-workflow-dispatch",
    "rate-limit/get",
    "repos/update",
    "repos/get-all-repository-rulesets",
    "repos/create-repo-ruleset",
    "repos/get-repo-ruleset",
    "repos/update-repo-ruleset",
    "repos/create-or-update-environment",
    "repos/get-environment",
    "actions/list-repo-variables",
    "actions/create-repo-variable",
    "actions/get-repo-variable",
    "actions/update-repo-variable",
    "pulls/create-review",
    "pulls/list-reviews",
    "repos/list-pull-requests-associated-with-commit",
    FAKE_TARBALL,
    FAKE_RAW,
];

/// The tarball a `repos/download-tarball-archive` redirect points at.
pub const FAKE_TARBALL: &str = "fake/tarball";
/// The `download_url` of a file from `repos/get-content`.
pub const FAKE_RAW: &str = "fake/raw";

/// A matched request: the operation and its path parameters.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub op: &'static str,
    pub owner: String,
    pub repo: String,
    /// The operation's remaining path parameter(s): a ref, a sha, a number, a file path.
    pub params: Vec<String>,
}

impl Route {
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map(String::as_str).unwrap_or("")
    }
}

/// Matches a method and raw path (still percent-encoded) to a route.
pub(crate) fn match_route(method: &Method, raw_path: &str) -> Option<Route> {
    let segments: Vec<String> = raw_path
        .trim_start_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let route = |op, owner: &str, repo: &str, params: Vec<String>| {
        Some(Route {
            op,
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            params,
        })
    };
    let m = method.as_str();
    match segs.as_slice() {
        ["rate_limit"] if m == "GET" => route("rate-limit/get", "", "", vec![]),
        ["_fake", "tarball", owner, repo, sha] if m == "GET" => {
            route(FAKE_TARBALL, owner, repo, vec![(*sha).to_owned()])
        }
        ["_fake", "raw", owner, repo, sha, path @ ..] if m == "GET" && !path.is_empty() => route(
            FAKE_RAW,
            owner,
            repo,
            vec![(*sha).to_owned(), path.join("/")],
        ),
        ["repos", owner, repo, rest @ ..] if !owner.is_empty() && !repo.is_empty() => {
            let (op, params) = match_repo_route(m, rest)?;
            route(op, owner, repo, params)
        }
        _ => None,
    }
}

fn match_repo_route(m: &str, rest: &[&str]) -> Option<(&'static str, Vec<String>)> {
    // A trailing slash names the same thing (and leaves no empty parameter behind).
    let rest = match rest {
        [init @ .., ""] => init,
        _ => rest,
    };
    let one = |s: &str| vec![s.to_owned()];
    let joined = |s: &[&str]| vec![s.join("/")];
    let op_params = match (m, rest) {
        ("GET", []) => ("repos/get", vec![]),
        ("PATCH", []) => ("repos/update", vec![]),
        ("GET", ["rulesets"]) => ("repos/get-all-repository-rulesets", vec![]),
        ("POST", ["rulesets"]) => ("repos/create-repo-ruleset", vec![]),
        ("GET", ["rulesets", id]) => ("repos/get-repo-ruleset", one(id)),
        ("PUT", ["rulesets", id]) => ("repos/update-repo-ruleset", one(id)),
        ("PUT", ["environments", e]) => ("repos/create-or-update-environment", one(e)),
        ("GET", ["environments", e]) => ("repos/get-environment", one(e)),
        ("GET", ["actions", "variables"]) => ("actions/list-repo-variables", vec![]),
        ("POST", ["actions", "variables"]) => ("actions/create-repo-variable", vec![]),
        ("GET", ["actions", "variables", v]) => ("actions/get-repo-variable", one(v)),
        ("PATCH", ["actions", "variables", v]) => ("actions/update-repo-variable", one(v)),
        ("POST", ["pulls", n, "reviews"]) => ("pulls/create-review", one(n)),
        ("GET", ["pulls", n, "reviews"]) => ("pulls/list-reviews", one(n)),
        ("GET", ["commits", sha, "pulls"]) => {
            ("repos/list-pull-requests-associated-with-commit", one(sha))
        }
        ("GET", ["git", "ref", r @ ..]) if !r.is_empty() => ("git/get-ref", joined(r)),
        ("POST", ["git", "refs"]) => ("git/create-ref", vec![]),
        ("PATCH", ["git", "refs", r @ ..]) if !r.is_empty() => ("git/update-ref", joined(r)),
        ("DELETE", ["git", "refs", r @ ..]) if !r.is_empty() => ("git/delete-ref", joined(r)),
        ("GET", ["git", "matching-refs", r @ ..]) => ("git/list-matching-refs", joined(r)),
        ("POST", ["git", "commits"]) => ("git/create-commit", vec![]),
        ("GET", ["git", "commits", sha]) => ("git/get-commit", one(sha)),
        ("POST", ["git", "trees"]) => ("git/create-tree", vec![]),
        ("GET", ["git", "trees", sha]) => ("git/get-tree", one(sha)),
        ("POST", ["git", "blobs"]) => ("git/create-blob", vec![]),
        ("GET", ["git", "blobs", sha]) => ("git/get-blob", one(sha)),
        ("GET", ["contents"]) => ("repos/get-content", one("")),
        ("GET", ["contents", p @ ..]) => ("repos/get-content", joined(p)),
        ("GET", ["tarball", r @ ..]) => ("repos/download-tarball-archive", joined(r)),
        ("GET", ["compare", bh @ ..]) if !bh.is_empty() => {
            ("repos/compare-commits-with-basehead", joined(bh))
        }
        ("GET", ["pulls"]) => ("pulls/list", vec![]),
        ("POST", ["pulls"]) => ("pulls/create", vec![]),
        ("GET", ["pulls", n]) => ("pulls/get", one(n)),
        ("PATCH", ["pulls", n]) => ("pulls/update", one(n)),
        ("PUT", ["pulls", n, "merge"]) => ("pulls/merge", one(n)),
        ("GET", ["pulls", n, "files"]) => ("pulls/list-files", one(n)),
        ("PATCH", ["issues", "comments", id]) => ("issues/update-comment", one(id)),
        ("GET", ["issues", n, "comments"]) => ("issues/list-comments", one(n)),
        ("POST", ["issues", n, "comments"]) => ("issues/create-comment", one(n)),
        ("POST", ["issues", n, "labels"]) => ("issues/add-labels", one(n)),
        ("POST", ["statuses", sha]) => ("repos/create-commit-status", one(sha)),
        ("GET", ["commits", r @ .., "status"]) if !r.is_empty() => {
            ("repos/get-combined-status-for-ref", joined(r))
        }
        ("GET", ["commits", r @ .., "statuses"]) if !r.is_empty() => {
            ("repos/list-commit-statuses-for-ref", joined(r))
        }
        ("POST", ["check-runs"]) => ("checks/create", vec![]),
        ("PATCH", ["check-runs", id]) => ("checks/update", one(id)),
        ("POST", ["dispatches"]) => ("repos/create-dispatch-event", vec![]),
        ("POST", ["actions", "workflows", wf, "dispatches"]) => {
            ("actions/create-workflow-dispatch", one(wf))
        }
        _ => return None,
    };
    Some(op_params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: Method, path: &str) -> Option<(&'static str, Vec<String>)> {
        match_route(&method, path).map(|r| (r.op, r.params))
    }

    #[test]
    fn refs_match_literally_and_encoded() {
        let want = Some(("git/get-ref", vec!["heads/feature/x".to_owned()]));
        assert_eq!(op(Method::GET, "/repos/o/r/git/ref/heads/feature/x"), want);
        assert_eq!(
            op(Method::GET, "/repos/o/r/git/ref/heads%2Ffeature%2Fx"),
            want
        );
        assert_eq!(
            op(Method::GET, "/repos/o/r/commits/heads/main/status"),
            Some((
                "repos/get-combined-status-for-ref",
                vec!["heads/main".to_owned()]
            ))
        );
    }

    #[test]
    fn unknown_paths_and_methods_do_not_match() {
        assert!(op(Method::DELETE, "/repos/o/r").is_none());
        assert!(op(Method::GET, "/user").is_none());
        assert!(op(Method::GET, "/repos/o/r/git/ref/").is_none());
    }

    #[test]
    fn every_route_is_listed() {
        for (m, p) in [
            (Method::GET, "/rate_limit"),
            (Method::PUT, "/repos/o/r/pulls/3/merge"),
            (
                Method::POST,
                "/repos/o/r/actions/workflows/ci.yml/dispatches",
            ),
            (Method::GET, "/_fake/tarball/o/r/abc"),
        ] {
            let (name, _) = op(m, p).unwrap();
            assert!(ROUTES.contains(&name), "{name}");
        }
    }
}
