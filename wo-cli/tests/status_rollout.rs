//! `wo status` and `wo deploy` show a rollout: per wave the targets done, failed and
//! waiting, and the bake, through the `wo` binary against the WO simulator.

mod azure_common;
mod flows_common;

use flows_common::{Sol, World};

const APP: Sol = Sol::App;

#[test]
fn status_and_deploy_show_the_rollout_of_prod_wave_by_wave() {
    let w = World::new();
    w.edit(
        "platform-config",
        "prod",
        "fleet.yaml",
        "  - name: prod-berlin-1\n    hierarchy: {region: eu, site: berlin}\n    labels: {tier: standard}",
        "  - name: prod-berlin-1\n    hierarchy: {region: eu, site: berlin}\n    labels: {tier: standard, ring: canary}",
    );
    w.commit("platform-config", "prod", "prod rolls out", |wt| {
        let path = wt.join("fleet.yaml");
        let mut fleet = std::fs::read_to_string(&path).unwrap();
        fleet.push_str(
            "rollout:\n  waves:\n    - {name: canary, selector: {ring: canary}}\n    - {name: rest}\n  bake: 1h\n  approval: [rest]\n",
        );
        std::fs::write(&path, fleet).unwrap();
    });
    // dev and stage deploy at once; prod's first run installs the canary and waits.
    w.promote(APP);

    let text = w.wo(APP, &["status"]).ok().stdout;
    let lines: Vec<&str> = text.lines().collect();
    let prod = lines
        .iter()
        .position(|l| l.starts_with("prod "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        lines[prod + 1].starts_with("         rollout: wave `canary` bakes until ")
            && lines[prod + 1].ends_with(" left)"),
        "{text}"
    );
    assert_eq!(
        lines[prod + 2].trim_end(),
        "           WAVE    TARGETS  DONE  FAILED  WAITING  PHASE",
        "{text}"
    );
    assert!(
        lines[prod + 3]
            .starts_with("           canary  1        1     0       0        baking until "),
        "{text}"
    );
    assert_eq!(
        lines[prod + 4],
        "           rest    3        0     0       3        pending, needs approval",
        "{text}"
    );
    // dev and stage have no rollout: nothing under their lines.
    assert!(
        !lines[..prod].iter().any(|l| l.contains("rollout:")),
        "{text}"
    );

    let json = w.status(APP);
    let waves = &json["prod"]["rollout"]["waves"];
    assert_eq!(waves[0]["name"], "canary");
    assert_eq!(waves[0]["phase"], "baking");
    assert_eq!(waves[1]["waiting"], 3);
    assert!(json["dev"].get("rollout").is_none());

    // A run during the bake installs nothing and shows the same table.
    let deploy = w.wo(APP, &["deploy", "--env", "prod"]).ok().stdout;
    assert!(
        deploy.contains("  waiting: wave `canary` bakes until "),
        "{deploy}"
    );
    assert!(
        deploy.contains("\n  WAVE    TARGETS  DONE  FAILED  WAITING  PHASE\n  canary  1        1     0       0        baking until "),
        "{deploy}"
    );
    assert!(
        deploy.contains("\n  rest    3        0     0       3        pending, needs approval\n"),
        "{deploy}"
    );
}
