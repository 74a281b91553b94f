//! Transfers that keep the current place: the family of an enrolled child asks for other
//! kindergartens of its district. The child keeps its seat; a round considers the request
//! after every queued child (`allocation`), and a referral it issues is the transfer's: the
//! child is admitted there (its old seat then opens by name), or the referral ends and only
//! the request ends with it.

use super::refusal::Refusal;
use super::register::check_preferences;
use crate::event::Event;
use crate::model::{AppIx, AppStatus, ApplicationId};
use crate::state::{Mismatch, State, Transfer};
use jiff::Timestamp;

code_enum! {
    /// Why a transfer request is refused or not withdrawn.
    pub enum Code {
        /// The child is not enrolled.
        NotEnrolled = "not_enrolled",
        /// A kindergarten asked for is the child's own.
        CurrentKindergarten = "current_kindergarten",
        /// A referral for the transfer is open: answer it first.
        TransferReferralOpen = "transfer_referral_open",
        /// There is no request to withdraw.
        NoTransferRequest = "no_transfer_request",
        /// The child is in an exchange offered and not yet done or lapsed.
        ExchangeOpen = "exchange_open",
    }
}

/// Ask for (or change) the kindergartens an enrolled child should move to.
#[derive(Debug, Clone)]
pub struct RequestTransfer {
    /// The child's application.
    pub application_id: ApplicationId,
    /// The kindergartens, raw, best first.
    pub preferences: Vec<String>,
    /// When.
    pub at: Timestamp,
}

/// Refuses while a transfer referral or an exchange of `a` is open.
pub(crate) fn no_open_referral(state: &State, a: AppIx, id: &ApplicationId) -> Result<(), Refusal> {
    if let Some(x) = state.open_exchange_of(a) {
        return Err(Refusal::conflict(
            Code::ExchangeOpen.as_str(),
            format!(
                "application {id} is in exchange {}, offered until {}: it is done or lapses first",
                x.offer.exchange_id, x.offer.expires_at
            ),
        ));
    }
    if state.transfer(a).is_some_and(|t| t.referral.is_some()) {
        return Err(Refusal::conflict(
            Code::TransferReferralOpen.as_str(),
            format!(
                "a referral for the transfer of application {id} is open: confirm or decline it first"
            ),
        ));
    }
    Ok(())
}

impl RequestTransfer {
    /// The `transfer_requested` event.
    ///
    /// # Errors
    /// Unknown application, a child not enrolled, a transfer referral open, kindergartens
    /// that break the registration's rules or include the child's own.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let id = &self.application_id;
        let (a, app) = state
            .application_by_id(id)
            .ok_or_else(|| Refusal::not_found("application", id))?;
        let Some((current, _, _)) = state.place(a) else {
            return Err(Refusal::conflict(
                Code::NotEnrolled.as_str(),
                format!(
                    "application {id} is {}: a transfer is for an enrolled child (a queued one changes its preferences)",
                    app.status.as_str()
                ),
            ));
        };
        no_open_referral(state, a, id)?;
        let mut grounds = Vec::new();
        let preferences =
            check_preferences(state, Some(app.district), &self.preferences, &mut grounds);
        if !grounds.is_empty() {
            return Err(Refusal::grounds(grounds));
        }
        if let Some(i) = preferences.iter().position(|k| *k == current) {
            return Err(Refusal::invalid(
                format!("preferences[{i}]"),
                Code::CurrentKindergarten.as_str(),
                "is the kindergarten the child attends",
            ));
        }
        Ok(vec![Event::TransferRequested {
            application_id: self.application_id,
            preferences: state.kindergarten_ids(&preferences),
            at: self.at,
        }])
    }
}

/// Withdraw the request to transfer.
#[derive(Debug, Clone)]
pub struct WithdrawTransfer {
    /// The child's application.
    pub application_id: ApplicationId,
    /// When.
    pub at: Timestamp,
}

impl WithdrawTransfer {
    /// The `transfer_withdrawn` event.
    ///
    /// # Errors
    /// Unknown application, no request, or a transfer referral open (declined instead).
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let id = &self.application_id;
        let (a, _) = state
            .application_by_id(id)
            .ok_or_else(|| Refusal::not_found("application", id))?;
        if state.transfer(a).is_none() {
            return Err(Refusal::conflict(
                Code::NoTransferRequest.as_str(),
                format!("application {id} has no request to transfer"),
            ));
        }
        no_open_referral(state, a, id)?;
        Ok(vec![Event::TransferWithdrawn {
            application_id: self.application_id,
            at: self.at,
        }])
    }
}

/// Applies `transfer_requested` and `transfer_withdrawn` (other events are no business of
/// theirs).
pub(crate) fn apply_event(state: &mut State, event: &Event) -> Result<(), Mismatch> {
    match event {
        Event::TransferRequested {
            application_id,
            preferences,
            at,
        } => {
            let a = state.known_app(application_id)?;
            if state.application(a).map(|x| x.status) != Some(AppStatus::Enrolled) {
                return Err(Mismatch::WrongStatus {
                    what: "application",
                    id: application_id.to_string(),
                    status: "not enrolled",
                });
            }
            let preferences = state.known_kindergartens(preferences)?;
            match state.transfer_mut(a) {
                Some(t) if t.referral.is_none() => t.preferences = preferences,
                Some(_) => {
                    return Err(Mismatch::WrongStatus {
                        what: "transfer",
                        id: application_id.to_string(),
                        status: "with a referral open",
                    })
                }
                None => state.put_transfer(
                    a,
                    Transfer {
                        preferences,
                        requested_at: *at,
                        referral: None,
                    },
                ),
            }
            Ok(())
        }
        Event::TransferWithdrawn { application_id, .. } => {
            let a = state.known_app(application_id)?;
            if state.transfer(a).is_none_or(|t| t.referral.is_some()) {
                return Err(Mismatch::WrongStatus {
                    what: "transfer",
                    id: application_id.to_string(),
                    status: "none to withdraw",
                });
            }
            state.end_transfer(a);
            Ok(())
        }
        _ => Ok(()),
    }
}
