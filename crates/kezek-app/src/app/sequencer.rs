//! Hands batches to the journal in sequence order although they are finished out of order.
//!
//! A write takes its sequence numbers under the state lock, then signs its documents after
//! releasing it, so two writes can finish signing in either order. The journal wants them
//! in order (each record is chained to the one before): a batch whose turn has not come is
//! parked here, and whoever hands over the batch that fills the gap submits the parked ones
//! after it and passes them their tickets.

use kezek_core::model::Seq;
use kezek_store::{Append, EventLog, Ticket};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use tokio::sync::oneshot;

/// The order keeper; one per journal.
pub struct Sequencer {
    inner: Mutex<Inner>,
}

struct Inner {
    /// The first seq of the next batch the journal takes.
    next: u64,
    /// Batches waiting for an earlier one, by first seq, with where to send their tickets.
    parked: BTreeMap<u64, (Append, oneshot::Sender<Ticket>)>,
}

/// A handed-over batch: submitted, or parked until its turn.
pub enum Handover {
    /// Submitted to the journal.
    Submitted(Ticket),
    /// Parked; the ticket comes when the batches before it have been handed over.
    Parked(oneshot::Receiver<Ticket>),
}

impl Handover {
    /// Waits for the batch to be submitted, then for it to be durable.
    ///
    /// # Errors
    /// The batch was not written.
    pub async fn durable(self) -> Result<(), kezek_store::StoreError> {
        let ticket = match self {
            Self::Submitted(t) => t,
            Self::Parked(rx) => rx.await.map_err(|_| kezek_store::StoreError::Failed)?,
        };
        ticket.durable().await
    }
}

impl Sequencer {
    /// A sequencer whose next batch starts after `last`.
    #[must_use]
    pub fn new(last: Seq) -> Self {
        Self {
            inner: Mutex::new(Inner {
                next: last.get() + 1,
                parked: BTreeMap::new(),
            }),
        }
    }

    /// Starts again after `last` (a follower that took over the journal there); nothing may be
    /// parked.
    pub fn reset(&self, last: Seq) {
        let mut inner = self.inner.lock();
        inner.next = last.get() + 1;
        inner.parked.clear();
    }

    /// Hands `batch` over: submits it (and every parked batch it unblocks) when its turn has
    /// come, parks it otherwise. A batch without events has no place in the order and is
    /// submitted at once.
    pub fn hand_over(&self, journal: &dyn EventLog, batch: Append) -> Handover {
        let Some(first) = batch.events.first().map(|(s, _)| s.get()) else {
            return Handover::Submitted(journal.submit(batch));
        };
        let mut guard = self.inner.lock();
        let inner = &mut *guard;
        if first != inner.next {
            let (tx, rx) = oneshot::channel();
            inner.parked.insert(first, (batch, tx));
            return Handover::Parked(rx);
        }
        inner.next += batch.events.len() as u64;
        let own = journal.submit(batch);
        while let Some(entry) = inner.parked.first_entry() {
            if *entry.key() != inner.next {
                break;
            }
            let (batch, tx) = entry.remove();
            inner.next += batch.events.len() as u64;
            // The owner may have gone (client disconnected); the batch is submitted anyway.
            let _ = tx.send(journal.submit(batch));
        }
        Handover::Submitted(own)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kezek_core::Event;
    use kezek_store::memory::MemoryStore;

    fn batch(first: u64, len: u64) -> Append {
        Append {
            events: (first..first + len)
                .map(|s| {
                    (
                        Seq::new(s),
                        Event::Withdrawn {
                            application_id: "a-1".parse().unwrap(),
                            at: "2026-01-01T00:00:00Z".parse().unwrap(),
                        },
                    )
                })
                .collect(),
            at: "2026-01-01T00:00:00Z".into(),
            actor: "test".into(),
            idempotency: None,
            documents: Vec::new(),
            files: Vec::new(),
            notifications: Vec::new(),
            copied: Vec::new(),
            keys: kezek_store::PersonKeys::default(),
            encoder: None,
            forget: kezek_store::forget::Forget::default(),
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn batches_finished_out_of_order_reach_the_journal_in_order() {
        let journal = MemoryStore::new();
        let seq = Sequencer::new(Seq::new(0));
        let third = seq.hand_over(&journal, batch(4, 1));
        let second = seq.hand_over(&journal, batch(2, 2));
        assert!(matches!(third, Handover::Parked(_)));
        assert!(matches!(second, Handover::Parked(_)));
        assert_eq!(journal.head().unwrap().seq, Seq::new(0));
        let first = seq.hand_over(&journal, batch(1, 1));
        assert!(matches!(first, Handover::Submitted(_)));
        for h in [first, second, third] {
            block_on(h.durable()).unwrap();
        }
        let seqs: Vec<u64> = journal
            .read(Seq::new(0), 10)
            .unwrap()
            .iter()
            .map(|r| r.seq.get())
            .collect();
        assert_eq!(seqs, vec![1, 2, 3, 4]);
    }

    #[test]
    fn a_batch_in_turn_is_submitted_at_once() {
        let journal = MemoryStore::new();
        let seq = Sequencer::new(Seq::new(0));
        block_on(seq.hand_over(&journal, batch(1, 2)).durable()).unwrap();
        block_on(seq.hand_over(&journal, batch(3, 1)).durable()).unwrap();
        assert_eq!(journal.head().unwrap().seq, Seq::new(3));
    }
}
