//! The lapse sweep in the background: a referral whose deadline passes lapses at once, not
//! when somebody next reads it. The sweeper sleeps until the earliest deadline (at most a
//! while, so a deadline added meanwhile is not missed for long) and sweeps.

use crate::access::Caller;
use crate::app::write::Written;
use crate::error::AppError;
use crate::App;
use kezek_core::command::lapse::LapseOverdue;
use std::sync::Arc;
use std::time::Duration;

/// The longest the sweeper sleeps.
const AT_MOST: Duration = Duration::from_secs(30);

impl App {
    /// Lapses every referral whose deadline has passed, as the `system` actor. Cheap when
    /// nothing is due: one look at the earliest deadline.
    ///
    /// # Errors
    /// The service unavailable.
    pub async fn sweep(self: &Arc<Self>) -> Result<(), AppError> {
        // Only the node that writes sweeps; a follower that takes over sweeps then.
        if !self.node().writes() {
            return Ok(());
        }
        let now = self.now();
        let (lapse, remind) = self.peek(|s| {
            (
                s.next_deadline().is_some_and(|d| d <= now)
                    || s.next_exchange_deadline().is_some_and(|d| d <= now),
                s.next_reminder().is_some_and(|r| r <= now),
            )
        })?;
        let system = Caller::system();
        if lapse {
            self.write(
                &system,
                None,
                |_, at| Ok(LapseOverdue { at }.into()),
                |_, _, _| Written::json(200, &serde_json::Value::Null),
            )
            .await?;
        }
        if remind {
            self.write(
                &system,
                None,
                |_, at| Ok(kezek_core::command::remind::RemindDue { at }.into()),
                |_, _, _| Written::json(200, &serde_json::Value::Null),
            )
            .await?;
        }
        self.sweep_cases().await?;
        self.sweep_retention().await?;
        Ok(())
    }

    /// How long until the earliest deadline (capped), by the application's clock.
    fn until_next_deadline(&self) -> Duration {
        let now = self.now();
        let next = self
            .peek(|s| {
                [
                    s.next_deadline(),
                    s.next_reminder(),
                    s.next_exchange_deadline(),
                ]
                .into_iter()
                .flatten()
                .min()
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
