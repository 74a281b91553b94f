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
}

impl EventLog for GatedStore {
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
}

impl KeyStore for GatedStore {
    fn put_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        self.inner.put_key(key)
    }
    fn keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.inner.keys()
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

#[tokio::test]
async fn reads_never_wait_for_a_write_to_be_durable() {
    let log: Arc<std::sync::Mutex<Vec<&'static str>>> = Arc::default();
    let journal = Arc::new(GatedStore {
        inner: MemoryStore::new(),
        gate: std::sync::Mutex::default(),
        log,
    });
    put_keys(&journal.inner);
    let app = spawn_on(journal.clone()).await;
    let body = json!({"name": "K", "district": "D1", "groups": []});
    let write = app.call("PUT", "/v1/kindergartens/K1", Some(STAFF), Some(body));
    tokio::pin!(write);
    // The write is waiting for its commit (the gate is shut)…
    tokio::select! {
        _ = &mut write => panic!("answered before it was durable"),
        () = async { while journal.gate.lock().unwrap().is_empty() { tokio::task::yield_now().await; } } => {}
    }
    // …and reads are answered meanwhile, from the state.
    let (s, v) = app
        .call("GET", "/v1/kindergartens/K1", Some(STAFF), None)
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = app.call("GET", "/healthz", None, None).await;
    assert_eq!(s, 200);
    journal.open_gate();
    assert_eq!(write.await.0, 201);
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
