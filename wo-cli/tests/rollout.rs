//! End-to-end tests of a rollout through the `wo` binary (docs/rollout.md): prod's fleet
//! declares waves, `wo deploy` goes as far as the rollout allows and exits, `wo approve`
//! records an approval, and the next `wo deploy` continues — every step a separate process,
//! the state only in the repositories' statuses and in WO (the simulator).

mod azure_common;
mod flows_common;

use flows_common::{env_state, targets, Sol, World};
use serde_json::Value;

const APP: Sol = Sol::App;

/// Makes prod-chicago-1 the canary and gives prod's fleet a rollout: the canary, then the
/// rest, which waits for an approval; no bake, so nothing waits for the clock.
fn stage_prod(w: &World) {
    w.edit(
        "platform-config",
        "prod",
        "fleet.yaml",
        "site: chicago}\n    labels: {tier: standard}",
        "site: chicago}\n    labels: {tier: standard, ring: canary}",
    );
    w.edit(
        "platform-config",
        "prod",
        "fleet.yaml",
        "assignments:\n",
        "rollout:\n  waves:\n    - {name: canary, selector: {ring: canary}}\n    - {name: rest}\n  approval: [rest]\nassignments:\n",
    );
}

/// The rollout part of the single deploy step of a `wo deploy -o json` run.
fn rollout(run: &Value) -> &Value {
    let step = &run[0];
    assert_eq!(step["step"], "deploy", "{run:#}");
    &step["rollout"]
}

/// The targets a batch list installed, wave by wave.
fn batches(rollout: &Value) -> Vec<(String, Vec<String>)> {
    rollout["batches"]
        .as_array()
        .map(|b| {
            b.iter()
                .map(|b| {
                    let wave = b["wave"].as_str().unwrap_or_default().to_string();
                    let targets = b["targets"]
                        .as_object()
                        .map(|t| t.keys().cloned().collect())
                        .unwrap_or_default();
                    (wave, targets)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_wave_waits_for_its_approval_and_the_deploy_after_wo_approve_continues() {
    let w = World::new();
    stage_prod(&w);
    // dev and stage have no rollout; prod's merge runs the canary and stops before `rest`.
    w.promote(APP);
    let head = w.head("shop-gitops", "prod").expect("prod released");
    let canary = "prod-chicago-1";
    let rest: Vec<&str> = targets("prod")
        .iter()
        .copied()
        .filter(|t| *t != canary)
        .collect();
    assert_eq!(
        w.running(&format!("shop/{canary}")).as_deref(),
        Some(head.as_str())
    );
    for t in &rest {
        assert_eq!(w.running(&format!("shop/{t}")), None, "{t} got the release");
    }
    let prod = env_state(&w.status(APP), "prod");
    assert_eq!(prod["state"], "pending", "{prod:#}");

    // Deploying again while the wave waits installs nothing, exits 0 and says what it waits for.
    let installs = w.installs();
    let text = w.wo(APP, &["deploy", "--env", "prod"]).ok();
    assert!(
        text.stdout
            .contains("wave `rest` waits for an approval (wo approve --env prod --wave rest)"),
        "{text}"
    );
    let run = w.deploy(APP, "prod").ok().json();
    assert_eq!(rollout(&run)["decision"]["decision"], "waitForApproval");
    assert!(batches(rollout(&run)).is_empty(), "{run:#}");
    assert_eq!(w.installs(), installs);

    // Bad approvals: exit 2, a clear message, nothing recorded.
    w.wo(
        APP,
        &[
            "approve", "--env", "prod", "--wave", "rset", "--by", "alice",
        ],
    )
    .code(2)
    .stderr_names(&["rset", "did you mean `rest`"]);
    w.wo(
        APP,
        &["approve", "--env", "prod", "--wave", "rest", "--by", "a b"],
    )
    .code(2)
    .stderr_names(&["a b"]);
    w.wo(
        APP,
        &["approve", "--env", "dev", "--wave", "rest", "--by", "alice"],
    )
    .code(2)
    .stderr_names(&["dev", "rollout"]);
    // Who approves must be known: --by, else GITHUB_ACTOR, else USER.
    let anonymous = w
        .command(APP, &["approve", "--env", "prod", "--wave", "rest"])
        .env_remove("GITHUB_ACTOR")
        .env_remove("USER")
        .output()
        .expect("wo runs");
    assert_eq!(anonymous.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&anonymous.stderr).contains("pass --by"));
    let by_actor = w
        .command(
            APP,
            &["approve", "--env", "prod", "--wave", "canary", "-o", "json"],
        )
        .env("GITHUB_ACTOR", "octo-bot")
        .output()
        .expect("wo runs");
    assert_eq!(by_actor.status.code(), Some(0), "{by_actor:?}");
    let by_actor: Value = serde_json::from_slice(&by_actor.stdout).expect("json");
    assert_eq!(by_actor["by"], "octo-bot", "{by_actor:#}");
    let still = w.deploy(APP, "prod").ok().json();
    assert_eq!(rollout(&still)["decision"]["decision"], "waitForApproval");

    // The approval, then the deploy that continues: the rest, once each, done.
    let approved = w
        .wo(
            APP,
            &[
                "approve", "--env", "prod", "--wave", "rest", "--by", "alice", "-o", "json",
            ],
        )
        .ok()
        .json();
    assert_eq!(approved["by"], "alice", "{approved:#}");
    assert_eq!(approved["wave"], "rest", "{approved:#}");
    let run = w.deploy(APP, "prod").ok().json();
    assert_eq!(rollout(&run)["decision"]["decision"], "done", "{run:#}");
    let installed = batches(rollout(&run));
    assert_eq!(installed.len(), 1, "{run:#}");
    assert_eq!(installed[0].0, "rest");
    let mut want: Vec<String> = rest.iter().map(|t| t.to_string()).collect();
    want.sort();
    assert_eq!(installed[0].1, want);
    for t in targets("prod") {
        assert_eq!(
            w.running(&format!("shop/{t}")).as_deref(),
            Some(head.as_str()),
            "{t}"
        );
    }
    let prod = env_state(&w.status(APP), "prod");
    assert_eq!(prod["state"], "success", "{prod:#}");
    w.assert_installed_once();

    // Done is done: a later deploy installs nothing.
    let installs = w.installs();
    let again = w.deploy(APP, "prod").ok().json();
    assert_eq!(rollout(&again)["decision"]["decision"], "done");
    assert_eq!(w.installs(), installs);
}

#[test]
fn a_failing_canary_halts_the_rollout_with_exit_1_and_the_rest_never_gets_the_release() {
    let w = World::new();
    stage_prod(&w);
    w.source_pushed(APP).ok();
    for env in ["dev", "stage"] {
        w.merge(APP, env).ok();
        w.change_merged(APP, env).ok();
    }
    w.set_failures(&[("prod-chicago-1", "ImagePullBackOff: registry unreachable")]);
    w.merge(APP, "prod").ok();
    let run = w.deploy(APP, "prod").code(1).json();
    let r = rollout(&run);
    assert_eq!(r["halted"], true, "{run:#}");
    assert_eq!(r["decision"]["wave"], "canary", "{run:#}");
    assert_eq!(
        batches(r),
        [("canary".to_string(), vec!["prod-chicago-1".to_string()])]
    );
    for t in targets("prod") {
        assert_eq!(w.running(&format!("shop/{t}")), None, "{t} runs a release");
    }
    // Approving the next wave of a halted rollout changes nothing: it stays halted.
    w.wo(
        APP,
        &[
            "approve", "--env", "prod", "--wave", "rest", "--by", "alice",
        ],
    )
    .ok();
    let text = w.wo(APP, &["deploy", "--env", "prod"]).code(1);
    assert!(text.stdout.contains("HALTED in wave canary"), "{text}");
    let prod = env_state(&w.status(APP), "prod");
    assert_eq!(prod["state"], "failure", "{prod:#}");
    assert_eq!(prod["targets"]["prod-chicago-1"], "failure", "{prod:#}");
}

/// A real `wo deploy` process killed at its `n`th request to WO, while that request waits
/// unanswered in the simulator. `false` when the deploy ended before its `n`th request.
fn kill_deploy_at_request(w: &World, n: u64) -> bool {
    use std::sync::mpsc;
    use std::time::Duration;
    let (arrived_tx, arrived) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    w.azure.sim.on_request(n, move || {
        let _ = arrived_tx.send(());
        // The request stays unanswered until the deploy is dead.
        let _ = release_rx.recv();
    });
    let mut child = w
        .command(APP, &["deploy", "--env", "prod"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("wo deploy starts");
    let reached = loop {
        match arrived.recv_timeout(Duration::from_millis(50)) {
            Ok(()) => break true,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Some(status) = child.try_wait().expect("try_wait") {
                    assert!(status.success(), "the deploy failed: {status}");
                    break false;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("hook dropped"),
        }
    };
    if reached {
        child.kill().expect("kill wo deploy");
        let status = child.wait().expect("wait for wo deploy");
        assert_eq!(
            status.code(),
            None,
            "ended by itself ({status}), not by the kill"
        );
        release.send(()).expect("release the held request");
    } else {
        // The hook was not reached: it would fire on a later run's request; let it pass.
        drop(release);
    }
    reached
}

#[test]
fn a_rollout_of_200_targets_killed_at_any_moment_converges_with_one_install_per_target() {
    let w = World::new();
    // prod: the demo's four clusters and 196 stores, two of them canaries; three waves in
    // batches of 25, no bake (one run goes as far as the rollout allows).
    let stores: Vec<String> = (0..196).map(|i| format!("store-{i:03}")).collect();
    let mut fleet = String::new();
    for (i, s) in stores.iter().enumerate() {
        let ring = if i < 2 { ", ring: canary" } else { "" };
        fleet.push_str(&format!(
            "  - name: {s}\n    hierarchy: {{region: eu, site: berlin}}\n    labels: {{tier: standard{ring}}}\n    capabilities: [helm]\n"
        ));
    }
    w.edit(
        "platform-config",
        "prod",
        "fleet.yaml",
        "assignments:\n",
        &format!("{fleet}rollout:\n  waves:\n    - {{name: canary, selector: {{ring: canary}}}}\n    - {{name: early, percent: 20}}\n    - {{name: rest}}\n  maxInFlight: 25\nassignments:\n"),
    );
    let onboard: Vec<(String, Vec<String>)> = stores
        .iter()
        .map(|s| (s.clone(), vec!["helm".to_string()]))
        .collect();
    let arm = azure_common::arm(&w.azure.sim);
    w.azure
        .rt
        .block_on(w.azure.sim.onboard(
            &arm,
            azure_common::RESOURCE_GROUP,
            "flows",
            "site",
            &onboard,
        ))
        .expect("onboard the stores");
    w.source_pushed(APP).ok();
    for env in ["dev", "stage"] {
        w.merge(APP, env).ok();
        w.change_merged(APP, env).ok();
    }
    w.merge(APP, "prod").ok();
    let head = w.head("shop-gitops", "prod").expect("prod merged");

    // Killed early, then in the middle of each later run (a rerun sends fewer requests: what
    // was installed is not installed again).
    let running = |w: &World, all: &[String]| {
        all.iter()
            .filter(|t| w.running(&format!("shop/{t}")).as_deref() == Some(head.as_str()))
            .count()
    };
    let all: Vec<String> = targets("prod")
        .iter()
        .map(|t| t.to_string())
        .chain(stores.iter().cloned())
        .collect();
    let mut kills = Vec::new();
    for n in [1, 900, 1500, 1200, 600] {
        if kill_deploy_at_request(&w, n) {
            kills.push((n, running(&w, &all)));
        }
    }
    eprintln!("killed at (request, targets running the release): {kills:?}");
    assert!(kills.len() >= 3, "only {} runs were killed", kills.len());
    // Some kills came in the middle of the rollout: after some installs, before the last.
    assert!(
        kills.iter().filter(|(_, r)| *r > 0 && *r < 200).count() >= 2,
        "{kills:?}"
    );
    let run = w.deploy(APP, "prod").ok().json();
    assert_eq!(rollout(&run)["decision"]["decision"], "done", "{run:#}");
    assert_eq!(all.len(), 200);
    for t in &all {
        assert_eq!(
            w.running(&format!("shop/{t}")).as_deref(),
            Some(head.as_str()),
            "{t}"
        );
    }
    // One install per prod target (the only release it ever got), however often the deploy
    // was killed.
    for t in &all {
        assert_eq!(
            w.azure.sim.installs(t).len(),
            1,
            "{t}: {:?}",
            w.azure.sim.installs(t)
        );
    }
    w.assert_installed_once();
    let prod = env_state(&w.status(APP), "prod");
    assert_eq!(prod["state"], "success", "{prod:#}");
}
