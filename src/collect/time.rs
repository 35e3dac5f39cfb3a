//! Time as the collector sees it: a clock for request records and rate-limit resets, and
//! a way to wait. Both are injected so tests run rate-limit waits and backoffs in virtual
//! time instead of waiting for real.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use crate::model::Timestamp;

/// A future the collector can hold across tasks.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where "now" comes from. The collector's records carry real times (they are evidence
/// of when each call was made); tests fix them.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// How the collector waits (backoff, rate-limit resets).
pub trait Sleeper: Send + Sync {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        // Without chrono's `clock` feature: the system time is all the collector needs.
        chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
    }
}

/// Real waiting on the tokio timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Virtual time for tests and simulations: sleeping advances the clock at once, so an
/// hour's rate-limit wait takes no real time but is still visible in the records.
#[derive(Debug)]
pub struct VirtualTime {
    now: Mutex<Timestamp>,
    slept: Mutex<Duration>,
}

impl VirtualTime {
    pub fn new(start: Timestamp) -> VirtualTime {
        VirtualTime {
            now: Mutex::new(start),
            slept: Mutex::new(Duration::ZERO),
        }
    }

    /// Total virtual time spent sleeping.
    pub fn slept(&self) -> Duration {
        *self.slept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the clock forward without anyone sleeping.
    pub fn advance(&self, duration: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX);
    }
}

impl Clock for VirtualTime {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Sleeper for VirtualTime {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.advance(duration);
        *self.slept.lock().unwrap_or_else(|e| e.into_inner()) += duration;
        // Still yield, so that other tasks run as they would during a real wait.
        Box::pin(tokio::task::yield_now())
    }
}

/// `until - now` as a std duration (zero when `until` is past).
pub fn until(now: Timestamp, until: Timestamp) -> Duration {
    (until - now).to_std().unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn virtual_sleep_advances_the_clock_without_waiting() {
        let t0: Timestamp = "2026-10-05T09:00:00Z".parse().unwrap();
        let time = VirtualTime::new(t0);
        let real = std::time::Instant::now();
        time.sleep(Duration::from_secs(3600)).await;
        assert!(real.elapsed() < Duration::from_secs(1));
        assert_eq!(time.now(), t0 + chrono::Duration::hours(1));
        assert_eq!(time.slept(), Duration::from_secs(3600));
        assert_eq!(until(time.now(), t0), Duration::ZERO);
    }
}
