//! Authority endpoints (role `staff`, scoped to districts): kindergartens and groups,
//! vacancies, allocation rounds, priority decisions, statistics.

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::request::{path_id, Write};
use crate::service::Service;
use crate::views;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kezek_core::event::{Event, GroupSpec};
use kezek_core::ids::{ApplicationId, DistrictId, GroupId, KindergartenId, RoundId};
use kezek_core::state::State as Core;
use kezek_core::types::Language;
use kezek_core::Command;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The authority and kindergarten routes.
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::new()
        .routes(routes!(read_kindergarten, upsert))
        .routes(routes!(vacancies))
        .routes(routes!(allocate))
        .routes(routes!(read_round))
        .routes(routes!(stats))
        .routes(routes!(priority))
}

fn kindergarten_view(state: &Core, k: u32) -> Value {
    let kg = state.kindergarten(k);
    json!({
        "kindergarten_id": kg.id,
        "name": kg.name,
        "district": state.districts()[kg.district as usize].id,
        "groups": kg.groups.iter().map(|g| json!({
            "group_id": g.id,
            "age_years": g.age_years,
            "language": g.language.as_str(),
            "capacity": g.capacity,
            "enrolled": g.enrolled,
            "reserved": g.reserved,
            "free": g.free(),
        })).collect::<Vec<_>>(),
        "as_of_seq": state.last_seq().get(),
    })
}

fn district_of_kindergarten(state: &Core, k: u32) -> &str {
    state.districts()[state.kindergarten(k).district as usize]
        .id
        .as_str()
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupBody {
    #[schema(value_type = String)]
    group_id: GroupId,
    age_years: i16,
    #[schema(value_type = String)]
    language: Language,
    capacity: u32,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct KindergartenBody {
    name: String,
    #[schema(value_type = String)]
    district: DistrictId,
    groups: Vec<GroupBody>,
}

#[utoipa::path(put, path = "/v1/kindergartens/{id}", tag = "staff", summary = "Create or replace a kindergarten and its groups", params(("id" = String, Path, description = "kindergarten id")), request_body = KindergartenBody, responses((status = 200, description = "success"), (status = 201, description = "created"), (status = 409, description = "capacity below occupied seats"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn upsert(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    w: Write,
) -> Response {
    let run = async {
        caller.require(&[Role::Staff])?;
        let kid = KindergartenId::parse(&id).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "bad kindergarten id",
            )
            .with_errors(vec![kezek_core::event::Ground {
                field: "id".into(),
                code: "invalid_id".into(),
                message: e.to_string(),
                missing: Vec::new(),
            }])
        })?;
        let (idem, b): (_, KindergartenBody) = (w.idempotency.clone(), w.json()?);
        caller.require_scope(Role::Staff, b.district.as_str())?;
        if let Some(k) = svc.read(|s| s.kindergarten_index(&kid)) {
            let current = svc.read(|s| district_of_kindergarten(s, k).to_owned());
            caller.require_scope(Role::Staff, &current)?;
        }
        Ok::<_, ApiError>((kid, idem, b))
    };
    let (kid, idem, b) = match run.await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    svc.write(&caller, idem, move |state, _| {
        let created = state.kindergarten_index(&kid).is_none();
        let groups = b
            .groups
            .into_iter()
            .map(|g| GroupSpec {
                group_id: g.group_id,
                age_years: g.age_years,
                language: g.language,
                capacity: g.capacity,
                enrolled: 0,
            })
            .collect();
        let outcome = state.execute(Command::UpsertKindergarten {
            kindergarten_id: kid.clone(),
            name: b.name,
            district: b.district,
            groups,
        })?;
        let k = state.kindergarten_index(&kid).unwrap_or_default();
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((outcome, (status, kindergarten_view(state, k))))
    })
    .await
}

#[utoipa::path(get, path = "/v1/kindergartens/{id}", tag = "staff", summary = "A kindergarten with seats per group", params(("id" = String, Path, description = "kindergarten id")), responses((status = 200, description = "success"), (status = 404, description = "not found"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn read_kindergarten(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Staff, Role::Kindergarten, Role::Portal, Role::Auditor])?;
    let kid = path_id("kindergarten", &id, KindergartenId::parse)?;
    svc.read(|s| {
        let k = s
            .kindergarten_index(&kid)
            .ok_or_else(|| ApiError::not_found("kindergarten", &id))?;
        match caller.role {
            Role::Staff => caller.require_scope(Role::Staff, district_of_kindergarten(s, k))?,
            Role::Kindergarten => caller.require_scope(Role::Kindergarten, kid.as_str())?,
            _ => {}
        }
        Ok(Json(kindergarten_view(s, k)))
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct VacanciesBody {
    seats: u32,
}

#[utoipa::path(post, path = "/v1/kindergartens/{id}/groups/{group_id}/vacancies", tag = "staff", summary = "Open places in a group", params(("id" = String, Path, description = "kindergarten id"), ("group_id" = String, Path, description = "group id")), request_body = VacanciesBody, responses((status = 200, description = "success"), (status = 409, description = "more than enrolled"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn vacancies(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path((id, group)): Path<(String, String)>,
    w: Write,
) -> Response {
    let checked = (|| {
        caller.require(&[Role::Staff])?;
        let kid = path_id("kindergarten", &id, KindergartenId::parse)?;
        let gid = path_id("group", &group, GroupId::parse)?;
        let k = svc
            .read(|s| s.kindergarten_index(&kid))
            .ok_or_else(|| ApiError::not_found("kindergarten", &id))?;
        caller.require_scope(
            Role::Staff,
            &svc.read(|s| district_of_kindergarten(s, k).to_owned()),
        )?;
        let (idem, b): (_, VacanciesBody) = (w.idempotency.clone(), w.json()?);
        Ok::<_, ApiError>((kid, gid, k, idem, b))
    })();
    let (kid, gid, k, idem, b) = match checked {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    svc.write(&caller, idem, move |state, _| {
        let outcome = state.execute(Command::OpenVacancies {
            kindergarten_id: kid,
            group_id: gid,
            seats: b.seats,
        })?;
        Ok((outcome, (StatusCode::OK, kindergarten_view(state, k))))
    })
    .await
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AllocateBody {
    #[serde(default)]
    academic_year: Option<i16>,
}

fn round_view(state: &Core, r: &kezek_core::event::RoundRecord) -> Value {
    json!({
        "round_id": r.round_id,
        "district": r.district,
        "academic_year": r.academic_year,
        "ran_at": r.ran_at,
        "referrals": r.referrals,
        "free_seats_left": r.free_seats_left,
        "as_of_seq": state.last_seq().get(),
    })
}

#[utoipa::path(post, path = "/v1/districts/{district}/allocations", tag = "staff", summary = "Run an allocation round", params(("district" = String, Path, description = "district id")), request_body = AllocateBody, responses((status = 201, description = "success"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn allocate(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(district): Path<String>,
    w: Write,
) -> Response {
    let checked = (|| {
        caller.require_scope(Role::Staff, &district)?;
        let d = path_id("district", &district, DistrictId::parse)?;
        let (idem, b): (_, AllocateBody) = (w.idempotency.clone(), w.json()?);
        Ok::<_, ApiError>((d, idem, b))
    })();
    let (d, idem, b) = match checked {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    svc.sweep().await;
    svc.write(&caller, idem, move |state, now| {
        let round_id = RoundId::parse(&format!("R{:010}", state.last_seq().next().get()))
            .unwrap_or_else(|_| unreachable!("digits"));
        let outcome = state.execute(Command::RunRound {
            round_id: round_id.clone(),
            district: d,
            academic_year: b.academic_year,
            at: now,
        })?;
        let body = match outcome.last() {
            Some((_, Event::RoundRun(r))) => round_view(state, r),
            _ => Value::Null,
        };
        Ok((outcome, (StatusCode::CREATED, body)))
    })
    .await
}

#[utoipa::path(get, path = "/v1/allocations/{round_id}", tag = "staff", summary = "A round", params(("round_id" = String, Path, description = "round id")), responses((status = 200, description = "success"), (status = 404, description = "not found"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn read_round(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Staff, Role::Auditor])?;
    let rid = path_id("round", &id, RoundId::parse)?;
    svc.read(|s| {
        let r = s
            .round(&rid)
            .ok_or_else(|| ApiError::not_found("round", &id))?;
        if caller.role == Role::Staff {
            caller.require_scope(Role::Staff, r.district.as_str())?;
        }
        Ok(Json(round_view(s, r)))
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PriorityBody {
    decision: String,
    #[serde(default)]
    reason: String,
}

#[utoipa::path(post, path = "/v1/applications/{id}/priority", tag = "staff", summary = "Verify or reject a priority claim", params(("id" = String, Path, description = "application id")), request_body = PriorityBody, responses((status = 200, description = "success"), (status = 409, description = "no claim"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn priority(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    w: Write,
) -> Response {
    let checked = (|| {
        caller.require(&[Role::Staff])?;
        let aid = path_id("application", &id, ApplicationId::parse)?;
        let a = svc
            .read(|s| s.application_index(&aid))
            .ok_or_else(|| ApiError::not_found("application", &id))?;
        caller.require_scope(
            Role::Staff,
            &svc.read(|s| {
                s.districts()[s.application(a).district as usize]
                    .id
                    .to_string()
            }),
        )?;
        let (idem, b): (_, PriorityBody) = (w.idempotency.clone(), w.json()?);
        let verified = match b.decision.as_str() {
            "verified" => true,
            "rejected" => false,
            _ => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request",
                    "decision must be verified or rejected",
                )
                .with_errors(vec![kezek_core::event::Ground {
                    field: "decision".into(),
                    code: "invalid_decision".into(),
                    message: "must be verified or rejected".into(),
                    missing: Vec::new(),
                }]))
            }
        };
        Ok((aid, a, idem, verified, b.reason))
    })();
    let (aid, a, idem, verified, reason) = match checked {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    svc.write(&caller, idem, move |state, now| {
        let outcome = state.execute(Command::DecideClaim {
            application_id: aid,
            verified,
            reason,
            at: now,
        })?;
        Ok((outcome, (StatusCode::OK, views::application(state, a, now))))
    })
    .await
}

#[utoipa::path(get, path = "/v1/districts/{district}/stats", tag = "staff", summary = "District statistics", params(("district" = String, Path, description = "district id")), responses((status = 200, description = "success"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn stats(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(district): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if caller.role != Role::Auditor {
        caller.require_scope(Role::Staff, &district)?;
    }
    let did = path_id("district", &district, DistrictId::parse)?;
    let now = svc.now();
    svc.read(|s| {
        let d = s.district_index(&did).ok_or_else(|| ApiError::not_found("district", &district))?;
        let year = views::academic_year(s, now);
        let st = s.district_stats(d, year);
        let tier = |t: usize| s.policy().tiers[t].name.clone();
        let mut by_tier = serde_json::Map::new();
        let mut by_language = serde_json::Map::new();
        for ((_, lang, t), n) in &st.queued {
            *by_tier.entry(tier(*t)).or_insert(json!(0)) = json!(by_tier.get(&tier(*t)).and_then(Value::as_u64).unwrap_or(0) + n);
            let l = lang.as_str().to_owned();
            *by_language.entry(l.clone()).or_insert(json!(0)) = json!(by_language.get(&l).and_then(Value::as_u64).unwrap_or(0) + n);
        }
        Ok(Json(json!({
            "district": did,
            "academic_year": year,
            "queued": {
                "total": st.queued.values().sum::<u64>(),
                "by_tier": by_tier,
                "by_language": by_language,
                "by_age": st.queued.iter().map(|((age, lang, t), n)| json!({"age_years": age, "language": lang.as_str(), "tier": tier(*t), "count": n})).collect::<Vec<_>>(),
            },
            "seats": {"capacity": st.capacity, "enrolled": st.enrolled, "reserved": st.reserved, "free": st.free},
            "referrals_outstanding": st.referrals_outstanding,
            "median_wait_days": st.median_wait_days,
            "as_of_seq": s.last_seq().get(),
        })))
    })
}
