//! End-to-end tests of the flows (DESIGN.md §1) through the `wo` binary: six bare git
//! repositories served by `git daemon` on 127.0.0.1, every step a separate `wo` process (as
//! workflow steps are), the WO simulator shared between them.
//!
//! Each test states one of the invariants:
//! - the gitops repo changes only through change requests wo opens, and every gitops commit
//!   names its inputs (provenance) and re-renders byte for byte from them;
//! - an environment never receives a promotable source commit the previous one has not deployed;
//! - a config-only change never promotes;
//! - running a step twice (or again after a crash) changes nothing the second time;
//! - bad input is rejected with exit 2, a message naming the file / key / environment, and
//!   nothing written.

mod azure_common;
mod flows_common;

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::Duration;

use flows_common::{env_state, targets, Sol, World, ENVS};
use serde_json::Value;

const APP: Sol = Sol::App;

/// The steps of an `on-event --output json` run.
fn steps(v: &Value) -> &Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("on-event prints a list of steps: {v:#}"))
}

/// The trailers (`Key: value`) of every commit of `branch` in a bare repo, newest first.
fn trailers(w: &World, repo: &str, branch: &str) -> Vec<(String, Vec<(String, String)>)> {
    let log = w.git_in(
        repo,
        &[
            "log",
            "--format=%H%x1f%(trailers:only,unfold)%x1e",
            &format!("refs/heads/{branch}"),
        ],
    );
    log.split('\x1e')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|rec| {
            let (id, t) = rec.split_once('\x1f').expect("record");
            let kv = t
                .lines()
                .filter_map(|l| l.split_once(": "))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            (id.trim().to_string(), kv)
        })
        .collect()
}

fn trailer<'a>(kv: &'a [(String, String)], key: &str) -> Option<&'a str> {
    kv.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Asserts that every environment ran `source` successfully on every target.
fn assert_released_everywhere(w: &World, sol: Sol, source: &str) {
    let st = w.status(sol);
    for env in ENVS {
        let e = env_state(&st, env);
        assert_eq!(e["state"], "success", "{env}: {e:#}");
        assert_eq!(e["provenance"]["sourceCommit"], source, "{env}: {e:#}");
        let got: BTreeSet<&str> = e["targets"]
            .as_object()
            .expect("targets")
            .iter()
            .map(|(t, s)| {
                assert_eq!(s, "success", "{env}/{t}: {e:#}");
                t.as_str()
            })
            .collect();
        let want: BTreeSet<&str> = targets(env).iter().copied().collect();
        assert_eq!(got, want, "{env}: targets with a status");
        assert!(
            e["changeRequest"].is_null(),
            "{env}: nothing left open: {e:#}"
        );
    }
}

// 1 ─────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn a_source_commit_is_promoted_dev_stage_prod_and_a_repeated_event_changes_nothing() {
    let w = World::new();
    let commit = w.source_head(APP);

    let first = w.source_pushed(APP).ok().json();
    let s = steps(&first);
    assert_eq!(
        s.len(),
        1,
        "ci prepares dev and waits for review: {first:#}"
    );
    assert_eq!(s[0]["step"], "prepare-pr");
    assert_eq!(s[0]["environment"], "dev");
    assert_eq!(s[0]["outcome"], "opened");
    assert_eq!(s[0]["provenance"]["sourceCommit"], commit.as_str());
    assert_eq!(s[0]["provenance"]["promotable"], true);

    for (i, env) in ENVS.iter().enumerate() {
        w.merge(APP, env).ok();
        let run = w.change_merged(APP, env).ok().json();
        let s = steps(&run);
        assert_eq!(s[0]["step"], "deploy", "{env}: {run:#}");
        assert_eq!(s[0]["environment"], *env);
        assert_eq!(s[0]["succeeded"], true, "{env}: {run:#}");
        match ENVS.get(i + 1) {
            Some(next) => {
                assert_eq!(s.len(), 2, "{env}: deploy, then prepare {next}: {run:#}");
                assert_eq!(s[1]["step"], "prepare-pr");
                assert_eq!(s[1]["environment"], *next);
                assert_eq!(s[1]["outcome"], "opened");
                assert_eq!(s[1]["provenance"]["sourceCommit"], commit.as_str());
            }
            None => assert_eq!(s.len(), 1, "prod is the end of the chain: {run:#}"),
        }
    }

    assert_released_everywhere(&w, APP, &commit);
    for env in ENVS {
        // The gitops head's own trailers name the source commit, not only `wo status`.
        let log = trailers(&w, "shop-gitops", env);
        assert_eq!(
            trailer(&log[0].1, "Wo-Source-Commit"),
            Some(commit.as_str()),
            "{env} head"
        );
    }
    w.assert_installed_once();
    assert_eq!(
        w.installs().len(),
        9,
        "one release on each of the 9 targets"
    );

    // The same events again: no second change request, no reinstall, no ref moves.
    let refs = w.refs("shop-gitops");
    let state = w.state_bytes();
    let again = w.source_pushed(APP).ok().json();
    let s = steps(&again);
    assert_eq!(s.len(), 1, "{again:#}");
    assert!(
        s[0]["changeRequest"].is_null(),
        "no second change request: {again:#}"
    );
    w.change_merged(APP, "prod").ok();
    w.merge(APP, "prod"); // nothing open: must not change anything either
    assert_eq!(
        w.refs("shop-gitops"),
        refs,
        "the gitops repo did not change"
    );
    assert_eq!(w.state_bytes(), state, "the orchestrator installed nothing");
    w.assert_installed_once();
    assert_released_everywhere(&w, APP, &commit);
}

// 2 ─────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn a_commit_dev_has_not_deployed_never_reaches_stage() {
    let w = World::new();
    let a = w.source_head(APP);
    w.source_pushed(APP).ok();
    w.merge(APP, "dev").ok();
    // `deploy`, not `on-event`: no stage change request is opened by the chain.
    w.deploy(APP, "dev").ok();
    let b = w.edit(
        "shop-source",
        "main",
        "chart/values.yaml",
        "memory: 256Mi",
        "memory: 320Mi",
    );

    for rev in [b.as_str(), "main"] {
        w.wo(APP, &["prepare-pr", "--env", "stage", "--source-rev", rev])
            .code(2)
            .stderr_names(&["wo/dev"]);
    }
    // Nor through prod, two steps ahead.
    w.wo(APP, &["prepare-pr", "--env", "prod", "--source-rev", &a])
        .code(2)
        .stderr_names(&["wo/stage"]);
    let refs = w.refs("shop-gitops");
    for r in refs.keys() {
        assert!(
            !r.contains("stage") && !r.contains("prod"),
            "nothing was written for stage or prod: {refs:#?}"
        );
    }

    // The commit dev did deploy may go on (the refusal above is about B, not stage).
    let ok = w
        .wo(
            APP,
            &[
                "prepare-pr",
                "--env",
                "stage",
                "--source-rev",
                &a,
                "--output",
                "json",
            ],
        )
        .ok()
        .json();
    assert_eq!(ok[0]["outcome"], "opened", "{ok:#}");
    assert!(w
        .refs("shop-gitops")
        .contains_key("refs/heads/wo/stage/shop"));
}

// 3 ─────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn a_config_only_change_is_released_in_its_environment_and_never_promotes() {
    let w = World::new();
    let source = w.source_head(APP);
    w.promote(APP);
    let prod_head = w.head("shop-gitops", "prod").expect("prod released");
    let prod_refs: Vec<(String, String)> = w
        .refs("shop-gitops")
        .into_iter()
        .filter(|(r, _)| r.contains("prod"))
        .collect();

    let cfg = w.edit(
        "shop-config",
        "stage",
        "values.yaml",
        "Replicas: 2",
        "Replicas: 3",
    );
    let run = w.config_merged(APP, "stage").ok().json();
    let s = steps(&run);
    assert_eq!(s.len(), 1, "{run:#}");
    assert_eq!(s[0]["environment"], "stage");
    assert_eq!(s[0]["outcome"], "opened", "{run:#}");
    assert_eq!(s[0]["provenance"]["promotable"], false);
    assert_eq!(s[0]["provenance"]["configCommit"], cfg.as_str());
    assert_eq!(s[0]["provenance"]["sourceCommit"], source.as_str());

    w.merge(APP, "stage").ok();
    w.deploy(APP, "stage").ok();
    // The notify-on-pr flow for that merge deploys again (nothing new) and stops there.
    let run = w.change_merged(APP, "stage").ok().json();
    for step in steps(&run) {
        assert_ne!(
            step["environment"], "prod",
            "a config change promoted: {run:#}"
        );
        assert_ne!(step["step"], "prepare-pr", "{run:#}");
    }

    let st = w.status(APP);
    let stage = env_state(&st, "stage");
    assert_eq!(stage["provenance"]["promotable"], false, "{stage:#}");
    assert_eq!(stage["provenance"]["configCommit"], cfg.as_str());
    assert_eq!(stage["state"], "success");
    let prod = env_state(&st, "prod");
    assert_eq!(prod["gitopsCommit"], prod_head.as_str(), "prod untouched");
    assert!(
        prod["changeRequest"].is_null(),
        "no prod change request: {prod:#}"
    );
    let prod_refs_after: Vec<(String, String)> = w
        .refs("shop-gitops")
        .into_iter()
        .filter(|(r, _)| r.contains("prod"))
        .collect();
    assert_eq!(prod_refs_after, prod_refs);
    // stage runs the new value: the rendered values on the stage branch say so.
    let values = w.git_in(
        "shop-gitops",
        &["show", "stage:shop/stage-eu-1/values.yaml"],
    );
    assert!(values.contains("3"), "{values}");
    w.assert_installed_once();
}

// 4 ─────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn the_platform_is_promoted_and_changed_on_its_own_without_moving_the_app() {
    let w = World::new();
    w.source_pushed(APP).ok();
    w.merge(APP, "dev").ok();
    w.change_merged(APP, "dev").ok(); // dev released, stage change request open
    let app_refs = w.refs("shop-gitops");
    let running: Vec<Option<String>> = targets("dev")
        .iter()
        .map(|t| w.running(&format!("shop/{t}")))
        .collect();

    let first = w.source_head(Sol::Platform);
    w.promote(Sol::Platform);
    assert_released_everywhere(&w, Sol::Platform, &first);

    let second = w.edit(
        "platform-source",
        "main",
        "chart/values.yaml",
        "defaultCpu: 500m",
        "defaultCpu: 750m",
    );
    w.promote(Sol::Platform);
    assert_released_everywhere(&w, Sol::Platform, &second);
    for env in ENVS {
        let log = trailers(&w, "platform-gitops", env);
        assert_eq!(log.len(), 2, "{env}: two platform releases");
        assert_eq!(trailer(&log[0].1, "Wo-Solution"), Some("platform"));
        let manifests = w.git_in(
            "platform-gitops",
            &[
                "show",
                &format!("{env}:platform/{}/manifests.yaml", targets(env)[0]),
            ],
        );
        assert!(
            manifests.contains("cpu: 750m"),
            "{env}: the new default CPU limit is rendered:\n{manifests}"
        );
    }

    assert_eq!(
        w.refs("shop-gitops"),
        app_refs,
        "shop's gitops repo did not move"
    );
    let running_after: Vec<Option<String>> = targets("dev")
        .iter()
        .map(|t| w.running(&format!("shop/{t}")))
        .collect();
    assert_eq!(running_after, running, "shop's release still runs in dev");
    let st = w.status(APP);
    assert!(env_state(&st, "stage")["changeRequest"].is_object());
    assert!(env_state(&st, "prod")["gitopsCommit"].is_null());
    w.assert_installed_once();
}

// 5 ─────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn a_failing_target_halts_promotion_and_a_rollback_restores_the_last_good_release() {
    let w = World::new();
    let good = w.source_head(APP);
    w.promote(APP);
    let last_good = w.head("shop-gitops", "prod").expect("prod released");

    w.set_failures(&[("prod-chicago-1", "ImagePullBackOff: registry unreachable")]);
    let bad = w.edit(
        "shop-source",
        "main",
        "chart/values.yaml",
        "memory: 256Mi",
        "memory: 320Mi",
    );
    w.source_pushed(APP).ok();
    for env in ["dev", "stage"] {
        w.merge(APP, env).ok();
        w.change_merged(APP, env).ok();
    }
    w.merge(APP, "prod").ok();
    let run = w.deploy(APP, "prod").code(1);
    assert!(run.stdout.contains("ImagePullBackOff"), "{run}");
    // For people, the headline says the deploy failed, and where.
    let text = w.wo(APP, &["deploy", "--env", "prod"]).code(1);
    let headline = text.stdout.lines().next().unwrap_or_default().to_string();
    assert!(
        headline.starts_with(&format!(
            "prod: deploy FAILED on 1 of {} targets",
            targets("prod").len()
        )),
        "{text}"
    );
    assert!(
        text.stdout.contains("prod-chicago-1: FAILED — ")
            && text.stdout.contains("ImagePullBackOff"),
        "{text}"
    );

    let prod = env_state(&w.status(APP), "prod");
    assert_eq!(prod["provenance"]["sourceCommit"], bad.as_str());
    assert_eq!(prod["state"], "failure", "{prod:#}");
    for t in targets("prod") {
        let want = if *t == "prod-chicago-1" {
            "failure"
        } else {
            "success"
        };
        assert_eq!(prod["targets"][*t], want, "{t}: {prod:#}");
    }
    // The notify-on-pr flow for that merge halts: no next environment, exit 1.
    let halted = w.change_merged(APP, "prod").code(1).json();
    assert!(
        steps(&halted)
            .iter()
            .any(|s| s["step"] == "halt" || s["succeeded"] == false),
        "{halted:#}"
    );

    let history = w.history(APP, "prod");
    assert!(history.len() >= 2, "{history:#?}");
    assert_eq!(history[0]["provenance"]["sourceCommit"], bad.as_str());
    assert_eq!(history[1]["gitopsCommit"], last_good.as_str());
    assert_eq!(history[1]["provenance"]["sourceCommit"], good.as_str());

    let rb = w
        .wo(
            APP,
            &[
                "rollback",
                "--env",
                "prod",
                // A short id, as `wo history` and `git log --oneline` show it.
                "--to",
                &last_good[..7],
                "--output",
                "json",
            ],
        )
        .ok()
        .json();
    assert_eq!(
        rb[0]["provenance"]["rollbackOf"],
        last_good.as_str(),
        "{rb:#}"
    );
    assert_eq!(rb[0]["provenance"]["promotable"], false);
    w.set_failures(&[]);
    w.merge(APP, "prod").ok();
    let run = w.deploy(APP, "prod").ok().json();
    assert_eq!(run[0]["succeeded"], true, "{run:#}");

    let prod = env_state(&w.status(APP), "prod");
    assert_eq!(prod["state"], "success", "{prod:#}");
    assert_eq!(prod["provenance"]["sourceCommit"], good.as_str());
    assert_eq!(prod["provenance"]["rollbackOf"], last_good.as_str());
    for t in targets("prod") {
        assert_eq!(prod["targets"][*t], "success", "{t}: {prod:#}");
    }
    // Same values and manifests as the last good release; only release.yaml differs.
    let diff = w.git_in(
        "shop-gitops",
        &[
            "diff",
            "--name-only",
            &last_good,
            "prod",
            "--",
            "shop",
            ":(exclude)shop/release.yaml",
        ],
    );
    assert!(
        diff.trim().is_empty(),
        "rollback differs from {last_good}: {diff}"
    );
    let head = w.head("shop-gitops", "prod").unwrap();
    for t in targets("prod") {
        assert_eq!(
            w.running(&format!("shop/{t}")).as_deref(),
            Some(head.as_str())
        );
    }
    w.assert_installed_once();
}

// 6 ─────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn every_gitops_commit_has_provenance_and_re_renders_byte_for_byte() {
    let w = World::new();
    w.promote(APP);
    let cfg = w.edit(
        "shop-config",
        "stage",
        "values.yaml",
        "Replicas: 2",
        "Replicas: 4",
    );
    w.config_merged(APP, "stage").ok();
    w.merge(APP, "stage").ok();
    w.change_merged(APP, "stage").ok();
    assert_eq!(
        trailer(
            &trailers(&w, "shop-gitops", "stage")[0].1,
            "Wo-Config-Commit"
        ),
        Some(cfg.as_str())
    );

    for env in ENVS {
        let log = trailers(&w, "shop-gitops", env);
        assert!(!log.is_empty(), "{env} released");
        // Every commit on the env branch is one of wo's, naming inputs that exist.
        for (id, kv) in &log {
            assert_eq!(
                trailer(kv, "Wo-Solution"),
                Some("shop"),
                "{env} {id}: {kv:?}"
            );
            assert_eq!(trailer(kv, "Wo-Environment"), Some(env), "{env} {id}");
            assert!(trailer(kv, "Wo-Promotable").is_some(), "{env} {id}");
            for (key, repo) in [
                ("Wo-Source-Commit", "shop-source"),
                ("Wo-Config-Commit", "shop-config"),
                ("Wo-Fleet-Commit", "platform-config"),
            ] {
                let c = trailer(kv, key).unwrap_or_else(|| panic!("{env} {id}: no {key}"));
                assert_eq!(c.len(), 40, "{key} is a full commit id: {c}");
                w.git_in(repo, &["cat-file", "-e", &format!("{c}^{{commit}}")]);
            }
            let record = w.git_in("shop-gitops", &["show", &format!("{id}:shop/release.yaml")]);
            assert!(
                record.contains(trailer(kv, "Wo-Source-Commit").unwrap()),
                "{env} {id}: release.yaml names the source commit:\n{record}"
            );
            let parents = w.git_in("shop-gitops", &["rev-list", "--parents", "-n", "1", id]);
            assert!(
                parents.split_whitespace().count() <= 2,
                "{env} {id}: no merge commits"
            );
        }

        // Re-render the head from the commits it names: byte for byte the same.
        let (head, kv) = &log[0];
        let src = w.checkout("shop-source", trailer(kv, "Wo-Source-Commit").unwrap());
        let config = w.checkout("shop-config", trailer(kv, "Wo-Config-Commit").unwrap());
        let fleet = w.checkout("platform-config", trailer(kv, "Wo-Fleet-Commit").unwrap());
        let out = w.root.path().join(format!("render-{env}"));
        let p = |p: &std::path::Path| p.display().to_string();
        w.wo(
            APP,
            &[
                "render",
                "--source",
                &p(&src),
                "--config",
                &p(&config),
                "--fleet",
                &p(&fleet),
                "--out",
                &p(&out),
            ],
        )
        .ok();
        let files: BTreeSet<String> = w
            .git_in(
                "shop-gitops",
                &["ls-tree", "-r", "--name-only", head, "shop"],
            )
            .lines()
            .filter(|f| *f != "shop/release.yaml" && *f != "shop/policy.yaml")
            .map(str::to_string)
            .collect();
        assert_eq!(files.len(), targets(env).len() * 2, "{env}: {files:?}");
        // The effective policy is not rendered but recorded: release.yaml names its sha256.
        let policy = flows_common::git_output(
            Some(&w.bare("shop-gitops")),
            &["show", &format!("{head}:shop/policy.yaml")],
        )
        .stdout;
        let record = w.git_in(
            "shop-gitops",
            &["show", &format!("{head}:shop/release.yaml")],
        );
        let sha = wo_core::compose::sha256_hex(&policy);
        assert!(
            record.contains(&format!("policySha256: {sha}")),
            "{env}: release.yaml records the policy's sha256 {sha}:\n{record}"
        );
        for f in &files {
            let committed = flows_common::git_output(
                Some(&w.bare("shop-gitops")),
                &["show", &format!("{head}:{f}")],
            )
            .stdout;
            let rendered = std::fs::read(out.join(f))
                .unwrap_or_else(|e| panic!("{env}: {f} not re-rendered: {e}"));
            assert!(committed == rendered, "{env}: {f} differs when re-rendered");
        }
    }
}

// 7 ─────────────────────────────────────────────────────────────────────────────────────────

#[test]
fn invalid_config_is_refused_naming_file_and_line_and_nothing_is_proposed() {
    let w = World::new();
    w.source_pushed(APP).ok();
    w.merge(APP, "dev").ok();
    w.deploy(APP, "dev").ok();
    let refs = w.refs("shop-gitops");

    w.edit(
        "shop-config",
        "dev",
        "values.yaml",
        "Replicas: 1",
        "Replicas: 400",
    );
    // Asked for JSON, the error is JSON on stdout: every diagnostic with file and line.
    let run = w.config_merged(APP, "dev").code(2);
    let error = run.json_error_names(&["values.yaml", "Replicas"]);
    assert_eq!(error["kind"], "invalid", "{run}");
    // `Replicas: 400` is on line 5 of values.yaml.
    assert!(
        error["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["file"].as_str().unwrap().ends_with("values.yaml") && d["line"] == 5),
        "the line is named:\n{run}"
    );
    assert!(
        run.stderr.trim().is_empty() || !run.stderr.contains("error:"),
        "{run}"
    );
    assert_eq!(w.refs("shop-gitops"), refs, "nothing was written");
    let dev = env_state(&w.status(APP), "dev");
    assert!(dev["changeRequest"].is_null(), "{dev:#}");
    // The same through prepare-pr directly.
    w.wo(APP, &["prepare-pr", "--env", "dev", "--released"])
        .code(2)
        .stderr_names(&["values.yaml", "Replicas"]);
    assert_eq!(w.refs("shop-gitops"), refs, "nothing was written");
}

#[test]
fn a_manual_commit_on_a_gitops_env_branch_is_never_deployed() {
    let w = World::new();
    w.source_pushed(APP).ok();
    w.merge(APP, "dev").ok();
    w.deploy(APP, "dev").ok();
    let state = w.state_bytes();
    assert!(!state.is_empty());

    // A person pushes straight to the protected branch.
    w.commit("shop-gitops", "dev", "hotfix: more replicas", |wt| {
        let p = wt.join("shop/dev-eu-1/values.yaml");
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("# edited by hand\n");
        std::fs::write(p, text).unwrap();
    });
    let run = w.deploy(APP, "dev").code(2);
    run.json_error_names(&["dev", "provenance"]);
    assert_eq!(w.state_bytes(), state, "nothing was deployed");

    // Forged trailers do not help: the files disagree with release.yaml.
    let msg = w.git_in("shop-gitops", &["log", "-1", "--format=%B", "dev~1"]);
    w.commit("shop-gitops", "dev", &msg, |wt| {
        let p = wt.join("shop/dev-us-1/manifests.yaml");
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("# edited by hand\n");
        std::fs::write(p, text).unwrap();
    });
    w.deploy(APP, "dev")
        .code(2)
        .json_error_names(&["dev-eu-1/values.yaml"]);
    assert_eq!(w.state_bytes(), state, "nothing was deployed");
}

#[test]
fn verify_exits_0_when_what_runs_is_what_was_reviewed_and_1_on_a_hand_edited_head() {
    let w = World::new();
    let verify = |args: &[&str]| {
        let mut all = vec!["verify", "--env", "dev"];
        all.extend_from_slice(args);
        w.wo(APP, &all)
    };
    w.source_pushed(APP).ok();
    w.merge(APP, "dev").ok();

    // Merged, not deployed yet: reported, and no drift.
    let v = verify(&["-o", "json"]).ok().json();
    assert_eq!(v["drift"], false, "{v:#}");
    for t in v["targets"].as_array().expect("targets") {
        assert_eq!(t["verdict"], "notDeployed", "{v:#}");
        assert_eq!(t["runs"], Value::Null, "{v:#}");
    }

    w.deploy(APP, "dev").ok();
    let head = w.head("shop-gitops", "dev").expect("dev head");
    let v = verify(&["-o", "json"]).ok().json();
    assert_eq!(
        v,
        serde_json::json!({
            "solution": "shop",
            "environment": "dev",
            "gitopsCommit": head,
            "gitops": null,
            "drift": false,
            "targets": [
                {"target": "dev-eu-1", "verdict": "ok"},
                {"target": "dev-us-1", "verdict": "ok"},
            ],
        }),
        "what WO runs (its resolved configuration) is what was reviewed"
    );
    let run = verify(&[]).ok();
    assert_eq!(run.stdout, "dev-eu-1  ok\ndev-us-1  ok\n", "{run}");
    let one = verify(&["--target", "dev-us-1", "-o", "json"]).ok().json();
    assert_eq!(
        one["targets"],
        serde_json::json!([{"target": "dev-us-1", "verdict": "ok"}])
    );
    let err = verify(&["--target", "nope", "-o", "json"])
        .code(1)
        .json_error_names(&["nope"]);
    assert_eq!(err["kind"], "notFound");
    w.wo(APP, &["verify", "--env", "qa"])
        .code(2)
        .stderr_names(&["qa"]);

    // A person pushes straight to the protected branch: the head no longer renders from
    // what wo last released, and WO still runs that release.
    w.commit("shop-gitops", "dev", "hotfix: more replicas", |wt| {
        let p = wt.join("shop/dev-eu-1/values.yaml");
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str("# edited by hand\n");
        std::fs::write(p, text).unwrap();
    });
    let run = verify(&["-o", "json"]).code(1);
    let v = run.json();
    assert_eq!(v["drift"], true, "{run}");
    assert_eq!(v["gitops"], "shop/dev-eu-1/values.yaml", "{run}");
    for t in v["targets"].as_array().expect("targets") {
        assert_eq!(t["verdict"], "notDeployed", "{run}");
        assert_eq!(t["runs"], head.as_str(), "{run}");
    }
    let run = verify(&[]).code(1);
    assert!(
        run.stdout.lines().next().is_some_and(
            |l| l.starts_with("gitops dev@") && l.contains("drift: shop/dev-eu-1/values.yaml")
        ),
        "{run}"
    );
}

#[test]
fn a_fleet_naming_a_missing_next_environment_is_a_clear_error() {
    let w = World::new();
    w.edit(
        "platform-config",
        "prod",
        "fleet.yaml",
        "environment: prod\n",
        "environment: prod\nnext: qa\n",
    );
    for args in [
        &["status"][..],
        &[
            "on-event",
            "--event",
            r#"{"type":"source-pushed","commit":"main"}"#,
        ][..],
        &["prepare-pr", "--env", "dev", "--source-rev", "main"][..],
    ] {
        let run = w.wo(APP, args).code(2).stderr_names(&[
            "platform-config/prod/fleet.yaml",
            "next",
            "qa",
        ]);
        assert!(run.stdout.trim().is_empty(), "{run}");
    }
    assert!(w.refs("shop-gitops").is_empty(), "nothing was written");
}

#[test]
fn an_unknown_environment_is_refused_with_exit_2_naming_it() {
    let w = World::new();
    let cases: [&[&str]; 6] = [
        &["deploy", "--env", "qa"],
        &["merge", "--env", "qa"],
        &["prepare-pr", "--env", "qa", "--source-rev", "main"],
        &["history", "--env", "qa"],
        &[
            "rollback",
            "--env",
            "qa",
            "--to",
            "0123456789012345678901234567890123456789",
        ],
        &[
            "on-event",
            "--event",
            r#"{"type":"change-merged","environment":"qa"}"#,
        ],
    ];
    for args in cases {
        w.wo(APP, args).code(2).stderr_names(&["qa"]);
    }
    w.wo(APP, &["on-event", "--event", r#"{"type":"pushed"}"#])
        .code(2)
        .stderr_names(&["<event>"]);
    assert!(w.refs("shop-gitops").is_empty(), "nothing was written");
    assert!(w.nothing_deployed(), "nothing was deployed");
}

// 8 ─────────────────────────────────────────────────────────────────────────────────────────

/// The record of the change requests of an env: (number, state) of the latest, and how many
/// were ever opened.
fn change_requests(w: &World, env: &str) -> (u64, String, usize) {
    let r = format!("refs/wo/changes/{env}/shop");
    let rec: Value =
        serde_json::from_str(&w.git_in("shop-gitops", &["show", &format!("{r}:change.json")]))
            .expect("change.json");
    let opened = w
        .git_in("shop-gitops", &["log", "--format=%s", &r])
        .lines()
        .filter(|l| l.starts_with("wo: change request") && l.ends_with(" open"))
        .count();
    (
        rec["number"].as_u64().expect("number"),
        rec["state"].as_str().expect("state").to_string(),
        opened,
    )
}

#[test]
fn every_step_run_again_after_a_crash_changes_nothing() {
    let w = World::new();
    let commit = w.source_head(APP);

    // ci, twice; and the prepare-pr step itself, again.
    w.source_pushed(APP).ok();
    let refs = w.refs("shop-gitops");
    w.source_pushed(APP).ok();
    w.wo(
        APP,
        &["prepare-pr", "--env", "dev", "--source-rev", &commit],
    )
    .ok();
    assert_eq!(
        w.refs("shop-gitops"),
        refs,
        "ci again: no second change request"
    );

    for (i, env) in ENVS.iter().enumerate() {
        // merge, twice: the second finds nothing open and changes nothing.
        w.merge(APP, env).ok();
        let refs = w.refs("shop-gitops");
        let again = w.merge(APP, env);
        assert_ne!(again.code, 2, "{again}");
        assert!(!again.stderr.contains("panicked"), "{again}");
        assert_eq!(w.refs("shop-gitops"), refs, "{env}: merge again");

        // deploy, twice (a crash after deploy, before the next prepare-pr).
        w.deploy(APP, env).ok();
        let state = w.state_bytes();
        w.deploy(APP, env).ok();
        assert_eq!(
            w.state_bytes(),
            state,
            "{env}: deploy again installs nothing"
        );

        // notify-on-pr, twice: deploys nothing new, opens the next change request once.
        w.change_merged(APP, env).ok();
        let refs = w.refs("shop-gitops");
        let again = w.change_merged(APP, env).ok().json();
        assert_eq!(w.refs("shop-gitops"), refs, "{env}: notify-on-pr again");
        assert_eq!(
            w.state_bytes(),
            state,
            "{env}: notify-on-pr again installs nothing"
        );
        if let Some(next) = ENVS.get(i + 1) {
            let s = steps(&again);
            assert_eq!(s.last().unwrap()["environment"], *next);
            assert_eq!(s.last().unwrap()["outcome"], "unchanged", "{again:#}");
            w.wo(APP, &["prepare-pr", "--env", next, "--source-rev", &commit])
                .ok();
            assert_eq!(w.refs("shop-gitops"), refs, "{next}: prepare-pr again");
        }
    }

    assert_released_everywhere(&w, APP, &commit);
    w.assert_installed_once();
    assert_eq!(w.installs().len(), 9, "{:#?}", w.installs());
    for env in ENVS {
        assert_eq!(
            change_requests(&w, env),
            (1, "merged".to_string(), 1),
            "{env}: exactly one change request, merged"
        );
        assert_eq!(
            trailers(&w, "shop-gitops", env).len(),
            1,
            "{env}: one release"
        );
    }
}

/// A new release for dev: a source commit, its change request merged into dev. Returns the
/// source commit and the gitops commit dev holds now.
fn new_dev_release(w: &World, round: &str) -> (String, String) {
    let commit = w.commit("shop-source", "main", &format!("round {round}"), |wt| {
        std::fs::write(wt.join(format!("round-{round}.txt")), format!("{round}\n")).unwrap();
    });
    w.source_pushed(APP).ok();
    w.merge(APP, "dev").ok();
    (commit, w.head("shop-gitops", "dev").unwrap())
}

/// `wo deploy --env dev` finishes the release `head` of source commit `commit`: it succeeds,
/// every target runs the release, nothing was installed twice, and one more deploy changes
/// nothing. Returns how many WO requests that first deploy made.
fn assert_dev_deploy_finishes(w: &World, round: &str, commit: &str, head: &str) -> u64 {
    let before = w.azure.sim.requests();
    let run = w.deploy(APP, "dev").ok().json();
    let requests = w.azure.sim.requests() - before;
    assert_eq!(run[0]["succeeded"], true, "round {round}: {run:#}");
    let dev = env_state(&w.status(APP), "dev");
    assert_eq!(dev["provenance"]["sourceCommit"], commit, "round {round}");
    assert_eq!(dev["state"], "success", "round {round}: {dev:#}");
    for t in targets("dev") {
        assert_eq!(dev["targets"][*t], "success", "round {round} {t}: {dev:#}");
        assert_eq!(w.running(&format!("shop/{t}")).as_deref(), Some(head));
    }
    w.assert_installed_once();
    // Once more: nothing new.
    let state = w.state_bytes();
    w.deploy(APP, "dev").ok();
    assert_eq!(w.state_bytes(), state, "round {round}");
    requests
}

/// A real `wo deploy` process is killed at its `n`th request to WO, while that request waits
/// unanswered in the simulator (so the process is certainly in the middle of the deploy).
/// Returns how many resources WO had gained since `resources_before` and how many dev targets
/// ran the release `head` at that moment.
fn kill_deploy_at_request(w: &World, round: &str, n: u64, head: &str) -> (usize, usize) {
    let resources_before = w.azure.sim.resource_count();
    let (arrived_tx, arrived) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    w.azure.sim.on_request(n, move || {
        let _ = arrived_tx.send(());
        // The request stays unanswered until the deploy is dead.
        let _ = release_rx.recv();
    });
    let mut child = w
        .command(APP, &["deploy", "--env", "dev"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("wo deploy starts");
    // Whichever comes first: the nth request (the hook), or the end of the deploy (a failure).
    loop {
        match arrived.recv_timeout(Duration::from_millis(50)) {
            Ok(()) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Some(status) = child.try_wait().expect("try_wait") {
                    panic!("round {round}: the deploy ended ({status}) before its WO request {n}");
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("round {round}: hook dropped"),
        }
    }
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "round {round}: the deploy was not running at its WO request {n}"
    );
    child.kill().expect("kill wo deploy");
    let status = child.wait().expect("wait for wo deploy");
    assert_eq!(
        status.code(),
        None,
        "round {round}: the deploy ended by itself ({status}), not by the kill"
    );
    let written = w
        .azure
        .sim
        .resource_count()
        .saturating_sub(resources_before);
    let running = targets("dev")
        .iter()
        .filter(|t| w.running(&format!("shop/{t}")).as_deref() == Some(head))
        .count();
    release.send(()).expect("release the held request");
    (written, running)
}

#[test]
fn a_deploy_killed_at_any_moment_finishes_on_rerun_installing_nothing_twice() {
    let w = World::new();
    // Two deploys run to the end first: the first also creates the solution's schema and
    // template in WO; the second, a first deploy of a new release as every killed one is,
    // counts the WO requests of a whole deploy.
    let mut whole = 0;
    let mut releases = 0;
    for round in ["first", "whole"] {
        let (commit, head) = new_dev_release(&w, round);
        whole = assert_dev_deploy_finishes(&w, round, &commit, &head);
        releases += 1;
    }
    assert!(whole > 8, "a whole deploy made {whole} WO requests");
    // Early (its first request), middle, late (its last request).
    let middle = whole / 2;
    let kill_at = [1, whole / 4, middle, whole * 3 / 4, whole];
    for n in kill_at {
        let round = format!("killed-at-{n}");
        let (commit, head) = new_dev_release(&w, &round);
        let (written, running) = kill_deploy_at_request(&w, &round, n, &head);
        eprintln!(
            "round {round}: killed at WO request {n} of {whole}, after {written} new WO \
             resources, {running} target(s) running the release"
        );
        if n == middle {
            assert!(
                written > 0 && running < targets("dev").len(),
                "round {round}: the middle kill came after some writes ({written}) and before \
                 every target ran the release ({running})"
            );
        }
        assert_dev_deploy_finishes(&w, &round, &commit, &head);
        releases += 1;
    }
    // Every round's release was installed exactly once on each dev target.
    let installs = w.installs();
    assert_eq!(
        installs.len(),
        releases * targets("dev").len(),
        "{installs:#?}"
    );
    w.assert_installed_once();
}
