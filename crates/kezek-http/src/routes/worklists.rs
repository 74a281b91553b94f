//! The education department's worklists (role `staff`, scoped to its districts): priority
//! claims to check with their due dates, referrals outstanding by when they lapse.

use crate::error::ApiError;
use crate::extract::{Auth, Query};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kezek_app::access::Staff;
use kezek_app::ops::worklists::{self, ClaimList, ReferralWorklist};
use kezek_app::problem::Problem;
use kezek_app::App;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The worklist routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(claims))
        .routes(routes!(referrals))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimQuery {
    status: Option<String>,
}

#[utoipa::path(get, path = "/v1/districts/{district}/claims", tag = "staff", summary = "Priority claims to check, with their due dates",
    params(("district" = String, Path, description = "district id"), ("status" = Option<String>, Query, description = "pending (default), verified or rejected")),
    responses((status = 200, description = "the claims, oldest first", body = ClaimList), (status = 404, description = "unknown district", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn claims(
    State(app): State<Arc<App>>,
    Auth(auth): Auth<Staff>,
    Path(district): Path<String>,
    Query(q): Query<ClaimQuery>,
) -> Result<Response, ApiError> {
    let now = app.now();
    app.read(|s| {
        worklists::claims(s, &auth, &district, q.status.as_deref(), now)
            .map(|v| Json(v).into_response())
    })
    .await?
    .map_err(ApiError::from)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferralQuery {
    status: Option<String>,
    lapsing_before: Option<String>,
}

#[utoipa::path(get, path = "/v1/districts/{district}/referrals", tag = "staff", summary = "Referrals outstanding, soonest to lapse first",
    params(("district" = String, Path, description = "district id"), ("status" = Option<String>, Query, description = "issued or confirmed (both by default)"),
        ("lapsing_before" = Option<String>, Query, description = "only those lapsing before this date (YYYY-MM-DD, local)")),
    responses((status = 200, description = "the referrals", body = ReferralWorklist), (status = 404, description = "unknown district", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn referrals(
    State(app): State<Arc<App>>,
    Auth(auth): Auth<Staff>,
    Path(district): Path<String>,
    Query(q): Query<ReferralQuery>,
) -> Result<Response, ApiError> {
    app.read(|s| {
        worklists::referrals(
            s,
            &auth,
            &district,
            q.status.as_deref(),
            q.lapsing_before.as_deref(),
        )
        .map(|v| Json(v).into_response())
    })
    .await?
    .map_err(ApiError::from)
}
