//! The operations of the service, one module per area, each an `impl App` block of named
//! operations: a write checks what needs the state (ids, scope), builds the core's command
//! and answers from the state the events leave (through [`crate::App::write`]); a read checks
//! who may see what it names and builds its view under the state's read lock, shown once the
//! journal is durable that far. The HTTP API, the console and the command line call these and
//! nothing else of the state.

pub mod actions;
pub mod applications;
pub mod authority;
pub mod batches;
pub mod casefile;
pub mod cases;
pub mod catalog;
pub mod certificates;
pub mod corrections;
pub mod dashboard;
pub mod documents;
pub mod email;
pub mod files;
pub mod forecast_check;
pub mod gauges;
pub mod import;
pub mod journal;
pub mod keys;
pub mod leaving;
pub mod notifications;
pub mod officials;
pub mod operator;
pub mod places;
pub mod portal;
pub mod public;
pub mod queue;
pub mod queue_complaints;
pub mod referrals;
pub mod retention;
pub mod rounds;
pub mod sessions;
pub mod status;
pub mod sweep;
pub mod transfers;
pub mod worklists;

use kezek_core::model::{AppIx, ApplicationId, ReferralStatus, RoundId};
use kezek_core::State;

/// The application id `raw` names, or 404.
pub(crate) fn known(raw: &str) -> Result<ApplicationId, crate::AppError> {
    ApplicationId::parse(raw).map_err(|_| crate::AppError::not_found("application", raw))
}

/// Application `id` if `caller` may act on it: clerks and staff of its district, the portal
/// for its citizen's (`Caller::application_scope`).
pub(crate) fn in_scope(
    state: &State,
    caller: &crate::access::Caller,
    id: &ApplicationId,
) -> Result<AppIx, crate::AppError> {
    let a = state
        .application_index(id)
        .ok_or_else(|| crate::AppError::not_found("application", id.as_str()))?;
    caller.application_scope(state, a)?;
    Ok(a)
}

/// A write's answer: application `id` as it stands (200).
pub(crate) fn application_answer(
    state: &State,
    id: &ApplicationId,
    now: jiff::Timestamp,
) -> crate::Written {
    let view = state
        .application_index(id)
        .and_then(|a| crate::views::application(state, a, now));
    crate::Written::json(200, &view)
}

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

/// The statuses of open referrals `status` asks for: `issued`, `confirmed`, or both (`None`).
///
/// # Errors
/// [`AppError::Invalid`] naming `status`.
pub(crate) fn open_referrals(
    status: Option<&str>,
) -> Result<&'static [ReferralStatus], crate::AppError> {
    match status {
        None => Ok(&[ReferralStatus::Issued, ReferralStatus::Confirmed]),
        Some("issued") => Ok(&[ReferralStatus::Issued]),
        Some("confirmed") => Ok(&[ReferralStatus::Confirmed]),
        Some("enrolled") => Ok(&[ReferralStatus::Enrolled]),
        Some(_) => Err(crate::AppError::invalid(
            "status",
            "invalid_status",
            "must be issued, confirmed or enrolled",
        )),
    }
}

/// Items per page unless asked otherwise.
const DEFAULT_LIMIT: usize = 100;

/// The bounds of a page read from the store: `after` an id or seq (stored as SQLite's
/// 64-bit integers: past them there is nothing to read, and the store could not even be
/// asked), `limit` 1 to 1000 (100 by default); the limit to read with.
///
/// # Errors
/// [`AppError::Invalid`] naming `after` or `limit`.
pub fn page_bounds(after: u64, limit: Option<usize>) -> Result<usize, crate::AppError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=1000).contains(&limit) {
        return Err(crate::AppError::invalid(
            "limit",
            "invalid_limit",
            "must be 1 to 1000",
        ));
    }
    if i64::try_from(after).is_err() {
        return Err(crate::AppError::invalid(
            "after",
            "invalid_after",
            "must be 0 to 9223372036854775807",
        ));
    }
    Ok(limit)
}
