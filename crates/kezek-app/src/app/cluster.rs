//! This node's part when several nodes share one journal (PostgreSQL).
//!
//! One node leads: it alone decides commands and appends (the store fences a deposed leader
//! off). Every other node follows: it applies the leader's records to its own state as they
//! are committed (woken by the store's commit notices, and polling besides), answers reads
//! with the seq of the state it read (`as_of_seq`), and refuses writes with the leader's URL
//! — the HTTP layer passes them on to the leader. When no node leads (the leader died: its
//! lock went with its connection), a follower takes over: it applies the journal up to the
//! head it took over at, then writes from there.
//!
//! A node on an unshared store (SQLite, memory) is alone and always writes.

use crate::error::{AppError, Unavailable};
use crate::App;
use kezek_core::model::Seq;
use kezek_store::{Head, Shared};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often a follower looks for new records and for a missing leader, notices or not.
pub const POLL: Duration = Duration::from_millis(250);

/// Records applied under one hold of the state lock.
const APPLY_PAGE: usize = 2000;

/// What this node does in its installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeRole {
    /// Alone on its store: it writes.
    Single,
    /// Leads a shared journal: it writes.
    Leader,
    /// Follows the leader of a shared journal: it reads, and passes writes on.
    Follower,
}

impl NodeRole {
    /// As `/healthz` names it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Leader => "leader",
            Self::Follower => "follower",
        }
    }
}

/// The node's role, the leader it knows of and how far behind it is.
#[derive(Debug)]
pub struct Node {
    role: AtomicU8,
    /// The leader's advertised URL, while another node leads.
    leader: parking_lot::RwLock<Option<String>>,
    /// The journal's head seq as last read from the database (followers).
    head: AtomicU64,
}

impl Default for Node {
    fn default() -> Self {
        Self {
            role: AtomicU8::new(0),
            leader: parking_lot::RwLock::new(None),
            head: AtomicU64::new(0),
        }
    }
}

impl Node {
    fn set(&self, role: NodeRole) {
        let n = match role {
            NodeRole::Single => 0,
            NodeRole::Leader => 1,
            NodeRole::Follower => 2,
        };
        self.role.store(n, Ordering::SeqCst);
    }

    /// The node's role now.
    #[must_use]
    pub fn role(&self) -> NodeRole {
        match self.role.load(Ordering::SeqCst) {
            0 => NodeRole::Single,
            1 => NodeRole::Leader,
            _ => NodeRole::Follower,
        }
    }

    /// Whether this node may write.
    #[must_use]
    pub fn writes(&self) -> bool {
        self.role() != NodeRole::Follower
    }

    /// The leader's URL, when another node leads.
    #[must_use]
    pub fn leader(&self) -> Option<String> {
        self.leader.read().clone()
    }
}

impl App {
    /// This node's role and leader.
    #[must_use]
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// How many records the journal has that this node has not applied (0 on a node that
    /// writes).
    #[must_use]
    pub fn lag(&self) -> u64 {
        if self.node.writes() {
            return 0;
        }
        let applied = self.state.read().last_seq().get();
        self.node
            .head
            .load(Ordering::Acquire)
            .saturating_sub(applied)
    }

    /// Refuses a write on a follower, naming the leader.
    pub(crate) fn check_writes(&self) -> Result<(), AppError> {
        if self.node.writes() {
            Ok(())
        } else {
            Err(AppError::Unavailable(Unavailable::NotLeader(
                self.node.leader(),
            )))
        }
    }

    /// Joins the shared journal as a follower: from now on it writes only once it leads.
    pub fn follow(&self) {
        self.node.set(NodeRole::Follower);
    }

    /// Runs this node's part in the shared journal until the task is dropped: follows the
    /// leader, and takes over when no node leads, advertising `url`. A leader that loses its
    /// lead stops taking requests (its state may hold what the journal does not); restarted,
    /// it follows.
    pub async fn run_node(self: Arc<Self>, shared: Arc<dyn Shared>, url: String) {
        let mut commits = shared.commits();
        let mut tail = match self.tail_head().await {
            Ok(h) => h,
            Err(e) => {
                self.health
                    .poison(&format!("cannot read the journal's head: {e}"));
                return;
            }
        };
        loop {
            if self.node.writes() {
                if !shared.leading() {
                    self.health
                        .poison("this node lost the lead of the journal: restart it to follow");
                    return;
                }
                tokio::time::sleep(POLL).await;
                continue;
            }
            let lead = {
                let (shared, url) = (Arc::clone(&shared), url.clone());
                tokio::task::spawn_blocking(move || shared.try_lead(&url)).await
            };
            match lead {
                Ok(Ok(Some(head))) => match self.take_over(&mut tail, head).await {
                    Ok(()) => continue,
                    Err(e) => {
                        self.health
                            .poison(&format!("cannot take over the journal: {e}"));
                        return;
                    }
                },
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot ask for the lead"),
                Err(_) => return,
            }
            match self.catch_up(&mut tail, None).await {
                Ok(()) => {}
                // The database cannot be reached now: a follower's state holds nothing the
                // journal does not, so it keeps serving what it has and tries again.
                Err(AppError::Unavailable(Unavailable::Store(
                    e @ kezek_store::StoreError::Storage { .. },
                ))) => tracing::warn!(error = %e, "cannot read the journal"),
                Err(e) => {
                    self.health
                        .poison(&format!("cannot follow the journal: {e}"));
                    return;
                }
            }
            let known = Arc::clone(&shared);
            if let Ok(Ok(leader)) = tokio::task::spawn_blocking(move || known.leader()).await {
                self.node.head.store(leader.seq.get(), Ordering::Release);
                *self.node.leader.write() = leader.url;
            }
            let _ = tokio::time::timeout(POLL, commits.changed()).await;
        }
    }

    /// The head of the state as the journal has it (seq and hash of its last record).
    async fn tail_head(&self) -> Result<Head, AppError> {
        let seq = self.state.read().last_seq();
        if seq == Seq::default() {
            return Ok(Head::EMPTY);
        }
        let before = Seq::new(seq.get() - 1);
        let records = self.store(move |s| s.read(before, 1)).await?;
        let record = records
            .into_iter()
            .next()
            .filter(|r| r.seq == seq)
            .ok_or_else(|| {
                AppError::Unavailable(Unavailable::Poisoned(Arc::from(
                    "the journal lost the record the state was built to",
                )))
            })?;
        Ok(Head {
            seq,
            hash: record.hash,
        })
    }

    /// Applies the journal's records after `tail` (up to `until`, or all there are now).
    async fn catch_up(&self, tail: &mut Head, until: Option<Seq>) -> Result<(), AppError> {
        loop {
            if until.is_some_and(|u| tail.seq >= u) {
                return Ok(());
            }
            let after = *tail;
            let (events, head) = self
                .store(move |s| {
                    kezek_store::replay::tail(s, after, APPLY_PAGE).map_err(|e| match e {
                        kezek_store::replay::ReplayError::Store(e) => e,
                        other @ kezek_store::replay::ReplayError::Corrupt { .. } => {
                            kezek_store::StoreError::Integrity(other.to_string())
                        }
                    })
                })
                .await?;
            if events.is_empty() {
                return Ok(());
            }
            {
                let mut state = self.state.write();
                for (seq, event) in &events {
                    state.apply(*seq, event).map_err(|e| {
                        AppError::Unavailable(Unavailable::Poisoned(Arc::from(format!(
                            "journal record {seq} does not apply: {}",
                            e.mismatch
                        ))))
                    })?;
                }
            }
            *tail = head;
            self.health.made_durable(head.seq.get());
            // A deadline or reminder may have come with them: the sweeper looks again once
            // this node leads.
            self.wake.notify_one();
        }
    }

    /// Applies the journal up to `head` (where this node took over) and starts writing.
    async fn take_over(&self, tail: &mut Head, head: Head) -> Result<(), AppError> {
        self.catch_up(tail, Some(head.seq)).await?;
        if *tail != head {
            return Err(AppError::Unavailable(Unavailable::Poisoned(Arc::from(
                "the journal's head is not where this node's records end",
            ))));
        }
        self.sequencer.reset(head.seq);
        *self.node.leader.write() = None;
        self.node.set(NodeRole::Leader);
        tracing::info!(seq = head.seq.get(), "this node took over the journal");
        // Keys revoked while no node led, deadlines passed meanwhile: looked at now.
        self.keys.version.store(u64::MAX, Ordering::Release);
        self.wake.notify_one();
        Ok(())
    }
}
