//! One error type for every handler, rendered as `application/problem+json` (RFC 9457) with
//! the codes of the HTTP contract. A 5xx logs its cause and never shows it.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kezek_app::problem::{FieldError, Problem};
use kezek_app::{AppError, Unavailable};
use kezek_core::Refusal;

/// Why a request was not answered with success.
#[derive(Debug)]
pub enum ApiError {
    /// No or unknown bearer token (401).
    Unauthorized,
    /// The body is not the JSON the endpoint takes (400), naming the field.
    Malformed(FieldError),
    /// The query string is not what the endpoint takes (422), naming the parameter.
    BadQuery(FieldError),
    /// A malformed `Idempotency-Key` header (400).
    BadIdempotencyKey,
    /// A body over the limit (413).
    BodyTooLarge,
    /// A body that is not declared `application/json` (415).
    NotJson,
    /// A proof file over 10 MiB (413).
    FileTooLarge,
    /// A proof file not declared `application/pdf`, `image/jpeg` or `image/png` (415).
    NotAFileType,
    /// A body that did not arrive in time (408).
    BodyTimeout(std::time::Duration),
    /// No such endpoint (404).
    NoRoute,
    /// What the application said.
    App(AppError),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl ApiError {
    /// A body over `limit` bytes, the limit of its route.
    #[must_use]
    pub fn too_large(limit: usize) -> Self {
        if limit >= crate::FILE_LIMIT {
            Self::FileTooLarge
        } else {
            Self::BodyTooLarge
        }
    }

    /// The HTTP status.
    #[must_use]
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Malformed(_) | Self::BadIdempotencyKey => StatusCode::BAD_REQUEST,
            Self::BadQuery(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BodyTooLarge | Self::FileTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::NotJson | Self::NotAFileType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NoRoute => StatusCode::NOT_FOUND,
            Self::App(e) => {
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// The problem document.
    #[must_use]
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let p = |code: &str, detail: String| problem(status, code, detail);
        match self {
            Self::Unauthorized => p("unauthorized", "a valid bearer token is required".into()),
            Self::Malformed(f) => p(
                "malformed_request",
                "the body is not the JSON this endpoint takes".into(),
            )
            .with_errors([f.clone()]),
            Self::BadQuery(f) => p(
                "malformed_request",
                "the query string is not what this endpoint takes".into(),
            )
            .with_errors([f.clone()]),
            Self::BadIdempotencyKey => p(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
            ),
            Self::BodyTooLarge => p("body_too_large", "bodies are limited to 64 KiB".into()),
            Self::NotJson => p(
                "unsupported_media_type",
                "the body must be sent as Content-Type: application/json".into(),
            ),
            Self::FileTooLarge => p("body_too_large", "a proof file is at most 10 MiB".into()),
            Self::NotAFileType => p(
                "unsupported_media_type",
                "a proof file is sent as Content-Type: application/pdf, image/jpeg or image/png"
                    .into(),
            ),
            Self::BodyTimeout(d) => p(
                "body_timeout",
                format!("the body did not arrive within {} s", d.as_secs()),
            ),
            Self::NoRoute => p("not_found", "no such endpoint".into()),
            Self::App(e) => app_problem(status, e),
        }
    }
}

/// A problem with `status`'s reason phrase as title.
#[must_use]
pub fn problem(status: StatusCode, code: &str, detail: String) -> Problem {
    Problem::new(
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        code,
        detail,
    )
}

fn app_problem(status: StatusCode, e: &AppError) -> Problem {
    let p = |code: &str, detail: String| problem(status, code, detail);
    match e {
        AppError::NotFound { .. } | AppError::Refused(Refusal::NotFound { .. }) => {
            p("not_found", e.to_string())
        }
        AppError::Forbidden(detail) => p("forbidden", detail.clone()),
        AppError::Erased { at, .. } => {
            let problem = p("erased", e.to_string());
            match at {
                Some(at) => problem.with("erased_at", at.as_str()),
                None => problem,
            }
        }
        AppError::Refused(Refusal::ActiveApplicationExists { application_id }) => {
            p("active_application_exists", e.to_string())
                .with("application_id", application_id.as_str())
        }
        AppError::Refused(Refusal::Conflict { code, message }) => p(code, message.clone()),
        AppError::Refused(Refusal::Invalid(v)) => p(
            "invalid_request",
            "the request breaks the rules listed in errors".into(),
        )
        .with_errors(v.iter().cloned()),
        AppError::Invalid { detail, errors } => {
            p("invalid_request", detail.clone()).with_errors(errors.iter().cloned())
        }
        AppError::KeyReused => p("idempotency_key_reused", e.to_string()),
        AppError::Citizen { code, detail, .. } => p(code, detail.clone()),
        AppError::Unavailable(Unavailable::Poisoned(_)) => p(
            "unavailable",
            "the service stopped taking requests and must be restarted".into(),
        ),
        AppError::Unavailable(Unavailable::Store(_)) => p(
            "unavailable",
            "the journal cannot be read or written now".into(),
        ),
        AppError::Unavailable(Unavailable::NotLeader(leader)) => {
            let detail = match leader {
                Some(url) => format!("this node does not write; the leader is {url}: send the request there, or again here in a moment"),
                None => "this node does not write and no node leads now (one is taking over): try again in a moment".into(),
            };
            let problem = p("not_leader", detail);
            match leader {
                Some(url) => problem.with("leader", url.as_str()),
                None => problem,
            }
        }
        AppError::Unavailable(Unavailable::Behind(seq)) => p(
            "behind",
            format!(
                "this node has not applied the journal up to seq {seq} yet: try again in a moment"
            ),
        )
        .with("min_seq", *seq),
    }
}

/// Logs a server error's whole cause chain (never sent to the client).
fn log_cause(e: &ApiError) {
    if let ApiError::App(AppError::Unavailable(u)) = e {
        tracing::error!(cause = %kezek_app::error::chain(u), "request failed");
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // A node that does not write or lags is a moment away from answering: a client retries
        // after a second (the same Idempotency-Key gets the same answer).
        let retry = matches!(
            &self,
            ApiError::App(AppError::Unavailable(
                Unavailable::NotLeader(_) | Unavailable::Behind(_)
            ))
        );
        if !retry {
            log_cause(&self);
        }
        let status = self.status_code();
        let mut res = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            self.problem().to_bytes(),
        )
            .into_response();
        if retry {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        res
    }
}

/// A write's answer as an HTTP response.
#[must_use]
pub fn written(w: kezek_app::Written) -> Response {
    let status = StatusCode::from_u16(w.status).unwrap_or(StatusCode::OK);
    let ct = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    (status, [(header::CONTENT_TYPE, ct)], w.body).into_response()
}
