//! A downstream tool running prepare-pr through the library alone: its own backends for the
//! repositories (in memory here: a tool might keep them in a database or a blob store), wo's
//! composition root for everything else — the same pipeline, composition, validation and
//! renderer as the `wo` command.
//!
//! ```sh
//! cargo run --example prepare_pr
//! ```
//!
//! It seeds the source, config and platform stores from the worked example
//! (`examples/shop`), proposes `dev` for the source's `main`, prints the change request, then
//! runs the same step again to show that it is idempotent.

use std::path::Path;
use std::sync::Arc;

use wo::core::files::FileTree;
use wo::core::memory::{
    InMemoryConfigStore, InMemoryGitOpsRepo, InMemoryOrchestrator, InMemorySourceRepo,
};
use wo::core::pipeline::SourceChoice;
use wo::pipeline::PipelineBuilder;
use wo::settings::Settings;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), wo::core::Error> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shop");

    // The tool's own stores, seeded from the worked example.
    let source = InMemorySourceRepo::new();
    source.commit("main", FileTree::load_dir(&root.join("source"))?);
    let config = InMemoryConfigStore::named("app-config");
    config.commit("dev", FileTree::load_dir(&root.join("config"))?);
    let platform = InMemoryConfigStore::named("platform-config");
    let mut fleet = FileTree::load_dir(&root.join("fleet"))?;
    // These stores hold one environment: the chain ends at dev.
    let text = fleet
        .text("fleet.yaml")?
        .unwrap_or_default()
        .replace("next: stage\n", "");
    fleet.insert("fleet.yaml", text)?;
    platform.commit("dev", fleet);
    let gitops = InMemoryGitOpsRepo::new();

    // wo does the rest: the renderer the chart declares, the pipeline's checks and steps.
    let pipeline = PipelineBuilder::new(Settings::default())
        .source(Arc::new(source))
        .app_config(Arc::new(config))
        .platform_config(Arc::new(platform))
        .gitops(Arc::new(gitops.clone()))
        .orchestrator(Arc::new(InMemoryOrchestrator::new()))
        .build()?;

    let main = SourceChoice::Commit("main".into());
    let prepared = pipeline.prepare_pr("dev", &main, true).await?;
    let cr = prepared
        .change_request()
        .expect("a first proposal opens a change request");
    println!(
        "{}: change request {}",
        prepared.environment,
        prepared.kind()
    );
    println!("  title:   {}", cr.title);
    println!("  targets: {}", prepared.targets.join(", "));
    println!("  source:  {}", prepared.provenance.source_commit);
    for line in cr.body.lines().take(8) {
        println!("  | {line}");
    }

    let again = pipeline.prepare_pr("dev", &main, true).await?;
    println!(
        "again: {} ({} change request in all)",
        again.kind(),
        gitops.change_requests().len()
    );
    assert_eq!(again.kind(), "unchanged");
    Ok(())
}
