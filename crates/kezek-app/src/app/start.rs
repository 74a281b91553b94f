//! Start-up: which policy a journal runs, why a start fails, and the application built from
//! a journal replayed from its start ([`App::start`]) or from a state rebuilt elsewhere — a
//! snapshot with the records after it applied ([`App::from_state`]).

use super::{Audits, Keys};
use crate::clock::Clock;
use crate::keys::authority::Authority;
use crate::keys::KeyRing;
use crate::App;
use kezek_core::{Policy, State};
use kezek_store::replay::{replay_with, ReplayError};
use kezek_store::sealing::KeyCache;
use kezek_store::{Store, StoreError};
use parking_lot::RwLock;
use std::sync::Arc;

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

/// The policy a replay starts under: the journal's first, or the one chosen for a journal
/// without one; refused when a policy was given and the one in force at the journal's end is
/// another.
///
/// # Errors
/// [`StartError::Policy`], naming both policies; the journal cannot be read.
pub fn initial_policy(
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
    /// The authority key held is not the one the journal has in force.
    #[error(transparent)]
    Authority(#[from] crate::keys::pin::PinError),
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
        let started = std::time::Instant::now();
        let policy = initial_policy(store.as_ref(), policy.into())?;
        let mut state = State::new(policy);
        let mut keys = KeyCache::load(store.as_ref())?;
        replay_with(store.as_ref(), &mut state, &mut keys)?;
        tracing::info!(
            events = state.last_seq().get(),
            ms = crate::millis(started.elapsed()),
            "journal replayed"
        );
        crate::keys::pin::in_force(&state, &authority)?;
        Self::assemble(store, state, (authority, keys), clock)
    }

    /// Starts on `state`, which holds the store's journal up to its last seq (a snapshot
    /// restored and the records after it replayed).
    ///
    /// # Errors
    /// The keys cannot be read.
    pub fn from_state(
        store: Arc<dyn Store>,
        state: State,
        authority: Authority,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, StartError> {
        let keys = KeyCache::load(store.as_ref())?;
        Self::from_state_with_keys(store, state, (authority, keys), clock)
    }

    /// [`Self::from_state`] with the journal's persons' keys as the replay that built `state`
    /// read them (and met them).
    ///
    /// # Errors
    /// As [`Self::from_state`].
    pub fn from_state_with_keys(
        store: Arc<dyn Store>,
        state: State,
        (authority, keys): (Authority, KeyCache),
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, StartError> {
        crate::keys::pin::in_force(&state, &authority)?;
        Self::assemble(store, state, (authority, keys), clock)
    }

    /// [`Self::start`] with a key the journal does not have in force: only to journal it in
    /// place of a lost one (`kezek authority replace`), before anything else is done.
    ///
    /// # Errors
    /// As [`Self::start`], but for the key.
    pub fn start_to_replace(
        store: Arc<dyn Store>,
        policy: impl Into<PolicyChoice>,
        authority: Authority,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, StartError> {
        let policy = initial_policy(store.as_ref(), policy.into())?;
        let mut state = State::new(policy);
        let mut keys = KeyCache::load(store.as_ref())?;
        replay_with(store.as_ref(), &mut state, &mut keys)?;
        Self::assemble(store, state, (authority, keys), clock)
    }

    fn assemble(
        store: Arc<dyn Store>,
        state: State,
        (authority, keys): (Authority, KeyCache),
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, StartError> {
        let personal = super::personal::Personal {
            seals: store.seals()?,
            keys: Arc::new(parking_lot::Mutex::new(keys)),
        };
        let ring = KeyRing::default();
        ring.reload(store.as_ref())?;
        let cases = kezek_cases::Cases::from_journal(
            state.extensions(),
            state.policy().calendar.clone(),
            kezek_cases::OfficeHours::default(),
        )
        .map_err(|e| StartError::Snapshot(format!("the journal's cases do not apply: {e}")))?;
        Ok(Arc::new(Self {
            sequencer: super::Sequencer::new(state.last_seq()),
            health: super::Health::new(state.last_seq().get()),
            state: RwLock::new(state),
            store,
            authority,
            keys: Keys {
                ring,
                // Never compared yet: the first sync reads the keys and journals the
                // revocations made while no server ran.
                version: u64::MAX.into(),
                sync: tokio::sync::Mutex::new(()),
            },
            clock,
            answers: super::Answers::default(),
            wake: tokio::sync::Notify::new(),
            public_url: std::sync::OnceLock::new(),
            audits: Audits::default(),
            node: super::cluster::Node::default(),
            budgets: super::budgets::Counted::default(),
            signing: RwLock::new(Arc::default()),
            cases: RwLock::new(cases),
            portal: parking_lot::Mutex::new(None),
            public_chain: parking_lot::Mutex::new(Vec::new()),
            personal,
        }))
    }
}
