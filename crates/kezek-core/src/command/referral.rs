//! The parent's answer to a referral: confirm within the confirmation deadline (the
//! kindergarten then has the admission deadline), or decline (the application is cancelled,
//! or the child returns to the queue at its original time, as the policy says). A confirmed
//! referral's admission deadline can be extended once.

use super::refusal::Refusal;
use crate::event::Event;
use crate::model::{ReferralId, ReferralIx, ReferralStatus, Seq};
use crate::policy::AfterReferral;
use crate::queue::Cause;
use crate::state::{Mismatch, Referral, Stamp, State};
use jiff::Timestamp;

code_enum! {
    /// Why an act on a referral is refused.
    pub enum Code {
        /// The referral is not in a status that allows it.
        ReferralNotOpen = "referral_not_open",
        /// The referral's deadline has passed (its lapse is journaled by the sweep).
        ReferralExpired = "referral_expired",
        /// The one extension was used.
        AlreadyExtended = "already_extended",
        /// An extension of 0 days or more than the policy allows.
        InvalidExtension = "invalid_extension",
        /// The parent has not confirmed the referral, and the policy admits only confirmed
        /// ones.
        ReferralNotConfirmed = "referral_not_confirmed",
        /// A no-show recorded while the family still has time to confirm or to come.
        DeadlineNotPassed = "deadline_not_passed",
    }
}

/// Referral `id`, which must be in one of `allowed`.
pub(crate) fn referral_in<'s>(
    state: &'s State,
    id: &ReferralId,
    allowed: &[ReferralStatus],
) -> Result<(ReferralIx, &'s Referral), Refusal> {
    let r = state
        .referral_index(id)
        .ok_or_else(|| Refusal::not_found("referral", id))?;
    let referral = state
        .referral_at(r)
        .ok_or_else(|| Refusal::not_found("referral", id))?;
    if !allowed.contains(&referral.status) {
        return Err(Refusal::conflict(
            Code::ReferralNotOpen.as_str(),
            format!("referral {id} is {}", referral.status.as_str()),
        ));
    }
    Ok((r, referral))
}

/// Refuses an act of the family on `referral` at `at` when its deadline has passed; the
/// lapse itself is journaled by [`super::lapse::LapseOverdue`].
pub(crate) fn not_expired(referral: &Referral, at: Timestamp) -> Result<(), Refusal> {
    not_expired_by(referral, referral.expires_at, at)
}

/// Refuses an act on `referral` at `at` at or after `until`.
pub(crate) fn not_expired_by(
    referral: &Referral,
    until: Timestamp,
    at: Timestamp,
) -> Result<(), Refusal> {
    if at < until {
        return Ok(());
    }
    Err(Refusal::conflict(
        Code::ReferralExpired.as_str(),
        format!(
            "referral {} expired at {}",
            referral.id, referral.expires_at
        ),
    ))
}

/// The parent confirms a referral.
#[derive(Debug, Clone)]
pub struct Confirm {
    /// Referral.
    pub referral_id: ReferralId,
    /// When.
    pub at: Timestamp,
}

impl Confirm {
    /// The `referral_confirmed` event, with the admission deadline.
    ///
    /// # Errors
    /// Unknown referral, not issued, or expired.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (_, referral) = referral_in(state, &self.referral_id, &[ReferralStatus::Issued])?;
        not_expired(referral, self.at)?;
        let policy = state.policy();
        let enroll_by = policy
            .calendar
            .deadline(self.at, policy.referral.enroll_working_days);
        Ok(vec![Event::ReferralConfirmed {
            referral_id: self.referral_id,
            at: self.at,
            enroll_by,
        }])
    }
}

/// The parent declines a referral.
#[derive(Debug, Clone)]
pub struct Decline {
    /// Referral.
    pub referral_id: ReferralId,
    /// When.
    pub at: Timestamp,
}

impl Decline {
    /// The `referral_declined` event.
    ///
    /// # Errors
    /// Unknown referral, or one that is not open.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let open = [ReferralStatus::Issued, ReferralStatus::Confirmed];
        let (_, referral) = referral_in(state, &self.referral_id, &open)?;
        // A transfer's referral declined ends the request: the child stays where it is.
        let requeue =
            !referral.transfer && state.policy().referral.on_decline == AfterReferral::Requeue;
        Ok(vec![Event::ReferralDeclined {
            referral_id: self.referral_id,
            at: self.at,
            requeue,
        }])
    }
}

/// Extend the admission deadline of a confirmed referral, once.
#[derive(Debug, Clone)]
pub struct Extend {
    /// Referral.
    pub referral_id: ReferralId,
    /// Calendar days.
    pub days: u32,
    /// Why (1 to 1000 printable characters).
    pub reason: String,
    /// When.
    pub at: Timestamp,
}

impl Extend {
    /// The `referral_extended` event, with the new admission deadline.
    ///
    /// # Errors
    /// Unknown referral, not confirmed, extended before, a bad number of days, or expired.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (_, referral) = referral_in(state, &self.referral_id, &[ReferralStatus::Confirmed])?;
        if referral.extended {
            return Err(Refusal::conflict(
                Code::AlreadyExtended.as_str(),
                format!("referral {} was extended once already", self.referral_id),
            ));
        }
        let max = state.policy().referral.extension_max_days;
        if self.days == 0 || self.days > max {
            return Err(Refusal::invalid(
                "days",
                Code::InvalidExtension.as_str(),
                format!("must be 1 to {max} days"),
            ));
        }
        let reason = self.reason.trim();
        if reason.is_empty() || !crate::model::text::is_free_text(reason, 1000) {
            return Err(Refusal::invalid(
                "reason",
                "invalid_reason",
                "1 to 1000 printable characters (line breaks allowed), none of them invisible",
            ));
        }
        not_expired(referral, self.at)?;
        let enroll_by = state
            .policy()
            .calendar
            .deadline_days(referral.expires_at, self.days);
        Ok(vec![Event::ReferralExtended {
            referral_id: self.referral_id,
            at: self.at,
            enroll_by,
            reason: Some(reason.to_owned()),
        }])
    }
}

/// Applies `referral_confirmed`.
pub(crate) fn apply_confirmed(
    state: &mut State,
    id: &ReferralId,
    enroll_by: Timestamp,
) -> Result<(), Mismatch> {
    let r = state.open_referral(id)?;
    state.set_deadline(r, enroll_by)?;
    state.update_referral(r, |x| x.status = ReferralStatus::Confirmed)
}

/// Applies `referral_extended`.
pub(crate) fn apply_extended(
    state: &mut State,
    id: &ReferralId,
    enroll_by: Timestamp,
) -> Result<(), Mismatch> {
    let r = state.open_referral(id)?;
    state.set_deadline(r, enroll_by)?;
    state.update_referral(r, |x| x.extended = true)
}

/// Applies `referral_declined`.
pub(crate) fn apply_declined(
    state: &mut State,
    seq: Seq,
    id: &ReferralId,
    requeue: bool,
) -> Result<(), Mismatch> {
    let r = state.open_referral(id)?;
    state.close_referral(r, ReferralStatus::Declined)?;
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
    let cause = Cause::ReturnedAhead;
    state.requeue_or_cancel(a, requeue, Stamp { seq, cause })
}
