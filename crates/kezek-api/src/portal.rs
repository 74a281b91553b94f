//! Portal endpoints (role `portal`): register, read, position, preferences, withdraw, and
//! the parent's answer to a referral.

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::request::{path_id, Write};
use crate::service::Service;
use crate::views;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kezek_core::ids::{ApplicationId, ReferralId, RoundId};
use kezek_core::state::State as Core;
use kezek_core::{Command, Event, RegisterRequest};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The portal routes.
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::new()
        .routes(routes!(register, by_child))
        .routes(routes!(read))
        .routes(routes!(position))
        .routes(routes!(preferences))
        .routes(routes!(withdraw))
        .routes(routes!(confirm))
        .routes(routes!(decline))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Child {
    iin: String,
    name: String,
    #[serde(default)]
    birth_date: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Representative {
    iin: String,
    power_of_attorney: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Applicant {
    iin: String,
    name: String,
    #[serde(default)]
    representative: Option<Representative>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    child: Child,
    applicant: Applicant,
    district: String,
    language: String,
    preferences: Vec<String>,
    #[serde(default)]
    category: Option<String>,
    documents: Vec<String>,
    channel: String,
}

/// Ids the server gives: derived from the next sequence number, so unique and replayable.
fn next_ids(state: &Core) -> (ApplicationId, RoundId) {
    let n = state.last_seq().next();
    let app = ApplicationId::parse(&format!("KZ{:010}", n.get()))
        .unwrap_or_else(|_| unreachable!("digits"));
    let round =
        RoundId::parse(&format!("R{:010}", n.get())).unwrap_or_else(|_| unreachable!("digits"));
    (app, round)
}

#[utoipa::path(post, path = "/v1/applications", tag = "portal", summary = "Register a child", request_body = RegisterBody, responses((status = 201, description = "success"), (status = 422, description = "refused: every ground in errors"), (status = 409, description = "active_application_exists"), (status = 400, description = "malformed body"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn register(State(svc): State<Arc<Service>>, caller: Caller, w: Write) -> Response {
    if let Err(e) = caller.require(&[Role::Portal]) {
        return e.into_response();
    }
    let idem = w.idempotency.clone();
    let b: RegisterBody = match w.json() {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    svc.write(&caller, idem, move |state, now| {
        let (application_id, round_id) = next_ids(state);
        let req = RegisterRequest {
            application_id: Some(application_id),
            round_id: Some(round_id),
            child_iin: b.child.iin,
            child_name: b.child.name,
            birth_date: b.child.birth_date,
            applicant_iin: b.applicant.iin,
            applicant_name: b.applicant.name,
            representative: b
                .applicant
                .representative
                .map(|r| (r.iin, r.power_of_attorney)),
            district: b.district,
            language: b.language,
            preferences: b.preferences,
            category: b.category,
            documents: b.documents,
            channel: b.channel,
            claim_verified: false,
            at: now,
        };
        let outcome = state.execute(Command::Register(Box::new(req)))?;
        let answer = match &outcome[0] {
            (
                seq,
                Event::RegistrationRefused {
                    application_id,
                    grounds,
                    ..
                },
            ) => {
                let missing: Vec<&str> = grounds
                    .iter()
                    .flat_map(|g| g.missing.iter().map(|d| d.as_str()))
                    .collect();
                let e = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "refused",
                    "the application is refused on every ground listed in errors",
                )
                .with_errors(grounds.clone())
                .with("application_id", application_id.as_str())
                .with("document_id", crate::documents::result_id(*seq))
                .with("missing", missing);
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    serde_json::from_slice(&e.body()).unwrap_or_default(),
                )
            }
            (_, Event::Registered(r)) => {
                let a = state
                    .application_index(&r.application_id)
                    .unwrap_or_default();
                (StatusCode::CREATED, views::application(state, a, now))
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, json!({})),
        };
        Ok((outcome, answer))
    })
    .await
}

/// Finds an application the caller may see.
fn visible(state: &Core, caller: &Caller, raw: &str) -> Result<u32, ApiError> {
    caller.require(&[Role::Portal, Role::Staff])?;
    let id = path_id("application", raw, ApplicationId::parse)?;
    let a = state
        .application_index(&id)
        .ok_or_else(|| ApiError::not_found("application", raw))?;
    if caller.role == Role::Staff {
        let district = &state.districts()[state.application(a).district as usize].id;
        caller.require_scope(Role::Staff, district.as_str())?;
    }
    Ok(a)
}

#[utoipa::path(get, path = "/v1/applications/{id}", tag = "portal", summary = "An application", params(("id" = String, Path, description = "application id")), responses((status = 200, description = "success"), (status = 404, description = "not found"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn read(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    svc.sweep().await;
    let now = svc.now();
    svc.read(|s| visible(s, &caller, &id).map(|a| Json(views::application(s, a, now))))
}

#[utoipa::path(get, path = "/v1/applications/{id}/position", tag = "portal", summary = "Queue number and positions with who is ahead", params(("id" = String, Path, description = "application id"), ("since_seq" = Option<u64>, Query, description = "explain the change since this journal seq")), responses((status = 200, description = "success"), (status = 404, description = "not found"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn position(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Since>,
) -> Result<axum::response::Response, ApiError> {
    let now = svc.now();
    svc.read(|s| {
        let a = visible(s, &caller, &id)?;
        let mut v = views::position(s, a, now);
        if let Some(seq) = q.since_seq {
            v.since = Some(s.explain(a, kezek_core::types::Seq::new(seq)).map_or(
                serde_json::Value::Null,
                |x| {
                    let causes: serde_json::Map<String, serde_json::Value> = x
                        .causes
                        .iter()
                        .map(|(c, n)| (c.as_str().to_owned(), json!(n)))
                        .collect();
                    json!({"seq": seq, "queue_number": x.queue_number, "causes": causes})
                },
            ));
        }
        // Serialised under the read lock: the view borrows the state.
        Ok(Json(v).into_response())
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Since {
    #[serde(default)]
    since_seq: Option<u64>,
}

#[derive(Deserialize)]
struct ByChild {
    child_iin: String,
}

#[utoipa::path(get, path = "/v1/applications", tag = "portal", summary = "The child's applications", params(("child_iin" = String, Query, description = "the child's IIN")), responses((status = 200, description = "success"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn by_child(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Query(q): Query<ByChild>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(&[Role::Portal, Role::Staff])?;
    let now = svc.now();
    let iin = kezek_core::iin::Iin::parse(&q.child_iin).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "child_iin is not an IIN",
        )
        .with_errors(vec![kezek_core::event::Ground {
            field: "child_iin".into(),
            code: "invalid_iin".into(),
            message: e.to_string(),
            missing: Vec::new(),
        }])
    })?;
    Ok(svc.read(|s| {
        let apps: Vec<serde_json::Value> = s
            .applications_of_child(&iin)
            .into_iter()
            .filter(|a| {
                caller.role != Role::Staff
                    || caller.scope.iter().any(|d| {
                        *d == s.districts()[s.application(*a).district as usize]
                            .id
                            .as_str()
                    })
            })
            .map(|a| views::application(s, a, now))
            .collect();
        Json(json!({ "applications": apps, "as_of_seq": s.last_seq().get() }))
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PreferencesBody {
    preferences: Vec<String>,
}

/// A portal write on one application: checks role and id, then runs `cmd`.
async fn app_write(
    svc: Arc<Service>,
    caller: Caller,
    id: String,
    idem: Option<crate::service::Idempotency>,
    cmd: impl FnOnce(ApplicationId, jiff::Timestamp) -> Command,
) -> Response {
    if let Err(e) = caller.require(&[Role::Portal]) {
        return e.into_response();
    }
    let app_id = match path_id("application", &id, ApplicationId::parse) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    svc.write(&caller, idem, move |state, now| {
        let outcome = state.execute(cmd(app_id.clone(), now))?;
        let a = state.application_index(&app_id).unwrap_or_default();
        Ok((outcome, (StatusCode::OK, views::application(state, a, now))))
    })
    .await
}

#[utoipa::path(put, path = "/v1/applications/{id}/preferences", tag = "portal", summary = "Replace the kindergarten preferences", params(("id" = String, Path, description = "application id")), request_body = PreferencesBody, responses((status = 200, description = "success"), (status = 422, description = "bad preferences"), (status = 409, description = "not queued"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn preferences(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    w: Write,
) -> Response {
    let b: PreferencesBody = match w.json() {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let idem = w.idempotency;
    app_write(svc, caller, id, idem, move |application_id, at| {
        Command::ChangePreferences {
            application_id,
            preferences: b.preferences,
            at,
        }
    })
    .await
}

#[utoipa::path(post, path = "/v1/applications/{id}/withdraw", tag = "portal", summary = "Withdraw the application", params(("id" = String, Path, description = "application id")), responses((status = 200, description = "success"), (status = 409, description = "not active"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn withdraw(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    w: Write,
) -> Response {
    let idem = w.idempotency;
    app_write(svc, caller, id, idem, |application_id, at| {
        Command::Withdraw { application_id, at }
    })
    .await
}

/// A write on one referral by `roles`: checks role, id and scope, then runs `cmd`.
pub(crate) async fn referral_write(
    svc: Arc<Service>,
    caller: Caller,
    id: String,
    idem: Option<crate::service::Idempotency>,
    roles: &'static [Role],
    cmd: impl FnOnce(ReferralId, jiff::Timestamp) -> Command,
) -> Response {
    if let Err(e) = caller.require(roles) {
        return e.into_response();
    }
    svc.sweep().await;
    let referral_id = match path_id("referral", &id, ReferralId::parse) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let who = caller.clone();
    svc.write(&caller, idem, move |state, now| {
        let r = state
            .referral(&referral_id)
            .ok_or_else(|| ApiError::not_found("referral", referral_id.as_str()))?;
        if who.role == Role::Kindergarten {
            who.require_scope(
                Role::Kindergarten,
                state.kindergarten(r.kindergarten).id.as_str(),
            )?;
        }
        let outcome = state.execute(cmd(referral_id.clone(), now))?;
        let r = state
            .referral(&referral_id)
            .ok_or_else(|| ApiError::not_found("referral", referral_id.as_str()))?;
        let mut body = views::referral_of(state, r);
        body["application_status"] = json!(state.application(r.app).status.as_str());
        body["as_of_seq"] = json!(state.last_seq().get());
        Ok((outcome, (StatusCode::OK, body)))
    })
    .await
}

#[utoipa::path(post, path = "/v1/referrals/{id}/confirm", tag = "portal", summary = "The parent confirms a referral", params(("id" = String, Path, description = "referral id")), responses((status = 200, description = "success"), (status = 409, description = "not open or expired"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn confirm(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    w: Write,
) -> Response {
    let idem = w.idempotency;
    referral_write(svc, caller, id, idem, &[Role::Portal], |referral_id, at| {
        Command::Confirm { referral_id, at }
    })
    .await
}

#[utoipa::path(post, path = "/v1/referrals/{id}/decline", tag = "portal", summary = "The parent declines a referral", params(("id" = String, Path, description = "referral id")), responses((status = 200, description = "success"), (status = 409, description = "not open"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn decline(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    w: Write,
) -> Response {
    let idem = w.idempotency;
    referral_write(svc, caller, id, idem, &[Role::Portal], |referral_id, at| {
        Command::Decline { referral_id, at }
    })
    .await
}
