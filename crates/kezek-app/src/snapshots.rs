//! Start-up from a snapshot, and the snapshots a server keeps.
//!
//! A server keeps the state of a recent point of the journal in its data directory
//! (`snapshots/`, see [`kezek_store::snapshot`]) and starts from the newest one that checks:
//! its file is whole, the journal's record at its seq has the hash it names, and it
//! decodes — then only the records after it are replayed, each checked and applied as a
//! full replay does. A snapshot that fails any of these is passed over with a warning
//! (the next older one is tried, then the journal's start); `kezek verify` never uses one.
//!
//! Snapshots are written off the write path: a thread of their own loads the newest
//! snapshot (or replays from the start) into a private state, replays the journal up to
//! its head, encodes that state and writes it. The serving state is never locked for it;
//! the cost is a second state in memory while the thread works, once every `every` records.

use crate::app::{initial_policy, PolicyChoice, StartError};
use kezek_core::{Policy, State};
use kezek_store::replay::{replay, resume, ReplayError};
use kezek_store::snapshot::{list, read, write};
use kezek_store::{EventLog, Head};
use std::path::{Path, PathBuf};

/// Snapshot files kept: the newest, and one before it in case the newest is damaged.
const KEEP: usize = 2;

/// The state at the newest snapshot in `dir` that checks, with the journal's later records
/// applied; `None` when no snapshot checks (each one passed over is logged). `policy` is
/// the one a replay from the start would run: a snapshot of a journal without a journaled
/// policy must have been taken under it.
///
/// # Errors
/// A record after the snapshot does not verify or apply (a full replay would stop there
/// too), or the journal cannot be read.
pub fn restore(
    journal: &dyn EventLog,
    dir: &Path,
    policy: &Policy,
) -> Result<Option<State>, ReplayError> {
    for (_, path) in list(dir) {
        let Some((mut state, head)) = usable(journal, &path, policy)? else {
            continue;
        };
        let started = std::time::Instant::now();
        let last = resume(journal, &mut state, head)?;
        tracing::info!(
            snapshot = %path.display(),
            at = head.seq.get(),
            replayed = last.get() - head.seq.get(),
            ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "state restored from a snapshot"
        );
        return Ok(Some(state));
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
) -> Result<Option<(State, Head)>, ReplayError> {
    let pass = |why: &str| {
        tracing::warn!(snapshot = %path.display(), why, "snapshot passed over");
        Ok(None)
    };
    let snapshot = match read(path) {
        Ok(s) => s,
        Err(e) => return pass(&e.to_string()),
    };
    let head = snapshot.head;
    if head.seq.get() > 0 {
        let at = journal.read(kezek_core::model::Seq::new(head.seq.get() - 1), 1)?;
        if at
            .first()
            .is_none_or(|r| r.seq != head.seq || r.hash != head.hash)
        {
            return pass("the journal's record at its seq is not the one it was taken at");
        }
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

/// The snapshots a server writes: where, and after how many new records.
#[derive(Debug, Clone)]
pub struct Keeper {
    /// The directory.
    pub dir: PathBuf,
    /// Records between two snapshots.
    pub every: u64,
    /// The policy the server was started with (see [`crate::App::start`]).
    pub policy: PolicyChoice,
}

impl Keeper {
    /// Writes a snapshot of the journal's head now: from the newest snapshot (or the
    /// start) in a private state. Returns where the snapshot was taken.
    ///
    /// # Errors
    /// The journal does not replay, or the file cannot be written.
    pub fn take(&self, journal: &dyn EventLog) -> Result<Head, StartError> {
        let policy = initial_policy(journal, self.policy.clone())?;
        let state = if let Some(state) = restore(journal, &self.dir, &policy)? {
            state
        } else {
            let mut state = State::new(policy);
            replay(journal, &mut state)?;
            state
        };
        let (head, bytes) = Self::encode(journal, &state)?;
        // The state is large: let it go before the file is written.
        drop(state);
        self.write(head, &bytes)?;
        Ok(head)
    }

    /// `state` as a snapshot's bytes, with the journal record it is at.
    ///
    /// # Errors
    /// The journal cannot be read.
    pub fn encode(journal: &dyn EventLog, state: &State) -> Result<(Head, Vec<u8>), StartError> {
        let seq = state.last_seq();
        let hash = if seq.get() == 0 {
            kezek_store::record::GENESIS
        } else {
            let at = journal.read(kezek_core::model::Seq::new(seq.get() - 1), 1)?;
            at.first().map(|r| r.hash).unwrap_or_default()
        };
        let bytes = state
            .to_snapshot()
            .map_err(|e| StartError::Snapshot(e.to_string()))?;
        Ok((Head { seq, hash }, bytes))
    }

    /// Writes a snapshot file.
    ///
    /// # Errors
    /// It cannot be written.
    pub fn write(&self, head: Head, bytes: &[u8]) -> Result<(), StartError> {
        write(&self.dir, head, bytes, KEEP)
            .map(drop)
            .map_err(|e| StartError::Snapshot(format!("cannot write a snapshot: {e}")))
    }

    /// The seq of the newest snapshot file, 0 when there is none.
    #[must_use]
    pub fn newest(&self) -> u64 {
        list(&self.dir).first().map_or(0, |(seq, _)| seq.get())
    }
}
