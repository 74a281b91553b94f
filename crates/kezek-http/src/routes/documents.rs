//! `GET /v1/documents/{id}`: a signed result document, as stored or printed as a PDF — for
//! the portal (acting for the citizen), staff of the application's district, admin.

use crate::error::ApiError;
use crate::extract::{Auth, Query};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kezek_app::access::PortalOrStaff;
use kezek_app::ops::documents::{self, Format};
use kezek_app::problem::Problem;
use kezek_app::App;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The document route.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().routes(routes!(read))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lang {
    #[serde(default)]
    lang: Option<String>,
}

#[utoipa::path(get, path = "/v1/documents/{id}", tag = "portal", summary = "A signed result document; `{id}.pdf` gives it as a PDF",
    params(("id" = String, Path, description = "document id, or document id + .pdf"), ("lang" = Option<String>, Query, description = "kk (default) or ru, for the PDF")),
    responses((status = 200, description = "the document (JSON), or its PDF", body = kezek_app::views::DocumentView), (status = 404, description = "not found", body = Problem),
        (status = 422, description = "a bad lang", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn read(
    State(app): State<Arc<App>>,
    Auth(auth): Auth<PortalOrStaff>,
    Path(id): Path<String>,
    Query(q): Query<Lang>,
) -> Result<Response, ApiError> {
    let (id, format) = match id.strip_suffix(".pdf") {
        Some(stem) => (stem.to_owned(), Format::pdf(q.lang.as_deref())?),
        None => (id, Format::Json),
    };
    let (bytes, pdf) = documents::document(&app, &auth, &id, format).await?;
    let ct = if pdf {
        "application/pdf"
    } else {
        "application/json"
    };
    Ok(([(header::CONTENT_TYPE, ct)], bytes).into_response())
}
