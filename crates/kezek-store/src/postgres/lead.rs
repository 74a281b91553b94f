//! Who leads: a lease in the one row `journal_head`, and the epoch beside it that every append
//! checks.
//!
//! The leader renews its lease every quarter of its length on a connection of its own; the
//! row names that connection's backend (`leader_pid`) and when the lease lapses, by the
//! database's clock. A node may take over — move the epoch, name itself — when no node holds
//! the lease, when the holder's backend is gone (its process died: at once), or when the lease
//! lapsed (its process froze, or lost the database: after the lease's length). A frozen
//! leader's session stays open, so only the lapse can tell; and a transaction it left open
//! holds the row, so its writer's connection ends an idle transaction after the lease's
//! length (`idle_in_transaction_session_timeout`).
//!
//! The leader counts its lease from before each renewal was sent, so it stops believing it
//! leads no later than the database lets another node take over; and whatever it believes,
//! the epoch check in each append's transaction keeps a deposed leader from ever writing.
//! And the commits a follower waits for: `LISTEN` on the channel the leader notifies in each
//! commit.

use super::standing::Standing;
use super::{connect, failed, head_at, wait, writer, PgStore, CHANNEL};
use crate::{Head, Leader, Shared, StoreError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};

/// How long a lease lasts unless configured (`kezek serve --leader-lease`).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5);

/// Takes the lease when it is free, lapsed, or its holder's backend is gone.
const TAKE: &str = "UPDATE journal_head SET epoch = epoch + 1, leader = $1, leader_pid = pg_backend_pid(),
        lease_renewed = clock_timestamp(), lease_expires = clock_timestamp() + $2 * interval '1 millisecond'
    WHERE id = 1 AND (leader_pid IS NULL OR lease_expires IS NULL OR lease_expires < clock_timestamp()
        OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = journal_head.leader_pid))
    RETURNING seq, hash, epoch";

/// Renews the lease while the epoch is still this node's.
const RENEW: &str = "UPDATE journal_head SET lease_renewed = clock_timestamp(),
        lease_expires = clock_timestamp() + $1 * interval '1 millisecond'
    WHERE id = 1 AND epoch = $2 RETURNING epoch";

/// Milliseconds as the statements take them.
fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl PgStore {
    /// The lease connection, connected again if it was lost.
    fn lease_client(&self) -> Result<Arc<Client>, StoreError> {
        let mut lease = self
            .lease_client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = lease.as_ref().filter(|c| !c.is_closed()) {
            return Ok(Arc::clone(client));
        }
        let client = connect(self.runtime()?, &self.config)?;
        // Taking over waits for a transaction of a frozen leader that holds the row until
        // the database ends it; renewing waits for the writer's commit. Neither longer
        // than half a lease.
        wait(client.batch_execute(&format!(
            "SET lock_timeout = {}",
            (self.lease / 2).as_millis().max(1)
        )))
        .map_err(failed("setting up the lease connection"))?;
        let client = Arc::new(client);
        *lease = Some(Arc::clone(&client));
        Ok(client)
    }

    /// In one transaction on the lease connection: the lease taken if it can be, and the
    /// journal's head row checked against its last event. The head and the epoch taken.
    async fn take(&self, client: &Client, url: &str) -> Result<Option<(Head, i64)>, StoreError> {
        let fail = failed("taking over the journal");
        client.batch_execute("BEGIN").await.map_err(&fail)?;
        let taken = async {
            let Some(row) = client
                .query_opt(TAKE, &[&url, &millis(self.lease)])
                .await
                .map_err(&fail)?
            else {
                return Ok(None);
            };
            let head = head_at(&row, 0)?;
            let epoch: i64 = row.get(2);
            let last = client
                .query_opt("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", &[])
                .await
                .map_err(&fail)?;
            // An empty journal's head row holds the hash its first record chains from.
            let events = last.map_or(Ok(Head::start(head.hash)), |r| head_at(&r, 0))?;
            if events != head {
                // Nothing is taken: this journal needs an operator, not a leader.
                return Err(StoreError::Integrity(format!(
                    "the journal's head row says seq {}, its last event is seq {}: the database was edited or restored in part",
                    head.seq, events.seq
                )));
            }
            Ok(Some((head, epoch)))
        }
        .await;
        let end = if matches!(taken, Ok(Some(_))) {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        client.batch_execute(end).await.map_err(&fail)?;
        taken
    }
}

impl Shared for PgStore {
    fn try_lead(&self, url: &str) -> Result<Option<Head>, StoreError> {
        if self.standing.live() {
            return Err(StoreError::Order("this node leads already".into()));
        }
        let client = self.lease_client()?;
        let sent = Instant::now();
        let Some((head, epoch)) = wait(self.take(&client, url))? else {
            return Ok(None);
        };
        let write = connect(self.runtime()?, &self.config)?;
        // A transaction of a writer frozen mid-way would hold the head row for ever.
        wait(write.batch_execute(&format!(
            "SET idle_in_transaction_session_timeout = {}",
            self.lease.as_millis().max(1)
        )))
        .map_err(failed("setting up the writer"))?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let term = self.standing.lead(sent, self.lease);
        let runtime = self.runtime()?;
        runtime.spawn(renew(
            client,
            Arc::clone(&self.standing),
            (term, epoch),
            self.lease,
        ));
        let lease_state = writer::Lease {
            epoch,
            term,
            standing: Arc::clone(&self.standing),
        };
        runtime.spawn(writer::write_loop(write, rx, head, lease_state));
        *self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tx);
        tracing::info!(epoch, seq = head.seq.get(), "this node leads the journal");
        Ok(Some(head))
    }

    fn leading(&self) -> bool {
        self.standing.live()
    }

    fn leader(&self) -> Result<Leader, StoreError> {
        let row = wait(self.read.query_one(
            "SELECT seq, hash, epoch, leader,
                (extract(epoch FROM clock_timestamp() - lease_renewed) * 1000)::float8
             FROM journal_head WHERE id = 1",
            &[],
        ))
        .map_err(failed("reading who leads"))?;
        let head = head_at(&row, 0)?;
        let url: String = row.get(3);
        let age: Option<f64> = row.get(4);
        Ok(Leader {
            seq: head.seq,
            epoch: row.get::<_, i64>(2).unsigned_abs(),
            url: (!url.is_empty()).then_some(url),
            lease_age: age.map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0)),
        })
    }

    fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.commits.clone()
    }
}

/// Renews the lease of `epoch` every quarter of `lease` until it is lost: another node took
/// over (the epoch moved), the lease connection ended, or no renewal got through before the
/// lease lapsed (the node froze, or lost the database) — then the node does not lead any more.
async fn renew(
    client: Arc<Client>,
    standing: Arc<Standing>,
    (term, epoch): (u64, i64),
    lease: Duration,
) {
    let statement = match client.prepare(RENEW).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "the lease cannot be renewed");
            standing.lose(term);
            return;
        }
    };
    loop {
        tokio::time::sleep(lease / 4).await;
        if !standing.live_in(term) {
            break;
        }
        let sent = Instant::now();
        let renewed = tokio::time::timeout(
            lease / 2,
            client.query_opt(&statement, &[&millis(lease), &epoch]),
        )
        .await;
        match renewed {
            Ok(Ok(Some(_))) => standing.renewed(term, sent, lease),
            Ok(Ok(None)) => {
                tracing::error!(epoch, "another node took over the journal");
                standing.lose(term);
                return;
            }
            Ok(Err(e)) if client.is_closed() => {
                tracing::error!(error = %e, "the lease connection ended");
                standing.lose(term);
                return;
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "the lease was not renewed; trying again"),
            Err(_) => tracing::warn!("the lease was not renewed in time; trying again"),
        }
        if !standing.live_in(term) {
            break;
        }
    }
    if standing.is_term(term) {
        tracing::error!(
            epoch,
            lease_ms = millis(lease),
            "this node's lease on the journal lapsed: it does not lead any more"
        );
        standing.lose(term);
    }
}

/// Passes `seq` on if it is past the last one passed on.
fn pass_on(to: &tokio::sync::watch::Sender<u64>, seq: u64) {
    to.send_if_modified(|v| {
        let moved = seq > *v;
        *v = (*v).max(seq);
        moved
    });
}

/// Listens for the leader's commits and passes the highest seq notified on; connects again
/// a second after losing the connection (a follower also polls, so nothing is missed).
/// Once listening it reads the head too: a commit made while the connection was being
/// opened notified nobody.
pub(super) async fn listen(config: Config, notified: tokio::sync::watch::Sender<u64>) {
    loop {
        if let Ok((client, mut connection)) = config.connect(NoTls).await {
            let to = notified.clone();
            let messages = tokio::spawn(async move {
                let mut messages =
                    futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                while let Some(Ok(message)) = futures_util::StreamExt::next(&mut messages).await {
                    if let AsyncMessage::Notification(n) = message {
                        if let Ok(seq) = n.payload().parse::<u64>() {
                            pass_on(&to, seq);
                        }
                    }
                }
            });
            if client
                .batch_execute(&format!("LISTEN {CHANNEL}"))
                .await
                .is_ok()
            {
                if let Ok(row) = client
                    .query_one("SELECT seq FROM journal_head WHERE id = 1", &[])
                    .await
                {
                    pass_on(&notified, row.get::<_, i64>(0).unsigned_abs());
                }
                let _ = messages.await;
            } else {
                messages.abort();
            }
        }
        if notified.is_closed() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
