//! The limits that keep one template from taking the machine: output size, the size of any text a
//! helper builds, include depth, and a per-target step budget.

use std::cell::Cell;
use std::fmt;

use handlebars::Output;

/// Default bound on the manifests of one target: 16 MiB.
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 16 << 20;
/// Default bound on nested `include`s.
pub const DEFAULT_MAX_INCLUDE_DEPTH: usize = 32;
/// Default step budget of one target: helper calls, `{{#each}}` items and `include`s (one
/// step, and one per value in the context it copies) together.
///
/// Deterministic, unlike a wall-clock limit: a chart fails at the same step on every machine.
/// A chart of a few hundred templates iterating over lists of thousands of items takes tens of
/// thousands of steps; three `{{#each}}` nested over 1,000 items would take a billion.
pub const DEFAULT_MAX_STEPS: u64 = 1_000_000;

/// A limit a template ran into; travels through handlebars as a nested error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LimitError {
    /// Output grew past `max` bytes.
    Output {
        /// The bound.
        max: usize,
    },
    /// `include` nested deeper than `max`.
    Depth {
        /// The bound.
        max: usize,
        /// The template being included when the bound was hit.
        name: String,
    },
    /// The target's step budget ran out.
    Steps {
        /// The bound.
        max: u64,
    },
    /// A helper built a text longer than the output bound.
    Text {
        /// The bound.
        max: usize,
        /// The helper.
        helper: &'static str,
    },
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::Output { max } => write!(f, "produced more than {}", bytes_text(*max)),
            LimitError::Depth { max, name } => write!(
                f,
                "`include \"{name}\"` nested more than {max} deep (does a template include itself?)"
            ),
            LimitError::Steps { max } => write!(
                f,
                "took more than {max} steps (helper calls, `include`s and `{{{{#each}}}}` items; budget: max_steps) — is a loop nested in loops, or a template included more than once at every level?"
            ),
            LimitError::Text { max, helper } => write!(
                f,
                "`{helper}` built a text of more than {} (the output bound) — does a chain of helpers grow a text at each step?",
                bytes_text(*max)
            ),
        }
    }
}

impl std::error::Error for LimitError {}

/// `16 MiB`, `1 KiB` or `100 bytes`.
pub(crate) fn bytes_text(n: usize) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n % (1 << 10) == 0 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// A string sink that refuses to grow past its limit, so a runaway template fails fast instead
/// of building gigabytes.
#[derive(Debug)]
pub(crate) struct LimitedOutput {
    buf: String,
    max: usize,
    exceeded: bool,
}

impl LimitedOutput {
    /// An empty sink taking at most `max` bytes.
    pub(crate) fn new(max: usize) -> Self {
        Self {
            buf: String::new(),
            max,
            exceeded: false,
        }
    }

    /// Whether a write was refused.
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded
    }

    /// What was written.
    pub(crate) fn into_string(self) -> String {
        self.buf
    }
}

impl Output for LimitedOutput {
    fn write(&mut self, seg: &str) -> std::io::Result<()> {
        if self.buf.len().saturating_add(seg.len()) > self.max {
            self.exceeded = true;
            return Err(std::io::Error::other(LimitError::Output { max: self.max }));
        }
        self.buf.push_str(seg);
        Ok(())
    }
}

thread_local! {
    // Each request renders on one worker thread from start to end, so the include depth of the
    // render in progress is per thread.
    static INCLUDE_DEPTH: Cell<usize> = const { Cell::new(0) };
    // The deepest level entered since the last `track_peak` began (see `super::memo`).
    static PEAK_DEPTH: Cell<usize> = const { Cell::new(0) };
    // How many times a depth or step limit refused on this thread: a render during which the
    // count moved depended on where it started, and is not remembered.
    static LIMITS_HIT: Cell<u64> = const { Cell::new(0) };
}

/// The include level of the render in progress on this thread (0 at a template's top).
pub(crate) fn include_depth() -> usize {
    INCLUDE_DEPTH.with(Cell::get)
}

/// How many times a depth or step limit refused on this thread.
pub(crate) fn limits_hit() -> u64 {
    LIMITS_HIT.with(Cell::get)
}

fn hit_limit() {
    LIMITS_HIT.with(|h| h.set(h.get().wrapping_add(1)));
}

/// Records that the include level `depth` was reached (a remembered text recalled: the levels
/// its execution entered count as entered).
pub(crate) fn reach_depth(depth: usize) {
    PEAK_DEPTH.with(|p| p.set(p.get().max(depth)));
}

/// Runs `f` and returns what it returned with the deepest include level entered while it ran
/// (at least the level it started at); the peak of any enclosing run includes it.
pub(crate) fn track_peak<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let outer = PEAK_DEPTH.with(|p| p.replace(include_depth()));
    let result = f();
    let peak = PEAK_DEPTH.with(|p| {
        let peak = p.get();
        p.set(peak.max(outer));
        peak
    });
    (result, peak)
}

/// One level of `include` nesting; leaving it (dropping) gives the level back.
#[derive(Debug)]
pub(crate) struct IncludeLevel(());

impl IncludeLevel {
    /// Enters one more level, or fails when `max` levels are in use.
    pub(crate) fn enter(max: usize, name: &str) -> Result<Self, LimitError> {
        INCLUDE_DEPTH.with(|d| {
            if d.get() >= max {
                hit_limit();
                Err(LimitError::Depth {
                    max,
                    name: name.to_owned(),
                })
            } else {
                d.set(d.get() + 1);
                reach_depth(d.get());
                Ok(IncludeLevel(()))
            }
        })
    }
}

impl Drop for IncludeLevel {
    fn drop(&mut self) {
        INCLUDE_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

thread_local! {
    // The step budget of the target rendering on this thread: (steps left, the budget).
    // Outside a render nothing is counted.
    static STEPS: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
}

/// The step budget of one target's render; dropping it stops the counting.
#[derive(Debug)]
pub(crate) struct StepBudget(());

impl StepBudget {
    /// Starts counting `max` steps on this thread.
    pub(crate) fn start(max: u64) -> Self {
        STEPS.with(|s| s.set(Some((max, max))));
        StepBudget(())
    }
}

impl Drop for StepBudget {
    fn drop(&mut self) {
        STEPS.with(|s| s.set(None));
    }
}

/// Steps left in the budget of the render in progress (`None` outside a render).
pub(crate) fn steps_left() -> Option<u64> {
    STEPS.with(|s| s.get().map(|(left, _)| left))
}

/// Takes `n` steps from the budget of the render in progress; fails once it is spent.
pub(crate) fn charge_steps(n: u64) -> Result<(), LimitError> {
    STEPS.with(|s| match s.get() {
        None => Ok(()),
        Some((left, max)) if n > left => {
            s.set(Some((0, max)));
            hit_limit();
            Err(LimitError::Steps { max })
        }
        Some((left, max)) => {
            s.set(Some((left - n, max)));
            Ok(())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_refuses_past_the_limit() {
        let mut out = LimitedOutput::new(4);
        assert!(out.write("abcd").is_ok());
        assert!(out.write("e").is_err());
        assert!(out.exceeded());
        assert_eq!(out.into_string(), "abcd");
    }

    #[test]
    fn include_levels_are_given_back() {
        let a = IncludeLevel::enter(2, "x").map_err(|e| e.to_string());
        let b = IncludeLevel::enter(2, "x").map_err(|e| e.to_string());
        assert!(a.is_ok() && b.is_ok());
        assert!(IncludeLevel::enter(2, "x").is_err());
        drop(b);
        assert!(IncludeLevel::enter(2, "x").is_ok());
    }

    #[test]
    fn steps_are_counted_within_a_budget_only() {
        assert!(
            charge_steps(u64::MAX).is_ok(),
            "nothing is counted outside a render"
        );
        let budget = StepBudget::start(3);
        assert!(charge_steps(2).is_ok());
        assert!(charge_steps(1).is_ok());
        assert_eq!(charge_steps(1), Err(LimitError::Steps { max: 3 }));
        drop(budget);
        assert!(charge_steps(1).is_ok());
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(bytes_text(16 << 20), "16 MiB");
        assert_eq!(bytes_text(2048), "2 KiB");
        assert_eq!(bytes_text(100), "100 bytes");
    }
}
