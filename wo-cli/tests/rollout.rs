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
