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

#[cfg(test)]
mod tests {
    use wo_core::pipeline::TargetVerification;
    use wo_core::ports::CommitId;

    use super::*;

    #[test]
    fn the_text_has_a_line_per_target_with_what_drifted_indented_below() {
        let target = |name: &str, verdict| TargetVerification {
            target: name.into(),
            verdict,
        };
        let v = Verification {
            solution: "shop".into(),
            environment: "prod".into(),
            gitops_commit: CommitId::from("4f1c2d9e0000000000000000000000000000000a"),
            gitops: Some("shop/prod-eu-2/manifests.yaml".into()),
            targets: vec![
                target(
                    "prod-eu-1",
                    Verdict::Drift {
                        keys: vec!["LogLevel".into()],
                        resources: vec![r#"ConfigMap shop-ns/shop: data["values.json"]"#.into()],
                        chart: Some("runs oci://r/c:1.0.1, reviewed oci://r/c:1.0.0".into()),
                    },
                ),
                target("prod-eu-2", Verdict::Ok),
                target(
                    "prod-us-1",
                    Verdict::NotDeployed {
                        runs: Some("9b7e0a1f0000000000000000000000000000000b".into()),
                    },
                ),
                target("prod-us-22", Verdict::NotDeployed { runs: None }),
            ],
        };
        assert_eq!(
            text(&v),
            "gitops prod@4f1c2d9: drift: shop/prod-eu-2/manifests.yaml is not what its provenance renders\n\
             prod-eu-1   drift\n    \
             chart: runs oci://r/c:1.0.1, reviewed oci://r/c:1.0.0\n    \
             key LogLevel\n    \
             resource ConfigMap shop-ns/shop: data[\"values.json\"]\n\
             prod-eu-2   ok\n\
             prod-us-1   not deployed (runs 9b7e0a1, the head is 4f1c2d9)\n\
             prod-us-22  not deployed\n"
        );
        assert!(v.has_drift());
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(
            json["targets"][0],
            serde_json::json!({"target": "prod-eu-1", "verdict": "drift", "keys": ["LogLevel"],
                "resources": [r#"ConfigMap shop-ns/shop: data["values.json"]"#],
                "chart": "runs oci://r/c:1.0.1, reviewed oci://r/c:1.0.0"})
        );
        assert_eq!(
            json["targets"][3],
            serde_json::json!({"target": "prod-us-22", "verdict": "notDeployed", "runs": null})
        );
    }
}
