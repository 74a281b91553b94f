//! The kindergarten's side of a referral: the child came and is admitted (the reserved seat
//! becomes enrolled), or did not come (the referral lapses as a no-show and the seat
//! returns).

use super::lapse::lapse;
use super::referral::{not_expired_by, referral_in, Code};
use super::refusal::Refusal;
use crate::event::{Event, LapseReason};
use crate::model::{ReferralId, ReferralStatus};
use crate::state::{Mismatch, Referral, State};
use jiff::Timestamp;

/// Referrals the kindergarten can act on.
const OPEN: [ReferralStatus; 2] = [ReferralStatus::Issued, ReferralStatus::Confirmed];

/// The kindergarten admits the child.
#[derive(Debug, Clone)]
pub struct Enroll {
    /// Referral.
    pub referral_id: ReferralId,
    /// When.
    pub at: Timestamp,
}

impl Enroll {
    /// The `enrolled` event.
    ///
    /// # Errors
    /// Unknown referral, not open, not confirmed by the parent (unless the policy admits
    /// unconfirmed referrals), or expired.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (_, referral) = referral_in(state, &self.referral_id, &OPEN)?;
        confirmed(state, referral, "it can be admitted once confirmed")?;
        // The kindergarten records an admission made by the deadline until the referral
        // lapses (a working day after it, as the policy says).
        not_expired_by(referral, state.lapse_time(referral), self.at)?;
        let mut events = Vec::with_capacity(2);
        if referral.transfer {
            // A transfer: the child leaves its old group by name, then is admitted here.
            let (old, group, _) = state
                .place(referral.app)
                .ok_or_else(|| Refusal::not_found("enrolment", &self.referral_id))?;
            let (kindergarten, app) = state
                .kindergarten(old)
                .zip(state.application(referral.app))
                .ok_or_else(|| Refusal::not_found("enrolment", &self.referral_id))?;
            events.push(Event::ChildLeft {
                application_id: app.id.clone(),
                kindergarten_id: kindergarten.id.clone(),
                group_id: group,
                date: state.policy().calendar.local_date(self.at),
                reason: crate::model::LeaveReason::Transfer,
                at: self.at,
            });
        }
        events.push(Event::Enrolled {
            referral_id: self.referral_id,
            at: self.at,
        });
        Ok(events)
    }
}

/// The child did not come.
#[derive(Debug, Clone)]
pub struct NoShow {
    /// Referral.
    pub referral_id: ReferralId,
    /// When.
    pub at: Timestamp,
}

impl NoShow {
    /// The `referral_lapsed` event, with reason `no_show`.
    ///
    /// # Errors
    /// Unknown referral, one that is not open, or one whose deadline (to confirm, or once
    /// confirmed to come) has not passed: until then the family may still come, and a
    /// no-show would take its seat away.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (_, referral) = referral_in(state, &self.referral_id, &OPEN)?;
        if self.at < referral.expires_at {
            return Err(Refusal::conflict(
                Code::DeadlineNotPassed.as_str(),
                format!(
                    "referral {} is the family's until {}: a no-show is recorded once that has passed",
                    referral.id, referral.expires_at
                ),
            ));
        }
        Ok(vec![lapse(state, referral, self.at, LapseReason::NoShow)])
    }
}

/// Longest grounds of a decision not to admit, in characters.
const MAX_GROUNDS: usize = 1000;

/// The kindergarten's head decides the child cannot be admitted: the seat returns and the
/// child goes back to the queue at its original time.
#[derive(Debug, Clone)]
pub struct NotAdmit {
    /// Referral.
    pub referral_id: ReferralId,
    /// Why (shown to the family in the signed decision).
    pub grounds: String,
    /// When.
    pub at: Timestamp,
}

impl NotAdmit {
    /// The `referral_lapsed` event, with reason `not_admitted` and the grounds.
    ///
    /// # Errors
    /// Unknown referral, not open, not confirmed by the parent (as for an admission), or
    /// grounds empty, too long or with invisible characters.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (_, referral) = referral_in(state, &self.referral_id, &OPEN)?;
        confirmed(
            state,
            referral,
            "the decision is made when the child comes with it",
        )?;
        let g = self.grounds.trim();
        if g.is_empty()
            || g.chars().count() > MAX_GROUNDS
            || !g
                .chars()
                .all(|c| c == '\n' || crate::model::text::is_visible(c))
        {
            return Err(Refusal::invalid(
                "grounds",
                "invalid_grounds",
                "1 to 1000 printable characters (line breaks allowed), none of them invisible",
            ));
        }
        Ok(vec![Event::ReferralLapsed {
            referral_id: self.referral_id,
            at: self.at,
            reason: LapseReason::NotAdmitted,
            // The regulations: back to the queue at the original time with its claim, whatever
            // the policy says of a lapse; the decision was not the family's.
            requeue: true,
            drop_claim: false,
            stopped_until: None,
            grounds: Some(g.to_owned()),
        }])
    }
}

/// A referral the head may decide on: confirmed by the parent, or merely issued where the
/// policy says `enrol_unconfirmed`; `then` says what follows the confirmation.
fn confirmed(state: &State, referral: &Referral, then: &str) -> Result<(), Refusal> {
    if referral.status == ReferralStatus::Issued && !state.policy().referral.enroll_unconfirmed {
        return Err(Refusal::conflict(
            Code::ReferralNotConfirmed.as_str(),
            format!(
                "referral {} has not been confirmed by the parent; {then}",
                referral.id
            ),
        ));
    }
    Ok(())
}

/// Applies `enrolled`.
pub(crate) fn apply(state: &mut State, id: &ReferralId, at: Timestamp) -> Result<(), Mismatch> {
    let r = state.open_referral(id)?;
    state.enroll(r, at)
}
