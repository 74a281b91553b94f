//! The operations of the service, one module per area: each checks what needs the state
//! (ids, scope), builds the core's command, and answers from the state the events leave.
//! Reads are plain functions over the state; writes go through [`crate::App::write`].

pub mod applications;
pub mod audit;
pub mod documents;
pub mod notifications;
pub mod operator;
pub mod places;
pub mod referrals;
pub mod worklists;

use kezek_core::model::{ApplicationId, RoundId};
use kezek_core::State;

/// The id a new application gets: from the next sequence number, so unique and replayable.
#[must_use]
pub fn next_application_id(state: &State) -> ApplicationId {
    let n = state.last_seq().next().get();
    ApplicationId::parse(&format!("KZ{n:010}")).unwrap_or_else(|_| unreachable!("digits"))
}

/// The id a new round gets: from the next sequence number.
#[must_use]
pub fn next_round_id(state: &State) -> RoundId {
    let n = state.last_seq().next().get();
    RoundId::parse(&format!("R{n:010}")).unwrap_or_else(|_| unreachable!("digits"))
}
