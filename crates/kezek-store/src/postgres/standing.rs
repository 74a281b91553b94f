//! What the leader knows of its own lease: whether it leads, in which term (each takeover
//! of this node is one), and until when it may believe so — shared by the renewer (`lead`)
//! and the writer (`writer`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Whether this node leads, and until when it may believe so.
#[derive(Debug)]
pub(super) struct Standing {
    leading: AtomicBool,
    /// Counts the takeovers of this node: what a renewer or writer of an earlier one does
    /// cannot touch a later one.
    term: AtomicU64,
    base: Instant,
    /// Nanoseconds after `base` at which the lease, counted from before its last renewal
    /// was sent, lapses.
    until: AtomicU64,
}

impl Standing {
    pub(super) fn new() -> Self {
        Self {
            leading: AtomicBool::new(false),
            term: AtomicU64::new(0),
            base: Instant::now(),
            until: AtomicU64::new(0),
        }
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Whether this node leads now: it took over, was not deposed, and its lease has not
    /// lapsed.
    pub(super) fn live(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
            && self.nanos(Instant::now()) < self.until.load(Ordering::SeqCst)
    }

    /// Whether `term` is this node's latest term (lost or not).
    pub(super) fn is_term(&self, term: u64) -> bool {
        self.term.load(Ordering::SeqCst) == term
    }

    /// Whether `term` is this node's lead now.
    pub(super) fn live_in(&self, term: u64) -> bool {
        self.term.load(Ordering::SeqCst) == term && self.live()
    }

    /// The lease of `term` was renewed by a statement sent at `sent`.
    pub(super) fn renewed(&self, term: u64, sent: Instant, lease: Duration) {
        if self.term.load(Ordering::SeqCst) == term {
            self.until.store(self.nanos(sent + lease), Ordering::SeqCst);
        }
    }

    /// This node leads from now on, its lease taken by a statement sent at `sent`; its term.
    pub(super) fn lead(&self, sent: Instant, lease: Duration) -> u64 {
        let term = self.term.fetch_add(1, Ordering::SeqCst) + 1;
        self.renewed(term, sent, lease);
        self.leading.store(true, Ordering::SeqCst);
        term
    }

    /// This node does not lead in `term` (deposed, lapsed, or its lease connection ended);
    /// a later term stands.
    pub(super) fn lose(&self, term: u64) {
        if self.term.load(Ordering::SeqCst) == term {
            self.leading.store(false, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_believed_only_until_it_lapses_counted_from_before_it_was_sent() {
        let standing = Standing::new();
        assert!(!standing.live(), "nobody leads before taking over");
        let term = standing.lead(Instant::now(), Duration::from_secs(60));
        assert!(standing.live_in(term));
        // A renewal counts from when it was sent: one whose lease ran out on the way (a
        // node frozen between sending and hearing back) is no lease.
        standing.renewed(term, Instant::now(), Duration::ZERO);
        assert!(!standing.live());
        standing.renewed(term, Instant::now(), Duration::from_secs(60));
        assert!(standing.live());
        standing.lose(term);
        assert!(!standing.live(), "deposed, whatever the clock says");
    }

    #[test]
    fn what_an_earlier_term_does_cannot_touch_a_later_one() {
        let standing = Standing::new();
        let first = standing.lead(Instant::now(), Duration::from_secs(60));
        standing.lose(first);
        let second = standing.lead(Instant::now(), Duration::from_secs(60));
        // The first term's renewer and writer, late: neither renews nor deposes the second.
        standing.renewed(first, Instant::now(), Duration::ZERO);
        standing.lose(first);
        assert!(standing.live_in(second) && !standing.live_in(first));
    }
}
