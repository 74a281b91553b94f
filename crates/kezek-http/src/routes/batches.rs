//! The service centre's batch lists (`kezek_app::ops::batches`): applications accepted at a
//! centre go to their provider with the courier, signed results come back, each side
//! receives.

use crate::error::{written, ApiError};
use crate::extract::{Bearer, Query, Write};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use kezek_app::access::CaseWorkers;
use kezek_app::ops::batches::{BatchView, NewBatch};
use kezek_app::problem::Problem;
use kezek_app::App;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The batches' routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(send, list))
        .routes(routes!(read))
        .routes(routes!(receive))
}

#[utoipa::path(post, path = "/v1/organisations/{org}/batches", tag = "cases", summary = "Send a batch with the service centre's courier",
    description = "`to_provider`: the centre's clerk sends applications it accepted for provider `org`; `to_centre`: the provider's head sends signed results back (handing them to the courier is the issue step). 201 with the batch, due within one working day, and its signed batch list `doc-{batch_id}`.",
    params(("org" = String, Path, description = "the provider (a school, or a district for its own services)")), request_body = NewBatch,
    responses((status = 201, description = "sent", body = BatchView), (status = 422, description = "a list that does not read", body = Problem),
        (status = 409, description = "a case not waiting for this courier", body = Problem), (status = 404, description = "unknown organisation or case", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "not this side's to send", body = Problem)),
    security(("bearer" = [])))]
async fn send(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseWorkers>,
    Path(org): Path<String>,
    w: Write<NewBatch>,
) -> Result<Response, ApiError> {
    Ok(written(app.send_batch(&auth, &org, w.body).await?))
}

/// `?open=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    open: Option<bool>,
}

#[utoipa::path(get, path = "/v1/organisations/{org}/batches", tag = "cases", summary = "The batches of a provider or of a district's centre",
    params(("org" = String, Path, description = "a provider, or a district (its centre)"), ("open" = Option<bool>, Query, description = "only those not yet received")),
    responses((status = 200, description = "newest first", body = Vec<BatchView>),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "neither side's", body = Problem)),
    security(("bearer" = [])))]
async fn list(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseWorkers>,
    Path(org): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<BatchView>>, ApiError> {
    Ok(Json(app.batches(&auth, &org, q.open.unwrap_or(false))?))
}

#[utoipa::path(get, path = "/v1/batches/{id}", tag = "cases", summary = "A batch",
    params(("id" = String, Path, description = "batch number")),
    responses((status = 200, description = "the batch", body = BatchView), (status = 404, description = "no such batch", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "neither side's", body = Problem)),
    security(("bearer" = [])))]
async fn read(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseWorkers>,
    Path(id): Path<String>,
) -> Result<Json<BatchView>, ApiError> {
    Ok(Json(app.batch(&auth, &id)?))
}

#[utoipa::path(post, path = "/v1/batches/{id}/receive", tag = "cases", summary = "The other side receives a batch",
    description = "Applications: the provider's head (the provider's time starts now). Results: the centre's clerk (each family is told to collect theirs within a month; after it the result goes to the provider's archive).",
    params(("id" = String, Path, description = "batch number")),
    responses((status = 200, description = "the batch", body = BatchView), (status = 409, description = "received already", body = Problem), (status = 404, description = "no such batch", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "not this side's to receive", body = Problem)),
    security(("bearer" = [])))]
async fn receive(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseWorkers>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(written(app.receive_batch(&auth, &id).await?))
}
