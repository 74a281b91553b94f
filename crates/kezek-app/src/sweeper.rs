//! The lapse sweep in the background: a referral whose deadline passes lapses at once, not
//! when somebody next reads it. The sweeper sleeps until the earliest deadline (at most a
//! while, so a deadline added meanwhile is not missed for long) and sweeps.

use crate::app::App;
use std::sync::Arc;
use std::time::Duration;

/// The longest the sweeper sleeps.
const AT_MOST: Duration = Duration::from_secs(30);

impl App {
    /// How long until the earliest deadline (capped), by the application's clock.
    fn until_next_deadline(&self) -> Duration {
        let now = self.now();
        let next = self
            .peek(|s| match (s.next_deadline(), s.next_reminder()) {
                (Some(d), Some(r)) => Some(d.min(r)),
                (d, r) => d.or(r),
            })
            .ok()
            .flatten();
        next.map_or(AT_MOST, |d| {
            let secs = (d.as_millisecond() - now.as_millisecond()).max(0);
            Duration::from_millis(u64::try_from(secs).unwrap_or(0)).min(AT_MOST)
        })
    }

    /// Wakes the sweeper now, to look at the deadlines again (a clock that jumped).
    pub fn wake_sweeper(&self) {
        self.wake.notify_one();
    }

    /// Sweeps whenever a deadline passes, until the task is dropped.
    pub async fn run_sweeper(self: Arc<Self>) {
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.until_next_deadline()) => {}
                () = self.wake.notified() => {}
            }
            if let Err(e) = self.sweep().await {
                tracing::warn!(error = %e, "the lapse sweep failed");
            }
        }
    }
}
