//! What a family must be told of a command's events, written with them (the outbox): a
//! registration's queue notification or refusal, a referral issued (with its confirm-by
//! time), a referral lapsed or declined, a priority claim decided, an enrolment, a withdrawal,
//! a child aged out. Each names the application, the document when there is one, and when;
//! the rest is what the kind needs. A reader adds the id the store gave it.

pub mod cases;
pub mod email;
pub mod push;

use crate::documents::appeal;
use crate::views::{referral_document_id, result_id};
use jiff::Timestamp;
use kezek_core::command::Outcome;
use kezek_core::model::{ApplicationId, ReferralId};
use kezek_core::{Event, State};
use kezek_store::NewNotification;
use serde_json::{json, Value};

pub(crate) fn note(
    kind: &str,
    application_id: &str,
    document_id: Option<String>,
    at: Timestamp,
    mut extra: Value,
) -> NewNotification {
    if let Some(map) = extra.as_object_mut() {
        map.insert("kind".into(), kind.into());
        map.insert("application_id".into(), application_id.into());
        map.insert(
            "document_id".into(),
            document_id.map_or(Value::Null, Value::from),
        );
        map.insert("at".into(), at.to_string().into());
    }
    NewNotification {
        application_id: application_id.to_owned(),
        kind: kind.to_owned(),
        body: serde_json::to_vec(&extra).unwrap_or_default(),
    }
}

/// The application a referral is for, by the state after the events.
fn application_of<'s>(state: &'s State, referral: &ReferralId) -> Option<&'s ApplicationId> {
    let r = state.referral(referral)?;
    state.application(r.app).map(|a| &a.id)
}

/// The notifications `outcome` makes, in the order of its events.
#[must_use]
pub fn notifications(state: &State, outcome: &Outcome) -> Vec<NewNotification> {
    notifications_of(state, outcome.iter().map(|(seq, e)| (*seq, e)))
}

/// The notifications `events` make, in their order, on the state after them (`kezek
/// verify` derives them again record by record).
pub fn notifications_of<'e>(
    state: &State,
    events: impl IntoIterator<Item = (kezek_core::model::Seq, &'e Event)>,
) -> Vec<NewNotification> {
    let mut out = Vec::new();
    for (seq, event) in events {
        let seq = &seq;
        match event {
            // An imported application (no applicant) was registered elsewhere: no document,
            // nobody to tell here.
            // A registration that met a free seat is told by its referral alone.
            Event::Registered(r)
                if r.applicant.is_some()
                    && !state
                        .application_by_id(&r.application_id)
                        .is_some_and(|(_, a)| a.referred_at_once) =>
            {
                let number = state
                    .application_index(&r.application_id)
                    .and_then(|a| state.queue_number(a));
                out.push(note(
                    "queue_notification",
                    r.application_id.as_str(),
                    Some(result_id(*seq)),
                    r.registered_at,
                    json!({"queue_number": number}),
                ));
            }
            Event::RegistrationRefused { .. } | Event::ClaimDecided { .. } => {
                out.extend(decision(state, *seq, event));
            }
            Event::RoundRun(round) => {
                for r in &round.referrals {
                    out.push(note(
                        "referral_issued",
                        r.application_id.as_str(),
                        Some(referral_document_id(r.referral_id.as_str())),
                        round.ran_at,
                        json!({
                            "referral_id": r.referral_id,
                            "kindergarten_id": r.kindergarten_id,
                            "group_id": r.group_id,
                            "confirm_by": r.expires_at.to_string(),
                        }),
                    ));
                }
                out.extend(
                    round
                        .exchanges
                        .iter()
                        .flat_map(|x| exchange_offered(x, round.ran_at)),
                );
            }
            Event::ReferralLapsed { .. }
            | Event::ReferralReminded { .. }
            | Event::ReferralDeclined { .. }
            | Event::Enrolled { .. } => out.extend(about_referral(state, *seq, event)),
            Event::Withdrawn { application_id, at } => out.push(note(
                "withdrawn",
                application_id.as_str(),
                None,
                *at,
                json!({}),
            )),
            Event::AgedOut {
                application_id,
                academic_year,
                at,
            } => out.push(note(
                "aged_out",
                application_id.as_str(),
                None,
                *at,
                json!({"academic_year": academic_year}),
            )),
            Event::ChildLeft { .. } | Event::GroupsRolledOver { .. } => out.extend(leavings(event)),
            Event::ExchangeDone { .. } | Event::ExchangeLapsed { .. } => {
                out.extend(exchange_ended(state, *seq, event));
            }
            _ => {}
        }
    }
    out
}

/// What a family is told of a decision on its application: a refusal, a claim decided —
/// with the appeal route when it went against it.
fn decision(state: &State, seq: kezek_core::model::Seq, event: &Event) -> Option<NewNotification> {
    match event {
        Event::RegistrationRefused {
            application_id,
            at,
            grounds,
            about,
            ..
        } => {
            let codes: Vec<&str> = grounds.iter().map(|g| g.code.as_str()).collect();
            let district = about
                .as_ref()
                .and_then(|a| a.district.as_ref())
                .and_then(|d| state.district_index(d));
            Some(note(
                "refusal",
                application_id.as_str(),
                Some(result_id(seq)),
                *at,
                json!({"grounds": codes, "appeal": appeal(state, district, *at)}),
            ))
        }
        Event::ClaimDecided {
            application_id,
            verified,
            reason,
            at,
        } => {
            let mut body = json!({"decision": if *verified { "verified" } else { "rejected" }, "reason": reason});
            let district = state
                .application_by_id(application_id)
                .map(|(_, a)| a.district);
            if let (false, Some(map)) = (*verified, body.as_object_mut()) {
                map.insert("appeal".into(), appeal(state, district, *at));
            }
            Some(note(
                "priority_claim_decided",
                application_id.as_str(),
                Some(result_id(seq)),
                *at,
                body,
            ))
        }
        _ => None,
    }
}

/// What a family is told of an event about its referral.
fn about_referral(
    state: &State,
    seq: kezek_core::model::Seq,
    event: &Event,
) -> Option<NewNotification> {
    let (referral_id, at) = match event {
        Event::ReferralLapsed {
            referral_id, at, ..
        }
        | Event::ReferralReminded {
            referral_id, at, ..
        }
        | Event::ReferralDeclined {
            referral_id, at, ..
        }
        | Event::Enrolled { referral_id, at } => (referral_id, *at),
        _ => return None,
    };
    let app = application_of(state, referral_id)?.as_str();
    let district = state
        .referral(referral_id)
        .and_then(|r| state.application(r.app))
        .map(|a| a.district);
    Some(match event {
        Event::ReferralLapsed {
            reason: kezek_core::event::LapseReason::NotAdmitted,
            grounds,
            ..
        } => note(
            "not_admitted",
            app,
            Some(result_id(seq)),
            at,
            json!({"referral_id": referral_id, "grounds": grounds, "back_in_queue": true,
                "appeal": appeal(state, district, at)}),
        ),
        Event::ReferralLapsed {
            reason, requeue, ..
        } => {
            let reason = serde_json::to_value(reason).unwrap_or(Value::Null);
            note(
                "referral_lapsed",
                app,
                None,
                at,
                json!({"referral_id": referral_id, "reason": reason, "back_in_queue": requeue,
                    "appeal": appeal(state, district, at)}),
            )
        }
        Event::ReferralReminded { deadline, .. } => {
            let to_do = match state.referral(referral_id).map(|r| r.status) {
                Some(kezek_core::model::ReferralStatus::Issued) => "confirm",
                _ => "enrol",
            };
            note(
                "referral_reminder",
                app,
                Some(referral_document_id(referral_id.as_str())),
                at,
                json!({"referral_id": referral_id, "deadline": deadline.to_string(), "to_do": to_do}),
            )
        }
        Event::ReferralDeclined { requeue, .. } => note(
            "referral_declined",
            app,
            None,
            at,
            json!({"referral_id": referral_id, "back_in_queue": requeue}),
        ),
        _ => note(
            "enrolled",
            app,
            Some(result_id(seq)),
            at,
            json!({"referral_id": referral_id}),
        ),
    })
}

/// A stored notification as the portal receives it: its body with its id.
#[must_use]
pub fn body(n: &kezek_store::Notification) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_slice(&n.body).unwrap_or_else(|_| serde_json::json!({}));
    if let Some(map) = v.as_object_mut() {
        map.insert("id".into(), n.id.into());
    }
    v
}

/// What a family is told of its child's leaving: recorded by the kindergarten, or with its
/// group's roll-over to school (a transfer's leaving is told by the admission that follows).
fn leavings(event: &Event) -> Vec<NewNotification> {
    match event {
        Event::ChildLeft {
            reason: kezek_core::model::LeaveReason::Transfer,
            ..
        } => Vec::new(),
        Event::ChildLeft {
            application_id,
            kindergarten_id,
            group_id,
            date,
            reason,
            at,
        } => vec![note(
            "child_left",
            application_id.as_str(),
            None,
            *at,
            json!({"kindergarten_id": kindergarten_id, "group_id": group_id,
                   "date": date.to_string(), "reason": reason.as_str()}),
        )],
        Event::GroupsRolledOver {
            kindergarten_id,
            academic_year,
            leavers,
            at,
            ..
        } => leavers
            .iter()
            .map(|a| {
                note(
                    "child_left",
                    a.as_str(),
                    None,
                    *at,
                    json!({"kindergarten_id": kindergarten_id, "reason": "school",
                           "academic_year": academic_year}),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// What each family in an offered exchange is told: where its child would go, from which
/// kindergartens the others come, and by when every family confirms.
fn exchange_offered(x: &kezek_core::event::ExchangeOffer, at: Timestamp) -> Vec<NewNotification> {
    x.moves
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let partners: Vec<&str> = x
                .moves
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| o.from.0.as_str())
                .collect();
            note(
                "exchange_offered",
                m.application_id.as_str(),
                None,
                at,
                json!({"exchange_id": x.exchange_id, "kindergarten_id": m.to.0, "group_id": m.to.1,
                       "partners": partners, "confirm_by": x.expires_at.to_string()}),
            )
        })
        .collect()
}

/// What each family in an exchange is told when it is done (the child moved, admitted
/// there) or lapsed (nothing happened).
fn exchange_ended(
    state: &State,
    seq: kezek_core::model::Seq,
    event: &Event,
) -> Vec<NewNotification> {
    let (id, at, kind) = match event {
        Event::ExchangeDone { exchange_id, at } => (exchange_id, *at, "exchange_done"),
        Event::ExchangeLapsed { exchange_id, at } => (exchange_id, *at, "exchange_lapsed"),
        _ => return Vec::new(),
    };
    let Some((_, x)) = state.exchange(id) else {
        return Vec::new();
    };
    let done = kind == "exchange_done";
    x.offer
        .moves
        .iter()
        .enumerate()
        .map(|(n, m)| {
            // Done, each child's signed admission decision (`documents::drafts`).
            let document = done.then(|| format!("{}-{}", result_id(seq), n + 1));
            note(
                kind,
                m.application_id.as_str(),
                document,
                at,
                json!({"exchange_id": id, "kindergarten_id": m.to.0, "group_id": m.to.1}),
            )
        })
        .collect()
}
