//! The journal and what is stored with it: an append-only, hash-chained log of events,
//! durable before a request is acknowledged, and beside it the answers to repeat for retried
//! requests, the signed result documents and the API keys.
//!
//! Each concern is a trait of its own ([`EventLog`], [`AnswerStore`], [`DocumentStore`],
//! [`KeyStore`]); a backend implements all four and so is a [`Store`]. Backends: SQLite (the
//! embedded default, [`sqlite`]), in memory ([`memory`], for tests) and a fault-injecting
//! wrapper ([`faulty`], for crash tests), and PostgreSQL ([`postgres`], the server database,
//! which several nodes share: one leads and appends, the others follow — [`Shared`]). A
//! batch of events is written atomically with its stored answer and documents. Every call
//! may block (it touches the disk or the network): async callers run them on blocking
//! threads, except for short reads.

pub mod copy;
pub mod faulty;
pub mod forget;
mod group;
pub mod memory;
pub mod notify;
pub mod postgres;
pub mod record;
pub mod replay;
pub mod sealing;
pub mod snapshot;
pub mod sqlite;

use kezek_core::model::Seq;
use kezek_core::Event;
use std::sync::Arc;

pub use notify::{Attempt, NewNotification, Notification, NotificationStore, OutboxCounts};
pub use record::{Hash, StoredEvent};

/// The error a backend's driver gave, kept for the logs.
pub type Source = Arc<dyn std::error::Error + Send + Sync>;

/// A store that cannot do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database failed (disk full, I/O error, locked, …).
    #[error("journal storage failed: {context}")]
    Storage {
        /// What was being done.
        context: String,
        /// The driver's error.
        #[source]
        source: Source,
    },
    /// A batch did not follow the journal (a bug in the caller).
    #[error("journal append out of order: {0}")]
    Order(String),
    /// A key with this id or token is already stored.
    #[error("{0} is already stored")]
    Duplicate(String),
    /// An earlier write failed; the store accepts nothing more until restarted.
    #[error("the journal failed earlier and accepts no more writes")]
    Failed,
    /// The journal is damaged, or does not reach the head it had made durable: what is wrong
    /// and what to do, in words for the operator.
    #[error("{0}")]
    Integrity(String),
    /// This node does not lead the shared journal: another node appends.
    #[error("this node does not lead the journal")]
    NotLeader,
    /// This node led the shared journal and does no more (another took over, or its lease
    /// was lost): nothing of the refused batch was written.
    #[error("this node was deposed: {0}")]
    Fenced(String),
}

impl StoreError {
    /// A driver's error, with what was being done.
    pub fn storage(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Storage {
            context: context.into(),
            source: Arc::new(source),
        }
    }
}

/// A stored answer to a write, so that a retry with the same `Idempotency-Key` gets it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Who sent it (key id): keys are per client.
    pub actor: String,
    /// The `Idempotency-Key` header.
    pub key: String,
    /// SHA-256 of method, path and body, to refuse the same key with another request.
    pub request_hash: Hash,
    /// HTTP status of the first answer.
    pub status: u16,
    /// The authority's seal over the record (empty when unsealed).
    pub signature: String,
    /// Body of the first answer.
    pub body: Vec<u8>,
}

/// An API key as stored: never the token, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Public key id (shown as the journal's actor).
    pub key_id: String,
    /// SHA-256 of the token.
    pub token_hash: Hash,
    /// Role: portal, staff, kindergarten, auditor, admin.
    pub role: String,
    /// Districts (staff) or kindergartens (kindergarten) it may act on.
    pub scope: Vec<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it stops being accepted (RFC 3339), if ever.
    pub expires_at: Option<String>,
    /// When it was revoked (RFC 3339), if it was.
    pub revoked_at: Option<String>,
    /// The authority's signature over the record (base64; empty when unsigned).
    pub signature: String,
    /// The official the key belongs to, if any (`keys create --official`).
    pub official: Option<String>,
}

/// Events of one command (or several), with who and when, and what is stored with them.
#[derive(Debug, Clone, Default)]
pub struct Append {
    /// The events, with the sequence numbers the core gave them.
    pub events: Vec<(Seq, Event)>,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// The answer to store with them, atomically.
    pub idempotency: Option<IdempotencyRecord>,
    /// Signed result documents issued with them: (id, JSON bytes).
    pub documents: Vec<(String, Vec<u8>)>,
    /// Proof files attached with them: (id, bytes as sent). The journal holds their SHA-256.
    pub files: Vec<(String, Vec<u8>)>,
    /// What families must be told of them (the outbox), in order.
    pub notifications: Vec<NewNotification>,
    /// Records copied as they are from another journal (`kezek migrate`), in a batch without
    /// `events`: each must link to the one before, the first to the journal's head.
    pub copied: Vec<StoredEvent>,
    /// Persons' data keys made or erased with them.
    pub keys: PersonKeys,
    /// What an erasure among them takes out of the store ([`forget`]).
    pub forget: forget::Forget,
    /// How the events are journaled, when not as their canonical JSON: the service's sealing
    /// of their personal values ([`sealing`]), run where the store encodes them (a large
    /// batch on a second core, page by page).
    pub encoder: Option<Encoding>,
}

/// Encodes events as journaled.
pub trait Encoder: Send + Sync {
    /// The bytes of `event`, journaled at `seq`.
    ///
    /// # Errors
    /// The event cannot be encoded (the batch then fails).
    fn encode(&self, seq: Seq, event: &Event) -> Result<Vec<u8>, String>;
}

/// A batch's [`Encoder`].
#[derive(Clone)]
pub struct Encoding(pub std::sync::Arc<dyn Encoder>);

impl std::fmt::Debug for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Encoding")
    }
}

/// Persons' data keys (`kezek_core::sealed`), kept outside the journal's chain so that
/// deleting one forgets the person without changing a record: made with the batch whose
/// records first seal a value under them, erased in the commit of the record that says so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonKeys {
    /// Keys made: (id, the key's bytes).
    pub made: Vec<(String, Vec<u8>)>,
    /// Keys erased: (id, the tombstone that takes the key's place — [`sealing::KeyRow`]'s
    /// `Erased`). The key is gone from the store when the batch commits — on SQLite its
    /// bytes overwritten (`secure_delete`) and the WAL emptied, so that no file and no
    /// backup taken afterwards holds them.
    pub erased: Vec<(String, Vec<u8>)>,
}

/// Checks that a batch follows `head`: its first event is the next seq; copied records
/// (which come without events of their own) follow it and each other, seq and link — their
/// hashes were checked against their bytes where they were read from.
pub(crate) fn follows(batch: &Append, head: Head) -> Result<(), StoreError> {
    if let Some((seq, _)) = batch.events.first().filter(|(s, _)| *s != head.seq.next()) {
        return Err(StoreError::Order(format!(
            "got seq {seq} after {}",
            head.seq
        )));
    }
    if batch.copied.is_empty() {
        return Ok(());
    }
    if !batch.events.is_empty() {
        return Err(StoreError::Order(
            "copied records come in a batch of their own".into(),
        ));
    }
    let mut h = head;
    for r in &batch.copied {
        if r.seq != h.seq.next() || r.prev_hash != h.hash {
            return Err(StoreError::Order(format!(
                "copied record {} does not follow seq {}",
                r.seq, h.seq
            )));
        }
        h = Head {
            seq: r.seq,
            hash: r.hash,
        };
    }
    Ok(())
}

/// Resolves when a submitted batch is durable (or failed): blocking with [`Ticket::wait`]
/// or awaited with [`Ticket::durable`] (so a request waiting for its commit holds no thread).
#[derive(Debug)]
pub struct Ticket(tokio::sync::oneshot::Receiver<Result<(), StoreError>>);

/// The journal's side of a [`Ticket`].
#[derive(Debug)]
pub struct Resolver(tokio::sync::oneshot::Sender<Result<(), StoreError>>);

impl Resolver {
    /// Resolves the ticket; a ticket nobody waits for any more is ignored.
    pub fn send(self, result: Result<(), StoreError>) {
        let _ = self.0.send(result);
    }
}

impl Ticket {
    /// A ticket that is already resolved.
    #[must_use]
    pub fn ready(result: Result<(), StoreError>) -> Self {
        let (tx, ticket) = Self::pending();
        tx.send(result);
        ticket
    }

    /// A ticket and the resolver that resolves it (journals, and test doubles that delay
    /// durability).
    #[must_use]
    pub fn pending() -> (Resolver, Self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (Resolver(tx), Self(rx))
    }

    /// Blocks until the batch is durable. Not for async code, unless already resolved.
    ///
    /// # Errors
    /// The batch was not written; nothing of it is in the journal.
    pub fn wait(mut self) -> Result<(), StoreError> {
        match self.0.try_recv() {
            Ok(result) => result,
            Err(tokio::sync::oneshot::error::TryRecvError::Closed) => Err(StoreError::Failed),
            Err(tokio::sync::oneshot::error::TryRecvError::Empty) => {
                self.0.blocking_recv().unwrap_or(Err(StoreError::Failed))
            }
        }
    }

    /// Waits until the batch is durable.
    ///
    /// # Errors
    /// The batch was not written; nothing of it is in the journal.
    pub async fn durable(self) -> Result<(), StoreError> {
        self.0.await.unwrap_or(Err(StoreError::Failed))
    }
}

/// The head of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Last sequence number (0 when empty).
    pub seq: Seq,
    /// Its hash ([`record::GENESIS`] when empty).
    pub hash: Hash,
}

impl Head {
    /// The head of an empty journal whose first record chains from `genesis`.
    #[must_use]
    pub fn start(genesis: Hash) -> Self {
        Self {
            seq: Seq::new(0),
            hash: genesis,
        }
    }

    /// The head of an empty journal.
    pub const EMPTY: Self = Self {
        seq: Seq::new(0),
        hash: record::GENESIS,
    };
}

/// The append-only, hash-chained log of events.
pub trait EventLog: Send + Sync {
    /// Queues a batch. Batches must be submitted in sequence order; the returned ticket
    /// resolves once the batch, its stored answer and its documents are durable. Batches
    /// submitted together may share one commit (group commit).
    fn submit(&self, batch: Append) -> Ticket;

    /// Up to `limit` durable records after `after`, in order.
    ///
    /// # Errors
    /// Storage failure.
    fn read(&self, after: Seq, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;

    /// The last durable record's seq and hash.
    ///
    /// # Errors
    /// Storage failure.
    fn head(&self) -> Result<Head, StoreError>;

    /// Up to `limit` persons' data keys with ids after `after`, in id order: the keys that
    /// open the journal's sealed values, and the erased ones' tombstones ([`sealing`]).
    ///
    /// # Errors
    /// Storage failure.
    fn person_keys(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// Whether the service seals the personal values of the records it writes to this
    /// journal: a journal begun empty by a Kezek that seals does; one begun before keeps its
    /// personal data in the clear until it is migrated (`kezek migrate --encrypt-personal`).
    ///
    /// # Errors
    /// Storage failure.
    fn seals(&self) -> Result<bool, StoreError>;

    /// Records whether the journal seals (a copy takes its source's).
    ///
    /// # Errors
    /// Storage failure.
    fn set_seals(&self, seals: bool) -> Result<(), StoreError>;

    /// The hash the journal's first record chains from: [`record::GENESIS`], or — for a
    /// journal migrated with its personal data sealed (`kezek migrate --encrypt-personal`) —
    /// the head of the journal it continues, so that its first record commits to it.
    ///
    /// # Errors
    /// Storage failure.
    fn genesis(&self) -> Result<Hash, StoreError> {
        Ok(record::GENESIS)
    }

    /// Makes an empty journal continue one whose head is `hash` (its first record will chain
    /// from it).
    ///
    /// # Errors
    /// [`StoreError::Integrity`] for a journal that holds records; storage failure.
    fn begin_after(&self, hash: Hash) -> Result<(), StoreError> {
        let _ = hash;
        Err(StoreError::Integrity(
            "this store cannot continue another journal".into(),
        ))
    }

    /// Every record of `kind`, in order. They are not checked here: the replay checks
    /// every record. Backends read them by an index; this default reads the whole journal.
    ///
    /// # Errors
    /// Storage failure.
    fn records_of(&self, kind: IndexedKind) -> Result<Vec<StoredEvent>, StoreError> {
        let (mut found, mut after) = (Vec::new(), Seq::default());
        loop {
            let page = self.read(after, 10_000)?;
            let Some(last) = page.last() else {
                return Ok(found);
            };
            after = last.seq;
            found.extend(page.into_iter().filter(|r| r.kind == kind.as_str()));
        }
    }

    /// Every `policy_adopted` record, in order (a replay needs the first before seq 1).
    ///
    /// # Errors
    /// Storage failure.
    fn policy_records(&self) -> Result<Vec<StoredEvent>, StoreError> {
        self.records_of(IndexedKind::Policy)
    }

    /// Every `authority_adopted` record, in order: the authority keys the journal pins.
    ///
    /// # Errors
    /// Storage failure.
    fn authority_records(&self) -> Result<Vec<StoredEvent>, StoreError> {
        self.records_of(IndexedKind::Authority)
    }
}

/// The kinds of record a store finds without reading the journal: a handful in a million,
/// which a start needs before it replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexedKind {
    /// `policy_adopted`.
    Policy,
    /// `authority_adopted`.
    Authority,
}

impl IndexedKind {
    /// The kind as journaled.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Policy => POLICY_ADOPTED,
            Self::Authority => AUTHORITY_ADOPTED,
        }
    }
}

/// The kind of the records that put a policy in force.
pub const POLICY_ADOPTED: &str = "policy_adopted";

/// The kind of the records that put an authority key in force.
pub const AUTHORITY_ADOPTED: &str = "authority_adopted";

/// A store's answer still to come, for async callers.
pub type Later<T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, StoreError>> + Send + 'static>>;

/// The answers stored for retried requests (written with their batch).
pub trait AnswerStore: Send + Sync {
    /// The stored answer for (actor, key), if any.
    ///
    /// # Errors
    /// Storage failure.
    fn answer(&self, actor: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// [`Self::answer`] as a future: a backend that asks a server (PostgreSQL) answers
    /// without holding the caller's thread for the round trip; the others read at once.
    fn answer_later(&self, actor: &str, key: &str) -> Later<Option<IdempotencyRecord>> {
        Box::pin(std::future::ready(self.answer(actor, key)))
    }

    /// Every stored answer, by actor and key (for audits).
    ///
    /// # Errors
    /// Storage failure.
    fn answers(&self) -> Result<Vec<IdempotencyRecord>, StoreError>;
}

/// The signed result documents and the proof files (each written with its batch).
pub trait DocumentStore: Send + Sync {
    /// A stored document's JSON bytes.
    ///
    /// # Errors
    /// Storage failure.
    fn document(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Up to `limit` stored documents with ids after `after`, in id order.
    ///
    /// # Errors
    /// Storage failure.
    fn documents(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// The ids of every stored document (backends may do better than reading the bodies).
    ///
    /// # Errors
    /// Storage failure.
    fn document_ids(&self) -> Result<Vec<String>, StoreError> {
        let (mut ids, mut after) = (Vec::new(), String::new());
        loop {
            let page = self.documents(&after, 1000)?;
            let Some((last, _)) = page.last() else {
                return Ok(ids);
            };
            after.clone_from(last);
            ids.extend(page.into_iter().map(|(id, _)| id));
        }
    }

    /// A proof file's bytes.
    ///
    /// # Errors
    /// Storage failure.
    fn file(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Up to `limit` proof files with ids after `after`, in id order (a file is up to
    /// 10 MiB: callers page a few at a time).
    ///
    /// # Errors
    /// Storage failure.
    fn files(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
}

/// The API keys.
pub trait KeyStore: Send + Sync {
    /// Stores a new API key.
    ///
    /// # Errors
    /// Storage failure, or [`StoreError::Duplicate`] for a key id or token hash stored before.
    fn put_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;

    /// All API keys, by key id.
    ///
    /// # Errors
    /// Storage failure.
    fn keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;

    /// Replaces the stored key of the same id (its revocation, newly signed); whether there
    /// was one.
    ///
    /// # Errors
    /// Storage failure.
    fn update_key(&self, key: &ApiKeyRecord) -> Result<bool, StoreError>;

    /// A number that changes whenever a key is stored, replaced or deleted, by this process
    /// or another (`kezek keys revoke` beside a running server): the server reads the keys
    /// again when it moves.
    ///
    /// # Errors
    /// Storage failure.
    fn keys_version(&self) -> Result<u64, StoreError>;
}

/// The leader of a shared journal, as the database names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leader {
    /// The URL the leader advertised when it took over (`None` before any node led).
    pub url: Option<String>,
    /// How many times a node took over.
    pub epoch: u64,
    /// The journal's head seq.
    pub seq: Seq,
    /// How long ago the leader last renewed its lease, by the database's clock (`None`
    /// before any node led).
    pub lease_age: Option<std::time::Duration>,
}

/// A journal several nodes share (PostgreSQL): one node at a time leads — decides commands
/// and appends —, the others follow it and read. Taking over moves an epoch that every
/// append checks in its transaction, so a deposed leader can never write.
pub trait Shared: Send + Sync {
    /// Takes over if no node leads, advertising `url` to the others; the head to build on
    /// when it did (appends are accepted from then on), `None` when another node leads.
    ///
    /// # Errors
    /// Storage failure; [`StoreError::Integrity`] for a journal whose head row and events
    /// disagree.
    fn try_lead(&self, url: &str) -> Result<Option<Head>, StoreError>;

    /// Whether this node leads: false again once its lease was lost or it was fenced.
    fn leading(&self) -> bool;

    /// Who leads, as the database says.
    ///
    /// # Errors
    /// Storage failure.
    fn leader(&self) -> Result<Leader, StoreError>;

    /// Moves to the seq committed whenever the leader commits (a follower wakes on it; it
    /// may miss some, so followers poll as well).
    fn commits(&self) -> tokio::sync::watch::Receiver<u64>;
}

/// How many minutes of budgets a store keeps behind the latest minute it counted in (a
/// bucket may count in a minute up to a few ahead of now: a citizen assertion's, in the
/// minute it expires).
pub const KEPT_MINUTES: i64 = 10;

/// Budgets of requests that must be slow to repeat (the parents' status lookups, the
/// console's search by IIN, the portal's citizens and their assertions), counted where every
/// node of an installation sees them.
pub trait BudgetStore: Send + Sync {
    /// Counts one use of `bucket` in the minute `window` (minutes since the epoch) and
    /// returns how many there were in it, this one included; `None` when this store is not
    /// shared between nodes (the one node counts in memory).
    ///
    /// # Errors
    /// Storage failure.
    fn spend(&self, bucket: &str, window: i64) -> Result<Option<u32>, StoreError> {
        let _ = (bucket, window);
        Ok(None)
    }
}

/// A console session: the SHA-256 of its random id (the cookie holds the id), the token hash
/// of the key it was opened with, and when it ends (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the session id.
    pub id_hash: Hash,
    /// The key's token hash.
    pub key_hash: Hash,
    /// When it ends, in seconds since the epoch.
    pub expires: i64,
}

/// The console's sessions, kept where every node of an installation sees them: a session
/// ended on one node (signing out) is ended on all.
pub trait SessionStore: Send + Sync {
    /// Stores a new session, and forgets the sessions that ended before `now` (seconds).
    ///
    /// # Errors
    /// Storage failure.
    fn put_session(&self, session: &SessionRecord, now: i64) -> Result<(), StoreError>;

    /// The session whose id has `id_hash`, if it was stored and not ended.
    ///
    /// # Errors
    /// Storage failure.
    fn session(&self, id_hash: &Hash) -> Result<Option<SessionRecord>, StoreError>;

    /// Ends the session whose id has `id_hash`; whether there was one.
    ///
    /// # Errors
    /// Storage failure.
    fn end_session(&self, id_hash: &Hash) -> Result<bool, StoreError>;
}

/// A backend holding every concern.
pub trait Store:
    EventLog + AnswerStore + DocumentStore + KeyStore + NotificationStore + BudgetStore + SessionStore
{
}

impl<
        T: EventLog
            + AnswerStore
            + DocumentStore
            + KeyStore
            + NotificationStore
            + BudgetStore
            + SessionStore,
    > Store for T
{
}
