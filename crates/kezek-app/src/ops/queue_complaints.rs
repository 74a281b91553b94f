//! Complaints about the kindergarten queue's own decisions (a refusal, a rejected priority
//! claim, a referral, a place not given in time): made by the family through the portal or at
//! a counter, decided by the district's education department within the period of the
//! complaint rules (five working days unless a definition says otherwise), upheld or not with
//! reasons, in a signed kk/ru decision naming where to appeal next. They are journaled as the
//! case engine's records (the queue core learns nothing of them) and kept with the cases.

use crate::access::{Auth, Caller, CaseReaders, Role};
use crate::app::write::Written;
use crate::{App, AppError};
use jiff::Timestamp;
use kezek_cases::command;
use kezek_cases::state::Complaint;
use kezek_core::model::ApplicationId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub use crate::documents::cases::{ServiceName, QUEUE_SERVICE};

/// A complaint as `POST /v1/applications/{id}/complaints` takes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQueueComplaint {
    /// What the family says: the decision complained about and why.
    pub text: String,
}

/// A decision as `POST /v1/applications/{id}/complaints/{n}/decision` takes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueComplaintDecision {
    /// Whether the complaint is upheld.
    pub upheld: bool,
    /// Why (required either way).
    pub reasons: String,
}

/// An application's complaints, as the API shows them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueComplaintsView {
    /// The application.
    pub application_id: String,
    /// Its district, whose department decides.
    pub district: String,
    /// Each complaint: its number, text, when made, when the decision is due, whether it is
    /// late, and the decision with its document.
    #[schema(value_type = Object)]
    pub complaints: serde_json::Value,
    /// The journal's seq this view reflects.
    pub as_of_seq: u64,
}

fn view(
    id: &str,
    district: &str,
    list: &[Complaint],
    now: Timestamp,
    seq: u64,
) -> QueueComplaintsView {
    let complaints = list
        .iter()
        .map(|k| {
            serde_json::json!({
                "complaint": k.number, "text": k.text, "at": k.at, "due": k.due,
                "late": k.decided.is_none() && k.due < now,
                "decision": k.decided.as_ref().map(|(upheld, reasons, at)| serde_json::json!({
                    "upheld": upheld, "reasons": reasons, "at": at,
                    "document_id": format!("doc-{id}-complaint-{}", k.number),
                })),
            })
        })
        .collect();
    QueueComplaintsView {
        application_id: id.to_owned(),
        district: district.to_owned(),
        complaints: serde_json::Value::Array(complaints),
        as_of_seq: seq,
    }
}

/// The district of application `raw`, when it exists and `caller` may act on it (the portal
/// bound to citizens: its citizen's).
fn district_of(
    state: &kezek_core::State,
    caller: &Caller,
    raw: &str,
) -> Result<(String, String), AppError> {
    let id =
        ApplicationId::parse(raw.trim()).map_err(|_| AppError::not_found("application", raw))?;
    let (a, _) = state
        .application_by_id(&id)
        .ok_or_else(|| AppError::not_found("application", raw))?;
    caller.for_citizen(state, a)?;
    Ok((
        id.to_string(),
        crate::access::district_of_application(state, a).to_owned(),
    ))
}

/// Refuses a caller who may not act for or on this district's queue: the portal (for the
/// family) anywhere, clerks and staff in their districts, heads of the district's department.
fn in_scope(caller: &Caller, district: &str) -> Result<(), AppError> {
    match caller.role {
        Role::Head => caller.require_scope(Role::Head, district),
        _ => caller.district_scope(district),
    }
}

impl App {
    /// The family complains about application `id`'s queue decision (the portal for it, or a
    /// clerk at the counter).
    ///
    /// # Errors
    /// Unknown application, out of scope, no words.
    pub async fn complain_about_queue(
        self: &Arc<Self>,
        auth: &Auth<CaseReaders>,
        id: &str,
        new: NewQueueComplaint,
    ) -> Result<Written, AppError> {
        let caller = auth.caller();
        caller.require(&[Role::Portal, Role::Clerk])?;
        let (id, district) = self.peek(|s| district_of(s, caller, id))??;
        in_scope(caller, &district)?;
        let answer = id.clone();
        self.case_write(
            caller,
            move |cases, at, _| {
                command::complain_about_queue(cases, (&id, &district), &new.text, at)
            },
            move |cases, events| answer_view(cases, &answer, events, 201),
        )
        .await
    }

    /// The district's department decides complaint `number` about application `id` (its head,
    /// or its staff).
    ///
    /// # Errors
    /// Unknown application, out of scope, no such open complaint, no reasons.
    pub async fn decide_queue_complaint(
        self: &Arc<Self>,
        auth: &Auth<CaseReaders>,
        (id, number): (&str, u32),
        decision: QueueComplaintDecision,
    ) -> Result<Written, AppError> {
        let caller = auth.caller();
        caller.require(&[Role::Head, Role::Staff])?;
        let (id, district) = self.peek(|s| district_of(s, caller, id))??;
        in_scope(caller, &district)?;
        let answer = id.clone();
        self.case_write(
            caller,
            move |cases, at, _| {
                command::decide_queue_complaint(
                    cases,
                    &id,
                    (number, decision.upheld, &decision.reasons),
                    at,
                )
            },
            move |cases, events| answer_view(cases, &answer, events, 200),
        )
        .await
    }

    /// Application `id`'s complaints, for the portal, the district's clerks, staff and head,
    /// and auditors.
    ///
    /// # Errors
    /// Unknown application, out of scope.
    pub fn queue_complaints(
        &self,
        auth: &Auth<CaseReaders>,
        id: &str,
    ) -> Result<QueueComplaintsView, AppError> {
        let caller = auth.caller();
        caller.require(&[
            Role::Portal,
            Role::Clerk,
            Role::Staff,
            Role::Head,
            Role::Auditor,
        ])?;
        let now = self.now();
        self.peek(|s| {
            let (id, district) = district_of(s, caller, id)?;
            in_scope(caller, &district)?;
            let cases = self.cases.read();
            let list = cases.queue_complaints(&id).map_or(&[][..], |(_, l)| l);
            Ok(view(&id, &district, list, now, s.last_seq().get()))
        })?
    }

    /// The open complaints about district `district`'s queue, oldest first (only the late
    /// ones with `late`): the department head's worklist.
    ///
    /// # Errors
    /// Out of scope.
    pub fn district_queue_complaints(
        &self,
        auth: &Auth<CaseReaders>,
        district: &str,
        late: bool,
    ) -> Result<Vec<QueueComplaintsView>, AppError> {
        let caller = auth.caller();
        caller.require(&[Role::Staff, Role::Head, Role::Auditor])?;
        in_scope(caller, district)?;
        let now = self.now();
        self.peek(|s| {
            let cases = self.cases.read();
            let mut out: Vec<(Timestamp, QueueComplaintsView)> = cases
                .all_queue_complaints()
                .filter(|(_, d, _)| *d == district)
                .filter_map(|(id, d, list)| {
                    let open: Vec<Complaint> = list
                        .iter()
                        .filter(|c| c.decided.is_none() && (!late || c.due < now))
                        .cloned()
                        .collect();
                    let first = open.first()?.at;
                    Some((first, view(id, d, &open, now, s.last_seq().get())))
                })
                .collect();
            out.sort_by_key(|(at, _)| *at);
            out.into_iter().map(|(_, v)| v).collect()
        })
    }
}

/// The answer to a complaint's write: the application's complaints after it.
fn answer_view(
    cases: &kezek_cases::state::Cases,
    id: &str,
    events: &[kezek_cases::event::CaseEvent],
    status: u16,
) -> Written {
    let at = events
        .first()
        .map_or(Timestamp::UNIX_EPOCH, kezek_cases::event::CaseEvent::at);
    match cases.queue_complaints(id) {
        Some((district, list)) => Written::json(status, &view(id, district, list, at, 0)),
        None => Written::json(500, &serde_json::Value::Null),
    }
}
