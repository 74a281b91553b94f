//! `GET /v1/documents/{id}`: a signed result document, as stored or printed as a PDF — for
//! the portal (acting for the citizen), staff of the application's district, admin.

use crate::error::ApiError;
use crate::extract::{Bearer, Query};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kezek_app::access::DocumentReaders;
use kezek_app::ops::documents::Format;
use kezek_app::problem::Problem;
use kezek_app::App;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The HTML page of a public check, for a browser (`Accept: text/html`): the node that
/// serves the API gives it (the console's), so that this crate renders no page itself.
#[derive(Clone, Copy)]
pub struct CheckPage(pub fn(Option<&kezek_app::ops::documents::CheckView>) -> String);

/// The document route.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(read))
        .routes(routes!(check))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Digest {
    #[serde(default)]
    digest: Option<String>,
}

#[utoipa::path(get, path = "/v1/verify/{id}", tag = "public", summary = "Check a printed document: was it issued, and is it unchanged",
    description = "No key needed: the URL (and QR code) at the foot of every printed document leads here. With the id and the `digest` printed on a copy, answers whether that copy was issued unchanged and carries the authority's valid signature, showing only its kind, date and authority — no name, no IIN. Without the digest, with another one, or for an id never used the answer is the same 404: the ids cannot be counted through. A browser (`Accept: text/html`) gets the same as a page in Kazakh and Russian.",
    params(("id" = String, Path, description = "document id"), ("digest" = Option<String>, Query, description = "the SHA-256 (hex) printed on the document")),
    responses((status = 200, description = "the check", body = kezek_app::ops::documents::CheckView), (status = 404, description = "no document issued with this id and digest", body = Problem),
        (status = 422, description = "a digest that is not 64 hex digits", body = Problem)))]
async fn check(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<Digest>,
    headers: axum::http::HeaderMap,
    axum::Extension(CheckPage(page_of)): axum::Extension<CheckPage>,
) -> Result<Response, ApiError> {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let result = app.check(&id, q.digest.as_deref()).await;
    if wants_html {
        let (status, page) = match &result {
            Ok(view) => (200, page_of(Some(view))),
            Err(_) => (404, page_of(None)),
        };
        let status = axum::http::StatusCode::from_u16(status).unwrap_or_default();
        return Ok((
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page,
        )
            .into_response());
    }
    Ok(axum::Json(result?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lang {
    #[serde(default)]
    lang: Option<String>,
}

#[utoipa::path(get, path = "/v1/documents/{id}", tag = "portal", summary = "A signed result document; `{id}.pdf` gives it as a PDF, `{id}.p7s` the official's CMS signature of `{id}.json`",
    description = "`{id}` and `{id}.json`: the document byte for byte. `{id}.pdf`: printed. `{id}.p7s`: the detached CMS SignedData (DER) the issuing official's X.509 certificate made over exactly the bytes of `{id}.json`, with the certificate chain and the signing time; 404 when the document was issued with the authority's Ed25519 signature alone.",
    params(("id" = String, Path, description = "document id, or document id + .json, .pdf or .p7s"), ("lang" = Option<String>, Query, description = "kk (default) or ru, for the PDF")),
    responses((status = 200, description = "the document (JSON), or its PDF", body = kezek_app::views::DocumentView), (status = 404, description = "not found", body = Problem),
        (status = 422, description = "a bad lang", body = Problem), (status = 401, description = "missing or unknown token", body = Problem),
        (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn read(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<DocumentReaders>,
    Path(id): Path<String>,
    Query(q): Query<Lang>,
) -> Result<Response, ApiError> {
    let (id, format) = if let Some(stem) = id.strip_suffix(".pdf") {
        (stem.to_owned(), Format::pdf(q.lang.as_deref())?)
    } else if let Some(stem) = id.strip_suffix(".p7s") {
        (stem.to_owned(), Format::Cms)
    } else if let Some(stem) = id.strip_suffix(".json") {
        (stem.to_owned(), Format::Json)
    } else {
        (id, Format::Json)
    };
    let (bytes, ct) = app.document(&auth, &id, format).await?;
    Ok(([(header::CONTENT_TYPE, ct)], bytes).into_response())
}
