//! Rounds as staff and auditors read them: the next round previewed on the state as it is
//! (nothing journaled), why a child would or would not be referred by it, a round's referrals
//! with the names a person reads, and why a child was or was not referred by a round that ran.

use crate::access::{Auth, Role, Staff, StaffOrAuditor};
use crate::error::AppError;
use crate::views;
use crate::Reads;
use jiff::Timestamp;
use kezek_core::command::round::RunRound;
use kezek_core::model::{DistrictId, RoundId};
use kezek_core::{Event, State};

/// Application `raw` with its index, if it exists.
fn application<'s>(
    state: &'s State,
    raw: &str,
) -> Option<(kezek_core::model::AppIx, &'s kezek_core::state::Application)> {
    kezek_core::model::ApplicationId::parse(raw.trim())
        .ok()
        .and_then(|id| state.application_by_id(&id))
}

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

/// A round that ran, as a list shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoundSummary {
    /// Its id.
    pub round_id: String,
    /// When it ran.
    pub ran_at: Timestamp,
    /// How many referrals it issued.
    pub referrals: usize,
    /// Whether it was the district's round (else one run for a registration that met a free
    /// seat, in its cohort queue alone).
    pub whole_district: bool,
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

impl<'s> Reads<'s> {
    /// Who a round in `district` run at `now` would refer where, decided on the state as it is —
    /// nothing is journaled or changed (a round run later first lapses the referrals overdue by
    /// then, which may free more seats).
    ///
    /// # Errors
    /// Out of scope, or an unknown district.
    pub fn preview_round(
        &self,
        auth: &Auth<Staff>,
        district: &str,
    ) -> Result<Vec<PlannedReferral>, AppError> {
        let (state, now) = (self.state, self.now);
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
        &self,
        auth: &Auth<StaffOrAuditor>,
        id: &str,
    ) -> Result<(String, Vec<PlannedReferral>), AppError> {
        let r = self.round_record(auth, id)?;
        Ok((r.district.to_string(), planned(self.state, &r.referrals)))
    }

    /// The rounds that ran in `district`, newest first, at most `limit`: each with when it
    /// ran and how many referrals it issued; staff of the district, auditors.
    ///
    /// # Errors
    /// Out of scope.
    pub fn rounds_of(
        &self,
        auth: &Auth<StaffOrAuditor>,
        district: &str,
        limit: usize,
    ) -> Result<Vec<RoundSummary>, AppError> {
        auth.caller().staff_scope(district)?;
        Ok(self
            .state
            .rounds()
            .iter()
            .rev()
            .filter(|r| r.district.as_str() == district)
            .take(limit)
            .map(|r| RoundSummary {
                round_id: r.round_id.to_string(),
                ran_at: r.ran_at,
                referrals: r.referrals.len(),
                whole_district: r.scope.is_none(),
            })
            .collect())
    }

    /// Round `id`, for staff of its district and auditors.
    ///
    /// # Errors
    /// Unknown round, or out of scope.
    pub(crate) fn round_record(
        &self,
        auth: &Auth<StaffOrAuditor>,
        id: &str,
    ) -> Result<&'s kezek_core::event::RoundRecord, AppError> {
        let r = RoundId::parse(id)
            .ok()
            .and_then(|rid| self.state.round(&rid))
            .ok_or_else(|| AppError::not_found("round", id))?;
        auth.caller().staff_scope(r.district.as_str())?;
        Ok(r)
    }

    /// Why application `raw` of `district` would or would not be referred by a round run now
    /// — decided as the preview is, nothing journaled; the reasons are the core's
    /// (`State::why_not_referred`).
    ///
    /// # Errors
    /// Out of scope, an unknown district or application, or one of another district.
    pub fn why_round(
        &self,
        auth: &Auth<Staff>,
        district: &str,
        raw: &str,
    ) -> Result<WhyView, AppError> {
        let (state, now) = (self.state, self.now);
        let planned = self.preview_round(auth, district)?;
        let (a, app) = application(state, raw)
            .filter(|(a, _)| crate::access::district_of_application(state, *a) == district)
            .ok_or_else(|| AppError::not_found("application", raw))?;
        let referral = planned
            .into_iter()
            .find(|p| p.application_id == app.id.as_str());
        let queued = app.status == kezek_core::model::AppStatus::Queued;
        let outcome = match (&referral, queued) {
            (Some(_), _) => "referred",
            (None, true) => "not_referred",
            (None, false) => "not_queued",
        };
        let year = views::academic_year(state, now);
        let positions = state.positions(a, year);
        let choices = if outcome == "not_referred" {
            state
                .why_not_referred(a, year)
                .into_iter()
                .filter_map(|c| {
                    let kg = state.kindergarten(c.kindergarten)?;
                    Some(ChoiceWhy {
                        kindergarten_id: kg.id.to_string(),
                        kindergarten_name: kg.name.clone(),
                        kindergarten_name_ru: kg.labels.name_ru.clone(),
                        reason: c.reason.as_str(),
                        group_id: c.group.map(|g| g.id.to_string()),
                        free: c.group.map_or(0, kezek_core::state::Group::free),
                        position: positions
                            .iter()
                            .find(|p| p.kindergarten == c.kindergarten)
                            .map(|p| p.position),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(WhyView {
            application_id: app.id.to_string(),
            outcome,
            status: app.status.as_str(),
            referral,
            stopped_until: app.stopped_until.filter(|until| *until > now),
            choices,
        })
    }

    /// Why application `raw` was or was not referred by round `id`; the reasons are the
    /// core's (`State::why_not_referred_in`).
    ///
    /// # Errors
    /// Unknown round or application, or out of scope.
    pub fn why_in_round(
        &self,
        auth: &Auth<StaffOrAuditor>,
        id: &str,
        raw: &str,
    ) -> Result<WhyInRound, AppError> {
        let state = self.state;
        let round = self.round_record(auth, id)?;
        let (a, app) =
            application(state, raw).ok_or_else(|| AppError::not_found("application", raw))?;
        let referral = round
            .referrals
            .iter()
            .find(|r| r.application_id == app.id)
            .map(|r| planned(state, std::slice::from_ref(r)))
            .and_then(|mut v| v.pop());
        let outcome = match (&referral, state.took_part(a, round)) {
            (Some(_), _) => "referred",
            (None, true) => "not_referred",
            (None, false) => "not_in_round",
        };
        let choices = if outcome == "not_referred" {
            state
                .why_not_referred_in(a, round)
                .into_iter()
                .filter_map(|c| {
                    let kg = state.kindergarten(c.kindergarten)?;
                    Some(ChoiceInRound {
                        kindergarten_id: kg.id.to_string(),
                        kindergarten_name: kg.name.clone(),
                        kindergarten_name_ru: kg.labels.name_ru.clone(),
                        reason: c.reason.as_str(),
                        taken_by: c.taken_by.iter().map(ToString::to_string).collect(),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(WhyInRound {
            application_id: app.id.to_string(),
            outcome,
            referral,
            choices,
        })
    }
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
