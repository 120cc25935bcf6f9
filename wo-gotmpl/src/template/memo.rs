//! `include` remembered within one Helm render.
//!
//! Charts call the same helpers again and again: argo-cd's templates make ~870 `include` calls
//! per render, for ~80 different name and argument pairs (`argo-cd.fullname` of the chart's
//! scope ~100 times). Go templates have no side effects of their own, so an `include` gives
//! the same text for the same template and the same data, unless something in between could
//! make it differ. This memory returns the text of an earlier call when nothing could:
//!
//! - **Random numbers.** An execution that drew one (`randAlphaNum`, `uuidv4`, `genCA`, …) is
//!   not remembered: a second call draws the next numbers, as Helm's would.
//! - **Changed maps.** An execution that changed a map made before it started (`set`, `unset`,
//!   `merge`, `mergeOverwrite` of `.Values` or of any map passed in) is not remembered: its
//!   change must happen again. A change to any map forgets the entries made since that map
//!   was made (they may hold it); maps `dict` and `deepCopy` make inside a helper are new, so
//!   changing them forgets nothing older.
//! - **`.Template`.** Helm sets `.Template` (the file being rendered) in the chart's scope
//!   before each file, so a helper that reads it gives another text in another file. An
//!   execution that may have read it (the field `Template` of any map; `index`, `get`,
//!   `dig`, `pluck` with the key `Template`; `range` over a map holding it; printing, or giving
//!   any other function, a value that reaches such a map) is remembered for its file only.
//! - **Overlays.** Inside `tpl`, whose `define`s may rename templates, nothing is remembered
//!   or recalled.
//!
//! The data is the key: a map by its identity (the entry keeps it alive, so its address is not
//! reused), except small maps that do not hold `Template` — the `dict "context" . "name" x`
//! Helm charts pass to helpers, made anew at each call — which are keyed by their entries. A
//! recalled text is charged the steps its execution took. The memory is on only for renders
//! with Helm's own function library (functions of an embedder's table may have effects it
//! cannot see) and lives as long as one render.

use std::hash::{Hash, Hasher};
use std::rc::Rc;

use crate::func::Track;
use crate::value::{Map, Value};

/// The most entries of a map keyed by its entries rather than by its identity.
const SMALL_MAP: usize = 8;

/// The most values [`reaches_template`] visits before it answers "maybe".
const REACH_BUDGET: usize = 4096;

/// One part of a key: a scalar by value, anything else by identity.
#[derive(Clone)]
enum Part {
    Nil,
    Bool(bool),
    Int(i64),
    Int64(i64),
    Float(u64),
    Str(Rc<str>),
    /// A map, list, byte slice or object, by the address of its allocation; the value keeps
    /// it alive.
    Same(Value),
}

impl Part {
    fn of(v: &Value) -> Part {
        match v {
            Value::Nil => Part::Nil,
            Value::Bool(b) => Part::Bool(*b),
            Value::Int(i) => Part::Int(*i),
            Value::Int64(i) => Part::Int64(*i),
            Value::Float(f) => Part::Float(f.to_bits()),
            Value::String(s) => Part::Str(s.clone()),
            other => Part::Same(other.clone()),
        }
    }

    /// The variant and address of a value kept by identity.
    fn identity(v: &Value) -> (u8, usize) {
        match v {
            Value::Map(m) => (0, Rc::as_ptr(m) as *const u8 as usize),
            Value::List(l) => (1, Rc::as_ptr(l) as *const u8 as usize),
            Value::StrList(l) => (2, Rc::as_ptr(l) as *const u8 as usize),
            Value::Bytes(b) => (3, Rc::as_ptr(b) as *const u8 as usize),
            Value::Object(o) => (4, Rc::as_ptr(o) as *const u8 as usize),
            // Scalars are never kept by identity.
            _ => (5, 0),
        }
    }
}

impl PartialEq for Part {
    fn eq(&self, other: &Part) -> bool {
        match (self, other) {
            (Part::Nil, Part::Nil) => true,
            (Part::Bool(a), Part::Bool(b)) => a == b,
            (Part::Int(a), Part::Int(b)) | (Part::Int64(a), Part::Int64(b)) => a == b,
            (Part::Float(a), Part::Float(b)) => a == b,
            (Part::Str(a), Part::Str(b)) => a == b,
            (Part::Same(a), Part::Same(b)) => Part::identity(a) == Part::identity(b),
            _ => false,
        }
    }
}

impl Eq for Part {}

impl Hash for Part {
    fn hash<H: Hasher>(&self, h: &mut H) {
        std::mem::discriminant(self).hash(h);
        match self {
            Part::Nil => {}
            Part::Bool(b) => b.hash(h),
            Part::Int(i) | Part::Int64(i) => i.hash(h),
            Part::Float(f) => f.hash(h),
            Part::Str(s) => s.hash(h),
            Part::Same(v) => Part::identity(v).hash(h),
        }
    }
}

/// What an `include` is remembered by: the template's name and its data.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    name: Box<str>,
    data: Data,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Data {
    One(Part),
    /// A small map by its entries, in key order.
    Entries(Vec<(Box<str>, Part)>),
}

impl Key {
    pub fn new(name: &str, data: &Value) -> Key {
        let data = match data {
            Value::Map(m) => {
                let map = m.borrow();
                if map.len() <= SMALL_MAP && !holds_template(&map) {
                    Data::Entries(
                        map.iter()
                            .map(|(k, v)| (Box::from(k.as_str()), Part::of(v)))
                            .collect(),
                    )
                } else {
                    Data::One(Part::of(data))
                }
            }
            other => Data::One(Part::of(other)),
        };
        Key {
            name: name.into(),
            data,
        }
    }
}

struct Entry {
    text: Value,
    /// When it was made ([`Track::clock`]).
    made: u64,
    /// The file it may have read `.Template` in, when it may have.
    file: Option<u64>,
    /// The steps its execution took.
    steps: u64,
}

/// The memory of one render's `include`s (see the module's text).
#[derive(Default)]
pub(crate) struct Memo {
    on: bool,
    entries: foldhash::HashMap<Key, Entry>,
    /// How many of the track's changes have been applied to the entries.
    applied: usize,
    /// The file being rendered.
    file: u64,
    /// Reads of `.Template` so far (see [`Memo::read_template`]).
    reads: u64,
    /// Texts recalled so far.
    pub hits: u64,
}

/// Where an `include`'s execution started: what it is checked against when it ends.
pub(crate) struct Start {
    key: Key,
    draws: u64,
    changes: usize,
    reads: u64,
    at: u64,
    steps: u64,
}

impl Memo {
    /// A memory, remembering only when `on`.
    pub fn new(on: bool) -> Memo {
        Memo {
            on,
            ..Memo::default()
        }
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    /// The next file of the render begins.
    pub fn next_file(&mut self) {
        self.file += 1;
    }

    /// Something may have read `.Template`.
    pub fn read_template(&mut self) {
        self.reads += 1;
    }

    /// Forgets the entries the maps changed since the last call may be held by.
    fn apply_changes(&mut self, track: &Track) {
        for &born in &track.changed[self.applied..] {
            if !self.entries.is_empty() {
                self.entries.retain(|_, e| e.made < born);
            }
        }
        self.applied = track.changed.len();
    }

    /// The text remembered for `key`, and the steps it took; `None` when there is none.
    pub fn recall(&mut self, key: &Key, track: &Track) -> Option<(Value, u64)> {
        self.apply_changes(track);
        let e = self.entries.get(key)?;
        match e.file {
            Some(f) if f != self.file => None,
            Some(_) => {
                self.reads += 1;
                self.hits += 1;
                Some((e.text.clone(), e.steps))
            }
            None => {
                self.hits += 1;
                Some((e.text.clone(), e.steps))
            }
        }
    }

    /// An execution for `key` begins.
    pub fn start(&mut self, key: Key, track: &mut Track, steps: u64) -> Start {
        Start {
            key,
            draws: track.draws,
            changes: track.changed.len(),
            reads: self.reads,
            at: track.tick(),
            steps,
        }
    }

    /// The execution begun at `start` gave `text` after `steps` steps in all: remembered
    /// when it had no effects.
    pub fn finish(&mut self, start: Start, text: &Value, track: &mut Track, steps: u64) {
        self.apply_changes(track);
        let pure = track.draws == start.draws
            && track.changed[start.changes..]
                .iter()
                .all(|&born| born > start.at);
        if !pure {
            return;
        }
        let file = (self.reads != start.reads).then_some(self.file);
        let made = track.tick();
        self.entries.insert(
            start.key,
            Entry {
                text: text.clone(),
                made,
                file,
                steps: steps.saturating_sub(start.steps),
            },
        );
    }
}

fn holds_template(m: &Map) -> bool {
    m.contains_key(crate::value::Key::new("Template"))
}

/// Whether `v` may reach a map holding `Template` (Helm's scope of a chart): through maps and
/// lists, at any depth; `true` when it is too large to tell.
pub(crate) fn reaches_template(v: &Value) -> bool {
    fn walk(v: &Value, budget: &mut usize) -> bool {
        if *budget == 0 {
            return true;
        }
        *budget -= 1;
        match v {
            Value::Map(m) => {
                let m = m.borrow();
                holds_template(&m) || m.values().any(|v| walk(v, budget))
            }
            Value::List(l) => l.iter().any(|v| walk(v, budget)),
            _ => false,
        }
    }
    let mut budget = REACH_BUDGET;
    walk(v, &mut budget)
}
