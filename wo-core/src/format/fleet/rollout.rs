//! The `rollout:` section of `fleet.yaml`: how a release spreads over the targets of one
//! environment (waves, batch size, failure budget, bake time, approvals, windows).
//!
//! ```yaml
//! rollout:
//!   waves:
//!     - name: canary
//!       selector: {ring: canary}   # targets whose labels match all of these
//!     - name: early
//!       percent: 10                # of the remaining targets, in the stable order
//!     - name: rest                 # no selector, no percent: every remaining target
//!   maxInFlight: 20                # targets of a wave installed at one time (default: all)
//!   failureBudget: {count: 1}      # or {percent: 2}, per wave (default: {count: 0})
//!   bake: 15m                      # after each wave (default: 0s)
//!   approval: [rest]               # waves that wait for `wo approve`
//!   windows: ["Mon-Fri 06:00-16:00 Europe/Berlin"]
//!   autoRollback: true             # roll the halted wave back to the previous release
//! ```
//!
//! The platform owns it; an application may only narrow it ([`Rollout::narrow`]). The
//! planner that runs it is [`crate::rollout`]; `docs/rollout.md` describes both.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::de::{self, Deserializer};
use serde::Deserialize;

use crate::error::{Diagnostic, Location, Result};
use crate::files::check_name;
use crate::format::{closest, Collector};
use crate::rollout::Timestamp;
use crate::yaml::Node;

/// The longest bake wo accepts (30 days): longer is a typo, and a status would show it for
/// weeks.
pub const MAX_BAKE_SECONDS: u64 = 30 * 24 * 3600;

/// A percentage with two decimals (`2.5` is 250 hundredths), so fleets compare exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u32);

impl Percent {
    /// A percentage from hundredths of a percent (`250` is 2.5 %).
    pub fn from_hundredths(hundredths: u32) -> Self {
        Percent(hundredths)
    }

    /// Hundredths of a percent.
    pub fn hundredths(self) -> u32 {
        self.0
    }

    /// `ceil(self × n / 100)`, the size of a percent wave.
    pub fn of_ceil(self, n: usize) -> usize {
        (self.0 as usize * n).div_ceil(10_000)
    }

    /// `floor(self × n / 100)`, the failures a percent budget tolerates.
    pub fn of_floor(self, n: usize) -> usize {
        self.0 as usize * n / 10_000
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 100 == 0 {
            write!(f, "{}%", self.0 / 100)
        } else {
            let s = format!("{}.{:02}", self.0 / 100, self.0 % 100);
            write!(f, "{}%", s.trim_end_matches('0'))
        }
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let p = f64::deserialize(d)?;
        if !(0.0..=100.0).contains(&p) {
            return Err(de::Error::custom(format!(
                "a percentage is between 0 and 100, not {p}"
            )));
        }
        let hundredths = p * 100.0;
        if (hundredths - hundredths.round()).abs() > 1e-6 {
            return Err(de::Error::custom(format!(
                "{p}: a percentage has at most two decimals"
            )));
        }
        Ok(Percent(hundredths.round() as u32))
    }
}

/// A bake time: `15m`, `1h30m`, `90s`, `2d`, `0s` (units `s`, `m`, `h`, `d`), at most
/// [`MAX_BAKE_SECONDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Bake(u64);

impl Bake {
    /// A bake of `seconds`.
    pub fn from_seconds(seconds: u64) -> Self {
        Bake(seconds)
    }

    /// The bake in seconds.
    pub fn seconds(self) -> u64 {
        self.0
    }

    /// Parses `15m`, `1h30m`, `90s`, `2d`, `0s`.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let bad = || {
            format!(
                "`{text}` is not a duration: write it as `15m`, `1h30m`, `90s` or `0s` (units s, m, h, d)"
            )
        };
        if text.is_empty() {
            return Err(bad());
        }
        let (mut total, mut digits, mut last_unit) = (0u64, String::new(), 5usize);
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let (rank, secs) = match c {
                'd' => (0, 86_400),
                'h' => (1, 3_600),
                'm' => (2, 60),
                's' => (3, 1),
                _ => return Err(bad()),
            };
            // Units largest first, each once: `1h30m`, not `30m1h`.
            if digits.is_empty() || (last_unit != 5 && rank <= last_unit) || digits.len() > 9 {
                return Err(bad());
            }
            last_unit = rank;
            let n: u64 = digits.parse().map_err(|_| bad())?;
            digits.clear();
            total = total.saturating_add(n.saturating_mul(secs));
        }
        if !digits.is_empty() {
            return Err(bad());
        }
        if total > MAX_BAKE_SECONDS {
            return Err(format!("`{text}` is longer than the longest bake, 30 days"));
        }
        Ok(Bake(total))
    }
}

impl fmt::Display for Bake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.0;
        if s == 0 {
            return f.write_str("0s");
        }
        for (unit, secs) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if s >= secs {
                write!(f, "{}{unit}", s / secs)?;
                s %= secs;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Bake {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Bake::parse(&text).map_err(de::Error::custom)
    }
}

/// The time zone of a [`Window`]: UTC, a fixed offset (`+01:00`), or an IANA zone
/// (`Europe/Berlin`, with its daylight saving time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    Fixed(chrono::FixedOffset),
    Iana(chrono_tz::Tz),
}

impl Zone {
    fn parse(text: &str) -> std::result::Result<Self, String> {
        if text == "UTC" || text == "Z" {
            return Ok(Zone::Fixed(
                chrono::FixedOffset::east_opt(0).expect("0 is valid"),
            ));
        }
        if let Some(rest) = text.strip_prefix(['+', '-']) {
            let sign = if text.starts_with('-') { -1 } else { 1 };
            let parsed = rest.split_once(':').and_then(|(h, m)| {
                let ok = h.len() == 2 && m.len() == 2;
                let (h, m) = (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?);
                (ok && h <= 14 && m < 60).then_some(h * 3600 + m * 60)
            });
            return parsed
                .and_then(|secs| chrono::FixedOffset::east_opt(sign * secs))
                .map(Zone::Fixed)
                .ok_or_else(|| {
                    format!("`{text}` is not an offset: write it as `+01:00` or `-05:30`")
                });
        }
        text.parse::<chrono_tz::Tz>().map(Zone::Iana).map_err(|_| {
            format!("`{text}` is not a time zone: write `UTC`, an offset such as `+01:00`, or an IANA name such as `Europe/Berlin`")
        })
    }

    /// The instant of a local date and time; a time skipped by a clock change counts from
    /// the first instant after the gap, an ambiguous one from its earlier instant.
    fn instant(&self, local: NaiveDateTime) -> i64 {
        fn resolve<Z: TimeZone>(z: &Z, local: NaiveDateTime) -> i64 {
            let mut probe = local;
            // A gap is at most a few hours: step until the local time exists.
            for _ in 0..(24 * 4) {
                if let Some(t) = z.from_local_datetime(&probe).earliest() {
                    return t.timestamp();
                }
                probe += chrono::Duration::minutes(15);
            }
            local.and_utc().timestamp()
        }
        match self {
            Zone::Fixed(z) => resolve(z, local),
            Zone::Iana(z) => resolve(z, local),
        }
    }

    fn local_date(&self, t: i64) -> NaiveDate {
        let utc = chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
        match self {
            Zone::Fixed(z) => utc.with_timezone(z).date_naive(),
            Zone::Iana(z) => utc.with_timezone(z).date_naive(),
        }
    }
}

/// A time window in which a rollout may install: `Mon-Fri 06:00-16:00 Europe/Berlin`.
///
/// Days are `Mon`…`Sun`, ranges (`Mon-Fri`, `Fri-Mon` wraps), lists (`Mon,Wed,Fri`) or
/// `daily`; times are `HH:MM` (an end of `24:00` is midnight; an end before the start runs
/// past midnight into the next day); the zone is `UTC`, a fixed offset (`+01:00`) or an IANA
/// name (daylight saving time applies). The start is inclusive, the end exclusive.
#[derive(Clone, PartialEq, Eq)]
pub struct Window {
    text: String,
    /// Bit `i` set: the window opens on weekday `i` (0 = Monday).
    days: u8,
    start: u32,
    end: u32,
    zone: Zone,
}

impl fmt::Debug for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Window({:?})", self.text)
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Window {
    /// Parses `Mon-Fri 06:00-16:00 Europe/Berlin`.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        let [days, times, zone] = parts[..] else {
            return Err(format!(
                "`{text}` is not a window: write `<days> <HH:MM>-<HH:MM> <zone>`, e.g. `Mon-Fri 06:00-16:00 Europe/Berlin`"
            ));
        };
        let days = parse_days(days)?;
        let (start, end) = times
            .split_once('-')
            .and_then(|(a, b)| Some((parse_time(a, false)?, parse_time(b, true)?)))
            .ok_or_else(|| format!("`{times}` is not a time range: write `06:00-16:00`"))?;
        if start == end {
            return Err(format!(
                "`{times}` is an empty window: its start and end are the same"
            ));
        }
        let zone = Zone::parse(zone)?;
        Ok(Window {
            text: text.to_string(),
            days,
            start,
            end,
            zone,
        })
    }

    /// The occurrences (start, end) of the window that begin on the local days around `t`.
    fn occurrences(&self, t: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let today = self.zone.local_date(t);
        (-1i64..=8).filter_map(move |offset| {
            let day = today + chrono::Duration::days(offset);
            if self.days & (1 << day.weekday().num_days_from_monday()) == 0 {
                return None;
            }
            let at = |day: NaiveDate, minutes: u32| {
                let (day, minutes) = if minutes == 24 * 60 {
                    (day.succ_opt()?, 0)
                } else {
                    (day, minutes)
                };
                let time = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)?;
                Some(self.zone.instant(day.and_time(time)))
            };
            let end_day = if self.end <= self.start {
                day.succ_opt()?
            } else {
                day
            };
            Some((at(day, self.start)?, at(end_day, self.end)?))
        })
    }

    /// Whether the window is open at `t`.
    pub fn is_open(&self, t: Timestamp) -> bool {
        self.occurrences(t.0).any(|(s, e)| s <= t.0 && t.0 < e)
    }

    /// `t` when the window is open then, else the start of its next occurrence.
    pub fn next_open(&self, t: Timestamp) -> Timestamp {
        let mut next = i64::MAX;
        for (s, e) in self.occurrences(t.0) {
            if s <= t.0 && t.0 < e {
                return t;
            }
            if s > t.0 {
                next = next.min(s);
            }
        }
        Timestamp(next)
    }
}

fn parse_days(text: &str) -> std::result::Result<u8, String> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let bad = || {
        format!(
            "`{text}` is not a list of days: write `Mon-Fri`, `Sat,Sun`, `Mon,Wed-Fri` or `daily`"
        )
    };
    if text.eq_ignore_ascii_case("daily") {
        return Ok(0x7f);
    }
    let day = |d: &str| {
        NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(d))
            .ok_or_else(bad)
    };
    let mut days = 0u8;
    for item in text.split(',') {
        match item.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                let mut i = a;
                loop {
                    days |= 1 << i;
                    if i == b {
                        break;
                    }
                    i = (i + 1) % 7;
                }
            }
            None => days |= 1 << day(item)?,
        }
    }
    Ok(days)
}

/// Minutes since midnight of `HH:MM`; `24:00` only as an end.
fn parse_time(text: &str, end: bool) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if end => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

impl<'de> Deserialize<'de> for Window {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Window::parse(&text).map_err(de::Error::custom)
    }
}

impl serde::Serialize for Window {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Whether a set of windows is open at `t` (no windows: always), else when it opens next.
pub fn next_open(windows: &[Window], t: Timestamp) -> Timestamp {
    if windows.is_empty() {
        return t;
    }
    windows.iter().map(|w| w.next_open(t)).min().unwrap_or(t)
}

/// One wave of a rollout. With neither `selector` nor `percent` it takes every target still
/// left (and must be the last wave).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Wave {
    /// The wave's name (a status context segment: `wo/<env>/wave/<name>`).
    pub name: String,
    /// Only targets (still left) whose labels include all of these pairs; the first wave
    /// whose selector matches a target takes it.
    #[serde(default)]
    pub selector: Option<BTreeMap<String, String>>,
    /// Only this share of the (selected) targets still left, rounded up, at least one.
    #[serde(default)]
    pub percent: Option<Percent>,
}

impl Wave {
    /// Whether the wave takes every target still left (no selector, no percent or 100 %).
    pub fn takes_rest(&self) -> bool {
        self.selector.is_none() && self.percent.is_none_or(|p| p.hundredths() == 10_000)
    }
}

/// How many targets of a wave may fail (or turn unhealthy during bake) before the rollout
/// halts: `{count: 1}` or `{percent: 2}` (of the wave's targets, rounded down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureBudget {
    /// Failures tolerated per wave.
    #[serde(default)]
    pub count: Option<u32>,
    /// Failures tolerated per wave, as a share of its targets (rounded down).
    #[serde(default)]
    pub percent: Option<Percent>,
}

impl FailureBudget {
    /// A budget of `count` failures per wave.
    pub fn count(count: u32) -> Self {
        FailureBudget {
            count: Some(count),
            percent: None,
        }
    }

    /// A budget of a share of each wave.
    pub fn percent(percent: Percent) -> Self {
        FailureBudget {
            count: None,
            percent: Some(percent),
        }
    }

    /// The failures tolerated in a wave of `size` targets (no budget: none).
    pub fn of(&self, size: usize) -> usize {
        match (self.count, self.percent) {
            (Some(c), _) => c as usize,
            (None, Some(p)) => p.of_floor(size),
            (None, None) => 0,
        }
    }
}

impl fmt::Display for FailureBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.count, self.percent) {
            (Some(c), _) => write!(f, "{{count: {c}}}"),
            (None, Some(p)) => write!(f, "{{percent: {}}}", p.to_string().trim_end_matches('%')),
            (None, None) => f.write_str("{count: 0}"),
        }
    }
}

/// The `rollout:` section of `fleet.yaml`. See the [module](self) for the format.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rollout {
    /// The waves, in order; the last takes every target still left.
    pub waves: Vec<Wave>,
    /// Targets of a wave installed at one time; `None`: the whole wave at once.
    #[serde(default)]
    pub max_in_flight: Option<u32>,
    /// Failures tolerated per wave; default `{count: 0}`.
    #[serde(default)]
    pub failure_budget: FailureBudget,
    /// How long a wave's targets must stay healthy after its last install before the next
    /// wave starts; default `0s`.
    #[serde(default)]
    pub bake: Bake,
    /// Waves that wait for an approval before their first install.
    #[serde(default)]
    pub approval: Vec<String>,
    /// When installs may start; none: any time.
    #[serde(default)]
    pub windows: Vec<Window>,
    /// Whether a halted wave's targets go back to the previous release automatically.
    #[serde(default)]
    pub auto_rollback: bool,
}

impl Rollout {
    /// Checks what typing cannot: wave names (valid, unique), each wave's form (the last takes
    /// the rest, only the last does, a selector matches a target of `labels`), the budget
    /// (exactly one of `count`/`percent`, below 100 %), `maxInFlight` ≥ 1 and approvals
    /// naming waves. `node` is the `rollout` node of the fleet document (found at `base`);
    /// `labels` are the labels of the fleet's targets.
    pub(crate) fn check(
        &self,
        c: &mut Collector,
        node: &Node,
        file: &str,
        base: &str,
        labels: &[&super::Pairs],
    ) {
        let at = |key: &str| {
            let (line, col) = node.line_of(key).unwrap_or((node.line, node.column));
            Location::file(file)
                .with_key(crate::format::join_path(base, key))
                .at(line, col)
        };
        if self.waves.is_empty() {
            c.push(Diagnostic::new(
                at("waves"),
                "a rollout needs at least one wave",
            ));
        }
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        let last = self.waves.len().saturating_sub(1);
        for (i, w) in self.waves.iter().enumerate() {
            let key = format!("waves.{i}");
            if let Err(m) = check_name(&w.name) {
                c.push(Diagnostic::new(at(&format!("{key}.name")), m));
            }
            if let Some(first) = names.insert(w.name.to_ascii_lowercase(), i) {
                c.push(Diagnostic::new(
                    at(&format!("{key}.name")),
                    format!(
                        "wave `{}` is defined twice (first at waves.{first}; wave names are case-insensitive)",
                        w.name
                    ),
                ));
            }
            if let Some(p) = w.percent {
                if p.hundredths() == 0 {
                    c.push(Diagnostic::new(
                        at(&format!("{key}.percent")),
                        "a wave of 0% takes no target",
                    ));
                }
            }
            if let Some(sel) = &w.selector {
                if sel.is_empty() {
                    c.push(
                        Diagnostic::new(at(&format!("{key}.selector")), "the selector is empty")
                            .with_hint("leave `selector` out for a wave of every remaining target"),
                    );
                } else if !labels
                    .iter()
                    .any(|l| sel.iter().all(|(k, v)| l.get(k) == Some(v)))
                {
                    c.push(Diagnostic::new(
                        at(&format!("{key}.selector")),
                        format!(
                            "the selector of wave `{}` matches no target of this fleet",
                            w.name
                        ),
                    ));
                }
            }
            if w.takes_rest() && i != last {
                c.push(
                    Diagnostic::new(
                        at(&key),
                        format!(
                            "wave `{}` takes every remaining target (no selector, no percent below 100), so the waves after it would be empty",
                            w.name
                        ),
                    )
                    .with_hint("give it a `selector` or a `percent`, or make it the last wave"),
                );
            }
            if i == last && !w.takes_rest() {
                c.push(
                    Diagnostic::new(
                        at(&key),
                        format!(
                            "the last wave `{}` must take every remaining target: no selector and no percent (or 100)",
                            w.name
                        ),
                    )
                    .with_hint("add a last wave such as `- name: rest`"),
                );
            }
        }
        if self.max_in_flight == Some(0) {
            c.push(Diagnostic::new(
                at("maxInFlight"),
                "`maxInFlight` is at least 1 (leave it out to install a whole wave at once)",
            ));
        }
        match (self.failure_budget.count, self.failure_budget.percent) {
            (Some(_), Some(_)) => c.push(Diagnostic::new(
                at("failureBudget"),
                "a failure budget is either `{count: n}` or `{percent: p}`, not both",
            )),
            (None, None) if node.find("failureBudget").is_some() => c.push(Diagnostic::new(
                at("failureBudget"),
                "a failure budget needs `count` or `percent`",
            )),
            (None, Some(p)) if p.hundredths() >= 10_000 => c.push(Diagnostic::new(
                at("failureBudget.percent"),
                "a failure budget of 100% never halts a rollout: use less",
            )),
            _ => {}
        }
        let mut approved = BTreeMap::new();
        for (i, a) in self.approval.iter().enumerate() {
            let key = format!("approval.{i}");
            if !self.waves.iter().any(|w| &w.name == a) {
                let mut d = Diagnostic::new(at(&key), format!("no wave `{a}` in this rollout"));
                if let Some(s) = closest(a, self.waves.iter().map(|w| w.name.as_str())) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                c.push(d);
            } else if let Some(first) = approved.insert(a.as_str(), i) {
                c.push(Diagnostic::new(
                    at(&key),
                    format!("wave `{a}` is listed twice (first at approval.{first})"),
                ));
            }
        }
    }

    /// This rollout narrowed by an application's `rollout:` ([`RolloutOverride`]): a smaller
    /// failure budget or `maxInFlight`, a longer bake, more approvals, automatic rollback
    /// turned on. Waves and windows are the platform's.
    ///
    /// # Errors
    /// [`Error::Invalid`](crate::Error::Invalid) at [`APP_FILE`](crate::format::app::APP_FILE) naming every key that
    /// would widen the rollout (or names an unknown wave), with the fleet's value.
    pub fn narrow(&self, app: &RolloutOverride) -> Result<Rollout> {
        let file = crate::format::app::APP_FILE;
        let at = |key: &str| Location::file(file).with_key(format!("rollout.{key}"));
        let mut c = Collector::default();
        let mut out = self.clone();
        if let Some(m) = app.max_in_flight {
            if m == 0 || self.max_in_flight.is_some_and(|f| m > f) {
                c.push(Diagnostic::new(
                    at("maxInFlight"),
                    format!(
                        "an application may lower `maxInFlight`, not raise it: the fleet allows {}, this asks {m}",
                        self.max_in_flight.map_or("a whole wave".into(), |f| f.to_string())
                    ),
                ));
            } else {
                out.max_in_flight = Some(m);
            }
        }
        if let Some(b) = app.failure_budget {
            let fleet = self.failure_budget;
            let narrower = match (fleet.count, fleet.percent, b.count, b.percent) {
                (Some(f), _, Some(a), None) => Some(a <= f),
                (None, Some(f), None, Some(a)) => Some(a <= f),
                (None, None, Some(0), None) => Some(true),
                (None, None, _, _) => Some(false),
                _ => None,
            };
            match narrower {
                Some(true) => out.failure_budget = b,
                Some(false) => c.push(Diagnostic::new(
                    at("failureBudget"),
                    format!(
                        "an application may lower the failure budget, not raise it: the fleet's is {fleet}, this asks {b}"
                    ),
                )),
                None => c.push(Diagnostic::new(
                    at("failureBudget"),
                    format!(
                        "the fleet's failure budget is {fleet}: an application narrows it in the same form (`count` or `percent`), not {b}"
                    ),
                )),
            }
        }
        if let Some(b) = app.bake {
            if b < self.bake {
                c.push(Diagnostic::new(
                    at("bake"),
                    format!(
                        "an application may lengthen the bake, not shorten it: the fleet's is {}, this asks {b}",
                        self.bake
                    ),
                ));
            } else {
                out.bake = b;
            }
        }
        for (i, a) in app.approval.iter().enumerate() {
            if !self.waves.iter().any(|w| &w.name == a) {
                let mut d = Diagnostic::new(
                    at(&format!("approval.{i}")),
                    format!("no wave `{a}` in the fleet's rollout"),
                );
                if let Some(s) = closest(a, self.waves.iter().map(|w| w.name.as_str())) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                c.push(d);
            } else if !out.approval.contains(a) {
                out.approval.push(a.clone());
            }
        }
        match app.auto_rollback {
            Some(false) if self.auto_rollback => c.push(Diagnostic::new(
                at("autoRollback"),
                "the fleet rolls halted waves back automatically; an application cannot turn that off",
            )),
            Some(true) => out.auto_rollback = true,
            _ => {}
        }
        c.finish(out)
    }
}

/// What an application may say about its rollout (in its `wo/app.yaml`): only narrowing,
/// see [`Rollout::narrow`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RolloutOverride {
    /// A smaller batch.
    #[serde(default)]
    pub max_in_flight: Option<u32>,
    /// A smaller budget, in the fleet's form.
    #[serde(default)]
    pub failure_budget: Option<FailureBudget>,
    /// A longer bake.
    #[serde(default)]
    pub bake: Option<Bake>,
    /// More waves that wait for an approval.
    #[serde(default)]
    pub approval: Vec<String>,
    /// `true` turns automatic rollback on.
    #[serde(default)]
    pub auto_rollback: Option<bool>,
}

/// Formats a timestamp as RFC 3339 in UTC (`2026-12-04T15:50:18Z`).
pub(crate) fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// Parses an RFC 3339 time (any offset) into seconds since the epoch.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.timestamp())
}
