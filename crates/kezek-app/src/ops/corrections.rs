//! Corrections and late claims: clerks and staff of the application's district correct names,
//! the representative or the district of residence with the document in hand; the family
//! (through the portal), a clerk or staff add a priority claim after registration with its
//! proof. Both answer with the application.

use super::{application_answer, in_scope, known};
use crate::access::{Auth, Desk, Filer};
use crate::app::write::{Idempotency, Written};
use crate::error::AppError;
use crate::forms::{ClaimForm, CorrectionForm};
use crate::App;
use kezek_core::command::correction::{ClaimLate, Correct};
use std::sync::Arc;

impl App {
    /// Corrects an application (200 with it): clerks and staff of its district.
    ///
    /// # Errors
    /// Unknown or inactive application, out of scope, nothing to correct, a bad name,
    /// representative, district or kindergartens, a district change of a child not queued,
    /// a bad reason, or the service unavailable.
    pub async fn correct(
        self: &Arc<Self>,
        auth: &Auth<Desk>,
        idem: Option<Idempotency>,
        id: &str,
        form: CorrectionForm,
    ) -> Result<Written, AppError> {
        let application_id = known(id)?;
        let caller = auth.caller().clone();
        let answer_id = application_id.clone();
        let applicant = form.applicant.unwrap_or_default();
        self.write(
            auth.caller(),
            idem,
            move |state, at| {
                in_scope(state, &caller, &application_id)?;
                Ok(Correct {
                    application_id,
                    child_name: form.child.map(|c| c.name),
                    applicant_name: applicant.name,
                    representative: applicant
                        .representative
                        .map(|r| (r.iin, r.power_of_attorney)),
                    representative_removed: applicant.remove_representative,
                    district: form.district.map(|d| (d, form.preferences)),
                    reason: form.reason,
                    at,
                }
                .into())
            },
            move |state, _, now| application_answer(state, &answer_id, now),
        )
        .await
    }

    /// Adds a priority claim to a queued application after registration (200 with it): the
    /// portal for the family, clerks and staff of its district.
    ///
    /// # Errors
    /// Unknown application, out of scope, not queued, a claim pending or verified, an
    /// unknown category, no benefit proof, or the service unavailable.
    pub async fn claim_late(
        self: &Arc<Self>,
        auth: &Auth<Filer>,
        idem: Option<Idempotency>,
        id: &str,
        form: ClaimForm,
    ) -> Result<Written, AppError> {
        let application_id = known(id)?;
        let caller = auth.caller().clone();
        let answer_id = application_id.clone();
        self.write(
            auth.caller(),
            idem,
            move |state, at| {
                in_scope(state, &caller, &application_id)?;
                Ok(ClaimLate {
                    application_id,
                    category: form.category,
                    documents: form.documents,
                    at,
                }
                .into())
            },
            move |state, _, now| application_answer(state, &answer_id, now),
        )
        .await
    }
}
