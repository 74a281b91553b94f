//! A store that fails on purpose, for the tests of what the service does when the journal
//! fails: the commit of the nth batch fails (and, like a real journal, every later one), or
//! the nth batch is torn (its first half is written, then the commit fails), or every read
//! fails. Everything else is a [`MemoryStore`].

use crate::memory::MemoryStore;
use crate::{
    AnswerStore, ApiKeyRecord, Append, DocumentStore, EventLog, Head, IdempotencyRecord, KeyStore,
    StoreError, StoredEvent, Ticket,
};
use kezek_core::model::Seq;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// What to break.
#[derive(Debug, Default, Clone, Copy)]
pub struct Faults {
    /// Fail the commit of this batch (1 = the first one submitted) and of every later one.
    pub fail_commit: Option<u64>,
    /// Write only the first half of this batch's events, then fail it and every later one.
    pub tear_commit: Option<u64>,
}

/// A [`MemoryStore`] with faults.
pub struct FaultyStore {
    inner: Arc<MemoryStore>,
    faults: Faults,
    submitted: AtomicU64,
    failed: AtomicBool,
    fail_reads: AtomicBool,
    /// A batch committed when the outbox is first read: a leader's commit landing while an
    /// audit is between the journal and the outbox.
    late: std::sync::Mutex<Option<Append>>,
}

fn injected(what: &str) -> StoreError {
    StoreError::storage(what, std::io::Error::other("fault injected by the test"))
}

impl FaultyStore {
    /// An empty store that breaks as `faults` say.
    #[must_use]
    pub fn new(faults: Faults) -> Self {
        Self {
            inner: Arc::new(MemoryStore::new()),
            faults,
            submitted: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            fail_reads: AtomicBool::new(false),
            late: std::sync::Mutex::new(None),
        }
    }

    /// The store underneath, with what was really written (to start again from it).
    #[must_use]
    pub fn inner(&self) -> Arc<MemoryStore> {
        Arc::clone(&self.inner)
    }

    /// Commits `batch` (to the store underneath) just before the outbox is next read page by
    /// page, as a leader still writing would while an audit reads.
    pub fn commit_when_the_outbox_is_read(&self, batch: Append) {
        if let Ok(mut late) = self.late.lock() {
            *late = Some(batch);
        }
    }

    /// Makes every read fail (`true`) or work again.
    pub fn fail_reads(&self, fail: bool) {
        self.fail_reads.store(fail, Ordering::SeqCst);
    }

    fn read_check(&self) -> Result<(), StoreError> {
        if self.fail_reads.load(Ordering::SeqCst) {
            Err(injected("read"))
        } else {
            Ok(())
        }
    }
}

impl EventLog for FaultyStore {
    fn person_keys(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.read_check()?;
        self.inner.person_keys(after, limit)
    }

    fn seals(&self) -> Result<bool, StoreError> {
        self.inner.seals()
    }

    fn set_seals(&self, seals: bool) -> Result<(), StoreError> {
        self.inner.set_seals(seals)
    }

    fn submit(&self, batch: Append) -> Ticket {
        let n = self.submitted.fetch_add(1, Ordering::SeqCst) + 1;
        if self.failed.load(Ordering::SeqCst) {
            return Ticket::ready(Err(StoreError::Failed));
        }
        if self.faults.fail_commit == Some(n) {
            self.failed.store(true, Ordering::SeqCst);
            return Ticket::ready(Err(injected("commit")));
        }
        if self.faults.tear_commit == Some(n) {
            self.failed.store(true, Ordering::SeqCst);
            self.inner.append_prefix(&batch, batch.events.len() / 2);
            return Ticket::ready(Err(injected("commit (torn)")));
        }
        self.inner.submit(batch)
    }

    fn read(&self, after: Seq, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.read_check()?;
        self.inner.read(after, limit)
    }

    fn head(&self) -> Result<Head, StoreError> {
        self.read_check()?;
        self.inner.head()
    }
}

impl AnswerStore for FaultyStore {
    fn answer(&self, actor: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.read_check()?;
        self.inner.answer(actor, key)
    }

    fn answers(&self) -> Result<Vec<IdempotencyRecord>, StoreError> {
        self.read_check()?;
        self.inner.answers()
    }
}

impl DocumentStore for FaultyStore {
    fn document(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read_check()?;
        self.inner.document(id)
    }

    fn documents(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.read_check()?;
        self.inner.documents(after, limit)
    }

    fn file(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read_check()?;
        self.inner.file(id)
    }

    fn files(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.read_check()?;
        self.inner.files(after, limit)
    }
}

impl KeyStore for FaultyStore {
    fn put_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        self.inner.put_key(key)
    }

    fn keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.read_check()?;
        self.inner.keys()
    }

    fn update_key(&self, key: &ApiKeyRecord) -> Result<bool, StoreError> {
        self.inner.update_key(key)
    }

    fn keys_version(&self) -> Result<u64, StoreError> {
        self.read_check()?;
        self.inner.keys_version()
    }
}

impl crate::NotificationStore for FaultyStore {
    fn notifications_of(
        &self,
        application_id: &str,
        limit: usize,
    ) -> Result<Vec<crate::Notification>, StoreError> {
        self.read_check()?;
        self.inner.notifications_of(application_id, limit)
    }

    fn notifications(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<crate::Notification>, StoreError> {
        self.read_check()?;
        let late = self.late.lock().ok().and_then(|mut l| l.take());
        if let Some(batch) = late {
            self.inner.submit(batch).wait()?;
        }
        self.inner.notifications(after, limit)
    }

    fn deliverable(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<crate::Notification>, StoreError> {
        self.read_check()?;
        self.inner.deliverable(now_ms, limit)
    }

    fn record_attempts(&self, attempts: &[crate::Attempt]) -> Result<(), StoreError> {
        self.inner.record_attempts(attempts)
    }

    fn outbox_counts(&self) -> Result<crate::OutboxCounts, StoreError> {
        self.read_check()?;
        self.inner.outbox_counts()
    }

    fn restore(&self, notifications: &[crate::Notification]) -> Result<(), StoreError> {
        self.read_check()?;
        self.inner.restore(notifications)
    }

    fn channel_state(&self, channel: &str) -> Result<Option<String>, StoreError> {
        self.inner.channel_state(channel)
    }

    fn set_channel_state(&self, channel: &str, state: &str) -> Result<(), StoreError> {
        self.inner.set_channel_state(channel, state)
    }

    fn outbox_since(&self) -> Result<Option<u64>, StoreError> {
        self.read_check()?;
        self.inner.outbox_since()
    }

    fn set_outbox_since(&self, since: Option<u64>) -> Result<(), StoreError> {
        self.inner.set_outbox_since(since)
    }
}

impl crate::BudgetStore for FaultyStore {}

impl crate::SessionStore for FaultyStore {
    fn put_session(&self, session: &crate::SessionRecord, now: i64) -> Result<(), StoreError> {
        self.inner.put_session(session, now)
    }

    fn session(&self, id_hash: &crate::Hash) -> Result<Option<crate::SessionRecord>, StoreError> {
        self.read_check()?;
        self.inner.session(id_hash)
    }

    fn end_session(&self, id_hash: &crate::Hash) -> Result<bool, StoreError> {
        self.inner.end_session(id_hash)
    }
}
