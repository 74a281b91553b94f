//! What opening the journal checks before anything is replayed: SQLite's own integrity check,
//! and that the journal reaches its head mark ([`super::mark`]) and passes through the mark's
//! hash. A journal that fails is refused with both heads named, unless the operator accepts
//! it as it is (`--force-rewind`), which the service then records in the journal.

use super::{head_of, mark, schema};
use crate::{Head, StoreError};
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;

/// What the operator accepted by opening a journal that does not reach its mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewind {
    /// The head the mark named (`None`: the mark was missing or unreadable).
    pub mark: Option<Head>,
    /// The head the journal has.
    pub journal: Head,
    /// What was wrong, in words.
    pub problem: String,
}

/// The key, in the `meta` table, saying that this journal has a head mark.
const MARKED: &str = "head_mark";

fn failed(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::storage(what, e)
}

fn describe(h: &Head) -> String {
    format!("seq {} (hash {})", h.seq, hex::encode(h.hash))
}

/// SQLite's `quick_check`: the database's pages and indexes are whole.
///
/// # Errors
/// [`StoreError::Integrity`] naming what SQLite found.
pub(super) fn integrity(conn: &Connection, db: &Path) -> Result<(), StoreError> {
    run_check(conn, db, "PRAGMA quick_check(20)")
}

/// SQLite's `integrity_check`: `quick_check`, and every index against its table.
///
/// # Errors
/// [`StoreError::Integrity`] naming what SQLite found.
pub(super) fn integrity_full(conn: &Connection, db: &Path) -> Result<(), StoreError> {
    run_check(conn, db, "PRAGMA integrity_check(20)")
}

fn run_check(conn: &Connection, db: &Path, pragma: &str) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare(pragma)
        .map_err(failed("checking the database"))?;
    let found: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(failed("checking the database"))?
        .collect::<Result<_, _>>()
        .map_err(failed("checking the database"))?;
    if found == ["ok"] {
        return Ok(());
    }
    Err(StoreError::Integrity(format!(
        "{} is damaged; SQLite's integrity check says: {}. Refusing to open it: restore the \
         data directory from a backup (docs/operations.md).",
        db.display(),
        found.join("; ")
    )))
}

/// Whether this journal was given a head mark before.
fn marked(conn: &Connection) -> Result<bool, StoreError> {
    // A journal opened read-only before its migration has no `meta` table yet.
    let has_meta = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |_| Ok(()),
        )
        .optional()
        .map_err(failed("reading the journal's settings"))?
        .is_some();
    if !has_meta {
        return Ok(false);
    }
    conn.query_row("SELECT 1 FROM meta WHERE key = ?1", [MARKED], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
        .map_err(failed("reading the journal's settings"))
}

/// Notes in the journal that it has a head mark from now on.
pub(super) fn set_marked(conn: &Connection) -> Result<(), StoreError> {
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
        [MARKED, mark::FILE],
    )
    .map(|_| ())
    .map_err(failed("writing the journal's settings"))
}

/// The hash of the event at `seq`, if the journal has one.
fn hash_at(conn: &Connection, seq: u64) -> Result<Option<crate::Hash>, StoreError> {
    let seq = i64::try_from(seq).map_err(|e| StoreError::storage("reading an event", e))?;
    conn.query_row("SELECT hash FROM events WHERE seq = ?1", [seq], |r| {
        schema::bytes_at(r, 0)
    })
    .optional()
    .map(|h| h.map(schema::hash_of))
    .map_err(failed("reading an event"))
}

/// The journal's head, and what is wrong between it and its mark, if anything. The mark is
/// read first: another process may be writing (a server, while `kezek backup` or `kezek keys`
/// runs), and a head read after the mark is never behind it unless something is wrong.
fn head_and_problem(conn: &Connection, db: &Path) -> Result<(Head, Option<Rewind>), StoreError> {
    let path = mark::path_for(db);
    let found = mark::read(&path);
    let head = head_of(conn)?;
    Ok((head, problem(conn, &path, head, found)?))
}

/// What is wrong between the journal's `head` and its mark at `path` (read as `found`).
fn problem(
    conn: &Connection,
    path: &Path,
    head: Head,
    found: Result<Option<Head>, String>,
) -> Result<Option<Rewind>, StoreError> {
    let rewind = |mark, problem| {
        Some(Rewind {
            mark,
            journal: head,
            problem,
        })
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => return Ok(rewind(None, e)),
    };
    let Some(m) = found else {
        if marked(conn)? {
            let problem = format!(
                "the journal ends at {} but its head mark {} is missing, and the journal says it \
                 had one",
                describe(&head),
                path.display()
            );
            return Ok(rewind(None, problem));
        }
        return Ok(None);
    };
    if m.seq > head.seq {
        let problem = format!(
            "the journal ends at {} but its head mark says {} was durable: {} acknowledged \
             events are missing (a damaged WAL, or a database copied without its WAL)",
            describe(&head),
            describe(&m),
            m.seq.get() - head.seq.get()
        );
        return Ok(rewind(Some(m), problem));
    }
    let at = if m.seq == head.seq {
        Some(head.hash)
    } else {
        hash_at(conn, m.seq.get())?
    };
    if m.seq.get() > 0 && at != Some(m.hash) {
        let problem = format!(
            "the journal at seq {} has hash {} but its head mark says {}: the history was \
             rewritten",
            m.seq,
            at.map_or_else(|| "(none)".to_owned(), hex::encode),
            describe(&m)
        );
        return Ok(rewind(Some(m), problem));
    }
    Ok(None)
}

/// Checks the journal at `db` on `conn` before it is used: its head against the head mark
/// (SQLite's integrity check is the caller's, see [`super::SqliteStore::open_with`]). A journal that passes gets a mark of its current head. One that does not
/// is refused, or, with `force_rewind`, accepted as it is: the [`Rewind`] comes back for the
/// service to journal, and the mark is left as it was until then.
///
/// # Errors
/// [`StoreError::Integrity`] naming both heads and what to do.
pub(super) fn on_open(
    conn: &Connection,
    db: &Path,
    force_rewind: bool,
) -> Result<(Head, Option<Rewind>), StoreError> {
    let (head, problem) = head_and_problem(conn, db)?;
    match problem {
        None => {
            mark::write(&mark::path_for(db), &head)
                .map_err(|e| StoreError::storage("writing the head mark", e))?;
            set_marked(conn)?;
            Ok((head, None))
        }
        Some(rewind) if force_rewind => Ok((head, Some(rewind))),
        Some(rewind) => Err(StoreError::Integrity(format!(
            "refusing to open {}: {}. Restore the data directory from a backup \
             (docs/operations.md), or, to go on from the journal as it is and record that in \
             it, start once with --force-rewind.",
            db.display(),
            rewind.problem
        ))),
    }
}

/// The same checks, reading only (for a backup or a verification of a journal in use).
///
/// # Errors
/// [`StoreError::Integrity`] naming both heads.
pub(super) fn read_only(conn: &Connection, db: &Path) -> Result<Head, StoreError> {
    integrity(conn, db)?;
    let (head, problem) = head_and_problem(conn, db)?;
    match problem {
        None => Ok(head),
        Some(rewind) => Err(StoreError::Integrity(format!(
            "{}: {}",
            db.display(),
            rewind.problem
        ))),
    }
}
