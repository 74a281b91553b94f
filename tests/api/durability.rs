//! A write is answered only once durable; a service whose state may be ahead of its journal
//! stops answering and says why.

use crate::harness::{put_keys, spawn_on, STAFF};
use kezek_core::model::Seq;
use kezek_store::faulty::{Faults, FaultyStore};
use kezek_store::memory::MemoryStore;
use kezek_store::{
    AnswerStore, ApiKeyRecord, Append, DocumentStore, EventLog, Head, IdempotencyRecord, KeyStore,
    Resolver, StoreError, StoredEvent, Ticket,
};
use serde_json::json;
use std::sync::Arc;

/// A store whose commits wait until the test opens the gate; it logs when they happen.
struct GatedStore {
    inner: MemoryStore,
    gate: std::sync::Mutex<Vec<Resolver>>,
    log: Arc<std::sync::Mutex<Vec<&'static str>>>,
}

impl GatedStore {
    fn open_gate(&self) {
        for tx in self.gate.lock().unwrap().drain(..) {
            self.log.lock().unwrap().push("durable");
            tx.send(Ok(()));
        }
    }

    /// The commits waiting fail (the disk is full).
    fn fail_gate(&self) {
        for tx in self.gate.lock().unwrap().drain(..) {
            self.log.lock().unwrap().push("failed");
            tx.send(Err(StoreError::Failed));
        }
    }
}

impl EventLog for GatedStore {
    fn person_keys(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.inner.person_keys(after, limit)
    }

    fn seals(&self) -> Result<bool, StoreError> {
        self.inner.seals()
    }

    fn set_seals(&self, seals: bool) -> Result<(), StoreError> {
        self.inner.set_seals(seals)
    }

    fn submit(&self, batch: Append) -> Ticket {
        let _ = self.inner.submit(batch).wait();
        let (tx, ticket) = Ticket::pending();
        self.gate.lock().unwrap().push(tx);
        ticket
    }
    fn read(&self, after: Seq, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.read(after, limit)
    }
    fn head(&self) -> Result<Head, StoreError> {
        self.inner.head()
    }
}

impl AnswerStore for GatedStore {
    fn answer(&self, actor: &str, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.inner.answer(actor, key)
    }
    fn answers(&self) -> Result<Vec<IdempotencyRecord>, StoreError> {
        self.inner.answers()
    }
}

impl DocumentStore for GatedStore {
    fn document(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.document(id)
    }
    fn documents(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.inner.documents(after, limit)
    }
    fn file(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.file(id)
    }
    fn files(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.inner.files(after, limit)
    }
}

impl kezek_store::NotificationStore for GatedStore {
    fn notifications_of(
        &self,
        application_id: &str,
        limit: usize,
    ) -> Result<Vec<kezek_store::Notification>, StoreError> {
        self.inner.notifications_of(application_id, limit)
    }

    fn notifications(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<kezek_store::Notification>, StoreError> {
        self.inner.notifications(after, limit)
    }
    fn deliverable(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<kezek_store::Notification>, StoreError> {
        self.inner.deliverable(now_ms, limit)
    }
    fn record_attempts(&self, attempts: &[kezek_store::Attempt]) -> Result<(), StoreError> {
        self.inner.record_attempts(attempts)
    }
    fn outbox_counts(&self) -> Result<kezek_store::OutboxCounts, StoreError> {
        self.inner.outbox_counts()
    }

    fn restore(&self, notifications: &[kezek_store::Notification]) -> Result<(), StoreError> {
        self.inner.restore(notifications)
    }
    fn channel_state(&self, channel: &str) -> Result<Option<String>, StoreError> {
        self.inner.channel_state(channel)
    }

    fn set_channel_state(&self, channel: &str, state: &str) -> Result<(), StoreError> {
        self.inner.set_channel_state(channel, state)
    }

    fn outbox_since(&self) -> Result<Option<u64>, StoreError> {
        self.inner.outbox_since()
    }
    fn set_outbox_since(&self, since: Option<u64>) -> Result<(), StoreError> {
        self.inner.set_outbox_since(since)
    }
}

impl KeyStore for GatedStore {
    fn put_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        self.inner.put_key(key)
    }
    fn keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.inner.keys()
    }
    fn update_key(&self, key: &ApiKeyRecord) -> Result<bool, StoreError> {
        self.inner.update_key(key)
    }
    fn keys_version(&self) -> Result<u64, StoreError> {
        self.inner.keys_version()
    }
}

#[tokio::test]
async fn a_write_is_answered_only_after_it_is_durable() {
    let log: Arc<std::sync::Mutex<Vec<&'static str>>> = Arc::default();
    let journal = Arc::new(GatedStore {
        inner: MemoryStore::new(),
        gate: std::sync::Mutex::default(),
        log: Arc::clone(&log),
    });
    put_keys(&journal.inner);
    let base = spawn_on(journal.clone()).await.base;
    let body = json!({"name": "K", "district": "D1", "groups": []});
    let request = reqwest::Client::new()
        .put(format!("{base}/v1/kindergartens/K1"))
        .bearer_auth(STAFF)
        .json(&body)
        .send();
    let client_log = Arc::clone(&log);
    let mut response = tokio::spawn(async move {
        let r = request.await.unwrap();
        client_log.lock().unwrap().push("answered");
        r.status().as_u16()
    });
    // Open the gate once the commit is waiting, unless an answer comes first (a bug): the
    // log then shows it. Waiting longer can only slow a correct run down, never fail it.
    let answered_early = tokio::select! {
        _ = &mut response => true,
        () = async { while journal.gate.lock().unwrap().is_empty() { tokio::task::yield_now().await; } tokio::time::sleep(std::time::Duration::from_millis(100)).await; } => false,
    };
    journal.open_gate();
    if !answered_early {
        assert_eq!(response.await.unwrap(), 201);
    }
    assert_eq!(*log.lock().unwrap(), vec!["durable", "answered"]);
}

/// Sends a write to the gated store and returns once its commit is waiting at the gate.
async fn write_held_at_the_gate(
    app: &crate::harness::TestApp,
    journal: &GatedStore,
    path: &str,
) -> tokio::task::JoinHandle<u16> {
    let (base, http) = (app.base.clone(), app.http.clone());
    let body = json!({"name": "K", "district": "D1", "groups": []});
    let url = format!("{base}{path}");
    let write = tokio::spawn(async move {
        let r = http.put(url).bearer_auth(STAFF).json(&body).send().await;
        r.unwrap().status().as_u16()
    });
    while journal.gate.lock().unwrap().is_empty() {
        assert!(
            !write.is_finished(),
            "the write was answered before its commit"
        );
        tokio::task::yield_now().await;
    }
    write
}

/// Reads `path` on a task of its own, logging "read" when answered; returns once the read is
/// answered or waits for the journal (the service counts the reads waiting).
async fn read_logged(
    app: &crate::harness::TestApp,
    path: &str,
    log: &Arc<std::sync::Mutex<Vec<&'static str>>>,
) -> tokio::task::JoinHandle<(u16, serde_json::Value)> {
    let (url, http, log) = (
        format!("{}{path}", app.base),
        app.http.clone(),
        Arc::clone(log),
    );
    let read = tokio::spawn(async move {
        let r = http.get(url).bearer_auth(STAFF).send().await.unwrap();
        let status = r.status().as_u16();
        log.lock().unwrap().push("read");
        (status, r.json().await.unwrap_or_default())
    });
    while !read.is_finished() && app.app.reads_waiting() == 0 {
        tokio::task::yield_now().await;
    }
    read
}

#[tokio::test]
async fn a_read_is_answered_once_what_it_shows_is_durable() {
    let log: Arc<std::sync::Mutex<Vec<&'static str>>> = Arc::default();
    let journal = Arc::new(GatedStore {
        inner: MemoryStore::new(),
        gate: std::sync::Mutex::default(),
        log: Arc::clone(&log),
    });
    put_keys(&journal.inner);
    let app = spawn_on(journal.clone()).await;
    let write = write_held_at_the_gate(&app, &journal, "/v1/kindergartens/K1").await;
    // The kindergarten is in the state, not yet in the journal: a read of it waits…
    let read = read_logged(&app, "/v1/kindergartens/K1", &log).await;
    // …while the service still answers what needs no state.
    let (s, _) = app.call("GET", "/healthz", None, None).await;
    assert_eq!(s, 200);
    journal.open_gate();
    assert_eq!(write.await.unwrap(), 201);
    let (s, v) = read.await.unwrap();
    assert_eq!(s, 200, "{v}");
    assert!(
        v["as_of_seq"].as_u64().unwrap() <= app.app.durable_seq(),
        "{v}"
    );
    assert_eq!(*log.lock().unwrap(), vec!["durable", "read"]);
}

#[tokio::test]
async fn a_retry_of_a_write_still_committing_is_answered_once_it_is_durable() {
    let log: Arc<std::sync::Mutex<Vec<&'static str>>> = Arc::default();
    let journal = Arc::new(GatedStore {
        inner: MemoryStore::new(),
        gate: std::sync::Mutex::default(),
        log: Arc::clone(&log),
    });
    put_keys(&journal.inner);
    let app = spawn_on(journal.clone()).await;
    let body = json!({"name": "K", "district": "D1", "groups": []});
    let put = |http: reqwest::Client, url: String, body: serde_json::Value| async move {
        let r = http
            .put(url)
            .bearer_auth(STAFF)
            .header("Idempotency-Key", "k-1")
            .json(&body);
        r.send().await.unwrap().status().as_u16()
    };
    let url = format!("{}/v1/kindergartens/K1", app.base);
    let first = tokio::spawn(put(app.http.clone(), url.clone(), body.clone()));
    while journal.gate.lock().unwrap().is_empty() {
        tokio::task::yield_now().await;
    }
    let retry_log = Arc::clone(&log);
    let retry = tokio::spawn(async move {
        let status = put(reqwest::Client::new(), url, body).await;
        retry_log.lock().unwrap().push("retry answered");
        status
    });
    while !retry.is_finished() && app.app.reads_waiting() == 0 {
        tokio::task::yield_now().await;
    }
    journal.open_gate();
    assert_eq!(first.await.unwrap(), 201);
    assert_eq!(retry.await.unwrap(), 201);
    assert_eq!(*log.lock().unwrap(), vec!["durable", "retry answered"]);
}

#[tokio::test]
async fn a_read_of_a_write_whose_commit_fails_is_never_answered_with_it() {
    let log: Arc<std::sync::Mutex<Vec<&'static str>>> = Arc::default();
    let journal = Arc::new(GatedStore {
        inner: MemoryStore::new(),
        gate: std::sync::Mutex::default(),
        log: Arc::clone(&log),
    });
    put_keys(&journal.inner);
    let app = spawn_on(journal.clone()).await;
    let write = write_held_at_the_gate(&app, &journal, "/v1/kindergartens/K1").await;
    let read = read_logged(&app, "/v1/kindergartens/K1", &log).await;
    journal.fail_gate();
    assert_eq!(write.await.unwrap(), 503);
    let (s, v) = read.await.unwrap();
    assert_eq!((s, v["code"].as_str()), (503, Some("unavailable")), "{v}");
}

#[tokio::test]
async fn a_failed_commit_stops_the_service_and_healthz_says_why() {
    let store = Arc::new(FaultyStore::new(Faults {
        fail_commit: Some(2),
        ..Faults::default()
    }));
    put_keys(store.inner().as_ref());
    let app = spawn_on(store).await;
    let body = json!({"name": "K", "district": "D1", "groups": []});
    let (s, _) = app
        .call(
            "PUT",
            "/v1/kindergartens/K1",
            Some(STAFF),
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, 201);
    let (s, v) = app
        .call(
            "PUT",
            "/v1/kindergartens/K2",
            Some(STAFF),
            Some(body.clone()),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (503, Some("unavailable")), "{v}");
    let (s, v) = app.call("GET", "/healthz", None, None).await;
    assert_eq!(s, 503);
    assert!(v["detail"].as_str().unwrap().contains("journal"), "{v}");
    let (s, _) = app
        .call("GET", "/v1/kindergartens/K1", Some(STAFF), None)
        .await;
    assert_eq!(
        s, 503,
        "the state may hold what the journal does not: no reads either"
    );
    let (s, _) = app
        .call("PUT", "/v1/kindergartens/K3", Some(STAFF), Some(body))
        .await;
    assert_eq!(s, 503);
}

impl kezek_store::BudgetStore for GatedStore {}

impl kezek_store::SessionStore for GatedStore {
    fn put_session(
        &self,
        session: &kezek_store::SessionRecord,
        now: i64,
    ) -> Result<(), StoreError> {
        self.inner.put_session(session, now)
    }
    fn session(
        &self,
        id_hash: &kezek_store::Hash,
    ) -> Result<Option<kezek_store::SessionRecord>, StoreError> {
        self.inner.session(id_hash)
    }
    fn end_session(&self, id_hash: &kezek_store::Hash) -> Result<bool, StoreError> {
        self.inner.end_session(id_hash)
    }
}

/// The audit of a shared journal that a node still writes to: records committed after the
/// walk ended make notifications past the end it checked, which are not slipped in — while
/// a notification that follows from no record at all still fails it.
#[tokio::test]
async fn an_audit_passes_a_journal_a_node_still_writes_to_and_catches_a_stray_notification() {
    use kezek_store::NewNotification;
    async fn city() -> (Arc<FaultyStore>, crate::harness::TestApp) {
        let store = Arc::new(FaultyStore::new(Faults::default()));
        put_keys(store.inner().as_ref());
        let app = spawn_on(store.clone()).await;
        app.kindergarten("K1", "D1", 0).await;
        for n in 1..=2 {
            let (s, v) = app.register(n, None).await;
            assert_eq!(s, 201, "{v}");
        }
        (store, app)
    }
    let audit = |store: &FaultyStore| {
        kezek_app::audit::installation(
            store,
            kezek_core::Policy::kz_2013(),
            || Ok(kezek_app::keys::authority::Authority::from_seed([7; 32])),
            &[],
        )
        .map_err(|e| e.to_string())
    };
    let note = |id: &str| NewNotification {
        application_id: id.to_owned(),
        kind: "queue_notification".into(),
        body: br#"{"queue_number":9}"#.to_vec(),
    };
    // A node's commit — a record and its notification — lands while the audit is between
    // the journal and the outbox.
    let (store, _app) = city().await;
    audit(&store).unwrap();
    let head = store.head().unwrap();
    store.commit_when_the_outbox_is_read(Append {
        events: vec![(
            head.seq.next(),
            kezek_core::Event::Withdrawn {
                application_id: kezek_core::model::ApplicationId::parse("KZ0000000004").unwrap(),
                at: "2026-09-02T00:00:00Z".parse().unwrap(),
            },
        )],
        at: "2026-09-02T00:00:00Z".into(),
        actor: "test".into(),
        notifications: vec![note("KZ0000000004")],
        ..Append::default()
    });
    audit(&store).unwrap();
    // A notification committed with no record is one the journal does not give.
    let (store, _app) = city().await;
    store.commit_when_the_outbox_is_read(Append {
        notifications: vec![note("KZ0000000099")],
        ..Append::default()
    });
    let err = audit(&store).unwrap_err();
    assert!(err.contains("follows from no record"), "{err}");
}
