//! Stored answers for `Idempotency-Key` retries, looked up without holding the state lock.
//!
//! An answer is either pending (its write is submitted, perhaps not yet durable: kept in
//! memory) or stored in the journal. A write looks its key up before taking the state lock,
//! where a journal read would hold up every other request, and checks again under the lock,
//! in memory only, whether a write with the same key got there first. One race is left: the
//! same key's write becoming durable and leaving the pending map between the first look and
//! the second. A counter per shard of keys, bumped before an answer leaves the map, tells
//! the second look when that may have happened; only then does it read the journal again.

use kezek_store::{AnswerStore, IdempotencyRecord, StoreError};
use parking_lot::Mutex;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// Shards of the settle counter: with 64 writes in flight, a key's shard rarely moves
/// between the two looks.
const SHARDS: usize = 1024;

/// Pending answers and the settle counters.
pub struct Answers {
    /// Each with the seq up to which the journal must be durable before it is shown.
    pending: Mutex<HashMap<(String, String), Found>>,
    settled: Box<[AtomicU64]>,
}

/// A stored answer, and the seq up to which the journal must be durable before it may be
/// sent (0 for an answer read from the journal: durable already).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The answer.
    pub record: IdempotencyRecord,
    /// Send it once the journal is durable up to this seq.
    pub durable_at: u64,
}

impl Found {
    fn stored(record: IdempotencyRecord) -> Self {
        Self {
            record,
            durable_at: 0,
        }
    }
}

/// What the first look saw of the key's shard.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    shard: usize,
    settled: u64,
}

impl Default for Answers {
    fn default() -> Self {
        Self {
            pending: Mutex::new(HashMap::new()),
            settled: (0..SHARDS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

fn shard(actor: &str, key: &str) -> usize {
    let mut h = DefaultHasher::new();
    (actor, key).hash(&mut h);
    // The remainder is below SHARDS, so it fits any usize.
    usize::try_from(h.finish() % SHARDS as u64).unwrap_or(0)
}

impl Answers {
    /// The first look, before the state lock: pending, then the journal — asked without
    /// holding the thread (a PostgreSQL round trip would otherwise stop one of the few async
    /// workers; SQLite answers at once).
    ///
    /// # Errors
    /// The journal cannot be read.
    pub async fn lookup(
        &self,
        journal: &dyn AnswerStore,
        actor: &str,
        key: &str,
    ) -> Result<(Option<Found>, Mark), StoreError> {
        let shard = shard(actor, key);
        let mark = Mark {
            shard,
            settled: self.settled_in(shard),
        };
        if let Some(r) = self.pending(actor, key) {
            return Ok((Some(r), mark));
        }
        let stored = journal.answer_later(actor, key).await?;
        Ok((stored.map(Found::stored), mark))
    }

    /// The second look, under the state lock: pending, and the journal only when an answer
    /// of the key's shard settled since the first look.
    ///
    /// # Errors
    /// The journal cannot be read.
    pub fn recheck(
        &self,
        journal: &dyn AnswerStore,
        actor: &str,
        key: &str,
        mark: Mark,
    ) -> Result<Option<Found>, StoreError> {
        if let Some(r) = self.pending(actor, key) {
            return Ok(Some(r));
        }
        if self.settled_in(mark.shard) == mark.settled {
            return Ok(None);
        }
        Ok(journal.answer(actor, key)?.map(Found::stored))
    }

    /// How many answers of `shard` settled so far.
    fn settled_in(&self, shard: usize) -> u64 {
        self.settled
            .get(shard)
            .map_or(0, |n| n.load(Ordering::SeqCst))
    }

    /// An answer whose write was just submitted, to be shown once the journal is durable up
    /// to `durable_at`.
    pub fn pend(&self, record: IdempotencyRecord, durable_at: u64) {
        self.pending.lock().insert(
            (record.actor.clone(), record.key.clone()),
            Found { record, durable_at },
        );
    }

    /// The answer's write is durable (the journal has it) or failed: it leaves the map.
    pub fn settle(&self, actor: &str, key: &str) {
        if let Some(n) = self.settled.get(shard(actor, key)) {
            n.fetch_add(1, Ordering::SeqCst);
        }
        self.pending
            .lock()
            .remove(&(actor.to_owned(), key.to_owned()));
    }

    fn pending(&self, actor: &str, key: &str) -> Option<Found> {
        self.pending
            .lock()
            .get(&(actor.to_owned(), key.to_owned()))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kezek_store::memory::MemoryStore;
    use kezek_store::{Append, EventLog};

    /// Waits for `f` (the memory store's answers are ready at once).
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn record(key: &str) -> IdempotencyRecord {
        IdempotencyRecord {
            actor: "k1".into(),
            key: key.into(),
            request_hash: [1; 32],
            status: 201,
            signature: String::new(),
            body: b"{}".to_vec(),
        }
    }

    fn store(journal: &MemoryStore, r: IdempotencyRecord) {
        journal
            .submit(Append {
                events: Vec::new(),
                at: "2026-01-01T00:00:00Z".into(),
                actor: r.actor.clone(),
                idempotency: Some(r),
                documents: Vec::new(),
                files: Vec::new(),
                notifications: Vec::new(),
                copied: Vec::new(),
                keys: kezek_store::PersonKeys::default(),
                encoder: None,
                forget: kezek_store::forget::Forget::default(),
            })
            .wait()
            .unwrap();
    }

    #[test]
    fn an_answer_settling_between_the_two_looks_is_still_found() {
        let (journal, answers) = (MemoryStore::new(), Answers::default());
        let (found, mark) = block_on(answers.lookup(&journal, "k1", "r1")).unwrap();
        assert!(found.is_none());
        // Meanwhile another request with the same key is submitted, made durable, settled.
        answers.pend(record("r1"), 3);
        store(&journal, record("r1"));
        answers.settle("k1", "r1");
        assert_eq!(
            answers.recheck(&journal, "k1", "r1", mark).unwrap(),
            Some(Found::stored(record("r1")))
        );
    }

    #[test]
    fn a_pending_answer_is_found_by_both_looks() {
        let (journal, answers) = (MemoryStore::new(), Answers::default());
        answers.pend(record("r1"), 3);
        let pending = Found {
            record: record("r1"),
            durable_at: 3,
        };
        let (found, mark) = block_on(answers.lookup(&journal, "k1", "r1")).unwrap();
        assert_eq!(found, Some(pending.clone()));
        assert_eq!(
            answers.recheck(&journal, "k1", "r1", mark).unwrap(),
            Some(pending)
        );
    }

    #[test]
    fn with_nothing_settled_the_second_look_skips_the_journal() {
        let (journal, answers) = (MemoryStore::new(), Answers::default());
        let (_, mark) = block_on(answers.lookup(&journal, "k1", "r1")).unwrap();
        // Stored behind the map's back (no settle): the second look does not read it,
        // which shows it did not touch the journal.
        store(&journal, record("r1"));
        assert_eq!(answers.recheck(&journal, "k1", "r1", mark).unwrap(), None);
        answers.settle("k1", "r1");
        assert!(answers
            .recheck(&journal, "k1", "r1", mark)
            .unwrap()
            .is_some());
    }
}
