//! The kindergarten's routes (role `kindergarten`, scoped to its kindergartens): referrals to
//! admit, enrolment, no-show; and, with the district's staff, children who leave and the
//! groups' roll-over.

use crate::error::{written, ApiError};
use crate::extract::{Bearer, Query, Retry, Write};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kezek_app::access::{KindergartenOrStaff, Kindergartens};
use kezek_app::forms::{ExtendForm, LeaveForm, NotAdmittedForm, RollOverForm};
use kezek_app::ops::leaving::{LeftView, RolledView};
use kezek_app::problem::Problem;
use kezek_app::views::{ReferralAnswer, ReferralList};
use kezek_app::App;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The kindergarten's routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(kindergarten_referrals))
        .routes(routes!(enroll))
        .routes(routes!(no_show))
        .routes(routes!(not_admitted))
        .routes(routes!(extend))
        .routes(routes!(leave))
        .routes(routes!(roll_over))
}

#[utoipa::path(post, path = "/v1/kindergartens/{id}/children/{application_id}/leave", tag = "kindergarten", summary = "An enrolled child left: its seat opens, by name",
    params(("id" = String, Path, description = "kindergarten id"), ("application_id" = String, Path, description = "the child's application")), request_body = LeaveForm,
    responses((status = 200, description = "the application's status and the kindergarten's seats", body = LeftView),
        (status = 409, description = "the child is not enrolled there", body = Problem), (status = 422, description = "a bad date or reason", body = Problem),
        (status = 404, description = "not found", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn leave(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<KindergartenOrStaff>,
    Path((id, application)): Path<(String, String)>,
    w: Write<LeaveForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.leave(&auth, w.idempotency, (&id, &application), w.body)
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/kindergartens/{id}/roll-over", tag = "kindergarten", summary = "The groups enter the academic year that has begun",
    params(("id" = String, Path, description = "kindergarten id")), request_body = RollOverForm,
    responses((status = 200, description = "the groups after the roll-over and who left for school", body = RolledView),
        (status = 409, description = "rolled over already, or seats held for referrals in a group leaving for school", body = Problem),
        (status = 422, description = "not the academic year that has begun", body = Problem),
        (status = 404, description = "not found", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn roll_over(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<KindergartenOrStaff>,
    Path(id): Path<String>,
    w: Write<RollOverForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.roll_over(&auth, w.idempotency, &id, w.body).await?,
    ))
}

#[utoipa::path(post, path = "/v1/referrals/{id}/extend", tag = "kindergarten", summary = "The one extension of the admission deadline, with a reason",
    params(("id" = String, Path, description = "referral id")), request_body = ExtendForm,
    responses((status = 200, description = "the referral with its new deadline", body = ReferralAnswer),
        (status = 409, description = "not confirmed, closed, or extended before", body = Problem), (status = 422, description = "bad days or reason", body = Problem),
        (status = 404, description = "not found", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn extend(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Kindergartens>,
    Path(id): Path<String>,
    w: Write<ExtendForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.extend(&auth, w.idempotency, &id, w.body).await?,
    ))
}

#[utoipa::path(post, path = "/v1/referrals/{id}/not-admitted", tag = "kindergarten", summary = "The head decides the child cannot be admitted, with grounds",
    params(("id" = String, Path, description = "referral id")), request_body = NotAdmittedForm,
    responses((status = 200, description = "the referral; the child is back in the queue at its original time", body = ReferralAnswer),
        (status = 409, description = "not open, or not confirmed by the parent", body = Problem), (status = 422, description = "bad grounds", body = Problem),
        (status = 404, description = "not found", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn not_admitted(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Kindergartens>,
    Path(id): Path<String>,
    w: Write<NotAdmittedForm>,
) -> Result<Response, ApiError> {
    Ok(written(
        app.not_admit(&auth, w.idempotency, &id, w.body).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusFilter {
    #[serde(default)]
    status: Option<String>,
}

#[utoipa::path(get, path = "/v1/kindergartens/{id}/referrals", tag = "kindergarten", summary = "Referrals to admit",
    params(("id" = String, Path, description = "kindergarten id"), ("status" = Option<String>, Query, description = "issued or confirmed")),
    responses((status = 200, description = "the referrals", body = ReferralList), (status = 422, description = "a bad status", body = Problem),
        (status = 404, description = "not found", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn kindergarten_referrals(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Kindergartens>,
    Path(id): Path<String>,
    Query(q): Query<StatusFilter>,
) -> Result<Response, ApiError> {
    app.reads(|r| {
        r.of_kindergarten(&auth, &id, q.status.as_deref())
            .map(|v| Json(v).into_response())
    })
    .await?
    .map_err(ApiError::from)
}

#[utoipa::path(post, path = "/v1/referrals/{id}/enroll", tag = "kindergarten", summary = "The child is admitted", params(("id" = String, Path, description = "referral id")),
    responses((status = 200, description = "the referral", body = ReferralAnswer), (status = 409, description = "not open or expired", body = Problem),
        (status = 404, description = "not found", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn enroll(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Kindergartens>,
    Path(id): Path<String>,
    Retry(idem): Retry,
) -> Result<Response, ApiError> {
    Ok(written(app.enroll(&auth, idem, &id).await?))
}

#[utoipa::path(post, path = "/v1/referrals/{id}/no-show", tag = "kindergarten", summary = "The child did not come", params(("id" = String, Path, description = "referral id")),
    responses((status = 200, description = "the referral", body = ReferralAnswer), (status = 409, description = "not open", body = Problem),
        (status = 404, description = "not found", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn no_show(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Kindergartens>,
    Path(id): Path<String>,
    Retry(idem): Retry,
) -> Result<Response, ApiError> {
    Ok(written(app.no_show(&auth, idem, &id).await?))
}
