//! The actions the generated workflows use, each pinned to a full commit SHA (a tag can be
//! moved; a commit cannot).
//!
//! This is the only place the pins live. They were taken from the actions' release tags as
//! widely published; **verify each SHA against the tag in the action's repository before a
//! release of wo, and update them together** (for example with Dependabot or Renovate on a
//! repository that uses the generated workflows, then copy the new pins here).
//!
//! wo's own action ([`wo_action`]) is the exception: it is referenced by its release tag
//! `v<version>`, because a build of wo cannot know the commit its own release tag will name.
//! The release workflow never moves a tag, the GitHub release of a tag should be made immutable
//! (repository setting "immutable releases": its tag and assets can then be neither moved nor
//! replaced), and the action checks the binary it downloads against the release's
//! `SHA256SUMS`. Whoever wants a commit instead replaces the tag with the commit it names
//! (`uses: <owner>/wo@<sha> # v0.1.0`); the action then takes the version from its `version`
//! input, which the generated workflows always set.

use std::fmt;

/// An action at a commit, with the release tag that commit carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionPin {
    /// `owner/repo` of the action.
    pub action: &'static str,
    /// The full 40-hex commit SHA.
    pub sha: &'static str,
    /// The release tag at that commit, written as a comment after the pin.
    pub version: &'static str,
}

impl ActionPin {
    /// `owner/repo@sha`, the value of `uses:`.
    pub fn reference(&self) -> String {
        format!("{}@{}", self.action, self.sha)
    }
}

impl fmt::Display for ActionPin {
    /// `owner/repo@sha # version`, as the workflows write it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{} # {}", self.action, self.sha, self.version)
    }
}

/// `actions/checkout` v4.2.2.
pub const CHECKOUT: ActionPin = ActionPin {
    action: "actions/checkout",
    sha: "11bd71901bbe5b1630ceea73d27597364c9af683",
    version: "v4.2.2",
};

/// `azure/login` v2.2.0 (OIDC: `client-id`, `tenant-id`, `subscription-id`, no secret).
pub const AZURE_LOGIN: ActionPin = ActionPin {
    action: "azure/login",
    sha: "a65d910e8af852a8061c627c456678983e180302",
    version: "v2.2.0",
};

/// `actions/create-github-app-token` v2.0.2: a short-lived installation token for the other
/// repositories a job reads or writes, narrowed with `permission-*` inputs.
pub const CREATE_GITHUB_APP_TOKEN: ActionPin = ActionPin {
    action: "actions/create-github-app-token",
    sha: "3ff1caaa28b64c9cc276ce0a02e2ff584f3900c5",
    version: "v2.0.2",
};

/// `actions/cache` v4.2.3: keeps the installed `wo` binary between runs.
pub const CACHE: ActionPin = ActionPin {
    action: "actions/cache",
    sha: "5a3ec84eff668545956fd18022155c47e93e2684",
    version: "v4.2.3",
};

/// Every pin the workflows use.
pub const ALL: [ActionPin; 4] = [CHECKOUT, AZURE_LOGIN, CREATE_GITHUB_APP_TOKEN, CACHE];

/// wo's repository on GitHub, `owner/repo`: the workspace's `repository` URL
/// (`https://github.com/<owner>/<repo>`), where wo's action (`action.yml`) and its release
/// archives live.
pub fn wo_repository() -> &'static str {
    const URL: &str = env!("CARGO_PKG_REPOSITORY");
    match URL.strip_prefix("https://github.com/") {
        Some(repo) => repo.trim_end_matches('/'),
        // The workspace's Cargo.toml sets the URL; a test checks its form.
        None => {
            panic!("the workspace's repository URL {URL} is not https://github.com/<owner>/<repo>")
        }
    }
}

/// The `uses:` value of wo's own action at release `version` (`0.1.0`):
/// `<owner>/<repo>@v0.1.0`, by tag (see the module documentation for why).
pub fn wo_action(version: &str) -> String {
    format!("{}@v{version}", wo_repository())
}
