//! Forgetting persons at once (role `admin`): what `kezek retention erase` does, for an
//! installation whose servers run.

use crate::error::ApiError;
use crate::extract::{Bearer, Write};
use axum::extract::State;
use axum::Json;
use kezek_app::access::Admins;
use kezek_app::ops::retention::{ErasureReport, ErasureRequest};
use kezek_app::problem::Problem;
use kezek_app::App;
use kezek_core::event::ErasureReason;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The erasure route.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().routes(routes!(erase))
}

#[utoipa::path(post, path = "/v1/erasures", tag = "officials", summary = "Erase the persons of finished applications",
    description = "Erases at once (a court order, a request the law grants) the child of each application named, and its applicant and representative unless something still needs them: their data keys are deleted and `person_erased` journaled, their documents answer 410 `erased` from then on, their notifications and proof files are deleted — in one commit. The journal still verifies and every round still re-runs. Only a journal that seals personal data can forget (`no_data_key` otherwise).",
    request_body = ErasureRequest,
    responses((status = 200, description = "who was erased, and who was kept", body = ErasureReport),
        (status = 404, description = "no such application", body = Problem),
        (status = 409, description = "`application_active`, `already_erased`, `person_in_office`, `person_in_case`, `no_data_key`", body = Problem),
        (status = 422, description = "`invalid_applications`, `invalid_basis`", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "not an administrator", body = Problem)),
    security(("bearer" = [])))]
async fn erase(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Admins>,
    w: Write<ErasureRequest>,
) -> Result<Json<ErasureReport>, ApiError> {
    let report = app
        .erase(
            auth.caller(),
            &w.body.applications,
            ErasureReason::Request,
            w.body.reason,
        )
        .await?;
    Ok(Json(report))
}
