//! Withdrawing an application: a queued child leaves its queue, a referred child's referral
//! is released and its seat returns.

use super::refusal::Refusal;
use crate::event::Event;
use crate::model::{AppStatus, ApplicationId, ReferralStatus};
use crate::queue::Cause;
use crate::state::{Mismatch, Stamp, State};
use jiff::Timestamp;

code_enum! {
    /// Why an application is not withdrawn.
    pub enum Code {
        /// It is neither queued nor referred.
        ApplicationNotActive = "application_not_active",
    }
}

/// Withdraw an application.
#[derive(Debug, Clone)]
pub struct Withdraw {
    /// Application.
    pub application_id: ApplicationId,
    /// When.
    pub at: Timestamp,
}

impl Withdraw {
    /// The `withdrawn` event.
    ///
    /// # Errors
    /// Unknown application, or one that is not queued or referred.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (_, app) = state
            .application_by_id(&self.application_id)
            .ok_or_else(|| Refusal::not_found("application", &self.application_id))?;
        if !matches!(app.status, AppStatus::Queued | AppStatus::Referred) {
            return Err(Refusal::conflict(
                Code::ApplicationNotActive.as_str(),
                format!(
                    "application {} is {}",
                    self.application_id,
                    app.status.as_str()
                ),
            ));
        }
        Ok(vec![Event::Withdrawn {
            application_id: self.application_id,
            at: self.at,
        }])
    }
}

/// Applies `withdrawn`.
pub(crate) fn apply(
    state: &mut State,
    seq: crate::model::Seq,
    id: &ApplicationId,
) -> Result<(), Mismatch> {
    let a = state.known_app(id)?;
    let stamp = Stamp {
        seq,
        cause: Cause::LeftAhead,
    };
    let app = state.application(a).ok_or_else(|| Mismatch::Unknown {
        what: "application",
        id: id.to_string(),
    })?;
    match (app.status, app.referral) {
        (AppStatus::Queued, _) => state.dequeue(a, stamp)?,
        (AppStatus::Referred, Some(r)) => state.close_referral(r, ReferralStatus::Released)?,
        (status, _) => {
            return Err(Mismatch::WrongStatus {
                what: "application",
                id: id.to_string(),
                status: status.as_str(),
            })
        }
    }
    state.set_status(a, AppStatus::Withdrawn)
}
