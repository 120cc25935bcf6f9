//! Where the retry loop and the backends' polling read the time and wait.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

/// A wait in progress ([`Clock::sleep`]).
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The time as a retry loop sees it.
///
/// # Contract
/// - [`now`](Clock::now) is the wall-clock time: HTTP dates in `Retry-After` and rate-limit
///   resets are measured against it;
/// - [`monotonic`](Clock::monotonic) never goes back; the difference of two readings is the
///   time that passed between them (the elapsed time of a call, of a long-running operation);
/// - [`sleep`](Clock::sleep)`(d)` completes once `monotonic` has advanced by at least `d`.
///
/// [`SystemClock`] is the real one. [`ManualClock`] moves only when it is told to or asked to
/// sleep, so tests can check every wait a client decides on without waiting for any.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The wall-clock time.
    fn now(&self) -> SystemTime;
    /// The time since an origin of the clock's choosing.
    fn monotonic(&self) -> Duration;
    /// Waits `wait`.
    fn sleep(&self, wait: Duration) -> Sleep;
}

/// The system's clocks and tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn monotonic(&self) -> Duration {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }

    fn sleep(&self, wait: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock for tests: it stands still until [`advance`](ManualClock::advance)d, and a
/// [`sleep`](Clock::sleep) records the wait, moves the clock by it and completes at once.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use wo_http::{Clock, ManualClock};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
/// clock.sleep(Duration::from_secs(3)).await; // returns at once
/// assert_eq!(clock.sleeps(), [Duration::from_secs(3)]);
/// assert_eq!(clock.monotonic(), Duration::from_secs(3));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_700_000_003));
/// # }
/// ```
#[derive(Debug)]
pub struct ManualClock {
    start: SystemTime,
    state: Mutex<Moves>,
}

#[derive(Debug, Default)]
struct Moves {
    elapsed: Duration,
    sleeps: Vec<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    /// A clock whose wall time starts at the system's current time.
    pub fn new() -> Self {
        Self::starting_at(SystemTime::now())
    }

    /// A clock whose wall time starts at `start`.
    pub fn starting_at(start: SystemTime) -> Self {
        Self {
            start,
            state: Mutex::new(Moves::default()),
        }
    }

    /// Moves the clock forward by `by` (not recorded as a sleep).
    pub fn advance(&self, by: Duration) {
        self.moves(|m| m.elapsed += by);
    }

    /// Every wait slept so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.moves(|m| m.sleeps.clone())
    }

    fn moves<T>(&self, f: impl FnOnce(&mut Moves) -> T) -> T {
        // A panic while holding the lock leaves plain data behind: keep using it.
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.start + self.monotonic()
    }

    fn monotonic(&self) -> Duration {
        self.moves(|m| m.elapsed)
    }

    fn sleep(&self, wait: Duration) -> Sleep {
        self.moves(|m| {
            m.elapsed += wait;
            m.sleeps.push(wait);
        });
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_system_clock_sleeps_and_moves_forward() {
        let c = SystemClock;
        let before = c.monotonic();
        c.sleep(Duration::from_millis(5)).await;
        assert!(c.monotonic() - before >= Duration::from_millis(5));
    }

    #[tokio::test]
    async fn a_manual_clock_moves_only_when_told() {
        let c = ManualClock::starting_at(SystemTime::UNIX_EPOCH);
        assert_eq!(c.monotonic(), Duration::ZERO);
        c.advance(Duration::from_secs(2));
        c.sleep(Duration::from_millis(250)).await;
        assert_eq!(c.monotonic(), Duration::from_millis(2250));
        assert_eq!(c.sleeps(), [Duration::from_millis(250)]);
        assert_eq!(
            c.now(),
            SystemTime::UNIX_EPOCH + Duration::from_millis(2250)
        );
    }
}
