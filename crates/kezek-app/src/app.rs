//! The application: the core's state behind one lock, the store, the authority key, the
//! keys, the clock, and what the write path needs (stored answers in flight, the sequencer,
//! the poison flag). HTTP handlers and every command of the binary go through it.

use crate::access::Caller;
use crate::answers::Answers;
use crate::authority::Authority;
use crate::clock::Clock;
use crate::error::{AppError, Unavailable};
use crate::health::Health;
use crate::keys::{token_hash, KeyRing};
use crate::sequencer::Sequencer;
use jiff::Timestamp;
use kezek_core::{Policy, State};
use kezek_store::replay::{replay, ReplayError};
use kezek_store::{Store, StoreError};
use parking_lot::RwLock;
use std::sync::Arc;

/// The running application.
pub struct App {
    /// The state, read by many, written by one write at a time.
    pub(crate) state: RwLock<State>,
    /// The journal and what is stored with it.
    pub(crate) store: Arc<dyn Store>,
    /// Signs documents, the journal head, keys; seals stored answers.
    pub(crate) authority: Authority,
    /// The API keys by token hash.
    pub(crate) keys: KeyRing,
    /// The store's keys' version when `keys` was read (`key_watch`).
    pub(crate) keys_version: std::sync::atomic::AtomicU64,
    /// Held by `sync_keys` from reading the keys until their revocations are journaled.
    pub(crate) keys_sync: tokio::sync::Mutex<()>,
    /// Now.
    pub(crate) clock: Arc<dyn Clock>,
    /// Answers submitted to the journal but perhaps not yet durable.
    pub(crate) answers: Answers,
    /// Puts batches signed out of order back in order for the journal.
    pub(crate) sequencer: Sequencer,
    /// Whether the state may still be trusted.
    pub(crate) health: Health,
    /// Wakes the lapse sweeper before its time (the clock jumped, a deadline moved).
    pub(crate) wake: tokio::sync::Notify,
    /// Where the public reaches this service: printed documents carry their check page's URL
    /// under it (`serve --public-url`; the listening address until set).
    pub(crate) public_url: std::sync::OnceLock<String>,
    /// The last audit run from the console: when it ended, and what it found.
    pub(crate) last_audit: parking_lot::Mutex<Option<Audited>>,
    /// Whether an audit runs now (one at a time: each replays the whole journal).
    pub(crate) auditing: std::sync::atomic::AtomicBool,
    /// This node's role when several share the journal.
    pub(crate) node: crate::cluster::Node,
    /// The record the snapshot the start restored was taken at (0: the start replayed the
    /// whole journal).
    restored_at: u64,
}

/// An audit of the whole installation run while the service serves (`App::audit_now`).
#[derive(Debug, Clone)]
pub struct Audited {
    /// When it ended.
    pub at: Timestamp,
    /// What it checked, or the first thing that did not check.
    pub result: Result<AuditCounts, String>,
}

/// What an audit checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCounts {
    /// Records verified and applied.
    pub events: u64,
    /// Rounds decided again and found equal.
    pub rounds: u64,
    /// Documents issued again the same.
    pub documents: u64,
    /// API keys whose signature checks.
    pub keys: usize,
    /// Stored answers whose seal checks.
    pub answers: usize,
    /// The head's seq.
    pub head_seq: u64,
    /// The head's hash.
    pub head_hash: kezek_store::Hash,
}

/// Which policy a start runs.
#[derive(Debug, Clone)]
pub enum PolicyChoice {
    /// The journal's; this one for a journal that has none yet (it is journaled then).
    Journaled(Policy),
    /// This one, which must be the journal's when the journal has one.
    Given(Policy),
}

impl From<Policy> for PolicyChoice {
    fn from(policy: Policy) -> Self {
        Self::Journaled(policy)
    }
}

/// SHA-256 of a policy's text, hex: how the journal names a policy.
#[must_use]
pub fn policy_digest(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// The policy a replay starts under: the journal's first, or `fallback`; and whether the
/// policy in force at the end (the journal's last) is `given`, when one was given.
pub(crate) fn initial_policy(
    store: &dyn kezek_store::EventLog,
    choice: PolicyChoice,
) -> Result<Policy, StartError> {
    let records = store.policy_records()?;
    let decode = |r: &kezek_store::StoredEvent| match kezek_store::record::decode(&r.payload) {
        Ok(kezek_core::Event::PolicyAdopted {
            name, sha256, text, ..
        }) => Ok((name, sha256, text)),
        _ => Err(StartError::Policy(format!(
            "journal record {} should be a policy and is not",
            r.seq
        ))),
    };
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return Ok(match choice {
            PolicyChoice::Journaled(p) | PolicyChoice::Given(p) => p,
        });
    };
    let (_, _, text) = decode(first)?;
    let (name, sha256, _) = decode(last)?;
    if let PolicyChoice::Given(given) = &choice {
        let digest = policy_digest(given.source());
        if digest != sha256 {
            return Err(StartError::Policy(format!(
                "the journal runs policy {name} (sha256 {sha256}); the policy given is {} (sha256 {digest}). Start without --policy to run the journal's, or adopt the new one first: kezek policy adopt FILE",
                given.name
            )));
        }
    }
    Policy::from_toml(&text).map_err(|e| {
        StartError::Policy(format!(
            "journal record {}: the journaled policy does not read: {e}",
            first.seq
        ))
    })
}

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The policy given is not the journal's, or the journal's does not read.
    #[error("{0}")]
    Policy(String),
    /// The journal does not verify or apply.
    #[error("the journal does not verify; refusing to start")]
    Replay(#[from] ReplayError),
    /// The keys cannot be read.
    #[error("cannot read the API keys")]
    Store(#[from] StoreError),
    /// A snapshot could not be made or written.
    #[error("{0}")]
    Snapshot(String),
}

impl App {
    /// Replays the store's journal into a fresh state under the journal's policy (or, for a
    /// journal without one, `policy`'s) and starts. A journal without a policy gets one with
    /// [`Self::journal_policy`].
    ///
    /// # Errors
    /// A journal that does not verify or apply (naming the seq), a given policy that is not
    /// the journal's (both named with their SHA-256), or unreadable keys.
    pub fn start(
        store: Arc<dyn Store>,
        policy: impl Into<PolicyChoice>,
        authority: Authority,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, StartError> {
        Self::start_from(store, policy, authority, clock, None)
    }

    /// [`Self::start`], from the newest snapshot in `snapshots` that checks (see
    /// [`crate::snapshots`]), replaying only the records after it; from the journal's
    /// start when there is none.
    ///
    /// # Errors
    /// As [`Self::start`].
    pub fn start_from(
        store: Arc<dyn Store>,
        policy: impl Into<PolicyChoice>,
        authority: Authority,
        clock: Arc<dyn Clock>,
        snapshots: Option<&std::path::Path>,
    ) -> Result<Arc<Self>, StartError> {
        let started = std::time::Instant::now();
        let policy = initial_policy(store.as_ref(), policy.into())?;
        let restored = match snapshots {
            Some(dir) => crate::snapshots::restore(store.as_ref(), dir, &policy)?,
            None => None,
        };
        let restored_at = restored.as_ref().map_or(0, |(_, head)| head.seq.get());
        let state = if let Some((state, _)) = restored {
            state
        } else {
            let mut state = State::new(policy);
            replay(store.as_ref(), &mut state)?;
            state
        };
        tracing::info!(
            events = state.last_seq().get(),
            ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "journal replayed"
        );
        let keys = KeyRing::default();
        keys.reload(store.as_ref())?;
        Ok(Arc::new(Self {
            sequencer: Sequencer::new(state.last_seq()),
            health: Health::new(state.last_seq().get()),
            state: RwLock::new(state),
            store,
            authority,
            keys,
            // Never compared yet: the first `sync_keys` reads the keys and journals the
            // revocations made while no server ran.
            keys_version: u64::MAX.into(),
            keys_sync: tokio::sync::Mutex::new(()),
            clock,
            answers: Answers::default(),
            wake: tokio::sync::Notify::new(),
            public_url: std::sync::OnceLock::new(),
            last_audit: parking_lot::Mutex::new(None),
            auditing: std::sync::atomic::AtomicBool::new(false),
            node: crate::cluster::Node::default(),
            restored_at,
        }))
    }

    /// Keeps snapshots for the next start: a thread of their own writes one each time the
    /// journal has grown by `keeper.every` records since the newest (checked every second),
    /// without locking the serving state. It ends with the application.
    ///
    /// Called before the application serves: when the start had to replay as many records,
    /// the state it just built is encoded here at once (a fraction of the replay the
    /// thread would otherwise do again while the service starts taking requests), and the
    /// thread writes it first. Snapshot files the start passed over (damaged, of another
    /// layout, another journal's) do not count: the next one written replaces them.
    pub fn keep_snapshots(self: &Arc<Self>, keeper: crate::snapshots::Keeper) {
        let mut newest = self.restored_at;
        let first = {
            let state = self.state.read();
            (state.last_seq().get() >= newest.saturating_add(keeper.every.max(1)))
                .then(|| crate::snapshots::Keeper::encode(self.store.as_ref(), &state))
        };
        let app = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("snapshots".into())
            .spawn(move || {
                match first {
                    Some(Ok((head, bytes))) => match keeper.write(head, &bytes) {
                        Ok(()) => {
                            newest = head.seq.get();
                            tracing::info!(at = newest, "snapshot written");
                        }
                        Err(e) => tracing::warn!(error = %e, "snapshot not written"),
                    },
                    Some(Err(e)) => tracing::warn!(error = %e, "snapshot not written"),
                    None => {}
                }
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    let Some(app) = app.upgrade() else {
                        return;
                    };
                    let head = app.state.read().last_seq().get();
                    if head < newest.saturating_add(keeper.every.max(1)) {
                        continue;
                    }
                    let store = Arc::clone(&app.store);
                    drop(app);
                    let started = std::time::Instant::now();
                    match keeper.take(store.as_ref()) {
                        Ok(at) => {
                            newest = at.seq.get();
                            tracing::info!(
                                at = newest,
                                ms = u64::try_from(started.elapsed().as_millis())
                                    .unwrap_or(u64::MAX),
                                "snapshot written"
                            );
                        }
                        Err(e) => {
                            // Tried again once as many records more have come.
                            newest = head;
                            tracing::warn!(error = %e, "snapshot not written");
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no snapshots: the thread did not start");
        }
    }

    /// Now, by the application's clock.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Sets where the public reaches this service (once; later calls are ignored): the
    /// base of the check page a printed document links to.
    pub fn set_public_url(&self, url: &str) {
        let _ = self.public_url.set(url.trim_end_matches('/').to_owned());
    }

    /// Runs `kezek verify`'s audit over the store while the service serves — the hash chain,
    /// a replay of every event, every round decided again, every document, key and stored
    /// answer — on a blocking thread, and keeps its result for [`Self::last_audit`]. One at a
    /// time: while one runs, asking again starts nothing (`None`).
    pub async fn audit_now(self: &Arc<Self>) -> Option<Audited> {
        use std::sync::atomic::Ordering;
        if self.auditing.swap(true, Ordering::AcqRel) {
            return None;
        }
        let app = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || {
            let policy = app.state.read().policy().clone();
            let authority = app.authority.clone();
            crate::verify::verify(app.store.as_ref(), policy, || Ok(authority.clone()), &[])
                .map(|r| AuditCounts {
                    events: r.events,
                    rounds: r.rounds,
                    documents: r.documents,
                    keys: r.keys,
                    answers: r.answers,
                    head_seq: r.head.seq.get(),
                    head_hash: r.head.hash,
                })
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(format!("the audit stopped: {e}")));
        let audited = Audited {
            at: self.now(),
            result,
        };
        *self.last_audit.lock() = Some(audited.clone());
        self.auditing.store(false, Ordering::Release);
        Some(audited)
    }

    /// The last audit run from the console since the service started, if any.
    #[must_use]
    pub fn last_audit(&self) -> Option<Audited> {
        self.last_audit.lock().clone()
    }

    /// Whether the public reaches this service over https (the console's cookies are then
    /// `Secure`).
    #[must_use]
    pub fn public_url_is_https(&self) -> bool {
        self.public_url
            .get()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// The public check page of document `id` with its digest.
    #[must_use]
    pub fn check_url(&self, id: &str, digest: &str) -> String {
        let base = self
            .public_url
            .get()
            .map_or("http://127.0.0.1:8080", String::as_str);
        format!("{base}/v1/verify/{id}?digest={digest}")
    }

    /// The authority key.
    #[must_use]
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// Why the service stopped taking requests, if it did.
    #[must_use]
    pub fn poisoned(&self) -> Option<Arc<str>> {
        self.health.poisoned()
    }

    /// Refuses when poisoned.
    pub(crate) fn check_health(&self) -> Result<(), AppError> {
        match self.health.poisoned() {
            Some(reason) => Err(AppError::Unavailable(Unavailable::Poisoned(reason))),
            None => Ok(()),
        }
    }

    /// Runs `f` with the state for reading, and gives its result once the journal is durable
    /// up to the state `f` read: nothing is shown that a crash could still take back. With no
    /// write committing, that is at once; otherwise it waits for the commit under way, without
    /// holding the state lock.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the service is poisoned, before or while waiting: the
    /// state may hold what the journal does not.
    pub async fn read<T>(&self, f: impl FnOnce(&State) -> T) -> Result<T, AppError> {
        self.check_health()?;
        let (value, seen) = {
            let state = self.state.read();
            (f(&state), state.last_seq().get())
        };
        self.health
            .until_durable(seen)
            .await
            .map_err(|reason| AppError::Unavailable(Unavailable::Poisoned(reason)))?;
        Ok(value)
    }

    /// Runs `f` with the state as it is, durable or not: for what the service decides by
    /// itself (whether a sweep is due, a limit), never for an answer.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the service is poisoned.
    pub fn peek<T>(&self, f: impl FnOnce(&State) -> T) -> Result<T, AppError> {
        self.check_health()?;
        Ok(f(&self.state.read()))
    }

    /// The last seq the journal has made durable.
    #[must_use]
    pub fn durable_seq(&self) -> u64 {
        self.health.durable()
    }

    /// How many reads are waiting for the journal to catch up with what they read.
    #[must_use]
    pub fn reads_waiting(&self) -> usize {
        self.health.reads_waiting()
    }

    /// Runs `f` on the store on a blocking thread (a read of the disk must not hold up the
    /// async workers).
    ///
    /// # Errors
    /// The store's error.
    pub async fn store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, AppError> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|_| {
                AppError::Unavailable(Unavailable::Poisoned(Arc::from("a store read panicked")))
            })?
            .map_err(|e| {
                tracing::error!(error = %crate::error::chain(&e), "a store read failed");
                AppError::from(e)
            })
    }

    /// Reads the API keys from the store again.
    ///
    /// # Errors
    /// The store failed.
    pub async fn reload_keys(&self) -> Result<(), AppError> {
        let keys = self.store(|s| s.keys()).await?;
        self.keys.replace(keys);
        Ok(())
    }

    /// The caller whose token has SHA-256 `hash` (a console session holds the hash, never the
    /// token): `None` once its key is revoked or expired.
    #[must_use]
    pub fn caller_of_hash(&self, hash: &kezek_store::Hash) -> Option<Caller> {
        self.keys.caller(hash, self.now())
    }

    /// The caller holding `token`; an unknown token makes the keys be read again (at most once
    /// a second), in case it was created while the service runs.
    pub async fn caller(&self, token: &str) -> Option<Caller> {
        let hash = token_hash(token);
        let now = self.now();
        if let Some(c) = self.keys.caller(&hash, now) {
            return Some(c);
        }
        if self.keys.may_reload() {
            let store = Arc::clone(&self.store);
            let keys = tokio::task::spawn_blocking(move || store.keys())
                .await
                .ok()?;
            if let Ok(keys) = keys {
                self.keys.replace(keys);
            }
        }
        self.keys.caller(&hash, now)
    }
}
