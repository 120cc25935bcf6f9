//! Templates remembered within one target's render: `include "x" this` with the render's root
//! context gives the same text every time, so its second call recalls the first one's text
//! instead of rendering it again.
//!
//! The text of a template depends on the template, its context and nothing else: `include`
//! renders with a fresh render context (no `@index`, no `../`), and no helper draws random
//! numbers, reads the clock or keeps state (`log` writes nowhere: wo installs no logger). Only
//! the root context is remembered, by the identity of the root context's data, which lives for
//! the whole render; a context copied for one include is never a key.
//!
//! The budgets stay exact. A remembered execution records the steps it took and the deepest
//! include level it entered (relative to where it started); a recall charges the same steps
//! and counts the same levels as entered. When a recall would not fit (too few steps left, too
//! deep, too long for the output room) the template is rendered for real, so that it fails at
//! the same helper, line and template as without the memory. An execution during which a
//! depth or step limit refused anything is not remembered.

use std::cell::RefCell;
use std::collections::HashMap;

use handlebars::JsonValue as Json;

use super::limits::{charge_steps, include_depth, limits_hit, reach_depth, steps_left, track_peak};

/// A remembered execution.
struct Entry {
    text: String,
    /// Steps its execution took.
    steps: u64,
    /// Include levels it entered below the level it started at.
    depth: usize,
}

/// The memory of the render in progress on this thread.
struct Memo {
    /// The root context's data: compared, never read through.
    root: *const Json,
    /// The include depth limit.
    max_depth: usize,
    /// Values in the root context (what an `include` of it is charged), counted once.
    root_nodes: Option<u64>,
    /// Template name → its execution with the root context.
    entries: HashMap<String, Entry>,
    /// Whether recalls are made (tests switch them off to compare).
    recall: bool,
}

thread_local! {
    static MEMO: RefCell<Option<Memo>> = const { RefCell::new(None) };
}

/// The memory of one target's render; dropping it forgets everything.
#[derive(Debug)]
pub(crate) struct MemoScope(());

impl MemoScope {
    /// Starts remembering the templates rendered with `root` (the data of the target's root
    /// context, alive until the scope is dropped) on this thread.
    pub(crate) fn start(root: &Json, max_depth: usize) -> Self {
        MEMO.with(|m| {
            *m.borrow_mut() = Some(Memo {
                root,
                max_depth,
                root_nodes: None,
                entries: HashMap::new(),
                recall: recall_enabled(),
            });
        });
        MemoScope(())
    }
}

impl Drop for MemoScope {
    fn drop(&mut self) {
        MEMO.with(|m| *m.borrow_mut() = None);
    }
}

/// Whether `data` is the root context's data of the render in progress.
pub(crate) fn is_root(data: &Json) -> bool {
    MEMO.with(|m| {
        m.borrow()
            .as_ref()
            .is_some_and(|memo| std::ptr::eq(memo.root, data))
    })
}

/// Values in the root context, counted by `count` the first time only.
pub(crate) fn root_nodes(count: impl FnOnce() -> u64) -> u64 {
    if let Some(n) = MEMO.with(|m| m.borrow().as_ref().and_then(|memo| memo.root_nodes)) {
        return n;
    }
    let n = count();
    MEMO.with(|m| {
        if let Some(memo) = m.borrow_mut().as_mut() {
            memo.root_nodes = Some(n);
        }
    });
    n
}

/// The text template `name` rendered with the root context, when remembered and when its
/// execution would succeed here: its steps fit in the budget, its levels below the current
/// one within the depth limit, and its text within `max_len` bytes. The steps are charged.
pub(crate) fn recall(name: &str, max_len: usize) -> Option<String> {
    MEMO.with(|m| {
        let memo = m.borrow();
        let memo = memo.as_ref().filter(|memo| memo.recall)?;
        let entry = memo.entries.get(name)?;
        let deepest = include_depth().checked_add(entry.depth)?;
        let fits = entry.text.len() <= max_len
            && deepest <= memo.max_depth
            && steps_left().is_none_or(|left| entry.steps <= left);
        if !fits || charge_steps(entry.steps).is_err() {
            return None;
        }
        reach_depth(deepest);
        #[cfg(test)]
        RECALLS.with(|r| r.set(r.get() + 1));
        Some(entry.text.clone())
    })
}

/// Renders template `name` with the root context by `run`, and remembers the text when it
/// succeeded without any limit refusing.
pub(crate) fn remember<E>(
    name: &str,
    run: impl FnOnce() -> Result<String, E>,
) -> Result<String, E> {
    let start = include_depth();
    let (left, hits) = (steps_left(), limits_hit());
    let (result, peak) = track_peak(run);
    if let Ok(text) = &result {
        if limits_hit() == hits {
            let steps = match (left, steps_left()) {
                (Some(before), Some(after)) => before.saturating_sub(after),
                _ => 0,
            };
            MEMO.with(|m| {
                if let Some(memo) = m.borrow_mut().as_mut() {
                    memo.entries.insert(
                        name.to_owned(),
                        Entry {
                            text: text.clone(),
                            steps,
                            depth: peak.saturating_sub(start),
                        },
                    );
                }
            });
        }
    }
    result
}

#[cfg(test)]
thread_local! {
    static RECALL_OFF: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static RECALLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
fn recall_enabled() -> bool {
    !RECALL_OFF.with(std::cell::Cell::get)
}

#[cfg(not(test))]
fn recall_enabled() -> bool {
    true
}

/// Runs `f` with recalls switched off on this thread (everything renders for real).
#[cfg(test)]
pub(crate) fn without_recall<R>(f: impl FnOnce() -> R) -> R {
    RECALL_OFF.with(|r| r.set(true));
    let result = f();
    RECALL_OFF.with(|r| r.set(false));
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlebars::chart::PreparedChart;
    use serde_json::json;
    use wo_core::files::FileTree;
    use wo_core::ports::{Chart, RenderRequest, TargetView};

    /// Named templates nested in each other, `this` inside `{{#each}}` and `{{#with}}`, `@root`,
    /// an include without data, includes of other data, and template files included before and
    /// after their own turn.
    const HELPERS: &str = r#"
{{#define "name"}}{{trimSuffix "-" (trunc 63 Release.Name)}}{{/define}}
{{#define "labels"}}app: {{include "name" this}}
tier: {{Values.tier}}{{/define}}
{{#define "item"}}{{quote this}}{{/define}}
{{#define "deep"}}{{include "labels" this}}/{{include "name" this}}/{{include "item" Values.tier}}{{/define}}
{{#define "deeper"}}{{include "deep" this}}|{{include "deep" this}}{{/define}}
"#;
    const A: &str = r#"a: {{quote (include "name" this)}}
l: {{quote (include "labels" this)}}
list:
{{#each Values.list}}
  - {{quote (printf "%s %s %s %d %s" (include "item" this) (include "name" ../this) (include "name") @index (include "labels" ../this))}}
{{/each}}
{{#with Values}}
w: {{quote (printf "%s %s %s" (include "item" this.tier) (include "name") (include "deep" ../this))}}
{{/with}}
{{#with this}}t: {{quote (include "name" this)}}{{/with}}
d: {{quote (include "deeper" this)}}
c: {{sha256sum (include "templates/b.yaml" this)}}
"#;
    const B: &str =
        "b: {{quote (include \"deeper\" this)}}\nx: {{quote (include \"deep\" this)}}\n";
    const C: &str = "c: {{b64enc (include \"templates/a.yaml\" this)}}\n";

    fn chart() -> Chart {
        let mut files = FileTree::new();
        let all = [
            ("Chart.yaml", "name: app\nversion: 0.1.0\n"),
            ("values.yaml", "tier: gold\nlist: [x, y, z]\n"),
            ("templates/_h.tpl", HELPERS),
            ("templates/a.yaml", A),
            ("templates/b.yaml", B),
            ("templates/c.yaml", C),
        ];
        for (path, text) in all {
            assert!(files.insert(path, text).is_ok());
        }
        Chart {
            name: "app".into(),
            files,
        }
    }

    /// (max output bytes, max include depth, max steps).
    type Limits = (usize, usize, u64);

    /// Renders on this thread (the memory is per thread): the text, or the error as reported.
    fn render(chart: &Chart, (bytes, depth, steps): Limits, recall: bool) -> String {
        let prepared = match PreparedChart::prepare(chart, bytes, depth, steps) {
            Ok(p) => p,
            Err(e) => panic!("prepare: {e}"),
        };
        let request = RenderRequest {
            release_name: "rel".into(),
            namespace: "ns".into(),
            target: TargetView {
                name: "t1".into(),
                ..TargetView::default()
            },
            values: json!({}),
        };
        let run = || match prepared.render(&request) {
            Ok(out) => out.manifests,
            Err(e) => format!("error: {e}"),
        };
        if recall {
            run()
        } else {
            without_recall(run)
        }
    }

    /// Renders with and without recalls; asserts the same result and returns it with the
    /// number of recalls made.
    fn both(chart: &Chart, limits: Limits) -> (String, usize) {
        let off = render(chart, limits, false);
        let before = RECALLS.with(std::cell::Cell::get);
        let on = render(chart, limits, true);
        let recalls = RECALLS.with(std::cell::Cell::get) - before;
        assert_eq!(on, off, "limits {limits:?}");
        (on, recalls)
    }

    /// The fewest steps `chart` renders in without recalls (the count is monotone).
    fn fewest_steps(chart: &Chart) -> u64 {
        let (mut low, mut high) = (0u64, 1_000_000u64);
        while low < high {
            let mid = (low + high) / 2;
            if render(chart, (1 << 20, 32, mid), false).starts_with("error") {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        low
    }

    const ROOMY: Limits = (1 << 20, 32, 1_000_000);

    #[test]
    fn recalled_includes_give_the_same_bytes() {
        let (text, recalls) = both(&chart(), ROOMY);
        assert!(!text.starts_with("error"), "{text}");
        assert!(
            text.contains(r#"- "\"y\" rel rel 1 app: rel\ntier: gold""#),
            "{text}"
        );
        assert!(
            text.contains(r#"w: "\"gold\" rel app: rel\ntier: gold/rel/\"gold\"""#),
            "{text}"
        );
        assert!(recalls >= 10, "only {recalls} recalls");
    }

    #[test]
    fn the_step_budget_fails_at_the_same_place_with_recalls() {
        let chart = chart();
        let needed = fewest_steps(&chart);
        assert!(needed > 50 && needed < 10_000, "{needed}");
        let mut recalled = 0;
        for steps in 0..=needed + 1 {
            let (text, recalls) = both(&chart, (1 << 20, 32, steps));
            assert_eq!(text.starts_with("error"), steps < needed, "{steps}: {text}");
            recalled += recalls;
        }
        assert!(recalled > 0);
    }

    #[test]
    fn the_depth_limit_fails_at_the_same_place_with_recalls() {
        let chart = chart();
        let mut outcomes = Vec::new();
        for depth in 0..=8 {
            let (text, _) = both(&chart, (1 << 20, depth, 1_000_000));
            outcomes.push(text.starts_with("error"));
        }
        // `templates/c.yaml` → a.yaml → b.yaml → deeper → deep → labels → name: six levels.
        assert_eq!(
            outcomes,
            [true, true, true, true, true, true, false, false, false]
        );
    }

    #[test]
    fn the_output_bound_fails_at_the_same_place_with_recalls() {
        let chart = chart();
        let (full, _) = both(&chart, ROOMY);
        let len = full.len();
        for bytes in (0..len + 64).step_by(7) {
            both(&chart, (bytes, 32, 1_000_000));
        }
    }

    #[test]
    fn an_include_fan_out_is_charged_as_if_rendered() {
        // Each level includes the one below twice: 2^12 executions without recalls.
        let mut helpers = String::from("{{#define \"l0\"}}{{Values.x}}{{/define}}\n");
        for i in 1..=12 {
            helpers.push_str(&format!(
                "{{{{#define \"l{i}\"}}}}{{{{include \"l{p}\" this}}}}{{{{include \"l{p}\" this}}}}{{{{/define}}}}\n",
                p = i - 1
            ));
        }
        let mut files = FileTree::new();
        assert!(files.insert("Chart.yaml", "name: app\n").is_ok());
        assert!(files.insert("values.yaml", "x: ab\n").is_ok());
        assert!(files.insert("templates/_h.tpl", helpers).is_ok());
        assert!(files
            .insert("templates/a.yaml", "a: {{include \"l12\" this}}\n")
            .is_ok());
        let chart = Chart {
            name: "app".into(),
            files,
        };
        let needed = fewest_steps(&chart);
        assert!(needed > (1 << 13), "{needed}");
        let (ok, recalls) = both(&chart, (1 << 20, 32, needed));
        assert!(ok.contains(&"ab".repeat(1 << 12)), "{ok}");
        assert!(recalls > 0);
        let (err, _) = both(&chart, (1 << 20, 32, needed - 1));
        assert!(err.contains("took more than"), "{err}");
    }
}
