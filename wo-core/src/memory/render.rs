use async_trait::async_trait;

use crate::error::{Error, Location, Result};
use crate::files::check_name;
use crate::ports::{Chart, RenderRequest, Rendered, Renderer};
use crate::value::type_name;

/// A deterministic stand-in [`Renderer`]: for each request, one Kubernetes `ConfigMap` named
/// after the release, in its namespace, labelled with the target's labels, whose data holds
/// the chart name, the target name and the values as a JSON string.
///
/// The chart's templates are not read; a chart needs a `Chart.yaml` and values must be a map,
/// as for Helm. Scalars are written as JSON strings, which YAML reads back unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct InMemoryRenderer;

impl InMemoryRenderer {
    /// The renderer.
    pub fn new() -> Self {
        InMemoryRenderer
    }
}

fn quoted(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn render_one(chart: &Chart, r: &RenderRequest) -> Result<Rendered> {
    let target = &r.target.name;
    let at = |key: &str| Location::file(format!("{}/values.yaml", chart.name)).with_key(key);
    check_name(&r.release_name)
        .map_err(|m| Error::invalid(at("release_name"), format!("target `{target}`: {m}")))?;
    check_name(&r.namespace)
        .map_err(|m| Error::invalid(at("namespace"), format!("target `{target}`: {m}")))?;
    if !r.values.is_object() {
        return Err(Error::invalid(
            at(""),
            format!(
                "target `{target}`: values must be a map, found {}",
                type_name(&r.values)
            ),
        ));
    }
    let mut out = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n");
    out.push_str(&format!(
        "  name: {}\n  namespace: {}\n",
        quoted(&r.release_name),
        quoted(&r.namespace)
    ));
    if !r.target.labels.is_empty() {
        out.push_str("  labels:\n");
        for (k, v) in &r.target.labels {
            out.push_str(&format!("    {}: {}\n", quoted(k), quoted(v)));
        }
    }
    out.push_str("data:\n");
    out.push_str(&format!(
        "  chart: {}\n  target: {}\n",
        quoted(&chart.name),
        quoted(target)
    ));
    out.push_str(&format!(
        "  values.json: {}\n",
        quoted(&r.values.to_string())
    ));
    Ok(Rendered { manifests: out })
}

#[async_trait]
impl Renderer for InMemoryRenderer {
    async fn render(&self, chart: &Chart, requests: &[RenderRequest]) -> Result<Vec<Rendered>> {
        if !chart.files.contains("Chart.yaml") {
            return Err(Error::invalid(
                Location::file(format!("{}/Chart.yaml", chart.name)),
                format!("chart `{}` has no Chart.yaml", chart.name),
            ));
        }
        requests.iter().map(|r| render_one(chart, r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileTree;
    use crate::ports::TargetView;

    #[test]
    fn renders_a_config_map_with_labels_and_quoted_values() {
        let mut files = FileTree::new();
        files.insert("Chart.yaml", "name: shop\n").unwrap();
        let chart = Chart {
            name: "shop".into(),
            files,
        };
        let mut target = TargetView {
            name: "berlin-1".into(),
            ..TargetView::default()
        };
        target.labels.insert("region".into(), "yes".into());
        let request = RenderRequest {
            release_name: "shop".into(),
            namespace: "apps".into(),
            target,
            values: serde_json::json!({ "mode": "on" }),
        };
        let out = futures::executor::block_on(InMemoryRenderer::new().render(&chart, &[request]))
            .unwrap();
        assert_eq!(
            out[0].manifests,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"shop\"\n  namespace: \"apps\"\n  labels:\n    \
             \"region\": \"yes\"\ndata:\n  chart: \"shop\"\n  target: \"berlin-1\"\n  values.json: \"{\\\"mode\\\":\\\"on\\\"}\"\n"
        );
    }
}
