//! Reminding families: a referral not confirmed, or confirmed and the child not yet admitted,
//! lapses at the end of its deadline's day; as that last working day begins the family is
//! reminded once (`referral_reminded`, which the outbox turns into a notification). A new
//! deadline (confirmed, extended) gets its own reminder.

use crate::event::Event;
use crate::model::ReferralId;
use crate::state::{Mismatch, State};
use jiff::Timestamp;

/// Remind the family of every referral whose deadline's last day has begun by `at`.
#[derive(Debug, Clone)]
pub struct RemindDue {
    /// Now.
    pub at: Timestamp,
}

impl RemindDue {
    /// One `referral_reminded` event per referral due a reminder, earliest deadline first
    /// (none when nothing is due: never refused).
    #[must_use]
    pub fn decide(self, state: &State) -> Vec<Event> {
        state
            .due_reminders(self.at)
            .filter_map(|r| state.referral_at(r))
            .map(|referral| Event::ReferralReminded {
                referral_id: referral.id.clone(),
                deadline: referral.expires_at,
                at: self.at,
            })
            .collect()
    }
}

/// Applies `referral_reminded`.
pub(crate) fn apply(
    state: &mut State,
    id: &ReferralId,
    deadline: Timestamp,
) -> Result<(), Mismatch> {
    let r = state.open_referral(id)?;
    state.update_referral(r, |x| x.reminded_for = Some(deadline))
}
