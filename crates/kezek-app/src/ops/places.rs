//! Kindergartens, vacancies, allocation rounds and a district's statistics.

use super::next_round_id;
use crate::access::{district_of_kindergarten, Auth, KeyHolders, Role, Staff, StaffOrAuditor};
use crate::app::write::{Idempotency, Written};
use crate::error::AppError;
use crate::forms::{KindergartenForm, RoundForm, VacanciesForm};
use crate::views;
use crate::App;
use crate::Reads;
use kezek_core::command::kindergarten::UpsertKindergarten;
use kezek_core::command::round::RunRound;
use kezek_core::command::vacancies::OpenVacancies;
use kezek_core::model::{DistrictId, GroupId, KindergartenId};
use kezek_core::{Event, State};
use std::sync::Arc;

/// The answer with kindergarten `id` after a write.
fn kindergarten_answer(state: &State, id: &KindergartenId, status: u16) -> Written {
    let view = state
        .kindergarten_index(id)
        .and_then(|k| views::kindergarten(state, k));
    Written::json(status, &view)
}

impl App {
    /// Creates (201) or replaces (200) a kindergarten; staff of its district (and, when it
    /// exists, of its current district).
    ///
    /// # Errors
    /// A bad id, out of scope, a rule of the data broken, seats taken, or the service
    /// unavailable.
    pub async fn upsert_kindergarten(
        self: &Arc<Self>,
        auth: &Auth<Staff>,
        idem: Option<Idempotency>,
        id: &str,
        form: KindergartenForm,
    ) -> Result<Written, AppError> {
        let kindergarten_id = KindergartenId::parse(id)
            .map_err(|e| AppError::invalid("id", "invalid_id", e.to_string()))?;
        let caller = auth.caller().clone();
        caller.require_scope(Role::Staff, form.district.as_str())?;
        let answer_id = kindergarten_id.clone();
        // Decided with the command and part of the answer stored for retries: a retry of the
        // request that created the kindergarten is answered 201 too.
        let created = std::sync::atomic::AtomicBool::new(false);
        self.write(
            auth.caller(),
            idem,
            |state, at| {
                match state.kindergarten_index(&kindergarten_id) {
                    Some(k) => {
                        caller.require_scope(Role::Staff, district_of_kindergarten(state, k))?;
                    }
                    None => created.store(true, std::sync::atomic::Ordering::Relaxed),
                }
                Ok(UpsertKindergarten {
                    kindergarten_id,
                    name: form.name,
                    labels: kezek_core::event::KindergartenLabels {
                        name_ru: form.name_ru,
                        address: form.address,
                        address_ru: form.address_ru,
                        phone: form.phone,
                    },
                    district: form.district,
                    groups: form.groups.into_iter().map(Into::into).collect(),
                    // Staff describe the groups as they are in the year in progress.
                    academic_year: Some(views::academic_year(state, at)),
                }
                .into())
            },
            |state, _, _| {
                let status = if created.load(std::sync::atomic::Ordering::Relaxed) {
                    201
                } else {
                    200
                };
                kindergarten_answer(state, &answer_id, status)
            },
        )
        .await
    }

    /// Opens places in a group (200 with the kindergarten); staff of its district.
    ///
    /// # Errors
    /// Unknown kindergarten or group, out of scope, too many seats, or the service
    /// unavailable.
    pub async fn open_vacancies(
        self: &Arc<Self>,
        auth: &Auth<Staff>,
        idem: Option<Idempotency>,
        (id, group): (&str, &str),
        form: VacanciesForm,
    ) -> Result<Written, AppError> {
        let kindergarten_id =
            KindergartenId::parse(id).map_err(|_| AppError::not_found("kindergarten", id))?;
        let group_id = GroupId::parse(group).map_err(|_| AppError::not_found("group", group))?;
        let caller = auth.caller().clone();
        let answer_id = kindergarten_id.clone();
        self.write(
            auth.caller(),
            idem,
            move |state, _| {
                let k = state
                    .kindergarten_index(&kindergarten_id)
                    .ok_or_else(|| AppError::not_found("kindergarten", kindergarten_id.as_str()))?;
                caller.require_scope(Role::Staff, district_of_kindergarten(state, k))?;
                Ok(OpenVacancies {
                    kindergarten_id,
                    group_id,
                    seats: form.seats,
                }
                .into())
            },
            |state, _, _| kindergarten_answer(state, &answer_id, 200),
        )
        .await
    }

    /// Runs an allocation round in a district (201 with the round); overdue referrals lapse
    /// first.
    ///
    /// # Errors
    /// Out of scope, unknown district, a bad academic year, or the service unavailable.
    pub async fn run_round(
        self: &Arc<Self>,
        auth: &Auth<Staff>,
        idem: Option<Idempotency>,
        district: &str,
        form: RoundForm,
    ) -> Result<Written, AppError> {
        auth.caller().require_scope(Role::Staff, district)?;
        let district =
            DistrictId::parse(district).map_err(|_| AppError::not_found("district", district))?;
        self.sweep().await?;
        self.write(
            auth.caller(),
            idem,
            move |state, at| {
                Ok(RunRound {
                    round_id: next_round_id(state),
                    district,
                    academic_year: form.academic_year,
                    at,
                }
                .into())
            },
            |state, outcome, _| match outcome.last() {
                Some((_, Event::RoundRun(r))) => Written::json(201, &views::round(state, r)),
                _ => Written::json(201, &serde_json::Value::Null),
            },
        )
        .await
    }
}

impl<'s> Reads<'s> {
    /// A kindergarten: staff of its district, the kindergarten itself, the portal, auditors.
    ///
    /// # Errors
    /// Unknown kindergarten, or out of scope.
    pub fn kindergarten(
        &self,
        auth: &Auth<KeyHolders>,
        id: &str,
    ) -> Result<views::KindergartenView<'s>, AppError> {
        let state = self.state;
        let not_found = || AppError::not_found("kindergarten", id);
        let k = KindergartenId::parse(id)
            .ok()
            .and_then(|kid| state.kindergarten_index(&kid))
            .ok_or_else(not_found)?;
        let caller = auth.caller();
        match caller.role {
            Role::Staff => caller.require_scope(Role::Staff, district_of_kindergarten(state, k))?,
            Role::Kindergarten => caller.require_scope(Role::Kindergarten, id)?,
            _ => {}
        }
        views::kindergarten(state, k).ok_or_else(not_found)
    }

    /// A round: staff of its district, auditors.
    ///
    /// # Errors
    /// Unknown round, or out of scope.
    pub fn round(
        &self,
        auth: &Auth<StaffOrAuditor>,
        id: &str,
    ) -> Result<views::RoundView<'s>, AppError> {
        Ok(views::round(self.state, self.round_record(auth, id)?))
    }

    /// A district's statistics for the academic year in progress at `now`.
    ///
    /// # Errors
    /// Out of scope, or unknown district.
    pub fn stats(
        &self,
        auth: &Auth<StaffOrAuditor>,
        district: &str,
    ) -> Result<views::StatsView<'s>, AppError> {
        let (state, now) = (self.state, self.now);
        auth.caller().staff_scope(district)?;
        let not_found = || AppError::not_found("district", district);
        let d = DistrictId::parse(district)
            .ok()
            .and_then(|id| state.district_index(&id))
            .ok_or_else(not_found)?;
        views::stats(state, d, views::academic_year(state, now), now).ok_or_else(not_found)
    }
}

impl App {
    /// Names a district and its authority (200 with the district's entry); staff of the
    /// district, or an admin. Its documents print these names from then on.
    ///
    /// # Errors
    /// A bad id, out of scope, a name that is empty, too long or invisible, or the service
    /// unavailable.
    pub async fn name_district(
        self: &Arc<Self>,
        auth: &Auth<Staff>,
        idem: Option<Idempotency>,
        id: &str,
        form: crate::forms::DistrictForm,
    ) -> Result<Written, AppError> {
        let district = DistrictId::parse(id)
            .map_err(|e| AppError::invalid("id", "invalid_id", e.to_string()))?;
        auth.caller().require_scope(Role::Staff, id)?;
        let answer_id = district.clone();
        self.write(
            auth.caller(),
            idem,
            move |_, _| {
                Ok(kezek_core::command::district::NameDistrict {
                    district,
                    names: kezek_core::event::DistrictNames {
                        name_kk: form.name_kk,
                        name_ru: form.name_ru,
                        authority_kk: form.authority_kk,
                        authority_ru: form.authority_ru,
                    },
                }
                .into())
            },
            move |state, _, _| {
                let entry = state
                    .district_index(&answer_id)
                    .and_then(|d| super::catalog::district_entry(state, d));
                Written::json(200, &entry)
            },
        )
        .await
    }
}
