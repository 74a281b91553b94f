//! Operations (no auth): liveness, metrics, this API's description and a browser for it.

use crate::error::problem;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kezek_app::App;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The operations routes.
pub(crate) fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(crate::metrics::render))
        .routes(routes!(openapi_json))
        .routes(routes!(docs))
}

/// The OpenAPI description as served (made once, when the router is built).
#[derive(Debug, Clone)]
pub(crate) struct Spec(pub Arc<str>);

#[utoipa::path(get, path = "/openapi.json", tag = "operations", summary = "This description", responses((status = 200, description = "OpenAPI 3.1")))]
async fn openapi_json(axum::Extension(Spec(spec)): axum::Extension<Spec>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        spec.to_string(),
    )
        .into_response()
}

#[utoipa::path(get, path = "/docs", tag = "operations", summary = "A browser for this description", responses((status = 200, description = "HTML")))]
async fn docs() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("../../assets/docs.html"),
    )
        .into_response()
}

#[utoipa::path(get, path = "/healthz", tag = "operations", summary = "Liveness: `ok`, or why the service stopped",
    responses((status = 200, description = "ok; headers `Kezek-Role` (single, leader or follower), `Kezek-Lag` (records the journal has that this node has not applied), `Kezek-Portal` (`bound`: the portal acts only for the citizen each request's `Kezek-Citizen` assertion names; `unbound` until `kezek portal trust`) and, on a shared journal, `Kezek-Leader` (the leader's URL as this node believes it) and `Kezek-Lease-Age` (seconds since that leader renewed its lease: past the lease's length, another node takes over)"), (status = 503, description = "stopped: the problem's detail says why; a restart rebuilds the state from the journal (a leader that lost the lead starts again as a follower by itself)", body = kezek_app::problem::Problem)))]
async fn healthz(State(app): State<Arc<App>>) -> Response {
    let mut res = match app.poisoned() {
        // The body stays `ok` for the probes that read it.
        None => (StatusCode::OK, "ok").into_response(),
        Some(reason) => {
            let p = problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("the service stopped taking requests and must be restarted: {reason}"),
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "application/problem+json")],
                p.to_bytes(),
            )
                .into_response()
        }
    };
    // The node's role, how many records it has still to apply, the leader it believes in
    // and how fresh that leader's lease is, in headers.
    let node = app.node();
    let headers = res.headers_mut();
    headers.insert(
        "kezek-role",
        header::HeaderValue::from_static(node.role().as_str()),
    );
    headers.insert("kezek-lag", header::HeaderValue::from(app.lag()));
    // Whether the portal acts only for the citizen each request names (`kezek portal trust`).
    headers.insert(
        "kezek-portal",
        header::HeaderValue::from_static(if app.portal_bound() {
            "bound"
        } else {
            "unbound"
        }),
    );
    if let Some(leader) = node
        .leader()
        .and_then(|l| header::HeaderValue::from_str(&l).ok())
    {
        headers.insert("kezek-leader", leader);
    }
    if let Some(age) = node.lease_age() {
        if let Ok(v) = header::HeaderValue::from_str(&format!("{:.3}", age.as_secs_f64())) {
            headers.insert("kezek-lease-age", v);
        }
    }
    res
}
