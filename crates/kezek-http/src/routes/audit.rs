//! The auditor's routes (role `auditor`): the journal with its hash chain and the signed
//! head; and the authority's public keys (no auth: anyone may check a document).

use crate::error::ApiError;
use crate::extract::{Bearer, Page, Query};
use axum::extract::State;
use axum::Json;
use kezek_app::access::Auditor;
use kezek_app::problem::Problem;
use kezek_app::views::{HeadView, JournalPage, KeysView};
use kezek_app::App;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The audit routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(journal))
        .routes(routes!(head))
        .routes(routes!(state))
        .routes(routes!(keys))
}

#[utoipa::path(get, path = "/v1/journal", tag = "audit", summary = "Journal events with their hash chain",
    params(("after" = Option<u64>, Query, description = "last seq seen"), ("limit" = Option<usize>, Query, description = "1 to 1000")),
    responses((status = 200, description = "a page of the journal", body = JournalPage), (status = 422, description = "a bad limit", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn journal(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Auditor>,
    Query(q): Query<Page>,
) -> Result<Json<JournalPage>, ApiError> {
    Ok(Json(app.journal(&auth, q.after, q.limit).await?))
}

#[utoipa::path(get, path = "/v1/journal/head", tag = "audit", summary = "The signed head of the journal",
    responses((status = 200, description = "the head", body = HeadView), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn head(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Auditor>,
) -> Result<Json<HeadView>, ApiError> {
    Ok(Json(app.head(&auth).await?))
}

#[utoipa::path(get, path = "/v1/journal/state", tag = "audit", summary = "The digest of the state this node serves",
    description = "The seq of the state this node serves and the SHA-256 of its canonical encoding: `kezek verify --against URL` replays the journal to that seq and compares. Encoding the state holds its read lock for a moment (about 0.4 s at a million applications).",
    responses((status = 200, description = "the state's seq and digest", body = kezek_app::audit::StateAt), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn state(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Auditor>,
) -> Result<Json<kezek_app::audit::StateAt>, ApiError> {
    Ok(Json(app.state_digest(&auth).await?))
}

#[utoipa::path(get, path = "/v1/keys", tag = "audit", summary = "The authority's public keys",
    responses((status = 200, description = "the keys", body = KeysView)))]
async fn keys(State(app): State<Arc<App>>) -> Result<Json<KeysView>, ApiError> {
    Ok(Json(app.keys_view()?))
}
