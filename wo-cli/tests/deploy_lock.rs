//! One `wo deploy` of an environment at a time on a machine (the deploy lock, see README):
//! real `wo` processes against the WO simulator and git repositories on 127.0.0.1. A deploy is
//! held at its first WO request by the simulator (no sleeps); meanwhile a second deploy of the
//! same environment refuses at once, naming the first's pid, and sends nothing to WO. The lock
//! is released when the deploy ends, and a lock left by a killed deploy is taken over.

mod azure_common;
mod flows_common;

use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use flows_common::{Sol, World};

const APP: Sol = Sol::App;

/// A release of the app merged into dev, not deployed yet.
fn dev_release(w: &World, round: &str) {
    w.commit("shop-source", "main", &format!("round {round}"), |wt| {
        std::fs::write(wt.join(format!("round-{round}.txt")), format!("{round}\n")).unwrap();
    });
    w.source_pushed(APP).ok();
    w.merge(APP, "dev").ok();
}

/// Starts `wo deploy --env dev` and returns it once its first request to WO has arrived and
/// is held there; sending on the returned channel lets that request be answered.
fn held_deploy(w: &World) -> (Child, mpsc::Sender<()>) {
    let (arrived_tx, arrived) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    w.azure.sim.on_request(1, move || {
        let _ = arrived_tx.send(());
        let _ = release_rx.recv();
    });
    let mut child = w
        .command(APP, &["deploy", "--env", "dev", "--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wo deploy starts");
    // A guard against a hang only: the deploy reaches WO within seconds.
    if arrived.recv_timeout(Duration::from_secs(300)).is_err() {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!(
            "the deploy never reached WO: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (child, release)
}

#[test]
fn a_second_deploy_of_an_environment_refuses_while_one_runs() {
    let w = World::new();
    dev_release(&w, "one");
    let (first, release) = held_deploy(&w);
    let at = w.azure.sim.requests();

    let second = w.wo(APP, &["deploy", "--env", "dev"]).code(1);
    let second = second.stderr_names(&[
        &format!("another wo deploy of dev is running (pid {}", first.id()),
        "remove the lock",
    ]);
    assert_eq!(
        w.azure.sim.requests(),
        at,
        "the refused deploy sent nothing to WO:\n{second}"
    );
    // Another environment is not held up.
    let stage = w.wo(APP, &["deploy", "--env", "stage"]);
    assert!(
        !stage.stderr.contains("another wo deploy"),
        "stage is not locked by dev:\n{stage}"
    );

    release.send(()).unwrap();
    let out = first.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the first deploy does the work: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Released at the end: the next deploy runs (and has nothing left to do).
    w.deploy(APP, "dev").ok();
    w.assert_installed_once();
}

#[test]
fn a_lock_left_by_a_killed_deploy_is_taken_over() {
    let w = World::new();
    dev_release(&w, "one");
    let (mut first, release) = held_deploy(&w);
    first.kill().unwrap();
    first.wait().unwrap();
    release.send(()).unwrap();
    let locks: Vec<_> = std::fs::read_dir(w.cache.join("locks"))
        .expect("the killed deploy left its lock")
        .collect();
    assert_eq!(locks.len(), 1, "{locks:?}");

    let run = w.deploy(APP, "dev").ok().json();
    assert_eq!(run[0]["succeeded"], true, "{run:#}");
    w.assert_installed_once();
    assert_eq!(
        std::fs::read_dir(w.cache.join("locks")).unwrap().count(),
        0,
        "released"
    );
}
