//! Fuzz test (issue 11): GitHub event payload parsing (`actions::from_parts`) fed generated
//! payloads — webhook-shaped JSON whose keys are the ones the mapping reads, with values of
//! every type at every place — and mutated JSON text, under every repository role. Each input
//! must map to an event or "ignored", or be `Error::Invalid` naming `<event payload>`; nothing
//! may panic.
//!
//! A small deterministic generator (SplitMix64) drives it, so this crate needs no fuzzing
//! dependency. Cases: `WO_FUZZ_CASES` (default 256, what CI runs); docs/fuzzing.md has the
//! longer run and its inputs/s:
//!
//! ```text
//! WO_FUZZ_CASES=100000 cargo test -p woac-github --test fuzz_events -- --nocapture
//! ```

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use serde_json::{json, Map, Value};
use wo_core::Error;
use wo_github::actions::{from_parts, EventContext, RepoRole};

fn cases() -> u64 {
    std::env::var("WO_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(256)
}

/// SplitMix64: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

const EVENT_NAMES: &[&str] = &[
    "push",
    "pull_request",
    "pull_request_target",
    "repository_dispatch",
    "workflow_dispatch",
    "schedule",
    "",
    "push\n::warning::x",
];

const KEYS: &[&str] = &[
    "ref",
    "after",
    "before",
    "deleted",
    "created",
    "forced",
    "pull_request",
    "merged",
    "base",
    "head",
    "action",
    "number",
    "client_payload",
    "environment",
    "commit",
    "solution",
    "inputs",
    "event",
    "repository",
    "default_branch",
    "merge_commit_sha",
    "sha",
    "label",
    "name",
];

const STRINGS: &[&str] = &[
    "",
    "main",
    "dev",
    "prod",
    "refs/heads/main",
    "refs/heads/dev",
    "refs/tags/v1.0.0",
    "refs/pull/1/merge",
    "wo/dev/shop",
    "wo/prod/shop",
    "wo//",
    "wo/dev/",
    "closed",
    "opened",
    "wo-source-pushed",
    "wo-change-merged",
    "wo-config-merged",
    "wo-platform-config-merged",
    "source-pushed",
    "change-merged",
    "config-merged",
    "platform-config-merged",
    "0123456789abcdef0123456789abcdef01234567",
    "0000000000000000000000000000000000000000",
    "shop",
    "DEV",
    "con",
    "a\nb",
    "\u{0}",
    "\u{202E}x",
    "::add-mask::secret",
    "%0A",
    "é",
];

/// A JSON value of any type; deeper levels favour the keys the mapping reads.
fn value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth == 0 { 6 } else { 9 }) {
        0 => Value::Null,
        1 => json!(rng.chance(2)),
        2 => json!(rng.next() as i64 >> rng.below(64)),
        3 => json!(f64::from(rng.below(1000) as u32) / 7.0),
        4 | 5 => {
            let s = rng.pick(STRINGS).to_string();
            if rng.chance(4) {
                json!(s.repeat(rng.below(50)))
            } else {
                json!(s)
            }
        }
        6 => {
            let n = rng.below(4);
            Value::Array((0..n).map(|_| value(rng, depth - 1)).collect())
        }
        _ => object(rng, depth - 1),
    }
}

fn object(rng: &mut Rng, depth: usize) -> Value {
    let mut m = Map::new();
    for _ in 0..rng.below(8) {
        let key = if rng.chance(8) {
            rng.pick(STRINGS).to_string()
        } else {
            rng.pick(KEYS).to_string()
        };
        m.insert(key, value(rng, depth));
    }
    Value::Object(m)
}

/// A payload close to what its trigger sends, with parts replaced by anything.
fn payload(rng: &mut Rng, event: &str) -> Value {
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let mut base = match event {
        "push" => json!({"ref": "refs/heads/main", "after": sha, "before": sha, "deleted": false}),
        "pull_request" | "pull_request_target" => json!({
            "action": "closed",
            "pull_request": {"merged": true, "merge_commit_sha": sha,
                "base": {"ref": "dev"}, "head": {"ref": "wo/dev/shop", "sha": sha}},
        }),
        "repository_dispatch" => json!({"action": "wo-change-merged",
            "client_payload": {"environment": "dev", "commit": sha}}),
        "workflow_dispatch" => json!({"inputs": {"event": "change-merged", "environment": "dev"}}),
        _ => json!({}),
    };
    for _ in 0..rng.below(4) {
        replace_somewhere(rng, &mut base, 4);
    }
    base
}

/// Replaces or adds one value somewhere in `v`.
fn replace_somewhere(rng: &mut Rng, v: &mut Value, depth: usize) {
    match v {
        Value::Object(m) if !m.is_empty() && depth > 0 && rng.chance(2) => {
            let i = rng.below(m.len());
            if let Some((_, child)) = m.iter_mut().nth(i) {
                replace_somewhere(rng, child, depth - 1);
            }
        }
        Value::Object(m) if rng.chance(2) => {
            m.insert(rng.pick(KEYS).to_string(), value(rng, 3));
        }
        _ => *v = value(rng, 3),
    }
}

/// Byte-level damage to JSON text: truncation, insertion, deletion.
fn damage(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 => bytes.truncate(at),
            1 => {
                let piece = *rng.pick(&[
                    "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "null", "1e999",
                    "-", "\u{0}", "\u{FEFF}", " ", "\n", "é",
                ]);
                bytes.splice(at..at, piece.bytes());
            }
            2 => {
                let end = (at + rng.below(16)).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {
                if let Some(b) = bytes.get_mut(at) {
                    *b = rng.next() as u8;
                }
            }
        }
    }
    // The mapping takes text: damage that breaks UTF-8 is repaired as a reader would.
    String::from_utf8_lossy(&bytes).into_owned()
}

fn context(rng: &mut Rng) -> EventContext {
    let role = *rng.pick(&[
        RepoRole::Source,
        RepoRole::Config,
        RepoRole::PlatformConfig,
        RepoRole::Gitops,
    ]);
    let mut ctx = EventContext::new(role);
    if rng.chance(3) {
        ctx.main_branch = rng.pick(STRINGS).to_string();
    }
    if rng.chance(2) {
        ctx.solution = Some("shop".into());
    }
    if rng.chance(2) {
        ctx.environments = vec!["dev".into(), "prod".into()];
    }
    if rng.chance(2) {
        ctx.sha = Some("0123456789abcdef0123456789abcdef01234567".into());
    }
    ctx
}

#[test]
fn fuzz_github_event_payloads() {
    let cases = cases();
    let mut rng = Rng(0x5EED_0011);
    let started = Instant::now();
    let (mut events, mut ignored, mut invalid) = (0u64, 0u64, 0u64);
    for case in 0..cases {
        let name = *rng.pick(EVENT_NAMES);
        let ctx = context(&mut rng);
        let json = payload(&mut rng, name).to_string();
        let text = if rng.chance(3) {
            damage(&mut rng, &json)
        } else {
            json
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| from_parts(name, &text, &ctx)));
        let Ok(result) = outcome else {
            panic!("case {case}: from_parts panicked on {name} {text:?} ({ctx:?})");
        };
        match result {
            Ok(wo_github::actions::Mapping::Event(_)) => events += 1,
            Ok(wo_github::actions::Mapping::Ignored { reason }) => {
                assert!(!reason.is_empty(), "case {case}: ignored without a reason");
                ignored += 1;
            }
            Err(Error::Invalid(ds)) => {
                assert!(!ds.0.is_empty(), "case {case}: Invalid without diagnostics");
                for d in &ds.0 {
                    assert_eq!(
                        d.location.file, "<event payload>",
                        "case {case}: {name} {text:?}: {d}"
                    );
                    assert!(!d.message.is_empty(), "case {case}: empty message");
                }
                invalid += 1;
            }
            Err(other) => panic!("case {case}: {name} {text:?}: expected Invalid, got {other:?}"),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fuzz github-events: {cases} inputs in {secs:.2} s, {:.0} inputs/s ({events} events, {ignored} ignored, {invalid} invalid)",
        cases as f64 / secs.max(1e-9)
    );
    // The generator reaches all three outcomes (at the default budget and above).
    if cases >= 256 {
        assert!(
            events > 0 && ignored > 0 && invalid > 0,
            "{events} {ignored} {invalid}"
        );
    }
}
