//! The embedded store: SQLite in WAL mode with `synchronous=FULL`. One writer thread owns the
//! write connection and commits batches in groups ([`writer`]); a ticket resolves only after
//! its commit returned, and the head mark ([`mark`]) is rewritten after it. Reads use their
//! own connection and never wait for the writer. Opening checks the database and its head
//! mark first ([`check`]).

mod backup;
mod check;
pub mod mark;
pub mod private;
mod reads;
mod schema;
mod writer;

pub use backup::backup;
pub use check::Rewind;

use crate::group::Request;
use crate::{Append, EventLog, Head, StoreError, Ticket};
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;

/// The SQLite store.
pub struct SqliteStore {
    /// To the writer; `None` once closing.
    requests: Option<mpsc::Sender<Request>>,
    /// The read connection.
    reader: Mutex<Connection>,
    /// The writer thread.
    writer: Option<JoinHandle<()>>,
    /// The checkpoint thread.
    checkpointer: Option<JoinHandle<()>>,
    /// SQLite's integrity check, when it runs beside the replay ([`Self::checked`]).
    check: Mutex<Option<JoinHandle<Result<(), StoreError>>>>,
}

/// How to open a journal.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    /// Open a journal that does not reach its head mark as it is; what was accepted comes
    /// back to be journaled.
    pub force_rewind: bool,
    /// Run SQLite's integrity check on a thread of its own, to be waited for with
    /// [`SqliteStore::checked`] (the service replays the journal meanwhile); otherwise
    /// opening waits for it.
    pub check_in_background: bool,
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::storage(format!("opening {}", path.display()), e))?;
    let fail = |e| StoreError::storage("setting up the connection", e);
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(fail)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(fail)?;
    conn.pragma_update(None, "busy_timeout", 5000)
        .map_err(fail)?;
    // What is deleted is overwritten: an erased person's key leaves no bytes behind.
    conn.pragma_update(None, "secure_delete", "ON")
        .map_err(fail)?;
    Ok(conn)
}

fn head_of(conn: &Connection) -> Result<Head, StoreError> {
    let row = conn
        .query_row(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, i64>(0)?, schema::bytes_at(r, 1)?)),
        )
        .optional()
        .map_err(|e| StoreError::storage("reading the head", e))?;
    let Some((seq, hash)) = row else {
        return Ok(Head::start(genesis_of(conn)?));
    };
    Ok(Head {
        seq: kezek_core::model::Seq::new(u64::try_from(seq).unwrap_or(0)),
        hash: schema::hash_of(hash),
    })
}

/// The hash the journal's first record chains from (`EventLog::genesis`).
fn genesis_of(conn: &Connection) -> Result<crate::Hash, StoreError> {
    let value: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'genesis'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| StoreError::storage("reading the journal's genesis", e))?;
    match value {
        None => Ok(crate::record::GENESIS),
        Some(hex) => hex::decode(&hex)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                StoreError::Integrity(format!("the journal's genesis `{hex}` is not a hash"))
            }),
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and starts its writer, refusing a
    /// journal that is damaged or does not reach its head mark.
    ///
    /// # Errors
    /// The file cannot be opened or migrated; [`StoreError::Integrity`] for a journal that
    /// fails its checks.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, OpenOptions::default()).map(|(store, _)| store)
    }

    /// [`Self::open`] as `options` say.
    ///
    /// # Errors
    /// As [`Self::open`], except for a rewind when forced.
    pub fn open_with(
        path: &Path,
        options: OpenOptions,
    ) -> Result<(Self, Option<Rewind>), StoreError> {
        private::prepare(path)
            .map_err(|e| StoreError::storage(format!("making {} private", path.display()), e))?;
        let mut write = connect(path)?;
        schema::migrate(&mut write)?;
        let check = {
            let (conn, path) = (connect(path)?, path.to_owned());
            std::thread::Builder::new()
                .name("kezek-check".into())
                .spawn(move || check::integrity(&conn, &path))
                .map_err(|e| StoreError::storage("starting a thread", e))?
        };
        let check = if options.check_in_background {
            Some(check)
        } else {
            join(check)?;
            None
        };
        let (head, rewind) = check::on_open(&write, path, options.force_rewind)?;
        // Checkpoints run on a thread of their own: inside a commit, every 4 MiB of WAL, one
        // held up every write in flight for 50-250 ms.
        write
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(|e| StoreError::storage("setting up the connection", e))?;
        let checkpoints = connect(path)?;
        let reader = connect(path)?;
        let (tx, rx) = mpsc::channel();
        let (committed, commits) = mpsc::channel();
        let thread = |e| StoreError::storage("starting a thread", e);
        let checkpointer = std::thread::Builder::new()
            .name("kezek-checkpoint".into())
            .spawn(move || writer::checkpoint_loop(&checkpoints, &commits))
            .map_err(thread)?;
        let marks = mark::path_for(path);
        let writer = std::thread::Builder::new()
            .name("kezek-journal".into())
            .spawn(move || writer::write_loop(write, &rx, head, &committed, &marks))
            .map_err(thread)?;
        let store = Self {
            requests: Some(tx),
            reader: Mutex::new(reader),
            writer: Some(writer),
            checkpointer: Some(checkpointer),
            check: Mutex::new(check),
        };
        Ok((store, rewind))
    }

    /// Waits for the integrity check started at open, if it ran in the background.
    ///
    /// # Errors
    /// [`StoreError::Integrity`] naming what SQLite found.
    pub fn checked(&self) -> Result<(), StoreError> {
        let check = self
            .check
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        check.map_or(Ok(()), join)
    }

    /// SQLite's full integrity check (every page, every index against its table), for
    /// `kezek verify`; opening runs the quicker `quick_check`.
    ///
    /// # Errors
    /// [`StoreError::Integrity`] naming what SQLite found.
    pub fn integrity_check(&self, path: &Path) -> Result<(), StoreError> {
        check::integrity_full(&self.reader(), path)
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn join(check: JoinHandle<Result<(), StoreError>>) -> Result<(), StoreError> {
    check.join().unwrap_or_else(|_| {
        Err(StoreError::Integrity(
            "the integrity check of the journal failed unexpectedly".into(),
        ))
    })
}

impl Drop for SqliteStore {
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

impl EventLog for SqliteStore {
    fn submit(&self, batch: Append) -> Ticket {
        let (reply, ticket) = Ticket::pending();
        match &self.requests {
            Some(tx) if tx.send(Request { batch, reply }).is_ok() => ticket,
            _ => Ticket::ready(Err(StoreError::Failed)),
        }
    }

    fn read(
        &self,
        after: kezek_core::model::Seq,
        limit: usize,
    ) -> Result<Vec<crate::StoredEvent>, StoreError> {
        reads::events(&self.reader(), after, limit)
    }

    fn head(&self) -> Result<Head, StoreError> {
        head_of(&self.reader())
    }

    fn records_of(&self, kind: crate::IndexedKind) -> Result<Vec<crate::StoredEvent>, StoreError> {
        reads::records_of(&self.reader(), kind)
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
        genesis_of(&self.reader())
    }

    fn begin_after(&self, hash: crate::Hash) -> Result<(), StoreError> {
        let conn = self.reader();
        if head_of(&conn)?.seq.get() != 0 {
            return Err(StoreError::Integrity(
                "the journal holds records: it cannot continue another".into(),
            ));
        }
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('genesis', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [hex::encode(hash)],
        )
        .map(drop)
        .map_err(|e| StoreError::storage("recording the journal's genesis", e))
    }
}
