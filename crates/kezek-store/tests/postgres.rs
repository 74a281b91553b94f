//! The journal contract on PostgreSQL, on a private cluster this test starts: what is
//! submitted comes back in order with a verifying chain, replays into the same state,
//! survives a reconnect; any edit stops the replay at its record; answers, documents, keys
//! and notifications are kept as on SQLite. And what several nodes need: one leader at a
//! time, a follower refusing appends, a deposed leader fenced off, commits notified.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "a test: a panic is a failed test, and a scenario reads top to bottom"
)]

use kezek_core::model::Seq;
use kezek_core::{Policy, State};
use kezek_store::postgres::PgStore;
use kezek_store::replay::replay;
use kezek_store::{
    AnswerStore, ApiKeyRecord, Attempt, DocumentStore, EventLog, IdempotencyRecord, KeyStore,
    NewNotification, NotificationStore, Shared, StoreError,
};
use std::sync::Arc;

mod contract;

use contract::{append, batch, fingerprint, sample};

/// Waits (10 s at most) until `commits` has passed on `seq`.
fn told(mut commits: tokio::sync::watch::Receiver<u64>, seq: u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            commits.wait_for(|s| *s >= seq),
        )
        .await
        .expect("told within 10 s")
        .unwrap();
    });
}

/// A store on a new database, leading.
fn leading() -> (PgStore, String) {
    let url = kezek_testdb::database();
    let store = PgStore::open(&url).unwrap();
    assert!(store.try_lead("http://node-a").unwrap().is_some());
    (store, url)
}

#[test]
fn a_city_round_trips_and_survives_a_reconnect() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let (store, url) = leading();
    contract::round_trip(&store);
    let head = store.head().unwrap();
    drop(store);
    let again = PgStore::open(&url).unwrap();
    // The new leader continues the chain where the old one stopped.
    assert_eq!(again.try_lead("http://node-b").unwrap().unwrap(), head);
    let mut replayed = State::new(Policy::kz_2013());
    replay(&again, &mut replayed).unwrap();
    let next = replayed
        .execute(kezek_core::command::lapse::LapseOverdue {
            at: "2026-12-31T00:00:00Z".parse().unwrap(),
        })
        .unwrap();
    assert!(!next.is_empty());
    again.submit(append(next)).wait().unwrap();
    let mut again_replayed = State::new(Policy::kz_2013());
    replay(&again, &mut again_replayed).unwrap();
    assert_eq!(fingerprint(&again_replayed), fingerprint(&replayed));
}

#[test]
fn out_of_order_batches_are_refused_alone() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    contract::out_of_order_is_refused(&leading().0);
}

#[test]
fn any_edit_stops_the_replay_at_its_seq() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let cases = [
        "UPDATE events SET payload = payload || '\\x20'::bytea WHERE seq = 4",
        "UPDATE events SET at = '2020-01-01T00:00:00Z' WHERE seq = 4",
        "UPDATE events SET actor = 'someone' WHERE seq = 4",
        "UPDATE events SET hash = decode(repeat('00', 32), 'hex') WHERE seq = 4",
        "UPDATE events SET kind = 'registered' WHERE seq = 4",
        "DELETE FROM events WHERE seq = 4",
    ];
    for edit in cases {
        let (store, url) = leading();
        for s in 1..=6 {
            store.submit(batch(s)).wait().unwrap();
        }
        let name = url.rsplit('/').next().unwrap();
        let _ = kezek_testdb::shared().sql(name, edit);
        contract::stops_at(&store, 4, edit);
    }
}

#[test]
fn concurrent_writers_share_commits_and_keep_order() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let store: Arc<dyn EventLog + Send + Sync> = Arc::new(leading().0);
    contract::concurrent_writers_keep_order(&store, 300);
}

#[test]
fn answers_documents_keys_and_notifications_are_kept() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let (store, _) = leading();
    let record = IdempotencyRecord {
        actor: "k1".into(),
        key: "abc".into(),
        request_hash: [7; 32],
        status: 201,
        body: b"{}".to_vec(),
        signature: "s1".into(),
    };
    let mut first = batch(1);
    first.idempotency = Some(record.clone());
    first.documents = vec![
        ("D-2".into(), b"{\"b\":1}".to_vec()),
        ("D-1".into(), b"{}".to_vec()),
    ];
    first.notifications = (0..3)
        .map(|i| NewNotification {
            application_id: format!("A{}", i % 2),
            kind: "referral_issued".into(),
            body: format!("{{\"n\":{i}}}").into_bytes(),
        })
        .collect();
    store.submit(first).wait().unwrap();
    assert_eq!(store.answer("k1", "abc").unwrap(), Some(record));
    assert_eq!(store.answer("k2", "abc").unwrap(), None);
    assert_eq!(store.document("D-2").unwrap(), Some(b"{\"b\":1}".to_vec()));
    assert_eq!(store.document("D-3").unwrap(), None);
    let ids: Vec<_> = store
        .documents("", 10)
        .unwrap()
        .into_iter()
        .map(|d| d.0)
        .collect();
    assert_eq!(ids, ["D-1", "D-2"]);
    assert_eq!(store.documents("D-1", 10).unwrap().len(), 1);
    // Notifications in the order given; the second of A0 waits for the first.
    let all = store.notifications(0, 10).unwrap();
    assert_eq!(
        all.iter().map(|n| n.body.clone()).collect::<Vec<_>>(),
        [
            b"{\"n\":0}".to_vec(),
            b"{\"n\":1}".to_vec(),
            b"{\"n\":2}".to_vec()
        ]
    );
    let due = store.deliverable(i64::MAX, 10).unwrap();
    assert_eq!(
        due.iter().map(|n| n.id).collect::<Vec<_>>(),
        [all[0].id, all[1].id]
    );
    store
        .record_attempts(&[
            Attempt::Delivered { id: all[0].id },
            Attempt::Failed {
                id: all[1].id,
                next_attempt_ms: i64::MAX,
                error: "503".into(),
            },
        ])
        .unwrap();
    let counts = store.outbox_counts().unwrap();
    assert_eq!(
        (counts.pending, counts.delivered, counts.failing),
        (2, 1, 1)
    );
    assert_eq!(
        store
            .deliverable(0, 10)
            .unwrap()
            .iter()
            .map(|n| n.id)
            .collect::<Vec<_>>(),
        [all[2].id]
    );

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
    store.put_key(&key).unwrap();
    assert!(matches!(store.put_key(&key), Err(StoreError::Duplicate(_))));
    assert_eq!(store.keys().unwrap(), vec![key.clone()]);
    let before = store.keys_version().unwrap();
    let mut revoked = key.clone();
    revoked.revoked_at = Some("2026-06-01T00:00:00Z".into());
    assert!(store.update_key(&revoked).unwrap());
    assert!(!store
        .update_key(&ApiKeyRecord {
            key_id: "k9".into(),
            ..revoked.clone()
        })
        .unwrap());
    assert!(store.keys_version().unwrap() > before);
    assert_eq!(store.keys().unwrap(), vec![revoked]);
}

#[test]
fn one_node_leads_and_a_follower_refuses_appends() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let (a, url) = leading();
    a.submit(batch(1)).wait().unwrap();
    let b = PgStore::open(&url).unwrap();
    assert_eq!(b.try_lead("http://node-b").unwrap(), None, "a leads");
    assert!(matches!(
        b.submit(batch(2)).wait(),
        Err(StoreError::NotLeader)
    ));
    let leader = b.leader().unwrap();
    assert_eq!(leader.url.as_deref(), Some("http://node-a"));
    assert_eq!(leader.seq, Seq::new(1));
    // The follower is woken by the leader's commit.
    let commits = b.commits();
    a.submit(batch(2)).wait().unwrap();
    told(commits, 2);
    assert_eq!(b.read(Seq::new(1), 10).unwrap().len(), 1);
    // The leader goes: the follower takes over at its head.
    drop(a);
    let head = loop {
        if let Some(h) = b.try_lead("http://node-b").unwrap() {
            break h;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(head.seq, Seq::new(2));
    b.submit(batch(3)).wait().unwrap();
    assert_eq!(b.leader().unwrap().url.as_deref(), Some("http://node-b"));
}

/// A batch as large as a city's (its payloads encoded on two threads) is stored record
/// for record as the memory store, which encodes each event as it chains it, stores it.
#[test]
fn a_city_sized_batch_is_stored_as_event_by_event() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    contract::a_city_sized_batch_is_stored_as_event_by_event(&leading().0);
}

/// A follower opened after the leader's last commit learns the head without a new commit:
/// its listener reads the head once it listens (a commit made while it was connecting
/// notified nobody, and the follower would wait for the next one).
#[test]
fn a_follower_opened_after_the_last_commit_learns_the_head() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let (a, url) = leading();
    a.submit(batch(1)).wait().unwrap();
    a.submit(batch(2)).wait().unwrap();
    let b = PgStore::open(&url).unwrap();
    told(b.commits(), 2);
    drop(a);
}

#[test]
fn a_deposed_leader_can_never_write() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let (a, url) = leading();
    a.submit(batch(1)).wait().unwrap();
    // a's lease connection is cut (as a network partition would); b takes over at once (the
    // lease's backend is gone) and writes.
    let name = url.rsplit('/').next().unwrap();
    let cut = kezek_testdb::shared().sql(
        name,
        "SELECT pg_terminate_backend(leader_pid) FROM journal_head WHERE id = 1",
    );
    assert_eq!(cut.trim(), "t", "the lease's backend was found");
    let b = PgStore::open(&url).unwrap();
    let head = loop {
        if let Some(h) = b.try_lead("http://node-b").unwrap() {
            break h;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(head.seq, Seq::new(1));
    b.submit(batch(2)).wait().unwrap();
    // a still has its writer: its next append is refused, and nothing of it is written.
    assert!(matches!(
        a.submit(batch(2)).wait(),
        Err(StoreError::Fenced(_))
    ));
    assert!(!a.leading());
    assert_eq!(b.head().unwrap().seq, Seq::new(2));
    let records = b.read(Seq::new(0), 10).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].actor, "test");
    replay(&b, &mut State::new(Policy::kz_2013())).unwrap();
}

#[test]
fn a_deposed_leader_is_fenced_by_the_epoch_even_with_its_lease_alive() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    // Two writers racing on one journal: the lease is bypassed by moving the epoch by hand,
    // as a node that took over would. The append checks the epoch in its transaction.
    let (a, url) = leading();
    a.submit(batch(1)).wait().unwrap();
    let name = url.rsplit('/').next().unwrap();
    let _ = kezek_testdb::shared().sql(name, "UPDATE journal_head SET epoch = epoch + 1");
    match a.submit(batch(2)).wait() {
        Err(StoreError::Fenced(message)) => assert!(message.contains("epoch"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(a.head().unwrap().seq, Seq::new(1));
}

#[test]
fn an_installation_copies_to_postgres_and_back_unchanged() {
    use kezek_store::copy::copy;
    use kezek_store::sqlite::SqliteStore;
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("a.sqlite")).unwrap();
    let (_, outcomes) = sample();
    for (i, o) in outcomes.iter().enumerate() {
        let mut b = append(o.clone());
        b.documents = vec![(format!("doc-{i}"), format!("{{\"i\":{i}}}").into_bytes())];
        b.notifications = vec![NewNotification {
            application_id: format!("A{}", i % 7),
            kind: "referral_issued".into(),
            body: b"{}".to_vec(),
        }];
        b.idempotency = Some(IdempotencyRecord {
            actor: "portal".into(),
            key: format!("k{i}"),
            request_hash: [1; 32],
            status: 201,
            body: b"{}".to_vec(),
            signature: String::new(),
        });
        sqlite.submit(b).wait().unwrap();
    }
    sqlite
        .record_attempts(&[
            Attempt::Delivered { id: 1 },
            Attempt::Failed {
                id: 2,
                next_attempt_ms: 9,
                error: "x".into(),
            },
        ])
        .unwrap();
    sqlite
        .put_key(&ApiKeyRecord {
            key_id: "k1".into(),
            token_hash: [9; 32],
            role: "staff".into(),
            scope: vec!["D01".into()],
            created_at: "2026-01-01T00:00:00Z".into(),
            expires_at: None,
            revoked_at: None,
            official: None,
            signature: "s".into(),
        })
        .unwrap();
    let pg = PgStore::open(&kezek_testdb::database()).unwrap();
    assert!(pg.try_lead("kezek migrate").unwrap().is_some());
    let there = copy(&sqlite, &pg).unwrap();
    assert_eq!(there.head, sqlite.head().unwrap());
    assert_eq!(
        (
            there.documents,
            there.answers,
            there.keys,
            there.notifications
        ),
        (outcomes.len(), outcomes.len(), 1, outcomes.len())
    );
    let back_dir = tempfile::tempdir().unwrap();
    let back = SqliteStore::open(&back_dir.path().join("b.sqlite")).unwrap();
    let again = copy(&pg, &back).unwrap();
    assert_eq!(again, there);
    for store in [&pg as &dyn kezek_store::Store, &back] {
        assert_eq!(
            store.read(Seq::new(0), usize::MAX).unwrap(),
            sqlite.read(Seq::new(0), usize::MAX).unwrap()
        );
        assert_eq!(store.answers().unwrap(), sqlite.answers().unwrap());
        assert_eq!(store.keys().unwrap(), sqlite.keys().unwrap());
        assert_eq!(
            store.documents("", 10_000).unwrap(),
            sqlite.documents("", 10_000).unwrap()
        );
        assert_eq!(
            store.notifications(0, 10_000).unwrap(),
            sqlite.notifications(0, 10_000).unwrap()
        );
        assert_eq!(
            store.outbox_counts().unwrap(),
            sqlite.outbox_counts().unwrap()
        );
    }
    replay(&back, &mut State::new(Policy::kz_2013())).unwrap();
    // A new notification is numbered after the copied ones.
    let mut next = append(Vec::new());
    next.notifications = vec![NewNotification {
        application_id: "A1".into(),
        kind: "x".into(),
        body: b"{}".to_vec(),
    }];
    pg.submit(next).wait().unwrap();
    assert_eq!(
        pg.notifications(outcomes.len() as u64, 10).unwrap()[0].id,
        outcomes.len() as u64 + 1
    );
    // Nothing is copied over an installation.
    assert!(matches!(
        copy(&sqlite, &back),
        Err(StoreError::Integrity(_))
    ));
}

/// The lease: while the leader renews it, no follower takes over, however long it asks; when
/// the leader's renewals stop getting through (here the head row is held, as a transaction
/// of a frozen process would hold it), the leader stops leading within its lease — before
/// anyone could take over — and refuses appends; then a follower takes over.
#[test]
fn a_lease_renewed_keeps_the_lead_and_a_lapsed_one_loses_it() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    let lease = std::time::Duration::from_millis(400);
    let url = kezek_testdb::database();
    let a = PgStore::open(&url).unwrap().with_lease(lease);
    assert!(a.try_lead("http://node-a").unwrap().is_some());
    a.submit(batch(1)).wait().unwrap();
    let b = PgStore::open(&url).unwrap().with_lease(lease);
    let asked = std::time::Instant::now();
    while asked.elapsed() < lease * 3 {
        assert_eq!(b.try_lead("http://node-b").ok().flatten(), None);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let age = b.leader().unwrap().lease_age.unwrap();
    assert!(age < lease, "renewed {age:?} ago");
    let name = url.rsplit('/').next().unwrap().to_owned();
    let holder = std::thread::spawn(move || {
        kezek_testdb::shared().sql(
            &name,
            "BEGIN; SELECT 1 FROM journal_head FOR UPDATE; SELECT pg_sleep(2); COMMIT",
        )
    });
    let row_held = std::time::Instant::now();
    while a.leading() {
        assert!(
            row_held.elapsed() < std::time::Duration::from_secs(10),
            "a believes it leads long after its lease"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    match a.submit(batch(2)).wait() {
        Err(StoreError::Fenced(message)) => assert!(message.contains("lease"), "{message}"),
        other => panic!("{other:?}"),
    }
    holder.join().unwrap();
    let head = loop {
        if let Some(h) = b.try_lead("http://node-b").ok().flatten() {
            break h;
        }
        assert!(row_held.elapsed() < std::time::Duration::from_secs(20));
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(head.seq, Seq::new(1));
    b.submit(batch(2)).wait().unwrap();
    assert_eq!(b.leader().unwrap().url.as_deref(), Some("http://node-b"));
}

#[test]
fn sessions_and_budgets_are_kept() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    contract::sessions_and_budgets(&leading().0, true);
}

#[test]
fn an_erasure_takes_out_what_it_forgets() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    contract::forget(&leading().0);
    // Documents stored before their application was kept beside them are found too: the
    // migration reads it from their bytes.
    let (store, url) = leading();
    store.submit(batch(1)).wait().unwrap();
    drop(store);
    let name = url.rsplit('/').next().unwrap();
    let _ = kezek_testdb::shared().sql(
        name,
        r#"DROP INDEX documents_application; ALTER TABLE documents DROP COLUMN application_id;
           UPDATE kezek_schema SET version = version - 1;
           INSERT INTO documents (id, body) VALUES
             ('doc-1', convert_to('{"application_id":"A1","id":"doc-1"}', 'UTF8')),
             ('doc-1.p7s', '\x3082'::bytea), ('doc-2', '\x00ff'::bytea)"#,
    );
    let store = PgStore::open(&url).unwrap();
    assert!(store.try_lead("http://node-b").unwrap().is_some());
    let mut erase = batch(2);
    erase.forget.applications = vec!["A1".into()];
    erase.forget.at = "2031-01-01T00:00:00Z".into();
    store.submit(erase).wait().unwrap();
    let first = store.document("doc-1").unwrap().unwrap();
    assert!(kezek_store::forget::erased_at(&first).is_some());
    assert_eq!(store.document("doc-1.p7s").unwrap(), None);
    assert_eq!(store.document("doc-2").unwrap(), Some(vec![0, 0xff]));
}

#[test]
fn persons_keys_are_made_and_erased_with_their_batch() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    contract::person_keys(&leading().0);
}

#[test]
fn proof_files_are_stored_with_their_batch() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    contract::proof_files(&leading().0);
}

#[test]
fn notifications_are_found_by_application() {
    if kezek_testdb::missing(kezek_testdb::Tool::Postgres) {
        return;
    }
    contract::notifications_by_application(&leading().0);
}
