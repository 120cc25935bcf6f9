//! The rendered plan of an environment, offline: what `wo render` writes — the gitops layout
//! `<solution>/<target>/{values,manifests}.yaml` — from [`Inputs`], through the same
//! [`compose`] as the pipeline's prepare step, so that a plan and a
//! change request of the same inputs hold the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wo_core::compose::{compose, compose_stream, manifests_path, values_path, ComposedStream};
use wo_core::format::values::ValueSet;
use wo_core::ports::{RenderFlow, RenderRequest, Rendered, Renderer};
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

/// What [`render_to`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The solution.
    pub solution: String,
    /// The environment.
    pub environment: String,
    /// The engine the chart declares.
    pub engine: Engine,
    /// The targets rendered, in fleet order.
    pub targets: Vec<String>,
}

impl Written {
    /// Every file written, by path relative to the output directory, sorted. Made when asked
    /// for: a list of every path of a large fleet is memory `wo render` need not hold.
    pub fn files(&self) -> Vec<String> {
        let mut files: Vec<String> = self
            .targets
            .iter()
            .flat_map(|name| {
                [
                    values_path(&self.solution, name),
                    manifests_path(&self.solution, name),
                ]
            })
            .collect();
        files.sort_unstable();
        files.dedup();
        files
    }
}

/// Resolves, renders and writes every target the fleet assigns the solution to (or the
/// `only` ones) under `out`, streaming: each target flows resolve → render → canonicalise →
/// write on the worker that took it up, so memory holds the targets in flight, not the fleet.
/// The files are those [`render`] gives, byte for byte.
///
/// All or nothing: the files are written into a staging directory (`.<out>.wo-render-<pid>`
/// beside `out` when `out` does not exist, else `<out>/.wo-render-<pid>`), which is moved into
/// place only when every target rendered: one rename of the whole directory when `out` is
/// new, else one rename per target directory (one per file for the targets `out` already
/// holds). On any failure the staging directory is removed and `out` is left as it was.
/// Paths are checked before anything is rendered: a target name that is not a safe path, or a
/// symbolic link where `out` would be written to (`<out>/<solution>`, a target's directory or
/// one of its files), is refused.
///
/// # Errors
/// As [`render`]; [`Error::Invalid`] for an unsafe path or a symbolic link; [`Error::Io`]
/// when writing fails.
pub async fn render_to(inputs: &Inputs, only: &[String], out: &Path) -> Result<Written> {
    render_to_with(
        inputs,
        only,
        out,
        &CanonicalRenderer::new(ChartRenderer::default()),
    )
    .await
}

/// [`render_to`] with another renderer.
///
/// # Errors
/// As [`render_to`].
pub async fn render_to_with(
    inputs: &Inputs,
    only: &[String],
    out: &Path,
    renderer: &dyn Renderer,
) -> Result<Written> {
    let fleet = inputs.fleet.as_ref().ok_or_else(|| {
        Error::invalid(
            Location::file("<arguments>").with_key("--platform"),
            "rendering needs the fleet: give the platform config repo with --platform",
        )
    })?;
    let empty = ValueSet::default();
    let values = inputs.values.as_ref().unwrap_or(&empty);
    let stream = compose_stream(&inputs.bundle, values, fleet, only, &inputs.fleet_file)?;
    let engine = Engine::of(&stream.chart)?;
    let targets = stream.target_names();
    for name in &targets {
        for rel in [
            values_path(&stream.solution, name),
            manifests_path(&stream.solution, name),
        ] {
            wo_core::files::check_relative_path(&rel)
                .map_err(|m| Error::invalid(Location::file(rel.clone()), m))?;
        }
    }
    let destination = Destination::inspect(out, &stream.solution, &targets)?;
    let staging = Staging::create(out)?;
    let written = staging.root.join(&stream.solution);
    let result = match std::fs::create_dir(&written).map_err(io(&written)) {
        Ok(()) => {
            renderer
                .render_each(
                    &stream.chart,
                    &DiskFlow {
                        stream: &stream,
                        dir: &written,
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    match result.and_then(|()| staging.commit(&destination, &stream.solution, &targets)) {
        Ok(()) => Ok(Written {
            solution: stream.solution.clone(),
            environment: stream.environment.clone(),
            engine,
            targets,
        }),
        Err(e) => {
            staging.discard();
            Err(e)
        }
    }
}

fn io(p: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = p.display().to_string();
    move |source| Error::Io { path, source }
}

fn symlink_refused(p: &Path) -> Error {
    Error::invalid(
        Location::file(p.display().to_string()),
        "is a symbolic link; wo does not write through links",
    )
}

/// Each target's request and output: resolved when a worker takes it up, written into the
/// staging directory as soon as it is canonical.
struct DiskFlow<'a> {
    stream: &'a ComposedStream<'a>,
    /// `<staging>/<solution>`.
    dir: &'a Path,
}

impl RenderFlow for DiskFlow<'_> {
    fn targets(&self) -> usize {
        self.stream.targets.len()
    }

    fn request(&self, index: usize) -> Result<RenderRequest> {
        self.stream.request(index)
    }

    fn deliver(&self, _: usize, request: &RenderRequest, rendered: Rendered) -> Result<()> {
        let dir = self.dir.join(&request.target.name);
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            // Delivered again (an engine fell back to another): the files are replaced.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(&dir)(e)),
        }
        let values = dir.join("values.yaml");
        std::fs::write(&values, wo_core::yaml::to_string(&request.values)).map_err(io(&values))?;
        let manifests = dir.join("manifests.yaml");
        std::fs::write(&manifests, rendered.manifests).map_err(io(&manifests))
    }
}

/// What `out` already holds where the plan goes, checked before anything is rendered.
struct Destination {
    /// `<out>/<solution>` exists (a directory).
    solution_exists: bool,
    /// The targets whose directory exists.
    existing: std::collections::HashSet<String>,
}

impl Destination {
    /// Reads `<out>/<solution>` once; refuses a symbolic link at it, at a target's directory
    /// or at a target's file, and a file where a directory goes.
    fn inspect(out: &Path, solution: &str, targets: &[String]) -> Result<Destination> {
        let mut existing = std::collections::HashSet::new();
        let dir = out.join(solution);
        let meta = match std::fs::symlink_metadata(&dir) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Destination {
                    solution_exists: false,
                    existing,
                })
            }
            Err(e) => return Err(io(&dir)(e)),
        };
        if meta.file_type().is_symlink() {
            return Err(symlink_refused(&dir));
        }
        if !meta.is_dir() {
            return Err(Error::invalid(
                Location::file(dir.display().to_string()),
                "is a file where wo writes a directory",
            ));
        }
        let mut kinds = std::collections::HashMap::new();
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let kind = entry.file_type().map_err(io(&entry.path()))?;
            kinds.insert(entry.file_name(), kind);
        }
        for name in targets {
            let Some(kind) = kinds.get(std::ffi::OsStr::new(name)) else {
                continue;
            };
            let path = dir.join(name);
            if kind.is_symlink() {
                return Err(symlink_refused(&path));
            }
            if !kind.is_dir() {
                return Err(Error::invalid(
                    Location::file(path.display().to_string()),
                    "is a file where wo writes a directory",
                ));
            }
            for file in ["values.yaml", "manifests.yaml"] {
                let p = path.join(file);
                if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
                    return Err(symlink_refused(&p));
                }
            }
            existing.insert(name.clone());
        }
        Ok(Destination {
            solution_exists: true,
            existing,
        })
    }
}

/// The directory a plan is written into before it is moved into place.
struct Staging {
    root: PathBuf,
    /// `out` did not exist: the staging directory becomes `out` by one rename.
    becomes_out: bool,
    out: PathBuf,
}

impl Staging {
    fn create(out: &Path) -> Result<Staging> {
        let pid = std::process::id();
        let (root, becomes_out) = match std::fs::symlink_metadata(out) {
            Ok(_) => (out.join(format!(".wo-render-{pid}")), false),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let name = out.file_name().ok_or_else(|| {
                    Error::invalid(
                        Location::file(out.display().to_string()),
                        "names no directory",
                    )
                })?;
                let parent = match out.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                std::fs::create_dir_all(&parent).map_err(io(&parent))?;
                let mut staged = std::ffi::OsString::from(".");
                staged.push(name);
                staged.push(format!(".wo-render-{pid}"));
                (parent.join(staged), true)
            }
            Err(e) => return Err(io(out)(e)),
        };
        if std::fs::symlink_metadata(&root).is_ok() {
            std::fs::remove_dir_all(&root).map_err(io(&root))?;
        }
        std::fs::create_dir(&root).map_err(io(&root))?;
        Ok(Staging {
            root,
            becomes_out,
            out: out.to_path_buf(),
        })
    }

    /// Moves the staged plan into place.
    fn commit(&self, destination: &Destination, solution: &str, targets: &[String]) -> Result<()> {
        if self.becomes_out {
            return std::fs::rename(&self.root, &self.out).map_err(io(&self.out));
        }
        let staged = self.root.join(solution);
        let placed = self.out.join(solution);
        if !destination.solution_exists {
            std::fs::rename(&staged, &placed).map_err(io(&placed))?;
        } else {
            for name in targets {
                let (from, to) = (staged.join(name), placed.join(name));
                if !destination.existing.contains(name) {
                    // A name listed twice (`--target a --target a`) was moved already.
                    if from.exists() {
                        std::fs::rename(&from, &to).map_err(io(&to))?;
                    }
                    continue;
                }
                for file in ["values.yaml", "manifests.yaml"] {
                    let (f, t) = (from.join(file), to.join(file));
                    if f.exists() {
                        std::fs::rename(&f, &t).map_err(io(&t))?;
                    }
                }
            }
        }
        std::fs::remove_dir_all(&self.root).map_err(io(&self.root))
    }

    /// Removes the staging directory (after a failure; `out` is as it was).
    fn discard(&self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
