//! What the operator does at the server's command line and the journal records: accepting a
//! journal that does not reach its head mark (`--force-rewind`), and the policy in force
//! (journaled at a journal's first start, then adopted explicitly).

use crate::access::Caller;
use crate::app::write::Written;
use crate::{App, AppError};
use kezek_core::command::policy::AdoptPolicy;
use kezek_core::{Event, Policy};
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

impl App {
    /// Journals the policy in force if the journal has none yet (its first start, or the
    /// first start of a journal of an earlier Kezek): from then on a replay runs it whatever
    /// file is passed. Returns whether it wrote.
    ///
    /// # Errors
    /// The journal cannot be written.
    pub async fn journal_policy(self: &Arc<Self>) -> Result<bool, AppError> {
        let text = self.peek(|s| {
            s.policy_sha256()
                .is_none()
                .then(|| s.policy().source().to_owned())
        })?;
        let Some(text) = text else {
            return Ok(false);
        };
        self.adopt(text).await.map(|_| true)
    }

    /// Puts `policy` in force from now on (`kezek policy adopt`): journaled with its text and
    /// SHA-256; refused if it would reorder the children already queued.
    ///
    /// # Errors
    /// The policy is in force already, cannot take over, or the journal cannot be written.
    pub async fn adopt_policy(self: &Arc<Self>, policy: &Policy) -> Result<u64, AppError> {
        self.adopt(policy.source().to_owned()).await
    }

    async fn adopt(self: &Arc<Self>, text: String) -> Result<u64, AppError> {
        let sha256 = crate::policy_digest(&text);
        let written = self
            .write(
                &Caller::operator(),
                None,
                move |_, at| Ok(AdoptPolicy { text, sha256, at }.into()),
                |state, _, _| Written::json(200, &state.last_seq().get()),
            )
            .await?;
        Ok(serde_json::from_slice(&written.body).unwrap_or(0))
    }
}

impl App {
    /// Whether the journal holds nothing yet (`serve --demo` loads the sample city then).
    ///
    /// # Errors
    /// The service is poisoned.
    pub fn holds_nothing(&self) -> Result<bool, AppError> {
        self.peek(kezek_core::State::holds_nothing)
    }

    /// The districts' ids, and the first kindergarten's: the scopes of the keys `serve
    /// --demo` makes.
    ///
    /// # Errors
    /// The service is poisoned.
    pub fn demo_scopes(&self) -> Result<(Vec<String>, Option<String>), AppError> {
        self.peek(|s| {
            let districts = s.districts().map(|(_, d)| d.id.to_string()).collect();
            let first = s.kindergartens().next().map(|(_, k)| k.id.to_string());
            (districts, first)
        })
    }

    /// How many children are queued now (what `kezek import` reports).
    ///
    /// # Errors
    /// The service is poisoned.
    pub fn queued(&self) -> Result<usize, AppError> {
        self.peek(kezek_core::State::queued)
    }
}
