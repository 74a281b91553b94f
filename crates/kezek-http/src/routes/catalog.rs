//! Looking things up (roles `portal`, `clerk`, `staff` — its own districts —, `auditor`): the
//! districts, and the kindergartens of a district with their groups and free seats.

use crate::error::{written, ApiError};
use crate::extract::{Bearer, Query, Write};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kezek_app::access::{Lookup, Staff};
use kezek_app::forms::DistrictForm;
use kezek_app::ops::catalog::{DistrictEntry, DistrictList, KindergartenList};
use kezek_app::problem::Problem;
use kezek_app::App;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The lookup routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(districts))
        .routes(routes!(name_district))
        .routes(routes!(kindergartens))
}

#[utoipa::path(get, path = "/v1/districts", tag = "lookup", summary = "The districts, with their kindergartens and children waiting",
    responses((status = 200, description = "the districts (a staff key: its own)", body = DistrictList),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role", body = Problem)),
    security(("bearer" = [])))]
async fn districts(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Lookup>,
) -> Result<Json<DistrictList>, ApiError> {
    Ok(Json(app.reads(|r| r.districts(&auth)).await?))
}

#[utoipa::path(put, path = "/v1/districts/{id}", tag = "staff", summary = "Name a district and its authority, in Kazakh and Russian",
    description = "The names its documents print from then on (a referral names the district education department that issued it). Staff of the district, or an admin.",
    params(("id" = String, Path, description = "district id")), request_body = DistrictForm,
    responses((status = 200, description = "the district", body = DistrictEntry),
        (status = 422, description = "a name empty, over 200 characters or invisible", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn name_district(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Staff>,
    Path(id): Path<String>,
    w: Write<DistrictForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.name_district(&auth, w.idempotency, &id, w.body).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByDistrict {
    district: String,
    #[serde(default)]
    q: Option<String>,
}

#[utoipa::path(get, path = "/v1/kindergartens", tag = "lookup", summary = "The kindergartens of a district, with their groups and seats",
    params(("district" = String, Query, description = "district id"),
        ("q" = Option<String>, Query, description = "words to look for in the id, name and address (all of them, any case)")),
    responses((status = 200, description = "the kindergartens", body = KindergartenList), (status = 404, description = "unknown district", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn kindergartens(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Lookup>,
    Query(q): Query<ByDistrict>,
) -> Result<Response, ApiError> {
    app.reads(|r| {
        r.kindergartens(&auth, &q.district, q.q.as_deref())
            .map(|v| Json(v).into_response())
    })
    .await?
    .map_err(ApiError::from)
}
