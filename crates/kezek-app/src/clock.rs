//! Where the time comes from: the system clock in production, a clock the test moves in tests.
//! The core never reads a clock; the application passes it the time.

use jiff::Timestamp;
use std::sync::atomic::{AtomicI64, Ordering};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system clock, to the second: every time Kezek records and shows (registration,
/// decisions, deadlines) is in whole seconds, as people read them. Two children registered in
/// the same second keep the order they came in (the queue breaks ties by registration order).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let now = Timestamp::now();
        Timestamp::from_second(now.as_second()).unwrap_or(now)
    }
}

/// A clock that stands still until moved (tests, demos of deadlines).
#[derive(Debug)]
pub struct ManualClock {
    /// Seconds since the Unix epoch.
    seconds: AtomicI64,
}

impl ManualClock {
    /// A clock standing at `at` (whole seconds).
    #[must_use]
    pub fn at(at: Timestamp) -> Self {
        Self {
            seconds: AtomicI64::new(at.as_second()),
        }
    }

    /// Moves the clock `seconds` forward.
    pub fn advance(&self, seconds: i64) {
        self.seconds.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_second(self.seconds.load(Ordering::SeqCst)).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_reads_whole_seconds() {
        let now = SystemClock.now();
        assert_eq!(now.subsec_nanosecond(), 0);
        assert!((Timestamp::now().as_second() - now.as_second()).abs() <= 1);
    }
}
