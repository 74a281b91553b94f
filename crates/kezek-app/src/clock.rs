//! Where the time comes from: the system clock in production, a clock the test moves in tests.
//! The core never reads a clock; the application passes it the time.

use jiff::Timestamp;
use std::sync::atomic::{AtomicI64, Ordering};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
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
