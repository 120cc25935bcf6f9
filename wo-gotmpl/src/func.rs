//! Functions a template calls: their table ([`FuncMap`]) and what they may use ([`Ctx`]).

use std::collections::HashMap;

use crate::value::Value;

/// Steps one render may take by default ([`Ctx::max_steps`]): the largest corpus chart
/// (argo-cd) takes about 12,000; a loop spending these takes a few seconds.
pub const DEFAULT_MAX_STEPS: u64 = 50_000_000;

/// Bytes one execution may write, and one text a function may build, by default
/// ([`Ctx::max_output_bytes`]).
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 64 << 20;

/// What a function may use besides its arguments: a seeded random source and a fixed clock, so
/// that a render is reproducible (`randAlphaNum`, `uuidv4`, `genCA`, `now` give the same
/// results for the same seed and clock); and the budget a render may spend, so that a runaway
/// template (`{{ range until 100000000 }}`, an `include` fanning out at every level,
/// `repeat 1000000000`) fails with an error naming it instead of running for hours or
/// exhausting memory. Helm has a 60 s timeout; this is its deterministic counterpart.
#[derive(Debug, Clone)]
pub struct Ctx {
    state: [u64; 4],
    /// The time `now` returns: seconds since the Unix epoch (UTC).
    pub now_unix: i64,
    /// The nanoseconds of `now`.
    pub now_nanos: u32,
    /// Steps allowed for everything executed with this context (a render): every action and
    /// other node executed, function call, `range` iteration and element of a list a function
    /// builds (`until`, `seq`) is one.
    pub max_steps: u64,
    /// The longest output one template execution may write, and the longest text a function
    /// may build (`repeat`, `indent`).
    pub max_output_bytes: usize,
    steps: u64,
    /// What `include`'s memory of a render needs to know of the functions' effects.
    pub(crate) track: Track,
}

/// The effects of functions that decide whether an `include` may be remembered
/// ([`crate::template::memo`]): random numbers drawn, and maps changed (by `set`, `unset`,
/// `merge`, `mergeOverwrite`), with when each was made. Recorded only while a Helm render
/// remembers its `include`s (`on`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Track {
    pub on: bool,
    /// Random numbers drawn so far.
    pub draws: u64,
    /// A counter ordering the births of maps and the memory's entries.
    pub clock: u64,
    /// When each map changed so far was made, in the order of the changes: 0 for a map made
    /// before the render's templates ran, or by a function that does not record its maps.
    pub changed: Vec<u64>,
    /// When the maps `dict` and `deepCopy` made were made, by address. An address a map
    /// freed and another reused keeps the older time: a change then looks like a change to an
    /// older map, which forgets more, never less.
    pub born: foldhash::HashMap<usize, u64>,
}

impl Track {
    /// The next tick of the clock.
    pub fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }
}

impl Ctx {
    /// A context whose random source is seeded with `seed` and whose clock reads `now_unix`.
    pub fn new(seed: [u8; 32], now_unix: i64) -> Ctx {
        let mut state = [0u64; 4];
        for (i, word) in state.iter_mut().enumerate() {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&seed[i * 8..i * 8 + 8]);
            *word = u64::from_le_bytes(bytes);
        }
        if state == [0; 4] {
            state[0] = 0x9E37_79B9_7F4A_7C15;
        }
        Ctx {
            state,
            now_unix,
            now_nanos: 0,
            max_steps: DEFAULT_MAX_STEPS,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
            steps: 0,
            track: Track::default(),
        }
    }

    /// A function made the map `m` (recorded for `include`'s memory).
    pub(crate) fn made(&mut self, m: &std::rc::Rc<std::cell::RefCell<crate::value::Map>>) {
        if self.track.on {
            let now = self.track.tick();
            self.track
                .born
                .insert(std::rc::Rc::as_ptr(m) as *const u8 as usize, now);
        }
    }

    /// A function changes the map `m` (recorded for `include`'s memory).
    pub(crate) fn changing(&mut self, m: &std::rc::Rc<std::cell::RefCell<crate::value::Map>>) {
        if self.track.on {
            let born = self
                .track
                .born
                .get(&(std::rc::Rc::as_ptr(m) as *const u8 as usize))
                .copied()
                .unwrap_or(0);
            self.track.changed.push(born);
        }
    }

    /// Spends `n` steps of the budget.
    ///
    /// # Errors
    /// When more than [`Ctx::max_steps`] have been spent, the text of the error.
    pub fn charge(&mut self, n: u64) -> Result<(), String> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.max_steps {
            return Err(self.steps_exceeded());
        }
        Ok(())
    }

    /// The steps spent so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    #[cold]
    fn steps_exceeded(&self) -> String {
        format!(
            "took more than {} steps (actions, function calls, range iterations and list items built; budget: max_steps) — is a loop nested in loops, too long a range, or a template included more than once at every level?",
            self.max_steps
        )
    }

    /// Whether a text of `bytes` may be built or written.
    ///
    /// # Errors
    /// When `bytes` exceeds [`Ctx::max_output_bytes`], the text of the error.
    pub fn check_output(&self, bytes: usize) -> Result<(), String> {
        if bytes > self.max_output_bytes {
            return Err(format!(
                "produced more than {} bytes (budget: max_output_bytes)",
                self.max_output_bytes
            ));
        }
        Ok(())
    }

    /// The next 64 random bits (xoshiro256**: fast, reproducible; not for secrets).
    pub fn next_u64(&mut self) -> u64 {
        self.track.draws += 1;
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A random number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        // Rejection sampling keeps the distribution uniform.
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

impl Default for Ctx {
    /// Seed zero, clock at the Unix epoch.
    fn default() -> Ctx {
        Ctx::new([0; 32], 0)
    }
}

/// A function's result: a value, or the error text Go's function would return (the executor
/// wraps it as `error calling NAME: TEXT`).
pub type FuncResult = Result<Value, String>;

/// One function: its name, how many arguments it takes, and its body.
#[derive(Clone, Copy)]
pub struct FuncDef {
    /// The name templates call it by.
    pub name: &'static str,
    /// The fewest arguments it takes.
    pub min_args: usize,
    /// The most arguments it takes; `None` when variadic.
    pub max_args: Option<usize>,
    /// The body: evaluated arguments in, a value or an error out.
    pub f: fn(&mut Ctx, &[Value]) -> FuncResult,
}

impl std::fmt::Debug for FuncDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FuncDef({})", self.name)
    }
}

/// The functions a template set can call, by name.
#[derive(Debug, Clone, Default)]
pub struct FuncMap {
    funcs: HashMap<&'static str, FuncDef>,
}

impl FuncMap {
    /// An empty table.
    pub fn new() -> FuncMap {
        FuncMap::default()
    }

    /// Adds (or replaces) a function.
    pub fn insert(&mut self, def: FuncDef) {
        self.funcs.insert(def.name, def);
    }

    /// Adds every function of `other`, replacing same-named ones.
    pub fn extend(&mut self, other: FuncMap) {
        self.funcs.extend(other.funcs);
    }

    /// Removes a function (Helm removes Sprig's `env` and `expandenv`).
    pub fn remove(&mut self, name: &str) {
        self.funcs.remove(name);
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<&FuncDef> {
        self.funcs.get(name)
    }

    /// How many functions there are.
    pub fn len(&self) -> usize {
        self.funcs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.funcs.is_empty()
    }

    /// The names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.funcs.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_random_source_is_reproducible_per_seed() {
        let draw = |seed| {
            let mut ctx = Ctx::new([seed; 32], 0);
            (0..4).map(|_| ctx.below(62)).collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
        assert!(draw(3).iter().all(|n| *n < 62));
    }
}
