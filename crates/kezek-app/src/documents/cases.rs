//! The documents of the departments' other services, drafted from the cases as a case event
//! leaves them: the receipt of an accepted application (with each step's due time), the
//! receipt of a refusal to accept (listing what is missing), the signed result or reasoned
//! refusal, and the decision on a complaint. Each carries its words in both languages (the
//! service's, from its definition), so the print needs nothing else; `kezek verify` drafts
//! the same from its replay and compares.

use super::Draft;
use jiff::Timestamp;
use kezek_cases::definition::{Definition, Provider};
use kezek_cases::event::{CaseEvent, Outcome};
use kezek_cases::state::{Case, Cases};
use kezek_core::State;
use serde_json::{json, Value};

/// The queue's name as a service, in both languages.
pub struct ServiceName {
    /// Kazakh.
    pub kk: &'static str,
    /// Russian.
    pub ru: &'static str,
}

/// The kindergarten queue as a public service.
pub const QUEUE_SERVICE: ServiceName = ServiceName {
    kk: "Мектепке дейінгі ұйымдарға кезекке қою",
    ru: "Постановка на очередь в дошкольные организации",
};

/// The documents `event` issues, drafted on `cases` (which it has been applied to) and
/// `state` (the districts' names).
#[must_use]
pub fn drafts(state: &State, cases: &Cases, event: &CaseEvent, now: Timestamp) -> Vec<Draft> {
    match event {
        CaseEvent::QueueComplaintDecided { .. } => queue_complaint(state, cases, event, now)
            .into_iter()
            .collect(),
        CaseEvent::BatchSent { batch_id, .. } => batch_list(state, cases, batch_id, now)
            .into_iter()
            .collect(),
        _ => of_case(state, cases, event, now),
    }
}

/// The documents of an event about one case.
fn of_case(state: &State, cases: &Cases, event: &CaseEvent, now: Timestamp) -> Vec<Draft> {
    let Some(case) = cases.case(event.case_id()) else {
        return Vec::new();
    };
    let Some(d) = cases.definition(&case.service) else {
        return Vec::new();
    };
    let doc = |suffix: &str, kind: &'static str, extra: Value| {
        let mut body = common(state, cases, d, case);
        if let (Some(b), Value::Object(more)) = (body.as_object_mut(), extra) {
            b.extend(more);
        }
        Draft {
            id: format!("doc-{}{suffix}", case.id),
            kind,
            issued_at: now,
            application_id: case.id.clone(),
            body,
        }
    };
    match event {
        CaseEvent::Filed { .. } => vec![doc(
            "-receipt",
            "case_receipt",
            json!({"documents": names(d, &case.documents), "steps": steps(d, case)}),
        )],
        CaseEvent::RefusedToAccept { missing, .. } => vec![doc(
            "",
            "case_refusal_to_accept",
            json!({"missing": names(d, missing)}),
        )],
        CaseEvent::Signed { .. } => {
            let Some((outcome, grounds, note)) = &case.outcome else {
                return Vec::new();
            };
            let (kind, result) = match outcome {
                Outcome::Granted => ("case_result", &d.results.granted),
                Outcome::Refused => ("case_refusal", &d.results.refused),
            };
            let grounds: Vec<Value> = grounds
                .iter()
                .map(|g| {
                    d.grounds.iter().find(|x| &x.code == g).map_or_else(
                        || json!({"kk": g, "ru": g}),
                        |x| json!({"kk": x.kk, "ru": x.ru}),
                    )
                })
                .collect();
            vec![doc(
                "-result",
                kind,
                json!({"result": {"kk": result.kk, "ru": result.ru}, "grounds": grounds, "note": note,
                       "executor": case.executor}),
            )]
        }
        CaseEvent::RemovedFromRegister {
            ground, note, at, ..
        } => {
            let ground = d
                .register_removal
                .iter()
                .find(|g| &g.code == ground)
                .map_or_else(
                    || json!({"kk": ground, "ru": ground}),
                    |g| json!({"kk": g.kk, "ru": g.ru}),
                );
            vec![doc(
                "-removal",
                "case_register_removal",
                json!({"removal": {"ground": ground, "note": note, "at": at}}),
            )]
        }
        CaseEvent::ComplaintDecided { complaint, .. } => {
            let Some(c) = case.complaints.iter().find(|c| c.number == *complaint) else {
                return Vec::new();
            };
            let Some((upheld, reasons, _)) = &c.decided else {
                return Vec::new();
            };
            // Where the decision is appealed next, and by when: the policy's body, else the
            // education department of the provider's district.
            let district =
                crate::access::district_of_provider(cases, state, &case.service, &case.provider)
                    .and_then(|d| kezek_core::model::DistrictId::parse(&d).ok())
                    .and_then(|d| state.district_index(&d));
            let appeal = super::appeal(state, district, now);
            vec![doc(
                &format!("-complaint-{complaint}"),
                "complaint_decision",
                json!({"complaint": {"number": c.number, "text": c.text, "made_at": c.at,
                       "upheld": upheld, "reasons": reasons},
                       "appeal": appeal}),
            )]
        }
        _ => Vec::new(),
    }
}

/// The decision on a complaint about the kindergarten queue: the same document as a case's,
/// about the application (its child and applicant), by its district's department.
fn queue_complaint(
    state: &State,
    cases: &Cases,
    event: &CaseEvent,
    now: Timestamp,
) -> Option<Draft> {
    let CaseEvent::QueueComplaintDecided {
        application_id,
        complaint,
        ..
    } = event
    else {
        return None;
    };
    let (_, list) = cases.queue_complaints(application_id)?;
    let c = list.iter().find(|c| c.number == *complaint)?;
    let (upheld, reasons, _) = c.decided.as_ref()?;
    let id = kezek_core::model::ApplicationId::parse(application_id).ok()?;
    let (_, app) = state.application_by_id(&id)?;
    let district = state.district(app.district)?;
    let words = QUEUE_SERVICE;
    let body = json!({
        "service": {"kk": words.kk, "ru": words.ru},
        "service_id": "kindergarten_queue",
        "provider": {"id": district.id.as_str(),
                     "name": district.names.as_deref().map_or(Value::Null, |n| json!({"kk": n.authority_kk, "ru": n.authority_ru}))},
        "application_id": application_id,
        "child_name": app.child_name.as_ref(),
        "child_iin": app.child_iin.to_string(),
        "applicant_name": app.applicant.as_ref().map_or(Value::Null, |a| a.name.as_ref().into()),
        "applicant_iin": app.applicant.as_ref().map_or(Value::Null, |a| a.iin.to_string().into()),
        "channel": app.channel,
        "filed_at": app.registered_at,
        "complaint": {"number": c.number, "text": c.text, "made_at": c.at,
                      "upheld": upheld, "reasons": reasons},
        "appeal": super::appeal(state, Some(app.district), now),
    });
    Some(Draft {
        id: format!("doc-{application_id}-complaint-{complaint}"),
        kind: "complaint_decision",
        issued_at: now,
        application_id: application_id.clone(),
        body,
    })
}

/// The list a service centre's courier carries: from where to where, by when, each case with
/// its service and applicant.
fn batch_list(state: &State, cases: &Cases, id: &str, now: Timestamp) -> Option<Draft> {
    let b = cases.batch(id)?;
    let district = kezek_core::model::DistrictId::parse(&b.centre)
        .ok()
        .and_then(|d| state.district_index(&d))
        .and_then(|d| state.district(d))
        .and_then(|d| d.names.as_deref())
        .map_or(
            Value::Null,
            |n| json!({"kk": n.authority_kk, "ru": n.authority_ru}),
        );
    let provider = cases.organisation(&b.provider).map_or(
        district.clone(),
        |o| json!({"kk": o.name.kk, "ru": o.name.ru}),
    );
    let list: Vec<Value> = b
        .cases
        .iter()
        .filter_map(|c| cases.case(c))
        .map(|c| {
            let service = cases
                .definition(&c.service)
                .map_or(Value::Null, |d| json!({"kk": d.name.kk, "ru": d.name.ru}));
            json!({"case_id": c.id, "service": service,
                   "applicant_name": c.applicant.name, "applicant_iin": c.applicant.iin})
        })
        .collect();
    Some(Draft {
        id: format!("doc-{id}"),
        kind: "case_batch",
        issued_at: now,
        application_id: id.to_owned(),
        body: json!({
            "batch_id": id,
            "direction": b.direction,
            "centre": {"id": b.centre, "name": district},
            "provider": {"id": b.provider, "name": provider},
            "sent_at": b.sent_at,
            "due": b.due,
            "cases": list,
        }),
    })
}

/// What every case document says: the service, its regulation, the provider, the applicant,
/// the channel.
fn common(state: &State, cases: &Cases, d: &Definition, case: &Case) -> Value {
    json!({
        "service": {"kk": d.name.kk, "ru": d.name.ru},
        "service_id": d.id,
        "regulation": d.regulation,
        "provider": {"id": case.provider, "name": provider_name(state, cases, d, &case.provider)},
        "case_id": case.id,
        "applicant_name": case.applicant.name,
        "applicant_iin": case.applicant.iin,
        "channel": case.channel,
        "filed_at": case.filed_at,
    })
}

/// The provider's name in both languages: a district's education department as named, a
/// school as set; `null` when it has none.
fn provider_name(state: &State, cases: &Cases, d: &Definition, id: &str) -> Value {
    match d.provider {
        Provider::School => cases
            .organisation(id)
            .map_or(Value::Null, |o| json!({"kk": o.name.kk, "ru": o.name.ru})),
        Provider::District => kezek_core::model::DistrictId::parse(id)
            .ok()
            .and_then(|d| state.district_index(&d))
            .and_then(|d| state.district(d))
            .and_then(|d| d.names.as_deref())
            .map_or(
                Value::Null,
                |n| json!({"kk": n.authority_kk, "ru": n.authority_ru}),
            ),
        Provider::Kindergarten => Value::Null,
    }
}

/// Documents by their names in both languages.
fn names(d: &Definition, ids: &[String]) -> Vec<Value> {
    ids.iter()
        .map(|id| {
            d.document_words.get(id).map_or_else(
                || json!({"kk": id, "ru": id}),
                |w| json!({"kk": w.kk, "ru": w.ru}),
            )
        })
        .collect()
}

/// The steps with what each is and when it is due.
fn steps(d: &Definition, case: &Case) -> Vec<Value> {
    d.steps
        .iter()
        .map(|s| {
            let at = case.step(&s.id);
            json!({"step": s.id, "what": {"kk": s.what.kk, "ru": s.what.ru},
                   "limit": s.limit, "unit": s.unit.as_str(),
                   "due": at.and_then(|x| x.due), "done": at.and_then(|x| x.done)})
        })
        .collect()
}
