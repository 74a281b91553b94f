//! Forgetting persons (issue 28, part 5): the children, applicants and representatives of
//! finished applications erased — their data keys deleted and `person_erased` journaled, in
//! one commit with their documents tombstoned, their notifications and proof files deleted
//! (`kezek_core::command::erase`, `kezek_store::forget`). Only a journal that seals personal
//! data can forget: one that keeps it in the clear is migrated first.

use crate::access::{Caller, Role};
use crate::error::AppError;
use crate::App;
use kezek_core::command::erase::{Code, Erase};
use kezek_core::event::{ErasedRole, ErasureReason};
use kezek_core::model::{ApplicationId, Iin};
use kezek_core::{Event, Refusal};
use kezek_store::sealing::id_text;
use std::sync::Arc;

/// A request to erase the persons of finished applications.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// The applications (or refused ones) whose persons go.
    pub applications: Vec<String>,
    /// What the erasure rests on: the order's number and date, the request.
    pub reason: String,
}

/// Applications a retention sweep erases the persons of at a time.
const SWEEP_BATCH: usize = 500;

/// One person erased.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ErasedPerson {
    /// As whom they appeared in the first application that names them.
    pub role: String,
    /// That application.
    pub application_id: String,
    /// How many places (applications, refused ones) they appeared in.
    pub places: usize,
    /// The IIN that stands in for them from now on.
    pub stand_in: String,
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ErasureReport {
    /// The persons erased, in the order of the applications named.
    pub erased: Vec<ErasedPerson>,
    /// Applicants and representatives kept because something still needs them: the code
    /// of what (`application_active`, `person_in_office`, `person_in_case`).
    pub kept: Vec<String>,
    /// The seq of the last record written.
    pub as_of_seq: u64,
}

impl App {
    /// Erases the persons of `applications` (finished) for `reason`, resting on `basis`: an
    /// admin's act (the operator's `kezek retention erase`, the sweeper's).
    ///
    /// # Errors
    /// Not an admin, a journal that keeps personal data in the clear, what the command
    /// refuses ([`Erase::decide`]), or the journal failed.
    pub async fn erase(
        self: &Arc<Self>,
        caller: &Caller,
        applications: &[String],
        reason: ErasureReason,
        basis: String,
    ) -> Result<ErasureReport, AppError> {
        caller.require(&[Role::Admin])?;
        self.erase_as(caller, applications, (reason, basis), false)
            .await
    }

    /// Erases the persons the policy's retention no longer keeps (`[retention]`), a batch
    /// at a time, as the `system` actor; nothing when the policy keeps them, the journal does
    /// not seal, or nothing is due. A child something still needs is passed over.
    ///
    /// # Errors
    /// The journal failed.
    pub async fn sweep_retention(self: &Arc<Self>) -> Result<(), AppError> {
        if !self.personal.seals {
            return Ok(());
        }
        let now = self.now();
        let (due, basis) = self.peek(|s| {
            let p = s.policy();
            let basis = format!(
                "retention: {} years after the application finished (policy {})",
                p.retention.years_after_leaving.unwrap_or_default(),
                p.name
            );
            (s.retention_due(now, SWEEP_BATCH), basis)
        })?;
        if due.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = due.iter().map(ToString::to_string).collect();
        match self
            .erase_as(
                &Caller::system(),
                &ids,
                (ErasureReason::Retention, basis),
                true,
            )
            .await
        {
            Ok(report) => {
                tracing::info!(erased = report.erased.len(), "retention sweep");
                Ok(())
            }
            // Every child due is still needed: nothing to do until that changes.
            Err(AppError::Refused(Refusal::Conflict { code, .. }))
                if code == Code::AlreadyErased.as_str() =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn erase_as(
        self: &Arc<Self>,
        caller: &Caller,
        applications: &[String],
        (reason, basis): (ErasureReason, String),
        pass_over_needed: bool,
    ) -> Result<ErasureReport, AppError> {
        if !self.personal.seals {
            return Err(Refusal::conflict(
                Code::NoDataKey.as_str(),
                "this journal keeps personal data in the clear and cannot forget a person: migrate it first (kezek migrate --to NEW --encrypt-personal)",
            )
            .into());
        }
        let ids = applications
            .iter()
            .map(|a| ApplicationId::parse(a).map_err(|_| AppError::not_found("application", a)))
            .collect::<Result<Vec<_>, _>>()?;
        // What the command decided and what its events left, taken out of the write's two
        // steps (an erasure is never retried by key: the answer is not stored).
        let kept = parking_lot::Mutex::new(Vec::new());
        let report = parking_lot::Mutex::new(None);
        let personal = &self.personal;
        self.write_events(
            caller,
            None,
            |state, at| {
                let keys = personal.keys.lock();
                let data_key = |iin: &Iin| keys.of_person(iin).map(|(id, _)| id_text(id));
                let erase = Erase {
                    applications: ids,
                    reason,
                    basis,
                    at,
                    pass_over_needed,
                };
                let (events, others) = erase.decide(state, &data_key)?;
                *kept.lock() = others.into_iter().map(|(_, why)| why).collect();
                Ok(events)
            },
            |state, outcome, _| {
                let done = ErasureReport {
                    erased: outcome.iter().filter_map(|(_, e)| erased(e)).collect(),
                    kept: kept.lock().clone(),
                    as_of_seq: state.last_seq().get(),
                };
                let written = crate::Written::json(200, &done);
                *report.lock() = Some(done);
                written
            },
        )
        .await?;
        report.into_inner().ok_or_else(|| {
            AppError::Unavailable(crate::error::Unavailable::Poisoned(std::sync::Arc::from(
                "an erasure wrote without its answer",
            )))
        })
    }
}

/// The person `event` erased, if it is an erasure.
fn erased(event: &Event) -> Option<ErasedPerson> {
    let Event::PersonErased(e) = event else {
        return None;
    };
    let first = e.appears.first()?;
    let role = match first.role {
        ErasedRole::RefusedChild => ErasedRole::Child,
        other => other,
    };
    Some(ErasedPerson {
        role: role.as_str().to_owned(),
        application_id: first.application_id.to_string(),
        places: e.appears.len(),
        stand_in: e.stand_in.to_string(),
    })
}
