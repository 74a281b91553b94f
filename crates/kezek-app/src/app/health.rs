//! Whether the service may go on, and how much of the state is durable.
//!
//! Once the state may hold what the journal does not — an event that did not apply, a panic
//! between deciding a command and handing its events to the journal, a commit that failed —
//! the service is poisoned: it answers nothing from that state, `/healthz` says why, and the
//! next start rebuilds the state from the journal.
//!
//! Writes apply their events before the journal has them (so that the next write can be
//! decided while this one commits). What a reader is shown must not run ahead of the journal:
//! a read notes the last seq of the state it read and is answered once the journal is durable
//! up to that seq (`until_durable`), or 503 if the service is poisoned meanwhile. A crash can
//! then lose only what nobody was shown (docs/architecture.md, "What a read may show").

use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

/// The poison flag and its reason; the durable head.
#[derive(Debug)]
pub struct Health {
    /// Set once, never cleared.
    poisoned: AtomicBool,
    /// The first reason.
    reason: Mutex<Option<Arc<str>>>,
    /// The last seq the journal has made durable; changed (to wake the readers waiting) also
    /// when the service is poisoned.
    durable: watch::Sender<u64>,
}

impl Health {
    /// A healthy service whose journal is durable up to `durable`.
    #[must_use]
    pub fn new(durable: u64) -> Self {
        Self {
            poisoned: AtomicBool::new(false),
            reason: Mutex::new(None),
            durable: watch::Sender::new(durable),
        }
    }

    /// Poisons the service for `reason` (the first reason is kept) and answers the readers
    /// waiting for durability.
    pub fn poison(&self, reason: &str) {
        let mut r = self.reason.lock();
        if r.is_none() {
            tracing::error!(reason, "the service stops taking requests until restarted");
            *r = Some(Arc::from(reason));
        }
        self.poisoned.store(true, Ordering::SeqCst);
        drop(r);
        self.durable.send_modify(|_| {});
    }

    /// Moves whenever the durable head does (or the service is poisoned).
    #[must_use]
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.durable.subscribe()
    }

    /// The journal is durable up to `seq` (batches become durable in seq order).
    pub fn made_durable(&self, seq: u64) {
        self.durable.send_if_modified(|d| {
            let later = seq > *d;
            if later {
                *d = seq;
            }
            later
        });
    }

    /// The last seq the journal has made durable.
    #[must_use]
    pub fn durable(&self) -> u64 {
        *self.durable.borrow()
    }

    /// How many reads are waiting for the journal to catch up with what they read.
    #[must_use]
    pub fn reads_waiting(&self) -> usize {
        self.durable.receiver_count()
    }

    /// Waits until the journal is durable up to `seq`.
    ///
    /// # Errors
    /// The reason, when the service is poisoned first.
    pub async fn until_durable(&self, seq: u64) -> Result<(), Arc<str>> {
        if *self.durable.borrow() >= seq {
            return self.poisoned().map_or(Ok(()), Err);
        }
        let mut rx = self.durable.subscribe();
        loop {
            if let Some(reason) = self.poisoned() {
                return Err(reason);
            }
            if *rx.borrow_and_update() >= seq {
                return Ok(());
            }
            // The sender lives as long as `self`, which this borrow keeps alive.
            if rx.changed().await.is_err() {
                return Err(Arc::from("the service is stopping"));
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_read_of_a_durable_seq_is_answered_at_once() {
        let health = Health::new(5);
        assert!(matches!(
            poll_once(pin!(health.until_durable(5))),
            Poll::Ready(Ok(()))
        ));
    }

    #[test]
    fn a_read_waits_for_its_seq_and_not_for_later_ones() {
        let health = Health::new(5);
        let mut wait = pin!(health.until_durable(7));
        assert!(poll_once(wait.as_mut()).is_pending());
        assert_eq!(health.reads_waiting(), 1);
        health.made_durable(6);
        assert!(poll_once(wait.as_mut()).is_pending());
        health.made_durable(9);
        assert!(matches!(poll_once(wait.as_mut()), Poll::Ready(Ok(()))));
        // A batch acknowledged late does not move the head back.
        health.made_durable(8);
        assert_eq!(health.durable(), 9);
    }

    #[test]
    fn poisoning_answers_the_reads_waiting() {
        let health = Health::new(0);
        let mut wait = pin!(health.until_durable(1));
        assert!(poll_once(wait.as_mut()).is_pending());
        health.poison("the disk is full");
        match poll_once(wait.as_mut()) {
            Poll::Ready(Err(reason)) => assert_eq!(&*reason, "the disk is full"),
            other => panic!("{other:?}"),
        }
    }
}
