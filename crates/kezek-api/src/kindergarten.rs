//! The kindergarten's endpoints (role `kindergarten`, scoped to kindergartens): referrals to
//! admit, enrolment, no-show.

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::portal::referral_write;
use crate::request::{path_id, Write};
use crate::service::Service;
use crate::views;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kezek_core::ids::KindergartenId;
use kezek_core::state::ReferralStatus;
use kezek_core::Command;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The kindergarten routes.
pub fn routes() -> OpenApiRouter<Arc<Service>> {
    OpenApiRouter::new()
        .routes(routes!(kindergarten_referrals))
        .routes(routes!(enroll))
        .routes(routes!(no_show))
}

#[derive(Deserialize)]
struct StatusFilter {
    #[serde(default)]
    status: Option<String>,
}

#[utoipa::path(get, path = "/v1/kindergartens/{id}/referrals", tag = "kindergarten", summary = "Referrals to admit", params(("id" = String, Path, description = "kindergarten id"), ("status" = Option<String>, Query, description = "issued or confirmed")), responses((status = 200, description = "success"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn kindergarten_referrals(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<StatusFilter>,
) -> Result<Json<Value>, ApiError> {
    caller.require_scope(Role::Kindergarten, &id)?;
    let wanted: Vec<ReferralStatus> = match q.status.as_deref() {
        None => vec![ReferralStatus::Issued, ReferralStatus::Confirmed],
        Some("issued") => vec![ReferralStatus::Issued],
        Some("confirmed") => vec![ReferralStatus::Confirmed],
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "status must be issued or confirmed",
            ))
        }
    };
    svc.sweep().await;
    let kid = path_id("kindergarten", &id, KindergartenId::parse)?;
    svc.read(|s| {
        let k = s
            .kindergarten_index(&kid)
            .ok_or_else(|| ApiError::not_found("kindergarten", &id))?;
        let list: Vec<Value> = s
            .referrals()
            .iter()
            .filter(|r| r.kindergarten == k && wanted.contains(&r.status))
            .map(|r| views::referral_of(s, r))
            .collect();
        Ok(Json(
            json!({ "referrals": list, "as_of_seq": s.last_seq().get() }),
        ))
    })
}

#[utoipa::path(post, path = "/v1/referrals/{id}/enroll", tag = "kindergarten", summary = "The child is admitted", params(("id" = String, Path, description = "referral id")), responses((status = 200, description = "success"), (status = 409, description = "not open or expired"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn enroll(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    w: Write,
) -> Response {
    referral_write(
        svc,
        caller,
        id,
        w.idempotency,
        &[Role::Kindergarten],
        |referral_id, at| Command::Enrol { referral_id, at },
    )
    .await
}

#[utoipa::path(post, path = "/v1/referrals/{id}/no-show", tag = "kindergarten", summary = "The child did not come", params(("id" = String, Path, description = "referral id")), responses((status = 200, description = "success"), (status = 409, description = "not open"), (status = 401, description = "missing or unknown token"), (status = 403, description = "wrong role or out of scope")), security(("bearer" = [])))]
async fn no_show(
    State(svc): State<Arc<Service>>,
    caller: Caller,
    Path(id): Path<String>,
    w: Write,
) -> Response {
    referral_write(
        svc,
        caller,
        id,
        w.idempotency,
        &[Role::Kindergarten],
        |referral_id, at| Command::NoShow { referral_id, at },
    )
    .await
}
