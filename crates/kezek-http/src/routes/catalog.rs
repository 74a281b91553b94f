//! Looking things up (roles `portal`, `clerk`, `staff` — its own districts —, `auditor`): the
//! districts, and the kindergartens of a district with their groups and free seats.

use crate::error::ApiError;
use crate::extract::{Auth, Query};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kezek_app::access::Lookup;
use kezek_app::ops::catalog::{self, DistrictList, KindergartenList};
use kezek_app::problem::Problem;
use kezek_app::App;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The lookup routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(districts))
        .routes(routes!(kindergartens))
}

#[utoipa::path(get, path = "/v1/districts", tag = "lookup", summary = "The districts, with their kindergartens and children waiting",
    responses((status = 200, description = "the districts (a staff key: its own)", body = DistrictList),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role", body = Problem)),
    security(("bearer" = [])))]
async fn districts(
    State(app): State<Arc<App>>,
    Auth(auth): Auth<Lookup>,
) -> Result<Json<DistrictList>, ApiError> {
    Ok(Json(app.read(|s| catalog::districts(s, &auth)).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByDistrict {
    district: String,
}

#[utoipa::path(get, path = "/v1/kindergartens", tag = "lookup", summary = "The kindergartens of a district, with their groups and seats",
    params(("district" = String, Query, description = "district id")),
    responses((status = 200, description = "the kindergartens", body = KindergartenList), (status = 404, description = "unknown district", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn kindergartens(
    State(app): State<Arc<App>>,
    Auth(auth): Auth<Lookup>,
    Query(q): Query<ByDistrict>,
) -> Result<Response, ApiError> {
    app.read(|s| catalog::kindergartens(s, &auth, &q.district).map(|v| Json(v).into_response()))
        .await?
        .map_err(ApiError::from)
}
