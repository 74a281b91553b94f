//! The journal contract every backend keeps, written once and run on each (`journal.rs`:
//! memory and SQLite; `postgres.rs`): what is submitted comes back in order and replays into
//! the same state; a batch out of order is refused alone; concurrent writers keep the order;
//! a batch as large as a city's is stored record for record as the memory store stores it;
//! an edited record stops a replay at its seq.

#![allow(
    dead_code,
    reason = "each backend's test binary uses the part it needs"
)]

use kezek_core::city::load_city;
use kezek_core::command::round::RunRound;
use kezek_core::dataset::{parse_applications, parse_groups};
use kezek_core::model::{RoundId, Seq};
use kezek_core::{Event, Policy, State};
use kezek_store::memory::MemoryStore;
use kezek_store::replay::{replay, ReplayError};
use kezek_store::{Append, DocumentStore, EventLog, StoreError};
use std::sync::{Arc, Mutex};

/// The sample city's events, one batch per command, and a round per district after them.
pub fn sample() -> (State, Vec<Vec<(Seq, Event)>>) {
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

/// Journal record `seq` of the sample city, alone in a batch.
pub fn batch(seq: u64) -> Append {
    static CITY: std::sync::OnceLock<Vec<(Seq, Event)>> = std::sync::OnceLock::new();
    let city = CITY.get_or_init(|| sample().1.into_iter().flatten().collect());
    append(vec![city[usize::try_from(seq).unwrap() - 1].clone()])
}

/// `events` as a batch of the test's.
pub fn append(events: Vec<(Seq, Event)>) -> Append {
    Append {
        events,
        at: "2026-08-31T10:00:00Z".into(),
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

/// What a state holds, to compare two.
pub fn fingerprint(s: &State) -> String {
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

/// Every batch of `outcomes`, in order, each waited for.
pub fn write_all(journal: &dyn EventLog, outcomes: &[Vec<(Seq, Event)>]) {
    for o in outcomes {
        journal.submit(append(o.clone())).wait().unwrap();
    }
}

/// The sample city written, read back a page at a time, replayed into the same state.
pub fn round_trip(journal: &dyn EventLog) {
    let (state, outcomes) = sample();
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

/// A batch that does not follow the head is refused, and the journal takes the right one.
pub fn out_of_order_is_refused(journal: &dyn EventLog) {
    assert!(matches!(
        journal.submit(batch(2)).wait(),
        Err(StoreError::Order(_))
    ));
    journal.submit(batch(1)).wait().unwrap();
    assert_eq!(journal.head().unwrap().seq, Seq::new(1));
}

/// Eight threads submitting the first `n` records in seq order under one lock (as the
/// service does under the state's) and waiting for them outside it: every record lands, in
/// order.
pub fn concurrent_writers_keep_order(journal: &Arc<dyn EventLog + Send + Sync>, n: u64) {
    let next = Arc::new(Mutex::new(1_u64));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (journal, next) = (Arc::clone(journal), Arc::clone(&next));
            std::thread::spawn(move || loop {
                let ticket = {
                    let mut seq = next.lock().unwrap();
                    if *seq > n {
                        break;
                    }
                    *seq += 1;
                    journal.submit(batch(*seq - 1))
                };
                ticket.wait().unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let last = replay(journal.as_ref(), &mut State::new(Policy::kz_2013())).unwrap();
    assert_eq!(last, Seq::new(n));
}

/// A batch of 5,000 events (a city import: its payloads encoded a page ahead, or half on
/// each core) is stored record for record as the memory store, which encodes each event as
/// it chains it, stores it — and the next batch chains on.
pub fn a_city_sized_batch_is_stored_as_event_by_event(journal: &dyn EventLog) {
    let at: jiff::Timestamp = "2026-09-01T00:00:00Z".parse().unwrap();
    let revoked = |n: u64| {
        let key_id = format!("k{n}");
        (Seq::new(n), Event::KeyRevoked { key_id, at })
    };
    let events: Vec<(Seq, Event)> = (1..=5000).map(revoked).collect();
    let last = vec![revoked(5001)];
    let memory = MemoryStore::new();
    for j in [journal, &memory] {
        j.submit(append(events.clone())).wait().unwrap();
        j.submit(append(last.clone())).wait().unwrap();
    }
    let stored = journal.read(Seq::default(), usize::MAX).unwrap();
    assert_eq!(stored.len(), 5001);
    assert_eq!(stored, memory.read(Seq::default(), usize::MAX).unwrap());
    assert_eq!(journal.head().unwrap(), memory.head().unwrap());
}

/// A replay of a journal whose record `seq` was changed by `edit` stops at that record.
pub fn stops_at(journal: &dyn EventLog, seq: u64, edit: &str) {
    match replay(journal, &mut State::new(Policy::kz_2013())).unwrap_err() {
        ReplayError::Corrupt { seq: at, message } => {
            assert_eq!(at, Seq::new(seq), "{edit}: {message}");
        }
        e @ ReplayError::Store(_) => panic!("{edit}: {e}"),
    }
}

/// Sessions: stored, found by their id's hash, ended once, and the ended ones forgotten
/// when a new one is stored; and a budget's uses counted per bucket and minute when the
/// store counts them.
pub fn sessions_and_budgets(store: &dyn kezek_store::Store, shared: bool) {
    use kezek_store::SessionRecord;
    let session = |n: u8, expires: i64| SessionRecord {
        id_hash: [n; 32],
        key_hash: [n + 100; 32],
        expires,
    };
    store.put_session(&session(1, 100), 0).unwrap();
    store.put_session(&session(2, 50), 0).unwrap();
    assert_eq!(store.session(&[1; 32]).unwrap(), Some(session(1, 100)));
    assert!(store.end_session(&[1; 32]).unwrap());
    assert!(!store.end_session(&[1; 32]).unwrap(), "ended once");
    assert_eq!(store.session(&[1; 32]).unwrap(), None);
    // A new session at 60 forgets the one that ended at 50.
    store.put_session(&session(3, 200), 60).unwrap();
    assert_eq!(store.session(&[2; 32]).unwrap(), None);
    assert_eq!(store.session(&[3; 32]).unwrap(), Some(session(3, 200)));
    // A count in a minute ahead of now (an assertion's, in the minute it expires) leaves
    // the current minute's counts as they are; a minute long past is forgotten.
    let counts: Vec<Option<u32>> = [
        ("a", 7),
        ("a", 7),
        ("b", 7),
        ("a", 8),
        ("jti", 12),
        ("a", 8),
        ("jti", 12),
        ("c", 30),
        ("a", 8),
    ]
    .iter()
    .map(|(b, w)| store.spend(b, *w).unwrap())
    .collect();
    if shared {
        assert_eq!(
            counts,
            [
                Some(1),
                Some(2),
                Some(1),
                Some(1),
                Some(1),
                Some(2),
                Some(2),
                Some(1),
                Some(1)
            ]
        );
    } else {
        assert!(counts.iter().all(Option::is_none));
    }
}

/// An application's notifications, found by its id in id order (the family's page), on a
/// store that leads.
pub fn notifications_by_application(store: &dyn kezek_store::Store) {
    let mut b = batch(1);
    b.notifications = ["A1", "A2", "A1"]
        .iter()
        .enumerate()
        .map(|(i, a)| kezek_store::NewNotification {
            application_id: (*a).to_owned(),
            kind: format!("k{i}"),
            body: b"{}".to_vec(),
        })
        .collect();
    store.submit(b).wait().unwrap();
    let kinds = |limit| -> Vec<String> {
        store
            .notifications_of("A1", limit)
            .unwrap()
            .into_iter()
            .map(|n| n.kind)
            .collect()
    };
    assert_eq!(kinds(10), ["k0", "k2"]);
    assert_eq!(kinds(1), ["k0"]);
    assert!(store.notifications_of("A9", 10).unwrap().is_empty());
}

/// Proof files are stored with their batch, byte for byte (one of 10 MiB too), read by id
/// and paged in id order; an id stored before keeps its first bytes; a copy carries them.
pub fn proof_files(store: &dyn kezek_store::Store) {
    let mut large = b"%PDF-1.7\n".to_vec();
    large.extend((0..10 * 1024 * 1024 - 9).map(|i: usize| u8::try_from(i % 251).unwrap()));
    let mut b = batch(1);
    b.files = vec![
        ("Fb".to_owned(), large.clone()),
        ("Fa".to_owned(), b"\x89PNG\r\n\x1a\nsmall".to_vec()),
    ];
    store.submit(b).wait().unwrap();
    let mut again = batch(2);
    again.files = vec![("Fa".to_owned(), b"other bytes".to_vec())];
    store.submit(again).wait().unwrap();
    assert_eq!(
        store.file("Fa").unwrap().as_deref(),
        Some(&b"\x89PNG\r\n\x1a\nsmall"[..])
    );
    assert_eq!(
        store.file("Fb").unwrap().map(|f| f.len()),
        Some(large.len())
    );
    assert_eq!(store.file("Fb").unwrap().unwrap(), large);
    assert_eq!(store.file("Fc").unwrap(), None);
    let ids = |after: &str, limit| -> Vec<String> {
        let page = store.files(after, limit).unwrap();
        page.into_iter().map(|(id, _)| id).collect()
    };
    assert_eq!(ids("", 1), ["Fa"]);
    assert_eq!(ids("Fa", 8), ["Fb"]);
    assert!(ids("Fb", 8).is_empty());
    let copy = MemoryStore::new();
    let copied = kezek_store::copy::copy(store, &copy).unwrap();
    assert_eq!(copied.files, 2);
    assert_eq!(copy.file("Fb").unwrap().unwrap(), large);
}

/// Persons' data keys: made with their batch (the first kept when made twice), read a page
/// at a time in id order, copied by a migration, and gone once a later batch erases them.
pub fn person_keys(store: &dyn kezek_store::Store) {
    let key = person_key;
    let mut b = batch(1);
    let (ka, kb, kc) = (key_id(0xa), key_id(0xb), key_id(0xc));
    b.keys.made = vec![(kb.clone(), key(2)), (ka.clone(), key(1))];
    store.submit(b).wait().unwrap();
    let mut again = batch(2);
    again.keys.made = vec![(ka.clone(), key(9)), (kc.clone(), key(3))];
    store.submit(again).wait().unwrap();
    let all = store.person_keys("", 10).unwrap();
    assert_eq!(
        all,
        [
            (ka.clone(), key(1)),
            (kb.clone(), key(2)),
            (kc.clone(), key(3))
        ]
    );
    assert_eq!(store.person_keys(&ka, 1).unwrap(), [(kb.clone(), key(2))]);
    let copy = MemoryStore::new();
    assert_eq!(
        kezek_store::copy::copy(store, &copy).unwrap().person_keys,
        3
    );
    assert_eq!(copy.person_keys("", 10).unwrap(), all);
    assert_eq!(
        copy.seals().unwrap(),
        store.seals().unwrap(),
        "a copy seals as its source does"
    );
    let mut erase = batch(3);
    let tombstone = kezek_store::sealing::KeyRow::Erased {
        stand_in: kezek_core::public::stand_in_from(0).unwrap().1,
    }
    .body();
    erase.keys.erased = vec![(kb.clone(), tombstone.clone())];
    store.submit(erase).wait().unwrap();
    assert_eq!(
        store.person_keys("", 10).unwrap(),
        [(ka, key(1)), (kb, tombstone), (kc, key(3))],
        "the erased key's row is its tombstone"
    );
}

/// An erasure's batch takes out what it forgets: the application's documents become
/// tombstones (their detached signatures go), its notifications and the proof files named
/// go; another application's stay.
pub fn forget(store: &dyn kezek_store::Store) {
    let doc = |id: &str, app: &str| {
        (
            id.to_owned(),
            format!(
                r#"{{"application_id":"{app}","body":{{"child_name":"Aruzhan"}},"id":"{id}"}}"#
            )
            .into_bytes(),
        )
    };
    let mut b = batch(1);
    b.documents = vec![
        doc("doc-1", "A1"),
        ("doc-1.p7s".to_owned(), b"\x30\x82cms".to_vec()),
        doc("doc-2", "A2"),
    ];
    b.files = vec![
        ("Fa".to_owned(), b"%PDF-1.7 a".to_vec()),
        ("Fb".to_owned(), b"%PDF-1.7 b".to_vec()),
    ];
    b.notifications = ["A1", "A2"]
        .iter()
        .map(|a| kezek_store::NewNotification {
            application_id: (*a).to_owned(),
            kind: "queue_notification".into(),
            body: br#"{"child_name":"Aruzhan"}"#.to_vec(),
        })
        .collect();
    store.submit(b).wait().unwrap();
    let mut erase = batch(2);
    erase.forget = kezek_store::forget::Forget {
        applications: vec!["A1".into()],
        files: vec!["Fa".into()],
        at: "2031-03-01T00:00:00Z".into(),
    };
    store.submit(erase).wait().unwrap();
    let first = store.document("doc-1").unwrap().unwrap();
    assert_eq!(
        kezek_store::forget::erased_at(&first).as_deref(),
        Some("2031-03-01T00:00:00Z")
    );
    assert!(!String::from_utf8_lossy(&first).contains("Aruzhan"));
    assert_eq!(store.document("doc-1.p7s").unwrap(), None);
    assert_eq!(store.document("doc-2").unwrap(), Some(doc("doc-2", "A2").1));
    assert_eq!(store.file("Fa").unwrap(), None);
    assert!(store.file("Fb").unwrap().is_some());
    let told: Vec<String> = store
        .notifications(0, 10)
        .unwrap()
        .into_iter()
        .filter(|n| !n.body.is_empty())
        .map(|n| n.application_id)
        .collect();
    assert_eq!(told, ["A2"]);
}

/// A person's key of the contract: 32 bytes no other part of a journal holds.
pub fn person_key(n: u8) -> Vec<u8> {
    let key: Vec<u8> = (0..32u8)
        .map(|i| n.wrapping_mul(97).wrapping_add(i.wrapping_mul(37)) ^ 0xa5)
        .collect();
    kezek_store::sealing::KeyRow::Held {
        key: key.try_into().unwrap(),
        person: kezek_core::model::Iin::compose(jiff::civil::date(1990, 1, 1), false, u16::from(n))
            .unwrap(),
    }
    .body()
}

/// The id of the contract's key `n`.
pub fn key_id(n: u64) -> String {
    kezek_store::sealing::id_text(n)
}
