//! The server store: PostgreSQL, for installations that need the database their operators
//! already run (replicas, backups) and several Kezek nodes on it.
//!
//! The same tables as SQLite's and the same contract. One node at a time leads ([`lead`]): it
//! holds a lease in `journal_head` that it renews, moved the epoch there when it took over, and its
//! writer ([`writer`]) commits batches in groups, each transaction checking that
//! `journal_head` still has its epoch and the head it built on — a deposed leader can never
//! write. Every node reads (and a follower tails the journal, woken by `NOTIFY`).
//!
//! The driver is tokio-postgres on a small runtime of the store's own: the store's calls are
//! blocking (the traits are), and they wait on the driver's futures with a plain executor,
//! which works from any thread — an async worker too, as SQLite's short reads do.

mod lead;
mod reads;
mod schema;
mod standing;
mod writer;

use crate::{Append, EventLog, Head, StoreError, StoredEvent, Ticket};
use kezek_core::model::Seq;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio_postgres::{Client, Config, NoTls, Statement};

pub use lead::DEFAULT_LEASE;

/// The channel the leader notifies on each commit (payload: the new head's seq).
const CHANNEL: &str = "kezek_journal";

/// The PostgreSQL store.
pub struct PgStore {
    /// Drives the connections.
    runtime: Option<tokio::runtime::Runtime>,
    /// Where the database is.
    config: Config,
    /// Reads (pipelined: concurrent callers share the connection).
    read: Arc<Client>,
    /// The read statements, prepared once on `read`.
    statements: Statements,
    /// Writes outside the journal (keys, delivery attempts), one at a time.
    side: Mutex<Client>,
    /// To the writer, while this node leads.
    writer: Mutex<Option<tokio::sync::mpsc::UnboundedSender<crate::group::Request>>>,
    /// The connection the lease is taken and renewed on, once asked for.
    lease_client: Mutex<Option<Arc<Client>>>,
    /// How long a lease lasts.
    lease: std::time::Duration,
    /// Whether this node leads: set when it took over, cleared when its lease is lost.
    standing: Arc<standing::Standing>,
    /// The last seq the leader notified.
    commits: tokio::sync::watch::Receiver<u64>,
    /// The page after the last full page read, asked for already (`after`, `limit`, rows).
    ahead: Mutex<Option<ReadAhead>>,
    /// The minute the last budget was counted in (older ones are cleared when it moves).
    budget_window: std::sync::atomic::AtomicI64,
}

/// A page of events asked for before it was wanted.
struct ReadAhead {
    after: Seq,
    limit: i64,
    rows: tokio::task::JoinHandle<Result<Vec<tokio_postgres::Row>, tokio_postgres::Error>>,
}

struct Statements {
    events: Statement,
    head: Statement,
    answer: Statement,
    document: Statement,
}

fn failed(what: &'static str) -> impl Fn(tokio_postgres::Error) -> StoreError {
    move |e| StoreError::storage(what, e)
}

/// Waits for `f` on this thread. The driver's client futures talk to the connection tasks
/// over channels and need no runtime of their own, so this works from any thread.
fn wait<F: Future>(f: F) -> F::Output {
    futures_executor::block_on(f)
}

/// The seq and hash of a row's columns `i`, `i + 1`.
fn head_at(row: &tokio_postgres::Row, i: usize) -> Result<Head, StoreError> {
    let seq: i64 = row
        .try_get(i)
        .map_err(failed("reading the journal's head"))?;
    let hash: Vec<u8> = row
        .try_get(i + 1)
        .map_err(failed("reading the journal's head"))?;
    Ok(Head {
        seq: Seq::new(u64::try_from(seq).unwrap_or(0)),
        hash: hash_of(hash),
    })
}

/// A stored hash; one of the wrong length cannot match any chain.
fn hash_of(bytes: Vec<u8>) -> crate::Hash {
    bytes.try_into().unwrap_or([0xff; 32])
}

/// A seq as the database stores it.
fn seq_sql(seq: Seq) -> i64 {
    i64::try_from(seq.get()).unwrap_or(i64::MAX)
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`), brings its schema up
    /// to date and starts following its commits. The node does not lead until
    /// [`crate::Shared::try_lead`] says it does: until then it reads, and refuses appends.
    ///
    /// # Errors
    /// The URL does not parse, the database cannot be reached or migrated.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut config: Config = url
            .parse()
            .map_err(|e| StoreError::storage("reading the database URL", e))?;
        if config.get_application_name().is_none() {
            config.application_name("kezek");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        // A node cut off from the database notices within a minute, not hours.
        config.keepalives_idle(std::time::Duration::from_secs(10));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kezek-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::storage("starting the database runtime", e))?;
        let mut side = connect(&runtime, &config)?;
        wait(schema::migrate(&mut side))?;
        // Its short transactions (keys, delivery attempts) must not hold rows for ever if
        // this process freezes in one.
        wait(side.batch_execute(&format!(
            "SET idle_in_transaction_session_timeout = {}",
            DEFAULT_LEASE.as_millis()
        )))
        .map_err(failed("setting up a connection"))?;
        let read = connect(&runtime, &config)?;
        let statements = wait(prepare(&read))?;
        let (notified, commits) = tokio::sync::watch::channel(0);
        runtime.spawn(lead::listen(config.clone(), notified));
        Ok(Self {
            runtime: Some(runtime),
            config,
            read: Arc::new(read),
            statements,
            side: Mutex::new(side),
            writer: Mutex::new(None),
            lease_client: Mutex::new(None),
            lease: DEFAULT_LEASE,
            standing: Arc::new(standing::Standing::new()),
            commits,
            ahead: Mutex::new(None),
            budget_window: std::sync::atomic::AtomicI64::new(0),
        })
    }

    /// The same store, leading with leases of `lease` when it leads (the default is
    /// [`DEFAULT_LEASE`]): a frozen leader is replaced that long after its last renewal.
    #[must_use]
    pub fn with_lease(mut self, lease: std::time::Duration) -> Self {
        self.lease = lease.max(std::time::Duration::from_millis(100));
        self
    }

    /// The journal at `url` as of one moment, for reading while its leader writes (a backup):
    /// every read of this store sees the same snapshot (one `REPEATABLE READ` transaction).
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn open_snapshot(url: &str) -> Result<Self, StoreError> {
        let store = Self::open(url)?;
        wait(
            store
                .read
                .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
        )
        .map_err(failed("taking a snapshot"))?;
        Ok(store)
    }

    fn runtime(&self) -> Result<&tokio::runtime::Runtime, StoreError> {
        self.runtime.as_ref().ok_or(StoreError::Failed)
    }

    fn side(&self) -> std::sync::MutexGuard<'_, Client> {
        self.side
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

async fn prepare(client: &Client) -> Result<Statements, StoreError> {
    let fail = failed("preparing the reads");
    Ok(Statements {
        events: client
            .prepare("SELECT seq, at, actor, kind, payload, prev_hash, hash FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")
            .await
            .map_err(&fail)?,
        head: client
            .prepare("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
            .await
            .map_err(&fail)?,
        answer: client
            .prepare("SELECT actor, key, request_hash, status, body, signature FROM idempotency WHERE actor = $1 AND key = $2")
            .await
            .map_err(&fail)?,
        document: client
            .prepare("SELECT body FROM documents WHERE id = $1")
            .await
            .map_err(&fail)?,
    })
}

/// A new connection driven on `runtime`.
fn connect(runtime: &tokio::runtime::Runtime, config: &Config) -> Result<Client, StoreError> {
    let config = config.clone();
    let connected = runtime.spawn(async move {
        let (client, connection) = config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "a database connection ended");
            }
        });
        Ok::<_, tokio_postgres::Error>(client)
    });
    wait(connected)
        .map_err(|e| StoreError::storage("connecting to the database", e))?
        .map_err(|e| StoreError::storage("connecting to the database", e))
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Closing the writer's channel ends it; the runtime goes without waiting for tasks
        // (this may run on an async thread, where waiting is not allowed). Nothing is lost:
        // a batch is acknowledged only after its commit returned.
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

pub(super) fn event_row(r: &tokio_postgres::Row) -> Result<StoredEvent, tokio_postgres::Error> {
    let seq: i64 = r.try_get(0)?;
    Ok(StoredEvent {
        seq: Seq::new(u64::try_from(seq).unwrap_or(0)),
        at: r.try_get(1)?,
        actor: r.try_get(2)?,
        kind: r.try_get(3)?,
        payload: r.try_get(4)?,
        prev_hash: hash_of(r.try_get(5)?),
        hash: hash_of(r.try_get(6)?),
    })
}

impl EventLog for PgStore {
    fn submit(&self, batch: Append) -> Ticket {
        let (reply, ticket) = Ticket::pending();
        let writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match writer.as_ref() {
            Some(tx) => {
                if let Err(refused) = tx.send(crate::group::Request { batch, reply }) {
                    refused.0.reply.send(Err(StoreError::Failed));
                }
            }
            None => reply.send(Err(StoreError::NotLeader)),
        }
        ticket
    }

    fn person_keys(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.person_key_rows(after, limit)
    }

    fn seals(&self) -> Result<bool, StoreError> {
        self.seals_flag()
    }

    fn set_seals(&self, seals: bool) -> Result<(), StoreError> {
        self.set_seals_flag(seals)
    }

    fn genesis(&self) -> Result<crate::Hash, StoreError> {
        self.genesis_hash()
    }

    fn begin_after(&self, hash: crate::Hash) -> Result<(), StoreError> {
        self.begin_after_hash(hash)
    }

    fn read(&self, after: Seq, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let fail = failed("reading events");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // A replay reads page after page: the next page comes over the socket while this one
        // is checked and applied. Records never change once written, so a page asked for early
        // is as good as one asked for now (if shorter, the reader asks again).
        let early = {
            let mut ahead = self
                .ahead
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match ahead.take() {
                Some(a) if a.after == after && a.limit == limit => Some(a.rows),
                Some(stale) => {
                    stale.rows.abort();
                    None
                }
                None => None,
            }
        };
        let rows = match early {
            Some(rows) => wait(rows)
                .map_err(|e| StoreError::storage("reading events", e))?
                .map_err(&fail)?,
            None => wait(
                self.read
                    .query(&self.statements.events, &[&seq_sql(after), &limit]),
            )
            .map_err(&fail)?,
        };
        let records: Vec<StoredEvent> = rows
            .iter()
            .map(event_row)
            .collect::<Result<_, _>>()
            .map_err(fail)?;
        if let (Some(last), Ok(runtime)) = (records.last(), self.runtime()) {
            if i64::try_from(records.len()).is_ok_and(|n| n == limit) {
                let (client, statement) = (Arc::clone(&self.read), self.statements.events.clone());
                let next = last.seq;
                let rows = runtime.spawn(async move {
                    client.query(&statement, &[&seq_sql(next), &limit]).await
                });
                *self
                    .ahead
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ReadAhead {
                    after: next,
                    limit,
                    rows,
                });
            }
        }
        Ok(records)
    }

    fn head(&self) -> Result<Head, StoreError> {
        let row = wait(self.read.query_opt(&self.statements.head, &[]))
            .map_err(failed("reading the journal's head"))?;
        match row {
            Some(r) => head_at(&r, 0),
            None => Ok(Head::start(self.genesis_hash()?)),
        }
    }

    fn records_of(&self, kind: crate::IndexedKind) -> Result<Vec<StoredEvent>, StoreError> {
        let fail = failed("reading the policy and authority records");
        // Literal kinds, so the partial index on each serves the query.
        let sql = match kind {
            crate::IndexedKind::Policy => "SELECT seq, at, actor, kind, payload, prev_hash, hash FROM events WHERE kind = 'policy_adopted' ORDER BY seq",
            crate::IndexedKind::Authority => "SELECT seq, at, actor, kind, payload, prev_hash, hash FROM events WHERE kind = 'authority_adopted' ORDER BY seq",
        };
        let rows = wait(self.read.query(sql, &[])).map_err(&fail)?;
        rows.iter()
            .map(event_row)
            .collect::<Result<_, _>>()
            .map_err(fail)
    }
}
