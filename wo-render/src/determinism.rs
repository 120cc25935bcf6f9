//! The determinism check of the Helm engine: a chart must render the same manifests twice.
//!
//! Helm charts can call `randAlphaNum`, `uuidv4`, `genCA`, `now` and the like, so each render
//! differs. wo compares what it renders with what the gitops repo holds, so such a chart would
//! make prepare-pr update an unchanged change request on every run and verification report drift
//! forever. [`HelmRenderer`](crate::HelmRenderer) therefore renders a sample of the requests
//! (the first and the last) a second time and fails with [`Error::Invalid`] when their canonical
//! manifests differ, naming the chart, the template file (from Helm's `# Source:` lines), the
//! resource and the non-deterministic functions the templates call.
//!
//! A chart whose churn is accepted opts out in its `Chart.yaml`, next to `wo/engine`:
//!
//! ```yaml
//! annotations:
//!   wo/allow-nondeterministic: "true"
//! ```

use std::sync::LazyLock;

use regex::Regex;
use wo_core::ports::Chart;
use wo_core::yaml::NodeKind;
use wo_core::{Diagnostic, Error, Location, Result};

use crate::manifest::{ManifestSet, Resource};

/// The `Chart.yaml` annotation that lets a chart render differently each time.
pub const ALLOW_NONDETERMINISTIC_ANNOTATION: &str = "wo/allow-nondeterministic";

/// Template functions whose result changes from one render to the next: Sprig's random
/// strings and numbers, UUIDs, generated keys and certificates, the clock, `shuffle`, and the
/// salted or randomly padded `bcrypt`, `htpasswd` and `encryptAES`.
static NONDETERMINISTIC: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"\b(rand[A-Z][A-Za-z]*|uuidv4|gen[A-Z][A-Za-z]*|now|date|dateInZone|date_in_zone|htmlDate|htmlDateInZone|unixEpoch|ago|shuffle|bcrypt|htpasswd|encryptAES)\b",
    )
    .ok()
});

/// A template action: `{{ … }}`, across lines.
static ACTION: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?s)\{\{(.*?)\}\}").ok());

/// Whether the chart opts out of the check (`wo/allow-nondeterministic: "true"`).
///
/// # Errors
///
/// [`Error::Invalid`] when `Chart.yaml` is missing or not YAML, or the annotation is neither
/// `"true"` nor `"false"`.
pub fn allows_nondeterminism(chart: &Chart) -> Result<bool> {
    let file = format!("{}/Chart.yaml", chart.name);
    let Some(text) = chart.files.text("Chart.yaml")? else {
        return Ok(false);
    };
    let node = wo_core::yaml::parse(text, &file)?;
    let Some(value) = node
        .get("annotations")
        .and_then(|a| a.get(ALLOW_NONDETERMINISTIC_ANNOTATION))
    else {
        return Ok(false);
    };
    match &value.kind {
        NodeKind::Bool(b) => Ok(*b),
        NodeKind::Str(s) if s == "true" => Ok(true),
        NodeKind::Str(s) if s == "false" => Ok(false),
        _ => Err(Error::invalid(
            Location::file(&file)
                .with_key(format!("annotations.{ALLOW_NONDETERMINISTIC_ANNOTATION}"))
                .at(value.line, value.column),
            "expected \"true\" or \"false\"",
        )),
    }
}

/// The requests rendered twice: the first and the last.
pub(crate) fn sample(requests: usize) -> Vec<usize> {
    match requests {
        0 => Vec::new(),
        1 => vec![0],
        n => vec![0, n - 1],
    }
}

/// Compares two renders of one request; `Err` names what differs. Output that is not a valid
/// manifest stream is not compared here: canonicalisation reports it.
pub(crate) fn compare(chart: &Chart, target: &str, first: &str, second: &str) -> Result<()> {
    let (Ok(a), Ok(b)) = (
        ManifestSet::parse(first, "first").map(ManifestSet::without_test_hooks),
        ManifestSet::parse(second, "second").map(ManifestSet::without_test_hooks),
    ) else {
        return Ok(());
    };
    if a.to_yaml() == b.to_yaml() {
        return Ok(());
    }
    // The first resource that differs, from either render.
    let differs =
        |r: &&Resource, other: &ManifestSet| other.get(&r.id).map(|o| &o.value) != Some(&r.value);
    let (resource, output) = match a.iter().find(|r| differs(r, &b)) {
        Some(r) => (r, first),
        None => match b.iter().find(|r| differs(r, &a)) {
            Some(r) => (r, second),
            None => return Ok(()),
        },
    };
    let template = source_of(output, resource.source.line.unwrap_or(1));
    let functions = template
        .as_deref()
        .and_then(|t| chart.files.text(t).ok().flatten())
        .map(nondeterministic_calls)
        .unwrap_or_default();
    let (functions, where_) = if functions.is_empty() {
        // The call may sit in a helper the template includes.
        let mut found: Vec<String> = Vec::new();
        for (path, _) in chart.files.iter() {
            if !path.starts_with("templates/") {
                continue;
            }
            if let Ok(Some(text)) = chart.files.text(path) {
                for f in nondeterministic_calls(text) {
                    found.push(format!("{f} ({path})"));
                }
            }
        }
        (found, "the chart's templates call")
    } else {
        (functions, "the template calls")
    };
    let calls = if functions.is_empty() {
        String::from("no known non-deterministic function was found in its templates")
    } else {
        format!("{where_} {}", functions.join(", "))
    };
    let file = template.unwrap_or_else(|| format!("{}/templates", chart.name));
    let diagnostic = Diagnostic::new(
        Location::file(&file),
        format!(
            "chart `{}` renders differently each time: {} (from {file}) differed between two renders for target `{target}`; {calls}. wo would see a change on every run (prepare-pr would update an unchanged change request forever)",
            chart.name, resource.id
        ),
    )
    .with_hint(format!(
        "derive the value from the values or the release (for a secret, let the cluster generate it, or keep it in the values); or, to accept the churn, annotate Chart.yaml with `{ALLOW_NONDETERMINISTIC_ANNOTATION}: \"true\"`"
    ));
    Err(Error::Invalid(wo_core::Diagnostics(vec![diagnostic])))
}

/// The template file of the document at `line` of Helm's output: the path of the last
/// `# Source: <chart>/<path>` line above it, without the chart name.
fn source_of(output: &str, line: u32) -> Option<String> {
    let mut source = None;
    for (i, text) in output.lines().enumerate() {
        if i + 1 > line as usize {
            break;
        }
        if let Some(path) = text.strip_prefix("# Source: ") {
            // `<chart>/templates/x.yaml`; a subchart's is `<chart>/charts/<sub>/templates/…`.
            source = path.trim().split_once('/').map(|(_, p)| p.to_owned());
        }
    }
    source
}

/// The non-deterministic functions called inside the template actions of `text`, in order of
/// first use.
pub(crate) fn nondeterministic_calls(text: &str) -> Vec<String> {
    let (Some(action), Some(function)) = (ACTION.as_ref(), NONDETERMINISTIC.as_ref()) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for a in action.captures_iter(text) {
        let Some(body) = a.get(1) else { continue };
        let body = body.as_str();
        for f in function.find_iter(body) {
            // `.Values.date`, `$now`: a field or a variable, not a call.
            if body[..f.start()].ends_with(['.', '$']) {
                continue;
            }
            if !out.iter().any(|o| o == f.as_str()) {
                out.push(f.as_str().to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_found_inside_actions_only() {
        let t = "date: today\nkey: {{ randAlphaNum 16 | b64enc }}\nid: {{ uuidv4 }}\nat: {{ now | date \"2006\" }}\n{{- $ca := genCA \"x\" 365 }}{{ randAlphaNum 3 }}\nupdate: {{ .Values.update }}\n";
        assert_eq!(
            nondeterministic_calls(t),
            ["randAlphaNum", "uuidv4", "now", "date", "genCA"]
        );
        assert!(nondeterministic_calls(
            "{{ .Values.generate }} {{ .Values.random }} {{ .Values.date }} {{ $now := 1 }}"
        )
        .is_empty());
    }

    #[test]
    fn the_source_is_the_last_source_line_above() {
        let out = "---\n# Source: demo/templates/a.yaml\napiVersion: v1\n---\n# Source: demo/templates/b.yaml\napiVersion: v1\n";
        assert_eq!(source_of(out, 3).as_deref(), Some("templates/a.yaml"));
        assert_eq!(source_of(out, 6).as_deref(), Some("templates/b.yaml"));
        assert_eq!(source_of(out, 1), None);
    }

    #[test]
    fn the_sample_is_the_first_and_last_request() {
        assert!(sample(0).is_empty());
        assert_eq!(sample(1), [0]);
        assert_eq!(sample(2), [0, 1]);
        assert_eq!(sample(7), [0, 6]);
    }
}
