//! A journal that lost its end, or had its history rewritten, is refused at open with both
//! heads named, however cleanly SQLite opens it: a WAL with a damaged frame, a database
//! copied without its WAL, an event edited in place, a damaged page. A forced open accepts
//! it and says what was accepted. A backup taken while writing is consistent and opens.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test: a panic is a failed test"
)]

use kezek_core::model::Seq;
use kezek_core::Event;
use kezek_store::sqlite::{backup, mark, OpenOptions, SqliteStore};
use kezek_store::{Append, EventLog, StoreError};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

fn batch(seq: u64) -> Append {
    Append {
        events: vec![(
            Seq::new(seq),
            Event::Withdrawn {
                application_id: format!("a-{seq}").parse().unwrap(),
                at: "2026-01-01T00:00:00Z".parse().unwrap(),
            },
        )],
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

fn write(store: &SqliteStore, seqs: std::ops::RangeInclusive<u64>) {
    for s in seqs {
        store.submit(batch(s)).wait().unwrap();
    }
}

/// Copies the journal's files (`with_wal`: its WAL too) and its mark into a new directory.
fn copy(db: &Path, with_wal: bool) -> (tempfile::TempDir, PathBuf) {
    let to = tempfile::tempdir().unwrap();
    let target = to.path().join("kezek.sqlite");
    std::fs::copy(db, &target).unwrap();
    let wal = db.with_extension("sqlite-wal");
    if with_wal && wal.exists() {
        std::fs::copy(&wal, target.with_extension("sqlite-wal")).unwrap();
    }
    std::fs::copy(mark::path_for(db), mark::path_for(&target)).unwrap();
    (to, target)
}

/// A journal of seqs 1..=10 whose seqs 4..=10 are only in the WAL: seqs 1..=3 are
/// checkpointed into the database, then a reader holding a read transaction since seq 3 keeps
/// the checkpoints from copying the later ones.
/// Returns the directory, the journal's path, the store and the reader (keep both open).
fn journal_with_a_wal() -> (tempfile::TempDir, PathBuf, SqliteStore, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kezek.sqlite");
    let store = SqliteStore::open(&db).unwrap();
    write(&store, 1..=3);
    let reader = Connection::open(&db).unwrap();
    // Seqs 1..=3 in the database file itself.
    reader
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let n: i64 = reader
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    write(&store, 4..=10);
    (dir, db, store, reader)
}

fn refusal(db: &Path) -> String {
    match SqliteStore::open(db) {
        Err(StoreError::Integrity(message)) => message,
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("opened"),
    }
}

#[test]
fn a_journal_copied_without_its_wal_is_refused_naming_both_heads() {
    let (_dir, db, _store, _reader) = journal_with_a_wal();
    let (_copy, target) = copy(&db, false);
    let message = refusal(&target);
    assert!(message.contains("ends at seq 3"), "{message}");
    assert!(message.contains("says seq 10"), "{message}");
    assert!(
        message.contains("7 acknowledged events are missing"),
        "{message}"
    );
    assert!(message.contains("--force-rewind"), "{message}");
}

#[test]
fn a_damaged_wal_frame_is_refused() {
    let (_dir, db, _store, _reader) = journal_with_a_wal();
    let (_copy, target) = copy(&db, true);
    let wal = target.with_extension("sqlite-wal");
    let mut bytes = std::fs::read(&wal).unwrap();
    // The WAL header is 32 bytes, then frames of a 24-byte header and a page: one bit in the
    // page of the second frame (frames from there on are ignored by SQLite).
    let page = usize::try_from(u32::from_be_bytes(bytes[8..12].try_into().unwrap())).unwrap();
    let at = 32 + (24 + page) + 24 + 100;
    assert!(bytes.len() > at, "the WAL holds more than one frame");
    bytes[at] ^= 0x10;
    std::fs::write(&wal, bytes).unwrap();
    let message = refusal(&target);
    assert!(message.contains("says seq 10"), "{message}");
    assert!(
        message.contains("acknowledged events are missing"),
        "{message}"
    );
}

#[test]
fn the_copy_with_its_wal_opens_with_every_event() {
    let (_dir, db, _store, _reader) = journal_with_a_wal();
    let (_copy, target) = copy(&db, true);
    let store = SqliteStore::open(&target).unwrap();
    assert_eq!(store.head().unwrap().seq, Seq::new(10));
}

#[test]
fn an_edited_event_is_refused_as_a_rewritten_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kezek.sqlite");
    write(&SqliteStore::open(&db).unwrap(), 1..=5);
    // Rewritten from seq 5 on, with a hash that is consistent in itself.
    let conn = Connection::open(&db).unwrap();
    conn.execute("UPDATE events SET hash = zeroblob(32) WHERE seq = 5", [])
        .unwrap();
    drop(conn);
    let message = refusal(&db);
    assert!(message.contains("at seq 5 has hash 0000"), "{message}");
    assert!(message.contains("rewritten"), "{message}");
}

#[test]
fn a_missing_mark_of_a_marked_journal_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kezek.sqlite");
    write(&SqliteStore::open(&db).unwrap(), 1..=2);
    std::fs::remove_file(mark::path_for(&db)).unwrap();
    let message = refusal(&db);
    assert!(message.contains("is missing"), "{message}");
}

#[test]
fn a_damaged_page_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kezek.sqlite");
    write(&SqliteStore::open(&db).unwrap(), 1..=200);
    let mut bytes = std::fs::read(&db).unwrap();
    let page = usize::from(u16::from_be_bytes(bytes[16..18].try_into().unwrap()));
    // The second page on: a b-tree page of the schema or the events.
    for b in &mut bytes[page + 8..page + 64] {
        *b = 0xff;
    }
    std::fs::write(&db, bytes).unwrap();
    assert!(SqliteStore::open(&db).is_err());
}

#[test]
fn a_forced_open_accepts_the_journal_and_says_what_was_lost() {
    let (_dir, db, _store, _reader) = journal_with_a_wal();
    let (_copy, target) = copy(&db, false);
    let forced = OpenOptions {
        force_rewind: true,
        ..OpenOptions::default()
    };
    let (store, rewind) = SqliteStore::open_with(&target, forced).unwrap();
    let rewind = rewind.unwrap();
    assert_eq!(rewind.journal.seq, Seq::new(3));
    assert_eq!(rewind.mark.unwrap().seq, Seq::new(10));
    // The mark stays until the journal moves on (the service journals the rewind first).
    assert_eq!(
        mark::read(&mark::path_for(&target)).unwrap().unwrap().seq,
        Seq::new(10)
    );
    write(&store, 4..=4);
    drop(store);
    assert_eq!(
        SqliteStore::open(&target).unwrap().head().unwrap().seq,
        Seq::new(4)
    );
}

#[test]
fn a_journal_of_an_older_kezek_gets_a_mark_at_first_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kezek.sqlite");
    write(&SqliteStore::open(&db).unwrap(), 1..=2);
    // What an older Kezek left: no mark, no note of one.
    std::fs::remove_file(mark::path_for(&db)).unwrap();
    Connection::open(&db)
        .unwrap()
        .execute("DELETE FROM meta", [])
        .unwrap();
    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(store.head().unwrap().seq, Seq::new(2));
    assert_eq!(
        mark::read(&mark::path_for(&db)).unwrap().unwrap().seq,
        Seq::new(2)
    );
}

#[test]
fn a_backup_taken_while_writing_opens_and_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kezek.sqlite");
    let store = std::sync::Arc::new(SqliteStore::open(&db).unwrap());
    write(&store, 1..=50);
    let writer = {
        let store = std::sync::Arc::clone(&store);
        std::thread::spawn(move || write(&store, 51..=400))
    };
    let to = tempfile::tempdir().unwrap();
    let copy = to.path().join("kezek.sqlite");
    let head = backup(&db, &copy).unwrap();
    writer.join().unwrap();
    assert!(head.seq >= Seq::new(50), "{head:?}");
    let reopened = SqliteStore::open(&copy).unwrap();
    assert_eq!(reopened.head().unwrap(), head);
    // Every event up to the copy's head, chained.
    let events = reopened.read(Seq::new(0), 1000).unwrap();
    assert_eq!(events.len() as u64, head.seq.get());
    assert!(backup(&db, &copy).is_err(), "never over an existing file");
}
