//! End to end on GitHub: six repositories in the fake GitHub, and GitHub Actions played by
//! this driver — real webhook payload files given to `wo on-event --github`, a reviewer merging
//! with `wo merge`. Stoplight Prism (proxy mode, `--errors`) is started in front of the fake and
//! the test fails (does not skip) without it; ALL of `wo`'s traffic goes through it, so any
//! request or response that violates GitHub's official API description fails a `wo` run and
//! with it the test.

mod azure_common;
mod github_e2e_common;

use github_e2e_common::*;
use serde_json::json;
use wo_github_fake::FakeGitHub;

#[test]
fn github_actions_flows_end_to_end_on_the_fake() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fake = rt.block_on(FakeGitHub::start()).expect("fake starts");
    let proxy = start_prism(fake.base_url());
    for r in [
        SHOP.source,
        SHOP.config,
        SHOP.gitops,
        PLATFORM.source,
        PLATFORM.config,
        PLATFORM.gitops,
    ] {
        fake.create_repo(OWNER, r);
    }
    let shop_main = push(
        &fake,
        SHOP.source,
        "main",
        &example("shop/source"),
        "shop: first version",
    );
    let platform_main = push(
        &fake,
        PLATFORM.source,
        "main",
        &example("platform/source"),
        "platform: first version",
    );
    for env in ENVIRONMENTS {
        push(
            &fake,
            SHOP.config,
            env,
            &example(&format!("demo/app-config/{env}")),
            "values",
        );
        push(
            &fake,
            PLATFORM.config,
            env,
            &example(&format!("demo/platform-config/{env}")),
            "fleet",
        );
    }
    let api = proxy.base_url();
    let mut w = World {
        fake,
        api,
        dir: tempfile::tempdir().unwrap(),
        events: 0,
        runs: 0,
        azure: azure_common::Azure::start(ALL_TARGETS),
    };

    // 1. A push to shop's main is promoted dev → stage → prod.
    let before = w.requests();
    let zero = "0".repeat(40);
    let run = w
        .on_event(
            SHOP,
            "source",
            "push",
            &push_payload(SHOP.source, "main", &zero, &shop_main),
        )
        .ok();
    let (merged, runs) = w.drive(SHOP);
    for r in runs {
        r.ok();
    }
    assert_eq!(merged, ["dev", "stage", "prod"], "{}", run.stdout);
    let promotion = w.requests() - before;
    let pulls = w.fake.pulls(OWNER, SHOP.gitops);
    for env in ENVIRONMENTS {
        assert_eq!(
            w.status(SHOP.source, &shop_main, &format!("wo/{env}"))
                .as_deref(),
            Some("success"),
            "wo/{env} on {shop_main}"
        );
        let n = pulls
            .iter()
            .filter(|p| p.head == format!("wo/{env}/shop") && p.base == env && p.merged)
            .count();
        assert_eq!(n, 1, "one change request for (shop, {env}): {pulls:?}");
    }
    println!(
        "promotion dev → prod: {promotion} requests served by the fake, {:.1} per change request \
         ({} change requests)",
        promotion as f64 / 3.0,
        pulls.len()
    );
    println!("by route: {:?}", w.fake.request_counts());
    assert!(promotion > 0 && promotion < 3000, "{promotion} requests");
    let status = w.wo(SHOP, &["status", "--output", "json"], &[]).ok();
    let status: serde_json::Value = serde_json::from_str(&status.stdout).expect("status json");
    assert!(status.to_string().contains(&shop_main), "{status}");

    // 2. A config-only change in stage: re-rendered in stage, not promoted.
    let prod_before = w.fake.branch_sha(OWNER, SHOP.gitops, "prod");
    let dev_before = w.fake.branch_sha(OWNER, SHOP.gitops, "dev");
    let values = w
        .fake
        .read_file(OWNER, SHOP.config, "stage", "values.yaml")
        .unwrap()
        .replace("Replicas: 2", "Replicas: 3");
    let cfg = w.fake.push_files(
        OWNER,
        SHOP.config,
        "stage",
        &[("values.yaml", Some(&values))],
        "stage: three replicas",
    );
    let before = w.requests();
    w.on_event(
        SHOP,
        "config",
        "pull_request",
        &merged_payload(SHOP.config, 101, "more-replicas", "stage", Some(&cfg)),
    )
    .ok();
    let (merged, runs) = w.drive(SHOP);
    for r in runs {
        r.ok();
    }
    assert_eq!(merged, ["stage"]);
    assert_eq!(w.fake.branch_sha(OWNER, SHOP.gitops, "prod"), prod_before);
    assert_eq!(w.fake.branch_sha(OWNER, SHOP.gitops, "dev"), dev_before);
    println!("config change in stage: {} requests", w.requests() - before);

    // 3. A new release fails on one prod cluster: the promotion halts, wo/prod = failure.
    let last_good = w.fake.branch_sha(OWNER, SHOP.gitops, "prod").unwrap();
    w.fail(Some(
        json!({"prod-chicago-1": "ImagePullBackOff: registry unreachable"}),
    ));
    let chart = w
        .fake
        .read_file(OWNER, SHOP.source, "main", "chart/values.yaml")
        .unwrap()
        .replace("memory: 256Mi", "memory: 320Mi");
    let bad = w.fake.push_files(
        OWNER,
        SHOP.source,
        "main",
        &[("chart/values.yaml", Some(&chart))],
        "shop: more memory",
    );
    w.on_event(
        SHOP,
        "source",
        "push",
        &push_payload(SHOP.source, "main", &shop_main, &bad),
    )
    .ok();
    let (merged, runs) = w.drive(SHOP);
    assert_eq!(merged, ["dev", "stage", "prod"]);
    let (last, earlier) = runs.split_last().unwrap();
    for r in earlier {
        assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    }
    assert_eq!(
        last.code,
        Some(1),
        "the failed deploy exits 1:\n{}{}",
        last.stdout,
        last.stderr
    );
    assert!(last.stdout.contains("prod-chicago-1"), "{}", last.stdout);
    assert_eq!(
        w.status(SHOP.source, &bad, "wo/stage").as_deref(),
        Some("success")
    );
    assert_eq!(
        w.status(SHOP.source, &bad, "wo/prod").as_deref(),
        Some("failure")
    );
    assert_eq!(
        w.status(SHOP.source, &bad, "wo/prod/prod-chicago-1")
            .as_deref(),
        Some("failure")
    );

    // 4. Rollback: prod goes back to the last good release through a change request.
    w.fail(None);
    w.wo(
        SHOP,
        &["rollback", "--env", "prod", "--to", &last_good],
        &[],
    )
    .ok();
    let (merged, runs) = w.drive(SHOP);
    for r in runs {
        r.ok();
    }
    assert_eq!(merged, ["prod"]);
    assert_ne!(
        w.fake.branch_sha(OWNER, SHOP.gitops, "prod").as_deref(),
        Some(last_good.as_str()),
        "a rollback is a new commit"
    );

    // 5. A platform change on its own: deployed everywhere; shop's gitops branches stay.
    let shop_heads: Vec<_> = ENVIRONMENTS
        .iter()
        .map(|e| w.fake.branch_sha(OWNER, SHOP.gitops, e))
        .collect();
    let run = w
        .on_event(
            PLATFORM,
            "source",
            "push",
            &push_payload(PLATFORM.source, "main", &zero, &platform_main),
        )
        .ok();
    let (merged, runs) = w.drive(PLATFORM);
    for r in runs {
        r.ok();
    }
    assert_eq!(merged, ["dev", "stage", "prod"], "{}", run.stdout);
    let after: Vec<_> = ENVIRONMENTS
        .iter()
        .map(|e| w.fake.branch_sha(OWNER, SHOP.gitops, e))
        .collect();
    assert_eq!(shop_heads, after);
    println!("wo ran {} times, {} event payloads", w.runs, w.events);

    drop(proxy);
    rt.block_on(w.fake.shutdown());
}
