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
    last_read: HashMap<(String, String), Instant>,
    last_second: VecDeque<Instant>,
}

impl Meter {
    /// A request arrived at `at`.
    pub(crate) fn arrived(&mut self, at: Instant, client: Option<&str>, is_get: bool, url: &str) {
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
            return;
        }
        let key = (client, url.to_string());
        if let Some(before) = self.last_read.insert(key.clone(), at) {
            let gap = at.duration_since(before);
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
        self.traffic.clone()
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
        m.arrived(ms(0), Some("a"), true, "/x?api-version=1");
        m.arrived(ms(10), Some("b"), true, "/x?api-version=1");
        m.arrived(ms(20), Some("a"), false, "/x?api-version=1");
        m.arrived(ms(300), Some("a"), true, "/x?api-version=1");
        m.arrived(ms(350), None, true, "/y");
        m.arrived(ms(1_350), Some("a"), true, "/x?api-version=1");
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
        m.reset();
        assert_eq!(m.snapshot(), Traffic::default());
    }
}
