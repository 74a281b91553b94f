//! The education department's worklists (role `staff`, scoped to its districts): priority
//! claims to check with their due dates, referrals outstanding by when they lapse.

use crate::error::ApiError;
use crate::extract::{Bearer, Query};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kezek_app::access::{QueueReaders, Staff};
use kezek_app::ops::queue;
use kezek_app::ops::worklists::{ClaimList, ReferralWorklist};
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
        .routes(routes!(queue))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueParams {
    cohort: Option<i16>,
    age: Option<i16>,
    language: String,
    tier: Option<String>,
    #[serde(default)]
    after: usize,
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/v1/districts/{district}/queue", tag = "staff", summary = "One cohort queue child by child, by queue number",
    description = "A birth cohort (or an age) and a language of a district, in the merged order the queue numbers count and rounds follow, a page at a time; `tier` lists one tier with the numbers its children have in the whole queue. Clerks and staff of the district, auditors.",
    params(("district" = String, Path, description = "district id"),
        ("cohort" = Option<i16>, Query, description = "birth cohort (academic birth year); or age"),
        ("age" = Option<i16>, Query, description = "age on the cut-off date of the academic year in progress; or cohort"),
        ("language" = String, Query, description = "kk or ru"),
        ("tier" = Option<String>, Query, description = "one tier of the policy only"),
        ("after" = Option<usize>, Query, description = "children after this queue number (0: from the start)"),
        ("limit" = Option<usize>, Query, description = "children per page, 100 by default, at most 1000")),
    responses((status = 200, description = "the page", body = queue::QueuePage), (status = 404, description = "unknown district", body = Problem),
        (status = 422, description = "neither or both of cohort and age, a bad language or tier, limit over 1000", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn queue(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<QueueReaders>,
    Path(district): Path<String>,
    Query(p): Query<QueueParams>,
) -> Result<Response, ApiError> {
    let q = queue::QueueQuery {
        cohort: p.cohort,
        age: p.age,
        language: p.language,
        tier: p.tier,
        after: p.after,
        limit: p.limit,
    };
    Ok(Json(app.reads(|r| r.page(&auth, &district, &q)).await??).into_response())
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
    Bearer(auth): Bearer<Staff>,
    Path(district): Path<String>,
    Query(q): Query<ClaimQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(
        app.reads(|r| r.claims(&auth, &district, q.status.as_deref()))
            .await??,
    )
    .into_response())
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
    Bearer(auth): Bearer<Staff>,
    Path(district): Path<String>,
    Query(q): Query<ReferralQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(
        app.reads(|r| {
            r.referrals(
                &auth,
                &district,
                q.status.as_deref(),
                q.lapsing_before.as_deref(),
            )
        })
        .await??,
    )
    .into_response())
}
