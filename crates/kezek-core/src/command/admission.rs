//! The kindergarten's side of a referral: the child came and is admitted (the reserved seat
//! becomes enrolled), or did not come (the referral lapses as a no-show and the seat
//! returns).

use super::lapse::lapse;
use super::referral::{not_expired, referral_in, Code};
use super::refusal::Refusal;
use crate::event::{Event, LapseReason};
use crate::model::{ReferralId, ReferralStatus};
use crate::state::{Mismatch, State};
use jiff::Timestamp;

/// Referrals the kindergarten can act on.
const OPEN: [ReferralStatus; 2] = [ReferralStatus::Issued, ReferralStatus::Confirmed];

/// The kindergarten admits the child.
#[derive(Debug, Clone)]
pub struct Enrol {
    /// Referral.
    pub referral_id: ReferralId,
    /// When.
    pub at: Timestamp,
}

impl Enrol {
    /// The `enrolled` event.
    ///
    /// # Errors
    /// Unknown referral, not open, not confirmed by the parent (unless the policy admits
    /// unconfirmed referrals), or expired.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (_, referral) = referral_in(state, &self.referral_id, &OPEN)?;
        if referral.status == ReferralStatus::Issued && !state.policy().referral.enrol_unconfirmed {
            return Err(Refusal::conflict(
                Code::ReferralNotConfirmed.as_str(),
                format!(
                    "referral {} has not been confirmed by the parent; it can be admitted once confirmed",
                    self.referral_id
                ),
            ));
        }
        not_expired(referral, self.at)?;
        Ok(vec![Event::Enrolled {
            referral_id: self.referral_id,
            at: self.at,
        }])
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
    /// Unknown referral, or one that is not open.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (_, referral) = referral_in(state, &self.referral_id, &OPEN)?;
        Ok(vec![lapse(state, referral, self.at, LapseReason::NoShow)])
    }
}

/// Applies `enrolled`.
pub(crate) fn apply(state: &mut State, id: &ReferralId, at: Timestamp) -> Result<(), Mismatch> {
    let r = state.open_referral(id)?;
    state.enrol(r, at)
}
