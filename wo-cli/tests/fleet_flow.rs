//! Fleet as code in the flows, through the `wo` binary and the real Workload Orchestration
//! client: a merged fleet change onboards its clusters (`platform-config-merged` →
//! apply-fleet → prepare-pr), and a deploy against `wo azure-sim --fail-install` reports the
//! failing target and deploys the others.

mod azure_common;
mod flows_common;

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use flows_common::{Sol, World, EDGE};
use serde_json::Value;

const PLATFORM: Sol = Sol::Platform;

fn platform_config_merged(w: &World, env: &str) -> flows_common::Run {
    w.event(
        PLATFORM,
        &format!(r#"{{"type":"platform-config-merged","environment":"{env}"}}"#),
    )
}

/// The steps of an `on-event --output json` run.
fn steps(run: &flows_common::Run) -> Vec<Value> {
    run.json()
        .as_array()
        .unwrap_or_else(|| panic!("a list of steps:\n{run}"))
        .clone()
}

#[test]
fn a_merged_fleet_change_onboards_its_cluster_before_the_platform_reaches_it() {
    let w = World::new();
    // The platform and the app run in dev.
    for sol in [PLATFORM, Sol::App] {
        w.source_pushed(sol).ok();
        w.merge(sol, "dev").ok();
        w.change_merged(sol, "dev").ok();
    }
    assert!(w
        .azure
        .sim
        .resource(&format!("{EDGE}/targets/dev-eu-2"))
        .is_none());

    // The platform team adds a cluster to dev's fleet; the change is merged.
    let fleet_commit = w.commit("platform-config", "dev", "dev: a second cluster in berlin", |wt| {
        let path = wt.join("fleet.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let added = text.replacen(
            "targets:\n",
            "targets:\n  - name: dev-eu-2\n    hierarchy: {region: eu, site: berlin}\n    labels: {tier: standard}\n    capabilities: [helm]\n",
            1,
        );
        assert_ne!(added, text);
        std::fs::write(&path, added).unwrap();
    });
    let run = platform_config_merged(&w, "dev").ok();
    let s = steps(&run);
    assert_eq!(s.len(), 2, "apply-fleet, then prepare-pr:\n{run}");
    assert_eq!(s[0]["step"], "apply-fleet", "{run}");
    assert_eq!(s[0]["environment"], "dev");
    assert_eq!(s[0]["fleetCommit"], fleet_commit.as_str());
    // The new cluster is created; the two onboarded before move into the fleet's context.
    assert_eq!(s[0]["created"], 1, "{run}");
    assert_eq!(
        s[0]["created"].as_u64().unwrap()
            + s[0]["updated"].as_u64().unwrap()
            + s[0]["unchanged"].as_u64().unwrap(),
        3,
        "{run}"
    );
    let target = w
        .azure
        .sim
        .resource(&format!("{EDGE}/targets/dev-eu-2"))
        .expect("dev-eu-2 is a WO target");
    assert_eq!(
        target["properties"]["contextId"],
        format!("{EDGE}/contexts/dev")
    );
    assert_eq!(target["properties"]["hierarchyLevel"], "site");
    assert_eq!(s[1]["step"], "prepare-pr", "{run}");
    let targets: Vec<&str> = s[1]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(targets.contains(&"dev-eu-2"), "{run}");

    // Merged and deployed: the new cluster runs the platform.
    w.merge(PLATFORM, "dev").ok();
    let deployed = w.change_merged(PLATFORM, "dev").ok();
    let d = steps(&deployed);
    assert_eq!(
        d[0]["targets"]["dev-eu-2"]["state"], "deployed",
        "{deployed}"
    );

    // The same event again: nothing to onboard.
    let again = platform_config_merged(&w, "dev").ok();
    let a = steps(&again);
    assert_eq!(a[0]["step"], "apply-fleet", "{again}");
    assert_eq!(
        (&a[0]["created"], &a[0]["updated"], &a[0]["unchanged"]),
        (&Value::from(0), &Value::from(0), &Value::from(3)),
        "{again}"
    );

    // For people: what the apply did, in one line.
    let text = w
        .wo(
            PLATFORM,
            &[
                "on-event",
                "--event",
                r#"{"type":"platform-config-merged","environment":"dev"}"#,
            ],
        )
        .ok();
    assert!(
        text.stdout.contains("dev: fleet applied (platform config ")
            && text.stdout.contains("0 created, 0 updated, 3 unchanged"),
        "{text}"
    );

    // The app's pipeline re-renders for the new fleet and leaves the clusters alone.
    w.azure.sim.reset_counters();
    let app = w
        .event(
            Sol::App,
            r#"{"type":"platform-config-merged","environment":"dev"}"#,
        )
        .ok();
    assert!(
        steps(&app).iter().all(|s| s["step"] != "apply-fleet"),
        "{app}"
    );
    assert!(w.azure.sim.traffic().writes.is_empty(), "{app}");
}

/// `wo azure-sim` as a child process: killed when dropped.
struct SimProcess {
    child: Child,
    url: String,
}

impl SimProcess {
    fn start(args: &[&str], dir: &Path) -> SimProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wo"))
            .arg("azure-sim")
            .args(["--port", "0"])
            .args(args)
            .current_dir(dir)
            .env_remove("WO_SIM_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start wo azure-sim");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("the banner");
        let url = line
            .trim()
            .rsplit_once(" on ")
            .map(|(_, u)| u.to_string())
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        SimProcess { child, url }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_deploy_against_azure_sim_fail_install_fails_that_target_only() {
    let w = World::new();
    // `wo azure-sim` holding dev's fleet, installs on dev-us-1 failing with `boom`.
    let fleet = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/demo/platform-config/dev/fleet.yaml");
    let sim = SimProcess::start(
        &[
            "--fleet-file",
            fleet.to_str().unwrap(),
            "--fail-install",
            "dev-us-1=boom: no such image",
            "--poll-ms",
            "1",
        ],
        w.root.path(),
    );
    // The fleet file's targets name no resource group: the simulator's default one.
    let rg = "/subscriptions/s/resourceGroups/rg";
    let wo = |args: &[&str]| {
        let out = w
            .command(PLATFORM, args)
            .env("WO_ARM_URL", &sim.url)
            .env("WO_RESOURCE_GROUP", rg)
            .output()
            .expect("wo runs");
        flows_common::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    };
    w.source_pushed(PLATFORM).ok();
    w.merge(PLATFORM, "dev").ok();

    // Documented: `wo deploy` exits 1 when a target fails.
    let run = wo(&["deploy", "--env", "dev", "--output", "json"]).code(1);
    let d = run.json();
    assert_eq!(d[0]["step"], "deploy", "{run}");
    assert_eq!(d[0]["succeeded"], false, "{run}");
    let failed = &d[0]["targets"]["dev-us-1"];
    assert_eq!(failed["state"], "failed", "{run}");
    assert!(
        failed["message"]
            .as_str()
            .unwrap_or_default()
            .contains("boom"),
        "{run}"
    );
    assert_eq!(d[0]["targets"]["dev-eu-1"]["state"], "deployed", "{run}");

    // For people: the headline and the target's line; the statuses say the same.
    let text = wo(&["deploy", "--env", "dev"]).code(1);
    assert!(
        text.stdout
            .starts_with("dev: deploy FAILED on 1 of 2 targets"),
        "{text}"
    );
    assert!(
        text.stdout.contains("dev-us-1: FAILED — ") && text.stdout.contains("boom"),
        "{text}"
    );
    assert!(text.stdout.contains("dev-eu-1: deployed"), "{text}");
    let dev = flows_common::env_state(&w.status(PLATFORM), "dev");
    assert_eq!(dev["state"], "failure", "{dev:#}");
    assert_eq!(dev["targets"]["dev-us-1"], "failure", "{dev:#}");
    assert_eq!(dev["targets"]["dev-eu-1"], "success", "{dev:#}");
}
