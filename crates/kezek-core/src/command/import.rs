//! An application of a city import (`applications.csv`), loaded at its original registration
//! time with its claim verified: it was checked when it was first filed, so it carries no
//! applicant data and no documents. The same age, district, preference and category rules as
//! a registration; a row that breaks one is refused (the import stops, naming its line).

use super::refusal::{ground, Refusal};
use super::register::{check_age, check_preferences};
use crate::dataset::ApplicationRow;
use crate::event::{Event, GroundCode, Person, Registration};
use crate::model::{Channel, ClaimStatus};
use crate::state::State;

code_enum! {
    /// Why an imported application is refused (besides the registration's grounds).
    pub enum Code {
        /// The application id is already used.
        ApplicationIdTaken = "application_id_taken",
    }
}

/// The registration's rules an imported row must keep: the age, the district, the
/// preferences, the category.
fn check(state: &State, r: &ApplicationRow) -> Result<(), Refusal> {
    let mut grounds = Vec::new();
    check_age(state, r.birth_date, r.registered_at, &mut grounds);
    let district = state.district_index(&r.district);
    if district.is_none() {
        grounds.push(ground(
            "district",
            GroundCode::UnknownDistrict,
            format!("no district `{}`", r.district),
        ));
    }
    check_preferences(state, district, &r.preferences, &mut grounds);
    if r.category
        .as_ref()
        .is_some_and(|c| state.policy().tier_of(c).is_none())
    {
        grounds.push(ground(
            "category",
            GroundCode::UnknownCategory,
            format!("not a category of policy {}", state.policy().name),
        ));
    }
    if grounds.is_empty() {
        Ok(())
    } else {
        Err(Refusal::grounds(grounds))
    }
}

/// Load one application of a city import at its original time.
#[derive(Debug, Clone)]
pub struct Import {
    /// The parsed row.
    pub row: ApplicationRow,
}

impl Import {
    /// The `registered` event.
    ///
    /// # Errors
    /// An id already used, an active application of the same child, or a ground.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let r = self.row;
        check(state, &r)?;
        let id = r.application_id;
        if state.application_id_taken(&id) {
            return Err(Refusal::conflict(
                Code::ApplicationIdTaken.as_str(),
                format!("application id {id} is already used"),
            ));
        }
        let active = state
            .active_application_of(&r.child_iin)
            .and_then(|a| state.application(a));
        if let Some(app) = active {
            return Err(Refusal::ActiveApplicationExists {
                application_id: app.id.clone(),
            });
        }
        let claim = if r.category.is_some() {
            ClaimStatus::Verified
        } else {
            ClaimStatus::None
        };
        Ok(vec![Event::Registered(Box::new(Registration {
            application_id: id,
            child: Person {
                iin: r.child_iin,
                name: String::new(),
            },
            birth_date: r.birth_date,
            applicant: None,
            email: None,
            representative: None,
            district: r.district,
            language: r.language,
            preferences: r.preferences,
            category: r.category,
            claim,
            documents: Vec::new(),
            channel: Channel::Office,
            registered_at: r.registered_at,
            together_with: None,
        }))])
    }
}
