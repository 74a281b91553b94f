//! What each document says, drafted from the state the command left: the child, the
//! applicant, the kindergarten and group, the deadlines and the authority that decided, so the
//! document stands on its own in a parent's hands (`pdf` prints it). `kezek verify` drafts the
//! same from its replay and compares.

use super::Draft;
use crate::views::{self, referral_document_id, result_id};
use jiff::Timestamp;
use kezek_core::event::{Registration, RoundRecord};
use kezek_core::model::{Channel, DistrictIx, ReferralId, Seq};
use kezek_core::state::Application;
use kezek_core::{Event, Outcome, State};
use serde_json::{json, Value};

/// What a family brings to the kindergarten with a referral (codes the PDF words).
pub const BRING: [&str; 5] = [
    "referral",
    "applicant_id",
    "birth_certificate",
    "health_record",
    "vaccination_record",
];

fn draft(
    id: String,
    kind: &'static str,
    issued_at: Timestamp,
    application_id: &str,
    body: Value,
) -> Draft {
    Draft {
        id,
        kind,
        issued_at,
        application_id: application_id.to_owned(),
        body,
    }
}

/// The authority of district `d`, in Kazakh and Russian (`null` until the district is named).
fn authority(state: &State, d: DistrictIx) -> Value {
    state.district(d).and_then(|d| d.names.as_deref()).map_or(
        Value::Null,
        |n| json!({"kk": n.authority_kk, "ru": n.authority_ru}),
    )
}

/// Where and by when a decision made at `decided_at` is appealed: to the authority the policy
/// names, else to the education department of district `d` (`null` while it has no names);
/// by the end of the policy's working days after it.
#[must_use]
pub fn appeal(state: &State, d: Option<DistrictIx>, decided_at: Timestamp) -> Value {
    let policy = state.policy();
    let to = match &policy.appeal.to {
        Some((kk, ru)) => json!({"kk": kk, "ru": ru}),
        None => d.map_or(Value::Null, |d| authority(state, d)),
    };
    json!({
        "to": to,
        "by": policy.calendar.deadline(decided_at, policy.appeal.working_days),
        "working_days": policy.appeal.working_days,
    })
}

/// Adds the child, the applicant and the authority of `app` to `body`.
fn about(state: &State, app: &Application, mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        let mut add = |k: &str, v: Value| {
            map.insert(k.to_owned(), v);
        };
        add("child_name", app.child_name.as_ref().into());
        add("child_iin", app.child_iin.to_string().into());
        add("birth_date", app.birth_date.to_string().into());
        add(
            "applicant_name",
            app.applicant
                .as_ref()
                .map_or(Value::Null, |a| a.name.as_ref().into()),
        );
        add("authority", authority(state, app.district));
    }
    body
}

/// The documents an outcome issues, unsigned.
#[must_use]
pub fn drafts(state: &State, outcome: &Outcome, now: Timestamp) -> Vec<Draft> {
    let mut docs = Vec::new();
    for (seq, event) in outcome {
        match event {
            Event::Registered(r) => docs.extend(queue_notification(state, *seq, r, now, false)),
            Event::RegistrationRefused {
                application_id,
                grounds,
                at,
                channel,
                about,
            } => {
                let district = about
                    .as_ref()
                    .and_then(|a| a.district.as_ref())
                    .and_then(|d| state.district_index(d));
                let mut body = json!({"grounds": grounds, "refused_at": at,
                    "appeal": appeal(state, district, *at)});
                // Whom it concerns and who refused, where the request said so validly.
                if let (Some(about), Some(map)) = (about, body.as_object_mut()) {
                    if let Some(name) = &about.child_name {
                        map.insert("child_name".into(), name.as_str().into());
                    }
                    if let Some(iin) = &about.child_iin {
                        map.insert("child_iin".into(), iin.to_string().into());
                    }
                    if let Some(d) = district {
                        map.insert("authority".into(), authority(state, d));
                        if let Some(named) = state.district(d) {
                            // Who may print it: the district's staff and counters.
                            map.insert("district".into(), named.id.as_str().into());
                        }
                    }
                }
                // At a counter the refusal is also the receipt the family leaves with: the
                // documents to bring, listed on their own.
                if let (Some(c @ (Channel::ServiceCenter | Channel::Office)), Some(map)) =
                    (channel, body.as_object_mut())
                {
                    let missing: Vec<&str> = grounds
                        .iter()
                        .flat_map(|g| g.missing.iter().map(|d| d.as_str()))
                        .collect();
                    map.insert("channel".into(), c.as_str().into());
                    map.insert("missing".into(), missing.into());
                }
                let id = application_id.as_str();
                docs.push(draft(result_id(*seq), "refusal", now, id, body));
            }
            Event::RoundRun(round) => docs.extend(referrals(state, round, now)),
            Event::Enrolled { referral_id, at } => {
                docs.extend(admission(
                    state,
                    *seq,
                    referral_id,
                    now,
                    json!({"decision": "admitted", "decided_at": at}),
                ));
            }
            // An exchange done: each child admitted to its new kindergarten at once.
            Event::ExchangeDone { exchange_id, at } => {
                docs.extend(exchange_admissions(state, *seq, (exchange_id, *at), now));
            }
            Event::ReferralLapsed {
                referral_id,
                at,
                reason: kezek_core::event::LapseReason::NotAdmitted,
                grounds,
                ..
            } => {
                let district = state
                    .referral(referral_id)
                    .and_then(|r| state.application(r.app))
                    .map(|a| a.district);
                let body = json!({"decision": "not_admitted", "grounds": grounds, "decided_at": at, "back_in_queue": true,
                    "appeal": appeal(state, district, *at)});
                docs.extend(admission(state, *seq, referral_id, now, body));
            }
            Event::ClaimDecided {
                application_id,
                verified,
                reason,
                at,
            } => {
                let Some((_, app)) = state.application_by_id(application_id) else {
                    continue;
                };
                let mut body = json!({
                    "category": state.category_of(app).map(ToString::to_string),
                    "decision": if *verified { "verified" } else { "rejected" },
                    "reason": reason,
                    "decided_at": at,
                });
                if let (false, Some(map)) = (*verified, body.as_object_mut()) {
                    map.insert("appeal".into(), appeal(state, Some(app.district), *at));
                }
                let body = about(state, app, body);
                let id = application_id.as_str();
                docs.push(draft(result_id(*seq), "priority_decision", now, id, body));
            }
            _ => {}
        }
    }
    docs
}

/// The queue notification an earlier Kezek issued besides the referral to a registration
/// that met a free seat at once (`kezek verify` checks it when it is stored).
#[must_use]
pub fn earlier_queue_notification(
    state: &State,
    seq: Seq,
    event: &Event,
    now: Timestamp,
) -> Option<Draft> {
    match event {
        Event::Registered(r) => queue_notification(state, seq, r, now, true),
        _ => None,
    }
}

/// The queue notification of the registration at `seq`, with the place the child has in the
/// state the command left; none when the registration met a free seat at once (the referral
/// is then its one result) unless `even_if_referred`.
fn queue_notification(
    state: &State,
    seq: Seq,
    r: &Registration,
    now: Timestamp,
    even_if_referred: bool,
) -> Option<Draft> {
    let (a, app) = state.application_by_id(&r.application_id)?;
    if app.referred_at_once && !even_if_referred {
        return None;
    }
    let kindergartens: Vec<Value> = r
        .preferences
        .iter()
        .map(|k| {
            let kg = state.kindergarten_by_id(k).map(|(_, kg)| kg);
            json!({"kindergarten_id": k, "name": kg.map(|kg| kg.name.as_str()),
                "name_ru": kg.and_then(|kg| kg.labels.name_ru.as_deref())})
        })
        .collect();
    let body = json!({
        "child_iin": r.child.iin,
        "child_name": r.child.name,
        "district": r.district,
        "language": r.language.as_str(),
        "preferences": r.preferences,
        "kindergartens": kindergartens,
        "registered_at": r.registered_at,
        "tier": views::tier_name(state, app.tier),
        "priority_status": r.claim.as_str(),
        "category": r.category.as_ref().map(ToString::to_string),
        "queue_number": state.queue_number(a),
        "positions": views::positions(state, a, views::academic_year(state, now), false),
    });
    let body = about(state, app, body);
    let id = r.application_id.as_str();
    Some(draft(result_id(seq), "queue_notification", now, id, body))
}

/// The kindergarten's signed decision on a referral (admitted or not), `decision` added to
/// what names the referral.
fn admission(
    state: &State,
    seq: Seq,
    referral_id: &ReferralId,
    now: Timestamp,
    mut decision: Value,
) -> Option<Draft> {
    let r = state.referral(referral_id)?;
    let app = state.application(r.app)?;
    let kindergarten = state.kindergarten(r.kindergarten)?;
    if let Some(map) = decision.as_object_mut() {
        map.insert("referral_id".into(), referral_id.as_str().into());
        map.insert("kindergarten_id".into(), kindergarten.id.as_str().into());
        map.insert(
            "kindergarten_name".into(),
            kindergarten.name.as_str().into(),
        );
        map.insert(
            "kindergarten_name_ru".into(),
            kindergarten.labels.name_ru.as_deref().into(),
        );
        map.insert("group_id".into(), r.group.as_str().into());
    }
    let body = about(state, app, decision);
    Some(draft(
        result_id(seq),
        "admission",
        now,
        app.id.as_str(),
        body,
    ))
}

/// The signed admission decision of each child of an exchange done (`doc-<seq>-<n>`, in the
/// offer's order).
fn exchange_admissions(
    state: &State,
    seq: Seq,
    (exchange_id, at): (&ReferralId, Timestamp),
    now: Timestamp,
) -> Vec<Draft> {
    let moves = state
        .exchange(exchange_id)
        .map(|(_, x)| x.offer.moves.clone())
        .unwrap_or_default();
    moves
        .iter()
        .enumerate()
        .filter_map(|(n, m)| {
            let body =
                json!({"decision": "admitted", "decided_at": at, "exchange_id": exchange_id});
            let mut d = admission(state, seq, &m.referral_id, now, body)?;
            d.id = format!("{}-{}", result_id(seq), n + 1);
            Some(d)
        })
        .collect()
}

/// The referrals a round issued, each naming the child, the kindergarten and group, the
/// deadlines and what to bring.
fn referrals<'a>(
    state: &'a State,
    round: &'a RoundRecord,
    now: Timestamp,
) -> impl Iterator<Item = Draft> + 'a {
    let enroll_days = state.policy().referral.enroll_working_days;
    round.referrals.iter().map(move |r| {
        let mut body = json!({
            "referral_id": r.referral_id,
            "round_id": round.round_id,
            "district": round.district,
            "kindergarten_id": r.kindergarten_id,
            "group_id": r.group_id,
            "confirm_by": r.expires_at,
            "enrol_working_days": enroll_days,
            "bring": BRING,
        });
        if let (Some(map), Some((_, kg))) = (
            body.as_object_mut(),
            state.kindergarten_by_id(&r.kindergarten_id),
        ) {
            let labels = &kg.labels;
            map.insert("kindergarten_name".into(), kg.name.as_str().into());
            map.insert(
                "kindergarten_name_ru".into(),
                labels.name_ru.as_deref().into(),
            );
            map.insert(
                "kindergarten_address".into(),
                labels.address.as_deref().into(),
            );
            map.insert(
                "kindergarten_address_ru".into(),
                labels.address_ru.as_deref().into(),
            );
            if let Some(phone) = &labels.phone {
                map.insert("kindergarten_phone".into(), phone.as_str().into());
            }
            if let Some(g) = kg.group(&r.group_id) {
                map.insert("group_age_years".into(), g.age_years.into());
                map.insert("language".into(), g.language.as_str().into());
            }
        }
        let body = match state.application_by_id(&r.application_id) {
            Some((_, app)) => about(state, app, body),
            None => body,
        };
        let id = referral_document_id(r.referral_id.as_str());
        draft(id, "referral", now, r.application_id.as_str(), body)
    })
}
