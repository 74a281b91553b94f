//! The Kezek HTTP API of `../shared/API.md`: per-area routers merged here, one error type,
//! bodies limited to 64 KiB, every error as problem+json.

pub mod answers;
pub mod audit;
pub mod auth;
pub mod authority;
pub mod documents;
pub mod error;
pub mod kindergarten;
pub mod metrics;
pub mod pdf;
pub mod portal;
pub mod request;
pub mod sequencer;
pub mod service;
pub mod staff;
pub mod views;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use error::ApiError;
use service::Service;
use std::sync::Arc;

/// Largest request body (API.md).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The OpenAPI description's frame; the paths come from the handlers' annotations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Kezek", version = "1", description = "The waiting queue for state kindergarten places (../shared/API.md)."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

static SPEC: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Every route with its OpenAPI description, from the same annotations.
fn api() -> (Router<Arc<Service>>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi;
    use utoipa_axum::{router::OpenApiRouter, routes};
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(portal::routes())
        .merge(staff::routes())
        .merge(kindergarten::routes())
        .merge(audit::routes())
        .merge(documents::routes())
        .routes(routes!(healthz))
        .routes(routes!(metrics::render))
        .routes(routes!(openapi_json))
        .routes(routes!(docs))
        .split_for_parts()
}

/// The OpenAPI 3.1 description of this API.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// The whole router.
pub fn router(svc: Arc<Service>) -> Router {
    metrics::install();
    let (routes, spec) = api();
    let _ = SPEC.set(spec.to_json().unwrap_or_default());
    routes
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(problem_json))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .with_state(svc)
}

#[utoipa::path(get, path = "/openapi.json", tag = "operations", summary = "This description", responses((status = 200, description = "OpenAPI 3.1")))]
async fn openapi_json() -> Response {
    let spec = SPEC.get().cloned().unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], spec).into_response()
}

#[utoipa::path(get, path = "/docs", tag = "operations", summary = "A browser for this description", responses((status = 200, description = "HTML")))]
async fn docs() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("../assets/docs.html"),
    )
        .into_response()
}

#[utoipa::path(get, path = "/healthz", tag = "operations", summary = "Liveness", responses((status = 200, description = "ok"), (status = 503, description = "the journal failed")))]
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
