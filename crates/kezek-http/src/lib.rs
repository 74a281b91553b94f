//! The Kezek HTTP API: per-audience routes merged in [`routes`], typed extractors for the
//! caller's role and for bodies, typed response bodies described in `/openapi.json`, one
//! [`error::ApiError`] rendered as problem+json ([`api`]); and what every route of a node
//! passes through (bodies read in time, writes passed on to the leader, problems in the
//! reader's language: [`around`]) and the connection loop with its limits ([`server`]). It
//! starts nothing: a node (`kezek-node`) builds its router from these and runs it. Every rule
//! is the application layer's (`kezek-app`); handlers only wire.
#![warn(missing_docs)]

mod cluster;
pub mod error;
mod extract;
mod localize;
pub mod metrics;
mod routes;
pub mod server;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use error::{problem, ApiError};
use kezek_app::App;
use std::sync::Arc;
use std::time::Duration;

/// Largest request body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Largest body of a proof file's upload: the file itself.
pub const FILE_LIMIT: usize = kezek_core::model::file::MAX_FILE_BYTES;

/// The largest body a request to `path` with `method` may have: a proof file's upload
/// (`POST /v1/applications/{id}/files`, `POST /v1/cases/{id}/files`) up to [`FILE_LIMIT`], the console's form that
/// carries one (`POST /console/applications/{number}/files`) that and room for its other
/// fields, every other [`BODY_LIMIT`].
#[must_use]
pub fn body_limit(method: &axum::http::Method, path: &str) -> usize {
    let upload = |prefix: &str| {
        method == axum::http::Method::POST
            && path
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix("/files"))
                .is_some_and(|id| !id.is_empty() && !id.contains('/'))
    };
    if upload("/v1/applications/") || upload("/v1/cases/") {
        FILE_LIMIT
    } else if upload("/console/applications/") {
        FILE_LIMIT + BODY_LIMIT
    } else {
        BODY_LIMIT
    }
}

/// The OpenAPI description's frame; the paths come from the handlers' annotations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Kezek", version = "1", description = "The waiting queue for state kindergarten places. Errors are application/problem+json; with Accept-Language preferring kk or ru, their detail and messages are in Kazakh or Russian (codes unchanged)."),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// The answers every endpoint may give by the conventions rather than by its own rules: a
/// body that is not one JSON value of the right shape (400), too large (413), not sent as
/// JSON (415) or too slow (408); a bad query parameter (422).
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |what: &str| {
            ResponseBuilder::new()
                .description(what)
                .content(
                    // As every endpoint's own problems are described (`body = Problem`).
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for item in api.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.put, &mut item.post]
                .into_iter()
                .flatten()
            {
                let responses = &mut op.responses.responses;
                if op.request_body.is_some() {
                    for (status, what) in [
                        (
                            "400",
                            "the body is not one JSON value of the shape this endpoint takes",
                        ),
                        ("408", "the body did not arrive within the body timeout"),
                        ("413", "the body is over 64 KiB"),
                        ("415", "the body is not sent as application/json"),
                    ] {
                        responses
                            .entry(status.to_owned())
                            .or_insert_with(|| problem(what).into());
                    }
                }
                let has_query = op.parameters.iter().flatten().any(|p| {
                    matches!(p, utoipa::openapi::RefOr::T(p)
                        if matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
                });
                if has_query {
                    responses.entry("422".to_owned()).or_insert_with(|| {
                        problem("a query parameter is unknown, not a number or out of range").into()
                    });
                }
            }
        }
    }
}

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

/// Every route and its OpenAPI description, from the same annotations.
fn api_parts() -> (Router<Arc<App>>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi;
    let (router, mut spec) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::all())
        .split_for_parts();
    utoipa::Modify::modify(&CommonResponses, &mut spec);
    (router, spec)
}

/// The OpenAPI 3.1 description of this API.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_parts().1
}

pub use routes::CheckPage;

/// The API's routes over `app`, their bodies read under `limits`, every error answered as
/// problem+json, every request counted in `/metrics`; `check_page` renders the public check of
/// a document for a browser.
pub fn api(app: Arc<App>, limits: &server::Limits, check_page: CheckPage) -> Router {
    metrics::install();
    let (routes, spec) = api_parts();
    let spec = routes::Spec(Arc::from(spec.to_json().unwrap_or_default()));
    routes
        .fallback(|| async { ApiError::NoRoute })
        .layer(axum::Extension(spec))
        .layer(axum::Extension(check_page))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            limits.body_timeout,
            read_body,
        ))
        .layer(axum::middleware::map_response(problem_json))
        .route_layer(axum::middleware::from_fn(metrics::track))
        .with_state(app)
}

/// A node's other routes (the console's pages and the parents' `/status`) as the API's are
/// served: their bodies read whole before a handler runs, within `limits`' body timeout and
/// the size limit, and every request counted in `/metrics` and logged by its route pattern
/// (never its path, query or body: an IIN can be in them).
pub fn pages(router: Router, limits: &server::Limits) -> Router {
    metrics::install();
    router
        .layer(axum::middleware::from_fn_with_state(
            limits.body_timeout,
            read_body,
        ))
        .route_layer(axum::middleware::from_fn(metrics::track))
}

/// What every route of a node passes through, outermost: a follower passes writes on to the
/// leader before anything else looks at them (and a read with `min_seq` waits for this node
/// to catch up); every problem, the relay's own too, is put in the reader's language on the
/// way out (HTML pages are not problems and pass untouched).
pub fn around(router: Router, app: Arc<App>, limits: &server::Limits) -> Router {
    router
        .layer(axum::middleware::from_fn_with_state(
            cluster::Relay::new(app, limits.body_timeout),
            cluster::route,
        ))
        .layer(axum::middleware::from_fn(localize::localize))
        .layer(axum::middleware::map_response(not_kept))
}

/// Every answer but the ones that say otherwise (the console's stylesheet) is `no-store`:
/// most carry personal data — a child's IIN, birth date, category, queue place — which no
/// proxy or shared browser cache may keep; and none is to be sniffed as another type.
async fn not_kept(mut res: Response) -> Response {
    let headers = res.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// Reads the whole body before the handler runs, within `timeout` (a body sent a byte at a
/// time must not hold a connection and a task for ever) and the size limit.
async fn read_body(
    axum::extract::State(timeout): axum::extract::State<Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let limit = body_limit(&parts.method, parts.uri.path());
    let bytes = match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return ApiError::too_large(limit).into_response(),
        Err(_) => return ApiError::BodyTimeout(timeout).into_response(),
    };
    next.run(axum::extract::Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// axum's own rejections (wrong method, bad path, …) come as plain text; every error must be
/// problem+json.
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
    let body: Body = problem(status, code, detail).to_bytes().into();
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn only_a_proof_files_upload_takes_a_large_body() {
        assert_eq!(
            body_limit(&Method::POST, "/v1/applications/KZ1/files"),
            FILE_LIMIT
        );
        assert_eq!(body_limit(&Method::POST, "/v1/cases/C-1/files"), FILE_LIMIT);
        assert_eq!(
            body_limit(&Method::POST, "/console/applications/KZ1/files"),
            FILE_LIMIT + BODY_LIMIT
        );
        for (method, path) in [
            (Method::GET, "/v1/applications/KZ1/files"),
            (Method::POST, "/v1/applications//files"),
            (Method::POST, "/v1/applications/KZ1/x/files"),
            (Method::POST, "/v1/applications/KZ1/claims"),
            (Method::POST, "/v1/applications"),
            (Method::POST, "/v1/files"),
        ] {
            assert_eq!(body_limit(&method, path), BODY_LIMIT, "{method} {path}");
        }
    }
}
