//! `wo verify`: what runs equals what was reviewed.

use wo::pipeline::PipelineBuilder;
use wo_core::pipeline::{Verdict, Verification};
use wo_core::Result;

use crate::args::{AzureArgs, RepoArgs};
use crate::output::{to_json, Outcome, TextOrJson};

/// Check that what runs in an environment is what was reviewed.
///
/// The gitops head must re-render byte for byte from the commits its provenance names, and
/// every target of its release must run its reviewed values and, rendered again from the
/// chart and values the orchestrator runs, its reviewed manifests. Exits 1 on any drift; a
/// target that does not run the head's release yet is reported, not drift.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  wo verify --env prod
  wo verify -e prod --target prod-eu-1
  # Against the simulator (wo azure-sim), JSON out
  wo verify -e dev --arm-url http://127.0.0.1:8443 -o json

Output: one line per target (ok, drift with the differing keys and resources indented
below it, not deployed), and a gitops line when the head does not re-render. JSON:
{\"solution\", \"environment\", \"gitopsCommit\", \"gitops\": null | \"<path>\", \"drift\": bool,
 \"targets\": [{\"target\", \"verdict\": \"ok\" | \"drift\" | \"notDeployed\",
 \"keys\", \"resources\", \"chart\" (drift), \"runs\" (notDeployed)}]}.")]
pub struct Verify {
    #[command(flatten)]
    repos: RepoArgs,
    #[command(flatten)]
    azure: AzureArgs,
    /// The environment.
    #[arg(short, long)]
    env: String,
    /// Only this target.
    #[arg(long, value_name = "TARGET")]
    target: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: TextOrJson,
}

impl Verify {
    /// Whether errors are printed as JSON.
    pub fn json(&self) -> bool {
        self.output.is_json()
    }

    /// Runs the command.
    pub async fn run(self) -> Result<Outcome> {
        let p = PipelineBuilder::new(self.repos.settings(Some(&self.azure))?).build()?;
        let v = p.verify(&self.env, self.target.as_deref()).await?;
        let drift = v.has_drift();
        if self.output.is_json() {
            let mut doc = serde_json::to_value(&v)
                .map_err(|e| wo_core::Error::unsupported(format!("writing JSON: {e}")))?;
            doc["drift"] = serde_json::Value::Bool(drift);
            let mut out = Outcome::json(to_json(&doc)?);
            out.failed = drift;
            return Ok(out);
        }
        Ok(Outcome::new(text(&v), drift))
    }
}

/// The report for people: the gitops line when the head does not re-render, then one line per
/// target with what drifted indented below it.
fn text(v: &Verification) -> String {
    let mut out = String::new();
    let head = v.gitops_commit.short();
    if let Some(path) = &v.gitops {
        out.push_str(&format!(
            "gitops {}@{head}: drift: {path} is not what its provenance renders\n",
            v.environment
        ));
    }
    let width = v.targets.iter().map(|t| t.target.len()).max().unwrap_or(0);
    for t in &v.targets {
        let name = format!("{:<width$}", t.target);
        match &t.verdict {
            Verdict::Ok => out.push_str(&format!("{name}  ok\n")),
            Verdict::NotDeployed { runs: None } => {
                out.push_str(&format!("{name}  not deployed\n"));
            }
            Verdict::NotDeployed { runs: Some(r) } => {
                let runs = wo_core::ports::CommitId::from(r.as_str());
                out.push_str(&format!(
                    "{name}  not deployed (runs {}, the head is {head})\n",
                    runs.short()
                ));
            }
            Verdict::Drift {
                keys,
                resources,
                chart,
            } => {
                out.push_str(&format!("{name}  drift\n"));
                if let Some(c) = chart {
                    out.push_str(&format!("    chart: {c}\n"));
                }
                for k in keys {
                    out.push_str(&format!("    key {k}\n"));
                }
                for r in resources {
                    out.push_str(&format!("    resource {r}\n"));
                }
            }
        }
    }
    out
}
