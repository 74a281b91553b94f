//! Whether the service may go on. Once the state may hold what the journal does not — an
//! event that did not apply, a panic between deciding a command and handing its events to
//! the journal, a commit that failed — the service is poisoned: it answers nothing from that
//! state, `/healthz` says why, and the next start rebuilds the state from the journal.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The poison flag and its reason.
#[derive(Debug, Default)]
pub struct Health {
    /// Set once, never cleared.
    poisoned: AtomicBool,
    /// The first reason.
    reason: Mutex<Option<Arc<str>>>,
}

impl Health {
    /// Poisons the service for `reason` (the first reason is kept).
    pub fn poison(&self, reason: &str) {
        let mut r = self.reason.lock();
        if r.is_none() {
            tracing::error!(reason, "the service stops taking requests until restarted");
            *r = Some(Arc::from(reason));
        }
        self.poisoned.store(true, Ordering::SeqCst);
    }

    /// Why the service is poisoned, if it is.
    #[must_use]
    pub fn poisoned(&self) -> Option<Arc<str>> {
        if self.poisoned.load(Ordering::Acquire) {
            self.reason.lock().clone()
        } else {
            None
        }
    }
}

/// Poisons the service when dropped armed: held from the moment a command's events are
/// applied to the moment they are handed to the journal, so that a failure or a panic in
/// between cannot leave the state ahead of the journal unnoticed.
pub(crate) struct Armed<'a> {
    health: &'a Health,
    reason: Option<&'static str>,
}

impl<'a> Armed<'a> {
    /// Armed with `reason`.
    pub(crate) fn new(health: &'a Health, reason: &'static str) -> Self {
        Self {
            health,
            reason: Some(reason),
        }
    }

    /// The danger has passed.
    pub(crate) fn disarm(mut self) {
        self.reason = None;
    }
}

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        if let Some(reason) = self.reason {
            self.health.poison(reason);
        }
    }
}
