//! Proof files: `POST /v1/applications/{id}/files` takes a scan or photo of a document as the
//! raw body (the portal for the family, clerks and staff of the district), and
//! `POST /v1/cases/{id}/files` one of a case's (the portal for the applicant, a clerk, those
//! who work on it); `GET /v1/files/{file_id}` gives its bytes to those who decide on it —
//! the staff of the application's district, the case's head, executor or staff — and to no
//! one else.

use crate::error::{written, ApiError};
use crate::extract::{Bearer, Query, Upload};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kezek_app::access::{CaseReaders, FileReaders, Filer};
use kezek_app::ops::files;
use kezek_app::problem::Problem;
use kezek_app::views::FileView;
use kezek_app::App;
use serde::Deserialize;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The proof files' routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(attach))
        .routes(routes!(attach_to_case))
        .routes(routes!(read))
}

/// A proof file's bytes, as they are.
#[derive(utoipa::ToSchema)]
#[schema(content_media_type = "application/octet-stream")]
#[allow(dead_code, reason = "describes a body in the OpenAPI document only")]
struct FileBytes(String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Named {
    #[serde(default)]
    document: Option<String>,
}

#[utoipa::path(post, path = "/v1/applications/{id}/files", tag = "portal", summary = "Attach a proof file: a scan or photo of a document (PDF, JPEG or PNG, at most 10 MiB), the raw bytes as the body",
    description = "The bytes must be of the type `Content-Type` names (checked by their first bytes, never by a name). At most 10 files per application; the same bytes twice are refused. The journal keeps the file's SHA-256; the bytes are served only to the staff of the application's district (`GET /v1/files/{file_id}`).",
    params(("id" = String, Path, description = "application id"), ("document" = Option<String>, Query, description = "the document it copies: application_form, applicant_id, benefit_proof, address_proof or birth_certificate")),
    request_body(description = "the file's bytes", content((inline(FileBytes) = "application/pdf"), (inline(FileBytes) = "image/jpeg"), (inline(FileBytes) = "image/png"))),
    responses((status = 201, description = "what was attached", body = FileView),
        (status = 422, description = "empty, not a PDF, JPEG or PNG, not the type sent, or an unknown document", body = Problem),
        (status = 409, description = "not active, the same file attached already, or ten files already", body = Problem),
        (status = 413, description = "over 10 MiB", body = Problem), (status = 415, description = "a Content-Type other than application/pdf, image/jpeg or image/png", body = Problem),
        (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn attach(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<Filer>,
    Path(id): Path<String>,
    Query(q): Query<Named>,
    upload: Upload,
) -> Result<Response, ApiError> {
    let Upload {
        idempotency,
        declared,
        bytes,
    } = upload;
    let upload = files::Upload {
        declared,
        document: q.document,
        bytes: bytes.to_vec(),
    };
    Ok(written(
        app.attach_file(&auth, idempotency, &id, upload).await?,
    ))
}

#[utoipa::path(post, path = "/v1/cases/{id}/files", tag = "cases", summary = "Attach a proof file to a case: a scan or photo of a document the service asks for (PDF, JPEG or PNG, at most 10 MiB), the raw bytes as the body",
    description = "As for an application's: the bytes must be of the type `Content-Type` names; at most 10 files per case; `document` must be one the service asks for. Served only to the case's head, executor and the staff who work on it.",
    params(("id" = String, Path, description = "case id"), ("document" = Option<String>, Query, description = "the service's document code it copies")),
    request_body(description = "the file's bytes", content((inline(FileBytes) = "application/pdf"), (inline(FileBytes) = "image/jpeg"), (inline(FileBytes) = "image/png"))),
    responses((status = 201, description = "what was attached", body = FileView),
        (status = 422, description = "empty, not a PDF, JPEG or PNG, not the type sent, or a document the service does not ask for", body = Problem),
        (status = 409, description = "the same file attached already, or ten files already", body = Problem),
        (status = 413, description = "over 10 MiB", body = Problem), (status = 415, description = "a Content-Type other than application/pdf, image/jpeg or image/png", body = Problem),
        (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn attach_to_case(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<CaseReaders>,
    Path(id): Path<String>,
    Query(q): Query<Named>,
    upload: Upload,
) -> Result<Response, ApiError> {
    let upload = files::Upload {
        declared: upload.declared,
        document: q.document,
        bytes: upload.bytes.to_vec(),
    };
    Ok(written(app.attach_case_file(&auth, &id, upload).await?))
}

#[utoipa::path(get, path = "/v1/files/{file_id}", tag = "staff", summary = "A proof file's bytes, for the staff of its application's district",
    description = "Served only once the bytes match the SHA-256 the journal holds; its Content-Type is the one its bytes were checked to be.",
    params(("file_id" = String, Path, description = "file id")),
    responses((status = 200, description = "the file", content((inline(FileBytes) = "application/pdf"), (inline(FileBytes) = "image/jpeg"), (inline(FileBytes) = "image/png"))), (status = 404, description = "not found", body = Problem),
        (status = 401, description = "missing or unknown token", body = Problem), (status = 403, description = "wrong role or out of scope", body = Problem)),
    security(("bearer" = [])))]
async fn read(
    State(app): State<Arc<App>>,
    Bearer(auth): Bearer<FileReaders>,
    Path(file_id): Path<String>,
) -> Result<Response, ApiError> {
    let (content_type, bytes) = app.file(&auth, &file_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type.as_str().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file_id}.{}\"", extension(content_type)),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn extension(t: kezek_core::model::FileType) -> &'static str {
    match t {
        kezek_core::model::FileType::Pdf => "pdf",
        kezek_core::model::FileType::Jpeg => "jpg",
        kezek_core::model::FileType::Png => "png",
    }
}
