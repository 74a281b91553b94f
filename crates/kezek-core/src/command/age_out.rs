//! Ageing out: a child who reaches the maximum age before the academic year starts leaves
//! the queue. A round does this first, for its academic year.

use super::refusal::Refusal;
use crate::event::Event;
use crate::model::{AppStatus, ApplicationId, DistrictId, DistrictIx, Seq};
use crate::queue::order::Entry;
use crate::queue::Cause;
use crate::state::{Mismatch, Stamp, State};
use jiff::Timestamp;

/// Remove the district's children past the maximum age for the academic year.
#[derive(Debug, Clone)]
pub struct AgeOut {
    /// District.
    pub district: DistrictId,
    /// Academic year.
    pub academic_year: i16,
    /// When.
    pub at: Timestamp,
}

impl AgeOut {
    /// One `aged_out` event per child past the age.
    ///
    /// # Errors
    /// Unknown district.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let d = state
            .district_index(&self.district)
            .ok_or_else(|| Refusal::not_found("district", &self.district))?;
        Ok(aged_out(state, d, self.academic_year, self.at))
    }
}

/// The age-out events of district `d` for academic year `year`, in queue-key order.
pub(crate) fn aged_out(state: &State, d: DistrictIx, year: i16, at: Timestamp) -> Vec<Event> {
    let max_age = state.policy().max_age;
    let tiers = state.policy().tiers.len();
    let mut entries: Vec<Entry> = state
        .queue_keys_of(d)
        .iter()
        .filter(|k| i32::from(year - k.cohort) >= max_age)
        .filter_map(|k| state.queue(k))
        .flat_map(|q| (0..tiers).filter_map(move |t| q.tier(t)))
        .flat_map(|list| list.iter().copied())
        .collect();
    entries.sort();
    entries
        .into_iter()
        .filter_map(|e| state.application(e.app()))
        .map(|app| Event::AgedOut {
            application_id: app.id.clone(),
            academic_year: year,
            at,
        })
        .collect()
}

/// Applies `aged_out`.
pub(crate) fn apply(state: &mut State, seq: Seq, id: &ApplicationId) -> Result<(), Mismatch> {
    let a = state.known_app(id)?;
    let status = state.application(a).map(|x| x.status);
    if status != Some(AppStatus::Queued) {
        return Err(Mismatch::WrongStatus {
            what: "application",
            id: id.to_string(),
            status: status.map_or("unknown", AppStatus::as_str),
        });
    }
    state.dequeue(
        a,
        Stamp {
            seq,
            cause: Cause::LeftAhead,
        },
    )?;
    state.set_status(a, AppStatus::AgedOut)
}
