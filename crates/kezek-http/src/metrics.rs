//! `GET /metrics` in the Prometheus text format: requests and latency by route and status
//! (a middleware), queued children by district and tier, rounds run (read from the state at
//! scrape time), journal batch sizes and commit latency (recorded by the store's writer).

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kezek_app::App;
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

/// Folds the samples recorded since the last call into the histograms. The recorder keeps
/// every sample until then (or until a scrape): without this, a server nobody scrapes would
/// grow by 8 bytes a request. `kezek serve` calls it every few seconds.
pub fn upkeep() {
    if let Some(h) = handle() {
        h.run_upkeep();
    }
}

static NEXT_REQUEST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Counts, times and logs every request by its route pattern, method and status, under a
/// request id returned in `x-request-id`. Logs never carry the concrete path or query (a
/// child's IIN can be in it), a header (tokens) or a body (names and IINs).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let request_id = format!(
        "req-{}",
        NEXT_REQUEST.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let started = Instant::now();
    let mut res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    // Successful reads are the bulk of the traffic (the portal polls positions): logging
    // each at info cost a sixth of the read throughput. They are counted and timed in
    // /metrics and logged at debug; writes and every refusal or error are logged at info.
    if res.status().is_success() && (method == "GET" || method == "HEAD") {
        tracing::debug!(request_id = %request_id, method = %method, route = %route, status = %status, micros, "request");
    } else {
        tracing::info!(request_id = %request_id, method = %method, route = %route, status = %status, micros, "request");
    }
    if let Ok(v) = axum::http::HeaderValue::from_str(&request_id) {
        res.headers_mut().insert("x-request-id", v);
    }
    metrics::counter!("kezek_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status).increment(1);
    metrics::histogram!("kezek_http_request_duration_seconds", "route" => route, "method" => method).record(started.elapsed().as_secs_f64());
    res
}

/// A count as a gauge's value.
#[allow(
    clippy::cast_precision_loss,
    reason = "counts of children, rounds and events are far below 2^52"
)]
fn gauge(n: impl TryInto<u64>) -> f64 {
    n.try_into().map_or(f64::MAX, |n: u64| n as f64)
}

/// The scrape.
#[utoipa::path(get, path = "/metrics", tag = "operations", summary = "Prometheus metrics", responses((status = 200, description = "text format 0.0.4")))]
pub async fn render(State(app): State<Arc<App>>) -> Response {
    // A poisoned service still shows its metrics, without the state's.
    if let Some(g) = app.state_gauges() {
        for (district, tier, n) in g.queued {
            metrics::gauge!("kezek_queued", "district" => district, "tier" => tier).set(gauge(n));
        }
        metrics::gauge!("kezek_rounds").set(gauge(g.rounds));
        metrics::gauge!("kezek_applied_seq").set(gauge(g.applied_seq));
        for (district, n) in g.overdue_claims {
            metrics::gauge!("kezek_claims_overdue", "district" => district).set(gauge(n));
        }
    }
    // What readers may be shown: the journal's durable head, and the reads waiting for it.
    metrics::gauge!("kezek_journal_seq").set(gauge(app.durable_seq()));
    metrics::gauge!("kezek_reads_waiting").set(gauge(app.reads_waiting()));
    metrics::gauge!("kezek_poisoned").set(if app.poisoned().is_some() { 1.0 } else { 0.0 });
    // The outbox: what families have not been told yet.
    if let Ok(c) = app.outbox_gauges().await {
        metrics::gauge!("kezek_notifications_pending").set(gauge(c.pending));
        metrics::gauge!("kezek_notifications_delivered").set(gauge(c.delivered));
        metrics::gauge!("kezek_notifications_failing").set(gauge(c.failing));
        let age_ms = c
            .oldest_pending_ms
            .map_or(0, |t| app.now().as_millisecond().saturating_sub(t).max(0));
        metrics::gauge!("kezek_notifications_oldest_pending_seconds").set(gauge(age_ms) / 1000.0);
    }
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
