//! Who leads: a session advisory lock held on a connection of its own (the lease), and the
//! epoch in `journal_head`, moved by each node that takes over, which every append checks.
//! When the leader's process dies its connection closes and PostgreSQL releases the lock at
//! once; a follower polling for it takes over. And the commits a follower waits for:
//! `LISTEN` on the channel the leader notifies in each commit.

use super::{connect, failed, head_at, wait, writer, PgStore, CHANNEL};
use crate::{Head, Leader, Shared, StoreError};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio_postgres::{AsyncMessage, Config, NoTls};

/// The advisory lock key of the leader ("kezek" in ASCII, then 1).
pub const LEADER_LOCK: i64 = 0x6b65_7a65_6b00_0002;

impl Shared for PgStore {
    fn try_lead(&self, url: &str) -> Result<Option<Head>, StoreError> {
        let mut lease = self
            .lease
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.leading.load(Ordering::SeqCst) {
            return Err(StoreError::Order("this node leads already".into()));
        }
        if lease.as_ref().is_none_or(tokio_postgres::Client::is_closed) {
            *lease = Some(connect(
                self.runtime()?,
                &self.config,
                Some(Arc::clone(&self.leading)),
            )?);
        }
        let Some(client) = lease.as_ref() else {
            return Err(StoreError::Failed);
        };
        let got: bool = wait(client.query_one("SELECT pg_try_advisory_lock($1)", &[&LEADER_LOCK]))
            .map_err(failed("asking for the leader lock"))?
            .get(0);
        if !got {
            return Ok(None);
        }
        // Moving the epoch waits for a transaction of the deposed leader that holds the
        // row; any of its transactions after this one fails its check.
        let row = wait(client.query_one(
            "UPDATE journal_head SET epoch = epoch + 1, leader = $1 WHERE id = 1 RETURNING seq, hash, epoch",
            &[&url],
        ))
        .map_err(failed("taking over the journal"))?;
        let head = head_at(&row, 0)?;
        let epoch: i64 = row.get(2);
        let events = crate::EventLog::head(self)?;
        if events != head {
            // Give the lock back: this journal needs an operator, not a leader.
            let _ = wait(client.execute("SELECT pg_advisory_unlock($1)", &[&LEADER_LOCK]));
            return Err(StoreError::Integrity(format!(
                "the journal's head row says seq {}, its last event is seq {}: the database was edited or restored in part",
                head.seq, events.seq
            )));
        }
        let write = connect(self.runtime()?, &self.config, None)?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.leading.store(true, Ordering::SeqCst);
        let lease_state = writer::Lease {
            epoch,
            leading: Arc::clone(&self.leading),
        };
        self.runtime()?
            .spawn(writer::write_loop(write, rx, head, lease_state));
        *self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tx);
        tracing::info!(epoch, seq = head.seq.get(), "this node leads the journal");
        Ok(Some(head))
    }

    fn leading(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }

    fn leader(&self) -> Result<Leader, StoreError> {
        let row = wait(self.read.query_one(
            "SELECT seq, hash, epoch, leader FROM journal_head WHERE id = 1",
            &[],
        ))
        .map_err(failed("reading who leads"))?;
        let head = head_at(&row, 0)?;
        let url: String = row.get(3);
        Ok(Leader {
            seq: head.seq,
            epoch: row.get::<_, i64>(2).unsigned_abs(),
            url: (!url.is_empty()).then_some(url),
        })
    }

    fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.commits.clone()
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
