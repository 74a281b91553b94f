//! What auditors do: read the journal a page at a time and its signed head (from the store,
//! on a blocking thread), and run the audit of the whole installation while the service
//! serves (`kezek verify`'s checks, `crate::audit`).

use crate::access::{Auditor, Auth};
use crate::app::{AuditCounts, Audited};
use crate::error::AppError;
use crate::views::{HeadView, JournalEvent, JournalPage};
use crate::App;
use kezek_core::model::Seq;
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl App {
    /// Up to `limit` (1 to 1000) records after `after`, for an auditor.
    ///
    /// # Errors
    /// A limit out of range, or the store failed.
    pub async fn journal(
        &self,
        _: &Auth<Auditor>,
        after: u64,
        limit: Option<usize>,
    ) -> Result<JournalPage, AppError> {
        let limit = super::page_bounds(after, limit)?;
        let records = self.store(move |s| s.read(Seq::new(after), limit)).await?;
        Ok(JournalPage {
            next_after: records.last().map(|r| r.seq.get()),
            events: records.iter().map(JournalEvent::from).collect(),
        })
    }

    /// The journal's head, signed by the authority, for an auditor.
    ///
    /// # Errors
    /// The store failed.
    pub async fn head(&self, _: &Auth<Auditor>) -> Result<HeadView, AppError> {
        self.signed_head().await
    }
}

impl App {
    /// The journal's durable head, signed by the authority (for auditors, and the witness
    /// file of `kezek serve --witness`).
    ///
    /// # Errors
    /// The store failed.
    pub async fn signed_head(&self) -> Result<HeadView, AppError> {
        let head = self.store(|s| s.head()).await?;
        Ok(HeadView::signed(head, self.authority()))
    }
}

impl App {
    /// Runs `kezek verify`'s audit over the store while the service serves — the hash chain,
    /// a replay of every event, every round decided again, every document, key and stored
    /// answer — on a blocking thread, and keeps its result for [`Self::last_audit`]. One at a
    /// time: while one runs, asking again starts nothing (`None`).
    pub async fn audit_now(self: &Arc<Self>, _: &Auth<Auditor>) -> Option<Audited> {
        if self.audits.running.swap(true, Ordering::AcqRel) {
            return None;
        }
        let app = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || {
            let policy = app.state.read().policy().clone();
            let authority = app.authority.clone();
            crate::audit::installation(app.store.as_ref(), policy, || Ok(authority.clone()), &[])
                .map(|r| AuditCounts {
                    events: r.events,
                    rounds: r.rounds,
                    documents: r.documents,
                    keys: r.keys,
                    answers: r.answers,
                    head_seq: r.head.seq.get(),
                    head_hash: r.head.hash,
                })
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(format!("the audit stopped: {e}")));
        let audited = Audited {
            at: self.now(),
            result,
        };
        *self.audits.last.lock() = Some(audited.clone());
        self.audits.running.store(false, Ordering::Release);
        Some(audited)
    }

    /// The last audit run from the console since the service started, if any.
    #[must_use]
    pub fn last_audit(&self, _: &Auth<Auditor>) -> Option<Audited> {
        self.audits.last.lock().clone()
    }
}
