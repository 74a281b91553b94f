//! What the operator does at the server's command line and the journal records: accepting a
//! journal that does not reach its head mark (`--force-rewind`).

use crate::access::Caller;
use crate::write::Written;
use crate::{App, AppError};
use kezek_core::Event;
use kezek_store::sqlite::Rewind;
use std::sync::Arc;

impl App {
    /// Journals that the operator accepted `rewind`: the auditor sees, at this seq, which head
    /// was lost and why. Must be the first write after the journal was opened.
    ///
    /// # Errors
    /// The journal cannot be written.
    pub async fn record_rewind(self: &Arc<Self>, rewind: &Rewind) -> Result<(), AppError> {
        let event = |at| Event::JournalRewound {
            mark_seq: rewind.mark.map_or(0, |m| m.seq.get()),
            mark_hash: rewind.mark.map(|m| hex::encode(m.hash)).unwrap_or_default(),
            journal_seq: rewind.journal.seq.get(),
            journal_hash: hex::encode(rewind.journal.hash),
            problem: rewind.problem.clone(),
            at,
        };
        tracing::warn!(problem = %rewind.problem, "the operator accepted the journal as it is (--force-rewind)");
        self.write_events(
            &Caller::operator(),
            None,
            |_, now| Ok(vec![event(now)]),
            |state, _, _| Written::json(200, &state.last_seq().get()),
        )
        .await
        .map(|_| ())
    }
}
