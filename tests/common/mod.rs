//! What the facade's chart and delivery tests share: the example shop with the Helm twin of
//! its chart, the real helm in a home of its own, and wo's renderer using it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use wo::core::files::FileTree;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// `examples/charts/shop-helm`, the Helm twin of the example's chart.
pub fn shop_helm() -> FileTree {
    FileTree::load_dir(&root().join("examples/charts/shop-helm")).unwrap()
}

/// `examples/shop/source` with its chart replaced by [`shop_helm`], so that helm renders what
/// WO would install.
pub fn shop_source_with_helm_chart() -> FileTree {
    let mut files = FileTree::load_dir(&root().join("examples/shop/source")).unwrap();
    let old: Vec<String> = files
        .iter()
        .map(|(p, _)| p.to_string())
        .filter(|p| p.starts_with("chart/"))
        .collect();
    for p in old {
        files.remove(&p);
    }
    for (path, content) in shop_helm().iter() {
        files
            .insert(format!("chart/{path}"), content.to_vec())
            .unwrap();
    }
    files
}

/// Runs the real helm with its homes under `home`; its stdout, or a panic naming stderr.
pub fn helm(args: &[&str], home: &Path) -> String {
    let out = Command::new(wo_test_support::tool("helm"))
        .args(args)
        .envs(wo_test_support::helm_env(home))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "helm {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// wo's renderer (canonical form) with the real helm.
pub fn renderer() -> Arc<dyn wo::core::ports::Renderer> {
    Arc::new(wo::render::CanonicalRenderer::new(
        wo::render::ChartRenderer {
            helm: wo::render::HelmRenderer::new().with_binary(wo_test_support::tool("helm")),
            ..Default::default()
        },
    ))
}
