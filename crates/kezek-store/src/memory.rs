//! An in-memory journal for tests: the same contract, nothing on disk.

use crate::record::{StoredEvent, GENESIS};
use crate::{ApiKeyRecord, Append, Head, IdempotencyRecord, Journal, StoreError, Ticket};
use kezek_core::types::Seq;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
struct Inner {
    events: Vec<StoredEvent>,
    idempotency: HashMap<(String, String), IdempotencyRecord>,
    documents: HashMap<String, Vec<u8>>,
    keys: Vec<ApiKeyRecord>,
}

/// A journal held in memory.
#[derive(Default)]
pub struct MemoryJournal(Mutex<Inner>);

impl MemoryJournal {
    /// An empty journal.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replaces a stored record (tests of tampering).
    pub fn tamper(&self, seq: Seq, f: impl FnOnce(&mut StoredEvent)) {
        if let Some(e) = self.lock().events.get_mut(seq.get() as usize - 1) {
            f(e);
        }
    }
}

impl Journal for MemoryJournal {
    fn submit(&self, batch: Append) -> Ticket {
        let mut inner = self.lock();
        let (mut last, mut hash) = inner
            .events
            .last()
            .map_or((Seq::default(), GENESIS), |e| (e.seq, e.hash));
        let mut new = Vec::with_capacity(batch.events.len());
        for (seq, event) in &batch.events {
            if *seq != last.next() {
                return Ticket::ready(Err(StoreError::Order(format!(
                    "got seq {seq} after {last}"
                ))));
            }
            let record = StoredEvent::new(hash, *seq, &batch.at, &batch.actor, event);
            (last, hash) = (record.seq, record.hash);
            new.push(record);
        }
        inner.events.extend(new);
        inner.documents.extend(batch.documents);
        if let Some(r) = batch.idempotency {
            inner
                .idempotency
                .insert((r.actor.clone(), r.key.clone()), r);
        }
        Ticket::ready(Ok(()))
    }

    fn read(&self, after: Seq, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let inner = self.lock();
        let start = (after.get() as usize).min(inner.events.len());
        Ok(inner.events[start..].iter().take(limit).cloned().collect())
    }

    fn head(&self) -> Result<Head, StoreError> {
        let inner = self.lock();
        Ok(inner.events.last().map_or(
            Head {
                seq: Seq::default(),
                hash: GENESIS,
            },
            |e| Head {
                seq: e.seq,
                hash: e.hash,
            },
        ))
    }

    fn idempotency(&self, actor: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        Ok(self
            .lock()
            .idempotency
            .get(&(actor.to_owned(), key.to_owned()))
            .cloned())
    }

    fn document(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().documents.get(id).cloned())
    }

    fn documents(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let inner = self.lock();
        let mut ids: Vec<&String> = inner
            .documents
            .keys()
            .filter(|k| k.as_str() > after)
            .collect();
        ids.sort();
        Ok(ids
            .into_iter()
            .take(limit)
            .map(|k| (k.clone(), inner.documents[k].clone()))
            .collect())
    }

    fn put_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner
            .keys
            .iter()
            .any(|k| k.key_id == key.key_id || k.token_hash == key.token_hash)
        {
            return Err(StoreError::Storage(format!(
                "key {} already stored",
                key.key_id
            )));
        }
        inner.keys.push(key.clone());
        Ok(())
    }

    fn answers(&self) -> Result<Vec<IdempotencyRecord>, StoreError> {
        let mut v: Vec<IdempotencyRecord> = self.lock().idempotency.values().cloned().collect();
        v.sort_by(|a, b| (&a.actor, &a.key).cmp(&(&b.actor, &b.key)));
        Ok(v)
    }

    fn keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        Ok(self.lock().keys.clone())
    }
}
