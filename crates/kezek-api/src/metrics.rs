//! `GET /metrics` in the Prometheus text format: requests and latency by route and status
//! (a middleware), queued children by district and tier, rounds run (read from the state at
//! scrape time), journal batch sizes and commit latency (recorded by the store's writer).

use crate::service::Service;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder (installed on first use; a process has one).
fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1,
                    0.25, 0.5, 1.0,
                ])
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Installs the recorder; call once at start (the router does).
pub fn install() {
    let _ = handle();
}

/// Counts and times every request by its route pattern (never the concrete path, which
/// would carry ids), method and status.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("kezek_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status).increment(1);
    metrics::histogram!("kezek_http_request_duration_seconds", "route" => route, "method" => method).record(started.elapsed().as_secs_f64());
    res
}

/// The scrape.
#[utoipa::path(get, path = "/metrics", tag = "operations", summary = "Prometheus metrics", responses((status = 200, description = "text format 0.0.4")))]
pub async fn render(State(svc): State<Arc<Service>>) -> Response {
    svc.read(|s| {
        for ((d, t), n) in s.queued_counts() {
            let district = s.districts()[d as usize].id.to_string();
            let tier = s.policy().tiers[t].name.clone();
            metrics::gauge!("kezek_queued", "district" => district, "tier" => tier).set(n as f64);
        }
        metrics::gauge!("kezek_rounds").set(s.rounds().len() as f64);
        metrics::gauge!("kezek_journal_seq").set(s.last_seq().get() as f64);
    });
    let body = handle().map(PrometheusHandle::render).unwrap_or_default();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        body,
    )
        .into_response()
}
