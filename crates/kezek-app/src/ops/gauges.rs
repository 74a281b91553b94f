//! The figures `/metrics` shows of the service itself: children queued by district and tier,
//! rounds run, overdue claims, how far the state and the journal are, and what families have
//! not been told yet. Read from the state as it is (a scrape is not an answer to anyone) and
//! from the store.

use crate::App;
use kezek_store::OutboxCounts;

/// The state's figures at one look.
#[derive(Debug, Clone, Default)]
pub struct StateGauges {
    /// Children queued, by district id and tier name.
    pub queued: Vec<(String, String, usize)>,
    /// Rounds run.
    pub rounds: usize,
    /// The last seq the state holds.
    pub applied_seq: u64,
    /// Pending priority claims past their due date, by district id.
    pub overdue_claims: Vec<(String, usize)>,
}

impl App {
    /// The state's figures now, or `None` when the service is poisoned (its state is not to
    /// be trusted).
    #[must_use]
    pub fn state_gauges(&self) -> Option<StateGauges> {
        let now = self.now();
        self.peek(|s| StateGauges {
            queued: s
                .queued_counts()
                .into_iter()
                .map(|((d, t), n)| {
                    let district = s.district(d).map(|x| x.id.to_string()).unwrap_or_default();
                    (district, crate::views::tier_name(s, t).to_owned(), n)
                })
                .collect(),
            rounds: s.rounds().len(),
            applied_seq: s.last_seq().get(),
            overdue_claims: super::worklists::overdue_claims(s, now),
        })
        .ok()
    }

    /// The outbox's figures: notifications pending, delivered and failing, and when the
    /// oldest pending one was written.
    ///
    /// # Errors
    /// The store failed.
    pub async fn outbox_gauges(&self) -> Result<OutboxCounts, crate::AppError> {
        self.store(|s| s.outbox_counts()).await
    }
}
