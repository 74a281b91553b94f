//! The connection loop: HTTP/1.1 connections served by hyper under limits an attacker cannot
//! stretch. `axum::serve` has no header-read timeout, no connection cap and stops accepting
//! for a second when the process runs out of file descriptors, so a thousand idle sockets
//! or a header sent a byte a second took the service down; this loop (hyper's connection
//! builder and graceful shutdown, an accept loop and a connection table of our own) keeps
//! answering:
//!
//! - a connection must deliver a request's headers within the header timeout, counted from
//!   its opening and, between requests, from the end of the last answer (so it is also the
//!   keep-alive idle timeout): a reaper looks at the connection table a few times per timeout
//!   and closes those with no request in progress that were quiet for longer (hyper's own
//!   header timer arms a timer per request, which cost a tenth of the position reads per
//!   second); a body must arrive within the body timeout (`lib.rs`);
//! - at most `max_connections` are open; when one more arrives, the oldest connection with no
//!   request being answered (idle, or still sending its headers) is closed to make room, and
//!   if every connection is busy the new one is closed at once. A request in progress is
//!   never cut off to make room.

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// What a connection may take, and whom it may trust to say where a request came from.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Time to deliver a request's headers (and longest idle time between requests).
    pub header_timeout: Duration,
    /// Time to deliver a request's body once its headers are in.
    pub body_timeout: Duration,
    /// How long shutting down waits for requests in progress.
    pub shutdown_grace: Duration,
    /// The proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`): a request
    /// from anywhere else is counted against its own address, whatever it says.
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            trusted_proxies: Arc::from([]),
        }
    }
}

/// The client a request from `peer` came from: `peer` itself, unless it is a trusted proxy;
/// then, of the addresses its `X-Forwarded-For` lists (each proxy appends the one it heard
/// from), the nearest one that is not a trusted proxy. What a client writes into the header
/// itself comes before what the proxies append, so it is never reached.
#[must_use]
pub fn client_addr<'h>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'h axum::http::HeaderValue>,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |a: &IpAddr| trusted.iter().any(|n| n.contains(a));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded_for
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| {
            let hop = hop.trim();
            hop.parse::<IpAddr>()
                .or_else(|_| hop.parse::<std::net::SocketAddr>().map(|s| s.ip()))
                .ok()
                .map(|a| a.to_canonical())
        })
        .collect();
    hops.iter()
        .rev()
        .find(|a| !is_trusted(a))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
}

impl Limits {
    /// These limits with `max_connections` lowered to what `open_files` (the process's file
    /// descriptor limit) allows, keeping `reserve` descriptors for the journal and the rest.
    #[must_use]
    pub fn within_open_files(mut self, open_files: u64, reserve: u64) -> Self {
        let room = usize::try_from(open_files.saturating_sub(reserve)).unwrap_or(usize::MAX);
        self.max_connections = self.max_connections.min(room.max(1));
        self
    }
}

/// One open connection: how many of its requests are being answered, when it was last
/// active (opened, or an answer finished; milliseconds on the server's clock), and how to
/// close it.
#[derive(Default)]
struct Slot {
    busy: AtomicUsize,
    last_active: AtomicU64,
    close: Notify,
}

/// The open connections by the order they came in.
#[derive(Default)]
struct Table {
    open: Mutex<BTreeMap<u64, Arc<Slot>>>,
}

impl Table {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Slot>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes every connection with no request in progress that was last active before
    /// `quiet_since`; how many.
    fn reap(&self, quiet_since: u64) -> usize {
        let mut open = self.lock();
        let before = open.len();
        open.retain(|_, s| {
            let keep = s.busy.load(Ordering::Acquire) > 0
                || s.last_active.load(Ordering::Acquire) >= quiet_since;
            if !keep {
                s.close.notify_one();
            }
            keep
        });
        let reaped = before - open.len();
        if reaped > 0 {
            metrics::counter!("kezek_http_connections_shed_total", "why" => "timed_out")
                .increment(reaped as u64);
            metrics::gauge!("kezek_http_connections_open").set(count_f64(open.len()));
        }
        reaped
    }

    /// Admits connection `id`, active at `now`, closing the oldest idle one if the table is
    /// full; `None` if every connection is answering a request.
    fn admit(&self, id: u64, max: usize, now: u64) -> Option<Arc<Slot>> {
        let mut open = self.lock();
        if open.len() >= max {
            let idle = open
                .iter()
                .find(|(_, s)| s.busy.load(Ordering::Acquire) == 0)
                .map(|(k, _)| *k)?;
            if let Some(slot) = open.remove(&idle) {
                slot.close.notify_one();
                metrics::counter!("kezek_http_connections_shed_total", "why" => "idle_closed")
                    .increment(1);
            }
        }
        let slot = Arc::new(Slot::default());
        slot.last_active.store(now, Ordering::Release);
        open.insert(id, Arc::clone(&slot));
        metrics::gauge!("kezek_http_connections_open").set(count_f64(open.len()));
        Some(slot)
    }

    fn leave(&self, id: u64) {
        let mut open = self.lock();
        open.remove(&id);
        metrics::gauge!("kezek_http_connections_open").set(count_f64(open.len()));
    }
}

#[allow(
    clippy::cast_precision_loss,
    reason = "a gauge of at most a few thousand"
)]
fn count_f64(n: usize) -> f64 {
    n as f64
}

/// Marks its connection busy while a request is being answered, and active when it ends.
struct Busy(Arc<Slot>, Clock);

impl Busy {
    fn enter(slot: &Arc<Slot>, clock: Clock) -> Self {
        slot.busy.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(slot), clock)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.last_active.store(self.1.now(), Ordering::Release);
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Milliseconds since the server started.
#[derive(Clone, Copy)]
struct Clock(tokio::time::Instant);

impl Clock {
    fn now(self) -> u64 {
        kezek_app::millis(self.0.elapsed())
    }
}

/// Closes the quiet connections, a few times per `timeout`, for ever.
async fn reaper(table: Arc<Table>, clock: Clock, timeout: Duration) {
    let every = (timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
    let timeout_ms = kezek_app::millis(timeout);
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        table.reap(clock.now().saturating_sub(timeout_ms));
    }
}

/// Serves `router` on `listener` under `limits` until `shutdown` resolves, then waits up to
/// the grace period for the requests in progress. Connections that arrive meanwhile wait in
/// the listener's queue for whoever accepts next (the same node started again) or are
/// refused when the caller drops it.
///
/// # Errors
/// Never for a failed accept (logged, and the loop goes on); the signature leaves room.
pub async fn serve(
    listener: &TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.max_buf_size(64 * 1024);
    let table = Arc::new(Table::default());
    let clock = Clock(tokio::time::Instant::now());
    let reap = tokio::spawn(reaper(Arc::clone(&table), clock, limits.header_timeout));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut next_id = 0u64;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted: the
                    // cap keeps the first rare; wait a moment instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        next_id += 1;
        let id = next_id;
        let Some(slot) = table.admit(id, limits.max_connections, clock.now()) else {
            metrics::counter!("kezek_http_connections_shed_total", "why" => "all_busy")
                .increment(1);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = {
            let (router, slot) = (router.clone(), Arc::clone(&slot));
            let trusted = Arc::clone(&limits.trusted_proxies);
            hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                // Budgets are counted per client (the parents' status lookups).
                let client = client_addr(
                    peer.ip(),
                    req.headers().get_all("x-forwarded-for").iter(),
                    &trusted,
                );
                req.extensions_mut()
                    .insert(kezek_app::app::budgets::ClientAddr(client));
                let busy = Busy::enter(&slot, clock);
                let call = tower::ServiceExt::oneshot(router.clone(), req);
                async move {
                    let res = call.await;
                    drop(busy);
                    res
                }
            })
        };
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        let table = Arc::clone(&table);
        tokio::spawn(async move {
            tokio::select! {
                done = conn => {
                    if let Err(e) = done {
                        tracing::debug!(error = %e, "connection ended");
                    }
                }
                () = slot.close.notified() => {}
            }
            table.leave(id);
        });
    }
    reap.abort();
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in progress at shutdown were cut off");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_names_it() {
        let nets: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let hv = |s: &'static str| axum::http::HeaderValue::from_static(s);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let xff = [hv("6.6.6.6, 203.0.113.7"), hv("10.0.0.2")];
        // Anyone else: its own address, whatever it writes.
        assert_eq!(
            client_addr(ip("198.51.100.1"), xff.iter(), &nets),
            ip("198.51.100.1")
        );
        // A trusted proxy: the nearest address it and the proxies before it were told of
        // that is not a proxy; what the client wrote first is never reached.
        assert_eq!(
            client_addr(ip("10.0.0.1"), xff.iter(), &nets),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_addr(
                ip("10.0.0.1"),
                [hv("garbage, 203.0.113.9:4431")].iter(),
                &nets
            ),
            ip("203.0.113.9")
        );
        // A proxy that names no client: itself.
        assert_eq!(
            client_addr(ip("10.0.0.1"), [].iter(), &nets),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_addr(ip("::ffff:198.51.100.1"), [].iter(), &nets),
            ip("198.51.100.1")
        );
    }

    proptest::proptest! {
        /// Whatever a client or proxy writes into `X-Forwarded-For`, reading it never fails;
        /// from anyone but a trusted proxy it changes nothing; and behind a trusted proxy a
        /// client's own address appended last is the one taken.
        #[test]
        fn any_forwarded_for_is_read_and_only_a_trusted_proxy_is_believed(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
            peer_trusted in proptest::bool::ANY,
        ) {
            let nets: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
            let peer: IpAddr = if peer_trusted { "10.0.0.1" } else { "198.51.100.1" }.parse().unwrap();
            let Ok(value) = axum::http::HeaderValue::from_bytes(&bytes) else { return Ok(()) };
            let got = client_addr(peer, [&value].into_iter(), &nets);
            if !peer_trusted {
                proptest::prop_assert_eq!(got, peer);
            }
            // What the proxy appends after whatever came before wins.
            let appended = axum::http::HeaderValue::from_static("203.0.113.9");
            let got = client_addr(peer, [&value, &appended].into_iter(), &nets);
            let expected: IpAddr = if peer_trusted { "203.0.113.9" } else { "198.51.100.1" }.parse().unwrap();
            proptest::prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn a_full_table_closes_its_oldest_idle_connection_and_never_a_busy_one() {
        let table = Table::default();
        let clock = Clock(tokio::time::Instant::now());
        let first = table.admit(1, 2, 0).unwrap();
        let second = table.admit(2, 2, 0).unwrap();
        let busy = Busy::enter(&first, clock);
        // Full: the oldest idle is the second (the first is answering a request).
        let _third = table.admit(3, 2, 0).unwrap();
        assert!(table.lock().contains_key(&1));
        assert!(!table.lock().contains_key(&2));
        drop(second);
        // Full and every connection busy: the newcomer is turned away.
        let third = Arc::clone(table.lock().get(&3).unwrap());
        let also_busy = Busy::enter(&third, clock);
        assert!(table.admit(4, 2, 0).is_none());
        drop((busy, also_busy));
        assert!(table.admit(4, 2, 0).is_some());
        assert_eq!(table.lock().len(), 2);
    }

    #[test]
    fn the_reaper_closes_quiet_connections_and_never_a_busy_one() {
        let table = Table::default();
        let clock = Clock(tokio::time::Instant::now());
        let quiet = table.admit(1, 10, 100).unwrap();
        let recent = table.admit(2, 10, 500).unwrap();
        let working = table.admit(3, 10, 100).unwrap();
        let _busy = Busy::enter(&working, clock);
        assert_eq!(table.reap(300), 1);
        let open: Vec<u64> = table.lock().keys().copied().collect();
        assert_eq!(open, vec![2, 3]);
        drop((quiet, recent));
    }

    #[test]
    fn the_cap_leaves_room_for_the_journal() {
        let limits = Limits::default().within_open_files(1024, 64);
        assert_eq!(limits.max_connections, 960);
        let limits = Limits::default().within_open_files(1 << 20, 64);
        assert_eq!(limits.max_connections, 4096);
    }
}
