//! The journal contract, on both implementations: what is submitted comes back in order
//! with a verifying hash chain, replays into the same state, survives a reopen, and any
//! edit of a stored record stops the replay at that record.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test: a panic is a failed test"
)]
#![allow(clippy::too_many_lines, reason = "a scenario test reads top to bottom")]

use kezek_core::command::lapse::LapseOverdue;
use kezek_core::{Policy, State};
use kezek_store::memory::MemoryStore;
use kezek_store::replay::{replay, ReplayError};
use kezek_store::sqlite::SqliteStore;
use kezek_store::DocumentStore;
use kezek_store::{
    AnswerStore, ApiKeyRecord, EventLog, IdempotencyRecord, KeyStore, Store, StoreError,
};
use std::sync::Arc;

mod contract;

use contract::{append, fingerprint, sample as sample_outcomes, write_all};

#[test]
fn memory_round_trip() {
    contract::round_trip(&MemoryStore::new());
}

#[test]
fn sqlite_round_trip_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kezek.sqlite");
    contract::round_trip(&SqliteStore::open(&path).unwrap());
    // Everything acknowledged is there after a reopen, and the chain continues.
    let (state, _) = sample_outcomes();
    let journal = SqliteStore::open(&path).unwrap();
    let mut replayed = State::new(Policy::kz_2013());
    replay(&journal, &mut replayed).unwrap();
    assert_eq!(fingerprint(&replayed), fingerprint(&state));
    let next = replayed
        .execute(LapseOverdue {
            at: "2026-12-31T00:00:00Z".parse().unwrap(),
        })
        .unwrap();
    assert!(!next.is_empty());
    journal.submit(append(next)).wait().unwrap();
    drop(journal);
    let journal = SqliteStore::open(&path).unwrap();
    let mut again = State::new(Policy::kz_2013());
    replay(&journal, &mut again).unwrap();
    assert_eq!(fingerprint(&again), fingerprint(&replayed));
}

#[test]
fn a_city_sized_batch_is_stored_as_event_by_event() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("j.sqlite")).unwrap();
    contract::a_city_sized_batch_is_stored_as_event_by_event(&sqlite);
}

#[test]
fn out_of_order_batches_are_refused() {
    contract::out_of_order_is_refused(&MemoryStore::new());
    let dir = tempfile::tempdir().unwrap();
    contract::out_of_order_is_refused(&SqliteStore::open(&dir.path().join("j.sqlite")).unwrap());
}

/// The sample city in a new SQLite journal with `edit` made to it (`?1`: `seq`), opened
/// again.
fn edited(edit: &str, seq: u64) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kezek.sqlite");
    let (_, outcomes) = sample_outcomes();
    write_all(&SqliteStore::open(&path).unwrap(), &outcomes);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(edit, [i64::try_from(seq).unwrap()]).unwrap();
    drop(conn);
    let journal = SqliteStore::open(&path).unwrap();
    (dir, journal)
}

#[test]
fn any_edit_stops_the_replay_at_its_seq() {
    let cases = [
        "UPDATE events SET payload = replace(payload, 'A00', 'B00') WHERE seq = ?1",
        "UPDATE events SET at = '2020-01-01T00:00:00Z' WHERE seq = ?1",
        "UPDATE events SET actor = 'someone' WHERE seq = ?1",
        "UPDATE events SET hash = zeroblob(32) WHERE seq = ?1",
        "UPDATE events SET kind = 'withdrawn' WHERE seq = ?1",
        "DELETE FROM events WHERE seq = ?1",
    ];
    for edit in cases {
        let (_dir, journal) = edited(edit, 40);
        contract::stops_at(&journal, 40, edit);
    }
    // A referral of a round rewritten with a valid-looking chain still breaks the chain.
    let (_dir, journal) = edited("UPDATE events SET payload = replace(payload, '\"group_id\":\"G', '\"group_id\":\"H') WHERE seq = (SELECT MAX(seq) FROM events WHERE kind = 'round_run' AND seq >= ?1)", 1);
    let e = replay(&journal, &mut State::new(Policy::kz_2013())).unwrap_err();
    assert!(matches!(e, ReplayError::Corrupt { .. }), "{e}");
}

#[test]
fn concurrent_writers_share_commits_and_keep_order() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Arc::new(SqliteStore::open(&dir.path().join("j.sqlite")).unwrap());
    let n = sample_outcomes().0.last_seq().get();
    contract::concurrent_writers_keep_order(&(journal as Arc<dyn EventLog + Send + Sync>), n);
}

#[test]
fn idempotency_and_keys_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.sqlite");
    let (_, outcomes) = sample_outcomes();
    let record = IdempotencyRecord {
        actor: "k1".into(),
        key: "abc".into(),
        request_hash: [7; 32],
        status: 201,
        body: b"{}".to_vec(),
        signature: "s1".into(),
    };
    let key = ApiKeyRecord {
        key_id: "k1".into(),
        token_hash: [9; 32],
        role: "staff".into(),
        scope: vec!["D01".into()],
        created_at: "2026-01-01T00:00:00Z".into(),
        expires_at: Some("2027-01-01T00:00:00Z".into()),
        revoked_at: None,
        official: None,
        signature: "s2".into(),
    };
    for journal in [
        Box::new(MemoryStore::new()) as Box<dyn Store>,
        Box::new(SqliteStore::open(&path).unwrap()),
    ] {
        let mut batch = append(outcomes[0].clone());
        batch.idempotency = Some(record.clone());
        journal.submit(batch).wait().unwrap();
        assert_eq!(journal.answer("k1", "abc").unwrap(), Some(record.clone()));
        assert_eq!(journal.answer("k2", "abc").unwrap(), None);
        journal.put_key(&key).unwrap();
        assert!(
            matches!(journal.put_key(&key), Err(StoreError::Duplicate(_))),
            "a key id is stored once"
        );
        assert_eq!(journal.keys().unwrap(), vec![key.clone()]);
        // A revocation replaces the record, and the keys' version moves with every change.
        let before = journal.keys_version().unwrap();
        let mut revoked = key.clone();
        revoked.revoked_at = Some("2026-06-01T00:00:00Z".into());
        revoked.signature = "s3".into();
        assert!(journal.update_key(&revoked).unwrap());
        let mut unknown = revoked.clone();
        unknown.key_id = "k9".into();
        assert!(!journal.update_key(&unknown).unwrap());
        assert!(journal.keys_version().unwrap() > before);
        assert_eq!(journal.keys().unwrap(), vec![revoked.clone()]);
        assert!(journal.update_key(&key).unwrap());
    }
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.answer("k1", "abc").unwrap(), Some(record));
    assert_eq!(reopened.keys().unwrap(), vec![key]);
    // A row deleted by hand moves the version too (a trigger), so a running server notices.
    let before = reopened.keys_version().unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("DELETE FROM api_keys", [])
        .unwrap();
    assert!(reopened.keys_version().unwrap() > before);
}

#[test]
fn a_storage_error_keeps_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the database file should be: SQLite cannot open it.
    let path = dir.path().join("kezek.sqlite");
    std::fs::create_dir(&path).unwrap();
    let Err(e) = SqliteStore::open(&path) else {
        panic!("a directory opened as a database")
    };
    assert!(matches!(e, StoreError::Storage { .. }), "{e:?}");
    let cause = std::error::Error::source(&e).expect("the driver's error is kept");
    assert!(!cause.to_string().is_empty());
}

#[test]
fn sessions_and_budgets_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    contract::sessions_and_budgets(&MemoryStore::new(), false);
    contract::sessions_and_budgets(
        &SqliteStore::open(&dir.path().join("s.sqlite")).unwrap(),
        false,
    );
}

#[test]
fn an_erasure_takes_out_what_it_forgets() {
    let dir = tempfile::tempdir().unwrap();
    contract::forget(&MemoryStore::new());
    contract::forget(&SqliteStore::open(&dir.path().join("f.sqlite")).unwrap());
}

#[test]
fn persons_keys_are_made_and_erased_with_their_batch_and_leave_no_bytes() {
    let dir = tempfile::tempdir().unwrap();
    contract::person_keys(&MemoryStore::new());
    let path = dir.path().join("k.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    assert!(
        store.seals().unwrap(),
        "a journal begun by this Kezek seals"
    );
    contract::person_keys(&store);
    // The erased key's bytes are in no file of the journal (the database overwritten where
    // it was, the WAL emptied); a key kept still is, as the search can tell.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(std::fs::read(dir.path().join("k.sqlite-wal")).unwrap_or_default());
    let holds = |key: &[u8]| bytes.windows(key.len()).any(|w| w == key);
    assert!(
        holds(&contract::person_key(1)),
        "the search finds a kept key"
    );
    assert!(
        !holds(&contract::person_key(2)),
        "the erased key's bytes are gone"
    );
    drop(store);
}

#[test]
fn a_journal_with_records_before_sealing_keeps_them_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    store.submit(contract::batch(1)).wait().unwrap();
    drop(store);
    // As a Kezek before sealing left it: records, and the schema one step behind.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DELETE FROM meta WHERE key = 'seals'; DROP INDEX documents_application;
         ALTER TABLE documents DROP COLUMN application_id; PRAGMA user_version = 14;
         INSERT INTO documents (id, body) VALUES
            ('doc-1', CAST('{\"application_id\":\"A1\",\"id\":\"doc-1\"}' AS BLOB)),
            ('doc-1.p7s', X'3082'), ('doc-2', X'00ff');",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    assert!(!store.seals().unwrap());
    assert_eq!(store.head().unwrap().seq.get(), 1);
    // Documents stored before know their application now: an erasure finds them.
    let mut erase = contract::batch(2);
    erase.forget.applications = vec!["A1".into()];
    erase.forget.at = "2031-01-01T00:00:00Z".into();
    store.submit(erase).wait().unwrap();
    let first = store.document("doc-1").unwrap().unwrap();
    assert!(kezek_store::forget::erased_at(&first).is_some());
    assert_eq!(store.document("doc-1.p7s").unwrap(), None);
    assert_eq!(store.document("doc-2").unwrap(), Some(vec![0, 0xff]));
}

#[test]
fn proof_files_are_stored_with_their_batch() {
    let dir = tempfile::tempdir().unwrap();
    contract::proof_files(&MemoryStore::new());
    contract::proof_files(&SqliteStore::open(&dir.path().join("f.sqlite")).unwrap());
}

#[test]
fn notifications_are_found_by_application() {
    let dir = tempfile::tempdir().unwrap();
    contract::notifications_by_application(&MemoryStore::new());
    contract::notifications_by_application(
        &SqliteStore::open(&dir.path().join("n.sqlite")).unwrap(),
    );
}
