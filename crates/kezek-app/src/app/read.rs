//! Reading: the state, shown only once the journal is durable up to what was read; the state
//! as it is, for what the service decides by itself; the store, on a blocking thread; and the
//! caller of a token. The closures over the state are the crate's own: a reader outside it
//! gets [`Reads`] — the state at one seq, behind the named operations of `crate::ops`, each
//! carrying its scope checks — and never the state itself.

use crate::access::Caller;
use crate::error::{AppError, Unavailable};
use crate::keys::token_hash;
use crate::App;
use jiff::Timestamp;
use kezek_core::State;
use kezek_store::{Store, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// The state at one seq, as a reader outside this crate sees it: only through the named
/// read operations (`impl Reads` blocks of `crate::ops`, one module per area), which check
/// who may see what they name. Their views borrow the state; a reader builds its answer from
/// them inside [`App::reads`], and is answered once the journal is durable that far.
pub struct Reads<'s> {
    pub(crate) state: &'s State,
    pub(crate) now: Timestamp,
}

impl Reads<'_> {
    /// The journal seq the state read is at.
    #[must_use]
    pub fn as_of_seq(&self) -> u64 {
        self.state.last_seq().get()
    }

    /// Now, by the application's clock, when the read began.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The authority's offset from UTC, in which times are shown.
    #[must_use]
    pub fn local_offset(&self) -> jiff::tz::Offset {
        self.state.policy().calendar.offset
    }

    /// Today, the authority's local day.
    #[must_use]
    pub fn today(&self) -> jiff::civil::Date {
        self.state.policy().calendar.local_date(self.now)
    }

    /// The academic year in progress (the year of its September).
    #[must_use]
    pub fn academic_year(&self) -> i16 {
        crate::views::academic_year(self.state, self.now)
    }

    /// The tiers of the policy in force, by name, first to last.
    #[must_use]
    pub fn tier_names(&self) -> Vec<&str> {
        self.state
            .policy()
            .tiers
            .iter()
            .map(|t| t.name.as_str())
            .collect()
    }
}

impl App {
    /// Runs `f` over the named read operations at one seq of the state, and gives its result
    /// once the journal is durable up to that seq ([`Self::read`]).
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the service is poisoned.
    pub async fn reads<T>(&self, f: impl FnOnce(&Reads<'_>) -> T) -> Result<T, AppError> {
        let now = self.now();
        self.read(|state| f(&Reads { state, now })).await
    }

    /// The authority's offset from UTC, in which times are shown (a setting of the policy in
    /// force; nothing personal).
    #[must_use]
    pub fn local_offset(&self) -> jiff::tz::Offset {
        self.state.read().policy().calendar.offset
    }

    /// Runs `f` with the state for reading, and gives its result once the journal is durable
    /// up to the state `f` read: nothing is shown that a crash could still take back. With no
    /// write committing, that is at once; otherwise it waits for the commit under way, without
    /// holding the state lock.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the service is poisoned, before or while waiting: the
    /// state may hold what the journal does not.
    pub(crate) async fn read<T>(&self, f: impl FnOnce(&State) -> T) -> Result<T, AppError> {
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
    /// itself (whether a sweep is due, a limit, a figure of the metrics), never for an answer.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the service is poisoned.
    pub(crate) fn peek<T>(&self, f: impl FnOnce(&State) -> T) -> Result<T, AppError> {
        self.check_health()?;
        Ok(f(&self.state.read()))
    }

    /// Runs `f` on the store on a blocking thread (a read of the disk must not hold up the
    /// async workers).
    ///
    /// # Errors
    /// The store's error.
    pub(crate) async fn store<T: Send + 'static>(
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

    /// The last seq the journal has made durable.
    #[must_use]
    pub fn durable_seq(&self) -> u64 {
        self.health.durable()
    }

    /// The last seq this node's state holds (ahead of [`Self::durable_seq`] by the batches
    /// being committed).
    #[must_use]
    pub fn applied_seq(&self) -> u64 {
        self.state.read().last_seq().get()
    }

    /// The seq of the last erasure applied (0 before any): a snapshot older than it holds
    /// persons it erased.
    #[must_use]
    pub fn last_erasure(&self) -> u64 {
        self.state.read().last_erasure().get()
    }

    /// How many reads are waiting for the journal to catch up with what they read.
    #[must_use]
    pub fn reads_waiting(&self) -> usize {
        self.health.reads_waiting()
    }

    /// Waits until this node has applied the journal up to `seq` (a client reading its own
    /// write on another node), at most `patience`; whether it has.
    pub async fn caught_up(&self, seq: u64, patience: Duration) -> bool {
        let mut durable = self.health.subscribe();
        let reached = tokio::time::timeout(patience, durable.wait_for(|d| *d >= seq)).await;
        matches!(reached, Ok(Ok(_)))
    }

    /// Reads the API keys from the store again.
    ///
    /// # Errors
    /// The store failed.
    pub async fn reload_keys(&self) -> Result<(), AppError> {
        let keys = self.store(|s| s.keys()).await?;
        self.keys.ring.replace(keys);
        Ok(())
    }

    /// The caller whose token has SHA-256 `hash` (a console session holds the hash, never the
    /// token): `None` once its key is revoked or expired.
    #[must_use]
    pub fn caller_of_hash(&self, hash: &kezek_store::Hash) -> Option<Caller> {
        self.keys
            .ring
            .caller(hash, self.now())
            .and_then(|c| self.admitted(c))
    }

    /// `c`, unless its key belongs to an official whom the journal has not bound it to yet
    /// (the key watch binds it within a second) or who left: what an official's key does is
    /// journaled as that person's act, so it acts only once the journal knows whose it is.
    fn admitted(&self, c: Caller) -> Option<Caller> {
        let Some(official) = c.official.as_deref() else {
            return Some(c);
        };
        let bound = self
            .peek(|s| {
                s.official_of_key(&c.key_id).is_some_and(|o| {
                    o.official.official_id.as_str() == official && o.left.is_none()
                })
            })
            .unwrap_or(false);
        bound.then_some(c)
    }

    /// The caller holding `token`; an unknown token makes the keys be read again (at most once
    /// a second), in case it was created while the service runs.
    pub async fn caller(&self, token: &str) -> Option<Caller> {
        let hash = token_hash(token);
        let now = self.now();
        if let Some(c) = self.keys.ring.caller(&hash, now) {
            return self.admitted(c);
        }
        if self.keys.ring.may_reload() {
            let store = Arc::clone(&self.store);
            let keys = tokio::task::spawn_blocking(move || store.keys())
                .await
                .ok()?;
            if let Ok(keys) = keys {
                self.keys.ring.replace(keys);
            }
        }
        self.keys
            .ring
            .caller(&hash, now)
            .and_then(|c| self.admitted(c))
    }
}
