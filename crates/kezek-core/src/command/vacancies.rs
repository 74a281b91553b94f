//! Opening places in a group: children enrolled before Kezek (a bare count, from a city
//! import) left, so their seats become free. A child enrolled through Kezek is named: its
//! leaving is recorded by name (`command::leave`), never as a bare count. Free seats never
//! exceed capacity.

use super::refusal::Refusal;
use crate::event::Event;
use crate::model::{GroupId, KindergartenId};
use crate::state::{Mismatch, State};

code_enum! {
    /// Why places are not opened.
    pub enum Code {
        /// Zero seats.
        InvalidSeats = "invalid_seats",
        /// More seats than children enrolled.
        TooManyVacancies = "too_many_vacancies",
        /// The seats are named children's: each leaves by name.
        ChildrenAreNamed = "children_are_named",
    }
}

/// Open `seats` places in a group.
#[derive(Debug, Clone)]
pub struct OpenVacancies {
    /// Kindergarten.
    pub kindergarten_id: KindergartenId,
    /// Group.
    pub group_id: GroupId,
    /// Places.
    pub seats: u32,
}

impl OpenVacancies {
    /// The `vacancies_opened` event.
    ///
    /// # Errors
    /// Unknown kindergarten or group, no seats, or more seats than enrolled children.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let (_, kg) = state
            .kindergarten_by_id(&self.kindergarten_id)
            .ok_or_else(|| Refusal::not_found("kindergarten", &self.kindergarten_id))?;
        let g = kg
            .group(&self.group_id)
            .ok_or_else(|| Refusal::not_found("group", &self.group_id))?;
        if self.seats == 0 {
            return Err(Refusal::invalid(
                "seats",
                Code::InvalidSeats.as_str(),
                "must be at least 1",
            ));
        }
        if self.seats > g.enrolled {
            return Err(Refusal::conflict(
                Code::TooManyVacancies.as_str(),
                format!(
                    "group {} has {} enrolled children; free seats cannot exceed capacity",
                    self.group_id, g.enrolled
                ),
            ));
        }
        // Only the children Kezek does not know by name leave as a count.
        let named = g.children.len();
        let unnamed = g.unnamed();
        if self.seats > unnamed {
            return Err(Refusal::conflict(
                Code::ChildrenAreNamed.as_str(),
                format!(
                    "group {}: {named} of its children were admitted through Kezek and leave by name (POST /v1/kindergartens/{}/children/{{application_id}}/leave); {unnamed} enrolled before Kezek may leave as a count",
                    self.group_id, self.kindergarten_id
                ),
            ));
        }
        Ok(vec![Event::VacanciesOpened {
            kindergarten_id: self.kindergarten_id,
            group_id: self.group_id,
            seats: self.seats,
        }])
    }
}

/// Applies `vacancies_opened`.
pub(crate) fn apply(
    state: &mut State,
    kindergarten: &KindergartenId,
    group: &GroupId,
    seats: u32,
) -> Result<(), Mismatch> {
    let k = state.known_kindergarten(kindergarten)?;
    let g = state.group_mut(k, group)?;
    g.enrolled = g
        .enrolled
        .checked_sub(seats)
        .ok_or_else(|| Mismatch::Seats {
            group: group.to_string(),
            problem: "more vacancies than enrolled children",
        })?;
    Ok(())
}
