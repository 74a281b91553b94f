//! One error type for every handler, rendered as `application/problem+json` (RFC 9457)
//! with the codes of API.md. Internals never reach the client.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kezek_core::event::Ground;
use kezek_core::CommandError;
use serde::Serialize;

/// A refusal of a request.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Problem code (`refused`, `not_found`, …).
    pub code: &'static str,
    /// One-line explanation.
    pub detail: String,
    /// Per-field errors.
    pub errors: Vec<Ground>,
    /// Extra members (`application_id`, `document_id`, `missing`).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct FieldError<'a> {
    field: &'a str,
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// An error without field details.
    #[must_use]
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            extra: serde_json::Map::new(),
        }
    }

    /// With per-field errors.
    #[must_use]
    pub fn with_errors(mut self, errors: Vec<Ground>) -> Self {
        self.errors = errors;
        self
    }

    /// With an extra member.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// 401: no or unknown token.
    #[must_use]
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid bearer token is required",
        )
    }

    /// 403: the token's role or scope does not cover this.
    #[must_use]
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404.
    #[must_use]
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} {id} not found"),
        )
    }

    /// 503: the journal failed; nothing more is accepted until a restart.
    #[must_use]
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the journal cannot be written; the service must be restarted",
        )
    }

    /// The body as JSON bytes.
    #[must_use]
    pub fn body(&self) -> Vec<u8> {
        let mut m = serde_json::Map::new();
        m.insert(
            "type".into(),
            format!("https://kezek.kz/problems/{}", self.code).into(),
        );
        m.insert("title".into(), title(self.status).into());
        m.insert("status".into(), self.status.as_u16().into());
        m.insert("detail".into(), self.detail.clone().into());
        m.insert("code".into(), self.code.into());
        let errors: Vec<FieldError<'_>> = self
            .errors
            .iter()
            .map(|g| FieldError {
                field: &g.field,
                code: &g.code,
                message: &g.message,
            })
            .collect();
        m.insert(
            "errors".into(),
            serde_json::to_value(errors).unwrap_or_default(),
        );
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        serde_json::to_vec(&m).unwrap_or_default()
    }
}

fn title(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            self.body(),
        )
            .into_response()
    }
}

impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::NotFound { entity, id } => Self::not_found(entity, &id),
            CommandError::ActiveApplicationExists { application_id } => Self::new(
                StatusCode::CONFLICT,
                "active_application_exists",
                format!("the child already has an active application {application_id}"),
            )
            .with("application_id", application_id.as_str()),
            CommandError::Conflict { code, message } => {
                Self::new(StatusCode::CONFLICT, code, message)
            }
            CommandError::Invalid(grounds) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "the request breaks the rules listed in errors",
            )
            .with_errors(grounds),
            CommandError::Inconsistent(_) => Self::unavailable(),
        }
    }
}
