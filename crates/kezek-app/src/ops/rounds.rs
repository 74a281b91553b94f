//! Rounds as staff and auditors read them: the next round previewed on the state as it is
//! (nothing journaled), why a child would or would not be referred by it, a round's referrals
//! with the names a person reads, and why a child was or was not referred by a round that ran.

use crate::access::{Auth, Role, Staff, StaffOrAuditor};
use crate::error::AppError;
use crate::views;
use jiff::Timestamp;
use kezek_core::command::round::RunRound;
use kezek_core::model::{DistrictId, RoundId};
use kezek_core::{Event, State};

/// A referral a round would issue, or did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PlannedReferral {
    /// The application.
    pub application_id: String,
    /// The child's name (empty for an imported application).
    pub child_name: String,
    /// Its tier.
    pub tier: String,
    /// Where.
    pub kindergarten_id: String,
    /// The kindergarten's name.
    pub kindergarten_name: String,
    /// Its Russian name, where it has one.
    pub kindergarten_name_ru: Option<String>,
    /// Which group.
    pub group_id: String,
}

/// The referrals of `referrals`, with the names a person reads.
fn planned(state: &State, referrals: &[kezek_core::event::IssuedReferral]) -> Vec<PlannedReferral> {
    referrals
        .iter()
        .map(|r| {
            let app = state.application_by_id(&r.application_id).map(|(_, a)| a);
            let kg = state.kindergarten_by_id(&r.kindergarten_id).map(|(_, k)| k);
            PlannedReferral {
                application_id: r.application_id.to_string(),
                child_name: app.map(|a| a.child_name.to_string()).unwrap_or_default(),
                tier: app
                    .map(|a| views::tier_name(state, a.tier).to_owned())
                    .unwrap_or_default(),
                kindergarten_id: r.kindergarten_id.to_string(),
                kindergarten_name: kg.map(|k| k.name.clone()).unwrap_or_default(),
                kindergarten_name_ru: kg.and_then(|k| k.labels.name_ru.clone()),
                group_id: r.group_id.to_string(),
            }
        })
        .collect()
}

/// Who a round in `district` run at `now` would refer where, decided on the state as it is —
/// nothing is journaled or changed (a round run later first lapses the referrals overdue by
/// then, which may free more seats).
///
/// # Errors
/// Out of scope, or an unknown district.
pub fn preview_round(
    state: &State,
    auth: &Auth<Staff>,
    district: &str,
    now: Timestamp,
) -> Result<Vec<PlannedReferral>, AppError> {
    auth.caller().require_scope(Role::Staff, district)?;
    let id = DistrictId::parse(district)
        .ok()
        .filter(|d| state.district_index(d).is_some())
        .ok_or_else(|| AppError::not_found("district", district))?;
    let events = state.decide(
        RunRound {
            round_id: super::next_round_id(state),
            district: id,
            academic_year: None,
            at: now,
        }
        .into(),
    )?;
    Ok(events
        .iter()
        .find_map(|e| match e {
            Event::RoundRun(r) => Some(planned(state, &r.referrals)),
            _ => None,
        })
        .unwrap_or_default())
}

/// The referrals round `id` issued, with names; staff of its district, auditors.
///
/// # Errors
/// Unknown round, or out of scope.
pub fn round_referrals(
    state: &State,
    auth: &Auth<StaffOrAuditor>,
    id: &str,
) -> Result<(String, Vec<PlannedReferral>), AppError> {
    let r = RoundId::parse(id)
        .ok()
        .and_then(|rid| state.round(&rid))
        .ok_or_else(|| AppError::not_found("round", id))?;
    auth.caller().staff_scope(r.district.as_str())?;
    Ok((r.district.to_string(), planned(state, &r.referrals)))
}

/// What became of one of a child's kindergartens in a round previewed now.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ChoiceWhy {
    /// The kindergarten.
    pub kindergarten_id: String,
    /// Its name.
    pub kindergarten_name: String,
    /// Its Russian name, where it has one.
    pub kindergarten_name_ru: Option<String>,
    /// `no_group` (none for the child's age and language), `no_free_seats` (its group had
    /// none before the round), or `taken_by_ahead` (the group's free seats went to children
    /// ahead in the queue).
    pub reason: &'static str,
    /// The group that serves the child there, if any.
    pub group_id: Option<String>,
    /// Its free seats before the round.
    pub free: u32,
    /// The child's place among those who chose this kindergarten.
    pub position: Option<usize>,
}

/// Why a child would or would not be referred by a round run now.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct WhyView {
    /// The application.
    pub application_id: String,
    /// `referred`, `not_referred`, or `not_queued` (the child is not waiting: see `status`).
    pub outcome: &'static str,
    /// The application's status.
    pub status: &'static str,
    /// Where the round would refer the child.
    pub referral: Option<PlannedReferral>,
    /// The child is on a stop list until then (after a lapsed in-person check).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stopped_until: Option<Timestamp>,
    /// Each kindergarten chosen, best first, with what became of it (when not referred).
    pub choices: Vec<ChoiceWhy>,
}

/// Why application `raw` of `district` would or would not be referred by a round run at
/// `now` — decided as the preview is, nothing journaled. A round gives each child, in queue
/// order, the best kindergarten it chose that still has a seat in the group for its age and
/// language; so a child left out found every such group full when its turn came.
///
/// # Errors
/// Out of scope, an unknown district or application, or one of another district.
pub fn why_round(
    state: &State,
    auth: &Auth<Staff>,
    district: &str,
    raw: &str,
    now: Timestamp,
) -> Result<WhyView, AppError> {
    let planned = preview_round(state, auth, district, now)?;
    let a = kezek_core::model::ApplicationId::parse(raw.trim())
        .ok()
        .and_then(|id| state.application_index(&id))
        .filter(|a| crate::access::district_of_application(state, *a) == district)
        .ok_or_else(|| AppError::not_found("application", raw))?;
    let app = state
        .application(a)
        .ok_or_else(|| AppError::not_found("application", raw))?;
    let id = app.id.to_string();
    let referral = planned.into_iter().find(|p| p.application_id == id);
    let queued = app.status == kezek_core::model::AppStatus::Queued;
    let outcome = match (&referral, queued) {
        (Some(_), _) => "referred",
        (None, true) => "not_referred",
        (None, false) => "not_queued",
    };
    let year = views::academic_year(state, now);
    let age = year - app.cohort;
    let positions = state.positions(a, year);
    let choices = if outcome == "not_referred" {
        app.preferences
            .iter()
            .filter_map(|k| {
                let kg = state.kindergarten(*k)?;
                let group = kg.groups.iter().find(|g| g.serves(age, app.language));
                let reason = match group {
                    None => "no_group",
                    Some(g) if g.free() == 0 => "no_free_seats",
                    Some(_) => "taken_by_ahead",
                };
                Some(ChoiceWhy {
                    kindergarten_id: kg.id.to_string(),
                    kindergarten_name: kg.name.clone(),
                    kindergarten_name_ru: kg.labels.name_ru.clone(),
                    reason,
                    group_id: group.map(|g| g.id.to_string()),
                    free: group.map_or(0, kezek_core::state::Group::free),
                    position: positions
                        .iter()
                        .find(|p| p.kindergarten == *k)
                        .map(|p| p.position),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(WhyView {
        application_id: id,
        outcome,
        status: app.status.as_str(),
        referral,
        stopped_until: app.stopped_until.filter(|until| *until > now),
        choices,
    })
}

/// What became of one of a child's kindergartens in a round that ran.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ChoiceInRound {
    /// The kindergarten.
    pub kindergarten_id: String,
    /// Its name.
    pub kindergarten_name: String,
    /// Its Russian name, where it has one.
    pub kindergarten_name_ru: Option<String>,
    /// `no_free_seats` (no seat for the child's age and language was free in the round) or
    /// `taken_by_ahead` (its seats went to the children listed, who were ahead in the queue).
    pub reason: &'static str,
    /// The children the round referred there, in the order it referred them.
    pub taken_by: Vec<String>,
}

/// Why a child was or was not referred by a round that ran.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct WhyInRound {
    /// The application.
    pub application_id: String,
    /// `referred`, `not_referred`, or `not_in_round` (registered after it ran, or in another
    /// district).
    pub outcome: &'static str,
    /// Where the round referred the child.
    pub referral: Option<PlannedReferral>,
    /// Each kindergarten chosen, best first, with what became of it (when not referred).
    pub choices: Vec<ChoiceInRound>,
}

/// Why application `raw` was or was not referred by round `id`. The round gave each child,
/// in queue order, the best kindergarten it chose with a seat left in the group for its age
/// and language: a child left out found those seats gone to the children the round referred
/// there before it, or none free at all.
///
/// # Errors
/// Unknown round or application, or out of scope.
pub fn why_in_round(
    state: &State,
    auth: &Auth<StaffOrAuditor>,
    id: &str,
    raw: &str,
) -> Result<WhyInRound, AppError> {
    let round = RoundId::parse(id)
        .ok()
        .and_then(|rid| state.round(&rid))
        .ok_or_else(|| AppError::not_found("round", id))?;
    auth.caller().staff_scope(round.district.as_str())?;
    let (a, app) = kezek_core::model::ApplicationId::parse(raw.trim())
        .ok()
        .and_then(|x| state.application_by_id(&x))
        .ok_or_else(|| AppError::not_found("application", raw))?;
    let id = app.id.to_string();
    let referral = round
        .referrals
        .iter()
        .find(|r| r.application_id == app.id)
        .map(|r| planned(state, std::slice::from_ref(r)))
        .and_then(|mut v| v.pop());
    let in_round = crate::access::district_of_application(state, a) == round.district.as_str()
        && app.registered_at <= round.ran_at
        && round
            .scope
            .is_none_or(|(cohort, language)| cohort == app.cohort && language == app.language);
    let outcome = match (&referral, in_round) {
        (Some(_), _) => "referred",
        (None, true) => "not_referred",
        (None, false) => "not_in_round",
    };
    let age = round.academic_year - app.cohort;
    let choices = if outcome == "not_referred" {
        app.preferences
            .iter()
            .filter_map(|k| {
                let kg = state.kindergarten(*k)?;
                let group = kg.groups.iter().find(|g| g.serves(age, app.language));
                let taken_by: Vec<String> = round
                    .referrals
                    .iter()
                    .filter(|r| {
                        r.kindergarten_id == kg.id && group.is_some_and(|g| g.id == r.group_id)
                    })
                    .map(|r| r.application_id.to_string())
                    .collect();
                Some(ChoiceInRound {
                    kindergarten_id: kg.id.to_string(),
                    kindergarten_name: kg.name.clone(),
                    kindergarten_name_ru: kg.labels.name_ru.clone(),
                    reason: if taken_by.is_empty() {
                        "no_free_seats"
                    } else {
                        "taken_by_ahead"
                    },
                    taken_by,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(WhyInRound {
        application_id: id,
        outcome,
        referral,
        choices,
    })
}
