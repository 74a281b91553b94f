//! What the service shows: typed read models of the state, with the field names of the HTTP
//! contract, serialised as they are built (borrowing the state, under its read lock). The
//! HTTP layer returns them and describes them in `/openapi.json`; the result documents take
//! the same positions.

mod application;
mod forecast;
mod journal;
mod places;

pub use application::{
    application, applications_of_child, exchange, file_entries, kindergarten_actions, position,
    positions, referral, registration_result_id, transfer, Ahead, ApplicationList, ApplicationView,
    FileEntry, FileView, PositionAt, PositionView, ReferralAnswer, ReferralList, ReferralView,
    Since,
};
pub use forecast::{forecast, ForecastView, KindergartenForecast};
pub use journal::{
    head_bytes, ActingOfficial, DocumentView, HeadView, JournalEvent, JournalPage, KeyView,
    KeysView,
};
pub use places::{
    kindergarten, round, stats, GroupView, KindergartenView, RoundView, SeatsView, StatsView,
    WeekView,
};

use jiff::Timestamp;
use kezek_core::State;

/// The id of the document a journaled registration or refusal produced.
#[must_use]
pub fn result_id(seq: kezek_core::model::Seq) -> String {
    format!("doc-{seq}")
}

/// The id of a referral's document.
#[must_use]
pub fn referral_document_id(referral: &str) -> String {
    format!("doc-{referral}")
}

/// The academic year in progress at `now` (groups serve ages counted on its cut-off).
#[must_use]
pub fn academic_year(state: &State, now: Timestamp) -> i16 {
    let p = state.policy();
    p.cutoff.academic_year_of(p.calendar.local_date(now))
}

/// The name of tier `t` of the policy in force.
#[must_use]
pub fn tier_name(state: &State, t: impl Into<usize>) -> &str {
    state
        .policy()
        .tiers
        .get(t.into())
        .map_or("", |tier| tier.name.as_str())
}
