//! A write is answered only once durable; a service whose state may be ahead of its journal
//! stops answering and says why.

use crate::harness::{put_keys, spawn_on, STAFF};
use kezek_core::model::Seq;
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
        gate: Default::default(),
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
