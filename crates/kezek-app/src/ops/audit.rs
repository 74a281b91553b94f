//! The auditor's reads: pages of the journal and its signed head (from the store, on a
//! blocking thread).

use crate::access::{Auditor, Auth};
use crate::app::App;
use crate::error::AppError;
use crate::views::{HeadView, JournalEvent, JournalPage};
use kezek_core::model::Seq;

/// Up to `limit` (1 to 1000) records after `after`.
///
/// # Errors
/// A limit out of range, or the store failed.
pub async fn journal(
    app: &App,
    _: &Auth<Auditor>,
    after: u64,
    limit: Option<usize>,
) -> Result<JournalPage, AppError> {
    let limit = super::page_bounds(after, limit)?;
    let records = app.store(move |s| s.read(Seq::new(after), limit)).await?;
    Ok(JournalPage {
        next_after: records.last().map(|r| r.seq.get()),
        events: records.iter().map(JournalEvent::from).collect(),
    })
}

/// The journal's head, signed by the authority.
///
/// # Errors
/// The store failed.
pub async fn head(app: &App, _: &Auth<Auditor>) -> Result<HeadView, AppError> {
    app.signed_head().await
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
