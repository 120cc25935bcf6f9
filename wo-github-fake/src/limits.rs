//! GitHub's secondary rate limits, on a clock the test controls ("About secondary rate
//! limits", REST API docs): no more than 80 content-generating requests per minute and 500
//! per hour, and no more than 900 points per minute (a `GET` costs 1 point, a `POST`,
//! `PATCH`, `PUT` or `DELETE` 5), each per actor. The fake counts every write as
//! content-generating.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// The secondary rate limits the fake enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondaryRateLimits {
    /// Content-generating requests (writes) per minute and actor.
    pub writes_per_minute: u32,
    /// Content-generating requests (writes) per hour and actor.
    pub writes_per_hour: u32,
    /// Points per minute and actor (`GET` 1, writes 5).
    pub points_per_minute: u32,
}

impl SecondaryRateLimits {
    /// GitHub's documented limits: 80 writes a minute, 500 an hour, 900 points a minute.
    pub const GITHUB: Self = Self {
        writes_per_minute: 80,
        writes_per_hour: 500,
        points_per_minute: 900,
    };

    /// No secondary limit (for tests that deliberately do thousands of requests).
    pub const UNLIMITED: Self = Self {
        writes_per_minute: u32::MAX,
        writes_per_hour: u32::MAX,
        points_per_minute: u32::MAX,
    };
}

impl Default for SecondaryRateLimits {
    fn default() -> Self {
        Self::GITHUB
    }
}

/// Per actor: the times (on the fake clock) of its writes and of its points.
pub(crate) struct Limits {
    pub limits: SecondaryRateLimits,
    /// The clock: the time since the server started plus what the test advanced it by
    /// (`FakeGitHub::advance_clock`), so a client that waits `retry-after` gets through, and a
    /// test gets through without waiting.
    start: Instant,
    pub offset: Duration,
    writes: BTreeMap<String, VecDeque<Duration>>,
    points: BTreeMap<String, VecDeque<(Duration, u32)>>,
    pub content_creating: u64,
    /// Requests refused for a secondary limit.
    pub refused: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            limits: SecondaryRateLimits::default(),
            start: Instant::now(),
            offset: Duration::ZERO,
            writes: BTreeMap::new(),
            points: BTreeMap::new(),
            content_creating: 0,
            refused: 0,
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

impl Limits {
    /// Counts a request of `actor`; `Err(seconds to wait)` when it exceeds a limit (then
    /// it is not counted).
    pub fn admit(&mut self, actor: &str, write: bool) -> Result<(), u64> {
        let verdict = self.count(actor, write);
        if verdict.is_err() {
            self.refused += 1;
        }
        verdict
    }

    fn count(&mut self, actor: &str, write: bool) -> Result<(), u64> {
        let now = self.start.elapsed() + self.offset;
        let writes = self.writes.entry(actor.to_owned()).or_default();
        while writes
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= HOUR)
        {
            writes.pop_front();
        }
        let points = self.points.entry(actor.to_owned()).or_default();
        while points
            .front()
            .is_some_and(|(t, _)| now.saturating_sub(*t) >= MINUTE)
        {
            points.pop_front();
        }
        let cost = if write { 5 } else { 1 };
        let used: u64 = points.iter().map(|(_, p)| u64::from(*p)).sum();
        let wait = |since: Duration, window: Duration| {
            let left = (since + window).saturating_sub(now);
            (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1)
        };
        if used + cost > u64::from(self.limits.points_per_minute) {
            return Err(wait(points.front().map_or(now, |p| p.0), MINUTE));
        }
        if write {
            let last_minute: Vec<&Duration> = writes
                .iter()
                .filter(|t| now.saturating_sub(**t) < MINUTE)
                .collect();
            if last_minute.len() as u64 >= u64::from(self.limits.writes_per_minute) {
                return Err(wait(*last_minute[0], MINUTE));
            }
            if writes.len() as u64 >= u64::from(self.limits.writes_per_hour) {
                return Err(wait(writes.front().copied().unwrap_or(now), HOUR));
            }
            writes.push_back(now);
            self.content_creating += 1;
        }
        points.push_back((now, cost as u32));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_81st_write_of_a_minute_waits_until_the_first_leaves_the_window() {
        let mut l = Limits::default();
        for _ in 0..80 {
            l.admit("a", true).unwrap();
        }
        assert_eq!(l.admit("a", true), Err(60));
        assert!(l.admit("b", true).is_ok(), "limits are per actor");
        l.offset += Duration::from_secs(59);
        assert_eq!(l.admit("a", true), Err(1));
        l.offset += Duration::from_secs(1);
        assert!(l.admit("a", true).is_ok());
        assert_eq!(l.content_creating, 82);
    }

    #[test]
    fn reads_cost_a_point_and_writes_five() {
        let mut l = Limits::default();
        for _ in 0..895 {
            l.admit("a", false).unwrap();
        }
        assert!(l.admit("a", true).is_ok());
        assert!(l.admit("a", false).is_err());
    }

    #[test]
    fn five_hundred_writes_an_hour() {
        let mut l = Limits::default();
        for i in 0..500 {
            if i % 80 == 0 {
                l.offset += MINUTE;
            }
            l.admit("a", true).unwrap();
        }
        l.offset += MINUTE;
        assert!(l.admit("a", true).is_err());
    }
}
