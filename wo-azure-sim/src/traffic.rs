//! What arrived, measured: requests per client, the closest two reads of one URL by one
//! client, and the busiest second. Clients are told apart by the `x-ms-correlation-request-id`
//! they send (one per client, as the Azure CLI sends one per command); a request without one
//! counts for the client `-`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The header that names a client.
pub(crate) const CLIENT_HEADER: &str = "x-ms-correlation-request-id";

/// What [`Simulator::traffic`](crate::Simulator::traffic) reports, since the start or the last
/// [`Simulator::reset_counters`](crate::Simulator::reset_counters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Requests by client (its `x-ms-correlation-request-id`, `-` when it sent none).
    pub by_client: BTreeMap<String, u64>,
    /// The shortest time between two `GET`s of the same URL (path and query) by the same
    /// client: how fast a client polls. `None` until some client read a URL twice.
    pub closest_repeat: Option<Repeat>,
    /// The most requests that arrived within any one second.
    pub peak_per_second: u64,
    /// The writes (requests of any method but `GET`), in order of arrival, as `METHOD path`
    /// (no query): the first [`MAX_WRITES_LOGGED`] of them.
    pub writes: Vec<String>,
    /// Every URL read more than once, by client: how often and how close together (a poll
    /// reads one URL again and again; a hot loop does so without waiting).
    pub rereads: Vec<Rereads>,
}

/// The most writes [`Traffic::writes`] lists.
pub const MAX_WRITES_LOGGED: usize = 10_000;

/// The `GET`s of one URL by one client, [`Traffic::rereads`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rereads {
    /// The client.
    pub client: String,
    /// The URL read (path and query).
    pub url: String,
    /// How many times it was read.
    pub reads: u64,
    /// The shortest time between two of these reads.
    pub closest: Duration,
}

/// Two reads of one URL by one client, [`Traffic::closest_repeat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// The client.
    pub client: String,
    /// The URL read (path and query).
    pub url: String,
    /// The time between the two arrivals.
    pub gap: Duration,
}

impl Traffic {
    /// The URLs some client read at least `reads` times with two of the reads closer than
    /// `gap`: polls faster than `gap`.
    pub fn polled_faster_than(&self, reads: u64, gap: Duration) -> Vec<&Rereads> {
        self.rereads
            .iter()
            .filter(|r| r.reads >= reads && r.closest < gap)
            .collect()
    }

    /// Requests of the busiest client.
    pub fn most_by_one_client(&self) -> u64 {
        self.by_client.values().copied().max().unwrap_or(0)
    }
}

/// The running measurement (bounded: one entry per client and URL read, and the arrivals of
/// the last second).
#[derive(Debug, Default)]
pub(crate) struct Meter {
    traffic: Traffic,
    /// Per client and URL: the last read, the reads, the closest two.
    last_read: HashMap<(String, String), (Instant, u64, Option<Duration>)>,
    last_second: VecDeque<Instant>,
}

impl Meter {
    /// A request arrived at `at`.
    pub(crate) fn arrived(&mut self, at: Instant, client: Option<&str>, method: &str, url: &str) {
        let is_get = method == "GET";
        let client = client.unwrap_or("-").to_string();
        *self.traffic.by_client.entry(client.clone()).or_default() += 1;
        while self
            .last_second
            .front()
            .is_some_and(|t| at.duration_since(*t) >= Duration::from_secs(1))
        {
            self.last_second.pop_front();
        }
        self.last_second.push_back(at);
        self.traffic.peak_per_second = self
            .traffic
            .peak_per_second
            .max(self.last_second.len() as u64);
        if !is_get {
            if self.traffic.writes.len() < MAX_WRITES_LOGGED {
                let path = url.split('?').next().unwrap_or_default();
                self.traffic.writes.push(format!("{method} {path}"));
            }
            return;
        }
        let key = (client, url.to_string());
        let entry = self.last_read.entry(key.clone()).or_insert((at, 0, None));
        let before = (entry.1 > 0).then_some(entry.0);
        entry.0 = at;
        entry.1 += 1;
        if let Some(before) = before {
            let gap = at.duration_since(before);
            entry.2 = Some(entry.2.map_or(gap, |g| g.min(gap)));
            if self
                .traffic
                .closest_repeat
                .as_ref()
                .is_none_or(|r| gap < r.gap)
            {
                self.traffic.closest_repeat = Some(Repeat {
                    client: key.0,
                    url: key.1,
                    gap,
                });
            }
        }
    }

    pub(crate) fn snapshot(&self) -> Traffic {
        let mut traffic = self.traffic.clone();
        traffic.rereads = self
            .last_read
            .iter()
            .filter_map(|((client, url), (_, reads, closest))| {
                Some(Rereads {
                    client: client.clone(),
                    url: url.clone(),
                    reads: *reads,
                    closest: (*closest)?,
                })
            })
            .collect();
        traffic
            .rereads
            .sort_by(|a, b| (&a.client, &a.url).cmp(&(&b.client, &b.url)));
        traffic
    }

    pub(crate) fn reset(&mut self) {
        *self = Meter::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_clients_repeats_and_the_busiest_second() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut m = Meter::default();
        m.arrived(ms(0), Some("a"), "GET", "/x?api-version=1");
        m.arrived(ms(10), Some("b"), "GET", "/x?api-version=1");
        m.arrived(ms(20), Some("a"), "PUT", "/x?api-version=1");
        m.arrived(ms(300), Some("a"), "GET", "/x?api-version=1");
        m.arrived(ms(350), None, "GET", "/y");
        m.arrived(ms(1_350), Some("a"), "GET", "/x?api-version=1");
        let t = m.snapshot();
        assert_eq!(t.by_client["a"], 4);
        assert_eq!(t.by_client["b"], 1);
        assert_eq!(t.by_client["-"], 1);
        assert_eq!(t.most_by_one_client(), 4);
        assert_eq!(
            t.closest_repeat,
            Some(Repeat {
                client: "a".into(),
                url: "/x?api-version=1".into(),
                gap: Duration::from_millis(300),
            }),
            "a write between two reads is no read; another client's read is not a repeat"
        );
        assert_eq!(t.peak_per_second, 5, "0..=350 ms");
        assert_eq!(t.writes, ["PUT /x"]);
        assert_eq!(
            t.rereads,
            [Rereads {
                client: "a".into(),
                url: "/x?api-version=1".into(),
                reads: 3,
                closest: Duration::from_millis(300),
            }]
        );
        assert_eq!(t.polled_faster_than(3, Duration::from_millis(301)).len(), 1);
        assert!(t
            .polled_faster_than(3, Duration::from_millis(300))
            .is_empty());
        assert!(t.polled_faster_than(4, Duration::from_secs(9)).is_empty());
        m.reset();
        assert_eq!(m.snapshot(), Traffic::default());
    }
}
