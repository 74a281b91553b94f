//! The education department's routes (role `staff`, scoped to its districts): kindergartens,
//! vacancies, rounds, priority claims, statistics.

use crate::error::{written, ApiError};
use crate::extract::{Bearer, Write};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kezek_app::access::{KeyHolders, Staff, StaffOrAuditor};
use kezek_app::forms::{KindergartenForm, PriorityForm, RoundForm, VacanciesForm};
use kezek_app::problem::Problem;
use kezek_app::views::{ApplicationView, KindergartenView, RoundView, StatsView};
use kezek_app::App;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The authority's routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(read_kindergarten, upsert))
        .routes(routes!(vacancies))
        .routes(routes!(allocate))
        .routes(routes!(read_round))
        .routes(routes!(stats))
        .routes(routes!(priority))
}

#[utoipa::path(put, path = "/v1/kindergartens/{id}", tag = "staff", summary = "Create or replace a kindergarten and its groups",
    params(("id" = String, Path, description = "kindergarten id")), request_body = KindergartenForm,
    responses((status = 200, description = "replaced", body = KindergartenView), (status = 201, description = "created", body = KindergartenView),
        (status = 409, description = "capacity below occupied seats, an occupied group removed, another district", body = Problem),
        (status = 422, description = "a rule of the data broken", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn upsert(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Staff>,
    Path(id): Path<String>,
    w: Write<KindergartenForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.upsert_kindergarten(&auth, w.idempotency, &id, w.body)
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/kindergartens/{id}", tag = "staff", summary = "A kindergarten with seats per group", params(("id" = String, Path, description = "kindergarten id")),
    responses((status = 200, description = "the kindergarten", body = KindergartenView), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn read_kindergarten(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<KeyHolders>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    app.reads(|r| r.kindergarten(&auth, &id).map(|v| Json(v).into_response()))
        .await?
        .map_err(ApiError::from)
}

#[utoipa::path(post, path = "/v1/kindergartens/{id}/groups/{group_id}/vacancies", tag = "staff", summary = "Open places in a group",
    params(("id" = String, Path, description = "kindergarten id"), ("group_id" = String, Path, description = "group id")), request_body = VacanciesForm,
    responses((status = 200, description = "the kindergarten", body = KindergartenView), (status = 409, description = "more than enrolled", body = Problem),
        (status = 404, description = "not found", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn vacancies(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Staff>,
    Path((id, group)): Path<(String, String)>,
    w: Write<VacanciesForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.open_vacancies(&auth, w.idempotency, (&id, &group), w.body)
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/districts/{district}/allocations", tag = "staff", summary = "Run an allocation round",
    params(("district" = String, Path, description = "district id")), request_body = RoundForm,
    responses((status = 201, description = "the round", body = RoundView), (status = 404, description = "unknown district", body = Problem),
        (status = 422, description = "a bad academic year", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn allocate(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Staff>,
    Path(district): Path<String>,
    w: Write<RoundForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.run_round(&auth, w.idempotency, &district, w.body)
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/allocations/{round_id}", tag = "staff", summary = "A round", params(("round_id" = String, Path, description = "round id")),
    responses((status = 200, description = "the round", body = RoundView), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn read_round(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<StaffOrAuditor>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    app.reads(|r| r.round(&auth, &id).map(|v| Json(v).into_response()))
        .await?
        .map_err(ApiError::from)
}

#[utoipa::path(post, path = "/v1/applications/{id}/priority", tag = "staff", summary = "Verify or reject a priority claim",
    params(("id" = String, Path, description = "application id")), request_body = PriorityForm,
    responses((status = 200, description = "the application", body = ApplicationView), (status = 409, description = "no claim", body = Problem),
        (status = 422, description = "a bad decision or reason", body = Problem), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn priority(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Staff>,
    Path(id): Path<String>,
    w: Write<PriorityForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.decide_claim(&auth, w.idempotency, &id, w.body).await?,
    ))
}

#[utoipa::path(get, path = "/v1/districts/{district}/stats", tag = "staff", summary = "District statistics", params(("district" = String, Path, description = "district id")),
    responses((status = 200, description = "the statistics", body = StatsView), (status = 404, description = "unknown district", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn stats(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<StaffOrAuditor>,
    Path(district): Path<String>,
) -> Result<Response, ApiError> {
    app.reads(|r| r.stats(&auth, &district).map(|v| Json(v).into_response()))
        .await?
        .map_err(ApiError::from)
}
