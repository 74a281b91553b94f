//! Lapsing referrals whose deadline passed: not confirmed, or confirmed but the child not
//! admitted, in time. The seat returns; the child returns to the queue at its original time
//! or the application is cancelled, as the policy says. A privilege that had to be confirmed
//! in person is dropped and the child is kept off offers for the stop-list days.

use crate::event::{Event, LapseReason};
use crate::model::{ClaimStatus, ReferralId, ReferralStatus, Seq};
use crate::policy::AfterReferral;
use crate::queue::Cause;
use crate::state::{Mismatch, Referral, Stamp, State};
use jiff::Timestamp;

/// Lapse every referral whose deadline passed at or before `at`.
#[derive(Debug, Clone)]
pub struct LapseOverdue {
    /// Now.
    pub at: Timestamp,
}

impl LapseOverdue {
    /// One `referral_lapsed` event per overdue referral, earliest deadline first (none when
    /// nothing is due: never refused).
    #[must_use]
    pub fn decide(self, state: &State) -> Vec<Event> {
        let mut events: Vec<Event> = state
            .due_referrals(self.at)
            .filter_map(|r| state.referral_at(r))
            .map(|referral| {
                let reason = match referral.status {
                    ReferralStatus::Issued => LapseReason::NotConfirmed,
                    _ => LapseReason::NotEnrolled,
                };
                lapse(state, referral, self.at, reason)
            })
            .collect();
        // Exchanges not confirmed by every family in time: nothing happens.
        events.extend(state.due_exchanges(self.at).map(|x| Event::ExchangeLapsed {
            exchange_id: x.offer.exchange_id.clone(),
            at: self.at,
        }));
        events
    }
}

/// The lapse of `referral` at `at` for `reason`, with what the policy says follows.
pub(crate) fn lapse(
    state: &State,
    referral: &Referral,
    at: Timestamp,
    reason: LapseReason,
) -> Event {
    let policy = state.policy();
    let in_person = policy
        .tiers
        .get(referral.tier)
        .is_some_and(|t| t.in_person_check);
    // A transfer's referral that lapses ends the request: the child stays where it is.
    let in_person = in_person && !referral.transfer;
    let requeue =
        !referral.transfer && (in_person || policy.referral.on_lapse == AfterReferral::Requeue);
    let stopped_until = in_person.then(|| {
        policy
            .calendar
            .deadline_days(at, policy.referral.stop_list_days)
    });
    Event::ReferralLapsed {
        referral_id: referral.id.clone(),
        at,
        reason,
        requeue,
        drop_claim: in_person,
        stopped_until,
        grounds: None,
    }
}

/// Applies `referral_lapsed`; `(requeue, drop_claim)` as the event says.
pub(crate) fn apply(
    state: &mut State,
    seq: Seq,
    id: &ReferralId,
    reason: LapseReason,
    (requeue, drop_claim): (bool, bool),
    stopped_until: Option<Timestamp>,
) -> Result<(), Mismatch> {
    let r = state.open_referral(id)?;
    let status = match reason {
        LapseReason::NoShow => ReferralStatus::NoShow,
        LapseReason::NotAdmitted => ReferralStatus::NotAdmitted,
        LapseReason::NotConfirmed | LapseReason::NotEnrolled => ReferralStatus::Lapsed,
    };
    state.close_referral(r, status)?;
    if state.closed_transfer(r)? {
        return Ok(());
    }
    let a = state
        .referral_at(r)
        .map(|x| x.app)
        .ok_or_else(|| Mismatch::Unknown {
            what: "referral",
            id: id.to_string(),
        })?;
    let stamp = Stamp {
        seq,
        cause: Cause::ReturnedAhead,
    };
    if drop_claim {
        state.set_claim(a, ClaimStatus::Rejected, stamp)?;
    }
    state.set_stopped_until(a, stopped_until)?;
    state.requeue_or_cancel(a, requeue, stamp)
}
