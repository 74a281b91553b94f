//! What the applicant of a case is told (the same outbox the portal pulls and the push
//! delivers): the application accepted or refused at intake, the result signed, a step late
//! and who answers for it, a complaint decided — each with its document where it has one.

use super::note;
use kezek_cases::event::{CaseEvent, Outcome};
use kezek_cases::state::Cases;
use kezek_store::NewNotification;
use serde_json::json;

/// The notifications case event `event` makes, on `cases` after it.
#[must_use]
pub fn notifications(cases: &Cases, event: &CaseEvent) -> Vec<NewNotification> {
    if let Some(notes) = not_of_one_case(cases, event) {
        return notes;
    }
    let Some(case) = cases.case(event.case_id()) else {
        return Vec::new();
    };
    let about = json!({"case_id": case.id, "service": case.service, "provider": case.provider});
    let with = |mut extra: serde_json::Value| {
        if let (Some(a), Some(map)) = (about.as_object(), extra.as_object_mut()) {
            for (k, v) in a {
                map.insert(k.clone(), v.clone());
            }
        }
        extra
    };
    let id = case.id.as_str();
    match event {
        CaseEvent::Filed { at, .. } => vec![note(
            "case_accepted",
            id,
            Some(format!("doc-{id}-receipt")),
            *at,
            with(json!({})),
        )],
        CaseEvent::RefusedToAccept { missing, at, .. } => vec![note(
            "case_refused_to_accept",
            id,
            Some(format!("doc-{id}")),
            *at,
            with(json!({"missing": missing})),
        )],
        CaseEvent::Signed { at, .. } => {
            let refused = matches!(case.outcome, Some((Outcome::Refused, _, _)));
            let kind = if refused {
                "case_refused"
            } else {
                "case_result"
            };
            vec![note(
                kind,
                id,
                Some(format!("doc-{id}-result")),
                *at,
                with(json!({})),
            )]
        }
        CaseEvent::StepOverdue { step, due, at, .. } => {
            // Who answers for the step, as the definition says.
            let who = cases
                .definition(&case.service)
                .and_then(|d| d.steps.iter().find(|s| &s.id == step))
                .map(|s| s.who);
            vec![note(
                "case_step_overdue",
                id,
                None,
                *at,
                with(json!({"step": step, "due": due, "answers": who})),
            )]
        }
        CaseEvent::Archived { at, .. } => vec![note(
            "case_result_archived",
            id,
            Some(format!("doc-{id}-result")),
            *at,
            with(json!({})),
        )],
        CaseEvent::RemovedFromRegister { ground, at, .. } => vec![note(
            "case_register_removed",
            id,
            Some(format!("doc-{id}-removal")),
            *at,
            with(json!({"ground": ground})),
        )],
        CaseEvent::ComplaintDecided {
            complaint,
            upheld,
            at,
            ..
        } => vec![note(
            "complaint_decided",
            id,
            Some(format!("doc-{id}-complaint-{complaint}")),
            *at,
            with(json!({"complaint": complaint, "upheld": upheld})),
        )],
        _ => Vec::new(),
    }
}

/// The notifications of an event that is not about one case: a complaint about the queue
/// decided, results arriving at a service centre.
fn not_of_one_case(cases: &Cases, event: &CaseEvent) -> Option<Vec<NewNotification>> {
    if let CaseEvent::QueueComplaintDecided {
        application_id,
        complaint,
        upheld,
        at,
        ..
    } = event
    {
        // A complaint about the queue: told like the application's other news.
        return Some(vec![note(
            "complaint_decided",
            application_id,
            Some(format!("doc-{application_id}-complaint-{complaint}")),
            *at,
            json!({"service": "kindergarten_queue", "complaint": complaint, "upheld": upheld}),
        )]);
    }
    if let CaseEvent::BatchReceived { batch_id, at } = event {
        // Results arrived at the centre: each family is told to come and collect theirs.
        let Some(b) = cases
            .batch(batch_id)
            .filter(|b| b.direction == kezek_cases::centre::Direction::ToCentre)
        else {
            return Some(Vec::new());
        };
        return Some(
            b.cases
                .iter()
                .filter_map(|id| cases.case(id))
                .map(|c| {
                    note(
                        "case_result_at_centre",
                        &c.id,
                        Some(format!("doc-{}-result", c.id)),
                        *at,
                        json!({"case_id": c.id, "service": c.service, "provider": c.provider,
                           "collect_by": kezek_cases::centre::month_after(*at)}),
                    )
                })
                .collect(),
        );
    }
    None
}
