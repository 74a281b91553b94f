//! The Kezek HTTP API of `../shared/API.md`: per-area routers merged here, one error type,
//! bodies limited to 64 KiB, every error as problem+json.

pub mod audit;
pub mod auth;
pub mod authority;
pub mod documents;
pub mod error;
pub mod kindergarten;
pub mod metrics;
pub mod portal;
pub mod request;
pub mod service;
pub mod staff;
pub mod views;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use error::ApiError;
use service::Service;
use std::sync::Arc;

/// Largest request body (API.md).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The whole router.
pub fn router(svc: Arc<Service>) -> Router {
    metrics::install();
    Router::new()
        .merge(portal::routes())
        .merge(staff::routes())
        .merge(kindergarten::routes())
        .merge(audit::routes())
        .merge(documents::routes())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(problem_json))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .with_state(svc)
}

async fn healthz(axum::extract::State(svc): axum::extract::State<Arc<Service>>) -> Response {
    if svc.healthy() {
        (StatusCode::OK, "ok").into_response()
    } else {
        ApiError::unavailable().into_response()
    }
}

/// axum's own rejections (body too large, wrong method, bad query string, …) come as
/// plain text; API.md wants problem+json for every error.
async fn problem_json(res: Response) -> Response {
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return res;
    }
    let detail = match axum::body::to_bytes(res.into_body(), 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::NOT_FOUND => "not_found",
        s if s.is_server_error() => "internal",
        _ => "malformed_request",
    };
    let detail = if status.is_server_error() {
        "internal error".to_owned()
    } else {
        detail
    };
    let mut out = ApiError::new(status, code, detail).into_response();
    *out.status_mut() = status;
    let _: &Body = out.body();
    out
}
