//! "When will we get a place?": the estimate of `kezek_core::forecast`, per kindergarten the
//! queued child listed, as days made dates in the authority's calendar.

use jiff::civil::Date;
use jiff::Timestamp;
use kezek_core::model::{AppIx, ApplicationId, KindergartenId};
use kezek_core::State;
use serde::Serialize;

/// The model, in one sentence, as the answer states it.
pub const MODEL: &str = "position among the children who listed the kindergarten, at the pace of the seats it gave children of the same birth cohort and language in each of the last four 91-day quarters: earliest at the busiest quarter's pace, latest at the slowest's (none when a quarter gave no seat); later registrations with a higher priority are not foreseen";

/// The estimate at one kindergarten.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KindergartenForecast<'a> {
    /// The kindergarten.
    #[schema(value_type = String)]
    pub kindergarten_id: &'a KindergartenId,
    /// The child's place among the children who listed it.
    pub position: usize,
    /// Seats it gave the child's cohort and language in each of the last four quarters,
    /// the most recent first.
    pub seats_last_quarters: Vec<u32>,
    /// The earliest day the turn may come (absent: no seat in the last year to go by).
    #[schema(value_type = Option<String>, format = Date)]
    pub earliest: Option<Date>,
    /// The latest (absent: a quarter gave no seat, so the data cannot say).
    #[schema(value_type = Option<String>, format = Date)]
    pub latest: Option<Date>,
}

/// The estimates for a queued application.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForecastView<'a> {
    /// The application.
    #[schema(value_type = String)]
    pub application_id: &'a ApplicationId,
    /// The journal seq the estimate reflects.
    pub as_of_seq: u64,
    /// The model, stated.
    pub model: &'static str,
    /// One estimate per kindergarten listed, in the family's order.
    pub kindergartens: Vec<KindergartenForecast<'a>>,
}

/// The estimates for application `a` at `now` (none unless it is queued).
#[must_use]
pub fn forecast(state: &State, a: AppIx, now: Timestamp) -> Option<ForecastView<'_>> {
    let app = state.application(a)?;
    let calendar = &state.policy().calendar;
    let today = calendar.local_date(now);
    let day =
        |days: Option<i64>| days.and_then(|d| today.checked_add(jiff::Span::new().days(d)).ok());
    let kindergartens = state
        .forecast(a, now, super::academic_year(state, now))
        .into_iter()
        .filter_map(|f| {
            Some(KindergartenForecast {
                kindergarten_id: &state.kindergarten(f.kindergarten)?.id,
                position: f.position,
                seats_last_quarters: f.seats.to_vec(),
                earliest: day(f.earliest_days),
                latest: day(f.latest_days),
            })
        })
        .collect();
    Some(ForecastView {
        application_id: &app.id,
        as_of_seq: state.last_seq().get(),
        model: MODEL,
        kindergartens,
    })
}
