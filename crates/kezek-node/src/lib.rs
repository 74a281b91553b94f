//! A running Kezek node: the one place a node's life is wired. [`serve`] takes an opened
//! journal and the settings `kezek serve` was given and runs the node until shut down:
//! starting the application (from a snapshot when it has one: `snapshots`), taking its part
//! in a shared journal (leading or following), the sample city of `--demo` (`demo`), and then
//! [`run`] — the API and the console on one listener, with every task that runs beside them
//! (`tasks`: the lapse sweeper, the key watch, the metrics upkeep, the push of notifications,
//! the witness file, the follower).
#![warn(missing_docs)]

pub mod demo;
mod serve;
pub mod snapshots;
mod tasks;
pub mod witness;

pub use serve::{serve, Config, Journal};
pub use tasks::Tasks;

use axum::Router;
use kezek_app::App;
use kezek_http::server::Limits;
use std::future::Future;
use std::sync::Arc;

/// Every route of a node over `app`: the API (problem+json) and the console (HTML), behind
/// what every route passes through (a follower passing writes on to the leader, problems in
/// the reader's language).
pub fn router(app: &Arc<App>, limits: &Limits) -> Router {
    let api = kezek_http::api(
        Arc::clone(app),
        limits,
        kezek_http::CheckPage(kezek_console::check::page),
    );
    let console = kezek_http::pages(kezek_console::router(Arc::clone(app)), limits);
    kezek_http::around(api.merge(console), Arc::clone(app), limits)
}

/// Serves `app` on `listener` under `limits` until `shutdown` resolves, with the tasks every
/// node runs (the lapse sweeper, the key watch, the metrics upkeep): the wiring `kezek serve`
/// runs, and the tests too.
///
/// # Errors
/// The listener fails.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with(listener, app, limits, Tasks::default(), shutdown).await
}

/// [`run`], with the optional tasks of `tasks` besides.
///
/// # Errors
/// The listener fails.
pub async fn run_with(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    limits: Limits,
    tasks: Tasks,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_on(&listener, app, limits, tasks, shutdown).await
}

/// [`run_with`] on a listener that outlives it (a node that steps down is started again on
/// the same one).
async fn run_on(
    listener: &tokio::net::TcpListener,
    app: Arc<App>,
    limits: Limits,
    tasks: Tasks,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let running = tasks.start(&app);
    let router = router(&app, &limits);
    let served = kezek_http::server::serve(listener, router, limits, shutdown).await;
    running.stop(&app).await;
    served
}
