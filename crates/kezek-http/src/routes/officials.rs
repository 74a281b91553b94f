//! The officials (role `admin` to name them and record that they left; auditors read them).

use crate::error::ApiError;
use crate::extract::{Bearer, Retry, Write};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kezek_app::access::{Admins, OfficialReaders};
use kezek_app::ops::officials::{NewOfficial, OfficialView};
use kezek_app::problem::Problem;
use kezek_app::App;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The officials' routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(name))
        .routes(routes!(leave))
}

#[utoipa::path(get, path = "/v1/officials", tag = "officials", summary = "The named officials",
    responses((status = 200, description = "every official, in the order named", body = Vec<OfficialView>),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role", body = Problem)),
    security(("bearer" = [])))]
async fn list(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<OfficialReaders>,
) -> Result<Json<Vec<OfficialView>>, ApiError> {
    Ok(Json(app.officials(&auth)?))
}

#[utoipa::path(put, path = "/v1/officials/{id}", tag = "officials", summary = "Name an official",
    description = "Journals a named official of a district's education department or a kindergarten: name, IIN, position in Kazakh and Russian; `signs` makes them the one who signs the organisation's results (taking it from the one before). Ids are never reused.",
    params(("id" = String, Path, description = "official id")), request_body = NewOfficial,
    responses((status = 201, description = "named", body = OfficialView), (status = 409, description = "the id is taken", body = Problem),
        (status = 422, description = "a field that does not read, or an unknown organisation", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "not an administrator", body = Problem)),
    security(("bearer" = [])))]
async fn name(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Admins>,
    Path(id): Path<String>,
    w: Write<NewOfficial>,
) -> Result<Response, ApiError> {
    let view = app.name_official(&auth, &id, w.body).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[utoipa::path(post, path = "/v1/officials/{id}/leave", tag = "officials", summary = "An official leaves",
    description = "Journals that the official no longer acts: their keys are refused from then on, and they sign nothing more.",
    params(("id" = String, Path, description = "official id")),
    responses((status = 200, description = "the official, with the time they left", body = OfficialView), (status = 404, description = "no such official", body = Problem),
        (status = 409, description = "left already", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "not an administrator", body = Problem)),
    security(("bearer" = [])))]
async fn leave(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Admins>,
    Path(id): Path<String>,
    _: Retry,
) -> Result<Json<OfficialView>, ApiError> {
    Ok(Json(app.official_leaves(&auth, &id).await?))
}
