//! Where a native render's randomness comes from: the chart's contents and the render's
//! identity, so that the same chart rendered for the same release, namespace and target gives
//! the same bytes every time (`randAlphaNum`, `uuidv4`, `genCA`, `shuffle` draw from it).

use sha2::{Digest, Sha256};

use super::Chart;

/// The seed of a render: sha256 of the chart's contents (metadata, values, schema, templates,
/// files and subcharts, recursively) and `parts` (the release name, the namespace, the target),
/// each length-prefixed so that no two inputs collide by concatenation.
pub fn seed(chart: &Chart, parts: &[&str]) -> [u8; 32] {
    ChartSeed::new(chart).seed(parts)
}

/// The chart's part of [`seed`], hashed once: a fleet renders one chart for many targets, and
/// hashing the whole chart again per target is a measurable share of a small chart's render.
/// `ChartSeed::new(c).seed(parts) == seed(c, parts)`.
#[derive(Clone)]
pub struct ChartSeed(Sha256);

impl ChartSeed {
    /// Hashes `chart`'s contents.
    pub fn new(chart: &Chart) -> Self {
        let mut hash = Sha256::new();
        digest_chart(&mut hash, chart);
        ChartSeed(hash)
    }

    /// The seed of a render of the chart with `parts` (release name, namespace, target).
    pub fn seed(&self, parts: &[&str]) -> [u8; 32] {
        let mut hash = self.0.clone();
        for part in parts {
            field(&mut hash, part.as_bytes());
        }
        hash.finalize().into()
    }
}

impl std::fmt::Debug for ChartSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChartSeed(..)")
    }
}

fn field(hash: &mut Sha256, bytes: &[u8]) {
    hash.update((bytes.len() as u64).to_le_bytes());
    hash.update(bytes);
}

fn digest_chart(hash: &mut Sha256, chart: &Chart) {
    field(hash, chart.metadata.name.as_bytes());
    field(hash, chart.metadata.version.as_bytes());
    field(hash, chart.values.to_string().as_bytes());
    field(hash, chart.schema.as_deref().unwrap_or_default());
    for file in chart.templates.iter().chain(chart.files.iter()) {
        field(hash, file.name.as_bytes());
        field(hash, &file.data);
    }
    hash.update((chart.dependencies.len() as u64).to_le_bytes());
    for dependency in &chart.dependencies {
        digest_chart(hash, dependency);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(template: &str) -> Chart {
        Chart::from_files(vec![
            (
                "Chart.yaml".into(),
                b"apiVersion: v2\nname: c\nversion: 1.0.0\n".to_vec(),
            ),
            ("templates/a.yaml".into(), template.as_bytes().to_vec()),
        ])
        .unwrap()
    }

    #[test]
    fn a_chart_hashed_once_seeds_as_the_whole_hash_does() {
        let a = chart("x: {{ randAlphaNum 5 }}");
        let once = ChartSeed::new(&a);
        for parts in [
            &["r", "ns", "t1"][..],
            &["r", "ns", "t2"],
            &["other", "ns", "t1"],
        ] {
            assert_eq!(once.seed(parts), seed(&a, parts));
        }
        assert_ne!(once.seed(&["r", "ns", "t1"]), once.seed(&["r", "ns", "t2"]));
    }

    #[test]
    fn the_seed_follows_the_chart_and_the_render_identity() {
        let a = chart("x: {{ randAlphaNum 5 }}");
        assert_eq!(
            seed(&a, &["r", "ns", "t1"]),
            seed(&a.clone(), &["r", "ns", "t1"])
        );
        assert_ne!(seed(&a, &["r", "ns", "t1"]), seed(&a, &["r", "ns", "t2"]));
        assert_ne!(seed(&a, &["r", "nst", "1"]), seed(&a, &["r", "ns", "t1"]));
        assert_ne!(seed(&a, &["r"]), seed(&chart("x: {{ uuidv4 }}"), &["r"]));
    }
}
