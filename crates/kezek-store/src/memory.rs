//! A store held in memory, for tests: the same contract as SQLite, nothing on disk.

use crate::record::StoredEvent;
use crate::{
    AnswerStore, ApiKeyRecord, Append, Attempt, DocumentStore, EventLog, Head, IdempotencyRecord,
    KeyStore, Notification, NotificationStore, OutboxCounts, StoreError, Ticket,
};
use kezek_core::model::Seq;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

#[derive(Default)]
struct Inner {
    events: Vec<StoredEvent>,
    answers: HashMap<(String, String), IdempotencyRecord>,
    documents: BTreeMap<String, Vec<u8>>,
    files: BTreeMap<String, Vec<u8>>,
    person_keys: BTreeMap<String, Vec<u8>>,
    keys: BTreeMap<String, ApiKeyRecord>,
    /// Moves with every change of `keys`.
    keys_version: u64,
    /// The outbox, by id (from 1).
    notifications: Vec<Notification>,
    /// Since which seq the outbox holds every notification (0: from the start).
    outbox_since: u64,
    /// Whether that is not known (a copy of a store that did not record it).
    outbox_since_unknown: bool,
    /// The console's sessions by id hash.
    sessions: std::collections::HashMap<crate::Hash, crate::SessionRecord>,
    /// The sending channels' progress.
    channels: std::collections::HashMap<String, String>,
    /// Whether the service seals personal values in this journal.
    seals: bool,
    /// The hash the first record chains from, when not the usual genesis.
    genesis: Option<crate::Hash>,
}

/// A store held in memory.
#[derive(Default)]
pub struct MemoryStore(Mutex<Inner>);

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose journal the service seals (a new SQLite or PostgreSQL journal
    /// does; the in-memory one keeps the tests' journals readable unless asked).
    #[must_use]
    pub fn sealing() -> Self {
        let store = Self::default();
        store.lock().seals = true;
        store
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replaces a stored record (tests of tampering).
    pub fn tamper(&self, seq: Seq, f: impl FnOnce(&mut StoredEvent)) {
        let index = usize::try_from(seq.get())
            .ok()
            .and_then(|s| s.checked_sub(1));
        let mut inner = self.lock();
        if let Some(e) = index.and_then(|i| inner.events.get_mut(i)) {
            f(e);
        }
    }

    /// Stores the first `n` events of a batch alone (what a torn write would leave).
    pub fn append_prefix(&self, batch: &Append, n: usize) {
        let mut inner = self.lock();
        let mut head = head_of(&inner);
        for (seq, event) in batch.events.iter().take(n) {
            let record = StoredEvent::new(head.hash, *seq, &batch.at, &batch.actor, event);
            head = Head {
                seq: record.seq,
                hash: record.hash,
            };
            inner.events.push(record);
        }
    }
}

fn head_of(inner: &Inner) -> Head {
    let start = Head::start(inner.genesis.unwrap_or(crate::record::GENESIS));
    inner.events.last().map_or(start, |e| Head {
        seq: e.seq,
        hash: e.hash,
    })
}

/// Takes out what an erasure forgets. Notification ids are positions here: an erased one
/// stays in its place, emptied and delivered.
fn forget(inner: &mut Inner, f: &crate::forget::Forget) {
    if f.is_empty() {
        return;
    }
    let of = |body: &[u8]| crate::forget::application_of("", body, &[]);
    let ids: Vec<(String, String)> = inner
        .documents
        .iter()
        .filter(|(id, _)| id.strip_suffix(".p7s").is_none())
        .filter_map(|(id, body)| Some((id.clone(), of(body)?)))
        .filter(|(_, a)| f.applications.contains(a))
        .collect();
    for (id, application) in ids {
        inner.documents.remove(&format!("{id}.p7s"));
        inner.documents.insert(
            id.clone(),
            crate::forget::tombstone(&id, &application, &f.at),
        );
    }
    for id in &f.files {
        inner.files.remove(id);
    }
    for n in &mut inner.notifications {
        if f.applications.contains(&n.application_id) {
            n.body = Vec::new();
            n.delivered = true;
        }
    }
}

impl EventLog for MemoryStore {
    fn person_keys(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        Ok(page(&self.lock().person_keys, after, limit))
    }

    fn seals(&self) -> Result<bool, StoreError> {
        Ok(self.lock().seals)
    }

    fn set_seals(&self, seals: bool) -> Result<(), StoreError> {
        self.lock().seals = seals;
        Ok(())
    }

    fn genesis(&self) -> Result<crate::Hash, StoreError> {
        Ok(self.lock().genesis.unwrap_or(crate::record::GENESIS))
    }

    fn begin_after(&self, hash: crate::Hash) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if !inner.events.is_empty() {
            return Err(StoreError::Integrity(
                "the journal holds records: it cannot continue another".into(),
            ));
        }
        inner.genesis = Some(hash);
        Ok(())
    }

    fn submit(&self, batch: Append) -> Ticket {
        let mut inner = self.lock();
        let mut head = head_of(&inner);
        if let Err(e) = crate::follows(&batch, head) {
            return Ticket::ready(Err(e));
        }
        let mut new = Vec::with_capacity(batch.events.len());
        for (seq, event) in &batch.events {
            if *seq != head.seq.next() {
                return Ticket::ready(Err(StoreError::Order(format!(
                    "got seq {seq} after {}",
                    head.seq
                ))));
            }
            let payload = match crate::record::encode(&batch, *seq, event) {
                Ok(p) => p,
                Err(e) => return Ticket::ready(Err(e)),
            };
            let record = StoredEvent::encoded(
                head.hash,
                *seq,
                (&batch.at, &batch.actor),
                event.kind(),
                payload,
            );
            head = Head {
                seq: record.seq,
                hash: record.hash,
            };
            new.push(record);
        }
        new.extend(batch.copied);
        inner.events.extend(new);
        for (id, body) in batch.documents {
            inner.documents.entry(id).or_insert(body);
        }
        for (id, body) in batch.files {
            inner.files.entry(id).or_insert(body);
        }
        for (id, key) in batch.keys.made {
            inner.person_keys.entry(id).or_insert(key);
        }
        for (id, tombstone) in batch.keys.erased {
            inner.person_keys.insert(id, tombstone);
        }
        for n in batch.notifications {
            let id = inner.notifications.len() as u64 + 1;
            inner.notifications.push(Notification {
                id,
                application_id: n.application_id,
                kind: n.kind,
                body: n.body,
                attempts: 0,
                next_attempt_ms: 0,
                delivered: false,
                created_ms: now_ms(),
            });
        }
        if let Some(r) = batch.idempotency {
            inner
                .answers
                .entry((r.actor.clone(), r.key.clone()))
                .or_insert(r);
        }
        forget(&mut inner, &batch.forget);
        Ticket::ready(Ok(()))
    }

    fn read(&self, after: Seq, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let inner = self.lock();
        let start = usize::try_from(after.get())
            .unwrap_or(usize::MAX)
            .min(inner.events.len());
        Ok(inner
            .events
            .iter()
            .skip(start)
            .take(limit)
            .cloned()
            .collect())
    }

    fn head(&self) -> Result<Head, StoreError> {
        Ok(head_of(&self.lock()))
    }
}

impl AnswerStore for MemoryStore {
    fn answer(&self, actor: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        Ok(self
            .lock()
            .answers
            .get(&(actor.to_owned(), key.to_owned()))
            .cloned())
    }

    fn answers(&self) -> Result<Vec<IdempotencyRecord>, StoreError> {
        let mut v: Vec<IdempotencyRecord> = self.lock().answers.values().cloned().collect();
        v.sort_by(|a, b| (&a.actor, &a.key).cmp(&(&b.actor, &b.key)));
        Ok(v)
    }
}

impl DocumentStore for MemoryStore {
    fn document(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().documents.get(id).cloned())
    }

    fn documents(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        use std::ops::Bound::{Excluded, Unbounded};
        let inner = self.lock();
        Ok(inner
            .documents
            .range::<str, _>((Excluded(after), Unbounded))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn file(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().files.get(id).cloned())
    }

    fn files(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        Ok(page(&self.lock().files, after, limit))
    }
}

/// Up to `limit` entries of `map` with keys after `after`.
fn page(map: &BTreeMap<String, Vec<u8>>, after: &str, limit: usize) -> Vec<(String, Vec<u8>)> {
    use std::ops::Bound::{Excluded, Unbounded};
    map.range::<str, _>((Excluded(after), Unbounded))
        .take(limit)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl KeyStore for MemoryStore {
    fn put_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let taken = inner.keys.contains_key(&key.key_id)
            || inner.keys.values().any(|k| k.token_hash == key.token_hash);
        if taken {
            return Err(StoreError::Duplicate(format!("key {}", key.key_id)));
        }
        inner.keys.insert(key.key_id.clone(), key.clone());
        inner.keys_version += 1;
        Ok(())
    }

    fn keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        Ok(self.lock().keys.values().cloned().collect())
    }

    fn update_key(&self, key: &ApiKeyRecord) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let Some(stored) = inner.keys.get_mut(&key.key_id) else {
            return Ok(false);
        };
        *stored = key.clone();
        inner.keys_version += 1;
        Ok(true)
    }

    fn keys_version(&self) -> Result<u64, StoreError> {
        Ok(self.lock().keys_version)
    }
}

impl NotificationStore for MemoryStore {
    fn outbox_since(&self) -> Result<Option<u64>, StoreError> {
        let inner = self.lock();
        Ok((!inner.outbox_since_unknown).then_some(inner.outbox_since))
    }

    fn channel_state(&self, channel: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock().channels.get(channel).cloned())
    }

    fn set_channel_state(&self, channel: &str, state: &str) -> Result<(), StoreError> {
        self.lock()
            .channels
            .insert(channel.to_owned(), state.to_owned());
        Ok(())
    }

    fn set_outbox_since(&self, since: Option<u64>) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.outbox_since = since.unwrap_or(0);
        inner.outbox_since_unknown = since.is_none();
        Ok(())
    }

    fn notifications_of(
        &self,
        application_id: &str,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        Ok(self
            .lock()
            .notifications
            .iter()
            .filter(|n| n.application_id == application_id)
            .take(limit)
            .cloned()
            .collect())
    }

    fn notifications(&self, after: u64, limit: usize) -> Result<Vec<Notification>, StoreError> {
        let inner = self.lock();
        let start = usize::try_from(after).unwrap_or(usize::MAX);
        Ok(inner
            .notifications
            .iter()
            .skip(start)
            .take(limit)
            .cloned()
            .collect())
    }

    fn deliverable(&self, now_ms: i64, limit: usize) -> Result<Vec<Notification>, StoreError> {
        let inner = self.lock();
        let mut seen = std::collections::HashSet::new();
        Ok(inner
            .notifications
            .iter()
            .filter(|n| !n.delivered && seen.insert(n.application_id.as_str()))
            .filter(|n| n.next_attempt_ms <= now_ms)
            .take(limit)
            .cloned()
            .collect())
    }

    fn record_attempts(&self, attempts: &[Attempt]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for a in attempts {
            let id = match a {
                Attempt::Delivered { id } | Attempt::Failed { id, .. } => *id,
            };
            let Some(n) = usize::try_from(id)
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| inner.notifications.get_mut(i))
            else {
                continue;
            };
            match a {
                Attempt::Delivered { .. } => n.delivered = true,
                Attempt::Failed {
                    next_attempt_ms, ..
                } => {
                    n.attempts += 1;
                    n.next_attempt_ms = *next_attempt_ms;
                }
            }
        }
        Ok(())
    }

    fn restore(&self, notifications: &[Notification]) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for n in notifications {
            // Ids are positions here: only the next one can be stored.
            if n.id != inner.notifications.len() as u64 + 1 {
                return Err(StoreError::Duplicate(format!("notification {}", n.id)));
            }
            inner.notifications.push(n.clone());
        }
        Ok(())
    }

    fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let inner = self.lock();
        let mut c = OutboxCounts::default();
        for n in &inner.notifications {
            if n.delivered {
                c.delivered += 1;
            } else {
                c.pending += 1;
                if n.attempts > 0 {
                    c.failing += 1;
                }
                c.oldest_pending_ms.get_or_insert(n.created_ms);
            }
        }
        Ok(c)
    }
}

/// Now, in Unix milliseconds (when a notification was stored; the memory store is for tests,
/// and SQLite's does the same with its own clock).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl crate::BudgetStore for MemoryStore {}

impl crate::SessionStore for MemoryStore {
    fn put_session(&self, session: &crate::SessionRecord, now: i64) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.sessions.retain(|_, s| s.expires > now);
        inner.sessions.insert(session.id_hash, session.clone());
        Ok(())
    }

    fn session(&self, id_hash: &crate::Hash) -> Result<Option<crate::SessionRecord>, StoreError> {
        Ok(self.lock().sessions.get(id_hash).cloned())
    }

    fn end_session(&self, id_hash: &crate::Hash) -> Result<bool, StoreError> {
        Ok(self.lock().sessions.remove(id_hash).is_some())
    }
}
