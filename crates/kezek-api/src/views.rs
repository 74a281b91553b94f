//! JSON views of the state, with the field names of API.md.

use jiff::Timestamp;
use kezek_core::state::{Application, Referral, State};
use serde_json::{json, Value};

/// The academic year in progress at `now` (groups serve ages counted on its cut-off).
#[must_use]
pub fn academic_year(state: &State, now: Timestamp) -> i16 {
    let p = state.policy();
    p.cutoff.academic_year_of(p.calendar.local_date(now))
}

fn tier_name(state: &State, t: usize) -> &str {
    &state.policy().tiers[t].name
}

/// Positions at every listed kindergarten; with `ahead` counts when asked.
#[must_use]
pub fn positions(state: &State, a: u32, year: i16, with_ahead: bool) -> Vec<PositionAt<'_>> {
    state
        .positions(a, year)
        .into_iter()
        .map(|p| {
            let kg = state.kindergarten(p.kindergarten);
            PositionAt {
                ahead: with_ahead.then_some(Ahead {
                    state,
                    counts: p.ahead,
                }),
                group_id: p.group.map(|g| &kg.groups[g].id),
                kindergarten_id: &kg.id,
                position: p.position,
            }
        })
        .collect()
}

/// The referral of an application, if it has one.
#[must_use]
pub fn referral(state: &State, app: &Application) -> Value {
    app.referral.map_or(Value::Null, |r| {
        referral_of(state, &state.referrals()[r as usize])
    })
}

/// One referral.
#[must_use]
pub fn referral_of(state: &State, r: &Referral) -> Value {
    json!({
        "referral_id": r.id,
        "kindergarten_id": state.kindergarten(r.kindergarten).id,
        "group_id": r.group,
        "status": r.status.as_str(),
        "issued_at": r.issued_at,
        "expires_at": r.expires_at,
        "application_id": state.application(r.app).id,
        "document_id": crate::documents::referral_id(r.id.as_str()),
    })
}

/// Document id of an application's queue notification.
#[must_use]
pub fn document_id(app: &Application) -> String {
    crate::documents::result_id(app.seq)
}

/// The whole application.
#[must_use]
pub fn application(state: &State, a: u32, now: Timestamp) -> Value {
    let app = state.application(a);
    let year = academic_year(state, now);
    json!({
        "application_id": app.id,
        "status": app.status.as_str(),
        "registered_at": app.registered_at,
        "district": state.districts()[app.district as usize].id,
        "language": app.language.as_str(),
        "preferences": app.preferences.iter().map(|k| state.kindergarten(*k).id.clone()).collect::<Vec<_>>(),
        "category": app.category,
        "tier": tier_name(state, app.tier),
        "priority_status": app.claim.as_str(),
        "queue_number": state.queue_number(a),
        "positions": positions(state, a, year, false),
        "referral": referral(state, app),
        "document_id": document_id(app),
        "as_of_seq": state.last_seq().get(),
    })
}

/// Who is in front, per tier: serialised as `{"<tier>": n, …}` without building a map.
struct Ahead<'a> {
    state: &'a State,
    counts: Vec<usize>,
}

impl serde::Serialize for Ahead<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            self.counts
                .iter()
                .enumerate()
                .map(|(t, n)| (tier_name(self.state, t), n)),
        )
    }
}

/// One kindergarten of an application's positions (fields in the order a JSON map would
/// sort them).
#[derive(serde::Serialize)]
pub struct PositionAt<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ahead: Option<Ahead<'a>>,
    group_id: Option<&'a kezek_core::ids::GroupId>,
    kindergarten_id: &'a kezek_core::ids::KindergartenId,
    position: usize,
}

/// The position view, typed: the portal polls it, and building it as a `serde_json::Value`
/// (a map and a string per field) cost more than the queries behind it. Documents and the
/// application view take the same positions through `json!`.
#[derive(serde::Serialize)]
pub struct PositionView<'a> {
    ahead: Option<Ahead<'a>>,
    application_id: &'a kezek_core::ids::ApplicationId,
    as_of_seq: u64,
    positions: Vec<PositionAt<'a>>,
    queue_number: Option<usize>,
    registered_at: Timestamp,
    /// The change since a journal seq, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<Value>,
    status: &'static str,
    tier: &'a str,
}

/// The position view: queue number and, per kindergarten, position and who is ahead.
#[must_use]
pub fn position(state: &State, a: u32, now: Timestamp) -> PositionView<'_> {
    let app = state.application(a);
    let ahead = state.ahead(a, None);
    PositionView {
        queue_number: ahead.as_ref().map(|c| c.iter().sum::<usize>() + 1),
        ahead: ahead.map(|counts| Ahead { state, counts }),
        application_id: &app.id,
        as_of_seq: state.last_seq().get(),
        positions: positions(state, a, academic_year(state, now), true),
        registered_at: app.registered_at,
        since: None,
        status: app.status.as_str(),
        tier: tier_name(state, app.tier),
    }
}
