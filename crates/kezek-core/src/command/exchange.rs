//! Exchanges: a family in an offered exchange confirms it; when the last one does, every
//! child in it moves to the next one's seat at once, admitted there (the journal's offer
//! names who moved from where to where). An offer not confirmed by every family in time
//! lapses: nothing happens and the requests wait on.

use super::refusal::Refusal;
use crate::event::{Event, ExchangeOffer};
use crate::model::{AppIx, ApplicationId, ReferralId, ReferralStatus};
use crate::state::{Exchange, ExchangeStatus, Mismatch, Referral, State};
use jiff::Timestamp;

code_enum! {
    /// Why a confirmation is refused.
    pub enum Code {
        /// The exchange is done or lapsed.
        ExchangeClosed = "exchange_closed",
        /// Its time passed.
        ExchangeExpired = "exchange_expired",
        /// The application is not in the exchange.
        NotInExchange = "not_in_exchange",
        /// The family confirmed already.
        AlreadyConfirmed = "already_confirmed",
    }
}

/// A family confirms the exchange its child is offered.
#[derive(Debug, Clone)]
pub struct ConfirmExchange {
    /// The exchange.
    pub exchange_id: ReferralId,
    /// The family's application.
    pub application_id: ApplicationId,
    /// When.
    pub at: Timestamp,
}

impl ConfirmExchange {
    /// `exchange_confirmed`, and `exchange_done` when it was the last family.
    ///
    /// # Errors
    /// Unknown exchange, one done or lapsed or past its time, an application not in it, or
    /// one that confirmed already.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (_, x) = state
            .exchange(&self.exchange_id)
            .ok_or_else(|| Refusal::not_found("exchange", &self.exchange_id))?;
        if x.status != ExchangeStatus::Offered {
            return Err(Refusal::conflict(
                Code::ExchangeClosed.as_str(),
                format!("exchange {} is {}", self.exchange_id, x.status.as_str()),
            ));
        }
        if self.at >= x.offer.expires_at {
            return Err(Refusal::conflict(
                Code::ExchangeExpired.as_str(),
                format!(
                    "exchange {} had to be confirmed before {}",
                    self.exchange_id, x.offer.expires_at
                ),
            ));
        }
        let member = x
            .offer
            .moves
            .iter()
            .position(|m| m.application_id == self.application_id)
            .ok_or_else(|| {
                Refusal::conflict(
                    Code::NotInExchange.as_str(),
                    format!(
                        "application {} is not in exchange {}",
                        self.application_id, self.exchange_id
                    ),
                )
            })?;
        if x.confirmed.get(member).copied().unwrap_or(false) {
            return Err(Refusal::conflict(
                Code::AlreadyConfirmed.as_str(),
                format!(
                    "application {} confirmed exchange {} already",
                    self.application_id, self.exchange_id
                ),
            ));
        }
        let last = x
            .confirmed
            .iter()
            .enumerate()
            .all(|(i, c)| *c || i == member);
        let mut events = vec![Event::ExchangeConfirmed {
            exchange_id: self.exchange_id.clone(),
            application_id: self.application_id,
            at: self.at,
        }];
        if last {
            events.push(Event::ExchangeDone {
                exchange_id: self.exchange_id,
                at: self.at,
            });
        }
        Ok(events)
    }
}

/// Keeps the exchanges a round offered.
pub(crate) fn apply_offers(
    state: &mut State,
    round: crate::model::RoundIx,
    offers: &[ExchangeOffer],
) -> Result<(), Mismatch> {
    for offer in offers {
        let mut members = Vec::with_capacity(offer.moves.len());
        for m in &offer.moves {
            let a = state.known_app(&m.application_id)?;
            let waiting = state.transfer(a).is_some_and(|t| t.referral.is_none())
                && state.open_exchange_of(a).is_none();
            if !waiting {
                return Err(Mismatch::WrongStatus {
                    what: "exchange",
                    id: offer.exchange_id.to_string(),
                    status: "a member without a waiting request",
                });
            }
            members.push(a);
        }
        state.add_exchange(Exchange {
            offer: offer.clone(),
            confirmed: vec![false; members.len()],
            members,
            status: ExchangeStatus::Offered,
            round,
        });
    }
    Ok(())
}

/// The open exchange `id`, by index.
fn open(state: &State, id: &ReferralId) -> Result<usize, Mismatch> {
    match state.exchange(id) {
        Some((i, x)) if x.status == ExchangeStatus::Offered => Ok(i),
        _ => Err(Mismatch::WrongStatus {
            what: "exchange",
            id: id.to_string(),
            status: "not offered",
        }),
    }
}

/// Applies `exchange_confirmed`, `exchange_done` and `exchange_lapsed` (other events are no
/// business of theirs).
pub(crate) fn apply_event(state: &mut State, event: &Event) -> Result<(), Mismatch> {
    match event {
        Event::ExchangeConfirmed {
            exchange_id,
            application_id,
            ..
        } => {
            let i = open(state, exchange_id)?;
            let a = state.known_app(application_id)?;
            let x = state.exchange_mut(i).ok_or_else(|| unknown(exchange_id))?;
            let member = x
                .members
                .iter()
                .position(|m| *m == a)
                .ok_or_else(|| unknown(exchange_id))?;
            if let Some(c) = x.confirmed.get_mut(member) {
                *c = true;
            }
            Ok(())
        }
        Event::ExchangeDone { exchange_id, at } => {
            let i = open(state, exchange_id)?;
            done(state, i, *at)
        }
        Event::ExchangeLapsed { exchange_id, .. } => {
            let i = open(state, exchange_id)?;
            state.close_exchange(i, ExchangeStatus::Lapsed);
            Ok(())
        }
        _ => Ok(()),
    }
}

fn unknown(id: &ReferralId) -> Mismatch {
    Mismatch::Unknown {
        what: "exchange",
        id: id.to_string(),
    }
}

/// Every child moves to the next one's seat, admitted there: each leaves its old group by
/// name and takes its new one; no seat is freed or taken.
fn done(state: &mut State, i: usize, at: Timestamp) -> Result<(), Mismatch> {
    let (offer, members, round) = {
        let x = state.exchanges().nth(i).ok_or_else(|| Mismatch::Unknown {
            what: "exchange",
            id: i.to_string(),
        })?;
        (x.offer.clone(), x.members.clone(), x.round)
    };
    if members.iter().any(|a| !all_confirmed(state, i, *a)) {
        return Err(Mismatch::WrongStatus {
            what: "exchange",
            id: offer.exchange_id.to_string(),
            status: "not confirmed by every family",
        });
    }
    // Everyone leaves first, then everyone takes the next seat: the groups never overflow.
    for (a, m) in members.iter().zip(&offer.moves) {
        let from = state.known_kindergarten(&m.from.0)?;
        let g = state.group_mut(from, &m.from.1)?;
        let at_seat = g
            .children
            .iter()
            .position(|c| c == a)
            .ok_or_else(|| Mismatch::Seats {
                group: m.from.1.to_string(),
                problem: "a child of an exchange is not in the group it leaves",
            })?;
        g.children.remove(at_seat);
    }
    for (a, m) in members.iter().zip(&offer.moves) {
        let to = state.known_kindergarten(&m.to.0)?;
        state.group_mut(to, &m.to.1)?.children.push(*a);
        let tier = state.application(*a).map_or(0, |x| x.tier);
        state.adopt_referral(Referral {
            id: m.referral_id.clone(),
            app: *a,
            kindergarten: to,
            group: m.to.1.clone(),
            round,
            tier: tier.into(),
            issued_at: at,
            expires_at: at,
            status: ReferralStatus::Enrolled,
            extended: false,
            enrolled_at: Some(at),
            reminded_for: None,
            transfer: true,
            exchange: true,
        })?;
        state.end_transfer(*a);
    }
    state.close_exchange(i, ExchangeStatus::Done);
    Ok(())
}

fn all_confirmed(state: &State, i: usize, a: AppIx) -> bool {
    state.exchanges().nth(i).is_some_and(|x| {
        x.members
            .iter()
            .zip(&x.confirmed)
            .any(|(m, c)| *m == a && *c)
    })
}
