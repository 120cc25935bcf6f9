//! The real helm the crate's comparison tests run: `WO_HELM`, else the one `bash
//! .ci/install-tools` installs (`$WO_TOOLS_DIR` or `~/.cache/wo-tools`, `bin/helm`).

use std::path::PathBuf;

/// The helm binary, or `None` (with a note on stderr) when it is not installed: the
/// comparisons are then skipped, the crate's own assertions still run.
pub(crate) fn helm() -> Option<PathBuf> {
    let path = std::env::var_os("WO_HELM")
        .map(PathBuf::from)
        .unwrap_or_else(|| wo_test_support::tools_dir().join("bin/helm"));
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "note: no helm at {} (set WO_HELM, or run `bash .ci/install-tools`); the comparison with helm is skipped",
            path.display()
        );
        None
    }
}
