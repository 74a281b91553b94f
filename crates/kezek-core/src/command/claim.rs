//! Deciding a priority claim: an authority employee verifies or rejects the proof. A verified
//! claim puts the child in its category's tier at its original registration time; a
//! rejected one in the general tier, also at its original time.

use super::refusal::Refusal;
use crate::event::Event;
use crate::model::{ApplicationId, ClaimStatus, Seq};
use crate::queue::Cause;
use crate::state::{Mismatch, Stamp, State};
use jiff::Timestamp;

/// Longest reason, in characters.
const MAX_REASON: usize = 1000;

code_enum! {
    /// Why a claim decision is refused.
    pub enum Code {
        /// The application claims no category.
        NoPriorityClaim = "no_priority_claim",
        /// The application is no longer active.
        ApplicationNotActive = "application_not_active",
        /// A reason that is too long or holds control characters.
        InvalidReason = "invalid_reason",
    }
}

/// Verify or reject a priority claim.
#[derive(Debug, Clone)]
pub struct DecideClaim {
    /// Application.
    pub application_id: ApplicationId,
    /// Verified or rejected.
    pub verified: bool,
    /// The employee's reason.
    pub reason: String,
    /// When.
    pub at: Timestamp,
}

impl DecideClaim {
    /// The `claim_decided` event.
    ///
    /// # Errors
    /// Unknown application, no claim, an inactive application, or a bad reason.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let id = &self.application_id;
        let (_, app) = state
            .application_by_id(id)
            .ok_or_else(|| Refusal::not_found("application", id))?;
        if app.claim == ClaimStatus::None {
            return Err(Refusal::conflict(
                Code::NoPriorityClaim.as_str(),
                format!("application {id} claims no category"),
            ));
        }
        if !app.status.is_active() {
            return Err(Refusal::conflict(
                Code::ApplicationNotActive.as_str(),
                format!("application {id} is {}", app.status.as_str()),
            ));
        }
        let r = &self.reason;
        if !crate::model::text::is_free_text(r, MAX_REASON) {
            return Err(Refusal::invalid(
                "reason",
                Code::InvalidReason.as_str(),
                "at most 1000 printable characters (line breaks allowed), none of them invisible",
            ));
        }
        Ok(vec![Event::ClaimDecided {
            application_id: self.application_id,
            verified: self.verified,
            reason: self.reason,
            at: self.at,
        }])
    }
}

/// Applies `claim_decided`.
pub(crate) fn apply(
    state: &mut State,
    seq: Seq,
    id: &ApplicationId,
    verified: bool,
) -> Result<(), Mismatch> {
    let a = state.known_app(id)?;
    let (claim, cause) = if verified {
        (ClaimStatus::Verified, Cause::PriorityVerified)
    } else {
        (ClaimStatus::Rejected, Cause::PriorityRevoked)
    };
    state.set_claim(a, claim, Stamp { seq, cause })
}
