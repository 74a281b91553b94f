//! The public journal (no key): every record with the personal data taken out, and its head
//! signed by the authority — for anyone to check the allocation (`kezek_app::ops::public`).

use crate::error::ApiError;
use crate::extract::{Page, Query};
use axum::extract::State;
use axum::Json;
use kezek_app::ops::public::{PublicHead, PublicPage};
use kezek_app::problem::Problem;
use kezek_app::App;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The public routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(journal))
        .routes(routes!(head))
}

#[utoipa::path(get, path = "/public/journal", tag = "public", summary = "The public journal: every record with the personal data taken out, chained",
    description = "No key needed. IINs are pseudonyms (the same person always has the same one), names, addresses and free text are left out, birth dates are birth cohorts; codes, tiers, times, preferences, seats and rounds stay. Each record's hash chains the public journal and commits to the private record's hash. 404 until the operator starts publishing (`kezek public enable`).",
    params(("after" = Option<u64>, Query, description = "last seq seen"), ("limit" = Option<usize>, Query, description = "1 to 1000")),
    responses((status = 200, description = "a page of the public journal", body = PublicPage), (status = 404, description = "not published", body = Problem),
        (status = 422, description = "a bad limit", body = Problem)))]
async fn journal(
    State(app): State<Arc<App>>,
    Query(q): Query<Page>,
) -> Result<Json<PublicPage>, ApiError> {
    Ok(Json(app.public_journal(q.after, q.limit).await?))
}

#[utoipa::path(get, path = "/public/head", tag = "public", summary = "The public journal's head, signed by the authority",
    responses((status = 200, description = "the head", body = PublicHead), (status = 404, description = "not published", body = Problem)))]
async fn head(State(app): State<Arc<App>>) -> Result<Json<PublicHead>, ApiError> {
    Ok(Json(app.public_head().await?))
}
