//! The application: the core's state behind one lock, the store, the authority key, the API
//! keys, the clock, and what the write path needs (stored answers in flight, the sequencer,
//! the poison flag). This module is the machinery every operation runs on:
//!
//! - `start`: building the application from a journal (or a state restored elsewhere);
//! - `read`: reads that wait for the journal to be durable up to what they read;
//! - `write`: the write path, request → command → events → journal → answer;
//! - `health`, `sequencer`, `answers`: the poison flag and durable head, the order batches
//!   reach the journal in, the stored answers of `Idempotency-Key`s;
//! - `cluster`: this node's part when several share a journal;
//! - `budgets`: requests that must be slow to repeat, counted per minute.
//!
//! The operations themselves — what a request may ask — are `impl App` blocks in
//! `crate::ops`, one module per area; nothing outside this crate touches the state.

mod answers;
pub mod budgets;
pub(crate) mod citizen;
pub mod cluster;
pub mod encrypt;
mod health;
pub(crate) mod personal;
#[cfg(test)]
mod poison_tests;
mod read;
mod sequencer;
pub mod start;
pub mod write;

pub(crate) use health::Armed;
pub use read::Reads;

use crate::error::{AppError, Unavailable};
use crate::keys::authority::Authority;
use crate::keys::KeyRing;
use answers::Answers;
use health::Health;
use jiff::Timestamp;
use kezek_core::State;
use kezek_store::Store;
use parking_lot::RwLock;
use sequencer::Sequencer;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

/// The running application.
pub struct App {
    /// The state, read by many, written by one write at a time.
    pub(crate) state: RwLock<State>,
    /// The journal and what is stored with it.
    pub(crate) store: Arc<dyn Store>,
    /// Signs documents, the journal head, keys; seals stored answers.
    pub(crate) authority: Authority,
    /// The API keys, as this node last read them.
    pub(crate) keys: Keys,
    /// Now.
    pub(crate) clock: Arc<dyn crate::clock::Clock>,
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
    /// The audits run from the console.
    pub(crate) audits: Audits,
    /// This node's role when several share the journal.
    pub(crate) node: cluster::Node,
    /// Budgets counted in memory (one node alone).
    pub(crate) budgets: budgets::Counted,
    /// The officials' signing identities this node holds.
    pub(crate) signing: RwLock<Arc<crate::keys::identities::Signing>>,
    /// The cases of the departments' other services, as the journal's case records leave
    /// them. Written only under the state's write lock (a case command is decided and
    /// journaled in the same critical section as any other), so the order is the journal's.
    pub(crate) cases: RwLock<kezek_cases::Cases>,
    /// The portal's key as read for checking assertions (built again when the journal
    /// registers another).
    pub(crate) portal: parking_lot::Mutex<Option<Arc<citizen::Verifier>>>,
    /// The public journal's hashes so far, by seq (`ops::public`).
    pub(crate) public_chain: parking_lot::Mutex<Vec<[u8; 32]>>,
    /// Whether the journal seals personal values, and the persons' keys.
    pub(crate) personal: personal::Personal,
}

/// The API keys by token hash, and what keeps them in step with the store.
pub(crate) struct Keys {
    /// The keys.
    pub(crate) ring: KeyRing,
    /// The store's keys' version when `ring` was read (`ops::keys`).
    pub(crate) version: AtomicU64,
    /// Held by a sync from reading the keys until their revocations are journaled.
    pub(crate) sync: tokio::sync::Mutex<()>,
}

/// The last audit run from the console, and whether one runs now (one at a time: each
/// replays the whole journal).
#[derive(Default)]
pub(crate) struct Audits {
    pub(crate) last: parking_lot::Mutex<Option<Audited>>,
    pub(crate) running: AtomicBool,
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

impl App {
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

    /// Whether the public reaches this service over https (the console's cookies are then
    /// `Secure`).
    #[must_use]
    pub fn public_url_is_https(&self) -> bool {
        self.public_url
            .get()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// The public check page of document `id` with its digest: under the public URL, or
    /// relative until one is set (`kezek serve` always sets one).
    #[must_use]
    pub fn check_url(&self, id: &str, digest: &str) -> String {
        let base = self.public_url.get().map_or("", String::as_str);
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
}
