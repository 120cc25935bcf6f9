//! The rendered plan of an environment, offline: what `wo render` writes — the gitops layout
//! `<solution>/<target>/{values,manifests}.yaml` — from [`Inputs`], through the same
//! [`compose`] as the pipeline's prepare step, so that a plan and a
//! change request of the same inputs hold the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wo_core::compose::compose;
use wo_core::format::values::ValueSet;
use wo_core::ports::Renderer;
use wo_core::{Error, Location, Result};
use wo_render::{CanonicalRenderer, ChartRenderer, Engine};

use crate::inputs::Inputs;

/// The plan of one solution in one environment.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Every file, by path relative to the plan's root.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The solution.
    pub solution: String,
    /// The environment.
    pub environment: String,
    /// The engine the chart declares.
    pub engine: Engine,
    /// The targets rendered, in fleet order.
    pub targets: Vec<String>,
}

/// Resolves and renders every target the fleet assigns the solution to (or the `only` ones),
/// with wo's renderer (the engine the chart declares, canonical output).
///
/// # Errors
/// [`Error::Invalid`] when the inputs hold no fleet, and with every problem at once for
/// invalid values or unknown `only` targets; as the renderer otherwise.
pub async fn render(inputs: &Inputs, only: &[String]) -> Result<Plan> {
    render_with(
        inputs,
        only,
        &CanonicalRenderer::new(ChartRenderer::default()),
    )
    .await
}

/// [`render`] with another renderer.
///
/// # Errors
/// As [`render`].
pub async fn render_with(
    inputs: &Inputs,
    only: &[String],
    renderer: &dyn Renderer,
) -> Result<Plan> {
    let fleet = inputs.fleet.as_ref().ok_or_else(|| {
        Error::invalid(
            Location::file("<arguments>").with_key("--platform"),
            "rendering needs the fleet: give the platform config repo with --platform",
        )
    })?;
    let empty = ValueSet::default();
    let values = inputs.values.as_ref().unwrap_or(&empty);
    let composition = compose(&inputs.bundle, values, fleet, only, &inputs.fleet_file)?;
    let engine = Engine::of(&composition.chart)?;
    let rendered = renderer
        .render(&composition.chart, &composition.requests())
        .await?;
    let files = composition.files(rendered)?;
    Ok(Plan {
        files: files
            .tree
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_vec()))
            .collect(),
        solution: composition.solution.clone(),
        environment: composition.environment.clone(),
        engine,
        targets: composition.target_names(),
    })
}

impl Plan {
    /// Writes every file under `out` (created if missing), each through a temporary file and
    /// a rename. Refuses a path that would leave `out` and any symbolic link on the way.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unsafe path or a symbolic link (checked for every file before
    /// anything is written); [`Error::Io`] when writing fails.
    pub fn write(&self, out: &Path) -> Result<()> {
        let io = |p: &Path| {
            let path = p.display().to_string();
            move |source| Error::Io { path, source }
        };
        let mut targets = Vec::with_capacity(self.files.len());
        for rel in self.files.keys() {
            wo_core::files::check_relative_path(rel)
                .map_err(|m| Error::invalid(Location::file(rel.clone()), m))?;
            let mut p = PathBuf::from(out);
            for seg in rel.split('/') {
                p.push(seg);
                if let Ok(meta) = std::fs::symlink_metadata(&p) {
                    if meta.file_type().is_symlink() {
                        return Err(Error::invalid(
                            Location::file(p.display().to_string()),
                            "is a symbolic link; wo does not write through links",
                        ));
                    }
                }
            }
            targets.push(p);
        }
        std::fs::create_dir_all(out).map_err(io(out))?;
        for (p, content) in targets.iter().zip(self.files.values()) {
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let tmp = p.with_extension("yaml.tmp");
            std::fs::write(&tmp, content).map_err(io(&tmp))?;
            std::fs::rename(&tmp, p).map_err(io(p))?;
        }
        Ok(())
    }
}
