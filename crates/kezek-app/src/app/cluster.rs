//! This node's part when several nodes share one journal (PostgreSQL).
//!
//! One node leads: it alone decides commands and appends (the store fences a deposed leader
//! off). Every other node follows: it applies the leader's records to its own state as they
//! are committed (woken by the store's commit notices, and polling besides), answers reads
//! with the seq of the state it read (`as_of_seq`), and refuses writes with the leader's URL
//! — the HTTP layer passes them on to the leader. When no node leads (the leader died, or its
//! lease lapsed: it froze), a follower takes over: it applies the journal up to the head it
//! took over at, then writes from there. A leader that loses the lead steps down at once: it
//! stops answering from its state (which may hold a write the journal does not) and says so
//! ([`Node::stepped_down`]); `kezek serve` then builds it again from the journal, to follow.
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
    /// The leader's advertised URL (this node's own while it leads).
    leader: tokio::sync::watch::Sender<Option<String>>,
    /// The journal's head seq as last read from the database (followers).
    head: AtomicU64,
    /// How long ago the leader had renewed its lease when the database was last asked, and
    /// when that was.
    lease: parking_lot::Mutex<Option<(Duration, std::time::Instant)>>,
    /// Turns true when this node, leading, lost the lead: it must start again to follow.
    stepped_down: tokio::sync::watch::Sender<bool>,
}

impl Default for Node {
    fn default() -> Self {
        Self {
            role: AtomicU8::new(0),
            leader: tokio::sync::watch::Sender::new(None),
            head: AtomicU64::new(0),
            lease: parking_lot::Mutex::new(None),
            stepped_down: tokio::sync::watch::Sender::new(false),
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

    /// The leader's URL as this node last learnt it (its own while it leads).
    #[must_use]
    pub fn leader(&self) -> Option<String> {
        self.leader.borrow().clone()
    }

    /// Resolves once the leader this node knows of is no longer `url` (another node took
    /// over, or this one lost track of it): a write passed on to `url` need not be waited
    /// for any longer.
    pub async fn leader_moved_from(&self, url: &str) {
        let mut rx = self.leader.subscribe();
        let _ = rx.wait_for(|l| l.as_deref() != Some(url)).await;
    }

    fn set_leader(&self, url: Option<String>) {
        self.leader.send_if_modified(|l| {
            let moved = *l != url;
            *l = url;
            moved
        });
    }

    /// How long ago the leader renewed its lease, by the database's clock when it was last
    /// asked plus the time since (`None` on an unshared store, or before it was asked).
    #[must_use]
    pub fn lease_age(&self) -> Option<Duration> {
        self.lease
            .lock()
            .map(|(age, asked)| age.saturating_add(asked.elapsed()))
    }

    /// Resolves once this node, having led, lost the lead: its state may hold what the
    /// journal does not, so it must be built again from the journal (`kezek serve` does that
    /// on the same address) and follow.
    pub async fn stepped_down(&self) {
        let mut rx = self.stepped_down.subscribe();
        let _ = rx.wait_for(|down| *down).await;
    }

    /// Whether this node lost the lead.
    #[must_use]
    pub fn has_stepped_down(&self) -> bool {
        *self.stepped_down.borrow()
    }

    fn learn(&self, leader: &kezek_store::Leader) {
        self.head.store(leader.seq.get(), Ordering::Release);
        *self.lease.lock() = leader.lease_age.map(|age| (age, std::time::Instant::now()));
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
                    self.step_down();
                    return;
                }
                let known = Arc::clone(&shared);
                if let Ok(Ok(leader)) = tokio::task::spawn_blocking(move || known.leader()).await {
                    self.node.learn(&leader);
                }
                tokio::time::sleep(POLL).await;
                continue;
            }
            let lead = {
                let (shared, url) = (Arc::clone(&shared), url.clone());
                tokio::task::spawn_blocking(move || shared.try_lead(&url)).await
            };
            match lead {
                Ok(Ok(Some(head))) => match self.take_over(&mut tail, head, &url).await {
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
                self.node.learn(&leader);
                self.node.set_leader(leader.url);
            }
            let _ = tokio::time::timeout(POLL, commits.changed()).await;
        }
    }

    /// The head of the state as the journal has it (seq and hash of its last record).
    async fn tail_head(&self) -> Result<Head, AppError> {
        let seq = self.state.read().last_seq();
        if seq == Seq::default() {
            return Ok(Head::start(self.store(|s| s.genesis()).await?));
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
            let keys = Arc::clone(&self.personal.keys);
            let cutoff = self.state.read().policy().cutoff;
            let (events, head) = self
                .store(move |s| {
                    let mut keys = keys.lock();
                    kezek_store::replay::tail(s, after, APPLY_PAGE, (&mut keys, cutoff)).map_err(
                        |e| match e {
                            kezek_store::replay::ReplayError::Store(e) => e,
                            other @ kezek_store::replay::ReplayError::Corrupt { .. } => {
                                kezek_store::StoreError::Integrity(other.to_string())
                            }
                        },
                    )
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
                // The case engine's records, in the same order (the state's lock held).
                {
                    let mut cases = self.cases.write();
                    for (seq, event) in &events {
                        let kezek_core::Event::Extension(e) = event else {
                            continue;
                        };
                        if let Some(case) = kezek_cases::event::from_extension(e) {
                            case.map_err(|err| err.to_string())
                                .and_then(|c| cases.apply(&c).map_err(|err| err.to_string()))
                                .map_err(|why| {
                                    AppError::Unavailable(Unavailable::Poisoned(Arc::from(
                                        format!("journal record {seq}: {why}"),
                                    )))
                                })?;
                        }
                    }
                }
                // Another node adopted (or rotated in) a key this one does not hold: it must
                // not sign anything more.
                crate::keys::pin::in_force(&state, &self.authority).map_err(|e| {
                    AppError::Unavailable(Unavailable::Poisoned(Arc::from(e.to_string())))
                })?;
            }
            *tail = head;
            self.health.made_durable(head.seq.get());
            // A deadline or reminder may have come with them: the sweeper looks again once
            // this node leads.
            self.wake.notify_one();
        }
    }

    /// Stops leading at once: writes are refused from now on, and since the state may hold
    /// what the journal does not (a write in flight when the lease was lost), nothing more is
    /// answered from it; whoever runs the node starts it again to follow.
    fn step_down(&self) {
        self.node.set(NodeRole::Follower);
        self.node.set_leader(None);
        self.health.poison(
            "this node lost the lead of the journal (its lease lapsed or another node took over): it stepped down and starts again as a follower",
        );
        self.node.stepped_down.send_replace(true);
    }

    /// Applies the journal up to `head` (where this node took over) and starts writing,
    /// advertising `url`.
    async fn take_over(&self, tail: &mut Head, head: Head, url: &str) -> Result<(), AppError> {
        self.catch_up(tail, Some(head.seq)).await?;
        if *tail != head {
            return Err(AppError::Unavailable(Unavailable::Poisoned(Arc::from(
                "the journal's head is not where this node's records end",
            ))));
        }
        self.sequencer.reset(head.seq);
        self.node.set_leader(Some(url.to_owned()));
        self.node.set(NodeRole::Leader);
        tracing::info!(seq = head.seq.get(), "this node took over the journal");
        // Keys revoked while no node led, deadlines passed meanwhile: looked at now.
        self.keys.version.store(u64::MAX, Ordering::Release);
        self.wake.notify_one();
        Ok(())
    }
}
