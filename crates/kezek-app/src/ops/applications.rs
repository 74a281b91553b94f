//! Applications: register, read, change preferences, withdraw, decide a priority claim.

use super::{application_answer, known, next_application_id, next_round_id};
use crate::access::{district_of_application, Auth, Filer, Portal, PortalOrStaff, Role, Staff};
use crate::app::write::{Idempotency, Written};
use crate::error::AppError;
use crate::forms::{PreferencesForm, PriorityForm, RegisterForm};
use crate::problem::Problem;
use crate::views;
use crate::views::result_id;
use crate::App;
use crate::Reads;
use jiff::Timestamp;
use kezek_core::command::claim::DecideClaim;
use kezek_core::command::preferences::ChangePreferences;
use kezek_core::command::register::Register;
use kezek_core::command::withdraw::Withdraw;
use kezek_core::model::{AppIx, Iin};
use kezek_core::{Event, Outcome, State};
use std::sync::Arc;

/// The answer to a registration: the application (201), or the journaled refusal (422).
fn register_answer(state: &State, outcome: &Outcome, now: Timestamp) -> Written {
    match outcome.first() {
        Some((
            seq,
            Event::RegistrationRefused {
                application_id,
                grounds,
                ..
            },
        )) => {
            let missing: Vec<&str> = grounds
                .iter()
                .flat_map(|g| g.missing.iter().map(|d| d.as_str()))
                .collect();
            let problem = Problem::new(
                422,
                "Unprocessable Entity",
                "refused",
                "the application is refused on every ground listed in errors",
            )
            .with_errors(
                grounds
                    .iter()
                    .cloned()
                    .map(kezek_core::command::Violation::from),
            )
            .with("application_id", application_id.as_str())
            .with("document_id", result_id(*seq))
            .with("missing", missing);
            Written {
                status: 422,
                body: problem.to_bytes(),
            }
        }
        Some((_, Event::Registered(r))) => {
            let view = state
                .application_index(&r.application_id)
                .and_then(|a| views::application(state, a, now));
            Written::json(201, &view)
        }
        _ => Written::json(500, &serde_json::Value::Null),
    }
}

impl App {
    /// Registers a child: 201 with the application, or 422 with the journaled refusal.
    ///
    /// # Errors
    /// An active application of the child, or the service unavailable.
    pub async fn register(
        self: &Arc<Self>,
        auth: &Auth<Filer>,
        idem: Option<Idempotency>,
        form: RegisterForm,
    ) -> Result<Written, AppError> {
        may_file(auth.caller(), &form.channel, &form.district)?;
        let iin = |raw: &str| kezek_core::model::Iin::parse(raw.trim()).ok();
        auth.caller().acts_for((
            iin(&form.applicant.iin),
            form.applicant
                .representative
                .as_ref()
                .and_then(|r| iin(&r.iin)),
        ))?;
        self.write(
            auth.caller(),
            idem,
            move |state, now| {
                Ok(Register {
                    application_id: Some(next_application_id(state)),
                    round_id: Some(next_round_id(state)),
                    child_iin: form.child.iin,
                    child_name: form.child.name,
                    birth_date: form.child.birth_date,
                    applicant_iin: form.applicant.iin,
                    applicant_name: form.applicant.name,
                    representative: form
                        .applicant
                        .representative
                        .map(|r| (r.iin, r.power_of_attorney)),
                    applicant_email: form.applicant.email,
                    district: form.district,
                    language: form.language,
                    preferences: form.preferences,
                    category: form.category,
                    documents: form.documents,
                    channel: form.channel,
                    claim_verified: false,
                    together_with: form.together_with,
                    at: now,
                }
                .into())
            },
            register_answer,
        )
        .await
    }

    /// Replaces an application's kindergarten preferences (200 with the application).
    ///
    /// # Errors
    /// Unknown or not queued application, bad preferences, or the service unavailable.
    pub async fn change_preferences(
        self: &Arc<Self>,
        auth: &Auth<Portal>,
        idem: Option<Idempotency>,
        id: &str,
        form: PreferencesForm,
    ) -> Result<Written, AppError> {
        let application_id = known(id)?;
        let answer_id = application_id.clone();
        let caller = auth.caller().clone();
        self.write(
            auth.caller(),
            idem,
            move |state, at| {
                if let Some(a) = state.application_index(&application_id) {
                    caller.for_citizen(state, a)?;
                }
                Ok(ChangePreferences {
                    application_id,
                    preferences: form.preferences,
                    at,
                }
                .into())
            },
            move |state, _, now| application_answer(state, &answer_id, now),
        )
        .await
    }

    /// Withdraws an application (200 with the application).
    ///
    /// # Errors
    /// Unknown or inactive application, or the service unavailable.
    pub async fn withdraw(
        self: &Arc<Self>,
        auth: &Auth<Portal>,
        idem: Option<Idempotency>,
        id: &str,
    ) -> Result<Written, AppError> {
        let application_id = known(id)?;
        let answer_id = application_id.clone();
        let caller = auth.caller().clone();
        self.write(
            auth.caller(),
            idem,
            move |state, at| {
                if let Some(a) = state.application_index(&application_id) {
                    caller.for_citizen(state, a)?;
                }
                Ok(Withdraw { application_id, at }.into())
            },
            move |state, _, now| application_answer(state, &answer_id, now),
        )
        .await
    }

    /// Verifies or rejects a priority claim (200 with the application); staff of the
    /// application's district.
    ///
    /// # Errors
    /// Unknown application, out of scope, a decision that is neither `verified` nor
    /// `rejected`, no claim, or the service unavailable.
    pub async fn decide_claim(
        self: &Arc<Self>,
        auth: &Auth<Staff>,
        idem: Option<Idempotency>,
        id: &str,
        form: PriorityForm,
    ) -> Result<Written, AppError> {
        let application_id = known(id)?;
        let answer_id = application_id.clone();
        let caller = auth.caller().clone();
        self.write(
            auth.caller(),
            idem,
            move |state, at| {
                let a = state
                    .application_index(&application_id)
                    .ok_or_else(|| AppError::not_found("application", application_id.as_str()))?;
                caller.require_scope(Role::Staff, district_of_application(state, a))?;
                let verified = match form.decision.as_str() {
                    "verified" => true,
                    "rejected" => false,
                    _ => {
                        return Err(AppError::invalid(
                            "decision",
                            "invalid_decision",
                            "must be verified or rejected",
                        ))
                    }
                };
                Ok(DecideClaim {
                    application_id,
                    verified,
                    reason: form.reason,
                    at,
                }
                .into())
            },
            move |state, _, now| application_answer(state, &answer_id, now),
        )
        .await
    }
}

/// Whether `caller` may file on `channel` in `district`: the portal's key files on the
/// portal only; a clerk's at the counters (service centre, office) of its districts only; a
/// district's staff at its office.
///
/// # Errors
/// [`AppError::Forbidden`] naming what the key may do.
pub fn may_file(caller: &crate::Caller, channel: &str, district: &str) -> Result<(), AppError> {
    match caller.role {
        Role::Portal if channel != "portal" => Err(AppError::Forbidden(
            "a portal key files on the channel portal; filings at a service centre or an office are made with a clerk key".into(),
        )),
        Role::Clerk if !matches!(channel, "service_center" | "office") => Err(AppError::Forbidden(
            "a clerk key files on the channels service_center and office; the portal files with its own key".into(),
        )),
        Role::Staff if channel != "office" => Err(AppError::Forbidden(
            "a staff key files at its department's office (channel office)".into(),
        )),
        Role::Clerk | Role::Staff => caller.require_scope(caller.role, district),
        _ => Ok(()),
    }
}

/// What a counter's filing form offers: the categories a family may claim, the documents
/// the channel asks for (and the ones asked for on top: the proof of a claim, the birth
/// certificate of a child born before the registry), and how many kindergartens may be
/// chosen.
#[derive(Debug, Clone)]
pub struct FilingChoices {
    /// Category codes, as the policy lists them.
    pub categories: Vec<String>,
    /// Document codes, those the channel always asks for first.
    pub documents: Vec<(&'static str, bool)>,
    /// Kindergartens a family may choose, at most.
    pub max_preferences: usize,
}

impl Reads<'_> {
    /// What the filing form on `channel` offers.
    #[must_use]
    pub fn filing_choices(&self, channel: &str) -> FilingChoices {
        use kezek_core::model::Document;
        let policy = self.state.policy();
        let asked = match channel {
            "service_center" => &policy.documents.service_center,
            "office" => &policy.documents.office,
            _ => &policy.documents.portal,
        };
        let mut documents: Vec<(&'static str, bool)> =
            asked.iter().map(|d| (d.as_str(), true)).collect();
        for extra in [Document::BenefitProof, Document::BirthCertificate] {
            if !asked.contains(&extra) {
                documents.push((extra.as_str(), false));
            }
        }
        FilingChoices {
            categories: policy
                .tiers
                .iter()
                .flat_map(|t| t.categories.iter().map(ToString::to_string))
                .collect(),
            documents,
            max_preferences: policy.max_preferences,
        }
    }
}

impl<'s> Reads<'s> {
    /// An application the caller may see, as it stands.
    ///
    /// # Errors
    /// Unknown id or out of scope.
    pub fn application(
        &self,
        auth: &Auth<PortalOrStaff>,
        id: &str,
    ) -> Result<views::ApplicationView<'s>, AppError> {
        let (state, now) = (self.state, self.now);
        let a = crate::access::visible_application(state, auth.caller(), id)?;
        views::application(state, a, now).ok_or_else(|| AppError::not_found("application", id))
    }

    /// The position view of an application the caller may see.
    ///
    /// # Errors
    /// Unknown id or out of scope.
    pub fn position(
        &self,
        auth: &Auth<PortalOrStaff>,
        id: &str,
        since: Option<u64>,
    ) -> Result<views::PositionView<'s>, AppError> {
        let (state, now) = (self.state, self.now);
        let a = crate::access::visible_application(state, auth.caller(), id)?;
        views::position(state, a, now, since).ok_or_else(|| AppError::not_found("application", id))
    }

    /// "When will we get a place?": the estimate for a queued application the caller may
    /// see, per kindergarten it listed.
    ///
    /// # Errors
    /// Unknown id, out of scope, or an application that is not queued (409
    /// `application_not_queued`).
    pub fn forecast(
        &self,
        auth: &Auth<PortalOrStaff>,
        id: &str,
    ) -> Result<views::ForecastView<'s>, AppError> {
        let (state, now) = (self.state, self.now);
        let a = crate::access::visible_application(state, auth.caller(), id)?;
        let status = state.application(a).map(|x| x.status);
        if status != Some(kezek_core::model::AppStatus::Queued) {
            return Err(kezek_core::command::Refusal::conflict(
                "application_not_queued",
                format!(
                    "application {id} is {}: an estimate is for a child waiting in the queue",
                    status.map_or("", |s| s.as_str())
                ),
            )
            .into());
        }
        views::forecast(state, a, now).ok_or_else(|| AppError::not_found("application", id))
    }

    /// A child's applications the caller may see (staff: of its districts), active first.
    ///
    /// # Errors
    /// A `child_iin` that is not an IIN.
    pub fn applications_of_child(
        &self,
        auth: &Auth<PortalOrStaff>,
        child_iin: &str,
    ) -> Result<views::ApplicationList<'s>, AppError> {
        let (state, now) = (self.state, self.now);
        let iin = Iin::parse(child_iin)
            .map_err(|e| AppError::invalid("child_iin", "invalid_iin", e.to_string()))?;
        let caller = auth.caller();
        if caller.citizen == crate::access::Citizen::Missing {
            caller.acts_for((None, None))?;
        }
        let keep = |a: AppIx| {
            let in_district = caller.role != Role::Staff
                || caller
                    .scope
                    .iter()
                    .any(|d| d == district_of_application(state, a));
            in_district && caller.for_citizen(state, a).is_ok()
        };
        Ok(views::applications_of_child(state, &iin, now, keep))
    }
}
