//! Retrying one call: the policy (pure), the verdict a backend gives on a failed attempt, and
//! [`Retry`], the wrapper that runs the attempts.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};

/// The bounds and waits of retrying one call.
///
/// Defaults: 4 attempts, 120 s in total, a backoff from 1 s doubling up to 16 s without
/// jitter, a single wait never longer than 60 s. Each backend documents its own defaults
/// (`wo_github::client::DEFAULT_RETRY`, `wo_azure::arm::DEFAULT_RETRY`).
///
/// # Contract
/// A wait the policy refuses (longer than [`max_wait`](Self::max_wait), or past
/// [`max_elapsed`](Self::max_elapsed)) is not waited: the call ends at once with its last error
/// and the reason ([`GiveUp`]), instead of a process that sleeps for an hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts of one call, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Most time from the first attempt to the start of the last one.
    pub max_elapsed: Duration,
    /// The first backoff when the server names no wait; doubles per attempt.
    pub base_delay: Duration,
    /// The largest backoff (before jitter).
    pub max_delay: Duration,
    /// The longest single wait, a server's `Retry-After` or rate-limit reset included.
    pub max_wait: Duration,
    /// Up to this many percent of a backoff are added to it, so that clients that failed
    /// together do not retry together (0: none). A server's wait is never jittered.
    pub jitter_percent: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl RetryPolicy {
    /// The defaults, as a constant: 4 attempts, 120 s in total, a backoff from 1 s doubling
    /// up to 16 s without jitter, a single wait never longer than 60 s.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        max_elapsed: Duration::from_secs(120),
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(16),
        max_wait: Duration::from_secs(60),
        jitter_percent: 0,
    };

    /// A policy that never retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before attempt `attempt + 1`, after attempt `attempt` (1-based) failed
    /// `elapsed` after the first one started; `server_wait` is the wait the server (or the
    /// backend's rules, such as GitHub's rate-limit reset) asked for, `None` for a backoff.
    /// `Err`: no further attempt, and why.
    ///
    /// Pure. The jitter of a backoff comes from the sub-microsecond digits of `elapsed`, which
    /// differ from one caller to the next; no random numbers are drawn.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wo_http::{GiveUp, RetryPolicy};
    ///
    /// let p = RetryPolicy::default(); // 4 attempts, 1 s doubling, 60 s longest wait
    /// let s = Duration::from_secs;
    /// assert_eq!(p.decide(1, s(0), None), Ok(s(1)));
    /// assert_eq!(p.decide(3, s(3), None), Ok(s(4)));
    /// assert_eq!(p.decide(1, s(0), Some(s(30))), Ok(s(30)), "the server's wait");
    /// assert!(matches!(p.decide(4, s(7), None), Err(GiveUp::Attempts { .. })));
    /// assert!(matches!(p.decide(1, s(0), Some(s(3600))), Err(GiveUp::TooLong { .. })));
    /// ```
    pub fn decide(
        &self,
        attempt: u32,
        elapsed: Duration,
        server_wait: Option<Duration>,
    ) -> Result<Duration, GiveUp> {
        if attempt >= self.max_attempts {
            return Err(GiveUp::Attempts {
                max_attempts: self.max_attempts,
            });
        }
        let wait = server_wait.unwrap_or_else(|| self.backoff(attempt, elapsed));
        if wait > self.max_wait {
            return Err(GiveUp::TooLong {
                wait,
                max_wait: self.max_wait,
            });
        }
        if elapsed.saturating_add(wait) > self.max_elapsed {
            return Err(GiveUp::OutOfTime {
                wait,
                max_elapsed: self.max_elapsed,
            });
        }
        Ok(wait)
    }

    /// The backoff after attempt `attempt` failed: `base_delay · 2^(attempt-1)`, at most
    /// `max_delay`, plus the jitter.
    fn backoff(&self, attempt: u32, elapsed: Duration) -> Duration {
        let doubled = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = doubled.min(self.max_delay);
        let roll = f64::from(elapsed.subsec_nanos() % 1000) / 1000.0;
        let jitter = capped.mul_f64(f64::from(self.jitter_percent.min(100)) / 100.0 * roll);
        capped + jitter
    }
}

/// Why a retryable failure was not tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GiveUp {
    /// Every attempt the policy allows was made.
    Attempts {
        /// [`RetryPolicy::max_attempts`].
        max_attempts: u32,
    },
    /// The wait asked for is longer than the policy allows.
    TooLong {
        /// The wait.
        wait: Duration,
        /// [`RetryPolicy::max_wait`].
        max_wait: Duration,
    },
    /// The wait would end past the time the policy allows for the whole call.
    OutOfTime {
        /// The wait.
        wait: Duration,
        /// [`RetryPolicy::max_elapsed`].
        max_elapsed: Duration,
    },
}

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |d: &Duration| format!("{:.1} s", d.as_secs_f64());
        match self {
            GiveUp::Attempts { max_attempts } => {
                write!(f, "{max_attempts} attempt(s) allowed")
            }
            GiveUp::TooLong { wait, max_wait } => write!(
                f,
                "the wait of {} is longer than the {} allowed",
                s(wait),
                s(max_wait)
            ),
            GiveUp::OutOfTime { wait, max_elapsed } => write!(
                f,
                "waiting {} more would pass the {} allowed for the call",
                s(wait),
                s(max_elapsed)
            ),
        }
    }
}

/// What a backend makes of one failed attempt: its classification of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Final: another attempt cannot help, or could do harm (a write that may have taken
    /// effect).
    Fail,
    /// Another attempt may succeed, after the policy's backoff.
    Retry,
    /// Another attempt may succeed after this wait (a `Retry-After`, a rate-limit reset).
    RetryAfter(Duration),
}

/// A call that did not succeed: its last error and how far the retries went.
#[derive(Debug)]
pub struct Failed<E> {
    /// The error of the last attempt.
    pub error: E,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// Time from the start of the first attempt to the end of the last.
    pub elapsed: Duration,
    /// `None`: the backend called the error final ([`Verdict::Fail`]). `Some`: it was worth
    /// another attempt, but the policy allowed none.
    pub gave_up: Option<GiveUp>,
}

/// Runs the attempts of one call under a [`RetryPolicy`]: the one retry loop of every backend.
///
/// Cheap to clone. Each failed attempt goes to the backend's classification ([`Verdict`]),
/// then to [`RetryPolicy::decide`], and the wait is slept on the [`Clock`]. The future of a
/// call is `Send` when the attempts' futures are, so it serves `async_trait` ports.
///
/// # Contract
/// - an attempt that succeeds ends the call with its value;
/// - a [`Verdict::Fail`] ends the call at once with that error (`gave_up: None`);
/// - otherwise the policy's wait is slept and the next attempt made, until the policy gives
///   up: then the call ends with the last error and the reason, without sleeping.
#[derive(Debug, Clone)]
pub struct Retry {
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
}

impl Retry {
    /// `policy` on the [`SystemClock`].
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same, reading the time and sleeping on `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Runs `attempt` until it succeeds, `classify` calls its error final, or the policy gives
    /// up (see the contract above).
    ///
    /// # Errors
    /// [`Failed`] with the last attempt's error.
    pub async fn run<T, E, F, Fut, C>(
        &self,
        mut attempt: F,
        mut classify: C,
    ) -> Result<T, Failed<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        C: FnMut(&E) -> Verdict,
    {
        let started = self.clock.monotonic();
        let elapsed = || self.clock.monotonic().saturating_sub(started);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let error = match attempt().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let server_wait = match classify(&error) {
                Verdict::Fail => Err(None),
                Verdict::Retry => Ok(None),
                Verdict::RetryAfter(wait) => Ok(Some(wait)),
            };
            let wait = server_wait.and_then(|server_wait| {
                self.policy
                    .decide(attempts, elapsed(), server_wait)
                    .map_err(Some)
            });
            match wait {
                Ok(wait) => self.clock.sleep(wait).await,
                Err(gave_up) => {
                    return Err(Failed {
                        error,
                        attempts,
                        elapsed: elapsed(),
                        gave_up,
                    })
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            max_attempts: 10,
            max_elapsed: s(1000),
            ..RetryPolicy::default()
        };
        let waits: Vec<_> = (1..=7)
            .map(|a| p.decide(a, Duration::ZERO, None).unwrap())
            .collect();
        assert_eq!(waits, [s(1), s(2), s(4), s(8), s(16), s(16), s(16)]);
        assert_eq!(
            p.decide(9, Duration::ZERO, None),
            Ok(s(16)),
            "no overflow far out"
        );
    }

    #[test]
    fn jitter_adds_at_most_its_share_and_only_to_a_backoff() {
        let p = RetryPolicy {
            base_delay: ms(500),
            jitter_percent: 25,
            ..RetryPolicy::default()
        };
        assert_eq!(p.decide(1, Duration::ZERO, None), Ok(ms(500)));
        for nanos in [1, 250, 999, 123_456_789] {
            let d = p.decide(1, Duration::from_nanos(nanos), None).unwrap();
            assert!(d >= ms(500) && d < ms(625), "{nanos}: {d:?}");
        }
        assert_eq!(
            p.decide(1, Duration::from_nanos(999), Some(s(3))),
            Ok(s(3)),
            "a server's wait is kept exact"
        );
        let half = p.decide(1, Duration::from_nanos(500), None).unwrap();
        assert_eq!(half, ms(500) + ms(500).mul_f64(0.125));
    }

    #[test]
    fn attempts_total_time_and_the_longest_wait_are_bounded() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(4, Duration::ZERO, None),
            Err(GiveUp::Attempts { max_attempts: 4 })
        );
        assert_eq!(
            p.decide(1, s(119), Some(s(2))),
            Err(GiveUp::OutOfTime {
                wait: s(2),
                max_elapsed: s(120)
            })
        );
        assert_eq!(p.decide(1, s(118), Some(s(2))), Ok(s(2)), "exactly fits");
        assert_eq!(
            p.decide(1, Duration::ZERO, Some(s(61))),
            Err(GiveUp::TooLong {
                wait: s(61),
                max_wait: s(60)
            }),
            "a wait over max_wait gives up at once"
        );
        assert_eq!(p.decide(1, Duration::ZERO, Some(s(60))), Ok(s(60)));
        assert_eq!(
            RetryPolicy::never().decide(1, Duration::ZERO, None),
            Err(GiveUp::Attempts { max_attempts: 1 })
        );
        let shown = GiveUp::TooLong {
            wait: s(3600),
            max_wait: s(60),
        }
        .to_string();
        assert!(
            shown.contains("3600.0 s") && shown.contains("60.0 s"),
            "{shown}"
        );
    }

    /// A scripted call: each attempt takes the next answer.
    fn script(
        answers: Vec<Result<&'static str, Verdict>>,
    ) -> std::sync::Mutex<Vec<Result<&'static str, Verdict>>> {
        let mut a = answers;
        a.reverse();
        std::sync::Mutex::new(a)
    }

    async fn run(
        retry: &Retry,
        answers: Vec<Result<&'static str, Verdict>>,
    ) -> (Result<&'static str, Failed<Verdict>>, usize) {
        let answers = script(answers);
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let out = retry
            .run(
                || {
                    calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let next = answers.lock().unwrap().pop().unwrap_or(Err(Verdict::Fail));
                    std::future::ready(next)
                },
                |v: &Verdict| *v,
            )
            .await;
        (out, calls.into_inner())
    }

    #[tokio::test]
    async fn the_wrapper_sleeps_what_the_policy_decides_on_its_clock() {
        let clock = Arc::new(ManualClock::new());
        let retry = Retry::new(RetryPolicy::default()).with_clock(clock.clone());
        let (out, calls) = run(
            &retry,
            vec![
                Err(Verdict::Retry),
                Err(Verdict::RetryAfter(ms(1500))),
                Ok("done"),
            ],
        )
        .await;
        assert_eq!(out.unwrap(), "done");
        assert_eq!(calls, 3);
        assert_eq!(clock.sleeps(), [s(1), ms(1500)]);
    }

    #[tokio::test]
    async fn a_final_error_ends_the_call_at_once() {
        let clock = Arc::new(ManualClock::new());
        let retry = Retry::new(RetryPolicy::default()).with_clock(clock.clone());
        let (out, calls) = run(&retry, vec![Err(Verdict::Retry), Err(Verdict::Fail)]).await;
        let failed = out.unwrap_err();
        assert_eq!(failed.error, Verdict::Fail);
        assert_eq!(failed.attempts, 2);
        assert_eq!(failed.gave_up, None);
        assert_eq!(calls, 2);
        assert_eq!(clock.sleeps(), [s(1)]);
    }

    #[tokio::test]
    async fn the_policy_gives_up_without_sleeping_and_says_why() {
        let clock = Arc::new(ManualClock::new());
        let retry = Retry::new(RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        })
        .with_clock(clock.clone());
        let (out, calls) = run(&retry, vec![Err(Verdict::Retry); 5]).await;
        let failed = out.unwrap_err();
        assert_eq!(calls, 3);
        assert_eq!(failed.attempts, 3);
        assert_eq!(failed.gave_up, Some(GiveUp::Attempts { max_attempts: 3 }));
        assert_eq!(clock.sleeps(), [s(1), s(2)]);
        assert_eq!(failed.elapsed, s(3), "measured on the clock");

        let clock = Arc::new(ManualClock::new());
        let retry = Retry::new(RetryPolicy::default()).with_clock(clock.clone());
        let (out, calls) = run(&retry, vec![Err(Verdict::RetryAfter(s(3600)))]).await;
        let failed = out.unwrap_err();
        assert_eq!(calls, 1);
        assert!(matches!(failed.gave_up, Some(GiveUp::TooLong { .. })));
        assert!(clock.sleeps().is_empty(), "an hour is not waited");
    }

    #[tokio::test]
    async fn total_time_counts_the_time_attempts_take() {
        let clock = Arc::new(ManualClock::new());
        let retry = Retry::new(RetryPolicy {
            max_attempts: 10,
            max_elapsed: s(10),
            ..RetryPolicy::default()
        })
        .with_clock(clock.clone());
        let slow = clock.clone();
        let out = retry
            .run(
                || {
                    slow.advance(s(4)); // each attempt takes 4 s
                    std::future::ready(Err::<(), _>(()))
                },
                |_| Verdict::Retry,
            )
            .await
            .unwrap_err();
        // 4 s, wait 1 s, 4 s (9 s): waiting 2 s more would pass 10 s.
        assert_eq!(out.attempts, 2);
        assert!(matches!(out.gave_up, Some(GiveUp::OutOfTime { .. })));
        assert_eq!(clock.sleeps(), [s(1)]);
    }
}

/// A regression guard more than a test: the future of a call through [`Retry`] must be `Send`
/// when the attempt borrows its client and request (as every port method's does). backon's
/// `Retry` future, held across an await this way, is not provably `Send` (rustc's higher-ranked
/// limitation, rust-lang/rust#110338), which is why the loop is written out here.
#[cfg(test)]
mod send_tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    struct Client {
        retry: Retry,
    }

    impl Client {
        async fn attempt(&self, what: &str) -> Result<usize, String> {
            Err(what.to_string())
        }

        async fn call(&self, what: &str) -> Result<usize, Failed<String>> {
            let owned = format!("GET {what}");
            self.retry
                .run(|| self.attempt(&owned), |_: &String| Verdict::Fail)
                .await
        }
    }

    #[test]
    fn the_future_of_a_call_is_send() {
        let c = Client {
            retry: Retry::new(RetryPolicy::never()),
        };
        let f = c.call("x");
        assert_send(&f);
    }
}
