//! Two ways into the queue besides a live registration: an application of a city import,
//! loaded at its original time with its claim verified, and a preference change, which
//! keeps the registration time.

use crate::command::{conflict, ground, CommandError, ImportRequest};
use crate::event::{ClaimStatus, Event, Person, Registration};
use crate::ids::ApplicationId;
use crate::state::{AppStatus, State};
use crate::types::Channel;
use jiff::Timestamp;

impl State {
    pub(crate) fn decide_import(&self, req: ImportRequest) -> Result<Event, CommandError> {
        let r = req.row;
        let id = r.application_id;
        if self.application_index.contains(&self.applications, &id)
            || self.refusals.contains_key(&id)
        {
            return Err(conflict(
                "application_id_taken",
                format!("application id {id} is already used"),
            ));
        }
        if let Some(a) = self.active_application_of(&r.child_iin) {
            return Err(CommandError::ActiveApplicationExists {
                application_id: self.applications[a as usize].id.clone(),
            });
        }
        let mut grounds = Vec::new();
        self.check_age(r.birth_date, r.registered_at, &mut grounds);
        let district = self.district_index.get(&r.district).copied();
        if district.is_none() {
            grounds.push(ground(
                "district",
                "unknown_district",
                format!("no district `{}`", r.district),
            ));
        }
        self.check_preferences(district, &r.preferences, &mut grounds);
        if r.category
            .as_ref()
            .is_some_and(|c| self.policy.tier_of(c).is_none())
        {
            grounds.push(ground(
                "category",
                "unknown_category",
                format!("not a category of policy {}", self.policy.name),
            ));
        }
        if !grounds.is_empty() {
            return Err(CommandError::Invalid(grounds));
        }
        let claim = if r.category.is_some() {
            ClaimStatus::Verified
        } else {
            ClaimStatus::None
        };
        Ok(Event::Registered(Box::new(Registration {
            application_id: id,
            child: Person {
                iin: r.child_iin,
                name: String::new(),
            },
            birth_date: r.birth_date,
            applicant: None,
            representative: None,
            district: r.district,
            language: r.language,
            preferences: r.preferences,
            category: r.category,
            claim,
            documents: Vec::new(),
            channel: Channel::Office,
            registered_at: r.registered_at,
        })))
    }

    pub(crate) fn decide_preferences(
        &self,
        id: ApplicationId,
        raw: &[String],
        at: Timestamp,
    ) -> Result<Event, CommandError> {
        let a = self.known_application(&id)?;
        let app = &self.applications[a as usize];
        if !matches!(app.status, AppStatus::Queued) {
            return Err(conflict(
                "application_not_queued",
                format!("application {id} is {}", app.status.as_str()),
            ));
        }
        let mut grounds = Vec::new();
        let preferences = self.check_preferences(Some(app.district), raw, &mut grounds);
        if !grounds.is_empty() {
            return Err(CommandError::Invalid(grounds));
        }
        Ok(Event::PreferencesChanged {
            application_id: id,
            preferences: self.kindergarten_ids(&preferences),
            at,
        })
    }
}
