//! Start-up from a snapshot, and the snapshots a server keeps.
//!
//! A server keeps the state of a recent point of the journal in its data directory
//! (`snapshots/`, see [`kezek_store::snapshot`]) and starts from the newest one that checks:
//! its file is whole, the journal's record at its seq has the hash it names, and it
//! decodes — then only the records after it are replayed, each checked and applied as a
//! full replay does. A snapshot that fails any of these is passed over with a warning
//! (the next older one is tried, then the journal's start); `kezek verify` never uses one.
//!
//! Snapshot files are sealed with a key the authority key derives (`snapshots`): a file
//! edited and given a new checksum is passed over like a damaged one.
//!
//! Snapshots are written off the write path: a thread of their own loads the newest
//! snapshot (or replays from the start) into a private state, replays the journal up to
//! its head, encodes that state and writes it. On the way it checks the state the node
//! serves: the digest of the served state at its seq must be the digest of its own replay at
//! that seq — else the node stops serving (`/healthz` says why) and a restart rebuilds the
//! state from the journal. The serving state is locked only to encode it for its digest
//! (about 0.4 s at 10⁶ applications, once every `every` records); the cost is a second state
//! in memory while the thread works.

use kezek_app::app::start::{initial_policy, PolicyChoice, StartError};
use kezek_app::audit::{state_digest, StateAt};
use kezek_app::keys::authority::Authority;
use kezek_app::{App, Clock};
use kezek_core::{Policy, State};
use kezek_store::replay::{
    hash_at, resume_observed, resume_observed_with, Applied, Observer, ReplayError,
};
use kezek_store::sealing::KeyCache;
use kezek_store::snapshot::{list, read, write, SealKey};
use kezek_store::{EventLog, Head, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Snapshot files kept: the newest, and one before it in case the newest is damaged.
const KEEP: usize = 2;

/// The state at the newest snapshot in `dir` that checks, with the journal's later records
/// applied, and the record that snapshot was taken at; `None` when no snapshot checks
/// (each one passed over is logged). `policy` is
/// the one a replay from the start would run: a snapshot of a journal without a journaled
/// policy must have been taken under it.
///
/// A snapshot whose later records do not verify or apply is passed over too: whether the
/// record or the snapshot is at fault, the replay from the start (or from an older one)
/// settles it, and a bad record stops that one.
///
/// # Errors
/// The journal cannot be read.
pub fn restore(
    journal: &dyn EventLog,
    dir: &Path,
    policy: &Policy,
    key: &SealKey,
) -> Result<Option<(State, Head)>, ReplayError> {
    let mut keys = KeyCache::load(journal)?;
    restore_checked(
        journal,
        (dir, key),
        policy,
        &mut DigestAt::none(),
        (None, &mut keys),
    )
}

/// [`restore`], computing the digest of the state at `at`'s seq on the way; with `only`,
/// from that snapshot alone (its seq and the digest of its state).
fn restore_checked(
    journal: &dyn EventLog,
    (dir, key): (&Path, &SealKey),
    policy: &Policy,
    at: &mut DigestAt,
    (only, keys): (Option<&StateAt>, &mut KeyCache),
) -> Result<Option<(State, Head)>, ReplayError> {
    for (seq, path) in list(dir) {
        if only.is_some_and(|o| o.seq != seq.get()) {
            continue;
        }
        let started = std::time::Instant::now();
        let Some((mut state, head)) = usable(journal, &path, policy, key)? else {
            continue;
        };
        if only.is_some_and(|o| state_digest(&state).ok().as_ref() != Some(&o.digest)) {
            tracing::warn!(snapshot = %path.display(), "snapshot passed over: not the one this node wrote");
            continue;
        }
        let loaded = started.elapsed();
        at.reset();
        at.at(&state);
        let last = match resume_observed_with(journal, &mut state, (head, keys), at) {
            Ok(last) => last,
            Err(ReplayError::Corrupt { seq, message }) => {
                tracing::warn!(
                    snapshot = %path.display(),
                    why = %format!("record {seq} after it: {message}"),
                    "snapshot passed over"
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        tracing::info!(
            snapshot = %path.display(),
            at = head.seq.get(),
            replayed = last.get() - head.seq.get(),
            load_ms = kezek_app::millis(loaded),
            ms = kezek_app::millis(started.elapsed()),
            "state restored from a snapshot"
        );
        return Ok(Some((state, head)));
    }
    Ok(None)
}

/// The state of the snapshot file at `path` and the record it was taken at, when the file
/// checks, the journal holds that record and the state decodes; `None` (with a warning)
/// otherwise.
fn usable(
    journal: &dyn EventLog,
    path: &Path,
    policy: &Policy,
    key: &SealKey,
) -> Result<Option<(State, Head)>, ReplayError> {
    let pass = |why: &str| {
        tracing::warn!(snapshot = %path.display(), why, "snapshot passed over");
        Ok(None)
    };
    let snapshot = match read(path, key) {
        Ok(s) => s,
        Err(e) => return pass(&e.to_string()),
    };
    let head = snapshot.head;
    if hash_at(journal, head.seq)? != Some(head.hash) {
        return pass("the journal's record at its seq is not the one it was taken at");
    }
    let state = match State::from_snapshot(snapshot.bytes()) {
        Ok(s) => s,
        Err(e) => return pass(&e.to_string()),
    };
    if state.last_seq() != head.seq {
        return pass("its state is not at the seq it names");
    }
    if state.policy_sha256().is_none() && state.policy().source() != policy.source() {
        return pass("taken under another policy than the one given");
    }
    Ok(Some((state, head)))
}

/// Starts the application from the newest snapshot in `keeper.dir` that checks, replaying
/// only the records after it (from the journal's start when none does), and keeps snapshots
/// from then on: a thread of their own writes one each time the journal has grown by
/// `keeper.every` records since the newest, without locking the serving state.
///
/// When the start had to replay as many records, the state it just built is encoded here,
/// before the application serves (a fraction of the replay the thread would otherwise do
/// again while the service starts taking requests), and the thread writes it first.
/// Snapshot files the start passed over (damaged, of another layout, another journal's) do
/// not count: the next one written replaces them.
///
/// # Errors
/// As [`App::start`].
pub fn start(
    store: Arc<dyn Store>,
    policy: PolicyChoice,
    authority: Authority,
    clock: Arc<dyn Clock>,
    kept: &Kept,
) -> Result<Arc<App>, StartError> {
    let keeper = Keeper {
        dir: kept.dir.clone(),
        every: kept.every,
        policy,
        key: authority.derive_key("snapshots"),
        trusted: None,
    };
    let started = std::time::Instant::now();
    let policy = initial_policy(store.as_ref(), keeper.policy.clone())?;
    // The persons' keys (two million for a city): a start from a recent snapshot replays
    // few records, which fetch the keys they need one at a time, and the whole set is read
    // behind it while the service starts serving (what needs the keys waits for it). A start
    // far behind its newest snapshot, or from the journal alone, reads them first: the
    // replay opens every record with them.
    let behind = match list(&keeper.dir).first() {
        Some((seq, _)) => store
            .head()
            .map_err(ReplayError::from)?
            .seq
            .get()
            .saturating_sub(seq.get()),
        None => u64::MAX,
    };
    let lazily = behind <= LAZY_KEYS_WITHIN;
    let mut keys = if lazily {
        KeyCache::default()
    } else {
        KeyCache::load(store.as_ref()).map_err(ReplayError::from)?
    };
    let restored = restore_checked(
        store.as_ref(),
        (&keeper.dir, &keeper.key),
        &policy,
        &mut DigestAt::none(),
        (None, &mut keys),
    )?;
    let restored_at = restored.as_ref().map_or(0, |(_, head)| head.seq.get());
    let (state, lazily) = if let Some((state, _)) = restored {
        (state, lazily)
    } else {
        if lazily {
            keys = KeyCache::load(store.as_ref()).map_err(ReplayError::from)?;
        }
        let mut state = State::new(policy);
        kezek_store::replay::replay_with(store.as_ref(), &mut state, &mut keys)?;
        (state, false)
    };
    tracing::info!(
        events = state.last_seq().get(),
        ms = kezek_app::millis(started.elapsed()),
        "journal replayed"
    );
    // A snapshot older than the last erasure holds the persons it erased: a new one is
    // written at once, and the old ones go.
    let due = state.last_seq().get() >= restored_at.saturating_add(keeper.every.max(1))
        || state.last_erasure().get() > restored_at;
    let first = due.then(|| Keeper::encode(store.as_ref(), &state));
    let app = App::from_state_with_keys(Arc::clone(&store), state, (authority, keys), clock)?;
    if lazily {
        app.load_keys_behind();
    }
    keeper.spawn(&app, store, restored_at, first);
    Ok(app)
}

/// How many records a start may be behind its newest snapshot and still read the persons'
/// keys behind the start: the records after the snapshot fetch theirs one at a time.
const LAZY_KEYS_WITHIN: u64 = 2_000;

/// Where a node keeps its snapshots, and how often it writes one.
#[derive(Debug, Clone)]
pub struct Kept {
    /// The directory.
    pub dir: PathBuf,
    /// Records between two snapshots.
    pub every: u64,
}

/// The snapshots a node writes: where, after how many new records, and under which policy a
/// state is replayed for one.
#[derive(Debug, Clone)]
pub struct Keeper {
    dir: PathBuf,
    every: u64,
    /// The policy the node was started with (see [`App::start`]).
    policy: PolicyChoice,
    /// What the files are sealed with.
    key: SealKey,
    /// The newest snapshot this keeper wrote of a state it checked (its seq and the digest
    /// of its state): the only file it restores from. Any other — the one the node started
    /// from among them — it does not trust for the check: it replays from the journal's
    /// start instead, so that a forged file cannot vouch for itself.
    trusted: Option<StateAt>,
}

/// Computes the digest of a replay's state at one seq.
struct DigestAt {
    seq: Option<u64>,
    digest: Option<Result<String, String>>,
}

impl DigestAt {
    fn none() -> Self {
        Self {
            seq: None,
            digest: None,
        }
    }

    fn at_seq(seq: u64) -> Self {
        Self {
            seq: Some(seq),
            digest: None,
        }
    }

    /// Forgets a digest of an attempt given up.
    fn reset(&mut self) {
        self.digest = None;
    }

    /// Takes the digest of `state` if it is at the seq wanted.
    fn at(&mut self, state: &State) {
        if self.seq == Some(state.last_seq().get()) {
            self.digest = Some(state_digest(state));
        }
    }
}

impl Observer for DigestAt {
    fn after(&mut self, state: &State, _: &Applied<'_>) -> Result<(), String> {
        self.at(state);
        Ok(())
    }
}

impl Keeper {
    /// Writes a snapshot of the journal's head now: from the newest snapshot (or the start)
    /// in a private state — and checks the state `app` serves against it on the way: the
    /// digest of the served state at its seq must be the private replay's at that seq, or the
    /// node stops serving. Returns where the snapshot was taken.
    ///
    /// # Errors
    /// The journal does not replay, the state served is not the journal's, or the file
    /// cannot be written.
    pub fn take(&mut self, journal: &dyn EventLog, app: &App) -> Result<Head, StartError> {
        let served = served(app)?;
        let policy = initial_policy(journal, self.policy.clone())?;
        let mut at = DigestAt::at_seq(served.seq);
        let restored = match &self.trusted {
            Some(trusted) => restore_checked(
                journal,
                (&self.dir, &self.key),
                &policy,
                &mut at,
                (Some(trusted), &mut KeyCache::load(journal)?),
            )?,
            None => None,
        };
        let state = if let Some((state, _)) = restored {
            state
        } else {
            let mut state = State::new(policy);
            at.reset();
            at.at(&state);
            let start = kezek_store::replay::start(journal).map_err(ReplayError::from)?;
            resume_observed(journal, &mut state, start, &mut at)?;
            state
        };
        let ours = at
            .digest
            .unwrap_or_else(|| Err(format!("the replay did not pass seq {}", served.seq)))
            .map_err(StartError::Snapshot)?;
        if ours != served.digest {
            let why = format!(
                "the state this node serves at seq {} is not the journal's (its digest is {}, a replay gives {ours}): restart it to rebuild the state from the journal",
                served.seq, served.digest
            );
            app.stop_serving(&why);
            // The files are not to be trusted either: the next start replays the journal.
            for (_, path) in list(&self.dir) {
                let _ = std::fs::remove_file(path);
            }
            return Err(StartError::Snapshot(why));
        }
        let (head, bytes) = Self::encode(journal, &state)?;
        let digest = state_digest(&state).map_err(StartError::Snapshot)?;
        // The state is large: let it go before the file is written.
        drop(state);
        self.write(head, &bytes)?;
        self.trusted = Some(StateAt {
            seq: head.seq.get(),
            digest,
        });
        Ok(head)
    }

    /// `state` as a snapshot's bytes, with the journal record it is at.
    ///
    /// # Errors
    /// The journal cannot be read.
    pub fn encode(journal: &dyn EventLog, state: &State) -> Result<(Head, Vec<u8>), StartError> {
        let seq = state.last_seq();
        let hash = hash_at(journal, seq)?.ok_or_else(|| {
            StartError::Snapshot(format!("the journal has no record {seq} to snapshot at"))
        })?;
        let bytes = state
            .to_snapshot()
            .map_err(|e| StartError::Snapshot(e.to_string()))?;
        Ok((Head { seq, hash }, bytes))
    }

    /// The thread that keeps snapshots of `app`'s journal in `store`: writes `first` if
    /// given, then looks every second whether the journal has grown by `every` records since
    /// the newest (`newest` at first). It ends with the application.
    pub(crate) fn spawn(
        mut self,
        app: &Arc<App>,
        store: Arc<dyn Store>,
        mut newest: u64,
        first: Option<Result<(Head, Vec<u8>), StartError>>,
    ) {
        let app = Arc::downgrade(app);
        let replayed_all = newest == 0;
        let spawned = std::thread::Builder::new()
            .name("snapshots".into())
            .spawn(move || {
                match first {
                    Some(Ok((head, bytes))) => match self.write(head, &bytes) {
                        Ok(()) => {
                            newest = head.seq.get();
                            if let Some(running) = app.upgrade() {
                                self.forget_before(running.last_erasure());
                            }
                            // A state the start replayed from the journal's start is the
                            // journal's: this file can be trusted.
                            if replayed_all {
                                self.trusted = Some(StateAt {
                                    seq: newest,
                                    digest: kezek_app::audit::encoded_digest(&bytes),
                                });
                            }
                            tracing::info!(at = newest, "snapshot written");
                        }
                        Err(e) => tracing::warn!(error = %e, "snapshot not written"),
                    },
                    Some(Err(e)) => tracing::warn!(error = %e, "snapshot not written"),
                    None => {}
                }
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    let Some(running) = app.upgrade() else {
                        return;
                    };
                    let head = running.applied_seq();
                    let erased = running.last_erasure();
                    let due = head >= newest.saturating_add(self.every.max(1)) || erased > newest;
                    if !due || running.poisoned().is_some() {
                        continue;
                    }
                    let started = std::time::Instant::now();
                    let taken = self.take(store.as_ref(), &running);
                    drop(running);
                    match taken {
                        Ok(at) => {
                            newest = at.seq.get();
                            self.forget_before(erased);
                            tracing::info!(
                                at = newest,
                                ms = kezek_app::millis(started.elapsed()),
                                "snapshot written"
                            );
                        }
                        Err(e) => {
                            // Tried again once as many records more have come.
                            newest = head;
                            tracing::warn!(error = %e, "snapshot not written");
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no snapshots: the thread did not start");
        }
    }

    /// Deletes the snapshots older than the erasure at `seq` (none when 0): they hold the
    /// persons it erased.
    pub fn forget_before(&self, seq: u64) {
        forget_before(&self.dir, seq);
    }

    /// Writes a snapshot file.
    ///
    /// # Errors
    /// It cannot be written.
    pub fn write(&self, head: Head, bytes: &[u8]) -> Result<(), StartError> {
        write(&self.dir, head, bytes, KEEP, &self.key)
            .map(drop)
            .map_err(|e| StartError::Snapshot(format!("cannot write a snapshot: {e}")))
    }
}

/// Deletes the snapshot files in `dir` older than the erasure at `seq` (none when 0).
pub fn forget_before(dir: &Path, seq: u64) {
    if seq == 0 {
        return;
    }
    for (at, path) in list(dir) {
        if at.get() < seq {
            if let Err(e) = std::fs::remove_file(&path) {
                tracing::error!(error = %e, file = %path.display(), "a snapshot older than an erasure was not deleted");
            }
        }
    }
}

/// The digest of the state `app` serves and its seq, once the journal holds that seq.
fn served(app: &App) -> Result<StateAt, StartError> {
    let served = app
        .served_state_now()
        .map_err(|e| StartError::Snapshot(e.to_string()))?;
    while app.durable_seq() < served.seq {
        if let Some(reason) = app.poisoned() {
            return Err(StartError::Snapshot(reason.to_string()));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    Ok(served)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test")]
    use super::*;
    use kezek_core::command::kindergarten::UpsertKindergarten;
    use kezek_core::command::vacancies::OpenVacancies;
    use kezek_core::event::GroupSpec;
    use kezek_core::model::{DistrictId, GroupId, KindergartenId, Language, Seq};
    use kezek_store::memory::MemoryStore;
    use kezek_store::Append;

    const KEY: SealKey = [5; 32];

    fn kindergarten(id: &str) -> UpsertKindergarten {
        UpsertKindergarten {
            kindergarten_id: KindergartenId::parse(id).unwrap(),
            name: "K".into(),
            district: DistrictId::parse("D1").unwrap(),
            labels: kezek_core::event::KindergartenLabels::default(),
            groups: vec![GroupSpec {
                group_id: GroupId::parse("g4").unwrap(),
                age_years: 4,
                language: Language::Kk,
                capacity: 1,
                enrolled: 1,
            }],
            academic_year: None,
        }
    }

    #[test]
    fn a_snapshot_the_later_records_do_not_apply_to_is_passed_over() {
        let policy = Policy::kz_2013();
        let journal = MemoryStore::new();
        let mut state = State::new(policy.clone());
        // K1 at seq 1, a vacancy at K1 at seq 2.
        let mut events = state.execute(kindergarten("K1")).unwrap();
        events.extend(
            state
                .execute(OpenVacancies {
                    kindergarten_id: KindergartenId::parse("K1").unwrap(),
                    group_id: GroupId::parse("g4").unwrap(),
                    seats: 1,
                })
                .unwrap(),
        );
        let append = Append {
            events,
            at: "2026-12-02T00:00:00Z".into(),
            actor: "test".into(),
            ..Append::default()
        };
        journal.submit(append).wait().unwrap();
        let at_1 = Head {
            seq: Seq::new(1),
            hash: hash_at(&journal, Seq::new(1)).unwrap().unwrap(),
        };
        // A state at seq 1 that knows K2, not K1, said to be taken at this journal's
        // record 1: whole, checksummed, at the right record — and the vacancy at K1 does
        // not apply to it.
        let mut other = State::new(policy.clone());
        other.execute(kindergarten("K2")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), at_1, &other.to_snapshot().unwrap(), KEEP, &KEY).unwrap();
        assert!(restore(&journal, dir.path(), &policy, &KEY)
            .unwrap()
            .is_none());

        // The journal's own state at 1 is restored, with the vacancy applied.
        let mut own = State::new(policy.clone());
        own.execute(kindergarten("K1")).unwrap();
        write(dir.path(), at_1, &own.to_snapshot().unwrap(), KEEP, &KEY).unwrap();
        let (restored, head) = restore(&journal, dir.path(), &policy, &KEY)
            .unwrap()
            .unwrap();
        assert_eq!(head, at_1);
        assert_eq!(format!("{restored:?}"), format!("{state:?}"));
    }
}
