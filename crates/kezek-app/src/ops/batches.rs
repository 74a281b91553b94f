//! The service centre's batch lists (`kezek_cases::centre`): the centre's clerk sends the
//! applications it accepted to their provider with the courier, the provider's head receives
//! them (its time starts then), sends the signed results back the same way, and the centre
//! receives them for the families to collect. Each batch list is a signed document the
//! courier carries.

use crate::access::{Auth, Caller, CaseWorkers, Role};
use crate::app::write::Written;
use crate::{App, AppError};
pub use kezek_cases::centre::Direction;
use kezek_cases::centre::{Batch, Send};
use kezek_cases::state::Cases;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A batch to send, as `POST /v1/organisations/{org}/batches` takes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    /// `to_provider` (applications accepted at the centre) or `to_centre` (signed results).
    #[schema(value_type = String)]
    pub direction: Direction,
    /// The cases, in the list's order.
    pub cases: Vec<String>,
}

/// A batch as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchView {
    /// Its number.
    pub batch_id: String,
    /// `to_provider` or `to_centre`.
    pub direction: String,
    /// The centre (the district it serves).
    pub centre: String,
    /// The provider.
    pub provider: String,
    /// The cases, in the list's order.
    pub cases: Vec<String>,
    /// When the courier took it.
    pub sent_at: String,
    /// When it is to be delivered (one working day).
    pub due: String,
    /// When it was received.
    pub received_at: Option<String>,
    /// Whether it is late (not received by its due time).
    pub late: bool,
    /// Its signed batch list.
    pub document_id: String,
}

impl BatchView {
    fn of(b: &Batch, now: jiff::Timestamp) -> Self {
        Self {
            batch_id: b.id.clone(),
            direction: match b.direction {
                Direction::ToProvider => "to_provider",
                Direction::ToCentre => "to_centre",
            }
            .to_owned(),
            centre: b.centre.clone(),
            provider: b.provider.clone(),
            cases: b.cases.clone(),
            sent_at: b.sent_at.to_string(),
            due: b.due.to_string(),
            received_at: b.received_at.map(|t| t.to_string()),
            late: b.received_at.is_none() && (b.overdue || b.due < now),
            document_id: format!("doc-{}", b.id),
        }
    }
}

/// Who acts on the centre's side: its clerks (and a department's staff) of `district`.
fn centre_side(caller: &Caller, district: &str) -> Result<(), AppError> {
    caller.require(&[Role::Clerk, Role::Staff])?;
    caller.district_scope(district)
}

/// Who acts on the provider's side: its head.
fn provider_side(caller: &Caller, provider: &str) -> Result<(), AppError> {
    caller.require_scope(Role::Head, provider)
}

/// The district a provider of centre cases belongs to (a school's, or the district itself).
fn district_of(cases: &Cases, state: &kezek_core::State, provider: &str) -> Option<String> {
    cases
        .organisation(provider)
        .map(|o| o.district.clone())
        .or_else(|| {
            kezek_core::model::DistrictId::parse(provider)
                .ok()
                .filter(|d| state.district_index(d).is_some())
                .map(|d| d.to_string())
        })
}

impl App {
    /// Sends a batch of `provider`'s cases with the centre's courier: applications to the
    /// provider (the centre's clerk), or signed results back to the centre (the provider's
    /// head).
    ///
    /// # Errors
    /// Not the caller's to send, an unknown provider, a list that does not read, a case not
    /// waiting for this courier.
    pub async fn send_batch(
        self: &Arc<Self>,
        auth: &Auth<CaseWorkers>,
        provider: &str,
        new: NewBatch,
    ) -> Result<Written, AppError> {
        let caller = auth.caller();
        let district = self
            .peek(|s| district_of(&self.cases.read(), s, provider))?
            .ok_or_else(|| AppError::not_found("organisation", provider))?;
        match new.direction {
            Direction::ToProvider => centre_side(caller, &district)?,
            Direction::ToCentre => provider_side(caller, provider)?,
        }
        let provider = provider.to_owned();
        self.case_write(
            caller,
            move |cases, at, next| {
                Send {
                    batch_id: format!("B{next:010}"),
                    direction: new.direction,
                    centre: district,
                    provider,
                    cases: new.cases,
                    at,
                }
                .decide(cases)
            },
            |cases, events| {
                let id = events
                    .first()
                    .map(|e| e.case_id().to_owned())
                    .unwrap_or_default();
                match cases.batch(&id) {
                    Some(b) => Written::json(201, &BatchView::of(b, b.sent_at)),
                    None => Written::json(500, &serde_json::Value::Null),
                }
            },
        )
        .await
    }

    /// The other side receives batch `id`: the provider's head (applications), or the
    /// centre's clerk (results).
    ///
    /// # Errors
    /// Unknown, not the caller's to receive, received already.
    pub async fn receive_batch(
        self: &Arc<Self>,
        auth: &Auth<CaseWorkers>,
        id: &str,
    ) -> Result<Written, AppError> {
        let caller = auth.caller();
        let batch = self
            .cases
            .read()
            .batch(id)
            .cloned()
            .ok_or_else(|| AppError::not_found("batch", id))?;
        match batch.direction {
            Direction::ToProvider => provider_side(caller, &batch.provider)?,
            Direction::ToCentre => centre_side(caller, &batch.centre)?,
        }
        let id = id.to_owned();
        let answer = id.clone();
        self.case_write(
            caller,
            move |cases, at, _| kezek_cases::centre::receive(cases, &id, at),
            move |cases, events| match cases.batch(&answer) {
                Some(b) => {
                    let at = events.first().map_or(b.sent_at, kezek_cases::CaseEvent::at);
                    Written::json(200, &BatchView::of(b, at))
                }
                None => Written::json(500, &serde_json::Value::Null),
            },
        )
        .await
    }

    /// Batch `id`, for either side.
    ///
    /// # Errors
    /// Unknown, or neither side's.
    pub fn batch(&self, auth: &Auth<CaseWorkers>, id: &str) -> Result<BatchView, AppError> {
        let caller = auth.caller();
        let now = self.now();
        let batch = self
            .cases
            .read()
            .batch(id)
            .cloned()
            .ok_or_else(|| AppError::not_found("batch", id))?;
        provider_side(caller, &batch.provider).or_else(|_| centre_side(caller, &batch.centre))?;
        Ok(BatchView::of(&batch, now))
    }

    /// The cases of district `district`'s service centre that are its to handle: papers to
    /// send, on their way either side, results waiting to be collected; oldest first.
    ///
    /// # Errors
    /// Not the centre's clerk or the district's staff.
    pub fn centre_cases(
        &self,
        auth: &Auth<CaseWorkers>,
        district: &str,
    ) -> Result<Vec<crate::ops::cases::CaseView>, AppError> {
        use kezek_cases::centre::Custody;
        centre_side(auth.caller(), district)?;
        let now = self.now();
        self.peek(|s| {
            let cases = self.cases.read();
            cases
                .cases()
                .filter(|c| {
                    matches!(
                        c.custody,
                        Some(
                            Custody::Centre
                                | Custody::ToProvider { .. }
                                | Custody::ToCentre { .. }
                                | Custody::ResultAtCentre { .. }
                        )
                    )
                })
                .filter(|c| {
                    crate::access::district_of_provider(&cases, s, &c.service, &c.provider)
                        .as_deref()
                        == Some(district)
                })
                .map(|c| crate::ops::cases::CaseView::of(c, now, s.last_seq().get()))
                .collect()
        })
    }

    /// The batches of organisation `org` (a provider, or a district's centre), newest first;
    /// only those not yet received with `open`.
    ///
    /// # Errors
    /// Neither side's.
    pub fn batches(
        &self,
        auth: &Auth<CaseWorkers>,
        org: &str,
        open: bool,
    ) -> Result<Vec<BatchView>, AppError> {
        let caller = auth.caller();
        provider_side(caller, org).or_else(|_| centre_side(caller, org))?;
        let now = self.now();
        let cases = self.cases.read();
        let mut out: Vec<BatchView> = cases
            .batches()
            .filter(|b| b.provider == org || b.centre == org)
            .filter(|b| !open || b.received_at.is_none())
            .map(|b| BatchView::of(b, now))
            .collect();
        out.reverse();
        Ok(out)
    }
}

impl App {
    /// Whether `id` is a district of the installation (a page shows a district's sections
    /// only on a district's worklist, not a school's).
    #[must_use]
    pub fn is_district(&self, id: &str) -> bool {
        self.peek(|s| {
            kezek_core::model::DistrictId::parse(id)
                .ok()
                .is_some_and(|d| s.district_index(&d).is_some())
        })
        .unwrap_or(false)
    }
}
