//! Complaints about the kindergarten queue's decisions (`kezek_app::ops::queue_complaints`):
//! made for the family by the portal or a clerk, decided by the district's department, listed
//! on its worklist.

use crate::error::{written, ApiError};
use crate::extract::{Bearer, Query, Write};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use kezek_app::access::CaseReaders;
use kezek_app::ops::queue_complaints::{
    NewQueueComplaint, QueueComplaintDecision, QueueComplaintsView,
};
use kezek_app::problem::Problem;
use kezek_app::App;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The complaints' routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(complain, list))
        .routes(routes!(decide))
        .routes(routes!(worklist))
}

#[utoipa::path(post, path = "/v1/applications/{id}/complaints", tag = "complaints", summary = "The family complains about a queue decision",
    description = "A refusal, a rejected priority claim, a referral, a place not given in time: the district's department decides within five working days, upheld or not with reasons, in a signed decision naming where to appeal next. The portal (for the family) or a clerk of the district.",
    params(("id" = String, Path, description = "application id")), request_body = NewQueueComplaint,
    responses((status = 201, description = "the application's complaints", body = QueueComplaintsView), (status = 404, description = "no such application", body = Problem),
        (status = 422, description = "no words", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn complain(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(id): Path<String>,
    w: Write<NewQueueComplaint>,
) -> Result<Response, ApiError> {
    Ok(written(app.complain_about_queue(&auth, &id, w.body).await?))
}

#[utoipa::path(get, path = "/v1/applications/{id}/complaints", tag = "complaints", summary = "An application's complaints and their decisions",
    params(("id" = String, Path, description = "application id")),
    responses((status = 200, description = "the complaints", body = QueueComplaintsView), (status = 404, description = "no such application", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn list(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(id): Path<String>,
) -> Result<Json<QueueComplaintsView>, ApiError> {
    Ok(Json(app.queue_complaints(&auth, &id)?))
}

#[utoipa::path(post, path = "/v1/applications/{id}/complaints/{n}/decision", tag = "complaints", summary = "The district's department decides a complaint",
    description = "Its head (a key scoped to the district) or its staff. Issues the signed kk/ru decision `doc-{id}-complaint-{n}` and tells the family.",
    params(("id" = String, Path, description = "application id"), ("n" = u32, Path, description = "complaint number")), request_body = QueueComplaintDecision,
    responses((status = 200, description = "the application's complaints", body = QueueComplaintsView), (status = 409, description = "no open complaint with that number", body = Problem),
        (status = 404, description = "no such application", body = Problem), (status = 422, description = "no reasons", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn decide(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path((id, n)): Path<(String, u32)>,
    w: Write<QueueComplaintDecision>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.decide_queue_complaint(&auth, (&id, n), w.body).await?,
    ))
}

/// `?overdue=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorklistQuery {
    #[serde(default)]
    overdue: Option<bool>,
}

#[utoipa::path(get, path = "/v1/districts/{district}/complaints", tag = "complaints", summary = "The open complaints about a district's queue: its department's worklist",
    params(("district" = String, Path, description = "district id"), ("overdue" = Option<bool>, Query, description = "only those past their five working days")),
    responses((status = 200, description = "each application with its open complaints, oldest first", body = Vec<QueueComplaintsView>),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn worklist(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(district): Path<String>,
    Query(q): Query<WorklistQuery>,
) -> Result<Json<Vec<QueueComplaintsView>>, ApiError> {
    Ok(Json(app.district_queue_complaints(
        &auth,
        &district,
        q.overdue.unwrap_or(false),
    )?))
}
