//! Where the tools of the tests are: the directory `.ci/install-tools` installs into, or a
//! variable naming one tool's binary.

use std::ffi::OsString;
use std::path::PathBuf;

/// The tools [`tool`] knows, with the variable that names each one's binary directly.
pub const TOOLS: &[(&str, &str)] = &[
    ("helm", "WO_HELM"),
    ("prism", "WO_PRISM"),
    ("actionlint", "WO_ACTIONLINT"),
    ("kubernetes-validate", "WO_KUBERNETES_VALIDATE"),
    ("shellcheck", "WO_SHELLCHECK"),
    ("wo-python", "WO_PYTHON_SDK"),
];

/// The directory `.ci/install-tools` installs into: `WO_TOOLS_DIR`, else
/// `$HOME/.cache/wo-tools`.
///
/// # Panics
/// When neither `WO_TOOLS_DIR` nor `HOME` is set.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = non_empty_var("WO_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    let home = non_empty_var("HOME")
        .unwrap_or_else(|| panic!("neither WO_TOOLS_DIR nor HOME is set: {}", install_hint()));
    PathBuf::from(home).join(".cache/wo-tools")
}

/// The path of the installed tool `name` (one of [`TOOLS`]): its variable (`WO_HELM`,
/// `WO_PRISM`, `WO_ACTIONLINT`, `WO_KUBERNETES_VALIDATE`, `WO_SHELLCHECK`, `WO_PYTHON_SDK` for
/// `wo-python`, the Python 3.11 with Microsoft's WO SDK) when set, else
/// `<tools_dir()>/bin/<name>`. `PATH` is never searched, so a test runs the tool
/// `bash .ci/install-tools` installed, whatever else the machine has.
///
/// # Panics
/// When `name` is not one of [`TOOLS`], or the file is missing; the message names the path
/// looked at and `bash .ci/install-tools`.
pub fn tool(name: &str) -> PathBuf {
    let Some((_, var)) = TOOLS.iter().find(|(tool, _)| *tool == name) else {
        panic!(
            "unknown test tool `{name}`; the tools are {:?}",
            TOOLS.iter().map(|(t, _)| *t).collect::<Vec<_>>()
        );
    };
    if let Some(path) = non_empty_var(var) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{var}={} names no file: unset it, or run `bash .ci/install-tools` and point {var} at \
             the installed {name}",
            path.display()
        );
        return path;
    }
    let path = tools_dir().join("bin").join(name);
    assert!(
        path.is_file(),
        "the test tool `{name}` is not installed: no file at {} (set {var} to use another). {}",
        path.display(),
        install_hint()
    );
    path
}

fn install_hint() -> &'static str {
    "Run `bash .ci/install-tools` first (it installs Helm, kubernetes-validate, actionlint, \
     shellcheck, Stoplight Prism and wo-python, a Python 3.11 with \
     azure-mgmt-workloadorchestration, into $WO_TOOLS_DIR, default ~/.cache/wo-tools; tests \
     use the same WO_TOOLS_DIR)."
}

fn non_empty_var(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

/// The environment that keeps `helm` in `home`: its config, cache and data homes, its registry
/// config (`registry/config.json`), and `HOME` and `DOCKER_CONFIG` there too, so that a test's
/// helm reads and writes nothing of the user's.
pub fn helm_env(home: &std::path::Path) -> Vec<(&'static str, PathBuf)> {
    vec![
        ("HOME", home.to_path_buf()),
        ("HELM_CACHE_HOME", home.join("cache")),
        ("HELM_CONFIG_HOME", home.join("config")),
        ("HELM_DATA_HOME", home.join("data")),
        ("HELM_REGISTRY_CONFIG", home.join("registry/config.json")),
        ("DOCKER_CONFIG", home.join("docker")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One test for every case: the variables are process-wide.
    #[test]
    fn a_tool_comes_from_its_variable_else_the_tools_dir_and_a_missing_one_panics() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/helm"), "").unwrap();
        let other = dir.path().join("my-helm");
        std::fs::write(&other, "").unwrap();

        std::env::remove_var("WO_HELM");
        std::env::set_var("WO_TOOLS_DIR", dir.path());
        assert_eq!(tools_dir(), dir.path());
        assert_eq!(tool("helm"), dir.path().join("bin/helm"));

        std::env::set_var("WO_HELM", &other);
        assert_eq!(tool("helm"), other);
        std::env::set_var("WO_HELM", "");
        assert_eq!(tool("helm"), dir.path().join("bin/helm"));

        std::env::remove_var("WO_PRISM");
        let missing = std::panic::catch_unwind(|| tool("prism")).unwrap_err();
        let message = missing.downcast_ref::<String>().unwrap();
        assert!(message.contains("bash .ci/install-tools"), "{message}");
        assert!(message.contains(&dir.path().join("bin/prism").display().to_string()));

        std::env::set_var("WO_HELM", dir.path().join("nothing"));
        let missing = std::panic::catch_unwind(|| tool("helm")).unwrap_err();
        let message = missing.downcast_ref::<String>().unwrap();
        assert!(message.contains("WO_HELM="), "{message}");
        assert!(std::panic::catch_unwind(|| tool("kubectl")).is_err());

        std::env::remove_var("WO_HELM");
        std::env::remove_var("WO_TOOLS_DIR");
    }
}
