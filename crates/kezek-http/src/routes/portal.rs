//! The portal's routes (role `portal`; staff read applications of their districts):
//! register, read, position, preferences, withdraw, and the parent's answer to a referral;
//! a transfer of an enrolled child (the portal, a clerk, the district's staff).

use crate::error::{written, ApiError};
use crate::extract::{Bearer, Query, Retry, Write};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kezek_app::access::{Desk, Filer, Portal, PortalOrStaff};
use kezek_app::forms::{
    ClaimForm, CorrectionForm, ExchangeForm, PreferencesForm, RegisterForm, TransferForm,
};
use kezek_app::problem::Problem;
use kezek_app::views::{
    ApplicationList, ApplicationView, ForecastView, PositionView, ReferralAnswer,
};
use kezek_app::App;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The portal's routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(register, by_child))
        .routes(routes!(read))
        .routes(routes!(position))
        .routes(routes!(preferences))
        .routes(routes!(withdraw))
        .routes(routes!(confirm))
        .routes(routes!(decline))
        .routes(routes!(transfer, withdraw_transfer))
        .routes(routes!(forecast))
        .routes(routes!(confirm_exchange))
        .routes(routes!(corrections))
        .routes(routes!(claims))
}

#[utoipa::path(post, path = "/v1/exchanges/{id}/confirm", tag = "portal", summary = "A family confirms the exchange its child is offered; the last confirmation moves every child",
    params(("id" = String, Path, description = "exchange id")), request_body = ExchangeForm,
    responses((status = 200, description = "the application", body = ApplicationView),
        (status = 409, description = "done, lapsed or past its time; not in it; confirmed already", body = Problem), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn confirm_exchange(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Filer>,
    Path(id): Path<String>,
    w: Write<ExchangeForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.confirm_exchange(&auth, w.idempotency, &id, w.body)
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/applications/{id}/corrections", tag = "staff", summary = "Correct names, the representative or the district, with the document; the registration time stays",
    params(("id" = String, Path, description = "application id")), request_body = CorrectionForm,
    responses((status = 200, description = "the application", body = ApplicationView),
        (status = 422, description = "nothing to correct, a bad name, district, kindergartens or reason", body = Problem),
        (status = 409, description = "not active, or a district change of a child not queued", body = Problem), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn corrections(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Desk>,
    Path(id): Path<String>,
    w: Write<CorrectionForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.correct(&auth, w.idempotency, &id, w.body).await?,
    ))
}

#[utoipa::path(post, path = "/v1/applications/{id}/claims", tag = "portal", summary = "Claim a priority after registration, with its proof",
    params(("id" = String, Path, description = "application id")), request_body = ClaimForm,
    responses((status = 200, description = "the application, its claim pending", body = ApplicationView),
        (status = 422, description = "an unknown category, or no benefit proof", body = Problem),
        (status = 409, description = "not queued, or a claim pending or verified", body = Problem), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn claims(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Filer>,
    Path(id): Path<String>,
    w: Write<ClaimForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.claim_late(&auth, w.idempotency, &id, w.body).await?,
    ))
}

#[utoipa::path(get, path = "/v1/applications/{id}/forecast", tag = "portal", summary = "When a seat may come: a range per kindergarten listed, and the model it comes from",
    params(("id" = String, Path, description = "application id")),
    responses((status = 200, description = "the estimate", body = ForecastView),
        (status = 409, description = "not queued", body = Problem), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn forecast(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<PortalOrStaff>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    app.reads(|r| r.forecast(&auth, &id).map(|v| Json(v).into_response()))
        .await?
        .map_err(ApiError::from)
}

#[utoipa::path(post, path = "/v1/applications/{id}/transfer", tag = "portal", summary = "Ask to move an enrolled child to other kindergartens; it keeps its seat meanwhile",
    params(("id" = String, Path, description = "application id")), request_body = TransferForm,
    responses((status = 200, description = "the application with its transfer request", body = ApplicationView),
        (status = 422, description = "bad kindergartens, or the child's own", body = Problem),
        (status = 409, description = "not enrolled, or a transfer referral open", body = Problem), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn transfer(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Filer>,
    Path(id): Path<String>,
    w: Write<TransferForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.request_transfer(&auth, w.idempotency, &id, w.body)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/v1/applications/{id}/transfer", tag = "portal", summary = "Withdraw the request to transfer",
    params(("id" = String, Path, description = "application id")),
    responses((status = 200, description = "the application", body = ApplicationView),
        (status = 409, description = "no request, or a transfer referral open (decline it instead)", body = Problem), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn withdraw_transfer(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Filer>,
    Path(id): Path<String>,
    Retry(idem): Retry,
) -> Result<Response, ApiError> {
    Ok(written(app.withdraw_transfer(&auth, idem, &id).await?))
}

#[utoipa::path(post, path = "/v1/applications", tag = "portal", summary = "Register a child (the portal on channel portal; a clerk at a service centre or office of its districts)", request_body = RegisterForm,
    responses((status = 201, description = "registered; the application with its queue number", body = ApplicationView),
        (status = 422, description = "refused on every ground in errors (journaled, with a document), or invalid", body = Problem),
        (status = 409, description = "active_application_exists", body = Problem), (status = 400, description = "malformed body", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn register(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Filer>,
    w: Write<RegisterForm>,
) -> Result<Response, ApiError> {
    Ok(written(app.register(&auth, w.idempotency, w.body).await?))
}

#[utoipa::path(get, path = "/v1/applications/{id}", tag = "portal", summary = "An application", params(("id" = String, Path, description = "application id")),
    responses((status = 200, description = "the application", body = ApplicationView), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn read(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<PortalOrStaff>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    app.reads(|r| r.application(&auth, &id).map(|v| Json(v).into_response()))
        .await?
        .map_err(ApiError::from)
}

/// `since_seq`: explain the change since that journal seq.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Since {
    #[serde(default)]
    since_seq: Option<u64>,
}

#[utoipa::path(get, path = "/v1/applications/{id}/position", tag = "portal", summary = "Queue number and positions with who is ahead",
    params(("id" = String, Path, description = "application id"), ("since_seq" = Option<u64>, Query, description = "explain the change since this journal seq")),
    responses((status = 200, description = "the position", body = PositionView), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn position(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<PortalOrStaff>,
    Path(id): Path<String>,
    Query(q): Query<Since>,
) -> Result<Response, ApiError> {
    // Serialised under the read lock: the view borrows the state.
    app.reads(|r| {
        r.position(&auth, &id, q.since_seq)
            .map(|v| Json(v).into_response())
    })
    .await?
    .map_err(ApiError::from)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByChild {
    child_iin: String,
}

#[utoipa::path(get, path = "/v1/applications", tag = "portal", summary = "The child's applications", params(("child_iin" = String, Query, description = "the child's IIN")),
    responses((status = 200, description = "the applications, active first", body = ApplicationList), (status = 422, description = "not an IIN", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn by_child(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<PortalOrStaff>,
    Query(q): Query<ByChild>,
) -> Result<Response, ApiError> {
    app.reads(|r| {
        r.applications_of_child(&auth, &q.child_iin)
            .map(|v| Json(v).into_response())
    })
    .await?
    .map_err(ApiError::from)
}

#[utoipa::path(put, path = "/v1/applications/{id}/preferences", tag = "portal", summary = "Replace the kindergarten preferences",
    params(("id" = String, Path, description = "application id")), request_body = PreferencesForm,
    responses((status = 200, description = "the application", body = ApplicationView), (status = 422, description = "bad preferences", body = Problem),
        (status = 409, description = "not queued", body = Problem), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn preferences(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Portal>,
    Path(id): Path<String>,
    w: Write<PreferencesForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.change_preferences(&auth, w.idempotency, &id, w.body)
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/applications/{id}/withdraw", tag = "portal", summary = "Withdraw the application", params(("id" = String, Path, description = "application id")),
    responses((status = 200, description = "the application", body = ApplicationView), (status = 409, description = "not active", body = Problem),
        (status = 404, description = "not found", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn withdraw(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Portal>,
    Path(id): Path<String>,
    Retry(idem): Retry,
) -> Result<Response, ApiError> {
    Ok(written(app.withdraw(&auth, idem, &id).await?))
}

#[utoipa::path(post, path = "/v1/referrals/{id}/confirm", tag = "portal", summary = "The parent confirms a referral", params(("id" = String, Path, description = "referral id")),
    responses((status = 200, description = "the referral", body = ReferralAnswer), (status = 409, description = "not open or expired", body = Problem),
        (status = 404, description = "not found", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn confirm(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Portal>,
    Path(id): Path<String>,
    Retry(idem): Retry,
) -> Result<Response, ApiError> {
    Ok(written(app.confirm(&auth, idem, &id).await?))
}

#[utoipa::path(post, path = "/v1/referrals/{id}/decline", tag = "portal", summary = "The parent declines a referral", params(("id" = String, Path, description = "referral id")),
    responses((status = 200, description = "the referral", body = ReferralAnswer), (status = 409, description = "not open", body = Problem),
        (status = 404, description = "not found", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn decline(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Portal>,
    Path(id): Path<String>,
    Retry(idem): Retry,
) -> Result<Response, ApiError> {
    Ok(written(app.decline(&auth, idem, &id).await?))
}
