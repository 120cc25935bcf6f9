//! `wo init github`: the GitHub Actions workflows of the six repositories, written to files
//! (`--out`, the default) or set up over the API with the repositories' protection
//! (`--apply`, [`wo_github::actions::bootstrap`]).

use std::path::{Path, PathBuf};

use serde_json::json;
use wo_core::{Error, Location, Result};

use crate::output::{to_json, Outcome, TextOrJson};

/// Scaffold the automation around wo.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo init github --owner acme --app shop --out .github-workflows")]
pub struct Init {
    #[command(subcommand)]
    what: InitCommand,
}

#[derive(Debug, clap::Subcommand)]
enum InitCommand {
    /// Write the GitHub Actions workflows of all six repositories, or set them up on GitHub.
    ///
    /// App and platform source, config and gitops repositories, each under
    /// --out/<repo>/.github/workflows/; with --apply, on the repositories' branches, with their
    /// rulesets, merge methods, environments and variables (docs/bootstrap.md).
    #[command(after_help = "\
Examples:
  wo init github --owner acme --app shop
  wo init github --owner acme --app shop --env dev,prod --main-branch trunk --out workflows
  wo init github --owner acme --app shop --install cargo
  WO_GITHUB_TOKEN=… wo init github --owner acme --app shop --apply --app-id 123456 \\
    --codeowners @acme/platform --reviewers @acme/platform-approvers \\
    --resource-group /subscriptions/…/resourceGroups/rg-wo-shop --dry-run")]
    Github(InitGithub),
}

#[derive(Debug, clap::Args)]
struct InitGithub {
    /// The organisation or user owning the repositories.
    #[arg(long)]
    owner: String,
    /// The application (repositories <app>-source, <app>-config, <app>-gitops).
    #[arg(long)]
    app: String,
    /// The environments in promotion order.
    #[arg(
        short,
        long = "env",
        value_name = "ENV,…",
        value_delimiter = ',',
        default_value = "dev,stage,prod"
    )]
    envs: Vec<String>,
    /// The source repos' main branch.
    #[arg(long, default_value = "main")]
    main_branch: String,
    /// The `name:` of the source repos' own CI workflow (build, test, push the image):
    /// prepare-pr starts when a run of it succeeds on the main branch.
    #[arg(long, default_value = "CI", value_name = "NAME")]
    ci_workflow: String,
    /// How the workflows install wo (at this wo's version): `action`, wo's own action
    /// (the static release binary, SHA-256 checked, cached); `cargo`, `cargo install --locked
    /// woac-cli` on the runner (cached).
    #[arg(long, value_enum, default_value_t = Install::Action)]
    install: Install,
    /// Where to write (one directory per repository).
    #[arg(
        long,
        default_value = ".",
        value_name = "DIR",
        conflicts_with = "apply"
    )]
    out: PathBuf,
    /// Set the six repositories up on GitHub instead of writing files: workflow files on the
    /// env branches (created from the default branch) and main, rulesets on the gitops and
    /// config env branches, merge methods, environments with reviewers, Actions variables.
    /// Idempotent: a second run changes nothing. The token is WO_GITHUB_TOKEN or GITHUB_TOKEN
    /// (an owner's, or the wo App's with administration, contents, variables and workflows
    /// write and actions read); the API root GITHUB_API_URL. An env branch already protected
    /// from the token gets workflow changes through a pull request (wo-init/<branch>).
    #[arg(long, help_heading = "GitHub set-up (--apply)")]
    apply: bool,
    /// With --apply: print the plan (create, update, unchanged per item) and write nothing.
    #[arg(long, requires = "apply", help_heading = "GitHub set-up (--apply)")]
    dry_run: bool,
    /// The wo GitHub App's id: the rulesets' only bypass actor, and vars.WO_APP_ID.
    #[arg(long, value_name = "ID", help_heading = "GitHub set-up (--apply)")]
    app_id: Option<u64>,
    /// The wo GitHub App's slug, looked up (GET /apps/{slug}) when --app-id is not given.
    #[arg(
        long,
        value_name = "SLUG",
        conflicts_with = "app_id",
        help_heading = "GitHub set-up (--apply)"
    )]
    app_slug: Option<String>,
    /// Approvals a pull request into an env branch of the gitops and config repos needs.
    #[arg(
        long,
        default_value_t = 1,
        value_name = "N",
        help_heading = "GitHub set-up (--apply)"
    )]
    approvals: u32,
    /// The code owners of the env branches (written to .github/CODEOWNERS; their review is
    /// required).
    #[arg(
        long,
        value_name = "@ORG/TEAM|@USER,…",
        value_delimiter = ',',
        help_heading = "GitHub set-up (--apply)"
    )]
    codeowners: Vec<String>,
    /// The merge methods the six repositories allow (wo accepts any).
    #[arg(
        long,
        value_name = "METHOD,…",
        default_value = "merge,squash,rebase",
        help_heading = "GitHub set-up (--apply)"
    )]
    merge_methods: wo_github::actions::bootstrap::MergeMethods,
    /// The environments of the source repos whose deploys wait for a reviewer (`none`: none).
    #[arg(
        long,
        value_name = "ENV,…",
        value_delimiter = ',',
        default_value = "prod",
        help_heading = "GitHub set-up (--apply)"
    )]
    protect: Vec<String>,
    /// Their reviewers: @org/team, a user's login, or team:<id> / user:<id>.
    #[arg(
        long,
        value_name = "REVIEWER,…",
        value_delimiter = ',',
        help_heading = "GitHub set-up (--apply)"
    )]
    reviewers: Vec<wo_github::actions::bootstrap::Reviewer>,
    /// vars.WO_RESOURCE_GROUP of the source repos (the WO resource group's full id).
    #[arg(long, value_name = "ID", help_heading = "GitHub set-up (--apply)")]
    resource_group: Option<String>,
    /// vars.AZURE_CLIENT_ID of the source repos (the deploy identity's application id).
    #[arg(long, value_name = "UUID", help_heading = "GitHub set-up (--apply)")]
    azure_client_id: Option<String>,
    /// vars.AZURE_TENANT_ID of the source repos.
    #[arg(long, value_name = "UUID", help_heading = "GitHub set-up (--apply)")]
    azure_tenant_id: Option<String>,
    /// vars.AZURE_SUBSCRIPTION_ID of the source repos.
    #[arg(long, value_name = "UUID", help_heading = "GitHub set-up (--apply)")]
    azure_subscription_id: Option<String>,
    /// vars.WO_REGISTRY of the source repos (the chart registry).
    #[arg(long, value_name = "HOST", help_heading = "GitHub set-up (--apply)")]
    registry: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

/// `--install`: how the generated workflows install wo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Install {
    /// `uses: <owner>/wo@v<version>`, wo's action.
    Action,
    /// `cargo install --locked woac-cli --version <version>`.
    Cargo,
}

impl From<Install> for wo_github::actions::WoInstall {
    fn from(i: Install) -> Self {
        match i {
            Install::Action => Self::Action,
            Install::Cargo => Self::Cargo,
        }
    }
}

impl Init {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        let InitCommand::Github(g) = &self.what;
        g.output.is_json()
    }

    /// Runs the command: nothing is written when an option is invalid.
    pub async fn run(self) -> Result<Outcome> {
        let InitCommand::Github(g) = self.what;
        let mut opts = wo_github::actions::InitOptions::new(&g.owner, &g.app);
        opts.environments = g.envs.clone();
        opts.main_branch = g.main_branch.clone();
        opts.ci_workflow = g.ci_workflow.clone();
        opts.install = g.install.into();
        if g.apply {
            return apply(opts, &g).await;
        }
        let files = wo_github::actions::workflows(&opts)?;
        for (rel, _) in &files {
            wo_core::files::check_relative_path(rel)
                .map_err(|m| Error::invalid(Location::file(rel.clone()), m))?;
        }
        let mut written = Vec::new();
        for (rel, yaml) in &files {
            let path = g.out.join(rel);
            write(&path, yaml)?;
            written.push(path.display().to_string());
        }
        if g.output.is_json() {
            return Ok(Outcome::json(to_json(&json!({ "written": written }))?));
        }
        Ok(Outcome::ok(
            written
                .iter()
                .map(|p| format!("wrote {p}\n"))
                .collect::<String>(),
        ))
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    let io = |p: &Path| {
        let path = p.display().to_string();
        move |source| Error::Io { path, source }
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(path, text).map_err(io(path))
}

/// `--apply`: plan, print, and unless `--dry-run` apply.
async fn apply(init: wo_github::actions::InitOptions, g: &InitGithub) -> Result<Outcome> {
    use wo_github::actions::bootstrap::{self, BootstrapOptions, Change};

    let gh = client()?;
    let app_id = match (g.app_id, &g.app_slug) {
        (Some(id), _) => id,
        (None, Some(slug)) => gh.app_by_slug(slug).await?.id,
        (None, None) => {
            return Err(Error::invalid(
                Location::file("<command line>").with_key("--app-id"),
                "--apply needs the wo GitHub App: --app-id <id> or --app-slug <slug>",
            ))
        }
    };
    let mut opts = BootstrapOptions::new(init, app_id);
    opts.approvals = g.approvals;
    opts.codeowners = g.codeowners.clone();
    opts.merge_methods = g.merge_methods;
    opts.protect = g
        .protect
        .iter()
        .filter(|e| e.as_str() != "none" && !e.is_empty())
        .cloned()
        .collect();
    opts.reviewers = g.reviewers.clone();
    for (name, value) in [
        ("WO_RESOURCE_GROUP", &g.resource_group),
        ("AZURE_CLIENT_ID", &g.azure_client_id),
        ("AZURE_TENANT_ID", &g.azure_tenant_id),
        ("AZURE_SUBSCRIPTION_ID", &g.azure_subscription_id),
        ("WO_REGISTRY", &g.registry),
    ] {
        if let Some(v) = value {
            opts.variables.insert(name.to_owned(), v.clone());
        }
    }
    let plan = bootstrap::plan(&gh, &opts).await?;
    if !g.dry_run {
        plan.apply(&gh).await?;
    }
    let secrets = plan.secret_commands();
    if g.output.is_json() {
        return Ok(Outcome::json(to_json(&json!({
            "dryRun": g.dry_run,
            "items": plan.items(),
            "secretCommands": secrets,
        }))?));
    }
    let mut text: String = plan.items().iter().map(|i| format!("{i}\n")).collect();
    let count = |c: Change| plan.items().iter().filter(|i| i.change == c).count();
    text.push_str(&format!(
        "{}: {} to create, {} to update, {} unchanged\n",
        if g.dry_run {
            "plan (dry run, nothing written)"
        } else {
            "applied"
        },
        count(Change::Create),
        count(Change::Update),
        count(Change::Unchanged),
    ));
    text.push_str("wo writes no secret; store the App's private key with:\n");
    for c in secrets {
        text.push_str(&format!("  {c}\n"));
    }
    Ok(Outcome::ok(text))
}

/// The GitHub client of `--apply`: `GITHUB_API_URL`, the token of `WO_GITHUB_TOKEN` or
/// `GITHUB_TOKEN` (never printed).
fn client() -> Result<wo_github::client::GitHub> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    let mut b = wo_github::client::GitHub::builder();
    if let Some(url) = var("GITHUB_API_URL") {
        b = b.base_url(url);
    }
    match ["WO_GITHUB_TOKEN", "GITHUB_TOKEN"]
        .into_iter()
        .find_map(|n| var(n).map(|t| (n, t)))
    {
        Some((name, token)) => b = b.token(token).token_source(name),
        None => return Err(Error::invalid(
            Location::file("<environment>").with_key("WO_GITHUB_TOKEN"),
            "--apply needs a token in WO_GITHUB_TOKEN or GITHUB_TOKEN: an organisation owner's, \
                 or the wo App's installation token with administration, contents and variables \
                 write and actions read",
        )),
    }
    b.build()
}
