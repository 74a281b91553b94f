//! The embedded journal: SQLite in WAL mode with `synchronous=FULL`. One writer thread owns
//! the write connection and commits every batch that is waiting when it starts a
//! transaction (group commit: concurrent requests share one fsync); a ticket resolves only
//! after its commit returned. Reads use their own connection and never wait for the writer.

use crate::record::{Hash, StoredEvent, GENESIS};
use crate::{ApiKeyRecord, Append, Head, IdempotencyRecord, Journal, StoreError, Ticket};
use kezek_core::types::Seq;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;

/// Schema versions, applied in order; `PRAGMA user_version` counts the applied ones.
const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload BLOB NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL
    );
    CREATE TABLE idempotency (
        actor TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash BLOB NOT NULL,
        status INTEGER NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (actor, key)
    );
    CREATE TABLE api_keys (
        key_id TEXT PRIMARY KEY,
        token_hash BLOB NOT NULL UNIQUE,
        role TEXT NOT NULL,
        scope TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
",
    "
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        body BLOB NOT NULL
    );
",
    "
    ALTER TABLE idempotency ADD COLUMN signature TEXT NOT NULL DEFAULT '';
    ALTER TABLE api_keys ADD COLUMN signature TEXT NOT NULL DEFAULT '';
",
];

/// Most batches committed in one transaction.
const MAX_GROUP: usize = 4096;

fn storage(e: impl std::fmt::Display) -> StoreError {
    StoreError::Storage(e.to_string())
}

struct Request {
    batch: Append,
    reply: crate::Resolver,
}

/// The SQLite journal.
pub struct SqliteJournal {
    requests: Option<mpsc::Sender<Request>>,
    reader: Mutex<Connection>,
    writer: Option<JoinHandle<()>>,
    checkpointer: Option<JoinHandle<()>>,
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| storage(format!("{}: {e}", path.display())))?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(storage)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(storage)?;
    conn.pragma_update(None, "busy_timeout", 5000)
        .map_err(storage)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: usize = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(storage)?;
    if version > MIGRATIONS.len() {
        return Err(storage(format!(
            "schema version {version} is newer than this Kezek knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction().map_err(storage)?;
        tx.execute_batch(sql).map_err(storage)?;
        tx.pragma_update(None, "user_version", i + 1)
            .map_err(storage)?;
        tx.commit().map_err(storage)?;
    }
    Ok(())
}

/// A column's bytes whatever its stored type: a record edited by hand may have changed
/// type, and must then fail verification at its own seq, not stop the read.
fn bytes_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Vec<u8>> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
        ValueRef::Integer(n) => n.to_string().into_bytes(),
        ValueRef::Real(x) => x.to_string().into_bytes(),
        ValueRef::Null => Vec::new(),
    })
}

fn text_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(String::from_utf8_lossy(&bytes_at(r, i)?).into_owned())
}

fn hash_of(bytes: Vec<u8>) -> Hash {
    // A stored hash of the wrong length cannot match any chain: verification then names its seq.
    bytes.try_into().unwrap_or([0xff; 32])
}

fn head_of(conn: &Connection) -> Result<Head, StoreError> {
    let row = conn
        .query_row(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)?, bytes_at(r, 1)?)),
        )
        .optional()
        .map_err(storage)?;
    Ok(row.map_or(
        Head {
            seq: Seq::default(),
            hash: GENESIS,
        },
        |(seq, hash)| Head {
            seq: Seq::new(u64::try_from(seq).unwrap_or(0)),
            hash: hash_of(hash),
        },
    ))
}

impl SqliteJournal {
    /// Opens (creating if needed) the journal at `path` and starts its writer.
    ///
    /// # Errors
    /// The file cannot be opened or migrated.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut write = connect(path)?;
        migrate(&mut write)?;
        let head = head_of(&write)?;
        // Checkpoints run on a thread of their own: inside a commit, every 4 MiB of WAL, one
        // held up every write in flight for 50-250 ms.
        write
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(storage)?;
        let checkpoints = connect(path)?;
        let reader = connect(path)?;
        let (tx, rx) = mpsc::channel();
        let (committed, commits) = mpsc::channel();
        let checkpointer = std::thread::Builder::new()
            .name("kezek-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpoints, &commits))
            .map_err(storage)?;
        let writer = std::thread::Builder::new()
            .name("kezek-journal".into())
            .spawn(move || write_loop(write, &rx, head, &committed))
            .map_err(storage)?;
        Ok(Self {
            requests: Some(tx),
            reader: Mutex::new(reader),
            writer: Some(writer),
            checkpointer: Some(checkpointer),
        })
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for SqliteJournal {
    fn drop(&mut self) {
        self.requests.take();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        // The writer has gone, and with it the checkpointer's channel.
        if let Some(c) = self.checkpointer.take() {
            let _ = c.join();
        }
    }
}

/// Time between checkpoints while commits keep coming.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// WAL pages past which a checkpoint also restarts the WAL, waiting for the writer: under
/// steady writes a passive checkpoint never catches up with the end of the WAL, which
/// would then grow without bound. 16384 pages = 64 MiB.
const WAL_RESTART_PAGES: i64 = 16_384;

/// The checkpoint thread: after commits, copies the WAL into the database without
/// blocking the writer; now and then restarts the WAL so it does not grow for ever.
fn checkpoint_loop(conn: &Connection, commits: &mpsc::Receiver<()>) {
    // After a commit, let more come for a while, then checkpoint them all; leave as soon as
    // the writer has gone (closing the connection checkpoints what is left).
    while commits.recv().is_ok() {
        let until = std::time::Instant::now() + CHECKPOINT_EVERY;
        loop {
            match commits.recv_timeout(until.saturating_duration_since(std::time::Instant::now())) {
                Ok(()) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        let pages = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
            .unwrap_or(0);
        // A failed checkpoint loses nothing (the WAL keeps the pages): it is counted.
        if pages > WAL_RESTART_PAGES
            && conn
                .query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))
                .is_err()
        {
            metrics::counter!("kezek_journal_checkpoint_failures_total").increment(1);
        }
    }
}

/// The writer thread: takes everything queued, commits it in one transaction, answers.
fn write_loop(
    mut conn: Connection,
    rx: &mpsc::Receiver<Request>,
    mut head: Head,
    committed: &mpsc::Sender<()>,
) {
    let mut failed = false;
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
        if failed {
            for r in group {
                r.reply.send(Err(StoreError::Failed));
            }
            continue;
        }
        let started = std::time::Instant::now();
        let batches = group.len();
        let outcome = write_group(&mut conn, &group, head);
        metrics::histogram!("kezek_journal_commit_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("kezek_journal_batch_size").record(batches as f64);
        match outcome {
            Ok((new_head, results)) => {
                head = new_head;
                let _ = committed.send(());
                for (r, result) in group.into_iter().zip(results) {
                    r.reply.send(result);
                }
            }
            Err(e) => {
                failed = true;
                for r in group {
                    r.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

type GroupResult = (Head, Vec<Result<(), StoreError>>);

fn write_group(
    conn: &mut Connection,
    group: &[Request],
    head: Head,
) -> Result<GroupResult, StoreError> {
    let tx = conn.transaction().map_err(storage)?;
    let mut results = Vec::with_capacity(group.len());
    let mut h = head;
    {
        let mut insert = tx
            .prepare_cached("INSERT INTO events (seq, at, actor, kind, payload, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .map_err(storage)?;
        let mut keep = tx
            .prepare_cached("INSERT OR IGNORE INTO documents (id, body) VALUES (?1, ?2)")
            .map_err(storage)?;
        let mut remember = tx
            .prepare_cached("INSERT OR IGNORE INTO idempotency (actor, key, request_hash, status, body, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .map_err(storage)?;
        for r in group {
            let b = &r.batch;
            if let Some((seq, _)) = b.events.first().filter(|(s, _)| *s != h.seq.next()) {
                results.push(Err(StoreError::Order(format!(
                    "got seq {seq} after {}",
                    h.seq
                ))));
                continue;
            }
            for (seq, event) in &b.events {
                let rec = StoredEvent::new(h.hash, *seq, &b.at, &b.actor, event);
                let seq_i = i64::try_from(rec.seq.get()).map_err(storage)?;
                insert
                    .execute(params![
                        seq_i,
                        rec.at,
                        rec.actor,
                        rec.kind,
                        rec.payload,
                        &rec.prev_hash[..],
                        &rec.hash[..]
                    ])
                    .map_err(storage)?;
                h = Head {
                    seq: rec.seq,
                    hash: rec.hash,
                };
            }
            for (id, body) in &b.documents {
                keep.execute(params![id, body]).map_err(storage)?;
            }
            if let Some(i) = &b.idempotency {
                remember
                    .execute(params![
                        i.actor,
                        i.key,
                        &i.request_hash[..],
                        i.status,
                        i.body,
                        i.signature
                    ])
                    .map_err(storage)?;
            }
            results.push(Ok(()));
        }
    }
    tx.commit().map_err(storage)?;
    Ok((h, results))
}

impl Journal for SqliteJournal {
    fn submit(&self, batch: Append) -> Ticket {
        let (reply, ticket) = Ticket::pending();
        match &self.requests {
            Some(tx) if tx.send(Request { batch, reply }).is_ok() => ticket,
            _ => Ticket::ready(Err(StoreError::Failed)),
        }
    }

    fn read(&self, after: Seq, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT seq, at, actor, kind, payload, prev_hash, hash FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .map_err(storage)?;
        let after = i64::try_from(after.get()).map_err(storage)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![after, limit], |r| {
                Ok(StoredEvent {
                    seq: Seq::new(u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0)),
                    at: text_at(r, 1)?,
                    actor: text_at(r, 2)?,
                    kind: text_at(r, 3)?,
                    payload: bytes_at(r, 4)?,
                    prev_hash: hash_of(bytes_at(r, 5)?),
                    hash: hash_of(bytes_at(r, 6)?),
                })
            })
            .map_err(storage)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(storage)
    }

    fn head(&self) -> Result<Head, StoreError> {
        head_of(&self.reader())
    }

    fn idempotency(&self, actor: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.reader()
            .prepare_cached(
                "SELECT request_hash, status, body, signature FROM idempotency WHERE actor = ?1 AND key = ?2",
            )
            .map_err(storage)?
            .query_row(
                params![actor, key],
                |r| {
                    Ok(IdempotencyRecord {
                        actor: actor.to_owned(),
                        key: key.to_owned(),
                        request_hash: hash_of(r.get(0)?),
                        status: r.get(1)?,
                        body: bytes_at(r, 2)?,
                        signature: text_at(r, 3)?,
                    })
                },
            )
            .optional()
            .map_err(storage)
    }

    fn document(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.reader()
            .prepare_cached("SELECT body FROM documents WHERE id = ?1")
            .map_err(storage)?
            .query_row(params![id], |r| bytes_at(r, 0))
            .optional()
            .map_err(storage)
    }

    fn documents(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT id, body FROM documents WHERE id > ?1 ORDER BY id LIMIT ?2")
            .map_err(storage)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![after, limit], |r| {
                Ok((text_at(r, 0)?, bytes_at(r, 1)?))
            })
            .map_err(storage)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(storage)
    }

    fn put_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let scope = serde_json::to_string(&key.scope).map_err(storage)?;
        self.reader()
            .execute(
                "INSERT INTO api_keys (key_id, token_hash, role, scope, created_at, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![key.key_id, &key.token_hash[..], key.role, scope, key.created_at, key.signature],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn answers(&self) -> Result<Vec<IdempotencyRecord>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached("SELECT actor, key, request_hash, status, body, signature FROM idempotency ORDER BY actor, key")
            .map_err(storage)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(IdempotencyRecord {
                    actor: text_at(r, 0)?,
                    key: text_at(r, 1)?,
                    request_hash: hash_of(bytes_at(r, 2)?),
                    status: r.get::<_, i64>(3).map(|s| u16::try_from(s).unwrap_or(0))?,
                    body: bytes_at(r, 4)?,
                    signature: text_at(r, 5)?,
                })
            })
            .map_err(storage)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(storage)
    }

    fn keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare_cached(
                "SELECT key_id, token_hash, role, scope, created_at, signature FROM api_keys ORDER BY key_id",
            )
            .map_err(storage)?;
        let rows = stmt
            .query_map([], |r| {
                let scope: String = r.get(3)?;
                Ok(ApiKeyRecord {
                    key_id: r.get(0)?,
                    token_hash: hash_of(r.get(1)?),
                    role: r.get(2)?,
                    scope: serde_json::from_str(&scope).unwrap_or_default(),
                    created_at: text_at(r, 4)?,
                    signature: text_at(r, 5)?,
                })
            })
            .map_err(storage)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(storage)
    }
}
