//! The service: the core's state behind one lock, the journal, the keys and the clock.
//! Writes pass through the core one at a time and are answered only once their events are
//! durable; reads take the lock for reading and never wait on a disk write.

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use kezek_core::{Outcome, State};
use kezek_store::{Append, Hash, IdempotencyRecord, Journal, StoreError};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Where the time comes from (tests set it).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// A write's answer: status and JSON body.
pub type Answer = (StatusCode, serde_json::Value);

/// The running service.
pub struct Service {
    authority: crate::authority::Authority,
    state: RwLock<State>,
    journal: Arc<dyn Journal>,
    keys: RwLock<HashMap<Hash, Caller>>,
    clock: Clock,
    /// Answers submitted to the journal but perhaps not yet durable, and the lookups.
    answers: crate::answers::Answers,
    failed: AtomicBool,
    /// When an unknown token last made the keys be read again.
    last_key_reload: Mutex<Option<std::time::Instant>>,
    /// Puts batches signed out of order back in order for the journal.
    sequencer: crate::sequencer::Sequencer,
}

/// An `Idempotency-Key` and the fingerprint of the request that carried it.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The header's value.
    pub key: String,
    /// SHA-256 of method, path and body.
    pub fingerprint: Hash,
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let ct = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    (status, [(header::CONTENT_TYPE, ct)], body).into_response()
}

impl Service {
    /// A service over a replayed `state` and its `journal`.
    ///
    /// # Errors
    /// The keys cannot be read.
    pub fn new(
        state: State,
        journal: Arc<dyn Journal>,
        clock: Clock,
        authority: crate::authority::Authority,
    ) -> Result<Arc<Self>, StoreError> {
        let svc = Arc::new(Self {
            sequencer: crate::sequencer::Sequencer::new(state.last_seq()),
            authority,
            state: RwLock::new(state),
            journal,
            keys: RwLock::new(HashMap::new()),
            clock,
            answers: crate::answers::Answers::default(),
            failed: AtomicBool::new(false),
            last_key_reload: Mutex::new(None),
        });
        svc.reload_keys()?;
        Ok(svc)
    }

    /// Reloads the API keys from the store.
    ///
    /// # Errors
    /// Storage failure.
    pub fn reload_keys(&self) -> Result<(), StoreError> {
        let mut map = HashMap::new();
        for k in self.journal.keys()? {
            if let Some(role) = Role::parse(&k.role) {
                map.insert(
                    k.token_hash,
                    Caller {
                        key_id: k.key_id,
                        role,
                        scope: k.scope,
                    },
                );
            }
        }
        *self.keys.write() = map;
        Ok(())
    }

    /// Re-reads the keys for a token not among them (one made by `kezek keys create` while
    /// the server runs), at most once a second: a stream of bad tokens costs no more than
    /// one read of the keys table per second.
    pub fn reload_keys_for_unknown_token(&self) {
        let mut last = self.last_key_reload.lock();
        if last.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1)) {
            return;
        }
        *last = Some(std::time::Instant::now());
        let _ = self.reload_keys();
    }

    /// The caller holding the token with this hash.
    #[must_use]
    pub fn caller(&self, token_hash: &Hash) -> Option<Caller> {
        self.keys.read().get(token_hash).cloned()
    }

    /// The authority key that signs documents and the journal head.
    #[must_use]
    pub fn authority(&self) -> &crate::authority::Authority {
        &self.authority
    }

    /// Now, by the service's clock.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// The journal.
    #[must_use]
    pub fn journal(&self) -> &dyn Journal {
        self.journal.as_ref()
    }

    /// Whether the service still accepts writes.
    #[must_use]
    pub fn healthy(&self) -> bool {
        !self.failed.load(Ordering::SeqCst)
    }

    /// Runs `f` with the state for reading.
    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.read())
    }

    /// Lapses every referral whose deadline has passed (journaled as the `system` actor).
    /// Cheap when nothing is due: one look at the earliest deadline.
    pub async fn sweep(self: &Arc<Self>) {
        let now = self.now();
        if !self.read(|s| s.next_deadline().is_some_and(|d| d <= now)) {
            return;
        }
        let system = Caller {
            key_id: "system".into(),
            role: Role::Admin,
            scope: Vec::new(),
        };
        let _ = self
            .write(&system, None, |state, at| {
                let outcome = state.execute(kezek_core::Command::LapseOverdue { at })?;
                Ok((outcome, (StatusCode::OK, serde_json::Value::Null)))
            })
            .await;
    }

    /// The answer to a retried request: the first answer, or a refusal when the key came
    /// with another request.
    fn repeat(r: IdempotencyRecord, fingerprint: &Hash) -> Response {
        if &r.request_hash == fingerprint {
            return json_response(
                StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK),
                r.body,
            );
        }
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request",
        )
        .into_response()
    }

    /// Carries out a write: `f` runs the command(s) on the state and builds the answer from
    /// the state it leaves; the events go to the journal with the answer (for retries with
    /// the same `Idempotency-Key`), and the answer is sent once they are durable.
    pub async fn write(
        self: &Arc<Self>,
        caller: &Caller,
        idempotency: Option<Idempotency>,
        f: impl FnOnce(&mut State, Timestamp) -> Result<(Outcome, Answer), ApiError>,
    ) -> Response {
        if !self.healthy() {
            return ApiError::unavailable().into_response();
        }
        let key = idempotency.as_ref().map(|i| i.key.clone());
        // The journal is read for a stored answer before the state lock, never under it.
        let mark = match &idempotency {
            None => None,
            Some(i) => match self
                .answers
                .lookup(self.journal.as_ref(), &caller.key_id, &i.key)
            {
                Err(_) => return ApiError::unavailable().into_response(),
                Ok((Some(r), _)) => return Self::repeat(r, &i.fingerprint),
                Ok((None, mark)) => Some(mark),
            },
        };
        let (status, body, unsigned, drafts) = {
            let mut state = self.state.write();
            if let (Some(i), Some(mark)) = (&idempotency, mark) {
                match self
                    .answers
                    .recheck(self.journal.as_ref(), &caller.key_id, &i.key, mark)
                {
                    Err(_) => return ApiError::unavailable().into_response(),
                    Ok(Some(r)) => return Self::repeat(r, &i.fingerprint),
                    Ok(None) => {}
                }
            }
            let now = self.now();
            let (events, (status, body)) = match f(&mut state, now) {
                Ok(x) => x,
                Err(e) => return e.into_response(),
            };
            let body = serde_json::to_vec(&body).unwrap_or_default();
            let record = idempotency.map(|i| IdempotencyRecord {
                actor: caller.key_id.clone(),
                key: i.key,
                request_hash: i.fingerprint,
                status: status.as_u16(),
                body: body.clone(),
                signature: String::new(),
            });
            if events.is_empty() && record.is_none() {
                return json_response(status, body);
            }
            if let Some(r) = &record {
                self.answers.pend(r.clone());
            }
            let drafts = crate::documents::drafts(&state, &events, now);
            let append = Append {
                documents: Vec::new(),
                events,
                at: now.to_string(),
                actor: caller.key_id.clone(),
                idempotency: record,
            };
            (status, body, append, drafts)
        };
        // No await until the batch is handed over: the state already holds its events, so
        // they must reach the journal even if the client goes away meanwhile.
        let handover = self.sign_and_hand_over(unsigned, drafts);
        // Waited for on a task of its own: if the client goes away, the answer still leaves
        // the pending map once durable, and a failed commit still stops the writes.
        let svc = Arc::clone(self);
        let actor = caller.key_id.clone();
        let durable = tokio::spawn(async move {
            let outcome = handover.durable().await;
            match (&outcome, key) {
                (Ok(()), Some(k)) => svc.answers.settle(&actor, &k),
                (Ok(()), None) => {}
                (Err(_), _) => {
                    // The state already holds events the journal does not: stop taking
                    // writes so nothing more is acknowledged on top of them; a restart
                    // replays the journal, which has exactly what was acknowledged.
                    svc.failed.store(true, Ordering::SeqCst);
                    tracing::error!("journal write failed; refusing writes until restart");
                }
            }
            outcome
        });
        match durable.await {
            Ok(Ok(())) => json_response(status, body),
            _ => ApiError::unavailable().into_response(),
        }
    }

    /// Signs a write's documents and stored answer outside the state lock, then hands the
    /// batch to the journal in sequence order.
    fn sign_and_hand_over(
        &self,
        append: Append,
        drafts: Vec<crate::documents::Draft>,
    ) -> crate::sequencer::Handover {
        /// Should signing panic, the events still go to the journal (unsigned, so `kezek
        /// verify` reports them) and writes stop: no later batch waits for a gap forever.
        struct Unsent<'a>(&'a Service, Option<Append>);
        impl Drop for Unsent<'_> {
            fn drop(&mut self) {
                if let Some(append) = self.1.take() {
                    self.0.failed.store(true, Ordering::SeqCst);
                    tracing::error!("signing failed; refusing writes until restart");
                    drop(self.0.sequencer.hand_over(self.0.journal.as_ref(), append));
                }
            }
        }
        let mut unsent = Unsent(self, Some(append));
        let documents = crate::documents::sign_all(drafts, &self.authority);
        let Some(mut append) = unsent.1.take() else {
            unreachable!("the batch is taken only here and in drop")
        };
        append.documents = documents;
        if let Some(r) = &mut append.idempotency {
            r.signature = self.authority.seal(r);
        }
        self.sequencer.hand_over(self.journal.as_ref(), append)
    }
}
