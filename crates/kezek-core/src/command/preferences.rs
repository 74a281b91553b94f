//! Changing the kindergarten preferences of a queued application; the registration time
//! stays. The preferences are checked by the registration's rules.

use super::refusal::Refusal;
use super::register::check_preferences;
use crate::event::Event;
use crate::model::{AppStatus, ApplicationId, KindergartenId, Seq};
use crate::queue::Cause;
use crate::state::{Mismatch, Stamp, State};
use jiff::Timestamp;

code_enum! {
    /// Why preferences are not changed (besides the preference grounds).
    pub enum Code {
        /// The application is not queued.
        ApplicationNotQueued = "application_not_queued",
    }
}

/// Replace the kindergarten preferences.
#[derive(Debug, Clone)]
pub struct ChangePreferences {
    /// Application.
    pub application_id: ApplicationId,
    /// New preferences, raw.
    pub preferences: Vec<String>,
    /// When.
    pub at: Timestamp,
}

impl ChangePreferences {
    /// The `preferences_changed` event.
    ///
    /// # Errors
    /// Unknown application, not queued, or preferences that break a rule.
    pub fn decide(self, state: &State) -> Result<Vec<Event>, Refusal> {
        let id = &self.application_id;
        let (_, app) = state
            .application_by_id(id)
            .ok_or_else(|| Refusal::not_found("application", id))?;
        if app.status != AppStatus::Queued {
            return Err(Refusal::conflict(
                Code::ApplicationNotQueued.as_str(),
                format!("application {id} is {}", app.status.as_str()),
            ));
        }
        let mut grounds = Vec::new();
        let preferences =
            check_preferences(state, Some(app.district), &self.preferences, &mut grounds);
        if !grounds.is_empty() {
            return Err(Refusal::grounds(grounds));
        }
        Ok(vec![Event::PreferencesChanged {
            application_id: self.application_id,
            preferences: state.kindergarten_ids(&preferences),
            at: self.at,
        }])
    }
}

/// Applies `preferences_changed`.
pub(crate) fn apply(
    state: &mut State,
    seq: Seq,
    id: &ApplicationId,
    preferences: &[KindergartenId],
) -> Result<(), Mismatch> {
    let a = state.known_app(id)?;
    let preferences = state.known_kindergartens(preferences)?;
    let cause = Cause::PreferencesChanged;
    state.set_preferences(a, preferences, Stamp { seq, cause })
}
