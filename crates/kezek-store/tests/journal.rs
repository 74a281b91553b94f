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

use kezek_core::city::load_city;
use kezek_core::command::lapse::LapseOverdue;
use kezek_core::command::round::RunRound;
use kezek_core::dataset::{parse_applications, parse_groups};
use kezek_core::model::{RoundId, Seq};
use kezek_core::{Event, Policy, State};
use kezek_store::memory::MemoryStore;
use kezek_store::replay::{replay, ReplayError};
use kezek_store::sqlite::SqliteStore;
use kezek_store::{
    AnswerStore, ApiKeyRecord, Append, EventLog, IdempotencyRecord, KeyStore, Store, StoreError,
};
use std::sync::{Arc, Mutex};

/// The sample city's events, one Outcome per command, plus one round per district.
fn sample_outcomes() -> (State, Vec<Vec<(Seq, Event)>>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/sample");
    let groups = parse_groups(&std::fs::read(format!("{dir}/groups.csv")).unwrap()).unwrap();
    let apps = parse_applications(
        &std::fs::read(format!("{dir}/applications.csv")).unwrap(),
        3,
    )
    .unwrap();
    let mut state = State::new(Policy::kz_2013());
    let mut outcomes = Vec::new();
    load_city(&mut state, &groups, apps, &mut |o| outcomes.push(o)).unwrap();
    let districts: Vec<_> = state.districts().map(|(_, d)| d.id.clone()).collect();
    for (i, district) in districts.into_iter().enumerate() {
        let cmd = RunRound {
            round_id: RoundId::parse(&format!("r{i}")).unwrap(),
            district,
            academic_year: Some(2026),
            at: "2026-08-31T10:00:00Z".parse().unwrap(),
        };
        outcomes.push(state.execute(cmd).unwrap());
    }
    (state, outcomes)
}

fn fingerprint(s: &State) -> String {
    let numbers: Vec<_> = s
        .applications()
        .map(|(a, _)| (s.queue_number(a), s.positions(a, 2026)))
        .collect();
    format!(
        "{:?} {:?} {:?} {numbers:?}",
        s.last_seq(),
        s.kindergartens().collect::<Vec<_>>(),
        s.referrals().collect::<Vec<_>>()
    )
}

fn append(events: Vec<(Seq, Event)>) -> Append {
    Append {
        events,
        at: "2026-08-31T10:00:00Z".into(),
        actor: "test".into(),
        idempotency: None,
        documents: Vec::new(),
        notifications: Vec::new(),
        copied: Vec::new(),
    }
}

fn write_all(journal: &dyn EventLog, outcomes: &[Vec<(Seq, Event)>]) {
    for o in outcomes {
        journal.submit(append(o.clone())).wait().unwrap();
    }
}

fn check_round_trip(journal: &dyn EventLog) {
    let (state, outcomes) = sample_outcomes();
    write_all(journal, &outcomes);
    let head = journal.head().unwrap();
    assert_eq!(head.seq, state.last_seq());
    let all = journal.read(Seq::default(), usize::MAX).unwrap();
    assert_eq!(all.len() as u64, state.last_seq().get());
    assert_eq!(
        journal
            .read(Seq::new(5), 3)
            .unwrap()
            .iter()
            .map(|r| r.seq.get())
            .collect::<Vec<_>>(),
        vec![6, 7, 8]
    );
    let mut replayed = State::new(Policy::kz_2013());
    assert_eq!(replay(journal, &mut replayed).unwrap(), state.last_seq());
    assert_eq!(fingerprint(&replayed), fingerprint(&state));
}

#[test]
fn memory_round_trip() {
    check_round_trip(&MemoryStore::new());
}

#[test]
fn sqlite_round_trip_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kezek.sqlite");
    check_round_trip(&SqliteStore::open(&path).unwrap());
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

/// A batch as large as a city's (its payloads encoded on a thread of their own, a page
/// ahead of the inserts) is stored record for record as the memory store, which encodes
/// each event as it chains it, stores it — and the next batch chains on.
#[test]
fn a_city_sized_batch_is_stored_as_event_by_event() {
    let (_, outcomes) = sample_outcomes();
    let mut events: Vec<(Seq, Event)> = outcomes.into_iter().flatten().collect();
    let at: jiff::Timestamp = "2026-09-01T00:00:00Z".parse().unwrap();
    while events.len() < 5000 {
        let seq = Seq::new(events.len() as u64 + 1);
        let key_id = format!("k{}", events.len());
        events.push((seq, Event::KeyRevoked { key_id, at }));
    }
    let next = Seq::new(events.len() as u64 + 1);
    let last = vec![(
        next,
        Event::KeyRevoked {
            key_id: "last".into(),
            at,
        },
    )];
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("j.sqlite")).unwrap();
    let memory = MemoryStore::new();
    for journal in [&sqlite as &dyn EventLog, &memory] {
        journal.submit(append(events.clone())).wait().unwrap();
        journal.submit(append(last.clone())).wait().unwrap();
    }
    let stored = sqlite.read(Seq::default(), usize::MAX).unwrap();
    assert_eq!(stored.len(), 5001);
    assert_eq!(stored, memory.read(Seq::default(), usize::MAX).unwrap());
    assert_eq!(sqlite.head().unwrap(), memory.head().unwrap());
}

#[test]
fn out_of_order_batches_are_refused() {
    let (_, outcomes) = sample_outcomes();
    let journal = MemoryStore::new();
    assert!(journal.submit(append(outcomes[1].clone())).wait().is_err());
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("j.sqlite")).unwrap();
    assert!(sqlite.submit(append(outcomes[1].clone())).wait().is_err());
    sqlite.submit(append(outcomes[0].clone())).wait().unwrap();
    assert_eq!(sqlite.head().unwrap().seq, outcomes[0].last().unwrap().0);
}

fn corrupt_at(edit: &str, seq: u64) -> ReplayError {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kezek.sqlite");
    let (_, outcomes) = sample_outcomes();
    write_all(&SqliteStore::open(&path).unwrap(), &outcomes);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(edit, [i64::try_from(seq).unwrap()]).unwrap();
    drop(conn);
    let journal = SqliteStore::open(&path).unwrap();
    replay(&journal, &mut State::new(Policy::kz_2013())).unwrap_err()
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
        match corrupt_at(edit, 40) {
            ReplayError::Corrupt { seq, message } => {
                assert_eq!(seq, Seq::new(40), "{edit}: {message}");
            }
            e @ ReplayError::Store(_) => panic!("{edit}: {e}"),
        }
    }
    // A referral of a round rewritten with a valid-looking chain still breaks the chain.
    let e = corrupt_at("UPDATE events SET payload = replace(payload, '\"group_id\":\"G', '\"group_id\":\"H') WHERE seq = (SELECT MAX(seq) FROM events WHERE kind = 'round_run' AND seq >= ?1)", 1);
    assert!(matches!(e, ReplayError::Corrupt { .. }), "{e}");
}

#[test]
fn concurrent_writers_share_commits_and_keep_order() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Arc::new(SqliteStore::open(&dir.path().join("j.sqlite")).unwrap());
    let (_, outcomes) = sample_outcomes();
    let queue = Arc::new(Mutex::new(outcomes.into_iter()));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (journal, queue) = (Arc::clone(&journal), Arc::clone(&queue));
            std::thread::spawn(move || loop {
                // Submission happens in seq order under the lock (as the service does with
                // the core); waiting for durability happens outside it, concurrently.
                let ticket = {
                    let mut q = queue.lock().unwrap();
                    match q.next() {
                        Some(o) => journal.submit(append(o)),
                        None => break,
                    }
                };
                ticket.wait().unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut replayed = State::new(Policy::kz_2013());
    let last = replay(journal.as_ref(), &mut replayed).unwrap();
    assert_eq!(last, sample_outcomes().0.last_seq());
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
