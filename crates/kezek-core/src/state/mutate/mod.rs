//! The named changes the commands' apply arms make. Each keeps the tables and their indexes
//! in step (ids, a child's applications, cohort queues, deadlines, seats) and refuses,
//! with a [`Mismatch`], an event that does not fit instead of panicking: places
//! (districts, kindergartens, groups), applications (and their queues), referrals and
//! rounds.

mod applications;
mod erasure;
mod places;
mod policy;
mod referrals;

use super::mismatch::Mismatch;
use super::State;
use crate::model::Seq;
use crate::queue::Cause;

pub(super) fn unknown(what: &'static str, id: &dyn std::fmt::Display) -> Mismatch {
    Mismatch::Unknown {
        what,
        id: id.to_string(),
    }
}

/// The sequence number and its cause, as a cohort queue records a change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp {
    /// The event's seq.
    pub seq: Seq,
    /// Why the queue changes, as a family is told.
    pub cause: Cause,
}

/// Sequence numbers.
impl State {
    /// Refuses `seq` unless it follows the last one applied.
    pub(crate) fn expect_next(&self, seq: Seq) -> Result<(), Mismatch> {
        let expected = self.last_seq.next();
        if seq == expected {
            Ok(())
        } else {
            Err(Mismatch::OutOfOrder { expected })
        }
    }

    /// Records that the event at `seq` is applied.
    pub(crate) fn advance(&mut self, seq: Seq) {
        self.last_seq = seq;
    }
}
