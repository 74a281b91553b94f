//! The departments' other services (`kezek_app::ops::cases`): the services in force, the
//! schools that provide some of them, cases filed and worked on, complaints, worklists.

use crate::error::{written, ApiError};
use crate::extract::{Bearer, Query, Retry, Write};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use kezek_app::access::{CaseFilers, CaseReaders, CaseWorkers, Staff};
use kezek_app::ops::cases::{CaseAct, CaseView, NewCase, OrganisationForm, ServiceView};
use kezek_app::problem::Problem;
use kezek_app::App;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The cases' routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(services))
        .routes(routes!(register))
        .routes(routes!(organisation))
        .routes(routes!(file))
        .routes(routes!(read))
        .routes(routes!(assign))
        .routes(routes!(draft))
        .routes(routes!(sign))
        .routes(routes!(send_back))
        .routes(routes!(hand_over))
        .routes(routes!(remove_from_register))
        .routes(routes!(complain))
        .routes(routes!(decide))
        .routes(routes!(worklist))
}

#[utoipa::path(get, path = "/v1/services", tag = "cases", summary = "The services in force",
    description = "Each service the departments provide besides the kindergarten queue, as its definition in force says: regulation, provider, channels, documents per channel, the five steps with their limits, the form's fields.",
    responses((status = 200, description = "the services", body = Vec<ServiceView>), (status = 503, description = "unavailable", body = Problem)))]
async fn services(State(app): State<Arc<App>>) -> Result<Json<Vec<ServiceView>>, ApiError> {
    Ok(Json(app.services()?))
}

/// `?status=active|removed`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterQuery {
    #[serde(default)]
    status: Option<RegisterStatus>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RegisterStatus {
    Active,
    Removed,
}

#[utoipa::path(get, path = "/v1/services/{service}/register", tag = "cases", summary = "The register a service keeps",
    description = "The candidate adopters (`adopter_registration`): every case whose positive conclusion was issued, within the caller's districts or organisation, each with `register.status` `active` or `removed` (with its ground, words and time).",
    params(("service" = String, Path, description = "service id"), ("status" = Option<String>, Query, description = "`active` or `removed`: only those")),
    responses((status = 200, description = "the register", body = Vec<CaseView>), (status = 404, description = "the service keeps no register", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role", body = Problem)),
    security(("bearer" = [])))]
async fn register(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseWorkers>,
    Path(service): Path<String>,
    Query(q): Query<RegisterQuery>,
) -> Result<Json<Vec<CaseView>>, ApiError> {
    let active = q.status.map(|s| matches!(s, RegisterStatus::Active));
    Ok(Json(app.case_register(&auth, &service, active)?))
}

/// `{"ground", "note"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RemovalForm {
    ground: String,
    #[serde(default)]
    note: String,
}

#[utoipa::path(post, path = "/v1/cases/{id}/register-removal", tag = "cases", summary = "The head removes an entry from the service's register",
    description = "A candidate adopter leaves the register on one of the service's grounds (`register_removal` in `GET /v1/services`); a signed kk/ru notice is issued (`doc-{id}-removal`) and the applicant told (`case_register_removed`).",
    params(("id" = String, Path, description = "case id")), request_body = RemovalForm,
    responses((status = 200, description = "the case", body = CaseView), (status = 409, description = "not an active entry of a register", body = Problem),
        (status = 422, description = "a ground the service does not list", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "not the organisation's head", body = Problem)),
    security(("bearer" = [])))]
async fn remove_from_register(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(id): Path<String>,
    w: Write<RemovalForm>,
) -> Result<Response, ApiError> {
    let RemovalForm { ground, note } = w.body;
    act(
        &app,
        &auth,
        &id,
        CaseAct::RemoveFromRegister { ground, note },
    )
    .await
}

#[utoipa::path(put, path = "/v1/organisations/{id}", tag = "cases", summary = "Create or rename a school",
    params(("id" = String, Path, description = "organisation id")), request_body = OrganisationForm,
    responses((status = 200, description = "set", body = kezek_app::ops::cases::OrganisationView), (status = 422, description = "a field that does not read", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn organisation(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Staff>,
    Path(id): Path<String>,
    w: Write<OrganisationForm>,
) -> Result<Response, ApiError> {
    Ok(written(app.set_organisation(&auth, &id, w.body).await?))
}

#[utoipa::path(post, path = "/v1/services/{service}/cases", tag = "cases", summary = "File an application for a service",
    description = "201 with the case and each step's due time; 422 `refused_to_accept` with the `case_id` of the refusal and the documents `missing` when some are; 422 naming the field and rule when the form does not read.",
    params(("service" = String, Path, description = "service id")), request_body = NewCase,
    responses((status = 201, description = "accepted", body = CaseView), (status = 422, description = "refused at intake, or a field that does not read", body = Problem),
        (status = 404, description = "no such service", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn file(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseFilers>,
    Path(service): Path<String>,
    w: Write<NewCase>,
) -> Result<Response, ApiError> {
    Ok(written(app.file_case(&auth, &service, w.body).await?))
}

#[utoipa::path(get, path = "/v1/cases/{id}", tag = "cases", summary = "A case: its steps with due and done times",
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, description = "the case", body = CaseView), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn read(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(app.case(&auth, &id)?))
}

/// `{"executor"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AssignForm {
    executor: String,
}

#[utoipa::path(post, path = "/v1/cases/{id}/assign", tag = "cases", summary = "The head names the executor",
    params(("id" = String, Path, description = "case id")), request_body = AssignForm,
    responses((status = 200, description = "the case", body = CaseView), (status = 409, description = "not at this step", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "not the organisation's head", body = Problem)),
    security(("bearer" = [])))]
async fn assign(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(id): Path<String>,
    w: Write<AssignForm>,
) -> Result<Response, ApiError> {
    act(
        &app,
        &auth,
        &id,
        CaseAct::Assign {
            executor: w.body.executor,
        },
    )
    .await
}

/// `{"outcome": "granted"|"refused", "grounds": [...], "note"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DraftForm {
    #[schema(value_type = String)]
    outcome: kezek_cases::event::Outcome,
    #[serde(default)]
    grounds: Vec<String>,
    #[serde(default)]
    note: String,
}

#[utoipa::path(post, path = "/v1/cases/{id}/draft", tag = "cases", summary = "The executor's draft result or reasoned refusal",
    params(("id" = String, Path, description = "case id")), request_body = DraftForm,
    responses((status = 200, description = "the case", body = CaseView), (status = 409, description = "not at this step", body = Problem),
        (status = 422, description = "grounds the service does not list", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "not the organisation's executor", body = Problem)),
    security(("bearer" = [])))]
async fn draft(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(id): Path<String>,
    w: Write<DraftForm>,
) -> Result<Response, ApiError> {
    let DraftForm {
        outcome,
        grounds,
        note,
    } = w.body;
    act(
        &app,
        &auth,
        &id,
        CaseAct::Draft {
            outcome,
            grounds,
            note,
        },
    )
    .await
}

#[utoipa::path(post, path = "/v1/cases/{id}/sign", tag = "cases", summary = "The head signs the result",
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, description = "the case", body = CaseView), (status = 409, description = "not at this step", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "not the organisation's head", body = Problem)),
    security(("bearer" = [])))]
async fn sign(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(id): Path<String>,
    _: Retry,
) -> Result<Response, ApiError> {
    act(&app, &auth, &id, CaseAct::Sign).await
}

/// `{"comment"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReturnForm {
    comment: String,
}

#[utoipa::path(post, path = "/v1/cases/{id}/return", tag = "cases", summary = "The head sends the draft back",
    params(("id" = String, Path, description = "case id")), request_body = ReturnForm,
    responses((status = 200, description = "the case", body = CaseView), (status = 409, description = "not at this step", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "not the organisation's head", body = Problem)),
    security(("bearer" = [])))]
async fn send_back(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(id): Path<String>,
    w: Write<ReturnForm>,
) -> Result<Response, ApiError> {
    act(
        &app,
        &auth,
        &id,
        CaseAct::Return {
            comment: w.body.comment,
        },
    )
    .await
}

#[utoipa::path(post, path = "/v1/cases/{id}/hand-over", tag = "cases", summary = "The paper result is handed over",
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, description = "the case", body = CaseView), (status = 409, description = "not at this step", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn hand_over(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(id): Path<String>,
    _: Retry,
) -> Result<Response, ApiError> {
    act(&app, &auth, &id, CaseAct::HandOver).await
}

/// `{"text"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ComplaintForm {
    text: String,
}

#[utoipa::path(post, path = "/v1/cases/{id}/complaints", tag = "cases", summary = "The applicant complains",
    description = "About a result, a refusal at intake, or a step that is late; the head decides within the service's complaint period.",
    params(("id" = String, Path, description = "case id")), request_body = ComplaintForm,
    responses((status = 200, description = "the case", body = CaseView), (status = 409, description = "nothing to complain about yet", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role", body = Problem)),
    security(("bearer" = [])))]
async fn complain(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(id): Path<String>,
    w: Write<ComplaintForm>,
) -> Result<Response, ApiError> {
    act(&app, &auth, &id, CaseAct::Complain { text: w.body.text }).await
}

/// `{"upheld", "reasons"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DecisionForm {
    upheld: bool,
    reasons: String,
}

#[utoipa::path(post, path = "/v1/cases/{id}/complaints/{n}/decision", tag = "cases", summary = "The head decides a complaint",
    params(("id" = String, Path, description = "case id"), ("n" = u32, Path, description = "complaint number")), request_body = DecisionForm,
    responses((status = 200, description = "the case", body = CaseView), (status = 409, description = "no open complaint", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "not the organisation's head", body = Problem)),
    security(("bearer" = [])))]
async fn decide(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path((id, n)): Path<(String, u32)>,
    w: Write<DecisionForm>,
) -> Result<Response, ApiError> {
    let DecisionForm { upheld, reasons } = w.body;
    act(
        &app,
        &auth,
        &id,
        CaseAct::DecideComplaint {
            complaint: n,
            upheld,
            reasons,
        },
    )
    .await
}

async fn act(
    app: &Arc<App>,
    auth: &kezek_app::access::Auth<CaseReaders>,
    id: &str,
    a: CaseAct,
) -> Result<Response, ApiError> {
    Ok(written(app.case_act(auth, id, a).await?))
}

/// `?step=&overdue=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorklistQuery {
    #[serde(default)]
    step: Option<String>,
    #[serde(default)]
    overdue: Option<bool>,
}

#[utoipa::path(get, path = "/v1/organisations/{org}/cases", tag = "cases", summary = "An organisation's cases: its worklist",
    params(("org" = String, Path, description = "organisation id (a district or a school)"), ("step" = Option<String>, Query, description = "only those at this step"), ("overdue" = Option<bool>, Query, description = "only those with a late step")),
    responses((status = 200, description = "the cases", body = Vec<CaseView>),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn worklist(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseWorkers>,
    Path(org): Path<String>,
    Query(q): Query<WorklistQuery>,
) -> Result<Json<Vec<CaseView>>, ApiError> {
    Ok(Json(app.organisation_cases(
        &auth,
        &org,
        (q.step.as_deref(), q.overdue.unwrap_or(false)),
    )?))
}
