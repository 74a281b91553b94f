//! Changing the kindergarten preferences of a queued application; the registration time
//! stays. The preference rules here are the registration's and the import's too.

use super::refusal::{ground, Refusal};
use crate::event::{Event, Ground, GroundCode};
use crate::model::{AppStatus, ApplicationId, DistrictIx, KgIx, KindergartenId, Seq};
use crate::queue::Cause;
use crate::state::{Mismatch, Preferences, Stamp, State};
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
            preferences: kindergarten_ids(state, &preferences),
            at: self.at,
        }])
    }
}

/// Checks preferences for `district` (`None` when the district itself is unknown); returns
/// the known kindergartens, duplicates left out. Every broken rule goes to `grounds`.
pub(crate) fn check_preferences<S: AsRef<str>>(
    state: &State,
    district: Option<DistrictIx>,
    raw: &[S],
    grounds: &mut Vec<Ground>,
) -> Vec<KgIx> {
    if raw.is_empty() {
        grounds.push(ground(
            "preferences",
            GroundCode::NoPreferences,
            "list 1 or more kindergartens",
        ));
    }
    let max = state.policy().max_preferences;
    if raw.len() > max {
        grounds.push(ground(
            "preferences",
            GroundCode::TooManyPreferences,
            format!("at most {max} kindergartens"),
        ));
    }
    let mut out: Vec<KgIx> = Vec::with_capacity(raw.len());
    for (i, s) in raw.iter().enumerate() {
        let s = s.as_ref();
        let Some((k, kg)) = state.kindergarten_by_str(s) else {
            grounds.push(ground(
                format!("preferences[{i}]"),
                GroundCode::UnknownKindergarten,
                format!("no kindergarten `{}`", s.escape_debug()),
            ));
            continue;
        };
        if district.is_some_and(|d| kg.district != d) {
            grounds.push(ground(
                format!("preferences[{i}]"),
                GroundCode::KindergartenOutsideDistrict,
                format!("`{s}` is in another district"),
            ));
        }
        if out.contains(&k) {
            grounds.push(ground(
                format!("preferences[{i}]"),
                GroundCode::DuplicatePreference,
                format!("`{s}` is listed twice"),
            ));
        } else {
            out.push(k);
        }
    }
    out
}

/// The ids of kindergartens.
pub(crate) fn kindergarten_ids(state: &State, ks: &[KgIx]) -> Vec<KindergartenId> {
    ks.iter()
        .filter_map(|k| state.kindergarten(*k))
        .map(|k| k.id.clone())
        .collect()
}

/// The indexes of kindergartens named in an event.
pub(crate) fn kindergarten_indexes(
    state: &State,
    ids: &[KindergartenId],
) -> Result<Preferences, Mismatch> {
    ids.iter().map(|k| state.known_kindergarten(k)).collect()
}

/// Applies `preferences_changed`.
pub(crate) fn apply(
    state: &mut State,
    seq: Seq,
    id: &ApplicationId,
    preferences: &[KindergartenId],
) -> Result<(), Mismatch> {
    let a = state.known_app(id)?;
    let preferences = kindergarten_indexes(state, preferences)?;
    let cause = Cause::PreferencesChanged;
    state.set_preferences(a, preferences, Stamp { seq, cause })
}
