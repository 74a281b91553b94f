//! Children who leave, by name: a kindergarten (or its district's staff) records that an
//! enrolled child left, and the roll-over of a kindergarten's groups into the academic year
//! that has begun — for one kindergarten, or for the whole city from the command line.

use crate::access::{district_of_kindergarten, Auth, Caller, KindergartenOrStaff, Role};
use crate::app::write::{Idempotency, Written};
use crate::error::AppError;
use crate::forms::{LeaveForm, RollOverForm};
use crate::views;
use crate::App;
use kezek_core::command::leave::{Leave, RollOver};
use kezek_core::model::{ApplicationId, KgIx, KindergartenId, LeaveReason};
use kezek_core::{Event, Outcome, State};
use serde::Serialize;
use std::sync::Arc;

/// The answer to a leaving: the application's status now and the kindergarten with its seats.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LeftView<'a> {
    /// The application of the child who left.
    #[schema(value_type = String)]
    pub application_id: &'a ApplicationId,
    /// `left`.
    pub application_status: &'static str,
    /// The group the child left.
    #[schema(value_type = String)]
    pub group_id: String,
    /// The day it left.
    #[schema(value_type = String, format = Date)]
    pub date: jiff::civil::Date,
    /// Why.
    pub reason: &'static str,
    /// The kindergarten with its groups' seats after the leaving.
    pub kindergarten: views::KindergartenView<'a>,
}

/// The answer to a roll-over: the kindergarten's groups as they are now, and who left for
/// school.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RolledView<'a> {
    /// The academic year the groups entered.
    pub academic_year: i16,
    /// The applications of the children who left for school.
    #[schema(value_type = Vec<String>)]
    pub leavers: Vec<ApplicationId>,
    /// Seats of children enrolled before Kezek (known only as a count) that opened.
    pub released: u32,
    /// The kindergarten with its groups after the roll-over.
    pub kindergarten: views::KindergartenView<'a>,
}

/// Kindergarten `raw` if `caller` may record its children's leaving: the kindergarten
/// itself, or staff of its district.
fn own_kindergarten(state: &State, caller: &Caller, raw: &str) -> Result<KgIx, AppError> {
    let k = KindergartenId::parse(raw)
        .ok()
        .and_then(|id| state.kindergarten_index(&id))
        .ok_or_else(|| AppError::not_found("kindergarten", raw))?;
    match caller.role {
        Role::Kindergarten => caller.require_scope(Role::Kindergarten, raw)?,
        Role::Staff => caller.require_scope(Role::Staff, district_of_kindergarten(state, k))?,
        _ => {}
    }
    Ok(k)
}

fn left_answer(state: &State, outcome: &Outcome) -> Written {
    let answer = outcome.iter().find_map(|(_, e)| match e {
        Event::ChildLeft {
            application_id,
            kindergarten_id,
            group_id,
            date,
            reason,
            ..
        } => Some(LeftView {
            application_id: &state.application_by_id(application_id)?.1.id,
            application_status: state.application_by_id(application_id)?.1.status.as_str(),
            group_id: group_id.to_string(),
            date: *date,
            reason: reason.as_str(),
            kindergarten: views::kindergarten(state, state.kindergarten_index(kindergarten_id)?)?,
        }),
        _ => None,
    });
    Written::json(200, &answer)
}

fn rolled_answer(state: &State, outcome: &Outcome) -> Written {
    let answer = outcome.iter().find_map(|(_, e)| match e {
        Event::GroupsRolledOver {
            kindergarten_id,
            academic_year,
            groups,
            leavers,
            ..
        } => Some(RolledView {
            academic_year: *academic_year,
            leavers: leavers.clone(),
            released: groups.iter().map(|g| g.released).sum(),
            kindergarten: views::kindergarten(state, state.kindergarten_index(kindergarten_id)?)?,
        }),
        _ => None,
    });
    Written::json(200, &answer)
}

/// Parses the leaving's form.
fn leave_fields(form: &LeaveForm) -> Result<(jiff::civil::Date, LeaveReason), AppError> {
    let date = form
        .date
        .parse::<jiff::civil::Date>()
        .map_err(|_| AppError::invalid("date", "invalid_date", "must be a day as YYYY-MM-DD"))?;
    let reason = LeaveReason::parse(&form.reason).ok_or_else(|| {
        AppError::invalid(
            "reason",
            "invalid_reason",
            "must be moved, school, family_request or other",
        )
    })?;
    Ok((date, reason))
}

/// How one kindergarten's roll-over went, for the city-wide command.
#[derive(Debug)]
pub struct CityRollOver {
    /// The kindergarten.
    pub kindergarten_id: String,
    /// The children who left for school, or why it was refused.
    pub result: Result<usize, String>,
}

impl App {
    /// Records that an enrolled child left kindergarten `k` (200 with the kindergarten's
    /// seats): the kindergarten itself or its district's staff.
    ///
    /// # Errors
    /// A bad date or reason, an unknown kindergarten or application, out of scope, a child
    /// not enrolled there, or the service unavailable.
    pub async fn leave(
        self: &Arc<Self>,
        auth: &Auth<KindergartenOrStaff>,
        idem: Option<Idempotency>,
        (k, application): (&str, &str),
        form: LeaveForm,
    ) -> Result<Written, AppError> {
        let (date, reason) = leave_fields(&form)?;
        let application_id = ApplicationId::parse(application)
            .map_err(|_| AppError::not_found("application", application))?;
        let caller = auth.caller().clone();
        let raw = k.to_owned();
        self.write(
            auth.caller(),
            idem,
            move |state, at| {
                let k = own_kindergarten(state, &caller, &raw)?;
                Ok(Leave {
                    application_id,
                    kindergarten_id: state
                        .kindergarten(k)
                        .map(|x| x.id.clone())
                        .ok_or_else(|| AppError::not_found("kindergarten", raw.as_str()))?,
                    date,
                    reason,
                    at,
                }
                .into())
            },
            |state, outcome, _| left_answer(state, outcome),
        )
        .await
    }

    /// Rolls kindergarten `k`'s groups over into the academic year that has begun (200 with
    /// the groups and who left for school): the kindergarten itself or its district's staff.
    ///
    /// # Errors
    /// Unknown kindergarten, out of scope, another academic year, rolled over already, a
    /// group leaving for school with seats held for referrals, or the service unavailable.
    pub async fn roll_over(
        self: &Arc<Self>,
        auth: &Auth<KindergartenOrStaff>,
        idem: Option<Idempotency>,
        k: &str,
        form: RollOverForm,
    ) -> Result<Written, AppError> {
        let caller = auth.caller().clone();
        let raw = k.to_owned();
        self.sweep().await?;
        self.write(
            auth.caller(),
            idem,
            move |state, at| {
                let k = own_kindergarten(state, &caller, &raw)?;
                Ok(RollOver {
                    kindergarten_id: state
                        .kindergarten(k)
                        .map(|x| x.id.clone())
                        .ok_or_else(|| AppError::not_found("kindergarten", raw.as_str()))?,
                    academic_year: form.academic_year,
                    at,
                }
                .into())
            },
            |state, outcome, _| rolled_answer(state, outcome),
        )
        .await
    }

    /// `kezek roll-over --academic-year Y`: every kindergarten of the city not rolled over
    /// into `academic_year` yet, one journaled act each; a kindergarten that cannot (seats
    /// held for referrals in a group leaving for school) is reported and the others go on.
    ///
    /// # Errors
    /// The journal cannot be read or written (a refusal of one kindergarten is its result).
    pub async fn roll_over_city(
        self: &Arc<Self>,
        academic_year: i16,
    ) -> Result<Vec<CityRollOver>, AppError> {
        self.sweep().await?;
        let pending: Vec<KindergartenId> = self.peek(|s| {
            s.kindergartens()
                .filter(|(_, k)| k.rolled_over.is_none_or(|y| y < academic_year))
                .map(|(_, k)| k.id.clone())
                .collect()
        })?;
        let mut report = Vec::with_capacity(pending.len());
        for kindergarten_id in pending {
            let id = kindergarten_id.to_string();
            let written = self
                .write(
                    &Caller::operator(),
                    None,
                    move |_, at| {
                        Ok(RollOver {
                            kindergarten_id,
                            academic_year,
                            at,
                        }
                        .into())
                    },
                    |state, outcome, _| rolled_answer(state, outcome),
                )
                .await;
            let result = match written {
                Ok(w) => Ok(serde_json::from_slice::<serde_json::Value>(&w.body)
                    .ok()
                    .and_then(|v| v.get("leavers")?.as_array().map(Vec::len))
                    .unwrap_or(0)),
                Err(AppError::Refused(kezek_core::command::Refusal::Invalid(v))) => Err(v
                    .iter()
                    .map(|v| format!("{} {}: {}", v.field, v.code, v.message))
                    .collect::<Vec<_>>()
                    .join("; ")),
                Err(AppError::Refused(kezek_core::command::Refusal::Conflict {
                    code,
                    message,
                })) => Err(format!("{code}: {message}")),
                Err(e @ AppError::Refused(_)) => Err(e.to_string()),
                Err(e) => return Err(e),
            };
            report.push(CityRollOver {
                kindergarten_id: id,
                result,
            });
        }
        Ok(report)
    }
}
